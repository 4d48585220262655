"""ARFF files (Weka, MULAN, MEKA): dense data read with ``scipy.io.arff``; sparse data
(``{index value, ...}`` rows, as MULAN's text sets are written) streamed into a
``scipy.sparse`` CSR matrix by a reader of our own, never densified.

SciPy's reader has no sparse support, so `load_arff` sends a file with any sparse row
to ``_load_sparse``, which reads the header and then one data line at a time, keeping
only the non-zero entries: its memory grows with the non-zeros, not rows x columns.
Both paths choose the label attributes the same way (`load_arff`'s Notes).
"""

from __future__ import annotations

import io
import math
import re
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .._atomic import atomic_path
from .errors import DataError, short_repr
from .labels import is_number, labels_from_columns, select_columns

__all__ = ["load_arff", "write_sparse_arff"]

_NUMERIC_ARFF = ("numeric", "real", "integer")
_OTHER_ARFF = ("string", "date", "relational")

#: The trailing {0,1} attributes are taken as the labels only if the features left
#: number at least this share of them: more labels than ten times the features
#: (a leading id before word features and labels, all {0,1}) is a guess, not a find.
_MIN_FEATURE_SHARE = 0.1


def load_arff(path: Path, opts: dict) -> dict:
    r"""Read an ARFF file, dense or sparse, into reader parts (`load_source`'s ARFF
    branch).

    Parameters
    ----------
    path : pathlib.Path
        The ARFF file.
    opts : dict
        `~logitlab.data.load_source`'s options (``labels`` is used; without it the
        label attributes are found as the Notes say).

    Returns
    -------
    dict
        ``X`` (float64: an ndarray for dense data, where a missing value ``?`` is NaN,
        which `load_source` refuses; a ``scipy.sparse`` CSR matrix when the file has
        sparse rows), ``y``, ``class_names``, ``feature_names`` and ``label_columns``.

    Raises
    ------
    DataError
        Naming the file, and the attribute, line, row and value at fault.

    Notes
    -----
    Labels, when ``labels`` is not given: a MEKA-style ``-C N`` option in the
    ``@relation`` name (``'yeast: -C -14'``: the last 14 attributes; ``-C 14`` the
    first 14); else the trailing run of nominal ``{0,1}`` attributes, when something
    else comes before it (yeast's 103 numeric features, then its 14 labels): one such
    attribute is a binary class, several are the labels of a multi-label task; else
    the last attribute (the class). When every attribute is ``{0,1}``, or the run
    leaves fewer features than a tenth of it, as in MULAN's text sets whose word
    features are ``{0,1}`` too, which attributes are labels cannot be told from the
    file: it is refused, asking for ``labels`` (``"last:N"`` or their names).

    Sparse rows list the non-zero values as ``{index value, ...}`` with increasing
    0-based attribute indices; an attribute left out is 0 (for a nominal attribute,
    its first declared value). A file may mix sparse and dense rows. Nominal
    ``{0,1}``-style features are read as their numbers; a missing value ``?`` is
    refused, as it is in dense files.

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

    The same data with sparse rows (``{}``: every value 0, here a = 0 and c = x):

    >>> text = text.replace("1,x\n2,y\n", "{0 1}\n{0 2, 1 y}\n{}\n")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = Path(tmp) / "r.arff"
    ...     _ = file.write_text(text)
    ...     parts = load_arff(file, {})
    >>> parts["X"].format, parts["X"].toarray().tolist(), parts["y"].tolist()
    ('csr', [[1.0], [2.0], [0.0]], [0, 1, 0])
    """
    where = f"ARFF file {str(path)!r}"
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            relation, sparse, has_data = _arff_header_facts(f)
    except OSError as exc:
        raise DataError(f"cannot read {where}: {exc}") from None
    if not has_data:
        start = _first_text(path, where)
        if not start:
            raise DataError(f"{where} is empty")
        raise DataError(
            f"cannot parse {where}: no @data line (is it an ARFF file? it starts {start!r})"
        )
    if sparse:  # streamed: the file is never read whole
        return _load_sparse(path, opts, where)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DataError(f"cannot read {where}: {exc}") from None
    if _has_sparse_rows(text):  # a later row is sparse: a mixed file
        return _load_sparse(path, opts, where)
    return _load_dense(text, relation, opts, where)


def _load_dense(text: str, relation: str, opts: dict, where: str) -> dict:
    """A dense ARFF file's text, read with ``scipy.io.arff``."""
    from scipy.io import arff

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

    nominal = [nominal_values(name) for name in names]
    label_idx = _label_attributes(opts, names, nominal, relation, where)
    feat_idx = [j for j in range(len(names)) if j not in set(label_idx)]
    X = np.empty((len(data), len(feat_idx)), dtype=np.float64)
    for c, j in enumerate(feat_idx):
        column = data[names[j]]
        if types[j] in _NUMERIC_ARFF:
            X[:, c] = column
            continue
        values = nominal[j]
        if values is None or not all(is_number(v) for v in values):
            raise DataError(_not_a_feature(where, names[j], types[j], values))
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


def _not_a_feature(where, name, kind, values):
    return (
        f"{where}: attribute {name!r} is {kind}"
        f"{' {' + ','.join(values) + '}' if values else ''}; feature "
        "attributes must be numeric (or name it as a label with labels=)"
    )


def _label_attributes(opts, names, nominal, relation, where):
    """The label attributes' indices: as ``labels`` says, else found (Notes)."""
    if opts.get("labels") is not None:
        return select_columns(opts["labels"], names, where)
    return _arff_label_columns(names, nominal, relation, where)


def _arff_header_facts(lines):
    """(relation name, whether the data is sparse, whether there is an @data line),
    reading ``lines`` (a text or an open file) only up to the first data row."""
    relation, sparse, in_data = "", False, False
    for line in lines.splitlines() if isinstance(lines, str) else lines:
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


def _first_text(path, where):
    """The first 40 characters of a file that are not blank ('' for a blank file)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.strip():
                    return line.lstrip()[:40]
    except OSError as exc:
        raise DataError(f"cannot read {where}: {exc}") from None
    return ""


def _has_sparse_rows(text):
    """Whether a data row after ``@data`` starts with ``{``."""
    m = re.search(r"^[ \t]*@data\b", text, re.IGNORECASE | re.MULTILINE)
    return m is not None and re.search(r"^[ \t]*\{", text[m.end() :], re.MULTILINE) is not None


def _arff_label_columns(names, nominal, relation, where):
    """The label attributes found without ``labels`` (`load_arff`'s Notes);
    ``nominal[j]`` is attribute j's declared values (None unless nominal)."""
    n = len(names)
    m = re.search(r"-C\s+(-?\d+)", relation)
    if m:
        k = int(m.group(1))
        if 0 < abs(k) < n:
            return list(range(n - abs(k), n)) if k < 0 else list(range(k))
    run = 0
    for values in reversed(nominal):
        if values is None or set(values) != {"0", "1"}:
            break
        run += 1
    if run > 1 and (run == n or n - run < _MIN_FEATURE_SHARE * run):
        raise DataError(
            f"{where}: the last {run} of the {n} attributes are nominal {{0,1}}, so which "
            "are labels and which are features cannot be told; name the labels: "
            "--labels last:N (labels='last:N' in Python) or their names, or put "
            "MEKA's '-C -N' in the @relation name"
        )
    if 0 < run < n:
        return list(range(n - run, n))
    if n < 2:
        raise DataError(f"{where}: a single attribute {names[0]!r}; need features and labels")
    return [n - 1]


# ------------------------------------------------------------------- sparse reader
class _Attribute:
    """One ``@attribute``: its name, kind (numeric, nominal, string ...) and, for a
    nominal one, its declared values."""

    __slots__ = ("kind", "name", "values")

    def __init__(self, name: str, kind: str, values: tuple[str, ...] | None) -> None:
        self.name, self.kind, self.values = name, kind, values


def _unquote(token: str) -> str:
    """A name or value without its ARFF quotes (and their backslash escapes)."""
    if len(token) >= 2 and token[0] in "'\"" and token[-1] == token[0]:
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


def _split_fields(s: str) -> list[str]:
    """``s`` split at the commas outside quotes, each field stripped.

    Raises
    ------
    ValueError
        For a quote that is not closed.
    """
    if "'" not in s and '"' not in s:
        return [f.strip() for f in s.split(",")]
    out: list[str] = []
    cur: list[str] = []
    quote = ""
    i = 0
    while i < len(s):
        c = s[i]
        if quote:
            cur.append(c)
            if c == "\\" and i + 1 < len(s):
                cur.append(s[i + 1])
                i += 1
            elif c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
            cur.append(c)
        elif c == ",":
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    if quote:
        raise ValueError(f"a {quote} quote is not closed")
    out.append("".join(cur).strip())
    return out


def _parse_attribute(rest: str, at: str) -> _Attribute:
    """An ``@attribute`` line's name and type (``rest``: what follows the keyword)."""
    rest = rest.strip()
    if rest[:1] in ("'", '"'):
        m = re.match(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""", rest)
        if m is None:
            raise DataError(f"{at}: the attribute's name has no closing quote")
        name, kind = _unquote(m.group(1)), rest[m.end() :].strip()
    else:
        name, _, kind = rest.partition(" ") if " " in rest else rest.partition("\t")
        kind = kind.strip()
    if not name or not kind:
        raise DataError(f"{at}: an @attribute needs a name and a type, got {short_repr(rest)}")
    if kind.startswith("{"):
        if not kind.endswith("}"):
            raise DataError(f"{at}: the nominal values of {name!r} have no closing '}}'")
        try:
            values = tuple(_unquote(v) for v in _split_fields(kind[1:-1]))
        except ValueError as exc:
            raise DataError(f"{at}: the nominal values of {name!r}: {exc}") from None
        if any(v == "" for v in values):
            raise DataError(f"{at}: attribute {name!r} declares an empty nominal value")
        if len(set(values)) != len(values):
            raise DataError(f"{at}: attribute {name!r} declares a nominal value twice")
        return _Attribute(name, "nominal", values)
    word = kind.split()[0].lower()
    if word in _NUMERIC_ARFF:
        return _Attribute(name, "numeric", None)
    if word in _OTHER_ARFF:
        return _Attribute(name, word, None)
    raise DataError(f"{at}: attribute {name!r} has an unknown type {short_repr(kind)}")


def _read_header(lines: Iterator[tuple[int, str]], where: str) -> tuple[str, list[_Attribute]]:
    """The relation name and the attributes, reading ``lines`` up to ``@data``."""
    relation = ""
    attributes: list[_Attribute] = []
    for lineno, line in lines:
        s = line.strip()
        if not s or s.startswith("%"):
            continue
        low = s.lower()
        if low.startswith("@relation"):
            relation = s[len("@relation") :].strip()
        elif low.startswith("@attribute"):
            attributes.append(_parse_attribute(s[len("@attribute") :], f"{where}, line {lineno}"))
        elif low.startswith("@data"):
            if not attributes:
                raise DataError(f"cannot parse {where}: no @attribute declarations")
            return relation, attributes
        else:
            raise DataError(
                f"{where}, line {lineno}: {short_repr(s)} is not an @relation, @attribute "
                "or @data line"
            )
    raise DataError(f"cannot parse {where}: no @data line")


def _load_sparse(path: Path, opts: dict, where: str) -> dict:
    """Stream an ARFF file with sparse rows into a CSR matrix (`load_arff`)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = enumerate(f, start=1)
            relation, attributes = _read_header(lines, where)
            names = [a.name for a in attributes]
            nominal = [a.values for a in attributes]
            label_idx = _label_attributes(opts, names, nominal, relation, where)
            return _read_sparse_rows(lines, attributes, label_idx, where)
    except OSError as exc:
        raise DataError(f"cannot read {where}: {exc}") from None


def _read_sparse_rows(lines, attributes, label_idx, where):
    """The data rows (sparse or dense) after ``@data``: features into CSR, labels
    into their columns."""
    n_attr = len(attributes)
    is_label = set(label_idx)
    # per attribute: its feature column (-1: a label) or label position, and the
    # table from a nominal value to the number stored (features: the value's number;
    # labels: its index, so that an omitted value is the first declared one)
    column = [-1] * n_attr
    label_pos = [-1] * n_attr
    table: list[dict[str, float] | None] = [None] * n_attr
    for pos, j in enumerate(label_idx):
        label_pos[j] = pos
        a = attributes[j]
        if a.kind == "nominal":
            table[j] = {v: float(k) for k, v in enumerate(a.values)}
        elif a.kind != "numeric":
            raise DataError(f"{where}: label attribute {a.name!r} is {a.kind}")
    feat_idx = [j for j in range(n_attr) if j not in is_label]
    for c, j in enumerate(feat_idx):
        column[j] = c
        a = attributes[j]
        if a.kind == "nominal":
            if not all(is_number(v) for v in a.values):
                raise DataError(_not_a_feature(where, a.name, a.kind, a.values))
            if float(a.values[0]) != 0:  # sparse rows leave out the first value
                raise DataError(
                    f"{where}: feature attribute {a.name!r} is nominal "
                    f"{{{','.join(a.values)}}}: in sparse rows a value left out is its "
                    f"first, {a.values[0]!r}, not 0; declare it numeric or list 0 first"
                )
            table[j] = {v: float(v) for v in a.values}
        elif a.kind != "numeric":
            raise DataError(_not_a_feature(where, a.name, a.kind, None))

    indptr = array("q", [0])
    indices = array("i")
    data = array("d")
    label_rows, label_cols, label_vals = array("q"), array("i"), array("d")
    n_rows = 0

    def value(j, token, at):
        """Attribute j's ``token`` as the number stored."""
        if token[:1] in ("'", '"'):
            token = _unquote(token)
        if token == "?":
            what = "label attribute" if j in is_label else "attribute"
            raise DataError(
                f"{at}: {what} {attributes[j].name!r} is missing ('?'); "
                + ("labels" if j in is_label else "features")
                + " must be given"
            )
        t = table[j]
        if t is None:
            try:
                return float(token)
            except ValueError:
                raise DataError(
                    f"{at}: attribute {attributes[j].name!r} is numeric but holds "
                    f"{short_repr(token)}"
                ) from None
        v = t.get(token)
        if v is None:
            declared = ",".join(attributes[j].values)
            raise DataError(
                f"{at}: value {short_repr(token)} of attribute {attributes[j].name!r} is "
                f"not one of its declared values {{{declared}}}"
            )
        return v

    def store(j, v):
        if v == 0.0:  # an explicit zero is not kept
            return
        c = column[j]
        if c >= 0:
            indices.append(c)
            data.append(v)
        else:
            label_rows.append(n_rows)
            label_cols.append(label_pos[j])
            label_vals.append(v)

    for lineno, line in lines:
        s = line.strip()
        if not s or s[0] == "%":
            continue
        at = f"{where}, line {lineno} (data row {n_rows + 1})"
        try:
            if s[0] == "{":
                if s[-1] != "}":
                    raise DataError(f"{at}: a sparse row must end with '}}'")
                body = s[1:-1]
                if ("{" in body or "}" in body) and "'" not in body and '"' not in body:
                    raise DataError(
                        f"{at}: braces inside a sparse row; a row is one '{{index value, "
                        "...}' on its own line"
                    )
                fields = _split_fields(body) if body.strip() else []
                prev = -1
                for field in fields:
                    pair = field.split(None, 1)
                    if len(pair) != 2:
                        raise DataError(f"{at}: {short_repr(field)} is not an 'index value' pair")
                    if not (pair[0].isascii() and pair[0].isdigit()):
                        raise DataError(f"{at}: index {short_repr(pair[0])} is not an integer")
                    j = int(pair[0])
                    if not 0 <= j < n_attr:
                        raise DataError(
                            f"{at}: index {j} is out of range: the header declares "
                            f"{n_attr} attributes (0 to {n_attr - 1})"
                        )
                    if j <= prev:
                        raise DataError(
                            f"{at}: index {j} comes after {prev}; indices must increase "
                            "along a row" + (" (each once)" if j == prev else "")
                        )
                    prev = j
                    store(j, value(j, pair[1].strip(), at))
            else:
                fields = _split_fields(s)
                if len(fields) != n_attr:
                    raise DataError(
                        f"{at}: a dense row of {len(fields)} values, but the header "
                        f"declares {n_attr} attributes"
                    )
                for j, token in enumerate(fields):
                    store(j, value(j, token, at))
        except ValueError as exc:
            if isinstance(exc, DataError):
                raise
            raise DataError(f"{at}: {exc}") from None
        n_rows += 1
        indptr.append(len(data))
    if n_rows == 0:
        raise DataError(f"{where}: no data rows")

    X = sp.csr_matrix(
        (
            np.frombuffer(data, dtype=np.float64),
            np.frombuffer(indices, dtype=np.int32),
            np.frombuffer(indptr, dtype=np.int64),
        ),
        shape=(n_rows, len(feat_idx)),
    )
    codes = np.zeros((n_rows, len(label_idx)))
    codes[np.frombuffer(label_rows, dtype=np.int64), np.frombuffer(label_cols, dtype=np.int32)] = (
        np.frombuffer(label_vals, dtype=np.float64)
    )
    columns = []
    for pos, j in enumerate(label_idx):
        values = attributes[j].values
        if values is None:
            columns.append(codes[:, pos])
        elif set(values) == {"0", "1"}:  # a {0,1} label as 0/1, whatever its order
            columns.append(np.array([int(v) for v in values])[codes[:, pos].astype(np.intp)])
        else:
            columns.append(np.array(values)[codes[:, pos].astype(np.intp)])
    y, class_names = labels_from_columns(columns, [attributes[j].name for j in label_idx], where)
    return dict(
        X=X,
        y=y,
        class_names=class_names,
        feature_names=[attributes[j].name for j in feat_idx],
        label_columns=[attributes[j].name for j in label_idx],
    )


# ------------------------------------------------------------------- sparse writer
def write_sparse_arff(
    path: str | Path,
    X: sp.spmatrix | sp.sparray | np.ndarray,
    Y: np.ndarray,
    *,
    relation: str = "data",
    feature_names: Sequence[str] | None = None,
    label_names: Sequence[str] | None = None,
) -> Path:
    r"""Write features and 0/1 labels as a sparse, MULAN-style ARFF file.

    The features come first, then the labels, each label a nominal ``{0,1}``
    attribute; a feature is ``{0,1}`` too when every value of ``X`` is 0 or 1 (word
    presence), numeric otherwise. Each row lists its non-zero values as
    ``{index value, ...}``. The file is written under a temporary name and renamed.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to write.
    X : sparse matrix or ndarray of shape (n_samples, n_features)
        The features (finite numbers).
    Y : ndarray of shape (n_samples, n_labels)
        The labels, 0 or 1.
    relation : str, default="data"
        The ``@relation`` name (MEKA reads the label count from a ``-C N`` in it).
    feature_names, label_names : sequence of str, optional
        The attributes' names; ``f0, f1, ...`` and ``l0, l1, ...`` by default.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from pathlib import Path
    >>> from logitlab.data.arff import load_arff, write_sparse_arff
    >>> X, Y = np.array([[0, 1, 0], [1, 0, 0]]), np.array([[1, 0], [1, 1]])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = write_sparse_arff(Path(tmp) / "t.arff", X, Y)
    ...     print(file.read_text().split("@data\n")[1], end="")
    ...     parts = load_arff(file, {"labels": "last:2"})
    {1 1,3 1}
    {0 1,3 1,4 1}
    >>> parts["X"].toarray().tolist(), parts["y"].tolist()
    ([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], [[1, 0], [1, 1]])
    """
    X = sp.csr_matrix(X, dtype=np.float64)
    X.sum_duplicates()  # sorted indices, each once
    X.eliminate_zeros()
    Y = np.asarray(Y)
    n, m = X.shape
    if Y.ndim != 2 or Y.shape[0] != n or not np.isin(Y, (0, 1)).all():
        raise ValueError(f"Y must be an ({n}, n_labels) array of 0 and 1, got shape {Y.shape}")
    if not np.isfinite(X.data).all():
        raise ValueError("X holds values that are not finite numbers")
    n_labels = Y.shape[1]
    feature_names = [f"f{j}" for j in range(m)] if feature_names is None else feature_names
    label_names = [f"l{k}" for k in range(n_labels)] if label_names is None else label_names
    if len(feature_names) != m or len(label_names) != n_labels:
        raise ValueError("feature_names and label_names must name each column once")
    binary = bool(np.isin(X.data, (0.0, 1.0)).all())
    feature_type = "{0,1}" if binary else "numeric"

    def quoted(name: str) -> str:
        return "'" + str(name).replace("\\", "\\\\").replace("'", "\\'") + "'"

    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(f"@relation {quoted(relation)}\n\n")
        for name in feature_names:
            f.write(f"@attribute {quoted(name)} {feature_type}\n")
        for name in label_names:
            f.write(f"@attribute {quoted(name)} {{0,1}}\n")
        f.write("\n@data\n")
        for i in range(n):
            lo, hi = X.indptr[i], X.indptr[i + 1]
            values = X.data[lo:hi]
            text = ["1"] * (hi - lo) if binary else [repr(float(v)) for v in values.tolist()]
            entries = [f"{j} {v}" for j, v in zip(X.indices[lo:hi].tolist(), text)]
            entries += [f"{m + k} 1" for k in np.flatnonzero(Y[i]).tolist()]
            f.write("{" + ",".join(entries) + "}\n")
    return path
