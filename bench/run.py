"""Run the benchmarks in one process and print a summary of their ratios.

Run from anywhere: ``python bench/run.py``
"""

from __future__ import annotations

import sys
import time

import bench_defaults
import bench_engine_auto
import bench_gd_iteration
import bench_mlp_epoch
import bench_scale
import bench_signs
import bench_sparse
import bench_torch
import bench_vectorization
from _common import machine_info


def main():
    info = machine_info().replace("load average", "load average before the run")
    t0 = time.perf_counter()
    results = []
    for bench in (
        bench_vectorization,
        bench_gd_iteration,
        bench_signs,
        bench_torch,
        bench_mlp_epoch,
        bench_engine_auto,
        bench_sparse,
        bench_scale,
        bench_defaults,
    ):
        res = bench.main()
        for r in res if isinstance(res, list) else [res]:
            results.append((bench.__name__, r))
        print()
    print("== summary ==")
    for name, res in results:
        if res is None:
            print(f"{name}: skipped (data set not found)")
            continue
        print(f"{name}: {res.line()}")
        extra = getattr(res, "extra", None)
        if extra and "torch_vs_numpy" in extra:
            print(
                f"{name}: torch engine / NumPy engine, samples/s: "
                f"{extra['torch_vs_numpy']:.2f}x (reported)"
            )
        if extra and "accuracy_ok" in extra:
            a = extra["accuracy"]
            print(
                f"{name}: test accuracy ours {a['logitlab']:.4f} >= sklearn {a['sklearn']:.4f}"
                f" {'PASS' if extra['accuracy_ok'] else 'MISS'}"
            )
        if extra and "metric_line" in extra:
            print(f"{name}: {extra['metric_line']}")
    print(info)
    print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
    sys.exit(0)
