"""dmf: deep structured matrix factorization on CPUs and NVIDIA GPUs.

A thin layer over the dmf C library: NumPy arrays go in and come out
without copies where their layout allows, the GIL is released while dmf
computes, and dmf's status codes become exceptions:

* ``dmf.InputError`` (a ``ValueError``): bad arguments, shapes, file contents;
* ``dmf.FileError`` (an ``OSError``): missing or unwritable files;
* ``dmf.OutOfMemoryError`` (a ``MemoryError``);
* ``dmf.NumericalError`` (an ``ArithmeticError``): non-finite input or a
  solver that failed; ``dmf.ConvergenceError`` carries the result anyway;
* ``dmf.DeviceError`` (a ``RuntimeError``): CUDA asked for and unusable.

All derive from ``dmf.DmfError``.  Wrong Python types raise ``TypeError``.
"""
from . import _dmf
from ._butterfly import butterfly_factor, digit_reversal, identify_permutations, matrix, matrix_names
from ._chain import Chain, ConvergenceError, load
from ._dmf import DeviceError, DmfError, FileError, InputError, NumericalError, OutOfMemoryError
from ._fsmf import fsmf
from ._palm import hierarchical, palm4msa
from ._lift import liftrank, recover, scatter, synth_network
from ._options import command_options
from . import demod

__version__ = _dmf.__version__


def info():
    """Version, build options, BLAS, and the GPUs found (as ``dmf info``)."""
    return _dmf.info()


__all__ = [
    "Chain", "ConvergenceError", "DeviceError", "DmfError", "FileError", "InputError", "NumericalError",
    "OutOfMemoryError", "butterfly_factor", "command_options", "digit_reversal", "identify_permutations", "info", "load", "matrix", "matrix_names", "__version__",
    "demod", "fsmf", "hierarchical", "palm4msa", "liftrank", "recover", "scatter", "synth_network",
]
