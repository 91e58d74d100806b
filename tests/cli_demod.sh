#!/usr/bin/env bash
# dmf demod from the command line: synth + solve recovers (h0, m0) on the
# paper's Gaussian networks 10 -> 250 -> 1000, the landscape of a 1 -> 50 ->
# 200 pair has its minima on the branch of the truth, a tiny sweep prints one
# line per cell, and bad input is refused with the documented exit codes.
set -u
DMF=${1:?usage: cli_demod.sh PATH/TO/dmf}
command -v python3 >/dev/null || { echo "cli_demod: python3 not found, skipping"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0
check() { # NAME CONDITION-EXIT-STATUS
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "PASS $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
# Shape of a .npy from its header (python3 stdlib only), e.g. "20x10".
npy_shape() {
  python3 - "$1" <<'PY'
import ast, struct, sys
with open(sys.argv[1], "rb") as f:
    assert f.read(6) == b"\x93NUMPY"
    major = f.read(2)[0]
    n = struct.unpack("<H", f.read(2))[0] if major == 1 else struct.unpack("<I", f.read(4))[0]
    print("x".join(str(d) for d in ast.literal_eval(f.read(n).decode("latin1"))["shape"]))
PY
}
# A .npy of float64 values, row-major: npy_write FILE ROWS COLS [NAN_AT].
npy_write() {
  python3 - "$@" <<'PY'
import struct, sys
path, rows, cols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
nan_at = int(sys.argv[4]) if len(sys.argv) > 4 else -1
header = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, cols)
header += " " * (63 - (10 + len(header)) % 64) + "\n"
vals = [float("nan") if i == nan_at else 0.01 * (i % 7) for i in range(rows * cols)]
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
    f.write(struct.pack("<%dd" % len(vals), *vals))
PY
}

echo '{"sizes": [10, 250, 1000], "seed": 1}' >"$TMP/g1.json"
echo '{"sizes": [10, 250, 1000], "seed": 2}' >"$TMP/g2.json"

# ---- synth + solve --------------------------------------------------------
"$DMF" demod synth --g1 "$TMP/g1.json" --g2 "$TMP/g2.json" --out "$TMP/p" --trials 20 --seed 7 \
  >"$TMP/synth.json" 2>"$TMP/err.txt"
check "synth exits 0" $?
[ "$(npy_shape "$TMP/p/y0.npy")" = 20x1000 ] && [ "$(npy_shape "$TMP/p/h0.npy")" = 20x10 ] &&
  [ "$(npy_shape "$TMP/p/m0.npy")" = 20x10 ]
check "synth writes y0 (20x1000), h0 (20x10), m0 (20x10)" $?

"$DMF" demod solve --g1 "$TMP/g1.json" --g2 "$TMP/g2.json" --y0 "$TMP/p/y0.npy" --h0 "$TMP/p/h0.npy" \
  --m0 "$TMP/p/m0.npy" --out "$TMP/est" --trace "$TMP/trace.npy" >"$TMP/solve.jsonl" 2>"$TMP/err.txt"
check "solve exits 0" $?
python3 - "$TMP/solve.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
trials, summary = lines[:-1], lines[-1]
print("solve summary:", {k: summary[k] for k in ("trials", "successes", "success_rate", "median_iterations", "time_s")})
assert len(trials) == 20 and [t["trial"] for t in trials] == list(range(20))
assert summary["summary"] and summary["trials"] == 20
assert summary["successes"] == sum(t["success"] for t in trials)
sys.exit(0 if summary["success_rate"] >= 0.95 else 1)
PY
check "10 -> 250 -> 1000, 20 trials: success_rate >= 0.95, one line per trial + summary" $?
[ "$(npy_shape "$TMP/est/h.npy")" = 20x10 ] && [ "$(npy_shape "$TMP/est/m.npy")" = 20x10 ] &&
  [ "$(npy_shape "$TMP/trace.npy")" = 20x500 ]
check "solve writes h, m (20x10) and the trace (20 x iterations)" $?

"$DMF" demod solve --g1 "$TMP/g1.json" --g2 "$TMP/g2.json" --y0 "$TMP/p/y0.npy" >"$TMP/nt.jsonl" 2>/dev/null
python3 -c "
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(not (len(lines) == 21 and 'success' not in lines[0] and lines[-1]['success_rate'] is None))" "$TMP/nt.jsonl"
check "solve without the truth: no success field, success_rate null" $?

# ---- landscape --------------------------------------------------------------
echo '{"sizes": [1, 50, 200], "seed": 3}' >"$TMP/l1.json"
echo '{"sizes": [1, 50, 200], "seed": 4}' >"$TMP/l2.json"
"$DMF" demod landscape --g1 "$TMP/l1.json" --g2 "$TMP/l2.json" --h0 0.7 --m0 1.3 --points 21 \
  --out "$TMP/grid.npy" >"$TMP/land.json" 2>"$TMP/err.txt"
check "landscape exits 0" $?
[ "$(npy_shape "$TMP/grid.npy")" = 21x21 ]; check "landscape writes a 21x21 grid" $?
# The generators are positively homogeneous, so f depends on h m only within
# a sign quadrant: the global minima are the branch h m = h0 m0 through
# (h0, m0), and the grid's minimum is the grid point nearest that branch.
python3 - "$TMP/land.json" <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).readline())
h, m = d["argmin_h"], d["argmin_m"]
print("landscape minimum:", d["f_min"], "at", (h, m), "f(0,0) =", d["f_origin"], "quadrants:",
      [q["quadrant"] for q in d["minima"]])
ok = h > 0 and m > 0 and abs(h * m - 0.7 * 1.3) <= 0.15 and d["f_min"] <= 1e-2 * d["f_origin"]
ok = ok and d["minima"][0]["quadrant"] == "++" and d["f_min"] <= d["f_max"]
sys.exit(0 if ok else 1)
PY
check "landscape minimum on the branch of (h0, m0)" $?
"$DMF" demod landscape --g1 "$TMP/l1.json" --g2 "$TMP/l2.json" --h0 0.7 --m0 1.3 --points 21 --dtype f32 \
  --out "$TMP/grid32.npy" >"$TMP/land32.json" 2>/dev/null
python3 - "$TMP/land.json" "$TMP/land32.json" <<'PY'
import json, sys
a, b = (json.loads(open(p).readline()) for p in sys.argv[1:3])
# The minimum on the same branch h m (grid points with equal products tie, and
# rounding may pick another of them); f agrees to float accuracy.
prod = lambda d: d["argmin_h"] * d["argmin_m"]
ok = b["dtype"] == "f32" and abs(prod(a) - prod(b)) <= 1e-9 and b["argmin_h"] > 0 and b["argmin_m"] > 0
ok = ok and abs(a["f_origin"] - b["f_origin"]) <= 1e-5 * a["f_origin"]
ok = ok and abs(a["f_max"] - b["f_max"]) <= 1e-5 * a["f_max"]
sys.exit(0 if ok else 1)
PY
check "landscape in f32: the minimum on the same branch, f to float accuracy" $?
"$DMF" demod landscape --g1 "$TMP/g1.json" --g2 "$TMP/g2.json" --h0 1 --m0 1 >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "one-dimensional" "$TMP/err.txt"; check "landscape with 10-dim latents: exit 1" $?

# ---- sweep ------------------------------------------------------------------
"$DMF" demod sweep --latent 2 --outputs 50,60 --hidden 40 --trials 5 --iterations 100 >"$TMP/sweep.jsonl" \
  2>"$TMP/err.txt"
check "sweep exits 0" $?
python3 - "$TMP/sweep.jsonl" <<'PY'
import json, sys
cells = [json.loads(l) for l in open(sys.argv[1])]
keys = {"latent", "output", "hidden", "trials", "successes", "success_rate", "median_iterations", "time_s"}
ok = [(c["latent"], c["output"]) for c in cells] == [(2, 50), (2, 60)]
ok = ok and all(keys <= c.keys() and c["trials"] == 5 and 0 <= c["success_rate"] <= 1 for c in cells)
sys.exit(0 if ok else 1)
PY
check "sweep prints one line per cell with the rates" $?
grep -q "\[2/2\]" "$TMP/err.txt"; check "sweep progress on stderr" $?

# ---- f32 and one network per trial ----------------------------------------------
echo '{"sizes": [5, 100, 500], "seed": 5}' >"$TMP/s1.json"
echo '{"sizes": [5, 100, 500], "seed": 6}' >"$TMP/s2.json"
"$DMF" demod synth --g1 "$TMP/s1.json" --g2 "$TMP/s2.json" --out "$TMP/ind" --trials 10 --independent-networks \
  >"$TMP/ind_synth.json" 2>/dev/null
check "synth --independent-networks exits 0" $?
grep -q '"networks": "per_trial"' "$TMP/ind_synth.json"; check "synth reports per-trial networks" $?
solve_rate() { # OUT-JSONL, then solve's extra options; prints the success rate
  local out=$1
  shift
  "$DMF" demod solve --g1 "$TMP/s1.json" --g2 "$TMP/s2.json" --y0 "$TMP/ind/y0.npy" --h0 "$TMP/ind/h0.npy" \
    --m0 "$TMP/ind/m0.npy" "$@" >"$out" 2>/dev/null &&
    python3 -c "import json, sys; print(json.loads(open(sys.argv[1]).readlines()[-1])['success_rate'])" "$out"
}
rate=$(solve_rate "$TMP/ind64.jsonl" --independent-networks)
echo "per-trial networks, f64: success rate $rate"
python3 -c "import sys; sys.exit(not float(sys.argv[1]) >= 0.9)" "${rate:-0}"
check "per-trial networks solved with the same networks: success rate >= 0.9" $?
rate32=$(solve_rate "$TMP/ind32.jsonl" --independent-networks --dtype f32 --tol 1e-5)
echo "per-trial networks, f32: success rate $rate32"
python3 -c "import sys; sys.exit(not float(sys.argv[1]) >= 0.9)" "${rate32:-0}" &&
  grep -q '"dtype": "f32"' "$TMP/ind32.jsonl"
check "the same in f32 (success 1e-3, tol 1e-5): success rate >= 0.9" $?
wrong=$(solve_rate "$TMP/shared.jsonl" --iterations 100)
echo "per-trial problems solved with the shared networks: success rate $wrong"
python3 -c "import sys; sys.exit(not float(sys.argv[1]) <= 0.3)" "${wrong:-1}"
check "the same problems with the shared networks fail (rate <= 0.3)" $?
npy_write "$TMP/W1.npy" 4 3
echo '{"weights": ["W1.npy"]}' >"$TMP/wfile.json"
"$DMF" demod synth --g1 "$TMP/wfile.json" --g2 "$TMP/wfile.json" --out "$TMP/q" --trials 2 \
  --independent-networks >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "weight files" "$TMP/err.txt"; check "--independent-networks with a weights spec: exit 1" $?
"$DMF" demod sweep --latent 2 --outputs 50 --dtype f16 >/dev/null 2>&1
[ $? -eq 2 ]; check "bad --dtype: exit 2" $?

# ---- fields and image ----------------------------------------------------------
"$DMF" demod fields --grid 16 --count 7 --seed 2 --out "$TMP/fields.npy" --params "$TMP/fp.npy" >/dev/null
check "fields exits 0" $?
[ "$(npy_shape "$TMP/fields.npy")" = 7x256 ] && [ "$(npy_shape "$TMP/fp.npy")" = 7x2 ]
check "fields writes 7 x 16^2 fields and 7 x 2 parameters" $?
"$DMF" demod fields --grid 8 --count 3 --out "$TMP/same.npy" --params "$TMP/same.npy" >/dev/null 2>&1
[ $? -eq 2 ] && [ ! -e "$TMP/same.npy" ]; check "fields: --params and --out the same file: exit 2" $?
"$DMF" demod fields --grid 8 --count 3 --out "$TMP/nofields.npy" --params "$TMP/no/such/dir/p.npy" >/dev/null 2>&1
[ $? -eq 1 ] && [ ! -e "$TMP/nofields.npy" ]; check "fields: an unwritable --params leaves no fields file" $?
echo '{"sizes": [5, 100, 256], "seed": 21}' >"$TMP/im1.json"
echo '{"sizes": [5, 100, 256], "seed": 22}' >"$TMP/im2.json"
"$DMF" demod image --g1 "$TMP/im1.json" --g2 "$TMP/im2.json" --grid 16 --trials 4 --out "$TMP/img" \
  >"$TMP/img.jsonl" 2>"$TMP/err.txt"
check "image exits 0" $?
python3 - "$TMP/img.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
s = rows[-1]
print("image (random generators):", {k: s[k] for k in ("generators", "success_rate")},
      "image errors", [r["image_rel_error"] for r in rows[:-1]])
ok = s["generators"] == "random" and "random" in s["note"] and s["success_rate"] >= 0.75
ok = ok and sum(r["image_rel_error"] <= 1e-3 and r["field_rel_error"] <= 1e-3 for r in rows[:-1]) >= 3
sys.exit(0 if ok else 1)
PY
check "image on random generators: recovered, and the report says the generators are random" $?
grep -q "note: untrained random generators" "$TMP/err.txt"; check "image says so on stderr too" $?
ok=0
for f in image field y0 image_rec field_rec; do [ "$(npy_shape "$TMP/img/$f.npy")" = 4x256 ] || ok=1; done
check "image writes image, field, y0 and both recoveries (4 x 256)" $ok
"$DMF" demod image --g1 "$TMP/im1.json" --g2 "$TMP/im2.json" --grid 16 --trials 2 --field gaussian \
  --iterations 50 --out "$TMP/imgg" >"$TMP/imgg.jsonl" 2>/dev/null
[ $? -eq 0 ] && grep -q '"field": "gaussian"' "$TMP/imgg.jsonl" && grep -q "not in the range" "$TMP/imgg.jsonl" &&
  [ "$(npy_shape "$TMP/imgg/field_params.npy")" = 2x2 ]
check "image with Gaussian fields and a random G2: runs and says Algorithm 1 does not apply" $?
"$DMF" demod image --g1 "$TMP/im1.json" --g2 "$TMP/im2.json" --grid 15 --out "$TMP/q" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "15 x 15" "$TMP/err.txt"; check "image with a grid that does not match l: exit 1" $?

# ---- errors -----------------------------------------------------------------
"$DMF" demod solve --g1 "$TMP/missing.json" --g2 "$TMP/g2.json" --y0 "$TMP/p/y0.npy" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "missing.json" "$TMP/err.txt"; check "missing generator file: exit 1 naming it" $?
"$DMF" demod synth --g1 "$TMP/missing.json" --g2 "$TMP/g2.json" --out "$TMP/q" >/dev/null 2>&1
[ $? -eq 1 ]; check "synth with a missing generator: exit 1" $?
npy_write "$TMP/wide.npy" 3 999
"$DMF" demod solve --g1 "$TMP/g1.json" --g2 "$TMP/g2.json" --y0 "$TMP/wide.npy" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -q "999" "$TMP/err.txt"; check "y0 of the wrong width: exit 1" $?
npy_write "$TMP/nan.npy" 2 1000 1234
"$DMF" demod solve --g1 "$TMP/g1.json" --g2 "$TMP/g2.json" --y0 "$TMP/nan.npy" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ] && grep -qi "finite" "$TMP/err.txt"; check "NaN in y0: exit 1" $?
"$DMF" demod solve --g1 "$TMP/g1.json" --g2 "$TMP/g2.json" --y0 "$TMP/p/y0.npy" --h0 "$TMP/p/m0.npy" \
  --m0 "$TMP/est/m.npy" --trace "$TMP/t2.npy" --iterations 1 >/dev/null 2>&1
[ $? -eq 0 ]; check "solve runs with any truth of the right shape" $?
"$DMF" demod solve --g1 "$TMP/g1.json" --g2 "$TMP/l1.json" --y0 "$TMP/p/y0.npy" >/dev/null 2>"$TMP/err.txt"
[ $? -eq 1 ]; check "generators with different outputs: exit 1" $?
"$DMF" demod solve --g1 "$TMP/g1.json" --g2 "$TMP/g2.json" --y0 "$TMP/p/y0.npy" --momentum 0.5 >/dev/null 2>&1
[ $? -eq 2 ]; check "momentum with backtracking: exit 2" $?
"$DMF" demod solve --g1 "$TMP/g1.json" --g2 "$TMP/g2.json" --y0 "$TMP/p/y0.npy" --step-rule newton >/dev/null 2>&1
[ $? -eq 2 ]; check "unknown step rule: exit 2" $?
for sub in synth solve sweep landscape fields image; do
  "$DMF" demod $sub --help | grep -q "usage: dmf demod $sub"; check "demod $sub --help" $?
done
"$DMF" demod --help | grep -q usage; check "demod --help" $?
"$DMF" demod frobnicate >/dev/null 2>&1; [ $? -eq 2 ]; check "unknown subcommand: exit 2" $?
"$DMF" demod >/dev/null 2>&1; [ $? -eq 2 ]; check "no subcommand: exit 2" $?
"$DMF" demod sweep --latent 2 >/dev/null 2>&1; [ $? -eq 2 ]; check "sweep without --outputs: exit 2" $?

echo "cli_demod: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
