"""Exact resume: a run interrupted by Ctrl-C and resumed from its checkpoint ends with
the parameters of the same run left alone (to 1e-12 in the NumPy engine, 1e-6 in torch),
the checkpoint holding the optimiser's, the schedule's and the generator's state."""

import dataclasses
import sys
import textwrap
import warnings

import numpy as np
import pytest
from click.testing import CliRunner

import logitlab.run as run_module
from logitlab.cli import cli
from logitlab.io import load_model, read_model_file, save_model
from logitlab.run import Interrupted, Progress, RunError, RunSettings, resume_run, train_run

TOLERANCE = {"numpy": 1e-12, "torch": 1e-6}
EPOCHS, PAUSE_AT = 24, 10

#: the CLI's learning-rate schedule option, where the run settings have one
HAS_SCHEDULE = "lr_schedule" in {f.name for f in dataclasses.fields(RunSettings)}

# `logitlab train` in a process of its own, which writes a checkpoint after every
# iteration and, once the one after iteration PAUSE is written, says so in the file
# READY and waits there for Ctrl-C (so the signal always comes mid-run, after that
# checkpoint); the command and its handling of the signal are the real ones
CHILD = textwrap.dedent(
    """
    import sys, time
    import logitlab.run as run
    from logitlab.cli import main

    ready, pause = sys.argv[1], int(sys.argv[2])
    run.CHECKPOINT_SECONDS = 0.0
    callback = run._Checkpoints.callback

    def callback_then_wait(self, info):
        callback(self, info)
        if info.iteration + 1 == pause:
            open(ready, "w").close()
            time.sleep(300)

    run._Checkpoints.callback = callback_then_wait
    main(sys.argv[3:])
    """
)


def _table(path):
    """A small CSV of three classes, 4 features on different scales."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 4)) * [1.0, 2.0, 0.5, 3.0]
    y = (X[:, 0] + X[:, 1] ** 2 / 4 > 0.5).astype(int) + (X[:, 2] > 0.5)
    rows = ["a,b,c,d,label"] + [",".join(map(repr, x.tolist())) + f",k{c}" for x, c in zip(X, y)]
    path.write_text("\n".join(rows) + "\n")
    return path


def _train_args(data, engine, solver):
    args = ["--data", str(data), "--labels", "label", "--model", "mlp", "--hidden", "16",
            "--solver", solver, "--lr", "0.01", "--batch-size", "8", "--epochs", str(EPOCHS),
            "--tol", "0", "--standardize", "--engine", engine]  # fmt: skip
    if HAS_SCHEDULE:  # the learning rate then follows a cosine over the run's 24 epochs
        args += ["--lr-schedule", "cosine"]
    return args


@pytest.mark.parametrize("solver", ["adam", "momentum"])
@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_a_run_interrupted_by_ctrl_c_and_resumed_ends_as_if_left_alone(
    tmp_path, engine, solver, signal_when_ready
):
    if engine == "torch":
        pytest.importorskip("torch")
    data = _table(tmp_path / "table.csv")
    args = _train_args(data, engine, solver)
    # the run left alone
    whole = CliRunner().invoke(cli, ["train", *args, "--out", str(tmp_path / "whole")])
    assert whole.exit_code == 0, whole.output + whole.stderr
    # the same run, interrupted by Ctrl-C after the checkpoint of iteration PAUSE_AT
    out, ready = tmp_path / "run", tmp_path / "ready"
    cmd = [sys.executable, "-c", CHILD, str(ready), str(PAUSE_AT), "train", *args,
           "--out", str(out)]  # fmt: skip
    code, err, appeared = signal_when_ready(cmd, ready, poll=0.02)
    assert appeared, err
    assert code == 130, err
    assert "checkpoint" in err and "--resume" in err and "Traceback" not in err, err
    assert not (out / "model.safetensors").exists()
    checkpoint = load_model(out / "checkpoint.safetensors")
    assert checkpoint.n_iter_ == PAUSE_AT < checkpoint.max_iter == EPOCHS  # stopped early
    state = checkpoint.train_state_
    assert state.epoch == PAUSE_AT and state.rng["bit_generator"] == "PCG64"
    assert set(state.optimizer) == ({"m", "v", "t"} if solver == "adam" else {"v"})
    if HAS_SCHEDULE:
        assert state.schedule["horizon"] == EPOCHS
    # `logitlab train --resume` (in this process: the signal was the other one's part)
    resumed = CliRunner().invoke(cli, ["train", "--resume", str(out)])
    assert resumed.exit_code == 0, resumed.output + resumed.stderr
    assert f"{PAUSE_AT}of{EPOCHS}iterationsdone" in "".join(resumed.output.split())
    a = load_model(tmp_path / "whole" / "model.safetensors")
    b = load_model(out / "model.safetensors")
    assert a.n_iter_ == b.n_iter_ == EPOCHS and b.max_iter == EPOCHS
    diff = float(np.max(np.abs(a.network_.theta - b.network_.theta)))
    print(f"{engine} {solver}: max |theta difference| = {diff:.3g}")
    assert diff <= TOLERANCE[engine]
    np.testing.assert_allclose(b.history_, a.history_, rtol=0, atol=TOLERANCE[engine])
    assert not (out / "checkpoint.safetensors").exists()


# ---------------------------------------------------------------- in one process
class _StopAt(Progress):
    """Ctrl-C once iteration ``at`` is done, before its checkpoint is written: the last
    checkpoint is that of iteration at − 1."""

    def __init__(self, at):
        self.at = at

    def update(self, done, cost, validation_cost=None):
        if done == self.at:
            raise KeyboardInterrupt


class _LostAfterFit(Progress):
    """Ctrl-C after training, before the model is saved: the last checkpoint is that of
    the last iteration."""

    def stop(self):
        raise KeyboardInterrupt


class _Notes(Progress):
    def __init__(self):
        self.infos, self.warnings = [], []

    def info(self, text):
        self.infos.append(text)

    def warning(self, text):
        self.warnings.append(text)


@pytest.fixture
def every_iteration(monkeypatch):
    monkeypatch.setattr(run_module, "CHECKPOINT_SECONDS", 0.0)


def _settings(**kw):
    base = dict(data="moons", model="mlp", hidden=(8,), solver="adam", batch_size=16,
                lr=0.01, alpha=1e-4, epochs=30, tol=0, standardize=True)  # fmt: skip
    return RunSettings(**{**base, **kw})


def _interrupted(settings, out, progress):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises((Interrupted, KeyboardInterrupt)):
            train_run(settings, out, progress)
    return load_model(out / "checkpoint.safetensors")


def _models(tmp_path):
    return load_model(tmp_path / "whole" / "model.safetensors"), load_model(
        tmp_path / "run" / "model.safetensors"
    )


@pytest.mark.parametrize(
    "what, settings",
    [
        ("all iterations done", _settings(epochs=12)),
        ("early stopping had stopped", _settings(epochs=400, early_stopping=True)),
    ],
)
def test_a_checkpoint_where_training_ended_is_finished_without_training(
    tmp_path, every_iteration, what, settings
):
    """A run stopped after its last checkpoint but before its model was saved."""
    train_run(settings, tmp_path / "whole")
    checkpoint = _interrupted(settings, tmp_path / "run", _LostAfterFit())
    notes = _Notes()
    resume_run(tmp_path / "run", notes)
    a, b = _models(tmp_path)
    assert checkpoint.n_iter_ == a.n_iter_ == b.n_iter_
    if settings.early_stopping:
        assert a.n_iter_ < settings.epochs  # it did stop early
    assert any("training ended at iteration" in t for t in notes.infos), notes.infos
    assert np.array_equal(a.network_.theta, b.network_.theta)  # the best ones, with ES
    assert np.array_equal(a.history_, b.history_)
    if settings.early_stopping:
        assert np.array_equal(a.validation_history_, b.validation_history_)


def test_a_resumed_run_keeps_its_whole_validation_history(tmp_path, every_iteration):
    settings = _settings(early_stopping=True)
    checkpoint = _interrupted(settings, tmp_path / "run", _StopAt(13))
    assert checkpoint.n_iter_ == 12 and checkpoint.validation_history_.shape == (12,)
    result = resume_run(tmp_path / "run")
    model = load_model(tmp_path / "run" / "model.safetensors")
    assert model.validation_history_.shape == (model.n_iter_,)
    assert np.array_equal(model.validation_history_[:12], checkpoint.validation_history_)
    rows = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert all(row.count(",") == 2 and not row.endswith(",") for row in rows), rows
    assert result.estimator.n_iter_ == model.n_iter_


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_early_stopping_resumes_exactly(tmp_path, every_iteration, engine):
    if engine == "torch":
        pytest.importorskip("torch")
    settings = _settings(early_stopping=True, engine=engine)
    train_run(settings, tmp_path / "whole")
    _interrupted(settings, tmp_path / "run", _StopAt(13))
    resume_run(tmp_path / "run")
    a, b = _models(tmp_path)
    assert a.n_iter_ == b.n_iter_
    assert np.max(np.abs(a.network_.theta - b.network_.theta)) <= TOLERANCE[engine]


def test_lbfgs_resumes_but_not_bit_for_bit(tmp_path, every_iteration):
    """SciPy's L-BFGS keeps its memory of past steps to itself: a resumed run starts a
    fresh L-BFGS from the checkpoint's parameters. It finishes its iterations, with the
    history up to the checkpoint kept, but its parameters are not those of the run left
    alone."""
    settings = _settings(solver="lbfgs", batch_size=None)
    train_run(settings, tmp_path / "whole")
    checkpoint = _interrupted(settings, tmp_path / "run", _StopAt(13))
    assert checkpoint.train_state_.optimizer == {}  # nothing of L-BFGS is kept
    resume_run(tmp_path / "run")
    a, b = _models(tmp_path)
    assert b.n_iter_ == a.n_iter_ == settings.epochs
    assert np.array_equal(b.history_[:12], a.history_[:12])
    assert np.all(np.isfinite(b.network_.theta))


def test_an_inconsistent_checkpoint_is_refused(tmp_path, every_iteration):
    _interrupted(_settings(), tmp_path / "run", _StopAt(6))
    path = tmp_path / "run" / "checkpoint.safetensors"
    checkpoint, pre, _ = read_model_file(path)
    checkpoint.train_state_.epoch += 3
    save_model(checkpoint, path, preprocessing=pre)
    with pytest.raises(RunError, match="checkpoint is inconsistent.*training state at iteration 8"):
        resume_run(tmp_path / "run")
    assert path.is_file()  # kept


def test_a_checkpoint_without_a_state_resumes_and_says_so(tmp_path, every_iteration):
    """A checkpoint written before states were saved: the optimiser restarts."""
    _interrupted(_settings(), tmp_path / "run", _StopAt(6))
    path = tmp_path / "run" / "checkpoint.safetensors"
    checkpoint, pre, _ = read_model_file(path)
    checkpoint.train_state_ = None
    save_model(checkpoint, path, preprocessing=pre)
    notes = _Notes()
    resume_run(tmp_path / "run", notes)
    assert any("holds no training state" in w for w in notes.warnings), notes.warnings
    assert load_model(tmp_path / "run" / "model.safetensors").n_iter_ == 30
