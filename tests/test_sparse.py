"""Sparse X (scipy.sparse) in the estimators and both engines: the same models as the
dense X they stand for, never densified, memory growing with the non-zeros."""

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning

from _sparse_trap import refuse_densifying
from logitlab import (
    LogisticRegression,
    MultiLabelClassifier,
    NeuralNetClassifier,
    OneVsAllClassifier,
    SoftmaxRegression,
)
from logitlab.estimators import choose_engine
from logitlab.numpy_engine import Network, gradcheck
from logitlab.spec import ModelSpec


@pytest.fixture(scope="module")
def data():
    """A small bag-of-words-like set: 0/1 features (about 28% stored), 4 labels."""
    X, Y = make_multilabel_classification(
        n_samples=300,
        n_features=150,
        n_classes=4,
        sparse=True,
        return_indicator="dense",
        random_state=0,
    )
    X = sp.csr_array((X > 0).astype(np.float64))
    assert 0.05 < X.nnz / (300 * 150) < 0.5
    return {
        "X": X,
        "binary": Y[:, 0],
        "softmax": Y[:, :2] @ [1, 2],  # 4 classes
        "multilabel": Y,
    }


@pytest.fixture(autouse=True)
def _quiet():
    # short fits on purpose; whether they converged is not what these tests ask
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _fit(est, X, y, **kw):
    return clone(est).fit(X, y, **kw)


def _with(est, **params):
    """A copy of ``est`` with ``params`` set (the module's instances stay as they are)."""
    return clone(est).set_params(**params)


def _theta(est):
    if isinstance(est, OneVsAllClassifier):
        return np.concatenate([e.network_.theta for e in est.estimators_])
    return est.network_.theta


GD = dict(solver="gd", learning_rate=0.5, max_iter=30, tol=0, alpha=0.1, random_state=0)
MINI = dict(batch_size=32, max_iter=6, tol=0, random_state=3)
SAME_MODEL = [
    ("binary", LogisticRegression(**GD)),
    # L-BFGS amplifies rounding over its iterations (its line search branches on it):
    # 20 iterations stay within 1e-12
    ("softmax", SoftmaxRegression(tol=0, max_iter=20)),
    ("multilabel", MultiLabelClassifier(solver="adam", learning_rate=0.05, **MINI)),
    (
        "multilabel",
        MultiLabelClassifier(
            solver="adam",
            early_stopping=True,
            validation_scoring="hamming",
            pos_weight="balanced",
            **{**MINI, "max_iter": 15},
        ),
    ),
    (
        "softmax",
        NeuralNetClassifier((8,), solver="momentum", dropout=0.1, class_weight="balanced", **MINI),
    ),
    (
        "binary",
        NeuralNetClassifier(
            (8, 5), activation="tanh", solver="lbfgs", tol=0, max_iter=20, random_state=0
        ),
    ),
    ("multilabel", NeuralNetClassifier((8,), learning_rate="auto", early_stopping=False, **MINI)),
    ("softmax", OneVsAllClassifier(LogisticRegression(solver="sgd", learning_rate=0.1, **MINI))),
]


@pytest.mark.parametrize("task, est", SAME_MODEL, ids=lambda v: v if isinstance(v, str) else "")
def test_sparse_and_dense_x_train_the_same_model(data, task, est):
    """On the NumPy engine, in float64, with the same seed: the same parameters (to
    1e-10), history and predictions from CSR as from its dense copy."""
    X, y = data["X"], data[task]
    if not isinstance(est, OneVsAllClassifier):
        est = _with(est, engine="numpy")
    weights = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[0])
    kw = {} if isinstance(est, OneVsAllClassifier) else {"sample_weight": weights}
    a = _fit(est, X, y, **kw)
    b = _fit(est, X.toarray(), y, **kw)
    np.testing.assert_allclose(_theta(a), _theta(b), rtol=0, atol=1e-10)
    if hasattr(a, "history_") and not isinstance(est, OneVsAllClassifier):
        np.testing.assert_allclose(a.history_, b.history_, rtol=1e-12)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X.toarray()), atol=1e-12)
    np.testing.assert_array_equal(a.predict(X), a.predict(X.toarray()))
    np.testing.assert_allclose(a.decision_function(X), a.decision_function(X.toarray()), atol=1e-12)


def test_every_sparse_format_and_dtype_trains_as_csr(data):
    X, y = data["X"], data["multilabel"]
    est = MultiLabelClassifier(solver="adam", learning_rate=0.05, engine="numpy", **MINI)
    ref = _fit(est, X, y).network_.theta
    for other in (X.tocsc(), X.tocoo(), sp.csr_matrix(X), X.todok(), X.tolil()):
        np.testing.assert_array_equal(_fit(est, other, y).network_.theta, ref)
    f32 = _fit(_with(est, dtype="float32"), X, y)  # float64 X, converted
    assert f32.network_.theta.dtype == np.float32
    np.testing.assert_allclose(f32.network_.theta, ref, atol=1e-4)
    np.testing.assert_allclose(f32.predict_proba(X), f32.predict_proba(X.toarray()), atol=1e-6)


def test_sparse_validation_data_and_partial_fit(data):
    X, y = data["X"], data["softmax"]
    Xv, yv = X[:80], y[:80]
    est = SoftmaxRegression(solver="adam", learning_rate=0.05, engine="numpy", **MINI)
    a = _fit(est, X[80:], y[80:], X_val=Xv, y_val=yv)
    b = _fit(est, X[80:].toarray(), y[80:], X_val=Xv.toarray(), y_val=yv)
    np.testing.assert_allclose(a.validation_history_, b.validation_history_, rtol=1e-12)
    mixed = _fit(est, X[80:], y[80:], X_val=Xv.toarray(), y_val=yv)  # dense X_val, sparse X
    np.testing.assert_allclose(mixed.network_.theta, a.network_.theta, atol=1e-12)
    online = [clone(est), clone(est)]
    for _ in range(3):
        online[0].partial_fit(X, y, classes=np.unique(y))
        online[1].partial_fit(X.toarray(), y, classes=np.unique(y))
    np.testing.assert_allclose(online[0].network_.theta, online[1].network_.theta, atol=1e-12)
    assert online[0].n_iter_ == 3


def test_nothing_densifies_x(data, monkeypatch):
    """No step of fit, partial_fit or predict turns the sparse X into a dense one."""
    X, y = data["X"], data["multilabel"]
    refuse_densifying(monkeypatch)
    engines = ["numpy"] + (["torch"] if _torch() else [])
    for engine in engines:
        for est in (
            MultiLabelClassifier(engine=engine),
            NeuralNetClassifier((8,), early_stopping=True, engine=engine, **MINI),
            NeuralNetClassifier((8,), learning_rate="auto", engine=engine, **MINI),
        ):
            est.fit(X, y).predict_proba(X)
        LogisticRegression(solver="sgd", engine=engine).partial_fit(X, y[:, 0], classes=[0, 1])
    OneVsAllClassifier().fit(X, data["softmax"]).predict(X)
    for trap in (X, X.T, X.tocoo(), sp.csr_matrix(X)):  # the trap works
        with pytest.raises(AssertionError, match="densified"):
            trap.toarray()


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(1, 25),
    n_x=st.integers(1, 15),
    density=st.floats(0.0, 1.0),
    hidden=st.sampled_from([(), (3,), (4, 2)]),
    head=st.sampled_from(["binary", "softmax", "multilabel"]),
    seed=st.integers(0, 2**16),
    duplicates=st.booleans(),
)
def test_cost_and_gradients_on_sparse_x_equal_the_dense_ones(
    m, n_x, density, hidden, head, seed, duplicates
):
    """Any shape and density — empty rows and columns, an all-zero X, unsorted COO with
    repeated entries summed on conversion — gives the dense cost, gradient and logits."""
    rng = np.random.default_rng(seed)
    n_out = 1 if head == "binary" else 3
    X = sp.random(m, n_x, density=density, random_state=rng, format="coo")
    if duplicates and X.nnz:  # the same entries once more, in another order
        order = np.r_[np.arange(X.nnz), rng.permutation(X.nnz)]
        X = sp.coo_array((X.data[order], (X.row[order], X.col[order])), shape=X.shape)
    Xs = sp.csr_array(X)
    Xd = Xs.toarray()
    Y = np.eye(n_out)[:, rng.integers(0, n_out, m)] if head == "softmax" else None
    if Y is None:
        Y = (rng.random((n_out, m)) < 0.5).astype(float)
    net = Network(ModelSpec(n_x=n_x, hidden=hidden, n_out=n_out, head=head, activation="tanh"))
    net.initialize("xavier", rng)
    w = rng.uniform(0.1, 2.0, m)
    J_s, g_s = net.cost_and_grad(Xs.T, Y, alpha=0.3, weights=w)
    g_s = g_s.copy()
    J_d, g_d = net.cost_and_grad(Xd.T, Y, alpha=0.3, weights=w)
    assert J_s == pytest.approx(J_d, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(g_s, g_d, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(
        net.decision_function(Xs.T), net.decision_function(Xd.T), rtol=1e-12, atol=1e-13
    )


def test_gradient_check_on_sparse_x(data):
    X = data["X"][:40]
    Y = np.eye(4)[:, data["softmax"][:40]]
    net = Network(ModelSpec(n_x=150, hidden=(5,), n_out=4, head="softmax", activation="tanh"))
    net.initialize("xavier", np.random.default_rng(0))
    assert gradcheck(net, X.T, Y, alpha=0.1) < 1e-7


def test_scales_are_read_from_the_stored_values(data):
    X = data["X"].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        LogisticRegression(max_iter=5, tol=0).fit(X, data["binary"])  # no scale warning
    X = X.tolil()
    X[3, 7] = 1e12  # one stored value out of range in column 7
    X[5, 2] = -1e12  # a negative one in column 2
    with pytest.warns(ConvergenceWarning, match=r"feature 2 holds values up to 1e\+12 \(2 "):
        LogisticRegression(max_iter=2, tol=0).fit(X.tocsr(), data["binary"])


def test_engine_auto_counts_the_non_zeros():
    wide = (12288, 100, 6)
    assert choose_engine("auto", "cpu", 10**5, wide, density=0.001) == "numpy"
    if _torch():
        assert choose_engine("auto", "cpu", 10**5, wide) == "torch"
        assert choose_engine("auto", "cpu", 10**5, wide, density=0.9) == "torch"
        assert choose_engine("auto", "cuda", 10**5, wide, density=0.001) == "torch"


# ---------------------------------------------------------------------- torch engine
def _torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


needs_torch = pytest.mark.skipif(not _torch(), reason="the torch engine needs PyTorch")

TORCH_CASES = [
    ("binary", LogisticRegression(**GD)),
    ("softmax", SoftmaxRegression(**GD)),
    ("multilabel", MultiLabelClassifier(**GD)),
    ("softmax", NeuralNetClassifier((12, 7), activation="tanh", **GD)),
    ("multilabel", NeuralNetClassifier((10,), solver="adam", learning_rate=0.01, **MINI)),
    ("softmax", NeuralNetClassifier((10,), solver="momentum", learning_rate=0.1, **MINI)),
    (
        "binary",
        LogisticRegression(solver="sgd", learning_rate=0.1, early_stopping=True, **MINI),
    ),
]


@needs_torch
@pytest.mark.parametrize("task, est", TORCH_CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_torch_engine_on_sparse_x_matches_the_numpy_engine(data, task, est):
    X, y = data["X"], data[task]
    weights = np.random.default_rng(1).uniform(0.5, 2.0, X.shape[0])
    a = _fit(_with(est, engine="numpy"), X, y, sample_weight=weights)
    torch_engine = _with(est, engine="torch", device="cpu")
    b = _fit(torch_engine, X, y, sample_weight=weights)
    dense = _fit(torch_engine, X.toarray(), y, sample_weight=weights)
    assert b.engine_ == "torch"
    # the tolerances of tests/test_torch_engine.py for dense X
    np.testing.assert_allclose(b.history_, a.history_, rtol=1e-6)
    np.testing.assert_allclose(b.network_.theta, a.network_.theta, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(b.network_.theta, dense.network_.theta, rtol=1e-10, atol=1e-12)


@needs_torch
def test_torch_lbfgs_and_float32_on_sparse_x(data):
    X, y = data["X"], data["softmax"]
    # torch.optim.LBFGS takes other steps than SciPy's L-BFGS-B: sparse and dense X
    # take the same ones
    lbfgs = SoftmaxRegression(engine="torch", device="cpu", tol=0, max_iter=20)
    clf, dense = _fit(lbfgs, X, y), _fit(lbfgs, X.toarray(), y)
    np.testing.assert_allclose(clf.network_.theta, dense.network_.theta, rtol=0, atol=1e-10)
    assert clf.history_[-1] < 0.9 * clf.history_[0]
    kw = dict(engine="torch", device="cpu", dtype="float32", max_iter=5, tol=0, random_state=0)
    f32 = NeuralNetClassifier((8,), **kw).fit(X, y)
    dense = NeuralNetClassifier((8,), **kw).fit(X.toarray(), y)
    assert f32.network_.theta.dtype == np.float32
    np.testing.assert_allclose(f32.network_.theta, dense.network_.theta, atol=1e-5)


@pytest.mark.skipif(
    not _torch() or not __import__("torch").cuda.is_available(), reason="no CUDA device here"
)
def test_sparse_x_on_cuda_matches_cpu(data):
    X, y = data["X"], data["multilabel"]
    for kw in (dict(solver="adam", batch_size=32), dict(solver="lbfgs", batch_size=None)):
        est = NeuralNetClassifier(
            (10,), engine="torch", max_iter=5, tol=0, random_state=0, early_stopping=True, **kw
        )
        gpu = _fit(_with(est, device="cuda"), X, y)
        cpu = _fit(_with(est, device="cpu"), X, y)
        np.testing.assert_allclose(gpu.network_.theta, cpu.network_.theta, rtol=1e-6, atol=1e-9)
    # bfloat16 autocast: the sparse product runs in the network's dtype, the rest in bf16
    auto = _fit(_with(est, device="auto", autocast=True, dtype="float32"), X, y)
    assert auto.engine_ == "torch" and np.all(np.isfinite(auto.network_.theta))


# --------------------------------------------------------------------------- memory
MEMORY_SCRIPT = """
import importlib.util, resource, sys, warnings
import numpy as np, scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
warnings.simplefilter("ignore", ConvergenceWarning)
from logitlab import LogisticRegression, MultiLabelClassifier

m, n_x, per_row = 100_000, 6_000, 6  # 4.8 GB as dense float64; 600 000 non-zeros
rng = np.random.default_rng(0)
cols = np.sort(rng.choice(n_x, size=(m, per_row)), axis=1).ravel()
rows = np.repeat(np.arange(m), per_row)
X = sp.csr_array((np.ones(m * per_row), (rows, cols)), shape=(m, n_x))
Y = (X @ rng.standard_normal((n_x, 3)) > 0).astype(int)

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

engines = ["numpy"] + (["torch"] if importlib.util.find_spec("torch") is not None else [])
for engine in engines:
    if engine == "torch":
        import torch  # imported before measuring: its own memory is not the fit's
    before = peak_mb()
    # host memory: on the CPU (a CUDA context would add its own, whatever X is)
    on = dict(engine=engine, device="cpu")
    lr = LogisticRegression(max_iter=5, **on).fit(X, Y[:, 0])
    ml = MultiLabelClassifier(solver="adam", batch_size=5000, max_iter=1, **on)
    P = ml.fit(X, Y).predict_proba(X)
    assert (lr.engine_, ml.engine_, P.shape) == (engine, engine, (m, 3))
    learned = lr.history_[-1] < lr.history_[0] and ml.score(X, Y) > 0
    print(engine, before, peak_mb(), learned)
"""


def test_training_on_a_matrix_of_4_gb_dense_stays_far_below():
    """100 000 x 6 000 float64 would be 4.8 GB dense; stored sparse it is 7 MB. Fitting
    and predicting (L-BFGS on the full batch, Adam on batches of 5000) raise the
    process's peak memory by under 200 MB on each engine. (The peak before fitting is
    the libraries': 0.2 to 0.5 GB on a CPU machine, 1.5 GB in the Python of the H100
    machine this ran on, whatever X is; so the growth is what is tested.)"""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(MEMORY_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [line.split() for line in out.stdout.strip().splitlines()]
    assert [engine for engine, *_ in lines] == ["numpy", "torch"][: len(lines)]
    for engine, before, peak, learned in lines:
        grew = float(peak) - float(before)
        assert grew < 200, f"{engine}: fitting took {grew:.0f} MB"
        assert learned == "True"
