#!/usr/bin/env bash
# Fuzzes dmf's readers with libFuzzer under AddressSanitizer and UBSan:
#
#   scripts/fuzz.sh [SECONDS] [NAME...]
#
# builds the harnesses of tests/fuzz/ with clang in build-fuzz/ (CPU backend,
# no MPI), then runs each named harness (default: all of them) for SECONDS
# (default 30) on a scratch copy of its seed corpus tests/fuzz/corpus/NAME/.
# Prints the executions and findings of each and exits 1 when any harness
# found something (a crash, a leak, a timeout of one input past 10 s, memory
# past 2 GB, a UBSan report); the reproducer and the report are kept in
# build-fuzz/run/NAME/.  FUZZ_PARALLEL harnesses run at once (default: 2, or
# 1 on a single core); OMP_NUM_THREADS is 1 in each.
#
# Reproduce a finding: build-fuzz/tests/fuzz/fuzz_NAME build-fuzz/run/NAME/findings/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "usage: scripts/fuzz.sh [SECONDS] [NAME...]  (SECONDS per harness, default 30)" >&2
    exit 2
fi
shift $(($# > 0 ? 1 : 0))
all=(npy mtx job_file network tree generator results chain)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")
for name in "${names[@]}"; do
    [[ " ${all[*]} " == *" $name "* ]] || { echo "fuzz.sh: no harness '$name' (have: ${all[*]})" >&2; exit 2; }
done

# The longest input worth trying, per format: room for the seeds and their
# mutations, small enough that a run tries many.
declare -A max_len=([npy]=4096 [mtx]=2048 [job_file]=4096 [network]=4096 [tree]=1024
                    [generator]=1024 [results]=4096 [chain]=8192)

cc=${FUZZ_CC:-clang}
command -v "$cc" >/dev/null || { echo "fuzz.sh: needs clang with libFuzzer ($cc not found; set FUZZ_CC)" >&2; exit 2; }
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
start=$SECONDS
mkdir -p build-fuzz
log=build-fuzz/build.log
if [ ! -f build-fuzz/CMakeCache.txt ]; then
    CC=$cc cmake -S . -B build-fuzz "${generator[@]}" -DDMF_FUZZ=ON -DDMF_CUDA=OFF -DDMF_MPI=OFF \
        -DDMF_BUILD_TESTS=OFF -DDMF_NATIVE=OFF -DCMAKE_BUILD_TYPE=Debug >"$log" 2>&1 ||
        { cat "$log" >&2; exit 1; }
fi
cmake --build build-fuzz --target dmf_fuzz -j "$(nproc)" >"$log" 2>&1 || { tail -50 "$log" >&2; exit 1; }
echo "fuzz: built ${#all[@]} harnesses in $((SECONDS - start)) s; ${seconds} s each for: ${names[*]}"

run_one() {
    local name=$1 dir=build-fuzz/run/$1
    rm -rf "$dir"
    mkdir -p "$dir/corpus" "$dir/findings" "$dir/tmp"
    cp tests/fuzz/corpus/"$name"/* "$dir/corpus/"
    local status=0 dict=()
    [ "$name" = npy ] || [ "$name" = mtx ] || dict=(-dict=tests/fuzz/json.dict)
    TMPDIR=$PWD/$dir/tmp OMP_NUM_THREADS=1 timeout $((seconds + 120)) \
        build-fuzz/tests/fuzz/fuzz_"$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len="${max_len[$name]}" -print_final_stats=1 -artifact_prefix="$dir/findings/" \
        "${dict[@]}" "$dir/corpus" >"$dir/log" 2>&1 || status=$?
    echo "$status" >"$dir/status"
}

# At most FUZZ_PARALLEL harnesses at a time.
parallel=${FUZZ_PARALLEL:-$(($(nproc) > 1 ? 2 : 1))}
pids=()
for name in "${names[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
    run_one "$name" &
    pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || true; done

failed=0
printf '%-10s %12s %8s %10s  %s\n' harness executions exec/s corpus findings
for name in "${names[@]}"; do
    dir=build-fuzz/run/$name
    status=$(cat "$dir/status" 2>/dev/null || echo 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
    corpus=$(ls "$dir/corpus" | wc -l)
    found=$(ls "$dir/findings")
    summary=none
    if [ -n "$found" ] || [ "$status" != 0 ]; then
        failed=1
        summary="exit $status: $(echo $found)"
    fi
    printf '%-10s %12s %8s %10s  %s\n' "$name" "${execs:-?}" "${rate:-?}" "$corpus" "$summary"
done
if [ "$failed" != 0 ]; then
    for name in "${names[@]}"; do
        dir=build-fuzz/run/$name
        [ "$(cat "$dir/status")" = 0 ] && [ -z "$(ls "$dir/findings")" ] && continue
        echo "---- $name: the report in $dir/log" >&2
        # The sanitizer's or libFuzzer's report and the stack, then where the input went.
        grep -v -E '^#[0-9]+ +(NEW|REDUCE|pulse|INITED|RELOAD|DONE)' "$dir/log" |
            sed -n '/ERROR: \|runtime error:\|deadly signal\|invariant failed/,$p' |
            grep -E -v '^ +0x[0-9a-f]+:|^  [A-Z][a-z ]+:|^Shadow byte|^  (Addressable|Partially)' | head -30 >&2
        grep -E 'Test unit written|^Base64:' "$dir/log" >&2 || true
    done
    echo "fuzz: findings above; reproduce with build-fuzz/tests/fuzz/fuzz_NAME FILE" >&2
    exit 1
fi
echo "fuzz: no findings in $((SECONDS - start)) s"
