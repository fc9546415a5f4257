"""Hostile public-API calls: the simulators, the theory and the registry, directly.

Some cases are hypothesis properties (many examples in one case): every input in a
wide log range is either refused with a ValueError naming a parameter or gives a
finite answer."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .harness import Case


def _api(fn: Any) -> Any:
    return lambda tmp: fn()


def _pt() -> Any:
    import perceptron_theory as pt

    return pt


def _sim_ball(**kw: Any) -> Any:
    base = {"D": 3, "N": 10, "eps": 2.0, "n_replicas": 20, "seed": 0, "progress": False}
    return _pt().simulate_ball(**{**base, **kw}).summary


def _sim_1d(**kw: Any) -> Any:
    base = {"N": 5, "eps": 0.5, "n_replicas": 20, "seed": 0, "progress": False}
    return _pt().simulate_exponential(**{**base, **kw}).summary


def _ball_lam1_5(tmp: Path) -> Any:
    import numpy as np

    res = _pt().simulate_ball(3, 10, 2.0, lam1=5.0, n_replicas=20, seed=0, progress=False, record_curves=False)
    s = res.summary
    nrm = np.linalg.norm(res.features["w_final"], axis=1)
    tg = s["t_G"].to_numpy(float)
    return {"zero_and_groks": int(np.sum((nrm == 0) & s["groks"].to_numpy(bool))),
            "t_G_inf": int(np.sum(np.isinf(tg))), "P": float(s["groks"].mean())}


def _lam1_5_check(value: Any, tmp: Path) -> str | None:
    if value["zero_and_groks"]:
        return f"{value['zero_and_groks']} zero weight vectors counted as grokking"
    if value["t_G_inf"]:
        return f"{value['t_G_inf']} runs with t_G = +-inf"
    return None


def _summary_sane(value: Any, tmp: Path) -> str | None:
    import numpy as np

    tg = value["t_G"].to_numpy(float)
    if np.any(np.isinf(tg)):
        return "t_G = +-inf"
    g = value["groks"].to_numpy(bool).copy()
    if "status" in value:
        g &= value["status"].to_numpy() == "groks"
    if np.any(~np.isfinite(tg[g])) and not np.all(np.isnan(value["t_eps"])):
        return "grokking run without a finite t_G"
    return None


def _property(name: str, fn: Any, strategy: Any) -> Case:
    """A hypothesis property: fn(*args) either raises ValueError naming a parameter or is finite."""

    def run(tmp: Path) -> Any:
        import numpy as np

        @settings(max_examples=25, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(strategy)
        def prop(args: tuple) -> None:
            try:
                val = np.asarray(fn(*args), dtype=float)
            except ValueError as exc:
                msg = str(exc)
                assert any(w in msg for w in ("N", "D", "eps", "lam1", "lam2", "supported")), msg
                return
            assert np.all(np.isfinite(val)), f"{name}{args} = {val}"

        prop()
        return "ok"
    return Case(f"property: {name}", "api", "accept", run)


_WIDE = st.one_of(st.floats(min_value=0.0, max_value=1e308), st.sampled_from([0.0, 1e-300, 1e-12, 1e6, 1e300]))


def cases() -> list[Case]:
    pt = _pt
    refuse = [("simulate_ball eps=0", lambda: _sim_ball(eps=0.0), "eps"),
              ("simulate_ball n_curve_points=2.5", lambda: _sim_ball(n_curve_points=2.5), "n_curve_points"),
              ("simulate_ball final_only='no'", lambda: _sim_ball(final_only="no"), "final_only"),
              ("simulate_ball record_curves='no'", lambda: _sim_ball(record_curves="no"), "record_curves"),
              ("simulate_ball lam2=1e300", lambda: _sim_ball(lam2=1e300), "lam2"),
              ("simulate_ball eps=1e308", lambda: _sim_ball(eps=1e308), "eps"),
              ("simulate_exponential record_curves='no'", lambda: _sim_1d(record_curves="no"), "record_curves"),
              ("simulate_exponential n_curve_points=0", lambda: _sim_1d(n_curve_points=0), "n_curve_points"),
              ("simulate_exponential eps=1e308", lambda: _sim_1d(eps=1e308), "eps"),
              ("simulate_exponential lam1=1e308", lambda: _sim_1d(lam1=1e308), "lam1"),
              ("ball.grok_probability lam2=1e300", lambda: pt().ball.grok_probability(10, 10, 1.01, 0.0, 1e300), "lam2"),
              ("ball.grok_probability eps=1e308", lambda: pt().ball.grok_probability(10, 10, 1e308, 0.0, 0.1), "eps"),
              ("ball.grok_probability D=1e23", lambda: pt().ball.grok_probability(10 ** 23, 10, 2.0), "D"),
              ("ball.GrokTimeLaw eps=1e6", lambda: pt().ball.GrokTimeLaw(10, 1e6, 0.1).mean(), "eps"),
              ("exponential.GrokTimeLaw lam=1e308", lambda: pt().exponential.GrokTimeLaw(10, 0.4, 1e308, 1e308).mean(),
               "lam1"),
              ("exponential.GrokTimeLaw eps=1e308", lambda: pt().exponential.GrokTimeLaw(10, 1e308).mean(), "eps"),
              ("exponential.GrokTimeLaw N=1e9", lambda: pt().exponential.GrokTimeLaw(10 ** 9, 0.4), "N"),
              ("exponential.grok_probability eps=1e308", lambda: pt().exponential.grok_probability(10, 1e308), "eps"),
              ("registry final_only='no'", lambda: _check("perceptron-ball", final_only="no"), "final_only"),
              ("registry record_curves=1", lambda: _check("perceptron-1d", record_curves=1), "record_curves"),
              ("registry n_grid=2.5", lambda: _check("perceptron-ball", n_grid=2.5), "n_grid"),
              ("registry device=bogus", lambda: _check("scenario-a", device="bogus"), "device"),
              ("registry device=cuda", lambda: _check("scenario-a", device="cuda"), "cuda"),
              ("registry unknown simulator", lambda: _check("nope"), "nope")]
    out = [Case(name, "api", "refuse", _api(fn), (w,)) for name, fn, w in refuse]
    accept = [("simulate_ball eps=1e-300", lambda: _sim_ball(eps=1e-300)),
              ("simulate_ball final_only", lambda: _sim_ball(final_only=True)),
              ("simulate_ball eps=1", lambda: _sim_ball(eps=1.0)),
              ("simulate_exponential eps=1e-300", lambda: _sim_1d(eps=1e-300)),
              ("simulate_exponential lam1=lam2=1e6", lambda: _sim_1d(lam1=1e6, lam2=1e6)),
              ("simulate_exponential b0=-1e6", lambda: _sim_1d(b0=-1e6))]
    out += [Case(name, "api", "accept", _api(fn), check=_summary_sane) for name, fn in accept]
    out.append(Case("simulate_ball lam1=5: w collapses to 0", "api", "accept", _ball_lam1_5, check=_lam1_5_check))
    finite = [("exponential.grok_probability eps=1e-300", lambda: pt().exponential.grok_probability(10, 1e-300)),
              ("exponential.GrokTimeLaw lam=1e6", lambda: pt().exponential.GrokTimeLaw(10, 0.4, 1e6, 1e6).mean()),
              ("ball.grok_probability lam2=1e6", lambda: pt().ball.grok_probability(10, 10, 1.01, 0.0, 1e6)),
              ("ball.grok_probability N=1e9", lambda: pt().ball.grok_probability(10, 10 ** 9, 1.5, 0.0, 0.1)),
              ("ball.GrokTimeLaw eps=1e3", lambda: pt().ball.GrokTimeLaw(10, 1e3, 0.1).mean())]
    out += [Case(name, "api", "accept", _api(fn)) for name, fn in finite]
    out += [_property("exponential.grok_probability(N, eps, lam1, lam2)",
                      lambda N, e, l1, l2: _pt().exponential.grok_probability(N, e, l1, l2),
                      st.tuples(st.integers(1, 50), _WIDE, _WIDE, _WIDE)),
            _property("ball.grok_probability(D, N, eps, lam1, lam2)",
                      lambda D, N, e, l1, l2: _pt().ball.grok_probability(D, N, 1.0 + e, l1, l2),
                      st.tuples(st.integers(1, 20), st.integers(1, 10 ** 6), _WIDE, _WIDE, _WIDE)),
            _property("ball.GrokTimeLaw(D, eps, lam2).mean()",
                      lambda D, e, l2: _pt().ball.GrokTimeLaw(D, 1.0 + e, l2).mean(),
                      st.tuples(st.integers(2, 20), _WIDE, _WIDE))]
    return out


def _check(name: str, **params: Any) -> Any:
    from comparison.simulators import check_params

    return check_params(name, params)

