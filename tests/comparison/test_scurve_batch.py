"""The batched S-curve fit (all runs at once) against the run-by-run scipy fit on a planted log."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import erf

from comparison.estimate import scurve_batch
from comparison.estimate.scurve import fit_scurve, fit_scurves

N = 150


def _planted(seed=0):
    """N noisy erf curves (varied onsets, sharpness, grids, NaNs), plus a flat run and a 3-point run."""
    rng = np.random.default_rng(seed)
    parts, truth = [], {}
    for r in range(N):
        n = int(rng.integers(60, 300))
        t = np.sort(rng.uniform(1, 10000, n))
        on, s = rng.uniform(2500, 7500), rng.uniform(4e-4, 3e-3)
        y = np.clip(0.5 - 0.5 * erf(s * (t - on)) + rng.normal(0, 0.02, n), 0, 1)
        y[rng.random(n) < 0.02] = np.nan
        parts.append(pd.DataFrame({"run": r, "t": t, "e": y}))
        truth[r] = on
    parts.append(pd.DataFrame({"run": N, "t": np.arange(50.0), "e": 0.3}))
    parts.append(pd.DataFrame({"run": N + 1, "t": [1.0, 2.0, 3.0], "e": [1.0, 0.5, 0.0]}))
    return pd.concat(parts, ignore_index=True).sample(frac=1.0, random_state=seed), pd.Series(truth)


def _one_by_one(c, log_time=False):
    return pd.DataFrame.from_dict({r: fit_scurve(g["t"].to_numpy(), g["e"].to_numpy(), log_time=log_time)
                                   for r, g in c.groupby("run")}, orient="index")


@pytest.mark.parametrize("log_time", [False, True])
def test_batch_finds_the_per_run_optimum(log_time):
    c, truth = _planted()
    B, S = fit_scurves(c, "e", log_time=log_time), _one_by_one(c, log_time)
    assert list(B.index) == list(S.index)
    assert B.loc[N, "reason"] == S.loc[N, "reason"] == "no_transition"
    assert B.loc[N + 1, "reason"] == S.loc[N + 1, "reason"] == "too_few_points"
    good = S["reason"].isna() & B["reason"].isna()
    assert good.sum() >= N - 3 and (B["reason"].isna() == S["reason"].isna()).all()
    se = S.loc[good, "onset_se"]
    d = (B.loc[good, "onset"] - S.loc[good, "onset"]).abs() / se
    assert d.max() < 0.01    # the same optimum: far inside one standard error
    assert ((B.loc[good, "onset"] - (S.loc[good, "onset"] + se)).abs() / se).min() > 0.9   # a shifted one is not
    np.testing.assert_allclose(B.loc[good, "sharpness"], S.loc[good, "sharpness"], rtol=1e-3)
    np.testing.assert_allclose(B.loc[good, "onset_se"], se, rtol=1e-2)
    if not log_time:   # and the planted onsets are recovered within 4 s.e.
        z = (B.loc[good, "onset"] - truth.reindex(B.index[good])) / B.loc[good, "onset_se"]
        assert np.abs(z).max() < 4.5 and abs(z.mean()) < 4 / np.sqrt(good.sum())


def test_chunking_does_not_change_the_fit(monkeypatch):
    c, _ = _planted(1)
    ref = fit_scurves(c, "e")
    monkeypatch.setattr(scurve_batch, "CHUNK_POINTS", 700)   # a few runs per chunk
    got = fit_scurves(c, "e")
    ok = ref["reason"].isna()
    np.testing.assert_allclose(got.loc[ok, "onset"], ref.loc[ok, "onset"], rtol=1e-9)
