r"""One verdict row, built only through one constructor per kind of comparison.

The single rule — |z| < 4, applied as its tail probability p ≥ P_TOL ≈ 6.3e-5 with
the test that fits the data — lives in the constructors of :class:`Verdict`;
:data:`TOLERANCE_RULES` (the paragraph at the top of every report) is generated from
their ``rule`` texts, so the statement and the code cannot drift apart.

z = (measured − predicted) / √(se_meas² + se_pred² + se_sys²)

>>> Verdict.estimate("nu", 3.42, 1.0, 0.0).verdict          # |z| = 3.42 < 4
'agrees'
>>> Verdict.bound("P_grok", -4.5, 1.0, 0.0, side="lower").verdict
'bound violated'
>>> v = Verdict.count("P_grok", 6, 1000, 5.325e-08)         # exact binomial, not the normal tail
>>> v.verdict, v.kind
('disagrees', 'estimate')
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Callable, TypeVar

from ..estimate.exact import P_TOL, Z_TOL, count_verdict, estimate_p
from .power import binomial_detectable, detectable

__all__ = ["Verdict", "VERDICT_COLUMNS", "VERDICT_WORDS", "TOLERANCE_RULES", "Z_TOL", "KS_P_MIN", "MIN_RUNS",
           "binomial_se", "detectable_sentence"]

KS_P_MIN = P_TOL  # the 4σ rule as a p-value (two-sided normal tail)
MIN_RUNS = {"nu": 5, "t_G": 20, "P_grok": 10}  # weaker inputs are untestable
VERDICT_COLUMNS = ["quantity", "measured", "se_meas", "se_sys", "predicted", "se_pred", "z", "p_value", "verdict",
                   "theory", "note", "kind", "detectable", "erratum"]
VERDICT_WORDS = {**dict.fromkeys(("estimate", "distance", "property"), ("agrees", "disagrees")),
                 **dict.fromkeys(("lower bound", "upper bound"), ("bound holds", "bound violated"))}
_NAN = math.nan
F = TypeVar("F", bound=Callable[..., Any])


def _rule(text: str) -> Callable[[F], F]:
    def deco(fn: F) -> F:
        fn.rule = text  # type: ignore[attr-defined]
        return fn
    return deco


def binomial_se(k: int, n: int) -> float:
    """√(p(1−p)/n) with p = k/n, floored at 1/n (so that 0 of n or n of n is not 'exact'); the
    z column of count rows only — the verdict of a count is the exact binomial test.

    >>> round(binomial_se(0, 100), 4)
    0.01
    """
    if n <= 0:
        return _NAN
    p = k / n
    return math.sqrt(max(p * (1 - p), 1.0 / n) / n)


def _z(measured: float, predicted: float, *ses: float) -> float:
    tot = math.sqrt(sum(s * s for s in ses))
    if tot > 0:
        return (measured - predicted) / tot
    return 0.0 if measured == predicted else math.copysign(math.inf, measured - predicted)


def _z_detectable(*ses: float, one_sided: bool = False) -> float:
    """The smallest |measured − predicted| the z-test detects with 80 % power at the 4σ rule:
    ≈ (4 + 0.84)·se two-sided (:func:`~comparison.agreement.power.z_detectable`), exactly
    (4 + z₀.₈)·se one-sided (bounds); NaN without a finite standard error."""
    tot = math.sqrt(sum(s * s for s in ses)) if all(isinstance(s, (int, float)) for s in ses) else _NAN
    return detectable(kind="lower bound" if one_sided else "estimate", se=tot)


def detectable_sentence(row: Any) -> str:
    """What the row could have detected, in words (from its ``detectable`` and ``kind`` columns; item 7
    of issue 23): the smallest true discrepancy the row's own test sees with 80 % probability.

    >>> detectable_sentence(Verdict.estimate("nu", 3.0, 0.01, 3.0).row())
    'would detect |measured − predicted| ≥ 0.0484 with 80 % power (z-test, se = 0.01)'
    >>> detectable_sentence(Verdict.count("P_grok", 5, 10, 0.5).row())
    'no discrepancy is detectable with 80 % power at n = 10 (exact binomial)'
    """
    get = row.get if hasattr(row, "get") else (lambda k, d=None: getattr(row, k, d))
    kind, d = str(get("kind", "") or ""), get("detectable", _NAN)
    d = _NAN if d is None or isinstance(d, str) and d not in ("inf", "Infinity") else float(d)
    exact = "exact binomial" in str(get("note", "") or "")
    if kind in ("distance", "property", "not testable") or (math.isnan(d) and not exact):
        return ""
    if exact:
        n = str(get("note", "")).rsplit("n = ", 1)[-1].split(";")[0].strip()
        if not math.isfinite(d):
            return f"no discrepancy is detectable with 80 % power at n = {n} (exact binomial)"
        return f"would detect |p − predicted| ≥ {d:.3g} with 80 % power (exact binomial, n = {n})"
    se = math.sqrt(sum(float(get(k, 0.0) or 0.0) ** 2 for k in ("se_meas", "se_pred", "se_sys")
                       if math.isfinite(float(get(k, 0.0) or 0.0))))
    side = "one-sided " if "bound" in kind else ""
    return f"would detect |measured − predicted| ≥ {d:.3g} with 80 % power ({side}z-test, se = {se:.2g})"


@dataclass(frozen=True)
class Verdict:
    """A row of the verdict table (:data:`VERDICT_COLUMNS`); build it with a constructor."""

    quantity: str
    measured: float
    se_meas: float
    se_sys: float
    predicted: float
    se_pred: float
    z: float
    p_value: float
    verdict: str
    theory: str
    note: str
    kind: str
    detectable: float = _NAN
    erratum: str = ""  # the docs/errata.md entry the theory names for this row (report.errata)

    def row(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    @_rule(f"One rule for every verdict: |z| < {Z_TOL:g}, applied as its tail probability — a row agrees when the "
           f"two-sided p-value of the test that fits the data is ≥ {P_TOL:.2g} (= P(|Z| ≥ 4)). Estimates with a "
           "standard error: z = (measured − predicted) / √(se_meas² + se_pred² + se_sys²) and its normal tail. "
           "Counts (P_grok: k grokking runs of n): the exact binomial test (two-sided mid-p), always, not only "
           "near 0 and 1 — the normal approximation is wrong for rare events; z stays a column for reading. "
           "Why 4: a correct prediction then fails by chance with probability 6×10⁻⁵ per row (0.3 % among 50 "
           "rows), while a real discrepancy of a few standard errors is still seen at the sample sizes used.")
    def estimate(cls, quantity: str, measured: float, se_meas: float, predicted: float, se_pred: float = 0.0,
                 se_sys: float = 0.0, theory: str = "", note: str = "") -> "Verdict":
        """A measured estimate with its s.e. against a predicted value: 'agrees' / 'disagrees'."""
        z = _z(measured, predicted, se_meas, se_pred, se_sys)
        p = estimate_p(z, "estimate")
        return cls(quantity, measured, se_meas, se_sys, predicted, se_pred, z, p,
                   VERDICT_WORDS["estimate"][p < P_TOL], theory, note, "estimate",
                   _z_detectable(se_meas, se_pred, se_sys))

    @classmethod
    @_rule("Bounds are one-sided: 'bound holds' unless the measurement lies on the wrong side of the bound by "
           f"at least {Z_TOL:g} standard errors ('bound violated'); a bound is never said to 'agree'.")
    def bound(cls, quantity: str, measured: float, se_meas: float, bound: float, *, side: str,
              se_pred: float = 0.0, se_sys: float = 0.0, theory: str = "", note: str = "") -> "Verdict":
        """A measurement against a lower or upper bound (``side``), one-sided."""
        if side not in ("lower", "upper"):
            raise ValueError(f"side must be 'lower' or 'upper', got {side!r}")
        kind = f"{side} bound"
        z = _z(measured, bound, se_meas, se_pred, se_sys)
        p = estimate_p(z, kind)
        return cls(quantity, measured, se_meas, se_sys, bound, se_pred, z, p, VERDICT_WORDS[kind][p < P_TOL],
                   theory, note, kind, _z_detectable(se_meas, se_pred, se_sys, one_sided=True))

    @classmethod
    def count(cls, quantity: str, k: int, n: int, predicted: float, *, side: str | None = None,
              theory: str = "", note: str = "") -> "Verdict":
        """k events in n trials against a predicted probability: the exact binomial test (mid-p;
        one-sided and doubled for a bound, ``side`` = "lower"/"upper"); z is shown for reading only."""
        kind = "estimate" if side is None else f"{side} bound"
        pred = min(max(float(predicted), 0.0), 1.0)
        p, ok = count_verdict(k, n, pred, kind=kind)
        p = min(1.0, 2.0 * p) if side is not None else p
        note = f"{note}; exact binomial (mid-p), k = {k} of n = {n}".lstrip("; ")
        se = binomial_se(k, n)
        return cls(quantity, k / n, se, 0.0, float(predicted), 0.0, _z(k / n, float(predicted), se), p,
                   VERDICT_WORDS[kind][not ok], theory, note, kind, binomial_detectable(n, pred) if n > 0 else _NAN)

    @classmethod
    @_rule("The t_G law: the Kolmogorov-Smirnov distance between the measured and the predicted law, after "
           "snapping the times within ±0.1 % (relative, the stated resolution) of the law's atom onto it — on "
           "both sides, the law's own mass there included, so a sample sitting on the atom up to round-off is "
           "not 'far' from it. Its p-value is a parametric bootstrap of the theory's law at the same n (20000 "
           "draws, seeded from the analysis seed; the DKW bound 2 exp(−2nD²) beyond the bootstrap's "
           f"resolution); the same rule in p-value form: 'agrees' if p ≥ {KS_P_MIN:.2g}. A law has no single "
           "predicted value: its mean is in the note (and the mean and median t_G have rows of their own).")
    def distance(cls, quantity: str, distance: float, p_value: float, *, theory: str = "",
                 note: str = "") -> "Verdict":
        """A distance between laws with its p-value (no 'predicted' value: it stays NaN)."""
        return cls(quantity, distance, _NAN, _NAN, _NAN, _NAN, _NAN, p_value,
                   VERDICT_WORDS["distance"][not p_value >= KS_P_MIN], theory, note, "distance")

    @classmethod
    @_rule("Yes/no properties (t_G bimodal: ΔBIC > 10 with two modes) agree when the test's answer is the "
           "theory's.")
    def property(cls, quantity: str, measured: bool, predicted: bool, *, theory: str = "",
                 note: str = "") -> "Verdict":
        """A yes/no property: 'agrees' when the measured answer is the predicted one."""
        return cls(quantity, float(measured), _NAN, _NAN, float(predicted), _NAN, _NAN, _NAN,
                   VERDICT_WORDS["property"][bool(measured) != bool(predicted)], theory, note, "property")

    @classmethod
    @_rule(f"'not testable: …' — an input is missing or too weak (< {MIN_RUNS['nu']} runs for ν, < "
           f"{MIN_RUNS['t_G']} grokking times for the t_G law, or flagged weak); no input is ever replaced by a "
           "default.")
    def not_testable(cls, quantity: str, measured: float, *, theory: str = "", why: str) -> "Verdict":
        """No verdict: ``why`` names the missing or weak input."""
        return cls(quantity, measured, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN, "not testable", theory, why,
                   "not testable")


_SE_RULE = ("se_meas: ν — bootstrap s.d. over runs, se_sys = half-range of ν over shifted/widened fit windows; "
            "P_grok — binomial √(p(1−p)/n), floored at 1/n (for the z column only; the verdict is exact); "
            "mean t_G — s.d./√n. detectable: the smallest true discrepancy the row's test sees with 80 % "
            "power at this rule — (4 + 0.84)·√(se_meas² + se_pred² + se_sys²) for a z-test, the exact-binomial "
            "detectable shift at the row's n for counts (none when n is too small).")
TOLERANCE_RULES = [Verdict.estimate.rule, Verdict.bound.rule, Verdict.distance.rule,  # type: ignore[attr-defined]
                   Verdict.property.rule, _SE_RULE, Verdict.not_testable.rule]  # type: ignore[attr-defined]
