"""Shared helpers for the comparator benchmarks (bench_pyfaust.py, bench_le_etal.py).

Builds the test matrices exactly as dmf defines them, prints the JSON-lines
output, and runs every (matrix, tree, n) measurement in a forked child process
so that a crash, an out-of-memory kill or a hang of the compared tool becomes
an {"error": ...} line instead of ending the benchmark.

Tree names are dmf's:
  l2r       peel factors off from the left: A ~ B1 (B2...BL), then split the
            right remainder, and so on (the remainder on the right is split).
  r2l       the mirror image: A ~ (B1...B(L-1)) BL, then split the left remainder.
  balanced  split the product into two halves, recursively.

Each result line has time_s (median of the repeats), min_time_s, times_s, rel_error and
other_load: the most cores that other processes kept busy during one timed run (from
/proc/stat); above ~0.2 the timing was disturbed by something else running on the machine.
"""
import argparse
import datetime
import json
import multiprocessing as mp
import os
import statistics
import sys
import time

import numpy as np

from machine import cpu_model  # noqa: F401  (re-exported: the scripts take it from here)

TREES = ("l2r", "r2l", "balanced")
MATRICES = ("dft-bitrev", "hadamard")
DTYPES = {"dft-bitrev": "c128", "hadamard": "f64"}
DEFAULT_SIZES = [256, 512, 1024, 2048, 4096, 8192]


def bitrev_indices(n):
    """Bit-reversal permutation of range(n), n a power of two."""
    bits = n.bit_length() - 1
    idx = np.arange(n)
    rev = np.zeros(n, dtype=np.int64)
    for b in range(bits):
        rev |= ((idx >> b) & 1) << (bits - 1 - b)
    return rev


def dft_bitrev(n):
    """Unitary DFT exp(-2 pi i jk/N)/sqrt(N), columns permuted by bit reversal (A[:, bitrev])."""
    k = np.arange(n)
    jk = np.outer(k, k) % n  # exact integer phase reduction
    A = np.exp(-2j * np.pi * jk / n) / np.sqrt(n)
    return np.ascontiguousarray(A[:, bitrev_indices(n)], dtype=np.complex128)


def hadamard(n):
    """Sylvester Hadamard matrix with +-1 entries, float64."""
    H = np.ones((1, 1))
    while H.shape[0] < n:
        H = np.block([[H, H], [H, -H]])
    return H


def build_matrix(name, n):
    return dft_bitrev(n) if name == "dft-bitrev" else hadamard(n)


def parser(description):
    p = argparse.ArgumentParser(description=description,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=DEFAULT_SIZES,
                   help="matrix sizes N (powers of two)")
    p.add_argument("--trees", nargs="+", choices=TREES, default=list(TREES),
                   help="dmf factorization trees to run")
    p.add_argument("--matrices", nargs="+", choices=MATRICES, default=list(MATRICES))
    p.add_argument("--repeats", type=int, default=3, help="timed runs per point (median reported)")
    p.add_argument("--max-seconds", type=float, default=120.0,
                   help="per-measurement limit: once one run of a tree takes longer, larger sizes "
                        "of that tree are skipped; a run still going after 2x this (+60 s) is killed")
    p.add_argument("--max-other-load", type=float, default=None,
                   help="for shared machines: redo a timed run (up to 5 times, 10 s apart) while other "
                        "processes kept more than this many cores busy during it")
    return p


def emit(obj):
    print(json.dumps(obj), flush=True)


def env_header(tool, version, **extra):
    cpu = cpu_model()
    env = {"tool": tool, "version": version, "numpy": np.__version__, "cpu": cpu,
           "threads": len(os.sched_getaffinity(0)),
           "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    env.update(extra)
    emit({"env": env})


def rel_error(A, D):
    return float(np.linalg.norm(A - D) / np.linalg.norm(A))


def _busy_cpu_s():
    """CPU seconds spent busy by the whole machine so far (all cores, /proc/stat)."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return float("nan")
    idle = v[3] + (v[4] if len(v) > 4 else 0)  # idle + iowait
    return (sum(v[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s():
    t = os.times()
    return t.user + t.system


def _child(conn, tool, matrix, n, tree, args):
    # The compared tools may print progress on fd 1 (pyfaust's C++ does): keep stdout JSON-only.
    sys.stdout.flush()
    os.dup2(2, 1)
    try:
        A = build_matrix(matrix, n)
        X = tool.prepare(A)
        for r in range(args.repeats):
            for attempt in range(6):
                busy0, own0, t0 = _busy_cpu_s(), _own_cpu_s(), time.perf_counter()
                F = tool.factorize(X, tree, n)
                t = time.perf_counter() - t0
                # cores used by other processes meanwhile: a noisy-machine indicator
                other = max(0.0, (_busy_cpu_s() - busy0) - (_own_cpu_s() - own0)) / t
                if (args.max_other_load is None or other <= args.max_other_load
                        or attempt == 5 or t > args.max_seconds):
                    break
                del F
                conn.send({"retry": True})  # keeps the parent's hang timer fresh
                time.sleep(10)
            msg = {"t": t, "other": other}
            if r == 0:
                msg["err"] = rel_error(A, tool.densify(F, n))
            del F
            conn.send(msg)
            if t > args.max_seconds:
                break
        conn.send({"done": True})
    except BaseException as e:  # report anything, including MemoryError
        conn.send({"exc": f"{type(e).__name__}: {e}"})
    finally:
        conn.close()


def run_all(args, tool_name, tool):
    """tool: object with prepare(A), factorize(X, tree, n), densify(F, n), option(tree, n)."""
    ctx = mp.get_context("fork")
    hard_limit = 2 * args.max_seconds + 60
    for matrix in args.matrices:
        for tree in args.trees:
            skip = None
            for n in sorted(args.sizes):
                rec = {"bench": "butterfly", "tool": tool_name, "matrix": matrix, "n": n,
                       "dtype": DTYPES[matrix], "tree": tree, "tool_option": tool.option(tree, n)}
                if skip:
                    emit({**rec, "error": skip})
                    continue
                rd, wr = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(wr, tool, matrix, n, tree, args))
                proc.start()
                wr.close()
                times, others, err, error = [], [], None, None
                while True:
                    if not rd.poll(hard_limit):
                        error = f"timeout: no result within {hard_limit:.0f} s"
                        proc.kill()
                        break
                    try:
                        msg = rd.recv()
                    except EOFError:
                        proc.join()
                        error = f"child process died (exit code {proc.exitcode}; -9 = killed, e.g. out of memory)"
                        break
                    if "exc" in msg:
                        error = msg["exc"]
                        break
                    if msg.get("done"):
                        break
                    if msg.get("retry"):
                        continue
                    times.append(msg["t"])
                    others.append(msg["other"])
                    err = msg.get("err", err)
                proc.join()
                rd.close()
                if times:
                    rec.update(time_s=statistics.median(times), min_time_s=min(times),
                               repeats=len(times), times_s=times, rel_error=err,
                               other_load=round(max(others), 2))
                if error:
                    rec["error"] = error
                emit(rec)
                if error or max(times) > args.max_seconds:
                    skip = (f"skipped: n={n} "
                            + ("failed" if error else f"took {max(times):.1f} s > --max-seconds {args.max_seconds:g}"))
