#!/usr/bin/env python3
"""Writes nn/testdata/golden_layers.json: PyTorch's outputs and gradients for descent's layers.

For every case it records, in float64: the layer's configuration, its parameters, the inputs of
a few training-mode forward passes made first (so that BatchNorm's running statistics move), the
measured input, a fixed random upstream gradient G, and PyTorch's output y, input gradient and
parameter gradients of sum(y * G), plus the buffers (running statistics) afterwards. Each case is
run in training and in evaluation mode. The Go test nn/golden_test.go reads only this file.

Batch Renormalization has no PyTorch module; it is written here with torch operations following
Ioffe (2017): r and d are detached, and the running mean and (unbiased) variance are updated as
BatchNorm's. Dropout in training mode draws from PyTorch's generator, which Go cannot reproduce;
its golden cases are evaluation mode and p = 0 (the Go tests check the training-mode masks).

Run with Debian's python3-torch:  /usr/bin/python3 scripts/golden_layers.py
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20240611)
DT = torch.float64


def T(t):
    t = t.detach().to(DT)
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def randn(*shape, scale=1.0, shift=0.0):
    return torch.randn(*shape, dtype=DT) * scale + shift


def uniform(lo, hi, *shape):
    return torch.rand(*shape, dtype=DT) * (hi - lo) + lo


class BatchRenorm(torch.nn.Module):
    """Batch Renormalization (Ioffe 2017) over dimension 1, with a linear r_max/d_max schedule."""

    def __init__(self, c, eps, momentum, rmax, dmax, warmup, rmax_at, dmax_at):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(c, dtype=DT))
        self.bias = torch.nn.Parameter(torch.zeros(c, dtype=DT))
        self.register_buffer("running_mean", torch.zeros(c, dtype=DT))
        self.register_buffer("running_var", torch.ones(c, dtype=DT))
        self.eps, self.momentum = eps, momentum
        self.sched = (rmax, dmax, warmup, rmax_at, dmax_at)
        self.steps = 0

    def limits(self):
        rmax, dmax, warmup, rmax_at, dmax_at = self.sched
        s = self.steps

        def ramp(end, final, start):
            if s < warmup:
                return start
            if s >= end:
                return final
            return start + (final - start) * (s - warmup) / (end - warmup)

        return ramp(rmax_at, rmax, 1.0), ramp(dmax_at, dmax, 0.0)

    def forward(self, x):
        shape = [1, x.shape[1]] + [1] * (x.dim() - 2)
        dims = [0] + list(range(2, x.dim()))
        g, b = self.weight.view(shape), self.bias.view(shape)
        if not self.training:
            return g * (x - self.running_mean.view(shape)) / torch.sqrt(self.running_var.view(shape) + self.eps) + b
        rmax, dmax = self.limits()
        mu = x.mean(dims)
        var = x.var(dims, unbiased=False)
        sig_b = torch.sqrt(var + self.eps)
        sig = torch.sqrt(self.running_var + self.eps)
        r = (sig_b / sig).detach().clamp(1 / rmax, rmax)
        d = ((mu - self.running_mean) / sig).detach().clamp(-dmax, dmax)
        xhat = (x - mu.view(shape)) / sig_b.view(shape) * r.view(shape) + d.view(shape)
        k = x.numel() / x.shape[1]
        with torch.no_grad():
            m = self.momentum
            self.running_mean.mul_(1 - m).add_(m * mu)
            self.running_var.mul_(1 - m).add_(m * var * k / (k - 1))
        self.steps += 1
        return g * xhat + b


def build(layer, cfg):
    """Returns the torch module for a case and the names of its parameters as descent names them."""
    if layer == "conv2d":
        m = torch.nn.Conv2d(cfg["in"], cfg["out"], cfg["kernel"], stride=cfg["stride"], padding=cfg["padding"],
                            dilation=cfg["dilation"], groups=cfg["groups"], bias=cfg["bias"])
    elif layer == "maxpool2d":
        m = torch.nn.MaxPool2d(cfg["kernel"], stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"])
    elif layer == "avgpool2d":
        m = torch.nn.AvgPool2d(cfg["kernel"], stride=cfg["stride"], padding=cfg["padding"],
                               count_include_pad=not cfg["exclude_pad"])
    elif layer == "batchnorm":
        cls = torch.nn.BatchNorm1d if cfg["dims"] in (2, 3) else torch.nn.BatchNorm2d
        m = cls(cfg["features"], eps=cfg["eps"], momentum=cfg["momentum"], affine=cfg["affine"])
    elif layer == "batchrenorm":
        m = BatchRenorm(cfg["features"], cfg["eps"], cfg["momentum"], cfg["rmax"], cfg["dmax"], cfg["warmup"],
                        cfg["rmax_at"], cfg["dmax_at"])
    elif layer == "layernorm":
        m = torch.nn.LayerNorm(cfg["shape"], eps=cfg["eps"])
    elif layer == "groupnorm":
        m = torch.nn.GroupNorm(cfg["groups"], cfg["channels"], eps=cfg["eps"], affine=cfg["affine"])
    elif layer == "instancenorm":
        m = torch.nn.InstanceNorm2d(cfg["channels"], eps=cfg["eps"], affine=cfg["affine"])
    elif layer == "weightnorm-linear":
        m = torch.nn.utils.weight_norm(torch.nn.Linear(cfg["in"], cfg["out"], bias=cfg["bias"]))
    elif layer == "weightnorm-conv2d":
        m = torch.nn.utils.weight_norm(torch.nn.Conv2d(cfg["in"], cfg["out"], cfg["kernel"], stride=cfg["stride"],
                                                       padding=cfg["padding"], bias=cfg["bias"]))
    elif layer == "dropout":
        m = torch.nn.Dropout(cfg["p"])
    else:
        raise ValueError(layer)
    return m.to(DT)


def randomize(m):
    """Moves every parameter away from its default so that all gradient terms are exercised."""
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name in ("weight", "weight_g") and p.dim() == 1 or name == "weight_g":
                p.copy_(uniform(0.5, 1.5, *p.shape))
            else:
                p.copy_(randn(*p.shape, scale=0.5))


def case(name, layer, cfg, x_shape, pre=0, x_scale=1.0, x_shift=0.0, modes=("train", "eval")):
    out = []
    base = build(layer, cfg)
    randomize(base)
    init_params = {k: v.detach().clone() for k, v in base.named_parameters()}
    pre_inputs = [randn(*x_shape, scale=x_scale, shift=x_shift) for _ in range(pre)]
    x0 = randn(*x_shape, scale=x_scale, shift=x_shift)
    for mode in modes:
        m = build(layer, cfg)
        with torch.no_grad():
            for k, p in m.named_parameters():
                p.copy_(init_params[k])
        m.train()
        for xi in pre_inputs:
            m(xi)
        m.train(mode == "train")
        x = x0.clone().requires_grad_(True)
        y = m(x)
        g = randn(*y.shape)
        (y * g).sum().backward()
        c = {
            "name": f"{name}/{mode}", "layer": layer, "config": cfg, "train": mode == "train",
            "params": {k: T(v) for k, v in init_params.items()},
            "pre_inputs": [T(v) for v in pre_inputs],
            "input": T(x0), "upstream": T(g), "output": T(y), "input_grad": T(x.grad),
            "param_grads": {k: T(p.grad) for k, p in m.named_parameters()},
            "buffers": {k: T(v) for k, v in m.named_buffers() if k in ("running_mean", "running_var")},
        }
        out.append(c)
    return out


def conv_cfg(cin, cout, kernel, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, bias=True):
    return {"in": cin, "out": cout, "kernel": list(kernel), "stride": list(stride), "padding": list(padding),
            "dilation": list(dilation), "groups": groups, "bias": bias}


def pool_cfg(kernel, stride=None, padding=(0, 0), dilation=(1, 1), exclude_pad=False):
    return {"kernel": list(kernel), "stride": list(stride or kernel), "padding": list(padding),
            "dilation": list(dilation), "exclude_pad": exclude_pad}


def bn_cfg(features, dims, momentum=0.1, affine=True, eps=1e-5):
    return {"features": features, "dims": dims, "eps": eps, "momentum": momentum, "affine": affine}


def renorm_cfg(features, rmax, dmax, warmup, rmax_at, dmax_at, momentum=0.1, eps=1e-5):
    return {"features": features, "eps": eps, "momentum": momentum, "rmax": rmax, "dmax": dmax, "warmup": warmup,
            "rmax_at": rmax_at, "dmax_at": dmax_at}


def main():
    cases = []
    cases += case("conv2d/basic", "conv2d", conv_cfg(3, 4, (3, 3)), (2, 3, 7, 6))
    cases += case("conv2d/stride-pad-dilation", "conv2d", conv_cfg(2, 3, (3, 2), (2, 1), (1, 2), (2, 1)), (2, 2, 8, 7))
    cases += case("conv2d/groups-nobias", "conv2d", conv_cfg(4, 6, (2, 2), groups=2, bias=False, padding=(1, 1)), (3, 4, 5, 5))
    cases += case("conv2d/lenet1", "conv2d", conv_cfg(1, 5, (5, 5)), (2, 1, 12, 12))
    cases += case("maxpool2d/2", "maxpool2d", pool_cfg((2, 2)), (2, 3, 6, 7))
    cases += case("maxpool2d/3-stride2-pad1", "maxpool2d", pool_cfg((3, 3), (2, 2), (1, 1)), (2, 2, 7, 7))
    cases += case("maxpool2d/dilated", "maxpool2d", pool_cfg((2, 3), (1, 2), (1, 1), (2, 1)), (1, 2, 6, 7))
    cases += case("avgpool2d/2", "avgpool2d", pool_cfg((2, 2)), (2, 3, 6, 6))
    cases += case("avgpool2d/3-stride2-pad1", "avgpool2d", pool_cfg((3, 3), (2, 2), (1, 1)), (2, 2, 7, 6))
    cases += case("avgpool2d/exclude-pad", "avgpool2d", pool_cfg((3, 2), (2, 1), (1, 1), exclude_pad=True), (2, 2, 6, 5))
    cases += case("batchnorm/1d", "batchnorm", bn_cfg(5, 2), (8, 5), pre=3, x_scale=2.0, x_shift=0.7)
    cases += case("batchnorm/1d-noaffine", "batchnorm", bn_cfg(4, 2, affine=False), (6, 4), pre=2, x_scale=3.0, x_shift=-1.0)
    cases += case("batchnorm/1d-cumulative", "batchnorm", bn_cfg(3, 2, momentum=None), (5, 3), pre=3, x_scale=1.5, x_shift=2.0)
    cases += case("batchnorm/1d-sequence", "batchnorm", bn_cfg(3, 3, momentum=0.3), (4, 3, 5), pre=2, x_shift=0.5)
    cases += case("batchnorm/2d", "batchnorm", bn_cfg(3, 4), (4, 3, 5, 5), pre=3, x_scale=2.0, x_shift=1.0)
    cases += case("batchrenorm/1d", "batchrenorm", renorm_cfg(5, 1.5, 0.3, 1, 3, 2), (8, 5), pre=4, x_scale=2.5, x_shift=1.0)
    cases += case("batchrenorm/2d", "batchrenorm", renorm_cfg(3, 2.0, 0.5, 0, 0, 0, momentum=0.2), (4, 3, 4, 4), pre=3, x_scale=3.0, x_shift=-0.8)
    cases += case("batchrenorm/unclipped", "batchrenorm", renorm_cfg(4, 100.0, 100.0, 0, 0, 0), (6, 4), pre=2, x_scale=1.2, x_shift=0.3)
    cases += case("layernorm/features", "layernorm", {"shape": [6], "eps": 1e-5}, (4, 6), x_scale=2.0, x_shift=1.0)
    cases += case("layernorm/chw", "layernorm", {"shape": [2, 4, 4], "eps": 1e-5}, (3, 2, 4, 4), x_scale=1.5)
    cases += case("groupnorm/2-of-6", "groupnorm", {"groups": 2, "channels": 6, "eps": 1e-5, "affine": True}, (3, 6, 4, 4), x_shift=0.5)
    cases += case("groupnorm/1-of-4", "groupnorm", {"groups": 1, "channels": 4, "eps": 1e-5, "affine": True}, (2, 4, 3, 3), x_scale=2.0)
    cases += case("groupnorm/features", "groupnorm", {"groups": 4, "channels": 8, "eps": 1e-5, "affine": True}, (5, 8))
    cases += case("instancenorm/affine", "instancenorm", {"channels": 4, "eps": 1e-5, "affine": True}, (3, 4, 5, 5), x_shift=1.0)
    cases += case("instancenorm/plain", "instancenorm", {"channels": 3, "eps": 1e-5, "affine": False}, (2, 3, 4, 6), x_scale=2.0)
    cases += case("weightnorm/linear", "weightnorm-linear", {"in": 5, "out": 4, "bias": True}, (3, 5))
    cases += case("weightnorm/conv2d", "weightnorm-conv2d",
                  {"in": 3, "out": 4, "kernel": [3, 3], "stride": [1, 1], "padding": [1, 1], "bias": True}, (2, 3, 5, 5))
    cases += case("dropout/p0.5", "dropout", {"p": 0.5}, (4, 6), modes=("eval",))
    cases += case("dropout/p0", "dropout", {"p": 0.0}, (4, 6))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nn", "testdata", "golden_layers.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write('{"generator": "scripts/golden_layers.py", "torch": "%s", "cases": [\n' % torch.__version__)
        f.write(",\n".join(json.dumps(c, separators=(",", ":")) for c in cases))
        f.write("\n]}\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
