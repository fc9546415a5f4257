r"""The BCa bootstrap interval from a bootstrap distribution and given jackknife values.

:func:`scipy.stats.bootstrap` with ``method="BCa"`` evaluates the statistic on all
``n`` leave-one-out samples, which it builds as an ``n × (n - 1)`` index array:
O(n²) work and memory traffic, most of a fit at 20 000 runs. When the jackknife
values are known in closed form (a mean of rows, :class:`LeaveOneOut`), this module
computes the same interval (Efron & Tibshirani 1993, §14.3 and Eq. 15.36, as scipy
does) from the bootstrap distribution alone:

.. math::

    \hat z_0 = \Phi^{-1}\!\big(\tfrac{\#\{\hat\theta^*_b < \hat\theta\} +
    \#\{\hat\theta^*_b \le \hat\theta\}}{2B}\big), \qquad
    \hat a = \frac{\sum_i U_i^3 / n^3}{6\,(\sum_i U_i^2 / n^2)^{3/2}}, \quad
    U_i = (n - 1)(\bar\theta_{(\cdot)} - \hat\theta_{(i)}),

    \alpha_{1,2} = \Phi\!\Big(\hat z_0 + \frac{\hat z_0 + z_{\alpha, 1-\alpha}}
    {1 - \hat a(\hat z_0 + z_{\alpha, 1-\alpha})}\Big),

and the interval is the ``α₁``, ``α₂`` quantiles of the bootstrap distribution
(:func:`scipy.stats.quantile`, as scipy's own BCa).
"""
from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["bca_interval", "LeaveOneOut"]


def bca_interval(dist: NDArray[np.float64], theta_hat: float, theta_jack: NDArray[np.float64],
                 ci: float) -> tuple[float, float]:
    """Two-sided BCa interval at level ``ci`` (NaN bounds where it cannot be computed).

    Parameters
    ----------
    dist : the bootstrap distribution (``B`` values of the statistic on resamples).
    theta_hat : the statistic on the data.
    theta_jack : the ``n`` leave-one-out values of the statistic.
    ci : confidence level in (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> x = np.random.default_rng(0).lognormal(size=30)
    >>> res = stats.bootstrap((x,), np.mean, n_resamples=200, method="BCa", rng=np.random.default_rng(1))
    >>> dist = res.bootstrap_distribution
    >>> jack = (x.sum() - x) / (x.size - 1)
    >>> lo, hi = bca_interval(dist, x.mean(), jack, 0.95)
    >>> bool(np.isclose(lo, res.confidence_interval.low) and np.isclose(hi, res.confidence_interval.high))
    True
    """
    from scipy import special, stats

    if not 0 < ci < 1:
        raise ValueError(f"ci must be in (0, 1), got {ci}")
    dist = np.asarray(dist, dtype=float)
    theta = np.asarray([float(theta_hat)])[:, None]
    B = dist.shape[-1]
    percentile = (np.count_nonzero(dist < theta, axis=-1) + np.count_nonzero(dist <= theta, axis=-1)) / (2 * B)
    z0 = special.ndtri(percentile.astype(float))
    jack = np.asarray(theta_jack, dtype=float)[None, :]
    n = float(jack.shape[-1])
    U = (n - 1) * (np.mean(jack, axis=-1, keepdims=True) - jack)
    a_hat = 1 / 6 * (np.sum(U**3, axis=-1) / n**3) / (np.sum(U**2, axis=-1) / n**2) ** (3 / 2)
    z_alpha = float(special.ndtri((1 - ci) / 2))
    num1, num2 = z0 + z_alpha, z0 - z_alpha
    alpha_1 = special.ndtr(z0 + num1 / (1 - a_hat * num1))
    alpha_2 = special.ndtr(z0 + num2 / (1 - a_hat * num2))
    with np.errstate(invalid="ignore"):
        q = stats.quantile(dist, np.stack([alpha_1[0], alpha_2[0]], axis=-1), axis=-1)
    return float(q[0]), float(q[1])


class LeaveOneOut:
    """NaN-ignoring column means of ``M`` without one row, from the column sums: O(p) per row left out.

    ``(Σ_j M_j - M_i) / (N - [M_i not NaN])`` per column, NaN where no value is left
    (as :func:`numpy.nanmean` of the other rows).

    Examples
    --------
    >>> import numpy as np
    >>> M = np.array([[1.0, np.nan], [2.0, 4.0], [6.0, 8.0]])
    >>> LeaveOneOut(M).all_means()
    array([[4. , 6. ],
           [3.5, 8. ],
           [1.5, 4. ]])
    """

    def __init__(self, M: NDArray[np.float64]) -> None:
        fin = ~np.isnan(M)   # as numpy.nanmean: only NaN is left out
        self.n = M.shape[0]
        self.m0 = np.where(fin, M, 0.0)
        self.fin = fin.astype(np.float64)
        self.total, self.count = self.m0.sum(axis=0), self.fin.sum(axis=0)

    def means(self, left: NDArray[np.int64]) -> NDArray[np.float64]:
        """Column means without row ``left[b]``, one row per entry of ``left``."""
        cnt = self.count[None, :] - self.fin[left]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(cnt > 0, (self.total[None, :] - self.m0[left]) / np.where(cnt > 0, cnt, 1.0), np.nan)

    def all_means(self) -> NDArray[np.float64]:
        """Row ``i``: the column means without row ``i`` (an ``n × p`` array)."""
        return self.means(np.arange(self.n))
