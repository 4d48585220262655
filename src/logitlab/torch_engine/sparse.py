"""X's rows for the torch engine, dense or sparse, batch by batch.

Dense X is moved to the device once and a mini-batch is an index into that tensor.
Sparse X (a ``scipy.sparse`` matrix) stays a SciPy CSR matrix in host memory: a
mini-batch is a slice of its rows, made a torch sparse COO tensor and moved to the
device, where the first layer multiplies it with its dense weight (``F.linear`` on a
sparse input: autograd reaches the weight and the bias, never X). Nothing is
densified, so memory grows with the non-zeros. The full batch (``gd``, ``lbfgs``) and a
validation set are converted once and kept on the device.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch


def to_torch(rows, dev, dtype):
    """A SciPy sparse (n, n_x) matrix as a torch sparse COO tensor on ``dev``.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> t = to_torch(sp.csr_array([[0.0, 2.0], [1.0, 0.0]]), "cpu", torch.float64)
    >>> t.layout, t.to_dense().tolist()
    (torch.sparse_coo, [[0.0, 2.0], [1.0, 0.0]])
    """
    coo = sp.coo_array(rows)
    # CSR in canonical form (sorted column indices, no duplicates) gives COO in
    # torch's coalesced order; otherwise torch sorts and sums it
    canonical = bool(getattr(rows, "format", None) == "csr" and rows.has_canonical_format)
    indices = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))
    values = torch.as_tensor(coo.data, dtype=dtype)
    # SciPy's arrays hold torch's invariants (indices in range, and sorted when said
    # to be): no check, which would cost a pass over the non-zeros each batch (said
    # through the context too, else some torch versions warn that it is implicit)
    with torch.sparse.check_sparse_tensor_invariants(enable=False):
        X = torch.sparse_coo_tensor(
            indices, values, coo.shape, is_coalesced=canonical, check_invariants=False
        )
    return (X if canonical else X.coalesce()).to(dev)


class Rows:
    """The training examples as rows, (m, n_x), from X (n_x, m) in the notes' layout.

    ``rows[idx]`` is the batch of rows ``idx`` (a CPU index tensor or a slice for
    sparse X; any index for dense X) as a tensor on the device; ``rows.all()`` every
    row. ``index_device`` is where batch indices should live: the device for dense X,
    the CPU for sparse X, whose rows are sliced in host memory.
    """

    def __init__(self, X, dev, dtype):
        self.dev, self.dtype = dev, dtype
        self.sparse = sp.issparse(X)
        if self.sparse:
            self.csr = sp.csr_array(X.T)  # the estimators' CSR rows: no copy
            self._all = None
        else:
            self._all = torch.as_tensor(X.T, device=dev)  # no copy on the CPU
        self.index_device = torch.device("cpu") if self.sparse else dev
        self.shape = (X.shape[1], X.shape[0])

    def all(self):
        if self._all is None:
            self._all = to_torch(self.csr, self.dev, self.dtype)
        return self._all

    def __getitem__(self, idx):
        if not self.sparse:
            return self._all[idx]
        if torch.is_tensor(idx):
            idx = idx.numpy()
        return to_torch(self.csr[idx], self.dev, self.dtype)
