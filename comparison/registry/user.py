"""Theories from outside grokcheck: a user's Python file, a module of an installed package,
or an entry point (group ``grokcheck.theories``; simulators: ``grokcheck.simulators``).

The smallest theory is a file::

    name = "my ball theory"
    applies_to = "perceptron-ball"          # a registered simulator or table kind (or a list)
    def predict(config):                    # the run set's parameters (D, N, eps, lam1, lam2, ...)
        return {"P_grok": 0.93, "nu": (2.5, 0.01)}   # value, or (value, se)

An object or class with the same attributes works too, as does a ready
:class:`~comparison.registry.theories.TheorySpec`. Optional attributes: ``inputs``
(measured inputs the theory needs, e.g. ``["d_eff", "xi"]``; ``predict`` then takes
``(config, measured)``), ``description``. A value may also be a dict with ``value``,
``se``, ``kind``, ``note``, ``source``, or a law object for ``"t_G law"``.

Every way a theory can be malformed — the file does not import, ``predict`` is missing,
a value is not a number, NaN, an unknown quantity — raises :class:`TheoryError`, one
line naming the file (or entry point) and the key.

>>> import pathlib, tempfile
>>> f = pathlib.Path(tempfile.mkdtemp()) / "mine.py"
>>> _ = f.write_text('name = "mine"\\napplies_to = "perceptron-ball"\\n'
...                  'def predict(config):\\n    return {"P_grok": 0.93, "nu": (2.5, 0.01)}\\n')
>>> spec = load_theory(str(f))
>>> [(p.quantity, p.value, p.se) for p in spec.predict({"D": 3}, {})]
[('P_grok', 0.93, 0.0), ('nu', 2.5, 0.01)]
>>> load_theory(str(f) + ":missing")
Traceback (most recent call last):
...
comparison.registry.user.TheoryError: theory 'mine.py:missing': the file defines no 'missing'
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .theories import MEASURED_INPUTS, PREDICTION_KINDS, QUANTITIES, Prediction, TheorySpec, register_theory

__all__ = ["TheoryError", "load_theory", "load_object", "theory_from_object", "discover_entry_points", "THEORY_GROUP",
           "SIMULATOR_GROUP"]

THEORY_GROUP, SIMULATOR_GROUP = "grokcheck.theories", "grokcheck.simulators"
_DISCOVERED: dict[str, bool] = {}


class TheoryError(ConfigError):
    """A theory file, module or entry point that cannot be used (the message names it and the key)."""


def _import_file(path: Path, label: str) -> Any:
    if not path.is_file():
        raise TheoryError(f"theory {label!r}: no such file")
    mod_name = f"grokcheck_user_theory_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise TheoryError(f"theory {label!r}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # anything the user's file raises on import: one line, never a traceback
        raise TheoryError(f"theory {label!r}: importing the file failed: {type(exc).__name__}: {exc}") from None
    sys.modules.setdefault(mod_name, module)
    return module


def load_object(ref: str) -> tuple[Any, str, str]:
    """What ``ref`` names — ``FILE.py``, ``FILE.py:NAME`` or ``package.module:NAME`` — unconverted
    (a module, object, class or plain function), with its label and default name; the one loader
    of user code (:func:`load_theory`, ``grokcheck check``)."""
    text = str(ref)
    where, _, attr = text.rpartition(":") if ":" in text.replace("\\", "/").split("/")[-1] else (text, "", "")
    label = f"{Path(where).name}:{attr}" if attr and where.endswith(".py") else (
        Path(where).name if where.endswith(".py") else text)
    if where.endswith(".py"):
        obj = _import_file(Path(where), label)
        kind = "the file"
    else:
        try:
            obj = importlib.import_module(where)
        except Exception as exc:
            raise TheoryError(f"theory {text!r}: importing module {where!r} failed: {type(exc).__name__}: "
                              f"{exc}") from None
        kind = f"module {where!r}"
    if attr:
        if not hasattr(obj, attr):
            raise TheoryError(f"theory {label!r}: {kind} defines no {attr!r}")
        obj = getattr(obj, attr)
    return obj, label, Path(where).stem if where.endswith(".py") else text


def load_theory(ref: str) -> TheorySpec:
    """The theory named by ``ref``: ``FILE.py``, ``FILE.py:NAME`` or ``package.module:NAME``."""
    obj, label, default_name = load_object(ref)
    return theory_from_object(obj, origin=label, default_name=default_name)


def theory_from_object(obj: Any, *, origin: str, default_name: str | None = None) -> TheorySpec:
    """A :class:`TheorySpec` from a module, object, class or spec with ``name``/``applies_to``/``predict``."""
    if isinstance(obj, TheorySpec):
        return obj
    if inspect.isclass(obj):
        try:
            obj = obj()
        except Exception as exc:
            raise TheoryError(f"theory {origin!r}: the class cannot be built without arguments: {exc}") from None
    predict = getattr(obj, "predict", None)
    if not callable(predict):
        raise TheoryError(f"theory {origin!r}: no callable 'predict' (define predict(config) returning "
                          "{quantity: value or (value, se)})")
    name = getattr(obj, "name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise TheoryError(f"theory {origin!r}: 'name' must be a non-empty string, got {name!r}")
    applies = _applies_to(getattr(obj, "applies_to", None), origin)
    inputs = tuple(getattr(obj, "inputs", ()) or ())
    bad = [i for i in inputs if i not in MEASURED_INPUTS]
    if bad:
        raise TheoryError(f"theory {origin!r}: 'inputs' has unknown measured input {bad[0]!r}; known: "
                          f"{', '.join(MEASURED_INPUTS)}")
    quantities = tuple(getattr(obj, "quantities", ()) or ())
    unknown = [q for q in quantities if q not in QUANTITIES]
    if unknown or (inputs and not quantities):
        raise TheoryError(f"theory {origin!r}: 'quantities' " + (f"has unknown {unknown[0]!r}; known: "
                          f"{', '.join(QUANTITIES)}" if unknown else "must list what predict() returns when "
                          "'inputs' is declared (they are 'not testable' when an input is missing)"))
    wrapped = _Wrapped(predict, origin, _n_positional(predict, origin) >= 2)
    return TheorySpec(name.strip(), applies, wrapped, quantities=quantities, inputs=inputs,
                      description=str(getattr(obj, "description", "") or f"predict() of {origin}"), origin=origin)


def _n_positional(fn: Any, origin: str) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return 2
    n = sum(p.kind in kinds for p in params)
    if n == 0:
        raise TheoryError(f"theory {origin!r}: 'predict' must take the run set's config as its first argument")
    return n


def _applies_to(value: Any, origin: str) -> tuple[str, ...]:
    from ..simulators import SIMULATORS

    items = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, (list, tuple)) else None
    known = sorted(set(SIMULATORS) | {"ball", "exponential", "eq50"})
    if not items or not all(isinstance(i, str) for i in items):
        raise TheoryError(f"theory {origin!r}: 'applies_to' must name a registered simulator or table kind "
                          f"(or a list of them): one of {', '.join(known)}; got {value!r}")
    bad = [i for i in items if i not in known]
    if bad:
        raise TheoryError(f"theory {origin!r}: 'applies_to' names unknown {bad[0]!r}; known: {', '.join(known)}")
    return tuple("exponential" if i == "1d" else i for i in items)


class _Wrapped:
    """``predict`` of a user theory, its answer checked and turned into :class:`Prediction` s."""

    def __init__(self, fn: Any, origin: str, takes_measured: bool):
        self.fn, self.origin, self.takes_measured = fn, origin, takes_measured

    def __call__(self, config: Mapping[str, Any], measured: Mapping[str, Any]) -> list[Prediction]:
        try:
            out = self.fn(dict(config), dict(measured)) if self.takes_measured else self.fn(dict(config))
        except Exception as exc:  # the user's formula failed at this setting: say where, in one line
            raise TheoryError(f"theory {self.origin!r}: predict() raised {type(exc).__name__}: {exc}") from None
        if not isinstance(out, Mapping):
            raise TheoryError(f"theory {self.origin!r}: predict() must return a dict {{quantity: value}}, "
                              f"got {type(out).__name__}")
        return [self._one(str(q), v) for q, v in out.items()]

    def _one(self, quantity: str, value: Any) -> Prediction:
        where = f"theory {self.origin!r}: predict() returned"
        if quantity not in QUANTITIES:
            raise TheoryError(f"{where} unknown quantity {quantity!r}; known: {', '.join(QUANTITIES)}")
        if isinstance(value, Prediction):
            return value
        if quantity == "t_G law":
            if not all(hasattr(value, a) for a in ("cdf", "mean")):
                raise TheoryError(f"{where} a 't_G law' without cdf() and mean()")
            return Prediction("t_G law", kind="distance", law=value)
        fields = _fields(value, quantity, where)
        kind = fields.get("kind", "estimate")
        if kind not in PREDICTION_KINDS:
            raise TheoryError(f"{where} kind {kind!r} for {quantity!r}; allowed: {', '.join(PREDICTION_KINDS)}")
        v, se = _number(fields.get("value"), quantity, "value", where), _number(fields.get("se", 0.0), quantity,
                                                                              "se", where)
        if se < 0:
            raise TheoryError(f"{where} a negative se for {quantity!r}: {se!r}")
        if quantity == "P_grok" and not 0.0 <= v <= 1.0:
            raise TheoryError(f"{where} P_grok = {v!r} for 'P_grok'; a probability lies in [0, 1]")
        return Prediction(quantity, v, se, kind=kind, source=str(fields.get("source", "")),
                          note=str(fields.get("note", "")), erratum=str(fields.get("erratum", "") or ""))


def _fields(value: Any, quantity: str, where: str) -> dict[str, Any]:
    if isinstance(value, Mapping):
        if "value" not in value:
            raise TheoryError(f"{where} a dict without 'value' for {quantity!r}")
        return dict(value)
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise TheoryError(f"{where} {value!r} for {quantity!r}; give a value or (value, se)")
        return {"value": value[0], "se": value[1]}
    return {"value": value}


def _number(v: Any, quantity: str, key: str, where: str) -> float:
    try:
        if isinstance(v, (bool, str, bytes)) or getattr(v, "ndim", 0):
            raise TypeError
        f = float(v)
    except (TypeError, ValueError):
        raise TheoryError(f"{where} a non-number {v!r} as the {key} of {quantity!r}") from None
    if not math.isfinite(f):
        raise TheoryError(f"{where} {f!r} as the {key} of {quantity!r}; give a finite number")
    return f


def discover_entry_points(*, refresh: bool = False) -> None:
    """Register the theories and simulators that installed packages declare (once per process)."""
    import importlib.metadata as md

    if _DISCOVERED.get("done") and not refresh:
        return
    _DISCOVERED["done"] = True
    from ..simulators import SimulatorSpec, register

    for ep in md.entry_points(group=SIMULATOR_GROUP):
        obj = _load_entry_point(ep)
        if not isinstance(obj, SimulatorSpec):
            raise TheoryError(f"entry point {ep.name!r} ({SIMULATOR_GROUP}): not a SimulatorSpec")
        register(obj)
    for ep in md.entry_points(group=THEORY_GROUP):
        spec = theory_from_object(_load_entry_point(ep), origin=f"entry point {ep.name}", default_name=ep.name)
        register_theory(spec, replace_existing=refresh)


def _load_entry_point(ep: Any) -> Any:
    try:
        return ep.load()
    except Exception as exc:
        raise TheoryError(f"entry point {ep.name!r} ({ep.value}): loading failed: {type(exc).__name__}: "
                          f"{exc}") from None
