"""The notes' explicit-loop logistic regression, kept as the reference the vectorized
engine is tested and benchmarked against. Do not use it to train: it is ~1000x slower.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

# plain Python lists are what the loops run fastest on; NumPy arrays work too
Vector: TypeAlias = Sequence[float] | NDArray[np.floating[Any]]
Matrix: TypeAlias = Sequence[Sequence[float]] | NDArray[np.floating[Any]]


def loop_dot(u: Vector, v: Vector) -> float:
    """u·v with an explicit ``for`` loop: the notes' slow half of the vectorization demo.

    >>> loop_dot([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    32.0
    """
    c = 0.0
    for i in range(len(u)):
        c += u[i] * v[i]
    return c


def loop_logistic_step(
    w: Vector, b: float, X: Matrix, Y: Vector, learning_rate: float
) -> tuple[list[float], float, float, list[float], float]:
    """One gradient-descent step over m examples with explicit ``for`` loops.

    The notes' "for loop" version: for each example i, z = Σ_j w_j x_j + b,
    a = σ(z), J += −[y ln a + (1 − y) ln(1 − a)], dz = a − y, dw_j += x_j·dz,
    db += dz; then J, dw, db are divided by m and w_j := w_j − α·dw_j, b := b − α·db.

    Parameters
    ----------
    w : sequence of float, length n_x
    b : float
    X : 2-D array-like of shape (n_x, m), indexed as X[j][i]
    Y : sequence of 0/1, length m
    learning_rate : float

    Returns
    -------
    w_new : list of float
    b_new : float
    J : float
        The cost before the step.
    dw : list of float
    db : float

    Examples
    --------
    >>> loop_logistic_step([0.0, 0.0], 0.0, [[1.0, -1.0], [2.0, 0.5]], [1, 0], 0.1)[2]
    0.693...
    """
    n_x, m = len(w), len(Y)
    J, dw, db = 0.0, [0.0] * n_x, 0.0
    for i in range(m):
        z = b
        for j in range(n_x):
            z += w[j] * X[j][i]
        # σ(z) and ln σ(z) written to stay finite for any z
        if z >= 0:
            a = 1.0 / (1.0 + math.exp(-z))
        else:
            a = math.exp(z) / (1.0 + math.exp(z))
        log_a = min(z, 0.0) - math.log1p(math.exp(-abs(z)))
        log_1_minus_a = log_a - z
        y = Y[i]
        J += -(y * log_a + (1 - y) * log_1_minus_a)
        dz = a - y
        for j in range(n_x):
            dw[j] += X[j][i] * dz
        db += dz
    J /= m
    dw = [d / m for d in dw]
    db /= m
    w_new = [w[j] - learning_rate * dw[j] for j in range(n_x)]
    return w_new, b - learning_rate * db, J, dw, db
