"""The learning-rate finder against a grid of fixed rates, on the defaults panel.

For each data set of ``bench_defaults`` (the same splits: stratified 80/20, seed 0;
features standardised by a ``StandardScaler`` fitted on the training part), one network

    NeuralNetClassifier(solver="adam", hidden_layer_sizes=(100,), batch_size=200,
                        random_state=0)

is fitted with ``learning_rate="auto"`` (the range test of
``logitlab.numpy_engine.lr_find``, then ordinary training with the rate it found) and
with each fixed rate of ``RATES``; everything else, the number of epochs included, is
the estimator's default. The metric is the test accuracy (single-label) or the test
Hamming loss (multi-label, lower is better).

Goal, per data set: the found rate's metric is within ``SLACK`` (one point: 0.01
accuracy, 0.01 Hamming loss) of the best fixed rate's; the summary counts the data sets
that reach it ("on most data sets" is the issue's goal).

Run: ``python bench/bench_lr_find.py`` (several minutes: 8 fits per data set, the sign
photos the slowest; yeast and signs skipped where ``../shared`` is absent),
``--quick`` for a smoke test on ``bench_defaults``' tiny subsets, ``--only NAME ...``
for some data sets.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

from _common import Result, fmt_time, header, machine_info
from bench_defaults import NAMES, load, metric

RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
SLACK = 0.01
MOST = 0.51  # "most data sets": more than half of those measured
SEED = 0


def network(learning_rate):
    from logitlab import NeuralNetClassifier

    return NeuralNetClassifier(
        solver="adam",
        hidden_layer_sizes=(100,),
        batch_size=200,
        random_state=SEED,
        learning_rate=learning_rate,
    )


def fit_score(sp, X_tr, X_te, learning_rate):
    """(test metric, fitted estimator, seconds) of one fit, its warnings silenced."""
    est = network(learning_rate)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        est.fit(X_tr, sp.y_tr)
        dt = time.perf_counter() - t0
    return metric(sp.task, sp.y_te, est.predict(X_te)), est, dt


def measure(sp):
    """One data set's row: the found rate and its metric, each fixed rate's metric."""
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(sp.X_tr)
    X_tr, X_te = scaler.transform(sp.X_tr), scaler.transform(sp.X_te)
    found_metric, est, found_time = fit_score(sp, X_tr, X_te, "auto")
    fixed = {lr: fit_score(sp, X_tr, X_te, lr)[0] for lr in RATES}
    lower_better = sp.task == "multilabel"
    pick = min if lower_better else max
    best_lr = pick(RATES, key=lambda lr: fixed[lr])
    best = fixed[best_lr]
    gap = (found_metric - best) if lower_better else (best - found_metric)
    return {
        "name": sp.name,
        "task": sp.task,
        "found_lr": est.learning_rate_,
        "found_metric": found_metric,
        "found_time": found_time,
        "steps": len(est.lr_finder_.rates),
        "fixed": fixed,
        "best_lr": best_lr,
        "best_metric": best,
        "ok": gap <= SLACK + 1e-12,
    }


def table(rows, skipped):
    lines = [
        f"{'data set':18s} {'metric':8s} | {'found rate':>10s} {'metric':>7s} {'steps':>5s} | "
        f"{'best fixed':>10s} {'metric':>7s} | " + " ".join(f"{lr:>6g}" for lr in RATES) + " | goal"
    ]
    lines.append("-" * len(lines[0]))
    by_name = {r["name"]: r for r in rows}
    for name in NAMES:
        if name in skipped:
            lines.append(f"{name:18s} skipped: {skipped[name]}")
            continue
        if name not in by_name:
            continue
        r = by_name[name]
        what = "hamming" if r["task"] == "multilabel" else "accuracy"
        fixed = " ".join(f"{r['fixed'][lr]:6.4f}" for lr in RATES)
        lines.append(
            f"{name:18s} {what:8s} | {r['found_lr']:10.3g} {r['found_metric']:7.4f} "
            f"{r['steps']:5d} | {r['best_lr']:10g} {r['best_metric']:7.4f} | {fixed} | "
            f"{'PASS' if r['ok'] else 'MISS'}"
        )
    return lines


def main(quick=False, names=NAMES):
    """Run the panel; print the table and the count; one `Result` (data sets within
    one point / data sets measured)."""
    header(
        "learning-rate finder vs the best fixed rate"
        + (" (--quick: tiny subsets, 8x8 images)" if quick else "")
    )
    t0 = time.perf_counter()
    rows, skipped = [], {}
    for name in names:
        sp = load(name, quick=quick)
        if isinstance(sp, str):
            skipped[name] = sp
            print(f"{name}: skipped, {sp}")
            continue
        t = time.perf_counter()
        rows.append(measure(sp))
        print(
            f"{name}: {sp.n} x {sp.n_features} {sp.task}, train {len(sp.y_tr)} / test "
            f"{len(sp.y_te)}; 8 fits in {fmt_time(time.perf_counter() - t)}: found "
            f"{rows[-1]['found_lr']:.3g} -> {rows[-1]['found_metric']:.4f}, best fixed "
            f"{rows[-1]['best_lr']:g} -> {rows[-1]['best_metric']:.4f}",
            flush=True,
        )
    print()
    print(
        "NeuralNetClassifier(solver='adam', hidden_layer_sizes=(100,), batch_size=200, "
        "random_state=0) on StandardScaler inputs; found = learning_rate='auto' (steps: "
        "updates the range test took), the others fixed rates. Metric: test accuracy, or "
        f"Hamming loss (lower is better) for multilabel. Goal: found within {SLACK} of "
        "the best fixed rate."
    )
    for line in table(rows, skipped):
        print(line)
    n_ok = sum(r["ok"] for r in rows)
    share = n_ok / len(rows) if rows else 0.0
    res = Result(
        "lr-find",
        f"data sets where the found rate is within {SLACK} of the best fixed rate "
        f"({n_ok} of {len(rows)})",
        share,
        MOST,
        ">=",
    )
    res.extra = {
        "metric_line": f"found rate within {SLACK} of the best fixed rate on {n_ok} of "
        f"{len(rows)} data sets (goal: most) {'PASS' if share >= MOST else 'MISS'}"
    }
    print(res.extra["metric_line"])
    print(machine_info())
    print(f"total {time.perf_counter() - t0:.0f} s")
    return res


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny subsets, a smoke test")
    parser.add_argument("--only", nargs="+", choices=NAMES, help="these data sets only")
    args = parser.parse_args()
    main(quick=args.quick, names=args.only or NAMES)
    sys.exit(0)
