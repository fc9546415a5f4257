"""Merging the seed chunks of one setting into one run set."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._io import plain_jsonable, strict_jsonable
from .schema import RunSet, normalise, seeds_of

__all__ = ["merge_runsets"]


def merge_runsets(runsets: Sequence[Any], *, ignore_keys: Iterable[str] = ("seed", "seeds", "n_replicas",
                                                                                 "n_init", "progress")) -> RunSet:
    """Merge run sets (or simulator results) of ONE setting simulated in seed
    chunks into one in-memory :class:`RunSet` (write it with :func:`write_runset`).

    The configs must agree on every key except ``ignore_keys`` (seeds and chunk
    sizes); runs are renumbered consecutively (chunk order kept, the original id
    kept in ``source_run`` and the chunk index in ``chunk``). Per-run features
    (leading axis = that chunk's number of runs) are concatenated; other
    features must be identical across chunks. Raises ``ValueError`` otherwise.
    """
    if len(runsets) == 0:
        raise ValueError("runsets must contain at least one run set")
    ignore = set(ignore_keys)
    base = {k: v for k, v in strict_jsonable(runsets[0].config).items() if k not in ignore}
    for i, rs in enumerate(runsets[1:], start=1):
        other = {k: v for k, v in strict_jsonable(rs.config).items() if k not in ignore}
        if other != base:
            diff = sorted(k for k in set(base) | set(other) if base.get(k) != other.get(k))
            raise ValueError(f"run set {i} has a different setting (config keys {diff} differ); "
                             "only seed chunks of one setting can be merged")
    curves_parts, summary_parts, seeds = [], [], []
    offset = 0
    for i, rs in enumerate(runsets):
        runs = np.sort(rs.summary["run"].unique())
        mapping = {int(r): offset + j for j, r in enumerate(runs)}
        c = rs.curves.assign(source_run=rs.curves["run"], chunk=i)
        c["run"] = c["run"].map(mapping).astype("int64")
        s = rs.summary.assign(source_run=rs.summary["run"], chunk=i)
        s["run"] = s["run"].map(mapping).astype("int64")
        curves_parts.append(c)
        summary_parts.append(s)
        seeds.extend(seeds_of(plain_jsonable(rs.config)))
        offset += len(runs)
    features: dict[str, np.ndarray] = {}
    keys = set().union(*(rs.features.keys() for rs in runsets))
    for key in sorted(keys):
        if not all(key in rs.features for rs in runsets):
            raise ValueError(f"feature {key!r} is present in some chunks only")
        arrs = [np.asarray(rs.features[key]) for rs in runsets]
        per_run = all(a.ndim >= 1 and a.shape[0] == rs.summary["run"].nunique() for a, rs in zip(arrs, runsets))
        if per_run and len(runsets) > 1 and not all(np.array_equal(arrs[0], a) for a in arrs[1:]):
            features[key] = np.concatenate(arrs, axis=0)
        elif all(np.array_equal(arrs[0], a) for a in arrs[1:]):
            features[key] = arrs[0]
        else:
            raise ValueError(f"feature {key!r} differs between chunks and is not per-run")
    config = dict(plain_jsonable(runsets[0].config))
    config["seeds"] = sorted(set(seeds))
    config.pop("seed", None)
    config["merged_chunks"] = len(runsets)
    for k in ("n_replicas", "n_init"):
        if k in config:
            config[k] = int(sum(int(rs.config.get(k, 0)) for rs in runsets))
    curves, summary = normalise(pd.concat(curves_parts, ignore_index=True),
                                 pd.concat(summary_parts, ignore_index=True))
    return RunSet(config=config, curves=curves, summary=summary, features=features)
