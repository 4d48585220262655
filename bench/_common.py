"""Helpers shared by the benchmarks: timing, the machine description, result lines."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Result:
    """One measured ratio and its goal (``op`` is ">=" or "<=")."""

    name: str
    what: str
    ratio: float
    goal: float
    op: str

    @property
    def passed(self):
        return self.ratio >= self.goal if self.op == ">=" else self.ratio <= self.goal

    def line(self):
        verdict = "PASS" if self.passed else "MISS"
        ratio, goal = _fmt_ratio(self.ratio), _fmt_ratio(self.goal)
        if ratio == goal and self.ratio != self.goal:  # a near miss must not read "1x <= 1x"
            ratio = f"{self.ratio:.5g}x"
        return f"{self.what}: {ratio} (goal {self.op} {goal}) {verdict}"


def _fmt_ratio(r):
    return f"{r:.0f}x" if r >= 100 else f"{r:.3g}x"


def fmt_time(seconds):
    if seconds >= 1:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3f} ms"
    return f"{seconds * 1e6:.1f} us"


def time_call(fn, repeat, number=1):
    """Seconds per call of ``fn`` for each of ``repeat`` blocks of ``number`` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return times


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info():
    """One line: CPU, cores, Python, NumPy, scikit-learn and BLAS threads."""
    import sklearn

    n_cpu = os.cpu_count()
    try:
        n_avail = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n_avail = n_cpu
    cores = f"{n_cpu} cores" if n_avail == n_cpu else f"{n_cpu} cores ({n_avail} usable)"
    blas = ""
    try:
        from threadpoolctl import threadpool_info

        libs = [
            f"{d['prefix']} {d.get('version') or '?'} ({d['num_threads']} threads)"
            for d in threadpool_info()
            if d.get("user_api") == "blas"
        ]
        blas = "; BLAS: " + ", ".join(libs) if libs else ""
    except ImportError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = f"; load average {os.getloadavg()[0]:.2f}"
    return (
        f"CPU: {cpu_model()}, {cores}; Python {platform.python_version()}; "
        f"numpy {np.__version__}; scikit-learn {sklearn.__version__}{blas}{load}"
    )


def header(title):
    print(f"== {title} ==")


def child_env(threads=None):
    """The environment of a child process that imports this logitlab; ``threads`` sets
    its ``OMP_NUM_THREADS`` (torch's intra-op threads)."""
    import logitlab

    env = dict(os.environ)
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    here = os.path.dirname(os.path.dirname(os.path.abspath(logitlab.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    return env


# The child's own high-water mark, written at exit: not ru_maxrss from wait4, since
# Linux carries the parent's peak into a child's ru_maxrss across fork and exec, so a
# command started from a bench holding data would report the bench's own size.
_PEAK_CHILD = """
import atexit, os, resource, sys

def peak():
    try:
        with open("/proc/self/status") as f:
            kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration):  # not Linux: ru_maxrss (KiB on Linux, bytes on macOS)
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with open(os.environ["BENCH_PEAK_FILE"], "w") as f:
        f.write(str(kib * 1024))

atexit.register(peak)
from logitlab.cli import main
sys.argv[0] = "logitlab"
main()
"""


def run_logitlab(args, log, env=None):
    """Run ``logitlab ARGS`` in a child process (environment ``env``, else
    :func:`child_env`), its output to the file ``log``: (seconds, the child's own peak
    RSS in bytes, exit code)."""
    peak_file = Path(log).with_suffix(".peak")
    env = dict(env or child_env(), BENCH_PEAK_FILE=str(peak_file))
    with open(log, "w") as out:
        t0 = time.perf_counter()
        code = subprocess.call(
            [sys.executable, "-c", _PEAK_CHILD, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
        seconds = time.perf_counter() - t0
    return seconds, int(peak_file.read_text()), code
