#!/usr/bin/env python3
"""Markdown table from benchmark JSON lines: per (matrix, n, tree) the time
and error of each tool and dmf's speedup over each comparator, all from the
same file (so from the same run)."""
import json
import sys
from collections import defaultdict


def main(path):
    rows = defaultdict(dict)
    envs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            rec = json.loads(line)
            if "env" in rec:
                envs.append(rec["env"])
                continue
            if rec.get("bench") != "butterfly":
                continue
            rows[(rec["matrix"], rec["n"], rec["tree"])][rec["tool"]] = rec
    tools = sorted({t for r in rows.values() for t in r if t != "dmf"})
    seen = set()
    for e in envs:
        key = (e.get("tool"), e.get("version"))
        if key not in seen:
            seen.add(key)
            print(f"- {e.get('tool')} {e.get('version')}: cpu {e.get('cpu')}, threads {e.get('threads')}, {e.get('date')}")
    print()
    head = ["matrix", "n", "tree", "dmf s", "dmf err", "passes", "peak/input"]
    for t in tools:
        head += [f"{t} s", f"{t} err", f"speedup vs {t}"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for (matrix, n, tree), r in sorted(rows.items()):
        d = r.get("dmf", {})
        cells = [matrix, str(n), tree, fmt(d.get("time_s")), fmt(d.get("rel_error")), fmt(d.get("passes")),
                 fmt((d["peak_rss_mib"] - d.get("base_rss_mib", 0)) / d["input_mib"]) if d.get("input_mib") else ""]
        for t in tools:
            c = r.get(t, {})
            speed = d.get("time_s") and c.get("time_s") and c["time_s"] / d["time_s"]
            status = c.get("error", "").split(":")[0] if "error" in c else ""
            cells += [fmt(c.get("time_s")) if not status else status, fmt(c.get("rel_error")),
                      fmt(speed) + ("x" if speed else "")]
        print("| " + " | ".join(cells) + " |")


def fmt(x):
    if x is None or x == "":
        return ""
    if isinstance(x, str):
        return x
    return f"{x:.3g}"


if __name__ == "__main__":
    main(sys.argv[1])
