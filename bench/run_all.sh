#!/usr/bin/env bash
# Every dmf benchmark and the comparators installed here, in one run, then
# the figures.  Writes into OUT (default bench/results/run-DATE/):
#   all.jsonl              every JSON line of the run (each program's
#                          {"env": ...} header first), the input of plot.py
#   butterfly.jsonl/.md    dmf vs pyfaust vs Le et al. (bench/run_butterfly.sh)
#   liftrank.jsonl         Haar networks N = 2^K: dmf, LAPACK's SVD alone, NumPy
#   liftrank-spectrum.npy  the singular values of dmf's largest Haar estimate
#   demod.jsonl            Algorithm 1: dmf vs PyTorch (same sizes and steps)
#   demod-sweep.jsonl      success rates over latent x output sizes
#   mpi.jsonl              1, 2, 4 MPI ranks (when dmf is built with MPI)
#   python.jsonl/.md       dmf from Python: chain @ X vs NumPy, pyfaust, SciPy;
#                          butterfly_factor's wall vs the C time_s (when the
#                          dmf package is installed in bench/.venv)
#   gpu/*.jsonl            copied from --gpu-results (scripts/gpu_check.sh's $OUT)
#   *.png                  bench/plot.py's figures
#
#   bench/run_all.sh [--quick] [--le-etal PATH] [--gpu-results DIR] [--out DIR]
#
# --quick: small sizes and few trials, a few minutes in all (a smoke run;
# its timings are not the recorded ones).  Comparators: pyfaust and PyTorch
# from bench/.venv (bench/comparators/setup_venv.sh), NumPy from there or the
# system, the Le et al. code from a local checkout given by --le-etal.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
le_etal=""
gpu_results=""
out="bench/results/run-$(date -u +%Y%m%d)"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --le-etal) le_etal="$2"; shift 2 ;;
    --gpu-results) gpu_results="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "run_all: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
dmf=build/dmf
for prog in "$dmf" build/bench/bench_butterfly build/bench/bench_liftrank build/bench/bench_demod; do
  [ -x "$prog" ] || { echo "run_all: $prog missing: build dmf first (bash scripts/setup.sh)" >&2; exit 1; }
done
if [ -n "$gpu_results" ] && [ ! -d "$gpu_results" ]; then
  echo "run_all: --gpu-results $gpu_results is not a directory" >&2; exit 1
fi
mkdir -p "$out"
py=python3
[ -x bench/.venv/bin/python ] && py=bench/.venv/bin/python
has_module() { "$py" -c "import $1" 2>/dev/null; }
step() { echo "== $* ($(date -u +%H:%M:%S))" >&2; }

if [ "$quick" = 1 ]; then
  bf_sizes="256 512 1024"; bf_repeats=1; bf_max=10
  haar_ks="6 8"; demod_trials=50; demod_its=50
  sweep_latent=2,10; sweep_outputs=50,250; sweep_trials=10; mpi_n=1024
else
  bf_sizes="256 512 1024 2048 4096 8192"; bf_repeats=3; bf_max=30
  haar_ks="6 7 8 9 10"; demod_trials=1000; demod_its=100
  sweep_latent=2,5,10,20; sweep_outputs=50,100,250,500,1000; sweep_trials=100; mpi_n=4096
fi

step "butterfly: dmf and comparators, N = $bf_sizes"
bf_args=(--sizes "$bf_sizes" --repeats "$bf_repeats" --max-seconds "$bf_max" --out "$out/butterfly.jsonl")
[ -n "$le_etal" ] && bf_args+=(--le-etal "$le_etal")
bash bench/run_butterfly.sh "${bf_args[@]}" >/dev/null

step "lifting rank: Haar networks K = $haar_ks"
: >"$out/liftrank.jsonl"
for k in $haar_ks; do
  n=$((1 << (k + 2)))
  net="$out/haar-$k.json"
  {
    printf '{"type": "conv", "N": %d, "root": "n0", "edges": [' "$n"
    for ((i = 0; i < k; i++)); do
      [ "$i" -gt 0 ] && printf ', '
      printf '{"from": "n%d", "to": "n%d", "support": {"dilated": %d}}' $((i + 1)) "$i" "$i"
    done
    printf ']}\n'
  } >"$net"
  build/bench/bench_liftrank --network "$net" --repeats 3 >>"$out/liftrank.jsonl"
  if has_module numpy; then
    OPENBLAS_NUM_THREADS=$(nproc) "$py" bench/anchors/liftrank_numpy.py "$net" --repeats 3 >>"$out/liftrank.jsonl"
  fi
  last_net="$net"
done
"$dmf" liftrank "$last_net" --spectrum "$out/liftrank-spectrum.npy" >"$out/liftrank-spectrum.json"

step "demod: $demod_trials trials x $demod_its iterations, dmf and PyTorch"
build/bench/bench_demod --trials "$demod_trials" --iterations "$demod_its" >"$out/demod.jsonl"
if has_module torch; then
  "$py" bench/anchors/demod_torch.py --trials "$demod_trials" --iterations "$demod_its" >>"$out/demod.jsonl"
else
  echo "run_all: torch not installed in $py; the PyTorch demod anchor is skipped" >&2
fi
step "demod: success-rate sweep"
"$dmf" demod sweep --latent "$sweep_latent" --outputs "$sweep_outputs" --hidden 250 \
  --trials "$sweep_trials" >"$out/demod-sweep.jsonl"

if "$dmf" info | grep -q '"mpi_compiled": true' && command -v mpirun >/dev/null; then
  step "MPI scaling, dft-bitrev $mpi_n"
  : >"$out/mpi.jsonl"
  bash bench/bench_mpi.sh "$out/mpi.jsonl" --sizes "$mpi_n" || echo "run_all: MPI benchmark failed" >&2
fi

if has_module dmf; then
  if [ "$quick" = 1 ]; then py_args=(--sizes 1024 --repeats 3); else py_args=(--sizes 4096 --repeats 15); fi
  step "dmf from Python: chain @ X and butterfly_factor, ${py_args[*]}"
  "$py" bench/bench_python.py "${py_args[@]}" --out "$out/python.jsonl" >/dev/null
  "$py" bench/bench_python.py --summarize "$out/python.jsonl" >"$out/python.md"
else
  echo "run_all: the dmf Python package is not installed in $py ($py -m pip install .); skipped" >&2
fi

if [ -n "$gpu_results" ]; then
  mkdir -p "$out/gpu"
  cp "$gpu_results"/*.jsonl "$out/gpu/" 2>/dev/null || echo "run_all: no .jsonl in $gpu_results" >&2
fi

cat "$out"/*.jsonl "$out"/gpu/*.jsonl 2>/dev/null | grep '^{' >"$out/all.jsonl" || true
step "figures"
if has_module matplotlib; then
  "$py" bench/plot.py "$out"
else
  echo "run_all: matplotlib not installed in $py; no figures (pip install matplotlib numpy)" >&2
fi
echo "run_all: results in $out" >&2
