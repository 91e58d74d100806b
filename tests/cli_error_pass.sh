#!/usr/bin/env bash
# dmf butterfly factor --no-error: the error pass left out (rel_error null,
# rel_error_how "skipped", no verdict that needs it, chain.json's rel_error
# null), the default exact ("exact"), and --refine refused with it.
set -u

DMF=${1:?usage: cli_error_pass.sh PATH/TO/dmf}
[ -x "$DMF" ] || { echo "cli_error_pass: '$DMF' is not an executable"; exit 1; }
command -v python3 >/dev/null || { echo "cli_error_pass: python3 not found, skipping"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
check() { if eval "$2"; then passed=$((passed + 1)); echo "PASS $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi; }
field() { python3 -c 'import json, sys; v = json.loads(sys.stdin.read()).get(sys.argv[1], "absent"); print("null" if v is None else v)' "$2" <<<"$1"; }

out=$("$DMF" butterfly factor --matrix dft-bitrev --size 256 --no-out)
check "default: rel_error_how exact ($(field "$out" rel_error))" \
  '[ "$(field "$out" rel_error_how)" = exact ] && python3 -c "import sys; sys.exit(float(sys.argv[1]) > 1e-13)" "$(field "$out" rel_error)"'
out=$("$DMF" butterfly factor --matrix dft-bitrev --size 256 --no-error --out "$TMP/f")
check "--no-error: rel_error null, rel_error_how skipped" \
  '[ "$(field "$out" rel_error)" = null ] && [ "$(field "$out" rel_error_how)" = skipped ]'
check "--no-error: chain.json keeps rel_error null" 'grep -q "\"rel_error\":[[:space:]]*null" "$TMP/f/chain.json"'
out=$("$DMF" butterfly factor --matrix dft --size 64 --perm-cols auto --no-error --no-out)
check "--no-error with auto: the search's scores, no perm_verdict" \
  '[ "$(field "$out" perm_verdict)" = absent ] && [ "$(field "$out" perm_rows)" = auto ]'
"$DMF" butterfly factor --matrix dft-bitrev --size 16 --no-error --refine 3 --no-out >/dev/null 2>"$TMP/err"
code=$?
check "--no-error with --refine: usage error (exit $code)" '[ "$code" = 2 ] && grep -q "no-error" "$TMP/err"'

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
