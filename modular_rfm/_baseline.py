"""Random block-circulant features (Mallinar et al. 2024, sec. 3, "random circulant features").

The learned feature matrix is block-circulant, ``M* ≈ [[A, Cᵀ], [C, A]]`` with
``A = c₁ I + c₂ 11ᵀ`` and ``C`` circulant (Hankel for ``−`` and ``÷``; after
the discrete-log reordering for ``×`` and ``÷``).  A *random* matrix of that
form, used as fixed features of a plain kernel machine (no RFM iteration),
already generalises.

Construction of ``C`` (``m = p`` for ``+, −``; ``m = p − 1`` on the non-zero
residues for ``×, ÷``, whose row and column 0 are left 0):

* ``spectrum="flat"`` (default) — the generating vector ``c`` has discrete
  Fourier coefficients of modulus 1 and uniformly random phases (Hermitian, so
  ``c`` is real), except the constant mode, which is 0.  This mimics the learned
  ``C``, whose non-constant Fourier modes have nearly equal modulus; ``C`` is
  then an orthogonal projection times an orthogonal matrix, ``‖C‖₂ = 1``.
* ``spectrum="gaussian"`` — ``c`` i.i.d. standard normal with its mean removed.

``A = c₁ I + c₂ 11ᵀ`` with ``c₁ = ‖C‖₂`` (the smallest value for which ``M`` is
positive semi-definite when ``c₂ >= −c₁/p``) and ``c₂ = c2_rel · c₁ / p``; the
whole matrix is scaled so that ``M[0, 0] = scale``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ._data import _normalise_op, discrete_log_order, make_dataset
from ._kernels import Kernel
from ._machine import evaluate_features
from ._measures import circulant_deviation, task_direction
from ._rfm import split_seeds
from ._validation import check_choice, check_int, check_prime, check_real

__all__ = ["SPECTRA", "random_block_circulant", "random_feature_baseline"]

Array = NDArray[np.float64]
SPECTRA: tuple[str, ...] = ("flat", "gaussian")


def _generating_vector(m: int, rng: np.random.Generator, spectrum: str) -> Array:
    if spectrum == "gaussian":
        c = rng.standard_normal(m)
        return c - c.mean()
    coef = np.zeros(m, dtype=complex)
    for k in range(1, m // 2 + 1):
        if 2 * k == m:
            coef[k] = rng.choice([-1.0, 1.0])
        else:
            z = np.exp(2j * np.pi * rng.random())
            coef[k], coef[m - k] = z, np.conj(z)
    return np.fft.ifft(coef).real * np.sqrt(m)


def random_block_circulant(
    p: int, op: str = "+", *, seed: int = 0, spectrum: str = "flat", scale: float = 1.0,
    c2_rel: float = 0.0,
) -> Array:
    """A random PSD feature matrix ``[[A, Cᵀ], [C, A]]`` of the learned form (see module doc).

    ``C = M[p:, :p]`` is circulant (``C_ij = c_{j−i}``) for ``+`` and ``×``, Hankel
    (``c_{i+j}``) for ``−`` and ``÷``, indexed by discrete logarithms for ``×`` and ``÷``.
    """
    p = check_prime("p", p)
    op = _normalise_op(op)
    seed = check_int("seed", seed, lo=0)
    spectrum = check_choice("spectrum", spectrum, SPECTRA)
    scale = check_real("scale", scale, 0.0, None, lo_open=True)
    c2_rel = check_real("c2_rel", c2_rel, -1.0, None)
    rng = np.random.default_rng(seed)
    m = p if op in ("+", "-") else p - 1
    c = _generating_vector(m, rng, spectrum)
    i = np.arange(m)[:, None]
    j = np.arange(m)[None, :]
    Cm = c[(j - i) % m] if task_direction(op) == "circulant" else c[(i + j) % m]
    if op in ("*", "/"):
        order = discrete_log_order(p)
        C = np.zeros((p, p))
        C[np.ix_(order, order)] = Cm
    else:
        C = Cm
    c1 = float(np.linalg.norm(C, 2))
    A = c1 * np.eye(p) + (c2_rel * c1 / p) * np.ones((p, p))
    M = np.block([[A, C.T], [C, A]])
    return M * (scale / M[0, 0])


def random_feature_baseline(
    p: int = 61, op: str = "+", train_frac: float = 0.5, *, kernel: str = "gaussian",
    bandwidth: float = 2.5, bandwidth_scaling: str = "2L2", ridge: float = 0.0, seed: int = 0,
    n_runs: int = 1, spectrum: str = "flat", scale: float = 1.0,
) -> pd.DataFrame:
    """Plain kernel machines with fixed features on ``n_runs`` splits: a random
    block-circulant ``M`` (feature seed and split seed both derived from ``seed``)
    against ``M = I``.  Split seeds are those of :func:`modular_rfm.run_rfm` with the
    same ``seed``; feature seeds come from ``split_seeds(seed, n_runs, stream=1)``.

    Returns one row per (run, features): ``run, features ("block_circulant" or
    "identity"), split_seed, feature_seed, train_accuracy, test_accuracy,
    test_loss, circ_dev, diverged``.
    """
    p = check_prime("p", p)
    op = _normalise_op(op)
    kern = Kernel(kernel, bandwidth, bandwidth_scaling)
    ridge = check_real("ridge", ridge, 0.0)
    n_runs = check_int("n_runs", n_runs, lo=1)
    seed = check_int("seed", seed, lo=0)
    seeds = split_seeds(seed, n_runs)
    fseeds = split_seeds(seed, n_runs, stream=1)
    rows: list[dict[str, Any]] = []
    reorder = op in ("*", "/")
    for r in range(n_runs):
        ds = make_dataset(p, op, train_frac, seeds[r])
        fseed = fseeds[r]
        for name, M in (("block_circulant", random_block_circulant(p, op, seed=fseed, spectrum=spectrum,
                                                                    scale=scale)),
                        ("identity", np.eye(2 * p))):
            fit = evaluate_features(ds, M, kern, ridge=ridge)
            rows.append({
                "run": r, "features": name, "split_seed": seeds[r], "feature_seed": fseed,
                "train_accuracy": fit.train_accuracy, "test_accuracy": fit.test_accuracy,
                "test_loss": fit.test_loss,
                "circ_dev": circulant_deviation(M, p, direction=task_direction(op), reorder=reorder),
                "diverged": fit.diverged,
            })
    return pd.DataFrame.from_records(rows)
