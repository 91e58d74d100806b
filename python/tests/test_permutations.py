"""Chains behind unknown permutations from Python: bitrev, index arrays and
auto, with toarray, @, rel_error, save/load and the torch module all giving
A itself; the search on a shuffled random chain and on a Gaussian matrix."""
import numpy as np
import pytest

import dmf


def natural_dft(n):
    k = np.arange(n)
    return np.exp(-2j * np.pi * (np.outer(k, k) % n) / n) / np.sqrt(n)


def test_digit_reversal():
    assert dmf.digit_reversal([2, 2, 2]).tolist() == [0, 4, 2, 6, 1, 5, 3, 7]
    p = dmf.digit_reversal([3, 2, 4])
    back = dmf.digit_reversal([4, 2, 3])
    assert np.array_equal(back[p], np.arange(24))


@pytest.mark.parametrize("perm", ["bitrev", "auto"])
def test_natural_dft(perm, tmp_path):
    F = natural_dft(128)
    chain = dmf.butterfly_factor(F, perm_cols=perm)
    assert chain.report["rel_error"] < 1e-13
    assert np.linalg.norm(chain.toarray() - F) / np.linalg.norm(F) < 1e-13
    x = np.random.default_rng(0).standard_normal((128, 3)) + 0j
    assert np.linalg.norm(chain @ x - F @ x) / np.linalg.norm(F @ x) < 1e-13
    assert chain.rel_error(F) < 1e-13
    if perm == "auto":
        assert chain.report["perm_search"]["min_score"] > 1 - 1e-9
    chain.save(tmp_path / "f")
    back = dmf.load(tmp_path / "f")
    assert np.array_equal(back.perm_cols, chain.perm_cols)
    assert back.rel_error(F) < 1e-13


def test_index_arrays_and_refusals():
    F = natural_dft(64)
    q = dmf.digit_reversal([2] * 6)
    chain = dmf.butterfly_factor(F, perm_cols=q)
    assert chain.rel_error(F) < 1e-13 and chain.perm_rows is None
    with pytest.raises(ValueError):
        dmf.butterfly_factor(F, perm_cols=np.zeros(64, dtype=int))
    with pytest.raises(ValueError):
        dmf.butterfly_factor(F, perm_rows="none", perm_cols="auto")


def test_shuffled_random_chain():
    rng = np.random.default_rng(3)
    C = dmf.matrix("random-chain", 256, dtype="c128", seed=5)
    r, c = rng.permutation(256), rng.permutation(256)
    A = C[r][:, c]
    rows, cols, report = dmf.identify_permutations(A)
    B = A[rows][:, cols]
    chain = dmf.butterfly_factor(B)
    assert chain.report["rel_error"] < 1e-12
    assert report["min_score"] > 1 - 1e-9 and len(report["levels"]) == 7


def test_gaussian_is_no_chain():
    A = np.random.default_rng(1).standard_normal((64, 64))
    chain = dmf.butterfly_factor(A, perm_rows="auto", perm_cols="auto")
    assert chain.report["perm_search"]["min_score"] < 0.5
    assert chain.report["rel_error"] > 0.5


def test_torch_module_applies_a():
    torch = pytest.importorskip("torch")
    F = natural_dft(32)
    chain = dmf.butterfly_factor(F, perm_cols="auto")
    module = chain.to_torch(requires_grad=False)
    x = np.random.default_rng(2).standard_normal((4, 32)) + 0j
    y = module(torch.from_numpy(x)).numpy()
    assert np.linalg.norm(y - x @ F.T) / np.linalg.norm(x @ F.T) < 1e-12
