"""The power helpers of the property tests: the one implementation lives next to the verdict code,
:mod:`comparison.agreement.power` (the verdict rows' ``detectable`` column uses the same functions).

>>> from comparison.testing.power import z_detectable
>>> round(z_detectable(1.0), 2)      # ≈ (4 + 0.84) · se at the 4σ rule and 80 % power
4.84
"""
from __future__ import annotations

from ..agreement.power import (POWER, binomial_detectable, binomial_power, binomial_rejects, binomial_replicas,
                               per_example_alpha, z_detectable, z_power, z_replicas)

__all__ = ["binomial_power", "binomial_replicas", "binomial_detectable", "binomial_rejects", "z_power",
           "z_replicas", "z_detectable", "per_example_alpha", "POWER"]
