"""``grokcheck fit`` prints its table for every run set (issue 26, "Tracebacks"): a small 1D run
set whose t_G admits no two-component fit (ΔBIC = -inf, stored as the string "-inf" in
fits.json) used to end in "Unknown format code 'f' for object of type 'str'"."""
from __future__ import annotations

import re

from .harness import cli

SIM = ["simulate", "perceptron-1d", "--N", "5", "--eps", "0.2", "--replicas", "50", "--no-progress"]


def test_fit_table_of_a_small_1d_run_set(tmp_path):
    rs = tmp_path / "rs"
    assert cli(*SIM, "--out", rs).rc == 0
    first = cli("fit", rs)                   # fits, writes fits.json, prints the table from it
    assert first.rc == 0, first.err
    again = cli("fit", rs)                   # reads the up-to-date fits.json
    assert again.rc == 0, again.err
    assert first.out == again.out
    row = next(ln for ln in first.out.splitlines() if "t_G bimodal" in ln and "verdict" not in ln)
    assert "no two-component fit" in row or re.search(r"Delta-BIC -?\d", row), row
    assert not re.search(r"\b(nan|-?inf)\b", first.out), first.out
    res = cli("report", rs, "--out", tmp_path / "rep", "--no-progress")
    assert res.rc == 0, res.err
