"""Scenario A (issue 16): replay rows, run-set round trip, jump runs, sign flips, boundaries,
data-loss spikes, penalty options, the study table."""
import numpy as np
import pandas as pd
import pytest
import torch

import local_rules as lr
from local_rules._scenario_a import init_params
from local_rules._scenario_a_train import forward, losses, Setup, Trainer


LR = 0.1


@pytest.fixture(scope="module")
def tiny_test():
    return lr.make_test_set(30, 1, max_len=6, n_long=4, long_len=16)


@pytest.fixture(scope="module")
def grokking_pad(tiny_test):
    """The set-up of the issue's failing run set: pad boundary, L1, runs that grok between checkpoints."""
    return lr.run_scenario_a(d=4, n_init=8, n_steps=150, lr=LR, seed=0, test_set=tiny_test, progress=False,
                             n_checkpoints=5, boundary="pad", lam1=1e-3)


def test_replay_rows_do_not_conflict_and_round_trip(grokking_pad, tmp_path):
    from comparison import load_runset, write_runset
    res = grokking_pad
    c, s = res.curves, res.summary
    ck = set(res.config["checkpoint_steps"])
    k_eps = np.round(s.t_eps.fillna(-1) / LR).astype(int)
    between = s[s.groks & ~k_eps.isin(ck)]
    assert len(between) >= 1  # some run grokked strictly between two checkpoints
    assert c.dense.any() and not c[c.dense].step.isin(ck).any()
    assert not c.duplicated(subset=["run", "t"]).any()
    path = write_runset(res, tmp_path / "rs")
    back = load_runset(path)
    cols = ["run", "t", "test_error", "d_eff"]
    pd.testing.assert_frame_equal(back.curves[cols].reset_index(drop=True), c[cols].reset_index(drop=True),
                                  check_dtype=False)
    assert list(back.summary.boundary.unique()) == ["pad"] and back.config["boundary"] == "pad"


def test_t_eps_is_the_first_zero_to_the_step(grokking_pad):
    res = grokking_pad   # a run whose replay drifted has the checkpoint's resolution (test below)
    s = res.summary
    for _, row in s[s.groks & (s.t_eps > 0) & ~s.replay_drifted].iterrows():
        cur = res.curves[res.curves.run == row.run].set_index("step")
        k = int(round(row.t_eps / LR))
        assert cur.test_error[k] == 0 and cur.test_error[k - 1] > 0
        assert (cur.test_error[cur.index < k] > 0).all()


def test_jump_runs_planted():
    # run 0 jumps from 0.25 to 0; run 1 approaches 0 continuously; run 2 never groks; run 3 at t = 0
    curves = pd.DataFrame({"run": [0, 0, 0, 1, 1, 1, 2, 2, 3],
                           "t": [0.0, 0.99, 1.0, 0.0, 1.99, 2.0, 0.0, 2.0, 0.0],
                           "test_error": [0.5, 0.25, 0.0, 0.5, 5e-4, 0.0, 0.5, 0.4, 0.0]})
    summary = pd.DataFrame({"run": [0, 1, 2, 3], "t_eps": [1.0, 2.0, np.nan, 0.0]})
    out = lr.jump_runs(curves, summary, lr=0.01, threshold=1e-3)
    assert out.jump.tolist() == [True, False, False, False]
    assert out.error_before_t_eps.iloc[0] == 0.25 and out.error_before_t_eps.iloc[1] == 5e-4
    assert np.isnan(out.error_before_t_eps.iloc[2]) and np.isnan(out.error_before_t_eps.iloc[3])
    assert lr.jump_runs(curves, summary, lr=0.01, threshold=0.3).jump.sum() == 0
    with pytest.raises(ValueError, match="lr"):
        lr.jump_runs(curves, summary, lr=0.0)


def test_jump_column_matches_the_curves(grokking_pad):
    s, c = grokking_pad.summary, grokking_pad.curves
    for _, row in s[s.groks & (s.t_eps > 0) & ~s.replay_drifted].iterrows():
        k = int(round(row.t_eps / LR))
        e = c[(c.run == row.run) & (c.step == k - 1)].test_error.iloc[0]
        assert e == row.error_before_t_eps and row.jump == (e > 1e-3)
    drifted = s[s.groks & s.replay_drifted]     # no row one step before t_eps: unknown, not 0
    assert drifted.error_before_t_eps.isna().all() and not drifted.jump.any()


@pytest.mark.parametrize("boundary", ["pad", "trainable"])
def test_mirrored_runs_follow_mirrored_trajectories(boundary):
    """Training on length 8 only: the run started at (-A0, -B0[, -vL, -vR]) is the exact mirror of
    the run at (A0, B0), so it errs on every odd-length position the other gets right."""
    tr = lr.make_dataset(30, 1, 8)
    odd = lr.make_test_set(30, 1, max_len=7, n_long=2, long_len=9, parity="odd")
    s = Setup(tr, odd, boundary, 32, 0.0, 0.0, 0.02)
    p = init_params(2, 4, 0, dtype="float64", boundary=boundary)
    p = {k: torch.cat([v[:1], -v[:1]]) for k, v in p.items()}
    T = Trainer(p, s)
    for _ in range(25):
        T.do_step(False)
    assert torch.equal(T.p["A"][1], -T.p["A"][0]) and torch.equal(T.p["B"][1], -T.p["B"][0])
    with torch.no_grad():
        err = losses(forward(T.p, odd, s), odd, T.p, s)[2].numpy()
    assert np.isclose(err[0] + err[1], 1.0)


def test_sign_flip_is_recorded():
    """Negating one run's left boundary vector flips every output of that run (ŷ is linear in ℓ)."""
    tr = lr.make_dataset(30, 1, 6)
    T = Trainer(init_params(3, 4, 1, dtype="float64"), Setup(tr, tr, "trainable", 32, 0.0, 0.0, 1e-9))
    assert np.isnan(T.do_step(False)["flip"].numpy()).all()
    with torch.no_grad():
        T.p["vL"][1].neg_()
    f = T.do_step(False)["flip"].numpy()
    assert f[1] == pytest.approx(1.0) and f[0] == 0 and f[2] == 0
    assert lr.count_sign_flips(np.array([[np.nan, 0.0, 0.95, 1.0], [np.nan, 0.5, 0.1, 0.0]])).tolist() == [2, 0]


def test_padding_limit_and_eigen_boundary():
    c, s_ = np.cos(0.7), np.sin(0.7)
    rot = np.zeros((2, 3, 3, 2))
    rot[0, :2, :2, 0] = 2 * np.array([[c, -s_], [s_, c]])  # complex leading pair 2 e^{±0.7i}
    rot[0, 2, 2, 0] = 1.0
    rot[1, ..., 0] = np.diag([2.0, 1.0, 0.5]) + 0.1
    assert lr.padding_limit_exists(rot).tolist() == [False, True]
    A = np.random.default_rng(0).standard_normal((60, 5, 5, 2))
    l, r, ok = lr.eigen_boundary_vectors(A)
    assert ok.any() and (~ok).any() and np.isfinite(l).all() and np.isfinite(r).all()
    At = torch.as_tensor(A)
    L1, R1 = lr.boundary_states(At, "pad", n_pad=4000)
    L2, _ = lr.boundary_states(At, "pad", n_pad=4002)
    # with a limit: even padding converges to the eigen reading, signs included
    assert np.allclose(L1[ok, 0].numpy(), l[ok], atol=1e-6) and np.allclose(R1[ok, 0].numpy(), r[ok], atol=1e-6)
    # without one: "pad" depends on n_pad (it rotates in the plane of the leading pair)
    assert (L1[~ok, 0] - L2[~ok, 0]).abs().max(dim=-1).values.min().item() > 1e-3
    # the eigen boundary of scenario A gives the network's outputs for these vectors
    ps = lr.make_dataset(30, 1, 5)
    B = torch.as_tensor(np.random.default_rng(1).standard_normal((60, 5, 5, 2)))
    s = Setup(ps, ps, "eigen", 32, 0.0, 0.0, 0.01)
    y = forward({"A": At, "B": B}, ps, s).numpy()
    yl = lr.outputs_numpy(A[ok], B.numpy()[ok], ps, "pad", n_pad=4000)
    assert np.allclose(y[ok], yl, atol=1e-6)


@pytest.mark.parametrize("norm,on", [("sum", "AB"), ("mean", "AB"), ("sum", "A"), ("sum", "B")])
def test_penalty_value(norm, on, tiny_test):
    res = lr.run_scenario_a(d=3, n_init=2, n_steps=5, lr=0.01, lam1=0.3, lam2=0.2, test_set=tiny_test,
                            progress=False, n_checkpoints=2, penalty_norm=norm, penalty_on=on, dtype="float64")
    f = res.features
    pen = 0.0
    for k in on:
        T = f[f"final_{k}"].reshape(2, -1)
        c = 1.0 if norm == "sum" else 1.0 / T.shape[1]
        pen = pen + c * (0.3 * np.abs(T).sum(1) + 0.1 * (T ** 2).sum(1))
    assert np.allclose(f["train_loss_per_step"][:, -1] - f["train_data_loss_per_step"][:, -1], pen, rtol=1e-5)


def test_decoupled_l1_is_a_proximal_step():
    tr = lr.make_dataset(30, 1, 5)
    p = init_params(3, 3, 2, dtype="float64")
    plain = Trainer(p, Setup(tr, tr, "trainable", 32, 0.0, 0.0, 0.01))
    prox = Trainer(p, Setup(tr, tr, "trainable", 32, 0.5, 0.0, 0.01, "decoupled"))
    for _ in range(3):
        a = {k: v.detach().clone() for k, v in plain.p.items()}
        plain.do_step(False)
        prox.do_step(False)
        for k in ("A", "B"):  # Adam step without penalty, then soft thresholding by lr * lam1
            want = torch.sign(plain.p[k]) * (plain.p[k].abs() - 0.005).clamp_min(0)
            assert torch.allclose(prox.p[k], want, atol=1e-12)
            plain.p[k].data.copy_(want)
        assert torch.equal(prox.p["vL"], plain.p["vL"])  # boundary vectors carry no penalty
        assert not torch.equal(a["A"], plain.p["A"])


def test_spikes_are_counted_on_the_data_loss(grokking_pad):
    f, s = grokking_pad.features, grokking_pad.summary
    ev = lr.detect_spikes(f["train_data_loss_per_step"], factor=10.0, window=50)
    assert s.n_spikes.sum() == len(ev)
    evt = lr.detect_spikes(f["train_loss_per_step"], factor=10.0, window=50)
    assert s.n_spikes_total_loss.sum() == len(evt)


def test_bad_options():
    for kw, name in ((dict(boundary="open"), "boundary"), (dict(penalty_mode="adamw"), "penalty_mode"),
                     (dict(penalty_norm="avg"), "penalty_norm"), (dict(penalty_on="C"), "penalty_on"),
                     (dict(jump_threshold=-1.0), "jump_threshold"), (dict(flip_threshold=0.2), "flip_threshold"),
                     (dict(n_pad=-1), "n_pad")):
        with pytest.raises(ValueError, match=name):
            lr.run_scenario_a(d=2, n_init=1, n_steps=1, progress=False, **kw)


def test_study_table(tiny_test):
    from local_rules import scenario_a_study
    st = scenario_a_study(d=3, n_init=4, settings={"none": {}, "L1": {"lam1": 1e-3}}, seed=0, n_steps=120,
                          lr=0.05, test_set=tiny_test, progress=False, n_checkpoints=6)
    t = st.table.set_index("setting")
    assert list(t.index) == ["none", "L1"] and (t.test_parity == "given").all()
    for name, res in st.results.items():
        s = res.summary
        assert t.at[name, "grok_frac_end"] == pytest.approx(s.groks.mean())
        assert t.at[name, "jump_runs"] == (s.jump & s.groks).sum()
        assert t.at[name, "spikes_per_run_data"] == pytest.approx(s.n_spikes.mean())
        # the aligned test error is exactly 0 at tau = 0 (every grokking run is at zero there)
        te = st.curves[(st.curves.setting == name) & (st.curves.curve == "test_error_tau")]
        if s.groks.any():
            assert te[te.x == 0]["mean"].iloc[0] == 0
        dall = st.curves[(st.curves.setting == name) & (st.curves.curve == "d_eff_all_t")]
        D = res.features["d_eff_per_step"].astype(float)
        assert np.allclose(dall["mean"], D.mean(0))


def test_device_is_checked_before_any_work():
    import torch

    with pytest.raises(ValueError, match="device must be a torch device"):
        lr.run_scenario_a(d=2, n_init=1, n_steps=2, device="bogus", progress=False)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            lr.run_scenario_a(d=2, n_init=1, n_steps=2, device="cuda", progress=False)


def test_replayed_rows_follow_the_ensemble_trajectory(grokking_pad):
    """Dense rows come from a replay of the run alone; they must be the ensemble's own trajectory
    (its training error recorded at every step), else they are dropped and t_eps falls back to the
    checkpoint (``replay_drifted``)."""
    res = grokking_pad
    c, s = res.curves, res.summary
    per_step = res.features["train_error_per_step"]
    ck = set(res.config["checkpoint_steps"])
    dense = c[c.dense]
    assert len(dense) > 0
    rec = per_step[dense.run.to_numpy(), dense.step.to_numpy()].astype(float)
    assert np.abs(dense.train_error.to_numpy() - rec).max() <= 1e-6
    for _, row in s[s.replay_drifted].iterrows():
        assert not dense.run.eq(row.run).any()
        assert int(round(row.t_eps / LR)) in ck


def test_replay_faithful_planted():
    from local_rules._scenario_a_train import replay_faithful
    step_err = np.array([[0.5, 0.4, 0.3, 0.0], [0.5, 0.5, 0.5, 0.0]], dtype=np.float32)
    df = pd.DataFrame({"run_local": [0, 0, 1, 1], "step": [1, 2, 1, 2],
                       "train_error": [0.4, 0.3, 0.5, 0.25]})   # run 1 left the trajectory at step 2
    assert replay_faithful(df, step_err, np.array([0, 1])).tolist() == [True, False]
    assert replay_faithful(df.iloc[:0], step_err, np.array([0, 1])).tolist() == [True, True]
