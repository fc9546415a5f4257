"""Grokking in linear estimators (Levi, Beck & Bar-Sinai, ICLR 2024, arXiv:2310.16441).

An exact simulator of the linear teacher-student model (:func:`simulate_estimator`) and the
paper's large-d theory (Marchenko-Pastur, Eqs. 6-16), each formula with its equation number.
"""
from .accuracy import ACC_95, accuracy, accuracy_eq10, accuracy_effective, effective_dof, loss_at_accuracy
from .grok_time import (GrokTimes, dt_grok_eq12, dt_grok_eq16, dt_grok_eq26, dt_grok_near_one, generalises,
                        grokking_times, grokking_times_eq24)
from .losses import (equivalent_eps, floors_eq16, floors_small_gamma, loss_asymptotic_eq11, loss_curves,
                     loss_gen_eq23, loss_limits, loss_train_eq9, loss_train_eq22, plateau_gen)
from .mp import mp_atom, mp_density, mp_edges, mp_expect, mp_moment, mp_resolvent
from .contract import GENERATOR, contract_memory_bytes, n_train_for, simulate_linear_estimator
from .preflight import Preflight, gd_stable, preflight
from .result import EstimatorResult
from .simulate import DYNAMICS, loss_target, memory_bytes, simulate_estimator

__all__ = ["simulate_estimator", "memory_bytes", "loss_target", "EstimatorResult", "DYNAMICS", "ACC_95",
           "mp_edges", "mp_atom", "mp_density", "mp_expect", "mp_moment", "mp_resolvent",
           "loss_curves", "loss_train_eq9", "loss_train_eq22", "loss_asymptotic_eq11", "loss_gen_eq23",
           "loss_limits", "plateau_gen", "floors_eq16", "floors_small_gamma", "equivalent_eps",
           "accuracy_eq10", "accuracy", "loss_at_accuracy", "effective_dof", "accuracy_effective",
           "GrokTimes", "grokking_times", "generalises", "dt_grok_eq12", "grokking_times_eq24", "dt_grok_eq26",
           "dt_grok_near_one", "dt_grok_eq16", "simulate_linear_estimator", "n_train_for", "contract_memory_bytes",
           "GENERATOR", "Preflight", "preflight", "gd_stable"]
