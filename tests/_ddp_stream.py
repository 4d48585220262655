"""Worker for test_torch_distributed.py's streamed tests, launched by torchrun: fits
every case of CASES on a streamed dataset and saves each rank's result."""

import sys

import numpy as np
import torch
import torch.distributed as dist
from sklearn.datasets import load_digits

from logitlab import NeuralNetClassifier
from logitlab.torch_engine.data import ArrayDataset, ImageFolderDataset

# name -> (data, fit settings). Global batches of 33 over 100 (and 34) examples and of
# 13 over 27 images end with a batch of one example: rank 1's shard of it is empty.
CASES = {
    "array": ("array", {}),
    "array-dropout": ("array", {"dropout": 0.3}),
    "images": ("images", {"batch_size": 13}),
    "val-loss": ("array", {"early_stopping": True, "n_iter_no_change": 1}),
    "val-accuracy": (
        "array",
        {"early_stopping": True, "n_iter_no_change": 1, "validation_scoring": "accuracy"},
    ),
}


def datasets(data, images):
    """(train, validation) datasets of a case, float64 so one process and two agree
    to rounding."""
    if data == "images":
        return ImageFolderDataset(images, size=6, dtype=torch.float64), None
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    return (
        ArrayDataset(X[:100], y[:100], dtype=torch.float64),
        ArrayDataset(X[100:134], y[100:134], dtype=torch.float64),
    )


def fit_case(name, images, device="cpu", num_workers=0):
    data, settings = CASES[name]
    train, val = datasets(data, images)
    kw = dict(
        hidden_layer_sizes=(6,),
        solver="adam",
        batch_size=33,
        learning_rate=0.05,
        max_iter=4,
        tol=0,
        alpha=0.01,
        random_state=0,
        engine="torch",
        device=device,
    )
    kw.update(settings)
    if kw.get("early_stopping"):
        # a rate high enough that the validation figure turns before max_iter
        kw.update(learning_rate=0.3, max_iter=10)
    clf = NeuralNetClassifier(**kw)
    val = val if kw.get("early_stopping") else None
    return clf.fit_dataset(train, val_dataset=val, num_workers=num_workers)


def summary(clf):
    return {
        "theta": clf.network_.theta,
        "history": clf.history_,
        "n_iter": clf.n_iter_,
        "validation_history": np.asarray(
            [] if clf.validation_history_ is None else clf.validation_history_
        ),
        "validation_scores": np.asarray(
            [] if clf.validation_scores_ is None else clf.validation_scores_
        ),
    }


if __name__ == "__main__":
    # device "auto" under torchrun with CUDA: cuda:LOCAL_RANK, one GPU per rank (nccl)
    out, images, device = sys.argv[1], sys.argv[2], (sys.argv[3:] or ["cpu"])[0]
    results = {}
    for name in CASES:
        for key, value in summary(fit_case(name, images, device)).items():
            results[f"{name}/{key}"] = value
    rank = dist.get_rank()
    dist.barrier()  # every rank done training before anyone writes or leaves
    np.savez(f"{out}.rank{rank}.npz", world=dist.get_world_size(), **results)
    # leave together: a rank that exits while its peer still holds the gloo connection
    # can make the peer abort in teardown
    dist.barrier()
    dist.destroy_process_group()
