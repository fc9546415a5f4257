"""The result of a ν fit: a dataclass carrying its errors, with ``to_dict``/``from_dict``.

Modelled on netket's ``Stats``: everything a reader or a figure needs, nothing
that needs the curves again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = ["NuFit"]


@dataclass
class NuFit:
    """The result of a ν fit, carrying its errors (what ``fits.json`` stores).

    Built by :meth:`NuFitter.fit` (``result_``) or read back with
    :meth:`from_dict`; the report draws its figures from this object alone, so a
    report built from the same ``fits.json`` is byte-identical.
    """

    nu: float
    nu_ci: tuple[float, float]
    nu_se: float
    ci: float
    ci_method: str
    n_boot: int
    amplitude: float
    window: tuple[float, float]
    window_rule: str
    time_step: float
    t_eps_refined_frac: float
    error_quantum: float
    window_spread: float
    gof: dict[str, Any]
    n_runs_used: int
    excluded: dict[str, int]
    sensitivity: pd.DataFrame
    per_run: pd.DataFrame
    aligned: pd.DataFrame
    t_eps_used: pd.Series
    kind: str = "aligned"
    label: str = ""
    flags: list[str] = field(default_factory=list)
    weak: bool = False
    windows: dict[str, dict[str, Any]] = field(default_factory=dict)
    local_slope: pd.DataFrame | None = None
    no_plateau: bool = False
    jumps: dict[str, Any] = field(default_factory=dict)
    resolution_floor: float = float("nan")

    @classmethod
    def from_fitter(cls, f: Any) -> "NuFit":
        return cls(nu=float(f.nu_), nu_ci=(float(f.nu_ci_[0]), float(f.nu_ci_[1])), nu_se=float(f.nu_se_),
                   ci=float(f.ci), ci_method=f.ci_method_, n_boot=int(f.n_boot), amplitude=float(f.amplitude_),
                   window=(float(f.window_[0]), float(f.window_[1])), window_rule=f.window_rule_,
                   time_step=float(f.time_step_), t_eps_refined_frac=float(f.t_eps_refined_frac_),
                   error_quantum=float(f.error_quantum_), window_spread=float(f.nu_window_spread_),
                   gof=dict(f.gof_), n_runs_used=int(f.n_runs_used_), excluded=dict(f.excluded_),
                   sensitivity=f.sensitivity_, per_run=f.per_run_, aligned=f.aligned_,
                   t_eps_used=f.t_eps_used_, kind=f.kind_, label=f.label_, flags=list(f.flags_),
                   weak=bool(f.weak_), windows=dict(f.windows_), local_slope=f.local_slope_,
                   no_plateau=bool(f.no_plateau_), jumps=dict(f.jumps_),
                   resolution_floor=float(getattr(f, "resolution_floor_", float("nan"))))

    def describe(self) -> str:
        """``ν [lo, hi]`` with the CI method, and ``weak (flags)`` when flagged."""
        d = self.shown_digits(4)
        txt = f"{self.nu:.{d}f}  [{self.nu_ci[0]:.{d}f}, {self.nu_ci[1]:.{d}f}] ({round(100 * self.ci)}% CI, {self.ci_method})"
        if self.kind == "single-run":
            txt += "  single-run estimate"
        if self.weak:
            txt += "  weak: " + "; ".join(self.flags)
        return txt

    def flag_text(self) -> str:
        """``"weak: flag; flag"`` for a weak fit (shown next to every ν), else ``""``."""
        return "weak: " + "; ".join(self.flags or ["flagged"]) if self.weak else ""

    def shown_digits(self, digits: int = 4) -> int:
        """Decimals that tell ν and its CI bounds apart (at least ``digits``, at most 10): an exact
        simulator's CI of width 1e-5 is never shown as ``[1.0000, 1.0000]``.

        >>> import pandas as pd
        >>> f = NuFit(1.000004, (0.999991, 1.000017), 5e-6, 0.95, "BCa", 200, 1.0, (1e-3, 1e-2), "", 1e-4,
        ...           0.0, float("nan"), 0.1, {}, 40, {}, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
        ...           pd.Series(dtype=float))
        >>> f.shown_digits(4), f.value_text()
        (5, 'ν = 1.00000, 95 % CI [0.99999, 1.00002]')
        """
        vals = [self.nu, *self.nu_ci]
        if not all(np.isfinite(vals)) or len(set(vals)) < 3:
            return digits
        for d in range(digits, 11):
            if len({f"{v:.{d}f}" for v in vals}) == 3:
                return d
        return 10

    def value_text(self, digits: int = 4) -> str:
        """``ν, 95 % CI [lo, hi]`` followed by its flags when weak — a weak ν is never shown bare.

        >>> import pandas as pd
        >>> f = NuFit(3.74, (3.32, 4.54), 0.3, 0.95, "BCa", 200, 1.0, (1e-3, 1e-2), "", 1e-4, 0.0, float("nan"),
        ...           0.1, {}, 4, {}, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.Series(dtype=float),
        ...           flags=["< 10 runs"], weak=True)
        >>> f.value_text(3)
        'ν = 3.740, 95 % CI [3.320, 4.540] — weak: < 10 runs'
        """
        digits = self.shown_digits(digits)
        txt = (f"ν = {self.nu:.{digits}f}, {round(100 * self.ci)} % CI [{self.nu_ci[0]:.{digits}f}, "
               f"{self.nu_ci[1]:.{digits}f}]")
        return f"{txt} — {self.flag_text()}" if self.weak else txt

    def predict(self, tau: ArrayLike) -> NDArray[np.float64]:
        """The fitted law A·τ^ν."""
        return self.amplitude * np.asarray(tau, dtype=float) ** self.nu

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; :meth:`from_dict` inverts it exactly (floats round-trip)."""
        pr = self.per_run["nu"].to_numpy(dtype=float)
        pr = pr[np.isfinite(pr)]
        return {
            "nu": self.nu, "nu_ci": list(self.nu_ci), "nu_se": self.nu_se, "ci": self.ci,
            "ci_method": self.ci_method, "n_boot": self.n_boot, "amplitude": self.amplitude,
            "window": list(self.window), "window_rule": self.window_rule,
            "time_step_at_transition": self.time_step, "t_eps_refined_fraction": self.t_eps_refined_frac,
            "error_quantum": self.error_quantum, "nu_window_spread": self.window_spread,
            "gof": self.gof, "n_runs_used": self.n_runs_used, "excluded": self.excluded,
            "per_run_nu": {"n": int(pr.size),
                           "median": float(np.median(pr)) if pr.size else None,
                           "q25": float(np.quantile(pr, 0.25)) if pr.size else None,
                           "q75": float(np.quantile(pr, 0.75)) if pr.size else None},
            "sensitivity": self.sensitivity.to_dict(orient="records"),
            "per_run": self.per_run.to_dict(orient="list"),
            "aligned": self.aligned.to_dict(orient="list"),
            "t_eps_used": {"run": [int(r) for r in self.t_eps_used.index],
                           "t_eps": [float(v) for v in self.t_eps_used.to_numpy()]},
            "kind": self.kind, "label": self.label, "flags": list(self.flags), "weak": bool(self.weak),
            "windows": self.windows, "no_plateau": bool(self.no_plateau), "jumps": self.jumps,
            "resolution_floor": self.resolution_floor,
            "local_slope": None if self.local_slope is None else self.local_slope.to_dict(orient="list"),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "NuFit":
        num = float  # files written before strict JSON spelled non-finite floats "nan" / "inf" / "-inf"

        def frame(x: Any) -> pd.DataFrame:
            df = pd.DataFrame(x)
            for c in df.columns:
                if df[c].dtype == object:
                    df[c] = df[c].map(lambda v: float(v) if isinstance(v, str) else v).astype(float)
            return df

        te = d["t_eps_used"]
        return cls(nu=num(d["nu"]), nu_ci=(num(d["nu_ci"][0]), num(d["nu_ci"][1])), nu_se=num(d["nu_se"]),
                   ci=num(d["ci"]), ci_method=str(d.get("ci_method", "")), n_boot=int(d["n_boot"]),
                   amplitude=num(d["amplitude"]), window=(num(d["window"][0]), num(d["window"][1])),
                   window_rule=str(d["window_rule"]), time_step=num(d["time_step_at_transition"]),
                   t_eps_refined_frac=num(d["t_eps_refined_fraction"]), error_quantum=num(d["error_quantum"]),
                   window_spread=num(d["nu_window_spread"]),
                   gof={k: num(v) if isinstance(v, (int, float, str)) else v for k, v in d["gof"].items()},
                   n_runs_used=int(d["n_runs_used"]), excluded={k: int(v) for k, v in d["excluded"].items()},
                   sensitivity=frame(d["sensitivity"]), per_run=frame(d["per_run"]), aligned=frame(d["aligned"]),
                   t_eps_used=pd.Series([float(v) for v in te["t_eps"]], index=pd.Index(te["run"], name="run"),
                                        name="t_eps"),
                   kind=str(d.get("kind", "aligned")), label=str(d.get("label", "")), flags=list(d.get("flags", [])),
                   weak=bool(d.get("weak", False)), windows=_floats(d.get("windows", {})),
                   local_slope=frame(d["local_slope"]) if d.get("local_slope") else None,
                   no_plateau=bool(d.get("no_plateau", False)), jumps=_floats(d.get("jumps", {})),
                   resolution_floor=num(d.get("resolution_floor", "nan")))


def _floats(x: Any) -> Any:
    """Read the legacy strings ``"nan"``/``"inf"``/``"-inf"`` (files written before strict JSON) as floats."""
    if isinstance(x, dict):
        return {k: _floats(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_floats(v) for v in x]
    return float(x) if x in ("nan", "inf", "-inf") else x
