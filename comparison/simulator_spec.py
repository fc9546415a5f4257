"""The two types of the simulator registry: a declared parameter (:class:`Param`) and a spec (:class:`SimulatorSpec`).

They live apart from :mod:`comparison.simulators` (which holds the registry itself and the
built-in entries) so that each module stays small; import them from either.

>>> Param("N", int, "samples", "--N", lo=1).check(3.0)
3
>>> Param("N", int, "samples", "--N", lo=1).range_text()
'an integer in [1, inf)'
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

from .errors import ConfigError

__all__ = ["Param", "SimulatorSpec"]

_INF = math.inf


class Param(NamedTuple):
    """One declared simulator parameter: type, allowed range or choices, CLI flag.

    (An immutable ``NamedTuple``, not a dataclass: importing ``dataclasses`` would
    cost ``grokcheck --help`` a fifth of its start-up.)"""

    name: str
    kind: type
    help: str
    flag: str | None = None
    lo: float = -_INF
    hi: float = _INF
    lo_open: bool = False
    choices: tuple[Any, ...] | None = None
    validate: Callable[[Any], Any] | None = None   # a further check (e.g. a torch device)

    def range_text(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(map(str, self.choices))
        kind = {int: "an integer", float: "a finite number", bool: "true or false", str: "a string"}[self.kind]
        if self.lo == -_INF and self.hi == _INF:
            return kind
        left = "(" if self.lo_open else "["
        lo = "-inf" if self.lo == -_INF else f"{self.lo:g}"
        hi = "inf)" if self.hi == _INF else f"{self.hi:g}]"
        return f"{kind} in {left}{lo}, {hi}"

    def check(self, value: Any) -> Any:
        """The value converted to ``kind``; :class:`ConfigError` if it is not acceptable."""
        bad = ConfigError(f"parameter {self.name} must be {self.range_text()}, got {value!r}")
        if self.kind is bool:
            if not isinstance(value, bool):
                raise bad
            return value
        if self.kind is str:
            if not isinstance(value, str):
                raise bad
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        elif self.kind is int:
            if isinstance(value, float) and not value.is_integer():
                raise bad
            value = int(value)
        else:
            value = float(value)
            if not math.isfinite(value):
                raise bad
        if self.choices is not None and value not in self.choices:
            alias = value.replace("-", "_") if isinstance(value, str) else value
            if alias not in self.choices:  # "zeroth-order" reads as "zeroth_order"
                raise bad
            value = alias
        if self.kind is not str and not (value > self.lo if self.lo_open else value >= self.lo):
            raise bad
        if self.kind is not str and value > self.hi:
            raise bad
        return self.validate(value) if self.validate is not None else value


class SimulatorSpec(NamedTuple):
    """A registered simulator.

    ``target`` is ``"module:function"`` (imported lazily); ``size_key`` the
    run-count parameter; ``params`` the declared parameters (the ones with a
    ``flag`` become ``grokcheck simulate`` options). Which theories apply is
    said by the theories (``TheorySpec.applies_to``, :mod:`comparison.registry`), not here.
    """

    name: str
    target: str
    description: str
    size_key: str
    params: tuple[Param, ...] = ()
    seed_keys: tuple[str, ...] = ()
    extra: dict[str, Any] = {}  # read-only by convention (a NamedTuple default is shared)
    cost: Callable[[dict[str, Any]], float] | None = None   # estimated peak memory (bytes) of one call

    @property
    def generator(self) -> str:
        return self.target.replace(":", ".")

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)
