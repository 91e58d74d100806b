"""Runs the built command line `dmf` for tests that compare with it.

Found from the environment variable DMF_CLI, else build/dmf at the root of
the repository; tests that need it are skipped when neither exists.
"""
import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def cli_path():
    path = os.environ.get("DMF_CLI") or str(ROOT / "build" / "dmf")
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def run_cli(*args, cwd=None):
    """The JSON lines `dmf ARGS` prints (it must exit 0)."""
    path = cli_path()
    if path is None:
        pytest.skip("the dmf command line is not built (build it into build/dmf or set DMF_CLI)")
    done = subprocess.run([path, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)
    assert done.returncode == 0, f"dmf {' '.join(map(str, args))} exited {done.returncode}: {done.stderr}"
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def same_fields(cli, py, skip=("time_s",)):
    """Every field of the CLI's line is in py with the same value (the CLI
    prints floats with 17 significant digits, so they read back exactly;
    null for NaN/inf)."""
    import math

    for key, value in cli.items():
        if key in skip:
            continue
        assert key in py, f"field {key!r} missing"
        got = py[key]
        if value is None:
            assert got is None or (isinstance(got, float) and not math.isfinite(got)), (key, got)
        elif isinstance(value, float) or (isinstance(got, float) and not isinstance(value, bool)):
            assert float(got) == value, (key, got, value)
        elif isinstance(value, dict):
            same_fields(value, got, skip)
        else:
            assert got == value, (key, got, value)
