"""dmf.synth_network and dmf.recover: known answers and equality with the
command line."""
import json

import numpy as np
import pytest

import dmf
from cli_runner import run_cli


def haar(N, K):
    return {"type": "conv", "N": N, "root": "n0",
            "edges": [{"from": f"n{k + 1}", "to": f"n{k}", "support": {"dilated": k}} for k in range(K)]}


TWICE = {"type": "conv", "N": 16, "root": "r", "edges": [
    {"from": "a", "to": "r", "support": [1, 2, 3]}, {"from": "b", "to": "a", "support": [1, 2, 3]}]}


@pytest.mark.parametrize("K", [3, 6])
def test_noiseless_haar_is_recovered(K):
    prob = dmf.synth_network(haar(64, K), seed=K)
    assert prob["x"].shape == (64, 64) and prob["h"].shape == (K, 2) and prob["noise_norm"] == 0
    rep = dmf.recover(haar(64, K), prob["x"], truth=prob["h"], restarts=20, seed=1)
    assert rep["d_p"] <= 1e-10 and rep["delta_p"] <= 1e-10 and rep["rel_residual"] <= 1e-13
    assert rep["classes_found"] == 1 and rep["start_h"].shape == (20, K, 2)
    assert all(b["holds"] and b["measured"] <= b["bound"] for b in rep["bounds"])


def test_not_identifiable_network_gives_two_classes():
    prob = dmf.synth_network(TWICE, seed=1)
    rep = dmf.recover(TWICE, prob["x"], restarts=20, max_iterations=2000)
    assert rep["rel_residual"] <= 1e-10 and rep["classes_found"] >= 2


def test_noise_level():
    prob = dmf.synth_network(haar(32, 3), noise=0.1, seed=2)
    clean = dmf.synth_network(haar(32, 3), seed=2)
    np.testing.assert_array_equal(prob["h"], clean["h"])
    assert np.linalg.norm(prob["x"] - clean["x"]) == pytest.approx(0.1 * np.linalg.norm(clean["x"]), rel=1e-12)
    assert prob["noise_norm"] == pytest.approx(0.1 * np.linalg.norm(clean["x"]), rel=1e-12)


def test_recover_equals_the_command_line(tmp_path):
    net = tmp_path / "net.json"
    net.write_text(json.dumps(haar(32, 4)))
    (synth,) = run_cli("synth-network", net, "--seed", 3, "--noise", 1e-3, "--out", tmp_path / "s")
    (line,) = run_cli("recover", net, "--input", synth["x"], "--truth", synth["h"], "--restarts", 4, "--seed", 5)
    x, h = np.load(synth["x"]), np.load(synth["h"])
    rep = dmf.recover(str(net), x, truth=h, restarts=4, seed=5)
    for key in ("residual", "rel_residual", "best_start", "iterations", "total_iterations", "optimal_starts",
                "classes_found", "class_metric", "d_p", "delta_p", "data_error", "bounds"):
        assert rep[key] == line[key], key
    assert [s["residual"] for s in line["starts"]] == list(rep["start_residual"])


def test_lifting_start(tmp_path):
    # Injective lifted operator (an undecimated Haar path: rank 2^K): one
    # start from the lifting recovers the class, as the command line does.
    prob = dmf.synth_network(haar(64, 4), seed=4)
    rep = dmf.recover(haar(64, 4), prob["x"], truth=prob["h"], method="lifting")
    assert rep["method"] == "lifting" and rep["restarts"] == 1 and rep["d_p"] <= 1e-10
    assert rep["lifting"]["injective"] and rep["lifting"]["operator"] == [64, 16] and rep["lifting"]["rank"] == 16
    net = tmp_path / "net.json"
    net.write_text(json.dumps(haar(64, 4)))
    np.save(tmp_path / "x.npy", prob["x"])
    np.save(tmp_path / "h.npy", prob["h"])
    (line,) = run_cli("recover", net, "--input", tmp_path / "x.npy", "--truth", tmp_path / "h.npy", "--method",
                      "lifting")
    rep = dmf.recover(str(net), prob["x"], truth=prob["h"], method="lifting")
    for key in ("method", "residual", "restarts", "d_p", "best_start"):
        assert rep[key] == line[key], key
    for key in ("operator", "rank", "injective", "projected_gradient_steps", "rel_residual"):
        assert rep["lifting"][key] == line["lifting"][key], key
    with pytest.raises(dmf.InputError, match="did you mean 'lifting'"):
        dmf.recover(haar(64, 4), prob["x"], method="lifitng")


def test_errors():
    with pytest.raises(dmf.InputError):
        dmf.synth_network(haar(16, 2), noise=-1)
    with pytest.raises(dmf.InputError, match="16 x 16"):
        dmf.recover(haar(16, 2), np.zeros((3, 3)))
    with pytest.raises(dmf.InputError, match="truth"):
        dmf.recover(haar(16, 2), np.zeros((16, 16)), truth=np.zeros((3, 2)))
    with pytest.raises(TypeError):
        dmf.recover(haar(16, 2), [[1.0]])
