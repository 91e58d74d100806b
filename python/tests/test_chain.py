"""dmf.butterfly_factor and dmf.Chain: known answers, the CLI's results bit
for bit, NumPy/SciPy round trips, every error path."""
import json
import os
import subprocess

import numpy as np
import pytest

import dmf

EPS = {np.float32: 6e-8, np.float64: 1.1e-16, np.complex64: 6e-8, np.complex128: 1.1e-16}


def run_cli(cli, *args):
    out = subprocess.run([cli, *map(str, args)], capture_output=True, text=True, env={**os.environ, "DMF_BACKEND": "cpu"})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name,dtype", [("dft-bitrev", "c128"), ("hadamard", "f64"), ("dft-bitrev", "c64"),
                                        ("hadamard", "f32")])
@pytest.mark.parametrize("tree", ["balanced", "l2r", "r2l"])
def test_exact_recovery(name, dtype, tree):
    A = dmf.matrix(name, 256, dtype=dtype)
    chain = dmf.butterfly_factor(A, tree=tree)
    eps = EPS[A.dtype.type]
    # Exact butterflies are recovered to working precision (docs/butterfly.md).
    assert chain.report["rel_error"] < 1000 * eps
    assert chain.num_factors == 8 and chain.nnz == 8 * 2 * 256
    assert np.linalg.norm(chain.toarray() - A) / np.linalg.norm(A) < 1000 * eps
    assert chain.report["dtype"] == dtype and chain.report["tree"] == tree


def test_rectangular_mixed_radix_rank2():
    m, n = [3, 2, 4], [2, 5, 3]
    A = dmf.matrix("random-chain", (24, 30), dtype="f64", seed=4, radix_m=m, radix_n=n)
    chain = dmf.butterfly_factor(A, radix_m=m, radix_n=n, tree=[[0, 1], 2])
    assert chain.shape == (24, 30) and chain.radix_m == (3, 2, 4)
    assert chain.report["rel_error"] < 1e-13
    two = dmf.butterfly_factor(np.asfortranarray(A), radix_m=m, radix_n=n, rank=2)
    assert two.ranks == (2, 2) and two.report["rel_error"] < 1e-13


@pytest.mark.parametrize("args", [
    dict(matrix="dft-bitrev", size=128, dtype="c128", tree="balanced"),
    dict(matrix="hadamard", size=64, dtype="f32", tree="l2r"),
    dict(matrix="gaussian", size=64, dtype="f64", tree="r2l", orthonormalize=True),
    dict(matrix="gaussian", size=64, dtype="c64", tree="[[0,1],[2,[3,[4,5]]]]", rank=2),
])
def test_equal_to_cli_bit_for_bit(dmf_cli, tmp_path, args):
    cli_args = ["butterfly", "factor", "--backend", "cpu", "--out", tmp_path / "cli"]
    for k, v in args.items():
        if k == "orthonormalize":
            cli_args.append("--orthonormalize")
        else:
            cli_args += [f"--{k}", v]
    line = run_cli(dmf_cli, *cli_args)
    A = dmf.matrix(args["matrix"], args["size"], dtype=args["dtype"])
    chain = dmf.butterfly_factor(A, tree=json.loads(args["tree"]) if args["tree"][0] == "[" else args["tree"],
                                 rank=args.get("rank", 1), orthonormalize=args.get("orthonormalize", False),
                                 backend="cpu")
    from_cli = dmf.load(tmp_path / "cli")
    for ours, theirs in zip(chain.blocks, from_cli.blocks):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        assert np.array_equal(ours, theirs), "factors differ from the CLI's"
    # The report has the CLI's fields (less what only the CLI knows).
    missing = set(line) - set(chain.report) - {"input", "out"}
    assert not missing, missing
    for key in ["size", "dtype", "tree", "tree_nested", "radix_m", "radix_n", "rank", "nnz", "blocks_failed"]:
        assert chain.report[key] == line[key], key
    assert len(chain.report["nodes"]) == len(line["nodes"])
    # save() writes the CLI's folder: the same factor files byte for byte,
    # chain.json the same but for the source (a file or built-in matrix
    # there, an array here), and the CLI reads it.
    chain.save(tmp_path / "py")
    assert sorted(os.listdir(tmp_path / "cli")) == sorted(os.listdir(tmp_path / "py"))
    for f in sorted(os.listdir(tmp_path / "cli")):
        if f != "chain.json":
            assert (tmp_path / "cli" / f).read_bytes() == (tmp_path / "py" / f).read_bytes(), f
    meta_cli, meta_py = (json.loads((tmp_path / d / "chain.json").read_text()) for d in ("cli", "py"))
    assert meta_py.pop("source") == {"python": "array", "dtype": args["dtype"]}
    meta_cli.pop("source")
    assert meta_py == meta_cli
    densified = tmp_path / "dense.npy"
    run_cli(dmf_cli, "butterfly", "densify", "--factors", tmp_path / "py", "--out", densified)
    assert np.array_equal(np.load(densified), chain.toarray())


def test_input_file_equal_to_cli(dmf_cli, tmp_path):
    rng = np.random.default_rng(1)
    A = rng.standard_normal((12, 18)) + 1j * rng.standard_normal((12, 18))
    np.save(tmp_path / "a.npy", A)
    run_cli(dmf_cli, "butterfly", "factor", "--input", tmp_path / "a.npy", "--radix-m", "3,2,2",
            "--radix-n", "2,3,3", "--out", tmp_path / "cli")
    chain = dmf.butterfly_factor(A, radix_m=[3, 2, 2], radix_n=[2, 3, 3])
    for ours, theirs in zip(chain.blocks, dmf.load(tmp_path / "cli").blocks):
        assert np.array_equal(ours, theirs)


@pytest.fixture(scope="module")
def dft():
    A = dmf.matrix("dft-bitrev", 64, dtype="c128")
    return A, dmf.butterfly_factor(A)


@pytest.fixture(scope="module")
def real_chain():
    A = dmf.matrix("random-chain", (24, 30), dtype="f64", seed=2, radix_m=[3, 2, 4], radix_n=[2, 5, 3])
    return A, dmf.butterfly_factor(A, radix_m=[3, 2, 4], radix_n=[2, 5, 3])


def close(x, y, tol=1e-13):
    return np.linalg.norm(np.asarray(x) - np.asarray(y)) <= tol * max(1.0, np.linalg.norm(np.asarray(y)))


def test_apply_layouts_and_ops(dft, real_chain):
    rng = np.random.default_rng(0)
    for A, chain in (dft, real_chain):
        m, n = A.shape
        X = rng.standard_normal((n, 5)) + (1j * rng.standard_normal((n, 5)) if A.dtype.kind == "c" else 0)
        X = X.astype(A.dtype)
        Z = rng.standard_normal((m, 3)).astype(A.dtype)
        assert close(chain @ X, A @ X)
        assert close(chain @ np.asfortranarray(X), A @ X)
        assert close(chain @ X[:, ::2], A @ X[:, ::2])                 # strided view
        assert close(chain @ X[:, 0], A @ X[:, 0])                     # 1-D
        assert close(chain.T @ Z, A.T @ Z) and close(chain.H @ Z, A.conj().T @ Z)
        assert close(chain.H.H @ X, A @ X) and close(chain.T.T @ X, A @ X)
        assert close(Z.T @ chain, Z.T @ A)                             # X @ chain
        assert close(chain @ np.round(X.real * 10).astype(np.int64), A @ np.round(X.real * 10))
        assert (chain @ X).dtype == A.dtype


def test_real_chain_complex_vectors(real_chain):
    A, chain = real_chain
    rng = np.random.default_rng(3)
    X = rng.standard_normal((30, 4)) + 1j * rng.standard_normal((30, 4))
    Y = chain @ X
    assert Y.dtype == np.complex128 and close(Y, A @ X)
    assert close(chain.T @ Y, A.T @ (A @ X))


def test_scipy_factors_and_blocks(real_chain):
    A, chain = real_chain
    import scipy.sparse as sp

    prod = np.eye(chain.shape[1])
    for f in reversed(chain.factors):
        assert sp.issparse(f)
        prod = f @ prod
    assert close(prod, A, 1e-12)
    assert sum(f.nnz for f in chain.factors) == chain.nnz
    blocks = chain.blocks
    assert [b.shape for b in blocks] == [(1, 8, 3, 2), (2, 4, 2, 5), (10, 1, 4, 3)]
    rebuilt = dmf.Chain.from_blocks(blocks, chain.radix_m, chain.radix_n)
    assert np.array_equal(rebuilt.toarray(), chain.toarray())
    # blocks are views on the chain: writing them changes the operator
    copy = dmf.Chain.from_blocks(blocks, chain.radix_m, chain.radix_n)
    copy.blocks[0][...] = 0
    assert not np.any(copy @ np.ones(30))


def test_save_load_round_trip(tmp_path, dft):
    A, chain = dft
    chain.save(tmp_path / "f")
    back = dmf.load(tmp_path / "f")
    assert back.shape == chain.shape and back.dtype == chain.dtype
    assert all(np.array_equal(a, b) for a, b in zip(back.blocks, chain.blocks))
    assert back.rel_error(A) == chain.rel_error(A)


def test_errors(tmp_path, dft):
    A, chain = dft
    with pytest.raises(ValueError, match="radix"):  # sizes that do not factor
        dmf.butterfly_factor(np.ones((6, 8)))
    with pytest.raises(dmf.InputError):
        dmf.butterfly_factor(np.ones((8, 8)), radix_m=[2, 4], radix_n=[2, 2])
    with pytest.raises(ValueError):
        dmf.butterfly_factor(np.ones((8, 8)), tree="balnced")
    with pytest.raises(ValueError):
        dmf.butterfly_factor(np.ones(8))
    with pytest.raises(ValueError):
        dmf.butterfly_factor(np.ones((8, 8)), rank=0)
    with pytest.raises(ValueError):
        dmf.butterfly_factor(np.ones((8, 8)), backend="tpu")
    with pytest.raises(TypeError):
        dmf.butterfly_factor(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(TypeError):
        dmf.butterfly_factor(np.ones((8, 8)), dtype="int8")
    bad = np.ones((8, 8))
    bad[3, 4] = np.nan
    with pytest.raises(dmf.NumericalError) as info:
        dmf.butterfly_factor(bad)
    assert isinstance(info.value, ArithmeticError)
    with pytest.raises(dmf.DeviceError):
        if dmf.info()["gpus"]:
            pytest.skip("a GPU is present")
        dmf.butterfly_factor(np.ones((8, 8)), backend="cuda")
    with pytest.raises(dmf.FileError) as info:
        dmf.load(tmp_path / "missing")
    assert isinstance(info.value, OSError)
    with pytest.raises(ValueError, match="rows"):
        chain @ np.ones(63)
    with pytest.raises(ValueError):
        chain @ np.ones((64, 2, 2))
    x = np.ones(64)
    x[1] = np.inf
    with pytest.raises(dmf.NumericalError):
        chain @ x
    with pytest.raises(ValueError):
        dmf.matrix("nope", 8)
    with pytest.raises(TypeError):
        dmf.Chain("not a handle")
    assert issubclass(dmf.ConvergenceError, dmf.NumericalError)


def test_version_and_info():
    assert dmf.__version__.count(".") == 2
    info = dmf.info()
    assert info["version"] == dmf.__version__
    chain = dmf.butterfly_factor(np.eye(4))
    assert chain.report["dmf_version"] == dmf.__version__
