"""Issue 23 item 5: every JSON document grokcheck writes or prints is strict JSON — no NaN/Infinity
constants and no ``"nan"``/``"inf"`` strings standing in for numbers; a non-finite number is ``null``
with its reason in ``null_reasons``, and :func:`restore_nonfinite` gives the number back.

Two layers: each writer fed a payload holding NaN, +inf and -inf (nested, numpy types included), and
each JSON-producing CLI command run at a tiny size."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from comparison._io import dumps_strict, restore_nonfinite, strict_jsonable, to_jsonable, write_json_atomic
from comparison.cli import main
from tests.strict_json import strict_loads





def _payload():
    return {"nu": np.float64("nan"), "ci": (1.5, math.inf), "rows": [{"z": -math.inf, "n": np.int64(3)}],
            "arr": np.array([0.5, np.nan]), "a/b": {"c~d": float("nan")}, "ok": "text"}


def _same(got, want) -> None:
    """``got`` equals ``want`` with NaN == NaN (floats compared exactly)."""
    if isinstance(want, dict):
        assert set(got) == set(want)
        for k in want:
            _same(got[k], want[k])
    elif isinstance(want, list):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            _same(g, w)
    elif isinstance(want, float) and math.isnan(want):
        assert isinstance(got, float) and math.isnan(got)
    else:
        assert got == want and type(got) is type(want)


def _expected():
    return {"nu": math.nan, "ci": [1.5, math.inf], "rows": [{"z": -math.inf, "n": 3}], "arr": [0.5, math.nan],
            "a/b": {"c~d": math.nan}, "ok": "text"}


def _via_write_json_atomic(tmp, payload):
    return write_json_atomic(tmp / "x.json", payload).read_text()


def _via_write_json_output(tmp, payload):
    from comparison.cli.outputs import write_json_output
    return write_json_output(str(tmp / "x.json"), payload, overwrite=False).read_text()


def _via_emit_stdout(tmp, payload):
    from comparison.cli.paper_commands import _emit_json  # noqa: PLC2701 - the paper commands' stdout writer
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert _emit_json("-", payload) is True
    return buf.getvalue()


def _via_check_result(tmp, payload):
    from comparison.testing.result import PropertyResult
    r = PropertyResult(verdict="passed", quantity="P_grok", simulator="s", examples=1, alpha=0.01,
                    family_alpha=0.05, detectable=math.inf, counterexample=payload, message="m")
    doc = r.as_dict()
    assert doc["detectable"] is None and doc["null_reasons"]["detectable"].startswith("inf")
    return dumps_strict(doc)


WRITERS = {"write_json_atomic": _via_write_json_atomic, "write_json_output": _via_write_json_output,
           "paper --json - writer": _via_emit_stdout, "dumps_strict": lambda tmp, p: dumps_strict(p),
           "to_jsonable (old name)": lambda tmp, p: json.dumps(to_jsonable(p), allow_nan=False)}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_each_writer_writes_null_with_a_reason_and_reads_back(writer, tmp_path):
    doc = strict_loads(WRITERS[writer](tmp_path, _payload()))
    assert doc["nu"] is None and doc["ci"] == [1.5, None] and doc["rows"][0]["z"] is None
    assert set(doc["null_reasons"]) == {"a~1b/c~0d", "arr/1", "ci/1", "nu", "rows/0/z"}  # JSON-pointer paths
    assert {v.split(":")[0] for v in doc["null_reasons"].values()} == {"nan", "inf", "-inf"}
    _same(restore_nonfinite(doc), _expected())


def test_check_result_dict_is_strict_and_keeps_its_numbers(tmp_path):
    doc = strict_loads(_via_check_result(tmp_path, _payload()))
    _same(restore_nonfinite(doc)["counterexample"], _expected())
    assert math.isinf(restore_nonfinite(doc)["detectable"])


def test_conversion_is_idempotent_and_lists_of_rows_carry_their_own_reasons():
    once = strict_jsonable(_payload())
    assert strict_jsonable(once) == once == strict_jsonable(restore_nonfinite(once))
    rows = strict_loads(dumps_strict([{"x": math.nan}, {"x": 1.0}, math.inf]))
    assert rows == [{"x": None, "null_reasons": {"x": "nan: not defined or not measured (NaN)"}}, {"x": 1.0}, None]
    nested = {"outer": math.inf, "inner": strict_jsonable({"y": -math.inf})}  # a strict doc inside another
    _same(restore_nonfinite(strict_loads(dumps_strict(nested))), {"outer": math.inf, "inner": {"y": -math.inf}})


def test_a_reason_naming_nothing_is_refused():
    with pytest.raises(ValueError, match="null_reasons entry 'q/0'"):
        restore_nonfinite({"a": 1, "null_reasons": {"q/0": "nan: x"}})


# ---------------------------------------------------------------- every JSON-producing CLI command
@pytest.fixture
def runset(linear_runset):
    return linear_runset


def _sweep(tmp):
    cfg = tmp / "s.toml"
    cfg.write_text('[sweep]\nsimulator = "perceptron-ball"\nseed = 1\nruns_per_setting = 20\nchunk = 20\n'
                   'size_key = "n_replicas"\n[fixed]\nD = 3\nN = 12\nlam2 = 0.1\n[grid]\neps = [1.05, 1.2]\n')
    assert main(["sweep", str(cfg), "--out", str(tmp / "sw"), "--workers", "0", "--no-progress"]) == 0
    return tmp / "sw"


FORMULA = "def P(p):\n    return p\n"

CLI = {  # name -> (argv builder (runset, tmp) -> argv, the file it writes or None for stdout)
    "fit --json -": (lambda rs, tmp: ["fit", str(rs), "--n-boot", "50", "--json", "-"], None),
    "fit --json FILE": (lambda rs, tmp: ["fit", str(rs), "--n-boot", "50", "--json", str(tmp / "f.json")], "f.json"),
    "fits.json": (lambda rs, tmp: ["fit", str(rs), "--n-boot", "50", "--out", str(tmp / "fits.json")], "fits.json"),
    "manifest.json": (lambda rs, tmp: ["simulate", "perceptron-ball", "--no-progress", "--out", str(tmp / "b"),
                                       "--set", "D=3", "--set", "N=12", "--eps", "1.05", "--replicas", "10"],
                      "b/manifest.json"),
    "theory --json": (lambda rs, tmp: ["theory", "ball", "--set", "D=5", "--eps", "2", "--set", "lam2=0.01",
                                       "--json"], None),
    "theory list --json": (lambda rs, tmp: ["theory", "list", "--json"], None),
    "paper separability --json -": (lambda rs, tmp: ["paper", "separability", "--N", "20", "--lam", "0.4",
                                                     "--n-sets", "20", "--json", "-", "--no-progress"], None),
    "paper linear-estimator --json FILE": (lambda rs, tmp: ["paper", "linear-estimator", "--lam", "0.5",
                                                            "--d-in", "100", "--n-seeds", "2", "--json",
                                                            str(tmp / "p.json")], "p.json"),
    "sweep.json": (lambda rs, tmp: ["theory", "list", "--json"], "sweep"),
    "fit SWEEP --json -": (lambda rs, tmp: ["fit", str(_sweep(tmp)), "--n-boot", "50", "--json", "-"], None),
}


@pytest.mark.parametrize("name", sorted(CLI))
def test_every_json_the_cli_writes_is_strict(name, runset, tmp_path, capsys):
    build, target = CLI[name]
    if target == "sweep":
        out = _sweep(tmp_path) / "sweep.json"
        doc = strict_loads(out.read_text())
        assert doc["tasks"]
        return
    argv = build(runset, tmp_path)
    capsys.readouterr()
    assert main(argv) == 0
    text = capsys.readouterr().out if target is None else (tmp_path / target).read_text()
    doc = strict_loads(text)
    assert doc
    back = restore_nonfinite(doc)   # every null with a reason reads back as a number
    if isinstance(doc, dict):
        for path in doc.get("null_reasons", {}):
            node = back
            for key in path.split("/"):
                node = node[int(key)] if isinstance(node, list) else node[key.replace("~1", "/").replace("~0", "~")]
            assert isinstance(node, float) and not math.isfinite(node), path


def test_check_json_is_strict(tmp_path, capsys):
    from coin_simulator import ensure_registered

    coin = ensure_registered()
    f = tmp_path / "formulas.py"
    f.write_text("def coin(p):\n    return p\n\nname = 'coin theory'\napplies_to = 'perceptron-ball'\n")
    capsys.readouterr()
    code = main(["check", f"{f}:coin", "--simulator", coin, "--param", "p=0.3:0.6", "--max-examples", "2",
                 "--replicas", "200", "--no-progress", "--json", "-"])
    assert code in (0, 3)
    doc = strict_loads(capsys.readouterr().out)
    assert doc["verdict"] in ("passed", "underpowered") and doc["rows"]


def test_fit_text_says_what_each_verdict_row_could_detect(tmp_path, capsys):
    from comparison.agreement import Analysis
    from comparison.agreement.verdict import detectable_sentence

    rs = tmp_path / "ball"
    assert main(["simulate", "perceptron-ball", "--no-progress", "--out", str(rs), "--set", "D=3", "--set", "N=12",
                 "--eps", "1.05", "--replicas", "60"]) == 0
    capsys.readouterr()
    assert main(["fit", str(rs), "--n-boot", "50"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "verdict: " in ln]
    a = Analysis.from_dict(strict_loads((rs / "fits.json").read_text()))
    sentences = [detectable_sentence(r) for r in a.verdicts.itertuples(index=False) if r.verdict != "not testable"]
    assert any(sentences)
    for s in filter(None, sentences):   # each row's own sentence is printed on its line
        assert sum(ln.endswith(f"; {s}") for ln in lines) >= 1, s
    assert not any("; ;" in ln or ln.endswith("; ") for ln in lines)


def test_runset_manifest_keeps_a_non_finite_config_value(runset, tmp_path):
    from types import SimpleNamespace

    from comparison import load_runset, write_runset

    rs = load_runset(runset)
    cfg = {**rs.config, "extra_nan": float("nan"), "extra_cap": math.inf}
    write_runset(SimpleNamespace(config=cfg, curves=rs.curves, summary=rs.summary, features=rs.features),
                 tmp_path / "rs")
    doc = strict_loads((tmp_path / "rs" / "manifest.json").read_text())
    assert doc["config"]["extra_nan"] is None and set(doc["null_reasons"]) == {"config/extra_nan", "config/extra_cap"}
    back = load_runset(tmp_path / "rs").config
    assert math.isnan(back["extra_nan"]) and back["extra_cap"] == math.inf and "null_reasons" not in back
