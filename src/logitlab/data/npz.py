"""``.npz`` archives holding ``X`` and ``y`` (or other keys) and, optionally, class names."""

from __future__ import annotations

import numpy as np

from .arrays import default_keys, from_arrays
from .errors import DataError

__all__ = ["load_npz"]


def load_npz(path, opts):
    import zipfile

    where = f".npz file {str(path)!r}"
    try:
        with np.load(path, allow_pickle=False) as npz:
            keys = set(npz.files)
            x_key, y_key = default_keys(keys, opts.get("x_key"), opts.get("y_key"), where)
            x, y = npz[x_key], npz[y_key]
            names = next((npz[k] for k in ("class_names", "list_classes") if k in keys), None)
    except DataError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"cannot read {where}: {exc}") from None
    return from_arrays(x, y, names, where, x_key, y_key)
