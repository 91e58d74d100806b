#!/usr/bin/env bash
# The shape of Hand & Joshi's image experiment with what dmf can make: two
# RANDOM (untrained) generators 10 -> 250 -> 784 give 28 x 28 "images" and
# distortion fields; Algorithm 1 recovers both from their product.  A second
# run multiplies the paper's Gaussian fields into the images instead, which a
# random field generator cannot represent (it fails, as it should).  Also
# writes the Gaussian field data set a trained field generator would learn.
#
#   bash scripts/demod_image_demo.sh [OUTDIR] [--g1 SIGNAL.json --g2 FIELD.json]
#
# With trained weights ({"weights": ["W1.npy", "W2.npy"]} specs with 784
# outputs), pass them as --g1/--g2: the same commands then run on them.
# PYTHON (default python3) needs numpy and matplotlib for the figures.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
DMF=${DMF:-$here/build/dmf}
PYTHON=${PYTHON:-python3}
out=${1:-demod_image_demo}
[ $# -gt 0 ] && shift
mkdir -p "$out"
g1=$out/g1_random.json g2=$out/g2_random.json
while [ $# -gt 0 ]; do
  case $1 in
  --g1) g1=$2; shift 2 ;;
  --g2) g2=$2; shift 2 ;;
  *) echo "demod_image_demo: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
echo '{"sizes": [10, 250, 784], "seed": 11}' >"$out/g1_random.json"
echo '{"sizes": [10, 250, 784], "seed": 12}' >"$out/g2_random.json"

"$DMF" demod fields --grid 28 --count 1000 --seed 1 --out "$out/gaussian_fields.npy" \
  --params "$out/gaussian_field_params.npy"
"$DMF" demod image --g1 "$g1" --g2 "$g2" --grid 28 --trials 3 --out "$out/generator_field" \
  >"$out/generator_field.jsonl"
"$DMF" demod image --g1 "$g1" --g2 "$g2" --grid 28 --trials 3 --field gaussian --out "$out/gaussian_field" \
  >"$out/gaussian_field.jsonl"
for run in generator_field gaussian_field; do
  "$PYTHON" "$here/scripts/plot_demod_image.py" "$out/$run" --report "$out/$run.jsonl" --out "$out/$run.png"
done
