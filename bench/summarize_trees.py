#!/usr/bin/env python3
"""Markdown tables of bench/run_trees.sh's JSON lines: per matrix, size and
tree the median time, passes, the tree's time over balanced's (same
process), error and peak memory over the input; then bench_reads' lines,
the roots' read patterns in passes of that process's streaming read."""
import json
import sys


def fmt(x, digits=4):
    return f"{x:.{digits}g}" if isinstance(x, (int, float)) else ""


def main(path):
    envs, lines, reads = [], [], []
    with open(path) as f:
        for line in f:
            if not line.startswith("{"):
                continue
            rec = json.loads(line)
            if "env" in rec:
                envs.append(rec["env"])
            elif rec.get("bench") == "butterfly":
                lines.append(rec)
            elif rec.get("bench") == "reads":
                reads.append(rec)
    balanced = {(r["matrix"], r["n"], r["dtype"]): r["time_s"] for r in lines
                if r.get("tree") == "balanced" and "time_s" in r}
    env = envs[0] if envs else {}
    print(f"# Trees ({path.split('/')[-1]})\n")
    print(f"dmf {env.get('version')} on {env.get('cpu')}, {env.get('threads')} threads, "
          f"{env.get('blas')}, from {env.get('date')}.  time_s: median of the repeats (the whole call, "
          "input checks included, no error pass); passes: time_s over one streaming read of the input "
          "on every thread, measured in the same process; peak / input: (peak RSS - the process "
          "before the input) / the input's size; load: the 1-minute load average when the line was "
          "written.\n")
    print("| matrix | N | dtype | tree | time_s | min | passes | tree / balanced | rel_error | peak / input | load |")
    print("| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in lines:
        key = (r["matrix"], r["n"], r["dtype"])
        if "time_s" not in r:
            print(f"| {r['matrix']} | {r['n']} | {r['dtype']} | {r['tree']} | {r.get('error', 'failed')} "
                  "| | | | | | |")
            continue
        ratio = r["time_s"] / balanced[key] if balanced.get(key) else None
        peak = (r["peak_rss_mib"] - r.get("base_rss_mib", 0)) / r["input_mib"]
        load = r.get("load_avg", [None])[0]
        print(f"| {r['matrix']} | {r['n']} | {r['dtype']} | {r['tree']} | {fmt(r['time_s'])} | "
              f"{fmt(r['min_time_s'])} | {r['passes']:.1f} | {ratio:.2f}x | {r['rel_error']:.1e} | "
              f"{peak:.2f} | {fmt(load, 2)} |")
    if not reads:
        return
    print("\nThe roots' reads (bench_reads, after each size's trees): runs of `run` bytes of every "
          "`step`-th row by column strips and bands of `band` rows, prefetched as dmf's splits do; "
          "2048 bytes by bands is the balanced root's tiles, 512 (c128) or 256 (f64) bytes of every "
          "other row r2l's root.  passes: over a streaming read in the same process.\n")
    print("| N | dtype | pattern | run | step | band | time_s | GB/s | passes | load |")
    print("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in reads:
        root = "stream" if r["pattern"] == "stream" else ("balanced root" if r.get("row_step") == 1 else "r2l root")
        print(f"| {r['n']} | {r['dtype']} | {root} | {r.get('run_bytes', '')} | {r.get('row_step', '')} | "
              f"{r.get('band_rows', '')} | {fmt(r['time_s'])} | {fmt(r['gb_per_s'], 3)} | {r['passes']:.2f} | "
              f"{fmt(r.get('load_avg', [None])[0], 2)} |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: summarize_trees.py FILE.jsonl")
    main(sys.argv[1])
