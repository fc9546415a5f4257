"""``grokcheck check``: a formula file against a simulator, through the command line.

A correct formula passes with a power statement; the shipped first-order law scaled by 0.9 is caught,
shrunk toward the simplest failing point and confirmed; bad input exits 2 with one line naming the
parameter; ``--json`` is strict JSON (no NaN) and ``--json FILE`` never replaces a user's file.
"""
from __future__ import annotations

import pytest

from coin_simulator import ensure_registered
from comparison.cli import main
from comparison.testing.measurement import seed_for
from tests.strict_json import strict_loads

COIN = ensure_registered()
BALL = ["--simulator", "perceptron-ball", "--param", "D=2:4", "--param", "N=40:80", "--param", "eps=1.01:1.05",
        "--param", "lam2=0.1", "--param", "lam1=0", "--max-examples", "3", "--replicas", "400", "--no-progress"]

FORMULAS = '''
from perceptron_theory import ball

def P(D, N, eps, lam2):
    return float(ball.grok_probability(D, N, eps, 0.0, lam2))

def P_wrong(D, N, eps, lam2):           # the shipped first-order law, 10 % low
    return 0.9 * P(D, N, eps, lam2)

def coin(p):
    return p

def coin_nan(p):
    return float("nan")

name = "coin theory"
applies_to = "perceptron-ball"
'''


@pytest.fixture
def formulas(tmp_path):
    f = tmp_path / "formulas.py"
    f.write_text(FORMULAS)
    return str(f)


def run(argv, capsys):
    code = main(argv)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_a_correct_formula_passes_with_its_power_statement(formulas, capsys):
    code, out, err = run(["check", f"{formulas}:P", *BALL], capsys)
    assert code == 0, out + err
    assert "passed: 3 examples" in out and "would have caught |ΔP| >= " in out
    assert out.count(" ok") == 3 and "FAIL" not in out  # one row per tried point


def test_a_wrong_formula_is_caught_shrunk_and_confirmed(formulas, capsys):
    code, out, err = run(["check", f"{formulas}:P_wrong", *BALL, "--json", "-"], capsys)
    assert code == 1, out + err
    res = strict_loads(out)
    assert res["verdict"] == "failed" and res["passed"] is False and res["confirmed"] is True
    ce = res["counterexample"]
    assert ce["D"] == 2 and ce["lam2"] == 0.1  # shrunk to the lowest D of the domain
    bad = [r for r in res["rows"] if r["params"] == ce][0]
    assert abs(bad["z"]) > 4 and bad["p_value"] < res["alpha_per_example"]
    from perceptron_theory import ball
    law = float(ball.grok_probability(ce["D"], ce["N"], ce["eps"], 0.0, ce["lam2"]))
    assert bad["predicted"] == pytest.approx(0.9 * law) and bad["seed"] == seed_for(ce, 0)
    assert "grokcheck simulate perceptron-ball --D 2" in res["message"]


def test_text_output_of_a_failure_names_theory_simulation_z_and_p(formulas, capsys):
    code, out, _ = run(["check", f"{formulas}:coin", "--simulator", COIN, "--param", "p=0.3:0.6",
                        "--param", "scale=1", "--replicas", "2000", "--max-examples", "3", "--no-progress"], capsys)
    assert code == 0 and "passed: 3 examples" in out
    wrong = FORMULAS.replace("return p\n", "return min(1.0, p + 0.1)\n")
    path = formulas.replace("formulas.py", "wrong.py")
    open(path, "w").write(wrong)
    code, out, _ = run(["check", f"{path}:coin", "--simulator", COIN, "--param", "p=0.3:0.6", "--param", "scale=1",
                        "--replicas", "2000", "--max-examples", "3", "--no-progress"], capsys)
    assert code == 1
    assert "failed: P_grok disagrees at" in out and "predicted" in out and "measured" in out
    assert "z = " in out and "p = " in out and "reproduce: grokcheck simulate" in out


@pytest.mark.parametrize("extra, named", [
    (["--param", "D=0:3"], "D must be an integer in [1, 10000]"),
    (["--param", "eps=0:1.2"], "eps must be a finite number in (0, 1e+06]"),
    (["--param", "dynamics=foo"], "dynamics must be one of exact, zeroth_order"),
    (["--param", "Q=1:2"], "no parameter 'Q'"),
    (["--param", "D=a:3"], "--param D: 'a' is not an integer"),
    (["--param", "D"], "NAME=LO:HI"),
    (["--param", "n_replicas=5"], "use --replicas"),
    (["--quantity", "nu"], "quantity must be one of"),
    (["--replicas", "0"], "--replicas must be an integer >= 1"),
])
def test_bad_input_exits_2_with_one_line_naming_the_parameter(formulas, capsys, extra, named):
    code, out, err = run(["check", f"{formulas}:P", "--simulator", "perceptron-ball", *extra, "--no-progress"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("grokcheck: error: ") and named in err and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


@pytest.mark.parametrize("ref, named", [(":missing", "defines no 'missing'"), ("", "defines no 'predict'"),
                                        (":coin_nan", "nan")])
def test_a_bad_formula_file_exits_2(formulas, capsys, ref, named):
    argv = ["check", f"{formulas}{ref}", "--simulator", COIN, "--param", "scale=1", "--replicas", "50",
            "--max-examples", "2", "--no-progress"]
    code, _, err = run(argv, capsys)
    assert code == 2 and named in err and len(err.strip().splitlines()) == 1, err
    code, _, err = run(["check", f"{formulas}:P", "--simulator", "nosuch"], capsys)
    assert code == 2 and "unknown simulator 'nosuch'" in err


def test_json_file_is_strict_and_guarded(formulas, tmp_path, capsys):
    target = tmp_path / "out.json"
    argv = ["check", f"{formulas}:coin", "--simulator", COIN, "--param", "scale=1", "--param", "p=0.4:0.6",
            "--replicas", "30", "--max-examples", "2", "--no-progress", "--json", str(target)]
    code, out, _ = run(argv, capsys)
    assert code == 3 and "underpowered" in out  # 30 replicas cannot see anything worth the name
    res = strict_loads(target.read_text())
    assert res["verdict"] == "underpowered" and res["counterexample"] is None and res["examples"] == 2
    assert set(res) >= {"passed", "examples", "counterexample", "rows", "detectable"}
    mine = tmp_path / "mine.json"
    mine.write_text("{}")
    code, _, err = run([*argv[:-1], str(mine)], capsys)
    assert code == 2 and "--json" in err and mine.read_text() == "{}"


def test_a_theory_file_and_a_registered_theory_are_checked_too(tmp_path, capsys):
    theory = tmp_path / "coin_theory.py"
    theory.write_text('name = "coin theory"\napplies_to = "perceptron-ball"\n'
                      'def predict(config):\n    return {"P_grok": min(1.0, config["p"] + 0.1)}\n')
    argv = ["--simulator", COIN, "--param", "scale=1", "--param", "p=0.3:0.5", "--replicas", "2000",
            "--max-examples", "2", "--no-progress", "--json", "-"]
    code, out, _ = run(["check", str(theory), *argv], capsys)
    assert code == 1 and strict_loads(out)["formula"] == "coin_theory.py"  # predict() 0.1 high: caught
    code, out, err = run(["check", "ball", *BALL[:-5], "--max-examples", "2", "--replicas", "200", "--no-progress"],
                         capsys)
    assert code == 0 and "ball vs perceptron-ball" in out, err
