#!/usr/bin/env bash
# Installs dmf's build dependencies from Debian packages, builds dmf into
# build/ and the Python package into the virtual environment .venv.  Safe to
# run again.
#   --deps-only     install the packages, build nothing
#   --with-cluster  also Slurm, munge and OpenMPI: multi-process factorization
#                   (--mpi) and the tests of the Slurm and MPI paths
#   --with-fuzz     also clang and its libFuzzer runtime (scripts/fuzz.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
deps_only=0 cluster=0 fuzz=0
for arg in "$@"; do
  case $arg in
    --deps-only) deps_only=1 ;;
    --with-cluster) cluster=1 ;;
    --with-fuzz) fuzz=1 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "setup: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

packages=(build-essential cmake pkg-config libopenblas-dev liblapacke-dev libcjson-dev
  python3 python3-dev python3-venv)
# slurmctld, slurmd, slurm-client and munge (what slurm-wlm depends on, without
# its many recommended plugin packages) run tests/cli_slurm.sh's private cluster;
# OpenMPI runs the multi-process factorization (--mpi) and tests/cli_mpi.sh.
((cluster)) && packages+=(slurmctld slurmd slurm-client munge libopenmpi-dev openmpi-bin)
((fuzz)) && packages+=(clang libclang-rt-dev)
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
((deps_only)) && exit 0

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
echo "setup: built build/dmf" >&2
bash scripts/python_env.sh
