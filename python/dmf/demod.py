"""Blind demodulation with ReLU generators (Hand & Joshi), as ``dmf demod``.

``synth`` draws problems, ``solve`` runs Algorithm 1, ``sweep`` measures
success rates over a grid of sizes; ``Generator`` wraps a ReLU network.
The same seeds give the same problems, starts and results as the command
line's ``dmf demod synth|solve|sweep``.
"""
from ._demod import Generator, gaussian_field, gaussian_fields, solve, sweep, synth

__all__ = ["Generator", "gaussian_field", "gaussian_fields", "solve", "sweep", "synth"]
