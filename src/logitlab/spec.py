"""One description of a network and one of its training, read by both engines, and
the words for them.

A :class:`ModelSpec` names the layer sizes ``[n_x, n_1, ..., n_L]``, the hidden
activation and the output head. It says nothing about how the network is trained:
that is a :class:`TrainConfig`, built once by the estimators and handed to either
engine's ``train``.

The vocabulary, used with these meanings everywhere in logitlab:

- a **task** is what the data asks (:data:`TASKS`): ``binary`` (one of two classes),
  ``multiclass`` (one of C classes), ``multilabel`` (any of C labels);
- a **head** is the output layer that answers it (:data:`HEADS`): one sigmoid unit
  (``binary``), C softmax units (``softmax``), C independent sigmoids
  (``multilabel``); :data:`HEAD_FOR_TASK` pairs them;
- a **model** is the kind of estimator a user names, ``logitlab train --model``
  (:data:`MODELS`), each fitting the tasks in :data:`TASKS_OF_MODEL`.

>>> spec = ModelSpec(n_x=12288, hidden=(25, 12), n_out=6, head="softmax")
>>> spec.layer_sizes
(12288, 25, 12, 6)
>>> spec.activations
('relu', 'relu', 'softmax')
>>> spec.n_params
307615
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

TASKS = ("binary", "multiclass", "multilabel")
HEADS = ("binary", "softmax", "multilabel")
HEAD_FOR_TASK: Mapping[str, str] = {
    "binary": "binary",
    "multiclass": "softmax",
    "multilabel": "multilabel",
}
MODELS = ("logistic", "softmax", "one-vs-all", "multilabel", "mlp", "chains")
TASKS_OF_MODEL: Mapping[str, tuple[str, ...]] = {
    "logistic": ("binary",),
    "softmax": ("binary", "multiclass"),
    "one-vs-all": ("binary", "multiclass"),
    "multilabel": ("multilabel",),
    "mlp": TASKS,
    "chains": ("multilabel",),
}
#: the model ``--model auto`` picks for each task: the notes' linear model for it
DEFAULT_MODEL: Mapping[str, str] = {
    "binary": "logistic",
    "multiclass": "softmax",
    "multilabel": "multilabel",
}
HIDDEN_ACTIVATIONS = ("relu", "tanh", "sigmoid")
SOLVERS = ("gd", "sgd", "momentum", "adam", "lbfgs")
LR_SCHEDULES = ("constant", "step", "cosine", "plateau")
VALIDATION_SCORINGS = ("loss", "accuracy", "hamming")
#: what ``threshold="cv"`` optimises, label by label: the errors (Hamming loss) or F1
THRESHOLD_SCORINGS = ("hamming", "f1")
#: how earlier labels enter a classifier chain's later classifiers
CHAIN_METHODS = ("predict_proba", "predict")
#: "auto": torch with CUDA or on large problems, else NumPy (``estimators.choose_engine``)
ENGINES = ("auto", "numpy", "torch")


@dataclass(frozen=True)
class ModelSpec:
    """Layer sizes, activations and output head of a fully-connected network.

    Parameters
    ----------
    n_x : int
        Number of input features.
    hidden : tuple of int
        Sizes of the hidden layers; ``()`` is a one-layer (linear) model.
    n_out : int
        Output units: 1 for ``head="binary"``, C for ``"softmax"`` and ``"multilabel"``.
    head : {"binary", "softmax", "multilabel"}
        One sigmoid unit with binary cross-entropy; C softmax units with categorical
        cross-entropy; C independent sigmoids with binary cross-entropy summed over them.
    activation : {"relu", "tanh", "sigmoid"}
        Activation of every hidden layer.
    """

    n_x: int
    hidden: tuple[int, ...] = field(default=())
    n_out: int = 1
    head: str = "binary"
    activation: str = "relu"

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if self.head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {self.head!r}")
        if self.activation not in HIDDEN_ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {HIDDEN_ACTIVATIONS}, got {self.activation!r}"
            )
        if self.n_x < 1 or self.n_out < 1 or any(h < 1 for h in self.hidden):
            raise ValueError(f"layer sizes must be positive, got {self.layer_sizes}")
        if self.head == "binary" and self.n_out != 1:
            raise ValueError(f"a binary head has 1 output unit, got n_out={self.n_out}")

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """``(n_x, n_1, ..., n_L)``."""
        return (int(self.n_x), *self.hidden, int(self.n_out))

    @property
    def output_activation(self) -> str:
        return "softmax" if self.head == "softmax" else "sigmoid"

    @property
    def activations(self) -> tuple[str, ...]:
        """Activation of each layer 1..L."""
        return (self.activation,) * len(self.hidden) + (self.output_activation,)

    @property
    def shapes(self) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        """``[(W1 shape, b1 shape), ...]`` in the notes' layout: W[l] is (n_l, n_{l-1})."""
        s = self.layer_sizes
        return [((s[i + 1], s[i]), (s[i + 1], 1)) for i in range(len(s) - 1)]

    @property
    def n_params(self) -> int:
        return sum(w[0] * w[1] + b[0] for w, b in self.shapes)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ModelSpec:
        return cls(**{k: d[k] for k in ("n_x", "hidden", "n_out", "head", "activation")})


@dataclass(frozen=True)
class TrainConfig:
    """How a network is trained: every setting both engines read, declared once.

    Parameters
    ----------
    solver : {"gd", "sgd", "momentum", "adam", "lbfgs"}
        ``gd``: the notes' θ := θ − α·dθ; ``sgd``: the same on mini-batches;
        ``momentum`` and ``adam``: those rules; ``lbfgs``: full-batch L-BFGS.
    learning_rate : float
        α (not used by ``lbfgs``).
    max_iter : int
        Iterations (epochs for mini-batch solvers).
    batch_size : int or None
        Examples per mini-batch; None: the whole training set every update.
    tol : float
        Stop when the cost improves by less than ``tol`` for ``n_iter_no_change``
        iterations in a row (early stopping: the validation cost); 0 runs them all.
    alpha : float
        L2 penalty, J + alpha/(2m)·Σ‖W[l]‖².
    n_iter_no_change : int
    momentum : float
        β of ``momentum``.
    beta_1, beta_2, epsilon : float
        Adam's decay rates and ε.
    lr_schedule : {"constant", "step", "cosine", "plateau"}
        How α changes from iteration to iteration (see
        :class:`logitlab.numpy_engine.solvers.LRSchedule`).
    lr_decay : float
        γ: the factor of each ``step`` and ``plateau`` reduction.
    lr_step_size : int
        Iterations between two ``step`` reductions.
    lr_patience : int
        Iterations without progress before a ``plateau`` reduction.
    warmup_iter : int
        Iterations of linear warm-up from α/W to α at the start (any schedule).
    dropout : float
        Probability of dropping each hidden unit in training (inverted dropout:
        keep_prob = 1 − dropout); 0 turns it off. Never applied at prediction.
    early_stopping : bool
        Stop on the validation set when one is given (see ``tol``) and keep the best
        parameters.
    validation_scoring : {"loss", "accuracy", "hamming"}
        What early stopping watches on the validation set.
    verbose : int
        Print the cost every 10% of ``max_iter`` (1) or every iteration (2).
    device : str
        Torch engine: "auto", "cpu", "cuda" or "cuda:N".
    autocast : bool
        Torch engine: the forward pass in bfloat16 (for CUDA).

    Examples
    --------
    >>> TrainConfig(solver="adam", learning_rate=1e-3, batch_size=32).full_batch(1000)
    False
    >>> TrainConfig(solver="newton")
    Traceback (most recent call last):
    ...
    ValueError: solver must be one of ('gd', 'sgd', 'momentum', 'adam', 'lbfgs'), got 'newton'
    """

    solver: str = "gd"
    learning_rate: float = 0.01
    max_iter: int = 100
    batch_size: int | None = None
    tol: float = 0.0
    alpha: float = 0.0
    n_iter_no_change: int = 10
    momentum: float = 0.9
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    lr_schedule: str = "constant"
    lr_decay: float = 0.1
    lr_step_size: int = 30
    lr_patience: int = 5
    warmup_iter: int = 0
    dropout: float = 0.0
    early_stopping: bool = False
    validation_scoring: str = "loss"
    verbose: int = 0
    device: str = "auto"
    autocast: bool = False

    def __post_init__(self) -> None:
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}")
        if self.max_iter < 1 or self.n_iter_no_change < 1:
            raise ValueError(
                f"max_iter and n_iter_no_change must be >= 1, got {self.max_iter} and "
                f"{self.n_iter_no_change}"
            )
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 or None, got {self.batch_size}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {self.lr_schedule!r}")
        if self.validation_scoring not in VALIDATION_SCORINGS:
            raise ValueError(
                f"validation_scoring must be one of {VALIDATION_SCORINGS}, "
                f"got {self.validation_scoring!r}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.dropout and self.solver == "lbfgs":
            raise ValueError(
                "dropout makes the cost random, which L-BFGS cannot follow: use gd, sgd, "
                "momentum or adam"
            )
        if not 0.0 < self.lr_decay <= 1.0:
            raise ValueError(f"lr_decay must be in (0, 1], got {self.lr_decay}")
        if self.lr_step_size < 1 or self.lr_patience < 1 or self.warmup_iter < 0:
            raise ValueError(
                "lr_step_size and lr_patience must be >= 1 and warmup_iter >= 0, got "
                f"{self.lr_step_size}, {self.lr_patience} and {self.warmup_iter}"
            )

    def full_batch(self, m: int) -> bool:
        """Whether every update sees all ``m`` examples."""
        return self.batch_size is None or self.batch_size >= m
