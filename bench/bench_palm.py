#!/usr/bin/env python3
"""Hierarchical PALM: dmf against pyfaust, same inputs, same run.

Two problems, each with the same constraints and iteration counts for both
tools (30 iterations per PALM, sweeps right to left, factors peeled off the
left end of the residual):

  hadamard  FAuST's classic demonstration: the N x N Sylvester Hadamard
            matrix into log2(N) factors, splincol 2, residual of step i
            splincol N/2^(i+1) (`dmf hierarchical --preset hadamard`,
            pyfaust's `hierarchical(H, 'hadamard')`).
  random    a dense N x N Gaussian matrix (seed 0, unit Frobenius norm)
            into 4 factors: splincol 8 for the three peeled factors,
            residuals splincol N/4, N/16, N/64 (a params file for dmf,
            ParamsHierarchical for pyfaust).

Per size the tools alternate (dmf, pyfaust, dmf, ...) so both see the same
machine load.  One JSON line per measurement after an environment header:
time_s (median of the repeats, wall clock), times_s, cpu_s (median CPU time,
user + system, all threads) and cpu_times_s, rel_error = ||F - A||_F / ||A||_F,
and on every line the CPU model, the threads, the load average
(/proc/loadavg, 1 min) before and after, and other_load: per run, the cores
that other processes kept busy meanwhile (/proc/stat).  dmf's time is its
own time_s (the factorization, not the process start) and its CPU time the
process's; pyfaust's are taken around the call in a child process, which is
killed after --timeout seconds (then the line has "timeout": T).
--threads N sets OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS
for both tools (by default each uses its own default).

    bench/bench_palm.py --dmf build/dmf --problems hadamard --sizes 256,512,1024 \\
        --repeats 3 --out bench/results/palm-20261206.jsonl
    bench/bench_palm.py --markdown bench/results/palm-20261206.jsonl > table.md

--match-error: where pyfaust's error is lower than dmf's at the same
iteration counts, dmf is run again with more iterations per PALM (+1 up to
+5, then +5 at a time, at most 4x) until its error is at most pyfaust's,
and that run is one more line ("at_error_of": "pyfaust", its
"iterations_per_palm"): the time dmf needs for pyfaust's error.

pyfaust is optional (bench/comparators/setup_venv.sh installs it): without
it only dmf's lines are printed.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "comparators"))
from common import _busy_cpu_s, cpu_model, env_header, hadamard, rel_error  # noqa: E402
from machine import load_avg  # noqa: E402

import numpy as np  # noqa: E402

ITS = 30


def random_matrix(n):
    A = np.random.default_rng(0).standard_normal((n, n))
    return A / np.linalg.norm(A)


def random_constraints(n):
    """The random problem's (fact, res) constraints as (name, k) pairs."""
    fact = [("splincol", 8)] * 3
    res = [("splincol", n // 4), ("splincol", n // 16), ("splincol", n // 64)]
    return fact, res


def hadamard_constraints(n):
    """`dmf hierarchical --preset hadamard`'s (fact, res) constraints."""
    steps = n.bit_length() - 2
    return [("splincol", 2)] * steps, [("splincol", n // 2 ** (i + 1)) for i in range(steps)]


def dmf_params(n, fact, res, its=ITS):
    def cons(name, k):
        return {"name": name, "nrows": n, "ncols": n, "value": k}
    return {"fact_constraints": [cons(*c) for c in fact], "res_constraints": [cons(*c) for c in res],
            "stop_crit1": {"num_its": its}, "stop_crit2": {"num_its": its}, "is_update_way_R2L": True}


def timed(cmd, env, timeout=None):
    """Runs cmd; returns its stdout, the CPU seconds it used (user + system,
    all threads), and the cores other processes kept busy meanwhile."""
    r0, busy0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), _busy_cpu_s(), time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=timeout, env=env).stdout
    r1, busy1, wall = resource.getrusage(resource.RUSAGE_CHILDREN), _busy_cpu_s(), time.perf_counter() - t0
    cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    return out, cpu, max(0.0, (busy1 - busy0) - cpu) / wall


def run_dmf(dmf, problem, n, dtype, workdir, env, its=ITS):
    cmd = [dmf, "hierarchical", "--dtype", dtype]
    if problem == "hadamard" and its == ITS:
        cmd += ["--matrix", "hadamard", "--size", str(n), "--preset", "hadamard"]
    elif problem == "hadamard":  # the preset's constraints with other iteration counts
        p_path = os.path.join(workdir, f"hadamard{n}-{its}.json")
        with open(p_path, "w") as f:
            json.dump(dmf_params(n, *hadamard_constraints(n), its), f)
        cmd += ["--matrix", "hadamard", "--size", str(n), "--params", p_path]
    else:
        a_path, p_path = os.path.join(workdir, f"random{n}.npy"), os.path.join(workdir, f"random{n}-{its}.json")
        if not os.path.exists(a_path):
            np.save(a_path, random_matrix(n))
        with open(p_path, "w") as f:
            json.dump(dmf_params(n, *random_constraints(n), its), f)
        cmd += ["--input", a_path, "--params", p_path]
    out, cpu, other = timed(cmd, env)
    rec = json.loads(out)
    return rec["time_s"], rec["rel_error"], cpu, other


PYFAUST_CHILD = r"""
import json, os, sys, time
import numpy as np
sys.path.insert(0, sys.argv[4])
from bench_palm import hadamard, random_matrix, random_constraints, ITS
from common import rel_error
from pyfaust.fact import hierarchical
from pyfaust.factparams import ParamsHierarchical, ConstraintList, StoppingCriterion
problem, n, dtype = sys.argv[1], int(sys.argv[2]), sys.argv[3]
A = hadamard(n) if problem == "hadamard" else random_matrix(n)
A = A.astype(np.float32 if dtype == "f32" else np.float64)
if problem == "hadamard":
    p = "hadamard"
else:
    fact, res = random_constraints(n)
    flat = lambda cs: [x for name, k in cs for x in (name, k, n, n)]
    p = ParamsHierarchical(ConstraintList(*flat(fact)), ConstraintList(*flat(res)), StoppingCriterion(num_its=ITS),
                           StoppingCriterion(num_its=ITS), is_update_way_R2L=True, packing_RL=False)
# pyfaust's C++ core prints its progress on file descriptor 1: keep it off the result
sys.stdout.flush()
saved = os.dup(1)
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
start, cpu = time.perf_counter(), time.process_time()
F = hierarchical(A, p)
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
os.dup2(saved, 1)
print(json.dumps({"time_s": elapsed, "cpu_s": cpu, "rel_error": rel_error(A, F.toarray())}), flush=True)
"""


def run_pyfaust(problem, n, dtype, timeout, env):
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.pathsep.join([here, os.path.join(here, "comparators")])
    try:
        out, _, other = timed([sys.executable, "-c", PYFAUST_CHILD, problem, str(n), dtype, path],
                              dict(env, PYTHONPATH=path), timeout)
    except subprocess.TimeoutExpired:
        return None, None, None, None
    rec = json.loads(out.strip().splitlines()[-1])
    return rec["time_s"], rec["rel_error"], rec["cpu_s"], other


def match_error(args, problem, n, workdir, env, target, cpu):
    """dmf with more iterations per PALM (both stopping criteria) until its error is at most
    `target`, pyfaust's at ITS: the record of the first count that gets there (or of the last
    tried, 4 ITS, with "matched": false)."""
    its = ITS
    while its < 4 * ITS:
        its += 1 if its < ITS + 5 else 5
        before = load_avg()[0]
        t, err, cpu_s, other = run_dmf(args.dmf, problem, n, args.dtype, workdir, env, its)
        if err <= target or its >= 4 * ITS:
            break
    return {"tool": "dmf", "problem": f"hierarchical {problem}", "n": n, "dtype": args.dtype,
            "iterations_per_palm": its, "at_error_of": "pyfaust", "matched": err <= target, "target_error": target,
            "time_s": t, "times_s": [t], "cpu_s": cpu_s, "cpu_times_s": [cpu_s], "other_load": [round(other, 2)],
            "threads": args.threads or "default", "rel_error": err, "cpu": cpu, "load_before": before,
            "load_after": load_avg()[0]}


def markdown_row(problem, n, threads, d, p):
    def t(r):
        if not r:
            return "-"
        if r.get("timeout"):
            return f"> {r['timeout']:.0f}"
        ts = r["times_s"]
        return f"{r['time_s']:.3g}" + (f" ({min(ts):.3g}-{max(ts):.3g})" if len(ts) > 1 else "")

    def c(r):
        return f"{r['cpu_s']:.3g}" if r and r.get("cpu_s") is not None else "-"

    def e(r):
        return f"{r['rel_error']:.3e}" if r and r.get("rel_error") is not None else "-"
    ratio, cratio = "-", "-"
    if d and p and p.get("time_s"):
        ratio = f"{p['time_s'] / d['time_s']:.1f}x"
        if p.get("cpu_s") and d.get("cpu_s"):
            cratio = f"{p['cpu_s'] / d['cpu_s']:.1f}x"
    elif d and p and p.get("timeout"):
        ratio = f"> {p['timeout'] / d['time_s']:.0f}x"
    load = " / ".join(f"{r['load_before']:.1f}-{r['load_after']:.1f}" for r in (d, p) if r)
    other = " / ".join(f"{max(r['other_load']):.2f}" for r in (d, p) if r and r.get("other_load"))
    if d.get("at_error_of"):  # dmf with more iterations, against pyfaust's run at ITS
        problem += f" (dmf {d['iterations_per_palm']} iterations{'' if d['matched'] else ', not matched'})"
    print(f"| {problem} | {n} | {threads} | {t(d)} | {c(d)} | {e(d)} | {t(p)} | {c(p)} | {e(p)} | {ratio} | {cratio} "
          f"| {load} | {other} |")


def markdown(path):
    """A table of the JSON lines in `path`: per problem and size, each tool's time (median, min-max)
    and error, the ratios of wall and CPU times."""
    rows = {}
    for line in open(path):
        rec = json.loads(line)
        if "tool" not in rec or "problem" not in rec:
            continue
        tool = rec["tool"] + (" at pyfaust's error" if rec.get("at_error_of") else "")
        rows.setdefault((rec["problem"], rec["n"], rec.get("threads", "default")), {})[tool] = rec
    print("| problem | N | threads | dmf time (s) | dmf CPU (s) | dmf rel. error | pyfaust time (s) | pyfaust CPU (s) "
          "| pyfaust rel. error | pyfaust / dmf (time) | (CPU) | load | other load |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for (problem, n, threads), tools in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2]))):
        p = tools.get("pyfaust")
        for d in (tools.get("dmf"), tools.get("dmf at pyfaust's error")):
            if d:
                markdown_row(problem, n, threads, d, p)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dmf", default="build/dmf", help="the dmf command line")
    p.add_argument("--problems", default="hadamard,random")
    p.add_argument("--sizes", default="256,512,1024", help="sizes of the hadamard problem")
    p.add_argument("--random-sizes", default="1024", help="sizes of the random problem")
    p.add_argument("--dtype", default="f64", choices=["f32", "f64"])
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--pyfaust-repeats", type=int, default=None, help="repeats of pyfaust (default: --repeats)")
    p.add_argument("--timeout", type=float, default=3600, help="seconds before a pyfaust run is given up")
    p.add_argument("--no-pyfaust", action="store_true")
    p.add_argument("--threads", type=int, help="OMP/OPENBLAS/MKL_NUM_THREADS for both tools (default: unset)")
    p.add_argument("--out", help="also append the JSON lines to this file")
    p.add_argument("--match-error", action="store_true",
                   help="where pyfaust's error is lower, also time dmf with as many more iterations per PALM "
                        "as it needs to reach it")
    p.add_argument("--markdown", metavar="JSONL", help="print a markdown table of JSONL and exit")
    args = p.parse_args()
    if args.markdown:
        markdown(args.markdown)
        return
    have_pyfaust = None
    if not args.no_pyfaust:
        try:
            import pyfaust
            have_pyfaust = pyfaust.version()
        except ImportError:
            pass
    out = open(args.out, "a") if args.out else None

    def emit(obj):
        line = json.dumps(obj)
        print(line, flush=True)
        if out:
            out.write(line + "\n")
            out.flush()

    version = subprocess.run([args.dmf, "--version"], capture_output=True, text=True).stdout.split()[-1]
    import io
    import contextlib
    header = io.StringIO()
    with contextlib.redirect_stdout(header):
        env_header("dmf hierarchical vs pyfaust", version, pyfaust=have_pyfaust,
                   omp_num_threads=str(args.threads) if args.threads else os.environ.get("OMP_NUM_THREADS"))
    emit(json.loads(header.getvalue()))
    cpu = cpu_model()
    env = dict(os.environ)
    if args.threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(args.threads)
    cases = []
    for problem in args.problems.split(","):
        sizes = args.sizes if problem == "hadamard" else args.random_sizes
        cases += [(problem, int(s)) for s in sizes.split(",") if s]
    with tempfile.TemporaryDirectory() as workdir:
        for problem, n in cases:
            tools = [("dmf", args.repeats, lambda: run_dmf(args.dmf, problem, n, args.dtype, workdir, env))]
            if have_pyfaust:
                tools.append(("pyfaust", args.pyfaust_repeats or args.repeats,
                              lambda: run_pyfaust(problem, n, args.dtype, args.timeout, env)))
            results = {tool: {"times": [], "cpus": [], "others": [], "err": None, "load": [], "timeout": None}
                       for tool, _, _ in tools}
            # alternate the tools, repeat by repeat
            for r in range(max(reps for _, reps, _ in tools)):
                for tool, reps, fn in tools:
                    res = results[tool]
                    if r >= reps or res["timeout"]:
                        continue
                    before = load_avg()[0]
                    t, err, cpu_s, other = fn()
                    res["load"].append((before, load_avg()[0]))
                    if t is None:
                        res["timeout"] = args.timeout
                    else:
                        res["times"].append(t)
                        res["cpus"].append(cpu_s)
                        res["others"].append(round(other, 2))
                        res["err"] = err
            for tool, _, _ in tools:
                res = results[tool]
                rec = {"tool": tool, "problem": f"hierarchical {problem}", "n": n, "dtype": args.dtype,
                       "iterations_per_palm": ITS,
                       "time_s": statistics.median(res["times"]) if res["times"] else None,
                       "times_s": res["times"], "cpu_s": statistics.median(res["cpus"]) if res["cpus"] else None,
                       "cpu_times_s": res["cpus"], "other_load": res["others"],
                       "threads": args.threads or "default", "rel_error": res["err"], "cpu": cpu,
                       "load_before": res["load"][0][0], "load_after": res["load"][-1][1],
                       "loads": res["load"]}
                if res["timeout"]:
                    rec["timeout"] = res["timeout"]
                emit(rec)
            target = results.get("pyfaust", {}).get("err")
            if args.match_error and target is not None and results["dmf"]["err"] > target:
                emit(match_error(args, problem, n, workdir, env, target, cpu))
    if out:
        out.close()


if __name__ == "__main__":
    main()
