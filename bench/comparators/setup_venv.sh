#!/usr/bin/env bash
# Create bench/.venv with the comparator tools. Idempotent: re-running only
# installs what is missing.
#
#   bash bench/comparators/setup_venv.sh            # pyfaust + Le et al. deps (torch)
#   bash bench/comparators/setup_venv.sh --no-torch # pyfaust only
#
# Le et al.'s code (tung-qle/fast-deformable-factorization) has no numpy path:
# it needs torch, einops, pandas and sympy. Plain PyPI only has the CUDA build of
# torch for x86_64 Linux (~5 GB installed with its nvidia-* wheels); it runs
# fine on CPU. Their code itself is not installed: pass a checkout to
# bench_le_etal.py --repo PATH.
set -euo pipefail

PYTHON=${PYTHON:-python3}
WITH_TORCH=1
for a in "$@"; do
    case "$a" in
        --no-torch) WITH_TORCH=0 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown option: $a" >&2; exit 2 ;;
    esac
done

VENV="$(cd "$(dirname "$0")/.." && pwd)/.venv"
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
# keep the (multi-GB) venv out of git even before the repo ignores it
[ -f "$VENV/.gitignore" ] || echo '*' > "$VENV/.gitignore"

PY="$VENV/bin/python"
PIP=("$PY" -m pip install --quiet --disable-pip-version-check)

"${PIP[@]}" numpy scipy matplotlib

if ! "$PY" -c 'import pyfaust' 2>/dev/null; then
    "${PIP[@]}" pyfaust || "${PIP[@]}" pyfaust-openblaso
fi

if [ "$WITH_TORCH" = 1 ]; then
    "$PY" -c 'import torch' 2>/dev/null || "${PIP[@]}" torch
    "${PIP[@]}" einops pandas sympy
fi

"$PY" - <<'EOF'
import importlib
for m in ("numpy", "scipy", "pyfaust", "torch", "einops", "pandas"):
    try:
        mod = importlib.import_module(m)
        v = mod.version() if m == "pyfaust" else mod.__version__
        print(f"{m:8s} {v}")
    except ImportError:
        print(f"{m:8s} (not installed)")
EOF
