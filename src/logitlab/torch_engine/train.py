"""Training on torch: the NumPy engine's solvers and rules, with torch.optim doing the
updates, on CPU or CUDA, in one process or many under ``torch.distributed``.

:func:`train` takes and returns what :func:`logitlab.numpy_engine.train` does — a
NumPy network, X (n_x, m) and Y (n_out, m) in the notes' layout — and follows the same
rules (``history[i]`` is J before update i, one entry per epoch for mini-batch
solvers; the same ``tol``, early stopping and L2 penalty), so the two engines give the
same numbers. Data in memory is moved to the device once, and each mini-batch is drawn
by indexing that tensor with the batch's indices: no per-example ``__getitem__``, no
collation. Sparse X (a ``scipy.sparse`` matrix) stays in host memory as CSR and each
mini-batch's rows go to the device as a torch sparse tensor (:mod:`.sparse`).

Under ``torchrun`` (WORLD_SIZE > 1) the module is wrapped in DistributedDataParallel
(gloo on CPU, nccl on CUDA). Every rank draws the same global batch and takes its
interleaved shard, batch[rank::world], and scales its loss so that DDP's gradient
average is the gradient of the whole global batch: a run on N processes matches one
process with the same batch size. A streamed dataset (:func:`train_dataset`) is read
the same way, each rank reading only its shards (``data.GlobalBatchSampler``).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import signal
import threading
import weakref

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from ..numpy_engine.solvers import (
    DEFAULT_CONFIG,
    SMALL_PROBLEM,
    LRSchedule,
    Monitor,
    TrainingData,
    TrainResult,
    TrainState,
    validation_score,
)
from .module import TorchNetwork
from .sparse import Rows


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
        # before the group exists: torch.distributed.nn's functions take the group as a
        # default argument, group.WORLD, evaluated at import. Imported later (DDP imports
        # it through torch._dynamo), they would hold the group for good, and
        # destroy_process_group could not end gloo's threads before the interpreter
        # shuts down.
        import torch.distributed.nn  # noqa: F401

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

    def all_finite(self):
        return bool(torch.isfinite(self.module.flat()).all())

    def snapshot(self):
        return self.module.flat().clone()

    def restore(self, snapshot):
        self.module.set_flat(snapshot)

    def to_array(self, snapshot):
        return snapshot.detach().cpu().numpy().copy()

    def from_array(self, array):
        p = next(self.module.parameters())
        return torch.as_tensor(array, dtype=p.dtype, device=p.device)


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
        _WRAPPERS.add(model)
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


# torch.optim's names for the NumPy engine's optimiser vectors (OPTIMIZER_VECTORS)
_STATE_NAMES = {"momentum": {"v": "momentum_buffer"}, "adam": {"m": "exp_avg", "v": "exp_avg_sq"}}


def optimizer_state(opt, module, solver):
    """The optimiser's state in the NumPy engine's form (flat vectors in θ's layout,
    Adam's step ``t``): what :class:`~logitlab.numpy_engine.solvers.TrainState` holds."""
    names = _STATE_NAMES.get(solver)
    params = list(module.parameters())
    if not names or any(p not in opt.state or not opt.state[p] for p in params):
        return {}
    state = {
        ours: torch.cat([opt.state[p][theirs].detach().reshape(-1) for p in params]).cpu().numpy()
        for ours, theirs in names.items()
    }
    if solver == "adam":
        state["t"] = int(float(opt.state[params[0]]["step"]))
    return state


def load_optimizer_state(opt, module, solver, state):
    """Set the optimiser's state from :func:`optimizer_state`'s form."""
    names = _STATE_NAMES.get(solver)
    if not names or not state:
        return
    i = 0
    for p in module.parameters():
        n = p.numel()
        # torch.tensor copies: as_tensor would share the state's arrays on the CPU, and
        # the optimiser's in-place steps would rewrite the state training started from
        entry = {
            theirs: torch.tensor(
                np.asarray(state[ours])[i : i + n], dtype=p.dtype, device=p.device
            ).view_as(p)
            for ours, theirs in names.items()
        }
        if solver == "adam":
            # fused Adam keeps its step as a float32 tensor beside the parameters
            entry["step"] = torch.tensor(float(state["t"]), dtype=torch.float32, device=p.device)
        opt.state[p] = entry
        i += n


def _batch_loss(forward, module, Xb, Tb, scale, alpha, m, amp, wb=None, pw=None, masks=None):
    """The cost of one batch (or this rank's shard of it) as both engines define it,
    scale·Σ w_i·L(z_i, t_i) + alpha/(2m)·Σ‖W[l]‖², and its two parts: the one loss
    function every training path of this engine backpropagates or reports.

    ``forward`` is the module, or its DDP wrapper (which averages the ranks' gradients
    during backward); ``scale`` is 1/n for a batch of n, world/n for a shard of a
    global batch of n on ``world`` ranks; ``m`` is the training set's total weight
    (its size without sample weights); ``wb`` the batch's weights (mean 1 over the
    training set), ``pw`` the labels' positive weights, ``masks`` dropout masks.
    """
    with amp:
        Z = forward(Xb) if masks is None else forward(Xb, masks)
    local = module.loss_sum(Z, Tb, wb, pw)
    penalty = module.penalty(alpha, m)
    return local * scale + penalty, local, penalty


def _draw_masks(gen, n, hidden, keep, dtype):
    """Inverted-dropout masks of a batch of n examples, one (n, n[l]) per hidden layer:
    1/keep where a unit is kept (probability ``keep``), else 0; drawn from ``gen`` on
    its device."""
    return [
        (torch.rand((n, h), generator=gen, device=gen.device, dtype=dtype) < keep).to(dtype) / keep
        for h in hidden
    ]


def _rows_of_rank(tensors, rank, world):
    """This rank's interleaved rows, ``[rank::world]``, of each tensor of a global batch
    (all of them in one process)."""
    return tensors if world == 1 else [t[rank::world] for t in tensors]


#: the DistributedDataParallel wrappers alive (weakly held, so the set alone keeps none)
_WRAPPERS: weakref.WeakSet[DistributedDataParallel] = weakref.WeakSet()


def _freed_under_torchrun(fn):
    """``fn``, followed by a garbage collection when a DistributedDataParallel
    wrapper it made is still alive after it returns, so that the wrapper and the data
    loader's workers are freed then.

    The first DDP in a process imports parts of torch that leave a cycle of frames
    (``torch.fx.wrap`` keeps its own frame), and that cycle holds every frame of the
    training call. Without a collection, the wrapper lives on, and its reducer keeps
    the process group. ``destroy_process_group`` then cannot stop gloo's threads (gloo
    has no shutdown of its own), and they are still running, connected to the other
    ranks, while the interpreter shuts down. That is the state in which a rank once
    ended a good run in SIGABRT ("terminate called without an active exception").
    Only the first wrapper is caught in that cycle: later fits (``partial_fit``) free
    theirs as they return and skip the collection, which takes a fifth of a second.
    """

    @functools.wraps(fn)
    def run(*args, **kwargs):
        result = fn(*args, **kwargs)
        if _WRAPPERS:
            gc.collect()
        return result

    return run


@_freed_under_torchrun
def train(
    net,
    X,
    Y,
    config=DEFAULT_CONFIG,
    *,
    X_val=None,
    Y_val=None,
    sample_weight=None,
    sample_weight_val=None,
    pos_weight=None,
    rng=None,
    callback=None,
    state=None,
    epochs=None,
    dropout_masks=None,
):
    """Train the NumPy network ``net`` in place, on torch; returns a ``TrainResult``.

    Arguments as :func:`logitlab.numpy_engine.train` (X and X_val may be sparse);
    ``config.device`` and ``config.autocast`` (bfloat16 autocast of the forward pass,
    for CUDA) say where.
    Dropout masks are drawn on the device from a ``torch.Generator`` seeded from
    ``rng`` every epoch, unless ``dropout_masks`` gives them.
    """
    dev = resolve_device(config.device)
    with _cpu_threads_for(X, dev):
        return _train(
            net,
            X,
            Y,
            config,
            TrainingData.prepare(
                X.shape[1], net.dtype, X_val, Y_val, sample_weight, sample_weight_val, pos_weight
            ),
            rng,
            callback,
            dev,
            TrainState() if state is None else state,
            epochs,
            dropout_masks,
        )


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


def _controls(c, state, module, model, world, rank, result, validate, callback, position):
    """The optimiser, schedule and monitor of a training run, each continuing from
    ``state``, and ``state_of(done)``: the :class:`TrainState` after ``done``
    iterations, with the fields ``position()`` gives (the batch order's source)."""
    schedule = LRSchedule(c, c.max_iter, state.schedule)
    opt = _optimizer(model.parameters(), c)
    load_optimizer_state(opt, module, c.solver, state.optimizer)

    def state_of(done):
        return TrainState(
            epoch=done,
            optimizer=optimizer_state(opt, module, c.solver),
            schedule=schedule.state_dict(),
            monitor=monitor.state_dict(),
            **position(),
        )

    torch_model = _Model(module, world)
    monitor = Monitor(
        torch_model,
        result,
        c,
        validate,
        _callback_with(callback, torch_model),
        verbose=c.verbose if rank == 0 else 0,
        schedule=schedule,
        state_of=state_of,
    )
    monitor.load_state_dict(state.monitor)
    return opt, schedule, monitor, state_of


def _callback_with(callback, model):
    """The monitor's callback, handing the user's callback the torch model."""
    if callback is None:
        return None

    def call(info):
        info.model = model
        return callback(info)

    return call


def _validator(module, Xv, Tv, wv, pw, Y_val, head, scoring):
    """The monitor's ``validate``: the validation cost (and the watched score)."""

    @torch.no_grad()
    def validate():
        Z = module(Xv)
        cost = float(module.loss_sum(Z, Tv, wv, pw)) / Xv.shape[0]
        if scoring == "loss":
            return cost, None
        weights = None if wv is None else wv.cpu().numpy()
        return cost, validation_score(Z.double().cpu().numpy().T, Y_val, head, scoring, weights)

    return validate


def _train(net, X, Y, c, data, rng, callback, dev, state, epochs, dropout_masks):
    rank, world = setup_distributed(dev)
    if c.solver == "lbfgs" and world > 1:
        raise ValueError(
            "solver='lbfgs' does not run distributed; use gd, sgd, momentum or adam under torchrun"
        )
    if c.solver == "lbfgs" and not c.full_batch(X.shape[1]):
        raise ValueError("solver='lbfgs' uses the full batch: leave batch_size=None")
    rng = state.generator(rng)
    head, m = net.spec.head, X.shape[1]
    module, model, dtype, amp = _prepare(net, dev, world, c.autocast)
    Xt = Rows(X, dev, dtype)  # the estimator's (m, n_x) rows: no copy of dense X on CPU
    T = _targets(Y, head, dev, dtype)
    total = data.total_weight

    def tensor(a):
        return None if a is None else torch.as_tensor(np.ravel(a), device=dev, dtype=dtype)

    W, pw = tensor(data.weights), tensor(data.pos_weight)
    result = TrainResult(engine="torch")
    validate = None
    if data.X_val is not None:
        X_val, Y_val, wv = data.X_val, data.Y_val, tensor(data.weights_val)
        Xv, Tv = Rows(X_val, dev, dtype).all(), _targets(Y_val, head, dev, dtype)
        validate = _validator(module, Xv, Tv, wv, pw, Y_val, head, c.validation_scoring)
    opt, schedule, monitor, state_of = _controls(
        c, state, module, model, world, rank, result, validate, callback,
        lambda: {"rng": dict(rng.bit_generator.state)},
    )  # fmt: skip
    monitor.use_tol = c.solver != "lbfgs"  # L-BFGS stops on its gradient instead
    keep = 1.0 - c.dropout
    dropping = bool(c.dropout and net.spec.hidden)
    gen = torch.Generator(device=dev) if dropping and dropout_masks is None else None

    def masks(n):
        """This rank's dropout masks for a global batch of n examples: the masks of the
        whole batch (drawn alike on every rank, or injected), of which a rank takes its
        rows, so N processes drop what one process drops."""
        if not dropping:
            return None
        if dropout_masks is not None:
            full = [torch.as_tensor(D.T, device=dev, dtype=dtype) for D in dropout_masks(n)]
        else:
            full = _draw_masks(gen, n, net.spec.hidden, keep, dtype)
        return _rows_of_rank(full, rank, world)

    def shard(idx):
        """This rank's part of a global batch (all of it in one process)."""
        if idx is None:
            if world == 1:
                return Xt.all(), T, W
            return Xt[rank::world], T[rank::world], None if W is None else W[rank::world]
        if world > 1:
            idx = idx[rank::world]
        return Xt[idx], T[idx], None if W is None else W[idx]

    def reduce_sum(value):
        if world > 1:
            value = value.detach().clone()
            dist.all_reduce(value)
        return value

    def step(idx, n):
        """One update on the global batch ``idx`` (None: all) of n examples; returns
        this rank's loss sum and the penalty, both taken before it."""
        opt.zero_grad(set_to_none=True)
        Xs, Ts, Ws = shard(idx)
        loss, local, penalty = _batch_loss(
            model, module, Xs, Ts, world / n, c.alpha, total, amp, Ws, pw, masks(n)
        )
        loss.backward()
        opt.step()
        return local.detach(), penalty.detach() if torch.is_tensor(penalty) else penalty

    @torch.no_grad()
    def full_cost():
        Xs, Ts, Ws = shard(None)
        _, local, penalty = _batch_loss(module, module, Xs, Ts, 1.0, c.alpha, total, amp, Ws, pw)
        return float(reduce_sum(local)) / m + _value(penalty)

    full = c.full_batch(m)
    converged = False
    first = state.epoch
    n_epochs = c.max_iter if epochs is None else epochs
    done = first
    for it in range(first, first + n_epochs):
        lr = schedule.lr(it)
        for group in opt.param_groups:
            group["lr"] = lr if c.solver != "lbfgs" else 1.0
        if gen is not None:
            gen.manual_seed(int(rng.integers(2**62)))  # one seed on every rank (shared rng)
        if c.solver == "lbfgs":

            def closure():
                opt.zero_grad(set_to_none=True)
                Xs, Ts, Ws = shard(None)
                loss, _, _ = _batch_loss(
                    model, module, Xs, Ts, world / m, c.alpha, total, amp, Ws, pw
                )
                loss.backward()
                return loss

            J = float(opt.step(closure).detach())
            grads = torch.cat([p.grad.reshape(-1) for p in module.parameters()])
            converged = c.tol > 0 and float(grads.abs().max()) <= c.tol
        elif full:
            if dropping:
                J = full_cost()  # the recorded J is the cost of the network that predicts
                step(None, m)
            else:
                local, penalty = step(None, m)
                J = float(reduce_sum(local)) / m + _value(penalty)
        else:
            # the NumPy engine's batch order (solvers.batches), as one index tensor
            perm = torch.as_tensor(rng.permutation(m), device=Xt.index_device)
            # the epoch's mean batch cost, summed on the device: one sync per epoch
            loss_sum, penalty_sum = 0.0, 0.0
            for start in range(0, m, c.batch_size):
                idx = perm[start : start + c.batch_size]
                local, penalty = step(idx, idx.shape[0])
                loss_sum = loss_sum + local
                penalty_sum = penalty_sum + penalty * idx.shape[0]
            J = (_value(reduce_sum(loss_sum)) + _value(penalty_sum)) / m
        stop = monitor.after_update(it, J, lr if c.solver != "lbfgs" else np.nan)
        done = it + 1
        if stop or converged:
            result.converged = result.converged or converged
            break
    monitor.finish()
    module.to_numpy(net)
    result.state = state_of(done)
    return result


@_freed_under_torchrun
def train_dataset(
    net,
    dataset,
    config,
    *,
    class_values,
    seed=0,
    num_workers=0,
    callback=None,
    val_dataset=None,
    unit_weights=None,
    pos_weight=None,
    state=None,
    epochs=None,
):
    """Train ``net`` on a torch ``Dataset`` read batch by batch (bounded memory), as
    ``config`` says (``config.batch_size`` must be set).

    A seeded ``DataLoader`` (``make_shard_loader``) draws the mini-batches, with
    ``num_workers`` processes reading ahead; epoch e's order comes from ``seed + e``,
    so a resumed run reads the same batches. Under torchrun every rank reads its shard
    of each global batch of ``config.batch_size`` and scales its loss by world/n for a
    global batch of n (as :func:`train` does), so N processes train as one does;
    the validation set is sharded the same way and its cost (and score) reduced, so
    every rank sees the same figures and stops at the same epoch.
    ``history`` follows :func:`train`'s rule. ``class_values`` are the label values
    of the output units, in order (for class-index labels).

    ``val_dataset`` is read after every epoch for the validation cost (and early
    stopping); ``unit_weights`` (n_out,) weighs each example by its class's output
    unit (class weights, binary and softmax heads); ``pos_weight`` (n_out,) weighs the
    labels' positive terms; ``state`` and ``epochs`` are as in :func:`train`.
    """
    from .data import make_shard_loader, set_epoch

    c = config
    state = TrainState() if state is None else state
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
    seed = seed if state.loader_seed is None else state.loader_seed
    module, model, dtype, amp = _prepare(net, dev, world, c.autocast)
    # one code path for 1 process and N: each reads its shard of every global batch
    loader = make_shard_loader(
        dataset, c.batch_size, seed=seed, rank=rank, world=world, num_workers=num_workers
    )
    sampler = loader.batch_sampler
    lookup = None
    if head != "multilabel":  # label value -> output unit
        values = torch.as_tensor(np.asarray(class_values, dtype=np.int64))
        lookup = torch.full((int(values.max()) + 1,), -1, dtype=torch.int64)
        lookup[values] = torch.arange(len(values))
        lookup = lookup.to(dev)
    uw, total = None, float(m)
    if unit_weights is not None and head != "multilabel":
        labels = np.asarray(dataset_labels(dataset))
        units = lookup.cpu().numpy()[labels]
        per_example = np.asarray(unit_weights, dtype=np.float64)[units]
        total = float(per_example.sum())
        uw = torch.as_tensor(np.asarray(unit_weights) * (m / total), device=dev, dtype=dtype)
    pw = (
        None
        if pos_weight is None
        else torch.as_tensor(np.ravel(pos_weight), device=dev, dtype=dtype)
    )

    def targets(yb):
        """Targets and per-example weights of a batch of labels."""
        yb = yb.to(dev, non_blocking=True)
        if head == "multilabel":
            return yb.to(dtype), None
        units = lookup[yb]
        wb = None if uw is None else uw[units]
        return (units if head == "softmax" else units.to(dtype).unsqueeze(1)), wb

    validate = None
    if val_dataset is not None:
        validate = _streamed_validator(
            module, val_dataset, c, rank, world, dev, dtype, targets, pw, net.spec
        )

    result = TrainResult(engine="torch")
    opt, schedule, monitor, state_of = _controls(
        c, state, module, model, world, rank, result, validate, callback,
        lambda: {"loader_seed": seed},
    )  # fmt: skip
    keep = 1.0 - c.dropout
    dropping = bool(c.dropout and net.spec.hidden)
    gen = torch.Generator(device=dev) if dropping else None

    def masks(n):
        """This rank's rows of the dropout masks of a global batch of n examples: every
        rank draws the whole batch's, as one process would, and keeps its own."""
        if not dropping:
            return None
        return _rows_of_rank(_draw_masks(gen, n, net.spec.hidden, keep, dtype), rank, world)

    first = state.epoch
    n_epochs = c.max_iter if epochs is None else epochs
    done = first
    try:
        for epoch in range(first, first + n_epochs):
            set_epoch(loader, epoch)  # epoch e's order from seed + e
            loader.generator.manual_seed(seed + epoch)  # and the workers' seeds
            if gen is not None:
                gen.manual_seed(seed + 7919 * (epoch + 1))
            lr = schedule.lr(epoch)
            for group in opt.param_groups:
                group["lr"] = lr
            totals = torch.zeros(2, dtype=torch.float64, device=dev)  # Σ cost·n, Σ n
            for i, (xb, yb) in enumerate(loader):
                xb = xb.to(dev, dtype=dtype, non_blocking=True)
                T, wb = targets(yb)
                n, n_global = xb.shape[0], sampler.global_size(i)
                opt.zero_grad(set_to_none=True)
                # an empty shard (n = 0) still runs backward: DDP waits for every rank
                loss, local, penalty = _batch_loss(
                    model, module, xb, T, world / n_global, c.alpha, total, amp, wb, pw,
                    masks(n_global),
                )  # fmt: skip
                loss.backward()
                totals[0] += local.detach().double() + n * _value(penalty)
                totals[1] += n
                opt.step()
            if world > 1:
                dist.all_reduce(totals)
            J = float(totals[0] / totals[1])
            stop = monitor.after_update(epoch, J, lr)
            done = epoch + 1
            if stop:
                break
    except BaseException:
        if num_workers and threading.current_thread() is threading.main_thread():
            # a stopped run leaves the loader's worker processes behind; torch's SIGCHLD
            # handler would then raise again, at exit, about workers Ctrl-C or SIGTERM
            # ended as well
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        raise
    monitor.finish()
    module.to_numpy(net)
    result.state = state_of(done)
    return result


def _streamed_validator(module, dataset, c, rank, world, dev, dtype, targets, pw, spec):
    """The monitor's ``validate`` for a validation dataset: each rank reads its shard
    of every batch, and the cost's sum and weight (and, for another score, the
    shards' outputs, put back in the dataset's order) are gathered, so every rank
    computes the one process's figures."""
    from .data import make_shard_loader

    loader = make_shard_loader(dataset, c.batch_size, rank=rank, world=world, shuffle=False)
    # this rank's examples, in the order its shards come
    order = np.concatenate([np.asarray(b, dtype=np.int64) for b in loader.batch_sampler] or [[]])
    scoring = c.validation_scoring

    @torch.no_grad()
    def validate():
        # weighed by the class weights, as `fit` weighs X_val: the training objective
        sums = torch.zeros(2, dtype=torch.float64, device=dev)  # Σ w·loss, Σ w
        Zs, Ts, Ws = [], [], []
        for xb, yb in loader:
            Z = module(xb.to(dev, dtype=dtype))
            T, wb = targets(yb)
            sums[0] += module.loss_sum(Z, T, wb, pw).double()
            sums[1] += xb.shape[0] if wb is None else wb.double().sum()
            if scoring != "loss":
                Zs.append(Z.double().cpu().numpy())
                Ts.append(T.cpu().numpy())
                if wb is not None:
                    Ws.append(wb.double().cpu().numpy())
        if world > 1:
            dist.all_reduce(sums)
        cost = float(sums[0] / sums[1])
        if scoring == "loss":
            return cost, None
        mine = (order, np.concatenate(Zs), np.concatenate(Ts), np.concatenate(Ws) if Ws else None)
        shards = [mine]
        if world > 1:
            shards = [None] * world
            dist.all_gather_object(shards, mine)
        back = np.argsort(np.concatenate([s[0] for s in shards]), kind="stable")
        Z = np.concatenate([s[1] for s in shards])[back].T
        Tn = np.concatenate([s[2] for s in shards])[back]
        Y = np.eye(spec.n_out)[Tn].T if spec.head == "softmax" else Tn.T
        weights = None if mine[3] is None else np.concatenate([s[3] for s in shards])[back]
        return cost, validation_score(Z, Y, spec.head, scoring, weights)

    return validate


def dataset_labels(dataset):
    """A dataset's labels in memory (``.targets`` or ``.y``), as a NumPy array."""
    labels = getattr(dataset, "targets", None)
    if labels is None:
        labels = getattr(dataset, "y", None)
    if labels is None:
        raise ValueError("training needs the dataset's labels in memory, as `.targets` or `.y`")
    return np.asarray(labels.cpu() if hasattr(labels, "cpu") else labels)


def _value(x):
    """A float from a number or a tensor, without touching autograd."""
    return float(x.detach()) if torch.is_tensor(x) else float(x)
