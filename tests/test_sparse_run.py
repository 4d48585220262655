"""A sparse ARFF file through the run layer (``logitlab train/evaluate/predict``): the
features stay CSR from the file to the estimator, scaled without centring."""

import numpy as np
import pytest
import scipy.sparse as sp

import logitlab.data.errors
from _cli import one_line_error
from _cli import run as cli_run
from logitlab import MultiLabelClassifier
from logitlab.data import load_source
from logitlab.data.arff import write_sparse_arff
from logitlab.data.synthetic import make_sparse_text
from logitlab.run import (
    Preprocessing,
    RunSettings,
    evaluate_run,
    load_run,
    load_split,
    predict_run,
    train_run,
)

N_LABELS = 4


@pytest.fixture
def sparse_files(tmp_path):
    """train.arff (80 rows) and test.arff (40 rows): 30 features with values of
    several sizes (so that scaling shows), 4 {0,1} labels."""
    X, Y = make_sparse_text(120, 30, N_LABELS, length=8, random_state=0)
    X = X.multiply(np.random.default_rng(0).uniform(0.5, 20.0, size=30)).tocsr()
    write_sparse_arff(tmp_path / "train.arff", X[:80], Y[:80])
    write_sparse_arff(tmp_path / "test.arff", X[80:], Y[80:])
    return tmp_path / "train.arff", tmp_path / "test.arff", X, Y


def _settings(train, test, **kw):
    return RunSettings(
        data=str(train), test=str(test), labels=f"last:{N_LABELS}", model="multilabel", **kw
    )


def test_load_split_keeps_the_rows_sparse(sparse_files):
    train, test, X, Y = sparse_files
    data, tr, te, val = load_split(_settings(train, test))
    assert all(sp.issparse(d.X) for d in (data, tr, te)) and val is None
    np.testing.assert_array_equal(te.X.toarray(), X[80:].toarray())
    _, tr, te, _ = load_split(RunSettings(data=str(train), labels=f"last:{N_LABELS}"))
    assert sp.issparse(tr.X) and sp.issparse(te.X) and tr.n_samples + te.n_samples == 80


def test_sparse_data_is_scaled_by_its_largest_value_and_stays_sparse(sparse_files):
    train, _, X, _ = sparse_files
    data = load_source(train, labels=f"last:{N_LABELS}")
    pre = Preprocessing.fit(data, data, standardize=True, loader={})
    assert not np.any(pre.mean)  # never centred
    np.testing.assert_array_equal(pre.scale, abs(X[:80]).max(axis=0).toarray().ravel())
    scaled = pre.apply(data.X)
    assert sp.issparse(scaled) and scaled.nnz == data.X.nnz
    assert data.X.data.max() > 1 and abs(scaled).max() == 1.0  # a scaled copy,
    assert data.X.data.max() == X[:80].max()  # the data left as it was
    # the same numbers as the dense formula, so predict may get either
    np.testing.assert_array_equal(scaled.toarray(), pre.apply(data.X.toarray()))
    back = Preprocessing.from_dict(pre.to_dict(), n_features=30, n_outputs=N_LABELS)
    np.testing.assert_array_equal(back.apply(data.X).toarray(), scaled.toarray())
    # a model trained on centred dense data reads sparse rows made dense
    dense = Preprocessing("multilabel", list("abcd"), 30, mean=np.ones(30), scale=np.full(30, 2.0))
    np.testing.assert_array_equal(dense.apply(data.X), (data.X.toarray() - 1) / 2)
    # the fingerprint is of the non-zeros: the same data, the same; one value, another
    again = Preprocessing.fit(data, data, standardize=True, loader={})
    assert again.fingerprint == pre.fingerprint
    data.X.data[0] += 1
    assert Preprocessing.fit(data, data, standardize=True, loader={}).fingerprint != pre.fingerprint


def test_the_scaled_copy_is_checked_against_the_memory(sparse_files, tmp_path, monkeypatch):
    train, test, _, _ = sparse_files
    monkeypatch.setattr(logitlab.data.errors, "available_memory", lambda: 100)
    args = ["train", "--data", train, "--test", test, "--labels", f"last:{N_LABELS}"]
    one_line_error(
        cli_run(*args, "--model", "multilabel", "--out", tmp_path / "r"),
        "--standardize: a scaled copy of the sparse features",
        "non-zeros",
    )


@pytest.fixture
def sparse_spy(monkeypatch):
    """MultiLabelClassifier, recording whether each call got a sparse X, fed dense:
    the run layer's path is tested apart from the estimators' sparse support."""
    seen = []
    for name in ("fit", "predict", "predict_proba"):
        original = getattr(MultiLabelClassifier, name)

        def spy(self, X, *args, _original=original, _name=name, **kw):
            seen.append((_name, sp.issparse(X)))
            return _original(self, X.toarray() if sp.issparse(X) else X, *args, **kw)

        monkeypatch.setattr(MultiLabelClassifier, name, spy)
    return seen


def test_train_evaluate_predict_hand_the_estimator_csr(sparse_files, tmp_path, sparse_spy):
    train, test, X, Y = sparse_files
    result = train_run(_settings(train, test), tmp_path / "run")
    assert sparse_spy and all(is_sparse for _, is_sparse in sparse_spy), sparse_spy
    assert ("fit", True) in sparse_spy
    est, pre = load_run(tmp_path / "run")
    np.testing.assert_array_equal(pre.scale, abs(X[:80]).max(axis=0).toarray().ravel())
    # the figures are those of the model on the scaled test rows
    pred = est.predict(pre.apply(X[80:]).toarray())
    hamming = float(np.mean(pred != Y[80:]))
    assert result.metrics["hamming_loss"] == pytest.approx(hamming, abs=1e-12)
    sparse_spy.clear()
    assert evaluate_run(tmp_path / "run", str(test))["hamming_loss"] == pytest.approx(hamming)
    rows = predict_run(tmp_path / "run", [str(test)])
    assert sparse_spy and all(is_sparse for _, is_sparse in sparse_spy), sparse_spy
    assert [r["input"] for r in rows] == [f"{test}:{i + 1}" for i in range(40)]
    names = [f"l{k}" for k in range(N_LABELS)]
    expected = [[names[k] for k in np.flatnonzero(p)] for p in pred]
    assert [r["labels"] for r in rows] == expected


def test_the_command_trains_on_a_sparse_arff(sparse_files, tmp_path):
    """No spy: the estimator gets CSR, and its model is the one the dense copy gives."""
    train, test, X, Y = sparse_files
    result = train_run(_settings(train, test), tmp_path / "run")
    est, pre = load_run(tmp_path / "run")
    dense = MultiLabelClassifier(**est.get_params())
    dense.fit(pre.apply(X[:80]).toarray(), Y[:80])
    np.testing.assert_allclose(est.coef_, dense.coef_, rtol=1e-7, atol=1e-9)
    pred = est.predict(pre.apply(X[80:]))
    assert result.metrics["hamming_loss"] == pytest.approx(np.mean(pred != Y[80:]), abs=1e-12)
    rows = predict_run(tmp_path / "run", [str(test)])
    assert len(rows) == 40
