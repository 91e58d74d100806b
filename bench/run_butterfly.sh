#!/usr/bin/env bash
# Butterfly benchmark: dmf and the comparators that install here, same
# matrices, same run.  Writes JSON lines to bench/results/butterfly-DATE.jsonl
# and a Markdown table of times, errors and speedups beside it.
#
#   bench/run_butterfly.sh [--sizes "256 512 ... 8192"] [--repeats R]
#                          [--le-etal PATH] [--no-pyfaust] [--max-seconds S]
#                          [--out FILE]
#
# --max-seconds (default 30): a comparator run longer than this ends the
# larger sizes of that tree for that tool (they are reported as skipped).
#
# dmf runs from build/ (scripts/setup.sh builds it).  pyfaust and the Le et
# al. code run from bench/.venv (bench/comparators/setup_venv.sh makes it);
# the Le et al. code is a local checkout given by --le-etal.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="256 512 1024 2048 4096 8192"
repeats=3
max_seconds=30
le_etal=""
pyfaust=1
out="bench/results/butterfly-$(date -u +%Y%m%d).jsonl"
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --le-etal) le_etal="$2"; shift 2 ;;
    --no-pyfaust) pyfaust=0; shift ;;
    --max-seconds) max_seconds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "run_butterfly: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$(dirname "$out")"
: >"$out"
bench=build/bench/bench_butterfly
[ -x "$bench" ] || { echo "run_butterfly: build dmf first (bash scripts/setup.sh)" >&2; exit 1; }

for n in $sizes; do
  for spec in "dft-bitrev c128" "hadamard f64"; do
    set -- $spec
    echo "dmf $1 $2 n=$n" >&2
    # One process per size, so peak_rss_mib is this problem's.
    "$bench" --matrix "$1" --dtype "$2" --size "$n" --repeats "$repeats" >>"$out"
  done
done

py=bench/.venv/bin/python
if [ "$pyfaust" = 1 ] && [ -x "$py" ] && "$py" -c 'import pyfaust' 2>/dev/null; then
  echo "pyfaust" >&2
  "$py" bench/comparators/bench_pyfaust.py --sizes $sizes --repeats "$repeats" --max-seconds "$max_seconds" >>"$out" || true
else
  echo "run_butterfly: pyfaust not installed (bench/comparators/setup_venv.sh); skipped" >&2
fi
if [ -n "$le_etal" ]; then
  echo "Le et al." >&2
  "$py" bench/comparators/bench_le_etal.py --repo "$le_etal" --sizes $sizes --repeats "$repeats" --max-seconds "$max_seconds" >>"$out" || true
fi
python3 bench/summarize.py "$out" >"${out%.jsonl}.md"
cat "${out%.jsonl}.md"
