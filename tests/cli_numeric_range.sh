#!/usr/bin/env bash
# The whole range of every dtype from the command line: inputs near the
# overflow or underflow threshold give the errors of the same inputs near 1
# with exit 0, and whatever cannot be represented exits 3 with the reason,
# never a null/NaN/inf result or file with exit 0.
set -u
DMF=${1:?usage: cli_numeric_range.sh PATH/TO/dmf}
command -v python3 >/dev/null || { echo "cli_numeric_range: python3 not found, skipping"; exit 77; }
DMF=$(cd "$(dirname "$DMF")" && pwd)/$(basename "$DMF")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
passed=0
failed=0
check() { # NAME STATUS
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "PASS $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}

# .npy files without NumPy: npy.py write NAME DTYPE ROWS COLS SCALE KIND
cat >npy.py <<'PY'
import json, random, struct, sys

def write(path, dtype, rows, cols, values):
    descr = {"f4": "<f4", "f8": "<f8", "c8": "<c8", "c16": "<c16"}[dtype]
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }" % (descr, rows, cols)
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        for v in values:
            if dtype == "f4": f.write(struct.pack("<f", v.real))
            elif dtype == "f8": f.write(struct.pack("<d", v.real))
            elif dtype == "c8": f.write(struct.pack("<ff", v.real, v.imag))
            else: f.write(struct.pack("<dd", v.real, v.imag))

def read(path):
    data = open(path, "rb").read()
    n = struct.unpack("<H", data[8:10])[0]
    header = data[10:10 + n].decode()
    body = data[10 + n:]
    if "'<f8'" in header: return list(struct.unpack("<%dd" % (len(body) // 8), body))
    if "'<f4'" in header: return list(struct.unpack("<%df" % (len(body) // 4), body))
    raise SystemExit("unexpected " + header)

if sys.argv[1] == "write":
    path, dtype, rows, cols, scale, kind = sys.argv[2:8]
    rows, cols, scale = int(rows), int(cols), float(scale)
    rng = random.Random(7)
    vals = []
    for i in range(rows * cols):
        if kind == "ones": v = 1.0
        elif kind == "mixed": v = 1e200 if rng.random() < 0.5 else 1e-200
        elif kind == "complex": v = complex(rng.gauss(0, 1), rng.gauss(0, 1))
        else: v = rng.gauss(0, 1)
        vals.append(v * scale if kind != "mixed" else v)
    write(path, dtype, rows, cols, vals)
elif sys.argv[1] == "field":  # field FILE KEY: one JSON member of the first line
    print(json.loads(open(sys.argv[2]).readline())[sys.argv[3]])
elif sys.argv[1] == "close":  # close A B TOL: |A - B| <= TOL |B|
    a, b, tol = map(float, sys.argv[2:5])
    sys.exit(0 if abs(a - b) <= tol * abs(b) else 1)
elif sys.argv[1] == "ratio":  # ratio FILE VALUE TOL: every entry / VALUE within TOL of 1
    v, tol = float(sys.argv[3]), float(sys.argv[4])
    sys.exit(0 if all(abs(x / v - 1) <= tol for x in read(sys.argv[2])) else 1)
PY
py() { python3 npy.py "$@"; }
rel() { py field "$1" rel_error 2>/dev/null || echo none; }

# factor FILE [options] -> out.json, exit status in $rc
factor() { "$DMF" butterfly factor --no-out --input "$@" >out.json 2>err.txt; rc=$?; }

# --- butterfly factor ------------------------------------------------------
py write ones300.npy f8 16 16 1e300 ones
"$DMF" butterfly factor --input ones300.npy --out f300 >out.json 2>err.txt
check "all-1e300: exit 0" $?
python3 -c "import sys; sys.exit(not float(sys.argv[1]) < 1e-14)" "$(rel out.json)"
check "all-1e300: rel_error < 1e-14 (got $(rel out.json))" $?
"$DMF" butterfly densify --factors f300 --out d300.npy >/dev/null 2>&1 && py ratio d300.npy 1e300 1e-14
check "all-1e300: the factors' product is 1e300 to 1e-14" $?
factor ones300.npy --orthonormalize
python3 -c "import sys; sys.exit(not float(sys.argv[1]) < 1e-14)" "$(rel out.json)"
check "all-1e300 --orthonormalize: rel_error < 1e-14 (got $(rel out.json))" $?

for dt in f8:f64 f4:f32 c16:c128 c8:c64; do
    npy=${dt%%:*}
    name=${dt##*:}
    kind=gauss
    case $npy in c*) kind=complex ;; esac
    case $name in f32 | c64) scales="1e19 1e-19 1e30"; tol=1e-5 ;; *) scales="1e150 1e-200 1e300"; tol=1e-12 ;; esac
    py write g1.npy "$npy" 32 32 1 $kind
    for ortho in "" --orthonormalize; do
        factor g1.npy $ortho
        ref=$(rel out.json)
        for s in $scales; do
            py write gs.npy "$npy" 32 32 "$s" $kind
            factor gs.npy $ortho
            [ "$rc" -eq 0 ] && py close "$(rel out.json)" "$ref" "$tol"
            check "$name gaussian x $s $ortho: rel_error $(rel out.json) = unscaled $ref" $?
        done
    done
done

py write mixed.npy f8 16 16 1 mixed
for ortho in "" --orthonormalize; do
    factor mixed.npy $ortho
    [ "$rc" -eq 0 ] && python3 -c "import sys; e = float(sys.argv[1]); sys.exit(not 0 < e < 1)" "$(rel out.json)"
    check "mixed 1e200/1e-200 $ortho: exit 0, finite rel_error $(rel out.json)" $?
done

# --- fsmf ----------------------------------------------------------------------
python3 - <<'PY'
import subprocess, sys
sys.argv = ["npy.py"]
exec(open("npy.py").read().split("if sys.argv[1] ==")[0])
sx = [1.0 if i // 2 == k else 0.0 for i in range(8) for k in range(4)]
sy = [1.0 if j // 2 == k else 0.0 for k in range(4) for j in range(8)]
write("sx.npy", "f8", 8, 4, sx)
write("sy.npy", "f8", 4, 8, sy)
PY
py write fa.npy f8 8 8 1 gauss
"$DMF" fsmf --input fa.npy --support-x sx.npy --support-y sy.npy >fs.json 2>/dev/null
ref=$(rel fs.json)
for s in 1e300 1e-300; do
    py write fs.npy f8 8 8 "$s" gauss
    "$DMF" fsmf --input fs.npy --support-x sx.npy --support-y sy.npy >fsx.json 2>err.txt &&
        py close "$(rel fsx.json)" "$ref" 1e-12
    check "fsmf x $s: exit 0, rel_error $(rel fsx.json) = unscaled $ref" $?
done

# --- liftrank --------------------------------------------------------------------
net() { # FILE C1 C2
    printf '{"type": "triplets", "layers": [
 {"rows": 2, "cols": 2, "entries": [[0,0,0,%s],[1,1,1,%s],[0,1,2,%s]]},
 {"rows": 2, "cols": 2, "entries": [[0,0,0,%s],[1,1,1,%s],[1,0,2,%s]]}]}\n' "$2" "$2" "$2" "$3" "$3" "$3" >"$1"
}
net n1.json 1e300 1
"$DMF" liftrank n1.json >lr.json 2>err.txt && [ "$(py field lr.json rank)" = 4 ]
check "liftrank with 1e300 coefficients in one layer: exit 0, rank 4" $?
net n2.json 1e300 1e300
"$DMF" liftrank n2.json >lr.json 2>err.txt
rc=$?
[ $rc -eq 3 ] && [ ! -s lr.json ] && grep -q "rank is 4" err.txt && ! grep -qi "DLASCL\|illegal" err.txt
check "liftrank with 1e300 in both layers: exit 3 naming rank 4, no LAPACK complaint (exit $rc)" $?

# --- demod synth -----------------------------------------------------------------
py write w1.npy f8 6 3 1 gauss
py write w2.npy f8 8 6 1 gauss
py write wh.npy f8 6 3 1e200 gauss
echo '{"weights": ["w1.npy", "w2.npy"]}' >g.json
echo '{"weights": ["wh.npy", "w2.npy"]}' >gh.json
"$DMF" demod synth --g1 g.json --g2 g.json --out syn_ok >/dev/null 2>&1
check "demod synth with ordinary weights: exit 0" $?
"$DMF" demod synth --g1 gh.json --g2 g.json --out syn_huge >out.json 2>err.txt
rc=$?
[ $rc -eq 3 ] && [ ! -e syn_huge/y0.npy ] && grep -q "2^" err.txt
check "demod synth with 1e200 weights: exit 3 with the exponents, no y0 (exit $rc)" $?

# --- apply -----------------------------------------------------------------------
py write x_big.npy f8 16 2 1e10 ones
"$DMF" butterfly apply --factors f300 --input x_big.npy --out y_big.npy >/dev/null 2>err.txt
rc=$?
[ $rc -eq 3 ] && [ ! -e y_big.npy ] && grep -q "not finite" err.txt
check "apply whose product overflows: exit 3, nothing written (exit $rc)" $?
py write x_one.npy f8 16 2 1 ones
"$DMF" butterfly apply --factors f300 --input x_one.npy --out y_one.npy >/dev/null 2>&1 && py ratio y_one.npy 1.6e301 1e-14
check "apply of the 1e300 factors to ones: 16e300 to 1e-14" $?

echo "cli_numeric_range: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
