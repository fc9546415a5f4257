"""The rows and the result of a simulation-backed property run (:func:`~comparison.testing.agrees_with_simulation`)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .measurement import MIN_T_G, format_value

__all__ = ["Row", "PropertyResult"]


@dataclass
class Row:
    """One tried parameter point: predicted vs measured ± s.e., z, p, the power figure, the verdict."""

    params: dict[str, Any]
    predicted: float
    measured: float
    se: float
    n: int
    replicas: int
    seed: int
    z: float
    p_value: float
    detectable: float
    testable: bool
    passed: bool
    command: str

    def line(self) -> str:
        ps = ", ".join(f"{k}={format_value(v) if not isinstance(v, float) else f'{v:.4g}'}" for k, v in self.params.items())
        mark = "ok" if self.passed else "FAIL"
        if not self.testable:
            return f"{ps}: predicted {self.predicted:.4g}, not testable (n = {self.n} < {MIN_T_G} grokking times)"
        return (f"{ps}: predicted {self.predicted:.4g}, measured {self.measured:.4g} ± {self.se:.2g} (n = {self.n}), "
                f"z = {self.z:+.2f}, p = {self.p_value:.2g}, detects |Δ| ≥ {self.detectable:.3g}  {mark}")


@dataclass
class PropertyResult:
    """The outcome of :func:`agrees_with_simulation`: ``verdict`` is "passed", "failed" or "underpowered"."""

    verdict: str
    quantity: str
    simulator: str
    examples: int
    alpha: float
    family_alpha: float
    detectable: float
    rows: list[Row] = field(default_factory=list)
    counterexample: dict[str, Any] | None = None
    confirmed: bool | None = None
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.verdict == "passed"

    def as_dict(self) -> dict[str, Any]:
        """Strict-JSON-ready (non-finite numbers ``null`` with a reason in ``null_reasons``): verdict,
        passed, examples, counterexample, rows, detectable, thresholds, message."""
        from .._io import strict_jsonable

        return strict_jsonable({"verdict": self.verdict, "passed": self.passed, "quantity": self.quantity,
                                "simulator": self.simulator, "examples": self.examples, "alpha_per_example": self.alpha,
                                "family_alpha": self.family_alpha, "detectable": self.detectable,
                                "counterexample": self.counterexample, "confirmed": self.confirmed,
                                "rows": [asdict(r) for r in self.rows], "message": self.message})


