"""S-curve onsets of a log in ``fit --json -`` (strict JSON) and the load summary."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
from scipy.special import erf

from comparison import load_table
from comparison.cli import main
from tests.strict_json import strict_loads

ONSETS = 4000.0 + 300.0 * np.arange(6)
TRAIN_ONSET = 1000.0


def _log(path, sigma=0.01):
    rng = np.random.default_rng(0)
    t = np.arange(0, 10000, 50.0)
    rows = []
    for r, o in enumerate(ONSETS):
        te = np.clip(0.5 - 0.5 * erf(1.5e-3 * (t - o)) + rng.normal(0, sigma, t.size), 0, 1)
        tr = np.clip(0.5 - 0.5 * erf(3e-3 * (t - TRAIN_ONSET)) + rng.normal(0, sigma, t.size), 0, 1)
        rows.append(pd.DataFrame({"run": r, "step": t, "test_acc": 1 - te, "train_acc": 1 - tr}))
    pd.concat(rows).to_csv(path, index=False)
    return path


def test_fit_json_has_scurve_onsets_and_relative_gap(tmp_path, capsys):
    f = _log(tmp_path / "log.csv")
    rc = main(["fit", str(f), "--time-col", "step", "--accuracy-col", "test_acc", "--train-accuracy-col",
               "train_acc", "--run-col", "run", "--json", "-"])
    assert rc == 0
    out = capsys.readouterr().out
    d = strict_loads(out)
    sc = d["scurve"]
    assert sc["test"]["n_fitted"] == 6 and sc["train"]["n_fitted"] == 6
    for r, o in enumerate(ONSETS):
        e = sc["test"]["runs"][str(r)]
        assert abs(e["onset"] - o) < 4 * e["onset_se"]
        assert abs(e["onset"] - (o + 150)) > 4 * e["onset_se"]  # a wrong onset is rejected
    lo, hi = sc["relative_gap"]["ci"]
    truth = np.median(ONSETS) / TRAIN_ONSET - 1
    assert lo <= truth <= hi


def test_load_table_records_scurve_without_nan(tmp_path):
    f = _log(tmp_path / "log.csv")
    rs = load_table(f, columns={"time": "step", "accuracy": "test_acc", "run": "run"})
    json.dumps(rs.config["load"]["scurve"], allow_nan=False)
    assert rs.config["load"]["scurve"]["test"]["preview"]


def test_report_part_table_and_figure(tmp_path):
    from types import SimpleNamespace

    from comparison.report.scurve_section import fig_scurves, scurve_table, sharpness_table

    f = _log(tmp_path / "log.csv")
    rs = load_table(f, columns={"time": "step", "accuracy": "test_acc", "train_accuracy": "train_acc",
                                "run": "run"})
    sc = rs.config["load"]["scurve"]
    tab = scurve_table(sc)
    assert list(tab["curve"]) == ["test", "train"] and (tab["runs fitted"] == "6 of 6").all()
    sharp = sharpness_table(sc)   # the report's gap-and-sharpness table: m, R_abs, R_rel with CIs
    assert list(sharp["quantity"]) == ["relative gap m", "absolute sharpness R_abs", "relative sharpness R_rel"]
    assert (sharp["runs"] == 6).all() and sharp["median [95% CI]"].str.contains(r"\[").all()
    a = SimpleNamespace(config=rs.config, name="log")
    fig = fig_scurves(a)
    assert fig is not None
    ax = fig.axes[0] if hasattr(fig, "axes") else fig
    assert "t" in ax.get_xlabel()


def test_grokking_sharpness_recovers_planted_values(tmp_path, capsys):
    """Planted s_test = 1.5e-3 and s_train = 3e-3 per step: R_abs = 1.5e-3 (Eq. S3), R_rel = 0.5 (Eq. S4).

    20 runs between 0.1 and 0.9, Gaussian noise never clipped (clipping at 0 and 1 biases s)."""
    rng = np.random.default_rng(1)
    t = np.arange(0, 10000, 50.0)
    f = tmp_path / "sharp.csv"
    pd.concat([pd.DataFrame({"run": r, "step": t,
                             "test_acc": 0.5 + 0.4 * erf(1.5e-3 * (t - o)) + rng.normal(0, 0.01, t.size),
                             "train_acc": 0.5 + 0.4 * erf(3e-3 * (t - 1000)) + rng.normal(0, 0.01, t.size)})
               for r, o in enumerate(rng.uniform(4000, 6000, 20))]).to_csv(f, index=False)
    rc = main(["fit", str(f), "--time-col", "step", "--accuracy-col", "test_acc", "--train-accuracy-col",
               "train_acc", "--run-col", "run", "--json", "-", "--scale", "fraction"])
    assert rc == 0
    sc = strict_loads(capsys.readouterr().out)["scurve"]
    ra, rr = sc["sharpness_abs"], sc["sharpness_rel"]
    assert ra["n"] == 20 and rr["n"] == 20
    assert ra["ci"][0] <= 1.5e-3 <= ra["ci"][1] and abs(ra["median"] / 1.5e-3 - 1) < 0.05
    assert rr["ci"][0] <= 0.5 <= rr["ci"][1] and abs(rr["median"] - 0.5) < 0.05
    assert not rr["ci"][0] <= 2.0 <= rr["ci"][1]   # the inverted ratio s_train / s_test is rejected
    for r in range(20):   # per run: R_rel is the ratio of the two fitted sharpnesses
        s_te, s_tr = sc["test"]["runs"][str(r)]["sharpness"], sc["train"]["runs"][str(r)]["sharpness"]
        assert abs(rr["runs"][str(r)] - s_te / s_tr) < 1e-12 and ra["runs"][str(r)] == s_te
    rc = main(["fit", str(f), "--time-col", "step", "--accuracy-col", "test_acc", "--train-accuracy-col",
               "train_acc", "--run-col", "run", "--time-unit", "step", "--scale", "fraction"])
    text = capsys.readouterr().out
    assert "sharpness R_abs = s_test" in text and "per step" in text and "sharpness R_rel = s_test/s_train" in text


def test_report_part_carries_the_sharpness_table(tmp_path):
    from types import SimpleNamespace

    from comparison.report.scurve_section import add_scurve_part

    f = _log(tmp_path / "log.csv")
    rs = load_table(f, columns={"time": "step", "accuracy": "test_acc", "train_accuracy": "train_acc",
                                "run": "run"})
    calls = []
    rep = SimpleNamespace(p=lambda text: calls.append(("p", text)), table=lambda t: calls.append(("table", t)),
                          figure=lambda *a: calls.append(("figure", a)))
    add_scurve_part(rep, SimpleNamespace(config=rs.config, name="log"))
    tables = [c[1] for c in calls if c[0] == "table"]
    assert len(tables) == 2 and "relative sharpness R_rel" in list(tables[1]["quantity"])
    assert any("Miller et al. 2024, Sec. 2" in c[1] for c in calls if c[0] == "p")
