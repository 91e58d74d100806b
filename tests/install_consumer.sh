#!/usr/bin/env bash
# Installs the build into a temporary prefix and builds the C examples
# against the installed files only: once with `cc ... $(pkg-config ...)`
# and once through the CMake package (find_package(dmf) -> dmf::dmf).
# The build tree and the source's include/ are out of reach of both.
set -euo pipefail
build=$1
source_dir=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
check() { # check NAME COMMAND...
    if "${@:2}" >"$work/log" 2>&1; then echo "ok   $1"; else echo "FAIL $1"; cat "$work/log"; fails=$((fails + 1)); fi
}

cmake --install "$build" --prefix "$work/prefix" >/dev/null
cp "$source_dir"/examples/*.c "$source_dir"/examples/CMakeLists.txt "$work/"
libdir=$(dirname "$(find "$work/prefix" -name dmf.pc)")/..
export PKG_CONFIG_PATH=$libdir/pkgconfig

check "installed files" test -x "$work/prefix/bin/dmf" -a -f "$work/prefix/include/dmf.h" \
    -a -f "$libdir/cmake/dmf/dmfConfig.cmake"
check "versioned soname" bash -c "readelf -d '$libdir/libdmf.so' | grep -q 'SONAME.*libdmf.so.[0-9]'"
# Only the functions of dmf.h leave the library.
check "exports dmf_* only" bash -c "! nm -D --defined-only '$libdir/libdmf.so' | awk '{print \$3}' | grep -v '^dmf_'"
check "pkg-config version" test "$(pkg-config --modversion dmf)" = "$("$work/prefix/bin/dmf" --version | cut -d' ' -f2)"
check "installed dmf runs" "$work/prefix/bin/dmf" butterfly factor --no-out --matrix hadamard --size 64

for example in factor_dft liftrank_haar; do
    # exactly the line the examples' comments give, nothing more
    check "$example: cc + pkg-config" bash -c "cd '$work' && cc $example.c \$(pkg-config --cflags --libs dmf) -o $example.pc"
    check "$example (pkg-config) runs" env LD_LIBRARY_PATH="$libdir" "$work/$example.pc"
done

check "CMake consumer configures" cmake -S "$work" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix"
check "CMake consumer builds" cmake --build "$work/build"
for example in factor_dft liftrank_haar; do
    # CMake puts the library's directory in the executable's RPATH.
    check "$example (CMake) runs" "$work/build/$example"
done
"$work/build/factor_dft" || true

if ((fails)); then echo "$fails checks failed"; exit 1; fi
echo "all install checks passed"
