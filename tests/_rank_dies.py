"""Launched by torchrun in test_cli_distributed.py: ``logitlab ARGS``, where rank 1's
process dies (os._exit) after its first epoch, as a killed or crashed rank would."""

import os
import sys

import logitlab.run as run
from logitlab.cli import main

callback = run._Checkpoints.callback


def callback_then_die(self, info):
    callback(self, info)
    if os.environ.get("RANK") == "1" and info.iteration == 0:
        os._exit(3)


if __name__ == "__main__":
    run._Checkpoints.callback = callback_then_die
    main(sys.argv[1:])
