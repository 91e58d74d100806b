#!/usr/bin/env python3
"""dmf from Python, in process: applying a butterfly chain and factoring.

Two measurements on DFT-bitrev (c128, balanced tree), each size of --sizes:

apply    ``chain @ X`` and ``chain.H @ X`` for the chain ``dmf.butterfly_factor``
         returns, X of --nvecs columns (1: a 1-D vector), against the same
         product by dense NumPy (``A @ X``, ``A^H @ X`` with A^H formed once),
         pyfaust (``F @ X``, ``F.H @ X`` with ``F = pyfaust.Faust`` of the
         chain's own factors as SciPy CSR: pyfaust's factorization is not
         run), a SciPy sparse chain (the chain's ``factors``, CSR, applied
         right to left) and SciPy's FFT of the same product
         (``scipy.fft.fft(X[bitrev], axis=0, norm="ortho")``; H:
         ``ifft(X)[bitrev]``, the bit reversal gathered by NumPy), the speed
         a butterfly cannot beat by much: the DFT's own fast algorithm.  All tools of one batch size take turns within every
         repeat (their order rotates), so a load spike hits them alike.  One
         sample times ``inner`` back-to-back calls (enough for ~20 ms) and
         records the time per call.  rel_error = ||Y - A X||_F / ||A X||_F
         against the dense product.
factor   the wall time of ``dmf.butterfly_factor(A, compute_error=False,
         backend="cpu")`` from Python next to the ``time_s`` of its report
         and the ``time_s`` of the command line (``dmf butterfly factor
         --matrix dft-bitrev --size N --dtype c128 --tree balanced --backend
         cpu``) and of build/bench/bench_butterfly (the C call in a warm
         process), taking turns in every round.  pass_time_s is one streaming
         read of A (its Frobenius norm as one BLAS dot), for scale.

Output: an {"env": ...} header, then one JSON object per measurement, each
carrying the environment as it was at that moment (cpu, threads,
load_avg_1min as in bench_mpi.sh, loadavg (1, 5, 15 min),
other_load, versions).  other_load, as in bench/comparators/common.py: the
most cores other processes kept busy during one sample.

    bench/.venv/bin/python bench/bench_python.py --out bench/results/python-DATE.jsonl
    bench/.venv/bin/python bench/bench_python.py --summarize FILE.jsonl > FILE.md
"""
import argparse
import datetime
import json
import math
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "comparators"))
import common  # noqa: E402  (CPU model, /proc/stat load helpers, dft_bitrev)

MATRIX, DTYPE, TREE = "dft-bitrev", "c128", "balanced"
EXPR = {"dmf": {"N": "chain @ X", "H": "chain.H @ X"},
        "numpy-dense": {"N": "A @ X", "H": "AH @ X"},
        "pyfaust": {"N": "F @ X", "H": "F.H @ X"},
        "scipy-csr-chain": {"N": "F_0 @ (... @ (F_L-1 @ X))", "H": "F_L-1^H @ (... @ (F_0^H @ X))"},
        "scipy-fft": {"N": "fft(X[bitrev], axis=0, norm='ortho')", "H": "ifft(X, axis=0, norm='ortho')[bitrev]"}}


# ---------------------------------------------------------------------------
# environment
class Env:
    def __init__(self, args):
        import dmf
        import scipy

        self.dmf = dmf
        self.out_files = []
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "comparators"))
        from common import cpu_model

        cpu = cpu_model()
        info = dmf.info()
        self.static = {
            "cpu": cpu,
            "threads": len(os.sched_getaffinity(0)),
            "dmf_threads": info.get("openmp_threads"),
            "dmf_version": dmf.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "pyfaust": None,
            "python": sys.version.split()[0],
        }
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            if os.environ.get(var):
                self.static[var] = os.environ[var]
        self.header = {"tool": "dmf-python", "version": dmf.__version__, "blas": info.get("blas"),
                       "compiler": info.get("compiler"), "backend": "cpu", **self.static}

    def now(self):
        load = os.getloadavg()
        return {**self.static, "load_avg_1min": round(load[0], 2), "loadavg": [round(x, 2) for x in load],
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


class Output:
    """JSON lines to the real stdout (the tools' own prints go to stderr) and --out."""

    def __init__(self, path):
        sys.stdout.flush()
        self.stdout = os.fdopen(os.dup(1), "w")
        os.dup2(2, 1)  # pyfaust's C++ may print on fd 1
        self.file = None
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self.file = open(path, "w")

    def emit(self, obj):
        line = json.dumps(obj)
        for f in (self.stdout, self.file):
            if f:
                f.write(line + "\n")
                f.flush()


# ---------------------------------------------------------------------------
# timing
def sample(fn, inner):
    """Time per call of `inner` calls of fn, and the cores others kept busy meanwhile."""
    busy0, own0, t0 = common._busy_cpu_s(), common._own_cpu_s(), time.perf_counter()
    for _ in range(inner):
        fn()
    t = time.perf_counter() - t0
    other = max(0.0, (common._busy_cpu_s() - busy0) - (common._own_cpu_s() - own0)) / t
    return t / inner, other


def calibrate(fn, target=0.02, cap=1000):
    fn()  # warm-up (page faults, lazy initialisation)
    t0 = time.perf_counter()
    fn()
    t = time.perf_counter() - t0
    return max(1, min(cap, math.ceil(target / max(t, 1e-7))))


def sig(x, digits=6):
    return float(f"{x:.{digits}g}")


def stats(times, others):
    return {"time_s": sig(statistics.median(times)), "min_time_s": sig(min(times)),
            "repeats": len(times), "times_s": [sig(t) for t in times],
            "other_load": round(max(others), 2)}


def rel_err(Y, R):
    return float(np.linalg.norm(Y - R) / np.linalg.norm(R))


# ---------------------------------------------------------------------------
# apply
def bench_apply(env, out, n, args):
    dmf = env.dmf
    import scipy.fft
    import scipy.sparse as sp

    base = {"bench": "python-apply", "problem": MATRIX, "matrix": MATRIX, "size": n, "n": n,
            "dtype": DTYPE, "tree": TREE}
    A = dmf.matrix(MATRIX, n, dtype=DTYPE)
    chain = dmf.butterfly_factor(A, tree=TREE, backend="cpu")
    AH = np.ascontiguousarray(A.conj().T)
    factors = [sp.csr_matrix(f) for f in chain.factors]
    factors_h = [sp.csr_matrix(f.conj().T) for f in factors]
    nnz = int(sum(f.nnz for f in factors))
    bitrev = dmf.digit_reversal([2] * (n.bit_length() - 1))

    def scipy_chain(fs, X):
        Y = X
        for f in reversed(fs):
            Y = f @ Y
        return Y

    tools = {  # name -> (op, layout of X, fn(X))
        ("dmf", "N"): lambda X: chain @ X,
        ("dmf", "H"): lambda X: chain.H @ X,
        ("numpy-dense", "N"): lambda X: A @ X,
        ("numpy-dense", "H"): lambda X: AH @ X,
        ("scipy-csr-chain", "N"): lambda X: scipy_chain(factors, X),
        ("scipy-csr-chain", "H"): lambda X: scipy_chain(factors_h, X),
        ("scipy-fft", "N"): lambda X: scipy.fft.fft(X[bitrev], axis=0, norm="ortho"),
        ("scipy-fft", "H"): lambda X: scipy.fft.ifft(X, axis=0, norm="ortho")[bitrev],
    }
    option = {"dmf": "chain @ X (dmf.butterfly_factor, backend='cpu')",
              "numpy-dense": "A @ X (A dense, C order; A^H formed once)",
              "scipy-csr-chain": f"{len(factors)} CSR factors (chain.factors) applied right to left",
              "pyfaust": "pyfaust.Faust([csr factors of the chain]) @ X (X Fortran order)",
              "scipy-fft": "scipy.fft on the bit-reversed rows (one thread, SciPy's default)"}
    try:
        import pyfaust

        env.static["pyfaust"] = pyfaust.version()
        F = pyfaust.Faust(factors)
        FH = F.H
        tools[("pyfaust", "N")] = lambda X: F @ X
        tools[("pyfaust", "H")] = lambda X: FH @ X
    except Exception as e:  # ImportError, or a pyfaust that cannot load its library
        out.emit({**base, "tool": "pyfaust", "skipped": f"pyfaust not usable here: {type(e).__name__}: {e}",
                  **env.now()})

    rng = np.random.default_rng(args.seed)
    for k in args.nvecs:
        X = rng.standard_normal((n, k)) + 1j * rng.standard_normal((n, k))
        if k == 1:
            X = X[:, 0].copy()
        XF = np.asfortranarray(X)  # pyfaust's layout (it converts otherwise)
        ref = {"N": A @ X, "H": AH @ X}
        names = list(tools)
        inputs = {key: (XF if key[0] == "pyfaust" else X) for key in names}
        errors, inner = {}, {}
        for key in names:
            Y = tools[key](inputs[key])
            errors[key] = rel_err(np.asarray(Y).reshape(ref[key[1]].shape), ref[key[1]])
            inner[key] = calibrate(lambda: tools[key](inputs[key]))
        times = {key: [] for key in names}
        others = {key: [] for key in names}
        for r in range(args.repeats):
            order = names[r % len(names):] + names[:r % len(names)]
            for key in order:
                fn, x = tools[key], inputs[key]
                t, o = sample(lambda: fn(x), inner[key])
                times[key].append(t)
                others[key].append(o)
        for key in names:
            tool, op = key
            out.emit({**base, "tool": tool, "op": op, "expr": EXPR[tool][op],
                      "tool_option": option[tool], "nvec": k, "nnz": nnz,
                      "x_layout": "F" if tool == "pyfaust" else "C", "inner": inner[key],
                      **stats(times[key], others[key]), "rel_error": errors[key], **env.now()})
    del A, AH


# ---------------------------------------------------------------------------
# factor
def cli_time(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()[-300:]}")
    line = [ln for ln in p.stdout.splitlines() if ln.startswith("{")][-1]
    return json.loads(line), wall


def bench_factor(env, out, n, args):
    dmf = env.dmf
    base = {"bench": "python-factor", "problem": MATRIX, "matrix": MATRIX, "size": n, "n": n,
            "dtype": DTYPE, "tree": TREE, "backend": "cpu"}
    A = dmf.matrix(MATRIX, n, dtype=DTYPE)
    cmd = [args.dmf_cli, "butterfly", "factor", "--matrix", MATRIX, "--size", str(n), "--dtype", DTYPE,
           "--tree", TREE, "--backend", "cpu"]
    have_cli = os.access(args.dmf_cli, os.X_OK)
    if have_cli:
        # newer command lines require --out DIR or --no-out; older ones know neither flag
        h = subprocess.run([args.dmf_cli, "butterfly", "factor", "--help"], capture_output=True, text=True)
        if "--no-out" in h.stdout + h.stderr:
            cmd.append("--no-out")
    if not have_cli:
        out.emit({**base, "tool": "dmf-cli", "skipped": f"{args.dmf_cli} not found or not executable "
                  "(build dmf: bash scripts/setup.sh)", **env.now()})
    cbench = [args.bench_butterfly, "--matrix", MATRIX, "--size", str(n), "--dtype", DTYPE, "--trees", TREE,
              "--repeats", "3", "--backend", "cpu"]
    have_cbench = os.access(args.bench_butterfly, os.X_OK)
    if not have_cbench:
        out.emit({**base, "tool": "dmf-c-bench", "skipped": f"{args.bench_butterfly} not found or not "
                  "executable (build dmf: bash scripts/setup.sh)", **env.now()})
    cb_c, cb_other = [], []
    first = None
    py_wall, py_c, py_other, cli_c, cli_wall, cli_other = [], [], [], [], [], []
    rel_error = None
    for r in range(args.repeats + 1):  # the first round warms up (and is reported apart)
        busy0, own0, t0 = common._busy_cpu_s(), common._own_cpu_s(), time.perf_counter()
        chain = dmf.butterfly_factor(A, tree=TREE, backend="cpu", compute_error=False)
        wall = time.perf_counter() - t0
        other = max(0.0, (common._busy_cpu_s() - busy0) - (common._own_cpu_s() - own0)) / wall
        if r == 0:
            first = (wall, chain.report["time_s"])
            rel_error = chain.rel_error(A)
        else:
            py_wall.append(wall), py_c.append(chain.report["time_s"]), py_other.append(other)
        del chain
        if have_cli:
            busy0, t0 = common._busy_cpu_s(), time.perf_counter()
            rep, wall = cli_time(cmd)
            # the CLI's own CPU time is not ours: report the machine's load instead
            if r > 0:
                cli_c.append(rep["time_s"]), cli_wall.append(wall)
                cli_other.append((common._busy_cpu_s() - busy0) / wall)
                cli_rep = rep
        if have_cbench:
            busy0 = common._busy_cpu_s()
            rep, wall = cli_time(cbench)
            if r > 0:
                cb_c.append(rep["time_s"]), cb_other.append((common._busy_cpu_s() - busy0) / wall)
                cb_rep = rep
    pass_times, flat = [], A.reshape(-1).view(np.float64)
    for _ in range(max(3, args.repeats // 2)):
        t0 = time.perf_counter()
        math.sqrt(np.dot(flat, flat))  # one contiguous BLAS pass, no temporaries
        pass_times.append(time.perf_counter() - t0)
    pass_s = statistics.median(pass_times)
    med_wall, med_c = statistics.median(py_wall), statistics.median(py_c)
    out.emit({**base, "tool": "dmf-python", "expr": "dmf.butterfly_factor(A, compute_error=False, backend='cpu')",
              "timed": "Python wall time of the call", **stats(py_wall, py_other),
              "report_time_s": sig(med_c), "report_min_time_s": sig(min(py_c)),
              "report_times_s": [sig(t) for t in py_c],
              "ratio_to_report_time_s": round(statistics.median(w / c for w, c in zip(py_wall, py_c)), 4),
              "overhead_s": sig(statistics.median(w - c for w, c in zip(py_wall, py_c))),
              "first_call_wall_s": sig(first[0]), "first_call_report_time_s": sig(first[1]),
              "pass_time_s": sig(pass_s), "rel_error": rel_error, **env.now()})
    if cli_c:
        out.emit({**base, "tool": "dmf-cli", "expr": " ".join(cmd), "timed": "time_s of the command's JSON line",
                  **stats(cli_c, cli_other), "process_wall_s": sig(statistics.median(cli_wall)),
                  "cli_version": cli_rep.get("dmf_version"), "cli_threads": cli_rep.get("threads"),
                  "rel_error": cli_rep.get("rel_error"),
                  "python_wall_over_cli_time_s": round(med_wall / statistics.median(cli_c), 4),
                  "python_report_over_cli_time_s": round(med_c / statistics.median(cli_c), 4),
                  "note": "other_load here is the whole machine's busy cores (the command's included)",
                  **env.now()})
    if cb_c:
        out.emit({**base, "tool": "dmf-c-bench", "expr": " ".join(cbench),
                  "timed": "bench_butterfly's time_s: median of 3 dmf_butterfly_factor calls in one C process, "
                  "per round; time_s/min_time_s here are over the rounds", **stats(cb_c, cb_other),
                  "rel_error": cb_rep.get("rel_error"), "pass_time_s_c": cb_rep.get("pass_time_s"),
                  "python_wall_over_c_time_s": round(med_wall / statistics.median(cb_c), 4),
                  "python_report_over_c_time_s": round(med_c / statistics.median(cb_c), 4),
                  "note": "other_load here is the whole machine's busy cores (the program's included)",
                  **env.now()})


# ---------------------------------------------------------------------------
# summary
def summarize(path):
    recs = [json.loads(ln) for ln in open(path) if ln.startswith("{")]
    env = next((r["env"] for r in recs if "env" in r), {})
    app = [r for r in recs if r.get("bench") == "python-apply" and "time_s" in r]
    fac = {r["tool"]: r for r in recs if r.get("bench") == "python-factor" and "time_s" in r}
    skipped = [r for r in recs if "skipped" in r]
    loads = [r["load_avg_1min"] for r in recs if "load_avg_1min" in r]
    others = [r["other_load"] for r in recs if "other_load" in r]
    print(f"# dmf from Python: {os.path.basename(path)}\n")
    print(f"- CPU: {env.get('cpu')}, {env.get('threads')} cores available, dmf OpenMP threads "
          f"{env.get('dmf_threads')}; dmf {env.get('version')}, NumPy {env.get('numpy')}, "
          f"SciPy {env.get('scipy')}, pyfaust {next((r.get('pyfaust') for r in app if r.get('pyfaust')), 'not run')}, "
          f"Python {env.get('python')}; {env.get('date')}")
    if loads:
        print(f"- load average (1 min) over the lines: {min(loads):.2f} to {max(loads):.2f}; other_load "
              f"(cores busy with other processes during a sample, worst sample of a line) "
              f"{min(others):.2f} to {max(others):.2f}")
    for r in skipped:
        print(f"- skipped: {r['tool']}: {r['skipped']}")
    print()
    if app:
        print("## chain @ X\n")
        print("Time per call in ms, median of the repeats (their minimum in parentheses); ratio = tool / dmf "
              "(> 1: dmf faster), of the medians (of the minima).  op H: chain.H @ X and the same adjoint "
              "product by each tool.\n")
        tools = [t for t in ("dmf", "numpy-dense", "pyfaust", "scipy-csr-chain", "scipy-fft")
                 if any(r["tool"] == t for r in app)]
        head = ["N", "op", "nvec"] + [f"{t} ms" for t in tools] + [f"{t} / dmf" for t in tools[1:]] + ["dmf err", "load"]
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        keys = sorted({(r["n"], r["op"], r["nvec"]) for r in app})
        for n, op, k in keys:
            row = {r["tool"]: r for r in app if (r["n"], r["op"], r["nvec"]) == (n, op, k)}
            d = row.get("dmf", {}).get("time_s")
            cells = [str(n), op, str(k)]
            cells += [f"{row[t]['time_s'] * 1e3:.3g} ({row[t]['min_time_s'] * 1e3:.3g})" if t in row else ""
                      for t in tools]
            dm = row.get("dmf", {}).get("min_time_s")
            cells += [f"{row[t]['time_s'] / d:.2f} ({row[t]['min_time_s'] / dm:.2f})" if t in row and d else ""
                      for t in tools[1:]]
            cells += [f"{row['dmf']['rel_error']:.1e}" if "dmf" in row else "",
                      f"{row.get('dmf', {}).get('load_avg_1min', float('nan')):.2f}"]
            print("| " + " | ".join(cells) + " |")
        one = [r for r in app if r["tool"] == "dmf" and r["op"] == "N" and r["nvec"] == 1]
        print()
        for r in one:
            ok = "met" if r["time_s"] <= 1e-4 else "NOT met"
            print(f"- N = {r['n']}, one vector: dmf {r['time_s'] * 1e3:.3f} ms (goal <= 0.1 ms: {ok}).")
        for n, op, k in keys:
            row = {r["tool"]: r for r in app if (r["n"], r["op"], r["nvec"]) == (n, op, k)}
            if not 16 <= k <= 256 or "dmf" not in row:
                continue
            d = row["dmf"]["time_s"]
            goals = []
            if "pyfaust" in row:
                r = row["pyfaust"]["time_s"] / d
                goals.append(f"{r:.1f}x faster than pyfaust (goal >= 4x: {'met' if r >= 4 else 'NOT met'})")
            if "scipy-fft" in row:
                r = d / row["scipy-fft"]["time_s"]
                goals.append(f"{r:.1f}x scipy.fft's time (goal <= 3x: {'met' if r <= 3 else 'NOT met'})")
            if goals:
                print(f"- N = {n}, op {op}, {k} vectors: dmf " + "; ".join(goals) + ".")
        for n, op, k in keys:
            row = {r["tool"]: r for r in app if (r["n"], r["op"], r["nvec"]) == (n, op, k)}
            slower = [t for t in tools[1:] if t in row and "dmf" in row and row[t]["time_s"] <= row["dmf"]["time_s"]]
            if slower:
                print(f"- N = {n}, op {op}, {k} vector(s): dmf is not faster than {', '.join(slower)}.")
        dH = {(r["n"], r["nvec"]): r["time_s"] for r in app if r["tool"] == "dmf" and r["op"] == "H"}
        dN = {(r["n"], r["nvec"]): r["time_s"] for r in app if r["tool"] == "dmf" and r["op"] == "N"}
        ratios = ", ".join(f"{k}: {dH[(n, k)] / dN[(n, k)]:.2f}" for n, k in sorted(dH) if (n, k) in dN)
        if ratios:
            print(f"- dmf chain.H @ X over chain @ X, per nvec: {ratios}")
        print()
    if fac:
        print("## dmf.butterfly_factor from Python vs the C call's time_s\n")
        p, c, b = fac.get("dmf-python"), fac.get("dmf-cli"), fac.get("dmf-c-bench")
        if p:
            print(f"N = {p['n']}, DFT-bitrev c128, balanced tree, CPU backend; medians of {p['repeats']} rounds, "
                  "the three tools alternating in every round.\n")
            print("| measured | time ms (median / min) | Python wall / this | load |")
            print("|---|---|---|---|")

            def line(name, t, tmin, load):
                print(f"| {name} | {t * 1e3:.1f} / {tmin * 1e3:.1f} | {p['time_s'] / t:.3f} | {load:.2f} |")

            line("Python: wall time of dmf.butterfly_factor(A, compute_error=False)", p["time_s"], p["min_time_s"],
                 p["load_avg_1min"])
            line("Python: report['time_s'] of the same calls", p["report_time_s"], p["report_min_time_s"],
                 p["load_avg_1min"])
            if c:
                line("CLI: time_s of `dmf butterfly factor ... --backend cpu`", c["time_s"], c["min_time_s"],
                     c["load_avg_1min"])
            if b:
                line("C: bench_butterfly's time_s (warm, in process)", b["time_s"], b["min_time_s"], b["load_avg_1min"])
            print(f"\nPython wall over its own report, per call (median): {p['ratio_to_report_time_s']:.3f}; "
                  f"wall - report: {p['overhead_s'] * 1e3:.1f} ms; one streaming read of A (its norm): "
                  f"{p['pass_time_s'] * 1e3:.1f} ms; first call of the process: wall "
                  f"{p['first_call_wall_s'] * 1e3:.1f} ms, report {p['first_call_report_time_s'] * 1e3:.1f} ms.")
            if c:
                print(f"The CLI process's whole wall time (matrix generation, error pass, start-up): "
                      f"{c['process_wall_s'] * 1e3:.0f} ms.")
            ok = "met" if p["ratio_to_report_time_s"] <= 1.05 else "NOT met"
            print(f"\nGoal (Python within 5 % of the C call's time_s): {ok} "
                  f"({(p['ratio_to_report_time_s'] - 1) * 100:+.1f} % against its own report).")


# ---------------------------------------------------------------------------
def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--out", help="also write the JSON lines to this file")
    p.add_argument("--sizes", type=int, nargs="+", default=[4096], help="N (powers of two)")
    p.add_argument("--nvecs", type=int, nargs="+", default=[1, 16, 64, 256], help="columns of X")
    p.add_argument("--repeats", type=int, default=11, help="samples per point (median reported)")
    p.add_argument("--only", choices=("apply", "factor"), help="run one of the two measurements")
    p.add_argument("--dmf-cli", default=os.path.join(os.path.dirname(HERE), "build", "dmf"),
                   help="the dmf command line for the factor comparison")
    p.add_argument("--bench-butterfly", default=os.path.join(os.path.dirname(HERE), "build", "bench",
                                                             "bench_butterfly"),
                   help="dmf's C benchmark program, the in-process C reference for the factor comparison")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--summarize", metavar="FILE", help="print the Markdown summary of FILE and exit")
    args = p.parse_args()
    if args.summarize:
        summarize(args.summarize)
        return
    out = Output(args.out)
    env = Env(args)
    try:
        import pyfaust

        env.static["pyfaust"] = pyfaust.version()
    except Exception:
        pass
    out.emit({"env": {**env.header, **env.now(), "pyfaust": env.static["pyfaust"]}})
    for n in args.sizes:
        if args.only in (None, "apply"):
            print(f"bench_python: apply, N = {n}", file=sys.stderr)
            bench_apply(env, out, n, args)
        if args.only in (None, "factor"):
            print(f"bench_python: factor, N = {n}", file=sys.stderr)
            bench_factor(env, out, n, args)


if __name__ == "__main__":
    main()
