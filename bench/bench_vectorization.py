"""One logistic-regression gradient-descent step: explicit Python loops vs the engine.

Compares ``logitlab.numpy_engine.loop_logistic_step`` (the notes' for-loop version)
with the vectorized engine (``Network.cost_and_grad`` then ``theta -= lr * grad``) on
the same data, in the same process. Goal: loop / vectorized >= 300x.

Run: ``python bench/bench_vectorization.py``
"""

from __future__ import annotations

import statistics
import sys

import numpy as np

from _common import Result, fmt_time, header, machine_info, time_call

N_X, M = 2000, 2500  # the loop step takes about 1-2 s here
LEARNING_RATE = 0.01
GOAL = 300.0


def make_data(n_x=N_X, m=M, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))  # the notes' layout: (n_x, m)
    Y = (rng.random(m) < 0.5).astype(np.float64)
    w = rng.standard_normal(n_x) * 0.01
    b = 0.1
    return X, Y, w, b


def make_network(w, b):
    from logitlab import ModelSpec
    from logitlab.numpy_engine import Network

    net = Network(ModelSpec(n_x=w.size, n_out=1, head="binary"))
    net.W[0][0, :] = w
    net.b[0][0, 0] = b
    return net


def vectorized_step(net, X, Y2, lr):
    _, grad = net.cost_and_grad(X, Y2, alpha=0)
    net.theta -= lr * grad


def main(repeat_loop=3):
    from logitlab.numpy_engine import loop_logistic_step

    header("vectorization: explicit-loop step vs vectorized step")
    X, Y, w, b = make_data()
    Y2 = Y[np.newaxis, :]
    n_x, m = X.shape
    print(f"logistic regression, one gradient-descent step, n_x={n_x}, m={m}, float64")

    # which input the loop reference runs faster with, on a slice of the columns
    k = 250
    Xs, Ys = X[:, :k], Y[:k]
    t_np = min(time_call(lambda: loop_logistic_step(w, b, Xs, Ys, LEARNING_RATE), 2))
    Xs_l, Ys_l, w_l = Xs.tolist(), Ys.tolist(), w.tolist()
    t_list = min(time_call(lambda: loop_logistic_step(w_l, b, Xs_l, Ys_l, LEARNING_RATE), 2))
    use_lists = t_list <= t_np
    print(
        f"loop reference on {n_x}x{k}: nested Python lists {fmt_time(t_list)}, "
        f"NumPy array {fmt_time(t_np)} -> using "
        f"{'nested lists X[j][i]' if use_lists else 'the NumPy array'} (the faster)"
    )
    if use_lists:
        X_loop, Y_loop, w_loop = X.tolist(), Y.tolist(), w.tolist()
    else:
        X_loop, Y_loop, w_loop = X, Y, w

    # same result before timing
    w_ref, b_ref, *_ = loop_logistic_step(w_loop, b, X_loop, Y_loop, LEARNING_RATE)
    net = make_network(w, b)
    vectorized_step(net, X, Y2, LEARNING_RATE)
    diff = max(
        float(np.max(np.abs(net.W[0][0] - np.asarray(w_ref)))), abs(float(net.b[0][0, 0]) - b_ref)
    )
    print(
        f"check: max |w_loop - w_vec|, |b_loop - b_vec| after one step = {diff:.2e}"
        f" ({'OK' if diff < 1e-10 else 'MISMATCH'}, must be < 1e-10)"
    )
    if not diff < 1e-10:
        raise SystemExit("the loop and vectorized steps disagree; not timing them")

    # time: the loop best of `repeat_loop` runs; the engine best of 5 blocks of 100 steps
    t_loop = time_call(
        lambda: loop_logistic_step(w_loop, b, X_loop, Y_loop, LEARNING_RATE), repeat_loop
    )
    net = make_network(w, b)
    time_call(lambda: vectorized_step(net, X, Y2, LEARNING_RATE), 1, 20)  # warm-up
    t_vec = time_call(lambda: vectorized_step(net, X, Y2, LEARNING_RATE), 5, 100)
    best_loop, best_vec = min(t_loop), min(t_vec)
    print(
        f"explicit loops : {fmt_time(best_loop)} per step "
        f"(best of {repeat_loop}; median {fmt_time(statistics.median(t_loop))})"
    )
    print(
        f"vectorized     : {fmt_time(best_vec)} per step "
        f"(best of 5 blocks of 100; median {fmt_time(statistics.median(t_vec))})"
    )
    res = Result("vectorization", "loop / vectorized step", best_loop / best_vec, GOAL, ">=")
    print(res.line())
    return res


if __name__ == "__main__":
    print(machine_info())
    main()
    sys.exit(0)
