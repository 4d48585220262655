"""The learning-rate range test (numpy_engine.lr_find) and learning_rate="auto"."""

import json
import warnings

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from logitlab import LogisticRegression, MultiLabelClassifier, NeuralNetClassifier
from logitlab.cli import cli
from logitlab.io import load_model, save_model
from logitlab.numpy_engine import (
    LRFinderResult,
    Network,
    find_learning_rate,
    lr_find,
    suggest_learning_rate,
)
from logitlab.run import Progress, RunError, RunSettings, resume_run, train_run
from logitlab.spec import ModelSpec, TrainConfig


@pytest.fixture(scope="module")
def binary():
    """A standardised binary problem a logistic regression learns well."""
    X, y = make_classification(400, 10, n_informative=6, class_sep=1.0, flip_y=0.02, random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600] / 16.0, y[:600]


def logistic_net(n_x):
    return Network(ModelSpec(n_x=n_x))


# ------------------------------------------------------------------ the range test
def test_found_rate_beats_rates_100x_smaller_and_larger(binary):
    """On logistic regression with full-batch gradient descent, training for a few
    epochs at the rate found reaches a lower cost than at 1/100 and 100x of it."""
    X, y = binary
    found = find_learning_rate(logistic_net(X.shape[1]), X.T, y[None].astype(float),
                               TrainConfig(solver="gd"))  # fmt: skip
    costs = {}
    for factor in (0.01, 1.0, 100.0):
        clf = LogisticRegression(solver="gd", learning_rate=found.learning_rate * factor,
                                 max_iter=20, tol=0)  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        costs[factor] = clf.network_.cost(X.T, y[None].astype(float))
    assert costs[1.0] < costs[0.01] and costs[1.0] < costs[100.0], costs


def test_curve_rates_rise_exponentially_and_the_suggestion_is_on_it(binary):
    X, y = binary
    r = find_learning_rate(logistic_net(X.shape[1]), X.T, y[None].astype(float),
                           TrainConfig(solver="adam", batch_size=50), rng=0)  # fmt: skip
    assert r.rates.shape == r.costs.shape and len(r.rates) >= 10
    assert r.rates[0] == pytest.approx(lr_find.MIN_LR)
    ratios = r.rates[1:] / r.rates[:-1]
    assert np.all(ratios > 1) and np.allclose(ratios, ratios[0])
    assert np.all(np.isfinite(r.costs))
    assert r.learning_rate in r.rates
    # the suggestion is the steepest descent of the recorded curve, as the rule says
    assert r.learning_rate == suggest_learning_rate(r.rates, r.costs)


def test_divergence_stops_the_test_early_without_warnings(binary):
    """Features scaled by 1e4: full-batch GD diverges at small rates; the test stops
    there, silently (RuntimeWarnings are errors in this suite), with finite costs."""
    X, y = binary
    X = X * 1e4
    net = logistic_net(X.shape[1])
    r = find_learning_rate(net, X.T, y[None].astype(float), TrainConfig(solver="gd"))
    assert r.diverged and len(r.rates) < lr_find.NUM_STEPS
    assert np.all(np.isfinite(r.costs))
    assert r.costs[-1] > lr_find.DIVERGENCE * r.costs.min() or len(r.rates) < 3
    assert r.learning_rate < 1e-3  # rates beyond the divergence are never suggested
    assert np.all(net.theta == 0)


def test_an_immediately_diverging_test_falls_back_to_the_smallest_rate():
    X = np.array([[1e200, -1e200, 1e200, -1e200]])
    Y = np.array([[1.0, 0.0, 1.0, 0.0]])
    r = find_learning_rate(logistic_net(1), X, Y, TrainConfig(solver="gd"))
    assert r.diverged and r.learning_rate == lr_find.MIN_LR
    assert np.all(np.isfinite(r.costs))


def test_the_network_is_left_as_it_was(digits):
    X, y = digits
    net = Network(ModelSpec(n_x=64, hidden=(8,), n_out=10, head="softmax"))
    net.initialize("he", np.random.default_rng(0))
    before = net.theta.copy()
    config = TrainConfig(solver="momentum", batch_size=32, dropout=0.2)
    find_learning_rate(net, X.T, np.eye(10)[y].T, config, rng=1)
    assert np.array_equal(net.theta, before)


def test_integer_sample_weights_equal_repeated_examples(binary):
    """Full batch: weights of 2 and duplicated rows give the same costs, so the same curve."""
    X, y = binary
    Y = y[None].astype(float)
    w = np.where(np.arange(len(y)) % 3 == 0, 2.0, 1.0)
    reps = w.astype(int)
    weighted = find_learning_rate(logistic_net(10), X.T, Y, TrainConfig(solver="adam"),
                                  sample_weight=w)  # fmt: skip
    X_rep, Y_rep = np.repeat(X, reps, axis=0).T, np.repeat(Y, reps, axis=1)
    repeated = find_learning_rate(logistic_net(10), X_rep, Y_rep, TrainConfig(solver="adam"))
    plain = find_learning_rate(logistic_net(10), X.T, Y, TrainConfig(solver="adam"))
    np.testing.assert_allclose(weighted.costs, repeated.costs, rtol=1e-10)
    assert not np.allclose(weighted.costs, plain.costs)


def test_suggestion_rule_and_its_fallback():
    rates = np.logspace(-5, 0, 51)
    costs = 2.0 - np.tanh(3 * np.log10(rates / 1e-3))  # falls fastest at 1e-3
    assert suggest_learning_rate(rates, costs) == pytest.approx(1e-3)
    # too few points after skipping: the lowest cost's rate / 10, not below the first
    coarse = np.logspace(-5, 0, 11)[:8]
    assert suggest_learning_rate(coarse, -coarse) == pytest.approx(coarse[7] / 10)
    assert suggest_learning_rate(coarse, coarse) == coarse[0]
    assert suggest_learning_rate(np.array([1e-6]), np.array([np.nan])) == 1e-6


def test_bad_arguments_and_lbfgs_are_refused(binary):
    X, y = binary
    args = (logistic_net(10), X.T, y[None].astype(float))
    with pytest.raises(ValueError, match="L-BFGS"):
        find_learning_rate(*args, TrainConfig(solver="lbfgs"))
    with pytest.raises(ValueError, match="min_lr"):
        find_learning_rate(*args, TrainConfig(), min_lr=1.0, max_lr=0.1)
    with pytest.raises(ValueError, match="smoothing"):
        find_learning_rate(*args, TrainConfig(), smoothing=1.0)


def test_result_round_trips_through_its_dict_and_refuses_bad_ones():
    r = LRFinderResult(np.array([1e-3, 1e-2]), np.array([0.7, 0.5]), 1e-2, False)
    back = LRFinderResult.from_dict(json.loads(json.dumps(r.to_dict())))
    assert np.array_equal(back.rates, r.rates) and back.learning_rate == 1e-2
    for bad in ({"rates": [1e-3], "costs": [0.1, 0.2]}, {"rates": [-1.0, 1.0]},
                {"costs": [np.nan, 1.0]}, {"learning_rate": 0.0}, {"diverged": "no"}):  # fmt: skip
        with pytest.raises(ValueError):
            LRFinderResult.from_dict({**r.to_dict(), **bad})


# -------------------------------------------------------------------- estimators
def test_auto_fit_equals_a_fit_with_the_found_rate(digits):
    """The finder leaves the parameters, the optimiser and the generator as they were:
    training with "auto" is training with learning_rate_ (sample weights, dropout and
    mini-batches included)."""
    X, y = digits
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    kw = dict(hidden_layer_sizes=(16,), solver="adam", batch_size=64, dropout=0.1,
              max_iter=4, tol=0, random_state=0)  # fmt: skip
    auto = NeuralNetClassifier(learning_rate="auto", **kw).fit(X, y, sample_weight=w)
    fixed = NeuralNetClassifier(learning_rate=auto.learning_rate_, **kw).fit(X, y, sample_weight=w)
    assert isinstance(auto.lr_finder_, LRFinderResult)
    assert auto.learning_rate_ == auto.lr_finder_.learning_rate
    assert fixed.lr_finder_ is None and fixed.learning_rate_ == auto.learning_rate_
    np.testing.assert_allclose(auto.network_.theta, fixed.network_.theta, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(auto.history_, fixed.history_)


@pytest.mark.parametrize("solver", ["gd", "sgd", "momentum"])
def test_linear_models_take_auto_with_their_gradient_solvers(binary, solver):
    X, y = binary
    batch = None if solver == "gd" else 50
    clf = LogisticRegression(solver=solver, learning_rate="auto", batch_size=batch,
                             max_iter=30, tol=0, random_state=0).fit(X, y)  # fmt: skip
    assert clf.learning_rate_ > lr_find.MIN_LR and clf.score(X, y) > 0.8
    Y = np.column_stack([y, 1 - y, X[:, 0] > 0]).astype(int)
    ml = MultiLabelClassifier(solver=solver, learning_rate="auto", batch_size=batch,
                              max_iter=30, tol=0, random_state=0).fit(X, Y)  # fmt: skip
    assert ml.lr_finder_ is not None


def test_both_engines_find_the_same_rate(digits):
    pytest.importorskip("torch")
    X, y = digits
    kw = dict(hidden_layer_sizes=(16,), solver="adam", batch_size=64, max_iter=2, tol=0,
              random_state=0, learning_rate="auto")  # fmt: skip
    numpy_fit = NeuralNetClassifier(engine="numpy", **kw).fit(X, y)
    torch_fit = NeuralNetClassifier(engine="torch", device="cpu", **kw).fit(X, y)
    assert torch_fit.learning_rate_ == numpy_fit.learning_rate_
    np.testing.assert_allclose(torch_fit.network_.theta, numpy_fit.network_.theta, atol=1e-6)


def test_auto_is_refused_with_lbfgs_and_other_strings(binary):
    X, y = binary
    with pytest.raises(ValueError, match="L-BFGS takes none"):
        LogisticRegression(solver="lbfgs", learning_rate="auto").fit(X, y)
    with pytest.raises(InvalidParameterError):
        LogisticRegression(learning_rate="fast").fit(X, y)


def test_warm_start_and_partial_fit_reuse_the_first_rate(binary, monkeypatch):
    X, y = binary
    calls = []
    real = lr_find.find_learning_rate

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr("logitlab.numpy_engine.find_learning_rate", counted)
    clf = LogisticRegression(solver="adam", learning_rate="auto", max_iter=3, tol=0,
                             warm_start=True, random_state=0)  # fmt: skip
    clf.fit(X, y)
    first, finder = clf.learning_rate_, clf.lr_finder_
    clf.fit(X, y)
    assert len(calls) == 1 and clf.learning_rate_ == first and clf.lr_finder_ is finder
    online = LogisticRegression(solver="sgd", batch_size=50, learning_rate="auto", random_state=0)
    for _ in range(3):
        online.partial_fit(X, y, classes=[0, 1])
    assert len(calls) == 2 and online.n_iter_ == 3
    assert online.learning_rate_ == online.lr_finder_.learning_rate


def test_model_files_keep_the_found_rate_and_its_curve(binary, tmp_path):
    X, y = binary
    clf = LogisticRegression(solver="adam", learning_rate="auto", max_iter=3, tol=0,
                             random_state=0).fit(X, y)  # fmt: skip
    save_model(clf, tmp_path / "m.safetensors")
    back = load_model(tmp_path / "m.safetensors")
    assert back.learning_rate == "auto" and back.learning_rate_ == clf.learning_rate_
    np.testing.assert_array_equal(back.lr_finder_.costs, clf.lr_finder_.costs)
    fixed = LogisticRegression(learning_rate=0.05, max_iter=3, tol=0).fit(X, y)
    save_model(fixed, tmp_path / "f.safetensors")
    again = load_model(tmp_path / "f.safetensors")
    assert again.learning_rate_ == 0.05 and again.lr_finder_ is None


# ---------------------------------------------------------------------------- runs
def test_cli_lr_auto_trains_and_reports_the_finder(tmp_path):
    out = tmp_path / "run"
    r = CliRunner().invoke(cli, ["train", "--data", "iris", "--model", "mlp", "--hidden", "8",
                                 "--solver", "adam", "--lr", "auto", "--epochs", "5",
                                 "--out", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    metrics = json.loads((out / "metrics.json").read_text())
    found = metrics["learning_rate_found"]
    assert found == metrics["lr_finder"]["learning_rate"] > 0
    assert json.loads((out / "settings.json").read_text())["lr"] == "auto"
    assert (out / "lr_finder.png").is_file()
    html = (out / "report.html").read_text()
    assert 'src="lr_finder.png"' in html and "Learning-rate range test" in html
    assert load_model(out / "model.safetensors").learning_rate_ == found


def test_one_vs_all_runs_record_each_class_rate(tmp_path):
    out = tmp_path / "run"
    args = ["train", "--data", "iris", "--model", "one-vs-all", "--solver", "adam",
            "--lr", "auto", "--epochs", "3", "--out", str(out)]  # fmt: skip
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    rates = json.loads((out / "metrics.json").read_text())["learning_rates_found"]
    model = load_model(out / "model.safetensors")
    assert rates == [sub.learning_rate_ for sub in model.estimators_] and len(rates) == 3


@pytest.mark.parametrize(
    "args, needle",
    [(["--solver", "lbfgs", "--lr", "auto"], "takes none"),
     (["--lr", "auto"], "lbfgs"),  # the linear model's default solver
     (["--lr", "fast"], "'auto'"),
     (["--lr", "-1"], "'auto'")],
)  # fmt: skip
def test_cli_refuses_lr_auto_where_it_cannot_apply(tmp_path, args, needle):
    out = tmp_path / "run"
    r = CliRunner().invoke(cli, ["train", "--data", "iris", *args, "--out", str(out)])
    assert r.exit_code != 0 and needle in r.output
    assert "Traceback" not in r.output and not out.exists()


def test_settings_round_trip_auto_and_refuse_other_strings():
    s = RunSettings(data="iris", lr="auto")
    assert RunSettings.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    with pytest.raises(RunError, match="'auto'"):
        RunSettings(data="iris", lr="fast")


class _StopAfter(Progress):
    def __init__(self, n):
        self.n = n

    def update(self, done, cost, validation_cost=None):
        if done >= self.n:
            raise KeyboardInterrupt


def test_a_resumed_lr_auto_run_keeps_the_found_rate_exactly(tmp_path, monkeypatch):
    from logitlab.run import Interrupted

    settings = RunSettings(data="iris", model="mlp", hidden=(8,), solver="sgd", batch_size=16,
                           lr="auto", epochs=12, tol=0)  # fmt: skip
    whole = train_run(settings, tmp_path / "whole").estimator
    with pytest.raises(Interrupted):
        train_run(settings, tmp_path / "cut", _StopAfter(4))

    def refuse(*args, **kwargs):
        raise AssertionError("a resumed run must not run the range test again")

    monkeypatch.setattr("logitlab.numpy_engine.find_learning_rate", refuse)
    resumed = resume_run(tmp_path / "cut").estimator
    assert resumed.learning_rate_ == whole.learning_rate_
    np.testing.assert_array_equal(resumed.network_.theta, whole.network_.theta)
    assert (tmp_path / "cut" / "lr_finder.png").is_file()


def test_model_files_refuse_a_bad_learning_rate_record():
    from logitlab.io import ModelFileError, _decode_learning_rate

    good = LRFinderResult(np.array([1e-3, 1e-2]), np.array([0.7, 0.5]), 1e-2, False).to_dict()
    assert _decode_learning_rate({}, "f", "model") == (None, None)  # files from before
    rate, finder = _decode_learning_rate({"learning_rate": 0.5, "lr_finder": good}, "f", "m")
    assert rate == 0.5 and finder.learning_rate == 1e-2
    for bad in ({"learning_rate": -1.0}, {"learning_rate": True}, {"learning_rate": "auto"},
                {"lr_finder": {"rates": [1.0]}}, {"lr_finder": [1, 2]},
                {"lr_finder": {**good, "costs": [float("nan"), 1.0]}},
                {"lr_finder": {**good, "rates": [[1.0], [2.0]]}}):  # fmt: skip
        with pytest.raises(ModelFileError, match="learning_rate|lr_finder"):
            _decode_learning_rate(bad, "f", "model")
