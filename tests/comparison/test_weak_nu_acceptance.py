"""Issue 23 acceptance: a weak ν is never rendered without its flag — checked end to end on a
planted weak fit (a simulated 1D run set of 8 replicas: ν is right, but from < 10 runs the fit is
weak) on ``grokcheck fit`` text (headline and every extra "nu in tau […]" window line),
``fit --json -`` (every object holding a fitted ν, and the ν verdict rows), report.md,
report.html and the text of every figure the report draws (titles, legends, annotations)."""
from __future__ import annotations

import json
import re

import pytest

from comparison.cli import main

# a measured ν value as printed: "ν = 1.0", "$\nu$ = 1.0", "nu = 1.0", "nu    1.0000", "nu in tau [a, b]  1"
SHOWN = re.compile(r"(?:ν|\$\\nu\$|\bnu\b)(?:\s*\([^)]*\))?\s*(?:=|≈)\s*[-+]?[0-9]"
                   r"|^\s*nu(?: in tau \[[^\]]*\])?\s{2,}[-+]?[0-9]", re.M)
# the theory's predicted ν (not a measurement): a formula or a label saying "theory"
THEORY = re.compile(r"Eqs?\. [0-9-]+: nu = [0-9.]+|theory \$\\nu\$ = [0-9.]+|theory ν = [0-9.]+")


def _bare(text: str) -> list[str]:
    """The lines (blocks) of ``text`` that show a measured ν without a weak mark."""
    return [ln for ln in text.splitlines() if SHOWN.search(THEORY.sub("", ln)) and "weak" not in ln]


@pytest.fixture(scope="module")
def weak_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("weakacc") / "rs"
    assert main(["simulate", "perceptron-1d", "--N", "5", "--eps", "0.4", "--replicas", "8", "--seed", "1",
                 "--no-progress", "--out", str(out)]) == 0
    return out


def _run(argv, capsys) -> str:
    rc = main(argv)
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    return cap.out


def _flagged(obj) -> bool:
    return obj.get("weak") is True or "< 10 runs" in (obj.get("flags") or [])


def _nu_objects(doc, path="", covered=False):
    """Every (path, dict, covered) of a JSON document that holds a fitted ν number; ``covered``:
    an enclosing object already carries the weak flag (e.g. the sensitivity rows of the fit)."""
    if isinstance(doc, dict):
        if isinstance(doc.get("nu"), (int, float)) or ("value" in doc and "window" in doc and "flags" in doc):
            yield path, doc, covered
        covered = covered or _flagged(doc)
        for k, v in doc.items():
            yield from _nu_objects(v, f"{path}/{k}", covered)
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _nu_objects(v, f"{path}/{i}", covered)


def _check_json(doc) -> None:
    found = list(_nu_objects(doc))
    own = [p for p, o, _ in found if _flagged(o)]
    assert "/nu" in own and any(p.startswith("/nu/windows/") for p in own), own  # the fit and its extra window
    for path, obj, covered in found:
        assert covered or _flagged(obj), (path, obj)
    rows = [r for r in doc["verdicts"] if str(r["quantity"]).startswith("nu")]
    assert rows
    for r in rows:  # a weak ν gets no verdict, and the row says why
        assert r["verdict"] == "not testable" and "weak" in r["note"], r


def test_fit_text_and_json_never_show_a_bare_weak_nu(weak_set, tmp_path, capsys):
    out = _run(["fit", str(weak_set), "--n-boot", "50", "--out", str(tmp_path / "fits.json")], capsys)
    shown = [ln for ln in out.splitlines() if SHOWN.search(ln)]
    assert any("nu in tau [" in ln for ln in shown) and len(shown) >= 2, out  # headline + extra window line
    assert _bare(out) == [], _bare(out)
    js = json.loads(_run(["fit", str(weak_set), "--n-boot", "50", "--json", "-"], capsys))
    assert js["nu"]["weak"] and "< 10 runs" in js["nu"]["flags"]
    _check_json(js)
    _check_json(json.loads((tmp_path / "fits.json").read_text()))


def test_report_md_html_and_figures_never_show_a_bare_weak_nu(weak_set, tmp_path, capsys, monkeypatch):
    from comparison.report import style

    texts: dict[str, list[str]] = {}
    orig = style.figure_bytes

    def spy(fig, *args, **kwargs):  # every figure the report saves: all its text (titles, legends, labels)
        texts[f"fig{len(texts)}"] = [t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text"))]
        return orig(fig, *args, **kwargs)

    monkeypatch.setattr(style, "figure_bytes", spy)
    _run(["report", str(weak_set), "--out", str(tmp_path / "r"), "--format", "md,html", "--no-progress"], capsys)
    for name in ("report.md", "report.html"):
        text = (tmp_path / "r" / name).read_text()
        assert SHOWN.search(text), name
        assert _bare(text) == [], (name, [ln[:200] for ln in _bare(text)])
        nu_rows = [ln for ln in text.splitlines() if re.match(r"\|[^|]*\| nu \|", ln)] if name.endswith("md") else \
            re.findall(r"<tr>(?:(?!</tr>).)*?<td[^>]*>nu</td>(?:(?!</tr>).)*</tr>", text)
        assert nu_rows and all("(weak)" in r for r in nu_rows), nu_rows
    shown = {n: [t for t in ts if SHOWN.search(THEORY.sub("", t))] for n, ts in texts.items()}
    assert sum(map(len, shown.values())) >= 2, texts  # the fit's and the sensitivity plot's legends
    for n, ts in shown.items():
        assert all("weak" in t for t in ts), (n, ts)


def test_the_detector_sees_every_printed_form_of_a_bare_nu():
    bare = ["ν = 1.0000, 95 % CI [1, 1]", r"fit $\nu$ = 1.0000, 95 % CI", "  nu        1.0000  [1.0, 1.0]",
            "  nu in tau [2.56e-05, 0.000256]  1  [1, 1] (20 points)", "| rs | nu (margin exponent) = 0.66 |"]
    assert all(_bare(b) == [b] for b in bare), [b for b in bare if not _bare(b)]
    assert _bare("ν = 1.0000 — **weak**: < 10 runs") == []
    assert _bare("| rs | nu | Eqs. 9-10: nu = 1 | – |") == [] and _bare(r"theory $\nu$ = 2") == []
