"""JSON conversion of grokcheck documents: the exact-type fast paths equal a plain isinstance reference."""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from comparison._io import plain_jsonable, restore_nonfinite, strict_jsonable, to_jsonable


def _reference(obj):
    """The conversion written plainly (isinstance chain, no fast paths)."""
    if isinstance(obj, dict):
        return {str(k): _reference(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_reference(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _reference(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return obj


def _doc():
    rng = np.random.default_rng(0)
    runs = [{"run": str(i), "t_eps": float(v), "reentry": bool(i % 3 == 0), "k": i}
            for i, v in enumerate(rng.uniform(0, 10, 50))]
    runs[4]["t_eps"], runs[7]["t_eps"] = float("nan"), float("inf")
    return {"runs": runs, 3: (1, np.float64(-np.inf), np.int64(2)), "arr": np.array([1.0, np.nan]),
            "flag": np.bool_(True), "p": Path("/tmp/x"), "nested": [[float("-inf"), None, "nan-ish"]], "s": "nan"}


def test_plain_jsonable_equals_reference():
    """The exact-type fast paths of the converter give what the plain isinstance chain gives."""
    doc = _doc()
    got = plain_jsonable(doc)
    assert json.dumps(got) == json.dumps(_reference(doc))   # NaN-aware: compared as (non-strict) text
    assert [type(v) for v in got["3"]] == [int, float, int] and math.isnan(got["runs"][4]["t_eps"])
    strict = to_jsonable(doc)
    assert strict["runs"][4]["t_eps"] is None and strict["null_reasons"]["runs/7/t_eps"].startswith("inf")


def test_strict_round_trip_and_no_aliasing():
    """strict_jsonable → restore_nonfinite gives the converted document back with NaN/±inf restored;
    the restored document shares no container with its input."""
    doc = {"runs": [{"t": float("nan")}, {"t": 1.0}], "w": {"a": [float("inf"), 2.0]}}
    strict = strict_jsonable(doc)
    assert strict["null_reasons"] == {"runs/0/t": "nan: not defined or not measured (NaN)",
                                      "w/a/0": "inf: +infinity (e.g. nothing detectable at this n)"}
    back = restore_nonfinite(strict)
    assert math.isnan(back["runs"][0]["t"]) and back["w"]["a"] == [math.inf, 2.0] and back["runs"][1] == {"t": 1.0}
    back["runs"][1]["t"] = 5.0
    assert strict["runs"][1]["t"] == 1.0 and "null_reasons" in strict
