"""The result of analysing one run set: :class:`Analysis`, with ``to_dict``/``from_dict``.

``grokcheck fit`` writes ``Analysis.to_dict()`` as ``fits.json``; the report is
drawn from ``Analysis.from_dict`` of that file alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, make_dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..estimate import BimodalityResult, LawDistance, NuFit, SpectrumSplit
from .verdict import VERDICT_COLUMNS

__all__ = ["Analysis", "AnalysisDraft"]


@dataclass(frozen=True, eq=False)
class Analysis:
    """Everything measured on one run set, the predictions and the verdict table (frozen: built
    once, at the end of :func:`~comparison.agreement.analyse` or by :meth:`from_dict`, from an
    :class:`AnalysisDraft`; derive a variant with :func:`dataclasses.replace`).

    :meth:`to_dict` is what ``grokcheck fit`` writes (``fits.json``);
    :meth:`from_dict` reads it back, and the report is drawn from that alone.
    """

    name: str
    generator: str
    model: str
    config: dict[str, Any]
    counts: dict[str, Any]
    nu: NuFit | None = None
    nu_error: str | None = None
    t_G: np.ndarray = field(default_factory=lambda: np.empty(0))
    bimodality: BimodalityResult | None = None
    law_distance: LawDistance | None = None
    features: dict[str, Any] = field(default_factory=dict)
    spectrum: SpectrumSplit | None = None
    predictions: dict[str, Any] = field(default_factory=dict)
    verdicts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=VERDICT_COLUMNS))
    notes: list[str] = field(default_factory=list)
    d_eff_aligned: pd.DataFrame | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    progress: pd.DataFrame | None = None
    onsets: pd.DataFrame | None = None
    run_stats: dict[str, list[float]] = field(default_factory=dict)
    curves_preview: pd.DataFrame | None = None

    @property
    def law(self) -> Any:
        """The registered theory's t_G law object for this run set's config (rebuilt, never stored)."""
        from ..registry import theory_law

        return theory_law(self.config)

    def predicted(self, quantity: str) -> float:
        """The first testable prediction of ``quantity`` among the theories, in table order, else NaN
        (``predictions`` maps each theory's name to its predictions)."""
        for preds in self.predictions.values():
            for p in preds:
                if p.get("quantity") == quantity and not p.get("not_testable"):
                    return float(p["value"])
        return float("nan")

    def to_dict(self) -> dict[str, Any]:
        """Strict-JSON digest (non-finite numbers are ``null`` with a reason in ``null_reasons``);
        :meth:`from_dict` inverts it."""
        from .._io import strict_jsonable

        out: dict[str, Any] = {"name": self.name, "generator": self.generator, "model": self.model,
                               "config": self.config, "counts": self.counts, "notes": self.notes,
                               "manifest": {k: self.manifest.get(k) for k in ("created", "seeds", "generator")
                                            if k in self.manifest}}
        out["nu"] = self.nu.to_dict() if self.nu is not None else {"error": self.nu_error}
        out["t_G"] = {"n": int(self.t_G.size), "values": self.t_G.tolist()}
        if self.t_G.size:
            out["t_G"].update(mean=float(np.mean(self.t_G)), median=float(np.median(self.t_G)))
        out["t_G_bimodality"] = self.bimodality.as_dict() if self.bimodality is not None else None
        out["t_G_law_distance"] = self.law_distance.as_dict() if self.law_distance is not None else None
        out["features"] = self.features
        if self.spectrum is not None:
            sp = self.spectrum
            out["G_spectrum"] = {"ratio": sp.ratio, "split": sp.split, "threshold": sp.threshold,
                                 "slow": sp.slow.tolist(), "fast": sp.fast.tolist(), "zero": sp.zero.tolist()}
        out["predictions"] = self.predictions
        out["verdicts"] = self.verdicts.to_dict(orient="records")
        if self.d_eff_aligned is not None:
            out["d_eff_aligned"] = self.d_eff_aligned.to_dict(orient="list")
        if self.progress is not None:
            out["progress"] = self.progress.to_dict(orient="list")
        if self.onsets is not None:
            out["onsets"] = self.onsets.to_dict(orient="list")
        if self.run_stats:
            out["run_stats"] = self.run_stats
        if self.curves_preview is not None:
            out["curves_preview"] = self.curves_preview.to_dict(orient="list")
        return strict_jsonable(out)

    as_dict = to_dict

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Analysis":
        """Rebuild an analysis from :meth:`to_dict` output (e.g. a ``fits.json``)."""
        from .._io import restore_nonfinite

        d = restore_nonfinite(d)
        nu = NuFit.from_dict(d["nu"]) if "nu" in d and "error" not in d["nu"] else None
        a = AnalysisDraft(name=d["name"], generator=d["generator"], model=d["model"], config=_floats(dict(d["config"])),
                counts=_floats(d["counts"]), nu=nu, nu_error=None if nu else d.get("nu", {}).get("error"),
                t_G=np.asarray(d.get("t_G", {}).get("values", []), dtype=float), features=_floats(d["features"]),
                predictions=_floats(d["predictions"]), notes=list(d.get("notes", [])),
                manifest=dict(d.get("manifest") or {}))
        if d.get("t_G_bimodality"):
            b = _floats(d["t_G_bimodality"])   # delta_bic = -inf (no 2-component fit) reads back as a float
            a.bimodality = BimodalityResult(**{f.name: (tuple(b[f.name]) if isinstance(b[f.name], list)
                                                        else b[f.name]) for f in fields(BimodalityResult)})
        if d.get("t_G_law_distance"):
            ld = d["t_G_law_distance"]
            a.law_distance = LawDistance(ks=float(ld["ks"]), ks_pvalue=float(ld["ks_pvalue"]),
                                         wasserstein=float(ld["wasserstein"]), n=int(ld["n"]),
                                         atom=tuple(ld["atom"]) if ld.get("atom") else None,
                                         atom_sample_mass=ld.get("atom_sample_mass"),
                                         test=_floats(ld["test"]) if ld.get("test") else None)
        if d.get("G_spectrum"):
            g = d["G_spectrum"]
            a.spectrum = SpectrumSplit(slow=np.asarray(g["slow"], float), fast=np.asarray(g["fast"], float),
                                       zero=np.asarray(g.get("zero", []), float), ratio=float(g["ratio"]),
                                       split=bool(g["split"]), threshold=float(g["threshold"]))
        rows = [{k: (float(v) if k in ("measured", "se_meas", "se_sys", "predicted", "se_pred", "z", "p_value",
                                 "detectable")
                     and isinstance(v, str) else v) for k, v in r.items()} for r in d.get("verdicts", [])]
        a.verdicts = pd.DataFrame(rows, columns=VERDICT_COLUMNS)
        if d.get("d_eff_aligned"):
            a.d_eff_aligned = pd.DataFrame(d["d_eff_aligned"]).astype(float)
        a.run_stats = {k: [float(x) for x in v] for k, v in (d.get("run_stats") or {}).items()}
        for key in ("progress", "onsets", "curves_preview"):
            if d.get(key):
                setattr(a, key, pd.DataFrame(_floats(d[key])))
        return a.freeze()


def _freeze(draft: Any) -> Analysis:
    return Analysis(**{f.name: getattr(draft, f.name) for f in fields(Analysis)})


AnalysisDraft = make_dataclass(
    "AnalysisDraft",
    [(f.name, f.type, field(default=f.default, default_factory=f.default_factory)) for f in fields(Analysis)],
    namespace={"freeze": _freeze, "__doc__": "The mutable analysis under construction; ``freeze()`` gives the "
                                             ":class:`Analysis` (same fields)."},
    eq=False)


def _floats(d: Any) -> Any:
    """Read the legacy strings ``"nan"``/``"inf"``/``"-inf"`` (files written before strict JSON) as floats."""
    if isinstance(d, dict):
        return {k: _floats(v) for k, v in d.items()}
    if isinstance(d, list):
        return [_floats(v) for v in d]
    if d in ("nan", "inf", "-inf"):
        return float(d)
    return d
