#!/usr/bin/env python3
"""Figures of one benchmark run (bench/run_all.sh's output directory).

    python3 bench/plot.py bench/results/run-DATE

Reads DIR/all.jsonl (and DIR/liftrank-spectrum.npy, DIR/demod-sweep.jsonl)
and writes into DIR:
  butterfly_time.png       time vs N per tool, log-log, one panel per matrix x tree
  butterfly_error.png      relative error vs N, same panels
  butterfly_speedup.png    dmf's speedup over each comparator (same run)
  butterfly_bandwidth.png  dmf's effective bandwidth (input bytes / time) vs the
                           measured bandwidth of one streaming read of the input
  liftrank_time.png        Haar networks: dmf, LAPACK's SVD of the same samples, NumPy
  liftrank_spectrum.png    singular values of the largest Haar estimate
  demod_time.png           Algorithm 1: time per tool and device
  demod_sweep.png          success-rate heat map (scripts/plot_demod.py)
  mpi_scaling.png          time vs MPI ranks (when DIR/mpi.jsonl exists)
Each title names the machine from the run's environment headers.  Needs
numpy and matplotlib.
"""
import argparse
import importlib.util
import json
import os
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts")


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(SCRIPTS, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def read_jsonl(path):
    rows = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                sys.exit(f"plot: {path}:{number}: not JSON ({e})")
    return rows


def machine(envs):
    """'<cpu>, N threads' plus the GPU name when a header has one."""
    cpu = next((e.get("cpu") for e in envs if e.get("cpu")), "unknown CPU")
    threads = next((e.get("threads") for e in envs if e.get("threads")), None)
    gpus = sorted({e["gpu"] for e in envs if e.get("gpu")})
    text = cpu + (f", {threads} threads" if threads else "")
    return text + ("; " + ", ".join(gpus) if gpus else "")


def label(rec):
    """Tool name, with the device when it is not the CPU."""
    dev = rec.get("backend") or rec.get("device") or "cpu"
    return rec["tool"] if dev == "cpu" else f"{rec['tool']} ({dev})"


def save(fig, out_dir, name, title, where):
    fig.suptitle(f"{title}\n{where}", fontsize=10)
    fig.tight_layout()
    path = os.path.join(out_dir, name)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    print(path)


def butterfly_panels(recs):
    """{(matrix, tree): {label: [(n, rec), ...]}} of measured (not skipped) lines."""
    panels = defaultdict(lambda: defaultdict(list))
    for r in recs:
        if r.get("bench") == "butterfly" and "time_s" in r and "error" not in r:
            panels[(r["matrix"], r["tree"])][label(r)].append((r["n"], r))
    for tools in panels.values():
        for series in tools.values():
            series.sort(key=lambda p: p[0])
    return panels


def grid(panels, value, ylabel, title, out_dir, name, where):
    keys = sorted(panels)
    if not keys:
        return
    matrices = sorted({m for m, _ in keys})
    trees = [t for t in ("l2r", "r2l", "balanced") if any(k[1] == t for k in keys)]
    fig, axes = plt.subplots(len(matrices), len(trees), figsize=(4.2 * len(trees), 3.4 * len(matrices)),
                             squeeze=False)
    for i, m in enumerate(matrices):
        for j, t in enumerate(trees):
            ax = axes[i][j]
            for tool, series in sorted(panels.get((m, t), {}).items()):
                xs = [n for n, r in series if value(r) is not None]
                ys = [value(r) for n, r in series if value(r) is not None]
                if xs:
                    ax.loglog(xs, ys, "o-", ms=4, label=tool)
            ax.set_xscale("log", base=2)
            ax.set_title(f"{m}, {t}", fontsize=10)
            ax.set_xlabel("N")
            ax.set_ylabel(ylabel)
            ax.grid(True, which="both", alpha=0.3)
            if ax.lines:
                ax.legend(fontsize=8)
    save(fig, out_dir, name, title, where)


def butterfly_speedup(panels, out_dir, where):
    keys = sorted(k for k in panels if "dmf" in panels[k])
    if not keys:
        return
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for m, t in keys:
        base = dict(panels[(m, t)]["dmf"])
        for tool, series in sorted(panels[(m, t)].items()):
            if tool == "dmf":
                continue
            pts = [(n, r["time_s"] / base[n]["time_s"]) for n, r in series if n in base]
            if pts:
                ax.loglog(*zip(*pts), "o-", ms=4, label=f"vs {tool}: {m} {t}")
    ax.set_xscale("log", base=2)
    ax.axhline(1, color="gray", lw=0.8)
    ax.set_xlabel("N")
    ax.set_ylabel("time(tool) / time(dmf CPU)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    save(fig, out_dir, "butterfly_speedup.png", "Butterfly factorization: dmf's speedup over each tool (same run)",
         where)


def butterfly_bandwidth(recs, out_dir, where):
    series = defaultdict(list)
    for r in recs:
        if r.get("bench") == "butterfly" and r.get("tool") == "dmf" and r.get("pass_time_s") and "time_s" in r:
            gib = r["input_mib"] / 1024
            key = (label(r), r["matrix"], r["tree"])
            # The tree's own time where the line has it (a GPU's upload is not the tree's work).
            series[key].append((r["n"], gib / r.get("device_s", r["time_s"]), gib / r["pass_time_s"]))
    if not series:
        return
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    bounds = {}
    for (tool, m, t), pts in sorted(series.items()):
        pts.sort()
        ax.loglog([p[0] for p in pts], [p[1] for p in pts], "o-", ms=4, label=f"{tool}: {m} {t}")
        for n, _, b in pts:
            bounds.setdefault((tool, m), {})[n] = b
    for i, ((tool, m), b) in enumerate(sorted(bounds.items())):
        ns = sorted(b)
        ax.loglog(ns, [b[n] for n in ns], "k" + ("--", ":", "-.")[i % 3], lw=1,
                  label=f"{tool}: one streaming read of the {m} input (bound)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("N")
    ax.set_ylabel("GiB/s  (input bytes / time)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    save(fig, out_dir, "butterfly_bandwidth.png", "Butterfly factorization: effective bandwidth vs the memory bound\n"
                 "(bound / effective = passes over the input)", where)


def liftrank_time(recs, out_dir, where):
    rows = [r for r in recs if r.get("bench") == "liftrank" and "time_s" in r]
    if not rows:
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    by_tool = defaultdict(list)
    svd = []
    for r in rows:
        n = r.get("sample_length") or r.get("N")
        by_tool[label(r)].append((n, r["time_s"], r.get("rank")))
        if r.get("lapack_svd_time_s"):
            svd.append((n, r["lapack_svd_time_s"]))
    for tool, pts in sorted(by_tool.items()):
        pts.sort()
        ax.loglog([p[0] for p in pts], [p[1] for p in pts], "o-", ms=4, label=tool)
    if svd:
        svd.sort()
        ax.loglog(*zip(*svd), "k--", lw=1, label="LAPACK dgesdd of dmf's final samples")
    for n, t, rank in by_tool.get("dmf", []):
        ax.annotate(f"rank {rank}", (n, t), fontsize=7, textcoords="offset points", xytext=(4, -10))
    ax.set_xscale("log", base=2)
    ax.set_xlabel("N (Haar network, K = log2 N - 2 layers)")
    ax.set_ylabel("time of the full estimate (s)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, out_dir, "liftrank_time.png", "Lifting rank: Monte Carlo estimate with its spectrum", where)


def liftrank_spectrum(out_dir, where):
    path = os.path.join(out_dir, "liftrank-spectrum.npy")
    if not os.path.exists(path):
        return
    rep = {}
    report = os.path.join(out_dir, "liftrank-spectrum.json")
    if os.path.exists(report):
        rows = read_jsonl(report)
        rep = rows[0] if rows else {}
    fig, ax = plt.subplots(figsize=(7, 4))
    load_script("plot_spectrum").draw_spectrum(ax, np.load(path), rep, "lifted operator")
    save(fig, out_dir, "liftrank_spectrum.png", "Lifting rank: singular values of the samples", where)


def demod_time(recs, out_dir, where):
    rows = [r for r in recs if r.get("bench") == "demod" and "time_s" in r]
    if not rows:
        return
    names = [f"{label(r)}\n{r.get('dtype', 'float64')}" for r in rows]
    fig, ax = plt.subplots(figsize=(1.6 + 1.4 * len(rows), 4))
    bars = ax.bar(range(len(rows)), [r["time_s"] for r in rows], color=[f"C{i}" for i in range(len(rows))])
    for b, r in zip(bars, rows):
        ax.annotate(f"{r['time_s']:.3g} s", (b.get_x() + b.get_width() / 2, b.get_height()),
                    ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(rows)), names, fontsize=8)
    ax.set_ylabel("time (s)")
    r0 = rows[0]
    sizes = "->".join(str(s) for s in r0.get("sizes", []))
    title = f"Blind demodulation: {r0.get('trials')} trials of {sizes}, {r0.get('iterations')} iterations"
    save(fig, out_dir, "demod_time.png", title, where)


def demod_sweep(out_dir, where):
    path = os.path.join(out_dir, "demod-sweep.jsonl")
    if not os.path.exists(path):
        return
    out = os.path.join(out_dir, "demod_sweep.png")
    load_script("plot_demod").plot_sweep(argparse.Namespace(
        jsonl=path, out=out, title=f"Blind demodulation: recovery rate of Algorithm 1\n{where}"))


def mpi_scaling(out_dir, where):
    path = os.path.join(out_dir, "mpi.jsonl")
    if not os.path.exists(path):
        return
    rows = [r for r in read_jsonl(path) if "time_s" in r and (r.get("mpi_ranks") or r.get("ranks"))]
    if not rows:
        return
    series = defaultdict(list)
    for r in rows:
        mode = "one process, no MPI" if r.get("mode") == "single" else "mpirun --mpi"
        series[f"{r.get('matrix', '')} {r.get('n', '')} {r.get('tree', '')}: {mode}"].append(
            (r.get("mpi_ranks") or r.get("ranks"), r["time_s"]))
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, pts in sorted(series.items()):
        pts.sort()
        ax.plot(*zip(*pts), "o-" if len(pts) > 1 else "s", label=name)
    ax.set_xlabel("MPI ranks")
    ax.set_ylabel("time (s)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, out_dir, "mpi_scaling.png", "Multi-process butterfly factorization", where)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dir", help="a bench/run_all.sh output directory (holds all.jsonl)")
    args = p.parse_args()
    path = os.path.join(args.dir, "all.jsonl")
    if not os.path.exists(path):
        sys.exit(f"plot: {path} not found (run bench/run_all.sh first)")
    recs = read_jsonl(path)
    envs = [r["env"] for r in recs if "env" in r]
    where = machine(envs)
    panels = butterfly_panels(recs)
    grid(panels, lambda r: r.get("time_s"), "time (s)", "Butterfly factorization: time",
         args.dir, "butterfly_time.png", where)
    grid(panels, lambda r: r.get("rel_error"), "relative error", "Butterfly factorization: error",
         args.dir, "butterfly_error.png", where)
    butterfly_speedup(panels, args.dir, where)
    butterfly_bandwidth(recs, args.dir, where)
    liftrank_time(recs, args.dir, where)
    liftrank_spectrum(args.dir, where)
    demod_time(recs, args.dir, where)
    demod_sweep(args.dir, where)
    mpi_scaling(args.dir, where)


if __name__ == "__main__":
    main()
