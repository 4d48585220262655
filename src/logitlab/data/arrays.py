"""Features and labels read as arrays (HDF5 datasets, ``.npz`` members) -> reader parts.

The rules both formats follow: the features are an array of shape ``(m, ...)``, one
example per entry along the first axis, unrolled row-major; uint8 data (pixels) is
scaled to [0, 1] by dividing by 255, other numeric data is taken as float64. Labels
are ``(m,)`` (or the course's ``(1, m)``) class labels, or ``(m, n_labels)`` 0/1
indicators.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from numpy.typing import ArrayLike

from .errors import DataError
from .labels import encode_labels, indicators, listing

__all__ = [
    "check_features",
    "default_keys",
    "from_arrays",
    "image_shape_of",
    "labels_from_arrays",
    "scale_features",
]


def image_shape_of(shape: tuple, dtype: np.dtype) -> tuple[int, int, int] | None:
    """``(H, W, C)`` when features of ``shape`` are images, else None.

    ``(m, H, W, C)`` arrays are images, and so are ``(m, H, W)`` uint8 arrays (one
    channel).

    Examples
    --------
    >>> import numpy as np
    >>> from logitlab.data.arrays import image_shape_of
    >>> image_shape_of((5, 8, 8, 3), np.float32), image_shape_of((5, 8, 8), np.uint8)
    ((8, 8, 3), (8, 8, 1))
    >>> print(image_shape_of((5, 8, 8), np.float64))
    None
    """
    if len(shape) == 4:
        return tuple(int(s) for s in shape[1:])
    if len(shape) == 3 and np.dtype(dtype) == np.uint8:
        return tuple(int(s) for s in shape[1:]) + (1,)
    return None


def check_features(
    shape: tuple | None, dtype: np.dtype, where: str, x_key: str
) -> tuple[int, int, int] | None:
    """Check the shape and dtype a file declares for its features; return `image_shape_of`.

    Raises
    ------
    DataError
        If the data is not numeric, is a scalar or empty, holds no examples, or no
        features per example.

    Examples
    --------
    >>> import numpy as np
    >>> from logitlab.data.arrays import check_features
    >>> check_features((0, 4), np.float64, "file 'd.npz'", "X")
    Traceback (most recent call last):
    ...
    logitlab.data.errors.DataError: file 'd.npz': dataset 'X' holds no examples (shape (0, 4))
    """
    dtype = np.dtype(dtype)
    if dtype.kind not in "biuf":
        raise DataError(
            f"{where}: dataset {x_key!r} is not numeric (dtype {dtype}); features must be numbers"
        )
    if shape is None:
        raise DataError(f"{where}: dataset {x_key!r} is empty (it holds no values)")
    if len(shape) == 0:
        raise DataError(f"{where}: dataset {x_key!r} is a scalar, not an array of examples")
    if shape[0] == 0:
        raise DataError(f"{where}: dataset {x_key!r} holds no examples (shape {tuple(shape)})")
    if math.prod(shape[1:]) == 0:
        raise DataError(
            f"{where}: dataset {x_key!r} of shape {tuple(shape)} holds no features per example"
        )
    return image_shape_of(shape, dtype)


def scale_features(raw: np.ndarray) -> np.ndarray:
    """Examples read from a file, shape ``(k, ...)``, as ``(k, n_x)`` float64 rows.

    uint8 data (pixels) is divided by 255; other numeric data is converted as is.

    Examples
    --------
    >>> import numpy as np
    >>> from logitlab.data.arrays import scale_features
    >>> scale_features(np.array([[[0, 255]], [[51, 102]]], np.uint8))
    array([[0. , 1. ],
           [0.2, 0.4]])
    >>> scale_features(np.array([1, 2], np.int16))
    array([[1.],
           [2.]])
    """
    raw = np.asarray(raw)
    k = raw.shape[0] if raw.ndim else 1
    X = raw.reshape(k, math.prod(raw.shape[1:])).astype(np.float64)
    if raw.dtype == np.uint8:
        X /= 255.0
    return X


def labels_from_arrays(
    y: ArrayLike, names: ArrayLike | None, m: int, where: str, x_key: str, y_key: str
) -> tuple[np.ndarray, list[str]]:
    """The labels of ``m`` examples read from an array, as ``(y, class_names)``.

    Parameters
    ----------
    y : array-like
        ``(m,)``, ``(1, m)`` or ``(m, 1)`` class labels (numbers or names), or
        ``(m, n_labels)`` 0/1 indicators.
    names : array-like of str or bytes, optional
        Class names (the course's ``list_classes``): numeric labels are then indices
        into them. For indicators, the names of the label columns.
    m : int
        The number of examples of the features.
    where, x_key, y_key : str
        The file and keys, for error messages.

    Returns
    -------
    y : ndarray of shape (m,) or (m, n_labels), intp
    class_names : list of str

    Raises
    ------
    DataError
        For labels of the wrong shape, or values that are not class indices for
        ``names``, integers, names, or 0/1 indicators.

    Examples
    --------
    >>> import numpy as np
    >>> from logitlab.data.arrays import labels_from_arrays
    >>> labels_from_arrays(np.array([[1, 0, 1]]), [b"non-cat", b"cat"], 3, "f", "x", "y")
    (array([1, 0, 1]), ['non-cat', 'cat'])
    """
    y = np.asarray(y)
    if y.ndim == 2 and 1 in y.shape and y.size == m:
        y = y.reshape(-1)  # the course's (1, m) labels, or (m, 1)
    if y.ndim not in (1, 2) or y.shape[0] != m:
        raise DataError(
            f"{where}: {x_key!r} holds {m} examples but {y_key!r} has shape "
            f"{y.shape}; expected ({m},), (1, {m}) or ({m}, n_labels)"
        )
    label_names = None
    if names is not None:
        names = np.asarray(names).reshape(-1)
        label_names = [
            n.decode(errors="replace") if isinstance(n, bytes) else str(n) for n in names.tolist()
        ]
        repeated = sorted(n for n, k in Counter(label_names).items() if k > 1)
        if repeated:
            raise DataError(
                f"{where}: the class names repeat {', '.join(map(repr, repeated))}; "
                "each class needs a name of its own"
            )
    if y.ndim == 2:
        if y.shape[1] == 0:
            raise DataError(f"{where}: {y_key!r} of shape {y.shape} holds no labels")
        Y = np.column_stack(
            [indicators(y[:, j], f"{y_key}[:, {j}]", where) for j in range(y.shape[1])]
        )
        if label_names is None or len(label_names) != y.shape[1]:
            label_names = [f"label{j}" for j in range(y.shape[1])]
        return Y, label_names
    if label_names is not None and y.dtype.kind in "iuf":
        codes = y.astype(np.float64)
        bad = (codes != np.round(codes)) | (codes < 0) | (codes >= len(label_names))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{where}: label {y[i].item()!r} (row {i + 1} of {y_key!r}) is not a "
                f"class index for the {len(label_names)} class names "
                f"{', '.join(label_names)}"
            )
        return codes.astype(np.intp), label_names
    return encode_labels(y, f"{where}: labels {y_key!r}")


def from_arrays(
    x: np.ndarray, y: ArrayLike, names: ArrayLike | None, where: str, x_key: str, y_key: str
) -> dict:
    """Features and labels read whole (from an ``.npz`` archive) as reader parts.

    Examples
    --------
    >>> import numpy as np
    >>> from logitlab.data.arrays import from_arrays
    >>> parts = from_arrays(np.full((2, 2, 2), 255, np.uint8), ["b", "a"], None, "f", "x", "y")
    >>> parts["X"], parts["y"], parts["class_names"], parts["image_shape"]
    (array([[1., 1., 1., 1.],
           [1., 1., 1., 1.]]), array([1, 0]), ['a', 'b'], (2, 2, 1))
    """
    x = np.asarray(x)
    image_shape = check_features(x.shape, x.dtype, where, x_key)
    codes, class_names = labels_from_arrays(y, names, x.shape[0], where, x_key, y_key)
    return dict(X=scale_features(x), y=codes, class_names=class_names, image_shape=image_shape)


def default_keys(
    keys: set[str], x_key: str | None, y_key: str | None, where: str
) -> tuple[str, str]:
    """The ``(x_key, y_key)`` to read, given the keys a file holds.

    Without ``x_key``: ``train_set_x``, else ``test_set_x``, else ``X`` or ``x``.
    Without ``y_key``: ``x_key`` with ``_x`` (or ``_X``) turned into ``_y``, or ``y``
    (``Y``) for ``X``.

    Raises
    ------
    DataError
        If no key fits or a key given is absent; the message lists the keys held.

    Examples
    --------
    >>> from logitlab.data.arrays import default_keys
    >>> default_keys({"train_set_x", "train_set_y", "list_classes"}, None, None, "f")
    ('train_set_x', 'train_set_y')
    """
    if x_key is None:
        for prefix in ("train_set", "test_set"):
            if f"{prefix}_x" in keys:
                x_key = f"{prefix}_x"
                break
        else:
            x_key = next((k for k in ("X", "x") if k in keys), None)
        if x_key is None:
            raise DataError(
                f"{where}: no features found: the file holds "
                f"{listing(sorted(keys)) or 'no datasets'}; expected "
                "train_set_x/train_set_y, test_set_x/test_set_y or X/y "
                "(or pass x_key and y_key)"
            )
    if y_key is None:
        if x_key.endswith("_x"):
            y_key = x_key[:-2] + "_y"
        elif x_key.endswith("_X"):
            y_key = x_key[:-2] + "_y"
        elif x_key in ("X", "x"):
            y_key = next((k for k in ("y", "Y") if k in keys), "y")
        else:
            raise DataError(
                f"{where}: pass y_key, the labels for x_key={x_key!r}; the file "
                f"holds {listing(sorted(keys))}"
            )
    for k, what in ((x_key, "x_key"), (y_key, "y_key")):
        if k not in keys:
            raise DataError(
                f"{where}: no dataset {k!r} ({what}); the file holds "
                f"{listing(sorted(keys)) or 'nothing'}"
            )
    return x_key, y_key
