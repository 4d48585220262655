"""The ``logitlab`` command: train, evaluate and predict on your own data.

    logitlab train --data SRC --model mlp --out RUN_DIR
    logitlab tune --data SRC --budget 10m --out RUN_DIR
    logitlab evaluate RUN_DIR --data SRC
    logitlab predict RUN_DIR FILE...
    logitlab datasets
    logitlab demo

Only the click declarations and the rich output live here; what a run does is
:mod:`logitlab.run`. Bad input ends in one line on stderr naming the file and the
problem, exit code 2 (``--debug`` shows the traceback instead); Ctrl-C and SIGTERM
end in one line naming what was kept, exit code 130. The learning tools (``explain``,
``plot``, ``bench``) are declared in :mod:`logitlab.cli_learn`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from ._version import __version__
from .spec import ENGINES, LR_SCHEDULES, MODELS, THRESHOLD_SCORINGS, VALIDATION_SCORINGS


class UserError(click.ClickException):
    """A problem with the user's input: one line, exit code 2."""

    exit_code = 2


class Interrupted(click.ClickException):
    """Ctrl-C or SIGTERM: one line naming the last checkpoint, exit code 130."""

    exit_code = 130


def _rank() -> int | None:
    """This process's rank under torchrun (WORLD_SIZE > 1), else None."""
    if int(os.environ.get("WORLD_SIZE", "1") or 1) <= 1:
        return None
    return int(os.environ.get("RANK", "0") or 0)


def _one_line(exc: BaseException) -> str:
    msg = str(exc) or type(exc).__name__
    if isinstance(exc, KeyError) and exc.args:
        msg = str(exc.args[0])
    if "Original Traceback" in msg:  # re-raised from a DataLoader worker
        msg = msg.strip().splitlines()[-1].split(": ", 1)[-1]
    return _ranked(" ".join(msg.split()))


def _ranked(msg: str) -> str:
    """Under torchrun, the line names the rank (unless the ranks agreed on one naming
    the rank that failed)."""
    rank = _rank()
    if rank is None or msg.startswith("rank "):
        return msg
    return f"rank {rank}: {msg}"


class _Group(click.Group):
    """Turns the library's errors about bad input into one line and exit code 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # the command line as typed, for `train --nproc` to hand to the ranks it starts
        ctx.meta["logitlab.argv"] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        from .run import Interrupted as RunInterrupted

        try:
            return super().invoke(ctx)
        except click.BadParameter as exc:  # a bad option value: one line too
            if ctx.obj and ctx.obj.get("debug"):
                raise
            raise UserError(_ranked(" ".join(exc.format_message().split()))) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except RunInterrupted as exc:
            raise Interrupted(_ranked(str(exc))) from None
        except KeyboardInterrupt:
            click.echo(_ranked("logitlab: interrupted"), err=True)
            sys.exit(130)
        except MemoryError:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            raise UserError(
                "out of memory: ask for less (a smaller --size, --hidden or "
                "--batch-size, or --stream)"
            ) from None
        except (ValueError, OSError, KeyError, ImportError, ArithmeticError) as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            raise UserError(_one_line(exc)) from None


def console() -> Any:
    from rich.console import Console

    return Console(stderr=False, highlight=False)


def _options(*specs: tuple[tuple[str, ...], dict[str, Any]]) -> Callable[[Any], Any]:
    """Apply click options given as (names, keywords) pairs, in the order listed."""

    def apply(func: Any) -> Any:
        for names, kw in reversed(specs):
            func = click.option(*names, **kw)(func)
        return func

    return apply


#: how to read a data source: the options of logitlab.data.load_source
LOADER_OPTIONS = (
    (("--size",), dict(type=click.IntRange(1), default=None,
                       help="Images: resize to SIZE×SIZE pixels (default 64).")),
    (("--color",), dict(type=click.Choice(["rgb", "grayscale"]), default=None,
                        help="Images: colour channels (default rgb).")),
    (("--positive",), dict(default=None, metavar="NAME",
                           help="Binary task: class NAME against the rest.")),
    (("--manifest",), dict(default=None, type=click.Path(dir_okay=False),
                           help="Images: CSV of file,labels (labels split by ';') for a "
                                "multi-label task.")),
    (("--labels",), dict(default=None, metavar="SPEC",
                         help="CSV/ARFF: label column(s) by name (a,b,c) or 'last:N'.")),
    (("--x-key",), dict(default=None, help="HDF5/NPZ: the features' key.")),
    (("--y-key",), dict(default=None, help="HDF5/NPZ: the labels' key.")),
)  # fmt: skip
data_options = _options(*LOADER_OPTIONS)
LOADER_NAMES = ("size", "color", "positive", "manifest", "labels", "x_key", "y_key")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="logitlab")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Neural-network classifiers from the notes' math: train, evaluate, predict."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


# ---------------------------------------------------------------------------- train
class RichProgress:
    """A run's progress on the terminal: info lines, yellow warnings and a live bar."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self.bar: Any = None
        self.task: Any = None

    def info(self, text: str) -> None:
        self.console.print(text, markup=False)

    def warning(self, text: str) -> None:
        from rich.text import Text

        self.console.print(Text.assemble(("warning: ", "yellow bold"), text))

    def start(self, total: int | None, done: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.bar = Progress(
            TextColumn("training"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("cost {task.fields[cost]}{task.fields[val]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self.bar.start()
        self.task = self.bar.add_task("fit", total=total, cost="…", val="", completed=done)

    def update(self, done: int, cost: float, validation_cost: float | None = None) -> None:
        if self.bar is not None:
            val = "" if validation_cost is None else f"  validation {validation_cost:.5f}"
            self.bar.update(self.task, completed=done, cost=f"{cost:.5f}", val=val)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def parse_hidden(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(h) for h in text.split(",") if h.strip())
    except ValueError:
        raise click.BadParameter(f"expected sizes like 25,12, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise click.BadParameter(f"expected positive sizes like 25,12, got {text!r}")
    return sizes


class _LearningRate(click.ParamType):
    """--lr: a number > 0, or "auto" (the estimators' range test)."""

    name = "rate"

    def convert(self, value: Any, param: Any, ctx: Any) -> float | str:
        if isinstance(value, float) or value == "auto":
            return value  # type: ignore[no-any-return]
        try:
            rate = float(value)
        except (TypeError, ValueError):
            self.fail(f"expected a number > 0 or 'auto', got {value!r}", param, ctx)
        if not rate > 0 or rate == float("inf"):
            self.fail(f"expected a number > 0 or 'auto', got {value!r}", param, ctx)
        return rate


class _Threshold(click.ParamType):
    """--threshold: a number from 0 to 1, or "cv" (chosen by cross-validation)."""

    name = "threshold"

    def convert(self, value: Any, param: Any, ctx: Any) -> float | str:
        if isinstance(value, float) or value == "cv":
            return value  # type: ignore[no-any-return]
        try:
            threshold = float(value)
        except (TypeError, ValueError):
            self.fail(f"expected a number from 0 to 1 or 'cv', got {value!r}", param, ctx)
        if not 0 <= threshold <= 1:
            self.fail(f"expected a number from 0 to 1 or 'cv', got {value!r}", param, ctx)
        return threshold


TRAIN_OPTIONS = (
    (("--data",), dict(default=None, metavar="SRC",
                       help="Image folder, .h5/.hdf5, .csv, .arff, .npz or a built-in name.")),
    (("--test",), dict(default=None, metavar="SRC",
                       help="Separate test data (else --test-size of --data, stratified).")),
    (("--test-size",), dict(type=click.FloatRange(0, 1, min_open=True, max_open=True),
                            default=0.2, show_default=True,
                            help="Share of --data held out for testing when there is no "
                                 "--test: stratified by class, or by iterative "
                                 "stratification for multi-label data.")),
    (("--val",), dict(default=None, metavar="SRC",
                      help="Validation data, read like --test (same loading options, columns "
                           "and classes matched by name, standardised with the training "
                           "statistics): its cost after every epoch goes to history.csv and "
                           "the learning curve, and --early-stopping and --lr-schedule "
                           "plateau watch it.")),
    *LOADER_OPTIONS,
    (("--model",), dict(type=click.Choice(("auto", *MODELS)),
                        default="auto", show_default=True,
                        help="auto: logistic, softmax or multilabel, from the data.")),
    (("--chains",), dict(type=click.IntRange(1, 1000), default=None, metavar="N",
                         help="--model chains: the number of classifier chains, each in its "
                              "own random order of the labels, whose probabilities are "
                              "averaged [default: 10].")),
    (("--chain-base",), dict(type=click.Choice(["logistic", "mlp"]), default=None,
                             help="--model chains: the binary model of each label of each "
                                  "chain, set by the other options (--hidden, --alpha, ...) "
                                  "[default: logistic].")),
    (("--threshold",), dict(type=_Threshold(), default=None, metavar="T|cv",
                            help="Multi-label data: predict a label when its probability "
                                 "exceeds T [default: 0.5]; cv: choose each label's threshold "
                                 "by 5-fold cross-validation on the training part (the model "
                                 "is trained 5 more times).")),
    (("--threshold-scoring",), dict(type=click.Choice(THRESHOLD_SCORINGS), default=None,
                                    help="--threshold cv: what each label's threshold "
                                         "optimises: its errors (hamming, the default: the "
                                         "Hamming loss) or its F1 (macro F1).")),
    (("--hidden",), dict(default=None, help="mlp: hidden layer sizes, as 256,128 "
                         "[default: NeuralNetClassifier's]")),
    (("--activation",), dict(type=click.Choice(["relu", "tanh", "sigmoid"]), default="relu",
                             show_default=True)),
    (("--solver",), dict(type=click.Choice(["gd", "sgd", "momentum", "adam", "lbfgs"]),
                         default=None)),
    (("--lr",), dict(type=_LearningRate(), default=None, metavar="RATE|auto",
                     help="Learning rate; auto: find it with a range test before training "
                          "(gradient solvers; its curve is in report.html).")),
    (("--epochs",), dict(type=click.IntRange(1), default=None, help="max_iter.")),
    (("--batch-size",), dict(type=click.IntRange(1), default=None)),
    (("--alpha",), dict(type=click.FloatRange(0), default=None, help="L2 penalty.")),
    (("--tol",), dict(type=click.FloatRange(0), default=None)),
    (("--class-weight",), dict(type=click.Choice(["balanced"]), default=None,
                               help="Single-label data: weigh each class by n_samples / "
                                    "(n_classes · n_in_class) in the cost, so that rare "
                                    "classes count as much as frequent ones (one-vs-all: each "
                                    "class against the rest).")),
    (("--pos-weight",), dict(type=click.Choice(["balanced"]), default=None,
                             help="Multi-label data: weigh each label's positive examples by "
                                  "its n_negatives / n_positives in the binary "
                                  "cross-entropy, so that rare labels are predicted.")),
    (("--lr-schedule",), dict(type=click.Choice(LR_SCHEDULES), default=None,
                              help="How the learning rate changes over the epochs (gradient "
                                   "solvers): constant (default); step: × --lr-decay every "
                                   "--lr-step-size epochs; cosine: down to 0 at the last "
                                   "epoch; plateau: × --lr-decay after --lr-patience epochs "
                                   "without a lower validation cost (training cost without "
                                   "one).")),
    (("--lr-decay",), dict(type=click.FloatRange(0, 1, min_open=True), default=None,
                           metavar="FACTOR",
                           help="step and plateau schedules: factor of each reduction "
                                "(default 0.1).")),
    (("--lr-step-size",), dict(type=click.IntRange(1), default=None, metavar="N",
                               help="step schedule: epochs between reductions (default 30).")),
    (("--lr-patience",), dict(type=click.IntRange(1), default=None, metavar="N",
                              help="plateau schedule: epochs without improvement before a "
                                   "reduction (default 5).")),
    (("--warmup",), dict(type=click.IntRange(0), default=None, metavar="N",
                         help="Gradient solvers: raise the learning rate linearly to --lr over "
                              "the first N epochs, before any schedule (default 0).")),
    (("--dropout",), dict(type=click.FloatRange(0, 1, max_open=True), default=None, metavar="P",
                          help="mlp, gradient solvers: drop each hidden unit with "
                               "probability P while training (inverted dropout: the others "
                               "are scaled by 1/(1 − P)); never when predicting (default 0).")),
    (("--validation-scoring",), dict(type=click.Choice(VALIDATION_SCORINGS), default=None,
                                     help="With --val or --early-stopping: what early "
                                          "stopping watches on the validation set: its cost "
                                          "(loss, default), accuracy (exact match for "
                                          "multi-label) or Hamming loss; the score is "
                                          "recorded in history.csv and the learning curve.")),
    (("--early-stopping/--no-early-stopping",), dict(default=None, help="Stop when the "
                                 "validation set (--val, else 10% of the training set held "
                                 "out) has not improved by --tol for 10 epochs in a row, and "
                                 "keep the best parameters [default: mlp, from 1000 training "
                                 "examples]")),
    (("--standardize/--no-standardize",), dict(default=True, show_default=True,
                                               help="Scale features to mean 0, variance 1 "
                                               "with the training set's statistics (saved "
                                               "with the model); sparse data is divided by "
                                               "each feature's largest |value|, not "
                                               "centred.")),
    (("--augment-shift",), dict(type=click.IntRange(0), default=0, metavar="R",
                                help="Images: also train on copies of each training image "
                                     "shifted by up to R pixels each way ((2R+1)² copies; "
                                     "the test set is left as is).")),
    (("--engine",), dict(type=click.Choice(list(ENGINES)), default="auto",
                         show_default=True,
                         help="auto: torch with CUDA, or on a CPU for large updates "
                              "(batch x weights); else NumPy. Same results either way.")),
    (("--device",), dict(default="auto", show_default=True)),
    (("--stream",), dict(is_flag=True, help="Image folders, --engine torch: decode the images "
                         "batch by batch while training (bounded memory, for folders larger "
                         "than RAM; the solver defaults to adam).")),
    (("--workers",), dict(type=click.IntRange(0), default=0, show_default=True,
                          help="--stream: processes decoding images beside training.")),
    (("--seed",), dict(type=int, default=0, show_default=True)),
    (("--out",), dict(default=None, type=click.Path(file_okay=False), metavar="RUN_DIR",
                      help="Folder for the model, metrics, plots and report.")),
    (("--overwrite",), dict(is_flag=True, help="Replace the run in RUN_DIR (its files are "
                            "removed first).")),
    (("--resume",), dict(default=None, type=click.Path(file_okay=False), metavar="RUN_DIR",
                         help="Continue an interrupted run from its last checkpoint, with "
                              "its own settings.")),
)  # fmt: skip


@cli.command()
@click.option("--settings", "settings_file", default=None, metavar="FILE",
              type=click.Path(dir_okay=False),
              help="Settings from a JSON file (best.json of logitlab tune, or a run's "
                   "settings.json) as the defaults; options given here override them.")  # fmt: skip
@_options(*TRAIN_OPTIONS)
@click.option("--nproc", type=click.IntRange(1), default=None, metavar="N",
              help="Train one model with N processes on this machine: starts torchrun "
                   "(torch.distributed.run --standalone --nproc-per-node N) on this same "
                   "command without --nproc, shows rank 0's output, and ends every rank "
                   "when one fails. Needs the torch engine (--engine torch or auto) and a "
                   "gradient solver; on several machines run torchrun yourself: "
                   "torchrun --nnodes M --node-rank I --nproc-per-node N --rdzv-backend "
                   "c10d --rdzv-endpoint HOST:PORT -m logitlab train ...")  # fmt: skip
@click.pass_context
def train(ctx: click.Context, settings_file: str | None, **params: Any) -> None:
    """Train a model on SRC and write RUN_DIR.

    Progress is checkpointed to RUN_DIR/checkpoint.safetensors while training; after
    Ctrl-C, ``logitlab train --resume RUN_DIR`` continues from the last complete one.

    Under torchrun (``torchrun --nproc-per-node N -m logitlab train ...``) the ranks
    train one model: rank 0 writes RUN_DIR and shows the progress, the others print
    only their errors; an error on any rank ends all of them, in one line naming it.
    """
    from .run import RunSettings, launch, resume_run, train_run

    nproc = params.pop("nproc")
    if nproc is not None:
        if _rank() is not None:
            raise click.UsageError("--nproc starts torchrun; under torchrun, leave it out")
        argv = ctx.meta.get("logitlab.argv")
        if argv is None:
            raise click.UsageError("--nproc needs the logitlab command's arguments")
        code, message = launch(nproc, _without_nproc(argv))
        if message:
            click.echo(f"Error: {message}", err=True)
        ctx.exit(code)
    terminal = console()
    progress = RichProgress(terminal)  # the run layer tells only rank 0's
    resume, out, overwrite = params.pop("resume"), params.pop("out"), params.pop("overwrite")
    if resume and settings_file:
        raise click.UsageError(
            "--resume continues a run with its own settings; leave out --settings"
        )
    if settings_file:
        _apply_settings_file(ctx, settings_file, params)
    if resume:
        given = [
            f"--{k.replace('_', '-')}"
            for k in params
            if ctx.get_parameter_source(k) == click.core.ParameterSource.COMMANDLINE
        ]
        if given or out:
            raise click.UsageError(
                f"--resume continues a run with its own settings; leave "
                f"out {', '.join(given or ['--out'])}"
            )
        result = resume_run(resume, progress)
    else:
        if not params["data"] or not out:
            raise click.UsageError("train needs --data SRC and --out RUN_DIR (or --resume RUN_DIR)")
        if params["hidden"] is None:
            del params["hidden"]  # the settings' default
        elif isinstance(params["hidden"], str):  # not from --settings
            params["hidden"] = parse_hidden(params["hidden"])
        params["size"] = params["size"] or 64
        params["color"] = params["color"] or "rgb"
        result = train_run(RunSettings(**params), out, progress, overwrite=overwrite)
    if (_rank() or 0) > 0:  # under torchrun rank 0 alone shows the results
        return
    _print_metrics(terminal, result.metrics)
    terminal.print(f"wrote [bold]{result.run_dir}[/]: " + ", ".join(result.files), soft_wrap=True)


def _without_nproc(argv: list[str]) -> list[str]:
    """The command line without its --nproc option."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            out.append(arg)
    return out


def _apply_settings_file(ctx: click.Context, path: str, params: dict[str, Any]) -> None:
    """The settings a file gives, as defaults: options typed on the command line win."""
    from .run import read_settings_file

    typed = click.core.ParameterSource.COMMANDLINE
    for name, value in read_settings_file(path).items():
        if ctx.get_parameter_source(name) != typed:
            params[name] = value


def _print_metrics(console: Any, metrics: dict[str, Any]) -> None:
    from rich.table import Table

    from .report.metrics import MULTILABEL_METRICS

    table = Table(title="test metrics", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    keys = (
        # MULAN's set but precision and recall (F1 stands for them); per-label
        # figures stay in metrics.json
        tuple(k for k in MULTILABEL_METRICS if not k.startswith(("precision", "recall")))
        if "hamming_loss" in metrics
        else (
            "accuracy",
            "balanced_accuracy",
            "precision_macro",
            "recall_macro",
            "f1_macro",
            "log_loss",
        )
    )
    for k in (*keys, "train_accuracy", "train_hamming_loss", "fit_seconds"):
        v = metrics.get(k)
        if isinstance(v, (int, float)):
            table.add_row(k, f"{v:.4f}")
    console.print(table)
    for note in metrics.get("metric_notes") or ():
        console.print(f"note: {note}", markup=False, highlight=False)


# ----------------------------------------------------------------------------- tune
class RichTuneProgress(RichProgress):
    """A search on the terminal: a bar over the budget (or the trials) with the trials
    done and the best score so far; then the final training as ``train`` shows it."""

    def __init__(self, console: Any) -> None:
        super().__init__(console)
        self.search: Any = None
        self.search_task: Any = None
        self.by_time = True
        self.last = 0.0

    def search_start(self, seconds: float | None, n_trials: int | None, done: int) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.by_time = seconds is not None
        if done:
            self.info(f"continuing the search: {done} trials already in the study")
        self.search = Progress(
            TextColumn("searching"),
            BarColumn(),
            TextColumn("{task.fields[trials]} trials  best {task.fields[best]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self.search.start()
        self.search_task = self.search.add_task(
            "search", total=seconds if self.by_time else n_trials, trials=0, best="…"
        )

    def search_update(self, elapsed: float, trials: int, best: str) -> None:
        import time

        now = time.monotonic()
        if self.search is None or now - self.last < 0.2:  # a fit calls this every epoch
            return
        self.last = now
        self.search.update(
            self.search_task,
            completed=elapsed if self.by_time else trials,
            trials=trials,
            best=best or "…",
        )

    def search_stop(self) -> None:
        if self.search is not None:
            self.search.stop()
            self.search = None


@cli.command()
@_options(*TRAIN_OPTIONS[:3], *LOADER_OPTIONS)
@click.option(
    "--model",
    type=click.Choice(("auto", *MODELS)),
    default="auto",
    show_default=True,
    help="auto: search the task's linear model and a network; another: only it.",
)
@click.option(
    "--budget",
    default=None,
    metavar="TIME",
    help="Wall time for the search and the final training together: 90s, 10m, 1h.",
)
@click.option(
    "--n-trials",
    type=click.IntRange(1),
    default=None,
    metavar="N",
    help="Run N trials (with --budget: whichever comes first); the same seed and "
    "--n-trials alone give the same trials and the same best settings.",
)
@click.option(
    "--folds",
    type=click.IntRange(2, 20),
    default=3,
    show_default=True,
    help="Cross-validation folds of the training split (stratified).",
)
@click.option(
    "--augment-shift",
    type=click.IntRange(0),
    default=None,
    metavar="R",
    help="Images: keep this shift instead of searching 0 or 1.",
)
@click.option(
    "--standardize/--no-standardize",
    default=True,
    show_default=True,
    help="Scale features with the training statistics (in each fold, its own).",
)
@click.option("--engine", type=click.Choice(list(ENGINES)), default="auto", show_default=True)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seeds the split, the folds, the sampler and every model.",
)
@click.option(
    "--out",
    default=None,
    type=click.Path(file_okay=False),
    metavar="RUN_DIR",
    help="A new folder: tune.db, best.json and the best settings' run.",
)
@click.option("--resume", default=None, type=click.Path(file_okay=False), metavar="RUN_DIR",
              help="Continue the search in RUN_DIR (its trials kept) with what is left of "
                   "its budget, or a new --budget, and train the best again.")  # fmt: skip
@click.pass_context
def tune(ctx: click.Context, **params: Any) -> None:
    """Search the settings for SRC by cross-validation on its training split, then
    train the best and write RUN_DIR (as ``train`` does, with best.json and the search).

    The test split (--test, or the --test-size share ``train`` holds out) is never seen
    by the search. Ctrl-C keeps the finished trials: ``logitlab tune --resume RUN_DIR``.
    """
    from .run import RunSettings
    from .tune import parse_budget, resume_tune, tune_run

    terminal = console()
    progress = RichTuneProgress(terminal)
    budget = None if params["budget"] is None else parse_budget(params["budget"])
    limits = {"budget": budget, "n_trials": params["n_trials"]}
    if params["resume"]:
        given = [
            f"--{k.replace('_', '-')}"
            for k in params
            if k not in ("resume", "budget", "n_trials")
            and ctx.get_parameter_source(k) == click.core.ParameterSource.COMMANDLINE
        ]
        if given:
            raise click.UsageError(
                f"--resume continues a search with its own settings; leave out {', '.join(given)}"
                " (--budget and --n-trials may be given)"
            )
        result = resume_tune(params["resume"], progress, **limits)
    else:
        if not params["data"] or not params["out"]:
            raise click.UsageError("tune needs --data SRC and --out RUN_DIR (or --resume RUN_DIR)")
        if budget is None and params["n_trials"] is None:
            raise click.UsageError("tune needs a limit: --budget TIME (e.g. 10m) or --n-trials N")
        fixed = tuple(k for k in ("size", "augment_shift") if params[k] is not None)
        settings = {k: params[k] for k in ("data", "test", "test_size", *LOADER_NAMES)}
        settings.update(
            size=params["size"] or 64,
            color=params["color"] or "rgb",
            augment_shift=params["augment_shift"] or 0,
            model=params["model"],
            standardize=params["standardize"],
            engine=params["engine"],
            seed=params["seed"],
        )
        result = tune_run(
            RunSettings(**settings), params["out"], progress, folds=params["folds"],
            fixed=fixed, **limits,
        )  # fmt: skip
    shown = {k: f"{v:.3g}" if isinstance(v, float) else v for k, v in result.best_params.items()}
    terminal.print(
        f"search: {result.n_trials} trials ({result.n_complete} finished all folds) in "
        f"{result.search_seconds:.0f} s; best cross-validated "
        f"{result.scoring.replace('_', ' ')} {result.best_score:.4f}: "
        + ", ".join(f"{k}={v}" for k, v in shown.items()),
        markup=False,
        soft_wrap=True,
    )
    _print_metrics(terminal, result.run.metrics)
    run_dir = result.run.run_dir
    terminal.print(
        f"wrote [bold]{run_dir}[/]: best.json, tune.db, tune.json, search.png, "
        + ", ".join(result.run.files)
        + f"; re-run the best with: logitlab train --settings {run_dir}/best.json --out DIR",
        soft_wrap=True,
    )


# ------------------------------------------------------------------ evaluate, predict
@cli.command()
@click.argument("run_dir", type=click.Path())
@click.option("--data", "data_src", required=True, metavar="SRC")
@data_options
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
def evaluate(run_dir: str, data_src: str, as_json: bool, **loader: Any) -> None:
    """Evaluate the model in RUN_DIR on SRC (table columns and classes are matched to
    the model's by name)."""
    from .run import evaluate_run

    metrics = evaluate_run(run_dir, data_src, **loader)
    if as_json:
        click.echo(json.dumps(metrics, indent=2))
    else:
        _print_metrics(console(), metrics)


@cli.command()
@click.argument("run_dir", type=click.Path())
@click.argument("inputs", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input.")
def predict(run_dir: str, inputs: tuple[str, ...], as_json: bool) -> None:
    """Predict the label of each image file, or of each example of a table, data file,
    image folder or built-in data set."""
    from .run import predict_run

    for r in predict_run(run_dir, list(inputs)):
        if as_json:
            click.echo(json.dumps(r))
        elif "labels" in r:
            click.echo(f"{r['input']}\t{';'.join(r['labels']) or '(none)'}")
        else:
            click.echo(f"{r['input']}\t{r['label']}\t{r['probability']:.4f}")


@cli.command()
@click.argument("run_dir", type=click.Path())
@click.option(
    "--onnx",
    "onnx_path",
    required=True,
    type=click.Path(),
    metavar="FILE",
    help="Write the model, its standardisation and output activation as ONNX.",
)
def export(run_dir: str, onnx_path: str) -> None:
    """Export the model in RUN_DIR, with its preprocessing, to a file other tools read."""
    from .export import export_run

    info = export_run(run_dir, onnx_path)
    diff = info["max_abs_difference"]
    check = (
        "not checked: onnxruntime is not installed"
        if diff is None
        else (f"onnxruntime agrees with logitlab to {diff:.1e} on {info['check_rows']} random rows")
    )
    click.echo(
        f"wrote {info['path']}: input X (N, {info['n_features']}) float64, outputs "
        f"probabilities and label; {check}"
    )


# ------------------------------------------------------------------ datasets, demo
@cli.command()
def datasets() -> None:
    """List the built-in data sets."""
    from .data import builtin_names

    for name, desc in builtin_names().items():
        click.echo(f"{name:20s} {desc}")


@cli.command()
def demo() -> None:
    """Train every model on built-in data and print one table."""
    from . import demo as tour

    tour.main()


from . import cli_learn  # noqa: E402,F401  (registers explain, plot and bench on cli)


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the ``logitlab`` console script."""
    return cli.main(args=argv, prog_name="logitlab")


if __name__ == "__main__":
    # run as a script this file is __main__, a copy of the module without the learning
    # tools' commands: run the module's own group, where cli_learn registered them
    from logitlab.cli import main as module_main

    module_main()
