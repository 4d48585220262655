"""The learning tools' commands: ``logitlab explain``, ``plot`` and ``bench``.

Click declarations and rich output only, like :mod:`logitlab.cli` (which imports this
module to register them): the numbers come from :mod:`logitlab.report.explain`,
:mod:`logitlab.report.teaching` and :mod:`logitlab.demo`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .cli import LOADER_NAMES, cli, console, data_options, parse_hidden


# -------------------------------------------------------------------------- explain
def _floats(text, name):
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"{name}: expected numbers separated by commas, got {text!r}") from None
    if not values:
        raise ValueError(f"{name}: expected at least one number, got {text!r}")
    return values


def _show_explanation(e, html_path):
    from rich.table import Table
    from rich.text import Text

    from .report.explain import fmt, write_html

    terminal = console()
    table = Table(title=e.title, show_header=True)
    for col, justify in (
        ("pass", "left"),
        ("step", "left"),
        ("formula", "left"),
        ("value", "right"),
    ):
        table.add_column(col, justify=justify)
    previous = None
    for step in e.steps:
        if previous is not None and step.section != previous:
            table.add_section()
        previous = step.section
        # Text, not markup: "[y ln a + ...]" must not be read as a rich tag
        table.add_row(*(Text(t) for t in (step.section, step.name, step.formula, fmt(step.value))))
    terminal.print(table)
    if html_path:
        terminal.print(
            f"wrote [bold]{write_html(e, html_path)}[/]: the graph, forward values and derivatives"
        )


_HTML_OPTION = click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE",
    help="Also write an HTML page with the computation graph drawn.",
)


@cli.group()
def explain():
    """The notes' worked examples, step by step, computed by the engine."""


@explain.command("logistic")
@click.option("--x", "x", default="1,2", show_default=True, help="Features x1,x2,...")
@click.option("--y", "y", type=click.IntRange(0, 1), default=1, show_default=True)
@click.option("--w", "w", default="0.1,0.2", show_default=True, help="Weights w1,w2,...")
@click.option("--b", "b", type=float, default=0.0, show_default=True)
@click.option("--lr", type=float, default=0.1, show_default=True, help="Learning rate α.")
@_HTML_OPTION
def explain_logistic(x, y, w, b, lr, html_path):
    """Logistic regression's computation graph for one example: z, a = σ(z), L(a, y),
    then da, dz = a − y, dw, db and the updated w, b."""
    from .report.explain import explain_logistic as run

    _show_explanation(run(_floats(x, "--x"), y, _floats(w, "--w"), b, lr), html_path)


@explain.command("softmax")
@click.option("--z", "z", default="5,2,-1,3", show_default=True, help="Logits z1,z2,...")
@click.option(
    "--y",
    "y",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="The true class, counting from 0.",
)
@_HTML_OPTION
def explain_softmax(z, y, html_path):
    """A softmax layer for one example: e^z, the sum, softmax vs hard max, the loss
    −Σ y ln a and dz = a − y."""
    from .report.explain import explain_softmax as run

    _show_explanation(run(_floats(z, "--z"), y), html_path)


@explain.command("multilabel")
@click.option("--z", "z", default=None, help="Logits, one per label.")
@click.option(
    "--a",
    "a",
    default=None,
    help="Or probabilities, one per label (default 0.6,0.7,0.4, the notes').",
)
@click.option("--y", "y", default="1,0,1", show_default=True, help="0/1 per label.")
@_HTML_OPTION
def explain_multilabel(z, a, y, html_path):
    """Independent sigmoids for one example: probabilities that need not sum to 1 and
    the binary cross-entropy summed over labels."""
    from .report.explain import explain_multilabel as run

    _show_explanation(
        run(
            z=_floats(z, "--z") if z else None,
            a=_floats(a, "--a") if a else None,
            y=_floats(y, "--y"),
        ),
        html_path,
    )


# ----------------------------------------------------------------------------- plot
@cli.group()
def plot():
    """Pictures of the notes' ideas, as PNG files (see also the run reports)."""


_PLOT_OUT = click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default="plots",
    show_default=True,
    help="Folder for the PNG file.",
)


def _plot_data(data_src, test_size, seed, standardize, loader):
    from .run import teaching_split

    return teaching_split(
        data_src, test_size=test_size, seed=seed, standardize=standardize, **loader
    )


def _plot_data_options(func):
    func = click.option("--seed", type=int, default=0, show_default=True)(func)
    func = click.option(
        "--standardize/--no-standardize",
        default=True,
        show_default=True,
        help="Scale features with the training set's statistics.",
    )(func)
    func = click.option(
        "--test-size",
        type=click.FloatRange(0, 1, min_open=True, max_open=True),
        default=0.25,
        show_default=True,
    )(func)
    func = data_options(func)
    return click.option(
        "--data",
        "data_src",
        required=True,
        metavar="SRC",
        help="A built-in name or a data file/folder, as for train.",
    )(func)


def _loader_from(kw):
    loader = {k: kw.pop(k) for k in LOADER_NAMES}
    return {**loader, "size": loader["size"] or 64, "color": loader["color"] or "rgb"}


@plot.command("activations")
@click.option(
    "--z",
    "z",
    default="5,2,-1,3",
    show_default=True,
    help="Logits for the softmax vs hard max panel.",
)
@_PLOT_OUT
def plot_activations(z, out):
    """Sigmoid (saturating near ±4.6), tanh and ReLU with their slopes; softmax vs
    hard max for z."""
    from .report.teaching import plot_activations as draw

    path, info = draw(Path(out) / "activations.png", z=_floats(z, "--z"))
    s, d = info["sigmoid"], info["sigmoid_slope"]
    click.echo(
        f"σ(4.6) = {s[4.6]:.4f}, σ(−4.6) = {s[-4.6]:.4f}, slope a(1 − a) there = {d[4.6]:.4f}"
    )
    click.echo(
        "softmax(z) = ("
        + ", ".join(f"{v:.3f}" for v in info["softmax"])
        + "), hard max = ("
        + ", ".join(f"{v:g}" for v in info["hardmax"])
        + ")"
    )
    click.echo(f"wrote {path}")


@plot.command("loss-landscape")
@_plot_data_options
@_PLOT_OUT
def plot_loss_landscape(data_src, test_size, standardize, seed, out, **kw):
    """The cost of a logistic model along a line (and a 2-D slice) of parameter space:
    squared error (non-convex) beside cross-entropy (convex), on SRC's training set.
    SRC must be binary (use --positive NAME for one class against the rest)."""
    from .report.teaching import plot_loss_landscape as draw

    data, X, y, _, _ = _plot_data(data_src, test_size, seed, standardize, _loader_from(kw))
    if data.task != "binary":
        raise ValueError(
            f"{data.source} is a {data.task} task; the landscape is drawn for "
            "logistic regression: pick one class with --positive NAME"
        )
    path, info = draw(Path(out) / "loss_landscape.png", X, y, random_state=seed)
    m = info["min_second_difference"]
    click.echo(
        f"along θ(t) = t·θ*, smallest second difference: squared error "
        f"{m['squared_error']:.3g} ({'non-convex' if m['squared_error'] < 0 else 'convex here'}), "
        f"cross-entropy {m['cross_entropy']:.3g} "
        f"({'convex' if m['cross_entropy'] >= -1e-9 else 'non-convex'})"
    )
    click.echo(f"wrote {path}")


@plot.command("boundaries")
@_plot_data_options
@click.option(
    "--hidden", default="25,12", show_default=True, help="Hidden layer sizes of the network panel."
)
@_PLOT_OUT
def plot_boundaries(data_src, test_size, standardize, seed, hidden, out, **kw):
    """Decision regions of logistic/softmax regression, one-vs-all and a small network
    on 2-D data (moons, blobs or a 2-feature CSV): linear vs curved boundaries."""
    from .report.teaching import plot_boundaries as draw

    data, X, y, Xte, yte = _plot_data(data_src, test_size, seed, standardize, _loader_from(kw))
    if data.task == "multilabel":
        raise ValueError(
            f"{data.source} is multi-label; decision regions are drawn for one label per point"
        )
    if data.n_features != 2:
        raise ValueError(
            f"{data.source} has {data.n_features} features; decision regions "
            "need exactly 2 (try --data moons or --data blobs)"
        )
    path, info = draw(
        Path(out) / "boundaries.png",
        X,
        y,
        hidden=parse_hidden(hidden),
        random_state=seed,
        X_test=Xte,
        y_test=yte,
    )
    click.echo(
        f"{info['on']} accuracy: "
        + ", ".join(f"{k.replace('_', ' ')} {v:.3f}" for k, v in info["accuracy"].items())
    )
    click.echo(f"wrote {path}")


@plot.command("learning-rates")
@_plot_data_options
@click.option(
    "--lr", "lrs", default="0.01,0.001,0.0001", show_default=True, help="Learning rates to compare."
)
@click.option(
    "--epochs",
    type=click.IntRange(1),
    default=1500,
    show_default=True,
    help="Gradient-descent iterations at each rate.",
)
@click.option(
    "--model",
    type=click.Choice(["auto", "logistic", "softmax", "multilabel"]),
    default="auto",
    show_default=True,
)
@_PLOT_OUT
def plot_learning_rates(data_src, test_size, standardize, seed, lrs, epochs, model, out, **kw):
    """Learning curves of one model trained by gradient descent at several learning
    rates, in one plot, with train/test accuracy in the legend."""
    from .report.teaching import plot_learning_rates as draw

    _, X, y, Xte, yte = _plot_data(data_src, test_size, seed, standardize, _loader_from(kw))
    path, info = draw(
        Path(out) / "learning_rates.png",
        X,
        y,
        Xte,
        yte,
        learning_rates=_floats(lrs, "--lr"),
        model=model,
        max_iter=epochs,
        random_state=seed,
    )
    metric = info["metric"]
    for rate, r in info["rates"].items():
        click.echo(
            f"lr {rate:g}: final cost {r['final_cost']:.4f}, train {metric} "
            f"{r['train']:.3f}, test {metric} {r['test']:.3f}"
        )
    click.echo(f"wrote {path}")


# ---------------------------------------------------------------------------- bench
@cli.group()
def bench():
    """Measure what the notes claim."""


@bench.command("vectorization")
@click.option(
    "--n",
    type=click.IntRange(1),
    default=1_000_000,
    show_default=True,
    help="Length of the vectors of the dot product.",
)
@click.option(
    "--n-x",
    type=click.IntRange(1),
    default=1000,
    show_default=True,
    help="Features of the gradient step.",
)
@click.option(
    "--m",
    type=click.IntRange(1),
    default=500,
    show_default=True,
    help="Examples of the gradient step.",
)
@click.option("--repeat", type=click.IntRange(1), default=3, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def bench_vectorization(n, n_x, m, repeat, as_json):
    """A for loop vs NumPy: a dot product of two random vectors, and one
    logistic-regression gradient step (the notes: 481 ms vs 1.5 ms, ~300x)."""
    from .demo import vectorization

    r = vectorization(n=n, n_x=n_x, m=m, repeat=repeat)
    if as_json:
        click.echo(json.dumps(r, indent=2))
        return
    d, s = r["dot"], r["step"]
    click.echo(f"dot product of two random vectors, n = {n:,}")
    click.echo(f"  for loop:   {d['loop_seconds'] * 1e3:10.3f} ms   c = {d['loop_value']:.6f}")
    click.echo(
        f"  np.dot:     {d['vectorized_seconds'] * 1e3:10.3f} ms   c = {d['vectorized_value']:.6f}"
    )
    click.echo(f"  the loop is {d['ratio']:.0f}x slower")
    click.echo(f"one logistic-regression gradient step, n_x = {n_x}, m = {m}")
    click.echo(f"  for loops:  {s['loop_seconds'] * 1e3:10.3f} ms")
    click.echo(
        f"  vectorized: {s['vectorized_seconds'] * 1e3:10.3f} ms   (same w, b to "
        f"{s['max_difference']:.1e})"
    )
    click.echo(f"  the loops are {s['ratio']:.0f}x slower")
