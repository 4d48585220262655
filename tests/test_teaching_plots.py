"""Teaching figures: each PNG is real and not blank, and the numbers drawn say what the
notes say (σ saturating at ±4.6, squared error non-convex vs cross-entropy convex,
curved network boundaries, larger stable learning rates converging faster)."""

import math
import os
import warnings

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import make_multilabel_classification
from sklearn.preprocessing import StandardScaler

from logitlab.data import load_source, split
from logitlab.report.teaching import (
    DPI,
    FIGSIZES,
    plot_activations,
    plot_boundaries,
    plot_learning_rates,
    plot_loss_landscape,
)

MIN_PIXEL_STD = 10.0  # a blank (uniform) image has 0; these figures measure 38-75
MIN_COLOURS = 5  # colours each covering >= 0.1% of the pixels; a blank image has 1


# ----------------------------------------------------------------------- helpers
def pixel_size(name):
    width, height = FIGSIZES[name]
    return round(width * DPI), round(height * DPI)


def assert_png(path, name):
    """A real PNG of the figure's pixel size, with ink in several colours."""
    assert path.is_file(), f"{path} was not written"
    with Image.open(path) as im:
        assert im.format == "PNG"
        assert im.size == pixel_size(name)
        pixels = np.asarray(im.convert("RGB"))
    assert pixels.std() > MIN_PIXEL_STD, f"{path} looks blank (std {pixels.std():.2f})"
    # one integer per RGB colour: np.unique over rows of a million pixels is slow
    packed = pixels.astype(np.int32) @ np.array([1 << 16, 1 << 8, 1], dtype=np.int32)
    counts = np.bincount(packed.ravel())
    n_colours = int((counts >= 0.001 * counts.sum()).sum())
    assert n_colours >= MIN_COLOURS, f"{path} has only {n_colours} distinct colours"
    left = [f for f in os.listdir(path.parent) if ".tmp" in f]
    assert not left, f"temporary files left behind: {left}"


def strict(fn, *args, **kwargs):
    """Call with every warning an error: missing glyphs, contour and fit warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def cancer():
    """Breast cancer, standardised with the training split's statistics."""
    train, test = split(load_source("breast_cancer"), test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(train.X)
    return scaler.transform(train.X), train.y, scaler.transform(test.X), test.y


@pytest.fixture(scope="module")
def moons():
    train, test = split(load_source("moons"), test_size=0.25, random_state=0)
    return train.X, train.y, test.X, test.y


def test_pixel_sizes_follow_the_figure_sizes():
    assert pixel_size("activations") == (1200, 900)
    assert pixel_size("loss_landscape") == (1200, 900)
    assert pixel_size("boundaries") == (1200, 450)
    assert pixel_size("learning_rates") == (600, 450)


# -------------------------------------------------------------------- activations
def test_activations_saturation_and_softmax(tmp_path):
    path, info = strict(plot_activations, tmp_path / "sub" / "activations.png")
    assert path == tmp_path / "sub" / "activations.png"
    assert_png(path, "activations")
    # the notes: σ(+4.6) ≈ 1 (0.99), σ(−4.6) ≈ 0 (0.01), and a(1 − a) ≈ 0.01 there
    assert info["sigmoid"][4.6] == pytest.approx(0.990, abs=5e-4)
    assert info["sigmoid"][-4.6] == pytest.approx(0.010, abs=5e-4)
    for z in (4.6, -4.6):
        assert info["sigmoid_slope"][z] == pytest.approx(0.01, abs=5e-4)
    # the notes' softmax example and its hard max
    assert info["z"] == [5, 2, -1, 3]
    np.testing.assert_allclose(info["softmax"], [0.842, 0.042, 0.002, 0.114], atol=5e-4)
    assert info["hardmax"] == [1, 0, 0, 0]
    assert sum(info["softmax"]) == pytest.approx(1.0)


def test_activations_other_z_and_bad_z(tmp_path):
    _, info = plot_activations(tmp_path / "a.png", z=[0.0, 0.0, 1.0])
    assert info["hardmax"] == [0, 0, 1]
    assert info["softmax"][0] == pytest.approx(info["softmax"][1])
    for bad in ([], [[1.0, 2.0]], [1.0, float("nan")]):
        with pytest.raises(ValueError, match="z must be a non-empty 1-D"):
            plot_activations(tmp_path / "b.png", z=bad)
    assert not (tmp_path / "b.png").exists()


# ----------------------------------------------------------------- loss landscape
@pytest.mark.parametrize("source", ["breast_cancer", "moons"])
def test_loss_landscape_squared_error_nonconvex_cross_entropy_convex(
    tmp_path, source, cancer, moons
):
    X = np.vstack([cancer[0], cancer[2]]) if source == "breast_cancer" else moons[0]
    y = np.concatenate([cancer[1], cancer[3]]) if source == "breast_cancer" else moons[1]
    path, info = strict(plot_loss_landscape, tmp_path / "landscape.png", X, y)
    assert_png(path, "loss_landscape")
    t, se, ce = info["t"], info["squared_error"], info["cross_entropy"]
    assert t[0] == -3 and t[-1] == 3 and se.shape == ce.shape == t.shape
    # at θ = 0 every ŷ is 0.5: J_se = ½·0.25, J_ce = ln 2
    zero = np.flatnonzero(np.isclose(t, 0))[0]
    assert se[zero] == pytest.approx(0.125)
    assert ce[zero] == pytest.approx(math.log(2))
    # squared error bends down somewhere (the plateaus); cross-entropy never does
    d2_se, d2_ce = np.diff(se, 2), np.diff(ce, 2)
    assert d2_se.min() < -1e-4
    assert d2_ce.min() >= -1e-9
    assert info["min_second_difference"] == {
        "squared_error": d2_se.min(),
        "cross_entropy": d2_ce.min(),
    }
    # θ* is far better than θ = 0 under both losses
    one = np.flatnonzero(np.isclose(t, 1))[0]
    assert ce[one] < ce[zero] and se[one] < se[zero]
    assert info["theta"].shape == (X.shape[1] + 1,)
    assert info["train_accuracy"] > 0.85


def test_loss_landscape_rejects_non_binary_y(tmp_path):
    X = np.random.default_rng(0).normal(size=(30, 2))
    with pytest.raises(ValueError, match="binary y .*3 classes"):
        plot_loss_landscape(tmp_path / "l.png", X, np.arange(30) % 3)
    with pytest.raises(ValueError, match="binary y .*1 classes"):
        plot_loss_landscape(tmp_path / "l.png", X, np.zeros(30))
    with pytest.raises(ValueError, match="binary y of shape"):
        plot_loss_landscape(tmp_path / "l.png", X, np.ones((30, 2)))
    with pytest.raises(ValueError, match="30 examples but y has 29"):
        plot_loss_landscape(tmp_path / "l.png", X, np.arange(29) % 2)
    assert not (tmp_path / "l.png").exists()


# --------------------------------------------------------------------- boundaries
def test_boundaries_network_beats_linear_on_moons(tmp_path, moons):
    X, y, X_test, y_test = moons
    path, info = strict(
        plot_boundaries, tmp_path / "boundaries.png", X, y, X_test=X_test, y_test=y_test
    )
    assert_png(path, "boundaries")
    acc = info["accuracy"]
    assert info["on"] == "test"
    assert set(acc) == {"logistic_regression", "one_vs_all", "neural_network"}
    # measured: linear 0.856, one-vs-all 0.856, network 0.984 on the 125 test points
    assert acc["logistic_regression"] > 0.8
    assert acc["neural_network"] >= acc["logistic_regression"] + 0.08
    assert acc["neural_network"] >= acc["one_vs_all"] + 0.08


def test_boundaries_multiclass_uses_softmax_regression(tmp_path):
    data = load_source("blobs")
    path, info = plot_boundaries(tmp_path / "blobs.png", data.X[:200], data.y[:200], hidden=(8,))
    assert_png(path, "boundaries")
    assert info["on"] == "train"
    assert set(info["accuracy"]) == {"softmax_regression", "one_vs_all", "neural_network"}
    assert min(info["accuracy"].values()) > 0.85


def test_boundaries_need_two_columns(tmp_path):
    X3 = np.zeros((10, 3))
    y = np.arange(10) % 2
    with pytest.raises(ValueError, match=r"X must have exactly 2 columns .*\(10, 3\)"):
        plot_boundaries(tmp_path / "b.png", X3, y)
    with pytest.raises(ValueError, match="X must have exactly 2 columns"):
        plot_boundaries(tmp_path / "b.png", np.zeros(10), y)
    X2 = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="X_test must have exactly 2 columns"):
        plot_boundaries(tmp_path / "b.png", X2, y, X_test=X3, y_test=y)
    with pytest.raises(ValueError, match="both X_test and y_test"):
        plot_boundaries(tmp_path / "b.png", X2, y, X_test=X2)
    assert not (tmp_path / "b.png").exists()


# ----------------------------------------------------------------- learning rates
def test_larger_stable_learning_rate_ends_at_lower_cost(tmp_path, cancer):
    path, info = strict(plot_learning_rates, tmp_path / "rates.png", *cancer)
    assert_png(path, "learning_rates")
    assert info["model"] == "logistic" and info["metric"] == "accuracy"
    rates = info["rates"]
    assert list(rates) == [0.01, 0.001, 0.0001]
    costs = [rates[a]["final_cost"] for a in (0.01, 0.001, 0.0001)]
    # measured after 1500 iterations: 0.090, 0.205, 0.490 (from ln 2 = 0.693 at θ = 0)
    assert costs[0] < costs[1] < costs[2] < math.log(2)
    assert costs[1] - costs[0] > 0.05 and costs[2] - costs[1] > 0.1
    assert rates[0.01]["train"] > 0.95 and rates[0.01]["test"] > 0.9


def test_learning_rates_multilabel_reports_hamming_loss(tmp_path):
    X, Y = make_multilabel_classification(n_samples=160, n_features=5, n_classes=3, random_state=0)
    X = StandardScaler().fit_transform(X)
    path, info = plot_learning_rates(
        tmp_path / "ml.png", X[:120], Y[:120], X[120:], Y[120:], (0.1, 0.01), max_iter=200
    )
    assert_png(path, "learning_rates")
    assert info["model"] == "multilabel" and info["metric"] == "hamming_loss"
    assert info["rates"][0.1]["final_cost"] < info["rates"][0.01]["final_cost"]
    for result in info["rates"].values():
        assert 0 <= result["test"] < 0.5


def test_learning_rates_reject_bad_input(tmp_path, cancer):
    with pytest.raises(ValueError, match="learning_rates is empty"):
        plot_learning_rates(tmp_path / "r.png", *cancer, learning_rates=[])
    for bad in ((0.01, 0.0), (-1e-3,), (float("inf"),), ("0.1",)):
        with pytest.raises(ValueError, match="positive finite number"):
            plot_learning_rates(tmp_path / "r.png", *cancer, learning_rates=bad)
    with pytest.raises(ValueError, match="holds a rate twice"):
        plot_learning_rates(tmp_path / "r.png", *cancer, learning_rates=(0.01, 0.01))
    with pytest.raises(ValueError, match="model must be one of"):
        plot_learning_rates(tmp_path / "r.png", *cancer, model="svm")
    assert not (tmp_path / "r.png").exists()
