#!/usr/bin/env python3
"""Plot the results of `dmf demod sweep` and `dmf demod landscape`.

    dmf demod sweep --latent 2,5,10,20 --outputs 50,100,250,500,1000 > sweep.jsonl
    python3 scripts/plot_demod.py sweep sweep.jsonl --out heat.png

    dmf demod landscape --g1 g1.json --g2 g2.json --h0 0.8 --m0 1.2 \\
        --out grid.npy > land.json
    python3 scripts/plot_demod.py landscape grid.npy --report land.json --out land.png
    python3 scripts/plot_demod.py landscape grid.npy --range -2,2 --truth 0.8,1.2 --out land.png

sweep: the phase transition, success rate of Algorithm 1 over latent size
(n = p) x output size l, one panel per hidden width.  landscape: filled
contours and a surface of log(1 + f / f_ref), f_ref = f(0, 0) = 1/2 ||y0||^2
(from the report; else the grid's median), with the truth (h0, m0), its
mirror (-h0, -m0) and the hyperbola h m = h0 m0 of global minima marked.
Needs numpy and matplotlib (pip install numpy matplotlib); dmf does not.
"""
import argparse
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def read_jsonl(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    return rows


def plot_sweep(args):
    cells = [r for r in read_jsonl(args.jsonl) if "latent" in r and "output" in r and "success_rate" in r]
    if not cells:
        sys.exit(f"plot_demod: no sweep cells (lines with latent, output, success_rate) in {args.jsonl}")
    hiddens = sorted({c.get("hidden", 0) for c in cells})
    fig, axes = plt.subplots(1, len(hiddens), figsize=(1.2 + 4.6 * len(hiddens), 4.2), squeeze=False)
    for ax, hidden in zip(axes[0], hiddens):
        sub = [c for c in cells if c.get("hidden", 0) == hidden]
        latents = sorted({c["latent"] for c in sub})
        outputs = sorted({c["output"] for c in sub})
        rate = np.full((len(latents), len(outputs)), np.nan)
        trials = set()
        for c in sub:
            rate[latents.index(c["latent"]), outputs.index(c["output"])] = c["success_rate"]
            trials.add(c["trials"])
        im = ax.imshow(rate, origin="lower", cmap="viridis", vmin=0, vmax=1, aspect="auto")
        for i in range(len(latents)):
            for j in range(len(outputs)):
                if np.isfinite(rate[i, j]):
                    ax.text(j, i, f"{100 * rate[i, j]:.0f}%", ha="center", va="center", fontsize=9,
                            color="black" if rate[i, j] > 0.6 else "white")
        ax.set_xticks(range(len(outputs)), [str(o) for o in outputs])
        ax.set_yticks(range(len(latents)), [str(n) for n in latents])
        ax.set_xlabel("output size l")
        ax.set_ylabel("latent size n = p")
        t = ", ".join(str(x) for x in sorted(trials))
        ax.set_title(f"hidden {hidden}, {t} trials per cell", fontsize=10)
    fig.colorbar(im, ax=axes[0].tolist(), label="success rate")
    fig.suptitle(args.title or "Blind demodulation: recovery rate of Algorithm 1")
    fig.savefig(args.out, dpi=130, bbox_inches="tight")
    print(args.out)


def parse_pair(text, what):
    try:
        a, b = (float(x) for x in text.split(","))
    except ValueError:
        sys.exit(f"plot_demod: bad {what} '{text}' (two numbers A,B)")
    return a, b


def plot_landscape(args):
    f = np.load(args.grid)
    if f.ndim != 2 or f.shape[0] != f.shape[1]:
        sys.exit(f"plot_demod: {args.grid} is {f.shape}, not a P x P grid")
    rep = {}
    if args.report:
        rep = read_jsonl(args.report)[0]
    if args.range:
        lo, hi = parse_pair(args.range, "--range")
    elif "range" in rep:
        lo, hi = rep["range"]
    else:
        lo, hi = -2.0, 2.0
    truth = parse_pair(args.truth, "--truth") if args.truth else (
        (rep["h0"], rep["m0"]) if "h0" in rep else None)
    P = f.shape[0]
    v = np.linspace(lo, hi, P)
    H, M = np.meshgrid(v, v, indexing="ij")  # rows = h, cols = m, as dmf writes them
    if rep.get("f_origin"):
        ref, ref_name = rep["f_origin"], "f(0,0)"
    else:
        ref, ref_name = float(np.median(f)), "median f"
    z = np.log1p(f / ref)

    fig = plt.figure(figsize=(12, 5.2))
    ax = fig.add_subplot(1, 2, 1)
    cs = ax.contourf(M, H, z, levels=30, cmap="viridis")
    ax.contour(M, H, z, levels=12, colors="white", linewidths=0.4, alpha=0.6)
    fig.colorbar(cs, ax=ax, label=f"log(1 + f / {ref_name})")
    if truth:
        h0, m0 = truth
        # Global minima: the branch h m = h0 m0 in the quadrant of the truth.
        if h0 * m0 != 0:
            mm = np.linspace(lo, hi, 400)
            mm = mm[(np.sign(mm) == np.sign(m0)) & (mm != 0)]
            hh = h0 * m0 / mm
            keep = (hh >= lo) & (hh <= hi)
            ax.plot(mm[keep], hh[keep], "--", color="white", lw=1.2, label="h m = h0 m0 (global minima)")
        ax.plot(m0, h0, "*", ms=16, color="red", mec="white", label=f"(h0, m0) = ({h0:g}, {m0:g})")
        ax.plot(-m0, -h0, "X", ms=11, color="orange", mec="black", label="(-h0, -m0)")
    i, j = np.unravel_index(np.argmin(f), f.shape)
    ax.plot(v[j], v[i], "o", ms=7, mfc="none", mec="cyan", mew=1.5, label="grid minimum")
    ax.axhline(0, color="gray", lw=0.5)
    ax.axvline(0, color="gray", lw=0.5)
    ax.set_xlabel("m")
    ax.set_ylabel("h")
    ax.set_aspect("equal")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8, facecolor="0.8", framealpha=1)
    ax.set_title("contours")

    ax3 = fig.add_subplot(1, 2, 2, projection="3d")
    ax3.plot_surface(M, H, z, cmap="viridis", linewidth=0, antialiased=True, rcount=min(P, 80),
                     ccount=min(P, 80), alpha=0.9)
    if truth:
        # Stems from the surface up to the top of the box, so the marks are not
        # hidden by the surface: the truth (a global minimum, z = 0) and the
        # mirror at its grid value.
        top = float(np.nanmax(z))
        zm = float(z[np.abs(v + h0).argmin(), np.abs(v + m0).argmin()])
        for (mx, hx, z0, style, color) in ((m0, h0, 0.0, "*", "red"), (-m0, -h0, zm, "X", "orange")):
            ax3.plot([mx, mx], [hx, hx], [z0, top * 1.15], color=color, lw=2)
            ax3.scatter([mx], [hx], [top * 1.15], color=color, s=90, marker=style, edgecolors="black",
                        depthshade=False)
    ax3.set_xlabel("m")
    ax3.set_ylabel("h")
    ax3.set_zlabel(f"log(1 + f / {ref_name})")
    ax3.view_init(elev=35, azim=-125)
    ax3.set_title("surface")
    title = args.title or "Blind demodulation landscape f(h, m) = 1/2 ||G1(h) . G2(m) - y0||^2"
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(args.out, dpi=130, bbox_inches="tight")
    print(args.out)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    s = sub.add_parser("sweep", help="phase-transition heat map from dmf demod sweep")
    s.add_argument("jsonl", help="JSON lines printed by dmf demod sweep")
    s.add_argument("--out", default="demod_sweep.png")
    s.add_argument("--title")
    s.set_defaults(func=plot_sweep)
    land = sub.add_parser("landscape", help="contours and surface of a dmf demod landscape grid")
    land.add_argument("grid", help="GRID.npy written by dmf demod landscape --out")
    land.add_argument("--range", help="A,B of the grid (default: from --report, else -2,2)")
    land.add_argument("--truth", help="h0,m0 to mark (default: from --report)")
    land.add_argument("--report", help="the JSON line dmf demod landscape printed (file)")
    land.add_argument("--out", default="demod_landscape.png")
    land.add_argument("--title")
    land.set_defaults(func=plot_landscape)
    # "--range -2,2" would read -2,2 as an option (argparse only takes plain
    # negative numbers as values): glue such values to their option.
    argv, merged = sys.argv[1:], []
    while argv:
        a = argv.pop(0)
        if a in ("--range", "--truth") and argv:
            a = f"{a}={argv.pop(0)}"
        merged.append(a)
    args = p.parse_args(merged)
    args.func(args)


if __name__ == "__main__":
    main()
