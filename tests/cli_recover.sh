#!/usr/bin/env bash
# dmf synth-network and dmf recover from the command line: a noiseless
# undecimated Haar path is recovered to d_2 <= 1e-10 by every start; the
# paper's {1,2,3} x {1,2,3} network gives X that two different classes fit
# exactly; noise of the requested size; bad input.
set -u
DMF=${1:?usage: cli_recover.sh PATH/TO/dmf}
command -v python3 >/dev/null || { echo "cli_recover: python3 not found, skipping"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0
check() { # NAME CONDITION-EXIT-STATUS
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "PASS $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
json_ok() { # FILE PYTHON-CONDITION-ON-d
  python3 -c "import json, sys; d = json.loads(open(sys.argv[1]).readline()); sys.exit(not ($2))" "$1"
}

cat >"$TMP/haar.json" <<'JSON'
{"type": "conv", "N": 32, "root": "r", "edges": [
 {"from": "a", "to": "r", "support": {"dilated": 0}}, {"from": "b", "to": "a", "support": {"dilated": 1}},
 {"from": "c", "to": "b", "support": {"dilated": 2}}, {"from": "d", "to": "c", "support": {"dilated": 3}},
 {"from": "e", "to": "d", "support": {"dilated": 4}}]}
JSON
"$DMF" synth-network "$TMP/haar.json" --seed 4 --out "$TMP/s" >"$TMP/synth.json"
check "synth-network exits 0" $?
json_ok "$TMP/synth.json" "d['K'] == 5 and d['S'] == 2 and d['rows'] == 32 and d['cols'] == 32 and d['noise_norm'] == 0"
check "synth-network: K, S, sizes" $?
[ -s "$TMP/s/X.npy" ] && [ -s "$TMP/s/H.npy" ]; check "X.npy and H.npy written" $?
"$DMF" recover "$TMP/haar.json" --input "$TMP/s/X.npy" --truth "$TMP/s/H.npy" --restarts 20 --out "$TMP/r" >"$TMP/rec.json"
check "recover exits 0" $?
json_ok "$TMP/rec.json" "d['d_p'] <= 1e-10 and d['rel_residual'] <= 1e-13 and d['classes_found'] == 1
  and sum(s['d_p'] <= 1e-10 for s in d['starts']) >= 19 and len(d['starts']) == 20"
check "Haar K=5 noiseless: d_2 <= 1e-10 in >= 19 of 20 starts, one class" $?
[ -s "$TMP/r/H.npy" ]; check "the estimate is written" $?
"$DMF" recover "$TMP/haar.json" --input "$TMP/r/H.npy" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "32 x 32" "$TMP/err.txt"; check "X of the wrong shape: exit 1 naming the sizes" $?
"$DMF" recover "$TMP/haar.json" --input "$TMP/s/X.npy" --truth "$TMP/s/X.npy" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "K x S" "$TMP/err.txt"; check "truth of the wrong shape: exit 1" $?

cat >"$TMP/twice.json" <<'JSON'
{"type": "conv", "N": 16, "root": "r", "edges": [
 {"from": "a", "to": "r", "support": [1, 2, 3]}, {"from": "b", "to": "a", "support": [1, 2, 3]}]}
JSON
"$DMF" synth-network "$TMP/twice.json" --seed 1 --out "$TMP/t" >/dev/null
"$DMF" recover "$TMP/twice.json" --input "$TMP/t/X.npy" --truth "$TMP/t/H.npy" --restarts 20 --max-iterations 2000 >"$TMP/two.json"
json_ok "$TMP/two.json" "d['classes_found'] >= 2 and d['rel_residual'] <= 1e-10
  and max(s['d_p'] for s in d['starts'] if s['residual'] <= 1e-10 * 20) > 0.1"
check "{1,2,3} x {1,2,3}: exact fits in two classes (not identifiable)" $?

"$DMF" synth-network "$TMP/haar.json" --seed 4 --noise 0.01 --out "$TMP/n" >"$TMP/noisy.json"
json_ok "$TMP/noisy.json" "abs(d['noise_norm'] - 0.01 * d['x_norm']) < 1e-3 * d['noise_norm']"
check "noise of 1 % of ||M(h)||" $?

"$DMF" synth-network "$TMP/haar.json" --seed 4 --noise 1e-4 --out "$TMP/n4" >/dev/null
"$DMF" recover "$TMP/haar.json" --input "$TMP/n4/X.npy" --truth "$TMP/n4/H.npy" >"$TMP/nrec.json"
json_ok "$TMP/nrec.json" "[b['theorem'] for b in d['bounds']] == ['Thm 8.4', 'Thm 7.2', 'Thm 4.3']
  and all(b['holds'] and b['measured'] <= b['bound'] for b in d['bounds'])
  and d['bounds'][1]['gamma'] == 1 and abs(d['bounds'][1]['sigma_min'] - 32 ** 0.5) < 1e-9
  and 0 < d['bounds'][2]['tensor_distance'] <= d['bounds'][2]['error_limit']
  and d['data_error'] > 0 and d['d_p'] < 1e-4"
check "Haar, noise 1e-4: d_p below the bounds of Thm 8.4, Thm 7.2 (sigma_min = sqrt(N), gamma = 1) and Thm 4.3" $?
# --synth-seed: the X and truth synth-network --seed draws, in one command.
"$DMF" recover "$TMP/haar.json" --synth-seed 4 --noise 1e-4 >"$TMP/srec.json"
python3 -c "import json, sys
a, b = (json.loads(open(f).readline()) for f in sys.argv[1:])
sys.exit(not (a['synth'] == {'seed': 4, 'noise': 1e-4, 'noise_norm': a['synth']['noise_norm']} and 'truth' not in a
              and a['d_p'] == b['d_p'] and a['residual'] == b['residual'] and a['bounds'] == b['bounds']))" \
  "$TMP/srec.json" "$TMP/nrec.json"
check "--synth-seed 4 --noise 1e-4: what synth-network --seed 4 then recover --truth give" $?
"$DMF" recover "$TMP/haar.json" --synth-seed 4 --truth "$TMP/n4/H.npy" 2>"$TMP/err.txt"
[ $? -eq 2 ] && grep -q "exclude each other" "$TMP/err.txt"; check "--synth-seed with --truth: exit 2" $?
"$DMF" recover "$TMP/haar.json" --input "$TMP/n4/X.npy" --noise 0.1 2>"$TMP/err.txt"
[ $? -eq 2 ] && grep -q -- "--noise needs --synth-seed" "$TMP/err.txt"; check "--noise without --synth-seed: exit 2" $?
# The sweep's job file: every job valid, and a few of them run.
here=$(cd "$(dirname "$0")/.." && pwd)
"$DMF" jobs check "$here/bench/jobs/recover_sweep.json" >/dev/null 2>"$TMP/err.txt"
check "bench/jobs/recover_sweep.json: every job passes the table's checks" $?
"$DMF" synth-network "$TMP/haar.json" --seed 4 --noise 2 --out "$TMP/big" >/dev/null
"$DMF" recover "$TMP/haar.json" --input "$TMP/big/X.npy" --truth "$TMP/big/H.npy" >"$TMP/brec.json"
json_ok "$TMP/brec.json" "not d['bounds'][0]['holds'] and 'eps^K' in d['bounds'][0]['why_not'] and 'bound' not in d['bounds'][0]"
check "noise 2: Thm 8.4's condition delta + eta <= sqrt(N) eps^K / 2 fails, no bound" $?

# The lifting's start: the Haar path's lifted operator is injective, so one
# start recovers the class.
"$DMF" recover "$TMP/haar.json" --input "$TMP/s/X.npy" --truth "$TMP/s/H.npy" --method lifting >"$TMP/lift.json"
json_ok "$TMP/lift.json" "d['method'] == 'lifting' and d['restarts'] == 1 and d['lifting']['injective'] and d['d_p'] <= 1e-10"
check "--method lifting: one start, injective lifted operator, d_p <= 1e-10" $?
json_ok "$TMP/lift.json" "d['backend'] == 'cpu'"; check "--method lifting: the operator formed on the CPU by default" $?
"$DMF" recover "$TMP/haar.json" --input "$TMP/s/X.npy" --method lifting --backend auto >"$TMP/lift_auto.json"
json_ok "$TMP/lift_auto.json" "d['backend'] in ('cpu', 'cuda') and d['lifting']['injective'] and d['rel_residual'] <= 1e-12"
check "--backend auto: the lifting on the backend found, exact" $?
"$DMF" recover "$TMP/haar.json" --input "$TMP/s/X.npy" --method lifitng >/dev/null 2>"$TMP/err.txt"
[ $? -eq 2 ] && grep -q "did you mean 'lifting'" "$TMP/err.txt"; check "--method lifitng: exit 2 with a suggestion" $?
"$DMF" recover "$TMP/haar.json" >/dev/null 2>&1; [ $? -eq 2 ]; check "recover without --input: exit 2" $?
"$DMF" synth-network "$TMP/haar.json" >/dev/null 2>&1; [ $? -eq 2 ]; check "synth-network without --out: exit 2" $?
"$DMF" recover "$TMP/haar.json" --input "$TMP/s/X.npy" --noise 1 >/dev/null 2>&1; [ $? -eq 2 ]
check "--noise is for synth-network: exit 2" $?
"$DMF" recover "$TMP/haar.json" --input "$TMP/s/X.npy" --p 0.5 >/dev/null 2>&1; [ $? -eq 2 ]; check "--p 0.5: exit 2" $?
"$DMF" recover --help | grep -q usage; check "recover --help" $?
"$DMF" synth-network --help | grep -q usage; check "synth-network --help" $?

# X as its leaves' kernels (--kernels) and the per-edge solver of trees:
# a Haar tree of depth 4 on R^32 (16 leaves).
python3 - "$TMP/tree.json" <<'PY'
import json, sys
edges, level = [], ["r"]
for k in range(4):
    nxt = []
    for p in level:
        for b in "01":
            nxt.append(p + b)
            edges.append({"from": p + b, "to": p, "support": {"dilated": k}})
    level = nxt
json.dump({"type": "conv", "N": 32, "root": "r", "edges": edges}, open(sys.argv[1], "w"))
PY
"$DMF" synth-network "$TMP/tree.json" --seed 6 --kernels --out "$TMP/k" >"$TMP/ksynth.json"
check "synth-network --kernels exits 0" $?
json_ok "$TMP/ksynth.json" "d['kernels_shape'] == [16, 32] and d['rows'] == 32 and d['cols'] == 512
  and d['kernels'].endswith('Y.npy') and 'x' not in d"
check "synth-network --kernels: Y.npy of leaves x N, X's sizes" $?
[ -s "$TMP/k/Y.npy" ] && [ ! -e "$TMP/k/X.npy" ]; check "Y.npy written, X.npy not" $?
"$DMF" recover "$TMP/tree.json" --kernels "$TMP/k/Y.npy" --truth "$TMP/k/H.npy" --restarts 20 >"$TMP/krec.json"
check "recover --kernels exits 0" $?
json_ok "$TMP/krec.json" "d['solver'] == 'edges' and d['kernels'].endswith('Y.npy') and 'input' not in d
  and d['delta_p'] <= 1e-10 and d['rel_residual'] <= 1e-13 and d['data_error'] == 0
  and sum(s['delta_p'] <= 1e-10 for s in d['starts']) >= 19"
check "Haar tree K=4 from kernels: delta_2 <= 1e-10 in >= 19 of 20 starts, per-edge solver" $?
"$DMF" synth-network "$TMP/tree.json" --seed 6 --out "$TMP/kd" >/dev/null
"$DMF" recover "$TMP/tree.json" --input "$TMP/kd/X.npy" --truth "$TMP/kd/H.npy" --restarts 20 --solver layers >"$TMP/kdl.json"
"$DMF" recover "$TMP/tree.json" --input "$TMP/kd/X.npy" --truth "$TMP/kd/H.npy" --restarts 20 >"$TMP/kde.json"
python3 - "$TMP/krec.json" "$TMP/kde.json" "$TMP/kdl.json" <<'PY'
import json, sys
k, e, l = (json.loads(open(p).readline()) for p in sys.argv[1:])
assert e["solver"] == "edges" and l["solver"] == "layers", (e["solver"], l["solver"])
for d in (k, e, l):
    assert d["delta_p"] <= 1e-10 and d["rel_residual"] <= 1e-13, d
assert abs(k["residual"] - e["residual"]) <= 1e-12 * e["residual"] / e["rel_residual"], (k["residual"], e["residual"])
PY
check "the same tree as X: per-edge and per-layer solvers reach the class of the kernels' estimate" $?
"$DMF" recover "$TMP/tree.json" --kernels "$TMP/k/H.npy" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "leaves x N = 16 x 32" "$TMP/err.txt"; check "kernels of the wrong shape: exit 1 naming leaves x N" $?
python3 - "$TMP/k/Y.npy" "$TMP/nan.npy" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
start = 10 + struct.unpack("<H", data[8:10])[0]  # .npy version 1: header length at bytes 8-9
data[start + 8 * 37:start + 8 * 38] = struct.pack("<d", float("nan"))
open(sys.argv[2], "wb").write(data)
PY
"$DMF" recover "$TMP/tree.json" --kernels "$TMP/nan.npy" >/dev/null 2>"$TMP/err.txt"
[ $? -ne 0 ] && grep -q "not finite" "$TMP/err.txt" && grep -q "row 1" "$TMP/err.txt"
check "NaN in the kernels: non-zero exit naming the leaf and shift" $?
"$DMF" recover "$TMP/tree.json" --kernels "$TMP/k/Y.npy" --input "$TMP/kd/X.npy" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 2 ] && grep -q "exclude each other" "$TMP/err.txt"; check "--input with --kernels: exit 2" $?
cat >"$TMP/masked.json" <<'JSON'
{"type": "masked", "sizes": [3, 3, 3], "masks": ["dense", "dense"]}
JSON
"$DMF" synth-network "$TMP/masked.json" --kernels --out "$TMP/m" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "convolutional" "$TMP/err.txt"; check "synth-network --kernels on a masked network: exit 1" $?
"$DMF" recover "$TMP/masked.json" --kernels "$TMP/k/Y.npy" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "convolutional" "$TMP/err.txt"; check "recover --kernels on a masked network: exit 1" $?
cat >"$TMP/dag.json" <<'JSON'
{"type": "conv", "N": 8, "root": "r", "edges": [
 {"from": "a", "to": "r", "support": [0, 1]}, {"from": "b", "to": "r", "support": [0, 2]},
 {"from": "x", "to": "a", "support": [0, 3]}, {"from": "x", "to": "b", "support": [1, 2]}]}
JSON
"$DMF" synth-network "$TMP/dag.json" --kernels --out "$TMP/g" >/dev/null
"$DMF" recover "$TMP/dag.json" --kernels "$TMP/g/Y.npy" --solver edges >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "tree" "$TMP/err.txt"; check "--solver edges on a DAG: exit 1 saying it needs a tree" $?
"$DMF" recover "$TMP/dag.json" --kernels "$TMP/g/Y.npy" --restarts 3 >"$TMP/dag_rec.json"
json_ok "$TMP/dag_rec.json" "d['solver'] == 'layers'"; check "a DAG's kernels: the per-layer solver" $?

echo "cli_recover: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
