#!/usr/bin/env bash
# dmf fsmf --support-x auto --support-y auto: the supports of a two-factor
# class found from A.  Known answers: the natural-order DFT is exact on the
# class (2, N/2) (X 2-sparse), the DCT-II and DST-II on (N/2, 2); the
# supports written hold the class's counts per row and column; a Gaussian
# matrix is no member of the class; the options that do not go together are
# refused before anything is read.
set -u
DMF=${1:?usage: cli_fsmf_supports.sh PATH/TO/dmf}
command -v python3 >/dev/null || { echo "cli_fsmf_supports: python3 not found, skipping"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0
check() { # NAME CONDITION-EXIT-STATUS
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "PASS $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}

"$DMF" fsmf --matrix dft --size 64 --support-x auto --support-y auto --out "$TMP/dft" >"$TMP/dft.json"
check "dft 64: exit 0" $?
python3 - "$TMP/dft.json" "$TMP/dft" <<'PY'
import ast, cmath, json, struct, sys

def npy(path):  # float64 or complex128, C order: (shape, values)
    raw = open(path, "rb").read()
    n = struct.unpack("<H", raw[8:10])[0]
    head = ast.literal_eval(raw[10:10 + n].decode())
    data = raw[10 + n:]
    vals = struct.unpack("<%dd" % (len(data) // 8), data)
    if head["descr"] == "<c16":
        vals = [complex(vals[2 * i], vals[2 * i + 1]) for i in range(len(vals) // 2)]
    return head["shape"], vals

d = json.loads(open(sys.argv[1]).readline())
assert d["rel_error"] < 1e-12 and d["optimal"] is True and d["support_verdict"] == "exact", d
assert d["supports"] == "auto" and d["support_radix_m"] == [2, 32] and d["support_classes_tried"] == 1, d
(r, k), sx = npy(sys.argv[2] + "/support_x.npy")
(k2, c), sy = npy(sys.argv[2] + "/support_y.npy")
_, X = npy(sys.argv[2] + "/X.npy")
_, Y = npy(sys.argv[2] + "/Y.npy")
assert (r, k, k2, c) == (64, 64, 64, 64)
assert all(sum(sx[i * k:(i + 1) * k]) == 2 for i in range(r)) and all(sum(sx[t::k]) == 2 for t in range(k))
assert all(sum(sy[i * c:(i + 1) * c]) == 32 for i in range(k)) and all(sum(sy[t::c]) == 32 for t in range(c))
assert all(X[e] == 0 for e in range(r * k) if sx[e] == 0) and all(Y[e] == 0 for e in range(k * c) if sy[e] == 0)
err = 0
for i in range(64):
    for j in range(64):
        p = sum(X[i * 64 + t] * Y[t * 64 + j] for t in range(64) if sx[i * 64 + t])
        err += abs(p - cmath.exp(-2j * cmath.pi * i * j / 64) / 8) ** 2
assert err ** 0.5 < 1e-12 * 8, err
PY
check "dft 64: exact on the class (2, 32), supports 2-sparse and 32-sparse, X Y = DFT" $?
for m in dct2 dst2; do
    "$DMF" fsmf --matrix $m --size 64 --support-x auto --support-y auto >"$TMP/$m.json"
    python3 -c "
import json, sys
d = json.loads(open(sys.argv[1]).readline())
sys.exit(not (d['rel_error'] < 1e-12 and d['support_radix_m'] == [32, 2] and d['support_classes_tried'] == 2
              and d['support_verdict'] == 'exact'))" "$TMP/$m.json"
    check "$m 64: exact on the class (32, 2)" $?
done
"$DMF" fsmf --matrix dft --size 48 --radix-m 12,4 --radix-n 12,4 --support-x auto --support-y auto >"$TMP/r.json"
python3 -c "
import json, sys
d = json.loads(open(sys.argv[1]).readline())
sys.exit(not (d['rel_error'] < 1e-12 and d['support_classes_tried'] == 1 and d['size_m_k_n'] == [48, 48, 48]))" "$TMP/r.json"
check "dft 48 on the class given (12, 4): exact" $?
"$DMF" fsmf --matrix gaussian --size 64 --support-x auto --support-y auto >"$TMP/g.json"
python3 -c "
import json, sys
d = json.loads(open(sys.argv[1]).readline())
sys.exit(not (d['support_verdict'] == 'not_of_the_class' and d['rel_error'] > 0.3))" "$TMP/g.json"
check "gaussian 64: not of the class" $?

"$DMF" fsmf --matrix dft --size 16 --support-x auto --support-y y.npy >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] && grep -q "go together" "$TMP/err"; check "auto on one side only: exit 2" $?
"$DMF" fsmf --matrix dft --size 16 --support-x auto --support-y auto --radix-m 2,2,4 --radix-n 2,2,4 >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] && grep -q "two radices each" "$TMP/err"; check "a class of three radices: exit 2" $?
"$DMF" fsmf --matrix gaussian --size 15 --support-x auto --support-y auto >/dev/null 2>"$TMP/err"
[ $? -eq 1 ] && grep -q "give the class" "$TMP/err"; check "an odd size without a class: exit 1" $?

echo "cli_fsmf_supports: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
