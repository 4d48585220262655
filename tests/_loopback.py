"""The environment of processes that tests start under torchrun: gloo on loopback only,
one thread each (the ranks share the cores), importing this checkout's logitlab."""

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
