"""The pipeline: the only module that composes simulators, run sets, fits, theory and reports.

The CLI is a thin face on these functions; nothing else imports this package.

Public names: :func:`simulate_runset`, :func:`fit_runset`, :func:`load_fits`,
:func:`analyses_for`, :func:`fit_sweep`, :func:`paper_data_cached`,
:func:`write_full_report`, :func:`run_demo`, :func:`resolve_theories`,
:func:`theory_predictions`, :func:`check_formula` (``grokcheck check``).

>>> from comparison.pipeline import default_fits_path
>>> default_fits_path("runs.csv").name
'runs.csv.fits.json'
"""
from .core import (FITS_SCHEMA, analyses_for, default_fits_path, fit_runset, fit_sweep, load_fits,
                   paper_data_cached, simulate_runset, write_full_report)
from .check import check_formula
from .demo import DEMO_RUNSETS, run_demo
from .theories import resolve_theories, theory_predictions

__all__ = ["simulate_runset", "fit_runset", "load_fits", "default_fits_path", "analyses_for", "fit_sweep",
           "paper_data_cached", "write_full_report", "run_demo", "DEMO_RUNSETS",
           "FITS_SCHEMA", "resolve_theories", "theory_predictions", "check_formula"]
