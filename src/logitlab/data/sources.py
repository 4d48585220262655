"""One entry point for every kind of data a user brings: `load_source`.

``logitlab train --data SRC`` accepts a built-in data set's name, a folder of images,
an HDF5 file in the course's format, a CSV file, a (MULAN-style) ARFF file or an
``.npz`` archive; `load_source` reads any of them into a `LoadedData`: the features
in scikit-learn's layout (one example per row, float64), the labels, the task
(binary, multi-class or multi-label) and the names that reports need. `split` makes
the train and test sets, from a second source or by a stratified random split.

Every problem with the data raises `DataError` (a ``ValueError``) whose message names
the file, column, key or value at fault. Features are not standardised here.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .images import IMAGE_EXTENSIONS, ImageFiles, _check_size_color, list_image_folder
from .synthetic import SHAPE_TASKS, make_shapes

__all__ = ["DataError", "LoadedData", "align", "builtin_names", "load_source", "split"]

TASKS = ("binary", "multiclass", "multilabel")

_HDF5_SUFFIXES = (".h5", ".hdf5", ".he5")
_SUPPORTED = "a folder of images, .h5/.hdf5 (HDF5), .csv, .arff, .npz, or a built-in name"


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


@dataclass(repr=False, eq=False)
class LoadedData:
    """A data set in scikit-learn's layout, with what a report needs to describe it.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), float64, or ImageFiles
        One example per row. Images are unrolled row-major over (height, width,
        channel) and scaled to [0, 1]; other features are as read (not standardised).
        An image folder loaded with ``lazy=True`` gives an `ImageFiles`, whose rows
        are decoded when indexed.
    y : ndarray of shape (n_samples,) or (n_samples, n_labels), int
        Single-label tasks: class indices, ``y[i] = k`` meaning class
        ``class_names[k]``. Multi-label: 0/1 indicators, column ``j`` for label
        ``class_names[j]``.
    task : {"binary", "multiclass", "multilabel"}
        Multi-label if ``y`` is 2-D, binary if ``y`` holds two classes, else
        multi-class. For binary tasks class 1 is the positive class.
    class_names : list of str
        The name of each class (single-label) or label (multi-label), in label order.
    feature_names : list of str or None
        Column names (CSV, ARFF, built-in tables), None for images and arrays.
    image_shape : tuple of int or None
        ``(H, W, C)`` when each row is an unrolled image, else None.
    source : str
        What was loaded: the path, or the built-in name.
    files : list of str or None
        The image file of each row, when loaded from image files.
    options : dict
        The options `load_source` was called with, so that `split` can load a test
        source the same way.

    Examples
    --------
    >>> from logitlab.data import load_source
    >>> data = load_source("iris")
    >>> data
    LoadedData(source='iris', task='multiclass', n_samples=150, n_features=4,
               class_names=['setosa', 'versicolor', 'virginica'])
    >>> data.X.shape, data.y[:3], data.feature_names[0]
    ((150, 4), array([0, 0, 0]), 'sepal length (cm)')
    """

    X: np.ndarray
    y: np.ndarray
    task: str
    class_names: list
    feature_names: list | None
    image_shape: tuple | None
    source: str
    files: list | None = None
    options: dict = field(default_factory=dict)

    @property
    def n_samples(self):
        """Number of examples (rows of ``X``)."""
        return self.X.shape[0]

    @property
    def n_features(self):
        """Number of features (columns of ``X``)."""
        return self.X.shape[1]

    def subset(self, index):
        """The examples ``index`` (an index array or mask), everything else kept."""
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        files = None if self.files is None else [self.files[i] for i in index]
        X = self.X.take(index) if isinstance(self.X, ImageFiles) else self.X[index]
        return replace(
            self,
            X=X,
            y=self.y[index],
            files=files,
            class_names=list(self.class_names),
            options=dict(self.options),
        )

    def __repr__(self):
        parts = [
            f"source={self.source!r}",
            f"task={self.task!r}",
            f"n_samples={self.n_samples}",
            f"n_features={self.n_features}",
        ]
        if self.image_shape is not None:
            parts.append(f"image_shape={self.image_shape!r}")
        parts.append(f"class_names={self.class_names!r}")
        return f"LoadedData({', '.join(parts)})"


# --------------------------------------------------------------------------- built-ins

_BUILTINS = {
    "digits": "8x8 grayscale pictures of handwritten digits 0-9 (1797, scikit-learn), multi-class",
    "breast_cancer": "Wisconsin breast cancer: 30 features of cell nuclei, malignant vs "
    "benign (569, scikit-learn), binary",
    "iris": "Fisher's iris flowers: 4 measurements, 3 species (150, scikit-learn), multi-class",
    "moons": "two interleaving half-moons in 2-D (500 points, noise 0.2), binary",
    "blobs": "three Gaussian blobs in 2-D (500 points), multi-class",
    "shapes": "generated 64x64 RGB pictures of one circle, square or triangle (600): "
    "which shape? multi-class (same as shapes-multiclass)",
    "shapes-binary": "generated pictures with 1-3 shapes (600): is there a circle? binary",
    "shapes-multiclass": "generated pictures of one shape (600): circle, square or "
    "triangle? multi-class",
    "shapes-multilabel": "generated pictures with 1-3 shapes (600): which of circle, "
    "square, triangle are present? multi-label",
}
_ALIASES = {"breast-cancer": "breast_cancer", "cancer": "breast_cancer"}


def builtin_names():
    """The built-in data sets: name -> one-line description.

    All are made locally (scikit-learn's bundled data sets, or generated), never
    downloaded. ``shapes`` variants may also be written ``shapes:binary`` etc.

    Returns
    -------
    dict of str to str

    Examples
    --------
    >>> from logitlab.data import builtin_names
    >>> list(builtin_names())
    ['digits', 'breast_cancer', 'iris', 'moons', 'blobs', 'shapes', 'shapes-binary',
     'shapes-multiclass', 'shapes-multilabel']
    """
    return dict(_BUILTINS)


def _builtin_key(src):
    """The canonical built-in name for ``src``, or None if it names none."""
    if not isinstance(src, str):
        return None
    name = src.strip().lower()
    name = _ALIASES.get(name, name)
    if name in _BUILTINS and not name.startswith("shapes"):
        return name
    m = re.fullmatch(r"shapes(?:[-:_](\w+))?", name)
    if m and (m.group(1) is None or m.group(1) in SHAPE_TASKS):
        return f"shapes-{m.group(1) or 'multiclass'}"
    return None


def _load_builtin(key, opts):
    from sklearn import datasets

    rs = opts["random_state"]
    if key == "digits":
        bunch = datasets.load_digits()
        return dict(
            X=bunch.data / 16.0,
            y=bunch.target,
            class_names=[str(c) for c in bunch.target_names],
            feature_names=list(bunch.feature_names),
            image_shape=(8, 8, 1),
        )
    if key in ("breast_cancer", "iris"):
        bunch = datasets.load_breast_cancer() if key == "breast_cancer" else datasets.load_iris()
        return dict(
            X=bunch.data,
            y=bunch.target,
            class_names=[str(c) for c in bunch.target_names],
            feature_names=list(bunch.feature_names),
        )
    if key == "moons":
        X, y = datasets.make_moons(500, noise=0.2, random_state=rs)
        return dict(X=X, y=y, class_names=["0", "1"], feature_names=["x1", "x2"])
    if key == "blobs":
        X, y = datasets.make_blobs(500, centers=3, random_state=rs)
        return dict(X=X, y=y, class_names=["0", "1", "2"], feature_names=["x1", "x2"])
    task = key.split("-", 1)[1]
    size, _, channels = _check_size_color(opts["size"], opts["color"])
    X, y, names = make_shapes(600, task=task, size=size, color=opts["color"], random_state=rs)
    return dict(X=X, y=y, class_names=names, image_shape=(size, size, channels))


# --------------------------------------------------------------------------- entry point

_OPTION_NAMES = (
    "size",
    "color",
    "positive",
    "labels",
    "x_key",
    "y_key",
    "manifest",
    "random_state",
    "lazy",
)


def load_source(
    src,
    *,
    size=64,
    color="rgb",
    positive=None,
    labels=None,
    x_key=None,
    y_key=None,
    manifest=None,
    random_state=0,
    lazy=False,
):
    """Load a data set from a built-in name, an image folder or a data file.

    Parameters
    ----------
    src : str or os.PathLike
        What to load (a string naming a built-in data set, see `builtin_names`, is the
        built-in even if a file of that name exists; write ``./digits`` for the file):

        - a **built-in** name: ``digits`` (pixels scaled to [0, 1]), ``breast_cancer``,
          ``iris``, ``moons``, ``blobs``, ``shapes`` (= ``shapes-multiclass``),
          ``shapes-binary``, ``shapes-multilabel`` (also ``shapes:binary`` ...);
        - a **folder of images**, one sub-folder per class (`load_image_folder`), or,
          with ``manifest``, images listed in a CSV file with their labels;
        - an **HDF5** file (``.h5``, ``.hdf5``): the course's format, datasets
          ``train_set_x`` (m, H, W, 3) uint8, ``train_set_y`` (m,) or (1, m) and
          ``list_classes`` (class names), or their ``test_set_`` twins; or any file
          with ``x_key`` and ``y_key`` (``X`` and ``y`` by default);
        - a **CSV** file with a header row: numeric feature columns and label
          column(s) chosen by ``labels``;
        - an **ARFF** file, MULAN style: label attributes chosen by ``labels``, or
          found on their own (see Notes);
        - an **.npz** archive holding ``X`` and ``y`` (or ``x_key``, ``y_key``), and
          optionally ``class_names``.
    size : int, default=64
        Side, in pixels, of the square images read from an image folder or generated
        (``shapes``).
    color : {"rgb", "grayscale"}, default="rgb"
        Channels of images read from a folder or generated.
    positive : str, optional
        Make a single-label task binary: class ``positive`` (1) against all the others
        (0, named ``"not <positive>"``). Must be one of the class names.
    labels : str or sequence of str, optional
        CSV and ARFF: the label column(s): a column name, comma-separated names (or a
        list), or ``"last:N"`` for the last N columns. One column gives a binary or
        multi-class task, several give a multi-label task (values must be 0/1).
        Default: the last column (CSV), automatic detection (ARFF).
    x_key, y_key : str, optional
        HDF5 and ``.npz``: the datasets (keys) of the features and of the labels.
        ``y_key`` defaults to ``x_key`` with ``_x`` turned into ``_y``, or ``y`` for
        ``X``.
    manifest : str or os.PathLike, optional
        Image folders: a CSV file with header ``file,labels``, one row per image: the
        file name relative to the folder and its labels separated by ``;`` (may be
        empty). Gives a multi-label task over the labels found (sorted by name); the
        images may all be in the folder itself. A relative path is looked for in the
        folder first, then relative to the working directory.
    random_state : int, default=0
        Seed of the generated built-ins (``moons``, ``blobs``, ``shapes``).
    lazy : bool, default=False
        Image folders: do not decode the images now; ``X`` is an `ImageFiles` that
        reads rows when they are indexed, so that a folder larger than memory can be
        split and streamed (``logitlab train --stream``). The files are listed (and
        the labels known) at once; a file that cannot be decoded is found when it is
        read. Other sources are read into memory as usual.

    Returns
    -------
    LoadedData

    Raises
    ------
    DataError
        For a missing path, an unsupported file type, a file that cannot be read or
        parsed, missing keys or columns, non-numeric or non-finite features, bad
        labels, a data set with a single class, or an option that does not apply to
        the source. The message names the file, key, column, row or value at fault.

    Notes
    -----
    Single-label classes are numbered in this order: HDF5 ``list_classes`` and
    scikit-learn's built-ins keep theirs; image folders take the sub-folders sorted by
    name; labels read from CSV, ARFF or arrays are sorted (numerically when they are
    all integers, else as strings), so ``y`` is always ``0 .. n_classes - 1`` and
    ``class_names`` gives the names (``"cat"``, or ``"3"`` for label 3).

    ARFF labels, when ``labels`` is not given: a MEKA-style ``-C N`` option in the
    ``@relation`` name (``'yeast: -C -14'``: the last 14 attributes; ``-C 14`` the
    first 14); else the trailing run of nominal ``{0,1}`` attributes (one such
    attribute is a binary class, several are the labels of a multi-label task); else
    the last attribute (the class). Sparse ARFF data is not supported.

    Examples
    --------
    >>> from logitlab.data import load_source
    >>> load_source("digits")
    LoadedData(source='digits', task='multiclass', n_samples=1797, n_features=64,
               image_shape=(8, 8, 1),
               class_names=['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    >>> data = load_source("digits", positive="3")
    >>> data.task, data.class_names, int(data.y.sum())
    ('binary', ['not 3', '3'], 183)
    >>> load_source("shapes-multilabel", size=16).y.shape
    (600, 3)

    A CSV file whose last column is the class:

    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = Path(tmp) / "pets.csv"
    ...     _ = file.write_text("weight,height,animal\\n4.1,25,cat\\n30,60,dog\\n3.5,23,cat\\n")
    ...     pets = load_source(file)
    >>> pets.X, pets.y, pets.class_names, pets.feature_names
    (array([[ 4.1, 25. ], [30. , 60. ], [ 3.5, 23. ]]), array([0, 1, 0]),
     ['cat', 'dog'], ['weight', 'height'])
    """
    opts = dict(
        size=size,
        color=color,
        positive=positive,
        labels=labels,
        x_key=x_key,
        y_key=y_key,
        manifest=manifest,
        random_state=random_state,
        lazy=bool(lazy),
    )
    return _load(src, opts)


def _load(src, opts, *, single_class_ok=False):
    """`load_source` with its options in a dict."""
    try:
        _check_size_color(opts["size"], opts["color"])
    except ValueError as exc:
        raise DataError(str(exc)) from None

    key = _builtin_key(src) if isinstance(src, str) else None
    if key is not None:
        _reject(opts, ("labels", "x_key", "y_key", "manifest"), f"the built-in data set {key!r}")
        parts = _load_builtin(key, opts)
        source = key
    else:
        if not isinstance(src, (str, os.PathLike)):
            raise DataError(f"a data source is a path or a built-in name, got {src!r}")
        path = Path(src)
        source = os.fspath(src)
        if not path.exists():
            hint = ""
            if isinstance(src, str) and not path.suffix and os.sep not in src and "/" not in src:
                hint = f" (and is not a built-in data set: {', '.join(_BUILTINS)})"
            raise DataError(f"{source!r} does not exist{hint}")
        suffix = path.suffix.lower()
        if path.is_dir():
            _reject(opts, ("labels", "x_key", "y_key"), f"image folder {source!r}")
            parts = _load_images(path, opts)
        elif suffix in _HDF5_SUFFIXES:
            _reject(opts, ("labels", "manifest"), f"HDF5 file {source!r}")
            parts = _load_hdf5(path, opts)
        elif suffix == ".npz":
            _reject(opts, ("labels", "manifest"), f".npz file {source!r}")
            parts = _load_npz(path, opts)
        elif suffix == ".csv":
            _reject(opts, ("x_key", "y_key", "manifest"), f"CSV file {source!r}")
            parts = _load_csv(path, opts)
        elif suffix == ".arff":
            _reject(opts, ("x_key", "y_key", "manifest"), f"ARFF file {source!r}")
            parts = _load_arff(path, opts)
        else:
            what = (
                "an image" if suffix in IMAGE_EXTENSIONS else f"a {suffix or 'extension-less'} file"
            )
            raise DataError(f"{source!r} is {what}: unsupported data source; use {_SUPPORTED}")
    return _finish(parts, source, opts, single_class_ok=single_class_ok)


def _reject(opts, names, what):
    given = [n for n in names if opts.get(n) is not None]
    if given:
        raise DataError(f"option {', '.join(given)} does not apply to {what}")


def _finish(parts, source, opts, *, single_class_ok):
    """Check and assemble what a reader returned into a LoadedData."""
    X = parts["X"]
    if not isinstance(X, ImageFiles):  # lazy images are checked as they are read
        X = np.ascontiguousarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise DataError(f"{source}: features must be 2-D after unrolling, got shape {X.shape}")
    y = np.asarray(parts["y"])
    class_names = [str(c) for c in parts["class_names"]]
    feature_names = parts.get("feature_names")
    if not isinstance(X, ImageFiles):
        _check_finite(X, feature_names, source)
    if y.shape[0] != X.shape[0]:
        raise DataError(f"{source}: {X.shape[0]} examples of features but {y.shape[0]} labels")
    if X.shape[0] == 0:
        raise DataError(f"{source}: no examples")

    positive = opts.get("positive")
    if y.ndim == 2:
        if positive is not None:
            raise DataError(
                f"{source}: positive={positive!r} applies to single-label data, "
                f"but this is multi-label ({', '.join(class_names)})"
            )
        task = "multilabel"
        y = y.astype(np.intp)
    else:
        y = y.astype(np.intp)
        if positive is not None:
            name = str(positive)
            if name not in class_names:
                raise DataError(
                    f"{source}: positive={name!r} is not one of the classes: "
                    f"{', '.join(class_names)}"
                )
            y = (y == class_names.index(name)).astype(np.intp)
            class_names = [f"not {name}", name]
        n_classes = len(np.unique(y))
        if n_classes < 2 and not single_class_ok:
            only = class_names[int(y[0])] if class_names else str(y[0])
            raise DataError(
                f"{source}: every example is of class {only!r}; "
                "a classifier needs at least two classes"
            )
        two = n_classes == 2 or (n_classes < 2 and len(class_names) == 2)
        task = "binary" if two else "multiclass"

    options = {k: opts.get(k) for k in _OPTION_NAMES}
    if parts.get("manifest") is not None:
        options["manifest"] = parts["manifest"]
    return LoadedData(
        X=X,
        y=y,
        task=task,
        class_names=class_names,
        feature_names=(None if feature_names is None else [str(f) for f in feature_names]),
        image_shape=parts.get("image_shape"),
        source=source,
        files=parts.get("files"),
        options=options,
    )


def _check_finite(X, feature_names, source):
    bad = ~np.isfinite(X)
    if bad.any():
        row, col = (int(v) for v in np.argwhere(bad)[0])
        name = feature_names[col] if feature_names is not None else f"feature {col}"
        raise DataError(
            f"{source}: column {name!r} holds {X[row, col]} in row {row + 1}; "
            f"features must be finite numbers ({int(bad.sum())} such values in all)"
        )


# --------------------------------------------------------------------------- labels

_INT_RE = re.compile(r"[+-]?\d+")


def _encode(values, where):
    """Class labels (numbers or strings) -> (indices 0..C-1, class names)."""
    values = np.asarray(values)
    if values.dtype.kind in "SO":
        values = np.array([v.decode() if isinstance(v, bytes) else str(v) for v in values])
    if values.dtype.kind == "U":
        stripped = np.char.strip(values)
        empty = np.flatnonzero(stripped == "")
        if empty.size:
            raise DataError(f"{where}: empty label in row {empty[0] + 1}")
        if all(_INT_RE.fullmatch(v) for v in stripped):
            values = stripped.astype(np.int64)
        else:
            try:
                as_float = stripped.astype(np.float64)
            except ValueError:
                uniq, codes = np.unique(stripped, return_inverse=True)
                return codes.astype(np.intp), [str(u) for u in uniq]
            values = as_float
    if values.dtype.kind == "b":
        values = values.astype(np.int64)
    if values.dtype.kind == "f":
        bad = ~np.isfinite(values) | (values != np.round(values))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{where}: label {values[i].item()!r} in row {i + 1} is not an integer "
                "or a name; class labels must be integers or names"
            )
        values = values.astype(np.int64)
    if values.dtype.kind not in "iu":
        raise DataError(f"{where}: labels of type {values.dtype} are not supported")
    uniq, codes = np.unique(values, return_inverse=True)
    return codes.astype(np.intp).reshape(-1), [str(int(u)) for u in uniq]


def _indicators(column, name, where):
    """One multi-label column (numbers or strings) -> 0/1 ints."""
    column = np.asarray(column)
    if column.dtype.kind in "SO":
        column = np.array([v.decode() if isinstance(v, bytes) else str(v) for v in column])
    if column.dtype.kind == "U":
        out = np.empty(column.shape, dtype=np.intp)
        for i, v in enumerate(column.tolist()):
            s = v.strip()
            try:
                f = float(s)
            except ValueError:
                f = math.nan
            if f not in (0.0, 1.0):
                raise DataError(
                    f"{where}: label column {name!r} holds {v!r} in row {i + 1}; "
                    "multi-label columns must hold 0 or 1"
                )
            out[i] = int(f)
        return out
    bad = ~np.isin(column, (0, 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{where}: label column {name!r} holds {column[i].item()!r} "
            f"in row {i + 1}; "
            "multi-label columns must hold 0 or 1"
        )
    return column.astype(np.intp)


def _select_columns(labels, names, where):
    """Indices of the label columns chosen by ``labels`` among ``names``."""
    n = len(names)
    if isinstance(labels, str):
        spec = labels.strip()
        m = re.fullmatch(r"last:\s*(\d+)", spec)
        if m:
            k = int(m.group(1))
            if not 1 <= k < n:
                raise DataError(
                    f"{where}: labels={labels!r}: need 1 <= N < {n} "
                    f"(the number of columns) to leave feature columns"
                )
            return list(range(n - k, n))
        wanted = [s.strip() for s in spec.split(",")]
    else:
        try:
            wanted = [str(s) for s in labels]
        except TypeError:
            raise DataError(
                f"{where}: labels must be a column name, names separated by "
                f"commas, a list of names or 'last:N', got {labels!r}"
            ) from None
    if not wanted or any(w == "" for w in wanted):
        raise DataError(f"{where}: labels={labels!r} holds an empty column name")
    unknown = [w for w in wanted if w not in names]
    if unknown:
        raise DataError(
            f"{where}: no label column(s) {', '.join(map(repr, unknown))}; "
            f"available columns: {_listing(names)}"
        )
    if len(set(wanted)) != len(wanted):
        raise DataError(f"{where}: labels={labels!r} names a column twice")
    ambiguous = [w for w in wanted if names.count(w) > 1]
    if ambiguous:
        raise DataError(
            f"{where}: column name(s) {', '.join(map(repr, ambiguous))} appear "
            "more than once in the header"
        )
    idx = [names.index(w) for w in wanted]
    if len(idx) == n:
        raise DataError(f"{where}: labels={labels!r} takes every column; no features left")
    return idx


def _listing(names, limit=30):
    if len(names) <= limit:
        return ", ".join(names)
    return (
        ", ".join(names[: limit - 5])
        + f", ... ({len(names) - limit + 5} more), "
        + ", ".join(names[-5:])
    )


def _labels_from_columns(columns, names, where):
    """Label columns -> (y, class_names): one column is a class, several are labels."""
    if len(columns) == 1:
        return _encode(columns[0], f"{where}: label column {names[0]!r}")
    Y = np.column_stack([_indicators(c, n, where) for c, n in zip(columns, names)])
    return Y, list(names)


# --------------------------------------------------------------------------- images


def _read_images(files, opts):
    X = ImageFiles(files, opts["size"], opts["color"])
    if opts.get("lazy"):
        return X
    try:
        return X[:]
    except ValueError as exc:
        raise DataError(str(exc)) from None


def _load_images(path, opts):
    size, _, channels = _check_size_color(opts["size"], opts["color"])
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
        if c.is_file():
            return c
    raise DataError(
        f"manifest {os.fspath(manifest)!r} does not exist (looked for "
        f"{' and '.join(repr(str(c)) for c in candidates)})"
    )


def _read_manifest(folder, manifest):
    where = f"manifest {str(manifest)!r}"
    try:
        text = manifest.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {where}: {exc}") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    lowered = [h.strip().lower() for h in header] if header else []
    if "file" not in lowered or "labels" not in lowered:
        raise DataError(
            f"{where}: the header must be 'file,labels', got "
            f"{','.join(header) if header else 'an empty file'!r}"
        )
    fi, li = lowered.index("file"), lowered.index("labels")
    files, label_sets = [], []
    for row in reader:
        line = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) <= fi:
            raise DataError(f"{where}: line {line} has no file name")
        name = row[fi].strip()
        labs = row[li] if li < len(row) else ""
        file = folder / name
        if not name or not file.is_file():
            raise DataError(f"{where}: line {line}: image file {str(file)!r} does not exist")
        files.append(file)
        label_sets.append(sorted({s.strip() for s in labs.split(";") if s.strip()}))
    if not files:
        raise DataError(f"{where}: lists no images")
    return files, label_sets


# --------------------------------------------------------------------------- arrays


def _from_arrays(x, y, names, where, x_key, y_key):
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
            [_indicators(y[:, j], f"{y_key}[:, {j}]", where) for j in range(y.shape[1])]
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
    codes, class_names = _encode(y, f"{where}: labels {y_key!r}")
    return dict(X=X, y=codes, class_names=class_names, image_shape=image_shape)


def _default_keys(keys, x_key, y_key, where):
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
                f"{_listing(sorted(keys)) or 'no datasets'}; expected "
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
                f"holds {_listing(sorted(keys))}"
            )
    for k, what in ((x_key, "x_key"), (y_key, "y_key")):
        if k not in keys:
            raise DataError(
                f"{where}: no dataset {k!r} ({what}); the file holds "
                f"{_listing(sorted(keys)) or 'nothing'}"
            )
    return x_key, y_key


def _load_hdf5(path, opts):
    import h5py

    where = f"HDF5 file {str(path)!r}"
    try:
        with h5py.File(path, "r") as f:
            keys = []
            f.visit(lambda name: keys.append(name) if isinstance(f[name], h5py.Dataset) else None)
            x_key, y_key = _default_keys(set(keys), opts.get("x_key"), opts.get("y_key"), where)
            x, y = f[x_key][()], f[y_key][()]
            names = f["list_classes"][()] if "list_classes" in keys else None
    except OSError as exc:
        raise DataError(f"cannot read {where} (not HDF5, truncated or corrupt): {exc}") from None
    if names is not None and np.asarray(names).dtype.kind not in "SUO":
        names = None
    return _from_arrays(np.asarray(x), y, names, where, x_key, y_key)


def _load_npz(path, opts):
    import zipfile

    where = f".npz file {str(path)!r}"
    try:
        with np.load(path, allow_pickle=False) as npz:
            keys = set(npz.files)
            x_key, y_key = _default_keys(keys, opts.get("x_key"), opts.get("y_key"), where)
            x, y = npz[x_key], npz[y_key]
            names = next((npz[k] for k in ("class_names", "list_classes") if k in keys), None)
    except DataError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"cannot read {where}: {exc}") from None
    return _from_arrays(x, y, names, where, x_key, y_key)


# --------------------------------------------------------------------------- CSV


def _load_csv(path, opts):
    where = f"CSV file {str(path)!r}"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"cannot read {where}: not UTF-8 text ({exc})") from None
    except OSError as exc:
        raise DataError(f"cannot read {where}: {exc}") from None
    first = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first:
        delimiter = ";" if ";" in first else ("\t" if "\t" in first else ",")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header, rows, lines = None, [], []
    for row in reader:
        if not row or all(not c.strip() for c in row):
            continue
        if header is None:
            header = [c.strip() for c in row]
            continue
        if len(row) != len(header):
            raise DataError(
                f"{where}: line {reader.line_num} has {len(row)} fields but the "
                f"header has {len(header)}"
            )
        rows.append(row)
        lines.append(reader.line_num)
    if header is None:
        raise DataError(f"{where} is empty")
    if all(_is_number(c) for c in header):
        raise DataError(
            f"{where}: the first line {first.strip()[:60]!r} looks like data; "
            "a header row naming the columns is required"
        )
    if not rows:
        raise DataError(f"{where}: no data rows below the header")
    if len(header) < 2:
        raise DataError(f"{where}: a single column {header[0]!r}; need features and labels")

    label_idx = _select_columns(
        opts["labels"] if opts.get("labels") is not None else "last:1", header, where
    )
    feat_idx = [j for j in range(len(header)) if j not in set(label_idx)]
    cells = [[row[j] for j in feat_idx] for row in rows]
    try:
        X = np.array(cells, dtype=np.float64)
    except ValueError:
        for r, row in enumerate(cells):
            for c, v in enumerate(row):
                if not _is_number(v):
                    raise DataError(
                        f"{where}: column {header[feat_idx[c]]!r} is not numeric: value "
                        f"{v!r} in row {r + 1} (line {lines[r]}); features must be numbers"
                    ) from None
        raise  # pragma: no cover - numpy and float() agree
    label_cols = [np.array([row[j].strip() for row in rows]) for j in label_idx]
    try:
        y, class_names = _labels_from_columns(label_cols, [header[j] for j in label_idx], where)
    except DataError as exc:
        raise DataError(_row_to_line(str(exc), lines)) from None
    X = X.reshape(len(rows), len(feat_idx))
    _check_finite_csv(X, [header[j] for j in feat_idx], lines, where)
    return dict(X=X, y=y, class_names=class_names, feature_names=[header[j] for j in feat_idx])


def _row_to_line(message, lines):
    """Add the file's line number to a message naming a data row."""
    m = re.search(r"in row (\d+)", message)
    if not m:
        return message
    r = int(m.group(1))
    return message.replace(m.group(0), f"{m.group(0)} (line {lines[r - 1]})", 1)


def _check_finite_csv(X, names, lines, where):
    bad = ~np.isfinite(X)
    if bad.any():
        r, c = (int(v) for v in np.argwhere(bad)[0])
        raise DataError(
            f"{where}: column {names[c]!r} holds {X[r, c]} in row {r + 1} "
            f"(line {lines[r]}); features must be finite numbers"
        )


def _is_number(s):
    try:
        float(s)
    except (TypeError, ValueError):
        return False
    return True


# --------------------------------------------------------------------------- ARFF

_NUMERIC_ARFF = ("numeric", "real", "integer")


def _load_arff(path, opts):
    from scipy.io import arff

    where = f"ARFF file {str(path)!r}"
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DataError(f"cannot read {where}: {exc}") from None
    relation, sparse = _arff_header_facts(text)
    if sparse:
        raise DataError(
            f"{where}: sparse ARFF data ({{index value, ...}} rows) is not "
            "supported; save it in dense form"
        )
    try:
        data, meta = arff.loadarff(io.StringIO(text))
    except Exception as exc:  # scipy raises ValueError, ParseArffError, NotImplementedError ...
        raise DataError(f"cannot parse {where}: {exc}") from None
    names = list(meta.names())
    types = list(meta.types())
    if not names:
        raise DataError(f"cannot parse {where}: no @attribute declarations")
    if len(data) == 0:
        raise DataError(f"{where}: no data rows")

    def nominal_values(name):
        return tuple(v.strip("'\"") for v in meta[name][1]) if meta[name][0] == "nominal" else None

    if opts.get("labels") is not None:
        label_idx = _select_columns(opts["labels"], names, where)
    else:
        label_idx = _arff_label_columns(names, types, nominal_values, relation, where)
    feat_idx = [j for j in range(len(names)) if j not in set(label_idx)]
    X = np.empty((len(data), len(feat_idx)), dtype=np.float64)
    for c, j in enumerate(feat_idx):
        column = data[names[j]]
        if types[j] in _NUMERIC_ARFF:
            X[:, c] = column
            continue
        values = nominal_values(names[j]) if types[j] == "nominal" else None
        if values is None or not all(_is_number(v) for v in values):
            raise DataError(
                f"{where}: attribute {names[j]!r} is {types[j]}"
                f"{' {' + ','.join(values) + '}' if values else ''}; feature "
                "attributes must be numeric (or name it as a label with labels=)"
            )
        for i, v in enumerate(column.tolist()):  # numeric nominal values, e.g. {0,1}
            v = v.decode() if isinstance(v, bytes) else str(v)
            X[i, c] = float(v) if v != "?" else math.nan
    columns = [data[names[j]] for j in label_idx]
    for j, col in zip(label_idx, columns):
        if col.dtype.kind == "S" and (col == b"?").any():
            i = int(np.flatnonzero(col == b"?")[0])
            raise DataError(
                f"{where}: label attribute {names[j]!r} is missing ('?') in row {i + 1}"
            )
    y, class_names = _labels_from_columns(columns, [names[j] for j in label_idx], where)
    return dict(X=X, y=y, class_names=class_names, feature_names=[names[j] for j in feat_idx])


def _arff_header_facts(text):
    """(relation name line, whether the data section is sparse) from an ARFF text."""
    relation, sparse, in_data = "", False, False
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("%"):
            continue
        low = s.lower()
        if not in_data:
            if low.startswith("@relation"):
                relation = s[len("@relation") :].strip()
            elif low.startswith("@data"):
                in_data = True
            continue
        sparse = s.startswith("{")
        break
    return relation, sparse


def _arff_label_columns(names, types, nominal_values, relation, where):
    n = len(names)
    m = re.search(r"-C\s+(-?\d+)", relation)
    if m:
        k = int(m.group(1))
        if 0 < abs(k) < n:
            return list(range(n - abs(k), n)) if k < 0 else list(range(k))
    run = 0
    for name in reversed(names):
        values = nominal_values(name)
        if values is None or set(values) != {"0", "1"}:
            break
        run += 1
    if 0 < run < n:
        return list(range(n - run, n))
    if n < 2:
        raise DataError(f"{where}: a single attribute {names[0]!r}; need features and labels")
    return [n - 1]


# --------------------------------------------------------------------------- split


def align(data, like):
    """Re-express ``data``'s labels in the classes of ``like`` (e.g. a test set's in the
    training set's).

    Single-label classes are matched by name, so a test set may hold fewer classes or
    number them differently; multi-label columns are matched by label name and put in
    ``like``'s order (a label of ``like`` that ``data`` lacks is 0 for every example,
    as when a test folder's manifest never names it). The result takes ``like``'s
    ``task`` and ``class_names``.

    Parameters
    ----------
    data, like : LoadedData

    Returns
    -------
    LoadedData

    Raises
    ------
    DataError
        If the feature counts differ, one is multi-label and the other not, or
        ``data`` holds classes or labels that ``like`` does not know.

    Examples
    --------
    >>> import numpy as np
    >>> from logitlab.data import align, load_source
    >>> train = load_source("iris")
    >>> test = train.subset([100, 0])
    >>> test.class_names = ["virginica", "setosa"]   # numbered another way
    >>> test.y = np.array([0, 1])
    >>> align(test, train).y
    array([2, 0])
    """
    if data.n_features != like.n_features:
        raise DataError(
            f"{data.source!r} has {data.n_features} features but {like.source!r} "
            f"has {like.n_features}; they must match"
        )
    if (data.task == "multilabel") != (like.task == "multilabel"):
        kinds = {True: "multi-label", False: "single-label"}
        raise DataError(
            f"{data.source!r} is {kinds[data.task == 'multilabel']} but "
            f"{like.source!r} is {kinds[like.task == 'multilabel']}"
        )
    if like.task == "multilabel":
        extra = [n for n in data.class_names if n not in like.class_names]
        if extra:
            raise DataError(
                f"{data.source!r} holds label(s) {', '.join(map(repr, extra))} "
                f"unknown to {like.source!r} (labels: {', '.join(like.class_names)})"
            )
        y = np.zeros((data.n_samples, len(like.class_names)), dtype=np.intp)
        for j, name in enumerate(like.class_names):
            if name in data.class_names:  # a label no example of data has stays 0
                y[:, j] = data.y[:, data.class_names.index(name)]
    else:
        present = np.unique(data.y)
        unknown = [
            data.class_names[k] for k in present if data.class_names[k] not in like.class_names
        ]
        if unknown:
            raise DataError(
                f"{data.source!r} holds class(es) {', '.join(map(repr, unknown))} "
                f"unknown to {like.source!r} (classes: {', '.join(like.class_names)})"
            )
        lookup = np.full(len(data.class_names), -1, dtype=np.intp)
        for k in present:
            lookup[k] = like.class_names.index(data.class_names[k])
        y = lookup[data.y]
    return replace(data, y=y, task=like.task, class_names=list(like.class_names))


def split(data, *, test=None, test_size=0.2, random_state=0, **options):
    """Training and test sets: ``test`` loaded like ``data``, or a random split of it.

    Parameters
    ----------
    data : LoadedData, or a source for `load_source`
        The training data (or all the data, to be split).
    test : LoadedData, str or os.PathLike, optional
        A separate test set: a `LoadedData`, or a source loaded with the options
        ``data`` was loaded with (an image folder loaded with a manifest looks for a
        manifest of the same file name in the test folder). Its classes are matched
        to ``data``'s by name (`align`); its feature count must equal ``data``'s.
    test_size : float or int, default=0.2
        Without ``test``: the fraction (or number) of examples held out, by
        scikit-learn's ``train_test_split``, stratified by class for single-label
        tasks.
    random_state : int, default=0
        Seed of the random split.
    **options
        Options of `load_source` for loading ``test`` (or ``data``), overriding those
        ``data`` was loaded with.

    Returns
    -------
    train, test : LoadedData
        Both keep ``task``, ``class_names``, ``feature_names``, ``image_shape`` and
        the ``files`` of their rows.

    Raises
    ------
    DataError
        If the feature counts differ, the classes do not match, or the split is
        impossible (e.g. a class with a single example).

    Examples
    --------
    >>> from logitlab.data import load_source, split
    >>> train, test = split(load_source("iris"), test_size=0.2, random_state=0)
    >>> train.n_samples, test.n_samples, test.class_names
    (120, 30, ['setosa', 'versicolor', 'virginica'])
    >>> import numpy as np
    >>> np.bincount(test.y)  # stratified
    array([10, 10, 10])
    """
    unknown = set(options) - set(_OPTION_NAMES)
    if unknown:
        raise TypeError(f"split() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    if not isinstance(data, LoadedData):
        data = load_source(data, **options)
        options = {}
    if test is None:
        from sklearn.model_selection import train_test_split

        index = np.arange(data.n_samples)
        stratify = data.y if data.task != "multilabel" else None
        try:
            train_idx, test_idx = train_test_split(
                index, test_size=test_size, random_state=random_state, stratify=stratify
            )
        except ValueError as exc:
            raise DataError(
                f"cannot split {data.source!r} (test_size={test_size!r}): {exc}"
            ) from None
        return data.subset(np.sort(train_idx)), data.subset(np.sort(test_idx))

    if not isinstance(test, LoadedData):
        opts = {k: data.options.get(k) for k in _OPTION_NAMES}
        for k, default in (("size", 64), ("color", "rgb"), ("random_state", 0)):
            if opts[k] is None:
                opts[k] = default
        if opts.get("manifest") is not None and "manifest" not in options:
            folder = Path(test)
            if folder.is_dir():
                candidate = folder / Path(opts["manifest"]).name
                if not candidate.is_file():
                    raise DataError(
                        f"test folder {os.fspath(test)!r} has no manifest "
                        f"{Path(opts['manifest']).name!r} like the training "
                        "folder's; pass manifest= for it"
                    )
                opts["manifest"] = str(candidate)
            else:
                opts["manifest"] = None
        opts.update(options)
        test = _load(test, opts, single_class_ok=True)
    if test.n_features != data.n_features:
        raise DataError(
            f"test data {test.source!r} has {test.n_features} features but "
            f"training data {data.source!r} has {data.n_features}; they must match"
        )
    return data, align(test, data)
