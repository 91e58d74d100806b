"""dmf.palm4msa and dmf.hierarchical: known answers, equality with the
command line's parameters, errors."""
import numpy as np
import pytest

import dmf
from cli_runner import run_cli


def hadamard(n):
    h = np.ones((1, 1))
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_hierarchical_hadamard_preset(dtype):
    H = hadamard(32).astype(dtype)
    factors, report = dmf.hierarchical(H, "hadamard")
    assert len(factors) == 5 and report["num_factors"] == 5
    assert report["rel_error"] <= 1e-10
    assert report["nnz"] == [64] * 5
    assert all(f.dtype == dtype for f in factors)
    # lambda is in factor 0: the factors multiply to H
    P = np.linalg.multi_dot(factors)
    assert np.linalg.norm(P - H) / np.linalg.norm(H) <= 1e-10


def test_hierarchical_params_match_preset():
    N, n = 16, 4
    params = {
        "fact_constraints": [{"name": "splincol", "nrows": N, "ncols": N, "value": 2} for _ in range(n - 1)],
        "res_constraints": [{"name": "splincol", "nrows": N, "ncols": N, "value": N // 2 ** (i + 1)}
                            for i in range(n - 1)],
        "stop_crit1": {"num_its": 30}, "stop_crit2": {"num_its": 30}, "is_update_way_R2L": True,
    }
    f1, r1 = dmf.hierarchical(hadamard(N), params)
    f2, r2 = dmf.hierarchical(hadamard(N), "hadamard")
    assert r1["rel_error"] == r2["rel_error"] and r1["iterations"] == r2["iterations"] == 180
    for a, b in zip(f1, f2):
        np.testing.assert_array_equal(a, b)


def test_palm4msa_one_factor_known_answer():
    rng = np.random.default_rng(5)
    A = rng.standard_normal((6, 7))
    k = 10
    factors, report = dmf.palm4msa(A, {"constraints": [{"name": "sp", "nrows": 6, "ncols": 7, "value": k}],
                                       "stop_crit": {"num_its": 2}})
    mags = np.sort(np.abs(A).ravel())[::-1]
    expected = np.sqrt(np.sum(mags[k:] ** 2)) / np.linalg.norm(A)
    assert abs(report["rel_error"] - expected) <= 1e-12
    kept = factors[0] != 0
    np.testing.assert_allclose(factors[0][kept], A[kept], rtol=1e-12)
    assert report["nnz"] == [k] and report["stopped_by"] == "num_its"


def test_palm4msa_supp_arrays_and_init():
    rng = np.random.default_rng(1)
    sx = np.kron(np.ones((2, 2)), np.eye(2))
    sy = np.kron(np.eye(2), np.ones((2, 2)))
    X0, Y0 = sx * rng.standard_normal((4, 4)), sy * rng.standard_normal((4, 4))
    A = X0 @ Y0
    params = {"constraints": [{"name": "supp", "nrows": 4, "ncols": 4, "value": sx},
                              {"name": "supp", "nrows": 4, "ncols": 4, "value": sy}],
              "stop_crit": {"tol": 1e-13, "relerr": True, "maxiter": 20000}}
    factors, report = dmf.palm4msa(A, params, init_facts=[X0 + 1e-3, None])
    assert report["rel_error"] <= 1e-12 and report["stopped_by"] == "tol"
    assert np.all(factors[0][sx == 0] == 0) and np.all(factors[1][sy == 0] == 0)
    np.testing.assert_allclose(factors[0] @ factors[1], A, atol=1e-11)


def test_errors():
    A = np.ones((4, 6))
    with pytest.raises(dmf.InputError, match="constraint 1"):
        dmf.palm4msa(A, {"constraints": [{"name": "sp", "nrows": 4, "ncols": 3, "value": 2},
                                         {"name": "sp", "nrows": 2, "ncols": 6, "value": 2}]})
    with pytest.raises(dmf.InputError, match="splincols"):
        dmf.palm4msa(A, {"constraints": [{"name": "splincols", "nrows": 4, "ncols": 6, "value": 2}]})
    with pytest.raises(dmf.InputError, match="stop_crits"):
        dmf.palm4msa(A, {"constraints": [{"name": "sp", "nrows": 4, "ncols": 6, "value": 2}], "stop_crits": {}})
    with pytest.raises(dmf.InputError, match="square"):
        dmf.hierarchical(A, "hadamard")
    with pytest.raises(dmf.InputError, match="preset"):
        dmf.hierarchical(A, "fourier")
    with pytest.raises(dmf.InputError, match="init_facts"):
        dmf.palm4msa(A, {"constraints": [{"name": "sp", "nrows": 4, "ncols": 6, "value": 2}]}, init_facts=[])
    A[0, 0] = np.nan
    with pytest.raises(dmf.NumericalError):
        dmf.palm4msa(A, {"constraints": [{"name": "sp", "nrows": 4, "ncols": 6, "value": 2}]})


def test_butterfly_refine_as_the_command_line():
    # A noisy chain: the hierarchical result is not the least-squares optimum
    # on the supports, so PALM lowers the error, and the package reports the
    # same refinement as `dmf butterfly factor --refine`.
    A = dmf.matrix("random-chain", 16, noise=0.3, seed=3)
    chain = dmf.butterfly_factor(A, refine=200)
    r = chain.report
    assert r["refine_kept"] and r["refine_iterations"] == 200
    assert r["rel_error"] < r["rel_error_before_refine"]
    assert abs(chain.rel_error(A) - r["rel_error"]) < 1e-15
    (line,) = run_cli("butterfly", "factor", "--matrix", "random-chain", "--size", 16, "--noise", 0.3, "--seed", 3,
                      "--refine", 200, "--no-out")
    for key in ("rel_error_before_refine", "refine_rel_error", "rel_error"):
        assert abs(line[key] - r[key]) < 1e-12, key
    with pytest.raises(dmf.InputError, match="compute_error"):
        dmf.butterfly_factor(A, refine=3, compute_error=False)
    with pytest.raises(dmf.InputError, match="refine"):
        dmf.butterfly_factor(A, refine=0)
    with pytest.raises(TypeError):
        dmf.butterfly_factor(A, refine=2.5)
