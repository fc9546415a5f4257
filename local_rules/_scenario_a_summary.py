"""Scenario A: per-run summary (t_train, t_eps, jumps, spikes, sign flips) from the training arrays."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._checks import check_real
from ._metrics import detect_spikes
from ._results import ScenarioAResult

__all__ = ["jump_runs", "count_sign_flips"]


def jump_runs(curves: pd.DataFrame, summary: pd.DataFrame, lr: float, threshold: float = 1e-3) -> pd.DataFrame:
    """Runs whose test error one step before t_eps is above ``threshold`` (run-level first-order jump).

    One step is ``lr`` time units (t = steps × lr).  The dense rows of the replayed
    checkpoint interval give the test error at every step before t_eps.  Returns columns
    ``run, error_before_t_eps`` (NaN for runs that never grok or grok at t = 0) and ``jump``.

    Examples
    --------
    >>> c = pd.DataFrame({"run": [0, 0, 1, 1], "t": [0.995, 1.0, 0.995, 1.0],
    ...                   "test_error": [0.3, 0.0, 1e-4, 0.0]})
    >>> jump_runs(c, pd.DataFrame({"run": [0, 1], "t_eps": [1.0, 1.0]}), lr=0.005).jump.tolist()
    [True, False]
    """
    lr = check_real("lr", lr, 0.0, lo_open=True)
    threshold = check_real("threshold", threshold, 0.0)
    te = summary.set_index("run")["t_eps"].astype(float)
    want = (te - lr).rename("t_want")
    sub = curves[["run", "t", "test_error"]].join(want, on="run")
    sub = sub[np.abs(sub["t"] - sub["t_want"]) < 0.5 * lr]
    before = sub.groupby("run")["test_error"].max().reindex(te.index)
    before[~(te > 0.5 * lr)] = np.nan
    out = pd.DataFrame({"run": te.index.to_numpy(), "error_before_t_eps": before.to_numpy(dtype=float)})
    out["jump"] = out["error_before_t_eps"].to_numpy() > threshold
    return out


def count_sign_flips(flip_fraction: Any, threshold: float = 0.9) -> np.ndarray:
    """Whole-output sign flips per run: steps at which more than ``threshold`` of the (weighted)
    training positions change their predicted sign, from the per-step flip fractions ``(R, T)``."""
    threshold = check_real("threshold", threshold, 0.5, 1.0)
    f = np.nan_to_num(np.asarray(flip_fraction, dtype=float), nan=0.0)
    return (f > threshold).sum(axis=1)


def _spike_events(loss: np.ndarray, step_deff: np.ndarray, deff_steps: np.ndarray, diverged: np.ndarray,
                  factor: float, window: int) -> np.ndarray:
    """Rows (run, first step, last step, peak ratio, D_eff after − before) of non-diverged runs."""
    events = detect_spikes(np.nan_to_num(loss, nan=np.inf), factor=factor, window=window)
    ev = np.zeros((len(events), 5))
    for j, (r, a, b, ratio) in enumerate(events):
        ev[j] = (r, a, b, ratio, deff_step(step_deff[r], deff_steps, a, b + window))
    return ev[[not diverged[int(e[0])] for e in ev]] if len(ev) else ev


def deff_step(deff: np.ndarray, deff_steps: np.ndarray, a: int, b: int) -> float:
    """D_eff at the first sample after step ``b`` minus D_eff at the last sample before ``a``."""
    before = np.nonzero(deff_steps < a)[0]
    after = np.nonzero(deff_steps > b)[0]
    return float(deff[after[0]] - deff[before[-1]]) if before.size and after.size else np.nan


def _curves(outs: list[dict[str, Any]], chunk: int, lr: float) -> pd.DataFrame:
    frames = []
    for ci, o in enumerate(outs):
        off = ci * chunk
        for row in o["ck_rows"]:
            df = pd.DataFrame({k: v for k, v in row.items() if k != "alive"})
            df.insert(0, "run", np.arange(off, off + row["step"].size))
            df["dense"] = False
            frames.append(df)
        for df in o["dense"]:
            if len(df) == 0:
                continue
            df = df.rename(columns={"run_local": "run"})
            df["run"] = df["run"].astype(np.int64) + off
            df["dense"] = True
            frames.append(df)
    curves = pd.concat(frames, ignore_index=True)
    curves["t"] = curves["step"] * lr
    return curves[["run", "step", "t", "test_error", "train_error", "test_loss", "train_loss", "d_eff",
                   "dense"]].sort_values(["run", "step", "dense"], kind="stable").reset_index(drop=True)


def _first_spike(ev: np.ndarray, n: int, lr: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_sp = np.bincount(ev[:, 0].astype(int), minlength=n) if len(ev) else np.zeros(n, int)
    first_sp, first_dd = np.full(n, np.nan), np.full(n, np.nan)
    for e in ev[::-1]:
        first_sp[int(e[0])] = e[1] * lr
        first_dd[int(e[0])] = e[4]
    return n_sp, first_sp, first_dd


def assemble(outs: list[dict[str, Any]], chunk: int, n_init: int, lr: float, ckpts: np.ndarray,
             opts: dict[str, Any], config: dict[str, Any]) -> ScenarioAResult:
    """Merge the chunks' arrays into a :class:`ScenarioAResult` (curves, summary, features)."""
    cat = {k: np.concatenate([o[k] for o in outs]) for k in ("step_loss", "step_data_loss", "step_err",
                                                             "step_flip", "step_deff", "step_limit", "alive",
                                                             "t_eps_step", "replay_drifted")}
    deff_steps = outs[0]["deff_steps"]
    curves = _curves(outs, chunk, lr)
    diverged = ~cat["alive"]
    zero_tr = cat["step_err"] <= 0
    has_tr = zero_tr.any(axis=1)
    t_train = np.where(has_tr & ~diverged, np.argmax(zero_tr, axis=1) * lr, np.nan)
    t_eps_step = cat["t_eps_step"]
    t_eps = np.where((t_eps_step >= 0) & ~diverged, t_eps_step * lr, np.nan)
    fac, win = opts["spike_factor"], opts["spike_window"]
    ev_data = _spike_events(cat["step_data_loss"], cat["step_deff"], deff_steps, diverged, fac, win)
    ev_tot = _spike_events(cat["step_loss"], cat["step_deff"], deff_steps, diverged, fac, win)
    n_sp, first_sp, first_dd = _first_spike(ev_data, n_init, lr)
    ck_last = curves[(~curves["dense"]) & (curves["step"] == ckpts[-1])].set_index("run")
    flag = np.where(diverged, "diverged", np.where(~has_tr, "never_zero_train",
                    np.where(t_eps_step < 0, "never_zero_test", "")))
    summary = pd.DataFrame({"run": np.arange(n_init), "t_train": t_train, "t_eps": t_eps,
                            "t_G": t_eps - t_train, "groks": np.isfinite(t_eps), "diverged": diverged,
                            "flag": flag, "final_test_error": ck_last["test_error"].reindex(range(n_init)).values,
                            "final_train_error": ck_last["train_error"].reindex(range(n_init)).values,
                            "final_d_eff": ck_last["d_eff"].reindex(range(n_init)).values,
                            "n_spikes": n_sp, "n_spikes_total_loss": _first_spike(ev_tot, n_init, lr)[0],
                            "t_first_spike": first_sp, "first_spike_d_eff_step": first_dd,
                            "replay_drifted": cat["replay_drifted"].astype(bool)})
    jr = jump_runs(curves, summary, lr, opts["jump_threshold"])
    summary["error_before_t_eps"] = jr["error_before_t_eps"].to_numpy()
    summary["jump"] = jr["jump"].to_numpy()
    summary["n_sign_flips"] = count_sign_flips(cat["step_flip"], opts["flip_threshold"])
    summary["frac_no_pad_limit"] = 1.0 - cat["step_limit"].mean(axis=1)
    summary["boundary"] = config["boundary"]
    summary["test_parity"] = config["test_parity"]
    params = {k: np.concatenate([o["final"][k] for o in outs]) for k in outs[0]["final"]}
    features = {"train_loss_per_step": cat["step_loss"], "train_data_loss_per_step": cat["step_data_loss"],
                "train_error_per_step": cat["step_err"], "sign_flip_fraction_per_step": cat["step_flip"],
                "d_eff_steps": deff_steps, "d_eff_per_step": cat["step_deff"],
                "pad_limit_exists_per_step": cat["step_limit"], "spikes": ev_data, "spikes_total_loss": ev_tot,
                **{f"final_{k}": v for k, v in params.items()}}
    config["checkpoint_steps"] = ckpts.tolist()
    return ScenarioAResult(config=config, curves=curves, summary=summary, features=features)
