#!/usr/bin/env python3
"""Plot the singular spectrum written by `dmf liftrank --spectrum S.npy`.

    dmf liftrank net.json --spectrum s.npy > rank.json
    python3 scripts/plot_spectrum.py s.npy --report rank.json --out spectrum.png

Log-scale singular values, the chosen rank marked with a vertical line and
the gap sigma_r / sigma_{r+1} in the title.  Needs numpy and matplotlib
(pip install numpy matplotlib); dmf itself does not.
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def draw_spectrum(ax, s, rep=None, title=""):
    """Singular values on a log scale, the chosen rank(s) marked."""
    rep = rep or {}
    idx = np.arange(1, len(s) + 1)
    # Values below 1e-18 sigma_max (exact zeros among them) are drawn as
    # triangles on that floor so they do not stretch the axis.
    floor = s[0] * 1e-18 if len(s) and s[0] > 0 else 1e-300
    above = s > floor
    ax.semilogy(idx[above], s[above], ".", ms=4, label="sigma_i")
    if (~above).any():
        ax.semilogy(idx[~above], np.full((~above).sum(), floor), "v", ms=4, color="gray",
                    label="< 1e-18 sigma_max")
    ax.set_ylim(bottom=floor / 10)
    if rep:
        r = rep.get("rank")
        ax.axvline(r + 0.5, color="C3", lw=1, label=f"rank {r} (eps rule)")
        if rep.get("rank_gap") not in (None, r):
            ax.axvline(rep["rank_gap"] + 0.5, color="C2", lw=1, ls="--", label=f"gap rule {rep['rank_gap']}")
        gap = rep.get("gap")
        title = f"{rep.get('network', '')}: rank {r}, gap {gap:.3g}" if gap else f"rank {r}"
        ax.legend()
    ax.set_xlabel("index i")
    ax.set_ylabel("sigma_i")
    ax.set_title(title)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("spectrum", help=".npy of singular values (descending)")
    p.add_argument("--report", help="the JSON line dmf liftrank printed (file)")
    p.add_argument("--out", default="spectrum.png")
    args = p.parse_args()
    s = np.load(args.spectrum)
    rep = {}
    if args.report:
        with open(args.report) as f:
            rep = json.loads(f.readline())
    fig, ax = plt.subplots(figsize=(7, 4))
    draw_spectrum(ax, s, rep, args.spectrum)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(args.out)


if __name__ == "__main__":
    main()
