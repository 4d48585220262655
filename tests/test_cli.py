"""The logitlab command: train, evaluate and predict end to end, and its errors."""

import json

import numpy as np
import pytest
from PIL import Image

from _cli import one_line_error as _one_line_error
from _cli import run

h5py = pytest.importorskip("h5py")


def _course_h5(path, prefix, m, seed):
    """A small file in the course's format: two colours of 8x8 'photos'."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, m)
    base = np.where(y[:, None, None, None] == 1, [200, 60, 40], [40, 80, 200])
    x = np.clip(base + rng.integers(-40, 40, (m, 8, 8, 3)), 0, 255).astype(np.uint8)
    with h5py.File(path, "w") as f:
        f[f"{prefix}_set_x"] = x
        f[f"{prefix}_set_y"] = y.reshape(1, m)  # the course stores labels as (1, m)
        f["list_classes"] = np.array([b"non-cat", b"cat"])
    return x, y


@pytest.fixture
def course(tmp_path):
    train = tmp_path / "train_catvnoncat.h5"
    test = tmp_path / "test_catvnoncat.h5"
    _course_h5(train, "train", 80, 0)
    xt, yt = _course_h5(test, "test", 30, 1)
    return train, test, xt, yt


def test_train_evaluate_predict_on_course_hdf5(tmp_path, course):
    train, test, xt, yt = course
    out = tmp_path / "run"
    r = run("train", "--data", train, "--test", test, "--model", "logistic", "--out", out)
    assert r.exit_code == 0, r.output + r.stderr
    for name in (
        "model.safetensors",
        "metrics.json",
        "history.csv",
        "report.html",
        "learning_curve.png",
        "confusion_matrix.png",
    ):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["accuracy"] > 0.9
    history = (out / "history.csv").read_text().splitlines()
    assert history[0].startswith("iteration,cost") and len(history) > 2
    assert not list(out.glob("*.tmp"))

    r = run("evaluate", out, "--data", test, "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.output)["accuracy"] == pytest.approx(metrics["accuracy"])

    files = []
    for i in range(3):
        files.append(tmp_path / f"photo{i}.png")
        Image.fromarray(xt[i]).save(files[-1])
    r = run("predict", out, *files, "--json")
    assert r.exit_code == 0, r.stderr
    lines = [json.loads(line) for line in r.output.splitlines()]
    assert [d["input"] for d in lines] == [str(f) for f in files]
    names = ["non-cat", "cat"]
    assert [d["label"] for d in lines] == [names[k] for k in yt[:3]]
    assert all(0.5 <= d["probability"] <= 1 for d in lines)


def test_builtin_mlp_with_standardize(tmp_path):
    out = tmp_path / "run"
    r = run(
        "train",
        "--data",
        "iris",
        "--model",
        "mlp",
        "--hidden",
        "8",
        "--solver",
        "lbfgs",
        "--standardize",
        "--out",
        out,
    )
    assert r.exit_code == 0, r.stderr
    assert json.loads((out / "metrics.json").read_text())["accuracy"] > 0.85
    r = run("datasets")
    assert r.exit_code == 0 and "digits" in r.output and "shapes" in r.output


def test_errors_are_one_line_with_exit_code_2(tmp_path, course):
    train, test, _, _ = course
    out = tmp_path / "run"
    _one_line_error(
        run("train", "--data", tmp_path / "missing", "--out", out), "missing", "does not exist"
    )
    empty = tmp_path / "photos"
    (empty / "cats").mkdir(parents=True)
    _one_line_error(run("train", "--data", empty, "--out", out), "cats", "no image")
    (empty / "cats" / "broken.jpg").write_bytes(b"\xff\xd8 definitely not a jpeg")
    (empty / "dogs").mkdir()
    Image.new("RGB", (8, 8)).save(empty / "dogs" / "ok.png")
    _one_line_error(run("train", "--data", empty, "--out", out), "broken.jpg")
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(train.read_bytes()[:600])
    _one_line_error(run("train", "--data", truncated, "--out", out), "truncated.h5")
    bad_csv = tmp_path / "table.csv"
    bad_csv.write_text("a,b,label\n1,2,x\n3,oops,y\n5,6,x\n7,8,y\n")
    _one_line_error(run("train", "--data", bad_csv, "--out", out), "b", "oops")
    good_csv = tmp_path / "good.csv"
    good_csv.write_text("a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n1,3,x\n2,2,y\n")
    _one_line_error(run("train", "--data", good_csv, "--labels", "nope", "--out", out), "nope")


def test_model_file_errors(tmp_path, course):
    train, test, _, _ = course
    out = tmp_path / "run"
    assert run("train", "--data", train, "--model", "logistic", "--out", out).exit_code == 0
    model = out / "model.safetensors"
    data = bytearray(model.read_bytes())
    data[-5] ^= 0xFF  # flip one byte of the parameters
    model.write_bytes(bytes(data))
    _one_line_error(run("evaluate", out, "--data", test), "model.safetensors", "altered")
    model.write_bytes(bytes(data[:100]))
    _one_line_error(run("predict", out, test), "model.safetensors")
    _one_line_error(run("evaluate", tmp_path / "nowhere", "--data", test), "nowhere")


def test_wrong_model_for_task(tmp_path):
    _one_line_error(
        run("train", "--data", "digits", "--model", "logistic", "--out", tmp_path / "r"),
        "logistic",
        "multiclass",
    )


def test_ctrl_c_keeps_the_last_checkpoint_and_resume_finishes(tmp_path, signal_when_ready):
    import signal
    import subprocess
    import sys

    from logitlab.io import load_model

    out = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "logitlab.cli",
        "train",
        "--data",
        "shapes",
        "--size",
        "16",
        "--model",
        "mlp",
        "--hidden",
        "32",
        "--solver",
        "sgd",
        "--batch-size",
        "8",
        "--epochs",
        "1500",
        "--tol",
        "0",
        "--out",
        str(out),
    ]
    checkpoint = out / "checkpoint.safetensors"
    # 2.5 s after the first checkpoint: a later one is written too
    returncode, err, _ = signal_when_ready(cmd, checkpoint, signal.SIGINT, settle=2.5, poll=0.2)
    assert returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "checkpoint" in err and "--resume" in err
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*.tmp"))
    assert not (out / "model.safetensors").exists()
    saved = load_model(checkpoint)
    done = saved.n_iter_
    assert 0 < done < 1500 and len(saved.history_) == done

    r = subprocess.run(
        [sys.executable, "-m", "logitlab.cli", "train", "--resume", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    final = load_model(out / "model.safetensors")
    assert final.n_iter_ == 1500 and len(final.history_) == 1500
    np.testing.assert_array_equal(final.history_[:done], saved.history_)
    assert not checkpoint.exists()
    rows = (out / "history.csv").read_text().splitlines()
    assert len(rows) == 1501


def test_augment_shift_trains_on_copies_and_tests_on_originals(tmp_path, course):
    train, test, _, _ = course
    out = tmp_path / "run"
    r = run(
        "train",
        "--data",
        train,
        "--test",
        test,
        "--model",
        "logistic",
        "--augment-shift",
        "1",
        "--epochs",
        "5",
        "--out",
        out,
    )
    assert r.exit_code == 0, r.output + r.stderr
    assert "training logistic on 80 (and 640 shifted copies), testing on 30" in " ".join(
        r.output.split()
    )
    settings = json.loads((out / "settings.json").read_text())
    assert settings["augment_shift"] == 1
    metrics = json.loads((out / "metrics.json").read_text())
    # evaluating the saved model on the test file gives the run's own figures
    r = run("evaluate", out, "--data", test, "--json")
    assert json.loads(r.output)["accuracy"] == pytest.approx(metrics["accuracy"])
    _one_line_error(
        run("train", "--data", "iris", "--augment-shift", "1", "--out", tmp_path / "r2"),
        "--augment-shift",
        "images",
    )


torch = None
try:
    import torch  # noqa: F811
except ImportError:
    pass
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def _shapes_folder(root, n=60, size=16):
    """The built-in shapes, written as PNG files in one sub-folder per class."""
    from logitlab.data import make_shapes

    X, y, names = make_shapes(n, size=size, random_state=3)
    for name in names:
        (root / name).mkdir(parents=True)
    for i, (x, label) in enumerate(zip(X, y)):
        pixels = np.rint(x.reshape(size, size, 3) * 255).astype(np.uint8)
        Image.fromarray(pixels).save(root / names[label] / f"{i:03d}.png")
    return names


@needs_torch
def test_stream_trains_from_disk_without_loading_the_folder(tmp_path, monkeypatch):
    from logitlab.data import ImageFiles

    folder = tmp_path / "photos"
    _shapes_folder(folder)

    def refuse(self, *args, **kwargs):
        raise AssertionError("the whole folder was read into memory")

    monkeypatch.setattr(ImageFiles, "__array__", refuse)
    out = tmp_path / "run"
    r = run(
        "train",
        "--data",
        folder,
        "--size",
        "16",
        "--stream",
        "--engine",
        "torch",
        "--standardize",
        "--model",
        "softmax",
        "--solver",
        "adam",
        "--lr",
        "0.01",
        "--batch-size",
        "16",
        "--epochs",
        "40",
        "--out",
        out,
    )
    assert r.exit_code == 0, r.output + r.stderr
    assert "streamed from disk" in " ".join(r.output.split())
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["train_accuracy"] > 0.9, metrics
    assert (out / "report.html").is_file() and (out / "learning_curve.png").is_file()
    assert json.loads((out / "settings.json").read_text())["stream"] is True
    # evaluate reads the folder chunk by chunk too: on the whole folder (train and
    # test photos) its accuracy is exactly the run's two accuracies, weighted
    r = run("evaluate", out, "--data", folder, "--json")
    assert r.exit_code == 0, r.stderr
    whole = json.loads(r.output)
    n_test = metrics["n_samples"]
    n_train = whole["n_samples"] - n_test
    assert (n_train, n_test) == (48, 12)
    assert whole["accuracy"] == pytest.approx(
        (metrics["train_accuracy"] * n_train + metrics["accuracy"] * n_test) / 60, abs=1e-12
    )


def test_streamed_standardisation_matches_scikit_learn(tmp_path, monkeypatch):
    from sklearn.preprocessing import StandardScaler

    from logitlab import run as run_module
    from logitlab.data import load_source

    folder = tmp_path / "photos"
    _shapes_folder(folder, n=30, size=8)
    lazy = load_source(folder, size=8, lazy=True)
    eager = load_source(folder, size=8)
    monkeypatch.setattr(run_module, "CHUNK", 7)  # several uneven chunks
    pre = run_module.Preprocessing.fit(lazy, lazy, standardize=True, loader={})
    reference = StandardScaler().fit(eager.X)
    np.testing.assert_allclose(pre.mean, reference.mean_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(pre.scale, reference.scale_, rtol=1e-9, atol=1e-12)


def test_stream_errors(tmp_path):
    table = tmp_path / "table.csv"
    table.write_text("a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n1,3,x\n2,2,y\n")
    folder = tmp_path / "photos"
    _shapes_folder(folder, n=12, size=8)
    out = tmp_path / "run"
    _one_line_error(
        run(
            "train",
            "--data",
            table,
            "--stream",
            "--engine",
            "torch",
            "--batch-size",
            "8",
            "--out",
            out,
        ),
        "--stream",
        "image folders",
    )
    _one_line_error(
        run(
            "train",
            "--data",
            folder,
            "--stream",
            "--engine",
            "numpy",
            "--batch-size",
            "8",
            "--out",
            out,
        ),
        "--engine torch",
    )
    _one_line_error(
        run("train", "--data", folder, "--stream", "--engine", "torch", "--out", out),
        "--batch-size",
    )
    _one_line_error(
        run(
            "train",
            "--data",
            folder,
            "--stream",
            "--engine",
            "torch",
            "--batch-size",
            "8",
            "--augment-shift",
            "1",
            "--out",
            out,
        ),
        "--augment-shift",
        "--stream",
    )


@needs_torch
@pytest.mark.parametrize("workers", [0, 1])
def test_stream_names_a_corrupt_image_found_while_training(tmp_path, workers):
    folder = tmp_path / "photos"
    names = _shapes_folder(folder, n=12, size=8)
    (folder / names[0] / "zz_broken.png").write_bytes(b"\x89PNG not really")
    r = run(
        "train",
        "--data",
        folder,
        "--size",
        "8",
        "--stream",
        "--engine",
        "torch",
        "--workers",
        workers,
        "--batch-size",
        "4",
        "--epochs",
        "2",
        "--out",
        tmp_path / "run",
    )
    _one_line_error(r, "zz_broken.png")


@needs_torch
def test_stream_trains_on_an_hdf5_file(tmp_path, course, monkeypatch):
    from logitlab.data import HDF5Rows

    train, test, _, _ = course

    def refuse(self, *args, **kwargs):
        raise AssertionError("the whole HDF5 dataset was read into memory")

    monkeypatch.setattr(HDF5Rows, "__array__", refuse)
    out = tmp_path / "run"
    r = run("train", "--data", train, "--test", test, "--stream", "--engine", "torch",
            "--standardize", "--model", "logistic", "--solver", "adam", "--lr", "0.05",
            "--batch-size", "16", "--epochs", "20", "--out", out)  # fmt: skip
    assert r.exit_code == 0, r.output + r.stderr
    assert "streamed from disk" in " ".join(r.output.split())
    assert json.loads((out / "metrics.json").read_text())["accuracy"] > 0.9


@needs_torch
def test_stream_validates_on_a_folder_read_from_disk(tmp_path, monkeypatch):
    from logitlab.data import ImageFiles

    _shapes_folder(tmp_path / "photos", n=48, size=8)
    val = tmp_path / "val"
    _shapes_folder(val, n=36, size=8)
    for photo in sorted((val / "circle").iterdir())[1:]:  # a validation set with fewer
        photo.unlink()  # circles is fine: classes are matched by name

    def refuse(self, *args, **kwargs):
        raise AssertionError("a folder was read into memory")

    monkeypatch.setattr(ImageFiles, "__array__", refuse)
    out = tmp_path / "run"
    r = run("train", "--data", tmp_path / "photos", "--val", val, "--size", "8", "--stream",
            "--engine", "torch", "--standardize", "--model", "mlp", "--hidden", "8",
            "--batch-size", "16", "--epochs", "6", "--tol", "0", "--early-stopping",
            "--validation-scoring", "accuracy", "--lr-schedule", "cosine",
            "--out", out)  # fmt: skip
    assert r.exit_code == 0, r.output + r.stderr
    rows = (out / "history.csv").read_text().split()
    assert rows[0] == "iteration,cost,validation_cost,validation_accuracy"
    assert len(rows) == 7 and all(all(row.split(",")) and row.count(",") == 3 for row in rows)
    settings = json.loads((out / "settings.json").read_text())
    assert settings["val"] == str(val) and settings["lr_schedule"] == "cosine"


@needs_torch
def test_stream_early_stopping_needs_val(tmp_path):
    _shapes_folder(tmp_path / "photos", n=24, size=8)
    r = run("train", "--data", tmp_path / "photos", "--size", "8", "--stream",
            "--engine", "torch", "--batch-size", "8", "--early-stopping",
            "--out", tmp_path / "run")  # fmt: skip
    _one_line_error(r, "--early-stopping", "--val SRC")


# ------------------------------------------------------------------ documentation
def test_every_setting_is_a_train_option_with_help_in_the_readme():
    """`logitlab train --help` lists every RunSettings field as an option with its help,
    and the README's command-line section names each of them."""
    from dataclasses import fields
    from pathlib import Path

    from logitlab.cli import TRAIN_OPTIONS
    from logitlab.run import RunSettings

    r = run("train", "--help")
    assert r.exit_code == 0
    text = " ".join(r.output.split())
    options = {names[0].split("/")[0]: kw for names, kw in TRAIN_OPTIONS}  # --x/--no-x
    for f in fields(RunSettings):
        assert f"--{f.name.replace('_', '-')}" in options, f.name
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    command_line = readme[readme.index("## The `logitlab` command") :]
    command_line = command_line[: command_line.index("\n## ", 3)]
    new = ("--val", "--class-weight", "--pos-weight", "--lr-schedule", "--lr-decay",
           "--lr-step-size", "--lr-patience", "--warmup", "--dropout",
           "--validation-scoring", "--early-stopping")  # fmt: skip
    for option in new:
        assert option in text, option
        assert options[option].get("help"), f"{option} has no help text"
        assert " ".join(options[option]["help"].split()[:3]) in text
        assert f"`{option}" in command_line, f"README does not document {option}"
