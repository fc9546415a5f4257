"""``grokcheck demo``: the whole pipeline end to end on an embedded default.

Steps (each seeded; total <= 5 min on 2 cores, ``quick`` about a minute):

1. the perceptron verification table (``perceptron_theory.verification_table``);
2. simulated run sets: the 1D model (N = 5, eps = 0.4), the D-ball at the
   paper's Fig. 9 default (D = 5, lam2 = 0.01, eps = 2, N = 100) and a ball
   with D = 3 (N = 50, eps = 1.5);
3. scenario B on the paper's Example 1 with lam1 = 0.01;
4. ``runs/<name>/fits.json`` for every run set (written once, read by the report);
5. the report (``report/report.md``, ``report/report.html``, figures) with
   the paper-figure sections.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from .._io import dumps_strict
from .._written import check_may_write, write_owned
from ..errors import ConfigError
from ..safe_text import terminal_safe
from .core import fit_runset, paper_data_cached, simulate_runset, write_full_report

__all__ = ["run_demo", "DEMO_RUNSETS"]

# run-set name -> (registered simulator, parameters); the run count is scaled by ``quick``
DEMO_RUNSETS: dict[str, tuple[str, dict[str, Any]]] = {
    "perceptron-1d": ("perceptron-1d", {"N": 5, "eps": 0.4, "n_replicas": 1000, "seed": 1}),
    "perceptron-ball-d5": ("perceptron-ball", {"D": 5, "N": 100, "eps": 2.0, "lam2": 0.01, "n_replicas": 1000,
                                               "seed": 2}),
    "perceptron-ball-d3": ("perceptron-ball", {"D": 3, "N": 50, "eps": 1.5, "n_replicas": 1000, "seed": 3}),
    "scenario-b-example1": ("scenario-b", {"A": "example1", "lam1": 0.01, "n_init": 300, "seed": 4}),
}


def _say(msg: str, progress: bool) -> None:
    if progress:
        print(terminal_safe(msg), flush=True)


def _simulate_all(root: Path, scale: float, progress: bool) -> tuple[list[Path], list[str]]:
    from ..simulators import SIMULATORS

    paths, notes = [], []
    for name, (sim, params) in DEMO_RUNSETS.items():
        size_key = SIMULATORS[sim].size_key
        params = {**params, size_key: int(max(100, params[size_key] * scale))}
        _say(f"      {name} ({sim})", progress)
        try:
            path, _ = simulate_runset(sim, params, root / "runs" / name, overwrite=True, progress=progress)
        except ConfigError as exc:  # an optional package missing: say so, go on
            notes.append(f"{name} skipped: {exc}")
            _say(f"      skipped: {exc}", progress)
            continue
        paths.append(path)
    return paths, notes


def _check_demo_out(root: Path) -> None:
    """Refuse, before any work, a demo ``out`` that would write through a link or over a user's file."""
    from ..runset import check_replaceable

    for d in (root, root / "runs", root / "report", root / "report" / "figures", root / "report" / "paper-data"):
        if d.is_symlink() or (d.exists() and not d.is_dir()):
            raise ConfigError(f"demo output {str(d)!r} is a symbolic link or not a directory; choose another --out")
    try:
        for name in DEMO_RUNSETS:      # replaced by the demo: only ever a run set, never through a link
            check_replaceable(root / "runs" / name)
        check_may_write([root / "verification.csv", root / "demo.json", root / "report" / "report.md",
                         root / "report" / "report.html"], overwrite=False)
    except ValueError as e:
        raise ConfigError(f"--out: {e}") from None


def run_demo(out: str | Path = "grokcheck-demo", *, quick: bool = False, progress: bool = True) -> Path:
    """Run the demo into ``out`` (created if needed; the demo's own files are replaced)."""
    import perceptron_theory as pt

    t0 = time.perf_counter()
    root = Path(out)
    _check_demo_out(root)
    (root / "runs").mkdir(parents=True, exist_ok=True)
    scale = 0.25 if quick else 1.0

    _say("[1/4] perceptron verification table", progress)
    vt = pt.verification_table(n_replicas=int(max(100, 1000 * scale)), seed=0, progress=False)
    write_owned(root / "verification.csv", vt.to_csv(index=False).encode())
    print(terminal_safe(vt), flush=True)  # the readable view: bound rows read "bound holds", never "agrees"

    _say("[2/4] simulating run sets (perceptron models, scenario B Example 1)", progress)
    paths, notes = _simulate_all(root, scale, progress)

    _say("[3/4] fitting (fits.json next to each run set)", progress)
    analyses = [fit_runset(p)[0] for p in paths]

    _say("[4/4] report (with the paper-figure sections)", progress)

    def verification_section(rep: Any) -> None:
        rep.h(1, "Perceptron verification table")
        rep.p("`perceptron_theory.verification_table`: each theory quantity against a direct simulation of the "
              "same model (also in `verification.csv`).")
        rep.table(vt.display(), key=["model", "quantity"])
        if notes:
            rep.p("Notes: " + "; ".join(notes))

    paper = paper_data_cached(root / "report", n_replicas=int(max(100, 400 * scale)), seed=0, progress=progress,
                              tg_replicas=int(max(2000, 20000 * scale)), n_init=int(max(40, 100 * scale)))
    write_full_report(analyses, root / "report", title="grokcheck demo report", paper=paper,
                      preamble=[verification_section])
    summary = {"runsets": [str(p) for p in paths], "report": str(root / "report" / "report.html"), "notes": notes}
    write_owned(root / "demo.json", (dumps_strict(summary) + "\n").encode())
    _say(f"done in {time.perf_counter() - t0:.0f} s: open {root / 'report' / 'report.html'}", progress)
    return root
