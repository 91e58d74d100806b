#!/usr/bin/env bash
# Creates the virtual environment .venv (unless it exists) and installs the
# dmf Python package into it from this checkout, with its test extras; the
# build requirements (scikit-build-core, NumPy) and the dependencies come
# from PyPI.  Run again after changing the C or Python sources.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet ".[test]"
echo "setup: installed the dmf Python package into .venv ($(.venv/bin/python -c 'import dmf; print(dmf.__version__)'))" >&2
