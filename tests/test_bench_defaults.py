"""bench/bench_defaults.py's smoke test: ``--quick`` runs every data set and prints its row.

The timings themselves are measured by ``make bench``, never asserted here.
"""

from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture
def bench_defaults(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import bench_defaults

    return bench_defaults


def test_quick_panel_prints_every_data_set(bench_defaults, capsys):
    results = bench_defaults.main(quick=True)
    out = capsys.readouterr().out
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("data set"))
    rows = {line.split()[0]: line for line in lines[head + 3 :] if line.strip()}
    shared = bench_defaults.SHARED.is_dir()
    for name in bench_defaults.NAMES:
        if name in bench_defaults.SHARED_NAMES and not shared:
            assert "skipped" in rows[name]
            continue
        # a metric and a time for each of the five models
        assert rows[name].count("s ") + rows[name].count("s!") >= 5, rows[name]
    measured = [n for n in bench_defaults.NAMES if shared or n not in bench_defaults.SHARED_NAMES]
    assert [r.name for r in results] == [f"defaults-{n}" for n in measured]
    for r in results:
        assert r.ratio > 0 and r.extra["metric_line"].endswith(("PASS", "MISS"))
    assert "CPU:" in out and "total " in out


def test_shared_rows_are_skipped_with_their_reason(bench_defaults, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(bench_defaults, "YEAST", tmp_path / "yeast")
    monkeypatch.setattr(bench_defaults, "SIGNS", tmp_path / "sign-language-digits")
    results = bench_defaults.main(quick=True, names=("iris", "yeast", "signs"))
    out = capsys.readouterr().out
    assert [r.name for r in results] == ["defaults-iris"]
    for name in ("yeast", "signs"):
        assert f"{name}: skipped, not found at {tmp_path}" in out
