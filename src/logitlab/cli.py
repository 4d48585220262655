"""The ``logitlab`` command: train, evaluate and predict on your own data.

    logitlab train --data SRC --model mlp --out RUN_DIR
    logitlab evaluate RUN_DIR --data SRC
    logitlab predict RUN_DIR FILE...
    logitlab datasets
    logitlab demo

Bad input ends in one line on stderr naming the file and the problem, exit code 2
(``--debug`` shows the traceback instead). Everything written to RUN_DIR goes to a
temporary name first and is then renamed, so nothing is ever half-written.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import sys
import time
import warnings
from pathlib import Path

import click
import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from ._version import __version__

MODELS = ("auto", "logistic", "softmax", "one-vs-all", "multilabel", "mlp")
MODEL_FILE = "model.safetensors"
CHECKPOINT_FILE = "checkpoint.safetensors"
SETTINGS_FILE = "settings.json"
CHECKPOINT_SECONDS = 2.0


class UserError(click.ClickException):
    """A problem with the user's input: one line, exit code 2."""

    exit_code = 2


class Interrupted(click.ClickException):
    """Ctrl-C during training: one line naming the last checkpoint, exit code 130."""

    exit_code = 130


# ------------------------------------------------------------------------- plumbing
class _Group(click.Group):
    """Turns the library's errors about bad input into one line and exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("logitlab: interrupted", err=True)
            sys.exit(130)
        except (ValueError, OSError, KeyError, ImportError) as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            msg = str(exc) or type(exc).__name__
            if isinstance(exc, KeyError) and exc.args:
                msg = str(exc.args[0])
            if "Original Traceback" in msg:  # re-raised from a DataLoader worker
                msg = msg.strip().splitlines()[-1].split(": ", 1)[-1]
            raise UserError(" ".join(msg.split())) from None


def _atomic_write(path, data):
    from ._atomic import atomic_write

    return atomic_write(path, data)


def _console():
    from rich.console import Console

    return Console(stderr=False, highlight=False)


def data_options(func):
    """Options that say how to read a data source."""
    opts = [
        click.option(
            "--size",
            type=click.IntRange(1),
            default=None,
            help="Images: resize to SIZE×SIZE pixels (default 64).",
        ),
        click.option(
            "--color",
            type=click.Choice(["rgb", "grayscale"]),
            default=None,
            help="Images: colour channels (default rgb).",
        ),
        click.option(
            "--positive",
            default=None,
            metavar="NAME",
            help="Images: binary task, class NAME against the rest.",
        ),
        click.option(
            "--manifest",
            default=None,
            type=click.Path(dir_okay=False),
            help="Images: CSV of file,labels (labels split by ';') for a multi-label task.",
        ),
        click.option(
            "--labels",
            default=None,
            metavar="SPEC",
            help="CSV/ARFF: label column(s) by name (a,b,c) or 'last:N'.",
        ),
        click.option("--x-key", default=None, help="HDF5/NPZ: the features' key."),
        click.option("--y-key", default=None, help="HDF5/NPZ: the labels' key."),
    ]
    for opt in reversed(opts):
        func = opt(func)
    return func


def _loader_kwargs(size, color, positive, manifest, labels, x_key, y_key):
    return {
        "size": size or 64,
        "color": color or "rgb",
        "positive": positive,
        "manifest": manifest,
        "labels": labels,
        "x_key": x_key,
        "y_key": y_key,
    }


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="logitlab")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx, debug):
    """Neural-network classifiers from the notes' math: train, evaluate, predict."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


# ---------------------------------------------------------------------------- train
def _estimator(
    model,
    task,
    *,
    hidden,
    activation,
    solver,
    lr,
    epochs,
    batch_size,
    alpha,
    tol,
    early_stopping,
    engine,
    device,
    seed,
):
    from . import (
        LogisticRegression,
        MultiLabelClassifier,
        NeuralNetClassifier,
        OneVsAllClassifier,
        SoftmaxRegression,
    )

    if model == "auto":
        model = {"binary": "logistic", "multiclass": "softmax", "multilabel": "multilabel"}[task]
    fits = {
        "logistic": ("binary",),
        "softmax": ("binary", "multiclass"),
        "one-vs-all": ("binary", "multiclass"),
        "multilabel": ("multilabel",),
        "mlp": ("binary", "multiclass", "multilabel"),
    }
    if task not in fits[model]:
        raise ValueError(
            f"--model {model} does not fit a {task} task; use "
            + " or ".join(m for m, t in fits.items() if task in t)
        )
    kw = {
        "random_state": seed,
        "engine": engine,
        "device": device,
        "early_stopping": early_stopping,
    }
    for name, value in (
        ("solver", solver),
        ("learning_rate", lr),
        ("max_iter", epochs),
        ("batch_size", batch_size),
        ("alpha", alpha),
        ("tol", tol),
    ):
        if value is not None:
            kw[name] = value
    if model == "mlp":
        return model, NeuralNetClassifier(hidden_layer_sizes=hidden, activation=activation, **kw)
    if model == "one-vs-all":
        return model, OneVsAllClassifier(LogisticRegression(**kw))
    cls = {
        "logistic": LogisticRegression,
        "softmax": SoftmaxRegression,
        "multilabel": MultiLabelClassifier,
    }[model]
    return model, cls(**kw)


def _parse_hidden(text):
    try:
        sizes = tuple(int(h) for h in text.split(",") if h.strip())
    except ValueError:
        raise click.BadParameter(f"expected sizes like 25,12, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise click.BadParameter(f"expected positive sizes like 25,12, got {text!r}")
    return sizes


def _history_csv(history, validation):
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["iteration", "cost"] + (["validation_cost"] if validation is not None else []))
    for i, J in enumerate(history):
        row = [i, repr(float(J))]
        if validation is not None:
            row.append(repr(float(validation[i])) if i < len(validation) else "")
        w.writerow(row)
    return out.getvalue()


@cli.command()
@click.option(
    "--data",
    "data_src",
    default=None,
    metavar="SRC",
    help="Image folder, .h5/.hdf5, .csv, .arff, .npz or a built-in name.",
)
@click.option(
    "--test",
    "test_src",
    default=None,
    metavar="SRC",
    help="Separate test data (else --test-size of --data, stratified).",
)
@click.option(
    "--test-size",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.2,
    show_default=True,
)
@data_options
@click.option(
    "--model",
    type=click.Choice(MODELS),
    default="auto",
    show_default=True,
    help="auto: logistic, softmax or multilabel, from the data.",
)
@click.option("--hidden", default="25,12", show_default=True, help="mlp: hidden layer sizes.")
@click.option(
    "--activation",
    type=click.Choice(["relu", "tanh", "sigmoid"]),
    default="relu",
    show_default=True,
)
@click.option(
    "--solver", type=click.Choice(["gd", "sgd", "momentum", "adam", "lbfgs"]), default=None
)
@click.option("--lr", type=float, default=None, help="Learning rate.")
@click.option("--epochs", type=click.IntRange(1), default=None, help="max_iter.")
@click.option("--batch-size", type=click.IntRange(1), default=None)
@click.option("--alpha", type=click.FloatRange(0), default=None, help="L2 penalty.")
@click.option("--tol", type=click.FloatRange(0), default=None)
@click.option("--early-stopping", is_flag=True)
@click.option(
    "--standardize",
    is_flag=True,
    help="Scale features to mean 0, variance 1 "
    "with the training set's statistics (saved with the model).",
)
@click.option(
    "--augment-shift",
    type=click.IntRange(0),
    default=0,
    metavar="R",
    help="Images: also train on copies of each training image shifted by up "
    "to R pixels each way ((2R+1)² copies; the test set is left as is).",
)
@click.option("--engine", type=click.Choice(["numpy", "torch"]), default="numpy", show_default=True)
@click.option("--device", default="auto", show_default=True)
@click.option(
    "--stream",
    is_flag=True,
    help="Image folders, --engine torch: decode the images batch by batch while "
    "training instead of all at once first (memory stays bounded, for "
    "folders larger than RAM; the solver defaults to adam).",
)
@click.option(
    "--workers",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="--stream: processes decoding images beside training.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--out",
    "out",
    default=None,
    type=click.Path(file_okay=False),
    metavar="RUN_DIR",
    help="Folder for the model, metrics, plots and report.",
)
@click.option(
    "--resume",
    default=None,
    type=click.Path(file_okay=False),
    metavar="RUN_DIR",
    help="Continue an interrupted run from its last checkpoint, with its own settings.",
)
def train(**params):
    """Train a model on SRC and write RUN_DIR.

    Progress is checkpointed to RUN_DIR/checkpoint.safetensors while training; after
    Ctrl-C, ``logitlab train --resume RUN_DIR`` continues from the last complete one.
    """
    resume = params.pop("resume")
    checkpoint = None
    if resume:
        from .io import read_model_file

        run = Path(resume)
        settings_file = run / SETTINGS_FILE
        if not settings_file.is_file():
            raise FileNotFoundError(
                f"{settings_file}: no settings to resume from (was "
                f"{resume!r} written by 'logitlab train'?)"
            )
        params = json.loads(settings_file.read_text(encoding="utf-8"))
        if not (run / CHECKPOINT_FILE).is_file():
            raise FileNotFoundError(f"{run / CHECKPOINT_FILE}: no checkpoint to resume from")
        checkpoint = read_model_file(run / CHECKPOINT_FILE)
    elif not params["data_src"] or not params["out"]:
        raise click.UsageError("train needs --data SRC and --out RUN_DIR (or --resume RUN_DIR)")
    _train(params, checkpoint)


def _train(params, checkpoint):
    from .data import ImageFiles, load_source, shift_augment, split
    from .io import save_model

    p = params
    console = _console()
    stream = bool(p.get("stream"))
    loader = _loader_kwargs(
        p["size"], p["color"], p["positive"], p["manifest"], p["labels"], p["x_key"], p["y_key"]
    )
    data = load_source(p["data_src"], random_state=p["seed"], lazy=stream, **loader)
    if stream:
        if not isinstance(data.X, ImageFiles):
            raise ValueError(
                f"--stream reads image folders, and {data.source} is a "
                "file read into memory: leave --stream out"
            )
        if p["engine"] != "torch":
            raise ValueError("--stream trains through PyTorch's DataLoader: add --engine torch")
        if p.get("augment_shift"):
            raise ValueError(
                "--augment-shift copies the images in memory, so it cannot "
                "be combined with --stream"
            )
        if p["batch_size"] is None:
            raise ValueError("--stream reads mini-batches: give --batch-size (e.g. 32)")
        if p["solver"] is None:  # the full-batch defaults (lbfgs) need X in memory
            p["solver"] = "adam"
    tr, te = split(data, test=p["test_src"], test_size=p["test_size"], random_state=p["seed"])
    pre = {
        "task": data.task,
        "loader": {k: v for k, v in loader.items() if k not in ("manifest",) and v is not None},
        "image_shape": list(data.image_shape) if data.image_shape else None,
        "feature_names": data.feature_names,
        "class_names": [str(c) for c in data.class_names],
    }
    prep = None
    if p["standardize"]:
        scaler = _fit_scaler(tr.X)
        pre["mean"], pre["scale"] = scaler.mean_, scaler.scale_
        # the same function evaluate and predict apply to the saved model's inputs
        prep = functools.partial(_apply_preprocessing, pre=pre)
    name, est = _estimator(
        p["model"],
        data.task,
        hidden=_parse_hidden(p["hidden"]),
        activation=p["activation"],
        solver=p["solver"],
        lr=p["lr"],
        epochs=p["epochs"],
        batch_size=p["batch_size"],
        alpha=p["alpha"],
        tol=p["tol"],
        early_stopping=p["early_stopping"],
        engine=p["engine"],
        device=p["device"],
        seed=p["seed"],
    )
    if stream and not hasattr(est, "fit_dataset"):
        raise ValueError(
            f"--stream trains networks one mini-batch at a time; --model {name} "
            "(one model per class) cannot: use --model mlp, softmax, "
            "logistic or multilabel"
        )

    if stream:
        from .torch_engine.data import ImageFilesDataset, Standardize

        dataset = ImageFilesDataset(
            tr.X, tr.y, transform=Standardize(pre["mean"], pre["scale"]) if prep else None
        )
        n_fit = len(tr.y)

        def fit(callback):
            est.fit_dataset(dataset, num_workers=p.get("workers") or 0, callback=callback)
    else:
        Xfit, yfit = np.asarray(tr.X), tr.y
        if p.get("augment_shift"):
            if data.image_shape is None:
                raise ValueError(f"--augment-shift needs images, and {data.source} holds a table")
            copies = (2 * p["augment_shift"] + 1) ** 2
            Xfit = shift_augment(Xfit, data.image_shape, p["augment_shift"])
            yfit = np.tile(tr.y, (copies,) + (1,) * (tr.y.ndim - 1))
        if prep is not None:
            Xfit = prep(Xfit)
        n_fit = len(yfit)

        def fit(callback):
            if hasattr(est, "max_iter"):
                est.fit(Xfit, yfit, callback=callback)
            else:  # one-vs-all: C models, no single cost
                est.fit(Xfit, yfit)

    out = Path(p["out"])
    out.mkdir(parents=True, exist_ok=True)
    done, earlier = 0, np.empty(0)
    if checkpoint is not None:
        est, _, _ = checkpoint
        done, earlier = int(est.n_iter_), np.asarray(est.history_)
        est.set_params(warm_start=True, max_iter=max(1, est.max_iter - done))
        console.print(f"resuming from {out / CHECKPOINT_FILE}: {done} iterations done")
    else:
        _atomic_write(out / SETTINGS_FILE, json.dumps(params, indent=2))
    extra = f" (and {n_fit - len(tr.y)} shifted copies)" if n_fit > len(tr.y) else ""
    how = ", streamed from disk" if stream else ""
    console.print(
        f"[bold]{data.source}[/]: {data.n_samples} examples, "
        f"{data.n_features} features, {data.task} "
        f"({len(data.class_names)} {'labels' if data.task == 'multilabel' else 'classes'})"
        f"; training {name} on {len(tr.y)}{extra}, testing on {len(te.y)}{how}"
    )
    t0 = time.perf_counter()
    try:
        _fit_with_progress(est, fit, console, out, pre, done, earlier)
    except KeyboardInterrupt:
        where = out / CHECKPOINT_FILE
        last = (
            f"the last complete checkpoint is {where}"
            if where.exists()
            else "no checkpoint was complete yet"
        )
        raise Interrupted(
            f"interrupted: {last}; continue with: logitlab train --resume {out}"
        ) from None
    seconds = time.perf_counter() - t0
    if done:  # one history for the whole run
        est.history_ = np.concatenate([earlier, est.history_])
        est.n_iter_ = done + est.n_iter_
        est.set_params(warm_start=False, max_iter=done + est.max_iter)
    settings = _settings(p)
    _write_run(out, est, name, data, tr, te, prep, seconds, settings=settings, console=console)
    save_model(est, out / MODEL_FILE, preprocessing=pre)
    (out / CHECKPOINT_FILE).unlink(missing_ok=True)  # the finished model supersedes it
    console.print(
        f"wrote [bold]{out}[/]: {MODEL_FILE}, metrics.json, history.csv, plots, report.html"
    )


# rows read, standardised and predicted at a time, so that streamed data stays bounded
CHUNK = 512


def _fit_scaler(X):
    """StandardScaler on X; on ImageFiles one chunk at a time (bounded memory)."""
    from sklearn.preprocessing import StandardScaler

    from .data import ImageFiles

    scaler = StandardScaler()
    if not isinstance(X, ImageFiles):
        return scaler.fit(X)
    for i in range(0, len(X), CHUNK):
        scaler.partial_fit(X[i : i + CHUNK])
    return scaler


def _predict(est, X, prep):
    """Labels and probabilities for the rows of X (an array or ImageFiles), a chunk at
    a time."""
    labels, probas = [], []
    for i in range(0, max(len(X), 1), CHUNK):
        A = np.asarray(X[i : i + CHUNK], dtype=np.float64)
        if prep is not None:
            A = prep(A)
        labels.append(est.predict(A))
        probas.append(est.predict_proba(A))
    return np.concatenate(labels), np.concatenate(probas)


def _settings(scope):
    keys = (
        "data_src",
        "test_src",
        "test_size",
        "model",
        "hidden",
        "activation",
        "solver",
        "lr",
        "epochs",
        "batch_size",
        "alpha",
        "tol",
        "early_stopping",
        "standardize",
        "augment_shift",
        "engine",
        "device",
        "stream",
        "workers",
        "seed",
        "size",
        "color",
        "positive",
        "labels",
    )
    settings = {k: scope[k] for k in keys if scope.get(k) is not None}
    for k in ("augment_shift", "stream", "workers"):  # shown only when used
        if not scope.get(k):
            settings.pop(k, None)
    if scope.get("test_src"):
        settings.pop("test_size", None)  # not used: the test set is its own file
    return settings


def _fit_with_progress(est, fit, console, out, pre, done, earlier):
    """Fit with a live progress bar, writing a checkpoint at most every
    CHECKPOINT_SECONDS (and after the first iteration)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .io import save_model

    total = done + est.max_iter if hasattr(est, "max_iter") else None
    history = list(earlier)
    last_save = [None]

    def checkpoint(it, snapshot):
        net = snapshot()
        if net is None:  # L-BFGS in the row space: nothing to save until it ends
            return
        ck = clone(est).set_params(warm_start=False)
        ck.network_, ck.classes_ = net, est.classes_
        ck.n_features_in_ = est.n_features_in_
        if hasattr(est, "feature_names_in_"):
            ck.feature_names_in_ = est.feature_names_in_
        ck.n_iter_, ck.history_ = done + it + 1, np.asarray(history)
        ck.validation_history_ = None
        save_model(ck, out / CHECKPOINT_FILE, preprocessing=pre)
        last_save[0] = time.monotonic()

    with Progress(
        TextColumn("training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("cost {task.fields[cost]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("fit", total=total, cost="…", completed=done)

        def callback(it, J, snapshot):
            history.append(J)
            progress.update(task, completed=done + it + 1, cost=f"{J:.5f}")
            if last_save[0] is None or time.monotonic() - last_save[0] >= CHECKPOINT_SECONDS:
                checkpoint(it, snapshot)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            fit(callback)
    for message in dict.fromkeys(
        str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)
    ):
        console.print(f"[yellow]note:[/] {message}")


def _write_run(out, est, name, data, tr, te, prep, seconds, settings, console):
    from .report import compute_metrics, write_plots, write_report

    y_pred, proba = _predict(est, te.X, prep)
    classes = [str(c) for c in data.class_names]
    metrics = compute_metrics(data.task, te.y, y_pred, proba, classes)
    metrics["fit_seconds"] = seconds
    train_pred, _ = _predict(est, tr.X, prep)  # the examples as given, not shifted copies
    if data.task == "multilabel":
        metrics["train_hamming_loss"] = float(np.mean(train_pred != tr.y))
    else:
        metrics["train_accuracy"] = float(np.mean(train_pred == tr.y))
    history = getattr(est, "history_", None)
    if isinstance(history, list):  # one-vs-all: one history per class, no single curve
        history = None
    validation = getattr(est, "validation_history_", None)
    two_d = data.n_features == 2
    X2d = None
    if two_d:
        X2d = te.X if prep is None else prep(te.X)
    plots = write_plots(
        out,
        task=data.task,
        history=history,
        validation_history=validation,
        y_true=te.y,
        y_pred=y_pred,
        proba=proba,
        class_names=classes,
        X2d=X2d,
        y2d=te.y if two_d else None,
        predict_fn=est.predict if two_d else None,
        images=te.X if data.image_shape else None,
        image_shape=data.image_shape,
    )
    _atomic_write(out / "metrics.json", json.dumps(metrics, indent=2, default=_json_default))
    if history is not None:
        _atomic_write(out / "history.csv", _history_csv(history, validation))
    write_report(
        out,
        title=f"logitlab: {name} on {data.source}",
        settings=settings,
        metrics=metrics,
        plots=plots,
        history=history,
    )
    _print_metrics(console, metrics, data.task)


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def _print_metrics(console, metrics, task):
    from rich.table import Table

    table = Table(title="test metrics", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    keys = (
        ("hamming_loss", "subset_accuracy", "f1_micro", "f1_macro", "log_loss")
        if task == "multilabel"
        else ("accuracy", "precision_macro", "recall_macro", "f1_macro", "log_loss")
    )
    for k in keys + ("train_accuracy", "train_hamming_loss", "fit_seconds"):
        v = metrics.get(k)
        if isinstance(v, (int, float)):
            table.add_row(k, f"{v:.4f}")
    console.print(table)


# ------------------------------------------------------------------------- evaluate
def _load_run(run_dir):
    from .io import read_model_file

    path = Path(run_dir) / MODEL_FILE
    if not Path(run_dir).is_dir():
        raise FileNotFoundError(f"run folder {str(run_dir)!r} does not exist")
    est, pre, _ = read_model_file(path)
    return est, pre


def _apply_preprocessing(X, pre):
    """The training set's standardisation, when the model was trained with it."""
    if "mean" in pre:
        X = (X - pre["mean"]) / pre["scale"]
    return X


@cli.command()
@click.argument("run_dir", type=click.Path())
@click.option("--data", "data_src", required=True, metavar="SRC")
@data_options
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
def evaluate(run_dir, data_src, size, color, positive, manifest, labels, x_key, y_key, as_json):
    """Evaluate the model in RUN_DIR on SRC."""
    from .data import load_source
    from .report import compute_metrics

    est, pre = _load_run(run_dir)
    saved = pre.get("loader", {})
    loader = _loader_kwargs(
        size or saved.get("size"),
        color or saved.get("color"),
        positive or saved.get("positive"),
        manifest,
        labels or saved.get("labels"),
        x_key or saved.get("x_key"),
        y_key or saved.get("y_key"),
    )
    data = load_source(data_src, lazy=True, **loader)  # images are read chunk by chunk
    if data.n_features != est.n_features_in_:
        raise ValueError(
            f"{data_src}: {data.n_features} features, but the model in "
            f"{run_dir} was trained on {est.n_features_in_}"
        )
    y_pred, proba = _predict(est, data.X, functools.partial(_apply_preprocessing, pre=pre))
    metrics = compute_metrics(data.task, data.y, y_pred, proba, [str(c) for c in data.class_names])
    if as_json:
        click.echo(json.dumps(metrics, indent=2, default=_json_default))
    else:
        _print_metrics(_console(), metrics, data.task)


# -------------------------------------------------------------------------- predict
@cli.command()
@click.argument("run_dir", type=click.Path())
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input.")
def predict(run_dir, files, as_json):
    """Predict the label of each image FILE (or each row of a .csv/.npz table)."""
    from .data.images import _read_image

    est, pre = _load_run(run_dir)
    loader = pre.get("loader", {})
    rows, names = [], []
    for f in files:
        p = Path(f)
        if not p.exists():
            raise FileNotFoundError(f"{f}: no such file")
        if p.suffix.lower() in (".csv", ".npz", ".arff"):
            from .data import load_source

            table = load_source(
                str(p),
                labels=loader.get("labels"),
                x_key=loader.get("x_key"),
                y_key=loader.get("y_key"),
            )
            rows.append(table.X)
            names += [f"{f}:{i + 1}" for i in range(table.X.shape[0])]
        else:
            # the training images' shape: a folder was resized to --size, an HDF5 file
            # keeps its own
            shape = pre.get("image_shape") or (
                loader.get("size", 64),
                None,
                3 if loader.get("color", "rgb") == "rgb" else 1,
            )
            size, mode = shape[0], ("RGB" if shape[2] == 3 else "L")
            try:
                x = _read_image(p, size, mode).reshape(1, -1) / 255.0
            except Exception as exc:  # Pillow raises several types for bad files
                raise ValueError(f"{f}: cannot read the image ({exc})") from None
            rows.append(x)
            names.append(f)
    X = np.vstack(rows)
    if X.shape[1] != est.n_features_in_:
        raise ValueError(
            f"{files[0]}: {X.shape[1]} features, but the model in {run_dir} "
            f"expects {est.n_features_in_}"
        )
    X = _apply_preprocessing(X, pre)
    pred, proba = est.predict(X), est.predict_proba(X)
    task = pre.get("task")
    names_of = pre.get("class_names") or [str(c) for c in est.classes_]
    results = []
    for i, name in enumerate(names):
        if task == "multilabel":
            labels = [str(c) for c, on in zip(names_of, pred[i]) if on]
            results.append(
                {"input": name, "labels": labels, "probabilities": [float(p) for p in proba[i]]}
            )
        else:
            k = int(np.argmax(proba[i]))
            results.append(
                {"input": name, "label": names_of[int(pred[i])], "probability": float(proba[i, k])}
            )
    if as_json:
        for r in results:
            click.echo(json.dumps(r))
        return
    for r in results:
        if "labels" in r:
            click.echo(f"{r['input']}\t{';'.join(r['labels']) or '(none)'}")
        else:
            click.echo(f"{r['input']}\t{r['label']}\t{r['probability']:.4f}")


# ------------------------------------------------------------------ datasets, demo
@cli.command()
def datasets():
    """List the built-in data sets."""
    from .data import builtin_names

    for name, desc in builtin_names().items():
        click.echo(f"{name:20s} {desc}")


@cli.command()
def demo():
    """Train every model on built-in data and print one table."""
    from . import demo as tour

    tour.main()


# -------------------------------------------------------------------------- explain
def _floats(text, name):
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"{name}: expected numbers separated by commas, got {text!r}") from None
    if not values:
        raise ValueError(f"{name}: expected at least one number, got {text!r}")
    return values


def _show_explanation(e, html_path):
    from rich.table import Table
    from rich.text import Text

    from .report.explain import fmt, write_html

    console = _console()
    table = Table(title=e.title, show_header=True)
    for col, justify in (
        ("pass", "left"),
        ("step", "left"),
        ("formula", "left"),
        ("value", "right"),
    ):
        table.add_column(col, justify=justify)
    previous = None
    for step in e.steps:
        if previous is not None and step.section != previous:
            table.add_section()
        previous = step.section
        # Text, not markup: "[y ln a + ...]" must not be read as a rich tag
        table.add_row(*(Text(t) for t in (step.section, step.name, step.formula, fmt(step.value))))
    console.print(table)
    if html_path:
        console.print(
            f"wrote [bold]{write_html(e, html_path)}[/]: the graph, forward values and derivatives"
        )


_HTML_OPTION = click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE",
    help="Also write an HTML page with the computation graph drawn.",
)


@cli.group()
def explain():
    """The notes' worked examples, step by step, computed by the engine."""


@explain.command("logistic")
@click.option("--x", "x", default="1,2", show_default=True, help="Features x1,x2,...")
@click.option("--y", "y", type=click.IntRange(0, 1), default=1, show_default=True)
@click.option("--w", "w", default="0.1,0.2", show_default=True, help="Weights w1,w2,...")
@click.option("--b", "b", type=float, default=0.0, show_default=True)
@click.option("--lr", type=float, default=0.1, show_default=True, help="Learning rate α.")
@_HTML_OPTION
def explain_logistic(x, y, w, b, lr, html_path):
    """Logistic regression's computation graph for one example: z, a = σ(z), L(a, y),
    then da, dz = a − y, dw, db and the updated w, b."""
    from .report.explain import explain_logistic as run

    _show_explanation(run(_floats(x, "--x"), y, _floats(w, "--w"), b, lr), html_path)


@explain.command("softmax")
@click.option("--z", "z", default="5,2,-1,3", show_default=True, help="Logits z1,z2,...")
@click.option(
    "--y",
    "y",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="The true class, counting from 0.",
)
@_HTML_OPTION
def explain_softmax(z, y, html_path):
    """A softmax layer for one example: e^z, the sum, softmax vs hard max, the loss
    −Σ y ln a and dz = a − y."""
    from .report.explain import explain_softmax as run

    _show_explanation(run(_floats(z, "--z"), y), html_path)


@explain.command("multilabel")
@click.option("--z", "z", default=None, help="Logits, one per label.")
@click.option(
    "--a",
    "a",
    default=None,
    help="Or probabilities, one per label (default 0.6,0.7,0.4, the notes').",
)
@click.option("--y", "y", default="1,0,1", show_default=True, help="0/1 per label.")
@_HTML_OPTION
def explain_multilabel(z, a, y, html_path):
    """Independent sigmoids for one example: probabilities that need not sum to 1 and
    the binary cross-entropy summed over labels."""
    from .report.explain import explain_multilabel as run

    _show_explanation(
        run(
            z=_floats(z, "--z") if z else None,
            a=_floats(a, "--a") if a else None,
            y=_floats(y, "--y"),
        ),
        html_path,
    )


# ----------------------------------------------------------------------------- plot
@cli.group()
def plot():
    """Pictures of the notes' ideas, as PNG files (see also the run reports)."""


_PLOT_OUT = click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default="plots",
    show_default=True,
    help="Folder for the PNG file.",
)


def _plot_data(data_src, test_size, seed, standardize, loader):
    """Train and test arrays for a plot: loaded, split (stratified) and standardised
    with the training statistics."""
    from .data import load_source, split

    data = load_source(data_src, random_state=seed, **loader)
    tr, te = split(data, test_size=test_size, random_state=seed)
    Xtr, Xte = tr.X, te.X
    if standardize:
        scaler = _fit_scaler(Xtr)
        Xtr, Xte = scaler.transform(Xtr), scaler.transform(Xte)
    return data, Xtr, tr.y, Xte, te.y


def _plot_data_options(func):
    func = click.option("--seed", type=int, default=0, show_default=True)(func)
    func = click.option(
        "--standardize/--no-standardize",
        default=True,
        show_default=True,
        help="Scale features with the training set's statistics.",
    )(func)
    func = click.option(
        "--test-size",
        type=click.FloatRange(0, 1, min_open=True, max_open=True),
        default=0.25,
        show_default=True,
    )(func)
    func = data_options(func)
    return click.option(
        "--data",
        "data_src",
        required=True,
        metavar="SRC",
        help="A built-in name or a data file/folder, as for train.",
    )(func)


def _loader_from(kw):
    return _loader_kwargs(
        kw.pop("size"),
        kw.pop("color"),
        kw.pop("positive"),
        kw.pop("manifest"),
        kw.pop("labels"),
        kw.pop("x_key"),
        kw.pop("y_key"),
    )


@plot.command("activations")
@click.option(
    "--z",
    "z",
    default="5,2,-1,3",
    show_default=True,
    help="Logits for the softmax vs hard max panel.",
)
@_PLOT_OUT
def plot_activations(z, out):
    """Sigmoid (saturating near ±4.6), tanh and ReLU with their slopes; softmax vs
    hard max for z."""
    from .report.teaching import plot_activations as draw

    path, info = draw(Path(out) / "activations.png", z=_floats(z, "--z"))
    s, d = info["sigmoid"], info["sigmoid_slope"]
    click.echo(
        f"σ(4.6) = {s[4.6]:.4f}, σ(−4.6) = {s[-4.6]:.4f}, slope a(1 − a) there = {d[4.6]:.4f}"
    )
    click.echo(
        "softmax(z) = ("
        + ", ".join(f"{v:.3f}" for v in info["softmax"])
        + "), hard max = ("
        + ", ".join(f"{v:g}" for v in info["hardmax"])
        + ")"
    )
    click.echo(f"wrote {path}")


@plot.command("loss-landscape")
@_plot_data_options
@_PLOT_OUT
def plot_loss_landscape(data_src, test_size, standardize, seed, out, **kw):
    """The cost of a logistic model along a line (and a 2-D slice) of parameter space:
    squared error (non-convex) beside cross-entropy (convex), on SRC's training set.
    SRC must be binary (use --positive NAME for one class against the rest)."""
    from .report.teaching import plot_loss_landscape as draw

    data, X, y, _, _ = _plot_data(data_src, test_size, seed, standardize, _loader_from(kw))
    if data.task != "binary":
        raise ValueError(
            f"{data.source} is a {data.task} task; the landscape is drawn for "
            "logistic regression: pick one class with --positive NAME"
        )
    path, info = draw(Path(out) / "loss_landscape.png", X, y, random_state=seed)
    m = info["min_second_difference"]
    click.echo(
        f"along θ(t) = t·θ*, smallest second difference: squared error "
        f"{m['squared_error']:.3g} ({'non-convex' if m['squared_error'] < 0 else 'convex here'}), "
        f"cross-entropy {m['cross_entropy']:.3g} "
        f"({'convex' if m['cross_entropy'] >= -1e-9 else 'non-convex'})"
    )
    click.echo(f"wrote {path}")


@plot.command("boundaries")
@_plot_data_options
@click.option(
    "--hidden", default="25,12", show_default=True, help="Hidden layer sizes of the network panel."
)
@_PLOT_OUT
def plot_boundaries(data_src, test_size, standardize, seed, hidden, out, **kw):
    """Decision regions of logistic/softmax regression, one-vs-all and a small network
    on 2-D data (moons, blobs or a 2-feature CSV): linear vs curved boundaries."""
    from .report.teaching import plot_boundaries as draw

    data, X, y, Xte, yte = _plot_data(data_src, test_size, seed, standardize, _loader_from(kw))
    if data.task == "multilabel":
        raise ValueError(
            f"{data.source} is multi-label; decision regions are drawn for one label per point"
        )
    if data.n_features != 2:
        raise ValueError(
            f"{data.source} has {data.n_features} features; decision regions "
            "need exactly 2 (try --data moons or --data blobs)"
        )
    path, info = draw(
        Path(out) / "boundaries.png",
        X,
        y,
        hidden=_parse_hidden(hidden),
        random_state=seed,
        X_test=Xte,
        y_test=yte,
    )
    click.echo(
        f"{info['on']} accuracy: "
        + ", ".join(f"{k.replace('_', ' ')} {v:.3f}" for k, v in info["accuracy"].items())
    )
    click.echo(f"wrote {path}")


@plot.command("learning-rates")
@_plot_data_options
@click.option(
    "--lr", "lrs", default="0.01,0.001,0.0001", show_default=True, help="Learning rates to compare."
)
@click.option(
    "--epochs",
    type=click.IntRange(1),
    default=1500,
    show_default=True,
    help="Gradient-descent iterations at each rate.",
)
@click.option(
    "--model",
    type=click.Choice(["auto", "logistic", "softmax", "multilabel"]),
    default="auto",
    show_default=True,
)
@_PLOT_OUT
def plot_learning_rates(data_src, test_size, standardize, seed, lrs, epochs, model, out, **kw):
    """Learning curves of one model trained by gradient descent at several learning
    rates, in one plot, with train/test accuracy in the legend."""
    from .report.teaching import plot_learning_rates as draw

    _, X, y, Xte, yte = _plot_data(data_src, test_size, seed, standardize, _loader_from(kw))
    path, info = draw(
        Path(out) / "learning_rates.png",
        X,
        y,
        Xte,
        yte,
        learning_rates=_floats(lrs, "--lr"),
        model=model,
        max_iter=epochs,
        random_state=seed,
    )
    metric = info["metric"]
    for rate, r in info["rates"].items():
        click.echo(
            f"lr {rate:g}: final cost {r['final_cost']:.4f}, train {metric} "
            f"{r['train']:.3f}, test {metric} {r['test']:.3f}"
        )
    click.echo(f"wrote {path}")


# ---------------------------------------------------------------------------- bench
@cli.group()
def bench():
    """Measure what the notes claim."""


@bench.command("vectorization")
@click.option(
    "--n",
    type=click.IntRange(1),
    default=1_000_000,
    show_default=True,
    help="Length of the vectors of the dot product.",
)
@click.option(
    "--n-x",
    type=click.IntRange(1),
    default=1000,
    show_default=True,
    help="Features of the gradient step.",
)
@click.option(
    "--m",
    type=click.IntRange(1),
    default=500,
    show_default=True,
    help="Examples of the gradient step.",
)
@click.option("--repeat", type=click.IntRange(1), default=3, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def bench_vectorization(n, n_x, m, repeat, as_json):
    """A for loop vs NumPy: a dot product of two random vectors, and one
    logistic-regression gradient step (the notes: 481 ms vs 1.5 ms, ~300x)."""
    from .demo import vectorization

    r = vectorization(n=n, n_x=n_x, m=m, repeat=repeat)
    if as_json:
        click.echo(json.dumps(r, indent=2))
        return
    d, s = r["dot"], r["step"]
    click.echo(f"dot product of two random vectors, n = {n:,}")
    click.echo(f"  for loop:   {d['loop_seconds'] * 1e3:10.3f} ms   c = {d['loop_value']:.6f}")
    click.echo(
        f"  np.dot:     {d['vectorized_seconds'] * 1e3:10.3f} ms   c = {d['vectorized_value']:.6f}"
    )
    click.echo(f"  the loop is {d['ratio']:.0f}x slower")
    click.echo(f"one logistic-regression gradient step, n_x = {n_x}, m = {m}")
    click.echo(f"  for loops:  {s['loop_seconds'] * 1e3:10.3f} ms")
    click.echo(
        f"  vectorized: {s['vectorized_seconds'] * 1e3:10.3f} ms   (same w, b to "
        f"{s['max_difference']:.1e})"
    )
    click.echo(f"  the loops are {s['ratio']:.0f}x slower")


def main(argv=None):
    """Entry point of the ``logitlab`` console script."""
    return cli.main(args=argv, prog_name="logitlab")


if __name__ == "__main__":
    main()
