"""logitlab tune: the search, its run folder, resuming, best.json and its errors.

Tiny searches on built-in data (a few trials on iris or breast cancer, seconds each).
"""

import contextlib
import json
import signal
import sqlite3
import sys
import time

import numpy as np
import optuna
import pytest

from _cli import one_line_error as _one_line_error
from _cli import run
from logitlab import tune as tune_module
from logitlab.data.stratify import stratified_folds
from logitlab.run import Interrupted, RunError, RunSettings, load_split
from logitlab.tune import parse_budget, resume_tune, tune_run


def _study(out):
    return optuna.load_study(study_name="logitlab", storage=f"sqlite:///{out / 'tune.db'}")


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """One three-trial search on iris, through the command."""
    out = tmp_path_factory.mktemp("tune") / "iris"
    r = run("tune", "--data", "iris", "--n-trials", 3, "--seed", 0, "--out", out)
    assert r.exit_code == 0, r.output + r.stderr
    return out, r.output


def test_a_search_writes_a_run_folder_with_the_search(searched):
    out, output = searched
    for name in ("tune.db", "tune.json", "best.json", "search.png", "settings.json",
                 "model.safetensors", "metrics.json", "report.html"):  # fmt: skip
        assert (out / name).is_file(), name
    assert not list(out.glob(".*.tmp"))
    summary = json.loads((out / "tune.json").read_text())
    assert summary["n_trials"] == 3 and len(_study(out).trials) == 3
    report = (out / "report.html").read_text()
    assert 'id="search"' in report and "search.png" in report
    assert "Parameters that mattered" in report
    assert "too few to tell" in report  # three trials: no importance, said so
    # best.json is the settings the final run trained with, and its score is the best
    best = json.loads((out / "best.json").read_text())
    assert best == json.loads((out / "settings.json").read_text())
    scores = [t["score"] for t in summary["trials"] if t["state"] == "complete"]
    assert summary["best"]["score"] == max(scores)
    assert "best cross-validated accuracy" in output


def test_train_with_the_best_settings_reproduces_the_final_model(searched, tmp_path):
    out, _ = searched
    again = tmp_path / "again"
    r = run("train", "--settings", out / "best.json", "--out", again)
    assert r.exit_code == 0, r.output + r.stderr
    first = json.loads((out / "metrics.json").read_text())
    second = json.loads((again / "metrics.json").read_text())
    for key in ("accuracy", "log_loss", "train_accuracy"):
        assert second[key] == pytest.approx(first[key], abs=1e-9), key
    # options given on the command line override the file's
    other = tmp_path / "other"
    r = run("train", "--settings", out / "best.json", "--epochs", 3, "--seed", 5, "--out", other)
    assert r.exit_code == 0, r.output + r.stderr
    settings = json.loads((other / "settings.json").read_text())
    assert settings["epochs"] == 3 and settings["seed"] == 5
    assert settings["model"] == json.loads((out / "best.json").read_text())["model"]


def test_resume_continues_the_same_study(searched, tmp_path):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(searched[0], out)
    before = [(t.number, t.params, t.value) for t in _study(out).trials]
    r = run("tune", "--resume", out, "--n-trials", 2)
    assert r.exit_code == 0, r.output + r.stderr
    after = [(t.number, t.params, t.value) for t in _study(out).trials]
    assert len(after) == 5 and after[:3] == before
    # the resumed sampler does not replay the first session's random start
    assert all(p != q for (_, p, _) in after[3:] for (_, q, _) in before)
    summary = json.loads((out / "tune.json").read_text())
    assert summary["n_trials"] == 5 and len(summary["trials"]) == 5
    assert (out / "model.safetensors").is_file() and (out / "report.html").is_file()
    complete = [t for t in summary["trials"] if t["state"] == "complete"]
    if len(complete) >= 4:  # enough finished trials to measure what mattered
        assert summary["importances"]["values"]
        assert 'class="importances"' in (out / "report.html").read_text()


def test_the_same_seed_and_trials_give_the_same_best_settings(searched, tmp_path):
    out = tmp_path / "twin"
    tune_run(RunSettings(data="iris", standardize=True), out, n_trials=3)
    assert (out / "best.json").read_text() == (searched[0] / "best.json").read_text()
    other = tmp_path / "other-seed"
    tune_run(RunSettings(data="iris", standardize=True, seed=1), other, n_trials=3)
    params = [t.params for t in _study(other).trials]
    assert params != [t.params for t in _study(searched[0]).trials]


def test_the_search_never_sees_the_test_split(tmp_path, monkeypatch):
    """Every row a trial fits on or scores is a row of the training split."""
    settings = RunSettings(data="breast_cancer", standardize=True, model="logistic")
    _, train, test, _ = load_split(settings)
    seen = []
    real = tune_module.fold_score

    def spy(settings, data, fit, held, callback=None):
        seen.extend([np.asarray(fit.X), np.asarray(held.X)])
        return real(settings, data, fit, held, callback)

    monkeypatch.setattr(tune_module, "fold_score", spy)
    tune_run(settings, tmp_path / "bc", n_trials=2, folds=3)
    assert len(seen) == 2 * 2 * 3
    rows = {r.tobytes() for r in np.vstack(seen)}
    assert len(np.unique(np.asarray(train.X), axis=0)) == len(train.y)  # rows are distinct
    assert rows == {r.tobytes() for r in np.asarray(train.X)}
    assert not rows & {r.tobytes() for r in np.asarray(test.X)}


def test_an_interrupted_search_keeps_its_trials_and_resumes(tmp_path, monkeypatch):
    calls = []
    real = tune_module.fold_score

    def interrupt_at_the_fifth_fold(*args, **kw):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(*args, **kw)

    monkeypatch.setattr(tune_module, "fold_score", interrupt_at_the_fifth_fold)
    out = tmp_path / "t"
    settings = RunSettings(data="iris", standardize=True, model="softmax")
    with pytest.raises(Interrupted, match="tune --resume"):
        tune_run(settings, out, n_trials=4, folds=2)
    states = [t.state for t in _study(out).trials]
    assert states[:2] == [optuna.trial.TrialState.COMPLETE] * 2
    assert not (out / "model.safetensors").exists() and not list(out.glob(".*.tmp"))
    monkeypatch.setattr(tune_module, "fold_score", real)
    result = resume_tune(out, n_trials=1)
    assert len(_study(out).trials) == 4 and result.n_trials == 4
    assert (out / "model.safetensors").is_file()


def _finished_trials(db):
    """Trials a running search has finished, read without writing (Optuna's own
    load_study would create the tables a starting search is creating)."""
    if not db.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
            q = "SELECT count(*) FROM trials WHERE state IN ('COMPLETE', 'PRUNED')"
            return con.execute(q).fetchone()[0]
    except sqlite3.Error:  # the tables are not there yet, or locked for a write
        return 0


def test_sigterm_during_the_search_is_one_line_and_keeps_the_trials(tmp_path):
    """A real SIGTERM to a real ``logitlab tune`` once a trial has finished."""
    import subprocess

    out = tmp_path / "t"
    cmd = [sys.executable, "-m", "logitlab.cli", "tune", "--data", "iris", "--model",
           "softmax", "--n-trials", "100000", "--out", str(out)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        finished = 0
        while finished < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
            finished = _finished_trials(out / "tune.db")
        if proc.poll() is not None:
            pytest.fail(f"tune ended before it was signalled: {proc.communicate()[1]}")
        assert finished >= 2, "no trial finished in 2 minutes"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and "tune --resume" in err, err
    complete = [t for t in _study(out).trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) >= 2
    assert json.loads((out / "tune.json").read_text())["spent_s"] > 0
    assert not list(out.glob(".*.tmp"))


def test_the_budget_leaves_room_for_the_final_training(tmp_path):
    start = time.monotonic()
    result = tune_run(RunSettings(data="iris", standardize=True), tmp_path / "t", budget=4.0)
    took = time.monotonic() - start
    assert result.n_trials >= 1
    # the search stops at 85% of the budget at the latest (checked between epochs)
    assert result.search_seconds <= 0.85 * 4.0 + 1.0
    assert took < 4.0 + 10.0  # the final training of a small model, and the report
    # the spent budget is kept: a resume without --budget has nothing left
    with pytest.raises(RunError, match="budget .* is spent"):
        resume_tune(tmp_path / "t")


def test_multilabel_folds_keep_every_labels_share():
    rng = np.random.default_rng(0)
    Y = (rng.random((300, 6)) < [0.5, 0.3, 0.2, 0.1, 0.05, 0.03]).astype(int)
    folds = stratified_folds(Y, 3, random_state=0)
    held = np.concatenate([h for _, h in folds])
    assert sorted(held.tolist()) == list(range(300))
    for fit, h in folds:
        assert not set(fit) & set(h)
        assert np.all(np.abs(Y[h].sum(axis=0) - Y.sum(axis=0) / 3) <= 1.5)


# ------------------------------------------------------------------------ errors
def test_bad_input_is_one_line(tmp_path, searched):
    out = tmp_path / "t"
    _one_line_error(
        run("tune", "--data", "iris", "--budget", "10x", "--out", out), "--budget", "10x"
    )
    _one_line_error(run("tune", "--data", "iris", "--budget", "0s", "--out", out), "--budget")
    assert not out.exists()
    plain = tmp_path / "plain"
    assert run("train", "--data", "iris", "--out", plain).exit_code == 0
    _one_line_error(run("tune", "--resume", plain), "not a tune run")
    _one_line_error(run("tune", "--resume", tmp_path / "nowhere"), "does not exist")
    forged = tmp_path / "forged"
    forged.mkdir()
    (forged / "tune.db").write_bytes(b"")
    (forged / "tune.json").write_text('{"version": 1, "base": [')
    _one_line_error(run("tune", "--resume", forged), "tune.json", "cannot read")
    (forged / "tune.json").write_text('{"version": 1, "base": {}, "space": {}, "folds": 3}')
    _one_line_error(run("tune", "--resume", forged), "tune.json", "spent_s")
    _one_line_error(
        run("tune", "--data", "iris", "--n-trials", 1, "--out", searched[0]), "--resume"
    )
    assert run("tune", "--data", "iris", "--out", out).exit_code == 2  # no limit given


@pytest.mark.parametrize(
    "content, needles",
    [
        ({"data": "iris", "epochs_": 3}, ("unknown field", "epochs_")),
        ({"data": "iris", "epochs": "ten"}, ("'epochs'", "integer")),
        ({"data": "iris", "hidden": "25,12"}, ("'hidden'",)),
        ({"data": "iris", "model": "mlp", "hidden": [10**9]}, ("'hidden'", "at most")),
        ({"data": "iris", "model": "mlp", "hidden": [8] * 100}, ("'hidden'", "layers")),
        ([1, 2], ("JSON object",)),
        ({"version": 99, "data": "iris"}, ("version",)),
    ],
)
def test_a_bad_settings_file_is_one_line_before_anything_is_allocated(tmp_path, content, needles):
    path = tmp_path / "best.json"
    path.write_text(json.dumps(content))
    start = time.monotonic()
    err = _one_line_error(run("train", "--settings", path, "--out", tmp_path / "r"), *needles)
    assert str(path) in err
    assert time.monotonic() - start < 5 and not (tmp_path / "r").exists()


def test_parse_budget():
    assert parse_budget("1.5h") == 5400 and parse_budget(" 90s ") == 90
    for bad in ("10x", "", "m", "-5m", "1e3", "40d"):
        with pytest.raises(RunError, match="--budget"):
            parse_budget(bad)
