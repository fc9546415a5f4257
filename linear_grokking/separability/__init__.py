"""Grokking at the edge of linear separability (Beck, Levi & Bar-Sinai, ICML 2025): geometry, dynamics, theory."""
from .contract import SeparabilityResult, simulate_separability
from .conformal import log_delay_ratio, mean_exp_loss, s_infinity, s_relaxation_speedup
from .dynamics import memory_bytes, train_logistic
from .geometry import (is_separable, margin, max_margin_direction, p_grok_wendel, sample_labels, sample_training_sets,
                       wendel_limit, wendel_p_sep)
from .simulate import first_crossing, simulate
from .theory import (asymptotic_rates, generalises, limiting_accuracy, limiting_accuracy_of_set,
                     p_generalise_label_fraction, p_grok_scaling, p_sep_binomial)
from .two_point import (EQ39_SLOPE, conformal_delay, eq39, eq41_conformal_delay, lambert_solution,
                        log_delay_ratio_exact, s_inf, simulate_two_point, table1, two_point_set)

__all__ = ["sample_training_sets", "sample_labels", "is_separable", "margin", "max_margin_direction", "wendel_p_sep",
           "p_grok_wendel", "wendel_limit", "train_logistic", "memory_bytes",
           "generalises", "limiting_accuracy", "limiting_accuracy_of_set", "asymptotic_rates", "p_grok_scaling",
           "p_sep_binomial", "p_generalise_label_fraction",
           "s_infinity", "mean_exp_loss", "log_delay_ratio", "s_relaxation_speedup",
           "simulate", "first_crossing", "simulate_separability", "SeparabilityResult", "two_point_set", "s_inf",
           "table1", "lambert_solution", "eq39",
           "EQ39_SLOPE", "log_delay_ratio_exact", "eq41_conformal_delay", "conformal_delay", "simulate_two_point"]
