"""``grokcheck check``: a user's formula or theory against a registered simulator, by property testing.

:func:`check_formula` loads ``FILE.py[:NAME]`` (or ``package.module:NAME``, or a registered
theory's name) with the one user-code loader (:func:`comparison.registry.user.load_object`),
narrows the simulator's declared parameter domain by ``--param NAME=LO:HI`` (or ``NAME=VALUE``),
and runs :func:`comparison.testing.agrees_with_simulation` on it: hypothesis draws the points,
the simulator measures the quantity, a failure is shrunk to the simplest failing point and
confirmed at a fresh seed, and a pass carries its power figure.

What is loaded:

* a plain function ``f(**params) -> value`` (it receives the parameters its signature names);
* a theory (a module, object or class with ``predict(config)``; see :mod:`comparison.registry.user`)
  or a registered theory: its prediction of the quantity, or for ``mean t_G`` / ``median t_G``
  the mean / median of its ``t_G law``.

>>> import pathlib, tempfile
>>> f = pathlib.Path(tempfile.mkdtemp()) / "half.py"
>>> _ = f.write_text("def P(p):\\n    return p\\n")
>>> load_formula(f"{f}:P", "P_grok")[1]
'half.py:P'
>>> parse_param_ranges("perceptron-ball", ["D=2:4", "lam2=0.1", "dynamics=exact"])
{'D': (2, 4), 'lam2': 0.1, 'dynamics': 'exact'}
"""
from __future__ import annotations

import inspect
import math
import types
from collections.abc import Callable, Sequence
from typing import Any

from .._io import strict_jsonable
from ..errors import ConfigError
from ..simulators import SIMULATORS

__all__ = ["check_formula", "load_formula", "parse_param_ranges", "DEFAULT_DETECT", "DEFAULT_TIME_REPLICAS",
           "MAX_EXAMPLES"]

#: examples one ``grokcheck check`` may draw (each is a simulation at the point's replicas)
MAX_EXAMPLES = 10_000

#: Without --replicas, a P_grok check chooses replicas to see |ΔP| >= this with 80 % power per example.
DEFAULT_DETECT = 0.05
#: Without --replicas, a time check (mean / median t_G) runs this many replicas per example.
DEFAULT_TIME_REPLICAS = 400


def _convert(simulator: str, name: str, text: str) -> Any:
    spec = SIMULATORS[simulator]
    p = spec.param(name)
    if p is None:
        raise ConfigError(f"--param: {simulator} has no parameter {name!r}; declared: "
                          f"{', '.join(q.name for q in spec.params)}")
    try:
        if p.kind is bool:
            value: Any = {"true": True, "false": False}[text.strip().lower()]
        else:
            value = p.kind(text.strip())
    except (KeyError, ValueError):
        raise ConfigError(f"--param {name}: {text!r} is not {p.range_text()}") from None
    return value


def parse_param_ranges(simulator: str, items: Sequence[str]) -> dict[str, Any]:
    """``["D=2:4", "lam2=0.1"]`` as :func:`comparison.testing.params` narrowings (ranges are checked there)."""
    if simulator not in SIMULATORS:
        raise ConfigError(f"--simulator: unknown simulator {simulator!r}; use one of {', '.join(sorted(SIMULATORS))}")
    out: dict[str, Any] = {}
    for item in items:
        name, eq, value = item.partition("=")
        name = name.strip()
        if not eq or not name or not value.strip():
            raise ConfigError(f"--param expects NAME=LO:HI or NAME=VALUE, got {item!r}")
        kind = SIMULATORS[simulator].param(name)
        if name in (SIMULATORS[simulator].size_key, "seed"):
            flag = "--replicas" if name != "seed" else "--seed"
            raise ConfigError(f"--param {name}: the check sets it itself; use {flag}")
        lo, colon, hi = value.partition(":")
        if colon and (kind is None or kind.kind in (int, float)):
            out[name] = (_convert(simulator, name, lo), _convert(simulator, name, hi))
        else:
            out[name] = _convert(simulator, name, value)
    return out


def _takes_keywords(fn: Any) -> bool:
    try:
        inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    return True


def _theory_formula(spec: Any, quantity: str) -> Callable[..., float]:
    from ..registry import run_theory

    if spec.inputs:
        raise ConfigError(f"theory {spec.name!r} needs measured inputs ({', '.join(spec.inputs)}); "
                          "grokcheck check tests formulas of the simulator's parameters only")

    def formula(**params: Any) -> float:
        preds = {p.quantity: p for p in run_theory(spec, params, {})}
        if quantity in preds and preds[quantity].value is not None:
            return float(preds[quantity].value)
        law = getattr(preds.get("t_G law"), "law", None)
        if law is not None and quantity in ("mean t_G", "median t_G"):
            return float(law.mean() if quantity == "mean t_G" else law.median())
        raise ConfigError(f"--quantity: theory {spec.name!r} predicts no {quantity!r} at {params} "
                          f"(it predicts {', '.join(preds) or 'nothing'})")
    formula.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("params", inspect.Parameter.VAR_KEYWORD)])
    return formula


def load_formula(ref: str, quantity: str) -> tuple[Callable[..., float], str]:
    """The formula ``f(**params) -> value`` that ``ref`` names and its label (see the module docstring)."""
    from ..registry import get_theory
    from ..registry.user import load_object, theory_from_object

    spec = get_theory(ref)
    if spec is not None:
        return _theory_formula(spec, quantity), spec.name
    obj, label, default_name = load_object(ref)
    plain = (callable(obj) and not inspect.isclass(obj) and not hasattr(obj, "predict")
             and not isinstance(obj, types.ModuleType))
    if plain:
        if not _takes_keywords(obj):
            raise ConfigError(f"formula {label!r}: cannot read its signature; define f(D, N, ...) or f(**params)")
        return obj, label
    if isinstance(obj, types.ModuleType) and not hasattr(obj, "predict"):
        raise ConfigError(f"formula {label!r}: the file defines no 'predict'; name the function: {ref}:NAME")
    return _theory_formula(theory_from_object(obj, origin=label, default_name=default_name), quantity), label


def _guarded(formula: Callable[..., float], label: str) -> Callable[..., float]:
    """``formula`` whose own errors become one-line :class:`ConfigError` s naming the point."""
    def call(**params: Any) -> float:
        try:
            return formula(**params)
        except ConfigError:
            raise
        except Exception as exc:  # the user's formula failed at this point: say where, in one line
            raise ConfigError(f"formula {label!r} raised {type(exc).__name__}: {exc} at {params}") from None
    try:
        call.__signature__ = inspect.signature(formula)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        pass
    return call


def _progress(max_examples: int, progress: bool, echo: bool) -> tuple[Any, Callable[[Any], None]]:
    from tqdm.auto import tqdm

    bar = tqdm(total=max_examples, desc="points tried", unit="point", disable=not progress, leave=False)

    def on_row(row: Any) -> None:
        if bar.n >= (bar.total or 0):
            bar.total = bar.n + 1  # shrinking tries points beyond the first K
        bar.update(1)
        if echo:
            from ..safe_text import terminal_safe

            bar.write(terminal_safe(row.line()))
    return bar, on_row


def check_formula(ref: str, *, simulator: str, quantity: str = "P_grok", param_ranges: Sequence[str] = (),
                  max_examples: int = 20, replicas: int | None = None, detect: float | None = None,
                  seed: int = 0, progress: bool = False, echo: bool = False) -> dict[str, Any]:
    """Property-test the formula ``ref`` against ``simulator``; the JSON-ready result.

    The result is :meth:`comparison.testing.PropertyResult.as_dict` plus ``formula`` and the
    settings; ``verdict`` is "passed", "failed" or "underpowered". Bad input (unknown simulator
    or quantity, a parameter outside its declared range, a file without the function, a
    formula that raises) is a :class:`ConfigError` naming it.
    """
    from ..testing import agrees_with_simulation, params
    from ..testing.measurement import spec_for

    spec_for(simulator, quantity)
    if not 1 <= int(max_examples) <= MAX_EXAMPLES:   # each example is a whole simulation
        raise ConfigError(f"--max-examples must be an integer in [1, {MAX_EXAMPLES}], got {max_examples!r}")
    if replicas is not None and not int(replicas) >= 1:
        raise ConfigError(f"--replicas must be an integer >= 1, got {replicas!r}")
    size = SIMULATORS[simulator].param(SIMULATORS[simulator].size_key)
    if replicas is not None and size is not None:   # before the progress bar: a refusal is one line
        try:
            size.check(int(replicas))
        except ValueError as exc:
            raise ConfigError(f"--replicas: {exc}") from None
    if detect is not None and not (0 < detect < 1 and math.isfinite(detect)):
        raise ConfigError(f"--detect must lie in (0, 1), got {detect!r}")
    if replicas is None and detect is None:
        if quantity == "P_grok":
            detect = DEFAULT_DETECT
        else:
            replicas = DEFAULT_TIME_REPLICAS
    strategy = params(simulator, **parse_param_ranges(simulator, param_ranges))
    formula, label = load_formula(ref, quantity)
    bar, on_row = _progress(int(max_examples), progress, echo)
    try:
        result = agrees_with_simulation(_guarded(formula, label), simulator=simulator, params=strategy,
                                        quantity=quantity, replicas=replicas, detect=detect,
                                        max_examples=int(max_examples), seed=int(seed), raise_on_failure=False,
                                        on_row=on_row)
    except AssertionError as exc:  # not a disagreement: the formula gave no usable value (NaN, P outside [0, 1])
        raise ConfigError(f"formula {label!r}: {str(exc).splitlines()[0]}") from None
    finally:
        bar.close()
    out = result.as_dict()
    out.update(formula=label, ref=str(ref), seed=int(seed), replicas=replicas, detect=detect,
               params=list(param_ranges))
    return strict_jsonable(out)  # strict JSON (or an error here, not in the user's parser)
