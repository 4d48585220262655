"""bench/bench_sparse.py's smoke test: ``--quick`` writes the sparse ARFF files, runs
``logitlab train`` on them in a child process and prints the comparison.

The timings and memory are measured by ``make bench``, never asserted here.
"""

from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture
def bench_sparse(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import bench_sparse

    return bench_sparse


def test_written_files_hold_the_generated_matrices(bench_sparse, tmp_path):
    from logitlab.data import load_source

    X_train, Y_train, X_test, Y_test = bench_sparse.write_data(tmp_path, **bench_sparse.QUICK)
    n_labels = bench_sparse.QUICK["n_labels"]
    for name, X, Y in (("train", X_train, Y_train), ("test", X_test, Y_test)):
        data = load_source(tmp_path / f"{name}.arff", labels=f"last:{n_labels}")
        assert (data.X != X).nnz == 0
        np.testing.assert_array_equal(data.y, Y)


def test_quick_run_prints_both_sides(bench_sparse, capsys):
    results = bench_sparse.main(quick=True)
    out = capsys.readouterr().out
    assert [r.name for r in results] == ["sparse-time", "sparse-memory", "sparse-hamming"]
    assert all(0 < r.ratio < np.inf for r in results), out
    for needle in ("logitlab train (whole command)", "sklearn OneVsRest", "no label predicted"):
        assert needle in out
