"""What ``grokcheck fit`` prints: the table rows of an analysis and the ``--json`` digest."""
from __future__ import annotations

import math
from typing import Any

__all__ = ["fit_rows", "fit_digest"]

RUN_ROWS = 20
"""How many runs the ``fit`` table lists one by one (t_eps and loss onsets); the rest are counted."""


def fit_rows(a: Any) -> list[tuple[str, str]]:
    import numpy as np

    c = a.counts
    rows = [("run set", a.name), ("generator", a.generator),
            ("runs / grokking / diverged", f"{c['n_runs']} / {c['n_groks']} / {c['n_diverged']}"),
            ("P_grok", f"{c['p_grok']:.4g} ± {c['p_grok_se']:.2g}")]
    if (a.config.get("load") or {}).get("loss_only"):
        rows[2:] = [("runs", str(c["n_runs"])), ("P_grok", "not measured: loss-only log (no error or accuracy "
                                                          "column; losses are never read as error rates)")]
    rows += _load_rows(a.config.get("load"))
    if a.nu is not None:
        f = a.nu
        rows += [("nu", f.describe()), ("nu estimate", f.label or f.kind),
                 ("nu window", f"[{f.window[0]:.4g}, {f.window[1]:.4g}]  ({f.window_rule})"),
                 ("nu window sensitivity", f"± {f.window_spread:.3g}"), ("nu fit R^2", f"{f.gof['r2']:.6f}")]
        for k, w in f.windows.items():
            if k != "auto":
                flags = w.get("flags") or []
                rows.append((f"nu in tau [{w['tau_lo']:.3g}, {w['tau_hi']:.3g}]",
                             f"{w['nu']:.4g}  [{w['ci'][0]:.4g}, {w['ci'][1]:.4g}] ({w['n_points']} points)"
                             + (f"  weak: {'; '.join(flags)}" if flags else "")
                             if w["nu"] == w["nu"] else f"no data ({w['n_points']} points)"))
        if f.no_plateau:
            rows.append(("nu plateau", "none: nu drifts across the windows by more than its CI"))
        j = f.jumps
        if j.get("n"):
            wf = j.get("nu_with_jumps_flags") or []
            with_ = (f"; with them nu = {j['nu_with_jumps']:.4g}" + (f" (weak: {'; '.join(wf)})" if wf else "")
                     if "nu_with_jumps" in j else "")
            rows.append(("jump runs", f"{j['n']} of {j.get('n_runs', '?')} ({j.get('rule', '')}); "
                                      f"headline: {j.get('headline', '')}{with_}"))
    else:
        loss_only = (a.config.get("load") or {}).get("loss_only")
        rows.append(("nu", "not fitted: loss-only log (no error rate to align)" if loss_only
                     else f"not fitted: {a.nu_error}"))
    if a.t_G.size:
        rows.append(("t_G mean / median", f"{np.mean(a.t_G):.4g} / {np.median(a.t_G):.4g} (n = {a.t_G.size})"))
    if a.bimodality is not None:
        b = a.bimodality
        dbic = f"Delta-BIC {float(b.delta_bic):.1f}" if math.isfinite(float(b.delta_bic)) else \
            "no two-component fit"
        rows.append(("t_G bimodal", f"{'yes' if b.bimodal else 'no'} ({dbic}, {b.n_modes} mode(s))"))
    for k in ("d_eff", "xi", "eps", "nu_margin"):
        if k in a.features:
            se = a.features.get(f"{k}_se")
            rows.append((k, f"{a.features[k]:.4g}" + (f" ± {se:.2g}" if se is not None else "")))
    if a.spectrum is not None:
        rows.append(("G spectrum gap ratio", f"{a.spectrum.ratio:.3g} ({'split' if a.spectrum.split else 'no split'})"))
    return rows + _verdict_lines(a)


def _verdict_lines(a: Any) -> list[tuple[str, str]]:
    """One line per verdict row, by kind: a law has no single predicted value (never 'nan'), a
    yes/no property is in words; a row that has one ends with what it could have detected
    (:func:`~comparison.agreement.verdict.detectable_sentence`, issue 23 item 7) and, when documented,
    the errata entry's file and id (:func:`~comparison.report.errata.row_erratum`)."""
    from ..agreement.analyse import UNREGISTERED_NOTE
    from ..agreement.verdict import detectable_sentence
    from ..report.errata import ERRATA_FILE, row_erratum

    users = [n for n in a.predictions if n not in ("1d", "ball", "eq50", "margin")]
    rows = [("verdicts", n) for n in a.notes if n.startswith(f"{UNREGISTERED_NOTE}: ")]
    for r in a.verdicts.itertuples(index=False):
        z = "" if r.z != r.z else f", z = {r.z:+.2f}"
        who = next((f" [{n}]" for n in users if str(r.theory).startswith(f"{n}: ")), "")
        kind = getattr(r, "kind", "")
        if r.verdict == "not testable":
            text = f"not testable: {r.note}"
        elif kind == "distance":
            mean = str(r.note).rpartition("(theory mean ")[2].rstrip(")")
            text = (f"{r.verdict} (KS distance {r.measured:.4g} to the theory's law"
                    + (f", law mean {mean}" if mean and mean != str(r.note) else "") + f", p = {r.p_value:.3g})")
        elif kind == "property":
            word = str(r.quantity).replace("t_G ", "")
            text = (f"{r.verdict} (measured {'' if r.measured else 'not '}{word}, predicted "
                    f"{'' if r.predicted else 'not '}{word})")
        else:
            text = f"{r.verdict} (measured {r.measured:.4g}, predicted {r.predicted:.4g}{z})"
        could = detectable_sentence(r) if r.verdict != "not testable" else ""
        doc = row_erratum(r._asdict(), f"{a.model} {a.generator}")  # a documented disagreement: where
        text += (f"; {could}" if could else "") + (f"; documented: {ERRATA_FILE}#{doc.anchor}" if doc else "")
        rows.append((f"verdict: {r.quantity}{who}", text))
    return rows


def _loss_rows(load: dict[str, Any], unit: str) -> list[tuple[str, str]]:
    losses = load.get("losses") or {}
    rows = []
    for key in ("test_loss", "train_loss"):
        e = losses.get(key)
        if not e:
            continue
        name = key.replace("_", " ")
        if "onsets" not in e:
            rows.append((f"{name} onset", f"{e['column']}: no threshold stated (--loss-threshold)"))
            continue
        med = "never" if e["median"] != e["median"] else f"median {e['median']:.6g}{unit}"
        rows.append((f"{name} onset", f"{e['column']} <= {losses['threshold']:.4g}: {med}; reached by "
                                      f"{e['n_reached']} of {e['n_runs']} runs"))
    return rows


def _ci_text(e: dict[str, Any] | None, unit: str = "") -> str:
    if not e or e.get("median") is None:
        return "none"
    ci = e.get("ci")
    return f"median {e['median']:.6g}{unit}" + (f", 95% CI [{ci[0]:.6g}, {ci[1]:.6g}]" if ci else "")


def _scurve_rows(load: dict[str, Any], unit: str) -> list[tuple[str, str]]:
    """S-curve onsets (Miller et al. Eq. 1) and --measure-col leads, one line each."""
    sc = load.get("scurve") or {}
    rows = []
    for key in ("test", "train", "test_loss", "train_loss"):
        e = sc.get(key)
        if e:
            fails = ", ".join(f"{k} {v}" for k, v in e["failures"].items())
            rows.append((f"S-curve onset {key.replace('_', ' ')}", f"{_ci_text(e['onset'], unit)}; sharpness "
                         f"{_ci_text(e['sharpness'])}; fitted {e['n_fitted']} of {e['n_runs']}"
                         + (f" ({fails})" if fails else "")))
    if sc.get("relative_gap"):
        rows.append(("relative gap m", _ci_text(sc["relative_gap"])))
    per = f" per {unit.strip(' ()')}" if unit else " per unit of t"
    for key, label, u in (("sharpness_abs", "sharpness R_abs = s_test", per),
                          ("sharpness_rel", "sharpness R_rel = s_test/s_train", "")):
        if sc.get(key):
            rows.append((label, _ci_text(sc[key]) + (u if sc[key].get("median") is not None else "")
                         + f" ({sc[key]['n']} runs)"))
    for name, e in (load.get("measures") or {}).items():
        if isinstance(e, dict) and "lead" in e:
            rows.append((f"lead of {name}", _ci_text(e["lead"], unit)))
    return rows


def _never_text(r: dict[str, Any], load: dict[str, Any]) -> str:
    if r.get("flag") == "no_error_rate":
        return "no error-rate column (loss-only log)"
    if "floor" not in r or r["floor"] != r["floor"]:
        return "never"
    ex = f" = {r['floor_examples']} wrong test examples" if "floor_examples" in r else ""
    if r.get("levels_off") and r["floor"] > 0.05:
        return f"never: levels off at {r['floor']:.4g}{ex}, far above zero (no generalisation)"
    if r.get("levels_off") and r["floor"] > 0:
        return (f"never: levels off at {r['floor']:.4g}{ex} (above the tolerance {load['tolerance']:.4g}; "
                f"--tolerance {1.02 * r['floor']:.4g} counts it as zero)")
    return f"never: lowest {r['floor']:.4g}{ex}, still falling at the end of the log"


def _load_rows(load: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not load:
        return []
    unit = f" ({load['time_unit']})" if load.get("time_unit") else ""
    re = load.get("reentry", {})
    rows = [("transition", f"{load['transition']}; tolerance {load['tolerance']:.4g} ({load['tolerance_source']})"),
            ("re-entry runs", f"{re.get('n', 0)}" + (f": {', '.join(re['runs'])}" if re.get("runs") else ""))]
    rows += _loss_rows(load, unit)
    rows += _scurve_rows(load, unit)
    runs = load.get("runs", [])
    for r in runs[:RUN_ROWS]:  # every run stays in fits.json and --json; the table lists the first few
        te = _never_text(r, load) if r["t_eps"] != r["t_eps"] else f"{r['t_eps']:.6g}{unit}"
        rows.append((f"t_eps {r['run']}", te + ("  (re-entry)" if r["reentry"] else "")))
        for key in ("test_loss", "train_loss"):
            if f"onset_{key}" in r:
                v = r[f"onset_{key}"]
                rows.append((f"{key.replace('_', ' ')} onset {r['run']}", "never" if v != v else f"{v:.6g}{unit}"))
    if len(runs) > RUN_ROWS:
        rows.append(("t_eps …", f"and {len(runs) - RUN_ROWS} more runs (all in fits.json and --json)"))
    rows += [("note", n) for n in load.get("notes", [])]
    return rows


def fit_digest(a: Any, fits_file: Any = None) -> dict[str, Any]:
    """What ``grokcheck fit --json -`` prints: counts, t_eps per run, ν with CI, flags, window, and
    everything ``fits.json`` holds (verdict rows with ``detectable``, counts, t_G, predictions, …);
    strict JSON: non-finite numbers are ``null`` with a reason in ``null_reasons``."""
    from .._io import restore_nonfinite, strict_jsonable

    load = a.config.get("load") or {}
    out: dict[str, Any] = {"run_set": a.name, "generator": a.generator, "n_runs": a.counts["n_runs"],
                           "n_grok": a.counts["n_groks"], "n_diverged": a.counts["n_diverged"],
                           "n_reentry": load.get("reentry", {}).get("n"),
                           "reentry_runs": load.get("reentry", {}).get("runs"),
                           **{k: load.get(k) for k in ("transition", "tolerance", "tolerance_source", "scale",
                                                      "time_unit", "files", "error_column", "losses", "scurve", "measures",
                                                      "floor_hint", "test_quantum")},
                           "loss_only": bool(load.get("loss_only")),
                           "notes": a.notes, "fits_file": str(fits_file) if fits_file else None}
    if load.get("runs") is not None:
        out["runs"] = load["runs"]
    elif a.nu is not None:
        out["runs"] = [{"run": str(r), "t_eps": float(v)} for r, v in a.nu.t_eps_used.items()]
    f = a.nu
    out["nu"] = {"error": a.nu_error} if f is None else {
        "value": f.nu, "ci": list(f.nu_ci), "ci_level": f.ci, "ci_method": f.ci_method, "se": f.nu_se,
        "kind": f.kind, "label": f.label, "weak": f.weak, "flags": f.flags, "window": list(f.window),
        "window_rule": f.window_rule, "r2": f.gof.get("r2"), "n_points": f.gof.get("n_points"),
        "n_runs_used": f.n_runs_used, "windows": f.windows, "no_plateau": f.no_plateau, "jumps": f.jumps,
        "window_spread": f.window_spread}
    out["verdicts"] = a.verdicts.to_dict(orient="records")  # every theory's rows, each naming its theory
    out["predictions"] = a.predictions
    for key, value in restore_nonfinite(a.to_dict()).items():  # ⊇ fits.json's content
        out.setdefault(key, value)
    return strict_jsonable(out)


