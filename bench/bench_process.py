#!/usr/bin/env python3
"""What the user waits for: the wall time of whole `dmf butterfly factor`
processes (start-up, building the built-in matrix, the factorization, the
error pass, exit) next to the `time_s` and `error_time_s` each process
reports, and the process's peak resident memory against the input's size.

    bench/bench_process.py [--dmf build/dmf[,other/dmf]] [--sizes 4096,8192]
        [--specs dft-bitrev:c128,hadamard:f64] [--trees balanced,l2r,r2l]
        [--repeats 5] [--npy DIR] > bench/results/process-DATE.jsonl
    bench/bench_process.py --summarize bench/results/process-DATE.jsonl > ....md

Every repeat runs each (matrix, size, tree) once, in turn, so a change of
the machine's load falls on all of them.  One JSON line per (matrix, size,
tree): medians with min and max of the wall time, of the reported time_s
and error_time_s, `wall_over_time_s` (median wall / median time_s), the
largest peak RSS of the repeats (from wait4) and the input's MiB; every
line carries the CPU model, dmf's threads, the load average when it was
printed (after all repeats) and the lowest and highest 1-minute load seen
when its processes started (`load_1min_at_starts`).  With --npy DIR the
inputs are .npy files written there once (`dmf matrix`) and given with
--input, so the wall time includes reading the file instead of building the
matrix, and each repeat also times one plain read of each file (64 MiB at
a time into one buffer, `read_s`), so that a line can set its wall time
against the target `2 x time_s + read_s` (`goal_s`, `wall_over_goal`;
for built-in matrices `read_s` is 0 and the goal leaves the building
out).  Several --dmf executables (comma-separated) take turns within
every repeat, each going first in turn; each line names its own.
Standard library only.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "comparators"))
from machine import cpu_model, load_avg  # noqa: E402  (standard library only)

DTYPE_BYTES = {"f32": 4, "f64": 8, "c64": 8, "c128": 16}


def npy_path(directory, matrix, n, dtype):
    return os.path.join(directory, f"{matrix}-{n}-{dtype}.npy")


def run_once(dmf, matrix, n, dtype, tree, npy_dir=None):
    source = ["--input", npy_path(npy_dir, matrix, n, dtype)] if npy_dir else \
        ["--matrix", matrix, "--size", str(n), "--dtype", dtype]
    cmd = [dmf, "butterfly", "factor", *source, "--tree", tree, "--backend", "cpu", "--no-out"]
    load = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}")
    report = json.loads(out.decode().strip().splitlines()[-1])
    return wall, report, usage.ru_maxrss / 1024.0, load


def read_once(path):
    """Seconds to read the whole file once, 64 MiB at a time into one buffer."""
    buf = bytearray(64 << 20)
    view = memoryview(buf)
    start = time.perf_counter()
    with open(path, "rb", buffering=0) as f:
        while f.readinto(view):
            pass
    return time.perf_counter() - start


def stats(values):
    return statistics.median(values), min(values), max(values)


def measure(args):
    specs = [s.split(":") for s in args.specs.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    trees = args.trees.split(",")
    tools = args.dmf.split(",")
    cases = [(d, m, dt, n, t) for n in sizes for (m, dt) in specs for t in trees for d in tools]
    cpu = cpu_model()
    version = subprocess.run([tools[0], "--version"], capture_output=True, text=True).stdout.strip()
    print(json.dumps({"env": {"tool": "dmf-cli", "dmf": args.dmf, "version": version, "cpu": cpu,
                              "cores": os.cpu_count(), "repeats": args.repeats, "npy": args.npy,
                              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}}), flush=True)
    if args.npy:
        os.makedirs(args.npy, exist_ok=True)
        for (m, dt) in specs:
            for n in sizes:
                subprocess.run([tools[0], "matrix", "--matrix", m, "--size", str(n), "--dtype", dt, "--out",
                                npy_path(args.npy, m, n, dt)], check=True, stdout=subprocess.DEVNULL)
    results = {c: [] for c in cases}
    for r in range(args.repeats):
        # Each executable goes first in turn: on a virtual machine the
        # process right after a large one ran up to 2x slower at N = 16384.
        order = tools[r % len(tools):] + tools[:r % len(tools)]
        for c in [(d, m, dt, n, t) for n in sizes for (m, dt) in specs for t in trees for d in order]:
            d, m, dt, n, t = c
            print(f"repeat {r + 1}/{args.repeats}: {d} {m} {dt} {n} {t}", file=sys.stderr, flush=True)
            read_s = read_once(npy_path(args.npy, m, n, dt)) if args.npy else 0.0
            results[c].append(run_once(d, m, n, dt, t, args.npy) + (read_s,))
    for c in cases:
        d, m, dt, n, t = c
        runs = results[c]
        wall = stats([run[0] for run in runs])
        time_s = stats([run[1]["time_s"] for run in runs])
        err_s = stats([run[1].get("error_time_s", 0.0) for run in runs])
        read_s = stats([run[4] for run in runs])
        goal_s = 2 * time_s[0] + read_s[0]
        loads = [run[3] for run in runs]
        last = runs[-1][1]
        input_mib = n * n * DTYPE_BYTES[dt] / 2**20
        peak = max(run[2] for run in runs)
        print(json.dumps({
            "bench": "process", "tool": "dmf-cli", "dmf": d, "input": "npy" if args.npy else "built-in",
            "matrix": m, "n": n, "dtype": dt, "tree": t,
            "wall_s": round(wall[0], 4), "min_wall_s": round(wall[1], 4), "max_wall_s": round(wall[2], 4),
            "time_s": round(time_s[0], 4), "min_time_s": round(time_s[1], 4), "max_time_s": round(time_s[2], 4),
            "error_time_s": round(err_s[0], 4),
            "wall_over_time_s": round(wall[0] / time_s[0], 2) if time_s[0] > 0 else None,
            "read_s": round(read_s[0], 4), "goal_s": round(goal_s, 4),
            "wall_over_goal": round(wall[0] / goal_s, 2) if goal_s > 0 else None,
            "rel_error": last.get("rel_error"), "repeats": len(runs),
            "input_mib": round(input_mib, 1), "peak_rss_mib": round(peak, 1),
            "peak_over_input": round(peak / input_mib, 2),
            "load_1min_at_starts": [round(min(loads), 2), round(max(loads), 2)],
            "cpu": cpu, "threads": last.get("threads"), "load_avg": load_avg()}), flush=True)


def summarize(path):
    env, rows = {}, []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            if "env" in rec:
                env = rec["env"]
            elif rec.get("bench") == "process":
                rows.append(rec)
    print(f"# Whole `dmf butterfly factor` processes ({os.path.basename(path)})\n")
    print(f"{env.get('cpu', '?')}, {env.get('cores', '?')} cores, {env.get('version', '?')}, "
          f"{env.get('date', '?')}, {env.get('repeats', '?')} repeats taken in turns.  Seconds: median "
          "(min-max); `time_s` and `error_time_s` as the process reports them.\n")
    print("| dmf | input | matrix | N | dtype | tree | wall s | time_s | error_time_s | wall / time_s | read_s "
          "| wall / (2 time_s + read_s) | rel_error | peak / input | load at starts |")
    print("| --- | --- | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        load = "-".join(f"{x:.2f}" for x in r["load_1min_at_starts"])
        print(f"| {r.get('dmf', env.get('dmf', '?'))} | {r.get('input', 'built-in')} | {r['matrix']} | {r['n']} | {r['dtype']} | {r['tree']} | {r['wall_s']:.3g} "
              f"({r['min_wall_s']:.3g}-{r['max_wall_s']:.3g}) | {r['time_s']:.3g} "
              f"({r['min_time_s']:.3g}-{r['max_time_s']:.3g}) | {r['error_time_s']:.3g} | "
              f"{r['wall_over_time_s']} | {r.get('read_s', 0):.3g} | {r.get('wall_over_goal', '-')} | "
              f"{r['rel_error']:.1e} | {r['peak_over_input']} | {load} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dmf", default="build/dmf")
    ap.add_argument("--sizes", default="4096,8192")
    ap.add_argument("--specs", default="dft-bitrev:c128,hadamard:f64")
    ap.add_argument("--trees", default="balanced,l2r,r2l")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--npy", metavar="DIR", help="factor .npy files written to DIR instead of built-in matrices")
    ap.add_argument("--summarize", metavar="FILE")
    args = ap.parse_args()
    if args.summarize:
        summarize(args.summarize)
    else:
        measure(args)


if __name__ == "__main__":
    main()
