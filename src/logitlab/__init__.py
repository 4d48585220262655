"""logitlab: neural-network classifiers from the notes' math, in NumPy and PyTorch.

>>> from logitlab import SoftmaxRegression, functional
"""

from ._version import __version__
from .estimators import (
    LogisticRegression,
    MultiLabelClassifier,
    NeuralNetClassifier,
    OneVsAllClassifier,
    SoftmaxRegression,
)
from .numpy_engine import gradcheck
from .spec import ModelSpec, TrainConfig

__all__ = [
    "LogisticRegression",
    "ModelSpec",
    "MultiLabelClassifier",
    "NeuralNetClassifier",
    "OneVsAllClassifier",
    "SoftmaxRegression",
    "TrainConfig",
    "__version__",
    "gradcheck",
]
