r"""Invariant checks for any formula, without simulation.

Each check takes a formula (a callable ``f(**params) -> number``, or a value) and a
parameter point, and raises :class:`AssertionError` with a readable message — the
formula, the parameters, what was expected and what came out — when the property
fails; otherwise it returns quietly (with the values it computed). So it works as a
plain assertion in a test and inside a hypothesis ``@given`` test, where hypothesis
shrinks a failure to the simplest failing point. A formula that raises inside the
checked region is a failure too (the message names the call).

* :func:`check_probability` — finite and in [0, 1];
* :func:`check_monotone` — non-decreasing / non-increasing (or strictly) in one parameter;
* :func:`check_limit` — f → expected as a parameter → a value (finite or ±inf);
* :func:`check_symmetric` — f(T(p)) = ±f(p) for a transformation T of the parameters;
* :func:`check_exponent` — finite, and continuous in each real parameter (a jump is found
  by zooming into the largest step on successively finer grids: a continuous function's
  largest step shrinks, a jump's does not).

The distribution contract is :func:`comparison.testing.distribution.check_distribution`.

Examples
--------
>>> from perceptron_theory import ball
>>> P = lambda D, N, eps, lam2=0.0: float(ball.grok_probability(D, N, eps, 0.0, lam2))
>>> round(check_probability(P(D=4, N=30, eps=1.03)), 4)
0.74
>>> _ = check_monotone(P, {"D": 4, "N": 30, "eps": 1.03}, "eps", "increasing")
>>> check_probability(1.2, where={"D": 4})
Traceback (most recent call last):
...
AssertionError: P = 1.2 is not a probability (must be finite and in [0, 1]) at D=4
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["check_probability", "check_monotone", "check_limit", "check_symmetric", "check_exponent",
           "evaluate"]


def _fmt(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" if not isinstance(v, float) else f"{k}={v:.6g}" for k, v in params.items())


def _name(formula: Any) -> str:
    return getattr(formula, "__name__", None) or type(formula).__name__


def evaluate(formula: Callable[..., Any], params: Mapping[str, Any]) -> Any:
    """``formula(**params)``; an exception becomes an :class:`AssertionError` naming the call.

    >>> evaluate(lambda x: 1 / x, {"x": 0})
    Traceback (most recent call last):
    ...
    AssertionError: <lambda>(x=0) raised ZeroDivisionError: division by zero
    """
    try:
        return formula(**params)
    except AssertionError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of the formula is reported as a failed property
        raise AssertionError(f"{_name(formula)}({_fmt(params)}) raised {type(exc).__name__}: {exc}") from exc


def check_probability(value: Any, *, name: str = "P", where: Mapping[str, Any] | None = None) -> Any:
    """``value`` (a number or an array) if every entry is finite and in [0, 1]; else AssertionError.

    >>> check_probability([0.0, 0.5, float("nan")], name="P_grok")
    Traceback (most recent call last):
    ...
    AssertionError: P_grok = nan (entry 2 of 3) is not a probability (must be finite and in [0, 1])
    """
    a = np.asarray(value, dtype=float)
    bad = ~(np.isfinite(a) & (a >= 0) & (a <= 1))
    if np.any(bad):
        flat = a.reshape(-1)
        i = int(np.flatnonzero(bad.reshape(-1))[0])
        which = f" (entry {i} of {flat.size})" if a.ndim else ""
        at = f" at {_fmt(where)}" if where else ""
        raise AssertionError(f"{name} = {flat[i]:.6g}{which} is not a probability (must be finite and in "
                             f"[0, 1]){at}")
    return value


def _default_values(x: Any) -> list[Any]:
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return [int(x) + d for d in (0, 1, 2, 4, 8)]
    x = float(x)
    return [x * f for f in (1.0, 1.01, 1.1, 1.5, 2.0)] if x > 0 else [x + d for d in (0.0, 0.01, 0.1, 0.5, 1.0)]


def check_monotone(formula: Callable[..., Any], params: Mapping[str, Any], name: str, direction: str, *,
                   values: Sequence[Any] | None = None, strict: bool = False, atol: float = 1e-12,
                   rtol: float = 1e-9) -> list[float]:
    """``formula`` is monotone in ``name`` (``direction`` "increasing" or "decreasing") at ``params``.

    Evaluated at ``values`` of ``name`` (sorted; default: the point's value times 1, 1.01,
    1.1, 1.5, 2 for a positive real, plus 0, 1, 2, 4, 8 for an integer), the others held
    at ``params``. Non-strict: a step against the direction may not exceed
    ``atol + rtol · max|f|`` (rounding); ``strict``: each step must go the stated way by
    more than that. Returns the values of f.

    >>> check_monotone(lambda x: x * x - x, {"x": 0.2}, "x", "increasing")
    Traceback (most recent call last):
    ...
    AssertionError: <lambda> is not increasing in x at x=0.2: f(x=0.202) = -0.161196 < f(x=0.2) = -0.16
    """
    if direction not in ("increasing", "decreasing"):
        raise ValueError(f"direction must be 'increasing' or 'decreasing', got {direction!r}")
    if name not in params:
        raise ValueError(f"check_monotone: {name!r} is not one of the parameters {sorted(params)}")
    xs = sorted(values) if values is not None else _default_values(params[name])
    fs = [float(evaluate(formula, {**params, name: x})) for x in xs]
    tol = atol + rtol * max((abs(f) for f in fs if math.isfinite(f)), default=0.0)
    sgn = 1.0 if direction == "increasing" else -1.0
    for (x0, f0), (x1, f1) in zip(zip(xs, fs), zip(xs[1:], fs[1:])):
        step = sgn * (f1 - f0)
        if not (math.isfinite(f0) and math.isfinite(f1)) or step < -tol or (strict and step <= tol):
            rel = ("<" if f1 < f0 else ">" if f1 > f0 else "=")
            word = "strictly " if strict else ""
            raise AssertionError(f"{_name(formula)} is not {word}{direction} in {name} at {_fmt(params)}: "
                                 f"f({name}={x1:.6g}) = {f1:.6g} {rel} f({name}={x0:.6g}) = {f0:.6g}")
    return fs


def _approach(value: float, side: str) -> list[float]:
    if math.isinf(value):
        return [math.copysign(10.0 ** k, value) for k in range(1, 9)]
    s = 1.0 if side == "above" else -1.0
    return [value + s * 10.0 ** -k * max(abs(value), 1.0) for k in range(1, 9)]


def check_limit(formula: Callable[..., Any], params: Mapping[str, Any], name: str, value: float, expected: float,
                *, tol: float = 1e-6, side: str = "above", approach: Sequence[float] | None = None) -> list[float]:
    """``formula`` tends to ``expected`` as ``name`` → ``value`` (finite, or ±inf), within ``tol``.

    Evaluated along ``approach`` (default: ``value`` ± 10⁻¹ … 10⁻⁸ relative, from ``side``
    "above" or "below"; ±10¹ … 10⁸ for an infinite limit); the last point must be within
    ``tol`` of ``expected``. Returns the values along the approach.

    >>> _ = check_limit(lambda x: math.sin(x) / x, {}, "x", 0.0, 1.0)
    >>> check_limit(lambda x: 1 + 1 / x, {}, "x", math.inf, 1.5, tol=1e-3)
    Traceback (most recent call last):
    ...
    AssertionError: <lambda> does not tend to 1.5 as x -> inf (tol 0.001): f(x=100000000) = 1 (along x = 10, 100, ...)
    """
    if side not in ("above", "below"):
        raise ValueError(f"side must be 'above' or 'below', got {side!r}")
    xs = list(approach) if approach is not None else _approach(float(value), side)
    fs = [float(evaluate(formula, {**params, name: x})) for x in xs]
    if not (math.isfinite(fs[-1]) and abs(fs[-1] - expected) <= tol):
        at = f" at {_fmt(params)}" if params else ""
        raise AssertionError(f"{_name(formula)} does not tend to {expected:g} as {name} -> {value:g}{at} (tol "
                             f"{tol:g}): f({name}={xs[-1]:.12g}) = {fs[-1]:.6g} (along {name} = {xs[0]:.6g}, "
                             f"{xs[1]:.6g}, ...)")
    return fs


def _transform(transform: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    if callable(transform):
        return transform
    if isinstance(transform, tuple) and len(transform) == 2 and all(isinstance(t, str) for t in transform):
        a, b = transform
        return lambda p: {**p, a: p[b], b: p[a]}
    if isinstance(transform, Mapping):
        return lambda p: {**p, **{k: fn(p[k]) for k, fn in transform.items()}}
    raise ValueError("transform must be a callable on the parameter dict, a pair of names to swap, or a dict "
                     f"{{name: function of its value}}, got {transform!r}")


def check_symmetric(formula: Callable[..., Any], params: Mapping[str, Any], transform: Any, *, sign: float = 1.0,
                    atol: float = 1e-12, rtol: float = 1e-9) -> tuple[float, float]:
    """f(T(p)) = sign · f(p) within ``atol + rtol·|f|``: ``transform`` T is a callable on the dict,
    a pair of names to swap, or ``{name: function}`` (e.g. ``{"x": operator.neg}``); ``sign`` −1
    for an odd symmetry. Returns (f(p), f(T(p))).

    >>> _ = check_symmetric(lambda a, b: a * b, {"a": 2.0, "b": 3.0}, ("a", "b"))
    >>> check_symmetric(lambda x: x ** 3 + 1, {"x": 2.0}, {"x": lambda v: -v}, sign=-1)
    Traceback (most recent call last):
    ...
    AssertionError: <lambda> is not symmetric (odd) at x=2: f(p) = 9, f(T(p)) = -7 with T(p) = x=-2
    """
    p = dict(params)
    q = _transform(transform)(dict(p))
    f0 = float(evaluate(formula, p))
    f1 = float(evaluate(formula, q))
    if not (math.isfinite(f0) and math.isfinite(f1)) or abs(f1 - sign * f0) > atol + rtol * abs(f0):
        kind = "odd" if sign < 0 else "even" if sign > 0 else f"sign {sign}"
        raise AssertionError(f"{_name(formula)} is not symmetric ({kind}) at {_fmt(p)}: f(p) = {f0:.6g}, "
                             f"f(T(p)) = {f1:.6g} with T(p) = {_fmt(q)}")
    return f0, f1


def _largest_step(formula: Callable[..., Any], params: Mapping[str, Any], name: str, a: float, b: float,
                  n: int) -> tuple[float, float, float]:
    """(largest |Δf| between neighbours of an n-interval grid on [a, b], its left end, right end)."""
    xs = np.linspace(a, b, n + 1)
    fs = np.array([float(evaluate(formula, {**params, name: float(x)})) for x in xs])
    if not np.all(np.isfinite(fs)):
        i = int(np.flatnonzero(~np.isfinite(fs))[0])
        raise AssertionError(f"{_name(formula)} is not finite at {_fmt({**params, name: float(xs[i])})}: "
                             f"f = {fs[i]}")
    d = np.abs(np.diff(fs))
    i = int(np.argmax(d))
    return float(d[i]), float(xs[i]), float(xs[i + 1])


def check_exponent(formula: Callable[..., Any], params: Mapping[str, Any], *, names: Sequence[str] | None = None,
                   span: float = 0.05, bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
                   n: int = 16, levels: int = 4, atol: float = 1e-9) -> float:
    """``formula`` is finite at ``params`` and continuous in each real parameter around it.

    For each name (default: every parameter whose value is a float) the window
    ``x ± span · max(|x|, 1)``, clipped to ``bounds[name]`` = (lo, hi) (either may be None),
    is cut into ``n`` intervals; the one with the largest step of f is cut again, ``levels``
    times. A continuous f's largest step shrinks (by ~n per level where f is smooth); a jump
    keeps it: the check fails when the step after the last level is still more than half the
    first one (and above ``atol``). f must be finite at every point tried. Returns f(params).

    >>> check_exponent(lambda D, eps: (D + 1) / 2, {"D": 3, "eps": 1.49})
    2.0
    >>> check_exponent(lambda D, eps: (D + 1) / 2 + (eps > 1.5), {"D": 3, "eps": 1.49})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: <lambda> is not continuous in eps near D=3, eps=1.49: a step of 1 between eps = 1.4999... and 1.5000...
    """
    value = float(evaluate(formula, params))
    if not math.isfinite(value):
        raise AssertionError(f"{_name(formula)} is not finite at {_fmt(params)}: f = {value}")
    names = [k for k, v in params.items() if isinstance(v, float)] if names is None else list(names)
    for name in names:
        x = float(params[name])
        lo, hi = (bounds or {}).get(name, (None, None))
        w = span * max(abs(x), 1.0)
        a = x - w if lo is None else max(x - w, float(lo))
        b = x + w if hi is None else min(x + w, float(hi))
        if not b > a:
            continue
        first, a1, b1 = _largest_step(formula, params, name, a, b, n)
        step = first
        for _ in range(levels):
            step, a1, b1 = _largest_step(formula, params, name, a1, b1, n)
        if step > atol and step > 0.5 * first:
            raise AssertionError(f"{_name(formula)} is not continuous in {name} near {_fmt(params)}: a step of "
                                 f"{step:.6g} between {name} = {a1:.10g} and {b1:.10g} (the first grid's largest "
                                 f"step was {first:.6g}; a continuous function's would have shrunk)")
    return value
