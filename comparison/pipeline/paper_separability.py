r"""``grokcheck paper separability``: P_grok against Wendel's law on a grid of (N, λ) crossing λ_c = 1/2.

Beck, Levi & Bar-Sinai (ICML 2025), Props. 3.2-3.3. Each row runs the registered
``separability`` simulator (``groks_by = limit``: a run groks iff its training set is not
separable from the origin, exact LP) and judges the count with the registered
``separability`` theory under the single rule (exact binomial, two-sided mid-p). Beside it,
``p_threshold`` is the fraction of runs whose test accuracy reached ``acc_level`` by ``t_max``
— what a finite run shows; it differs from P_grok where separable sets have a limiting
accuracy Φ(1/(σM)) above the level (small σ) or non-separable ones are slower than ``t_max``.

Row keys: ``N, d, lam, sigma, shift, symmetric`` (Wendel exact: ``shift = 0``), ``n_runs``,
``n_groks``, ``p_grok_sim``, ``p_grok_sim_ci`` (Clopper-Pearson at the 4σ level),
``p_grok_wendel``, ``p_value``, ``verdict``, ``p_threshold``, ``status`` (counts), ``seed``.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..agreement.verdict import Verdict
from ..estimate.exact import binomial_ci
from ..registry import get_theory, run_theory
from ..seeds import child_seeds
from ..simulators import call_simulator

__all__ = ["paper_separability", "separability_frame", "DEFAULT_NS", "DEFAULT_LAMS"]

DEFAULT_NS = (20, 40, 80)
DEFAULT_LAMS = (0.4, 0.5, 0.6)


def _row(N: int, d: int, params: dict[str, Any], seed: int, progress: bool) -> dict[str, Any]:
    res = call_simulator("separability", {"N": N, "d": d, **params, "groks_by": "limit", "seed": seed},
                         progress=progress)
    s = res.summary
    k, n = int(s["groks"].sum()), int((~s["diverged"]).sum())
    pred = run_theory(get_theory("separability"), res.config, {})[0]
    v = Verdict.count("P_grok", k, n, pred.value) if pred.testable else None
    lo, hi = binomial_ci(k, n)
    return {"N": N, "d": d, "lam": d / N, "sigma": params["sigma"], "shift": params["shift"],
            "symmetric": params["shift"] == 0.0, "n_runs": n, "n_groks": k, "p_grok_sim": k / n,
            "p_grok_sim_ci": [lo, hi], "p_grok_wendel": pred.value if pred.testable else None,
            "p_value": v.p_value if v else None, "verdict": v.verdict if v else f"not testable: {pred.not_testable}",
            "p_threshold": float(s["status"].isin(["groks", "threshold_only"]).mean()),
            "status": {str(a): int(b) for a, b in s["status"].value_counts().items()}, "seed": seed}


def paper_separability(Ns: Sequence[int] = DEFAULT_NS, lams: Sequence[float] = DEFAULT_LAMS, *,
                       n_sets: int = 200, sigma: float = 1.0, shift: float = 0.0, t_max: float = 1e6,
                       seed: int = 0, progress: bool = False) -> list[dict[str, Any]]:
    """One row per (N, λ) with ``d = round(λ N)`` (JSON-ready; keys in the module docstring).

    Each setting has its own child seed of ``seed`` (:func:`comparison.seeds.child_seeds`).
    """
    grid = [(int(N), max(1, round(float(lam) * int(N)))) for N in Ns for lam in lams]
    seeds = child_seeds(seed, len(grid))
    params = {"sigma": float(sigma), "shift": float(shift), "t_max": float(t_max), "n_seeds": int(n_sets),
              "n_points": 16}
    return [_row(N, d, params, s, progress) for (N, d), s in zip(grid, seeds)]


def separability_frame(rows: list[dict[str, Any]]) -> Any:
    """A compact printable table of :func:`paper_separability` rows."""
    import pandas as pd

    return pd.DataFrame([{"N": r["N"], "d": r["d"], "lam": r["lam"], "groks": f"{r['n_groks']}/{r['n_runs']}",
                          "P_grok sim": r["p_grok_sim"],
                          "CI": "[{:.3f}, {:.3f}]".format(*r["p_grok_sim_ci"]), "Wendel": r["p_grok_wendel"],
                          "p": r["p_value"], "verdict": r["verdict"], "acc>=level": r["p_threshold"]}
                         for r in rows])
