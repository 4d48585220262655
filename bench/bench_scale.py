"""Scaling out: streamed images, several processes, and memory, side by side.

Data: the built-in shapes pictures (`logitlab.data.synthetic.make_shapes`, three
classes: circle, square, triangle, learnable from colour and outline) written as PNG
files into one sub-folder per class of a temporary folder, the layout of a user's
photos. Every model is ``NeuralNetClassifier(hidden_layer_sizes=(100,),
solver="adam", batch_size=64, tol=0, early_stopping=False, engine="torch",
device="cpu", random_state=0)`` trained for a fixed number of epochs on standardised
pixels (the statistics of the decoded folder, as ``logitlab train`` standardises).

1. **Streamed vs in memory** (2000 photos, 64×64 RGB, 12288 features, 5 epochs): images
   per second of training with ``fit_dataset(ImageFolderDataset(folder,
   transform=Standardize(...)), num_workers=k)`` for k = 0, 1, 2 reader processes,
   against ``fit(X, y)`` on the decoded, standardised arrays. Only the epochs after the
   first count (the time between the first and the last epoch's callback), so the
   one-off setup is left out: decoding the folder for ``fit``, starting the readers.
   Goal (issue 13): with 2 readers the streamed run reaches >= 0.8x the in-memory
   speed.
2. **2 processes vs 1** on the same photos in memory (5 epochs, global batches of 64
   and of 512): global samples per second of the same fit under ``python -m
   torch.distributed.run --standalone --nproc_per_node 2`` (gloo on loopback,
   ``OMP_NUM_THREADS=1`` per process, each process a shard of every global batch)
   against one process with 1 and with 2 intra-op threads (``OMP_NUM_THREADS``); the
   parallel efficiency is the speed-up over one single-threaded process / 2. Each
   process decodes the folder before training (setup, not counted). Informational: on
   a 2-core machine the two processes share the cores that one 2-thread process has,
   so the figure says what the per-step gradient all-reduce costs, not what more
   machines or GPUs would give.
3. **Peak memory** of the whole ``logitlab train --stream --workers 0`` command, in a
   child process, on folders of 5000 and 20000 photos of 32×32 pixels (1 epoch,
   ``--hidden 32``), and of the same command without ``--stream`` on 20000: the
   child's own high-water mark (``VmHWM`` of ``/proc/self/status``, written as it
   exits). Not ``ru_maxrss`` from ``wait4``, as ``bench_sparse.py`` measures: Linux
   carries the parent's peak into a child's ``ru_maxrss`` across fork and exec, so a
   command started from this process, which holds part 1's decoded photos, would
   report this process's size (1071 MiB for every folder size, here). Goal: the
   streamed peak does not grow with the number of photos (20000 / 5000 <= 1.1x).
   Reader workers are processes of their own, each with its own peak, so they are
   left out here.

Run: ``python bench/bench_scale.py`` (a few minutes on 2 cores), ``--quick`` for a smoke
test on tiny folders (seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from _common import Result, child_env, header, machine_info, run_logitlab
from logitlab.data.synthetic import SHAPES, make_shapes

FULL = dict(
    n_images=2000,
    size=64,
    epochs=5,
    ddp_epochs=5,
    ddp_batches=(64, 512),
    memory_counts=(5000, 20000),
    memory_size=32,
)
QUICK = dict(
    n_images=96,
    size=16,
    epochs=2,
    ddp_epochs=2,
    ddp_batches=(64,),
    memory_counts=(60, 120),
    memory_size=8,
)
BATCH = 64
HIDDEN = (100,)
WORKERS = (0, 1, 2)
CHUNK = 500  # pictures generated at a time, so that 20000 never sit in memory at once
GOAL_STREAMED = 0.8
GOAL_MEMORY = 1.1


def write_folder(folder, n_images, size, seed=0):
    """``n_images`` shapes pictures as ``folder/<shape>/<i>.png``, ``size`` pixels."""
    folder = Path(folder)
    for name in SHAPES:
        (folder / name).mkdir(parents=True, exist_ok=True)
    for start in range(0, n_images, CHUNK):
        n = min(CHUNK, n_images - start)
        X, y, _ = make_shapes(n, size=size, random_state=seed + start)
        pixels = np.rint(X * 255).astype(np.uint8).reshape(n, size, size, 3)
        for i in range(n):
            Image.fromarray(pixels[i]).save(folder / SHAPES[y[i]] / f"{start + i:06d}.png")
    return folder


def estimator(epochs, batch_size=BATCH):
    from logitlab import NeuralNetClassifier

    return NeuralNetClassifier(
        hidden_layer_sizes=HIDDEN,
        solver="adam",
        batch_size=batch_size,
        max_iter=epochs,
        tol=0,
        early_stopping=False,
        engine="torch",
        device="cpu",
        random_state=0,
    )


def standardised_folder(folder, size):
    """The decoded folder, standardised: ``(X, y, mean, scale)``."""
    from sklearn.preprocessing import StandardScaler

    from logitlab.data import load_image_folder

    X, y, _ = load_image_folder(folder, size=size)
    scaler = StandardScaler().fit(X)
    return scaler.transform(X), y, scaler.mean_, scaler.scale_


def epoch_rate(fit, n, epochs):
    """Examples per second over epochs 2..``epochs`` of ``fit(callback)``."""
    stamps = []
    fit(lambda info: stamps.append(time.perf_counter()))
    assert len(stamps) == epochs, stamps
    return n * (epochs - 1) / (stamps[-1] - stamps[0])


def read_rate(dataset, num_workers, epochs):
    """Images/s of the streamed run's loader alone, read as training reads it (epochs
    2..``epochs``; the first starts the readers)."""
    import torch

    from logitlab.torch_engine.data import make_loader

    loader = make_loader(dataset, BATCH, num_workers=num_workers)
    for _ in loader:
        pass
    t0 = time.perf_counter()
    for _ in range(epochs - 1):
        for xb, _ in loader:
            xb.to(dtype=torch.float64)
    seconds = time.perf_counter() - t0
    del loader  # its readers end
    return len(dataset) * (epochs - 1) / seconds


def streamed_vs_memory(folder, size, epochs):
    """Part 1: images/s of training in memory and streamed with each number of readers,
    and of the readers alone (``("read", k)``)."""
    from logitlab.torch_engine.data import ImageFolderDataset, Standardize

    X, y, mean, scale = standardised_folder(folder, size)
    rates = {
        "memory": epoch_rate(lambda cb: estimator(epochs).fit(X, y, callback=cb), len(y), epochs)
    }
    dataset = ImageFolderDataset(folder, size=size, transform=Standardize(mean, scale))
    for k in WORKERS:
        rates[k] = epoch_rate(
            lambda cb, k=k: estimator(epochs).fit_dataset(dataset, num_workers=k, callback=cb),
            len(dataset),
            epochs,
        )
        rates["read", k] = read_rate(dataset, k, epochs)
    return rates


def ddp_worker(folder, size, epochs, batch_size, out):
    """One process of part 2 (under torchrun or alone): trains, rank 0 writes the rate."""
    X, y, _, _ = standardised_folder(folder, size)
    fit = estimator(epochs, batch_size).fit
    rate = epoch_rate(lambda cb: fit(X, y, callback=cb), len(y), epochs)
    import torch
    import torch.distributed as dist

    world = dist.get_world_size() if dist.is_initialized() else 1
    if not dist.is_initialized() or dist.get_rank() == 0:
        info = {"rate": rate, "world": world, "threads": torch.get_num_threads()}
        Path(out).write_text(json.dumps(info))
    if dist.is_initialized():  # leave together (see tests/_ddp_train.py)
        dist.barrier()
        dist.destroy_process_group()


def processes(folder, size, epochs, batch_size, tmp, only=None):
    """Part 2: samples/s of 2 processes (1 thread each) and of 1 with 1 and 2 threads,
    with global batches of ``batch_size`` (``only``: those of the runs named)."""
    me = str(Path(__file__).resolve())
    runs = {
        "1 process, 1 thread": (1, [sys.executable, me]),
        "1 process, 2 threads": (2, [sys.executable, me]),
        "2 processes, 1 thread each": (
            1,
            [
                sys.executable,
                "-m",
                "torch.distributed.run",
                "--standalone",
                "--nproc_per_node=2",
                me,
            ],
        ),
    }
    rates = {}
    for i, (what, (threads, command)) in enumerate(runs.items()):
        if only is not None and what not in only:
            continue
        out = Path(tmp) / f"ddp{batch_size}-{i}.json"
        env = child_env(threads)
        env.update(GLOO_SOCKET_IFNAME="lo", MASTER_ADDR="127.0.0.1")
        args = ["--ddp-worker", str(folder), str(size), str(epochs), str(batch_size), str(out)]
        proc = subprocess.run(command + args, env=env, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"{what} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        info = json.loads(out.read_text())
        expected = 2 if "2 processes" in what else 1
        assert info["world"] == expected and info["threads"] == threads, (what, info)
        rates[what] = info["rate"]
    return rates


def peak_memory(tmp, counts, size):
    """Part 3: peak RSS of ``logitlab train`` streamed on each folder size, and in
    memory on the largest: ``{(n, streamed): bytes}``."""
    peaks = {}
    for n in counts:
        folder = write_folder(Path(tmp) / f"photos{n}", n, size, seed=1)
        for streamed in (True, False) if n == counts[-1] else (True,):
            args = ["train", "--data", str(folder), "--size", str(size), "--engine", "torch"]
            args += ["--model", "mlp", "--hidden", "32", "--epochs", "1"]
            args += ["--batch-size", str(BATCH), "--no-early-stopping"]
            args += ["--stream", "--workers", "0"] if streamed else []
            args += ["--out", str(Path(tmp) / f"run{n}{'s' if streamed else 'm'}")]
            log = Path(tmp) / "train.log"
            seconds, peak, code = run_logitlab(args, log)
            if code != 0:
                lines = log.read_text(errors="replace").splitlines()
                raise RuntimeError(f"logitlab {' '.join(args)} failed: {lines[-1:]}")
            peaks[n, streamed] = peak, seconds
    return peaks


def main(quick=False):
    """Run the three parts; print and return the `Result` list."""
    shape = QUICK if quick else FULL
    n, size = shape["n_images"], shape["size"]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_folder(Path(tmp) / "photos", n, size)

        header(f"streamed vs in memory: {n} PNG photos {size}x{size} RGB, {shape['epochs']} epochs")
        rates = streamed_vs_memory(folder, size, shape["epochs"])
        memory = rates["memory"]
        print(f"{'training, images/s':34s}{'training':>10s}{'/ memory':>10s}{'reading alone':>15s}")
        print(f"{'in memory, fit(X, y)':34s}{memory:10.0f}{1:9.2f}x")
        for k in WORKERS:
            what = f"streamed, {k} reader{'s' if k != 1 else ''}"
            print(f"{what:34s}{rates[k]:10.0f}{rates[k] / memory:9.2f}x{rates['read', k]:15.0f}")
        results.append(
            Result(
                "scale-stream",
                "streamed with 2 readers / in memory, images/s",
                rates[2] / memory,
                GOAL_STREAMED,
                ">=",
            )
        )
        print(results[-1].line())
        print(machine_info())

        efficiencies = []
        for batch in shape["ddp_batches"]:
            header(
                f"2 processes vs 1: the same fit in memory, global batch {batch}, "
                f"{shape['ddp_epochs']} epochs"
            )
            ddp = processes(folder, size, shape["ddp_epochs"], batch, tmp)
            base = ddp["1 process, 1 thread"]
            print(f"{'':34s}{'samples/s':>10s}{'speed-up':>10s}")
            for what, rate in ddp.items():
                print(f"{what:34s}{rate:10.0f}{rate / base:9.2f}x")
            efficiency = ddp["2 processes, 1 thread each"] / base / 2
            efficiencies.append(f"{efficiency:.2f} at global batch {batch}")
            print(
                f"parallel efficiency of 2 processes: {efficiency:.2f} (informational: the 2 "
                f"processes share this machine's {os.cpu_count()} cores, and every step "
                "all-reduces the gradient over gloo)"
            )
            print(machine_info())

        # for bench/run.py's summary
        results[0].extra = {
            "metric_line": "parallel efficiency of 2 processes vs 1: "
            + ", ".join(efficiencies)
            + " (informational)"
        }

        counts, msize = shape["memory_counts"], shape["memory_size"]
        header(
            f"peak memory of logitlab train: {' and '.join(map(str, counts))} photos "
            f"{msize}x{msize}"
        )
        peaks = peak_memory(tmp, counts, msize)
    print(f"{'':34s}{'peak memory':>12s}{'time':>9s}")
    for (count, streamed), (peak, seconds) in peaks.items():
        what = f"{'--stream' if streamed else 'in memory'}, {count} photos"
        print(f"{what:34s}{peak / 2**20:8.0f} MiB{seconds:8.1f}s")
    small, large = peaks[counts[0], True][0], peaks[counts[-1], True][0]
    results.append(
        Result(
            "scale-memory",
            f"streamed peak, {counts[-1]} / {counts[0]} photos",
            large / small,
            GOAL_MEMORY,
            "<=",
        )
    )
    print(results[-1].line())
    print(machine_info())
    return results


if __name__ == "__main__":
    if sys.argv[1:2] == ["--ddp-worker"]:  # a process of part 2, started by processes()
        folder, size, epochs, batch_size, out = sys.argv[2:]
        ddp_worker(folder, int(size), int(epochs), int(batch_size), out)
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny folders: a smoke test")
    main(quick=parser.parse_args().quick)
