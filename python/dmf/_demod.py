"""ReLU generators and blind demodulation (Hand & Joshi), as ``dmf demod``.

The problems and starts are drawn exactly as the command line draws them
(the same seeds give the same h0, m0, y0 and starts), so results equal
``dmf demod synth|solve|sweep``'s for the same inputs.
"""
import operator
import os
import sys
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _dmf
from ._options import check
from ._arrays import dtype_of
from ._dmf import InputError, NumericalError
from ._fsmf import _backend
from ._lift import _count, _seed

__all__ = ["Generator", "synth", "solve", "sweep", "gaussian_field", "gaussian_fields"]

_MASK64 = (1 << 64) - 1
# Streams of src/cli/demod_common.h: equal --seed and --start-seed never give
# starts equal to the truth.
_STREAM_TRUTH, _STREAM_STARTS, _STREAM_G1, _STREAM_G2 = 1, 2, 3, 4
_RULES = ("fixed", "scaled", "backtracking")


def _mix64(x: int) -> int:
    """splitmix64's finalizer (demod_mix64 of the command line)."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def _stream_seed(seed: int, stream: int) -> int:
    return _mix64(seed ^ _mix64(stream))


def _cell_seed(seed: int, latent: int, hidden: int, output: int, stream: int) -> int:
    s = _mix64(seed)
    for v in (latent, hidden, output, stream):
        s = _mix64(s ^ v)
    return s


def _latents(seed: int, T: int, n1: int, n2: int) -> Tuple[np.ndarray, np.ndarray]:
    h, m = _dmf.draw_latents(seed, T * n1, T * n2)
    return h.reshape(T, n1), m.reshape(T, n2)


def _gen_dtype(dtype) -> str:
    if isinstance(dtype, str) and dtype in ("f32", "f64"):
        return dtype
    try:
        dt = dtype_of(dtype)
    except TypeError:
        raise TypeError(f"dtype must be 'f32' or 'f64' (or float32/float64), not {dtype!r}") from None
    if dt == np.float32:
        return "f32"
    if dt == np.float64:
        return "f64"
    raise InputError(f"generators run in f32 or f64, not {dt}")


def _rows(x, width: int, name: str) -> Tuple[np.ndarray, bool]:
    """A C-contiguous float64 (T, width) array, and whether x was one vector."""
    if x is None:
        raise TypeError(f"{name} must be an array, not None")
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real array, not {a.dtype}")
    vector = a.ndim == 1
    if vector:
        a = a.reshape(1, -1)
    if a.ndim != 2 or a.shape[1] != width:
        raise InputError(f"{name} has shape {np.shape(x)}, but the generators need rows of {width} values "
                         f"(T x {width}, or one 1-D vector of {width})")
    return np.ascontiguousarray(a, dtype=np.float64), vector


class Generator:
    """A ReLU network G(h) = relu(W_d … relu(W_1 h)) without biases.

    ``Generator(sizes, seed=0)`` draws the paper's random weights (inner
    layers with rows N(0, I/n_i), the last with rows w·1{‖w‖ ≤ 3√(n_{d-1}/l)},
    w ~ N(0, I/l)); sizes = (n_0 latent, …, n_d = l output).  ``networks``
    > 1 draws that many independent networks of the same sizes one after the
    other from the seed (network 0 is the single network's); a batch row r
    then runs through network r mod networks.

    Weights and passes are in ``dtype`` ('f32' or 'f64'); inputs and outputs
    are float64.  Generators are immutable (thread-safe to share):
    :meth:`astype` and :meth:`with_networks` give new ones.

    See also :meth:`from_weights`, :meth:`read`.
    """

    __slots__ = ("_handle", "_source", "_info", "__weakref__")

    def __init__(self, sizes: Sequence[int], seed: int = 0, networks: int = 1, dtype="f64"):
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
            raise TypeError("sizes must be a sequence of integers (n_0 latent, ..., n_d output)")
        sizes = tuple(_count(s, "sizes[%d]" % i, minimum=0) for i, s in enumerate(sizes))
        seed = _seed(seed)
        networks = _count(networks, "networks")
        dt = _gen_dtype(dtype)
        self._init(_dmf.generator_random(list(sizes), networks, seed, dt), ("random", sizes, seed))

    def _init(self, handle, source):
        self._handle = handle
        self._source = source
        self._info = _dmf.generator_info(handle)

    @classmethod
    def _new(cls, handle, source) -> "Generator":
        g = cls.__new__(cls)
        g._init(handle, source)
        return g

    @classmethod
    def from_weights(cls, weights: Sequence[Any], dtype="f64") -> "Generator":
        """From weight matrices W_1 … W_d (W_i: n_i × n_{i-1}, real, any dtype).

        Arrays are read in place when C-contiguous float32/float64 and copied
        otherwise (the generator keeps its own copy in ``dtype``).
        """
        if isinstance(weights, np.ndarray) or isinstance(weights, (str, bytes)) or not hasattr(weights, "__len__"):
            raise TypeError("weights must be a sequence of 2-D arrays W_1, ..., W_d")
        arrays = []
        for i, w in enumerate(weights):
            a = np.asarray(w)
            if a.dtype.kind not in "biuf":
                raise TypeError(f"weights[{i}] must be a real array, not {a.dtype}")
            if a.ndim != 2:
                raise InputError(f"weights[{i}] must be 2-D (got {a.ndim} dimensions)")
            if a.dtype not in (np.float32, np.float64):
                a = a.astype(np.float64)
            arrays.append(np.ascontiguousarray(a))
        handle = _dmf.generator_from_weights(arrays, _gen_dtype(dtype))
        return cls._new(handle, ("weights", tuple(arrays)))

    @classmethod
    def read(cls, path: Union[str, "os.PathLike[str]"], networks: int = 1, dtype="f64") -> "Generator":
        """From a JSON spec file, as the command line's ``--g1``/``--g2``:
        ``{"sizes": [10, 250, 1000], "seed": 1}`` or ``{"weights": ["W1.npy", ...]}``
        (paths relative to the spec).  ``networks`` > 1 needs a sizes spec."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, not {type(path).__name__}")
        path = os.fspath(path)
        networks = _count(networks, "networks")
        handle = _dmf.generator_read(path, networks, _gen_dtype(dtype))
        return cls._new(handle, ("file", path))

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], networks: int = 1, dtype="f64") -> "Generator":
        """From a dict in the schema of the JSON specs: ``{"sizes": [...], "seed": S}``
        or ``{"weights": [W_1, ...]}`` (arrays, or .npy paths)."""
        if not isinstance(spec, Mapping):
            raise TypeError(f"spec must be a dict, not {type(spec).__name__}")
        unknown = set(spec) - {"sizes", "seed", "weights"}
        if unknown:
            raise InputError(f"generator spec: unknown key(s) {sorted(unknown)}")
        if ("sizes" in spec) == ("weights" in spec):
            raise InputError('generator spec: give either "sizes" (random weights) or "weights"')
        if "sizes" in spec:
            return cls(spec["sizes"], spec.get("seed", 0), networks, dtype)
        if "seed" in spec:
            raise InputError('generator spec: "seed" goes with "sizes", not "weights"')
        if _count(networks, "networks") != 1:
            raise InputError("a generator given by its weights has one network; one network per trial is "
                             'drawn from a "sizes" and "seed" spec')
        weights = [np.load(w) if isinstance(w, (str, os.PathLike)) else w for w in spec["weights"]]
        return cls.from_weights(weights, dtype)

    # ---- properties -------------------------------------------------------------
    @property
    def input_size(self) -> int:
        """n_0, the latent size."""
        return self._info["input"]

    @property
    def output_size(self) -> int:
        """l = n_d, the output size."""
        return self._info["output"]

    @property
    def depth(self) -> int:
        """d, the number of layers."""
        return self._info["depth"]

    @property
    def networks(self) -> int:
        """Independent networks held (a batch row r runs through r mod networks)."""
        return self._info["networks"]

    @property
    def dtype(self) -> np.dtype:
        """float32 or float64: the precision of the weights and passes."""
        return np.dtype(np.float32 if self._info["dtype"] == "f32" else np.float64)

    @property
    def is_random(self) -> bool:
        """True when the weights were drawn from a seed."""
        return self._info["random"]

    @property
    def spec(self) -> Optional[Dict[str, Any]]:
        """``{"sizes": [...], "seed": S}`` for a generator drawn from a seed, else None."""
        if self._source[0] == "random":
            return {"sizes": list(self._source[1]), "seed": self._source[2]}
        return None

    @property
    def path(self) -> Optional[str]:
        """The spec file it was read from, else None."""
        return self._source[1] if self._source[0] == "file" else None

    def __repr__(self):
        src = self._source
        what = (f"sizes={list(src[1])}, seed={src[2]}" if src[0] == "random" else
                f"path={src[1]!r}" if src[0] == "file" else f"weights of {self.depth} layers")
        return (f"dmf.demod.Generator({what}, networks={self.networks}, dtype='{self._info['dtype']}', "
                f"{self.input_size} -> {self.output_size})")

    # ---- variants -----------------------------------------------------------------
    def _rebuild(self, networks: int, dtype: str) -> "Generator":
        kind = self._source[0]
        if kind == "random":
            return Generator(self._source[1], self._source[2], networks, dtype)
        if kind == "file":
            return Generator.read(self._source[1], networks, dtype)
        if networks != 1:
            raise InputError("a generator given by its weights has one network; one network per trial is "
                             'drawn from a "sizes" and "seed" spec')
        return Generator.from_weights(self._source[1], dtype)

    def astype(self, dtype) -> "Generator":
        """The same generator in 'f32' or 'f64' (self when it already is)."""
        dt = _gen_dtype(dtype)
        return self if dt == self._info["dtype"] else self._rebuild(self.networks, dt)

    def with_networks(self, networks: int) -> "Generator":
        """``networks`` independent networks drawn from the same seed (network 0
        is this one's); InputError for generators given by their weights."""
        networks = _count(networks, "networks")
        return self if networks == self.networks else self._rebuild(networks, self._info["dtype"])

    # ---- passes -------------------------------------------------------------------
    def forward(self, h, backend: str = "auto") -> np.ndarray:
        """G(h): h of shape (n_0,) or (batch, n_0) → (l,) or (batch, l), float64."""
        x, vector = _rows(h, self.input_size, "h")
        out = _dmf.generator_forward(self._handle, x, _backend(backend))
        return out[0] if vector else out

    __call__ = forward

    def vjp(self, h, v, backend: str = "auto") -> np.ndarray:
        """J(h)^T v, the gradient of ⟨G(h), v⟩: h (n_0,) or (batch, n_0) and v
        (l,) or (batch, l) → (n_0,) or (batch, n_0), float64."""
        x, vector = _rows(h, self.input_size, "h")
        w, _ = _rows(v, self.output_size, "v")
        if w.shape[0] != x.shape[0]:
            raise InputError(f"h has {x.shape[0]} row(s) but v has {w.shape[0]}")
        out = _dmf.generator_vjp(self._handle, x, w, _backend(backend))
        return out[0] if vector else out


GeneratorLike = Union[Generator, Mapping[str, Any], str, "os.PathLike[str]"]


def _generator(g, networks: int, dtype: str, name: str) -> Tuple[Generator, Optional[str]]:
    """(the generator with `networks` networks in `dtype`, its path or None)."""
    if isinstance(g, Generator):
        return g.with_networks(networks).astype(dtype), g.path
    if isinstance(g, Mapping):
        return Generator.from_spec(g, networks, dtype), None
    if isinstance(g, (str, os.PathLike)):
        gen = Generator.read(g, networks, dtype)
        return gen, gen.path
    raise TypeError(f"{name} must be a dmf.demod.Generator, a spec dict or the path of a JSON spec, "
                    f"not {type(g).__name__}")


def _pair(g1, g2, networks, dtype):
    G1, p1 = _generator(g1, networks, dtype, "g1")
    G2, p2 = _generator(g2, networks, dtype, "g2")
    if G1.output_size != G2.output_size:
        raise InputError(f"the generators' outputs differ: g1 gives {G1.output_size} values, "
                         f"g2 gives {G2.output_size}")
    return G1, G2, p1, p2


def _observe(G1, G2, h0, m0, backend):
    return G1.forward(h0, backend) * G2.forward(m0, backend)


def _run_fields(dtype, independent):
    return {"dtype": dtype, "networks": "per_trial" if independent else "shared"}


def synth(g1: GeneratorLike, g2: GeneratorLike, seed: int = 0, trials: int = 1,
          independent_networks: bool = False, dtype="f64",
          backend: str = "auto") -> Tuple[np.ndarray, np.ndarray, np.ndarray, Dict[str, Any]]:
    """Random demodulation problems y0 = G1(h0) ⊙ G2(m0), as ``dmf demod synth``.

    Draws h0 ~ N(0, I_n1), m0 ~ N(0, I_n2) for ``trials`` problems from
    ``seed``, the same values the command line writes for the same seed.

    Parameters
    ----------
    g1, g2 : Generator, dict spec (``{"sizes": [...], "seed": S}`` or
        ``{"weights": [...]}``) or path of a JSON spec; outputs of equal size l.
    seed : int in [0, 2^64)
    trials : int >= 1 (T)
    independent_networks : bool
        one pair of networks per trial (trial t uses network t drawn from the
        specs' seeds); refused for generators given by their weights.  Solve
        with the same flag.
    dtype : 'f32' or 'f64'
        precision of the network passes (arrays stay float64).
    backend : 'auto', 'cpu' or 'cuda'

    Returns
    -------
    y0 : ndarray float64 (T, l)
    h0 : ndarray float64 (T, n1)
    m0 : ndarray float64 (T, n2)
    report : dict
        the command line's fields: ``dmf_version``, ``command``, ``g1``, ``g2``
        (the spec paths, None otherwise), ``trials``, ``n1``, ``n2``,
        ``output``, ``seed``, ``dtype``, ``networks`` ('shared' or 'per_trial').

    Raises
    ------
    dmf.InputError (ValueError), dmf.FileError (OSError), TypeError
    """
    check("demod synth", seed=seed, trials=trials, backend=backend)
    seed = _seed(seed)
    T = _count(trials, "trials")
    dt = _gen_dtype(dtype)
    backend = _backend(backend)
    independent = bool(independent_networks)
    G1, G2, p1, p2 = _pair(g1, g2, T if independent else 1, dt)
    n1, n2, l = G1.input_size, G2.input_size, G1.output_size
    h0, m0 = _latents(_stream_seed(seed, _STREAM_TRUTH), T, n1, n2)
    y0 = _observe(G1, G2, h0, m0, backend)
    report = {"dmf_version": _dmf.__version__, "command": "demod synth", "g1": p1, "g2": p2, "trials": T,
              "n1": n1, "n2": n2, "output": l, "seed": seed}
    report.update(_run_fields(dt, independent))
    return y0, h0, m0, report


def _options(iterations, step, step_rule, momentum, tol, success_tol, sign_check, dtype):
    iterations = _count(iterations, "iterations")
    if step_rule not in _RULES:
        if not isinstance(step_rule, str):
            raise TypeError(f"step_rule must be 'fixed', 'scaled' or 'backtracking', not {type(step_rule).__name__}")
        raise InputError(f"bad step_rule '{step_rule}' (fixed, scaled or backtracking)")
    values = {}
    for name, value in (("step", step), ("momentum", momentum), ("tol", tol), ("success_tol", success_tol)):
        if name == "tol" and value is None:
            value = 1e-5 if dtype == "f32" else 1e-7  # 1e-7 is below float rounding of y0
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name} must be a number, not {type(value).__name__}")
        values[name] = float(value)
    if not (values["step"] > 0 and np.isfinite(values["step"])):
        raise InputError(f"bad step {values['step']} (a number > 0)")
    if not 0 <= values["momentum"] < 1:
        raise InputError(f"bad momentum {values['momentum']} (a number in [0, 1))")
    if not values["tol"] >= 0:
        raise InputError(f"bad tol {values['tol']} (a number >= 0)")
    if not values["success_tol"] > 0:
        raise InputError(f"bad success_tol {values['success_tol']} (a number > 0)")
    if values["momentum"] > 0 and step_rule == "backtracking":
        raise InputError("momentum goes with step_rule 'fixed' or 'scaled', not 'backtracking'")
    return {"iterations": iterations, "step": values["step"], "step_rule": step_rule,
            "momentum": values["momentum"], "tol": values["tol"], "success_tol": values["success_tol"],
            "sign_check": bool(sign_check)}


def _solve(G1, G2, y0, h, m, h0, m0, o, trace, backend):
    return _dmf.demod_solve(G1._handle, G2._handle, y0, h, m, h0, m0, o["iterations"], o["step"],
                            _RULES.index(o["step_rule"]), o["momentum"], o["tol"], o["sign_check"],
                            o["success_tol"], trace, backend)


def _summary(res, T, with_truth):
    out = {}
    if with_truth:
        successes = int(np.count_nonzero(res["success"]))
        out["successes"] = successes
        out["success_rate"] = successes / T
    else:  # the command line prints null: no truth given
        out["successes"] = None
        out["success_rate"] = None
    out["converged"] = int(np.count_nonzero(res["converged"]))
    out["median_iterations"] = float(np.median(res["iterations"]))
    out["time_s"] = res["time_s"]
    return out


def solve(g1: GeneratorLike, g2: GeneratorLike, y0, h0=None, m0=None, start_seed: int = 1,
          iterations: int = 500, step: float = 1.0, step_rule: str = "backtracking", momentum: float = 0.0,
          tol: Optional[float] = None, success_tol: float = 1e-3, sign_check: bool = True, trace: bool = False,
          independent_networks: bool = False, dtype="f64",
          backend: str = "auto") -> Tuple[np.ndarray, np.ndarray, Dict[str, Any]]:
    """Algorithm 1 of Hand & Joshi on every row of y0, as ``dmf demod solve``.

    Recovers h, m with G1(h) ⊙ G2(m) ≈ y0 from starts h, m ~ N(0, I) drawn
    from ``start_seed`` (the command line's ``--start-seed``, default 1: the
    same starts for the same seed), all rows in one batched call.

    Parameters
    ----------
    g1, g2 : Generator, dict spec or path (as for :func:`synth`).
    y0 : array_like (T, l) or (l,)
        observations, converted to float64.
    h0, m0 : array_like (T, n1) and (T, n2), optional
        the truth (e.g. from :func:`synth`); with it each trial reports
        success and the relative error.
    start_seed : int in [0, 2^64)
    iterations : int >= 1
        at most this many per trial.
    step : float > 0
        fixed: the step; scaled: the step is step·l; backtracking: the first
        trial as a fraction of the inverse curvature estimate.
    step_rule : 'fixed', 'scaled' or 'backtracking' (Armijo, per trial)
    momentum : float in [0, 1)
        heavy ball, fixed and scaled rules only.
    tol : float >= 0, optional
        stop a trial when ‖G1(h)⊙G2(m) − y0‖ ≤ tol‖y0‖ (default 1e-7, 1e-5 in f32).
    success_tol : float > 0
        success: balanced ‖(h,m) − (h0,m0)‖ / ‖(h0,m0)‖ ≤ success_tol.
    sign_check : bool
        step 1 of Algorithm 1 (the best of (±h, ±m)).
    trace : bool
        also return f(h, m) after every iteration in ``report['trace']``
        (T × iterations; a stopped trial repeats its value, NaN once all stopped).
    independent_networks : bool
        one pair of networks per trial (as given to :func:`synth`).
    dtype : 'f32' or 'f64'
    backend : 'auto', 'cpu' or 'cuda'

    Returns
    -------
    h : ndarray float64 (T, n1)
    m : ndarray float64 (T, n2)
        the estimates (``G1.forward(h)`` and ``G2.forward(m)`` are what
        ``--out`` writes as g1.npy and g2.npy).
    report : dict
        the fields of the command line's summary line: ``dmf_version``,
        ``command``, ``summary`` (True), ``trials``, ``n1``, ``n2``,
        ``output``, ``successes``, ``success_rate`` (None without the truth),
        ``converged``, ``median_iterations``, ``time_s`` (the solve),
        ``backend``, ``dtype``, ``networks``, ``start_seed``, ``options``;
        ``per_trial``: the per-trial lines as dicts (``trial``, ``success``
        and ``rel_error`` with the truth, ``converged``, ``iterations``,
        ``rel_residual``, ``objective``); ``trace`` when asked.

    Raises
    ------
    dmf.InputError (ValueError)
        shapes that do not match the generators, options out of range,
        h0 without m0.
    dmf.NumericalError
        non-finite y0, h0 or m0.
    dmf.FileError (OSError), TypeError
    """
    check("demod solve", start_seed=start_seed, iterations=iterations, step=step, step_rule=step_rule,
          momentum=momentum, tol=tol, success_tol=success_tol, backend=backend)
    start_seed = _seed(start_seed, "start_seed")
    dt = _gen_dtype(dtype)
    backend = _backend(backend)
    o = _options(iterations, step, step_rule, momentum, tol, success_tol, sign_check, dt)
    independent = bool(independent_networks)
    if (h0 is None) != (m0 is None):
        raise InputError("give both h0 and m0 (the truth), or neither")
    G1, G2, _, _ = _pair(g1, g2, 1, dt)
    n1, n2, l = G1.input_size, G2.input_size, G1.output_size
    Y, _ = _rows(y0, l, "y0")
    T = Y.shape[0]
    if T == 0:
        raise InputError("y0 has no rows")
    H0 = M0 = None
    if h0 is not None:
        H0, _ = _rows(h0, n1, "h0")
        M0, _ = _rows(m0, n2, "m0")
        for name, a in (("h0", H0), ("m0", M0)):
            if a.shape[0] != T:
                raise InputError(f"{name} has {a.shape[0]} row(s) but y0 has {T} trial(s)")
            if not np.all(np.isfinite(a)):
                raise NumericalError(f"{name} has non-finite entries")
    if independent:  # T networks, now that T is known
        G1, G2, _, _ = _pair(g1, g2, T, dt)
    h, m = _latents(_stream_seed(start_seed, _STREAM_STARTS), T, n1, n2)
    res, tr = _solve(G1, G2, Y, h, m, H0, M0, o, bool(trace), backend)
    with_truth = H0 is not None
    per_trial = []
    for t in range(T):
        line = {"dmf_version": _dmf.__version__, "trial": t}
        if with_truth:
            line["success"] = bool(res["success"][t])
        line["converged"] = bool(res["converged"][t])
        line["iterations"] = int(res["iterations"][t])
        if with_truth:
            line["rel_error"] = float(res["rel_error"][t])
        line["rel_residual"] = float(res["rel_residual"][t])
        line["objective"] = float(res["objective"][t])
        per_trial.append(line)
    report = {"dmf_version": _dmf.__version__, "command": "demod solve", "summary": True, "trials": T,
              "n1": n1, "n2": n2, "output": l}
    report.update(_summary(res, T, with_truth))
    report["backend"] = res["backend"]
    report.update(_run_fields(dt, independent))
    report["start_seed"] = start_seed
    report["options"] = o
    report["per_trial"] = per_trial
    if trace:
        report["trace"] = tr
    return h, m, report


def _axis(values, name) -> List[int]:
    if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
        values = [values]
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be an integer or a sequence of integers")
    values = [_count(v, f"{name}[{i}]") for i, v in enumerate(values)]
    if not 1 <= len(values) <= 64:
        raise InputError(f"{name} needs 1 to 64 sizes (got {len(values)})")
    return values


def sweep(latent, outputs, hidden=250, trials: int = 100, seed: int = 0, iterations: int = 500,
          step: float = 1.0, step_rule: str = "backtracking", momentum: float = 0.0, tol: Optional[float] = None,
          success_tol: float = 1e-3, sign_check: bool = True, independent_networks: bool = False, dtype="f64",
          backend: str = "auto", progress: bool = False) -> List[Dict[str, Any]]:
    """Success rate of Algorithm 1 over a grid of sizes, as ``dmf demod sweep``.

    For every cell (latent n = p, output l, hidden width) builds two Gaussian
    generators n → hidden → l as in the paper, draws ``trials`` problems and
    starts, and solves them in one batched call.  A cell's generators and
    problems depend only on ``seed`` and the cell's sizes (the same as the
    command line's for the same seed).

    Parameters
    ----------
    latent, outputs, hidden : int or sequence of int >= 1 (up to 64 each)
    trials : int >= 1
    seed : int in [0, 2^64)
    iterations, step, step_rule, momentum, tol, success_tol, sign_check,
    independent_networks, dtype, backend : as for :func:`solve`.
    progress : bool
        a line per cell on stderr, as the command line prints.

    Returns
    -------
    list of dict
        one per cell, hidden outermost then latent then output, with the
        command line's fields: ``dmf_version``, ``latent``, ``output``,
        ``hidden``, ``trials``, ``successes``, ``success_rate``,
        ``converged``, ``median_iterations``, ``time_s`` (the solve),
        ``seed``, ``backend``, ``dtype``, ``networks``, ``options``.

    Raises
    ------
    dmf.InputError (ValueError), TypeError
    """
    check("demod sweep", latent=latent, outputs=outputs, hidden=hidden, trials=trials, seed=seed,
          iterations=iterations, step=step, step_rule=step_rule, momentum=momentum, tol=tol,
          success_tol=success_tol, backend=backend)
    latent = _axis(latent, "latent")
    outputs = _axis(outputs, "outputs")
    hidden = _axis(hidden, "hidden")
    T = _count(trials, "trials")
    seed = _seed(seed)
    dt = _gen_dtype(dtype)
    backend = _backend(backend)
    o = _options(iterations, step, step_rule, momentum, tol, success_tol, sign_check, dt)
    independent = bool(independent_networks)
    networks = T if independent else 1
    cells, done, start = len(hidden) * len(latent) * len(outputs), 0, time.perf_counter()
    results = []
    for k in hidden:
        for n in latent:
            for l in outputs:
                sizes = (n, k, l)
                G1 = Generator(sizes, _cell_seed(seed, n, k, l, _STREAM_G1), networks, dt)
                G2 = Generator(sizes, _cell_seed(seed, n, k, l, _STREAM_G2), networks, dt)
                h0, m0 = _latents(_cell_seed(seed, n, k, l, _STREAM_TRUTH), T, n, n)
                h, m = _latents(_cell_seed(seed, n, k, l, _STREAM_STARTS), T, n, n)
                y0 = _observe(G1, G2, h0, m0, backend)
                res, _ = _solve(G1, G2, y0, h, m, h0, m0, o, False, backend)
                cell = {"dmf_version": _dmf.__version__, "latent": n, "output": l, "hidden": k, "trials": T}
                cell.update(_summary(res, T, True))
                cell["seed"] = seed
                cell["backend"] = res["backend"]
                cell.update(_run_fields(dt, independent))
                cell["options"] = dict(o)
                results.append(cell)
                done += 1
                if progress:
                    print(f"dmf demod sweep: [{done}/{cells}] latent {n}, hidden {k}, output {l}: "
                          f"{cell['successes']}/{T} recovered, {cell['time_s']:.2f} s "
                          f"({time.perf_counter() - start:.1f} s in all)", file=sys.stderr)
    return results


def gaussian_field(grid: int, c: float, sigma: float) -> np.ndarray:
    """The paper's distortion field, float64 (grid, grid):
    exp(−((x_j − c)² + (x_i − c)²) / σ) on x_k = −5 + 10k/(grid − 1).
    grid >= 2, σ > 0 (else dmf.InputError)."""
    return _dmf.gaussian_field(_count(grid, "grid", 2), float(c), float(sigma))


def gaussian_fields(grid: int, count: int, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """``count`` fields (count, grid²) with c ~ U[−3, 3], σ ~ U[20, 35] drawn from
    ``seed``, and their parameters (count, 2) = (c, σ) per field, float64."""
    return _dmf.gaussian_fields(_count(grid, "grid", 2), _count(count, "count", 0), _seed(seed))
