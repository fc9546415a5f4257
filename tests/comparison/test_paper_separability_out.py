"""``grokcheck paper separability --out``: the report, its figures and the data they draw (issue 22 item 4)."""
from __future__ import annotations

import math

import numpy as np

import pytest

from comparison.cli import main
from comparison.pipeline.paper_separability import figure_data, paper_separability
from tests.strict_json import strict_loads

ARGS = ["paper", "separability", "--N", "10", "20", "--lam", "0.3", "0.7", "--n-sets", "30", "--t-max", "1e2",
        "--seed", "5", "--no-progress", "--label-fraction"]


def _wendel_p_grok(N: int, d: int) -> float:
    """Independent form: P(not separable) = 2^{1-N} sum_{k=d}^{N-1} C(N-1, k) (0 when d >= N)."""
    return sum(math.comb(N - 1, k) for k in range(d, N)) / 2 ** (N - 1)


@pytest.fixture(scope="module")
def small():
    runs: list = []
    rows = paper_separability([10, 20], [0.3, 0.7], n_sets=30, t_max=1e2, seed=5, runs=runs, label_fractions=())
    return rows, runs


def test_out_writes_report_figures_and_strict_json(tmp_path, capsys):
    out, js = tmp_path / "rep", tmp_path / "rows.json"
    assert main([*ARGS, "--out", str(out), "--json", str(js)]) == 0
    md = (out / "report.md").read_text()
    for stem in ("separability-p-grok-lambda", "separability-a-gen-margin"):
        for ext in ("png", "pdf"):
            f = out / "figures" / f"{stem}.{ext}"
            assert f.stat().st_size > 1000 and f"figures/{stem}.png" in md
    assert (out / "report.html").exists() and "Clopper-Pearson" in md
    heads = [ln for ln in md.splitlines() if ln.startswith("| N |")]   # every part of a split table
    assert len(heads) >= 2 and all(h.startswith("| N | d | lam | r |") for h in heads)  # names its setting
    rows = strict_loads(js.read_text())
    assert [(r["N"], r["d"]) for r in rows] == [(10, 3), (10, 7), (20, 6), (20, 14)]
    # a second run may replace what grokcheck wrote; a user's own report.md only with --overwrite
    assert main([*ARGS, "--out", str(out)]) == 0
    (out / "report.md").write_text("mine")
    capsys.readouterr()
    assert main([*ARGS, "--out", str(out)]) == 2
    assert "--out" in capsys.readouterr().err and (out / "report.md").read_text() == "mine"


def test_figure_ci_contains_exact_law_and_excludes_wrong_ones(small):
    rows, runs = small
    data = figure_data(rows, runs)
    wrong_mirror = wrong_step = 0
    for s in data["p_grok"]:
        N = s["N"]
        for lam, (lo, hi) in zip(s["lam"], s["ci"]):
            d = round(lam * N)
            assert lo <= _wendel_p_grok(N, d) <= hi
            wrong_mirror += not lo <= 1 - _wendel_p_grok(N, d) <= hi      # P_sep drawn as P_grok
            wrong_step += not lo <= (1.0 if lam < 0.5 else 0.0) <= hi    # the N -> inf step at finite N
        for lam, p in zip(s["theory_lam"], s["theory_p"]):
            assert p == pytest.approx(_wendel_p_grok(N, round(lam * N)), abs=1e-12)
    assert wrong_mirror >= 3 and wrong_step >= 1


def test_a_gen_data_are_the_separable_runs(small):
    rows, runs = small
    a = figure_data(rows, runs)["a_gen"]
    n_sep = sum(r["n_runs"] - r["n_groks"] for r in rows)
    assert len(a["margin"]) == len(a["final_test_acc"]) == n_sep > 0
    assert all(m > 0 for m in a["margin"]) and all(0.5 <= x <= 1 for x in a["final_test_acc"])
    shifted = [dict(r, symmetric=False) for r in rows]
    assert figure_data(shifted, runs)["a_gen"] is None


def test_delay_json_is_strict_and_drawn(tmp_path, capsys):
    out, js = tmp_path / "rep", tmp_path / "delay.json"
    assert main(["paper", "separability", "--N", "10", "--lam", "0.4", "--n-sets", "6", "--t-max", "1e2",
                 "--no-progress", "--label-fraction", "--delay-N", "10", "--delay-lam", "0.2", "0.3", "0.4", "--delay-sets", "4",
                 "--delay-t-max", "1e4", "--delay-sigma", "2", "--delay-json", str(js), "--out", str(out)]) == 0
    doc = strict_loads(js.read_text())
    assert doc["verdict"]["quantity"] == "delay exponent" and doc["theory_exponent"] == 1.0
    assert [p["lam"] for p in doc["points"]] == [0.2, 0.3, 0.4]
    for p in doc["points"]:
        assert p["x"] == pytest.approx(-math.log(1 - 2 * p["lam"]))
    if doc["verdict"]["verdict"] == "not testable":
        assert doc["exponent"] is None and doc["null_reasons"]["verdict/z"].startswith("nan")
    assert (out / "figures" / "separability-delay.png").exists()
    assert "figures/separability-delay.png" in (out / "report.md").read_text()
    capsys.readouterr()
    assert main(["paper", "separability", "--N", "10", "--lam", "0.4", "--n-sets", "6", "--no-progress",
                 "--delay", "--delay-N", "10", "--delay-lam", "0.3", "0.5"]) == 2
    assert "--delay-lam" in capsys.readouterr().err


def _law(N: int, d: int, r: float) -> float:
    return r ** N * _wendel_p_grok(N, d)


def test_asymmetric_rows_json_delay_row_and_one_heading(tmp_path, capsys):
    """r < 1 rows: symmetric false, Wendel null with its reason, the exact law r^N (1 - P_sep) judged;
    --json - carries the delay row when --delay is given; the report has one top heading."""
    out = tmp_path / "rep"
    capsys.readouterr()
    assert main(["paper", "separability", "--N", "10", "--lam", "0.3", "0.7", "--n-sets", "40", "--t-max", "1e2",
                 "--seed", "2", "--no-progress", "--label-fraction", "0.9", "--label-N", "10", "--json", "-",
                 "--out", str(out), "--delay", "--delay-N", "10", "--delay-lam", "0.2", "0.3", "0.4",
                 "--delay-sets", "4", "--delay-t-max", "1e4", "--delay-sigma", "2"]) == 0
    doc = strict_loads(capsys.readouterr().out)
    assert [r["kind"] for r in doc] == ["p_grok"] * 4 + ["delay"]
    assert doc[-1]["verdict"]["quantity"] == "delay exponent" and len(doc[-1]["points"]) == 3
    sym, asym = doc[:2], doc[2:4]
    assert all(r["symmetric"] and r["label_fraction"] == 1.0 for r in sym)
    for r, base in zip(asym, sym):
        assert r["symmetric"] is False and r["label_fraction"] == 0.9 and (r["N"], r["d"]) == (base["N"], base["d"])
        assert r["p_grok_wendel"] is None and r["null_reasons"]["p_grok_wendel"].startswith("nan")
        assert r["verdict"].startswith("not testable") and "label_fraction = 0.9" in r["verdict"]
        assert r["p_grok_exact"] == pytest.approx(_law(r["N"], r["d"], 0.9), rel=1e-12)
        lo, hi = r["p_grok_sim_ci"]
        assert lo <= r["p_grok_exact"] <= hi and r["verdict_exact"] in ("agrees", "disagrees")
        assert r["p_threshold_ci"][0] <= r["p_threshold"] <= r["p_threshold_ci"][1]
        vs = r["vs_constant_label"]
        assert vs["p_threshold"] == base["p_threshold"] and 0 <= vs["fisher_p"] <= 1
        assert vs["delta_p_threshold"] == pytest.approx(r["p_threshold"] - base["p_threshold"])
    series = {(x["N"], x["label_fraction"]): x for x in figure_data(doc[:4])["p_grok"]}
    law = series[(10, 0.9)]
    assert law["theory_lam"] and all(p == pytest.approx(_law(10, round(lam * 10), 0.9), rel=1e-12)
                                     for lam, p in zip(law["theory_lam"], law["theory_p"]))
    md = (out / "report.md").read_text()
    assert sum(line.startswith("# ") for line in md.splitlines()) == 1
    assert "## Label fraction r < 1 (App. I)" in md
    html = (out / "report.html").read_text()
    assert html.count("<h1>") == 1


def test_delay_points_carry_bootstrap_se():
    from comparison.pipeline.separability_delay import bootstrap_se_of_mean

    y = np.random.default_rng(0).exponential(size=40)
    B = 4000
    se = bootstrap_se_of_mean(y, n_boot=B, seed=1)
    plug_in = np.std(y) / np.sqrt(y.size)   # the bootstrap s.d. of a mean estimates s_(ddof=0)/sqrt(n)
    assert abs(se / plug_in - 1) < 4 / np.sqrt(2 * B)
    assert abs(np.std(y) / plug_in - 1) > 0.5          # the s.d. of the runs themselves is rejected
    assert bootstrap_se_of_mean(y[:1], n_boot=B, seed=1) is None
