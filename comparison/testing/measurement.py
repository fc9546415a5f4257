"""Measuring a quantity on a registered simulator as the reports do, reproducibly.

:func:`measure` runs a simulator at a parameter point and measures ``"P_grok"`` or
``"mean t_G"`` (:data:`QUANTITIES`) with the reports' estimators; :func:`seed_for` derives
the simulator seed from the parameters (same point, same seed); :func:`reproduce_command`
is the ``grokcheck simulate … && grokcheck fit …`` line that reruns one point.
"""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..simulators import SIMULATORS, call_simulator

__all__ = ["measure", "seed_for", "reproduce_command", "spec_for", "format_value", "QUANTITIES", "MIN_T_G"]

QUANTITIES = {"P_grok": "fraction of non-diverged runs that grok (exact binomial test)",
              "mean t_G": "mean grokking time over the runs that grok (z-test, s.e. = s.d./sqrt(n))"}
#: Fewer grokking times than this make a "mean t_G" example untestable (the reports' minimum).
MIN_T_G = 20


def seed_for(params: Mapping[str, Any], seed: int = 0) -> int:
    """A simulator seed derived from the parameters and the run's ``seed`` (same point, same seed).

    >>> seed_for({"D": 3, "eps": 1.1}) == seed_for({"eps": 1.1, "D": 3}) != seed_for({"D": 3, "eps": 1.1}, 1)
    True
    """
    text = json.dumps({"params": {k: params[k] for k in sorted(params)}, "seed": int(seed)}, sort_keys=True,
                      default=str)
    return int(hashlib.sha256(text.encode()).hexdigest()[:15], 16)


def spec_for(simulator: str, quantity: str) -> Any:
    """The registered spec of ``simulator``; ConfigError for an unknown simulator or quantity."""
    spec = SIMULATORS.get(simulator)
    if spec is None:
        raise ConfigError(f"unknown simulator {simulator!r}; use one of {sorted(SIMULATORS)}")
    if quantity not in QUANTITIES:
        raise ConfigError(f"quantity must be one of {sorted(QUANTITIES)}, got {quantity!r}")
    return spec


def format_value(v: Any) -> str:
    """A parameter value as the command line reads it (true/false, 10 significant digits)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return f"{v:.10g}" if isinstance(v, float) else str(v)


def reproduce_command(simulator: str, params: Mapping[str, Any], *, replicas: int, seed: int,
                      out: str = "check-run") -> str:
    """The ``grokcheck simulate … && grokcheck fit …`` command that reruns one example.

    >>> reproduce_command("perceptron-ball", {"D": 4, "N": 30, "eps": 1.03}, replicas=2000, seed=7)
    'grokcheck simulate perceptron-ball --D 4 --N 30 --eps 1.03 --replicas 2000 --seed 7 --out check-run && grokcheck fit check-run'
    """
    spec = spec_for(simulator, "P_grok")
    parts = ["grokcheck", "simulate", simulator]
    for k, v in params.items():
        p = spec.param(k)
        parts += [p.flag, format_value(v)] if p is not None and p.flag else ["--set", f"{k}={format_value(v)}"]
    size = spec.param(spec.size_key)
    parts += [size.flag if size is not None and size.flag else f"--set {spec.size_key}=", str(int(replicas))]
    parts += ["--seed", str(int(seed)), "--out", out]
    return " ".join(parts) + f" && grokcheck fit {out}"


def measure(simulator: str, quantity: str, params: Mapping[str, Any], *, replicas: int, seed: int) -> dict[str, Any]:
    """Run ``simulator`` with ``replicas`` runs at ``seed`` and measure ``quantity`` as the reports do.

    Returns ``measured``, ``se`` and ``n`` (plus ``k`` for P_grok). For speed, curves are not
    recorded and, for P_grok, only the final state is computed where the simulator offers it
    (the same outcomes: the final state decides whether a run groks).

    >>> m = measure("perceptron-ball", "P_grok", {"D": 3, "N": 20, "eps": 1.2, "lam2": 0.1}, replicas=200, seed=1)
    >>> sorted(m), m["n"]
    (['k', 'measured', 'n', 'se'], 200)
    """
    spec = spec_for(simulator, quantity)
    call = {**params, spec.size_key: int(replicas), "seed": int(seed)}
    if spec.param("record_curves") is not None:
        call["record_curves"] = False
    if quantity == "P_grok" and spec.param("final_only") is not None:
        call["final_only"] = True
    s = call_simulator(simulator, call, progress=False).summary
    div = s["diverged"].astype(bool).to_numpy()
    groks = s["groks"].astype(bool).to_numpy() & ~div
    if quantity == "P_grok":
        n, k = int((~div).sum()), int(groks.sum())
        p = k / n if n else math.nan
        se = math.sqrt(max(p * (1 - p), 1.0 / n) / n) if n else math.nan  # the reports' floored s.e. (z column)
        return {"measured": p, "se": se, "n": n, "k": k}
    keep = groks.copy()
    if "generalised_at_init" in s:
        keep &= ~s["generalised_at_init"].astype(bool).to_numpy()
    tg = s.loc[keep, "t_G"].to_numpy(dtype=float)
    tg = tg[np.isfinite(tg) & (tg > 0)]
    se = float(np.std(tg, ddof=1) / math.sqrt(tg.size)) if tg.size >= 2 else math.nan
    return {"measured": float(tg.mean()) if tg.size else math.nan, "se": se, "n": int(tg.size)}


