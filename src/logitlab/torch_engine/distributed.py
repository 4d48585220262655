"""The process group a run joins under ``torchrun``, and what its ranks agree on.

:mod:`logitlab.run` imports this module only when ``WORLD_SIZE`` > 1 (torch is then
needed anyway), so that logitlab without PyTorch still runs in one process.

A run's ranks must fail together: a rank that raised alone would leave the others
waiting in their next collective. So every phase where a rank can fail (the run
folder, loading the data, preprocessing, predicting the test split) runs through
:meth:`Ranks.agree`, which gathers each rank's outcome (a value, or the one-line
message of its error) and raises the first failing rank's message on every rank.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.distributed as dist

from ..run import RunError, rank_ending
from .train import resolve_device, setup_distributed

#: the errors a rank reports to the others (bad input, files, memory), as the command
#: line reports them: anything else is a bug, and keeps its traceback
REPORTED = (ValueError, OSError, KeyError, ImportError, ArithmeticError, MemoryError)


class RankFailed(RunError):
    """A rank's error, raised on every rank: ``rank R: message``."""


class PeerLost(RunError):
    """Another rank died (or stopped answering) while this one waited for it."""


@dataclass
class Ranks:
    """This process's place in the run: ``rank`` of ``world`` processes."""

    rank: int
    world: int
    joined: bool = False  # whether this object initialised the process group

    @classmethod
    def join(cls, device: str = "auto") -> Ranks:
        """Join torchrun's process group (gloo on a CPU, nccl with one CUDA device per
        local rank), once, before anything can fail on one rank alone."""
        dev = resolve_device(device)
        if dev.type == "cuda":
            # the object collectives below move their bytes through the current device
            torch.cuda.set_device(dev)
        initialised = dist.is_available() and dist.is_initialized()
        rank, world = setup_distributed(dev)
        return cls(rank, world, joined=not initialised and world > 1)

    def agree(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on every rank and return its result here, once every rank has
        succeeded (only the outcome, not the result, travels between ranks).

        Raises
        ------
        RankFailed
            On every rank, when ``fn`` raised one of :data:`REPORTED` on any: the
            message of the lowest failing rank, ``rank R: message``.
        PeerLost
            When another rank is gone.
        """
        return self._exchange(fn, share="none")

    def gather(self, fn: Callable[[], Any]) -> list[Any]:
        """As :meth:`agree`, but every rank gets every rank's result, in rank order
        (pickled through the group: keep them small)."""
        result: list[Any] = self._exchange(fn, share="all")
        return result

    def gather_to_rank_0(self, fn: Callable[[], Any]) -> list[Any] | None:
        """As :meth:`gather`, but only rank 0 gets the results; the others get None
        (for results only rank 0 writes, such as the predictions of a test split)."""
        result: list[Any] | None = self._exchange(fn, share="rank 0")
        return result

    def _exchange(self, fn: Callable[[], Any], share: Literal["none", "all", "rank 0"]) -> Any:
        value: Any = None
        try:
            value = fn()
            mine: tuple[str | None, Any] = (None, value if share == "all" else None)
        except REPORTED as exc:
            mine = (" ".join((str(exc) or type(exc).__name__).split()), None)
        gathered: list[Any] = [None] * self.world
        self.collective(lambda: dist.all_gather_object(gathered, mine))
        for r, (error, _) in enumerate(gathered):
            if error is not None:
                rank_ending()
                raise RankFailed(error if error.startswith("rank ") else f"rank {r}: {error}")
        if share == "all":
            return [v for _, v in gathered]
        if share == "rank 0":
            # every rank succeeded: now the results themselves, to rank 0 alone
            results: list[Any] | None = [None] * self.world if self.rank == 0 else None
            self.collective(lambda: dist.gather_object(value, results, dst=0))
            return results
        return value

    def collective(self, fn: Callable[[], Any]) -> Any:
        """``fn()``, a collective call, with a lost peer turned into :class:`PeerLost`."""
        try:
            return fn()
        except RuntimeError as exc:
            if is_peer_failure(exc):
                rank_ending()
                raise PeerLost(peer_failure_message(exc)) from None
            raise

    def leave(self, together: bool = True) -> None:
        """Leave the group this object joined: ``together`` (a barrier first, so that
        no rank closes its connections while another still reads them) when every
        rank ended alike, at once otherwise."""
        if not (self.joined and dist.is_initialized()):
            return
        if together:
            try:
                dist.barrier()
            except RuntimeError:
                pass  # a peer is gone already: nothing to wait for
        dist.destroy_process_group()
        self.joined = False


def is_peer_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is a collective failing because another rank is gone."""
    if isinstance(exc, dist.DistError):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and any(
        s in text for s in ("Connection closed by peer", "Connection reset by peer", "gloo", "NCCL")
    )


def peer_failure_message(exc: BaseException) -> str:
    """One line for a lost peer: what the collective said, without its source path."""
    text = " ".join(str(exc).split())
    if text.startswith("[") and "] " in text:  # gloo's "[file.cc:534] Connection closed ..."
        text = text.split("] ", 1)[1]
    text = text.split(". ", 1)[0]  # gloo goes on with advice about remote workers
    return f"stopped because another rank failed: {text[:200]}"


def launch(nproc: int, args: list[str]) -> tuple[int, str | None]:
    """Run ``python ARGS`` as ``nproc`` ranks on this machine, as ``torchrun
    --standalone --nproc-per-node nproc`` does (torch's launcher API), with the ranks'
    own output. Returns the exit code (the first failed rank's) and a line to show
    when no rank could say why itself (it was killed)."""
    import logging
    import sys
    import uuid

    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    config = LaunchConfig(
        min_nodes=1,
        max_nodes=1,
        nproc_per_node=nproc,
        run_id=str(uuid.uuid4()),
        rdzv_backend="c10d",
        rdzv_endpoint="localhost:0",
        max_restarts=0,
        monitor_interval=0.1,
    )
    # as torchrun: one thread per rank unless told otherwise (the ranks share the cores)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # the ranks say what went wrong; the agent's log would repeat it as a report (each
    # of torch's elastic modules has a logger with a level of its own)
    quiet = {
        name: logger
        for name, logger in logging.Logger.manager.loggerDict.items()
        if name.startswith("torch.distributed") and isinstance(logger, logging.Logger)
    }
    levels = {name: logger.level for name, logger in quiet.items()}
    for logger in quiet.values():
        logger.setLevel(logging.CRITICAL)
    try:
        elastic_launch(config, sys.executable)(*args)
    except ChildFailedError as exc:
        rank, failure = exc.get_first_failure()
        if failure.exitcode < 0:
            return 1, f"rank {rank} was ended by {failure.signal_name()}"
        return failure.exitcode, None
    except SignalException as exc:  # Ctrl-C or SIGTERM: the ranks said what they kept
        return 128 + int(exc.sigval), None
    finally:
        for name, logger in quiet.items():
            logger.setLevel(levels[name])
    return 0, None
