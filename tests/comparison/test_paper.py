"""Paper-figure sections: small, seeded builds with sanity checks."""
from __future__ import annotations

import numpy as np

from comparison.paper_data import data_1d_probability, data_ball_probability, data_scenario_b
from comparison.report.paper import draw_1d_probability, draw_ball_probability, draw_scenario_b
from comparison.report import Report, setup_mpl as _setup_mpl


def _tables(rep: Report):
    return [val[0] for kind, val in rep.blocks if kind == "table"]


def test_1d_probability_section_agrees_with_eq14():
    _setup_mpl()
    rep = Report("t")
    draw_1d_probability(rep, data_1d_probability(n_replicas=300, seed=0))
    df = _tables(rep)[0]
    assert len(df) == 27 and set(df["N"]) == {2, 5, 10}
    assert np.max(np.abs(df["z"])) < 4.5  # 27 binomial comparisons, fixed seed
    assert any(kind == "fig" for kind, _ in rep.blocks)


def test_ball_probability_section_structure():
    _setup_mpl()
    rep = Report("t")
    draw_ball_probability(rep, data_ball_probability(n_replicas=100, seed=0))
    df = _tables(rep)[0]
    assert set(df["vary"]) == {"D", "lam2", "N", "eps"}
    d10 = df[(df["vary"] == "D") & (df["D"] == 10)].iloc[0]
    assert d10["lam2"] == 0.1 and d10["N"] == 10 and d10["eps"] == 1.01
    assert ((df["simulation"] >= 0) & (df["simulation"] <= 1)).all()


def test_scenario_b_section_runs_or_says_why_not():
    _setup_mpl()
    rep = Report("t")
    draw_scenario_b(rep, data_scenario_b(n_init=20, settings={"example1": [{"lam1": 0.01, "lam2": 0.0}]}))
    paragraphs = [val for kind, val in rep.blocks if kind == "p"]
    tables = _tables(rep)
    if tables:
        row = tables[0].iloc[0]
        assert row["example"] == "example1" and "failed" not in str(row["groks"])
    else:
        assert any("Skipped" in p and "run_scenario_b" in p for p in paragraphs)
