"""Lifting rank and scattering of deep structured linear networks."""
import json
import operator
import os
import warnings
from typing import Any, Dict, Mapping, Optional, Tuple, Union

import numpy as np

from . import _dmf
from ._options import check
from ._dmf import InputError
from ._fsmf import _backend

Network = Union[Mapping[str, Any], str, "os.PathLike[str]"]

# The verdict strings of `dmf liftrank` and `dmf scatter` (src/cli/cmd_lift.c).
_VERDICT_IDENTIFIABLE = "identifiable for almost every A (Thm 6.4)"
_VERDICT_NOT_IDENTIFIABLE = "not identifiable (Thm 6.5)"
_VERDICT_INCONCLUSIVE = "inconclusive (2S <= rk A < dim Sigma_2)"


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    raise TypeError(f"a network spec cannot hold a {type(value).__name__}")


def _network(network) -> Tuple[str, bool, Optional[str]]:
    """(JSON text or path, is_path, the path for the report)."""
    if isinstance(network, (str, os.PathLike)):
        path = os.fspath(network)
        if not isinstance(path, str):
            path = os.fsdecode(path)
        return path, True, path
    if isinstance(network, Mapping):
        try:
            text = json.dumps(dict(network), default=_jsonable, allow_nan=False)
        except ValueError as e:  # NaN or infinity in the spec
            raise InputError(f"network: {e}") from None
        return text, False, None
    raise TypeError("network must be a dict in the schema of dmf's network JSON files "
                    f"(see dmf.liftrank) or the path of one, not {type(network).__name__}")


def _seed(seed, name="seed"):
    if isinstance(seed, bool):
        raise TypeError(f"{name} must be an integer, not bool")
    try:
        seed = operator.index(seed)
    except TypeError:
        raise TypeError(f"{name} must be an integer, not {type(seed).__name__}") from None
    if not 0 <= seed < 2**64:
        raise InputError(f"{name} must be in [0, 2^64) (got {seed})")
    return seed


def _count(value, name, minimum=1):
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, not bool")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}") from None
    if value < minimum:
        raise InputError(f"{name} must be >= {minimum} (got {value})")
    return value


_SCATTER_KEYS = ("scattered", "num_offending", "offending", "verdict_thm_8_4", "notion_thm_8_4",
                 "conditions_thm_8_4", "verdict_scatter")


def _scatter_fields(out, raw):
    out.update((key, raw[key]) for key in _SCATTER_KEYS if key in raw)


def scatter(network: Network) -> Dict[str, Any]:
    """Algorithm 8.1: is a network sufficiently scattered?

    Applies the network with all parameters set to 1 to a Dirac at each leaf
    (convolutional networks, as the paper states it) or at each input
    position (any network whose coefficients are 0 or 1: masked, butterfly,
    0/1 triplets, where it counts the paths joining input and output
    positions), in exact integer arithmetic (``dmf scatter``).

    Parameters
    ----------
    network : dict or path
        a network in the schema of the JSON files ``dmf`` reads (a str or
        os.PathLike is the path of one), e.g. ``examples/haar4.json``::

            {"type": "conv", "N": 64, "root": "r", "edges": [
                {"from": "a", "to": "r", "support": {"dilated": 0}}, ...]}

        Networks other than ``"type": "conv"`` need coefficients 0 or 1.
        NumPy arrays in a dict (e.g. masks) are written as nested lists.

    Returns
    -------
    dict
        the fields of the command line's JSON line: ``dmf_version``,
        ``command`` ('scatter'), ``network`` (the path, None for a dict),
        ``scattered``, ``num_offending``, ``offending`` (the first 16 entries
        ``{'leaf', 'position', 'value'}``, or ``{'row', 'column', 'value'}``
        for a network that is not convolutional) and ``verdict_thm_8_4`` with
        ``notion_thm_8_4`` and ``conditions_thm_8_4`` (convolutional) or
        ``verdict_scatter`` (the others: Thm 8.4 is not claimed).

    Raises
    ------
    dmf.InputError (ValueError)
        malformed spec (the message names the node, edge or entry), a
        coefficient other than 0 or 1 outside convolutional networks.
    dmf.FileError (OSError)
        a path that cannot be read.
    dmf.NumericalError
        integer overflow.
    TypeError
        a network that is neither a dict nor a path.
    """
    spec, is_path, path = _network(network)
    raw = _dmf.scatter(spec, is_path)
    out = {"dmf_version": _dmf.__version__, "command": "scatter", "network": path}
    _scatter_fields(out, raw)
    return out


def liftrank(network: Network, seed: int = 0, initial_samples: int = 16, backend: str = "auto",
             sigma_min: bool = False) -> Dict[str, Any]:
    """Monte Carlo rank of the lifted operator of a deep structured network.

    For X = M_1(h_1) … M_K(h_K) with S parameters per layer, samples
    vec(A P(h)) for Gaussian h in float64 and reads the rank of the D × R
    sample matrix from its singular values, R doubled from
    ``initial_samples`` until the rank stops below R (Malgouyres &
    Landsberg, Prop. 5.3); as ``dmf liftrank``.

    Parameters
    ----------
    network : dict or path
        a network spec, as for :func:`dmf.scatter`; ``"type"`` is ``"conv"``,
        ``"triplets"``, ``"butterfly"`` or ``"masked"`` (see include/dmf.h,
        dmf_network_read).
    seed : int in [0, 2^64)
        seed of the Gaussian samples (the CLI's ``--seed``).
    initial_samples : int >= 1
        R0 (the CLI's ``--samples``).
    backend : 'auto', 'cpu' or 'cuda'
    sigma_min : bool
        also form A on the S^K tensor basis (at most 5e7 entries) and report
        its smallest nonzero singular value (``--sigma-min``).

    Returns
    -------
    dict
        the fields of the command line's JSON line, same names and verdict
        strings: ``dmf_version``, ``command``, ``network`` (the path, None for
        a dict), ``K``, ``S``, ``backend``, ``rank``, ``rank_eps``,
        ``rank_gap``, ``rank_sqrt_eps``, ``rules_agree``, ``gap`` (inf where
        the CLI prints null: rank = R), ``samples``, ``sample_length``,
        ``upper_bound``, ``sigma_max``, ``params_rescaled`` (the samples drew
        each parameter at a scale of its own, below), ``coef_spread_log2``,
        ``threshold_thm_6_4``,
        ``identifiable_thm_6_4``, ``threshold_thm_6_5``,
        ``not_identifiable_thm_6_5``, ``verdict``; for convolutional networks
        the fields of :func:`dmf.scatter`; with ``sigma_min`` the keys
        ``sigma_min`` and ``sigma_min_rank``; ``time_s``.  Also
        ``reached_bound`` (bool) and ``spectrum`` (ndarray float64 of the R
        singular values, descending; what ``--spectrum`` writes).

    Warns
    -----
    UserWarning
        when the three rank rules disagree, when the coefficients of one
        parameter span more than 2^26 (the rank may then be too low), and
        when ``sigma_min`` was asked
        for but A is too large (the key is then absent), as the CLI says on
        stderr.

    Raises
    ------
    dmf.InputError (ValueError)
        a malformed spec, seed or initial_samples out of range, a bad backend.
    dmf.FileError (OSError)
        a path (or a mask file it names) that cannot be read.
    dmf.DeviceError
        backend='cuda' without a usable GPU.
    TypeError
        arguments of the wrong type.
    """
    check("liftrank", {"samples": "initial_samples"}, seed=seed, samples=initial_samples, backend=backend)
    spec, is_path, path = _network(network)
    seed = _seed(seed)
    initial_samples = _count(initial_samples, "initial_samples")
    if not isinstance(sigma_min, (bool, np.bool_)):
        raise TypeError(f"sigma_min must be a bool, not {type(sigma_min).__name__}")
    raw = _dmf.liftrank(spec, is_path, seed, initial_samples, _backend(backend), bool(sigma_min))
    K, S, rank = raw["K"], raw["S"], raw["rank"]
    if not raw["rules_agree"]:
        warnings.warn(f"the rank rules disagree (eps {raw['rank_eps']}, gap {raw['rank_gap']}, "
                      f"sqrt-eps {raw['rank_sqrt_eps']}): look at the spectrum", stacklevel=2)
    if raw["coef_spread_log2"] > 26:
        warnings.warn(f"the coefficients of one parameter span 2^{raw['coef_spread_log2']}: what the small "
                      "ones add is lost in double, so the rank may be too low", stacklevel=2)
    out = {"dmf_version": _dmf.__version__, "command": "liftrank", "network": path, "K": K, "S": S}
    for key in ("backend", "rank", "rank_eps", "rank_gap", "rank_sqrt_eps", "rules_agree", "gap", "samples",
                "sample_length", "upper_bound", "upper_bound_rule", "reached_bound", "sigma_max",
                "params_rescaled", "coef_spread_log2",
                "threshold_thm_6_4", "threshold_thm_6_4_rule", "identifiable_thm_6_4", "threshold_thm_6_5",
                "not_identifiable_thm_6_5", "verdict", "identifiability_notion", "verdicts"):
        out[key] = raw[key]
    if "scattered" in raw:
        _scatter_fields(out, raw)
    if "sigma_min" in raw:
        out["sigma_min"] = raw["sigma_min"]
        out["sigma_min_rank"] = raw["sigma_min_rank"]
    elif "sigma_min_error" in raw:
        warnings.warn(f"no sigma_min: {raw['sigma_min_error']}", stacklevel=2)
    out["spectrum"] = raw["spectrum"]
    out["time_s"] = raw["time_s"]
    return out


def _params(value, name):
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, not {type(value).__name__}")
    if np.iscomplexobj(value):
        raise InputError(f"{name} must be real: networks have real parameters")
    return np.ascontiguousarray(value, dtype=np.float64)


def synth_network(network: Network, noise: float = 0.0, seed: int = 0, kernels: bool = False) -> Dict[str, Any]:
    """A random problem X = M_1(h_1) ... M_K(h_K) + e (``dmf synth-network``).

    h has i.i.d. N(0, 1) entries (row k of the (K, S) array ``h`` holds the
    parameters of layer k + 1, zero beyond its S_k); e is Gaussian, scaled
    to ||e||_F = noise ||M(h)||_F.

    With ``kernels=True`` (``--kernels``; convolutional networks), X =
    [circ(y_1) | ... | circ(y_L)] comes as its leaves' kernels, an (L, N)
    array (row f the column of shift 0 of leaf f, leaves in order of first
    appearance in the spec), N times smaller than X, which is never formed;
    e is then Gaussian on the kernels.  The same seed gives the same h.

    Returns
    -------
    dict
        ``x`` (the matrix X) or, with ``kernels``, ``kernels`` (the (L, N)
        array) and ``kernels_shape``; ``h``, ``noise``, ``noise_norm``
        (||e||_F), ``x_norm`` (||X||_F), ``rows`` and ``cols`` (of X),
        ``K``, ``S``, ``seed``; as the command line's JSON line.
    """
    check("synth-network", noise=noise, seed=seed)
    spec, is_path, path = _network(network)
    seed = _seed(seed)
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.floating, np.integer)):
        raise TypeError(f"noise must be a number, not {type(noise).__name__}")
    if not (noise >= 0 and np.isfinite(noise)):
        raise InputError(f"noise must be finite and >= 0 (got {noise})")
    if not isinstance(kernels, (bool, np.bool_)):
        raise TypeError(f"kernels must be a bool, not {type(kernels).__name__}")
    x, h, noise_norm = _dmf.synth_network(spec, is_path, seed, float(noise), bool(kernels))
    out = {"dmf_version": _dmf.__version__, "command": "synth-network", "network": path,
           "K": h.shape[0], "S": h.shape[1]}
    if kernels:
        n = x.shape[1]
        out.update(rows=n, cols=n * x.shape[0])
    else:
        out.update(rows=x.shape[0], cols=x.shape[1])
    out.update(seed=seed, noise=float(noise), noise_norm=noise_norm)
    if kernels:
        out.update(x_norm=float(np.sqrt(x.shape[1]) * np.linalg.norm(x)), kernels_shape=list(x.shape), kernels=x)
    else:
        out.update(x_norm=float(np.linalg.norm(x)), x=x)
    out["h"] = h
    return out


_SOLVERS = {"auto": 0, "layers": 1, "edges": 2}


def recover(network: Network, x=None, truth=None, restarts: Optional[int] = None, seed: int = 0,
            max_iterations: int = 500, tol: float = 1e-15, p: float = 2.0, method: str = "als",
            kernels=None, solver: str = "auto", backend: str = "cpu") -> Dict[str, Any]:
    """Estimate h from X ~ M_1(h_1) ... M_K(h_K) (``dmf recover``).

    Alternating least squares on the parameters (each h_k enters X
    linearly) from ``restarts`` starts (default 10); the smallest residual
    wins.  ``method='lifting'``: the first start from the lifting X =
    A (h_1 ⊗ … ⊗ h_K) — least squares on the explicit lifted operator,
    projected on the rank-one tensors, projected gradient steps on them —
    and by default no other where A is injective (else 10 in all); the
    report adds ``lifting``.  Every network type dmf reads
    (docs/liftrank.md).

    Give X as ``x`` (the matrix) or, for a convolutional network, as
    ``kernels``: its leaves' kernels, the (L, N) array ``synth_network(...,
    kernels=True)`` returns (``--kernels``), for networks whose X is too
    large to form.  ``solver`` (``--solver``): 'layers' solves each layer at
    once, 'edges' (convolutional trees) each edge's kernel on its own from
    the paths through it, 'auto' the latter where it applies; the report
    says which ran (``solver``).  ``backend`` ('cpu', 'cuda', 'auto';
    ``--backend``): where ``method='lifting'`` forms its explicit operator,
    by the lifting-sample kernels of ``liftrank``; the report's ``backend``
    names the one used.

    Returns
    -------
    dict
        the fields of the command line's JSON line but the paths of files
        (``dmf_version``, ``command``, ``network``, ``K``, ``S``, ``seed``,
        ``method``, ``solver``, ``starts``: per start ``residual``,
        ``iterations`` and with ``truth`` its ``d_p`` and ``delta_p``, ...)
        and the arrays:
        ``h`` (the estimate, (K, S)), ``residual`` (||X - M(h)||_F),
        ``rel_residual``, ``best_start``, ``iterations``,
        ``total_iterations``, ``restarts``, ``start_h`` ((R, K, S)),
        ``start_residual``, ``start_iterations``, ``optimal_starts`` and
        ``classes_found`` (distinct classes among the starts at the best
        residual; more than one: X does not identify h), ``class_metric``,
        ``time_s``; with ``truth``: ``d_p`` (per-layer classes, Definition
        4.1), ``delta_p`` (per-path classes, convolutional networks),
        ``data_error`` (||X - M(truth)||_F), ``bounds`` (Thm 8.4 / Thm
        7.2 / Thm 4.3 with their conditions, as the command line's JSON;
        Thm 4.3's ``tensor_distance`` is ||P(truth) - P(h)||_inf; Thm 7.2's
        ``gamma_estimated`` is true where its gamma is an estimate, so its
        bound is not guaranteed) and ``deep_nsp`` (the deep-NSP constant of
        Ker A: ``computed``, ``holds``, ``gamma`` — 1 exactly when Ker A =
        {0}, ``'inf'`` when the property fails, else a lower bound on the
        smallest valid gamma from ``starts`` local searches — ``estimated``,
        ``method``, ``why_not``, ``columns``, ``rank``, ``kernel_dim``,
        ``distance``, ``tolerance``, ``converged``, ``at_best``,
        ``gamma_median``, ``gamma_worst``, ``time_s``; docs/liftrank.md).
    """
    check("recover", restarts=restarts, seed=seed, max_iterations=max_iterations, tol=tol, p=p, method=method,
          solver=solver, backend=backend)
    if method not in ("als", "lifting"):
        raise TypeError(f"method must be 'als' or 'lifting', not {method!r}")
    if solver not in _SOLVERS:
        raise TypeError(f"solver must be 'auto', 'layers' or 'edges', not {solver!r}")
    if (x is None) == (kernels is None):
        raise InputError("give x (X) or kernels (its leaf kernels), not both" if x is not None
                         else "give x (X) or kernels (its leaf kernels)")
    spec, is_path, path = _network(network)
    given_kernels = kernels is not None
    x = _params(kernels, "kernels") if given_kernels else _params(x, "x")
    if truth is not None:
        truth = _params(truth, "truth")
    restarts = 0 if restarts is None else _count(restarts, "restarts")  # 0: the method's default
    max_iterations = _count(max_iterations, "max_iterations")
    seed = _seed(seed)
    if not (tol > 0 and np.isfinite(tol)):
        raise InputError(f"tol must be > 0 (got {tol})")
    if not p >= 1:
        raise InputError(f"p must be >= 1 or inf (got {p})")
    raw = _dmf.recover(spec, is_path, x, truth, restarts, seed, max_iterations, float(tol), float(p),
                       1 if method == "lifting" else 0, _SOLVERS[solver], given_kernels, backend)
    # The classes among the optimal starts, as src/cli/cmd_recover.c counts them.
    norm_x = float(np.linalg.norm(x)) * (float(np.sqrt(x.shape[1])) if given_kernels else 1.0)
    best, h = raw["residual"], raw["h"]
    size = float(np.exp(np.mean(np.log(np.abs(h).max(axis=1))))) * np.sqrt(h.size)
    reps, optimal = [], 0
    conv = None
    for s in range(raw["restarts"]):
        if raw["start_residual"][s] > best * (1 + 1e-6) + 1e-9 * norm_x:
            continue
        optimal += 1
        known = False
        for r in reps:
            try:
                d, delta = _dmf.param_distance(spec, is_path, raw["start_h"][s], raw["start_h"][r], 2.0)
            except InputError:
                known = True  # a zero layer: no class to tell apart
                break
            conv = delta is not None
            if not (delta if conv else d) > 1e-6 * size:
                known = True
                break
        if not known and len(reps) < 64:
            reps.append(s)
    out = {"dmf_version": _dmf.__version__, "command": "recover", "network": path, "K": h.shape[0], "S": h.shape[1],
           "seed": seed}
    out.update(raw)
    out["method"] = method
    out["optimal_starts"] = optimal
    out["classes_found"] = len(reps)
    if conv is None:
        conv = _dmf.param_distance(spec, is_path, h, h, 2.0)[1] is not None
    out["class_metric"] = "delta_2 (per-path scaling)" if conv else "d_2 (per-layer scaling)"
    if truth is not None:
        out["p"] = "inf" if np.isinf(p) else float(p)  # as the command line writes it
    starts = []
    for s in range(raw["restarts"]):
        start = {"residual": float(raw["start_residual"][s]), "iterations": raw["start_iterations"][s]}
        if truth is not None:
            try:
                d, delta = _dmf.param_distance(spec, is_path, raw["start_h"][s], truth, float(p))
                start["d_p"] = d
                if delta is not None:
                    start["delta_p"] = delta
            except InputError:  # a zero layer: no distance, as the command line leaves it out
                pass
        starts.append(start)
    out["starts"] = starts
    return out
