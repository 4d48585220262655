"""The built-in data sets: scikit-learn's bundled tables, generated points and shapes."""

from __future__ import annotations

import re

from .images import check_size_color
from .synthetic import SHAPE_TASKS, make_shapes

__all__ = ["BUILTINS", "builtin_key", "builtin_names", "load_builtin"]

BUILTINS = {
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


#: pictures in each generated ``shapes`` data set
N_SHAPES = 600


def builtin_names() -> dict[str, str]:
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
    return dict(BUILTINS)


def builtin_key(src: object) -> str | None:
    """The canonical built-in name for ``src``, or None if it names none.

    Examples
    --------
    >>> from logitlab.data.builtins import builtin_key
    >>> builtin_key("Cancer"), builtin_key("shapes:binary"), builtin_key("data.csv")
    ('breast_cancer', 'shapes-binary', None)
    """
    if not isinstance(src, str):
        return None
    name = src.strip().lower()
    name = _ALIASES.get(name, name)
    if name in BUILTINS and not name.startswith("shapes"):
        return name
    m = re.fullmatch(r"shapes(?:[-:_](\w+))?", name)
    if m and (m.group(1) is None or m.group(1) in SHAPE_TASKS):
        return f"shapes-{m.group(1) or 'multiclass'}"
    return None


def load_builtin(key: str, opts: dict) -> dict:
    """Make or load the built-in ``key`` (from `builtin_key`) as reader parts.

    Parameters
    ----------
    key : str
        A canonical built-in name.
    opts : dict
        `~logitlab.data.load_source`'s options (``random_state``, ``size``, ``color``).

    Returns
    -------
    dict
        ``X``, ``y``, ``class_names`` and, where they apply, ``feature_names`` and
        ``image_shape``: what `~logitlab.data.load_source` checks and assembles.

    Examples
    --------
    >>> from logitlab.data.builtins import load_builtin
    >>> parts = load_builtin("iris", {"random_state": 0})
    >>> parts["X"].shape, parts["class_names"]
    ((150, 4), ['setosa', 'versicolor', 'virginica'])
    """
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
    size, _, channels = check_size_color(opts["size"], opts["color"])
    X, y, names = make_shapes(N_SHAPES, task=task, size=size, color=opts["color"], random_state=rs)
    return dict(X=X, y=y, class_names=names, image_shape=(size, size, channels))
