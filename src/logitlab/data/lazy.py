"""`LazyRows`: the rows of a feature matrix, read from disk only when they are indexed.

A data set larger than memory can still be split, streamed in mini-batches and
evaluated chunk by chunk, if its features are an object that acts as a read-only
``(n, n_x)`` float64 array whose rows are read on demand. `LazyRows` is that object's
base class; `~logitlab.data.ImageFiles` (image files) and `~logitlab.data.HDF5Rows`
(an HDF5 dataset) are its kinds, and ``load_source(..., lazy=True)`` returns them.
"""

from __future__ import annotations

from collections.abc import Iterator
from numbers import Integral

import numpy as np

from .errors import check_memory

__all__ = ["LazyRows"]


class LazyRows:
    """Rows of a feature matrix read on demand: a read-only ``(n, n_x)`` float64 array.

    Only what locates the rows (file names, a file and key) is held in memory, so
    objects are small and picklable: a ``DataLoader``'s worker processes each get a
    copy and read their own rows.

    Attributes
    ----------
    shape : tuple of int
        ``(n, n_x)``.
    image_shape : tuple of int or None
        ``(H, W, C)`` when each row is an unrolled image, else None.
    ndim : int
        2.
    dtype : numpy.dtype
        float64, the dtype of every row read.

    Notes
    -----
    Indexing reads:

    - ``X[i]`` (an int, negative counting from the end): row ``i``, shape ``(n_x,)``;
    - ``X[index]`` (a slice, an int array or a boolean mask of length ``n``): those
      rows, in that order, as a ``(k, n_x)`` array;
    - ``np.asarray(X)``: every row.

    ``X.take(index)`` gives the rows ``index`` as a `LazyRows` of the same kind,
    unread. A read that would not fit in the memory available is refused (`DataError`)
    before anything is read.

    A kind of rows subclasses `LazyRows`, sets ``shape`` (and ``image_shape``) and
    implements `read_rows` and `take_rows`; both get an int array of row positions,
    already checked.

    Examples
    --------
    The smallest kind: rows computed rather than read.

    >>> import numpy as np
    >>> from logitlab.data import LazyRows
    >>> class Squares(LazyRows):
    ...     def __init__(self, values):
    ...         self.values = np.asarray(values, dtype=np.float64)
    ...         self.shape = (len(self.values), 2)
    ...     def read_rows(self, rows):
    ...         v = self.values[rows]
    ...         return np.column_stack([v, v**2])
    ...     def take_rows(self, rows):
    ...         return Squares(self.values[rows])
    >>> X = Squares([1, 2, 3])
    >>> X[1], X[[2, 0]].tolist(), X.take([False, True, True]).shape, len(X)
    (array([2., 4.]), [[3.0, 9.0], [1.0, 1.0]], (2, 2), 3)
    >>> np.asarray(X).sum(axis=0)
    array([ 6., 14.])
    """

    shape: tuple[int, int]
    image_shape: tuple[int, int, int] | None = None
    ndim = 2
    dtype = np.dtype(np.float64)

    # ------------------------------------------------------------------ to implement
    def read_rows(self, rows: np.ndarray) -> np.ndarray:
        """Read the rows at positions ``rows`` (ints in ``[0, n)``, any order, repeats
        allowed) as a ``(len(rows), n_x)`` float64 array."""
        raise NotImplementedError

    def take_rows(self, rows: np.ndarray) -> LazyRows:
        """The rows at positions ``rows`` (as for `read_rows`) as a new `LazyRows`,
        unread."""
        raise NotImplementedError

    @property
    def bytes_per_row(self) -> int:
        """Memory one row takes while it is read (at least its float64 values)."""
        return self.shape[1] * 8

    # ------------------------------------------------------------------ array protocol
    def __len__(self) -> int:
        return self.shape[0]

    def positions(self, index) -> np.ndarray:
        """The row positions ``index`` selects (a slice, an int array or a boolean
        mask), as an int64 array of values in ``[0, n)``.

        Raises
        ------
        IndexError
            For an index out of range, or a mask of the wrong length.
        TypeError
            For anything else (rows only: ``X[i, j]`` is not supported).
        """
        n = len(self)
        if isinstance(index, slice):
            return np.arange(*index.indices(n), dtype=np.int64)
        if isinstance(index, tuple):
            raise TypeError(
                f"{type(self).__name__} indexes rows only (X[rows]), got a tuple {index!r}"
            )
        a = np.asarray(index)
        if a.dtype == bool:
            if a.shape != (n,):
                raise IndexError(f"a boolean mask of shape {a.shape} for {n} rows")
            return np.flatnonzero(a).astype(np.int64)
        if a.dtype.kind not in "iu" and not (a.size == 0 and a.dtype.kind == "f"):
            raise TypeError(f"rows are indexed by ints, slices or masks, got {index!r}")
        a = a.astype(np.int64).reshape(-1)
        bad = (a < -n) | (a >= n)
        if bad.any():
            raise IndexError(f"row {int(a[bad][0])} is out of range for {n} rows")
        return np.where(a < 0, a + n, a)

    def __getitem__(self, index) -> np.ndarray:
        if isinstance(index, Integral) and not isinstance(index, bool):
            i = int(index)
            if not -len(self) <= i < len(self):
                raise IndexError(f"row {i} is out of range for {len(self)} rows")
            return self.read_rows(np.array([i % len(self)], dtype=np.int64))[0]
        rows = self.positions(index)
        check_memory(len(rows) * self.bytes_per_row, f"reading {len(rows)} rows of {self!r}")
        out = self.read_rows(rows)
        return out.reshape(len(rows), self.shape[1])

    def take(self, index) -> LazyRows:
        """The rows ``index`` (a slice, an int array or a boolean mask) as a `LazyRows`
        of the same kind, unread."""
        return self.take_rows(self.positions(index))

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self.read_rows(np.array([i], dtype=np.int64))[0]

    def __array__(self, dtype=None, copy=None):
        out = self[:]
        return out if dtype is None else out.astype(dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(shape={self.shape})"
