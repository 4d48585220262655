"""Stratified train/test splits for single-label and multi-label targets.

`stratified_split` keeps every class's share (class labels, by scikit-learn's
``train_test_split(stratify=y)``) or every label's share (a 0/1 indicator matrix, by the
iterative stratification of Sechidis, Tsoumakas and Vlahavas, 2011, through the
``iterative-stratification`` package) in both parts.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["stratified_folds", "stratified_split"]


def stratified_split(
    y: ArrayLike,
    test_size: float | int,
    random_state: int | np.random.Generator | None,
    *,
    class_names: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of a train and a test part in which each class or label keeps its share.

    For class labels (1-D ``y``) this is scikit-learn's
    ``train_test_split(stratify=y)``: the same rows for the same ``random_state``.
    Where a class has fewer than two members it cannot be stratified; the split is then
    unstratified, with a `UserWarning` naming the classes.

    For a 0/1 indicator matrix (2-D ``y``, one column per label) it is iterative
    stratification [1]_ (``iterstrat``'s ``MultilabelStratifiedShuffleSplit``): labels
    are handled rarest first, each of their examples going to the part that still
    lacks the most examples of that label, so that rare labels are spread before common
    ones fill the parts. The algorithm puts label shares before part sizes, so it can
    miss the requested size (19 rows off 300 on yeast) or leave a tiny part empty; the
    rows that then change part to restore the size are those whose move keeps the label
    counts closest to their shares (least squares).

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_labels)
        Class labels, or a 0/1 (or boolean) indicator matrix.
    test_size : float or int
        The fraction of rows in the test part, in (0, 1), rounded up as scikit-learn
        does (``ceil(test_size * n_samples)``); or the number of test rows.
    random_state : int, numpy.random.Generator or None
        The seed; a `~numpy.random.Generator` gives one (``integers(2**31)``), so the
        split is reproducible from the Generator's state. None: a fresh random split.
    class_names : sequence of str, optional
        The names of classes ``0 .. C-1``, for the warning about classes too small to
        stratify (else it shows the values of ``y``).

    Returns
    -------
    train_idx, test_idx : ndarray of intp
        Disjoint, sorted row indices covering all rows; the test part has the size
        ``test_size`` asks for.

    Raises
    ------
    ValueError
        If ``y`` is neither 1-D nor a 2-D 0/1 matrix, ``test_size`` is out of range or
        leaves a part empty, or (class labels) a part is smaller than the number of
        classes.

    References
    ----------
    .. [1] K. Sechidis, G. Tsoumakas and I. Vlahavas, "On the Stratification of
       Multi-Label Data", ECML PKDD 2011, LNCS 6913, pp. 145-158.

    Examples
    --------
    >>> import numpy as np
    >>> from logitlab.data.stratify import stratified_split
    >>> Y = np.array([[1, 0], [1, 0], [1, 1], [1, 1], [0, 1], [0, 1], [0, 0], [0, 0]])
    >>> train, test = stratified_split(Y, test_size=0.5, random_state=0)
    >>> train, test
    (array([0, 2, 5, 6]), array([1, 3, 4, 7]))
    >>> len(test), Y[train].sum(axis=0), Y[test].sum(axis=0)  # each label split in two
    (4, array([2, 2]), array([2, 2]))
    >>> y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> train, test = stratified_split(y, test_size=0.25, random_state=0)
    >>> np.bincount(y[test])
    array([1, 1])
    """
    y = np.asarray(y)
    if y.ndim not in (1, 2):
        raise ValueError(
            f"y must be 1-D class labels or a 2-D indicator matrix, got shape {y.shape}"
        )
    n = y.shape[0]
    n_test = _test_count(n, test_size)
    if isinstance(random_state, np.random.Generator):
        random_state = int(random_state.integers(2**31))
    elif random_state is not None and not isinstance(random_state, Integral):
        raise ValueError(
            f"random_state must be an int, a numpy Generator or None, got {random_state!r}"
        )
    if y.ndim == 1:
        train, test = _split_classes(y, n_test, random_state, class_names)
    else:
        train, test = _split_labels(y, n_test, random_state)
    return np.sort(train).astype(np.intp), np.sort(test).astype(np.intp)


def stratified_folds(
    y: ArrayLike, n_splits: int, random_state: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """K-fold cross-validation in which every fold keeps each class's or label's share.

    Class labels (1-D ``y``): scikit-learn's ``StratifiedKFold(shuffle=True)``. A 0/1
    indicator matrix (2-D): iterative stratification [1]_ (``iterstrat``'s
    ``MultilabelStratifiedKFold``), as :func:`stratified_split` splits it.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_labels)
    n_splits : int
        The number of folds, at least 2 and at most the size of the smallest class.
    random_state : int
        The same seed gives the same folds.

    Returns
    -------
    list of (fit_idx, held_idx)
        For each fold, the sorted row indices to fit on and those held out to score.

    Raises
    ------
    ValueError
        Fewer than 2 folds, or (class labels) a class with fewer than ``n_splits``
        examples.

    Examples
    --------
    >>> import numpy as np
    >>> folds = stratified_folds(np.array([0, 0, 0, 1, 1, 1]), 3, random_state=0)
    >>> [np.bincount(np.array([0, 0, 0, 1, 1, 1])[held]).tolist() for _, held in folds]
    [[1, 1], [1, 1], [1, 1]]
    """
    y = np.asarray(y)
    if not isinstance(n_splits, Integral) or n_splits < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, got {n_splits!r}")
    if y.ndim == 1:
        from sklearn.model_selection import StratifiedKFold

        counts = np.bincount(np.unique(y, return_inverse=True)[1])
        if counts.min() < n_splits:
            raise ValueError(
                f"{n_splits} folds need at least {n_splits} examples of each class; the "
                f"smallest class has {counts.min()}"
            )
        splitter: Any = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
        parts = splitter.split(np.zeros(len(y)), y)
    elif y.ndim == 2:
        from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

        if len(y) < n_splits:
            raise ValueError(f"{n_splits} folds need at least {n_splits} examples")
        splitter = MultilabelStratifiedKFold(n_splits, shuffle=True, random_state=random_state)
        parts = splitter.split(np.zeros(len(y)), y.astype(np.int64))
    else:
        raise ValueError(
            f"y must be 1-D class labels or a 2-D indicator matrix, got shape {y.shape}"
        )
    return [(np.sort(a).astype(np.intp), np.sort(b).astype(np.intp)) for a, b in parts]


def _test_count(n: int, test_size: float | int) -> int:
    """The number of test rows, as scikit-learn counts them; ValueError if a part is empty."""
    if isinstance(test_size, Integral) and not isinstance(test_size, bool):
        n_test = int(test_size)
        if not 0 < n_test < n:
            raise ValueError(
                f"test_size={n_test} rows leaves a part empty: it must be in [1, {n - 1}] "
                f"for {n} rows"
            )
        return n_test
    if not isinstance(test_size, Real) or isinstance(test_size, bool) or not 0 < test_size < 1:
        raise ValueError(
            f"test_size must be a fraction in (0, 1) or a row count, got {test_size!r}"
        )
    n_test = math.ceil(float(test_size) * n)
    if n_test >= n:
        raise ValueError(
            f"test_size={test_size} of {n} rows leaves the training part empty ({n_test} test rows)"
        )
    return n_test


def _split_classes(
    y: np.ndarray, n_test: int, random_state: int | None, names: Sequence[str] | None
) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    classes, counts = np.unique(y, return_counts=True)
    stratify: np.ndarray | None = y
    if counts.min() < 2:
        few = ", ".join(
            repr(names[c] if names is not None else c.item()) for c in classes[counts < 2]
        )
        warnings.warn(
            f"the split is not stratified: class(es) {few} have a single example, too "
            "few to be in both parts",
            UserWarning,
            stacklevel=3,
        )
        stratify = None
    train, test = train_test_split(
        np.arange(len(y)), test_size=n_test, random_state=random_state, stratify=stratify
    )
    return train, test


def _split_labels(
    Y: np.ndarray, n_test: int, random_state: int | None
) -> tuple[np.ndarray, np.ndarray]:
    from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit

    if Y.dtype != bool and not np.isin(Y, (0, 1)).all():
        raise ValueError("a 2-D y must be a 0/1 indicator matrix (one column per label)")
    Y = Y.astype(np.int8)
    n, n_labels = Y.shape
    if random_state is None:
        random_state = int(np.random.default_rng().integers(2**31))
    # iterstrat takes fewer than two columns for class labels; all-zero columns change
    # nothing in the algorithm (they are never a rarest label)
    padded = np.hstack([Y, np.zeros((n, max(0, 2 - n_labels)), np.int8)])
    splitter = MultilabelStratifiedShuffleSplit(
        n_splits=1, test_size=n_test, random_state=random_state
    )
    _, test = next(splitter.split(np.zeros((n, 1)), padded))
    in_test = np.zeros(n, dtype=bool)
    in_test[test] = True
    order = np.random.default_rng(random_state).permutation(n)
    _restore_size(Y, in_test, n_test, order)
    return np.flatnonzero(~in_test), np.flatnonzero(in_test)


def _restore_size(Y: np.ndarray, in_test: np.ndarray, n_test: int, order: np.ndarray) -> None:
    """Move rows between the parts (``in_test``, in place) until the test part has
    ``n_test`` rows, one at a time from the larger part: the row whose move leaves the
    smallest sum of squares over labels of (test positives - their due share), which
    spreads the unavoidable misses over the labels (first in ``order`` on ties)."""
    n = len(Y)
    counts = Y.sum(axis=0)
    excess = Y[in_test].sum(axis=0) - counts * (n_test / n)  # test positives over their share
    while (surplus := int(in_test.sum()) - n_test) != 0:
        from_test = surplus > 0
        rows = order[in_test[order] == from_test]
        step = -1 if from_test else 1
        cost = ((excess + step * Y[rows]) ** 2).sum(axis=1)
        row = rows[np.argmin(cost)]
        in_test[row] = not from_test
        excess += step * Y[row]
