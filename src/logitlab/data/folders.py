"""Image folders as `load_source` reads them: one sub-folder per class, or a manifest."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .errors import DataError, check_path
from .images import ImageFiles, check_size_color, list_image_folder
from .tables import csv_rows, read_text

__all__ = ["load_folder"]


def _read_images(files, opts):
    X = ImageFiles(files, opts["size"], opts["color"])
    if opts.get("lazy"):
        return X
    try:
        return X[:]
    except ValueError as exc:
        raise DataError(str(exc)) from None


def load_folder(path: Path, opts: dict) -> dict:
    """Read an image folder into reader parts (`load_source`'s image-folder branch).

    Without ``opts["manifest"]`` the classes are the sub-folders
    (`~logitlab.data.list_image_folder`); with it, the images and their labels are
    those the manifest lists (a multi-label task). With ``opts["lazy"]`` the images
    are not decoded: ``X`` is an `~logitlab.data.ImageFiles`.

    Parameters
    ----------
    path : pathlib.Path
        The folder.
    opts : dict
        `~logitlab.data.load_source`'s options (``size``, ``color``, ``manifest``,
        ``lazy``).

    Returns
    -------
    dict
        ``X``, ``y``, ``class_names``, ``image_shape``, ``files`` (and ``manifest``).

    Raises
    ------
    DataError
        Naming the folder, manifest, line or image file at fault.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from logitlab.data.folders import load_folder
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for name in ("cat", "dog"):
    ...         (Path(tmp) / name).mkdir()
    ...         Image.new("L", (2, 2), 255).save(Path(tmp) / name / "a.png")
    ...     parts = load_folder(Path(tmp), {"size": 2, "color": "grayscale", "lazy": True})
    >>> parts["X"], parts["y"].tolist(), parts["class_names"], parts["image_shape"]
    (ImageFiles(2 files, size=2, color='grayscale'), [0, 1], ['cat', 'dog'], (2, 2, 1))
    """
    size, _, channels = check_size_color(opts["size"], opts["color"])
    image_shape = (size, size, channels)
    if opts.get("manifest") is None:
        try:
            files, y, class_names = list_image_folder(path)
        except (OSError, ValueError) as exc:
            raise DataError(str(exc)) from None
        X = _read_images(files, opts)
        return dict(
            X=X,
            y=y,
            class_names=class_names,
            image_shape=image_shape,
            files=[str(f) for f in files],
        )

    manifest = _find_manifest(path, opts["manifest"])
    files, label_sets = _read_manifest(path, manifest)
    class_names = sorted(set().union(*label_sets))
    if not class_names:
        raise DataError(f"manifest {str(manifest)!r}: no image has any label")
    Y = np.zeros((len(files), len(class_names)), dtype=np.intp)
    col = {name: j for j, name in enumerate(class_names)}
    for i, labs in enumerate(label_sets):
        Y[i, [col[lab] for lab in labs]] = 1
    X = _read_images(files, opts)
    return dict(
        X=X,
        y=Y,
        class_names=class_names,
        image_shape=image_shape,
        files=[str(f) for f in files],
        manifest=str(manifest),
    )


def _find_manifest(folder, manifest):
    given = Path(manifest)
    candidates = [given] if given.is_absolute() else [folder / given, given]
    for c in candidates:
        if os.path.lexists(c):  # something is there: it must be a regular file
            return check_path(c, "file", "manifest")
    raise DataError(
        f"manifest {os.fspath(manifest)!r} does not exist (looked for "
        f"{' and '.join(repr(str(c)) for c in candidates)})"
    )


def _read_manifest(folder, manifest):
    where = f"manifest {str(manifest)!r}"
    rows = csv_rows(read_text(manifest, where), where)
    first = next(rows, None)
    header = first[1] if first else None
    lowered = [h.strip().lower() for h in header] if header else []
    if "file" not in lowered or "labels" not in lowered:
        raise DataError(
            f"{where}: the header must be 'file,labels', got "
            f"{','.join(header)[:80] if header else 'an empty file'!r}"
        )
    fi, li = lowered.index("file"), lowered.index("labels")
    files, label_sets = [], []
    for line, row in rows:
        name = row[fi].strip() if fi < len(row) else ""
        if not name:
            raise DataError(f"{where}: line {line} has no file name")
        labs = row[li] if li < len(row) else ""
        file = folder / name
        try:
            check_path(file, "file", "image file")
        except DataError as exc:
            raise DataError(f"{where}: line {line}: {exc}") from None
        files.append(file)
        label_sets.append(sorted({s.strip() for s in labs.split(";") if s.strip()}))
    if not files:
        raise DataError(f"{where}: lists no images")
    return files, label_sets
