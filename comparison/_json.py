"""The one JSON converter of grokcheck: strict JSON, every non-finite number ``null`` with a reason.

Every document grokcheck writes or prints (fits files, ``--json`` outputs, run-set and sweep
manifests, the paper-data cache, ``demo.json``) goes through :func:`strict_jsonable`; a reader
that needs the numbers back calls :func:`restore_nonfinite`. Both are re-exported by
:mod:`comparison._io`.

>>> import json
>>> text = dumps_strict({"nu": float("nan"), "ci": [1.0, float("inf")]}, indent=None)
>>> restore_nonfinite(json.loads(text))
{'ci': [1.0, inf], 'nu': nan}
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any

__all__ = ["strict_jsonable", "to_jsonable", "plain_jsonable", "restore_nonfinite", "dumps_strict"]

_LEGACY = ("nan", "inf", "-inf")   # how files written before strict JSON spelled non-finite floats


def plain_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, paths and tuples to plain JSON types, non-finite floats kept.

    For comparing or computing on a config in memory; anything written goes through
    :func:`strict_jsonable` (which starts from this).

    >>> plain_jsonable({"a": (1, 2.5), "b": math.inf})
    {'a': [1, 2.5], 'b': inf}
    """
    t = type(obj)   # exact plain types first (the common case of big documents)
    if t is float or t is str or t is int or t is bool or obj is None:
        return obj
    if t is dict:
        return {k if type(k) is str else str(k): plain_jsonable(v) for k, v in obj.items()}
    if t is list:
        return [plain_jsonable(v) for v in obj]
    return _plain_other(obj)


def _plain_other(obj: Any) -> Any:
    """:func:`plain_jsonable` of anything but an exact plain JSON type."""
    import numpy as np

    if isinstance(obj, Mapping):
        return {str(k): plain_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return plain_jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj)
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise ValueError(f"value {obj!r} of type {type(obj).__name__} is not JSON-serialisable")


_NULL_REASON = {"nan": "nan: not defined or not measured (NaN)", "inf": "inf: +infinity (e.g. nothing detectable "
                "at this n)", "-inf": "-inf: -infinity (e.g. no two-component fit)"}


def _escape(key: str) -> str:
    """One JSON-pointer (RFC 6901) reference token: ``~`` → ``~0``, ``/`` → ``~1``."""
    return key.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _nonfinite_word(x: Any) -> str | None:
    """``nan``/``inf``/``-inf`` for a non-finite float (or a legacy string spelling one), else None."""
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, str) and x in _LEGACY:
        return x
    return None


def _strict_walk(x: Any, path: str, reasons: dict[str, str]) -> Any:
    """One pass of :func:`strict_jsonable` below one ``null_reasons`` scope (``path`` from it)."""
    t = type(x)   # exact plain types first (the common case of big documents)
    if t is float:
        if math.isfinite(x):
            return x
    elif t is int or t is bool or x is None or (t is str and x not in _LEGACY):
        return x
    elif t is dict or t is list or t is tuple or isinstance(x, (Mapping, list, tuple)):
        return _strict_container(x, path, reasons)
    elif t is not str:
        import numpy as np

        if isinstance(x, np.ndarray):
            return _strict_walk(x.tolist(), path, reasons)
        x = _plain_other(x)   # a numpy scalar, a path: a plain scalar now
        if not (isinstance(x, float) and not math.isfinite(x)):
            return x
    reasons[path] = _NULL_REASON[_nonfinite_word(x)]
    return None


def _strict_container(x: Any, path: str, reasons: dict[str, str]) -> Any:
    """A mapping (earlier ``null_reasons`` folded back in first) or a sequence, walked once."""
    def sub(key: str) -> str:
        return f"{path}/{key}" if path else key

    if isinstance(x, Mapping):
        if "null_reasons" in x:
            x = restore_nonfinite(dict(x))   # a document read back: its numbers first (rare path)
        return {(k if type(k) is str else str(k)): _strict_walk(v, sub(_escape(str(k))), reasons)
                for k, v in x.items()}
    return [_strict_walk(v, sub(str(i)), reasons) for i, v in enumerate(x)]


def _strict_scope(obj: Any) -> Any:
    """:func:`strict_jsonable` of one scope: a mapping collects its own ``null_reasons``."""
    reasons: dict[str, str] = {}
    out = _strict_walk(obj, "", reasons)
    if isinstance(out, dict) and reasons:
        out["null_reasons"] = reasons
    return out


def strict_jsonable(obj: Any) -> Any:
    """The one JSON converter: plain JSON types, every non-finite float ``null`` with its reason.

    A mapping gets a ``null_reasons`` entry (JSON-pointer path → reason, whose first word is
    ``nan``, ``inf`` or ``-inf``); a list gets one in each mapping it holds (a row of a table);
    a non-finite number outside any mapping is ``null`` alone. Earlier ``null_reasons`` inside
    ``obj`` are folded in (the conversion is idempotent), and the legacy strings ``"nan"``,
    ``"inf"``, ``"-inf"`` count as the numbers they spelled. :func:`restore_nonfinite` inverts it.
    One walk over ``obj`` (numpy scalars and arrays, tuples and paths converted on the way).

    >>> strict_jsonable({"a": 1.0, "b": [float("nan"), float("inf")]})
    {'a': 1.0, 'b': [None, None], 'null_reasons': {'b/0': 'nan: not defined or not measured (NaN)', \
'b/1': 'inf: +infinity (e.g. nothing detectable at this n)'}}
    >>> restore_nonfinite(strict_jsonable({"b": [float("inf")]}))
    {'b': [inf]}
    >>> strict_jsonable([{"z": -math.inf}, 2.0])
    [{'z': None, 'null_reasons': {'z': '-inf: -infinity (e.g. no two-component fit)'}}, 2.0]
    """
    import numpy as np

    if isinstance(obj, np.ndarray):
        obj = obj.tolist()
    if isinstance(obj, (list, tuple)):
        return [_strict_scope(x) for x in obj]
    return _strict_scope(obj)


def to_jsonable(obj: Any) -> Any:
    """Alias of :func:`strict_jsonable` (the former converter, which spelled NaN as ``"nan"``).

    >>> to_jsonable({"b": math.inf})
    {'b': None, 'null_reasons': {'b': 'inf: +infinity (e.g. nothing detectable at this n)'}}
    """
    return strict_jsonable(obj)


def dumps_strict(obj: Any, *, indent: int | None = 2) -> str:
    """``obj`` as strict JSON text (:func:`strict_jsonable`, keys sorted, no NaN/Infinity).

    >>> dumps_strict({"x": float("nan")}, indent=None)
    '{"null_reasons": {"x": "nan: not defined or not measured (NaN)"}, "x": null}'
    """
    return json.dumps(strict_jsonable(obj), indent=indent, sort_keys=True, allow_nan=False)


def _restore_into(root: Any, reasons: Mapping[str, Any]) -> None:
    for path, why in reasons.items():
        *head, last = [_unescape(t) for t in str(path).split("/")]
        node = root
        try:
            for key in head:
                node = node[int(key)] if isinstance(node, list) else node[key]
            value = float(str(why).split(":")[0])
        except (KeyError, IndexError, ValueError, TypeError):
            raise ValueError(f"null_reasons entry {path!r} names no value of the document "
                             "(edited by hand?)") from None
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value


def restore_nonfinite(doc: Any) -> Any:
    """Undo :func:`strict_jsonable`: put NaN/±inf back where each ``null_reasons`` says (every
    mapping's own, nested ones included; the maps are dropped). ``doc`` itself is not changed.

    >>> restore_nonfinite({"a": [{"x": None, "null_reasons": {"x": "nan: ..."}}]})
    {'a': [{'x': nan}]}
    """
    if isinstance(doc, list):
        return [restore_nonfinite(x) for x in doc]
    if not isinstance(doc, dict):
        return doc
    out = {k: restore_nonfinite(v) for k, v in doc.items() if k != "null_reasons"}
    reasons = doc.get("null_reasons")
    if isinstance(reasons, Mapping) and reasons:
        _restore_into(out, reasons)   # ``out`` is a fresh copy all the way down
    return out
