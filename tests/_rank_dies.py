"""Launched by torchrun in test_cli_distributed.py: ``logitlab ARGS``, where rank 1's
process dies (os._exit) after its first epoch, as a killed or crashed rank would.
With ``--slow-leave`` first, leaving the process group takes 2 s more, so that the
SIGTERM torchrun's agent sends once rank 1 has ended reaches rank 0 while it ends."""

import os
import sys
import time

import logitlab.run as run
from logitlab.cli import main
from logitlab.torch_engine.distributed import Ranks

leave = Ranks.leave

callback = run._Checkpoints.callback


def callback_then_die(self, info):
    callback(self, info)
    if os.environ.get("RANK") == "1" and info.iteration == 0:
        os._exit(3)


def slow_leave(self, together=True):
    time.sleep(2)
    leave(self, together)


if __name__ == "__main__":
    run._Checkpoints.callback = callback_then_die
    args = sys.argv[1:]
    if args[0] == "--slow-leave":
        Ranks.leave, args = slow_leave, args[1:]
    main(args)
