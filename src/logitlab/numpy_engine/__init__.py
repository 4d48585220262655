"""The NumPy engine: dense layers, forward and backward passes, solvers, gradient check."""

from ..spec import SOLVERS, TrainConfig
from .gradcheck import gradcheck
from .layers import Dense
from .network import INITS, Network
from .reference import loop_dot, loop_logistic_step
from .solvers import TrainResult, train

__all__ = [
    "Dense",
    "INITS",
    "Network",
    "SOLVERS",
    "TrainConfig",
    "TrainResult",
    "gradcheck",
    "loop_dot",
    "loop_logistic_step",
    "train",
]
