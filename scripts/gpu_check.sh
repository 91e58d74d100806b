#!/usr/bin/env bash
# The GPU round in one command, on a machine with an NVIDIA GPU, the CUDA
# toolkit, CMake and Python (PyTorch for the comparator) but possibly none of
# dmf's Debian dependencies and no package registry:
#
#   1. dependencies: the system's OpenBLAS/LAPACKE/cJSON when pkg-config
#      finds them, otherwise the Debian 12 packages shipped in
#      third_party/debs/ (checked against their MANIFEST), unpacked with
#      dpkg-deb -x (or ar + tar) into build-gpu/deps -- no root, no dpkg
#      database -- with their .pc files moved to that prefix;
#   2. configure with -DDMF_CUDA=ON into build-gpu and build;
#   3. ctest (the GPU tests run instead of skipping);
#   4. benchmarks: bench_butterfly on the CUDA and the CPU backend in the
#      same run, the PyTorch comparator bench/anchors/butterfly_torch.py on
#      the GPU, bench_liftrank on CUDA and CPU;
#   5. logs, JSON lines and summary.txt in $OUT (default build-gpu/gpu-results).
#
#   scripts/gpu_check.sh [--bench-only] [--no-bench]
#
# Environment (all optional):
#   GPU_CHECK_DEBS=auto|always|never   use the shipped packages (auto: only
#                                      when the system lacks the libraries)
#   GPU_CHECK_SIZES="1024 4096 16384"  bench_butterfly sizes
#   GPU_CHECK_MATRICES="dft-bitrev:c128 random-chain:f64"
#   GPU_CHECK_TORCH_SIZES="1024 2048 4096 8192 16384"
#   GPU_CHECK_TIMEOUT=120              seconds per dmf benchmark process; a
#                                      size that runs out ends the larger ones
#   GPU_CHECK_TORCH_TIMEOUT=300        the same for one size of the comparator
#                                      (3 repeats up to N = 4096, 1 above)
#   GPU_CHECK_PYTHON=python3           the Python with PyTorch
#   GPU_CHECK_JOBS=$(nproc)
#
# Exit status: 0 when everything ran (a CUDA backend that this build does
# not offer yet is reported, not failed), 1 when a test or benchmark failed,
# 2 when dependencies, configure or build failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$root/build-gpu
out=${OUT:-$build/gpu-results}
mkdir -p "$out"
out=$(cd "$out" && pwd)
jobs=${GPU_CHECK_JOBS:-$(nproc)}
timeout_s=${GPU_CHECK_TIMEOUT:-120}
torch_timeout_s=${GPU_CHECK_TORCH_TIMEOUT:-300}
sizes=${GPU_CHECK_SIZES:-"1024 4096 16384"}
matrices=${GPU_CHECK_MATRICES:-"dft-bitrev:c128 random-chain:f64"}
torch_sizes=${GPU_CHECK_TORCH_SIZES:-"1024 2048 4096 8192 16384"}
use_debs=${GPU_CHECK_DEBS:-auto}
python=${GPU_CHECK_PYTHON:-python3}
do_build=1 do_bench=1
for arg in "$@"; do
  case "$arg" in
    --bench-only) do_build=0 ;;
    --no-bench) do_bench=0 ;;
    -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
    *) echo "gpu_check: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

case "$use_debs" in auto|always|never) ;; *) echo "gpu_check: GPU_CHECK_DEBS is auto, always or never" >&2; exit 2 ;; esac

summary=$out/summary.txt
: >"$summary"
failed=0
note() { echo "gpu_check: $*" | tee -a "$summary" >&2; }
stage() { echo "== $(date -u +%H:%M:%S) $*" >&2; }

stage "device"
{ nvidia-smi || echo "nvidia-smi: not available"; echo; nvcc --version || echo "nvcc: not found";
  echo; uname -a; cat /etc/os-release 2>/dev/null; echo; cmake --version | head -1; } >"$out/device.txt" 2>&1
gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
note "GPU: ${gpu_name:-none found}"

# ---- 1. dependencies -------------------------------------------------------
system_has_deps() {
  command -v pkg-config >/dev/null 2>&1 && pkg-config --exists openblas libcjson || return 1
  printf '#include <lapacke.h>\n#include <cjson/cJSON.h>\nint main(void){return 0;}\n' |
    ${CC:-$(command -v cc || command -v gcc)} $(pkg-config --cflags openblas libcjson) -x c - -o /dev/null -llapacke -lcjson \
      $(pkg-config --libs openblas) >/dev/null 2>&1
}

cmake_args=(-DCMAKE_BUILD_TYPE=Release -DDMF_CUDA=ON)
# Ninja when there, unless build-gpu was configured with another generator.
command -v ninja >/dev/null 2>&1 && [ ! -f "$build/CMakeCache.txt" ] && cmake_args+=(-G Ninja)
cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '.')
case "$cap" in
  ''|80|90) ;;
  *) cmake_args+=("-DCMAKE_CUDA_ARCHITECTURES=80;90;$cap") ;;
esac

if [ "$use_debs" = always ] || { [ "$use_debs" = auto ] && ! system_has_deps; }; then
  prefix=$build/deps
  lib=$prefix/usr/lib/x86_64-linux-gnu
  stage "unpacking third_party/debs into $prefix"
  bash scripts/unpack_gpu_debs.sh "$prefix" 2>>"$out/deps.log" ||
    { note "dependencies: unpacking failed: $(tail -n 1 "$out/deps.log")"; exit 2; }
  note "dependencies: shipped Debian 12 packages in $prefix"
  export PKG_CONFIG_PATH="$lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  # Build and run with these libraries first; the binaries also carry them
  # as RPATH (not RUNPATH, which the loader ignores for liblapacke's own
  # dependencies), so they run later without this variable.
  export LD_LIBRARY_PATH="$lib:$lib/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  pkg_config=$(command -v pkg-config || echo "$prefix/bin/pkg-config")
  cmake_args+=("-DCMAKE_PREFIX_PATH=$prefix/usr" "-DCMAKE_LIBRARY_PATH=$lib"
               "-DCMAKE_INCLUDE_PATH=$prefix/usr/include" "-DPKG_CONFIG_EXECUTABLE=$pkg_config"
               "-DCMAKE_EXE_LINKER_FLAGS=-Wl,--disable-new-dtags -Wl,-rpath-link,$lib:$lib/openblas-pthread")
else
  note "dependencies: the system's"
fi

# ---- 2. configure and build, 3. tests --------------------------------------
if [ "$do_build" = 1 ]; then
  stage "configure (log: $out/configure.log)"
  if ! cmake -S . -B "$build" "${cmake_args[@]}" >"$out/configure.log" 2>&1; then
    note "configure failed: see configure.log"; tail -n 20 "$out/configure.log" >&2; exit 2
  fi
  stage "build (log: $out/build.log)"
  if ! cmake --build "$build" -j "$jobs" >"$out/build.log" 2>&1; then
    note "build failed: see build.log"; grep -m 20 -iE 'error' "$out/build.log" >&2; exit 2
  fi
  note "built: $(grep -m1 'dmf: CUDA backend' "$out/configure.log" | sed 's/^-- //')"
  ldd "$build/dmf" >"$out/ldd.txt" 2>&1
  grep -q 'not found' "$out/ldd.txt" && note "ldd: $(grep 'not found' "$out/ldd.txt" | tr -s ' \t' ' ')"
  "$build/dmf" info >"$out/info.json" 2>&1 || note "dmf info exited $?"

  stage "ctest (log: $out/ctest.log)"
  junit=()
  cmake --help-manual ctest 2>/dev/null | grep -q -- '--output-junit' && junit=(--output-junit "$out/ctest-junit.xml")
  # tests/cli_butterfly_torch.sh checks the comparator with this Python.
  (cd "$build" && DMF_TORCH_PYTHON=$python ctest --output-on-failure -j "$jobs" --timeout 600 "${junit[@]}") >"$out/ctest.log" 2>&1
  rc=$?
  note "ctest: $(grep -E 'tests passed|tests failed' "$out/ctest.log" | tail -1)"
  skipped=$(grep -E '\(Skipped\)' "$out/ctest.log" | sed -E 's/^[[:space:]]*[0-9]+ - //; s/ \(Skipped\).*//' | tr '\n' ' ')
  [ -n "$skipped" ] && note "ctest skipped: $skipped"
  [ "$rc" = 0 ] || { note "ctest failed (rc $rc): see ctest.log"; failed=1; }
else
  [ -x "$build/dmf" ] || { note "--bench-only: no build in $build"; exit 2; }
fi

[ "$do_bench" = 1 ] || { note "benchmarks not run (--no-bench)"; exit $failed; }

# ---- 4. benchmarks --------------------------------------------------------
# A process that runs out of time ends the larger sizes of its series.
json_escape() { local s=${1//\\/\\\\}; printf '%s' "${s//\"/\\\"}"; }
run_timed() {  # seconds log-name command...
  local seconds=$1 name=$2; shift 2
  timeout "$seconds" "$@" 2>>"$out/$name.log"
}

bench=$build/bench/bench_butterfly
: >"$out/bench_butterfly.jsonl"
stage "bench_butterfly (cuda and cpu; $out/bench_butterfly.jsonl)"
# Whether the CUDA backend is offered, asked on a tiny problem, so a
# missing backend costs no large matrix generation.
cuda_reason=""
if ! probe=$("$bench" --matrix dft-bitrev --dtype c128 --size 4 --repeats 1 --backend cuda 2>&1 >/dev/null); then
  cuda_reason=$(tail -n 1 <<<"${probe#bench_butterfly: }")
  note "bench_butterfly: CUDA backend not offered: $cuda_reason"
  # A build without the CUDA kernels yet is reported; no device is a failure.
  grep -q 'not part of this build' <<<"$cuda_reason" || failed=1
fi
for spec in $matrices; do
  matrix=${spec%%:*} dtype=${spec#*:}
  for backend in cuda cpu; do
    if [ "$backend" = cuda ] && [ -n "$cuda_reason" ]; then
      printf '{"bench": "butterfly", "tool": "dmf", "backend": "cuda", "matrix": "%s", "dtype": "%s", "skipped": "%s"}\n' \
        "$matrix" "$dtype" "$(json_escape "$cuda_reason")" >>"$out/bench_butterfly.jsonl"
      continue
    fi
    for n in $sizes; do
      echo "bench_butterfly $matrix $dtype n=$n $backend" >>"$out/bench_butterfly.log"
      run_timed "$timeout_s" bench_butterfly "$bench" --matrix "$matrix" --dtype "$dtype" --size "$n" --trees balanced \
        --repeats 3 --backend "$backend" >>"$out/bench_butterfly.jsonl"
      rc=$?
      if [ "$rc" = 124 ]; then
        printf '{"bench": "butterfly", "tool": "dmf", "backend": "%s", "matrix": "%s", "n": %s, "dtype": "%s", "skipped": "over %s s"}\n' \
          "$backend" "$matrix" "$n" "$dtype" "$timeout_s" >>"$out/bench_butterfly.jsonl"
        note "bench_butterfly $matrix $dtype $backend: n=$n over ${timeout_s}s, larger sizes skipped"; break
      fi
      [ "$rc" = 0 ] || { note "bench_butterfly $matrix $dtype n=$n $backend failed (rc $rc)"; failed=1; }
    done
  done
done

stage "PyTorch comparator ($out/butterfly_torch.jsonl)"
: >"$out/butterfly_torch.jsonl"
if ! env -u LD_LIBRARY_PATH "$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 3)' \
     >>"$out/butterfly_torch.log" 2>&1; then
  note "butterfly_torch: $python has no PyTorch with CUDA; skipped"
else
  for n in $torch_sizes; do
    # The comparator runs without dmf's library path: PyTorch brings its own.
    repeats=3
    [ "$n" -gt 4096 ] && repeats=1
    run_timed "$torch_timeout_s" butterfly_torch env -u LD_LIBRARY_PATH "$python" bench/anchors/butterfly_torch.py \
      --size "$n" --dtype c128 --device cuda --repeats "$repeats" >>"$out/butterfly_torch.jsonl"
    rc=$?
    if [ "$rc" = 124 ]; then
      printf '{"bench": "butterfly", "tool": "torch", "backend": "cuda", "matrix": "dft-bitrev", "n": %s, "dtype": "c128", "skipped": "over %s s"}\n' \
        "$n" "$torch_timeout_s" >>"$out/butterfly_torch.jsonl"
      note "butterfly_torch: n=$n over ${torch_timeout_s}s, larger sizes skipped"; break
    fi
    [ "$rc" = 0 ] || { note "butterfly_torch n=$n failed (rc $rc)"; failed=1; break; }
  done
fi

stage "bench_liftrank ($out/bench_liftrank.jsonl)"
: >"$out/bench_liftrank.jsonl"
for backend in cuda cpu; do
  run_timed "$timeout_s" bench_liftrank "$build/bench/bench_liftrank" --repeats 3 --backend "$backend" >>"$out/bench_liftrank.jsonl"
  rc=$?
  if [ "$rc" != 0 ]; then
    reason=$(tail -n 1 "$out/bench_liftrank.log")
    if [ "$backend" = cuda ] && grep -q 'not part of this build' <<<"$reason"; then
      note "bench_liftrank: CUDA backend not offered: ${reason#bench_liftrank: }"
    else
      note "bench_liftrank $backend failed (rc $rc): $reason"; failed=1
    fi
  fi
done

note "results in $out"
exit $failed
