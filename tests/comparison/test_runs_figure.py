"""A run that never groks still gets its curve drawn; external data are labelled "runs" (issue 12)."""
from __future__ import annotations

import json

from comparison.cli import main


def test_never_grokking_run_is_drawn_and_labelled_runs(tmp_path, capsys):
    (tmp_path / "never.csv").write_text("run,t,test_error\n0,0,0.5\n0,1,0.3\n0,2,0.2\n")
    assert main(["fit", str(tmp_path / "never.csv")]) == 0
    fits = json.loads((tmp_path / "never.csv.fits.json").read_text())
    prev = fits["curves_preview"]
    assert prev["run"] == [0, 0, 0] and prev["test_error"] == [0.5, 0.3, 0.2] and prev["groks"] == [False] * 3
    assert main(["report", str(tmp_path / "never.csv"), "--out", str(tmp_path / "rep"), "--no-progress"]) == 0
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "never-csv-runs.png" in md and (tmp_path / "rep" / "figures" / "never-csv-runs.png").is_file()

    from comparison.agreement import Analysis
    from comparison.report.figures import fig_runs

    fig = fig_runs(Analysis.from_dict(fits))
    labels = [t.get_text() for leg in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
              for t in leg.get_texts()]
    assert labels == ["runs: never grokking"]
