"""Peak-memory estimates of the scenario runs and the guard that refuses them before any work.

The limit is the environment variable ``GROKCHECK_MAX_MEM_GB`` (GiB, default 16), the same
limit the ``grokcheck`` command line applies (one implementation,
:mod:`perceptron_theory.memory_guard`); :func:`run_scenario_a` and
:func:`run_scenario_b` consult it themselves, so the API refuses an oversized call with
one ``ValueError`` naming the parameter and the estimate instead of a ``MemoryError``
minutes later.

>>> scenario_b_memory_bytes(n_init=1000) < 2 ** 30
True
>>> try:
...     check_memory("scenario B", scenario_b_memory_bytes(n_init=10 ** 9), "n_init")
... except ValueError as e:
...     print(str(e)[:38])
scenario B needs about 3.31e+04 GiB of
"""
from __future__ import annotations

from perceptron_theory.memory_guard import check_memory, memory_limit_bytes  # the one shared guard

__all__ = ["check_memory", "memory_limit_bytes", "scenario_a_memory_bytes", "scenario_b_memory_bytes"]


def scenario_b_memory_bytes(n_init: int, n_times: int = 200, n_tau: int = 60, d: int = 2,
                            n_test: int | None = None) -> float:
    """Estimated peak bytes of :func:`run_scenario_b`.

    Per initialisation and time-grid point: the test/train error and loss arrays and the
    seven curve columns, built twice while the table is assembled (about 16 float64);
    per aligned point the weights and errors; the chunk of weights ``(chunk, T, 2d^2)``
    (``chunk = 2e7 / n_test``, at most ``n_init``; 1e5 when ``n_test`` is unknown); and
    128 MiB for the fixed parts (test features, bulk contexts, error blocks). Measured with
    ``tracemalloc`` (example 1): 186 / 368 MiB at ``n_init`` = 2000 / 8000, estimated 220 / 497.
    """
    T, D = n_times + 1, 2 * d * d
    chunk = min(n_init, 1e5 if not n_test else 2e7 / n_test)
    return 8.0 * (n_init * T * 16 + n_init * n_tau * (D + 12) + chunk * T * D + 3 * n_init * D) + 2.0 ** 27


def scenario_a_memory_bytes(n_init: int, n_steps: int = 5000, d: int = 10, n_checkpoints: int = 60,
                            deff_every: int = 10) -> float:
    """Estimated peak bytes of :func:`run_scenario_a`.

    Per model and step: four float32 traces (loss, data loss, error, flips), kept for every
    chunk and concatenated (twice 16 bytes); per ``deff_every`` steps D_eff and its flag;
    per checkpoint the curve rows (about 8 float64); plus the working set of one chunk of
    models (parameters, Adam moments, activations: about ``6e5 d`` bytes a model, at
    most the 2 GB the chunking allows, three times over).
    """
    steps = n_steps + 1
    traces = 2 * n_init * steps * 16 + n_init * (steps / deff_every) * 5 + n_init * n_checkpoints * 64
    return float(traces + min(2e9, n_init * 2e5 * d) * 3)
