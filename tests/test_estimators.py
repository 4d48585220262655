"""The estimators: parity with scikit-learn, accuracy, multi-label, bad input."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from logitlab import (
    LogisticRegression,
    MultiLabelClassifier,
    NeuralNetClassifier,
    OneVsAllClassifier,
    SoftmaxRegression,
)

ALL = [
    LogisticRegression,
    SoftmaxRegression,
    OneVsAllClassifier,
    MultiLabelClassifier,
    NeuralNetClassifier,
]


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.fixture(scope="module")
def multilabel():
    X, Y = make_multilabel_classification(n_samples=300, n_features=10, n_classes=4, random_state=0)
    return StandardScaler().fit_transform(X), Y


# -------------------------------------------------------------------- parity with sklearn
@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
def test_logistic_regression_matches_sklearn(cancer, C):
    X, y = cancer
    ours = LogisticRegression(alpha=1 / C, solver="lbfgs", tol=1e-10, max_iter=10_000).fit(X, y)
    ref = SkLogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-3 * max(1, C))
    assert ours.coef_.shape == ref.coef_.shape and ours.intercept_.shape == (1,)


def test_softmax_regression_matches_sklearn(digits):
    X, y = digits
    ours = SoftmaxRegression(alpha=1.0, solver="lbfgs", tol=1e-10, max_iter=10_000).fit(X, y)
    ref = SkLogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)
    assert ours.coef_.shape == (10, 64) and ours.intercept_.shape == (10,)


def test_softmax_with_two_classes_equals_logistic_regression(cancer):
    """With C = 2 the softmax optimum is w₀ = −w₁, so its ‖W‖² is half of ‖w₁ − w₀‖²:
    SoftmaxRegression(alpha=a) equals LogisticRegression(alpha=a/2) with w = w₁ − w₀."""
    X, y = cancer
    soft = SoftmaxRegression(alpha=1.0, tol=1e-10, max_iter=5000).fit(X, y)
    logi = LogisticRegression(alpha=0.5, tol=1e-10, max_iter=5000).fit(X, y)
    np.testing.assert_allclose(soft.predict_proba(X), logi.predict_proba(X), atol=1e-6)
    np.testing.assert_allclose(soft.coef_[1] - soft.coef_[0], logi.coef_[0], atol=1e-4)
    np.testing.assert_allclose(soft.decision_function(X), logi.decision_function(X), atol=1e-4)


# ------------------------------------------------------------------------------ accuracy
@pytest.mark.parametrize(
    "model", [SoftmaxRegression(), OneVsAllClassifier()], ids=["softmax", "one-vs-all"]
)
def test_digits_accuracy_at_least_95_percent(digits, model):
    X, y = digits
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    assert model.fit(Xtr, ytr).score(Xte, yte) >= 0.95


def test_neural_net_learns_nonlinear_boundary():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (400, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)  # XOR quadrants: no line separates them
    linear = LogisticRegression().fit(X, y).score(X, y)
    net = (
        NeuralNetClassifier(
            hidden_layer_sizes=(16,), solver="lbfgs", alpha=1e-3, max_iter=500, random_state=0
        )
        .fit(X, y)
        .score(X, y)
    )
    assert linear < 0.7 and net > 0.95


# ---------------------------------------------------------------------------- one-vs-all
def test_one_vs_all_trains_one_binary_model_per_class(digits):
    X, y = digits
    ova = OneVsAllClassifier(LogisticRegression(alpha=0.5)).fit(X, y)
    assert len(ova.estimators_) == 10 and ova.coef_.shape == (10, 64)
    for c, est in zip(ova.classes_, ova.estimators_):
        # classifier c is exactly a LogisticRegression trained on y == c
        alone = LogisticRegression(alpha=0.5).fit(X, (y == c).astype(int))
        np.testing.assert_allclose(est.coef_, alone.coef_)
    P = ova.predict_proba(X[:50])
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    raw = np.column_stack([e.predict_proba(X[:50])[:, 1] for e in ova.estimators_])
    np.testing.assert_allclose(P, raw / raw.sum(axis=1, keepdims=True), rtol=1e-10)
    np.testing.assert_array_equal(ova.predict(X[:50]), ova.classes_[raw.argmax(axis=1)])


def test_one_vs_all_accepts_any_sklearn_classifier(digits):
    X, y = digits
    ova = OneVsAllClassifier(SkLogisticRegression(max_iter=500), n_jobs=2).fit(X[:400], y[:400])
    assert ova.score(X[:400], y[:400]) > 0.95


# ---------------------------------------------------------------------------- multi-label
def test_multilabel_independent_sigmoids(multilabel):
    X, Y = multilabel
    clf = MultiLabelClassifier(tol=1e-10, max_iter=5000).fit(X, Y)
    P = clf.predict_proba(X)
    assert P.shape == Y.shape and clf.coef_.shape == (4, 10)
    assert not np.allclose(P.sum(axis=1), 1.0)  # not a distribution over labels
    np.testing.assert_array_equal(clf.predict(X), (P > 0.5).astype(int))
    # one sigmoid per label is binary relevance: each column is its own logistic model
    for j in range(Y.shape[1]):
        alone = LogisticRegression(tol=1e-10, max_iter=5000).fit(X, Y[:, j])
        np.testing.assert_allclose(P[:, j], alone.predict_proba(X)[:, 1], atol=1e-6)
    majority = np.minimum(Y.mean(axis=0), 1 - Y.mean(axis=0)).mean()  # best constant guess
    assert np.mean(clf.predict(X) != Y) < 0.75 * majority


def test_multilabel_thresholds(multilabel):
    X, Y = multilabel
    clf = MultiLabelClassifier(threshold=[0.0, 1.0, 0.5, 0.5]).fit(X, Y)
    pred = clf.predict(X)
    assert pred[:, 0].all() and not pred[:, 1].any()
    with pytest.raises(ValueError, match="one value per label"):
        MultiLabelClassifier(threshold=[0.5, 0.5]).fit(X, Y).predict(X)


def test_multilabel_inputs_the_sklearn_checks_cannot_give(multilabel):
    """Covers, with indicator matrices, the sklearn checks listed as not applicable."""
    X, Y = multilabel
    ref = MultiLabelClassifier().fit(X, Y).predict_proba(X)
    for Xv in (X.astype(np.float32), np.asfortranarray(X), X.tolist()):
        np.testing.assert_allclose(
            MultiLabelClassifier().fit(Xv, Y.tolist()).predict_proba(np.asarray(Xv, dtype=float)),
            ref,
            atol=1e-5,
        )
    Xi = (X * 10).astype(np.int64)
    assert MultiLabelClassifier().fit(Xi, Y).predict(Xi).shape == Y.shape
    one = MultiLabelClassifier().fit(X[:, :1], Y)
    assert one.predict(X[:, :1]).shape == Y.shape
    clf = MultiLabelClassifier().fit(X, Y)
    D, P = clf.decision_function(X), clf.predict_proba(X)
    np.testing.assert_array_equal(np.argsort(D, axis=0), np.argsort(P, axis=0))


# ------------------------------------------------------------------------- neural network
@pytest.mark.parametrize(
    "kind, head, n_out",
    [("binary", "binary", 1), ("multiclass", "softmax", 3), ("multilabel", "multilabel", 4)],
)
def test_neural_net_chooses_head_from_y(kind, head, n_out, multilabel):
    X, Y = multilabel
    y = {"binary": Y[:, 0], "multiclass": Y[:, :2].sum(axis=1), "multilabel": Y}[kind]
    clf = NeuralNetClassifier(hidden_layer_sizes=(8,), max_iter=50, tol=0, random_state=0).fit(X, y)
    assert clf.network_.spec.head == head and clf.network_.spec.n_out == n_out
    assert clf.predict(X).shape == np.shape(y)
    assert [c.shape for c in clf.coefs_] == [(10, 8), (8, n_out)]


def test_signs_network_spec():
    X = np.random.default_rng(0).random((40, 12288))
    y = np.arange(40) % 6
    clf = NeuralNetClassifier(
        hidden_layer_sizes=(25, 12),
        solver="adam",
        learning_rate=1e-4,
        batch_size=32,
        init="xavier",
        max_iter=2,
        tol=0,
        random_state=0,
    ).fit(X, y)
    assert clf.network_.spec.layer_sizes == (12288, 25, 12, 6)
    assert clf.network_.spec.activations == ("relu", "relu", "softmax")


# --------------------------------------------------------------------- fitted attributes
@pytest.mark.parametrize("solver, batch", [("gd", None), ("adam", 20), ("lbfgs", None)])
def test_history_rule(cancer, solver, batch):
    X, y = cancer
    clf = LogisticRegression(
        solver=solver, batch_size=batch, max_iter=30, tol=0, alpha=1.0, learning_rate=0.1
    ).fit(X, y)
    assert len(clf.history_) == clf.n_iter_
    if batch is None:
        assert clf.history_[0] == pytest.approx(np.log(2))  # zero weights: σ(0) = 1/2
    else:  # the first epoch's mean batch cost: its first batch costs log 2, the rest less
        assert 0 < clf.history_[0] < np.log(2)
    assert clf.history_[-1] < clf.history_[0]


def test_float32_and_random_state(cancer):
    X, y = cancer
    a = NeuralNetClassifier(dtype="float32", random_state=3, max_iter=20, tol=0).fit(X, y)
    b = NeuralNetClassifier(dtype="float32", random_state=3, max_iter=20, tol=0).fit(X, y)
    assert a.network_.theta.dtype == np.float32
    assert a.predict_proba(X).dtype == np.float32
    np.testing.assert_array_equal(a.network_.theta, b.network_.theta)
    c = NeuralNetClassifier(random_state=3, max_iter=20, tol=0).fit(X, y)
    np.testing.assert_allclose(a.predict_proba(X), c.predict_proba(X), atol=1e-4)


def test_early_stopping_attributes(digits):
    X, y = digits
    clf = NeuralNetClassifier(
        early_stopping=True, n_iter_no_change=5, max_iter=300, random_state=0
    ).fit(X, y)
    assert len(clf.validation_history_) == clf.n_iter_ < 300
    off = NeuralNetClassifier(early_stopping=False, max_iter=5, tol=0).fit(X, y)
    assert off.validation_history_ is None


def test_early_stopping_auto_is_on_from_a_hundred_validation_examples(digits):
    X, y = digits  # 1797 examples: 180 held out
    auto = NeuralNetClassifier(max_iter=5, tol=0, random_state=0).fit(X, y)
    assert auto.early_stopping == "auto" and len(auto.validation_history_) == 5
    small = NeuralNetClassifier(max_iter=5, tol=0, random_state=0).fit(X[:900], y[:900])
    assert small.validation_history_ is None  # 90 held out: too few, all 900 train
    given = NeuralNetClassifier(max_iter=300, random_state=0)
    given.fit(X[:1000], y[:1000], X_val=X[1000:1100], y_val=y[1000:1100])
    assert given.n_iter_ < 300 and given.history_.shape == given.validation_history_.shape


def test_convergence_warning_only_with_tol(cancer):
    X, y = cancer
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        LogisticRegression(solver="gd", max_iter=3).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogisticRegression(solver="gd", max_iter=3, tol=0).fit(X, y)


def test_works_in_a_pipeline(cancer):
    X, y = load_breast_cancer(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    assert pipe.score(X, y) > 0.97


# ----------------------------------------------------------------------------- bad input
def _xy(estimator_cls, multilabel):
    X, Y = multilabel
    if estimator_cls is MultiLabelClassifier:
        return X, Y
    if estimator_cls is LogisticRegression:
        return X, Y[:, 0]
    return X, Y[:, :2].sum(axis=1)


@pytest.mark.parametrize("cls", ALL)
def test_bad_input_gives_clear_errors(cls, multilabel):
    X, y = _xy(cls, multilabel)
    est = cls()
    Xnan = X.copy()
    Xnan[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(Xnan, y)
    Xinf = X.copy()
    Xinf[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        est.fit(Xinf, y)
    with pytest.raises(ValueError, match="Expected 2D array"):
        est.fit(X[:, 0], y)
    with pytest.raises(ValueError, match="Found array with dim 3"):
        est.fit(X[:, :, None], y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        est.fit(X[:-1], y)
    with pytest.raises(ValueError, match="0 sample"):
        est.fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="could not convert string to float"):
        est.fit(np.array([["a", "b"]] * len(y)), y)
    with pytest.raises(NotFittedError):
        est.predict(X)
    est.fit(X, y)
    with pytest.raises(ValueError, match=f"has {X.shape[1] - 1} features"):
        est.predict(X[:, 1:])


@pytest.mark.parametrize(
    "cls", [LogisticRegression, SoftmaxRegression, OneVsAllClassifier, NeuralNetClassifier]
)
def test_single_class_is_refused(cls):
    X = np.random.default_rng(0).standard_normal((10, 3))
    with pytest.raises(ValueError, match="only one class"):
        cls().fit(X, np.ones(10))


def test_target_errors():
    X = np.random.default_rng(0).standard_normal((12, 3))
    with pytest.raises(ValueError, match="Only binary classification"):
        LogisticRegression().fit(X, np.arange(12) % 3)
    with pytest.raises(ValueError, match=r"only 0 and 1.*found values \[2\]"):
        MultiLabelClassifier().fit(X, np.tile([0, 1, 2], (12, 1)))
    with pytest.raises(ValueError, match="indicator matrix"):
        MultiLabelClassifier().fit(X, np.arange(12) % 2)
    with pytest.raises(ValueError, match="Unknown label type"):
        SoftmaxRegression().fit(X, np.linspace(0, 1, 12))
    with pytest.raises(ValueError, match=r"only 0 and 1.*found values \[2\.0\]"):
        NeuralNetClassifier().fit(X, np.tile([0, 1, 2], (12, 1)) * 1.0 + 0.0 * X[:, :1])
    with pytest.raises(ValueError, match="cannot train hidden layers"):
        NeuralNetClassifier(init="zeros").fit(X, np.arange(12) % 2)
    with pytest.raises(ValueError, match="solver"):
        LogisticRegression(solver="newton").fit(X, np.arange(12) % 2)
    with pytest.raises(ValueError, match="learning_rate"):
        LogisticRegression(learning_rate=-1).fit(X, np.arange(12) % 2)


def test_warm_start_continues_history_and_n_iter():
    """As scikit-learn's MLP extends loss_curve_: 5 + 5 full-batch gd iterations are
    10 iterations, with one history."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    from logitlab import NeuralNetClassifier

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    kw = dict(hidden_layer_sizes=(4,), solver="gd", learning_rate=0.1, tol=0, random_state=0)
    once = NeuralNetClassifier(max_iter=10, **kw).fit(X, y)
    twice = NeuralNetClassifier(max_iter=5, warm_start=True, **kw).fit(X, y).fit(X, y)
    assert twice.n_iter_ == 10 and len(twice.history_) == 10
    np.testing.assert_allclose(twice.history_, once.history_, rtol=1e-12)
    np.testing.assert_allclose(twice.network_.theta, once.network_.theta, rtol=1e-12)
    with pytest.raises(ValueError, match="warm_start=True continues"):
        twice.fit(X[:, :5], y)  # other features: never a silent fresh start


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_one_training_config_is_built_once_and_handed_to_the_engine(engine, monkeypatch):
    """Every training setting reaches the engine inside one TrainConfig."""
    if engine == "torch":
        pytest.importorskip("torch")
    from logitlab import NeuralNetClassifier, TrainConfig, numpy_engine

    seen = []
    module = numpy_engine
    if engine == "torch":
        from logitlab import torch_engine as module
    real = module.train

    def spy(net, X, Y, config, **kw):
        seen.append(config)
        return real(net, X, Y, config, **kw)

    monkeypatch.setattr(module, "train", spy)
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    clf = NeuralNetClassifier((3,), solver="momentum", learning_rate=0.05, max_iter=7,
                              batch_size=16, tol=0, alpha=0.3, momentum=0.8, engine=engine,
                              random_state=0).fit(X, y)  # fmt: skip
    assert seen == [
        TrainConfig(solver="momentum", learning_rate=0.05, max_iter=7, batch_size=16, tol=0,
                    alpha=0.3, momentum=0.8, device="auto")
    ]  # fmt: skip
    assert clf.n_iter_ == 7
