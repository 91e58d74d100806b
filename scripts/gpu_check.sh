#!/usr/bin/env bash
# The GPU round, sized for short loans of a GPU machine (about 15 minutes of
# device time in all): two calls of under 8 minutes each on one warm
# machine, the first building and testing, the second benchmarking the
# build the first left behind:
#
#   scripts/gpu_check.sh --no-bench      dependencies, configure, build, ctest
#                                        (--timeout 120; the GPU tests run),
#                                        compute-sanitizer on the GPU tests
#   scripts/gpu_check.sh --bench-only    bench_butterfly on CUDA and the CPU
#                                        (rel_error checked), the PyTorch
#                                        comparator, bench_liftrank
#   scripts/gpu_check.sh                 both in one call
#   scripts/gpu_check.sh --dry-run [...] print the steps and the deadline plan
#
# It needs the CUDA toolkit (nvcc on PATH or under /usr/local/cuda/bin), CMake,
# a C compiler and Python (PyTorch with CUDA for the comparator), nothing
# else: where the system lacks OpenBLAS, LAPACKE or cJSON it unpacks the
# Debian 12 packages shipped in third_party/debs/ (checked against their
# MANIFEST) into BUILD/deps, without root.
#
# Deadline: every step starts only while its minimum fits before DEADLINE
# seconds after the start, and its processes are limited to the time left
# (minus 10 s kept for packing); a step that does not fit is skipped with a
# line saying so.
#
# Outputs, at most 3 files in $OUT (default BUILD/gpu-results), MODE being
# build (--no-bench), bench (--bench-only) or all:
#   summary-MODE.txt    what ran, what failed or was skipped, and why
#   results-MODE.jsonl  every JSON line: one per step, ctest, each sanitizer
#                       run, each benchmark measurement, and a last line
#                       {"gpu_check": "done", ...}; these lines also go to
#                       stdout (progress goes to stderr)
#   logs-MODE.tar.gz    every log (configure, build, ctest with each test's
#                       output, sanitizers, benchmarks, nvidia-smi),
#                       refreshed after each step
# The summary and the JSON lines are written as the run goes, so a run that
# is killed still leaves them.
#
# Environment (all optional):
#   DEADLINE=450                     seconds for the whole call
#   GPU_CHECK_BUILD=build-gpu        build folder (kept between the calls)
#   GPU_CHECK_DEBS=auto|always|never use the shipped packages (auto: only
#                                    when the system lacks the libraries)
#   GPU_CHECK_JOBS=$(nproc)
#   GPU_CHECK_SIZES="1024 4096 16384"  bench_butterfly sizes (each on CUDA,
#                                    then on the CPU)
#   GPU_CHECK_MATRICES="dft-bitrev:c128 random-chain:f64 dft-bitrev:c64 random-chain:f32"
#                                    in order of priority; exact chains, so a
#                                    rel_error above 1e-12 (f64, c128) or
#                                    1e-5 (f32, c64) fails the step
#   GPU_CHECK_MAX_REL_ERROR=E        one tolerance for every matrix instead
#   GPU_CHECK_ALL_TREES_AT=4096      the size at which l2r and r2l run too
#   GPU_CHECK_TIMEOUT=120            seconds per benchmark process; a size
#                                    that runs out ends the larger ones
#   GPU_CHECK_TORCH_SIZES="1024 2048 4096"  PyTorch comparator sizes (c128)
#   GPU_CHECK_TORCH_TIMEOUT=90       seconds per comparator size
#   GPU_CHECK_SANITIZER_TIMEOUT=120  seconds per compute-sanitizer run
#   GPU_CHECK_PYTHON=python3         the Python with PyTorch
#   GPU_CHECK_ALLOW_NO_GPU=1         run the benchmark steps without a GPU
#                                    (CPU lines only; to try the script)
#   GPU_CHECK_FAKE_GPU=1             act as if a GPU were usable (to try the
#                                    GPU steps' logic without one: the GPU
#                                    tests then skip and that is a failure)
#
# Exit status: 0 everything ran and passed; 1 a test, sanitizer or benchmark
# failed (a rel_error above the tolerance included); 2 dependencies,
# configure or build failed, or --bench-only found no build; 3 no usable
# GPU (what runs without one ran, the GPU steps were skipped: not a GPU
# result); 4 the deadline cut steps off (nothing failed).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
root=$PWD
t_start=$(date +%s)

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
mode=all dry=0
for arg in "$@"; do
  case "$arg" in
    --bench-only) [ "$mode" = build ] && { echo "gpu_check: --bench-only and --no-bench exclude each other" >&2; exit 2; }; mode=bench ;;
    --no-bench) [ "$mode" = bench ] && { echo "gpu_check: --bench-only and --no-bench exclude each other" >&2; exit 2; }; mode=build ;;
    --dry-run) dry=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu_check: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

deadline=${DEADLINE:-450}
case "$deadline" in ''|*[!0-9]*) echo "gpu_check: DEADLINE is a number of seconds (got '$deadline')" >&2; exit 2 ;; esac
use_debs=${GPU_CHECK_DEBS:-auto}
case "$use_debs" in auto|always|never) ;; *) echo "gpu_check: GPU_CHECK_DEBS is auto, always or never" >&2; exit 2 ;; esac
build=${GPU_CHECK_BUILD:-$root/build-gpu}
case "$build" in /*) ;; *) build=$root/$build ;; esac
jobs=${GPU_CHECK_JOBS:-$(nproc)}
bench_timeout=${GPU_CHECK_TIMEOUT:-120}
torch_timeout=${GPU_CHECK_TORCH_TIMEOUT:-90}
san_timeout=${GPU_CHECK_SANITIZER_TIMEOUT:-120}
sizes=${GPU_CHECK_SIZES:-"1024 4096 16384"}
matrices=${GPU_CHECK_MATRICES:-"dft-bitrev:c128 random-chain:f64 dft-bitrev:c64 random-chain:f32"}
all_trees_at=${GPU_CHECK_ALL_TREES_AT:-4096}
torch_sizes=${GPU_CHECK_TORCH_SIZES:-"1024 2048 4096"}
python=${GPU_CHECK_PYTHON:-python3}
allow_no_gpu=${GPU_CHECK_ALLOW_NO_GPU:-0}
fake_gpu=${GPU_CHECK_FAKE_GPU:-0}
reserve=10 # seconds kept for packing

case "$mode" in
  build) steps="device deps configure build ctest sanitize" ;;
  bench) steps="device deps bench_butterfly torch liftrank" ;;
  all) steps="device deps configure build ctest sanitize bench_butterfly torch liftrank" ;;
esac
# Minimum seconds a step needs to start, and its own limit (0: the time left).
declare -A step_min=([device]=1 [deps]=5 [configure]=10 [build]=60 [ctest]=60 [sanitize]=30
                     [bench_butterfly]=30 [torch]=20 [liftrank]=15)
declare -A step_limit=([device]=20 [deps]=120 [configure]=120 [build]=300 [ctest]=0 [sanitize]=0
                       [bench_butterfly]=0 [torch]=0 [liftrank]=0)

# ---- the toolkit -----------------------------------------------------------
# nvcc and compute-sanitizer: PATH first, then the usual install places.
find_cuda_tool() {
  local name=$1 dir
  command -v "$name" 2>/dev/null && return 0
  for dir in /usr/local/cuda/bin /usr/local/cuda/compute-sanitizer $(ls -d /usr/local/cuda-*/bin 2>/dev/null | sort -rV); do
    [ -x "$dir/$name" ] && { echo "$dir/$name"; return 0; }
  done
  return 1
}
nvcc=$(find_cuda_tool nvcc) || nvcc=""
sanitizer=$(find_cuda_tool compute-sanitizer) || sanitizer=""
nvcc_note="${nvcc:-not found}"
if [ -n "$nvcc" ] && ! command -v nvcc >/dev/null 2>&1; then
  PATH="$(dirname "$nvcc"):$PATH"
  export PATH
  nvcc_note="$nvcc (not on PATH: added)"
fi
gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
[ "$fake_gpu" = 1 ] && gpu_name=${gpu_name:-"none (GPU_CHECK_FAKE_GPU=1: acting as if one were usable)"}
cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '.')

# ---- dependencies (decided here, unpacked by the deps step) ----------------
system_has_deps() {
  command -v pkg-config >/dev/null 2>&1 && pkg-config --exists openblas libcjson || return 1
  printf '#include <lapacke.h>\n#include <cjson/cJSON.h>\nint main(void){return 0;}\n' |
    ${CC:-$(command -v cc || command -v gcc)} $(pkg-config --cflags openblas libcjson) -x c - -o /dev/null -llapacke -lcjson \
      $(pkg-config --libs openblas) >/dev/null 2>&1
}
shipped_debs=0
if [ "$use_debs" = always ] || { [ "$use_debs" = auto ] && ! system_has_deps; }; then shipped_debs=1; fi
prefix=$build/deps
lib=$prefix/usr/lib/x86_64-linux-gnu

cmake_args=(-DCMAKE_BUILD_TYPE=Release -DDMF_CUDA=ON)
[ -n "$nvcc" ] && cmake_args+=("-DCMAKE_CUDA_COMPILER=$nvcc")
# Ninja when there, unless the build folder was configured with another generator.
command -v ninja >/dev/null 2>&1 && [ ! -f "$build/CMakeCache.txt" ] && cmake_args+=(-G Ninja)
case "$cap" in
  ''|80|90) ;;
  *) cmake_args+=("-DCMAKE_CUDA_ARCHITECTURES=80;90;$cap") ;;
esac
if [ "$shipped_debs" = 1 ]; then
  pkg_config=$(command -v pkg-config || echo "$prefix/bin/pkg-config")
  cmake_args+=("-DCMAKE_PREFIX_PATH=$prefix/usr" "-DCMAKE_LIBRARY_PATH=$lib"
               "-DCMAKE_INCLUDE_PATH=$prefix/usr/include" "-DPKG_CONFIG_EXECUTABLE=$pkg_config"
               "-DCMAKE_EXE_LINKER_FLAGS=-Wl,--disable-new-dtags -Wl,-rpath-link,$lib:$lib/openblas-pthread")
fi

san_tools="memcheck initcheck synccheck racecheck"
san_tests="split factor lift relu"

# The tolerance of an exact chain in a dtype (docs/butterfly.md); empty for
# matrices that are not exact butterfly chains.
tolerance() {
  [ -n "${GPU_CHECK_MAX_REL_ERROR:-}" ] && { echo "$GPU_CHECK_MAX_REL_ERROR"; return 0; }
  case "$1" in dft-bitrev|random-chain|hadamard) ;; *) return 0 ;; esac
  case "$2" in f32|c64) echo 1e-5 ;; *) echo 1e-12 ;; esac
}
trees_for() { [ "$1" = "$all_trees_at" ] && echo "balanced,l2r,r2l" || echo balanced; }

out_dir_default=$build/gpu-results
out=${OUT:-$out_dir_default}

# ---- dry run: the plan -----------------------------------------------------
if [ "$dry" = 1 ]; then
  flag=""; [ "$mode" = build ] && flag=" --no-bench"; [ "$mode" = bench ] && flag=" --bench-only"
  echo "gpu_check$flag: plan (dry run: nothing is run)"
  echo "  deadline: $deadline s after the start (DEADLINE), $reserve s of it kept for packing"
  echo "  GPU: ${gpu_name:-none found by nvidia-smi}${cap:+ (compute capability $cap)}"
  echo "  nvcc: $nvcc_note"
  echo "  compute-sanitizer: ${sanitizer:-not found: the sanitizer step would say so and be skipped}"
  echo "  dependencies: $([ "$shipped_debs" = 1 ] && echo "the shipped Debian packages, unpacked into $prefix" || echo "the system's")"
  echo "  build folder: $build"
  echo "  outputs: $out/summary-$mode.txt, $out/results-$mode.jsonl, $out/logs-$mode.tar.gz"
  echo "  steps (each starts only while its minimum fits before the deadline;"
  echo "  its limit is the smaller of its own and the time left):"
  n=0
  for s in $steps; do
    n=$((n + 1))
    lim=${step_limit[$s]}; [ "$lim" = 0 ] && lim="left"
    printf '  %d. %-16s min %3s s  limit %-5s ' "$n" "$s" "${step_min[$s]}" "$lim"
    case "$s" in
      device) echo "nvidia-smi, nvcc --version, uname, cmake --version" ;;
      deps) [ "$shipped_debs" = 1 ] && echo "scripts/unpack_gpu_debs.sh $prefix" || echo "(the system's libraries)" ;;
      configure) echo "cmake -S . -B $build ${cmake_args[*]}" ;;
      build) echo "cmake --build $build -j $jobs; dmf info" ;;
      ctest) echo "ctest -j $jobs --timeout 120 --output-on-failure (the GPU tests must run, not skip, where a GPU is present)" ;;
      sanitize)
        echo "compute-sanitizer --tool T --error-exitcode 10 $build/tests/test_cuda_X --small"
        printf '%34s T in: %s; X in: %s; the 4 tests of a tool at once, %s s each\n' "" "$san_tools" "$san_tests" "$san_timeout" ;;
      bench_butterfly)
        echo "bench_butterfly --backend cuda|cpu --repeats 3 --max-rel-error TOL"
        for spec in $matrices; do
          printf '%34s %s %s: N = %s (trees: balanced; all three at %s), TOL %s\n' "" "${spec%%:*}" "${spec#*:}" \
            "$sizes" "$all_trees_at" "$(tolerance "${spec%%:*}" "${spec#*:}")"
        done
        printf '%34s %s s per process; each size runs on CUDA, then on the CPU\n' "" "$bench_timeout" ;;
      torch) echo "$python bench/anchors/butterfly_torch.py --device cuda --dtype c128, N = $torch_sizes, $torch_timeout s each" ;;
      liftrank) echo "bench_liftrank --repeats 3 --backend cuda, then cpu, $bench_timeout s each" ;;
    esac
  done
  echo "  exit: 0 ok, 1 a failure, 2 no build, 3 no GPU, 4 cut by the deadline"
  exit 0
fi

# ---- outputs ----------------------------------------------------------------
mkdir -p "$out" || { echo "gpu_check: cannot create OUT=$out" >&2; exit 2; }
out=$(cd "$out" && pwd)
summary=$out/summary-$mode.txt
results=$out/results-$mode.jsonl
logs_tar=$out/logs-$mode.tar.gz
logs=$build/gpu-check-logs/$mode
rm -rf "$logs" && mkdir -p "$logs" || { echo "gpu_check: cannot create $logs" >&2; exit 2; }
: >"$summary"
: >"$results"
rm -f "$logs_tar"

failed=0 fatal=0 no_gpu=0 cut=0
failures=() skipped_steps=()
note() { echo "gpu_check: $*" | tee -a "$summary" >&2; }
stage() { echo "== $(date -u +%H:%M:%S) [$(( $(date +%s) - t_start ))/$deadline s] $*" >&2; }
json_escape() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\n'/ }; printf '%s' "${s//$'\t'/ }"; }
emit() { printf '%s\n' "$1" | tee -a "$results"; } # a key JSON line: results file and stdout
step_line() { # step status detail
  emit "{\"gpu_check\": \"step\", \"step\": \"$1\", \"status\": \"$2\", \"elapsed_s\": $(( $(date +%s) - t_start )), \"detail\": \"$(json_escape "$3")\"}"
}
fail() { failed=1; failures+=("$1"); note "FAILED: $1"; }
left() { echo $(( t_start + deadline - reserve - $(date +%s) )); }
# Seconds a process may run: the smaller of $1 and the time left (at least 1).
limit() { local l; l=$(left); [ "$1" -gt 0 ] && [ "$1" -lt "$l" ] && l=$1; [ "$l" -lt 1 ] && l=1; echo "$l"; }
# Runs a command under the limit; its exit status, 124 when it ran out.
run_limited() { local secs=$1; shift; timeout -k 5 "$secs" "$@"; }

pack() {
  local tmp=$logs_tar.tmp
  [ -d "$logs" ] || return 0
  cp -f "$summary" "$results" "$logs/" 2>/dev/null
  tar -czf "$tmp" -C "$(dirname "$logs")" "$(basename "$logs")" 2>/dev/null && mv -f "$tmp" "$logs_tar"
  rm -f "$tmp"
}
finish() {
  local code=$?
  trap - EXIT INT TERM
  # The script ends with exit 0; anything else came from a signal or an error of the script itself.
  [ "$code" -ne 0 ] && { failed=1; failures+=("interrupted (exit $code)"); }
  local status=0 message="everything ran and passed" all_failures
  all_failures=$(printf '%s; ' "${failures[@]}"); all_failures=${all_failures%; }
  if [ "$fatal" = 1 ]; then status=2 message="stopped: $all_failures"
  elif [ "$failed" = 1 ]; then status=1 message="failed: $all_failures"
  elif [ "$no_gpu" = 1 ]; then
    status=3 message="no usable NVIDIA GPU on this machine (${gpu_reason:-nvidia-smi found none}): "
    case "$mode" in
      build) message+="the build and the CPU tests ran, the GPU tests skipped, the sanitizers did not run" ;;
      *) message+="the GPU steps did not run$([ "$allow_no_gpu" = 1 ] && echo " (GPU_CHECK_ALLOW_NO_GPU=1: CPU lines only)")" ;;
    esac
    message+="; nothing here is a GPU result"
  elif [ "$cut" = 1 ]; then status=4 message="the deadline of $deadline s cut off: $(IFS=,; echo "${skipped_steps[*]}")"
  fi
  [ "$cut" = 1 ] && [ "$status" != 4 ] && message+="; the deadline of $deadline s also cut off: $(IFS=,; echo "${skipped_steps[*]}")"
  local f="" s
  for s in "${failures[@]}"; do f+="${f:+, }\"$(json_escape "$s")\""; done
  local k=""
  for s in "${skipped_steps[@]}"; do k+="${k:+, }\"$(json_escape "$s")\""; done
  emit "{\"gpu_check\": \"done\", \"mode\": \"$mode\", \"exit\": $status, \"gpu\": \"$(json_escape "${gpu_name:-none}")\", \"elapsed_s\": $(( $(date +%s) - t_start )), \"deadline_s\": $deadline, \"failures\": [$f], \"skipped_steps\": [$k], \"message\": \"$(json_escape "$message")\"}"
  note "exit $status: $message"
  note "outputs: $summary, $results, $logs_tar"
  pack
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM

# ---- steps ------------------------------------------------------------------
step_device() {
  { run_limited 20 nvidia-smi || echo "nvidia-smi: not available"; echo; "${nvcc:-nvcc}" --version || echo "nvcc: not found";
    echo; uname -a; cat /etc/os-release 2>/dev/null; echo; cmake --version | head -1; echo; nproc; free -g; } \
    >"$logs/device.txt" 2>&1
  note "GPU: ${gpu_name:-none found by nvidia-smi}${cap:+ (compute capability $cap)}"
  note "nvcc: $nvcc_note; compute-sanitizer: ${sanitizer:-not found}"
  [ -n "$gpu_name" ] || { no_gpu=1; gpu_reason="nvidia-smi lists no GPU"; }
  local toolkit
  toolkit=$("${nvcc:-nvcc}" --version 2>/dev/null | grep -o 'release [0-9.]*' | head -1)
  local driver
  driver=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1)
  emit "{\"gpu_check\": \"device\", \"gpu\": \"$(json_escape "${gpu_name:-none}")\", \"compute_capability\": \"$cap\", \"driver\": \"$(json_escape "$driver")\", \"toolkit\": \"$(json_escape "${toolkit#release }")\", \"nvcc\": \"$(json_escape "${nvcc:-}")\", \"compute_sanitizer\": \"$(json_escape "${sanitizer:-}")\", \"cpus\": $(nproc)}"
  return 0
}

step_deps() {
  if [ "$shipped_debs" = 0 ]; then note "dependencies: the system's"; return 0; fi
  stage "unpacking third_party/debs into $prefix"
  if ! run_limited "$(limit "${step_limit[deps]}")" bash scripts/unpack_gpu_debs.sh "$prefix" 2>>"$logs/deps.log"; then
    fatal=1; fail "dependencies: unpacking failed: $(tail -n 1 "$logs/deps.log")"; return 2
  fi
  note "dependencies: shipped Debian 12 packages in $prefix"
  export PKG_CONFIG_PATH="$lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  # The binaries carry RPATHs to these libraries (not RUNPATH, which the
  # loader ignores for liblapacke's own dependencies); the variable covers
  # the build's own tools.
  export LD_LIBRARY_PATH="$lib:$lib/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}

step_configure() {
  [ -n "$nvcc" ] || { fatal=1; fail "configure: nvcc not found (not on PATH, not under /usr/local/cuda/bin)"; return 2; }
  stage "configure (log: configure.log)"
  if ! run_limited "$(limit "${step_limit[configure]}")" cmake -S . -B "$build" "${cmake_args[@]}" >"$logs/configure.log" 2>&1; then
    fatal=1; fail "configure failed: $(grep -m1 -iE 'error' "$logs/configure.log")"; tail -n 20 "$logs/configure.log" >&2; return 2
  fi
  note "configured: $(grep -m1 'dmf: CUDA backend' "$logs/configure.log" | sed 's/^-- //')"
}

step_build() {
  stage "build (log: build.log)"
  run_limited "$(limit "${step_limit[build]}")" cmake --build "$build" -j "$jobs" >"$logs/build.log" 2>&1
  local rc=$?
  if [ "$rc" != 0 ]; then
    fatal=1
    [ "$rc" = 124 ] && fail "build: out of time" || fail "build failed: $(grep -m1 -E 'error' "$logs/build.log")"
    grep -m 20 -E 'error' "$logs/build.log" >&2; return 2
  fi
  ldd "$build/dmf" >"$logs/ldd.txt" 2>&1
  grep -q 'not found' "$logs/ldd.txt" && note "ldd: $(grep 'not found' "$logs/ldd.txt" | tr -s ' \t' ' ')"
  gpu_from_info
  return 0
}

# What the built dmf says about the device (after a build, or a build left
# by an earlier call): a GPU that nvidia-smi lists but dmf cannot use is
# reported as no usable GPU.
gpu_from_info() {
  run_limited 60 "$build/dmf" info >"$logs/info.json" 2>&1 || note "dmf info exited $?"
  local first count
  first=$(head -n 1 "$logs/info.json")
  case "$first" in '{'*) emit "$first" ;; esac
  count=$(grep -o '"gpu_count": [0-9]*' "$logs/info.json" | grep -o '[0-9]*$')
  if [ "${count:-0}" = 0 ] && [ "$fake_gpu" = 1 ]; then
    note "dmf sees no usable GPU; GPU_CHECK_FAKE_GPU=1: going on as if it did"
  elif [ "${count:-0}" = 0 ]; then
    no_gpu=1
    gpu_reason=$(grep -o '"gpu_message": "[^"]*"' "$logs/info.json" | sed 's/^"gpu_message": "//; s/"$//')
    note "dmf sees no usable GPU: ${gpu_reason:-see info.json}"
  else
    no_gpu=0 gpu_reason=""
    [ -n "$gpu_name" ] || gpu_name=$(grep -o '"gpus": \["[^"]*"' "$logs/info.json" | sed 's/^"gpus": \["//; s/"$//')
    note "dmf sees $count GPU(s)"
  fi
}

step_ctest() {
  stage "ctest (log: ctest.log)"
  local junit=()
  cmake --help-manual ctest 2>/dev/null | grep -q -- '--output-junit' && junit=(--output-junit "$logs/ctest-junit.xml")
  # tests/cli_butterfly_torch.sh checks the comparator with this Python.
  local secs
  secs=$(limit 0)
  (cd "$build" && export DMF_TORCH_PYTHON="$python" && run_limited "$secs" ctest --output-on-failure -j "$jobs" --timeout 120 "${junit[@]}") \
    >"$logs/ctest.log" 2>&1
  local rc=$?
  cp -f "$build/Testing/Temporary/LastTest.log" "$logs/ctest-all-output.log" 2>/dev/null
  local line total nfail skipped failed_tests gpu_tests t
  line=$(grep -E 'tests passed|tests failed' "$logs/ctest.log" | tail -1)
  total=$(sed -nE 's/.* out of ([0-9]+).*/\1/p' <<<"$line")
  nfail=$(sed -nE 's/.*, ([0-9]+) tests? failed.*/\1/p' <<<"$line")
  skipped=$(grep -E '\(Skipped\)' "$logs/ctest.log" | sed -E 's/^[[:space:]]*[0-9]+ - //; s/ \(Skipped\).*//' | tr '\n' ' ')
  failed_tests=$(sed -n '/The following tests FAILED/,$p' "$logs/ctest.log" | grep -E '^[[:space:]]+[0-9]+ - ' |
                 sed -E 's/^[[:space:]]*[0-9]+ - //' | tr '\n' ';')
  gpu_tests=""
  for t in $san_tests libraries; do
    local r
    r=$(grep -E "Test +#[0-9]+: test_cuda_$t " "$logs/ctest.log" | tail -1 |
        sed -E 's/.*test_cuda_[a-z]+ \.*[[:space:]]*//; s/^\*+//; s/[[:space:]]+/ /g')
    gpu_tests+="${gpu_tests:+, }\"test_cuda_$t\": \"$(json_escape "${r:-not run}")\""
  done
  local sk="" s
  for s in $skipped; do sk+="${sk:+, }\"$s\""; done
  emit "{\"gpu_check\": \"ctest\", \"exit\": $rc, \"total\": ${total:-0}, \"failed\": ${nfail:-0}, \"skipped\": [$sk], \"failed_tests\": \"$(json_escape "$failed_tests")\", \"gpu_tests\": {$gpu_tests}}"
  note "ctest: ${line:-no summary (exit $rc)}"
  [ -n "$skipped" ] && note "ctest skipped: $skipped"
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    cut=1; skipped_steps+=("ctest (cut after $secs s)"); note "deadline: ctest cut off after $secs s"
  elif [ "$rc" != 0 ]; then
    fail "ctest (exit $rc${failed_tests:+: $failed_tests})"
  fi
  # Where a GPU is usable, a GPU test that skips is a failure.
  if [ "$no_gpu" = 0 ] && grep -qE 'test_cuda_(split|factor|lift|relu|palm) ' <<<" $skipped "; then
    fail "ctest: a GPU is present but GPU tests skipped: $(grep -m1 -h 'skipped:' "$logs/ctest-all-output.log")"
  fi
  return 0
}

step_sanitize() {
  if [ "$no_gpu" = 1 ]; then note "sanitizers: skipped: no usable GPU"; step_status=skipped step_detail="no usable GPU"; return 0; fi
  if [ -z "$sanitizer" ]; then
    note "sanitizers: skipped: compute-sanitizer not found (not on PATH, not under /usr/local/cuda)"
    step_status=skipped step_detail="compute-sanitizer not found"; return 0
  fi
  local tool t
  for tool in $san_tools; do
    if [ "$(left)" -lt 20 ]; then
      cut=1; skipped_steps+=("sanitize:$tool"); note "deadline: compute-sanitizer $tool not run ($(left) s left)"; continue
    fi
    stage "compute-sanitizer $tool on test_cuda_{${san_tests// /,}} --small"
    local secs pids=() t0
    secs=$(limit "$san_timeout")
    t0=$(date +%s)
    for t in $san_tests; do
      run_limited "$secs" "$sanitizer" --tool "$tool" --error-exitcode 10 --print-limit 30 \
        "$build/tests/test_cuda_$t" --small >"$logs/sanitizer-$tool-$t.log" 2>&1 &
      pids+=($!)
    done
    local i=0 rc status summary_line
    for t in $san_tests; do
      wait "${pids[$i]}"; rc=$?; i=$((i + 1))
      summary_line=$(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$logs/sanitizer-$tool-$t.log" | tail -1 | sed 's/^=* *//')
      case "$rc" in
        0) status=ok ;;
        10) status=errors; fail "compute-sanitizer $tool test_cuda_$t: $summary_line" ;;
        77) status=skipped ;;
        124|137) status=timeout; fail "compute-sanitizer $tool test_cuda_$t: over $secs s" ;;
        *) status=failed; fail "compute-sanitizer $tool test_cuda_$t: the test failed (exit $rc): $(grep -m1 FAIL "$logs/sanitizer-$tool-$t.log")" ;;
      esac
      emit "{\"gpu_check\": \"sanitizer\", \"tool\": \"$tool\", \"test\": \"test_cuda_$t --small\", \"status\": \"$status\", \"exit\": $rc, \"wall_s\": $(( $(date +%s) - t0 )), \"summary\": \"$(json_escape "$summary_line")\"}"
    done
    pack
  done
  return 0
}

bench_butterfly_one() { # matrix dtype n backend -> rc of the process
  local matrix=$1 dtype=$2 n=$3 backend=$4 tol secs rc line
  tol=$(tolerance "$matrix" "$dtype")
  secs=$(limit "$bench_timeout")
  echo "== bench_butterfly $matrix $dtype n=$n $backend (limit $secs s)" >>"$logs/bench_butterfly.log"
  run_limited "$secs" "$build/bench/bench_butterfly" --matrix "$matrix" --dtype "$dtype" --size "$n" \
    --trees "$(trees_for "$n")" --repeats 3 --backend "$backend" ${tol:+--max-rel-error "$tol"} \
    >"$logs/bench_one.jsonl" 2>"$logs/bench_one.err"
  rc=$?
  cat "$logs/bench_one.err" >>"$logs/bench_butterfly.log"
  cat "$logs/bench_one.jsonl" >>"$logs/bench_butterfly.jsonl"
  while IFS= read -r line; do
    case "$line" in '{"env"'*) printf '%s\n' "$line" >>"$results" ;; '{'*) emit "$line" ;; esac
  done <"$logs/bench_one.jsonl"
  if grep -q '"error"' "$logs/bench_one.jsonl" && [ "$rc" != 3 ]; then
    fail "bench_butterfly $matrix $dtype n=$n $backend: $(grep -o '"error": "[^"]*"' "$logs/bench_one.jsonl" | head -1)"
  fi
  case "$rc" in
    0) ;;
    3) fail "bench_butterfly $matrix $dtype n=$n $backend: rel_error above $tol: $(tail -n 1 "$logs/bench_one.err")" ;;
    124|137)
      emit "{\"bench\": \"butterfly\", \"tool\": \"dmf\", \"backend\": \"$backend\", \"matrix\": \"$matrix\", \"n\": $n, \"dtype\": \"$dtype\", \"skipped\": \"over $secs s\"}"
      note "bench_butterfly $matrix $dtype $backend: n=$n over $secs s, larger sizes not run" ;;
    *) fail "bench_butterfly $matrix $dtype n=$n $backend (exit $rc): $(tail -n 1 "$logs/bench_one.err")" ;;
  esac
  return "$rc"
}

step_bench_butterfly() {
  [ -x "$build/bench/bench_butterfly" ] || { fatal=1; fail "no bench_butterfly in $build: run --no-bench first"; return 2; }
  if [ "$no_gpu" = 1 ] && [ "$allow_no_gpu" != 1 ]; then
    note "bench_butterfly: not run: no usable GPU (GPU_CHECK_ALLOW_NO_GPU=1 runs the CPU lines anyway)"
    step_status=skipped step_detail="no usable GPU"; return 0
  fi
  stage "bench_butterfly (cuda and cpu; bench_butterfly.jsonl)"
  : >"$logs/bench_butterfly.jsonl"
  # Whether the CUDA backend is offered, asked on a tiny problem.
  local cuda_reason="" probe spec matrix dtype n backend rc
  if ! probe=$(run_limited 60 "$build/bench/bench_butterfly" --matrix dft-bitrev --dtype c128 --size 4 --repeats 1 --backend cuda 2>&1 >/dev/null); then
    cuda_reason=$(tail -n 1 <<<"${probe#bench_butterfly: }")
    note "bench_butterfly: CUDA backend not offered: $cuda_reason"
    [ "$no_gpu" = 1 ] || fail "bench_butterfly: a GPU is present but the CUDA backend is not offered: $cuda_reason"
  fi
  for spec in $matrices; do
    matrix=${spec%%:*} dtype=${spec#*:}
    local over_cuda=0 over_cpu=0
    [ -n "$(tolerance "$matrix" "$dtype")" ] || note "bench_butterfly: $matrix is not an exact chain: its rel_error is reported, not checked"
    for n in $sizes; do
      for backend in cuda cpu; do
        if [ "$backend" = cuda ] && [ -n "$cuda_reason" ]; then continue; fi
        [ "$backend" = cuda ] && [ "$over_cuda" = 1 ] && continue
        [ "$backend" = cpu ] && [ "$over_cpu" = 1 ] && continue
        if [ "$(left)" -lt 15 ]; then
          cut=1; skipped_steps+=("bench_butterfly:$matrix:$dtype:$n:$backend and after")
          note "deadline: bench_butterfly stops before $matrix $dtype n=$n $backend ($(left) s left)"
          pack; return 0
        fi
        bench_butterfly_one "$matrix" "$dtype" "$n" "$backend"
        rc=$?
        if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
          [ "$backend" = cuda ] && over_cuda=1 || over_cpu=1
        fi
      done
    done
    if [ -n "$cuda_reason" ]; then
      emit "{\"bench\": \"butterfly\", \"tool\": \"dmf\", \"backend\": \"cuda\", \"matrix\": \"$matrix\", \"dtype\": \"$dtype\", \"skipped\": \"$(json_escape "$cuda_reason")\"}"
    fi
    pack
  done
  return 0
}

step_torch() {
  if [ "$no_gpu" = 1 ]; then note "butterfly_torch: skipped: no usable GPU"; step_status=skipped step_detail="no usable GPU"; return 0; fi
  stage "PyTorch comparator (butterfly_torch.jsonl)"
  : >"$logs/butterfly_torch.jsonl"
  if ! run_limited 60 env -u LD_LIBRARY_PATH "$python" -c 'import torch, sys; print(torch.__version__, torch.version.cuda); sys.exit(0 if torch.cuda.is_available() else 3)' \
       >>"$logs/butterfly_torch.log" 2>&1; then
    note "butterfly_torch: $python has no PyTorch with CUDA; skipped"; step_status=skipped step_detail="no PyTorch with CUDA"; return 0
  fi
  local n repeats secs rc line
  for n in $torch_sizes; do
    if [ "$(left)" -lt 15 ]; then
      cut=1; skipped_steps+=("torch:$n and after"); note "deadline: butterfly_torch stops before n=$n"; return 0
    fi
    repeats=3
    [ "$n" -gt 4096 ] && repeats=1
    secs=$(limit "$torch_timeout")
    # Without dmf's library path: PyTorch brings its own libraries.
    run_limited "$secs" env -u LD_LIBRARY_PATH "$python" bench/anchors/butterfly_torch.py \
      --size "$n" --dtype c128 --device cuda --repeats "$repeats" >"$logs/torch_one.jsonl" 2>"$logs/torch_one.err"
    rc=$?
    cat "$logs/torch_one.err" >>"$logs/butterfly_torch.log"
    cat "$logs/torch_one.jsonl" >>"$logs/butterfly_torch.jsonl"
    while IFS= read -r line; do
      case "$line" in '{"env"'*) printf '%s\n' "$line" >>"$results" ;; '{'*) emit "$line" ;; esac
    done <"$logs/torch_one.jsonl"
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
      emit "{\"bench\": \"butterfly\", \"tool\": \"torch\", \"backend\": \"cuda\", \"matrix\": \"dft-bitrev\", \"n\": $n, \"dtype\": \"c128\", \"skipped\": \"over $secs s\"}"
      note "butterfly_torch: n=$n over $secs s, larger sizes not run"; break
    fi
    [ "$rc" = 0 ] || { fail "butterfly_torch n=$n (exit $rc): $(tail -n 1 "$logs/torch_one.err")"; break; }
  done
  return 0
}

step_liftrank() {
  [ -x "$build/bench/bench_liftrank" ] || { fail "no bench_liftrank in $build"; return 0; }
  if [ "$no_gpu" = 1 ] && [ "$allow_no_gpu" != 1 ]; then
    note "bench_liftrank: not run: no usable GPU"; step_status=skipped step_detail="no usable GPU"; return 0
  fi
  stage "bench_liftrank (bench_liftrank.jsonl)"
  local backend rc reason secs line
  : >"$logs/bench_liftrank.jsonl"
  for backend in cuda cpu; do
    if [ "$(left)" -lt 10 ]; then cut=1; skipped_steps+=("liftrank:$backend"); note "deadline: bench_liftrank $backend not run"; continue; fi
    secs=$(limit "$bench_timeout")
    run_limited "$secs" "$build/bench/bench_liftrank" --repeats 3 --backend "$backend" >"$logs/lift_one.jsonl" 2>"$logs/lift_one.err"
    rc=$?
    { echo "== bench_liftrank --backend $backend: exit $rc"; cat "$logs/lift_one.err"; } >>"$logs/bench_liftrank.log"
    cat "$logs/lift_one.jsonl" >>"$logs/bench_liftrank.jsonl"
    while IFS= read -r line; do
      case "$line" in '{"env"'*) printf '%s\n' "$line" >>"$results" ;; '{'*) emit "$line" ;; esac
    done <"$logs/lift_one.jsonl"
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
      emit "{\"bench\": \"liftrank\", \"tool\": \"dmf\", \"backend\": \"$backend\", \"skipped\": \"over $secs s\"}"
      note "bench_liftrank $backend: over $secs s"
    elif [ "$rc" != 0 ]; then
      reason=$(tail -n 1 "$logs/lift_one.err")
      if [ "$backend" = cuda ] && [ "$no_gpu" = 1 ]; then
        note "bench_liftrank: CUDA backend not offered: ${reason#bench_liftrank: }"
      else
        fail "bench_liftrank $backend (exit $rc): $reason"
      fi
    fi
  done
  return 0
}

# ---- the run ------------------------------------------------------------------
note "gpu_check $mode: deadline $deadline s, build folder $build"
for s in $steps; do
  if [ "$fatal" = 1 ]; then skipped_steps+=("$s (after a failure)"); continue; fi
  # --bench-only: the build an earlier call left, and what dmf says of the GPU.
  if [ "$mode" = bench ] && [ "$s" = bench_butterfly ]; then
    if [ ! -x "$build/dmf" ]; then fatal=1; fail "--bench-only: no build in $build (run --no-bench first)"; continue; fi
    gpu_from_info
  fi
  l=$(left)
  if [ "$l" -lt "${step_min[$s]}" ]; then
    cut=1; skipped_steps+=("$s"); note "deadline: $s not started (needs ${step_min[$s]} s, $l s left)"
    step_line "$s" skipped "deadline: needs ${step_min[$s]} s, $l s left"; continue
  fi
  t0=$(date +%s) nf=${#failures[@]} step_status=ok step_detail=""
  "step_$s"
  rc=$?
  [ "$rc" = 0 ] && [ "${#failures[@]}" = "$nf" ] || step_status=failed
  step_line "$s" "$step_status" "$(( $(date +%s) - t0 )) s${step_detail:+: $step_detail}"
  pack
done
# finish (the EXIT trap) writes the last line, packs and sets the exit status.
exit 0
