"""Class labels read from tables and arrays: label columns chosen, encoded as indices.

Single-label columns become class indices ``0 .. C-1`` with their names
(`encode_labels`), multi-label columns 0/1 indicators (`indicators`);
`select_columns` picks the label columns of a table by name or position.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .errors import DataError, short_repr

__all__ = [
    "encode_labels",
    "indicators",
    "is_number",
    "labels_from_columns",
    "listing",
    "select_columns",
]

_INT_RE = re.compile(r"[+-]?\d+")


def encode_labels(values: ArrayLike, where: str) -> tuple[np.ndarray, list[str]]:
    """Encode single-label class labels (numbers or names) as indices ``0 .. C-1``.

    Labels are either all numbers or all names. Numbers must be integers (``2.0`` is
    ``2``), and are sorted numerically; names are sorted as strings. A column that
    mixes the two (``1, 2, cat``) is refused rather than guessed at: sorted as
    strings it would put ``10`` before ``2``, and ``1`` and ``1.0`` would be two
    classes in it but one anywhere else.

    Parameters
    ----------
    values : array-like of shape (n,)
        The labels, numbers or strings (bytes are decoded; surrounding spaces of
        strings are dropped).
    where : str
        What the labels are, for error messages (e.g. the file and column).

    Returns
    -------
    codes : ndarray of shape (n,), intp
        ``codes[i] = k`` means class ``class_names[k]``.
    class_names : list of str
        The classes, sorted.

    Raises
    ------
    DataError
        For an empty label, a number that is not an integer, labels mixing numbers
        and names, or an unsupported type; the message names the rows at fault.

    Examples
    --------
    >>> from logitlab.data.labels import encode_labels
    >>> encode_labels(["10", "9", "10.0"], "column 'y'")
    (array([1, 0, 1]), ['9', '10'])
    >>> encode_labels(["dog", "cat", "dog"], "column 'y'")
    (array([1, 0, 1]), ['cat', 'dog'])
    >>> encode_labels(["1", "cat", "2"], "column 'y'")
    Traceback (most recent call last):
    ...
    logitlab.data.errors.DataError: column 'y': labels mix numbers ('1' in row 1) and \
names ('cat' in row 2); class labels must be all numbers or all names
    """
    values = np.asarray(values)
    if values.ndim != 1:
        values = values.reshape(-1)
    if values.dtype.kind in "SO":
        values = np.array(
            [v.decode(errors="replace") if isinstance(v, bytes) else str(v) for v in values],
            dtype=str,
        )
    if values.dtype.kind == "U":
        stripped = [v.strip() for v in values.tolist()]
        empty = [i for i, v in enumerate(stripped) if not v]
        if empty:
            raise DataError(f"{where}: empty label in row {empty[0] + 1}")
        numeric = [is_number(v) for v in stripped]
        if all(numeric):
            return _encode_numbers(stripped, where)
        if any(numeric):
            i, j = numeric.index(True), numeric.index(False)
            raise DataError(
                f"{where}: labels mix numbers ({short_repr(stripped[i])} in row {i + 1}) "
                f"and names ({short_repr(stripped[j])} in row {j + 1}); class labels must "
                "be all numbers or all names"
            )
        uniq, codes = np.unique(np.array(stripped), return_inverse=True)
        return codes.astype(np.intp).reshape(-1), [str(u) for u in uniq]
    if values.dtype.kind == "f":
        bad = ~np.isfinite(values) | (values != np.round(values))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{where}: label {values[i].item()!r} in row {i + 1} is not an integer "
                "or a name; class labels must be integers or names"
            )
    if values.dtype.kind in "biuf":
        uniq, codes = np.unique(values, return_inverse=True)
        return codes.astype(np.intp).reshape(-1), [str(int(u)) for u in uniq]
    raise DataError(f"{where}: labels of type {values.dtype} are not supported")


def _encode_numbers(values, where):
    """Labels written as numbers -> codes, sorted numerically."""
    ints = []
    for i, v in enumerate(values):
        if _INT_RE.fullmatch(v):  # exact for integers of any length (float() rounds)
            ints.append(int(v))
            continue
        f = float(v)
        if not math.isfinite(f) or f != round(f):
            raise DataError(
                f"{where}: label {short_repr(v)} in row {i + 1} is not an integer "
                "or a name; class labels must be integers or names"
            )
        ints.append(int(f))
    uniq = sorted(set(ints))
    index = {u: k for k, u in enumerate(uniq)}
    return np.array([index[v] for v in ints], dtype=np.intp), [str(u) for u in uniq]


def indicators(column: ArrayLike, name: str, where: str) -> np.ndarray:
    """One multi-label column (numbers or strings) as 0/1 ints.

    Parameters
    ----------
    column : array-like of shape (n,)
        The column's values: 0 or 1, as numbers or strings.
    name : str
        The column's name, for error messages.
    where : str
        The file, for error messages.

    Returns
    -------
    ndarray of shape (n,), intp

    Raises
    ------
    DataError
        If a value is not 0 or 1 (the message names the column, value and row).

    Examples
    --------
    >>> from logitlab.data.labels import indicators
    >>> indicators(["1", "0", " 1.0"], "sun", "file 'x.csv'")
    array([1, 0, 1])
    """
    column = np.asarray(column)
    if column.dtype.kind in "SO":
        column = np.array(
            [v.decode(errors="replace") if isinstance(v, bytes) else str(v) for v in column],
            dtype=str,
        )
    if column.dtype.kind == "U":
        out = np.empty(column.shape, dtype=np.intp)
        for i, v in enumerate(column.tolist()):
            s = v.strip()
            try:
                f = float(s)
            except ValueError:
                f = math.nan
            if f not in (0.0, 1.0):
                raise DataError(
                    f"{where}: label column {name!r} holds {short_repr(v)} in row {i + 1}; "
                    "multi-label columns must hold 0 or 1"
                )
            out[i] = int(f)
        return out
    bad = ~np.isin(column, (0, 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{where}: label column {name!r} holds {short_repr(column[i].item())} "
            f"in row {i + 1}; "
            "multi-label columns must hold 0 or 1"
        )
    return column.astype(np.intp)


def select_columns(labels: str | Sequence[str], names: list[str], where: str) -> list[int]:
    """Indices of the label columns chosen by ``labels`` among the columns ``names``.

    Parameters
    ----------
    labels : str or sequence of str
        A column name, names separated by commas, a list of names, or ``"last:N"``.
    names : list of str
        The columns, in file order.
    where : str
        The file, for error messages.

    Returns
    -------
    list of int

    Raises
    ------
    DataError
        For an unknown or repeated column, or a choice that leaves no feature.

    Examples
    --------
    >>> from logitlab.data.labels import select_columns
    >>> select_columns("last:2", ["a", "b", "c"], "t.csv"), select_columns("a", ["a", "b"], "t.csv")
    ([1, 2], [0])
    """
    n = len(names)
    if isinstance(labels, str):
        spec = labels.strip()
        m = re.fullmatch(r"last:\s*(\d+)", spec)
        if m:
            k = int(m.group(1))
            if not 1 <= k < n:
                raise DataError(
                    f"{where}: labels={labels!r}: need 1 <= N < {n} "
                    f"(the number of columns) to leave feature columns"
                )
            return list(range(n - k, n))
        wanted = [s.strip() for s in spec.split(",")]
    else:
        try:
            wanted = [str(s) for s in labels]
        except TypeError:
            raise DataError(
                f"{where}: labels must be a column name, names separated by "
                f"commas, a list of names or 'last:N', got {labels!r}"
            ) from None
    if not wanted or any(w == "" for w in wanted):
        raise DataError(f"{where}: labels={labels!r} holds an empty column name")
    unknown = [w for w in wanted if w not in names]
    if unknown:
        raise DataError(
            f"{where}: no label column(s) {', '.join(map(repr, unknown))}; "
            f"available columns: {listing(names)}"
        )
    if len(set(wanted)) != len(wanted):
        raise DataError(f"{where}: labels={labels!r} names a column twice")
    ambiguous = [w for w in wanted if names.count(w) > 1]
    if ambiguous:
        raise DataError(
            f"{where}: column name(s) {', '.join(map(repr, ambiguous))} appear "
            "more than once in the header"
        )
    idx = [names.index(w) for w in wanted]
    if len(idx) == n:
        raise DataError(f"{where}: labels={labels!r} takes every column; no features left")
    return idx


def listing(names: Sequence[str], limit: int = 30) -> str:
    """``names`` joined by commas, the middle left out when there are more than ``limit``.

    Examples
    --------
    >>> from logitlab.data.labels import listing
    >>> listing(["a", "b"]), listing([str(i) for i in range(40)], limit=8)
    ('a, b', '0, 1, 2, ... (32 more), 35, 36, 37, 38, 39')
    """
    if len(names) <= limit:
        return ", ".join(names)
    return (
        ", ".join(names[: limit - 5])
        + f", ... ({len(names) - limit} more), "
        + ", ".join(names[-5:])
    )


def labels_from_columns(
    columns: Sequence[ArrayLike], names: Sequence[str], where: str
) -> tuple[np.ndarray, list[str]]:
    """Label columns as ``(y, class_names)``: one column is a class, several are labels.

    Parameters
    ----------
    columns : list of array-like of shape (n,)
        The label columns.
    names : list of str
        Their names.
    where : str
        The file, for error messages.

    Returns
    -------
    y : ndarray of shape (n,) (class indices, see `encode_labels`) or (n, n_labels)
        (0/1 indicators, see `indicators`)
    class_names : list of str
        The classes, or the label columns' names.

    Examples
    --------
    >>> from logitlab.data.labels import labels_from_columns
    >>> y, names = labels_from_columns([["1", "0"], ["0", "0"]], ["sun", "rain"], "t.csv")
    >>> y.tolist(), names
    ([[1, 0], [0, 0]], ['sun', 'rain'])
    """
    if len(columns) == 1:
        return encode_labels(columns[0], f"{where}: label column {names[0]!r}")
    # the columns' names become the labels' names: they must tell the labels apart
    names = [str(n).strip() for n in names]
    if "" in names:
        raise DataError(
            f"{where}: label column {names.index('') + 1} of {len(names)} has no name "
            "in the header; multi-label columns are named after their labels"
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DataError(
            f"{where}: label columns {', '.join(map(repr, repeated))} appear more than "
            "once; each label needs a name of its own"
        )
    Y = np.column_stack([indicators(c, n, where) for c, n in zip(columns, names)])
    return Y, names


def is_number(s: object) -> bool:
    """Whether ``float(s)`` succeeds.

    Examples
    --------
    >>> from logitlab.data.labels import is_number
    >>> is_number("1e-3"), is_number("nan"), is_number("cat")
    (True, True, False)
    """
    try:
        float(s)
    except (TypeError, ValueError):
        return False
    return True
