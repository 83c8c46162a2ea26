"""The MNIST IDX reader shared by the benchmark scripts (plain or gzip files)."""
import gzip
import os

import numpy as np


def read_idx(path):
    """Returns the array stored in the IDX file at path (gzip-compressed or not)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw[4 + 4 * ndim:], dtype=np.uint8).reshape(dims)


def find(d, name):
    """Returns the path of name (or name.gz) in folder d, or exits saying it is missing."""
    for n in (name + ".gz", name):
        if os.path.exists(os.path.join(d, n)):
            return os.path.join(d, n)
    raise SystemExit(f"{name} not found in {d}")
