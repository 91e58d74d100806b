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

"$DMF" liftrank "$TMP/missing.json" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "missing.json" "$TMP/err.txt"; check "missing network: exit 1 naming the file" $?
printf '{"type": "conv",\n "N": 8,\n "edges": [}\n' >"$TMP/bad.json"
"$DMF" liftrank "$TMP/bad.json" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -qi "line" "$TMP/err.txt"; check "malformed JSON: exit 1 with a line number" $?
echo '{"type": "triplets", "layers": [{"rows": 2, "cols": 2, "entries": [[0, 0, 0, 1.5]]}]}' >"$TMP/t.json"
"$DMF" scatter "$TMP/t.json" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "convolutional" "$TMP/err.txt"; check "scatter on a triplet network: exit 1" $?
"$DMF" liftrank --help | grep -q usage; check "liftrank --help" $?
"$DMF" scatter --help | grep -q usage; check "scatter --help" $?
"$DMF" liftrank >/dev/null 2>&1; [ $? -eq 2 ]; check "liftrank without a network: exit 2" $?

echo "cli_lift: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
