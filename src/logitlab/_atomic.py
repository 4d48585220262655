"""Writing files so that a reader never sees half of one: through a temporary name in
the same folder, then one rename (``os.replace`` is atomic on POSIX and Windows)."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    On any error (or Ctrl-C) the temporary file is removed and ``path`` is left as it
    was: the last complete version, or absent.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write(path, data):
    """Write ``data`` (str, as UTF-8, or bytes) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        if isinstance(data, str):
            with open(tmp, "w", encoding="utf-8", newline="\n") as f:
                f.write(data)
        else:
            with open(tmp, "wb") as f:
                f.write(data)
    return Path(path)
