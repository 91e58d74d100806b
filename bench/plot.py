#!/usr/bin/env python3
"""Figures of one benchmark run (bench/run_all.sh's output directory).

    python3 bench/plot.py bench/results/run-DATE

Reads DIR/all.jsonl (and DIR/liftrank-spectrum.npy, DIR/demod-sweep.jsonl)
and writes into DIR:
  butterfly_time.png       time vs N per tool, log-log, one panel per matrix x tree
  butterfly_error.png      relative error vs N, same panels
  butterfly_speedup.png    dmf's speedup over each comparator (same run), one panel
                           per comparator, colour = tree, marker = matrix
  butterfly_bandwidth.png  dmf's effective bandwidth (input bytes / time) against one
                           pass over the input (the unit of bench_butterfly's
                           "passes"), one panel per matrix
  liftrank_time.png        Haar networks: dmf, LAPACK's SVD of the same samples, NumPy
  liftrank_spectrum.png    singular values of the largest Haar estimate
  demod_time.png           Algorithm 1: time per tool and device
  demod_sweep.png          success-rate heat map (scripts/plot_demod.py)
  mpi_scaling.png          time vs MPI ranks (when DIR/mpi.jsonl exists); ranks
                           beyond the machine's cores are marked oversubscribed
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


# Every figure uses matplotlib's constrained layout: it makes room for the
# suptitle, panel titles, colour bars and legends placed outside the axes,
# where tight_layout lets a two-line suptitle run into the panels.
LAYOUT = "constrained"

# One colour per tree and one marker/line style per matrix, so a figure with
# many (matrix, tree) series never cycles back to a colour it has used.
TREE_COLOURS = {"l2r": "C0", "r2l": "C1", "balanced": "C2"}
MATRIX_STYLES = [("o", "-"), ("s", "--"), ("^", ":"), ("D", "-.")]


def tree_colour(tree):
    return TREE_COLOURS.get(tree, "C3")


def tree_rank(tree):
    return list(TREE_COLOURS).index(tree) if tree in TREE_COLOURS else len(TREE_COLOURS)


def tree_order(trees):
    return sorted(trees, key=lambda t: (tree_rank(t), t))


def tool_colours(tools):
    """A fixed colour per tool (dmf first), the same in every panel of a figure."""
    ordered = sorted(tools, key=lambda t: (not t.startswith("dmf"), t))
    return {t: f"C{i % 10}" for i, t in enumerate(ordered)}


def save(fig, out_dir, name, title, where):
    fig.suptitle(f"{title}\n{where}", fontsize=10)
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


def grid(panels, value, ylabel, title, out_dir, name, where, note=None):
    keys = sorted(panels)
    if not keys:
        return
    matrices = sorted({m for m, _ in keys})
    trees = tree_order({t for _, t in keys})
    colours = tool_colours({tool for k in keys for tool in panels[k]})
    fig, axes = plt.subplots(len(matrices), len(trees), figsize=(4.2 * len(trees), 3.3 * len(matrices) + 0.6),
                             squeeze=False, layout=LAYOUT)
    handles = {}
    for i, m in enumerate(matrices):
        for j, t in enumerate(trees):
            ax = axes[i][j]
            for tool, series in sorted(panels.get((m, t), {}).items()):
                xs = [n for n, r in series if value(r) is not None]
                ys = [value(r) for n, r in series if value(r) is not None]
                if xs:
                    (line,) = ax.loglog(xs, ys, "o-", ms=4, color=colours[tool], label=tool)
                    handles.setdefault(tool, line)
            ax.set_xscale("log", base=2)
            ax.set_title(f"{m}, {t}", fontsize=10)
            ax.set_xlabel("N")
            ax.set_ylabel(ylabel)
            ax.grid(True, which="both", alpha=0.3)
    # One legend for the figure: the tools and their colours are the same in
    # every panel (a legend per panel repeats itself and covers data).
    tools = sorted(handles, key=lambda t: (not t.startswith("dmf"), t))
    fig.legend([handles[t] for t in tools], tools, loc="outside lower center", ncol=len(tools), fontsize=9,
               title=note, title_fontsize=8)
    save(fig, out_dir, name, title, where)


def butterfly_speedup(panels, out_dir, where, note=None):
    keys = sorted(k for k in panels if "dmf" in panels[k])
    if not keys:
        return
    others = sorted({tool for k in keys for tool in panels[k] if tool != "dmf"})
    if not others:
        return
    matrices = sorted({m for m, _ in keys})
    styles = {m: MATRIX_STYLES[i % len(MATRIX_STYLES)] for i, m in enumerate(matrices)}
    fig, axes = plt.subplots(1, len(others), figsize=(0.6 + 4.6 * len(others), 4.6), sharey=True,
                             squeeze=False, layout=LAYOUT)
    handles = {}
    for ax, tool in zip(axes[0], others):
        for m, t in sorted(keys, key=lambda k: (k[0], tree_rank(k[1]))):
            base = dict(panels[(m, t)]["dmf"])
            series = panels[(m, t)].get(tool, [])
            pts = [(n, r["time_s"] / base[n]["time_s"]) for n, r in series if n in base]
            if pts:
                marker, ls = styles[m]
                (line,) = ax.loglog(*zip(*pts), marker=marker, ls=ls, ms=5, color=tree_colour(t),
                                    label=f"{m}, {t}")
                handles.setdefault((m, t), line)
        ax.set_xscale("log", base=2)
        ax.axhline(1, color="gray", lw=0.8)
        ax.set_title(f"dmf vs {tool}", fontsize=10)
        ax.set_xlabel("N")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("time(tool) / time(dmf)  (> 1: dmf faster)")
    # Column-major fill with one column per tree: a column is a tree, a row a matrix.
    order = sorted(handles, key=lambda k: (tree_rank(k[1]), k[1], k[0]))
    fig.legend([handles[k] for k in order], [f"{m}, {t}" for m, t in order], loc="outside lower center",
               ncol=len({t for _, t in order}), fontsize=8,
               title="matrix, tree (colour = tree, marker = matrix)" + (f"\n{note}" if note else ""),
               title_fontsize=8)
    save(fig, out_dir, "butterfly_speedup.png", "Butterfly factorization: dmf's speedup over each tool (same run)",
         where)


def butterfly_bandwidth(recs, out_dir, where):
    """Effective bandwidth of each tree against one pass over the input.

    bench_butterfly's unit of "passes" is pass_time_s; passes is the tree's
    time over it.  Lines written since device_s exists use device_s (the
    tree on the backend, the upload excluded); older lines, like those of
    the 2026-11-23 run, only have time_s (the whole call) and their passes
    field is time_s / pass_time_s.  Both are read here: device_s when the
    line has it, else time_s.

    On the CPU, pass_source "cpu-read" is a streaming read on every thread;
    older lines (pass_source "cpu-norm", or none) used dmf_matrix_norm_fro:
    one thread's sequential sum of squares,
    which is bound by the latency of its additions, not by memory.  The
    factorization runs on all the run's threads, so a cheap tree can take
    under one such pass: that pass is the unit of "passes", not a ceiling on
    bandwidth, and the figure says so and labels those points.  On a device
    (pass_source "device-copy") the pass is the matrix's bytes at the
    measured device-to-device copy bandwidth."""
    series = defaultdict(list)
    for r in recs:
        if r.get("bench") == "butterfly" and r.get("tool") == "dmf" and r.get("pass_time_s") and "time_s" in r:
            gib = r["input_mib"] / 1024
            t = r.get("device_s") or r["time_s"]
            source = r.get("pass_source", "cpu-norm")
            key = (label(r), r["matrix"], r.get("dtype", ""), source)
            series[key].append((r["n"], r["tree"], gib / t, gib / r["pass_time_s"], t / r["pass_time_s"]))
    if not series:
        return
    keys = sorted(series)
    threads = sorted({r.get("threads") for r in recs if r.get("bench") == "butterfly" and r.get("threads")})
    cols = min(2, len(keys))
    rows = (len(keys) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(0.6 + 4.8 * cols, 0.9 + 3.7 * rows), sharey=True, squeeze=False,
                             layout=LAYOUT)
    for ax in axes.flat[len(keys):]:
        ax.set_visible(False)
    handles = {}
    below = False
    for ax, key in zip(axes.flat, keys):
        tool, m, dtype, source = key
        pts = series[key]
        for t in tree_order({p[1] for p in pts}):
            sub = sorted(p for p in pts if p[1] == t)
            (line,) = ax.loglog([p[0] for p in sub], [p[2] for p in sub], "o-", ms=4, color=tree_colour(t),
                                label=f"tree {t}")
            handles.setdefault(f"tree {t}", line)
            last = max(p[0] for p in pts)
            for n, _, eff, ref, passes in sub:
                if passes < 1:
                    below = below or source == "cpu-norm"
                    # Above the point; at the largest N to its left, inside the axes.
                    ax.annotate(f"{passes:.2f} pass", (n, eff), fontsize=7, color=tree_colour(t),
                                textcoords="offset points", xytext=(2 if n == last else 0, 7),
                                ha="right" if n == last else "center")
        ref = {}
        for n, _, _, b, _ in pts:
            ref[n] = b
        ns = sorted(ref)
        ref_label = ("one pass: the input's bytes at the device-to-device copy bandwidth"
                     if source == "device-copy" else
                     "one pass: a streaming read of the input on every thread" if source == "cpu-read" else
                     "one pass: one thread's Frobenius norm of the input")
        (line,) = ax.loglog(ns, [ref[n] for n in ns], "k" + (":" if source == "device-copy" else "--"), lw=1,
                            label=ref_label)
        handles.setdefault(ref_label, line)
        ax.set_xscale("log", base=2)
        ax.set_title(f"{tool}: {m} ({dtype})" if dtype else f"{tool}: {m}", fontsize=10)
        ax.set_xlabel("N")
        ax.grid(True, which="both", alpha=0.3)
    for row in axes:
        row[0].set_ylabel("GiB/s  (input bytes / time)")
    names = [h for h in handles if h.startswith("tree ")] + [h for h in handles if not h.startswith("tree ")]
    note = ("passes = the tree's time / one pass's time (black line / point); time = device_s where the "
            "line has it, else time_s (the whole call).")
    if below:
        thr = f"{threads[-1]} threads" if threads else "all the run's threads"
        note += ("\nOn the CPU one pass is dmf's Frobenius norm of the input: one thread's sequential sum of "
                 "squares, limited by the latency of its additions, not by memory.\n"
                 f"The factorization runs on {thr}, so a tree can take under one pass (points above the dashed "
                 "line, labelled with their passes): the line is a unit, not a bandwidth ceiling.")
    fig.legend([handles[h] for h in names], names, loc="outside lower center",
               ncol=len(names) if len(names) <= 4 else 3, fontsize=8,
               title=note, title_fontsize=8, alignment="left")
    save(fig, out_dir, "butterfly_bandwidth.png",
         "Butterfly factorization: effective bandwidth against one pass over the input", where)


def liftrank_time(recs, out_dir, where):
    rows = [r for r in recs if r.get("bench") == "liftrank" and "time_s" in r]
    if not rows:
        return
    fig, ax = plt.subplots(figsize=(7, 4.5), layout=LAYOUT)
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
    fig, ax = plt.subplots(figsize=(7, 4), layout=LAYOUT)
    load_script("plot_spectrum").draw_spectrum(ax, np.load(path), rep, "lifted operator")
    save(fig, out_dir, "liftrank_spectrum.png", "Lifting rank: singular values of the samples", where)


def dtype_name(rec):
    """dmf's short dtype names for every tool (torch says float64, dmf f64)."""
    d = str(rec.get("dtype", "f64"))
    return {"float64": "f64", "float32": "f32", "complex128": "c128", "complex64": "c64"}.get(d, d)


def demod_time(recs, out_dir, where):
    rows = [r for r in recs if r.get("bench") == "demod" and "time_s" in r]
    if not rows:
        return
    # The device on every bar, the CPU included: the bars compare tools on a device.
    names = [f"{r['tool']} ({r.get('backend') or r.get('device') or 'cpu'})\n{dtype_name(r)}" for r in rows]
    # Wide enough for the two title lines whatever the number of bars.
    fig, ax = plt.subplots(figsize=(max(6.5, 1.6 + 1.4 * len(rows)), 4), layout=LAYOUT)
    bars = ax.bar(range(len(rows)), [r["time_s"] for r in rows], width=0.5,
                  color=[f"C{i}" for i in range(len(rows))])
    for b, r in zip(bars, rows):
        ax.annotate(f"{r['time_s']:.3g} s", (b.get_x() + b.get_width() / 2, b.get_height()),
                    ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(rows)), names, fontsize=9)
    ax.set_ylabel("time (s)")
    ax.margins(y=0.12)
    r0 = rows[0]
    sizes = " -> ".join(str(s) for s in r0.get("sizes", []))
    title = (f"Blind demodulation, Algorithm 1: time of {r0.get('trials')} trials\n"
             f"networks {sizes}, {r0.get('iterations')} iterations each")
    save(fig, out_dir, "demod_time.png", title, where)


def demod_sweep(out_dir, where):
    path = os.path.join(out_dir, "demod-sweep.jsonl")
    if not os.path.exists(path):
        return
    out = os.path.join(out_dir, "demod_sweep.png")
    # scripts/plot_demod.py lays the figure out by default, where a two-line
    # suptitle overprints the panel's title; constrained layout makes room.
    with plt.rc_context({"figure.constrained_layout.use": True}):
        load_script("plot_demod").plot_sweep(argparse.Namespace(
            jsonl=path, out=out, title=f"Blind demodulation: recovery rate of Algorithm 1\n{where}"))


def mpi_scaling(out_dir, where):
    path = os.path.join(out_dir, "mpi.jsonl")
    if not os.path.exists(path):
        return
    recs = read_jsonl(path)
    rows = [r for r in recs if "time_s" in r and (r.get("mpi_ranks") or r.get("ranks"))]
    if not rows:
        return
    cores = next((r["env"].get("cores") for r in recs if isinstance(r.get("env"), dict) and r["env"].get("cores")),
                 None)
    series = defaultdict(list)
    for r in rows:
        mode = "one process, no MPI" if r.get("mode") == "single" else "mpirun --mpi"
        series[f"{r.get('matrix', '')} {r.get('n', '')} {r.get('tree', '')}: {mode}"].append(
            (r.get("mpi_ranks") or r.get("ranks"), r["time_s"], r.get("omp_threads")))
    ranks = sorted({p[0] for pts in series.values() for p in pts})
    # OpenMP threads per rank under each rank count (the tick says it when
    # every line at that count agrees).
    threads = defaultdict(set)
    for pts in series.values():
        for p in pts:
            threads[p[0]].add(p[2])
    fig, ax = plt.subplots(figsize=(6.5, 4.2), layout=LAYOUT)
    for name, pts in sorted(series.items()):
        pts.sort()
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-" if len(pts) > 1 else "s", label=name)
    if cores and ranks[-1] > cores:
        # Past the cores every rank shares a core with another: the times
        # there measure contention, not scaling.
        over = [r for r in ranks if r > cores]
        ax.axvspan(cores * 2 ** 0.5, ranks[-1] * 1.4, color="tab:red", alpha=0.08, lw=0,
                   label=f"oversubscribed: {', '.join(map(str, over))} ranks share the {cores} cores")
    ax.set_xscale("log", base=2)
    ticks = []
    for r in ranks:
        t = threads[r]
        if len(t) == 1 and None not in t:
            (n,) = t
            ticks.append(f"{r}\n{n} thread{'s' if n != 1 else ''}" + (" each" if r > 1 else ""))
        else:
            ticks.append(str(r))
    ax.set_xticks(ranks, ticks)
    ax.minorticks_off()
    ax.set_xlim(ranks[0] / 1.4, ranks[-1] * 1.4)
    ax.set_xlabel("MPI ranks (OpenMP threads per rank)")
    ax.set_ylabel("time (s)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    title = "Multi-process butterfly factorization"
    if cores:
        title += f" on {cores} cores"
    save(fig, out_dir, "mpi_scaling.png", title, where)


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
    skipped = sorted({r["tool"] for r in recs if r.get("bench") == "butterfly"
                      and str(r.get("error", "")).startswith("skipped")})
    note = (f"A line ends where {' and '.join(skipped)} skipped the larger sizes (a smaller one exceeded the "
            "time limit or failed)" if skipped else None)
    grid(panels, lambda r: r.get("time_s"), "time (s)", "Butterfly factorization: time",
         args.dir, "butterfly_time.png", where, note)
    grid(panels, lambda r: r.get("rel_error"), "relative error", "Butterfly factorization: error",
         args.dir, "butterfly_error.png", where, note)
    butterfly_speedup(panels, args.dir, where, note)
    butterfly_bandwidth(recs, args.dir, where)
    liftrank_time(recs, args.dir, where)
    liftrank_spectrum(args.dir, where)
    demod_time(recs, args.dir, where)
    demod_sweep(args.dir, where)
    mpi_scaling(args.dir, where)


if __name__ == "__main__":
    main()
