#!/usr/bin/env bash
# End-to-end runs of the dmf CLI: factor -> files -> densify/apply, checked
# with independent Python (stdlib only) readers of .npy and Matrix Market;
# mixed radices and every tree; rank 2; single precision DFT; noise against
# the paper's bound; fsmf on hand-written supports.
set -u

DMF=${1:?usage: cli_roundtrip.sh PATH/TO/dmf}
[ -x "$DMF" ] || { echo "cli_roundtrip: '$DMF' is not an executable"; exit 1; }
DMF=$(cd "$(dirname "$DMF")" && pwd)/$(basename "$DMF") # the checks run in a temporary directory
command -v python3 >/dev/null || { echo "cli_roundtrip: python3 not found, skipping"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

# --- Python helpers: .npy v1-3 reader, Matrix Market reader, JSON fields --
cat >dmfcheck.py <<'EOF'
import ast, json, math, struct, sys

CODES = {'<f4': ('f', 1), '<f8': ('d', 1), '<c8': ('f', 2), '<c16': ('d', 2)}

def read_npy(path):
    """Returns (shape, flat row-major list of complex numbers)."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:6] != b'\x93NUMPY':
        raise ValueError('%s: bad magic' % path)
    major = data[6]
    if major == 1:
        hlen, start = struct.unpack('<H', data[8:10])[0], 10
    else:
        hlen, start = struct.unpack('<I', data[8:12])[0], 12
    header = ast.literal_eval(data[start:start + hlen].decode('latin1'))
    fmt, parts = CODES[header['descr']]
    shape = tuple(header['shape'])
    count = 1
    for s in shape:
        count *= s
    body = data[start + hlen:]
    size = struct.calcsize(fmt)
    if len(body) != count * parts * size:
        raise ValueError('%s: %d data bytes for shape %s' % (path, len(body), shape))
    raw = struct.unpack('<%d%s' % (count * parts, fmt), body)
    vals = [complex(raw[2 * i], raw[2 * i + 1]) for i in range(count)] if parts == 2 \
        else [complex(v) for v in raw]
    if header['fortran_order'] and len(shape) == 2:
        r, c = shape
        vals = [vals[j * r + i] for i in range(r) for j in range(c)]
    return shape, vals

def read_mtx(path):
    """Sparse dict {(i, j): value} (0-based) and the shape."""
    with open(path) as f:
        lines = [l for l in f if l.strip()]
    banner = lines[0].lower().split()
    body = [l for l in lines[1:] if not l.startswith('%')]
    rows, cols = map(int, body[0].split()[:2])
    out = {}
    if banner[2] == 'coordinate':
        for l in body[1:]:
            t = l.split()
            i, j = int(t[0]) - 1, int(t[1]) - 1
            if banner[3] == 'pattern':
                v = 1
            elif banner[3] == 'complex':
                v = complex(float(t[2]), float(t[3]))
            else:
                v = float(t[2])
            out[(i, j)] = out.get((i, j), 0) + v
    else:
        vals = [complex(*map(float, l.split())) if banner[3] == 'complex' else float(l) for l in body[1:]]
        for j in range(cols):
            for i in range(rows):
                out[(i, j)] = vals[j * rows + i]
    return (rows, cols), out

def max_abs_diff(a, b):
    return max(abs(x - y) for x, y in zip(a, b))

def cmd_compare(p, q, tol):
    """max |P - Q| < tol for two .npy files."""
    sp, a = read_npy(p)
    sq, b = read_npy(q)
    if sp != sq:
        print('shapes differ: %s vs %s' % (sp, sq)); return 1
    d = max_abs_diff(a, b)
    print('max abs diff %.3g' % d)
    return 0 if d < float(tol) else 1

def write_c16(path, shape, vals):
    hdr = "{'descr': '<c16', 'fortran_order': False, 'shape': %s, }" % (tuple(shape),)
    hdr += " " * (118 - len(hdr)) + "\n"
    body = b"".join(struct.pack('<dd', v.real, v.imag) for v in vals)
    with open(path, 'wb') as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode('latin1') + body)

def cmd_scaled_complex(src, dst, re, im):
    """dst = (re + im i) src, complex128."""
    shape, a = read_npy(src)
    write_c16(dst, shape, [complex(float(re), float(im)) * v for v in a])
    return 0

def cmd_scaled_identity(p, scale, tol):
    """P = scale * I."""
    (r, c), a = read_npy(p)
    want = [float(scale) if i == j else 0.0 for i in range(r) for j in range(c)]
    d = max_abs_diff(a, want)
    print('max abs diff from %s I: %.3g' % (scale, d))
    return 0 if r == c and d < float(tol) else 1

def cmd_mtx_product(npy_ref, tol, *mtx):
    """The product of the coordinate factors equals the dense reference."""
    shape, ref = read_npy(npy_ref)
    (r, c), prod = read_mtx(mtx[0])
    for path in mtx[1:]:
        (r2, c2), f = read_mtx(path)
        if r2 != c:
            print('%s has %d rows, expected %d' % (path, r2, c)); return 1
        byrow = {}
        for (i, j), v in f.items():
            byrow.setdefault(i, []).append((j, v))
        nxt = {}
        for (i, t), v in prod.items():
            for j, w in byrow.get(t, []):
                nxt[(i, j)] = nxt.get((i, j), 0) + v * w
        prod, c = nxt, c2
    if (r, c) != shape:
        print('product is %dx%d, reference %s' % (r, c, shape)); return 1
    d = max(abs(prod.get((i, j), 0) - ref[i * c + j]) for i in range(r) for j in range(c))
    print('max abs diff of the .mtx product: %.3g' % d)
    return 0 if d < float(tol) else 1

def cmd_fsmf_out(a_mtx, sx_mtx, sy_mtx, xdir, rel_error, tol):
    """X, Y vanish outside the supports and X Y reproduces rel_error."""
    (m, n), a = read_mtx(a_mtx)
    _, sx = read_mtx(sx_mtx)
    _, sy = read_mtx(sy_mtx)
    (xm, k), x = read_npy(xdir + '/X.npy')
    (yk, yn), y = read_npy(xdir + '/Y.npy')
    if (xm, k, yk, yn) != (m, k, k, n):
        print('X %dx%d, Y %dx%d for A %dx%d' % (xm, k, yk, yn, m, n)); return 1
    outside = sum(1 for i in range(m) for t in range(k) if x[i * k + t] != 0 and sx.get((i, t), 0) == 0)
    outside += sum(1 for t in range(k) for j in range(n) if y[t * n + j] != 0 and sy.get((t, j), 0) == 0)
    if outside:
        print('%d entries outside the supports' % outside); return 1
    diff = norm = 0.0
    for i in range(m):
        for j in range(n):
            s = sum(x[i * k + t] * y[t * n + j] for t in range(k))
            aij = a.get((i, j), 0)
            diff += abs(aij - s) ** 2
            norm += abs(aij) ** 2
    err = math.sqrt(diff / norm)
    print('X Y rel_error %.6g, reported %s' % (err, rel_error))
    return 0 if abs(err - float(rel_error)) <= float(tol) * (1 + err) else 1

def cmd_json(path, expr):
    """Evaluates a Python expression over the JSON line `j`; prints it."""
    with open(path) as f:
        j = json.loads(f.read().strip().splitlines()[-1])
    v = eval(expr, {'j': j, 'math': math, 'isinstance': isinstance, 'len': len})
    print(v)
    return 0 if v else 1

if __name__ == '__main__':
    fn = globals()['cmd_' + sys.argv[1]]
    try:
        sys.exit(fn(*sys.argv[2:]))
    except Exception as e:  # a parse error is a failed check, with the reason
        print('error: %r' % (e,))
        sys.exit(1)
EOF

py() { python3 dmfcheck.py "$@"; }

# check NAME COMMAND...: one PASS/FAIL from the command's exit status,
# with its output shown on failure.
check() {
    local name=$1
    shift
    local log
    log=$("$@" 2>&1)
    local rc=$?
    if [ $rc -eq 0 ]; then
        pass "$name${log:+: $(echo "$log" | tail -1)}"
    else
        fail "$name (exit $rc)"
        echo "$log" | sed 's/^/  /' | head -20
    fi
}

# run NAME OUT COMMAND...: runs a dmf command with stdout in OUT; fails
# the check when it exits non-zero.
run() {
    local name=$1 out=$2
    shift 2
    "$@" >"$out" 2>"$out.err"
    local rc=$?
    if [ $rc -ne 0 ]; then
        fail "$name: exit $rc"
        sed 's/^/  /' "$out.err" | head -10
        return 1
    fi
    return 0
}

# --- Hadamard 64: factor, files, densify, apply ------------------------------
if run "factor hadamard 64" f.json "$DMF" butterfly factor --matrix hadamard --size 64 --dtype f64 \
    --tree l2r --backend cpu --out F; then
    check "hadamard 64 l2r rel_error < 1e-12" py json f.json 'j["rel_error"] < 1e-12'
    check "factor JSON names the tree and radices" py json f.json \
        'j["tree"] == "l2r" and j["radix_m"] == [2] * 6 and j["radix_n"] == [2] * 6 and j["dtype"] == "f64"'
    missing=""
    for k in 00 01 02 03 04 05; do
        for f in "factor_$k.mtx" "factor_${k}_blocks.npy"; do
            [ -s "F/$f" ] || missing="$missing $f"
        done
    done
    [ -s F/chain.json ] || missing="$missing chain.json"
    [ ! -e F/factor_06.mtx ] || missing="$missing (unexpected factor_06.mtx)"
    if [ -z "$missing" ]; then pass "factor --out wrote factor_00..05 .mtx/_blocks.npy and chain.json"
    else fail "factor --out files missing:$missing"; fi
    check "chain.json is JSON with 6 factors" python3 -c \
        'import json; c = json.load(open("F/chain.json")); print(c); assert c.get("num_factors", 6) == 6'
    check "factor_00_blocks.npy has shape a x d x b x c = 1 x 32 x 2 x 2" python3 -c \
        'import dmfcheck; s, _ = dmfcheck.read_npy("F/factor_00_blocks.npy"); print(s); assert s == (1, 32, 2, 2)'
    run "matrix hadamard 64" h.json "$DMF" matrix --matrix hadamard --size 64 --dtype f64 --out H.npy &&
        check "product of factor_*.mtx equals H" py mtx_product H.npy 1e-12 \
            F/factor_00.mtx F/factor_01.mtx F/factor_02.mtx F/factor_03.mtx F/factor_04.mtx F/factor_05.mtx
    if run "densify" d.json "$DMF" butterfly densify --factors F --out D.npy; then
        check "densify equals hadamard 64" py compare D.npy H.npy 1e-12
    fi
    if run "densify to .mtx" d2.json "$DMF" butterfly densify --factors F --out D.mtx; then
        check "densify .mtx equals hadamard 64" python3 -c '
import dmfcheck
(r, c), d = dmfcheck.read_mtx("D.mtx")
_, h = dmfcheck.read_npy("H.npy")
diff = max(abs(d.get((i, j), 0) - h[i * c + j]) for i in range(r) for j in range(c))
print("max abs diff %.3g" % diff); assert (r, c) == (64, 64) and diff < 1e-12'
    fi
    if run "apply" y.json "$DMF" butterfly apply --factors F --input H.npy --out Y.npy; then
        check "apply H to H gives 64 I" py scaled_identity Y.npy 64 1e-9
    fi
    # A real chain on complex vectors: (1 + 2i) H through the chain of H is
    # (1 + 2i) H H = 64 (1 + 2i) I, complex.
    py scaled_complex H.npy Hc.npy 1 2
    if run "apply a real chain to complex vectors" yz.json "$DMF" butterfly apply --factors F --input Hc.npy --out Yz.npy; then
        python3 -c "
import sys; sys.path.insert(0, '.'); import dmfcheck
(r, c), y = dmfcheck.read_npy('Yz.npy')
want = [complex(64, 128) if i == j else 0 for i in range(r) for j in range(c)]
sys.exit(not (r == c == 64 and dmfcheck.max_abs_diff(y, want) < 1e-9))"
        check "real chain, complex X: Y = 64 (1 + 2i) I" test $? -eq 0
        check "real chain, complex X: the output is c128" grep -q '"dtype": "c128"' yz.json
    fi
    if run "apply on the CPU backend" yc.json "$DMF" butterfly apply --factors F --input H.npy --out Yc.npy --backend cpu; then
        check "apply --backend cpu gives 64 I" py scaled_identity Yc.npy 64 1e-9
        check "apply reports its backend" grep -q '"backend": "cpu"' yc.json
    fi
    # A single vector (1-D .npy reads as one column): e_0 -> first column of H.
    python3 -c '
import struct
hdr = "{\x27descr\x27: \x27<f8\x27, \x27fortran_order\x27: False, \x27shape\x27: (64,), }"
hdr += " " * (118 - len(hdr)) + "\n"
open("e0.npy", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + struct.pack("<64d", *([1.0] + [0.0] * 63)))'
    if run "apply to a 1-D vector" v.json "$DMF" butterfly apply --factors F --input e0.npy --out v.npy; then
        check "apply e_0 gives the first column of H" python3 -c '
import dmfcheck
s, v = dmfcheck.read_npy("v.npy")
_, h = dmfcheck.read_npy("H.npy")
d = max(abs(v[i] - h[i * 64]) for i in range(64))
print(s, "max abs diff %.3g" % d); assert len(v) == 64 and d < 1e-12'
    fi
    # Wrong number of rows for apply is bad input.
    "$DMF" matrix --matrix gaussian --size 32 --out G32.npy >/dev/null 2>&1
    "$DMF" butterfly apply --factors F --input G32.npy --out bad.npy >/dev/null 2>apply.err
    rc=$?
    if [ $rc -eq 1 ]; then pass "apply with 32 rows for 64 columns exits 1"
    else fail "apply with 32 rows for 64 columns: exit $rc, expected 1 ($(head -c 200 apply.err))"; fi
fi

# --- mixed radix, rectangular, every tree ----------------------------------
for tree in l2r r2l balanced '[[0,1],2]'; do
    if run "random-chain 24x30 tree $tree" mr.json "$DMF" butterfly factor --no-out --matrix random-chain \
        --size 24x30 --radix-m 3,2,4 --radix-n 2,5,3 --dtype c128 --tree "$tree" --backend cpu; then
        check "random-chain 24x30 c128 tree $tree rel_error < 1e-12" py json mr.json \
            'j["rel_error"] < 1e-12 and j["size"] == [24, 30] and j["radix_m"] == [3, 2, 4]'
    fi
done
# Written and read back with mixed radices.
if run "random-chain 24x30 --out" mr.json "$DMF" butterfly factor --matrix random-chain --size 24x30 \
    --radix-m 3,2,4 --radix-n 2,5,3 --dtype c128 --backend cpu --out R; then
    run "matrix random-chain 24x30" r.json "$DMF" matrix --matrix random-chain --size 24x30 \
        --radix-m 3,2,4 --radix-n 2,5,3 --dtype c128 --out R.npy &&
        run "densify 24x30" rd.json "$DMF" butterfly densify --factors R --out RD.npy &&
        check "densify 24x30 equals the random-chain matrix" python3 -c '
import dmfcheck
s, a = dmfcheck.read_npy("R.npy")
t, b = dmfcheck.read_npy("RD.npy")
scale = max(abs(x) for x in a)
d = dmfcheck.max_abs_diff(a, b)
print(s, t, "max abs diff %.3g (max entry %.3g)" % (d, scale)); assert s == t == (24, 30) and d < 1e-12 * scale * 30'
fi

# --- rank 2 ------------------------------------------------------------------
if run "rank 2 random-chain 64" r2.json "$DMF" butterfly factor --no-out --matrix random-chain --size 64 \
    --dtype f64 --rank 2 --backend cpu; then
    check "rank 2 prints a finite rel_error" py json r2.json \
        'isinstance(j["rel_error"], (int, float)) and 0 <= j["rel_error"] < 1 + 1e-12 and j["rank"] == 2'
fi

# --- single precision DFT -------------------------------------------------------
if run "dft-bitrev 256 c64" dft.json "$DMF" butterfly factor --no-out --matrix dft-bitrev --size 256 \
    --dtype c64 --backend cpu; then
    check "dft-bitrev 256 c64 rel_error < 1e-5" py json dft.json 'j["rel_error"] < 1e-5 and j["dtype"] == "c64"'
fi

# --- noise ------------------------------------------------------------------
for tree in l2r r2l balanced; do
    if run "noisy hadamard 128 $tree" nz.json "$DMF" butterfly factor --no-out --matrix hadamard --size 128 \
        --dtype f64 --noise 1e-3 --tree $tree --backend cpu; then
        check "noisy hadamard 128 $tree: error_to_noise <= 63" py json nz.json \
            'isinstance(j.get("error_to_noise"), (int, float)) and 0 < j["error_to_noise"] <= 63'
    fi
done

# --- fsmf on hand-written supports -------------------------------------------
# Block-diagonal supports: X (4 x 2) rows 0-1 in column 0, rows 2-3 in
# column 1; Y (2 x 4) row 0 on columns 0-1, row 1 on columns 2-3.  A has
# rank-one diagonal blocks, so the factorization is exact.
cat >sx.mtx <<'EOF'
%%MatrixMarket matrix coordinate pattern general
4 2 4
1 1
2 1
3 2
4 2
EOF
cat >sy.mtx <<'EOF'
%%MatrixMarket matrix coordinate pattern general
2 4 4
1 1
1 2
2 3
2 4
EOF
cat >a.mtx <<'EOF'
%%MatrixMarket matrix coordinate real general
4 4 8
1 1 1.0
1 2 2.0
2 1 2.0
2 2 4.0
3 3 3.0
3 4 -1.0
4 3 6.0
4 4 -2.0
EOF
if run "fsmf block diagonal" fs.json "$DMF" fsmf --input a.mtx --support-x sx.mtx --support-y sy.mtx \
    --backend cpu --out FS; then
    check "fsmf block diagonal: optimal, exact" py json fs.json \
        'j["optimal"] is True and j["disjoint_or_identical"] is True and "overlapping_k" not in j and j["rel_error"] < 1e-12 and j["num_classes"] == 2'
    err=$(python3 -c 'import json; print(json.load(open("fs.json"))["rel_error"])')
    check "fsmf --out X, Y on the supports, X Y reproduces rel_error" py fsmf_out a.mtx sx.mtx sy.mtx FS "$err" 1e-9
fi
# The same A with the supports as dense .npy patterns of another dtype.
if "$DMF" matrix --matrix gaussian --size 4 --out g4.npy >/dev/null 2>&1; then
    if run "fsmf gaussian on block supports" fg.json "$DMF" fsmf --matrix gaussian --size 4 \
        --support-x sx.mtx --support-y sy.mtx --backend cpu; then
        check "fsmf gaussian on block supports: optimal, 0 < rel_error < 1" py json fg.json \
            'j["optimal"] is True and 0 < j["rel_error"] < 1'
    fi
fi
# Identical classes: full 4 x 2 and 2 x 4 supports are one class of size 2,
# solved by the rank-2 truncated SVD (optimal).
{
    echo '%%MatrixMarket matrix array real general'
    echo '4 2'
    for e in 1 1 1 1 1 1 1 1; do echo $e; done
} >fx.mtx
{
    echo '%%MatrixMarket matrix array real general'
    echo '2 4'
    for e in 1 1 1 1 1 1 1 1; do echo $e; done
} >fy.mtx
if run "fsmf identical full supports" fi.json "$DMF" fsmf --matrix gaussian --size 4 --support-x fx.mtx \
    --support-y fy.mtx --backend cpu; then
    check "fsmf identical full supports: one class of 2, optimal, 0 < rel_error < 1" py json fi.json \
        'j["optimal"] is True and j["num_classes"] == 1 and j["largest_class"] == 2 and 0 < j["rel_error"] < 1'
fi
# Overlapping: lower-triangular X, upper-triangular Y (LU-like).
{
    echo '%%MatrixMarket matrix coordinate pattern general'
    echo '4 4 10'
    for i in 1 2 3 4; do for k in 1 2 3 4; do [ $i -ge $k ] && echo "$i $k"; done; done
} >lx.mtx
{
    echo '%%MatrixMarket matrix coordinate pattern general'
    echo '4 4 10'
    for k in 1 2 3 4; do for j in 1 2 3 4; do [ $j -ge $k ] && echo "$k $j"; done; done
} >uy.mtx
if run "fsmf LU-like supports" lu.json "$DMF" fsmf --matrix gaussian --size 4 --support-x lx.mtx \
    --support-y uy.mtx --backend cpu --out LU; then
    # LU supports overlap but are identifiable: the rank-one completion is
    # the LU factorization, exact for a Gaussian A.
    check "fsmf LU-like: overlapping_k names a pair, identifiable, completed exactly" py json lu.json \
        'j["optimal"] is True and j["disjoint_or_identical"] is False and len(j["overlapping_k"]) == 2 and j["overlapping_k"][0] < j["overlapping_k"][1] <= 3 and j["identifiable"] is True and "completion" in j["solver"] and 0 <= j["rel_error"] <= 1e-12'
    if "$DMF" matrix --matrix gaussian --size 4 --out g4.mtx >/dev/null 2>&1; then
        err=$(python3 -c 'import json; print(json.load(open("lu.json"))["rel_error"])')
        check "fsmf LU-like: X, Y on the supports, X Y reproduces rel_error" \
            py fsmf_out g4.mtx lx.mtx uy.mtx LU "$err" 1e-5
    fi
fi
# Identifiability: the 4 x 4 example of Zheng, Gribonval and Riccietti,
# A = X Y with three overlapping rank-one pieces, is recovered exactly by
# the rank-one completion; splitting it into four pieces, one inside
# another, is not identifiable and the JSON names the two pieces.
mm_array() { # FILE ROWS COLS VALUES... (row-major) as a Matrix Market array
    python3 - "$@" <<'PY2'
import sys
path, r, c, v = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
with open(path, "w") as f:
    f.write("%%%%MatrixMarket matrix array real general\n%d %d\n" % (r, c))
    f.writelines(v[i * c + j] + "\n" for j in range(c) for i in range(r))
PY2
}
mm_array z4.mtx 4 4 0 1 2 0  1 2 2 0  2 6 5 6  3 5 2 4
mm_array zx.mtx 4 3 0 1 0  1 1 0  1 1 1  1 0 1
mm_array zy.mtx 3 4 1 1 0 0  0 1 1 0  0 1 1 1
if run "fsmf slides 4x4" z.json "$DMF" fsmf --input z4.mtx --support-x zx.mtx --support-y zy.mtx --out Z; then
    check "fsmf slides 4x4: identifiable, completed, rel_error <= 1e-12" py json z.json \
        'j["identifiable"] is True and "completion" in j["solver"] and j["optimal"] is True and j["rel_error"] <= 1e-12 and "incomplete_k" not in j'
    check "fsmf slides 4x4: X Y reproduces rel_error" py fsmf_out z4.mtx zx.mtx zy.mtx Z 0 1e-12
fi
mm_array wx.mtx 4 4 0 1 0 0  1 1 0 0  1 1 1 1  1 0 0 1
mm_array wy.mtx 4 4 1 1 0 0  0 1 1 0  0 1 1 0  0 1 1 1
if run "fsmf nested piece" w.json "$DMF" fsmf --input z4.mtx --support-x wx.mtx --support-y wy.mtx; then
    check "fsmf nested piece: not identifiable, pieces 1 and 2 named" py json w.json \
        'j["identifiable"] is False and j["ambiguous_k"] == [1, 2] and j["incomplete_k"] == [1, 2] and "greedy" in j["solver"]'
fi
# fsmf with supports that do not match A.
"$DMF" fsmf --matrix gaussian --size 5 --support-x lx.mtx --support-y uy.mtx --backend cpu >/dev/null 2>fs.err
rc=$?
if [ $rc -eq 1 ] && grep -qi "support" fs.err; then pass "fsmf with 4-row supports for a 5x5 A exits 1"
else fail "fsmf with 4-row supports for a 5x5 A: exit $rc, expected 1 ($(head -c 200 fs.err))"; fi
# A NaN in a support file is bad input, named with the file.
mm_array nanx.mtx 4 4 nan 1 0 0  1 1 0 0  1 1 1 1  1 0 0 1
"$DMF" fsmf --input z4.mtx --support-x nanx.mtx --support-y wy.mtx --backend cpu >/dev/null 2>fs.err
rc=$?
if [ $rc -eq 1 ] && grep -q "support file 'nanx.mtx'" fs.err && grep -q "not finite" fs.err; then
    pass "fsmf with a NaN in a support file exits 1 naming the file"
else fail "fsmf with a NaN support entry: exit $rc, expected 1 ($(head -c 200 fs.err))"; fi

# --- factor folders: written whole, replaced whole, checked on reading ------
# chain.json's checksums follow the formula of docs/json.md (recomputed here
# from the .npy bytes with the standard library).
cat >chainsum.py <<'EOF'
import json, struct, sys
M = (1 << 64) - 1
def rotl(x, r): return ((x << r) | (x >> (64 - r))) & M
def finish(h):
    h ^= h >> 30; h = (h * 0xbf58476d1ce4e5b9) & M
    h ^= h >> 27; h = (h * 0x94d049bb133111eb) & M
    return h ^ (h >> 31)
def checksum(b):
    h = 0x6a09e667f3bcc908 ^ len(b)
    b = b + bytes(-len(b) % 8)
    for (w,) in struct.iter_unpack("<Q", b):
        h = (rotl(h ^ ((w * 0x9e3779b97f4a7c15) & M), 31) * 0xbf58476d1ce4e5b9) & M
    return finish(h)
d = sys.argv[1]
meta = json.load(open(d + "/chain.json"))
L = meta["num_factors"]
sums = []
for k in range(L):
    raw = open("%s/factor_%02d_blocks.npy" % (d, k), "rb").read()
    v1 = raw[6] == 1
    start = (10 if v1 else 12) + struct.unpack("<H" if v1 else "<I", raw[8:10] if v1 else raw[8:12])[0]
    assert b"'<" in raw[:start], "big-endian .npy"
    sums.append(checksum(raw[start:]))
codes = {"f32": 0, "f64": 1, "c64": 2, "c128": 3}
words = [meta["format"], codes[meta["dtype"]], L] + meta["radix_m"] + meta["radix_n"] + meta["ranks"] + sums
want = ["%016x" % s for s in sums], "%016x" % checksum(struct.pack("<%dQ" % len(words), *words))
got = meta["checksums"], meta["chain_id"]
print("checksums", got, "recomputed", want)
assert got == want
EOF
if run "factor dft-bitrev 64 c64, radices 4" cs.json "$DMF" butterfly factor --matrix dft-bitrev --size 64 \
    --dtype c64 --radix-m 4,4,4 --radix-n 4,4,4 --tree l2r --backend cpu --out CS; then
    check "chain.json checksums and chain_id follow docs/json.md" python3 chainsum.py CS
    check "chain.json keeps the tree, error and source" python3 -c '
import json; c = json.load(open("CS/chain.json")); r = json.load(open("cs.json")); print(c)
assert c["format"] == 2 and c["tree"] == "l2r" and isinstance(c["tree_nested"], list)
assert c["rel_error"] == r["rel_error"] and c["rank"] == 1 and c["orthonormalize"] is False
assert c["source"] == {"matrix": "dft-bitrev", "size": [64, 64], "noise": 0, "seed": 0, "dtype": "c64"}'
fi
# A shorter chain over a longer one: replaced whole, no stale factor files.
if run "factor hadamard 64 into R" r64.json "$DMF" butterfly factor --matrix hadamard --size 64 --dtype f64 \
    --backend cpu --out R && run "factor hadamard 8 over it" r8.json "$DMF" butterfly factor --matrix hadamard \
    --size 8 --dtype f64 --backend cpu --out R; then
    stale=$(cd R && ls factor_03* factor_04* factor_05* 2>/dev/null)
    if [ -z "$stale" ]; then pass "a 3-factor chain over a 6-factor one leaves no factor_03..05"
    else fail "stale factor files after writing a shorter chain: $stale"; fi
    if run "densify the replaced folder" r8d.json "$DMF" butterfly densify --factors R --out R8.npy &&
        run "matrix hadamard 8" h8.json "$DMF" matrix --matrix hadamard --size 8 --dtype f64 --out H8.npy; then
        check "the replaced folder densifies to hadamard 8" py compare R8.npy H8.npy 1e-12
    fi
    hidden=$(ls -A | grep '^\.' || true)
    if [ -z "$hidden" ]; then pass "no temporary folders left beside the factor folders"
    else fail "temporary entries left: $hidden"; fi
fi
# A blocks file of another chain (same shape) is refused by densify.
if run "factor gaussian 8 into MIX" mx.json "$DMF" butterfly factor --matrix gaussian --size 8 --dtype f64 \
    --backend cpu --out MIX && [ -d R ]; then
    cp R/factor_01_blocks.npy MIX/factor_01_blocks.npy
    "$DMF" butterfly densify --factors MIX --out mix.npy >/dev/null 2>mix.err
    rc=$?
    if [ $rc -eq 1 ] && grep -q "factor_01_blocks.npy" mix.err && grep -q "does not belong" mix.err && [ ! -e mix.npy ]
    then pass "densify refuses a folder mixing two chains' blocks files, naming the file"
    else fail "mixed folder: exit $rc, expected 1 naming factor_01_blocks.npy ($(head -c 300 mix.err))"; fi
fi
# Links inside the output are never written through.
echo precious >victim.txt
if [ -d R ]; then
    rm -f R/factor_00.mtx && ln -s "$PWD/victim.txt" R/factor_00.mtx
    "$DMF" butterfly factor --matrix hadamard --size 8 --dtype f64 --backend cpu --out R >/dev/null 2>ln.err
    rc=$?
    if [ $rc -eq 1 ] && grep -q "symbolic link" ln.err && [ "$(cat victim.txt)" = precious ]
    then pass "a link inside the factor folder: refused, its target untouched"
    else fail "link in the factor folder: exit $rc, victim '$(cat victim.txt)' ($(head -c 300 ln.err))"; fi
fi
ln -s "$PWD/victim.txt" link.npy
if run "matrix --out onto a link" lk.json "$DMF" matrix --matrix hadamard --size 4 --out link.npy; then
    if [ "$(cat victim.txt)" = precious ] && [ -f link.npy ] && [ ! -L link.npy ]
    then pass "matrix --out replaces a link at the target instead of writing through it"
    else fail "matrix --out wrote through a link (victim: '$(head -c 40 victim.txt)')"; fi
fi

echo "cli_roundtrip: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
