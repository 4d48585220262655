"""HDF5 files: the course's ``train_set_x``/``train_set_y`` layout, or any x and y keys."""

from __future__ import annotations

import numpy as np

from .arrays import default_keys, from_arrays
from .errors import DataError

__all__ = ["HDF5_SUFFIXES", "load_hdf5"]

HDF5_SUFFIXES = (".h5", ".hdf5", ".he5")


def load_hdf5(path, opts):
    import h5py

    where = f"HDF5 file {str(path)!r}"
    try:
        with h5py.File(path, "r") as f:
            keys = []
            f.visit(lambda name: keys.append(name) if isinstance(f[name], h5py.Dataset) else None)
            x_key, y_key = default_keys(set(keys), opts.get("x_key"), opts.get("y_key"), where)
            x, y = f[x_key][()], f[y_key][()]
            names = f["list_classes"][()] if "list_classes" in keys else None
    except OSError as exc:
        raise DataError(f"cannot read {where} (not HDF5, truncated or corrupt): {exc}") from None
    if names is not None and np.asarray(names).dtype.kind not in "SUO":
        names = None
    return from_arrays(np.asarray(x), y, names, where, x_key, y_key)
