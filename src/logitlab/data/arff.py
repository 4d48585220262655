"""ARFF files (Weka, MULAN, MEKA), read with ``scipy.io.arff``."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import numpy as np

from .errors import DataError
from .labels import is_number, labels_from_columns, select_columns

__all__ = ["load_arff"]

_NUMERIC_ARFF = ("numeric", "real", "integer")


def load_arff(path: Path, opts: dict) -> dict:
    r"""Read a dense ARFF file into reader parts (`load_source`'s ARFF branch).

    Parameters
    ----------
    path : pathlib.Path
        The ARFF file.
    opts : dict
        `~logitlab.data.load_source`'s options (``labels`` is used; without it the
        label attributes are found as `~logitlab.data.load_source`'s Notes say).

    Returns
    -------
    dict
        ``X`` (float64; a missing value ``?`` is NaN, which `load_source` refuses),
        ``y``, ``class_names`` and ``feature_names``.

    Raises
    ------
    DataError
        Naming the file, and the attribute, row and value at fault.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from logitlab.data.arff import load_arff
    >>> text = "@relation r\n@attribute a numeric\n@attribute c {x,y}\n@data\n1,x\n2,y\n"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = Path(tmp) / "r.arff"
    ...     _ = file.write_text(text)
    ...     parts = load_arff(file, {})
    >>> parts["X"].tolist(), parts["y"].tolist(), parts["class_names"]
    ([[1.0], [2.0]], [0, 1], ['x', 'y'])
    """
    from scipy.io import arff

    where = f"ARFF file {str(path)!r}"
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DataError(f"cannot read {where}: {exc}") from None
    if not text.strip():
        raise DataError(f"{where} is empty")
    relation, sparse, has_data = _arff_header_facts(text)
    if not has_data:
        raise DataError(
            f"cannot parse {where}: no @data line (is it an ARFF file? it starts "
            f"{text.lstrip()[:40]!r})"
        )
    if sparse:
        raise DataError(
            f"{where}: sparse ARFF data ({{index value, ...}} rows) is not "
            "supported; save it in dense form"
        )
    try:
        data, meta = arff.loadarff(io.StringIO(text))
    except Exception as exc:  # scipy raises ValueError, ParseArffError, NotImplementedError ...
        raise DataError(f"cannot parse {where}: {str(exc) or type(exc).__name__}") from None
    names = list(meta.names())
    types = list(meta.types())
    if not names:
        raise DataError(f"cannot parse {where}: no @attribute declarations")
    if len(data) == 0:
        raise DataError(f"{where}: no data rows")

    def nominal_values(name):
        return tuple(v.strip("'\"") for v in meta[name][1]) if meta[name][0] == "nominal" else None

    if opts.get("labels") is not None:
        label_idx = select_columns(opts["labels"], names, where)
    else:
        label_idx = _arff_label_columns(names, types, nominal_values, relation, where)
    feat_idx = [j for j in range(len(names)) if j not in set(label_idx)]
    X = np.empty((len(data), len(feat_idx)), dtype=np.float64)
    for c, j in enumerate(feat_idx):
        column = data[names[j]]
        if types[j] in _NUMERIC_ARFF:
            X[:, c] = column
            continue
        values = nominal_values(names[j]) if types[j] == "nominal" else None
        if values is None or not all(is_number(v) for v in values):
            raise DataError(
                f"{where}: attribute {names[j]!r} is {types[j]}"
                f"{' {' + ','.join(values) + '}' if values else ''}; feature "
                "attributes must be numeric (or name it as a label with labels=)"
            )
        for i, v in enumerate(column.tolist()):  # numeric nominal values, e.g. {0,1}
            v = v.decode(errors="replace") if isinstance(v, bytes) else str(v)
            X[i, c] = float(v) if v != "?" else math.nan
    columns = [data[names[j]] for j in label_idx]
    for j, col in zip(label_idx, columns):
        if col.dtype.kind == "S" and (col == b"?").any():
            i = int(np.flatnonzero(col == b"?")[0])
            raise DataError(
                f"{where}: label attribute {names[j]!r} is missing ('?') in row {i + 1}"
            )
    y, class_names = labels_from_columns(columns, [names[j] for j in label_idx], where)
    return dict(
        X=X,
        y=y,
        class_names=class_names,
        feature_names=[names[j] for j in feat_idx],
        label_columns=[names[j] for j in label_idx],
    )


def _arff_header_facts(text):
    """(relation name, whether the data is sparse, whether there is an @data line)."""
    relation, sparse, in_data = "", False, False
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("%"):
            continue
        low = s.lower()
        if not in_data:
            if low.startswith("@relation"):
                relation = s[len("@relation") :].strip()
            elif low.startswith("@data"):
                in_data = True
            continue
        sparse = s.startswith("{")
        break
    return relation, sparse, in_data


def _arff_label_columns(names, types, nominal_values, relation, where):
    n = len(names)
    m = re.search(r"-C\s+(-?\d+)", relation)
    if m:
        k = int(m.group(1))
        if 0 < abs(k) < n:
            return list(range(n - abs(k), n)) if k < 0 else list(range(k))
    run = 0
    for name in reversed(names):
        values = nominal_values(name)
        if values is None or set(values) != {"0", "1"}:
            break
        run += 1
    if 0 < run < n:
        return list(range(n - run, n))
    if n < 2:
        raise DataError(f"{where}: a single attribute {names[0]!r}; need features and labels")
    return [n - 1]
