"""Predictions confronted with what the run set measured: one function per quantity.

Given the measurements of one run set (:class:`Measured`) and a theory's
:class:`~comparison.registry.Prediction` s, :func:`verdict_rows` builds the
:class:`~comparison.agreement.verdict.Verdict` rows — the same for a built-in theory
and a user's file. The measured side decides testability too: ν from fewer than
``MIN_RUNS["nu"]`` runs, or flagged weak by its estimator, gives "not testable" for
every theory.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..estimate import BimodalityResult, LawDistance, NuFit, atom_law_test, law_distance
from ..registry import Prediction, TheorySpec
from .verdict import MIN_RUNS, Verdict

__all__ = ["Measured", "verdict_rows"]


@dataclass(frozen=True)
class Measured:
    """What the simulation side measured, for the confrontation (read-only)."""

    config: dict[str, Any]
    counts: dict[str, Any]
    nu: NuFit | None
    nu_error: str | None
    t_G: np.ndarray
    bimodality: BimodalityResult | None
    median_seed: Any = field(default=12345)
    law_seed: int = 0  # the law test's parametric bootstrap (a child of the analysis seed)


def _theory_text(theory: TheorySpec, p: Prediction) -> str:
    return p.source if theory.builtin else f"{theory.name}: {p.source}"


def verdict_rows(m: Measured, theory: TheorySpec, preds: list[Prediction]) -> tuple[list[Verdict], list[str],
                                                                                    LawDistance | None]:
    """The rows of ``theory`` on ``m`` (one per prediction; three for a t_G law), notes, and the
    law distance computed on the way (for the report's figure)."""
    rows: list[Verdict] = []
    notes: list[str] = []
    dist = None
    for p in preds:
        src = _theory_text(theory, p)
        if p.quantity == "nu":
            new = [_nu_row(m, p, src)]
        elif p.quantity == "P_grok":
            new = [_p_grok_row(m, p, src)]
        elif p.quantity == "t_G law":
            new, d, note = _law_rows(m, p, src)
            dist = dist or d
            notes += note
        else:
            new = _t_G_stat_row(m, p, src)
        rows += [replace(v, erratum=p.erratum) for v in new] if p.erratum else new  # the theory's erratum
    return rows, notes, dist


def _nu_row(m: Measured, p: Prediction, src: str) -> Verdict:
    nu = m.nu
    if nu is None:
        return Verdict.not_testable(p.row_name, math.nan, theory=src, why=f"ν not fitted: {m.nu_error}")
    few = (f"ν was fitted on {nu.n_runs_used} runs (< {MIN_RUNS['nu']})"
           if nu.n_runs_used < MIN_RUNS["nu"] else None)
    weak = "weak fit: " + "; ".join(nu.flags) if nu.weak else None  # no verdict on a weak ν, any prediction
    why = p.not_testable or few or weak
    if why:
        return Verdict.not_testable(p.row_name, nu.nu, theory=src, why=why)
    note = f"fit window τ ∈ [{nu.window[0]:.3g}, {nu.window[1]:.3g}] ({nu.window_rule.split(';')[0]})"
    note += f"; {p.note}" if p.note else ""
    return _compare(p, nu.nu, nu.nu_se, src, note, se_sys=nu.window_spread)


def _compare(p: Prediction, measured: float, se: float, src: str, note: str, se_sys: float = 0.0) -> Verdict:
    if p.kind in ("lower bound", "upper bound"):
        return Verdict.bound(p.row_name, measured, se, p.value, side=p.kind.split()[0], se_pred=p.se,
                             se_sys=se_sys, theory=src, note=note)
    if p.kind != "estimate":
        return Verdict.not_testable(p.row_name, measured, theory=src,
                                    why=f"a {p.kind} prediction of {p.quantity} has no test here")
    return Verdict.estimate(p.row_name, measured, se, p.value, p.se, se_sys, theory=src, note=note)


def _p_grok_row(m: Measured, p: Prediction, src: str) -> Verdict:
    n, k = m.counts["n_ok"], m.counts["n_groks"]
    why = p.not_testable or (f"{n} non-diverged runs (< {MIN_RUNS['P_grok']})" if n < MIN_RUNS["P_grok"] else None)
    if why:
        return Verdict.not_testable(p.row_name, m.counts["p_grok"], theory=src, why=why)
    if p.se > 0:  # an uncertain prediction: the normal test with both errors
        return _compare(p, k / n, m.counts["p_grok_se"], src, f"k = {k} of n = {n}")
    if p.kind not in ("estimate", "lower bound", "upper bound"):
        return _compare(p, k / n, m.counts["p_grok_se"], src, "")
    side = None if p.kind == "estimate" else p.kind.split()[0]
    return Verdict.count(p.row_name, k, n, p.value, side=side, theory=src, note=p.note)


def _law_rows(m: Measured, p: Prediction, src: str) -> tuple[list[Verdict], LawDistance | None, list[str]]:
    nan = math.nan
    if p.not_testable:
        return [Verdict.not_testable("t_G law (KS)", nan, theory=src, why=p.not_testable)], None, []
    if m.t_G.size < MIN_RUNS["t_G"]:
        return [Verdict.not_testable("t_G law (KS)", nan, theory=src,
                                     why=f"{m.t_G.size} positive grokking times (< {MIN_RUNS['t_G']})")], None, []
    law = p.law
    try:
        d = law_distance(m.t_G, law)
        test = atom_law_test(m.t_G, law, seed=m.law_seed)
    except ValueError as exc:
        return [], None, [f"t_G law comparison failed: {exc}"]
    d = replace(d, test=test.as_dict())
    mean_th = float(law.mean())
    rows = [Verdict.distance("t_G law (KS)", test.statistic, test.p_value, theory=src,
                             note=_law_note(test, d, mean_th))]
    se = float(np.std(m.t_G, ddof=1) / math.sqrt(m.t_G.size))
    rows.append(Verdict.estimate("mean t_G", float(np.mean(m.t_G)), se, mean_th, theory=src,
                                 note=f"n = {m.t_G.size} positive t_G"))
    if m.bimodality is not None:
        atom = getattr(law, "atom", None)
        atom_w = atom[1] if atom is not None else 0.0
        rows.append(Verdict.property("t_G bimodal", bool(m.bimodality.bimodal), bool(0.05 <= atom_w <= 0.95),
                                     theory=f"{src}: bimodal when the fast branch and the atom each carry ≥ 5 % "
                                            f"(atom weight {atom_w:.3g})",
                                     note=f"ΔBIC = {m.bimodality.delta_bic:.1f} (bimodal if > "
                                          f"{m.bimodality.threshold:g} with two modes)"))
    return rows, d, []


def _law_note(test: Any, d: LawDistance, mean_th: float) -> str:
    """The law row's note: the p-value first (the report's test column), then how it was made."""
    head = f"p = {test.p_value:.3g} ({'parametric bootstrap' if test.p_bootstrap is not None else 'DKW bound'})"
    if test.atom is not None:
        snap = (f"KS after snapping t_G within ±{test.resolution:.2g} (relative) of the atom t* = "
                f"{test.atom[0]:.4g} onto it, the law's mass there too ({test.n_snapped} of {test.n} on it; "
                f"law weight {test.atom_snapped_weight:.3f})")
    else:
        snap = "KS (the law has no atom)"
    return (f"{head}; {snap}; {test.method}, seed {test.seed}; plain KS {d.ks:.3g}, Wasserstein-1 = "
            f"{d.wasserstein:.3g} (theory mean {mean_th:.3g})")


def _t_G_stat_row(m: Measured, p: Prediction, src: str) -> list[Verdict]:
    """Mean or median t_G against a predicted value (the median: for a law with an atom, the
    median and the atom location are the meaningful comparisons, not KS)."""
    stat = np.median if p.quantity == "median t_G" else np.mean
    need = 5
    if p.not_testable or m.t_G.size < need:
        why = p.not_testable or f"{m.t_G.size} positive grokking times (< {need})"
        return [Verdict.not_testable(p.row_name, math.nan, theory=src, why=why)]
    if p.quantity == "median t_G":
        rng = np.random.default_rng(m.median_seed)
        boots = np.median(rng.choice(m.t_G, size=(200, m.t_G.size)), axis=1)
        se = float(np.std(boots, ddof=1))
        note = (f"t_train from {m.config.get('t_train', 'samples')}; dynamics {m.config.get('dynamics', 'exact')}; "
                "bootstrap s.e. of the median"
                + ("; generalised-at-t=0 replicas excluded" if m.counts.get("n_generalised_at_init") else ""))
    else:
        se, note = float(np.std(m.t_G, ddof=1) / math.sqrt(m.t_G.size)), f"n = {m.t_G.size} positive t_G"
    note += f"; {p.note}" if p.note else ""   # the theory's own caveat (e.g. an asymptote outside its regime)
    return [_compare(p, float(stat(m.t_G)), se, src, note)]
