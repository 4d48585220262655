"""`DataError`, the one exception for data a user brings that cannot be loaded, and the
checks every reader makes before it opens or reads a file.

`check_path` refuses what is not a regular file or a directory (a named pipe or a
device would block the reader, or never end) before anything opens it; `check_memory`
refuses to read an array that would not fit in the memory available, from the shape
and dtype a file declares, before reading it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = [
    "DataError",
    "DataKeyError",
    "DataReadError",
    "MissingDataError",
    "available_memory",
    "check_memory",
    "check_path",
    "format_bytes",
    "short_repr",
]


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


class MissingDataError(DataError, FileNotFoundError):
    """A `DataError` for a path that does not exist; also a ``FileNotFoundError``."""


class DataReadError(DataError, OSError):
    """A `DataError` for a file that cannot be opened or read (truncated, corrupt, not
    of its format); also an ``OSError``, as the I/O error it reports."""


class DataKeyError(DataError, KeyError):
    """A `DataError` for a key (an HDF5 dataset, an archive member) the file lacks;
    also a ``KeyError``."""

    __str__ = DataError.__str__  # the message as written, not KeyError's repr of it


_KINDS = {"file": stat.S_ISREG, "directory": stat.S_ISDIR}


def check_path(path: str | os.PathLike, kind: str | None = None, what: str = "") -> Path:
    """Check that ``path`` is a regular file or a directory, without opening it.

    Named pipes, sockets and devices are refused at once: opening one would wait for a
    writer, or read without end. Symbolic links are followed (a loop of them is
    refused with its own message).

    Parameters
    ----------
    path : str or os.PathLike
        The path to check.
    kind : {"file", "directory"}, optional
        What ``path`` must be; None accepts either.
    what : str, optional
        What the path is meant to be, for messages (e.g. ``"HDF5 file"``).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    MissingDataError
        If nothing is at ``path`` (or a symbolic link there points nowhere).
    DataError
        If ``path`` is another kind of thing, or cannot be examined.

    Examples
    --------
    >>> import tempfile
    >>> from logitlab.data.errors import DataError, check_path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     check_path(tmp, "directory") == check_path(tmp)
    ...     try:
    ...         check_path(tmp, "file", "CSV file")
    ...     except DataError as exc:
    ...         print(str(exc).replace(tmp, "TMP"))
    True
    CSV file 'TMP' is a directory, not a file
    """
    p = Path(path)
    name = f"{what} {os.fspath(path)!r}" if what else repr(os.fspath(path))
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        broken = os.path.islink(p)
        raise MissingDataError(
            f"{name} does not exist" + (" (a symbolic link to nothing)" if broken else "")
        ) from None
    except OSError as exc:  # a loop of symbolic links, no permission, a name too long ...
        raise DataError(f"cannot access {name}: {exc.strerror or exc}") from None
    except ValueError:  # os.stat's "embedded null byte"
        raise DataError(f"{name} is not a valid path: it holds a NUL character") from None
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise DataError(
            f"{name} is a {_describe(mode)}, not a regular file or a directory; "
            "only files and folders are read"
        )
    if kind is not None and not _KINDS[kind](mode):
        found = "directory" if stat.S_ISDIR(mode) else "file"
        raise DataError(f"{name} is a {found}, not a {kind}")
    return p


def _describe(mode):
    for test, name in (
        (stat.S_ISFIFO, "named pipe (FIFO)"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "special file"


def available_memory() -> int | None:
    """Bytes of memory this process can still allocate, as far as the system says.

    The smallest of: Linux's ``MemAvailable`` (``/proc/meminfo``; else the free pages,
    ``os.sysconf("SC_AVPHYS_PAGES")``), and the room left under a cgroup v2 memory
    limit (a container's). None where none of them can be read.

    Examples
    --------
    >>> from logitlab.data.errors import available_memory
    >>> n = available_memory()
    >>> n is None or n >= 0
    True
    """
    found = []
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)  # given in kB
                    break
    except (OSError, ValueError, IndexError):
        pass
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (AttributeError, OSError, ValueError):
            pass
    try:
        cgroup = Path("/sys/fs/cgroup")
        limit = (cgroup / "memory.max").read_text().strip()
        if limit != "max":
            found.append(max(int(limit) - int((cgroup / "memory.current").read_text()), 0))
    except (OSError, ValueError):
        pass
    return min(found) if found else None


def short_repr(value: object, limit: int = 40) -> str:
    """``repr(value)``, cut to about ``limit`` characters: a value quoted in a message
    (a label, a cell) may be as long as a whole file.

    Examples
    --------
    >>> from logitlab.data.errors import short_repr
    >>> short_repr("cat"), short_repr("x" * 100, limit=10)
    ("'cat'", "'xxxxxxxx... (102 characters)")
    """
    r = repr(value)
    return r if len(r) <= limit else f"{r[: limit - 1]}... ({len(r)} characters)"


def format_bytes(n: int) -> str:
    """``n`` bytes in words, with the exact count.

    Examples
    --------
    >>> from logitlab.data.errors import format_bytes
    >>> format_bytes(3 * 2**30), format_bytes(512)
    ('3.0 GiB (3221225472 bytes)', '512 bytes')
    """
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit} ({n} bytes)"
    return f"{n} bytes"


_STREAM_IT = (
    "stream it instead of loading it (load_source(..., lazy=True), logitlab train --stream)"
)


def check_memory(nbytes: int, what: str, advice: str = _STREAM_IT) -> None:
    """Refuse to read ``nbytes`` bytes into memory when the system has less available.

    Called with the size an array will have (from the shape and dtype a file declares)
    before it is read, so that a file too large for memory fails at once with a clear
    message, instead of swapping for minutes or being killed.

    Parameters
    ----------
    nbytes : int
        Bytes the read needs.
    what : str
        What is read (e.g. ``"HDF5 file 'big.h5', key 'X': 10000 examples"``).
    advice : str, optional
        What to do instead; by default, to stream the data.

    Raises
    ------
    DataError
        Naming ``what``, the bytes asked for and those available, and suggesting to
        stream the data instead.

    Examples
    --------
    >>> from logitlab.data.errors import check_memory
    >>> check_memory(1024, "a small array")  # fits: nothing happens
    >>> try:
    ...     check_memory(2**80, "HDF5 file 'big.h5', key 'X': 10 examples")
    ... except ValueError as exc:
    ...     print(str(exc)[:73])
    HDF5 file 'big.h5', key 'X': 10 examples needs 1099511627776.0 TiB (12089
    """
    available = available_memory()
    if available is not None and nbytes > available:
        raise DataError(
            f"{what} needs {format_bytes(int(nbytes))} of memory, more than the "
            f"{format_bytes(available)} available; {advice}"
        )
