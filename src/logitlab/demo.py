"""The tour on built-in data: ``python -m logitlab.demo`` (the README's ``make demo``).

Trains every model family on scikit-learn's built-in data sets and prints one table:
binary logistic regression (breast cancer), multi-class softmax vs one-vs-all (digits),
multi-label sigmoid outputs (a generated multi-label set) and a small neural network on
each, with the test metric and the fit time.
"""

from __future__ import annotations

import time

from sklearn.datasets import load_breast_cancer, load_digits, make_multilabel_classification
from sklearn.metrics import accuracy_score, hamming_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from .estimators import (
    LogisticRegression,
    MultiLabelClassifier,
    NeuralNetClassifier,
    OneVsAllClassifier,
    SoftmaxRegression,
)


def _datasets(random_state=0):
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y,
                                          random_state=random_state)
    scaler = StandardScaler().fit(Xtr)
    yield "breast cancer (binary)", scaler.transform(Xtr), scaler.transform(Xte), ytr, yte
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16.0, y, test_size=0.25, stratify=y,
                                          random_state=random_state)
    yield "digits (10 classes)", Xtr, Xte, ytr, yte
    X, Y = make_multilabel_classification(n_samples=1000, n_features=20, n_classes=5,
                                          random_state=random_state)
    Xtr, Xte, Ytr, Yte = train_test_split(X, Y, test_size=0.25, random_state=random_state)
    scaler = StandardScaler().fit(Xtr)
    yield "generated (5 labels)", scaler.transform(Xtr), scaler.transform(Xte), Ytr, Yte


def _models(task, random_state=0):
    net = NeuralNetClassifier(hidden_layer_sizes=(25, 12), solver="adam", learning_rate=0.01,
                              batch_size=64, max_iter=500, early_stopping=True,
                              random_state=random_state)
    if task.startswith("breast"):
        return [("logistic regression", LogisticRegression()), ("network 25-12", net)]
    if task.startswith("digits"):
        return [("softmax regression", SoftmaxRegression()),
                ("one-vs-all (10 logistic)", OneVsAllClassifier()),
                ("network 25-12", net)]
    return [("multi-label sigmoids", MultiLabelClassifier()), ("network 25-12", net)]


def run(random_state=0):
    """Train every model; return rows (data, model, metric name, value, seconds)."""
    rows = []
    for task, Xtr, Xte, ytr, yte in _datasets(random_state):
        for name, model in _models(task, random_state):
            t0 = time.perf_counter()
            model.fit(Xtr, ytr)
            seconds = time.perf_counter() - t0
            pred = model.predict(Xte)
            if yte.ndim == 2:
                metric, value = "Hamming loss", hamming_loss(yte, pred)
            else:
                metric, value = "accuracy", accuracy_score(yte, pred)
            rows.append((task, name, metric, value, seconds))
    return rows


def format_table(rows):
    head = ("data", "model", "test metric", "value", "fit time")
    body = [(d, m, k, f"{v:.3f}", f"{s * 1000:.0f} ms") for d, m, k, v, s in rows]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    line = "  ".join("{:<%d}" % w for w in widths)
    out = [line.format(*head), line.format(*("-" * w for w in widths))]
    out += [line.format(*r) for r in body]
    return "\n".join(out)


def main():
    print("logitlab demo: every model on built-in data (25% held out for testing)\n")
    print(format_table(run()))


if __name__ == "__main__":
    main()
