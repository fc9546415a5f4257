"""Estimators: everything measured on run sets, with its error (no plotting, no I/O).

Public names: :func:`detect_transitions`, :func:`aligned_matrix` (transitions, aligned);
:class:`NuFitter` and its result :class:`NuFit`, :func:`fit_power_law` (the
critical exponent ν); :func:`d_eff`, :func:`epsilon_separation`,
:func:`margin_exponent`, :func:`split_spectrum`, :func:`xi_angle_histogram`,
:func:`xi_context` (feature-space quantities; the estimator ``analyse`` uses for ξ is
:func:`xi_contexts`, the paper's d = 2 recipe summed over both sides and maximised over
classes; ``xi_angle_histogram``/``xi_context`` are the older single-edge estimator); :func:`kde`,
:func:`bimodality_test`, :func:`law_distance`, :func:`atom_law_test` (grokking-time laws; the
last is the verdict's test, honest about an atom).

>>> import numpy as np
>>> from comparison.estimate import d_eff
>>> X = np.random.default_rng(0).standard_normal((20000, 3))
>>> round(d_eff(X), 1)
3.0
"""
from .features import MarginExponent, SpectrumSplit, d_eff, epsilon_separation, margin_exponent, split_spectrum
from .laws import BimodalityResult, LawDistance, bimodality_test, kde, law_distance
from .law_test import LawTest, atom_law_test
from .nu import NuFitter
from .nu_result import NuFit
from .powerlaw import fit_power_law
from .aligned import aligned_matrix
from .transitions import detect_transitions
from .context import xi_angles, xi_contexts
from .nu import fit_nu
from .xi import XiResult, xi_angle_histogram, xi_context

__all__ = ["detect_transitions", "aligned_matrix", "NuFitter", "NuFit", "fit_nu", "fit_power_law", "d_eff",
           "xi_contexts", "xi_angles",
           "epsilon_separation", "margin_exponent", "MarginExponent", "split_spectrum", "SpectrumSplit",
           "xi_angle_histogram", "xi_context", "XiResult", "kde", "bimodality_test", "BimodalityResult",
           "law_distance", "LawDistance", "atom_law_test", "LawTest"]
