"""The package's keywords against the command line's option table: every
keyword of a function that mirrors a command is one of that command's
options (or a listed exception), and a value the command line refuses is
refused here with the same reason."""
import inspect
import subprocess

import numpy as np
import pytest

import dmf
from cli_runner import cli_path

# function, its command, keyword -> option where the names differ, and the
# keywords that are not options (the data, or a Python-only choice).
MIRRORS = [
    (dmf.butterfly_factor, "butterfly factor", {"compute_error": "no-error"}, {"A"}),
    (dmf.matrix, "matrix", {"name": "matrix"}, set()),
    (dmf.fsmf, "fsmf", {}, {"A"}),
    (dmf.liftrank, "liftrank", {"initial_samples": "samples"}, set()),
    (dmf.scatter, "scatter", {}, set()),
    (dmf.synth_network, "synth-network", {}, set()),
    (dmf.recover, "recover", {"x": "input"}, set()),
    (dmf.demod.synth, "demod synth", {}, set()),
    (dmf.demod.solve, "demod solve", {"sign_check": "no-sign-check"}, set()),
    (dmf.demod.sweep, "demod sweep", {"sign_check": "no-sign-check"}, {"progress"}),
]


@pytest.mark.parametrize("function,command,renamed,not_options", MIRRORS, ids=[m[1] for m in MIRRORS])
def test_every_keyword_is_an_option(function, command, renamed, not_options):
    options = {o["name"] for o in dmf.command_options(command)}
    # Results the functions return instead of writing them.
    options |= {"out", "trace", "spectrum", "sigma-min", "truth", "y0", "h0", "m0"} & {
        p.replace("_", "-") for p in inspect.signature(function).parameters}
    for keyword in inspect.signature(function).parameters:
        if keyword in not_options:
            continue
        option = renamed.get(keyword, keyword.replace("_", "-"))
        assert option in options, f"{function.__name__}({keyword}=) is not an option of 'dmf {command}'"


def test_table_as_declared():
    tree = {o["name"]: o for o in dmf.command_options("butterfly factor")}["tree"]
    assert tree["default"] == "balanced" and tree["kind"] == "value" and not tree["required"]
    backend = {o["name"]: o for o in dmf.command_options("fsmf")}["backend"]
    assert backend["choices"] == ["auto", "cpu", "cuda"]
    with pytest.raises(KeyError):
        dmf.command_options("butterfly factr")


def cli_reason(*args):
    """The reason `dmf ARGS` gives for a bad value (after '--OPTION: ')."""
    path = cli_path()
    if path is None:
        pytest.skip("the dmf command line is not built")
    done = subprocess.run([path, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    return done.stderr.splitlines()[0].split(": ", 2)[2]


A = np.eye(8)


@pytest.mark.parametrize("call,args", [
    (lambda: dmf.butterfly_factor(A, tree="balnced"), ["butterfly factor", "--tree", "balnced"]),
    (lambda: dmf.butterfly_factor(A, rank=0), ["butterfly factor", "--rank", "0"]),
    (lambda: dmf.butterfly_factor(A, radix_m=[2, 0, 2], radix_n=[2, 2, 2]),
     ["butterfly factor", "--radix-m", "2,0,2"]),
    (lambda: dmf.butterfly_factor(A, backend="gpu"), ["butterfly factor", "--backend", "gpu"]),
    (lambda: dmf.matrix("hadamrd", 8), ["matrix", "--matrix", "hadamrd"]),
    (lambda: dmf.demod.sweep([3], [20], step_rule="armijo"), ["demod sweep", "--step-rule", "armijo"]),
    (lambda: dmf.recover({"type": "conv"}, np.ones((2, 2)), p=0.5), ["recover", "--p", "0.5"]),
], ids=["tree", "rank", "radix", "backend", "matrix", "step-rule", "p"])
def test_same_reason_as_the_command_line(call, args):
    command, option, value = args[0], args[1], args[2]
    with pytest.raises(dmf.InputError) as info:
        call()
    reason = cli_reason(*command.split(), option, value, "--help")
    assert str(info.value) == f"{option[2:].replace('-', '_')}: {reason}"
