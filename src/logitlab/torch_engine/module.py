"""A :class:`~logitlab.spec.ModelSpec` as a ``torch.nn.Module``."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


def _linear(X, linear):
    """X·Wᵀ + b. A sparse X (the first layer's input) is multiplied sparse-times-dense,
    and backward gives dW and db (never dX); it runs in the weights' dtype outside
    autocast, which would otherwise cast the sparse X to bfloat16 — the speed autocast
    buys is in dense products, and this one costs the non-zeros."""
    if X.layout == torch.strided:
        return F.linear(X, linear.weight, linear.bias)
    with torch.autocast(X.device.type, enabled=False):
        return F.linear(X, linear.weight, linear.bias)


class TorchNetwork(nn.Module):
    """LINEAR→g→…→LINEAR of a ModelSpec, returning the output logits.

    ``nn.Linear`` keeps its weight as (out_features, in_features): exactly the notes'
    W[l] of shape (n_l, n_{l−1}), so parameters copy between engines unchanged.
    Torch works on one example per row, the transpose of the notes' X.

    Shape:
        - Input: (N, n_x), dense or a torch sparse tensor (the first layer's product
          is then a sparse-times-dense one)
        - Output: (N, n_out) logits Z[L]ᵀ; the head (sigmoid or softmax) is applied by
          the loss, in its stable logit form.

    Examples
    --------
    >>> import torch
    >>> from logitlab.spec import ModelSpec
    >>> net = TorchNetwork(ModelSpec(n_x=12288, hidden=(25, 12), n_out=6, head="softmax"))
    >>> net(torch.zeros(4, 12288, dtype=torch.float64)).shape
    torch.Size([4, 6])
    """

    def __init__(self, spec, dtype=torch.float64, device="cpu"):
        super().__init__()
        self.spec = spec
        sizes = spec.layer_sizes
        self.linears = nn.ModuleList(
            nn.Linear(a, b, dtype=dtype, device=device) for a, b in zip(sizes[:-1], sizes[1:])
        )
        self.activation = _ACTIVATIONS[spec.activation]

    def forward(self, X, masks=None):
        """Logits of X (N, n_x); ``masks[l]`` (N, n_l), the dropout mask D/keep_prob of
        hidden layer l+1, multiplies its activations (inverted dropout)."""
        # F.linear rather than calling each nn.Linear: the same op without the module
        # call's hook machinery, which costs as much as the math on small mini-batches
        *hidden, out = self.linears
        for i, linear in enumerate(hidden):
            X = self.activation(_linear(X, linear))
            if masks is not None:
                X = X * masks[i]
        return _linear(X, out)

    # ------------------------------------------------------------------- the cost
    def loss_sum(self, Z, T, weights=None, pos_weight=None):
        """Σ over the batch of the cross-entropy, from logits Z (N, n_out): Σ_i w_i·L_i
        with per-example ``weights`` w (N,).

        T holds class indices (N,) for a softmax head, else 0/1 targets (N, n_out);
        binary cross-entropy is summed over the output units (labels), each unit's
        positive term weighed by ``pos_weight`` (n_out,) when given.
        """
        Z = Z.float() if Z.dtype == torch.bfloat16 else Z
        if weights is None:
            if self.spec.head == "softmax":
                return F.cross_entropy(Z, T, reduction="sum")
            return F.binary_cross_entropy_with_logits(Z, T, reduction="sum", pos_weight=pos_weight)
        if self.spec.head == "softmax":
            losses = F.cross_entropy(Z, T, reduction="none")
        else:
            losses = F.binary_cross_entropy_with_logits(
                Z, T, reduction="none", pos_weight=pos_weight
            ).sum(dim=1)
        return (losses * weights.to(losses.dtype)).sum()

    def penalty(self, alpha, m):
        """alpha/(2m)·Σ_l ‖W[l]‖² (biases are not penalised), as in the NumPy engine."""
        if not alpha:
            return 0.0
        return alpha / (2.0 * m) * sum(lin.weight.pow(2).sum() for lin in self.linears)

    # ------------------------------------------------------- exchange with NumPy
    @torch.no_grad()
    def load_numpy(self, net):
        """Copy W[l], b[l] from a :class:`~logitlab.numpy_engine.Network`."""
        for lin, W, b in zip(self.linears, net.W, net.b):
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(W)))
            lin.bias.copy_(torch.from_numpy(np.ascontiguousarray(b[:, 0])))

    @torch.no_grad()
    def to_numpy(self, net):
        """Write the parameters into a NumPy network (on the CPU)."""
        for lin, W, b in zip(self.linears, net.W, net.b):
            W[:] = lin.weight.detach().cpu().numpy()
            b[:, 0] = lin.bias.detach().cpu().numpy()

    def flat(self):
        return torch.cat([p.detach().reshape(-1) for p in self.parameters()])

    @torch.no_grad()
    def set_flat(self, v):
        i = 0
        for p in self.parameters():
            p.copy_(v[i : i + p.numel()].view_as(p))
            i += p.numel()
