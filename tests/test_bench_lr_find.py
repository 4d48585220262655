"""bench/bench_lr_find.py's smoke test: ``--quick`` on two small data sets prints their rows.

The panel's outcome (found rate vs the best fixed rate) is measured by running the
benchmark, never asserted here.
"""

from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture
def bench_lr_find(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import bench_lr_find

    return bench_lr_find


def test_quick_panel_prints_a_row_per_data_set(bench_lr_find, capsys):
    res = bench_lr_find.main(quick=True, names=("iris", "moons"))
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith(("iris ", "moons "))]
    assert len(rows) == 2
    for row in rows:
        # found rate, its metric, the steps, the best fixed rate and each fixed rate's metric
        cells = row.replace("|", " ").split()
        assert cells[-1] in ("PASS", "MISS")
        assert len(cells) == 2 + 3 + 2 + len(bench_lr_find.RATES) + 1
    assert 0.0 <= res.ratio <= 1.0 and res.extra["metric_line"].endswith(("PASS", "MISS"))
