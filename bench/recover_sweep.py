#!/usr/bin/env python3
"""Recovery error against noise: dmf synth-network + dmf recover on
undecimated Haar paths (N = 64 ... 1024, K = 3 ... 6, scattered) and on the
paper's not-scattered {1,2,3} x {1,2,3} network, with the stability bounds
of Thm 8.4 and Thm 7.2 that dmf recover evaluates beside every
measurement.  Prints one JSON line per (network, noise, seed) after an
environment header; --plot FILE.png draws d_p against noise with the bounds
(matplotlib).  Standard library only, apart from the plot.

    bench/recover_sweep.py [--dmf build/dmf] [--quick] [--plot recover.png]
    bench/recover_sweep.py --replot FILE.jsonl --plot recover.png
    dmf run bench/jobs/recover_sweep.json --out DIR
    bench/recover_sweep.py --from-run DIR --plot recover.png > FILE.jsonl
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time


def haar(N, K):
    return {"type": "conv", "N": N, "root": "n0",
            "edges": [{"from": f"n{k + 1}", "to": f"n{k}", "support": {"dilated": k}} for k in range(K)]}


NOT_SCATTERED = {"type": "conv", "N": 16, "root": "n0", "edges": [
    {"from": "n1", "to": "n0", "support": [1, 2, 3]}, {"from": "n2", "to": "n1", "support": [1, 2, 3]}]}


def run(dmf, *args):
    done = subprocess.run([dmf, *map(str, args)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def sweep(dmf, networks, levels, seeds, restarts, out):
    with tempfile.TemporaryDirectory() as tmp:
        for name, spec in networks:
            path = os.path.join(tmp, name + ".json")
            with open(path, "w") as f:
                json.dump(spec, f)
            for noise in levels:
                for seed in seeds:
                    data = os.path.join(tmp, "data")
                    synth = run(dmf, "synth-network", path, "--noise", noise, "--seed", seed, "--out", data)
                    rec = run(dmf, "recover", path, "--input", synth["x"], "--truth", synth["h"],
                              "--restarts", restarts, "--seed", seed)
                    bounds = {b["theorem"]: b for b in rec.get("bounds", [])}
                    line = {"network": name, "N": spec["N"], "K": rec["K"], "S": rec["S"], "noise": noise,
                            "seed": seed, "delta": rec["data_error"], "eta": rec["residual"],
                            "d_p": rec["d_p"], "delta_p": rec.get("delta_p"), "classes_found": rec["classes_found"],
                            "time_s": rec["time_s"]}
                    for thm, key in (("Thm 8.4", "bound_thm_8_4"), ("Thm 7.2", "bound_thm_7_2")):
                        b = bounds.get(thm, {})
                        line[key] = b.get("bound")
                        line[key + "_why_not"] = b.get("why_not")
                    print(json.dumps(line), file=out, flush=True)
                    yield line


def from_run(directory):
    """The sweep's lines from the records of a `dmf run` of the job file: every
    job is one `dmf recover --synth-seed S --noise LEVEL`."""
    import glob
    for path in sorted(glob.glob(os.path.join(directory, "results.*.jsonl"))):
        for text in open(path):
            rec = json.loads(text)
            d = rec.get("result")
            if rec.get("status") != "ok" or not d:
                continue
            bound = {b["theorem"]: b for b in d["bounds"]}
            b84, b72 = bound.get("Thm 8.4", {}), bound.get("Thm 7.2", {})
            yield {"network": os.path.splitext(os.path.basename(d["network"]))[0], "K": d["K"], "S": d["S"],
                   "noise": d["synth"]["noise"], "seed": d["synth"]["seed"], "delta": d["data_error"],
                   "eta": d["residual"], "d_p": d["d_p"], "delta_p": d.get("delta_p"),
                   "classes_found": d["classes_found"], "time_s": d["time_s"], "job_time_s": rec["time_s"],
                   "bound_thm_8_4": b84.get("bound"), "bound_thm_8_4_why_not": b84.get("why_not"),
                   "bound_thm_7_2": b72.get("bound"), "bound_thm_7_2_why_not": b72.get("why_not")}


def plot(lines, png):
    """One panel per network family: the measured distances (every seed) and,
    per noise level, the median of the seeds' Thm 8.4 bounds where its
    conditions held."""
    import statistics

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = sorted({l["network"] for l in lines})
    fig, ax = plt.subplots(figsize=(8, 5))
    for i, name in enumerate(names):
        rows = [l for l in lines if l["network"] == name]
        color = f"C{i % 10}"
        marker = "os^v<>Dph*"[i // 10 % 10]
        ax.loglog([r["noise"] for r in rows], [max(r["delta_p"] or r["d_p"], 1e-17) for r in rows], marker,
                  color=color, markersize=4, label=f"{name}: measured delta_2")
        held = sorted({r["noise"] for r in rows if r["bound_thm_8_4"] is not None})
        if held:
            bound = [statistics.median(r["bound_thm_8_4"] for r in rows
                                       if r["noise"] == lv and r["bound_thm_8_4"] is not None) for lv in held]
            ax.loglog(held, bound, "--", color=color, linewidth=1, label=f"{name}: Thm 8.4 bound")
    ax.set_title("dmf recover: distance to the truth's class against noise, with Thm 8.4's bound", fontsize=9)
    ax.set_xlabel("relative noise ||e|| / ||M(h)||")
    ax.set_ylabel("distance to the truth's class")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=6)
    fig.tight_layout()
    fig.savefig(png, dpi=120)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dmf", default=os.path.join(os.path.dirname(__file__), "..", "build", "dmf"))
    ap.add_argument("--quick", action="store_true", help="two sizes, three noise levels, one seed")
    ap.add_argument("--plot", help="write a PNG of d_p against noise with the bounds")
    ap.add_argument("--replot", metavar="FILE", help="draw --plot from the lines of a recorded run")
    ap.add_argument("--from-run", metavar="DIR",
                    help="print the lines (and draw --plot) from the results of `dmf run bench/jobs/recover_sweep.json "
                         "--out DIR`")
    a = ap.parse_args()
    if a.from_run:
        lines = list(from_run(a.from_run))
        for line in lines:
            print(json.dumps(line))
        if a.plot:
            plot(lines, a.plot)
        return
    if a.replot:
        lines = [json.loads(ln) for ln in open(a.replot) if ln.startswith("{") and '"network"' in ln]
        plot(lines, a.plot)
        return
    if a.quick:
        networks = [(f"haar-N64-K{K}", haar(64, K)) for K in (3, 6)]
        levels, seeds = [1e-6, 1e-4, 1e-2], [0]
    else:
        networks = [(f"haar-N{N}-K{K}", haar(N, K)) for N in (64, 256, 1024) for K in (3, 4, 5, 6)]
        levels, seeds = [1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1], [0, 1, 2]
    networks.append(("not-scattered-123x123", NOT_SCATTERED))
    print(json.dumps({"env": {"tool": "dmf recover", "host": platform.node(), "cpu": platform.processor(),
                              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                              "threads": os.environ.get("OMP_NUM_THREADS")}}), flush=True)
    lines = list(sweep(a.dmf, networks, levels, seeds, 10, sys.stdout))
    if a.plot:
        plot(lines, a.plot)


if __name__ == "__main__":
    main()
