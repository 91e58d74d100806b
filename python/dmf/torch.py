"""PyTorch bridge: a butterfly chain as a torch.nn.Module.

``chain.to_torch()`` copies the factor blocks into ``torch`` parameters (on
the CPU; move the module with ``.to(device)``).  ``module(x)`` maps ``x`` of
shape ``(..., N)`` to ``(..., M)``, one vector per row, like
``torch.nn.Linear`` with weight ``A``: row ``x`` becomes ``A x``.  Each factor
is one batched product over its ``a·d`` blocks, so autograd reaches every
block and the cost per vector stays O(nnz).
"""
import numpy as np
import torch

__all__ = ["ChainModule", "apply_blocks"]


def apply_blocks(blocks, x):
    """``x @ (F_0 … F_{L-1})^T`` for blocks[k] of shape (a, d, b, c) and x of
    shape (..., N): the chain applied to every row of x, differentiable."""
    lead = x.shape[:-1]
    y = x.reshape(-1, x.shape[-1])
    for blk in reversed(blocks):
        a, d, b, c = blk.shape
        # input row index i*c*d + gamma*d + v, output i*b*d + beta*d + v
        t = y.reshape(-1, a, c, d)
        t = torch.einsum("idbg,sigd->sibd", blk, t)
        y = t.reshape(-1, a * b * d)
    return y.reshape(*lead, y.shape[-1])


class ChainModule(torch.nn.Module):
    """A dmf.Chain as a module whose parameters are the factor blocks."""

    def __init__(self, chain, requires_grad=True):
        super().__init__()
        self.shape = chain.shape
        self.blocks = torch.nn.ParameterList(
            torch.nn.Parameter(torch.from_numpy(np.array(b, copy=True)), requires_grad=requires_grad)
            for b in chain.blocks)
        # A chain with permutations is A = P^T (F_0 ... F_{L-1}) Q^T: the
        # columns of x are gathered by perm_cols, the result scattered by
        # perm_rows (index buffers, no parameters).
        rows, cols = chain.perm_rows, chain.perm_cols
        self.register_buffer("perm_cols", None if cols is None else torch.from_numpy(cols))
        self.register_buffer("rows_back", None if rows is None else torch.from_numpy(np.argsort(rows)))

    def forward(self, x):
        if x.shape[-1] != self.shape[1]:
            raise ValueError(f"the chain has {self.shape[1]} columns but x has {x.shape[-1]} entries per row")
        blocks = list(self.blocks)
        if x.dtype != blocks[0].dtype:
            x = x.to(torch.promote_types(x.dtype, blocks[0].dtype))
            blocks = [b.to(x.dtype) for b in blocks]
        if self.perm_cols is not None:
            x = x.index_select(-1, self.perm_cols)
        y = apply_blocks(blocks, x)
        return y if self.rows_back is None else y.index_select(-1, self.rows_back)

    def extra_repr(self):
        return f"{self.shape[0]}x{self.shape[1]}, {len(self.blocks)} factors"
