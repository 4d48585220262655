"""The ``logitlab`` command under torchrun (gloo, loopback only): N processes train the
model one process trains, rank 0 alone writes the run folder, and a rank's error ends
every rank in one line naming it."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="the torch engine needs PyTorch (logitlab[torch])")
import torch.distributed as dist  # noqa: E402

if not dist.is_available() or not dist.is_gloo_available():
    pytest.skip("this torch build has no gloo backend", allow_module_level=True)

from _loopback import loopback_env  # noqa: E402
from logitlab.io import read_model_file  # noqa: E402

RANK_ARGV = Path(__file__).with_name("_rank_argv.py")
TORCHRUN = [sys.executable, "-m", "torch.distributed.run"]
# 3000 rows: the test split (600) and the training split are more than one chunk
# (run.CHUNK, 512) each, so evaluation and prediction are really shared by the ranks
TABLE_ARGS = (
    "--labels", "label", "--model", "mlp", "--hidden", "8", "--solver", "adam",
    "--lr", "0.01", "--batch-size", "64", "--epochs", "3", "--tol", "0",
    "--engine", "torch", "--no-early-stopping",
)  # fmt: skip


def _run(cmd, cwd, timeout=120):
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=loopback_env(), capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    return proc


def _ok(proc):
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


def _logitlab(*args):
    return [sys.executable, "-m", "logitlab", *args]


def _torchrun(*args, nproc=2):
    return [*TORCHRUN, "--standalone", f"--nproc-per-node={nproc}", "-m", "logitlab", *args]


def _table(path, n=3000):
    """A CSV of three classes, 4 features on different scales."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4)) * [1.0, 2.0, 0.5, 3.0]
    y = (X[:, 0] + X[:, 1] ** 2 / 4 > 0.5).astype(int) + (X[:, 2] > 0.5)
    rows = ["a,b,c,d,label"] + [",".join(map(repr, x.tolist())) + f",k{c}" for x, c in zip(X, y)]
    path.write_text("\n".join(rows) + "\n")
    return path


def _images(folder, n=700, side=6):
    """An image folder of two classes (darker and lighter noise), n small PNGs: more
    than one chunk of training rows, for the shared standardisation statistics."""
    from PIL import Image

    rng = np.random.default_rng(1)
    for i in range(n):
        label = i % 2
        pixels = rng.integers(0, 160, size=(side, side, 3)) + 60 * label
        (folder / f"c{label}").mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels.astype(np.uint8)).save(folder / f"c{label}" / f"{i}.png")
    return folder


def _model(run):
    est, pre, _ = read_model_file(Path(run) / "model.safetensors")
    return est, pre


def _metrics(run):
    metrics = json.loads((Path(run) / "metrics.json").read_text())
    metrics.pop("fit_seconds")
    return metrics


def _same_run(a, b, rtol=1e-6):
    """The same model (parameters to rtol), metrics, history and files."""
    (ea, pa), (eb, pb) = _model(a), _model(b)
    np.testing.assert_allclose(ea.network_.theta, eb.network_.theta, rtol=rtol, atol=1e-9)
    np.testing.assert_allclose(ea.history_, eb.history_, rtol=rtol)
    ma, mb = _metrics(a), _metrics(b)
    assert ma.keys() == mb.keys()
    for k in ma:
        if isinstance(ma[k], float):
            assert ma[k] == pytest.approx(mb[k], rel=rtol, abs=1e-9), k
        else:
            assert ma[k] == mb[k], k
    assert sorted(p.name for p in Path(a).iterdir()) == sorted(p.name for p in Path(b).iterdir())
    return pa, pb


@pytest.fixture(scope="module")
def table_runs(tmp_path_factory):
    """One table trained by one process and by two under torchrun, each in its own
    working folder (to see that the ranks write nothing else)."""
    root = tmp_path_factory.mktemp("table")
    data = _table(root / "table.csv")
    runs = {}
    for name, launcher in (("one", _logitlab), ("two", _torchrun)):
        cwd = root / f"cwd-{name}"
        cwd.mkdir()
        proc = _ok(_run(launcher("train", "--data", data, *TABLE_ARGS, "--out", "run"), cwd))
        runs[name] = (cwd, proc)
    return root, data, runs


def test_two_ranks_train_the_model_of_one_process(table_runs):
    _, _, runs = table_runs
    (one, _), (two, proc) = runs["one"], runs["two"]
    _same_run(one / "run", two / "run")
    # rank 0 alone wrote: nothing beside the run folder, the single process's files
    assert sorted(p.name for p in two.iterdir()) == ["run"]
    # and spoke: one table of metrics, one "wrote" line
    assert proc.stdout.count("test metrics") == 1 and proc.stdout.count("wrote run") == 1, (
        proc.stdout
    )
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]


def test_nproc_starts_torchrun_for_the_user(table_runs):
    root, data, runs = table_runs
    cwd = root / "cwd-nproc"
    cwd.mkdir()
    proc = _ok(
        _run(_logitlab("train", "--nproc", "2", "--data", data, *TABLE_ARGS, "--out", "run"), cwd)
    )
    _same_run(runs["two"][0] / "run", cwd / "run")
    assert sorted(p.name for p in cwd.iterdir()) == ["run"]
    assert proc.stdout.count("test metrics") == 1, proc.stdout
    assert proc.stderr.strip() == "", proc.stderr  # rank 0's output, nothing of the agent


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_launchers_as_two_machines_train_the_same_model(table_runs):
    """--nnodes 2: two torchrun launchers on this host, rendezvous on 127.0.0.1."""
    root, data, runs = table_runs
    cwd = root / "cwd-nodes"
    cwd.mkdir()
    port = _free_port()
    launchers = [
        subprocess.Popen(
            [
                *TORCHRUN,
                "--nnodes",
                "2",
                "--node-rank",
                str(node),
                "--nproc-per-node",
                "1",
                "--rdzv-backend",
                "c10d",
                "--rdzv-endpoint",
                f"127.0.0.1:{port}",
                "--rdzv-id",
                f"logitlab-test-{port}",
                "-m",
                "logitlab",
                "train",
                "--data",
                str(data),
                *TABLE_ARGS,
                "--out",
                "run",
            ],
            cwd=cwd,
            env=loopback_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for node in (0, 1)
    ]
    outputs = [p.communicate(timeout=120) for p in launchers]
    for p, (out, err) in zip(launchers, outputs):
        assert p.returncode == 0, out[-2000:] + err[-3000:]
    _same_run(runs["one"][0] / "run", cwd / "run")
    assert sum(out.count("test metrics") for out, _ in outputs) == 1


def test_a_failing_rank_ends_every_rank_in_one_line(table_runs, tmp_path):
    """Rank 1 is given data that does not exist (a real failure, in a real phase):
    both ranks stop with the same line naming rank 1, and no traceback."""
    _, data, _ = table_runs
    logs = tmp_path / "logs"
    proc = _run(
        [
            *TORCHRUN, "--standalone", "--nproc-per-node=2", "--log-dir", logs,
            "--redirects", "3", RANK_ARGV, "--rank-0", "--data", data,
            "--rank-1", "--data", tmp_path / "missing.csv",
            "--", "train", *TABLE_ARGS, "--out", tmp_path / "run",
        ],
        tmp_path,
    )  # fmt: skip
    assert proc.returncode != 0
    errors = []
    for rank in (0, 1):
        (err,) = logs.glob(f"*/attempt_0/{rank}/stderr.log")
        (out,) = logs.glob(f"*/attempt_0/{rank}/stdout.log")
        assert out.read_text() == "", out.read_text()
        lines = err.read_text().strip().splitlines()
        assert len(lines) == 1, lines
        errors.append(lines[0])
    assert errors[0] == errors[1]
    assert errors[0].startswith("Error: rank 1: ") and "missing.csv" in errors[0], errors
    # rank 0 had created the folder and its lock, and wrote nothing else
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [".logitlab.lock"]


def test_the_engine_must_be_torch_under_torchrun(table_runs, tmp_path):
    _, data, _ = table_runs
    proc = _run(
        _torchrun("train", "--data", data, *TABLE_ARGS[:-3], "--engine", "numpy", "--out", "run"),
        tmp_path,
    )
    assert proc.returncode != 0
    for rank in (0, 1):
        assert f"Error: rank {rank}: under torchrun (2 processes)" in proc.stderr, proc.stderr
    assert "--engine numpy" in proc.stderr
    assert not (tmp_path / "run").exists()


STREAM_ARGS = (
    "--stream", "--size", "6", "--model", "mlp", "--hidden", "8", "--solver", "adam",
    "--batch-size", "32", "--epochs", "2", "--tol", "0", "--engine", "torch",
)  # fmt: skip


@pytest.fixture(scope="module")
def stream_runs(tmp_path_factory):
    """A streamed image folder (standardised) trained by one process and by two."""
    root = tmp_path_factory.mktemp("stream")
    folder = _images(root / "photos")
    for name, launcher in (("one", _logitlab), ("two", _torchrun)):
        _ok(_run(launcher("train", "--data", folder, *STREAM_ARGS, "--out", name), root))
    return root


def test_streamed_standardisation_is_reduced_across_ranks(stream_runs):
    """Each rank reads its chunks of the training photos; the combined mean and scale
    are one process's, to rounding."""
    (_, pa), (_, pb) = _model(stream_runs / "one"), _model(stream_runs / "two")
    assert pa["mean"].shape == (6 * 6 * 3,)
    np.testing.assert_allclose(pb["mean"], pa["mean"], rtol=1e-12)
    np.testing.assert_allclose(pb["scale"], pa["scale"], rtol=1e-12)
    assert sorted(p.name for p in (stream_runs / "two").iterdir()) == sorted(
        p.name for p in (stream_runs / "one").iterdir()
    )


def test_streamed_folder_on_two_ranks_trains_the_model_of_one_process(stream_runs):
    _same_run(stream_runs / "one", stream_runs / "two")


def test_resume_under_torchrun_continues_exactly(table_runs, tmp_path):
    """A run interrupted after 2 of its 3 epochs (in one process) and resumed by two
    ranks ends where the uninterrupted run did; only rank 0 writes."""
    import logitlab.run as run_module
    from logitlab.run import Interrupted, RunSettings, train_run

    _, data, runs = table_runs
    args = dict(zip(TABLE_ARGS[::2], TABLE_ARGS[1::2]))
    settings = RunSettings(
        data=str(data), labels="label", model="mlp", hidden=(8,), solver="adam", lr=0.01,
        batch_size=64, epochs=3, tol=0.0, engine="torch", early_stopping=False,
    )  # fmt: skip
    assert args["--epochs"] == "3" and args["--batch-size"] == "64"  # the same settings
    save = run_module._Checkpoints.callback

    def stop_after_two(self, info):
        save(self, info)
        if info.iteration + 1 == 2:
            self.save(info.snapshot)
            raise KeyboardInterrupt

    patch = pytest.MonkeyPatch()
    patch.setattr(run_module._Checkpoints, "callback", stop_after_two)
    try:
        with pytest.raises(Interrupted):
            train_run(settings, tmp_path / "run")
    finally:
        patch.undo()
    assert (tmp_path / "run" / "checkpoint.safetensors").is_file()
    _ok(_run(_torchrun("train", "--resume", tmp_path / "run"), tmp_path))
    _same_run(runs["one"][0] / "run", tmp_path / "run")


@pytest.mark.parametrize("slow_leave", [False, True])
def test_a_rank_that_dies_mid_training_ends_the_others_in_one_line(
    table_runs, tmp_path, slow_leave
):
    """With a slow leave, torchrun's SIGTERM (sent once rank 1 has ended) reaches rank 0
    while it is ending with its own error: it must still live to print that line."""
    _, data, _ = table_runs
    logs = tmp_path / "logs"
    args = [a if a != "3" else "50" for a in TABLE_ARGS]  # --epochs 50: still training
    proc = _run(
        [
            *TORCHRUN, "--standalone", "--nproc-per-node=2", "--log-dir", logs,
            "--redirects", "3", Path(__file__).with_name("_rank_dies.py"),
            *(["--slow-leave"] if slow_leave else []),
            "train", "--data", data, *args, "--out", tmp_path / "run",
        ],
        tmp_path,
    )  # fmt: skip
    assert proc.returncode != 0
    (err,) = logs.glob("*/attempt_0/0/stderr.log")
    lines = err.read_text().strip().splitlines()
    assert len(lines) == 1, lines
    # the lost connection, or torchrun's SIGTERM to the survivors, whichever came first
    assert lines[0].startswith("Error: rank 0: "), lines
    assert "stopped because another rank failed" in lines[0] or "interrupted" in lines[0]
    assert (tmp_path / "run" / "checkpoint.safetensors").is_file()  # rank 0's, kept


def test_ctrl_c_on_nproc_keeps_the_checkpoint_in_one_line_per_rank(table_runs, tmp_path):
    """Ctrl-C reaches the launcher and both ranks (one process group, as a terminal
    sends it): exit 130, each rank's one line naming the checkpoint, no traceback."""
    import signal
    import time

    _, data, _ = table_runs
    args = [*TABLE_ARGS[:-7], "--epochs", "100000", "--tol", "0", "--engine", "torch"]
    cmd = _logitlab("train", "--nproc", "2", "--data", data, *args, "--out", "run")
    proc = subprocess.Popen(
        [str(c) for c in cmd], cwd=tmp_path, env=loopback_env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    checkpoint = tmp_path / "run" / "checkpoint.safetensors"
    deadline = time.monotonic() + 90
    while not checkpoint.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert checkpoint.exists(), "no checkpoint was written"
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err and "Received" not in err, err[-2000:]
    lines = [line for line in err.splitlines() if line.strip()]
    assert sorted(line.split(":", 2)[1].strip() for line in lines) == ["rank 0", "rank 1"], err
    assert all("checkpoint" in line for line in lines), err
    assert checkpoint.exists()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
def test_a_streamed_run_ends_the_gloo_threads_before_the_interpreter_exits(tmp_path):
    """With --workers 2 and the garbage collector off: at exit, no rank has a gloo
    thread left (the group was destroyed with nothing else holding it)."""
    folder = _images(tmp_path / "photos", n=60)
    _ok(
        _run(
            [
                *TORCHRUN, "--standalone", "--nproc-per-node=2",
                Path(__file__).with_name("_rank_threads.py"), tmp_path / "threads",
                "train", "--data", folder, *STREAM_ARGS, "--workers", "2", "--out", "run",
            ],
            tmp_path,
        )
    )  # fmt: skip
    for rank in (0, 1):
        assert (tmp_path / f"threads.rank{rank}").read_text() == "", f"rank {rank}"
