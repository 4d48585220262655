"""Safe model files: a fitted estimator in one safetensors file, no pickle anywhere.

:func:`save_model` writes a fitted logitlab estimator (and optional preprocessing
statistics) to one `safetensors <https://huggingface.co/docs/safetensors>`_ file;
:func:`load_model` and :func:`read_model_file` read it back. Loading never executes
code from the file: the tensors are raw little-endian numbers, everything else is JSON
text in the safetensors header, and the estimator class is looked up by name among
logitlab's own classes (nothing is imported from a name read in the file).

File format (``format = "logitlab-model"``, ``format_version = 1``)
-----------------------------------------------------------------
Tensors:

- ``model.theta``: the flat parameter vector of the network (all W[l], b[l]), in the
  network's dtype; ``model.history`` and, with early stopping,
  ``model.validation_history``.
- For :class:`~logitlab.OneVsAllClassifier`, the same three tensors for each fitted
  sub-model ``i`` under ``model.estimators.<i>.``.
- ``preprocessing.<key>``: each NumPy array given in ``preprocessing``.

Header metadata (``str -> str``):

- ``format``, ``format_version``, ``logitlab_version``, ``estimator`` (class name).
- ``model``: JSON describing the estimator: its class, constructor parameters,
  ``classes_`` (values and dtype, so labels come back with their type),
  ``n_features_in_``, ``feature_names_in_``; for the network estimators also the
  :class:`~logitlab.ModelSpec` dict, the network dtype and ``n_iter_``; for one-vs-all
  the list of sub-models.
- ``preprocessing``: JSON with the non-array preprocessing values and the names of the
  array ones.
- ``checksum``: ``sha256:<hex>`` over every tensor's name, dtype, shape and bytes and
  over every other metadata entry, checked on load: a file whose bytes were altered is
  refused.

Files are written to a temporary name in the destination folder and renamed over the
destination (:func:`os.replace`) only once complete, so an interrupted save never leaves
a half-written file under the final name.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
import warnings
from numbers import Integral

import numpy as np
import safetensors
import safetensors.numpy as st_numpy
from sklearn.utils.validation import check_is_fitted

from ._version import __version__
from .estimators import (
    LogisticRegression,
    MultiLabelClassifier,
    NeuralNetClassifier,
    OneVsAllClassifier,
    SoftmaxRegression,
)
from .numpy_engine import Network
from .spec import ModelSpec

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "ModelFileError",
    "ModelFileNotFoundError",
    "load_model",
    "read_model_file",
    "save_model",
]

FORMAT_NAME = "logitlab-model"
FORMAT_VERSION = 1

#: The classes a model file may name; nothing else is ever instantiated on load.
_CLASSES = {
    cls.__name__: cls
    for cls in (
        LogisticRegression,
        SoftmaxRegression,
        MultiLabelClassifier,
        NeuralNetClassifier,
        OneVsAllClassifier,
    )
}
_ENGINES = ("numpy", "torch")

# NumPy dtypes that safetensors stores (by numpy's dtype name)
_TENSOR_DTYPES = {
    "bool",
    "int8",
    "uint8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
}
_NETWORK_DTYPES = ("float32", "float64")
_CLASS_KINDS = "biufUO"  # dtype kinds allowed for classes_
_ARRAY_KINDS = "biufU"  # dtype kinds of arrays stored inside JSON values

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


def _decode_value(obj):
    """Inverse of :func:`_encode_value` (estimators excepted: see _decode_params)."""
    if isinstance(obj, list):
        return [_decode_value(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if _TUPLE in obj:
        return tuple(_decode_value(v) for v in obj[_TUPLE])
    if _NDARRAY in obj:
        dtype = _safe_dtype(obj["dtype"], _ARRAY_KINDS)
        return np.array(obj[_NDARRAY], dtype=dtype).reshape(obj["shape"])
    if _SCALAR in obj:
        return _safe_dtype(obj["dtype"], "biuf").type(obj[_SCALAR])
    if _ESTIMATOR in obj:
        raise ValueError("an estimator is only allowed as a constructor parameter")
    return {k: _decode_value(v) for k, v in obj.items()}


def _safe_dtype(text, kinds):
    dtype = np.dtype(str(text))
    if dtype.kind not in kinds:
        raise ValueError(f"dtype {dtype} is not allowed here")
    return dtype


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


def _decode_classes(record):
    dtype = _safe_dtype(record["dtype"], _CLASS_KINDS)
    values = record["values"]
    if not isinstance(values, list):
        raise ValueError("classes values are not a list")
    if dtype.kind == "O":
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
        return arr
    return np.array(values, dtype=dtype).reshape(len(values))


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
    tensors[prefix + "theta"] = _little_endian(theta)
    tensors[prefix + "history"] = _little_endian(estimator.history_)
    vh = getattr(estimator, "validation_history_", None)
    record["validation_history"] = vh is not None
    if vh is not None:
        tensors[prefix + "validation_history"] = _little_endian(vh)
    return record


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
NeuralNetClassifier or OneVsAllClassifier
        A fitted estimator (OneVsAllClassifier: over any of the other four).
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
    ('SoftmaxRegression', 'logitlab-model', 1)
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
def _decode_params(cls, params, path, name):
    if not isinstance(params, dict):
        raise ModelFileError(path, f"{name}: constructor parameters are not a JSON object")
    known = set(cls._get_param_names())
    unknown = sorted(set(params) - known)
    if unknown:
        raise ModelFileError(
            path,
            f"{name}: parameter(s) {unknown} are not parameters of {cls.__name__} in this "
            f"logitlab ({__version__}); the file was written by an incompatible version",
        )
    out = {}
    for key, value in params.items():
        if isinstance(value, dict) and _ESTIMATOR in value:
            out[key] = _decode_template(value[_ESTIMATOR], path, f"{name}.{key}")
        else:
            out[key] = _decode_value(value)
    try:
        return cls(**out)
    except TypeError as e:
        raise ModelFileError(path, f"{name}: cannot construct {cls.__name__}: {e}") from None


def _lookup_class(record, path, name):
    cls_name = record.get("class") if isinstance(record, dict) else None
    if cls_name not in _CLASSES:
        raise ModelFileError(
            path,
            f"{name}: unknown estimator class {cls_name!r} (this logitlab reads "
            f"{', '.join(_CLASSES)})",
        )
    return _CLASSES[cls_name]


def _decode_template(record, path, name):
    cls = _lookup_class(record, path, name)
    return _decode_params(cls, record["params"], path, name)


def _decode_estimator(record, prefix, tensors, expected, path, name):
    """Rebuild a fitted estimator; the tensor names it used are added to ``expected``."""
    cls = _lookup_class(record, path, name)
    est = _decode_params(cls, record["params"], path, name)
    est.classes_ = _decode_classes(record["classes"])
    est.n_features_in_ = int(record["n_features_in"])
    if record.get("feature_names_in") is not None:
        names = record["feature_names_in"]
        if not isinstance(names, list) or len(names) != est.n_features_in_:
            raise ModelFileError(path, f"{name}: feature_names_in has the wrong length")
        est.feature_names_in_ = np.asarray(names, dtype=object)
    if cls is OneVsAllClassifier:
        subs = record["estimators"]
        if not isinstance(subs, list) or len(subs) != est.classes_.size:
            raise ModelFileError(
                path, f"{name}: expected one sub-model per class ({est.classes_.size})"
            )
        est.estimators_ = [
            _decode_estimator(
                sub, f"{prefix}estimators.{i}.", tensors, expected, path, f"{name}.estimators_[{i}]"
            )
            for i, sub in enumerate(subs)
        ]
        est.n_iter_ = np.array([getattr(e, "n_iter_", 0) for e in est.estimators_])
        est.history_ = [getattr(e, "history_", None) for e in est.estimators_]
        return est

    def tensor(key):
        full = prefix + key
        expected.add(full)
        if full not in tensors:
            raise ModelFileError(path, f"{name}: tensor {full!r} is missing")
        return tensors[full]

    spec_dict = record["spec"]
    try:
        spec = ModelSpec.from_dict(spec_dict)
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileError(path, f"{name}: invalid model spec: {e}") from None
    dtype = record["dtype"]
    if dtype not in _NETWORK_DTYPES:
        raise ModelFileError(path, f"{name}: unsupported network dtype {dtype!r}")
    if spec.n_x != est.n_features_in_:
        raise ModelFileError(
            path,
            f"{name}: the spec has {spec.n_x} inputs but n_features_in is {est.n_features_in_}",
        )
    theta = tensor("theta")
    if theta.dtype != np.dtype(dtype):
        raise ModelFileError(
            path,
            f"{name}: the parameter vector has dtype {theta.dtype}, the network dtype is {dtype}",
        )
    if theta.shape != (spec.n_params,):
        raise ModelFileError(
            path,
            f"{name}: the parameter vector has shape {theta.shape} but the spec "
            f"(layer sizes {spec.layer_sizes}) needs {spec.n_params} parameters",
        )
    net = Network(spec, dtype=dtype)
    net.set_params(theta)
    est.network_ = net
    est.n_iter_ = int(record["n_iter"])
    est.history_ = np.array(tensor("history"))
    est.validation_history_ = (
        np.array(tensor("validation_history")) if record["validation_history"] else None
    )
    return est


def _open(path):
    """Metadata and a tensor getter of a safetensors file; errors name the file."""
    if not os.path.exists(path):
        raise ModelFileNotFoundError(path, "no such file")
    if os.path.isdir(path):
        raise ModelFileError(path, "it is a directory, not a model file")
    try:
        with safetensors.safe_open(path, framework="np") as f:
            metadata = f.metadata()
            if metadata is None or metadata.get("format") != FORMAT_NAME:
                raise ModelFileError(
                    path,
                    f"not a logitlab model file: its safetensors metadata has no "
                    f"'format': {FORMAT_NAME!r} entry",
                )
            _check_version(metadata, path)
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except ModelFileError:
        raise
    except (
        safetensors.SafetensorError,
        OSError,
        ValueError,
        TypeError,
        OverflowError,
        MemoryError,
    ) as e:
        raise ModelFileError(
            path, f"not a valid safetensors file (truncated or corrupt?): {e}"
        ) from None
    return metadata, tensors


def _check_version(metadata, path):
    raw = metadata.get("format_version")
    try:
        version = int(raw)
    except (TypeError, ValueError):
        version = None
    if version != FORMAT_VERSION:
        raise ModelFileError(
            path,
            f"written by logitlab {metadata.get('logitlab_version', '(unknown)')} with "
            f"format version {raw}; this is logitlab {__version__} which reads version "
            f"{FORMAT_VERSION}",
        )


def _set_engine(estimator, engine):
    if engine not in _ENGINES:
        raise ValueError(f"engine must be one of {_ENGINES} or None, got {engine!r}")
    if "engine" in estimator.get_params(deep=False):
        estimator.set_params(engine=engine)
    elif isinstance(estimator, OneVsAllClassifier):
        # one-vs-all predicts through its sub-models: set the engine on them (and on
        # the template they were cloned from)
        for sub in estimator.estimators_:
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

    Nothing in the file is executed or unpickled: tensors are read with safetensors,
    the rest is JSON, and the estimator class must be one of logitlab's.

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
        ``n_iter_``, ``history_`` and ``validation_history_`` set; its predictions
        equal the saved estimator's exactly.
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
        If the file is not a readable safetensors file (e.g. truncated), not a logitlab
        model, of another format version, altered since it was written (checksum
        mismatch) or inconsistent (e.g. a parameter vector that does not fit the
        network, unknown constructor parameters).
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
    metadata, tensors = _open(path)
    if "checksum" not in metadata:
        raise ModelFileError(path, "the metadata has no checksum")
    if _checksum(tensors, metadata) != metadata["checksum"]:
        raise ModelFileError(
            path,
            "the file was altered: checksum mismatch (its tensors or metadata are "
            "not the bytes save_model wrote)",
        )
    try:
        record = json.loads(metadata["model"])
        pre_record = json.loads(metadata.get("preprocessing", '{"arrays": [], "values": {}}'))
        expected = set()
        estimator = _decode_estimator(
            record, _MODEL_PREFIX, tensors, expected, path, metadata.get("estimator", "model")
        )
        preprocessing = {}
        for key in pre_record["arrays"]:
            full = _PRE_PREFIX + key
            if full not in tensors:
                raise ModelFileError(path, f"preprocessing tensor {full!r} is missing")
            expected.add(full)
            preprocessing[key] = np.array(tensors[full])
        for key, value in pre_record["values"].items():
            preprocessing[key] = _decode_value(value)
    except ModelFileError:
        raise
    except KeyError as e:
        raise ModelFileError(path, f"the model description lacks the entry {e}") from None
    except (TypeError, ValueError, AttributeError) as e:
        raise ModelFileError(path, f"invalid model description: {e}") from None
    extra = sorted(set(tensors) - expected)
    if extra:
        raise ModelFileError(path, f"unexpected tensors {extra}")
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
