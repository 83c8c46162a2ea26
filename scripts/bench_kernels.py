#!/usr/bin/env python3
"""descent's compute kernels beside numpy (OpenBLAS) and PyTorch, in one run (see bench_kernels.sh).

For each case it alternates the three libraries --repeats times, so that a shared machine's load
falls on all of them alike; each measurement is the median of --rounds timed rounds of at least
--round-time seconds, the same method as `descent bench`. It prints the medians over the repeats
and the ratios descent/reference (> 1: descent is faster), with the median of the per-repeat
ratios beside them (less sensitive to load that drifts during the run); then the same for the best
round of each measurement (the least disturbed by other processes on a shared machine).

Cases: sgemm 1024³, the three products of the MLP's 784→256 layer at batch 128 (forward X·W
m=128 k=784 n=256; weight gradient Xᵀ·dY, transA, m=784 k=128 n=256; input gradient dY·Wᵀ,
transB, m=128 k=256 n=784), dgemm 1024³, and a 256 MiB memory copy (GB/s counting bytes read and
written, as descent bench copy does).

Run with Debian's python3-numpy and python3-torch:
    /usr/bin/python3 scripts/bench_kernels.py --descent PATH_TO_DESCENT_BINARY
"""
import argparse, json, os, statistics, subprocess, sys, time

import numpy as np

try:
    import torch
except ImportError:  # PyTorch is optional: its column is left empty
    torch = None

GEMMS = [
    # name, dtype, transA, transB, m, n, k
    ("sgemm 1024x1024x1024", "float32", False, False, 1024, 1024, 1024),
    ("mlp fwd X.W  128x256 k=784", "float32", False, False, 128, 256, 784),
    ("mlp dW  Xt.dY 784x256 k=128", "float32", True, False, 784, 256, 128),
    ("mlp dX  dY.Wt 128x784 k=256", "float32", False, True, 128, 784, 256),
    ("dgemm 1024x1024x1024", "float64", False, False, 1024, 1024, 1024),
]


def timed(op, rounds, round_time):
    """Median and least seconds per call over rounds of equal length, after a warm-up (descent bench's method)."""
    op()
    t = time.perf_counter()
    op()
    one = max(time.perf_counter() - t, 1e-9)
    calls = max(1, int(round_time / one))
    per = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(calls):
            op()
        per.append((time.perf_counter() - t) / calls)
    return statistics.median(per), min(per)


def operands(lib, dtype, ta, tb, m, n, k):
    rng = np.random.default_rng(1)
    a = (rng.random((k, m) if ta else (m, k)) * 2 - 1).astype(dtype)
    b = (rng.random((n, k) if tb else (k, n)) * 2 - 1).astype(dtype)
    if lib == "torch":
        a, b = torch.from_numpy(a), torch.from_numpy(b)
        return (a.t() if ta else a), (b.t() if tb else b)
    return (a.T if ta else a), (b.T if tb else b)


def gemm_ref(lib, case, rounds, round_time):
    _, dtype, ta, tb, m, n, k = case
    a, b = operands(lib, dtype, ta, tb, m, n, k)
    if lib == "torch":
        c = torch.empty((m, n), dtype=a.dtype)
        op = lambda: torch.mm(a, b, out=c)
    else:
        c = np.empty((m, n), dtype=dtype)
        op = lambda: np.matmul(a, b, out=c)
    return [2 * m * n * k / t / 1e9 for t in timed(op, rounds, round_time)]


def copy_ref(lib, mib, rounds, round_time):
    size = mib << 20
    if lib == "torch":
        src, dst = torch.ones(size, dtype=torch.uint8), torch.zeros(size, dtype=torch.uint8)
        op = lambda: dst.copy_(src)
    else:
        src, dst = np.ones(size, dtype=np.uint8), np.zeros(size, dtype=np.uint8)
        op = lambda: np.copyto(dst, src)
    return [2 * size / t / 1e9 for t in timed(op, rounds, round_time)]


def descent(binary, args, key, rounds, round_time, threads):
    cmd = [binary, "bench"] + args + ["--json", "--rounds", str(rounds), "--round-time", f"{round_time}s"]
    if threads:
        cmd += ["--threads", str(threads)]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return [out[key], out[key + "_best"]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--descent", required=True, help="the descent binary")
    ap.add_argument("--repeats", type=int, default=5, help="alternations of the libraries per case")
    ap.add_argument("--rounds", type=int, default=7, help="timed rounds per measurement")
    ap.add_argument("--round-time", type=float, default=0.1, help="least seconds of a round")
    ap.add_argument("--threads", type=int, default=0, help="threads for every library (0: all cores)")
    ap.add_argument("--copy-mib", type=int, default=256)
    ap.add_argument("--only", default="", help="run only the cases whose name contains this")
    ap.add_argument("--json", help="also write the measurements to this file")
    a = ap.parse_args()

    threads = a.threads or os.cpu_count()
    blas = "?"
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
        threadpool_limits(threads)
        blas = ", ".join(f"{i['internal_api']} {i.get('version')} {i.get('architecture', '')} ({i['num_threads']} threads)"
                         for i in threadpool_info() if i["user_api"] == "blas")
    except ImportError:
        pass
    if torch is not None:
        torch.set_num_threads(threads)
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS") if k in os.environ}
    print(f"numpy {np.__version__}: {blas}; torch {torch.__version__ if torch else 'absent'} ({torch.get_num_threads() if torch else 0} threads); "
          f"OpenBLAS environment {env or 'none'}; {threads} threads; {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.2f} at the start")

    cases = []
    for case in GEMMS:
        name, dtype, ta, tb, m, n, k = case
        args = ["matmul", "--m", str(m), "--n", str(n), "--k", str(k), "--dtype", dtype]
        args += ["--trans-a"] * ta + ["--trans-b"] * tb
        cases.append((name, "GFLOP/s", lambda args=args: descent(a.descent, args, "gflops", a.rounds, a.round_time, a.threads),
                      lambda lib, case=case: gemm_ref(lib, case, a.rounds, a.round_time)))
    # numpy's and torch's copies of a flat array run on one thread; descent's is split across the
    # cores, and is measured on one thread too.
    for t in sorted({a.threads or threads, 1}, reverse=True):
        cases.append((f"copy {a.copy_mib} MiB, descent {t}T", "GB/s",
                      lambda t=t: descent(a.descent, ["copy", "--mb", str(a.copy_mib)], "gb_per_s", a.rounds, a.round_time, t),
                      lambda lib: copy_ref(lib, a.copy_mib, a.rounds, a.round_time)))

    libs = ["numpy"] + (["torch"] if torch is not None else [])
    results = []
    head = f"{'descent':>8s} " + " ".join(f"{l:>8s}" for l in libs) + " " + " ".join(f"{'d/' + l:>8s} {'(paired)':>8s}" for l in libs)
    print(f"\n{'':39s}{'medians of the rounds':^{len(head)}s} | {'best rounds':^{len(head)}s}")
    print(f"{'case':30s} {'unit':8s} {head} | {head}")
    for name, unit, run_descent, run_ref in cases:
        if a.only and a.only not in name:
            continue
        got = {"descent": []} | {l: [] for l in libs}
        for _ in range(a.repeats):
            got["descent"].append(run_descent())
            for l in libs:
                got[l].append(run_ref(l))
        line = f"{name:30s} {unit:8s}"
        summary = {}
        for i, kind in enumerate(("median", "best")):
            med = {k: statistics.median(v[i] for v in vs) for k, vs in got.items()}
            paired = {l: statistics.median(d[i] / r[i] for d, r in zip(got["descent"], got[l])) for l in libs}
            line += (" |" if i else "") + f" {med['descent']:8.1f} " + " ".join(f"{med[l]:8.1f}" for l in libs) + \
                " " + " ".join(f"{med['descent'] / med[l]:8.2f} {paired[l]:8.2f}" for l in libs)
            summary[kind] = {"value": med, "paired_ratio": paired}
        print(line, flush=True)
        results.append({"case": name, "unit": unit, "runs": got} | summary)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end; ratios > 1 mean descent is faster")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
