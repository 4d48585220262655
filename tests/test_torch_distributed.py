"""Two processes under torchrun (gloo, loopback only) train exactly like one, from
arrays in memory and from streamed datasets; and a streamed fit on CUDA equals the CPU
one."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("torch", reason="the torch engine needs PyTorch (logitlab[torch])")
import torch.distributed as dist  # noqa: E402

if not dist.is_available() or not dist.is_gloo_available():
    pytest.skip("this torch build has no gloo backend", allow_module_level=True)

sys.path.insert(0, str(Path(__file__).parent))
from _ddp_stream import CASES, fit_case  # noqa: E402
from _ddp_train import fit  # noqa: E402
from _loopback import loopback_env  # noqa: E402

WORKER = Path(__file__).with_name("_ddp_train.py")
STREAM_WORKER = Path(__file__).with_name("_ddp_stream.py")


def _launch(worker, out, *args, timeout=240):
    """Run ``worker out *args`` on two local processes; each rank's saved results
    (ranks that disagree, e.g. on when to stop, deadlock: the timeout ends them)."""
    env = loopback_env()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            str(worker),
            str(out),
            *map(str, args),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # SIGTERM, not subprocess.run's SIGKILL: torchrun then ends its workers, which
        # run in sessions of their own and would otherwise be left behind
        proc.terminate()
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        pytest.fail(f"torchrun did not finish within {timeout} s (ranks deadlocked?)")
    assert proc.returncode == 0, stderr[-3000:]
    return [np.load(f"{out}.rank{r}.npz") for r in (0, 1)]


def _torchrun(tmp_path, solver, seed, *extra):
    out = tmp_path / "-".join([solver, str(seed), *extra])
    return _launch(WORKER, out, solver, seed, *extra)


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


def test_two_processes_with_dropout_equal_one(tmp_path):
    """Every rank draws the whole global batch's masks from one seed and takes its rows."""
    ranks = _torchrun(tmp_path, "adam", 0, "dropout")
    single = fit("adam", 0, {"engine": "torch", "device": "cpu"}, dropout=0.3)
    np.testing.assert_allclose(ranks[0]["theta"], single.network_.theta, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ranks[0]["history"], single.history_, rtol=1e-6)
    np.testing.assert_array_equal(ranks[0]["theta"], ranks[1]["theta"])


def test_two_processes_on_sparse_x_equal_one(tmp_path):
    """Each rank slices its shard of every batch from the CSR rows."""
    ranks = _torchrun(tmp_path, "adam", 0, "sparse")
    single = fit("adam", 0, {"engine": "torch", "device": "cpu"})  # dense X
    np.testing.assert_allclose(ranks[0]["theta"], single.network_.theta, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(ranks[0]["theta"], ranks[1]["theta"])


# ------------------------------------------------------------------ streamed datasets


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(0, 40),
    batch_size=st.integers(1, 12),
    world=st.integers(1, 5),
    seed=st.integers(0, 2**31),
    epoch=st.integers(0, 3),
    shuffle=st.booleans(),
)
def test_shards_of_every_rank_make_the_one_process_batches(
    m, batch_size, world, seed, epoch, shuffle
):
    from logitlab.torch_engine.data import GlobalBatchSampler

    def batches(rank, w):
        s = GlobalBatchSampler(m, batch_size, seed, rank=rank, world=w, shuffle=shuffle)
        s.set_epoch(epoch)
        return list(s)

    one = batches(0, 1)
    shards = [batches(r, world) for r in range(world)]
    assert all(len(s) == len(one) == -(-m // batch_size) for s in shards)  # DDP's lockstep
    for i, batch in enumerate(one):
        parts = [shards[r][i] for r in range(world)]
        assert sorted(x for p in parts for x in p) == sorted(batch)  # the batch, split
        # as evenly as can be, the first ranks taking the odd ones out
        assert [len(p) for p in parts] == [len(range(r, len(batch), world)) for r in range(world)]
    assert sorted(x for b in one for x in b) == list(range(m))  # each example once
    assert all(len(b) == batch_size for b in one[:-1])


def test_epochs_have_their_own_reproducible_orders():
    from logitlab.torch_engine.data import GlobalBatchSampler

    def order(epoch, seed=3):
        s = GlobalBatchSampler(50, 7, seed)
        s.set_epoch(epoch)
        return [x for b in s for x in b]

    assert order(0) != order(1)
    assert order(1) == order(1) and order(1) != order(1, seed=4)
    assert order(1, seed=3) == order(0, seed=4)  # epoch e's order from seed + e


def test_an_empty_shard_keeps_the_batch_shapes_and_dtypes_in_a_worker(tmp_path):
    """The collate of an empty shard travels to a worker process and gives (0, ...)
    tensors of the dataset's dtypes, for class indices, indicators and image files."""
    import torch

    from logitlab.torch_engine.data import (
        ArrayDataset,
        ImageFolderDataset,
        make_shard_loader,
        set_epoch,
    )

    X = np.arange(10.0).reshape(5, 2)
    cases = [
        (ArrayDataset(X, np.arange(5)), (2,), (), torch.int64),
        (ArrayDataset(X, np.eye(5)[:, :3], dtype=torch.float64), (2,), (3,), torch.float64),
        (ImageFolderDataset(_image_folder(tmp_path / "img"), size=2), (12,), (), torch.int64),
    ]
    for ds, x_shape, y_shape, y_dtype in cases:
        m = len(ds)
        loader = make_shard_loader(ds, m - 1, seed=1, rank=1, world=2, num_workers=1)
        assert set_epoch(loader, 2) and loader.batch_sampler.epoch == 2
        (_, _), (xb, yb) = list(loader)  # the last global batch of 1: rank 1 gets none
        assert xb.shape == (0, *x_shape) and xb.dtype == ds.dtype
        assert yb.shape == (0, *y_shape) and yb.dtype == y_dtype


def _image_folder(root):
    """27 small PNGs, 9 per class: the streamed image folder of _ddp_stream."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for k, rgb in enumerate([(220, 30, 30), (30, 200, 40), (20, 40, 210)]):
        (root / f"c{k}").mkdir(parents=True)
        for i in range(9):
            px = np.clip(np.array(rgb) + rng.integers(-40, 40, (8, 8, 3)), 0, 255)
            Image.fromarray(px.astype(np.uint8)).save(root / f"c{k}" / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def streamed(tmp_path_factory):
    """Every case of _ddp_stream.CASES, fitted once on two processes (one torchrun for
    all: a launch costs seconds) and once here in one process."""
    tmp = tmp_path_factory.mktemp("stream")
    images = _image_folder(tmp / "images")
    ranks = _launch(STREAM_WORKER, tmp / "out", images, timeout=120)
    assert int(ranks[0]["world"]) == 2
    return ranks, {name: fit_case(name, images) for name in CASES}


def _case(ranks, name):
    return [{k.split("/")[1]: r[k] for k in r.files if k.startswith(name + "/")} for r in ranks]


@pytest.mark.parametrize("name", ["array", "array-dropout", "images"])
def test_two_processes_streaming_a_dataset_equal_one(streamed, name):
    """Each rank reads its shard of every global batch (the last of which, one
    example, leaves rank 1 an empty shard): the model and history are one process's,
    dropout masks included."""
    ranks, single = streamed
    one = single[name]
    r0, r1 = _case(ranks, name)
    np.testing.assert_allclose(r0["theta"], one.network_.theta, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(r0["history"], one.history_, rtol=1e-6)
    np.testing.assert_array_equal(r0["theta"], r1["theta"])
    np.testing.assert_array_equal(r0["history"], r1["history"])


@pytest.mark.parametrize("name", ["val-loss", "val-accuracy"])
def test_two_processes_stop_early_together_as_one_does(streamed, name):
    """The validation set is sharded too (its last batch of one example leaves rank 1
    nothing) and its cost and score gathered: both ranks stop at one process's epoch."""
    ranks, single = streamed
    one = single[name]
    r0, r1 = _case(ranks, name)
    assert one.n_iter_ < 10  # it did stop early
    assert int(r0["n_iter"]) == int(r1["n_iter"]) == one.n_iter_
    np.testing.assert_allclose(r0["validation_history"], one.validation_history_, rtol=1e-6)
    np.testing.assert_array_equal(r0["validation_history"], r1["validation_history"])
    if one.validation_scores_ is not None:
        np.testing.assert_allclose(r0["validation_scores"], one.validation_scores_, rtol=1e-6)
        np.testing.assert_array_equal(r0["validation_scores"], r1["validation_scores"])
    np.testing.assert_allclose(r0["theta"], one.network_.theta, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(r0["theta"], r1["theta"])


# ------------------------------------------------------------------------------- CUDA


def test_streamed_fit_on_cuda_equals_the_cpu_one():
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device here: the streamed fit on 'cuda' is checked on GPU hosts")
    cpu, gpu = fit_case("array", None, "cpu"), fit_case("array", None, "cuda")
    np.testing.assert_allclose(gpu.network_.theta, cpu.network_.theta, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(gpu.history_, cpu.history_, rtol=1e-6)


def test_two_gpus_with_nccl_equal_one_process(tmp_path):
    import torch

    if not torch.cuda.is_available() or torch.cuda.device_count() < 2:
        pytest.skip("needs 2 CUDA devices for an nccl run (one per rank); fewer here")
    if not dist.is_nccl_available():
        pytest.skip("this torch build has no nccl backend")
    ranks = _launch(STREAM_WORKER, tmp_path / "out", _image_folder(tmp_path / "images"), "auto")
    for name in ("array", "images"):
        one = fit_case(name, tmp_path / "images", device="auto")  # cuda:0
        r0, r1 = _case(ranks, name)
        np.testing.assert_allclose(r0["theta"], one.network_.theta, rtol=1e-6, atol=1e-9)
        np.testing.assert_array_equal(r0["theta"], r1["theta"])


def test_training_frees_its_ddp_wrapper_and_readers_when_it_returns(tmp_path):
    """With the garbage collector off, nothing of a fit outlives it under torchrun:
    a DDP wrapper still alive keeps the process group, and its gloo threads, past
    destroy_process_group until the interpreter shuts down (where they can abort it);
    a streamed fit's reader processes would live as long."""
    images = _image_folder(tmp_path / "images")
    ranks = _launch(Path(__file__).with_name("_ddp_freed.py"), tmp_path / "out", images)
    for r in ranks:
        assert list(r["fit"]) == [] and list(r["fit_dataset"]) == [], dict(r)
        # the first DDP's imports leave the cycle that needs a collection; a later fit
        # frees its wrapper as it returns, and is spared the collection
        assert list(r["collections"]) == [1, 0]
        if Path("/proc/self/task").is_dir():  # Linux: the threads are listed there
            assert list(r["threads"]) == [], "gloo threads outlived destroy_process_group"
