r"""Simulation-backed properties: a formula against a registered simulator at hypothesis-drawn parameters.

:func:`agrees_with_simulation` draws parameter sets from a strategy (e.g.
:func:`comparison.testing.strategies.params`), runs the registered simulator at each
(seed derived from the parameters, so every failure is reproducible; results cached
within the run), measures the quantity as the reports do, and tests the formula:

* ``"P_grok"`` — the fraction of non-diverged runs that grok; the exact two-sided
  binomial mid-p test (:func:`~comparison.estimate.exact.binomial_verdict_p`);
* ``"mean t_G"`` — the mean grokking time over the runs that grok (those generalised at
  initialisation and t_G ≤ 0 left out, as in the reports); a z-test with s.e. = s.d./√n;
* ``"median t_G"`` — their median; a z-test with the order-statistic s.e.
  (:func:`~comparison.testing.measurement.median_se`), valid for laws with atoms. For both
  times a numerical floor of 1e-9 relative (:data:`NUMERICAL_RTOL`) is added to the s.e. in
  quadrature: a median on an atom is exact to ~1e-14, and rounding is not a disagreement.

**False alarms.** A run of K examples tests each at α = min(P_TOL, family_alpha / K)
(:func:`~comparison.testing.power.per_example_alpha`; the report's 4σ rule is never
loosened), so a correct formula fails a whole run with probability ≤ ``family_alpha``
(1 % by default). The threshold is stated in every result.

**Power.** Every row carries the smallest discrepancy its replica count detects with
80 % probability at that α (:func:`~comparison.testing.power.binomial_detectable`,
:func:`~comparison.testing.power.z_detectable`); the run reports the largest of them
("would have caught |Δ| ≥ … at every example"). With ``detect=δ`` the replicas of a
P_grok example are chosen by the power rule (the fewest with 80 % power against
P ± δ at that α), and a run that cannot reach that power is "underpowered", not "passed".

A failure raises :class:`AssertionError` (``raise_on_failure``) with the shrunk
counterexample — hypothesis reduces it toward small D, small N and round values —, the
predicted and measured values ± s.e., z, p, whether a fresh seed confirms it, and the one
``grokcheck simulate … && grokcheck fit …`` command that reproduces it.

Examples
--------
>>> from comparison.testing import params
>>> from perceptron_theory import ball
>>> law = lambda D, N, eps, lam2: float(ball.grok_probability(D, N, eps, 0.0, lam2))
>>> strategy = params("perceptron-ball", D=(2, 4), N=(40, 80), eps=(1.01, 1.05), lam1=None, lam2=0.1)
>>> r = agrees_with_simulation(law, simulator="perceptron-ball", params=strategy, replicas=400, max_examples=4)
>>> print(r.message)        # 4 examples, each at the report's 4σ level (< 1 %/4); what a pass is worth:
passed: 4 examples at alpha = 6.33e-05 each (false-alarm rate of the run <= 0.01); would have caught |ΔP| >= 0.0795 at every example (80% power)

"""
import json
import math
from collections.abc import Callable
from typing import Any

from ..errors import ConfigError
from ..estimate.exact import binomial_verdict_p, z_to_p
from ..simulators import SIMULATORS
from .invariants import evaluate
from .measurement import MIN_T_G, measure, reproduce_command, seed_for, spec_for
from .power import POWER, binomial_detectable, binomial_replicas, per_example_alpha, z_detectable
from .result import PropertyResult, Row

__all__ = ["agrees_with_simulation", "USELESS_P", "NUMERICAL_RTOL"]

#: Relative numerical floor added (in quadrature) to the s.e. of a time: rounding is not a disagreement.
NUMERICAL_RTOL = 1e-9
#: Without ``detect``, a P_grok run that cannot see |ΔP| below this is called underpowered.
USELESS_P = 0.25


def _accepted(formula: Callable[..., Any], params: dict[str, Any]) -> dict[str, Any]:
    """The parameters ``formula`` takes (all of them when it has ``**kwargs`` or no signature)."""
    import inspect

    try:
        sig = inspect.signature(formula)
    except (TypeError, ValueError):
        return params
    if any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()):
        return params
    return {k: v for k, v in params.items() if k in sig.parameters}


class _Run:
    """The state of one property run: settings, the cache of measurements, the rows tried."""

    def __init__(self, formula: Callable[..., Any], simulator: str, quantity: str, *, replicas: int | None,
                 detect: float | None, alpha: float, seed: int, power: float, max_replicas: int,
                 on_row: Callable[[Row], None] | None) -> None:
        self.formula, self.simulator, self.quantity = formula, simulator, quantity
        self.replicas, self.detect, self.alpha, self.seed = replicas, detect, alpha, seed
        self.power, self.max_replicas, self.on_row = power, max_replicas, on_row
        self.cache: dict[str, Row] = {}
        self.n_cache: dict[float, int] = {}
        self.rows: list[Row] = []
        self.last_fail: Row | None = None

    def replicas_for(self, predicted: float) -> int:
        """The fixed replica count, or (P_grok with ``detect``) the power rule's, capped at ``max_replicas``."""
        if self.replicas is not None:
            return int(self.replicas)
        if predicted in self.n_cache:
            return self.n_cache[predicted]
        sides = [s for s in (1.0, -1.0) if 0.0 <= predicted + s * self.detect <= 1.0]
        need = [binomial_replicas(predicted, s * self.detect, power=self.power, alpha=self.alpha, n_max=10 ** 9)
                for s in sides]
        n = int(min(max(need, default=1), self.max_replicas))
        self.n_cache[predicted] = self._both_sides(n, predicted, sides)
        return self.n_cache[predicted]

    def _both_sides(self, n: int, predicted: float, sides: list[float]) -> int:
        """The first n from ``n`` (up to 10 % above, within ``max_replicas``) with the power on both sides:
        the exact power is a saw-tooth in n, so the larger side's n can fall short on the other side."""
        from .power import binomial_power

        for m in range(n, min(self.max_replicas, int(1.1 * n) + 2) + 1):
            if all(binomial_power(m, predicted, predicted + s * self.detect, alpha=self.alpha) >= self.power
                   for s in sides):
                return m
        return n

    def row(self, params: dict[str, Any], seed_offset: int = 0) -> Row:
        order = [p.name for p in SIMULATORS[self.simulator].params]
        params = dict(sorted(params.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))
        key = json.dumps([params, seed_offset], sort_keys=True, default=str)
        if key in self.cache:
            return self.cache[key]
        pred = float(evaluate(self.formula, _accepted(self.formula, params)))
        if not math.isfinite(pred) or (self.quantity == "P_grok" and not 0.0 <= pred <= 1.0):
            raise AssertionError(f"the formula gives {pred!r} for {self.quantity} at {params}")
        n_rep = self.replicas_for(pred)
        sim_seed = seed_for(params, self.seed + seed_offset)
        m = measure(self.simulator, self.quantity, params, replicas=n_rep, seed=sim_seed)
        row = self._judge(params, pred, m, n_rep, sim_seed)
        self.cache[key] = row
        if seed_offset == 0:
            self.rows.append(row)
            if self.on_row is not None:
                self.on_row(row)
        return row

    def _judge(self, params: dict[str, Any], pred: float, m: dict[str, Any], n_rep: int, sim_seed: int) -> Row:
        meas, se, n = m["measured"], m["se"], m["n"]
        cmd = reproduce_command(self.simulator, params, replicas=n_rep, seed=sim_seed)
        if self.quantity == "P_grok":
            testable = n >= 1
            p = binomial_verdict_p(m["k"], n, pred) if testable else math.nan
            det = binomial_detectable(n, pred, power=self.power, alpha=self.alpha) if testable else math.inf
        else:
            # a numerical floor: prediction and simulation agree to rounding (an atom's median has se ~ 1e-14)
            se = math.hypot(se, NUMERICAL_RTOL * max(abs(pred), abs(meas))) if math.isfinite(se) else se
            testable = n >= MIN_T_G and se > 0
            z0 = (meas - pred) / se if testable else math.nan
            p = z_to_p(z0) if testable else math.nan
            det = z_detectable(se, power=self.power, alpha=self.alpha) if testable else math.inf
        z = (meas - pred) / se if testable and se > 0 else math.nan
        ok = (not testable) or p >= self.alpha
        return Row(params=dict(params), predicted=pred, measured=meas, se=se, n=n, replicas=n_rep, seed=sim_seed,
                   z=z, p_value=p, detectable=det, testable=testable, passed=bool(ok), command=cmd)

    def check(self, params: dict[str, Any]) -> None:
        """The hypothesis test body: AssertionError when the example's verdict is "disagrees"."""
        row = self.row(dict(params))
        if not row.passed:
            self.last_fail = row
            raise AssertionError(f"{self.quantity} disagrees at {row.params}: predicted {row.predicted:.6g}, "
                                 f"measured {row.measured:.6g} ± {row.se:.2g} (n = {row.n}), z = {row.z:+.2f}, "
                                 f"p = {row.p_value:.3g} < alpha = {self.alpha:.3g}")


def _hypothesis(run: _Run, strategy: Any, max_examples: int, seed: int, shrink: bool) -> BaseException | None:
    """Run the property under hypothesis (no database, this seed, generate [+ shrink]); the error or None."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as hseed

    @hseed(seed)
    @settings(max_examples=max_examples, database=None, deadline=None, derandomize=False,
              phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate], suppress_health_check=list(HealthCheck),
              verbosity=Verbosity.quiet, report_multiple_bugs=False, print_blob=False)
    @given(strategy)
    def prop(p: dict[str, Any]) -> None:
        run.check(p)

    try:
        prop()
    except Exception as exc:  # noqa: BLE001 - AssertionError (a disagreement) or an error of the formula
        return exc
    return None


def _failed(run: _Run, family_alpha: float) -> PropertyResult:
    bad = run.last_fail
    again = run.row(bad.params, seed_offset=1)
    confirmed = not again.passed
    n_tried = len(run.rows)
    msg = (f"failed: {run.quantity} disagrees at {bad.params} (the simplest failing point hypothesis found; "
           f"{n_tried} points tried)\n"
           f"  predicted {bad.predicted:.6g}, measured {bad.measured:.6g} ± {bad.se:.2g} (n = {bad.n}), "
           f"z = {bad.z:+.2f}, p = {bad.p_value:.3g} < alpha = {run.alpha:.3g} per example "
           f"(false-alarm rate of the run <= {family_alpha:g})\n"
           f"  a fresh seed {'confirms' if confirmed else 'does NOT confirm'} it: measured {again.measured:.6g} "
           f"± {again.se:.2g}, p = {again.p_value:.3g}\n"
           f"  reproduce: {bad.command}")
    return PropertyResult("failed", run.quantity, run.simulator, n_tried, run.alpha, family_alpha,
                          max((r.detectable for r in run.rows if r.testable), default=math.inf), list(run.rows),
                          dict(bad.params), confirmed, msg)


def _passed(run: _Run, family_alpha: float) -> PropertyResult:
    testable = [r for r in run.rows if r.testable]
    det = max((r.detectable for r in testable), default=math.inf)
    weak = (not testable or (run.detect is not None and det > run.detect)
            or (run.quantity == "P_grok" and det >= USELESS_P))
    what = "|ΔP|" if run.quantity == "P_grok" else f"|Δ {run.quantity}|"
    power = f"would have caught {what} >= {det:.3g} at every example ({run.power:.0%} power)"
    untestable = len(run.rows) - len(testable)
    extra = f"; {untestable} points not testable (< {MIN_T_G} grokking times)" if untestable else ""
    if weak:
        want = f"the {run.detect:g} asked for" if run.detect is not None else "enough to mean anything"
        msg = (f"underpowered: no disagreement in {len(run.rows)} examples, but the run {power}, not {want}; "
               f"use more replicas{extra}")
        verdict = "underpowered"
    else:
        msg = (f"passed: {len(run.rows)} examples at alpha = {run.alpha:.3g} each (false-alarm rate of the run "
               f"<= {family_alpha:g}); {power}{extra}")
        verdict = "passed"
    return PropertyResult(verdict, run.quantity, run.simulator, len(run.rows), run.alpha, family_alpha, det,
                          list(run.rows), None, None, msg)


def agrees_with_simulation(formula: Callable[..., Any], *, simulator: str, params: Any, quantity: str = "P_grok",
                           replicas: int | None = None, detect: float | None = None, max_examples: int = 20,
                           family_alpha: float = 0.01, alpha: float | None = None, seed: int = 0,
                           power: float = POWER, max_replicas: int = 10 ** 5, shrink: bool = True,
                           raise_on_failure: bool = True,
                           on_row: Callable[[Row], None] | None = None) -> PropertyResult:
    """Test ``formula`` against ``simulator`` at parameter sets drawn from ``params`` (see the module docstring).

    Parameters
    ----------
    formula : ``f(**params) -> value`` (it receives the parameters its signature names).
    simulator : a registered simulator (:data:`comparison.simulators.SIMULATORS`).
    params : a hypothesis strategy of parameter dicts, e.g. ``comparison.testing.params(simulator, ...)``.
    quantity : ``"P_grok"``, ``"mean t_G"`` or ``"median t_G"`` (:data:`~comparison.testing.measurement.QUANTITIES`).
    replicas : runs per example; or, for P_grok, leave it None and give ``detect``.
    detect : the discrepancy the run must be able to see with ``power`` at every example; for P_grok
        without ``replicas`` the replicas are chosen by the power rule (capped at ``max_replicas``).
    max_examples, family_alpha : K examples, each tested at min(P_TOL, family_alpha/K).
    alpha : the per-example level instead (e.g. to measure the test's size); the run's stated
        false-alarm bound is then K · alpha.
    seed : hypothesis' seed and the base of the per-example simulator seeds.
    shrink : let hypothesis reduce a failure to the simplest failing point (off: the first failure).
    raise_on_failure : raise :class:`AssertionError` (its ``result`` attribute holds the
        :class:`PropertyResult`) when the verdict is "failed" or "underpowered".
    on_row : called with each new :class:`Row` (e.g. ``lambda r: print(r.line())``).

    Returns
    -------
    PropertyResult
    """
    spec_for(simulator, quantity)
    if replicas is None and (detect is None or quantity != "P_grok"):
        raise ConfigError("give replicas= (for P_grok also detect= alone: the power rule then chooses the replicas)")
    if replicas is not None and not int(replicas) >= 1:
        raise ConfigError(f"replicas must be an integer >= 1, got {replicas!r}")
    if detect is not None and not detect > 0:
        raise ConfigError(f"detect must be > 0, got {detect!r}")
    if alpha is None:
        alpha = per_example_alpha(max_examples, family_alpha)
    elif not 0 < alpha < 1:
        raise ConfigError(f"alpha must lie in (0, 1), got {alpha!r}")
    else:
        family_alpha = min(1.0, alpha * int(max_examples))
    run = _Run(formula, simulator, quantity, replicas=replicas, detect=detect, alpha=alpha, seed=int(seed),
               power=power, max_replicas=int(max_replicas), on_row=on_row)
    err = _hypothesis(run, params, int(max_examples), int(seed), bool(shrink))
    if err is not None and run.last_fail is None:
        raise err  # not a disagreement: the formula or the simulator failed (the message says where)
    result = _failed(run, family_alpha) if err is not None else _passed(run, family_alpha)
    if raise_on_failure and not result.passed:
        exc = AssertionError(result.message)
        exc.result = result  # type: ignore[attr-defined]
        raise exc
    return result
