#!/usr/bin/env bash
# The trees against each other and against the machine: dmf alone, every
# tree of DFT-bitrev (c128) and Hadamard (f64) at the large sizes, one
# process per size and matrix (so the peak memory is that problem's), the
# trees in turns inside it.  Writes JSON lines to
# bench/results/butterfly-trees-DATE.jsonl and the table beside it (.md,
# bench/summarize_trees.py): time_s, passes of a streaming read measured in
# the same process, each tree's time over balanced's, error and peak memory;
# then, per size and dtype, bench_reads of the balanced root's and r2l's
# root's read patterns (the least those roots can take, in passes).
#
#   bench/run_trees.sh [--sizes "4096 8192 16384"] [--repeats R] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="4096 8192 16384"
repeats=5
out="bench/results/butterfly-trees-$(date -u +%Y%m%d).jsonl"
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run_trees: unknown option $1" >&2; exit 2 ;;
  esac
done
bench=build/bench/bench_butterfly reads=build/bench/bench_reads
[ -x "$bench" ] && [ -x "$reads" ] || { echo "run_trees: build dmf first (bash scripts/setup.sh)" >&2; exit 1; }
[ -e "$out" ] && { echo "run_trees: $out exists; give another --out" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
for n in $sizes; do
  for spec in "dft-bitrev c128" "hadamard f64"; do
    set -- $spec
    echo "dmf $1 $2 n=$n" >&2
    "$bench" --matrix "$1" --dtype "$2" --size "$n" --trees balanced,l2r,r2l --repeats "$repeats" >>"$out"
    # The balanced root reads tiles of 2 KiB over row groups of 2^(l+1)
    # rows (l = (L - 2) / 2, L = log2 N); r2l's root two lane groups of
    # every other row (16 entries each).
    L=0; while [ $((1 << L)) -lt "$n" ]; do L=$((L + 1)); done
    [ $((1 << L)) -eq "$n" ] || continue
    group=$((1 << ((L - 2) / 2 + 1)))
    lanes=$([ "$2" = c128 ] && echo 512 || echo 256)
    "$reads" --size "$n" --dtype "$2" --patterns "2048x1/$group,${lanes}x2" --repeats "$repeats" >>"$out"
  done
done
python3 bench/summarize_trees.py "$out" >"${out%.jsonl}.md"
echo "run_trees: wrote $out and ${out%.jsonl}.md" >&2
