"""Shared fixtures."""
import pytest

from cli_runner import cli_path


@pytest.fixture(scope="session")
def dmf_cli():
    """Path of the dmf command line (see cli_runner.py); skips without one."""
    path = cli_path()
    if path is None:
        pytest.skip("the dmf command line is not built (build it into build/dmf or set DMF_CLI)")
    return path
