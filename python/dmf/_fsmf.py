"""Two-factor fixed-support matrix factorization (FSMF)."""
from typing import Any, Dict, Tuple

import numpy as np

from . import _dmf
from ._options import check
from ._arrays import as_matrix
from ._dmf import InputError


def _matrix(a, name, dtype=None):
    if a is None:
        raise TypeError(f"{name} must be a 2-D array, not None")
    if not hasattr(a, "toarray") and not (hasattr(a, "detach") and hasattr(a, "cpu")):
        ndim = np.ndim(a)
        if ndim != 2:
            raise InputError(f"{name} must be a 2-D array (got {ndim} dimensions)")
    return as_matrix(a, dtype, name)


def _backend(backend):
    if not isinstance(backend, str):
        raise TypeError(f"backend must be 'auto', 'cpu' or 'cuda', not {type(backend).__name__}")
    return backend


def fsmf(A, support_x, support_y, backend: str = "auto", radix_m=None,
         radix_n=None) -> Tuple[np.ndarray, np.ndarray, Dict[str, Any]]:
    """Factors A ≈ X Y with the supports of X and Y fixed (``dmf fsmf``).

    Inner indices k are grouped by their rank-one support
    ``supp(X[:, k]) × supp(Y[k, :])``.  When the groups are pairwise disjoint
    or identical, the truncated SVD of A restricted to each group is the
    optimal solution (``report['optimal']`` is True); otherwise the greedy
    masked rank-one algorithm runs on the residual and
    ``report['overlapping_k']`` names two overlapping inner indices.
    ``report['identifiable']`` (True, False or 'unknown') says whether every
    exact factorization on the supports has the same rank-one pieces
    ``X[:, k] Y[k, :]`` (the rank-one completion of Zheng, Riccietti and
    Gribonval; docs/fsmf.md); on identifiable overlapping supports the
    completion of A is returned when its error is below the greedy one.

    Parameters
    ----------
    A : array_like, shape (M, N)
        float32, float64, complex64 or complex128; read in place when
        C-contiguous, other layouts and dtypes copied once (integers and
        booleans become float64).  SciPy sparse matrices are densified.
    support_x : array_like, shape (M, K)
        0/1 pattern of X (nonzero = allowed), any numeric or boolean dtype.
    support_y : array_like, shape (K, N)
        0/1 pattern of Y.  ``support_x="auto", support_y="auto"``: both
        found from A for a two-factor class, a two-factor chain with the
        rows of X and the columns of Y in an unknown order (docs/fsmf.md):
        ``radix_m=(m0, m1), radix_n=(n0, n1)`` (X has n0 nonzeros per row and
        m0 per column, Y n1 and m1), by default both classes whose factors
        have 2 and half the size nonzeros per row and column (the DFT's, the
        DCT-II's and DST-II's).  The report adds ``supports`` ('auto'),
        ``support_radix_m``, ``support_radix_n``, ``support_classes_tried``,
        ``support_score``, ``support_time_s`` and ``support_verdict``
        ('exact', 'approximate' or 'not_of_the_class'), and the patterns
        found as ``support_x``, ``support_y`` (arrays).
    radix_m, radix_n : two ints each, optional
        the class, with automatic supports only.
    backend : 'auto', 'cpu' or 'cuda'
        The class SVDs are few and irregular and run on the host whatever the
        backend (``report['backend']`` is 'cpu', as in the command line's line).

    Returns
    -------
    X : ndarray, shape (M, K), A's dtype
    Y : ndarray, shape (K, N), A's dtype
        zero outside the supports.
    report : dict
        the fields of the command line's JSON line: ``dmf_version``,
        ``command``, ``size_m_k_n``, ``dtype``, ``backend``, ``num_classes``,
        ``largest_class``, ``disjoint_or_identical``, ``optimal``,
        ``overlapping_k`` (only when not disjoint), ``solver``,
        ``identifiable``, ``identifiability`` (the reason), ``incomplete_k``
        and ``ambiguous_k`` (the pieces concerned, when any),
        ``ambiguity_dims`` (when nonzero), ``rel_error`` (‖A − XY‖_F / ‖A‖_F),
        ``time_s``.

    Raises
    ------
    dmf.InputError (ValueError)
        arrays that are not 2-D, supports whose sizes disagree with A or with
        each other, a bad backend name.
    dmf.NumericalError
        non-finite entries in A or the supports.
    TypeError
        a dtype dmf cannot compute in (e.g. strings), a backend that is not a str.
    """
    check("fsmf", backend=backend, radix_m=radix_m, radix_n=radix_n)
    auto_x, auto_y = (isinstance(s, str) and s == "auto" for s in (support_x, support_y))
    if auto_x != auto_y:
        raise InputError("support_x='auto' and support_y='auto' go together (the supports are found as a pair)")
    if not auto_x and (radix_m is not None or radix_n is not None):
        raise InputError("radix_m and radix_n give the class of automatic supports: use them with 'auto'")
    A = _matrix(A, "A")
    if not auto_x:
        return _dmf.fsmf(A, _matrix(support_x, "support_x"), _matrix(support_y, "support_y"), _backend(backend))
    sx, sy, found = _dmf.find_supports(A, None if radix_m is None else list(radix_m),
                                       None if radix_n is None else list(radix_n), _backend(backend))
    X, Y, report = _dmf.fsmf(A, sx, sy, _backend(backend))
    # As the command line's support_verdict: exact to rounding, the class's
    # structure found under noise, or no such structure.
    exact = 1e-4 if A.dtype in (np.float32, np.complex64) else 1e-10
    verdict = ("exact" if report["rel_error"] <= exact else
               "approximate" if found["support_score"] >= 0.5 else "not_of_the_class")
    report.update(supports="auto", **found, support_verdict=verdict, support_x=sx, support_y=sy)
    return X, Y, report
