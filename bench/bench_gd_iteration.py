"""One full-batch gradient-descent iteration of the estimator vs the bare NumPy floor.

The estimator's cost per iteration is measured as
(fit time with max_iter=HI − fit time with max_iter=LO) / (HI − LO), so input
validation and set-up cancel out. The floor is the two matrix-vector products of
logistic regression alone, on the same (m, n_x) C-ordered array:
z = X @ w, then grad = X.T @ dz. Goal: estimator / floor <= 1.15x.

Run: ``python bench/bench_gd_iteration.py``
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from _common import Result, fmt_time, header, machine_info

M, N_X = 1000, 12288  # 1000 examples of 64x64x3 features
LO, HI = 10, 60
REPEAT = 5
GOAL = 1.15


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((M, N_X))  # scikit-learn layout, C-ordered, float64
    y = (rng.random(M) < 0.5).astype(np.int64)
    return X, y


def fit_time(X, y, max_iter):
    from logitlab import LogisticRegression

    clf = LogisticRegression(solver="gd", tol=0, max_iter=max_iter, learning_rate=0.01)
    t0 = time.perf_counter()
    clf.fit(X, y)
    dt = time.perf_counter() - t0
    assert clf.n_iter_ == max_iter
    return dt


def floor_time(X, w, dz, n_iter):
    """Seconds per iteration of the two products alone, over a block of n_iter."""
    t0 = time.perf_counter()
    for _ in range(n_iter):
        z = X @ w  # (m,)   forward:  z = Xw
        grad = X.T @ dz  # (n_x,) backward: dw = Xᵀ dz (before the 1/m)
    del z, grad
    return (time.perf_counter() - t0) / n_iter


def main(repeat=REPEAT):
    header("gd iteration: LogisticRegression(solver='gd') vs two bare mat-vec products")
    X, y = make_data()
    m, n_x = X.shape
    print(
        f"X: ({m}, {n_x}) float64 C-ordered ({X.nbytes / 2**20:.0f} MiB), binary y; "
        f"estimator: (fit(max_iter={HI}) - fit(max_iter={LO})) / {HI - LO}; "
        f"floor: z = X @ w; grad = X.T @ dz, {HI - LO} times"
    )
    rng = np.random.default_rng(1)
    w, dz = rng.standard_normal(n_x), rng.standard_normal(m)

    # warm-up: BLAS threads, page-in of X, imports
    fit_time(X, y, 3)
    floor_time(X, w, dz, 3)

    est, flo = [], []
    for _ in range(repeat):  # interleaved, so both see the same machine
        t_lo = fit_time(X, y, LO)
        t_hi = fit_time(X, y, HI)
        est.append((t_hi - t_lo) / (HI - LO))
        flo.append(floor_time(X, w, dz, HI - LO))
    t_est, t_floor = statistics.median(est), statistics.median(flo)
    print(
        f"estimator gd iteration : {fmt_time(t_est)} "
        f"(median of {repeat}; all: {', '.join(fmt_time(t) for t in est)})"
    )
    print(
        f"floor (2 mat-vecs)     : {fmt_time(t_floor)} "
        f"(median of {repeat}; all: {', '.join(fmt_time(t) for t in flo)})"
    )
    res = Result("gd_iteration", "gd iteration / bare mat-vec floor", t_est / t_floor, GOAL, "<=")
    print(res.line())
    return res


if __name__ == "__main__":
    print(machine_info())
    main()
    sys.exit(0)
