"""Resumable parameter sweeps, run locally or on a ``dask.distributed`` cluster.

A sweep (see :mod:`comparison.sweep.config` and docs/cluster.md) is a grid of
simulator settings times seed chunks. Each *task* (one chunk of one setting)
writes its own run set atomically under ``OUT/runs/<setting>/c<chunk>/``;
``OUT/sweep.json`` (the sweep manifest) records the config, its hash, the
settings and every task with its seed and state.

Public names: :func:`run_sweep`, :class:`SweepOutcome`, :func:`load_sweep`,
:class:`LoadedSweep`, :func:`sweep_status`, :func:`load_sweep_config`,
:class:`SweepConfig`, :func:`is_sweep_dir`, :func:`read_sweep_manifest`,
:class:`SweepError`, :func:`sweep_summary`.

>>> from comparison.sweep import load_sweep_config
>>> cfg = load_sweep_config({"sweep": {"simulator": "perceptron-ball", "runs_per_setting": 4, "chunk": 2},
...                          "fixed": {"N": 10, "eps": 1.5}, "grid": {"D": [3, 5]}})
>>> [s.label for s in cfg.settings()], len(cfg.tasks())
(['s000_D=3', 's001_D=5'], 4)
"""
from ..errors import SweepError
from .config import SweepConfig
from .execute import SweepOutcome, run_sweep
from .load import LoadedSweep, load_sweep, sweep_status
from .manifest import SWEEP_MANIFEST, is_sweep_dir, load_sweep_config, read_sweep_manifest
from .summary import sweep_summary

__all__ = ["run_sweep", "SweepOutcome", "load_sweep", "LoadedSweep", "sweep_status", "load_sweep_config",
           "SweepConfig", "is_sweep_dir", "read_sweep_manifest", "SweepError", "sweep_summary", "SWEEP_MANIFEST"]
