"""`DataError`: the one exception for data a user brings that cannot be loaded."""

from __future__ import annotations

__all__ = ["DataError"]


class DataError(ValueError):
    """A data source that cannot be loaded; the message names the file, column, key
    or value at fault and says what is wrong.

    Examples
    --------
    >>> from logitlab.data import DataError, load_source
    >>> try:
    ...     load_source("no/such/file.csv")
    ... except DataError as exc:
    ...     print(exc)
    'no/such/file.csv' does not exist
    """
