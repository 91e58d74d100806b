#!/usr/bin/env bash
# Scaling of the multi-process factorization: `mpirun -n P dmf butterfly
# factor --mpi` for P = 1, 2, 4 ranks (and one process without --mpi as the
# baseline) on dft-bitrev c128, balanced tree.  Appends JSON lines to OUT:
# an environment header, then one line per (N, P).
#
#   bench/bench_mpi.sh OUT.jsonl [--sizes "4096 8192"] [--ranks "1 2 4"]
#                                [--repeats R] [--tree balanced]
#
# Each rank runs ceil(cores / P) OpenMP threads, so P ranks share the cores
# that one process would use.  time_s is rank 0's factorization time (from
# a barrier to the factors gathered on rank 0; no input, no error pass),
# the median of the repeats; rank_time_s is each rank's time on its share
# of the tree in the median run; wall_s is the whole mpirun (start-up, the
# matrix built on every rank, the error pass and the exit included).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bench/bench_mpi.sh OUT.jsonl [--sizes S] [--ranks R] [--repeats N] [--tree T]}
shift
sizes="4096"
ranks="1 2 4"
repeats=3
tree=balanced
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes="$2"; shift 2 ;;
    --ranks) ranks="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --tree) tree="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "bench_mpi: unknown option $1" >&2; exit 2 ;;
  esac
done
dmf=build/dmf
[ -x "$dmf" ] || { echo "bench_mpi: build dmf first (bash scripts/setup.sh)" >&2; exit 1; }
"$dmf" info | grep -q '"mpi_compiled": true' || { echo "bench_mpi: dmf was built without MPI" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "bench_mpi: mpirun not found" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl=self,vader
# Cross-memory attach (OpenMPI's default single copy) stays on: it halves the
# transfers here; where a container forbids it, add
# OMPI_MCA_btl_vader_single_copy_mechanism=none.  No binding: ranks x
# threads may exceed the cores.
export OMPI_MCA_hwloc_base_binding_policy=none
# Shared memory only (no UCX or libfabric probing): half the start-up time.
export OMPI_MCA_pml=ob1 OMPI_MCA_osc=^ucx OMPI_MCA_mtl=^ofi,psm,psm2
cores=$(nproc)
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$dmf" "$cores" >>"$out" <<'EOF'
import json, os, platform, subprocess, sys, time
info = json.loads(subprocess.run([sys.argv[1], "info"], capture_output=True, text=True).stdout)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
print(json.dumps({"env": {"tool": "dmf", "bench": "butterfly_mpi", "version": info["version"],
    "compiler": info["compiler"], "blas": info["blas"], "mpi": info.get("mpi_library", ""),
    "cpu": cpu, "cores": int(sys.argv[2]), "load_avg_1min": os.getloadavg()[0],
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}}))
EOF

for n in $sizes; do
  for p in single $ranks; do
    np=${p/single/1}
    threads=$(((cores + np - 1) / np))
    for r in $(seq "$repeats"); do
      start=$(date +%s.%N)
      if [ "$p" = single ]; then
        OMP_NUM_THREADS=$threads "$dmf" butterfly factor --no-out --matrix dft-bitrev --size "$n" --dtype c128 \
          --tree "$tree" --backend cpu >"$tmp/run$r.json" 2>"$tmp/err"
      else
        mpirun --oversubscribe -x OMP_NUM_THREADS="$threads" -n "$np" "$dmf" butterfly factor --no-out --mpi \
          --matrix dft-bitrev --size "$n" --dtype c128 --tree "$tree" --backend cpu \
          >"$tmp/run$r.json" 2>"$tmp/err"
      fi || { echo "bench_mpi: N=$n P=$p failed: $(head -c 300 "$tmp/err")" >&2; exit 1; }
      echo "$start $(date +%s.%N)" >"$tmp/wall$r"
    done
    echo "dmf --mpi N=$n P=$p" >&2
    python3 - "$tmp" "$repeats" "$n" "$p" "$threads" "$tree" "$(cut -d' ' -f1 /proc/loadavg)" >>"$out" <<'EOF'
import json, statistics, sys
tmp, repeats, n, p, threads, tree, load = sys.argv[1:]
runs = []
for r in range(1, int(repeats) + 1):
    j = json.loads(open(f"{tmp}/run{r}.json").read())
    a, b = map(float, open(f"{tmp}/wall{r}").read().split())
    runs.append((j["time_s"], b - a, j))
runs.sort(key=lambda x: x[0])
median = runs[len(runs) // 2]
j = median[2]
print(json.dumps({"bench": "butterfly_mpi", "tool": "dmf", "matrix": "dft-bitrev", "n": int(n),
    "dtype": "c128", "tree": tree, "mode": "single" if p == "single" else "mpi",
    "ranks": 1 if p == "single" else int(p), "omp_threads": int(threads),
    "time_s": median[0], "min_time_s": runs[0][0], "wall_s": statistics.median(x[1] for x in runs),
    "rank_time_s": j.get("rank_time_s", [median[0]]), "rel_error": j["rel_error"],
    "repeats": int(repeats), "load_avg_1min": float(load)}))
EOF
  done
done
