"""Grokking in linear estimators (Levi, Beck & Bar-Sinai, ICLR 2024): exact simulator of the teacher-student model."""
from .result import EstimatorResult
from .simulate import ACC_95, DYNAMICS, loss_target, memory_bytes, simulate_estimator

__all__ = ["simulate_estimator", "memory_bytes", "loss_target", "EstimatorResult", "DYNAMICS", "ACC_95"]
