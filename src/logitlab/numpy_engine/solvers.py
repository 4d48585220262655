"""Solvers: gradient descent and its mini-batch, momentum and Adam variants, and L-BFGS.

Every update rule acts on the network's flat parameter vector θ (all W[l], b[l]) with
the flat gradient dθ from back-propagation.

``history`` follows one rule for every solver: ``history[i]`` is the training cost J
evaluated with the parameters *before* update i, so ``history[0]`` is the cost of the
initial parameters and ``len(history) == n_iter``. Mini-batch solvers record one entry
per epoch: the mean of its mini-batch costs, each taken before its own update (as
scikit-learn's ``loss_curve_``; with dropout, of the thinned networks trained) — a
separate pass over the whole training set to measure J would cost a third of the epoch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import OptimizeResult, minimize
from threadpoolctl import threadpool_limits

from ..functional import FloatArray
from ..spec import SOLVERS, TrainConfig
from . import rowspace, sparse
from .network import Network, Seed
from .sparse import Matrix

# Below this many entries of X, BLAS threads cost more in start-up and hand-over than
# they save: on 2 cores, digits (1797×64) trained 10x slower with 2 threads, and
# L-BFGS on a 1649×1649 problem 2.4x slower. Larger products (12288×1000) gain from them.
SMALL_PROBLEM = 4_000_000


def blas_threads_for(X: Matrix) -> contextlib.AbstractContextManager[object]:
    """A context that limits BLAS to one thread for small problems (``X.size``: the
    stored entries of a sparse X)."""
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

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        pass


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

    def state_dict(self) -> dict[str, Any]:
        """{"v": the velocity, as a flat vector like θ}; {} before the first step."""
        return {} if self.v is None else {"v": self.v.copy()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.v = None if "v" not in state else np.array(state["v"])


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

    def state_dict(self) -> dict[str, Any]:
        """{"m", "v": the moments as flat vectors like θ, "t": the step}; {} before the
        first step."""
        if self.m is None or self.v is None:
            return {}
        return {"m": self.m.copy(), "v": self.v.copy(), "t": self.t}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if "m" in state:
            self.m, self.v, self.t = np.array(state["m"]), np.array(state["v"]), int(state["t"])
        else:
            self.m = self.v = None
            self.t = 0


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


class LRSchedule:
    """The learning rate of every iteration (epoch), the same in both engines.

    With α = ``config.learning_rate``, T = ``horizon`` iterations, W =
    ``config.warmup_iter`` and γ = ``config.lr_decay``:

    - ``constant``: α;
    - ``step``: α·γ^⌊t / ``lr_step_size``⌋;
    - ``cosine``: α·(1 + cos(π·(t − W)/(T − W)))/2, reaching 0 at T;
    - ``plateau``: α·γᵏ after k reductions; a reduction happens when the watched cost
      (the validation cost when there is a validation set, else the training cost)
      has not fallen below best·(1 − 10⁻⁴) for ``lr_patience`` iterations in a row.

    Every schedule starts with W warm-up iterations at α·(t + 1)/W. The horizon T is
    fixed when training starts and kept in the state, so a resumed or continued run
    follows the schedule it started with.

    >>> from logitlab.spec import TrainConfig
    >>> s = LRSchedule(TrainConfig(learning_rate=1.0, lr_schedule="cosine"), horizon=4)
    >>> [round(s.lr(t), 3) for t in range(4)]
    [1.0, 0.854, 0.5, 0.146]
    """

    #: relative improvement the plateau schedule counts as progress (torch's default)
    THRESHOLD = 1e-4

    def __init__(
        self, config: TrainConfig, horizon: int, state: Mapping[str, Any] | None = None
    ) -> None:
        self.config = config
        self.horizon = int(horizon)
        self.factor = 1.0
        self.best = np.inf
        self.bad = 0
        if state:  # a saved schedule goes on as it was, its horizon included
            self.load_state_dict(state)

    def lr(self, t: int) -> float:
        c = self.config
        base = c.learning_rate * self.factor
        if t < c.warmup_iter:
            return base * (t + 1) / c.warmup_iter
        if c.lr_schedule == "step":
            return base * c.lr_decay ** (t // c.lr_step_size)
        if c.lr_schedule == "cosine":
            span = max(1, self.horizon - c.warmup_iter)
            progress = min(t - c.warmup_iter, span) / span
            return base * 0.5 * (1.0 + float(np.cos(np.pi * progress)))
        return base

    def observe(self, value: float) -> None:
        """The plateau schedule's view of the watched cost after an iteration."""
        if self.config.lr_schedule != "plateau" or not np.isfinite(value):
            return
        if value < self.best * (1.0 - self.THRESHOLD) if self.best > 0 else value < self.best:
            self.best, self.bad = value, 0
            return
        self.bad += 1
        if self.bad >= self.config.lr_patience:
            self.factor *= self.config.lr_decay
            self.bad = 0

    def state_dict(self) -> dict[str, Any]:
        return {"horizon": self.horizon, "factor": self.factor, "best": self.best, "bad": self.bad}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.horizon = int(state["horizon"])
        self.factor, self.best, self.bad = (
            float(state["factor"]),
            float(state["best"]),
            int(state["bad"]),
        )


class StopTraining(Exception):
    """Raised by a training callback to stop training after the current iteration;
    the parameters reached so far are kept (as when the callback returns True)."""


@dataclass
class Iteration:
    """What a training callback receives after every iteration (epoch).

    ``iteration`` counts from 0 over all the model's training (a continued or resumed
    fit goes on counting); ``cost`` is J before the iteration's first update (see the
    module docstring); ``validation_cost`` (and ``validation_score``, when early
    stopping watches accuracy or Hamming loss) is measured after it, on the validation
    set, or None without one; ``learning_rate`` is the rate the iteration used.
    ``model`` is the engine's model being trained; ``state()`` the
    :class:`TrainState` to continue from exactly after this iteration; the estimators
    add ``snapshot()``, a fitted copy of the estimator holding both.
    """

    iteration: int
    cost: float
    validation_cost: float | None
    validation_score: float | None
    learning_rate: float
    model: Any = None
    snapshot: Callable[[], Any] | None = None
    state: Callable[[], TrainState] | None = None


#: the flat vectors each solver's state holds, in θ's layout (besides Adam's step t)
OPTIMIZER_VECTORS: Mapping[str, tuple[str, ...]] = {"momentum": ("v",), "adam": ("m", "v")}

#: the NumPy bit generators a training state may name (never looked up by a stored name)
BIT_GENERATORS: Mapping[str, type[np.random.BitGenerator]] = {
    cls.__name__: cls
    for cls in (
        np.random.PCG64,
        np.random.PCG64DXSM,
        np.random.SFC64,
        np.random.Philox,
        np.random.MT19937,
    )
}


@dataclass
class TrainState:
    """Everything training needs to go on exactly where it stopped, in plain NumPy
    form that both engines read and write (and model files store).

    ``epoch`` is the number of iterations (epochs) done: training goes on at the start
    of the next one, whose batch order comes from ``rng`` (a NumPy bit generator's
    state); ``optimizer`` holds the solver's state as flat vectors in θ's layout
    (Momentum's v; Adam's m, v and step t); ``schedule`` the learning-rate schedule's;
    ``monitor`` the early-stopping and ``tol`` counters and the best parameters so far;
    ``loader_seed`` seeds the DataLoader of streamed data.
    """

    epoch: int = 0
    rng: dict[str, Any] = field(default_factory=dict)
    optimizer: dict[str, Any] = field(default_factory=dict)
    schedule: dict[str, Any] = field(default_factory=dict)
    monitor: dict[str, Any] = field(default_factory=dict)
    loader_seed: int | None = None

    def generator(self, fallback: Seed) -> np.random.Generator:
        """A generator in the saved state (or from ``fallback`` for a fresh start)."""
        if not self.rng:
            return np.random.default_rng(fallback)
        name = str(self.rng.get("bit_generator"))
        if name not in BIT_GENERATORS:
            raise ValueError(
                f"unknown random generator {name!r} in the training state; "
                f"expected one of {sorted(BIT_GENERATORS)}"
            )
        bit_generator = BIT_GENERATORS[name]()
        bit_generator.state = self.rng
        return np.random.Generator(bit_generator)


def validation_score(
    Z: FloatArray, Y: FloatArray, head: str, scoring: str, weights: FloatArray | None
) -> float:
    """The watched validation score from logits Z (n_out, m): ``accuracy`` (exact
    match of all labels for multi-label) or ``hamming`` (share of wrong labels),
    weighted by ``weights`` (m,) when given."""
    if head == "softmax":
        right = np.argmax(Z, axis=0) == np.argmax(Y, axis=0)
        wrong_share = (~right).astype(np.float64)
    else:
        wrong = (Z > 0) != (Y > 0.5)
        wrong_share = wrong.mean(axis=0) if scoring == "hamming" else wrong.any(axis=0) * 1.0
    per_example = wrong_share if scoring == "hamming" else 1.0 - wrong_share
    return float(np.average(per_example, weights=weights))


@dataclass
class TrainResult:
    """What a training run did: ``history`` (see the module docstring), the number of
    updates ``n_iter`` (epochs for mini-batch solvers), whether the ``tol`` criterion
    was met, and, with a validation set, its cost after every iteration (and the
    watched score, when it is not the cost). ``diverged_at`` is the iteration whose
    cost or parameters stopped being finite (training stopped there, with the last
    finite parameters kept); ``stopped_by_callback`` says the callback asked to stop.
    ``state`` is where training stands, to continue from exactly; ``engine`` names the
    engine that trained."""

    history: list[float] = field(default_factory=list)
    n_iter: int = 0
    converged: bool = False
    stopped_early: bool = False
    validation_history: list[float] = field(default_factory=list)
    validation_scores: list[float] = field(default_factory=list)
    best_iteration: int | None = None
    diverged_at: int | None = None
    stopped_by_callback: bool = False
    state: TrainState = field(default_factory=TrainState)
    engine: str = "numpy"


def batches(m: int, batch_size: int, rng: np.random.Generator) -> list[NDArray[np.int64]]:
    """Index arrays of the mini-batches of one epoch: a fresh permutation of 0..m−1,
    cut into consecutive pieces of ``batch_size`` (the last may be smaller)."""
    perm = rng.permutation(m)
    return [perm[i : i + batch_size] for i in range(0, m, batch_size)]


def take_columns(X: Matrix, idx: NDArray[np.integer[Any]]) -> Matrix:
    """X[:, idx] for X in the notes' layout; when X is the transposed view of a
    row-major (m, n_x) array, gather whole rows of that array (contiguous copies); a
    sparse X gives a sparse X[:, idx] (the rows of its CSR transpose)."""
    if sparse.is_sparse(X):
        return sparse.take_columns(X, idx)
    if X.flags.f_contiguous and not X.flags.c_contiguous:
        columns: FloatArray = X.T[idx].T
        return columns
    return X[:, idx]


def normalized_weights(
    sample_weight: NDArray[Any] | None, m: int, what: str = "sample_weight"
) -> tuple[FloatArray | None, float]:
    """(w, S): per-example weights w_i = s_i·m/Σ s (mean 1) and the total weight S = Σ s
    that the L2 penalty is divided by; (None, m) without weights."""
    if sample_weight is None:
        return None, float(m)
    s = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    if s.shape[0] != m:
        raise ValueError(f"{what} has {s.shape[0]} entries for {m} examples")
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError(f"{what} must be finite and non-negative")
    total = float(s.sum())
    if total <= 0:
        raise ValueError(f"{what} sums to 0: at least one example must have a positive weight")
    w: FloatArray = s * (m / total)
    return w, total


class MonitoredModel(Protocol):
    """What :class:`Monitor` needs of a model; arrays and snapshots are the engine's own
    (NumPy arrays or torch tensors)."""

    def all_finite(self) -> bool: ...
    def snapshot(self) -> Any: ...
    def restore(self, snapshot: Any, /) -> None: ...
    def to_array(self, snapshot: Any, /) -> FloatArray: ...
    def from_array(self, array: FloatArray, /) -> Any: ...


ModelT = TypeVar("ModelT", bound=MonitoredModel)


class Monitor(Generic[ModelT]):
    """Stopping rules shared by all solvers and both engines.

    ``validate()`` returns the validation cost (without penalty) and, when
    ``config.validation_scoring`` is not ``"loss"``, the watched score; None: no
    validation set.

    - With ``config.early_stopping`` and a validation set: stop when the watched value
      (the validation cost, 1 − accuracy, or the Hamming loss) has not improved by more
      than ``tol`` for ``n_iter_no_change`` iterations in a row, and keep the
      parameters that had the best one.
    - Otherwise, with ``tol > 0``: converged when the training cost has not improved by
      more than ``tol`` for ``n_iter_no_change`` iterations in a row. ``tol = 0`` runs
      all ``max_iter`` iterations.
    - A cost or parameters that stop being finite end training at once, with the last
      finite parameters restored (``result.diverged_at``): a model is kept, and the
      estimator says what to change instead of failing.
    - ``callback(Iteration)`` returning True, or raising :class:`StopTraining`, stops
      training after that iteration.

    After each iteration the learning-rate ``schedule`` sees the watched cost, and
    ``state_of(n)`` gives the :class:`TrainState` after n iterations for the callback.
    """

    def __init__(
        self,
        net: ModelT,
        result: TrainResult,
        config: TrainConfig,
        validate: Callable[[], tuple[float, float | None]] | None,
        callback: Callable[[Iteration], object] | None,
        verbose: int | None = None,
        schedule: LRSchedule | None = None,
        state_of: Callable[[int], TrainState] | None = None,
    ) -> None:
        self.net, self.result, self.config = net, result, config
        self.schedule, self.state_of = schedule, state_of
        self.tol, self.n_iter_no_change = config.tol, config.n_iter_no_change
        self.validate, self.callback = validate, callback
        self.early_stopping = config.early_stopping and validate is not None
        self.verbose = config.verbose if verbose is None else verbose
        self.every = 1 if self.verbose >= 2 else max(1, config.max_iter // 10)
        self.best = np.inf
        self.best_theta: object | None = None
        self.bad = 0
        self.use_tol = True  # L-BFGS applies tol through SciPy's own criteria instead
        self.watched_cost = np.nan  # what the plateau schedule watches
        # what divergence falls back to: the last parameters whose cost was seen to be
        # finite, and the ones the next update starts from (one copy of θ per iteration,
        # small beside the iteration itself)
        self.last_finite: object | None = None
        self.pending: object | None = net.snapshot() if net.all_finite() else None

    def after_update(self, it: int, J: float, learning_rate: float = np.nan) -> bool:
        """Called after iteration ``it`` whose pre-update cost was ``J``; True = stop."""
        res = self.result
        if np.isfinite(J):
            self.last_finite = self.pending  # J is the cost of the parameters before it
        if not np.isfinite(J) or not self.net.all_finite():
            res.diverged_at = it
            if self.last_finite is not None:
                self.net.restore(self.last_finite)
            if np.isfinite(J):
                res.history.append(float(J))
                res.n_iter += 1
            return True
        res.history.append(float(J))
        res.n_iter += 1
        stop = False
        v = score = None
        self.watched_cost = J
        if self.validate is not None:
            v, score = self.validate()
            res.validation_history.append(v)
            if score is not None:
                res.validation_scores.append(score)
            self.watched_cost = v
        if self.early_stopping:
            assert v is not None
            scoring = self.config.validation_scoring
            watched = v if score is None else (1.0 - score if scoring == "accuracy" else score)
            if watched < self.best - self.tol:
                self.best, self.bad = watched, 0
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
            extra = f", validation cost {v:.6f}" if v is not None else ""
            print(f"iteration {it:5d}: cost {J:.6f}{extra}", file=sys.stderr)
        self.pending = self.net.snapshot()
        if self.schedule is not None:
            self.schedule.observe(self.watched_cost)
        if self.callback is not None:
            state_of = self.state_of
            info = Iteration(
                it,
                float(J),
                v,
                score,
                float(learning_rate),
                model=self.net,
                state=None if state_of is None else (lambda: state_of(it + 1)),
            )
            try:
                asked = self.callback(info)
            except StopTraining:
                asked = True
            # True, NumPy's True too (a comparison of array values); not any truthy value
            if isinstance(asked, (bool, np.bool_)) and asked:
                res.stopped_by_callback = stop = True
        return stop

    def finish(self) -> None:
        if self.best_theta is not None:
            self.net.restore(self.best_theta)

    def state_dict(self) -> dict[str, Any]:
        return {
            "best": float(self.best),
            "bad": self.bad,
            "best_iteration": self.result.best_iteration,
            "best_theta": None if self.best_theta is None else self.net.to_array(self.best_theta),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if not state:
            return
        if state.get("best_theta") is not None and not self.early_stopping:
            # early stopping's counters and best parameters: a run that does not stop
            # early (partial_fit, a warm start without it) goes on from the parameters
            # it was given, and must not go back to those at the end
            return
        self.best, self.bad = float(state["best"]), int(state["bad"])
        self.result.best_iteration = state.get("best_iteration")
        theta = state.get("best_theta")
        self.best_theta = None if theta is None else self.net.from_array(np.asarray(theta))


#: what ``train`` does when told nothing: the notes' gradient descent, α = 0.01
DEFAULT_CONFIG = TrainConfig()

#: a source of dropout masks: called with the batch size m, it returns one mask
#: D[l]/keep_prob of shape (n_l, m) per hidden layer (engines draw their own without it)
MaskSource = Callable[[int], Sequence[FloatArray]]


def train(
    net: Network,
    X: Matrix,
    Y: FloatArray,
    config: TrainConfig = DEFAULT_CONFIG,
    *,
    X_val: Matrix | None = None,
    Y_val: FloatArray | None = None,
    sample_weight: NDArray[Any] | None = None,
    sample_weight_val: NDArray[Any] | None = None,
    pos_weight: NDArray[Any] | None = None,
    rng: Seed = None,
    callback: Callable[[Iteration], object] | None = None,
    state: TrainState | None = None,
    epochs: int | None = None,
    dropout_masks: MaskSource | None = None,
) -> TrainResult:
    """Train ``net`` in place on X (n_x, m), Y (n_out, m) as ``config`` says, and return
    a :class:`TrainResult`.

    ``config.batch_size=None`` uses the whole training set for every update. ``lbfgs``
    is always full-batch; for a linear model on wide dense data (n_x ≥ 2m) it runs in
    the row space of X (see :mod:`.rowspace`): the same problem and iterates, m instead
    of n_x features.

    X (and X_val) may be ``scipy.sparse`` matrices of shape (n_x, m) — the transpose of
    CSR rows, so CSC — read by the first layer's products only (see :mod:`.sparse`):
    mini-batches are row slices, and nothing is densified.

    Parameters
    ----------
    X_val, Y_val : validation data in the same layout; its cost (and score) is recorded
        after every iteration, and early stopping watches it.
    sample_weight, sample_weight_val : (m,) non-negative weights s: the cost is
        J = Σ s_i·L_i / Σ s_i + alpha/(2·Σ s_i)·Σ‖W‖², so integer weights equal
        repeated examples.
    pos_weight : (n_out,) weight of each label's positive term (binary cross-entropy).
    callback : called with an :class:`Iteration` after every iteration; returning
        True or raising :class:`StopTraining` stops training.
    state : a :class:`TrainState` to go on from (``result.state`` of an earlier call):
        the optimiser, schedule, generator and counters continue exactly.
    epochs : iterations to run now; None: ``config.max_iter``.
    dropout_masks : where dropout masks come from (default: drawn from ``rng``).
    """
    state = state if state is not None else TrainState()
    # Overflow on the way to divergence is not a warning here: the monitor checks the
    # cost and parameters after every update and stops training instead.
    with np.errstate(over="ignore", invalid="ignore"):
        data = TrainingData.prepare(
            X.shape[1], net.dtype, X_val, Y_val, sample_weight, sample_weight_val, pos_weight
        )
        if rowspace.applies(net, X, config.solver):

            def train_reduced(
                reduced: Network, R: FloatArray, R_val: FloatArray | None
            ) -> TrainResult:
                with blas_threads_for(R):
                    reduced_data = dataclasses.replace(data, X_val=R_val)
                    return _train(
                        reduced, R, Y, config, reduced_data, rng, callback, state, epochs, None
                    )

            result = rowspace.train_in_row_space(net, X, Y, X_val, train_reduced)
            if result is not None:
                return result
        with blas_threads_for(X):
            return _train(net, X, Y, config, data, rng, callback, state, epochs, dropout_masks)


@dataclass
class TrainingData:
    """The optional parts of the training data, prepared once for either engine:
    per-example weights of mean 1 and their total (see :func:`normalized_weights`),
    the validation set in the notes' layout with its weights, and each label's
    positive weight as a column (n_out, 1)."""

    weights: FloatArray | None
    total_weight: float
    X_val: Matrix | None
    Y_val: FloatArray | None
    weights_val: FloatArray | None
    pos_weight: FloatArray | None

    @classmethod
    def prepare(
        cls,
        m: int,
        dtype: Any,
        X_val: Matrix | None,
        Y_val: FloatArray | None,
        sample_weight: NDArray[Any] | None,
        sample_weight_val: NDArray[Any] | None,
        pos_weight: NDArray[Any] | None,
    ) -> TrainingData:
        w, total = normalized_weights(sample_weight, m)
        w_val = None
        if X_val is not None and sample_weight_val is not None:
            w_val, _ = normalized_weights(sample_weight_val, X_val.shape[1], "sample_weight_val")
        pw = None if pos_weight is None else np.asarray(pos_weight, dtype=dtype).reshape(-1, 1)
        return cls(w, total, X_val, Y_val, w_val, pw)


class _NetworkModel:
    """A :class:`Network` as the monitor sees it (its snapshots are θ vectors)."""

    def __init__(self, net: Network) -> None:
        self.net = net

    def all_finite(self) -> bool:
        return self.net.all_finite()

    def snapshot(self) -> FloatArray:
        return self.net.snapshot()

    def restore(self, snapshot: FloatArray) -> None:
        self.net.restore(snapshot)

    def to_array(self, snapshot: FloatArray) -> FloatArray:
        return snapshot

    def from_array(self, array: FloatArray) -> FloatArray:
        return array.astype(self.net.dtype)


def _train(
    net: Network,
    X: Matrix,
    Y: FloatArray,
    c: TrainConfig,
    d: TrainingData,
    seed: Seed,
    callback: Callable[[Iteration], object] | None,
    state: TrainState,
    epochs: int | None,
    dropout_masks: MaskSource | None,
) -> TrainResult:
    rng = state.generator(seed)
    m = X.shape[1]
    result = TrainResult()
    validate = None
    if d.X_val is not None and d.Y_val is not None:
        X_val, Y_val = d.X_val, d.Y_val

        def validate() -> tuple[float, float | None]:
            Z = net.decision_function(X_val)
            cost = net.data_cost(Z, Y_val, d.weights_val, d.pos_weight)
            if c.validation_scoring == "loss":
                return cost, None
            return cost, validation_score(
                Z, Y_val, net.spec.head, c.validation_scoring, d.weights_val
            )

    def monitored_callback(info: Iteration) -> object:
        assert callback is not None
        info.model = net
        return callback(info)

    model = _NetworkModel(net)
    schedule = LRSchedule(c, c.max_iter, state.schedule)
    opt = make_optimizer(
        "gd" if c.solver == "lbfgs" else c.solver,
        c.learning_rate,
        c.momentum,
        c.beta_1,
        c.beta_2,
        c.epsilon,
    )
    opt.load_state_dict(state.optimizer)

    def state_of(done: int) -> TrainState:
        return TrainState(
            epoch=done,
            rng=dict(rng.bit_generator.state),
            optimizer=opt.state_dict(),
            schedule=schedule.state_dict(),
            monitor=monitor.state_dict(),
        )

    monitor = Monitor(
        model,
        result,
        c,
        validate,
        monitored_callback if callback else None,
        schedule=schedule,
        state_of=state_of,
    )
    monitor.load_state_dict(state.monitor)
    first = state.epoch
    n_epochs = c.max_iter if epochs is None else epochs
    if c.solver == "lbfgs":
        if not c.full_batch(m):
            raise ValueError("solver='lbfgs' uses the full batch: leave batch_size=None")
        monitor.use_tol = False
        _lbfgs(net, X, Y, c.alpha, n_epochs, c.tol, monitor, d, first)
        monitor.finish()
        result.state = state_of(first + result.n_iter)
        return result

    opt = make_optimizer(c.solver, c.learning_rate, c.momentum, c.beta_1, c.beta_2, c.epsilon)
    opt.load_state_dict(state.optimizer)
    full = c.full_batch(m)
    keep = 1.0 - c.dropout

    def masks(n: int) -> Sequence[FloatArray] | None:
        if not c.dropout or not net.spec.hidden:
            return None
        if dropout_masks is not None:
            return dropout_masks(n)
        return net.dropout_masks(keep, n, rng)

    w, S, pw = d.weights, d.total_weight, d.pos_weight
    done = first
    for it in range(first, first + n_epochs):
        opt.learning_rate = lr = schedule.lr(it)
        if full:
            D = masks(m)
            if D is not None:  # the recorded J is the cost of the network that predicts
                J = net.cost(X, Y, c.alpha, S, w, pw)
            J_masked, grad = net.cost_and_grad(X, Y, c.alpha, S, w, pw, D)
            if D is None:
                J = J_masked
            opt.step(net.theta, grad)
        else:
            assert c.batch_size is not None  # not full: a batch size below m
            J = 0.0
            for idx in batches(m, c.batch_size, rng):
                J_batch, _ = net.cost_and_grad(
                    take_columns(X, idx),
                    Y[:, idx],
                    c.alpha,
                    S,
                    None if w is None else w[idx],
                    pw,
                    masks(idx.shape[0]),
                )
                J += J_batch * idx.shape[0] / m
                opt.step(net.theta, net.grad)
        stop = monitor.after_update(it, J, lr)
        done = it + 1
        if stop:
            break
    monitor.finish()
    result.state = state_of(done)
    return result


def _lbfgs(
    net: Network,
    X: Matrix,
    Y: FloatArray,
    alpha: float,
    max_iter: int,
    tol: float,
    monitor: Monitor[_NetworkModel],
    d: TrainingData,
    first: int,
) -> OptimizeResult:
    """Full-batch L-BFGS-B from SciPy on the flat parameter vector (in float64)."""
    pending: list[float] = []  # the cost at the current iterate, before the next update

    def fun(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        net.theta[:] = theta
        J, grad = net.cost_and_grad(X, Y, alpha, d.total_weight, d.weights, d.pos_weight)
        return J, grad.astype(np.float64)

    def callback(intermediate_result: OptimizeResult) -> None:
        it = first + len(monitor.result.history)
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
    result = monitor.result
    if tol > 0 and res.status == 0 and not (result.stopped_early or result.stopped_by_callback):
        result.converged = True
    return res
