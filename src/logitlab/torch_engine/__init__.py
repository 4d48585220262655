"""The PyTorch engine: the same networks as ``torch.nn.Module``, trained with
``torch.optim``, on CPU, CUDA or many processes under ``torch.distributed``.

Importing it needs PyTorch (``pip install 'logitlab[torch]'``); the rest of logitlab
does not.
"""

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised by a test that hides torch
    raise ImportError(
        "logitlab's torch engine needs PyTorch, which is not installed: "
        "pip install 'logitlab[torch]'"
    ) from exc

from .module import TorchNetwork
from .train import resolve_device, setup_distributed, shared_seed, train, train_dataset

__all__ = [
    "TorchNetwork",
    "resolve_device",
    "setup_distributed",
    "shared_seed",
    "train",
    "train_dataset",
]
