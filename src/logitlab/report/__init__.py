"""Run reports: metrics (JSON), plots (PNG) and a self-contained HTML page.

>>> from logitlab.report import compute_metrics, write_plots, write_report

:func:`compute_metrics` returns the metrics of a run as a JSON-serialisable dict
(every number from :mod:`sklearn.metrics`); :func:`write_plots` draws the learning
curve, confusion matrix or per-label scores, decision boundary and misclassified
examples headless (Agg canvas, no pyplot); :func:`write_report` writes ``report.html``
referencing those PNG files. Every file is written under a temporary name and renamed
into place.
"""

from .html import write_report
from .metrics import compute_metrics
from .plots import write_plots

__all__ = ["compute_metrics", "write_plots", "write_report"]
