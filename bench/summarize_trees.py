#!/usr/bin/env python3
"""Markdown table of bench/run_trees.sh's JSON lines: per matrix, size and
tree the median time, passes, the tree's time over balanced's (same
process), error and peak memory over the input."""
import json
import sys


def fmt(x, digits=4):
    return f"{x:.{digits}g}" if isinstance(x, (int, float)) else ""


def main(path):
    envs, lines = [], []
    with open(path) as f:
        for line in f:
            if not line.startswith("{"):
                continue
            rec = json.loads(line)
            if "env" in rec:
                envs.append(rec["env"])
            elif rec.get("bench") == "butterfly":
                lines.append(rec)
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


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: summarize_trees.py FILE.jsonl")
    main(sys.argv[1])
