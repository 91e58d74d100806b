#!/usr/bin/env bash
# dmf butterfly factor --perm-rows / --perm-cols: the natural-order DFT
# factored with bitrev, with a candidate list and with auto; the chain stands
# for A itself (densify gives A, apply gives A x, the permutations are files
# of the folder); a Gaussian matrix is said to be no permuted chain; bad
# values are refused before anything runs.  Checked with Python's stdlib.
set -u

DMF=${1:?usage: cli_permutations.sh PATH/TO/dmf}
[ -x "$DMF" ] || { echo "cli_permutations: '$DMF' is not an executable"; exit 1; }
DMF=$(cd "$(dirname "$DMF")" && pwd)/$(basename "$DMF")
command -v python3 >/dev/null || { echo "cli_permutations: python3 not found, skipping"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

cat >check.py <<'EOF'
import ast, cmath, json, struct, sys

CODES = {'<f8': ('d', 1), '<c16': ('d', 2), '<i8': ('q', 1)}

def read_npy(path):
    data = open(path, 'rb').read()
    hlen, start = (struct.unpack('<H', data[8:10])[0], 10) if data[6] == 1 else (struct.unpack('<I', data[8:12])[0], 12)
    header = ast.literal_eval(data[start:start + hlen].decode('latin1'))
    fmt, parts = CODES[header['descr']]
    shape = tuple(header['shape'])
    count = 1
    for s in shape:
        count *= s
    vals = struct.unpack('<%d%s' % (count * parts, fmt), data[start + hlen:start + hlen + count * parts * struct.calcsize(fmt)])
    if parts == 2:
        vals = [complex(vals[2 * k], vals[2 * k + 1]) for k in range(count)]
    return shape, list(vals)

def write_npy(path, shape, values, descr):
    fmt = {'<c16': 'd', '<i8': 'q'}[descr]
    flat = []
    for v in values:
        flat += [v.real, v.imag] if descr == '<c16' else [v]
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, repr(tuple(shape)))
    header += ' ' * ((64 - (10 + len(header) + 1) % 64) % 64) + '\n'
    with open(path, 'wb') as f:
        f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header.encode('latin1'))
        f.write(struct.pack('<%d%s' % (len(flat), fmt), *flat))

def dft(n):
    return [cmath.exp(-2j * cmath.pi * i * j / n) / n ** 0.5 for i in range(n) for j in range(n)]

cmd = sys.argv[1]
if cmd == 'field':  # field NAME < json line
    d = json.loads(sys.stdin.read())
    print(d[sys.argv[2]])
elif cmd == 'is-dft':  # is-dft FILE N: relative error of FILE against the natural-order DFT
    n = int(sys.argv[3])
    shape, a = read_npy(sys.argv[2])
    f = dft(n)
    num = sum(abs(x - y) ** 2 for x, y in zip(a, f)) ** 0.5
    print('%.3e' % (num / sum(abs(y) ** 2 for y in f) ** 0.5))
elif cmd == 'vectors':  # vectors FILE N: two vectors
    n = int(sys.argv[3])
    write_npy(sys.argv[2], (n, 2), [complex((k % 7) - 3, (k % 5) - 2) for k in range(2 * n)], '<c16')
elif cmd == 'apply-error':  # apply-error X Y N: ||Y - F X|| / ||F X||
    n = int(sys.argv[4])
    _, x = read_npy(sys.argv[2])
    _, y = read_npy(sys.argv[3])
    f = dft(n)
    fx = [sum(f[i * n + j] * x[j * 2 + t] for j in range(n)) for i in range(n) for t in range(2)]
    num = sum(abs(p - q) ** 2 for p, q in zip(y, fx)) ** 0.5
    print('%.3e' % (num / sum(abs(q) ** 2 for q in fx) ** 0.5))
elif cmd == 'perm':  # perm FILE N KIND: write a permutation (.npy int64)
    n = int(sys.argv[3])
    bits = n.bit_length() - 1
    if sys.argv[4] == 'bitrev':
        p = [int(format(i, '0%db' % bits)[::-1], 2) for i in range(n)]
    else:  # repeated index
        p = list(range(n))
        p[1] = 0
    write_npy(sys.argv[2], (n,), p, '<i8')
elif cmd == 'lt':
    sys.exit(0 if float(sys.argv[2]) < float(sys.argv[3]) else 1)
EOF

field() { python3 check.py field "$2" <<<"$1"; }
lt() { python3 check.py lt "$1" "$2"; }

# Without permutations the natural-order DFT is no chain.
out=$("$DMF" butterfly factor --matrix dft --size 64 --no-out)
err=$(field "$out" rel_error)
lt 0.5 "$err" && pass "natural DFT 64 without permutations: rel_error $err" || fail "natural DFT without permutations: $err"

out=$("$DMF" butterfly factor --matrix dft --size 64 --perm-cols bitrev --no-out)
err=$(field "$out" rel_error)
lt "$err" 1e-13 && [ "$(field "$out" perm_cols)" = bitrev ] && pass "DFT 64 --perm-cols bitrev: $err" ||
  fail "DFT 64 --perm-cols bitrev: $out"
# Every tree factors through the permutations (or a copy where the root
# half streams): the same exact error.
for tree in l2r r2l balanced; do
  out=$("$DMF" butterfly factor --matrix dft --size 1024 --tree $tree --perm-cols bitrev --no-out)
  err=$(field "$out" rel_error)
  lt "$err" 1e-13 && pass "DFT 1024 --tree $tree --perm-cols bitrev: $err" ||
    fail "DFT 1024 --tree $tree --perm-cols bitrev: $out"
done

python3 check.py perm bitrev.npy 64 bitrev
out=$("$DMF" butterfly factor --matrix dft --size 64 --perm-cols none,bitrev.npy --no-out)
err=$(field "$out" rel_error)
lt "$err" 1e-13 && [ "$(field "$out" perm_cols)" = bitrev.npy ] && [ "$(field "$out" perm_tried)" = 2 ] &&
  pass "candidate list none,bitrev.npy keeps bitrev.npy: $err" || fail "candidate list: $out"

# auto: exact, the folder holds the permutations, densify and apply give A.
out=$("$DMF" butterfly factor --matrix dft --size 64 --perm-rows auto --perm-cols auto --out f)
err=$(field "$out" rel_error)
verdict=$(field "$out" perm_verdict)
lt "$err" 1e-13 && [ "$verdict" = exact ] && [ -f f/perm_rows.npy ] && [ -f f/perm_cols.npy ] &&
  pass "auto on DFT 64: $err, $verdict" || fail "auto on DFT 64: $out"
"$DMF" butterfly densify --factors f --out dense.npy >/dev/null
err=$(python3 check.py is-dft dense.npy 64)
lt "$err" 1e-13 && pass "densify of the auto chain is the natural-order DFT: $err" || fail "densify: $err"
python3 check.py vectors x.npy 64
"$DMF" butterfly apply --factors f --input x.npy --out y.npy >/dev/null
err=$(python3 check.py apply-error x.npy y.npy 64)
lt "$err" 1e-13 && pass "apply of the auto chain is the DFT's: $err" || fail "apply: $err"

# Two-factor supports up to permutations (2-sparse and N/2-sparse factors):
# the DFT, DCT-II and DST-II of size 64.
for case in "dft 2,32" "dct2 32,2" "dst2 32,2"; do
  set -- $case
  out=$("$DMF" butterfly factor --matrix "$1" --size 64 --radix-m "$2" --radix-n "$2" --perm-rows auto --perm-cols auto --no-out)
  err=$(field "$out" rel_error)
  lt "$err" 1e-13 && [ "$(field "$out" perm_verdict)" = exact ] && pass "two-factor supports of $1 64 (radices $2): $err" ||
    fail "two-factor supports of $1 64: $out"
done

# Auto on one side only is auto on both; a Gaussian matrix is no chain.
out=$("$DMF" butterfly factor --matrix gaussian --size 64 --perm-cols auto --no-out)
[ "$(field "$out" perm_verdict)" = not_a_permuted_chain ] && pass "Gaussian: not_a_permuted_chain" ||
  fail "Gaussian verdict: $out"

# Refused values: usage (exit 2) before loading anything; a bad file: exit 1.
expect_exit() {
  local want=$1 what=$2
  shift 2
  "$DMF" "$@" >out.txt 2>err.txt
  local code=$?
  [ "$code" = "$want" ] && [ -s err.txt ] && pass "$what (exit $code: $(head -c 100 err.txt))" ||
    fail "$what: exit $code, stderr $(cat err.txt)"
}
expect_exit 2 "auto in a list" butterfly factor --matrix dft --size 8 --perm-cols auto,none --no-out
expect_exit 2 "auto with a fixed other side" butterfly factor --matrix dft --size 8 --perm-rows none --perm-cols auto --no-out
expect_exit 2 "unknown value" butterfly factor --matrix dft --size 8 --perm-cols bitrevv --no-out
expect_exit 1 "auto at rank 2" butterfly factor --matrix dft --size 8 --rank 2 --perm-cols auto --no-out
python3 check.py perm twice.npy 64 twice
expect_exit 1 "a repeated index" butterfly factor --matrix dft --size 64 --perm-cols twice.npy --no-out
expect_exit 1 "a missing file" butterfly factor --matrix dft --size 64 --perm-cols nothere.npy --no-out
expect_exit 1 "a permutation of the wrong length" butterfly factor --matrix dft --size 32 --perm-cols bitrev.npy --no-out

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
