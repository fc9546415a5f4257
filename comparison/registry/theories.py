r"""The theory registry: typed predictions and the specs of the theories that make them.

A theory is a :class:`TheorySpec`: a name, the run sets it applies to (registered
simulators, or external-table kinds such as ``"ball"``), the *measured* inputs it
needs (e.g. ξ and D_eff for Eq. 50) and ``predict(config, measured)``, which
returns :class:`Prediction`\ s — one per quantity, each typed (value, s.e., kind,
source, note, or the reason it is not testable). The symmetry with
:class:`~comparison.simulators.SimulatorSpec` is deliberate: a simulator says what
it produces, a theory what it predicts and from what.

Two rules are enforced here, not by each theory:

* a theory whose declared measured inputs are missing (or flagged weak by the
  estimator that measured them) is never run: every quantity it predicts gets
  "not testable" with the missing input named (:func:`run_theory`);
* a prediction is a finite number, or it is "not testable" with a reason.

Built-in theories (:mod:`comparison.registry.builtin`), user files and installed
packages (entry-point group ``grokcheck.theories``, see
:mod:`comparison.registry.user`) all land in the same registry; look them up with
:mod:`comparison.registry.catalog`.

>>> p = Prediction("P_grok", 0.93, source="my formula")
>>> p.testable, p.value
(True, 0.93)
>>> Prediction("nu", not_testable="xi was not measured").testable
False
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["Prediction", "TheorySpec", "QUANTITIES", "PREDICTION_KINDS", "MEASURED_INPUTS", "register_theory",
           "run_theory", "registered"]

# quantity -> what the simulation side measures for it (the verdict builder knows how)
QUANTITIES: dict[str, str] = {
    "nu": "critical exponent ν of the aligned test error, e(τ) ∝ τ^ν",
    "P_grok": "fraction of (non-diverged) runs that grok",
    "mean t_G": "mean grokking time over the runs that grok",
    "median t_G": "median grokking time over the runs that grok",
    "t_G law": "the law of the grokking time (a scipy-like object: cdf, mean, median, atom)",
}
PREDICTION_KINDS = ("estimate", "lower bound", "upper bound", "distance", "property")
# measured inputs a theory may declare, with the names of their standard errors
MEASURED_INPUTS: dict[str, str] = {"d_eff": "d_eff_se", "xi": "xi_se", "nu_margin": "nu_margin_se",
                                   "eps_eff": "eps_eff_se"}
_HINTS = {"xi": " (no 2-d context vectors with an edge fit)"}


@dataclass(frozen=True)
class Prediction:
    """One predicted quantity (a row of the verdict table once confronted with a measurement).

    Parameters
    ----------
    quantity : one of :data:`QUANTITIES` (what is measured to test it).
    value, se : the prediction and its standard error (0 for an exact formula).
    kind : ``"estimate"``, ``"lower bound"``, ``"upper bound"``, ``"distance"``, ``"property"``.
    source : the equation and the inputs it was evaluated at.
    note : anything a reader must know (e.g. an input outside the derivation's domain).
    not_testable : the reason no verdict can be given, or None.
    law : for ``"t_G law"`` (and optionally the t_G quantities), the law object.
    label : the row's name when it differs from ``quantity`` (e.g. "nu (margin exponent)").
    erratum : the id of the ``docs/errata.md`` entry that documents this prediction's known
        disagreement (``"erratum-eq50-nu"``); the report links it on every row that does not agree.
    """

    quantity: str
    value: float = math.nan
    se: float = 0.0
    kind: str = "estimate"
    source: str = ""
    note: str = ""
    not_testable: str | None = None
    law: Any = field(default=None, compare=False, repr=False)
    label: str | None = None
    erratum: str = ""

    def __post_init__(self) -> None:
        if self.quantity not in QUANTITIES:
            raise ValueError(f"unknown predicted quantity {self.quantity!r}; known: {', '.join(QUANTITIES)}")
        if self.kind not in PREDICTION_KINDS:
            raise ValueError(f"prediction kind must be one of {PREDICTION_KINDS}, got {self.kind!r}")
        if self.not_testable is None and self.quantity != "t_G law":
            for name, v in (("value", self.value), ("se", self.se)):
                if not (isinstance(v, (int, float)) and math.isfinite(v)) or (name == "se" and v < 0):
                    raise ValueError(f"prediction of {self.quantity!r}: {name} must be a finite number"
                                     f"{' >= 0' if name == 'se' else ''}, got {v!r}")
        if self.quantity == "t_G law" and self.not_testable is None and self.law is None:
            raise ValueError("prediction of 't_G law' needs a law object (cdf, mean, median)")

    @property
    def testable(self) -> bool:
        return self.not_testable is None

    @property
    def row_name(self) -> str:
        return self.label or self.quantity

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready digest (a t_G law is summarised by its mean, median, atom and fast-branch weight)."""
        value = self.value if math.isfinite(self.value) else None  # strict JSON: a law has no single value
        out = {"quantity": self.row_name, "value": value, "se": self.se if value is not None else None,
               "kind": self.kind,
               "source": self.source, "note": self.note, "not_testable": self.not_testable,
               **({"erratum": self.erratum} if self.erratum else {})}
        if self.quantity == "t_G law" and self.law is not None:
            out["law"] = _law_summary(self.law)
        return out


def _law_summary(law: Any) -> dict[str, float]:
    out = {k: float(getattr(law, k)()) for k in ("mean", "median") if callable(getattr(law, k, None))}
    atom = getattr(law, "atom", None)
    if atom is not None:
        out.update(atom_location=float(atom[0]), atom_weight=float(atom[1]))
    if getattr(law, "p_fast", None) is not None:
        out["p_fast"] = float(law.p_fast)
    if callable(getattr(law, "atom_choices", None)):  # both atoms, labelled (the ball: corrected default, Eq. 47)
        out["atom_choices"] = law.atom_choices()
    return out


Predict = Callable[[Mapping[str, Any], Mapping[str, Any]], Iterable[Prediction]]


@dataclass(frozen=True)
class TheorySpec:
    """A registered theory.

    ``applies_to`` names registered simulators and/or external-table kinds (the
    ``model`` key of a table's config); ``inputs`` the measured inputs it needs
    (keys of :data:`MEASURED_INPUTS`); ``quantities`` what it predicts; ``predict``
    maps (config, measured) to predictions; ``origin`` says where it came from
    (``"built-in"``, a file, an entry point); ``errata`` maps a quantity to the id of the
    ``docs/errata.md`` entry its predictions default to (:attr:`Prediction.erratum`).
    """

    name: str
    applies_to: tuple[str, ...]
    predict: Predict
    quantities: tuple[str, ...]
    inputs: tuple[str, ...] = ()
    description: str = ""
    origin: str = "built-in"
    labels: Mapping[str, str] = field(default_factory=dict)  # quantity -> row name, where they differ
    example_config: Mapping[str, Any] = field(default_factory=dict)  # `grokcheck theory NAME` without flags
    errata: Mapping[str, str] = field(default_factory=dict)  # quantity -> errata id (Prediction.erratum default)

    @property
    def builtin(self) -> bool:
        return self.origin == "built-in"

    def applies(self, *keys: str | None) -> bool:
        """True when any of ``keys`` (see :func:`~comparison.registry.catalog.run_keys`) is in ``applies_to``."""
        return any(k is not None and k in self.applies_to for k in keys)


_THEORIES: dict[str, TheorySpec] = {}


def registered() -> dict[str, TheorySpec]:
    """The registry itself (name -> spec), as filled so far; use :mod:`.catalog` to look up."""
    return _THEORIES


def register_theory(spec: TheorySpec, *, replace_existing: bool = False) -> TheorySpec:
    """Add ``spec`` to the registry (a second theory of the same name is refused)."""
    if spec.name in _THEORIES and not replace_existing and _THEORIES[spec.name] is not spec:
        raise ValueError(f"a theory named {spec.name!r} is already registered ({_THEORIES[spec.name].origin})")
    _THEORIES[spec.name] = spec
    return spec


def run_theory(spec: TheorySpec, config: Mapping[str, Any], measured: Mapping[str, Any],
               weak: Mapping[str, str] | None = None) -> list[Prediction]:
    """Predictions of ``spec`` for one run set; "not testable" for every quantity when a
    declared input is missing, not finite or flagged weak (the theory is then not run)."""
    why = _missing_input(spec.inputs, measured, weak or {})
    if why is not None:
        return [Prediction(q, not_testable=why, source=spec.description or spec.name, label=spec.labels.get(q),
                           erratum=spec.errata.get(q, "")) for q in spec.quantities]
    preds = list(spec.predict(config, measured))
    preds = [p if p.erratum or p.quantity not in spec.errata else replace(p, erratum=spec.errata[p.quantity])
             for p in preds]
    return [p if p.source else replace(p, source=spec.description or spec.name) for p in preds]


def _missing_input(inputs: tuple[str, ...], measured: Mapping[str, Any], weak: Mapping[str, str]) -> str | None:
    for name in inputs:
        v = measured.get(name)
        if v is None:
            return f"{name} was not measured on this run set{_HINTS.get(name, '')}"
        if name in weak:
            return f"{name}: {weak[name]}"
        if not (isinstance(v, (int, float)) and math.isfinite(v)):
            return f"{name}: not a finite number ({v})"
    return None
