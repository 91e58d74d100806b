#!/usr/bin/env python3
"""PyTorch comparator for `bench_butterfly`: the hierarchical butterfly
factorization dmf runs, written the way a PyTorch user would, on any device.

Square radix-2 chain of L = log2 N factors, F_k with support
I_{2^k} (x) 1_{2x2} (x) I_{2^(L-1-k)}; balanced tree (a range of n factors
splits into its first floor(n/2) and the rest, as dmf's `balanced`); every
split gathers the independent sub-blocks of the node's blocks with one
reshape/permute and replaces each by its best rank-one approximation from
one batched torch.linalg.svd, W = x sqrt(s), H = sqrt(s) y^H, as in dmf's
split (no orthonormalization, dmf's default).

    python bench/anchors/butterfly_torch.py --size 1024 [--dtype c128] [--device cuda] [--repeats 3]

Prints an environment header and one JSON line per size: the median time of
the factorization alone (device synchronised before and after; matrix
generation and the error are outside it), the relative Frobenius error
||A - F_0 ... F_{L-1}||_F / ||A||_F, N, dtype, device.
"""
import argparse
import datetime
import json
import os
import statistics
import time

import torch

DTYPES = {"c128": torch.complex128, "c64": torch.complex64, "f64": torch.float64, "f32": torch.float32}


def bit_reverse(n_bits, device):
    k = torch.arange(1 << n_bits, device=device)
    r = torch.zeros_like(k)
    for b in range(n_bits):
        r |= ((k >> b) & 1) << (n_bits - 1 - b)
    return r


def dft_bitrev(n, dtype, device):
    """exp(-2 pi i j rev(k) / N) / sqrt(N), the phase reduced mod N in integers, as dmf's dft-bitrev."""
    bits = n.bit_length() - 1
    j = torch.arange(n, device=device, dtype=torch.int64)
    m = (j[:, None] * bit_reverse(bits, device)[None, :]) % n
    angle = (-2 * torch.pi / n) * m.to(torch.float64)
    a = torch.polar(torch.full_like(angle, n ** -0.5), angle)
    return a.to(dtype)


def hadamard(n, dtype, device):
    h = torch.ones(1, 1, dtype=dtype, device=device)
    base = torch.tensor([[1.0, 1.0], [1.0, -1.0]], dtype=dtype, device=device)
    while h.shape[0] < n:
        h = torch.kron(h, base)
    return h / n ** 0.5


def rank_one(blocks):
    """Best rank-one approximation of a batch of matrices: x sqrt(s), sqrt(s) y^H."""
    u, s, vh = torch.linalg.svd(blocks, full_matrices=False)
    root = s[..., :1].sqrt().to(blocks.dtype)
    return u[..., :, :1] * root[..., None, :], root[..., :, None] * vh[..., :1, :]


def factor(t, lo, hi, out):
    """t: blocks of the product F_lo ... F_{hi-1}, shape (a, d, B, B), B = 2^(hi-lo)
    (support I_a (x) 1_{BxB} (x) I_d).  Appends (k, blocks of F_k) to out."""
    if hi - lo == 1:
        out.append((lo, t))
        return
    mid = lo + (hi - lo) // 2
    a, d = t.shape[0], t.shape[1]
    b1 = c1 = 1 << (mid - lo)
    b2 = c2 = 1 << (hi - mid)
    # Sub-block (j, u) of block (i, v): rows alpha*b2 + u, columns j*c2 + beta.
    s = t.reshape(a, d, b1, b2, c1, c2).permute(0, 1, 3, 4, 2, 5)  # (a, d, u, j, alpha, beta)
    x, y = rank_one(s)  # x: (a, d, u, j, b1, 1), y: (a, d, u, j, 1, c2)
    # Left range: a*(b2*d) blocks of b1 x c1, block (i, u, v), entry [alpha, j].
    w = x[..., 0].permute(0, 2, 1, 4, 3).reshape(a, b2 * d, b1, c1)
    # Right range: (a*c1)*d blocks of b2 x c2, block (i, j, v), entry [u, beta].
    h = y[..., 0, :].permute(0, 3, 1, 2, 4).reshape(a * c1, d, b2, c2)
    factor(w, lo, mid, out)
    factor(h, mid, hi, out)


def butterfly(a_mat):
    n = a_mat.shape[0]
    L = n.bit_length() - 1
    out = []
    factor(a_mat.reshape(1, 1, n, n), 0, L, out)
    out.sort(key=lambda kf: kf[0])
    return [f for _, f in out]


def apply_factor(blocks, x):
    """F x for F = blocks (a, d, b, c) with support I_a (x) 1_{bxc} (x) I_d."""
    a, d, b, c = blocks.shape
    xs = x.reshape(a, c, d, -1)
    return torch.einsum("adbc,acdn->abdn", blocks, xs).reshape(a * b * d, -1)


def rel_error(factors, a_mat):
    p = torch.eye(a_mat.shape[0], dtype=a_mat.dtype, device=a_mat.device)
    for f in reversed(factors):
        p = apply_factor(f, p)
    return float(torch.linalg.norm(a_mat - p) / torch.linalg.norm(a_mat))


def sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, nargs="+", default=[1024])
    p.add_argument("--dtype", default="c128", choices=sorted(DTYPES))
    p.add_argument("--matrix", default="dft-bitrev", choices=["dft-bitrev", "hadamard"])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    dtype = DTYPES[args.dtype]
    if args.matrix == "dft-bitrev" and not dtype.is_complex:
        p.error("dft-bitrev needs a complex dtype (c64 or c128)")
    dev = args.device
    name = torch.cuda.get_device_name(torch.device(dev)) if dev.startswith("cuda") else os.uname().machine
    print(json.dumps({"env": {"tool": "torch", "version": torch.__version__, "device": dev, "device_name": name,
                              "threads": torch.get_num_threads(),
                              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}}),
          flush=True)
    for n in args.size:
        if n < 2 or n & (n - 1):
            p.error(f"--size {n}: a power of two >= 2 is needed")
        a_mat = dft_bitrev(n, dtype, dev) if args.matrix == "dft-bitrev" else hadamard(n, dtype, dev)
        times, factors = [], None
        for _ in range(args.repeats):
            factors = None
            sync(dev)
            t0 = time.perf_counter()
            factors = butterfly(a_mat)
            sync(dev)
            times.append(time.perf_counter() - t0)
        err = rel_error(factors, a_mat)
        peak = torch.cuda.max_memory_allocated(torch.device(dev)) / 2**20 if dev.startswith("cuda") else None
        print(json.dumps({"bench": "butterfly", "tool": "torch", "backend": dev, "device_name": name,
                          "matrix": args.matrix, "n": n, "dtype": args.dtype, "tree": "balanced",
                          "time_s": statistics.median(times), "min_time_s": min(times), "repeats": args.repeats,
                          "rel_error": err, "peak_device_mib": peak}), flush=True)
        del a_mat, factors
        if dev.startswith("cuda"):
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
