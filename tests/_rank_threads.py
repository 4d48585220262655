"""Launched by torchrun in test_cli_distributed.py: ``logitlab ARGS`` with the garbage
collector off, as a process that never happened to collect would be. At exit it
writes to OUT.rankR the gloo threads still running. There should be none: the run
destroyed the process group, and with it gloo's threads, before the interpreter shut
down (a thread still running then can abort the process after a good run)."""

import atexit
import gc
import os
import sys
from pathlib import Path

gc.disable()

from _loopback import gloo_threads  # noqa: E402
from logitlab.cli import main  # noqa: E402


def record(out):
    gloo = gloo_threads()
    Path(f"{out}.rank{os.environ['RANK']}").write_text("".join(n + "\n" for n in gloo))


if __name__ == "__main__":
    atexit.register(record, sys.argv[1])
    main(sys.argv[2:])
