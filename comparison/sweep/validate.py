"""A sweep config's parameters checked before any work, each distinct value once.

Checking every setting with :func:`comparison.simulators.check_params` costs about 0.2 ms,
so a grid at the documented maximum of 10⁶ settings took minutes before the first task.
Here the full check (unknown and missing names, types, ranges, memory) runs once per
``[[cases]]`` entry, on its first grid point; every distinct value of every grid key is
then checked once in that context; and only the memory estimate, which depends on the
combination, is evaluated per setting, on the already normalised values (a few µs each).
The settings' labels and the task list are built only after the config has passed.
"""
from __future__ import annotations

import inspect
import itertools
from typing import Any

from ..errors import ConfigError, SweepError
from ..simulators import check_params, check_resources, get_spec, load_simulator
from .config import SweepConfig

__all__ = ["check_sweep_params"]


def _distinct(values: list[Any]) -> dict[str, Any]:
    """Grid values by a key that tells 1, 1.0 and True apart (values may be lists)."""
    return {f"{type(v).__name__}:{v!r}": v for v in values}


def check_sweep_params(cfg: SweepConfig) -> None:
    """Refuse (:class:`~comparison.errors.SweepError`, ``sweep config: …``) a config whose
    settings break the simulator's declared parameters or the memory limit, at the size of
    its largest task (``size_key = chunk``).

    Examples
    --------
    >>> from comparison.sweep.manifest import load_sweep_config
    >>> cfg = load_sweep_config({"sweep": {"simulator": "perceptron-1d", "runs_per_setting": 4, "chunk": 2},
    ...                          "fixed": {"N": 3, "eps": 0.5}, "grid": {"lam2": [0.0, -1.0]}})
    >>> check_sweep_params(cfg)
    Traceback (most recent call last):
    ...
    comparison.errors.SweepError: sweep config: parameter lam2 must be a finite number in [0, 1e+06], got -1.0
    """
    try:
        _check(cfg)
    except ConfigError as exc:
        raise SweepError(f"sweep config: {exc}") from exc


def _check(cfg: SweepConfig) -> None:
    fn = load_simulator(cfg.simulator)
    spec = get_spec(cfg.simulator)
    keys = sorted(cfg.grid)
    defaults = {k: p.default for k, p in inspect.signature(fn).parameters.items() if p.default is not p.empty}
    for case in cfg.cases:
        first = {**cfg.fixed, **case, **{k: cfg.grid[k][0] for k in keys}, "seed": 0, cfg.size_key: cfg.chunk}
        base = check_params(cfg.simulator, first, fn=fn)
        base.pop("progress", None)
        norm: dict[str, dict[str, Any]] = {}
        for k in keys:
            if k in case:   # a case's own value wins over the grid's (Setting.params)
                continue
            norm[k] = {key: check_params(cfg.simulator, {**first, k: v}, fn=fn)[k]
                       for key, v in _distinct(cfg.grid[k]).items()}
        free = [k for k in keys if k in norm]
        if spec is None or spec.cost is None or not free:
            continue
        fixed = defaults | base
        for combo in itertools.product(*(list(norm[k].values()) for k in free)):
            check_resources(spec, fixed | dict(zip(free, combo)))
