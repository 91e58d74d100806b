#!/usr/bin/env python3
"""Hierarchical PALM on Hadamard matrices: dmf against pyfaust, same run.

For each N, `dmf hierarchical --matrix hadamard --size N --preset hadamard`
(the command line, its own time_s) and pyfaust's
`fact.hierarchical(H, 'hadamard')` (timed around the call), interleaved so
both see the same machine load: the same constraints (splincol 2, residuals
splincol N/2^(i+1)) and iteration counts (30 per PALM).  One JSON line per
measurement after an environment header; rel_error = ||F - H||_F / ||H||_F.

    bench/bench_palm.py --dmf build/dmf --sizes 32,64,128,256 [--repeats 3]

pyfaust is optional (bench/comparators/setup_venv.sh installs it): without
it only dmf's lines are printed.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "comparators"))
from common import emit, env_header, hadamard, rel_error  # noqa: E402


def run_dmf(dmf, n, dtype):
    out = subprocess.run([dmf, "hierarchical", "--matrix", "hadamard", "--size", str(n), "--preset", "hadamard",
                          "--dtype", dtype], check=True, capture_output=True, text=True).stdout
    rec = json.loads(out)
    return rec["time_s"], rec["rel_error"], rec["iterations"]


def run_pyfaust(n, dtype):
    import numpy as np
    from pyfaust.fact import hierarchical
    H = hadamard(n).astype(np.float32 if dtype == "f32" else np.float64)
    # pyfaust's C++ core prints its progress on file descriptor 1: keep it
    # out of the JSON lines.
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
    try:
        start = time.perf_counter()
        F = hierarchical(H, "hadamard")
        elapsed = time.perf_counter() - start
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return elapsed, rel_error(H, F.toarray()), None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dmf", default="build/dmf", help="the dmf command line")
    p.add_argument("--sizes", default="32,64,128,256")
    p.add_argument("--dtype", default="f64", choices=["f32", "f64"])
    p.add_argument("--repeats", type=int, default=1)
    args = p.parse_args()
    try:
        import pyfaust
        have_pyfaust = pyfaust.version()
    except ImportError:
        have_pyfaust = None
    version = subprocess.run([args.dmf, "--version"], capture_output=True, text=True).stdout.split()[-1]
    env_header("dmf hierarchical vs pyfaust", version, pyfaust=have_pyfaust)  # prints the header line
    tools = [("dmf", lambda n: run_dmf(args.dmf, n, args.dtype))]
    if have_pyfaust:
        tools.append(("pyfaust", lambda n: run_pyfaust(n, args.dtype)))
    for n in [int(s) for s in args.sizes.split(",")]:
        for tool, fn in tools:
            times, err, its = [], None, None
            for _ in range(args.repeats):
                t, err, its = fn(n)
                times.append(t)
            emit({"tool": tool, "problem": "hierarchical hadamard", "n": n, "dtype": args.dtype,
                  "iterations_per_palm": 30, "time_s": statistics.median(times), "times_s": times,
                  "rel_error": err, "sweeps": its})


if __name__ == "__main__":
    main()
