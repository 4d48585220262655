"""``.npz`` archives holding ``X`` and ``y`` (or other keys) and, optionally, class names.

An ``.npz`` file is a zip archive of ``.npy`` members. Each member's header (shape and
dtype) is read before its data, so that an archive that is not a zip file, a member
of Python objects, or an array too large for memory is refused with a clear message
before anything large is read.
"""

from __future__ import annotations

import math
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .arrays import default_keys, from_arrays
from .errors import DataError, check_memory

__all__ = ["load_npz"]

# What reading a damaged archive raises: zipfile's and zlib's errors, the .npy format's
# ValueError, EOFError for a member cut short, RuntimeError for an encrypted member,
# NotImplementedError for an unknown compression method.
_NPZ_ERRORS = (
    OSError,
    ValueError,
    EOFError,
    RuntimeError,
    NotImplementedError,
    zipfile.BadZipFile,
    zlib.error,
)


def _member(names, key):
    return f"{key}.npy" if f"{key}.npy" in names else key


def _check_member(zf, key, where, *, as_float):
    """Read the .npy header of member ``key``; refuse objects and arrays too large."""
    with zf.open(_member(zf.namelist(), key)) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
        else:  # 3.0 only adds UTF-8 field names: structured data, never numeric
            raise DataError(f"{where}: member {key!r} is a .npy file of version {version}")
    if dtype.hasobject:
        raise DataError(
            f"{where}: member {key!r} holds Python objects (dtype {dtype}), which are "
            "not loaded (they could run code); save numbers or strings"
        )
    n = math.prod(shape)
    check_memory(
        n * (dtype.itemsize + (8 if as_float else 0)),
        f"{where}, key {key!r} (shape {shape}, dtype {dtype})",
    )


def load_npz(path: Path, opts: dict) -> dict:
    """Read an ``.npz`` archive into reader parts (`load_source`'s ``.npz`` branch).

    The keys are ``opts["x_key"]`` and ``opts["y_key"]``, or found by
    `~logitlab.data.arrays.default_keys`; a ``class_names`` (or ``list_classes``)
    member names the classes. Arrays of Python objects are refused (they are not
    loaded: unpickling can run code).

    Returns
    -------
    dict
        ``X`` (float64), ``y``, ``class_names``, ``image_shape``.

    Raises
    ------
    DataError
        Naming the file, and the key or value at fault: also for a file that is not a
        zip archive (a single ``.npy`` array, a renamed CSV) and for arrays too large
        for the memory available.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from logitlab.data.npz import load_npz
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = Path(tmp) / "d.npz"
    ...     np.savez(file, X=np.eye(2), y=np.array(["b", "a"]))
    ...     parts = load_npz(file, {})
    >>> parts["X"], parts["y"], parts["class_names"]
    (array([[1., 0.],
           [0., 1.]]), array([1, 0]), ['a', 'b'])
    """
    where = f".npz file {str(path)!r}"
    if not zipfile.is_zipfile(path):
        try:
            with open(path, "rb") as fh:
                start = fh.read(6)
        except OSError as exc:
            raise DataError(f"cannot read {where}: {exc}") from None
        what = "a single .npy array" if start == b"\x93NUMPY" else "not a zip archive"
        raise DataError(
            f"{where} is not an .npz archive ({what}); save the arrays with numpy.savez"
        )
    try:
        with zipfile.ZipFile(path) as zf, np.load(path, allow_pickle=False) as npz:
            keys = set(npz.files)
            x_key, y_key = default_keys(keys, opts.get("x_key"), opts.get("y_key"), where)
            names_key = next((k for k in ("class_names", "list_classes") if k in keys), None)
            for key in (x_key, y_key, names_key):
                if key is not None:
                    _check_member(zf, key, where, as_float=key == x_key)
            x, y = npz[x_key], npz[y_key]
            names = npz[names_key] if names_key is not None else None
    except DataError:
        raise
    except _NPZ_ERRORS as exc:
        raise DataError(f"cannot read {where} (truncated or corrupt?): {exc}") from None
    return from_arrays(x, y, names, where, x_key, y_key)
