"""Safe model files: a fitted estimator in one safetensors file, no pickle anywhere.

:func:`save_model` writes a fitted logitlab estimator (and optional preprocessing
statistics) to one `safetensors <https://huggingface.co/docs/safetensors>`_ file;
:func:`load_model` and :func:`read_model_file` read it back. Loading never executes
code from the file: the tensors are raw little-endian numbers, everything else is JSON
text in the safetensors header, and the estimator class is looked up by name among
logitlab's own classes (nothing is imported from a name read in the file).

File format (``format = "logitlab-model"``, ``format_version = 2``)
-----------------------------------------------------------------
Tensors:

- ``model.theta``: the flat parameter vector of the network (all W[l], b[l]), in the
  network's dtype; ``model.history`` and, with a validation set,
  ``model.validation_history`` (and ``model.validation_scores``).
- The vectors of the training state (``train_state_``), each as long as ``theta``:
  ``model.train_state.optimizer.v`` (momentum; Adam's second moment),
  ``model.train_state.optimizer.m`` (Adam's first moment) and
  ``model.train_state.monitor.best_theta`` (the best parameters early stopping kept).
- For :class:`~logitlab.OneVsAllClassifier`, the same tensors for each fitted
  sub-model ``i`` under ``model.estimators.<i>.``; for
  :class:`~logitlab.ClassifierChainEnsemble`, for the k-th classifier of chain c under
  ``model.chains.<c>.<k>.``.
- ``preprocessing.<key>``: each NumPy array given in ``preprocessing``.

Header metadata (``str -> str``):

- ``format``, ``format_version``, ``logitlab_version``, ``estimator`` (class name).
- ``model``: JSON describing the estimator: its class, constructor parameters,
  ``classes_`` (values and dtype, so labels come back with their type),
  ``n_features_in_``, ``feature_names_in_``; for the network estimators also the
  :class:`~logitlab.ModelSpec` dict, the network dtype, ``n_iter_`` and
  ``train_state``: the rest of the :class:`~logitlab.numpy_engine.TrainState` (epoch,
  Adam's step, the schedule's and early stopping's counters, +inf as ``"inf"``, the
  DataLoader seed, and the random generator's state, for NumPy's PCG64, PCG64DXSM,
  SFC64, Philox and MT19937 only, its large integers as decimal strings), or null; for
  one-vs-all the list of sub-models; for chains ``orders`` (each chain's order of the
  labels) and ``chains`` (each chain's list of sub-models, in its order);
  ``thresholds``, the per-label thresholds ``threshold="cv"`` chose, or null;
  ``learning_rate``, the rate training used
  (``learning_rate_``), and ``lr_finder``, the range test of ``learning_rate="auto"``
  (rates, smoothed costs, the rate found, whether it diverged), or null. A fit with
  ``warm_start=True`` continues such a state exactly. Version 1 files (no state) load
  with ``train_state_ = None``.
- ``preprocessing``: JSON with the non-array preprocessing values and the names of the
  array ones.
- ``checksum``: ``sha256:<hex>`` over every tensor's name, dtype, shape and bytes and
  over every other metadata entry, checked on load: a file whose bytes were altered is
  refused. The checksum catches accidents (truncation, bit rot, edits), not an
  attacker, who can compute it for a changed file.

Loading treats a file as untrusted input. Only a regular file is opened (a named pipe, a
device or a directory is refused at once, also behind a symbolic link), and every size
the file states is checked before anything is allocated from it: the header length
against the file's size and 100 MB; each tensor's dtype, shape and byte range against
the file; the JSON nesting depth; the class count (at most 1e6) against the output
layer; the number of chains (at most 10 000) against ``n_chains`` and each chain's
classifiers against its order and their inputs; ``n_features_in`` and every layer size
against the parameter vector in the file (checked before the network is built); the
shapes and dtypes of arrays stored in JSON; integers that must be integers; every field
of the training state by type and range, its vectors against the parameter count and its
generator against NumPy's own list. Anything wrong is a :class:`ModelFileError`.

Files are written to a temporary name in the destination folder and renamed over the
destination (:func:`os.replace`) only once complete, so an interrupted save never leaves
a half-written file under the final name.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import stat
import struct
import uuid
import warnings
from numbers import Integral

import numpy as np
import safetensors.numpy as st_numpy
from sklearn.utils.validation import check_is_fitted

from ._version import __version__
from .estimators import (
    ClassifierChainEnsemble,
    LogisticRegression,
    MultiLabelClassifier,
    NeuralNetClassifier,
    OneVsAllClassifier,
    SoftmaxRegression,
)
from .export import to_onnx as to_onnx  # ONNX export (needs onnx): see logitlab.export
from .numpy_engine import LRFinderResult, Network, TrainState
from .numpy_engine.solvers import BIT_GENERATORS, OPTIMIZER_VECTORS
from .spec import ENGINES, ModelSpec

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "READ_VERSIONS",
    "ModelFileError",
    "ModelFileNotFoundError",
    "load_model",
    "read_model_file",
    "save_model",
]

FORMAT_NAME = "logitlab-model"
#: version 2 adds the training state (``train_state_``) and ``validation_scores_``
FORMAT_VERSION = 2
#: the versions this logitlab reads: a version 1 file loads with ``train_state_ = None``
READ_VERSIONS = (1, 2)

#: The classes a model file may name; nothing else is ever instantiated on load.
_CLASSES = {
    cls.__name__: cls
    for cls in (
        LogisticRegression,
        SoftmaxRegression,
        MultiLabelClassifier,
        NeuralNetClassifier,
        OneVsAllClassifier,
        ClassifierChainEnsemble,
    )
}

# the safetensors dtypes a model file holds, as the header names them, and their NumPy
# dtypes (little-endian, as safetensors stores them)
_ST_DTYPES = {
    code: np.dtype(name).newbyteorder("<")
    for code, name in {
        "BOOL": "bool",
        "U8": "uint8",
        "I8": "int8",
        "U16": "uint16",
        "I16": "int16",
        "U32": "uint32",
        "I32": "int32",
        "U64": "uint64",
        "I64": "int64",
        "F16": "float16",
        "F32": "float32",
        "F64": "float64",
        "C64": "complex64",
    }.items()
}
# NumPy dtypes stored as tensors (by numpy's dtype name)
_TENSOR_DTYPES = {d.name for d in _ST_DTYPES.values()}
_NETWORK_DTYPES = ("float32", "float64")
_CLASS_KINDS = "biufUO"  # dtype kinds allowed for classes_
_ARRAY_KINDS = "biufU"  # dtype kinds of arrays stored inside JSON values
# a dtype as dtype.str writes it: "<f8", "|b1", "<U5", "|O"
_DTYPE_TEXT = re.compile(r"[<>|=]?(?:[biufU][0-9]{1,10}|[biufUO])")

_MODEL_PREFIX = "model."
_PRE_PREFIX = "preprocessing."

# tags of the JSON encoding of values that plain JSON would not give back exactly
_TUPLE, _NDARRAY = "__tuple__", "__ndarray__"
_SCALAR, _ESTIMATOR = "__scalar__", "__estimator__"
_TAGS = (_TUPLE, _NDARRAY, _SCALAR, _ESTIMATOR)


class ModelFileError(ValueError):
    """A model file that cannot be read: not safetensors, truncated, not a logitlab
    model, an unsupported format version, altered bytes or an inconsistent content.

    The message names the file and the problem; ``path`` and ``problem`` hold them.
    """

    def __init__(self, path, problem):
        self.path = os.fspath(path)
        self.problem = problem
        super().__init__(f"cannot load model file {self.path!r}: {problem}")


class ModelFileNotFoundError(ModelFileError, FileNotFoundError):
    """The model file does not exist (a :class:`ModelFileError` and a
    :class:`FileNotFoundError`)."""


class _NotJSON(Exception):
    """A value the JSON encoding cannot represent exactly."""


# ============================================================== JSON values
def _encode_value(value):
    """JSON-ready form of ``value``; tuples, NumPy arrays and scalars are tagged so that
    they come back with their type. Raises _NotJSON for anything else."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic):
        if value.dtype.kind not in "biuf":
            raise _NotJSON(f"a NumPy scalar of dtype {value.dtype}")
        return {_SCALAR: value.item(), "dtype": value.dtype.str}
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _ARRAY_KINDS:
            raise _NotJSON(f"an array of dtype {value.dtype}")
        return {_NDARRAY: value.tolist(), "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, tuple):
        return {_TUPLE: [_encode_value(v) for v in value]}
    if isinstance(value, list):
        return [_encode_value(v) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise _NotJSON(f"a dict with a non-string key {k!r}")
            if k in _TAGS:
                raise _NotJSON(f"a dict with the reserved key {k!r}")
            out[k] = _encode_value(v)
        return out
    raise _NotJSON(f"an object of type {type(value).__name__}")


def _is_int(value):
    """A JSON integer: a Python int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def _leaf_ok(value, kind):
    """Whether a JSON value is what an array of dtype kind ``kind`` holds."""
    if kind == "b":
        return isinstance(value, bool)
    if kind in "iu":
        return _is_int(value)
    if kind == "f":
        return _is_int(value) or isinstance(value, float)
    return isinstance(value, str)  # "U"


class _Budget:
    """Bytes that the arrays decoded from a file's JSON metadata may still take, so that
    a small file cannot make the loader allocate much more than its own size."""

    def __init__(self, limit):
        self.left = limit

    def take(self, nbytes, what):
        if nbytes > self.left:
            raise ValueError(
                f"{what} would take {nbytes} bytes, more than a model file of this size "
                "can describe"
            )
        self.left -= nbytes


def _take(budget, nbytes, what):
    if budget is not None:
        budget.take(nbytes, what)


def _tagged(obj, keys):
    if set(obj) != keys:
        raise ValueError(f"a tagged value with the entries {sorted(obj)}, not {sorted(keys)}")


def _check_shape(shape, what):
    """``shape`` as a tuple, if it is a list of at most _MAX_NDIM non-negative ints whose
    extent (zero sizes counted as 1) stays below _MAX_SPAN."""
    if (
        not isinstance(shape, list)
        or len(shape) > _MAX_NDIM
        or not all(_is_int(d) and d >= 0 for d in shape)
    ):
        raise ValueError(
            f"{what} is not a list of at most {_MAX_NDIM} non-negative integers: "
            f"{_short(repr(shape))}"
        )
    if math.prod(max(d, 1) for d in shape) > _MAX_SPAN:
        raise ValueError(f"{what} {shape} is too large")
    return tuple(shape)


def _count_leaves(value, kind):
    """Number of values in a nested list (the longest string's length for kind "U"),
    checking each is of the kind; without building anything."""
    count = longest = 0
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(v)
        elif _leaf_ok(v, kind):
            count += 1
            if kind == "U":
                longest = max(longest, len(v))
        else:
            raise ValueError(f"an array of dtype kind {kind!r} holds a {type(v).__name__}")
    return count, longest


def _decode_ndarray(obj, budget):
    _tagged(obj, {_NDARRAY, "dtype", "shape"})
    dtype = _safe_dtype(obj["dtype"], _ARRAY_KINDS)
    shape = _check_shape(obj["shape"], "an array's shape")
    count, longest = _count_leaves(obj[_NDARRAY], dtype.kind)
    if math.prod(shape) != count:
        raise ValueError(f"an array of shape {shape} holds {count} values")
    itemsize = dtype.itemsize or 4 * max(longest, 1)  # "U" alone: as long as the longest
    _take(budget, count * itemsize, f"an array of {count} values of dtype {dtype}")
    arr = np.array(obj[_NDARRAY], dtype=dtype)
    if arr.size != count:
        raise ValueError("an array's values are not a regular nested list")
    return arr.reshape(shape)


def _decode_value(obj, budget=None):
    """Inverse of :func:`_encode_value` (estimators excepted: see _decode_params). Every
    array it builds is charged to ``budget`` (None: no limit) before it is allocated."""
    if isinstance(obj, list):
        return [_decode_value(v, budget) for v in obj]
    if not isinstance(obj, dict):
        return obj
    tag = next((t for t in _TAGS if t in obj), None)
    if tag is None:
        return {k: _decode_value(v, budget) for k, v in obj.items()}
    if tag == _ESTIMATOR:
        raise ValueError("an estimator is only allowed as a constructor parameter")
    if tag == _NDARRAY:
        return _decode_ndarray(obj, budget)
    if tag == _TUPLE:
        _tagged(obj, {_TUPLE})
        if not isinstance(obj[_TUPLE], list):
            raise ValueError("a tagged tuple does not hold a list")
        return tuple(_decode_value(v, budget) for v in obj[_TUPLE])
    _tagged(obj, {_SCALAR, "dtype"})
    dtype = _safe_dtype(obj["dtype"], "biuf")
    if not _leaf_ok(obj[_SCALAR], dtype.kind):
        raise ValueError(f"a scalar of dtype {dtype} holds a {type(obj[_SCALAR]).__name__}")
    return dtype.type(obj[_SCALAR])


def _safe_dtype(text, kinds):
    """The NumPy dtype a file names, if it is a plain one (as ``dtype.str`` writes it)
    of one of the dtype kinds ``kinds``."""
    if not isinstance(text, str) or not _DTYPE_TEXT.fullmatch(text):
        raise ValueError(f"dtype {_short(repr(text))} is not allowed here")
    try:
        dtype = np.dtype(text)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"dtype {text!r} is not a valid dtype") from None
    if dtype.kind not in kinds:
        raise ValueError(f"dtype {dtype} is not allowed here")
    return dtype


def _short(text, limit=200):
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ================================================================== classes
def _encode_classes(classes, name):
    arr = np.asarray(classes)
    if arr.ndim != 1:
        raise ValueError(f"cannot save {name}: classes_ has shape {arr.shape}, not 1-D")
    kind = arr.dtype.kind
    if kind == "O":
        if all(isinstance(v, str) for v in arr):
            values = [str(v) for v in arr]
        elif all(
            isinstance(v, (Integral, np.integer)) and not isinstance(v, (bool, np.bool_))
            for v in arr
        ):
            values = [int(v) for v in arr]
        else:
            raise ValueError(
                f"cannot save {name}: its classes_ are an object array mixing types "
                f"({sorted({type(v).__name__ for v in arr})}); only labels that are all "
                "strings or all integers can be stored exactly in a model file"
            )
    elif kind in _CLASS_KINDS:
        values = arr.tolist()
    else:
        raise ValueError(
            f"cannot save {name}: classes_ of dtype {arr.dtype} cannot be stored exactly "
            "in a model file (use integer, boolean, float or string labels)"
        )
    record = {"dtype": arr.dtype.str, "values": values}
    back = _decode_classes(json.loads(json.dumps(record)))
    if back.dtype != arr.dtype or not np.array_equal(back, arr):
        raise ValueError(
            f"cannot save {name}: its classes_ {arr!r} do not survive the JSON encoding "
            "of a model file exactly"
        )
    return record


def _decode_classes(record, budget=None):
    if not isinstance(record, dict):
        raise ValueError("classes is not a JSON object")
    dtype = _safe_dtype(record["dtype"], _CLASS_KINDS)
    values = record["values"]
    if not isinstance(values, list):
        raise ValueError("classes values are not a list")
    if len(values) > _MAX_CLASSES:
        raise ValueError(f"{len(values)} classes, more than the limit of {_MAX_CLASSES}")
    if dtype.kind == "O":
        if not (all(isinstance(v, str) for v in values) or all(_is_int(v) for v in values)):
            raise ValueError("object classes must be all strings or all integers")
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
        return arr
    if not all(_leaf_ok(v, dtype.kind) for v in values):
        raise ValueError(f"classes of dtype {dtype} hold values of another type")
    itemsize = dtype.itemsize or 4 * max((len(v) for v in values), default=1)
    _take(budget, len(values) * itemsize, f"{len(values)} classes of dtype {dtype}")
    return np.array(values, dtype=dtype).reshape(len(values))


# =========================================================== training state
#
# An estimator's ``train_state_`` (:class:`~logitlab.numpy_engine.TrainState`): its
# vectors (the optimiser's and the best parameters so far) are tensors, checked against
# the network's parameter count; everything else is JSON in the model record, each value
# checked by type and range. The random generator's state is stored field by field for
# the bit generators below only, its large integers as decimal strings.

#: NumPy's bit generators a model file may name, and the layout of their ``.state``:
#: ("big", bits) an integer below 2**bits as a decimal string, ("small", hi) a JSON
#: integer 0..hi, ("array", dtype, n) n integers of that dtype as decimal strings.
_PCG_STATE = {
    "state": {"state": ("big", 128), "inc": ("big", 128)},
    "has_uint32": ("small", 1),
    "uinteger": ("small", 2**32 - 1),
}
_RNG_LAYOUTS = {
    "PCG64": _PCG_STATE,
    "PCG64DXSM": _PCG_STATE,
    "SFC64": {
        "state": {"state": ("array", "uint64", 4)},
        "has_uint32": ("small", 1),
        "uinteger": ("small", 2**32 - 1),
    },
    "Philox": {
        "state": {"counter": ("array", "uint64", 4), "key": ("array", "uint64", 2)},
        "buffer": ("array", "uint64", 4),
        "buffer_pos": ("small", 4),
        "has_uint32": ("small", 1),
        "uinteger": ("small", 2**32 - 1),
    },
    "MT19937": {"state": {"key": ("array", "uint32", 624), "pos": ("small", 624)}},
}
# a layout for each generator a training state may name, and no other
assert set(_RNG_LAYOUTS) == set(BIT_GENERATORS)
#: largest epoch, step and counter a training state may hold
_MAX_COUNT = 2**62
_DIGITS = re.compile(r"[0-9]{1,40}")
_STATE_KEYS = ("epoch", "rng", "optimizer", "schedule", "monitor", "loader_seed")
_SCHEDULE_KEYS = ("horizon", "factor", "best", "bad")
_MONITOR_KEYS = ("best", "bad", "best_iteration", "best_theta")
_STATE_PREFIX = "train_state."


def _keys(obj, keys, field):
    """``obj`` if it is a dict (a JSON object) with exactly the entries ``keys``."""
    if not isinstance(obj, dict):
        raise ValueError(f"{field} is not a JSON object")
    if set(obj) != set(keys):
        raise ValueError(f"{field} has the entries {_short(str(sorted(obj)))}, not {list(keys)}")
    return obj


def _state_int(value, field, low=0, high=_MAX_COUNT):
    """An integer low..high (a Python or NumPy integer, not a bool)."""
    if isinstance(value, np.integer):
        value = int(value)
    if not _is_int(value) or not low <= value <= high:
        raise ValueError(f"{field} is {_short(repr(value), 60)}, not an integer {low}..{high}")
    return value


def _encode_real(value, field, may_be_inf=False):
    """A finite float as a JSON number; +inf, where it is legitimate, as "inf"."""
    value = float(value)
    if math.isfinite(value):
        return value
    if may_be_inf and value == math.inf:
        return "inf"
    raise ValueError(f"{field} is {value}, not a finite number")


def _decode_real(value, field, may_be_inf=False, low=-math.inf):
    if may_be_inf and value == "inf":
        return math.inf
    if not (_is_int(value) or isinstance(value, float)):
        raise ValueError(f"{field} is {_short(repr(value), 60)}, not a number")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float's range
        number = math.inf
    if not math.isfinite(number) or number < low:
        raise ValueError(f"{field} is {_short(repr(value), 60)}, not a finite number >= {low}")
    return number


def _encode_rng_part(value, layout, field):
    if isinstance(layout, dict):
        if not isinstance(value, dict):
            raise ValueError(f"{field} is not a dict")
        _keys(value, layout, field)
        return {k: _encode_rng_part(value[k], layout[k], f"{field}.{k}") for k in layout}
    kind = layout[0]
    if kind == "small":
        return _state_int(value, field, 0, layout[1])
    if kind == "big":
        return str(_state_int(value, field, 0, 2 ** layout[1] - 1))
    arr = np.asarray(value)
    if arr.dtype != np.dtype(layout[1]) or arr.shape != (layout[2],):
        raise ValueError(f"{field} is not a {layout[1]} array of {layout[2]} values")
    return [str(int(v)) for v in arr]


def _decode_big(value, bits, field):
    if not isinstance(value, str) or not _DIGITS.fullmatch(value) or int(value) >= 2**bits:
        raise ValueError(f"{field} is {_short(repr(value), 60)}, not a decimal integer < 2**{bits}")
    return int(value)


def _decode_rng_part(obj, layout, field):
    if isinstance(layout, dict):
        _keys(obj, layout, field)
        return {k: _decode_rng_part(obj[k], layout[k], f"{field}.{k}") for k in layout}
    kind = layout[0]
    if kind == "small":
        return _state_int(obj, field, 0, layout[1])
    if kind == "big":
        return _decode_big(obj, layout[1], field)
    dtype, n = np.dtype(layout[1]), layout[2]
    if not isinstance(obj, list) or len(obj) != n:
        raise ValueError(f"{field} is not a list of {n} values")
    bits = 8 * dtype.itemsize
    return np.array([_decode_big(v, bits, f"{field}[{i}]") for i, v in enumerate(obj)], dtype)


def _rng_name(obj, field):
    name = obj.get("bit_generator") if isinstance(obj, dict) else None
    if not isinstance(name, str) or name not in _RNG_LAYOUTS:
        raise ValueError(
            f"{field}: bit generator {_short(repr(name), 60)} is not one a model file may "
            f"hold ({', '.join(_RNG_LAYOUTS)})"
        )
    return name


def _encode_rng(state, field):
    if not state:
        return None
    name = _rng_name(state, field)
    rest = {k: v for k, v in state.items() if k != "bit_generator"}
    return {"bit_generator": name, **_encode_rng_part(rest, _RNG_LAYOUTS[name], field)}


def _decode_rng(obj, field):
    """The generator's state as NumPy's ``bit_generator.state`` gives it, after NumPy
    itself accepted it; None (a fresh start) for null."""
    if obj is None:
        return None
    name = _rng_name(obj, field)
    rest = {k: v for k, v in obj.items() if k != "bit_generator"}
    state = {"bit_generator": name, **_decode_rng_part(rest, _RNG_LAYOUTS[name], field)}
    bit_generator = BIT_GENERATORS[name](0)
    try:
        bit_generator.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as e:
        raise ValueError(f"{field}: NumPy refuses it ({_short(str(e), 80)})") from None
    return bit_generator.state


def _state_vector(value, n_params, field):
    arr = np.asarray(value)
    if arr.dtype.name not in _NETWORK_DTYPES or arr.shape != (n_params,):
        raise ValueError(
            f"{field} is a {arr.dtype} array of shape {arr.shape}, not a float32 or float64 "
            f"vector of the network's {n_params} parameters"
        )
    return arr


def _optimizer_names(solver, keys, field):
    """The vector names of an optimiser state with entries ``keys`` for ``solver``."""
    names = OPTIMIZER_VECTORS.get(solver, ())
    allowed = [set()] if not names else [set(), {*names, "t"} if solver == "adam" else {*names}]
    if set(keys) not in allowed:
        raise ValueError(
            f"{field} has the entries {_short(str(sorted(keys)))}; a {solver!r} solver keeps "
            f"{' or '.join(str(sorted(a)) for a in allowed)}"
        )
    return names if keys else ()


def _encode_train_state(state, n_params, solver, prefix):
    """(JSON record, tensors) of a :class:`TrainState`; ValueError if it is not one that
    a model file can hold or that fits this network and solver."""
    if not isinstance(state, TrainState):
        raise ValueError(f"train_state_ is a {type(state).__name__}, not a TrainState")
    tensors, opt = {}, state.optimizer
    if not isinstance(opt, dict):
        raise ValueError("train_state.optimizer is not a dict")
    optimizer = {}
    for key in _optimizer_names(solver, opt, "train_state.optimizer"):
        field = f"train_state.optimizer.{key}"
        tensors[f"{prefix}{_STATE_PREFIX}optimizer.{key}"] = _little_endian(
            _state_vector(opt[key], n_params, field)
        )
        optimizer[key] = True
    if "t" in opt:
        optimizer["t"] = _state_int(opt["t"], "train_state.optimizer.t")
    schedule = {}
    if state.schedule:
        s = _keys(state.schedule, _SCHEDULE_KEYS, "train_state.schedule")
        schedule = {
            "horizon": _state_int(s["horizon"], "train_state.schedule.horizon"),
            "factor": _encode_real(s["factor"], "train_state.schedule.factor"),
            "best": _encode_real(s["best"], "train_state.schedule.best", may_be_inf=True),
            "bad": _state_int(s["bad"], "train_state.schedule.bad"),
        }
    monitor = {}
    if state.monitor:
        s = _keys(state.monitor, _MONITOR_KEYS, "train_state.monitor")
        best_theta = s["best_theta"]
        monitor = {
            "best": _encode_real(s["best"], "train_state.monitor.best", may_be_inf=True),
            "bad": _state_int(s["bad"], "train_state.monitor.bad"),
            "best_iteration": (
                None
                if s["best_iteration"] is None
                else _state_int(s["best_iteration"], "train_state.monitor.best_iteration")
            ),
            "best_theta": best_theta is not None,
        }
        if best_theta is not None:
            tensors[f"{prefix}{_STATE_PREFIX}monitor.best_theta"] = _little_endian(
                _state_vector(best_theta, n_params, "train_state.monitor.best_theta")
            )
    record = {
        "epoch": _state_int(state.epoch, "train_state.epoch"),
        "rng": _encode_rng(state.rng, "train_state.rng"),
        "optimizer": optimizer,
        "schedule": schedule,
        "monitor": monitor,
        "loader_seed": (
            None
            if state.loader_seed is None
            else _state_int(state.loader_seed, "train_state.loader_seed")
        ),
    }
    return record, tensors


def _decode_train_state(record, tensor, n_params, solver):
    """The :class:`TrainState` of a model record's ``train_state`` entry (None for null
    or absent: files written before states were saved); ``tensor(key)`` gives the tensor
    ``train_state.<key>`` (ValueError if missing). ValueError names the bad field."""
    if record is None:
        return None
    _keys(record, _STATE_KEYS, "train_state")
    epoch = _state_int(record["epoch"], "train_state.epoch")
    opt_record = record["optimizer"]
    if not isinstance(opt_record, dict):
        raise ValueError("train_state.optimizer is not a JSON object")
    optimizer = {}
    for key in _optimizer_names(solver, opt_record, "train_state.optimizer"):
        field = f"train_state.optimizer.{key}"
        if opt_record[key] is not True:
            raise ValueError(f"{field} is not true (its vector is the tensor {field!r})")
        optimizer[key] = np.array(_state_vector(tensor(f"optimizer.{key}"), n_params, field))
    if "t" in opt_record:
        optimizer["t"] = _state_int(opt_record["t"], "train_state.optimizer.t")
    schedule = {}
    if record["schedule"] != {}:
        s = _keys(record["schedule"], _SCHEDULE_KEYS, "train_state.schedule")
        schedule = {
            "horizon": _state_int(s["horizon"], "train_state.schedule.horizon"),
            "factor": _decode_real(s["factor"], "train_state.schedule.factor", low=0.0),
            "best": _decode_real(s["best"], "train_state.schedule.best", may_be_inf=True),
            "bad": _state_int(s["bad"], "train_state.schedule.bad"),
        }
    monitor = {}
    if record["monitor"] != {}:
        s = _keys(record["monitor"], _MONITOR_KEYS, "train_state.monitor")
        best_iteration = s["best_iteration"]
        if best_iteration is not None:
            best_iteration = _state_int(
                best_iteration, "train_state.monitor.best_iteration", high=epoch
            )
        if not isinstance(s["best_theta"], bool):
            raise ValueError("train_state.monitor.best_theta is not true or false")
        best_theta = None
        if s["best_theta"]:
            field = "train_state.monitor.best_theta"
            best_theta = np.array(_state_vector(tensor("monitor.best_theta"), n_params, field))
        monitor = {
            "best": _decode_real(s["best"], "train_state.monitor.best", may_be_inf=True),
            "bad": _state_int(s["bad"], "train_state.monitor.bad"),
            "best_iteration": best_iteration,
            "best_theta": best_theta,
        }
    loader_seed = record["loader_seed"]
    if loader_seed is not None:
        loader_seed = _state_int(loader_seed, "train_state.loader_seed")
    return TrainState(
        epoch=epoch,
        rng=_decode_rng(record["rng"], "train_state.rng") or {},
        optimizer=optimizer,
        schedule=schedule,
        monitor=monitor,
        loader_seed=loader_seed,
    )


# =================================================================== saving
def _encode_params(estimator, name):
    """JSON form of ``estimator.get_params(deep=False)``."""
    out, dropped = {}, []
    for key, value in estimator.get_params(deep=False).items():
        if key == "random_state" and isinstance(
            value, (np.random.RandomState, np.random.Generator)
        ):
            value = None  # a generator's state is not a parameter worth keeping
        if hasattr(value, "get_params") and hasattr(value, "fit"):
            out[key] = {_ESTIMATOR: _encode_template(value, f"{name}.{key}")}
            continue
        try:
            out[key] = _encode_value(value)
        except _NotJSON:
            dropped.append(key)
    if dropped:
        warnings.warn(
            f"{name}: constructor parameter(s) {dropped} cannot be stored as JSON and were "
            "not saved; the loaded estimator will have their default values",
            UserWarning,
            stacklevel=4,
        )
    return out


def _encode_template(estimator, name):
    cls_name = _check_class(estimator, name)
    return {"class": cls_name, "params": _encode_params(estimator, name)}


def _check_class(estimator, name):
    cls_name = type(estimator).__name__
    if _CLASSES.get(cls_name) is not type(estimator):
        raise ValueError(
            f"cannot save {name}: {type(estimator).__module__}.{cls_name} is not one of "
            f"the logitlab estimators a model file can hold ({', '.join(_CLASSES)})"
        )
    return cls_name


def _little_endian(arr):
    arr = np.asarray(arr)
    if arr.dtype.byteorder == ">" or (arr.dtype.byteorder == "=" and np.little_endian is False):
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    # not np.ascontiguousarray: it turns 0-d arrays into 1-d ones
    return arr if arr.flags.c_contiguous else arr.copy(order="C")


def _encode_learning_rate(estimator):
    """``learning_rate`` (``learning_rate_``, a number or null) and ``lr_finder`` (the
    range test of ``learning_rate="auto"`` as :meth:`LRFinderResult.to_dict`, or null)."""
    rate = getattr(estimator, "learning_rate_", None)
    finder = getattr(estimator, "lr_finder_", None)
    return {
        "learning_rate": None if rate is None else float(rate),
        "lr_finder": None if finder is None else finder.to_dict(),
    }


def _decode_learning_rate(record, path, name):
    """(``learning_rate_``, ``lr_finder_``) of a record; both None in files written
    before they were saved."""
    rate = record.get("learning_rate")
    if rate is not None and not (
        isinstance(rate, (int, float))
        and not isinstance(rate, bool)
        and math.isfinite(rate)
        and rate > 0
    ):
        raise ModelFileError(path, f"{name}: learning_rate {_short(repr(rate))} is not a rate > 0")
    finder = record.get("lr_finder")
    if finder is not None:
        try:
            if not isinstance(finder, dict) or set(finder) != _LR_FINDER_KEYS:
                raise ValueError(f"expected the keys {sorted(_LR_FINDER_KEYS)}")
            if any(len(finder[k]) > _MAX_LR_FINDER_STEPS for k in ("rates", "costs")):
                raise ValueError(f"more than {_MAX_LR_FINDER_STEPS} steps")
            finder = LRFinderResult.from_dict(finder)
        except (TypeError, ValueError) as e:
            raise ModelFileError(path, f"{name}: invalid lr_finder: {_short(str(e))}") from None
    return None if rate is None else float(rate), finder


_LR_FINDER_KEYS = {"rates", "costs", "learning_rate", "diverged"}
_MAX_LR_FINDER_STEPS = 100_000


def _encode_estimator(estimator, prefix, tensors, name):
    """The JSON record of a fitted estimator; its arrays are added to ``tensors``."""
    cls_name = _check_class(estimator, name)
    check_is_fitted(estimator)
    record = {
        "class": cls_name,
        "params": _encode_params(estimator, name),
        "classes": _encode_classes(estimator.classes_, name),
        "n_features_in": int(estimator.n_features_in_),
        "feature_names_in": (
            None
            if getattr(estimator, "feature_names_in_", None) is None
            else [str(f) for f in estimator.feature_names_in_]
        ),
    }
    if isinstance(estimator, OneVsAllClassifier):
        record["estimators"] = [
            _encode_estimator(sub, f"{prefix}estimators.{i}.", tensors, f"{name}.estimators_[{i}]")
            for i, sub in enumerate(estimator.estimators_)
        ]
        return record
    record["thresholds"] = _encode_thresholds(estimator)
    if isinstance(estimator, ClassifierChainEnsemble):
        record["orders"] = [[int(j) for j in order] for order in estimator.orders_]
        record["chains"] = [
            [
                _encode_estimator(
                    sub, f"{prefix}chains.{c}.{k}.", tensors, f"{name}.estimators_[{c}][{k}]"
                )
                for k, sub in enumerate(chain)
            ]
            for c, chain in enumerate(estimator.estimators_)
        ]
        return record
    net = getattr(estimator, "network_", None)
    if net is None:
        raise ValueError(f"cannot save {name}: it has no fitted network_")
    theta = np.asarray(net.theta)
    dtype = np.dtype(net.dtype)
    if dtype.name not in _NETWORK_DTYPES or theta.dtype != dtype:
        raise ValueError(
            f"cannot save {name}: network parameters of dtype {theta.dtype} "
            f"(network dtype {dtype}); expected float32 or float64"
        )
    if theta.shape != (net.spec.n_params,):
        raise ValueError(
            f"cannot save {name}: its parameter vector has shape "
            f"{theta.shape}, its spec needs ({net.spec.n_params},)"
        )
    record.update(spec=net.spec.to_dict(), dtype=dtype.name, n_iter=int(estimator.n_iter_))
    record.update(_encode_learning_rate(estimator))
    tensors[prefix + "theta"] = _little_endian(theta)
    tensors[prefix + "history"] = _little_endian(estimator.history_)
    for key in ("validation_history", "validation_scores"):
        values = getattr(estimator, key + "_", None)
        record[key] = values is not None
        if values is not None:
            values = np.asarray(values)
            if values.dtype.kind != "f":
                values = values.astype(np.float64)
            tensors[prefix + key] = _little_endian(values)
    record["train_state"] = None
    state = getattr(estimator, "train_state_", None)
    if state is not None:
        try:
            state_record, state_tensors = _encode_train_state(
                state, net.spec.n_params, estimator.solver, prefix
            )
            # what the loader would refuse is not written: the file must load
            _decode_train_state(
                json.loads(json.dumps(state_record)),
                lambda key: state_tensors[f"{prefix}{_STATE_PREFIX}{key}"],
                net.spec.n_params,
                estimator.solver,
            )
        except (ValueError, TypeError, KeyError) as e:
            warnings.warn(
                f"{name}: its train_state_ cannot be stored ({_short(str(e))}); the file is "
                "saved without it, so a warm start from it will restart the optimiser, "
                "the schedule and the generator",
                UserWarning,
                stacklevel=3,
            )
        else:
            record["train_state"] = state_record
            tensors.update(state_tensors)
    return record


def _encode_thresholds(estimator):
    """``thresholds_`` (chosen by ``threshold="cv"``) as a list, or None."""
    thresholds = getattr(estimator, "thresholds_", None)
    return None if thresholds is None else [float(t) for t in thresholds]


def _encode_preprocessing(preprocessing, tensors):
    if preprocessing is None:
        preprocessing = {}
    if not isinstance(preprocessing, dict):
        raise TypeError(f"preprocessing must be a dict or None, got {type(preprocessing).__name__}")
    arrays, values = [], {}
    for key, value in preprocessing.items():
        if not isinstance(key, str):
            raise ValueError(f"preprocessing keys must be strings, got {key!r}")
        if isinstance(value, np.ndarray) and value.dtype.name in _TENSOR_DTYPES:
            tensors[_PRE_PREFIX + key] = _little_endian(value)
            arrays.append(key)
            continue
        try:
            values[key] = _encode_value(value)
        except _NotJSON as e:
            raise ValueError(
                f"preprocessing[{key!r}] is {e}: give NumPy arrays of a numeric or "
                "boolean dtype, or JSON values (None, bool, int, float, str, lists, "
                "tuples and dicts of them)"
            ) from None
    return {"arrays": arrays, "values": values}


def _field(h, data):
    h.update(len(data).to_bytes(8, "little"))
    h.update(data)


def _checksum(tensors, metadata):
    """``sha256:<hex>`` over every tensor (name, dtype, shape, bytes) and every metadata
    entry but the checksum itself."""
    h = hashlib.sha256(b"logitlab-model checksum 1")
    for name in sorted(tensors):
        arr = _little_endian(tensors[name])
        _field(h, name.encode())
        _field(h, arr.dtype.name.encode())
        _field(h, json.dumps(list(arr.shape)).encode())
        _field(h, arr.tobytes())
    for key in sorted(metadata):
        if key != "checksum":
            _field(h, key.encode())
            _field(h, metadata[key].encode())
    return "sha256:" + h.hexdigest()


def _atomic_save(tensors, metadata, path):
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot save model to {path!r}: folder {folder!r} does not exist")
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot save model to {path!r}: it is a directory")
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    # O_EXCL: never write through someone else's file or link; 0o666 honours the umask
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        st_numpy.save_file(tensors, tmp, metadata=metadata)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable where the platform allows it
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_model(estimator, path, *, preprocessing=None):
    """Save a fitted logitlab estimator to one safetensors file.

    The file holds the parameters as tensors and everything else as JSON metadata (see
    the module docstring); it contains no pickled objects and loading it executes no
    code. The file is written to a temporary name in the same folder and renamed to
    ``path`` when complete (an existing file at ``path`` is replaced only then).

    Parameters
    ----------
    estimator : LogisticRegression, SoftmaxRegression, MultiLabelClassifier, \
NeuralNetClassifier, OneVsAllClassifier or ClassifierChainEnsemble
        A fitted estimator (OneVsAllClassifier and ClassifierChainEnsemble: over
        logitlab's binary classifiers).
    path : str or os.PathLike
        Destination file, conventionally ``*.safetensors``.
    preprocessing : dict or None, default=None
        Extra data kept with the model, e.g. ``{"mean": mu, "scale": sigma,
        "image_size": (64, 64)}``. NumPy arrays of numeric or boolean dtype are stored
        as tensors; other values must be JSON values (None, bool, int, float, str, and
        lists, tuples and str-keyed dicts of them; NumPy scalars and string arrays are
        accepted too) and come back with the same types.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator (or one of its sub-estimators) is not fitted.
    ValueError
        If the estimator is not one of logitlab's, or its ``classes_`` or a
        ``preprocessing`` value cannot be stored exactly.

    Warns
    -----
    UserWarning
        When a constructor parameter cannot be stored as JSON (it is left out and will
        have its default value when loaded). A ``random_state`` that is a
        ``RandomState`` or ``Generator`` is saved as None without a warning.

    See Also
    --------
    load_model, read_model_file

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import load_iris
    >>> from logitlab import SoftmaxRegression
    >>> from logitlab.io import load_model, read_model_file, save_model
    >>> X, y = load_iris(return_X_y=True)
    >>> mean, scale = X.mean(axis=0), X.std(axis=0)
    >>> clf = SoftmaxRegression(alpha=0.1).fit((X - mean) / scale, y)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "iris.safetensors")
    ...     save_model(clf, path, preprocessing={"mean": mean, "scale": scale})
    ...     loaded, pre, meta = read_model_file(path)
    >>> type(loaded).__name__, meta["format"], meta["format_version"]
    ('SoftmaxRegression', 'logitlab-model', 2)
    >>> Xs = (X - pre["mean"]) / pre["scale"]
    >>> bool((loaded.predict_proba(Xs) == clf.predict_proba(Xs)).all())
    True
    """
    name = type(estimator).__name__
    tensors = {}
    record = _encode_estimator(estimator, _MODEL_PREFIX, tensors, name)
    pre = _encode_preprocessing(preprocessing, tensors)
    metadata = {
        "format": FORMAT_NAME,
        "format_version": str(FORMAT_VERSION),
        "logitlab_version": __version__,
        "estimator": record["class"],
        "model": json.dumps(record),
        "preprocessing": json.dumps(pre),
    }
    metadata["checksum"] = _checksum(tensors, metadata)
    _atomic_save(tensors, metadata, os.fspath(path))


# ================================================================== loading
#
# A model file is read as untrusted input: its checksum catches accidents, not someone
# who re-signs a changed file, so every size the file states is checked against the
# file's own size and the limits below before anything is allocated from it.

#: Largest safetensors header read (the limit safetensors itself applies).
_MAX_HEADER_BYTES = 100_000_000
#: Deepest nesting of JSON lists and objects read from a file.
_MAX_JSON_DEPTH = 100
#: Most classes (and one-vs-all sub-models) a model may have.
_MAX_CLASSES = 1_000_000
#: Most chains a classifier-chain ensemble may have.
_MAX_CHAINS = 10_000
#: Most dimensions of an array, and the largest extent of one (zero sizes counted as 1).
_MAX_NDIM, _MAX_SPAN = 32, 2**48
#: The arrays decoded from the JSON metadata may take this much memory, plus so many
#: bytes per byte of the file (JSON arrays are stored as text, larger than the arrays).
_JSON_ARRAY_BYTES, _JSON_ARRAY_BYTES_PER_BYTE = 16 * 2**20, 64


def _corrupt(path, problem):
    return ModelFileError(path, f"not a valid safetensors file (truncated or corrupt?): {problem}")


def _not_regular(mode):
    """Why a file of mode ``mode`` is not read (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "it is a directory, not a model file"
    kinds = (
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    kind = next((k for test, k in kinds if test(mode)), "not a regular file")
    return f"it is {kind}; only regular files are read as model files"


def _json_depth(value):
    """Nesting depth of a decoded JSON value, without recursion."""
    depth, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        depth = max(depth, d)
        children = v.values() if isinstance(v, dict) else v
        stack.extend((c, d + 1) for c in children if isinstance(c, (dict, list)))
    return depth if isinstance(value, (dict, list)) else 0


def _json_loads(text, what):
    """``json.loads`` for text from a file; ValueError for invalid or too deep JSON."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(f"{what} is nested too deeply") from None
    except ValueError as e:
        raise ValueError(f"{what} is not valid JSON: {_short(str(e))}") from None
    if _json_depth(value) > _MAX_JSON_DEPTH:
        raise ValueError(f"{what} is nested more than {_MAX_JSON_DEPTH} levels deep")
    return value


def _utf8(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse_header(raw, data_size, path):
    """The tensor entries ``{name: (dtype, shape, offset, count)}`` and the metadata
    (None if absent) of a safetensors header; each tensor's dtype, shape and offsets are
    checked against the ``data_size`` bytes that follow the header."""
    try:
        header = _json_loads(raw.decode("utf-8"), "its header")
    except ValueError as e:  # UnicodeDecodeError included
        raise _corrupt(path, _short(str(e))) from None
    if not isinstance(header, dict):
        raise _corrupt(path, "its header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (
        isinstance(metadata, dict)
        and all(
            isinstance(k, str) and isinstance(v, str) and _utf8(k) and _utf8(v)
            for k, v in metadata.items()
        )
    ):
        raise _corrupt(path, "its __metadata__ is not a map of strings to strings")
    entries, spans = {}, []
    for name, entry in header.items():
        what = f"tensor {_short(repr(name), 80)}"
        if not _utf8(name):
            raise _corrupt(path, f"{what} has a name that is not UTF-8 text")
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise _corrupt(path, f"{what} is not described by its dtype, shape and data_offsets")
        code, offsets = entry["dtype"], entry["data_offsets"]
        dtype = _ST_DTYPES.get(code) if isinstance(code, str) else None
        if dtype is None:
            raise _corrupt(path, f"{what} has dtype {_short(repr(code))}, not used in model files")
        try:
            shape = _check_shape(entry["shape"], "its shape")
        except ValueError as e:
            raise _corrupt(path, f"{what}: {e}") from None
        if not (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(_is_int(o) for o in offsets)
            and 0 <= offsets[0] <= offsets[1]
        ):
            raise _corrupt(path, f"{what} has invalid data_offsets {_short(repr(offsets))}")
        begin, end = offsets
        if end > data_size:
            raise _corrupt(
                path, f"{what} ends at byte {end} of the tensor data, which has {data_size}"
            )
        count = math.prod(shape)
        if end - begin != count * dtype.itemsize:
            raise _corrupt(
                path,
                f"{what} of shape {list(shape)} and dtype {code} needs "
                f"{count * dtype.itemsize} bytes but its data_offsets span {end - begin}",
            )
        entries[name] = (dtype, shape, begin, count)
        spans.append((begin, end))
    position = 0
    for begin, end in sorted(spans):
        if begin != position:
            raise _corrupt(path, "the tensors' data overlap or leave gaps")
        position = end
    if position != data_size:
        raise _corrupt(path, f"{data_size - position} bytes follow the last tensor's data")
    return entries, metadata


def _read_exactly(f, n, path, what):
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = f.readinto(view[got:])
        if not k:
            raise _corrupt(path, f"the file ends {n - got} bytes before the end of {what}")
        got += k
    return buf


def _read_open_file(f, size, path):
    if size < 8:
        raise _corrupt(path, f"it has {size} bytes, fewer than the 8 of a header length")
    (n,) = struct.unpack("<Q", _read_exactly(f, 8, path, "the header length"))
    if n > _MAX_HEADER_BYTES:
        raise _corrupt(path, f"its header length {n} exceeds the limit of {_MAX_HEADER_BYTES}")
    if n > size - 8:
        raise _corrupt(path, f"its header length {n} exceeds the {size - 8} bytes that follow")
    entries, metadata = _parse_header(_read_exactly(f, n, path, "the header"), size - 8 - n, path)
    data = _read_exactly(f, size - 8 - n, path, "the tensor data")
    if f.read(1):
        raise _corrupt(path, "the file grew while it was read")
    tensors = {}
    for name, (dtype, shape, offset, count) in entries.items():
        if dtype.kind == "b" and count and np.frombuffer(data, np.uint8, count, offset).max() > 1:
            raise _corrupt(
                path, f"boolean tensor {_short(repr(name), 80)} holds bytes other than 0, 1"
            )
        tensors[name] = np.frombuffer(data, dtype, count, offset).reshape(shape)
    return metadata, tensors


def _read_safetensors(path):
    """The metadata (None if it has none) and the tensors of the safetensors file at
    ``path``, and the file's size; errors name the file.

    Only a regular file is opened (a named pipe or a device could block or never end),
    and every size in it is checked against the file's size before anything is read or
    allocated. The file is parsed here rather than by safetensors so that what was
    checked is what is read: it is read once, through one file descriptor.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ModelFileNotFoundError(path, "no such file") from None
    except (OSError, ValueError) as e:
        raise ModelFileError(path, f"cannot read it: {e}") from None
    problem = _not_regular(st.st_mode)
    if problem:
        raise ModelFileError(path, problem)
    # O_NONBLOCK: should the path become a named pipe after the stat, opening it does
    # not wait for a writer (and fstat below refuses it)
    flags = os.O_RDONLY
    for flag in ("O_NONBLOCK", "O_NOCTTY", "O_BINARY"):
        flags |= getattr(os, flag, 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ModelFileNotFoundError(path, "no such file") from None
    except OSError as e:
        raise ModelFileError(path, f"cannot read it: {e}") from None
    try:
        f = open(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise
    with f:
        try:
            st = os.fstat(fd)
            problem = _not_regular(st.st_mode)
            if problem:
                raise ModelFileError(path, problem)
            return (*_read_open_file(f, st.st_size, path), st.st_size)
        except OSError as e:
            raise ModelFileError(path, f"cannot read it: {e}") from None


def _decode_params(cls, params, path, name, budget):
    if not isinstance(params, dict):
        raise ModelFileError(path, f"{name}: constructor parameters are not a JSON object")
    known = set(cls._get_param_names())
    unknown = sorted(set(params) - known)
    if unknown:
        raise ModelFileError(
            path,
            f"{name}: parameter(s) {_short(str(unknown))} are not parameters of "
            f"{cls.__name__} in this logitlab ({__version__}); the file was written by an "
            "incompatible version",
        )
    out = {}
    for key, value in params.items():
        if isinstance(value, dict) and _ESTIMATOR in value:
            _tagged(value, {_ESTIMATOR})
            out[key] = _decode_template(value[_ESTIMATOR], path, f"{name}.{key}", budget)
        else:
            out[key] = _decode_value(value, budget)
    try:
        estimator = cls(**out)
    except TypeError as e:
        raise ModelFileError(path, f"{name}: cannot construct {cls.__name__}: {e}") from None
    try:
        estimator._validate_params()
    except (TypeError, ValueError) as e:
        raise ModelFileError(path, f"{name}: {_short(str(e))}") from None
    return estimator


def _lookup_class(record, path, name):
    cls_name = record.get("class") if isinstance(record, dict) else None
    if not isinstance(cls_name, str) or cls_name not in _CLASSES:
        raise ModelFileError(
            path,
            f"{name}: unknown estimator class {_short(repr(cls_name))} (this logitlab "
            f"reads {', '.join(_CLASSES)})",
        )
    return _CLASSES[cls_name]


def _decode_template(record, path, name, budget):
    cls = _lookup_class(record, path, name)
    return _decode_params(cls, record["params"], path, name, budget)


def _requested_layers(estimator):
    """(hidden layer sizes, activation) that ``estimator``'s parameters ask for, as
    ``fit`` would build them; None for sizes that are not positive integers."""
    if not isinstance(estimator, NeuralNetClassifier):
        return (), "relu"
    h = estimator.hidden_layer_sizes
    h = [h] if isinstance(h, Integral) else list(h) if isinstance(h, (list, tuple)) else h
    if isinstance(h, np.ndarray):
        h = h.tolist() if h.ndim == 1 else None
    if not isinstance(h, list) or not all(
        isinstance(k, Integral) and not isinstance(k, bool) and k >= 1 for k in h
    ):
        return None, estimator.activation
    return tuple(int(k) for k in h), estimator.activation


def _check_template(template, fitted, path, name):
    """A one-vs-all sub-model must be what fitting would clone from the template: of
    its class, and (for networks) with the layers its parameters ask for."""
    if type(template) is not type(fitted):
        raise ModelFileError(
            path,
            f"{name} is a {type(fitted).__name__} but the template it was cloned from is a "
            f"{type(template).__name__}",
        )
    if isinstance(fitted, OneVsAllClassifier):
        inner = template.estimator if template.estimator is not None else LogisticRegression()
        for i, sub in enumerate(fitted.estimators_[:1]):
            _check_template(inner, sub, path, f"{name}.estimators_[{i}]")
        return
    spec = fitted.network_.spec
    if _requested_layers(template) != (spec.hidden, spec.activation):
        raise ModelFileError(
            path,
            f"{name} has hidden layers {spec.hidden} ({spec.activation}) but the "
            "parameters of the template it was cloned from ask for others",
        )


def _count(value, what, path, name, low=0):
    if not _is_int(value) or value < low:
        raise ModelFileError(
            path, f"{name}: {what} is {_short(repr(value))}, not an integer >= {low}"
        )
    return value


def _decode_spec(spec_dict, theta_size, path, name):
    """The ModelSpec of the file, each layer size checked to be an integer no larger
    than the file's parameter vector (every layer size is at most the parameter count)."""
    if not isinstance(spec_dict, dict):
        raise ModelFileError(path, f"{name}: the model spec is not a JSON object")
    n_x, hidden, n_out = spec_dict["n_x"], spec_dict["hidden"], spec_dict["n_out"]
    sizes = [n_x, *hidden, n_out] if isinstance(hidden, list) else None
    if (
        sizes is None
        or len(sizes) > theta_size + 1
        or not all(_is_int(s) and 1 <= s <= theta_size for s in sizes)
    ):
        raise ModelFileError(
            path,
            f"{name}: invalid model spec: layer sizes {_short(repr(sizes or hidden))} are not "
            f"positive integers that a parameter vector of {theta_size} values can hold",
        )
    try:
        return ModelSpec(
            n_x=n_x,
            hidden=tuple(hidden),
            n_out=n_out,
            head=spec_dict["head"],
            activation=spec_dict["activation"],
        )
    except (TypeError, ValueError) as e:
        raise ModelFileError(path, f"{name}: invalid model spec: {_short(str(e))}") from None


def _history(array, path, name, what):
    if array.ndim != 1 or array.dtype.kind != "f":
        raise ModelFileError(
            path, f"{name}: {what} is a {array.dtype} array of shape {array.shape}, not 1-D float"
        )
    return np.array(array)


def _decode_estimator(record, prefix, tensors, expected, path, name, budget):
    """Rebuild a fitted estimator; the tensor names it used are added to ``expected``.

    Every size is checked before the network is allocated: the class count against the
    output layer, ``n_features_in`` against the input layer, and the layer sizes against
    the parameter vector actually in the file."""
    cls = _lookup_class(record, path, name)
    est = _decode_params(cls, record["params"], path, name, budget)
    classes = _decode_classes(record["classes"], budget)
    n_features = _count(record["n_features_in"], "n_features_in", path, name, low=1)
    names = record.get("feature_names_in")
    if names is not None:
        if not (
            isinstance(names, list)
            and len(names) == n_features
            and all(isinstance(f, str) for f in names)
        ):
            raise ModelFileError(
                path, f"{name}: feature_names_in is not a list of {n_features} strings"
            )
    if cls is OneVsAllClassifier:
        subs = record["estimators"]
        if classes.size < 2 or not isinstance(subs, list) or len(subs) != classes.size:
            raise ModelFileError(
                path,
                f"{name}: expected one sub-model per class ({classes.size}), at least 2",
            )
        template = est.estimator if est.estimator is not None else LogisticRegression()
        estimators = []
        for i, sub_record in enumerate(subs):
            sub_name = f"{name}.estimators_[{i}]"
            sub = _decode_estimator(
                sub_record, f"{prefix}estimators.{i}.", tensors, expected, path, sub_name, budget
            )
            if sub.n_features_in_ != n_features:
                raise ModelFileError(
                    path,
                    f"{sub_name} has {sub.n_features_in_} features, the model {n_features}",
                )
            _check_template(template, sub, path, sub_name)
            if not isinstance(sub, OneVsAllClassifier):
                spec = sub.network_.spec
                if not (spec.head == "binary" or (spec.head == "softmax" and spec.n_out == 2)):
                    raise ModelFileError(
                        path,
                        f"{sub_name}: a {spec.head} head with {spec.n_out} outputs is "
                        "not a binary classifier",
                    )
            estimators.append(sub)
        return est.set_fitted(
            estimators, classes=classes, n_features_in=n_features, feature_names_in=names
        )
    if cls is ClassifierChainEnsemble:
        return _decode_chains(
            est, record, classes, n_features, names, prefix, tensors, expected, path, name, budget
        )

    def tensor(key):
        full = prefix + key
        expected.add(full)
        if full not in tensors:
            raise ModelFileError(path, f"{name}: tensor {full!r} is missing")
        return tensors[full]

    dtype = record["dtype"]
    if not isinstance(dtype, str) or dtype not in _NETWORK_DTYPES:
        raise ModelFileError(path, f"{name}: unsupported network dtype {_short(repr(dtype))}")
    theta = tensor("theta")
    if theta.dtype != np.dtype(dtype) or theta.ndim != 1:
        raise ModelFileError(
            path,
            f"{name}: the parameter vector is a {theta.dtype} array of shape {theta.shape}; "
            f"the network needs a 1-D {dtype} one",
        )
    spec = _decode_spec(record["spec"], theta.size, path, name)
    if spec.n_x != n_features:
        raise ModelFileError(
            path, f"{name}: the spec has {spec.n_x} inputs but n_features_in is {n_features}"
        )
    n_classes = 2 if spec.head == "binary" else spec.n_out
    if classes.size != n_classes or (spec.head == "softmax" and n_classes < 2):
        raise ModelFileError(
            path,
            f"{name}: {classes.size} classes do not fit a {spec.head} head with "
            f"{spec.n_out} output(s)",
        )
    if cls.output_head not in (None, spec.head):
        raise ModelFileError(
            path, f"{name}: a {cls.__name__} has a {cls.output_head} head, not {spec.head}"
        )
    if _requested_layers(est) != (spec.hidden, spec.activation):
        raise ModelFileError(
            path,
            f"{name}: the network has hidden layers {spec.hidden} ({spec.activation}) but "
            "the estimator's parameters ask for others",
        )
    if spec.head == "multilabel" and not isinstance(getattr(est, "threshold", 0.5), str):
        threshold = np.asarray(getattr(est, "threshold", 0.5), dtype=float)
        if threshold.ndim and threshold.shape != (spec.n_out,):
            raise ModelFileError(
                path,
                f"{name}: threshold of shape {threshold.shape} for {spec.n_out} labels",
            )
    n_params = spec.n_params  # a Python int: the sizes are Python ints
    if theta.shape != (n_params,):
        raise ModelFileError(
            path,
            f"{name}: the parameter vector has shape {theta.shape} but the spec "
            f"(layer sizes {spec.layer_sizes}) needs {n_params} parameters",
        )
    net = Network(spec, dtype=dtype)  # allocates no more than the file holds
    net.set_params(theta)
    validation = {}
    for key in ("validation_history", "validation_scores"):
        # validation_scores: absent from files written before it was saved
        present = record[key] if key == "validation_history" else record.get(key, False)
        if not isinstance(present, bool):
            raise ModelFileError(path, f"{name}: {key} is not true or false")
        validation[key] = _history(tensor(key), path, name, key) if present else None

    def state_tensor(key):
        full = f"{prefix}{_STATE_PREFIX}{key}"
        if full not in tensors:
            raise ValueError(f"its tensor {full!r} is missing")
        expected.add(full)
        return tensors[full]

    try:
        state = _decode_train_state(record.get("train_state"), state_tensor, n_params, est.solver)
    except ValueError as e:
        raise ModelFileError(path, f"{name}: invalid training state: {_short(str(e))}") from None
    learning_rate, lr_finder = _decode_learning_rate(record, path, name)
    n_labels = spec.n_out if spec.head == "multilabel" else 0
    thresholds = _decode_thresholds(record, est, n_labels, path, name)
    return est.set_fitted(
        net,
        classes=classes,
        n_features_in=n_features,
        history=_history(tensor("history"), path, name, "history"),
        n_iter=_count(record["n_iter"], "n_iter", path, name),
        feature_names_in=names,
        train_state=state,
        learning_rate=learning_rate,
        lr_finder=lr_finder,
        thresholds=thresholds,
        **validation,
    )


def _decode_thresholds(record, est, n_labels, path, name):
    """``thresholds_`` of a record: None (also in files written before they were
    saved), or one number in [0, 1] per label of a model with ``threshold="cv"``."""
    thresholds = record.get("thresholds")
    if thresholds is None:
        return None
    if not (
        n_labels
        and isinstance(getattr(est, "threshold", None), str)
        and isinstance(thresholds, list)
        and len(thresholds) == n_labels
        and all(
            isinstance(t, (int, float)) and not isinstance(t, bool) and 0 <= t <= 1
            for t in thresholds
        )
    ):
        raise ModelFileError(
            path,
            f"{name}: thresholds {_short(repr(thresholds))} are not one number in [0, 1] "
            f"for each of the {n_labels} labels of a model with threshold='cv'",
        )
    return np.array(thresholds, dtype=np.float64)


def _decode_chains(
    est, record, classes, n_features, names, prefix, tensors, expected, path, name, budget
):
    """A fitted ClassifierChainEnsemble: every count is checked against the others and
    the limits before a sub-model is read."""
    orders, chains = record["orders"], record["chains"]
    n_labels = classes.size
    if not isinstance(orders, list) or not isinstance(chains, list) or not orders:
        raise ModelFileError(path, f"{name}: orders and chains are not non-empty lists")
    if len(orders) > _MAX_CHAINS or len(orders) != est.n_chains or len(chains) != len(orders):
        raise ModelFileError(
            path,
            f"{name}: n_chains is {est.n_chains}, and the file holds {len(orders)} orders and "
            f"{len(chains)} chains (at most {_MAX_CHAINS})",
        )
    if not np.array_equal(classes, np.arange(n_labels)) or n_labels < 1:
        raise ModelFileError(path, f"{name}: the classes are not the label indices 0 .. n-1")
    for c, (order, chain) in enumerate(zip(orders, chains)):
        if (
            not isinstance(order, list)
            or len(order) != n_labels
            or not all(_is_int(j) for j in order)
            or sorted(order) != list(range(n_labels))
        ):
            raise ModelFileError(
                path, f"{name}: order {c} is not a permutation of the {n_labels} labels"
            )
        if not isinstance(chain, list) or len(chain) != n_labels:
            raise ModelFileError(
                path, f"{name}: chain {c} does not hold one classifier per label ({n_labels})"
            )
    template = est.estimator if est.estimator is not None else LogisticRegression()
    estimators = []
    for c, chain in enumerate(chains):
        subs = []
        for k, sub_record in enumerate(chain):
            sub_name = f"{name}.estimators_[{c}][{k}]"
            sub = _decode_estimator(
                sub_record, f"{prefix}chains.{c}.{k}.", tensors, expected, path, sub_name, budget
            )
            if not hasattr(sub, "network_") or sub.n_features_in_ != n_features + k:
                raise ModelFileError(
                    path,
                    f"{sub_name} has {sub.n_features_in_} inputs; the k-th classifier of a "
                    f"chain takes the {n_features} features and k earlier labels",
                )
            _check_template(template, sub, path, sub_name)
            spec = sub.network_.spec
            if not (spec.head == "binary" or (spec.head == "softmax" and spec.n_out == 2)):
                raise ModelFileError(
                    path, f"{sub_name}: a {spec.head} head is not a binary classifier"
                )
            subs.append(sub)
        estimators.append(subs)
    thresholds = _decode_thresholds(record, est, n_labels, path, name)
    return est.set_fitted(
        estimators,
        orders=orders,
        n_features_in=n_features,
        feature_names_in=names,
        thresholds=thresholds,
    )


def _decode_preprocessing(record, tensors, expected, path, budget):
    if not isinstance(record, dict):
        raise ValueError("the preprocessing description is not a JSON object")
    arrays, values = record["arrays"], record["values"]
    if not isinstance(arrays, list) or not all(isinstance(k, str) for k in arrays):
        raise ValueError("the preprocessing arrays are not a list of names")
    if not isinstance(values, dict):
        raise ValueError("the preprocessing values are not a JSON object")
    preprocessing = {}
    for key in arrays:
        full = _PRE_PREFIX + key
        if full not in tensors:
            raise ModelFileError(path, f"preprocessing tensor {_short(repr(full))} is missing")
        expected.add(full)
        preprocessing[key] = np.array(tensors[full])
    for key, value in values.items():
        if key in preprocessing:
            raise ValueError(f"preprocessing[{_short(repr(key))}] is given twice")
        preprocessing[key] = _decode_value(value, budget)
    return preprocessing


def _check_version(metadata, path):
    raw = metadata.get("format_version")
    try:
        version = int(raw)
    except (TypeError, ValueError):
        version = None
    if version not in READ_VERSIONS:
        raise ModelFileError(
            path,
            f"written by logitlab {_short(metadata.get('logitlab_version', '(unknown)'), 40)} "
            f"with format version {_short(str(raw), 40)}; this is logitlab {__version__} "
            f"which reads versions {READ_VERSIONS[0]} to {READ_VERSIONS[-1]}",
        )


def _set_engine(estimator, engine):
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES} or None, got {engine!r}")
    if "engine" in estimator.get_params(deep=False):
        estimator.set_params(engine=engine)
    elif isinstance(estimator, (OneVsAllClassifier, ClassifierChainEnsemble)):
        # one-vs-all and chains predict through their sub-models: set the engine on
        # them (and on the template they were cloned from)
        subs = estimator.estimators_
        if isinstance(estimator, ClassifierChainEnsemble):
            subs = [sub for chain in subs for sub in chain]
        for sub in subs:
            _set_engine(sub, engine)
        if estimator.estimator is not None:
            _set_engine(estimator.estimator, engine)
    else:
        raise ValueError(
            f"cannot set engine={engine!r}: {type(estimator).__name__} in this logitlab "
            f"({__version__}) has no 'engine' parameter"
        )


def read_model_file(path, *, engine=None):
    """Read a model file: the fitted estimator, its preprocessing and the metadata.

    Nothing in the file is executed or unpickled: tensors are raw numbers, the rest is
    JSON, and the estimator class must be one of logitlab's. Only a regular file is
    opened, and every size the file states is checked against the file's own size and
    sane limits before anything is allocated (see the module docstring), so a crafted
    file gives a :class:`ModelFileError`, not a large allocation or a hang.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save_model`.
    engine : {"numpy", "torch"} or None, default=None
        If given, set on the loaded estimator with ``set_params(engine=...)`` (for
        one-vs-all: on each sub-model).

    Returns
    -------
    estimator : estimator
        A fitted estimator of the saved class, with ``network_`` rebuilt and
        ``classes_``, ``n_features_in_``, ``feature_names_in_`` (if saved),
        ``n_iter_``, ``history_``, ``validation_history_``, ``validation_scores_`` and
        ``train_state_`` (None in files without one) set; its predictions equal the
        saved estimator's exactly, and with ``warm_start=True`` it trains on exactly as
        the saved estimator would have.
    preprocessing : dict
        The ``preprocessing`` given to :func:`save_model` ({} if none): arrays as
        NumPy arrays, other values as they were saved.
    metadata : dict
        ``format``, ``format_version`` (int), ``logitlab_version``, ``estimator``
        (class name), ``model`` (the decoded JSON description) and ``checksum``.

    Raises
    ------
    ModelFileNotFoundError
        If ``path`` does not exist (also a FileNotFoundError).
    ModelFileError
        If ``path`` is not a regular file (a directory, a named pipe, a device), or the
        file is not a readable safetensors file (e.g. truncated), not a logitlab model,
        of another format version, altered since it was written (checksum mismatch) or
        inconsistent (e.g. a parameter vector that does not fit the network, sizes that
        do not fit the file, unknown or invalid constructor parameters).
    ValueError
        If ``engine`` is given but the estimator has no ``engine`` parameter.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from logitlab import NeuralNetClassifier
    >>> from logitlab.io import read_model_file, save_model
    >>> X = np.random.default_rng(0).normal(size=(60, 3))
    >>> y = np.where(X[:, 0] > 0, "cat", "dog")
    >>> clf = NeuralNetClassifier((4,), solver="lbfgs", random_state=0).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "pets.safetensors")
    ...     save_model(clf, path, preprocessing={"image_size": (64, 64)})
    ...     loaded, pre, meta = read_model_file(path)
    >>> loaded.classes_.tolist(), pre, meta["estimator"]
    (['cat', 'dog'], {'image_size': (64, 64)}, 'NeuralNetClassifier')
    """
    path = os.fspath(path)
    metadata, tensors, size = _read_safetensors(path)
    if metadata is None or metadata.get("format") != FORMAT_NAME:
        raise ModelFileError(
            path,
            f"not a logitlab model file: its safetensors metadata has no "
            f"'format': {FORMAT_NAME!r} entry",
        )
    _check_version(metadata, path)
    if "checksum" not in metadata:
        raise ModelFileError(path, "the metadata has no checksum")
    if _checksum(tensors, metadata) != metadata["checksum"]:
        raise ModelFileError(
            path,
            "the file was altered: checksum mismatch (its tensors or metadata are "
            "not the bytes save_model wrote)",
        )
    budget = _Budget(_JSON_ARRAY_BYTES + _JSON_ARRAY_BYTES_PER_BYTE * size)
    try:
        with np.errstate(all="raise"):  # e.g. 1e300 as float16: refused, not inf
            record = _json_loads(metadata["model"], "the model description")
            pre_record = _json_loads(
                metadata.get("preprocessing", '{"arrays": [], "values": {}}'),
                "the preprocessing description",
            )
            expected = set()
            cls_name = metadata.get("estimator", "model")
            estimator = _decode_estimator(
                record, _MODEL_PREFIX, tensors, expected, path, cls_name, budget
            )
            if cls_name != record["class"]:
                raise ModelFileError(
                    path,
                    f"the metadata names the estimator {_short(repr(cls_name))}, the model "
                    f"description {record['class']!r}",
                )
            preprocessing = _decode_preprocessing(pre_record, tensors, expected, path, budget)
    except ModelFileError:
        raise
    except KeyError as e:
        raise ModelFileError(path, f"the model description lacks the entry {e}") from None
    except (TypeError, ValueError, AttributeError, OverflowError, FloatingPointError) as e:
        raise ModelFileError(path, f"invalid model description: {_short(str(e))}") from None
    extra = sorted(set(tensors) - expected)
    if extra:
        raise ModelFileError(path, f"unexpected tensors {_short(str(extra))}")
    info = {
        "format": metadata["format"],
        "format_version": int(metadata["format_version"]),
        "logitlab_version": metadata.get("logitlab_version"),
        "estimator": record["class"],
        "model": record,
        "checksum": metadata["checksum"],
    }
    if engine is not None:
        _set_engine(estimator, engine)
    return estimator, preprocessing, info


def load_model(path, *, engine=None):
    """Load a fitted estimator saved by :func:`save_model`.

    A thin wrapper over :func:`read_model_file` that returns the estimator only; use
    that function for the preprocessing data and the metadata.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save_model`.
    engine : {"numpy", "torch"} or None, default=None
        If given, set on the loaded estimator with ``set_params(engine=...)``.

    Returns
    -------
    estimator
        The fitted estimator; its predictions equal the saved one's exactly.

    Raises
    ------
    ModelFileError
        As :func:`read_model_file`: the error names the file and the problem.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from logitlab import LogisticRegression
    >>> from logitlab.io import load_model, save_model
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = LogisticRegression().fit(X, y)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "cancer.safetensors")
    ...     save_model(clf, path)
    ...     loaded = load_model(path)
    >>> bool((loaded.decision_function(X) == clf.decision_function(X)).all())
    True
    >>> loaded.get_params() == clf.get_params()
    True
    """
    return read_model_file(path, engine=engine)[0]
