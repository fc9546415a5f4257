r"""The built-in theory of the separability model (Beck, Levi & Bar-Sinai, ICML 2025): Wendel's P_grok.

Registered on import (by :mod:`.catalog`) as ``separability``, for run sets of the
``separability`` simulator. One quantity maps onto what a run set measures:

* ``P_grok`` = 1 − P_sep(N, d) = P(Bin(N−1, ½) ≥ d): Prop. 3.2 (a run generalises iff its
  training set is not separable from the origin) with Prop. 3.3 (Wendel 1962, exact at
  finite N for a law symmetric about 0 in general position). Exact, so ``se = 0``; the
  verdict is the exact binomial test.

The run set's ``groks`` must answer the same question. With the simulator's default
``groks_by = "limit"`` it is the run's t → ∞ answer (not separable, exact LP). With
``groks_by = "threshold"`` it is "the test accuracy reached ``acc_level`` by ``t_max``",
which also counts separable sets whose limit Φ(1/(σM)) is above the level and misses
non-separable sets slower than ``t_max``: the row says so in its note. Shifted data
(``shift ≠ 0``) and a label fraction ``label_fraction < 1`` (App. I) are outside Wendel's
hypothesis: "not testable". Nothing else maps honestly
(no ν: the test error does not vanish at t*_gen; no ensemble law of t_G in the paper).

>>> from comparison.registry import get_theory
>>> p = get_theory("separability").predict({"N": 20, "d": 10}, {})[0]
>>> p.quantity, p.value, p.se
('P_grok', 0.5, 0.0)
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .builtin import inputs_text
from .theories import Prediction, TheorySpec, register_theory

__all__ = ["wendel_p_grok"]

_EXACT_MAX_N = 2000  # exact integer sum up to here; the binomial cdf (scipy) beyond


def wendel_p_grok(N: int, d: int) -> tuple[float, str]:
    """P_grok = 1 − P_sep(N, d) (Props. 3.2-3.3) and how it was evaluated.

    >>> wendel_p_grok(20, 8)[0] == 1 - sum(__import__("math").comb(19, k) for k in range(8)) / 2 ** 19
    True
    """
    if N <= _EXACT_MAX_N:
        from linear_grokking.separability.geometry import p_grok_wendel

        return p_grok_wendel(N, d), "exact sum"
    from linear_grokking.separability.theory import p_sep_binomial

    return 1.0 - p_sep_binomial(N, d), "binomial cdf"


_THRESHOLD_NOTE = ("groks_by = threshold: the run set counts runs whose test accuracy reached acc_level = {lvl:g} "
                   "by t_max = {tmax:g}, Wendel the sets that are not separable (the t -> inf answer); separable "
                   "sets with Phi(1/(sigma M)) >= acc_level are counted too and non-separable sets slower than "
                   "t_max are not (summary.status: threshold_only, not_reached); use groks_by = limit for the "
                   "same question")


def _predict_separability(cfg: Mapping[str, Any], measured: Mapping[str, Any]) -> list[Prediction]:
    N, d = int(cfg["N"]), int(cfg["d"])
    p, how = wendel_p_grok(N, d)
    src = f"Props. 3.2-3.3 (Wendel 1962): P_grok = 1 - 2^(1-N) sum_(k<d) C(N-1, k), {how}, " \
          f"{inputs_text(cfg, ('N', 'd', 'lam', 'sigma'))}"
    shift = float(cfg.get("shift", 0.0))
    if shift != 0.0:
        return [Prediction("P_grok", not_testable=f"Wendel's law needs data symmetric about 0; shift = {shift:g}",
                           source=src)]
    r = float(cfg.get("label_fraction", 1.0))
    if r != 1.0:
        return [Prediction("P_grok", not_testable=f"Wendel's law is for the constant label; label_fraction = {r:g} "
                           "(App. I; generalising needs no -1 label too: r^N (1 - P_sep), "
                           "linear_grokking.separability.p_generalise_label_fraction)", source=src)]
    note = ""
    if cfg.get("groks_by", "limit") == "threshold":
        note = _THRESHOLD_NOTE.format(lvl=float(cfg.get("acc_level", 0.95)), tmax=float(cfg.get("t_max", 1e12)))
    elif cfg.get("optimizer", "gd") == "adam":
        note = "Prop. 3.2 is proved for gradient flow; with Adam the same LP criterion defines groks"
    return [Prediction("P_grok", p, 0.0, source=src, note=note)]


register_theory(TheorySpec("separability", ("separability",), _predict_separability, ("P_grok",),
                           description="edge of linear separability: P_grok = 1 - P_sep (Wendel; Beck et al. "
                                       "2025, Props. 3.2-3.3)",
                           example_config={"N": 20, "d": 10, "shift": 0.0}))
