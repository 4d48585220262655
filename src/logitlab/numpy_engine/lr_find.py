"""The learning-rate range test: a short run with growing rates that picks one.

Smith's range test (L. N. Smith, "Cyclical learning rates for training neural
networks", 2017), as PyTorch Lightning's ``Tuner.lr_find`` runs it:

1. From the initial parameters, take ``num_steps`` updates of the configured solver
   (mini-batches of ``batch_size``, or the full batch when it is None), the rate of
   step k growing exponentially from ``min_lr`` to ``max_lr``:

       α_k = min_lr · (max_lr / min_lr)^(k / (num_steps − 1)).

2. After each update, measure the training cost J_k of the batch the next update
   uses (the cost the update with α_k led to) and smooth it exponentially, with the
   bias correction of Adam's moments, so that mini-batch noise does not hide the trend:

       s_k = β·s_{k−1} + (1 − β)·J_k,   ŝ_k = s_k / (1 − β^(k+1)).

3. Stop early once the cost diverges: ŝ_k above ``divergence`` times the lowest ŝ so
   far, or a cost or parameter that is not finite.

4. Suggest the rate where the smoothed cost falls fastest against log α (Lightning's
   rule): the most negative slope dŝ/d(log α) over the recorded steps, less the first
   ``skip_begin`` (the smoothing's start-up) and the last ``skip_end`` (divergence).

The test runs on a copy of the network, so the parameters and the optimiser the
caller trains with afterwards are the initial ones, untouched. It runs on the NumPy
engine for either engine's fit: the engines compute the same costs (to ~1e-6), so the
torch engine needs no copy of it and both engines find the same rate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..functional import FloatArray
from ..spec import TrainConfig
from .network import Network, Seed
from .solvers import TrainingData, batches, blas_threads_for, make_optimizer, take_columns
from .sparse import Matrix

#: the range and length of the test (Lightning: 1e-8 .. 1 in 100 steps; the range here
#: reaches 10 so that full-batch gradient descent on a linear model, stable up to rates
#: of about 4/λ_max of XᵀX/m, also shows where it diverges)
MIN_LR, MAX_LR, NUM_STEPS = 1e-6, 10.0, 100
#: β of the cost's exponential smoothing (Lightning's 0.98 lags ~50 steps, half the
#: test; 0.9 follows the cost within ~10 steps, under one decade of rates)
SMOOTHING = 0.9
#: the cost diverged once it is this many times the lowest seen (Lightning's rule)
DIVERGENCE = 4.0
#: steps left out of the suggestion at the start (smoothing start-up) and at the end
SKIP_BEGIN, SKIP_END = 10, 1


@dataclass(frozen=True)
class LRFinderResult:
    """The curve of a range test and the rate it suggests.

    Attributes
    ----------
    rates : ndarray of shape (n,)
        The rate of each update taken, rising exponentially.
    costs : ndarray of shape (n,)
        The smoothed training cost after each of those updates.
    learning_rate : float
        The suggested rate (see :func:`suggest_learning_rate`).
    diverged : bool
        Whether the test stopped early because the cost diverged.
    """

    rates: FloatArray
    costs: FloatArray
    learning_rate: float
    diverged: bool

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (lists of floats)."""
        return {
            "rates": [float(r) for r in self.rates],
            "costs": [float(c) for c in self.costs],
            "learning_rate": float(self.learning_rate),
            "diverged": bool(self.diverged),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LRFinderResult:
        """The result of :meth:`to_dict`; ValueError when it is not one."""
        rates = np.asarray(d["rates"], dtype=np.float64)
        costs = np.asarray(d["costs"], dtype=np.float64)
        lr = float(d["learning_rate"])
        if (
            rates.ndim != 1
            or rates.shape != costs.shape
            or not np.all(np.isfinite(rates))
            or not np.all(rates > 0)
            or not np.all(np.isfinite(costs))
            or not (math.isfinite(lr) and lr > 0)
            or not isinstance(d["diverged"], bool)
        ):
            raise ValueError(
                "a learning-rate finder curve is two equally long 1-D lists of finite "
                "numbers (rates > 0), a rate > 0 and diverged true or false"
            )
        return cls(rates, costs, lr, d["diverged"])


def suggest_learning_rate(
    rates: NDArray[Any],
    costs: NDArray[Any],
    skip_begin: int = SKIP_BEGIN,
    skip_end: int = SKIP_END,
) -> float:
    """The rate of steepest descent of the cost against log(rate).

    The slope dJ/d(log α) is taken by central differences (``np.gradient``) over the
    finite costs, less the first ``skip_begin`` and last ``skip_end`` points; the rate
    at the most negative slope is returned. With fewer than 3 points left (a test that
    diverged at once), the rate of the lowest cost divided by 10 (fastai's
    "minimum / 10"), or the first rate.

    Examples
    --------
    >>> rates = np.logspace(-4, 0, 41)
    >>> costs = 1 / (1 + np.exp(4 * np.log10(rates / 1e-2)))  # falls fastest at 1e-2
    >>> float(suggest_learning_rate(rates, costs, skip_begin=0, skip_end=0))
    0.01
    """
    r = np.asarray(rates, dtype=np.float64)
    c = np.asarray(costs, dtype=np.float64)
    end = len(r) - skip_end
    r, c = r[skip_begin:end], c[skip_begin:end]
    keep = np.isfinite(c)
    r, c = r[keep], c[keep]
    if len(r) < 3:
        r_all = np.asarray(rates, dtype=np.float64)
        c_all = np.asarray(costs, dtype=np.float64)
        finite = np.isfinite(c_all)
        if not finite.any():
            return float(r_all[0])
        lowest = float(r_all[finite][np.argmin(c_all[finite])])
        return max(lowest / 10.0, float(r_all[0]))
    slope = np.gradient(c, np.log(r))
    return float(r[int(np.argmin(slope))])


def find_learning_rate(
    net: Network,
    X: Matrix,
    Y: FloatArray,
    config: TrainConfig,
    *,
    sample_weight: NDArray[Any] | None = None,
    pos_weight: NDArray[Any] | None = None,
    rng: Seed = None,
    min_lr: float = MIN_LR,
    max_lr: float = MAX_LR,
    num_steps: int = NUM_STEPS,
    smoothing: float = SMOOTHING,
    divergence: float = DIVERGENCE,
) -> LRFinderResult:
    """Run the range test (see the module docstring) from ``net``'s parameters.

    ``net`` is not changed: the test trains a copy. The solver, its constants
    (momentum, Adam's β₁, β₂, ε), the batch size, the L2 penalty, dropout, the
    per-example weights and the positive weights are those of training with
    ``config``; its learning rate and schedule are not used.

    Parameters
    ----------
    net : Network
        The initialised network training will start from.
    X, Y : ndarray
        The training data in the notes' layout, (n_x, m) and (n_out, m); X may be a
        ``scipy.sparse`` matrix (see :func:`~logitlab.numpy_engine.train`).
    config : TrainConfig
        A gradient solver's settings (not ``lbfgs``, which takes no rate).
    sample_weight, pos_weight : ndarray, optional
        As :func:`~logitlab.numpy_engine.train` takes them.
    rng : seed or Generator, optional
        The mini-batch order and dropout masks of the test.
    min_lr, max_lr : float
        The first and last rate.
    num_steps : int
        Updates at most (fewer when the cost diverges).
    smoothing : float
        β of the cost's exponential smoothing, in [0, 1).
    divergence : float
        Stop once the smoothed cost exceeds this many times its lowest value.

    Returns
    -------
    LRFinderResult

    Examples
    --------
    >>> from logitlab.spec import ModelSpec
    >>> X = np.random.default_rng(0).standard_normal((2, 200))
    >>> Y = (X[:1] + X[1:] > 0).astype(float)
    >>> net = Network(ModelSpec(n_x=2))
    >>> found = find_learning_rate(net, X, Y, TrainConfig(solver="adam"))
    >>> bool(1e-6 <= found.learning_rate <= 10.0), bool(np.all(net.theta == 0))
    (True, True)
    """
    if config.solver == "lbfgs":
        raise ValueError("L-BFGS takes no learning rate: the range test needs a gradient solver")
    if not (0 < min_lr < max_lr) or num_steps < 3:
        raise ValueError(
            f"need 0 < min_lr < max_lr and num_steps >= 3, got {min_lr}, {max_lr}, {num_steps}"
        )
    if not 0.0 <= smoothing < 1.0 or divergence <= 1.0:
        raise ValueError(
            f"need 0 <= smoothing < 1 and divergence > 1, got {smoothing} and {divergence}"
        )
    m = X.shape[1]
    gen = np.random.default_rng(rng)
    work = Network(net.spec, dtype=net.dtype)
    work.set_params(net.theta)
    d = TrainingData.prepare(m, net.dtype, None, None, sample_weight, None, pos_weight)
    w, S, pw = d.weights, d.total_weight, d.pos_weight
    opt = make_optimizer(
        config.solver, min_lr, config.momentum, config.beta_1, config.beta_2, config.epsilon
    )
    keep_prob = 1.0 - config.dropout
    use_dropout = bool(config.dropout) and bool(net.spec.hidden)
    full = config.full_batch(m)
    pending: list[NDArray[np.int64]] = []

    def next_batch() -> NDArray[np.int64] | None:
        """The next mini-batch's indices (a fresh epoch's order when one runs out)."""
        if full:
            return None
        assert config.batch_size is not None
        if not pending:
            pending.extend(batches(m, config.batch_size, gen))
        return pending.pop(0)

    def cost_and_grad(idx: NDArray[np.int64] | None) -> float:
        Xb = X if idx is None else take_columns(X, idx)
        Yb = Y if idx is None else Y[:, idx]
        wb = w if idx is None or w is None else w[idx]
        masks = work.dropout_masks(keep_prob, Xb.shape[1], gen) if use_dropout else None
        J, _ = work.cost_and_grad(Xb, Yb, config.alpha, S, wb, pw, masks)
        return float(J)

    growth = (max_lr / min_lr) ** (1.0 / (num_steps - 1))
    rates: list[float] = []
    costs: list[float] = []
    diverged = False
    average, best = 0.0, math.inf
    # overflow on the way to divergence is expected here: the costs and parameters are
    # checked after every update and the test stops instead
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), blas_threads_for(X):
        cost_and_grad(next_batch())  # the gradient of the first update
        for k in range(num_steps):
            opt.learning_rate = lr = min_lr * growth**k
            opt.step(work.theta, work.grad)
            J = cost_and_grad(next_batch()) if work.all_finite() else math.nan
            if not math.isfinite(J):
                diverged = True
                break
            average = smoothing * average + (1.0 - smoothing) * J
            smoothed = average / (1.0 - smoothing ** (k + 1))
            rates.append(lr)
            costs.append(smoothed)
            best = min(best, smoothed)
            if smoothed > divergence * best:
                diverged = True
                break
    r, c = np.asarray(rates, dtype=np.float64), np.asarray(costs, dtype=np.float64)
    if len(r) == 0:  # the very first update diverged: the smallest rate is all there is
        return LRFinderResult(r, c, min_lr, True)
    return LRFinderResult(r, c, suggest_learning_rate(r, c), diverged)
