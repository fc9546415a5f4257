r"""``grokcheck paper separability``: P_grok against Wendel's law on a grid of (N, λ) crossing λ_c = 1/2.

Beck, Levi & Bar-Sinai (ICML 2025), Props. 3.2-3.3. Each row runs the registered
``separability`` simulator (``groks_by = limit``: a run groks iff its training set is not
separable from the origin, exact LP) and judges the count with the registered
``separability`` theory under the single rule (exact binomial, two-sided mid-p). Beside it,
``p_threshold`` is the fraction of runs whose test accuracy reached ``acc_level`` by ``t_max``
— what a finite run shows; it differs from P_grok where separable sets have a limiting
accuracy Φ(1/(σM)) above the level (small σ) or non-separable ones are slower than ``t_max``.

Row keys: ``N, d, lam, sigma, shift, label_fraction, symmetric`` (Wendel exact: ``shift = 0`` and
``label_fraction = 1``; otherwise ``p_grok_wendel`` and ``p_value`` are NaN, strict JSON ``null``
with ``null_reasons``, and ``verdict`` says why), ``n_runs``, ``n_groks``, ``p_grok_sim``, ``p_grok_sim_ci`` (Clopper-Pearson
at the 4σ level), ``p_grok_wendel``, ``p_value``, ``verdict``, ``p_threshold`` (with
``p_threshold_ci`` and ``n_threshold``: runs that reached ``t_max`` or crossed the level before
their step cap), ``n_unreached``, ``status`` (counts), ``seed``.

**Asymmetric rows** (``label_fractions``, App. I's label fraction r < 1, see
:mod:`linear_grokking.separability.simulate`): ``symmetric: false``, ``p_grok_wendel: null``
(``verdict``: "not testable: Wendel's law is for the constant label ..."); instead ``p_grok_exact`` = r^N (1 − P_sep), the exact
probability that a set generalises (no −1 label and not separable, Prop. 3.2) with its own exact
binomial ``verdict_exact``/``p_value_exact``; and ``vs_constant_label``: the row at r = 1 with
the same (N, d) (``p_threshold``, ``p_grok_sim``) with Fisher's exact two-sided p of the
difference in ``p_threshold`` — what the label fraction changes on a finite clock.

``runs=[]`` collects, per row, the separable runs' ``margin`` and ``final_test_acc`` (for the
A_gen-vs-margin figure of :func:`write_separability_report`); the JSON rows never carry them.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..agreement.verdict import Verdict
from ..estimate.exact import binomial_ci
from ..registry import get_theory, run_theory
from ..seeds import child_seeds
from ..simulators import call_simulator

__all__ = ["paper_separability", "separability_frame", "figure_data", "write_separability_report", "DEFAULT_NS",
           "DEFAULT_LAMS", "DEFAULT_LABEL_FRACTIONS", "DEFAULT_LABEL_NS"]

DEFAULT_NS = (20, 40, 80)
DEFAULT_LAMS = (0.4, 0.5, 0.6)
DEFAULT_LABEL_FRACTIONS = (0.95,)   # App. I / Fig. 16's r = 0.95
DEFAULT_LABEL_NS = (20,)


def _threshold(s: Any) -> tuple[int, int]:
    """(crossed, counted): runs whose test accuracy reached its level, over the runs whose clock
    got to ``t_max`` or that crossed before their step cap (the others are undetermined)."""
    crossed = s["status"].isin(["groks", "threshold_only"]).to_numpy()
    counted = crossed | s["reached"].to_numpy(bool)
    counted &= ~s["diverged"].to_numpy(bool)
    return int((crossed & counted).sum()), int(counted.sum())


def _row(N: int, d: int, params: dict[str, Any], seed: int, progress: bool,
         runs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    res = call_simulator("separability", {"N": N, "d": d, **params, "groks_by": "limit", "seed": seed},
                         progress=progress)
    s = res.summary
    if runs is not None:
        sep = s[s["separable"].astype(bool) & ~s["diverged"].astype(bool)]
        runs.append({"N": N, "d": d, "t_max": params["t_max"],
                     "margin": sep["margin"].to_numpy(float).tolist(),
                     "final_test_acc": sep["final_test_acc"].to_numpy(float).tolist()})
    k, n = int(s["groks"].sum()), int((~s["diverged"]).sum())
    pred = run_theory(get_theory("separability"), res.config, {})[0]
    v = Verdict.count("P_grok", k, n, pred.value) if pred.testable else None
    lo, hi = binomial_ci(k, n)
    kt, nt = _threshold(s)
    r = float(params.get("label_fraction", 1.0))
    row = {"N": N, "d": d, "lam": d / N, "sigma": params["sigma"], "shift": params["shift"], "label_fraction": r,
           "symmetric": params["shift"] == 0.0 and r == 1.0, "n_runs": n, "n_groks": k, "p_grok_sim": k / n,
           "p_grok_sim_ci": [lo, hi], "p_grok_wendel": pred.value if pred.testable else float("nan"),
           "p_value": v.p_value if v else float("nan"), "verdict": v.verdict if v else f"not testable: {pred.not_testable}",
           "p_threshold": kt / nt if nt else None, "p_threshold_ci": list(binomial_ci(kt, nt)) if nt else None,
           "n_threshold": nt, "n_unreached": int((~s["reached"].to_numpy(bool)).sum()),
           "status": {str(a): int(b) for a, b in s["status"].value_counts().items()}, "seed": seed}
    if r != 1.0 and params["shift"] == 0.0:
        row.update(_exact_label_fraction(N, d, r, k, n))
    return row


def _exact_label_fraction(N: int, d: int, r: float, k: int, n: int) -> dict[str, Any]:
    """The exact law of an asymmetric row: P(generalises) = r^N (1 − P_sep) and its binomial verdict."""
    from linear_grokking.separability import p_generalise_label_fraction

    p = p_generalise_label_fraction(N, d, r)
    v = Verdict.count("P_generalise", k, n, p, theory="r^N (1 - P_sep): Prop. 3.2 with no -1 label")
    return {"p_grok_exact": p, "p_grok_exact_law": "r^N (1 - P_sep(N, d)): Prop. 3.2 + no -1 label (App. I "
            "reading of linear_grokking.separability)", "p_value_exact": v.p_value, "verdict_exact": v.verdict}


def _compare_constant_label(rows: list[dict[str, Any]]) -> None:
    """Add ``vs_constant_label`` to every asymmetric row that has an r = 1 row with the same (N, d, σ)."""
    from scipy.stats import fisher_exact

    base = {(r["N"], r["d"], r["sigma"]): r for r in rows if r["symmetric"]}
    for r in rows:
        b = base.get((r["N"], r["d"], r["sigma"]))
        if r["label_fraction"] == 1.0 or b is None or not r["n_threshold"] or not b["n_threshold"]:
            continue
        k1, n1 = round(r["p_threshold"] * r["n_threshold"]), r["n_threshold"]
        k0, n0 = round(b["p_threshold"] * b["n_threshold"]), b["n_threshold"]
        p = float(fisher_exact([[k1, n1 - k1], [k0, n0 - k0]]).pvalue)
        r["vs_constant_label"] = {"p_threshold": b["p_threshold"], "p_threshold_ci": b["p_threshold_ci"],
                                  "p_grok_sim": b["p_grok_sim"], "delta_p_threshold": r["p_threshold"] - b["p_threshold"],
                                  "fisher_p": p}


def paper_separability(Ns: Sequence[int] = DEFAULT_NS, lams: Sequence[float] = DEFAULT_LAMS, *,
                       n_sets: int = 200, sigma: float = 1.0, shift: float = 0.0, t_max: float = 1e6,
                       label_fractions: Sequence[float] = DEFAULT_LABEL_FRACTIONS,
                       label_Ns: Sequence[int] = DEFAULT_LABEL_NS, label_max_steps: int = 10_000,
                       seed: int = 0, progress: bool = False,
                       runs: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """One row per (N, λ) with ``d = round(λ N)``, then the asymmetric rows: one per (r, N, λ) for
    ``r`` in ``label_fractions`` and N in ``label_Ns`` (GD capped at ``label_max_steps`` steps:
    with a −1 label, small labelled margins make explicit Euler slow). JSON-ready; keys in the
    module docstring.

    Each setting has its own child seed of ``seed`` (:func:`comparison.seeds.child_seeds`; the
    constant-label rows keep the seeds they had before asymmetric rows existed); ``runs``, when a
    list, receives the separable runs of each constant-label row (module docstring).
    """
    grid = [(int(N), max(1, round(float(lam) * int(N)))) for N in Ns for lam in lams]
    extra = [(float(r), int(N), max(1, round(float(lam) * int(N)))) for r in label_fractions if float(r) != 1.0
             for N in label_Ns for lam in lams]
    seeds = child_seeds(seed, len(grid) + len(extra))
    params = {"sigma": float(sigma), "shift": float(shift), "t_max": float(t_max), "n_seeds": int(n_sets),
              "n_points": 16}
    rows = [_row(N, d, params, s, progress, runs) for (N, d), s in zip(grid, seeds)]
    for (r, N, d), s in zip(extra, seeds[len(grid):]):
        rows.append(_row(N, d, {**params, "label_fraction": r, "max_steps": int(label_max_steps)}, s, progress))
    _compare_constant_label(rows)
    return rows


def separability_frame(rows: list[dict[str, Any]]) -> Any:
    """A compact printable table of :func:`paper_separability` rows."""
    import pandas as pd

    return pd.DataFrame([{"N": r["N"], "d": r["d"], "lam": r["lam"], "r": r.get("label_fraction", 1.0),
                          "groks": f"{r['n_groks']}/{r['n_runs']}", "P_grok sim": r["p_grok_sim"],
                          "CI": "[{:.3f}, {:.3f}]".format(*r["p_grok_sim_ci"]),
                          "exact law": r["p_grok_wendel"] if r["symmetric"] else r.get("p_grok_exact"),
                          "p": r["p_value"] if r["symmetric"] else r.get("p_value_exact"),
                          "verdict": r["verdict"] if r["symmetric"] else r.get("verdict_exact", r["verdict"]),
                          "acc>=level": r["p_threshold"],
                          "acc CI": "[{:.3f}, {:.3f}]".format(*r["p_threshold_ci"]) if r.get("p_threshold_ci") else "",
                          "Fisher p vs r=1": (r.get("vs_constant_label") or {}).get("fisher_p")}
                         for r in rows]).fillna(value=float("nan")).infer_objects()


def figure_data(rows: list[dict[str, Any]], runs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    r"""What the report's figures draw, as JSON-ready data.

    ``p_grok``: per N, the simulated points (``lam``, ``p``, ``ci`` — the rows' exact
    Clopper-Pearson interval at the 4σ level) and the exact finite-N law
    ``P_grok = 1 - 2^{1-N} Σ_{k<d} C(N-1, k)`` (Props. 3.2-3.3, Wendel 1962) at every integer
    ``d`` with ``d/N`` in the drawn range (``theory_lam``, ``theory_p``; symmetric rows only).
    ``a_gen``: the separable runs' ``margin`` and ``final_test_acc`` (at ``t_max``) with ``sigma`` (None when
    no separable run was kept or the data are shifted, where Prop. 3.2's A_gen does not apply).

    >>> rows = [{"N": 10, "d": 5, "lam": 0.5, "p_grok_sim": 0.5, "p_grok_sim_ci": [0.3, 0.7],
    ...          "symmetric": True, "sigma": 1.0}]
    >>> fd = figure_data(rows)
    >>> fd["p_grok"][0]["theory_p"][fd["p_grok"][0]["theory_lam"].index(0.5)], fd["a_gen"]
    (0.5, None)
    """
    from linear_grokking.separability import p_grok_wendel

    from linear_grokking.separability import p_generalise_label_fraction

    lams = [r["lam"] for r in rows]
    lo, hi = max(0.0, min(lams) - 0.15), max(lams) + 0.15
    out: list[dict[str, Any]] = []
    for N, frac in sorted({(r["N"], r.get("label_fraction", 1.0)) for r in rows}, key=lambda x: (-x[1], x[0])):
        sel = [r for r in rows if r["N"] == N and r.get("label_fraction", 1.0) == frac]
        exact = all(r["symmetric"] or r.get("p_grok_exact") is not None for r in sel)
        ds = [d for d in range(1, 2 * N + 1) if lo <= d / N <= hi] if exact else []
        out.append({"N": N, "label_fraction": frac, "lam": [r["lam"] for r in sel], "p": [r["p_grok_sim"] for r in sel],
                    "ci": [list(r["p_grok_sim_ci"]) for r in sel], "theory_lam": [d / N for d in ds],
                    "theory_p": [p_grok_wendel(N, d) if frac == 1.0 else p_generalise_label_fraction(N, d, frac)
                                 for d in ds]})
    a_gen = None
    sym = [r for r in rows if r["symmetric"]]
    if runs and sym and len(sym) == sum(r.get("label_fraction", 1.0) == 1.0 for r in rows) \
            and any(x["margin"] for x in runs):
        a_gen = {"sigma": sym[0]["sigma"], "t_max": max(x.get("t_max", 0.0) for x in runs),
                 "margin": [m for x in runs for m in x["margin"]],
                 "final_test_acc": [a for x in runs for a in x["final_test_acc"]]}
    return {"p_grok": out, "a_gen": a_gen}


def write_separability_report(rows: list[dict[str, Any]], out_dir: Any, runs: list[dict[str, Any]] | None = None,
                              *, delay: dict[str, Any] | None = None, overwrite: bool = False) -> Any:
    """Write ``report.md``/``report.html`` with the table and the figures of :func:`figure_data` into
    ``out_dir`` (:func:`comparison.report.write_report`: atomic, never replaces a user's file
    without ``overwrite``), and the delay section when ``delay``
    (:func:`comparison.pipeline.separability_delay.delay_study`) is given; returns the directory."""
    from ..report import Report, write_report
    from ..report.separability_paper import draw_separability_paper

    rep = Report(title="Edge of linear separability: P_grok against Wendel (grokcheck paper separability)")
    draw_separability_paper(rep, rows, separability_frame(rows), figure_data(rows, runs))
    if delay is not None:
        from ..report.separability_paper import draw_separability_delay

        draw_separability_delay(rep, delay)
    return write_report(rep, out_dir, overwrite=overwrite)
