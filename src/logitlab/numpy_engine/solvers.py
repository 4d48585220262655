"""Solvers: gradient descent and its mini-batch, momentum and Adam variants, and L-BFGS.

Every update rule acts on the network's flat parameter vector θ (all W[l], b[l]) with
the flat gradient dθ from back-propagation.

``history`` follows one rule for every solver: ``history[i]`` is the training cost J
evaluated with the parameters *before* update i, so ``history[0]`` is the cost of the
initial parameters and ``len(history) == n_iter``. Mini-batch solvers record one entry
per epoch: J over the whole training set with the parameters the epoch starts from.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import OptimizeResult, minimize
from threadpoolctl import threadpool_limits

from ..functional import FloatArray
from ..spec import SOLVERS, TrainConfig
from . import rowspace
from .network import Network, Seed

# Below this many entries of X, BLAS threads cost more in start-up and hand-over than
# they save: on 2 cores, digits (1797×64) trained 10x slower with 2 threads, and
# L-BFGS on a 1649×1649 problem 2.4x slower. Larger products (12288×1000) gain from them.
SMALL_PROBLEM = 4_000_000


def blas_threads_for(X: FloatArray) -> contextlib.AbstractContextManager[object]:
    """A context that limits BLAS to one thread for small problems."""
    if X.size < SMALL_PROBLEM:
        one_thread: contextlib.AbstractContextManager[object] = threadpool_limits(
            limits=1, user_api="blas"
        )
        return one_thread
    return contextlib.nullcontext()


class GradientDescent:
    """The notes' update θ := θ − α·dθ (``gd`` on the full batch, ``sgd`` on mini-batches)."""

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = learning_rate

    def step(self, theta: FloatArray, grad: FloatArray) -> None:
        theta -= self.learning_rate * grad


class Momentum:
    """v := β·v + (1 − β)·dθ;  θ := θ − α·v.

    v starts at the first gradient rather than at 0 (no slow start), which is exactly
    ``torch.optim.SGD(momentum=β, dampening=β)``.
    """

    def __init__(self, learning_rate: float, momentum: float = 0.9) -> None:
        self.learning_rate, self.momentum = learning_rate, momentum
        self.v: FloatArray | None = None

    def step(self, theta: FloatArray, grad: FloatArray) -> None:
        if self.v is None:
            self.v = grad.copy()
        else:
            self.v *= self.momentum
            self.v += (1.0 - self.momentum) * grad
        theta -= self.learning_rate * self.v


class Adam:
    """Adam with bias correction, as ``torch.optim.Adam``:

    m := β₁m + (1 − β₁)dθ;  v := β₂v + (1 − β₂)dθ²;
    θ := θ − α · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
    """

    def __init__(
        self,
        learning_rate: float,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
    ) -> None:
        self.learning_rate = learning_rate
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.m: FloatArray | None = None
        self.v: FloatArray | None = None
        self.t = 0

    def step(self, theta: FloatArray, grad: FloatArray) -> None:
        if self.m is None or self.v is None:
            self.m, self.v = np.zeros_like(grad), np.zeros_like(grad)
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        self.m *= b1
        self.m += (1.0 - b1) * grad
        self.v *= b2
        self.v += (1.0 - b2) * grad * grad
        denom = np.sqrt(self.v) / np.sqrt(1.0 - b2**self.t)
        denom += self.epsilon
        theta -= (self.learning_rate / (1.0 - b1**self.t)) * (self.m / denom)


def make_optimizer(
    solver: str,
    learning_rate: float,
    momentum: float = 0.9,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-8,
) -> GradientDescent | Momentum | Adam:
    if solver in ("gd", "sgd"):
        return GradientDescent(learning_rate)
    if solver == "momentum":
        return Momentum(learning_rate, momentum)
    if solver == "adam":
        return Adam(learning_rate, beta_1, beta_2, epsilon)
    raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")


@dataclass
class TrainResult:
    """What a training run did: ``history`` (see the module docstring), the number of
    updates ``n_iter`` (epochs for mini-batch solvers), whether the ``tol`` criterion
    was met, and, with a validation set, its cost after every iteration.
    ``diverged_at`` is the iteration whose cost or parameters stopped being finite
    (training stopped there, with the last finite parameters kept)."""

    history: list[float] = field(default_factory=list)
    n_iter: int = 0
    converged: bool = False
    stopped_early: bool = False
    validation_history: list[float] = field(default_factory=list)
    best_iteration: int | None = None
    diverged_at: int | None = None


def batches(m: int, batch_size: int, rng: np.random.Generator) -> list[NDArray[np.int64]]:
    """Index arrays of the mini-batches of one epoch: a fresh permutation of 0..m−1,
    cut into consecutive pieces of ``batch_size`` (the last may be smaller)."""
    perm = rng.permutation(m)
    return [perm[i : i + batch_size] for i in range(0, m, batch_size)]


def take_columns(X: FloatArray, idx: NDArray[np.integer[Any]]) -> FloatArray:
    """X[:, idx] for X in the notes' layout; when X is the transposed view of a
    row-major (m, n_x) array, gather whole rows of that array (contiguous copies)."""
    if X.flags.f_contiguous and not X.flags.c_contiguous:
        columns: FloatArray = X.T[idx].T
        return columns
    return X[:, idx]


class MonitoredModel(Protocol):
    """What :class:`Monitor` needs of a model; arrays and snapshots are the engine's own
    (NumPy arrays or torch tensors)."""

    def cost(self, X: Any, Y: Any, /) -> float: ...
    def all_finite(self) -> bool: ...
    def snapshot(self) -> Any: ...
    def restore(self, snapshot: Any, /) -> None: ...


ModelT = TypeVar("ModelT", bound=MonitoredModel)


class Monitor(Generic[ModelT]):
    """Stopping rules shared by all solvers and both engines.

    ``model`` offers ``cost(X_val, Y_val)`` (the validation cost, without penalty),
    ``all_finite()``, ``snapshot()`` and ``restore(snapshot)``.

    - With a validation set (early stopping): stop when the validation cost has not
      improved by more than ``tol`` for ``n_iter_no_change`` iterations in a row, and
      keep the parameters that had the best validation cost.
    - Otherwise, with ``tol > 0``: converged when the training cost has not improved by
      more than ``tol`` for ``n_iter_no_change`` iterations in a row. ``tol = 0`` runs
      all ``max_iter`` iterations.
    - A cost or parameters that stop being finite end training at once, with the last
      finite parameters restored (``result.diverged_at``): a model is kept, and the
      estimator says what to change instead of failing.
    """

    def __init__(
        self,
        net: ModelT,
        result: TrainResult,
        tol: float,
        n_iter_no_change: int,
        X_val: Any,
        Y_val: Any,
        verbose: int,
        max_iter: int,
        callback: Callable[[int, float, ModelT], object] | None,
    ) -> None:
        self.net, self.result, self.tol = net, result, tol
        self.n_iter_no_change = n_iter_no_change
        self.X_val, self.Y_val = X_val, Y_val
        self.verbose, self.callback = verbose, callback
        self.every = 1 if verbose >= 2 else max(1, max_iter // 10)
        self.best = np.inf
        self.best_theta: object | None = None
        self.bad = 0
        self.use_tol = True  # L-BFGS applies tol through SciPy's own criteria instead
        # what divergence falls back to: the last parameters whose cost was seen to be
        # finite, and the ones the next update starts from (one copy of θ per iteration,
        # small beside the iteration itself)
        self.last_finite: object | None = None
        self.pending: object | None = net.snapshot() if net.all_finite() else None

    def after_update(self, it: int, J: float) -> bool:
        """Called after update ``it`` whose pre-update cost was ``J``; True = stop."""
        res = self.result
        if np.isfinite(J):
            self.last_finite = self.pending  # J is the cost of the parameters before it
        if not np.isfinite(J) or not self.net.all_finite():
            res.diverged_at = it
            if self.last_finite is not None:
                self.net.restore(self.last_finite)
            if np.isfinite(J):
                res.history.append(float(J))
                res.n_iter = it + 1
            return True
        res.history.append(float(J))
        res.n_iter = it + 1
        stop = False
        if self.X_val is not None:
            v = self.net.cost(self.X_val, self.Y_val)
            res.validation_history.append(v)
            if v < self.best - self.tol:
                self.best, self.bad = v, 0
                self.best_theta = self.net.snapshot()
                res.best_iteration = it + 1
            else:
                self.bad += 1
            if self.bad >= self.n_iter_no_change:
                res.stopped_early = stop = True
        elif self.tol > 0 and self.use_tol:
            if J > self.best - self.tol:
                self.bad += 1
            else:
                self.bad = 0
            self.best = min(self.best, J)
            if self.bad >= self.n_iter_no_change:
                res.converged = stop = True
        if self.verbose and (it % self.every == 0 or stop):
            extra = (
                f", validation cost {res.validation_history[-1]:.6f}"
                if self.X_val is not None
                else ""
            )
            print(f"iteration {it:5d}: cost {J:.6f}{extra}", file=sys.stderr)
        self.pending = self.net.snapshot()
        if self.callback is not None:
            self.callback(it, J, self.net)
        return stop

    def finish(self) -> None:
        if self.best_theta is not None:
            self.net.restore(self.best_theta)


#: what ``train`` does when told nothing: the notes' gradient descent, α = 0.01
DEFAULT_CONFIG = TrainConfig()


def train(
    net: Network,
    X: FloatArray,
    Y: FloatArray,
    config: TrainConfig = DEFAULT_CONFIG,
    *,
    X_val: FloatArray | None = None,
    Y_val: FloatArray | None = None,
    rng: Seed = None,
    callback: Callable[[int, float, Network], object] | None = None,
) -> TrainResult:
    """Train ``net`` in place on X (n_x, m), Y (n_out, m) as ``config`` says, and return
    a :class:`TrainResult`.

    ``config.batch_size=None`` uses the whole training set for every update. ``lbfgs``
    is always full-batch; for a linear model on wide data (n_x ≥ 2m) it runs in the row
    space of X (see :mod:`.rowspace`): the same problem and iterates, m instead of
    n_x features. ``callback(it, J, net)`` is called after every iteration with the
    network being trained.
    """
    # Overflow on the way to divergence is not a warning here: the monitor checks the
    # cost and parameters after every update and stops training instead.
    with np.errstate(over="ignore", invalid="ignore"):
        if rowspace.applies(net, X, config.solver):

            def train_reduced(
                reduced: Network, R: FloatArray, R_val: FloatArray | None
            ) -> TrainResult:
                with blas_threads_for(R):
                    return _train(reduced, R, Y, config, R_val, Y_val, rng, callback)

            result = rowspace.train_in_row_space(net, X, Y, X_val, train_reduced)
            if result is not None:
                return result
        with blas_threads_for(X):
            return _train(net, X, Y, config, X_val, Y_val, rng, callback)


def _train(
    net: Network,
    X: FloatArray,
    Y: FloatArray,
    c: TrainConfig,
    X_val: FloatArray | None,
    Y_val: FloatArray | None,
    seed: Seed,
    callback: Callable[[int, float, Network], object] | None,
) -> TrainResult:
    rng = np.random.default_rng(seed)
    m = X.shape[1]
    result = TrainResult()
    monitor = Monitor(
        net, result, c.tol, c.n_iter_no_change, X_val, Y_val, c.verbose, c.max_iter, callback
    )
    if c.solver == "lbfgs":
        if not c.full_batch(m):
            raise ValueError("solver='lbfgs' uses the full batch: leave batch_size=None")
        monitor.use_tol = False
        _lbfgs(net, X, Y, c.alpha, c.max_iter, c.tol, monitor)
        monitor.finish()
        return result

    opt = make_optimizer(c.solver, c.learning_rate, c.momentum, c.beta_1, c.beta_2, c.epsilon)
    full = c.full_batch(m)
    for it in range(c.max_iter):
        if full:
            J, grad = net.cost_and_grad(X, Y, c.alpha, m)
            opt.step(net.theta, grad)
        else:
            J = net.cost(X, Y, c.alpha, m)  # the epoch's entry: J before its first update
            assert c.batch_size is not None  # not full: a batch size below m
            for idx in batches(m, c.batch_size, rng):
                net.cost_and_grad(take_columns(X, idx), Y[:, idx], c.alpha, m)
                opt.step(net.theta, net.grad)
        if monitor.after_update(it, J):
            break
    monitor.finish()
    return result


def _lbfgs(
    net: Network,
    X: FloatArray,
    Y: FloatArray,
    alpha: float,
    max_iter: int,
    tol: float,
    monitor: Monitor[Network],
) -> OptimizeResult:
    """Full-batch L-BFGS-B from SciPy on the flat parameter vector (in float64)."""
    m = X.shape[1]
    pending: list[float] = []  # the cost at the current iterate, before the next update

    def fun(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        net.theta[:] = theta
        J, grad = net.cost_and_grad(X, Y, alpha, m)
        return J, grad.astype(np.float64)

    def callback(intermediate_result: OptimizeResult) -> None:
        it = len(monitor.result.history)
        stop = monitor.after_update(it, pending[-1])
        pending.append(float(intermediate_result.fun))
        if stop:
            raise StopIteration

    theta0 = net.theta.astype(np.float64)
    pending.append(fun(theta0)[0])
    res = minimize(
        fun,
        theta0,
        jac=True,
        method="L-BFGS-B",
        callback=callback,
        options={
            "maxiter": max_iter,
            "maxls": 50,
            "gtol": tol,
            "ftol": 64 * np.finfo(float).eps if tol > 0 else 0.0,
        },
    )
    if monitor.result.diverged_at is None:  # else the monitor restored finite ones
        net.theta[:] = res.x
    if tol > 0 and res.status == 0 and not monitor.result.stopped_early:
        monitor.result.converged = True
    return res
