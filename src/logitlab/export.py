"""ONNX export: a fitted estimator, with its preprocessing and output activation, as
one ONNX graph that onnxruntime (or any ONNX runtime) serves without logitlab.

The graph is built from small functions, each adding nodes to a :class:`GraphBuilder`
and returning the name of the tensor it computed, so that bigger models can be put
together from the graphs of their parts:

- :func:`standardize`: (x − mean) / scale, the run's standardisation;
- :func:`network_logits`: the network's forward pass up to the output logits
  z = W[L]·a[L−1] + b[L] (hidden layers ReLU, tanh or sigmoid; dropout is off at
  prediction);
- :func:`head_outputs`: the output activation (sigmoid, softmax or independent
  sigmoids) and the predicted class index or label indicators;
- :func:`one_vs_all_log_scores`: ln σ(z_c) of each class's classifier, which
  one-vs-all normalises;
- :func:`chain_probabilities`: one classifier chain's P(label | x), each label's
  classifier reading the features and the earlier labels' outputs;
- :func:`estimator_outputs`: dispatches on the estimator's type.

Tensors (N is the batch size, left free):

- input ``X``: (N, n_features) float64, the features as logitlab reads them (a table's
  columns in the model's order; for images, the pixels resized to the run's image shape,
  unrolled row by row as ``image.reshape(-1)`` and divided by 255). logitlab reads and
  standardises data in float64; a float32 network gets the standardised values cast to
  float32, as its estimator does.
- output ``probabilities``: scikit-learn's ``predict_proba`` layout: (N, n_classes)
  rows summing to 1 (two columns for binary models), or (N, n_labels) independent
  probabilities for multi-label models; in the network's dtype (float64 for chains,
  which average their classifiers' probabilities in float64).
- output ``label``: (N,) the predicted class, as the class labels (strings or numbers)
  when the classes are labels, or (N, n_labels) int64 0/1 indicators for multi-label
  models (probability above the estimator's threshold: ``threshold``, or the fitted
  ``thresholds_`` of ``threshold="cv"``).

ONNX and onnxruntime are optional dependencies: ``pip install onnx onnxruntime`` (or
logitlab's ``onnx`` extra).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._atomic import atomic_write
from ._version import __version__
from .estimators import (
    ClassifierChainEnsemble,
    LogisticRegression,
    MultiLabelClassifier,
    NeuralNetClassifier,
    OneVsAllClassifier,
    SoftmaxRegression,
    label_thresholds,
)
from .spec import CHAIN_METHODS

__all__ = [
    "OPSET",
    "ExportError",
    "GraphBuilder",
    "chain_probabilities",
    "estimator_outputs",
    "export_run",
    "head_outputs",
    "max_difference",
    "network_logits",
    "one_vs_all_log_scores",
    "standardize",
    "to_onnx",
]

#: the ONNX operator set the graphs use: onnxruntime ≥ 1.14 runs it
OPSET = 17
INPUT, PROBABILITIES, LABEL = "X", "probabilities", "label"
INSTALL_HINT = (
    "pip install onnx onnxruntime (or logitlab's onnx extra: pip install 'logitlab[onnx]')"
)

_NETWORK_CLASSES = (
    LogisticRegression,
    SoftmaxRegression,
    MultiLabelClassifier,
    NeuralNetClassifier,
)
_META_CLASSES = (OneVsAllClassifier, ClassifierChainEnsemble)
_HIDDEN_OPS = {"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid"}


class ExportError(ValueError):
    """A model or a destination that cannot be exported to: the message says why."""


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(f"ONNX export needs the onnx package: {INSTALL_HINT}") from None
    return onnx


class GraphBuilder:
    """Nodes and constants of one ONNX graph, with fresh tensor names.

    Each ``add`` appends one node and returns its output's name, so graph-building
    functions compose as expressions.

    Examples
    --------
    >>> b = GraphBuilder()
    >>> two = b.constant(np.array([2.0]), "two")
    >>> b.add("Mul", "X", two)
    'Mul_1'
    """

    def __init__(self) -> None:
        self.onnx = _onnx()
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        #: the dtype of each tensor that is not float64 (the input's)
        self.dtypes: dict[str, np.dtype[Any]] = {}
        self._count = 0

    def name(self, stem: str) -> str:
        name = f"{stem}_{self._count}"
        self._count += 1
        return name

    def constant(self, value: Any, stem: str = "const") -> str:
        """A constant tensor (an initializer) holding ``value``; its name."""
        name = self.name(stem)
        arr = np.asarray(value)
        if arr.dtype.kind in "UO":  # class labels as ONNX strings
            tensor = self.onnx.helper.make_tensor(
                name,
                self.onnx.TensorProto.STRING,
                arr.shape,
                [str(v).encode("utf-8") for v in arr.ravel()],
            )
        else:
            tensor = self.onnx.numpy_helper.from_array(np.ascontiguousarray(arr), name)
        self.initializers.append(tensor)
        return name

    def add(self, op: str, *inputs: str, output: str | None = None, **attrs: Any) -> str:
        """Append the node ``op(inputs)``; the name of its (one) output."""
        out = output or self.name(op)
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), [out], **attrs))
        return out

    def cast(self, x: str, from_dtype: Any, to_dtype: Any) -> str:
        """``x`` as ``to_dtype`` (no node when it already is)."""
        if np.dtype(from_dtype) == np.dtype(to_dtype):
            return x
        to = self.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(to_dtype))
        out = self.add("Cast", x, to=to)
        self.dtypes[out] = np.dtype(to_dtype)
        return out

    def dtype(self, name: str) -> np.dtype[Any]:
        """The dtype of tensor ``name`` (float64 unless a cast or a layer said else)."""
        return self.dtypes.get(name, np.dtype(np.float64))


# ------------------------------------------------------------------ the parts
def standardize(b: GraphBuilder, x: str, mean: Any, scale: Any) -> str:
    """(x − mean) / scale in float64, as :meth:`logitlab.run.Preprocessing.apply`.

    ``x`` is a float64 (N, n_features) tensor; mean and scale have n_features values.
    """
    mean = np.asarray(mean, dtype=np.float64).reshape(1, -1)
    scale = np.asarray(scale, dtype=np.float64).reshape(1, -1)
    centred = b.add("Sub", x, b.constant(mean, "mean"))
    return b.add("Div", centred, b.constant(scale, "scale"))


def network_logits(b: GraphBuilder, x: str, network: Any) -> str:
    """The output logits z of a :class:`~logitlab.numpy_engine.Network`, (N, n_out).

    ``x`` is (N, n_x) in the network's dtype. Each layer is one ``Gemm`` with W[l] kept
    in the notes' layout (n_l, n_{l−1}) and ``transB=1``: Z = X·W[l]ᵀ + b[l]ᵀ, the
    transpose of the notes' Z[l] = W[l]·A[l−1] + b[l] for examples in rows.
    """
    a = x
    n_layers = len(network.W)
    for layer, (W, bias) in enumerate(zip(network.W, network.b), start=1):
        w = b.constant(np.array(W), f"W{layer}")
        c = b.constant(np.array(bias).reshape(-1), f"b{layer}")
        a = b.add("Gemm", a, w, c, transB=1)
        if layer < n_layers:
            a = b.add(_HIDDEN_OPS[network.spec.activation], a)
    b.dtypes[a] = np.dtype(network.dtype)
    return a


def head_outputs(b: GraphBuilder, z: str, head: str, threshold: Any = 0.5) -> tuple[str, str]:
    """Probabilities and predictions from the logits ``z`` (N, n_out) of a head.

    - ``binary``: [σ(−z), σ(z)] (N, 2), and class index 1 where z > 0 (int64, (N,));
    - ``softmax``: softmax over the units (N, C), and the index of the largest logit;
    - ``multilabel``: σ(z) (N, C), and int64 0/1 where σ(z) > threshold (compared in
      float64, as NumPy compares a float32 probability with a float threshold).

    Returns the names (probabilities, prediction).
    """
    if head == "binary":
        proba = b.add("Concat", b.add("Sigmoid", b.add("Neg", z)), b.add("Sigmoid", z), axis=1)
        zero = b.constant(np.zeros((), dtype=np.float64), "zero")
        z64 = b.cast(z, b.dtype(z), np.float64)
        positive = b.add(
            "Greater", b.add("Squeeze", z64, b.constant(np.array([1], np.int64), "axis")), zero
        )
        return proba, b.cast(positive, np.bool_, np.int64)
    if head == "softmax":
        proba = b.add("Softmax", z, axis=1)
        return proba, b.add("ArgMax", z, axis=1, keepdims=0)
    if head == "multilabel":
        proba = b.add("Sigmoid", z)
        b.dtypes[proba] = b.dtype(z)
        return proba, _above(b, proba, threshold)
    raise ExportError(f"unknown head {head!r}")


def _above(b: GraphBuilder, proba: str, threshold: Any) -> str:
    """int64 0/1 where the probabilities (N, C) exceed the threshold (a scalar or one
    per column), compared in float64 as NumPy compares them."""
    t = b.constant(np.asarray(threshold, dtype=np.float64).reshape(1, -1), "threshold")
    above = b.add("Greater", b.cast(proba, b.dtype(proba), np.float64), t)
    return b.cast(above, np.bool_, np.int64)


def _binary_log_score(b: GraphBuilder, x: str, est: Any) -> tuple[str, np.dtype[Any]]:
    """ln P(class 1 | x) of a binary classifier, (N, 1), and its dtype: LogSoftmax
    over the pair (0, z) for a one-unit head, (z₀, z₁) for a two-unit softmax (the
    log-sigmoid of their difference), one-vs-all's own log-scores for a nested one."""
    _check_supported(est)
    if isinstance(est, OneVsAllClassifier):
        pair, dtype = one_vs_all_log_scores(b, x, est)
    else:
        net = est.network_
        dtype = net.dtype
        z = network_logits(b, b.cast(x, np.float64, dtype), net)
        if net.spec.head == "binary":
            pair = b.add("Concat", b.add("Sub", z, z), z, axis=1)  # (0, z): z − z = 0
        else:
            pair = z
    log_p = b.add("LogSoftmax", pair, axis=1)
    one, two = (
        b.constant(np.array([1], np.int64), "start"),
        b.constant(np.array([2], np.int64), "end"),
    )
    return b.add("Slice", log_p, one, two, b.constant(np.array([1], np.int64), "axis")), np.dtype(
        dtype
    )


def one_vs_all_log_scores(b: GraphBuilder, x: str, est: Any) -> tuple[str, np.dtype[Any]]:
    """ln σ(z_c) of each class's classifier, (N, C), as one-vs-all computes them before
    normalising (``OneVsAllClassifier._log_scores``), in the widest sub-model dtype.

    ``x`` is the float64 input; each sub-model casts it to its own dtype.
    """
    columns = [_binary_log_score(b, x, sub) for sub in est.estimators_]
    dtype = np.result_type(*[d for _, d in columns])
    return b.add("Concat", *[b.cast(c, d, dtype) for c, d in columns], axis=1), dtype


def _positive_probability(b: GraphBuilder, x: str, est: Any) -> str:
    """P(class 1 | x) of a binary classifier trained on 0/1, (N, 1) float64: column 1
    of its probabilities, as ``predict_proba(X)[:, 1]``, cast as NumPy stores it into
    a float64 array."""
    proba, _ = estimator_outputs(b, x, est)
    column = b.add(
        "Slice",
        proba,
        b.constant(np.array([1], np.int64), "start"),
        b.constant(np.array([2], np.int64), "end"),
        b.constant(np.array([1], np.int64), "axis"),
    )
    return b.cast(column, _probability_dtype(est), np.float64)


def chain_probabilities(
    b: GraphBuilder, x: str, estimators: Sequence[Any], order: Any, chain_method: str
) -> str:
    """One classifier chain's P(label | x), (N, n_labels) float64 in label order, as
    ``ClassifierChainEnsemble`` computes it.

    ``estimators[k]`` is the classifier of label ``order[k]``; it reads the float64
    input ``x`` (N, n_features) with the earlier labels' columns appended in chain
    order: their probabilities (``chain_method="predict_proba"``) or 0/1 where the
    probability exceeds 0.5 (``"predict"``).
    """
    if chain_method not in CHAIN_METHODS:
        raise ExportError(f"unknown chain_method {chain_method!r}")
    columns: list[str] = []
    earlier: list[str] = []
    for est in estimators:
        xk = b.add("Concat", x, *earlier, axis=1) if earlier else x
        p = _positive_probability(b, xk, est)
        columns.append(p)
        if chain_method == "predict":  # p > 0.5, compared in float64 as NumPy does
            p = b.cast(b.add("Greater", p, b.constant(np.array(0.5), "half")), np.bool_, np.float64)
        earlier.append(p)
    in_chain_order = b.add("Concat", *columns, axis=1)
    # column j of the result is the column k where order[k] = j
    inverse = np.argsort(np.asarray(order, dtype=np.int64)).astype(np.int64)
    return b.add("Gather", in_chain_order, b.constant(inverse, "inverse_order"), axis=1)


def estimator_outputs(b: GraphBuilder, x: str, est: Any) -> tuple[str, str]:
    """(probabilities, prediction) of a fitted estimator on the float64 input ``x``;
    the prediction is the class index (N,) int64, or the 0/1 indicators (N, C)."""
    _check_supported(est)
    if isinstance(est, OneVsAllClassifier):
        scores, _ = one_vs_all_log_scores(b, x, est)
        # argmax of the log-scores, as predict; softmax of them, as predict_proba
        return b.add("Softmax", scores, axis=1), b.add("ArgMax", scores, axis=1, keepdims=0)
    if isinstance(est, ClassifierChainEnsemble):
        chains = [
            chain_probabilities(b, x, chain, order, est.chain_method)
            for chain, order in zip(est.estimators_, est.orders_)
        ]
        total = chains[0]
        for p in chains[1:]:  # added in turn, as predict_proba sums them
            total = b.add("Add", total, p)
        proba = b.add("Div", total, b.constant(np.array(float(len(chains))), "n_chains"))
        return proba, _above(b, proba, label_thresholds(est, len(est.classes_)))
    net = est.network_
    z = network_logits(b, b.cast(x, np.float64, net.dtype), net)
    threshold = label_thresholds(est, net.spec.n_out) if net.spec.head == "multilabel" else 0.5
    return head_outputs(b, z, net.spec.head, threshold)


def _check_supported(est: Any) -> None:
    """Refuse what the graph cannot hold: another class, or an unfitted estimator."""
    if isinstance(est, (*_NETWORK_CLASSES, *_META_CLASSES)):
        check_is_fitted(est)
        return
    raise ExportError(
        f"cannot export a {type(est).__name__} to ONNX: only logitlab's "
        f"{', '.join(c.__name__ for c in (*_NETWORK_CLASSES, *_META_CLASSES))}"
    )


def _probability_dtype(est: Any) -> np.dtype[Any]:
    if isinstance(est, ClassifierChainEnsemble):
        return np.dtype(np.float64)  # the chains' mean, in float64
    if isinstance(est, OneVsAllClassifier):
        return np.dtype(np.result_type(*[_probability_dtype(s) for s in est.estimators_]))
    return np.dtype(est.network_.dtype)


def _label_values(est: Any, class_names: Sequence[Any] | None) -> np.ndarray:
    """The labels the ``label`` output gives: ``class_names`` if given, else
    ``classes_``, as an ONNX-storable array (strings, int64, float64 or bool)."""
    values = np.asarray(est.classes_ if class_names is None else list(class_names))
    if values.dtype.kind in "UO":
        return np.array([str(v) for v in values], dtype=object)
    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    if values.dtype.kind == "f":
        return values.astype(np.float64)
    return values  # bool


def _n_outputs(est: Any) -> int:
    """The columns of the probabilities: classes, or labels of a multi-label model."""
    if isinstance(est, _NETWORK_CLASSES) and est.network_.spec.head == "multilabel":
        return int(est.network_.spec.n_out)
    return len(est.classes_)


def _is_multilabel(est: Any) -> bool:
    if isinstance(est, ClassifierChainEnsemble):
        return True
    return isinstance(est, _NETWORK_CLASSES) and est.network_.spec.head == "multilabel"


def _check_destination(path: Path) -> None:
    if path.is_dir():
        raise ExportError(f"cannot write the ONNX model to {str(path)!r}: it is a directory")
    if not path.parent.is_dir():
        raise ExportError(
            f"cannot write the ONNX model to {str(path)!r}: the folder "
            f"{str(path.parent)!r} does not exist"
        )


def to_onnx(
    estimator: Any,
    path: str | os.PathLike[str] | None = None,
    *,
    preprocessing: Mapping[str, Any] | None = None,
    class_names: Sequence[Any] | None = None,
) -> Any:
    """A fitted estimator as an ONNX model: standardisation, network and output
    activation in one graph with a free batch size.

    Parameters
    ----------
    estimator : fitted LogisticRegression, SoftmaxRegression, MultiLabelClassifier, \
NeuralNetClassifier, OneVsAllClassifier or ClassifierChainEnsemble
        Meta-estimators (one-vs-all, chains) of logitlab's estimators only.
    path : str or os.PathLike, optional
        Where to write the model too (atomically: a temporary name, then a rename).
    preprocessing : dict, optional
        What the model's inputs go through first, as :func:`~logitlab.io.save_model`
        keeps it for a run: ``mean`` and ``scale`` (n_features values each) make the
        graph compute (x − mean) / scale in float64 before the network; the other
        entries (``class_names``, ``image_shape``, ``feature_names``) go into the
        model's metadata, and ``class_names`` names the classes of a single-label
        model unless ``class_names`` is given.
    class_names : sequence, optional
        The labels the ``label`` output gives for class indices 0, 1, ...; default
        ``preprocessing["class_names"]`` if present, else the estimator's
        ``classes_``. Not used for multi-label models, whose ``label`` is the 0/1
        indicators.

    Returns
    -------
    onnx.ModelProto
        Input ``X``: (N, n_features) float64. Outputs ``probabilities``: (N, n_classes)
        as ``predict_proba`` gives them, in the network's dtype, and ``label``: (N,)
        the predicted class labels (N, n_labels) int64 0/1 indicators for multi-label
        models. Metadata (``metadata_props``): ``logitlab_version``, ``estimator`` and,
        as JSON, ``class_names`` and the preprocessing's ``image_shape`` and
        ``feature_names``.

    Raises
    ------
    ImportError
        If the onnx package is not installed.
    ExportError
        If the estimator is not one logitlab exports, or ``path`` is a directory or in
        a folder that does not exist; ``NotFittedError`` if it is not fitted.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklearn.datasets import load_iris
    >>> from logitlab import NeuralNetClassifier
    >>> from logitlab.io import to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> pre = {"mean": X.mean(axis=0), "scale": X.std(axis=0)}
    >>> X_std = (X - pre["mean"]) / pre["scale"]
    >>> clf = NeuralNetClassifier((8,), solver="lbfgs", random_state=0).fit(X_std, y)
    >>> model = to_onnx(clf, preprocessing=pre)  # raw measurements in, standardised inside
    >>> session = ort.InferenceSession(model.SerializeToString())
    >>> proba, label = session.run(None, {"X": X[:5]})
    >>> bool(np.abs(proba - clf.predict_proba(X_std[:5])).max() < 1e-6)
    True
    >>> label.tolist() == clf.predict(X_std[:5]).tolist()
    True
    """
    onnx = _onnx()
    if path is not None:
        _check_destination(Path(path))
    pre = dict(preprocessing or {})
    b = GraphBuilder()
    _check_supported(estimator)
    n_features = int(estimator.n_features_in_)
    x = INPUT
    mean, scale = pre.get("mean"), pre.get("scale")
    if (mean is None) != (scale is None):
        raise ExportError("preprocessing has a mean without a scale, or a scale without a mean")
    if mean is not None:
        for key, arr in (("mean", mean), ("scale", scale)):
            if np.shape(arr) != (n_features,):
                raise ExportError(
                    f"preprocessing {key} has shape {np.shape(arr)}, the model has "
                    f"{n_features} features"
                )
        x = standardize(b, x, mean, scale)
    proba, index = estimator_outputs(b, x, estimator)
    proba = b.add("Identity", proba, output=PROBABILITIES)
    multilabel = _is_multilabel(estimator)
    names = class_names if class_names is not None else pre.get("class_names")
    if multilabel:
        label = b.add("Identity", index, output=LABEL)
        label_type, label_shape = np.dtype(np.int64), ["N", _n_outputs(estimator)]
    else:
        values = _label_values(estimator, names)
        if len(values) != len(estimator.classes_):
            raise ExportError(
                f"{len(values)} class names for a model of {len(estimator.classes_)} classes"
            )
        label = b.add("Gather", b.constant(values, "classes"), index, output=LABEL, axis=0)
        label_type, label_shape = values.dtype, ["N"]
    n_out = _n_outputs(estimator)
    helper, TensorProto = onnx.helper, onnx.TensorProto

    def elem(dtype: np.dtype[Any]) -> int:
        if dtype.kind == "O":
            return int(TensorProto.STRING)
        return int(helper.np_dtype_to_tensor_dtype(dtype))

    graph = helper.make_graph(
        b.nodes,
        "logitlab",
        [helper.make_tensor_value_info(INPUT, TensorProto.DOUBLE, ["N", n_features])],
        [
            helper.make_tensor_value_info(
                PROBABILITIES, elem(_probability_dtype(estimator)), ["N", n_out]
            ),
            helper.make_tensor_value_info(label, elem(np.dtype(label_type)), label_shape),
        ],
        initializer=b.initializers,
        doc_string=(
            f"logitlab {type(estimator).__name__}: X (N, {n_features}) float64 features"
            f"{' standardised as (X - mean) / scale' if mean is not None else ''} -> "
            "probabilities (predict_proba) and label"
        ),
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="logitlab",
        producer_version=__version__,
    )
    model.ir_version = min(model.ir_version, 8)  # what opset 17 runtimes read
    props = {"logitlab_version": __version__, "estimator": type(estimator).__name__}
    if names is not None:
        props["class_names"] = json.dumps([str(n) for n in names])
    for key in ("image_shape", "feature_names"):
        if pre.get(key) is not None:
            props[key] = json.dumps(list(pre[key]))
    helper.set_model_props(model, props)
    onnx.checker.check_model(model, full_check=True)
    if path is not None:
        try:
            data = model.SerializeToString()
        except ValueError as exc:  # protobuf's 2 GB limit
            raise ExportError(f"the model is too large for one ONNX file: {exc}") from None
        atomic_write(path, data)
    return model


def max_difference(model: Any, estimator: Any, X: Any, preprocessing: Any = None) -> float:
    """The largest |p_onnx − p_logitlab| over the probabilities of the rows ``X``
    (raw features), with onnxruntime; ``preprocessing`` as :func:`to_onnx` got it.

    Raises ImportError if onnxruntime is not installed.
    """
    try:
        import onnxruntime as ort
    except ImportError:
        raise ImportError(f"checking an ONNX model needs onnxruntime: {INSTALL_HINT}") from None
    X = np.asarray(X, dtype=np.float64)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (onnx_proba,) = session.run([PROBABILITIES], {INPUT: X})
    pre = preprocessing or {}
    if pre.get("mean") is not None:
        X = (X - np.asarray(pre["mean"], dtype=np.float64)) / np.asarray(pre["scale"], np.float64)
    ours = estimator.predict_proba(X)
    return float(np.max(np.abs(onnx_proba.astype(np.float64) - ours)))


def export_run(
    run_dir: str | os.PathLike[str], onnx_path: str | os.PathLike[str], *, check_rows: int = 256
) -> dict[str, Any]:
    """Export the model of a run folder (written by ``logitlab train``) to ONNX, with
    the run's standardisation and class names, then check it with onnxruntime.

    The check runs ``check_rows`` random rows (of the training data's mean and spread
    when the run standardised; pixels in [0, 1] for images) through onnxruntime and
    through logitlab and measures the largest difference of the probabilities. It is
    skipped (None) when onnxruntime is not installed.

    Returns
    -------
    dict
        ``path``, ``estimator``, ``n_features``, ``outputs`` (class names or labels),
        ``standardized`` (bool), ``image_shape`` (or None) and ``max_abs_difference``
        (float or None) with ``check_rows``.
    """
    from .run import CHECKPOINT_FILE, MODEL_FILE, load_run

    _onnx()  # before reading anything: say what to install first
    folder = Path(run_dir)
    if folder.is_dir() and not (folder / MODEL_FILE).exists():
        if not (folder / CHECKPOINT_FILE).exists():  # (load_run explains a checkpoint)
            raise ExportError(
                f"{str(folder)!r} is not a run folder: it has no {MODEL_FILE} (logitlab "
                "train --out FOLDER writes one)"
            )
    _check_destination(Path(onnx_path))
    est, pre = load_run(run_dir)
    pre_dict = pre.to_dict()
    class_names = None if pre.task == "multilabel" else pre.class_names
    model = to_onnx(est, onnx_path, preprocessing=pre_dict, class_names=class_names)
    rng = np.random.default_rng(0)
    n = int(est.n_features_in_)
    if pre.image_shape is not None:
        X = rng.uniform(0.0, 1.0, size=(check_rows, n))
    elif pre.mean is not None and pre.scale is not None:
        X = pre.mean + pre.scale * rng.standard_normal((check_rows, n))
    else:
        X = rng.standard_normal((check_rows, n))
    try:
        difference: float | None = max_difference(model, est, X, pre_dict)
    except ImportError:
        difference = None
    return {
        "path": os.fspath(onnx_path),
        "estimator": type(est).__name__,
        "n_features": n,
        "outputs": list(pre.class_names),
        "standardized": pre.mean is not None,
        "image_shape": pre.image_shape,
        "max_abs_difference": difference,
        "check_rows": check_rows,
    }
