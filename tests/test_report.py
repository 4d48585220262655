"""Run reports: metrics against scikit-learn, PNG plots, the HTML page, and the page as
headless Chromium renders it."""

import html
import json
import os
import re
import shutil
import subprocess
import warnings
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import make_blobs, make_moons
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    hamming_loss,
    log_loss,
    precision_recall_fscore_support,
)

from logitlab import LogisticRegression, MultiLabelClassifier, NeuralNetClassifier
from logitlab.report import compute_metrics, write_plots, write_report
from logitlab.report import plots as plots_module
from logitlab.report.html import render_report

PNG_SIZE = (600, 450)  # 6 × 4.5 in at 100 dpi
MIN_PIXEL_STD = 5.0  # a blank (uniform) image has 0


# ----------------------------------------------------------------------- helpers
def assert_png(path, size=PNG_SIZE):
    """A real, non-blank PNG of the expected pixel size."""
    assert Path(path).is_file(), f"{path} was not written"
    with Image.open(path) as im:
        assert im.format == "PNG"
        assert im.size == size
        pixels = np.asarray(im.convert("RGB"), dtype=float)
    assert pixels.std() > MIN_PIXEL_STD, f"{path} looks blank (std {pixels.std():.2f})"


def ink(path):
    """Share of pixels that are not (nearly) white."""
    with Image.open(path) as im:
        pixels = np.asarray(im.convert("L"), dtype=float)
    return float((pixels < 230).mean())


def assert_no_temporaries(folder):
    left = [name for name in os.listdir(folder) if ".tmp" in name]
    assert not left, f"temporary files left in {folder}: {left}"


def plots_strict(run_dir, **kwargs):
    """write_plots with every warning an error (missing glyphs, contour warnings, …)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return write_plots(run_dir, **kwargs)


def sklearn_prf(y_true, y_pred, **kwargs):
    return precision_recall_fscore_support(y_true, y_pred, zero_division=0, **kwargs)


def moons(n=160, seed=0):
    X, y = make_moons(n, noise=0.3, random_state=seed)
    return X, np.array(["left", "right"])[y]


# ----------------------------------------------------------------------- metrics
def check_single_label(m, y_true, y_pred, labels, proba=None):
    assert m["n_samples"] == len(y_true)
    assert m["accuracy"] == accuracy_score(y_true, y_pred)
    for average in ("macro", "weighted"):
        p, r, f, _ = sklearn_prf(y_true, y_pred, labels=labels, average=average)
        assert (m[f"precision_{average}"], m[f"recall_{average}"], m[f"f1_{average}"]) == (p, r, f)
    p, r, f, s = sklearn_prf(y_true, y_pred, labels=labels, average=None)
    assert m["per_class"] == {
        "precision": list(p),
        "recall": list(r),
        "f1": list(f),
        "support": list(s),
    }
    assert m["confusion_matrix"] == confusion_matrix(y_true, y_pred, labels=labels).tolist()
    if proba is None:
        assert "log_loss" not in m
    else:
        assert m["log_loss"] == pytest.approx(log_loss(y_true, proba, labels=labels), rel=1e-12)
    assert json.loads(json.dumps(m)) == m


def test_binary_metrics_match_sklearn():
    X, y = moons()
    clf = LogisticRegression().fit(X, y)
    y_pred, proba = clf.predict(X), clf.predict_proba(X)
    m = compute_metrics("binary", y, y_pred, proba, class_names=clf.classes_)
    assert m["task"] == "binary" and m["class_names"] == ["left", "right"]
    check_single_label(m, y, y_pred, clf.classes_, proba)
    assert 0.7 < m["accuracy"] < 1  # a linear model on moons: good, not perfect
    # P(second class) alone gives the same log loss
    m1 = compute_metrics("binary", y, y_pred, proba[:, 1], class_names=clf.classes_)
    assert m1["log_loss"] == pytest.approx(m["log_loss"], rel=1e-12)
    # without proba: no log loss
    check_single_label(compute_metrics("binary", y, y_pred), y, y_pred, clf.classes_)


def test_multiclass_metrics_string_labels():
    rng = np.random.default_rng(0)
    names = np.array(["cat", "dog", "fish", "bird"])
    y_true = names[rng.integers(0, 4, 60)]
    y_pred = np.where(rng.random(60) < 0.7, y_true, names[rng.integers(0, 4, 60)])
    proba = rng.dirichlet(np.ones(4), 60)
    labels = np.sort(names)  # an estimator's classes_
    m = compute_metrics("multiclass", y_true, y_pred, proba, class_names=labels)
    assert m["class_names"] == ["bird", "cat", "dog", "fish"]
    check_single_label(m, y_true, y_pred, labels, proba)
    # without class_names the classes are the sorted labels seen
    m2 = compute_metrics("multiclass", list(y_true), list(y_pred), proba)
    assert m2 == m


def test_multiclass_class_absent_from_y_true_with_proba():
    rng = np.random.default_rng(1)
    labels = np.array(["a", "b", "c"])
    y_true = np.array(["a", "b"] * 10)  # "c" never occurs
    y_pred = y_true.copy()
    y_pred[:3] = "c"
    proba = rng.dirichlet(np.ones(3), 20)
    m = compute_metrics("multiclass", y_true, y_pred, proba, class_names=labels)
    check_single_label(m, y_true, y_pred, labels, proba)
    assert m["per_class"]["support"] == [10, 10, 0]
    assert len(m["confusion_matrix"]) == 3
    # a class absent from y_true and y_pred is still a column of proba
    m = compute_metrics("multiclass", y_true, y_true, proba, class_names=labels)
    check_single_label(m, y_true, y_true, labels, proba)


def test_multiclass_class_names_out_of_sorted_order():
    """proba's columns follow class_names even where that is not sorted order."""
    rng = np.random.default_rng(2)
    y = np.array(["dog", "cat", "dog", "cat", "cat"])
    proba_sorted = rng.dirichlet(np.ones(2), 5)  # columns: cat, dog
    expected = log_loss(y, proba_sorted, labels=["cat", "dog"])
    m = compute_metrics("binary", y, y, proba_sorted[:, ::-1], class_names=["dog", "cat"])
    assert m["log_loss"] == pytest.approx(expected, rel=1e-12)
    assert m["class_names"] == ["dog", "cat"]
    # one column: P(class_names[1]) = P(cat)
    m = compute_metrics("binary", y, y, proba_sorted[:, 0], class_names=["dog", "cat"])
    assert m["log_loss"] == pytest.approx(expected, rel=1e-12)


def test_index_coded_targets_with_display_names():
    y_true = np.array([0, 1, 2, 2, 1, 0])
    y_pred = np.array([0, 2, 2, 2, 1, 1])
    m = compute_metrics(
        "multiclass", y_true, y_pred, class_names=["setosa", "versicolor", "virginica"]
    )
    assert m["class_names"] == ["setosa", "versicolor", "virginica"]
    check_single_label(m, y_true, y_pred, [0, 1, 2])
    # integer classes never seen in y still count when proba has their column
    proba = np.full((6, 4), 0.25)
    m = compute_metrics("multiclass", y_true, y_pred, proba)
    assert m["class_names"] == ["0", "1", "2", "3"]
    check_single_label(m, y_true, y_pred, [0, 1, 2, 3], proba)
    with pytest.raises(ValueError, match="neither in class_names"):
        compute_metrics("multiclass", ["x", "y"], ["x", "y"], class_names=["a", "b"])


def test_multilabel_metrics_match_sklearn():
    rng = np.random.default_rng(3)
    Y = (rng.random((50, 4)) < 0.4).astype(int)
    Y[:, 3] = 0  # a label constant in y_true
    P = np.clip(0.7 * Y + 0.3 * rng.random((50, 4)), 0, 1)
    Y_pred = (P > 0.5).astype(int)
    names = ["sports", "politics", "tech", "never"]
    m = compute_metrics("multilabel", Y, Y_pred, P, class_names=names)
    assert m["task"] == "multilabel" and m["label_names"] == names
    assert m["n_samples"] == 50
    assert m["hamming_loss"] == hamming_loss(Y, Y_pred)
    assert m["subset_accuracy"] == accuracy_score(Y, Y_pred)
    for average in ("micro", "macro"):
        p, r, f, _ = sklearn_prf(Y, Y_pred, average=average)
        assert (m[f"precision_{average}"], m[f"recall_{average}"], m[f"f1_{average}"]) == (p, r, f)
    p, r, f, s = sklearn_prf(Y, Y_pred, average=None)
    assert m["per_label"] == {
        "precision": list(p),
        "recall": list(r),
        "f1": list(f),
        "support": list(s),
    }
    expected = np.mean([log_loss(Y[:, j], P[:, j], labels=[0, 1]) for j in range(4)])
    assert m["log_loss"] == pytest.approx(expected, rel=1e-12)
    # the mean binary cross-entropy, written out, as a cross-check of the averaging
    eps = np.finfo(float).eps
    Pc = np.clip(P, eps, 1 - eps)
    bce = -np.mean(Y * np.log(Pc) + (1 - Y) * np.log(1 - Pc))
    assert m["log_loss"] == pytest.approx(bce, rel=1e-9)
    assert json.loads(json.dumps(m)) == m
    m = compute_metrics("multilabel", Y.tolist(), Y_pred.tolist())
    assert m["label_names"] == ["0", "1", "2", "3"] and "log_loss" not in m


def test_metrics_reject_bad_input():
    with pytest.raises(ValueError, match="task"):
        compute_metrics("regression", [0, 1], [0, 1])
    with pytest.raises(ValueError, match="lengths"):
        compute_metrics("binary", [0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="indicator"):
        compute_metrics("multilabel", [0, 1], [0, 1])
    with pytest.raises(ValueError, match="classes"):
        compute_metrics("binary", [0, 1, 2], [0, 1, 2])


# ------------------------------------------------------------------------- plots
def test_png_check_rejects_blank_and_wrong_size(tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("RGB", PNG_SIZE, "white").save(blank)
    with pytest.raises(AssertionError, match="blank"):
        assert_png(blank)
    small = tmp_path / "small.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (45, 60, 3), np.uint8)).save(small)
    with pytest.raises(AssertionError):
        assert_png(small)


def test_binary_plots_on_moons(tmp_path):
    X, y = moons()
    clf = LogisticRegression().fit(X, y)
    y_pred = clf.predict(X)
    assert (y_pred != y).any()
    rng = np.random.default_rng(0)
    images = rng.random((len(y), 8 * 8 * 3))
    written = plots_strict(
        tmp_path,
        task="binary",
        history=clf.history_,
        y_true=y,
        y_pred=y_pred,
        proba=clf.predict_proba(X),
        class_names=clf.classes_,
        X2d=X,
        y2d=y,
        predict_fn=clf.predict,
        images=images,
        image_shape=(8, 8, 3),
    )
    assert written == {
        "learning_curve": "learning_curve.png",
        "confusion_matrix": "confusion_matrix.png",
        "decision_boundary": "decision_boundary.png",
        "misclassified": "misclassified.png",
    }
    for file in written.values():
        assert_png(tmp_path / file)
    assert ink(tmp_path / "misclassified.png") > 0.15  # the images are drawn
    assert sorted(os.listdir(tmp_path)) == sorted(written.values())
    assert_no_temporaries(tmp_path)


def test_decision_boundary_of_a_network_on_moons(tmp_path):
    X, y = moons()
    clf = NeuralNetClassifier(max_iter=2000, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.85
    written = plots_strict(
        tmp_path, task="binary", X2d=X, y2d=y, predict_fn=clf.predict, class_names=clf.classes_
    )
    assert written == {"decision_boundary": "decision_boundary.png"}
    assert_png(tmp_path / "decision_boundary.png")
    assert_no_temporaries(tmp_path)


def test_decision_boundary_shows_both_regions(tmp_path):
    """The fill follows predict_fn: left half one class, right half the other."""
    X, y = moons()

    def predict(Z):
        return np.where(Z[:, 0] < 0.5, "left", "right")

    written = plots_strict(
        tmp_path, task="binary", X2d=X, y2d=y, predict_fn=predict, class_names=["left", "right"]
    )
    assert written == {"decision_boundary": "decision_boundary.png"}
    with Image.open(tmp_path / "decision_boundary.png") as im:
        rgb = np.asarray(im.convert("RGB"), dtype=int)
    # sample the bottom band of the axes, where moons has few points
    row = rgb[int(0.80 * PNG_SIZE[1])]
    left, right = row[int(0.20 * PNG_SIZE[0])], row[int(0.85 * PNG_SIZE[0])]
    assert np.abs(left - right).sum() > 60, (left, right)
    # one class everywhere (constant prediction) still draws
    written = plots_strict(
        tmp_path / "constant",
        task="binary",
        X2d=X,
        y2d=y,
        predict_fn=lambda Z: np.full(len(Z), "left"),
    )
    assert_png(tmp_path / "constant" / written["decision_boundary"])


def test_multiclass_plots_with_index_predictions(tmp_path):
    X, yi = make_blobs(150, centers=3, cluster_std=2.5, random_state=0)
    names = np.array(["red", "green", "blue"])
    clf = NeuralNetClassifier(
        hidden_layer_sizes=(6,),
        max_iter=300,
        early_stopping=True,
        solver="adam",
        learning_rate=0.01,
        tol=0,
        random_state=0,
    ).fit(X, names[yi])
    y_pred = clf.predict(X)
    images = np.random.default_rng(1).integers(0, 256, (150, 10 * 10), dtype=np.uint8)
    classes = list(clf.classes_)

    def predict_index(Z):  # class indices, mapped to names through class_names
        return np.searchsorted(clf.classes_, clf.predict(Z))

    written = plots_strict(
        tmp_path,
        task="multiclass",
        history=clf.history_,
        validation_history=clf.validation_history_,
        y_true=names[yi],
        y_pred=y_pred,
        class_names=classes,
        X2d=X,
        y2d=names[yi],
        predict_fn=predict_index,
        images=images,
        image_shape=(10, 10, 1),
        max_images=5,
    )
    assert set(written) == {
        "learning_curve",
        "confusion_matrix",
        "decision_boundary",
        "misclassified",
    }
    for file in written.values():
        assert_png(tmp_path / file)
    assert ink(tmp_path / "misclassified.png") > 0.15  # uint8 grey images are drawn
    assert_no_temporaries(tmp_path)


def test_multilabel_plots(tmp_path):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(120, 2))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X.sum(1) > 1]).astype(int)
    clf = MultiLabelClassifier(max_iter=300).fit(X, Y)
    Y_pred = clf.predict(X)
    assert (Y_pred != Y).any()
    history = np.geomspace(10, 1e-3, 50)  # spans four decades: log scale
    written = plots_strict(
        tmp_path,
        task="multilabel",
        history=history,
        y_true=Y,
        y_pred=Y_pred,
        proba=clf.predict_proba(X),
        class_names=["east", "north", "far"],
        X2d=X,
        y2d=Y,
        predict_fn=clf.predict,
        images=rng.random((120, 6 * 5)),
        image_shape=(6, 5),
    )
    assert set(written) == {"learning_curve", "per_label", "decision_boundary", "misclassified"}
    for file in written.values():
        assert_png(tmp_path / file)
    assert ink(tmp_path / "misclassified.png") > 0.15
    assert not (tmp_path / "confusion_matrix.png").exists()
    assert_no_temporaries(tmp_path)


def test_learning_curve_scale():
    def yscale(history, validation=None):
        return plots_module._learning_curve(history, validation).axes[0].get_yscale()

    assert yscale([0.7, 0.5, 0.4, 0.35]) == "linear"
    assert yscale([0.7, 0.05, 0.006]) == "log"  # > 2 decades
    assert yscale([0.7, 0.5, 0.4], [0.9, 0.1, 0.001]) == "log"  # validation counts
    assert yscale([0.7, 0.01, 0.0071]) == "linear"  # just under 2 decades


def test_learning_curve_draws_training_and_validation_together(tmp_path):
    history = [1.1, 0.8, 0.6, 0.5, 0.45]
    validation = [0.9, 0.7, np.nan, 0.6, 0.62]  # an iteration not measured is left out
    scores = [0.5, 0.6, np.nan, 0.8, 0.75]
    fig = plots_module._learning_curve(history, validation, scores, "accuracy")
    cost_axis, score_axis = fig.axes
    assert [t.get_text() for t in cost_axis.get_legend().get_texts()] == [
        "training cost",
        "validation cost",
        "validation accuracy",
    ]
    training, valid = cost_axis.get_lines()
    assert list(training.get_xdata()) == [0, 1, 2, 3, 4]
    assert list(valid.get_xdata()) == [0, 1, 3, 4] and list(valid.get_ydata()) == [
        0.9,
        0.7,
        0.6,
        0.62,
    ]
    assert score_axis.get_ylabel() == "validation accuracy"
    assert list(score_axis.get_lines()[0].get_xdata()) == [0, 1, 3, 4]
    fig = plots_module._learning_curve(history, validation, None)
    assert len(fig.axes) == 1 and len(fig.axes[0].get_legend().get_texts()) == 2
    fig = plots_module._learning_curve(history, None, None)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["training cost"]
    written = plots_strict(
        tmp_path,
        task="multilabel",
        history=history,
        validation_history=validation,
        validation_scores=scores,
        validation_scoring="hamming",
    )
    assert written == {"learning_curve": "learning_curve.png"}
    assert_png(tmp_path / "learning_curve.png")


def test_report_shows_training_and_validation_side_by_side():
    page = render_report(
        title="t",
        settings={"val": "val.csv", "lr_schedule": "plateau"},
        metrics={},
        plots={},
        history=[1.0, 0.5, 0.25],
        validation_history=[np.nan, 0.6, 0.7],
        validation_scores=[np.nan, 0.2, 0.1],
        validation_scoring="hamming",
    )
    parse_page(page)
    section = page[
        page.index('id="training"') : page.index("</section>", page.index('id="training"'))
    ]
    head = (
        "<th></th><th>training cost J</th><th>validation cost</th><th>validation Hamming loss</th>"
    )
    assert head in section
    # first, last, best and the best one's iteration of each curve; lower Hamming loss
    # is better
    assert '<th>first</th><td class="num">1.0000</td><td class="num">0.6000</td>' in section
    assert '<th>last</th><td class="num">0.2500</td><td class="num">0.7000</td>' in section
    assert '<td class="num">0.1000</td></tr>' in section
    assert (
        '<th>best at iteration</th><td class="num">2</td><td class="num">1</td>'
        '<td class="num">2</td>' in section
    )
    assert "<th>val</th>" in page and "plateau" in page
    page = render_report(title="t", settings={}, metrics={}, plots={}, history=[1.0, 0.5])
    assert "validation" not in page[page.index('id="training"') :]


def test_misclassified_only_when_there_are_mistakes(tmp_path):
    y = np.array(["a", "b", "a", "b"])
    images = np.random.default_rng(5).random((4, 3 * 3 * 3))
    common = dict(y_true=y, images=images, image_shape=(3, 3, 3))
    written = plots_strict(tmp_path / "perfect", task="binary", y_pred=y, **common)
    assert written == {"confusion_matrix": "confusion_matrix.png"}
    assert not (tmp_path / "perfect" / "misclassified.png").exists()
    Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    written = plots_strict(
        tmp_path / "ml", task="multilabel", y_true=Y, y_pred=Y, images=images, image_shape=(3, 3, 3)
    )
    assert written == {"per_label": "per_label.png"}
    assert os.listdir(tmp_path / "ml") == ["per_label.png"]
    # one mistake: the grid appears
    wrong = np.array(["a", "b", "b", "b"])
    written = plots_strict(tmp_path / "one", task="binary", y_pred=wrong, **common)
    assert_png(tmp_path / "one" / written["misclassified"])
    assert ink(tmp_path / "one" / "misclassified.png") > 0.4


def test_plot_write_is_atomic(tmp_path, monkeypatch):
    """A failure while rendering leaves the previous file intact and no temporary."""
    plots_strict(tmp_path, task="binary", history=[1.0, 0.5, 0.25])
    before = (tmp_path / "learning_curve.png").read_bytes()

    def broken_savefig(self, fname, **kwargs):
        Path(fname).write_bytes(b"\x89PNG half a file")
        raise OSError("disk full")

    monkeypatch.setattr(plots_module.Figure, "savefig", broken_savefig)
    with pytest.raises(OSError, match="disk full"):
        write_plots(tmp_path, task="binary", history=[3.0, 2.0])
    assert (tmp_path / "learning_curve.png").read_bytes() == before
    assert_no_temporaries(tmp_path)


# ------------------------------------------------------------------------ report
class PageParser(HTMLParser):
    """Collects tags and img attributes; checks that elements nest properly."""

    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.tags, self.imgs, self.errors = [], [], [], []
        self.doctype = None
        self.html_lang = None
        self.text = []

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "html":
            self.html_lang = dict(attrs).get("lang")
        if tag == "img":
            self.imgs.append(dict(attrs))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse_page(page):
    parser = PageParser()
    parser.feed(page)
    parser.close()
    assert not parser.errors and not parser.stack, (parser.errors, parser.stack)
    return parser


EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A complete binary run: metrics, four plots and the report."""
    folder = tmp_path_factory.mktemp("run")
    X, y = moons(seed=1)
    clf = NeuralNetClassifier(hidden_layer_sizes=(4,), max_iter=2000, random_state=0).fit(X, y)
    y_pred, proba = clf.predict(X), clf.predict_proba(X)
    metrics = compute_metrics("binary", y, y_pred, proba, class_names=clf.classes_)
    images = np.random.default_rng(2).random((len(y), 12 * 12 * 3))
    plots = plots_strict(
        folder,
        task="binary",
        history=clf.history_,
        y_true=y,
        y_pred=y_pred,
        class_names=clf.classes_,
        X2d=X,
        y2d=y,
        predict_fn=clf.predict,
        images=images,
        image_shape=(12, 12, 3),
        max_images=9,
    )
    settings = {
        "model": "NeuralNetClassifier",
        "hidden_layer_sizes": (4,),
        "note": EVIL,
        "data": 'moons "noisy" & <small>',
    }
    report = write_report(
        folder,
        title=f"Moons {EVIL}",
        settings=settings,
        metrics=metrics,
        plots=plots,
        history=clf.history_,
    )
    return folder, report, metrics, plots, settings


def test_report_page(run_dir):
    folder, report, metrics, plots, settings = run_dir
    assert report == folder / "report.html"
    page = report.read_text(encoding="utf-8")
    parser = parse_page(page)
    assert page.startswith("<!DOCTYPE html>") and parser.doctype.lower() == "doctype html"
    assert parser.html_lang == "en"
    metas = [attrs for tag, attrs in parser.tags if tag == "meta"]
    assert {"charset": "utf-8"} in metas
    assert any(m.get("name") == "viewport" for m in metas)
    # self-contained: no scripts, no external resources
    tags = {tag for tag, _ in parser.tags}
    assert not tags & {"script", "link", "iframe", "object", "embed"}
    for needle in ("http:", "https:", "url(", "@import"):
        assert needle not in page
    # every plot, once, as an img beside the page, with alt text
    srcs = [unquote(img["src"]) for img in parser.imgs]
    assert sorted(srcs) == sorted(plots.values())
    for img in parser.imgs:
        assert (folder / unquote(img["src"])).is_file()
        assert img.get("alt")
        assert (img["width"], img["height"]) == ("600", "450")
    assert page.count("<figcaption>") == len(plots)
    # metric values: the headline first, then the tables
    text = " ".join(parser.text)
    assert f"{metrics['accuracy']:.4f}" in text
    assert page.index(f"{metrics['accuracy']:.4f}") < page.index('id="plots"')
    for key in ("log_loss", "f1_macro", "precision_weighted", "recall_macro"):
        assert f"{metrics[key]:.4f}" in text
    for value in metrics["per_class"]["support"]:
        assert f">{value}<" in page
    assert "left" in text and "right" in text
    # user-provided text is escaped
    assert EVIL not in page
    assert html.escape(EVIL) in page
    assert "moons &quot;noisy&quot; &amp; &lt;small&gt;" in page
    assert f"Moons {EVIL}" in text  # the parser unescapes it back: shown as text
    assert_no_temporaries(folder)


def test_report_multilabel_headline_and_escaped_names(tmp_path):
    Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    Y_pred = np.array([[1, 0], [0, 0], [1, 1], [1, 0]])
    names = ["<b>bold</b>", "plain"]
    metrics = compute_metrics("multilabel", Y, Y_pred, class_names=names)
    plots = plots_strict(tmp_path, task="multilabel", y_true=Y, y_pred=Y_pred, class_names=names)
    report = write_report(tmp_path, title="ML", settings={}, metrics=metrics, plots=plots)
    page = report.read_text(encoding="utf-8")
    parse_page(page)
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    # the headline is the Hamming loss, before the subset accuracy and the tables
    assert page.index("Hamming loss") < page.index("Subset accuracy")
    assert f"{metrics['hamming_loss']:.4f}" in page
    assert 'src="per_label.png"' in page


def test_report_write_is_atomic(tmp_path, monkeypatch):
    report = write_report(tmp_path, title="first", settings={}, metrics={}, plots={})
    before = report.read_bytes()
    from logitlab import _atomic

    def broken_replace(src, dst):
        raise OSError("rename failed")

    monkeypatch.setattr(_atomic.os, "replace", broken_replace)
    with pytest.raises(OSError, match="rename failed"):
        write_report(tmp_path, title="second", settings={}, metrics={}, plots={})
    assert report.read_bytes() == before
    assert_no_temporaries(tmp_path)


# ---------------------------------------------------------------------- chromium
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]

# Injected only into a test copy of the page (the report itself has no script): after
# the load event, every <img> has either decoded or failed; report each one's size.
IMG_CHECK = """<script>
window.addEventListener("load", function () {
  var out = [];
  for (var i = 0; i < document.images.length; i++) {
    var im = document.images[i];
    out.push([im.getAttribute("src"), im.complete ? im.naturalWidth : -1,
              im.complete ? im.naturalHeight : -1]);
  }
  var pre = document.createElement("pre");
  pre.id = "imgcheck";
  pre.textContent = "IMGCHECK " + JSON.stringify(out);
  document.body.appendChild(pre);
  console.log("IMGCHECK-DONE");
});
</script>"""


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def start_chromium(chromium, profile, *args):
    return subprocess.Popen(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process):
    """(returncode, stdout, stderr) of a started Chromium."""
    try:
        out, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return process.returncode, out, err


def start_image_check(chromium, page, profile):
    """Load a copy of ``page`` with IMG_CHECK injected, beside it (same relative paths)."""
    probe = page.with_name("_imgcheck.html")
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", IMG_CHECK + "</body>"), encoding="utf-8"
    )
    return start_chromium(chromium, profile, "--dump-dom", probe.as_uri())


def image_sizes(process):
    """{src: (naturalWidth, naturalHeight)} from a finished image check (0, 0: broken)."""
    returncode, out, err = finish(process)
    assert returncode == 0, err[-3000:]
    # console messages do reach the log: the console checks on the page can fire
    assert "IMGCHECK-DONE" in err
    found = re.search(r'<pre id="imgcheck">IMGCHECK (.*?)</pre>', out, re.S)
    assert found, out[-2000:]
    return {src: (w, h) for src, w, h in json.loads(html.unescape(found.group(1)))}


def test_report_renders_in_chromium(run_dir, tmp_path):
    chromium = find_chromium()
    if chromium is None:
        pytest.skip(
            "Chromium not installed: report rendering not checked (apt-get install chromium)"
        )
    folder, report, _, plots, _ = run_dir
    site, broken = tmp_path / "site", tmp_path / "broken"
    shutil.copytree(folder, site)
    shutil.copytree(folder, broken)
    (broken / "confusion_matrix.png").unlink()  # the negative control
    shot = tmp_path / "shot.png"
    # three independent browsers, run side by side
    render = start_chromium(
        chromium,
        tmp_path / "profile1",
        f"--screenshot={shot}",
        "--window-size=1200,2000",
        (site / "report.html").as_uri(),
    )
    check = start_image_check(chromium, site / "report.html", tmp_path / "profile2")
    control = start_image_check(chromium, broken / "report.html", tmp_path / "profile3")

    # 1. the page itself renders and logs no console error and no failed load
    returncode, _, err = finish(render)
    assert returncode == 0, err[-3000:]
    console = [line for line in err.splitlines() if "CONSOLE" in line]
    for needle in ("Uncaught", "Failed to load resource", "ERR_FILE_NOT_FOUND"):
        assert needle not in err, console
    assert not console, console  # the page has no script: nothing should log at all
    assert_png(shot, size=(1200, 2000))

    # 2. every image loads, at its full size
    assert image_sizes(check) == {file: PNG_SIZE for file in plots.values()}

    # 3. negative control: with a PNG missing, the same check sees the broken image
    loaded = image_sizes(control)
    assert loaded["confusion_matrix.png"] == (0, 0)
    assert all(size == PNG_SIZE for src, size in loaded.items() if src != "confusion_matrix.png")
    assert len(loaded) == len(plots)
