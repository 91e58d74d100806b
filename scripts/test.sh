#!/usr/bin/env bash
# The whole test suite: the Python package's tests (pytest, in .venv, made
# or refreshed by scripts/python_env.sh), a release build (with the CUDA backend wherever nvcc
# is found, and MPI wherever it is installed; GPU tests skip without a GPU)
# and a build under AddressSanitizer and UBSan (CPU backend), each run
# through ctest.  The sanitizer build leaves MPI out: OpenMPI's own
# allocations at exit, many from components it has already unloaded (no
# module name to suppress them by), fail LeakSanitizer.  There the MPI test
# checks the "built without MPI" answer and reports skipped; the slicing it
# relies on is tested under the sanitizers by test_partition.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$jobs" >/dev/null
(cd build && ctest --output-on-failure -j "$jobs")

bash scripts/python_env.sh
(cd python/tests && DMF_CLI="$PWD/../../build/dmf" ../../.venv/bin/python -m pytest -q -p no:cacheprovider .)

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDMF_SANITIZE=ON -DDMF_CUDA=OFF -DDMF_MPI=OFF -DDMF_NATIVE=OFF >/dev/null
cmake --build build-asan -j "$jobs" >/dev/null
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   ctest --output-on-failure -j "$jobs")
bash scripts/fuzz.sh 30 # libFuzzer on every reader, 30 s each, under ASan and UBSan (scripts/fuzz.sh)
