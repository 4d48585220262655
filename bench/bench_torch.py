"""The torch engine vs the tutorial-style PyTorch loop, and vs the NumPy engine.

The tutorial loop is what the notes' PyTorch part teaches: a ``TensorDataset`` in a
``DataLoader(batch_size=32, shuffle=True)``, the same network (LINEAR→RELU→LINEAR→
RELU→LINEAR, sizes [n_x, 25, 12, C]), ``torch.optim.Adam`` and cross-entropy, data in
memory, float32. The torch engine runs the same model and optimizer through
``NeuralNetClassifier(engine="torch", solver="adam", batch_size=32, alpha=0,
dtype="float32")``, which also computes the epoch's training cost for ``history_``.
Throughput is training samples per second over whole epochs, measured side by side.

Goals: >= 3x on digits (64 features), >= 1.0x on the 12288-feature sign images.
Run: ``python bench/bench_torch.py``
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings

import numpy as np

from _common import Result, header, machine_info

EPOCHS = {"digits": 20, "signs": 4}
REPEAT = 3


def tutorial_loop(X, y, epochs, seed=0):
    """The notes' loop: Dataset + DataLoader + nn.Sequential + Adam."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(seed)
    n_x, C = X.shape[1], int(y.max()) + 1
    model = nn.Sequential(
        nn.Linear(n_x, 25), nn.ReLU(), nn.Linear(25, 12), nn.ReLU(), nn.Linear(12, C)
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    data = TensorDataset(torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y))
    loader = DataLoader(data, batch_size=32, shuffle=True)
    t0 = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
    return time.perf_counter() - t0


def engine_fit(X, y, epochs, engine, seed=0):
    from logitlab import NeuralNetClassifier

    clf = NeuralNetClassifier(
        hidden_layer_sizes=(25, 12),
        solver="adam",
        learning_rate=1e-3,
        batch_size=32,
        alpha=0.0,
        max_iter=epochs,
        tol=0,
        early_stopping=False,  # as the tutorial loop: every epoch over all of X
        dtype="float32",
        random_state=seed,
        engine=engine,
        device="cpu",
    )
    t0 = time.perf_counter()
    clf.fit(X, y)
    dt = time.perf_counter() - t0
    assert clf.n_iter_ == epochs
    return dt


def load(name):
    if name == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return (X / 16.0).astype(np.float32), y
    from bench_signs import DATA, load_split

    if not DATA.is_dir():
        return None
    X, _, y, _, _, _ = load_split()  # the 80% training split
    return X.astype(np.float32), y


def run(name, goal):
    data = load(name)
    if data is None:
        print(f"{name}: data set not found, skipped")
        return None
    X, y = data
    epochs = EPOCHS[name]
    m = X.shape[0]
    engine_fit(X[:200], y[:200], 1, "torch")  # warm-up: imports, allocator
    tutorial_loop(X[:200], y[:200], 1)
    t_loop, t_torch, t_numpy = [], [], []
    for _ in range(REPEAT):  # interleaved, so all see the same machine
        t_loop.append(tutorial_loop(X, y, epochs))
        t_torch.append(engine_fit(X, y, epochs, "torch"))
        t_numpy.append(engine_fit(X, y, epochs, "numpy"))
    loop, tor, nump = (statistics.median(t) for t in (t_loop, t_torch, t_numpy))
    rate = lambda t: m * epochs / t  # noqa: E731
    print(
        f"{name}: {m} samples x {X.shape[1]} features, {epochs} epochs, batch 32, Adam, "
        f"float32 (median of {REPEAT})"
    )
    print(f"  tutorial loop (TensorDataset + DataLoader) : {rate(loop):10.0f} samples/s")
    print(f"  logitlab torch engine                      : {rate(tor):10.0f} samples/s")
    print(f"  logitlab NumPy engine                      : {rate(nump):10.0f} samples/s")
    res = Result(
        f"torch_{name}", f"{name}: torch engine / tutorial loop, samples/s", loop / tor, goal, ">="
    )
    print(res.line())
    print(f"{name}: torch engine / NumPy engine, samples/s: {nump / tor:.2f}x (reported)")
    res.extra = {"torch_vs_numpy": nump / tor}
    return res


def main():
    try:
        import torch

        torch.set_num_threads(torch.get_num_threads())
    except ImportError:
        print("torch is not installed: skipped (pip install 'logitlab[torch]')")
        return None
    header("torch engine vs tutorial DataLoader loop, and vs NumPy engine")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [run("digits", 3.0), run("signs", 1.0)]


if __name__ == "__main__":
    print(machine_info())
    main()
    sys.exit(0)
