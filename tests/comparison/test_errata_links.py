"""Issue 23 item 6: a verdict row links its errata entry by the id its theory names (a ν row of
Eq. 50, a circulant row of a user theory for RFM) or, failing that, by equation number; the
link points into the report's own copy of the entry, so it resolves wherever the report is
written, and that copy names the full entry's file, which exists."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd
import pytest

from comparison.agreement import analyse
from comparison.agreement.rows import Measured, verdict_rows
from comparison.registry import get_theory, load_theory, run_theory
from comparison.report import build_report, write_report
from comparison.report.errata import ERRATA_FILE, cited_errata, errata_index, errata_link, load_errata, row_erratum
from comparison.runset import RunSet

CIRCULANT = ('name = "circulant-literal"\napplies_to = "rfm"\n'
             'def predict(config):\n'
             '    return {"P_grok": {"value": 0.0, "source": "circulant deviation, literal normalisation (<= 1/p)",\n'
             '                       "erratum": "erratum-circulant-normalisation"}}\n')


@pytest.fixture(scope="module")
def one_d():
    import perceptron_theory as pt

    res = pt.simulate_exponential(5, 0.4, n_replicas=40, seed=1, progress=False)
    return analyse(RunSet(res.config, res.curves, res.summary, res.features))


def _measured(a):
    return Measured(a.config, a.counts, a.nu, a.nu_error, np.array([]), None)


@pytest.fixture(scope="module")
def nu_row(one_d):
    """The built-in Eq. 50 theory at D_eff = 9, ξ = 0.25 (ν = 4.75) against the 1D run set's ν ≈ 1."""
    spec = get_theory("eq50")
    rows, _, _ = verdict_rows(_measured(one_d), spec, run_theory(spec, {}, {"d_eff": 9.0, "xi": 0.25}))
    return rows[0].row()


@pytest.fixture(scope="module")
def circulant_row(one_d, tmp_path_factory):
    f = tmp_path_factory.mktemp("circ") / "circulant.py"
    f.write_text(CIRCULANT)
    spec = load_theory(str(f))
    rows, _, _ = verdict_rows(_measured(one_d), spec, run_theory(spec, {}, {}))
    return rows[0].row()


@pytest.fixture(scope="module")
def analyses(one_d, nu_row, circulant_row):
    nu_a = dataclasses.replace(one_d, name="scenario-b-like", model="local_rules",
                               generator="local_rules:run_scenario_b", verdicts=pd.DataFrame([nu_row]))
    rfm = dataclasses.replace(one_d, name="rfm-like", model="modular_rfm", generator="modular_rfm:run_rfm",
                              verdicts=pd.DataFrame([circulant_row]))
    return [nu_a, rfm]


def test_theories_name_their_erratum_and_the_ids_exist(nu_row, circulant_row):
    ids = {e.anchor for e in load_errata()}
    assert nu_row["quantity"] == "nu" and nu_row["verdict"] == "disagrees", nu_row
    assert nu_row["erratum"] == "erratum-eq50-nu" in ids
    assert circulant_row["verdict"] == "disagrees" and circulant_row["erratum"] == "erratum-circulant-normalisation"
    assert "erratum-circulant-normalisation" in ids
    for spec in ("ball", "eq50", "linear-estimator-eq12"):  # every built-in id is an entry of the file
        assert set(get_theory(spec).errata.values()) <= ids, spec
    text = ERRATA_FILE.read_text(encoding="utf-8")
    for i in ("erratum-eq50-nu", "erratum-circulant-normalisation"):  # stable: written in the file itself
        assert f'<a id="{i}"></a>' in text


def test_explicit_id_first_equation_number_as_fallback():
    idx = errata_index('## pkg_a (x)\n<a id="erratum-x"></a>\n**No equation here.** text one\n\n'
                       '**Eq. 8 (other).** text two\n')
    assert [(e.anchor, e.equations) for e in idx] == [("erratum-x", ()), ("erratum-pkg_a-eq-8-other", (8,))]
    bad = {"theory": "Eq. 8", "verdict": "disagrees"}
    assert row_erratum({**bad, "erratum": "erratum-x"}, "zzz", idx).anchor == "erratum-x"  # no package needed
    assert row_erratum(bad, "pkg_a.sim", idx).anchor == "erratum-pkg_a-eq-8-other"
    assert row_erratum({**bad, "verdict": "agrees", "erratum": "erratum-x"}, "pkg_a", idx) is None
    assert row_erratum({**bad, "verdict": "not testable", "erratum": "erratum-x"}, "", idx).anchor == "erratum-x"
    assert row_erratum({**bad, "verdict": "not testable"}, "pkg_a", idx) is None  # the fallback: disagreements only
    assert row_erratum({**bad, "erratum": float("nan")}, "pkg_a", idx).anchor == "erratum-pkg_a-eq-8-other"


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_links_resolve_from_a_report_in_a_tmp_dir(analyses, tmp_path, fmt):
    out = tmp_path / "deep" / "elsewhere"
    write_report(build_report(analyses, title="errata", variants=False), out, formats=(fmt,))
    doc = (out / f"report.{fmt}").read_text()
    assert {e.anchor for e in cited_errata(analyses)} == {"erratum-eq50-nu", "erratum-circulant-normalisation"}
    for i in ("erratum-eq50-nu", "erratum-circulant-normalisation"):
        link = f"](#{i})" if fmt == "md" else f'href="#{i}"'
        target = f'<a id="{i}"></a>' if fmt == "md" else f'id="{i}"'
        assert link in doc and target in doc, i  # the link and its target, in the same document
    assert "(docs/errata.md#" not in doc and "\"docs/errata.md#" not in doc  # nothing relative to the repo root
    uris = set(re.findall(r"file://[^\s`<]+#erratum-[\w-]+", doc))
    assert len(uris) == 2, uris
    for u in uris:
        p = Path(unquote(urlparse(u).path))
        assert p.is_file() and f'<a id="{urlparse(u).fragment}"></a>' in p.read_text(encoding="utf-8"), u


def test_verdict_row_note_carries_the_link(analyses):
    from comparison.report import verdict_table

    notes = list(verdict_table(analyses)["note"])
    assert "[errata: Scenario B: Eq. 50 and the measured ν" in notes[0] and "(#erratum-eq50-nu)" in notes[0]
    assert "(#erratum-circulant-normalisation)" in notes[1]
    assert errata_link({"theory": "Eq. 23", "verdict": "disagrees"}, "perceptron_theory") == ""


def test_fit_text_names_the_documented_entry(analyses):
    from comparison.cli.fit_rows import _verdict_lines

    for a, anchor in zip(analyses, ("erratum-eq50-nu", "erratum-circulant-normalisation")):
        (label, text), = _verdict_lines(a)
        assert text.endswith(f"documented: {ERRATA_FILE}#{anchor}"), text
