"""One entry point for every kind of data a user brings: `load_source`.

``logitlab train --data SRC`` accepts a built-in data set's name, a folder of images,
an HDF5 file in the course's format, a CSV file, a (MULAN-style) ARFF file or an
``.npz`` archive; `load_source` reads any of them into a `LoadedData`: the features
in scikit-learn's layout (one example per row, float64), the labels, the task
(binary, multi-class or multi-label) and the names that reports need. `split` makes
the train and test sets, from a second source or by a stratified random split.

Every problem with the data raises `DataError` (a ``ValueError``) whose message names
the file, column, key or value at fault. Features are not standardised here.

This module dispatches and checks; each format has its own reader module, which
returns the parts (``X``, ``y``, ``class_names`` ...) that `load_source` assembles:
`.builtins`, `.folders` (image folders and manifests, decoded by `.images`), `.hdf5`,
`.npz` (both through `.arrays`), `.tables` (CSV) and `.arff`; `.labels` encodes the
labels of all of them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from numbers import Integral
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .arff import load_arff
from .builtins import BUILTINS, builtin_key, builtin_names, load_builtin
from .errors import DataError, MissingDataError, check_path
from .folders import load_folder
from .hdf5 import HDF5_SUFFIXES, load_hdf5
from .images import IMAGE_EXTENSIONS, check_size_color
from .labels import listing
from .lazy import LazyRows
from .npz import load_npz
from .stratify import stratified_split
from .tables import load_csv

__all__ = ["DataError", "LoadedData", "align", "builtin_names", "load_source", "split"]

_SUPPORTED = "a folder of images, .h5/.hdf5 (HDF5), .csv, .arff, .npz, or a built-in name"
_FILE_KINDS = {
    ".h5": "an HDF5 file",
    ".npz": "an .npz archive",
    ".csv": "a CSV file",
    ".arff": "an ARFF file",
}


@dataclass(repr=False, eq=False)
class LoadedData:
    """A data set in scikit-learn's layout, with what a report needs to describe it.

    Attributes
    ----------
    X : ndarray or scipy.sparse CSR matrix of shape (n_samples, n_features), float64, or LazyRows
        One example per row. Images are unrolled row-major over (height, width,
        channel) and scaled to [0, 1]; other features are as read (not standardised).
        A sparse ARFF file gives a CSR matrix (sorted indices, each once).
        With ``lazy=True``, an image folder gives an `ImageFiles` and an HDF5 file an
        `HDF5Rows`: `LazyRows`, whose rows are read when indexed.
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
        X = self.X.take(index) if isinstance(self.X, LazyRows) else self.X[index]
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


OPTION_NAMES = (
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
    one_class_ok=False,
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
        Image folders and HDF5 files: do not read the features now; ``X`` is a
        `LazyRows` (an `ImageFiles` or an `HDF5Rows`) that reads rows when they are
        indexed, so that data larger than memory can be split and streamed
        (``logitlab train --stream``). The files are listed, the labels and class
        names read, at once; an image that cannot be decoded, an HDF5 example that
        cannot be read or holds a non-finite value, is found when it is read (a
        `DataError` naming the file, key and row). Other sources are read into memory
        as usual.
    one_class_ok : bool, default=False
        Accept data whose examples are all of one class, as when a model is evaluated
        on some of its classes (training needs two, so this is an error by default).

    Returns
    -------
    LoadedData

    Raises
    ------
    DataError
        For a missing path, a path that is not a regular file or a folder (a named
        pipe or a device is refused before it is opened), an unsupported file type,
        a file that cannot be read or parsed, missing keys or columns, non-numeric or
        non-finite features, bad labels, a data set with a single class, data too
        large for the memory available (checked from the declared shape before
        reading; stream it with ``lazy=True``), or an option that does not apply to
        the source. The message names the file, key, column, row or value at fault.

    Notes
    -----
    Single-label classes are numbered in this order: HDF5 ``list_classes`` and
    scikit-learn's built-ins keep theirs; image folders take the sub-folders sorted by
    name; labels read from CSV, ARFF or arrays are sorted (numerically when they are
    all numbers, which must be integers, as strings when they are all names), so
    ``y`` is always ``0 .. n_classes - 1`` and ``class_names`` gives the names
    (``"cat"``, or ``"3"`` for label 3). A label column that mixes numbers and names
    (``1, 2, cat``) is refused: sorted as strings, ``10`` would come before ``2``.

    ARFF labels, when ``labels`` is not given: a MEKA-style ``-C N`` option in the
    ``@relation`` name (``'yeast: -C -14'``: the last 14 attributes; ``-C 14`` the
    first 14); else the trailing run of nominal ``{0,1}`` attributes (one such
    attribute is a binary class, several are the labels of a multi-label task); else
    the last attribute (the class). When the trailing ``{0,1}`` attributes may hold
    features too (every attribute is ``{0,1}``, as in MULAN's text sets, or nearly
    every one), the file is refused, asking for ``labels``.

    Sparse ARFF data (``{index value, ...}`` rows) is read straight into a
    ``scipy.sparse`` CSR matrix, never densified; so is the test data `split` reads
    with it.

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
    return _load(src, opts, single_class_ok=one_class_ok)


def _load(src, opts, *, single_class_ok=False):
    """`load_source` with its options in a dict."""
    try:
        check_size_color(opts["size"], opts["color"])
    except ValueError as exc:
        raise DataError(str(exc)) from None
    _check_options(opts)
    if isinstance(src, str) and not src.strip():  # Path("") would be the working folder
        raise DataError("a data source is a path or a built-in name, got an empty string")

    key = builtin_key(src) if isinstance(src, str) else None
    if key is not None:
        _reject(opts, ("labels", "x_key", "y_key", "manifest"), f"the built-in data set {key!r}")
        parts = load_builtin(key, opts)
        source = key
    else:
        if not isinstance(src, (str, os.PathLike)):
            raise DataError(f"a data source is a path or a built-in name, got {src!r}")
        path = Path(src)
        source = os.fspath(src)
        try:
            # before anything opens it: a named pipe or a device would block or not end
            check_path(path)
        except MissingDataError as exc:
            hint = ""
            if isinstance(src, str) and not path.suffix and os.sep not in src and "/" not in src:
                hint = f" (and is not a built-in data set: {', '.join(BUILTINS)})"
            raise MissingDataError(f"{exc}{hint}") from None
        suffix = path.suffix.lower()
        kind = _FILE_KINDS.get(".h5" if suffix in HDF5_SUFFIXES else suffix)
        if path.is_dir() and kind is not None:
            raise DataError(f"{source!r} is a directory, not {kind}")
        if path.is_dir():
            _reject(opts, ("labels", "x_key", "y_key"), f"image folder {source!r}")
            parts = load_folder(path, opts)
        elif suffix in HDF5_SUFFIXES:
            _reject(opts, ("labels", "manifest"), f"HDF5 file {source!r}")
            parts = load_hdf5(path, opts)
        elif suffix == ".npz":
            _reject(opts, ("labels", "manifest"), f".npz file {source!r}")
            parts = load_npz(path, opts)
        elif suffix == ".csv":
            _reject(opts, ("x_key", "y_key", "manifest"), f"CSV file {source!r}")
            parts = load_csv(path, opts)
        elif suffix == ".arff":
            _reject(opts, ("x_key", "y_key", "manifest"), f"ARFF file {source!r}")
            parts = load_arff(path, opts)
        else:
            what = "an image" if suffix in IMAGE_EXTENSIONS else "a file of another type"
            what += f" ({suffix or 'no extension'})"
            raise DataError(f"{source!r} is {what}: unsupported data source; use {_SUPPORTED}")
    return _finish(parts, source, opts, single_class_ok=single_class_ok)


def _check_options(opts):
    """Options of the wrong type, refused before they reach a reader."""
    rs = opts.get("random_state")
    if rs is not None and not (
        isinstance(rs, Integral) and not isinstance(rs, bool) and 0 <= rs < 2**32
    ):
        raise DataError(f"random_state must be an integer in [0, 2**32) or None, got {rs!r}")
    for name in ("x_key", "y_key"):
        value = opts.get(name)
        if value is not None and not isinstance(value, str):
            raise DataError(f"{name} must be a string (a dataset's name), got {value!r}")
    manifest = opts.get("manifest")
    if manifest is not None and not isinstance(manifest, (str, os.PathLike)):
        raise DataError(f"manifest must be a path, got {manifest!r}")


def _reject(opts, names, what):
    given = [n for n in names if opts.get(n) is not None]
    if given:
        raise DataError(f"option {', '.join(given)} does not apply to {what}")


def _finish(parts, source, opts, *, single_class_ok):
    """Check and assemble what a reader returned into a LoadedData."""
    X = parts["X"]
    feature_names = parts.get("feature_names")
    if sp.issparse(X):  # kept sparse: CSR, float64, each entry once, in column order
        X = sp.csr_matrix(X, dtype=np.float64)
        X.sum_duplicates()
        _check_finite_sparse(X, feature_names, source)
    elif not isinstance(X, LazyRows):  # lazy rows are checked as they are read
        X = np.ascontiguousarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise DataError(f"{source}: features must be 2-D after unrolling, got shape {X.shape}")
        _check_finite(X, feature_names, source)
    y = np.asarray(parts["y"])
    class_names = [str(c) for c in parts["class_names"]]
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

    options = {k: opts.get(k) for k in OPTION_NAMES}
    if parts.get("label_columns") is not None:
        # by name from now on: a test table may order its columns another way
        options["labels"] = list(parts["label_columns"])
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


def _check_finite_sparse(X, feature_names, source):
    """`_check_finite` on a CSR matrix's stored values (the others are 0)."""
    bad = ~np.isfinite(X.data)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        row = int(np.searchsorted(X.indptr, k, side="right")) - 1
        col = int(X.indices[k])
        name = feature_names[col] if feature_names is not None else f"feature {col}"
        raise DataError(
            f"{source}: column {name!r} holds {X.data[k]} in row {row + 1}; "
            f"features must be finite numbers ({int(bad.sum())} such values in all)"
        )


def match_columns(data, like):
    """``data`` with its table columns in ``like``'s order, matched by name.

    Tables name their columns; two tables with the same columns in another order hold
    the same features, and a column missing from one, or only in one, is an error
    naming it. Sources without column names (images, arrays) are returned as they are.

    Parameters
    ----------
    data, like : LoadedData

    Returns
    -------
    LoadedData

    Raises
    ------
    DataError
        Naming the columns one of them lacks.

    Examples
    --------
    >>> import numpy as np
    >>> from logitlab.data import load_source
    >>> from logitlab.data.sources import match_columns
    >>> train = load_source("iris")
    >>> test = train.subset([0, 1])
    >>> test.X, test.feature_names = test.X[:, ::-1], test.feature_names[::-1]
    >>> bool(np.array_equal(match_columns(test, train).X, train.X[:2]))
    True
    """
    have, want = data.feature_names, like.feature_names
    if have is None or want is None or list(have) == list(want):
        return data
    have_set, want_set = set(have), set(want)
    missing = [n for n in want if n not in have_set]
    extra = [n for n in have if n not in want_set]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"lacks the column(s) {', '.join(map(repr, missing))}")
        if extra:
            parts.append(f"has column(s) {', '.join(map(repr, extra))}")
        raise DataError(
            f"{data.source!r} {' and '.join(parts)} that {like.source!r} does not "
            f"(its columns: {listing(list(want))})"
        )
    if len(set(have)) != len(have):
        raise DataError(f"{data.source!r}: a column name appears twice")
    position = {n: i for i, n in enumerate(have)}
    order = [position[n] for n in want]
    X = data.X[:, order] if sp.issparse(data.X) else np.asarray(data.X)[:, order]
    return replace(data, X=X, feature_names=list(want))


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
    data = match_columns(data, like)
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
        Without ``test``: the fraction (or number) of examples held out, stratified
        (`~logitlab.data.stratify.stratified_split`): by class for single-label tasks
        (scikit-learn's ``train_test_split``; unstratified, with a warning, where a
        class has a single example), by iterative stratification for multi-label
        tasks, so that every label keeps its share in both sets.
    random_state : int or numpy.random.Generator, default=0
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
        impossible (e.g. a part would be empty, or smaller than the number of classes).

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
    unknown = set(options) - set(OPTION_NAMES)
    if unknown:
        raise TypeError(f"split() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    if not isinstance(data, LoadedData):
        data = load_source(data, **options)
        options = {}
    if test is None:
        try:
            train_idx, test_idx = stratified_split(
                data.y, test_size, random_state, class_names=data.class_names
            )
        except ValueError as exc:
            raise DataError(
                f"cannot split {data.source!r} (test_size={test_size!r}): {exc}"
            ) from None
        return data.subset(train_idx), data.subset(test_idx)

    if not isinstance(test, LoadedData):
        opts = {k: data.options.get(k) for k in OPTION_NAMES}
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
    test = match_columns(test, data)
    if test.n_features != data.n_features:
        raise DataError(
            f"test data {test.source!r} has {test.n_features} features but "
            f"training data {data.source!r} has {data.n_features}; they must match"
        )
    return data, align(test, data)
