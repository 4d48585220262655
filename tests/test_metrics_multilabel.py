"""Multi-label metrics (issue 12 §2): MULAN's set, each equal to scikit-learn's function
where it has one; one-error, which it lacks; the edge cases a user meets; and what
``logitlab train``/``evaluate`` write and show."""

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import (
    accuracy_score,
    coverage_error,
    hamming_loss,
    jaccard_score,
    label_ranking_average_precision_score,
    label_ranking_loss,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)
from sklearn.multiclass import OneVsRestClassifier

from _cli import run
from logitlab.report.metrics import compute_metrics, one_error

RANKING = ("one_error", "coverage_error", "label_ranking_loss", "label_ranking_average_precision")
ROC = ("roc_auc_micro", "roc_auc_macro", "roc_auc_per_label", "roc_auc_undefined_labels")


def metrics_strict(*args, **kwargs):
    """compute_metrics with every warning an error (sklearn's UndefinedMetricWarning, …)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return compute_metrics(*args, **kwargs)


def check_against_sklearn(m, Y, Y_pred, P):
    """Every figure of ``m`` that scikit-learn has, recomputed with scikit-learn."""
    assert m["hamming_loss"] == hamming_loss(Y, Y_pred)
    assert m["subset_accuracy"] == accuracy_score(Y, Y_pred)
    assert m["jaccard_samples"] == pytest.approx(
        jaccard_score(Y, Y_pred, average="samples", zero_division=1), rel=1e-12
    )
    for average in ("micro", "macro"):
        p, r, f, _ = precision_recall_fscore_support(Y, Y_pred, average=average, zero_division=0)
        assert (m[f"precision_{average}"], m[f"recall_{average}"], m[f"f1_{average}"]) == (p, r, f)
    assert m["multilabel_confusion_matrix"] == multilabel_confusion_matrix(Y, Y_pred).tolist()
    if P is None:
        return
    assert m["coverage_error"] == pytest.approx(coverage_error(Y, P), rel=1e-12)
    assert m["label_ranking_loss"] == pytest.approx(label_ranking_loss(Y, P), rel=1e-12)
    assert m["label_ranking_average_precision"] == pytest.approx(
        label_ranking_average_precision_score(Y, P), rel=1e-12
    )
    defined = Y.min(axis=0) != Y.max(axis=0)
    if 0 < Y.sum() < Y.size:
        assert m["roc_auc_micro"] == pytest.approx(roc_auc_score(Y, P, average="micro"), rel=1e-12)
        if defined.sum() >= 2:
            expected = roc_auc_score(Y[:, defined], P[:, defined], average="macro")
            assert m["roc_auc_macro"] == pytest.approx(expected, rel=1e-12)
        elif defined.sum() == 1:
            j = int(np.flatnonzero(defined)[0])
            assert m["roc_auc_macro"] == pytest.approx(roc_auc_score(Y[:, j], P[:, j]))
        else:
            assert "roc_auc_macro" not in m
        names = m["label_names"]
        assert m["roc_auc_undefined_labels"] == [n for n, ok in zip(names, defined) if not ok]
        assert [v is None for v in m["roc_auc_per_label"]] == list(~defined)
    else:
        assert not set(ROC) & set(m)


@st.composite
def multilabel_case(draw):
    n = draw(st.integers(1, 30))
    k = draw(st.integers(2, 6))
    Y = draw(arrays(np.int64, (n, k), elements=st.integers(0, 1)))
    Y_pred = draw(arrays(np.int64, (n, k), elements=st.integers(0, 1)))
    # few distinct values, so that ties (which ranking metrics must handle) are common
    P = draw(arrays(np.float64, (n, k), elements=st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0])))
    return Y, Y_pred, P


# ------------------------------------------------------------------ against sklearn
@settings(max_examples=150, deadline=None)
@given(multilabel_case())
def test_multilabel_metrics_equal_sklearns(case):
    Y, Y_pred, P = case
    m = metrics_strict("multilabel", Y, Y_pred, P)
    check_against_sklearn(m, Y, Y_pred, P)
    assert 0 <= m["one_error"] <= 1
    assert json.loads(json.dumps(m)) == m


def test_yeast_metrics_equal_sklearns(shared_data):
    """Real data: binary relevance on MULAN's yeast split, every figure against
    scikit-learn's."""
    folder = shared_data / "yeast"
    if not folder.is_dir():
        pytest.skip(f"yeast data not found at {folder}")
    train = np.loadtxt(folder / "yeast-train.csv", delimiter=",", skiprows=1)
    test = np.loadtxt(folder / "yeast-test.csv", delimiter=",", skiprows=1)
    X, Y = train[:, :-14], train[:, -14:].astype(int)
    Xt, Yt = test[:, :-14], test[:, -14:].astype(int)
    model = OneVsRestClassifier(SkLogisticRegression(max_iter=300)).fit(X, Y)
    P, Y_pred = model.predict_proba(Xt), model.predict(Xt)
    m = metrics_strict("multilabel", Yt, Y_pred, P, class_names=[f"Class{j}" for j in range(1, 15)])
    check_against_sklearn(m, Yt, Y_pred, P)
    # every yeast label occurs in the test split: nothing left out of the macro AUC
    assert m["roc_auc_undefined_labels"] == [] and "metric_notes" not in m
    # a sanity bound, not a tuned figure: the data README's 0.199 for this model
    assert 0.15 < m["hamming_loss"] < 0.25


# ------------------------------------------------------------------------ one-error
def test_one_error_by_hand():
    Y = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]]
    S = [[0.9, 0.1, 0.2], [0.9, 0.1, 0.2], [0.1, 0.2, 0.3], [0.4, 0.6, 0.5]]
    # tops: label 0 (relevant), label 0 (not), label 2 (relevant), label 1 (relevant)
    assert one_error(Y, S) == 0.25
    # a tie at the top counts against the model unless every tied label is relevant
    assert one_error([[1, 0]], [[0.5, 0.5]]) == 1.0
    assert one_error([[1, 1, 0]], [[0.7, 0.7, 0.1]]) == 0.0
    # an example with no relevant label: whatever is on top is wrong (MULAN)
    assert one_error([[0, 0, 0]], [[0.1, 0.2, 0.3]]) == 1.0


def test_one_error_rejects_bad_input():
    with pytest.raises(ValueError, match="shape"):
        one_error([[1, 0]], [[0.5, 0.5, 0.1]])
    with pytest.raises(ValueError, match="NaN"):
        one_error([[1, 0]], [[np.nan, 0.5]])
    with pytest.raises(ValueError, match="0 and 1"):
        one_error([[2, 0]], [[0.1, 0.5]])


@settings(max_examples=150, deadline=None)
@given(multilabel_case(), st.randoms(use_true_random=False))
def test_one_error_properties(case, rnd):
    Y, _, P = case
    value = one_error(Y, P)
    # the labels' order does not matter, nor the scale of the scores (any strictly
    # increasing map keeps the ranking)
    perm = list(range(Y.shape[1]))
    rnd.shuffle(perm)
    assert one_error(Y[:, perm], P[:, perm]) == value
    assert one_error(Y, np.exp(3 * P) - 7) == value
    # examples with no relevant label are always errors
    assert value >= np.mean(Y.sum(axis=1) == 0)
    # where the top score is unique, an error is exactly an irrelevant argmax
    unique = (P == P.max(axis=1, keepdims=True)).sum(axis=1) == 1
    if unique.any():
        top = P[unique].argmax(axis=1)
        errors = Y[unique][np.arange(unique.sum()), top] == 0
        assert one_error(Y[unique], P[unique]) == pytest.approx(errors.mean())
    # a score that ranks every relevant label first makes no error on examples that
    # have one, and equals scikit-learn's perfect ranking
    has = Y.sum(axis=1) > 0
    if has.any():
        perfect = Y[has] + 0.1 * P[has]
        assert one_error(Y[has], perfect) == 0.0
        assert label_ranking_loss(Y[has], perfect) == 0.0


# ---------------------------------------------------------------------- edge cases
def test_label_with_one_value_is_left_out_of_macro_auc_and_named():
    rng = np.random.default_rng(0)
    Y = (rng.random((40, 4)) < 0.5).astype(int)
    Y[:, 1] = 0  # never relevant
    Y[:, 3] = 1  # always relevant
    P = rng.random((40, 4))
    names = ["a", "never", "c", "always"]
    m = metrics_strict("multilabel", Y, (P > 0.5).astype(int), P, class_names=names)
    check_against_sklearn(m, Y, (P > 0.5).astype(int), P)
    assert m["roc_auc_undefined_labels"] == ["never", "always"]
    assert m["roc_auc_per_label"][1] is None and m["roc_auc_per_label"][3] is None
    assert m["roc_auc_macro"] == pytest.approx(
        np.mean([roc_auc_score(Y[:, j], P[:, j]) for j in (0, 2)])
    )
    (note,) = m["metric_notes"]
    assert "2 of 4 labels" in note and "never" in note and "always" in note


def test_every_label_constant_gives_no_auc_but_the_rest():
    Y = np.zeros((5, 3), dtype=int)
    P = np.linspace(0.1, 0.9, 15).reshape(5, 3)
    m = metrics_strict("multilabel", Y, Y, P)
    assert not set(ROC) & set(m)
    assert any("ROC-AUC" in n for n in m["metric_notes"])
    # no relevant labels anywhere: nothing to cover or misorder (sklearn), and every
    # top label is wrong (MULAN's one-error)
    assert m["coverage_error"] == 0.0 and m["label_ranking_loss"] == 0.0
    assert m["one_error"] == 1.0
    assert m["jaccard_samples"] == 1.0  # nothing true, nothing predicted: perfect


def test_examples_without_relevant_labels():
    Y = np.array([[1, 0, 0], [0, 0, 0], [0, 1, 1]])
    P = np.array([[0.9, 0.2, 0.1], [0.3, 0.2, 0.1], [0.1, 0.8, 0.7]])
    m = metrics_strict("multilabel", Y, (P > 0.5).astype(int), P)
    check_against_sklearn(m, Y, (P > 0.5).astype(int), P)
    # by hand: one-error counts the empty example (1 of 3); coverage is 1, 0, 2
    assert m["one_error"] == pytest.approx(1 / 3)
    assert m["coverage_error"] == pytest.approx(1.0)


def test_without_probabilities_ranking_metrics_are_left_out():
    Y = np.array([[1, 0], [0, 1], [1, 1]])
    m = metrics_strict("multilabel", Y, Y)
    assert not (set(RANKING) | set(ROC) | {"log_loss"}) & set(m)
    assert "probabilities" in m["metric_notes"][0]
    check_against_sklearn(m, Y, Y, None)


def test_one_label_has_auc_but_no_ranking():
    Y = np.array([[1], [0], [1], [0]])
    P = np.array([[0.8], [0.3], [0.4], [0.6]])
    m = metrics_strict("multilabel", Y, (P > 0.5).astype(int), P)
    assert not set(RANKING) & set(m)
    assert m["roc_auc_micro"] == m["roc_auc_macro"] == roc_auc_score(Y[:, 0], P[:, 0])
    assert any("two labels" in n for n in m["metric_notes"])
    # with one label, each example's Jaccard is 1 when right and 0 when wrong
    assert m["jaccard_samples"] == accuracy_score(Y, (P > 0.5).astype(int)) == 0.5


def test_bad_probabilities_are_one_clear_error():
    Y = np.array([[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="NaN or infinite"):
        compute_metrics("multilabel", Y, Y, [[0.5, np.nan], [0.1, 0.2]])
    with pytest.raises(ValueError, match="shape"):
        compute_metrics("multilabel", Y, Y, [[0.5, 0.1, 0.2], [0.1, 0.2, 0.3]])


def test_single_label_metrics_unchanged():
    m = compute_metrics("multiclass", [0, 1, 2, 2], [0, 1, 1, 2], proba=np.eye(3)[[0, 1, 1, 2]])
    assert not (set(RANKING) | set(ROC) | {"jaccard_samples", "metric_notes"}) & set(m)
    assert "multilabel_confusion_matrix" not in m


# ------------------------------------------------------------------------ the command
def test_train_and_evaluate_write_the_full_set(tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    X = rng.normal(size=(n, 3))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0.5, X[:, 2] < -0.3]).astype(int)
    table = tmp_path / "table.csv"
    header = "x1,x2,x3,red,green,blue"
    np.savetxt(table, np.column_stack([X, Y]), delimiter=",", header=header, comments="")
    out = tmp_path / "run"
    r = run("train", "--data", table, "--labels", "red,green,blue", "--out", out)
    assert r.exit_code == 0, r.output + r.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    keys = {
        "hamming_loss", "subset_accuracy", "jaccard_samples", "precision_micro",
        "recall_micro", "f1_micro", "precision_macro", "recall_macro", "f1_macro",
        "one_error", "coverage_error", "label_ranking_loss",
        "label_ranking_average_precision", "roc_auc_micro", "roc_auc_macro",
        "multilabel_confusion_matrix", "per_label", "log_loss",
    }  # fmt: skip
    assert keys <= set(metrics), keys - set(metrics)
    assert len(metrics["multilabel_confusion_matrix"]) == 3
    for k in ("one_error", "coverage_error", "label_ranking_average_precision", "roc_auc_macro"):
        assert k in r.output  # the terminal's table
    page = (out / "report.html").read_text(encoding="utf-8")
    for shown in (
        "Jaccard (example-based)",
        "One-error",
        "Coverage error",
        "Ranking loss",
        "Label ranking average precision",
        "ROC-AUC (micro)",
        "ROC-AUC (macro)",
        "Per-label confusion matrices",
        "<th>blue</th>",
    ):
        assert shown in page, shown
    # the page's TP cell of the first label is the JSON's
    (tn, fp), (fn, tp) = metrics["multilabel_confusion_matrix"][0]
    assert f'<tr><th>red</th><td class="num">{tp}</td><td class="num">{fp}</td>' in page

    r = run("evaluate", out, "--data", table, "--json")
    assert r.exit_code == 0, r.stderr
    again = json.loads(r.output)
    assert keys - {"per_label"} <= set(again)
