"""Two processes under torchrun (gloo, loopback only) train exactly like one."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="the torch engine needs PyTorch (logitlab[torch])")
import torch.distributed as dist  # noqa: E402

if not dist.is_available() or not dist.is_gloo_available():
    pytest.skip("this torch build has no gloo backend", allow_module_level=True)

sys.path.insert(0, str(Path(__file__).parent))
from _ddp_train import fit  # noqa: E402

WORKER = Path(__file__).with_name("_ddp_train.py")


def _torchrun(tmp_path, solver, seed, *extra):
    env = dict(os.environ, OMP_NUM_THREADS="1", GLOO_SOCKET_IFNAME="lo", MASTER_ADDR="127.0.0.1")
    out = tmp_path / "-".join([solver, str(seed), *extra])
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            str(WORKER),
            str(out),
            solver,
            str(seed),
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [np.load(f"{out}.rank{r}.npz") for r in (0, 1)]


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_two_processes_equal_one_with_the_same_global_batch(tmp_path, solver):
    ranks = _torchrun(tmp_path, solver, 0)
    assert int(ranks[0]["world"]) == 2
    single = fit(solver, 0, {"engine": "torch", "device": "cpu"})
    np.testing.assert_allclose(ranks[0]["theta"], single.network_.theta, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ranks[0]["history"], single.history_, rtol=1e-6)
    np.testing.assert_array_equal(ranks[0]["theta"], ranks[1]["theta"])
    # and the NumPy engine, in one process, agrees too
    numpy_fit = fit(solver, 0, {"engine": "numpy"})
    np.testing.assert_allclose(ranks[0]["theta"], numpy_fit.network_.theta, rtol=1e-6, atol=1e-9)


def test_ranks_agree_without_a_random_state(tmp_path):
    ranks = _torchrun(tmp_path, "sgd", "none")
    np.testing.assert_array_equal(ranks[0]["theta"], ranks[1]["theta"])
    np.testing.assert_array_equal(ranks[0]["history"], ranks[1]["history"])


def test_two_processes_on_sparse_x_equal_one(tmp_path):
    """Each rank slices its shard of every batch from the CSR rows."""
    ranks = _torchrun(tmp_path, "adam", 0, "sparse")
    single = fit("adam", 0, {"engine": "torch", "device": "cpu"})  # dense X
    np.testing.assert_allclose(ranks[0]["theta"], single.network_.theta, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(ranks[0]["theta"], ranks[1]["theta"])
