"""Warnings on the command line (issue 26, items 2 and 6): terminal-safe, and no numerical
warning before the one line of a refusal.

A user's theory file lives in a directory whose name carries a terminal escape and a bidi
override and warns with a column name that carries them too: the warning's location and
message come out as visible escapes. A theory whose numbers are degenerate (numpy's
``invalid value`` RuntimeWarning) and that then refuses leaves exactly one stderr line.
"""
from __future__ import annotations

import warnings

from comparison.safe_text import terminal_safe

from .harness import cli, raw_control

EVIL = "\x1b[2J\x1b]0;pwned\x07\u202e"
_PREDICT = '''
import warnings
import numpy as np
warnings.warn("column 'c{evil}' has no unit", UserWarning)
applies_to = "perceptron-ball"


def predict(config):
    {body}
'''


def _theory(tmp, body: str):
    d = tmp / f"th{EVIL}"
    d.mkdir()
    p = d / f"t{EVIL}.py"
    p.write_text(_PREDICT.format(evil=EVIL, body=body))
    return p


def test_a_warning_from_data_is_printed_escaped(tmp_path):
    p = _theory(tmp_path, 'return {"P_grok": 0.5, "nu": (2.0, 0.1)}')
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        res = cli("theory", p, "--D", "3", "--N", "4")
    assert res.rc == 0, res.err
    assert raw_control(res.out, res.err) is None
    assert "UserWarning: column 'c" + terminal_safe(EVIL) + "' has no unit" in res.err
    assert terminal_safe(str(p)) in res.err             # the location, escaped too


def test_numerical_warnings_do_not_precede_a_refusal(tmp_path):
    body = 'x = np.float64(0.0) / np.float64(0.0)\n    raise ValueError(f"nu is {x}: refused")'
    p = _theory(tmp_path, body)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        res = cli("theory", p, "--D", "3", "--N", "4")
    assert res.rc == 2
    lines = [ln for ln in res.err.splitlines() if "UserWarning" not in ln]
    assert lines == [ln for ln in lines if ln.startswith("grokcheck: error:")] and len(lines) == 1
    assert "RuntimeWarning" not in res.err and "invalid value" not in res.err
    assert raw_control(res.err) is None


def test_numerical_warnings_of_a_success_are_still_shown(tmp_path):
    body = 'x = np.float64(1.0) / np.float64(0.0)\n    return {"P_grok": 0.5, "nu": (2.0, 0.1)}'
    p = _theory(tmp_path, body)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        res = cli("theory", p, "--D", "3", "--N", "4")
    assert res.rc == 0, res.err
    assert "RuntimeWarning: divide by zero" in res.err    # a real warning is not hidden
    assert raw_control(res.err) is None
