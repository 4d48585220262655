"""The torch engine agrees with the NumPy engine, and behaves like it."""

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch engine needs PyTorch (logitlab[torch])")

from sklearn.datasets import load_digits, make_multilabel_classification  # noqa: E402

from logitlab import (  # noqa: E402
    LogisticRegression,
    MultiLabelClassifier,
    NeuralNetClassifier,
    SoftmaxRegression,
)

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16.0
    y = y[:300]
    Xm, Ym = make_multilabel_classification(n_samples=300, n_features=20, n_classes=4,
                                            random_state=0)
    return {
        "binary": (X, (y >= 5).astype(int)),
        "softmax": (X, y),
        "multilabel": ((Xm - Xm.mean(0)) / Xm.std(0), Ym),
    }


def _pair(cls, **kw):
    return cls(engine="numpy", **kw), cls(engine="torch", device="cpu", **kw)


CASES = [
    ("binary", LogisticRegression, {}),
    ("softmax", SoftmaxRegression, {}),
    ("multilabel", MultiLabelClassifier, {}),
    ("binary", NeuralNetClassifier, {"hidden_layer_sizes": (12, 7)}),
    ("softmax", NeuralNetClassifier, {"hidden_layer_sizes": (12, 7), "activation": "tanh"}),
    ("multilabel", NeuralNetClassifier, {"hidden_layer_sizes": (12, 7)}),
]


@pytest.mark.parametrize("task, cls, kw", CASES,
                         ids=[f"{c.__name__}-{t}" for t, c, _ in CASES])
def test_full_batch_gd_matches_numpy_engine(data, task, cls, kw):
    X, y = data[task]
    a, b = _pair(cls, solver="gd", learning_rate=0.5, max_iter=40, tol=0, alpha=0.1,
                 random_state=0, **kw)
    a.fit(X, y)
    b.fit(X, y)
    np.testing.assert_allclose(b.history_, a.history_, rtol=1e-8)
    np.testing.assert_allclose(b.network_.theta, a.network_.theta, rtol=1e-8, atol=1e-12)
    assert a.history_[-1] < a.history_[0]
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


@pytest.mark.parametrize("solver", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("task", ["softmax", "multilabel"])
def test_minibatch_solvers_match_numpy_engine(data, task, solver):
    X, y = data[task]
    a, b = _pair(NeuralNetClassifier, hidden_layer_sizes=(10,), solver=solver,
                 learning_rate=0.01 if solver == "adam" else 0.1, batch_size=32,
                 max_iter=8, tol=0, alpha=0.01, random_state=3)
    a.fit(X, y)
    b.fit(X, y)
    np.testing.assert_allclose(b.history_, a.history_, rtol=1e-6)
    np.testing.assert_allclose(b.network_.theta, a.network_.theta, rtol=1e-6, atol=1e-9)


def test_early_stopping_and_tol_match(data):
    X, y = data["softmax"]
    a, b = _pair(NeuralNetClassifier, solver="adam", batch_size=50, early_stopping=True,
                 n_iter_no_change=3, max_iter=200, random_state=1)
    a.fit(X, y)
    b.fit(X, y)
    assert a.n_iter_ == b.n_iter_ < 200
    np.testing.assert_allclose(b.validation_history_, a.validation_history_, rtol=1e-6)
    np.testing.assert_allclose(b.network_.theta, a.network_.theta, rtol=1e-6, atol=1e-9)


def test_lbfgs_and_float32_on_torch(data):
    X, y = data["softmax"]
    # torch.optim.LBFGS and SciPy's L-BFGS-B take different steps; both reach the optimum
    clf = SoftmaxRegression(engine="torch", device="cpu", tol=1e-7, max_iter=2000).fit(X, y)
    ref = SoftmaxRegression(tol=1e-7, max_iter=2000).fit(X, y)
    assert clf.history_[0] == pytest.approx(np.log(10))
    assert clf.n_iter_ < 2000
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-4)
    f32 = NeuralNetClassifier(engine="torch", device="cpu", dtype="float32", max_iter=30,
                              tol=0, random_state=0).fit(X, y)
    assert f32.network_.theta.dtype == np.float32 and f32.score(X, y) > 0.8


def test_torch_fitted_model_predicts_with_numpy(data):
    X, y = data["softmax"]
    clf = NeuralNetClassifier(engine="torch", device="cpu", max_iter=5, tol=0).fit(X, y)
    assert isinstance(clf.network_.theta, np.ndarray)
    assert isinstance(clf.predict_proba(X), np.ndarray)


def test_bad_device_is_refused(data):
    X, y = data["binary"]
    with pytest.raises(ValueError, match="device"):
        LogisticRegression(engine="torch", device="tpu").fit(X, y)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            LogisticRegression(engine="torch", device="cuda").fit(X, y)


def test_engine_torch_without_torch_says_how_to_install():
    code = (
        "import sys\n"
        "class NoTorch:\n"  # as if torch were not installed
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ImportError(\"No module named 'torch'\")\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "from logitlab import LogisticRegression\n"
        "try:\n"
        "    LogisticRegression(engine='torch').fit([[0.], [1.]], [0, 1])\n"
        "except ImportError as e:\n"
        "    print(e)\n"
        "print(LogisticRegression().fit([[0.], [1.]], [0, 1]).predict([[1.]]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "pip install 'logitlab[torch]'" in out
    assert out.strip().endswith("[1]")  # the NumPy engine still works


@CUDA
def test_cuda_matches_cpu(data):
    X, y = data["softmax"]
    kw = dict(hidden_layer_sizes=(10,), solver="adam", batch_size=32, max_iter=5, tol=0,
              random_state=0, engine="torch")
    gpu = NeuralNetClassifier(device="cuda", **kw).fit(X, y)
    cpu = NeuralNetClassifier(device="cpu", **kw).fit(X, y)
    np.testing.assert_allclose(gpu.network_.theta, cpu.network_.theta, rtol=1e-6, atol=1e-9)
    auto = NeuralNetClassifier(device="auto", **kw)
    auto.fit(X, y)
