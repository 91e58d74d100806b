#!/usr/bin/env bash
# Re-downloads the Debian 12 (bookworm, amd64) packages that
# scripts/gpu_check.sh unpacks on GPU machines lacking dmf's build
# dependencies, into third_party/debs/, and rewrites its MANIFEST (package,
# version, sha256, size).  Run on a Debian 12 amd64 machine with apt
# sources for bookworm; needs no root (apt-get download).
#
# The set: OpenBLAS (pthread flavour; its libblas.so.3/liblapack.so.3 stand
# in for the reference BLAS/LAPACK) with headers and openblas.pc; LAPACKE
# and its libtmglib3; cJSON; the runtime libraries OpenBLAS needs beyond
# libc (libgfortran5, libquadmath0); pkgconf for machines without
# pkg-config.  The -dev packages are needed for the headers and .pc files.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(libopenblas0-pthread libopenblas-pthread-dev liblapacke liblapacke-dev libtmglib3
          libcjson1 libcjson-dev libgfortran5 libquadmath0 pkgconf-bin libpkgconf3)
dir=third_party/debs

. /etc/os-release
if [ "${VERSION_CODENAME:-}" != bookworm ] || [ "$(dpkg --print-architecture)" != amd64 ]; then
  echo "update_gpu_debs: this is ${PRETTY_NAME:-an unknown system} ($(dpkg --print-architecture));" \
       "the shipped set is Debian 12 amd64: run this on such a machine" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt-get download writes into the current directory.
(cd "$tmp" && apt-get download "${packages[@]}")
mkdir -p "$dir"
rm -f "$dir"/*.deb
cp "$tmp"/*.deb "$dir"/
{
  echo "# Debian 12 (bookworm) amd64 packages unpacked by scripts/gpu_check.sh when the"
  echo "# system lacks dmf's build dependencies.  Made by scripts/update_gpu_debs.sh."
  echo "# package version sha256 bytes file"
  for f in "$dir"/*.deb; do
    printf '%s %s %s %s %s\n' "$(dpkg-deb -f "$f" Package)" "$(dpkg-deb -f "$f" Version)" \
      "$(sha256sum "$f" | cut -d' ' -f1)" "$(stat -c %s "$f")" "$(basename "$f")"
  done
} >"$dir/MANIFEST"
echo "update_gpu_debs: $(ls "$dir"/*.deb | wc -l) packages, $(du -ch "$dir"/*.deb | tail -1 | cut -f1) in $dir" >&2
