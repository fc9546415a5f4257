"""User theories through the registry: files, objects, entry points, malformed files (issue 19).

The planted theory is right about ν (Eq. 23 for the ball) and wrong about P_grok (0.5
where every run groks); `fit --theory` and `report --theory` must give one "agrees"
and one "disagrees" row, both naming the theory, beside the unchanged built-in rows.
"""
from __future__ import annotations

import importlib.metadata as md
import json
import sys

import pytest

from comparison.agreement import analyse
from comparison.cli import main
from comparison.registry import (Prediction, TheoryError, discover_entry_points, get_theory, load_theory,
                                 run_theory, theories_for)
from comparison.registry.theories import registered
from comparison.runset import RunSet

PLANTED = ('name = "planted"\napplies_to = "perceptron-ball"\n'
           'def predict(config):\n    return {"nu": (config["D"] + 1) / 2, "P_grok": (0.5, 0.0)}\n')


@pytest.fixture(scope="module")
def ball_runset(tmp_path_factory):
    root = tmp_path_factory.mktemp("plug")
    out = root / "ball"
    assert main(["simulate", "perceptron-ball", "--D", "3", "--N", "50", "--eps", "1.5", "--replicas", "150",
                 "--seed", "2", "--no-progress", "--out", str(out)]) == 0
    return out


def _theory_file(tmp_path, text=PLANTED, name="planted.py"):
    f = tmp_path / name
    f.write_text(text)
    return f


def test_fit_theory_gives_one_agreeing_and_one_disagreeing_row(ball_runset, tmp_path, capsys):
    f = _theory_file(tmp_path)
    capsys.readouterr()
    assert main(["fit", str(ball_runset), "--theory", str(f), "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = doc["verdicts"]
    mine = {r["quantity"]: r for r in rows if r["theory"].startswith("planted: ")}
    assert set(mine) == {"nu", "P_grok"}
    assert mine["nu"]["verdict"] == "agrees" and mine["P_grok"]["verdict"] == "disagrees"
    builtin = [r for r in rows if not r["theory"].startswith("planted: ")]
    assert {"nu", "P_grok", "t_G law (KS)"} <= {r["quantity"] for r in builtin}
    assert main(["fit", str(ball_runset)]) == 0  # without --theory: the fits are refitted, no planted row
    fits = json.loads((ball_runset / "fits.json").read_text())
    assert not any(r["theory"].startswith("planted: ") for r in fits["verdicts"])


def test_report_theory_shows_the_rows_side_by_side(ball_runset, tmp_path):
    f = _theory_file(tmp_path)
    g = _theory_file(tmp_path, PLANTED.replace('"planted"', '"second"').replace("0.5", "1.0"), "second.py")
    out = tmp_path / "rep"
    assert main(["report", str(ball_runset), "--out", str(out), "--theory", str(f), "--theory", f"{g}",
                 "--no-progress", "--format", "md"]) == 0
    text = (out / "report.md").read_text()
    assert "planted: " in text and "second: " in text


def test_missing_declared_input_is_not_testable_and_predict_is_not_called(ball_runset, tmp_path):
    src = ('name = "needs xi"\napplies_to = "perceptron-ball"\ninputs = ["xi"]\nquantities = ["nu"]\n'
           'def predict(config, measured):\n    raise RuntimeError("must not be called")\n')
    spec = load_theory(str(_theory_file(tmp_path, src, "needs_xi.py")))
    from comparison.runset import load_runset

    a = analyse(load_runset(ball_runset), theories=[spec])
    row = a.verdicts.set_index("theory").loc["needs xi: predict() of needs_xi.py"]
    assert row["verdict"] == "not testable" and "xi was not measured" in row["note"]


def test_an_object_or_class_works_and_a_theory_never_answers_for_another_model(tmp_path):
    class Mine:
        name = "class theory"
        applies_to = ["perceptron-1d"]

        def predict(self, config):
            return {"P_grok": {"value": 0.2, "kind": "lower bound"}}

    mod = _theory_file(tmp_path, "class Mine:\n    name = 'class theory'\n    applies_to = ['perceptron-1d']\n"
                                 "    def predict(self, config):\n        return {'P_grok': {'value': 0.2, "
                                 "'kind': 'lower bound'}}\n", "cls.py")
    spec = load_theory(f"{mod}:Mine")
    (p,) = run_theory(spec, {"N": 5}, {})
    assert p == Prediction("P_grok", 0.2, kind="lower bound", source="predict() of cls.py:Mine")
    ball_cfg = {"generator": "perceptron_theory.simulate_ball", "D": 3}
    assert spec not in [t for t in theories_for(ball_cfg, [spec]) if t.applies("perceptron-ball")]


MALFORMED = {
    "import fails": ("import nonexistent_module_xyz\n", "importing the file failed"),
    "syntax": ("def predict(:\n", "importing the file failed"),
    "no predict": ('name = "x"\napplies_to = "perceptron-ball"\n', "'predict'"),
    "non-number": ('name = "x"\napplies_to = "perceptron-ball"\ndef predict(c):\n    return {"nu": "two"}\n',
                   "non-number 'two' as the value of 'nu'"),
    "NaN": ('name = "x"\napplies_to = "perceptron-ball"\ndef predict(c):\n    return {"nu": float("nan")}\n',
            "nan as the value of 'nu'"),
    "unknown quantity": ('name = "x"\napplies_to = "perceptron-ball"\ndef predict(c):\n    return {"nuu": 1}\n',
                         "unknown quantity 'nuu'"),
    "bad applies_to": ('name = "x"\napplies_to = "perceptron-bal"\ndef predict(c):\n    return {}\n',
                       "'applies_to' names unknown 'perceptron-bal'"),
    "probability > 1": ('name = "x"\napplies_to = "perceptron-ball"\ndef predict(c):\n    return {"P_grok": 1.5}\n',
                        "P_grok = 1.5"),
    "predict raises": ('name = "x"\napplies_to = "perceptron-ball"\ndef predict(c):\n    return {"nu": 1 / 0}\n',
                       "predict() raised ZeroDivisionError"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_theory_files_get_one_line_naming_file_and_key(case, ball_runset, tmp_path, capsys):
    text, expected = MALFORMED[case]
    f = _theory_file(tmp_path, text, "bad_theory.py")
    capsys.readouterr()
    rc = main(["fit", str(ball_runset), "--theory", str(f), "--json", str(tmp_path / "out.json")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert "bad_theory.py" in err and expected in err, err
    assert not (tmp_path / "out.json").exists()


def test_missing_file_and_missing_name(tmp_path):
    with pytest.raises(TheoryError, match="no such file"):
        load_theory(str(tmp_path / "absent.py"))
    f = _theory_file(tmp_path)
    with pytest.raises(TheoryError, match="defines no 'other'"):
        load_theory(f"{f}:other")
    with pytest.raises(TheoryError, match="importing module"):
        load_theory("no_such_package_xyz.mod:T")


def test_entry_point_theory_is_found_and_applied(tmp_path, monkeypatch):
    pkg = tmp_path / "ep_theory_pkg.py"
    pkg.write_text(PLANTED.replace('"planted"', '"from an entry point"'))
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = md.EntryPoint(name="planted-ep", value="ep_theory_pkg", group="grokcheck.theories")
    real = md.entry_points

    def fake(**kw):
        return [ep] if kw.get("group") == "grokcheck.theories" else real(**kw)

    monkeypatch.setattr(md, "entry_points", fake)
    try:
        discover_entry_points(refresh=True)
        spec = get_theory("from an entry point")
        assert spec is not None and spec.origin == "entry point planted-ep"
        cfg = {"generator": "perceptron_theory.simulate_ball", "D": 3, "N": 50, "eps": 1.5}
        assert spec in theories_for(cfg)
        assert get_theory("from an entry point") not in theories_for({"generator": "modular_rfm.run_rfm"})
    finally:
        registered().pop("from an entry point", None)
        sys.modules.pop("ep_theory_pkg", None)


def test_missing_inputs_for_builtin_eq50_say_which():
    spec = get_theory("eq50")
    (p,) = run_theory(spec, {}, {"d_eff": 3.0})
    assert not p.testable and p.not_testable.startswith("xi was not measured")
    (p,) = run_theory(spec, {}, {"d_eff": 3.0, "xi": 0.5}, weak={"xi": "edge fit unstable"})
    assert p.not_testable == "xi: edge fit unstable"


def test_planted_rows_do_not_depend_on_a_wrong_formula_passing(ball_runset, tmp_path):
    """The verdict must move with the formula: ν off by 1 disagrees (checked to fail when wrong)."""
    from comparison.runset import load_runset

    wrong = load_theory(str(_theory_file(tmp_path, PLANTED.replace("(config[\"D\"] + 1) / 2",
                                                                    "(config[\"D\"] + 3) / 2"), "wrong.py")))
    v = analyse(load_runset(ball_runset), theories=[wrong]).verdicts
    row = v[(v["quantity"] == "nu") & v["theory"].str.startswith("planted: ")].iloc[0]
    assert row["verdict"] == "disagrees" and abs(row["z"]) > 4


def test_run_set_without_generator_gets_no_theory_rows():
    import pandas as pd

    rs = RunSet({"generator": "someone.else"}, pd.DataFrame({"run": [0], "t": [0.0], "test_error": [0.0]}),
                pd.DataFrame({"run": [0], "t_train": [0.0], "t_eps": [1.0], "t_G": [1.0], "groks": [True],
                              "diverged": [False]}))
    assert theories_for(rs.config) == []
