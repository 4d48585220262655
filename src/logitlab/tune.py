"""``logitlab tune``: search a run's settings by cross-validation, then train the best.

The search is Optuna's: a TPE sampler seeded from ``seed``, and a median pruner fed
each trial's running cross-validated score after every fold, so that poor settings
stop after a fold or two. Each trial builds a :class:`~logitlab.run.RunSettings` and
its estimator exactly as ``logitlab train`` would (:func:`~logitlab.run.build_estimator`),
standardises with its own fold's statistics and shifts only its own fold's images,
and scores on the held-out fold. The folds (stratified; iterative stratification for
multi-label data) are drawn from the training part of
:func:`~logitlab.run.load_split`'s split only: the test part is never seen by the
search, only by the final model's report.

A tune folder holds, beside the ordinary run ``logitlab train`` writes from the best
settings (model, ``metrics.json``, ``report.html``, …):

- ``tune.db``: Optuna's SQLite storage, every trial (``resume`` continues the study);
- ``tune.json``: what was searched, how, and the summary the report shows;
- ``best.json``: the best settings, as ``logitlab train --settings`` reads them;
- ``search.png``: the score of each trial with the best so far.

The budget is wall time for the whole command: the search stops early enough to leave
room for the final training (an estimate from the best trial's folds, at least
:data:`FINAL_SHARE` of the budget). Time limits make the number of trials depend on
the machine; ``n_trials`` alone gives the same trials, and the same best settings, for
the same seed.

Examples
--------
>>> import tempfile
>>> from logitlab.run import RunSettings
>>> from logitlab.tune import tune_run
>>> with tempfile.TemporaryDirectory() as tmp:
...     result = tune_run(RunSettings(data="iris", engine="numpy"), f"{tmp}/t", n_trials=2)
>>> result.n_trials, result.run.metrics["accuracy"] > 0.8
(2, True)
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from ._atomic import atomic_write
from .data import LoadedData, load_source, shift_augment
from .data.stratify import stratified_folds
from .run import (
    Interrupted,
    Preprocessing,
    Progress,
    RunError,
    RunResult,
    RunSettings,
    build_estimator,
    check_training_memory,
    load_split,
    sigterm_as_interrupt,
    train_run,
)
from .spec import DEFAULT_MODEL, TASKS_OF_MODEL

__all__ = [
    "BEST_FILE",
    "DB_FILE",
    "TUNE_FILE",
    "TuneProgress",
    "TuneResult",
    "parse_budget",
    "resume_tune",
    "tune_run",
]

DB_FILE = "tune.db"
TUNE_FILE = "tune.json"
BEST_FILE = "best.json"
SEARCH_PLOT = "search.png"
LOCK = ".tune.lock"
TUNE_VERSION = 1
STUDY_NAME = "logitlab"
#: the share of the budget kept for the final training at least
FINAL_SHARE = 0.15
#: a budget left below this is not worth starting a search for
MIN_BUDGET_S = 1.0
_MAX_BUDGET_S = 30 * 24 * 3600.0
# tune.json holds a line per trial: tens of thousands of trials stay far below this
_MAX_SUMMARY_BYTES = 64 << 20
#: image sides searched for image folders, and shifts for --augment-shift
SIZES = (12, 16, 24, 32)
SHIFTS = (0, 1)
# TPE's random start: fewer than Optuna's 10 since a trial may take a minute here
_STARTUP_TRIALS = 6


class TuneProgress(Progress):
    """What a search tells its user, beside what a run tells (:class:`Progress`). This
    one says nothing; the command line shows a bar with the best score so far."""

    def search_start(self, seconds: float | None, n_trials: int | None, done: int) -> None:
        """The search starts: at most ``seconds`` of wall time and ``n_trials`` trials
        (None: no such limit); ``done`` trials are in the study already."""

    def search_update(self, elapsed: float, trials: int, best: str) -> None:
        """``elapsed`` seconds of the search, ``trials`` finished this session, and the
        best score so far as text (empty before the first)."""

    def search_stop(self) -> None:
        """The search has ended (or was interrupted)."""


@dataclass
class TuneResult:
    """What :func:`tune_run` produced: the final run, the best settings and the search."""

    run: RunResult
    best: RunSettings
    best_params: dict[str, Any]
    best_score: float
    scoring: str
    n_trials: int
    n_complete: int
    search_seconds: float


# ----------------------------------------------------------------------- budget
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


def parse_budget(text: str) -> float:
    """Seconds of a wall-time budget: ``90s``, ``10m``, ``1.5h`` or plain seconds.

    >>> parse_budget("10m"), parse_budget("90s"), parse_budget("1h"), parse_budget("45")
    (600.0, 90.0, 3600.0, 45.0)
    >>> parse_budget("10x")
    Traceback (most recent call last):
    ...
    logitlab.run.RunError: --budget: expected a duration like 90s, 10m or 1h, got '10x'
    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([smh]?)\s*", str(text))
    seconds = float(m.group(1)) * _UNITS[m.group(2) or "s"] if m else math.nan
    if not m:
        raise RunError(f"--budget: expected a duration like 90s, 10m or 1h, got {text!r}")
    if not MIN_BUDGET_S <= seconds <= _MAX_BUDGET_S:
        raise RunError(
            f"--budget: {text!r} is {seconds:g} s; give between {MIN_BUDGET_S:g} s and 30 days"
        )
    return seconds


# ------------------------------------------------------------------ search space
@dataclass(frozen=True)
class _Space:
    """What a study searches, fixed at its start and kept in tune.json."""

    task: str
    models: tuple[str, ...]
    sizes: tuple[int, ...]
    shifts: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "models": list(self.models),
            "sizes": list(self.sizes),
            "shifts": list(self.shifts),
        }


def _space(base: RunSettings, data: LoadedData, fixed: set[str]) -> _Space:
    """The search space for these data: the task's linear model and the network (or
    ``base.model`` alone), and for images the side and the shift unless given."""
    if base.model == "auto":
        models: tuple[str, ...] = (DEFAULT_MODEL[data.task], "mlp")
    else:
        if data.task not in TASKS_OF_MODEL[base.model]:
            fitting = " or ".join(m for m, t in TASKS_OF_MODEL.items() if data.task in t)
            raise RunError(f"--model {base.model} does not fit a {data.task} task; use {fitting}")
        models = (base.model,)
    folder = data.files is not None  # an image folder: --size resizes
    sizes = SIZES if folder and "size" not in fixed else (base.size,)
    images = data.image_shape is not None
    shifts = SHIFTS if images and "augment_shift" not in fixed else (base.augment_shift,)
    return _Space(data.task, models, sizes, shifts)


def _suggest(trial: Any, base: RunSettings, space: _Space) -> RunSettings:
    """A trial's settings. Log-uniform ranges: what matters in alpha, the learning
    rate, the layer sizes and the number of epochs is their order of magnitude."""
    model = space.models[0]
    if len(space.models) > 1:
        model = trial.suggest_categorical("model", list(space.models))
    p: dict[str, Any] = {"model": model}
    p["alpha"] = trial.suggest_float("alpha", 1e-3, 1e3, log=True)
    if model == "mlp":
        layers = trial.suggest_int("layers", 1, 2)
        p["hidden"] = tuple(
            trial.suggest_int(f"hidden_{i + 1}", 16, 512, log=True) for i in range(layers)
        )
        p["solver"] = "adam"
        p["lr"] = trial.suggest_float("lr", 1e-4, 3e-2, log=True)
        p["batch_size"] = trial.suggest_categorical("batch_size", [32, 64, 128, 256])
        p["epochs"] = trial.suggest_int("epochs", 5, 200, log=True)
        p["tol"] = 0.0  # train the epochs asked for: they are searched
        p["early_stopping"] = False
    else:  # L-BFGS, the linear models' solver: no learning rate, no mini-batches
        p["solver"] = None
        p["epochs"] = trial.suggest_int("epochs", 20, 1000, log=True)
    if len(space.sizes) > 1:
        p["size"] = trial.suggest_categorical("size", list(space.sizes))
    if len(space.shifts) > 1:
        p["augment_shift"] = trial.suggest_categorical("augment_shift", list(space.shifts))
    return replace(base, **p)


# --------------------------------------------------------------- cross-validation
def _scoring(task: str) -> tuple[str, str]:
    """The cross-validated score and the study's direction."""
    return ("hamming_loss", "minimize") if task == "multilabel" else ("accuracy", "maximize")


def fold_score(
    settings: RunSettings,
    data: LoadedData,
    fit: LoadedData,
    held: LoadedData,
    callback: Any = None,
) -> float:
    """Fit the estimator ``settings`` ask for on ``fit`` as ``logitlab train`` would
    (standardised with ``fit``'s statistics, its images shifted) and score it on
    ``held``: accuracy, or Hamming loss for multi-label data.

    Parameters
    ----------
    settings : RunSettings
    data : LoadedData
        The data the parts come from (their task, classes and image shape).
    fit, held : LoadedData
        In memory: rows to fit on, and rows to score.
    callback : callable, optional
        The estimator's per-iteration callback (returning True stops the fit).

    Returns
    -------
    float
    """
    pre = Preprocessing.fit(data, fit, standardize=settings.standardize, loader=settings.loader())
    X, y = (fit.X if sp.issparse(fit.X) else np.asarray(fit.X)), fit.y
    if settings.augment_shift:
        assert data.image_shape is not None
        copies = (2 * settings.augment_shift + 1) ** 2
        X = shift_augment(X, data.image_shape, settings.augment_shift)
        y = np.tile(y, (copies,) + (1,) * (y.ndim - 1))
    _, est = build_estimator(settings, data.task)
    with warnings.catch_warnings():
        # a trial that stopped short or diverged is scored as it is: a poor score says it
        for category in (ConvergenceWarning, UserWarning, RuntimeWarning):
            warnings.simplefilter("ignore", category)
        if hasattr(est, "max_iter") and callback is not None:
            est.fit(pre.apply(X), y, callback=callback)
        else:
            est.fit(pre.apply(X), y)
        pred = est.predict(pre.apply(held.X))
    if data.task == "multilabel":
        return float(np.mean(np.asarray(pred) != held.y))
    return float(np.mean(np.asarray(pred) == held.y))


class _Clock:
    """The search's deadline: the budget less the time the final training will take,
    estimated from the best trial's folds (at least FINAL_SHARE of the budget)."""

    def __init__(self, budget: float | None) -> None:
        self.start = time.monotonic()
        self.budget = budget
        self.final_estimate = 0.0

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def reserve(self) -> float:
        if self.budget is None:
            return 0.0
        return max(FINAL_SHARE * self.budget, self.final_estimate)

    def left(self) -> float:
        """Seconds of search left (inf without a budget)."""
        if self.budget is None:
            return math.inf
        return self.budget - self.reserve() - self.elapsed()


class _Data:
    """The training part of the split ``logitlab train`` makes, with its folds, read once
    per image side; the test part :func:`~logitlab.run.load_split` returns is dropped
    unread."""

    def __init__(self, base: RunSettings, folds: int) -> None:
        self.base, self.folds = base, folds
        self.cache: dict[int, tuple[LoadedData, LoadedData, list[Any]]] = {}
        self.load_seconds: dict[int, float] = {}

    def get(self, size: int) -> tuple[LoadedData, LoadedData, list[Any]]:
        """(all the data, its training part, the folds of the training part)."""
        if size not in self.cache:
            t0 = time.monotonic()
            data, train, _test, _val = load_split(replace(self.base, size=size))
            self.load_seconds[size] = time.monotonic() - t0
            try:
                folds = stratified_folds(train.y, self.folds, self.base.seed)
            except ValueError as exc:
                raise RunError(f"--folds {self.folds}: {exc}") from None
            self.cache[size] = (data, train, folds)
        return self.cache[size]


class _Objective:
    """One trial: its settings, then each fold in turn, reporting the running mean."""

    def __init__(
        self, base: RunSettings, space: _Space, data: _Data, clock: _Clock, progress: TuneProgress
    ) -> None:
        self.base, self.space, self.data, self.clock = base, space, data, clock
        self.progress = progress
        self.finished = 0
        self.best_text = ""

    def __call__(self, trial: Any) -> float:
        try:
            return self.folds(trial)
        except (ValueError, ArithmeticError, MemoryError, RuntimeError) as exc:
            # a setting the data cannot take (too large for memory, diverged): the
            # trial fails, the search goes on, and the reason is kept
            trial.set_user_attr("error", " ".join(str(exc).split())[:300] or type(exc).__name__)
            raise

    def folds(self, trial: Any) -> float:
        import optuna

        settings = _suggest(trial, self.base, self.space)
        data, train, folds = self.data.get(settings.size)
        check_training_memory(settings, data)
        scores: list[float] = []
        fit_seconds = 0.0
        for k, (fit_idx, held_idx) in enumerate(folds):
            if self.clock.left() <= 0:
                trial.set_user_attr("stopped", "budget")
                raise optuna.TrialPruned("the search's time is up")
            t0 = time.monotonic()
            stopped: list[int] = []

            def callback(
                info: Any, t0: float = t0, left: int = len(folds) - k, stopped: list[int] = stopped
            ) -> bool:
                # stop a fit that could not end (with the trial's other folds) before
                # the deadline; the trial is then pruned, not scored on a model cut short
                done = info.iteration + 1
                per_epoch = (time.monotonic() - t0) / done
                epochs = max(settings.epochs or done, done)
                need = per_epoch * ((epochs - done) + epochs * (left - 1))
                self.progress.search_update(self.clock.elapsed(), self.finished, self.best_text)
                if need > self.clock.left():
                    stopped.append(done)
                return bool(stopped)

            score = fold_score(
                settings, data, train.subset(fit_idx), train.subset(held_idx), callback
            )
            if stopped:
                trial.set_user_attr("stopped", "budget")
                raise optuna.TrialPruned("the trial would not finish within the budget")
            fit_seconds += time.monotonic() - t0
            scores.append(score)
            trial.set_user_attr("fit_seconds", fit_seconds)
            trial.report(float(np.mean(scores)), k)
            self.progress.search_update(self.clock.elapsed(), self.finished, self.best_text)
            if k < len(folds) - 1 and trial.should_prune():
                raise optuna.TrialPruned(f"pruned after fold {k + 1}")
        return float(np.mean(scores))

    def finish(self, study: Any, trial: Any) -> None:
        """A study callback after each trial: count it, show the best, and move the
        deadline to leave room for the best trial's final training."""
        self.finished += 1
        self.note_best(study)
        self.progress.search_update(self.clock.elapsed(), self.finished, self.best_text)
        if self.clock.left() <= 0:
            study.stop()

    def note_best(self, study: Any) -> None:
        """The best score so far, and the final training time it would need."""
        if _complete(study):
            best = study.best_trial
            self.best_text = f"{best.value:.4f} (trial {best.number})"
            size = best.params.get("size", self.base.size)
            load = self.data.load_seconds.get(size, max(self.data.load_seconds.values(), default=0))
            self.clock.final_estimate = _final_estimate(best, self.clock.budget, load)


def _complete(study: Any) -> list[Any]:
    import optuna

    return study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))


def _final_estimate(trial: Any, budget: float | None, load_seconds: float) -> float:
    """Seconds the final training of ``trial``'s settings should take: its folds' fit
    time scaled to the whole training part, reading the data again (``load_seconds``,
    measured by the search) and writing the report, with a margin."""
    if budget is None:
        return 0.0
    seconds = float(trial.user_attrs.get("fit_seconds", 0.0))
    folds = max(len(trial.intermediate_values), 1)
    # k folds each fit (k-1)/k of the rows: the whole part is k/(k-1) of a fold's
    scale = folds / max(folds - 1, 1)
    return 1.5 * (seconds / folds * scale + load_seconds) + 1.0


# ---------------------------------------------------------------------- folder
@contextlib.contextmanager
def _tune_lock(run_dir: Path) -> Iterator[None]:
    """One search per folder at a time (the kernel's flock: a killed process frees it).
    Separate from the run's own lock, which the final training takes."""
    import fcntl

    fd = os.open(run_dir / LOCK, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError(
                f"{run_dir}: another logitlab tune is searching in this folder"
            ) from None
        yield
    finally:
        os.close(fd)


def _storage(run_dir: Path) -> str:
    return f"sqlite:///{(run_dir / DB_FILE).resolve()}"


def _read_tune(run_dir: Path) -> dict[str, Any]:
    path = run_dir / TUNE_FILE
    if not run_dir.is_dir():
        raise RunError(f"tune folder {str(run_dir)!r} does not exist")
    if not path.is_file() or not (run_dir / DB_FILE).is_file():
        raise RunError(
            f"{run_dir} is not a tune run (no {TUNE_FILE} and {DB_FILE}); start one with "
            f"logitlab tune --data SRC --out {run_dir}"
        )
    try:
        if path.stat().st_size > _MAX_SUMMARY_BYTES:
            raise RunError(f"{path}: {path.stat().st_size:,} bytes is not a tune summary")
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, RecursionError, json.JSONDecodeError) as exc:
        raise RunError(f"{path}: cannot read it: {' '.join(str(exc).split())}") from None
    if not isinstance(d, dict) or d.get("version") != TUNE_VERSION:
        raise RunError(f"{path}: not a tune summary this logitlab reads")
    for key, kind in (("base", dict), ("space", dict), ("folds", int), ("spent_s", (int, float))):
        if not isinstance(d.get(key), kind):
            raise RunError(f"{path}: field {key!r} is missing or malformed")
    return d


def _write_tune(run_dir: Path, summary: dict[str, Any]) -> None:
    atomic_write(run_dir / TUNE_FILE, json.dumps(summary, indent=2, default=_plain) + "\n")


def _plain(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


# ------------------------------------------------------------------------ search
def tune_run(
    settings: RunSettings,
    run_dir: str | os.PathLike[str],
    progress: TuneProgress | None = None,
    *,
    budget: float | None = None,
    n_trials: int | None = None,
    folds: int = 3,
    fixed: tuple[str, ...] = (),
) -> TuneResult:
    """Search settings for ``settings.data`` by cross-validation on its training part,
    then train the best on the whole training part and write the run to ``run_dir``.

    Parameters
    ----------
    settings : RunSettings
        The data (and ``test``/``test_size``: the split ``logitlab train`` makes), the
        seed, the engine, ``standardize``, and ``model``: ``auto`` searches the
        task's linear model and a network; another model is searched alone.
    run_dir : path
        A new or empty folder.
    progress : TuneProgress, optional
    budget : float, optional
        Wall-time seconds for the search and the final training together.
    n_trials : int, optional
        Trials to run (with ``budget``: whichever limit comes first). One of the two
        is needed; ``n_trials`` alone is reproducible trial for trial.
    folds : int, default=3
    fixed : tuple of str
        Fields of ``settings`` the user gave that would be searched otherwise
        (``size``, ``augment_shift``): kept as given.

    Returns
    -------
    TuneResult

    Raises
    ------
    RunError, DataError
        Bad settings, a folder in the way, or no trial finished within the budget.
    Interrupted
        Ctrl-C or SIGTERM: the finished trials are kept in ``tune.db``.
    """
    if budget is None and n_trials is None:
        raise RunError("tune needs a limit: --budget (e.g. 10m) or --n-trials N")
    if n_trials is not None and n_trials < 1:
        raise RunError(f"--n-trials must be at least 1, got {n_trials}")
    if not isinstance(folds, int) or folds < 2:
        raise RunError(f"--folds must be at least 2, got {folds}")
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise RunError(f"{run_dir} is a file, not a folder")
    if run_dir.is_dir() and any(p.name != LOCK for p in run_dir.iterdir()):
        what = (
            "a tune run: continue it with --resume"
            if (run_dir / DB_FILE).exists()
            else ("other files: give --out a new or empty folder")
        )
        raise RunError(f"{run_dir} is not empty; it holds {what}")
    settings = settings.absolute()
    run_dir.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {
        "version": TUNE_VERSION,
        "base": settings.to_dict(),
        "fixed": sorted(fixed),
        "folds": folds,
        "budget_s": budget,
        "spent_s": 0.0,
    }
    return _search(run_dir, settings, summary, progress, budget, n_trials, new=True)


def resume_tune(
    run_dir: str | os.PathLike[str],
    progress: TuneProgress | None = None,
    *,
    budget: float | None = None,
    n_trials: int | None = None,
) -> TuneResult:
    """Continue the search in ``run_dir`` (its trials kept) and train the best again.

    Parameters
    ----------
    run_dir : path
        A folder :func:`tune_run` wrote (``tune.json`` and ``tune.db``), finished or
        interrupted; its own settings, folds and search space are used.
    progress : TuneProgress, optional
    budget : float, optional
        This session's wall time; without it (and without ``n_trials``), what is left
        of the budget the search started with.
    n_trials : int, optional
        More trials to run.

    Returns
    -------
    TuneResult
        ``n_trials`` counts every trial of the study, the earlier ones too.

    Raises
    ------
    RunError
        Not a tune folder, its budget spent (give ``budget``), or data that no longer
        give the space searched.
    Interrupted
        Ctrl-C or SIGTERM: the finished trials are kept.
    """
    run_dir = Path(run_dir)
    summary = _read_tune(run_dir)
    settings = RunSettings.from_dict(summary["base"], where=str(run_dir / TUNE_FILE))
    if budget is None and n_trials is None:
        first = summary.get("budget_s")
        if not isinstance(first, (int, float)):
            raise RunError(f"{run_dir}: the search had no --budget; give --budget or --n-trials")
        budget = first - float(summary["spent_s"])
        if budget < MIN_BUDGET_S:
            raise RunError(
                f"{run_dir}: the budget of {first:g} s is spent; give a new --budget "
                "(or --n-trials) to search on"
            )
    if n_trials is not None and n_trials < 1:
        raise RunError(f"--n-trials must be at least 1, got {n_trials}")
    return _search(run_dir, settings, summary, progress, budget, n_trials, new=False)


def _search(
    run_dir: Path,
    base: RunSettings,
    summary: dict[str, Any],
    progress: TuneProgress | None,
    budget: float | None,
    n_trials: int | None,
    *,
    new: bool,
) -> TuneResult:
    import optuna

    progress = progress or TuneProgress()
    clock = _Clock(budget)
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # failures are kept, not logged
    with _tune_lock(run_dir), sigterm_as_interrupt():
        spent0 = float(summary["spent_s"])
        try:
            # the task and the kind of data, from a listing (image folders are decoded
            # per searched size, by the trials)
            probe = load_source(base.data, random_state=base.seed, lazy=True, **base.loader())
            space = _space(base, probe, set(summary.get("fixed", ())))
            if not new and summary["space"] != space.to_dict():
                raise RunError(
                    f"{run_dir / TUNE_FILE}: the data no longer give the space searched "
                    "(task, models, image sizes); start a new search"
                )
            summary["space"] = space.to_dict()
            scoring, direction = _scoring(space.task)
            summary.update(scoring=scoring, direction=direction)
            if new:
                _write_tune(run_dir, summary)  # first: a folder with tune.db can be resumed
            storage = _storage(run_dir)
            n_before = len(
                optuna.create_study(
                    storage=storage, study_name=STUDY_NAME, direction=direction,
                    load_if_exists=True,
                ).trials
            )  # fmt: skip
            # TPE seeded from the seed and the trials already there: a resumed search
            # does not replay the random start of the first session
            sampler = optuna.samplers.TPESampler(
                seed=base.seed + n_before, n_startup_trials=_STARTUP_TRIALS
            )
            pruner = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0)
            study = optuna.create_study(
                storage=storage,
                study_name=STUDY_NAME,
                direction=direction,
                sampler=sampler,
                pruner=pruner,
                load_if_exists=True,
            )
            objective = _Objective(base, space, _Data(base, summary["folds"]), clock, progress)
            progress.search_start(
                None if budget is None else max(budget - clock.reserve(), 0.0), n_trials, n_before
            )
            objective.note_best(study)  # a resumed study's best so far
            try:
                if clock.left() > 0:
                    study.optimize(
                        objective,
                        n_trials=n_trials,
                        timeout=None if budget is None else max(clock.left(), 0.0),
                        catch=(ValueError, ArithmeticError, MemoryError, RuntimeError),
                        callbacks=[objective.finish],
                    )
            finally:
                progress.search_stop()
        except KeyboardInterrupt:
            summary["spent_s"] = spent0 + clock.elapsed()
            if (run_dir / TUNE_FILE).exists():
                _write_tune(run_dir, summary)
            raise Interrupted(
                f"interrupted: the finished trials are kept in {run_dir / DB_FILE}; continue "
                f"with: logitlab tune --resume {run_dir}"
            ) from None
        search_seconds = clock.elapsed()
        trials = _trial_rows(study)
        summary.update(
            spent_s=spent0 + search_seconds,
            n_trials=len(trials),
            trials=trials,
            last_search_s=search_seconds,
        )
        _write_tune(run_dir, summary)  # the time spent counts even if no trial finished
        best_trial = _best(study, run_dir)
        best = _settings_of(best_trial, base, space)
        summary.update(
            best={
                "number": best_trial.number,
                "score": best_trial.value,
                "params": dict(best_trial.params),
            },
            importances=_importances(study, base.seed),
        )
        _plot_search(run_dir, trials, scoring, direction)
        atomic_write(run_dir / BEST_FILE, json.dumps(best.to_dict(), indent=2) + "\n")
        _write_tune(run_dir, summary)
        try:
            result = train_run(best, run_dir, progress, overwrite=not new)
        finally:
            summary["spent_s"] = spent0 + clock.elapsed()
            _write_tune(run_dir, summary)
    return TuneResult(
        run=result,
        best=best,
        best_params=dict(best_trial.params),
        best_score=float(best_trial.value),
        scoring=scoring,
        n_trials=len(trials),
        n_complete=sum(t["state"] == "complete" for t in trials),
        search_seconds=search_seconds,
    )


def _best(study: Any, run_dir: Path) -> Any:
    """The best finished trial; RunError when none finished."""
    if _complete(study):
        return study.best_trial
    import optuna

    failed = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.FAIL,))
    reason = ""
    if failed:
        reason = f" (the last failed: {failed[-1].user_attrs.get('error') or 'see --debug'})"
    raise RunError(
        f"no trial finished all its folds within the budget{reason}; give a larger "
        f"--budget, or continue with logitlab tune --resume {run_dir} --budget ..."
    )


def _settings_of(trial: Any, base: RunSettings, space: _Space) -> RunSettings:
    """The settings a finished trial tried, from its parameters alone."""
    import optuna

    fixed = optuna.trial.FixedTrial(dict(trial.params))
    return _suggest(fixed, base, space)


def _trial_rows(study: Any) -> list[dict[str, Any]]:
    """Each trial as tune.json keeps it: number, state, score (a pruned trial's last
    running mean), seconds and parameters."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        score = t.value
        if score is None and t.intermediate_values:
            score = t.intermediate_values[max(t.intermediate_values)]
        seconds = None
        if t.datetime_start is not None and t.datetime_complete is not None:
            seconds = (t.datetime_complete - t.datetime_start).total_seconds()
        rows.append(
            {
                "number": t.number,
                "state": t.state.name.lower(),
                "score": None if score is None or not math.isfinite(score) else float(score),
                "folds": len(t.intermediate_values),
                "seconds": seconds,
                "params": dict(t.params),
            }
        )
    return rows


def _importances(study: Any, seed: int) -> dict[str, Any]:
    """Which parameters mattered (Optuna's fANOVA importance over the finished trials),
    or why it could not be measured."""
    import optuna

    complete = _complete(study)
    if len(complete) < 4:
        return {"values": None, "note": f"{len(complete)} finished trials: too few to tell"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = optuna.importance.get_param_importances(
                study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=seed)
            )
    except (RuntimeError, ValueError, ImportError, ZeroDivisionError) as exc:
        return {"values": None, "note": f"not measured: {' '.join(str(exc).split())}"}
    return {"values": {k: float(v) for k, v in values.items()}, "note": None}


def _plot_search(run_dir: Path, trials: list[dict[str, Any]], scoring: str, direction: str) -> None:
    """search.png: each trial's score (pruned ones at their last running mean) and the
    best so far."""
    from .report.plots import new_figure, save_png

    fig = new_figure()
    ax = fig.add_subplot()
    higher = direction == "maximize"
    best, xs, ys = None, [], []
    for state, marker, color in (("complete", "o", "C0"), ("pruned", "x", "C7")):
        pts = [
            (t["number"], t["score"])
            for t in trials
            if t["state"] == state and t["score"] is not None
        ]
        if pts:
            ax.scatter(*zip(*pts), marker=marker, color=color, label=f"{state} trial", zorder=3)
    for t in trials:
        if t["state"] == "complete" and t["score"] is not None:
            s = t["score"]
            best = s if best is None else (max(best, s) if higher else min(best, s))
        if best is not None:
            xs.append(t["number"])
            ys.append(best)
    if xs:
        ax.step(xs, ys, where="post", color="C3", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(f"cross-validated {scoring.replace('_', ' ')}")
    ax.set_title("Search")
    if trials:
        ax.legend(loc="best")
    save_png(fig, run_dir / SEARCH_PLOT)
