"""Worker for test_torch_distributed.py, launched by torchrun: trains and saves."""

import sys

import numpy as np
import scipy.sparse
import torch.distributed as dist
from sklearn.datasets import load_digits

from logitlab import NeuralNetClassifier


def fit(solver, random_state, engine_kw, sparse=False, dropout=0.0):
    X, y = load_digits(return_X_y=True)
    X, y = X[:250] / 16.0, y[:250]
    if sparse:  # half of the pixels are 0: each rank's shard of a batch as a sparse tensor
        X = scipy.sparse.csr_array(X)
    return NeuralNetClassifier(
        hidden_layer_sizes=(10,),
        solver=solver,
        batch_size=33,
        learning_rate=0.05 if solver == "adam" else 0.2,
        max_iter=4,
        tol=0,
        alpha=0.01,
        dropout=dropout,
        random_state=random_state,
        **engine_kw,
    ).fit(X, y)


if __name__ == "__main__":
    out, solver, seed = sys.argv[1], sys.argv[2], sys.argv[3]
    sparse = "sparse" in sys.argv[4:]
    dropout = 0.3 if "dropout" in sys.argv[4:] else 0.0
    seed = None if seed == "none" else int(seed)
    clf = fit(solver, seed, {"engine": "torch", "device": "cpu"}, sparse, dropout)
    rank = dist.get_rank()
    dist.barrier()  # every rank done training before anyone writes or leaves
    np.savez(
        f"{out}.rank{rank}.npz",
        theta=clf.network_.theta,
        history=clf.history_,
        world=dist.get_world_size(),
    )
    # leave together: a rank that exits while its peer still holds the gloo connection
    # can make the peer abort in teardown
    dist.barrier()
    dist.destroy_process_group()
