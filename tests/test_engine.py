"""The NumPy engine: back-propagation, the loop reference, solvers and their history."""

import numpy as np
import pytest

from logitlab import functional as F
from logitlab import gradcheck
from logitlab.numpy_engine import Network, TrainConfig, loop_logistic_step
from logitlab.numpy_engine import train as engine_train
from logitlab.numpy_engine.solvers import Adam, Momentum, batches
from logitlab.spec import ModelSpec


def train(net, X, Y, *, X_val=None, Y_val=None, rng=None, callback=None, **settings):
    """The engine's train with its settings gathered into one TrainConfig."""
    config = TrainConfig(**settings)
    return engine_train(net, X, Y, config, X_val=X_val, Y_val=Y_val, rng=rng, callback=callback)


def _data(head, n_x=5, m=12, n_out=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    if head == "binary":
        Y = rng.integers(0, 2, (1, m)).astype(float)
    elif head == "softmax":
        Y = F.one_hot(rng.integers(0, n_out, m), n_out)
    else:
        Y = rng.integers(0, 2, (n_out, m)).astype(float)
    return X, Y


@pytest.mark.parametrize("head", ["binary", "softmax", "multilabel"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_gradcheck_depth_3(head, activation, alpha):
    n_out = 1 if head == "binary" else 3
    net = Network(ModelSpec(n_x=5, hidden=(6, 4), n_out=n_out, head=head, activation=activation))
    net.initialize("xavier", np.random.default_rng(1))
    X, Y = _data(head, n_out=n_out)
    err = gradcheck(net, X, Y, alpha=alpha)
    assert err < 1e-7, err


@pytest.mark.parametrize("head", ["binary", "softmax", "multilabel"])
def test_gradcheck_linear_models(head):
    n_out = 1 if head == "binary" else 4
    net = Network(ModelSpec(n_x=7, n_out=n_out, head=head))
    net.initialize("random", np.random.default_rng(2))
    X, Y = _data(head, n_x=7, n_out=n_out)
    assert gradcheck(net, X, Y, alpha=0.3) < 1e-7


def test_gradcheck_catches_a_wrong_gradient():
    net = Network(ModelSpec(n_x=4, hidden=(3,), n_out=1, head="binary"))
    net.initialize("he", np.random.default_rng(3))
    X, Y = _data("binary", n_x=4)
    original = net.layers[0].backward

    def wrong_backward(cache, dA=None, dZ=None, need_dA_prev=True):
        out = original(cache, dA=dA, dZ=dZ, need_dA_prev=need_dA_prev)
        net.layers[0].dW *= 1.01  # a 1% error in one layer
        return out

    net.layers[0].backward = wrong_backward
    assert gradcheck(net, X, Y) > 1e-4


def test_vectorized_step_equals_explicit_loop():
    rng = np.random.default_rng(4)
    n_x, m, lr = 20, 30, 0.1
    X = rng.standard_normal((n_x, m))
    Y = rng.integers(0, 2, (1, m)).astype(float)
    w0, b0 = rng.standard_normal(n_x) * 0.1, 0.3

    w_loop, b_loop, J_loop, dw_loop, db_loop = loop_logistic_step(
        list(w0), b0, X.tolist(), Y[0].tolist(), lr
    )

    net = Network(ModelSpec(n_x=n_x, n_out=1, head="binary"))
    net.W[0][:] = w0
    net.b[0][:] = b0
    J, grad = net.cost_and_grad(X, Y)
    np.testing.assert_allclose(net.dW[0].ravel(), dw_loop, rtol=1e-12, atol=1e-14)
    assert net.db[0].item() == pytest.approx(db_loop, rel=1e-12)
    assert J == pytest.approx(J_loop, rel=1e-12)
    net.theta -= lr * grad
    np.testing.assert_allclose(net.W[0].ravel(), w_loop, rtol=1e-12)
    assert net.b[0].item() == pytest.approx(b_loop, rel=1e-12)


def test_loop_reference_survives_extreme_logits():
    w, b, J, _, _ = loop_logistic_step([100.0], 0.0, [[50.0, -50.0]], [0, 1], 0.1)
    assert np.isfinite(J) and J == pytest.approx(5000.0)


# ------------------------------------------------------------------------------- solvers
def _logistic_problem(seed=5, m=60):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((3, m))
    Y = (X[0:1] + 0.5 * X[1:2] + 0.3 * rng.standard_normal((1, m)) > 0).astype(float)
    return X, Y


def test_gd_history_is_cost_before_each_update():
    X, Y = _logistic_problem()
    net = Network(ModelSpec(n_x=3, n_out=1, head="binary"))
    res = train(net, X, Y, solver="gd", learning_rate=0.5, max_iter=5, alpha=0.1)
    assert res.n_iter == len(res.history) == 5
    assert res.history[0] == pytest.approx(np.log(2))  # zero init: σ(0) = 0.5 everywhere
    # replay the notes' update by hand and compare every entry
    replay = Network(ModelSpec(n_x=3, n_out=1, head="binary"))
    for J in res.history:
        J_replay, grad = replay.cost_and_grad(X, Y, alpha=0.1)
        assert J == pytest.approx(J_replay, rel=1e-12)
        replay.theta -= 0.5 * grad
    np.testing.assert_allclose(net.theta, replay.theta, rtol=1e-12)
    assert all(a > b for a, b in zip(res.history, res.history[1:]))


def test_tol_zero_runs_all_iterations_and_tol_stops_early():
    X, Y = _logistic_problem()
    net = Network(ModelSpec(n_x=3, n_out=1, head="binary"))
    assert train(net, X, Y, solver="gd", learning_rate=1.0, max_iter=400, tol=0).n_iter == 400
    net = Network(ModelSpec(n_x=3, n_out=1, head="binary"))
    res = train(
        net, X, Y, solver="gd", learning_rate=1.0, max_iter=400, tol=1e-3, n_iter_no_change=3
    )
    assert res.converged and res.n_iter < 400


def test_minibatches_cover_every_example_once_per_epoch():
    rng = np.random.default_rng(0)
    parts = batches(103, 32, rng)
    assert [len(p) for p in parts] == [32, 32, 32, 7]
    np.testing.assert_array_equal(np.sort(np.concatenate(parts)), np.arange(103))


def test_minibatch_history_is_the_mean_batch_cost_of_each_epoch():
    X, Y = _logistic_problem(m=50)
    net = Network(ModelSpec(n_x=3, n_out=1, head="binary"))
    res = train(
        net,
        X,
        Y,
        solver="sgd",
        learning_rate=0.1,
        max_iter=3,
        batch_size=16,
        alpha=0.2,
        rng=np.random.default_rng(7),
    )
    assert len(res.history) == 3
    replay = Network(ModelSpec(n_x=3, n_out=1, head="binary"))
    rng = np.random.default_rng(7)
    for J in res.history:
        costs, sizes = [], []
        for idx in batches(50, 16, rng):
            # each mini-batch's penalty is divided by the full m = 50
            cost, grad = replay.cost_and_grad(X[:, idx], Y[:, idx], alpha=0.2, m_total=50)
            costs.append(cost)
            sizes.append(idx.shape[0])
            replay.theta -= 0.1 * grad
        assert J == pytest.approx(np.average(costs, weights=sizes), rel=1e-12)
    np.testing.assert_allclose(net.theta, replay.theta, rtol=1e-12)


def test_momentum_and_adam_update_rules():
    g1, g2 = np.array([1.0, -2.0]), np.array([3.0, 0.5])
    theta = np.zeros(2)
    opt = Momentum(0.1, momentum=0.9)
    opt.step(theta, g1)
    np.testing.assert_allclose(theta, -0.1 * g1)  # v starts at the first gradient
    opt.step(theta, g2)
    np.testing.assert_allclose(theta, -0.1 * g1 - 0.1 * (0.9 * g1 + 0.1 * g2))

    theta = np.zeros(2)
    adam = Adam(0.01)
    adam.step(theta, g1)  # first bias-corrected step has size lr in each coordinate
    np.testing.assert_allclose(theta, -0.01 * np.sign(g1), rtol=1e-6)
    adam.step(theta, g2)
    m = 0.9 * 0.1 * g1 + 0.1 * g2
    v = 0.999 * 0.001 * g1**2 + 0.001 * g2**2
    step2 = 0.01 * (m / (1 - 0.9**2)) / (np.sqrt(v / (1 - 0.999**2)) + 1e-8)
    np.testing.assert_allclose(theta, -0.01 * np.sign(g1) - step2, rtol=1e-6)


@pytest.mark.parametrize("solver", ["gd", "sgd", "momentum", "adam", "lbfgs"])
def test_every_solver_lowers_the_cost(solver):
    rng = np.random.default_rng(8)
    X = rng.standard_normal((4, 200))
    y = (X[0] * X[1] > 0).astype(int)  # XOR-like: needs the hidden layer
    net = Network(ModelSpec(n_x=4, hidden=(8,), n_out=2, head="softmax"))
    net.initialize("he", rng)
    lr = {"adam": 0.05, "lbfgs": None}.get(solver, 0.5)
    res = train(
        net,
        X,
        F.one_hot(y, 2),
        solver=solver,
        learning_rate=lr or 0.1,
        max_iter=150,
        batch_size=32 if solver == "sgd" else None,
        rng=rng,
    )
    final = net.cost(X, F.one_hot(y, 2))
    assert final < 0.6 * res.history[0]
    assert np.mean(np.argmax(net.predict_output(X), axis=0) == y) > 0.85


def test_lbfgs_history_and_full_batch_only():
    X, Y = _logistic_problem()
    net = Network(ModelSpec(n_x=3, n_out=1, head="binary"))
    res = train(net, X, Y, solver="lbfgs", max_iter=50, tol=1e-8)
    assert res.history[0] == pytest.approx(np.log(2))
    assert len(res.history) == res.n_iter
    assert res.converged
    with pytest.raises(ValueError, match="full batch"):
        train(net, X, Y, solver="lbfgs", batch_size=10)


def test_early_stopping_keeps_best_validation_parameters():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((30, 40))  # few examples, many features: it will overfit
    Y = rng.integers(0, 2, (1, 40)).astype(float)
    Xv = rng.standard_normal((30, 40))
    Yv = rng.integers(0, 2, (1, 40)).astype(float)
    net = Network(ModelSpec(n_x=30, hidden=(20,), n_out=1, head="binary"))
    net.initialize("he", rng)
    res = train(
        net,
        X,
        Y,
        solver="adam",
        learning_rate=0.01,
        max_iter=500,
        X_val=Xv,
        early_stopping=True,
        Y_val=Yv,
        n_iter_no_change=5,
    )
    assert res.stopped_early and res.n_iter < 500
    best = int(np.argmin(res.validation_history))
    assert res.best_iteration == best + 1
    assert net.cost(Xv, Yv) == pytest.approx(res.validation_history[best])


def test_divergence_is_reported():
    rng = np.random.default_rng(10)
    X = rng.standard_normal((3, 20)) * 1e3
    Y = rng.integers(0, 2, (1, 20)).astype(float)
    net = Network(ModelSpec(n_x=3, hidden=(5,), n_out=1, head="binary", activation="relu"))
    net.initialize("he", rng)
    res = train(net, X, Y, solver="gd", learning_rate=1e200, max_iter=20)
    # stopped where the cost or parameters stopped being finite, the last finite kept
    assert res.diverged_at is not None and res.diverged_at < 20
    assert len(res.history) == res.n_iter <= res.diverged_at + 1
    assert net.all_finite() and all(np.isfinite(res.history))


def test_divergence_is_a_convergence_warning_and_keeps_a_usable_model():
    from sklearn.exceptions import ConvergenceWarning

    from logitlab import NeuralNetClassifier

    rng = np.random.default_rng(10)
    X = rng.standard_normal((40, 3)) * 1e3
    y = (X[:, 0] > 0).astype(int)
    clf = NeuralNetClassifier((5,), solver="gd", learning_rate=1e200, max_iter=20, random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged at iteration"):
        clf.fit(X, y)
    assert np.all(np.isfinite(clf.predict_proba(X)))
    assert clf.n_iter_ == len(clf.history_) < 20


# -------------------------------------------------------------------------- initialisation
def test_initialisations():
    spec = ModelSpec(n_x=400, hidden=(300,), n_out=2, head="softmax")
    net = Network(spec)
    net.initialize("he", np.random.default_rng(0))
    assert net.W[0].std() == pytest.approx(np.sqrt(2 / 400), rel=0.05)
    net.initialize("xavier", np.random.default_rng(0))
    assert np.abs(net.W[0]).max() <= np.sqrt(6 / 700)
    assert net.W[0].std() == pytest.approx(np.sqrt(2 / 700), rel=0.05)
    net.initialize("random", np.random.default_rng(0))
    assert net.W[0].std() == pytest.approx(0.01, rel=0.05)
    assert not net.b[0].any()
    a = net.theta.copy()
    net.initialize("random", np.random.default_rng(0))
    np.testing.assert_array_equal(a, net.theta)
    with pytest.raises(ValueError, match="identical"):
        net.initialize("zeros")
    lin = Network(ModelSpec(n_x=3, n_out=2, head="softmax"))
    lin.initialize("auto")
    assert not lin.theta.any()


def test_parameters_are_views_of_one_vector():
    net = Network(ModelSpec(n_x=3, hidden=(4,), n_out=2, head="softmax"), dtype=np.float32)
    net.theta[:] = np.arange(net.theta.size)
    assert net.W[0].base is net.theta or np.shares_memory(net.W[0], net.theta)
    assert net.W[0][0, 0] == 0 and net.b[0][0, 0] == 12
    assert net.W[1].dtype == np.float32
    X = np.ones((3, 5), dtype=np.float32)
    assert net.predict_output(X).dtype == np.float32


# ------------------------------------------------------------ L-BFGS in the row space of X
def _wide(seed=11, m=40, n_x=300, classes=3):
    rng = np.random.default_rng(seed)
    X = rng.random((m, n_x))
    y = np.argmax(X[:, :classes] + 0.2 * rng.standard_normal((m, classes)), axis=1)
    return X, y


@pytest.mark.parametrize("early_stopping", [False, True])
def test_row_space_lbfgs_is_lbfgs_on_x(monkeypatch, early_stopping):
    from logitlab import SoftmaxRegression
    from logitlab.numpy_engine import rowspace

    X, y = _wide()
    kw = dict(
        tol=1e-10,
        max_iter=3000,
        early_stopping=early_stopping,
        random_state=0,
        n_iter_no_change=1000,
    )
    calls = []
    real = rowspace.train_in_row_space
    monkeypatch.setattr(rowspace, "train_in_row_space", lambda *a: calls.append(1) or real(*a))
    reduced = SoftmaxRegression(**kw).fit(X, y)
    assert calls, "300 features for 40 examples should train in the row space"
    monkeypatch.setattr(rowspace, "MIN_WIDTH_RATIO", 10**9)
    direct = SoftmaxRegression(**kw).fit(X, y)
    assert len(calls) == 1
    np.testing.assert_allclose(reduced.history_[:10], direct.history_[:10], rtol=1e-9)
    np.testing.assert_allclose(reduced.predict_proba(X), direct.predict_proba(X), atol=1e-6)
    np.testing.assert_allclose(reduced.coef_, direct.coef_, atol=1e-4)
    np.testing.assert_allclose(reduced.intercept_, direct.intercept_, atol=1e-4)
    if early_stopping:
        np.testing.assert_allclose(
            reduced.validation_history_[:10], direct.validation_history_[:10], rtol=1e-9
        )


def test_row_space_falls_back_on_repeated_examples():
    from logitlab import LogisticRegression
    from logitlab.numpy_engine import rowspace

    X, y = _wide(classes=2)
    X = np.vstack([X, X[:5]])  # repeated examples: the Gram matrix is singular
    y = np.concatenate([y, y[:5]])
    net = Network(ModelSpec(n_x=X.shape[1], n_out=1, head="binary"))
    assert rowspace.applies(net, X.T, "lbfgs")
    assert (
        rowspace.train_in_row_space(
            net, X.T, y[None, :].astype(float), None, lambda *a: pytest.fail("must not train")
        )
        is None
    )
    clf = LogisticRegression(tol=1e-8, max_iter=1000).fit(X, y)
    assert clf.score(X, y) == 1.0


def test_row_space_only_for_linear_lbfgs_from_zero():
    from logitlab.numpy_engine import rowspace

    X = np.zeros((300, 40))
    lin = Network(ModelSpec(n_x=300, n_out=3, head="softmax"))
    assert rowspace.applies(lin, X, "lbfgs")
    assert not rowspace.applies(lin, X, "gd")  # gd stays the notes' literal update
    assert not rowspace.applies(lin, X[:60], "lbfgs")  # not wide enough to pay off
    deep = Network(ModelSpec(n_x=300, hidden=(4,), n_out=3, head="softmax"))
    assert not rowspace.applies(deep, X, "lbfgs")
    lin.initialize("random", np.random.default_rng(0))
    assert not rowspace.applies(lin, X, "lbfgs")


# ------------------------------------------- weights, positive weights, dropout masks
@pytest.mark.parametrize("hidden", [(), (5,)])
def test_gradcheck_with_pos_weight_and_sample_weights(hidden):
    rng = np.random.default_rng(6)
    X, Y = _data("multilabel", n_x=4, m=12, n_out=3, seed=6)
    net = Network(ModelSpec(n_x=4, hidden=hidden, n_out=3, head="multilabel", activation="tanh"))
    net.initialize("xavier", rng)
    net.b[-1][:] = rng.standard_normal(net.b[-1].shape)
    p = np.array([[0.3], [2.0], [6.0]])
    w = rng.uniform(0.1, 3.0, 12)
    assert gradcheck(net, X, Y, alpha=0.4, pos_weight=p) < 1e-7
    assert gradcheck(net, X, Y, alpha=0.4, pos_weight=p, weights=w) < 1e-7


@pytest.mark.parametrize("head", ["binary", "softmax", "multilabel"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_gradcheck_with_fixed_dropout_masks(activation, head):
    rng = np.random.default_rng(8)
    n_out = 1 if head == "binary" else 3
    X, Y = _data(head, n_x=5, m=15, n_out=n_out, seed=8)
    net = Network(ModelSpec(n_x=5, hidden=(6, 4), n_out=n_out, head=head, activation=activation))
    net.initialize("xavier", rng)
    for b in net.b:  # b = 0 puts an example whose units were all dropped on ReLU's kink
        b[:] = rng.uniform(0.1, 0.5, b.shape) * rng.choice([-1, 1], b.shape)
    masks = net.dropout_masks(0.6, 15, rng)
    err, analytic, _ = gradcheck(net, X, Y, alpha=0.3, masks=masks, return_grads=True)
    assert err < 1e-7
    _, without = net.cost_and_grad(X, Y, alpha=0.3)
    assert not np.allclose(analytic, without)  # the masks do change the gradient


def test_dropout_masks_drop_the_asked_share_and_scale_the_rest():
    net = Network(ModelSpec(n_x=3, hidden=(50, 20), n_out=2, head="softmax"))
    masks = net.dropout_masks(0.7, 4000, np.random.default_rng(0))
    assert [D.shape for D in masks] == [(50, 4000), (20, 4000)]
    for D in masks:
        assert set(np.unique(D)) == {0.0, 1 / 0.7}
        assert (D == 0).mean() == pytest.approx(0.3, abs=0.01)


def test_train_refuses_bad_sample_weights():
    X, Y = _data("binary", n_x=3, m=5)
    net = Network(ModelSpec(n_x=3))
    for s, message in [
        (np.ones(4), "4 entries for 5 examples"),
        (np.array([1, 1, -1, 1, 1.0]), "non-negative"),
        (np.array([1, 1, np.nan, 1, 1.0]), "finite"),
        (np.zeros(5), "sums to 0"),
    ]:
        with pytest.raises(ValueError, match=message):
            engine_train(net, X, Y, TrainConfig(), sample_weight=s)


@pytest.mark.parametrize("copy_with", ["pickle", "deepcopy"])
def test_a_copied_network_keeps_its_parameters_as_views_of_theta(copy_with):
    """W[l], b[l] (and dW, db) are views into theta (and grad): a pickled or deep-copied
    network must keep them so, or a solver that updates theta would leave the layers
    that compute the forward pass unchanged."""
    import copy
    import pickle

    net = Network(ModelSpec(n_x=3, hidden=(4,), n_out=2, head="softmax"), dtype=np.float32)
    net.initialize("he", np.random.default_rng(0))
    twin = pickle.loads(pickle.dumps(net)) if copy_with == "pickle" else copy.deepcopy(net)
    assert twin.spec == net.spec and twin.dtype == np.float32
    np.testing.assert_array_equal(twin.theta, net.theta)
    assert not np.shares_memory(twin.theta, net.theta)
    for W, b, layer in zip(twin.W, twin.b, twin.layers):
        assert np.shares_memory(W, twin.theta) and np.shares_memory(b, twin.theta)
        assert layer.W is W and layer.b is b
    for dW, layer in zip(twin.dW, twin.layers):
        assert np.shares_memory(dW, twin.grad) and layer.dW is dW
    X = np.random.default_rng(1).standard_normal((3, 5)).astype(np.float32)
    before = twin.predict_output(X)
    twin.theta += 0.5
    assert not np.allclose(twin.predict_output(X), before)
    np.testing.assert_array_equal(net.predict_output(X), before)  # the original is apart
