"""bench/bench_scale.py's smoke test: each part on ``--quick``'s tiny folders.

The speeds and memory are measured by ``make bench``, never asserted here; what is
checked is that every part runs and measures what it says.
"""

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="bench_scale measures the torch engine (logitlab[torch])")
import torch.distributed as dist  # noqa: E402

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture
def bench_scale(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import bench_scale

    return bench_scale


@pytest.fixture
def photos(bench_scale, tmp_path):
    q = bench_scale.QUICK
    return bench_scale.write_folder(tmp_path / "photos", q["n_images"], q["size"])


def test_written_folder_holds_the_generated_pictures(bench_scale, tmp_path):
    from logitlab.data import load_image_folder
    from logitlab.data.synthetic import SHAPES, make_shapes

    folder = bench_scale.write_folder(tmp_path, 12, 8, seed=3)
    X, y, names = load_image_folder(folder, size=8)
    assert names == sorted(SHAPES)
    X0, y0, _ = make_shapes(12, size=8, random_state=3)
    # the folder lists each class's files in turn, sorted by name (= generation order)
    order = np.concatenate([np.flatnonzero(y0 == SHAPES.index(n)) for n in names])
    np.testing.assert_array_equal(np.asarray(names)[y], np.asarray(SHAPES)[y0[order]])
    np.testing.assert_allclose(X, X0[order], atol=0.5 / 255 + 1e-12)  # 8-bit PNG


def test_streamed_and_in_memory_rates(bench_scale, photos):
    q = bench_scale.QUICK
    rates = bench_scale.streamed_vs_memory(photos, q["size"], q["epochs"])
    keys = ["memory", *bench_scale.WORKERS, *(("read", k) for k in bench_scale.WORKERS)]
    assert sorted(map(str, rates)) == sorted(map(str, keys))
    assert all(0 < r < np.inf for r in rates.values()), rates


@pytest.mark.skipif(
    not dist.is_available() or not dist.is_gloo_available(), reason="no gloo backend"
)
def test_two_processes_under_torchrun(bench_scale, photos, tmp_path):
    """torchrun starts 2 ranks of the worker (processes() checks the world size and
    the threads each reports); the single-process runs are the same worker alone."""
    q = bench_scale.QUICK
    two = "2 processes, 1 thread each"
    rates = bench_scale.processes(photos, q["size"], 2, 32, tmp_path, only=[two])
    assert list(rates) == [two] and 0 < rates[two] < np.inf, rates


def test_peak_memory_is_the_commands_own(bench_scale, tmp_path):
    """The child reports its own peak, not this process's: with 400 MB held here, a
    ``logitlab --help`` child stays far below it (ru_maxrss from wait4 would not)."""
    held = np.ones(50_000_000)  # 400 MB, touched
    _, peak, code = bench_scale.run_logitlab(["--help"], tmp_path / "help.log")
    assert code == 0 and 10 * 2**20 < peak < 300 * 2**20, peak / 2**20
    del held


def test_peak_memory_of_the_streamed_and_in_memory_commands(bench_scale, tmp_path):
    count = bench_scale.QUICK["memory_counts"][0]
    peaks = bench_scale.peak_memory(tmp_path, (count,), bench_scale.QUICK["memory_size"])
    assert list(peaks) == [(count, True), (count, False)]
    for peak, seconds in peaks.values():
        assert 50 * 2**20 < peak < 4 * 2**30 and seconds > 0
    for run in ("s", "m"):
        assert (tmp_path / f"run{count}{run}" / "model.safetensors").is_file()
