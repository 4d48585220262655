"""scikit-learn estimators over the engines.

The estimators validate their input, choose the output head from ``y``, hand the data
to an engine in the notes' layout (X of shape (n_x, m), one example per column: the
transpose of scikit-learn's (n_samples, n_features), taken as a view, not a copy) and
keep the fitted state in trailing-underscore attributes. The math lives in
:mod:`logitlab.functional` and the engines. X may be a ``scipy.sparse`` matrix (CSR;
other formats are converted to CSR): its transpose, CSC, shares its arrays, and the
engines read it in the first layer's products without densifying it.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import math
import sys
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.sparsefuncs import min_max_axis
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from . import functional as F
from . import numpy_engine
from .data.stratify import stratified_folds, stratified_split
from .numpy_engine import INITS, SOLVERS, Iteration, Network, StopTraining, TrainState
from .spec import (
    CHAIN_METHODS,
    ENGINES,
    HIDDEN_ACTIVATIONS,
    LR_SCHEDULES,
    THRESHOLD_SCORINGS,
    VALIDATION_SCORINGS,
    ModelSpec,
    TrainConfig,
)

__all__ = [
    "choose_engine",
    "Iteration",
    "StopTraining",
    "LogisticRegression",
    "SoftmaxRegression",
    "OneVsAllClassifier",
    "MultiLabelClassifier",
    "NeuralNetClassifier",
    "ClassifierChainEnsemble",
]

_SHARED_PARAMS_DOC = """solver : {"gd", "sgd", "momentum", "adam", "lbfgs"}, default=%(solver)r
        ``gd``: the notes' update w := w − α·dw; ``sgd``: the same on mini-batches of
        ``batch_size``; ``momentum`` and ``adam``: those update rules; ``lbfgs``:
        SciPy's L-BFGS-B on the full batch (fast on the convex models and small nets).
    learning_rate : float or "auto", default=%(learning_rate)r
        The step size α (not used by ``lbfgs``). "auto" finds it with a learning-rate
        range test before training (see :mod:`logitlab.numpy_engine.lr_find`): ~100
        updates from the initial parameters with rates growing from 1e-6 to 10, then
        the rate where the smoothed cost falls fastest; training then starts from the
        initial parameters with that rate (``learning_rate_``, the test's curve in
        ``lr_finder_``). Gradient solvers only; a ``warm_start`` fit or a later
        `partial_fit` call reuses the rate found first.
    max_iter : int, default=%(max_iter)r
        Maximum number of iterations (epochs for mini-batch solvers).
    batch_size : int or None, default=%(batch_size)r
        Examples per mini-batch; None (or m or more) uses the whole training set for
        every update, as ``lbfgs`` always does.
    tol : float, default=%(tol)r
        Stop when the cost improves by less than ``tol`` for ``n_iter_no_change``
        iterations in a row (for ``lbfgs``: SciPy's gradient tolerance). 0 runs all
        ``max_iter`` iterations.
    alpha : float, default=%(alpha)r
        L2 penalty: J = mean cross-entropy + alpha/(2m)·Σ‖W[l]‖² (biases are not
        penalised). ``alpha = 1/C`` matches scikit-learn's ``LogisticRegression(C=C)``.
    init : {"auto", "zeros", "random", "he", "xavier"}, default="auto"
        Initial weights: "auto" is zeros without hidden layers, He for ReLU layers and
        Xavier otherwise; "random" is the notes' N(0, 1)·0.01.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, mini-batch order and the early-stopping split.
    dtype : {"float64", "float32"}, default="float64"
        Floating-point type of the parameters and of the computation.
    verbose : int, default=0
        Print the cost every 10%% of ``max_iter`` (1) or at every iteration (2).
    early_stopping : bool or "auto", default=%(early_stopping)r
        Stop when the validation set's watched value (``validation_scoring``) has not
        improved by ``tol`` for ``n_iter_no_change`` iterations, and keep the
        parameters with the best one. The validation set is ``X_val, y_val`` given to
        `fit`, else ``validation_fraction`` of the training set held out (stratified by
        class, or by iterative stratification for multi-label y). "auto" stops early
        when that validation set holds at least 100 examples (from 1000 training
        examples with the default ``validation_fraction``).
    validation_fraction : float, default=0.1
        Share of the training set held out for early stopping when `fit` is given no
        ``X_val``.
    n_iter_no_change : int, default=10
        Iterations without improvement allowed by ``tol`` and ``early_stopping``.
    lr_schedule : {"constant", "step", "cosine", "plateau"}, default="constant"
        How the learning rate changes over the iterations (epochs): ``step``
        multiplies it by ``lr_decay`` every ``lr_step_size`` iterations; ``cosine``
        lowers it along a half cosine to 0 at ``max_iter``; ``plateau`` multiplies it
        by ``lr_decay`` when the validation cost (else the training cost) has not
        improved for ``lr_patience`` iterations. Both engines follow it alike.
    lr_decay : float, default=0.1
        Factor of each ``step`` and ``plateau`` reduction.
    lr_step_size : int, default=30
        Iterations between ``step`` reductions.
    lr_patience : int, default=5
        Iterations without improvement before a ``plateau`` reduction.
    warmup_iter : int, default=0
        Iterations of linear warm-up to the learning rate, before any schedule.
    validation_scoring : {"loss", "accuracy", "hamming"}, default="loss"
        What early stopping watches on the validation set: its cost, its accuracy
        (exact match for multi-label) or its Hamming loss; the other curves are kept.
    momentum : float, default=0.9
        β of the ``momentum`` solver.
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's decay rates and its ε.
    engine : {"auto", "numpy", "torch"}, default="auto"
        Train with the NumPy engine or with PyTorch (``pip install 'logitlab[torch]'``);
        ``"auto"`` picks torch where it is faster — with CUDA, or on a CPU for large
        updates — as :func:`choose_engine` says, and ``engine_`` tells which. Both give
        the same numbers (to ~1e-6); predictions always run on the NumPy copy, so a model
        trained on a GPU predicts anywhere.
    device : str, default="auto"
        Torch engine only: "auto" (CUDA when present), "cpu", "cuda" or "cuda:N".
    autocast : bool, default=False
        Torch engine only: run the forward pass under bfloat16 autocast (for CUDA).
    warm_start : bool, default=False
        Continue from the fitted parameters of an earlier ``fit`` of the same network
        (same features, outputs and layers) instead of initialising afresh, for
        ``max_iter`` more iterations. Training goes on exactly where it stopped: the
        optimiser's state (momentum, Adam's moments), the schedule, the batch order's
        random generator and the early-stopping counters continue, so two fits of 5
        iterations equal one of 10."""

_CLASS_WEIGHT_DOC = """class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplying ``sample_weight`` (scikit-learn's meaning):
        a dict {class: weight}, or "balanced" for n_samples / (n_classes ·
        n_samples_of_class), so every class weighs as much in the cost. Single-label y
        only."""

_POS_WEIGHT_DOC = """pos_weight : "balanced", array-like of shape (n_labels,) or None, default=None
        Weight of each label's positive examples in its binary cross-entropy
        −[p·y ln a + (1 − y) ln(1 − a)] (torch's ``BCEWithLogitsLoss`` meaning);
        "balanced" is n_negatives / n_positives of each label in the training data
        (1 for a label that every example, or none, has). Multi-label y only."""

_SHARED_ATTRS_DOC = """classes_ : ndarray
        The class labels (for multi-label: the label indices 0 .. n_labels−1).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names, when ``X`` had string column names.
    n_iter_ : int
        Iterations run (epochs for mini-batch solvers).
    history_ : ndarray of shape (n_iter_,)
        ``history_[i]`` is the training cost J with the parameters before update i;
        ``history_[0]`` is the cost of the initial parameters. For mini-batch solvers,
        one entry per epoch: the mean of its mini-batch costs, each taken before its own
        update (as scikit-learn's ``loss_curve_``).
    validation_history_ : ndarray or None
        With a validation set (``X_val`` or ``early_stopping``), its cost after each
        iteration (without the penalty).
    validation_scores_ : ndarray or None
        With a validation set and ``validation_scoring`` other than "loss", its
        accuracy or Hamming loss after each iteration.
    engine_ : {"numpy", "torch"} or None
        The engine that trained (None for a model read from a file).
    learning_rate_ : float or None
        The learning rate training used: ``learning_rate``, or the one found with
        ``learning_rate="auto"``.
    lr_finder_ : logitlab.numpy_engine.LRFinderResult or None
        With ``learning_rate="auto"``, the range test's rates, smoothed costs and
        suggested rate; else None.
    train_state_ : logitlab.numpy_engine.solvers.TrainState or None
        Where training stands: optimiser, schedule, generator and counters, from which
        ``warm_start``, `partial_fit` and resumed runs continue exactly.
    network_ : logitlab.numpy_engine.Network
        The trained network: ``network_.W[l]``, ``network_.b[l]`` in the notes' shapes."""


_THRESHOLD_DOC = """threshold : float, array-like of shape (n_labels,) or "cv", default=0.5
        Multi-label data: a label is predicted when its probability exceeds its
        threshold. "cv" chooses one threshold per label by cross-validation on the
        training data (see ``threshold_scoring``), kept in ``thresholds_``.%(unused)s
    threshold_scoring : {"hamming", "f1"}, default="hamming"
        With ``threshold="cv"``: what each label's threshold optimises on the
        out-of-fold probabilities: its errors (so the Hamming loss, the mean of the
        labels' error rates) or its F1 (so the macro F1). Candidates are 0.01, 0.02, ...,
        0.99; ties go to the one nearest 0.5.
    threshold_cv : int, default=5
        With ``threshold="cv"``: the number of folds (iterative stratification) whose
        held-out probabilities choose the thresholds. The model is fitted
        ``threshold_cv`` times on the folds, then once on all the data, which predicts."""


def _fill_doc(cls):
    defaults = {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items()}
    cls.__doc__ = (
        cls.__doc__.replace("{shared_params}", _SHARED_PARAMS_DOC % defaults)
        .replace("{shared_attrs}", _SHARED_ATTRS_DOC)
        .replace("{class_weight}", _CLASS_WEIGHT_DOC)
        .replace("{pos_weight}", _POS_WEIGHT_DOC)
        .replace("{threshold}", _THRESHOLD_DOC % {"unused": getattr(cls, "_threshold_note", "")})
    )
    return cls


_NEEDS_CLASSES = (
    "partial_fit needs classes=[all class labels] on its first call: a batch may not "
    "hold every class"
)


def _checked_weights(sample_weight, X, name="sample_weight"):
    """Per-row weights checked as scikit-learn checks them (one finite, non-negative
    value per row of X), in float64; None stays None. Errors name ``name``."""
    if sample_weight is None:
        return None
    try:
        return _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    except ValueError as exc:
        if name == "sample_weight":
            raise
        raise ValueError(f"{name}: {exc}") from None


def _refuse_unknown_labels(y, unknown, classes):
    """Name the labels of y (where ``unknown``) that are not among ``classes``."""
    if np.any(unknown):
        raise ValueError(
            f"y holds labels not among the classes {list(classes)}: "
            f"{list(np.unique(np.asarray(y)[unknown])[:5])}"
        )


def _indicator(y, name):
    """y as a 0/1 int64 indicator matrix (n_samples, n_labels), or a clear error."""
    y = np.asarray(y)
    if y.ndim != 2:
        check_classification_targets(y)  # names a continuous or unknown y
        raise ValueError(
            f"{name} expects y as a 0/1 indicator matrix of shape (n_samples, n_labels), "
            f"got 1-D class labels of shape {y.shape}. Only binary classification is "
            "supported for each label; sklearn.preprocessing.MultiLabelBinarizer turns "
            "label lists into a matrix"
        )
    values = np.unique(y)
    if not np.all(np.isin(values, (0, 1))):
        raise ValueError(
            f"{name} expects y to hold only 0 and 1 (one column per label), found values "
            f"{values[~np.isin(values, (0, 1))][:5].tolist()}. Only binary classification "
            "is supported for each label."
        )
    return y.astype(np.int64)


def _has_epochs(estimator):
    """Whether the solver runs in epochs, which `partial_fit` takes one at a time."""
    if estimator.solver == "lbfgs":
        raise AttributeError(
            "partial_fit runs one epoch of a gradient solver; solver='lbfgs' has none: "
            "use gd, sgd, momentum or adam"
        )
    return True


def _base_has_partial_fit(ova):
    base = LogisticRegression() if ova.estimator is None else ova.estimator
    if not hasattr(base, "partial_fit"):
        raise AttributeError(
            f"partial_fit needs a classifier with partial_fit; {type(base).__name__} "
            "with these settings has none (e.g. LogisticRegression(solver='sgd') has)"
        )
    return True


class _NetworkClassifier(ClassifierMixin, BaseEstimator):
    """Everything the network estimators share: validation, fit, predict."""

    _parameter_constraints: dict = {
        "solver": [StrOptions(set(SOLVERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "init": [StrOptions(set(INITS))],
        "random_state": ["random_state"],
        "dtype": [StrOptions({"float64", "float32"})],
        "verbose": ["verbose"],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "lr_schedule": [StrOptions(set(LR_SCHEDULES))],
        "lr_decay": [Interval(Real, 0, 1, closed="right")],
        "lr_step_size": [Interval(Integral, 1, None, closed="left")],
        "lr_patience": [Interval(Integral, 1, None, closed="left")],
        "warmup_iter": [Interval(Integral, 0, None, closed="left")],
        "validation_scoring": [StrOptions(set(VALIDATION_SCORINGS))],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "engine": [StrOptions(set(ENGINES))],
        "device": [str],
        "autocast": ["boolean"],
        "warm_start": ["boolean"],
    }

    #: the output head this estimator fits, set by subclasses; None: chosen from y
    output_head: str | None = None

    def _hidden(self):
        return ()

    def _activation(self):
        return "relu"

    # ------------------------------------------------------------------ targets
    def _encode_y(self, y, classes=None, head=None):
        """Check y; return (Y in the notes' layout, head, y as class indices or None,
        the classes). ``classes`` and ``head`` fix them (validation data, `partial_fit`)
        instead of reading them from y. Nothing is set: `set_fitted` sets the fitted
        state."""
        head = head or self.output_head
        if head is None:
            kind = type_of_target(y, input_name="y")
            if kind == "multilabel-indicator" or (y.ndim == 2 and y.shape[1] > 1):
                head = "multilabel"
            elif kind in ("binary", "multiclass"):
                n = np.unique(column_or_1d(y)).size if classes is None else len(classes)
                head = "binary" if n <= 2 else "softmax"
            else:
                check_classification_targets(y)  # raises the standard message
                raise ValueError(f"y of type {kind!r} is not supported")
        if head == "multilabel":
            return self._encode_multilabel(y, classes)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        elif y.ndim != 1:
            raise ValueError(
                f"{type(self).__name__} expects y of shape (n_samples,), got {y.shape}"
            )
        check_classification_targets(y)
        name = type(self).__name__
        if classes is None:
            classes, y_enc = np.unique(y, return_inverse=True)
        else:
            classes = np.asarray(classes)
            y_enc = np.searchsorted(classes, y).clip(0, len(classes) - 1)
            _refuse_unknown_labels(y, classes[y_enc] != y, classes)
        n_classes = classes.size
        if n_classes < 2:
            raise ValueError(
                f"{name} needs samples of at least 2 classes in y, but y contains only "
                f"one class: {classes[0]!r}"
            )
        if head == "binary" and n_classes > 2:
            raise ValueError(
                f"Only binary classification is supported by {name}: y has {n_classes} "
                "classes (the type of the target is multiclass); use SoftmaxRegression or "
                "OneVsAllClassifier for multi-class data"
            )
        if head == "binary":
            return y_enc[np.newaxis, :].astype(self.dtype), head, y_enc, classes
        return F.one_hot(y_enc, n_classes, dtype=self.dtype), head, y_enc, classes

    def _encode_multilabel(self, y, classes=None):
        y = _indicator(y, type(self).__name__)
        if classes is not None and len(classes) != y.shape[1]:
            raise ValueError(f"y has {y.shape[1]} labels, but the model has {len(classes)}")
        classes = np.arange(y.shape[1])
        return np.ascontiguousarray(y.T, dtype=self.dtype), "multilabel", None, classes

    # ------------------------------------------------------------------ weights
    def _example_weights(self, sample_weight, y_enc, classes, head, balanced_ok=True):
        """Per-example weights: ``sample_weight`` times the class weights (None when
        both are absent), and the class weights by output unit (or None)."""
        class_weight = getattr(self, "class_weight", None)
        if class_weight is None:
            return sample_weight, None
        name = type(self).__name__
        if head == "multilabel":
            raise ValueError(
                f"{name}: class_weight weighs the classes of single-label y; for a "
                "multi-label indicator matrix use pos_weight (per label)"
            )
        if class_weight == "balanced" and not balanced_ok:
            raise ValueError(
                "class_weight='balanced' needs the whole training set: partial_fit sees "
                "one batch at a time; compute the weights with "
                "sklearn.utils.class_weight.compute_class_weight and pass them as a dict"
            )
        per_class = compute_class_weight(
            class_weight, classes=classes, y=classes[y_enc], sample_weight=sample_weight
        )
        weights = per_class[y_enc]
        if sample_weight is not None:
            weights = weights * sample_weight
        return weights, per_class

    def _pos_weights(self, Y, head, sample_weight, balanced_ok=True):
        """Each label's positive weight (n_labels,), or None."""
        pos_weight = getattr(self, "pos_weight", None)
        if pos_weight is None:
            return None
        name = type(self).__name__
        if head != "multilabel":
            raise ValueError(
                f"{name}: pos_weight weighs the positives of each label of multi-label y; "
                "for single-label y use class_weight"
            )
        if isinstance(pos_weight, str):
            if not balanced_ok:
                raise ValueError(
                    "pos_weight='balanced' needs the whole training set: partial_fit sees "
                    "one batch at a time; pass the weights as an array"
                )
            s = np.ones(Y.shape[1]) if sample_weight is None else sample_weight
            positives, negatives = Y @ s, (1 - Y) @ s
            # 1 for a label always or never present: n_neg/n_pos = 0 would leave the
            # positives of a label every example has without weight, and unlearnable
            both = (positives > 0) & (negatives > 0)
            return np.where(both, negatives / np.where(both, positives, 1), 1.0)
        p = np.asarray(pos_weight, dtype=np.float64).reshape(-1)
        if p.shape != (Y.shape[0],) or not np.all(np.isfinite(p)) or np.any(p <= 0):
            raise ValueError(
                f"{name}: pos_weight must hold one positive finite weight per label "
                f"({Y.shape[0]}), got {np.asarray(pos_weight).tolist()!r}"
            )
        return p

    # ---------------------------------------------------------------------- fit
    def _validate_fit(self, X, y, reset=True):
        multi = self.output_head in (None, "multilabel")
        return validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=self.dtype,
            multi_output=multi,
            y_numeric=False,
            reset=reset,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
        callback=None,
    ):
        """Train on X of shape (n_samples, n_features) and y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A ``scipy.sparse`` X is trained on as CSR (other formats are converted),
            never densified: memory grows with its non-zeros.
        y : array-like of shape (n_samples,), or (n_samples, n_labels) of 0/1 for
            multi-label data.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights s: the cost is J = Σ s_i·L_i / Σ s_i +
            alpha/(2·Σ s_i)·Σ‖W‖², so an integer weight equals repeating the example
            (exactly for full-batch solvers; in expectation for mini-batches).
        X_val, y_val : validation data, optional
            X_val dense or sparse, as X. Measured after every iteration
            (``validation_history_``) and watched by ``early_stopping`` instead of a
            ``validation_fraction`` hold-out.
        sample_weight_val : array-like of shape (n_val_samples,), optional
            Weights of the validation examples.
        callback : callable, optional
            Called after every iteration (epoch for mini-batch solvers) with an
            :class:`Iteration`: ``iteration``, ``cost``, ``validation_cost``,
            ``validation_score``, ``learning_rate`` and ``snapshot()``, a fitted copy
            of this estimator holding the current parameters, history and training
            state (None while L-BFGS trains in the row space of X), e.g. for
            checkpoints. Returning True, or raising :class:`StopTraining`, stops
            training after that iteration, keeping the parameters reached.

        Returns
        -------
        self
        """
        X, y = self._validate_fit(X, y)
        sample_weight = _checked_weights(sample_weight, X)
        Y, head, y_enc, classes = self._encode_y(y)
        weights, per_class = self._example_weights(sample_weight, y_enc, classes, head)
        pos_weight = self._pos_weights(Y, head, sample_weight)
        validation = None
        if X_val is not None or y_val is not None:
            validation = self._validation_data(
                X_val, y_val, sample_weight_val, classes, head, per_class
            )
        _warn_if_badly_scaled(X, type(self).__name__)
        thresholds = None
        if head == "multilabel" and isinstance(getattr(self, "threshold", None), str):
            # first, so that every checkpoint of the final fit holds them: a run resumed
            # after its last epoch predicts with them
            thresholds = self._cv_thresholds(X, y, sample_weight)
        net, result, X_train, Y_train, w_train, found = self._fit_network(
            X, Y, head, y_enc, classes, weights, pos_weight, validation, callback, thresholds
        )
        self._finish(
            net,
            result,
            classes,
            X.shape[1],
            validated=result.validation_history,
            found=found,
            thresholds=thresholds,
        )
        self._warn_if_chance(X_train, Y_train, w_train, pos_weight)
        return self

    def _cv_thresholds(self, X, y, sample_weight):
        """Per-label thresholds chosen on out-of-fold probabilities (``threshold="cv"``).

        The fold models are clones with a fixed threshold, trained as long as this fit
        trains in all: a continued fit (``warm_start``, a resumed run) of ``max_iter``
        more iterations after ``n_iter_`` has them train ``n_iter_ + max_iter``."""
        iterations = self.max_iter + (self.n_iter_ if self._continuing() else 0)
        fold_model = clone(self).set_params(
            threshold=0.5, warm_start=False, max_iter=iterations, verbose=0
        )
        return cv_thresholds(
            fold_model,
            X,
            y,
            sample_weight=sample_weight,
            scoring=self.threshold_scoring,
            n_splits=self.threshold_cv,
            random_state=self.random_state,
        )

    def _validation_data(self, X_val, y_val, sample_weight_val, classes, head, per_class):
        """(X_val in the notes' layout, Y_val, its weights) checked against the
        training data: the same features and classes."""
        if X_val is None or y_val is None:
            raise ValueError("give both X_val and y_val, or neither")
        X_val = validate_data(self, X_val, reset=False, accept_sparse="csr", dtype=self.dtype)
        y_val = np.asarray(y_val)
        if len(y_val) != X_val.shape[0]:
            raise ValueError(f"X_val has {X_val.shape[0]} rows but y_val has {len(y_val)} labels")
        Y_val, _, y_enc, _ = self._encode_y(y_val, classes=classes, head=head)
        weights = _checked_weights(sample_weight_val, X_val, "sample_weight_val")
        if per_class is not None:  # the validation cost is the training objective's
            weights = per_class[y_enc] * (1.0 if weights is None else weights)
        return X_val.T, Y_val, weights

    @available_if(_has_epochs)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of the solver over (X, y): one update for ``gd``, one pass of
        mini-batches of ``batch_size`` for the others.

        Training state (optimiser, schedule, generator) carries over between calls,
        so n calls on the same data equal `fit` with ``max_iter=n``. Early stopping
        does not apply (each call is one epoch). Available for the gradient solvers
        (``gd``, ``sgd``, ``momentum``, ``adam``): ``lbfgs`` has no epochs, so with it
        the estimator has no ``partial_fit`` (as scikit-learn's MLP).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), or (n_samples, n_labels) of 0/1
        classes : array-like, optional
            All the classes, required on the first call for single-label y (a batch
            need not hold every class); ignored afterwards.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        first = not hasattr(self, "network_")
        if first:
            self._validate_params()
        _refuse_cv_threshold(self, "partial_fit sees one batch at a time")
        X, y = self._validate_fit(X, y, reset=first)
        sample_weight = _checked_weights(sample_weight, X)
        if first:
            multilabel = y.ndim == 2 and y.shape[1] > 1  # its labels are its columns
            if multilabel:
                classes = None
            elif classes is None:
                raise ValueError(_NEEDS_CLASSES)
            else:
                classes = np.unique(np.asarray(classes))
            Y, head, y_enc, classes = self._encode_y(y, classes=classes)
            engine, rng, net = self._start(
                X.shape[1], Y.shape[0], head, classes, X.shape[0], fresh=True, density=_density(X)
            )
            state, history = None, []
        else:
            head = self.network_.spec.head
            Y, head, y_enc, classes = self._encode_y(y, classes=self.classes_, head=head)
            # the engine of the first call (a model read from a file: chosen again)
            name = getattr(self, "engine_", None) or self._engine_for(
                X.shape[0], self.network_.spec.layer_sizes, _density(X)
            )
            engine, rng, net = _engine(name), None, self.network_
            state, history = self.train_state_, list(self.history_)
        weights, _ = self._example_weights(sample_weight, y_enc, classes, head, False)
        pos_weight = self._pos_weights(Y, head, sample_weight, False)
        found = self._learning_rate_for(net, X.T, Y, weights, pos_weight, rng, continuing=not first)
        result = engine.train(
            net,
            X.T,
            Y,
            self._train_config(early_stopping=False, learning_rate=found[0]),
            sample_weight=weights,
            pos_weight=pos_weight,
            rng=rng,
            state=state,
            epochs=1,
        )
        self.set_fitted(
            net,
            classes=classes,
            n_features_in=X.shape[1],
            history=np.concatenate([history, result.history]),
            n_iter=(0 if first else self.n_iter_) + result.n_iter,
            feature_names_in=getattr(self, "feature_names_in_", None),
            train_state=result.state,
            engine=result.engine,
            learning_rate=found[0],
            lr_finder=found[1],
        )
        return self

    def set_fitted(
        self,
        network,
        *,
        classes,
        n_features_in,
        history,
        n_iter,
        validation_history=None,
        feature_names_in=None,
        validation_scores=None,
        train_state=None,
        engine=None,
        learning_rate=None,
        lr_finder=None,
        thresholds=None,
    ):
        """Set the fitted state: the one place it is set, by `fit`, `partial_fit`,
        `fit_dataset`, model files (:mod:`logitlab.io`) and resumed runs.

        Parameters
        ----------
        network : logitlab.numpy_engine.Network
            The trained parameters; ``network.spec.n_x`` must equal ``n_features_in``.
        classes : array-like
            ``classes_``: the class labels, or label indices 0..n_labels−1.
        n_features_in : int
        history : array-like of float
            ``history_``: J before each update (see the class docstring).
        n_iter : int
        validation_history : array-like of float, optional
        feature_names_in : array-like of str, optional
        validation_scores : array-like of float, optional
        train_state : TrainState, optional
            Where training stands, for exact continuation.
        engine : {"numpy", "torch"}, optional
            ``engine_``: the engine that trained (None: not known, as for a model read
            from a file).
        learning_rate : float, optional
            ``learning_rate_``, the rate training used; None: ``learning_rate`` when it
            is a number (else None: unknown).
        lr_finder : LRFinderResult, optional
            ``lr_finder_``, the range test of ``learning_rate="auto"``.
        thresholds : array-like of shape (n_labels,), optional
            ``thresholds_``, the per-label thresholds ``threshold="cv"`` chose.

        Returns
        -------
        self
        """
        if network.spec.n_x != int(n_features_in):
            raise ValueError(
                f"the network has {network.spec.n_x} inputs but n_features_in is {n_features_in}"
            )
        self.network_ = network
        self.classes_ = np.asarray(classes)
        self.n_features_in_ = int(n_features_in)
        if feature_names_in is not None:
            self.feature_names_in_ = np.asarray(feature_names_in, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.history_ = np.asarray(history, dtype=np.float64)
        self.n_iter_ = int(n_iter)
        self.validation_history_ = (
            None if validation_history is None else np.asarray(validation_history)
        )
        self.validation_scores_ = (
            None if validation_scores is None else np.asarray(validation_scores)
        )
        self.train_state_ = train_state
        self.engine_ = engine
        if learning_rate is None and not isinstance(self.learning_rate, str):
            learning_rate = self.learning_rate
        self.learning_rate_ = None if learning_rate is None else float(learning_rate)
        self.lr_finder_ = lr_finder
        self.thresholds_ = _checked_thresholds(thresholds, network.spec.n_out)
        return self

    def _continuing(self):
        return self.warm_start and getattr(self, "network_", None) is not None

    def _continued(self, spec, dtype, classes):
        """The fitted network to continue from (``warm_start``), or None; a network that
        cannot continue on these data is an error, never a silent fresh start."""
        old = getattr(self, "network_", None) if self.warm_start else None
        if old is None:
            return None
        if old.spec != spec or old.dtype != dtype:
            raise ValueError(
                f"warm_start=True continues the fitted network (layer sizes "
                f"{old.spec.layer_sizes}, {old.spec.head} head, {np.dtype(old.dtype)}), "
                f"but these data and parameters need {spec.layer_sizes}, {spec.head} head, "
                f"{np.dtype(dtype)}; set warm_start=False to start afresh"
            )
        previous = getattr(self, "classes_", None)
        if previous is not None and not np.array_equal(previous, classes):
            raise ValueError(
                f"warm_start=True continues a network trained on the classes "
                f"{list(previous)}, but y holds {list(classes)}"
            )
        return old

    def _state_to_continue(self):
        """The training state a continued fit starts from (None: a fresh start); a
        fitted model without one (e.g. from an older model file) goes on counting
        iterations from ``n_iter_``."""
        if not self._continuing():
            return None
        state = getattr(self, "train_state_", None)
        return state if state is not None else TrainState(epoch=self.n_iter_)

    def _progress(self, callback, net, classes, n_x, found=(None, None), thresholds=None):
        """The engine's per-iteration callback: calls ``callback(info)`` with an
        :class:`Iteration` whose ``snapshot()`` gives a fitted copy of this estimator
        holding the current parameters, history and training state (None while L-BFGS
        trains in the row space)."""
        if callback is None:
            return None
        continuing = self._continuing()
        history = list(self.history_) if continuing else []
        old_validation = getattr(self, "validation_history_", None) if continuing else None
        old_scores = getattr(self, "validation_scores_", None) if continuing else None
        validation = [] if old_validation is None else list(old_validation)
        scores = [] if old_scores is None else list(old_scores)
        names = getattr(self, "feature_names_in_", None)

        def on_iteration(info):
            history.append(float(info.cost))
            if info.validation_cost is not None:
                validation.append(float(info.validation_cost))
            if info.validation_score is not None:
                scores.append(float(info.validation_score))
            model, state_of = info.model, info.state

            def snapshot():
                current = _snapshot(model, net)()
                if current is None:
                    return None
                return clone(self).set_fitted(
                    current,
                    classes=classes,
                    n_features_in=n_x,
                    history=np.asarray(history),
                    n_iter=info.iteration + 1,
                    feature_names_in=names,
                    validation_history=np.asarray(validation) if validation else None,
                    validation_scores=np.asarray(scores) if scores else None,
                    train_state=None if state_of is None else state_of(),
                    learning_rate=found[0],
                    lr_finder=found[1],
                    thresholds=thresholds,
                )

            return callback(dataclasses.replace(info, model=None, snapshot=snapshot))

        return on_iteration

    def _engine_for(self, m, layer_sizes, density=1.0):
        """The engine that trains this estimator's network of ``layer_sizes`` on m
        examples of X with ``density`` (:func:`choose_engine`)."""
        return choose_engine(
            self.engine, self.device, m, layer_sizes, self.batch_size, self.solver, density
        )

    def _start(self, n_x, n_out, head, classes, m, fresh=False, torch=False, density=1.0):
        """The engine, the seeded generator and the network to train on m examples of X
        with ``density`` (see :func:`choose_engine`): the fitted one with ``warm_start``,
        else freshly initialised (``torch``: the data are a torch dataset)."""
        spec = ModelSpec(
            n_x=n_x, hidden=self._hidden(), n_out=n_out, head=head, activation=self._activation()
        )
        name = "torch" if torch else self._engine_for(m, spec.layer_sizes, density)
        if self.verbose and self.engine == "auto":
            print(f"engine='auto': training on the {name} engine", file=sys.stderr)
        engine = _engine(name)
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        if name == "torch":
            # under torchrun every rank must initialise, split and shuffle alike
            seed = engine.shared_seed(seed, self.device)
        rng = np.random.default_rng(seed)
        net = Network(spec, dtype=self.dtype)
        old = None if fresh else self._continued(spec, net.dtype, classes)
        # initialised even when continuing, so that the generator is in the same state
        # afterwards: a continued fit draws the same early-stopping hold-out
        net.initialize(self.init, rng)
        if old is not None:
            net.set_params(old.theta)
        return engine, rng, net

    def _fit_network(
        self,
        X,
        Y,
        head,
        y_enc,
        classes,
        weights,
        pos_weight,
        validation,
        callback=None,
        thresholds=None,
    ):
        """Train; returns the network, the engine's result and the training part of
        X, Y and the weights (all of it, less the early-stopping hold-out)."""
        n_x = X.shape[1]
        engine, rng, net = self._start(
            n_x, Y.shape[0], head, classes, X.shape[0], density=_density(X)
        )
        XT = X.T  # the notes' layout (n_x, m): a view, not a copy
        X_val = Y_val = w_val = None
        if validation is not None:
            X_val, Y_val, w_val = validation
            stop_early = self._stops_early(X_val.shape[1])
        elif stop_early := self._stops_early(math.ceil(self.validation_fraction * X.shape[0])):
            tr, va = stratified_split(
                Y.T if head == "multilabel" else y_enc,
                self.validation_fraction,
                int(rng.integers(2**31)),
            )
            XT, X_val = X[tr].T, X[va].T
            Y, Y_val = Y[:, tr], Y[:, va]
            if weights is not None:
                weights, w_val = weights[tr], weights[va]
            X = X[tr]
        found = self._learning_rate_for(net, XT, Y, weights, pos_weight, rng)
        result = engine.train(
            net,
            XT,
            Y,
            self._train_config(early_stopping=stop_early, learning_rate=found[0]),
            X_val=X_val,
            Y_val=Y_val,
            sample_weight=weights,
            sample_weight_val=w_val,
            pos_weight=pos_weight,
            rng=rng,
            callback=self._progress(callback, net, classes, n_x, found, thresholds),
            state=self._state_to_continue(),
        )
        return net, result, X, Y, weights, found

    def _stops_early(self, n_val):
        """Whether training stops early, watching a validation set of n_val examples:
        ``early_stopping``, where "auto" is on from :data:`AUTO_EARLY_STOPPING_MIN`
        validation examples (fewer measure the cost too roughly to stop on)."""
        if self.early_stopping == "auto":
            return n_val >= AUTO_EARLY_STOPPING_MIN
        return bool(self.early_stopping)

    def _train_config(self, early_stopping, learning_rate=None):
        """The training settings, built once, as both engines read them:
        ``early_stopping`` resolved for these data, and ``learning_rate``, the rate
        to train with when ``self.learning_rate`` is "auto"."""
        return TrainConfig(
            solver=self.solver,
            learning_rate=self.learning_rate if learning_rate is None else learning_rate,
            max_iter=self.max_iter,
            # L-BFGS takes the full batch, whatever batch_size says (as scikit-learn's MLP)
            batch_size=None if self.solver == "lbfgs" else self.batch_size,
            tol=self.tol,
            alpha=self.alpha,
            n_iter_no_change=self.n_iter_no_change,
            momentum=self.momentum,
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
            lr_schedule=self.lr_schedule,
            lr_decay=self.lr_decay,
            lr_step_size=self.lr_step_size,
            lr_patience=self.lr_patience,
            warmup_iter=self.warmup_iter,
            dropout=getattr(self, "dropout", 0.0),
            early_stopping=early_stopping,
            validation_scoring=self.validation_scoring,
            verbose=self.verbose,
            device=self.device,
            autocast=self.autocast,
        )

    def _learning_rate_for(self, net, XT, Y, weights, pos_weight, rng, continuing=None):
        """(the learning rate to train with, the range test's result or None).

        A number is used as it is. "auto" runs the range test
        (:func:`~logitlab.numpy_engine.find_learning_rate`) from ``net``'s initial
        parameters on the training data (XT, Y) in the notes' layout, with the
        training's weights, on the NumPy engine for either engine; its mini-batch
        order comes from a copy of ``rng``, which training goes on drawing from
        untouched, so a fit with "auto" equals a fit with ``learning_rate_``. A
        continued fit (``warm_start``, a later `partial_fit` call) reuses the rate
        found first."""
        if not isinstance(self.learning_rate, str):
            return float(self.learning_rate), None
        if self.solver == "lbfgs":
            raise ValueError(
                "learning_rate='auto' finds a rate for a gradient solver, and L-BFGS takes "
                "none: use solver='gd', 'sgd', 'momentum' or 'adam', or a number"
            )
        if continuing is None:
            continuing = self._continuing()
        if continuing and getattr(self, "learning_rate_", None) is not None:
            return self.learning_rate_, getattr(self, "lr_finder_", None)
        finder = numpy_engine.find_learning_rate(
            net,
            XT,
            Y,
            self._train_config(early_stopping=False, learning_rate=numpy_engine.lr_find.MIN_LR),
            sample_weight=weights,
            pos_weight=pos_weight,
            rng=copy.deepcopy(rng),
        )
        if self.verbose:
            print(f"learning_rate='auto': found {finder.learning_rate:.3g}", file=sys.stderr)
        return finder.learning_rate, finder

    def _finish(
        self,
        net,
        result,
        classes,
        n_features_in,
        validated=None,
        found=(None, None),
        thresholds=None,
    ):
        """Set the fitted state from a training result (continuing ``history_`` and
        ``n_iter_`` with ``warm_start``, as scikit-learn's MLP extends
        ``loss_curve_``) and warn about training that went wrong."""
        history = np.asarray(result.history, dtype=np.float64)
        n_iter = result.n_iter
        validation = np.asarray(result.validation_history) if validated else None
        scores = np.asarray(result.validation_scores) if result.validation_scores else None
        if self._continuing():
            history = np.concatenate([self.history_, history])
            n_iter += self.n_iter_
            old, old_scores = self.validation_history_, getattr(self, "validation_scores_", None)
            if validation is not None and old is not None:
                validation = np.concatenate([old, validation])
            if scores is not None and old_scores is not None:
                scores = np.concatenate([old_scores, scores])
        self.set_fitted(
            net,
            classes=classes,
            n_features_in=n_features_in,
            history=history,
            n_iter=n_iter,
            validation_history=validation,
            feature_names_in=getattr(self, "feature_names_in_", None),
            validation_scores=scores,
            train_state=result.state,
            engine=result.engine,
            learning_rate=found[0],
            lr_finder=found[1],
            thresholds=thresholds,
        )
        name = type(self).__name__
        if result.diverged_at is not None:
            warnings.warn(
                f"{name}: training diverged at iteration {result.diverged_at} (the cost or "
                "the parameters stopped being finite) and was stopped there, keeping the "
                f"last finite parameters; lower the learning rate ({self.learning_rate_:g}) "
                "or standardise the features",
                ConvergenceWarning,
                stacklevel=3,
            )
        elif len(result.history) >= 2 and result.history[-1] > result.history[0]:
            warnings.warn(
                f"{name}: the training cost rose from {result.history[0]:.4g} to "
                f"{result.history[-1]:.4g}: the learning rate ({self.learning_rate_:g}) is "
                "too large for these features; lower it, or standardise the features",
                ConvergenceWarning,
                stacklevel=3,
            )
        stopped = result.converged or result.stopped_early or result.stopped_by_callback
        if self.tol > 0 and not stopped:
            warnings.warn(
                f"{type(self).__name__} stopped at max_iter={self.max_iter} before the "
                f"cost settled within tol={self.tol}; raise max_iter, or check the "
                "learning rate and feature scaling",
                ConvergenceWarning,
                stacklevel=3,
            )
        return result

    def fit_dataset(self, dataset, *, val_dataset=None, num_workers=0, callback=None):
        """Train on a torch ``Dataset`` read batch by batch (``engine="torch"``).

        For data that does not fit in memory: an
        :class:`~logitlab.torch_engine.data.ImageFolderDataset`, an
        :class:`~logitlab.torch_engine.data.HDF5Dataset`, or any dataset whose items are
        ``(x, y)`` and whose labels are in memory as ``.targets`` or ``.y``. Mini-batches
        of ``batch_size`` come from a seeded ``DataLoader`` with ``num_workers``
        reader processes; under torchrun each process reads its shard of every global
        batch (:class:`~logitlab.torch_engine.data.GlobalBatchSampler`), so N processes
        train the model of one with the same ``batch_size``. ``history_`` is as in
        `fit`. Class names are taken from
        ``dataset.classes`` when it has them. ``val_dataset``, a dataset of the same
        kind, is read after every epoch for ``validation_history_`` and early
        stopping. ``class_weight`` and ``pos_weight`` apply; ``callback`` is as in
        `fit`, once per epoch.

        Returns
        -------
        self
        """
        self._validate_params()
        if self.engine == "numpy":
            raise ValueError(
                "fit_dataset streams data through PyTorch: set engine='torch' or 'auto'"
            )
        if self.batch_size is None:
            raise ValueError("fit_dataset reads mini-batches: set batch_size (e.g. 32)")
        if self.early_stopping is True and val_dataset is None:
            raise ValueError(
                "early_stopping with fit_dataset watches a validation set: pass "
                "val_dataset=..., or set early_stopping=False"
            )
        _refuse_cv_threshold(self, "fit_dataset streams the data once per epoch")
        from .torch_engine.train import dataset_labels

        labels = dataset_labels(dataset)
        Y, head, y_enc, values = self._encode_y(labels)
        classes = values
        names = getattr(dataset, "classes", None)
        if names is not None and head != "multilabel":
            classes = np.asarray(names)[values]
        if val_dataset is not None:  # its labels must be among the training ones
            self._encode_y(dataset_labels(val_dataset), classes=values, head=head)
        _, per_class = self._example_weights(None, y_enc, values, head)
        pos_weight = self._pos_weights(Y, head, None)
        n_x = int(getattr(dataset, "n_features", None) or np.prod(dataset[0][0].shape))
        found = self._streamed_learning_rate()
        engine, rng, net = self._start(n_x, Y.shape[0], head, classes, len(dataset), torch=True)
        result = engine.train_dataset(
            net,
            dataset,
            self._train_config(
                early_stopping=val_dataset is not None and self._stops_early(len(val_dataset)),
                learning_rate=found[0],
            ),
            class_values=values,
            seed=int(rng.integers(2**31)),
            num_workers=num_workers,
            callback=self._progress(callback, net, classes, n_x, found),
            val_dataset=val_dataset,
            unit_weights=per_class,
            pos_weight=pos_weight,
            state=self._state_to_continue(),
        )
        if hasattr(self, "feature_names_in_"):
            del self.feature_names_in_  # a dataset has no column names
        self._finish(net, result, classes, n_x, validated=val_dataset is not None, found=found)
        return self

    def _streamed_learning_rate(self):
        """`_learning_rate_for` of `fit_dataset`: "auto" only continues with the rate an
        earlier in-memory fit found; the range test itself needs the data in memory."""
        if not isinstance(self.learning_rate, str):
            return float(self.learning_rate), None
        if self._continuing() and getattr(self, "learning_rate_", None) is not None:
            return self.learning_rate_, getattr(self, "lr_finder_", None)
        raise ValueError(
            "learning_rate='auto' runs a range test on data in memory (fit), not on a "
            "streamed dataset: give fit_dataset a number (e.g. a rate found by fitting "
            "on a sample in memory)"
        )

    def _warn_if_chance(self, X, Y, weights=None, pos_weight=None):
        """Warn when the trained model does no better than always predicting the most
        frequent class (label by label for multi-label) on its own training data.

        With sample or class weights, and positive weights, both sides are counted as
        the cost counts them, so a model that trades the frequent class for the rare
        ones, as the weights ask, is not taken for one that learned nothing."""
        if X.shape[0] == 0:
            return
        Z = self.network_.decision_function(X.T)  # (n_out, m)
        head = self.network_.spec.head
        s = np.ones(X.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
        if head == "multilabel":
            Yb = Y > 0.5
            predicted = F.sigmoid(Z) > np.reshape(self._thresholds(Z.shape[0]), (-1, 1))
            # each label's examples weigh s_i, its positives p_j·s_i
            p = np.ones((Y.shape[0], 1)) if pos_weight is None else np.reshape(pos_weight, (-1, 1))
            c = s * np.where(Yb, p, 1.0)
            total = float(c.sum())
            if total <= 0:
                return
            error = float((c * (predicted != Yb)).sum()) / total
            per_label = np.minimum((c * Yb).sum(axis=1), (c * ~Yb).sum(axis=1))
            baseline = float(per_label.sum()) / total
            if baseline > 0 and error >= baseline:
                weighed = "" if weights is None and pos_weight is None else "weighted "
                what = f"{weighed}Hamming loss {error:.3f}, as high as predicting each "
                what += f"label's most frequent value ({baseline:.3f})"
            else:
                return
        else:
            if head == "binary":
                truth, predicted = Y[0] > 0.5, Z[0] > 0
            else:
                truth, predicted = np.argmax(Y, axis=0), np.argmax(Z, axis=0)
            truth = np.asarray(truth, dtype=np.intp)
            total = float(s.sum())
            if total <= 0:
                return
            accuracy = float(s[truth == predicted].sum()) / total
            majority = float(np.max(np.bincount(truth, weights=s))) / total
            if accuracy > majority:
                return
            weighed = "" if weights is None else "weighted "
            what = (
                f"{weighed}accuracy {accuracy:.3f}, no better than always predicting the "
                f"most frequent class ({majority:.3f})"
            )
        warnings.warn(
            f"{type(self).__name__} learned nothing: on its own training data it scores "
            f"{what}. Standardise the features (StandardScaler, or --standardize), "
            f"or lower the learning rate ({self.learning_rate_:g})",
            ConvergenceWarning,
            stacklevel=3,
        )

    # ------------------------------------------------------------------ predict
    def _output_logits(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=self.network_.dtype)
        return self.network_.decision_function(X.T)  # (n_out, m)

    def decision_function(self, X):
        """Output logits z = W[L]·a[L−1] + b[L].

        Returns
        -------
        ndarray of shape (n_samples,) for two classes (the log-odds of the second),
        else (n_samples, n_outputs).
        """
        Z = self._output_logits(X)
        head = self.network_.spec.head
        if head == "binary":
            return Z[0]
        if head == "softmax" and Z.shape[0] == 2:
            # scikit-learn's convention for two classes: one score for the second
            # class, here its log-odds z₁ − z₀ (softmax with C = 2 is logistic
            # regression with w = w₁ − w₀)
            return Z[1] - Z[0]
        return Z.T

    def predict_proba(self, X):
        """Probability estimates.

        Returns
        -------
        ndarray of shape (n_samples, n_classes): P(class | x) for binary and
        multi-class heads (rows sum to 1); (n_samples, n_labels) of independent
        P(label | x) for multi-label.
        """
        Z = self._output_logits(X)
        head = self.network_.spec.head
        if head == "softmax":
            return F.softmax(Z).T
        P = F.sigmoid(Z).T
        if head == "binary":
            return np.hstack([F.sigmoid(-Z).T, P])  # 1 − σ(z) = σ(−z), exact in the tail
        return P

    def predict(self, X):
        """Class labels (binary, multi-class) or a 0/1 indicator matrix (multi-label)."""
        Z = self._output_logits(X)
        head = self.network_.spec.head
        if head == "binary":
            return self.classes_[(Z[0] > 0).astype(np.intp)]
        if head == "softmax":
            return self.classes_[np.argmax(Z, axis=0)]
        return (F.sigmoid(Z).T > self._thresholds(Z.shape[0])).astype(np.int64)

    def _thresholds(self, n_labels):
        return label_thresholds(self, n_labels)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        return tags


class _LinearMixin:
    """``coef_`` and ``intercept_`` in scikit-learn's shapes for one-layer models."""

    @property
    def coef_(self):
        """ndarray of shape (n_outputs, n_features): W[1] in the notes' layout."""
        check_is_fitted(self)
        return self.network_.W[0]

    @property
    def intercept_(self):
        """ndarray of shape (n_outputs,): b[1] flattened."""
        check_is_fitted(self)
        return self.network_.b[0].ravel()


#: features whose magnitude is beyond these are out of range for the notes' models
_LARGE, _SMALL = 1e8, 1e-8


def _warn_if_badly_scaled(X, name):
    """Warn when features have absurd scales: the solvers take steps in units of the
    features, so |x| ≈ 1e50 leaves the weights near 0 and 1e-50 leaves them useless."""
    if sp.issparse(X):  # from the stored values; the implicit zeros count as 0
        low, high = min_max_axis(X, axis=0) if X.shape[0] else (np.zeros(0), np.zeros(0))
        magnitude = np.maximum(np.abs(low), np.abs(high))
    else:
        magnitude = np.max(np.abs(X), axis=0) if X.size else np.zeros(0)
    large = np.flatnonzero(magnitude > _LARGE)
    small = np.flatnonzero((magnitude > 0) & (magnitude < _SMALL))
    for cols, what in ((large, "up to"), (small, "no larger than")):
        if cols.size:
            j = int(cols[0])
            warnings.warn(
                f"{name}: feature {j} holds values {what} {magnitude[j]:.3g} ({cols.size} "
                f"feature(s) in all); such scales stall training: standardise the features "
                "(StandardScaler, or --standardize)",
                ConvergenceWarning,
                stacklevel=3,
            )


#: early_stopping="auto" stops early when the validation set holds at least this many
#: examples (with the default validation_fraction, a training set of 1000)
AUTO_EARLY_STOPPING_MIN = 100

#: On a CPU the torch engine beats the NumPy engine only on wide networks: from about
#: a million weights (12288 inputs x 100 units: 1.12-1.15x; 4096 x 100: 0.67-1.02x;
#: smaller: 0.44-0.98x, bench/bench_engine_auto.py, 2 cores), and with updates of at
#: least this many multiply-adds (batch x weights), which keep its per-update overhead
#: small beside the work
TORCH_CPU_MIN_WEIGHTS = 1_000_000
TORCH_CPU_CROSSOVER = 3e7


def _torch_installed():
    import importlib.util

    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):  # a broken or blocked install counts as none
        return False


def _cuda_present():
    """Whether torch sees a CUDA device; torch is imported only where a GPU driver is
    (importing it costs a second, more than a small fit)."""
    import os

    if not (os.path.exists("/proc/driver/nvidia") or os.environ.get("CUDA_VISIBLE_DEVICES")):
        return False
    import torch

    return bool(torch.cuda.is_available())


def choose_engine(engine, device, m, layer_sizes, batch_size=None, solver="adam", density=1.0):
    """The engine that trains: ``engine`` itself unless it is ``"auto"``.

    ``"auto"`` is torch when PyTorch is installed and (a) the device is CUDA, or is
    ``"auto"`` and CUDA is there, or torchrun started several processes, or (b) on a
    CPU, the network has :data:`TORCH_CPU_MIN_WEIGHTS` weights ``Σ n[l-1]·n[l]`` or
    more and one update's work, ``min(batch_size, m)`` times the weights, reaches
    :data:`TORCH_CPU_CROSSOVER` (``solver="lbfgs"`` stays on SciPy's L-BFGS on a
    CPU). Otherwise NumPy. The engines agree to ~1e-6, so the choice changes the
    speed, not the result.

    For sparse X, the first layer's products cost its non-zeros, not its entries: its
    weights count ``density`` times (the share of X's entries stored), so a sparse X
    with few non-zeros per row is the small problem it is, and stays on NumPy.

    Parameters
    ----------
    engine : {"auto", "numpy", "torch"}
    device : str
        The estimator's ``device``.
    m : int
        Training examples.
    layer_sizes : sequence of int
        (n_x, hidden..., n_out).
    batch_size : int or None
    solver : str
    density : float, default=1.0
        X's non-zeros over its entries, nnz / (m·n_x), for sparse X; 1 for dense X.

    Returns
    -------
    {"numpy", "torch"}

    Examples
    --------
    >>> choose_engine("auto", "cpu", 1437, (64, 25, 12, 10))
    'numpy'
    >>> choose_engine("numpy", "cuda", 1650, (12288, 100, 6))
    'numpy'
    >>> choose_engine("auto", "cpu", 10**5, (12288, 100, 6), density=0.001)
    'numpy'
    """
    import os

    if engine != "auto":
        return engine
    if not _torch_installed():
        return "numpy"
    if device.startswith("cuda") or int(os.environ.get("WORLD_SIZE", "1")) > 1:
        return "torch"
    if device == "auto" and _cuda_present():
        return "torch"
    if solver == "lbfgs":
        return "numpy"
    per_update = m if batch_size is None else min(batch_size, m)
    sizes = list(layer_sizes)
    weights = density * sizes[0] * sizes[1] + sum(a * b for a, b in zip(sizes[1:-1], sizes[2:]))
    wide = weights >= TORCH_CPU_MIN_WEIGHTS
    return "torch" if wide and per_update * weights >= TORCH_CPU_CROSSOVER else "numpy"


def _density(X):
    """The share of X's entries that are stored: nnz / (m·n_x) for sparse X, else 1."""
    if not sp.issparse(X):
        return 1.0
    return X.nnz / max(1, X.shape[0] * X.shape[1])


def _engine(name):
    """The engine module that trains: ``numpy_engine`` or ``torch_engine``."""
    if name == "numpy":
        return numpy_engine
    try:
        from . import torch_engine
    except ImportError as exc:
        raise ImportError(
            "engine='torch' needs PyTorch, which is not installed: "
            "pip install 'logitlab[torch]' (or use engine='numpy')"
        ) from exc
    return torch_engine


def _snapshot(model, net):
    """A function returning a copy of the parameters being trained, as a Network."""

    def snapshot():
        copy = Network(net.spec, dtype=net.dtype)
        if isinstance(model, Network):
            if model.spec != net.spec:
                return None  # L-BFGS in the row space: W is only formed at the end
            copy.set_params(model.theta)
        else:  # the torch engine's model
            model.module.to_numpy(copy)
        return copy

    return snapshot


def _store_params(estimator, params):
    """Keep the constructor's arguments unchanged, as scikit-learn requires."""
    for name, value in params.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


@_fill_doc
class LogisticRegression(_LinearMixin, _NetworkClassifier):
    """Binary logistic regression: one sigmoid unit, ŷ = σ(wᵀx + b).

    Trained on the mean binary cross-entropy J = −(1/m) Σ [y ln ŷ + (1 − y) ln(1 − ŷ)]
    plus the L2 penalty, with dz = a − y, dw = (1/m)·X·dzᵀ, db = mean(dz).

    Parameters
    ----------
    {class_weight}
    {shared_params}

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features)
        w as a row, as in scikit-learn.
    intercept_ : ndarray of shape (1,)
        b.
    {shared_attrs}

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from logitlab import LogisticRegression
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = LogisticRegression().fit(X, y)
    >>> clf.coef_.shape, round(clf.score(X, y), 2)
    ((1, 30), 0.99)
    """

    output_head = "binary"
    _parameter_constraints = {
        **_NetworkClassifier._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        *,
        class_weight=None,
        solver="lbfgs",
        learning_rate=0.01,
        max_iter=100,
        batch_size=None,
        tol=1e-4,
        alpha=1.0,
        init="auto",
        random_state=None,
        dtype="float64",
        verbose=0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        momentum=0.9,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        lr_schedule="constant",
        lr_decay=0.1,
        lr_step_size=30,
        lr_patience=5,
        warmup_iter=0,
        validation_scoring="loss",
        engine="auto",
        device="auto",
        autocast=False,
        warm_start=False,
    ):
        _store_params(self, locals())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags


@_fill_doc
class SoftmaxRegression(_LinearMixin, _NetworkClassifier):
    """Multi-class softmax regression: C output units, ŷ = softmax(W·x + b).

    Trained on the mean categorical cross-entropy −(1/m) Σ_i Σ_c y_c ln ŷ_c (one-hot y)
    plus the L2 penalty, with dZ = A − Y. With C = 2 it gives the probabilities of
    logistic regression with w = w₁ − w₀.

    Parameters
    ----------
    {class_weight}
    {shared_params}

    Attributes
    ----------
    coef_ : ndarray of shape (n_classes, n_features)
    intercept_ : ndarray of shape (n_classes,)
    {shared_attrs}

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from logitlab import SoftmaxRegression
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = SoftmaxRegression().fit(X / 16, y)
    >>> clf.predict_proba(X[:2] / 16).shape
    (2, 10)
    """

    output_head = "softmax"
    _parameter_constraints = {
        **_NetworkClassifier._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        *,
        class_weight=None,
        solver="lbfgs",
        learning_rate=0.01,
        max_iter=100,
        batch_size=None,
        tol=1e-4,
        alpha=1.0,
        init="auto",
        random_state=None,
        dtype="float64",
        verbose=0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        momentum=0.9,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        lr_schedule="constant",
        lr_decay=0.1,
        lr_step_size=30,
        lr_patience=5,
        warmup_iter=0,
        validation_scoring="loss",
        engine="auto",
        device="auto",
        autocast=False,
        warm_start=False,
    ):
        _store_params(self, locals())


@_fill_doc
class MultiLabelClassifier(_LinearMixin, _NetworkClassifier):
    """Multi-label classification: one independent sigmoid per label.

    y is an indicator matrix (n_samples, n_labels); the cost is the binary
    cross-entropy summed over labels and averaged over examples, so the probabilities
    of one example need not sum to 1.

    Parameters
    ----------
    {threshold}
    {pos_weight}
    {shared_params}

    Attributes
    ----------
    coef_ : ndarray of shape (n_labels, n_features)
    intercept_ : ndarray of shape (n_labels,)
    {shared_attrs}

    Examples
    --------
    >>> import numpy as np
    >>> from logitlab import MultiLabelClassifier
    >>> X = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]])
    >>> Y = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])   # label j = feature j
    >>> MultiLabelClassifier(alpha=0.01).fit(X, Y).predict(X)
    array([[0, 0],
           [0, 1],
           [1, 0],
           [1, 1]])
    """

    output_head = "multilabel"
    _parameter_constraints = {
        **_NetworkClassifier._parameter_constraints,
        "threshold": [Interval(Real, 0, 1, closed="both"), "array-like", StrOptions({"cv"})],
        "threshold_scoring": [StrOptions(set(THRESHOLD_SCORINGS))],
        "threshold_cv": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(
        self,
        *,
        pos_weight=None,
        threshold=0.5,
        threshold_scoring="hamming",
        threshold_cv=5,
        solver="lbfgs",
        learning_rate=0.01,
        max_iter=100,
        batch_size=None,
        tol=1e-4,
        alpha=1.0,
        init="auto",
        random_state=None,
        dtype="float64",
        verbose=0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        momentum=0.9,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        lr_schedule="constant",
        lr_decay=0.1,
        lr_step_size=30,
        lr_patience=5,
        warmup_iter=0,
        validation_scoring="loss",
        engine="auto",
        device="auto",
        autocast=False,
        warm_start=False,
    ):
        _store_params(self, locals())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.classifier_tags.multi_class = False  # each label is a binary problem
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        tags.target_tags.two_d_labels = True
        return tags


@_fill_doc
class NeuralNetClassifier(_NetworkClassifier):
    """A fully-connected network for any of the three tasks, chosen from y.

    LINEAR→g→…→LINEAR→g→LINEAR→head, with hidden activation g and the head taken from
    y: one sigmoid for two classes, softmax for more, independent sigmoids for a 0/1
    indicator matrix. The notes' SIGNS network is
    ``NeuralNetClassifier(hidden_layer_sizes=(25, 12), solver="adam",
    learning_rate=1e-4, batch_size=32, init="xavier")``.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
        Units of each hidden layer.
    activation : {"relu", "tanh", "sigmoid"}, default="relu"
        Activation of the hidden layers.
    {threshold}
    dropout : float, default=0.0
        Probability of dropping each hidden unit during training: inverted dropout as
        in the course, A[l] ← A[l]·D[l]/keep_prob with keep_prob = 1 − dropout and a
        fresh 0/1 mask D[l] for every mini-batch; never at prediction. Needs a
        gradient solver (not ``lbfgs``).
    {class_weight}
    {pos_weight}
    {shared_params}

    Attributes
    ----------
    coefs_ : list of ndarray
        ``coefs_[l]`` has shape (n_{l}, n_{l+1}) as in scikit-learn's MLPClassifier
        (the transpose of the notes' W[l+1]).
    intercepts_ : list of ndarray
    {shared_attrs}

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from logitlab import NeuralNetClassifier
    >>> X, y = make_moons(300, noise=0.1, random_state=0)
    >>> clf = NeuralNetClassifier(hidden_layer_sizes=(16,), solver="lbfgs",
    ...                           random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.97
    True

    Validation data, a schedule, dropout and a callback that stops training once the
    validation accuracy passes 95%:

    >>> X_val, y_val = make_moons(100, noise=0.1, random_state=1)
    >>> clf = NeuralNetClassifier((16,), solver="adam", learning_rate=0.1, dropout=0.1,
    ...                           lr_schedule="cosine", validation_scoring="accuracy",
    ...                           random_state=0)
    >>> clf = clf.fit(X, y, X_val=X_val, y_val=y_val,
    ...               callback=lambda info: info.validation_score > 0.95)
    >>> clf.n_iter_ < 200, bool(clf.validation_scores_[-1] > 0.95)
    (True, True)

    ``learning_rate="auto"`` finds the rate with a range test before training:

    >>> auto = NeuralNetClassifier((16,), solver="adam", batch_size=32, learning_rate="auto",
    ...                            tol=0, random_state=0).fit(X, y)
    >>> bool(1e-6 <= auto.learning_rate_ <= 10), auto.score(X, y) > 0.97
    (True, True)

    ``partial_fit`` runs one epoch per call, continuing where the last one stopped:

    >>> online = NeuralNetClassifier((16,), solver="sgd", batch_size=32, random_state=0)
    >>> for _ in range(3):
    ...     online = online.partial_fit(X, y, classes=[0, 1])
    >>> online.n_iter_
    3
    """

    _parameter_constraints = {
        **_NetworkClassifier._parameter_constraints,
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "threshold": [Interval(Real, 0, 1, closed="both"), "array-like", StrOptions({"cv"})],
        "threshold_scoring": [StrOptions(set(THRESHOLD_SCORINGS))],
        "threshold_cv": [Interval(Integral, 2, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "pos_weight": [StrOptions({"balanced"}), "array-like", None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        dropout=0.0,
        class_weight=None,
        pos_weight=None,
        threshold=0.5,
        threshold_scoring="hamming",
        threshold_cv=5,
        solver="adam",
        learning_rate=0.001,
        max_iter=200,
        batch_size=200,
        tol=1e-4,
        alpha=1.0,
        init="auto",
        random_state=None,
        dtype="float64",
        verbose=0,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        momentum=0.9,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        lr_schedule="constant",
        lr_decay=0.1,
        lr_step_size=30,
        lr_patience=5,
        warmup_iter=0,
        validation_scoring="loss",
        engine="auto",
        device="auto",
        autocast=False,
        warm_start=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        _store_params(self, locals())

    def _hidden(self):
        h = self.hidden_layer_sizes
        h = (h,) if isinstance(h, Integral) else tuple(h)
        if any(not isinstance(k, Integral) or k < 1 for k in h):
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {h!r}")
        return h

    def _activation(self):
        return self.activation

    _threshold_note = " Unused for the other tasks."

    @property
    def coefs_(self):
        check_is_fitted(self)
        return [W.T for W in self.network_.W]

    @property
    def intercepts_(self):
        check_is_fitted(self)
        return [b.ravel() for b in self.network_.b]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.target_tags.multi_output = True
        return tags


class OneVsAllClassifier(ClassifierMixin, BaseEstimator):
    """One-vs-all: C binary classifiers, one per class, on relabelled copies of y.

    Classifier c is trained on y == c (class c against the rest). ``predict`` returns
    the class whose classifier gives the highest probability; ``predict_proba``
    normalises the C probabilities σ(z_c) so each row sums to 1.

    Parameters
    ----------
    estimator : classifier, default=None
        The binary classifier cloned for each class (needs ``predict_proba`` or
        ``decision_function``); None uses :class:`LogisticRegression` with its defaults.
    n_jobs : int, default=None
        Classifiers trained in parallel (joblib); None means 1.

    Attributes
    ----------
    estimators_ : list of C fitted classifiers
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    n_iter_ : ndarray of shape (n_classes,)
        Iterations of each classifier, where it reports them.
    history_ : list of ndarray
        Each classifier's ``history_``, where it has one.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from logitlab import OneVsAllClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = OneVsAllClassifier().fit(X, y)
    >>> len(clf.estimators_), float(clf.predict_proba(X[:1]).sum().round(6))
    (3, 1.0)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"]), None],
        "n_jobs": [Integral, None],
    }

    def __init__(self, estimator=None, *, n_jobs=None):
        self.estimator = estimator
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Train one binary classifier per class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Sparse X is passed on as CSR.
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Passed to every classifier's ``fit``.

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32])
        check_classification_targets(y)
        classes = np.unique(y)
        if classes.size < 2:
            raise ValueError(
                "OneVsAllClassifier needs samples of at least 2 classes in y, but y "
                f"contains only one class: {classes[0]!r}"
            )
        sample_weight = _checked_weights(sample_weight, X)
        base = LogisticRegression() if self.estimator is None else self.estimator
        estimators = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_binary)(clone(base), X, (y == c).astype(np.int64), sample_weight)
            for c in classes
        )
        return self.set_fitted(
            estimators,
            classes=classes,
            n_features_in=X.shape[1],
            feature_names_in=getattr(self, "feature_names_in_", None),
        )

    @available_if(_base_has_partial_fit)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One `partial_fit` call of every class's classifier on (X, y == class).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like, optional
            All the classes; required on the first call.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        first = not hasattr(self, "estimators_")
        if first:
            self._validate_params()
            if classes is None:
                raise ValueError(_NEEDS_CLASSES)
        X, y = validate_data(
            self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32], reset=first
        )
        check_classification_targets(y)
        if first:
            classes = np.unique(np.asarray(classes))
            if classes.size < 2:
                raise ValueError("OneVsAllClassifier needs at least 2 classes")
            base = LogisticRegression() if self.estimator is None else self.estimator
            estimators = [clone(base) for _ in classes]
        else:
            classes, estimators = self.classes_, self.estimators_
        _refuse_unknown_labels(y, ~np.isin(y, classes), classes)
        for c, est in zip(classes, estimators):
            est.partial_fit(
                X, (y == c).astype(np.int64), classes=[0, 1], sample_weight=sample_weight
            )
        return self.set_fitted(
            estimators,
            classes=classes,
            n_features_in=X.shape[1],
            feature_names_in=getattr(self, "feature_names_in_", None),
        )

    def set_fitted(self, estimators, *, classes, n_features_in, feature_names_in=None):
        """Set the fitted state: the one place it is set, by `fit` and by model files.

        Parameters
        ----------
        estimators : list of fitted binary classifiers, one per class
        classes : array-like of shape (n_classes,)
        n_features_in : int
        feature_names_in : array-like of str, optional

        Returns
        -------
        self
        """
        if len(estimators) != len(classes):
            raise ValueError(
                f"{len(estimators)} classifiers for {len(classes)} classes; one-vs-all "
                "needs one per class"
            )
        self.estimators_ = list(estimators)
        self.classes_ = np.asarray(classes)
        self.n_features_in_ = int(n_features_in)
        if feature_names_in is not None:
            self.feature_names_in_ = np.asarray(feature_names_in, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.n_iter_ = np.array([getattr(e, "n_iter_", 0) for e in self.estimators_])
        self.history_ = [getattr(e, "history_", None) for e in self.estimators_]
        return self

    def _log_scores(self, X):
        """ln P(class c | x) from classifier c, shape (n_samples, n_classes)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=[np.float64, np.float32])
        cols = []
        for est in self.estimators_:
            if isinstance(est, _NetworkClassifier):
                cols.append(F.log_sigmoid(est.decision_function(X)))  # exact in the tail
            elif hasattr(est, "predict_proba"):
                with np.errstate(divide="ignore"):
                    cols.append(np.log(est.predict_proba(X)[:, 1]))
            else:
                cols.append(F.log_sigmoid(est.decision_function(X)))
        return np.column_stack(cols)

    def decision_function(self, X):
        """ln σ(z_c) of each class's classifier, shape (n_samples, n_classes); for two
        classes, the log-ratio of the second class's score to the first's, (n_samples,)."""
        S = self._log_scores(X)
        return S[:, 1] - S[:, 0] if S.shape[1] == 2 else S

    def predict_proba(self, X):
        """σ(z_c) / Σ_k σ(z_k): each classifier's probability, normalised per row."""
        return F.softmax(self._log_scores(X), axis=1)

    def predict(self, X):
        """The class whose classifier gives the highest probability."""
        S = self._log_scores(X)
        return self.classes_[np.argmax(S, axis=1)]

    @property
    def coef_(self):
        """Stacked ``coef_`` of the C classifiers, shape (n_classes, n_features)."""
        check_is_fitted(self)
        return np.vstack([e.coef_ for e in self.estimators_])

    @property
    def intercept_(self):
        check_is_fitted(self)
        return np.concatenate([np.ravel(e.intercept_) for e in self.estimators_])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base = LogisticRegression() if self.estimator is None else self.estimator
        tags.input_tags.sparse = get_tags(base).input_tags.sparse  # X goes to it as given
        return tags


def _fit_binary(estimator, X, y, sample_weight=None):
    if sample_weight is None:
        return estimator.fit(X, y)
    return estimator.fit(X, y, sample_weight=sample_weight)


# ----------------------------------------------------------------- thresholds
#: the candidate thresholds of ``threshold="cv"``
THRESHOLD_GRID = np.round(np.linspace(0.01, 0.99, 99), 2)


def _refuse_cv_threshold(estimator, why):
    if isinstance(getattr(estimator, "threshold", None), str):
        raise ValueError(
            f"threshold='cv' chooses the thresholds by cross-validation on the whole "
            f"training set, and {why}: give threshold a number (or one per label), or "
            "use fit"
        )


def _checked_thresholds(thresholds, n_labels):
    """``thresholds_`` as set: None, or one finite value in [0, 1] per label."""
    if thresholds is None:
        return None
    t = np.array(thresholds, dtype=np.float64)
    if t.shape != (n_labels,) or not np.all((t >= 0) & (t <= 1)):
        raise ValueError(
            f"thresholds must hold one value in [0, 1] per label ({n_labels}), got "
            f"{np.asarray(thresholds).tolist()!r}"
        )
    return t


def label_thresholds(estimator, n_labels):
    """The thresholds a multi-label estimator predicts with: ``threshold``, or with
    "cv" the ``thresholds_`` cross-validation chose.

    Parameters
    ----------
    estimator : fitted multi-label estimator
        One with a ``threshold`` parameter (and ``thresholds_`` with "cv").
    n_labels : int
        The number of labels, that a per-label ``threshold`` must match.

    Returns
    -------
    ndarray
        A scalar (0-d) threshold or one per label (n_labels,), in float64: a label is
        predicted where its probability exceeds it.
    """
    t = getattr(estimator, "threshold", 0.5)
    if isinstance(t, str):
        chosen = getattr(estimator, "thresholds_", None)
        if chosen is None:
            raise ValueError(
                f"{type(estimator).__name__} has threshold='cv' but no thresholds_: they "
                "are chosen by fit (a checkpoint of an unfinished run has none yet)"
            )
        return chosen
    t = np.asarray(t, dtype=float)
    if t.ndim and t.shape != (n_labels,):
        raise ValueError(
            f"threshold must be a scalar or have one value per label "
            f"({n_labels}), got shape {t.shape}"
        )
    return t


def _best_thresholds(P, Y, scoring, sample_weight=None):
    """Per label, the candidate of :data:`THRESHOLD_GRID` with the fewest (weighted)
    errors, or the highest F1, of ``P > t`` against Y (both (n_samples, n_labels));
    ties go to the candidate nearest 0.5. One label at a time: memory (m, 99)."""
    grid = THRESHOLD_GRID
    w = np.ones(len(Y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    out = np.empty(Y.shape[1])
    for j in range(Y.shape[1]):
        predicted = P[:, j, None] > grid  # (m, n_candidates)
        truth = (Y[:, j] > 0)[:, None]
        tp = w @ (predicted & truth)
        fp = w @ (predicted & ~truth)
        fn = w @ (~predicted & truth)
        if scoring == "hamming":
            score = -(fp + fn)
        else:  # F1; a label never present nor predicted scores 1
            denominator = 2 * tp + fp + fn
            score = np.where(denominator > 0, 2 * tp / np.where(denominator > 0, denominator, 1), 1)
        tied = score >= score.max() - 1e-12 * max(1.0, abs(score.max()))
        out[j] = grid[np.argmin(np.where(tied, np.abs(grid - 0.5), np.inf))]
    return out


def cv_thresholds(
    estimator, X, y, *, sample_weight=None, scoring="hamming", n_splits=5, random_state=None
):
    """Per-label thresholds chosen by cross-validation on (X, y).

    ``estimator`` (a multi-label classifier with ``predict_proba``) is cloned and fitted
    on ``n_splits`` folds of iterative stratification; the probabilities each fold
    model gives its held-out rows form out-of-fold probabilities for every row, and
    each label gets the candidate threshold (0.01, 0.02, ..., 0.99) with the fewest
    errors (``scoring="hamming"``) or the highest F1 (``"f1"``) on them; ties go to the
    one nearest 0.5. What ``threshold="cv"`` runs.

    Parameters
    ----------
    estimator : classifier
        Unfitted, with a numeric ``threshold`` (its clones are fitted).
    X : array-like or scipy.sparse CSR matrix of shape (n_samples, n_features)
    y : array-like of shape (n_samples, n_labels) of 0/1
    sample_weight : array-like of shape (n_samples,), optional
        Passed to the fold fits, and weighing the errors (or F1 counts).
    scoring : {"hamming", "f1"}, default="hamming"
    n_splits : int, default=5
    random_state : int, RandomState instance or None
        Seeds the folds.

    Returns
    -------
    ndarray of shape (n_labels,)

    Examples
    --------
    >>> import numpy as np
    >>> from logitlab import MultiLabelClassifier
    >>> from logitlab.estimators import cv_thresholds
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> Y = (X[:, :2] + rng.normal(scale=0.5, size=(200, 2)) > 0).astype(int)
    >>> t = cv_thresholds(MultiLabelClassifier(), X, Y, random_state=0)
    >>> t.shape, bool(np.all((0 < t) & (t < 1)))
    ((2,), True)
    """
    Y = np.asarray(y)
    if scoring not in THRESHOLD_SCORINGS:
        raise ValueError(f"scoring must be one of {THRESHOLD_SCORINGS}, got {scoring!r}")
    if Y.ndim != 2:
        raise ValueError(f"threshold='cv' needs a 0/1 indicator matrix y, got shape {Y.shape}")
    if len(Y) < n_splits:
        raise ValueError(
            f"threshold='cv' with {n_splits} folds needs at least {n_splits} examples, got {len(Y)}"
        )
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    P = np.empty(Y.shape, dtype=np.float64)
    for fit_rows, held in stratified_folds(Y, n_splits, random_state=seed):
        weights = None if sample_weight is None else np.asarray(sample_weight)[fit_rows]
        model = _fit_binary(clone(estimator), X[fit_rows], Y[fit_rows], weights)
        P[held] = model.predict_proba(X[held])
    return _best_thresholds(P, Y, scoring, sample_weight)


# -------------------------------------------------------------------- chains
def _with_labels(X, columns):
    """X with the earlier labels' columns (n_samples, k) appended: dense stays dense,
    a sparse X stays sparse CSR (never densified)."""
    if columns.shape[1] == 0:
        return X
    if sp.issparse(X):
        return sp.hstack([X, sp.csr_matrix(columns)], format="csr")
    return np.hstack([X, columns.astype(X.dtype, copy=False)])


def _positive_proba(estimator, X):
    """P(label = 1 | x) from a binary classifier trained on 0/1."""
    return estimator.predict_proba(X)[:, 1]


def _seeded(estimator, rng):
    """``estimator`` with its own seed drawn from rng, where it takes one."""
    if "random_state" in estimator.get_params(deep=False):
        estimator.set_params(random_state=int(rng.randint(np.iinfo(np.int32).max)))
    return estimator


def _fit_chain(base, X, Y, order, chain_method, cv, seed, sample_weight):
    """The fitted classifiers of one chain, in chain order: the k-th sees X and the
    labels order[:k] (true labels, or with ``cv`` their out-of-fold outputs)."""
    rng = np.random.RandomState(seed)
    earlier = np.empty((X.shape[0], 0))
    estimators = []
    for j in order:
        Xk, yk = _with_labels(X, earlier), Y[:, j]
        estimators.append(_fit_binary(_seeded(clone(base), rng), Xk, yk, sample_weight))
        column = yk.astype(np.float64)
        if cv is not None:  # what later classifiers will see at prediction, out of fold
            column = np.empty(len(yk))
            for fit_rows, held in check_cv(cv, yk, classifier=True).split(Xk, yk):
                w = None if sample_weight is None else sample_weight[fit_rows]
                model = _fit_binary(_seeded(clone(base), rng), Xk[fit_rows], yk[fit_rows], w)
                column[held] = _positive_proba(model, Xk[held])
            if chain_method == "predict":
                column = (column > 0.5).astype(np.float64)
        earlier = np.column_stack([earlier, column])
    return estimators


def _chain_proba(estimators, order, X, chain_method):
    """P(label | x) of one chain, columns in label order (n_samples, n_labels)."""
    P = np.empty((X.shape[0], len(order)))
    earlier = np.empty((X.shape[0], 0))
    for j, est in zip(order, estimators):
        p = _positive_proba(est, _with_labels(X, earlier))
        P[:, j] = p
        column = p if chain_method == "predict_proba" else (p > 0.5).astype(np.float64)
        earlier = np.column_stack([earlier, column])
    return P


class ClassifierChainEnsemble(ClassifierMixin, BaseEstimator):
    """An ensemble of classifier chains for multi-label data (Read et al., 2011).

    A chain orders the labels and trains one binary classifier per label (a clone of
    ``estimator``); the classifier of the k-th label in the order sees the features and
    the k−1 labels before it, so it can use how labels go together, which independent
    sigmoids cannot. The ensemble trains ``n_chains`` chains, each in its own random
    order (and with its own seeds), and averages their probabilities; a label is
    predicted when the average exceeds its threshold.

    How earlier labels enter: while training, as the true labels ("teacher forcing",
    scikit-learn's ``ClassifierChain`` default), or with ``cv`` as the out-of-fold
    outputs of the earlier classifiers, which is what they will see when predicting;
    when predicting, as the earlier classifiers' probabilities
    (``chain_method="predict_proba"``) or 0/1 predictions (probability > 0.5,
    ``"predict"``, as in Read et al.).

    Parameters
    ----------
    estimator : classifier, default=None
        The binary classifier cloned for each label of each chain, e.g.
        :class:`LogisticRegression` or :class:`NeuralNetClassifier` (on either engine
        through its ``engine``); it needs ``predict_proba``. Its ``random_state`` is
        replaced by seeds drawn from this ensemble's. None: ``LogisticRegression()``.
    n_chains : int, default=10
        Chains in the ensemble.
    order : "random" or array-like, default="random"
        "random": each chain its own random order of the labels. An array of shape
        (n_labels,): that order for every chain (they then differ by their seeds only);
        of shape (n_chains, n_labels): one order per chain.
    chain_method : {"predict_proba", "predict"}, default="predict_proba"
        What later classifiers see of the earlier labels when predicting (above).
    cv : int, cross-validation generator, iterable or None, default=None
        None: train on the true earlier labels. Else on the earlier classifiers'
        outputs out of the folds ``cv`` gives, as scikit-learn's ``check_cv`` reads it
        (an int k: k stratified folds of each label); each classifier is then fitted
        once more per fold.
    {threshold}
    random_state : int, RandomState instance or None, default=None
        Seeds the orders, the base classifiers and the folds.
    n_jobs : int, default=None
        Chains trained in parallel (joblib); None means 1.

    Attributes
    ----------
    estimators_ : list of list of fitted classifiers
        ``estimators_[c][k]`` is chain c's classifier of label ``orders_[c][k]``: it
        takes X with the columns of labels ``orders_[c][:k]`` appended, in that order.
    orders_ : list of ndarray of shape (n_labels,)
        Each chain's order of the label indices.
    classes_ : ndarray of shape (n_labels,)
        The label indices 0 .. n_labels−1.
    thresholds_ : ndarray of shape (n_labels,) or None
        The thresholds ``threshold="cv"`` chose; None otherwise.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Feature names, when ``X`` had string column names.

    References
    ----------
    J. Read, B. Pfahringer, G. Holmes and E. Frank, "Classifier chains for multi-label
    classification", Machine Learning 85(3), 2011, pp. 333-359.

    Examples
    --------
    >>> import numpy as np
    >>> from logitlab import ClassifierChainEnsemble
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 4))
    >>> Y = np.column_stack([X[:, 0] > 0, (X[:, 0] > 0) & (X[:, 1] > 0)]).astype(int)
    >>> clf = ClassifierChainEnsemble(n_chains=3, random_state=0).fit(X, Y)
    >>> clf.predict_proba(X[:2]).shape, len(clf.estimators_), sorted(clf.orders_[0].tolist())
    ((2, 2), 3, [0, 1])
    >>> float(np.mean(clf.predict(X) == Y)) > 0.9
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "n_chains": [Interval(Integral, 1, None, closed="left")],
        "order": [StrOptions({"random"}), "array-like"],
        "chain_method": [StrOptions(set(CHAIN_METHODS))],
        "cv": ["cv_object", None],
        "threshold": [Interval(Real, 0, 1, closed="both"), "array-like", StrOptions({"cv"})],
        "threshold_scoring": [StrOptions(set(THRESHOLD_SCORINGS))],
        "threshold_cv": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        estimator=None,
        *,
        n_chains=10,
        order="random",
        chain_method="predict_proba",
        cv=None,
        threshold=0.5,
        threshold_scoring="hamming",
        threshold_cv=5,
        random_state=None,
        n_jobs=None,
    ):
        self.estimator = estimator
        self.n_chains = n_chains
        self.order = order
        self.chain_method = chain_method
        self.cv = cv
        self.threshold = threshold
        self.threshold_scoring = threshold_scoring
        self.threshold_cv = threshold_cv
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _orders(self, n_labels, rng):
        if isinstance(self.order, str):
            return [rng.permutation(n_labels) for _ in range(self.n_chains)]
        orders = np.asarray(self.order)
        if orders.ndim == 1:
            orders = np.tile(orders, (self.n_chains, 1))
        if orders.shape != (self.n_chains, n_labels):
            raise ValueError(
                f"order must be 'random', one order of the {n_labels} labels, or one per "
                f"chain ({self.n_chains}, {n_labels}); got shape {orders.shape}"
            )
        return [_checked_order(o, n_labels) for o in orders]

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Train the chains.

        Parameters
        ----------
        X : array-like or scipy.sparse CSR matrix of shape (n_samples, n_features)
            A sparse X stays sparse: the label columns are appended with
            ``scipy.sparse.hstack`` (the base estimator must take sparse input).
        y : array-like of shape (n_samples, n_labels) of 0/1
        sample_weight : array-like of shape (n_samples,), optional
            Passed to every classifier's ``fit`` (and weighing ``threshold="cv"``).

        Returns
        -------
        self
        """
        name = type(self).__name__
        X, y = validate_data(
            self, X, y, multi_output=True, accept_sparse="csr", dtype=[np.float64, np.float32]
        )
        Y = _indicator(y, name)
        constant = np.flatnonzero(Y.min(axis=0) == Y.max(axis=0))
        if constant.size:
            j = int(constant[0])
            raise ValueError(
                f"{name}: label {j} has one class only, {Y[0, j]} in every example "
                f"({constant.size} such label(s) in all); each label's classifier needs "
                "both classes, 0 and 1, to learn from"
            )
        sample_weight = _checked_weights(sample_weight, X)
        rng = check_random_state(self.random_state)
        orders = self._orders(Y.shape[1], rng)
        thresholds = None
        if isinstance(self.threshold, str):
            thresholds = cv_thresholds(
                clone(self).set_params(threshold=0.5, random_state=rng.randint(2**31 - 1)),
                X,
                Y,
                sample_weight=sample_weight,
                scoring=self.threshold_scoring,
                n_splits=self.threshold_cv,
                random_state=rng,
            )
        base = LogisticRegression() if self.estimator is None else self.estimator
        seeds = rng.randint(np.iinfo(np.int32).max, size=len(orders))
        estimators = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_chain)(base, X, Y, order, self.chain_method, self.cv, seed, sample_weight)
            for order, seed in zip(orders, seeds)
        )
        return self.set_fitted(
            estimators,
            orders=orders,
            n_features_in=X.shape[1],
            feature_names_in=getattr(self, "feature_names_in_", None),
            thresholds=thresholds,
        )

    def set_fitted(
        self, estimators, *, orders, n_features_in, feature_names_in=None, thresholds=None
    ):
        """Set the fitted state: the one place it is set, by `fit` and by model files.

        Parameters
        ----------
        estimators : list of list of fitted binary classifiers
            One list per chain, in its order.
        orders : list of array-like of int
            Each chain's order: a permutation of 0 .. n_labels−1.
        n_features_in : int
        feature_names_in : array-like of str, optional
        thresholds : array-like of shape (n_labels,), optional
            ``thresholds_``, chosen by ``threshold="cv"``.

        Returns
        -------
        self
        """
        if not orders or len(estimators) != len(orders):
            raise ValueError(
                f"{len(estimators)} chains of classifiers for {len(orders)} orders; "
                "one per order, at least one"
            )
        n_labels = len(orders[0])
        orders = [_checked_order(o, n_labels) for o in orders]
        for c, chain in enumerate(estimators):
            if len(chain) != n_labels:
                raise ValueError(f"chain {c} has {len(chain)} classifiers for {n_labels} labels")
        self.estimators_ = [list(chain) for chain in estimators]
        self.orders_ = orders
        self.classes_ = np.arange(n_labels)
        self.n_features_in_ = int(n_features_in)
        if feature_names_in is not None:
            self.feature_names_in_ = np.asarray(feature_names_in, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.thresholds_ = _checked_thresholds(thresholds, n_labels)
        return self

    def predict_proba(self, X):
        """The chains' mean P(label | x).

        Parameters
        ----------
        X : array-like or scipy.sparse CSR matrix of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_labels)
            Independent per-label probabilities (rows need not sum to 1).
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=[np.float64, np.float32])
        P = np.zeros((X.shape[0], self.classes_.size))
        for order, chain in zip(self.orders_, self.estimators_):
            P += _chain_proba(chain, order, X, self.chain_method)
        return P / len(self.orders_)

    def predict(self, X):
        """The 0/1 indicator matrix (n_samples, n_labels): mean probability > threshold."""
        P = self.predict_proba(X)
        return (P > label_thresholds(self, P.shape[1])).astype(np.int64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base = LogisticRegression() if self.estimator is None else self.estimator
        tags.input_tags.sparse = get_tags(base).input_tags.sparse
        tags.classifier_tags.multi_label = True
        tags.classifier_tags.multi_class = False
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        tags.target_tags.two_d_labels = True
        return tags


def _checked_order(order, n_labels):
    """A chain order: a permutation of 0 .. n_labels−1, as int64."""
    o = np.asarray(order)
    if (
        o.shape != (n_labels,)
        or o.dtype.kind not in "iu"
        or not np.array_equal(np.sort(o), np.arange(n_labels))
    ):
        raise ValueError(
            f"a chain order must be a permutation of the label indices 0 .. {n_labels - 1}, "
            f"got {o.tolist()!r}"
        )
    return o.astype(np.int64)


ClassifierChainEnsemble.__doc__ = ClassifierChainEnsemble.__doc__.replace(
    "{threshold}", _THRESHOLD_DOC % {"unused": ""}
)
