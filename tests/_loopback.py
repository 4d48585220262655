"""The environment of processes that tests start under torchrun: gloo on loopback only,
one thread each (the ranks share the cores), importing this checkout's logitlab; and
what of gloo such a process still runs."""

import os
from pathlib import Path

import logitlab

SRC = str(Path(logitlab.__file__).resolve().parents[1])


def loopback_env():
    return dict(
        os.environ,
        PYTHONPATH=SRC,
        OMP_NUM_THREADS="1",
        GLOO_SOCKET_IFNAME="lo",
        MASTER_ADDR="127.0.0.1",
    )


def gloo_threads():
    """The sorted names of this process's gloo threads (Linux names them in /proc)."""
    names = [t.read_text().strip() for t in Path("/proc/self/task").glob("*/comm")]
    return sorted(n for n in names if "gloo" in n)
