"""A defaults panel: logitlab's estimators and scikit-learn's, each with its defaults.

For each data set, four models with their default parameters, fitted side by side in
one run on the same split and the same inputs:

- ``ours linear``: logitlab's linear model for the task (``logitlab.spec.DEFAULT_MODEL``,
  what ``logitlab train --model auto`` picks): `LogisticRegression` (binary),
  `SoftmaxRegression` (multi-class), `MultiLabelClassifier` (multi-label);
- ``ours NN``: logitlab's ``NeuralNetClassifier(random_state=0)``;
- ``sk LR``: scikit-learn's ``LogisticRegression()`` (multi-label:
  ``OneVsRestClassifier(LogisticRegression())``);
- ``sk MLP``: scikit-learn's ``MLPClassifier(random_state=0)``.

All four see the same inputs: features standardised by a ``StandardScaler`` fitted on
the training part (what ``logitlab train`` does by default). One extra column,
``ours NN raw``, fits ``NeuralNetClassifier(random_state=0)`` on the unscaled inputs, as
``logitlab train --model mlp --no-standardize`` does.

Data sets, each split once, stratified, seed 0 (`logitlab.data.stratify.stratified_split`,
which for class labels is scikit-learn's ``train_test_split(stratify=y)``; iterative
stratification for multi-label data), 20% held out:

- ``digits``, ``breast_cancer``, ``iris``, ``moons`` and the three ``shapes`` tasks
  through ``logitlab.data.load_source`` as ``logitlab train --data NAME`` loads them
  (digits scaled to [0, 1]; moons ``make_moons(500, noise=0.2, random_state=0)``;
  shapes 600 generated 64x64 RGB pictures, seed 0);
- ``wine``: ``sklearn.datasets.load_wine()``;
- ``yeast``: ``../shared/data/yeast/yeast-{train,test}.arff``, MULAN's own 1500/917
  split (not re-split);
- ``signs``: ``../shared/data/sign-language-digits`` at the command's default
  ``--size`` 64, RGB (12288 features in [0, 1]);

the last two skipped, with the reason, where ``../shared`` is absent.

The metric is the test accuracy (single-label) or the test Hamming loss (multi-label);
the time is that of ``fit`` alone (the best of ``--repeat`` fits, interleaved across the
models, after a warm-up fit of each model on a few rows). Warnings are silenced per fit
and counted: ``!`` marks a fit that raised a ConvergenceWarning.

Goals, per data set: ``NeuralNetClassifier()`` reaches ``MLPClassifier()``'s metric (a
tie within one test example counts: accuracy at most 1/n_test lower, Hamming loss at
most 1/n_test higher), and its fit time / ``MLPClassifier()``'s <= 1x; both on the
standardised inputs.

Run: ``python bench/bench_defaults.py`` (several minutes; the sign photos take most),
``--quick`` for a smoke test on tiny stratified subsets (8x8 images).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from _common import Result, fmt_time, header, machine_info

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
YEAST = SHARED / "yeast"
SIGNS = SHARED / "sign-language-digits"
SIZE = 64  # `logitlab train`'s default --size
SEED = 0
TEST_SIZE = 0.2
REPEAT = 1
GOAL_TIME = 1.0
QUICK_SIZE = 8  # --quick: images at 8x8
QUICK_TRAIN, QUICK_TEST = 90, 45  # --quick: rows kept of each part (stratified)

#: the data sets, in the table's order
NAMES = (
    "digits",
    "breast_cancer",
    "wine",
    "iris",
    "moons",
    "shapes-binary",
    "shapes-multiclass",
    "shapes-multilabel",
    "yeast",
    "signs",
)
SHARED_NAMES = ("yeast", "signs")
#: the columns: key, heading
MODELS = (
    ("ours_linear", "ours linear"),
    ("ours_nn", "ours NN"),
    ("sk_lr", "sk LR"),
    ("sk_mlp", "sk MLP"),
    ("ours_nn_raw", "ours NN raw"),
)


@dataclass
class Split:
    """One data set's train and test parts, unscaled."""

    name: str
    task: str
    X_tr: np.ndarray
    X_te: np.ndarray
    y_tr: np.ndarray
    y_te: np.ndarray
    note: str = ""

    @property
    def n(self):
        return len(self.y_tr) + len(self.y_te)

    @property
    def n_features(self):
        return self.X_tr.shape[1]


@dataclass
class Row:
    """One data set's measurements: per model, the metric, the best time and warnings."""

    split: Split
    metric: dict = field(default_factory=dict)
    time: dict = field(default_factory=dict)
    converge: dict = field(default_factory=dict)
    other: dict = field(default_factory=dict)
    messages: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------- data
def _subset(y, n, seed=SEED):
    """Stratified rows of ``y`` keeping ``n`` of them (all if there are no more)."""
    from logitlab.data.stratify import stratified_split

    if n >= len(y):
        return np.arange(len(y))
    return stratified_split(y, n, seed)[1]


def _split_arrays(name, X, y, task, quick, note=""):
    from logitlab.data.stratify import stratified_split

    tr, te = stratified_split(y, TEST_SIZE, SEED)
    if quick:
        tr = tr[_subset(y[tr], QUICK_TRAIN)]
        te = te[_subset(y[te], QUICK_TEST)]
    X_tr, X_te = np.asarray(X[tr], dtype=np.float64), np.asarray(X[te], dtype=np.float64)
    return Split(name, task, X_tr, X_te, y[tr], y[te], note)


def load(name, quick=False):
    """The `Split` of data set ``name``, or a string saying why it is skipped."""
    from logitlab.data import load_source, split

    size = QUICK_SIZE if quick else SIZE
    if name == "wine":
        from sklearn.datasets import load_wine

        bunch = load_wine()
        return _split_arrays(name, bunch.data, bunch.target, "multiclass", quick)
    if name == "yeast":
        train, test = YEAST / "yeast-train.arff", YEAST / "yeast-test.arff"
        if not (train.is_file() and test.is_file()):
            return f"not found at {YEAST} (../shared/data is absent)"
        tr, te = split(load_source(str(train)), test=str(test))
        itr = _subset(tr.y, QUICK_TRAIN) if quick else np.arange(len(tr.y))
        ite = _subset(te.y, QUICK_TEST) if quick else np.arange(len(te.y))
        return Split(name, tr.task, tr.X[itr], te.X[ite], tr.y[itr], te.y[ite], "MULAN split")
    if name == "signs":
        if not SIGNS.is_dir():
            return f"not found at {SIGNS} (../shared/data is absent)"
        # lazy: --quick reads only the photos it keeps
        data = load_source(str(SIGNS), size=size, color="rgb", lazy=quick)
        return _split_arrays(name, data.X, data.y, data.task, quick, f"{size}x{size} RGB")
    data = load_source(name, size=size, random_state=SEED)
    note = {"moons": "500, noise 0.2", "digits": "/16"}.get(name, "")
    if name.startswith("shapes"):
        note = f"{size}x{size} RGB"
    return _split_arrays(name, data.X, data.y, data.task, quick, note)


# ---------------------------------------------------------------------------- models
def make_models(task):
    """key -> unfitted estimator, each with its defaults (random_state=0 for the MLPs)."""
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.neural_network import MLPClassifier

    import logitlab
    from logitlab.spec import DEFAULT_MODEL

    linear = {
        "logistic": logitlab.LogisticRegression,
        "softmax": logitlab.SoftmaxRegression,
        "multilabel": logitlab.MultiLabelClassifier,
    }[DEFAULT_MODEL[task]]
    sk_lr = SkLogisticRegression()
    return {
        "ours_linear": linear(),
        "ours_nn": logitlab.NeuralNetClassifier(random_state=SEED),
        "sk_lr": OneVsRestClassifier(sk_lr) if task == "multilabel" else sk_lr,
        "sk_mlp": MLPClassifier(random_state=SEED),
        "ours_nn_raw": logitlab.NeuralNetClassifier(random_state=SEED),
    }


def timed_fit(est, X, y):
    """Fit ``est`` with its warnings silenced; the seconds and the warnings' categories."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        est.fit(X, y)
        dt = time.perf_counter() - t0
    return dt, [(w.category.__name__, str(w.message).strip().splitlines()[0]) for w in caught]


def metric(task, y_true, y_pred):
    from sklearn.metrics import accuracy_score, hamming_loss

    if task == "multilabel":
        return float(hamming_loss(y_true, y_pred))
    return float(accuracy_score(y_true, y_pred))


def warm_up():
    """One small fit of each kind of model, so imports and first calls are not timed."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    Y = np.column_stack([y == 0, y == 1]).astype(int)
    for task, target in (("multiclass", y), ("binary", (y == 0).astype(int)), ("multilabel", Y)):
        for est in make_models(task).values():
            timed_fit(est, X, target)


def measure(sp, repeat=REPEAT):
    """Fit the five models on ``sp``, interleaved ``repeat`` times; a `Row`."""
    from sklearn.base import clone
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(sp.X_tr)
    scaled = (scaler.transform(sp.X_tr), scaler.transform(sp.X_te))
    raw = (sp.X_tr, sp.X_te)
    models = make_models(sp.task)
    row = Row(sp)
    for key in models:
        row.time[key] = []
        row.converge[key] = 0
        row.other[key] = 0
    fitted = {}
    for _ in range(repeat):
        for key, est in models.items():
            X_tr, _ = raw if key == "ours_nn_raw" else scaled
            fitted[key] = clone(est)
            dt, cats = timed_fit(fitted[key], X_tr, sp.y_tr)
            row.time[key].append(dt)
            row.converge[key] += sum(c == "ConvergenceWarning" for c, _ in cats)
            row.other[key] += sum(c != "ConvergenceWarning" for c, _ in cats)
            for cat, msg in cats:
                msg = re.sub(r"(?<![\w=.])\d+(\.\d+)?", "#", msg)  # one line per kind
                lib = "sklearn" if key.startswith("sk") else "logitlab"
                row.messages[lib, cat, msg] = row.messages.get((lib, cat, msg), 0) + 1
    for key, est in fitted.items():
        _, X_te = raw if key == "ours_nn_raw" else scaled
        row.metric[key] = metric(sp.task, sp.y_te, est.predict(X_te))
        row.time[key] = min(row.time[key])
    return row


# ---------------------------------------------------------------------------- report
def _cell(row, key):
    mark = "!" if row.converge[key] else " "
    return f"{row.metric[key]:.4f} {row.time[key]:8.3f}s{mark}"


def table(rows, skipped):
    """The panel as lines: one row per data set (skipped ones with their reason)."""
    lead = f"{'data set':18s} {'n x features':>13s} {'task':10s}"
    width = 17
    heads = " | ".join(f"{h:^{width}s}" for _, h in MODELS)
    lines = [f"{lead} | {heads}"]
    sub = " | ".join(f"{'metric':>6s} {'fit':>9s} " for _ in MODELS)
    lines.append(f"{'':18s} {'':13s} {'':10s} | {sub}")
    lines.append("-" * len(lines[0]))
    by_name = {r.split.name: r for r in rows}
    for name in NAMES:
        if name in skipped:
            lines.append(f"{name:18s} skipped: {skipped[name]}")
            continue
        if name not in by_name:
            continue
        r = by_name[name]
        shape = f"{r.split.n}x{r.split.n_features}"
        cells = " | ".join(_cell(r, k) for k, _ in MODELS)
        lines.append(f"{name:18s} {shape:>13s} {r.split.task:10s} | {cells}")
    return lines


def goals(row):
    """The row's two goals: (metric line, `Result` for the time ratio)."""
    sp = row.split
    ours, theirs = row.metric["ours_nn"], row.metric["sk_mlp"]
    slack = 1.0 / len(sp.y_te)  # one test example
    if sp.task == "multilabel":
        ok = ours <= theirs + slack + 1e-12
        what = f"Hamming loss NN {ours:.4f} <= MLP {theirs:.4f} (+1/{len(sp.y_te)})"
    else:
        ok = ours >= theirs - slack - 1e-12
        what = f"accuracy NN {ours:.4f} >= MLP {theirs:.4f} (-1/{len(sp.y_te)})"
    line = f"{sp.name}: {what} {'PASS' if ok else 'MISS'}"
    ratio = row.time["ours_nn"] / row.time["sk_mlp"]
    res = Result(
        f"defaults-{sp.name}",
        f"{sp.name}: fit time NeuralNetClassifier() / MLPClassifier()",
        ratio,
        GOAL_TIME,
        "<=",
    )
    res.extra = {"metric_ok": ok, "metric_line": line}
    return line, res


def main(quick=False, repeat=REPEAT, names=NAMES):
    """Run the panel; print the table, the goals and the machine; the `Result` list."""
    header(
        "defaults panel: logitlab vs scikit-learn, default parameters"
        + (" (--quick: tiny subsets, 8x8 images)" if quick else "")
    )
    t0 = time.perf_counter()
    warm_up()
    rows, skipped = [], {}
    for name in names:
        t_load = time.perf_counter()
        sp = load(name, quick=quick)
        if isinstance(sp, str):
            skipped[name] = sp
            print(f"{name}: skipped, {sp}")
            continue
        t_load = time.perf_counter() - t_load
        t_fit = time.perf_counter()
        rows.append(measure(sp, repeat=repeat))
        print(
            f"{name}: {sp.n} x {sp.n_features} {sp.task}"
            + (f" ({sp.note})" if sp.note else "")
            + f", train {len(sp.y_tr)} / test {len(sp.y_te)}; loaded in {fmt_time(t_load)}, "
            f"fitted in {fmt_time(time.perf_counter() - t_fit)}",
            flush=True,
        )
    print()
    print(
        "Each cell: test metric (accuracy; Hamming loss, lower is better, for multilabel) "
        f"and fit time (best of {repeat}). ours linear = "
        "LogisticRegression/SoftmaxRegression/MultiLabelClassifier(), ours NN = "
        "NeuralNetClassifier(), sk LR = LogisticRegression() (OneVsRest for multilabel), "
        "sk MLP = MLPClassifier(); all on StandardScaler inputs, except ours NN raw "
        "(unscaled, as `--model mlp --no-standardize`). MLPs random_state=0."
    )
    for line in table(rows, skipped):
        print(line)
    n_conv = sum(sum(r.converge.values()) for r in rows)
    n_other = sum(sum(r.other.values()) for r in rows)
    marked = [f"{r.split.name}/{head}" for r in rows for key, head in MODELS if r.converge[key]]
    print(
        f"! = ConvergenceWarning (silenced): {n_conv} in all"
        + (f" ({', '.join(marked)})" if marked else "")
        + f"; other warnings: {n_other}"
    )
    messages = {}
    for r in rows:
        for k, count in r.messages.items():
            messages[k] = messages.get(k, 0) + count
    for (lib, cat, msg), count in sorted(messages.items()):
        short = msg if len(msg) <= 110 else msg[:107] + "..."
        print(f"  {cat} from {lib}, {count}x: {short}")
    print("goals: NeuralNetClassifier() vs MLPClassifier(), defaults, standardised inputs")
    results = []
    for r in rows:
        line, res = goals(r)
        print(line)
        print(res.line())
        results.append(res)
    print(machine_info())
    print(f"total {time.perf_counter() - t0:.0f} s")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny subsets, a smoke test")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="fits per model, best kept")
    parser.add_argument("--only", nargs="+", choices=NAMES, help="these data sets only")
    args = parser.parse_args()
    main(quick=args.quick, repeat=args.repeat, names=args.only or NAMES)
    sys.exit(0)
