#!/usr/bin/env python3
"""Several builds of dmf against each other in one sitting: each round runs
every build's bench_butterfly on every case in turn, so a change of the
machine's state falls on all of them.  Sittings of a shared machine differ
(the same binary has run 15-20 % apart an hour later); a comparison holds
within one run of this script.

    bench/ab_builds.py --builds old=path/to/bench_butterfly,new=build/bench/bench_butterfly
        [--cases dft-bitrev:c128:8192,hadamard:f64:8192] [--trees r2l]
        [--rounds 5] [--repeats 5] > bench/results/ab-DATE.jsonl
    bench/ab_builds.py --cli --builds old=path/to/dmf,new=build/dmf
        --cases dft-bitrev:c128:4096:2,hadamard:f64:1024:2:0.1 ...
    bench/ab_builds.py --summarize bench/results/ab-DATE.jsonl > ....md

One JSON line per (round, build, case, tree): bench_butterfly's own line
(time_s: the median of --repeats calls; rel_error; load; CPU model) with
"build", "round" and the binary's path added.  With --cli the builds are
`dmf` executables, a case may add a rank and a noise level
(matrix:dtype:size[:rank[:noise]]), and each call is a `dmf butterfly
factor --no-out --no-error` process whose reported time_s (the
factorization alone) is taken; rel_error then comes from one more call
with the error pass.  The summary gives, per case and tree, each build's
median time_s over the rounds (min-max) and its rel_error.  Standard
library only.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "comparators"))
from machine import cpu_model, load_avg  # noqa: E402  (standard library only)


def cli_factor(path, matrix, dtype, size, tree, rank, noise, error):
    cmd = [path, "butterfly", "factor", "--matrix", matrix, "--dtype", dtype, "--size", size, "--tree", tree,
           "--rank", rank, "--noise", noise, "--backend", "cpu", "--no-out"] + ([] if error else ["--no-error"])
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"ab_builds: {' '.join(cmd)} failed: {out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_cli(args, builds, cases):
    for r in range(args.rounds):
        for case in cases:
            matrix, dtype, size = case[:3]
            rank = case[3] if len(case) > 3 else "1"
            noise = case[4] if len(case) > 4 else "0"
            for tree in args.trees.split(","):
                for label, path in builds:
                    times = [cli_factor(path, matrix, dtype, size, tree, rank, noise, False)["time_s"]
                             for _ in range(args.repeats)]
                    report = cli_factor(path, matrix, dtype, size, tree, rank, noise, True)
                    rec = {"bench": "butterfly-cli", "tool": "dmf", "matrix": matrix, "n": int(size), "dtype": dtype,
                           "tree": tree, "rank": int(rank), "noise": float(noise),
                           "time_s": statistics.median(times), "min_time_s": min(times), "repeats": len(times),
                           "rel_error": report["rel_error"], "blocks_iterative": report["blocks_iterative"],
                           "blocks_dense_svd": report["blocks_dense_svd"], "threads": report.get("threads"),
                           "cpu": cpu_model(), "load_avg": load_avg(), "build": label, "binary": path, "round": r}
                    print(json.dumps(rec), flush=True)


def run(args):
    builds = [b.split("=", 1) for b in args.builds.split(",")]
    cases = [c.split(":") for c in args.cases.split(",")]
    for label, path in builds:
        if len(label) == 0 or not path:
            sys.exit("ab_builds: --builds wants label=path,...")
    if any(len(c) < 3 or len(c) > (5 if args.cli else 3) for c in cases):
        sys.exit("ab_builds: a case is matrix:dtype:size (with --cli, then :rank[:noise])")
    if args.cli:
        return run_cli(args, builds, cases)
    for r in range(args.rounds):
        for matrix, dtype, size in cases:
            for label, path in builds:
                cmd = [path, "--matrix", matrix, "--dtype", dtype, "--size", size, "--trees", args.trees,
                       "--repeats", str(args.repeats)]
                out = subprocess.run(cmd, capture_output=True, text=True)
                if out.returncode != 0:
                    sys.exit(f"ab_builds: {' '.join(cmd)} failed: {out.stderr.strip()}")
                for line in out.stdout.splitlines():
                    rec = json.loads(line)
                    if "tree" not in rec:
                        continue
                    rec.update({"build": label, "binary": path, "round": r})
                    print(json.dumps(rec), flush=True)


def summarize(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    groups = {}
    for r in rows:
        key = (r["matrix"], r["dtype"], r["n"], r["tree"], r.get("rank", 1), r.get("noise", 0))
        groups.setdefault(key, {}).setdefault(r["build"], []).append(r)
    loads = [r["load_avg"][0] for r in rows if "load_avg" in r]
    print(f"# Builds against each other ({path.split('/')[-1]})\n")
    if loads:
        print(f"{rows[0].get('cpu', '')}, 1-minute load {min(loads):.2f}-{max(loads):.2f}; "
              f"time_s: median over the rounds of each round's median (min-max).\n")
    print("| matrix | N | dtype | tree | rank | noise | build | time_s | rel_error | rounds |")
    print("| --- | ---: | --- | --- | ---: | ---: | --- | ---: | ---: | ---: |")
    for (matrix, dtype, n, tree, rank, noise), per_build in groups.items():
        for build, recs in per_build.items():
            t = [x["time_s"] for x in recs]
            print(f"| {matrix} | {n} | {dtype} | {tree} | {rank} | {noise:g} | {build} | {statistics.median(t):.4g} "
                  f"({min(t):.4g}-{max(t):.4g}) | {recs[0]['rel_error']:.3e} | {len(t)} |")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--builds")
    p.add_argument("--cases", default="dft-bitrev:c128:8192,hadamard:f64:8192")
    p.add_argument("--trees", default="r2l")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--cli", action="store_true", help="the builds are dmf executables; cases may add :rank[:noise]")
    p.add_argument("--summarize")
    args = p.parse_args()
    if args.summarize:
        summarize(args.summarize)
    elif args.builds:
        run(args)
    else:
        p.error("give --builds or --summarize")


if __name__ == "__main__":
    main()
