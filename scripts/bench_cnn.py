#!/usr/bin/env python3
"""PyTorch side of the CNN benchmark (see scripts/bench_cnn.sh).

Times, in float32 on the CPU, the two convolutions of descent's nn.CNN at batch 64 (forward alone,
and forward with backward: weight and bias gradients, plus the input gradient of conv2 but not of
conv1, whose input is the data), and one training epoch of the same network
(conv 5x5x32, max-pool 2, conv 5x5x64, max-pool 2, fully connected 128, 10; ReLU; SGD lr 0.01,
batch 64) over the MNIST training set read from the same IDX files. It prints Go-benchmark-format
lines so that benchstat can put them beside descent's benchmarks in ./nn:

    BenchmarkTorchConv2DForward/conv1/threads=1   N   T ns/op
    BenchmarkTorchCNNEpoch/threads=1              1   T ns/op

Run with Debian's python3-torch: /usr/bin/python3 scripts/bench_cnn.py --data DIR --threads 1
"""
import argparse
import time

import numpy as np
import torch
from idx import find, read_idx  # scripts/idx.py




def cnn():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(1024, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="folder with the MNIST IDX files")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--count", type=int, default=5, help="repetitions of each measurement")
    ap.add_argument("--reps", type=int, default=20, help="calls per convolution timing repetition")
    ap.add_argument("--epochs", type=int, default=1, help="repetitions of the epoch timing")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    tag = f"threads={a.threads}"

    convs = [("conv1", (64, 1, 28, 28), 32, False), ("conv2", (64, 32, 12, 12), 64, True)]
    for backward in (False, True):
        kind = "Conv2DForwardBackward" if backward else "Conv2DForward"
        for name, shape, out, input_grad in convs:
            conv = torch.nn.Conv2d(shape[1], out, 5)
            x = torch.randn(*shape).requires_grad_(backward and input_grad)

            def call():
                if backward:
                    conv.zero_grad(set_to_none=True)
                    x.grad = None
                    conv(x).sum().backward()
                else:
                    with torch.no_grad():
                        conv(x)

            for _ in range(3):
                call()
            for _ in range(a.count):
                t = time.perf_counter()
                for _ in range(a.reps):
                    call()
                ns = (time.perf_counter() - t) / a.reps * 1e9
                print(f"BenchmarkTorch{kind}/{name}/{tag} \t{a.reps}\t{ns:.0f} ns/op", flush=True)

    def images(name):
        return torch.tensor(read_idx(find(a.data, name)).reshape(-1, 1, 28, 28).astype(np.float32) / 255)

    def labels(name):
        return torch.tensor(read_idx(find(a.data, name)).astype(np.int64))

    x, y = images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte")
    xt, yt = images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte")
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(a.epochs):
        # A fresh model and Adam (lr 1e-3) each epoch, as BenchmarkCNNEpoch.
        model = cnn()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

        def step(xb, yb):
            opt.zero_grad(set_to_none=True)
            loss_fn(model(xb), yb).backward()
            opt.step()

        t = time.perf_counter()
        perm = torch.randperm(x.shape[0])
        for i in range(0, x.shape[0], 64):
            idx = perm[i:i + 64]
            step(x[idx], y[idx])
        ns = (time.perf_counter() - t) * 1e9
        with torch.no_grad():
            acc = 100 * (model(xt).argmax(1) == yt).float().mean().item()
        print(f"BenchmarkTorchCNNEpoch/{tag} \t1\t{ns:.0f} ns/op\t{acc:.2f} %acc", flush=True)


if __name__ == "__main__":
    main()
