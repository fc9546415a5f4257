"""Issue 23 item 6: the summary box lists the largest disagreements (never agreements), a
documented disagreement links its errata entry, time axes carry the unit, and every run-set
section shows the run set's full config."""
from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest

from comparison.agreement import Verdict, analyse
from comparison.report import build_report, write_report
from comparison.report.errata import ERRATA_FILE, equations_in, errata_index, errata_link, load_errata
from comparison.runset import RunSet


@pytest.fixture(scope="module")
def planted():
    import perceptron_theory as pt

    res = pt.simulate_exponential(5, 0.4, n_replicas=40, seed=1, progress=False)
    a = analyse(RunSet(res.config, res.curves, res.summary, res.features))
    rows = [Verdict.estimate("P_grok planted", 0.006, 0.0024, 0.9, theory="Eq. 30/32 (large lambda)"),  # |z| huge
            Verdict.estimate("mean t_G planted", 1.5, 0.1, 1.0, theory="no such equation"),             # z = 5
            Verdict.bound("P_grok (lower bound)", 1.0, 0.004, 0.0395, side="lower", theory="Eq. 33")]   # holds, z big
    rows = pd.DataFrame([r.row() for r in rows])
    assert list(rows["verdict"]) == ["disagrees", "disagrees", "bound holds"]
    return dataclasses.replace(a, name="planted", verdicts=pd.concat([a.verdicts, rows], ignore_index=True))


@pytest.fixture(scope="module")
def report_md(planted, tmp_path_factory):
    out = tmp_path_factory.mktemp("prov")
    write_report(build_report([planted], title="prov", variants=False), out)
    return (out / "report.md").read_text()


def _box(md: str) -> list[str]:
    return [ln for ln in md.splitlines() if ln.startswith(">")]


def test_summary_lists_the_largest_disagreement_first_and_no_agreement(report_md, planted):
    box = [ln for ln in _box(report_md) if "largest disagreement" in ln]
    assert len(box) == 2, box  # exactly the two planted disagreements; the far-safe bound is not listed
    assert "P_grok planted" in box[0] and "mean t_G planted" in box[1]
    agreeing = planted.verdicts.loc[planted.verdicts["verdict"].isin(["agrees", "bound holds"]), "quantity"]
    for q in agreeing:
        assert not any(f"— {q}]" in ln for ln in box), q


def test_documented_disagreement_links_its_errata_entry(report_md):
    box = [ln for ln in _box(report_md) if "largest disagreement" in ln]
    assert ERRATA_FILE.is_file()
    assert re.search(r"documented: \[errata: Eq\. 30 [^]]*\]\(#erratum-[\w-]+\)", box[0]), box[0]
    assert "errata" not in box[1]
    row = next(ln for ln in report_md.splitlines() if ln.startswith("|") and "P_grok planted" in ln)
    assert "(#erratum-eq30-large-lambda)" in row
    ids = {e.anchor for e in load_errata()}
    anchor = re.search(r"\(#(erratum-[\w-]+)\)", box[0]).group(1)
    assert anchor in ids and f'<a id="{anchor}"></a>' in report_md  # the report's own copy of the entry


def test_errata_index_matches_by_package_and_equation():
    idx = errata_index("## pkg_a (x)\n### Misprints\n| Eq. 8 | a | b |\n## pkg_b\n**Eq. 8 (other).** t\n")
    assert [(e.package, e.anchor) for e in idx] == [("pkg_a", "erratum-pkg_a-misprints"),
                                                    ("pkg_a", "erratum-pkg_a-eq-8"), ("pkg_b", "erratum-pkg_b-eq-8-other")]
    bad = {"theory": "Eq. 8", "verdict": "disagrees"}
    assert errata_link(bad, "pkg_b.sim", idx).endswith("(#erratum-pkg_b-eq-8-other)")
    assert errata_link({**bad, "theory": "Eq. 9"}, "pkg_b.sim", idx) == ""
    assert errata_link(bad, "pkg_c", idx) == ""
    assert equations_in("Eq. 30/32 (large lambda)") == (30,)


def test_every_time_axis_label_carries_the_unit(planted):
    from comparison.report.figures import fig_d_eff_aligned, fig_nu_fit, fig_runs, fig_sensitivity, fig_t_G, time_unit
    from comparison.report.style import setup_mpl

    setup_mpl()
    unit = time_unit(planted)
    assert unit == planted.config["time_unit"] == "gradient-flow time"
    figs = [fig_t_G(planted), fig_sensitivity(planted), fig_nu_fit(planted.nu, unit=unit), fig_runs(planted)]
    if planted.d_eff_aligned is not None and len(planted.d_eff_aligned):
        figs.append(fig_d_eff_aligned(planted))
    n = 0
    for fig in figs:
        for ax in fig.axes:
            lab = ax.get_xlabel()
            if re.search(r"t_G|tau|\\tau|time", lab):
                assert f"[{unit}]" in lab, lab
                n += 1
    assert n >= 4  # t_G, window start, τ of the fit's residuals, time of the runs


def test_section_shows_the_full_config(report_md, planted):
    cfg_line = next(ln for ln in report_md.splitlines() if "config: " in ln)
    for k in planted.config:
        assert f"{k} = " in cfg_line, k


def test_errata_link_survives_into_html(planted, tmp_path):
    write_report(build_report([planted], title="prov", variants=False), tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert re.search(r'documented: <a href="#erratum-[\w-]+">errata: Eq\. 30', html), \
        re.findall(r"documented: .{0,200}", html)[:1]


def test_build_report_shows_a_figure_progress_bar(planted, capsys):
    rep = build_report([planted], title="prov", variants=False, progress=True)
    err = capsys.readouterr().err
    n = sum(1 for b in rep.blocks if b[0] == "fig")
    assert n >= 3 and "drawing report figures" in err and f"{n}figure" in err.replace(" ", ""), err[-300:]
    build_report([planted], title="prov", variants=False)
    assert "drawing report figures" not in capsys.readouterr().err
