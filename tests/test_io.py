"""Model files: exact round trips, preprocessing, atomic writes, refused bad files."""

import json
import os
import pickle
import stat
import threading
import warnings

import numpy as np
import pytest
import safetensors
import safetensors.numpy as st_numpy
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import logitlab
from logitlab import (
    LogisticRegression,
    MultiLabelClassifier,
    NeuralNetClassifier,
    OneVsAllClassifier,
    SoftmaxRegression,
)
from logitlab.io import (
    FORMAT_VERSION,
    ModelFileError,
    ModelFileNotFoundError,
    _checksum,
    load_model,
    read_model_file,
    save_model,
)


# ------------------------------------------------------------------------------ data
def _blobs(n_classes, m=90, n=4, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(m) % n_classes
    centres = rng.normal(scale=3.0, size=(n_classes, n))
    X = centres[y] + rng.normal(size=(m, n))
    return X, y


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def _binary():
    X, y = _blobs(2)
    return _fit(LogisticRegression(alpha=0.5, solver="gd", learning_rate=0.1, max_iter=30), X, y), X


def _softmax():
    X, y = _blobs(3)
    return _fit(SoftmaxRegression(alpha=0.1, random_state=0), X, y + 10), X


def _multilabel():
    X, y = _blobs(4, n=5)
    Y = np.stack([(y == 0) | (y == 1), (y == 1) | (y == 2), y == 3], axis=1).astype(int)
    est = MultiLabelClassifier(alpha=0.1, threshold=np.array([0.4, 0.5, 0.6]))
    return _fit(est, X, Y), X


def _neural_net():
    X, y = _blobs(3, m=120)
    labels = np.array(["cat", "dog", "bird"])[y]
    est = NeuralNetClassifier(
        (6, 5),
        activation="tanh",
        solver="adam",
        max_iter=40,
        learning_rate=0.01,
        dtype="float32",
        early_stopping=True,
        random_state=np.random.RandomState(3),
    )
    return _fit(est, X, labels), X.astype(np.float32)


def _one_vs_all():
    X, y = _blobs(3)
    est = OneVsAllClassifier(
        LogisticRegression(alpha=0.3, solver="gd", max_iter=25, learning_rate=0.2)
    )
    return _fit(est, X, y), X


def _one_vs_all_nets():
    X, y = _blobs(3, seed=1)
    est = OneVsAllClassifier(NeuralNetClassifier((3,), solver="lbfgs", max_iter=30, random_state=0))
    return _fit(est, X, y * 2.0), X  # float class labels


MODELS = {
    "logistic": _binary,
    "softmax": _softmax,
    "multilabel": _multilabel,
    "neural-net": _neural_net,
    "one-vs-all": _one_vs_all,
    "one-vs-all-nets": _one_vs_all_nets,
}


def _assert_params_equal(a, b):
    pa, pb = a.get_params(deep=False), b.get_params(deep=False)
    assert pa.keys() == pb.keys()
    for key, va in pa.items():
        vb = pb[key]
        if hasattr(va, "get_params"):
            assert type(va) is type(vb)
            _assert_params_equal(va, vb)
        elif key == "random_state" and isinstance(va, np.random.RandomState):
            assert vb is None
        elif isinstance(va, np.ndarray):
            assert isinstance(vb, np.ndarray) and vb.dtype == va.dtype
            assert np.array_equal(va, vb)
        else:
            assert type(va) is type(vb) and va == vb, key


def _assert_same_fit(a, b):
    assert type(a) is type(b)
    assert a.classes_.dtype == b.classes_.dtype and np.array_equal(a.classes_, b.classes_)
    assert a.n_features_in_ == b.n_features_in_
    _assert_params_equal(a, b)
    if isinstance(a, OneVsAllClassifier):
        assert len(a.estimators_) == len(b.estimators_)
        for sa, sb in zip(a.estimators_, b.estimators_):
            _assert_same_fit(sa, sb)
        assert np.array_equal(a.n_iter_, b.n_iter_)
        return
    assert b.network_.spec == a.network_.spec
    assert b.network_.dtype == a.network_.dtype
    assert b.network_.theta.dtype == a.network_.theta.dtype
    assert np.array_equal(b.network_.theta, a.network_.theta)
    assert type(b.n_iter_) is int and b.n_iter_ == a.n_iter_
    assert b.history_.dtype == a.history_.dtype and np.array_equal(b.history_, a.history_)
    if a.validation_history_ is None:
        assert b.validation_history_ is None
    else:
        assert np.array_equal(b.validation_history_, a.validation_history_)


@pytest.fixture(params=list(MODELS))
def fitted(request):
    return MODELS[request.param]()


@pytest.fixture
def model_file(tmp_path):
    est, X = _softmax()
    path = tmp_path / "model.safetensors"
    save_model(est, path, preprocessing={"mean": X.mean(axis=0), "size": (8, 8)})
    return path, est, X


# ------------------------------------------------------------------------ round trips
def test_round_trip_predictions_and_state_are_exact(fitted, tmp_path):
    est, X = fitted
    path = tmp_path / "m.safetensors"
    save_model(est, path)
    loaded = load_model(path)
    _assert_same_fit(est, loaded)
    for method in ("predict", "predict_proba", "decision_function"):
        expected, got = getattr(est, method)(X), getattr(loaded, method)(X)
        assert got.dtype == expected.dtype and np.array_equal(got, expected), method


def test_neural_net_file_keeps_float32_strings_and_validation_history(tmp_path):
    est, X = _neural_net()
    path = tmp_path / "nn.safetensors"
    save_model(est, path)
    loaded, pre, meta = read_model_file(path)
    assert pre == {}
    assert loaded.network_.theta.dtype == np.float32
    assert loaded.classes_.tolist() == ["bird", "cat", "dog"]
    assert all(type(c) is np.str_ for c in loaded.classes_)
    assert loaded.validation_history_ is not None and loaded.validation_history_.size > 0
    assert loaded.hidden_layer_sizes == (6, 5)  # a tuple, not a list
    assert loaded.random_state is None  # a RandomState is not saved
    assert meta["format"] == "logitlab-model" and meta["format_version"] == FORMAT_VERSION
    assert meta["logitlab_version"] == logitlab.__version__
    assert meta["estimator"] == "NeuralNetClassifier"
    assert meta["model"]["spec"] == est.network_.spec.to_dict()
    with safetensors.safe_open(path, framework="np") as f:
        assert f.get_tensor("model.theta").dtype == np.float32
        assert set(f.keys()) == {
            "model.theta",
            "model.history",
            "model.validation_history",
            # Adam's moments and the best parameters early stopping keeps
            "model.train_state.optimizer.m",
            "model.train_state.optimizer.v",
            "model.train_state.monitor.best_theta",
        }
        for key in set(f.keys()) - {"model.history", "model.validation_history"}:
            assert f.get_tensor(key).dtype == np.float32, key


def test_one_vs_all_stores_each_sub_model(tmp_path):
    est, X = _one_vs_all()
    path = tmp_path / "ova.safetensors"
    save_model(est, path)
    with safetensors.safe_open(path, framework="np") as f:
        keys = set(f.keys())
    assert keys == {f"model.estimators.{i}.{t}" for i in range(3) for t in ("theta", "history")}
    loaded = load_model(path)
    assert isinstance(loaded.estimator, LogisticRegression)
    assert loaded.estimator.alpha == 0.3
    assert [h.tolist() for h in loaded.history_] == [h.tolist() for h in est.history_]


@pytest.mark.parametrize(
    "labels",
    [
        np.array([3, 7]),
        np.array([False, True]),
        np.array([-1.0, 3.0]),
        np.array(["no", "yes"], dtype=object),
        np.array([-1, 1], dtype=np.int8),
    ],
    ids=["int", "bool", "float", "object-str", "int8"],
)
def test_class_labels_come_back_with_their_type(labels, tmp_path):
    X, y = _blobs(2)
    est = _fit(LogisticRegression(), X, labels[y])
    save_model(est, tmp_path / "m.safetensors")
    loaded = load_model(tmp_path / "m.safetensors")
    assert loaded.classes_.dtype == est.classes_.dtype
    assert np.array_equal(loaded.classes_, est.classes_)
    assert [type(c) for c in loaded.classes_] == [type(c) for c in est.classes_]
    assert np.array_equal(loaded.predict(X), est.predict(X))


def test_feature_names_round_trip(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = _blobs(2)
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    est = _fit(LogisticRegression(), df, y)
    save_model(est, tmp_path / "m.safetensors")
    loaded = load_model(tmp_path / "m.safetensors")
    assert loaded.feature_names_in_.tolist() == ["a", "b", "c", "d"]
    assert np.array_equal(loaded.predict_proba(df), est.predict_proba(df))
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(df.rename(columns={"a": "z"}))


def test_classes_that_json_cannot_hold_are_refused_at_save(tmp_path):
    est, _ = _binary()
    est.classes_ = np.array([1, "a"], dtype=object)
    with pytest.raises(ValueError, match="classes_"):
        save_model(est, tmp_path / "m.safetensors")
    est.classes_ = np.array([b"x", b"y"])
    with pytest.raises(ValueError, match="classes_"):
        save_model(est, tmp_path / "m.safetensors")
    assert not os.listdir(tmp_path)


# ----------------------------------------------------------------------- preprocessing
def test_preprocessing_round_trip(tmp_path):
    est, X = _softmax()
    pre = {
        "mean": X.mean(axis=0),
        "scale": X.std(axis=0).astype(np.float32),
        "mask": np.array([True, False, True]),
        "counts": np.arange(6, dtype=np.uint16).reshape(2, 3),
        "zero_d": np.array(2.5),
        "names": np.array(["red", "green"]),
        "image_size": (64, 64),
        "mode": "standardise",
        "flags": {"flatten": True, "channels": [1, 2, 3]},
        "eps": 1e-12,
        "nothing": None,
        "np_scalar": np.float32(0.1),
    }
    save_model(est, tmp_path / "m.safetensors", preprocessing=pre)
    _, back, _ = read_model_file(tmp_path / "m.safetensors")
    assert back.keys() == pre.keys()
    for key, value in pre.items():
        got = back[key]
        assert type(got) is type(value), key
        if isinstance(value, (np.ndarray, np.generic)):
            assert got.dtype == value.dtype and got.shape == np.shape(value), key
            assert np.array_equal(got, value), key
        else:
            assert got == value, key
    with safetensors.safe_open(tmp_path / "m.safetensors", framework="np") as f:
        keys = set(f.keys())
    assert {"preprocessing.mean", "preprocessing.scale", "preprocessing.counts"} <= keys


@pytest.mark.parametrize(
    "bad", [{"f": object()}, {"a": np.array([object()])}, {3: np.zeros(2)}, {"d": {"__tuple__": 1}}]
)
def test_preprocessing_that_cannot_be_stored_is_refused(bad, tmp_path):
    est, _ = _binary()
    with pytest.raises(ValueError, match="preprocessing"):
        save_model(est, tmp_path / "m.safetensors", preprocessing=bad)
    assert not os.listdir(tmp_path)


# ------------------------------------------------------------------------ atomic write
def test_save_leaves_only_the_final_file(tmp_path):
    est, _ = _one_vs_all()
    save_model(est, tmp_path / "m.safetensors")
    save_model(est, tmp_path / "m.safetensors")  # overwrite
    assert os.listdir(tmp_path) == ["m.safetensors"]


def test_failed_save_keeps_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    old, X_old = _binary()
    path = tmp_path / "m.safetensors"
    save_model(old, path)
    before = path.read_bytes()

    def interrupted(tensors, filename, metadata=None):
        with open(filename, "wb") as f:  # half a file, then the "crash"
            f.write(b'\x10\x00\x00\x00\x00\x00\x00\x00{"')
        raise KeyboardInterrupt

    monkeypatch.setattr(st_numpy, "save_file", interrupted)
    new, _ = _softmax()
    with pytest.raises(KeyboardInterrupt):
        save_model(new, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.safetensors"]
    monkeypatch.undo()
    assert np.array_equal(load_model(path).predict_proba(X_old), old.predict_proba(X_old))
    save_model(new, path)  # a successful save does replace it
    assert isinstance(load_model(path), SoftmaxRegression)


def test_save_to_a_missing_folder_names_it(tmp_path):
    est, _ = _binary()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_model(est, tmp_path / "nowhere" / "m.safetensors")


# --------------------------------------------------------------------- bad estimators
def test_unfitted_estimators_are_refused(tmp_path):
    with pytest.raises(NotFittedError):
        save_model(SoftmaxRegression(), tmp_path / "m.safetensors")
    with pytest.raises(NotFittedError):
        save_model(OneVsAllClassifier(), tmp_path / "m.safetensors")
    assert not os.listdir(tmp_path)


def test_non_logitlab_estimators_are_refused(tmp_path):
    from sklearn.linear_model import LogisticRegression as SkLR

    X, y = _blobs(2)
    with pytest.raises(ValueError, match="not one of the logitlab estimators"):
        save_model(SkLR().fit(X, y), tmp_path / "m.safetensors")
    ova = OneVsAllClassifier(SkLR()).fit(X, y)
    with pytest.raises(ValueError, match="not one of the logitlab estimators"):
        save_model(ova, tmp_path / "m.safetensors")


# ----------------------------------------------------------------------- bad files
def _rewrite(src, dst, *, meta=None, tensors=None, fix_checksum=True):
    """Copy a model file through safetensors, editing its metadata or tensors."""
    with safetensors.safe_open(src, framework="np") as f:
        metadata = dict(f.metadata())
        data = {k: f.get_tensor(k) for k in f.keys()}
    if meta:
        meta(metadata)
    if tensors:
        tensors(data)
    if fix_checksum:
        metadata["checksum"] = _checksum(data, metadata)
    st_numpy.save_file(data, dst, metadata=metadata)
    return dst


def _load_error(path):
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    assert str(path) in str(info.value)
    return str(info.value)


def test_missing_file(tmp_path):
    path = tmp_path / "absent.safetensors"
    with pytest.raises(FileNotFoundError, match="absent.safetensors"):
        load_model(path)
    with pytest.raises(ModelFileNotFoundError):
        load_model(path)
    assert "no such file" in _load_error(path)


def test_directory_instead_of_file(tmp_path):
    assert "directory" in _load_error(tmp_path)


def _refused_at_once(path):
    """The ModelFileError message of loading ``path``, which must come at once: a
    loader that waits on a named pipe fails this instead of hanging the test run."""
    result = {}

    def load():
        try:
            load_model(path)
        except Exception as e:  # noqa: BLE001 - reported below
            result["error"] = e

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive(), f"loading {path} blocked"
    error = result.get("error")
    assert isinstance(error, ModelFileError), repr(error)
    assert str(path) in str(error)
    return str(error)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_named_pipe_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    assert "named pipe" in _refused_at_once(fifo)
    link = tmp_path / "link.safetensors"
    link.symlink_to(fifo)
    assert "named pipe" in _refused_at_once(link)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_device_is_refused():
    assert "character device" in _refused_at_once("/dev/zero")


def test_symlink_to_a_model_file_is_read(model_file, tmp_path):
    path, est, X = model_file
    link = tmp_path / "link.safetensors"
    link.symlink_to(path)
    assert np.array_equal(load_model(link).predict_proba(X), est.predict_proba(X))


def test_file_replaced_by_a_pipe_after_the_check_is_refused(model_file, monkeypatch):
    """The type is checked again on the opened descriptor: a path swapped for a named
    pipe between the stat and the open is refused, not read."""
    path, _, _ = model_file
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    real_open = os.open

    def swap_then_open(p, flags, *args):
        if os.fspath(p) == str(path) and not stat.S_ISFIFO(os.stat(p).st_mode):
            os.remove(p)
            os.mkfifo(p)
        return real_open(p, flags, *args)

    monkeypatch.setattr(os, "open", swap_then_open)
    assert "named pipe" in _refused_at_once(path)


def test_truncated_file(model_file, tmp_path):
    path, _, _ = model_file
    data = path.read_bytes()
    for name, cut in (("half", len(data) // 2), ("tail", len(data) - 3), ("tiny", 5)):
        bad = tmp_path / f"{name}.safetensors"
        bad.write_bytes(data[:cut])
        assert "not a valid safetensors file" in _load_error(bad)


def test_random_bytes_are_not_a_model(tmp_path):
    bad = tmp_path / "noise.safetensors"
    bad.write_bytes(np.random.default_rng(0).bytes(500))
    assert "not a valid safetensors file" in _load_error(bad)
    bad.write_bytes(b"")
    assert "not a valid safetensors file" in _load_error(bad)


def test_safetensors_without_logitlab_metadata(tmp_path):
    plain = tmp_path / "plain.safetensors"
    st_numpy.save_file({"weight": np.ones((2, 2))}, plain)
    assert "not a logitlab model file" in _load_error(plain)
    st_numpy.save_file({"weight": np.ones((2, 2))}, plain, metadata={"format": "pt"})
    assert "not a logitlab model file" in _load_error(plain)


def test_flipped_byte_in_tensor_data_fails_the_checksum(model_file, tmp_path):
    path, _, _ = model_file
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x40
    bad = tmp_path / "flipped.safetensors"
    bad.write_bytes(bytes(data))
    assert "altered: checksum mismatch" in _load_error(bad)


def test_edited_metadata_fails_the_checksum(model_file, tmp_path):
    path, _, _ = model_file

    def relabel(metadata):
        record = json.loads(metadata["model"])
        record["classes"]["values"] = [10, 11, 99]
        metadata["model"] = json.dumps(record)

    bad = _rewrite(path, tmp_path / "bad.safetensors", meta=relabel, fix_checksum=False)
    assert "altered: checksum mismatch" in _load_error(bad)
    bad = _rewrite(
        path, tmp_path / "bad.safetensors", meta=lambda m: m.pop("checksum"), fix_checksum=False
    )
    assert "no checksum" in _load_error(bad)


@pytest.mark.parametrize("fix_checksum", [True, False])
def test_other_format_version_is_refused(model_file, tmp_path, fix_checksum):
    path, _, _ = model_file

    def newer(metadata):
        metadata["format_version"] = str(FORMAT_VERSION + 1)
        metadata["logitlab_version"] = "9.9"

    bad = _rewrite(path, tmp_path / "v9.safetensors", meta=newer, fix_checksum=fix_checksum)
    msg = _load_error(bad)
    assert f"written by logitlab 9.9 with format version {FORMAT_VERSION + 1}" in msg
    assert f"this is logitlab {logitlab.__version__} which reads versions 1 to 2" in msg


def test_parameter_vector_that_does_not_fit_the_spec(model_file, tmp_path):
    path, _, _ = model_file

    def shorten(data):
        data["model.theta"] = data["model.theta"][:-1].copy()

    bad = _rewrite(path, tmp_path / "short.safetensors", tensors=shorten)
    msg = _load_error(bad)
    assert "parameter vector has shape" in msg and "needs" in msg


def test_unknown_constructor_parameter_is_named(model_file, tmp_path):
    path, _, _ = model_file

    def add_param(metadata):
        record = json.loads(metadata["model"])
        record["params"]["warp_drive"] = True
        metadata["model"] = json.dumps(record)

    bad = _rewrite(path, tmp_path / "param.safetensors", meta=add_param)
    msg = _load_error(bad)
    assert "warp_drive" in msg and "incompatible version" in msg


@pytest.mark.parametrize(
    "edit, problem",
    [
        (lambda r: r.update({"class": "os.system"}), "unknown estimator class"),
        (lambda r: r.pop("spec"), "lacks the entry 'spec'"),
        (lambda r: r["classes"].update({"dtype": "|V8"}), "invalid model description"),
    ],
)
def test_inconsistent_descriptions_are_refused(model_file, tmp_path, edit, problem):
    path, _, _ = model_file

    def change(metadata):
        record = json.loads(metadata["model"])
        edit(record)
        metadata["model"] = json.dumps(record)

    assert problem in _load_error(_rewrite(path, tmp_path / "x.safetensors", meta=change))


def test_extra_and_missing_tensors_are_refused(model_file, tmp_path):
    path, _, _ = model_file
    bad = _rewrite(
        path, tmp_path / "extra.safetensors", tensors=lambda d: d.update(sneaky=np.zeros(3))
    )
    assert "unexpected tensors ['sneaky']" in _load_error(bad)
    bad = _rewrite(path, tmp_path / "missing.safetensors", tensors=lambda d: d.pop("model.history"))
    assert "'model.history' is missing" in _load_error(bad)


# ------------------------------------------------------------------------ safety, engine
def test_loading_never_unpickles(model_file, monkeypatch):
    path, est, X = model_file

    def forbidden(*args, **kwargs):
        raise AssertionError("pickle used while loading a model file")

    class NoUnpickler:
        def __init__(self, *args, **kwargs):
            forbidden()

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", NoUnpickler)
    monkeypatch.setattr(np, "load", forbidden)
    loaded, pre, _ = read_model_file(path)
    assert np.array_equal(loaded.predict_proba(X), est.predict_proba(X))
    assert np.array_equal(pre["mean"], X.mean(axis=0))
    assert b"pickle" not in path.read_bytes()


def test_engine_argument(model_file):
    path, _, _ = model_file
    with pytest.raises(ValueError, match="engine must be one of"):
        load_model(path, engine="cuda")
    assert load_model(path, engine="torch").engine == "torch"
    assert load_model(path, engine="numpy").engine == "numpy"
    assert load_model(path).get_params() == load_model(path, engine=None).get_params()


@pytest.mark.parametrize("trained_on, loaded_into", [("torch", "numpy"), ("numpy", "torch")])
def test_models_move_between_engines(tmp_path, trained_on, loaded_into):
    pytest.importorskip("torch", reason="the torch engine needs PyTorch")
    X = _softmax()[1]
    y = np.random.default_rng(0).integers(0, 3, X.shape[0])
    est = NeuralNetClassifier(
        hidden_layer_sizes=(6,), max_iter=20, tol=0, random_state=0, engine=trained_on, device="cpu"
    ).fit(X, y)
    save_model(est, tmp_path / "m.safetensors")
    loaded = load_model(tmp_path / "m.safetensors", engine=loaded_into)
    assert loaded.engine == loaded_into
    assert np.array_equal(loaded.predict_proba(X), est.predict_proba(X))
    # and it trains again on the engine it was loaded into
    assert loaded.fit(X, y).n_iter_ == 20


def test_parameters_json_cannot_hold_are_dropped_with_a_warning(tmp_path):
    est, X = _binary()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RandomState is dropped silently
        save_model(_neural_net()[0], tmp_path / "nn.safetensors")
    est.tol = object()  # not a valid value, but get_params reports it
    with pytest.warns(UserWarning, match=r"\['tol'\] cannot be stored as JSON"):
        save_model(est, tmp_path / "m.safetensors")
    loaded = load_model(tmp_path / "m.safetensors")
    assert loaded.tol == LogisticRegression().tol
    assert np.array_equal(loaded.predict_proba(X), est.predict_proba(X))
