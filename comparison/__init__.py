"""comparison: run sets on disk, estimators, theory-vs-simulation agreement,
reports and the ``grokcheck`` command line (the top layer of grokcheck).

Data flow: simulate -> run set on disk (:func:`write_runset`) -> fit
(:class:`NuFitter`, feature estimators, grokking-time laws) -> predict
(``perceptron_theory``) -> report. See docs/comparison.md and docs/run-format.md.

The public names are re-exported lazily from the private modules (PEP 562), so
that ``grokcheck --help`` does not pay for numpy/pandas/scipy imports.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    # run sets on disk
    "SCHEMA_VERSION": "_runset", "RunSet": "_runset", "RunSetError": "_runset",
    "write_runset": "_runset", "load_runset": "_runset", "validate_runset": "_runset",
    "load_table": "_runset", "load_any": "_runset", "merge_runsets": "_runset",
    "runset_from_curves": "_runset",
    # transitions and nu
    "detect_transitions": "_transitions", "aligned_matrix": "_transitions",
    "NuFitter": "_nu", "fit_power_law": "_nu",
    # feature estimators
    "d_eff": "_features", "XiResult": "_features", "xi_angle_histogram": "_features",
    "xi_context": "_features", "MarginExponent": "_features", "margin_exponent": "_features",
    "epsilon_separation": "_features", "SpectrumSplit": "_features", "split_spectrum": "_features",
    # grokking-time laws
    "kde": "_laws", "BimodalityResult": "_laws", "bimodality_test": "_laws",
    "LawDistance": "_laws", "law_distance": "_laws",
    # theory predictions, agreement, reports
    "predict_ball": "_theory", "predict_exponential": "_theory", "predict_nu_eq50": "_theory",
    "Analysis": "_agreement", "analyse": "_agreement", "TOLERANCE_RULES": "_agreement",
    "Report": "_report", "write_report": "_report", "report_runsets": "_report",
    "paper_sections": "_paper", "run_demo": "_demo",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module 'comparison' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"comparison.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from ._features import (MarginExponent, SpectrumSplit, XiResult, d_eff, epsilon_separation,
                            margin_exponent, split_spectrum, xi_angle_histogram, xi_context)
    from ._laws import BimodalityResult, LawDistance, bimodality_test, kde, law_distance
    from ._nu import NuFitter, fit_power_law
    from ._runset import (SCHEMA_VERSION, RunSet, RunSetError, load_any, load_runset, load_table,
                          merge_runsets, runset_from_curves, validate_runset, write_runset)
    from ._transitions import aligned_matrix, detect_transitions
    from ._theory import predict_ball, predict_exponential, predict_nu_eq50
    from ._agreement import TOLERANCE_RULES, Analysis, analyse
    from ._report import Report, report_runsets, write_report
    from ._paper import paper_sections
    from ._demo import run_demo
