#!/usr/bin/env python3
"""Writes optim/testdata/torch_optim.json: parameter trajectories of torch.optim's optimizers and
learning rates of torch.optim.lr_scheduler's schedules, which optim's tests compare against.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 scripts/golden_optim.py
The tests read only the JSON file; CI never runs this script.

The problem has three tensors (shapes 3×4, 4 and 2×3, 22 parameters) and the objective
    f(w) = Σᵢ ½aᵢwᵢ² + bᵢwᵢ + 0.05·wᵢ⁴
with fixed aᵢ ∈ [0.1, 10] (ill-conditioned) and bᵢ, plus a step-dependent perturbation
0.3·sin(0.7·t·(i+1)) of the gradient (stored in the file), so adaptive methods see changing
signs. Go recomputes the same gradient in float64.
"""
import json, math, os
import numpy as np
import torch

torch.set_default_dtype(torch.float64)
SHAPES = [(3, 4), (4,), (2, 3)]
N = sum(int(np.prod(s)) for s in SHAPES)
rng = np.random.RandomState(7)
A = np.exp(rng.uniform(math.log(0.1), math.log(10), N))
B = rng.uniform(-1, 1, N)
W0 = rng.uniform(-2, 2, N)
STEPS = 200
EVERY = 10
# The perturbation is stored in the golden file, so that Go uses the very same values (a sine
# that differs in its last bit would otherwise grow into visible differences on the chaotic
# trajectories of some methods).
NOISE = 0.3 * np.sin(0.7 * np.arange(1, STEPS + 1)[:, None] * np.arange(1, N + 1)[None, :])


def grad(w_flat, t):
    return A * w_flat + B + 0.2 * w_flat ** 3 + NOISE[t - 1]


def tensors(w0=W0):
    out, off = [], 0
    for s in SHAPES:
        n = int(np.prod(s))
        out.append(torch.tensor(w0[off:off + n].reshape(s), requires_grad=True))
        off += n
    return out


def flat(ps):
    return np.concatenate([p.detach().numpy().ravel() for p in ps])


def run(make_opt, clip_norm=0.0, clip_value=0.0, sched=None, w0=W0):
    ps = tensors(w0)
    opt = make_opt(ps)
    s = sched(opt) if sched else None
    traj, lrs = [], []
    for t in range(1, STEPS + 1):
        g = grad(flat(ps), t)
        off = 0
        for p in ps:
            n = p.numel()
            p.grad = torch.tensor(g[off:off + n].reshape(p.shape))
            off += n
        if clip_norm:
            torch.nn.utils.clip_grad_norm_(ps, clip_norm)
        if clip_value:
            torch.nn.utils.clip_grad_value_(ps, clip_value)
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if s:
            s.step()
        if t % EVERY == 0:
            traj.append({"step": t, "w": flat(ps).tolist()})
    return traj, lrs


O = torch.optim
cases = [
    ("sgd", {"lr": 0.02}, lambda ps: O.SGD(ps, lr=0.02)),
    ("sgd", {"lr": 0.02, "weight_decay": 0.05}, lambda ps: O.SGD(ps, lr=0.02, weight_decay=0.05)),
    ("momentum", {"lr": 0.01, "momentum": 0.9}, lambda ps: O.SGD(ps, lr=0.01, momentum=0.9)),
    ("momentum", {"lr": 0.01, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01},
     lambda ps: O.SGD(ps, lr=0.01, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("nesterov", {"lr": 0.01, "momentum": 0.9}, lambda ps: O.SGD(ps, lr=0.01, momentum=0.9, nesterov=True)),
    ("nesterov", {"lr": 0.01, "momentum": 0.7, "weight_decay": 0.02},
     lambda ps: O.SGD(ps, lr=0.01, momentum=0.7, nesterov=True, weight_decay=0.02)),
    ("adagrad", {"lr": 0.1}, lambda ps: O.Adagrad(ps, lr=0.1)),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.01, "eps": 1e-6},
     lambda ps: O.Adagrad(ps, lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01, eps=1e-6)),
    ("rmsprop", {"lr": 0.01}, lambda ps: O.RMSprop(ps, lr=0.01)),
    ("rmsprop", {"lr": 0.01, "centered": True}, lambda ps: O.RMSprop(ps, lr=0.01, centered=True)),
    ("rmsprop", {"lr": 0.005, "momentum": 0.5, "alpha": 0.95}, lambda ps: O.RMSprop(ps, lr=0.005, momentum=0.5, alpha=0.95)),
    ("rmsprop", {"lr": 0.005, "momentum": 0.3, "centered": True, "weight_decay": 0.01, "eps": 1e-6},
     lambda ps: O.RMSprop(ps, lr=0.005, momentum=0.3, centered=True, weight_decay=0.01, eps=1e-6)),
    ("adam", {"lr": 0.05}, lambda ps: O.Adam(ps, lr=0.05)),
    ("adam", {"lr": 0.05, "betas": [0.8, 0.99], "weight_decay": 0.01, "eps": 1e-6},
     lambda ps: O.Adam(ps, lr=0.05, betas=(0.8, 0.99), weight_decay=0.01, eps=1e-6)),
    ("amsgrad", {"lr": 0.05}, lambda ps: O.Adam(ps, lr=0.05, amsgrad=True)),
    ("adamw", {"lr": 0.05, "weight_decay": 0.1}, lambda ps: O.AdamW(ps, lr=0.05, weight_decay=0.1)),
    ("adamw", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}, lambda ps: O.AdamW(ps, lr=0.05, weight_decay=0.1, amsgrad=True)),
    ("adamax", {"lr": 0.05}, lambda ps: O.Adamax(ps, lr=0.05)),
    ("adamax", {"lr": 0.05, "weight_decay": 0.02}, lambda ps: O.Adamax(ps, lr=0.05, weight_decay=0.02)),
    ("nadam", {"lr": 0.05}, lambda ps: O.NAdam(ps, lr=0.05)),
    ("nadam", {"lr": 0.05, "weight_decay": 0.01, "momentum_decay": 0.01},
     lambda ps: O.NAdam(ps, lr=0.05, weight_decay=0.01, momentum_decay=0.01)),
    ("radam", {"lr": 0.05}, lambda ps: O.RAdam(ps, lr=0.05)),
    ("radam", {"lr": 0.05, "weight_decay": 0.01}, lambda ps: O.RAdam(ps, lr=0.05, weight_decay=0.01)),
    ("adadelta", {"lr": 1.0}, lambda ps: O.Adadelta(ps)),
    ("adadelta", {"lr": 0.5, "rho": 0.95, "eps": 1e-4, "weight_decay": 0.01},
     lambda ps: O.Adadelta(ps, lr=0.5, rho=0.95, eps=1e-4, weight_decay=0.01)),
]
out = {"shapes": SHAPES, "a": A.tolist(), "b": B.tolist(), "w0": W0.tolist(), "steps": STEPS,
       "noise": NOISE.tolist(),
       "torch": torch.__version__, "optimizers": [], "schedules": []}
def check_not_chaotic(name, hyper, make):
    """A trajectory can only be compared to 1e-5 if rounding differences (PyTorch's vectorized
    kernels fuse multiply-adds, Go does not) do not grow along it: perturb w0 by 1e-13 relative
    and require the trajectories to stay within 1e-9."""
    a, _ = run(make)
    b, _ = run(make, w0=W0 * (1 + 1e-13))
    d = max(np.max(np.abs(np.array(x["w"]) - np.array(y["w"]))) / np.max(np.abs(x["w"])) for x, y in zip(a, b))
    if d > 1e-9:
        raise SystemExit(f"{name} {hyper}: trajectory is chaotic (perturbation grows to {d:.2g}); pick other settings")


for name, hyper, make in cases:
    check_not_chaotic(name, hyper, make)
    traj, _ = run(make)
    out["optimizers"].append({"name": name, "hyper": hyper, "trajectory": traj})
# Clipping, applied before the step as torch.nn.utils does.
for clip in ({"clip_norm": 1.0}, {"clip_value": 0.5}):
    traj, _ = run(lambda ps: O.SGD(ps, lr=0.02, momentum=0.9), **clip)
    out["optimizers"].append({"name": "momentum", "hyper": dict(lr=0.02, momentum=0.9, **clip), "trajectory": traj})
# A schedule inside a trajectory.
traj, _ = run(lambda ps: O.SGD(ps, lr=0.05, momentum=0.9),
              sched=lambda o: O.lr_scheduler.CosineAnnealingLR(o, T_max=STEPS, eta_min=0.001))
out["optimizers"].append({"name": "momentum", "hyper": {"lr": 0.05, "momentum": 0.9, "schedule": "cosine:200:0.02"},
                          "trajectory": traj})

S = O.lr_scheduler
scheds = [
    ("step:30:0.5", lambda o: S.StepLR(o, step_size=30, gamma=0.5)),
    ("multistep:50,120,170:0.3", lambda o: S.MultiStepLR(o, milestones=[50, 120, 170], gamma=0.3)),
    ("exponential:0.98", lambda o: S.ExponentialLR(o, gamma=0.98)),
    ("cosine:150:0.1", lambda o: S.CosineAnnealingLR(o, T_max=150, eta_min=0.01)),
    ("linear:0.25:1:40", lambda o: S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=40)),
    ("harmonic:20", lambda o: S.LambdaLR(o, lambda k: 1.0 / (k // 20 + 10))),
]
for spec, make in scheds:
    _, lrs = run(lambda ps: O.SGD(ps, lr=0.1), sched=make)
    out["schedules"].append({"spec": spec, "lr": 0.1, "rates": lrs})

path = os.path.join(os.path.dirname(__file__), "..", "optim", "testdata", "torch_optim.json")
tmp = path + ".tmp"
with open(tmp, "w") as f:
    json.dump(out, f)
os.replace(tmp, path)
print("wrote", path)
