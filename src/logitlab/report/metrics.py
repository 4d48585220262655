"""Evaluation metrics for a run, as a JSON-serialisable dict.

Every number comes from :mod:`sklearn.metrics`; this module only chooses the labels,
calls the metrics and turns NumPy scalars and arrays into plain Python values.

Class labels
------------
For binary and multi-class tasks ``class_names`` is the full list of classes in the
order of ``proba``'s columns (an estimator's ``classes_``). It may be given in either
of two ways:

* the labels themselves, as they appear in ``y_true`` and ``y_pred`` (strings or
  numbers);
* display names for index-coded targets: ``y_true`` and ``y_pred`` hold integers
  0 … C−1 and ``class_names[i]`` names class ``i``.

Without ``class_names`` the classes are the sorted union of ``y_true`` and ``y_pred``
(or 0 … C−1 when ``proba`` has more columns than that union has classes and the
targets are integers in that range).

Precision, recall and F1 use ``zero_division=0``: a class that is never predicted
(or never present) scores 0 instead of raising a warning.

Multi-label metrics
-------------------
MULAN's set (Tsoumakas et al.), each from the scikit-learn function named, except
one-error, which scikit-learn lacks (:func:`one_error`):

* decisions (``y_pred``): ``hamming_loss``, ``subset_accuracy`` (``accuracy_score``),
  ``jaccard_samples`` (example-based Jaccard, ``jaccard_score(average="samples")``;
  an example with no true and no predicted label scores 1, as in MULAN, via
  ``zero_division=1``), ``precision``/``recall``/``f1`` ``_micro`` and ``_macro``, and
  ``multilabel_confusion_matrix`` (one ``[[TN, FP], [FN, TP]]`` per label);
* rankings (``proba``; left out, never guessed, when there is none, or when there is
  only one label to rank): ``one_error``, ``coverage_error``, ``label_ranking_loss``,
  ``label_ranking_average_precision``. ``coverage_error`` is scikit-learn's: how far,
  on average, one goes down the ranking to cover every relevant label, counting the
  top label as 1 (best value: the mean number of relevant labels). MULAN's
  "coverage" counts from 0: it is ``coverage_error - 1`` when every example has a
  relevant label. Ties count against the model (scikit-learn's convention): tied
  labels all take the worst of their ranks. Examples with no relevant label count
  as 0 in ``coverage_error`` and ``label_ranking_loss``, 1 in
  ``label_ranking_average_precision`` (scikit-learn) and as an error in
  ``one_error`` (MULAN: the top label is not relevant);
* ``roc_auc_micro`` (every (example, label) pair pooled) and ``roc_auc_macro``
  (``roc_auc_score``): the AUC of a label whose ``y_true`` column is constant is
  undefined, so ``roc_auc_macro`` is the mean over the other labels,
  ``roc_auc_undefined_labels`` names those left out and ``roc_auc_per_label`` holds
  ``None`` for them. When every pair is 0 (or every pair 1) no ROC-AUC is given.

``metric_notes`` (a list of sentences, present only when needed) says what was left
out and why.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    coverage_error,
    hamming_loss,
    jaccard_score,
    label_ranking_average_precision_score,
    label_ranking_loss,
    log_loss,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)

from ..spec import TASKS

__all__ = ["compute_metrics", "one_error", "MULTILABEL_METRICS", "TASKS"]

#: the multi-label figures of one value each, in MULAN's order (report and CLI)
MULTILABEL_METRICS = (
    "hamming_loss",
    "subset_accuracy",
    "jaccard_samples",
    "precision_micro",
    "recall_micro",
    "f1_micro",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "one_error",
    "coverage_error",
    "label_ranking_loss",
    "label_ranking_average_precision",
    "roc_auc_micro",
    "roc_auc_macro",
    "log_loss",
)


def compute_metrics(task, y_true, y_pred, proba=None, class_names=None):
    """Metrics of predictions ``y_pred`` against ``y_true``.

    Parameters
    ----------
    task : {"binary", "multiclass", "multilabel"}
    y_true, y_pred : array-like
        Class labels of shape (n_samples,) (strings allowed), or 0/1 indicator
        matrices of shape (n_samples, n_labels) for ``"multilabel"``.
    proba : array-like, optional
        ``predict_proba`` output: (n_samples, n_classes) in the order of
        ``class_names`` (for binary also (n_samples,), P(second class)); for
        multi-label (n_samples, n_labels) of independent P(label).
    class_names : sequence, optional
        The classes (or labels) in the order of ``proba``'s columns; see the module
        docstring.

    Returns
    -------
    dict
        Binary / multi-class: ``task``, ``n_samples``, ``class_names``, ``accuracy``,
        ``balanced_accuracy`` (mean recall over the classes in ``y_true``),
        ``precision_macro``, ``recall_macro``, ``f1_macro``, ``precision_weighted``,
        ``recall_weighted``, ``f1_weighted``, ``per_class`` (``precision``,
        ``recall``, ``f1``, ``support``: lists aligned with ``class_names``),
        ``confusion_matrix`` (rows: true class, columns: predicted class) and, when
        ``proba`` is given, ``log_loss``.
        Multi-label: ``task``, ``n_samples``, ``label_names``, ``hamming_loss``,
        ``subset_accuracy``, ``jaccard_samples``, ``precision_micro``,
        ``recall_micro``, ``f1_micro``, ``precision_macro``, ``recall_macro``,
        ``f1_macro``, ``per_label`` (as ``per_class``),
        ``multilabel_confusion_matrix`` and, when ``proba`` is given, ``log_loss``
        (the binary cross-entropy of each label, averaged over labels), the ranking
        metrics and ROC-AUC; see the module docstring for each and its edge cases.

    Examples
    --------
    >>> m = compute_metrics("multiclass", ["cat", "dog", "dog", "fish"],
    ...                     ["cat", "dog", "fish", "fish"])
    >>> m["accuracy"], m["class_names"], m["confusion_matrix"]
    (0.75, ['cat', 'dog', 'fish'], [[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    >>> m = compute_metrics("multilabel", [[1, 0], [0, 1]], [[1, 1], [0, 1]],
    ...                     class_names=["sports", "politics"])
    >>> m["hamming_loss"], m["subset_accuracy"], m["per_label"]["support"]
    (0.25, 0.5, [1, 1])
    >>> m["multilabel_confusion_matrix"]  # per label: [[TN, FP], [FN, TP]]
    [[[1, 0], [0, 1]], [[0, 1], [0, 1]]]
    >>> m = compute_metrics("multilabel", [[1, 0, 0], [0, 1, 1]], [[1, 0, 0], [0, 1, 0]],
    ...                     proba=[[0.9, 0.2, 0.1], [0.6, 0.7, 0.4]])
    >>> m["one_error"], m["coverage_error"], m["label_ranking_loss"]
    (0.0, 2.0, 0.25)
    >>> m["roc_auc_micro"], m["roc_auc_macro"], m["roc_auc_undefined_labels"]
    (0.8889, 1.0, [])
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if task == "multilabel":
        return _multilabel_metrics(y_true, y_pred, proba, class_names)
    return _single_label_metrics(task, y_true, y_pred, proba, class_names)


# --------------------------------------------------------------------- single label
def _single_label_metrics(task, y_true, y_pred, proba, class_names):
    y_true = as_1d(y_true, "y_true")
    y_pred = as_1d(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred have different lengths: {y_true.shape[0]} and {y_pred.shape[0]}"
        )
    if proba is not None:
        proba = np.asarray(proba, dtype=float)
        if proba.ndim == 2 and proba.shape[1] == 1:
            proba = proba[:, 0]
        if proba.shape[0] != y_true.shape[0]:
            raise ValueError(f"proba has {proba.shape[0]} rows for {y_true.shape[0]} samples")
    n_columns = None
    if proba is not None:
        n_columns = 2 if proba.ndim == 1 else proba.shape[1]
    labels, names = resolve_labels(y_true, y_pred, class_names, n_columns)
    if task == "binary" and len(labels) > 2:
        raise ValueError(f"task='binary' but there are {len(labels)} classes: {names}")

    out = {
        "task": task,
        "n_samples": int(y_true.shape[0]),
        "class_names": names,
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "balanced_accuracy": _balanced_accuracy(y_true, y_pred),
    }
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=0
        )
        out[f"precision_{average}"] = float(p)
        out[f"recall_{average}"] = float(r)
        out[f"f1_{average}"] = float(f)
    p, r, f, s = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=None, zero_division=0
    )
    out["per_class"] = {
        "precision": _floats(p),
        "recall": _floats(r),
        "f1": _floats(f),
        "support": _ints(s),
    }
    if proba is not None:
        if proba.ndim == 2 and proba.shape[1] != len(labels):
            raise ValueError(
                f"proba has {proba.shape[1]} columns for {len(labels)} classes {names}"
            )
        # log_loss sorts `labels` and reads proba's columns in that sorted order
        order = np.argsort(labels, kind="stable")
        if proba.ndim == 2:
            out["log_loss"] = float(log_loss(y_true, proba[:, order], labels=labels[order]))
        else:  # P(labels[1]): only consistent with sorted labels
            if order[0] != 0:
                proba = 1.0 - proba
            out["log_loss"] = float(log_loss(y_true, proba, labels=labels[order]))
    out["confusion_matrix"] = confusion_matrix(y_true, y_pred, labels=labels).tolist()
    return out


def _balanced_accuracy(y_true, y_pred):
    """The mean recall over the classes present in y_true: accuracy as if every class
    were equally frequent (scikit-learn's ``balanced_accuracy_score``)."""
    with warnings.catch_warnings():
        # predictions of a class absent from y_true lower the recall of the true
        # class, as they should; scikit-learn also warns about them
        warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
        warnings.filterwarnings("ignore", message="A single label was found")
        return float(balanced_accuracy_score(y_true, y_pred))


def resolve_labels(y_true, y_pred, class_names=None, n_columns=None):
    """The labels to pass to scikit-learn and their display names.

    Returns ``(labels, names)``: ``labels`` an ndarray of the values found in the
    targets, ``names`` a list of strings aligned with it (see the module docstring).
    """
    y_true = as_1d(y_true, "y_true")
    y_pred = y_true if y_pred is None else as_1d(y_pred, "y_pred")
    seen = np.unique(np.concatenate([y_true, y_pred]))
    if class_names is not None:
        names = np.asarray(list(class_names))
        if names.ndim != 1 or len(names) == 0:
            raise ValueError("class_names must be a non-empty 1-D sequence")
        if len(np.unique(names)) != len(names):
            raise ValueError(f"class_names has duplicates: {list(names)}")
        if np.isin(seen, names).all():
            return names, [_name(c) for c in names]
        if _indices_below(seen, len(names)):
            return np.arange(len(names)), [_name(c) for c in names]
        missing = [_name(c) for c in seen[~np.isin(seen, names)]]
        raise ValueError(
            f"labels {missing} of y_true/y_pred are neither in class_names "
            f"{[_name(c) for c in names]} nor indices into it"
        )
    if n_columns is not None and n_columns > len(seen) and _indices_below(seen, n_columns):
        labels = np.arange(n_columns)
    else:
        labels = seen
    return labels, [_name(c) for c in labels]


# ----------------------------------------------------------------------- multilabel
def _multilabel_metrics(y_true, y_pred, proba, class_names):
    Y_true = as_indicator(y_true, "y_true")
    Y_pred = as_indicator(y_pred, "y_pred")
    if Y_true.shape != Y_pred.shape:
        raise ValueError(
            f"y_true and y_pred have different shapes: {Y_true.shape} and {Y_pred.shape}"
        )
    n_labels = Y_true.shape[1]
    names = label_names(n_labels, class_names)
    out = {
        "task": "multilabel",
        "n_samples": int(Y_true.shape[0]),
        "label_names": names,
        "hamming_loss": float(hamming_loss(Y_true, Y_pred)),
        "subset_accuracy": float(accuracy_score(Y_true, Y_pred)),
        "jaccard_samples": _jaccard_samples(Y_true, Y_pred),
    }
    for average in ("micro", "macro"):
        p, r, f, _ = precision_recall_fscore_support(
            Y_true, Y_pred, average=average, zero_division=0
        )
        out[f"precision_{average}"] = float(p)
        out[f"recall_{average}"] = float(r)
        out[f"f1_{average}"] = float(f)
    p, r, f, s = precision_recall_fscore_support(Y_true, Y_pred, average=None, zero_division=0)
    out["per_label"] = {
        "precision": _floats(p),
        "recall": _floats(r),
        "f1": _floats(f),
        "support": _ints(s),
    }
    out["multilabel_confusion_matrix"] = multilabel_confusion_matrix(Y_true, Y_pred).tolist()
    notes = []
    if proba is None:
        notes.append(
            "one-error, coverage, ranking loss, label ranking average precision and "
            "ROC-AUC need predicted probabilities; none were given"
        )
    else:
        P = np.asarray(proba, dtype=float)
        if P.shape != Y_true.shape:
            raise ValueError(f"proba has shape {P.shape}, expected {Y_true.shape}")
        if not np.isfinite(P).all():
            raise ValueError("proba holds NaN or infinite values")
        # labels=[0, 1]: a label that is constant in y_true is still a 2-class problem
        losses = [log_loss(Y_true[:, j], P[:, j], labels=[0, 1]) for j in range(n_labels)]
        out["log_loss"] = float(np.mean(losses))
        if n_labels >= 2:
            out["one_error"] = one_error(Y_true, P)
            out["coverage_error"] = float(coverage_error(Y_true, P))
            out["label_ranking_loss"] = float(label_ranking_loss(Y_true, P))
            out["label_ranking_average_precision"] = float(
                label_ranking_average_precision_score(Y_true, P)
            )
        else:
            notes.append("the ranking metrics need at least two labels to rank")
        out.update(_roc_auc(Y_true, P, names, notes))
    if notes:
        out["metric_notes"] = notes
    return out


def _jaccard_samples(Y_true, Y_pred):
    """Example-based Jaccard; an example with nothing true and nothing predicted is a
    perfect 1 (MULAN)."""
    if Y_true.shape[1] == 1:
        # scikit-learn takes one column for a binary task; a label that is never
        # relevant nor predicted leaves every example's sets, so the score, unchanged
        zero = np.zeros_like(Y_true)
        Y_true, Y_pred = np.hstack([Y_true, zero]), np.hstack([Y_pred, zero])
    return float(jaccard_score(Y_true, Y_pred, average="samples", zero_division=1.0))


def _roc_auc(Y_true, P, names, notes):
    """Micro and macro ROC-AUC, leaving out what is undefined (see the module
    docstring); scikit-learn would warn and give NaN instead."""
    out = {}
    if 0 < Y_true.sum() < Y_true.size:
        # average="micro" pools every (example, label) pair exactly like this; the
        # pooled form also takes a single label
        out["roc_auc_micro"] = float(roc_auc_score(Y_true.ravel(), P.ravel()))
    else:
        value = int(Y_true.flat[0])
        notes.append(f"no ROC-AUC: every label of every example is {value} in y_true")
        return out
    defined = Y_true.min(axis=0) != Y_true.max(axis=0)
    per_label = [
        float(roc_auc_score(Y_true[:, j], P[:, j])) if ok else None for j, ok in enumerate(defined)
    ]
    left_out = [name for name, ok in zip(names, defined) if not ok]
    if defined.any():
        out["roc_auc_macro"] = float(np.mean([v for v in per_label if v is not None]))
    out["roc_auc_per_label"] = per_label
    out["roc_auc_undefined_labels"] = left_out
    if left_out:
        shown = ", ".join(left_out[:5]) + (", …" if len(left_out) > 5 else "")
        notes.append(
            f"ROC-AUC (macro) is the mean over {int(defined.sum())} of {len(names)} "
            f"labels; left out, as y_true holds one value only: {shown}"
        )
    return out


def one_error(y_true, y_score):
    """MULAN's one-error: the fraction of examples whose top-ranked label is not
    relevant.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
        0/1 indicator matrix of the relevant labels.
    y_score : array-like of shape (n_samples, n_labels)
        Scores (e.g. probabilities) ranking the labels of each example, highest first.

    Returns
    -------
    float
        In [0, 1], lower is better. Ties count against the model, as in
        scikit-learn's ranking metrics: when several labels share the top score, the
        example is an error unless all of them are relevant. An example with no
        relevant label is always an error (its top label cannot be relevant), as in
        MULAN.

    Examples
    --------
    >>> one_error([[1, 0, 0], [0, 1, 0]], [[0.9, 0.5, 0.1], [0.8, 0.3, 0.6]])
    0.5
    >>> one_error([[1, 0], [1, 1]], [[0.5, 0.5], [0.5, 0.5]])  # a tie at the top
    0.5
    >>> one_error([[0, 0]], [[0.2, 0.1]])  # no relevant label
    1.0
    """
    Y = as_indicator(y_true, "y_true")
    S = np.asarray(y_score, dtype=float)
    if S.shape != Y.shape:
        raise ValueError(f"y_score has shape {S.shape}, expected {Y.shape}")
    if Y.shape[0] == 0:
        raise ValueError("one_error needs at least one example")
    if not np.isfinite(S).all():
        raise ValueError("y_score holds NaN or infinite values")
    top = S == S.max(axis=1, keepdims=True)
    return float(np.mean((top & (Y == 0)).any(axis=1)))


def label_names(n_labels, class_names=None):
    """Display names of ``n_labels`` labels: ``class_names`` or "0", "1", …"""
    if class_names is None:
        return [str(j) for j in range(n_labels)]
    names = [_name(c) for c in class_names]
    if len(names) != n_labels:
        raise ValueError(f"{len(names)} class_names for {n_labels} labels")
    return names


# -------------------------------------------------------------------------- helpers
def as_1d(y, what):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{what} must be 1-D class labels, got shape {y.shape}")
    return y


def as_indicator(y, what):
    Y = np.asarray(y)
    if Y.ndim != 2:
        raise ValueError(
            f"{what} must be a 0/1 indicator matrix (n_samples, n_labels) "
            f"for task='multilabel', got shape {Y.shape}"
        )
    if not np.isin(Y, (0, 1)).all():
        raise ValueError(f"{what} must hold only 0 and 1 for task='multilabel'")
    return Y.astype(np.int64)


def _indices_below(values, n):
    """Whether every value is an integer in 0 … n−1."""
    if values.dtype.kind in "iu":
        return bool(((values >= 0) & (values < n)).all())
    if values.dtype.kind == "f":
        return bool(((values == np.round(values)) & (values >= 0) & (values < n)).all())
    return False


def _name(c):
    """A display name: the label as a string (0.0 → "0" for integral floats)."""
    if isinstance(c, np.generic):
        c = c.item()
    if isinstance(c, float) and c.is_integer():
        c = int(c)
    if isinstance(c, bytes):
        c = c.decode("utf-8", "replace")
    return str(c)


def _floats(a):
    return [float(v) for v in np.asarray(a).ravel()]


def _ints(a):
    return [int(v) for v in np.asarray(a).ravel()]
