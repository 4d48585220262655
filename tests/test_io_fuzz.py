"""Hostile model files.

A model file's checksum catches accidents, not an attacker, who can re-sign a changed
file: these tests re-sign their mutations with io's own checksum function so that they
reach the decoder. Files that claim huge sizes must be refused cheaply, and fuzzed files
(flipped bytes, truncations, mutated JSON metadata, mutated tensor headers) must give a
ModelFileError or an estimator that predicts: never another exception, a hang or a large
allocation.
"""

import copy
import functools
import json
import math
import os
import signal
import struct
import subprocess
import sys
import textwrap
import time
import tracemalloc
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from logitlab import (
    ClassifierChainEnsemble,
    LogisticRegression,
    MultiLabelClassifier,
    NeuralNetClassifier,
    OneVsAllClassifier,
    SoftmaxRegression,
)
from logitlab.io import _ST_DTYPES, ModelFileError, _checksum, read_model_file, save_model

FUZZ = settings(
    max_examples=int(os.environ.get("LOGITLAB_FUZZ_EXAMPLES", "40")),
    deadline=10_000,  # ms; a shared machine is slow, a hang is caught by _time_limit
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
#: most memory one load of a fuzzed file of n bytes may take, as tracemalloc counts it:
#: the 16 MB + 64 n allowed for arrays stored as JSON text, and room for parsing it
MAX_PEAK, MAX_PEAK_PER_BYTE = 64 * 2**20, 100
#: most memory refusing a crafted file may take
MAX_PEAK_REFUSED = 4 * 2**20


# ---------------------------------------------------------------------- valid files
def _blobs(n_classes, m=60, n=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(m) % n_classes
    X = rng.normal(scale=3.0, size=(n_classes, n))[y] + rng.normal(size=(m, n))
    return X, y


PRE = {
    "mean": np.array([0.5, -1.0, 2.0]),
    "mask": np.array([True, False]),
    "counts": np.arange(4, dtype=np.int16).reshape(2, 2),
    "size": (8, 8),
    "names": np.array(["red", "green"]),
    "eps": np.float32(0.5),
    "mode": "standardise",
    "nested": {"k": [1, 2.5, None, {"t": (1, "a")}]},
}


def _estimators():
    X2, y2 = _blobs(2)
    X3, y3 = _blobs(3)
    Y = np.stack([y3 == 0, y3 != 1], axis=1).astype(int)
    return {
        "logistic": (LogisticRegression(max_iter=20, solver="gd").fit(X2, y2), None),
        "softmax-pre": (SoftmaxRegression(max_iter=20).fit(X3, y3 + 10), PRE),
        "multilabel-pre": (
            MultiLabelClassifier(threshold=np.array([0.4, 0.6]), max_iter=20).fit(X3, Y),
            {"scale": np.float64(2.0), "cols": ["a", "b"]},
        ),
        "neural-net": (
            NeuralNetClassifier(
                (4,), activation="tanh", dtype="float32", max_iter=15, early_stopping=True
            ).fit(X3, np.array(["cat", "dog", "bird"])[y3]),
            {"image_size": (4, 4)},
        ),
        "neural-net-binary": (
            NeuralNetClassifier((3, 2), solver="lbfgs", max_iter=15).fit(X2, y2 == 1),
            None,
        ),
        "one-vs-all": (OneVsAllClassifier().fit(X3, y3), PRE),
        "one-vs-all-nets": (
            OneVsAllClassifier(NeuralNetClassifier((2,), max_iter=10)).fit(X3, y3 * 2.0),
            None,
        ),
        "chains": (
            ClassifierChainEnsemble(n_chains=2, threshold="cv", threshold_cv=2, random_state=0).fit(
                X3, Y
            ),
            None,
        ),
    }


BASES = (
    "logistic",
    "softmax-pre",
    "multilabel-pre",
    "neural-net",
    "neural-net-binary",
    "one-vs-all",
    "one-vs-all-nets",
    "chains",
)


@functools.cache
def _bases(folder):
    """{name: bytes of a small valid model file} for every kind of estimator."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence: a dozen iterations are enough
        fitted = _estimators()
    assert set(fitted) == set(BASES)
    out = {}
    for name, (est, pre) in fitted.items():
        path = os.path.join(folder, f"{name}.safetensors")
        save_model(est, path, preprocessing=pre)
        with open(path, "rb") as f:
            out[name] = f.read()
    return out


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return str(tmp_path_factory.mktemp("fuzz"))


# ------------------------------------------------------------ editing the raw file


def _split(raw):
    """(header dict, tensor data) of a safetensors file's bytes."""
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + n]), raw[8 + n :]


def _join(header, data):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def _tensors(header, data):
    """The tensors ``header`` describes, or None where it does not fit the data."""
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = _ST_DTYPES[e["dtype"]]
            shape = tuple(e["shape"])
            begin, end = e["data_offsets"]
            count = math.prod(shape)
            if not (0 <= begin <= end <= len(data)) or count * dtype.itemsize != end - begin:
                return None
            out[name] = np.frombuffer(data, dtype, count, begin).reshape(shape)
        except (KeyError, TypeError, ValueError):
            return None
    return out


def _resign(header, data):
    """Put a correct checksum into ``header``'s metadata, as an attacker could."""
    meta = header.get("__metadata__")
    tensors = _tensors(header, data)
    if tensors is None or not isinstance(meta, dict):
        return
    if all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        meta["checksum"] = _checksum(tensors, meta)


def _edit_json(raw, entry, edit):
    """``raw`` with the JSON metadata entry ``entry`` edited in place by ``edit`` (which
    may return replacement text), re-signed."""
    header, data = _split(raw)
    value = json.loads(header["__metadata__"][entry])
    text = edit(value)
    header["__metadata__"][entry] = _dumps(value) if text is None else text
    _resign(header, data)
    return _join(header, data)


def _edit_header(raw, edit, resign=True):
    header, data = _split(raw)
    edit(header)
    if resign:
        _resign(header, data)
    return _join(header, data)


# JSON that json.dumps cannot write: placeholders replaced in the text
DEEP, BIGINT, E999 = "@@deep@@", "@@bigint@@", "@@1e999@@"
_RAW_JSON = {
    json.dumps(DEEP): "[" * 5000 + "]" * 5000,
    json.dumps(BIGINT): "9" * 5000,
    json.dumps(E999): "1e999",
}


def _dumps(value):
    text = json.dumps(value)
    for placeholder, raw in _RAW_JSON.items():
        text = text.replace(placeholder, raw)
    return text


# ---------------------------------------------------------------- checking an outcome
@contextmanager
def _time_limit(seconds):
    """A TimeoutError instead of a hang (where SIGALRM exists, in the main thread)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum, frame):
        raise TimeoutError(f"still loading after {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _load(raw, folder, name="fuzzed.safetensors"):
    """(estimator or the ModelFileError, tracemalloc peak bytes, seconds) of loading
    ``raw``; any other exception propagates and fails the test."""
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(raw)
    start = time.perf_counter()
    tracemalloc.start()
    try:
        with _time_limit(30):
            try:
                result = read_model_file(path)[0]
            except ModelFileError as e:
                assert path in str(e)
                result = e
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak, time.perf_counter() - start


def _check(raw, folder):
    """Loading ``raw`` gives a ModelFileError or an estimator that predicts."""
    result, peak, _ = _load(raw, folder)
    assert peak < MAX_PEAK + MAX_PEAK_PER_BYTE * len(raw), f"{len(raw)} bytes took {peak}"
    if isinstance(result, ModelFileError):
        return f"refused: {result.problem.split(':')[0][:60]}"
    X = np.random.default_rng(0).normal(size=(4, result.n_features_in_))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # e.g. feature names, overflow in a sigmoid
        for method in ("predict", "predict_proba", "decision_function"):
            if not hasattr(result, method):  # the chains have no decision_function
                continue
            out = getattr(result, method)(X)
            assert len(out) == 4, method
    return "loaded"


# ----------------------------------------------------------- crafted, targeted files
def _set(*keys_value):
    *keys, value = keys_value

    def edit(record):
        for k in keys[:-1]:
            record = record[k]
        record[keys[-1]] = value

    return edit


def _crafted(bases):
    """{what: bytes} of small files, each claiming a huge size (re-signed where a
    checksum can be computed)."""
    soft, nn, ova_nn = bases["softmax-pre"], bases["neural-net"], bases["one-vs-all-nets"]
    header, data = _split(soft)
    n_theta = header["model.theta"]["shape"][0]
    files = {
        "header length 2**63": struct.pack("<Q", 2**63) + soft[8:],
        "header length under the cap, over the file": struct.pack("<Q", 99_999_999) + soft[8:],
        "theta of 1e9 values, offsets kept": _edit_header(
            soft, lambda h: h["model.theta"].update(shape=[10**9])
        ),
        "theta of 1e9 values, offsets to match": _edit_header(
            soft, lambda h: h["model.theta"].update(shape=[10**9], data_offsets=[0, 8 * 10**9])
        ),
        "history of 1e18 values": _edit_header(
            soft, lambda h: h["model.history"].update(shape=[10**9, 10**9])
        ),
        "empty tensor of extent 1e30": _edit_header(
            soft, lambda h: h["model.history"].update(shape=[0, 10**15, 10**15])
        ),
        "1e9 features": _edit_json(
            soft,
            "model",
            lambda r: (_set("n_features_in", 10**9)(r), _set("spec", "n_x", 10**9)(r))[-1],
        ),
        "1e9 hidden units": _edit_json(nn, "model", _set("spec", "hidden", [10**9])),
        "1e9 hidden units in spec and parameters": _edit_json(
            nn,
            "model",
            lambda r: (
                _set("spec", "hidden", [10**9])(r),
                _set("params", "hidden_layer_sizes", {"__tuple__": [10**9]})(r),
            )[-1],
        ),
        "1e9 hidden units in the one-vs-all template": _edit_json(
            ova_nn,
            "model",
            _set("params", "estimator", "__estimator__", "params", "hidden_layer_sizes", [10**9]),
        ),
        "3000 hidden layers": _edit_json(nn, "model", _set("spec", "hidden", [1] * 3000)),
        "1e9 classes (outputs)": _edit_json(soft, "model", _set("spec", "n_out", 10**9)),
        "classes of 4e8 bytes each": _edit_json(
            soft, "model", _set("classes", {"dtype": "<U100000000", "values": ["a", "b", "c"]})
        ),
        "1e999 features": _edit_json(
            soft,
            "model",
            lambda r: _dumps(r).replace('"n_features_in": 3', '"n_features_in": 1e999'),
        ),
        "NaN iterations": _edit_json(soft, "model", _set("n_iter", float("nan"))),
        "a 5000-digit iteration count": _edit_json(soft, "model", _set("n_iter", BIGINT)),
        "feature names beyond n_features_in": _edit_json(
            soft, "model", _set("feature_names_in", ["f"] * 3000)
        ),
        "one-vs-all with 30 sub-models for 3 classes": _edit_json(
            ova_nn, "model", lambda r: r.update(estimators=r["estimators"] * 10)
        ),
        "array of 1e9 values from an empty list": _edit_json(
            soft,
            "preprocessing",
            _set("values", "size", {"__ndarray__": [], "dtype": "<f8", "shape": [10**9]}),
        ),
        "array of 1e10 values from two": _edit_json(
            soft,
            "preprocessing",
            _set("values", "size", {"__ndarray__": [1, 2], "dtype": "<f8", "shape": [10**5] * 2}),
        ),
        "string array of 4e8 bytes": _edit_json(
            soft,
            "preprocessing",
            _set("values", "size", {"__ndarray__": ["a"], "dtype": "<U100000000", "shape": [1]}),
        ),
        "JSON nested 5000 deep": _edit_json(soft, "preprocessing", _set("values", "size", DEEP)),
        "model JSON nested 5000 deep": _edit_json(soft, "model", _set("params", "tol", DEEP)),
    }
    assert n_theta < 100 and len(data) < 10_000
    for what, raw in files.items():
        assert len(raw) < 64_000, what
    return files


def test_crafted_sizes_are_refused_cheaply(folder):
    for what, raw in _crafted(_bases(folder)).items():
        result, peak, seconds = _load(raw, folder)
        assert isinstance(result, ModelFileError), what
        assert peak < MAX_PEAK_REFUSED, f"{what}: {peak} bytes"
        assert seconds < 5, f"{what}: {seconds:.1f} s"


_CHILD = textwrap.dedent(
    """
    import resource, sys
    from logitlab.io import ModelFileError, read_model_file

    def vm_size():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = vm_size() + 256 * 2**20
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    for path in sys.argv[1:]:
        try:
            read_model_file(path)
            print("loaded", path)
        except ModelFileError:
            print("refused", path)
        except MemoryError:
            print("out of memory", path)
    """
)


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="needs RLIMIT_AS and /proc/self/status"
)
def test_crafted_sizes_are_refused_within_an_address_space_limit(folder, tmp_path):
    """In a process that may map only 256 MB more than it has after importing
    logitlab, every crafted file is refused (a lazy allocation would count too)."""
    paths = []
    for i, raw in enumerate(_crafted(_bases(folder)).values()):
        paths.append(tmp_path / f"crafted{i}.safetensors")
        paths[-1].write_bytes(raw)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split().count("refused") == len(paths), out.stdout


def test_large_legitimate_json_arrays_still_load(tmp_path):
    """The allowance for arrays stored as JSON text does not refuse real ones."""
    X, y = _blobs(2)
    est = LogisticRegression(max_iter=5, tol=0).fit(X, y)
    vocab = np.array([f"word{i}" * (1 + i % 7) for i in range(20_000)])
    save_model(est, tmp_path / "m.safetensors", preprocessing={"vocab": vocab, "s": vocab[:3]})
    _, pre, _ = read_model_file(tmp_path / "m.safetensors")
    assert pre["vocab"].dtype == vocab.dtype and np.array_equal(pre["vocab"], vocab)


def test_bases_load_and_predict(folder):
    for name in BASES:
        assert _check(_bases(folder)[name], folder) == "loaded", name


# --------------------------------------------------------------------- fuzzing
base_names = st.sampled_from(BASES)


@FUZZ
@given(
    name=base_names,
    flips=st.lists(st.tuples(st.integers(0, 2**31), st.integers(1, 255)), min_size=1, max_size=6),
    in_header=st.booleans(),
)
def test_flipped_bytes(folder, name, flips, in_header):
    raw = bytearray(_bases(folder)[name])
    (n,) = struct.unpack("<Q", raw[:8])
    span = 8 + n if in_header else len(raw)
    for position, mask in flips:
        raw[position % span] ^= mask
    event(_check(bytes(raw), folder))


@FUZZ
@given(
    name=base_names,
    cut=st.floats(0, 1),
    tail=st.binary(max_size=64),
    length=st.one_of(st.none(), st.integers(0, 2**64 - 1)),
)
def test_truncated_or_extended(folder, name, cut, tail, length):
    raw = _bases(folder)[name]
    raw = raw[: int(len(raw) * cut)] + tail
    if length is not None and len(raw) >= 8:
        raw = struct.pack("<Q", length) + raw[8:]
    event(_check(raw, folder))


_NASTY = [
    0,
    -1,
    1,
    2,
    3,
    10**9,
    10**18,
    2**63,
    2**64 + 1,
    -(10**12),
    1.5,
    -0.0,
    1e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    True,
    False,
    None,
    "",
    "x",
    "\ud800",
    "float32",
    "float64",
    "binary",
    "softmax",
    "multilabel",
    "relu",
    "LogisticRegression",
    "OneVsAllClassifier",
    "NeuralNetClassifier",
    [],
    {},
    [1, 2],
    [10**9],
    [10**9, 10**9],
    ["a", "b", "c"],
    list(range(300)),
    {"a": 1},
    # dtype strings
    "<f8",
    "<f4",
    "<f2",
    "<f16",
    "<i8",
    "|u1",
    "|b1",
    "<U3",
    "<U0",
    "<U100000000",
    "<U1000000000",
    "|O",
    "|V8",
    "|S5",
    "<c16",
    "<M8",
    "(1000000000,)f8",
    "f8,f8",
    "O8",
    ">f8",
    # tagged values
    {"__ndarray__": [], "dtype": "<f8", "shape": [10**9]},
    {"__ndarray__": [1, 2], "dtype": "<f8", "shape": [10**5, 10**5]},
    {"__ndarray__": ["a"], "dtype": "<U100000000", "shape": [1]},
    {"__ndarray__": [1e300], "dtype": "<f2", "shape": [1]},
    {"__ndarray__": [[1], [2, 3]], "dtype": "<i8", "shape": [3]},
    {"__ndarray__": 5, "dtype": "<i8", "shape": []},
    {"__ndarray__": [-1], "dtype": "|u1", "shape": [1]},
    {"__ndarray__": [0.5, 0.5], "dtype": "<f8", "shape": [2]},
    {"__ndarray__": [0.5, 0.5], "dtype": "<f8", "shape": [2, 1]},
    {"__tuple__": 5},
    {"__tuple__": [1, {"__tuple__": []}]},
    {"__tuple__": [4]},
    {"__scalar__": [1] * 100, "dtype": "<f8"},
    {"__scalar__": 300, "dtype": "|i1"},
    {"__scalar__": 1e300, "dtype": "<f2"},
    {"__scalar__": "x", "dtype": "<f8"},
    {"__scalar__": 3, "dtype": "<i8"},
    {"__estimator__": {"class": "LogisticRegression", "params": {}}},
    {"__estimator__": {"class": "NeuralNetClassifier", "params": {"hidden_layer_sizes": [10**9]}}},
    {"__estimator__": 5},
    {"__tuple__": [], "__ndarray__": []},
    DEEP,
    BIGINT,
    E999,
]

json_values = st.one_of(
    st.sampled_from(_NASTY).map(copy.deepcopy),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.integers(-3, 10**9), max_size=5),
)


def _paths(value, prefix=()):
    """Every path (a tuple of keys and indices) to a value in a JSON tree."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _mutate(value, path, op, new):
    """``value`` with the node at ``path`` changed by ``op``."""
    if not path:
        return new if op == "replace" else value
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if op == "replace":
        parent[key] = new
    elif op == "drop":
        del parent[key]
    elif op == "add":
        if isinstance(parent[key], dict):
            parent[key][f"k{len(parent[key])}"] = new
        elif isinstance(parent[key], list):
            parent[key].append(new)
        else:
            parent[key] = [parent[key], new]
    elif op == "long":  # 5000 copies of a number or string, 200 of a list or object
        old = parent[key]
        parent[key] = [old] * (200 if isinstance(old, (list, dict)) else 5000)
    elif op == "wrap":
        parent[key] = {"__tuple__": [parent[key]]} if isinstance(new, bool) else [parent[key]]
    return value


@FUZZ
@given(
    name=base_names,
    entry=st.sampled_from(["model", "model", "model", "preprocessing"]),
    data=st.data(),
)
def test_mutated_json_metadata_re_signed(folder, name, entry, data):
    raw = _bases(folder)[name]
    header, _ = _split(raw)
    value = json.loads(header["__metadata__"].get(entry, '{"arrays": [], "values": {}}'))
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        path = data.draw(st.sampled_from(list(_paths(value))), label="path")
        op = data.draw(st.sampled_from(["replace", "replace", "drop", "add", "long", "wrap"]))
        value = _mutate(value, path, op, data.draw(json_values, label="value"))
    text = _dumps(value)
    assume(len(text) < 200_000)  # "long" of "long": a large file, not a crafted small one
    raw = _edit_json(raw, entry, lambda v: text)
    event(_check(raw, folder))


@FUZZ
@given(
    name=base_names,
    field=st.sampled_from(["format_version", "estimator", "format", "checksum", "other"]),
    value=st.one_of(
        st.sampled_from(
            [
                "1",
                "01",
                " 1",
                "2",
                "",
                "x" * 300,
                "LogisticRegression",
                "OneVsAllClassifier",
                "logitlab-model",
            ]
        ),
        st.text(max_size=6),
    ),
)
def test_mutated_metadata_strings_re_signed(folder, name, field, value):
    def edit(header):
        header["__metadata__"][field] = value

    event(_check(_edit_header(_bases(folder)[name], edit, resign=field != "checksum"), folder))


header_dtypes = st.sampled_from(
    ["F64", "F32", "F16", "BF16", "F8_E4M3", "I64", "U8", "BOOL", "C64", "X", 5, None, ["F64"]]
)


@FUZZ
@given(name=base_names, resign=st.booleans(), data=st.data())
def test_mutated_tensor_headers(folder, name, resign, data):
    raw = _bases(folder)[name]
    header, body = _split(raw)
    names = sorted(k for k in header if k != "__metadata__")
    target = data.draw(st.sampled_from(names), label="tensor")
    entry = header[target]
    (count,) = entry["shape"] if len(entry["shape"]) == 1 else (math.prod(entry["shape"]),)
    begin, end = entry["data_offsets"]
    op = data.draw(st.sampled_from(["dtype", "shape", "offsets", "drop", "add", "rename", "meta"]))
    if op == "dtype":
        entry["dtype"] = data.draw(header_dtypes, label="dtype")
        factor = data.draw(st.sampled_from([None, 2, 4, 8]), label="rescale")
        if factor:  # keep the byte count: F64 [n] -> F32 [2n], U8 [8n] ...
            entry["shape"] = [count * factor]
    elif op == "shape":
        entry["shape"] = data.draw(
            st.one_of(
                st.lists(st.integers(-2, 10**12), max_size=4),
                st.sampled_from(
                    [
                        [count * 2],
                        [count // 2],
                        [count, 1],
                        [1, count],
                        [],
                        [0],
                        [10**9],
                        [0, 10**20],
                        [2**63],
                        [1.5],
                        "3",
                        None,
                        [True],
                    ]
                ),
            ),
            label="shape",
        )
    elif op == "offsets":
        entry["data_offsets"] = data.draw(
            st.sampled_from(
                [
                    [begin, end + 8],
                    [begin - 1, end],
                    [end, begin],
                    [0, 10**12],
                    [begin],
                    [begin, end, 0],
                    "x",
                    [begin + 0.0, end],
                    [-8, end],
                ]
            ),
            label="offsets",
        )
    elif op == "drop":
        del header[target]
    elif op == "add":
        header["model.extra"] = {"dtype": "F64", "shape": [0], "data_offsets": [len(body)] * 2}
    elif op == "rename":
        header[data.draw(st.sampled_from(["model.theta", "preprocessing.mean", "x"]))] = header.pop(
            target
        )
    else:
        header["__metadata__"] = data.draw(
            st.sampled_from([None, [], "x", {"format": 1}, {"format": "logitlab-model"}])
        )
    if resign:
        _resign(header, body)
    event(_check(_join(header, body), folder))
