"""SIGNS-style digits: scikit-learn's LogisticRegression vs logitlab's SoftmaxRegression.

Loads ../shared/data/sign-language-digits (beside the repository) with
``logitlab.data.load_image_folder`` at 64x64 RGB (12288 features in [0, 1]), splits it
80/20 (stratified, random_state=0) and times ``fit`` of both estimators with their
default parameters on the same float64 arrays, in the same process, interleaved.
Goals: our test accuracy >= scikit-learn's, and fit time ours / scikit-learn's <= 0.25x.

Run: ``python bench/bench_signs.py``
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from _common import Result, fmt_time, header, machine_info

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sign-language-digits"
SIZE = 64
REPEAT = 3
GOAL_TIME = 0.25


def load_split(path=DATA):
    from sklearn.model_selection import train_test_split

    from logitlab.data import load_image_folder

    t0 = time.perf_counter()
    X, y, classes = load_image_folder(path, size=SIZE, color="rgb")
    t_load = time.perf_counter() - t0
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    return X_tr, X_te, y_tr, y_te, classes, t_load


def timed_fit(est, X, y, caught):
    """Fit ``est``, return the seconds; warnings go to ``caught`` (shown once later)."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        est.fit(X, y)
        dt = time.perf_counter() - t0
    for item in w:
        key = (
            type(est).__module__.split(".")[0],
            item.category.__name__,
            str(item.message).strip().splitlines()[0],
        )
        caught[key] = caught.get(key, 0) + 1
    return dt


def main(repeat=REPEAT):
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression

    from logitlab import SoftmaxRegression

    header("signs: sklearn LogisticRegression() vs logitlab SoftmaxRegression(), defaults")
    if not DATA.is_dir():
        print(
            f"data set not found at {DATA}; skipping (it lives beside the repository, "
            "in ../shared/data)"
        )
        return None
    X_tr, X_te, y_tr, y_te, classes, t_load = load_split()
    print(
        f"{DATA.name}: {X_tr.shape[0] + X_te.shape[0]} images, {len(classes)} classes, "
        f"{SIZE}x{SIZE} RGB -> {X_tr.shape[1]} features in [0, 1], float64, loaded in "
        f"{t_load:.2f} s; train {X_tr.shape[0]}, test {X_te.shape[0]} (stratified, "
        "random_state=0)"
    )

    ests = {"sklearn": LogisticRegression(), "logitlab": SoftmaxRegression()}
    caught = {}
    # warm-up: a few iterations on a slice, so imports and first calls are not timed
    for est in ests.values():
        timed_fit(clone(est).set_params(max_iter=3), X_tr[:300], y_tr[:300], {})
    times = {k: [] for k in ests}
    fitted = {}
    for _ in range(repeat):  # interleaved: both see the same machine
        for name, est in ests.items():
            fitted[name] = clone(est)
            times[name].append(timed_fit(fitted[name], X_tr, y_tr, caught))
    acc = {name: float(est.score(X_te, y_te)) for name, est in fitted.items()}

    t_sk, t_ours = min(times["sklearn"]), min(times["logitlab"])
    for name, label in (
        ("sklearn", "sklearn LogisticRegression()"),
        ("logitlab", "logitlab SoftmaxRegression()"),
    ):
        est = fitted[name]
        n_iter = int(np.max(est.n_iter_))
        print(
            f"{label:29s}: test accuracy {acc[name]:.4f}, fit {fmt_time(min(times[name]))} "
            f"(best of {repeat}; median {fmt_time(statistics.median(times[name]))}), "
            f"{n_iter} iterations"
        )
    for (lib, cat, msg), count in caught.items():
        print(f"  {cat} from {lib} ({count} of {repeat} fits, shown once): {msg}")
    acc_ok = acc["logitlab"] >= acc["sklearn"]
    print(
        f"accuracy ours >= sklearn's: {acc['logitlab']:.4f} vs {acc['sklearn']:.4f} "
        f"{'PASS' if acc_ok else 'MISS'}"
    )
    res = Result("signs", "fit time ours / sklearn", t_ours / t_sk, GOAL_TIME, "<=")
    print(res.line())
    res.extra = {"accuracy_ok": acc_ok, "accuracy": acc}
    return res


if __name__ == "__main__":
    print(machine_info())
    main()
    sys.exit(0)
