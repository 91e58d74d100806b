"""dmf.fsmf: known answers, equality with `dmf fsmf`, errors."""
import numpy as np
import pytest

import dmf
from cli_runner import ROOT, run_cli, same_fields

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]


def rand(shape, dtype, rng):
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def block_supports():
    """Rows {0,1,2} x cols {0,1} for k = 0, 1 (one class of two), rows
    {3,4} x cols {2,3,4} for k = 2: disjoint classes."""
    sx = np.zeros((5, 3), dtype=bool)
    sy = np.zeros((3, 5), dtype=bool)
    sx[:3, :2] = True
    sy[:2, :2] = True
    sx[3:, 2] = True
    sy[2, 2:] = True
    return sx, sy


@pytest.mark.parametrize("dtype", DTYPES)
def test_exact_factorization_is_recovered(dtype):
    rng = np.random.default_rng(1)
    sx, sy = block_supports()
    A = (rand(sx.shape, dtype, rng) * sx) @ (rand(sy.shape, dtype, rng) * sy)
    X, Y, rep = dmf.fsmf(A, sx, sy)
    assert X.dtype == A.dtype and Y.dtype == A.dtype
    assert X.shape == (5, 3) and Y.shape == (3, 5)
    assert not np.any(X[~sx]) and not np.any(Y[~sy])
    tol = 1e-5 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-12
    assert np.linalg.norm(A - X @ Y) <= tol * np.linalg.norm(A)
    assert rep["rel_error"] <= tol
    assert rep["optimal"] is True and rep["disjoint_or_identical"] is True
    assert rep["num_classes"] == 2 and rep["largest_class"] == 2
    assert rep["size_m_k_n"] == [5, 3, 5]
    assert rep["dtype"] == dmf._butterfly.NAMES[np.dtype(dtype)]
    assert rep["solver"] == "truncated SVD per support class (optimal)"
    assert "overlapping_k" not in rep


def test_optimal_is_the_truncated_svd_per_class():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((5, 5))
    sx, sy = block_supports()
    X, Y, rep = dmf.fsmf(A, sx, sy)
    # class of k = 0, 1: the best rank-2 approximation of A[:3, :2] (exact: rank 2)
    # class of k = 2: the best rank-1 approximation of A[3:, 2:]
    best = np.zeros_like(A)
    best[:3, :2] = A[:3, :2]
    u, s, vt = np.linalg.svd(A[3:, 2:])
    best[3:, 2:] = s[0] * np.outer(u[:, 0], vt[0])
    np.testing.assert_allclose(X @ Y, best, atol=1e-12)
    expected = np.linalg.norm(A - best) / np.linalg.norm(A)
    assert rep["rel_error"] == pytest.approx(expected, rel=1e-12)


def test_overlapping_classes_are_reported():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((4, 4))
    sx = np.array([[1, 1], [1, 1], [0, 1], [0, 0]])
    sy = np.array([[1, 1, 0, 0], [0, 1, 1, 0]])
    X, Y, rep = dmf.fsmf(A, sx, sy)
    assert rep["disjoint_or_identical"] is False and rep["optimal"] is False
    assert sorted(rep["overlapping_k"]) == [0, 1]
    # Identifiable (piece 1 completes from its own column 2, then piece 0):
    # the completion competes with the greedy result, the lower error wins.
    assert rep["identifiable"] is True
    assert rep["solver"] in ("greedy masked rank-one on the residual (may not be optimal)",
                             "rank-one completion (identifiable supports)")
    assert not np.any(X[sx == 0]) and not np.any(Y[sy == 0])
    assert rep["rel_error"] == pytest.approx(np.linalg.norm(A - X @ Y) / np.linalg.norm(A), rel=1e-12)


def test_slides_example_is_identifiable_and_exact():
    # Zheng, Gribonval and Riccietti's 4 x 4 example: three overlapping pieces.
    X0 = np.array([[0, 1, 0], [1, 1, 0], [2, 1, 3], [3, 0, 2]], dtype=float)
    Y0 = np.array([[1, 1, 0, 0], [0, 1, 2, 0], [0, 1, 1, 2]], dtype=float)
    A = X0 @ Y0
    X, Y, rep = dmf.fsmf(A, X0 != 0, Y0 != 0)
    assert rep["identifiable"] is True and rep["optimal"] is True
    assert rep["solver"] == "rank-one completion (identifiable supports)"
    assert rep["rel_error"] <= 1e-12
    for k in range(3):  # the pieces themselves, X and Y only up to scaling
        np.testing.assert_allclose(np.outer(X[:, k], Y[k]), np.outer(X0[:, k], Y0[k]), atol=1e-12)
    # Split into four pieces, the third inside the second: not identifiable.
    sx = np.array([[0, 1, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 1]])
    sy = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 1, 1, 1]])
    _, _, rep = dmf.fsmf(A, sx, sy)
    assert rep["identifiable"] is False and rep["ambiguous_k"] == [1, 2] and rep["ambiguity_dims"] == 1


def test_inputs_of_other_layouts_and_dtypes():
    rng = np.random.default_rng(4)
    sx, sy = block_supports()
    A = np.asfortranarray(rng.standard_normal((5, 5)))
    X, Y, _ = dmf.fsmf(A, sx.astype(np.int8), sy.astype(np.float32))
    X2, Y2, _ = dmf.fsmf(np.ascontiguousarray(A), sx, sy)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(Y, Y2)
    Xi, _, _ = dmf.fsmf(np.arange(25).reshape(5, 5), sx, sy)  # integers become float64
    assert Xi.dtype == np.float64


def test_empty_inner_size():
    X, Y, rep = dmf.fsmf(np.ones((3, 2)), np.zeros((3, 0)), np.zeros((0, 2)))
    assert X.shape == (3, 0) and Y.shape == (0, 2)
    assert rep["rel_error"] == pytest.approx(1.0)


@pytest.mark.parametrize("dtype", ["f64", "c128"])
def test_equals_the_command_line(tmp_path, dtype):
    rng = np.random.default_rng(5)
    A = rand((8, 8), dmf._arrays.DTYPES[dtype], rng)
    sx = rng.random((8, 6)) < 0.5
    sy = rng.random((6, 8)) < 0.5
    np.save(tmp_path / "A.npy", A)
    np.save(tmp_path / "sx.npy", sx.astype(np.float64))
    np.save(tmp_path / "sy.npy", sy.astype(np.float64))
    (line,) = run_cli("fsmf", "--input", tmp_path / "A.npy", "--support-x", tmp_path / "sx.npy", "--support-y",
                      tmp_path / "sy.npy", "--out", tmp_path / "out", "--backend", "cpu")
    X, Y, rep = dmf.fsmf(A, sx, sy, backend="cpu")
    np.testing.assert_array_equal(X, np.load(tmp_path / "out" / "X.npy"))
    np.testing.assert_array_equal(Y, np.load(tmp_path / "out" / "Y.npy"))
    line.pop("out")
    same_fields(line, rep)
    assert set(rep) == set(line)


def test_equals_the_command_line_on_the_example_supports(tmp_path):
    from scipy.io import mmread

    root = ROOT
    (line,) = run_cli("fsmf", "--matrix", "dft-bitrev", "--size", 4, "--dtype", "c128", "--support-x",
                      root / "examples" / "support_x4.mtx", "--support-y", root / "examples" / "support_y4.mtx",
                      "--out", tmp_path)
    A = dmf.matrix("dft-bitrev", 4, dtype="c128")
    sx = mmread(str(root / "examples" / "support_x4.mtx")).toarray()
    sy = mmread(str(root / "examples" / "support_y4.mtx")).toarray()
    X, Y, rep = dmf.fsmf(A, sx, sy)
    np.testing.assert_array_equal(X, np.load(tmp_path / "X.npy"))
    np.testing.assert_array_equal(Y, np.load(tmp_path / "Y.npy"))
    assert rep["rel_error"] < 1e-14  # the DFT's first butterfly factor is exact
    same_fields({k: v for k, v in line.items() if k != "out"}, rep)


# ---- errors ---------------------------------------------------------------


def test_shapes_that_disagree_are_input_errors():
    sx, sy = block_supports()
    with pytest.raises(dmf.InputError, match="rows"):
        dmf.fsmf(np.ones((4, 5)), sx, sy)
    with pytest.raises(dmf.InputError, match="columns"):
        dmf.fsmf(np.ones((5, 4)), sx, sy)
    with pytest.raises(dmf.InputError, match="inner size"):
        dmf.fsmf(np.ones((5, 5)), sx, sy[:2])
    with pytest.raises(ValueError, match="2-D"):
        dmf.fsmf(np.ones(5), sx, sy)
    with pytest.raises(dmf.InputError, match="support_x must be a 2-D"):
        dmf.fsmf(np.ones((5, 5)), np.ones((5, 3, 1)), sy)


def test_non_finite_entries_are_numerical_errors():
    sx, sy = block_supports()
    A = np.ones((5, 5))
    A[1, 1] = np.nan
    with pytest.raises(dmf.NumericalError):
        dmf.fsmf(A, sx, sy)
    with pytest.raises(dmf.NumericalError):
        dmf.fsmf(np.ones((5, 5)), np.where(sx, np.inf, 0), sy)


def test_bad_types_and_backends():
    sx, sy = block_supports()
    with pytest.raises(TypeError):
        dmf.fsmf(np.array([["a"] * 5] * 5), sx, sy)
    with pytest.raises(TypeError):
        dmf.fsmf(np.ones((5, 5)), None, sy)
    with pytest.raises(TypeError):
        dmf.fsmf(np.ones((5, 5)), sx, sy, backend=1)
    with pytest.raises(dmf.InputError, match="gpu"):
        dmf.fsmf(np.ones((5, 5)), sx, sy, backend="gpu")


def test_supports_found_for_a_class():
    # The natural-order DFT is exact on the class (2, N/2): X 2-sparse, Y
    # N/2-sparse; the DCT-II on (N/2, 2); both as the command line says.
    A = dmf.matrix("dft", 64, dtype="c128")
    X, Y, rep = dmf.fsmf(A, "auto", "auto")
    assert rep["support_verdict"] == "exact" and rep["rel_error"] < 1e-12 and rep["optimal"]
    assert rep["support_radix_m"] == [2, 32] and rep["support_classes_tried"] == 1
    sx, sy = rep["support_x"], rep["support_y"]
    assert (sx.sum(axis=1) == 2).all() and (sy.sum(axis=0) == 32).all()
    assert np.linalg.norm(X @ Y - A) < 1e-12 * np.linalg.norm(A)
    (line,) = run_cli("fsmf", "--matrix", "dft", "--size", 64, "--support-x", "auto", "--support-y", "auto")
    same_fields(line, rep, skip=("time_s", "support_time_s"))
    _, _, rep = dmf.fsmf(dmf.matrix("dct2", 32), "auto", "auto")
    assert rep["support_radix_m"] == [16, 2] and rep["support_verdict"] == "exact"
    _, _, rep = dmf.fsmf(dmf.matrix("dft", 48, dtype="c128"), "auto", "auto", radix_m=(12, 4), radix_n=(12, 4))
    assert rep["support_classes_tried"] == 1 and rep["rel_error"] < 1e-12
    with pytest.raises(dmf.InputError, match="go together"):
        dmf.fsmf(A, "auto", np.ones((64, 64)))
    with pytest.raises(dmf.InputError, match="two radices each"):
        dmf.fsmf(A, "auto", "auto", radix_m=(2, 2, 16), radix_n=(2, 2, 16))
