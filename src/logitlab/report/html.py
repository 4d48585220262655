"""A self-contained HTML page for a run: settings, metrics and plots.

The page is static HTML5 with inline CSS: no JavaScript, no external resources. Plots
are referenced by relative paths to the PNG files beside ``report.html``, so the run
folder can be moved or archived as a whole. Every user-provided string (title, setting
keys and values, class names, plot names) is escaped.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
import numbers
import struct
from pathlib import Path
from urllib.parse import quote

import numpy as np

from .._atomic import atomic_write
from .._version import __version__
from .metrics import MULTILABEL_METRICS

__all__ = ["write_report", "REPORT_FILE"]

REPORT_FILE = "report.html"

_CAPTIONS = {
    "learning_curve": (
        "Learning curve",
        "Cost J per iteration (per epoch for mini-batch solvers) on the training data "
        "and, with a validation set (--val, or held out by --early-stopping), on the "
        "validation data; a validation score, when one is watched, on the right axis.",
    ),
    "lr_finder": (
        "Learning-rate range test",
        "--lr auto: the smoothed training cost of a short run whose learning rate grows "
        "exponentially, from the initial parameters; the rate found (dashed) is where "
        "the cost falls fastest, and training started afresh with it.",
    ),
    "confusion_matrix": (
        "Confusion matrix",
        "Counts of test examples by true class (rows) and predicted class (columns).",
    ),
    "per_label": (
        "Per-label precision and recall",
        "Precision and recall of each label, on the test data.",
    ),
    "decision_boundary": (
        "Decision boundary",
        "Predicted class over a grid covering the data, with the "
        "examples coloured by their true class.",
    ),
    "misclassified": (
        "Misclassified examples",
        "Examples whose prediction is wrong, titled true → predicted.",
    ),
}

_SUMMARY_NAMES = {
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "log_loss": "Log loss",
    "hamming_loss": "Hamming loss",
    "subset_accuracy": "Subset accuracy",
    "precision_macro": "Precision (macro)",
    "recall_macro": "Recall (macro)",
    "f1_macro": "F1 (macro)",
    "precision_weighted": "Precision (weighted)",
    "recall_weighted": "Recall (weighted)",
    "f1_weighted": "F1 (weighted)",
    "precision_micro": "Precision (micro)",
    "recall_micro": "Recall (micro)",
    "f1_micro": "F1 (micro)",
    "jaccard_samples": "Jaccard (example-based)",
    "one_error": "One-error",
    "coverage_error": "Coverage error",
    "label_ranking_loss": "Ranking loss",
    "label_ranking_average_precision": "Label ranking average precision",
    "roc_auc_micro": "ROC-AUC (micro)",
    "roc_auc_macro": "ROC-AUC (macro)",
    "n_samples": "Samples",
    "engine": "Engine",
}

_MULTILABEL_NOTE = (
    "Lower is better for Hamming loss, one-error, coverage error, ranking loss and log "
    "loss; higher for the others. One-error: the share of examples whose top-ranked "
    "label is not relevant. Coverage error (scikit-learn's): how far down the ranking, "
    "counting the top label as 1, one must go to cover every relevant label; MULAN's "
    "coverage counts from 0 (coverage error − 1). Ranking metrics and ROC-AUC use the "
    "predicted probabilities; ties count against the model."
)

_CSS = """
:root { color-scheme: light; --fg: #1d2330; --muted: #5b6475; --line: #d9dee7;
        --accent: #1f5fbf; --bg-soft: #f4f6fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto,
       "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 32px 0 12px; padding-bottom: 4px;
     border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 20px 0 8px; }
.meta { color: var(--muted); margin: 0 0 8px; font-size: 0.9rem; }
.headline { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0 16px; }
.card { background: var(--bg-soft); border: 1px solid var(--line); border-radius: 8px;
        padding: 10px 16px; min-width: 150px; }
.card .label { color: var(--muted); font-size: 0.85rem; }
.card .value { font-size: 1.6rem; font-weight: 600; color: var(--accent);
               font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 4px 0 12px; font-size: 0.92rem; }
th, td { border: 1px solid var(--line); padding: 4px 10px; text-align: left;
         vertical-align: top; }
th { background: var(--bg-soft); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
          white-space: pre-wrap; word-break: break-word; }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr));
         gap: 20px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 10px;
         background: #fff; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { color: var(--muted); font-size: 0.9rem; margin-top: 6px; }
figcaption strong { color: var(--fg); }
.notes { border-left: 4px solid #d08a00; background: #fff8e6; padding: 4px 16px; }
footer { color: var(--muted); font-size: 0.8rem; margin-top: 40px; }
"""


def write_report(
    run_dir,
    *,
    title,
    settings,
    metrics,
    plots,
    history=None,
    notes=None,
    validation_history=None,
    validation_scores=None,
    validation_scoring="accuracy",
):
    """Write ``report.html`` into ``run_dir`` and return its path.

    Parameters
    ----------
    run_dir : str or path-like
        The run folder; the plots' files are expected beside the report.
    title : str
        Page title.
    settings : dict
        Run settings, shown as a key/value table (nested values as JSON).
    metrics : dict
        :func:`~logitlab.report.compute_metrics` output (extra scalar entries are shown
        too).
    plots : dict
        Plot name → file name relative to ``run_dir`` (:func:`write_plots` output).
    history : sequence of float, optional
        Training cost per iteration: its first, last and lowest values are shown.
    notes : sequence of str, optional
        Warnings about the run (e.g. training that learned nothing), shown first.
    validation_history, validation_scores : sequence of float, optional
        The validation set's cost and score per iteration (NaN where not measured),
        shown beside the training cost: first, last and best values, and the
        iteration of the best.
    validation_scoring : {"accuracy", "hamming"}, default="accuracy"
        What ``validation_scores`` hold.

    Returns
    -------
    pathlib.Path
        The written ``report.html``.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    page = render_report(
        title=title,
        settings=settings,
        metrics=metrics,
        plots=plots,
        history=history,
        run_dir=run_dir,
        notes=notes,
        validation_history=validation_history,
        validation_scores=validation_scores,
        validation_scoring=validation_scoring,
    )
    return atomic_write(run_dir / REPORT_FILE, page)


def render_report(
    *,
    title,
    settings,
    metrics,
    plots,
    history=None,
    run_dir=None,
    notes=None,
    validation_history=None,
    validation_scores=None,
    validation_scoring="accuracy",
):
    """The report page as a string (see :func:`write_report`)."""
    e = _esc
    now = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{e(title)}</h1>",
        f'<p class="meta">Generated by logitlab {e(__version__)} on {e(now)}</p>',
    ]
    parts += _notes_section(notes or [])
    parts += _settings_section(settings or {})
    parts += _metrics_section(metrics or {})
    if history is not None and len(history):
        parts += _history_section(
            history, validation_history, validation_scores, validation_scoring
        )
    parts += _plots_section(plots or {}, run_dir)
    if run_dir is not None:
        parts += _search_section(Path(run_dir))
    parts += [
        "<footer>Self-contained report: the images are the PNG files beside this page.</footer>",
        "</main>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


# ------------------------------------------------------------------------ sections
def _notes_section(notes):
    if not notes:
        return []
    items = "".join(f"<li>{_esc(n)}</li>" for n in notes)
    return [
        '<section id="notes" class="notes">',
        "<h2>Warnings</h2>",
        f"<ul>{items}</ul>",
        "</section>",
    ]


def _metrics_section(metrics):
    e = _esc
    task = metrics.get("task") or ("multilabel" if "hamming_loss" in metrics else None)
    out = ['<section id="metrics">', "<h2>Metrics</h2>"]
    if task:
        out.append(f'<p class="meta">Task: {e(task)}</p>')
    headline = (
        ["hamming_loss", "subset_accuracy", "f1_micro", "log_loss"]
        if task == "multilabel"
        else ["accuracy", "balanced_accuracy", "f1_macro", "log_loss"]
    )
    cards = [k for k in headline if _is_number(metrics.get(k))]
    if cards:
        out.append('<div class="headline">')
        for k in cards:
            out.append(
                f'<div class="card" id="headline-{e(k)}"><div class="label">'
                f'{e(_SUMMARY_NAMES.get(k, k))}</div><div class="value">'
                f"{_fmt(metrics[k])}</div></div>"
            )
        out.append("</div>")

    order = (*MULTILABEL_METRICS, *_SUMMARY_NAMES) if task == "multilabel" else _SUMMARY_NAMES
    rows = [k for k in dict.fromkeys(order) if _is_number(metrics.get(k))]
    rows += [k for k, v in metrics.items() if k not in _SUMMARY_NAMES and _is_number(v)]
    rows += [k for k, v in metrics.items() if isinstance(v, str) and k != "task"]
    if rows:
        out += [
            '<table class="summary">',
            "<thead><tr><th>metric</th><th>value</th></tr></thead>",
            "<tbody>",
        ]
        for k in rows:
            v = metrics[k]
            cell = f'<td class="num">{_fmt(v)}</td>' if _is_number(v) else f"<td>{e(v)}</td>"
            out.append(f"<tr><th>{e(_SUMMARY_NAMES.get(k, k))}</th>{cell}</tr>")
        out += ["</tbody>", "</table>"]
    if task == "multilabel":
        out.append(f'<p class="meta">{e(_MULTILABEL_NOTE)}</p>')
    notes = metrics.get("metric_notes")
    if isinstance(notes, list) and notes:
        items = "".join(f"<li>{e(n)}</li>" for n in notes)
        out.append(f'<ul class="metric-notes meta">{items}</ul>')

    for key, names_key, heading, first in (
        ("per_class", "class_names", "Per class", "class"),
        ("per_label", "label_names", "Per label", "label"),
    ):
        table = metrics.get(key)
        if not isinstance(table, dict) or not table:
            continue
        columns = [c for c in ("precision", "recall", "f1", "support") if c in table]
        columns += [c for c in table if c not in columns]
        n = max(len(table[c]) for c in columns)
        names = list(metrics.get(names_key) or range(n))
        out += [
            f"<h3>{heading}</h3>",
            '<div class="scroll">',
            f'<table class="{key.replace("_", "-")}">',
            "<thead><tr>"
            f"<th>{first}</th>" + "".join(f"<th>{e(c)}</th>" for c in columns) + "</tr></thead>",
            "<tbody>",
        ]
        for i in range(n):
            cells = "".join(
                f'<td class="num">{_fmt(table[c][i])}</td>' if i < len(table[c]) else "<td></td>"
                for c in columns
            )
            name = names[i] if i < len(names) else i
            out.append(f"<tr><th>{e(name)}</th>{cells}</tr>")
        out += ["</tbody>", "</table>", "</div>"]

    out += _label_confusion_table(metrics)
    cm = metrics.get("confusion_matrix")
    if isinstance(cm, list) and cm and len(cm) <= 30:
        names = list(metrics.get("class_names") or range(len(cm)))
        out += [
            "<h3>Confusion matrix</h3>",
            '<p class="meta">Rows: true class; columns: predicted class.</p>',
            '<div class="scroll">',
            '<table class="confusion-matrix">',
            "<thead><tr><th>true \\ predicted</th>"
            + "".join(f"<th>{e(c)}</th>" for c in names)
            + "</tr></thead>",
            "<tbody>",
        ]
        for name, row in zip(names, cm):
            out.append(
                f"<tr><th>{e(name)}</th>"
                + "".join(f'<td class="num">{_fmt(v)}</td>' for v in row)
                + "</tr>"
            )
        out += ["</tbody>", "</table>", "</div>"]
    out.append("</section>")
    return out


def _label_confusion_table(metrics):
    """Multi-label: one row per label with its confusion counts (and its ROC-AUC when
    there are probabilities), from ``multilabel_confusion_matrix``."""
    e = _esc
    matrices = metrics.get("multilabel_confusion_matrix")
    if not isinstance(matrices, list) or not matrices:
        return []
    names = list(metrics.get("label_names") or range(len(matrices)))
    aucs = metrics.get("roc_auc_per_label")
    aucs = aucs if isinstance(aucs, list) and len(aucs) == len(matrices) else None
    head = "".join(f"<th>{c}</th>" for c in ("label", "TP", "FP", "FN", "TN"))
    out = [
        "<h3>Per-label confusion matrices</h3>",
        '<p class="meta">Test examples by label: true positives, false positives, false '
        "negatives, true negatives"
        + ("; ROC-AUC (— where y_true holds one value only)." if aucs else ".")
        + "</p>",
        '<div class="scroll">',
        '<table class="label-confusion">',
        f"<thead><tr>{head}" + ("<th>ROC-AUC</th>" if aucs else "") + "</tr></thead>",
        "<tbody>",
    ]
    for i, ((tn, fp), (fn, tp)) in enumerate(matrices):
        cells = "".join(f'<td class="num">{_fmt(v)}</td>' for v in (tp, fp, fn, tn))
        if aucs:
            cells += f'<td class="num">{"—" if aucs[i] is None else _fmt(aucs[i])}</td>'
        name = names[i] if i < len(names) else i
        out.append(f"<tr><th>{e(name)}</th>{cells}</tr>")
    out += ["</tbody>", "</table>", "</div>"]
    return out


_SCORES = {  # name, and whether higher is better
    "accuracy": ("validation accuracy", True),
    "hamming": ("validation Hamming loss", False),
}


def _history_section(history, validation=None, scores=None, scoring="accuracy"):
    """The training cost and, beside it, the validation cost and score: first, last
    and best value, and the iteration of the best (0-based, as in history.csv)."""
    columns = [("training cost J", history, False)]
    if validation is not None and len(validation):
        columns.append(("validation cost", validation, False))
        if scores is not None and len(scores):
            name, higher = _SCORES.get(scoring, (f"validation {scoring}", False))
            columns.append((name, scores, higher))
    columns = [(name, [float(v) for v in values], up) for name, values, up in columns]
    n = len(columns[0][1])
    out = [
        '<section id="training">',
        "<h2>Training</h2>",
        f'<p class="meta">Iterations recorded: {n}</p>',
        '<table class="training">',
        "<thead><tr><th></th>"
        + "".join(f"<th>{_esc(c)}</th>" for c, _, _ in columns)
        + "</tr></thead>",
        "<tbody>",
    ]

    def cell(v):
        return f'<td class="num">{_fmt(v)}</td>' if v is not None else "<td></td>"

    rows = {"first": [], "last": [], "best": [], "best at iteration": []}
    for _, values, higher in columns:
        finite = [(i, v) for i, v in enumerate(values) if math.isfinite(v)]
        if not finite:
            for row in rows.values():
                row.append(None)
            continue
        best = (max if higher else min)(finite, key=lambda iv: iv[1])
        rows["first"].append(finite[0][1])
        rows["last"].append(finite[-1][1])
        rows["best"].append(best[1])
        rows["best at iteration"].append(best[0])
    for label, row in rows.items():
        out.append(f"<tr><th>{label}</th>" + "".join(cell(v) for v in row) + "</tr>")
    out += ["</tbody>", "</table>", "</section>"]
    return out


def _plots_section(plots, run_dir):
    e = _esc
    if not plots:
        return []
    out = ['<section id="plots">', "<h2>Plots</h2>", '<div class="plots">']
    for name, file in plots.items():
        heading, text = _CAPTIONS.get(name, (str(name).replace("_", " ").capitalize(), ""))
        src = quote(Path(file).as_posix(), safe="/")
        size = _png_size(run_dir / file) if run_dir is not None else None
        dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
        out += [
            f'<figure id="plot-{e(name)}">',
            f'<img src="{e(src)}" alt="{e(heading)}"{dims}>',
            f"<figcaption><strong>{e(heading)}.</strong> {e(text)}</figcaption>",
            "</figure>",
        ]
    out += ["</div>", "</section>"]
    return out


#: what ``logitlab tune`` writes beside the run it trains (see logitlab.tune)
TUNE_SUMMARY = "tune.json"
SEARCH_PLOT = "search.png"
_MAX_SUMMARY_BYTES = 8 << 20


def _search_section(run_dir):
    """The search that chose the settings, when ``logitlab tune`` wrote this run: the
    trials, the score of each with the best so far, and the parameters that mattered."""
    path = run_dir / TUNE_SUMMARY
    try:
        if not path.is_file() or path.stat().st_size > _MAX_SUMMARY_BYTES:
            return []
        summary = json.loads(path.read_text(encoding="utf-8"))
        trials = summary["trials"]
        best = summary["best"]
        scoring = str(summary["scoring"]).replace("_", " ")
        states = [str(t["state"]) for t in trials]
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return []  # not a summary this version wrote: the run's report stands alone
    e = _esc
    counts = ", ".join(
        f"{states.count(s)} {s}" for s in ("complete", "pruned", "fail") if s in states
    )
    out = [
        '<section id="search">',
        "<h2>Search (logitlab tune)</h2>",
        f"<p>{len(trials)} trials ({e(counts)}), each scored by {e(summary.get('folds'))}-fold "
        f"cross-validation on the training split only (the test split was never seen); "
        f"best cross-validated {e(scoring)} {_fmt(best.get('score'))} at trial "
        f"{e(best.get('number'))}. Pruned trials stopped after a fold or two, scoring "
        "below the median, or when the budget would not let them finish.</p>",
    ]
    if (run_dir / SEARCH_PLOT).is_file():
        size = _png_size(run_dir / SEARCH_PLOT)
        dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
        out += [
            '<figure id="plot-search">',
            f'<img src="{SEARCH_PLOT}" alt="Score by trial"{dims}>',
            f"<figcaption><strong>Score by trial.</strong> The cross-validated {e(scoring)} "
            "of each trial (a pruned trial's at its last fold) and the best so far."
            "</figcaption>",
            "</figure>",
        ]
    params = best.get("params") or {}
    if isinstance(params, dict) and params:
        out += ["<h3>Best trial</h3>", '<table class="settings">', "<tbody>"]
        out += [
            f'<tr><th>{e(k)}</th><td class="code">{_fmt(v)}</td></tr>' for k, v in params.items()
        ]
        out += ["</tbody>", "</table>"]
    importances = summary.get("importances") or {}
    values = importances.get("values") if isinstance(importances, dict) else None
    out.append("<h3>Parameters that mattered</h3>")
    if isinstance(values, dict) and values:
        out += [
            '<p class="meta">Share of the variance of the score each parameter explains '
            "over the finished trials (Optuna's fANOVA importance).</p>",
            '<table class="importances">',
            "<thead><tr><th>parameter</th><th>importance</th></tr></thead>",
            "<tbody>",
        ]
        out += [
            f'<tr><th>{e(k)}</th><td class="num">{_fmt(v)}</td></tr>' for k, v in values.items()
        ]
        out += ["</tbody>", "</table>"]
    else:
        note = importances.get("note") if isinstance(importances, dict) else None
        out.append(f"<p>Not measured: {e(note or 'too few finished trials')}.</p>")
    out.append("</section>")
    return out


def _settings_section(settings):
    e = _esc
    out = ['<section id="settings">', "<h2>Settings</h2>"]
    if not settings:
        return out + ["<p>No settings recorded.</p>", "</section>"]
    out += [
        '<div class="scroll">',
        '<table class="settings">',
        "<thead><tr><th>setting</th><th>value</th></tr></thead>",
        "<tbody>",
    ]
    for key, value in settings.items():
        out.append(f'<tr><th>{e(key)}</th><td class="code">{e(_setting_text(value))}</td></tr>')
    out += ["</tbody>", "</table>", "</div>", "</section>"]
    return out


# ------------------------------------------------------------------------- helpers
def _esc(value):
    return html.escape(str(value), quote=True)


def _is_number(v):
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _fmt(v):
    if not _is_number(v):
        return _esc(v)
    if isinstance(v, numbers.Integral):
        return str(int(v))
    v = float(v)
    if not math.isfinite(v):
        return _esc(v)
    if v.is_integer() and abs(v) >= 1e4:
        return str(int(v))
    return f"{v:.4f}" if 1e-3 <= abs(v) < 1e4 or v == 0 else f"{v:.4g}"


def _setting_text(value):
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, tuple)):
        try:
            return json.dumps(value, default=str, ensure_ascii=False)
        except (TypeError, ValueError):
            return repr(value)
    if value is None:
        return "None"
    return str(value)


def _png_size(path):
    """(width, height) read from a PNG's header, or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return None
    if len(head) == 24 and head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        return struct.unpack(">II", head[16:24])
    return None
