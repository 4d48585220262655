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
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=random_state
    )
    scaler = StandardScaler().fit(Xtr)
    yield "breast cancer (binary)", scaler.transform(Xtr), scaler.transform(Xte), ytr, yte
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(
        X / 16.0, y, test_size=0.25, stratify=y, random_state=random_state
    )
    yield "digits (10 classes)", Xtr, Xte, ytr, yte
    X, Y = make_multilabel_classification(
        n_samples=1000, n_features=20, n_classes=5, random_state=random_state
    )
    Xtr, Xte, Ytr, Yte = train_test_split(X, Y, test_size=0.25, random_state=random_state)
    scaler = StandardScaler().fit(Xtr)
    yield "generated (5 labels)", scaler.transform(Xtr), scaler.transform(Xte), Ytr, Yte


def _models(task, random_state=0):
    net = NeuralNetClassifier(
        hidden_layer_sizes=(25, 12),
        solver="adam",
        learning_rate=0.01,
        batch_size=64,
        max_iter=500,
        early_stopping=True,
        random_state=random_state,
    )
    if task.startswith("breast"):
        return [("logistic regression", LogisticRegression()), ("network 25-12", net)]
    if task.startswith("digits"):
        return [
            ("softmax regression", SoftmaxRegression()),
            ("one-vs-all (10 logistic)", OneVsAllClassifier()),
            ("network 25-12", net),
        ]
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
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*head), line.format(*("-" * w for w in widths))]
    out += [line.format(*r) for r in body]
    return "\n".join(out)


# ------------------------------------------------------------------ vectorization
def _best_time(fn, repeat, min_total=0.2):
    """Best seconds per call of ``fn`` over ``repeat`` rounds; fast calls are looped
    within a round until it lasts ``min_total`` seconds, so the timer's resolution and
    one-off stalls do not decide the figure."""
    import timeit

    timer = timeit.Timer(fn)
    number, elapsed = 1, timer.timeit(1)
    while elapsed < min_total / max(repeat, 1) and number < 10**6:
        number *= 10
        elapsed = timer.timeit(number)
    return min(
        [elapsed / number] + [timer.timeit(number) / number for _ in range(max(repeat - 1, 0))]
    )


def vectorization(n=1_000_000, n_x=1000, m=500, repeat=3, seed=0):
    """The notes' vectorization demo, measured: explicit loops vs NumPy.

    1. The dot product of two random vectors of ``n`` elements: a Python ``for``
       loop (`~logitlab.numpy_engine.loop_dot`) vs ``np.dot`` (the notes: 481 ms vs
       1.5 ms, about 300x).
    2. One logistic-regression gradient-descent step on ``m`` examples of ``n_x``
       features: the notes' two nested loops
       (`~logitlab.numpy_engine.loop_logistic_step`) vs the vectorized engine
       (``Network.cost_and_grad``, then θ := θ − α·grad).

    Both pairs are checked to give the same numbers before they are timed.

    Returns
    -------
    dict
        ``{"dot": {...}, "step": {...}}``, each with ``loop_seconds``,
        ``vectorized_seconds``, ``ratio`` and ``max_difference``.
    """
    import numpy as np

    from .numpy_engine import Network, loop_dot, loop_logistic_step
    from .spec import ModelSpec

    rng = np.random.default_rng(seed)
    u, v = rng.random(n), rng.random(n)
    ul, vl = u.tolist(), v.tolist()  # a list is what a plain Python loop is fastest on
    loop_c, vec_c = loop_dot(ul, vl), float(np.dot(u, v))
    dot = {
        "n": n,
        "loop_seconds": _best_time(lambda: loop_dot(ul, vl), repeat, 0),
        "vectorized_seconds": _best_time(lambda: np.dot(u, v), repeat),
        "loop_value": loop_c,
        "vectorized_value": vec_c,
        "max_difference": abs(loop_c - vec_c),
    }

    X = rng.standard_normal((n_x, m))  # the notes' layout: (n_x, m)
    Y = (rng.random(m) < 0.5).astype(np.float64)
    w, b, lr = rng.standard_normal(n_x) * 0.01, 0.1, 0.01
    Xl, Yl, wl = X.tolist(), Y.tolist(), w.tolist()
    net = Network(ModelSpec(n_x=n_x, n_out=1, head="binary"))
    theta0 = np.concatenate([w, [b]])

    def vectorized_step():
        net.set_params(theta0)
        _, grad = net.cost_and_grad(X, Y[np.newaxis, :])
        net.theta -= lr * grad

    w_loop, b_loop, *_ = loop_logistic_step(wl, b, Xl, Yl, lr)
    vectorized_step()
    diff = float(np.max(np.abs(net.theta - np.concatenate([w_loop, [b_loop]]))))
    step = {
        "n_x": n_x,
        "m": m,
        "loop_seconds": _best_time(lambda: loop_logistic_step(wl, b, Xl, Yl, lr), repeat, 0),
        "vectorized_seconds": _best_time(vectorized_step, repeat),
        "max_difference": diff,
    }
    for r in (dot, step):
        r["ratio"] = r["loop_seconds"] / r["vectorized_seconds"]
    return {"dot": dot, "step": step}


def main():
    print("logitlab demo: every model on built-in data (25% held out for testing)\n")
    print(format_table(run()))


if __name__ == "__main__":
    main()
