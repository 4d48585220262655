"""logitlab: neural-network classifiers from the notes' math, in NumPy and PyTorch.

>>> from logitlab import SoftmaxRegression, functional
"""

from ._version import __version__
from .estimators import (
    ClassifierChainEnsemble,
    Iteration,
    LogisticRegression,
    MultiLabelClassifier,
    NeuralNetClassifier,
    OneVsAllClassifier,
    SoftmaxRegression,
    StopTraining,
)
from .numpy_engine import gradcheck
from .spec import ModelSpec, TrainConfig

__all__ = [
    "ClassifierChainEnsemble",
    "Iteration",
    "LogisticRegression",
    "ModelSpec",
    "MultiLabelClassifier",
    "NeuralNetClassifier",
    "OneVsAllClassifier",
    "SoftmaxRegression",
    "StopTraining",
    "TrainConfig",
    "__version__",
    "gradcheck",
]
