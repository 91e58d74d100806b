#!/usr/bin/env bash
# The Debian packages shipped for bare GPU machines (third_party/debs/, used
# by scripts/gpu_check.sh): every file matches its MANIFEST sha256, they
# unpack into a fresh prefix, pkg-config pointed only at that prefix finds
# OpenBLAS, LAPACKE and cJSON there, and a program built against it alone
# (LAPACKE's SVD, cJSON's parser) links, runs, and loads every one of those
# libraries and their runtime dependencies from the prefix.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ "$(uname -m)" = x86_64 ] || { echo "skipped: the shipped packages are amd64"; exit 77; }
command -v dpkg-deb >/dev/null || command -v ar >/dev/null || { echo "skipped: neither dpkg-deb nor ar"; exit 77; }
# Only the fresh prefix may answer (gpu_check.sh runs this test with its own
# prefix in these variables).
unset PKG_CONFIG_PATH LD_LIBRARY_PATH
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

bash "$root/scripts/unpack_gpu_debs.sh" "$tmp/prefix" 2>/dev/null || fail "unpacking failed"
lib=$tmp/prefix/usr/lib/x86_64-linux-gnu
# The system's pkg-config, or the shipped pkgconf where there is none.
pkg_config=$(command -v pkg-config || echo "$tmp/prefix/bin/pkg-config")
flags=$(PKG_CONFIG_LIBDIR=$lib/pkgconfig "$pkg_config" --cflags --libs openblas lapacke libcjson) ||
  fail "pkg-config does not find openblas lapacke libcjson in the prefix"
for word in $flags; do
  case "$word" in -I*|-L*) [[ "$word" == -?"$tmp/prefix/"* ]] || fail "pkg-config path outside the prefix: $word" ;; esac
done
# The shipped pkgconf answers the same.
[ "$(PKG_CONFIG_LIBDIR=$lib/pkgconfig "$tmp/prefix/bin/pkg-config" --libs openblas)" = \
  "$(PKG_CONFIG_LIBDIR=$lib/pkgconfig "$pkg_config" --libs openblas)" ] || fail "the shipped pkgconf disagrees"

cat >"$tmp/probe.c" <<'C'
#include <cjson/cJSON.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
int main(void)
{
    /* diag(3, 2) rotated: singular values 3 and 2. */
    double a[4] = {0, 3, 2, 0}, s[2], superb[1];
    cJSON *j = cJSON_Parse("{\"n\": 2}");
    int n = j ? cJSON_GetObjectItem(j, "n")->valueint : 0;
    int info = LAPACKE_dgesvd(LAPACK_COL_MAJOR, 'N', 'N', n, n, a, n, s, NULL, 1, NULL, 1, superb);
    cJSON_Delete(j);
    printf("%d %.17g %.17g\n", info, s[0], s[1]);
    return info == 0 && fabs(s[0] - 3) < 1e-15 && fabs(s[1] - 2) < 1e-15 ? 0 : 1;
}
C
# The include/library paths come only from the prefix's .pc files.
cc -o "$tmp/probe" "$tmp/probe.c" $flags -lm -Wl,--disable-new-dtags \
   -Wl,-rpath,"$lib:$lib/openblas-pthread" -Wl,-rpath-link,"$lib:$lib/openblas-pthread" || fail "cannot link"
"$tmp/probe" || fail "the probe program gave wrong singular values"
deps=$(ldd "$tmp/probe")
for so in liblapacke.so.3 libopenblas.so.0 libcjson.so.1 liblapack.so.3 libblas.so.3 libgfortran.so.5 libtmglib.so.3; do
  grep -q "$so => $tmp/prefix/" <<<"$deps" || fail "$so not loaded from the prefix: $(grep "$so" <<<"$deps")"
done
echo "shipped packages: $(grep -vc '^#' "$root/third_party/debs/MANIFEST") unpacked, probe linked and ran from the prefix"
