#!/usr/bin/env bash
# The PyTorch comparator (bench/anchors/butterfly_torch.py) on the CPU: its
# hierarchical factorization of the bit-reversed DFT and of Hadamard is
# exact to working precision, as dmf's is, for N = 2 ... 256.  Needs a
# Python with torch: $DMF_TORCH_PYTHON, bench/.venv (bench/comparators/
# setup_venv.sh) or python3; skipped (77) without one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# PyTorch brings its own libraries; a caller's library path is not for it.
unset LD_LIBRARY_PATH
py=""
for candidate in "${DMF_TORCH_PYTHON:-}" "$root/bench/.venv/bin/python" python3; do
  [ -n "$candidate" ] && "$candidate" -c 'import torch' >/dev/null 2>&1 && { py=$candidate; break; }
done
[ -n "$py" ] || { echo "skipped: no Python with torch (set DMF_TORCH_PYTHON)"; exit 77; }
anchor=$root/bench/anchors/butterfly_torch.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/check.py" <<'PY'
import json, sys
bound, want = float(sys.argv[1]), [int(n) for n in sys.argv[2:]]
got = [r for r in map(json.loads, filter(str.strip, sys.stdin)) if r.get("bench") == "butterfly"]
sizes = [r["n"] for r in got]
assert sizes == want, "sizes %s, expected %s" % (sizes, want)
for r in got:
    line = "%s %s N=%d: error %.2e" % (r["matrix"], r["dtype"], r["n"], r["rel_error"])
    assert r["rel_error"] <= bound, line + " > %g" % bound
    print(line)
PY
check() {  # matrix dtype bound sizes...
  local matrix=$1 dtype=$2 bound=$3; shift 3
  OMP_NUM_THREADS=2 "$py" "$anchor" --matrix "$matrix" --dtype "$dtype" --device cpu --repeats 1 --size "$@" \
    >"$tmp/out.jsonl"
  "$py" "$tmp/check.py" "$bound" "$@" <"$tmp/out.jsonl"
}
check dft-bitrev c128 1e-14 2 4 8 64 256
check hadamard f64 1e-14 2 16 128
check dft-bitrev c64 1e-5 32
# Bad sizes are refused with a message, not a traceback.
if "$py" "$anchor" --size 24 --device cpu >/dev/null 2>"$tmp/err"; then
  echo "FAIL: N = 24 accepted" >&2; exit 1
fi
grep -q "power of two" "$tmp/err" || { echo "FAIL: no message for N = 24" >&2; exit 1; }
