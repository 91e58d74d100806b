#!/usr/bin/env bash
# dmf liftrank and dmf scatter from the command line: known answers from
# the paper (undecimated Haar: rank 2^K, scattered, sigma_min = sqrt(N);
# supports {1,2,3} twice: not scattered) and bad input.
set -u
DMF=${1:?usage: cli_lift.sh PATH/TO/dmf}
command -v python3 >/dev/null || { echo "cli_lift: python3 not found, skipping"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0
check() { # NAME CONDITION-EXIT-STATUS
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "PASS $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
field() { python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])" "$@"; }

cat >"$TMP/haar.json" <<'JSON'
{"type": "conv", "N": 64, "root": "r", "edges": [
 {"from": "a", "to": "r", "support": {"dilated": 0}},
 {"from": "b", "to": "a", "support": {"dilated": 1}},
 {"from": "c", "to": "b", "support": {"dilated": 2}},
 {"from": "d", "to": "c", "support": {"dilated": 3}}]}
JSON
"$DMF" liftrank "$TMP/haar.json" --sigma-min --spectrum "$TMP/s.npy" >"$TMP/out.json" 2>"$TMP/err.txt"
check "liftrank haar exits 0" $?
[ "$(field "$TMP/out.json" rank)" = 16 ]; check "haar K=4: rank 2^K = 16" $?
[ "$(field "$TMP/out.json" scattered)" = True ]; check "haar is scattered" $?
python3 -c "import json,sys,math; d=json.loads(open(sys.argv[1]).readline()); sys.exit(abs(d['sigma_min']-8)>1e-9)" "$TMP/out.json"
check "haar sigma_min = sqrt(64)" $?
[ -s "$TMP/s.npy" ]; check "spectrum written" $?

cat >"$TMP/paper.json" <<'JSON'
{"type": "conv", "N": 16, "root": "r", "edges": [
 {"from": "a", "to": "r", "support": [1, 2, 3]}, {"from": "b", "to": "a", "support": [1, 2, 3]}]}
JSON
"$DMF" scatter "$TMP/paper.json" >"$TMP/sc.json"
check "scatter exits 0 when not scattered" $?
[ "$(field "$TMP/sc.json" scattered)" = False ] && [ "$(field "$TMP/sc.json" num_offending)" = 3 ]
check "{1,2,3} twice: not scattered, 3 offending entries" $?
"$DMF" liftrank "$TMP/paper.json" >"$TMP/pr.json" 2>/dev/null
[ "$(field "$TMP/pr.json" rank)" = 5 ]; check "{1,2,3} twice: rank K(S-1)+1 = 5" $?

# K = 2, S = 3, rk A = 8 = 4(S-1) = dim Sigma_2: identifiable (Thm 6.4),
# where 2K(S-1)+2 = 10 would say inconclusive.
python3 - "$TMP/k2.json" <<'PY'
import json, sys
layers = []
for k, (rows, cols) in enumerate([(2, 2), (2, 4)]):
    entries, t = [], 0
    for r in range(rows):
        for c in range(cols):
            for p in range(3):
                entries.append([r, c, p, round(((t * 37 + k * 61 + 5) % 23) / 11 - 1, 6)])
                t += 1
    layers.append({"rows": rows, "cols": cols, "entries": entries})
json.dump({"type": "triplets", "layers": layers}, open(sys.argv[1], "w"))
PY
"$DMF" liftrank "$TMP/k2.json" >"$TMP/k2.out" 2>/dev/null
python3 -c "
import json, sys
d = json.loads(open(sys.argv[1]).readline())
ok = (d['rank'] == 8 and d['threshold_thm_6_4'] == 8 and d['identifiable_thm_6_4'] is True
      and d['verdict'] == 'identifiable for almost every A (Thm 6.4)'
      and [v['theorem'] for v in d['verdicts']] == ['Thm 6.4', 'Thm 6.5']
      and all(v['notion'] and v['conditions'] for v in d['verdicts']) and 'per-layer' in d['identifiability_notion'])
sys.exit(not ok)" "$TMP/k2.out"
check "K=2 S=3 rank 8: identifiable by dim Sigma_2 = 4(S-1), verdicts name theorem, notion, conditions" $?

# upper_bound from the valid paths: 8 (not 16) on a two-path DAG, 16 (not
# 32) on a Haar tree of depth 2.
cat >"$TMP/dag.json" <<'JSON'
{"type": "conv", "N": 16, "root": "r", "edges": [
 {"from": "a", "to": "r", "support": [0, 1]}, {"from": "b", "to": "r", "support": [4, 5]},
 {"from": "x", "to": "a", "support": [0, 2]}, {"from": "x", "to": "b", "support": [0, 2]}]}
JSON
cat >"$TMP/tree.json" <<'JSON'
{"type": "conv", "N": 8, "root": "r", "edges": [
 {"from": "a", "to": "r", "support": {"dilated": 0}}, {"from": "b", "to": "r", "support": {"dilated": 0}},
 {"from": "c", "to": "a", "support": {"dilated": 1}}, {"from": "d", "to": "a", "support": {"dilated": 1}},
 {"from": "e", "to": "b", "support": {"dilated": 1}}, {"from": "f", "to": "b", "support": {"dilated": 1}}]}
JSON
"$DMF" liftrank "$TMP/dag.json" >"$TMP/dag.out" 2>/dev/null
[ "$(field "$TMP/dag.out" upper_bound)" = 8 ] && [ "$(field "$TMP/dag.out" rank)" = 8 ] &&
  [ "$(field "$TMP/dag.out" upper_bound_rule)" = "valid paths" ]
check "two-path DAG: upper_bound 8 from the valid paths, rank 8" $?
"$DMF" liftrank "$TMP/tree.json" >"$TMP/tree.out" 2>/dev/null
[ "$(field "$TMP/tree.out" upper_bound)" = 16 ] && [ "$(field "$TMP/tree.out" rank)" = 16 ]
check "Haar tree K=2: upper_bound 16, rank 16" $?
python3 -c "
import json, sys
d = json.loads(open(sys.argv[1]).readline())
v = d['verdicts'][-1]
sys.exit(not (v['theorem'] == 'Thm 8.4' and v['holds'] and 'per-path' in v['notion'] and 'eps' in v['conditions']
              and 'conditions_thm_8_4' in d))" "$TMP/tree.out"
check "Haar tree: Thm 8.4 verdict with its per-path notion and conditions" $?

"$DMF" liftrank "$TMP/missing.json" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "missing.json" "$TMP/err.txt"; check "missing network: exit 1 naming the file" $?
printf '{"type": "conv",\n "N": 8,\n "edges": [}\n' >"$TMP/bad.json"
"$DMF" liftrank "$TMP/bad.json" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -qi "line" "$TMP/err.txt"; check "malformed JSON: exit 1 with a line number" $?
echo '{"type": "triplets", "layers": [{"rows": 2, "cols": 2, "entries": [[0, 0, 0, 1.5]]}]}' >"$TMP/t.json"
"$DMF" scatter "$TMP/t.json" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "coefficients are 0 or 1" "$TMP/err.txt"
check "scatter on a triplet network with coefficient 1.5: exit 1" $?
# Definition 8.1 extended to 0/1 networks: the LU masks have min(i, j) + 1
# paths from input j to output i (4 offending entries for n = 3); a
# butterfly chain has one path per entry.
echo '{"type": "masked", "sizes": [3, 3, 3], "masks": [[[1,0,0],[1,1,0],[1,1,1]], [[1,1,1],[0,1,1],[0,0,1]]]}' \
    >"$TMP/lu.json"
"$DMF" scatter "$TMP/lu.json" >"$TMP/lu_out.json"
python3 - "$TMP/lu_out.json" <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).readline())
assert d["scattered"] is False and d["num_offending"] == 4, d
assert all(o["value"] == min(o["row"], o["column"]) + 1 for o in d["offending"]), d["offending"]
assert "not claimed" not in d["verdict_scatter"] and "Thm 6.4" in d["verdict_scatter"] and "verdict_thm_8_4" not in d
PY
check "masked LU 3: not scattered, min(i, j) + 1 paths, no Thm 8.4 claim" $?
echo '{"type": "butterfly", "radix_m": [2, 2, 2, 2], "radix_n": [2, 2, 2, 2]}' >"$TMP/bf.json"
"$DMF" scatter "$TMP/bf.json" >"$TMP/bf_out.json"
[ "$(field "$TMP/bf_out.json" scattered)" = True ] && [ "$(field "$TMP/bf_out.json" num_offending)" = 0 ]
check "butterfly chain 16: scattered (one path per entry)" $?
"$DMF" liftrank --help | grep -q usage; check "liftrank --help" $?
"$DMF" scatter --help | grep -q usage; check "scatter --help" $?
"$DMF" liftrank >/dev/null 2>&1; [ $? -eq 2 ]; check "liftrank without a network: exit 2" $?

echo "cli_lift: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
