"""HDF5 files: the course's ``train_set_x``/``train_set_y`` layout, or any x and y keys.

`HDF5Rows` is the one reader of features from HDF5: `load_source` reads through it
(whole, or lazily with ``lazy=True``), and so does
`logitlab.torch_engine.data.HDF5Dataset`, one example at a time.
"""

from __future__ import annotations

import copy
import math
import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .arrays import check_features, default_keys, image_shape_of, labels_from_arrays, scale_features
from .errors import (
    DataError,
    DataKeyError,
    DataReadError,
    check_memory,
    check_path,
)
from .lazy import LazyRows

__all__ = [
    "HDF5Rows",
    "HDF5_SUFFIXES",
    "dataset_keys",
    "get_dataset",
    "load_hdf5",
    "open_hdf5",
    "read_dataset",
]

#: File name extensions read as HDF5 (compared case-insensitively).
HDF5_SUFFIXES = (".h5", ".hdf5", ".he5")

# What h5py (and the HDF5 library under it) raises for a damaged file: mostly OSError;
# KeyError when an object's header is corrupt, RuntimeError and ValueError for other
# broken structures, TypeError for a datatype message NumPy has no twin for.
_H5_ERRORS = (OSError, RuntimeError, KeyError, ValueError, TypeError)


@contextmanager
def _reading(what):
    """h5py's errors for a damaged file -> one DataReadError naming ``what``; our own
    DataErrors (a KeyError, a ValueError too) pass through unchanged."""
    try:
        yield
    except DataError:
        raise
    except _H5_ERRORS as exc:
        raise DataReadError(f"{what} (truncated or corrupt file?): {exc}") from exc


def _file_where(path):
    return f"HDF5 file {str(path)!r}"


def open_hdf5(path: str | os.PathLike):
    """Open an HDF5 file read-only, after checking that it is a regular file.

    Returns
    -------
    h5py.File

    Raises
    ------
    MissingDataError
        If ``path`` does not exist (also a ``FileNotFoundError``).
    DataReadError
        If the file is not HDF5, or is truncated or corrupt (also an ``OSError``).
    DataError
        If ``path`` is a directory, a named pipe or a device.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from logitlab.data.hdf5 import open_hdf5
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = Path(tmp) / "notes.h5"
    ...     _ = file.write_text("not HDF5")
    ...     try:
    ...         open_hdf5(file)
    ...     except OSError as exc:
    ...         print(str(exc).replace(tmp, "TMP")[:63])
    cannot open HDF5 file 'TMP/notes.h5' (not HDF5, truncated or co
    """
    import h5py

    check_path(path, "file", "HDF5 file")
    try:
        return h5py.File(path, "r")
    except _H5_ERRORS as exc:
        raise DataReadError(
            f"cannot open {_file_where(path)} (not HDF5, truncated or corrupt?): {exc}"
        ) from exc


def dataset_keys(f) -> list[str]:
    """The paths of every dataset in the open HDF5 file ``f`` (groups walked), in
    HDF5's order (``"X"``, ``"group/targets"`` ...).

    Raises
    ------
    DataReadError
        If the file's structure cannot be walked (a corrupt file).
    """
    import h5py

    keys = []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            # h5py gives a name that is not UTF-8 (a corrupt file's) as bytes
            keys.append(name.decode(errors="replace") if isinstance(name, bytes) else name)

    with _reading(f"cannot list the datasets of {_file_where(f.filename)}"):
        f.visititems(visit)
    return keys


def get_dataset(f, key: str):
    """The dataset ``key`` of the open HDF5 file ``f``.

    Raises
    ------
    DataKeyError
        If the file has no ``key`` (also a ``KeyError``); the message lists its datasets.
    DataError
        If ``key`` names a group.
    DataReadError
        If the file is too damaged to look ``key`` up.
    """
    import h5py

    where = _file_where(f.filename)
    with _reading(f"cannot read key {key!r} of {where}"):
        if key not in f:
            keys = ", ".join(repr(k) for k in dataset_keys(f)) or "none"
            raise DataKeyError(f"{where} has no key {key!r}; its datasets: {keys}")
        d = f[key]
        if not isinstance(d, h5py.Dataset):
            raise DataError(f"{where}, key {key!r} is a group, not a dataset")
        _ = (d.shape, d.dtype)  # a corrupt header fails here, not later
    return d


def read_dataset(f, key: str) -> np.ndarray:
    """Read the whole dataset ``key`` of the open HDF5 file ``f`` (labels, class names),
    after checking that it fits in memory.

    Raises
    ------
    DataKeyError, DataError, DataReadError
        As `get_dataset`; DataError also for an empty dataset (no dataspace) or one
        too large for the memory available.
    """
    d = get_dataset(f, key)
    where = f"{_file_where(f.filename)}, key {key!r}"
    if d.shape is None:
        raise DataError(f"{where} is empty (it holds no values)")
    check_memory(math.prod(d.shape) * d.dtype.itemsize, f"{where} (shape {d.shape})")
    with _reading(f"cannot read {where}"):
        return np.asarray(d[()])


class HDF5Rows(LazyRows):
    """The examples of an HDF5 dataset as the rows of a feature matrix, read on demand.

    Row ``i`` is ``f[x_key][i]`` (the dataset has shape ``(m, ...)``) unrolled
    row-major; uint8 data (pixels) is divided by 255, other numeric data is taken as
    float64: the notes' ``train_set_x[i].reshape(-1) / 255``. A `LazyRows`: ``X[i]``,
    ``X[rows]``, ``X.take(rows)``, ``np.asarray(X)``.

    Parameters
    ----------
    path : str or os.PathLike
        The HDF5 file.
    x_key : str
        The dataset of features, of shape ``(m, ...)``.
    rows : array-like of int, optional
        The positions (along the dataset's first axis) of this object's rows, as
        `take` makes them; default every example, in order.

    Attributes
    ----------
    path : pathlib.Path
    x_key : str
    dataset_shape : tuple of int
        The shape of the dataset, ``(m, ...)``.
    source_dtype : numpy.dtype
        Its dtype, as stored.
    shape : tuple of int
        ``(n, n_x)``: ``n`` rows (``m`` unless ``rows`` is given), ``n_x`` the product
        of ``dataset_shape[1:]``.
    image_shape : tuple of int or None
        ``(H, W, C)`` for ``(m, H, W, C)`` data, or ``(m, H, W)`` uint8 data; else None.

    Raises
    ------
    MissingDataError, DataReadError, DataKeyError, DataError
        As `open_hdf5` and `get_dataset`; DataError also for data that is not
        numeric, or a scalar. Each is a `DataError` (a ``ValueError``); the first
        three are also a ``FileNotFoundError``, an ``OSError`` and a ``KeyError``.

    Notes
    -----
    The constructor opens the file only to check the dataset, then closes it. The
    first read in a process opens the file read-only and keeps that handle for the
    process's later reads, so each ``DataLoader`` worker opens its own (HDF5 handles
    must not cross processes). A handle is never pickled; a process forked from one
    that had the file open notices the new process id and opens its own. `close`
    closes this process's handle; the next read reopens it.

    A read of examples that cannot be decoded (a corrupt chunk) raises `DataReadError`
    naming the example, and a non-finite value read (NaN, inf) raises `DataError`
    naming the example and feature: features are checked as they are read.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import h5py
    >>> import numpy as np
    >>> from logitlab.data import HDF5Rows
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = Path(tmp) / "train.h5"
    ...     with h5py.File(file, "w") as f:
    ...         _ = f.create_dataset("X", data=np.arange(24, dtype=np.uint8).reshape(4, 2, 3))
    ...     X = HDF5Rows(file, "X")
    ...     print(X.shape, X.image_shape, X[1] * 255, X.take([3, 0])[:].shape)
    ...     X.close()
    (4, 6) (2, 3, 1) [ 6.  7.  8.  9. 10. 11.] (2, 6)
    """

    def __init__(self, path: str | os.PathLike, x_key: str, *, rows=None):
        self.path = Path(path)
        self.x_key = x_key
        self._h5 = self._x = self._pid = None
        with open_hdf5(self.path) as f:
            d = get_dataset(f, x_key)
            with _reading(f"cannot read {self.where}"):
                shape, dtype = d.shape, d.dtype
        if dtype.kind not in "biuf":
            raise DataError(f"{self.where} must be numeric, got dtype {dtype}")
        if shape is None or len(shape) == 0:
            raise DataError(
                f"{self.where} is a scalar (or empty); it must hold one example per "
                "entry along its first axis"
            )
        self.dataset_shape = tuple(int(s) for s in shape)
        self.source_dtype = np.dtype(dtype)
        self.image_shape = image_shape_of(self.dataset_shape, dtype)
        m = self.dataset_shape[0]
        self._rows = None
        if rows is not None:
            self._rows = np.asarray(rows, dtype=np.int64).reshape(-1)
            if ((self._rows < 0) | (self._rows >= m)).any():
                raise IndexError(f"rows must lie in [0, {m}) for {self.where}")
        n = m if self._rows is None else len(self._rows)
        self.shape = (n, math.prod(self.dataset_shape[1:]))

    @property
    def where(self) -> str:
        """``"HDF5 file '<path>', key '<x_key>'"``, for messages."""
        return f"{_file_where(self.path)}, key {self.x_key!r}"

    @property
    def bytes_per_row(self) -> int:
        # the float64 row, and up to two raw rows (reads span gaps, see read_rows)
        return self.shape[1] * (8 + 2 * self.source_dtype.itemsize)

    @property
    def handle(self):
        """The ``h5py.File`` this process has open for reading, or None."""
        return self._h5 if self._pid == os.getpid() else None

    def _dataset(self):
        """This process's open dataset, opening the file on first use."""
        pid = os.getpid()
        if self._x is None or self._pid != pid:
            # a handle inherited from another process (fork) is dropped, never used
            self._h5 = self._x = self._pid = None
            f = open_hdf5(self.path)
            try:
                x = get_dataset(f, self.x_key)
            except BaseException:
                f.close()
                raise
            self._h5, self._x, self._pid = f, x, pid
        return self._x

    def close(self) -> None:
        """Close this process's file handle, if open (the next read reopens it)."""
        if self._h5 is not None and self._pid == os.getpid():
            self._h5.close()
        self._h5 = self._x = self._pid = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_h5"] = state["_x"] = state["_pid"] = None  # never pickle a handle
        return state

    def read_rows(self, rows: np.ndarray) -> np.ndarray:
        pos = rows if self._rows is None else self._rows[rows]
        # h5py reads increasing, distinct positions: read those, then reorder
        unique, inverse = np.unique(pos, return_inverse=True)
        X = scale_features(self._read(unique))
        if self.source_dtype.kind == "f":
            bad = ~np.isfinite(X)
            if bad.any():
                r, c = (int(v) for v in np.argwhere(bad)[0])
                i = int(unique[r])
                raise DataError(
                    f"{self.where}: example {i} (row {i + 1}) holds {X[r, c]} in feature "
                    f"{c}; features must be finite numbers"
                )
        return X[inverse.reshape(-1)]

    def _read(self, unique):
        data = self._dataset()
        if len(unique) == 0:
            return np.empty((0,) + self.dataset_shape[1:], self.source_dtype)
        lo, hi = int(unique[0]), int(unique[-1]) + 1
        try:
            if hi - lo <= 2 * len(unique) + 16:  # one contiguous read beats a scattered one
                return data[lo:hi][unique - lo]
            return data[unique]
        except _H5_ERRORS as exc:
            for i in unique.tolist():  # find the example at fault, for the message
                with _reading(f"cannot read example {i} of {self.where}"):
                    data[i]
            raise DataReadError(
                f"cannot read {len(unique)} examples of {self.where}: {exc}"
            ) from exc

    def take_rows(self, rows: np.ndarray) -> HDF5Rows:
        new = copy.copy(self)  # through __getstate__: without this process's handle
        new._rows = rows.copy() if self._rows is None else self._rows[rows]
        new.shape = (len(new._rows), self.shape[1])
        return new

    def __repr__(self) -> str:
        return f"HDF5Rows({str(self.path)!r}, {self.x_key!r}, shape={self.shape})"


def load_hdf5(path: Path, opts: dict) -> dict:
    """Read an HDF5 file into reader parts (`load_source`'s HDF5 branch).

    The keys are ``opts["x_key"]`` and ``opts["y_key"]``, or found by
    `~logitlab.data.arrays.default_keys`; a ``list_classes`` dataset of strings names
    the classes. The labels are read at once. The features are an `HDF5Rows`, read
    whole unless ``opts["lazy"]`` (after checking that they fit in memory).

    Returns
    -------
    dict
        ``X`` (float64 array, or `HDF5Rows`), ``y``, ``class_names``, ``image_shape``.

    Raises
    ------
    DataError
        Naming the file, and the key, example or value at fault.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import h5py
    >>> import numpy as np
    >>> from logitlab.data.hdf5 import load_hdf5
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = Path(tmp) / "cats.h5"
    ...     with h5py.File(file, "w") as f:
    ...         _ = f.create_dataset("train_set_x", data=np.zeros((2, 2, 2, 3), np.uint8))
    ...         _ = f.create_dataset("train_set_y", data=np.array([[1, 0]]))
    ...         _ = f.create_dataset("list_classes", data=[b"non-cat", b"cat"])
    ...     parts = load_hdf5(file, {"lazy": True})
    >>> parts["X"].shape, parts["y"], parts["class_names"], parts["image_shape"]
    ((2, 12), array([1, 0]), ['non-cat', 'cat'], (2, 2, 3))
    """
    where = _file_where(path)
    with open_hdf5(path) as f:
        keys = dataset_keys(f)
        x_key, y_key = default_keys(set(keys), opts.get("x_key"), opts.get("y_key"), where)
        y = read_dataset(f, y_key)
        names = read_dataset(f, "list_classes") if "list_classes" in keys else None
    if names is not None and names.dtype.kind not in "SUO":
        names = None
    rows = HDF5Rows(path, x_key)
    image_shape = check_features(rows.dataset_shape, rows.source_dtype, where, x_key)
    y, class_names = labels_from_arrays(y, names, len(rows), where, x_key, y_key)
    X = rows
    if not opts.get("lazy"):
        try:
            X = rows[:]
        finally:
            rows.close()
    return dict(X=X, y=y, class_names=class_names, image_shape=image_shape)
