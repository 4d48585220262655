"""Teaching figures: the notes' pictures drawn from logitlab's own math and models.

Four PNG figures, each one file written atomically (like :mod:`.plots`: an Agg
canvas, no pyplot, a temporary name renamed into place):

* :func:`plot_activations`: sigmoid, tanh and ReLU with their slopes, σ saturating
  near z = ±4.6, and softmax against the "hard max" for one vector z;
* :func:`plot_loss_landscape`: the cost of logistic regression along a line through
  its parameters, with squared error (non-convex) and cross-entropy (convex);
* :func:`plot_boundaries`: the linear boundaries of logistic / softmax regression
  and one-vs-all against the curved ones of a small network, on 2-D data;
* :func:`plot_learning_rates`: learning curves of one model at several learning
  rates α.

Every function returns ``(path, info)``: the PNG's path and a dict of the numbers it
drew, for tests and for printing. Every value is computed by
:mod:`logitlab.functional` or by the estimators; nothing here re-derives a formula.

Examples
--------
>>> from pathlib import Path
>>> from tempfile import TemporaryDirectory
>>> from logitlab.report.teaching import plot_activations
>>> with TemporaryDirectory() as tmp:
...     path, info = plot_activations(Path(tmp) / "activations.png")
...     print(path.name, round(info["sigmoid"][4.6], 3), round(info["sigmoid"][-4.6], 3))
activations.png 0.99 0.01
>>> [round(a, 3) for a in info["softmax"]], info["hardmax"]
([0.842, 0.042, 0.002, 0.114], [1.0, 0.0, 0.0, 0.0])
"""

from __future__ import annotations

import math
from numbers import Real
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import BoundaryNorm
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from sklearn.metrics import accuracy_score, hamming_loss
from sklearn.utils import check_array, check_random_state
from sklearn.utils.validation import column_or_1d

from .. import functional as F
from ..estimators import (
    LogisticRegression,
    MultiLabelClassifier,
    NeuralNetClassifier,
    OneVsAllClassifier,
    SoftmaxRegression,
)
from .plots import DPI, FIGSIZE, class_colors, new_figure, plane_grid, save_png, short_label

__all__ = [
    "plot_activations",
    "plot_loss_landscape",
    "plot_boundaries",
    "plot_learning_rates",
    "FIGSIZES",
    "DPI",
]

FIGSIZES = {
    "activations": (2 * FIGSIZE[0], 2 * FIGSIZE[1]),
    "loss_landscape": (2 * FIGSIZE[0], 2 * FIGSIZE[1]),
    "boundaries": (2 * FIGSIZE[0], FIGSIZE[1]),
    "learning_rates": FIGSIZE,
}
"""Figure name → size in inches. At :data:`DPI` (100) the PNGs are 1200 × 900
(activations, loss landscape: 2 × 2 panels, each the size of a :mod:`.plots` figure),
1200 × 450 (boundaries: three panels in a row) and 600 × 450 (learning rates)."""

SATURATION = 4.6
"""|z| beyond which σ is saturated: σ(4.6) ≈ 0.99, σ(−4.6) ≈ 0.01, slope a(1 − a) ≈ 0.01."""

_NET_ITER = 1000  # Adam iterations for the boundaries' network: ample for 2-D toy data


# ------------------------------------------------------------------------ activations
def plot_activations(path, z=(5, 2, -1, 3)):
    """Sigmoid, tanh and ReLU with their derivatives, and softmax against hard max.

    Four panels: σ(z) with σ'(z) = a(1 − a) dashed and the saturation at z = ±4.6
    marked (σ(4.6) ≈ 0.99, σ(−4.6) ≈ 0.01, where the slope has fallen to ≈ 0.01, so
    gradient descent barely moves); tanh(z) with 1 − a²; ReLU with its step
    derivative; and a bar chart of softmax(z) beside hardmax(z) for the vector ``z``.

    Parameters
    ----------
    path : str or path-like
        The PNG to write (its folder is created if needed).
    z : sequence of float, default=(5, 2, -1, 3)
        The logits of one example's output layer, ``z[L]`` of shape (C, 1) in the
        notes; the notes' example gives softmax ≈ (0.842, 0.042, 0.002, 0.114).

    Returns
    -------
    path : pathlib.Path
        The PNG written (1200 × 900 pixels, :data:`FIGSIZES` ``["activations"]``).
    info : dict
        ``"z"``, ``"softmax"``, ``"hardmax"`` (lists of C floats), ``"sigmoid"`` and
        ``"sigmoid_slope"`` (dicts {4.6: value, -4.6: value}).

    Raises
    ------
    ValueError
        If ``z`` is empty, not 1-D, or not finite.
    """
    z = np.asarray(z, dtype=float)
    if z.ndim != 1 or z.size == 0 or not np.all(np.isfinite(z)):
        raise ValueError(
            f"z must be a non-empty 1-D sequence of finite numbers (the logits "
            f"of one example), got {z.tolist()!r}"
        )
    grid = np.linspace(-6.0, 6.0, 481)
    ones = np.ones_like(grid)  # upstream gradient 1: a backward then gives g'(z) itself
    a_sig = F.sigmoid(grid)
    a_tanh = F.tanh(grid)
    curves = [
        (
            "sigmoid",
            r"$\sigma(z)$",
            a_sig,
            r"$\sigma'(z) = a(1-a)$",
            F.sigmoid_backward(ones, a_sig),
            (-0.05, 1.05),
        ),
        (
            "tanh",
            r"$\tanh(z)$",
            a_tanh,
            r"$\tanh'(z) = 1-a^2$",
            F.tanh_backward(ones, a_tanh),
            (-1.1, 1.1),
        ),
        (
            "ReLU",
            r"$\max(0, z)$",
            F.relu(grid),
            r"$\mathrm{ReLU}'(z)$",
            F.relu_backward(ones, grid),
            (-0.3, 6.2),
        ),
    ]
    sat = np.array([SATURATION, -SATURATION])
    sig_sat = F.sigmoid(sat)
    slope_sat = F.sigmoid_backward(np.ones(2), sig_sat)
    Z = z[:, np.newaxis]  # the notes' layout: one example, one column of C units
    soft = F.softmax(Z).ravel()
    hard = F.hardmax(Z).ravel()

    fig = _figure("activations")
    axes = fig.subplots(2, 2)
    for ax, (name, label, a, dlabel, da, ylim) in zip(axes.flat, curves):
        ax.axhline(0, color="0.6", linewidth=0.8)
        ax.axvline(0, color="0.6", linewidth=0.8)
        ax.plot(grid, a, color="C0", linewidth=2, label=label)
        ax.plot(grid, da, color="C1", linestyle="--", linewidth=1.6, label=dlabel)
        ax.set_xlim(grid[0], grid[-1])
        ax.set_ylim(*ylim)
        ax.set_xlabel("z")
        ax.set_title(name)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper left", fontsize=9)
    ax = axes[0, 0]
    # Beyond ±4.6 the slope is below 0.01: the plateaus that stall gradient descent.
    for side in (-1, 1):
        ax.axvspan(side * SATURATION, side * grid[-1], color="0.85", alpha=0.6, zorder=0)
    ax.plot(sat, sig_sat, "o", color="C3", zorder=5)
    ax.annotate(
        rf"$\sigma(4.6) \approx {sig_sat[0]:.3f}$"
        "\n"
        rf"slope $\approx {slope_sat[0]:.4f}$",
        xy=(sat[0], sig_sat[0]),
        xytext=(1.2, 0.62),
        fontsize=9,
        arrowprops=dict(arrowstyle="->", color="C3"),
    )
    ax.annotate(
        rf"$\sigma(-4.6) \approx {sig_sat[1]:.3f}$"
        "\n"
        rf"slope $\approx {slope_sat[1]:.4f}$",
        xy=(sat[1], sig_sat[1]),
        xytext=(-3.9, 0.32),
        fontsize=9,
        arrowprops=dict(arrowstyle="->", color="C3"),
    )
    ax.text(5.3, 0.5, "saturated", rotation=90, ha="center", va="center", fontsize=8, color="0.35")
    ax.text(-5.3, 0.5, "saturated", rotation=90, ha="center", va="center", fontsize=8, color="0.35")

    ax = axes[1, 1]
    x = np.arange(z.size)
    width = 0.4
    bars = ax.bar(x - width / 2, soft, width, color="C0", label="softmax(z)")
    ax.bar(x + width / 2, hard, width, color="C2", label="hardmax(z)")
    for rect, value in zip(bars, soft):
        ax.text(
            rect.get_x() + rect.get_width() / 2,
            value + 0.02,
            f"{value:.3f}",
            ha="center",
            va="bottom",
            fontsize=8 if z.size <= 8 else 6,
        )
    ax.set_xticks(x, [f"{v:g}" for v in z], fontsize=9 if z.size <= 12 else 6)
    ax.set_xlabel("z (one unit per bar)")
    ax.set_ylabel("a")
    ax.set_ylim(0, 1.15)
    ax.set_title("softmax vs hard max")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="upper right", fontsize=9)
    path = _write(fig, path)
    info = {
        "z": z.tolist(),
        "softmax": soft.tolist(),
        "hardmax": hard.tolist(),
        "sigmoid": {SATURATION: float(sig_sat[0]), -SATURATION: float(sig_sat[1])},
        "sigmoid_slope": {SATURATION: float(slope_sat[0]), -SATURATION: float(slope_sat[1])},
    }
    return path, info


# --------------------------------------------------------------------- loss landscape
def plot_loss_landscape(path, X, y, *, random_state=0, alpha=1.0, n_points=121):
    """The cost of logistic regression along a line through its fitted parameters.

    Logistic regression is fitted to find θ* = (w*, b*). The costs are then evaluated
    at θ = t·θ* for t in [−3, 3] (t = 0 is θ = 0, where ŷ = 0.5 for every example;
    t = 1 is θ*) with two losses on ŷ = σ(wᵀx + b):

    * squared error ½(ŷ − y)²: non-convex, with plateaus where σ saturates;
    * cross-entropy −[y ln ŷ + (1 − y) ln(1 − ŷ)]: convex, one valley.

    A second row shows both costs on the plane θ = s·θ* + r·d, with d a random
    direction orthogonal to θ* of the same length (s, r in [−3, 3]).

    Along any line θ = t·θ*, z = t·(wᵀx + b) is linear in t, so the cross-entropy
    (convex in z) is convex in t; the squared error through σ is not. The curves
    show the data cost without the L2 penalty that the fit adds, so their minimum
    lies a little beyond t = 1.

    Parameters
    ----------
    path : str or path-like
        The PNG to write.
    X : array-like of shape (m, n_x)
        m examples of n_x features, one per row (scikit-learn's layout; the notes'
        X is its transpose). Standardise the features first, as for training.
    y : array-like of shape (m,)
        Two classes (0/1, or any two labels; the larger is the positive class).
    random_state : int, RandomState instance or None, default=0
        Seeds the fit and the second direction d.
    alpha : float, default=1.0
        L2 penalty of the fit that finds θ* (:class:`~logitlab.LogisticRegression`).
    n_points : int, default=121
        Points along t (121: steps of 0.05).

    Returns
    -------
    path : pathlib.Path
        The PNG written (1200 × 900 pixels).
    info : dict
        ``"t"`` (n_points,), ``"squared_error"`` and ``"cross_entropy"`` (the costs J
        at each t, shape (n_points,)), ``"theta"`` (θ* = (w*, b*), shape (n_x + 1,)),
        ``"train_accuracy"`` of θ*, and ``"min_second_difference"``: for each cost,
        the smallest J(t−h) − 2J(t) + J(t+h) (negative somewhere ⇔ not convex).

    Raises
    ------
    ValueError
        If y does not hold exactly two classes, or X and y do not match.
    """
    X = check_array(X, dtype=np.float64, ensure_min_samples=2)
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(
            f"plot_loss_landscape needs a binary y of shape (m,), got shape "
            f"{y.shape} (multi-label targets have no single logistic cost)"
        )
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} examples but y has {y.shape[0]} labels")
    classes, y01 = np.unique(y, return_inverse=True)
    if classes.size != 2:
        raise ValueError(
            f"plot_loss_landscape needs a binary y (exactly two classes), got "
            f"{classes.size} classes: {_preview(classes)}"
        )
    if not (isinstance(n_points, Real) and n_points >= 5):
        raise ValueError(f"n_points must be at least 5, got {n_points!r}")
    rng = check_random_state(random_state)
    clf = LogisticRegression(alpha=alpha, random_state=rng.randint(2**31 - 1)).fit(X, y01)
    theta = np.r_[clf.coef_.ravel(), clf.intercept_]
    if not np.any(theta):
        raise ValueError(
            "the fitted parameters are all 0: X carries no signal about y, "
            "so there is no line through θ* to draw"
        )
    X1 = np.column_stack([X, np.ones(X.shape[0])])  # a column of 1s carries b
    z_star = X1 @ theta  # z at θ*; on the line θ = t·θ*, z = t·z_star

    t = np.linspace(-3.0, 3.0, int(n_points))
    se, ce = _costs(np.outer(t, z_star), y01)
    # The plane θ = s·θ* + r·d: z = s·z_star + r·z_d
    d = rng.standard_normal(theta.size)
    d -= (d @ theta) / (theta @ theta) * theta
    d *= np.linalg.norm(theta) / np.linalg.norm(d)
    z_d = X1 @ d
    s = np.linspace(-3.0, 3.0, 41)
    r = np.linspace(-3.0, 3.0, 41)
    SE = np.empty((r.size, s.size))
    CE = np.empty((r.size, s.size))
    for i, ri in enumerate(r):  # one row at a time: memory stays (len(s), m)
        SE[i], CE[i] = _costs(s[:, None] * z_star + ri * z_d, y01)

    fig = _figure("loss_landscape")
    axes = fig.subplots(2, 2)
    lines = [
        (axes[0, 0], se, "C3", "squared error  ½(ŷ − y)²: non-convex"),
        (axes[0, 1], ce, "C0", "cross-entropy: convex"),
    ]
    for ax, cost, color, title in lines:
        ax.plot(t, cost, color=color, linewidth=2)
        ax.axvline(1.0, color="0.3", linestyle=":", linewidth=1)
        ax.axvline(0.0, color="0.6", linewidth=0.8)
        k = int(np.argmin(np.abs(t - 1.0)))
        ax.plot(t[k], cost[k], "o", color="black", zorder=5)
        ax.annotate(
            r"$\theta^*$",
            xy=(t[k], cost[k]),
            xytext=(8, 8),
            textcoords="offset points",
            fontsize=11,
        )
        ax.set_xlabel(r"t   ($\theta = t\cdot\theta^*$)")
        ax.set_ylabel("cost J")
        ax.set_title(title, fontsize=11)
        ax.grid(True, alpha=0.3)
    k = int(np.argmin(np.abs(t + 2.5)))  # far out on the wrong side: σ(z) saturated
    axes[0, 0].annotate(
        "plateau: σ saturates,\nthe gradient vanishes",
        xy=(t[k], se[k]),
        xytext=(-12, -60),
        textcoords="offset points",
        fontsize=8,
        color="0.3",
        ha="left",
        arrowprops=dict(arrowstyle="->", color="0.4"),
    )
    SS, RR = np.meshgrid(s, r)
    slices = [
        (axes[1, 0], SE, "Reds_r", np.linspace(SE.min(), SE.max(), 16), "squared error"),
        # cross-entropy grows linearly with |z|: geometric levels keep the valley visible
        (axes[1, 1], CE, "Blues_r", np.geomspace(CE.min(), CE.max(), 16), "cross-entropy"),
    ]
    for ax, cost, cmap, levels, name in slices:
        cmap = colormaps[cmap]
        # one colour per band, so geometric levels get as many shades as linear ones
        cs = ax.contourf(SS, RR, cost, levels=levels, cmap=cmap, norm=BoundaryNorm(levels, cmap.N))
        ax.contour(SS, RR, cost, levels=levels, colors="black", linewidths=0.3)
        fig.colorbar(cs, ax=ax, shrink=0.9, format="%.2g")
        ax.plot([1.0], [0.0], "*", color="gold", markersize=13, markeredgecolor="black")
        ax.plot([-3, 3], [0, 0], color="0.2", linestyle=":", linewidth=1)
        ax.set_xlabel(r"s  (along $\theta^*$)")
        ax.set_ylabel("r  (random direction ⊥ θ*)")
        ax.set_title(f"{name} on a 2-D slice", fontsize=11)
    fig.suptitle(
        f"Logistic-regression cost around θ* ({X.shape[0]} examples, {X.shape[1]} features)",
        fontsize=12,
    )
    path = _write(fig, path)
    info = {
        "t": t,
        "squared_error": se,
        "cross_entropy": ce,
        "theta": theta,
        "train_accuracy": float(accuracy_score(y01, clf.predict(X))),
        "min_second_difference": {
            "squared_error": float(np.diff(se, 2).min()),
            "cross_entropy": float(np.diff(ce, 2).min()),
        },
    }
    return path, info


def _costs(Z, y01):
    """Mean squared error and cross-entropy for each row of logits Z (k, m)."""
    k, m = Z.shape
    # All k·m logits as one output unit over k·m examples (the notes' (1, m) layout),
    # per-example losses back to (k, m), then the mean over the m examples of each row.
    Zr = Z.reshape(1, -1)
    Y = np.tile(y01, k)[np.newaxis, :]
    se = F.squared_error(F.sigmoid(Zr), Y, reduction="none").reshape(k, m).mean(axis=1)
    # From logits: through probabilities the loss would be clipped at ln(1/eps) and go
    # flat far from θ*, a numerical kink that would break the convexity it shows.
    ce = F.binary_cross_entropy_with_logits(Zr, Y, reduction="none").reshape(k, m)
    return se, ce.mean(axis=1)


# ------------------------------------------------------------------------- boundaries
def plot_boundaries(path, X, y, *, hidden=(25, 12), random_state=0, X_test=None, y_test=None):
    """Decision regions of a linear model, one-vs-all and a small network, side by side.

    Three panels on the same 2-D data: logistic regression (two classes) or softmax
    regression (more), whose boundaries are straight lines; one-vs-all over logistic
    regressions, also linear pieces; and a :class:`~logitlab.NeuralNetClassifier`
    with ReLU hidden layers, whose boundary can bend. Each panel shows the regions,
    the training points (circles) and the test points (crosses), and its accuracy in
    the title.

    Parameters
    ----------
    path : str or path-like
        The PNG to write.
    X : array-like of shape (m, 2)
        m training examples of exactly two features (one per row).
    y : array-like of shape (m,)
        Class labels (two or more classes).
    hidden : tuple of int, default=(25, 12)
        Units of the network's hidden layers.
    random_state : int or None, default=0
        Seeds the models.
    X_test, y_test : array-like of shape (k, 2) and (k,), optional
        Held-out examples: the accuracies are measured on them when given, else on
        the training data.

    Returns
    -------
    path : pathlib.Path
        The PNG written (1200 × 450 pixels).
    info : dict
        ``"on"``: ``"test"`` or ``"train"``; ``"accuracy"``: model key
        (``"logistic_regression"`` or ``"softmax_regression"``, ``"one_vs_all"``,
        ``"neural_network"``) → accuracy.

    Raises
    ------
    ValueError
        If X does not have exactly 2 columns, only one of X_test and y_test is
        given, or the shapes do not match.
    """
    X = _two_columns(X, "X")
    y = column_or_1d(y)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} examples but y has {y.shape[0]} labels")
    if (X_test is None) != (y_test is None):
        raise ValueError("give both X_test and y_test, or neither")
    if X_test is not None:
        X_test = _two_columns(X_test, "X_test")
        y_test = column_or_1d(y_test)
        if y_test.shape[0] != X_test.shape[0]:
            raise ValueError(
                f"X_test has {X_test.shape[0]} examples but y_test has {y_test.shape[0]} labels"
            )
    classes = np.unique(y if y_test is None else np.concatenate([y, y_test]))
    if np.unique(y).size < 2:
        raise ValueError(f"y needs at least 2 classes, got {_preview(np.unique(y))}")
    binary = np.unique(y).size == 2
    linear_key, linear_name = (
        ("logistic_regression", "Logistic regression")
        if binary
        else ("softmax_regression", "Softmax regression")
    )
    linear = (LogisticRegression if binary else SoftmaxRegression)(random_state=random_state)
    models = [
        (linear_key, linear_name, linear),
        (
            "one_vs_all",
            "One-vs-all (logistic)",
            OneVsAllClassifier(LogisticRegression(random_state=random_state)),
        ),
        # tol=0: a fixed number of Adam steps, so the figure does not depend on when a
        # plateau happens to trigger early stopping
        (
            "neural_network",
            f"Network {tuple(hidden)}, ReLU",
            NeuralNetClassifier(
                hidden_layer_sizes=hidden,
                solver="adam",
                learning_rate=0.01,
                max_iter=_NET_ITER,
                tol=0,
                random_state=random_state,
            ),
        ),
    ]
    on = "train" if X_test is None else "test"
    X_eval, y_eval = (X, y) if X_test is None else (X_test, y_test)

    lo, hi, xx, yy = plane_grid(X if X_test is None else np.vstack([X, X_test]))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    n = classes.size
    cmap, norm = class_colors(n)
    levels = np.arange(n + 1) - 0.5

    fig = _figure("boundaries")
    axes = fig.subplots(1, 3, sharex=True, sharey=True)
    accuracy = {}
    for ax, (key, name, model) in zip(axes, models):
        model.fit(X, y)
        accuracy[key] = float(accuracy_score(y_eval, model.predict(X_eval)))
        # classes is sorted (np.unique), so searchsorted maps labels to colour indices
        regions = np.searchsorted(classes, model.predict(grid)).reshape(xx.shape)
        ax.contourf(xx, yy, regions, levels=levels, cmap=cmap, norm=norm, alpha=0.35)
        ax.contour(xx, yy, regions, levels=levels[1:-1], colors="black", linewidths=0.8)
        ax.scatter(
            X[:, 0],
            X[:, 1],
            c=np.searchsorted(classes, y),
            cmap=cmap,
            norm=norm,
            s=12,
            edgecolors="black",
            linewidths=0.3,
        )
        if X_test is not None:
            ax.scatter(
                X_test[:, 0],
                X_test[:, 1],
                c=np.searchsorted(classes, y_test),
                cmap=cmap,
                norm=norm,
                s=22,
                marker="X",
                edgecolors="black",
                linewidths=0.4,
            )
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_xlabel("feature 1")
        ax.set_title(f"{name}\n{on} accuracy {accuracy[key]:.3f}", fontsize=10)
    axes[0].set_ylabel("feature 2")
    handles = [Patch(color=cmap(k), label=short_label(classes[k])) for k in range(n)]
    if X_test is not None:
        handles += [
            Line2D([], [], marker="o", linestyle="", color="0.4", label="train"),
            Line2D([], [], marker="X", linestyle="", color="0.4", label="test"),
        ]
    if n <= 12:
        axes[-1].legend(handles=handles, loc="best", fontsize=8, framealpha=0.8)
    path = _write(fig, path)
    return path, {"on": on, "accuracy": accuracy}


# --------------------------------------------------------------------- learning rates
_MODELS = ("auto", "logistic", "softmax", "multilabel")


def plot_learning_rates(
    path,
    X,
    y,
    X_test,
    y_test,
    learning_rates=(0.01, 0.001, 0.0001),
    *,
    model="auto",
    max_iter=1500,
    random_state=0,
):
    """Learning curves of one model trained by gradient descent at several rates α.

    The same model (logistic regression, softmax regression or one sigmoid per label)
    is trained from the same initial parameters with ``solver="gd"`` for exactly
    ``max_iter`` iterations at each α; its ``history_`` (the cost J before each
    update) is drawn as one curve per α. A too-small α crawls; a larger one, while
    still stable, reaches a lower cost in the same number of iterations.

    Parameters
    ----------
    path : str or path-like
        The PNG to write.
    X, X_test : array-like of shape (m, n_x) and (k, n_x)
        Training and test examples, one per row. Standardise features first: gradient
        descent's usable α depends on their scale.
    y, y_test : array-like of shape (m,) and (k,), or (m, n_labels) and (k, n_labels)
        Class labels, or 0/1 label indicators for multi-label data.
    learning_rates : sequence of float, default=(0.01, 0.001, 0.0001)
        The rates α, each > 0.
    model : {"auto", "logistic", "softmax", "multilabel"}, default="auto"
        "auto" picks multi-label for a 2-D y, logistic regression for two classes and
        softmax regression for more.
    max_iter : int, default=1500
        Gradient-descent iterations at every rate.
    random_state : int or None, default=0
        Seeds the models.

    Returns
    -------
    path : pathlib.Path
        The PNG written (600 × 450 pixels).
    info : dict
        ``"model"`` (the model used), ``"metric"`` (``"accuracy"``, or
        ``"hamming_loss"`` for multi-label) and ``"rates"``: α → {``"final_cost"``
        (the last entry of ``history_``), ``"train"``, ``"test"`` (the metric)}.

    Raises
    ------
    ValueError
        If ``learning_rates`` is empty, repeats a rate or holds a value that is not a
        positive finite number, or ``model`` is unknown.
    """
    rates = [learning_rates] if isinstance(learning_rates, Real) else list(learning_rates)
    if not rates:
        raise ValueError(
            "learning_rates is empty: give at least one learning rate α, e.g. (0.01, 0.001, 0.0001)"
        )
    for rate in rates:
        if (
            isinstance(rate, bool)
            or not isinstance(rate, Real)
            or not math.isfinite(rate)
            or rate <= 0
        ):
            raise ValueError(
                f"every learning rate must be a positive finite number, got "
                f"{rate!r} in learning_rates={rates!r}"
            )
    if len(set(rates)) != len(rates):
        # the results are keyed by α: a repeated rate would silently drop a curve
        raise ValueError(f"learning_rates holds a rate twice: {rates!r}")
    if model not in _MODELS:
        raise ValueError(f"model must be one of {_MODELS}, got {model!r}")
    y_arr = np.asarray(y)
    if model == "auto":
        if y_arr.ndim == 2 and y_arr.shape[1] > 1:
            model = "multilabel"
        else:
            model = "logistic" if np.unique(y_arr).size <= 2 else "softmax"
    cls = {
        "logistic": LogisticRegression,
        "softmax": SoftmaxRegression,
        "multilabel": MultiLabelClassifier,
    }[model]
    multilabel = model == "multilabel"
    metric = hamming_loss if multilabel else accuracy_score
    metric_name = "hamming_loss" if multilabel else "accuracy"

    fig = _figure("learning_rates")
    ax = fig.add_subplot()
    results = {}
    positive = []
    for k, rate in enumerate(rates):
        # tol=0: every rate runs all max_iter iterations, so the costs compare directly
        est = cls(
            solver="gd", learning_rate=rate, max_iter=max_iter, tol=0, random_state=random_state
        ).fit(X, y)
        history = np.asarray(est.history_, dtype=float)
        train = float(metric(y, est.predict(X)))
        test = float(metric(y_test, est.predict(X_test)))
        results[rate] = {"final_cost": float(history[-1]), "train": train, "test": test}
        ok = np.isfinite(history)  # a diverging rate may overflow to inf / nan
        positive.append(history[ok & (history > 0)])
        short = "Hamming" if multilabel else "acc"
        end = f"J = {history[-1]:.3f}" if ok[-1] else "diverged"
        ax.plot(
            np.arange(history.size)[ok],
            history[ok],
            color=f"C{k % 10}",
            linewidth=1.8,
            label=f"α = {rate:g}: {end}, {short} train {train:.3f}, test {test:.3f}",
        )
    positive = np.concatenate(positive)
    if positive.size and positive.max() > 100 * positive.min():
        ax.set_yscale("log")  # as in plots.py: spans over 100× read better on a log axis
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J")
    title = {
        "logistic": "Logistic regression",
        "softmax": "Softmax regression",
        "multilabel": "Multi-label (one sigmoid per label)",
    }[model]
    ax.set_title(
        f"{title}: gradient descent at {len(rates)} learning rate{'s' if len(rates) > 1 else ''}",
        fontsize=10,
    )
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", fontsize=7)
    path = _write(fig, path)
    return path, {"model": model, "metric": metric_name, "rates": results}


# ---------------------------------------------------------------------------- helpers
def _figure(name):
    """A :mod:`.plots` figure (Agg canvas, constrained layout) resized for ``name``."""
    fig = new_figure()
    fig.set_size_inches(*FIGSIZES[name])
    return fig


def _write(fig, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_png(fig, path)
    return path


def _two_columns(X, name):
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"plot_boundaries draws 2-D decision regions: {name} must have "
            f"exactly 2 columns (shape (m, 2)), got shape {X.shape}; pick two "
            f"features or project the data to 2-D first"
        )
    return check_array(X, dtype=np.float64)


def _preview(values, limit=6):
    values = [v.item() if isinstance(v, np.generic) else v for v in values]
    return repr(values[:limit])[:-1] + (", …]" if len(values) > limit else "]")
