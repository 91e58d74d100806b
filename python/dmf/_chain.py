"""Butterfly chains: the result of dmf.butterfly_factor, a linear operator."""
import json
import os
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _dmf
from ._arrays import COMPLEX_OF, NAMES, REAL_OF, dtype_of

OP_N, OP_T, OP_H = 0, 1, 2


class ConvergenceError(_dmf.NumericalError):
    """Some blocks' SVD did not converge; ``.chain`` holds the factors anyway."""

    def __init__(self, message, chain=None):
        super().__init__(message)
        self.chain = chain


class Chain:
    """A butterfly (Kronecker-sparse) chain ``A ≈ F_0 F_1 … F_{L-1}``.

    Factor k has the support ``I_a ⊗ 1_{b×c} ⊗ I_d`` (see docs/butterfly.md)
    and is stored as ``a·d`` dense ``b×c`` blocks; ``blocks[k]`` is a view of
    shape ``(a, d, b, c)`` on dmf's own memory (writes change the chain).

    ``chain @ X``, ``chain.T @ X`` and ``chain.H @ X`` take X of shape
    ``(n,)`` or ``(n, k)`` in any dtype and layout: C- and Fortran-ordered
    and strided arrays of the chain's dtype are read in place; other dtypes
    are converted to the chain's once (a real chain applied to complex X
    works on the real and imaginary parts in place).  The result has the
    chain's dtype (complex for complex X).
    """

    # NumPy defers to __rmatmul__ for `X @ chain` instead of treating the
    # chain as a 0-d object array.
    __array_ufunc__ = None

    def __init__(self, handle, report=None):
        if not isinstance(handle, _dmf.ChainHandle):
            raise TypeError("use dmf.butterfly_factor, dmf.load or Chain.from_blocks")
        self._handle = handle
        info = handle.info()
        self.dtype = np.dtype({"f32": np.float32, "f64": np.float64, "c64": np.complex64,
                               "c128": np.complex128}[info["dtype"]])
        self.shape = (info["rows"], info["cols"])
        self.radix_m = tuple(info["radix_m"])
        self.radix_n = tuple(info["radix_n"])
        self.ranks = tuple(info["ranks"])
        self.nnz = info["nnz"]
        self.report = report if report is not None else {}

    # ---- construction -------------------------------------------------
    @classmethod
    def from_blocks(cls, blocks: Sequence[np.ndarray], radix_m: Sequence[int], radix_n: Sequence[int],
                    ranks: Optional[Sequence[int]] = None) -> "Chain":
        """A chain from factor blocks of shapes ``(a, d, b, c)`` (copied)."""
        blocks = [np.asarray(b) for b in blocks]
        if not blocks:
            raise ValueError("a chain needs at least one factor")
        dt = np.result_type(*blocks)
        dt = dtype_of(dt) if dt in NAMES else np.dtype(np.complex128 if dt.kind == "c" else np.float64)
        ranks = [1] * (len(blocks) - 1) if ranks is None else list(ranks)
        handle = _dmf.chain_create(NAMES[dt], list(radix_m), list(radix_n), ranks)
        for k, b in enumerate(blocks):
            view = handle.blocks(k)
            if b.shape != view.shape:
                raise ValueError(f"factor {k}: blocks of shape {b.shape}, expected {view.shape}")
            view[...] = b
        return cls(handle)

    # ---- structure ------------------------------------------------------
    @property
    def num_factors(self) -> int:
        return len(self.radix_m)

    @property
    def blocks(self) -> List[np.ndarray]:
        """Factor k's blocks, shape (a, d, b, c); views on the chain."""
        return [self._handle.blocks(k) for k in range(self.num_factors)]

    def factor_support(self, k: int) -> Tuple[int, int, int, int]:
        """(a, b, c, d) of factor k."""
        a, d, b, c = self._handle.blocks(k).shape
        return a, b, c, d

    @property
    def factors(self):
        """The factors as SciPy CSR arrays (the support entries only): those
        of the product F_0 … F_{L-1}; a chain with permutations p, q stands
        for A with ``A[p][:, q]`` equal to that product."""
        import scipy.sparse as sp

        out = []
        for k in range(self.num_factors):
            blk = self._handle.blocks(k)
            a, d, b, c = blk.shape
            i, v, beta, gamma = np.meshgrid(np.arange(a), np.arange(d), np.arange(b), np.arange(c), indexing="ij")
            rows = (i * b * d + beta * d + v).ravel()
            cols = (i * c * d + gamma * d + v).ravel()
            csr = getattr(sp, "csr_array", sp.csr_matrix)
            out.append(csr((blk.ravel().copy(), (rows, cols)), shape=(a * b * d, a * c * d)))
        return out

    @property
    def perm_rows(self) -> Optional[np.ndarray]:
        """Row permutation p (or None): A[p[i]] is row i of F_0 … F_{L-1}."""
        return self._handle.permutations()[0]

    @property
    def perm_cols(self) -> Optional[np.ndarray]:
        """Column permutation q (or None): A[:, q[j]] is column j of the product."""
        return self._handle.permutations()[1]

    def toarray(self) -> np.ndarray:
        """The dense matrix A: the product F_0 … F_{L-1}, its rows and
        columns put back in A's order when the chain has permutations."""
        return self._handle.densify()

    def rel_error(self, A) -> float:
        """``‖A − F_0…F_{L-1}‖_F / ‖A‖_F`` without forming the product."""
        A = np.ascontiguousarray(A, dtype=self.dtype)
        return self._handle.rel_error(A)

    # ---- files ----------------------------------------------------------
    def save(self, directory: Union[str, "os.PathLike[str]"]) -> None:
        """Writes the factor folder the command line writes (chain.json,
        factor_KK.mtx, factor_KK_blocks.npy), whole or not at all: an
        earlier chain in `directory` is replaced, a folder holding other
        files is refused (dmf.FileError).  chain.json keeps how the chain
        was made (tree, rank, rel_error) when it came from butterfly_factor,
        with ``"source": {"python": ...}`` where the command line names its
        matrix or file."""
        meta = None
        if self.report:
            r = self.report
            meta = {"dmf_version": r["dmf_version"], "tree": r["tree"], "tree_nested": r["tree_nested"],
                    "rank": r["rank"], "orthonormalize": r["orthonormalize"],
                    "rel_error": r["rel_error"] if isinstance(r["rel_error"], float) and np.isfinite(r["rel_error"])
                    else None,
                    "source": {"python": "array", "dtype": r["dtype"]}}
            meta = json.dumps(meta)
        self._handle.write(os.fspath(directory), meta)

    # ---- as an operator ---------------------------------------------------
    @property
    def T(self):
        return _Transposed(self, OP_T)

    @property
    def H(self):
        return _Transposed(self, OP_H)

    def __matmul__(self, x):
        return self._apply(x, OP_N)

    def __rmatmul__(self, x):
        # X @ chain = (chain^T @ X^T)^T
        x = np.asarray(x)
        if x.ndim == 1:
            return self._apply(x, OP_T)
        return self._apply(x.T, OP_T).T

    def matvec(self, x):
        return self._apply(x, OP_N)

    def _apply(self, x, op, backend="cpu"):
        if hasattr(x, "detach") and hasattr(x, "cpu"):
            x = x.detach().cpu().numpy()
        x = np.asarray(x)
        if x.ndim not in (1, 2):
            raise ValueError(f"chain @ x needs x of 1 or 2 dimensions (got {x.ndim})")
        rows, cols = self.shape
        n_in, n_out = (cols, rows) if op == OP_N else (rows, cols)
        if x.shape[0] != n_in:
            raise ValueError(f"shapes: the operator is {n_out} x {n_in}, x has {x.shape[0]} rows")
        vector = x.ndim == 1
        x2 = x[:, None] if vector else x
        cdt = self.dtype
        if x2.dtype.kind == "c" and cdt.kind != "c":
            # A real chain on complex vectors: real and imaginary parts in place.
            x2 = self._usable(x2, COMPLEX_OF[cdt])
            y = np.empty((n_out, x2.shape[1]), dtype=COMPLEX_OF[cdt])
            self._handle.apply(x2.real, y.real, op, backend)
            self._handle.apply(x2.imag, y.imag, op, backend)
        else:
            x2 = self._usable(x2, cdt)
            y = np.empty((n_out, x2.shape[1]), dtype=cdt)
            self._handle.apply(x2, y, op, backend)
        return y[:, 0] if vector else y

    @staticmethod
    def _usable(x, dtype):
        """x itself when the C core can read it in place, else one copy."""
        if x.dtype != dtype:
            return np.ascontiguousarray(x, dtype=dtype)
        if any(s < 0 or s % x.itemsize for s in x.strides) or not x.flags.aligned or not x.dtype.isnative:
            return np.ascontiguousarray(x)
        return x

    def to_torch(self, requires_grad=True):
        """A torch.nn.Module applying the chain to tensors (see dmf.torch)."""
        from .torch import ChainModule

        return ChainModule(self, requires_grad=requires_grad)

    def __repr__(self):
        dims = "x".join(str(s) for s in self.shape)
        err = self.report.get("rel_error")
        extra = f", rel_error={err:.3g}" if isinstance(err, float) else ""
        return (f"<dmf.Chain {dims} {NAMES[self.dtype]}, {self.num_factors} factors, "
                f"nnz={self.nnz}{extra}>")


class _Transposed:
    """chain.T / chain.H: the transpose or adjoint as an operator."""

    def __init__(self, chain, op):
        self._chain, self._op = chain, op
        self.shape = chain.shape[::-1]
        self.dtype = chain.dtype

    @property
    def T(self):
        if self._op == OP_T:
            return self._chain
        return _Conjugated(self._chain)

    @property
    def H(self):
        if self._op == OP_H or self.dtype.kind != "c":
            return self._chain
        return _Conjugated(self._chain)

    def __matmul__(self, x):
        return self._chain._apply(x, self._op)

    def matvec(self, x):
        return self._chain._apply(x, self._op)

    def toarray(self):
        dense = self._chain.toarray().T
        return dense.conj() if self._op == OP_H else dense


class _Conjugated:
    """conj(chain) = (chain^H)^T, applied as conj(chain @ conj(x))."""

    def __init__(self, chain):
        self._chain = chain
        self.shape, self.dtype = chain.shape, chain.dtype

    def __matmul__(self, x):
        return np.conj(self._chain._apply(np.conj(x), OP_N))

    def toarray(self):
        return self._chain.toarray().conj()


def load(directory: Union[str, "os.PathLike[str]"]) -> Chain:
    """The chain in a factor folder written by ``dmf butterfly factor --out``
    or Chain.save."""
    return Chain(_dmf.chain_read(str(directory)))
