"""Issue 23 item 5: every JSON the CLI writes is strict (no NaN/inf, not even as strings: null with a
reason in ``null_reasons``), ``fit --json -`` carries everything ``fits.json`` does, and
``theory ball --json`` lists both t_G atoms, labelled."""
from __future__ import annotations

import json
import math

import pytest

from comparison.agreement import Analysis
from comparison.cli import main
from tests.strict_json import strict_loads




@pytest.fixture
def runset(linear_runset):
    return linear_runset


def test_fit_json_is_strict_and_carries_fits_json(runset, capsys):
    capsys.readouterr()
    assert main(["fit", str(runset), "--json", "-"]) == 0
    digest = strict_loads(capsys.readouterr().out)
    fits = strict_loads((runset / "fits.json").read_text())
    for key in ("verdicts", "counts", "t_G", "predictions", "config", "notes"):
        assert digest[key] == fits[key], key
    # every part of the analysis (the file also records its schema, source and fit options)
    assert set(fits) - {"schema", "schema_version", "source", "fit_options", "nu"} <= set(digest)
    assert digest["verdicts"] and all("detectable" in r for r in digest["verdicts"])
    nulls = list(fits.get("null_reasons", {}))
    assert all(v.split(":")[0] in ("nan", "inf", "-inf") for v in fits.get("null_reasons", {}).values())
    a = Analysis.from_dict(fits)    # null + reason reads back as the number it stood for
    for path in nulls:
        if path.startswith("verdicts/"):
            _, i, col = path.split("/")
            assert not math.isfinite(float(a.verdicts.iloc[int(i)][col]))


def test_theory_ball_json_lists_both_atoms(capsys):
    capsys.readouterr()
    assert main(["theory", "ball", "--set", "D=5", "--eps", "2", "--set", "lam2=0.01", "--json"]) == 0
    law = strict_loads(capsys.readouterr().out)["predictions"]["t_G law"]["law"]
    ch = law["atom_choices"]
    assert ch["consistent"]["default"] and not ch["printed"]["default"]
    assert "Eq. 47" in ch["printed"]["label"]
    assert ch["consistent"]["location"] == pytest.approx(law["atom_location"])
    lam_d = math.log(4 / 3) / (2 * ch["consistent"]["location"])  # corrected: ln[e²/(e²−1)]/(2 λ_D)
    assert ch["printed"]["location"] == pytest.approx(math.log(16 / 15) / (2 * lam_d))
