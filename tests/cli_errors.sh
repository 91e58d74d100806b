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
expect "option missing its value" 2 -- "$DMF" butterfly factor --no-out --matrix hadamard --size
# Doubles beyond single precision's range are refused going to f32/c64;
# tiny ones that become subnormal or zero are counted in a warning.
printf '%%%%MatrixMarket matrix array real general\n2 2\n1.0\n1e300\n3.0\n4.0\n' >big.mtx
expect "f64 too large for --dtype f32" 3 --stderr "entry (1, 0) = 1.0000000000000001e+300 is beyond its range" \
    -- "$DMF" butterfly factor --no-out --input big.mtx --dtype f32 --backend cpu
printf '%%%%MatrixMarket matrix array real general\n2 2\n1.0\n1e-40\n1e-50\n4.0\n' >tiny.mtx
expect "f64 flushed by --dtype f32 warned" 0 \
    --stderr "warning: 2 entries of tiny.mtx are below f32's smallest normal number" \
    --stderr "1 becomes zero, 1 subnormal" -- "$DMF" butterfly factor --no-out --input tiny.mtx --dtype f32 --backend cpu
expect "f64 input at --dtype f64 not warned" 0 -- "$DMF" butterfly factor --no-out --input tiny.mtx --backend cpu
if grep -q warning err.txt; then fail "no flush warning without conversion"; else pass "no flush warning without conversion"; fi

# Long options by their full name only: getopt_long would take "--tre" for "--tree".
expect "abbreviated option refused" 2 --stderr "unknown option '--tre' (did you mean '--tree'?)" \
    -- "$DMF" butterfly factor --no-out --matrix hadamard --size 8 --tre balanced
expect "abbreviated option with = refused" 2 --stderr "unknown option '--siz' (did you mean '--size'?)" \
    -- "$DMF" matrix --matrix hadamard --siz=8 --out m.npy
expect "abbreviated option of run refused" 2 --stderr "did you mean '--shard'?" -- "$DMF" run --sha 0/1 jobs.json
expect "misspelt option suggested" 2 --stderr "unknown option '--sizze' (did you mean '--size'?)" \
    -- "$DMF" fsmf --sizze 8
expect "ambiguous prefix lists the options" 2 --stderr "'--radix-m', '--radix-n' or '--rank'" \
    -- "$DMF" butterfly factor --no-out --matrix hadamard --size 8 --r 2
expect "flag given a value" 2 --stderr "option '--no-out' takes no value" \
    -- "$DMF" butterfly factor --no-out=1 --matrix hadamard --size 8
expect "option missing its value named" 2 --stderr "option '--size' needs a value" \
    -- "$DMF" butterfly factor --no-out --matrix hadamard --size
expect "misspelt command suggested" 2 --stderr "unknown command 'butterfy' (did you mean 'butterfly'?)" -- "$DMF" butterfy
expect "misspelt subcommand suggested" 2 --stderr "unknown subcommand 'factr' (did you mean 'factor'?)" \
    -- "$DMF" butterfly factr
expect "demod subcommand prefix suggested" 2 --stderr "(did you mean 'landscape'?)" -- "$DMF" demod land
expect "no suggestion for a far word" 2 --stderr "unknown command 'frobnicate'" -- "$DMF" frobnicate
if grep -q "did you mean" err.txt; then fail "no suggestion for a far word (none printed)"; else pass "no suggestion for a far word (none printed)"; fi
expect "stray argument" 2 --stderr extra -- "$DMF" butterfly factor --no-out --matrix hadamard --size 8 extra
expect "both --input and --matrix" 2 -- "$DMF" butterfly factor --no-out --input x.npy --matrix hadamard --size 8
expect "neither --input nor --matrix" 2 -- "$DMF" butterfly factor --no-out
expect "bad --size" 2 --stderr size -- "$DMF" butterfly factor --no-out --matrix hadamard --size 0
expect "bad --dtype" 2 --stderr f16 -- "$DMF" butterfly factor --no-out --matrix hadamard --size 8 --dtype f16
expect "negative --noise" 2 --stderr noise -- "$DMF" butterfly factor --no-out --matrix hadamard --size 8 --noise -1
expect "--rank 0" 2 --stderr rank -- "$DMF" butterfly factor --no-out --matrix hadamard --size 8 --rank 0
expect "--rank abc" 2 --stderr rank -- "$DMF" butterfly factor --no-out --matrix hadamard --size 8 --rank abc
expect "unknown built-in matrix" 2 --stderr nosuchmatrix --stderr "hadamard, dft" -- "$DMF" matrix --matrix nosuchmatrix --size 8 --out m.npy
expect "fsmf without supports" 2 --stderr support -- "$DMF" fsmf --matrix hadamard --size 4
expect "densify without --factors" 2 -- "$DMF" butterfly densify --out d.npy

# --- input files -----------------------------------------------------------
expect "missing --input file" 1 --stderr missing_input.npy -- \
    "$DMF" butterfly factor --no-out --input missing_input.npy
printf 'this is not a numpy file at all, just garbage bytes\n' >garbage.npy
expect "malformed .npy" 1 --stderr garbage.npy -- "$DMF" butterfly factor --no-out --input garbage.npy
head -c 4 /dev/urandom >tiny.npy
expect "4-byte .npy" 1 --stderr tiny.npy -- "$DMF" butterfly factor --no-out --input tiny.npy
if "$DMF" matrix --matrix hadamard --size 16 --dtype f64 --out full.npy >/dev/null 2>&1; then
    size=$(wc -c <full.npy)
    head -c $((size - 100)) full.npy >truncated.npy
    expect "truncated .npy" 1 --stderr truncated.npy -- "$DMF" butterfly factor --no-out --input truncated.npy
    { cat full.npy; printf 'x'; } >trailing.npy
    expect ".npy with trailing bytes" 1 --stderr trailing.npy --stderr "trailing bytes" -- \
        "$DMF" butterfly factor --no-out --input trailing.npy
else
    fail "dmf matrix could not write full.npy for the truncation test"
fi
printf '%%%%MatrixMarket matrix array real general\n2 2\n1.0\nnan\n3.0\n4.0\n' >nan.mtx
expect "NaN entry in .mtx" 1 --stderr nan.mtx -- "$DMF" butterfly factor --no-out --input nan.mtx
# A file's input is scanned for NaN and infinities by the factorization
# itself, from its root's sums, whatever the tree (at 2048 f64, l2r and r2l
# stream their root's big half): it still names the entry, exit 1.
if "$DMF" matrix --matrix hadamard --size 2048 --dtype f64 --out inf2048.npy >/dev/null 2>&1 &&
    python3 - inf2048.npy <<'PY'
import struct, sys
path = sys.argv[1]
with open(path, "r+b") as f:
    head = f.read(10)
    header = 10 + struct.unpack("<H", head[8:10])[0]
    f.seek(header + (1300 * 2048 + 7) * 8)
    f.write(struct.pack("<d", float("inf")))
PY
then
    for tree in balanced l2r r2l; do
        expect "Inf entry in .npy, $tree" 1 --stderr inf2048.npy --stderr "entry (1300, 7) is not finite" -- \
            "$DMF" butterfly factor --no-out --input inf2048.npy --tree "$tree"
    done
    expect "Inf entry in .npy, --perm-cols" 1 --stderr "entry (1300, 7) is not finite" -- \
        "$DMF" butterfly factor --no-out --input inf2048.npy --perm-cols bitrev
else
    fail "could not write inf2048.npy"
fi
printf '%%%%MatrixMarket matrix array real general\n2 2\n1.0\n2.0\n' >short.mtx
expect "short .mtx" 1 --stderr short.mtx -- "$DMF" butterfly factor --no-out --input short.mtx
# Empty matrices are refused at the size line (an array file of 0 rows once
# walked all of its 2^64 - 1 columns) or the header.
printf '%%%%MatrixMarket matrix array real general\n0 18446744073709551615\n' >empty_huge.mtx
expect "0 x 2^64-1 .mtx refused at once" 1 --stderr empty_huge.mtx --stderr "the matrix is empty" -- \
    timeout 20 "$DMF" butterfly factor --no-out --input empty_huge.mtx --backend cpu
printf '%%%%MatrixMarket matrix coordinate real general\n0 0 0\n' >empty.mtx
expect "0 x 0 .mtx" 1 --stderr "the matrix is empty (0 x 0)" -- "$DMF" butterfly factor --no-out --input empty.mtx --backend cpu
header="{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4), }"
printf "\x93NUMPY\x01\x00\x$(printf %02x $((${#header} + 1)))\x00%s\n" "$header" >empty.npy
expect "0 x 4 .npy" 1 --stderr empty.npy --stderr "shape (0, 4) is empty" -- \
    "$DMF" butterfly factor --no-out --input empty.npy --backend cpu
printf 'hello\n' >matrix.txt
expect "unknown extension" 1 --stderr matrix.txt -- "$DMF" butterfly factor --no-out --input matrix.txt
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
    "$DMF" butterfly factor --no-out --matrix gaussian --size 12
expect "radix products mismatch" 1 --stderr 12 -- \
    "$DMF" butterfly factor --no-out --matrix gaussian --size 12 --radix-m 3,2 --radix-n 2,2 --backend cpu
expect "radix counts differ" 2 --stderr radix -- \
    "$DMF" butterfly factor --no-out --matrix gaussian --size 12 --radix-m 3,4 --radix-n 12 --backend cpu
expect "radix-m without radix-n" 2 -- \
    "$DMF" butterfly factor --no-out --matrix gaussian --size 12 --radix-m 3,4 --backend cpu
expect "radix 0" 2 --stderr radix -- \
    "$DMF" butterfly factor --no-out --matrix gaussian --size 12 --radix-m 12,0 --radix-n 12,0 --backend cpu
expect "malformed tree JSON" 2 --stderr "is not a tree: malformed JSON" -- \
    "$DMF" butterfly factor --no-out --matrix hadamard --size 8 --tree '[[0,1],' --backend cpu
expect "tree with wrong leaf count" 2 --stderr "has 4 leaves but the chain has 3 factors" -- \
    "$DMF" butterfly factor --no-out --matrix hadamard --size 8 --tree '[[0,1],[2,3]]' --backend cpu
expect "tree with a repeated leaf" 2 --stderr "out of order" -- \
    "$DMF" butterfly factor --no-out --matrix hadamard --size 8 --tree '[[0,0],2]' --backend cpu
expect "tree file missing" 1 --stderr missing_tree.json -- \
    "$DMF" butterfly factor --no-out --matrix hadamard --size 8 --tree missing_tree.json --backend cpu
expect "empty tree lists the valid ones" 2 --stderr "--tree: '' is not" --stderr "l2r, r2l, balanced" -- \
    "$DMF" butterfly factor --no-out --matrix hadamard --size 8 --tree '' --backend cpu
expect "misspelt tree lists the valid ones" 2 --stderr "'balnced' is not" --stderr "l2r, r2l, balanced" --stderr "did you mean 'balanced'" -- \
    "$DMF" butterfly factor --no-out --matrix hadamard --size 8 --tree balnced --backend cpu
# A balanced nested list over the leaves 0..4095 (more leaves than factors
# once wrote past the split table: a crash, or an ASan report).
nested() {
    if [ "$1" -eq "$2" ]; then TREE+=$1; return; fi
    local mid=$((($1 + $2) / 2))
    TREE+="["; nested "$1" $mid; TREE+=","; nested $((mid + 1)) "$2"; TREE+="]"
}
TREE=""
nested 0 4095
printf '%s\n' "$TREE" >big_tree.json
expect "tree of 4096 leaves over 2 factors, inline" 2 --stderr "it has 4096 leaves and a chain at most 64 factors" -- \
    "$DMF" butterfly factor --no-out --matrix hadamard --size 4 --tree "$TREE" --backend cpu
expect "tree of 4096 leaves over 2 factors, from a file" 1 --stderr big_tree.json --stderr "tree leaf 2 is out of range" -- \
    "$DMF" butterfly factor --no-out --matrix hadamard --size 4 --tree big_tree.json --backend cpu
printf '{"jobs": [{"id": "big-tree", "command": "butterfly factor", "args": {"matrix": "hadamard", "size": 4, "tree": %s, "backend": "cpu"}}]}\n' \
    "$(printf '"%s"' "$TREE")" >tree_jobs.json
# dmf run checks the tree of every job before the first starts.
expect "tree of 4096 leaves in a job file: refused before any job runs" 1 \
    --stderr "job 0 (id 'big-tree'): \"tree\"" --stderr "it has 4096 leaves and a chain at most 64 factors" -- \
    "$DMF" run tree_jobs.json --out tree_run
if [ ! -s tree_run/results.0-of-1.jsonl ]; then
    pass "tree of 4096 leaves in a job file: nothing run, nothing recorded"
else
    fail "tree of 4096 leaves in a job file: $(head -c 400 tree_run/results.0-of-1.jsonl 2>/dev/null)"
fi
R65=2$(printf ',2%.0s' $(seq 64))
expect "65 radices: at most 64 factors" 2 --stderr "--radix-m: gives 65 radices: a chain has at most 64 factors" -- \
    "$DMF" butterfly factor --no-out --matrix hadamard --size 8 --radix-m "$R65" --radix-n "$R65" --backend cpu
expect "dft as f64" 1 --stderr complex -- "$DMF" matrix --matrix dft --size 8 --dtype f64 --out d.npy

# --- backends --------------------------------------------------------------
# With a usable GPU, --backend cuda succeeds; without one it exits 4.
gpus=$("$DMF" info 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("gpu_count", 0))' 2>/dev/null || echo 0)
if [ "${gpus:-0}" -gt 0 ]; then
    expect "--backend cuda (GPU present)" 0 -- "$DMF" butterfly factor --no-out --matrix hadamard --size 8 --backend cuda
else
    expect "--backend cuda without a GPU" 4 --stderr cuda -- \
        "$DMF" butterfly factor --no-out --matrix hadamard --size 8 --backend cuda
fi
expect "--backend bogus" 2 --stderr bogus -- "$DMF" butterfly factor --no-out --matrix hadamard --size 8 --backend bogus
expect "DMF_BACKEND=bogus with auto" nz --stderr DMF_BACKEND -- \
    env DMF_BACKEND=bogus "$DMF" butterfly factor --no-out --matrix hadamard --size 8
expect "DMF_BACKEND=cpu with auto" 0 --stdout '"backend": "cpu"' -- \
    env DMF_BACKEND=cpu "$DMF" butterfly factor --no-out --matrix hadamard --size 8
expect "--backend cpu overrides DMF_BACKEND" 0 -- \
    env DMF_BACKEND=bogus "$DMF" butterfly factor --no-out --matrix hadamard --size 8 --backend cpu

# --- outputs ---------------------------------------------------------------
expect "factor without --out or --no-out" 2 --stderr "--no-out" -- "$DMF" butterfly factor --matrix hadamard --size 8
expect "factor with --out and --no-out" 2 --stderr "exclude" -- \
    "$DMF" butterfly factor --matrix hadamard --size 8 --out F --no-out
expect "factor --no-out prints its line" 0 --stdout '"rel_error"' -- \
    "$DMF" butterfly factor --matrix hadamard --size 8 --no-out --backend cpu
# An unwritable --out is said before the factorization: a 4096 c128 DFT
# (seconds to minutes) must not run first.
echo data >plain_file
for bad in plain_file/F no_such_dir/F; do
    start=$(date +%s%N)
    expect "factor 4096 c128 --out $bad fails at once" 1 --stderr "$bad" -- \
        "$DMF" butterfly factor --matrix dft-bitrev --size 4096 --dtype c128 --backend cpu --out "$bad"
    ms=$((($(date +%s%N) - start) / 1000000))
    # (the factorization itself takes about 1 s on a fast machine, far more in
    # the sanitizer build; the refusal takes milliseconds)
    if [ "$ms" -lt 500 ]; then pass "--out $bad refused in $ms ms, before the factorization"
    else fail "--out $bad refused only after $ms ms"; fi
done
if [ "$(id -u)" -ne 0 ]; then # root writes anywhere
    mkdir locked && chmod 555 locked
    expect "factor --out in a read-only folder" 1 --stderr "not writable" -- \
        "$DMF" butterfly factor --matrix hadamard --size 8 --backend cpu --out locked/F
    chmod 755 locked
fi
mkdir foreign && echo mine >foreign/notes.txt
expect "factor --out into a folder of other files" 1 --stderr "notes.txt" -- \
    "$DMF" butterfly factor --matrix hadamard --size 8 --backend cpu --out foreign
if [ "$(cat foreign/notes.txt)" = mine ] && [ ! -e foreign/chain.json ]; then pass "the foreign folder is left as it was"
else fail "the foreign folder was changed: $(ls foreign)"; fi
expect "densify --out in a missing folder (before reading)" 1 --stderr "does not exist" -- \
    "$DMF" butterfly densify --factors no_such_factors --out no_such_dir/d.npy
expect "apply --out without .npy/.mtx" 2 --stderr ".npy or .mtx" -- \
    "$DMF" butterfly apply --factors no_such_factors --input x.npy --out Y
expect "matrix --out m.txt" 2 --stderr ".npy or .mtx" -- "$DMF" matrix --matrix hadamard --size 4 --out m.txt
if [ ! -e m.txt ]; then pass "matrix --out m.txt wrote nothing"; else fail "matrix --out m.txt wrote m.txt"; fi
expect "matrix --out under a file" 1 --stderr "not a folder" -- \
    "$DMF" matrix --matrix hadamard --size 4 --out plain_file/m.npy
expect "fsmf --out under a file (before the work)" 1 --stderr "plain_file" -- \
    "$DMF" fsmf --matrix hadamard --size 4 --support-x sx.mtx --support-y sy.mtx --out plain_file/o
expect "demod synth --out under a file (before loading)" 1 --stderr "not a folder" -- \
    "$DMF" demod synth --g1 g1.json --g2 g2.json --out plain_file/o
expect "demod landscape --out under a file (before loading)" 1 --stderr "not a folder" -- \
    "$DMF" demod landscape --g1 g1.json --g2 g2.json --h0 1 --m0 1 --out plain_file/grid.npy
expect "demod fields --out in a missing folder" 1 --stderr "does not exist" -- \
    "$DMF" demod fields --grid 8 --count 2 --out no_such_dir/f.npy

# --- memory limit: specs that would need more than --max-memory are refused
# with the figure before anything is allocated (each runs in well under a second)
printf '{"type": "conv", "N": 100000000000, "root": "r", "edges": [{"from": "a", "to": "r", "support": [0, 1]}]}\n' >big_conv.json
printf '{"type": "masked", "sizes": [100000000000, 100000000000], "masks": ["dense"]}\n' >big_masked.json
printf '{"type": "triplets", "layers": [{"rows": 100000001, "cols": 100000001, "entries": [[100000000, 100000000, 0, 1.5]]}]}\n' >big_triplets.json
printf '{"sizes": [10, 600000000, 600000000], "seed": 1}\n' >big_gen.json
printf '{"sizes": [2, 3, 4], "seed": 1}\n' >small_gen.json
expect "liftrank: conv network with N = 1e11" 1 --stderr "needs 5.8 TiB" --stderr "memory limit" -- \
    timeout 60 "$DMF" liftrank big_conv.json
expect "scatter: conv network with N = 1e11" 1 --stderr "needs 5.8 TiB" -- timeout 60 "$DMF" scatter big_conv.json
expect "liftrank: masked network with sizes 1e11" 1 --stderr "needs" --stderr "dense" -- \
    timeout 60 "$DMF" liftrank big_masked.json
expect "liftrank: triplet index 1e8 past --max-memory 256M" 1 --stderr "needs" --stderr "limit of 256 MiB" -- \
    timeout 60 "$DMF" liftrank big_triplets.json --max-memory 256M
expect "demod synth: generator sizes 6e8" 1 --stderr "needs 2.5 EiB" -- \
    timeout 60 "$DMF" demod synth --g1 big_gen.json --g2 small_gen.json --out synth_big
expect "demod sweep: trials past --max-memory=1M" 1 --stderr "needs" -- \
    timeout 60 "$DMF" demod sweep --latent 2 --outputs 60 --hidden 40 --trials 100000 --max-memory=1M
expect "matrix --size 1e6" 1 --stderr "needs 7.3 TiB" -- timeout 60 "$DMF" matrix --matrix dct2 --size 1000000 --out m.npy
expect "butterfly factor: the input and its largest half past --max-memory 40K" 1 \
    --stderr "factoring a 64 x 64" --stderr "needs 48 KiB" -- \
    "$DMF" butterfly factor --no-out --matrix hadamard --size 64 --max-memory 40K
expect "butterfly factor within --max-memory 1G" 0 -- "$DMF" butterfly factor --no-out --matrix hadamard --size 64 --max-memory 1G
expect "bad --max-memory" 2 --stderr "bad memory size 'lots'" -- "$DMF" matrix --matrix hadamard --size 4 --out m.npy --max-memory lots
expect "--max-memory without a size" 2 --stderr "max-memory" -- "$DMF" matrix --matrix hadamard --size 4 --out m.npy --max-memory
expect "DMF_MAX_MEMORY=16K" 1 --stderr "needs 32 KiB" --stderr "DMF_MAX_MEMORY" -- \
    env DMF_MAX_MEMORY=16K "$DMF" matrix --matrix hadamard --size 64 --out m.npy
expect "--max-memory none over DMF_MAX_MEMORY" 0 -- \
    env DMF_MAX_MEMORY=16K "$DMF" matrix --matrix hadamard --size 64 --out m.npy --max-memory none
expect "malformed DMF_MAX_MEMORY" 1 --stderr "DMF_MAX_MEMORY='lots'" -- \
    env DMF_MAX_MEMORY=lots "$DMF" matrix --matrix hadamard --size 64 --out m.npy
printf '{"jobs": [{"id": "f", "command": "butterfly factor", "args": {"matrix": "hadamard", "size": 64}}]}\n' >mem_jobs.json
"$DMF" run mem_jobs.json --out mem_run --max-memory 40K >out.txt 2>err.txt
if [ $? -eq 3 ] && grep -q 'needs 48 KiB' mem_run/results.0-of-1.jsonl; then pass "dmf run --max-memory reaches its jobs"
else fail "dmf run --max-memory reaches its jobs"; fi

echo "cli_errors: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
