"""The package under real use: no reference or memory leaks over 10 000
calls, threads calling in parallel (the GIL is released), the PyTorch
bridge (skipped without torch)."""
import gc
import threading
import tracemalloc

import numpy as np
import pytest

import dmf


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_no_leaks_over_10000_calls(tmp_path):
    A = dmf.matrix("dft-bitrev", 16, dtype="c128")
    x = np.ones(16, dtype=np.complex128)
    bad = np.ones((6, 8))

    def calls(n):
        for _ in range(n):
            chain = dmf.butterfly_factor(A)
            chain @ x
            chain.H @ x
            chain.blocks[0].sum()
            try:
                dmf.butterfly_factor(bad)
            except dmf.InputError:
                pass

    calls(200)  # warm up caches, allocator pools
    gc.collect()
    tracemalloc.start()
    rss0 = rss_kib()
    snap0 = tracemalloc.take_snapshot()
    calls(10_000)
    gc.collect()
    grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(snap0, "filename"))
    tracemalloc.stop()
    rss_growth = rss_kib() - rss0
    # A leaked chain of this size is ~1 KiB, a leaked report dict ~2 KiB:
    # 10 000 of either would show as >= 10 MiB.
    assert grown < 256 * 1024, f"Python allocations grew by {grown} bytes"
    assert rss_growth < 8 * 1024, f"RSS grew by {rss_growth} KiB"


def test_threads_in_parallel():
    A = dmf.matrix("dft-bitrev", 1024, dtype="c128")
    X = np.random.default_rng(0).standard_normal((1024, 8))
    want_blocks = [b.copy() for b in dmf.butterfly_factor(A, backend="cpu").blocks]
    want_y = dmf.butterfly_factor(A, backend="cpu") @ X
    errors = []

    def work():
        try:
            for _ in range(5):
                chain = dmf.butterfly_factor(A, backend="cpu")
                assert all(np.array_equal(a, b) for a, b in zip(chain.blocks, want_blocks))
                assert np.array_equal(chain @ X, want_y)
                with pytest.raises(dmf.InputError):
                    dmf.butterfly_factor(A[:, :1000])
        except Exception as e:  # reported in the main thread
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_torch_bridge():
    torch = pytest.importorskip("torch")
    m, n = [3, 2, 4], [2, 5, 3]
    A = dmf.matrix("random-chain", (24, 30), dtype="f64", seed=5, radix_m=m, radix_n=n)
    chain = dmf.butterfly_factor(A, radix_m=m, radix_n=n)
    module = chain.to_torch()
    X = np.random.default_rng(1).standard_normal((7, 30))
    out = module(torch.from_numpy(X))
    assert out.shape == (7, 24)
    assert np.allclose(out.detach().numpy(), (A @ X.T).T, atol=1e-12)
    # autograd reaches every block: d/dblocks of sum(module(x)) against dmf's own apply
    out.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())
    small = dmf.butterfly_factor(dmf.matrix("gaussian", 8, dtype="f64", seed=2)).to_torch()
    x = torch.randn(3, 8, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda *blocks: __import__("dmf.torch").torch.apply_blocks(list(blocks), x),
                                    tuple(small.parameters()))
    # complex chains and real tensors
    dft = dmf.butterfly_factor(dmf.matrix("dft-bitrev", 16, dtype="c128")).to_torch()
    xr = torch.randn(2, 16, dtype=torch.float64)
    want = (dmf.matrix("dft-bitrev", 16, dtype="c128") @ xr.numpy().T).T
    assert np.allclose(dft(xr).detach().numpy(), want, atol=1e-12)
    with pytest.raises(ValueError):
        module(torch.zeros(2, 29, dtype=torch.float64))
