"""Sparse X: the first layer's two products with a ``scipy.sparse`` matrix.

The estimators take X as a CSR matrix of shape (m, n_x), one example per row; the
engines see its transpose X (n_x, m), a CSC matrix sharing the same arrays (no copy).
Only the first layer touches X, in two products, each computed as a sparse-times-dense
product of SciPy's (one pass over the non-zeros per output unit), never densifying X:

- forward, Z[1] = W[1]·X = (Xᵀ·W[1]ᵀ)ᵀ, shape (n_1, m);
- backward, dW[1] = dZ[1]·Xᵀ/m = (X·dZ[1]ᵀ)ᵀ/m, shape (n_1, n_x).

dA[0] = W[1]ᵀ·dZ[1], the gradient with respect to X, is never needed. Every later
layer works on dense activations as before.

Examples
--------
>>> import numpy as np
>>> import scipy.sparse as sp
>>> X = sp.csr_array(np.array([[0.0, 2.0, 0.0], [1.0, 0.0, 0.0]])).T  # (n_x=3, m=2)
>>> W = np.arange(6.0).reshape(2, 3)
>>> matmul(W, X)
array([[2., 0.],
       [8., 3.]])
>>> np.array_equal(matmul(W, X), W @ X.toarray())
True
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ..functional import FloatArray

#: what the engines take as X (n_x, m): a dense array, or a SciPy sparse matrix (the
#: transpose of the estimators' CSR rows, for the first layer only)
Matrix: TypeAlias = FloatArray | sp.sparray | sp.spmatrix


def is_sparse(X: object) -> bool:
    """Whether X is a ``scipy.sparse`` matrix or array."""
    return bool(sp.issparse(X))


def matmul(W: FloatArray, X: Matrix) -> FloatArray:
    """W·X of a dense W (n_l, n_x) and X (n_x, m), dense or sparse; a dense (n_l, m)."""
    if not is_sparse(X):
        Z: FloatArray = W @ X
        return Z
    # Xᵀ is CSR (the estimators' rows): one sparse-times-dense product, O(nnz·n_l)
    return np.asarray(X.T @ W.T).T


def weight_grad(dZ: FloatArray, X: Matrix, out: FloatArray) -> FloatArray:
    """``out`` := dZ·Xᵀ of dZ (n_l, m) and X (n_x, m), dense or sparse; (n_l, n_x)."""
    if not is_sparse(X):
        np.matmul(dZ, X.T, out=out)
    else:
        out[:] = np.asarray(X @ dZ.T).T  # X (CSC) times a dense matrix: O(nnz·n_l)
    return out


def take_columns(X: Matrix, idx: NDArray[np.integer[Any]]) -> Matrix:
    """X[:, idx] of a sparse X (n_x, m): the rows ``idx`` of Xᵀ, CSR, transposed back
    (no dense copy)."""
    return sp.csr_array(X.T)[idx].T
