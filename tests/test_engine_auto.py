"""engine="auto": which engine trains, and that the choice never changes a result."""

import json

import numpy as np
import pytest
from sklearn.datasets import load_digits

import logitlab.estimators as est_mod
from logitlab import LogisticRegression, NeuralNetClassifier
from logitlab.estimators import TORCH_CPU_CROSSOVER, TORCH_CPU_MIN_WEIGHTS, choose_engine

torch = pytest.importorskip("torch", reason="engine='auto' picks between NumPy and torch")


def test_explicit_engines_are_kept():
    for engine in ("numpy", "torch"):
        assert choose_engine(engine, "cpu", 10**6, (10**6, 10**3, 2)) == engine


def test_cpu_choice_follows_the_width_and_the_work_per_update():
    layers = (20_000, 100, 10)
    weights = 20_000 * 100 + 100 * 10
    assert weights >= TORCH_CPU_MIN_WEIGHTS
    below = int(TORCH_CPU_CROSSOVER // weights) - 1
    above = below + 2
    assert choose_engine("auto", "cpu", below, layers) == "numpy"
    assert choose_engine("auto", "cpu", above, layers) == "torch"
    # a mini-batch is one update's work, whatever m is
    assert choose_engine("auto", "cpu", 10**7, layers, batch_size=below) == "numpy"
    assert choose_engine("auto", "cpu", 10**7, layers, batch_size=above) == "torch"
    # SciPy's L-BFGS stays on the CPU's NumPy engine
    assert choose_engine("auto", "cpu", above, layers, solver="lbfgs") == "numpy"
    # a narrow network stays on NumPy, however large its updates
    narrow = (1000, 100, 10)
    assert choose_engine("auto", "cpu", 10**9, narrow) == "numpy"


def test_cuda_and_torchrun_choose_torch(monkeypatch):
    small = (4, 2)
    assert choose_engine("auto", "cuda", 10, small) == "torch"
    assert choose_engine("auto", "cuda:1", 10, small, solver="lbfgs") == "torch"
    monkeypatch.setattr(est_mod, "_cuda_present", lambda: True)
    assert choose_engine("auto", "auto", 10, small) == "torch"
    assert choose_engine("auto", "cpu", 10, small) == "numpy"  # the device asked for
    monkeypatch.setattr(est_mod, "_cuda_present", lambda: False)
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert choose_engine("auto", "auto", 10, small) == "torch"


def test_without_torch_auto_is_numpy(monkeypatch):
    monkeypatch.setattr(est_mod, "_torch_installed", lambda: False)
    assert choose_engine("auto", "cuda", 10**5, (10**4, 10**3, 2)) == "numpy"


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16.0, y[:400]


def test_auto_on_a_small_problem_is_the_numpy_engine_exactly(digits):
    X, y = digits
    kw = dict(hidden_layer_sizes=(16,), max_iter=15, tol=0, random_state=0, batch_size=64)
    # device="cpu": with device="auto", a CUDA machine trains on torch (the next tests)
    auto = NeuralNetClassifier(device="cpu", **kw).fit(X, y)
    numpy = NeuralNetClassifier(engine="numpy", **kw).fit(X, y)
    assert auto.engine == "auto" and auto.engine_ == numpy.engine_ == "numpy"
    np.testing.assert_array_equal(auto.network_.theta, numpy.network_.theta)


def test_auto_above_the_crossover_trains_on_torch_with_the_same_result(digits, monkeypatch):
    X, y = digits
    kw = dict(hidden_layer_sizes=(16,), max_iter=15, tol=0, random_state=0, batch_size=64)
    numpy = NeuralNetClassifier(engine="numpy", **kw).fit(X, y)
    monkeypatch.setattr(est_mod, "TORCH_CPU_CROSSOVER", 1.0)
    monkeypatch.setattr(est_mod, "TORCH_CPU_MIN_WEIGHTS", 1)
    auto = NeuralNetClassifier(device="cpu", **kw).fit(X, y)
    assert auto.engine_ == "torch"
    np.testing.assert_allclose(auto.predict_proba(X), numpy.predict_proba(X), atol=1e-6)
    np.testing.assert_allclose(auto.history_, numpy.history_, rtol=1e-6)
    # partial_fit goes on with the engine it started on
    first = NeuralNetClassifier(device="cpu", **kw).partial_fit(X, y, classes=np.unique(y))
    monkeypatch.setattr(est_mod, "TORCH_CPU_CROSSOVER", np.inf)
    assert first.partial_fit(X, y).engine_ == "torch"


def test_linear_models_default_to_auto(digits):
    X, y = digits
    clf = LogisticRegression(device="cpu").fit(X, y == 3)
    assert clf.engine == "auto" and clf.engine_ == "numpy"


def test_fit_dataset_with_auto_streams_through_torch():
    from logitlab.torch_engine.data import ArrayDataset

    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    ds = ArrayDataset(X, (X[:, 0] > 0).astype(int))
    clf = NeuralNetClassifier((4,), batch_size=8, max_iter=3, tol=0, device="cpu")
    assert clf.fit_dataset(ds).engine_ == "torch"


def test_the_run_shows_and_records_its_engine(tmp_path):
    from logitlab.run import Progress, RunSettings, train_run

    lines = []

    class Record(Progress):
        def info(self, text):
            lines.append(text)

    settings = RunSettings(data="iris", model="mlp", epochs=5, device="cpu")
    train_run(settings, tmp_path / "run", Record())
    assert any("engine numpy (auto)" in line for line in lines)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["engine"] == "numpy"
    assert "Engine" in (tmp_path / "run" / "report.html").read_text()
