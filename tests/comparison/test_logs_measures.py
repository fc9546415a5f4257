"""--measure-col: a planted log whose measure leads the test onset by a known amount."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.special import erf

from comparison import load_table
from comparison.cli import main
from tests.strict_json import strict_loads

LEAD, STEP = 1000.0, 50.0


def _log(path):
    rng = np.random.default_rng(0)
    t = np.arange(0, 10000, STEP)
    rows = []
    for r in range(8):
        o = 4000 + 250 * r
        te = np.clip(0.5 - 0.5 * erf(1.5e-3 * (t - o)) + rng.normal(0, 0.01, t.size), 0, 1)
        wn = 10 - 2 * (1 + erf(1.5e-3 * (t - (o - LEAD))))
        rows.append(pd.DataFrame({"run": r, "step": t, "test_acc": 1 - te, "wnorm": wn, "tag": "x"}))
    pd.concat(rows).to_csv(path, index=False)
    return path


def _fit(f, *extra):
    return main(["fit", str(f), "--time-col", "step", "--accuracy-col", "test_acc", "--run-col", "run",
                 "--json", "-", *extra])


def test_measure_lead_recovered_in_fit_json(tmp_path, capsys):
    f = _log(tmp_path / "log.csv")
    assert _fit(f, "--measure-col", "wnorm") == 0
    d = strict_loads(capsys.readouterr().out)
    m = d["measures"]["wnorm"]
    lo, hi = m["lead"]["ci"]
    # t_f is up to one logged step late: the lead of the log lies in [LEAD - STEP, LEAD]
    assert lo <= LEAD and hi >= LEAD - STEP
    assert not lo <= LEAD + 300 <= hi
    assert m["lead"]["n"] == 8


@pytest.mark.parametrize("col,needle", [("nope", "no such column"), ("tag", "not numeric")])
def test_bad_measure_column_named_with_the_columns(tmp_path, capsys, col, needle):
    f = _log(tmp_path / "log.csv")
    assert _fit(f, "--measure-col", col) != 0
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert needle in err and repr(col) in err and "wnorm" in err


def test_report_part_table_and_figure(tmp_path):
    from comparison.report.measures_section import fig_measure, measures_table

    f = _log(tmp_path / "log.csv")
    rs = load_table(f, columns={"time": "step", "accuracy": "test_acc", "run": "run", "measures": ["wnorm"]})
    ms = rs.config["load"]["measures"]
    json.dumps(ms, allow_nan=False)
    assert list(measures_table(ms)["measure"]) == ["wnorm"]
    assert fig_measure(SimpleNamespace(config=rs.config, name="log"), "wnorm") is not None


def test_fit_text_output_has_scurve_and_lead_rows(tmp_path, capsys):
    f = _log(tmp_path / "log.csv")
    assert main(["fit", str(f), "--time-col", "step", "--accuracy-col", "test_acc", "--run-col", "run",
                 "--measure-col", "wnorm"]) == 0
    out = capsys.readouterr().out
    assert "S-curve onset test" in out and "lead of wnorm" in out
