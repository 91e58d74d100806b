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
pyfaust-bitrev  pyfaust.fact.butterfly(A, type='bbtree', perm='bitrev')
pyfaust-default8  the same with perm='default_8' (pyfaust tries 8
                candidate permutations and keeps the best)

rel_error = ||A - product||_F / ||A||_F against A itself.  Every line
carries the CPU model, threads, load averages and the versions.  pyfaust
lines are left out when pyfaust is not importable (bench/comparators/
setup_venv.sh installs it); the permutation-butterfly code of Zheng et al.
is not run here (it needs PyTorch and has no command for these inputs).

    bench/.venv/bin/python bench/bench_permutations.py --out bench/results/perm-DATE.jsonl
    bench/.venv/bin/python bench/bench_permutations.py --summarize FILE.jsonl > FILE.md
"""
import argparse
import json
import os
import platform
import statistics
import sys
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


def env():
    return {"cpu": cpu_model(), "threads": os.cpu_count(), "loadavg": list(os.getloadavg()),
            "dmf": dmf.__version__, "numpy": np.__version__,
            "pyfaust": pyfaust.version() if pyfaust else None, "python": platform.python_version()}


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


def run_pyfaust(A, perm):
    X = np.asfortranarray(A)
    t0 = time.perf_counter()
    F = pyfaust.fact.butterfly(X, type="bbtree", perm=perm)
    t1 = time.perf_counter()
    return {"time_s": t1 - t0, "rel_error": rel_error(A, F.toarray())}


def measure(args):
    out = open(args.out, "a") if args.out else sys.stdout
    print(json.dumps({"env": env(), "args": vars(args)}), file=out, flush=True)
    tools = ["dmf-auto", "dmf-ordered"] + (["pyfaust-bitrev", "pyfaust-default8"] if pyfaust and not args.no_pyfaust else [])
    for n in args.sizes:
        data = inputs(n, args.seed)
        for rep in range(args.repeats):
            order = tools[rep % len(tools):] + tools[:rep % len(tools)]
            for matrix, (A, B) in data.items():
                for tool in order:
                    if tool.startswith("pyfaust") and n > args.pyfaust_max:
                        continue
                    if tool == "pyfaust-default8" and n > args.default8_max:
                        continue
                    if tool == "dmf-auto":
                        r = run_dmf_auto(A)
                    elif tool == "dmf-ordered":
                        r = run_dmf_ordered(B)
                    else:
                        r = run_pyfaust(A, "bitrev" if tool == "pyfaust-bitrev" else "default_8")
                    line = {"matrix": matrix, "n": n, "tool": tool, "repeat": rep, **r, "env": env()}
                    print(json.dumps(line), file=out, flush=True)
                    print(f"{matrix} {n} {tool}: {r['time_s']:.3f} s, error {r['rel_error']:.2e}", file=sys.stderr)


def summarize(path):
    rows = {}
    header = None
    for line in open(path):
        d = json.loads(line)
        if "env" in d and "tool" not in d:
            header = d["env"]
            continue
        rows.setdefault((d["matrix"], d["n"], d["tool"]), []).append(d)
    print(f"Recorded by bench/bench_permutations.py ({path}); CPU {header['cpu'] if header else '?'}, "
          f"{header['threads'] if header else '?'} threads; times are medians [min, max] over repeats.\n")
    print("| matrix | N | tool | time s | search s | rel_error | vs dmf-auto |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for (matrix, n, tool), rs in sorted(rows.items()):
        t = [r["time_s"] for r in rs]
        auto = rows.get((matrix, n, "dmf-auto"))
        ratio = statistics.median(t) / statistics.median([r["time_s"] for r in auto]) if auto else float("nan")
        search = statistics.median([r["search_s"] for r in rs]) if "search_s" in rs[0] else None
        print(f"| {matrix} | {n} | {tool} | {statistics.median(t):.3f} [{min(t):.3f}, {max(t):.3f}] | "
              f"{'' if search is None else f'{search:.3f}'} | {max(r['rel_error'] for r in rs):.2e} | {ratio:.2g}x |")
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
    ap.add_argument("--out")
    ap.add_argument("--summarize", metavar="FILE")
    args = ap.parse_args()
    if args.summarize:
        summarize(args.summarize)
    else:
        measure(args)


if __name__ == "__main__":
    main()
