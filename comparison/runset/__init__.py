"""Run sets: the on-disk format every simulator writes and every estimator reads.

Public names: :class:`RunSet`, :func:`write_runset`, :func:`load_runset`,
:func:`validate_runset`, :func:`check_replaceable`, :func:`load_table`,
:func:`load_any`, :func:`runset_from_curves`, :func:`merge_runsets` and the
schema constants.

>>> import pandas as pd
>>> from comparison.runset import runset_from_curves
>>> curves = pd.DataFrame({"run": [0, 0, 0], "t": [0.0, 1.0, 2.0], "test_error": [0.5, 0.2, 0.0]})
>>> rs = runset_from_curves(curves)
>>> rs.n_runs, float(rs.summary["t_eps"].iloc[0])
(1, 2.0)
"""
from ..errors import RunSetError
from .merge import merge_runsets
from .schema import CURVES_REQUIRED, SCHEMA_NAME, SCHEMA_VERSION, SUMMARY_REQUIRED, RunSet
from .store import check_replaceable, load_runset, validate_runset, write_runset
from .tables import load_any, load_table, runset_from_curves

__all__ = ["RunSet", "RunSetError", "write_runset", "load_runset", "validate_runset", "check_replaceable",
           "load_table", "load_any", "runset_from_curves", "merge_runsets", "SCHEMA_NAME", "SCHEMA_VERSION",
           "CURVES_REQUIRED", "SUMMARY_REQUIRED"]
