"""Lead time of a progress measure over the onset (comparison.estimate.lead) on a planted log."""
import numpy as np
import pandas as pd
from scipy.special import erf

from comparison.estimate.lead import aligned_band, measure_lead
from comparison.estimate.scurve import fit_scurves, median_ci

LEAD = 800.0


def _planted(n_runs=20, seed=0, sigma=0.01):
    rng = np.random.default_rng(seed)
    t = np.arange(0, 10000, 10.0)
    rows = []
    for r in range(n_runs):
        o = rng.uniform(3000, 6000)
        err = 0.5 - 0.5 * erf(2e-3 * (t - o)) + rng.normal(0, sigma, t.size)
        wn = 10 - 2 * (1 + erf(2e-3 * (t - (o - LEAD))))  # symmetric: half change at o - LEAD
        rows.append(pd.DataFrame({"run": r, "t": t, "err": err, "wnorm": wn}))
    return pd.concat(rows, ignore_index=True)


def test_planted_lead_recovered_and_wrong_lead_rejected():
    c = _planted()
    on = fit_scurves(c, "err")["onset"]
    lead = measure_lead(c, "wnorm", on)["lead"].to_numpy()
    # error per run: onset SE (from the fit) plus the grid step (10) of t_frac
    se = fit_scurves(c, "err")["onset_se"].to_numpy() + 10.0
    assert np.all(np.abs(lead - LEAD) < 4 * se)
    ci = median_ci(lead, seed=0)
    # t_frac is the first logged step past half the change: up to one step (10) late, so the lead
    # of the discrete log lies in [LEAD - 10, LEAD]; the CI must meet that interval
    assert ci["ci"][0] <= LEAD and ci["ci"][1] >= LEAD - 10.0
    assert not ci["ci"][0] <= LEAD + 200 <= ci["ci"][1]


def test_aligned_band_crosses_half_change_at_minus_lead():
    c = _planted(n_runs=8, seed=1)
    on = fit_scurves(c, "err")["onset"]
    b = aligned_band(c, "wnorm", on, n_grid=401)
    # the half-change level (8) is crossed at dt = -LEAD, within a grid step and the onset errors
    k = int(np.argmin(np.abs(b["median"].to_numpy() - 8.0)))
    step = float(b["dt"].diff().iloc[1])
    assert abs(b["dt"].iloc[k] + LEAD) < 2 * step + 50


def test_constant_measure_has_no_lead():
    c = pd.DataFrame({"run": 0, "t": [0., 1., 2.], "q": [1., 1., 1.]})
    assert np.isnan(measure_lead(c, "q", pd.Series({0: 1.0}))["lead"].iloc[0])
