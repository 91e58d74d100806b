#!/usr/bin/env bash
# Installs dmf's build and test dependencies from Debian packages and builds
# dmf into build/.  Safe to run again.  --deps-only skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."

# slurmctld, slurmd, slurm-client and munge (what slurm-wlm depends on, without
# its many recommended plugin packages) run tests/cli_slurm.sh's private cluster;
# OpenMPI runs the multi-process factorization (--mpi) and tests/cli_mpi.sh.
packages=(build-essential cmake pkg-config libopenblas-dev liblapacke-dev libcjson-dev python3
  slurmctld slurmd slurm-client munge libopenmpi-dev openmpi-bin)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ "${1:-}" = "--deps-only" ] && exit 0

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
echo "setup: built build/dmf" >&2
