#!/usr/bin/env python3
"""Several builds of dmf against each other in one sitting: each round runs
every build's bench_butterfly on every case in turn, so a change of the
machine's state falls on all of them.  Sittings of a shared machine differ
(the same binary has run 15-20 % apart an hour later); a comparison holds
within one run of this script.

    bench/ab_builds.py --builds old=path/to/bench_butterfly,new=build/bench/bench_butterfly
        [--cases dft-bitrev:c128:8192,hadamard:f64:8192] [--trees r2l]
        [--rounds 5] [--repeats 5] > bench/results/ab-DATE.jsonl
    bench/ab_builds.py --summarize bench/results/ab-DATE.jsonl > ....md

One JSON line per (round, build, case, tree): bench_butterfly's own line
(time_s: the median of --repeats calls; rel_error; load; CPU model) with
"build", "round" and the binary's path added.  The summary gives, per case
and tree, each build's median time_s over the rounds (min-max) and its
rel_error.  Standard library only.
"""
import argparse
import json
import statistics
import subprocess
import sys


def run(args):
    builds = [b.split("=", 1) for b in args.builds.split(",")]
    cases = [c.split(":") for c in args.cases.split(",")]
    for label, path in builds:
        if len(label) == 0 or not path:
            sys.exit("ab_builds: --builds wants label=path,...")
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
        key = (r["matrix"], r["dtype"], r["n"], r["tree"])
        groups.setdefault(key, {}).setdefault(r["build"], []).append(r)
    loads = [r["load_avg"][0] for r in rows if "load_avg" in r]
    print(f"# Builds against each other ({path.split('/')[-1]})\n")
    if loads:
        print(f"{rows[0].get('cpu', '')}, 1-minute load {min(loads):.2f}-{max(loads):.2f}; "
              f"time_s: median over the rounds of each round's median (min-max).\n")
    print("| matrix | N | dtype | tree | build | time_s | rel_error | rounds |")
    print("| --- | ---: | --- | --- | --- | ---: | ---: | ---: |")
    for (matrix, dtype, n, tree), per_build in groups.items():
        for build, recs in per_build.items():
            t = [x["time_s"] for x in recs]
            print(f"| {matrix} | {n} | {dtype} | {tree} | {build} | {statistics.median(t):.4g} "
                  f"({min(t):.4g}-{max(t):.4g}) | {recs[0]['rel_error']:.2e} | {len(t)} |")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--builds")
    p.add_argument("--cases", default="dft-bitrev:c128:8192,hadamard:f64:8192")
    p.add_argument("--trees", default="r2l")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--repeats", type=int, default=5)
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
