"""The RFM training-fraction phase diagram as a product (issue 14): a tiny sweep run end to end,
reported with the phase section (accuracy and t_99 against the fraction), no theory claimed."""
from __future__ import annotations

from comparison.cli import main
from comparison.sweep import run_sweep


def test_rfm_phase_sweep_reports_the_phase_diagram(tmp_path, capsys):
    cfg = {"sweep": {"simulator": "rfm", "seed": 0, "runs_per_setting": 2, "chunk": 1},
           "fixed": {"n_iter": 4, "p": 11}, "grid": {"op": ["+"], "train_frac": [0.3, 0.7]}}
    res = run_sweep(cfg, tmp_path / "sw", n_workers=0, progress=False)
    assert res.ok and res.n_tasks == 4
    assert main(["report", str(tmp_path / "sw"), "--out", str(tmp_path / "rep"), "--no-progress"]) == 0
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "Phase diagram against the training fraction" in md and "phase-diagram.png" in md
    assert "No theory prediction" in md
    table = md.split("# Phase diagram against the training fraction", 1)[1]
    assert "| + | 11 | 0.3 | 2 |" in table and "| + | 11 | 0.7 | 2 |" in table
