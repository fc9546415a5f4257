"""Issue 23 item 8 (and the time units of item 6): small-n t_G histograms without overlapping
tick labels or clipped bars, a G spectrum that shows degenerate eigenvalues and does not colour
slow/fast without a split, the training curve in the per-run figure, time units on time axes,
and a progress bar while report figures are drawn."""
from __future__ import annotations

from types import SimpleNamespace as NS

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from comparison.estimate import split_spectrum
from comparison.report.figures import fig_runs, fig_spectrum, fig_t_G, multiplicities
from comparison.report.style import setup_mpl


@pytest.fixture(autouse=True)
def _mpl():
    setup_mpl()
    yield
    plt.close("all")


def _overlap(a, b, pad: float = 0.5) -> bool:
    return a.x0 < b.x1 - pad and b.x0 < a.x1 - pad and a.y0 < b.y1 - pad and b.y0 < a.y1 - pad


def _tick_boxes(fig, axis):
    r = fig.canvas.get_renderer()
    return [t.get_window_extent(r) for t in axis.get_ticklabels() if t.get_visible() and t.get_text()]


@pytest.mark.parametrize("t_G", [[1.0, 1.3, 2.0], [0.5, 0.52, 80.0], [3.0, 3.0001, 3.0002, 7.0], [3.7, 37.0, 370.0],
                                 [2.0, 9.0, 40.0], [1e-3, 1.0, 50.0]])
@pytest.mark.parametrize("width", ["single", "double"])
def test_small_n_t_G_histogram_is_legible(t_G, width):
    a = NS(t_G=np.array(t_G), law=None, config={"load": {"time_unit": "step"}}, generator="external")
    fig = fig_t_G(a, width=width)
    fig.canvas.draw()
    ax = fig.axes[0]
    for axis in (ax.xaxis, ax.yaxis):
        boxes = _tick_boxes(fig, axis)
        assert len(boxes) >= (3 if axis is ax.xaxis else 2), "a log axis with two labels is not readable"
        assert not any(_overlap(boxes[i], boxes[j]) for i in range(len(boxes)) for j in range(i + 1, len(boxes)))
        labels = [t.get_text() for t in axis.get_ticklabels(minor=True) if t.get_visible() and t.get_text()]
        assert not labels, "minor ticks are not labelled (one label per tick position)"
    bars = ax.patches[0]  # the histogram's stairs
    top = max(bars.get_path().vertices[:, 1])
    assert 0 < top < ax.get_ylim()[1] * 0.95, "bars are clipped or touch the top"
    lo, hi = ax.get_xlim()
    assert lo <= min(t_G) and hi >= max(t_G)
    assert ax.get_xlabel().endswith("[step]")


def test_multiplicities_counts_ties_within_rtol():
    u, k = multiplicities([2.0, 1.0, 2.0 * (1 + 1e-9), 2.0, 3.0])
    assert u.tolist() == [1.0, 2.0, 3.0] and k.tolist() == [1, 3, 1]
    u, k = multiplicities([1.0, 1.001])
    assert k.tolist() == [1, 1]


def _annotations(ax):
    return [c.get_text() for c in ax.texts]


def test_spectrum_marks_degenerate_eigenvalues():
    sp = split_spectrum(np.array([1e-3, 1e-3, 1e-3, 2e-3, 1.0, 1.0]))
    assert sp.split
    fig = fig_spectrum(NS(spectrum=sp), width="single")
    ax = fig.axes[0]
    assert sorted(_annotations(ax)) == ["×2", "×3"]
    offsets = [c.get_offsets() for c in ax.collections]
    assert sum(len(o) for o in offsets) == 3  # one marker per distinct eigenvalue
    assert [t.get_text() for t in ax.get_yticklabels()] == ["fast", "slow"]


def test_spectrum_without_split_is_not_coloured_slow_fast():
    sp = split_spectrum(np.array([1.0, 1.5, 2.0, 2.0]))
    assert not sp.split
    fig = fig_spectrum(NS(spectrum=sp), width="single")
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.get_yticklabels()] + [t.get_text() for t in ax.get_legend().get_texts()]
    assert not any("slow" in t or "fast" in t for t in texts), texts
    assert len({tuple(np.round(c.get_facecolor()[0], 3)) for c in ax.collections}) == 1
    assert "no split" in ax.get_xlabel() and _annotations(ax) == ["×2"]


def test_runs_figure_draws_the_training_curve_when_present():
    t = np.arange(5.0)
    cp = pd.DataFrame({"run": [0] * 5, "t": t, "test_error": [0.5, 0.4, 0.3, 0.1, 0.0],
                       "train_error": [0.3, 0.1, 0.0, 0.0, 0.0], "groks": [True] * 5})
    ax = fig_runs(NS(curves_preview=cp, generator="external", config={}), width="single").axes[0]
    ys = [ln.get_ydata().tolist() for ln in ax.get_lines()]
    assert cp["train_error"].tolist() in ys and cp["test_error"].tolist() in ys
    assert "training" in ax.get_ylabel() and ax.get_xlabel().endswith("[log's time unit]")
    ax2 = fig_runs(NS(curves_preview=cp.drop(columns="train_error"), generator="x", config={}), width="single").axes[0]
    assert len(ax2.get_lines()) == 1 and "training" not in ax2.get_ylabel()
    assert ax2.get_xlabel().endswith("[model time units]")


def test_report_progress_bar_counts_the_figures(capsys):
    from comparison.report.document import Report

    class Bar:
        n = 0

        def update(self, k):
            self.n += k

    rep = Report(title="t", variants=False)
    rep.bar = Bar()
    rep.figure(lambda w: fig_spectrum(NS(spectrum=split_spectrum([1.0, 100.0])), width=w), "s", "c")
    rep.figure(lambda w: None, "none", "c")  # nothing drawn: not counted
    assert rep.bar.n == 1 and len(rep.figures) == 2
