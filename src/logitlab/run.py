"""A run: its settings, its preprocessing, and train / evaluate / predict on a run folder.

Everything ``logitlab train``, ``evaluate`` and ``predict`` do lives here, usable from
Python; the command line only parses options and shows what a run reports.

- :class:`RunSettings`: everything ``settings.json`` holds (schema version
  :data:`SETTINGS_VERSION`); loading one validates every field and names the file and
  the field on error.
- :class:`Preprocessing`: what a model needs to read new data as it read its training
  data: the loader options, the image shape, the feature and class names and the
  standardisation statistics (fitted in chunks for streamed data).
- :func:`train_run`, :func:`resume_run`, :func:`evaluate_run`, :func:`predict_run`.

A run folder holds ``settings.json``, ``model.safetensors``, ``metrics.json``,
``history.csv``, the plots and ``report.html``; while training,
``checkpoint.safetensors``. The guarantees:

- a run writes only into its own folder, through temporary names renamed into place;
- an existing run folder is never mixed with a new run (``overwrite=True`` removes
  the old run's files first), and two processes never write one folder (a lock);
- Ctrl-C and SIGTERM keep the last complete checkpoint; ``resume_run`` refuses data
  that changed since then;
- resuming is exact: a checkpoint is the estimator after an iteration (epoch), holding
  the parameters, the history (and validation history) and the training state
  (:class:`~logitlab.numpy_engine.TrainState`: the optimiser's momentum or Adam's
  moments and step, the schedule's horizon and counters, the state of the generator
  that orders the mini-batches, the early-stopping and ``tol`` counters with the best
  parameters, the DataLoader seed), so ``resume_run`` ends with the parameters of the
  run left alone (to 1e-12 in the NumPy engine, 1e-6 in torch). Not for ``lbfgs``:
  SciPy's L-BFGS memory is not saved, and a resumed L-BFGS starts a fresh one from the
  checkpoint's parameters. ``n_iter_`` of a checkpoint counts the whole run's iterations
  and its ``max_iter`` is the run's total; a checkpoint written where training ended
  (last iteration, early stop) is finished without training;
- the model is saved before the plots and the report, so a failing plot never loses it;
- tables are matched to the model by column name and classes by name;
- under torchrun (WORLD_SIZE > 1) the ranks join the process group first and train one
  model on the torch engine; rank 0 alone writes the run folder; an error on a rank
  ends every rank with the same line naming it (``logitlab.torch_engine.distributed``).

Examples
--------
>>> import tempfile
>>> from logitlab.run import RunSettings, evaluate_run, train_run
>>> with tempfile.TemporaryDirectory() as tmp:
...     result = train_run(RunSettings(data="iris"), f"{tmp}/iris")
...     metrics = evaluate_run(f"{tmp}/iris", "iris")
>>> result.metrics["accuracy"] > 0.9, metrics["n_samples"]
(True, 150)
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import math
import os
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from ._atomic import atomic_write
from .data import (
    DataError,
    HDF5Rows,
    ImageFiles,
    LazyRows,
    LoadedData,
    align,
    load_source,
    shift_augment,
)
from .data import split as split_data
from .data.builtins import N_SHAPES, builtin_key
from .data.errors import check_memory
from .spec import (
    DEFAULT_MODEL,
    ENGINES,
    HIDDEN_ACTIVATIONS,
    LR_SCHEDULES,
    SOLVERS,
    TASKS,
    TASKS_OF_MODEL,
    THRESHOLD_SCORINGS,
    VALIDATION_SCORINGS,
)
from .spec import MODELS as SPEC_MODELS

__all__ = [
    "CHECKPOINT_FILE",
    "MODEL_FILE",
    "MODELS",
    "SETTINGS_FILE",
    "SETTINGS_VERSION",
    "Interrupted",
    "Preprocessing",
    "Progress",
    "RunError",
    "RunResult",
    "RunSettings",
    "build_estimator",
    "check_training_memory",
    "evaluate_run",
    "launch",
    "load_split",
    "predict_run",
    "read_settings_file",
    "rank_ending",
    "resume_run",
    "sigterm_as_interrupt",
    "train_run",
]

SETTINGS_VERSION = 1
SETTINGS_FILE = "settings.json"
MODEL_FILE = "model.safetensors"
CHECKPOINT_FILE = "checkpoint.safetensors"
METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.csv"
LOCK_FILE = ".logitlab.lock"
CHECKPOINT_SECONDS = 2.0
#: what ``logitlab tune`` keeps beside the run it trains (logitlab.tune): not a run's
#: files, so a new run or ``overwrite`` leaves them in place
TUNE_FILES = ("tune.db", "tune.json", "best.json", "search.png", ".tune.lock")
#: rows read, standardised and predicted at a time, so that streamed data stays bounded
CHUNK = 512

#: what ``model`` may be: ``auto`` (the task's default model) or one of spec.MODELS
MODELS = ("auto", *SPEC_MODELS)
_COLORS = ("rgb", "grayscale")
# the largest image side a model file may ask predict to resize to
_MAX_IMAGE_SIDE = 4096
# the most chains a run may ask for (each holds a model per label)
_MAX_CHAINS = 1000
# settings.json is a few hundred bytes; a larger one is not ours
_MAX_SETTINGS_BYTES = 1 << 20


class RunError(ValueError):
    """A run that cannot go on: a bad setting, a run folder in the way, data that does
    not fit the model. The message is one line naming the file, option or value."""


class Interrupted(Exception):
    """Ctrl-C or SIGTERM during a run; the message names what was kept."""


class _SingleProcess:
    """The ranks of a run in one process: what
    :class:`logitlab.torch_engine.distributed.Ranks` is under torchrun, for one rank."""

    rank, world = 0, 1

    def agree(self, fn: Callable[[], Any]) -> Any:
        return fn()

    def gather(self, fn: Callable[[], Any]) -> list[Any]:
        return [fn()]

    def gather_to_rank_0(self, fn: Callable[[], Any]) -> list[Any] | None:
        return [fn()]

    def collective(self, fn: Callable[[], Any]) -> Any:
        return fn()

    def leave(self, together: bool = True) -> None:
        pass


SINGLE_PROCESS = _SingleProcess()


# ------------------------------------------------------------------------- settings
def _is_builtin(src: str) -> bool:
    """Whether ``load_source`` reads ``src`` as a built-in data set's name."""
    return builtin_key(src) is not None


def _absolute(src: str | None) -> str | None:
    """A path made absolute (so that a run folder works from any directory); built-in
    names are kept as they are."""
    if src is None or _is_builtin(src):
        return src
    return str(Path(src).expanduser().absolute())


@dataclass(frozen=True)
class RunSettings:
    """Everything a training run is told: what ``settings.json`` holds.

    Parameters
    ----------
    data : str
        The training data: an image folder, ``.h5``, ``.csv``, ``.arff``, ``.npz`` or a
        built-in name (see :func:`logitlab.data.load_source`).
    test : str, optional
        Separate test data; else ``test_size`` of ``data`` is held out, stratified.
    test_size : float, default=0.2
    val : str, optional
        Validation data, read as ``test`` is (the same loader options, table columns
        and classes matched by name, standardised with the training statistics): its
        cost after every iteration is ``validation_history_``, and ``early_stopping``
        and the ``plateau`` schedule watch it instead of a share of the training set.
    size, color, positive, manifest, labels, x_key, y_key
        How to read the data, as :func:`~logitlab.data.load_source`'s options.
    model : {"auto", "logistic", "softmax", "one-vs-all", "multilabel", "mlp", "chains"}
        ``auto`` is logistic, softmax or multilabel, from the data; ``chains`` (multi-label
        data) is a :class:`~logitlab.ClassifierChainEnsemble` of ``chain_base`` models.
    chains : int, optional
        ``chains``: the number of chains (None: the estimator's default, 10).
    chain_base : {None, "logistic", "mlp"}
        ``chains``: the model of each label of each chain, built from the other options
        (``hidden``, ``activation``, ``dropout`` for ``mlp``); None is ``logistic``.
    threshold : float, "cv" or None
        Multi-label data: the probability above which a label is predicted, or "cv" to
        choose each label's by cross-validation on the training part; None: 0.5.
    threshold_scoring : {None, "hamming", "f1"}
        ``threshold="cv"``: what the thresholds optimise; None: Hamming loss.
    hidden : tuple of int, optional
        ``mlp``: the hidden layer sizes; by default `NeuralNetClassifier`'s.
    activation : {"relu", "tanh", "sigmoid"}
    solver, lr, epochs, batch_size, alpha, tol
        The estimator's ``solver``, ``learning_rate``, ``max_iter``, ``batch_size``,
        ``alpha`` and ``tol``; None keeps the estimator's default. ``lr="auto"`` finds
        the rate with a range test before training (gradient solvers, data in memory);
        the rate found is saved with the model, so a resumed run trains on with it.
    class_weight : {None, "balanced"}
        Single-label data: every class weighs as much in the cost (one-vs-all: each
        class as much as the rest).
    pos_weight : {None, "balanced"}
        Multi-label data: each label's positives weigh n_negatives / n_positives.
    lr_schedule, lr_decay, lr_step_size, lr_patience, validation_scoring
        The estimator's parameters of those names; None keeps its default.
    warmup : int, optional
        The estimator's ``warmup_iter``.
    dropout : float, optional
        ``mlp``: the network's ``dropout``.
    early_stopping : bool, optional
        None keeps the estimator's default (a network's "auto": on from 1000 training
        examples).
    standardize : bool, default=True
        Scale each feature to mean 0 and variance 1 with the training part's statistics
        (saved with the model); ``False`` trains on the features as read. Sparse data
        is divided by each feature's largest absolute value instead, never centred, so
        it stays sparse (:class:`Preprocessing`).
    augment_shift : int, default=0
        Images: also train on copies shifted by up to this many pixels.
    engine : {"auto", "numpy", "torch"}
        ``auto``: torch with CUDA or for large updates on a CPU, else NumPy
        (:func:`~logitlab.estimators.choose_engine`); the run shows which.
    device : str, default="auto"
    stream : bool
        Image folders with the torch engine: decode mini-batches from disk.
    workers : int
        ``stream``: processes decoding beside training.
    seed : int
        Seeds the split, the initialisation and the mini-batch order.

    Notes
    -----
    ``val``, ``class_weight``, ``pos_weight``, the learning-rate fields, ``warmup``,
    ``dropout`` and ``validation_scoring`` came after the first version-1 files: a
    ``settings.json`` without them reads as None (the estimators' defaults).

    Examples
    --------
    >>> s = RunSettings(data="iris", model="mlp", hidden=(8,))
    >>> RunSettings.from_dict(s.to_dict()) == s
    True
    >>> RunSettings.from_dict({"version": 1, "data": "iris", "epochs": 0})
    Traceback (most recent call last):
    ...
    logitlab.run.RunError: settings: field 'epochs' must be an integer >= 1, got 0
    """

    data: str
    test: str | None = None
    test_size: float = 0.2
    val: str | None = None
    size: int = 64
    color: str = "rgb"
    positive: str | None = None
    manifest: str | None = None
    labels: str | None = None
    x_key: str | None = None
    y_key: str | None = None
    model: str = "auto"
    hidden: tuple[int, ...] = field(default_factory=lambda: _default_hidden())
    activation: str = "relu"
    solver: str | None = None
    lr: float | str | None = None
    epochs: int | None = None
    batch_size: int | None = None
    alpha: float | None = None
    tol: float | None = None
    class_weight: str | None = None
    pos_weight: str | None = None
    lr_schedule: str | None = None
    lr_decay: float | None = None
    lr_step_size: int | None = None
    lr_patience: int | None = None
    warmup: int | None = None
    dropout: float | None = None
    validation_scoring: str | None = None
    chains: int | None = None
    chain_base: str | None = None
    threshold: float | str | None = None
    threshold_scoring: str | None = None
    early_stopping: bool | None = None
    standardize: bool = True
    augment_shift: int = 0
    engine: str = "auto"
    device: str = "auto"
    stream: bool = False
    workers: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.hidden, list):
            object.__setattr__(self, "hidden", tuple(self.hidden))
        for f in fields(self):
            _check_field(f.name, getattr(self, f.name), "settings")

    # ------------------------------------------------------------------ files
    def to_dict(self) -> dict[str, Any]:
        """The JSON form, with the schema ``version``."""
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return {"version": SETTINGS_VERSION, **d}

    @classmethod
    def from_dict(cls, d: Any, where: str = "settings") -> RunSettings:
        """Settings from their JSON form; every field is checked, errors name it."""
        d = _checked_settings(d, where, legacy=True)
        if "data" not in d:
            raise RunError(f"{where}: the field 'data' is missing")
        return cls(**d)

    @classmethod
    def load(cls, run_dir: str | os.PathLike[str]) -> RunSettings:
        """The settings of the run in ``run_dir`` (its ``settings.json``)."""
        path = Path(run_dir) / SETTINGS_FILE
        if not path.is_file():
            raise RunError(
                f"{path}: no settings (was {str(run_dir)!r} written by 'logitlab train'?)"
            )
        if path.stat().st_size > _MAX_SETTINGS_BYTES:
            raise RunError(f"{path}: {path.stat().st_size:,} bytes is not a settings file")
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, RecursionError, json.JSONDecodeError) as exc:
            raise RunError(f"{path}: cannot read the settings: {exc}") from None
        return cls.from_dict(d, where=str(path))

    def absolute(self) -> RunSettings:
        """These settings with every path made absolute (built-in names kept)."""
        return replace(
            self,
            data=_absolute(self.data) or self.data,
            test=_absolute(self.test),
            val=_absolute(self.val),
            manifest=_absolute(self.manifest),
        )

    def loader(self) -> dict[str, Any]:
        """The options of :func:`~logitlab.data.load_source`."""
        return {
            "size": self.size,
            "color": self.color,
            "positive": self.positive,
            "manifest": self.manifest,
            "labels": self.labels,
            "x_key": self.x_key,
            "y_key": self.y_key,
        }

    def shown(self) -> dict[str, Any]:
        """The settings worth showing in a report: defaults that did nothing left out."""
        d = {k: v for k, v in asdict(self).items() if v is not None}
        d["hidden"] = ",".join(map(str, self.hidden))
        for k in ("augment_shift", "stream", "workers"):
            if not d.get(k):
                d.pop(k, None)
        if self.test:
            d.pop("test_size", None)  # not used: the test set is its own file
        return d


def _legacy_settings(d: dict[str, Any]) -> dict[str, Any]:
    """settings.json as logitlab 0.1 wrote it (click's parameters) -> version 1."""
    out: dict[str, Any] = {}
    renames = {"data_src": "data", "test_src": "test"}
    for key, value in d.items():
        if key in ("out", "resume", "overwrite"):
            continue  # where a run is, is where its settings.json is
        key = renames.get(key, key)
        if key == "hidden" and isinstance(value, str):
            try:
                value = [int(h) for h in value.split(",") if h.strip()]
            except ValueError:
                pass  # _check_field names it
        if value is None and key in ("size", "color"):
            continue
        out[key] = value
    return out


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_real(v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) and math.isfinite(v)


def _check_field(name: str, value: Any, where: str) -> None:
    """Raise RunError naming ``where`` and the field when ``value`` is not valid."""

    def bad(expected: str) -> RunError:
        return RunError(f"{where}: field {name!r} must be {expected}, got {value!r}")

    optional_str = ("test", "val", "positive", "manifest", "labels", "x_key", "y_key")
    choices: dict[str, Sequence[Any]] = {
        "model": MODELS,
        "activation": HIDDEN_ACTIVATIONS,
        "solver": (None, *SOLVERS),
        "engine": ENGINES,
        "color": _COLORS,
        "class_weight": (None, "balanced"),
        "pos_weight": (None, "balanced"),
        "lr_schedule": (None, *LR_SCHEDULES),
        "validation_scoring": (None, *VALIDATION_SCORINGS),
        "chain_base": (None, "logistic", "mlp"),
        "threshold_scoring": (None, *THRESHOLD_SCORINGS),
    }
    if name == "data":
        if not isinstance(value, str) or not value.strip():
            raise bad("a path or a built-in name")
    elif name in optional_str:
        if value is not None and (not isinstance(value, str) or not value):
            raise bad("a non-empty string or null")
    elif name in choices:
        if value not in choices[name]:
            raise bad("one of " + ", ".join(repr(c) for c in choices[name]))
    elif name == "device":
        if not isinstance(value, str) or not value:
            raise bad("'auto', 'cpu', 'cuda' or 'cuda:N'")
    elif name == "test_size":
        if not _is_real(value) or not 0 < value < 1:
            raise bad("a number between 0 and 1")
    elif name == "size":
        if not _is_int(value) or not 1 <= value <= _MAX_IMAGE_SIDE:
            raise bad(f"an integer from 1 to {_MAX_IMAGE_SIDE}")
    elif name == "hidden":
        if (
            not isinstance(value, (list, tuple))
            or not value
            or not all(_is_int(h) and h >= 1 for h in value)
        ):
            raise bad("a list of positive integers")
    elif name in ("epochs", "batch_size", "lr_step_size", "lr_patience"):
        if value is not None and (not _is_int(value) or value < 1):
            raise bad("an integer >= 1")
    elif name == "warmup":
        if value is not None and (not _is_int(value) or value < 0):
            raise bad("an integer >= 0")
    elif name == "lr_decay":
        if value is not None and (not _is_real(value) or not 0 < value <= 1):
            raise bad("a number > 0 and <= 1")
    elif name == "dropout":
        if value is not None and (not _is_real(value) or not 0 <= value < 1):
            raise bad("a number >= 0 and < 1")
    elif name == "chains":
        if value is not None and (not _is_int(value) or not 1 <= value <= _MAX_CHAINS):
            raise bad(f"an integer from 1 to {_MAX_CHAINS}")
    elif name == "threshold":
        if value is not None and value != "cv" and (not _is_real(value) or not 0 <= value <= 1):
            raise bad("a number from 0 to 1 or 'cv'")
    elif name == "lr":
        if value is not None and value != "auto" and (not _is_real(value) or value <= 0):
            raise bad("a number > 0 or 'auto'")
    elif name in ("alpha", "tol"):
        if value is not None and (not _is_real(value) or value < 0):
            raise bad("a number >= 0")
    elif name in ("standardize", "stream"):
        if not isinstance(value, bool):
            raise bad("true or false")
    elif name == "early_stopping":
        if value is not None and not isinstance(value, bool):
            raise bad("true, false or null")
    elif name in ("augment_shift", "workers"):
        if not _is_int(value) or value < 0:
            raise bad("an integer >= 0")
    elif name == "seed":
        if not _is_int(value):
            raise bad("an integer")


#: limits of a settings file given to ``logitlab train --settings``: a file from someone
#: else must not make a run allocate without bound before the memory check sees it
SETTINGS_FILE_LIMITS = {"hidden_units": 1 << 16, "hidden_layers": 64, "epochs": 10**6}


def read_settings_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The settings a JSON file gives (``best.json`` of ``logitlab tune``, or a run's
    ``settings.json``): any subset of :class:`RunSettings`' fields, each checked.

    Returns
    -------
    dict
        Field name → value (``hidden`` as a tuple), without ``version``; the fields the
        file leaves out are absent, so that other values can fill them.

    Raises
    ------
    RunError
        One line naming the file and the problem: not a JSON object, an unknown field
        or schema version, a value of the wrong type, or a size beyond
        :data:`SETTINGS_FILE_LIMITS` (checked before anything is allocated).

    Examples
    --------
    >>> import json, tempfile
    >>> with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    ...     json.dump({"model": "mlp", "hidden": [10**9]}, f)
    >>> read_settings_file(f.name)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    logitlab.run.RunError: ...: field 'hidden' asks for 1000000000 units in a layer; at most 65536
    """
    path = Path(path)
    try:
        if not path.is_file():
            raise RunError(f"{path}: no such settings file")
        if path.stat().st_size > _MAX_SETTINGS_BYTES:
            raise RunError(f"{path}: {path.stat().st_size:,} bytes is not a settings file")
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, RecursionError, json.JSONDecodeError) as exc:
        raise RunError(f"{path}: cannot read the settings: {' '.join(str(exc).split())}") from None
    where = str(path)
    d = _checked_settings(d, where, legacy=False)
    limits = SETTINGS_FILE_LIMITS
    hidden = d.get("hidden", ())
    if len(hidden) > limits["hidden_layers"]:
        raise RunError(
            f"{where}: field 'hidden' asks for {len(hidden)} layers; at most "
            f"{limits['hidden_layers']}"
        )
    if hidden and max(hidden) > limits["hidden_units"]:
        raise RunError(
            f"{where}: field 'hidden' asks for {max(hidden)} units in a layer; at most "
            f"{limits['hidden_units']}"
        )
    for name in ("epochs", "lr_step_size", "lr_patience", "warmup"):
        if d.get(name) is not None and d[name] > limits["epochs"]:
            raise RunError(f"{where}: field {name!r} is {d[name]}; at most {limits['epochs']}")
    return d


def _checked_settings(d: Any, where: str, legacy: bool) -> dict[str, Any]:
    """The fields of settings in their JSON form, each checked (``hidden`` as a
    tuple): a JSON object of this schema version (without one: logitlab 0.1's form
    where ``legacy``, else this version) and known fields only."""
    if not isinstance(d, dict):
        raise RunError(f"{where}: expected a JSON object, got {type(d).__name__}")
    d = dict(d)
    version = d.pop("version", None if legacy else SETTINGS_VERSION)
    if version is None:
        d = _legacy_settings(d)
    elif version != SETTINGS_VERSION:
        raise RunError(
            f"{where}: schema version {version!r}; this logitlab reads version {SETTINGS_VERSION}"
        )
    known = {f.name for f in fields(RunSettings)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise RunError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}")
    for name, value in d.items():
        _check_field(name, value, where)
    if "hidden" in d:
        d["hidden"] = tuple(d["hidden"])
    return d


# -------------------------------------------------------------------- preprocessing
@dataclass
class Preprocessing:
    """How a model reads data: what ``model.safetensors`` keeps beside the network.

    Attributes
    ----------
    task : {"binary", "multiclass", "multilabel"}
    class_names : list of str
        The name of each class (or label) in the model's output order.
    n_features : int
    feature_names : list of str or None
        Table columns, in the model's order; None for images and arrays.
    image_shape : tuple of int or None
        ``(H, W, C)`` when each row is an unrolled image.
    loader : dict
        The loader options the training data was read with (size, color, positive,
        labels, x_key, y_key).
    mean, scale : ndarray of shape (n_features,) or None
        Standardisation statistics of the training set (``x' = (x − mean) / scale``).
        For sparse training data (a CSR matrix, e.g. from a sparse ARFF file)
        ``mean`` is 0 and ``scale`` the largest absolute value of each feature in the
        training set (1 where it is always 0), as scikit-learn's ``MaxAbsScaler``:
        centring would make every zero non-zero, and dividing by the standard
        deviation would multiply a word seen in one document of 5000 by about 70,
        more than the L2 penalty holds back (on `bench/bench_sparse.py`'s set it
        raised the test Hamming loss from 0.0147 to 0.0157). Binary features are
        left as they are.
    fingerprint : str or None
        SHA-256 of the training data (rows, labels, names); a resumed run must match.
    validation_fingerprint : str or None
        The same of the validation data (``--val``), when there is one.

    Examples
    --------
    >>> import numpy as np
    >>> pre = Preprocessing("binary", ["no", "yes"], 2, mean=np.array([1.0, 2.0]),
    ...                     scale=np.array([2.0, 4.0]))
    >>> pre.apply(np.array([[3.0, 2.0]]))
    array([[1., 0.]])
    >>> Preprocessing.from_dict(pre.to_dict(), n_features=2, n_outputs=2).scale
    array([2., 4.])
    """

    task: str
    class_names: list[str]
    n_features: int
    feature_names: list[str] | None = None
    image_shape: tuple[int, ...] | None = None
    loader: dict[str, Any] = field(default_factory=dict)
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    fingerprint: str | None = None
    validation_fingerprint: str | None = None

    @classmethod
    def fit(
        cls,
        data: LoadedData,
        train: LoadedData,
        *,
        standardize: bool,
        loader: dict[str, Any],
        validation: LoadedData | None = None,
        ranks: Any = None,
    ) -> Preprocessing:
        """The preprocessing of a run on ``data``, with statistics from ``train`` (and
        the fingerprint of the ``validation`` data).

        Under torchrun, ``ranks`` (:class:`logitlab.torch_engine.distributed.Ranks`)
        shares the reading of streamed rows: each rank reads every ``world``-th chunk
        and the statistics are combined, the same on every rank and, to rounding
        (~1e-15), those of one process. Every rank must call it."""
        ranks = ranks if ranks is not None else SINGLE_PROCESS
        shared = standardize and isinstance(train.X, LazyRows) and not sp.issparse(train.X)
        shared = shared and ranks.world > 1

        def local() -> Preprocessing:
            """All but the statistics that the ranks share."""
            kept = {k: v for k, v in loader.items() if k != "manifest" and v is not None}
            if isinstance(data.options.get("labels"), list):  # a table's label columns
                kept["labels"] = list(data.options["labels"])
            pre = cls(
                task=data.task,
                class_names=[str(c) for c in data.class_names],
                n_features=int(data.n_features),
                feature_names=None if data.feature_names is None else list(data.feature_names),
                image_shape=tuple(data.image_shape) if data.image_shape else None,
                loader=kept,
            )
            if standardize and sp.issparse(train.X):  # scaled, not centred: stays sparse
                from sklearn.preprocessing import MaxAbsScaler

                pre.mean = np.zeros(pre.n_features)
                pre.scale = np.asarray(MaxAbsScaler().fit(train.X).scale_, dtype=np.float64)
            elif standardize and not shared:
                from sklearn.preprocessing import StandardScaler

                scaler = StandardScaler()
                if isinstance(train.X, LazyRows):  # one chunk at a time: bounded memory
                    for rows in _chunks(train.X):
                        scaler.partial_fit(rows)
                else:  # in one go, to the last bit as scikit-learn fits it
                    scaler.fit(train.X)
                pre.mean, pre.scale = scaler.mean_, scaler.scale_
            pre.fingerprint = _fingerprint(train)
            if validation is not None:
                pre.validation_fingerprint = _fingerprint(validation)
            return pre

        pre: Preprocessing = ranks.agree(local)
        if shared:  # each rank reads its chunks; every rank combines the same parts
            parts = ranks.gather(lambda: _scaler_statistics(train.X, ranks.rank, ranks.world))
            pre.mean, pre.scale = _combined_scale(parts)
        return pre

    def apply(self, X: Any) -> Any:
        """The training set's standardisation (when it was used), in float64.

        A sparse ``X`` stays a CSR matrix (a scaled copy) when the mean is 0, as it
        is for a model trained on sparse data; otherwise it is made dense, as
        centring would make it (predict does so a chunk of rows at a time)."""
        if sp.issparse(X):
            X = sp.csr_matrix(X, dtype=np.float64)
            if self.mean is None or self.scale is None:
                return X
            if not np.any(self.mean):
                X = X.copy()
                X.data /= self.scale[X.indices]  # as (x − 0) / scale, bit for bit
                return X
            X = X.toarray()
        X = np.asarray(X, dtype=np.float64)
        if self.mean is not None and self.scale is not None:
            X = (X - self.mean) / self.scale
        return X

    def to_dict(self) -> dict[str, Any]:
        """The form :func:`~logitlab.io.save_model` keeps as ``preprocessing``."""
        d: dict[str, Any] = {
            "task": self.task,
            "class_names": list(self.class_names),
            "feature_names": self.feature_names,
            "image_shape": list(self.image_shape) if self.image_shape else None,
            "loader": dict(self.loader),
            "fingerprint": self.fingerprint,
            "validation_fingerprint": self.validation_fingerprint,
        }
        if self.mean is not None:
            d["mean"], d["scale"] = self.mean, self.scale
        return d

    @classmethod
    def from_dict(
        cls, d: Any, *, n_features: int, n_outputs: int, where: str = "model file"
    ) -> Preprocessing:
        """Read and check what :meth:`to_dict` wrote; every size is checked against the
        model's ``n_features`` and number of outputs, so a crafted file cannot ask for
        more than the model it holds."""

        def bad(what: str) -> RunError:
            return RunError(f"{where}: preprocessing {what}")

        if not isinstance(d, dict):
            raise bad("is not a dictionary")
        task = d.get("task")
        if task not in TASKS:
            raise bad(f"task {task!r} is not one of {', '.join(TASKS)}")
        names = d.get("class_names")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise bad("class_names is not a list of names")
        if len(names) != n_outputs:
            raise bad(f"names {len(names)} classes, but the model has {n_outputs}")
        features = d.get("feature_names")
        if features is not None:
            if not isinstance(features, list) or not all(isinstance(n, str) for n in features):
                raise bad("feature_names is not a list of names")
            if len(features) != n_features:
                raise bad(f"names {len(features)} features, the model has {n_features}")
        shape = d.get("image_shape")
        if shape is not None:
            if (
                not isinstance(shape, (list, tuple))
                or len(shape) != 3
                or not all(_is_int(s) and s >= 1 for s in shape)
            ):
                raise bad(f"image_shape {shape!r} is not (height, width, channels)")
            if math.prod(shape) != n_features:
                raise bad(f"image_shape {tuple(shape)} does not make {n_features} features")
            shape = tuple(int(s) for s in shape)
        loader = d.get("loader", {})
        if not isinstance(loader, dict):
            raise bad("loader is not a dictionary")
        for key, value in loader.items():
            if key not in ("size", "color", "positive", "labels", "x_key", "y_key"):
                raise bad(f"loader option {key!r} is unknown")
            if key == "labels" and isinstance(value, list):  # label columns by name
                if not value or not all(isinstance(v, str) and v for v in value):
                    raise bad("loader labels is not a list of column names")
                continue
            _check_field(key, value, f"{where}: preprocessing loader")
        mean, scale = d.get("mean"), d.get("scale")
        if (mean is None) != (scale is None):
            raise bad("has a mean without a scale, or a scale without a mean")
        if mean is not None:
            for name, arr in (("mean", mean), ("scale", scale)):
                if not isinstance(arr, np.ndarray) or arr.shape != (n_features,):
                    got = getattr(arr, "shape", type(arr).__name__)
                    raise bad(f"{name} has shape {got}, the model has {n_features} features")
                if arr.dtype.kind != "f" or not np.all(np.isfinite(arr)):
                    raise bad(f"{name} holds values that are not finite numbers")
            if np.any(scale <= 0):
                raise bad("scale holds values <= 0")
        fingerprint = d.get("fingerprint")
        validation_fingerprint = d.get("validation_fingerprint")
        for name, value in (
            ("fingerprint", fingerprint),
            ("validation_fingerprint", validation_fingerprint),
        ):
            if value is not None and not isinstance(value, str):
                raise bad(f"{name} is not a string")
        return cls(
            task=task,
            class_names=list(names),
            n_features=n_features,
            feature_names=features,
            image_shape=shape,
            loader=dict(loader),
            mean=None if mean is None else np.asarray(mean, dtype=np.float64),
            scale=None if scale is None else np.asarray(scale, dtype=np.float64),
            fingerprint=fingerprint,
            validation_fingerprint=validation_fingerprint,
        )

    def match(self, data: LoadedData) -> LoadedData:
        """``data`` re-expressed in the model's terms: table columns put in the model's
        order by name, classes (or labels) numbered as the model numbers them.

        Raises
        ------
        RunError
            A column the model needs is missing or one it never saw is present; a
            class or label the model never saw; another number of features.
        """
        like = LoadedData(
            X=np.empty((0, self.n_features)),
            y=np.empty(0, dtype=np.intp),
            task=self.task,
            class_names=list(self.class_names),
            feature_names=self.feature_names,
            image_shape=self.image_shape,
            source="the model",
        )
        try:
            return align(data, like)  # columns by name (match_columns), then classes
        except DataError as exc:
            raise RunError(str(exc)) from None


def _chunks(X: Any, rank: int = 0, world: int = 1) -> Iterator[Any]:
    """The rows of X (an array, a CSR matrix or ImageFiles) in float64 chunks of CHUNK
    (a CSR matrix's stay sparse); with ``world`` > 1, this ``rank``'s share of them,
    chunks rank, rank + world, ... (the chunks of one process, dealt out)."""
    for i in range(rank * CHUNK, X.shape[0], world * CHUNK):
        if sp.issparse(X):
            yield sp.csr_matrix(X[i : i + CHUNK], dtype=np.float64)
        else:
            yield np.asarray(X[i : i + CHUNK], dtype=np.float64)


def _scaler_statistics(X: Any, rank: int, world: int) -> tuple[int, np.ndarray, np.ndarray]:
    """(n, mean, variance) of this rank's chunks of X, as StandardScaler fits them."""
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler()
    n = 0
    for rows in _chunks(X, rank, world):
        scaler.partial_fit(rows)
        n += rows.shape[0]
    if n == 0:  # more ranks than chunks: this one has none
        zeros = np.zeros(X.shape[1])
        return 0, zeros, zeros
    return n, np.asarray(scaler.mean_), np.asarray(scaler.var_)


def _combined_scale(parts: Sequence[tuple[int, np.ndarray, np.ndarray]]) -> tuple[Any, Any]:
    """The mean and scale of the union of the ranks' rows from each rank's (n, mean,
    variance): Chan, Golub and LeVeque's pairwise update, in rank order (so every rank
    gets the same bits), then StandardScaler's rule for constant features."""
    n, mean, m2 = 0, np.zeros_like(parts[0][1]), np.zeros_like(parts[0][1])
    for n_r, mean_r, var_r in parts:
        if n_r == 0:
            continue
        total = n + n_r
        delta = mean_r - mean
        mean = mean + delta * (n_r / total)
        m2 = m2 + var_r * n_r + delta**2 * (n * n_r / total)
        n = total
    var = m2 / n
    # scikit-learn's _is_constant_feature: a variance within rounding of 0 scales by 1
    eps = np.finfo(np.float64).eps
    constant = var <= n * eps * var + (n * mean * eps) ** 2
    scale = np.sqrt(var)
    scale[constant] = 1.0
    return mean, scale


def _fingerprint(train: LoadedData) -> str:
    """SHA-256 of what training sees: names, labels and rows (for images on disk, each
    file's name, size and modification time, so the photos are not decoded again)."""
    h = hashlib.sha256(b"logitlab data fingerprint 1")

    def part(b: bytes) -> None:
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)

    part(json.dumps([train.task, list(train.class_names), train.feature_names]).encode())
    part(np.ascontiguousarray(train.y, dtype=np.int64).tobytes())
    if isinstance(train.X, ImageFiles):
        for f in train.X.files:
            st = os.stat(f)
            part(f"{f}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    elif isinstance(train.X, HDF5Rows):
        st = os.stat(train.X.path)
        part(f"{train.X.path}\0{train.X.x_key}\0{st.st_size}\0{st.st_mtime_ns}".encode())
        part(json.dumps(list(train.X.shape)).encode())
    elif isinstance(train.X, LazyRows):
        for rows in _chunks(train.X):
            part(rows.tobytes())
    elif sp.issparse(train.X):  # its non-zeros: the same matrix gives the same bytes
        X = sp.csr_matrix(train.X, dtype=np.float64)
        X = X if X.has_canonical_format else X.copy()
        X.sum_duplicates()
        part(json.dumps(["csr", *X.shape]).encode())
        for a in (X.indptr.astype(np.int64), X.indices.astype(np.int64), X.data):
            part(np.ascontiguousarray(a).tobytes())
    else:
        part(np.ascontiguousarray(train.X, dtype=np.float64).tobytes())
    return h.hexdigest()


# ------------------------------------------------------------------------ progress
class Progress:
    """What a run tells its user. This one says nothing; the command line shows it
    with rich (a skorch-like split: the run does the work, the display only shows)."""

    def info(self, text: str) -> None:
        """A line of information."""

    def warning(self, text: str) -> None:
        """Something the user should act on (e.g. training that failed to learn)."""

    def start(self, total: int | None, done: int) -> None:
        """Training starts: ``total`` iterations in all, ``done`` of them already."""

    def update(self, done: int, cost: float, validation_cost: float | None = None) -> None:
        """``done`` iterations are done; the last cost was ``cost`` (and the validation
        set's, when there is one, ``validation_cost``)."""

    def stop(self) -> None:
        """Training has ended (or was interrupted)."""


@dataclass
class RunResult:
    """What :func:`train_run` produced."""

    run_dir: Path
    estimator: Any
    metrics: dict[str, Any]
    warnings: list[str]
    files: list[str]


# ---------------------------------------------------------------------- run folder
_RUN_FILES = (SETTINGS_FILE, MODEL_FILE, CHECKPOINT_FILE, METRICS_FILE, HISTORY_FILE)


@contextlib.contextmanager
def _locked(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir``'s lock: a second process writing the same run is refused. The
    lock is the kernel's (flock): a killed process never leaves it held."""
    import fcntl

    path = run_dir / LOCK_FILE
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        raise RunError(f"{path}: cannot open the run's lock file ({exc.strerror})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError(
                f"{run_dir}: another logitlab process is writing this run folder (it holds "
                f"{path}); wait for it, or choose another --out"
            ) from None
        yield
    finally:
        os.close(fd)


def _prepare_folder(run_dir: Path, overwrite: bool) -> None:
    """Make ``run_dir`` ready for a new run: new or empty, or (with ``overwrite``) an
    old run folder whose run files are removed first. Called with the lock held."""
    present = [p.name for p in run_dir.iterdir() if p.name not in (LOCK_FILE, *TUNE_FILES)]
    if not present:
        return
    runs = [n for n in present if n in (SETTINGS_FILE, MODEL_FILE, CHECKPOINT_FILE)]
    if not runs:
        raise RunError(
            f"{run_dir} is not empty ({', '.join(sorted(present)[:3])}"
            f"{', ...' if len(present) > 3 else ''}) and holds no logitlab run; give "
            "--out a new or empty folder"
        )
    if not overwrite:
        raise RunError(
            f"{run_dir} already holds a run ({', '.join(sorted(runs))}); continue it with "
            "--resume, or replace it with --overwrite"
        )
    from .report.html import REPORT_FILE
    from .report.plots import PLOT_FILES

    written = {*_RUN_FILES, REPORT_FILE, *PLOT_FILES.values()}  # all a run may write
    for name in present:
        if name in written or (name.startswith(".") and name.endswith(".tmp")):
            (run_dir / name).unlink()


def _remove_stale_temporaries(run_dir: Path) -> None:
    """Temporary files a hard-killed run left behind (their names start with '.')."""
    for p in run_dir.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            p.unlink()


def _inside(child: Path, parent: Path) -> bool:
    child, parent = child.resolve(), parent.resolve()
    return child == parent or parent in child.parents


def _check_out_is_not_data(settings: RunSettings, run_dir: Path) -> None:
    for name, src in (
        ("--data", settings.data),
        ("--test", settings.test),
        ("--val", settings.val),
    ):
        if src is None or _is_builtin(src):
            continue
        folder = Path(src)
        if folder.is_dir() and _inside(run_dir, folder):
            raise RunError(
                f"the run folder {run_dir} is inside the {name} folder {src}: its plots "
                "would be read as training images next time; put the run elsewhere"
            )


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops a run as Ctrl-C does (last checkpoint kept, temporaries removed).
    Under torchrun, a rank stopped this way, or ending with an error, then ignores
    SIGTERM (:func:`rank_ending`)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    torchrun = int(os.environ.get("WORLD_SIZE", "1") or 1) > 1

    def handler(signum: int, frame: Any) -> None:
        if torchrun:
            rank_ending()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    except BaseException:
        if torchrun:
            rank_ending()
        else:
            signal.signal(signal.SIGTERM, previous)
        raise
    signal.signal(signal.SIGTERM, previous)


def rank_ending() -> None:
    """A rank of a torchrun job that is ending (stopped, or with its own error) ignores
    SIGTERM from now on. torchrun's agent sends SIGTERM to every rank once one has
    ended, more than once (as it stops the workers and then itself). Under the default
    action, or an interrupt raised while it unwinds, the rank would die silently or end
    with a bare "interrupted" instead of printing its own line."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


# ---------------------------------------------------------------- memory estimates
def _check_memory(need: int, what: str) -> None:
    """Refuse, in one line naming the option, an allocation larger than the memory
    available."""
    check_memory(need, what, advice="ask for less")


def check_training_memory(settings: RunSettings, data: LoadedData) -> None:
    """Check the arrays training will allocate against the memory available, naming
    the option that asks for them, before anything is decoded or copied."""
    n_rows, n_x = data.n_samples, data.n_features
    if not settings.stream and (isinstance(data.X, LazyRows) or settings.augment_shift):
        copies = (2 * settings.augment_shift + 1) ** 2 if settings.augment_shift else 1
        rows = n_rows * (copies + (1 if copies > 1 else 0))
        if settings.augment_shift:
            what = f"--augment-shift {settings.augment_shift} (at --size {settings.size})"
        elif isinstance(data.X, ImageFiles):
            what = f"--size {settings.size}"
        else:
            what = f"reading {data.source} whole (--stream reads it batch by batch)"
        _check_memory(rows * n_x * 8, f"{what}: {rows:,} rows of {n_x:,} features")
    if sp.issparse(data.X) and settings.standardize:
        # the scaled copy training reads (Preprocessing.apply): its non-zeros and rows
        nnz = int(data.X.nnz)
        _check_memory(
            nnz * (8 + 4) + (n_rows + 1) * 8,
            f"--standardize: a scaled copy of the sparse features ({nnz:,} non-zeros)",
        )
    if settings.model == "mlp":
        n_out = 1 if data.task == "binary" else len(data.class_names)
        sizes = [n_x, *settings.hidden, n_out]
        n_params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
        batch = settings.batch_size or n_rows
        # θ, its gradient and the solver's state (Adam: 2 more), and each layer's Z, A
        # and dZ for one batch
        activations = 3 * batch * sum(sizes[1:])
        _check_memory(
            8 * (5 * n_params + activations),
            f"--hidden {','.join(map(str, settings.hidden))} ({n_params:,} parameters)",
        )


# ---------------------------------------------------------------------- estimators
def _default_hidden() -> tuple[int, ...]:
    """`NeuralNetClassifier`'s default hidden layer sizes: one default, kept there."""
    from . import NeuralNetClassifier

    return tuple(NeuralNetClassifier().hidden_layer_sizes)


def _model_class(model: str) -> Any:
    """The estimator class of ``--model`` (one-vs-all: the class of its C models; auto:
    that of the linear models it picks, which share their defaults)."""
    from . import LogisticRegression, MultiLabelClassifier, NeuralNetClassifier, SoftmaxRegression

    return {
        "mlp": NeuralNetClassifier,
        "softmax": SoftmaxRegression,
        "multilabel": MultiLabelClassifier,
    }.get(model, LogisticRegression)


def _base_model(settings: RunSettings, model: str) -> str:
    """The model each sub-model is: for ``chains`` its ``--chain-base``, else ``model``."""
    if model == "chains":
        return settings.chain_base or "logistic"
    return model


def _solver_of(settings: RunSettings, model: str) -> str:
    """The solver a run trains with: ``--solver``, else adam when streaming (the
    full-batch default, lbfgs, needs X in memory), else the estimator's default."""
    if settings.solver is not None:
        return settings.solver
    if settings.stream:
        return "adam"
    solver: str = _model_class(_base_model(settings, model))().solver
    return solver


def _check_options(
    settings: RunSettings, task: str | None = None, source: str | None = None
) -> None:
    """Refuse, in one line naming the option, training options that cannot apply to
    these settings (or, given ``task``, to these data) before anything is trained:
    options that would do nothing, or that the estimator would refuse mid-run."""
    model = settings.model
    if model == "auto" and task is not None:
        model = DEFAULT_MODEL[task]
    named = f"--model {model}" if model != "auto" else "the linear model --model auto picks"
    schedule = settings.lr_schedule or "constant"
    for option, value, schedules in (
        ("--lr-decay", settings.lr_decay, ("step", "plateau")),
        ("--lr-step-size", settings.lr_step_size, ("step",)),
        ("--lr-patience", settings.lr_patience, ("plateau",)),
    ):
        if value is not None and schedule not in schedules:
            raise RunError(
                f"{option} applies to --lr-schedule {' or '.join(schedules)}, and the "
                f"schedule is {schedule}: add --lr-schedule {schedules[0]}, or leave "
                f"{option} out"
            )
    base = _base_model(settings, model)
    if settings.dropout and base != "mlp":
        raise RunError(f"--dropout drops hidden units, and {named} has none: use --model mlp")
    for option, value in (("--chains", settings.chains), ("--chain-base", settings.chain_base)):
        if value is not None and model != "chains":
            raise RunError(f"{option} sets up classifier chains: add --model chains")
    if model == "chains" and settings.pos_weight is not None:
        raise RunError(
            "--pos-weight weighs the labels of one multi-label model, and --model chains "
            "trains a binary model per label: leave --pos-weight out"
        )
    if settings.threshold_scoring is not None and settings.threshold != "cv":
        raise RunError("--threshold-scoring says what --threshold cv optimises: add --threshold cv")
    solver = _solver_of(settings, model)
    _check_lr_auto(settings, solver, named)
    if solver == "lbfgs":  # no steps: no learning rate, no mini-batches
        needs_steps = [
            option
            for option, on in (
                (f"--lr-schedule {schedule}", schedule != "constant"),
                ("--warmup", bool(settings.warmup)),
                ("--dropout", bool(settings.dropout)),
            )
            if on
        ]
        if needs_steps:
            how = "--solver lbfgs" if settings.solver else f"{named} trains with lbfgs, which"
            raise RunError(
                f"{', '.join(needs_steps)} {'acts' if len(needs_steps) == 1 else 'act'} on "
                f"the steps of a gradient solver, and {how} "
                "has no learning rate and no mini-batches: add --solver adam (or gd, sgd, "
                "momentum)"
            )
    if settings.validation_scoring is not None and not (settings.val or settings.early_stopping):
        raise RunError(
            "--validation-scoring scores a validation set, and there is none: add --val SRC "
            "or --early-stopping"
        )
    if settings.stream and settings.early_stopping and settings.val is None:
        raise RunError(
            "--early-stopping with --stream watches a validation set read from disk, not a "
            "share of the training set: add --val SRC"
        )
    if settings.val is not None and model in ("one-vs-all", "chains"):
        what = "class" if model == "one-vs-all" else "label of each chain"
        instead = "softmax or mlp" if model == "one-vs-all" else "multilabel or mlp"
        raise RunError(
            f"--val: --model {model} trains one model per {what}, with no single "
            f"validation cost; use --model {instead}, or leave --val out"
        )
    if task is None:
        return
    data = source or "the data"
    if settings.class_weight is not None and task == "multilabel":
        raise RunError(
            f"--class-weight weighs the classes of single-label data, and {data} is "
            "multi-label: use --pos-weight balanced (it weighs each label's positives)"
        )
    if settings.threshold is not None and task != "multilabel":
        raise RunError(
            f"--threshold sets when a label of multi-label data is predicted, and {data} "
            f"is {task} (one label per example): leave --threshold out"
        )
    if settings.pos_weight is not None and task != "multilabel":
        raise RunError(
            f"--pos-weight weighs each label's positives in multi-label data, and {data} "
            f"is {task} (one label per example): use --class-weight balanced"
        )


def _check_lr_auto(settings: RunSettings, solver: str, named: str) -> None:
    """Refuse --lr auto where there is no range test to run: L-BFGS takes no rate, and
    streamed data is not in memory for it."""
    if settings.lr != "auto":
        return
    if solver == "lbfgs":
        how = "--solver lbfgs" if settings.solver else f"{named} trains with lbfgs, which"
        raise RunError(
            f"--lr auto finds a learning rate for a gradient solver, and {how} takes none: "
            "add --solver adam (or gd, sgd, momentum), or leave --lr out"
        )
    if settings.stream:
        raise RunError(
            "--lr auto runs a range test on the training data in memory, and --stream "
            "reads it from disk: give --lr a number, or leave --stream out"
        )


def build_estimator(settings: RunSettings, task: str) -> tuple[str, Any]:
    """The estimator the settings ask for, and the model's name (``auto`` resolved for
    ``task``); unfitted. :mod:`logitlab.tune` builds each trial's estimators here too."""
    from . import ClassifierChainEnsemble, OneVsAllClassifier

    model = settings.model
    if model == "auto":
        model = DEFAULT_MODEL[task]
    if task not in TASKS_OF_MODEL[model]:
        fitting = " or ".join(m for m, t in TASKS_OF_MODEL.items() if task in t)
        raise RunError(f"--model {model} does not fit a {task} task; use {fitting}")
    kw: dict[str, Any] = {
        "random_state": settings.seed,
        "engine": settings.engine,
        "device": settings.device,
    }
    for name, value in (
        ("early_stopping", settings.early_stopping),
        ("solver", _solver_of(settings, model)),
        ("learning_rate", settings.lr),
        ("max_iter", settings.epochs),
        ("batch_size", settings.batch_size),
        ("alpha", settings.alpha),
        ("tol", settings.tol),
        ("lr_schedule", settings.lr_schedule),
        ("lr_decay", settings.lr_decay),
        ("lr_step_size", settings.lr_step_size),
        ("lr_patience", settings.lr_patience),
        ("warmup_iter", settings.warmup),
        ("validation_scoring", settings.validation_scoring),
        # _check_options has refused each for the estimators that do not take it
        ("class_weight", settings.class_weight),
        ("pos_weight", settings.pos_weight),
    ):
        if value is not None:
            kw[name] = value
    if model == "chains":  # a binary model per label: it decides with 0.5 of its own
        base_kw = {k: v for k, v in kw.items() if k != "random_state"}  # seeded by the chains
        chains = ClassifierChainEnsemble(
            _network(settings, _base_model(settings, model), base_kw),
            random_state=settings.seed,
        )
        if settings.chains is not None:
            chains.set_params(n_chains=settings.chains)
        return model, _with_threshold(chains, settings)
    if model == "mlp":
        return model, _with_threshold(_network(settings, model, kw), settings)
    if model == "one-vs-all":  # class_weight: each class against the rest
        return model, OneVsAllClassifier(_model_class(model)(**kw))
    return model, _with_threshold(_model_class(model)(**kw), settings)


def _network(settings: RunSettings, model: str, kw: dict[str, Any]) -> Any:
    """The estimator of ``model`` with the parameters ``kw`` (and, for mlp, the layers
    and dropout the settings give)."""
    if model != "mlp":
        return _model_class(model)(**kw)
    if settings.dropout is not None:
        kw = {**kw, "dropout": settings.dropout}
    return _model_class(model)(
        hidden_layer_sizes=settings.hidden, activation=settings.activation, **kw
    )


def _with_threshold(est: Any, settings: RunSettings) -> Any:
    """``est`` with the settings' ``threshold`` and ``threshold_scoring`` (multi-label
    data: _check_options has refused them for the others)."""
    params = est.get_params(deep=False)
    for name in ("threshold", "threshold_scoring"):
        value = getattr(settings, name)
        if value is not None and name in params:
            est.set_params(**{name: value})
    return est


# ---------------------------------------------------------------------------- train
@dataclass
class _Job:
    """A run's data, preprocessing and estimator, ready to fit."""

    settings: RunSettings
    data: LoadedData
    train: LoadedData
    test: LoadedData
    pre: Preprocessing
    name: str
    estimator: Any
    fit: Callable[[Any, Callable[..., None] | None], None]
    n_fit: int
    val: LoadedData | None = None


def _engine_of(job: _Job) -> str:
    """The engine the job's fit will train on, as the estimator chooses it, and why."""
    from .estimators import choose_engine

    est = job.estimator
    base = getattr(est, "estimator", None) or est  # one-vs-all: its binary models
    if job.settings.stream:
        return "torch (streamed)"
    task, n_classes = job.data.task, len(job.data.class_names)
    n_out = 1 if base is not est or task == "binary" else n_classes
    layers = (job.data.n_features, *getattr(base, "hidden_layer_sizes", ()), n_out)
    chosen = choose_engine(
        base.engine,
        base.device,
        job.n_fit,
        layers,
        base.batch_size,
        base.solver,
    )
    return f"{chosen} (auto)" if base.engine == "auto" else chosen


def _same_source(a: str, b: str) -> bool:
    """Whether two sources name the same data (a built-in name, or one path)."""
    keys = builtin_key(a), builtin_key(b)
    if any(keys):
        return keys[0] == keys[1]
    return Path(a).resolve() == Path(b).resolve()


def load_split(
    settings: RunSettings,
) -> tuple[LoadedData, LoadedData, LoadedData, LoadedData | None]:
    """Load and split the data as a run does: ``(data, train, test, validation)``, the
    validation data None without ``val``. Image folders are listed first and decoded
    only once the memory they need is known to be there; the same settings (``seed``,
    ``test_size``) give the same split, which :mod:`logitlab.tune` relies on to search
    on the training part only."""
    loader = settings.loader()
    key = builtin_key(settings.data)
    if key is not None and key.startswith("shapes"):  # generated whole, in memory
        channels = 3 if settings.color == "rgb" else 1
        _check_memory(
            2 * N_SHAPES * settings.size**2 * channels * 8,
            f"--size {settings.size}: {N_SHAPES} generated pictures",
        )
    data = load_source(settings.data, random_state=settings.seed, lazy=True, **loader)
    _check_options(settings, data.task, data.source)
    if settings.stream:
        if not isinstance(data.X, LazyRows):
            raise RunError(
                f"--stream reads image folders and HDF5 files, and {data.source} is a file "
                "read into memory: leave --stream out"
            )
        if settings.engine == "numpy":
            raise RunError(
                "--stream trains through PyTorch's DataLoader: use --engine torch or auto"
            )
        if settings.augment_shift:
            raise RunError(
                "--augment-shift copies the images in memory, so it cannot be combined "
                "with --stream"
            )
        if settings.batch_size is None:
            raise RunError("--stream reads mini-batches: give --batch-size (e.g. 32)")
    if settings.augment_shift and data.image_shape is None:
        raise RunError(f"--augment-shift needs images, and {data.source} holds a table")
    check_training_memory(settings, data)
    if settings.test is not None and _same_source(settings.test, settings.data):
        warnings.warn(
            f"--test names the same data as --data ({settings.data}): the test "
            "figures measure the training set, not new data",
            UserWarning,
            stacklevel=2,
        )
    if settings.val is not None:
        if _same_source(settings.val, settings.data):
            warnings.warn(
                f"--val names the same data as --data ({settings.data}): the validation "
                "cost measures the training set, so early stopping cannot see overfitting",
                UserWarning,
                stacklevel=2,
            )
        elif settings.test is not None and _same_source(settings.val, settings.test):
            warnings.warn(
                f"--val names the same data as --test ({settings.test}): training is "
                "steered by the test set, so the test figures are optimistic",
                UserWarning,
                stacklevel=2,
            )
    if not settings.stream:  # decode now, after the memory check
        data = _in_memory(data)
    train, test = split_data(
        data,
        test=settings.test,
        test_size=settings.test_size,
        random_state=settings.seed,
        lazy=True,
    )
    val = None
    if settings.val is not None:  # read as the test data is: loader options, names
        _, val = split_data(data, test=settings.val, random_state=settings.seed, lazy=True)
    if not settings.stream:
        test = _in_memory(test)
        val = None if val is None else _in_memory(val)
    return data, train, test, val


def _in_memory(d: LoadedData) -> LoadedData:
    if isinstance(d.X, LazyRows):
        try:
            return replace(d, X=np.asarray(d.X))
        except ValueError as exc:
            raise DataError(str(exc)) from None
    return d


def _job(settings: RunSettings, ranks: Any = SINGLE_PROCESS) -> _Job:
    """Load, split and preprocess the data and build the estimator; under torchrun
    every rank does, and a rank's error ends all of them (``ranks.agree``)."""
    data, tr, te, va = ranks.agree(lambda: load_split(settings))
    pre = Preprocessing.fit(
        data,
        tr,
        standardize=settings.standardize,
        loader=settings.loader(),
        validation=va,
        ranks=ranks,
    )
    job: _Job = ranks.agree(lambda: _ready_job(settings, data, tr, te, va, pre))
    return job


def _ready_job(
    settings: RunSettings,
    data: LoadedData,
    tr: LoadedData,
    te: LoadedData,
    va: LoadedData | None,
    pre: Preprocessing,
) -> _Job:
    """The estimator and how to fit it, on the loaded and preprocessed data."""
    name, est = build_estimator(settings, data.task)
    if settings.stream:
        if not hasattr(est, "fit_dataset"):
            raise RunError(
                f"--stream trains networks one mini-batch at a time; --model {name} (one "
                "model per class) cannot: use --model mlp, softmax, logistic or multilabel"
            )
        from .torch_engine.data import ArrayDataset, LazyRowsDataset, NumpyTransform

        transform = None
        if pre.mean is not None and pre.scale is not None:
            transform = NumpyTransform(pre.apply)  # the one standardisation of the run
        dataset = LazyRowsDataset(tr.X, tr.y, transform=transform)
        val_dataset: Any = None
        if va is not None and isinstance(va.X, LazyRows):  # read from disk as training is
            val_dataset = LazyRowsDataset(va.X, va.y, transform=transform)
        elif va is not None:  # a file read into memory (a table, .npz)
            val_dataset = ArrayDataset(pre.apply(va.X), va.y)

        def fit(est: Any, callback: Callable[..., None] | None) -> None:
            est.fit_dataset(
                dataset, val_dataset=val_dataset, num_workers=settings.workers, callback=callback
            )

        return _Job(settings, data, tr, te, pre, name, est, fit, len(tr.y), va)

    Xfit, yfit = (tr.X if sp.issparse(tr.X) else np.asarray(tr.X)), tr.y
    if settings.augment_shift:
        copies = (2 * settings.augment_shift + 1) ** 2
        assert data.image_shape is not None
        Xfit = shift_augment(Xfit, data.image_shape, settings.augment_shift)
        yfit = np.tile(tr.y, (copies,) + (1,) * (tr.y.ndim - 1))
    Xfit = pre.apply(Xfit)
    # the validation data as the test data: standardised with the training statistics,
    # never shifted
    val = {} if va is None else {"X_val": pre.apply(va.X), "y_val": va.y}

    def fit_memory(est: Any, callback: Callable[..., None] | None) -> None:
        if hasattr(est, "max_iter"):
            est.fit(Xfit, yfit, callback=callback, **val)
        else:  # one-vs-all: C models, no single cost (and no --val: _check_options)
            est.fit(Xfit, yfit)

    return _Job(settings, data, tr, te, pre, name, est, fit_memory, len(yfit), va)


def train_run(
    settings: RunSettings,
    run_dir: str | os.PathLike[str],
    progress: Progress | None = None,
    *,
    overwrite: bool = False,
) -> RunResult:
    """Train as ``settings`` say and write the run folder ``run_dir``.

    Parameters
    ----------
    settings : RunSettings
    run_dir : path
        A new or empty folder (or, with ``overwrite``, an old run folder).
    progress : Progress, optional
        Told what happens (the command line shows it); silent by default.
    overwrite : bool, default=False
        Replace the run in ``run_dir``: its files are removed first.

    Returns
    -------
    RunResult

    Raises
    ------
    RunError, DataError
        A setting, the run folder or the data is unusable (one line naming it).
    Interrupted
        Ctrl-C or SIGTERM: the message names the last complete checkpoint.
    """
    settings = settings.absolute()
    run_dir = Path(run_dir)
    ranks = _join(settings)
    # under torchrun the other ranks say nothing but their errors
    progress = progress if progress is not None and ranks.rank == 0 else Progress()
    with _left_at_the_end(ranks), contextlib.ExitStack() as held:

        def folder() -> None:
            if ranks.rank == 0:
                if run_dir.exists() and not run_dir.is_dir():
                    raise RunError(f"{run_dir} is a file, not a run folder")
                _check_out_is_not_data(settings, run_dir)
            _check_options(settings)  # before the folder is touched; again with the task
            if ranks.rank > 0:
                return  # rank 0 alone creates, locks and writes the run folder
            run_dir.mkdir(parents=True, exist_ok=True)
            held.enter_context(_locked(run_dir))
            held.enter_context(sigterm_as_interrupt())
            _prepare_folder(run_dir, overwrite)

        ranks.agree(folder)
        if ranks.rank > 0:
            held.enter_context(sigterm_as_interrupt())
        with _collect_warnings() as caught:
            job = _job(settings, ranks)
        if ranks.rank == 0:
            atomic_write(run_dir / SETTINGS_FILE, json.dumps(settings.to_dict(), indent=2) + "\n")
        return _train(job, run_dir, progress, caught, done=0, ranks=ranks)


def _join(settings: RunSettings, resuming: bool = False) -> Any:
    """The ranks of this run: one process, or under torchrun (WORLD_SIZE > 1) the
    process group, joined before anything can fail on one rank alone."""
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if world <= 1:
        return SINGLE_PROCESS
    _check_distributed(settings, world, resuming)
    try:
        from .torch_engine.distributed import Ranks
    except ImportError as exc:
        raise RunError(f"torchrun started {world} processes: {exc}") from None
    return Ranks.join(settings.device)


def launch(nproc: int, argv: Sequence[str]) -> tuple[int, str | None]:
    """``logitlab train --nproc N``: run ``logitlab ARGV`` as ``nproc`` ranks on this
    machine under torchrun's launcher; returns the exit code (0, or the first failed
    rank's) and a line to show when the failed rank could not say why itself."""
    try:
        from .torch_engine.distributed import launch as start
    except ImportError as exc:
        raise RunError(f"--nproc starts torchrun, which needs PyTorch: {exc}") from None
    return start(nproc, ["-m", "logitlab", *argv])


def _check_distributed(settings: RunSettings, world: int, resuming: bool) -> None:
    """Refuse, in one line, what cannot train as one model on ``world`` ranks: the
    NumPy engine and the models without epochs (every rank refuses alike)."""
    where = f"under torchrun ({world} processes) the ranks train one model together"
    fix = "; resume it without torchrun" if resuming else ""
    if settings.engine == "numpy":
        how = "the run's settings ask for" if resuming else "use --engine torch or auto, not"
        raise RunError(f"{where} on the torch engine: {how} --engine numpy{fix}")
    if settings.model in ("one-vs-all", "chains"):
        raise RunError(
            f"{where}, epoch by epoch, and --model {settings.model} trains a model per "
            f"{'class' if settings.model == 'one-vs-all' else 'label'} with no epochs to "
            f"share: use --model mlp, softmax, logistic or multilabel{fix}"
        )
    if _solver_of(settings, settings.model) == "lbfgs":
        named = "--solver lbfgs" if settings.solver else f"--model {settings.model}'s solver lbfgs"
        raise RunError(
            f"{where} on shared mini-batches, and {named} takes whole-batch steps in one "
            f"process: give --solver adam (or gd, sgd, momentum){fix}"
        )


@contextlib.contextmanager
def _left_at_the_end(ranks: Any) -> Iterator[None]:
    """Leave the process group when the run ends: together when it ended on every rank
    alike (finished, or an error the ranks agreed on), at once otherwise."""
    try:
        yield
    except RunError:
        ranks.leave(together=True)
        raise
    except BaseException:
        ranks.leave(together=False)
        raise
    ranks.leave(together=True)


def resume_run(run_dir: str | os.PathLike[str], progress: Progress | None = None) -> RunResult:
    """Continue the interrupted run in ``run_dir`` from its last checkpoint, with its own
    settings; only ``run_dir`` is written, whatever its settings say.

    The checkpoint holds the training state (optimiser, schedule, random generator,
    early-stopping counters), so the run ends with the parameters an uninterrupted run
    would have reached (``lbfgs`` excepted: SciPy's L-BFGS memory is not saved). A
    checkpoint written where training ended (its last iteration, or where early stopping
    or ``tol`` stopped it) is finished without training.

    Raises
    ------
    RunError
        No settings or checkpoint, or the data changed since the checkpoint (features,
        classes, rows or files): a resumed run must train on what the checkpoint saw.
    """
    from .io import read_model_file

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(f"run folder {str(run_dir)!r} does not exist")
    # read before joining (it names the device); under torchrun by every rank, read only
    settings = RunSettings.load(run_dir)
    ranks = _join(settings, resuming=True)
    progress = progress if progress is not None and ranks.rank == 0 else Progress()
    checkpoint = run_dir / CHECKPOINT_FILE
    with _left_at_the_end(ranks), contextlib.ExitStack() as held:

        def folder() -> tuple[Any, Preprocessing]:
            if ranks.rank == 0:  # the one writer
                held.enter_context(_locked(run_dir))
            if not checkpoint.is_file():
                done = (run_dir / MODEL_FILE).is_file()
                raise RunError(
                    f"{checkpoint}: no checkpoint to resume from"
                    + (" (the run finished: its model is saved)" if done else "")
                )
            _check_out_is_not_data(settings, run_dir)
            if ranks.rank == 0:
                _remove_stale_temporaries(run_dir)
            est, pre_dict, _ = read_model_file(checkpoint)
            return est, _model_preprocessing(est, pre_dict, str(checkpoint))

        est, saved = ranks.agree(folder)
        held.enter_context(sigterm_as_interrupt())
        with _collect_warnings() as caught:
            job = _job(settings, ranks)
        _check_same_data(saved, job.pre, checkpoint)  # the same on every rank
        done, total = _checkpoint_progress(est, checkpoint)
        est.set_params(warm_start=True, max_iter=total - done)
        job.estimator = est
        if _training_ended(est, done, total):
            # the process stopped between the last checkpoint and saving the model
            _end_as_fit_does(est)
            job = replace(job, fit=lambda est, callback: None)
            progress.info(f"finishing from {checkpoint}: training ended at iteration {done}")
        else:
            progress.info(f"resuming from {checkpoint}: {done} of {total} iterations done")
        if est.train_state_ is None:
            progress.warning(
                f"{checkpoint} holds no training state (written by an older logitlab): "
                "the optimiser's state, the schedule and the batch order start afresh"
            )
        return _train(job, run_dir, progress, caught, done=done, ranks=ranks)


def _checkpoint_progress(est: Any, checkpoint: Path) -> tuple[int, int]:
    """(iterations done, iterations the run asked for) of a checkpoint, checked against
    its training state."""
    done, total = int(est.n_iter_), int(est.max_iter)
    state = est.train_state_
    if done > total or (state is not None and state.epoch != done):
        at = "" if state is None else f", its training state at iteration {state.epoch}"
        raise RunError(
            f"{checkpoint}: the checkpoint is inconsistent ({done} of {total} iterations "
            f"done{at}); start a new run"
        )
    return done, total


def _training_ended(est: Any, done: int, total: int) -> bool:
    """Whether training had ended at the checkpoint's iteration: all iterations done, or
    early stopping or ``tol`` had seen no progress for ``n_iter_no_change`` iterations
    (the monitor's rule; L-BFGS applies ``tol`` through SciPy instead)."""
    if done >= total:
        return True
    state = est.train_state_
    if state is None or not state.monitor:
        return False
    watching = est.early_stopping or (est.tol > 0 and est.solver != "lbfgs")
    return bool(watching and state.monitor["bad"] >= est.n_iter_no_change)


def _end_as_fit_does(est: Any) -> None:
    """What the end of a fit does to the checkpoint's estimator: early stopping keeps
    the best parameters it saw."""
    best = est.train_state_.monitor.get("best_theta") if est.train_state_ else None
    if best is not None:
        est.network_.set_params(best)


def _check_same_data(saved: Preprocessing, now: Preprocessing, checkpoint: Path) -> None:
    """Refuse to resume on data other than the checkpoint's, naming what changed."""
    changes = []
    if saved.n_features != now.n_features:
        changes.append(f"{saved.n_features} features then, {now.n_features} now")
    if saved.task != now.task:
        changes.append(f"a {saved.task} task then, {now.task} now")
    if saved.class_names != now.class_names:
        changes.append(f"classes {saved.class_names} then, {now.class_names} now")
    if saved.feature_names != now.feature_names:
        changes.append("other feature columns")
    if not changes and saved.fingerprint != now.fingerprint:
        changes.append("other examples, labels or files")
    if saved.validation_fingerprint is not None and (
        saved.validation_fingerprint != now.validation_fingerprint
    ):
        changes.append("other validation data (--val)")
    if changes:
        raise RunError(
            f"cannot resume from {checkpoint}: the data changed since it was written "
            f"({'; '.join(changes)}); start a new run instead"
        )


@contextlib.contextmanager
def _collect_warnings() -> Iterator[list[str]]:
    """The messages of the warnings a run raises (ConvergenceWarning and UserWarning),
    once each, so that the command and the report can show them."""
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        warnings.simplefilter("always", UserWarning)
        try:
            yield messages
        finally:
            for w in caught:
                if issubclass(w.category, (ConvergenceWarning, UserWarning)):
                    text = " ".join(str(w.message).split())
                    if text not in messages:
                        messages.append(text)
                else:
                    warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def _train(
    job: _Job,
    run_dir: Path,
    progress: Progress,
    notes: list[str],
    *,
    done: int,
    ranks: Any = SINGLE_PROCESS,
) -> RunResult:
    """Fit the job's estimator and write the model and results (rank 0 alone writes;
    under torchrun every rank trains and predicts its share of the evaluation)."""
    from .io import save_model

    est, tr, te, data = job.estimator, job.train, job.test, job.data
    for note in notes:
        progress.warning(note)
    extra = f" (and {job.n_fit - len(tr.y)} shifted copies)" if job.n_fit > len(tr.y) else ""
    kind = "labels" if data.task == "multilabel" else "classes"
    how = ", streamed from disk" if job.settings.stream else ""
    val = f", validating on {len(job.val.y)}" if job.val is not None else ""
    progress.info(
        f"{data.source}: {data.n_samples} examples, {data.n_features} features, "
        f"{data.task} ({len(data.class_names)} {kind}); training {job.name} on "
        f"{len(tr.y)}{extra}, testing on {len(te.y)}{val}{how}; engine {_engine_of(job)}"
    )
    total = done + est.max_iter if hasattr(est, "max_iter") else None
    checkpoints = _Checkpoints(
        est, run_dir / CHECKPOINT_FILE, job.pre, done, progress, write=ranks.rank == 0
    )
    t0 = time.perf_counter()
    progress.start(total, done)
    try:
        with _collect_warnings() as fit_notes:
            callback = checkpoints.callback if hasattr(est, "max_iter") else None
            ranks.collective(lambda: job.fit(est, callback))  # a lost rank: one line
    except KeyboardInterrupt:
        raise _interrupted(run_dir) from None
    except RuntimeError as exc:
        # Ctrl-C or SIGTERM sent to the process group stops DataLoader workers too;
        # torch then reports the dead worker instead of the signal
        if "DataLoader worker" in str(exc) and "signal" in str(exc):
            raise _interrupted(run_dir) from None
        raise
    except MemoryError:
        raise RunError(
            "out of memory while training: use a smaller --size, --hidden or "
            "--batch-size, or --stream"
        ) from None
    finally:
        progress.stop()
    seconds = time.perf_counter() - t0
    if done:  # the run's whole length, as the settings asked
        est.set_params(warm_start=False, max_iter=done + est.max_iter)
    for note in fit_notes:
        progress.warning(note)

    def save() -> None:
        if ranks.rank == 0:
            # the model first: whatever happens to the plots and the report, it is kept
            save_model(est, run_dir / MODEL_FILE, preprocessing=job.pre.to_dict())
            (run_dir / CHECKPOINT_FILE).unlink(missing_ok=True)  # the model supersedes it

    ranks.agree(save)
    try:
        # every rank predicts its chunks of the test and training rows; rank 0 gets
        # them all and writes
        test, train = (
            _predict_shared(est, part.X, job.pre, ranks) for part in (job.test, job.train)
        )
        if test is None or train is None:  # ranks other than 0
            ranks.agree(lambda: None)  # until rank 0 has written the results
            return RunResult(run_dir, est, {}, [*notes, *fit_notes], [])
        metrics, files, report_notes = ranks.agree(
            lambda: _write_results(job, run_dir, seconds, [*notes, *fit_notes], done, (test, train))
        )
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted while writing the report: the model is saved in {run_dir / MODEL_FILE}"
        ) from None
    for note in report_notes:
        progress.warning(note)
    return RunResult(
        run_dir=run_dir,
        estimator=est,
        metrics=metrics,
        warnings=[*notes, *fit_notes, *report_notes],
        files=[MODEL_FILE, *files],
    )


def _interrupted(run_dir: Path) -> Interrupted:
    where = run_dir / CHECKPOINT_FILE
    last = (
        f"the last complete checkpoint is {where}"
        if where.exists()
        else "no checkpoint was complete yet"
    )
    return Interrupted(f"interrupted: {last}; continue with: logitlab train --resume {run_dir}")


class _Checkpoints:
    """The fit callback: tells ``progress`` and writes a checkpoint at most every
    CHECKPOINT_SECONDS (and after the first iteration).

    A checkpoint is the estimator's snapshot after an iteration: the parameters, the
    history and the training state to continue from exactly, with ``n_iter_`` the
    iterations done over the whole run and ``max_iter`` the run's total (``done``
    iterations before this fit, plus the fit's ``max_iter``) and the validation curves
    so far.
    """

    def __init__(
        self,
        est: Any,
        path: Path,
        pre: Preprocessing,
        done: int,
        progress: Progress,
        write: bool = True,
    ) -> None:
        self.est, self.path, self.pre, self.done = est, path, pre, done
        self.progress, self.write = progress, write
        self.last_save: float | None = None

    def callback(self, info: Any) -> None:
        """Called with the estimator's :class:`~logitlab.estimators.Iteration`, whose
        ``iteration`` counts over the whole run (a resumed fit goes on counting)."""
        self.progress.update(info.iteration + 1, float(info.cost), info.validation_cost)
        now = time.monotonic()
        if not self.write:  # under torchrun, ranks other than 0
            return
        if self.last_save is None or now - self.last_save >= CHECKPOINT_SECONDS:
            self.save(info.snapshot)

    def save(self, snapshot: Callable[[], Any]) -> None:
        from .io import save_model

        ck = snapshot()
        if ck is None:  # L-BFGS in the row space: nothing to save until it ends
            return
        ck.set_params(warm_start=False, max_iter=self.done + self.est.max_iter)
        save_model(ck, self.path, preprocessing=self.pre.to_dict())
        self.last_save = time.monotonic()


def _predict(est: Any, X: Any, pre: Preprocessing) -> tuple[np.ndarray, np.ndarray]:
    """Labels and probabilities for the rows of X (an array or ImageFiles), a chunk at
    a time, through one forward pass each, in this process."""
    predicted = _predict_shared(est, X, pre, SINGLE_PROCESS)
    assert predicted is not None  # one process is rank 0
    return predicted


def _predict_shared(
    est: Any, X: Any, pre: Preprocessing, ranks: Any
) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`_predict` on every rank: each predicts its chunks (:func:`_chunks`), and
    rank 0 gets them all, put back in order. These are the chunks of one process, so
    the numbers are the same, bit for bit. The other ranks get None."""
    if X.shape[0] == 0:
        raise RunError("no examples to predict")

    def mine() -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        for A in _chunks(X, ranks.rank, ranks.world):
            A = pre.apply(A)
            out.append((est.predict(A), est.predict_proba(A)))
        return out

    parts = ranks.gather_to_rank_0(mine)
    if parts is None:
        return None
    world = ranks.world
    # chunk k was rank k % world's (k // world)-th
    chunks = [parts[k % world][k // world] for k in range(math.ceil(X.shape[0] / CHUNK))]
    return np.concatenate([c[0] for c in chunks]), np.concatenate([c[1] for c in chunks])


def _as_indices(est: Any, labels: np.ndarray, task: str) -> np.ndarray:
    """Predicted labels as the model's class indices (multi-label: as they are)."""
    if task == "multilabel":
        return labels
    return np.searchsorted(est.classes_, labels)


def _aligned(values: Any, n: int, done: int) -> np.ndarray | None:
    """A validation curve as ``n`` values, one per iteration, NaN where none was
    measured. Measured after each iteration, it may be shorter than the history: at
    the end when training diverged, at the start when a resumed run's checkpoint did
    not keep the values of its first ``done`` iterations."""
    if values is None or not len(values):
        return None
    values = np.asarray(values, dtype=np.float64)[:n]
    start = done if done and len(values) <= n - done else 0
    out = np.full(n, np.nan)
    out[start : start + len(values)] = values
    return out


def _write_results(
    job: _Job,
    run_dir: Path,
    seconds: float,
    notes: list[str],
    done: int,
    predicted: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
) -> tuple[dict[str, Any], list[str], list[str]]:
    """metrics.json, history.csv, the plots and report.html; a plot that fails becomes
    a note, never a lost run. ``done``: iterations a resumed run had done before;
    ``predicted``: :func:`_predict`'s labels and probabilities of the test rows and of
    the training rows."""
    from .report import compute_metrics, write_plots, write_report

    est, tr, te, data, pre = job.estimator, job.train, job.test, job.data, job.pre
    y_pred, proba = predicted[0]
    y_pred = _as_indices(est, y_pred, data.task)
    classes = [str(c) for c in data.class_names]
    metrics = compute_metrics(data.task, te.y, y_pred, proba, classes)
    metrics["fit_seconds"] = seconds
    engines = {getattr(e, "engine_", None) for e in _sub_models(est)}
    metrics["engine"] = engines.pop() if len(engines) == 1 else None
    train_pred, _ = predicted[1]  # the examples as given, not shifted copies
    train_pred = _as_indices(est, train_pred, data.task)
    report_notes: list[str] = []
    if data.task == "multilabel":
        metrics["train_hamming_loss"] = float(np.mean(train_pred != tr.y))
    else:
        metrics["train_accuracy"] = float(np.mean(train_pred == tr.y))
        # streamed and one-vs-all fits cannot check this themselves (the estimator
        # does for a network fitted in memory)
        majority = float(np.bincount(tr.y).max()) / len(tr.y)
        said = any("learned nothing" in n for n in notes)
        if metrics["train_accuracy"] <= majority and not said:
            report_notes.append(
                f"the model learned nothing: on its own training data it scores accuracy "
                f"{metrics['train_accuracy']:.3f}, no better than always predicting the most "
                f"frequent class ({majority:.3f}); "
                + (
                    ""
                    if job.settings.standardize
                    else "standardise the features (leave out --no-standardize) or "
                )
                + "lower the learning rate (--lr)"
            )
    lr_finder = getattr(est, "lr_finder_", None)
    if lr_finder is not None:  # --lr auto: the rate found, and the test's curve
        metrics["learning_rate_found"] = float(est.learning_rate_)
        metrics["lr_finder"] = lr_finder.to_dict()
    thresholds = getattr(est, "thresholds_", None)
    if thresholds is not None:  # --threshold cv: each label's, as cross-validation chose
        metrics["thresholds"] = [float(t) for t in thresholds]
    subs = _sub_models(est) if hasattr(est, "estimators_") else []
    if lr_finder is None and subs and getattr(subs[0], "lr_finder_", None) is not None:
        # one-vs-all with --lr auto: each class's model found its own rate
        metrics["learning_rates_found"] = [float(sub.learning_rate_) for sub in subs]
    history = getattr(est, "history_", None)
    if isinstance(history, list):  # one-vs-all: one history per class, no single curve
        history = None
    validation = getattr(est, "validation_history_", None)
    scores = getattr(est, "validation_scores_", None)
    scoring = getattr(est, "validation_scoring", "loss")
    if history is not None:
        validation = _aligned(validation, len(history), done)
        scores = _aligned(scores, len(history), done)
    files = [METRICS_FILE]
    atomic_write(
        run_dir / METRICS_FILE, json.dumps(metrics, indent=2, default=_json_default) + "\n"
    )
    if history is not None:
        atomic_write(run_dir / HISTORY_FILE, _history_csv(history, validation, scores, scoring))
        files.append(HISTORY_FILE)
    two_d = data.n_features == 2
    plots: dict[str, str] = {}
    try:
        plots = write_plots(
            run_dir,
            task=data.task,
            history=history,
            validation_history=validation,
            validation_scores=scores,
            validation_scoring=scoring,
            y_true=te.y,
            y_pred=y_pred,
            proba=proba,
            class_names=classes,
            X2d=_dense(pre.apply(te.X)) if two_d else None,
            y2d=te.y if two_d else None,
            predict_fn=(lambda A: _as_indices(est, est.predict(A), data.task)) if two_d else None,
            images=te.X if data.image_shape else None,
            image_shape=data.image_shape,
            lr_finder=None if lr_finder is None else lr_finder.to_dict(),
        )
    except (ValueError, RuntimeError, OSError, MemoryError) as exc:
        report_notes.append(f"the plots could not be drawn ({' '.join(str(exc).split())})")
    files += list(plots.values())
    report = write_report(
        run_dir,
        title=f"logitlab: {job.name} on {data.source}",
        settings=job.settings.shown(),
        metrics=metrics,
        plots=plots,
        history=history,
        validation_history=validation,
        validation_scores=scores,
        validation_scoring=scoring,
        notes=[*notes, *report_notes],
    )
    files.append(report.name)
    return metrics, files, report_notes


def _sub_models(est: Any) -> list[Any]:
    """The models that predict: one-vs-all's per class, every chain's per label, or the
    estimator itself."""
    subs = getattr(est, "estimators_", None)
    if subs is None:
        return [est]
    return [e for sub in subs for e in (sub if isinstance(sub, list) else [sub])]


def _dense(X: Any) -> np.ndarray:
    """X as an ndarray (for a CSR matrix of two features, to draw)."""
    return X.toarray() if sp.issparse(X) else np.asarray(X)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


#: history.csv's column of each validation score
SCORE_COLUMNS = {"accuracy": "validation_accuracy", "hamming": "validation_hamming_loss"}


def _history_csv(
    history: Sequence[float],
    validation: Sequence[float] | None,
    scores: Sequence[float] | None = None,
    scoring: str = "loss",
) -> str:
    """history.csv: the training cost J before each update and, with a validation set,
    its cost after that update (and the score ``validation_scoring`` names); a value
    not measured is left empty.

    >>> print(_history_csv([0.7, 0.5], [0.6, 0.55], [0.8, 0.9], "accuracy"), end="")
    iteration,cost,validation_cost,validation_accuracy
    0,0.7,0.6,0.8
    1,0.5,0.55,0.9
    """
    columns: list[tuple[Sequence[float], str]] = []
    if validation is not None:
        columns.append((validation, "validation_cost"))
        if scores is not None and scoring in SCORE_COLUMNS:
            columns.append((scores, SCORE_COLUMNS[scoring]))
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["iteration", "cost", *(name for _, name in columns)])
    for i, J in enumerate(history):
        row = [i, repr(float(J))]
        for values, _ in columns:
            v = float(values[i]) if i < len(values) else math.nan
            row.append(repr(v) if math.isfinite(v) else "")
        w.writerow(row)
    return out.getvalue()


def teaching_split(
    source: str, *, test_size: float, seed: int, standardize: bool, **loader: Any
) -> tuple[LoadedData, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Train and test arrays for the teaching pictures (``logitlab plot``): ``source``
    loaded, split (stratified) and standardised with the training statistics.

    Returns
    -------
    data, X_train, y_train, X_test, y_test
    """
    data = load_source(source, random_state=seed, **loader)
    tr, te = split_data(data, test_size=test_size, random_state=seed)
    pre = Preprocessing.fit(data, tr, standardize=standardize, loader=loader)
    return data, pre.apply(tr.X), tr.y, pre.apply(te.X), te.y


# ------------------------------------------------------------------ evaluate, predict
def _model_preprocessing(est: Any, pre: dict[str, Any], where: str) -> Preprocessing:
    n_outputs = len(est.classes_)
    return Preprocessing.from_dict(
        pre, n_features=int(est.n_features_in_), n_outputs=n_outputs, where=where
    )


def load_run(run_dir: str | os.PathLike[str]) -> tuple[Any, Preprocessing]:
    """The fitted estimator in ``run_dir`` and its preprocessing, both checked."""
    from .io import read_model_file

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(f"run folder {str(run_dir)!r} does not exist")
    path = run_dir / MODEL_FILE
    if not path.exists() and (run_dir / CHECKPOINT_FILE).exists():
        raise RunError(
            f"{run_dir} holds an interrupted run: no {MODEL_FILE} yet; finish it with "
            f"logitlab train --resume {run_dir}"
        )
    est, pre, _ = read_model_file(path)
    return est, _model_preprocessing(est, pre, str(path))


def evaluate_run(run_dir: str | os.PathLike[str], source: str, **options: Any) -> dict[str, Any]:
    """The metrics of the model in ``run_dir`` on ``source`` (any source ``train``
    reads), read with the run's loader options unless ``options`` override them.

    Table columns are matched to the model's by name, classes by name; data with only
    some of the model's classes is fine, a class the model never saw is an error.
    Images are read chunk by chunk.
    """
    from .report import compute_metrics

    est, pre = load_run(run_dir)
    data = _load_like(pre, source, options)
    y_pred, proba = _predict(est, data.X, pre)
    y_pred = _as_indices(est, y_pred, pre.task)
    return compute_metrics(pre.task, data.y, y_pred, proba, list(pre.class_names))


def _load_like(pre: Preprocessing, source: str, options: dict[str, Any]) -> LoadedData:
    """``source`` loaded as the model's training data was, and matched to the model."""
    loader = {**pre.loader, **{k: v for k, v in options.items() if v is not None}}
    loader.pop("random_state", None)
    data = load_source(source, lazy=True, one_class_ok=True, **loader)
    return pre.match(data)


def predict_run(run_dir: str | os.PathLike[str], inputs: Sequence[str]) -> list[dict[str, Any]]:
    """Predict each input with the model in ``run_dir``.

    An input is an image file (resized as the training images were), or a table or
    data file (``.csv``, ``.arff``, ``.npz``, ``.h5``: every row; table columns matched
    by name), an image folder or a built-in name (every example).

    Returns
    -------
    list of dict
        One per example: ``input`` (the file, or ``file:row``), and ``label`` and
        ``probability`` (single-label) or ``labels`` and ``probabilities`` (multi-label).
    """
    from .data import IMAGE_EXTENSIONS

    est, pre = load_run(run_dir)
    rows: list[Any] = []
    names: list[str] = []
    for item in inputs:
        p = Path(item)
        if p.suffix.lower() in IMAGE_EXTENSIONS and p.exists():
            rows.append(_read_one_image(pre, item))
            names.append(item)
            continue
        if not p.exists() and not _is_builtin(item):
            raise RunError(f"{item}: no such file")
        data = _load_like(pre, item, {})
        rows.append(data.X if sp.issparse(data.X) else np.asarray(data.X, dtype=np.float64))
        if data.files is not None:
            names += list(data.files)
        else:
            names += [f"{item}:{i + 1}" for i in range(len(data.y))]
    if any(sp.issparse(r) for r in rows):  # a sparse file among them: kept sparse
        X: Any = sp.vstack([sp.csr_matrix(r) for r in rows], format="csr")
    else:
        X = np.vstack(rows)
    pred, proba = _predict(est, X, pre)
    results: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        if pre.task == "multilabel":
            labels = [c for c, on in zip(pre.class_names, pred[i]) if on]
            results.append(
                {"input": name, "labels": labels, "probabilities": [float(v) for v in proba[i]]}
            )
        else:
            k = int(np.searchsorted(est.classes_, pred[i]))
            results.append(
                {
                    "input": name,
                    "label": pre.class_names[k],
                    "probability": float(proba[i, k]),
                }
            )
    return results


def _read_one_image(pre: Preprocessing, file: str) -> np.ndarray:
    """One image file as the model's input row: resized to the training images'
    shape (a folder's --size, an HDF5 file's own) and unrolled."""
    shape = pre.image_shape
    if shape is None:
        raise RunError(f"{file} is an image, but the model in this run was trained on a table")
    height, width, channels = shape
    if height != width or channels not in (1, 3) or height > _MAX_IMAGE_SIDE:
        raise RunError(
            f"{file}: the model reads {height}x{width}x{channels} arrays, not image files"
        )
    color = "rgb" if channels == 3 else "grayscale"
    try:
        return np.asarray(ImageFiles([file], size=height, color=color)[0]).reshape(1, -1)
    except ValueError as exc:
        raise DataError(str(exc)) from None
