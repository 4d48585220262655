"""Generated data sets.

- `make_shapes`: circles, squares and triangles drawn with Pillow, the built-in
  stand-in for the notes' photo tasks ("cat / dog / baby chick / other"): small RGB
  pictures of coloured shapes on a plain background, for binary (is there a circle?),
  multi-class (which shape?) and multi-label (which shapes are present?)
  classification, generated on the fly and identical for the same seed on every
  machine.
- `make_sparse_text`: a bag-of-words multi-label set shaped like MULAN's text sets
  (bibtex: 1836 binary word features, 159 labels), as a CSR matrix, for sparse data
  (``bench/bench_sparse.py`` writes it as a sparse ARFF file with
  `~logitlab.data.arff.write_sparse_arff`).
"""

from __future__ import annotations

import colorsys
import math

import numpy as np
import scipy.sparse as sp
from PIL import Image, ImageDraw

from ..spec import TASKS
from .images import check_size_color

__all__ = ["SHAPES", "SHAPE_TASKS", "make_shapes", "make_sparse_text"]

#: The shapes, in label order.
SHAPES = ("circle", "square", "triangle")

#: The tasks `make_shapes` can generate.
SHAPE_TASKS = TASKS  # the generated pictures come in every task

# Each kind of shape leans towards its own hue (red circles, green squares, blue
# triangles), with a wide spread, so that colour statistics (what a linear model on raw
# pixels can see) carry part of the answer and the outline the rest.
_HUE = {0: 0.0, 1: 1 / 3, 2: 2 / 3}
_HUE_SPREAD = 0.12  # standard deviation of the hue around the kind's own, in turns
# Circumradius per unit of "size" for each kind, chosen so that the three kinds cover
# the same area for the same size (area = π·s² for all three).
_CIRCUMRADIUS = {0: 1.0, 1: math.sqrt(math.pi / 2), 2: math.sqrt(4 * math.pi / (3 * math.sqrt(3)))}
_SUPERSAMPLE = 4  # drawn at 4× the size, then downsampled: anti-aliased edges
_NOISE = 0.03  # standard deviation of the pixel noise, on the [0, 1] scale


def make_shapes(n_samples=600, *, task="multiclass", size=64, color="rgb", random_state=0):
    """Generate pictures of circles, squares and triangles, unrolled into rows.

    Each picture is a plain background of a random, muted colour holding coloured
    shapes at random positions, sizes and rotations, drawn with Pillow's ``ImageDraw``
    (anti-aliased by drawing at 4× the size and downsampling), plus a little Gaussian
    pixel noise. Each kind of shape leans towards its own hue (circles red, squares
    green, triangles blue) with a wide spread, so colour helps but does not decide: a
    linear model on the raw pixels does clearly better than chance, and a model that
    sees the outlines does better still.

    Parameters
    ----------
    n_samples : int, default=600
        Number of pictures.
    task : {"binary", "multiclass", "multilabel"}, default="multiclass"
        - ``"multiclass"``: exactly one shape per picture; the label is which
          (0 circle, 1 square, 2 triangle), in near-equal numbers.
        - ``"binary"``: 1 to 3 shapes per picture; the label is whether there is a
          circle (1) or not (0), half of the pictures each.
        - ``"multilabel"``: 1 to 3 shapes of random kinds per picture; the labels are
          which of circle, square, triangle are present.
        Shapes in one picture never overlap, so every labelled shape is visible.
    size : int, default=64
        Side of the square pictures, in pixels. The geometry and colours do not depend
        on ``size``: the same seed gives the same pictures at another resolution.
    color : {"rgb", "grayscale"}, default="rgb"
        3 channels, or 1 (Pillow's ``convert("L")``).
    random_state : int or None, default=0
        Seed; the same seed gives the same data on every run and machine. None draws
        fresh randomness.

    Returns
    -------
    X : ndarray of shape (n_samples, size * size * channels), float64
        One picture per row, unrolled row-major over (height, width, channel), values
        in [0, 1].
    y : ndarray of shape (n_samples,) or (n_samples, 3), int
        Class indices (binary, multi-class) or 0/1 indicators (multi-label).
    class_names : list of str
        ``["no circle", "circle"]`` (binary) or ``["circle", "square", "triangle"]``.

    Examples
    --------
    >>> from logitlab.data.synthetic import make_shapes
    >>> X, y, names = make_shapes(6, task="multilabel", size=16, random_state=1)
    >>> X.shape, y.shape, names
    ((6, 768), (6, 3), ['circle', 'square', 'triangle'])
    >>> bool((y.sum(axis=1) >= 1).all()), bool(0 <= X.min() and X.max() <= 1)
    (True, True)
    >>> X2, y2, _ = make_shapes(6, task="multilabel", size=16, random_state=1)
    >>> bool((X == X2).all() and (y == y2).all())  # deterministic
    True
    """
    if task not in SHAPE_TASKS:
        raise ValueError(f"task must be one of {', '.join(SHAPE_TASKS)}, got {task!r}")
    if not isinstance(n_samples, (int, np.integer)) or isinstance(n_samples, bool) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    size, mode, channels = check_size_color(size, color)
    n = int(n_samples)
    # two independent streams: geometry and colours, then pixel noise (whose amount
    # depends on size), so that pictures at different sizes agree
    geometry_seed, noise_seed = np.random.SeedSequence(random_state).spawn(2)
    rng = np.random.default_rng(geometry_seed)
    noise_rng = np.random.default_rng(noise_seed)

    kinds_per_image, y, class_names = _draw_labels(rng, n, task)
    X = np.empty((n, size * size * channels), dtype=np.float64)
    for i, kinds in enumerate(kinds_per_image):
        X[i] = _picture(rng, kinds, size, mode).reshape(-1)
    X /= 255.0
    X += noise_rng.normal(0.0, _NOISE, size=X.shape)
    np.clip(X, 0.0, 1.0, out=X)
    return X, y, class_names


def _draw_labels(rng, n, task):
    """The kinds of shape in each picture, and the labels."""
    if task == "multiclass":
        y = rng.permutation(np.arange(n) % 3).astype(np.intp)
        return [[int(k)] for k in y], y, list(SHAPES)
    counts = rng.integers(1, 4, size=n)
    if task == "binary":
        y = rng.permutation(np.arange(n) % 2).astype(np.intp)
        kinds = []
        for has_circle, count in zip(y, counts):
            if has_circle:
                ks = [0] + [int(k) for k in rng.integers(0, 3, size=count - 1)]
            else:
                ks = [int(k) for k in rng.integers(1, 3, size=count)]
            kinds.append([ks[j] for j in rng.permutation(len(ks))])
        return kinds, y, ["no circle", "circle"]
    kinds = [[int(k) for k in rng.integers(0, 3, size=count)] for count in counts]
    y = np.zeros((n, 3), dtype=np.intp)
    for i, ks in enumerate(kinds):
        y[i, ks] = 1
    return kinds, y, list(SHAPES)


def _rgb(h, s, v):
    return tuple(int(round(255 * c)) for c in colorsys.hsv_to_rgb(h % 1.0, s, v))


def _picture(rng, kinds, size, mode):
    """One picture holding one shape of each kind in ``kinds``, as a uint8 array."""
    big = size * _SUPERSAMPLE
    background = _rgb(rng.random(), rng.uniform(0.0, 0.35), rng.uniform(0.15, 0.95))
    img = Image.new("RGB", (big, big), background)
    draw = ImageDraw.Draw(img)
    # the lone shape of a multi-class picture may be larger than those of a crowd
    s_lo, s_hi = (0.10, 0.22) if len(kinds) == 1 else (0.08, 0.15)
    placed = []  # (cx, cy, bounding radius), unit coordinates
    for kind in kinds:
        s = rng.uniform(s_lo, s_hi)
        for _attempt in range(200):
            r = s * _CIRCUMRADIUS[kind]
            cx, cy = rng.uniform(r, 1 - r, size=2)
            if all(math.hypot(cx - px, cy - py) > r + pr + 0.02 for px, py, pr in placed):
                break
            s *= 0.97  # crowded: try a little smaller
        placed.append((cx, cy, r))
        angle = rng.uniform(0, 2 * math.pi)
        fill = _rgb(
            _HUE[kind] + rng.normal(0.0, _HUE_SPREAD), rng.uniform(0.5, 1.0), rng.uniform(0.55, 1.0)
        )
        if kind == 0:
            box = [(cx - r) * big, (cy - r) * big, (cx + r) * big, (cy + r) * big]
            draw.ellipse(box, fill=fill)
        else:
            corners = 4 if kind == 1 else 3
            points = [
                (
                    (cx + r * math.cos(angle + 2 * math.pi * j / corners)) * big,
                    (cy + r * math.sin(angle + 2 * math.pi * j / corners)) * big,
                )
                for j in range(corners)
            ]
            draw.polygon(points, fill=fill)
    img = img.resize((size, size), Image.Resampling.BOX)
    if mode != "RGB":
        img = img.convert(mode)
    return np.asarray(img)


def make_sparse_text(
    n_samples=7395,
    n_features=1836,
    n_labels=159,
    *,
    mean_labels=2.4,
    length=50,
    topic_share=0.3,
    random_state=0,
):
    """Generate a sparse bag-of-words multi-label data set, shaped like MULAN's bibtex.

    A topic model with the traits of real text that decide how hard it is: word and
    label frequencies follow Zipf's law (a few common, most rare), each label has a
    few dozen keywords, and labels come in related groups. Each document draws its
    labels (the first by popularity; each further one, half the time from the first
    one's group of 5), then about ``length`` words, each from one of its labels'
    keywords with probability ``topic_share``, else from the background vocabulary.
    Word presence is kept: a feature is 1 where the word occurs, as in bibtex's 1836
    ``{0,1}`` word attributes. The defaults give bibtex's shape: 7395 documents (its
    4880 training and 2515 test rows), 1836 features, 159 labels, about 2.4 labels and
    45 distinct words per document.

    Parameters
    ----------
    n_samples, n_features, n_labels : int
        Documents, words and labels.
    mean_labels : float, default=2.4
        Each document has 1 + Poisson(``mean_labels`` − 1) labels (at most n_labels).
    length : int, default=50
        The mean of the Poisson draw of each document's number of words.
    topic_share : float, default=0.3
        The probability that a word comes from the document's labels' keywords.
    random_state : int, default=0
        Seed; the same seed gives the same data.

    Returns
    -------
    X : scipy.sparse CSR matrix of shape (n_samples, n_features), float64
        1 where the document holds the word; only the ones are stored.
    Y : ndarray of shape (n_samples, n_labels), intp
        0/1 label indicators.

    Examples
    --------
    >>> from logitlab.data.synthetic import make_sparse_text
    >>> X, Y = make_sparse_text(100, 50, 6, length=10, random_state=0)
    >>> X.format, X.shape, Y.shape, sorted(set(X.data.tolist()))
    ('csr', (100, 50), (100, 6), [1.0])
    >>> bool((Y.sum(axis=1) >= 1).all())
    True
    """
    rng = np.random.default_rng(random_state)
    background = 1.0 / (rng.permutation(n_features) + 2.7)  # Zipf over the vocabulary
    background /= background.sum()
    n_keywords = max(1, min(40, n_features // 4))
    keywords = np.array(
        [rng.choice(n_features, n_keywords, replace=False, p=background) for _ in range(n_labels)]
    )
    popularity = 1.0 / (rng.permutation(n_labels) + 5.0)
    popularity /= popularity.sum()
    Y = np.zeros((n_samples, n_labels), dtype=np.intp)
    rows, cols = [], []
    for i in range(n_samples):
        k = min(n_labels, 1 + int(rng.poisson(max(mean_labels - 1, 0.0))))
        first = int(rng.choice(n_labels, p=popularity))
        labels = {first}
        group = np.arange(first - first % 5, min(first - first % 5 + 5, n_labels))
        while len(labels) < k:
            pool = group if rng.random() < 0.5 and len(set(group) - labels) else None
            labels.add(
                int(rng.choice(pool) if pool is not None else rng.choice(n_labels, p=popularity))
            )
        Y[i, list(labels)] = 1
        n_words = int(rng.poisson(length))
        from_topic = rng.random(n_words) < topic_share
        topic = keywords[rng.choice(sorted(labels), int(from_topic.sum()))]
        words = np.concatenate(
            [
                topic[np.arange(len(topic)), rng.integers(0, n_keywords, len(topic))],
                rng.choice(n_features, int((~from_topic).sum()), p=background),
            ]
        )
        words = np.unique(words)
        rows.append(np.full(words.size, i))
        cols.append(words)
    r, c = np.concatenate(rows), np.concatenate(cols)
    X = sp.csr_matrix((np.ones(r.size), (r, c)), shape=(n_samples, n_features))
    return X, Y
