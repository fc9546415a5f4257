r"""Symbolic (sympy) derivations that check the perceptron-grokking formulas.

Žunkovič & Ilievski, JMLR 25(199) 2024 (arXiv:2210.15435), secs. 3.2-3.3 and
apps. A-B; equation numbers are the paper's. Every function *derives* its result
from a stated starting point (an integral, a convolution, a matrix inverse) and
returns plain sympy expressions in small frozen dataclasses, together with the
paper's printed form where one exists, so that callers (and the tests) can
compare the two. Nothing here is imported by :mod:`perceptron_theory` itself:
sympy is a heavy import, so import this package explicitly::

    from perceptron_theory import symbolic
    symbolic.cap_expansion(5).amplitude

Findings (details in ``docs/symbolic.md``):

* Eq. 22 and Eq. 23 (cap volume and its expansion at h = 1): confirmed.
* Eq. 13 (density of x̄) for N = 1, 2, 3 and Eq. 15 (P_grok at N = 2): confirmed.
* Eq. 72 (joint density of x̄ and x_min at N = 2): confirmed, normalised to 1.
* App. B first-order coefficients: β, α1, α2, α4 and both variances confirmed;
  the printed α3 = 1/λ_D − ε/(λ_D(λ_D+ε²)) is a MISPRINT, the derivation gives
  α3 = 1/λ_D − ε²/(λ_D(λ_D+ε²)) = 1/(λ_D+ε²).
* Eq. 44 is exactly the square of the inverse of Eq. 42: confirmed.
* Eq. 48 (general isotropic density): right exponent, but its amplitude is too
  large by the factor (D+1)/2 for a finite boundary density and by
  Γ((D+3)/2 − ξ)/(Γ(2 − ξ) Γ((D+1)/2)) for ρ = ρ_ξ r^{−ξ}.
"""
from __future__ import annotations

from ._ball import (BallCoefficients, BallMoments, GrokTimeInverse, ball_first_order_coefficients, grok_time_inverse,
                    uniform_ball_moments)
from ._cap import (CapExpansion, CapForms, NearTransitionAmplitude, ball_volume, cap_expansion, cap_forms,
                   cap_forms_max_difference, near_transition_amplitude, near_transition_exact_numeric)
from ._one_d import Eq13Derivation, Eq15Derivation, JointDensity, eq13_by_convolution, eq15_from_eq13, joint_density_xbar_xmin

__all__ = [
    "CapExpansion", "CapForms", "Eq15Derivation", "Eq13Derivation", "JointDensity", "BallMoments",
    "BallCoefficients", "GrokTimeInverse", "NearTransitionAmplitude", "ball_volume", "cap_expansion", "cap_forms",
    "cap_forms_max_difference", "eq13_by_convolution", "eq15_from_eq13", "joint_density_xbar_xmin",
    "uniform_ball_moments", "ball_first_order_coefficients", "grok_time_inverse", "near_transition_amplitude",
    "near_transition_exact_numeric",
]
