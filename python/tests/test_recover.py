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


def threshold_network():
    # tests/network_specs.h's k2_threshold_network: rk A = 8 < 9 columns,
    # Ker A of dimension 1 (the deep-NSP constant is estimated).
    layers = []
    for k, (rows, cols) in enumerate(((2, 2), (2, 4))):
        entries, t = [], 0
        for r in range(rows):
            for c in range(cols):
                for p in range(3):
                    entries.append([r, c, p, float(f"{((t * 37 + k * 61 + 5) % 23) / 11.0 - 1.0:.6f}")])
                    t += 1
        layers.append({"rows": rows, "cols": cols, "entries": entries})
    return {"type": "triplets", "layers": layers}


def test_deep_nsp(tmp_path):
    # Injective A: gamma = 1 exactly; the paper's {1,2,3} x {1,2,3}: fails,
    # exactly (two parallel columns); a one-dimensional kernel: an estimate
    # that Thm 7.2 uses and flags.  The same as the command line.
    prob = dmf.synth_network(haar(32, 3), seed=1, noise=1e-6)
    nsp = dmf.recover(haar(32, 3), prob["x"], truth=prob["h"], restarts=2)["deep_nsp"]
    assert nsp["holds"] and nsp["gamma"] == 1 and not nsp["estimated"] and nsp["kernel_dim"] == 0
    prob = dmf.synth_network(TWICE, seed=1)
    rep = dmf.recover(TWICE, prob["x"], truth=prob["h"], restarts=2)
    assert rep["deep_nsp"]["computed"] and not rep["deep_nsp"]["holds"] and rep["deep_nsp"]["gamma"] == "inf"
    (b72,) = [b for b in rep["bounds"] if b["theorem"] == "Thm 7.2"]
    assert not b72["holds"] and "deep-NSP fails" in b72["why_not"] and b72["gamma"] == "inf"
    net = tmp_path / "net.json"
    net.write_text(json.dumps(threshold_network()))
    (synth,) = run_cli("synth-network", net, "--seed", 3, "--noise", 1e-6, "--out", tmp_path / "s")
    (line,) = run_cli("recover", net, "--input", synth["x"], "--truth", synth["h"], "--restarts", 5, "--seed", 3)
    rep = dmf.recover(str(net), np.load(synth["x"]), truth=np.load(synth["h"]), restarts=5, seed=3)
    nsp = rep["deep_nsp"]
    assert nsp["holds"] and nsp["estimated"] and nsp["kernel_dim"] == 1 and nsp["gamma"] >= 1
    assert nsp["at_best"] == nsp["starts"] and nsp["converged"] == nsp["starts"]
    (b72,) = [b for b in rep["bounds"] if b["theorem"] == "Thm 7.2"]
    assert b72["holds"] and b72["gamma_estimated"] and b72["gamma"] == nsp["gamma"] and b72["measured"] <= b72["bound"]
    assert rep["bounds"] == line["bounds"]
    assert {k: v for k, v in rep["deep_nsp"].items() if k != "time_s"} == \
        {k: v for k, v in line["deep_nsp"].items() if k != "time_s"}
    assert set(line) - set(rep) <= {"input", "truth", "out"}


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


def haar_tree(N, K):
    edges, level = [], ["r"]
    for k in range(K):
        nxt = []
        for p in level:
            for b in "01":
                nxt.append(p + b)
                edges.append({"from": p + b, "to": p, "support": {"dilated": k}})
        level = nxt
    return {"type": "conv", "N": N, "root": "r", "edges": edges}


@pytest.mark.parametrize("N,K", [(64, 4), (256, 6)])
def test_tree_from_kernels(N, K):
    # X as its 2^K leaf kernels, never formed; the per-edge solver.
    prob = dmf.synth_network(haar_tree(N, K), seed=K, kernels=True)
    assert "x" not in prob and prob["kernels"].shape == (2 ** K, N) and prob["kernels_shape"] == [2 ** K, N]
    assert prob["rows"] == N and prob["cols"] == N * 2 ** K
    same = dmf.synth_network(haar_tree(N, K), seed=K)
    np.testing.assert_array_equal(prob["h"], same["h"])
    np.testing.assert_allclose(prob["kernels"], same["x"][:, ::N].T, rtol=0, atol=1e-13 * np.abs(same["x"]).max())
    rep = dmf.recover(haar_tree(N, K), kernels=prob["kernels"], truth=prob["h"], restarts=20, seed=1)
    assert rep["solver"] == "edges" and rep["delta_p"] <= 1e-10 and rep["rel_residual"] <= 1e-13
    assert sum(s["delta_p"] <= 1e-10 for s in rep["starts"]) >= 19 and rep["data_error"] == 0


def test_kernels_and_x_agree():
    net = haar_tree(32, 4)
    prob = dmf.synth_network(net, seed=3, kernels=True)
    x = dmf.synth_network(net, seed=3)["x"]
    a = dmf.recover(net, kernels=prob["kernels"], restarts=4, seed=2)
    b = dmf.recover(net, x, restarts=4, seed=2)
    c = dmf.recover(net, x, restarts=4, seed=2, solver="layers")
    assert b["solver"] == "edges" and c["solver"] == "layers"
    for rep in (a, b, c):
        assert rep["rel_residual"] <= 1e-13
    d, delta = dmf._dmf.param_distance(json.dumps(net), False, a["h"], c["h"], 2.0)
    assert delta <= 1e-10


def test_kernels_equal_the_command_line(tmp_path):
    net = tmp_path / "tree.json"
    net.write_text(json.dumps(haar_tree(32, 3)))
    (synth,) = run_cli("synth-network", net, "--seed", 3, "--noise", 1e-3, "--kernels", "--out", tmp_path / "s")
    prob = dmf.synth_network(str(net), seed=3, noise=1e-3, kernels=True)
    np.testing.assert_array_equal(np.load(synth["kernels"]), prob["kernels"])
    for key in ("K", "S", "rows", "cols", "noise", "kernels_shape", "command", "network"):
        assert synth[key] == prob[key], key
    for key in ("noise_norm", "x_norm"):  # NumPy's sums and dmf's may differ in the last bit
        assert synth[key] == pytest.approx(prob[key], rel=1e-14), key
    (line,) = run_cli("recover", net, "--kernels", synth["kernels"], "--truth", synth["h"], "--restarts", 4)
    rep = dmf.recover(str(net), kernels=prob["kernels"], truth=prob["h"], restarts=4)
    for key in ("solver", "residual", "rel_residual", "best_start", "iterations", "total_iterations", "optimal_starts",
                "classes_found", "class_metric", "d_p", "delta_p", "data_error", "bounds", "starts", "K", "S",
                "command", "method", "restarts", "seed"):
        assert rep[key] == line[key], key


def test_kernels_errors():
    net, dag = haar_tree(16, 2), {"type": "conv", "N": 8, "root": "r", "edges": [
        {"from": "a", "to": "r", "support": [0, 1]}, {"from": "b", "to": "r", "support": [0, 2]},
        {"from": "x", "to": "a", "support": [0, 3]}, {"from": "x", "to": "b", "support": [1, 2]}]}
    y = dmf.synth_network(net, kernels=True)["kernels"]
    with pytest.raises(dmf.InputError, match="not both"):
        dmf.recover(net, np.zeros((16, 64)), kernels=y)
    with pytest.raises(dmf.InputError, match="give x"):
        dmf.recover(net)
    with pytest.raises(dmf.InputError, match="leaves x N = 4 x 16"):
        dmf.recover(net, kernels=y[:3])
    bad = y.copy()
    bad[1, 2] = np.nan
    with pytest.raises(dmf.NumericalError, match="row 1"):
        dmf.recover(net, kernels=bad)
    with pytest.raises(dmf.InputError, match="convolutional"):
        dmf.synth_network({"type": "masked", "sizes": [2, 2, 2], "masks": ["dense", "dense"]}, kernels=True)
    yd = dmf.synth_network(dag, kernels=True)["kernels"]
    with pytest.raises(dmf.InputError, match="tree"):
        dmf.recover(dag, kernels=yd, solver="edges")
    assert dmf.recover(dag, kernels=yd, restarts=2)["solver"] == "layers"
    with pytest.raises(dmf.InputError, match="did you mean 'edges'"):
        dmf.recover(net, kernels=y, solver="edgs")
