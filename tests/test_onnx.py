"""ONNX export: onnxruntime, running the exported bytes, gives logitlab's probabilities
(to 1e-6) and predictions, for every estimator and head (classifier chains and
thresholds chosen by cross-validation included), any batch size; the ``logitlab
export`` command on run folders, and its errors."""

import json
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from _cli import one_line_error, run
from logitlab import (
    ClassifierChainEnsemble,
    LogisticRegression,
    MultiLabelClassifier,
    NeuralNetClassifier,
    OneVsAllClassifier,
    SoftmaxRegression,
)
from logitlab.data import ImageFiles
from logitlab.export import ExportError, GraphBuilder
from logitlab.io import to_onnx
from logitlab.numpy_engine import Network
from logitlab.spec import HIDDEN_ACTIVATIONS, ModelSpec

onnx = pytest.importorskip("onnx", reason="ONNX export needs onnx: pip install onnx onnxruntime")
ort = pytest.importorskip(
    "onnxruntime", reason="the checks need onnxruntime: pip install onnxruntime"
)

TOL = 1e-6
README = Path(__file__).resolve().parents[1] / "README.md"


def session(model):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def run_onnx(model, X):
    proba, label = session(model).run(["probabilities", "label"], {"X": np.asarray(X, float)})
    return proba, label


def assert_agrees(est, X, preprocessing=None, class_names=None):
    """onnxruntime's outputs on raw rows X equal the estimator's on the standardised
    rows, for batches of 1, 3 and all rows (one exported model: the batch is free)."""
    model = to_onnx(est, preprocessing=preprocessing, class_names=class_names)
    Xs = X
    if preprocessing is not None and preprocessing.get("mean") is not None:
        Xs = (X - preprocessing["mean"]) / preprocessing["scale"]
    names = None if class_names is None else np.asarray(class_names)
    for rows in (slice(0, 1), slice(1, 4), slice(None)):
        proba, label = run_onnx(model, X[rows])
        expected = est.predict_proba(Xs[rows])
        assert proba.shape == expected.shape and proba.dtype == expected.dtype
        np.testing.assert_allclose(proba, expected, rtol=0, atol=TOL)
        predicted = est.predict(Xs[rows])
        if names is not None:
            predicted = names[np.searchsorted(est.classes_, predicted)]
        assert label.tolist() == predicted.tolist()
    return model


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4)) * [1.0, 3.0, 0.5, 2.0] + [0.0, 5.0, -1.0, 2.0]
    mean, scale = X.mean(axis=0), X.std(axis=0)
    Xs = (X - mean) / scale
    y2 = np.where(Xs[:, 0] + Xs[:, 1] > 0, "spam", "ham")
    y3 = np.digitize(Xs[:, 0] - Xs[:, 2], [-0.5, 0.5]) + 10  # classes 10, 11, 12
    Y = np.column_stack([Xs[:, 0] > 0, Xs[:, 1] > 0.3, Xs[:, 2] + Xs[:, 3] > 0]).astype(int)
    return X, {"mean": mean, "scale": scale}, Xs, y2, y3, Y


def quiet_fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few iterations: convergence warnings
        return est.fit(X, y)


CASES = {
    "logistic": (lambda: LogisticRegression(), "y2"),
    "logistic-float32": (lambda: LogisticRegression(dtype="float32"), "y2"),
    "softmax": (lambda: SoftmaxRegression(), "y3"),
    "softmax-two-classes": (lambda: SoftmaxRegression(), "y2"),
    "multilabel": (lambda: MultiLabelClassifier(), "Y"),
    "multilabel-thresholds": (lambda: MultiLabelClassifier(threshold=[0.2, 0.5, 0.8]), "Y"),
    "mlp-binary-relu": (lambda: NeuralNetClassifier((6,), solver="lbfgs", max_iter=30), "y2"),
    "mlp-softmax-tanh": (
        lambda: NeuralNetClassifier((5, 4), activation="tanh", solver="lbfgs", max_iter=30),
        "y3",
    ),
    "mlp-multilabel-sigmoid": (
        lambda: NeuralNetClassifier((5,), activation="sigmoid", solver="lbfgs", max_iter=30),
        "Y",
    ),
    "mlp-float32-dropout": (
        lambda: NeuralNetClassifier(
            (8,), solver="adam", max_iter=5, dropout=0.3, dtype="float32", random_state=0
        ),
        "y3",
    ),
    "one-vs-all": (lambda: OneVsAllClassifier(), "y3"),
    "one-vs-all-two-classes": (lambda: OneVsAllClassifier(), "y2"),
    "one-vs-all-of-mlps": (
        lambda: OneVsAllClassifier(NeuralNetClassifier((4,), solver="lbfgs", max_iter=20)),
        "y3",
    ),
    "one-vs-all-of-softmax-float32": (
        lambda: OneVsAllClassifier(SoftmaxRegression(dtype="float32")),
        "y3",
    ),
    "one-vs-all-of-one-vs-all": (lambda: OneVsAllClassifier(OneVsAllClassifier()), "y3"),
    "chains-of-logistic": (lambda: ClassifierChainEnsemble(n_chains=3, random_state=0), "Y"),
    "chains-of-logistic-predict": (
        lambda: ClassifierChainEnsemble(n_chains=3, chain_method="predict", random_state=0),
        "Y",
    ),
    "chains-of-mlps": (
        lambda: ClassifierChainEnsemble(
            NeuralNetClassifier((4,), solver="lbfgs", max_iter=20), n_chains=2, random_state=0
        ),
        "Y",
    ),
    "chains-of-mlps-float32-predict": (
        lambda: ClassifierChainEnsemble(
            NeuralNetClassifier(
                (4,), activation="tanh", solver="lbfgs", max_iter=20, dtype="float32"
            ),
            n_chains=2,
            chain_method="predict",
            random_state=0,
        ),
        "Y",
    ),
    "chains-of-softmax-one-vs-all-thresholds": (
        lambda: ClassifierChainEnsemble(
            OneVsAllClassifier(SoftmaxRegression()),
            n_chains=2,
            order=[2, 0, 1],
            threshold=[0.3, 0.5, 0.7],
            random_state=0,
        ),
        "Y",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_probabilities_and_labels_equal_logitlabs(case, data):
    X, pre, Xs, y2, y3, Y = data
    make, target = CASES[case]
    y = {"y2": y2, "y3": y3, "Y": Y}[target]
    est = quiet_fit(make(), Xs, y)
    assert_agrees(est, Xs)  # the network alone
    model = assert_agrees(est, X, preprocessing=pre)  # with the standardisation
    onnx.checker.check_model(model, full_check=True)
    assert [i.name for i in model.graph.input] == ["X"]
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"


def test_class_names_name_the_label_output(data):
    X, pre, Xs, _, y3, Y = data
    est = SoftmaxRegression().fit(Xs, y3)
    model = assert_agrees(est, X, preprocessing=pre, class_names=["low", "mid", "high"])
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props["class_names"]) == ["low", "mid", "high"]
    # a run's preprocessing dict carries the class names; multi-label labels are 0/1
    from_pre = to_onnx(est, preprocessing={**pre, "class_names": ["a", "b", "c"]})
    assert set(run_onnx(from_pre, X)[1]) <= {"a", "b", "c"}
    with pytest.raises(ExportError, match="2 class names for a model of 3 classes"):
        to_onnx(est, class_names=["a", "b"])


@pytest.fixture(scope="module")
def noisy_labels():
    """Standardised X and three rare, noisy labels, on which thresholds chosen for F1
    fall well below 0.5."""
    rng = np.random.default_rng(0)
    Xs = rng.normal(size=(100, 4))
    noisy = Xs + rng.normal(size=Xs.shape)
    Y = np.column_stack([noisy[:, 0] > 1, noisy[:, 1] > 0.8, noisy[:, 2] + noisy[:, 3] > 1.5])
    return Xs, Y.astype(int)


CV_THRESHOLD_CASES = {
    "multilabel": lambda: MultiLabelClassifier(threshold="cv", threshold_scoring="f1"),
    "mlp-multilabel": lambda: NeuralNetClassifier(
        (5,), solver="lbfgs", max_iter=30, threshold="cv", threshold_scoring="f1"
    ),
    "chains-of-logistic": lambda: ClassifierChainEnsemble(
        n_chains=3, threshold="cv", threshold_scoring="f1", random_state=0
    ),
    "chains-of-mlps-predict": lambda: ClassifierChainEnsemble(
        NeuralNetClassifier((4,), solver="lbfgs", max_iter=20),
        n_chains=2,
        chain_method="predict",
        threshold="cv",
        threshold_scoring="f1",
        random_state=0,
    ),
}


@pytest.mark.parametrize("case", CV_THRESHOLD_CASES)
def test_labels_use_the_thresholds_cross_validation_chose(case, noisy_labels):
    """threshold="cv": the label output compares with the fitted ``thresholds_``, not
    with 0.5 (the data makes them differ, so a graph that used 0.5 would fail)."""
    Xs, Y = noisy_labels
    est = quiet_fit(CV_THRESHOLD_CASES[case](), Xs, Y)
    assert est.threshold == "cv" and est.thresholds_ is not None
    assert np.any((est.predict_proba(Xs) > 0.5) != est.predict(Xs))
    model = assert_agrees(est, Xs)
    props = {p.key: p.value for p in model.metadata_props}
    assert props["estimator"] == type(est).__name__


@st.composite
def chains(draw):
    """A random ensemble of chains of random small networks (float32 or float64 each,
    large as well as small weights), each in a random order of the labels."""
    n_x = draw(st.integers(1, 4))
    n_labels = draw(st.integers(1, 4))
    n_chains = draw(st.integers(1, 3))
    chain_method = draw(st.sampled_from(["predict_proba", "predict"]))
    seed = draw(st.integers(0, 2**32 - 1))
    weight_scale = draw(st.sampled_from([0.1, 1.0, 10.0]))
    dtypes = draw(st.lists(st.sampled_from(["float64", "float32"]), min_size=1, max_size=2))
    rng = np.random.default_rng(seed)
    orders, estimators = [], []
    for _ in range(n_chains):
        orders.append(rng.permutation(n_labels))
        chain = []
        for k in range(n_labels):  # the k-th reads the features and k earlier labels
            spec = ModelSpec(n_x + k, (int(rng.integers(1, 4)),), 1, "binary", "tanh")
            dtype = dtypes[int(rng.integers(len(dtypes)))]
            net = Network(spec, dtype=dtype)
            net.set_params(rng.normal(scale=weight_scale, size=spec.n_params))
            sub = NeuralNetClassifier(spec.hidden, activation="tanh", dtype=dtype)
            chain.append(
                sub.set_fitted(
                    net, classes=np.arange(2), n_features_in=spec.n_x, history=[], n_iter=0
                )
            )
        estimators.append(chain)
    threshold = rng.uniform(0.1, 0.9, n_labels)
    est = ClassifierChainEnsemble(chain_method=chain_method, threshold=threshold)
    est.set_fitted(estimators, orders=orders, n_features_in=n_x)
    return est, rng, "float32" in dtypes


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chains(), st.integers(1, 9))
def test_random_chains_agree(drawn, m):
    est, rng, has_float32 = drawn
    n_x = est.n_features_in_
    X = rng.normal(scale=3.0, size=(m, n_x))
    pre = {"mean": rng.normal(size=n_x), "scale": rng.uniform(0.5, 2.0, n_x)}
    proba, label = run_onnx(to_onnx(est, preprocessing=pre), X)
    Xs = (X - pre["mean"]) / pre["scale"]
    np.testing.assert_allclose(proba, est.predict_proba(Xs), rtol=0, atol=TOL)
    if not has_float32:  # float32: a 1-ulp difference may flip a label at a tie
        assert label.tolist() == est.predict(Xs).tolist()


@st.composite
def networks(draw):
    """A random small network with random (large as well as small) parameters."""
    head = draw(st.sampled_from(["binary", "softmax", "multilabel"]))
    n_x = draw(st.integers(1, 6))
    hidden = tuple(draw(st.lists(st.integers(1, 6), max_size=3)))
    n_out = 1 if head == "binary" else draw(st.integers(2, 5))
    activation = draw(st.sampled_from(HIDDEN_ACTIVATIONS))
    dtype = draw(st.sampled_from(["float64", "float32"]))
    seed = draw(st.integers(0, 2**32 - 1))
    weight_scale = draw(st.sampled_from([0.1, 1.0, 10.0]))
    return ModelSpec(n_x, hidden, n_out, head, activation), dtype, seed, weight_scale


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(), st.integers(1, 9))
def test_random_networks_agree(drawn, m):
    spec, dtype, seed, weight_scale = drawn
    rng = np.random.default_rng(seed)
    net = Network(spec, dtype=dtype)
    net.set_params(rng.normal(scale=weight_scale, size=spec.n_params))
    n_classes = 2 if spec.head == "binary" else spec.n_out
    est = NeuralNetClassifier(
        spec.hidden,
        activation=spec.activation,
        dtype=dtype,
        threshold=rng.uniform(0.1, 0.9, spec.n_out) if spec.head == "multilabel" else 0.5,
    ).set_fitted(net, classes=np.arange(n_classes), n_features_in=spec.n_x, history=[], n_iter=0)
    X = rng.normal(scale=3.0, size=(m, spec.n_x))
    pre = {"mean": rng.normal(size=spec.n_x), "scale": rng.uniform(0.5, 2.0, spec.n_x)}
    proba, label = run_onnx(to_onnx(est, preprocessing=pre), X)
    Xs = (X - pre["mean"]) / pre["scale"]
    np.testing.assert_allclose(proba, est.predict_proba(Xs), rtol=0, atol=TOL)
    if dtype == "float64":  # float32: a 1-ulp difference may flip a label at a tie
        assert label.tolist() == est.predict(Xs).tolist()


def test_path_is_written_atomically_and_loads(tmp_path, data):
    X, pre, Xs, y2, *_ = data
    est = LogisticRegression().fit(Xs, y2)
    path = tmp_path / "model.onnx"
    model = to_onnx(est, path, preprocessing=pre)
    assert onnx.load(path) == model
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]  # no temporary left


def test_bad_input_is_refused_clearly(tmp_path, data, monkeypatch):
    _, _, Xs, y2, *_ = data
    with pytest.raises(NotFittedError):
        to_onnx(LogisticRegression())
    with pytest.raises(ExportError, match="cannot export a LogisticRegression"):
        to_onnx(SkLogisticRegression().fit(Xs, y2))
    Y = np.column_stack([y2 == "spam", Xs[:, 2] > 0]).astype(int)
    foreign = ClassifierChainEnsemble(SkLogisticRegression(), n_chains=1).fit(Xs, Y)
    with pytest.raises(ExportError, match="cannot export a LogisticRegression"):
        to_onnx(foreign)  # chains of another library's classifiers
    with pytest.raises(NotFittedError):
        to_onnx(ClassifierChainEnsemble())
    est = LogisticRegression().fit(Xs, y2)
    with pytest.raises(ExportError, match="is a directory"):
        to_onnx(est, tmp_path)
    with pytest.raises(ExportError, match="does not exist"):
        to_onnx(est, tmp_path / "missing" / "model.onnx")
    with pytest.raises(ExportError, match="mean has shape"):
        to_onnx(est, preprocessing={"mean": np.zeros(3), "scale": np.ones(3)})
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if not installed
    with pytest.raises(ImportError, match="pip install onnx onnxruntime"):
        GraphBuilder()


# ------------------------------------------------------------------ the command
def _table(path, X, columns):
    lines = [",".join(columns)] + [",".join(str(v) for v in row) for row in X]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tables")
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 3)) * [2.0, 1.0, 5.0] + [1.0, -3.0, 10.0]
    kind = np.array(["red", "green", "blue"])[np.digitize(X[:, 0] - X[:, 1] / 2, [1.5, 3.5])]
    _table(tmp / "colors.csv", np.column_stack([X, kind]), ["a", "b", "c", "kind"])
    Y = np.column_stack([X[:, 0] > 1, X[:, 2] > 10]).astype(int)
    _table(tmp / "tags.csv", np.column_stack([X, Y]), ["a", "b", "c", "wet", "cold"])
    return tmp, X


def _export(run_dir, out):
    r = run("export", run_dir, "--onnx", out)
    assert r.exit_code == 0, r.output + r.stderr
    figure = float(re.search(r"agrees with logitlab to (\S+) on", r.output).group(1))
    assert figure <= TOL, r.output
    return onnx.load(out)


@pytest.mark.parametrize(
    "model_options",
    [["mlp", "--hidden", "8", "--solver", "lbfgs", "--epochs", "30"], ["one-vs-all"]],
    ids=["mlp", "one-vs-all"],
)
def test_export_of_a_run_agrees_with_predict(tmp_path, tables, model_options):
    folder, X = tables
    out = tmp_path / "run"
    r = run(
        "train", "--data", folder / "colors.csv", "--labels", "kind", "--model",
        *model_options, "--out", out,
    )  # fmt: skip
    assert r.exit_code == 0, r.output + r.stderr
    model = _export(out, tmp_path / "colors.onnx")
    proba, label = run_onnx(model, X)
    r = run("predict", out, folder / "colors.csv", "--json")
    assert r.exit_code == 0, r.stderr
    predicted = [json.loads(line) for line in r.output.splitlines()]
    assert label.tolist() == [p["label"] for p in predicted]
    names = json.loads({p.key: p.value for p in model.metadata_props}["class_names"])
    ours = [proba[i, names.index(p["label"])] for i, p in enumerate(predicted)]
    np.testing.assert_allclose(ours, [p["probability"] for p in predicted], rtol=0, atol=TOL)


@pytest.mark.parametrize(
    "model_options",
    [
        ["multilabel"],
        ["multilabel", "--threshold", "cv"],
        ["chains", "--chains", "3"],
        "chains --chains 2 --chain-base mlp --hidden 4 --solver lbfgs --epochs 20 "
        "--threshold cv".split(),
    ],
    ids=["multilabel", "multilabel-cv-threshold", "chains", "chains-of-mlps-cv-threshold"],
)
def test_export_of_a_multilabel_run_agrees_with_predict(tmp_path, tables, model_options):
    folder, X = tables
    out = tmp_path / "run"
    r = run(
        "train", "--data", folder / "tags.csv", "--labels", "last:2", "--model",
        *model_options, "--out", out,
    )  # fmt: skip
    assert r.exit_code == 0, r.output + r.stderr
    proba, label = run_onnx(_export(out, tmp_path / "tags.onnx"), X)
    r = run("predict", out, folder / "tags.csv", "--json")
    predicted = [json.loads(line) for line in r.output.splitlines()]
    np.testing.assert_allclose(proba, [p["probabilities"] for p in predicted], rtol=0, atol=TOL)
    names = np.array(["wet", "cold"])
    assert [names[row == 1].tolist() for row in label] == [p["labels"] for p in predicted]


def test_export_of_an_image_run_takes_unrolled_pixels(tmp_path):
    """Images: the graph starts after the pixels are resized, unrolled and divided by
    255, as logitlab's image reader gives them."""
    rng = np.random.default_rng(2)
    files = []
    for name, colour in (("warm", (200, 80, 40)), ("cold", (40, 80, 200))):
        (tmp_path / "photos" / name).mkdir(parents=True)
        for i in range(6):
            pixels = np.clip(np.array(colour) + rng.integers(-50, 50, (12, 12, 3)), 0, 255)
            path = tmp_path / "photos" / name / f"{i}.png"
            Image.fromarray(pixels.astype(np.uint8)).save(path)
            files.append(str(path))
    out = tmp_path / "run"
    r = run(
        "train", "--data", tmp_path / "photos", "--size", "6", "--model", "mlp", "--hidden",
        "4", "--solver", "lbfgs", "--epochs", "20", "--test-size", "0.25", "--out", out,
    )  # fmt: skip
    assert r.exit_code == 0, r.output + r.stderr
    model = _export(out, tmp_path / "photos.onnx")
    assert json.loads({p.key: p.value for p in model.metadata_props}["image_shape"]) == [6, 6, 3]
    proba, label = run_onnx(model, ImageFiles(files, size=6)[np.arange(len(files))])
    r = run("predict", out, *files, "--json")
    predicted = [json.loads(line) for line in r.output.splitlines()]
    assert label.tolist() == [p["label"] for p in predicted]
    top = [proba[i, ["cold", "warm"].index(p["label"])] for i, p in enumerate(predicted)]
    np.testing.assert_allclose(top, [p["probability"] for p in predicted], rtol=0, atol=TOL)


def test_export_errors_are_one_line(tmp_path, tables, monkeypatch):
    folder, _ = tables
    out = tmp_path / "run"
    r = run("train", "--data", folder / "colors.csv", "--labels", "kind", "--out", out)
    assert r.exit_code == 0, r.output + r.stderr
    one_line_error(run("export", tmp_path / "nowhere", "--onnx", tmp_path / "m.onnx"), "nowhere")
    (tmp_path / "empty").mkdir()
    one_line_error(
        run("export", tmp_path / "empty", "--onnx", tmp_path / "m.onnx"),
        "not a run folder",
        "model.safetensors",
    )
    one_line_error(run("export", out, "--onnx", tmp_path), "is a directory")
    one_line_error(run("export", out, "--onnx", tmp_path / "no" / "m.onnx"), "does not exist")
    (out / "model.safetensors").write_bytes(b"garbage")
    one_line_error(run("export", out, "--onnx", tmp_path / "m.onnx"), "model.safetensors")
    monkeypatch.setitem(sys.modules, "onnx", None)
    one_line_error(run("export", out, "--onnx", tmp_path / "m.onnx"), "pip install onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_readme_serving_snippet_runs_without_logitlab(tmp_path, tables, monkeypatch):
    """The README's onnxruntime example, run as written on an exported run, gives the
    probabilities `logitlab predict` gives."""
    text = README.read_text(encoding="utf-8")
    (snippet,) = [b for b in re.findall(r"```py\n(.*?)```", text, re.S) if "onnxruntime" in b]
    assert "logitlab" not in snippet
    folder, X = tables
    out = tmp_path / "run"
    r = run("train", "--data", folder / "colors.csv", "--labels", "kind", "--out", out)
    assert r.exit_code == 0, r.output + r.stderr
    _export(out, tmp_path / "model.onnx")
    _table(tmp_path / "new_rows.csv", X[:5], ["a", "b", "c"])
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(snippet, f"{README}:onnx", "exec"), namespace)
    r = run("predict", out, folder / "colors.csv", "--json")
    predicted = [json.loads(line) for line in r.output.splitlines()[:5]]
    assert namespace["label"].tolist() == [p["label"] for p in predicted]


@pytest.mark.parametrize(
    "model_options",
    [
        "mlp --hidden 64 --solver adam --batch-size 64 --epochs 5 --no-early-stopping".split(),
        ["chains", "--chains", "2"],
    ],
    ids=["mlp", "chains"],
)
def test_export_of_a_yeast_run_agrees_with_predict_on_its_test_rows(
    shared_data, tmp_path, model_options
):
    """Real data: a short run of the README's yeast network, or two chains of logistic
    regressions (103 features, 14 labels), exported and run by onnxruntime on MULAN's
    917 test rows, against logitlab predict."""
    folder = shared_data / "yeast"
    if not (folder / "yeast-test.csv").is_file():
        pytest.skip(f"the yeast data set is not at {folder}")
    out = tmp_path / "run"
    r = run(
        "train", "--data", folder / "yeast-train.csv", "--test", folder / "yeast-test.csv",
        "--labels", "last:14", "--model", *model_options, "--out", out,
    )  # fmt: skip
    assert r.exit_code == 0, r.output + r.stderr
    model = _export(out, tmp_path / "yeast.onnx")
    X = np.loadtxt(folder / "yeast-test.csv", delimiter=",", skiprows=1)[:, :-14]
    proba, label = run_onnx(model, X)
    r = run("predict", out, folder / "yeast-test.csv", "--json")
    predicted = [json.loads(line) for line in r.output.splitlines()]
    assert len(predicted) == len(X) == 917
    np.testing.assert_allclose(proba, [p["probabilities"] for p in predicted], rtol=0, atol=TOL)
    names = np.array(json.loads({p.key: p.value for p in model.metadata_props}["class_names"]))
    assert [names[row == 1].tolist() for row in label] == [p["labels"] for p in predicted]
