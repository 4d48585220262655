"""The notes' worked examples, step by step, with the values the engine computes.

`explain_logistic` walks the two-feature computation graph of logistic regression for
one example (forward: z, a, L; backward: da, dz, dw, db; then one gradient step),
`explain_softmax` the softmax layer (e^z, the sum, a, the hard max, the loss, dz) and
`explain_multilabel` independent sigmoids with binary cross-entropy. Every value comes
from :mod:`logitlab.functional` or the NumPy engine's own back-propagation; this
module only arranges them. `render_html` draws the graph (inline SVG) beside the table
of steps; ``logitlab explain`` prints the table and writes the page.

>>> from logitlab.report.explain import explain_softmax
>>> e = explain_softmax([5, 2, -1, 3], y=0)
>>> e.value("a").round(3)
array([0.842, 0.042, 0.002, 0.114])
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np

from .. import functional as F
from .._atomic import atomic_write
from ..numpy_engine.network import Network
from ..spec import ModelSpec

__all__ = [
    "Explanation",
    "Step",
    "explain_logistic",
    "explain_multilabel",
    "explain_softmax",
    "render_html",
    "write_html",
]


@dataclass(frozen=True)
class Step:
    """One line of a worked example: ``name = formula = value``."""

    section: str  # "forward", "backward" or "update"
    name: str
    formula: str
    value: object  # float or ndarray


@dataclass
class Explanation:
    """A worked example: its steps, and the graph to draw.

    ``nodes`` are ``(id, column, label, forward text, backward text)``; ``edges`` are
    ``(from id, to id)``, drawn left to right by column.
    """

    kind: str
    title: str
    inputs: dict
    steps: list = field(default_factory=list)
    nodes: list = field(default_factory=list)
    edges: list = field(default_factory=list)

    def value(self, name):
        """The value of the step called ``name``."""
        for step in self.steps:
            if step.name == name:
                return step.value
        raise KeyError(f"no step named {name!r}; steps: {[s.name for s in self.steps]}")

    def add(self, section, name, formula, value):
        self.steps.append(Step(section, name, formula, value))
        return value


def fmt(v, digits=4):
    """A value as the notes would write it: 4 significant digits, vectors in ( )."""
    if isinstance(v, np.ndarray) and v.size > 1:
        return "(" + ", ".join(fmt(x, digits) for x in v.ravel()) + ")"
    v = float(np.asarray(v).ravel()[0])
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    if abs(v) >= 1e5 or abs(v) < 1e-4:
        return f"{v:.{digits - 1}e}"
    return f"{v:.{digits}g}" if abs(v) >= 1 else f"{v:.{digits}f}".rstrip("0").rstrip(".")


def _term(v):
    """A value inside a formula: negatives in parentheses, as in 0.1·(−0.38)."""
    text = fmt(v)
    return f"({text})" if text.startswith("-") else text


def _vector(values, name, length=None):
    a = np.asarray(values, dtype=np.float64).ravel()
    if a.size == 0:
        raise ValueError(f"{name} needs at least one value")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite numbers, got {fmt(a)}")
    if length is not None and a.size != length:
        raise ValueError(f"{name} has {a.size} values but x has {length}; give one per feature")
    return a


def _labels01(y, name, length):
    y = np.asarray(y, dtype=np.float64).ravel()
    if y.size != length or not np.all((y == 0) | (y == 1)):
        raise ValueError(f"{name} must be {length} labels of 0 or 1, got {fmt(y)}")
    return y


# --------------------------------------------------------------------------- logistic
def explain_logistic(x=(1.0, 2.0), y=1, w=(0.1, 0.2), b=0.0, learning_rate=0.1):
    """Logistic regression on one example, forward, backward and one update.

    z = w1·x1 + w2·x2 + b, a = σ(z), L(a, y) = −[y ln a + (1 − y) ln(1 − a)];
    da = −y/a + (1 − y)/(1 − a), dz = a − y, dw_j = x_j·dz, db = dz; then
    w_j := w_j − α·dw_j, b := b − α·db. Any number of features works; the notes use 2.

    z comes from the engine's forward pass and dw, db from its back-propagation
    (a one-neuron :class:`~logitlab.numpy_engine.network.Network`); da and the
    chain-rule dz = da·a(1 − a) from :mod:`logitlab.functional`.

    Parameters
    ----------
    x, w : sequence of float, one per feature
    y : {0, 1}
    b, learning_rate : float

    Returns
    -------
    Explanation

    Examples
    --------
    >>> e = explain_logistic(x=[1, 2], y=1, w=[0.1, 0.2], b=0, learning_rate=0.1)
    >>> round(e.value("z"), 4), round(e.value("a"), 4), round(e.value("dz"), 4)
    (0.5, 0.6225, -0.3775)
    >>> e.value("dw").round(4), round(e.value("w1 new"), 4)
    (array([-0.3775, -0.7551]), 0.1378)
    """
    x = _vector(x, "x")
    w = _vector(w, "w", x.size)
    y = float(_labels01([y], "y", 1)[0])
    b, lr = float(b), float(learning_rate)
    if not (math.isfinite(b) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"b must be finite and the learning rate positive, got b={b}, lr={lr}")
    n = x.size
    e = Explanation(
        "logistic",
        "Logistic regression: one example, one gradient step",
        {"x": x, "y": y, "w": w, "b": b, "learning_rate": lr},
    )

    net = Network(ModelSpec(n_x=n, hidden=(), n_out=1, head="binary"))
    net.set_params(np.concatenate([w, [b]]))
    X, Y = x.reshape(n, 1), np.array([[y]])

    terms = " + ".join(f"w{j + 1}·x{j + 1}" for j in range(n)) + " + b"
    nums = " + ".join(f"{_term(w[j])}·{_term(x[j])}" for j in range(n)) + f" + {_term(b)}"
    z = e.add("forward", "z", f"{terms} = {nums}", float(net.decision_function(X)[0, 0]))
    a = e.add("forward", "a", "σ(z) = 1 / (1 + e^(−z))", float(F.sigmoid(np.array(z))))
    A = np.array([[a]])
    # the loss from z: exact where a rounds to 0 or 1
    L = e.add(
        "forward",
        "L",
        "−[y ln a + (1 − y) ln(1 − a)]",
        F.binary_cross_entropy_with_logits(np.array([[z]]), Y),
    )

    da = e.add(
        "backward",
        "da",
        "∂L/∂a = −y/a + (1 − y)/(1 − a)",
        float(F.binary_cross_entropy_backward(A, Y)[0, 0]),
    )
    dz_chain = float(F.sigmoid_backward(np.array([[da]]), A)[0, 0])
    net.cost_and_grad(X, Y)  # fills net.dW, net.db: the engine's dw and db
    dz = e.add("backward", "dz", f"da · a(1 − a) = a − y = {fmt(a)} − {fmt(y)}", dz_chain)
    dw = net.dW[0].ravel().copy()
    db = float(net.db[0][0, 0])
    for j in range(n):
        e.add("backward", f"dw{j + 1}", f"x{j + 1} · dz", float(dw[j]))
    e.steps.append(Step("backward", "dw", "(dw1, …) from back-propagation", dw))
    e.add("backward", "db", "dz", db)
    for j in range(n):
        e.add(
            "update",
            f"w{j + 1} new",
            f"w{j + 1} − α·dw{j + 1} = {fmt(w[j])} − {fmt(lr)}·{_term(dw[j])}",
            float(w[j] - lr * dw[j]),
        )
    e.add("update", "b new", f"b − α·db = {fmt(b)} − {fmt(lr)}·{_term(db)}", b - lr * db)

    for j in range(n):
        e.nodes.append((f"x{j + 1}", 0, f"x{j + 1}", fmt(x[j]), ""))
        e.nodes.append((f"w{j + 1}", 0, f"w{j + 1}", fmt(w[j]), f"dw{j + 1} = {fmt(dw[j])}"))
    e.nodes.append(("b", 0, "b", fmt(b), f"db = {fmt(db)}"))
    e.nodes += [
        ("z", 1, "z = wᵀx + b", fmt(z), f"dz = {fmt(dz)}"),
        ("a", 2, "a = σ(z)", fmt(a), f"da = {fmt(da)}"),
        ("L", 3, "L(a, y)", fmt(L), f"y = {fmt(y)}"),
    ]
    e.edges += [(node[0], "z") for node in e.nodes if node[1] == 0]
    e.edges += [("z", "a"), ("a", "L")]
    return e


# ---------------------------------------------------------------------------- softmax
def explain_softmax(z=(5.0, 2.0, -1.0, 3.0), y=0):
    """A softmax layer on one example: e^z, Σ, a = softmax(z), the hard max, the loss
    −Σ y_i ln a_i and dz = a − y.

    Parameters
    ----------
    z : sequence of float
        The logits z[L], one per class (the notes' (5, 2, −1, 3) by default).
    y : int
        The true class, counting from 0.

    Returns
    -------
    Explanation

    Examples
    --------
    >>> e = explain_softmax([5, 2, -1, 3], y=0)
    >>> e.value("t").round(2), round(e.value("sum"), 2)
    (array([148.41,   7.39,   0.37,  20.09]), 176.26)
    >>> e.value("hard max"), round(e.value("L"), 4), e.value("dz").round(3)
    (array([1., 0., 0., 0.]), 0.1719, array([-0.158,  0.042,  0.002,  0.114]))
    """
    z = _vector(z, "z")
    C = z.size
    if C < 2:
        raise ValueError(f"softmax needs at least 2 classes, got z = {fmt(z)}")
    try:
        k = int(y)
    except (TypeError, ValueError):
        raise ValueError(f"y is the true class's index, got {y!r}") from None
    if k != y or not 0 <= k < C:
        raise ValueError(f"y must be a class index from 0 to {C - 1}, got {y!r}")
    e = Explanation("softmax", "Softmax regression's output layer: one example", {"z": z, "y": k})
    Z = z.reshape(C, 1)
    Y = F.one_hot([k], C)
    shift = 0.0 if z.max() <= 700 else float(z.max())  # e^z overflows past ~709
    t_name = "e^z" if shift == 0 else f"e^(z − {fmt(shift)}) (shifted: e^z overflows)"
    t = e.add("forward", "t", t_name, np.exp(z - shift))
    e.add("forward", "sum", "Σ_j t_j", float(t.sum()))
    a = e.add("forward", "a", "t / Σ_j t_j = softmax(z)", F.softmax(Z).ravel())
    e.add("forward", "hard max", "1 at the largest z_i, 0 elsewhere", F.hardmax(Z).ravel())
    e.add("forward", "y", f"one-hot of class {k}", Y.ravel())
    A = a.reshape(C, 1)
    L = e.add(
        "forward", "L", f"−Σ y_i ln a_i = −ln a_{k}", F.categorical_cross_entropy_with_logits(Z, Y)
    )  # exact, also for a ≈ 1
    da = F.categorical_cross_entropy_backward(A, Y)
    e.add("backward", "da", "∂L/∂a = −y / a", da.ravel())
    dz = e.add(
        "backward", "dz", "softmax's Jacobian · da = a − y", F.softmax_backward(da, A).ravel()
    )
    for i in range(C):
        e.nodes.append((f"z{i}", 0, f"z{i}", fmt(z[i]), f"dz{i} = {fmt(dz[i])}"))
        e.nodes.append((f"t{i}", 1, f"t{i} = e^z{i}" if shift == 0 else f"t{i}", fmt(t[i]), ""))
        e.nodes.append((f"a{i}", 2, f"a{i} = t{i}/Σt", fmt(a[i]), f"da{i} = {fmt(da[i, 0])}"))
        e.edges.append((f"z{i}", f"t{i}"))
    e.edges += [(f"t{i}", f"a{j}") for i in range(C) for j in range(C)]
    e.nodes.append(("L", 3, "L = −Σ y ln a", fmt(L), f"y = class {k}"))
    e.edges += [(f"a{i}", "L") for i in range(C)]
    return e


# ------------------------------------------------------------------------- multilabel
def explain_multilabel(z=None, y=(1, 0, 1), a=None):
    """Independent sigmoids on one example: a_i = σ(z_i), Σ a_i need not be 1, and
    binary cross-entropy summed over the labels; dz = a − y.

    Parameters
    ----------
    z : sequence of float, optional
        The logits, one per label.
    y : sequence of {0, 1}
        Which labels the example has.
    a : sequence of float in (0, 1), optional
        Probabilities instead of ``z`` (z = ln(a / (1 − a))), as in the notes' example
        a = (0.6, 0.7, 0.4), y = (1, 0, 1), whose loss is 2.63; the default when neither
        is given.

    Returns
    -------
    Explanation

    Examples
    --------
    >>> e = explain_multilabel(a=[0.6, 0.7, 0.4], y=[1, 0, 1])
    >>> round(e.value("L"), 2), round(e.value("sum a"), 2), e.value("dz").round(2)
    (2.63, 1.7, array([-0.4,  0.7, -0.6]))
    """
    if z is not None and a is not None:
        raise ValueError("give the logits z or the probabilities a, not both")
    if z is None:
        a_in = _vector((0.6, 0.7, 0.4) if a is None else a, "a")
        if np.any((a_in <= 0) | (a_in >= 1)):
            raise ValueError(f"probabilities a must lie strictly between 0 and 1, got {fmt(a_in)}")
        z = F.logit(a_in)
    z = _vector(z, "z")
    n = z.size
    Y = _labels01(y, "y", n).reshape(n, 1)
    e = Explanation(
        "multilabel",
        "Multi-label output: independent sigmoids, one example",
        {"z": z, "y": Y.ravel()},
    )
    e.add("forward", "z", "the logits, one per label", z)
    A = F.sigmoid(z.reshape(n, 1))
    a = e.add("forward", "a", "σ(z_i), each label on its own", A.ravel())
    e.add("forward", "sum a", "Σ a_i (need not be 1)", float(a.sum()))
    e.add("forward", "y", "the labels the example has", Y.ravel())
    Zc = z.reshape(n, 1)
    per = np.array(
        [F.binary_cross_entropy_with_logits(Zc[i : i + 1], Y[i : i + 1]) for i in range(n)]
    )
    e.add("forward", "L_i", "−[y_i ln a_i + (1 − y_i) ln(1 − a_i)]", per)
    L = e.add(
        "forward",
        "L",
        "Σ_i L_i (binary cross-entropy summed over labels)",
        F.binary_cross_entropy_with_logits(Zc, Y),
    )
    da = F.binary_cross_entropy_backward(A, Y)
    e.add("backward", "da", "−y_i/a_i + (1 − y_i)/(1 − a_i)", da.ravel())
    dz = e.add("backward", "dz", "da · a(1 − a) = a − y", F.sigmoid_backward(da, A).ravel())
    for i in range(n):
        e.nodes.append((f"z{i}", 0, f"z{i}", fmt(z[i]), f"dz{i} = {fmt(dz[i])}"))
        e.nodes.append((f"a{i}", 1, f"a{i} = σ(z{i})", fmt(a[i]), f"da{i} = {fmt(da[i, 0])}"))
        e.nodes.append((f"L{i}", 2, f"L{i}", fmt(per[i]), f"y{i} = {fmt(Y[i, 0])}"))
        e.edges += [(f"z{i}", f"a{i}"), (f"a{i}", f"L{i}"), (f"L{i}", "L")]
    e.nodes.append(("L", 3, "L = Σ L_i", fmt(L), ""))
    return e


# ------------------------------------------------------------------------------- HTML
_BOX_W, _BOX_H, _COL_GAP, _ROW_GAP = 170, 64, 90, 16


def _svg(e):
    """The computation graph as inline SVG: forward values in black, derivatives in red."""
    columns = {}
    for node in e.nodes:
        columns.setdefault(node[1], []).append(node)
    rows = max(len(v) for v in columns.values())
    height = rows * (_BOX_H + _ROW_GAP) + _ROW_GAP
    width = len(columns) * (_BOX_W + _COL_GAP) - _COL_GAP + 2 * _ROW_GAP
    where = {}
    for col, nodes in columns.items():
        top = (height - len(nodes) * (_BOX_H + _ROW_GAP) + _ROW_GAP) / 2
        for r, node in enumerate(nodes):
            where[node[0]] = (_ROW_GAP + col * (_BOX_W + _COL_GAP), top + r * (_BOX_H + _ROW_GAP))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="computation graph">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#8a94a6"/></marker></defs>',
    ]
    for src, dst in e.edges:
        (x0, y0), (x1, y1) = where[src], where[dst]
        parts.append(
            f'<line x1="{x0 + _BOX_W:.0f}" y1="{y0 + _BOX_H / 2:.0f}" '
            f'x2="{x1:.0f}" y2="{y1 + _BOX_H / 2:.0f}" stroke="#8a94a6" '
            'stroke-width="1.2" marker-end="url(#arrow)"/>'
        )
    for node_id, _, label, forward, backward in e.nodes:
        x, y = where[node_id]
        parts.append(
            f'<g class="node" id="node-{html.escape(node_id)}">'
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{_BOX_W}" height="{_BOX_H}" '
            'rx="8" fill="#f4f6fa" stroke="#1f5fbf"/>'
        )
        for dy, text, cls in ((18, label, "label"), (37, forward, "fwd"), (55, backward, "bwd")):
            if text:
                parts.append(
                    f'<text x="{x + _BOX_W / 2:.0f}" y="{y + dy:.0f}" '
                    f'class="{cls}" text-anchor="middle">{html.escape(text)}</text>'
                )
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)


_CSS = """
body { font: 15px/1.5 system-ui, sans-serif; color: #1d2330; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.5rem; } .scroll { overflow-x: auto; }
svg text { font: 13px ui-monospace, Menlo, Consolas, monospace; }
svg text.label { font-weight: 600; fill: #1d2330; } svg text.fwd { fill: #1d2330; }
svg text.bwd { fill: #b42318; }
table { border-collapse: collapse; margin: 12px 0; font-size: 0.92rem; }
th, td { border: 1px solid #d9dee7; padding: 4px 10px; text-align: left; }
th { background: #f4f6fa; } td.num, td.code { font-family: ui-monospace, monospace; }
.legend { color: #5b6475; } .legend .bwd { color: #b42318; }
"""


def render_html(e):
    """The page: the graph and the table of steps."""
    rows = []
    for s in e.steps:
        rows.append(
            f"<tr><td>{html.escape(s.section)}</td><td class='code'>"
            f"{html.escape(s.name)}</td><td class='code'>{html.escape(s.formula)}"
            f"</td><td class='num'>{html.escape(fmt(s.value))}</td></tr>"
        )
    inputs = ", ".join(f"{k} = {fmt(v)}" for k, v in e.inputs.items())
    return (
        f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(e.title)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>{html.escape(e.title)}</h1><p>{html.escape(inputs)}</p>"
        "<p class='legend'>Each box: its name, its forward value, and "
        "<span class='bwd'>its derivative from the backward pass</span>.</p>"
        f"<div class='scroll'>{_svg(e)}</div>"
        "<table><thead><tr><th>pass</th><th>step</th><th>formula</th><th>value</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "<p class='legend'>Computed by logitlab's own functions "
        "(logitlab.functional and the NumPy engine's back-propagation).</p>"
        "</main></body></html>\n"
    )


def write_html(e, path):
    """Write `render_html` to ``path`` (atomically) and return the path."""
    return atomic_write(path, render_html(e))
