#!/usr/bin/env python3
"""Butterflies behind unknown permutations: dmf's search against pyfaust.

For every size of --sizes, two inputs (c128):

dft      the natural-order DFT (a chain up to the bit reversal of its columns)
chain    a random chain (Gaussian factors, radix 2) under uniformly random row
         and column permutations

and, taking turns within every repeat (the order rotates, so a load spike
hits all alike):

dmf-auto        dmf.butterfly_factor(A, perm_rows='auto', perm_cols='auto')
                (balanced tree): the search, the permuted copy and the
                factorization; search_s and factor_s (the factorization's
                own time_s) apart
dmf-ordered     dmf.butterfly_factor of the already-ordered matrix (the chain
                before shuffling, or the bit-reversed DFT): what auto costs
                on top of a factorization
cli-auto        dmf butterfly factor --input A.npy --perm-rows auto
                --perm-cols auto (with --cli): the library's own path, which
                factors through the permutations without a permuted copy;
                time_s = perm_time_s + the factorization's time_s (the .npy
                load and the error pass are not in it)
cli-ordered     dmf butterfly factor --input B.npy: its time_s
pyfaust-bitrev  pyfaust.fact.butterfly(A, type='bbtree', perm='bitrev')
pyfaust-default8  the same with perm='default_8' (pyfaust tries 8
                candidate permutations and keeps the best)
zheng           (with --zheng CHECKOUT, N <= --zheng-max) the clustering
                heuristic of Zheng, Puy, Riccietti, Perez & Gribonval
                (github.com/leonzheng2/permutation-butterfly, PyTorch):
                solve_square_butterfly_with_permutation with the defaults of
                its own script (alpha 1e-2 ... 1e2, 20 alternating
                iterations, one guess, reduction 'sum'); a run that finds no
                valid cluster tree is a failure (rel_error null)

rel_error = ||A - product||_F / ||A||_F against A itself.  Every line
carries the CPU model, threads, load averages and the versions.  pyfaust
lines are left out when pyfaust is not importable (bench/comparators/
setup_venv.sh installs it); the permutation-butterfly code of Zheng et al.
is not run here (it needs PyTorch and has no command for these inputs).

    bench/.venv/bin/python bench/bench_permutations.py --cli build/dmf --out bench/results/perm-DATE.jsonl
    bench/.venv/bin/python bench/bench_permutations.py --summarize FILE.jsonl > FILE.md
"""
import argparse
import contextlib
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import dmf

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "comparators"))
from common import cpu_model  # noqa: E402  (the comparators' own helpers)

try:
    import pyfaust
    import pyfaust.fact
except ImportError:  # comparators are optional
    pyfaust = None


def commit():
    """The dmf sources' commit, when they are a git checkout."""
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        return subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


COMMIT = commit()


def env():
    return {"cpu": cpu_model(), "threads": os.cpu_count(), "loadavg": list(os.getloadavg()),
            "dmf": dmf.__version__, "dmf_module": os.path.dirname(dmf.__file__), "commit": COMMIT,
            "numpy": np.__version__, "pyfaust": pyfaust.version() if pyfaust else None,
            "python": platform.python_version()}


def rel_error(A, D):
    return float(np.linalg.norm(A - D) / np.linalg.norm(A))


def inputs(n, seed):
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    # Exponents reduced mod n first: exp of large arguments loses digits.
    dft = np.exp(-2j * np.pi * (np.outer(k, k) % n) / n) / np.sqrt(n)
    ordered_dft = dft[:, dmf.digit_reversal([2] * (n.bit_length() - 1))]
    chain = dmf.matrix("random-chain", n, dtype="c128", seed=seed)
    shuffled = chain[rng.permutation(n)][:, rng.permutation(n)]
    return {"dft": (np.ascontiguousarray(dft), np.ascontiguousarray(ordered_dft)),
            "chain": (np.ascontiguousarray(shuffled), chain)}


def run_dmf_auto(A):
    t0 = time.perf_counter()
    chain = dmf.butterfly_factor(A, perm_rows="auto", perm_cols="auto", compute_error=False, backend="cpu")
    t1 = time.perf_counter()
    search = chain.report["perm_search"]
    return {"time_s": t1 - t0, "search_s": search["time_s"], "factor_s": chain.report["time_s"],
            "rel_error": chain.rel_error(A), "min_score": search["min_score"]}


def run_dmf_ordered(B):
    t0 = time.perf_counter()
    chain = dmf.butterfly_factor(B, compute_error=False, backend="cpu")
    t1 = time.perf_counter()
    return {"time_s": t1 - t0, "rel_error": chain.rel_error(B)}


def run_cli(cli, path, auto):
    cmd = [cli, "butterfly", "factor", "--input", path, "--backend", "cpu", "--no-out"]
    if auto:
        cmd += ["--perm-rows", "auto", "--perm-cols", "auto"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    d = json.loads(out.strip().splitlines()[-1])
    r = {"time_s": d["time_s"] + d.get("perm_time_s", 0.0), "rel_error": d["rel_error"]}
    if auto:
        r.update(search_s=d["perm_search"]["time_s"], factor_s=d["time_s"], min_score=d["perm_search"]["min_score"])
    return r


def run_pyfaust(A, perm):
    X = np.asfortranarray(A)
    t0 = time.perf_counter()
    F = pyfaust.fact.butterfly(X, type="bbtree", perm=perm)
    t1 = time.perf_counter()
    return {"time_s": t1 - t0, "rel_error": rel_error(A, F.toarray())}


SUCCESS = 1e-10  # rel_error of a recovered factorization (the tests' bound)


def load_zheng(checkout):
    """The comparator's solver module, imported from its checkout."""
    sys.path.insert(0, os.path.abspath(checkout))
    import torch
    import src.solver as zheng_solver
    torch.set_num_threads(os.cpu_count())
    return torch, zheng_solver


def run_zheng(zheng, A):
    torch, solver = zheng
    target = torch.from_numpy(A)
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        ok, found = solver.solve_square_butterfly_with_permutation(
            target, alpha_list=[1e-2, 1e-1, 1, 1e1, 1e2], n_reinitialize=1, n_alternate_iter=20, reduction="sum")
    t1 = time.perf_counter()
    err = rel_error(A, found[0].numpy()) if ok else None
    return {"time_s": t1 - t0, "rel_error": err, "valid_cluster_trees": bool(ok)}


def measure(args):
    out = open(args.out, "a") if args.out else sys.stdout
    print(json.dumps({"env": env(), "args": vars(args)}), file=out, flush=True)
    tools = ["dmf-auto", "dmf-ordered"] + (["cli-auto", "cli-ordered"] if args.cli else []) + \
        (["pyfaust-bitrev", "pyfaust-default8"] if pyfaust and not args.no_pyfaust else []) + \
        (["zheng"] if args.zheng else [])
    zheng = load_zheng(args.zheng) if args.zheng else None
    tmp = tempfile.mkdtemp(prefix="bench-perm-")
    for n in args.sizes:
        data = inputs(n, args.seed)
        files = {}
        if args.cli:
            for matrix, (A, B) in data.items():
                files[matrix] = (os.path.join(tmp, f"{matrix}-A.npy"), os.path.join(tmp, f"{matrix}-B.npy"))
                np.save(files[matrix][0], A)
                np.save(files[matrix][1], B)
        for rep in range(args.repeats):
            order = tools[rep % len(tools):] + tools[:rep % len(tools)]
            for matrix, (A, B) in data.items():
                for tool in order:
                    if tool.startswith("pyfaust") and n > args.pyfaust_max:
                        continue
                    if tool == "pyfaust-default8" and n > args.default8_max:
                        continue
                    if tool == "zheng" and n > args.zheng_max:
                        continue
                    if tool == "dmf-auto":
                        r = run_dmf_auto(A)
                    elif tool == "dmf-ordered":
                        r = run_dmf_ordered(B)
                    elif tool in ("cli-auto", "cli-ordered"):
                        r = run_cli(args.cli, files[matrix][0 if tool == "cli-auto" else 1], tool == "cli-auto")
                    elif tool == "zheng":
                        r = run_zheng(zheng, A)
                    else:
                        r = run_pyfaust(A, "bitrev" if tool == "pyfaust-bitrev" else "default_8")
                    line = {"matrix": matrix, "n": n, "tool": tool, "repeat": rep, **r, "env": env()}
                    print(json.dumps(line), file=out, flush=True)
                    error = "failed" if r["rel_error"] is None else f"{r['rel_error']:.2e}"
                    print(f"{matrix} {n} {tool}: {r['time_s']:.4g} s, error {error}", file=sys.stderr)
        for paths in files.values():
            for path in paths:
                os.remove(path)
    os.rmdir(tmp)


def succeeded(r):
    return r["rel_error"] is not None and r["rel_error"] <= SUCCESS


def summarize(path):
    rows = {}
    header = None
    for line in open(path):
        d = json.loads(line)
        if "env" in d and "tool" not in d:
            header = d["env"]
            continue
        rows.setdefault((d["matrix"], d["n"], d["tool"]), []).append(d)

    def med(rs, key):
        return statistics.median([r[key] for r in rs])

    def fastest_comparator(matrix, n):
        """(tool, median time) of the fastest comparator that succeeded on every repeat."""
        best = None
        for (m, k, tool), rs in rows.items():
            if m == matrix and k == n and not tool.startswith(("dmf", "cli")) and all(map(succeeded, rs)):
                if best is None or med(rs, "time_s") < best[1]:
                    best = (tool, med(rs, "time_s"))
        return best

    print(f"Recorded by bench/bench_permutations.py ({path}); CPU {header['cpu'] if header else '?'}, "
          f"{header['threads'] if header else '?'} threads, dmf commit {header.get('commit') if header else '?'}; "
          "times are medians [min, max] over repeats.\n")
    print(f"success: repeats with rel_error <= {SUCCESS:g} (against A itself). auto / ordered: the median time "
          "over the ordered factorization's through the same interface (dmf-auto over dmf-ordered, cli-auto "
          "over cli-ordered). fastest comparator / this: the median time of the fastest comparator that "
          "succeeded on every repeat (named), over this line's; 'none succeeded' when no comparator that ran at this size did.\n")
    print("| matrix | N | tool | time s | search s | factor s | rel_error | success | auto / ordered "
          "| fastest comparator / this |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for (matrix, n, tool), rs in sorted(rows.items()):
        t = [r["time_s"] for r in rs]
        ordered = {"dmf-auto": "dmf-ordered", "cli-auto": "cli-ordered"}.get(tool)
        ratio = f"{med(rs, 'time_s') / med(rows[(matrix, n, ordered)], 'time_s'):.1f}x" \
            if ordered and (matrix, n, ordered) in rows else ""
        faster = ""
        if tool.startswith(("dmf", "cli")):
            best = fastest_comparator(matrix, n)
            ran = sorted(t for (m, k, t) in rows if m == matrix and k == n and not t.startswith(("dmf", "cli")))
            faster = f"{best[1] / med(rs, 'time_s'):.1f}x ({best[0]})" if best else \
                f"none succeeded ({', '.join(ran)} ran)"
        search = f"{med(rs, 'search_s'):.4g}" if "search_s" in rs[0] else ""
        factor = f"{med(rs, 'factor_s'):.4g}" if "factor_s" in rs[0] else ""
        errors = [r["rel_error"] for r in rs if r["rel_error"] is not None]
        error = f"{max(errors):.2e}" if errors else "failed"
        print(f"| {matrix} | {n} | {tool} | {statistics.median(t):.4g} [{min(t):.4g}, {max(t):.4g}] | "
              f"{search} | {factor} | {error} | {sum(map(succeeded, rs))}/{len(rs)} | {ratio} | {faster} |")
    loads = [r["env"]["loadavg"][0] for rs in rows.values() for r in rs]
    print(f"\n1-minute load average during the run: {min(loads):.2f} to {max(loads):.2f}.")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pyfaust-max", type=int, default=4096, help="largest N given to pyfaust")
    ap.add_argument("--default8-max", type=int, default=2048,
                    help="largest N given to pyfaust's default_8 (about 22 s per call at 2048)")
    ap.add_argument("--no-pyfaust", action="store_true")
    ap.add_argument("--zheng", metavar="CHECKOUT", help="a checkout of leonzheng2/permutation-butterfly")
    ap.add_argument("--zheng-max", type=int, default=128,
                    help="largest N given to it (about 1 min per call at 128, 5 min at 256)")
    ap.add_argument("--cli", help="the dmf command line, for the cli-auto and cli-ordered lines")
    ap.add_argument("--out")
    ap.add_argument("--summarize", metavar="FILE")
    args = ap.parse_args()
    if args.summarize:
        summarize(args.summarize)
    else:
        measure(args)


if __name__ == "__main__":
    main()
