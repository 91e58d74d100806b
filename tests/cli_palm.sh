#!/usr/bin/env bash
# dmf palm and dmf hierarchical from the command line: the Hadamard
# hierarchical factorization (preset and the same parameters as JSON), the
# written factors multiply back to A, fixed supports from files, clear
# errors for bad parameters; dmf fsmf --refine.
set -u
DMF=${1:?usage: cli_palm.sh PATH/TO/dmf}
command -v python3 >/dev/null || { echo "cli_palm: python3 not found, skipping"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
EX=$(cd "$(dirname "$0")/../examples" && pwd)
passed=0
failed=0
check() { # NAME CONDITION-EXIT-STATUS
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "PASS $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
field() { python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])" "$@"; }
below() { python3 -c "import json,sys; sys.exit(not json.loads(open(sys.argv[1]).readline())[sys.argv[2]] <= float(sys.argv[3]))" "$@"; }

# pyfaust's hierarchical(H, 'hadamard'), N = 32: exact.
"$DMF" hierarchical --matrix hadamard --size 32 --preset hadamard --out "$TMP/h32" >"$TMP/h32.json"
check "hierarchical --preset hadamard exits 0" $?
below "$TMP/h32.json" rel_error 1e-10; check "hadamard 32: rel_error <= 1e-10 ($(field "$TMP/h32.json" rel_error))" $?
[ "$(field "$TMP/h32.json" num_factors)" = 5 ] && [ "$(field "$TMP/h32.json" nnz)" = "[64, 64, 64, 64, 64]" ]
check "hadamard 32: 5 factors of 2 nonzeros per row" $?
[ -s "$TMP/h32/factor_00.npy" ] && [ -s "$TMP/h32/factor_04.npy" ]; check "factor files written" $?

# The files multiply to A: PALM with every factor const reproduces them.
python3 - "$TMP" >"$TMP/const.json" <<'PY'
import json, sys
d = sys.argv[1]
print(json.dumps({"constraints": [{"name": "const", "nrows": 32, "ncols": 32, "value": "h32/factor_%02d.npy" % j}
                                  for j in range(5)], "stop_crit": {"num_its": 1}}))
PY
"$DMF" palm --matrix hadamard --size 32 --params "$TMP/const.json" >"$TMP/c.json"
check "palm with const factors exits 0" $?
below "$TMP/c.json" rel_error 1e-10 && python3 -c "import json,sys; sys.exit(abs(json.loads(open(sys.argv[1]).readline())['lambda'] - 1) > 1e-9)" "$TMP/c.json"
check "the written factors multiply to H (lambda 1)" $?

# The same parameters as JSON, N = 64, in the schema of ParamsHierarchical.
python3 - >"$TMP/h64.json" <<'PY'
import json
N, n = 64, 6
fact = [{"name": "splincol", "nrows": N, "ncols": N, "value": 2} for i in range(n - 1)]
res = [{"name": "splincol", "nrows": N, "ncols": N, "value": N // 2 ** (i + 1)} for i in range(n - 1)]
print(json.dumps({"fact_constraints": fact, "res_constraints": res, "stop_crit1": {"num_its": 30},
                  "stop_crit2": {"num_its": 30}, "is_update_way_R2L": True}))
PY
"$DMF" hierarchical --matrix hadamard --size 64 --params "$TMP/h64.json" >"$TMP/o64.json"
check "hierarchical --params exits 0" $?
below "$TMP/o64.json" rel_error 1e-10; check "hadamard 64 from JSON: rel_error <= 1e-10 ($(field "$TMP/o64.json" rel_error))" $?
[ "$(field "$TMP/o64.json" iterations)" = 300 ]; check "5 steps of 30 + 30 iterations" $?

# Fixed supports from files: the radix-2 butterfly of the 4 x 4 DFT.
cat >"$TMP/supp.json" <<JSON
{"constraints": [{"name": "supp", "nrows": 4, "ncols": 4, "value": "$EX/support_x4.mtx"},
                 {"name": "supp", "nrows": 4, "ncols": 4, "value": "$EX/support_y4.mtx"}],
 "stop_crit": {"tol": 1e-12, "relerr": true, "maxiter": 5000}}
JSON
"$DMF" palm --matrix dft-bitrev --size 4 --params "$TMP/supp.json" >"$TMP/s.json"
check "palm with supp files exits 0" $?
below "$TMP/s.json" rel_error 1e-10 && [ "$(field "$TMP/s.json" stopped_by)" = tol ] && [ "$(field "$TMP/s.json" dtype)" = c128 ]
check "dft-bitrev 4 on butterfly supports: tol reached in c128 ($(field "$TMP/s.json" rel_error))" $?

# Errors.
echo '{"constraints": [{"name": "sp", "nrows": 8, "ncols": 4, "value": 2}, {"name": "sp", "nrows": 8, "ncols": 8, "value": 2}]}' >"$TMP/shape.json"
"$DMF" palm --matrix hadamard --size 8 --params "$TMP/shape.json" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "constraint 1" "$TMP/err.txt"; check "shape mismatch: exit 1 naming the constraint" $?
printf '{"constraints": [\n {"name": "sp", "nrows": 8 "ncols": 8}]}' >"$TMP/bad.json"
"$DMF" palm --matrix hadamard --size 8 --params "$TMP/bad.json" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "line 2" "$TMP/err.txt"; check "malformed JSON: exit 1 with the line" $?
echo '{"constraints": [{"name": "splincols", "nrows": 8, "ncols": 8, "value": 2}]}' >"$TMP/name.json"
"$DMF" palm --matrix hadamard --size 8 --params "$TMP/name.json" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "constraints\[0\].*unknown constraint 'splincols'" "$TMP/err.txt"; check "unknown constraint: exit 1" $?
echo '{"constraints": [{"name": "sp", "nrows": 8, "ncols": 8, "value": 2}], "stop_crits": {}}' >"$TMP/member.json"
"$DMF" palm --matrix hadamard --size 8 --params "$TMP/member.json" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q 'unknown member "stop_crits"' "$TMP/err.txt"; check "misspelt member: exit 1" $?
echo '{"fact_constraints": [{"name": "sp", "nrows": 8, "ncols": 8, "value": 2}], "res_constraints": []}' >"$TMP/res.json"
"$DMF" hierarchical --matrix hadamard --size 8 --params "$TMP/res.json" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "res_constraints" "$TMP/err.txt"; check "hierarchical without res_constraints: exit 1" $?
"$DMF" hierarchical --matrix hadamard --size 8x4 --preset hadamard >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "square" "$TMP/err.txt"; check "--preset hadamard on a rectangle: exit 1" $?
"$DMF" palm --matrix hadamard --size 8 --params "$TMP/missing.json" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "missing.json" "$TMP/err.txt"; check "missing parameters file: exit 1" $?
"$DMF" palm --matrix hadamard --size 8 >/dev/null 2>&1; [ $? -eq 2 ]; check "palm without --params: exit 2" $?
"$DMF" palm --matrix hadamard --size 8 --preset hadamard >/dev/null 2>&1; [ $? -eq 2 ]; check "palm --preset: exit 2" $?
"$DMF" hierarchical --matrix hadamard --size 8 --preset foo >/dev/null 2>&1; [ $? -eq 2 ]; check "unknown preset: exit 2" $?
"$DMF" hierarchical --matrix hadamard --size 8 --preset hadamard --out /nonexistent/dir/x >/dev/null 2>&1
[ $? -eq 1 ]; check "unwritable --out: exit 1 before the work" $?
"$DMF" palm --help | grep -q "ParamsPalm4MSA"; check "palm --help" $?
"$DMF" hierarchical --help | grep -q "ParamsHierarchical"; check "hierarchical --help" $?

# dmf fsmf --refine: PALM on the fixed supports from the greedy result.
mtx() { # FILE ROWS COLS VALUES... (row-major) as a Matrix Market array (column-major)
  python3 - "$@" <<'PY'
import sys
path, r, c, v = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
with open(path, "w") as f:
    f.write("%%%%MatrixMarket matrix array real general\n%d %d\n" % (r, c))
    for j in range(c):
        for i in range(r):
            f.write(v[i * c + j] + "\n")
PY
}
mtx "$TMP/swap.mtx" 2 2 0 1 1 0
mtx "$TMP/l2.mtx" 2 2 1 0 1 1
mtx "$TMP/u2.mtx" 2 2 1 1 0 1
"$DMF" fsmf --input "$TMP/swap.mtx" --support-x "$TMP/l2.mtx" --support-y "$TMP/u2.mtx" --refine 20000 >"$TMP/swap.json"
check "fsmf --refine exits 0" $?
below "$TMP/swap.json" rel_error 0.05 && below "$TMP/swap.json" rel_error_before_refine 0.71 &&
  [ "$(field "$TMP/swap.json" norms_diverging)" = True ] && grep -q "not attained" "$TMP/swap.json"
check "[[0,1],[1,0]] on LU supports: error falls from 0.707, norms diverge, reported not attained" $?
python3 - "$TMP/a5.txt" <<'PY'
import math, sys
open(sys.argv[1], "w").write(" ".join(repr(math.sin(1 + 3 * i + 7 * j)) for i in range(5) for j in range(5)))
PY
mtx "$TMP/a5.mtx" 5 5 $(cat "$TMP/a5.txt")
mtx "$TMP/l5.mtx" 5 5 1 0 0 0 0  1 1 0 0 0  1 1 1 0 0  1 1 1 1 0  1 1 1 1 1
mtx "$TMP/u5.mtx" 5 5 1 1 1 1 1  0 1 1 1 1  0 0 1 1 1  0 0 0 1 1  0 0 0 0 1
"$DMF" fsmf --input "$TMP/a5.mtx" --support-x "$TMP/l5.mtx" --support-y "$TMP/u5.mtx" --refine 1000 >"$TMP/lu.json"
python3 -c "import json,sys; d=json.loads(open(sys.argv[1]).readline()); sys.exit(not d['rel_error'] < d['rel_error_before_refine'])" "$TMP/lu.json"
check "5 x 5 LU supports: the refinement lowers the greedy error ($(field "$TMP/lu.json" rel_error_before_refine) -> $(field "$TMP/lu.json" rel_error))" $?
"$DMF" fsmf --matrix dft-bitrev --size 4 --support-x "$EX/support_x4.mtx" --support-y "$EX/support_y4.mtx" --refine 50 --out "$TMP/ref" >"$TMP/opt.json"
below "$TMP/opt.json" rel_error 1e-12 && [ -s "$TMP/ref/X.npy" ]; check "an optimal FSMF stays exact under --refine" $?
"$DMF" fsmf --matrix dft-bitrev --size 4 --support-x "$EX/support_x4.mtx" --support-y "$EX/support_y4.mtx" --refine 0 >/dev/null 2>&1
[ $? -eq 2 ]; check "--refine 0: exit 2" $?

# dmf butterfly factor --refine: PALM on the chain's supports from the
# hierarchical result.  A Gaussian matrix is no butterfly: PALM lowers the
# error, the chain holds PALM's factors (its own error is PALM's), and the
# written chain.json says the same.
refined() { # FILE: rel_error < rel_error_before_refine, kept, rel_error = PALM's
  python3 -c "
import json, sys
d = json.loads(open(sys.argv[1]).readline())
sys.exit(not (d['refine_kept'] and d['rel_error'] < d['rel_error_before_refine']
              and abs(d['rel_error'] - d['refine_rel_error']) <= 1e-5 * d['rel_error']))" "$1"
}
"$DMF" butterfly factor --matrix gaussian --size 16 --out "$TMP/bf" --refine 100 >"$TMP/bf.json"
check "butterfly factor --refine exits 0" $?
refined "$TMP/bf.json" && [ "$(python3 -c "import json; print(json.load(open('$TMP/bf/chain.json'))['rel_error'] == json.loads(open('$TMP/bf.json').readline())['rel_error'])")" = True ]
check "gaussian 16: --refine 100 lowers the error ($(field "$TMP/bf.json" rel_error_before_refine) -> $(field "$TMP/bf.json" rel_error)), chain.json agrees" $?
"$DMF" butterfly factor --matrix gaussian --size 16 --dtype c64 --perm-rows bitrev --no-out --refine 100 >"$TMP/bfp.json" &&
  refined "$TMP/bfp.json"
check "c64 with a row permutation: --refine fits the permuted matrix ($(field "$TMP/bfp.json" rel_error_before_refine) -> $(field "$TMP/bfp.json" rel_error))" $?
"$DMF" butterfly factor --matrix gaussian --size 12x18 --radix-m 3,4 --radix-n 3,6 --dtype c128 --no-out --refine 50 >"$TMP/bfr.json" &&
  python3 -c "import json,sys; d=json.loads(open(sys.argv[1]).readline()); sys.exit(not d['rel_error'] <= d['rel_error_before_refine'])" "$TMP/bfr.json"
check "rectangular mixed radices: --refine never raises the error" $?
"$DMF" butterfly factor --matrix hadamard --size 32 --no-out --refine 20 >"$TMP/bfh.json" && below "$TMP/bfh.json" rel_error 1e-12
check "an exact chain stays exact under --refine" $?
"$DMF" butterfly factor --matrix hadamard --size 16 --no-out --refine 0 >/dev/null 2>&1
[ $? -eq 2 ]; check "butterfly factor --refine 0: exit 2" $?
"$DMF" butterfly factor --matrix hadamard --size 16 --no-out --refine 5 --mpi >/dev/null 2>&1
[ $? -eq 2 ]; check "butterfly factor --refine with --mpi: exit 2" $?

echo "cli_palm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
