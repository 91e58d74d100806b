#!/usr/bin/env python3
"""Draw the panels of `dmf demod image`: true image, distortion field,
observation y0 = image . field, recovered image G1(h), recovered field G2(m),
one row per trial shown.

    dmf demod image --g1 G1.json --g2 G2.json --grid 28 --trials 3 --out DIR > DIR/report.jsonl
    python3 scripts/plot_demod_image.py DIR --report DIR/report.jsonl --out image.png

The recovered image and field are shown rescaled by the positive factor that
y0 cannot see (G1(h) c and G2(m) / c give the same product), fitted to the
truth.  The title carries the report's "generators" and "note": with random
generators the "image" is a random network's output, not a picture.
Needs numpy and matplotlib (pip install numpy matplotlib); dmf does not.
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def fit_scale(x, truth):
    """x times the a >= 0 that brings it closest to truth."""
    xx = float(x @ x)
    a = max(float(x @ truth) / xx, 0.0) if xx > 0 else 0.0
    return a * x


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dir", help="the --out DIR of dmf demod image")
    p.add_argument("--report", help="its JSON lines (for the title and per-trial errors)")
    p.add_argument("--trials", type=int, default=3, help="rows to draw (default 3)")
    p.add_argument("--out", required=True, help="PNG file")
    a = p.parse_args()
    names = ["image", "field", "y0", "image_rec", "field_rec"]
    try:
        arrays = {n: np.load(os.path.join(a.dir, n + ".npy")) for n in names}
    except OSError as e:
        sys.exit(f"plot_demod_image: {e}")
    T, pixels = arrays["image"].shape
    grid = int(round(pixels ** 0.5))
    if grid * grid != pixels:
        sys.exit(f"plot_demod_image: {pixels} values per row is not a square grid")
    lines, summary = [], {}
    if a.report:
        with open(a.report) as f:
            rows = [json.loads(l) for l in f if l.strip().startswith("{")]
        lines = [r for r in rows if "trial" in r]
        summary = next((r for r in rows if r.get("summary")), {})
    rows = min(a.trials, T)
    titles = ["true image", "distortion field", "observation y0", "recovered image", "recovered field"]
    fig, axes = plt.subplots(rows, 5, figsize=(13, 2.8 * rows + 0.9), squeeze=False)
    for t in range(rows):
        image_rec = fit_scale(arrays["image_rec"][t], arrays["image"][t])
        field_rec = fit_scale(arrays["field_rec"][t], arrays["field"][t])
        panels = [arrays["image"][t], arrays["field"][t], arrays["y0"][t], image_rec, field_rec]
        for k, (ax, img) in enumerate(zip(axes[t], panels)):
            im = ax.imshow(img.reshape(grid, grid), cmap="gray" if k != 1 and k != 4 else "magma",
                           extent=(-5, 5, -5, 5), origin="lower")
            title = titles[k]
            if t < len(lines) and k == 3 and "image_rel_error" in lines[t]:
                title += f"\nerror {lines[t]['image_rel_error']:.2g}"
            if t < len(lines) and k == 4 and "field_rel_error" in lines[t]:
                title += f"\nerror {lines[t]['field_rel_error']:.2g}"
            if t < len(lines) and k == 1 and "c" in lines[t]:
                title += f"\nc = {lines[t]['c']:.2f}, sigma = {lines[t]['sigma']:.1f}"
            ax.set_title(title, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
    head = f"dmf demod image, {grid} x {grid}"
    if summary:
        head += f": generators {summary.get('generators')}, field {summary.get('field')}, "
        rate = summary.get("success_rate")
        head += f"success rate {rate}" if rate is not None else "no latent truth (errors up to scale)"
        note = summary.get("note", "")
        if note:
            head += "\n" + note
    fig.suptitle(head, fontsize=9)
    fig.tight_layout()
    fig.savefig(a.out, dpi=110)
    print(a.out)


if __name__ == "__main__":
    main()
