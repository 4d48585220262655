"""Classifier chains (ClassifierChainEnsemble) and thresholds chosen by cross-validation."""

import json
import time
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import f1_score
from sklearn.multioutput import ClassifierChain

import logitlab.run as run_module
from _cli import one_line_error, run
from _sparse_trap import refuse_densifying
from logitlab import (
    ClassifierChainEnsemble,
    LogisticRegression,
    MultiLabelClassifier,
    NeuralNetClassifier,
)
from logitlab.estimators import THRESHOLD_GRID, cv_thresholds
from logitlab.io import ModelFileError, load_model, save_model
from logitlab.run import Interrupted, Progress, RunSettings, resume_run, train_run


def _data(m=240, n=5, seed=0):
    """Three labels; label 2 depends on labels 0 and 1 (their AND), as chains can use."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n))
    a = X[:, 0] + 0.5 * rng.normal(size=m) > 0
    b = X[:, 1] + 0.5 * rng.normal(size=m) > 0
    Y = np.column_stack([a, b, a & b]).astype(np.int64)
    return X, Y


# ------------------------------------------------------------------ the chains
@pytest.mark.parametrize("chain_method", ["predict", "predict_proba"])
def test_one_chain_is_scikit_learns_classifier_chain(chain_method):
    X, Y = _data()
    order = [2, 0, 1]
    ours = ClassifierChainEnsemble(
        LogisticRegression(), n_chains=1, order=order, chain_method=chain_method
    ).fit(X, Y)
    theirs = ClassifierChain(LogisticRegression(), order=order, chain_method=chain_method)
    theirs.fit(X, Y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-10)
    assert [list(o) for o in ours.orders_] == [order]
    # the k-th classifier takes the features and the k earlier labels
    assert [e.n_features_in_ for e in ours.estimators_[0]] == [5, 6, 7]


def test_the_ensemble_averages_its_chains():
    X, Y = _data()
    ens = ClassifierChainEnsemble(n_chains=4, random_state=0).fit(X, Y)
    assert len({tuple(o) for o in ens.orders_}) > 1  # random orders differ
    singles = [
        ClassifierChainEnsemble(n_chains=1)
        .set_fitted([chain], orders=[order], n_features_in=X.shape[1])
        .predict_proba(X)
        for order, chain in zip(ens.orders_, ens.estimators_)
    ]
    np.testing.assert_allclose(ens.predict_proba(X), np.mean(singles, axis=0), atol=1e-12)
    np.testing.assert_array_equal(ens.predict(X), ens.predict_proba(X) > 0.5)


def test_chains_use_the_earlier_labels():
    """Label 2 is the AND of labels 0 and 1: a chain that sees them predicts it better
    than a classifier of the features alone (binary relevance)."""
    X, Y = _data(m=600)
    Xt, Yt = _data(m=2000, seed=1)
    chain = ClassifierChainEnsemble(n_chains=1, order=[0, 1, 2], chain_method="predict")
    chain.fit(X, Y)
    alone = MultiLabelClassifier().fit(X, Y)
    # with 0/1 earlier labels, the last classifier learns the AND almost exactly; on its
    # own it can only draw a line through a quadrant
    chained_errors = np.mean(chain.predict(Xt)[:, 2] != Yt[:, 2])
    alone_errors = np.mean(alone.predict(Xt)[:, 2] != Yt[:, 2])
    assert chained_errors <= alone_errors


def test_cross_validated_earlier_labels_change_training():
    X, Y = _data()
    forced = ClassifierChainEnsemble(n_chains=1, order=[0, 1, 2], random_state=0).fit(X, Y)
    cv = ClassifierChainEnsemble(n_chains=1, order=[0, 1, 2], cv=3, random_state=0).fit(X, Y)
    # the first classifier sees no earlier label: the same either way
    np.testing.assert_allclose(forced.estimators_[0][0].coef_, cv.estimators_[0][0].coef_)
    # the last saw true labels in one and out-of-fold probabilities in the other
    assert not np.allclose(forced.estimators_[0][2].coef_, cv.estimators_[0][2].coef_)


def test_integer_sample_weights_equal_repeated_rows():
    X, Y = _data(m=120)
    w = np.arange(120) % 3
    keep = np.repeat(np.arange(120), w)
    est = ClassifierChainEnsemble(n_chains=2, random_state=0)
    weighted = est.fit(X, Y, sample_weight=w).predict_proba(X)
    repeated = ClassifierChainEnsemble(n_chains=2, random_state=0).fit(X[keep], Y[keep])
    np.testing.assert_allclose(weighted, repeated.predict_proba(X), atol=1e-6)


def test_a_network_base_trains_alike_on_both_engines():
    pytest.importorskip("torch")
    X, Y = _data(m=100)
    probs = []
    for engine in ("numpy", "torch"):
        base = NeuralNetClassifier((4,), batch_size=None, max_iter=10, tol=0, engine=engine)
        est = ClassifierChainEnsemble(base, n_chains=2, random_state=0).fit(X, Y)
        assert all(e.engine_ == engine for chain in est.estimators_ for e in chain)
        probs.append(est.predict_proba(X))
    np.testing.assert_allclose(probs[0], probs[1], atol=1e-6)


def test_sparse_input_stays_sparse():
    """With a base that takes CSR input, the chain appends the label columns to the
    sparse matrix (scipy.sparse.hstack) and gives what the dense matrix gives."""
    X, Y = _data()
    X[np.abs(X) < 0.8] = 0
    base = SkLogisticRegression()
    dense = ClassifierChainEnsemble(base, n_chains=2, random_state=0).fit(X, Y)
    csr = ClassifierChainEnsemble(base, n_chains=2, random_state=0).fit(sp.csr_matrix(X), Y)
    np.testing.assert_allclose(dense.predict_proba(X), csr.predict_proba(sp.csr_matrix(X)))


@pytest.mark.parametrize(
    "base, chain_method, cv",
    [
        (LogisticRegression(engine="numpy"), "predict_proba", None),
        (
            NeuralNetClassifier((4,), solver="adam", batch_size=32, max_iter=5, engine="numpy"),
            "predict",
            3,
        ),
    ],
    ids=["logistic", "mlp-predict-cv"],
)
def test_sparse_x_through_logitlabs_estimators_is_never_densified(
    base, chain_method, cv, monkeypatch
):
    """Chains of logitlab's own estimators on CSR X: the same models as on the dense X
    (the label columns are appended to the sparse matrix, which the engines read as
    sparse), and no step of fit or predict densifies a matrix."""
    X, Y = _data()
    X[np.abs(X) < 0.8] = 0
    params = dict(n_chains=2, chain_method=chain_method, cv=cv, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # five epochs: convergence warnings
        dense = ClassifierChainEnsemble(base, **params).fit(X, Y)
        refuse_densifying(monkeypatch)
        csr = ClassifierChainEnsemble(base, **params).fit(sp.csr_matrix(X), Y)
        P = csr.predict_proba(sp.csr_matrix(X))
    np.testing.assert_allclose(P, dense.predict_proba(X), rtol=0, atol=1e-10)
    for chain_dense, chain_csr in zip(dense.estimators_, csr.estimators_):
        for a, b in zip(chain_dense, chain_csr):
            np.testing.assert_allclose(b.network_.theta, a.network_.theta, rtol=0, atol=1e-10)
    with pytest.raises(AssertionError, match="densified"):  # the trap works
        sp.csr_matrix(X).toarray()


def test_feature_names_are_kept_and_checked():
    pd = pytest.importorskip("pandas")
    X, Y = _data()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = ClassifierChainEnsemble(n_chains=2, random_state=0).fit(frame, Y)
    assert list(est.feature_names_in_) == list(frame.columns)
    with pytest.raises(ValueError, match="feature names"):
        est.predict(frame[frame.columns[::-1]])


@pytest.mark.parametrize(
    "params, y_edit, match",
    [
        ({}, lambda Y: Y[:, 0], "indicator matrix"),
        ({}, lambda Y: Y * 2, "only 0 and 1"),
        ({}, lambda Y: np.column_stack([Y, np.zeros(len(Y), int)]), "label 3 has one class only"),
        ({"order": [0, 0, 1]}, lambda Y: Y, "permutation"),
        ({"order": [[0, 1, 2]] * 3, "n_chains": 2}, lambda Y: Y, "one per"),
    ],
)
def test_bad_input_is_named(params, y_edit, match):
    X, Y = _data(m=60)
    with pytest.raises(ValueError, match=match):
        ClassifierChainEnsemble(**params).fit(X, y_edit(Y))


# ------------------------------------------------------------------ thresholds
@settings(max_examples=40, deadline=None)
@given(
    P=arrays(np.float64, (30, 2), elements=st.floats(0, 1)),
    Y=arrays(np.int64, (30, 2), elements=st.integers(0, 1)),
    scoring=st.sampled_from(["hamming", "f1"]),
)
def test_chosen_thresholds_are_the_best_candidates(P, Y, scoring):
    """Each label's threshold scores best among the candidates, by scikit-learn's own
    measure of the errors or of F1."""
    from logitlab.estimators import _best_thresholds

    chosen = _best_thresholds(P, Y, scoring)
    for j in range(2):

        def score(predicted, j=j):
            if scoring == "hamming":
                return -np.sum(predicted != Y[:, j])
            return f1_score(Y[:, j], predicted, zero_division=1.0)

        # the candidates give at most 31 different predictions: score each once
        outcomes = {tuple(P[:, j] > t) for t in THRESHOLD_GRID}
        best = max(score(np.array(o)) for o in outcomes)
        assert score(P[:, j] > chosen[j]) >= best - 1e-12
        assert chosen[j] in THRESHOLD_GRID


def test_cv_threshold_lowers_the_errors_of_a_shifted_label():
    """A rare label whose probabilities a strong penalty squeezes towards its base rate:
    0.5 predicts it never, the threshold chosen on held-out folds finds it."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2))
    Y = np.column_stack([X[:, 0] > 1.0, X[:, 1] > 0]).astype(int)
    Xt = rng.normal(size=(3000, 2))
    Yt = np.column_stack([Xt[:, 0] > 1.0, Xt[:, 1] > 0]).astype(int)
    fixed = MultiLabelClassifier(alpha=300).fit(X, Y)
    tuned = MultiLabelClassifier(alpha=300, threshold="cv", random_state=0).fit(X, Y)
    assert tuned.thresholds_.shape == (2,)
    np.testing.assert_array_equal(tuned.predict(Xt), tuned.predict_proba(Xt) > tuned.thresholds_)
    # the same network (cross-validation only sets the thresholds)
    np.testing.assert_allclose(tuned.predict_proba(Xt), fixed.predict_proba(Xt))
    assert np.mean(tuned.predict(Xt) != Yt) < np.mean(fixed.predict(Xt) != Yt)
    assert fixed.thresholds_ is None


def test_cv_thresholds_are_those_of_the_out_of_fold_probabilities():
    X, Y = _data()
    net = NeuralNetClassifier(
        (4,), solver="lbfgs", threshold="cv", threshold_scoring="f1", random_state=0
    )
    net.fit(X, Y)
    expected = cv_thresholds(
        NeuralNetClassifier((4,), solver="lbfgs", random_state=0),
        X,
        Y,
        scoring="f1",
        random_state=0,
    )
    np.testing.assert_array_equal(net.thresholds_, expected)
    chain = ClassifierChainEnsemble(n_chains=2, threshold="cv", random_state=0).fit(X, Y)
    assert chain.thresholds_.shape == (3,)
    np.testing.assert_array_equal(chain.predict(X), chain.predict_proba(X) > chain.thresholds_)


def test_cv_threshold_needs_the_whole_training_set():
    X, Y = _data(m=40)
    est = MultiLabelClassifier(solver="sgd", threshold="cv")
    with pytest.raises(ValueError, match="threshold='cv'.*partial_fit"):
        est.partial_fit(X, Y)
    # the fixed thresholds still work as they did
    fixed = MultiLabelClassifier(threshold=[0.2, 0.5, 0.8]).fit(X, Y)
    np.testing.assert_array_equal(
        fixed.predict(X), fixed.predict_proba(X) > np.array([0.2, 0.5, 0.8])
    )


# ------------------------------------------------------------------ model files
@pytest.mark.parametrize("base", [None, NeuralNetClassifier((3,), solver="lbfgs", max_iter=30)])
def test_chains_and_thresholds_survive_a_model_file(tmp_path, base):
    X, Y = _data()
    est = ClassifierChainEnsemble(base, n_chains=2, threshold="cv", threshold_cv=3)
    est.set_params(random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence of the 30-iteration networks
        est.fit(X, Y)
    save_model(est, tmp_path / "m.safetensors")
    loaded = load_model(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    np.testing.assert_array_equal(loaded.thresholds_, est.thresholds_)
    assert [list(o) for o in loaded.orders_] == [list(o) for o in est.orders_]
    net = MultiLabelClassifier(threshold="cv", random_state=0).fit(X, Y)
    save_model(net, tmp_path / "n.safetensors")
    np.testing.assert_array_equal(
        load_model(tmp_path / "n.safetensors").thresholds_, net.thresholds_
    )


def _tampered(path, edit):
    """The model file with its JSON description edited and the checksum recomputed."""
    from safetensors.numpy import load_file, safe_open, save_file

    from logitlab.io import _checksum

    with safe_open(str(path), "np") as f:
        metadata = f.metadata()
    tensors = load_file(str(path))
    record = json.loads(metadata["model"])
    edit(record)
    metadata["model"] = json.dumps(record)
    metadata["checksum"] = _checksum(tensors, metadata)
    save_file(tensors, str(path), metadata=metadata)


@pytest.mark.parametrize(
    "what, edit, match",
    [
        ("1e9 chains", lambda r: r["params"].update(n_chains=10**9), "n_chains is 1000000000"),
        ("an order of 1e9 labels", lambda r: r["orders"][0].extend(range(3, 10**5)), "order 0"),
        ("a chain more", lambda r: r["orders"].append([0, 1, 2]), "orders"),
        ("a classifier less", lambda r: r["chains"][1].pop(), "chain 1 does not hold"),
        ("swapped classifiers", lambda r: r["chains"][0].reverse(), r"estimators_\[0\]\[0\]"),
        ("thresholds of 1e5 labels", lambda r: r.update(thresholds=[0.5] * 10**5), "thresholds"),
    ],
)
def test_a_tampered_chain_file_is_refused_before_allocation(tmp_path, what, edit, match):
    X, Y = _data(m=60)
    est = ClassifierChainEnsemble(n_chains=2, threshold="cv", threshold_cv=2, random_state=0)
    path = tmp_path / "m.safetensors"
    save_model(est.fit(X, Y), path)
    _tampered(path, edit)
    start = time.perf_counter()
    with pytest.raises(ModelFileError, match=match):
        load_model(path)
    assert time.perf_counter() - start < 2, what


# ------------------------------------------------------------------ the command
@pytest.fixture
def label_table(tmp_path):
    """A CSV of 5 features and 3 labels (the last three columns)."""
    X, Y = _data(m=200)
    path = tmp_path / "labels.csv"
    header = ",".join([f"x{i}" for i in range(5)] + ["a", "b", "both"])
    rows = [",".join(map(str, [*x, *y])) for x, y in zip(X.round(4), Y)]
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def test_train_chains_with_cv_thresholds(tmp_path, label_table):
    from logitlab.run import evaluate_run, predict_run

    out = tmp_path / "run"
    result = run(
        "train", "--data", label_table, "--labels", "last:3", "--model", "chains",
        "--chains", "2", "--threshold", "cv", "--threshold-scoring", "f1", "--device", "cpu",
        "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output + result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["thresholds"]) == 3 and metrics["engine"] == "numpy"
    est = load_model(out / "model.safetensors")
    assert isinstance(est, ClassifierChainEnsemble) and len(est.estimators_) == 2
    assert est.get_params()["threshold_scoring"] == "f1"
    assert json.loads((out / "settings.json").read_text())["chains"] == 2
    assert evaluate_run(out, str(label_table), labels="last:3")["hamming_loss"] < 0.5
    assert len(predict_run(out, [str(label_table)])) == 200
    # like one-vs-all, chains have no epochs and write no checkpoint: nothing to resume
    resumed = run("train", "--resume", out)
    assert resumed.exit_code == 2 and "no checkpoint" in resumed.stderr


def test_train_a_network_with_cv_thresholds(tmp_path, label_table):
    out = tmp_path / "run"
    result = run(
        "train", "--data", label_table, "--labels", "last:3", "--model", "mlp", "--hidden",
        "4", "--solver", "lbfgs", "--threshold", "cv", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output + result.stderr
    assert load_model(out / "model.safetensors").thresholds_.shape == (3,)


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--model", "multilabel", "--chains", "3"], "--chains sets up classifier chains"),
        (["--model", "chains", "--pos-weight", "balanced"], "--pos-weight"),
        (["--model", "multilabel", "--threshold-scoring", "f1"], "add --threshold cv"),
        (["--model", "chains", "--dropout", "0.1"], "--dropout"),
    ],
)
def test_chain_options_that_cannot_apply_are_refused(tmp_path, label_table, args, needle):
    result = run("train", "--data", label_table, "--labels", "last:3", *args, "--out", tmp_path)
    one_line_error(result, needle)


def test_threshold_is_refused_for_single_label_data(tmp_path):
    result = run("train", "--data", "iris", "--threshold", "0.3", "--out", tmp_path / "r")
    one_line_error(result, "--threshold", "multiclass")
    bad = run("train", "--data", "iris", "--threshold", "1.5", "--out", tmp_path / "r")
    assert bad.exit_code == 2 and "from 0 to 1 or 'cv'" in bad.output + bad.stderr


class _StopAt(Progress):
    """Ctrl-C once iteration ``at`` is done (None: after training, before the model
    is saved)."""

    def __init__(self, at=None):
        self.at = at

    def update(self, done, cost, validation_cost=None):
        if done == self.at:
            raise KeyboardInterrupt

    def stop(self):
        if self.at is None:
            raise KeyboardInterrupt


@pytest.mark.parametrize("stop_at", [5, None], ids=["mid-run", "after the last epoch"])
def test_a_resumed_run_with_cv_thresholds_ends_as_if_left_alone(
    tmp_path, label_table, monkeypatch, stop_at
):
    monkeypatch.setattr(run_module, "CHECKPOINT_SECONDS", 0.0)
    settings = RunSettings(
        data=str(label_table), labels="last:3", model="mlp", hidden=(4,), solver="adam",
        batch_size=32, lr=0.01, epochs=12, tol=0, early_stopping=False, threshold="cv",
    )  # fmt: skip
    whole = train_run(settings, tmp_path / "whole").estimator
    with warnings.catch_warnings(), pytest.raises((Interrupted, KeyboardInterrupt)):
        warnings.simplefilter("ignore")
        train_run(settings, tmp_path / "run", _StopAt(stop_at))
    checkpoint = load_model(tmp_path / "run" / "checkpoint.safetensors")
    np.testing.assert_array_equal(checkpoint.thresholds_, whole.thresholds_)
    resumed = resume_run(tmp_path / "run").estimator
    np.testing.assert_array_equal(resumed.thresholds_, whole.thresholds_)
    np.testing.assert_allclose(resumed.network_.theta, whole.network_.theta, atol=1e-12)
