"""The notes' math: worked examples, stability on extreme inputs, derivatives."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from logitlab import functional as F

# Beyond |z| ≈ 15, 1 − σ(z) loses digits in float64, which is why the engines take
# losses from logits; the two forms are compared where the probability form is exact.
moderate = st.floats(-15, 15, allow_nan=False)


# --------------------------------------------------------------- the notes' worked examples
def test_softmax_worked_example():
    a = F.softmax(np.array([[5.0], [2.0], [-1.0], [3.0]])).ravel()
    np.testing.assert_allclose(a, [0.842, 0.042, 0.002, 0.114], atol=5e-4)
    # the notes' intermediate values: e^z = (148.4, 7.4, 0.4, 20.1), sum 176.3
    np.testing.assert_allclose(np.exp([5, 2, -1, 3]).sum(), 176.3, atol=0.05)


def test_hardmax_of_worked_example():
    np.testing.assert_array_equal(
        F.hardmax(np.array([[5.0], [2.0], [-1.0], [3.0]])).ravel(), [1, 0, 0, 0]
    )


def test_categorical_cross_entropy_uses_natural_log():
    y_hat = np.array([[0.3], [0.2], [0.1], [0.4]])
    y = np.array([[0], [1], [0], [0]])
    loss = F.categorical_cross_entropy(y_hat, y)
    assert loss == pytest.approx(1.609, abs=5e-4)
    assert loss == pytest.approx(-np.log(0.2))
    # the notes' 0.698 is the base-10 logarithm of the same probability (0.69897, cut)
    assert -np.log10(0.2) == pytest.approx(0.698, abs=1e-3)


def test_binary_cross_entropy_multilabel_example():
    # y = (1, 0, 1), a = (0.6, 0.7, 0.4): -[ln 0.6 + ln(1 - 0.7) + ln 0.4] = 2.63
    loss = F.binary_cross_entropy(np.array([[0.6], [0.7], [0.4]]), np.array([[1], [0], [1]]))
    assert loss == pytest.approx(2.63, abs=5e-3)
    assert loss == pytest.approx(-(np.log(0.6) + np.log(0.3) + np.log(0.4)))


def test_sigmoid_saturation_points_of_the_notes():
    assert F.sigmoid(np.array(4.6)) == pytest.approx(0.99, abs=1e-3)
    assert F.sigmoid(np.array(-4.6)) == pytest.approx(0.01, abs=1e-3)
    assert F.sigmoid(np.array(0.0)) == 0.5


def test_losses_average_over_examples():
    A = np.array([[0.9, 0.2]])
    Y = np.array([[1, 0]])
    per_example = F.binary_cross_entropy(A, Y, reduction="none")
    np.testing.assert_allclose(per_example, [-np.log(0.9), -np.log(0.8)])
    assert F.binary_cross_entropy(A, Y) == pytest.approx(per_example.mean())
    with pytest.raises(ValueError, match="reduction"):
        F.binary_cross_entropy(A, Y, reduction="max")


# ------------------------------------------------------------------------------ stability
def test_extreme_inputs_give_no_warning_nan_or_inf():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(F.sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0])
        np.testing.assert_array_equal(F.softmax(np.array([[1000.0], [0.0]])).ravel(), [1, 0])
        np.testing.assert_allclose(F.softmax(np.array([[-1000.0], [-1000.0]])).ravel(), [0.5, 0.5])
        assert F.logsumexp(np.array([1000.0, 1000.0])) == pytest.approx(1000 + np.log(2))
        assert np.isfinite(F.log_sigmoid(np.array([-1000.0, 1000.0]))).all()
        # a probability of exactly 0 or 1 in a loss
        for A in ([[0.0]], [[1.0]]):
            for Y in ([[0]], [[1]]):
                assert np.isfinite(F.binary_cross_entropy(np.array(A), np.array(Y)))
        assert np.isfinite(
            F.categorical_cross_entropy(np.array([[1.0], [0.0]]), np.array([[0], [1]]))
        )
        # the logit forms are exact far into the tails
        assert F.binary_cross_entropy_with_logits(np.array([[1000.0]]), np.array([[0]])) == 1000
        assert (
            F.categorical_cross_entropy_with_logits(
                np.array([[1000.0], [0.0]]), np.array([[0], [1]])
            )
            == 1000
        )


def test_float32_is_kept():
    z = np.array([[-100.0, 0.0, 100.0]], dtype=np.float32)
    assert F.sigmoid(z).dtype == np.float32
    assert F.softmax(z.T).dtype == np.float32


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (4, 3), elements=st.floats(-1e4, 1e4)))
def test_softmax_columns_are_distributions(Z):
    A = F.softmax(Z)
    assert np.all((A >= 0) & (A <= 1))
    np.testing.assert_allclose(A.sum(axis=0), 1.0)
    np.testing.assert_allclose(np.exp(F.log_softmax(Z)), A, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (5,), elements=st.floats(-1e4, 1e4)))
def test_sigmoid_symmetry_and_log(z):
    np.testing.assert_allclose(F.sigmoid(z) + F.sigmoid(-z), 1.0)
    inside = np.abs(z) < 700  # where σ(z) is a normal float, ln σ(z) can be compared
    np.testing.assert_allclose(
        F.log_sigmoid(z[inside]), np.log(F.sigmoid(z[inside])), rtol=1e-9, atol=1e-12
    )


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (3, 4), elements=moderate),
    arrays(np.int8, (3, 4), elements=st.integers(0, 1)),
)
def test_logit_losses_equal_probability_losses(Z, Y):
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(Z, Y),
        F.binary_cross_entropy(F.sigmoid(Z), Y),
        rtol=1e-6,
        atol=1e-9,
    )
    onehot = np.eye(3)[:, np.argmax(Y, axis=0)]
    np.testing.assert_allclose(
        F.categorical_cross_entropy_with_logits(Z, onehot),
        F.categorical_cross_entropy(F.softmax(Z), onehot),
        rtol=1e-6,
        atol=1e-9,
    )


def test_softmax_with_two_classes_is_logistic_regression():
    rng = np.random.default_rng(0)
    z0, z1 = rng.standard_normal(50), rng.standard_normal(50)
    np.testing.assert_allclose(F.softmax(np.vstack([z0, z1]))[1], F.sigmoid(z1 - z0))


# ---------------------------------------------------------------------------- derivatives
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "identity", "softmax"])
def test_activation_backward_matches_finite_differences(name):
    g, g_backward, wants_A = F.ACTIVATIONS[name]
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((3, 4))
    Z[np.abs(Z) < 1e-3] = 0.5  # keep ReLU away from its kink
    dA = rng.standard_normal((3, 4))
    dZ = g_backward(dA, g(Z) if wants_A else Z)
    eps = 1e-6
    num = np.zeros_like(Z)
    for idx in np.ndindex(Z.shape):
        Zp, Zm = Z.copy(), Z.copy()
        Zp[idx] += eps
        Zm[idx] -= eps
        num[idx] = np.sum(dA * (g(Zp) - g(Zm))) / (2 * eps)
    np.testing.assert_allclose(dZ, num, rtol=1e-6, atol=1e-8)


def test_output_gradient_is_a_minus_y():
    """dL/dz = a − y for sigmoid + binary cross-entropy and softmax + categorical."""
    rng = np.random.default_rng(2)
    z = rng.standard_normal((4, 1))
    y = np.array([[0], [1], [0], [0]])
    eps = 1e-6
    for loss, act in (
        (F.categorical_cross_entropy_with_logits, F.softmax),
        (F.binary_cross_entropy_with_logits, F.sigmoid),
    ):
        num = np.array(
            [
                [(loss(z + eps * e, y) - loss(z - eps * e, y)) / (2 * eps)]
                for e in np.eye(4)[:, :, None]
            ]
        ).reshape(4, 1)
        np.testing.assert_allclose(num, act(z) - y, atol=1e-8)


# -------------------------------------------------------------------------------- one_hot
def test_one_hot_layout_and_errors():
    Y = F.one_hot(np.array([2, 0, 1, 2]), 3)
    assert Y.shape == (3, 4)
    np.testing.assert_array_equal(Y.sum(axis=0), 1)
    np.testing.assert_array_equal(np.argmax(Y, axis=0), [2, 0, 1, 2])
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        F.one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="1-D"):
        F.one_hot(np.zeros((2, 2), dtype=int))
    with pytest.raises(ValueError, match="integer"):
        F.one_hot([0.5, 1.0])
