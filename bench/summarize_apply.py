#!/usr/bin/env python3
"""Markdown tables of a file of bench_apply runs (JSON lines), one table per
run (each starts with its env line): per N and number of vectors, dmf's time per call (median, min-max), the dense zgemm's, dmf's
speedup, the difference from the dense product and the load average of the
dmf line.  Every number comes from the file given.

    python3 bench/summarize_apply.py bench/results/apply-DATE.jsonl > bench/results/apply-DATE.md
"""
import json
import sys


def ms(seconds):
    return f"{seconds * 1e3:.3g}"


def table(path, env, rows):
    print(f"## {env.get('threads', '?')} threads\n")
    print(f"{env.get('cpu', '?')}, {env.get('blas', '?')}, dmf {env.get('version', '?')}, {env.get('date', '?')}.  "
          "Times per call in ms: median (min-max) of the repeats; dmf and the dense zgemm take turns "
          "in each repeat.\n")
    print("| N | vectors | dmf ms | dense zgemm ms | dmf speedup | dmf GFlop/s | rel. diff. | load 1/5/15 min |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for (n, nvec) in sorted(rows):
        r = rows[(n, nvec)]
        d, z = r.get("dmf"), r.get("dense-zgemm")
        if not d:
            continue
        dense = "not run" if not z or "skipped" in z else f"{ms(z['time_s'])} ({ms(z['min_time_s'])}-{ms(z['max_time_s'])})"
        speed = f"{d['speedup_vs_dense']:.3g}x" if "speedup_vs_dense" in d else "-"
        err = f"{d['rel_error']:.1e}" if "rel_error" in d else "-"
        load = "/".join(f"{x:.2f}" for x in d.get("load_avg", []))
        print(f"| {n} | {nvec} | {ms(d['time_s'])} ({ms(d['min_time_s'])}-{ms(d['max_time_s'])}) | {dense} | "
              f"{speed} | {d['gflops']:.3g} | {err} | {load} |")
    skipped = [(n, v) for (n, v) in sorted(rows) if "skipped" in rows[(n, v)].get("dense-zgemm", {})]
    if skipped:
        n, v = skipped[0]
        limit = rows[(n, v)]["dense-zgemm"]["skipped"].split(">")[1].strip()
        print(f"\nDense products not run ({limit}): " + ", ".join(f"N = {n}, {v} vectors" for (n, v) in skipped) + ".")
    print()


def main(path):
    runs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            rec = json.loads(line)
            if "env" in rec:
                runs.append((rec["env"], {}))
                continue
            if rec.get("bench") != "apply" or not runs:
                continue
            runs[-1][1].setdefault((rec["n"], rec["nvec"]), {})[rec["tool"]] = rec
    print(f"# Apply, DFT-bitrev c128, balanced chain ({path.split('/')[-1]})\n")
    for env, rows in runs:
        table(path, env, rows)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
