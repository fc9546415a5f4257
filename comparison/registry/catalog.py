"""Looking theories up: every registered theory (built-ins and installed plug-ins, loaded on first
use), the ones that apply to a run set, and the t_G law of a config.

>>> [t.name for t in theories_for({"generator": "perceptron_theory.simulate_ball"})]
['ball']
>>> run_keys({"generator": "perceptron_theory.simulate_ball", "model": "ball"})
('perceptron-ball', 'ball')
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import builtin, linear_theories, separability  # noqa: F401  (register the built-in theories on import)
from .theories import TheorySpec, registered
from .user import discover_entry_points

__all__ = ["get_theory", "all_theories", "theories_for", "run_key", "run_keys", "theory_law"]


def _ensure_loaded() -> None:
    discover_entry_points()


def get_theory(name: str) -> TheorySpec | None:
    """The registered theory called ``name``, or None."""
    _ensure_loaded()
    return registered().get(name)


def all_theories() -> list[TheorySpec]:
    """Every registered theory, built-ins first, in registration order."""
    _ensure_loaded()
    return list(registered().values())


def run_key(config: Mapping[str, Any]) -> str | None:
    """What a run set is, in words: the name of the registered simulator that wrote it, else its
    config's declared ``model`` kind (external tables), else None."""
    keys = run_keys(config)
    return keys[0] if keys else None


def run_keys(config: Mapping[str, Any]) -> tuple[str, ...]:
    """Every name a theory's ``applies_to`` may use for this run set: the registered simulator
    that wrote it and the config's declared ``model`` kind ("1d" is "exponential")."""
    from ..simulators import spec_for_generator

    spec = spec_for_generator(str(config.get("generator", "")))
    keys = [spec.name] if spec is not None else []
    declared = config.get("model")
    if declared not in (None, "", "other"):
        keys.append({"1d": "exponential"}.get(str(declared).lower(), str(declared).lower()))
    return tuple(dict.fromkeys(keys))


def theories_for(config: Mapping[str, Any], extra: Iterable[TheorySpec] = ()) -> list[TheorySpec]:
    """The registered theories (built-in, then installed) that apply to this config, then ``extra`` (user
    theories asked for by name or file: they must apply too — a theory never answers for a
    model it was not written for)."""
    keys = run_keys(config)
    chosen = [t for t in all_theories() if t.applies(*keys)]
    return chosen + [t for t in extra if t not in chosen]


def theory_law(config: Mapping[str, Any]) -> Any:
    """The t_G law object of the first registered theory that predicts one for this config from
    the config alone (no measured inputs), or None."""
    for spec in theories_for(config):
        if "t_G law" not in spec.quantities or spec.inputs:
            continue
        try:
            preds = spec.predict(config, {})
        except (ValueError, KeyError, ImportError):
            continue
        law = next((p.law for p in preds if p.quantity == "t_G law" and p.law is not None), None)
        if law is not None:
            return law
    return None
