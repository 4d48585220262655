"""Features and labels read as arrays (HDF5 datasets, ``.npz`` members) -> reader parts."""

from __future__ import annotations

import numpy as np

from .errors import DataError
from .labels import encode_labels, indicators, listing

__all__ = ["default_keys", "from_arrays"]


def from_arrays(x, y, names, where, x_key, y_key):
    """Features and labels read from HDF5 or .npz -> reader parts."""
    if x.dtype.kind not in "biuf":
        raise DataError(f"{where}: dataset {x_key!r} is not numeric (dtype {x.dtype})")
    if x.ndim == 0:
        raise DataError(f"{where}: dataset {x_key!r} is a scalar, not an array of examples")
    m = x.shape[0]
    y = np.asarray(y)
    if y.ndim == 2 and 1 in y.shape and y.size == m:
        y = y.reshape(-1)  # the course's (1, m) labels, or (m, 1)
    if y.ndim not in (1, 2) or y.shape[0] != m:
        raise DataError(
            f"{where}: {x_key!r} holds {m} examples but {y_key!r} has shape "
            f"{y.shape}; expected ({m},), (1, {m}) or ({m}, n_labels)"
        )
    image_shape = None
    if x.ndim == 4:
        image_shape = tuple(int(s) for s in x.shape[1:])
    elif x.ndim == 3 and x.dtype == np.uint8:
        image_shape = tuple(int(s) for s in x.shape[1:]) + (1,)
    X = x.reshape(m, -1).astype(np.float64)
    if x.dtype == np.uint8:
        X /= 255.0
    label_names = None
    if names is not None:
        names = np.asarray(names).reshape(-1)
        label_names = [n.decode() if isinstance(n, bytes) else str(n) for n in names.tolist()]
    if y.ndim == 2:
        Y = np.column_stack(
            [indicators(y[:, j], f"{y_key}[:, {j}]", where) for j in range(y.shape[1])]
        )
        if label_names is None or len(label_names) != y.shape[1]:
            label_names = [f"label{j}" for j in range(y.shape[1])]
        return dict(X=X, y=Y, class_names=label_names, image_shape=image_shape)
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
        return dict(X=X, y=codes.astype(np.intp), class_names=label_names, image_shape=image_shape)
    codes, class_names = encode_labels(y, f"{where}: labels {y_key!r}")
    return dict(X=X, y=codes, class_names=class_names, image_shape=image_shape)


def default_keys(keys, x_key, y_key, where):
    """The (x_key, y_key, prefix) to read, given the keys present."""
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
