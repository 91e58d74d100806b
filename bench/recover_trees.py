#!/usr/bin/env python3
"""Time of `dmf recover` on convolutional Haar trees against N and K: the
tree of depth K on R^N has 2^K leaves (2^K leaf-root paths) and two edges
{0, 2^(k-1)} into every node of depth k - 1.  X is given as its leaf kernels
(`dmf synth-network --kernels`, `dmf recover --kernels`: 2^K x N numbers, X
itself is N x N 2^K); the per-edge solver runs (`--solver auto`).  Where the
dense X is small (<= 64 MiB) the same problem is also timed from X with the
per-layer solver and with the per-edge one, for comparison.

Every measurement is the wall time of the whole command (reading the
network and the data, the recovery with its default 10 starts, the
distances to the truth and the stability bounds), repeated; one JSON line
per (network, noise, form) with the median, min and max over the repeats,
delta_2 and the relative residual of the best start, and on every line the
CPU model and the load average (1 min) before and after.  Standard library
only.

    bench/recover_trees.py [--dmf build/dmf] [--repeats 5] [--quick]
                           [--out results.jsonl] [--md summary.md]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "comparators"))
from machine import cpu_model, load_avg  # noqa: E402  (standard library only)


def haar_tree(N, K):
    edges, level = [], ["r"]
    for k in range(K):
        nxt = []
        for p in level:
            for b in "01":
                nxt.append(p + b)
                edges.append({"from": p + b, "to": p, "support": {"dilated": k}})
        level = nxt
    return {"type": "conv", "N": N, "root": "r", "edges": edges}


def run(dmf, *args):
    start = time.perf_counter()
    done = subprocess.run([dmf, *map(str, args)], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"dmf {' '.join(map(str, args))} exited {done.returncode}: {done.stderr}")
    return json.loads(done.stdout.splitlines()[-1]), wall


def measure(dmf, net, data_args, truth, repeats):
    walls, inside, loads = [], [], []
    rec = None
    for _ in range(repeats):
        before = load_avg()[0]
        rec, wall = run(dmf, "recover", net, *data_args, "--truth", truth)
        walls.append(wall)
        inside.append(rec["time_s"])
        loads.append([round(before, 2), round(load_avg()[0], 2)])
    return rec, walls, inside, loads


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dmf", default=os.path.join(os.path.dirname(__file__), "..", "build", "dmf"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="N = 256 and 4096 only, 3 repeats")
    ap.add_argument("--out", help="also append the JSON lines to this file")
    ap.add_argument("--md", help="write a Markdown table of the results")
    a = ap.parse_args()
    sizes = [(N, K) for N in (256, 1024, 4096) for K in (4, 6, 8, 10) if 2 ** (K - 1) < N]
    if a.quick:
        sizes = [(256, 4), (256, 8), (4096, 10)]
        a.repeats = min(a.repeats, 3)
    out = open(a.out, "a") if a.out else None
    version = subprocess.run([a.dmf, "--version"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or None
    env = {"tool": "dmf recover (Haar trees)", "dmf": version, "commit": commit, "host": platform.node(),
           "cpu": cpu_model(),
           "cores": os.cpu_count(), "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
           "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}

    def emit(line):
        text = json.dumps(line)
        print(text, flush=True)
        if out:
            print(text, file=out, flush=True)

    emit({"env": env})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for N, K in sizes:
            net = os.path.join(tmp, f"tree-{N}-{K}.json")
            with open(net, "w") as f:
                json.dump(haar_tree(N, K), f)
            leaves = 2 ** K
            for noise in (0.0, 1e-6):
                forms = [("kernels", "auto")]
                if N * N * leaves * 8 <= 64 * 2 ** 20:
                    forms += [("dense", "layers"), ("dense", "edges")]
                for form, solver in forms:
                    data = os.path.join(tmp, f"{form}-{N}-{K}-{noise}")
                    synth, _ = run(a.dmf, "synth-network", net, "--seed", 1, "--noise", noise, "--out", data,
                                   *(["--kernels"] if form == "kernels" else []))
                    data_args = ["--kernels", synth["kernels"]] if form == "kernels" else ["--input", synth["x"]]
                    rec, walls, inside, loads = measure(a.dmf, net, data_args + ["--solver", solver], synth["h"],
                                                        a.repeats)
                    line = {"network": f"haar-tree-N{N}-K{K}", "N": N, "K": K, "leaves": leaves, "noise": noise,
                            "input": form, "solver": rec["solver"], "restarts": rec["restarts"],
                            "repeats": a.repeats, "wall_s_median": statistics.median(walls),
                            "wall_s_min": min(walls), "wall_s_max": max(walls),
                            "recover_time_s_median": statistics.median(inside), "delta_2": rec["delta_p"],
                            "d_2": rec["d_p"], "rel_residual": rec["rel_residual"],
                            "total_iterations": rec["total_iterations"], "classes_found": rec["classes_found"],
                            "cpu": env["cpu"], "loadavg_1min": loads, "dmf": version}
                    emit(line)
                    rows.append(line)
    if out:
        out.close()
    if a.md:
        with open(a.md, "w") as f:
            f.write("| N | K | leaves | noise | input | solver | wall s (median [min, max]) | delta_2 | "
                    "rel. residual | sweeps (10 starts) | load (1 min) |\n")
            f.write("|---|---|---|---|---|---|---|---|---|---|---|\n")
            for r in rows:
                load = max(max(p) for p in r["loadavg_1min"])
                f.write(f"| {r['N']} | {r['K']} | {r['leaves']} | {r['noise']:g} | {r['input']} | {r['solver']} | "
                        f"{r['wall_s_median']:.3f} [{r['wall_s_min']:.3f}, {r['wall_s_max']:.3f}] | "
                        f"{r['delta_2']:.1e} | {r['rel_residual']:.1e} | {r['total_iterations']} | "
                        f"<= {load:.2f} |\n")


if __name__ == "__main__":
    sys.exit(main())
