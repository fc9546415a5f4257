"""Sweep configuration: parsing, validation, canonical hash, settings and tasks.

A sweep is a grid of simulator settings times seed chunks (see docs/cluster.md)::

    [sweep]
    simulator = "perceptron-ball"     # a `grokcheck simulate` name, or "package.module:function"
    seed = 0                          # base seed of the whole sweep
    runs_per_setting = 1000           # replicas / initialisations per setting
    chunk = 100                       # runs per task (the last chunk may be smaller)
    # size_key = "n_replicas"         # the simulator's run-count parameter (default per simulator)

    [fixed]                           # parameters shared by every setting
    N = 100
    eps = 2.0

    [grid]                            # cartesian product of these lists
    D = [3, 5]
    lam2 = [0.01, 0.1]

    [[cases]]                         # optional alternatives, crossed with the grid
    lam1 = 0.01
    [[cases]]
    lam2 = 0.1

Settings are enumerated in a fixed order (cases in file order, then the grid in
sorted-key lexicographic order), seed chunks inside each setting; task ``k`` is
chunk ``k mod n_chunks`` of setting ``k div n_chunks``. Its seed is

    seed_k = SeedSequence(base_seed, spawn_key=(k,)).generate_state(1, dtype=uint64)[0] >> 1

i.e. 63 bits of ``numpy.random.SeedSequence(base_seed).spawn(n)[k]``: deterministic,
independent of the execution order and of the machine, fits an int64 (parquet,
torch), and collisions are negligible (probability ~ n^2 / 2^64 for n tasks).

This module only uses the standard library and numpy (imported lazily).
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["SweepConfig", "Setting", "Task", "parse_sweep_config", "read_sweep_toml", "task_seed",
           "DEFAULT_SIZE_KEYS"]

# the run-count parameter of each registered simulator
DEFAULT_SIZE_KEYS: dict[str, str] = {
    "perceptron-1d": "n_replicas",
    "perceptron-ball": "n_replicas",
    "scenario-a": "n_init",
    "scenario-b": "n_init",
    "rfm": "n_runs",
}
_SIZE_CANDIDATES = ("n_replicas", "n_init", "n_runs")
_SWEEP_KEYS = {"simulator", "seed", "runs_per_setting", "chunk", "size_key"}
_TOP_KEYS = {"sweep", "fixed", "grid", "cases"}
_RESERVED = {"seed", "seeds", "progress"}
MAX_TASKS = 1_000_000  # tasks of one sweep (each is a run-set directory)


@dataclass(frozen=True)
class Setting:
    """One point of the grid: its index, a filesystem-safe label and its parameters."""

    index: int
    label: str
    params: dict[str, Any]
    varying: dict[str, Any]


@dataclass(frozen=True)
class Task:
    """One seed chunk of one setting (the unit of work and of resumption)."""

    index: int
    setting: int
    chunk: int
    seed: int
    n_runs: int
    relpath: str


def task_seed(base_seed: int, index: int) -> int:
    """Seed of task ``index``: 63 bits of ``SeedSequence(base_seed).spawn(n)[index]``."""
    import numpy as np

    state = np.random.SeedSequence(base_seed, spawn_key=(index,)).generate_state(1, dtype=np.uint64)
    return int(state[0]) >> 1


def _check_scalar(where: str, key: str, value: Any) -> None:
    ok = value is None or isinstance(value, (bool, int, float, str))
    if isinstance(value, list):
        ok = all(isinstance(v, (bool, int, float, str)) for v in value)
    if not ok:
        raise ValueError(f"{where}.{key} must be a number, string, boolean or list of them, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}.{key} must be finite, got {value!r}")


def _label_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._=+-]", "-", text)


@dataclass(frozen=True)
class SweepConfig:
    """A validated sweep configuration (see the module docstring for the TOML form).

    ``canonical`` is the normalised config (defaults filled in) whose canonical
    JSON (sorted keys, no spaces) gives ``config_hash``; only these keys decide
    what a sweep computes, so only they are compared on resume.
    """

    simulator: str
    seed: int
    runs_per_setting: int
    chunk: int
    size_key: str
    fixed: dict[str, Any]
    grid: dict[str, list[Any]]
    cases: list[dict[str, Any]]

    @property
    def canonical(self) -> dict[str, Any]:
        return {"sweep": {"simulator": self.simulator, "seed": self.seed,
                          "runs_per_setting": self.runs_per_setting, "chunk": self.chunk,
                          "size_key": self.size_key},
                "fixed": self.fixed, "grid": self.grid, "cases": self.cases}

    @property
    def canonical_json(self) -> str:
        return json.dumps(self.canonical, sort_keys=True, separators=(",", ":"), allow_nan=False)

    @property
    def config_hash(self) -> str:
        return hashlib.sha256(self.canonical_json.encode()).hexdigest()

    @property
    def n_chunks(self) -> int:
        return -(-self.runs_per_setting // self.chunk)

    def settings(self) -> list[Setting]:
        keys = sorted(self.grid)
        combos = list(itertools.product(*(self.grid[k] for k in keys)))
        out: list[Setting] = []
        for case in self.cases:
            for combo in combos:
                varying = {**case, **dict(zip(keys, combo))}
                params = {**self.fixed, **varying}
                i = len(out)
                tail = "_".join(f"{k}={_label_value(v)}" for k, v in varying.items())
                label = _safe(f"s{i:03d}" + (f"_{tail}" if tail else ""))[:96]
                out.append(Setting(index=i, label=label, params=params, varying=varying))
        return out

    def tasks(self) -> list[Task]:
        out: list[Task] = []
        for s in self.settings():
            for j in range(self.n_chunks):
                k = s.index * self.n_chunks + j
                size = min(self.chunk, self.runs_per_setting - j * self.chunk)
                out.append(Task(index=k, setting=s.index, chunk=j, seed=task_seed(self.seed, k), n_runs=size,
                                relpath=f"runs/{s.label}/c{j:05d}"))
        return out


def read_sweep_toml(path: str) -> dict[str, Any]:
    """Read a sweep TOML file (``ValueError`` / ``FileNotFoundError`` with the path)."""
    import tomllib

    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"sweep config {path!r} not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"sweep config {path!r} is not valid TOML: {exc}") from exc


def _size_key(sim: str, given: Any) -> str:
    """The run-count parameter: a registered simulator's own (``sweep.size_key`` may only repeat
    it: a wrong key such as ``seed`` would give every chunk the same runs, ``D`` would mix
    settings); for a custom ``module:function`` the given name, never a seed."""
    from ..simulators import get_spec

    spec = get_spec(sim)
    own = spec.size_key if spec is not None else DEFAULT_SIZE_KEYS.get(sim)
    if given is None:
        if own is None:
            raise ValueError(f"sweep.size_key is required for the custom simulator {sim!r} "
                             f"(its run-count parameter, e.g. one of {list(_SIZE_CANDIDATES)})")
        return own
    if not isinstance(given, str) or not given.isidentifier():
        raise ValueError(f"sweep.size_key must be a parameter name, got {given!r}")
    if own is not None and given != own:
        raise ValueError(f"sweep.size_key of {sim} must be its run-count parameter {own!r}, got {given!r} "
                         "(leave it out)")
    if given in _RESERVED:
        raise ValueError(f"sweep.size_key must be the simulator's run-count parameter, not {given!r}")
    return given


def parse_sweep_config(data: dict[str, Any]) -> SweepConfig:
    """Validate a sweep config dict (as read from TOML); ``ValueError`` names the key."""
    if not isinstance(data, dict):
        raise ValueError(f"sweep config must be a table, got {type(data).__name__}")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ValueError(f"unknown sweep config table(s) {unknown}; allowed: {sorted(_TOP_KEYS)}")
    sw = data.get("sweep")
    if not isinstance(sw, dict):
        raise ValueError("sweep config needs a [sweep] table with simulator, runs_per_setting, chunk")
    bad = sorted(set(sw) - _SWEEP_KEYS)
    if bad:
        raise ValueError(f"unknown key(s) {bad} in [sweep]; allowed: {sorted(_SWEEP_KEYS)}")
    from ..simulators import SIMULATORS

    known = {**DEFAULT_SIZE_KEYS, **{name: spec.size_key for name, spec in SIMULATORS.items()}}
    sim = sw.get("simulator")
    if not isinstance(sim, str) or not sim:
        raise ValueError("sweep.simulator must be a `grokcheck simulate` name "
                         f"({sorted(known)}) or 'package.module:function'")
    if sim not in known and ":" not in sim:
        raise ValueError(f"sweep.simulator {sim!r} is unknown; use one of {sorted(known)} "
                         "or 'package.module:function'")
    seed = sw.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"sweep.seed must be an integer >= 0, got {seed!r}")
    runs = sw.get("runs_per_setting")
    if not isinstance(runs, int) or isinstance(runs, bool) or runs < 1:
        raise ValueError(f"sweep.runs_per_setting must be an integer >= 1, got {runs!r}")
    chunk = sw.get("chunk", runs)
    if not isinstance(chunk, int) or isinstance(chunk, bool) or not 1 <= chunk <= runs:
        raise ValueError(f"sweep.chunk must be an integer in [1, runs_per_setting={runs}], got {chunk!r}")
    size_key = _size_key(sim, sw.get("size_key"))

    fixed = data.get("fixed", {})
    if not isinstance(fixed, dict):
        raise ValueError("[fixed] must be a table of parameter = value")
    grid = data.get("grid", {})
    if not isinstance(grid, dict):
        raise ValueError("[grid] must be a table of parameter = [values]")
    cases = data.get("cases", [{}])
    if not isinstance(cases, list) or not cases or not all(isinstance(c, dict) for c in cases):
        raise ValueError("[[cases]] must be a non-empty array of tables")
    reserved = _RESERVED | {size_key}
    for where, table in [("fixed", fixed), ("grid", grid)] + [(f"cases[{i}]", c) for i, c in enumerate(cases)]:
        clash = sorted(set(table) & reserved)
        if clash:
            raise ValueError(f"{where} must not set {clash}: seeds and run counts are set by the sweep "
                             "(sweep.seed, sweep.runs_per_setting, sweep.chunk)")
        for k, v in table.items():
            _check_scalar(where, k, v)
    for k, v in grid.items():
        if not isinstance(v, list) or not v:
            raise ValueError(f"grid.{k} must be a non-empty list of values, got {v!r}")
        if len({json.dumps(x) for x in v}) != len(v):
            raise ValueError(f"grid.{k} has repeated values {v!r}")
    both = sorted(set(fixed) & set(grid))
    if both:
        raise ValueError(f"parameter(s) {both} appear in both [fixed] and [grid]")
    n_settings = len(cases) * math.prod(len(v) for v in grid.values())
    n_tasks = n_settings * -(-runs // chunk)
    if n_tasks > MAX_TASKS:
        raise ValueError(f"sweep has {n_settings} setting(s) x {-(-runs // chunk)} chunk(s) = {n_tasks} tasks, "
                         f"more than {MAX_TASKS}; lower sweep.runs_per_setting ({runs}) or raise sweep.chunk")
    case_keys = set().union(*(set(c) for c in cases))
    both = sorted(case_keys & (set(fixed) | set(grid)))
    if both:
        raise ValueError(f"parameter(s) {both} appear in [[cases]] and in [fixed] or [grid]")
    return SweepConfig(simulator=sim, seed=int(seed), runs_per_setting=int(runs), chunk=int(chunk),
                       size_key=size_key, fixed=dict(fixed), grid={k: list(v) for k, v in grid.items()},
                       cases=[dict(c) for c in cases])
