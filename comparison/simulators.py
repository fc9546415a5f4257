"""The one simulator registry: name, callable, run-count key, declared parameters, theory model.

Every place that needs to know about a simulator — ``grokcheck simulate`` flags,
sweeps (run-count key, parameter checks), the theory dispatch, the demo — reads
:data:`SIMULATORS`. Adding a simulator is one :class:`SimulatorSpec` entry
(see docs/comparison.md, "Adding a simulator")::

    >>> from comparison.simulators import SIMULATORS, spec_for_generator
    >>> SIMULATORS["perceptron-ball"].size_key
    'n_replicas'
    >>> spec_for_generator("perceptron_theory.simulate_exponential").name
    'perceptron-1d'

Parameters are declared (:class:`Param`: type, range, flag) and checked before
any work starts, with a :class:`~comparison.errors.ConfigError` naming the
parameter and the allowed range. A config may also name any importable
``"package.module:function"`` (a trusted, code-equivalent choice; see
docs/guarantees.md).
"""
from __future__ import annotations

from typing import Any

from .errors import ConfigError
from .simulator_costs import (cost_1d, cost_ball, cost_linear_estimator, cost_rfm, cost_scenario_a, cost_scenario_b,
                              cost_separability)
from .simulator_spec import Param, SimulatorSpec

__all__ = ["Param", "SimulatorSpec", "SIMULATORS", "register", "get_spec", "spec_for_generator",
           "load_simulator", "check_params", "call_simulator", "check_resources", "memory_limit_bytes",
           "check_device"]


def _p(name: str, kind: type, help: str, flag: str | None = None, **kw: Any) -> Param:
    return Param(name, kind, help, flag if flag is not None else f"--{name.replace('_', '-')}", **kw)


_LAM = {"lo": 0.0, "hi": 1e6}
_COMMON_SEED = Param("seed", int, "random seed", None, lo=0, hi=2 ** 63 - 1)


def _opt(name: str, kind: type, help: str, **kw: Any) -> Param:
    """A parameter without its own flag (``--set name=value`` or a config key)."""
    return Param(name, kind, help, None, **kw)


def check_device(value: str) -> str:
    """``value`` if it names a usable torch device here; :class:`ConfigError` otherwise
    (``cuda`` without CUDA, an index beyond the visible GPUs, an unknown name)."""
    if value == "cpu":
        return value
    try:
        import torch

        dev = torch.device(value)
    except ImportError as exc:
        raise ConfigError(f"parameter device={value!r} needs torch, which cannot be imported") from exc
    except (RuntimeError, TypeError, ValueError):
        raise ConfigError(f"parameter device must be a torch device ('cpu', 'cuda', 'cuda:N'), got {value!r}") \
            from None
    if dev.type == "cuda":
        n = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if n == 0:
            raise ConfigError(f"parameter device={value!r}: CUDA is not available on this machine; use cpu")
        if dev.index is not None and dev.index >= n:
            raise ConfigError(f"parameter device={value!r}: only {n} CUDA device(s) visible (cuda:0..cuda:{n - 1})")
    elif dev.type == "mps":
        if not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise ConfigError(f"parameter device={value!r}: MPS is not available on this machine; use cpu")
    elif dev.type != "cpu":
        raise ConfigError(f"parameter device must be 'cpu', 'cuda[:N]' or 'mps', got {value!r}")
    return value


def memory_limit_bytes() -> float:
    """The memory limit of one simulator call: ``GROKCHECK_MAX_MEM_GB`` GiB (default 16)."""
    from perceptron_theory.memory_guard import memory_limit_bytes as shared_limit

    try:
        return shared_limit()   # the one implementation (perceptron_theory.memory_guard)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


_CURVE_OPTS = (_opt("record_curves", bool, "record the error curves"),
               _opt("n_curve_points", int, "curve points per run", lo=4, hi=10 ** 4),
               _opt("chunk", int, "runs simulated at once", lo=1, hi=10 ** 7))

SIMULATORS: dict[str, SimulatorSpec] = {}

# Which summary fields the curves determine (comparison.runset.curve_transitions; default: the
# run-format contract). The linear models' times are threshold crossings of exact losses and
# accuracy levels, and their groks is a limit or a loss target: none is re-derivable from
# the sampled error curves.
_NOT_FROM_CURVES: dict[str, Any] = {}


# (column, exact): exact where the crossing is a curve sample or read off the curve's own grid
_EXACT_T_EPS: dict[str, Any] = {"t_eps": ("test_error", True), "t_train": ("train_error", False),
                                "groks": ("test_error", 0.0)}
_EXACT_BOTH: dict[str, Any] = {**_EXACT_T_EPS, "t_train": ("train_error", True)}


def _ball_from_curves(config: dict[str, Any]) -> dict[str, Any]:
    """The ball's t_eps and groks. Not its t_train: with ``t_train = "threshold"`` it is another
    quantity, and with ``"samples"`` the n_grid search can miss a short stretch at zero
    training error that a curve sample catches (docs/errata.md, "Found by the transition check")."""
    return {k: v for k, v in _EXACT_T_EPS.items() if k != "t_train"}


def register(spec: SimulatorSpec) -> SimulatorSpec:
    """Add ``spec`` to the registry (a test or a plug-in can register its own)."""
    if spec.name in SIMULATORS:
        raise ConfigError(f"a simulator named {spec.name!r} is already registered")
    SIMULATORS[spec.name] = spec
    return spec


register(SimulatorSpec(
    "perceptron-1d", "perceptron_theory:simulate_exponential", "1D exponential perceptron (paper sec. 3.2)",
    "n_replicas", (_p("N", int, "samples per class", lo=1, hi=10 ** 6), _p("eps", float, "class gap half-width", lo=0, lo_open=True, hi=1e6),
                   _p("lam1", float, "L1 strength", **_LAM), _p("lam2", float, "L2 strength", **_LAM),
                   _p("n_replicas", int, "number of training sets", "--replicas", lo=1, hi=10 ** 7),
                   _p("b0", float, "initial bias (default: max positive sample + 1)", lo=-1e6, hi=1e6),
                   _COMMON_SEED, *_CURVE_OPTS),
    cost=cost_1d, extra={"from_curves": _EXACT_T_EPS}))
register(SimulatorSpec(
    "perceptron-ball", "perceptron_theory:simulate_ball", "D-dimensional uniform-ball perceptron (sec. 3.3)",
    "n_replicas", (_p("D", int, "input dimension", lo=1, hi=10 ** 4), _p("N", int, "samples per class", lo=1, hi=10 ** 6),
                   _p("eps", float, "ball shift", lo=0, lo_open=True, hi=1e6),
                   _p("lam1", float, "L1 strength", **_LAM), _p("lam2", float, "L2 strength", **_LAM),
                   _p("n_replicas", int, "number of replicas", "--replicas", lo=1, hi=10 ** 7), _COMMON_SEED,
                   *_CURVE_OPTS, _opt("final_only", bool, "final state only (no times)"),
                   _opt("n_grid", int, "search-grid points per replica", lo=8, hi=10 ** 5),
                   _p("t_train", str, "training-error time: from the samples (the real model) or the threshold "
                      "w1/|w| >= 1/sqrt(1+eps^2) of the law's derivation", choices=("samples", "threshold")),
                   _p("dynamics", str, "the real finite-N flow, or the paper's zeroth-order Eqs. 38-39",
                      choices=("exact", "zeroth_order"))),
    cost=cost_ball, extra={"from_curves": _ball_from_curves}))
register(SimulatorSpec(
    "scenario-b", "local_rules:run_scenario_b", "tensor-network attention, fixed context tensors (sec. 4.3.1)",
    "n_init", (_p("A", str, "context tensors", choices=("example1", "example2", "example3")),
               _p("rule", int, "Wolfram rule number", lo=0, hi=255), _p("K", int, "locality", lo=1, hi=8),
               _p("lam1", float, "L1 strength", **_LAM), _p("lam2", float, "L2 strength", **_LAM),
               _p("n_init", int, "classifier initialisations", lo=1, hi=10 ** 7), _COMMON_SEED,
               _opt("n_times", int, "time-grid points", lo=2, hi=10 ** 6), _opt("n_tau", int, "tau-grid points", lo=1, hi=10 ** 5),
               _opt("train_M", int, "training input length", lo=1, hi=64)),
    extra={"nu_fixed_windows": "paper", "from_curves": _EXACT_BOTH}, cost=cost_scenario_b))
register(SimulatorSpec(
    "scenario-a", "local_rules:run_scenario_a", "tensor-network attention, full training (sec. 4.3.2)",
    "n_init", (_p("d", int, "bond dimension", lo=1, hi=512), _p("K", int, "locality", lo=1, hi=8),
               _p("rule", int, "Wolfram rule number", lo=0, hi=255),
               _p("lam1", float, "L1 strength", **_LAM), _p("lam2", float, "L2 strength", **_LAM),
               _p("n_init", int, "initialisations", lo=1, hi=10 ** 6), _p("n_steps", int, "Adam steps", lo=1, hi=10 ** 8),
               _p("lr", float, "learning rate", lo=0, lo_open=True, hi=10.0),
               _p("device", str, "torch device", validate=check_device),
               _p("boundary", str, "boundary vectors (trainable: defined for every A)",
                  choices=("trainable", "pad", "eigen", "closed")),
               _p("penalty_mode", str, "L1/L2 added to the gradient before Adam, or a proximal step after it",
                  choices=("coupled", "decoupled")),
               _p("penalty_norm", str, "penalty summed or averaged over entries", choices=("sum", "mean")),
               _p("penalty_on", str, "which tensors the penalty acts on", choices=("AB", "A", "B")),
               _COMMON_SEED),
    extra={"nu_fixed_windows": "paper", "from_curves": _EXACT_T_EPS}, cost=cost_scenario_a))
register(SimulatorSpec(
    "rfm", "modular_rfm:run_rfm", "recursive feature machine on modular arithmetic",
    "n_runs", (_p("p", int, "prime modulus", lo=2, hi=10 ** 4),
               _p("op", str, "operation (+, -, *, /)", choices=("+", "-", "*", "/")),
               _p("train_frac", float, "training fraction", lo=0, lo_open=True, hi=1.0),
               _p("n_iter", int, "AGOP iterations", lo=1, hi=10 ** 5),
               _p("n_runs", int, "independent splits", lo=1, hi=10 ** 5),
               _p("enforce", str, "project M onto the block-circulant form every iteration",
                  choices=("block_circulant",)),
               _p("device", str, "None: numpy (default); cpu or cuda: the float64 torch path", validate=check_device),
               _COMMON_SEED),
    cost=cost_rfm, seed_keys=("split_seeds",),
    extra={"progress_columns": ("test_accuracy", "test_loss", "circ_dev", "circ_dev_circulant", "circ_dev_hankel",
                                "alignment", "d_eff"),
           "onsets": "modular_rfm:measure_onsets",
           "run_stats": ("final_test_accuracy", "t_99"), "phase_axis": "train_frac",
           # t_eps, t_train: first zero errors; groks: test accuracy 0.99 reached (modular_rfm._rfm)
           "from_curves": {**_EXACT_BOTH, "groks": ("test_error", 0.01)}}))


register(SimulatorSpec(
    "separability", "linear_grokking.separability:simulate_separability",
    "logistic regression at the edge of linear separability (Beck, Levi & Bar-Sinai 2025)",
    "n_seeds", (_p("N", int, "training points", lo=1, hi=10 ** 5),
                _p("d", int, "dimension (lam = d/N)", lo=1, hi=10 ** 4),
                _p("sigma", float, "data noise: points ~ N(shift e_1, sigma^2 I_d)", lo=0, lo_open=True, hi=1e4),
                _p("optimizer", str, "gradient flow on a log clock, or Adam", choices=("gd", "adam")),
                _p("lr", float, "Adam learning rate (GD: the first step)", lo=0, lo_open=True, hi=10.0),
                _p("n_seeds", int, "runs (one training set each)", lo=1, hi=10 ** 6),
                _p("t_max", float, "end of the log clock", lo=1e-2, lo_open=True, hi=1e300),
                _p("acc_level", float, "test accuracy defining t*_gen", lo=0.5, lo_open=True, hi=0.999999),
                _p("groks_by", str, "groks = not separable (the t -> inf limit, Prop. 3.2; Wendel's event) or "
                   "the test accuracy reached acc_level on the clock", choices=("limit", "threshold")),
                _p("shift", float, "data mean along e_1 (0: symmetric, Wendel exact)", lo=-1e4, hi=1e4),
                _p("label_fraction", float, "probability of the constant label +1 (App. I's r; 1: the paper's "
                   "constant label, Wendel exact)", lo=0, lo_open=True, hi=1.0),
                _p("device", str, "torch device of the dynamics", validate=check_device),
                _opt("max_steps", int, "cap on GD steps (runs that hit it are not reached)", lo=1, hi=10 ** 8),
                _opt("t_min", float, "first record time", lo=0, lo_open=True, hi=1e300),
                _opt("n_points", int, "log-spaced records", lo=2, hi=10 ** 5), _COMMON_SEED),
    cost=cost_separability, extra={"from_curves": _NOT_FROM_CURVES}))


register(SimulatorSpec(
    "linear-estimator", "linear_grokking.estimator:simulate_linear_estimator",
    "linear teacher-student estimator (Levi, Beck & Bar-Sinai, ICLR 2024)",
    "n_seeds", (_p("d_in", int, "input dimension", lo=1, hi=2 * 10 ** 4),
                _p("lam", float, "d_in / N_tr (N_tr = round(d_in / lam))", lo=1e-4, hi=1e4),
                _p("d_out", int, "output dimension", lo=1, hi=2 * 10 ** 4),
                _p("gamma", float, "weight decay (Eq. 3)", lo=0.0, hi=1e3),
                _p("alpha", float, "initial student scale S_0 -> alpha S_0", lo=0.0, hi=1e3),
                _p("eps", float, "accuracy threshold on the mean squared error per output", lo=0, lo_open=True,
                   hi=1e6),
                _p("eta", float, "GD step (the flow rate eta0)", lo=0, lo_open=True, hi=10.0),
                _p("dynamics", str, "exact gradient flow, exact discrete GD, or GD step by step",
                   choices=("flow", "gd", "gd_loop")),
                _p("n_seeds", int, "runs (own training set, test set, teacher, student each)", lo=1, hi=10 ** 5),
                _p("horizon", float, "end of training in GD steps (groks: t*_gen <= horizon)", lo=2.0,
                   hi=1e30),
                _p("n_test", int, "finite test sample of the accuracies", lo=1, hi=10 ** 6),
                _p("device", str, "torch device of the linear algebra (default: numpy)", validate=check_device),
                _opt("t_min", float, "first time of the log grid", lo=0, lo_open=True, hi=1e30),
                _opt("n_points", int, "log-spaced grid points", lo=2, hi=10 ** 5),
                _opt("chunk", int, "runs vectorised at once", lo=1, hi=10 ** 5), _COMMON_SEED),
    cost=cost_linear_estimator, extra={"from_curves": _NOT_FROM_CURVES}))

def get_spec(name: str) -> SimulatorSpec | None:
    """The registered spec called ``name``, or None (e.g. a custom ``module:function``)."""
    return SIMULATORS.get(name)


def spec_for_generator(generator: str) -> SimulatorSpec | None:
    """The registered spec whose callable wrote a run set with this ``generator``."""
    gen = str(generator)
    return next((s for s in SIMULATORS.values() if s.generator == gen), None)


def load_simulator(name: str) -> Any:
    """Import the simulator ``name`` (registered, or ``"package.module:function"``)."""
    import importlib

    spec = SIMULATORS.get(name)
    if spec is not None:
        target = spec.target
    elif ":" in name:
        target = name
    else:
        raise ConfigError(f"unknown simulator {name!r}; use one of {sorted(SIMULATORS)} or "
                          "'package.module:function'")
    mod_name, fn_name = target.split(":", 1)
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as exc:
        raise ConfigError(f"simulator {name!r} needs the package {mod_name!r}, which cannot be imported: "
                          f"{exc}") from exc
    fn = getattr(mod, fn_name, None)
    if fn is None:
        raise ConfigError(f"simulator {name!r} is not available in this installation "
                          f"({mod_name}.{fn_name} is not implemented yet)")
    return fn


def check_params(name: str, params: dict[str, Any], *, progress: bool = False, fn: Any = None) -> dict[str, Any]:
    """Check ``params`` of simulator ``name`` before any work: declared types and
    ranges, unknown and missing names. Returns the call's keyword arguments
    (``progress`` added when the simulator takes it)."""
    import inspect

    fn = fn if fn is not None else load_simulator(name)
    spec = SIMULATORS.get(name)
    out = dict(params)
    sig = inspect.signature(fn)
    if spec is not None:
        for k, v in params.items():
            decl = spec.param(k)
            default = sig.parameters[k].default if k in sig.parameters else None
            if decl is not None and (v is not None or default is not None):  # None only where it is the default
                out[k] = decl.check(v)
    has_var_kw = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())
    unknown = [k for k in out if k not in sig.parameters]
    if unknown and not has_var_kw:
        allowed = [k for k in sig.parameters if k != "progress"]
        raise ConfigError(f"unknown parameter(s) {unknown} for {name}; allowed: {allowed}")
    missing = [k for k, p in sig.parameters.items()
               if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and k not in out]
    if missing:
        flags = {p.name: p.flag for p in (spec.params if spec else ()) if p.flag}
        need = ", ".join(flags.get(k) or f"--set {k}=..." for k in missing)
        raise ConfigError(f"{name} needs {need} (or the key(s) {missing} in --config)")
    if spec is not None:
        check_resources(spec, {k: p.default for k, p in sig.parameters.items() if p.default is not p.empty} | out)
    if "progress" in sig.parameters:
        out["progress"] = progress
    return out


def check_resources(spec: SimulatorSpec, params: dict[str, Any]) -> None:
    """Refuse (:class:`ConfigError`, giving the estimate and the limit) a call whose estimated
    memory exceeds ``GROKCHECK_MAX_MEM_GB`` (see docs/guarantees.md)."""
    if spec.cost is None:
        return
    try:
        need = spec.cost(params)
    except (KeyError, TypeError):  # a size is missing (a custom callable): nothing to estimate
        return
    limit = memory_limit_bytes()
    if need > limit:
        raise ConfigError(f"{spec.name} with these parameters needs about {need / 2 ** 30:.3g} GiB of memory, "
                          f"more than the limit of {limit / 2 ** 30:g} GiB; use smaller sizes (or a sweep with "
                          "a smaller chunk), or raise the limit with the environment variable GROKCHECK_MAX_MEM_GB")


def call_simulator(name: str, params: dict[str, Any], *, progress: bool = False) -> Any:
    """Check ``params`` and run the simulator; returns its result (the simulator contract)."""
    fn = load_simulator(name)
    return fn(**check_params(name, params, progress=progress, fn=fn))
