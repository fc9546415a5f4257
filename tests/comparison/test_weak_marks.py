"""Issue 23, item 4: a weak ν is never shown bare — report.md, report.html, figures and ``grokcheck fit``.

The planted table has 4 runs of an exact power law: ν is right, but from < 10 runs the fit is weak,
and every place that prints the number must say so next to it.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from comparison.cli import main


@pytest.fixture(scope="module")
def weak_table(tmp_path_factory):
    rng = np.random.default_rng(0)
    t = np.linspace(0, 10, 2001)
    rows = []
    for r in range(4):
        te = rng.uniform(5, 9)
        e = np.clip(0.05 * np.clip(te - t, 0, None) ** 1.5, 0, 0.5) * np.exp(0.02 * rng.standard_normal(t.size))
        rows.append(pd.DataFrame({"run": f"r{r}", "t": t, "test_error": np.where(t < te, e, 0.0)}))
    path = tmp_path_factory.mktemp("weak") / "table.csv"
    pd.concat(rows).to_csv(path, index=False)
    return path


def _run(argv, capsys):
    rc = main(argv)
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    return cap.out


NU_NUMBER = re.compile(r"ν = [0-9]")


def test_fit_lines_mark_every_weak_nu(weak_table, tmp_path, capsys):
    out = _run(["fit", str(weak_table), "--out", str(tmp_path / "f.json"), "--n-boot", "50"], capsys)
    fits = json.loads((tmp_path / "f.json").read_text())["nu"]
    assert fits["weak"] and "< 10 runs" in fits["flags"]
    lines = [ln.strip() for ln in out.splitlines()]
    nu_lines = [ln for ln in lines if re.match(r"nu( in tau \[.*\])?\s+[-0-9]", ln)]
    assert len(nu_lines) >= 2  # the headline and the window above it
    assert all("weak:" in ln for ln in nu_lines), nu_lines
    assert all("flags" in w and "< 10 runs" in w["flags"] for w in fits["windows"].values())
    verdict = [ln for ln in lines if ln.startswith("verdict")]
    assert not any("nan" in ln for ln in verdict), verdict


def test_report_md_and_html_mark_every_weak_nu(weak_table, tmp_path, capsys):
    _run(["report", str(weak_table), "--out", str(tmp_path / "r"), "--format", "md,html", "--no-progress"], capsys)
    for name in ("report.md", "report.html"):
        text = (tmp_path / "r" / name).read_text()
        shown = [m.start() for m in NU_NUMBER.finditer(text)]
        assert shown, name
        for pos in shown:  # the flag follows the number within its sentence
            assert "weak" in text[pos:pos + 160], (name, text[pos:pos + 160])


def test_figures_mark_a_weak_nu(weak_table, tmp_path, capsys):
    import matplotlib.pyplot as plt

    from comparison.agreement import Analysis
    from comparison.report.figures import fig_nu_fit, fig_sensitivity

    _run(["fit", str(weak_table), "--out", str(tmp_path / "f.json"), "--n-boot", "50"], capsys)
    a = Analysis.from_dict(json.loads((tmp_path / "f.json").read_text()))  # as the report reads it
    assert a.nu.weak
    for fig in (fig_nu_fit(a.nu), fig_sensitivity(a)):
        texts = [t.get_text() for ax in fig.axes for leg in ([ax.get_legend()] if ax.get_legend() else [])
                 for t in leg.get_texts()] + [t.get_text() for leg in fig.legends for t in leg.get_texts()]
        nu_labels = [t for t in texts if "nu$ =" in t]
        assert nu_labels and all("weak: " in t and "< 10 runs" in t for t in nu_labels), texts
        plt.close(fig)
