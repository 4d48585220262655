"""A network of dense layers with its parameters in one flat vector.

All W[l] and b[l] are views into one contiguous vector ``theta`` (and all dW[l], db[l]
into ``grad``), so a solver updates every parameter with one vector operation and
SciPy's L-BFGS can work on the network without copying layer by layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .. import functional as F
from ..functional import FloatArray
from ..spec import ModelSpec
from .layers import Cache, Dense
from .sparse import Matrix, matmul

INITS = ("auto", "zeros", "random", "he", "xavier")

# what np.random.default_rng accepts: a generator, a seed, or None for fresh entropy
Seed: TypeAlias = np.random.Generator | np.random.BitGenerator | np.random.SeedSequence | int | None


class Network:
    """The parameters, forward pass, cost and back-propagation of a :class:`ModelSpec`.

    Parameters
    ----------
    spec : ModelSpec
    dtype : numpy dtype, default float64

    Shapes
    ------
    - Input ``X``: (n_x, m), one example per column: a dense array, or a
      ``scipy.sparse`` matrix (the transpose of CSR rows), which only the first layer
      reads (see :mod:`.sparse`).
    - ``Y``: (n_out, m): 0/1 labels (binary), one-hot (softmax) or indicators (multi-label).
    - Output of :meth:`predict_output`: (n_out, m) probabilities.

    Examples
    --------
    >>> import numpy as np
    >>> from logitlab.spec import ModelSpec
    >>> net = Network(ModelSpec(n_x=3, hidden=(4,), n_out=2, head="softmax"))
    >>> net.initialize("xavier", np.random.default_rng(0))
    >>> [W.shape for W in net.W], [b.shape for b in net.b]
    ([(4, 3), (2, 4)], [(4, 1), (2, 1)])
    >>> net.predict_output(np.ones((3, 5))).sum(axis=0)
    array([1., 1., 1., 1., 1.])
    """

    def __init__(self, spec: ModelSpec, dtype: DTypeLike = np.float64) -> None:
        self.spec = spec
        self.dtype: np.dtype[Any] = np.dtype(dtype)
        self.theta: FloatArray = np.zeros(spec.n_params, dtype=self.dtype)
        self.grad = np.zeros_like(self.theta)
        self.W: list[FloatArray] = []
        self.b: list[FloatArray] = []
        self.dW: list[FloatArray] = []
        self.db: list[FloatArray] = []
        self.layers: list[Dense] = []
        self._w_slices: list[slice] = []
        offset = 0
        for ((n_l, n_prev), b_shape), act in zip(spec.shapes, spec.activations):
            views: list[slice] = []
            for shape in ((n_l, n_prev), b_shape):
                size = shape[0] * shape[1]
                views.append(slice(offset, offset + size))
                offset += size
            (ws, bs) = views
            self._w_slices.append(ws)
            W, b = self.theta[ws].reshape(n_l, n_prev), self.theta[bs].reshape(b_shape)
            dW, db = self.grad[ws].reshape(n_l, n_prev), self.grad[bs].reshape(b_shape)
            self.W.append(W)
            self.b.append(b)
            self.dW.append(dW)
            self.db.append(db)
            self.layers.append(Dense(W, b, dW, db, act))

    # pickle and deepcopy would turn the views W, b, dW, db into arrays of their own,
    # which a solver updating theta would no longer move: keep the parameters and
    # rebuild the views from them
    def __getstate__(self) -> dict[str, Any]:
        return {"spec": self.spec, "dtype": self.dtype, "theta": self.theta}

    def __setstate__(self, state: dict[str, Any]) -> None:
        Network.__init__(self, state["spec"], state["dtype"])
        self.theta[:] = state["theta"]

    # ----------------------------------------------------------------- initialisation
    def initialize(self, init: str = "auto", rng: Seed = None) -> None:
        """Set W[l] and b[l] (b = 0 always).

        - ``"zeros"``: W = 0; fine for logistic/softmax regression (the cost is convex),
          refused with hidden layers, whose units would stay identical.
        - ``"random"``: W ~ N(0, 1)·0.01, the notes' small random values.
        - ``"he"``: W ~ N(0, 2/n_{l−1}), for ReLU layers.
        - ``"xavier"``: W ~ U(±√(6/(n_{l−1} + n_l))) (Glorot uniform, torch's
          ``xavier_uniform_``).
        - ``"auto"``: zeros without hidden layers; He for ReLU, Xavier otherwise.
        """
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        if init == "auto":
            if not self.spec.hidden:
                init = "zeros"
            else:
                init = "he" if self.spec.activation == "relu" else "xavier"
        if init == "zeros" and self.spec.hidden:
            raise ValueError(
                "init='zeros' cannot train hidden layers: every unit of a layer would get "
                "the same gradient and stay identical; use 'he', 'xavier' or 'random'"
            )
        rng = np.random.default_rng(rng)
        self.theta[:] = 0
        if init == "zeros":
            return
        for W in self.W:
            n_l, n_prev = W.shape
            if init == "random":
                W[:] = rng.standard_normal(W.shape) * 0.01
            elif init == "he":
                W[:] = rng.standard_normal(W.shape) * np.sqrt(2.0 / n_prev)
            else:
                limit = np.sqrt(6.0 / (n_prev + n_l))
                W[:] = rng.uniform(-limit, limit, size=W.shape)

    def set_params(self, theta: ArrayLike) -> None:
        self.theta[:] = theta

    # what the solvers' monitor needs of a model (the torch engine provides the same)
    def snapshot(self) -> FloatArray:
        return self.theta.copy()

    def restore(self, snapshot: ArrayLike) -> None:
        self.theta[:] = snapshot

    def all_finite(self) -> bool:
        return bool(np.all(np.isfinite(self.theta)))

    # ------------------------------------------------------------------ forward pass
    def forward(
        self, X: Matrix, masks: Sequence[FloatArray] | None = None
    ) -> tuple[FloatArray, FloatArray, list[Cache]]:
        """Forward propagation; returns the output logits Z[L], probabilities A[L] and
        the caches of every layer. ``masks[l]`` is hidden layer l+1's dropout mask
        D/keep_prob (see :meth:`Dense.forward`); None: no dropout."""
        A: Matrix = X
        caches: list[Cache] = []
        for i, layer in enumerate(self.layers):
            mask = masks[i] if masks is not None and i < len(self.layers) - 1 else None
            A, cache = layer.forward(A, mask)
            caches.append(cache)
        return caches[-1][1], A, caches

    def decision_function(self, X: Matrix) -> FloatArray:
        """Z[L], the output layer's logits, shape (n_out, m)."""
        A: Matrix = X
        for layer in self.layers[:-1]:
            A, _ = layer.forward(A)
        out = self.layers[-1]
        Z = matmul(out.W, A)
        Z += out.b
        return Z

    def predict_output(self, X: Matrix) -> FloatArray:
        """A[L]: P(y=1|x) (binary), class probabilities (softmax) or per-label
        probabilities (multi-label), shape (n_out, m)."""
        Z = self.decision_function(X)
        return F.softmax(Z) if self.spec.head == "softmax" else F.sigmoid(Z)

    # ----------------------------------------------------------------------- the cost
    def data_cost(
        self,
        Z: FloatArray,
        Y: FloatArray,
        weights: FloatArray | None = None,
        pos_weight: FloatArray | None = None,
    ) -> float:
        """Mean cross-entropy over the m examples, from the logits (stable):
        (1/m) Σ_i w_i·L_i with per-example ``weights`` w (m,), and each label's positive
        term weighed by ``pos_weight`` (n_out, 1) (binary and multi-label heads)."""
        if self.spec.head == "softmax":
            losses = F.categorical_cross_entropy_with_logits(Z, Y, reduction="none")
        else:
            losses = F.binary_cross_entropy_with_logits(
                Z, Y, reduction="none", pos_weight=pos_weight
            )
        assert isinstance(losses, np.ndarray)
        if weights is not None:
            return float(np.dot(losses, weights) / losses.shape[0])
        return float(losses.mean())

    def penalty(self, alpha: float, m: float) -> float:
        """alpha/(2m) · Σ_l ‖W[l]‖²_F; biases are not penalised."""
        if not alpha:
            return 0.0
        # einsum, not vdot: a threaded BLAS dot of ~10⁴ entries can stall for
        # milliseconds on a busy machine, longer than the whole rest of an iteration
        return float(alpha / (2.0 * m) * sum(np.einsum("ij,ij->", W, W) for W in self.W))

    def cost(
        self,
        X: Matrix,
        Y: FloatArray,
        alpha: float = 0.0,
        m_total: float | None = None,
        weights: FloatArray | None = None,
        pos_weight: FloatArray | None = None,
    ) -> float:
        """J = (1/m) Σ w_i·L_i + alpha/(2·m_total)·Σ‖W‖² (m_total defaults to m, w to 1)."""
        Z = self.decision_function(X)
        return self.data_cost(Z, Y, weights, pos_weight) + self.penalty(
            alpha, m_total or X.shape[1]
        )

    # ------------------------------------------------------------------ backward pass
    def cost_and_grad(
        self,
        X: Matrix,
        Y: FloatArray,
        alpha: float = 0.0,
        m_total: float | None = None,
        weights: FloatArray | None = None,
        pos_weight: FloatArray | None = None,
        masks: Sequence[FloatArray] | None = None,
    ) -> tuple[float, FloatArray]:
        """Forward pass, cost J and back-propagation; fills and returns ``self.grad``.

        The output layer starts back-propagation with dZ[L] = A[L] − Y, which holds for
        every head (sigmoid with binary cross-entropy, softmax with categorical
        cross-entropy, independent sigmoids with binary cross-entropy summed over
        labels); with ``pos_weight`` p it is A·(1 + (p − 1)Y) − pY, and per-example
        ``weights`` w scale each column: dZ[:, i] *= w_i. The L2 term adds
        (alpha/m_total)·W[l] to dW[l].

        ``m_total`` is the number the penalty is divided by: the size of the whole
        training set (with sample weights s, Σ s_i, and ``weights`` are s_i·m/Σ s), also
        when (X, Y) is one mini-batch, so that the mean of the mini-batch costs
        estimates the full-batch J = Σ s_i·L_i/Σ s_i + alpha/(2·Σ s_i)·Σ‖W‖².
        ``masks`` are the hidden layers' dropout masks (see :meth:`forward`).
        """
        m_total = m_total or X.shape[1]
        Z, A, caches = self.forward(X, masks)
        J = self.data_cost(Z, Y, weights, pos_weight) + self.penalty(alpha, m_total)
        if self.spec.head == "softmax":
            delta: FloatArray = A - Y
        else:
            delta = F.binary_cross_entropy_with_logits_backward(A, Y, pos_weight)
        if weights is not None:
            delta *= weights
        dZ: FloatArray | None = delta
        dA: FloatArray | None = None
        for i in range(len(self.layers) - 1, -1, -1):
            dA = self.layers[i].backward(caches[i], dA=dA, dZ=dZ, need_dA_prev=i > 0)
            dZ = None  # below the output, each layer derives dZ from dA
        if alpha:
            for W, dW in zip(self.W, self.dW):
                dW += (alpha / m_total) * W
        return J, self.grad

    def dropout_masks(self, keep_prob: float, m: int, rng: np.random.Generator) -> list[FloatArray]:
        """One mask D[l]/keep_prob per hidden layer for m examples: each unit kept with
        probability ``keep_prob`` (D = 1) and scaled by 1/keep_prob, else 0."""
        return [
            (rng.random((n, m)) < keep_prob).astype(self.dtype) / keep_prob
            for n in self.spec.hidden
        ]
