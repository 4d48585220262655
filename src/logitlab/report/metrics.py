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
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    hamming_loss,
    log_loss,
    precision_recall_fscore_support,
)

from ..spec import TASKS

__all__ = ["compute_metrics", "TASKS"]


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
        ``subset_accuracy``, ``precision_micro``, ``recall_micro``, ``f1_micro``,
        ``precision_macro``, ``recall_macro``, ``f1_macro``, ``per_label`` (as
        ``per_class``) and, when ``proba`` is given, ``log_loss``: the binary
        cross-entropy of each label, averaged over labels.

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
    if proba is not None:
        P = np.asarray(proba, dtype=float)
        if P.shape != Y_true.shape:
            raise ValueError(f"proba has shape {P.shape}, expected {Y_true.shape}")
        # labels=[0, 1]: a label that is constant in y_true is still a 2-class problem
        losses = [log_loss(Y_true[:, j], P[:, j], labels=[0, 1]) for j in range(n_labels)]
        out["log_loss"] = float(np.mean(losses))
    return out


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
