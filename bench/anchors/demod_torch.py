#!/usr/bin/env python3
"""PyTorch comparator for `bench_demod`: Algorithm 1 of Hand & Joshi written
the way a PyTorch user would, batched over trials (one matmul per layer),
gradients by autograd, on the same generator sizes, trial count, iteration
count and fixed step.  The generators and problems are drawn with torch's own
RNG from the same distributions (the paper's), so success rates compare, not
individual trials.

    bench/.venv/bin/python bench/anchors/demod_torch.py --trials 1000 --iterations 500 [--device cpu|cuda]
        [--dtype float32|float64] [--independent-networks]

--independent-networks gives every trial its own pair of networks (weights
of shape trials x rows x cols, one batched matmul per layer), as
`bench_demod --independent-networks` does.  --dtype f32/f64 are accepted as
spellings of float32/float64.

Prints an environment header and one JSON line like bench_demod.
"""
import argparse
import datetime
import json
import os
import time

import torch


def generator(sizes, gen, dtype, device, networks=None):
    """Weights as in the paper: inner rows N(0, I/n_i); last rows N(0, I/l)
    zeroed when longer than 3 sqrt(n_{d-1}/l).  With `networks`, a leading
    dimension of that many independent networks."""
    ws = []
    l = sizes[-1]
    lead = (networks,) if networks else ()
    for i in range(len(sizes) - 1):
        rows, cols = sizes[i + 1], sizes[i]
        last = i == len(sizes) - 2
        w = torch.randn(*lead, rows, cols, generator=gen, dtype=dtype) / (l if last else rows) ** 0.5
        if last:
            keep = w.norm(dim=-1) <= 3 * (cols / l) ** 0.5
            w = w * keep[..., None]
        ws.append(w.to(device))
    return ws


def forward(ws, x):
    for w in ws:
        if w.dim() == 3:  # one network per trial: batched matrix-vector products
            x = torch.relu(torch.bmm(w, x[:, :, None])[:, :, 0])
        else:
            x = torch.relu(x @ w.T)
    return x


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=1000)
    p.add_argument("--sizes", type=int, nargs=3, default=[10, 250, 1000])
    p.add_argument("--iterations", type=int, default=500)
    p.add_argument("--step", type=float, default=None, help="default: 0.25 l 4^d / n, as bench_demod")
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float64", choices=["float32", "float64", "f32", "f64"])
    p.add_argument("--independent-networks", action="store_true", help="one pair of networks per trial")
    a = p.parse_args()
    a.dtype = {"f32": "float32", "f64": "float64"}.get(a.dtype, a.dtype)
    dtype = getattr(torch, a.dtype)
    n, hidden, l = a.sizes
    step = a.step if a.step else 0.25 * l * 16 / n
    gen = torch.Generator().manual_seed(1)
    T = a.trials
    networks = T if a.independent_networks else None
    g1 = generator(a.sizes, gen, dtype, a.device, networks)
    g2 = generator(a.sizes, gen, dtype, a.device, networks)
    h0, m0 = (torch.randn(T, n, generator=gen, dtype=dtype).to(a.device) for _ in range(2))
    h, m = (torch.randn(T, n, generator=gen, dtype=dtype).to(a.device) for _ in range(2))
    y0 = forward(g1, h0) * forward(g2, m0)

    def f(hh, mm):
        return 0.5 * ((forward(g1, hh) * forward(g2, mm) - y0) ** 2).sum(dim=1)

    if a.device.startswith("cuda"):
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(a.iterations):
        with torch.no_grad():  # sign check: best of (+-h, +-m) per trial
            cands = torch.stack([f(sh * h, sm * m) for sh in (1, -1) for sm in (1, -1)])
            best = cands.argmin(dim=0)
            h = h * torch.where((best // 2) == 1, -1.0, 1.0).to(dtype)[:, None]
            m = m * torch.where((best % 2) == 1, -1.0, 1.0).to(dtype)[:, None]
        h = h.detach().requires_grad_(True)
        (gh,) = torch.autograd.grad(f(h, m).sum(), h)
        h = (h - step * gh).detach()
        m = m.detach().requires_grad_(True)
        (gm,) = torch.autograd.grad(f(h, m).sum(), m)
        m = (m - step * gm).detach()
        c = (h.norm(dim=1) / m.norm(dim=1)).sqrt()[:, None]
        h, m = h / c, m * c
    if a.device.startswith("cuda"):
        torch.cuda.synchronize()
    t = time.perf_counter() - t0
    c0 = (h0.norm(dim=1) / m0.norm(dim=1)).sqrt()[:, None]
    err = (torch.cat([h - h0 / c0, m - m0 * c0], 1).norm(dim=1) / torch.cat([h0 / c0, m0 * c0], 1).norm(dim=1))
    ok = int((err <= 1e-3).sum())
    print(json.dumps({"env": {"tool": "torch", "version": torch.__version__, "threads": torch.get_num_threads(),
                              "device": a.device, "cpu": os.uname().machine,
                              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}}))
    print(json.dumps({"bench": "demod", "tool": "torch", "backend": a.device, "trials": T, "sizes": a.sizes,
                      "iterations": a.iterations, "step_rule": "fixed", "step": step, "dtype": a.dtype,
                      "networks": "per_trial" if a.independent_networks else "shared",
                      "time_s": t, "successes": ok}))


if __name__ == "__main__":
    main()
