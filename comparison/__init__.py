"""comparison: simulators registry, run sets on disk, estimators, theory-vs-simulation
verdicts, reports and the ``grokcheck`` command line (the top layer of grokcheck).

Data flow, one way: simulate (:mod:`~comparison.simulators`) → run set on disk
(:mod:`~comparison.runset`) → fit (:mod:`~comparison.estimate`, written once as
``fits.json`` next to the run set) → predict (the theory registry,
:mod:`~comparison.registry`) →
verdicts (:mod:`~comparison.agreement`) → report (:mod:`~comparison.report`,
all matplotlib). :mod:`~comparison.sweep` runs grids of settings;
:mod:`~comparison.pipeline` is the only composer and :mod:`~comparison.cli`
its thin face. See docs/comparison.md.

Public names (re-exported lazily, so ``grokcheck --help`` pays for no numpy):
``RunSet``, ``RunSetError``, ``write_runset``, ``load_runset``,
``validate_runset``, ``load_table``, ``load_any``, ``merge_runsets``,
``detect_transitions``, ``NuFitter``, ``NuFit``, ``Analysis``, ``analyse``,
``TOLERANCE_RULES``, ``SIMULATORS``, ``SimulatorSpec``, ``register``,
``simulate_runset``, ``fit_runset``, ``run_demo``, ``GrokcheckError``, ``Verdict``,
``TheorySpec``, ``Prediction``, ``load_theory``, ``register_theory``.

>>> import comparison
>>> {"perceptron-1d", "perceptron-ball"} <= set(comparison.SIMULATORS)
True
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "RunSet": "runset", "RunSetError": "errors", "write_runset": "runset", "load_runset": "runset",
    "validate_runset": "runset", "load_table": "runset", "load_any": "runset", "merge_runsets": "runset",
    "detect_transitions": "estimate", "NuFitter": "estimate", "NuFit": "estimate",
    "Analysis": "agreement", "analyse": "agreement", "TOLERANCE_RULES": "agreement",
    "SIMULATORS": "simulators", "SimulatorSpec": "simulators", "register": "simulators",
    "simulate_runset": "pipeline", "fit_runset": "pipeline", "run_demo": "pipeline",
    "GrokcheckError": "errors", "Verdict": "agreement", "TheorySpec": "registry", "Prediction": "registry",
    "load_theory": "registry", "register_theory": "registry",
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
    from .agreement import TOLERANCE_RULES, Analysis, Verdict, analyse
    from .registry import Prediction, TheorySpec, load_theory, register_theory
    from .errors import GrokcheckError, RunSetError
    from .estimate import NuFit, NuFitter, detect_transitions
    from .pipeline import fit_runset, run_demo, simulate_runset
    from .runset import (RunSet, load_any, load_runset, load_table, merge_runsets, validate_runset,
                         write_runset)
    from .simulators import SIMULATORS, SimulatorSpec, register
