"""Helpers shared by the benchmarks: timing, the machine description, result lines."""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass

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
