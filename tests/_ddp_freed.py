"""Worker for test_torch_distributed.py, launched by torchrun with the garbage collector
off: after an in-memory fit and a streamed fit with reader processes, is anything of
the training still alive (the DDP wrapper, which keeps the process group and its gloo
threads; the data loader's worker processes), and are gloo's threads gone once the
process group is destroyed?"""

import gc
import multiprocessing
import sys

gc.disable()  # the automatic collector would free the cycle by chance, as in a real run

import numpy as np  # noqa: E402
import torch.distributed as dist  # noqa: E402
from torch.nn.parallel import DistributedDataParallel  # noqa: E402

from _ddp_stream import fit_case  # noqa: E402
from _ddp_train import fit  # noqa: E402
from _loopback import gloo_threads  # noqa: E402


def alive():
    """The DDP wrappers and the reader processes still alive."""
    ddp = [type(o).__name__ for o in gc.get_objects() if isinstance(o, DistributedDataParallel)]
    readers = [p.name for p in multiprocessing.active_children()]
    return np.array(sorted(ddp + readers), dtype=str)


if __name__ == "__main__":
    out, images = sys.argv[1], sys.argv[2]
    collections = []  # the collector is off: each one is a gc.collect() call
    gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(1))
    fit("adam", 0, {"engine": "torch", "device": "cpu"})
    after_fit, collected_first = alive(), len(collections)
    fit_case("images", images, num_workers=2)
    after_stream, collected_later = alive(), len(collections) - collected_first
    rank = dist.get_rank()
    dist.barrier()
    dist.destroy_process_group()
    np.savez(
        f"{out}.rank{rank}.npz",
        fit=after_fit,
        fit_dataset=after_stream,
        threads=np.array(gloo_threads(), dtype=str),
        collections=[collected_first, collected_later],
    )
