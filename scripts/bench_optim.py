#!/usr/bin/env python3
"""torch.optim side of the optimizer-step benchmark (see scripts/bench_optim.sh).

Times one step of each torch.optim optimizer with foreach=True on 10M float32 parameters held
in 10 tensors of 1M, and prints Go-benchmark-format lines:
    BenchmarkTorchStep/adam/threads=1   N   T ns/op   P ns/param
Run with Debian's python3-torch: /usr/bin/python3 scripts/bench_optim.py --threads 1
"""
import argparse, time
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--count", type=int, default=5)
ap.add_argument("--steps", type=int, default=20)
a = ap.parse_args()
torch.set_num_threads(a.threads)
N, PARTS = 10_000_000, 10
O = torch.optim
makers = {
    "sgd": lambda p: O.SGD(p, lr=0.01, foreach=True),
    "momentum": lambda p: O.SGD(p, lr=0.01, momentum=0.9, foreach=True),
    "nesterov": lambda p: O.SGD(p, lr=0.01, momentum=0.9, nesterov=True, foreach=True),
    "adagrad": lambda p: O.Adagrad(p, foreach=True),
    "rmsprop": lambda p: O.RMSprop(p, foreach=True),
    "adam": lambda p: O.Adam(p, foreach=True),
    "adamw": lambda p: O.AdamW(p, foreach=True),
    "amsgrad": lambda p: O.Adam(p, amsgrad=True, foreach=True),
    "adamax": lambda p: O.Adamax(p, foreach=True),
    "nadam": lambda p: O.NAdam(p, foreach=True),
    "radam": lambda p: O.RAdam(p, foreach=True),
    "adadelta": lambda p: O.Adadelta(p, foreach=True),
}
for name, make in makers.items():
    ps = [torch.nn.Parameter(torch.rand(N // PARTS)) for _ in range(PARTS)]
    for p in ps:
        p.grad = torch.randn(N // PARTS)
    opt = make(ps)
    opt.step()
    for _ in range(a.count):
        t = time.perf_counter()
        for _ in range(a.steps):
            opt.step()
        ns = (time.perf_counter() - t) / a.steps * 1e9
        print(f"BenchmarkTorchStep/{name}/threads={a.threads} \t{a.steps}\t{ns:.0f} ns/op\t{ns / N:.3f} ns/param", flush=True)
