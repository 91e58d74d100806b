"""Keyword checks from the command line's own option table.

Every dmf command declares its options once, in C: their values, defaults
and help.  The functions of this package that mirror a command check their
keyword arguments against that table, so a value the command line refuses
is refused here with the same words (``tree='balnced'`` names the trees
and suggests 'balanced', as ``--tree balnced`` does).  Where a keyword
takes more than the command line (``dtype`` also takes NumPy dtypes,
permutations also take arrays), the function checks it itself.
"""
from typing import Any, Dict, List

import numpy as np

from . import _dmf


def command_options(command: str) -> List[Dict[str, Any]]:
    """The options of a dmf command as its ``--help`` declares them: name,
    kind ('value', 'flag' or 'positional'), choices, default, required,
    whether job files take it, help, and what a valid value is."""
    return _dmf.command_options(command)


_TABLES: Dict[str, Dict[str, Dict[str, Any]]] = {}


def _option(command, name):
    if command not in _TABLES:
        _TABLES[command] = {o["name"]: o for o in _dmf.command_options(command)}
    return _TABLES[command][name]


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _text(value, kind):
    """The command-line text of a value of an option of ``kind`` (the
    table's "type"), or None when the value is of another Python type: the
    function's own checks raise TypeError for those."""
    if kind == "integer" and _is_int(value):
        return str(int(value))
    if kind == "number" and (_is_int(value) or isinstance(value, (float, np.floating))):
        return "inf" if value == float("inf") else repr(float(value))
    if kind == "integers" and _is_int(value):
        return str(int(value))
    if kind == "integers" and isinstance(value, (list, tuple)) and value and all(_is_int(v) for v in value):
        return ",".join(str(int(v)) for v in value)
    if kind == "text" and isinstance(value, str):
        return value
    return None


def check(command: str, keywords: Dict[str, str] = None, **values) -> None:
    """Checks values against the options of ``command`` (``step_rule`` is
    option ``--step-rule``); raises dmf.InputError (a ValueError) naming
    the keyword (``keywords`` maps an option to a keyword of another name),
    with the command line's reason."""
    for option, value in values.items():
        text = _text(value, _option(command, option.replace("_", "-"))["type"])
        if text is None:
            continue
        why = _dmf.check_option(command, option.replace("_", "-"), text)
        if why is not None:
            raise _dmf.InputError(f"{(keywords or {}).get(option, option)}: {why}")
