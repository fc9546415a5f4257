"""Theory-vs-simulation agreement: verdict rows (:mod:`.verdict`), the confrontation of
predictions with measurements (:mod:`.rows`), :func:`analyse` and its result
:class:`Analysis`.
"""
from __future__ import annotations

from .analyse import analyse, curves_preview, measured_inputs
from .analysis import Analysis
from .verdict import KS_P_MIN, MIN_RUNS, TOLERANCE_RULES, VERDICT_COLUMNS, VERDICT_WORDS, Z_TOL, Verdict, binomial_se

__all__ = ["Analysis", "analyse", "curves_preview", "measured_inputs", "Verdict", "TOLERANCE_RULES", "Z_TOL",
           "KS_P_MIN", "MIN_RUNS", "VERDICT_COLUMNS", "VERDICT_WORDS", "binomial_se"]
