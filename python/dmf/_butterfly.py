"""Hierarchical butterfly factorization and the built-in matrices."""
import json
import time
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from . import _dmf
from ._arrays import NAMES, as_matrix, dtype_of
from ._chain import Chain, ConvergenceError
from ._dmf import InputError
from ._options import check


def _tree_spec(tree):
    if isinstance(tree, str):
        return tree
    if isinstance(tree, (list, tuple)):
        return json.dumps(tree)
    raise TypeError("tree must be 'l2r', 'r2l', 'balanced', a nested list such as [[0, 1], [2, 3]], "
                    "or a path to a JSON file of one")


TreeSpec = Union[str, Sequence]


def digit_reversal(radix: Sequence[int]) -> np.ndarray:
    """The index whose digits in ``radix`` (radix[0] most significant) are
    those of i in the reversed radices: the bit reversal for radix 2."""
    radix = [int(r) for r in radix]
    i = np.arange(int(np.prod(radix)) if radix else 1, dtype=np.int64)
    out = np.zeros_like(i)
    below, weight = int(i.size), 1
    for r in radix:
        below //= r
        out += ((i // below) % r) * weight
        weight *= r
    return out


def identify_permutations(A, radix_m: Optional[Sequence[int]] = None, radix_n: Optional[Sequence[int]] = None,
                          dtype=None):
    """Row and column permutations that make A a rank-one chain on the radices.

    Returns ``(perm_rows, perm_cols, report)``: ``A[perm_rows][:, perm_cols]``
    is, as nearly as the search can tell, a chain; ``report`` holds the
    search's time and scores (1 = the rank-one blocks were exact).  The
    answer is unique up to the permutations that map the chain's support
    onto itself (docs/permutations.md).
    """
    A = as_matrix(A, dtype)
    rows, cols, report = _dmf.identify_permutations(
        A, None if radix_m is None else list(radix_m), None if radix_n is None else list(radix_n))
    return rows.astype(np.int64, copy=False), cols.astype(np.int64, copy=False), report


def _permutation(spec, count, radix, side):
    if spec is None or (isinstance(spec, str) and spec == "none"):
        return None
    if isinstance(spec, str):
        if spec == "bitrev":
            return digit_reversal(radix)
        raise ValueError(f"{side} must be None, 'none', 'bitrev', 'auto' or an index array, not {spec!r}")
    perm = np.asarray(spec)
    if perm.ndim != 1 or perm.size != count or not np.issubdtype(perm.dtype, np.integer):
        raise ValueError(f"{side}: expected {count} integer indices, got shape {perm.shape} of {perm.dtype}")
    if not np.array_equal(np.sort(perm), np.arange(count)):
        raise ValueError(f"{side}: not a permutation of 0..{count - 1}")
    return perm.astype(np.int64)


def butterfly_factor(A, radix_m: Optional[Sequence[int]] = None, radix_n: Optional[Sequence[int]] = None,
                     tree: TreeSpec = "balanced", rank: int = 1, orthonormalize: bool = False,
                     dtype=None, backend: str = "auto", compute_error: bool = True,
                     perm_rows=None, perm_cols=None, refine: Optional[int] = None) -> Chain:
    """Factors A (M x N) into a butterfly chain F_0 … F_{L-1}.

    Parameters
    ----------
    A : array_like, shape (M, N)
        float32, float64, complex64 or complex128, read in place when
        C-contiguous; other layouts (Fortran order included) and dtypes are
        copied once to a C-ordered array of ``dtype``.  Integer input
        becomes float64.
    radix_m, radix_n : sequences of int, optional
        ``M = m_0 … m_{L-1}`` and ``N = n_0 … n_{L-1}``; by default all 2
        (M and N powers of two with the same number of factors).
    tree : 'balanced', 'l2r', 'r2l', a nested list (e.g. ``[[0, 1], [2, 3]]``)
        or a path to a JSON file holding one.
    rank : int
        Rank of every split (the inner dimensions grow by this factor).
    orthonormalize : bool
        Le et al.'s orthonormalization before each split.
    dtype : optional
        Compute in this dtype ('f32', 'f64', 'c64', 'c128' or a NumPy dtype).
    backend : 'auto', 'cpu' or 'cuda'
    compute_error : bool
        Fill ``report['rel_error']`` (one more pass over A, timed apart in
        ``report['error_time_s']``).
    perm_rows, perm_cols : None, 'none', 'bitrev', 'auto' or an index array
        Factor ``A[perm_rows][:, perm_cols]`` instead of A, for a matrix that
        is a chain only up to permutations (the natural-order DFT is one
        with ``perm_cols='bitrev'``); 'auto' (on either side) finds both
        with :func:`identify_permutations`.  The chain keeps them:
        ``toarray()``, ``@`` and ``rel_error`` are of A itself.
    refine : int, optional
        Then this many iterations of PALM (as :func:`palm4msa`) with every
        factor held to its support, from the hierarchical result; PALM's
        factors replace the chain's only when they lower the error.  The
        report adds ``rel_error_before_refine``, ``refine_iterations``,
        ``refine_rel_error`` (PALM's own), ``refine_kept`` and
        ``refine_time_s``, as ``--refine`` does.  Needs ``compute_error``;
        PALM works on dense factors, so meant for sizes up to a few hundred.

    Returns
    -------
    Chain
        with ``.report`` holding the fields of the command line's JSON line.

    Raises
    ------
    ValueError (dmf.InputError)
        sizes that do not factor, a bad tree, non-finite entries are
        dmf.NumericalError; ``dmf.ConvergenceError`` (a NumericalError)
        when some block's SVD failed, with the chain in ``.chain``.
    """
    check("butterfly factor", radix_m=radix_m, radix_n=radix_n, tree=tree, rank=rank, backend=backend,
          perm_rows=perm_rows, perm_cols=perm_cols, refine=refine)
    if refine is not None:
        if isinstance(refine, bool) or not isinstance(refine, (int, np.integer)):
            raise TypeError(f"refine must be an integer, not {type(refine).__name__}")
        if not compute_error:
            raise InputError("refine reports the error before and after: it needs compute_error=True")
    A = as_matrix(A, dtype)
    if perm_rows is not None or perm_cols is not None:
        chain = _factor_permuted(A, radix_m, radix_n, tree, rank, orthonormalize, backend, compute_error,
                                 perm_rows, perm_cols)
    else:
        chain = _factor(A, radix_m, radix_n, tree, rank, orthonormalize, backend, compute_error)
    if refine is not None:
        _refine(chain, A, int(refine), backend)
    return chain


def _refine(chain, A, iterations, backend):
    """PALM on the chain's supports, with the fields --refine adds."""
    start = time.perf_counter()
    before = chain.report["rel_error"]
    done = chain._handle.refine(A, iterations, before, backend)
    if done["kept"]:
        chain.report["rel_error"] = chain.rel_error(A)
    chain.report.update(rel_error_before_refine=before, refine_iterations=done["iterations"],
                        refine_rel_error=done["palm_error"], refine_kept=done["kept"],
                        refine_time_s=time.perf_counter() - start)


def _factor(A, radix_m, radix_n, tree, rank, orthonormalize, backend, compute_error, rows=None, cols=None):
    handle, report, failure = _dmf.butterfly_factor(
        A, None if radix_m is None else list(radix_m), None if radix_n is None else list(radix_n),
        _tree_spec(tree), int(rank), bool(orthonormalize), str(backend), bool(compute_error), rows, cols)
    report["tree_nested"] = json.loads(report["tree_nested"])  # a nested list, as in the JSON line
    if not compute_error:
        report["rel_error"] = None
    report["rel_error_how"] = "exact" if compute_error else "skipped"  # as the command line says
    chain = Chain(handle, report)
    if failure:
        raise ConvergenceError(failure, chain)
    return chain


def _factor_permuted(A, radix_m, radix_n, tree, rank, orthonormalize, backend, compute_error, perm_rows,
                     perm_cols):
    if radix_m is None and radix_n is None:
        radix_m, radix_n = _default_radices(A.shape)
    search = None
    if (isinstance(perm_rows, str) and perm_rows == "auto") or (isinstance(perm_cols, str) and perm_cols == "auto"):
        for other in (perm_rows, perm_cols):
            if other is not None and not (isinstance(other, str) and other == "auto"):
                raise ValueError("'auto' finds the row and the column permutation together: give 'auto' on both "
                                 "sides, or on one with the other left None")
        rows, cols, search = identify_permutations(A, radix_m, radix_n)
    else:
        rows = _permutation(perm_rows, A.shape[0], radix_m, "perm_rows")
        cols = _permutation(perm_cols, A.shape[1], radix_n, "perm_cols")
    # A is factored through the permutations (no permuted copy of it); the
    # chain carries them, so it stands for A and its error is A's.
    chain = _factor(A, radix_m, radix_n, tree, rank, orthonormalize, backend, compute_error, rows, cols)
    chain.report["perm_rows"] = "auto" if search else ("none" if rows is None else perm_rows if isinstance(perm_rows, str) else "array")
    chain.report["perm_cols"] = "auto" if search else ("none" if cols is None else perm_cols if isinstance(perm_cols, str) else "array")
    if search is not None:
        chain.report["perm_search"] = search
    return chain


def _default_radices(shape):
    rows, cols = shape
    if rows != cols or rows < 2 or rows & (rows - 1):
        raise ValueError(f"a {rows} x {cols} matrix needs radix_m and radix_n (the default is radix 2 for square "
                         "power-of-two sizes)")
    L = rows.bit_length() - 1
    return [2] * L, [2] * L


def matrix(name: str, size: Union[int, Tuple[int, int]], dtype="f64", noise: float = 0.0, seed: int = 0,
           radix_m: Optional[Sequence[int]] = None, radix_n: Optional[Sequence[int]] = None) -> np.ndarray:
    """A built-in test matrix as a NumPy array (what ``dmf matrix`` writes).

    name : 'hadamard', 'dft', 'dft-bitrev', 'dct2', 'dst2', 'random-chain'
        or 'gaussian' (``dmf.matrix_names()``).
    size : int N (square) or (rows, cols).
    noise : relative Frobenius norm of added Gaussian noise.
    radix_m, radix_n : radices of 'random-chain' (default all 2).
    """
    rows, cols = (size, size) if np.isscalar(size) else tuple(size)
    check("matrix", matrix=name, noise=noise, seed=seed, radix_m=radix_m, radix_n=radix_n)
    dt = dtype_of(dtype)
    return _dmf.matrix_builtin(str(name), int(rows), int(cols), NAMES[dt], float(noise), int(seed),
                               None if radix_m is None else list(radix_m),
                               None if radix_n is None else list(radix_n))


def matrix_names() -> list:
    """Names of the built-in matrices."""
    return _dmf.matrix_names()
