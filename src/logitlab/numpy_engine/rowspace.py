"""L-BFGS for linear models on wide data, run in the row space of X.

Images unrolled as in the notes have far more features than a training set has
examples (n_x = 12288 against a few thousand m). For a model without hidden layers
trained from W = 0, every gradient

    dW = dZ·Xᵀ/m + (alpha/m)·W

is a combination of the m examples, so W never leaves their span. Factor X (n_x, m)
as X = Q·R with Q (n_x, m) orthonormal and R = Lᵀ, where L is the Cholesky factor of
the m×m Gram matrix XᵀX = L·Lᵀ. Writing W = G·Qᵀ gives

    Z = W·X + b = G·R + b        and        ‖W‖² = ‖G‖²,

so training G on the m "features" R is the same problem with the same cost, and
L-BFGS (which sees only inner products) takes the same steps. Each iteration then
costs m instead of n_x multiply-adds per example and unit; the price is the Gram
matrix, computed once by one compute-bound matrix product. Finally
W = G·Qᵀ = (G·L⁻¹)·Xᵀ.

Only ``lbfgs`` uses this: ``gd`` stays the notes' literal update on the notes' X.
Sparse X trains on X itself: the Gram matrix and R are dense m×m, so memory would grow
with m² instead of with the non-zeros (80 GB for 100 000 examples), and an iteration
on sparse X already costs its non-zeros, nnz = m·(non-zeros per example), rather than
m·n_x — below the reduced problem's m·m unless the examples have more non-zeros each
than there are examples.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import LinAlgError, cholesky, solve_triangular

from ..functional import FloatArray
from ..spec import ModelSpec
from .network import Network
from .sparse import Matrix, is_sparse

T = TypeVar("T")  # what the solver returns

# Below this width ratio the Gram matrix costs more than the iterations save.
MIN_WIDTH_RATIO = 2


def applies(net: Network, X: Matrix, solver: str) -> bool:
    """Whether ``net`` can be trained on X (n_x, m) in the row space of X (dense X only:
    see the module docstring)."""
    n_x, m = X.shape
    return (
        solver == "lbfgs"
        and not is_sparse(X)
        and not net.spec.hidden
        and n_x >= MIN_WIDTH_RATIO * m
        and not any(W.any() for W in net.W)  # starts from W = 0, inside the row space
    )


def train_in_row_space(
    net: Network,
    X: FloatArray,
    Y: FloatArray,
    X_val: FloatArray | None,
    train_reduced: Callable[[Network, FloatArray, FloatArray | None], T],
) -> T | None:
    """Train ``net`` through the reduced problem; ``None`` if X is rank-deficient.

    ``train_reduced(reduced_net, R, R_val)`` runs the solver on the reduced network and
    returns its result; the trained W is then mapped back into ``net``.
    """
    X64 = X.astype(np.float64, copy=False)
    K = X64.T @ X64  # the m×m Gram matrix XᵀX
    try:
        L: NDArray[np.float64] = cholesky(K, lower=True, check_finite=False)
    except LinAlgError:
        return None  # repeated or dependent examples: train on X itself
    if not np.all(np.isfinite(L)) or np.min(np.abs(np.diag(L))) <= 1e-10 * np.max(np.diag(L)):
        return None
    R = np.ascontiguousarray(L.T, dtype=net.dtype)  # Qᵀ·X, one column per example
    R_val: FloatArray | None = None
    if X_val is not None:
        # Qᵀ·X_val = L⁻¹·(Xᵀ·X_val)
        R_val = solve_triangular(
            L, X64.T @ X_val.astype(np.float64, copy=False), lower=True, check_finite=False
        ).astype(net.dtype)
    spec = ModelSpec(
        n_x=R.shape[0], n_out=net.spec.n_out, head=net.spec.head, activation=net.spec.activation
    )
    reduced = Network(spec, dtype=net.dtype)
    reduced.b[0][:] = net.b[0]
    result = train_reduced(reduced, R, R_val)

    def to_full(theta: FloatArray) -> FloatArray:
        """θ of the reduced network -> θ of ``net``: W = G·Qᵀ = (G·L⁻¹)·Xᵀ, with
        G·L⁻¹ = (L⁻ᵀ·Gᵀ)ᵀ; b unchanged."""
        reduced.theta[:] = theta
        G = reduced.W[0].astype(np.float64)
        GLinv: NDArray[np.float64] = solve_triangular(
            L, G.T, lower=True, trans="T", check_finite=False
        ).T
        full = Network(net.spec, dtype=net.dtype)
        full.W[0][:] = GLinv @ X64.T
        full.b[0][:] = reduced.b[0]
        return full.theta

    final = reduced.theta.copy()
    state = getattr(result, "state", None)
    if state is not None and state.monitor.get("best_theta") is not None:
        # the early-stopping state continues in the full space, as the network does
        state.monitor["best_theta"] = to_full(state.monitor["best_theta"])
    net.theta[:] = to_full(final)
    return result
