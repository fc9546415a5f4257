r"""Hypothesis strategies for the parameters of the registered simulators and for theorists' domains.

:func:`params` builds a strategy of parameter dicts from a simulator's declared
:class:`~comparison.simulators.Param`\ s (type, range, open/closed end, choices): every
numeric parameter that has a command-line flag is drawn over its declared range,
except the run count (``size_key``) and ``seed``, which the simulation-backed check
sets itself. Text and switch parameters (choices, booleans) keep the simulator's
default unless named. A user narrows any parameter by keyword::

    params("perceptron-ball", D=(2, 8), eps=(1.01, 2.0))   # a range inside the declared one
    params("perceptron-ball", lam1=0.0)                      # a fixed value
    params("perceptron-ball", dynamics=["exact", "zeroth_order"])   # a list: one of these
    params("perceptron-ball", t_train=None)                  # leave it out (the default)

A narrowed range outside the declared one is a :class:`~comparison.errors.ConfigError`
naming the parameter and the allowed range. Wide positive ranges (more than three
decades) are drawn on a log scale, so that a range such as λ ∈ [0, 10⁶] is not all
near 10⁶; ranges that include 0 keep 0 itself as a value (the shrink target).
Hypothesis shrinks toward the low end of integer ranges (small D, small N) and
toward round values of floats.

:func:`simplest` shows what a failure shrinks toward. Domain helpers: :func:`probabilities`, :func:`dimensions`, :func:`sample_sizes`,
:func:`log_uniform` and :func:`regularisation` (a log scale with 0 kept).

Examples
--------
>>> from hypothesis import given, settings
>>> from comparison.testing.strategies import params, simplest
>>> @settings(max_examples=20, database=None)
... @given(params("perceptron-ball", D=(2, 8), eps=(1.01, 2.0)))
... def test_domain(p):
...     assert 2 <= p["D"] <= 8 and 1.01 <= p["eps"] <= 2.0 and p["lam2"] >= 0
>>> test_domain()
>>> simplest(params("perceptron-ball", D=(2, 8), eps=(1.01, 2.0)))   # what failures shrink toward
{'D': 2, 'N': 1, 'eps': 2.0, 'lam1': 0.0, 'lam2': 0.0}
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from hypothesis import strategies as st

from ..errors import ConfigError
from ..simulators import SIMULATORS, Param, SimulatorSpec

__all__ = ["params", "param_strategy", "drawn_names", "simplest", "probabilities", "dimensions", "sample_sizes",
           "log_uniform", "regularisation", "LOG_DECADES", "LOG_FLOOR"]

#: A positive range wider than this many decades is drawn on a log scale.
LOG_DECADES = 3.0
#: The lowest value a log-scale draw reaches when the declared range starts at 0 (open or closed).
LOG_FLOOR = 1e-6


def simplest(strategy: st.SearchStrategy[Any]) -> Any:
    """The value hypothesis shrinks ``strategy`` toward: the best a failing example can be reduced to.

    >>> simplest(log_uniform(0.5, 8.0))
    1.0
    """
    from hypothesis import Phase, find, settings

    return find(strategy, lambda _: True,
                settings=settings(database=None, max_examples=1, phases=[Phase.generate, Phase.shrink]))


def log_uniform(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Floats in [lo, hi] (0 < lo < hi) whose logarithm is drawn uniformly; they shrink toward 1
    (or the end nearer to it).

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=30, database=None)
    ... @given(log_uniform(1e-4, 1e2))
    ... def test_range(x):
    ...     assert 1e-4 <= x <= 1e2
    >>> test_range()
    """
    lo, hi = float(lo), float(hi)
    if not (0 < lo < hi and math.isfinite(hi)):
        raise ValueError(f"log_uniform needs 0 < lo < hi < inf, got lo={lo!r}, hi={hi!r}")
    a, b = math.log(lo), math.log(hi)
    return st.floats(a, b, allow_nan=False, allow_infinity=False).map(lambda u: min(max(math.exp(u), lo), hi))


def regularisation(lo: float = 1e-4, hi: float = 1e2, *, zero: bool = True) -> st.SearchStrategy[float]:
    """Regularisation strengths: log-uniform on [lo, hi], plus exactly 0 when ``zero`` (the shrink target).

    >>> simplest(regularisation()), simplest(regularisation(zero=False))
    (0.0, 1.0)
    """
    s = log_uniform(lo, hi)
    return st.one_of(st.just(0.0), s) if zero else s


def probabilities(*, open_ends: bool = False) -> st.SearchStrategy[float]:
    """Probabilities in [0, 1] (or (0, 1) with ``open_ends``).

    >>> simplest(probabilities()), simplest(probabilities(open_ends=True)) > 0
    (0.0, True)
    """
    return st.floats(0.0, 1.0, exclude_min=open_ends, exclude_max=open_ends, allow_nan=False)


def dimensions(lo: int = 1, hi: int = 32) -> st.SearchStrategy[int]:
    """Input dimensions D in [lo, hi] (shrinking toward lo).

    >>> simplest(dimensions(2, 8))
    2
    """
    if not 1 <= lo <= hi:
        raise ValueError(f"dimensions needs 1 <= lo <= hi, got lo={lo!r}, hi={hi!r}")
    return st.integers(int(lo), int(hi))


def sample_sizes(lo: int = 1, hi: int = 10 ** 4) -> st.SearchStrategy[int]:
    """Sample sizes N in [lo, hi], log-uniform over the decades (shrinking toward lo).

    >>> simplest(sample_sizes(10, 1000))
    10
    """
    if not 1 <= lo <= hi:
        raise ValueError(f"sample_sizes needs 1 <= lo <= hi, got lo={lo!r}, hi={hi!r}")
    if hi < 10 * lo:
        return st.integers(int(lo), int(hi))
    return st.integers(0, 10 ** 6).map(lambda u: int(round(lo * (hi / lo) ** (u / 10 ** 6))))


def _checked_end(p: Param, value: Any) -> Any:
    """``value`` as an end of a narrowed range of ``p``: converted and inside the declared range."""
    try:
        return p.check(value)
    except ConfigError as exc:
        raise ConfigError(f"params: narrowing {p.name} to {value!r}: {exc}") from None


def param_strategy(p: Param, lo: Any = None, hi: Any = None) -> st.SearchStrategy[Any]:
    """A strategy for one declared parameter, over [lo, hi] (default: its declared range).

    Integers are drawn uniformly over ranges up to three decades wide and log-uniformly
    beyond; floats likewise, with 0 kept as a value when the range is closed at 0 and a
    log floor of :data:`LOG_FLOOR` when it starts at 0. Choices give ``sampled_from``,
    booleans ``booleans()``.

    >>> from comparison.simulators import SIMULATORS
    >>> D = SIMULATORS["perceptron-ball"].param("D")
    >>> simplest(param_strategy(D, 2, 5))
    2
    """
    if p.choices is not None:
        return st.sampled_from(p.choices)
    if p.kind is bool:
        return st.booleans()
    if p.kind is str:
        raise ConfigError(f"params: {p.name} is free text ({p.help}); give a value or a list of values")
    lo = p.lo if lo is None else _checked_end(p, lo)
    hi = p.hi if hi is None else _checked_end(p, hi)
    if lo > hi:
        raise ConfigError(f"params: {p.name} range ({lo!r}, {hi!r}) is empty")
    open_lo = p.lo_open and lo == p.lo
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ConfigError(f"params: {p.name} has an unbounded declared range ({p.range_text()}); narrow it")
    if p.kind is int:
        return sample_sizes(int(lo), int(hi)) if lo >= 1 and hi > 10 ** LOG_DECADES * lo else st.integers(int(lo), int(hi))
    floor = max(math.nextafter(lo, math.inf) if open_lo else lo, LOG_FLOOR)  # an open end is never drawn
    if lo >= 0 and hi > floor * 10 ** LOG_DECADES:
        s = log_uniform(floor, hi)
        return st.one_of(st.just(float(lo)), s) if lo == 0 and not open_lo else s
    return st.floats(float(lo), float(hi), exclude_min=open_lo, allow_nan=False, allow_infinity=False)


def drawn_names(spec: SimulatorSpec) -> list[str]:
    """The parameters :func:`params` draws by default: numeric, with a command-line flag, not the
    run count or the seed (choices and switches keep their defaults unless named).

    >>> drawn_names(SIMULATORS["perceptron-1d"])
    ['N', 'eps', 'lam1', 'lam2', 'b0']
    """
    return [p.name for p in spec.params
            if p.flag and p.name not in (spec.size_key, "seed") and p.choices is None and p.kind in (int, float)
            and p.validate is None]


def _narrowed(p: Param, how: Any) -> st.SearchStrategy[Any] | None:
    if how is None:
        return None
    if isinstance(how, st.SearchStrategy):
        return how
    if isinstance(how, tuple):
        if len(how) != 2:
            raise ConfigError(f"params: {p.name} range must be (lo, hi), got {how!r}")
        return param_strategy(p, *how)
    if isinstance(how, (list, set, frozenset)):
        items = sorted(how, key=repr) if isinstance(how, (set, frozenset)) else how
        values = [_checked_end(p, v) for v in items]
        if not values:
            raise ConfigError(f"params: {p.name} list of values is empty")
        return st.sampled_from(values)
    return st.just(_checked_end(p, how))


def params(simulator: str, *, exclude: Iterable[str] = ("b0",), **narrow: Any) -> st.SearchStrategy[dict[str, Any]]:
    """A strategy of parameter dicts for the registered ``simulator`` (see the module docstring).

    Parameters
    ----------
    simulator : a name in :data:`comparison.simulators.SIMULATORS`.
    exclude : default-drawn parameters to leave out (default: ``b0`` of the 1D model, whose
        default "one above the largest sample" is what its theory assumes).
    **narrow : per parameter: ``(lo, hi)`` a range inside the declared one, a list of values,
        a single value, a hypothesis strategy, or ``None`` (left out: the simulator's default).

    >>> simplest(params("perceptron-1d", N=(1, 5), eps=(0.1, 1.0), lam1=0.0))
    {'N': 1, 'eps': 1.0, 'lam1': 0.0, 'lam2': 0.0}
    >>> params("perceptron-ball", D=(0, 3))
    Traceback (most recent call last):
    ...
    comparison.errors.ConfigError: params: narrowing D to 0: parameter D must be an integer in [1, 10000], got 0
    """
    spec = SIMULATORS.get(simulator)
    if spec is None:
        raise ConfigError(f"params: unknown simulator {simulator!r}; use one of {sorted(SIMULATORS)}")
    names = [n for n in drawn_names(spec) if n not in set(exclude)]
    for k in narrow:
        if spec.param(k) is None:
            raise ConfigError(f"params: {simulator} has no parameter {k!r}; declared: "
                              f"{[p.name for p in spec.params]}")
        if k not in names:
            names.append(k)
    fields = {}
    for name in names:
        p = spec.param(name)
        s = _narrowed(p, narrow[name]) if name in narrow else param_strategy(p)
        if s is not None:
            fields[name] = s
    return st.fixed_dictionaries(fields)
