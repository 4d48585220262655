"""Training on torch: the NumPy engine's solvers and rules, with torch.optim doing the
updates, on CPU or CUDA, in one process or many under ``torch.distributed``.

:func:`train` takes and returns what :func:`logitlab.numpy_engine.train` does — a
NumPy network, X (n_x, m) and Y (n_out, m) in the notes' layout — and follows the same
rules (``history[i]`` is J before update i, one entry per epoch for mini-batch
solvers; the same ``tol``, early stopping and L2 penalty), so the two engines give the
same numbers. Data in memory is moved to the device once, and each mini-batch is drawn
by indexing that tensor with the batch's indices: no per-example ``__getitem__``, no
collation.

Under ``torchrun`` (WORLD_SIZE > 1) the module is wrapped in DistributedDataParallel
(gloo on CPU, nccl on CUDA). Every rank draws the same global batch and takes its
interleaved shard, batch[rank::world] — what a DistributedSampler over that order
gives — and scales its loss so that DDP's gradient average is the gradient of the
whole global batch: a run on N processes matches one process with the same batch size.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from ..numpy_engine.solvers import DEFAULT_CONFIG, SMALL_PROBLEM, Monitor, TrainResult
from .module import TorchNetwork


def resolve_device(device="auto"):
    """``"auto"`` is CUDA when present (``cuda:LOCAL_RANK`` under torchrun), else CPU."""
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}"
        ) from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} was asked for, but CUDA is not available here")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s) are present"
            )
    elif dev.type != "cpu":
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}")
    return dev


def setup_distributed(dev):
    """(rank, world size), joining the process group when launched by torchrun."""
    if not dist.is_available():
        return 0, 1
    if not dist.is_initialized():
        if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
            return 0, 1
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    return dist.get_rank(), dist.get_world_size()


def shared_seed(seed, device="auto"):
    """Rank 0's seed on every rank (so initialisation, splits and batch order agree
    when ``random_state`` is None); the seed itself in a single process."""
    rank, world = setup_distributed(resolve_device(device))
    if world == 1:
        return seed
    box = [seed]
    dist.broadcast_object_list(box, src=0)
    return box[0]


class _Model:
    """What the shared :class:`~logitlab.numpy_engine.solvers.Monitor` needs of a model,
    for a torch module."""

    def __init__(self, module, world):
        self.module, self.world = module, world

    @torch.no_grad()
    def cost(self, X, T):
        # validation data is whole on every rank: no reduction needed
        return float(self.module.loss_sum(self.module(X), T)) / X.shape[0]

    def all_finite(self):
        return bool(torch.isfinite(self.module.flat()).all())

    def snapshot(self):
        return self.module.flat().clone()

    def restore(self, snapshot):
        self.module.set_flat(snapshot)


def _prepare(net, dev, world, autocast):
    """The torch module holding ``net``'s parameters, what trains it (DDP under
    torchrun), its dtype and the forward pass's autocast context."""
    dtype = torch.float64 if net.dtype == np.float64 else torch.float32
    module = TorchNetwork(net.spec, dtype=dtype, device=dev)
    module.load_numpy(net)
    model = module
    if world > 1:
        model = DistributedDataParallel(
            module, device_ids=[dev.index] if dev.type == "cuda" else None
        )
    amp = torch.autocast(dev.type, dtype=torch.bfloat16) if autocast else contextlib.nullcontext()
    return module, model, dtype, amp


def _targets(Y, head, dev, dtype):
    """Y (n_out, m) in the notes' layout -> torch targets with one row per example."""
    if head == "softmax":
        return torch.as_tensor(np.argmax(Y, axis=0), device=dev)
    return torch.as_tensor(np.ascontiguousarray(Y.T), device=dev, dtype=dtype)


def _optimizer(params, c):
    """The torch.optim optimiser of ``c.solver``, following the NumPy engine's rule."""
    # fused kernels update every parameter in one call: 1.5x faster steps on small nets
    fused = {"fused": True}
    if c.solver in ("gd", "sgd"):
        return torch.optim.SGD(params, lr=c.learning_rate, **fused)
    if c.solver == "momentum":
        # dampening = momentum gives v := βv + (1 − β)dθ, the NumPy engine's rule
        return torch.optim.SGD(
            params, lr=c.learning_rate, momentum=c.momentum, dampening=c.momentum, **fused
        )
    if c.solver == "adam":
        return torch.optim.Adam(
            params, lr=c.learning_rate, betas=(c.beta_1, c.beta_2), eps=c.epsilon, **fused
        )
    # one L-BFGS iteration per step(), so every iteration is recorded and monitored
    # (max_eval must be set: its default, 5/4 of max_iter, would leave the line search
    # a single evaluation)
    return torch.optim.LBFGS(
        params,
        lr=1.0,
        max_iter=1,
        max_eval=25,
        history_size=10,
        tolerance_grad=c.tol,
        tolerance_change=0.0,
        line_search_fn="strong_wolfe",
    )


def _batch_loss(forward, module, Xb, Tb, scale, alpha, m, amp):
    """The cost of one batch (or this rank's shard of it) as both engines define it,
    scale·Σ L(z, t) + alpha/(2m)·Σ‖W[l]‖², and its two parts: the one loss function
    every training path of this engine backpropagates or reports.

    ``forward`` is the module, or its DDP wrapper (which averages the ranks' gradients
    during backward); ``scale`` is 1/n for a batch of n, world/n for a shard of a
    global batch of n on ``world`` ranks.
    """
    with amp:
        Z = forward(Xb)
    local = module.loss_sum(Z, Tb)
    penalty = module.penalty(alpha, m)
    return local * scale + penalty, local, penalty


def train(net, X, Y, config=DEFAULT_CONFIG, *, X_val=None, Y_val=None, rng=None, callback=None):
    """Train the NumPy network ``net`` in place, on torch; returns a ``TrainResult``.

    Arguments as :func:`logitlab.numpy_engine.train`; ``config.device`` and
    ``config.autocast`` (bfloat16 autocast of the forward pass, for CUDA) say where.
    """
    dev = resolve_device(config.device)
    with _cpu_threads_for(X, dev):
        return _train(net, X, Y, config, X_val, Y_val, rng, callback, dev)


@contextlib.contextmanager
def _cpu_threads_for(X, dev):
    """One intra-op thread for small problems on the CPU, as the NumPy engine does for
    BLAS: on 2 cores it makes digits' mini-batch steps 1.3x faster."""
    threads = torch.get_num_threads()
    small = dev.type == "cpu" and X.size < SMALL_PROBLEM
    if small:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if small:
            torch.set_num_threads(threads)


def _train(net, X, Y, c, X_val, Y_val, rng, callback, dev):
    rank, world = setup_distributed(dev)
    if c.solver == "lbfgs" and world > 1:
        raise ValueError(
            "solver='lbfgs' does not run distributed; use gd, sgd, momentum or adam under torchrun"
        )
    if c.solver == "lbfgs" and not c.full_batch(X.shape[1]):
        raise ValueError("solver='lbfgs' uses the full batch: leave batch_size=None")
    rng = np.random.default_rng(rng)
    head, m = net.spec.head, X.shape[1]
    module, model, dtype, amp = _prepare(net, dev, world, c.autocast)
    Xt = torch.as_tensor(X.T, device=dev)  # the estimator's (m, n_x) rows: no copy on CPU
    T = _targets(Y, head, dev, dtype)
    Xv = Tv = None
    if X_val is not None:
        Xv, Tv = torch.as_tensor(X_val.T, device=dev), _targets(Y_val, head, dev, dtype)

    result = TrainResult()
    monitor = Monitor(
        _Model(module, world),
        result,
        c.tol,
        c.n_iter_no_change,
        Xv,
        Tv,
        c.verbose if rank == 0 else 0,
        c.max_iter,
        callback,
    )
    monitor.use_tol = c.solver != "lbfgs"  # L-BFGS stops on its gradient instead
    opt = _optimizer(model.parameters(), c)

    def shard(idx):
        """This rank's part of a global batch (all of it in one process)."""
        if idx is None:
            return (Xt, T) if world == 1 else (Xt[rank::world], T[rank::world])
        if world > 1:
            idx = idx[rank::world]
        return Xt[idx], T[idx]

    def reduce_sum(value):
        if world > 1:
            value = value.detach().clone()
            dist.all_reduce(value)
        return value

    def step(idx, n):
        """One update on the global batch ``idx`` (None: all) of n examples; returns
        this rank's loss sum and the penalty, both taken before it."""
        opt.zero_grad(set_to_none=True)
        loss, local, penalty = _batch_loss(model, module, *shard(idx), world / n, c.alpha, m, amp)
        loss.backward()
        opt.step()
        return local.detach(), _value(penalty)

    @torch.no_grad()
    def full_cost():
        _, local, penalty = _batch_loss(module, module, *shard(None), 1.0, c.alpha, m, amp)
        return float(reduce_sum(local)) / m + _value(penalty)

    full = c.full_batch(m)
    converged = False
    for it in range(c.max_iter):
        if c.solver == "lbfgs":

            def closure():
                opt.zero_grad(set_to_none=True)
                loss, _, _ = _batch_loss(model, module, *shard(None), world / m, c.alpha, m, amp)
                loss.backward()
                return loss

            J = float(opt.step(closure).detach())
            grads = torch.cat([p.grad.reshape(-1) for p in module.parameters()])
            converged = c.tol > 0 and float(grads.abs().max()) <= c.tol
        elif full:
            local, penalty = step(None, m)
            J = float(reduce_sum(local)) / m + penalty
        else:
            J = full_cost()  # the epoch's entry: J before its first update
            # the NumPy engine's batch order (solvers.batches), as one index tensor
            perm = torch.as_tensor(rng.permutation(m), device=dev)
            for start in range(0, m, c.batch_size):
                idx = perm[start : start + c.batch_size]
                step(idx, idx.shape[0])
        if monitor.after_update(it, J) or converged:
            result.converged = result.converged or converged
            break
    monitor.finish()
    module.to_numpy(net)
    return result


def train_dataset(net, dataset, config, *, class_values, seed=0, num_workers=0, callback=None):
    """Train ``net`` on a torch ``Dataset`` read batch by batch (bounded memory), as
    ``config`` says (``config.batch_size`` must be set).

    A seeded ``DataLoader`` (``make_loader``; a ``DistributedSampler`` under torchrun)
    draws the mini-batches, with ``num_workers`` processes reading ahead. Each
    ``history`` entry is the epoch's mean mini-batch cost, each taken before its own
    update: a whole extra pass to measure J at the epoch's start would double the
    reading of data that does not fit in memory. ``class_values`` are the label values
    of the output units, in order (for class-index labels).
    """
    from .data import make_loader, set_epoch

    c = config
    if c.solver == "lbfgs":
        raise ValueError(
            "solver='lbfgs' needs the full batch in memory; streamed data "
            "trains with gd, sgd, momentum or adam"
        )
    if c.batch_size is None:
        raise ValueError("streamed data is read in mini-batches: set batch_size")
    dev = resolve_device(c.device)
    rank, world = setup_distributed(dev)
    head, m = net.spec.head, len(dataset)
    module, model, dtype, amp = _prepare(net, dev, world, c.autocast)
    loader = make_loader(
        dataset,
        c.batch_size,
        shuffle=True,
        seed=seed,
        num_workers=num_workers,
        distributed=world > 1,
    )
    if head != "multilabel":  # label value -> output unit
        values = torch.as_tensor(np.asarray(class_values, dtype=np.int64))
        lookup = torch.full((int(values.max()) + 1,), -1, dtype=torch.int64)
        lookup[values] = torch.arange(len(values))
        lookup = lookup.to(dev)
    result = TrainResult()
    monitor = Monitor(
        _Model(module, world),
        result,
        c.tol,
        c.n_iter_no_change,
        None,
        None,
        c.verbose if rank == 0 else 0,
        c.max_iter,
        callback,
    )
    opt = _optimizer(model.parameters(), c)
    try:
        for epoch in range(c.max_iter):
            set_epoch(loader, epoch)
            totals = torch.zeros(2, dtype=torch.float64, device=dev)  # Σ cost·n, Σ n
            for xb, yb in loader:
                xb = xb.to(dev, dtype=dtype, non_blocking=True)
                yb = yb.to(dev, non_blocking=True)
                if head == "softmax":
                    T = lookup[yb]
                elif head == "binary":
                    T = lookup[yb].to(dtype).unsqueeze(1)
                else:
                    T = yb.to(dtype)
                n = xb.shape[0]
                opt.zero_grad(set_to_none=True)
                loss, local, penalty = _batch_loss(model, module, xb, T, 1.0 / n, c.alpha, m, amp)
                loss.backward()
                totals[0] += local.detach().double() + n * _value(penalty)
                totals[1] += n
                opt.step()
            if world > 1:
                dist.all_reduce(totals)
            J = float(totals[0] / totals[1])
            if monitor.after_update(epoch, J):
                break
    except BaseException:
        if num_workers and threading.current_thread() is threading.main_thread():
            # a stopped run leaves the loader's worker processes behind; torch's SIGCHLD
            # handler would then raise again, at exit, about workers Ctrl-C or SIGTERM
            # ended as well
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        raise
    module.to_numpy(net)
    return result


def _value(x):
    """A float from a number or a tensor, without touching autograd."""
    return float(x.detach()) if torch.is_tensor(x) else float(x)
