"""logitlab explain: the notes' worked examples, with values from the engine."""

import math
import re
import shutil
import subprocess
import warnings

import numpy as np
import pytest
from click.testing import CliRunner

from logitlab.cli import cli
from logitlab.report.explain import (
    explain_logistic,
    explain_multilabel,
    explain_softmax,
    render_html,
    write_html,
)


def _bce(x, y, w, b):
    z = sum(wj * xj for wj, xj in zip(w, x)) + b
    a = 1 / (1 + math.exp(-z))
    return -(y * math.log(a) + (1 - y) * math.log(1 - a))


@pytest.mark.parametrize(
    "x, y, w, b, lr",
    [
        ([1.0, 2.0], 1, [0.1, 0.2], 0.0, 0.1),  # the defaults
        ([0.5, -1.5, 3.0], 0, [0.3, -0.2, 0.05], 0.7, 0.5),
    ],
)
def test_logistic_graph_matches_the_notes_formulas(x, y, w, b, lr):
    e = explain_logistic(x, y, w, b, lr)
    z = sum(wj * xj for wj, xj in zip(w, x)) + b
    a = 1 / (1 + math.exp(-z))
    assert e.value("z") == pytest.approx(z, abs=1e-15)
    assert e.value("a") == pytest.approx(a, rel=1e-14)
    assert e.value("L") == pytest.approx(_bce(x, y, w, b), rel=1e-12)
    assert e.value("da") == pytest.approx(-y / a + (1 - y) / (1 - a), rel=1e-12)
    assert e.value("dz") == pytest.approx(a - y, abs=1e-14)  # dz = a − y
    for j, xj in enumerate(x):
        assert e.value(f"dw{j + 1}") == pytest.approx(xj * (a - y), abs=1e-14)
        assert e.value(f"w{j + 1} new") == pytest.approx(w[j] - lr * xj * (a - y), abs=1e-14)
    assert e.value("db") == pytest.approx(a - y, abs=1e-14)
    assert e.value("b new") == pytest.approx(b - lr * (a - y), abs=1e-14)
    # and the back-propagated dw is the slope of L: central differences
    h = 1e-6
    for j in range(len(w)):
        wp, wm = list(w), list(w)
        wp[j] += h
        wm[j] -= h
        slope = (_bce(x, y, wp, b) - _bce(x, y, wm, b)) / (2 * h)
        assert e.value(f"dw{j + 1}") == pytest.approx(slope, rel=1e-6, abs=1e-9)


def test_softmax_reproduces_the_notes_example():
    e = explain_softmax([5, 2, -1, 3], y=0)
    np.testing.assert_array_equal(e.value("a").round(3), [0.842, 0.042, 0.002, 0.114])
    np.testing.assert_allclose(e.value("t"), np.exp([5, 2, -1, 3]))
    assert e.value("sum") == pytest.approx(np.exp([5, 2, -1, 3]).sum())
    np.testing.assert_array_equal(e.value("hard max"), [1, 0, 0, 0])
    assert e.value("a").sum() == pytest.approx(1.0)
    assert e.value("L") == pytest.approx(-math.log(e.value("a")[0]), rel=1e-12)
    np.testing.assert_allclose(e.value("dz"), e.value("a") - [1, 0, 0, 0], atol=1e-15)


def test_multilabel_reproduces_the_notes_example():
    e = explain_multilabel(a=[0.6, 0.7, 0.4], y=[1, 0, 1])
    assert round(e.value("L"), 2) == 2.63
    assert e.value("L") == pytest.approx(-(math.log(0.6) + math.log(0.3) + math.log(0.4)))
    assert e.value("sum a") == pytest.approx(1.7)  # not 1: independent sigmoids
    np.testing.assert_allclose(e.value("dz"), [0.6 - 1, 0.7, 0.4 - 1], atol=1e-12)
    from_z = explain_multilabel(z=e.value("z"), y=[1, 0, 1])
    assert from_z.value("L") == pytest.approx(e.value("L"), rel=1e-12)


def test_extreme_inputs_stay_finite_and_quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e = explain_logistic([1000.0], 0, [1.0], 0.0, 0.1)
        assert math.isfinite(e.value("L")) and e.value("L") == pytest.approx(1000.0)
        s = explain_softmax([1000.0, 0.0, -1000.0], y=2)
        assert s.value("L") == pytest.approx(2000.0)
        assert np.all(np.isfinite(s.value("t")))
        m = explain_multilabel(z=[800.0, -800.0], y=[0, 1])
        assert m.value("L") == pytest.approx(1600.0)


@pytest.mark.parametrize(
    "call, needle",
    [
        (lambda: explain_logistic([1, 2], 1, [0.1], 0, 0.1), "w has 1 values but x has 2"),
        (lambda: explain_logistic([1], 2, [0.1], 0, 0.1), "y must be"),
        (lambda: explain_logistic([1], 1, [0.1], 0, -1), "learning rate"),
        (lambda: explain_softmax([1, 2], y=2), "class index from 0 to 1"),
        (lambda: explain_softmax([1], y=0), "at least 2 classes"),
        (lambda: explain_multilabel(z=[1], a=[0.5], y=[1]), "not both"),
        (lambda: explain_multilabel(a=[1.0, 0.5], y=[1, 0]), "strictly between 0 and 1"),
        (lambda: explain_multilabel(z=[1, 2], y=[1, 2]), "labels of 0 or 1"),
        (lambda: explain_logistic([float("nan")], 1, [0.1], 0, 0.1), "finite"),
    ],
)
def test_bad_input_names_the_problem(call, needle):
    with pytest.raises(ValueError, match=re.escape(needle)):
        call()


def test_html_page_draws_every_node_and_derivative(tmp_path):
    e = explain_logistic()
    page = write_html(e, tmp_path / "graph.html").read_text(encoding="utf-8")
    assert page.count('<g class="node"') == len(e.nodes) == 8
    assert page.count("<line ") == len(e.edges)
    for text in (
        "dw1 = -0.3775",
        "dw2 = -0.7551",
        "db = -0.3775",
        "dz = -0.3775",
        "0.6225",
        "0.4741",
    ):
        assert text in page, text
    # every box lies inside the drawing
    width, height = map(float, re.search(r'<svg [^>]*width="(\d+)" height="(\d+)"', page).groups())
    for x, y, w, h in re.findall(r'<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"', page):
        assert 0 <= float(x) and float(x) + float(w) <= width
        assert 0 <= float(y) and float(y) + float(h) <= height
    assert "&lt;" not in render_html(explain_softmax())  # nothing double-escaped


def test_html_renders_in_chromium_without_console_errors(tmp_path):
    chromium = next(
        (
            shutil.which(n)
            for n in ("chromium", "chromium-browser", "google-chrome")
            if shutil.which(n)
        ),
        None,
    )
    if chromium is None:
        pytest.skip("Chromium not installed: explain page rendering not checked")
    page = write_html(explain_softmax(), tmp_path / "softmax.html")
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "CONSOLE" not in result.stderr and "Uncaught" not in result.stderr
    assert result.stdout.count('class="node"') == 13  # 4 z, 4 t, 4 a, L


def test_cli_prints_the_steps_and_writes_the_page(tmp_path):
    runner = CliRunner()
    r = runner.invoke(
        cli,
        [
            "explain",
            "logistic",
            "--x",
            "1,2",
            "--y",
            "1",
            "--w",
            "0.1,0.2",
            "--b",
            "0",
            "--lr",
            "0.1",
            "--html",
            str(tmp_path / "g.html"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "−[y ln a + (1 − y) ln(1 − a)]" in r.output  # not eaten as rich markup
    for value in ("0.6225", "-0.3775", "-0.7551", "0.1378", "0.2755", "0.0378"):
        assert value in r.output, value
    assert (tmp_path / "g.html").is_file()
    r = runner.invoke(cli, ["explain", "softmax"], env={"COLUMNS": "200"})  # no wrapping
    assert r.exit_code == 0 and "(0.842, 0.0419, 0.0021, 0.114)" in r.output
    r = runner.invoke(cli, ["explain", "multilabel"], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "2.631" in r.output
    for args, needle in (
        (["explain", "logistic", "--w", "1"], "w has 1 values"),
        (["explain", "softmax", "--z", "1,x"], "numbers separated"),
        (["explain", "softmax", "--y", "7"], "class index"),
    ):
        r = runner.invoke(cli, args)
        assert r.exit_code == 2, r.output
        err = r.stderr.strip()
        assert len(err.splitlines()) == 1 and needle in err, err


def test_cli_bench_vectorization_measures_both_demos():
    import json

    r = CliRunner().invoke(
        cli,
        [
            "bench",
            "vectorization",
            "--n",
            "20000",
            "--n-x",
            "50",
            "--m",
            "40",
            "--repeat",
            "1",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["dot"]["max_difference"] < 1e-6 and out["step"]["max_difference"] < 1e-12
    # the speed itself is measured by bench/ (make bench), never by a timed unit test:
    # on a loaded machine even the direction can flip at this size
    for part in ("dot", "step"):
        d = out[part]
        assert d["loop_seconds"] > 0 and d["vectorized_seconds"] > 0
        assert d["ratio"] == pytest.approx(d["loop_seconds"] / d["vectorized_seconds"])
    r = CliRunner().invoke(
        cli, ["bench", "vectorization", "--n", "20000", "--n-x", "50", "--m", "40", "--repeat", "1"]
    )
    assert "slower" in r.output and "np.dot" in r.output


def test_cli_plot_commands_write_their_pictures(tmp_path):
    from PIL import Image

    runner = CliRunner()
    out = tmp_path / "pics"
    cases = [
        (["plot", "activations", "--z", "1,2,3"], "activations.png", "σ(4.6) = 0.9900"),
        (
            ["plot", "loss-landscape", "--data", "digits", "--positive", "3"],
            "loss_landscape.png",
            "(non-convex)",
        ),
        (["plot", "boundaries", "--data", "blobs"], "boundaries.png", "test accuracy"),
        (
            [
                "plot",
                "learning-rates",
                "--data",
                "breast_cancer",
                "--lr",
                "0.1,0.01",
                "--epochs",
                "200",
            ],
            "learning_rates.png",
            "lr 0.01: final cost",
        ),
    ]
    for args, name, needle in cases:
        r = runner.invoke(cli, args + ["--out", str(out)], env={"COLUMNS": "200"})
        assert r.exit_code == 0, (args, r.output, r.stderr)
        assert needle in r.output, r.output
        with Image.open(out / name) as im:
            assert im.format == "PNG" and min(im.size) >= 300
    assert (
        "cross-entropy"
        in runner.invoke(
            cli, ["plot", "loss-landscape", "--data", "breast_cancer", "--out", str(out)]
        ).output
    )
    for args, needle in (
        (["plot", "loss-landscape", "--data", "digits"], "--positive"),
        (["plot", "boundaries", "--data", "iris"], "exactly 2"),
        (
            ["plot", "learning-rates", "--data", "iris", "--lr", "0"],
            "positive finite number, got 0.0",
        ),
    ):
        r = runner.invoke(cli, args + ["--out", str(out)])
        assert r.exit_code == 2, (args, r.output)
        err = r.stderr.strip()
        assert len(err.splitlines()) == 1 and needle in err, err
