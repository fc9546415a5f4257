"""The command line as a new user meets it: fast help, one-line errors, no half-written output."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from comparison import load_runset, validate_runset
from comparison.cli import main

ROOT = Path(__file__).resolve().parents[2]


def digest(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def test_help_is_fast_and_imports_nothing_heavy():
    code = ("import sys, io, contextlib\n"
            "from comparison.cli import main\n"
            "buf = io.StringIO()\n"
            "with contextlib.redirect_stdout(buf):\n"
            "    try:\n        main(['--help'])\n    except SystemExit:\n        pass\n"
            "heavy = [m for m in ('torch', 'pandas', 'scipy', 'numpy', 'matplotlib') if m in sys.modules]\n"
            "assert 'usage: grokcheck' in buf.getvalue(), buf.getvalue()\n"
            "print(heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def run(argv, capsys):
    rc = main(argv)
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_errors_are_one_line_with_nonzero_exit(tmp_path, capsys):
    rc, out, err = run(["fit", str(tmp_path / "missing")], capsys)
    assert rc == 2 and err.startswith("grokcheck: error: ") and err.count("\n") == 1
    rc, out, err = run(["theory", "ball", "--D", "0"], capsys)
    assert rc == 2 and "D must be" in err and err.count("\n") == 1
    rc, out, err = run(["simulate", "perceptron-1d", "--set", "bogus=1", "--out", str(tmp_path / "x")], capsys)
    assert rc == 2 and "unknown parameter" in err and not (tmp_path / "x").exists()
    with pytest.raises(SystemExit) as exc:  # argparse usage errors exit 2 as well
        main(["simulate"])
    assert exc.value.code == 2


def test_theory_json_matches_eq23(capsys):
    rc, out, _ = run(["theory", "ball", "--D", "7", "--N", "20", "--eps", "1.5", "--lam2", "0.05", "--json"], capsys)
    pred = json.loads(out)["predictions"]
    assert rc == 0 and pred["nu"]["value"] == 4.0 and 0 <= pred["P_grok"]["value"] <= 1
    rc, out, _ = run(["theory", "eq50", "--d-eff", "3.0", "--xi", "0.25", "--json"], capsys)
    assert json.loads(out)["predictions"]["nu"]["value"] == 1.75


def test_simulate_fit_and_refuse_overwrite(tmp_path, capsys):
    out = tmp_path / "ball"
    cfg = tmp_path / "ball.toml"
    cfg.write_text("D = 3\nN = 20\neps = 1.5\nn_replicas = 60\n")
    rc, o, e = run(["simulate", "perceptron-ball", "--config", str(cfg), "--seed", "3", "--no-progress",
                    "--out", str(out)], capsys)
    assert rc == 0, e
    rs = load_runset(out)
    assert rs.config["D"] == 3 and rs.config["seed"] == 3 and rs.n_runs == 60
    before = digest(out)
    rc, o, e = run(["simulate", "perceptron-ball", "--D", "4", "--out", str(out)], capsys)
    assert rc == 2 and "exists" in e and digest(out) == before
    fits = tmp_path / "fits.json"
    rc, o, e = run(["fit", str(out), "--out", str(fits), "--n-boot", "50"], capsys)
    assert rc == 0, e
    data = json.loads(fits.read_text())
    assert data["nu"]["nu"] == pytest.approx(2.0, abs=0.05) and "window_rule" in data["nu"]
    assert any(v["quantity"] == "nu" for v in data["verdicts"]) and "nu" in o


def test_interrupted_simulate_leaves_no_run_set(tmp_path, capsys, monkeypatch):
    import perceptron_theory

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(perceptron_theory, "simulate_exponential", interrupted)
    rc, o, e = run(["simulate", "perceptron-1d", "--out", str(tmp_path / "rs")], capsys)
    assert rc == 130 and "interrupted" in e
    assert list(tmp_path.iterdir()) == []


def test_fit_external_table_and_corrupted_runset(tmp_path, capsys):
    rng = np.random.default_rng(0)
    t = np.linspace(0, 10, 501)
    rows = []
    for r in range(20):
        te = rng.uniform(5, 9)
        rows.append(pd.DataFrame({"run": f"r{r}", "t": t,
                                  "test_error": np.clip(0.05 * np.clip(te - t, 0, None) ** 1.5, 0, 0.5)}))
    table = tmp_path / "table.csv"
    pd.concat(rows).to_csv(table, index=False)
    rc, o, e = run(["fit", str(table), "--out", str(tmp_path / "f.json"), "--n-boot", "50"], capsys)
    assert rc == 0, e
    nu = json.loads((tmp_path / "f.json").read_text())["nu"]
    assert nu["nu_ci"][0] <= 1.5 <= nu["nu_ci"][1]

    rc, _, e = run(["simulate", "perceptron-1d", "--N", "3", "--replicas", "30", "--out", str(tmp_path / "rs")],
                   capsys)
    assert rc == 2 and "needs --eps" in e and not (tmp_path / "rs").exists()
    rc, _, e = run(["simulate", "perceptron-1d", "--N", "3", "--eps", "0.5", "--replicas", "30", "--no-progress",
                    "--out", str(tmp_path / "rs")], capsys)
    assert rc == 0, e
    cp = tmp_path / "rs" / "curves.parquet"
    cp.write_bytes(cp.read_bytes()[:200])
    before = digest(tmp_path / "rs")
    rc, o, e = run(["fit", str(tmp_path / "rs"), "--out", str(tmp_path / "g.json")], capsys)
    assert rc == 2 and "curves.parquet" in e and e.count("\n") == 1
    assert digest(tmp_path / "rs") == before and not (tmp_path / "g.json").exists()
    assert validate_runset(tmp_path / "rs")


def test_report_is_deterministic_and_self_contained(tmp_path, capsys):
    rc, _, e = run(["simulate", "perceptron-ball", "--D", "3", "--N", "50", "--eps", "1.5", "--replicas", "150",
                    "--no-progress", "--out", str(tmp_path / "exp")], capsys)
    assert rc == 0, e
    for k in (1, 2):
        rc, o, e = run(["report", str(tmp_path / "exp"), "--out", str(tmp_path / f"rep{k}"), "--no-progress"], capsys)
        assert rc == 0, e
    assert digest(tmp_path / "rep1") == digest(tmp_path / "rep2")
    html = (tmp_path / "rep1" / "report.html").read_text()
    assert "data:image/png;base64," in html and 'src="figures' not in html and "<link" not in html
    md = (tmp_path / "rep1" / "report.md").read_text()
    assert "## Verdicts" in md and "| [exp](#rs-exp-nu) | nu |" in md and "figures/exp-nu-fit.png" in md
    assert (tmp_path / "rep1" / "figures" / "exp-t-g.png").exists()


@pytest.mark.parametrize("name", ["1d", "ball", "margin"])
def test_theory_text_output_for_every_builtin(name, capsys):
    """Every registered built-in prints a table (laws, not-testable rows and all) without a traceback."""
    argv = ["theory", name] + (["--set", "x=1"] if name == "margin" else [])
    rc, out, err = run(argv, capsys)
    if name == "margin":  # needs the measured margin exponent: refused, never defaulted
        assert rc == 2 and "nu_margin" in err
    else:
        assert rc == 0 and out.startswith(f"theory {name}") and "nu" in out and err == ""


def test_theory_list_shows_every_registered_theory(capsys):
    from comparison.registry import all_theories

    rc, out, _ = run(["theory", "list", "--json"], capsys)
    assert rc == 0 and [r["name"] for r in json.loads(out)] == [t.name for t in all_theories()]
