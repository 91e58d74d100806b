"""Hierarchical butterfly factorization and the built-in matrices."""
import json
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from . import _dmf
from ._arrays import NAMES, as_matrix, dtype_of
from ._chain import Chain, ConvergenceError


def _tree_spec(tree):
    if isinstance(tree, str):
        return tree
    if isinstance(tree, (list, tuple)):
        return json.dumps(tree)
    raise TypeError("tree must be 'l2r', 'r2l', 'balanced', a nested list such as [[0, 1], [2, 3]], "
                    "or a path to a JSON file of one")


TreeSpec = Union[str, Sequence]


def butterfly_factor(A, radix_m: Optional[Sequence[int]] = None, radix_n: Optional[Sequence[int]] = None,
                     tree: TreeSpec = "balanced", rank: int = 1, orthonormalize: bool = False,
                     dtype=None, backend: str = "auto", compute_error: bool = True) -> Chain:
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
    A = as_matrix(A, dtype)
    handle, report, failure = _dmf.butterfly_factor(
        A, None if radix_m is None else list(radix_m), None if radix_n is None else list(radix_n),
        _tree_spec(tree), int(rank), bool(orthonormalize), str(backend), bool(compute_error))
    report["tree_nested"] = json.loads(report["tree_nested"])  # a nested list, as in the JSON line
    if not compute_error:
        report["rel_error"] = None
    chain = Chain(handle, report)
    if failure:
        raise ConvergenceError(failure, chain)
    return chain


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
    dt = dtype_of(dtype)
    return _dmf.matrix_builtin(str(name), int(rows), int(cols), NAMES[dt], float(noise), int(seed),
                               None if radix_m is None else list(radix_m),
                               None if radix_n is None else list(radix_n))


def matrix_names() -> list:
    """Names of the built-in matrices."""
    return _dmf.matrix_names()
