"""The NumPy engine: dense layers, forward and backward passes, solvers, gradient check."""

from ..spec import SOLVERS, TrainConfig
from .gradcheck import gradcheck
from .layers import Dense
from .lr_find import LRFinderResult, find_learning_rate, suggest_learning_rate
from .network import INITS, Network
from .reference import loop_dot, loop_logistic_step
from .solvers import Iteration, StopTraining, TrainResult, TrainState, train

__all__ = [
    "Dense",
    "INITS",
    "LRFinderResult",
    "Network",
    "SOLVERS",
    "TrainConfig",
    "Iteration",
    "StopTraining",
    "TrainResult",
    "TrainState",
    "find_learning_rate",
    "gradcheck",
    "loop_dot",
    "loop_logistic_step",
    "suggest_learning_rate",
    "train",
]
