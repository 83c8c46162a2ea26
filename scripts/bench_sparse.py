"""The Python side of scripts/bench_sparse.sh.

  bench_sparse.py run --train F --test F --configs log:1e-5,hinge:1e-4 --epochs E --reps R --size N --out FILE
      times scikit-learn's load_svmlight_file, then for each loss:λ its SGDClassifier (plain and
      averaged) and LIBLINEAR (Debian's python3-liblinear) on the same files as descent, and appends
      one JSON object per measurement to FILE.
  bench_sparse.py descent --json F --log F --train F --size N --loss L --lambda L --rep R --cores C [--rename NAME] --out FILE
      tags descent's per-epoch JSON (and its read timing, from the log) the same way.
  bench_sparse.py report DIR
      reads every result in DIR and prints the markdown tables of BENCHMARKS.md.

Run with Debian's python (/usr/bin/python3), which has python3-sklearn and python3-liblinear.
"""

import argparse
import glob
import json
import os
import statistics
import sys
import time

# Bottou's svmsgd and svmasgd (sgd 2.0) are not installable here; these are the figures recorded on
# this machine kind for 200,000 RCV1-shaped documents (15.2M nonzeros, λ = 1e-5, log loss): seconds
# per epoch, and the test error of svmsgd after 5 epochs. They are quoted, not measured.
BOTTOU = {"svmsgd": 0.057, "svmasgd": 0.087, "nnz": 15.2e6, "svmsgd_error": 0.148,
          "sklearn_epoch": 0.17, "sklearn_read": 12.9, "sklearn_read_mb": 384}


def objective(X, y, w, b, loss, lam):
    """The regularized objective 1/N Σ ℓ(y·(w·x+b)) + λ/2 ‖w‖², as descent computes it."""
    import numpy as np
    z = y * (X @ w + b)
    if loss == "log":
        l = np.logaddexp(0, -z)
    elif loss == "hinge":
        l = np.maximum(0, 1 - z)
    else:
        l = np.maximum(0, 1 - z) ** 2
    return float(l.mean() + lam / 2 * (w @ w))


def run(a):
    import numpy as np
    from sklearn.datasets import load_svmlight_file
    from sklearn.linear_model import SGDClassifier
    import liblinear
    import liblinearutil as lu
    liblinear.scipy = np  # the binding calls numpy functions through old scipy aliases
    lu.scipy = np

    out = open(a.out, "a")

    def emit(**kw):
        kw.update(size=a.size)
        out.write(json.dumps(kw) + "\n")
        out.flush()
        print("  ", kw, file=sys.stderr)

    t = time.perf_counter()
    X, y = load_svmlight_file(a.train)
    read = time.perf_counter() - t
    emit(tool="sklearn", what="read", seconds=read, bytes=os.path.getsize(a.train), nnz=int(X.nnz))
    Xt, yt = load_svmlight_file(a.test, n_features=X.shape[1])
    y = np.where(y > 0, 1.0, -1.0)
    yt = np.where(yt > 0, 1.0, -1.0)
    n = X.shape[0]
    prob = lu.problem(y, X)

    for cfg in a.configs.split(","):
        loss, lam = cfg.split(":")
        lam = float(lam)
        tag = {"loss": loss, "lambda": lam}
        sk_loss = {"log": "log_loss", "hinge": "hinge", "squared-hinge": "squared_hinge"}[loss]
        for name, kw in (("SGDClassifier", {}), ("SGDClassifier average=True", {"average": True})):
            for rep in range(a.reps):
                clf = SGDClassifier(loss=sk_loss, alpha=lam, max_iter=a.epochs, tol=None, random_state=rep, **kw)
                t = time.perf_counter()
                clf.fit(X, y)
                secs = time.perf_counter() - t
                emit(tool="sklearn", what=name, rep=rep, epochs=a.epochs, seconds=secs, test_error=1 - clf.score(Xt, yt),
                     objective=objective(X, y, clf.coef_.ravel(), clf.intercept_[0], loss, lam), **tag)

        # LIBLINEAR minimizes C Σ ℓ + ½‖w‖², the same problem for C = 1/(λN); no bias by default.
        c = 1 / (lam * n)
        solvers = {"log": [("-s 0", "primal Newton"), ("-s 7", "dual CD")],
                   "hinge": [("-s 3", "dual CD")],
                   "squared-hinge": [("-s 2", "primal Newton"), ("-s 1", "dual CD")]}[loss]
        for opt, what in solvers:
            t = time.perf_counter()
            m = lu.train(prob, f"{opt} -c {c!r} -q")
            secs = time.perf_counter() - t
            _, acc, _ = lu.predict(yt, Xt, m, "-q")
            w = np.array([m.w[i] for i in range(X.shape[1])])
            if m.get_labels()[0] != 1:
                w = -w
            emit(tool="liblinear", what=f"liblinear {opt} ({what})", seconds=secs, test_error=1 - acc[0] / 100,
                 objective=objective(X, y, w, 0.0, loss, lam), **tag)


def ingest(a):
    import re
    out = open(a.out, "a")
    tag = {"tool": "descent", "size": a.size, "loss": a.loss, "lambda": a.lam, "rep": a.rep, "cores": a.cores}
    for line in open(a.log):
        m = re.match(r"descent linear: read (\S+): (\d+) examples, (\d+) features, (\d+) nonzeros .* in ([\d.]+) s", line)
        if m and m.group(1) == a.train:
            out.write(json.dumps(dict(tag, what="read", seconds=float(m.group(5)), nnz=int(m.group(4)),
                                      bytes=os.path.getsize(a.train))) + "\n")
    for line in open(a.json):
        r = dict(tag, **json.loads(line))
        if a.rename:
            r["optimizer"] = a.rename
        out.write(json.dumps(r) + "\n")


def load(dirname):
    rows = []
    for path in sorted(glob.glob(os.path.join(dirname, "*.jsonl"))):
        for line in open(path):
            rows.append(json.loads(line))
    return rows


def report(a):
    rows = load(a.dir)
    configs = sorted({(r["size"], r["loss"], r["lambda"]) for r in rows if "loss" in r}, key=lambda c: (c[0], c[1]))
    for size, loss, lam in configs:
        rs = [r for r in rows if (r["size"], r.get("loss"), r.get("lambda")) == (size, loss, lam)]
        d = [r for r in rs if r["tool"] == "descent"]
        nnz = next((r["nnz"] for r in d if r.get("what") == "read"), None)
        epochs = max(r["epoch"] for r in d if r.get("optimizer") == "sgd")
        print(f"\n#### {size:,} documents, {loss} loss, λ = {lam:g}, {epochs} epochs\n")
        print("| method | cores | time per epoch (s) | nonzeros/s | time for all epochs (s) | test error | objective |")
        print("|---|---|---|---|---|---|---|")

        def runs(opt):
            by = {}
            for r in d:
                if r.get("optimizer") == opt:
                    by.setdefault(r["rep"], []).append(r)
            return [sorted(v, key=lambda r: r["epoch"]) for v in by.values()]

        best = {}
        cores = str(d[0].get("cores", 2))
        names = {"sgd": "descent sgd", "asgd": "descent asgd", "hogwild": "descent hogwild (replicas)",
                 "hogwild-shared": "descent hogwild, shared weights (Niu et al.)"}
        for opt, nc in (("sgd", "1"), ("asgd", "1"), ("hogwild", cores), ("hogwild-shared", cores)):
            rr = runs(opt)
            if not rr:
                continue
            # Steady-state epoch: the median of epochs 2.. (epoch 1 also calibrates η₀; ASGD
            # starts averaging in epoch 2); the best of the repetitions.
            per = []
            for v in rr:
                secs = [v[0]["seconds"]] + [v[i]["seconds"] - v[i - 1]["seconds"] for i in range(1, len(v))]
                per.append((statistics.median(secs[1:]) if len(secs) > 1 else secs[0], v))
            ep, v = min(per, key=lambda p: p[0])
            best[opt] = (ep, v[-1])
            print(f"| {names[opt]} | {nc} | {ep:.4f} | {nnz / ep / 1e6:.0f}M | {v[-1]['seconds']:.3f} "
                  f"| {100 * v[-1]['test_error']:.2f}% | {v[-1]['objective']:.6f} |")
        lb = sorted((r for r in d if r.get("optimizer") == "lbfgs"), key=lambda r: r["epoch"])
        if lb and "sgd" in best:
            target = best["sgd"][1]["test_error"]
            hit = next((r for r in lb if r["test_error"] <= target), None)
            if hit:
                print(f"| descent lbfgs, to SGD's test error | {cores} | | | {hit['seconds']:.3f} ({hit['epoch']} iterations) "
                      f"| {100 * hit['test_error']:.2f}% | {hit['objective']:.6f} |")
            else:
                print(f"| descent lbfgs, to SGD's test error | {cores} | | | not reached in {lb[-1]['epoch']} iterations "
                      f"({lb[-1]['seconds']:.3f} s) | {100 * min(r['test_error'] for r in lb):.2f}% best | {lb[-1]['objective']:.6f} |")
            print(f"| descent lbfgs, {lb[-1]['epoch']} iterations | {cores} | | | {lb[-1]['seconds']:.3f} "
                  f"| {100 * lb[-1]['test_error']:.2f}% | {lb[-1]['objective']:.6f} |")
        for what in ("SGDClassifier", "SGDClassifier average=True"):
            sk = [r for r in rs if r.get("what") == what]
            if sk:
                r = min(sk, key=lambda r: r["seconds"])
                ep = r["seconds"] / r["epochs"]
                print(f"| scikit-learn {what} | 1 | {ep:.4f} | {nnz / ep / 1e6:.0f}M | {r['seconds']:.3f} "
                      f"| {100 * r['test_error']:.2f}% | {r['objective']:.6f} |")
        for r in rs:
            if r["tool"] == "liblinear":
                print(f"| {r['what']} | 1 | | | {r['seconds']:.3f} | {100 * r['test_error']:.2f}% | {r['objective']:.6f} |")
        if loss == "log" and nnz:
            scale = nnz / BOTTOU["nnz"]
            note = "recorded" if abs(scale - 1) < 0.01 else f"recorded figure × {scale:.2f} (nonzeros)"
            for prog in ("svmsgd", "svmasgd"):
                print(f"| Bottou's {prog} ({note}, not run) | 1 | {BOTTOU[prog] * scale:.4f} "
                      f"| {BOTTOU['nnz'] / BOTTOU[prog] / 1e6:.0f}M | | | |")
            if "sgd" in best and "hogwild" in best:
                sv = BOTTOU["svmsgd"] * scale
                print(f"\nSpeed per epoch: descent SGD {sv / best['sgd'][0]:.2f}× Bottou's svmsgd; "
                      f"Hogwild {sv / best['hogwild'][0]:.2f}× svmsgd and "
                      f"{best['sgd'][0] / best['hogwild'][0]:.2f}× descent SGD"
                      + (f" (with shared weights: {sv / best['hogwild-shared'][0]:.2f}× svmsgd)" if "hogwild-shared" in best else "")
                      + (f"; descent ASGD {BOTTOU['svmasgd'] * scale / best['asgd'][0]:.2f}× svmasgd." if "asgd" in best else "."))

        reads = [r for r in d if r.get("what") == "read"]
        skr = [r for r in rows if r["size"] == size and r["tool"] == "sklearn" and r.get("what") == "read"]
        if reads and skr:
            dr = min(r["seconds"] for r in reads)
            sr = min(r["seconds"] for r in skr)
            mb = reads[0]["bytes"] / 1e6
            print(f"\nReading the training file ({mb:.0f} MB, {nnz / 1e6:.1f}M nonzeros): descent {dr:.2f} s "
                  f"({mb / dr:.0f} MB/s, best of {len(reads)}), scikit-learn's load_svmlight_file {sr:.2f} s "
                  f"({mb / sr:.0f} MB/s): {sr / dr:.1f}× faster.")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--train", required=True)
    r.add_argument("--test", required=True)
    r.add_argument("--configs", default="log:1e-5,hinge:1e-4")
    r.add_argument("--epochs", type=int, default=5)
    r.add_argument("--reps", type=int, default=3)
    r.add_argument("--size", type=int, required=True)
    r.add_argument("--out", required=True)
    g = sub.add_parser("descent")
    for f in ("json", "log", "train", "loss", "out"):
        g.add_argument("--" + f, required=True)
    g.add_argument("--lambda", dest="lam", type=float, required=True)
    for f in ("size", "rep", "cores"):
        g.add_argument("--" + f, type=int, required=True)
    g.add_argument("--rename", default="", help="report the runs under this optimizer name")
    q = sub.add_parser("report")
    q.add_argument("dir")
    a = p.parse_args()
    {"run": run, "descent": ingest, "report": report}[a.cmd](a)


if __name__ == "__main__":
    main()
