"""The README's "Scaling out" commands run as written, under torchrun (gloo, loopback).

Each test reads its command from the README's Scaling-out ``sh`` block (so the two
cannot drift apart), points ``--data`` at a tiny generated image folder and ``--out``
at a temporary folder, trains 2 of its ``--epochs`` (the several-machine form also
gets this host as HOST:PORT), runs it, and checks that it ended well and that one run
folder holds the model and its metrics.
"""

import json
import os
import re
import shlex
import signal
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

README = Path(__file__).resolve().parents[1] / "README.md"


def scaling_commands():
    """The commands of the README's Scaling-out ``sh`` block, as argv lists, with
    backslash continuations joined and comments dropped."""
    text = README.read_text(encoding="utf-8")
    # up to the next heading (## or ###; a shell comment's one # is not one)
    section = re.search(r"^#{2,} Scaling out.*?$(.*?)(?=^#{2,} )", text, flags=re.S | re.M)
    assert section, "README.md has no Scaling out section"
    block = re.search(r"```sh\n(.*?)```", section.group(1), flags=re.S)
    assert block, "the Scaling out section has no sh block"
    lines = block.group(1).replace("\\\n", " ").splitlines()
    return [shlex.split(line.split("#", 1)[0]) for line in lines if line.split("#", 1)[0].strip()]


def readme_command(*starts_with):
    for argv in scaling_commands():
        if argv[: len(starts_with)] == list(starts_with):
            return argv
    raise AssertionError(f"README's Scaling out block has no command starting {starts_with}")


def replace_option(argv, option, value):
    i = argv.index(option)
    return argv[: i + 1] + [str(value)] + argv[i + 2 :]


def local(argv, data, out):
    """``argv`` with the tiny folder, the temporary run folder, 2 epochs (seconds, not
    a minute, on 2 busy cores), and torchrun and logitlab run by this Python."""
    argv = replace_option(replace_option(argv, "--data", data), "--out", out)
    argv = replace_option(argv, "--epochs", 2)
    head = {"torchrun": [sys.executable, "-m", "torch.distributed.run"]}
    head["logitlab"] = [sys.executable, "-m", "logitlab"]
    return head[argv[0]] + argv[1:]


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """24 PNG photos 8×8 in two class folders (darker and lighter noise)."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for i in range(24):
        label = i % 2
        pixels = rng.integers(0, 160, size=(8, 8, 3)) + 60 * label
        (folder / f"c{label}").mkdir(exist_ok=True)
        Image.fromarray(pixels.astype(np.uint8)).save(folder / f"c{label}" / f"{i}.png")
    return folder


def run_together(commands, cwd, timeout=180):
    """Run ``commands`` at once (each in its own process group), wait for all; on a
    timeout end every process they started."""
    procs = [
        subprocess.Popen(
            argv,
            cwd=cwd,
            env=loopback_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )  # fmt: skip
        for argv in commands
    ]
    results = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=timeout)
            results.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    finally:
        for p in procs:
            if p.poll() is None:  # timed out: its torchrun agent and ranks go too
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    return results


def check_run(out, results):
    """Every command ended well, and ``out`` alone was written, with the model and
    its metrics."""
    for r in results:
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    files = {p.name for p in out.iterdir()}
    assert {"model.safetensors", "metrics.json"} <= files, files
    assert 0 <= json.loads((out / "metrics.json").read_text())["accuracy"] <= 1
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no rank wrote elsewhere


def without_nproc(argv):
    i = argv.index("--nproc")
    return argv[:i] + argv[i + 2 :]


def test_the_section_shows_the_three_forms_of_one_command():
    """One machine, two machines (node ranks 0 and 1, HOST:PORT to fill in), and
    --nproc: the same ``logitlab train`` options in each, on the torch engine."""
    one = readme_command("torchrun", "--standalone")
    nodes = [argv for argv in scaling_commands() if "--nnodes" in argv]
    nproc = readme_command("logitlab", "train")
    assert one[one.index("-m") + 1] == "logitlab" and "--nproc-per-node" in one
    assert [argv[argv.index("--node-rank") + 1] for argv in nodes] == ["0", "1"]
    for argv in nodes:
        assert argv[argv.index("--rdzv-endpoint") + 1] == "HOST:PORT"
    train = one[one.index("train") :]
    assert train[train.index("--engine") + 1] == "torch"
    for argv in nodes:
        assert argv[argv.index("train") :] == train, argv
    assert without_nproc(nproc)[1:] == train


def test_one_machine_two_processes(photos, tmp_path):
    argv = local(readme_command("torchrun", "--standalone"), photos, tmp_path / "runs" / "photos")
    check_run(tmp_path / "runs" / "photos", run_together([argv], tmp_path))


def test_two_machines_simulated_on_this_host(photos, tmp_path):
    """Both node ranks' commands at once, with this host as HOST:PORT."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    commands = [
        local(
            replace_option(argv, "--rdzv-endpoint", f"127.0.0.1:{port}"),
            photos,
            tmp_path / "runs" / "photos",
        )
        for argv in scaling_commands()
        if "--nnodes" in argv
    ]
    check_run(tmp_path / "runs" / "photos", run_together(commands, tmp_path))


def test_nproc_starts_torchrun(photos, tmp_path):
    argv = local(readme_command("logitlab", "train"), photos, tmp_path / "runs" / "photos")
    check_run(tmp_path / "runs" / "photos", run_together([argv], tmp_path))
