"""The notes' math in NumPy: activations, their derivatives, losses and one-hot labels.

Everything here uses the notes' layout: one example per **column**.

* ``X`` has shape ``(n_x, m)``: ``n_x`` features, ``m`` examples.
* ``Z``, ``A`` have shape ``(n_l, m)``; an output layer has 1 unit (binary), ``C``
  softmax units (multi-class) or ``C`` independent sigmoid units (multi-label).
* ``Y`` has shape ``(1, m)`` (binary) or ``(C, m)`` (one-hot or label indicators).

Logarithms are natural logarithms. (The softmax notes write ``-log(0.2) = 0.698``, which
is the base-10 value; with ``ln`` it is 1.609, the value every framework computes.)

All functions are numerically stable: ``sigmoid(±1000)``, ``softmax([1000, 0])`` and a
probability of exactly 0 or 1 in a loss give finite results and no ``RuntimeWarning``.

Examples
--------
The notes' softmax example:

>>> import numpy as np
>>> from logitlab.functional import softmax
>>> softmax(np.array([[5.0], [2.0], [-1.0], [3.0]])).ravel().round(3)
array([0.842, 0.042, 0.002, 0.114])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

# an array of a floating dtype: float64, or float32 where a network is built in float32
FloatArray: TypeAlias = NDArray[np.floating[Any]]
Reduction: TypeAlias = Literal["mean", "sum", "none"]

__all__ = [
    "sigmoid",
    "sigmoid_backward",
    "log_sigmoid",
    "softmax",
    "softmax_backward",
    "log_softmax",
    "logsumexp",
    "hardmax",
    "relu",
    "relu_backward",
    "tanh",
    "tanh_backward",
    "identity",
    "identity_backward",
    "ACTIVATIONS",
    "logit",
    "binary_cross_entropy",
    "binary_cross_entropy_backward",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_backward",
    "categorical_cross_entropy",
    "categorical_cross_entropy_backward",
    "categorical_cross_entropy_with_logits",
    "squared_error",
    "one_hot",
]


# --------------------------------------------------------------------------- activations
# Each activation's forward and backward stand side by side. A backward takes the
# upstream gradient dA and the forward's cache and returns dZ = dA * g'(Z).


def sigmoid(Z: ArrayLike) -> FloatArray:
    """σ(z) = 1 / (1 + e^(−z)), elementwise.

    Computed as ``e^(−|z|)`` based branches so that ``exp`` never overflows:
    σ(z) = 1/(1 + e^(−z)) for z ≥ 0 and e^z/(1 + e^z) for z < 0.

    Shape: any; output has the shape of ``Z``, values in [0, 1].

    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    Z = np.asarray(Z)
    if not np.issubdtype(Z.dtype, np.floating):
        Z = Z.astype(np.float64)
    e = np.exp(-np.abs(Z))  # in (0, 1]: never overflows
    A: FloatArray = np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(Z.dtype, copy=False)
    return A


def sigmoid_backward(dA: FloatArray, A: FloatArray) -> FloatArray:
    """dZ = dA · σ'(Z) with σ'(z) = a(1 − a), from the forward output ``A``."""
    return dA * A * (1.0 - A)


def logit(A: ArrayLike) -> NDArray[np.float64]:
    """z = ln(a / (1 − a)), the inverse of σ: the logit whose sigmoid is ``A``.

    Shape: any. ``A`` in [0, 1]; 0 and 1 give ∓inf (no warning).

    >>> logit(np.array([0.5, 0.6])).round(4)
    array([0.    , 0.4055])
    """
    A = np.asarray(A, dtype=np.float64)
    with np.errstate(divide="ignore"):
        Z: NDArray[np.float64] = np.log(A) - np.log1p(-A)
        return Z


def log_sigmoid(Z: ArrayLike) -> FloatArray:
    """ln σ(z) = −ln(1 + e^(−z)) = min(z, 0) − ln(1 + e^(−|z|)), without overflow."""
    Z = np.asarray(Z)
    out: FloatArray = np.minimum(Z, 0) - np.log1p(np.exp(-np.abs(Z)))
    return out


def logsumexp(Z: ArrayLike, axis: int = 0, keepdims: bool = False) -> FloatArray:
    """ln Σ_i e^(z_i) over ``axis``, shifted by the maximum so ``exp`` cannot overflow.

    >>> float(logsumexp(np.array([1000.0, 0.0])))
    1000.0
    """
    Z = np.asarray(Z)
    zmax = np.max(Z, axis=axis, keepdims=True)
    out: FloatArray = np.log(np.sum(np.exp(Z - zmax), axis=axis, keepdims=True)) + zmax
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(Z: ArrayLike, axis: int = 0) -> FloatArray:
    """a_i = e^(z_i) / Σ_j e^(z_j), over the units of each column (``axis=0``).

    Shifting z by its maximum leaves the result unchanged and keeps ``exp`` ≤ 1.

    Shape: Input ``(C, m)``; output ``(C, m)``, each column sums to 1.

    >>> softmax(np.array([[1000.0], [0.0]])).ravel()
    array([1., 0.])
    """
    Z = np.asarray(Z)
    E: FloatArray = np.exp(Z - np.max(Z, axis=axis, keepdims=True))
    E /= np.sum(E, axis=axis, keepdims=True)
    return E


def softmax_backward(dA: FloatArray, A: FloatArray, axis: int = 0) -> FloatArray:
    """dZ = dA · ∂a/∂z for a = softmax(z): dz_j = a_j (da_j − Σ_i a_i da_i).

    At an output trained with cross-entropy this collapses to dZ = A − Y, which the
    engines use directly; this general form serves other upstream gradients.
    """
    dZ: FloatArray = A * (dA - np.sum(dA * A, axis=axis, keepdims=True))
    return dZ


def log_softmax(Z: ArrayLike, axis: int = 0) -> FloatArray:
    """ln softmax(z) = z − logsumexp(z), without forming the probabilities."""
    Z = np.asarray(Z)
    return Z - logsumexp(Z, axis=axis, keepdims=True)


def hardmax(Z: ArrayLike, axis: int = 0) -> FloatArray:
    """The notes' "hard max": 1 at the largest unit of each column, 0 elsewhere.

    >>> hardmax(np.array([[5.0], [2.0], [-1.0], [3.0]])).ravel()
    array([1., 0., 0., 0.])
    """
    Z = np.asarray(Z)
    out = np.zeros_like(Z, dtype=np.result_type(Z.dtype, np.float32))
    np.put_along_axis(out, np.expand_dims(np.argmax(Z, axis=axis), axis), 1.0, axis=axis)
    return out


def relu(Z: FloatArray) -> FloatArray:
    """ReLU(z) = max(0, z)."""
    return np.maximum(Z, 0)


def relu_backward(dA: FloatArray, Z: FloatArray) -> FloatArray:
    """dZ = dA · 1[z > 0] (the subgradient 0 is used at z = 0)."""
    return dA * (Z > 0)


def tanh(Z: FloatArray) -> FloatArray:
    """tanh(z), bounded in (−1, 1)."""
    return np.tanh(Z)


def tanh_backward(dA: FloatArray, A: FloatArray) -> FloatArray:
    """dZ = dA · (1 − a²), from the forward output ``A = tanh(Z)``."""
    return dA * (1.0 - A * A)


def identity(Z: FloatArray) -> FloatArray:
    """The linear activation a = z."""
    return Z


def identity_backward(dA: FloatArray, Z: FloatArray) -> FloatArray:
    """dZ = dA."""
    return dA


Activation: TypeAlias = Callable[[FloatArray], FloatArray]
ActivationBackward: TypeAlias = Callable[[FloatArray, FloatArray], FloatArray]

# name -> (forward, backward, whether backward wants the forward output A (True) or Z)
ACTIVATIONS: dict[str, tuple[Activation, ActivationBackward, bool]] = {
    "sigmoid": (sigmoid, sigmoid_backward, True),
    "tanh": (tanh, tanh_backward, True),
    "relu": (relu, relu_backward, False),
    "softmax": (softmax, softmax_backward, True),
    "identity": (identity, identity_backward, False),
}


# --------------------------------------------------------------------------------- losses
# Each loss returns the cost J = (1/m) Σ_i L(ŷ⁽ⁱ⁾, y⁽ⁱ⁾): the mean over the m examples
# (columns), summed over the output units. ``reduction="none"`` gives the (m,) losses.


def _reduce(losses: FloatArray, reduction: Reduction) -> float | FloatArray:
    if reduction == "mean":
        return float(losses.mean())
    if reduction == "sum":
        return float(losses.sum())
    if reduction == "none":
        return losses
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _clip_probabilities(A: ArrayLike) -> FloatArray:
    # A probability of exactly 0 or 1 would give ln 0 = −inf; the smallest step away
    # from them that the dtype can represent keeps the loss finite and barely changed.
    A = np.asarray(A)
    if not np.issubdtype(A.dtype, np.floating):
        A = A.astype(np.float64)
    eps = np.finfo(A.dtype).eps
    clipped: FloatArray = np.clip(A, eps, 1.0 - eps)
    return clipped


def binary_cross_entropy(
    A: ArrayLike, Y: ArrayLike, reduction: Reduction = "mean"
) -> float | FloatArray:
    """L(a, y) = −[y ln a + (1 − y) ln(1 − a)], summed over units, from probabilities.

    Used for one sigmoid output (binary) and for C independent sigmoids (multi-label).

    Shape: ``A`` and ``Y`` ``(n_out, m)``.

    The notes' multi-label example, y = (1, 0, 1), a = (0.6, 0.7, 0.4):

    >>> binary_cross_entropy(np.array([[0.6], [0.7], [0.4]]), np.array([[1], [0], [1]]))
    2.631...
    """
    A = _clip_probabilities(A)
    Y = np.asarray(Y)
    losses = -(Y * np.log(A) + (1 - Y) * np.log1p(-A)).sum(axis=0)
    return _reduce(losses, reduction)


def binary_cross_entropy_backward(A: ArrayLike, Y: ArrayLike) -> FloatArray:
    """dA = ∂L/∂a = −y/a + (1 − y)/(1 − a), elementwise: the notes' "da".

    Through σ (`sigmoid_backward`) it becomes dz = da · a(1 − a) = a − y. ``A`` is
    clipped like in the loss, so a = 0 or 1 gives a large finite slope, not inf.

    Shape: ``A`` and ``Y`` ``(n_out, m)``; output ``(n_out, m)``.

    >>> a = np.array([[0.6]])
    >>> da = binary_cross_entropy_backward(a, np.array([[1.0]]))
    >>> da.round(4), sigmoid_backward(da, a).round(4)   # dz = a − y = −0.4
    (array([[-1.6667]]), array([[-0.4]]))
    """
    A = _clip_probabilities(A)
    Y = np.asarray(Y)
    return -Y / A + (1 - Y) / (1 - A)


def binary_cross_entropy_with_logits(
    Z: ArrayLike,
    Y: ArrayLike,
    reduction: Reduction = "mean",
    pos_weight: ArrayLike | None = None,
) -> float | FloatArray:
    """The same loss from logits z (a = σ(z)): max(z, 0) − z·y + ln(1 + e^(−|z|)).

    Exact for any z, where going through σ(z) would round 1 − σ(z) to 0.

    ``pos_weight`` p, shape (n_out, 1), weighs each unit's positive term, as torch's
    ``BCEWithLogitsLoss``: L = −[p·y ln a + (1 − y) ln(1 − a)]
    = p·y·softplus(−z) + (1 − y)·softplus(z).

    >>> float(binary_cross_entropy_with_logits([[0.0]], [[1.0]], pos_weight=[[3.0]]))
    2.079...
    """
    Z = np.asarray(Z)
    Y = np.asarray(Y)
    softplus_z = np.maximum(Z, 0) + np.log1p(np.exp(-np.abs(Z)))  # −ln(1 − σ(z))
    if pos_weight is None:
        losses = (softplus_z - Z * Y).sum(axis=0)
    else:
        # softplus(−z) = softplus(z) − z = −ln σ(z)
        losses = (np.asarray(pos_weight) * Y * (softplus_z - Z) + (1 - Y) * softplus_z).sum(axis=0)
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits_backward(
    A: FloatArray, Y: FloatArray, pos_weight: FloatArray | None = None
) -> FloatArray:
    """dZ = ∂L/∂z for :func:`binary_cross_entropy_with_logits`, from a = σ(z):
    a − y, or a·(1 + (p − 1)·y) − p·y with ``pos_weight`` p.

    >>> binary_cross_entropy_with_logits_backward(np.array([[0.5]]), np.array([[1.0]]),
    ...                                           np.array([[3.0]]))
    array([[-1.5]])
    """
    if pos_weight is None:
        dZ: FloatArray = A - Y
        return dZ
    PY = pos_weight * Y
    dZ = A * (1 - Y + PY) - PY
    return dZ


def categorical_cross_entropy(
    A: ArrayLike, Y: ArrayLike, reduction: Reduction = "mean"
) -> float | FloatArray:
    """L(ŷ, y) = −Σ_i y_i ln ŷ_i (natural log), from probabilities; ``Y`` is one-hot.

    The notes' example: ŷ = (0.3, 0.2, 0.1, 0.4), the truth is class 1:

    >>> categorical_cross_entropy(np.array([[0.3], [0.2], [0.1], [0.4]]),
    ...                           np.array([[0], [1], [0], [0]]))
    1.609...
    """
    A = _clip_probabilities(A)
    losses = -(np.asarray(Y) * np.log(A)).sum(axis=0)
    return _reduce(losses, reduction)


def categorical_cross_entropy_backward(A: ArrayLike, Y: ArrayLike) -> FloatArray:
    """dA = ∂L/∂a = −y / a, elementwise, for L = −Σ y_i ln a_i.

    Through softmax (`softmax_backward`) it becomes dz = a − y, since each column of
    ``Y`` sums to 1.

    Shape: ``A`` and ``Y`` ``(C, m)``; output ``(C, m)``.

    >>> a = softmax(np.array([[5.0], [2.0], [-1.0], [3.0]]))
    >>> y = np.array([[1.0], [0.0], [0.0], [0.0]])
    >>> softmax_backward(categorical_cross_entropy_backward(a, y), a).ravel().round(3)
    array([-0.158,  0.042,  0.002,  0.114])
    """
    return -np.asarray(Y) / _clip_probabilities(A)


def categorical_cross_entropy_with_logits(
    Z: ArrayLike, Y: ArrayLike, reduction: Reduction = "mean"
) -> float | FloatArray:
    """The same loss from logits: −Σ_i y_i (z_i − logsumexp(z)) = logsumexp(z) − yᵀz."""
    Z = np.asarray(Z)
    Y = np.asarray(Y)
    losses = logsumexp(Z, axis=0) * Y.sum(axis=0) - (Y * Z).sum(axis=0)
    return _reduce(losses, reduction)


def squared_error(A: ArrayLike, Y: ArrayLike, reduction: Reduction = "mean") -> float | FloatArray:
    """L(ŷ, y) = ½(ŷ − y)², summed over units: the loss the notes reject for logistic
    regression because, through σ, it makes the cost non-convex."""
    D = np.asarray(A) - np.asarray(Y)
    return _reduce(0.5 * (D * D).sum(axis=0), reduction)


def one_hot(y: ArrayLike, C: int | None = None, dtype: DTypeLike = np.float64) -> NDArray[Any]:
    """One-hot labels in the notes' layout: ``Y[c, i] = 1`` where ``y[i] == c``.

    Parameters
    ----------
    y : array-like of int, shape (m,)
        Class indices in ``0 .. C-1``.
    C : int, optional
        Number of classes; ``max(y) + 1`` when omitted.

    Returns
    -------
    Y : ndarray of shape (C, m)

    >>> one_hot([1, 0, 3], C=4)
    array([[0., 1., 0.],
           [1., 0., 0.],
           [0., 0., 0.],
           [0., 0., 1.]])
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"one_hot expects a 1-D array of class indices, got shape {y.shape}")
    if y.size and not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.mod(y, 1) == 0):
            raise ValueError("one_hot expects integer class indices")
        y = y.astype(np.intp)
    if C is None:
        C = int(y.max()) + 1 if y.size else 0
    if y.size and (y.min() < 0 or y.max() >= C):
        raise ValueError(f"class indices must lie in [0, {C - 1}], got [{y.min()}, {y.max()}]")
    Y = np.zeros((C, y.shape[0]), dtype=dtype)
    Y[y, np.arange(y.shape[0])] = 1
    return Y
