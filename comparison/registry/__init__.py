"""The two registries of grokcheck: simulators (:mod:`comparison.simulators`) and theories.

A theory (:class:`TheorySpec`) says which run sets it applies to, which measured
inputs it needs and what it predicts (typed :class:`Prediction` s). Built-in theories
live in :mod:`~comparison.registry.builtin`; a user's file, a module or an installed
package's entry point (group ``grokcheck.theories``) plugs in through
:mod:`~comparison.registry.user` without editing grokcheck.

>>> from comparison.registry import all_theories
>>> [t.name for t in all_theories()][:4]
['1d', 'ball', 'eq50', 'margin']
"""
from __future__ import annotations

from .catalog import all_theories, get_theory, run_key, run_keys, theories_for, theory_law
from .theories import MEASURED_INPUTS, PREDICTION_KINDS, QUANTITIES, Prediction, TheorySpec, register_theory, run_theory
from .user import SIMULATOR_GROUP, THEORY_GROUP, TheoryError, discover_entry_points, load_theory, theory_from_object

__all__ = ["Prediction", "TheorySpec", "QUANTITIES", "PREDICTION_KINDS", "MEASURED_INPUTS", "register_theory",
           "get_theory", "all_theories", "theories_for", "run_theory", "run_key", "run_keys", "theory_law", "TheoryError", "load_theory",
           "theory_from_object", "discover_entry_points", "THEORY_GROUP", "SIMULATOR_GROUP"]
