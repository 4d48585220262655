"""CSV tables with a header row: numeric feature columns and label column(s)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .errors import DataError, short_repr
from .labels import is_number, labels_from_columns, select_columns

__all__ = ["FIELD_LIMIT", "csv_rows", "load_csv", "read_text"]


#: The longest CSV field read, in characters: the csv module's default limit, enforced
#: here because csv.field_size_limit is global and other libraries raise it
#: (scipy.io.arff sets it to the maximum when imported).
FIELD_LIMIT = 131072


def read_text(path: Path, where: str) -> str:
    """The text of a UTF-8 file (a byte-order mark is dropped).

    Raises
    ------
    DataError
        Naming ``where``: for a file that cannot be read, is not UTF-8 text, or holds
        a NUL character (a binary file).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from logitlab.data.tables import read_text
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "b.csv").write_bytes(b"a,y\\n1,\\x000\\n")
    ...     try:
    ...         read_text(Path(tmp) / "b.csv", "CSV file 'b.csv'")
    ...     except ValueError as exc:
    ...         print(exc)
    CSV file 'b.csv': line 2 holds a NUL character; not a text file
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"cannot read {where}: not UTF-8 text ({exc})") from None
    except OSError as exc:
        raise DataError(f"cannot read {where}: {exc.strerror or exc}") from None
    nul = text.find("\0")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise DataError(f"{where}: line {line} holds a NUL character; not a text file")
    return text


def csv_rows(text: str, where: str, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """The rows of a CSV text that are not blank, with their line numbers.

    Quoting is strict: an unclosed quote, or text after a closing quote, is an error
    rather than a field that swallows the lines below it.

    Raises
    ------
    DataError
        For malformed CSV, or a field longer than `FIELD_LIMIT` characters, naming
        ``where`` and the line.

    Examples
    --------
    >>> from logitlab.data.tables import csv_rows
    >>> list(csv_rows('a,b\\n\\n1,"x, y"\\n', "t.csv"))
    [(1, ['a', 'b']), (3, ['1', 'x, y'])]
    >>> list(csv_rows('a,b\\n1,"x\\n2,3\\n', "t.csv"))
    Traceback (most recent call last):
    ...
    logitlab.data.errors.DataError: t.csv: line 3: malformed CSV: unexpected end of data
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise DataError(f"{where}: line {reader.line_num}: malformed CSV: {exc}") from None
        longest = max(map(len, row), default=0)
        if longest > FIELD_LIMIT:
            raise DataError(
                f"{where}: line {reader.line_num}: a field of {longest} characters, more "
                f"than {FIELD_LIMIT}; is it a CSV file (or a quote left open)?"
            )
        if row and any(c.strip() for c in row):
            yield reader.line_num, row


def load_csv(path: Path, opts: dict) -> dict:
    r"""Read a CSV file with a header row into reader parts (`load_source`'s CSV branch).

    The delimiter is ``,``, or ``;`` or a tab when the header holds no comma. Blank
    lines are skipped. The label column(s) are ``opts["labels"]`` (default: the last
    column, see `~logitlab.data.labels.select_columns`); every other column must be
    numeric and finite.

    Parameters
    ----------
    path : pathlib.Path
        The CSV file.
    opts : dict
        `~logitlab.data.load_source`'s options (``labels`` is used).

    Returns
    -------
    dict
        ``X`` (float64), ``y``, ``class_names`` and ``feature_names``.

    Raises
    ------
    DataError
        Naming the file, and the column, line and value at fault.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from logitlab.data.tables import load_csv
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = Path(tmp) / "pets.csv"
    ...     _ = file.write_text("weight,animal\n4,cat\n30,dog\n")
    ...     parts = load_csv(file, {})
    >>> parts["X"].tolist(), parts["y"].tolist(), parts["class_names"]
    ([[4.0], [30.0]], [0, 1], ['cat', 'dog'])
    """
    where = f"CSV file {str(path)!r}"
    text = read_text(path, where)
    first = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first:
        delimiter = ";" if ";" in first else ("\t" if "\t" in first else ",")
    header, rows, lines = None, [], []
    for line, row in csv_rows(text, where, delimiter):
        if header is None:
            header = [c.strip() for c in row]
            continue
        if len(row) != len(header):
            raise DataError(
                f"{where}: line {line} has {len(row)} fields but the header has {len(header)}"
            )
        rows.append(row)
        lines.append(line)
    if header is None:
        raise DataError(f"{where} is empty")
    if all(is_number(c) for c in header):
        raise DataError(
            f"{where}: the first line {first.strip()[:60]!r} looks like data; "
            "a header row naming the columns is required"
        )
    if not rows:
        raise DataError(f"{where}: no data rows below the header")
    if len(header) < 2:
        raise DataError(f"{where}: a single column {header[0]!r}; need features and labels")

    label_idx = select_columns(
        opts["labels"] if opts.get("labels") is not None else "last:1", header, where
    )
    feat_idx = [j for j in range(len(header)) if j not in set(label_idx)]
    cells = [[row[j] for j in feat_idx] for row in rows]
    try:
        X = np.array(cells, dtype=np.float64)
    except ValueError:
        for r, row in enumerate(cells):
            for c, v in enumerate(row):
                if not is_number(v):
                    raise DataError(
                        f"{where}: column {header[feat_idx[c]]!r} is not numeric: value "
                        f"{short_repr(v)} in row {r + 1} (line {lines[r]}); "
                        "features must be numbers"
                    ) from None
        raise  # pragma: no cover - numpy and float() agree
    label_cols = [np.array([row[j].strip() for row in rows]) for j in label_idx]
    try:
        y, class_names = labels_from_columns(label_cols, [header[j] for j in label_idx], where)
    except DataError as exc:
        raise DataError(_row_to_line(str(exc), lines)) from None
    X = X.reshape(len(rows), len(feat_idx))
    _check_finite_csv(X, [header[j] for j in feat_idx], lines, where)
    return dict(
        X=X,
        y=y,
        class_names=class_names,
        feature_names=[header[j] for j in feat_idx],
        label_columns=[header[j] for j in label_idx],
    )


def _row_to_line(message, lines):
    """Add the file's line number to each data row a message names."""
    return re.sub(
        r"in row (\d+)", lambda m: f"{m.group(0)} (line {lines[int(m.group(1)) - 1]})", message
    )


def _check_finite_csv(X, names, lines, where):
    bad = ~np.isfinite(X)
    if bad.any():
        r, c = (int(v) for v in np.argwhere(bad)[0])
        raise DataError(
            f"{where}: column {names[c]!r} holds {X[r, c]} in row {r + 1} "
            f"(line {lines[r]}); features must be finite numbers"
        )
