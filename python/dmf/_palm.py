"""PALM4MSA and hierarchical PALM (pyfaust.fact.palm4msa / hierarchical)."""
import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _dmf
from ._dmf import InputError
from ._fsmf import _backend, _matrix


def _plain(value, where):
    """JSON-ready copy of the parameters: NumPy arrays (supp, const values)
    become nested lists of reals."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "c":
            raise InputError(f"{where}: complex matrices cannot be given inline; pass a .npy file name")
        return value.astype(np.float64).tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _finish(factors, report):
    """Multiplies lambda into factor 0 (as the command line's files and a
    pyfaust Faust) and adds the nonzero counts."""
    factors[0] = factors[0] * report["lambda"]
    report["nnz"] = [int(np.count_nonzero(f)) for f in factors]
    return factors, report


def palm4msa(A, params: Mapping[str, Any], init_facts: Optional[Sequence[Any]] = None,
             backend: str = "cpu") -> Tuple[List[np.ndarray], Dict[str, Any]]:
    """A ≈ λ S_0 S_1 ⋯ S_{J−1} with each S_j in a constraint set (``dmf palm``).

    Parameters
    ----------
    A : array_like, shape (M, N)
        float32, float64, complex64 or complex128.
    params : dict
        pyfaust's ParamsPalm4MSA as a dict (the JSON of ``dmf palm --params``,
        docs/palm.md): ``{"constraints": [{"name": "splincol", "nrows": 32,
        "ncols": 32, "value": 2}, ...], "stop_crit": {"num_its": 200},
        "init_lambda": 1, "is_update_way_R2L": False, ...}``.  ``value`` of
        ``supp`` and ``const`` may be a real NumPy array or a file name.
    init_facts : list of arrays or None, optional
        the start of each factor (None entries: the default start).
    backend : 'cpu' (default), 'cuda' or 'auto'
        where PALM's products, projections and reductions run (``dmf palm
        --backend``, docs/palm.md); ``report["backend"]`` names it.

    Returns
    -------
    factors : list of ndarray
        J dense factors in A's dtype, λ multiplied into factor 0, so that
        ``np.linalg.multi_dot(factors)`` approximates A.
    report : dict
        ``rel_error``, ``lambda``, ``iterations``, ``stopped_by``, ``nnz``,
        ``time_s`` and the sizes, as the command line's JSON line.

    Raises
    ------
    dmf.InputError
        malformed parameters, unknown constraint names or members, shapes
        that do not chain from A's rows to its columns.
    dmf.NumericalError
        non-finite input, or PALM diverging.
    """
    A = _matrix(A, "A")
    text = json.dumps(_plain(dict(params), "params"))
    init = None
    if init_facts is not None:
        init = [None if f is None else _matrix(f, f"init_facts[{i}]") for i, f in enumerate(init_facts)]
    return _finish(*_dmf.palm(A, text, False, init, _backend(backend)))


def hierarchical(A, params: Union[Mapping[str, Any], str],
                 backend: str = "cpu") -> Tuple[List[np.ndarray], Dict[str, Any]]:
    """Hierarchical PALM (``dmf hierarchical``, pyfaust.fact.hierarchical).

    Step i splits the residual factor in two by PALM under
    ``fact_constraints[i]`` and ``res_constraints[i]`` (``stop_crit1``), then
    refines all factors against A (``stop_crit2``).

    Parameters
    ----------
    A : array_like, shape (M, N)
    params : dict or 'hadamard'
        pyfaust's ParamsHierarchical as a dict (``fact_constraints``,
        ``res_constraints``, ``stop_crit1``, ``stop_crit2``,
        ``is_fact_side_left``, ``is_update_way_R2L``, ``init_lambda``), or
        ``'hadamard'`` for pyfaust's ``hierarchical(H, 'hadamard')``.
    backend : 'cpu' (default), 'cuda' or 'auto'
        as :func:`palm4msa`.

    Returns
    -------
    factors, report : as :func:`palm4msa`.
    """
    A = _matrix(A, "A")
    if isinstance(params, str):
        if params != "hadamard":
            raise InputError(f"unknown preset '{params}' (dmf knows 'hadamard')")
        text = "hadamard"
    else:
        text = json.dumps(_plain(dict(params), "params"))
    return _finish(*_dmf.palm(A, text, True, None, _backend(backend)))
