"""Training states in model files: exact round trips of any valid state (hypothesis),
files without one, and hostile state metadata, which must end in a ModelFileError
naming the file and the field, or in a model that predicts and trains on."""

import copy
import functools
import json
import math
import os
import warnings

import numpy as np
import pytest
import safetensors
import safetensors.numpy as st_numpy
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from logitlab import LogisticRegression, NeuralNetClassifier, OneVsAllClassifier
from logitlab.io import ModelFileError, _checksum, load_model, read_model_file, save_model
from logitlab.numpy_engine import TrainState

PROPERTY = settings(
    max_examples=int(os.environ.get("LOGITLAB_FUZZ_EXAMPLES", "40")),
    deadline=None,  # a shared machine is slow; every load is small
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "SFC64", "Philox", "MT19937")
SOLVERS = ("gd", "sgd", "momentum", "adam", "lbfgs")


# ------------------------------------------------------------------------------ data
def _data(n_classes=3, m=60, n=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(m) % n_classes
    X = rng.normal(scale=3.0, size=(n_classes, n))[y] + rng.normal(size=(m, n))
    return X, y


def _fit(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few iterations: convergence warnings
        return est.fit(X, y, **kw)


@functools.cache
def _network(solver, dtype):
    """A small fitted network (never modified: tests work on deep copies)."""
    X, y = _data()
    batch = None if solver in ("gd", "lbfgs") else 16
    est = NeuralNetClassifier(
        (4,), solver=solver, batch_size=batch, max_iter=3, tol=0, dtype=dtype, random_state=0
    )
    return _fit(est, X, y)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("state")


def _round_trip(est, folder, name="m.safetensors"):
    path = folder / name
    save_model(est, path)
    return load_model(path)


# -------------------------------------------------------------- comparing states
def _same(a, b, where="state"):
    """a and b equal exactly: arrays by dtype and bytes, floats by value (inf too)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), where
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert a.tobytes() == b.tobytes(), where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    else:
        assert type(a) is type(b) and a == b, (where, a, b)


def _same_state(a, b):
    assert isinstance(a, TrainState) and isinstance(b, TrainState)
    assert a.epoch == b.epoch and a.loader_seed == b.loader_seed
    _same(a.rng, b.rng, "rng")
    _same(a.optimizer, b.optimizer, "optimizer")
    _same(a.schedule, b.schedule, "schedule")
    _same(a.monitor, b.monitor, "monitor")
    if a.rng:  # the generator goes on with the same numbers
        assert np.array_equal(a.generator(None).random(8), b.generator(None).random(8))


# ------------------------------------------------------------- valid states, drawn
COUNTS = st.integers(0, 2**62)
REALS = st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def rng_states(draw):
    if draw(st.booleans()):
        return {}
    name = draw(st.sampled_from(BIT_GENERATORS))
    bit_generator = getattr(np.random, name)(draw(st.integers(0, 2**64 - 1)))
    gen = np.random.Generator(bit_generator)
    gen.random(draw(st.integers(0, 3)))
    gen.integers(0, 2**32, size=draw(st.integers(0, 3)), dtype=np.uint32)  # has_uint32
    return bit_generator.state


@st.composite
def train_states(draw, n_params, solver):
    def vector():
        dtype = draw(st.sampled_from(["float32", "float64"]))
        elements = st.floats(allow_nan=True, width=32 if dtype == "float32" else 64)
        return draw(hnp.arrays(dtype, n_params, elements=elements))

    epoch = draw(COUNTS)
    optimizer = {}
    if solver in ("momentum", "adam") and draw(st.booleans()):
        optimizer = {"v": vector()}
        if solver == "adam":
            optimizer.update(m=vector(), t=draw(COUNTS))
    schedule = draw(
        st.one_of(
            st.just({}),
            st.fixed_dictionaries(
                {
                    "horizon": COUNTS,
                    "factor": st.floats(0, 1e300),
                    "best": st.one_of(REALS, st.just(math.inf)),
                    "bad": COUNTS,
                }
            ),
        )
    )
    monitor = {}
    if draw(st.booleans()):
        monitor = {
            "best": draw(st.one_of(REALS, st.just(math.inf))),
            "bad": draw(COUNTS),
            "best_iteration": draw(st.one_of(st.none(), st.integers(0, epoch))),
            "best_theta": draw(st.one_of(st.none(), st.builds(vector))),
        }
    return TrainState(
        epoch=epoch,
        rng=draw(rng_states()),
        optimizer=optimizer,
        schedule=schedule,
        monitor=monitor,
        loader_seed=draw(st.one_of(st.none(), COUNTS)),
    )


@PROPERTY
@given(
    data=st.data(), solver=st.sampled_from(SOLVERS), dtype=st.sampled_from(["float32", "float64"])
)
def test_any_valid_state_comes_back_exactly(folder, data, solver, dtype):
    est = copy.deepcopy(_network(solver, dtype))
    state = data.draw(train_states(est.network_.spec.n_params, solver), label="state")
    est.train_state_ = state
    scores = data.draw(st.one_of(st.none(), hnp.arrays("float64", st.integers(0, 5))))
    est.validation_scores_ = scores
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a valid state is saved, never dropped
        loaded = _round_trip(est, folder)
    _same_state(state, loaded.train_state_)
    if scores is None:
        assert loaded.validation_scores_ is None
    else:
        _same(scores, loaded.validation_scores_, "validation_scores_")
    event(f"rng {state.rng.get('bit_generator', 'none')}, optimizer {sorted(state.optimizer)}")


@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_states_of_real_fits_come_back_exactly(folder, engine, solver):
    if engine == "torch":
        pytest.importorskip("torch")
    X, y = _data()
    batch = None if solver in ("gd", "lbfgs") else 16
    est = NeuralNetClassifier(
        (5,),
        solver=solver,
        batch_size=batch,
        max_iter=6,
        tol=0,
        early_stopping=True,
        validation_scoring="accuracy",
        lr_schedule="constant" if solver == "lbfgs" else "plateau",
        engine=engine,
        random_state=0,
    )
    _fit(est, X, y)
    loaded = _round_trip(est, folder)
    _same_state(est.train_state_, loaded.train_state_)
    assert est.train_state_.rng["bit_generator"] == "PCG64"
    _same(est.validation_scores_, loaded.validation_scores_, "validation_scores_")
    _same(est.validation_history_, loaded.validation_history_, "validation_history_")


def test_one_vs_all_keeps_each_sub_models_state(folder):
    X, y = _data()
    base = LogisticRegression(solver="momentum", batch_size=16, max_iter=4, tol=0, random_state=0)
    est = _fit(OneVsAllClassifier(base), X, y)
    loaded = _round_trip(est, folder)
    for a, b in zip(est.estimators_, loaded.estimators_):
        assert "v" in a.train_state_.optimizer
        _same_state(a.train_state_, b.train_state_)


@pytest.mark.parametrize("solver", ["sgd", "momentum", "adam"])
def test_a_loaded_state_continues_exactly(folder, solver):
    """A fit's snapshot after 4 of 10 iterations, through a file and on with
    warm_start for the other 6, ends where the fit ended, bit for bit."""
    X, y = _data()
    path = folder / f"after4-{solver}.safetensors"

    def checkpoint(info):
        if info.iteration == 3:
            save_model(info.snapshot(), path)

    est = NeuralNetClassifier(
        (5,), solver=solver, batch_size=16, max_iter=10, tol=0, lr_schedule="cosine",
        random_state=0,
    )  # fmt: skip
    whole = _fit(est, X, y, callback=checkpoint)
    loaded = load_model(path)
    assert loaded.n_iter_ == 4 and loaded.train_state_.epoch == 4
    _fit(loaded.set_params(warm_start=True, max_iter=6), X, y)
    assert loaded.n_iter_ == 10 and loaded.train_state_.epoch == 10
    assert np.array_equal(loaded.network_.theta, whole.network_.theta)
    assert np.array_equal(loaded.history_, whole.history_)


# ------------------------------------------------------------------ older files
def _rewrite(src, dst, *, record=None, tensors=None, meta=None):
    """Copy a model file, editing its model record, tensors or metadata; re-signed."""
    with safetensors.safe_open(src, framework="np") as f:
        metadata = dict(f.metadata())
        data = {k: f.get_tensor(k) for k in f.keys()}
    if record:
        value = json.loads(metadata["model"])
        text = record(value)
        metadata["model"] = text if isinstance(text, str) else json.dumps(value)
    if tensors:
        tensors(data)
    if meta:
        meta(metadata)
    metadata["checksum"] = _checksum(data, metadata)
    st_numpy.save_file(data, dst, metadata=metadata)
    return dst


def test_a_version_1_file_without_state_loads_and_continues(folder):
    X, y = _data()
    est = _network("adam", "float64")
    save_model(est, folder / "v2.safetensors")

    def strip(record):
        del record["train_state"], record["validation_scores"]

    def drop(data):
        for key in [k for k in data if ".train_state." in k]:
            del data[key]

    old = _rewrite(
        folder / "v2.safetensors",
        folder / "v1.safetensors",
        record=strip,
        tensors=drop,
        meta=lambda m: m.update(format_version="1"),
    )
    loaded, _, meta = read_model_file(old)
    assert meta["format_version"] == 1
    assert loaded.train_state_ is None and loaded.validation_scores_ is None
    assert np.array_equal(loaded.network_.theta, est.network_.theta)
    _fit(loaded.set_params(warm_start=True, max_iter=2), X, y)  # goes on counting
    assert loaded.n_iter_ == est.n_iter_ + 2 and loaded.train_state_.epoch == loaded.n_iter_


def test_a_state_that_does_not_fit_the_network_is_left_out_with_a_warning(folder):
    est = copy.deepcopy(_network("momentum", "float64"))
    est.train_state_.optimizer["v"] = est.train_state_.optimizer["v"][:-1]
    with pytest.warns(UserWarning, match="train_state_ cannot be stored.*optimizer.v"):
        loaded = _round_trip(est, folder)
    assert loaded.train_state_ is None
    est.train_state_ = TrainState(rng={"bit_generator": "RandomState", "state": {}})
    with pytest.warns(UserWarning, match="bit generator 'RandomState'"):
        assert _round_trip(est, folder).train_state_ is None


# ------------------------------------------------------------- hostile files
def _load_error(path):
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    assert str(path) in str(info.value)
    return str(info.value)


def _set_state(*keys_value):
    """A record edit setting record["train_state"][keys...] to value."""
    *keys, value = keys_value

    def edit(record):
        node = record["train_state"]
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value

    return edit


def _state_text(old, new):
    """A record edit replacing text in the model JSON (literals json.dumps never writes)."""

    def edit(record):
        text = json.dumps(record)
        assert old in text
        return text.replace(old, new)

    return edit


def _adam_file(folder):
    """A file of a network trained by Adam with early stopping: every part of a state."""
    path = folder / "adam.safetensors"
    if not path.exists():
        X, y = _data()
        est = NeuralNetClassifier(
            (4,), batch_size=16, max_iter=5, tol=0, early_stopping=True, random_state=0
        )
        save_model(_fit(est, X, y), path)
    return path


def _with_raw(edit, raw):
    """``edit``, then the placeholder "@@" it wrote replaced by raw JSON text."""

    def apply(record):
        edit(record)
        return json.dumps(record).replace('"@@"', raw)

    return apply


CORRUPT_RECORDS = {
    "state is a list": (
        lambda r: r.update(train_state=[1, 2]),
        "train_state is not a JSON object",
    ),
    "negative epoch": (_set_state("epoch", -1), "train_state.epoch is -1"),
    "epoch true": (_set_state("epoch", True), "train_state.epoch is True"),
    "fractional epoch": (_set_state("epoch", 2.5), "train_state.epoch"),
    "epoch 2**70": (_set_state("epoch", 2**70), "train_state.epoch"),
    "extra entry": (_set_state("extra", 1), "train_state has the entries"),
    "RandomState": (_set_state("rng", "bit_generator", "RandomState"), "'RandomState' is not"),
    "a dunder name": (_set_state("rng", "bit_generator", "__class__"), "'__class__' is not"),
    "a module name": (_set_state("rng", "bit_generator", "os"), "'os' is not"),
    "a name not a string": (_set_state("rng", "bit_generator", ["PCG64"]), "bit generator"),
    "128-bit state too big": (
        _set_state("rng", "state", "state", str(2**128)),
        "train_state.rng.state.state",
    ),
    "state as a number": (
        _set_state("rng", "state", "inc", 12345),
        "train_state.rng.state.inc",
    ),
    "state with a sign": (_set_state("rng", "state", "inc", "-5"), "train_state.rng.state.inc"),
    "unicode digits": (_set_state("rng", "state", "inc", "１２"), "train_state.rng.state.inc"),
    "a 5000-digit state": (
        _set_state("rng", "state", "state", "9" * 5000),
        "train_state.rng.state.state",
    ),
    "has_uint32 of 2": (_set_state("rng", "has_uint32", 2), "train_state.rng.has_uint32"),
    "another generator's layout": (
        _set_state("rng", "bit_generator", "MT19937"),
        "train_state.rng",
    ),
    "Adam without its step": (
        lambda r: r["train_state"]["optimizer"].pop("t"),
        "train_state.optimizer has the entries",
    ),
    "momentum's state for Adam": (
        lambda r: [r["train_state"]["optimizer"].pop(k) for k in ("t", "m")],
        "train_state.optimizer has the entries",
    ),
    "negative step": (_set_state("optimizer", "t", -3), "train_state.optimizer.t"),
    "vector flag not true": (_set_state("optimizer", "m", 1), "train_state.optimizer.m"),
    "NaN factor": (_state_text('"factor": 1.0', '"factor": NaN'), "train_state.schedule.factor"),
    "infinite factor": (
        _state_text('"factor": 1.0', '"factor": Infinity'),
        "train_state.schedule.factor",
    ),
    "negative factor": (_set_state("schedule", "factor", -0.5), "train_state.schedule.factor"),
    "factor as text": (_set_state("schedule", "factor", "1"), "train_state.schedule.factor"),
    "minus inf best": (_set_state("schedule", "best", "-inf"), "train_state.schedule.best"),
    "best as a JSON Infinity": (
        _with_raw(_set_state("monitor", "best", "@@"), "Infinity"),
        "train_state.monitor.best",
    ),
    "1e999 horizon": (
        _with_raw(_set_state("schedule", "horizon", "@@"), "1e999"),
        "train_state.schedule.horizon",
    ),
    "schedule missing an entry": (
        lambda r: r["train_state"]["schedule"].pop("bad"),
        "train_state.schedule has the entries",
    ),
    "best iteration after the epoch": (
        _set_state("monitor", "best_iteration", 10**6),
        "train_state.monitor.best_iteration",
    ),
    "best_theta flag not a bool": (
        _set_state("monitor", "best_theta", 1),
        "train_state.monitor.best_theta",
    ),
    "loader seed as text": (_set_state("loader_seed", "7"), "train_state.loader_seed"),
}


@pytest.mark.parametrize("what", sorted(CORRUPT_RECORDS))
def test_corrupt_state_metadata_is_one_clear_error(folder, what):
    edit, fragment = CORRUPT_RECORDS[what]
    bad = _rewrite(_adam_file(folder), folder / "bad.safetensors", record=edit)
    msg = _load_error(bad)
    assert "training state" in msg or "train_state" in msg, msg
    assert fragment in msg, msg


CORRUPT_TENSORS = {
    "a vector too short": (
        lambda d: d.update({"model.train_state.optimizer.m": d["model.theta"][:-1].copy()}),
        "train_state.optimizer.m is a float64 array of shape",
    ),
    "an integer vector": (
        lambda d: d.update(
            {"model.train_state.optimizer.v": np.zeros(d["model.theta"].size, np.int64)}
        ),
        "train_state.optimizer.v is a int64 array",
    ),
    "a float16 vector": (
        lambda d: d.update(
            {"model.train_state.optimizer.v": np.zeros(d["model.theta"].size, np.float16)}
        ),
        "train_state.optimizer.v is a float16 array",
    ),
    "a 2-D vector": (
        lambda d: d.update(
            {"model.train_state.monitor.best_theta": d["model.theta"].reshape(1, -1).copy()}
        ),
        "train_state.monitor.best_theta is a float64 array of shape (1,",
    ),
    "a missing vector": (
        lambda d: d.pop("model.train_state.optimizer.m"),
        "tensor 'model.train_state.optimizer.m' is missing",
    ),
    "a vector the record does not name": (
        lambda d: d.update({"model.train_state.optimizer.w": d["model.theta"].copy()}),
        "unexpected tensors",
    ),
}


@pytest.mark.parametrize("what", sorted(CORRUPT_TENSORS))
def test_corrupt_state_tensors_are_one_clear_error(folder, what):
    edit, fragment = CORRUPT_TENSORS[what]
    bad = _rewrite(_adam_file(folder), folder / "bad.safetensors", tensors=edit)
    assert fragment in _load_error(bad)


NASTY = [
    0,
    -1,
    1,
    2**62,
    2**64,
    2**128,
    1.5,
    -0.0,
    1e308,
    True,
    None,
    "",
    "inf",
    "-inf",
    "nan",
    "0",
    "1" * 39,
    "9" * 41,
    "PCG64",
    "MT19937",
    "RandomState",
    "Generator",
    "__import__",
    [],
    {},
    [1, 2],
    ["1"] * 624,
    {"a": 1},
    {"__ndarray__": [1], "dtype": "<f8", "shape": [1]},
]
nasty_values = st.one_of(
    st.sampled_from(NASTY).map(copy.deepcopy),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:8]):
            yield from _paths(v, (*prefix, i))


@functools.cache
def _bases(folder):
    """Files whose states use every part: Adam with early stopping; momentum whose
    generator is an MT19937 (a layout with an array); a sub-model of one-vs-all."""
    X, y = _data()
    files = {"adam": _adam_file(folder)}
    mt = copy.deepcopy(_network("momentum", "float32"))
    bit_generator = np.random.MT19937(5)
    np.random.Generator(bit_generator).random(3)
    mt.train_state_.rng = bit_generator.state
    files["momentum-mt"] = folder / "momentum-mt.safetensors"
    save_model(mt, files["momentum-mt"])
    ova = OneVsAllClassifier(
        LogisticRegression(solver="adam", batch_size=16, max_iter=3, tol=0, random_state=0)
    )
    files["one-vs-all"] = folder / "ova.safetensors"
    save_model(_fit(ova, X, y), files["one-vs-all"])
    return files


def _states(record):
    """(path to each train_state in a model record, the state)."""
    if "estimators" in record:
        return [
            (("estimators", i, "train_state"), s["train_state"])
            for i, s in enumerate(record["estimators"])
        ]
    return [(("train_state",), record["train_state"])]


@PROPERTY
@given(base=st.sampled_from(["adam", "momentum-mt", "one-vs-all"]), data=st.data())
def test_mutated_states_are_refused_or_train_on(folder, base, data):
    """Any change to a state's JSON, re-signed, gives a ModelFileError naming the file,
    or a model that predicts and goes on training (warm_start) without another error."""
    src = _bases(folder)[base]
    with safetensors.safe_open(src, framework="np") as f:
        record = json.loads(f.metadata()["model"])
    where, state = data.draw(st.sampled_from(_states(record)), label="state")
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        path = data.draw(st.sampled_from(list(_paths(state))), label="path")
        new = data.draw(nasty_values, label="value")
        op = data.draw(st.sampled_from(["replace", "replace", "drop", "add"]), label="op")
        if not path:
            state = new if op == "replace" else state
            continue
        parent = state
        for key in path[:-1]:
            parent = parent[key]
        if op == "replace":
            parent[path[-1]] = new
        elif op == "drop":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[f"k{len(parent)}"] = new
        else:
            parent.append(new)
    node = record
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = state
    bad = _rewrite(
        src, folder / "mutated.safetensors", record=lambda r: r.clear() or r.update(record)
    )
    try:
        est = load_model(bad)
    except ModelFileError as e:
        assert str(bad) in str(e)
        event("refused")
        return
    event("loaded")
    X, y = _data()
    est.predict(X)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for sub in getattr(est, "estimators_", [est]):
            sub.set_params(warm_start=True, max_iter=2)
            sub.fit(X, (y == 0) if base == "one-vs-all" else y)
        assert est.predict(X).shape == (len(y),)
