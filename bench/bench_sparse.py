"""Sparse text data through the command: ``logitlab train`` on a sparse ARFF file.

A bag-of-words multi-label set shaped like MULAN's bibtex
(`logitlab.data.synthetic.make_sparse_text`: 1836 binary word features, 159 labels,
about 2.4 labels and 42 words per document, Zipf word and label frequencies, a few dozen
keywords per label; seed 2, where every label has positive
training examples, as in bibtex), written as sparse ARFF files of 4880 training and
2515 test rows (bibtex's split sizes) in a temporary folder, with every attribute
``{0,1}`` as MULAN writes them. Then, in a child process (as a user runs it)::

    logitlab train --data train.arff --test test.arff --model multilabel \\
        --labels last:159 --out RUN

timed from start to exit (reading, standardising, training, predicting, the plots and
the report), with the child's own peak resident memory (``VmHWM``, ``run_logitlab``). Its
test Hamming loss (``metrics.json``) is compared with scikit-learn's binary relevance,
``OneVsRestClassifier(LogisticRegression())`` fitted on the same CSR matrices (the
word presences as written, unscaled; its fit time is shown, not compared), and with
the Hamming loss of predicting no label at all (the share of 1s in the test labels).

Goals (issue 12): the command under 30 s on 2 cores, peak memory under 1 GB, Hamming
loss no worse than scikit-learn's.

Run: ``python bench/bench_sparse.py`` (about a minute), ``--quick`` for a smoke test
on a small set.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from _common import Result, header, machine_info, run_logitlab
from logitlab.data.arff import write_sparse_arff
from logitlab.data.synthetic import make_sparse_text

#: bibtex's shape: training and test rows, word features, labels
FULL = dict(n_train=4880, n_test=2515, n_features=1836, n_labels=159, length=50)
QUICK = dict(n_train=300, n_test=150, n_features=200, n_labels=12, length=20)
SEED = 2
GOAL_SECONDS = 30.0
GOAL_BYTES = 2**30


def write_data(folder, n_train, n_test, n_features, n_labels, length, seed=SEED):
    """The generated set as ``folder/train.arff`` and ``folder/test.arff``; returns the
    CSR matrices and labels written, ``(X_train, Y_train, X_test, Y_test)``."""
    X, Y = make_sparse_text(
        n_train + n_test, n_features, n_labels, length=length, random_state=seed
    )
    words = [f"w{j}" for j in range(n_features)]
    tags = [f"tag{k}" for k in range(n_labels)]
    parts = (X[:n_train], Y[:n_train], X[n_train:], Y[n_train:])
    for name, (Xp, Yp) in (("train", parts[:2]), ("test", parts[2:])):
        write_sparse_arff(
            Path(folder) / f"{name}.arff",
            Xp,
            Yp,
            relation="bibtex-like",
            feature_names=words,
            label_names=tags,
        )
    return parts


def sklearn_hamming(X_train, Y_train, X_test, Y_test):
    """Binary relevance with scikit-learn's LogisticRegression: (Hamming loss, fit s)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    model = OneVsRestClassifier(LogisticRegression())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        model.fit(X_train, Y_train)
        seconds = time.perf_counter() - t0
    return float(np.mean(model.predict(X_test) != Y_test)), seconds


def main(quick=False):
    """Write the data, time the command, compare; print and return the `Result` list."""
    shape = QUICK if quick else FULL
    header(
        f"sparse ARFF: logitlab train, {shape['n_train']} + {shape['n_test']} rows, "
        f"{shape['n_features']} binary features, {shape['n_labels']} labels"
    )
    with tempfile.TemporaryDirectory() as tmp:
        X_train, Y_train, X_test, Y_test = write_data(tmp, **shape)
        density = X_train.nnz / (X_train.shape[0] * X_train.shape[1])
        print(
            f"train.arff {os.path.getsize(Path(tmp) / 'train.arff') / 1e6:.1f} MB, "
            f"{X_train.nnz:,} non-zeros (density {density:.4f}); "
            f"labels per row {Y_train.sum(axis=1).mean():.2f}"
        )
        args = [
            "train",
            "--data",
            str(Path(tmp) / "train.arff"),
            "--test",
            str(Path(tmp) / "test.arff"),
            "--model",
            "multilabel",
            "--labels",
            f"last:{shape['n_labels']}",
            "--out",
            str(Path(tmp) / "run"),
        ]
        print("logitlab " + " ".join(a if "/" not in a else Path(a).name for a in args))
        seconds, peak, code = run_logitlab(args, Path(tmp) / "train.log")
        log = (Path(tmp) / "train.log").read_text(errors="replace")
        metrics_file = Path(tmp) / "run" / "metrics.json"
        metrics = json.loads(metrics_file.read_text()) if metrics_file.exists() else None
    sk_loss, sk_seconds = sklearn_hamming(X_train, Y_train, X_test, Y_test)
    if code != 0 or metrics is None:
        last = [line for line in log.splitlines() if line.strip()][-1:] or ["(no output)"]
        print(f"logitlab train failed (exit {code}): {last[0]}")
        print(f"scikit-learn OneVsRest(LogisticRegression()): Hamming loss {sk_loss:.4f}")
        failed = Result("sparse-train", "logitlab train on sparse ARFF failed", np.inf, 1.0, "<=")
        return [failed]
    ours = float(metrics["hamming_loss"])
    print(f"{'':34s}{'Hamming loss':>14s}{'time':>10s}{'peak memory':>14s}")
    print(
        f"{'logitlab train (whole command)':34s}{ours:14.5f}{seconds:9.1f}s{peak / 2**20:11.0f} MiB"
    )
    print(f"{'  of which fit':34s}{'':14s}{metrics['fit_seconds']:9.1f}s")
    print(f"{'sklearn OneVsRest(LogisticRegression)':34s}{sk_loss:14.5f}{sk_seconds:9.1f}s")
    # what predicting no label at all scores: the floor a model must beat to have learned
    print(f"{'no label predicted (no skill)':34s}{float(Y_test.mean()):14.5f}")
    results = [
        Result("sparse-time", "logitlab train time / 30 s", seconds / GOAL_SECONDS, 1.0, "<="),
        Result("sparse-memory", "peak memory / 1 GiB", peak / GOAL_BYTES, 1.0, "<="),
        Result("sparse-hamming", "Hamming loss ours / sklearn's", ours / sk_loss, 1.0, "<="),
    ]
    for r in results:
        print(r.line())
    print(machine_info())
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small set: a smoke test")
    main(quick=parser.parse_args().quick)
