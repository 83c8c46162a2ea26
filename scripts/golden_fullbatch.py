#!/usr/bin/python3
"""Writes the golden files of descent's full-batch methods (optim/testdata/fullbatch_*.json):
the minimizers that scipy.optimize finds, with tight tolerances, for

  fullbatch_surfaces.json  the 2-D surfaces of package surface, from their conventional starts
                           (and a second start each), by BFGS, L-BFGS-B, Newton-CG and trust-exact;
  fullbatch_logreg.json    L2-regularized binary logistic regression on scikit-learn's breast-cancer
                           set (569 examples, 30 standardized features rounded to 4 decimals),
                           E(w, b) = 1/N Σ log(1 + exp(−yᵢ(xᵢᵀw + b))) + λ‖w‖² (bias not penalized),
                           with scikit-learn's LogisticRegression(C = 1/(2λN)) as a cross-check;
  fullbatch_softmax.json   L2-regularized multinomial logistic regression on the first 500 images of
                           scikit-learn's digits (64 features = pixel/16, 10 classes),
                           E(W, b) = 1/N Σ [logsumexp(Wxᵢ + b) − (Wxᵢ + b)_yᵢ] + λ(‖W‖² + ‖b‖²).

Each file keeps the runs that reached ‖∇f‖ ≤ 1e-9 (at least two per problem, agreeing to 5e-7; scipy's
Newton-CG stops on its step size and L-BFGS-B on the change of f, sometimes earlier). λ is 1e-3 for the
binary and 1e-2 for the multinomial problem. The data are embedded in the JSON, so the Go tests read only
these files and never run Python; the output is deterministic.
Run with Debian's Python (python3-scipy, python3-sklearn):

    /usr/bin/python3 scripts/golden_fullbatch.py
"""
import json
import math
import os
import sys

import numpy as np
import scipy
import scipy.optimize as so
from scipy.special import logsumexp, expit

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "optim", "testdata")


# ---- surfaces: the same formulas as surface/surface.go -------------------------------------------

def quadratic(kappa, theta):
    c, s = math.cos(theta), math.sin(theta)
    A = np.array([[c * c + kappa * s * s, c * s - kappa * c * s], [c * s - kappa * c * s, s * s + kappa * c * c]])
    return (lambda p: 0.5 * p @ A @ p, lambda p: A @ p, lambda p: A)


def rosenbrock():
    f = lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
    g = lambda p: np.array([-2 * (1 - p[0]) - 400 * p[0] * (p[1] - p[0] ** 2), 200 * (p[1] - p[0] ** 2)])
    h = lambda p: np.array([[2 - 400 * p[1] + 1200 * p[0] ** 2, -400 * p[0]], [-400 * p[0], 200.0]])
    return f, g, h


BEALE_C = (1.5, 2.25, 2.625)


def beale():
    def f(p):
        x, y = p
        return sum((BEALE_C[i - 1] - x + x * y ** i) ** 2 for i in (1, 2, 3))

    def g(p):
        x, y = p
        out = np.zeros(2)
        for i in (1, 2, 3):
            r = BEALE_C[i - 1] - x + x * y ** i
            out[0] += 2 * r * (y ** i - 1)
            out[1] += 2 * r * x * i * y ** (i - 1)
        return out

    def h(p):
        x, y = p
        H = np.zeros((2, 2))
        for i in (1, 2, 3):
            r = BEALE_C[i - 1] - x + x * y ** i
            rx, ry = y ** i - 1, x * i * y ** (i - 1)
            rxy = i * y ** (i - 1)
            ryy = x * i * (i - 1) * y ** (i - 2) if i >= 2 else 0.0
            H[0, 0] += 2 * rx * rx
            H[0, 1] += 2 * (rx * ry + r * rxy)
            H[1, 1] += 2 * (ry * ry + r * ryy)
        H[1, 0] = H[0, 1]
        return H

    return f, g, h


def himmelblau():
    f = lambda p: (p[0] ** 2 + p[1] - 11) ** 2 + (p[0] + p[1] ** 2 - 7) ** 2

    def g(p):
        x, y = p
        a, b = x * x + y - 11, x + y * y - 7
        return np.array([4 * x * a + 2 * b, 2 * a + 4 * y * b])

    def h(p):
        x, y = p
        return np.array([[12 * x * x + 4 * y - 42, 4 * (x + y)], [4 * (x + y), 12 * y * y + 4 * x - 26]])

    return f, g, h


def booth():
    f = lambda p: (p[0] + 2 * p[1] - 7) ** 2 + (2 * p[0] + p[1] - 5) ** 2

    def g(p):
        a, b = p[0] + 2 * p[1] - 7, 2 * p[0] + p[1] - 5
        return np.array([2 * a + 4 * b, 4 * a + 2 * b])

    return f, g, lambda p: np.array([[10.0, 8.0], [8.0, 10.0]])


def run_methods(f, g, h, x0):
    """Minimizes with four scipy methods at tight tolerances; returns {method: result}."""
    x0 = np.asarray(x0, dtype=float)
    runs = {
        "BFGS": so.minimize(f, x0, jac=g, method="BFGS", options={"gtol": 1e-13, "maxiter": 100000}),
        "L-BFGS-B": so.minimize(f, x0, jac=g, method="L-BFGS-B",
                                options={"gtol": 1e-14, "ftol": 0.0, "maxiter": 100000, "maxcor": 10}),
        "Newton-CG": so.minimize(f, x0, jac=g, hess=h, method="Newton-CG", options={"xtol": 1e-14, "maxiter": 100000}),
        "trust-exact": so.minimize(f, x0, jac=g, hess=h, method="trust-exact", options={"gtol": 1e-12}),
    }
    return keep_converged(runs, f, g)


def keep_converged(runs, f, g):
    """Keeps the runs that reached ‖∇f‖ ≤ 1e-9 (scipy's Newton-CG stops on the step size, sometimes
    early); at least two must remain."""
    out = {}
    for name, r in runs.items():
        gn = float(np.linalg.norm(g(r.x)))
        if gn > 1e-9:
            print(f"  (dropping {name}: stopped at ‖∇f‖ = {gn:.1e}: {r.message})")
            continue
        out[name] = {"x": [float(v) for v in r.x], "f": float(f(r.x)), "grad_norm": gn, "iterations": int(r.nit)}
    if len(out) < 2:
        sys.exit(f"fewer than two scipy methods converged: {runs}")
    return out


def surfaces():
    cases = [
        ("quadratic", {"kappa": 50.0, "theta": math.pi / 6}, quadratic(50.0, math.pi / 6), [[-2, 1.5], [3, 4]]),
        ("rosenbrock", {}, rosenbrock(), [[-1.2, 1], [2, -1]]),
        ("beale", {}, beale(), [[1, 1.5], [2, 0]]),
        ("booth", {}, booth(), [[-5, -5], [4, 1]]),
        ("himmelblau", {}, himmelblau(), [[0, 0], [-1, 2]]),
    ]
    out = []
    for name, params, (f, g, h), starts in cases:
        for x0 in starts:
            runs = run_methods(f, g, h, x0)
            xs = np.array([r["x"] for r in runs.values()])
            spread = float(np.max(np.abs(xs - xs[0])))
            if spread > 5e-7:
                sys.exit(f"{name} from {x0}: scipy's methods disagree by {spread}: {runs}")
            out.append({"surface": name, "params": params, "start": [float(v) for v in x0], "scipy": runs})
            print(f"{name:10s} from {x0}: x* = {runs['L-BFGS-B']['x']} (methods agree to {spread:.1e})")
    return out


# ---- logistic regression -------------------------------------------------------------------------

def sklearn_data():
    from sklearn.datasets import load_breast_cancer, load_digits
    return load_breast_cancer(), load_digits()


def logreg(cancer):
    X = cancer.data.astype(float)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    X4 = np.round(X, 4)  # stored in the JSON
    X = np.float32(X4).astype(float)  # the features descent reads (float32)
    y01 = cancer.target.astype(int)
    y = 2.0 * y01 - 1
    n, d = X.shape
    lam = 1e-3

    def f(p):
        w, b = p[:d], p[d]
        return float(np.mean(np.logaddexp(0, -y * (X @ w + b))) + lam * w @ w)

    def g(p):
        w, b = p[:d], p[d]
        s = -y * expit(-y * (X @ w + b)) / n
        return np.concatenate([X.T @ s + 2 * lam * w, [s.sum()]])

    def h(p):
        w, b = p[:d], p[d]
        sig = expit(X @ w + b)
        dd = sig * (1 - sig) / n
        Xa = np.hstack([X, np.ones((n, 1))])
        H = Xa.T @ (dd[:, None] * Xa)
        H[:d, :d] += 2 * lam * np.eye(d)
        return H

    x0 = np.zeros(d + 1)
    runs = run_methods(f, g, h, x0)
    xs = np.array([r["x"] for r in runs.values()])
    spread = float(np.max(np.abs(xs - xs[0])))
    if spread > 5e-7:
        sys.exit(f"logreg: scipy's methods disagree by {spread}: " + str({k: (r["grad_norm"], r["iterations"]) for k, r in runs.items()}))
    from sklearn.linear_model import LogisticRegression
    C = 1 / (2 * lam * n)
    sk = LogisticRegression(C=C, tol=1e-12, max_iter=100000).fit(X, y01)
    skx = np.concatenate([sk.coef_[0], sk.intercept_])
    skdiff = float(np.max(np.abs(skx - xs[0])))
    print(f"logreg: {n}×{d}, λ = {lam}: f* = {next(iter(runs.values()))['f']:.12f}, methods agree to {spread:.1e}, "
          f"scikit-learn LogisticRegression(C={C:.6g}) to {skdiff:.1e}")
    return {
        "description": "L2-regularized logistic regression, breast cancer (standardized, 4 decimals), "
                       "E = 1/N sum log(1+exp(-y(xw+b))) + lambda |w|^2, bias not penalized; params = w then b",
        "lambda": lam, "n": n, "d": d,
        "x": [[float(v) for v in row] for row in X4], "y": [int(v) for v in y01],
        "scipy": runs, "sklearn_x": [float(v) for v in skx], "sklearn_C": C,
    }


def softmax(digits):
    m = 500
    pix = digits.data[:m].astype(int)
    X = pix / 16.0
    yl = digits.target[:m].astype(int)
    n, d = X.shape
    k = 10
    lam = 1e-2
    Y = np.eye(k)[yl]

    def unpack(p):
        return p[:k * d].reshape(k, d), p[k * d:]

    def f(p):
        W, b = unpack(p)
        Z = X @ W.T + b
        return float(np.mean(logsumexp(Z, axis=1) - Z[np.arange(n), yl]) + lam * (p @ p))

    def g(p):
        W, b = unpack(p)
        Z = X @ W.T + b
        P = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
        R = (P - Y) / n
        return np.concatenate([(R.T @ X).ravel(), R.sum(axis=0)]) + 2 * lam * p

    def h(p):
        W, b = unpack(p)
        Z = X @ W.T + b
        P = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
        Xa = np.hstack([X, np.ones((n, 1))])
        H = np.zeros((k * d + k, k * d + k))
        for a in range(k):
            for c in range(k):
                wts = P[:, a] * ((a == c) - P[:, c]) / n
                B = Xa.T @ (wts[:, None] * Xa)  # (d+1)×(d+1)
                ia = list(range(a * d, (a + 1) * d)) + [k * d + a]
                ic = list(range(c * d, (c + 1) * d)) + [k * d + c]
                H[np.ix_(ia, ic)] = B
        return H + 2 * lam * np.eye(k * d + k)

    x0 = np.zeros(k * d + k)
    r1 = so.minimize(f, x0, jac=g, method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 0.0, "maxiter": 100000})
    r2 = so.minimize(f, x0, jac=g, hess=h, method="trust-exact", options={"gtol": 1e-12})
    r3 = so.minimize(f, x0, jac=g, hess=h, method="Newton-CG", options={"xtol": 1e-14, "maxiter": 10000})
    r4 = so.minimize(f, x0, jac=g, hess=h, method="trust-ncg", options={"gtol": 1e-12})
    runs = keep_converged({"L-BFGS-B": r1, "trust-exact": r2, "Newton-CG": r3, "trust-ncg": r4}, f, g)
    xs = np.array([r["x"] for r in runs.values()])
    spread = float(np.max(np.abs(xs - xs[0])))
    if spread > 5e-7:
        sys.exit(f"softmax: scipy's methods disagree by {spread}")
    print(f"softmax: {n}×{d}, {k} classes, λ = {lam}: f* = {next(iter(runs.values()))['f']:.12f}, methods agree to {spread:.1e}")
    return {
        "description": "L2-regularized multinomial logistic regression, first 500 digits, features = pixel/16, "
                       "E = 1/N sum [logsumexp(Wx+b) - (Wx+b)_y] + lambda (|W|^2 + |b|^2); params = W (10x64, row-major) then b",
        "lambda": lam, "n": n, "d": d, "classes": k,
        "pixels": [[int(v) for v in row] for row in pix], "y": [int(v) for v in yl],
        "scipy": runs,
    }


def dump(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w") as fh:
        json.dump(obj, fh, separators=(",", ":"))
        fh.write("\n")
    print("wrote", os.path.relpath(path))


def main():
    os.makedirs(OUT, exist_ok=True)
    meta = {"generator": "scripts/golden_fullbatch.py", "scipy_version": scipy.__version__, "numpy_version": np.__version__}
    dump("fullbatch_surfaces.json", {**meta, "cases": surfaces()})
    cancer, digits = sklearn_data()
    dump("fullbatch_logreg.json", {**meta, **logreg(cancer)})
    dump("fullbatch_softmax.json", {**meta, **softmax(digits)})


if __name__ == "__main__":
    main()
