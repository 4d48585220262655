"""One description of a network, read by both engines, and the words for it.

A :class:`ModelSpec` names the layer sizes ``[n_x, n_1, ..., n_L]``, the hidden
activation and the output head. It says nothing about how the network is trained.

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
MODELS = ("logistic", "softmax", "one-vs-all", "multilabel", "mlp")
TASKS_OF_MODEL: Mapping[str, tuple[str, ...]] = {
    "logistic": ("binary",),
    "softmax": ("binary", "multiclass"),
    "one-vs-all": ("binary", "multiclass"),
    "multilabel": ("multilabel",),
    "mlp": TASKS,
}
#: the model ``--model auto`` picks for each task: the notes' linear model for it
DEFAULT_MODEL: Mapping[str, str] = {
    "binary": "logistic",
    "multiclass": "softmax",
    "multilabel": "multilabel",
}
HIDDEN_ACTIVATIONS = ("relu", "tanh", "sigmoid")


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
