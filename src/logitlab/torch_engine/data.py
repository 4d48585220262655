"""PyTorch ``Dataset`` classes and ``DataLoader`` mini-batches, as the notes teach them.

A ``torch.utils.data.Dataset`` answers two questions: how many examples there are
(``__len__``) and what example ``i`` is (``__getitem__``); a ``DataLoader`` draws
indices with a sampler, fetches the examples (in worker processes when
``num_workers > 0``) and stacks them into mini-batches. The datasets here give, for
example ``i``, the features as one unrolled row (the layout of scikit-learn and of
`logitlab.data.load_image_folder`), and the label:

- `ArrayDataset`: arrays already in memory;
- `HDF5Dataset`: an HDF5 file, such as the notes' ``train_catvnoncat.h5``, read one
  example at a time, each worker process with its own file handle;
- `ImageFolderDataset`: a folder of images, one sub-folder per class, decoded one
  image at a time exactly as `logitlab.data.load_image_folder` decodes them;
- `LazyRowsDataset`: any `logitlab.data.LazyRows` (image files, an HDF5 dataset, a
  split of either, as ``load_source(..., lazy=True)`` gives them) with its labels.

`make_loader` builds the ``DataLoader``: seeded (the same ``seed`` gives the same
batches in the same order), and sharded across processes under ``torch.distributed``.
`make_shard_loader` builds the one the torch engine streams from: a
`GlobalBatchSampler` cuts each epoch's order into global batches and hands each
process its interleaved shard of every batch, so N processes see exactly the batches
one process sees.

Shapes, per example and per batch (``B`` the batch size), in the style of
``torch.nn.Linear``:

- x: ``(n_x,)`` floating (``dtype``, default ``torch.float32``); batch ``(B, n_x)``;
- y: ``()`` ``int64`` class index, or ``(n_labels,)`` 0/1 indicators of ``dtype``;
  batch ``(B,)`` or ``(B, n_labels)``.

An example is the pair ``(x, y)``, or ``x`` alone for a dataset without labels.
"""

from __future__ import annotations

import operator
import os
import random
import sys
from collections.abc import Callable, Sequence
from numbers import Integral
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from numpy.typing import ArrayLike
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Sampler, default_collate

from ..data import HDF5Rows, ImageFiles, LazyRows
from ..data.hdf5 import open_hdf5, read_dataset
from ..data.images import check_size_color, list_image_folder

__all__ = [
    "ArrayDataset",
    "GlobalBatchSampler",
    "HDF5Dataset",
    "ImageFilesDataset",
    "ImageFolderDataset",
    "LazyRowsDataset",
    "NumpyTransform",
    "Standardize",
    "make_loader",
    "make_shard_loader",
    "set_epoch",
]


# --------------------------------------------------------------------------- helpers


def _check_dtype(dtype):
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(
            f"dtype must be a floating torch dtype (e.g. torch.float32), got {dtype!r}"
        )
    return dtype


def _numpy_dtype(dtype):
    """The NumPy twin of a torch dtype (None where NumPy has none, e.g. bfloat16)."""
    try:
        return torch.empty((), dtype=dtype).numpy().dtype
    except TypeError:
        return None


def _tensor(a, dtype):
    """``a`` (a NumPy array) as a CPU tensor of ``dtype``, sharing memory where it can."""
    if a.dtype == _numpy_dtype(dtype) and a.flags.writeable and all(s >= 0 for s in a.strides):
        return torch.from_numpy(a)  # zero-copy
    if dtype.is_floating_point and a.dtype.kind not in "f":
        a = a.astype(np.float64)  # exact for ints up to 2**53, then one rounding to dtype
    return torch.from_numpy(np.array(a, copy=True)).to(dtype)


def _class_indices(y, where):
    """1-D labels -> int64 class indices (integral and >= 0), or ValueError."""
    if y.dtype.kind == "b":
        return y.astype(np.int64)
    if y.dtype.kind in "iu":
        out = y.astype(np.int64, copy=False)
    elif y.dtype.kind == "f":
        if not (np.all(np.isfinite(y)) and np.all(y == np.round(y))):
            raise ValueError(
                f"{where}: 1-D labels must be integer class indices, "
                f"got non-integral values of dtype {y.dtype}"
            )
        out = y.astype(np.int64)
    else:
        raise ValueError(f"{where}: labels must be numeric, got dtype {y.dtype}")
    if out.size and out.min() < 0:
        raise ValueError(f"{where}: class indices must be >= 0, got {int(out.min())}")
    return out


def _labels(y, n, dtype, where):
    """Labels -> (tensor, kind): (n,) int64 class indices or (n, L) ``dtype`` indicators."""
    y = np.asarray(y)
    if y.ndim not in (1, 2):
        raise ValueError(
            f"{where}: y must be of shape (n_samples,) (class indices) or "
            f"(n_samples, n_labels) (0/1 indicators), got shape {y.shape}"
        )
    if y.shape[0] != n:
        hint = ""
        if y.ndim == 2 and y.shape == (1, n):
            hint = " (y is a (1, m) row, the notes' layout: give it as y.reshape(-1))"
        raise ValueError(f"{where}: x holds {n} examples but y holds {y.shape[0]}{hint}")
    if y.ndim == 1:
        return _tensor(_class_indices(y, where), torch.int64)
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{where}: labels must be numeric, got dtype {y.dtype}")
    return _tensor(y, dtype)


def _index(i, n):
    """``i`` as an int in [0, n), negative indices counting from the end."""
    try:
        i = operator.index(i)
    except TypeError:
        raise TypeError(f"dataset indices must be integers, got {type(i).__name__}") from None
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of range for a dataset of {n} examples")
    return i + n if i < 0 else i


def _check_transform(transform):
    if transform is not None and not callable(transform):
        raise TypeError(f"transform must be callable or None, got {transform!r}")
    return transform


# --------------------------------------------------------------------------- datasets


class ArrayDataset(Dataset):
    """Examples held in memory: rows of ``X``, with labels ``y``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        One example per row (scikit-learn's layout).
    y : array-like of shape (n_samples,) or (n_samples, n_labels), optional
        Class indices (integers >= 0), or 0/1 label indicators, one row per example.
        None (prediction) makes each example ``x`` alone.
    dtype : torch.dtype, default=torch.float32
        Floating dtype of ``x`` (and of indicator labels).

    Attributes
    ----------
    X : torch.Tensor of shape (n_samples, n_features)
        The features. Shares memory with ``X`` when ``X`` is a writable NumPy array
        of ``dtype`` already (``torch.from_numpy``), else a converted copy. Engines
        may index it directly (``X[idx]``) instead of going through a ``DataLoader``.
    y : torch.Tensor of shape (n_samples,) or (n_samples, n_labels), or None
        ``int64`` class indices or ``dtype`` indicators (zero-copy where ``y``
        already has that dtype).
    n_features : int
        ``n_x``, the length of ``x``.

    Notes
    -----
    Shapes (``B`` the batch size of a `make_loader` batch):

    - x: ``(n_x,)``, ``dtype``; batch ``(B, n_x)``.
    - y: ``()`` ``int64`` for class indices, ``(n_labels,)`` ``dtype`` for
      indicators; batch ``(B,)`` or ``(B, n_labels)``.

    ``dataset[i]`` is ``(X[i], y[i])`` (views, no copy), or ``X[i]`` when ``y`` is
    None.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from logitlab.torch_engine.data import ArrayDataset, make_loader
    >>> X = np.arange(12, dtype=np.float32).reshape(6, 2)
    >>> ds = ArrayDataset(X, np.array([0, 1, 2, 0, 1, 2]))
    >>> len(ds), ds.n_features
    (6, 2)
    >>> ds[1]
    (tensor([2., 3.]), tensor(1))
    >>> np.shares_memory(ds.X.numpy(), X)  # float32 in, float32 out: no copy
    True
    >>> xb, yb = next(iter(make_loader(ds, batch_size=4, shuffle=False)))
    >>> xb.shape, yb.shape, xb.dtype, yb.dtype
    (torch.Size([4, 2]), torch.Size([4]), torch.float32, torch.int64)
    >>> ArrayDataset(X)[0]  # no labels: x alone
    tensor([0., 1.])
    """

    def __init__(self, X, y=None, *, dtype=torch.float32):
        self.dtype = _check_dtype(dtype)
        X = X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must be of shape (n_samples, n_features), got shape {X.shape}")
        if X.dtype.kind not in "biuf":
            raise ValueError(f"X must be numeric, got dtype {X.dtype}")
        self.X = _tensor(X, dtype)
        self.n_features = X.shape[1]
        if y is None:
            self.y = None
        else:
            if isinstance(y, torch.Tensor):
                y = y.detach().cpu().numpy()
            self.y = _labels(y, X.shape[0], dtype, "ArrayDataset")

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, i):
        i = _index(i, len(self))
        if self.y is None:
            return self.X[i]
        return self.X[i], self.y[i]


class LazyRowsDataset(Dataset):
    """The rows of a `~logitlab.data.LazyRows` with their labels, read from disk one
    example (or one batch) at a time: what ``logitlab train --stream`` trains on.

    Any kind of lazy rows works: `~logitlab.data.ImageFiles` (images decoded one by
    one), `~logitlab.data.HDF5Rows` (examples of an HDF5 dataset), or their splits
    (``X.take(rows)``), so a split, a ``positive`` class or a multi-label manifest
    made by ``load_source(..., lazy=True)`` carries over.

    Parameters
    ----------
    X : logitlab.data.LazyRows
        The features (only what locates the rows is in memory).
    y : array-like of shape (n,) or (n, n_labels), optional
        Class indices (integers >= 0), or 0/1 label indicators. None (prediction)
        makes each example ``x`` alone.
    classes : sequence of str, optional
        Class names, for `~logitlab.NeuralNetClassifier.fit_dataset`'s ``classes_``.
    transform : callable, optional
        Applied to each ``x`` tensor, ``(n_x,)``, e.g. a `Standardize`. Must be
        picklable for ``num_workers > 0`` under the spawn or forkserver start methods.
    dtype : torch.dtype, default=torch.float32
        Floating dtype of ``x`` (and of indicator labels).

    Attributes
    ----------
    X : logitlab.data.LazyRows
    targets : ndarray or None
        ``y``, in memory.
    y : torch.Tensor of shape (n,) or (n, n_labels), or None
        The labels: ``int64`` class indices or ``dtype`` indicators.
    classes : list of str
        The class names, when given.
    n_features : int
        ``n_x``.

    Raises
    ------
    TypeError
        If ``X`` is not a `~logitlab.data.LazyRows`, or ``transform`` not callable.
    ValueError
        If ``y`` does not hold one label (row) per example, or holds invalid labels.

    Notes
    -----
    Shapes: x ``(n_x,)``, batch ``(B, n_x)``; y ``()`` ``int64`` (batch ``(B,)``) or
    ``(n_labels,)`` ``dtype`` (batch ``(B, n_labels)``). ``dataset[i][0]`` is
    ``X[i]`` (float64) rounded to ``dtype`` once, then transformed. A ``DataLoader``
    fetches a whole batch through ``__getitems__``: one ``X[rows]`` read per batch
    (one HDF5 read rather than ``B``).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import h5py
    >>> import numpy as np
    >>> from logitlab.data import HDF5Rows
    >>> from logitlab.torch_engine.data import LazyRowsDataset, make_loader
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = Path(tmp) / "d.h5"
    ...     with h5py.File(file, "w") as f:
    ...         _ = f.create_dataset("X", data=np.arange(12.0).reshape(6, 2))
    ...     X = HDF5Rows(file, "X").take([5, 0, 2])  # a split: three rows, unread
    ...     ds = LazyRowsDataset(X, [1, 0, 1], classes=["a", "b"])
    ...     print(len(ds), ds[0], ds.n_features)
    ...     print(next(iter(make_loader(ds, batch_size=3, shuffle=False))))
    ...     X.close()
    3 (tensor([10., 11.]), tensor(1)) 2
    [tensor([[10., 11.],
            [ 0.,  1.],
            [ 4.,  5.]]), tensor([1, 0, 1])]
    """

    def __init__(
        self,
        X: LazyRows,
        y: ArrayLike | None = None,
        *,
        classes: Sequence[str] | None = None,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        dtype: torch.dtype = torch.float32,
    ):
        if not isinstance(X, LazyRows):
            raise TypeError(f"X must be a logitlab.data.LazyRows, got {type(X).__name__}")
        self.X = X
        self.dtype = _check_dtype(dtype)
        self.transform = _check_transform(transform)
        if y is None:
            self.targets = self.y = None
        else:
            self.targets = np.asarray(y)
            self.y = _labels(self.targets, len(X), self.dtype, type(self).__name__)
        if classes is not None:
            self.classes = [str(c) for c in classes]
        self.n_features = X.shape[1]

    def __len__(self):
        return len(self.X)

    def _example(self, row, i):
        x = torch.from_numpy(row).to(self.dtype)
        if self.transform is not None:
            x = self.transform(x)
        return x if self.y is None else (x, self.y[i])

    def __getitem__(self, i):
        i = _index(i, len(self))
        return self._example(self.X[i], i)

    def __getitems__(self, indices):
        """The examples ``indices`` (a ``DataLoader`` batch), their rows read at once."""
        rows = [_index(i, len(self)) for i in indices]
        if not rows:  # an empty shard of a global batch (make_shard_loader)
            return []
        X = self.X[np.asarray(rows, dtype=np.int64)]
        return [self._example(x, i) for x, i in zip(X, rows)]


#: The dataset over `~logitlab.data.ImageFiles`: a `LazyRowsDataset` (its former name).
ImageFilesDataset = LazyRowsDataset


class HDF5Dataset(LazyRowsDataset):
    """Examples read one at a time from an HDF5 file (h5py), such as the notes' data.

    The notes' ``train_catvnoncat.h5`` holds ``train_set_x`` (m, 64, 64, 3) uint8,
    ``train_set_y`` (m,) and ``list_classes``: ``HDF5Dataset(path, "train_set_x",
    "train_set_y")`` gives its examples unrolled and scaled as the notes do,
    ``x = train_set_x[i].reshape(-1) / 255``. A `LazyRowsDataset` over a
    `~logitlab.data.HDF5Rows`, which reads the examples.

    Parameters
    ----------
    path : str or os.PathLike
        The HDF5 file.
    x_key : str
        The dataset of features, of shape (m, ...): example ``i`` is ``f[x_key][i]``,
        unrolled row-major to ``n_x`` values. uint8 data (pixels) is scaled to [0, 1]
        by dividing by 255; other numeric data is passed through as is.
    y_key : str, optional
        The dataset of labels: (m,) class indices or (m, n_labels) 0/1 indicators.
        Labels are small: they are read once, here. None (prediction) makes each
        example ``x`` alone.
    transform : callable, optional
        Applied to each ``x`` tensor, ``(n_x,)``, after unrolling and scaling; what it
        returns is the example's ``x``. Must be picklable for ``num_workers > 0``
        under the spawn or forkserver start methods.
    dtype : torch.dtype, default=torch.float32
        Floating dtype of ``x`` (and of indicator labels).

    Attributes
    ----------
    path : pathlib.Path
        The file.
    X : logitlab.data.HDF5Rows
        The features, read on demand.
    y : torch.Tensor of shape (m,) or (m, n_labels), or None
        The labels, ``int64`` class indices or ``dtype`` indicators.
    shape : tuple of int
        Shape of the ``x_key`` dataset, ``(m, ...)``.
    n_features : int
        ``n_x``, the length of ``x``: the product of ``shape[1:]``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    OSError
        If the file cannot be opened or read (not HDF5, truncated or corrupt); the
        message names the file (and the key and index, for a failed read).
    KeyError
        If ``x_key`` or ``y_key`` is not in the file; the message names the file and
        lists the datasets it holds.
    ValueError
        If a key names a group rather than a dataset, if the data is not numeric, if
        ``x`` and ``y`` hold different numbers of examples, if ``y`` has the wrong
        shape or values, or (in ``dataset[i]``) if example ``i`` holds a non-finite
        value.

    The errors about the file are `logitlab.data.DataError` too.

    Notes
    -----
    Shapes (``B`` the batch size of a `make_loader` batch):

    - x: ``(n_x,)``, ``dtype``, with ``n_x = H·W·C`` for ``(m, H, W, C)`` data; batch
      ``(B, n_x)``.
    - y: ``()`` ``int64`` for class indices, ``(n_labels,)`` ``dtype`` for
      indicators; batch ``(B,)`` or ``(B, n_labels)``.

    The constructor opens the file only to check it and read its shape and labels,
    then closes it. The features are read lazily: the first ``dataset[i]`` in a
    process opens the file read-only, and that handle serves that process from then
    on, so each ``DataLoader`` worker opens its own (HDF5 handles must not be shared
    across processes). A handle is never pickled: a pickled copy, or a worker started
    by spawn or forkserver, opens the file afresh; a worker forked from a process that
    had the file open notices the new process id and does the same. `close` closes
    this process's handle (the next ``dataset[i]`` reopens it); ``dataset.X.handle``
    is the handle this process has open, or None.

    Examples
    --------
    A file in the notes' format, with 4 images of 2×2 pixels:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import h5py
    >>> import numpy as np
    >>> from logitlab.torch_engine.data import HDF5Dataset, make_loader
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = Path(tmp) / "train.h5"
    ...     with h5py.File(file, "w") as f:
    ...         _ = f.create_dataset("train_set_x", data=np.full((4, 2, 2, 3), 255, np.uint8))
    ...         _ = f.create_dataset("train_set_y", data=np.array([0, 1, 1, 0]))
    ...         _ = f.create_dataset("list_classes", data=[b"non-cat", b"cat"])
    ...     ds = HDF5Dataset(file, "train_set_x", "train_set_y")
    ...     x, y = ds[1]
    ...     xb, yb = next(iter(make_loader(ds, batch_size=3, shuffle=False)))
    ...     ds.close()
    >>> len(ds), ds.shape, ds.n_features
    (4, (4, 2, 2, 3), 12)
    >>> x.shape, x.max(), y
    (torch.Size([12]), tensor(1.), tensor(1))
    >>> xb.shape, yb
    (torch.Size([3, 12]), tensor([0, 1, 1]))
    """

    def __init__(
        self,
        path: str | os.PathLike,
        x_key: str,
        y_key: str | None = None,
        *,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        dtype: torch.dtype = torch.float32,
    ):
        self.path = Path(path)
        self.x_key = x_key
        self.y_key = y_key
        X = HDF5Rows(self.path, x_key)
        y = None
        if y_key is not None:
            with open_hdf5(self.path) as f:
                y = read_dataset(f, y_key)
            # checked here too, for a message that names the file and both keys
            _labels(y, len(X), _check_dtype(dtype), f"{X.where} and key {y_key!r}")
        super().__init__(X, y, transform=transform, dtype=dtype)
        self.shape = X.dataset_shape

    def close(self):
        """Close this process's file handle, if open (``dataset[i]`` reopens it)."""
        self.X.close()


class ImageFolderDataset(LazyRowsDataset):
    """A folder of images, one sub-folder per class, decoded one image per example.

    The files, classes and decoding are those of `logitlab.data.load_image_folder`
    (upright by EXIF, RGB or grayscale, Lanczos-resized to ``size × size``, unrolled
    row-major over (height, width, channel), divided by 255), so
    ``ImageFolderDataset(p)[i][0]`` is exactly ``load_image_folder(p)[0][i]`` rounded
    to ``dtype``. Only the file paths are kept in memory: it is a `LazyRowsDataset`
    over the folder's `~logitlab.data.ImageFiles`.

    Parameters
    ----------
    path : str or os.PathLike
        The folder holding one sub-folder per class.
    size : int, default=64
        Side of the square images, in pixels.
    color : {"rgb", "grayscale"}, default="rgb"
        3 channels or 1.
    classes : sequence of str, optional
        The sub-folders to read, in this order; by default every sub-folder, sorted.
    transform : callable, optional
        Applied to each ``x`` tensor, ``(n_x,)``; what it returns is the example's
        ``x``.
    dtype : torch.dtype, default=torch.float32
        Floating dtype of ``x``.

    Attributes
    ----------
    files : list of pathlib.Path
        The image files, class by class, each class's files sorted by name.
    targets : ndarray of shape (n_images,), int
        Class index of each file (``load_image_folder``'s ``y``).
    classes : list of str
        The class (sub-folder) names: class ``k`` is ``classes[k]``.
    n_features : int
        ``n_x = size · size · channels``.

    Raises
    ------
    FileNotFoundError, ValueError
        As `logitlab.data.load_image_folder`, when the folder is scanned (here) or an
        image cannot be decoded (in ``dataset[i]``, naming the file).

    Notes
    -----
    Shapes (``B`` the batch size of a `make_loader` batch):

    - x: ``(n_x,)``, ``dtype``, ``n_x = size·size·channels``; batch ``(B, n_x)``.
    - y: ``()`` ``int64`` class index; batch ``(B,)``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from logitlab.torch_engine.data import ImageFolderDataset
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for name, rgb in [("cat", (255, 0, 0)), ("dog", (0, 0, 255))]:
    ...         (Path(tmp) / name).mkdir()
    ...         for k in range(2):
    ...             Image.new("RGB", (10, 8), rgb).save(Path(tmp) / name / f"{k}.png")
    ...     ds = ImageFolderDataset(tmp, size=4)
    ...     x, y = ds[3]
    >>> len(ds), ds.classes, ds.targets, ds.n_features
    (4, ['cat', 'dog'], array([0, 0, 1, 1]), 48)
    >>> x.shape, x[:3], y  # R, G, B of the top-left pixel of a blue dog
    (torch.Size([48]), tensor([0., 0., 1.]), tensor(1))
    """

    def __init__(
        self, path, size=64, color="rgb", classes=None, *, transform=None, dtype=torch.float32
    ):
        check_size_color(size, color)  # a bad size or colour fails before the scan
        files, targets, names = list_image_folder(path, classes)
        super().__init__(
            ImageFiles(files, size, color), targets, classes=names, transform=transform, dtype=dtype
        )
        self.files = files


class Standardize:
    """A ``transform``: ``(x − mean) / scale``, feature by feature, computed in float64.

    Picklable, so `make_loader`'s worker processes can apply it.

    Parameters
    ----------
    mean, scale : array-like of shape (n_x,)
        As scikit-learn's ``StandardScaler``'s ``mean_`` and ``scale_``.

    Examples
    --------
    >>> import torch
    >>> from logitlab.torch_engine.data import Standardize
    >>> Standardize([1.0, 2.0], [2.0, 4.0])(torch.tensor([3.0, 2.0]))
    tensor([1., 0.])
    """

    def __init__(self, mean, scale):
        self.mean = torch.as_tensor(np.asarray(mean, dtype=np.float64))
        self.scale = torch.as_tensor(np.asarray(scale, dtype=np.float64))
        if self.mean.shape != self.scale.shape or self.mean.ndim != 1:
            raise ValueError(
                f"mean and scale must be 1-D of one length, got shapes "
                f"{tuple(self.mean.shape)} and {tuple(self.scale.shape)}"
            )

    def __call__(self, x):
        return ((x.to(torch.float64) - self.mean) / self.scale).to(x.dtype)


class NumpyTransform:
    """A ``transform`` that applies a NumPy function to each ``x``, in float64.

    What lets a preprocessing written once for NumPy arrays serve the torch datasets
    too: ``logitlab train --stream`` standardises each streamed example with the run's
    own :meth:`logitlab.run.Preprocessing.apply`, the function that standardises the
    examples in memory, evaluate's and predict's. Picklable when ``fn`` is (a
    module-level function, or a bound method of a picklable object), so worker
    processes can apply it.

    Parameters
    ----------
    fn : callable
        Maps a float64 array of shape (n_x,) to one of the same shape.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from logitlab.torch_engine.data import NumpyTransform
    >>> NumpyTransform(np.negative)(torch.tensor([3.0, 2.0]))
    tensor([-3., -2.])
    """

    def __init__(self, fn):
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {fn!r}")
        self.fn = fn

    def __call__(self, x):
        out = np.asarray(self.fn(x.detach().cpu().to(torch.float64).numpy()), dtype=np.float64)
        return torch.from_numpy(out).to(x.dtype)


# --------------------------------------------------------------------------- loading


def _seed_worker(worker_id):
    """``worker_init_fn``: seed NumPy and ``random`` in each worker from torch's seed.

    torch seeds worker ``k`` with ``base_seed + k``, ``base_seed`` drawn from the
    loader's generator: so NumPy draws in a transform differ between workers and
    are reproducible from ``make_loader``'s ``seed``.
    """
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)
    sys.excepthook = _quiet_when_stopped


def _quiet_when_stopped(kind, value, traceback):
    """A worker's ``sys.excepthook``: when training stops (Ctrl-C, SIGTERM) the main
    process stops reading, and the thread that hands it shared tensors meets a broken
    pipe; that is not news for the user, so it is not printed. Anything else is."""
    if issubclass(kind, (BrokenPipeError, ConnectionResetError, KeyboardInterrupt)):
        return
    sys.__excepthook__(kind, value, traceback)


def _check_int(value, name, minimum):
    if not isinstance(value, Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def make_loader(
    dataset,
    batch_size=32,
    *,
    shuffle=True,
    seed=0,
    num_workers=0,
    drop_last=False,
    distributed=None,
):
    """A ``DataLoader`` of mini-batches of ``dataset``, seeded and reproducible.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        A map-style dataset (``__len__`` and ``__getitem__``), such as `ArrayDataset`,
        `HDF5Dataset` or `ImageFolderDataset`.
    batch_size : int, default=32
        Examples per batch (the last batch of an epoch may be smaller).
    shuffle : bool, default=True
        Draw the examples in a new random order each epoch; False keeps the dataset's
        order.
    seed : int, default=0
        Seeds the loader's ``torch.Generator`` (the shuffle and the workers' seeds), or
        the ``DistributedSampler``: the same seed gives the same batches, in the same
        order, epoch after epoch, whatever ``num_workers``.
    num_workers : int, default=0
        Worker processes that fetch examples; 0 fetches them in this process. Workers
        are kept alive across epochs (``persistent_workers``), and each seeds NumPy
        and ``random`` from its torch seed.
    drop_last : bool, default=False
        Drop the last batch of an epoch when it is smaller than ``batch_size`` (and,
        distributed, the examples that do not split evenly across processes, rather
        than repeating some to even out the shards).
    distributed : bool, optional
        Give each process of a ``torch.distributed`` job its own shard through a
        ``DistributedSampler(dataset, shuffle=shuffle, seed=seed)``. None (default)
        does so when ``torch.distributed.is_initialized()``.

    Returns
    -------
    loader : torch.utils.data.DataLoader
        Yields ``(x, y)`` batches, ``x`` of shape ``(B, n_x)`` and ``y`` of shape
        ``(B,)`` or ``(B, n_labels)`` (or ``x`` alone for datasets without labels).
        Memory is pinned for fast copies to the GPU when CUDA is available.

    Raises
    ------
    ValueError
        If ``batch_size`` < 1, ``num_workers`` < 0 or ``seed`` is not an integer.
    RuntimeError
        If ``distributed=True`` but no process group is initialized.

    Notes
    -----
    A ``DistributedSampler`` shuffles with ``seed + epoch``: call
    ``set_epoch(loader, epoch)`` before each epoch, or every epoch repeats the first
    one's order. Without it, the loader's generator moves on by itself, so each epoch
    has a new order (the same sequence of orders on every run).

    Examples
    --------
    >>> import torch
    >>> from logitlab.torch_engine.data import ArrayDataset, make_loader, set_epoch
    >>> ds = ArrayDataset(torch.arange(10.0).reshape(10, 1), torch.arange(10))
    >>> loader = make_loader(ds, batch_size=4, seed=1)
    >>> for epoch in range(2):
    ...     _ = set_epoch(loader, epoch)  # a no-op here, needed when distributed
    ...     print([xb.shape[0] for xb, yb in loader])
    [4, 4, 2]
    [4, 4, 2]
    >>> order = [i for _, yb in make_loader(ds, 4, seed=1) for i in yb.tolist()]
    >>> sorted(order) == list(range(10))  # each example once per epoch
    True
    >>> order == [i for _, yb in make_loader(ds, 4, seed=1) for i in yb.tolist()]
    True
    >>> [len(xb) for xb, _ in make_loader(ds, 4, drop_last=True)]
    [4, 4]
    """
    batch_size = _check_int(batch_size, "batch_size", 1)
    num_workers = _check_int(num_workers, "num_workers", 0)
    if not isinstance(seed, Integral) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    if distributed is None:
        distributed = dist.is_available() and dist.is_initialized()
    generator = torch.Generator()
    generator.manual_seed(int(seed))
    sampler = None
    if distributed:
        if not (dist.is_available() and dist.is_initialized()):
            raise RuntimeError(
                "make_loader(distributed=True) needs a torch.distributed process group: "
                "call torch.distributed.init_process_group() first (torchrun sets up "
                "the environment it reads)"
            )
        sampler = DistributedSampler(
            dataset, shuffle=bool(shuffle), seed=int(seed), drop_last=bool(drop_last)
        )
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=bool(shuffle) if sampler is None else None,
        sampler=sampler,
        num_workers=num_workers,
        drop_last=bool(drop_last),
        generator=generator,
        worker_init_fn=_seed_worker if num_workers > 0 else None,
        persistent_workers=num_workers > 0,
        pin_memory=torch.cuda.is_available(),
    )


def set_epoch(loader, epoch):
    """Tell ``loader``'s sampler the epoch, where it asks for it (``DistributedSampler``).

    Call it at the start of every epoch: a ``DistributedSampler`` shuffles with
    ``seed + epoch``, the same order on every process, a new one each epoch.

    Parameters
    ----------
    loader : torch.utils.data.DataLoader
        A loader from `make_loader` (or any ``DataLoader``).
    epoch : int
        The epoch about to start, 0 for the first.

    Returns
    -------
    bool
        Whether the sampler took the epoch (False for samplers without
        ``set_epoch``, which need none).

    Examples
    --------
    >>> import torch
    >>> from logitlab.torch_engine.data import ArrayDataset, make_loader, set_epoch
    >>> set_epoch(make_loader(ArrayDataset(torch.zeros(4, 1))), 0)
    False
    """
    epoch = _check_int(epoch, "epoch", 0)
    batch_sampler = getattr(loader, "batch_sampler", None)
    for sampler in (
        getattr(loader, "sampler", None),
        batch_sampler,  # a GlobalBatchSampler
        getattr(batch_sampler, "sampler", None),
    ):
        if callable(getattr(sampler, "set_epoch", None)):
            sampler.set_epoch(epoch)
            return True
    return False


# --------------------------------------------------------------------------- global batches


class GlobalBatchSampler(Sampler[list[int]]):
    """Each process's shard of the global mini-batches of an epoch: what makes N
    processes train exactly like one.

    Epoch ``e``'s order is a permutation of the ``m`` examples drawn from a
    ``torch.Generator`` seeded with ``seed + e`` (the same on every process), cut into
    global batches of ``batch_size`` (the last one may be smaller); process ``rank``
    of ``world`` yields its interleaved shard of each, ``batch[rank::world]``, and
    one process (``world=1``) the whole batch. Every process yields the same number
    of batches, ``ceil(m / batch_size)``, as DistributedDataParallel needs: a shard is
    empty where a global batch holds fewer than ``world`` examples.

    Parameters
    ----------
    m : int
        Number of examples (``len(dataset)``).
    batch_size : int
        Examples per global batch, across all processes.
    seed : int, default=0
        Epoch ``e`` shuffles with ``seed + e``.
    rank : int, default=0
        This process, in ``[0, world)``.
    world : int, default=1
        Number of processes.
    shuffle : bool, default=True
        False keeps the dataset's order every epoch.

    Attributes
    ----------
    epoch : int
        The epoch whose order ``__iter__`` gives; `set_epoch` sets it (0 at first).

    Raises
    ------
    ValueError
        If ``m`` < 0, ``batch_size`` or ``world`` < 1, ``rank`` not in ``[0, world)``
        or ``seed`` not an integer.

    Notes
    -----
    A process's loss on its shard is scaled by ``world / n``, ``n`` the global
    batch's size (`global_size`): DDP's average of the processes' gradients is then
    the gradient of the mean loss over the global batch.

    Examples
    --------
    >>> from logitlab.torch_engine.data import GlobalBatchSampler
    >>> list(GlobalBatchSampler(5, batch_size=2, shuffle=False))
    [[0, 1], [2, 3], [4]]
    >>> [list(GlobalBatchSampler(5, 2, rank=r, world=2, shuffle=False)) for r in (0, 1)]
    [[[0], [2], [4]], [[1], [3], []]]
    >>> one = GlobalBatchSampler(7, 3, seed=4)
    >>> two = [GlobalBatchSampler(7, 3, seed=4, rank=r, world=2) for r in (0, 1)]
    >>> for s in (one, *two):
    ...     s.set_epoch(1)
    >>> [sorted(a + b) == sorted(c) for a, b, c in zip(*two, one)]  # shards make batches
    [True, True, True]
    >>> len(one), [one.global_size(i) for i in range(len(one))]
    (3, [3, 3, 1])
    """

    def __init__(self, m, batch_size, seed=0, rank=0, world=1, shuffle=True):
        self.m = _check_int(m, "m", 0)
        self.batch_size = _check_int(batch_size, "batch_size", 1)
        if not isinstance(seed, Integral) or isinstance(seed, bool):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        self.seed = int(seed)
        self.world = _check_int(world, "world", 1)
        self.rank = _check_int(rank, "rank", 0)
        if self.rank >= self.world:
            raise ValueError(f"rank must be in [0, world={self.world}), got {self.rank}")
        self.shuffle = bool(shuffle)
        self.epoch = 0

    def set_epoch(self, epoch):
        """Give the next epoch's order, from ``seed + epoch``."""
        self.epoch = _check_int(epoch, "epoch", 0)

    def order(self):
        """The epoch's order of the examples, a (m,) int64 tensor (all processes')."""
        if not self.shuffle:
            return torch.arange(self.m)
        generator = torch.Generator()
        generator.manual_seed(self.seed + self.epoch)
        return torch.randperm(self.m, generator=generator)

    def global_size(self, i):
        """The number of examples in global batch ``i``, across all processes."""
        return min(self.batch_size, self.m - i * self.batch_size)

    def __iter__(self):
        order = self.order()
        for start in range(0, self.m, self.batch_size):
            yield order[start : start + self.batch_size][self.rank :: self.world].tolist()

    def __len__(self):
        return -(-self.m // self.batch_size)


class _EmptySafeCollate:
    """``default_collate``, except that an empty shard collates to ``empty``: a batch
    of the dataset's structure with 0 rows. Picklable, for worker processes."""

    def __init__(self, empty):
        self.empty = empty

    def __call__(self, batch):
        return default_collate(batch) if batch else self.empty


def _no_rows(batch):
    """``batch`` (collated) with its leading dimension cut to 0, shapes and dtypes kept."""
    if isinstance(batch, torch.Tensor):
        return batch[:0]
    if isinstance(batch, dict):
        return {k: _no_rows(v) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(_no_rows(v) for v in batch)
    return batch


def make_shard_loader(dataset, batch_size, *, seed=0, rank=0, world=1, shuffle=True, num_workers=0):
    """A ``DataLoader`` of this process's shards of the global batches of ``dataset``
    (a `GlobalBatchSampler`): what the torch engine streams from, in one process or
    many.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        A map-style dataset, such as `ArrayDataset` or `ImageFolderDataset`.
    batch_size : int
        Examples per global batch, across all ``world`` processes.
    seed : int, default=0
        Epoch ``e``'s order comes from ``seed + e`` (call ``set_epoch(loader, e)``);
        it also seeds the loader's generator (the workers' seeds).
    rank, world : int, default=0, 1
        This process and the number of processes.
    shuffle : bool, default=True
        False keeps the dataset's order.
    num_workers : int, default=0
        Worker processes that fetch examples (persistent across epochs).

    Returns
    -------
    loader : torch.utils.data.DataLoader
        ``ceil(len(dataset) / batch_size)`` batches per epoch on every process, each
        ``(x, y)`` with ``x`` of shape ``(B, n_x)``, ``B`` this process's share of the
        global batch, which may be 0 (then ``x`` is ``(0, n_x)`` and ``y`` ``(0,)`` or
        ``(0, n_labels)``, of the dataset's dtypes). ``loader.batch_sampler`` is the
        `GlobalBatchSampler`.

    Examples
    --------
    >>> import torch
    >>> from logitlab.torch_engine.data import ArrayDataset, make_shard_loader
    >>> ds = ArrayDataset(torch.arange(10.0).reshape(5, 2), torch.arange(5))
    >>> [yb.tolist() for _, yb in make_shard_loader(ds, 2, rank=1, world=2, shuffle=False)]
    [[1], [3], []]
    >>> xb, yb = list(make_shard_loader(ds, 2, rank=1, world=2))[-1]
    >>> xb.shape, xb.dtype, yb.shape, yb.dtype
    (torch.Size([0, 2]), torch.float32, torch.Size([0]), torch.int64)
    """
    num_workers = _check_int(num_workers, "num_workers", 0)
    sampler = GlobalBatchSampler(len(dataset), batch_size, seed, rank, world, shuffle)
    smallest = min((sampler.global_size(i) for i in range(len(sampler))), default=1)
    # the structure of an empty shard, read from one example only where one can occur
    empty = _no_rows(default_collate([dataset[0]])) if sampler.rank >= smallest else None
    generator = torch.Generator()
    generator.manual_seed(sampler.seed)
    return DataLoader(
        dataset,
        batch_sampler=sampler,
        num_workers=num_workers,
        collate_fn=_EmptySafeCollate(empty),
        generator=generator,
        worker_init_fn=_seed_worker if num_workers > 0 else None,
        persistent_workers=num_workers > 0,
        pin_memory=torch.cuda.is_available(),
    )
