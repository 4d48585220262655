"""Training control in both engines: sample/class/positive weights, learning-rate
schedules, validation data and early stopping, dropout, stopping callbacks,
partial_fit and exact continuation (warm_start).

Every expected value here is derived independently of the code under test: repeated
rows for integer weights, scikit-learn for regularised logistic regression and class
weights, the documented schedule formulas, log losses and scores computed from
predict_proba / predict, or the same run done another way (one fit against several
partial fits, one engine against the other). The gradient checks of positive weights
and dropout masks are in test_engine.py; positive weights against torch's
BCEWithLogitsLoss in test_torch_engine.py.
"""

import copy
import dataclasses
import math
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_classification, make_moons, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import accuracy_score, hamming_loss, log_loss
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight

import logitlab.estimators as estimators_module
from logitlab import (
    LogisticRegression,
    MultiLabelClassifier,
    NeuralNetClassifier,
    OneVsAllClassifier,
    SoftmaxRegression,
    StopTraining,
    numpy_engine,
)
from logitlab import functional as F
from logitlab.numpy_engine import Network, TrainConfig
from logitlab.spec import ModelSpec

try:
    import torch
except ImportError:  # the torch engine is optional
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="the torch engine needs PyTorch")
ENGINES = ["numpy", pytest.param("torch", marks=needs_torch)]

# short fits that stop before the cost settles are the point of many tests here
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _engine_train(engine):
    if engine == "numpy":
        return numpy_engine.train
    from logitlab.torch_engine import train

    return train


def _est(cls, engine, **kw):
    kw.setdefault("random_state", 0)
    kw.setdefault("tol", 0)
    if engine == "torch":
        kw["device"] = "cpu"
    return cls(engine=engine, **kw)


# --------------------------------------------------------------------------- data
def _multiclass(m=90, seed=1):
    X, y = make_classification(
        m,
        5,
        n_informative=4,
        n_redundant=0,
        n_classes=3,
        weights=[0.5, 0.3, 0.2],
        random_state=seed,
    )
    return X, y


def _binary(m=80, seed=2):
    X, y = make_classification(
        m, 4, n_informative=3, n_redundant=0, weights=[0.7, 0.3], flip_y=0.1, random_state=seed
    )
    return X, y


def _multilabel(m=80, seed=0):
    X, Y = make_multilabel_classification(m, 6, n_classes=3, random_state=seed)
    return (X - X.mean(0)) / X.std(0), Y


def _multilabel_log_loss(Y, P, weights=None):
    """Binary cross-entropy summed over labels, averaged over examples."""
    per_example = -(Y * np.log(P) + (1 - Y) * np.log(1 - P)).sum(axis=1)
    return float(np.average(per_example, weights=weights))


def _network_data(head, n_x, m, rng):
    X = rng.standard_normal((n_x, m))
    if head == "softmax":
        Y = F.one_hot(rng.integers(0, 3, m), 3)
    else:
        Y = rng.integers(0, 2, (1 if head == "binary" else 3, m)).astype(float)
    return X, Y


# ======================================================================== 1. weights
@needs_torch
@settings(max_examples=40, deadline=None)
@given(
    engine=st.sampled_from(["numpy", "torch"]),
    solver=st.sampled_from(["gd", "momentum", "adam", "lbfgs"]),
    head=st.sampled_from(["binary", "softmax", "multilabel"]),
    hidden=st.sampled_from([(), (4,)]),
    n_x=st.integers(2, 8),
    counts=st.lists(st.integers(0, 3), min_size=3, max_size=6).filter(lambda c: sum(c) > 0),
    alpha=st.sampled_from([0.0, 0.7]),
    seed=st.integers(0, 2**16),
)
def test_integer_weights_equal_repeated_rows(
    engine, solver, head, hidden, n_x, counts, alpha, seed
):
    """J = Σ s·L/Σ s + alpha/(2Σ s)·Σ‖W‖²: a weight of k is the example k times, and so
    is every full-batch step (L-BFGS included, row space or not)."""
    rng = np.random.default_rng(seed)
    s = np.asarray(counts, dtype=float)
    X, Y = _network_data(head, n_x, len(s), rng)
    spec = ModelSpec(n_x=n_x, hidden=hidden, n_out=Y.shape[0], head=head, activation="tanh")
    weighted, repeated = Network(spec), Network(spec)
    weighted.initialize("zeros" if not hidden else "xavier", rng)
    repeated.set_params(weighted.theta)
    config = TrainConfig(solver=solver, learning_rate=0.3, max_iter=6, alpha=alpha, device="cpu")
    train = _engine_train(engine)
    a = train(weighted, X, Y, config, sample_weight=s)
    rows = np.repeat(np.arange(len(s)), counts)
    b = train(repeated, X[:, rows], Y[:, rows], config)
    assert a.n_iter == b.n_iter
    np.testing.assert_allclose(a.history, b.history, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(weighted.theta, repeated.theta, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("head", ["binary", "softmax", "multilabel"])
def test_weighted_cost_is_the_documented_formula(engine, head):
    rng = np.random.default_rng(3)
    X, Y = _network_data(head, 4, 9, rng)
    net = Network(ModelSpec(n_x=4, n_out=Y.shape[0], head=head))
    net.initialize("random", rng)
    net.W[0][:] *= 100  # far from 0, so that the penalty counts
    net.b[0][:] = rng.standard_normal(net.b[0].shape)
    s, alpha = rng.uniform(0.1, 3.0, 9), 0.8
    W, b = net.W[0].copy(), net.b[0].copy()
    result = _engine_train(engine)(
        net, X, Y, TrainConfig(max_iter=1, alpha=alpha, device="cpu"), sample_weight=s
    )
    Z = W @ X + b
    if head == "softmax":
        Zs = Z - Z.max(axis=0)
        losses = -(Y * (Zs - np.log(np.exp(Zs).sum(axis=0)))).sum(axis=0)
    else:
        P = 1 / (1 + np.exp(-Z))
        losses = -(Y * np.log(P) + (1 - Y) * np.log(1 - P)).sum(axis=0)
    expected = (s * losses).sum() / s.sum() + alpha / (2 * s.sum()) * (W**2).sum()
    assert result.history[0] == pytest.approx(expected, rel=1e-12)


def test_estimator_sample_weight_equals_repeated_rows():
    X, y = _multiclass(40)
    counts = np.random.default_rng(0).integers(0, 4, 40)
    kw = dict(hidden_layer_sizes=(5,), solver="adam", learning_rate=0.05, max_iter=10)
    a = _est(NeuralNetClassifier, "numpy", **kw).fit(X, y, sample_weight=counts)
    rows = np.repeat(np.arange(40), counts)
    b = _est(NeuralNetClassifier, "numpy", **kw).fit(X[rows], y[rows])
    np.testing.assert_allclose(a.history_, b.history_, rtol=1e-10)
    np.testing.assert_allclose(a.network_.theta, b.network_.theta, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("C", [0.3, 3.0])
def test_weighted_logistic_regression_matches_sklearn(engine, C):
    X, y = _binary()
    s = np.random.default_rng(1).uniform(0, 3, len(y))
    ours = _est(LogisticRegression, engine, alpha=1 / C, tol=1e-8, max_iter=1000)
    ours.fit(X, y, sample_weight=s)
    ref = SkLogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-5)


@pytest.mark.parametrize("engine", ENGINES)
def test_weighted_softmax_regression_matches_sklearn(engine):
    X, y = _multiclass()
    s = np.random.default_rng(2).integers(0, 4, len(y)).astype(float)
    ours = _est(SoftmaxRegression, engine, alpha=0.5, tol=1e-8, max_iter=1000)
    ours.fit(X, y, sample_weight=s)
    ref = SkLogisticRegression(C=2.0, tol=1e-12, max_iter=10_000).fit(X, y, sample_weight=s)
    # W is defined up to a shift common to the classes: compare probabilities
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)


CLASS_WEIGHTS = ["balanced", {0: 1.0, 1: 3.0, 2: 0.5}]


@pytest.mark.parametrize("class_weight", CLASS_WEIGHTS, ids=["balanced", "dict"])
@pytest.mark.parametrize(
    "cls, kw",
    [
        (LogisticRegression, {}),
        (SoftmaxRegression, {}),
        (NeuralNetClassifier, {"hidden_layer_sizes": (5,)}),
    ],
    ids=["logistic", "softmax", "mlp"],
)
def test_class_weight_equals_its_sample_weights(cls, kw, class_weight):
    X, y = _multiclass()
    if cls is LogisticRegression:
        y = (y == 1).astype(int)
        if isinstance(class_weight, dict):
            class_weight = {0: 0.4, 1: 2.5}
    kw = dict(solver="gd", learning_rate=0.5, max_iter=20, alpha=0.3, **kw)
    a = _est(cls, "numpy", class_weight=class_weight, **kw).fit(X, y)
    b = _est(cls, "numpy", **kw).fit(X, y, sample_weight=compute_sample_weight(class_weight, y))
    unweighted = _est(cls, "numpy", **kw).fit(X, y)
    np.testing.assert_allclose(a.history_, b.history_, rtol=1e-12)
    np.testing.assert_allclose(a.network_.theta, b.network_.theta, rtol=1e-10, atol=1e-13)
    assert not np.allclose(a.network_.theta, unweighted.network_.theta, atol=1e-4)


def test_class_weight_dict_multiplies_sample_weight():
    X, y = _multiclass()
    s = np.random.default_rng(4).uniform(0.2, 2.0, len(y))
    cw = {0: 2.0, 2: 0.3}  # class 1 left out: weight 1
    kw = dict(solver="gd", learning_rate=0.5, max_iter=15, alpha=0.3)
    a = _est(SoftmaxRegression, "numpy", class_weight=cw, **kw).fit(X, y, sample_weight=s)
    per_example = np.array([2.0, 1.0, 0.3])[y] * s
    b = _est(SoftmaxRegression, "numpy", **kw).fit(X, y, sample_weight=per_example)
    np.testing.assert_allclose(a.network_.theta, b.network_.theta, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("class_weight", CLASS_WEIGHTS, ids=["balanced", "dict"])
@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_class_weight_matches_sklearn(engine, task, class_weight):
    X, y = _multiclass()
    cls = SoftmaxRegression
    if task == "binary":
        cls, y = LogisticRegression, (y == 1).astype(int)
        if isinstance(class_weight, dict):
            class_weight = {0: 0.4, 1: 2.5}
    ours = _est(cls, engine, class_weight=class_weight, alpha=0.5, tol=1e-8, max_iter=1000)
    ours.fit(X, y)
    ref = SkLogisticRegression(C=2.0, class_weight=class_weight, tol=1e-12, max_iter=10_000)
    ref.fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)
    if task == "binary":
        np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-5)


@pytest.mark.parametrize("with_sample_weight", [False, True])
def test_pos_weight_balanced_is_negatives_over_positives(with_sample_weight):
    X, Y = _multilabel()
    Y[:, 2] = (np.arange(len(Y)) % 5 == 0).astype(int)  # a rare label: weight 4
    s = np.random.default_rng(7).uniform(0.2, 2.0, len(Y)) if with_sample_weight else None
    w = np.ones(len(Y)) if s is None else s
    by_hand = ((1 - Y) * w[:, None]).sum(0) / (Y * w[:, None]).sum(0)
    kw = dict(solver="gd", learning_rate=0.5, max_iter=15)
    a = _est(MultiLabelClassifier, "numpy", pos_weight="balanced", **kw).fit(X, Y, s)
    b = _est(MultiLabelClassifier, "numpy", pos_weight=by_hand, **kw).fit(X, Y, s)
    plain = _est(MultiLabelClassifier, "numpy", **kw).fit(X, Y, s)
    np.testing.assert_allclose(a.network_.theta, b.network_.theta, rtol=1e-12, atol=1e-14)
    assert not np.allclose(a.network_.theta, plain.network_.theta, atol=1e-3)


def _bad_weight_cases():
    X, y = _multiclass(30)
    Xm, Ym = _multilabel(30)
    ones = np.ones(30)
    sgd = dict(solver="sgd", batch_size=8)
    return [
        ("negative", lambda: SoftmaxRegression().fit(X, y, np.r_[-1.0, ones[1:]]), "Negative"),
        ("wrong length", lambda: SoftmaxRegression().fit(X, y, ones[:-1]), r"\(29,\)"),
        ("all zero", lambda: SoftmaxRegression().fit(X, y, 0 * ones), "non-zero"),
        (
            "validation weights of the wrong length",
            lambda: SoftmaxRegression().fit(X, y, X_val=X, y_val=y, sample_weight_val=ones[:3]),
            r"\(3,\)",
        ),
        (
            "class_weight on multi-label y",
            lambda: NeuralNetClassifier(class_weight="balanced").fit(Xm, Ym),
            "pos_weight",
        ),
        (
            "pos_weight on single-label y",
            lambda: NeuralNetClassifier(pos_weight="balanced").fit(X, y),
            "class_weight",
        ),
        (
            "pos_weight of the wrong length",
            lambda: MultiLabelClassifier(pos_weight=[1.0, 2.0]).fit(Xm, Ym),
            "one positive finite weight per label",
        ),
        (
            "negative pos_weight",
            lambda: MultiLabelClassifier(pos_weight=[1.0, -2.0, 1.0]).fit(Xm, Ym),
            "one positive finite weight per label",
        ),
        (
            "class_weight='balanced' in partial_fit",
            lambda: SoftmaxRegression(class_weight="balanced", **sgd).partial_fit(
                X, y, classes=[0, 1, 2]
            ),
            "partial_fit sees one batch",
        ),
        (
            "pos_weight='balanced' in partial_fit",
            lambda: MultiLabelClassifier(pos_weight="balanced", **sgd).partial_fit(Xm, Ym),
            "partial_fit sees one batch",
        ),
        (
            "all-zero weights in partial_fit",
            lambda: SoftmaxRegression(**sgd).partial_fit(
                X, y, classes=[0, 1, 2], sample_weight=0 * ones
            ),
            "non-zero",
        ),
    ]


def test_pos_weight_balanced_of_a_label_always_or_never_present_is_one():
    """n_neg/n_pos would be 0 for a label every example has (and an explicit 0 is
    refused): its positives would then weigh nothing, and it could not be learned."""
    X, Y = _multilabel()
    Y[:, 1], Y[:, 2] = 1, 0
    kw = dict(solver="gd", learning_rate=0.5, max_iter=30)
    clf = _est(MultiLabelClassifier, "numpy", pos_weight="balanced", **kw).fit(X, Y)
    by_hand = (1 - Y[:, 0]).sum() / Y[:, 0].sum()
    same = _est(MultiLabelClassifier, "numpy", pos_weight=[by_hand, 1.0, 1.0], **kw).fit(X, Y)
    np.testing.assert_allclose(clf.network_.theta, same.network_.theta, rtol=1e-12, atol=1e-14)
    assert clf.predict(X)[:, 1].all() and not clf.predict(X)[:, 2].any()


@pytest.mark.parametrize(
    "case", range(len(_bad_weight_cases())), ids=[c[0] for c in _bad_weight_cases()]
)
def test_bad_weights_are_refused(case):
    _, call, message = _bad_weight_cases()[case]
    with pytest.raises(ValueError, match=message):
        call()


# ================================================================ 2. engines agree
def _fit_both(cls, X, y, fit_kw=None, **kw):
    """The same fit on both engines; returns the two estimators and the learning rates
    each reported to its callback."""
    out = []
    for engine in ("numpy", "torch"):
        rates = []
        clf = _est(cls, engine, **kw)
        clf.fit(X, y, callback=lambda info, r=rates: r.append(info.learning_rate), **(fit_kw or {}))
        out += [clf, rates]
    return out


def _assert_engines_agree(a, b):
    assert a.n_iter_ == b.n_iter_
    np.testing.assert_allclose(b.history_, a.history_, rtol=1e-6)
    np.testing.assert_allclose(b.network_.theta, a.network_.theta, rtol=1e-6, atol=1e-9)
    for name in ("validation_history_", "validation_scores_"):
        va, vb = getattr(a, name), getattr(b, name)
        assert (va is None) == (vb is None), name
        if va is not None:
            np.testing.assert_allclose(vb, va, rtol=1e-6, atol=1e-12)


MLP = dict(hidden_layer_sizes=(6,), learning_rate=0.05, max_iter=10)


@needs_torch
@pytest.mark.parametrize(
    "what", ["sample_weight", "class_weight", "pos_weight", "pos_weight_balanced", "linear"]
)
def test_engines_agree_on_weights(what):
    X, y = _multiclass()
    Xm, Ym = _multilabel()
    s = np.random.default_rng(0).uniform(0, 2, len(y))
    if what == "sample_weight":
        a, _, b, _ = _fit_both(
            NeuralNetClassifier, X, y, {"sample_weight": s}, solver="adam", batch_size=16, **MLP
        )
    elif what == "class_weight":
        a, _, b, _ = _fit_both(
            NeuralNetClassifier, X, y, class_weight={0: 0.5, 2: 3.0}, solver="momentum", **MLP
        )
    elif what == "pos_weight":
        a, _, b, _ = _fit_both(
            NeuralNetClassifier,
            Xm,
            Ym,
            {"sample_weight": s[: len(Ym)]},
            solver="sgd",
            batch_size=20,
            pos_weight=[0.5, 2.0, 4.0],
            **MLP,
        )
    elif what == "pos_weight_balanced":
        a, _, b, _ = _fit_both(
            NeuralNetClassifier, Xm, Ym, solver="adam", batch_size=20, pos_weight="balanced", **MLP
        )
    else:
        a, _, b, _ = _fit_both(
            MultiLabelClassifier, Xm, Ym, solver="gd", pos_weight=[1, 2, 3], max_iter=10
        )
    _assert_engines_agree(a, b)


def _expected_rate(t, lr, schedule, horizon, warmup=0, decay=0.1, step_size=30):
    """The documented schedule (LRSchedule's docstring), computed here on its own."""
    if t < warmup:
        return lr * (t + 1) / warmup
    if schedule == "step":
        return lr * decay ** (t // step_size)
    if schedule == "cosine":
        span = horizon - warmup
        return lr * (1 + math.cos(math.pi * min(t - warmup, span) / span)) / 2
    return lr


@pytest.mark.parametrize("warmup", [0, 3])
@pytest.mark.parametrize("schedule", ["constant", "step", "cosine"])
@pytest.mark.parametrize("engine", ENGINES)
def test_learning_rate_follows_the_schedule_formula(engine, schedule, warmup):
    X, y = _multiclass()
    rates = []
    clf = _est(
        NeuralNetClassifier,
        engine,
        solver="sgd",
        batch_size=16,
        lr_schedule=schedule,
        warmup_iter=warmup,
        lr_step_size=4,
        lr_decay=0.5,
        hidden_layer_sizes=(6,),
        learning_rate=0.08,
        max_iter=12,
    )
    clf.fit(X, y, callback=lambda info: rates.append((info.iteration, info.learning_rate)))
    assert [t for t, _ in rates] == list(range(12))
    expected = [
        _expected_rate(t, 0.08, schedule, 12, warmup, decay=0.5, step_size=4) for t in range(12)
    ]
    np.testing.assert_allclose([r for _, r in rates], expected, rtol=1e-12, atol=1e-15)
    if schedule == "cosine":
        assert rates[-1][1] < 0.05 * 0.08  # nearly at 0 by max_iter


@pytest.mark.parametrize("engine", ENGINES)
def test_plateau_schedule_follows_the_watched_validation_cost(engine):
    X, y = _multiclass()
    rng = np.random.default_rng(0)
    X_val, y_val = rng.standard_normal((30, 5)), rng.integers(0, 3, 30)  # unlearnable
    rates = []
    clf = _est(
        NeuralNetClassifier,
        engine,
        hidden_layer_sizes=(8,),
        solver="adam",
        learning_rate=0.05,
        batch_size=16,
        max_iter=15,
        lr_schedule="plateau",
        lr_patience=2,
        lr_decay=0.5,
    )
    clf.fit(X, y, X_val=X_val, y_val=y_val, callback=lambda info: rates.append(info.learning_rate))
    # the rule of LRSchedule's docstring, replayed on the recorded validation costs
    expected, factor, best, bad = [], 1.0, np.inf, 0
    for v in clf.validation_history_:
        expected.append(0.05 * factor)
        if v < best * (1 - 1e-4):
            best, bad = v, 0
        else:
            bad += 1
            if bad >= 2:
                factor, bad = factor * 0.5, 0
    np.testing.assert_allclose(rates, expected, rtol=1e-12)
    assert min(rates) <= 0.05 * 0.25  # the rate was cut at least twice


@needs_torch
@pytest.mark.parametrize("schedule", ["step", "cosine", "plateau"])
def test_engines_agree_on_lr_schedules(schedule):
    X, y = _multiclass()
    rng = np.random.default_rng(0)
    # an unlearnable validation set, so that the plateau schedule cuts the rate
    fit_kw = {"X_val": rng.standard_normal((30, 5)), "y_val": rng.integers(0, 3, 30)}
    a, ra, b, rb = _fit_both(
        NeuralNetClassifier,
        X,
        y,
        fit_kw,
        solver="sgd",
        batch_size=16,
        lr_schedule=schedule,
        warmup_iter=2,
        lr_step_size=3,
        lr_decay=0.5,
        lr_patience=1,
        **MLP,
    )
    np.testing.assert_array_equal(ra, rb)
    assert len(set(ra)) > 3  # the rate did change
    _assert_engines_agree(a, b)


@needs_torch
@pytest.mark.parametrize("scoring", ["loss", "accuracy", "hamming"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_engines_agree_on_validation_and_early_stopping(task, scoring):
    X, y = {"binary": _binary, "multiclass": _multiclass, "multilabel": _multilabel}[task]()
    fit_kw = {"X_val": X[:30], "y_val": y[:30]}
    a, _, b, _ = _fit_both(
        NeuralNetClassifier,
        X[30:],
        y[30:],
        fit_kw,
        solver="adam",
        batch_size=16,
        early_stopping=True,
        n_iter_no_change=3,
        validation_scoring=scoring,
        hidden_layer_sizes=(6,),
        learning_rate=0.05,
        max_iter=100,
    )
    assert a.n_iter_ < 100  # early stopping did stop
    assert (a.validation_scores_ is None) == (scoring == "loss")
    _assert_engines_agree(a, b)


@needs_torch
def test_engines_agree_on_the_early_stopping_hold_out():
    X, y = _multilabel()
    a, _, b, _ = _fit_both(
        NeuralNetClassifier,
        X,
        y,
        solver="adam",
        batch_size=16,
        early_stopping=True,
        n_iter_no_change=3,
        validation_scoring="hamming",
        **MLP,
    )
    _assert_engines_agree(a, b)


def _mask_source(hidden, keep, seed):
    """A deterministic source of dropout masks D/keep_prob, as the engines take it."""
    rng = np.random.default_rng(seed)

    def masks(m):
        masks.sizes.append(m)
        return [(rng.random((n, m)) < keep) / keep for n in hidden]

    masks.sizes = []
    return masks


@needs_torch
@pytest.mark.parametrize("batch_size", [None, 8])
@pytest.mark.parametrize("solver", ["gd", "adam"])
def test_engines_agree_on_dropout_with_the_same_masks(solver, batch_size):
    rng = np.random.default_rng(0)
    X, Y = _network_data("softmax", 4, 30, rng)
    spec = ModelSpec(n_x=4, hidden=(6, 5), n_out=3, head="softmax")
    config = TrainConfig(
        solver=solver,
        learning_rate=0.05,
        max_iter=5,
        batch_size=batch_size,
        dropout=0.4,
        alpha=0.1,
        device="cpu",
    )
    runs = []
    for engine, seed in (("numpy", 5), ("torch", 5), ("numpy", 6)):
        net = Network(spec)
        net.initialize("he", np.random.default_rng(1))
        masks = _mask_source(spec.hidden, 0.6, seed)
        result = _engine_train(engine)(net, X, Y, config, rng=3, dropout_masks=masks)
        runs.append((net, result, masks.sizes))
    (a, ra, sa), (b, rb, sb), (c, _, _) = runs
    assert sa == sb == ([30] * 5 if batch_size is None else [8, 8, 8, 6] * 5)
    np.testing.assert_allclose(rb.history, ra.history, rtol=1e-6)
    np.testing.assert_allclose(b.theta, a.theta, rtol=1e-6, atol=1e-9)
    assert not np.allclose(c.theta, a.theta, atol=1e-3)  # other masks, other parameters


@needs_torch
@pytest.mark.parametrize(
    "cls, task, kw",
    [
        (LogisticRegression, "binary", {}),
        (SoftmaxRegression, "multiclass", {}),
        (NeuralNetClassifier, "multilabel", {"hidden_layer_sizes": (5,), "dropout": 0.2}),
    ],
    ids=["logistic", "softmax", "mlp-multilabel"],
)
def test_engines_agree_on_partial_fit(cls, task, kw):
    X, y = {"binary": _binary, "multiclass": _multiclass, "multilabel": _multilabel}[task]()
    classes = None if task == "multilabel" else np.unique(y)
    fitted = []
    for engine in ("numpy", "torch"):
        clf = _est(cls, engine, solver="adam", batch_size=16, learning_rate=0.05, **kw)
        for _ in range(3):
            clf.partial_fit(X, y, classes=classes)
        fitted.append(clf)
    if "dropout" in kw:
        # each engine draws its own masks (NumPy from the generator, torch on the
        # device), so the costs (means over batches with dropout) agree in expectation
        np.testing.assert_allclose(fitted[0].history_, fitted[1].history_, rtol=0.1)
        assert fitted[0].n_iter_ == fitted[1].n_iter_ == 3
    else:
        _assert_engines_agree(*fitted)


# ======================================================================= 3. dropout
def _record_masks(monkeypatch, engine):
    """Record every dropout mask that reaches a forward pass in training, as
    (n_hidden_units, batch) arrays."""
    seen = []
    if engine == "numpy":
        original = Network.forward

        def forward(self, X, masks=None):
            if masks is not None:
                seen.append([np.asarray(D) for D in masks])
            return original(self, X, masks)

        monkeypatch.setattr(Network, "forward", forward)
    else:
        from logitlab.torch_engine.module import TorchNetwork

        original = TorchNetwork.forward

        def forward(self, X, masks=None):
            if masks is not None:
                seen.append([D.detach().cpu().numpy().T for D in masks])
            return original(self, X, masks)

        monkeypatch.setattr(TorchNetwork, "forward", forward)
    return seen


@pytest.mark.parametrize("engine", ENGINES)
def test_training_draws_fresh_masks_of_the_asked_share(monkeypatch, engine):
    X, y = _multiclass(200)
    seen = _record_masks(monkeypatch, engine)
    _est(
        NeuralNetClassifier,
        engine,
        hidden_layer_sizes=(30, 20),
        dropout=0.3,
        solver="sgd",
        batch_size=50,
        max_iter=5,
    ).fit(X, y)
    assert len(seen) == 4 * 5  # one set per mini-batch
    assert [D.shape for D in seen[0]] == [(30, 50), (20, 50)]
    values = np.concatenate([np.ravel(D) for masks in seen for D in masks])
    assert set(np.unique(values)) == {0.0, 1 / 0.7}
    assert (values == 0).mean() == pytest.approx(0.3, abs=0.01)
    assert not np.array_equal(seen[0][0], seen[1][0])  # a fresh mask every batch


@pytest.mark.parametrize("engine", ENGINES)
def test_dropout_is_off_at_prediction(engine):
    X, y = _multiclass()
    kw = dict(hidden_layer_sizes=(8, 4), solver="adam", learning_rate=0.05, max_iter=10)
    clf = _est(NeuralNetClassifier, engine, dropout=0.5, **kw).fit(X, y)
    P = clf.predict_proba(X)
    np.testing.assert_array_equal(P, clf.predict_proba(X))  # deterministic
    A = X
    for W, b in zip(clf.network_.W[:-1], clf.network_.b[:-1]):
        A = np.maximum(A @ W.T + b.T, 0)  # no mask, no scaling
    Z = A @ clf.network_.W[-1].T + clf.network_.b[-1].T
    np.testing.assert_allclose(P, np.exp(Z) / np.exp(Z).sum(1, keepdims=True), rtol=1e-10)
    same_weights = NeuralNetClassifier(**kw).set_fitted(
        clf.network_,
        classes=clf.classes_,
        n_features_in=5,
        history=clf.history_,
        n_iter=clf.n_iter_,
    )
    np.testing.assert_array_equal(P, same_weights.predict_proba(X))
    plain = _est(NeuralNetClassifier, engine, **kw).fit(X, y)
    assert not np.allclose(plain.network_.theta, clf.network_.theta, atol=1e-3)


@pytest.mark.parametrize("engine", ENGINES)
def test_dropout_with_lbfgs_is_refused(engine):
    X, y = _multiclass(30)
    with pytest.raises(ValueError, match="dropout.*L-BFGS"):
        _est(NeuralNetClassifier, engine, solver="lbfgs", dropout=0.2).fit(X, y)
    net = Network(ModelSpec(n_x=5, hidden=(3,), n_out=3, head="softmax"))
    net.initialize("he", np.random.default_rng(0))
    with pytest.raises(ValueError, match="dropout.*L-BFGS"):
        _engine_train(engine)(
            net, X.T, F.one_hot(y, 3), TrainConfig(solver="lbfgs", dropout=0.2, device="cpu")
        )


# ===================================================================== 4. callbacks
@pytest.mark.parametrize("how", ["return True", "raise StopTraining"])
@pytest.mark.parametrize("solver, batch_size", [("gd", None), ("adam", 16), ("lbfgs", None)])
@pytest.mark.parametrize("engine", ENGINES)
def test_callback_stops_after_its_iteration(engine, solver, batch_size, how):
    X, y = _multiclass()
    seen = []

    def callback(info):
        seen.append((info.iteration, info.snapshot()))
        if info.iteration == 3:
            if how == "return True":
                return True
            raise StopTraining

    clf = _est(
        NeuralNetClassifier,
        engine,
        hidden_layer_sizes=(5,),
        solver=solver,
        batch_size=batch_size,
        max_iter=50,
    ).fit(X, y, callback=callback)
    assert [it for it, _ in seen] == [0, 1, 2, 3]
    assert clf.n_iter_ == len(clf.history_) == 4
    last = seen[-1][1]
    assert last.n_iter_ == 4
    np.testing.assert_array_equal(last.history_, clf.history_)
    np.testing.assert_array_equal(last.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("engine", ENGINES)
def test_callback_false_or_none_does_not_stop(engine):
    X, y = _multiclass()
    answers = iter([None, False, 0, "", None, False])
    clf = _est(SoftmaxRegression, engine, solver="gd", max_iter=6)
    clf.fit(X, y, callback=lambda info: next(answers))
    assert clf.n_iter_ == 6


@pytest.mark.parametrize("engine", ENGINES)
def test_iteration_fields_and_snapshots(engine):
    """Snapshot i is the model after i + 1 iterations: the same as a fit with
    max_iter = i + 1; its validation cost is the log loss of its predictions."""
    X, y = _multiclass()
    X_val, y_val = X[:30], y[:30]
    X, y = X[30:], y[30:]
    kw = dict(hidden_layer_sizes=(5,), solver="momentum", learning_rate=0.1)
    infos = []

    def callback(info):
        infos.append((info, info.snapshot()))

    clf = _est(NeuralNetClassifier, engine, max_iter=5, **kw)
    clf.fit(X, y, X_val=X_val, y_val=y_val, callback=callback)
    assert [info.iteration for info, _ in infos] == list(range(5))
    for i, (info, snap) in enumerate(infos):
        assert isinstance(snap, NeuralNetClassifier) and snap.n_iter_ == i + 1
        assert info.cost == clf.history_[i]
        assert info.learning_rate == 0.1
        assert info.validation_score is None
        P = snap.predict_proba(X_val)
        assert info.validation_cost == pytest.approx(log_loss(y_val, P), rel=1e-10)
        short = _est(NeuralNetClassifier, engine, max_iter=i + 1, **kw).fit(X, y)
        np.testing.assert_allclose(P, short.predict_proba(X_val), rtol=1e-12)
        np.testing.assert_array_equal(snap.history_, short.history_)
    # without validation data
    no_val = []
    _est(NeuralNetClassifier, engine, max_iter=2, **kw).fit(X, y, callback=no_val.append)
    assert [info.validation_cost for info in no_val] == [None, None]


@needs_torch
def test_fit_dataset_callback_stops_and_snapshots():
    from logitlab.torch_engine.data import ArrayDataset

    X, y = _multiclass()
    train = ArrayDataset(X[30:], y[30:], dtype=torch.float64)
    val = ArrayDataset(X[:30], y[:30], dtype=torch.float64)
    seen = []

    def callback(info):
        seen.append((info, info.snapshot()))
        return info.iteration == 2

    clf = _est(
        NeuralNetClassifier,
        "torch",
        hidden_layer_sizes=(5,),
        solver="adam",
        learning_rate=0.05,
        batch_size=16,
        max_iter=20,
    ).fit_dataset(train, val_dataset=val, callback=callback)
    assert [info.iteration for info, _ in seen] == [0, 1, 2]
    assert clf.n_iter_ == len(clf.history_) == len(clf.validation_history_) == 3
    for info, snap in seen:
        P = snap.predict_proba(X[:30])
        assert info.validation_cost == pytest.approx(log_loss(y[:30], P), rel=1e-10)
        assert info.learning_rate == 0.05
    np.testing.assert_array_equal(seen[-1][1].predict_proba(X), clf.predict_proba(X))

    def stop(info):
        if info.iteration == 1:
            raise StopTraining

    clf.fit_dataset(train, callback=stop)
    assert clf.n_iter_ == 2


# =================================================================== 5. partial_fit
PARTIAL_FIT_CASES = [
    (LogisticRegression, "binary", {}),
    (SoftmaxRegression, "multiclass", {}),
    (MultiLabelClassifier, "multilabel", {}),
    (NeuralNetClassifier, "binary", {"hidden_layer_sizes": (5,)}),
    (NeuralNetClassifier, "multiclass", {"hidden_layer_sizes": (5,), "dropout": 0.3}),
    (NeuralNetClassifier, "multilabel", {"hidden_layer_sizes": (5,)}),
]


def _task_data(task):
    return {"binary": _binary, "multiclass": _multiclass, "multilabel": _multilabel}[task]()


@pytest.mark.parametrize("solver, batch_size", [("gd", None), ("adam", 16), ("sgd", 7)])
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "cls, task, kw",
    PARTIAL_FIT_CASES,
    ids=[
        f"{c.__name__}-{t}{'-dropout' if 'dropout' in k else ''}" for c, t, k in PARTIAL_FIT_CASES
    ],
)
def test_partial_fit_n_times_equals_fit_max_iter_n(cls, task, kw, engine, solver, batch_size):
    X, y = _task_data(task)
    kw = dict(solver=solver, batch_size=batch_size, learning_rate=0.05, lr_schedule="cosine", **kw)
    fitted = _est(cls, engine, max_iter=4, **kw).fit(X, y)
    partial = _est(cls, engine, max_iter=4, **kw)
    classes = None if task == "multilabel" else np.unique(y)
    for _ in range(4):
        partial.partial_fit(X, y, classes=classes)
    assert partial.n_iter_ == fitted.n_iter_ == 4
    np.testing.assert_allclose(partial.history_, fitted.history_, rtol=1e-12)
    np.testing.assert_allclose(
        partial.network_.theta, fitted.network_.theta, rtol=1e-10, atol=1e-14
    )
    np.testing.assert_array_equal(partial.classes_, fitted.classes_)
    assert fitted.history_[-1] < fitted.history_[0]


def test_partial_fit_needs_classes_first_and_refuses_unknown_labels_later():
    X, y = _multiclass(30)
    labels = np.array(["cat", "dog", "fox"])[y]
    clf = SoftmaxRegression(solver="sgd", batch_size=8)
    with pytest.raises(ValueError, match="classes=.*first call"):
        clf.partial_fit(X, labels)
    # a first batch need not hold every class
    clf.partial_fit(X[labels != "fox"], labels[labels != "fox"], classes=["fox", "cat", "dog"])
    assert list(clf.classes_) == ["cat", "dog", "fox"] and clf.coef_.shape == (3, 5)
    with pytest.raises(ValueError, match="not among the classes.*emu"):
        clf.partial_fit(X, np.where(labels == "dog", "emu", labels))
    with pytest.raises(ValueError, match="not among the classes"):
        SoftmaxRegression(solver="sgd").partial_fit(X, labels, classes=["cat", "dog"])
    Xm, Ym = _multilabel(30)
    ml = MultiLabelClassifier(solver="sgd", batch_size=8).partial_fit(Xm, Ym)
    with pytest.raises(ValueError, match="y has 4 labels, but the model has 3"):
        ml.partial_fit(Xm, np.zeros((30, 4), dtype=int))
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :4], labels)


def test_lbfgs_has_no_partial_fit():
    assert not hasattr(LogisticRegression(solver="lbfgs"), "partial_fit")
    assert not hasattr(NeuralNetClassifier(solver="lbfgs"), "partial_fit")
    assert not hasattr(OneVsAllClassifier(), "partial_fit")  # base: LogisticRegression()
    assert not hasattr(OneVsAllClassifier(LogisticRegression(solver="lbfgs")), "partial_fit")
    for solver in ("gd", "sgd", "momentum", "adam"):
        assert hasattr(NeuralNetClassifier(solver=solver), "partial_fit")


def test_one_vs_all_partial_fit_trains_each_class_like_fit():
    X, y = _multiclass()
    base = LogisticRegression(
        solver="sgd", batch_size=16, learning_rate=0.1, max_iter=3, tol=0, random_state=0
    )
    ova = OneVsAllClassifier(base)
    with pytest.raises(ValueError, match="classes"):
        ova.partial_fit(X, y)
    for _ in range(3):
        ova.partial_fit(X, y, classes=[0, 1, 2])
    fitted = OneVsAllClassifier(base).fit(X, y)
    np.testing.assert_array_equal(ova.n_iter_, [3, 3, 3])
    np.testing.assert_allclose(ova.coef_, fitted.coef_, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(ova.predict_proba(X), fitted.predict_proba(X), rtol=1e-10)
    with pytest.raises(ValueError, match="not among the classes"):
        ova.partial_fit(X, np.where(y == 2, 7, y))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_pickled_model_goes_on_training_like_the_original(engine):
    X, y = _multiclass()
    clf = _est(
        NeuralNetClassifier,
        engine,
        hidden_layer_sizes=(5,),
        solver="adam",
        batch_size=16,
        learning_rate=0.05,
        max_iter=3,
        warm_start=True,
    ).fit(X, y)
    twin = pickle.loads(pickle.dumps(clf))
    for model in (clf, twin):
        model.partial_fit(X, y)
        model.set_params(max_iter=2).fit(X, y)
    assert twin.n_iter_ == clf.n_iter_ == 6
    np.testing.assert_array_equal(twin.history_, clf.history_)
    np.testing.assert_array_equal(twin.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("solver", ["adam", "momentum"])
@pytest.mark.parametrize("engine", ENGINES)
def test_training_leaves_the_state_it_started_from_unchanged(engine, solver):
    """A TrainState is a record: going on from it (twice, if need be) must not change it."""
    X, y = _multiclass()
    clf = _est(
        NeuralNetClassifier,
        engine,
        hidden_layer_sizes=(5,),
        solver=solver,
        batch_size=16,
        learning_rate=0.05,
        max_iter=3,
    ).fit(X, y)
    state = clf.train_state_
    saved = copy.deepcopy(state)
    theta = clf.network_.theta.copy()
    clf.partial_fit(X, y)
    for name in saved.optimizer:
        np.testing.assert_array_equal(state.optimizer[name], saved.optimizer[name])
    first = clf.network_.theta.copy()
    # the same step again from the same state gives the same parameters
    clf.network_.theta[:] = theta
    clf.train_state_, clf.history_, clf.n_iter_ = state, clf.history_[:-1], 3
    clf.partial_fit(X, y)
    np.testing.assert_array_equal(clf.network_.theta, first)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_training_goes_on_after_an_early_stopped_fit(engine, how):
    """The parameters early stopping kept are where training goes on from, not where a
    later run without early stopping (partial_fit, a warm start) must return to."""
    X, y = _multiclass()
    kw = dict(hidden_layer_sizes=(5,), solver="adam", learning_rate=0.05, batch_size=16)
    clf = _est(
        NeuralNetClassifier, engine, early_stopping=True, n_iter_no_change=3, max_iter=100, **kw
    ).fit(X, y)
    assert clf.n_iter_ < 100 and clf.train_state_.monitor["best_theta"] is not None
    # the same continuation from the same parameters, optimiser and generator, without
    # early stopping's leftovers
    fresh = copy.deepcopy(clf)
    fresh.train_state_ = dataclasses.replace(clf.train_state_, monitor={})
    kept = clf.network_.theta.copy()
    for model in (clf, fresh):
        if how == "partial_fit":
            model.partial_fit(X, y)
        else:
            model.set_params(early_stopping=False, warm_start=True, max_iter=3).fit(X, y)
    assert not np.allclose(clf.network_.theta, kept)
    np.testing.assert_array_equal(clf.network_.theta, fresh.network_.theta)
    np.testing.assert_array_equal(clf.history_, fresh.history_)


# ==================================================================== 6. warm_start
@pytest.mark.parametrize("solver", ["adam", "momentum", "sgd"])
@pytest.mark.parametrize("engine", ENGINES)
def test_warm_start_continues_exactly(engine, solver):
    X, y = _multiclass()
    kw = dict(hidden_layer_sizes=(5,), solver=solver, batch_size=16, learning_rate=0.05)
    once = _est(NeuralNetClassifier, engine, max_iter=7, **kw).fit(X, y)
    twice = _est(NeuralNetClassifier, engine, max_iter=4, warm_start=True, **kw).fit(X, y)
    twice.set_params(max_iter=3).fit(X, y)
    assert twice.n_iter_ == once.n_iter_ == 7
    np.testing.assert_allclose(twice.history_, once.history_, rtol=1e-12)
    np.testing.assert_allclose(twice.network_.theta, once.network_.theta, rtol=1e-10, atol=1e-14)
    cold = _est(NeuralNetClassifier, engine, max_iter=4, **kw).fit(X, y)
    cold.set_params(max_iter=3).fit(X, y)  # without warm_start: a fresh fit of 3
    assert cold.n_iter_ == 3


@pytest.mark.parametrize("engine", ENGINES)
def test_warm_start_keeps_the_first_fits_cosine_horizon(engine):
    X, y = _multiclass()
    kw = dict(
        hidden_layer_sizes=(5,),
        solver="adam",
        batch_size=16,
        learning_rate=0.05,
        lr_schedule="cosine",
    )
    # stopped after 4 of 8 iterations, then continued for 4: the run of 8 iterations
    rates = []

    def record(info):
        rates.append(info.learning_rate)
        return info.iteration == 3

    whole = _est(NeuralNetClassifier, engine, max_iter=8, **kw).fit(X, y)
    split = _est(NeuralNetClassifier, engine, max_iter=8, warm_start=True, **kw)
    split.fit(X, y, callback=record)
    assert split.n_iter_ == 4
    split.set_params(max_iter=4).fit(X, y, callback=record)
    assert split.n_iter_ == 8
    expected = [_expected_rate(t, 0.05, "cosine", horizon=8) for t in range(8)]
    np.testing.assert_allclose(rates, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(split.history_, whole.history_, rtol=1e-12)
    np.testing.assert_allclose(split.network_.theta, whole.network_.theta, rtol=1e-10)
    # a finished cosine run continued for 3 more: the rate stays at the horizon's 0
    done = _est(NeuralNetClassifier, engine, max_iter=4, warm_start=True, **kw).fit(X, y)
    theta = done.network_.theta.copy()
    more = []
    done.set_params(max_iter=3).fit(X, y, callback=lambda info: more.append(info.learning_rate))
    expected = [_expected_rate(t, 0.05, "cosine", horizon=4) for t in (4, 5, 6)]
    np.testing.assert_allclose(more, expected, atol=1e-15)
    assert more == [0.0, 0.0, 0.0]
    np.testing.assert_array_equal(done.network_.theta, theta)


@needs_torch
@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_fit_dataset_stopped_and_continued_equals_one_run(dropout):
    from logitlab.torch_engine.data import ArrayDataset

    X, y = _multiclass()
    data = ArrayDataset(X, y, dtype=torch.float64)
    kw = dict(
        hidden_layer_sizes=(5,),
        solver="adam",
        batch_size=16,
        learning_rate=0.05,
        dropout=dropout,
        lr_schedule="cosine",
        max_iter=7,
    )
    once = _est(NeuralNetClassifier, "torch", **kw).fit_dataset(data)
    split = _est(NeuralNetClassifier, "torch", warm_start=True, **kw)
    split.fit_dataset(data, callback=lambda info: info.iteration == 3)
    assert split.n_iter_ == 4
    split.set_params(max_iter=3).fit_dataset(data)
    assert split.n_iter_ == 7
    np.testing.assert_allclose(split.history_, once.history_, rtol=1e-12)
    np.testing.assert_allclose(split.network_.theta, once.network_.theta, rtol=1e-10, atol=1e-14)


# ==================================================================== 7. validation
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_validation_history_without_early_stopping(task, engine):
    X, y = _task_data(task)
    kw = dict(hidden_layer_sizes=(5,), solver="adam", learning_rate=0.05, max_iter=6)
    s_val = np.random.default_rng(0).uniform(0.1, 2.0, 30)
    clf = _est(NeuralNetClassifier, engine, **kw)
    clf.fit(X[30:], y[30:], X_val=X[:30], y_val=y[:30], sample_weight_val=s_val)
    assert len(clf.validation_history_) == clf.n_iter_ == 6
    assert clf.validation_scores_ is None
    P = clf.predict_proba(X[:30])
    if task == "multilabel":
        expected = _multilabel_log_loss(y[:30], P, s_val)
    else:
        expected = log_loss(y[:30], P, sample_weight=s_val)
    # the last entry is measured after the last update: the final model's
    assert clf.validation_history_[-1] == pytest.approx(expected, rel=1e-10)
    no_val = _est(NeuralNetClassifier, engine, **kw).fit(X[30:], y[30:])
    assert no_val.validation_history_ is None
    np.testing.assert_array_equal(no_val.network_.theta, clf.network_.theta)  # only watched


@pytest.mark.parametrize("engine", ENGINES)
def test_validation_cost_is_the_class_weighted_objective(engine):
    X, y = _multiclass()
    clf = _est(
        NeuralNetClassifier,
        engine,
        class_weight="balanced",
        hidden_layer_sizes=(5,),
        solver="adam",
        learning_rate=0.05,
        max_iter=3,
    ).fit(X[30:], y[30:], X_val=X[:30], y_val=y[:30])
    per_class = compute_class_weight("balanced", classes=np.arange(3), y=y[30:])
    P = clf.predict_proba(X[:30])
    expected = log_loss(y[:30], P, sample_weight=per_class[y[:30]])
    assert clf.validation_history_[-1] == pytest.approx(expected, rel=1e-10)


@needs_torch
@pytest.mark.parametrize("scoring", ["loss", "accuracy"])
def test_fit_dataset_validation_cost_is_the_class_weighted_objective_too(scoring):
    """fit_dataset's val_dataset is measured as fit's X_val: with class weights, the
    weighted cost (and score) of the training objective."""
    from logitlab.torch_engine.data import ArrayDataset

    X, y = _multiclass()
    train = ArrayDataset(X[30:], y[30:], dtype=torch.float64)
    val = ArrayDataset(X[:30], y[:30], dtype=torch.float64)
    clf = _est(
        NeuralNetClassifier,
        "torch",
        class_weight="balanced",
        hidden_layer_sizes=(5,),
        solver="adam",
        learning_rate=0.05,
        batch_size=16,
        max_iter=3,
        validation_scoring=scoring,
    ).fit_dataset(train, val_dataset=val)
    per_class = compute_class_weight("balanced", classes=np.arange(3), y=y[30:])
    w = per_class[y[:30]]
    P = clf.predict_proba(X[:30])
    assert clf.validation_history_[-1] == pytest.approx(
        log_loss(y[:30], P, sample_weight=w), rel=1e-10
    )
    if scoring == "accuracy":
        assert clf.validation_scores_[-1] == pytest.approx(
            accuracy_score(y[:30], clf.predict(X[:30]), sample_weight=w), rel=1e-12
        )


def _validation_cost(clf, X, y):
    P = clf.predict_proba(X)
    return _multilabel_log_loss(y, P) if y.ndim == 2 else log_loss(y, P)


def _validation_score(clf, X, y, scoring):
    if scoring == "accuracy":
        return accuracy_score(y, clf.predict(X))  # exact match for multi-label
    return hamming_loss(y, clf.predict(X))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("scoring", ["loss", "accuracy", "hamming"])
@pytest.mark.parametrize("task", ["multiclass", "multilabel"])
def test_early_stopping_restores_the_best_parameters(task, scoring, engine):
    X, y = _task_data(task)
    X_val, y_val, X, y = X[:40], y[:40], X[40:], y[40:]  # a small training set overfits
    clf = _est(
        NeuralNetClassifier,
        engine,
        hidden_layer_sizes=(20,),
        solver="adam",
        learning_rate=0.05,
        batch_size=8,
        max_iter=200,
        early_stopping=True,
        n_iter_no_change=4,
        validation_scoring=scoring,
    ).fit(X, y, X_val=X_val, y_val=y_val)
    assert clf.n_iter_ < 200
    assert len(clf.validation_history_) == clf.n_iter_
    if scoring == "loss":
        best = int(np.argmin(clf.validation_history_))
    else:
        assert len(clf.validation_scores_) == clf.n_iter_
        sign = -1 if scoring == "accuracy" else 1
        best = int(np.argmin(sign * clf.validation_scores_))  # the first of the best
        assert _validation_score(clf, X_val, y_val, scoring) == pytest.approx(
            clf.validation_scores_[best], rel=1e-12
        )
    assert best == clf.n_iter_ - 1 - 4  # then 4 iterations without improvement
    final = _validation_cost(clf, X_val, y_val)
    assert final == pytest.approx(clf.validation_history_[best], rel=1e-10)
    assert final != pytest.approx(clf.validation_history_[-1], rel=1e-6)  # not the last


def test_validation_labels_must_be_training_labels():
    X, y = _multiclass(40)
    labels = np.array(["a", "b", "c"])[y]
    with pytest.raises(ValueError, match="not among the classes.*'z'"):
        SoftmaxRegression().fit(X, labels, X_val=X[:5], y_val=["a", "b", "z", "a", "b"])
    with pytest.raises(ValueError, match="not among the classes"):
        LogisticRegression().fit(X, y == 0, X_val=X[:3], y_val=[0, 1, 2])
    Xm, Ym = _multilabel(40)
    with pytest.raises(ValueError, match="labels"):
        MultiLabelClassifier().fit(Xm, Ym, X_val=Xm[:5], y_val=Ym[:5, :2])
    with pytest.raises(ValueError, match="both X_val and y_val"):
        SoftmaxRegression().fit(X, labels, X_val=X[:5])
    with pytest.raises(ValueError, match="rows"):
        SoftmaxRegression().fit(X, labels, X_val=X[:5], y_val=labels[:4])
    with pytest.raises(ValueError, match="features"):
        SoftmaxRegression().fit(X, labels, X_val=X[:5, :3], y_val=labels[:5])


def test_multilabel_early_stopping_holds_out_an_iteratively_stratified_split(monkeypatch):
    rng = np.random.default_rng(0)
    m = 200
    X = rng.standard_normal((m, 4))
    Y = (rng.random((m, 6)) < [0.05, 0.1, 0.25, 0.5, 0.3, 0.15]).astype(int)
    seen = {}
    split, train = estimators_module.stratified_split, numpy_engine.train

    def spy_split(y, *args, **kwargs):
        seen["y"] = np.asarray(y)
        return split(y, *args, **kwargs)

    def spy_train(net, X, Y, config, **kwargs):
        seen["X"], seen["Y"], seen["X_val"], seen["Y_val"] = X, Y, kwargs["X_val"], kwargs["Y_val"]
        return train(net, X, Y, config, **kwargs)

    monkeypatch.setattr(estimators_module, "stratified_split", spy_split)
    monkeypatch.setattr(numpy_engine, "train", spy_train)
    for seed in range(3):
        MultiLabelClassifier(
            solver="gd",
            early_stopping=True,
            validation_fraction=0.2,
            max_iter=3,
            random_state=seed,
        ).fit(X, Y)
        np.testing.assert_array_equal(seen["y"], Y)  # split on the whole indicator matrix
        X_val, Y_val = seen["X_val"].T, seen["Y_val"].T
        assert X_val.shape == (40, 4) and seen["X"].shape == (4, 160)
        # the held-out rows are rows of (X, Y), apart from the training rows
        rows = [int(np.flatnonzero((X == x).all(axis=1))[0]) for x in X_val]
        np.testing.assert_array_equal(Y[rows], Y_val)
        assert not set(map(tuple, X_val.round(12))) & set(map(tuple, seen["X"].T.round(12)))
        # every label keeps its share to within one example (a random split of these
        # data does that about once in 500 draws)
        assert np.all(np.abs(Y_val.sum(0) - 0.2 * Y.sum(0)) <= 1), (Y_val.sum(0), Y.sum(0))


def test_a_callback_returning_numpy_true_stops_training():
    X, y = make_moons(60, noise=0.2, random_state=0)
    clf = LogisticRegression(solver="gd", max_iter=50, tol=0).fit(
        X,
        y,
        callback=lambda info: np.float64(info.iteration) >= 4,  # np.True_ at 4
    )
    assert clf.n_iter_ == 5


def test_a_wrong_sample_weight_val_is_named():
    X, y = make_moons(60, noise=0.2, random_state=0)
    with pytest.raises(ValueError, match="sample_weight_val"):
        LogisticRegression().fit(X, y, X_val=X[:10], y_val=y[:10], sample_weight_val=[1.0] * 9)


def test_class_weights_that_trade_accuracy_for_the_rare_class_are_not_called_learning_nothing():
    # balanced weights give up accuracy on the frequent class, as asked: plain accuracy
    # falls below always predicting it, but the weighted one is far above
    X, y = make_classification(2000, 20, weights=[0.97, 0.03], flip_y=0.05, class_sep=0.5,
                               random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = LogisticRegression(class_weight="balanced", tol=1e-6, max_iter=500).fit(X, y)
    assert np.mean(clf.predict(X) == y) < 1 - y.mean()  # the case the warning mistook
    with pytest.warns(ConvergenceWarning, match="weighted accuracy 0.500"):
        # features that say nothing: under balanced weights, no better than a constant
        LogisticRegression(class_weight="balanced").fit(np.zeros_like(X), y)


def test_positive_weights_are_counted_in_the_learned_nothing_check():
    X, Y = make_multilabel_classification(600, 20, n_classes=6, random_state=0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = MultiLabelClassifier(pos_weight=[20.0] * 6, tol=1e-6, max_iter=500).fit(X, Y)
    plain_error = np.mean(clf.predict(X) != Y)
    assert plain_error >= np.mean(np.minimum(Y.mean(axis=0), 1 - Y.mean(axis=0)))
