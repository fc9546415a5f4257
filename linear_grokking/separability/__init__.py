"""Grokking at the edge of linear separability (Beck, Levi & Bar-Sinai, ICML 2025): geometry and dynamics."""
from .dynamics import memory_bytes, train_logistic
from .geometry import (is_separable, margin, max_margin_direction, p_grok_wendel, sample_training_sets,
                       wendel_limit, wendel_p_sep)

__all__ = ["sample_training_sets", "is_separable", "margin", "max_margin_direction", "wendel_p_sep",
           "p_grok_wendel", "wendel_limit", "train_logistic", "memory_bytes"]
