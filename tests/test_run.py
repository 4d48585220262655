"""The run layer (logitlab.run): run folders, settings, resume, matching by name, faults."""

import fcntl
import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from _cli import one_line_error
from _cli import run as cli_run
from logitlab import run as run_module
from logitlab.run import (
    Interrupted,
    Preprocessing,
    Progress,
    RunError,
    RunSettings,
    evaluate_run,
    predict_run,
    resume_run,
    train_run,
)


def write_table(path, X, y, columns):
    rows = [",".join(columns + ["label"])]
    rows += [",".join([repr(float(v)) for v in x] + [str(t)]) for x, t in zip(X, y)]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def table(tmp_path):
    """A 3-feature, 3-class CSV whose classes depend on the features."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3))
    y = np.array(["ant", "bee", "cat"])[np.argmax(X, axis=1)]
    return write_table(tmp_path / "table.csv", X, y, ["a", "b", "c"]), X, y


class StopAfter(Progress):
    """Ctrl-C after ``n`` iterations."""

    def __init__(self, n):
        self.n = n

    def update(self, done, cost, validation_cost=None):
        if done >= self.n:
            raise KeyboardInterrupt


# ------------------------------------------------------------------ run from Python
def test_train_run_from_python_writes_what_the_command_writes(tmp_path, table):
    csv_file, _, _ = table
    r = cli_run("train", "--data", csv_file, "--model", "softmax", "--standardize",
                "--out", tmp_path / "cmd")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    result = train_run(
        RunSettings(data=str(csv_file), model="softmax", standardize=True), tmp_path / "py"
    )
    cmd_files = sorted(p.name for p in (tmp_path / "cmd").iterdir())
    assert cmd_files == sorted(p.name for p in (tmp_path / "py").iterdir())
    assert (tmp_path / "cmd" / "settings.json").read_text() == (
        tmp_path / "py" / "settings.json"
    ).read_text()
    metrics = json.loads((tmp_path / "cmd" / "metrics.json").read_text())
    assert metrics["accuracy"] == result.metrics["accuracy"]
    assert metrics["log_loss"] == result.metrics["log_loss"]


# ----------------------------------------------------------------------- run folder
def test_an_existing_run_is_never_mixed_with_a_new_one(tmp_path):
    out = tmp_path / "run"
    train_run(RunSettings(data="moons"), out)
    assert (out / "decision_boundary.png").is_file()  # 2-D data draws one
    with pytest.raises(RunError, match="already holds a run.*--overwrite"):
        train_run(RunSettings(data="iris"), out)
    one_line_error(cli_run("train", "--data", "iris", "--out", out), "--overwrite")
    r = cli_run("train", "--data", "iris", "--out", out, "--overwrite")
    assert r.exit_code == 0, r.stderr
    # the old run's files are gone: iris has 4 features, so no decision boundary
    assert not (out / "decision_boundary.png").exists()
    assert json.loads((out / "settings.json").read_text())["data"] == "iris"


def test_a_folder_that_is_not_a_run_is_never_touched(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    for overwrite in (False, True):
        with pytest.raises(RunError, match="holds no logitlab run"):
            train_run(RunSettings(data="iris"), out, overwrite=overwrite)
    assert (out / "notes.txt").read_text() == "my notes"


def test_two_processes_never_write_one_run(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    with open(out / run_module.LOCK_FILE, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as another process would
        with pytest.raises(RunError, match="another logitlab process"):
            train_run(RunSettings(data="iris"), out)
    train_run(RunSettings(data="iris"), out)  # released: fine


def test_out_inside_the_data_folder_is_refused(tmp_path):
    from PIL import Image

    photos = tmp_path / "photos"
    for k, name in enumerate(("a", "b")):
        (photos / name).mkdir(parents=True)
        for i in range(4):
            Image.new("RGB", (4, 4), (60 * k + i, 0, 0)).save(photos / name / f"{i}.png")
    one_line_error(
        cli_run("train", "--data", photos, "--size", "4", "--out", photos / "runs" / "x"),
        "inside the --data folder",
    )
    assert not (photos / "runs").exists()


def test_test_naming_the_data_warns(tmp_path, table):
    csv_file, _, _ = table
    r = cli_run("train", "--data", csv_file, "--test", csv_file, "--out", tmp_path / "r")
    assert r.exit_code == 0, r.stderr
    assert "warning: --test names the same data as --data" in " ".join(r.output.split())
    assert "the same data as --data" in (tmp_path / "r" / "report.html").read_text()


# ------------------------------------------------------------------------- settings
@pytest.mark.parametrize(
    "field, value, needle",
    [
        ("epochs", 0, "'epochs' must be an integer >= 1"),
        ("epochs", "10", "'epochs' must be an integer >= 1"),
        ("hidden", [25, -1], "'hidden' must be a list of positive integers"),
        ("size", 10**9, "'size' must be an integer from 1 to 4096"),
        ("lr", float("nan"), "'lr' must be a number > 0"),
        ("model", "forest", "'model' must be one of"),
        ("test_size", 1.5, "'test_size' must be a number between 0 and 1"),
        ("standardize", "yes", "'standardize' must be true or false"),
        ("colour", "rgb", "unknown field(s) 'colour'"),
        ("val", "", "'val' must be a non-empty string or null"),
        ("class_weight", "auto", "'class_weight' must be one of None, 'balanced'"),
        ("pos_weight", [1, 2], "'pos_weight' must be one of None, 'balanced'"),
        ("lr_schedule", "linear", "'lr_schedule' must be one of"),
        ("lr_decay", 0, "'lr_decay' must be a number > 0 and <= 1"),
        ("lr_decay", 1.5, "'lr_decay' must be a number > 0 and <= 1"),
        ("lr_step_size", 0, "'lr_step_size' must be an integer >= 1"),
        ("lr_patience", 2.5, "'lr_patience' must be an integer >= 1"),
        ("warmup", -1, "'warmup' must be an integer >= 0"),
        ("dropout", 1.0, "'dropout' must be a number >= 0 and < 1"),
        ("dropout", True, "'dropout' must be a number >= 0 and < 1"),
        ("validation_scoring", "f1", "'validation_scoring' must be one of"),
    ],
)
def test_a_malformed_settings_json_names_the_file_and_the_field(tmp_path, field, value, needle):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    settings = {**RunSettings(data="iris").to_dict(), field: value}
    (run_dir / "settings.json").write_text(json.dumps(settings))
    with pytest.raises(RunError) as info:
        RunSettings.load(run_dir)
    assert str(run_dir / "settings.json") in str(info.value) and needle in str(info.value)
    one_line_error(cli_run("train", "--resume", run_dir), "settings.json", needle)


def test_a_settings_json_from_before_the_training_options_still_reads(tmp_path):
    new = ("val", "class_weight", "pos_weight", "lr_schedule", "lr_decay", "lr_step_size",
           "lr_patience", "warmup", "dropout", "validation_scoring")  # fmt: skip
    stored = RunSettings(data="iris", model="mlp", hidden=(8,)).to_dict()
    assert set(new) <= set(stored)
    (tmp_path / "settings.json").write_text(
        json.dumps({k: v for k, v in stored.items() if k not in new})
    )
    loaded = RunSettings.load(tmp_path)
    assert loaded == RunSettings(data="iris", model="mlp", hidden=(8,))
    assert all(getattr(loaded, name) is None for name in new)


def test_settings_json_that_is_not_json(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "settings.json").write_text('{"data": "iris",')
    one_line_error(cli_run("train", "--resume", run_dir), "settings.json", "cannot read")


# --------------------------------------------------------------------------- resume
def test_resume_writes_only_into_its_folder_and_survives_a_cd(tmp_path, table, monkeypatch):
    csv_file, _, _ = table
    monkeypatch.chdir(tmp_path)
    settings = RunSettings(data="table.csv", model="mlp", hidden=(8,), solver="sgd",
                           batch_size=8, epochs=40, tol=0)  # fmt: skip
    with pytest.raises(Interrupted, match="checkpoint"):
        train_run(settings, "run", StopAfter(5))
    stored = json.loads((tmp_path / "run" / "settings.json").read_text())
    assert stored["data"] == str(csv_file)  # absolute: works from anywhere
    elsewhere = tmp_path / "elsewhere"
    # settings.json in the first version's form, naming another place to write: the
    # run is where its settings.json is
    legacy = {k: v for k, v in stored.items() if k not in ("version", "data", "test")}
    legacy.update(data_src=stored["data"], test_src=None, hidden="8", out=str(elsewhere))
    (tmp_path / "run" / "settings.json").write_text(json.dumps(legacy))
    away = tmp_path / "sub"
    away.mkdir()
    monkeypatch.chdir(away)
    result = resume_run(tmp_path / "run")
    assert result.estimator.n_iter_ == 40 and len(result.estimator.history_) == 40
    assert not elsewhere.exists() and not list(away.iterdir())


@pytest.mark.parametrize("change", ["values", "classes", "columns"])
def test_resume_on_changed_data_refuses(tmp_path, table, change):
    csv_file, X, y = table
    settings = RunSettings(data=str(csv_file), model="mlp", hidden=(8,), solver="sgd",
                           batch_size=8, epochs=40, tol=0)  # fmt: skip
    with pytest.raises(Interrupted):
        train_run(settings, tmp_path / "run", StopAfter(3))
    if change == "values":
        X = X.copy()
        X[0, 0] += 1.0
        write_table(csv_file, X, y, ["a", "b", "c"])
    elif change == "classes":
        write_table(csv_file, X, np.where(y == "cat", "dog", y), ["a", "b", "c"])
    else:
        write_table(csv_file, X, y, ["a", "b", "d"])
    r = cli_run("train", "--resume", tmp_path / "run")
    err = one_line_error(r, "cannot resume", "the data changed")
    assert "resuming" not in r.output
    if change == "classes":
        assert "dog" in err
    assert (tmp_path / "run" / "checkpoint.safetensors").is_file()  # kept


def test_resume_refuses_changed_validation_data(tmp_path, table):
    csv_file, X, y = table
    val_file = tmp_path / "val.csv"
    write_table(val_file, X[:20], y[:20], ["a", "b", "c"])
    settings = RunSettings(data=str(csv_file), val=str(val_file), model="mlp", hidden=(8,),
                           solver="sgd", batch_size=8, epochs=40, tol=0)  # fmt: skip
    with pytest.raises(Interrupted):
        train_run(settings, tmp_path / "run", StopAfter(3))
    X = X.copy()
    X[0, 0] += 1.0
    write_table(val_file, X[:20], y[:20], ["a", "b", "c"])
    r = cli_run("train", "--resume", tmp_path / "run")
    one_line_error(r, "cannot resume", "other validation data")
    assert (tmp_path / "run" / "checkpoint.safetensors").is_file()  # kept


@pytest.mark.parametrize(
    "option",
    [("--epochs", "5"), ("--val", "iris"), ("--class-weight", "balanced"), ("--dropout", "0.1"),
     ("--lr-schedule", "cosine"), ("--warmup", "2"), ("--validation-scoring", "accuracy")],
)  # fmt: skip
def test_resume_refuses_other_options(tmp_path, option):
    r = cli_run("train", "--resume", tmp_path, *option)
    assert r.exit_code == 2 and option[0] in r.stderr


def test_sigterm_keeps_the_last_checkpoint(tmp_path, signal_when_ready):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "logitlab.cli", "train", "--data", "digits", "--model",
           "mlp", "--solver", "sgd", "--batch-size", "16", "--epochs", "5000", "--tol", "0",
           "--out", str(out)]  # fmt: skip
    checkpoint = out / "checkpoint.safetensors"
    returncode, err, _ = signal_when_ready(cmd, checkpoint, signal.SIGTERM, poll=0.1)
    assert returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "checkpoint" in err and "--resume" in err
    assert checkpoint.is_file() and not list(out.glob(".*.tmp"))
    assert not (out / "model.safetensors").exists()


# ------------------------------------------------------------------------ faults
def test_a_failing_plot_never_loses_the_model(tmp_path, monkeypatch):
    import logitlab.report

    def broken(*args, **kwargs):
        raise ValueError("matplotlib cannot draw the class name")

    monkeypatch.setattr(logitlab.report, "write_plots", broken)
    r = cli_run("train", "--data", "iris", "--out", tmp_path / "r")
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "r" / "model.safetensors").is_file()
    assert "the plots could not be drawn" in " ".join(r.output.split())
    assert "the plots could not be drawn" in (tmp_path / "r" / "report.html").read_text()


def test_training_that_learned_nothing_is_reported(tmp_path, table):
    csv_file, X, y = table
    huge = write_table(tmp_path / "huge.csv", X * 1e50, y, ["a", "b", "c"])
    r = cli_run(
        "train", "--data", huge, "--model", "softmax", "--no-standardize", "--out", tmp_path / "r"
    )
    assert r.exit_code == 0, r.stderr
    out = " ".join(r.output.split())
    assert "warning:" in out and "standardise the features" in out
    assert "standardise the features" in (tmp_path / "r" / "report.html").read_text()


def test_memory_asked_for_is_checked_first(tmp_path, monkeypatch):
    import logitlab.data.errors

    monkeypatch.setattr(logitlab.data.errors, "available_memory", lambda: 10 * 2**20)
    one_line_error(
        cli_run("train", "--data", "shapes", "--size", "512", "--out", tmp_path / "r"),
        "--size 512",
        "available",
    )
    one_line_error(
        cli_run(
            "train",
            "--data",
            "iris",
            "--model",
            "mlp",
            "--hidden",
            "100000,100000",
            "--out",
            tmp_path / "r2",
        ),  # fmt: skip
        "--hidden 100000,100000",
    )
    from PIL import Image

    photos = tmp_path / "photos"
    for name in ("a", "b"):
        (photos / name).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (8, 8), (40 * i, 0, 0)).save(photos / name / f"{i}.png")

    def decoded(*args, **kwargs):
        raise AssertionError("an image was decoded before the memory check")

    monkeypatch.setattr(run_module.ImageFiles, "read_rows", decoded)
    one_line_error(
        cli_run("train", "--data", photos, "--size", "1024", "--out", tmp_path / "r3"),
        "--size 1024",
    )
    args = ["--size", "64", "--augment-shift", "40", "--out", tmp_path / "r4"]
    one_line_error(cli_run("train", "--data", photos, *args), "--augment-shift 40")


# -------------------------------------------------------------- matching by name
def test_columns_in_another_order_are_matched_by_name(tmp_path, table):
    csv_file, X, y = table
    train_run(RunSettings(data=str(csv_file), standardize=True), tmp_path / "run")
    reordered = write_table(tmp_path / "reordered.csv", X[:, [2, 0, 1]], y, ["c", "a", "b"])
    assert evaluate_run(tmp_path / "run", str(reordered)) == evaluate_run(
        tmp_path / "run", str(csv_file)
    )
    assert (
        predict_run(tmp_path / "run", [str(reordered)])[0]["label"]
        == predict_run(tmp_path / "run", [str(csv_file)])[0]["label"]
    )
    missing = write_table(tmp_path / "missing.csv", X[:, :2], y, ["a", "b"])
    one_line_error(cli_run("evaluate", tmp_path / "run", "--data", missing), "lacks", "'c'")
    extra = write_table(tmp_path / "extra.csv", np.c_[X, X[:, :1]], y, ["a", "b", "c", "z"])
    one_line_error(cli_run("evaluate", tmp_path / "run", "--data", extra), "'z'")
    one_line_error(cli_run("predict", tmp_path / "run", extra), "'z'")


def test_classes_are_matched_by_name(tmp_path, table):
    csv_file, X, y = table
    train_run(RunSettings(data=str(csv_file), standardize=True), tmp_path / "run")
    whole = evaluate_run(tmp_path / "run", str(csv_file))
    # the same examples with the classes in another order of first appearance
    order = np.argsort(y, kind="stable")[::-1]
    shuffled = write_table(tmp_path / "shuffled.csv", X[order], y[order], ["a", "b", "c"])
    assert evaluate_run(tmp_path / "run", str(shuffled))["accuracy"] == whole["accuracy"]
    # a subset of the classes is fine
    some = y != "cat"
    subset = write_table(tmp_path / "subset.csv", X[some], y[some], ["a", "b", "c"])
    assert evaluate_run(tmp_path / "run", str(subset))["n_samples"] == int(some.sum())
    # ... down to one class
    ants = y == "ant"
    only = write_table(tmp_path / "ants.csv", X[ants], y[ants], ["a", "b", "c"])
    assert evaluate_run(tmp_path / "run", str(only))["n_samples"] == int(ants.sum())
    # a class the model never saw is named
    other = write_table(tmp_path / "other.csv", X, np.where(y == "cat", "dog", y),
                        ["a", "b", "c"])  # fmt: skip
    one_line_error(cli_run("evaluate", tmp_path / "run", "--data", other), "'dog'")


def test_prediction_inputs_of_other_widths_are_one_line(tmp_path, table):
    train_run(RunSettings(data="iris"), tmp_path / "run")
    csv_file, _, _ = table
    one_line_error(cli_run("predict", tmp_path / "run", csv_file), "table.csv")


# ------------------------------------------------------------------ preprocessing
@pytest.mark.parametrize(
    "change, needle",
    [
        ({"image_shape": [100000, 100000, 3]}, "image_shape"),
        ({"class_names": ["a"] * 1000}, "names 1000 classes"),
        ({"feature_names": ["x"] * 7}, "names 7 features"),
        ({"mean": np.zeros(10**5), "scale": np.ones(10**5)}, "mean has shape"),
        ({"scale": np.array([1.0, 0.0, 1.0, 1.0])}, "scale holds values <= 0"),
        ({"task": "regression"}, "task"),
        ({"loader": {"size": 10**6}}, "'size'"),
        ({"loader": {"shell": "rm -rf /"}}, "'shell' is unknown"),
    ],
)
def test_preprocessing_from_a_model_file_is_checked(change, needle):
    good = Preprocessing(
        "multiclass", ["a", "b", "c"], 4, feature_names=list("wxyz"),
        mean=np.zeros(4), scale=np.ones(4),
    )  # fmt: skip
    d = {**good.to_dict(), **change}
    with pytest.raises(RunError, match=needle):
        Preprocessing.from_dict(d, n_features=4, n_outputs=3)
    back = Preprocessing.from_dict(good.to_dict(), n_features=4, n_outputs=3)
    assert back.feature_names == good.feature_names and np.array_equal(back.scale, good.scale)


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("torch") is None, reason="PyTorch is not installed"
)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_and_sigterm_with_workers_are_one_line(tmp_path, sig):
    """As a terminal sends them: to the whole process group, DataLoader workers too."""
    import os

    from PIL import Image

    photos = tmp_path / "photos"
    rng = np.random.default_rng(0)
    for k, name in enumerate(("a", "b")):
        (photos / name).mkdir(parents=True)
        for i in range(16):
            pixels = rng.integers(0, 120, (8, 8, 3)) + 100 * k
            Image.fromarray(pixels.astype(np.uint8)).save(photos / name / f"{i}.png")
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "logitlab.cli", "train", "--data", str(photos), "--size",
           "8", "--stream", "--workers", "2", "--engine", "torch", "--batch-size", "4",
           "--epochs", "100000", "--tol", "0", "--model", "mlp", "--out", str(out)]  # fmt: skip
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # a background test run inherits an ignored SIGINT: take it as a terminal would
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while not (out / "checkpoint.safetensors").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    os.killpg(proc.pid, sig)
    try:
        _, err = proc.communicate(timeout=60)
    finally:  # a failed test must not leave a training run behind
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "checkpoint" in err and (out / "checkpoint.safetensors").is_file()


def test_interrupted_while_writing_the_report_names_the_saved_model(tmp_path, monkeypatch):
    import logitlab.report

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(logitlab.report, "write_plots", interrupted)
    with pytest.raises(Interrupted, match="the model is saved in .*model.safetensors"):
        train_run(RunSettings(data="iris"), tmp_path / "r")
    assert evaluate_run(tmp_path / "r", "iris")["n_samples"] == 150


def test_memory_error_is_one_line(tmp_path, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(run_module, "_job", exhausted)
    one_line_error(cli_run("train", "--data", "iris", "--out", tmp_path / "r"), "out of memory")


def test_a_hard_kill_leaves_a_run_that_resumes_and_evaluates(tmp_path):
    out = tmp_path / "run"
    ready = tmp_path / "ready"
    # a run that stops itself mid-training (after its first checkpoint) and waits there
    # to be killed: no handler runs, temporaries may be left behind
    script = f"""
import time
from logitlab.run import Progress, RunSettings, train_run
class Wait(Progress):
    def update(self, done, cost, validation_cost=None):
        if done >= 3:
            open({str(ready)!r}, "w").close()
            time.sleep(600)
train_run(RunSettings(data="digits", model="mlp", solver="sgd", batch_size=16, epochs=10,
                      tol=0), {str(out)!r}, Wait())
"""
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 120
    while not ready.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.kill()
    proc.wait(timeout=60)
    assert (out / "checkpoint.safetensors").is_file() and not (out / "model.safetensors").exists()
    (out / ".checkpoint.safetensors.0123.tmp").write_bytes(b"half a file")
    result = resume_run(out)
    assert result.estimator.n_iter_ == 10
    assert not list(out.glob(".*.tmp"))
    assert evaluate_run(out, "digits")["n_samples"] == 1797


def test_the_course_hdf5_file_of_test_pictures_can_be_predicted(tmp_path):
    h5py = pytest.importorskip("h5py")
    rng = np.random.default_rng(0)
    for prefix, m in (("train", 60), ("test", 10)):
        y = rng.integers(0, 2, m)
        x = np.where(y[:, None, None, None] == 1, 200, 40) + rng.integers(0, 40, (m, 4, 4, 3))
        with h5py.File(tmp_path / f"{prefix}.h5", "w") as f:
            f[f"{prefix}_set_x"] = x.astype(np.uint8)
            f[f"{prefix}_set_y"] = y.reshape(1, m)
            f["list_classes"] = np.array([b"non-cat", b"cat"])
    train_run(RunSettings(data=str(tmp_path / "train.h5"), model="logistic"), tmp_path / "r")
    results = predict_run(tmp_path / "r", [str(tmp_path / "test.h5")])
    assert len(results) == 10 and {r["label"] for r in results} <= {"non-cat", "cat"}
    assert results[0]["input"] == f"{tmp_path / 'test.h5'}:1"


def test_a_test_table_with_columns_in_another_order_is_matched_by_name(tmp_path, table):
    csv_file, X, y = table
    rng = np.random.default_rng(1)
    X_test = rng.normal(size=(30, 3))
    y_test = np.array(["ant", "bee", "cat"])[np.argmax(X_test, axis=1)]
    same = write_table(tmp_path / "test.csv", X_test, y_test, ["a", "b", "c"])
    shuffled = write_table(tmp_path / "shuffled.csv", X_test[:, [1, 2, 0]], y_test, ["b", "c", "a"])
    runs = {}
    for name, test in (("same", same), ("shuffled", shuffled)):
        settings = RunSettings(data=str(csv_file), test=str(test), standardize=True)
        runs[name] = train_run(settings, tmp_path / name).metrics
    assert runs["same"]["accuracy"] == runs["shuffled"]["accuracy"] > 0.8
    assert runs["same"]["log_loss"] == runs["shuffled"]["log_loss"]
    fewer = write_table(tmp_path / "fewer.csv", X_test[:, :2], y_test, ["a", "b"])
    one_line_error(
        cli_run("train", "--data", csv_file, "--test", fewer, "--out", tmp_path / "r"),
        "lacks the column(s) 'c'",
    )


def test_an_interrupted_run_says_to_resume_and_odd_settings_files_are_refused(tmp_path):
    settings = RunSettings(data="digits", model="mlp", solver="sgd", batch_size=16, epochs=50)
    with pytest.raises(Interrupted):
        train_run(settings, tmp_path / "run", StopAfter(2))
    one_line_error(cli_run("evaluate", tmp_path / "run", "--data", "digits"), "--resume")
    (tmp_path / "run" / "settings.json").write_bytes(b" " * (2 << 20))
    one_line_error(cli_run("train", "--resume", tmp_path / "run"), "is not a settings file")
    (tmp_path / "run" / "settings.json").write_text("[" * 100_000)
    one_line_error(cli_run("train", "--resume", tmp_path / "run"), "cannot read the settings")


# ----------------------------------------------------------------- training options
def softmax_cost(est, X, y_index):
    """Mean cross-entropy of ``est`` on X, y (class indices), as the engines compute
    the validation cost (no penalty)."""
    P = est.predict_proba(X)
    return float(-np.mean(np.log(P[np.arange(len(y_index)), y_index])))


@pytest.fixture
def val_table(tmp_path):
    """Validation rows for ``table``, with the columns in another order."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3))
    y = np.array(["ant", "bee", "cat"])[np.argmax(X, axis=1)]
    return write_table(tmp_path / "val.csv", X[:, [2, 0, 1]], y, ["c", "a", "b"]), X, y


def test_val_is_read_like_the_test_data_and_measured_every_iteration(tmp_path, table, val_table):
    csv_file, _, _ = table
    val_file, X_val, y_val = val_table
    r = cli_run("train", "--data", csv_file, "--val", val_file, "--model", "softmax",
                "--solver", "gd", "--lr", "0.5", "--epochs", "15", "--tol", "0",
                "--standardize", "--out", tmp_path / "run")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert "validating on 40" in " ".join(r.output.split())
    settings = json.loads((tmp_path / "run" / "settings.json").read_text())
    assert settings["val"] == str(val_file)  # absolute, as data and test
    from logitlab.run import load_run

    est, pre = load_run(tmp_path / "run")
    assert len(est.validation_history_) == est.n_iter_ == 15
    # the last value is the final model's cost on the validation rows, matched to the
    # training columns by name and standardised with the training statistics
    y_index = np.searchsorted(pre.class_names, y_val)
    assert est.validation_history_[-1] == pytest.approx(
        softmax_cost(est, pre.apply(X_val), y_index), rel=1e-10
    )
    rows = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert rows[0] == "iteration,cost,validation_cost"
    assert len(rows) == 16
    assert [float(row.split(",")[2]) for row in rows[1:]] == pytest.approx(
        est.validation_history_, rel=1e-15
    )
    # without a validation set there is no such column; with another one, other values
    train_run(RunSettings(data=str(csv_file), model="softmax", solver="gd", lr=0.5, epochs=15,
                          tol=0, standardize=True), tmp_path / "none")  # fmt: skip
    assert (tmp_path / "none" / "history.csv").read_text().splitlines()[0] == "iteration,cost"
    other = write_table(tmp_path / "other.csv", X_val[:20] * 3, y_val[:20], ["a", "b", "c"])
    result = train_run(RunSettings(data=str(csv_file), val=str(other), model="softmax",
                                   solver="gd", lr=0.5, epochs=15, tol=0, standardize=True),
                       tmp_path / "other")  # fmt: skip
    assert result.estimator.validation_history_[-1] != pytest.approx(
        est.validation_history_[-1], rel=1e-3
    )
    page = (tmp_path / "run" / "report.html").read_text()
    assert "validation cost" in page and str(val_file) in page


def test_early_stopping_watches_val_instead_of_holding_out_training_rows(
    tmp_path, table, val_table
):
    csv_file, _, _ = table
    val_file, _, _ = val_table
    common = dict(data=str(csv_file), val=str(val_file), model="softmax", solver="gd", lr=0.5,
                  epochs=6, tol=0, standardize=True)  # fmt: skip
    plain = train_run(RunSettings(**common), tmp_path / "plain").estimator
    early = train_run(RunSettings(**common, early_stopping=True), tmp_path / "early").estimator
    assert early.early_stopping
    # the same training rows (none held out) and the same validation rows
    np.testing.assert_array_equal(early.history_, plain.history_)
    np.testing.assert_array_equal(early.validation_history_, plain.validation_history_)
    held_out = train_run(RunSettings(**{**common, "val": None}, early_stopping=True),
                         tmp_path / "held-out").estimator  # fmt: skip
    assert not np.array_equal(held_out.history_, plain.history_)


@pytest.mark.parametrize(
    "args, params",
    [
        (["--model", "mlp", "--hidden", "6", "--solver", "sgd", "--batch-size", "16",
          "--class-weight", "balanced", "--lr-schedule", "step", "--lr-decay", "0.5",
          "--lr-step-size", "3", "--warmup", "2", "--dropout", "0.25"],
         dict(class_weight="balanced", lr_schedule="step", lr_decay=0.5, lr_step_size=3,
              warmup_iter=2, dropout=0.25, solver="sgd")),
        (["--model", "softmax", "--solver", "adam", "--class-weight", "balanced",
          "--lr-schedule", "plateau", "--lr-patience", "2", "--early-stopping",
          "--validation-scoring", "accuracy"],
         dict(class_weight="balanced", lr_schedule="plateau", lr_patience=2,
              early_stopping=True, validation_scoring="accuracy")),
        (["--model", "one-vs-all", "--solver", "gd", "--class-weight", "balanced",
          "--lr-schedule", "cosine"],
         dict(class_weight="balanced", lr_schedule="cosine")),
        (["--data", "shapes-multilabel", "--size", "6", "--pos-weight", "balanced",
          "--solver", "momentum", "--warmup", "3", "--validation-scoring", "hamming",
          "--early-stopping"],
         dict(pos_weight="balanced", warmup_iter=3, validation_scoring="hamming")),
        (["--data", "shapes-multilabel", "--size", "6", "--model", "mlp", "--hidden", "5",
          "--pos-weight", "balanced", "--dropout", "0.1"],
         dict(pos_weight="balanced", dropout=0.1)),
    ],
)  # fmt: skip
def test_each_training_option_reaches_the_estimator(tmp_path, table, args, params):
    from logitlab.run import load_run

    csv_file, _, _ = table
    if "--data" not in args:
        args = ["--data", csv_file, *args]
    r = cli_run("train", *args, "--epochs", "8", "--tol", "0", "--out", tmp_path / "run")
    assert r.exit_code == 0, r.stderr
    est, _ = load_run(tmp_path / "run")  # the model file keeps the parameters
    if hasattr(est, "estimators_"):  # one-vs-all: each binary model
        est = est.estimators_[0]
    got = est.get_params()
    assert {k: got[k] for k in params} == params
    settings = RunSettings.load(tmp_path / "run")
    for key, value in params.items():
        key = {"warmup_iter": "warmup"}.get(key, key)
        assert getattr(settings, key) == value
    shown = (tmp_path / "run" / "report.html").read_text()
    for key in params:
        assert f"<th>{ {'warmup_iter': 'warmup'}.get(key, key) }</th>" in shown


def test_validation_scores_go_to_history_csv(tmp_path, table, val_table):
    csv_file, _, _ = table
    val_file, _, _ = val_table
    result = train_run(RunSettings(data=str(csv_file), val=str(val_file), model="mlp",
                                   hidden=(6,), epochs=12, tol=0, standardize=True,
                                   validation_scoring="accuracy"), tmp_path / "run")  # fmt: skip
    est = result.estimator
    rows = [row.split(",") for row in (tmp_path / "run" / "history.csv").read_text().split()]
    assert rows[0] == ["iteration", "cost", "validation_cost", "validation_accuracy"]
    assert [float(row[3]) for row in rows[1:]] == list(est.validation_scores_)
    assert len(est.validation_scores_) == 12 and 0 <= min(est.validation_scores_)
    assert "validation accuracy" in (tmp_path / "run" / "report.html").read_text()


@pytest.mark.parametrize(
    "args, needles",
    [
        (["--data", "shapes-multilabel", "--size", "6", "--class-weight", "balanced"],
         ["--class-weight", "multi-label", "--pos-weight balanced"]),
        (["--data", "iris", "--pos-weight", "balanced"],
         ["--pos-weight", "multiclass", "--class-weight balanced"]),
        (["--data", "iris", "--dropout", "0.2"], ["--dropout", "--model mlp"]),
        (["--data", "iris", "--model", "mlp", "--solver", "lbfgs", "--dropout", "0.2"],
         ["--dropout", "lbfgs", "--solver adam"]),
        (["--data", "iris", "--model", "softmax", "--lr-schedule", "cosine"],
         ["--lr-schedule cosine", "lbfgs", "--solver adam"]),
        (["--data", "iris", "--solver", "gd", "--lr-decay", "0.5"],
         ["--lr-decay", "--lr-schedule step"]),
        (["--data", "iris", "--solver", "gd", "--lr-schedule", "step", "--lr-patience", "3"],
         ["--lr-patience", "--lr-schedule plateau"]),
        (["--data", "iris", "--validation-scoring", "accuracy"],
         ["--validation-scoring", "--val SRC"]),
        (["--data", "iris", "--model", "one-vs-all", "--val", "iris"], ["--val", "one-vs-all"]),
        (["--data", "iris", "--val", "nowhere.csv"], ["nowhere.csv"]),
        (["--data", "iris", "--val", "digits"], ["'digits' lacks the column(s)"]),
        (["--data", "iris", "--dropout", "1"], ["--dropout", "0<=x<1"]),
        (["--data", "iris", "--class-weight", "equal"], ["--class-weight", "'equal'"]),
        (["--data", "iris", "--lr-schedule", "linear"], ["--lr-schedule", "'linear'"]),
        (["--data", "iris", "--warmup", "-1"], ["--warmup"]),
        (["--data", "iris", "--lr-decay", "0"], ["--lr-decay"]),
    ],
)  # fmt: skip
def test_training_options_that_cannot_apply_are_one_line_before_training(tmp_path, args, needles):
    out = tmp_path / "run"
    one_line_error(cli_run("train", *args, "--out", out), *needles)
    assert not (out / "settings.json").exists()


def test_training_options_that_cannot_apply_leave_an_old_run_alone(tmp_path):
    train_run(RunSettings(data="iris"), tmp_path / "run")
    with pytest.raises(RunError, match="--dropout"):
        train_run(RunSettings(data="iris", dropout=0.5), tmp_path / "run", overwrite=True)
    assert (tmp_path / "run" / "model.safetensors").is_file()


def test_val_naming_the_data_or_the_test_warns(tmp_path, table, val_table):
    csv_file, _, _ = table
    val_file, _, _ = val_table
    result = train_run(RunSettings(data=str(csv_file), val=str(csv_file)), tmp_path / "a")
    assert any("--val names the same data as --data" in w for w in result.warnings)
    result = train_run(RunSettings(data=str(csv_file), test=str(val_file), val=str(val_file)),
                       tmp_path / "b")  # fmt: skip
    assert any("--val names the same data as --test" in w for w in result.warnings)


def test_a_resumed_run_keeps_its_validation_curve_on_its_iterations(tmp_path, table, val_table):
    csv_file, _, _ = table
    val_file, _, _ = val_table
    settings = RunSettings(data=str(csv_file), val=str(val_file), model="mlp", hidden=(8,),
                           solver="sgd", batch_size=8, epochs=30, tol=0)  # fmt: skip
    with pytest.raises(Interrupted):
        train_run(settings, tmp_path / "run", StopAfter(5))
    resumed = resume_run(tmp_path / "run").estimator
    assert resumed.n_iter_ == 30
    rows = [row.split(",") for row in (tmp_path / "run" / "history.csv").read_text().split()]
    assert rows[0][2] == "validation_cost" and len(rows) == 31
    # the values measured (the resumed iterations', or all when the checkpoint kept the
    # earlier ones) on their own iterations' rows: the last ones
    n = len(resumed.validation_history_)
    assert 30 - 5 <= n <= 30
    assert [row[2] for row in rows[1 : 31 - n]] == [""] * (30 - n)
    assert [float(row[2]) for row in rows[31 - n :]] == list(resumed.validation_history_)
