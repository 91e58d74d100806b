#!/usr/bin/env bash
# Unpacks the Debian packages of third_party/debs/ into PREFIX (no root, no
# dpkg database): each checked against its sha256 in MANIFEST, extracted
# with dpkg-deb -x (or ar + tar where dpkg-deb is missing), then arranged as
# an installed system would have them: OpenBLAS standing in for
# libblas.so.3/liblapack.so.3 (Debian's alternatives), openblas.pc where
# pkg-config looks, every .pc path moved into PREFIX, and PREFIX/bin/pkg-config
# running the shipped pkgconf.  Does nothing when PREFIX already holds the
# same MANIFEST unpacked at the same path.
#
#   scripts/unpack_gpu_debs.sh PREFIX
#   then: PKG_CONFIG_PATH=PREFIX/usr/lib/x86_64-linux-gnu/pkgconfig,
#         libraries in PREFIX/usr/lib/x86_64-linux-gnu{,/openblas-pthread}
set -euo pipefail
[ $# = 1 ] || { echo "usage: unpack_gpu_debs.sh PREFIX" >&2; exit 2; }
debs=$(cd "$(dirname "$0")/../third_party/debs" && pwd)
mkdir -p "$1"
prefix=$(cd "$1" && pwd)
lib=$prefix/usr/lib/x86_64-linux-gnu
stamp="$(cat "$debs/MANIFEST")
unpacked at $prefix"
[ -f "$prefix/.unpacked" ] && [ "$(cat "$prefix/.unpacked")" = "$stamp" ] && exit 0

# A .deb is an ar archive; its data member holds the files.
unpack_deb() {
  if command -v dpkg-deb >/dev/null 2>&1; then
    dpkg-deb -x "$1" "$2"
    return
  fi
  local member
  member=$(ar t "$1" | grep '^data\.tar')
  case "$member" in
    *.xz) ar p "$1" "$member" | tar -xJ -C "$2" ;;
    *.zst) ar p "$1" "$member" | zstd -dc | tar -x -C "$2" ;;
    *.gz) ar p "$1" "$member" | tar -xz -C "$2" ;;
    *) ar p "$1" "$member" | tar -x -C "$2" ;;
  esac
}

rm -rf "${prefix:?}/usr" "$prefix/bin" "$prefix/.unpacked"
while read -r name version sum size file; do
  case "$name" in '#'*|'') continue ;; esac
  [ -f "$debs/$file" ] || { echo "unpack_gpu_debs: missing $debs/$file (scripts/update_gpu_debs.sh)" >&2; exit 1; }
  if [ "$(sha256sum "$debs/$file" | cut -d' ' -f1)" != "$sum" ]; then
    echo "unpack_gpu_debs: $file does not match its sha256 in MANIFEST" >&2; exit 1
  fi
  unpack_deb "$debs/$file" "$prefix" || { echo "unpack_gpu_debs: cannot unpack $file" >&2; exit 1; }
done <"$debs/MANIFEST"

for so in libblas.so.3 liblapack.so.3 libblas.so liblapack.so libopenblas.so.0 libopenblas.so; do
  ln -sf "openblas-pthread/$so" "$lib/$so"
done
mkdir -p "$lib/pkgconfig"
cp "$lib/openblas-pthread/pkgconfig/openblas.pc" "$lib/pkgconfig/openblas.pc"
cp "$lib/openblas-pthread/pkgconfig/blas-openblas.pc" "$lib/pkgconfig/blas.pc"
cp "$lib/openblas-pthread/pkgconfig/lapack-openblas.pc" "$lib/pkgconfig/lapack.pc"
# Debian's .pc files name /usr in absolute paths (libdir=/usr/lib/...).
sed -i -E "s#^(prefix|exec_prefix|libdir|includedir)=/usr#\\1=$prefix/usr#" "$lib"/pkgconfig/*.pc
mkdir -p "$prefix/bin"
printf '#!/bin/sh\nLD_LIBRARY_PATH="%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "%s" "$@"\n' \
  "$lib" "$prefix/usr/bin/pkgconf" >"$prefix/bin/pkg-config"
chmod +x "$prefix/bin/pkg-config"
printf '%s\n' "$stamp" >"$prefix/.unpacked"
echo "unpack_gpu_debs: $(grep -vc '^#' "$debs/MANIFEST") packages in $prefix" >&2
