"""A dense layer, its forward pass and its backward pass side by side.

The notes' notation throughout: ``A_prev`` is A[l−1] of shape (n_{l−1}, m), ``W`` is
W[l] of shape (n_l, n_{l−1}), ``b`` is b[l] of shape (n_l, 1), ``Z`` and ``A`` are
(n_l, m). No loop over the m examples: each step is one matrix operation.

The first layer's ``A_prev`` = X may be a ``scipy.sparse`` matrix (see :mod:`.sparse`):
its two products with X are then sparse-times-dense ones.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np

from ..functional import ACTIVATIONS, FloatArray
from .sparse import Matrix, matmul, weight_grad

# what a layer's forward pass keeps for its backward pass: (A_prev, Z, A, mask), A
# before dropout and the scaled dropout mask D/keep_prob (None without dropout); A_prev
# is sparse for the first layer of sparse X
Cache: TypeAlias = tuple[Matrix, FloatArray, FloatArray, FloatArray | None]


class Dense:
    """One fully-connected layer: Z = W·A_prev + b, then A = g(Z).

    ``W``, ``b``, ``dW`` and ``db`` are views into the network's flat parameter and
    gradient vectors, so a solver that updates the flat vector updates the layer.

    Shapes
    ------
    - Input ``A_prev``: (n_{l−1}, m), dense, or sparse for the first layer
    - ``W``: (n_l, n_{l−1}); ``b``: (n_l, 1)
    - Output ``A``: (n_l, m)
    """

    def __init__(
        self, W: FloatArray, b: FloatArray, dW: FloatArray, db: FloatArray, activation: str
    ) -> None:
        self.W, self.b, self.dW, self.db = W, b, dW, db
        self.activation = activation
        self._g, self._g_backward, self._backward_wants_A = ACTIVATIONS[activation]

    def forward(self, A_prev: Matrix, mask: FloatArray | None = None) -> tuple[FloatArray, Cache]:
        """Z = W·A_prev + b (b broadcast over the m columns), A = g(Z).

        With a dropout ``mask`` — the notes' D[l]/keep_prob, 0 for a dropped unit and
        1/keep_prob for a kept one, shape (n_l, m) — the output is A·D/keep_prob
        (inverted dropout: the expected activation is unchanged, so prediction needs
        no mask).

        Returns the output and the cache ``(A_prev, Z, A, mask)`` the backward pass
        needs.
        """
        Z = matmul(self.W, A_prev)
        Z += self.b
        A = self._g(Z)
        return (A if mask is None else A * mask), (A_prev, Z, A, mask)

    def backward(
        self,
        cache: Cache,
        dA: FloatArray | None = None,
        dZ: FloatArray | None = None,
        need_dA_prev: bool = True,
    ) -> FloatArray | None:
        """Gradients of the cost with respect to this layer's W, b and its input.

        - with dropout, dA := dA · D/keep_prob (the dropped units get no gradient)
        - dZ = dA · g'(Z); at an output with cross-entropy it is passed in directly as
          dZ = A − Y (sigmoid + binary cross-entropy, softmax + categorical).
        - dW = dZ·A_prevᵀ / m
        - db = mean(dZ) over the m columns, i.e. (1/m) Σ_i dZ[:, i]
        - dA_prev = Wᵀ·dZ

        dW and db are written into the network's flat gradient vector; dA_prev is
        returned (or ``None`` when ``need_dA_prev`` is false, for the first layer).
        """
        A_prev, Z, A, mask = cache
        if dZ is None:
            assert dA is not None, "backward needs dA or dZ"
            if mask is not None:
                dA = dA * mask
            dZ = self._g_backward(dA, A if self._backward_wants_A else Z)
        m = A_prev.shape[1]
        weight_grad(dZ, A_prev, out=self.dW)
        self.dW /= m
        np.mean(dZ, axis=1, keepdims=True, out=self.db)
        return self.W.T @ dZ if need_dA_prev else None
