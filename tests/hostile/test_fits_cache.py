"""Received fits are a checked cache (issue 26, item 3), proven with byte digests.

A fits file whose fingerprint is right but whose numbers were forged (a 40-run set said
to be 5000 runs) is stale: the report refits, and the fits file written back is byte for
byte the one a fresh fit writes. A copied run set keeps its fits (identity by checksums):
they are used, under the new name, and not rewritten.
"""
from __future__ import annotations

import json
import shutil

from comparison.pipeline import analyses_for, fit_runset
from comparison.pipeline.fits_consistency import counts_problem, fits_disagreement

from .fixtures import base_1d
from .harness import digest


def _fitted(tmp):
    rs = base_1d(tmp)
    fit_runset(rs)                                     # what `grokcheck report` would cache
    return rs, json.loads((rs / "fits.json").read_text())


def test_forged_counts_with_a_valid_fingerprint_are_stale(tmp_path):
    rs, doc = _fitted(tmp_path)
    honest = digest(rs / "fits.json")
    n = doc["counts"]["n_runs"]
    forged = dict(doc, counts=dict(doc["counts"], n_runs=5000, n_ok=5000, n_groks=4999, p_grok=4999 / 5000))
    (rs / "fits.json").write_text(json.dumps(forged))
    assert fits_disagreement(forged, rs) == f"counts n_runs is 5000, summary.parquet has {n}"
    [a], _ = analyses_for([rs])
    assert a.counts["n_runs"] == n                     # the data, not the forgery
    assert digest(rs / "fits.json") == honest          # the cache was rewritten by a fresh fit


def test_forged_grokking_times_are_stale(tmp_path):
    rs, doc = _fitted(tmp_path)
    vals = doc["t_G"]["values"]
    forged = dict(doc, t_G=dict(doc["t_G"], values=[v * 3 for v in vals]))
    assert fits_disagreement(forged, rs) == "t_G values are not grokking times of summary.parquet"
    assert fits_disagreement(doc, rs) is None          # the honest file agrees


def test_inconsistent_counts_are_named():
    base = {"n_runs": 40, "n_diverged": 2, "n_ok": 38, "n_groks": 10, "p_grok": 10 / 38}
    assert counts_problem(base) is None
    assert counts_problem(dict(base, n_ok=40)) == "n_ok 40 != n_runs 40 - n_diverged 2"
    assert counts_problem(dict(base, p_grok=0.9)).startswith("p_grok 0.9 != n_groks / n_ok")
    assert counts_problem(dict(base, n_runs=True)) == "counts n_runs is True, not a non-negative integer"
    assert counts_problem(dict(base, n_groks=-1)).startswith("counts n_groks is -1")


def test_a_copied_run_set_keeps_its_fits(tmp_path):
    rs, doc = _fitted(tmp_path)
    copy = tmp_path / "copied"
    shutil.copytree(rs, copy)
    before = digest(copy / "fits.json")
    [a], _ = analyses_for([copy])
    assert a.name == "copied" and a.counts == doc["counts"]
    assert digest(copy / "fits.json") == before        # used as it is: not refitted, not rewritten
