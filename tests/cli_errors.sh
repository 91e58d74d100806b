#!/usr/bin/env bash
# Exit codes and messages of the dmf CLI on bad usage and bad input:
# 0 ok, 1 bad input, 2 usage, 3 numerical failure, 4 backend unavailable.
# Every check prints PASS or FAIL; the last line counts them.
set -u

DMF=${1:?usage: cli_errors.sh PATH/TO/dmf}
[ -x "$DMF" ] || { echo "cli_errors: '$DMF' is not an executable"; exit 1; }
DMF=$(cd "$(dirname "$DMF")" && pwd)/$(basename "$DMF") # the checks run in a temporary directory
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() {
    failed=$((failed + 1))
    echo "FAIL $1"
    echo "  stdout: $(head -c 600 out.txt 2>/dev/null)"
    echo "  stderr: $(head -c 600 err.txt 2>/dev/null)"
}

# expect NAME CODE [--stdout TEXT] [--stderr TEXT] [--nonzero] -- COMMAND...
# Runs COMMAND with stdout/stderr in out.txt/err.txt; checks the exit code
# (CODE, or any non-zero code with CODE = nz) and that the streams contain
# the given texts (case-insensitive).
expect() {
    local name=$1 code=$2
    shift 2
    local want_out=() want_err=()
    while [ "$1" != "--" ]; do
        case $1 in
        --stdout) want_out+=("$2"); shift 2 ;;
        --stderr) want_err+=("$2"); shift 2 ;;
        *) echo "bad expect option $1"; exit 2 ;;
        esac
    done
    shift
    "$@" >out.txt 2>err.txt
    local rc=$?
    local ok=1 why=""
    if [ "$code" = nz ]; then
        [ "$rc" -ne 0 ] || { ok=0; why="exit code 0, expected non-zero"; }
    elif [ "$rc" -ne "$code" ]; then
        ok=0
        why="exit code $rc, expected $code"
    fi
    local t
    for t in "${want_out[@]+"${want_out[@]}"}"; do
        grep -qiF -- "$t" out.txt || { ok=0; why="$why; stdout lacks '$t'"; }
    done
    for t in "${want_err[@]+"${want_err[@]}"}"; do
        grep -qiF -- "$t" err.txt || { ok=0; why="$why; stderr lacks '$t'"; }
    done
    # A crash is never an acceptable answer.
    if [ "$rc" -ge 128 ]; then ok=0; why="$why; killed by signal $((rc - 128))"; fi
    if [ $ok = 1 ]; then pass "$name (exit $rc)"; else fail "$name: ${why#; }"; fi
}

# --- help and usage -------------------------------------------------------
expect "dmf --help" 0 --stdout usage -- "$DMF" --help
expect "dmf help" 0 --stdout usage -- "$DMF" help
for cmd in "butterfly factor" "butterfly apply" "butterfly densify" fsmf matrix info butterfly; do
    # shellcheck disable=SC2086
    expect "dmf $cmd --help" 0 --stdout usage -- "$DMF" $cmd --help
done
expect "no arguments" 2 --stderr usage -- "$DMF"
expect "unknown command" 2 --stderr "unknown command" --stderr frobnicate -- "$DMF" frobnicate
expect "unknown butterfly subcommand" 2 --stderr bogus -- "$DMF" butterfly bogus
for cmd in "butterfly factor" "butterfly apply" "butterfly densify" fsmf matrix; do
    # shellcheck disable=SC2086
    expect "dmf $cmd unknown option" 2 --stderr "--no-such-option" -- "$DMF" $cmd --no-such-option
done
expect "option missing its value" 2 -- "$DMF" butterfly factor --matrix hadamard --size
expect "stray argument" 2 --stderr extra -- "$DMF" butterfly factor --matrix hadamard --size 8 extra
expect "both --input and --matrix" 2 -- "$DMF" butterfly factor --input x.npy --matrix hadamard --size 8
expect "neither --input nor --matrix" 2 -- "$DMF" butterfly factor
expect "bad --size" 2 --stderr size -- "$DMF" butterfly factor --matrix hadamard --size 0
expect "bad --dtype" 2 --stderr f16 -- "$DMF" butterfly factor --matrix hadamard --size 8 --dtype f16
expect "negative --noise" 2 --stderr noise -- "$DMF" butterfly factor --matrix hadamard --size 8 --noise -1
expect "--rank 0" 2 --stderr rank -- "$DMF" butterfly factor --matrix hadamard --size 8 --rank 0
expect "--rank abc" 2 --stderr rank -- "$DMF" butterfly factor --matrix hadamard --size 8 --rank abc
expect "unknown built-in matrix" 1 --stderr nosuchmatrix -- "$DMF" matrix --matrix nosuchmatrix --size 8 --out m.npy
expect "fsmf without supports" 2 --stderr support -- "$DMF" fsmf --matrix hadamard --size 4
expect "densify without --factors" 2 -- "$DMF" butterfly densify --out d.npy

# --- input files -----------------------------------------------------------
expect "missing --input file" 1 --stderr missing_input.npy -- \
    "$DMF" butterfly factor --input missing_input.npy
printf 'this is not a numpy file at all, just garbage bytes\n' >garbage.npy
expect "malformed .npy" 1 --stderr garbage.npy -- "$DMF" butterfly factor --input garbage.npy
head -c 4 /dev/urandom >tiny.npy
expect "4-byte .npy" 1 --stderr tiny.npy -- "$DMF" butterfly factor --input tiny.npy
if "$DMF" matrix --matrix hadamard --size 16 --dtype f64 --out full.npy >/dev/null 2>&1; then
    size=$(wc -c <full.npy)
    head -c $((size - 100)) full.npy >truncated.npy
    expect "truncated .npy" 1 --stderr truncated.npy -- "$DMF" butterfly factor --input truncated.npy
else
    fail "dmf matrix could not write full.npy for the truncation test"
fi
printf '%%%%MatrixMarket matrix array real general\n2 2\n1.0\nnan\n3.0\n4.0\n' >nan.mtx
expect "NaN entry in .mtx" 1 --stderr nan.mtx -- "$DMF" butterfly factor --input nan.mtx
printf '%%%%MatrixMarket matrix array real general\n2 2\n1.0\n2.0\n' >short.mtx
expect "short .mtx" 1 --stderr short.mtx -- "$DMF" butterfly factor --input short.mtx
printf 'hello\n' >matrix.txt
expect "unknown extension" 1 --stderr matrix.txt -- "$DMF" butterfly factor --input matrix.txt
expect "fsmf missing support file" 1 --stderr no_sx.mtx -- \
    "$DMF" fsmf --matrix hadamard --size 4 --support-x no_sx.mtx --support-y no_sy.mtx
expect "apply with missing factors dir" 1 --stderr no_such_dir -- \
    "$DMF" butterfly apply --factors no_such_dir --input full.npy --out y.npy
expect "apply with an unknown backend" 2 --stderr gpu -- \
    "$DMF" butterfly apply --factors no_such_dir --input full.npy --out y.npy --backend gpu
expect "densify takes no backend" 2 --stderr backend -- \
    "$DMF" butterfly densify --factors no_such_dir --out y.npy --backend cpu

# --- sizes, radices and trees ----------------------------------------------
expect "size 12 has no default radix" 1 --stderr --radix-m --stderr --radix-n -- \
    "$DMF" butterfly factor --matrix gaussian --size 12
expect "radix products mismatch" 1 --stderr 12 -- \
    "$DMF" butterfly factor --matrix gaussian --size 12 --radix-m 3,2 --radix-n 2,2 --backend cpu
expect "radix counts differ" 2 --stderr radix -- \
    "$DMF" butterfly factor --matrix gaussian --size 12 --radix-m 3,4 --radix-n 12 --backend cpu
expect "radix-m without radix-n" 2 -- \
    "$DMF" butterfly factor --matrix gaussian --size 12 --radix-m 3,4 --backend cpu
expect "radix 0" 2 --stderr radix -- \
    "$DMF" butterfly factor --matrix gaussian --size 12 --radix-m 12,0 --radix-n 12,0 --backend cpu
expect "malformed tree JSON" 1 --stderr tree -- \
    "$DMF" butterfly factor --matrix hadamard --size 8 --tree '[[0,1],' --backend cpu
expect "tree with wrong leaf count" 1 --stderr leaves -- \
    "$DMF" butterfly factor --matrix hadamard --size 8 --tree '[[0,1],[2,3]]' --backend cpu
expect "tree with a repeated leaf" 1 -- \
    "$DMF" butterfly factor --matrix hadamard --size 8 --tree '[[0,0],2]' --backend cpu
expect "tree file missing" 1 --stderr missing_tree.json -- \
    "$DMF" butterfly factor --matrix hadamard --size 8 --tree missing_tree.json --backend cpu
expect "dft as f64" 1 --stderr complex -- "$DMF" matrix --matrix dft --size 8 --dtype f64 --out d.npy

# --- backends --------------------------------------------------------------
# With a usable GPU, --backend cuda succeeds; without one it exits 4.
gpus=$("$DMF" info 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("gpu_count", 0))' 2>/dev/null || echo 0)
if [ "${gpus:-0}" -gt 0 ]; then
    expect "--backend cuda (GPU present)" 0 -- "$DMF" butterfly factor --matrix hadamard --size 8 --backend cuda
else
    expect "--backend cuda without a GPU" 4 --stderr cuda -- \
        "$DMF" butterfly factor --matrix hadamard --size 8 --backend cuda
fi
expect "--backend bogus" 2 --stderr bogus -- "$DMF" butterfly factor --matrix hadamard --size 8 --backend bogus
expect "DMF_BACKEND=bogus with auto" nz --stderr DMF_BACKEND -- \
    env DMF_BACKEND=bogus "$DMF" butterfly factor --matrix hadamard --size 8
expect "DMF_BACKEND=cpu with auto" 0 --stdout '"backend": "cpu"' -- \
    env DMF_BACKEND=cpu "$DMF" butterfly factor --matrix hadamard --size 8
expect "--backend cpu overrides DMF_BACKEND" 0 -- \
    env DMF_BACKEND=bogus "$DMF" butterfly factor --matrix hadamard --size 8 --backend cpu

echo "cli_errors: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
