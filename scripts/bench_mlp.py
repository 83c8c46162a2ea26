#!/usr/bin/env python3
"""PyTorch side of the MLP training benchmark (see scripts/bench_mlp.sh).

Trains the MLP 784-256-256-10 with SGD with momentum 0.9 (lr 0.01), batch 128, on MNIST read from the same
IDX files descent reads, and prints Go-benchmark-format lines so that benchstat can put them
beside descent's BenchmarkMLPStep and BenchmarkMLPEpoch:

    BenchmarkTorchMLPStep/threads=1   N   T ns/op
    BenchmarkTorchMLPEpoch/threads=1  1   T ns/op   A %acc

(each epoch from a fresh model; A is the test accuracy after it, evaluation not timed).

Run with Debian's python3-torch: /usr/bin/python3 scripts/bench_mlp.py --data DIR --threads 1
"""
import argparse, time

import numpy as np
import torch
from idx import find, read_idx  # scripts/idx.py




def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="folder with the MNIST IDX files")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--count", type=int, default=5, help="repetitions of each measurement")
    ap.add_argument("--steps", type=int, default=200, help="steps per step-timing repetition")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    def images(name):
        return torch.tensor(read_idx(find(a.data, name)).reshape(-1, 784).astype(np.float32) / 255)

    def labels(name):
        return torch.tensor(read_idx(find(a.data, name)).astype(np.int64))

    x, y = images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte")
    xt, yt = images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte")
    loss_fn = torch.nn.CrossEntropyLoss()

    def fresh():
        global model, opt
        model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                                    torch.nn.ReLU(), torch.nn.Linear(256, 10))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step(xb, yb):
        opt.zero_grad(set_to_none=True)
        loss_fn(model(xb), yb).backward()
        opt.step()

    fresh()

    xb, yb = x[:128], y[:128]
    for _ in range(20):
        step(xb, yb)
    tag = f"threads={a.threads}"
    for _ in range(a.count):
        t = time.perf_counter()
        for _ in range(a.steps):
            step(xb, yb)
        ns = (time.perf_counter() - t) / a.steps * 1e9
        print(f"BenchmarkTorchMLPStep/{tag} \t{a.steps}\t{ns:.0f} ns/op", flush=True)
    for _ in range(a.count):
        fresh()
        t = time.perf_counter()
        perm = torch.randperm(x.shape[0])
        for i in range(0, x.shape[0], 128):
            idx = perm[i:i + 128]
            step(x[idx], y[idx])
        ns = (time.perf_counter() - t) * 1e9
        with torch.no_grad():
            acc = 100 * (model(xt).argmax(1) == yt).float().mean().item()
        print(f"BenchmarkTorchMLPEpoch/{tag} \t1\t{ns:.0f} ns/op\t{acc:.2f} %acc", flush=True)


if __name__ == "__main__":
    main()
