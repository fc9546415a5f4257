r"""Theory-vs-simulation agreement for one run set.

:func:`analyse` measures everything the run set allows (transitions, ν, t_G
law, D_eff, ξ, ε, the spectrum of G) and confronts it with ``perceptron_theory``:

* ν_fit against ν_pred: (D+1)/2 for the ball (Eq. 23), 1 for the 1D model
  (Eqs. 9-10), (D_eff + 1)/2 − ξ (Eq. 50 with D → D_eff) for feature-based run
  sets, and the margin exponent (Eq. 48) which predicts ν directly;
* P_grok (fraction of runs that grok) against Eq. 14 / Eq. 86;
* the t_G law against Eq. 16 / Eqs. 40-47 (KS, Wasserstein-1, atom weight),
  and its bimodality.

Tolerance rules (stated in every report, ``TOLERANCE_RULES``):
* z = (measured − predicted) / √(se_meas² + se_pred² + se_sys²), verdict
  "agrees" if |z| ≤ 3, else "disagrees". For ν, se_meas is the bootstrap
  standard error over runs and se_sys the window sensitivity (half-range of
  ν over the shifted/widened windows).
* P_grok: se_meas is the binomial error √(p(1−p)/n) floored at 1/n.
* t_G law: "agrees" if the KS p-value ≥ 0.001 (the law's approximations make a
  disagreement at large n informative rather than a bug).
* bimodality: "agrees" if the test's verdict equals the theory's (the ball law is
  bimodal when both the fast branch and the atom carry ≥ 5 % of the mass).
"""
from __future__ import annotations

import math
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._runset import RunSet

__all__ = ["Analysis", "analyse", "TOLERANCE_RULES", "Z_TOL", "KS_P_MIN"]

Z_TOL = 3.0
KS_P_MIN = 1e-3
TOLERANCE_RULES = [
    f"Numbers: z = (measured - predicted) / sqrt(se_meas^2 + se_pred^2 + se_sys^2); 'agrees' if |z| <= {Z_TOL:g}.",
    "nu: se_meas = bootstrap s.d. over runs; se_sys = half-range of nu over shifted/widened fit windows.",
    "P_grok: se_meas = binomial sqrt(p(1-p)/n), floored at 1/n.",
    f"t_G law: 'agrees' if the KS p-value >= {KS_P_MIN:g} (conservative with an atom); "
    "Wasserstein-1 and the atom weight are reported beside it.",
    "t_G bimodality: 'agrees' if the Delta-BIC test's verdict equals the theory's "
    "(ball law: bimodal when the fast branch and the atom each carry >= 5% of the mass).",
]


@dataclass
class Analysis:
    """Everything measured on one run set, and the verdict table."""

    name: str
    generator: str
    model: str
    config: dict[str, Any]
    counts: dict[str, Any]
    nu: Any = None                       # fitted NuFitter or None
    nu_error: str | None = None
    t_G: np.ndarray = field(default_factory=lambda: np.empty(0))
    bimodality: Any = None
    law: Any = None
    law_distance: Any = None
    features: dict[str, Any] = field(default_factory=dict)
    spectrum: Any = None
    predictions: dict[str, Any] = field(default_factory=dict)
    verdicts: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    curves: pd.DataFrame | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable digest (``grokcheck fit`` writes it as fits.json)."""
        from ._runset import to_jsonable

        out: dict[str, Any] = {"name": self.name, "generator": self.generator, "model": self.model,
                               "counts": self.counts, "notes": self.notes}
        out["nu"] = self.nu.result() if self.nu is not None else {"error": self.nu_error}
        if self.t_G.size:
            out["t_G"] = {"n": int(self.t_G.size), "mean": float(np.mean(self.t_G)),
                          "median": float(np.median(self.t_G))}
        if self.bimodality is not None:
            out["t_G_bimodality"] = self.bimodality.as_dict()
        if self.law_distance is not None:
            out["t_G_law_distance"] = self.law_distance.as_dict()
        out["features"] = self.features
        if self.spectrum is not None:
            out["G_spectrum"] = {"ratio": self.spectrum.ratio, "split": self.spectrum.split,
                                 "slow": self.spectrum.slow.tolist(), "fast": self.spectrum.fast.tolist()}
        out["predictions"] = self.predictions
        out["verdicts"] = self.verdicts.to_dict(orient="records")
        return to_jsonable(out)


def _verdict_row(quantity: str, measured: float, se_meas: float, predicted: float, se_pred: float = 0.0,
                 se_sys: float = 0.0, source: str = "", note: str = "") -> dict[str, Any]:
    tot = math.sqrt(se_meas ** 2 + se_pred ** 2 + se_sys ** 2)
    z = (measured - predicted) / tot if tot > 0 else (0.0 if measured == predicted else math.inf)
    ok = bool(np.isfinite(z) and abs(z) <= Z_TOL)
    return {"quantity": quantity, "measured": measured, "se_meas": se_meas, "se_sys": se_sys,
            "predicted": predicted, "se_pred": se_pred, "z": z,
            "verdict": "agrees" if ok else "disagrees", "theory": source, "note": note}


def _bootstrap_d_eff(X: np.ndarray, n_boot: int, rng: np.random.Generator,
                     w: np.ndarray | None = None) -> tuple[float, float]:
    from ._features import d_eff

    val = d_eff(X, w)
    if n_boot <= 1 or X.shape[0] < 10:
        return val, 0.0
    m = min(X.shape[0], 20000)
    p = None if w is None else w / w.sum()
    boots = [d_eff(X[rng.choice(X.shape[0], m, p=p)]) for _ in range(n_boot)]
    return val, float(np.std(boots, ddof=1) * math.sqrt(m / X.shape[0]))


def _labels_for(features: dict[str, np.ndarray], n: int, prefer: str) -> np.ndarray | None:
    for key in (f"{prefer}_labels", "train_labels", "test_labels", "labels"):
        if key in features and np.asarray(features[key]).reshape(-1).shape[0] == n:
            return np.asarray(features[key]).reshape(-1)
    return None


def _feature_estimates(rs: RunSet, rng: np.random.Generator, notes: list[str]) -> dict[str, Any]:
    from ._features import epsilon_separation, margin_exponent, xi_context

    f = rs.features
    out: dict[str, Any] = {}
    key = "test_features" if "test_features" in f else ("train_features" if "train_features" in f else None)
    if key is None:
        return out
    X = np.asarray(f[key], dtype=float)
    X = X.reshape(X.shape[0], -1)
    prefer = key.split("_")[0]
    out["features_used"] = key
    out["n_feature_samples"] = int(X.shape[0])
    sw = None
    if f"{prefer}_weights" in f and np.asarray(f[f"{prefer}_weights"]).reshape(-1).shape[0] == X.shape[0]:
        sw = np.asarray(f[f"{prefer}_weights"], dtype=float).reshape(-1)
        out["weights_used"] = f"{prefer}_weights"
    de, de_se = _bootstrap_d_eff(X, 30, rng, sw)
    out["d_eff"], out["d_eff_se"] = de, de_se
    y = _labels_for(f, X.shape[0], prefer)
    if y is not None and np.unique(y).size >= 2:
        # within-class D_eff: class means removed. Eq. 50's D is the dimension of a class
        # support near its boundary; the class separation would otherwise count as a dimension.
        Xc = X.copy()
        for c in np.unique(y):
            Xc[y == c] -= Xc[y == c].mean(axis=0)
        dw, dw_se = _bootstrap_d_eff(Xc, 30, rng, sw)
        out["d_eff_within"], out["d_eff_within_se"] = dw, dw_se
        out["d_eff_used"] = "d_eff_within"
        de = dw
    else:
        out["d_eff_used"] = "d_eff"
    w = None
    if "w_final" in f:
        W = np.asarray(f["w_final"], dtype=float)
        W = W.reshape(-1, X.shape[1]) if W.size % X.shape[1] == 0 else None
        if W is not None:
            Wn = W / np.linalg.norm(W, axis=1, keepdims=True)
            w = Wn.mean(axis=0)
            out["w_final_spread"] = float(np.mean(np.linalg.norm(Wn - w, axis=1)))
    if y is not None and np.unique(y).size == 2:
        try:
            eps = epsilon_separation(X, y, direction=w, dim=de, weights=sw)
            out.update({k: v for k, v in eps.items() if k != "dim_used"})
        except ValueError as exc:
            notes.append(f"epsilon not estimated: {exc}")
        if w is not None:
            try:
                me = margin_exponent(X, y, w, n_boot=20, weights=sw, random_state=int(rng.integers(2**31)))
                out["nu_margin"], out["nu_margin_se"] = me.a, me.a_se
                out["xi_margin"] = (de + 1) / 2 - me.a
            except ValueError as exc:
                notes.append(f"margin exponent not estimated: {exc}")
    else:
        notes.append("no two-class labels matching the features: epsilon and the margin exponent skipped")
    if "left_context" in f and "right_context" in f:
        L = np.asarray(f["left_context"], dtype=float)
        R = np.asarray(f["right_context"], dtype=float)
        if L.ndim == 2 and L.shape[1] == 2 and R.shape == L.shape:
            yl = _labels_for(f, L.shape[0], prefer)
            try:
                xc = xi_context(L, R, yl if yl is not None else np.zeros(L.shape[0]))
                out["xi"], out["xi_se"] = xc["xi"], xc["xi_se"]
                out["xi_per_class"] = xc["per_class"]
            except ValueError as exc:
                notes.append(f"xi (angle histogram) not estimated: {exc}")
        else:
            notes.append("context vectors are not 2-d: the d = 2 angle recipe for xi does not apply; "
                         "see xi_margin")
    return out


def analyse(rs: RunSet, *, nu_kwargs: dict[str, Any] | None = None, seed: int = 0,
            keep_curves: bool = True) -> Analysis:
    """Measure everything on ``rs`` and build the verdict table (see module docstring)."""
    from ._laws import bimodality_test, law_distance
    from ._nu import NuFitter
    from ._theory import model_of, predict_ball, predict_exponential, predict_nu_eq50, theory_law

    rng = np.random.default_rng(seed)
    cfg = rs.config
    kind = model_of(cfg)
    s = rs.summary
    div = s["diverged"].astype(bool).to_numpy()
    groks = s["groks"].astype(bool).to_numpy() & ~div
    n_ok = int((~div).sum())
    p = float(groks.sum() / n_ok) if n_ok else float("nan")
    counts = {"n_runs": int(len(s)), "n_diverged": int(div.sum()), "n_groks": int(groks.sum()),
              "p_grok": p, "p_grok_se": float(math.sqrt(max(p * (1 - p), 1.0 / max(n_ok, 1)) / max(n_ok, 1)))
              if n_ok else float("nan")}
    a = Analysis(name=rs.name, generator=rs.generator, model=kind, config=cfg, counts=counts,
                 curves=rs.curves if keep_curves else None)
    if div.any():
        a.notes.append(f"{int(div.sum())} diverged runs excluded from every average")
    rows: list[dict[str, Any]] = []

    # --- nu
    try:
        a.nu = NuFitter(random_state=seed, **(nu_kwargs or {})).fit(rs.curves, s)
    except ValueError as exc:
        a.nu_error = str(exc)
        a.notes.append(f"nu not fitted: {exc}")

    # --- grokking times
    tg = s.loc[groks, "t_G"].to_numpy(dtype=float)
    tg = tg[np.isfinite(tg)]
    n_zero = int(np.sum(tg <= 0))
    if n_zero:
        a.notes.append(f"{n_zero} runs have t_G <= 0 (test error zero no later than train error); "
                       "excluded from the t_G law")
    a.t_G = tg[tg > 0]
    if a.t_G.size >= 10 and np.ptp(a.t_G) > 0:
        try:
            a.bimodality = bimodality_test(a.t_G)
        except ValueError as exc:
            a.notes.append(f"t_G bimodality not tested: {exc}")

    # --- features
    a.features = _feature_estimates(rs, rng, a.notes)
    if "G_eigenvalues" in rs.features:
        from ._features import split_spectrum

        ev = np.asarray(rs.features["G_eigenvalues"], dtype=float)
        try:
            row = ev if ev.ndim == 1 else np.median(ev, axis=0)
            a.spectrum = split_spectrum(row)
        except ValueError as exc:
            a.notes.append(f"G spectrum not split: {exc}")

    # --- predictions and verdicts
    try:
        if kind == "ball":
            D, N, eps = int(cfg["D"]), int(cfg["N"]), float(cfg["eps"])
            l1, l2 = float(cfg.get("lam1", 0.0)), float(cfg.get("lam2", 0.0))
            a.predictions = predict_ball(D, N, eps, l1, l2)
        elif kind == "exponential":
            a.predictions = predict_exponential(int(cfg["N"]), float(cfg["eps"]), float(cfg.get("lam1", 0.0)),
                                                float(cfg.get("lam2", 0.0)))
        elif "d_eff" in a.features:
            xi = a.features.get("xi")
            used = a.features["d_eff_used"]
            pred = predict_nu_eq50(a.features[used], xi if xi is not None else 0.0,
                                   a.features.get(f"{used}_se", 0.0), a.features.get("xi_se", 0.0))
            a.predictions = {"nu": pred["nu"], "nu_se": pred["nu_se"],
                             "nu_source": f"Eq. 50 with D -> {used}: (D_eff+1)/2 - xi" +
                                          ("" if xi is not None else " (xi unavailable: taken as 0)")}
    except (ImportError, KeyError, ValueError) as exc:
        a.notes.append(f"theory predictions unavailable: {exc.__class__.__name__}: {exc}")
    except Exception as exc:  # a theory bug must not kill the whole report
        a.notes.append(f"theory predictions failed: {exc.__class__.__name__}: {exc}")
        a.notes.append(traceback.format_exc(limit=1).splitlines()[-1])

    if a.nu is not None and "nu" in a.predictions:
        rows.append(_verdict_row("nu", a.nu.nu_, a.nu.nu_se_, a.predictions["nu"], a.predictions.get("nu_se", 0.0),
                                 a.nu.nu_window_spread_, a.predictions.get("nu_source", ""),
                                 f"window [{a.nu.window_[0]:.3g}, {a.nu.window_[1]:.3g}]"))
    if a.nu is not None and "nu_margin" in a.features:
        rows.append(_verdict_row("nu (margin exponent)", a.nu.nu_, a.nu.nu_se_, a.features["nu_margin"],
                                 a.features["nu_margin_se"], a.nu.nu_window_spread_,
                                 "Eq. 48: mass within delta of the final plane", ""))
    if "P_grok" in a.predictions and n_ok:
        rows.append(_verdict_row("P_grok", p, counts["p_grok_se"], a.predictions["P_grok"], 0.0, 0.0,
                                 a.predictions.get("P_grok_source", ""), f"n = {n_ok}"))
    if kind in ("ball", "exponential") and a.t_G.size >= 5:
        a.law = theory_law(cfg)
        if a.law is not None:
            try:
                a.law_distance = law_distance(a.t_G, a.law)
                d = a.law_distance
                mean_th = float(a.law.mean())
                rows.append({"quantity": "t_G law (KS)", "measured": d.ks, "se_meas": float("nan"),
                             "se_sys": float("nan"), "predicted": 0.0, "se_pred": float("nan"),
                             "z": float("nan"),
                             "verdict": "agrees" if d.ks_pvalue >= KS_P_MIN else "disagrees",
                             "theory": a.predictions.get("t_G_law", {}).get("source", ""),
                             "note": f"p = {d.ks_pvalue:.3g}; W1 = {d.wasserstein:.3g} "
                                     f"(theory mean {mean_th:.3g})"})
                m, se = float(np.mean(a.t_G)), float(np.std(a.t_G, ddof=1) / math.sqrt(a.t_G.size))
                rows.append(_verdict_row("mean t_G", m, se, mean_th, 0.0, 0.0,
                                         a.predictions.get("t_G_law", {}).get("source", ""), ""))
                if a.bimodality is not None:
                    atom_w = a.law.atom[1] if a.law.atom is not None else 0.0
                    th_bi = bool(0.05 <= atom_w <= 0.95)
                    rows.append({"quantity": "t_G bimodal", "measured": float(a.bimodality.bimodal),
                                 "se_meas": float("nan"), "se_sys": float("nan"), "predicted": float(th_bi),
                                 "se_pred": float("nan"), "z": float("nan"),
                                 "verdict": "agrees" if a.bimodality.bimodal == th_bi else "disagrees",
                                 "theory": "atom weight %.3g" % atom_w,
                                 "note": f"Delta-BIC = {a.bimodality.delta_bic:.1f}"})
            except ValueError as exc:
                a.notes.append(f"t_G law comparison failed: {exc}")
    a.verdicts = pd.DataFrame(rows, columns=["quantity", "measured", "se_meas", "se_sys", "predicted", "se_pred",
                                             "z", "verdict", "theory", "note"])
    return a
