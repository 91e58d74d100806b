#!/usr/bin/env bash
# The GPU round in one command: configure with CUDA, build, run the tests
# (the GPU ones run instead of skipping) and the butterfly benchmark on the
# CUDA and CPU backends, and write logs and JSON lines to $OUT (default
# ./gpu-check-out).  Needs the build dependencies of scripts/setup.sh
# (OpenBLAS, LAPACKE, cJSON) and the CUDA toolkit.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu-check-out}
mkdir -p "$out"
status=0

{ nvidia-smi || true; nvcc --version || true; } >"$out/device.txt" 2>&1
if ! cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DDMF_CUDA=ON >"$out/configure.log" 2>&1; then
  echo "gpu_check: configure failed (see $out/configure.log)" >&2
  exit 1
fi
cmake --build build-gpu -j "$(nproc)" >"$out/build.log" 2>&1 || { echo "gpu_check: build failed" >&2; exit 1; }
build-gpu/dmf info >"$out/info.json" 2>&1 || status=1
(cd build-gpu && ctest --output-on-failure) >"$out/ctest.log" 2>&1 || status=1
for backend in cuda cpu; do
  for n in 1024 4096; do
    build-gpu/bench/bench_butterfly --matrix dft-bitrev --dtype c128 --size "$n" --trees balanced \
      --repeats 3 --backend "$backend" >>"$out/bench_butterfly.jsonl" 2>>"$out/bench.log" || status=1
  done
done
tail -n 3 "$out/ctest.log"
exit $status
