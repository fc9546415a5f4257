"""Issue 23 item 8, everywhere: the t_G histograms outside the main report (paper Fig. 5 / Fig. 9
sections, `paper table1`) use the shared histogram (comparison.report.histograms): bins by sample
size, no bar clipped or touching the top, no overlapping tick labels, a log axis with >= 3 labels."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from comparison.paper_data import _hist_and_pdf
from comparison.report.histograms import hist_bins, rebin_density
from comparison.report.paper import _fig_1d_tg, _fig_ball_tg
from comparison.report.style import setup_mpl
from comparison.report.table1 import _fig_t_G


@pytest.fixture(autouse=True)
def _mpl():
    setup_mpl()
    yield
    plt.close("all")


class _Law:
    """A log-normal law (pdf only), enough for the paper data's histogram panels."""

    def __init__(self, mu: float):
        self.mu = mu

    def pdf(self, t):
        t = np.asarray(t, dtype=float)
        return np.exp(-((np.log(t) - self.mu) ** 2) / 2) / (t * np.sqrt(2 * np.pi))


def _overlap(a, b, pad: float = 0.5) -> bool:
    return a.x0 < b.x1 - pad and b.x0 < a.x1 - pad and a.y0 < b.y1 - pad and b.y0 < a.y1 - pad


def _check_axes(fig, ax, *, log_x: bool) -> None:
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    for axis in (ax.xaxis, ax.yaxis):
        boxes = [t.get_window_extent(r) for t in axis.get_ticklabels() if t.get_visible() and t.get_text()]
        assert len(boxes) >= (3 if (axis is ax.xaxis and log_x) else 2), [t.get_text() for t in axis.get_ticklabels()]
        assert not any(_overlap(boxes[i], boxes[j]) for i in range(len(boxes)) for j in range(i + 1, len(boxes)))
        assert not [t.get_text() for t in axis.get_ticklabels(minor=True) if t.get_visible() and t.get_text()]
    assert (ax.get_xscale() == "log") == log_x
    tops = [max(p.get_path().vertices[:, 1]) for p in ax.patches] + \
        [float(np.nanmax(ln.get_ydata())) for ln in ax.lines if len(ln.get_ydata()) > 2]
    assert tops and 0 < max(tops) < ax.get_ylim()[1] * 0.95, "a bar or curve touches the top"


def _panel(n: int, mu: float, *, log_bins: bool, seed: int, **extra):
    tg = np.exp(np.random.default_rng(seed).normal(mu, 1.0, n))
    return {**extra, "n": n, **_hist_and_pdf(tg, _Law(mu), log_bins=log_bins)}


@pytest.mark.parametrize("n", [12, 40])
@pytest.mark.parametrize("width", ["single", "double"])
def test_paper_ball_t_G_small_n(n, width):
    panels = [_panel(n, mu, log_bins=True, seed=i, vary=v, value=val, t_atom=np.exp(mu))
              for i, (v, val, mu) in enumerate([("D", 5, 0.0), ("lam2", 0.01, 1.0), ("eps", 2.0, -1.0)])]
    fig = _fig_ball_tg({"panels": panels}, width)
    for ax in fig.axes[:3]:
        _check_axes(fig, ax, log_x=True)
        assert all(len(p.get_path().vertices) // 2 - 1 <= hist_bins(n) + 1 for p in ax.patches)


@pytest.mark.parametrize("width", ["single", "double"])
def test_paper_1d_t_G_small_n(width):
    panels = [_panel(8, 0.0, log_bins=False, seed=i, eps_lambda=e, N=N)
              for i, (e, N) in enumerate([(0.4, 2), (0.04, 5), (0.004, 10)])]
    fig = _fig_1d_tg({"panels": panels}, width)
    for ax in fig.axes[:3]:
        _check_axes(fig, ax, log_x=False)


@pytest.mark.parametrize("width", ["single", "double"])
def test_table1_t_G_small_n(width):
    rng = np.random.default_rng(3)
    rows = [{"example": ex, "lam1": l1, "lam2": 0.0, "t_G": np.exp(rng.normal(ex, 0.5, n)).tolist()}
            for ex in (1, 2, 3) for l1, n in ((0.0, 5), (0.01, 7))]
    fig = _fig_t_G(rows, width)
    for ax in fig.axes[:3]:
        _check_axes(fig, ax, log_x=True)
        for p in ax.patches:  # bins by n (5 or 7 values: 4 bins), not 30 slivers
            assert len(np.unique(p.get_path().vertices[:, 0])) - 1 <= hist_bins(7)


def test_rebin_preserves_mass_and_reaches_the_rule():
    rng = np.random.default_rng(0)
    bins = np.linspace(0, 3, 31)
    dens, _ = np.histogram(rng.uniform(0, 3, 20), bins=bins, density=True)
    b, d = rebin_density(bins, dens, 20)
    assert d.size <= hist_bins(20) and b[0] == 0 and b[-1] == 3
    assert abs(np.sum(d * np.diff(b)) - np.sum(dens * np.diff(bins))) < 1e-12
