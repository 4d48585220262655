"""The NumPy engine: dense layers, forward and backward passes, solvers, gradient check."""

from ..spec import SOLVERS, TrainConfig
from .gradcheck import gradcheck
from .layers import Dense
from .network import INITS, Network
from .reference import loop_dot, loop_logistic_step
from .solvers import Iteration, StopTraining, TrainResult, TrainState, train

__all__ = [
    "Dense",
    "INITS",
    "Network",
    "SOLVERS",
    "TrainConfig",
    "Iteration",
    "StopTraining",
    "TrainResult",
    "TrainState",
    "gradcheck",
    "loop_dot",
    "loop_logistic_step",
    "train",
]
