r"""Theory-vs-simulation agreement for one run set.

:func:`analyse` measures everything the run set allows (transitions, ν, t_G
law, D_eff, ξ, ε, the spectrum of G) and confronts it with every theory of the
registry that applies (:mod:`comparison.registry`; the built-ins below) and with
the user theories it is given:

* ν_fit against ν_pred: (D+1)/2 for the ball (Eq. 23), 1 for the 1D model
  (Eqs. 9-10), (D_eff + 1)/2 − ξ (Eq. 50 with D → D_eff) for feature-based run
  sets — only when ξ was measured: a missing input gives a "not testable" row
  with the reason, never a silent ξ = 0 — and the margin exponent (Eq. 48),
  which predicts ν directly;
* P_grok (fraction of runs that grok) against Eq. 14 / Eq. 86;
* the t_G law against Eq. 16 / Eqs. 40-47 (KS after snapping onto the law's atom at a stated
  resolution, with a parametric-bootstrap p-value: :mod:`comparison.estimate.law_test`;
  Wasserstein-1 and the atom weight as columns), and its bimodality.

Tolerance (one rule, stated once at the top of every report, ``TOLERANCE_RULES``):
a measurement agrees with a prediction when |z| < 4, z = (measured − predicted) /
√(se_meas² + se_pred² + se_sys²) — the rule of ``perceptron_theory.verification_table``.
Each row says which kind of comparison it is (``kind``): ``estimate`` (z, "agrees" /
"disagrees"), ``lower bound`` / ``upper bound`` (one-sided z, "bound holds" / "bound
violated"), ``distance`` (the atom-aware KS distance with its bootstrap p-value; the same
4σ rule as a p-value), ``property`` (a yes/no property such as bimodality, compared
as words) and ``not testable`` (an input missing or flagged weak; no verdict). Every
row names the prediction it tests, equation and inputs, in ``theory``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..estimate import NuFit, NuFitter, aligned_matrix, bimodality_test, split_spectrum
from ..errors import FitError
from ..estimate.feature_set import measure_features
from ..registry import TheorySpec, run_theory, theories_for
from ..registry.user import TheoryError
from ..runset import RunSet
from ..seeds import child_seed
from .analysis import Analysis, AnalysisDraft
from .rows import Measured, verdict_rows
from .verdict import VERDICT_COLUMNS, binomial_se

#: the start of the note that explains an analysis without verdict rows (printed by ``fit``)
UNREGISTERED_NOTE = "no verdicts"

__all__ = ["analyse", "curves_preview", "measured_inputs", "summary_counts", "UNREGISTERED_NOTE"]


def summary_counts(s: pd.DataFrame) -> tuple[dict[str, Any], np.ndarray]:
    """The run counts of a summary table (``n_runs``, ``n_diverged``, ``n_groks``, ``n_ok``,
    ``p_grok``, ``p_grok_se``) and the mask of grokking, non-diverged runs."""
    div = s["diverged"].astype(bool).to_numpy()
    groks = s["groks"].astype(bool).to_numpy() & ~div
    n_ok = int((~div).sum())
    p = float(groks.sum() / n_ok) if n_ok else float("nan")
    se = binomial_se(int(groks.sum()), n_ok)
    return ({"n_runs": int(len(s)), "n_diverged": int(div.sum()), "n_groks": int(groks.sum()), "n_ok": n_ok,
             "p_grok": p, "p_grok_se": se}, groks)


def analyse(rs: RunSet, *, nu_kwargs: dict[str, Any] | None = None, seed: int = 0,
            theories: Sequence[TheorySpec] = ()) -> Analysis:
    """Measure everything on ``rs`` and build the verdict table (see module docstring).

    ``theories``: user theories (:func:`comparison.registry.load_theory`) judged beside the
    registered ones that apply; each of their rows names the theory.
    """
    rng = np.random.default_rng(seed)
    counts, groks = summary_counts(rs.summary)
    a = AnalysisDraft(name=rs.name, generator=rs.generator, model="", config=dict(rs.config),
                 counts=counts, manifest=dict(getattr(rs, "manifest", {}) or {}))
    if counts["n_diverged"]:
        a.notes.append(f"{counts['n_diverged']} diverged runs excluded from every average")
    try:
        a.nu = NuFitter(random_state=seed, **{"fixed_windows": _fixed_windows(rs), **(nu_kwargs or {})}
                        ).fit(rs.curves, rs.summary).result_
    except FitError as exc:  # the data do not allow a fit; any other error is a bug and surfaces
        a.nu_error = str(exc)
        a.notes.append(f"nu not fitted: {exc}")
    _measure_t_G(a, rs.summary, groks)
    a.features = measure_features(rs.features, rng, a.notes)
    if "G_eigenvalues" in rs.features:
        ev = np.asarray(rs.features["G_eigenvalues"], dtype=float)
        try:
            a.spectrum = split_spectrum(ev if ev.ndim == 1 else np.median(ev, axis=0))
        except ValueError as exc:
            a.notes.append(f"G spectrum not split: {exc}")
    if a.nu is not None and "d_eff" in rs.curves.columns:
        a.d_eff_aligned = _d_eff_aligned(rs.curves, a.nu)
    _progress(a, rs)
    a.curves_preview = curves_preview(rs.curves, rs.summary)
    _judge(a, tuple(theories), child_seed(seed, 1), child_seed(seed, 2))  # the bootstraps: own streams
    return a.freeze()


def _progress(a: AnalysisDraft, rs: RunSet) -> None:
    """Per-iteration progress measures (mean and s.d. over runs) and their onsets, for simulators
    that declare them (``SimulatorSpec.extra``; e.g. RFM, which has no theory prediction)."""
    import importlib

    from ..simulators import spec_for_generator

    spec = spec_for_generator(rs.generator)
    for c in (spec.extra.get("run_stats", ()) if spec else ()):
        if c in rs.summary.columns:  # per-run outcomes, e.g. RFM's final accuracy and t_99 (phase diagrams)
            a.run_stats[c] = rs.summary[c].to_numpy(dtype=float).tolist()
    cols = [c for c in (spec.extra.get("progress_columns", ()) if spec else ()) if c in rs.curves.columns]
    if not cols:
        return
    g = rs.curves.groupby("t")[cols]
    mean, sd = g.mean(), g.std(ddof=1)
    a.progress = pd.concat([mean.add_suffix("_mean"), sd.add_suffix("_sd")], axis=1).reset_index()
    target = spec.extra.get("onsets") if spec else None
    if target:
        mod, fn = target.split(":")
        try:
            onset = getattr(importlib.import_module(mod), fn)
            per_run = [onset(c, a.config.get("op", "+")).assign(run=int(r)) for r, c in rs.curves.groupby("run")]
            a.onsets = (pd.concat(per_run).groupby("measure", sort=False)
                        .agg(onset_median=("onset_t", "median"), onset_min=("onset_t", "min"),
                             onset_max=("onset_t", "max"), share_at_acc_onset=("share_at_acc_onset", "median"))
                        .reset_index())
        except (ImportError, AttributeError, ValueError, KeyError) as exc:
            a.notes.append(f"progress-measure onsets not computed: {exc}")


def curves_preview(curves: pd.DataFrame, summary: pd.DataFrame, *, max_runs: int = 12,
                   max_points: int = 200) -> pd.DataFrame | None:
    """A small sample of the raw curves for the report (every run that never grokked first, up to
    ``max_runs`` runs, each thinned to ``max_points`` points), so that the report can draw runs
    without the run set: a run that never groks still gets its curve drawn."""
    cols = [c for c in ("run", "t", "test_error", "train_error") if c in curves.columns]
    if "run" not in summary or len(curves) == 0:
        return None
    groks = summary.set_index("run")["groks"].astype(bool)
    order = list(groks[~groks].index[: max_runs // 2]) + list(groks[groks].index)
    chosen = order[:max_runs]
    parts = []
    for r in chosen:
        c = curves.loc[curves["run"] == r, cols].sort_values("t")
        if len(c) > max_points:
            c = c.iloc[np.unique(np.linspace(0, len(c) - 1, max_points).round().astype(int))]
        parts.append(c.assign(groks=bool(groks.get(r, False))))
    return pd.concat(parts, ignore_index=True) if parts else None


def _fixed_windows(rs: RunSet) -> Any:
    """The simulator's declared absolute tau windows for nu (e.g. scenario B's time units), else None:
    judge the plateau relative to the automatic window."""
    from ..simulators import spec_for_generator

    spec = spec_for_generator(rs.generator)
    return spec.extra.get("nu_fixed_windows") if spec is not None else None


def _measure_t_G(a: AnalysisDraft, s: pd.DataFrame, groks: np.ndarray) -> None:
    """Grokking times of the law comparison: replicas already generalised at t = 0 (a mass the
    laws do not have) are counted and left out, as are other t_G <= 0."""
    keep = groks.copy()
    if "generalised_at_init" in s:
        init = s["generalised_at_init"].astype(bool).to_numpy() & groks
        a.counts["n_generalised_at_init"] = int(init.sum())
        if init.any():
            a.notes.append(f"{int(init.sum())} replicas had zero test error already at t = 0 (generalised at "
                           "initialisation, t_G = 0): counted, excluded from the t_G law")
        keep &= ~init
    tg = s.loc[keep, "t_G"].to_numpy(dtype=float)
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


def _d_eff_aligned(curves: pd.DataFrame, nu: NuFit) -> pd.DataFrame | None:
    tau = np.geomspace(max(nu.window[0], 1e-12), float(nu.aligned["tau"].max()), 60)
    M, _ = aligned_matrix(curves, nu.t_eps_used, tau, column="d_eff", loglog=False)
    if M.size == 0:
        return None
    with np.errstate(invalid="ignore"), np.testing.suppress_warnings() as sup:
        sup.filter(RuntimeWarning)
        return pd.DataFrame({"tau": tau, "d_eff": np.nanmean(M, axis=0)})


def measured_inputs(features: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The measured inputs a theory may declare (``MEASURED_INPUTS``: D_eff as the estimator chose it,
    ξ, the margin exponent, each with its s.e.), and the reasons of those flagged weak."""
    flagged = features.get("weak") or {}
    flagged = ({k: "flagged weak by its estimator" for k in flagged} if isinstance(flagged, list)
               else dict(flagged))
    measured: dict[str, Any] = {}
    weak: dict[str, str] = {}
    used = features.get("d_eff_used")
    if used and features.get(used) is not None:
        measured.update(d_eff=features[used], d_eff_se=features.get(f"{used}_se", 0.0), d_eff_used=used)
        if used in flagged:
            weak["d_eff"] = flagged[used]
    for k, default_se in (("xi", 0.0), ("nu_margin", math.nan), ("eps_eff", 0.0)):
        if features.get(k) is not None:
            measured[k], measured[f"{k}_se"] = features[k], features.get(f"{k}_se", default_se)
            if k in flagged:
                weak[k] = flagged[k]
    return measured, weak


def _judge(a: AnalysisDraft, extra: tuple[TheorySpec, ...], median_seed: Any, law_seed: int) -> None:
    """Every applicable theory's predictions (built-in, installed, then ``extra``) and their rows."""
    from ..registry.catalog import run_keys

    m = Measured(a.config, a.counts, a.nu, a.nu_error, a.t_G, a.bimodality, median_seed, law_seed)
    inputs, weak = measured_inputs(a.features)
    keys, rows, names = run_keys(a.config), [], []
    for t in theories_for(a.config, extra):
        if not t.applies(*keys):
            a.notes.append(f"theory {t.name!r} ({t.origin}) applies to {', '.join(t.applies_to)}, not to this "
                           f"run set ({', '.join(keys) or 'an unregistered generator'}): no rows")
            continue
        try:
            preds = run_theory(t, a.config, inputs, weak)
        except TheoryError:
            raise
        except (ImportError, KeyError, ValueError) as exc:  # a built-in theory at a config it cannot take
            a.notes.append(f"theory {t.name} predictions unavailable: {exc.__class__.__name__}: {exc}")
            continue
        got, notes, dist = verdict_rows(m, t, preds)
        rows += [v.row() for v in got]
        a.notes.extend(notes)
        a.law_distance = a.law_distance or dist
        a.predictions[t.name] = [p.as_dict() for p in preds]
        names.append(t.name)
    a.model = ", ".join(names) or "other"
    a.verdicts = pd.DataFrame(rows, columns=VERDICT_COLUMNS)
    gen = str(a.config.get("generator", "unknown"))
    if not names and gen != "external":
        from ..simulators import spec_for_generator

        if spec_for_generator(gen) is None:   # a renamed or plug-in generator: say why there are no rows
            a.notes.append(f"{UNREGISTERED_NOTE}: generator {gen!r} is not a registered simulator, so its "
                           "parameters are not checked and no registered theory applies (pass --theory)")
