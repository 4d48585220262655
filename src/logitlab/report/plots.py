"""PNG plots of a run, drawn headless.

Figures are :class:`matplotlib.figure.Figure` objects rendered by the Agg canvas: no
pyplot, so nothing here touches the global backend or the figure registry of an
interactive session. Every file is written to a temporary name in its folder and
renamed into place, so a reader never sees half a PNG.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from .._atomic import atomic_path
from .metrics import TASKS, as_1d, as_indicator, label_names, resolve_labels

__all__ = ["write_plots", "FIGSIZE", "DPI", "PLOT_FILES"]

FIGSIZE = (6.0, 4.5)
"""Figure size in inches; at :data:`DPI` every PNG is 600 × 450 pixels."""
DPI = 100

PLOT_FILES = {
    "learning_curve": "learning_curve.png",
    "lr_finder": "lr_finder.png",
    "confusion_matrix": "confusion_matrix.png",
    "per_label": "per_label.png",
    "decision_boundary": "decision_boundary.png",
    "misclassified": "misclassified.png",
}
"""Plot name → file name, in the order the plots are written."""

_GRID_POINTS = 150  # decision-boundary grid resolution along each axis


def write_plots(
    run_dir,
    *,
    task,
    history=None,
    validation_history=None,
    validation_scores=None,
    validation_scoring="accuracy",
    y_true=None,
    y_pred=None,
    proba=None,
    class_names=None,
    X2d=None,
    y2d=None,
    predict_fn=None,
    images=None,
    image_shape=None,
    max_images=36,
    lr_finder=None,
):
    """Write the run's plots as PNG files into ``run_dir``.

    Parameters
    ----------
    run_dir : str or path-like
        Output folder (created if needed).
    task : {"binary", "multiclass", "multilabel"}
    history, validation_history : sequence of float, optional
        Cost J per iteration (or epoch) on the training and validation data:
        ``learning_curve.png``, both curves on one axis with a legend. NaN values
        (iterations not measured) are left out.
    validation_scores : sequence of float, optional
        The validation set's score per iteration, drawn on a second axis.
    validation_scoring : {"accuracy", "hamming"}, default="accuracy"
        What ``validation_scores`` hold: accuracy, or Hamming loss.
    y_true, y_pred : array-like, optional
        Labels (or indicator matrices for multi-label): ``confusion_matrix.png``
        (binary, multi-class) or ``per_label.png`` (multi-label).
    proba : array-like, optional
        Accepted for symmetry with :func:`~logitlab.report.compute_metrics`; not drawn.
    class_names : sequence, optional
        Classes in the estimator's order, or label names (see
        :mod:`logitlab.report.metrics`).
    X2d, y2d, predict_fn : optional
        Two features (n, 2), their targets, and a callable mapping a (k, 2) array to
        labels or class indices: ``decision_boundary.png``.
    images, image_shape : optional
        Flattened images (n, n_x), row-major (H, W, C) or (H, W), aligned with
        ``y_true``/``y_pred``: ``misclassified.png``, a grid of up to ``max_images``
        misclassified examples (not written when there are none). An
        `~logitlab.data.ImageFiles` is read only for the images shown.
    lr_finder : mapping, optional
        A learning-rate range test (``LRFinderResult.to_dict()``: ``rates``,
        ``costs``, ``learning_rate``): ``lr_finder.png``, the smoothed cost against
        the rate on a log axis, the rate found marked.

    Returns
    -------
    dict
        Plot name → file name relative to ``run_dir``, for the plots written.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    del proba  # the plots show decisions; probabilities are in the metrics
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    written = {}

    def save(name, fig):
        if fig is not None:
            save_png(fig, run_dir / PLOT_FILES[name])
            written[name] = PLOT_FILES[name]

    if history is not None and len(history):
        save(
            "learning_curve",
            _learning_curve(history, validation_history, validation_scores, validation_scoring),
        )
    if lr_finder is not None and len(lr_finder["rates"]):
        save(
            "lr_finder",
            _lr_finder(lr_finder["rates"], lr_finder["costs"], lr_finder["learning_rate"]),
        )
    have_targets = y_true is not None and y_pred is not None
    if have_targets and task != "multilabel":
        save("confusion_matrix", _confusion_matrix(y_true, y_pred, class_names))
    if have_targets and task == "multilabel":
        save("per_label", _per_label(y_true, y_pred, class_names))
    if X2d is not None and predict_fn is not None:
        save("decision_boundary", _decision_boundary(task, X2d, y2d, predict_fn, class_names))
    if images is not None and image_shape is not None and have_targets:
        save(
            "misclassified",
            _misclassified(task, images, image_shape, y_true, y_pred, class_names, max_images),
        )
    return written


# ------------------------------------------------------------------------- figures
def new_figure(layout="constrained"):
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def save_png(fig, path):
    """Render ``fig`` to ``path`` atomically (temporary file + os.replace)."""
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=DPI)
    finally:
        fig.clear()  # free the artists; Figure objects are not in pyplot's registry


_SCORE_NAMES = {"accuracy": "validation accuracy", "hamming": "validation Hamming loss"}


def _plot_curve(ax, values, **kw):
    """Draw the finite values of one curve at their iterations; return them."""
    values = np.asarray(values, dtype=float).ravel()
    x = np.arange(len(values))
    ok = np.isfinite(values)
    (line,) = ax.plot(x[ok], values[ok], marker="o" if ok.sum() < 20 else None, markersize=3, **kw)
    return line, values[ok]


def _learning_curve(history, validation_history, validation_scores=None, scoring="accuracy"):
    """Training and validation cost on one axis (log scale when they span more than
    two decades), the validation score, when given, on a second axis at the right."""
    fig = new_figure()
    ax = fig.add_subplot()
    curves = [("training cost", history, "C0")]
    if validation_history is not None and len(validation_history):
        curves.append(("validation cost", validation_history, "C1"))
    lines, finite_positive = [], []
    for label, values, color in curves:
        line, finite = _plot_curve(ax, values, color=color, label=label)
        lines.append(line)
        finite_positive.append(finite[finite > 0])
    finite_positive = np.concatenate(finite_positive)
    if finite_positive.size and finite_positive.max() > 100 * finite_positive.min():
        ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J")
    ax.set_title("Learning curve")
    ax.grid(True, alpha=0.3)
    scores = None if validation_scores is None else np.asarray(validation_scores, dtype=float)
    if scores is not None and np.isfinite(scores).any():
        name = _SCORE_NAMES.get(scoring, f"validation {scoring}")
        right = ax.twinx()
        line, _ = _plot_curve(right, scores, color="C2", linestyle="--", label=name)
        lines.append(line)
        right.set_ylabel(name)
    ax.legend(lines, [line.get_label() for line in lines], loc="best")
    return fig


def _lr_finder(rates, costs, chosen):
    """The range test's smoothed cost against the rate (log axis), the rate found
    marked by a vertical line and a point on the curve."""
    fig = new_figure()
    ax = fig.add_subplot()
    rates, costs = np.asarray(rates, dtype=float), np.asarray(costs, dtype=float)
    ax.plot(rates, costs, color="C0", label="smoothed training cost")
    ax.set_xscale("log")
    at = int(np.argmin(np.abs(np.log(rates) - math.log(chosen))))
    ax.axvline(chosen, color="C3", linestyle="--", linewidth=1)
    ax.plot([rates[at]], [costs[at]], "o", color="C3", label=f"rate found: {chosen:.3g}")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("cost J (smoothed)")
    ax.set_title("Learning-rate range test")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")
    return fig


def _confusion_matrix(y_true, y_pred, class_names):
    y_true, y_pred = as_1d(y_true, "y_true"), as_1d(y_pred, "y_pred")
    labels, names = resolve_labels(y_true, y_pred, class_names)
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    n = len(names)
    fig = new_figure()
    ax = fig.add_subplot()
    im = ax.imshow(cm, cmap="Blues", vmin=0, vmax=max(int(cm.max()), 1), interpolation="nearest")
    fig.colorbar(im, ax=ax, shrink=0.8)
    ticks = np.arange(n)
    fontsize = 9 if n <= 10 else 7 if n <= 20 else 5
    ax.set_xticks(
        ticks,
        [short_label(s) for s in names],
        fontsize=fontsize,
        rotation=45 if n > 4 or max(map(len, names)) > 6 else 0,
        ha="right" if n > 4 or max(map(len, names)) > 6 else "center",
    )
    ax.set_yticks(ticks, [short_label(s) for s in names], fontsize=fontsize)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title("Confusion matrix")
    if n <= 20:
        threshold = cm.max() / 2
        for i in range(n):
            for j in range(n):
                ax.text(
                    j,
                    i,
                    str(cm[i, j]),
                    ha="center",
                    va="center",
                    fontsize=fontsize,
                    color="white" if cm[i, j] > threshold else "black",
                )
    return fig


def _per_label(y_true, y_pred, class_names):
    Y_true, Y_pred = as_indicator(y_true, "y_true"), as_indicator(y_pred, "y_pred")
    names = label_names(Y_true.shape[1], class_names)
    precision, recall, _, _ = precision_recall_fscore_support(
        Y_true, Y_pred, average=None, zero_division=0
    )
    x = np.arange(len(names))
    width = 0.4
    fig = new_figure()
    ax = fig.add_subplot()
    ax.bar(x - width / 2, precision, width, label="precision", color="C0")
    ax.bar(x + width / 2, recall, width, label="recall", color="C1")
    n = len(names)
    ax.set_xticks(
        x,
        [short_label(s) for s in names],
        fontsize=9 if n <= 12 else 6,
        rotation=45 if n > 6 else 0,
        ha="right" if n > 6 else "center",
    )
    ax.set_ylim(0, 1.1)
    ax.set_xlabel("label")
    ax.set_ylabel("score")
    ax.set_title("Per-label precision and recall")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="lower right")
    return fig


def _decision_boundary(task, X2d, y2d, predict_fn, class_names):
    X2d = np.asarray(X2d, dtype=float)
    if X2d.ndim != 2 or X2d.shape[1] != 2:
        raise ValueError(f"X2d must have shape (n_samples, 2), got {X2d.shape}")
    lo, hi, xx, yy = plane_grid(X2d)
    grid_pred = np.asarray(predict_fn(np.column_stack([xx.ravel(), yy.ravel()])))
    multilabel = task == "multilabel"
    if multilabel:
        n_labels = grid_pred.shape[1] if grid_pred.ndim == 2 else 1
        lab_names = label_names(n_labels, class_names)
        grid_pred = _label_sets(grid_pred, lab_names)
        if y2d is not None:
            y2d = _label_sets(y2d, lab_names)
        class_names = None  # classes are the label combinations seen
    grid_pred = as_1d(grid_pred, "predict_fn output")
    if grid_pred.shape[0] != xx.size:
        raise ValueError(
            f"predict_fn returned {grid_pred.shape[0]} predictions for {xx.size} points"
        )
    if y2d is not None:
        y2d = as_1d(y2d, "y2d")
        if y2d.shape[0] != X2d.shape[0]:
            raise ValueError(f"y2d has {y2d.shape[0]} labels for {X2d.shape[0]} points")
    if class_names is not None:
        # predictions and targets may each be labels or indices into class_names
        names = resolve_labels(grid_pred, None, class_names)[1]
        Z = _class_indices(grid_pred, class_names).reshape(xx.shape)
        y_index = None if y2d is None else _class_indices(y2d, class_names)
    else:
        labels, names = resolve_labels(grid_pred, y2d)
        index = _indexer(labels)
        Z = index(grid_pred).reshape(xx.shape)
        y_index = None if y2d is None else index(y2d)

    n = len(names)
    cmap, norm = class_colors(n)
    fig = new_figure()
    ax = fig.add_subplot()
    ax.contourf(xx, yy, Z, levels=np.arange(n + 1) - 0.5, cmap=cmap, norm=norm, alpha=0.35)
    if y2d is not None:
        ax.scatter(
            X2d[:, 0],
            X2d[:, 1],
            c=y_index,
            cmap=cmap,
            norm=norm,
            s=14,
            edgecolors="black",
            linewidths=0.4,
        )
    else:
        ax.scatter(X2d[:, 0], X2d[:, 1], c="black", s=8)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("feature 1")
    ax.set_ylabel("feature 2")
    ax.set_title("Decision boundary")
    if n <= 12:
        ax.legend(
            handles=[Patch(color=cmap(k), label=short_label(names[k])) for k in range(n)],
            loc="best",
            fontsize=8,
            framealpha=0.8,
        )
    return fig


def _misclassified(task, images, image_shape, y_true, y_pred, class_names, max_images):
    if not (hasattr(images, "shape") and hasattr(images, "ndim")):
        images = np.asarray(images)  # else an array, or ImageFiles read row by row
    shape = tuple(int(s) for s in image_shape)
    if len(shape) not in (2, 3) or images.ndim != 2 or images.shape[1] != math.prod(shape):
        raise ValueError(
            f"images must have shape (n_samples, {math.prod(shape)}) for "
            f"image_shape {shape}, got {images.shape}"
        )
    if task == "multilabel":
        Y_true, Y_pred = as_indicator(y_true, "y_true"), as_indicator(y_pred, "y_pred")
        names = label_names(Y_true.shape[1], class_names)
        wrong = np.flatnonzero((Y_true != Y_pred).any(axis=1))
        true_text = _label_sets(Y_true, names, empty="none")
        pred_text = _label_sets(Y_pred, names, empty="none")
    else:
        y_true, y_pred = as_1d(y_true, "y_true"), as_1d(y_pred, "y_pred")
        labels, names = resolve_labels(y_true, y_pred, class_names)
        index = _indexer(labels)
        wrong = np.flatnonzero(y_true != y_pred)
        true_text = np.asarray(names, dtype=object)[index(y_true)]
        pred_text = np.asarray(names, dtype=object)[index(y_pred)]
    if images.shape[0] != len(true_text):
        raise ValueError(f"{images.shape[0]} images for {len(true_text)} labels")
    n_wrong = wrong.size
    wrong = wrong[: max(int(max_images), 0)]
    if wrong.size == 0:
        return None

    k = wrong.size
    ncols = min(k, math.ceil(math.sqrt(k * FIGSIZE[0] / FIGSIZE[1])))
    nrows = math.ceil(k / ncols)
    fig = new_figure(layout=None)  # a fixed grid: constrained layout is slow on 36 axes
    fig.subplots_adjust(
        left=0.02,
        right=0.98,
        bottom=0.02,
        top=0.88 if nrows > 1 else 0.8,
        wspace=0.15,
        hspace=0.45 if nrows < 5 else 0.6,
    )
    fig.suptitle(f"Misclassified examples, true → predicted ({k} of {n_wrong} shown)", fontsize=10)
    fontsize = 8 if k <= 9 else 6 if k <= 25 else 5
    for pos, i in enumerate(wrong):
        ax = fig.add_subplot(nrows, ncols, pos + 1)
        image = _displayable(images[i].reshape(shape))
        ax.imshow(image, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        true, pred = short_label(true_text[i], 16), short_label(pred_text[i], 16)
        title = f"{true} → {pred}" if len(true) + len(pred) <= 14 else f"{true}\n→ {pred}"
        ax.set_title(title, fontsize=fontsize, color="firebrick", linespacing=1.0)
        ax.set_axis_off()
    return fig


# ------------------------------------------------------------------------- helpers
def _indexer(labels):
    """A function mapping label values to their positions in ``labels``."""
    lookup = {_key(v): k for k, v in enumerate(labels)}
    return lambda values: np.array([lookup[_key(v)] for v in np.asarray(values)], dtype=np.intp)


def _class_indices(values, class_names):
    """Positions in ``class_names`` of labels, or of indices into it."""
    labels, _ = resolve_labels(values, None, class_names)
    return _indexer(labels)(values)


def _key(v):
    v = v.item() if isinstance(v, np.generic) else v
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


def _label_sets(Y, names, empty="none"):
    """Each row of an indicator matrix as the names of its labels, joined by '+'."""
    Y = np.asarray(Y)
    if Y.ndim == 1:
        Y = Y[:, None]
    return np.array(
        ["+".join(n for n, on in zip(names, row) if on) or empty for row in Y], dtype=object
    )


def plane_grid(points):
    """The box around 2-D ``points`` (10% margin each side) and a _GRID_POINTS² mesh
    over it: (lo, hi, xx, yy), for drawing decision regions."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = hi - lo
    margin = np.where(span > 0, 0.1 * span, 0.5)
    lo, hi = lo - margin, hi + margin
    xx, yy = np.meshgrid(
        np.linspace(lo[0], hi[0], _GRID_POINTS), np.linspace(lo[1], hi[1], _GRID_POINTS)
    )
    return lo, hi, xx, yy


def class_colors(n):
    """One colour per class index 0..n-1: the colormap and the norm that maps index k
    to colour k."""
    cmap = _class_cmap(n)
    return cmap, BoundaryNorm(np.arange(n + 1) - 0.5, cmap.N)


def _class_cmap(n):
    if n <= 10:
        colors = colormaps["tab10"].colors[:n]
    elif n <= 20:
        colors = colormaps["tab20"].colors[:n]
    else:
        colors = colormaps["viridis"](np.linspace(0, 1, n))
    return ListedColormap(colors)


def _displayable(image):
    """An image as floats in [0, 1]: uint8 / 255, floats in [0, 1] as they are, floats
    in [0, 255] / 255, anything else (standardised pixels) min-max scaled."""
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.dtype == np.uint8:
        return image / 255.0
    image = np.nan_to_num(image.astype(float))
    lo, hi = image.min(), image.max()
    if lo >= 0 and hi <= 1:
        return image
    if lo >= 0 and hi <= 255:
        return image / 255.0
    return (image - lo) / (hi - lo) if hi > lo else np.zeros_like(image)


def short_label(text, limit=18):
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
