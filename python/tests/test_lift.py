"""dmf.liftrank and dmf.scatter: known answers, equality with the command
line, dict and file specs, errors."""
import json
import warnings

import numpy as np
import pytest

import dmf
from cli_runner import ROOT, run_cli, same_fields

HAAR = ROOT / "examples" / "haar4.json"
# (1 + z)(1 + z) = 1 + 2z + z^2: not scattered, rank 3 < 2S (Thm 6.5).
NOT_SCATTERED = {"type": "conv", "N": 16, "root": "r", "edges": [
    {"from": "a", "to": "r", "support": {"contiguous": 2}},
    {"from": "b", "to": "a", "support": {"contiguous": 2}}]}
DENSE = {"type": "masked", "sizes": [3, 2, 3], "masks": ["dense", "dense"]}
BUTTERFLY = {"type": "butterfly", "radix_m": [2, 2], "radix_n": [2, 2]}


def haar_dict():
    return json.loads(HAAR.read_text())


def test_haar_network_has_rank_16_and_is_identifiable():
    rep = dmf.liftrank(HAAR)
    assert (rep["K"], rep["S"]) == (4, 2)
    assert rep["rank"] == 16 == rep["rank_eps"] == rep["rank_gap"] == rep["rank_sqrt_eps"]
    assert rep["rules_agree"] is True and rep["upper_bound"] == 16 and rep["reached_bound"] is True
    assert rep["threshold_thm_6_4"] == 2 * 4 * (2 - 1) + 2 and rep["threshold_thm_6_5"] == 4
    assert rep["identifiable_thm_6_4"] is True and rep["not_identifiable_thm_6_5"] is False
    assert rep["verdict"] == "identifiable for almost every A (Thm 6.4)"
    assert rep["scattered"] is True and rep["offending"] == []
    assert rep["verdict_thm_8_4"] == "sufficiently scattered: stable recovery holds under the conditions of Thm 8.4"
    assert rep["network"] == str(HAAR) and rep["command"] == "liftrank"
    assert rep["spectrum"].dtype == np.float64 and rep["spectrum"].shape == (rep["samples"],)
    assert rep["sigma_max"] == rep["spectrum"][0]
    assert np.all(np.diff(rep["spectrum"]) <= 0)
    assert "sigma_min" not in rep


def test_dict_and_file_give_the_same_report():
    a = dmf.liftrank(haar_dict(), seed=3, sigma_min=True)
    b = dmf.liftrank(str(HAAR), seed=3, sigma_min=True)
    assert a["network"] is None
    for key in a:
        if key not in ("network", "time_s", "spectrum"):
            assert a[key] == b[key], key
    np.testing.assert_array_equal(a["spectrum"], b["spectrum"])
    assert a["sigma_min"] == pytest.approx(8.0) and a["sigma_min_rank"] == 16


def test_verdicts():
    rep = dmf.liftrank(NOT_SCATTERED)
    assert rep["rank"] == 3 and rep["verdict"] == "not identifiable (Thm 6.5)"
    assert rep["scattered"] is False and rep["num_offending"] == 1
    assert rep["offending"] == [{"leaf": "b", "position": 1, "value": 2}]
    assert rep["verdict_thm_8_4"] == "not sufficiently scattered: not identifiable (Thm 8.4)"
    rep = dmf.liftrank(BUTTERFLY)
    assert rep["rank"] == 16 and rep["verdict"] == "inconclusive (2S <= rk A < dim Sigma_2)"
    # Not convolutional: the path counts are reported, Thm 8.4 is not claimed.
    assert rep["scattered"] is True and "verdict_scatter" in rep and "verdict_thm_8_4" not in rep


def test_masks_as_numpy_arrays():
    masked = {"type": "masked", "sizes": [3, 2, 3], "masks": [np.ones((3, 2), dtype=np.int64), np.ones((2, 3))]}
    a = dmf.liftrank(masked)
    b = dmf.liftrank(DENSE)
    assert a["rank"] == b["rank"] == 9 and a["S"] == 6


def test_scatter():
    rep = dmf.scatter(HAAR)
    assert "per-path" in rep.pop("notion_thm_8_4") and "sqrt(N)" in rep.pop("conditions_thm_8_4")
    assert rep == {"dmf_version": dmf.__version__, "command": "scatter", "network": str(HAAR), "scattered": True,
                   "num_offending": 0, "offending": [],
                   "verdict_thm_8_4": "sufficiently scattered: stable recovery holds under the conditions of Thm 8.4"}
    rep = dmf.scatter(NOT_SCATTERED)
    assert rep["scattered"] is False and rep["network"] is None


def test_seeds_and_samples():
    a = dmf.liftrank(HAAR, seed=1, initial_samples=4)
    b = dmf.liftrank(HAAR, seed=1, initial_samples=4)
    np.testing.assert_array_equal(a["spectrum"], b["spectrum"])
    assert a["rank"] == 16 and a["samples"] >= 17
    c = dmf.liftrank(HAAR, seed=2**64 - 1)
    assert c["rank"] == 16


@pytest.mark.parametrize("spec", [None, NOT_SCATTERED, DENSE, BUTTERFLY])
def test_liftrank_equals_the_command_line(tmp_path, spec):
    path = HAAR
    if spec is not None:
        path = tmp_path / "net.json"
        path.write_text(json.dumps(spec))
    (line,) = run_cli("liftrank", path, "--seed", 7, "--samples", 8, "--sigma-min", "--spectrum",
                      tmp_path / "s.npy", "--backend", "cpu")
    rep = dmf.liftrank(path, seed=7, initial_samples=8, sigma_min=True, backend="cpu")
    np.testing.assert_array_equal(rep["spectrum"], np.load(tmp_path / "s.npy"))
    line.pop("spectrum")
    same_fields(line, rep)
    assert list(line) == [k for k in rep if k in line]  # the same order
    if spec is not None:  # from a dict: the same numbers
        same_fields({k: v for k, v in line.items() if k != "network"},
                    dmf.liftrank(spec, seed=7, initial_samples=8, sigma_min=True, backend="cpu"))


@pytest.mark.parametrize("spec", [None, NOT_SCATTERED])
def test_scatter_equals_the_command_line(tmp_path, spec):
    path = HAAR
    if spec is not None:
        path = tmp_path / "net.json"
        path.write_text(json.dumps(spec))
    (line,) = run_cli("scatter", path)
    assert dmf.scatter(path) == line


# ---- errors ---------------------------------------------------------------


def test_malformed_specs_are_input_errors(tmp_path):
    with pytest.raises(dmf.InputError):
        dmf.liftrank({"N": 4})
    bad = haar_dict()
    bad["edges"][1]["to"] = "nowhere"
    with pytest.raises(dmf.InputError):
        dmf.liftrank(bad)
    with pytest.raises(dmf.InputError):
        dmf.scatter({"type": "conv", "N": 4})
    with pytest.raises(dmf.InputError, match="NaN|nan|Out of range"):
        dmf.liftrank({"type": "conv", "N": float("nan")})
    path = tmp_path / "broken.json"
    path.write_text("{\"type\": ")
    with pytest.raises(dmf.InputError):
        dmf.liftrank(path)


LU3 = {"type": "masked", "sizes": [3, 3, 3],
       "masks": [[[1, 0, 0], [1, 1, 0], [1, 1, 1]], [[1, 1, 1], [0, 1, 1], [0, 0, 1]]]}


def test_scatter_counts_paths_beyond_convolutions(tmp_path):
    # A butterfly chain: one path per entry.  The LU masks: min(i, j) + 1
    # paths from input j to output i; Thm 8.4 is not claimed for either.
    rep = dmf.scatter(BUTTERFLY)
    assert rep["scattered"] is True and rep["num_offending"] == 0 and "verdict_thm_8_4" not in rep
    rep = dmf.scatter(LU3)
    assert rep["scattered"] is False and rep["num_offending"] == 4
    assert [(o["row"], o["column"], o["value"]) for o in rep["offending"]] == [(1, 1, 2), (2, 1, 2), (1, 2, 2),
                                                                                (2, 2, 3)]
    path = tmp_path / "lu.json"
    path.write_text(json.dumps(LU3))
    (line,) = run_cli("scatter", path)
    same_fields(line, dmf.scatter(str(path)))


def test_scatter_needs_0_1_coefficients_outside_convolutions():
    weighted = {"type": "triplets", "layers": [{"rows": 2, "cols": 2, "entries": [[0, 0, 0, 2.0]]}]}
    with pytest.raises(dmf.InputError, match="0 or 1"):
        dmf.scatter(weighted)


def test_missing_files_are_file_errors(tmp_path):
    with pytest.raises(dmf.FileError):
        dmf.liftrank(tmp_path / "none.json")
    with pytest.raises(OSError):
        dmf.scatter(str(tmp_path / "none.json"))


def test_bad_arguments():
    with pytest.raises(TypeError):
        dmf.liftrank(42)
    with pytest.raises(TypeError):
        dmf.scatter([HAAR])
    with pytest.raises(TypeError):
        dmf.liftrank({"type": "conv", "N": object()})
    with pytest.raises(dmf.InputError):
        dmf.liftrank(HAAR, seed=-1)
    with pytest.raises(dmf.InputError):
        dmf.liftrank(HAAR, seed=2**64)
    with pytest.raises(TypeError):
        dmf.liftrank(HAAR, seed="1")
    with pytest.raises(TypeError):
        dmf.liftrank(HAAR, seed=True)
    with pytest.raises(dmf.InputError):
        dmf.liftrank(HAAR, initial_samples=0)
    with pytest.raises(TypeError):
        dmf.liftrank(HAAR, initial_samples=2.5)
    with pytest.raises(TypeError):
        dmf.liftrank(HAAR, sigma_min="yes")
    with pytest.raises(dmf.InputError):
        dmf.liftrank(HAAR, backend="gpu")
    with pytest.raises(TypeError):
        dmf.liftrank(HAAR, backend=None)


def test_sigma_min_too_large_warns():
    big = {"type": "masked", "sizes": [40, 40, 40, 40], "masks": ["dense", "dense", "dense"]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rep = dmf.liftrank(big, initial_samples=4096, sigma_min=True)
    assert "sigma_min" not in rep
    assert any("no sigma_min" in str(w.message) for w in caught)


def test_k2_threshold_and_path_bounds():
    # rk A = 8 = 4(S-1) = dim Sigma_2 for K = 2, S = 3: identifiable (Thm 6.4).
    layers = []
    for k, (rows, cols) in enumerate([(2, 2), (2, 4)]):
        entries = [[r, c, p, ((t * 37 + k * 61 + 5) % 23) / 11 - 1]
                   for t, (r, c, p) in enumerate((r, c, p) for r in range(rows) for c in range(cols)
                                                 for p in range(3))]
        layers.append({"rows": rows, "cols": cols, "entries": entries})
    rep = dmf.liftrank({"type": "triplets", "layers": layers})
    assert rep["rank"] == 8 and rep["threshold_thm_6_4"] == 8 and rep["identifiable_thm_6_4"] is True
    assert [v["theorem"] for v in rep["verdicts"]] == ["Thm 6.4", "Thm 6.5"]
    # Two paths of 2 x 2 monomials: upper_bound 8, not S_1 S_2 = 16.
    dag = {"type": "conv", "N": 16, "root": "r", "edges": [
        {"from": "a", "to": "r", "support": [0, 1]}, {"from": "b", "to": "r", "support": [4, 5]},
        {"from": "x", "to": "a", "support": [0, 2]}, {"from": "x", "to": "b", "support": [0, 2]}]}
    rep = dmf.liftrank(dag)
    assert rep["upper_bound"] == 8 and rep["rank"] == 8 and rep["upper_bound_rule"] == "valid paths"
    assert rep["verdicts"][-1]["theorem"] == "Thm 8.4"


def dense_triplets(first):
    """The 2 x 2 x 2 dense network (rank 4) with the first layer's coefficients."""
    entries = [[i // 2, i % 2, i, c] for i, c in enumerate(first)]
    ones = [[i // 2, i % 2, i, 1.0] for i in range(4)]
    return {"type": "triplets", "layers": [{"rows": 2, "cols": 2, "entries": entries},
                                           {"rows": 2, "cols": 2, "entries": ones}]}


def test_coefficients_of_very_different_sizes_keep_the_rank():
    plain = dmf.liftrank(dense_triplets([1.0, 1.0, 1.0, 1.0]))
    assert plain["rank"] == 4 and plain["params_rescaled"] is False and plain["coef_spread_log2"] == 0
    for first in ([1e300, 1.0, 1.0, 1.0], [2.0**100, 2.0**-100, 2.0**50, 1.0]):
        rep = dmf.liftrank(dense_triplets(first))
        assert rep["rank"] == 4 and rep["rules_agree"] is True
        assert rep["params_rescaled"] is True and rep["coef_spread_log2"] == 0


def test_one_parameter_spanning_2_to_the_996_warns():
    spec = dense_triplets([1.0, 1.0, 1.0, 1.0])
    spec["layers"][0]["entries"] = [[0, 0, 0, 1e300], [0, 1, 0, 1.0], [1, 0, 1, 1.0], [1, 1, 1, 2.0]]
    with pytest.warns(UserWarning, match="span 2\\^"):
        rep = dmf.liftrank(spec)
    assert rep["coef_spread_log2"] > 900
