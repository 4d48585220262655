"""Where the torch engine overtakes the NumPy engine on this machine's CPU.

``engine="auto"`` trains on torch whenever CUDA is there; on a CPU it picks torch only
for a wide network (``logitlab.estimators.TORCH_CPU_MIN_WEIGHTS`` weights or more)
whose updates' work, ``batch x weights`` (the multiply-adds of the forward pass),
reaches ``TORCH_CPU_CROSSOVER``: below them, torch's per-update overhead (autograd, the
optimiser's Python loop) costs more than its kernels save. This benchmark measures
that crossover: the same network (one hidden layer of 100 ReLU, Adam, ``tol=0``) fitted
by both engines on random data of growing width, full-batch and mini-batch, and prints
for each the work per update, both times, their ratio and which engine ``auto`` picks.
The goal: ``auto`` picks the faster engine, or one within 15% or 10 ms of it, at every
point.

Run: ``python bench/bench_engine_auto.py`` (about a minute; ``--quick`` for fewer points).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np

from _common import Result, header, machine_info

M = 1600  # examples: the size of the sign-language photos' training split
EPOCHS = 5
HIDDEN = (100,)
WIDTHS = (16, 64, 256, 1024, 4096, 12288)
BATCHES = (None, 200)  # full batch (the linear models' way) and scikit-learn's 200
SLACK = 1.15  # auto's pick may be this much slower than the faster engine,
SLACK_S = 0.01  # or this many seconds: below it the fits' fixed costs are noise


def fit_time(engine, X, y, batch_size, repeat):
    from logitlab import NeuralNetClassifier

    best = np.inf
    for _ in range(repeat):
        est = NeuralNetClassifier(
            HIDDEN,
            solver="adam",
            learning_rate=1e-3,
            batch_size=batch_size,
            max_iter=EPOCHS,
            tol=0,
            early_stopping=False,  # the same epochs over all of X on both engines
            random_state=0,
            engine=engine,
            device="cpu",
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            est.fit(X, y)
            best = min(best, time.perf_counter() - t0)
    return best


def main(quick=False, repeat=2):
    from logitlab.estimators import TORCH_CPU_CROSSOVER, TORCH_CPU_MIN_WEIGHTS, choose_engine

    header("engine='auto': NumPy engine vs torch engine on the CPU, by work per update")
    try:
        import torch  # noqa: F401
    except ImportError:
        print("skipped: PyTorch is not installed")
        return None
    rng = np.random.default_rng(0)
    widths = WIDTHS[::2] if quick else WIDTHS
    print(
        f"m = {M}, hidden {HIDDEN}, Adam, {EPOCHS} epochs; torch from "
        f"TORCH_CPU_MIN_WEIGHTS = {TORCH_CPU_MIN_WEIGHTS:.3g} weights and "
        f"TORCH_CPU_CROSSOVER = {TORCH_CPU_CROSSOVER:.3g} multiply-adds per update"
    )
    print(
        f"{'n_x':>6s} {'batch':>6s} {'work/update':>12s} {'numpy':>9s} {'torch':>9s} "
        f"{'numpy/torch':>11s} {'auto':>6s}"
    )
    good = 0
    points = 0
    for n_x in widths:
        X = rng.standard_normal((M, n_x))
        y = rng.integers(0, 6, M)
        for batch in BATCHES:
            t_np = fit_time("numpy", X, y, batch, repeat)
            t_th = fit_time("torch", X, y, batch, repeat)
            b = M if batch is None else batch
            work = b * (n_x * HIDDEN[0] + HIDDEN[0] * 6)
            pick = choose_engine("auto", "cpu", M, (n_x, *HIDDEN, 6), batch)
            t_pick = t_th if pick == "torch" else t_np
            ok = t_pick <= max(SLACK * min(t_np, t_th), min(t_np, t_th) + SLACK_S)
            good += ok
            points += 1
            print(
                f"{n_x:6d} {str(batch or 'full'):>6s} {work:12.3g} {t_np:8.3f}s {t_th:8.3f}s "
                f"{t_np / t_th:10.2f}x {pick:>6s}{'' if ok else '  (slower pick)'}",
                flush=True,
            )
    res = Result(
        "engine-auto",
        f"engine='auto' picks the faster engine (within {SLACK:.2f}x or {SLACK_S * 1e3:.0f} ms) "
        f"at {good}/{points} points",
        good / points,
        1.0,
        ">=",
    )
    print(res.line())
    print(machine_info())
    return res


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every other width")
    parser.add_argument("--repeat", type=int, default=2, help="fits per point, best kept")
    args = parser.parse_args()
    main(quick=args.quick, repeat=args.repeat)
    sys.exit(0)
