"""Gradient checking: back-propagation against central finite differences."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, overload

import numpy as np

from ..functional import FloatArray
from .network import Network
from .sparse import Matrix


@overload
def gradcheck(
    net: Network,
    X: Matrix,
    Y: FloatArray,
    alpha: float = ...,
    epsilon: float = ...,
    return_grads: Literal[False] = ...,
    *,
    weights: FloatArray | None = ...,
    pos_weight: FloatArray | None = ...,
    masks: Sequence[FloatArray] | None = ...,
) -> float: ...
@overload
def gradcheck(
    net: Network,
    X: Matrix,
    Y: FloatArray,
    alpha: float = ...,
    epsilon: float = ...,
    *,
    return_grads: Literal[True],
    weights: FloatArray | None = ...,
    pos_weight: FloatArray | None = ...,
    masks: Sequence[FloatArray] | None = ...,
) -> tuple[float, FloatArray, FloatArray]: ...
@overload
def gradcheck(
    net: Network,
    X: Matrix,
    Y: FloatArray,
    alpha: float,
    epsilon: float,
    return_grads: Literal[True],
    *,
    weights: FloatArray | None = ...,
    pos_weight: FloatArray | None = ...,
    masks: Sequence[FloatArray] | None = ...,
) -> tuple[float, FloatArray, FloatArray]: ...


def gradcheck(
    net: Network,
    X: Matrix,
    Y: FloatArray,
    alpha: float = 0.0,
    epsilon: float = 1e-6,
    return_grads: bool = False,
    *,
    weights: FloatArray | None = None,
    pos_weight: FloatArray | None = None,
    masks: Sequence[FloatArray] | None = None,
) -> float | tuple[float, FloatArray, FloatArray]:
    """Relative error between back-propagation and numerical gradients of J.

    For every parameter θ_i, the numerical gradient is the central difference
    (J(θ + ε·e_i) − J(θ − ε·e_i)) / 2ε, and the result is

        ‖dθ_backprop − dθ_numerical‖ / (‖dθ_backprop‖ + ‖dθ_numerical‖)

    which is about 1e-7 or smaller in float64 when back-propagation is right.

    Parameters
    ----------
    net : Network
        Evaluated at its current parameters (which are left unchanged).
    X : ndarray or scipy.sparse matrix of shape (n_x, m)
    Y : ndarray of shape (n_out, m)
    alpha : float
        L2 penalty strength; the penalty's gradient is checked too.
    epsilon : float
        Finite-difference step.
    weights, pos_weight : ndarray, optional
        Per-example weights (m,) and per-label positive weights (n_out, 1), as in
        :meth:`Network.cost_and_grad`.
    masks : list of ndarray, optional
        Fixed dropout masks D[l]/keep_prob, one (n_l, m) per hidden layer: the cost is
        then a deterministic function of θ, and its gradient is checked with them.

    Examples
    --------
    >>> import numpy as np
    >>> from logitlab.spec import ModelSpec
    >>> from logitlab.numpy_engine import Network, gradcheck
    >>> rng = np.random.default_rng(0)
    >>> net = Network(ModelSpec(n_x=4, hidden=(5,), n_out=3, head="softmax",
    ...                         activation="tanh"))
    >>> net.initialize("xavier", rng)
    >>> X = rng.standard_normal((4, 10))
    >>> Y = np.eye(3)[:, rng.integers(0, 3, 10)]
    >>> gradcheck(net, X, Y, alpha=0.1) < 1e-7
    True
    """
    theta0 = net.theta.copy()
    m = X.shape[1]
    _, grad = net.cost_and_grad(X, Y, alpha, m, weights, pos_weight, masks)
    analytic = grad.copy()
    numeric = np.zeros_like(theta0)

    def cost() -> float:
        Z, _, _ = net.forward(X, masks)
        return net.data_cost(Z, Y, weights, pos_weight) + net.penalty(alpha, m)

    try:
        for i in range(theta0.size):
            net.theta[i] = theta0[i] + epsilon
            j_plus = cost()
            net.theta[i] = theta0[i] - epsilon
            j_minus = cost()
            net.theta[i] = theta0[i]
            numeric[i] = (j_plus - j_minus) / (2 * epsilon)
    finally:
        net.theta[:] = theta0
    denom = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    err = float(np.linalg.norm(analytic - numeric) / denom) if denom > 0 else 0.0
    if return_grads:
        return err, analytic, numeric
    return err
