"""Balanced accuracy in the metrics: the mean of the per-class recalls."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from logitlab.report.metrics import compute_metrics


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=60))
def test_balanced_accuracy_is_the_mean_recall_of_the_true_classes(pairs):
    y_true = np.array([t for t, _ in pairs])
    y_pred = np.array([p for _, p in pairs])
    recalls = [np.mean(y_pred[y_true == c] == c) for c in np.unique(y_true)]
    m = compute_metrics("multiclass", y_true, y_pred)
    assert np.isclose(m["balanced_accuracy"], np.mean(recalls))


def test_balanced_accuracy_sees_a_minority_class_that_accuracy_hides():
    y_true = np.array([0] * 95 + [1] * 5)
    y_pred = np.zeros(100, dtype=int)  # always the majority class
    m = compute_metrics("binary", y_true, y_pred)
    assert m["accuracy"] == 0.95 and m["balanced_accuracy"] == 0.5
