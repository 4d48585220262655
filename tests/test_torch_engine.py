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
    Xm, Ym = make_multilabel_classification(
        n_samples=300, n_features=20, n_classes=4, random_state=0
    )
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


@pytest.mark.parametrize("task, cls, kw", CASES, ids=[f"{c.__name__}-{t}" for t, c, _ in CASES])
def test_full_batch_gd_matches_numpy_engine(data, task, cls, kw):
    X, y = data[task]
    a, b = _pair(
        cls, solver="gd", learning_rate=0.5, max_iter=40, tol=0, alpha=0.1, random_state=0, **kw
    )
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
    a, b = _pair(
        NeuralNetClassifier,
        hidden_layer_sizes=(10,),
        solver=solver,
        learning_rate=0.01 if solver == "adam" else 0.1,
        batch_size=32,
        max_iter=8,
        tol=0,
        alpha=0.01,
        random_state=3,
    )
    a.fit(X, y)
    b.fit(X, y)
    np.testing.assert_allclose(b.history_, a.history_, rtol=1e-6)
    np.testing.assert_allclose(b.network_.theta, a.network_.theta, rtol=1e-6, atol=1e-9)


def test_early_stopping_and_tol_match(data):
    X, y = data["softmax"]
    a, b = _pair(
        NeuralNetClassifier,
        solver="adam",
        batch_size=50,
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=200,
        random_state=1,
    )
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
    f32 = NeuralNetClassifier(
        engine="torch", device="cpu", dtype="float32", max_iter=30, tol=0, random_state=0
    ).fit(X, y)
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
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "pip install 'logitlab[torch]'" in out
    assert out.strip().endswith("[1]")  # the NumPy engine still works


@CUDA
def test_cuda_matches_cpu(data):
    X, y = data["softmax"]
    kw = dict(
        hidden_layer_sizes=(10,),
        solver="adam",
        batch_size=32,
        max_iter=5,
        tol=0,
        random_state=0,
        engine="torch",
    )
    gpu = NeuralNetClassifier(device="cuda", **kw).fit(X, y)
    cpu = NeuralNetClassifier(device="cpu", **kw).fit(X, y)
    np.testing.assert_allclose(gpu.network_.theta, cpu.network_.theta, rtol=1e-6, atol=1e-9)
    auto = NeuralNetClassifier(device="auto", **kw)
    auto.fit(X, y)


# ----------------------------------------------------------------- streamed datasets
def _color_folder(root, n=6):
    from PIL import Image

    colors = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (20, 40, 210)}
    rng = np.random.default_rng(0)
    for name, rgb in colors.items():
        (root / name).mkdir()
        for i in range(n):
            noise = rng.integers(-20, 20, (10, 10, 3))
            px = np.clip(np.array(rgb) + noise, 0, 255).astype(np.uint8)
            Image.fromarray(px).save(root / name / f"{i}.png")
    return root


def test_fit_dataset_from_an_image_folder(tmp_path):
    from logitlab.data import load_image_folder
    from logitlab.torch_engine.data import ImageFolderDataset

    root = _color_folder(tmp_path)
    ds = ImageFolderDataset(root, size=8)
    clf = NeuralNetClassifier(
        hidden_layer_sizes=(8,),
        solver="adam",
        learning_rate=0.05,
        batch_size=4,
        max_iter=25,
        tol=0,
        random_state=0,
        engine="torch",
        device="cpu",
    ).fit_dataset(ds)
    assert list(clf.classes_) == ["blue", "green", "red"]
    assert clf.n_features_in_ == 8 * 8 * 3 and len(clf.history_) == 25
    assert clf.history_[-1] < 0.5 * clf.history_[0]
    X, y, names = load_image_folder(root, size=8)
    np.testing.assert_array_equal(clf.predict(X), np.asarray(names)[y])


def test_fit_dataset_from_hdf5_with_workers(tmp_path):
    import h5py

    from logitlab.torch_engine.data import HDF5Dataset

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 64)
    x = rng.integers(0, 120, (64, 6, 6, 3)) + 100 * y[:, None, None, None]
    path = tmp_path / "train_catvnoncat.h5"
    with h5py.File(path, "w") as f:
        f["train_set_x"] = x.astype(np.uint8)
        f["train_set_y"] = y
        f["list_classes"] = [b"non-cat", b"cat"]
    ds = HDF5Dataset(path, "train_set_x", "train_set_y")
    clf = LogisticRegression(
        solver="sgd",
        learning_rate=0.5,
        batch_size=16,
        max_iter=15,
        tol=0,
        engine="torch",
        device="cpu",
    ).fit_dataset(ds, num_workers=2)
    assert clf.network_.spec.head == "binary" and list(clf.classes_) == [0, 1]
    assert clf.history_[-1] < clf.history_[0]
    X = x.reshape(64, -1) / 255.0
    assert clf.score(X, y) > 0.9


def test_fit_dataset_errors():
    from logitlab.torch_engine.data import ArrayDataset

    ds = ArrayDataset(np.zeros((4, 2)), np.array([0, 1, 0, 1]))
    with pytest.raises(ValueError, match="engine='torch'"):
        NeuralNetClassifier(engine="numpy", batch_size=2).fit_dataset(ds)
    with pytest.raises(ValueError, match="set batch_size"):
        NeuralNetClassifier(engine="torch", batch_size=None).fit_dataset(ds)
    with pytest.raises(ValueError, match="labels in memory"):
        NeuralNetClassifier(engine="torch", batch_size=2).fit_dataset(
            ArrayDataset(np.zeros((4, 2)))
        )
    with pytest.raises(ValueError, match="lbfgs"):
        NeuralNetClassifier(engine="torch", batch_size=2, solver="lbfgs").fit_dataset(ds)


@pytest.mark.parametrize("head", ["binary", "multilabel"])
def test_pos_weight_cost_and_gradient_equal_bce_with_logits_loss(head):
    """The NumPy engine's positive weights mean what torch's pos_weight means."""
    from logitlab import functional as F
    from logitlab.numpy_engine import Network
    from logitlab.spec import ModelSpec

    rng = np.random.default_rng(5)
    n_out, m = (1, 7) if head == "binary" else (4, 7)
    Z = rng.standard_normal((n_out, m)) * 3
    Y = rng.integers(0, 2, (n_out, m)).astype(float)
    p = rng.uniform(0.2, 5.0, n_out)
    bce = torch.nn.BCEWithLogitsLoss(pos_weight=torch.as_tensor(p), reduction="sum")
    expected = float(bce(torch.as_tensor(Z.T), torch.as_tensor(Y.T))) / m  # summed over labels
    assert F.binary_cross_entropy_with_logits(Z, Y, pos_weight=p[:, None]) == pytest.approx(
        expected, rel=1e-12
    )
    net = Network(ModelSpec(n_x=n_out, n_out=n_out, head=head))
    net.W[0][:] = np.eye(n_out)  # Z = X: the network's cost is the same loss
    assert net.cost(Z, Y, pos_weight=p[:, None]) == pytest.approx(expected, rel=1e-12)
    Zt = torch.as_tensor(Z.T).requires_grad_()
    bce(Zt, torch.as_tensor(Y.T)).backward()
    dZ = F.binary_cross_entropy_with_logits_backward(F.sigmoid(Z), Y, p[:, None])
    np.testing.assert_allclose(dZ, Zt.grad.numpy().T, rtol=1e-12, atol=1e-14)
