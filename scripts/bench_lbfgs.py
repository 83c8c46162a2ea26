#!/usr/bin/python3
"""scikit-learn side of the full-batch L-BFGS benchmark (see scripts/bench_lbfgs.sh).

Fits LogisticRegression(solver="lbfgs", C=1) -- multinomial logistic regression, L2 penalty,
intercept not penalized -- on the 60,000 MNIST training images read from the same IDX files
descent reads (pixels / 255), and prints Go-benchmark-format lines that bench_lbfgs.sh puts beside
descent's BenchmarkLBFGSMNIST:

    BenchmarkSklearnLBFGSMNIST/threads=2  1  T ns/op  A test-acc-%  I iterations  E objective

scikit-learn minimizes ½‖w‖² + C Σ l, which is N·C times descent's E = 1/N Σ l + λ‖w‖² with
λ = 1/(2CN); the objective printed is E, to compare with descent's.

Run with Debian's python3-sklearn: /usr/bin/python3 scripts/bench_lbfgs.py --data DIR
"""
import argparse
import time
import warnings

import numpy as np
from idx import find, read_idx  # scripts/idx.py




def objective(clf, x, y, lam):
    z = x @ clf.coef_.T + clf.intercept_
    z -= z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean() + lam * (clf.coef_ ** 2).sum())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="folder with the MNIST IDX files")
    ap.add_argument("--count", type=int, default=3, help="repetitions")
    ap.add_argument("--max-iter", type=int, default=100, help="L-BFGS iterations (scikit-learn's default)")
    ap.add_argument("--threads", type=int, default=0, help="BLAS threads (0: leave as is)")
    a = ap.parse_args()
    if a.threads:
        from threadpoolctl import threadpool_limits
        threadpool_limits(a.threads)
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    warnings.simplefilter("ignore", ConvergenceWarning)

    x = read_idx(find(a.data, "train-images-idx3-ubyte")).reshape(-1, 784).astype(np.float64) / 255
    y = read_idx(find(a.data, "train-labels-idx1-ubyte")).astype(np.int64)
    xt = read_idx(find(a.data, "t10k-images-idx3-ubyte")).reshape(-1, 784).astype(np.float64) / 255
    yt = read_idx(find(a.data, "t10k-labels-idx1-ubyte")).astype(np.int64)
    C = 1.0
    lam = 1 / (2 * C * len(y))
    tag = f"threads={a.threads or 'default'}"
    for _ in range(a.count):
        clf = LogisticRegression(solver="lbfgs", C=C, max_iter=a.max_iter, tol=1e-4)
        t0 = time.perf_counter()
        clf.fit(x, y)
        dt = time.perf_counter() - t0
        acc = 100 * (clf.predict(xt) == yt).mean()
        print(f"BenchmarkSklearnLBFGSMNIST/{tag} \t       1\t{dt * 1e9:.0f} ns/op\t"
              f"{acc:.2f} test-acc-%\t{int(clf.n_iter_[0])} iterations\t{objective(clf, x, y, lam):.6f} objective", flush=True)


if __name__ == "__main__":
    main()
