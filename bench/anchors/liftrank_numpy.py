#!/usr/bin/env python3
"""NumPy anchor for `dmf liftrank` on convolutional ("conv") networks.

Monte Carlo rank of the lifted operator A (Malgouyres & Landsberg, Prop. 5.3),
computed the way dmf does it but with plain NumPy: draw R Gaussian parameter
sets h^r in R^{S x K}, compute for each the per-leaf kernels (the network
applied to a Dirac at each leaf: circular convolutions on R^N along the DAG,
done in the Fourier domain and vectorized over the R samples), stack the
D = N |leaves| long vectors as the columns of a D x R float64 matrix and read
its rank from np.linalg.svd(compute_uv=False):

    rank = #{i : sigma_i > max(D, R) * eps * sigma_1}.

R starts at --samples and doubles (new samples extend the old ones) until the
rank is below R or R exceeds the upper bound min(D, prod_k S_k), where S_k is
the number of parameters of layer k; a doubling that would reach the bound
goes straight to bound + 1, as in dmf.

Network spec: {"type": "conv", "N": 64, "root": "r", "edges": [{"from": "a",
"to": "r", "support": [0, 1, 2] | {"contiguous": S} | {"dilated": k}}, ...]}
with {"contiguous": S} = {0..S-1} and {"dilated": k} = {0, 2^k}.  Leaves are
the nodes nothing points to; an edge into a node at depth d from the root is
in layer d + 1; layer k's parameters are its edges' support entries in file
order.

Prints JSON lines: an {"env": ...} header, then one {"bench": "liftrank", ...}
line with the rank, the final R, D, and the median over --repeats of the total
time (time_s), of the final SVD alone (svd_time_s) and of the sampling
(sample_time_s).  JSON parsing is not timed (dmf's time_s excludes it too).
BLAS threads: set OPENBLAS_NUM_THREADS (the header's "threads" reads it) to
the same count as dmf's; on a loaded machine more threads than free cores
makes NumPy's SVD many times slower.
"""
import argparse
import datetime
import json
import os
import statistics
import time

import numpy as np


def read_conv(path):
    """N, layer count K, per-edge (from, to, support, layer, parameter offset), leaves, layer sizes."""
    with open(path) as f:
        spec = json.load(f)
    if spec.get("type") != "conv":
        raise SystemExit(f"{path}: only \"type\": \"conv\" networks are supported")
    N, root = int(spec["N"]), spec["root"]
    edges = []
    for e in spec["edges"]:
        s = e["support"]
        if isinstance(s, dict):
            s = list(range(s["contiguous"])) if "contiguous" in s else [0, 1 << s["dilated"]]
        if not s or len(set(s)) != len(s) or min(s) < 0 or max(s) >= N:
            raise SystemExit(f"{path}: edge {e['from']} -> {e['to']}: bad support {s}")
        edges.append({"from": e["from"], "to": e["to"], "support": np.asarray(s)})
    # Depth from the root, breadth first against the edge direction.
    depth, frontier = {root: 0}, [root]
    while frontier:
        nxt = []
        for e in edges:
            if e["to"] in frontier and e["from"] not in depth:
                depth[e["from"]] = depth[e["to"]] + 1
                nxt.append(e["from"])
        frontier = nxt
    for e in edges:
        if e["from"] not in depth or depth[e["from"]] != depth.get(e["to"], -1) + 1:
            raise SystemExit(f"{path}: edge {e['from']} -> {e['to']}: not on a layered path to the root")
        e["layer"] = depth[e["to"]]  # 0-based: edges into the root are layer 0 (the paper's 1)
    K = max(depth.values())
    sizes = [0] * K
    for e in edges:  # file order within each layer
        e["offset"] = sizes[e["layer"]]
        sizes[e["layer"]] += len(e["support"])
    targets = {e["to"] for e in edges}
    leaves = [u for u in depth if u not in targets]
    if any(depth[u] != K for u in leaves):
        raise SystemExit(f"{path}: leaf-root paths have different lengths")
    return N, K, edges, leaves, sizes


def leaf_kernels(N, edges, leaves, h):
    """(R, N |leaves|) leaf kernels for parameters h of shape (R, K, S).

    G_u = transfer function from node u to the root, G_root = 1 and
    G_u = sum over edges u -> p of fft(kernel_e) * G_p; edges are visited
    from the root outwards so G_p is complete before it is used."""
    R = h.shape[0]
    G = {}
    for e in sorted(edges, key=lambda e: e["layer"]):
        kern = np.zeros((R, N))
        kern[:, e["support"]] = h[:, e["layer"], e["offset"]:e["offset"] + len(e["support"])]
        He = np.fft.rfft(kern, axis=1)
        if e["layer"] > 0:
            He *= G[e["to"]]
        if e["from"] in G:
            G[e["from"]] += He
        else:
            G[e["from"]] = He
    return np.concatenate([np.fft.irfft(G[u], n=N, axis=1) for u in leaves], axis=1)


def liftrank(N, K, edges, leaves, sizes, R0, seed):
    t_start = time.perf_counter()
    S, D = max(sizes), N * len(leaves)
    bound = min(D, int(np.prod(sizes, dtype=object)))
    rng = np.random.default_rng(seed)
    R = min(R0, bound + 1)
    samples = np.empty((0, D))  # row r = sample r; the D x R matrix is its transpose
    sample_time = 0.0
    while True:
        t0 = time.perf_counter()
        h = rng.standard_normal((R - samples.shape[0], K, S))
        samples = np.concatenate([samples, leaf_kernels(N, edges, leaves, h)])
        sample_time += time.perf_counter() - t0
        t0 = time.perf_counter()
        sv = np.linalg.svd(samples.T, compute_uv=False)
        svd_time = time.perf_counter() - t0
        rank = int(np.count_nonzero(sv > max(D, R) * np.finfo(np.float64).eps * sv[0]))
        if rank < R or R > bound:
            break
        R = bound + 1 if 2 * R >= bound else 2 * R
    return {"rank": rank, "samples": R, "sample_length": D, "upper_bound": bound,
            "time_s": time.perf_counter() - t_start, "svd_time_s": svd_time,
            "sample_time_s": sample_time}


def env_header():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    return {"env": {"tool": "numpy-anchor", "numpy": np.__version__, "cpu": cpu,
                    "threads": int(threads) if threads else len(os.sched_getaffinity(0)),
                    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("network", metavar="NETWORK.json", help="a \"conv\" network spec")
    p.add_argument("--samples", type=int, default=16, help="initial number of samples R0")
    p.add_argument("--seed", type=int, default=1, help="seed of NumPy's default_rng")
    p.add_argument("--repeats", type=int, default=3, help="timed runs (medians reported)")
    args = p.parse_args()
    N, K, edges, leaves, sizes = read_conv(args.network)
    runs = [liftrank(N, K, edges, leaves, sizes, args.samples, args.seed) for _ in range(args.repeats)]
    last = runs[-1]
    print(json.dumps(env_header()))
    print(json.dumps({"bench": "liftrank", "tool": "numpy", "network": args.network, "N": N, "K": K,
                      "rank": last["rank"], "samples": last["samples"],
                      "sample_length": last["sample_length"], "upper_bound": last["upper_bound"],
                      **{k: statistics.median(r[k] for r in runs)
                         for k in ("time_s", "svd_time_s", "sample_time_s")},
                      "repeats": args.repeats}), flush=True)


if __name__ == "__main__":
    main()
