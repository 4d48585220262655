"""One mini-batch epoch of the NumPy engine's network vs scikit-learn's MLPClassifier.

The same problem for both: 80 000 × 50 standardised features, two classes, one hidden
layer of 100 ReLU units, Adam, mini-batches of 200, L2 alpha 1e-4, float64. An epoch
is measured as (fit time with max_iter=HI − fit time with max_iter=LO) / (HI − LO), so
input validation and set-up cancel out; both run with tol=0 (no early stop) and their
default shuffling. Goal: ours / scikit-learn's <= 1.0x.

Run: ``python bench/bench_mlp_epoch.py``
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings

import numpy as np

from _common import Result, fmt_time, header

M, N_X, HIDDEN, BATCH = 80_000, 50, 100, 200
LO, HI = 1, 4
REPEAT = 3
GOAL = 1.0


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((M, N_X))
    w = rng.standard_normal(N_X)
    y = (X @ w + 0.5 * rng.standard_normal(M) > 0).astype(np.int64)
    return X, y


def ours(max_iter):
    from logitlab import NeuralNetClassifier

    return NeuralNetClassifier(
        hidden_layer_sizes=(HIDDEN,),
        solver="adam",
        learning_rate=1e-3,
        batch_size=BATCH,
        alpha=1e-4,
        max_iter=max_iter,
        tol=0,
        early_stopping=False,  # as MLPClassifier: every epoch over all of X, no hold-out
        random_state=0,
    )


def sklearns(max_iter):
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(
        hidden_layer_sizes=(HIDDEN,),
        solver="adam",
        learning_rate_init=1e-3,
        batch_size=BATCH,
        alpha=1e-4,
        max_iter=max_iter,
        tol=0,
        n_iter_no_change=max_iter + 1,
        random_state=0,
    )


def fit_time(make, X, y, max_iter):
    clf = make(max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached, by design
        t0 = time.perf_counter()
        clf.fit(X, y)
        return time.perf_counter() - t0


def main(repeat=REPEAT):
    header("network epoch: NeuralNetClassifier (NumPy engine) vs sklearn MLPClassifier")
    X, y = make_data()
    print(
        f"X: ({M}, {N_X}) float64, binary y; one hidden layer of {HIDDEN} ReLU, Adam, "
        f"batch {BATCH}, alpha 1e-4; epoch = (fit({HI}) - fit({LO})) / {HI - LO}, "
        f"median of {repeat}"
    )
    fit_time(ours, X, y, 1)  # warm-up: imports, BLAS threads, page-in
    fit_time(sklearns, X, y, 1)
    a, b = [], []
    for _ in range(repeat):  # interleaved, so both see the same machine
        a.append((fit_time(ours, X, y, HI) - fit_time(ours, X, y, LO)) / (HI - LO))
        b.append((fit_time(sklearns, X, y, HI) - fit_time(sklearns, X, y, LO)) / (HI - LO))
    t_ours, t_sk = statistics.median(a), statistics.median(b)
    print(f"logitlab epoch : {fmt_time(t_ours)}")
    print(f"sklearn epoch  : {fmt_time(t_sk)}")
    res = Result(
        "bench_mlp_epoch", "network epoch ours / sklearn MLPClassifier", t_ours / t_sk, GOAL, "<="
    )
    print(res.line())
    return res


if __name__ == "__main__":
    main()
    sys.exit(0)
