"""``grokcheck paper table1``, ``scenario-a`` and ``separability``: thin commands over
:mod:`comparison.pipeline.paper` and :mod:`comparison.pipeline.paper_separability`."""
from __future__ import annotations

import argparse
from typing import Any

from .._io import dumps_strict
from ..errors import ConfigError
from .outputs import check_json_target, check_report_out, say, write_json_output

__all__ = ["cmd_paper"]


def _bounded(flag: str, value: int, lo: int, hi: int) -> None:
    """Refuse a size flag outside ``[lo, hi]`` before any work."""
    if not lo <= value <= hi:
        raise ConfigError(f"{flag} must be an integer in [{lo}, {hi:.3g}], got {value}")


def _guard(check: Any) -> None:
    """Run a memory check of the model package; its ValueError becomes a ConfigError."""
    try:
        check()
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _emit_json(target: str | None, rows: Any, *, overwrite: bool = False) -> bool:
    """Write ``rows`` as JSON to ``target`` (``-``: stdout, then True: nothing else to print)."""
    from .._io import dumps_strict

    if target == "-":
        print(dumps_strict(rows))
        return True
    if target:
        write_json_output(target, rows, overwrite=overwrite)
    return False


def _cmd_paper_scenario_a(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..pipeline.paper import paper_scenario_a

    import local_rules as lr

    _bounded("--n-init", args.n_init, 1, 10 ** 5)
    _bounded("--n-steps", args.n_steps, 1, 10 ** 7)
    _bounded("--seed", args.seed, 0, 2 ** 63 - 1)
    for d in args.d:
        _bounded("--d", d, 1, 512)
    _guard(lambda: lr.check_memory("paper scenario-a", 3 * max(lr.scenario_a_memory_bytes(args.n_init, args.n_steps, d)
                                                               for d in args.d), "--n-init or --n-steps"))
    check_json_target(args.json, overwrite=args.overwrite)
    rows = paper_scenario_a(args.d, args.n_init, n_steps=args.n_steps, seed=args.seed, device=args.device,
                            progress=not args.no_progress)
    if _emit_json(args.json, rows, overwrite=args.overwrite):
        return 0
    table = []
    for r in rows:
        nu = r["nu"]
        table.append({"d": r["d"], "setting": r["setting"], "boundary": r.get("boundary"),
                      "grok t<=25": r.get("grok_frac_t25"), "grok end": r.get("grok_frac_end"),
                      "nu (no jumps)": nu.get("nu"), "weak": "weak" if nu.get("nu_weak", True) else "",
                      "jump runs": r.get("jump_runs"), "t_G mean": r.get("t_G_mean"), "t_G median": r.get("t_G_median"),
                      "spikes/run (data)": r.get("spikes_per_run_data"), "flips/run": r.get("sign_flips_per_run"),
                      "min D_eff grok": r.get("min_d_eff_grok_tau"), "test_parity": r.get("test_parity")})
    say(pd.DataFrame(table).to_string(index=False, na_rep="–", float_format=lambda x: f"{x:.3g}"))
    return 0


def _cmd_paper_separability(args: argparse.Namespace) -> int:
    from ..pipeline.paper_separability import paper_separability, separability_frame

    if args.n_sets < 1 or any(n < 1 for n in args.N) or any(not 0 < lam <= 10 for lam in args.lam):
        raise ConfigError("--n-sets and --N must be integers >= 1 and --lam numbers in (0, 10]")
    if any(not 0 < r <= 1 for r in args.label_fraction) or any(n < 1 for n in args.label_N):
        raise ConfigError("--label-fraction must be numbers in (0, 1] and --label-N integers >= 1")
    check_json_target(args.json, overwrite=args.overwrite)
    if args.out:
        check_report_out(args.out, ["md", "html"], overwrite=args.overwrite)
    check_json_target(args.delay_json, overwrite=args.overwrite)
    _bounded("--delay-N", args.delay_N, 2, 10 ** 4)
    _bounded("--delay-sets", args.delay_sets, 1, 10 ** 5)
    runs: list[dict[str, Any]] = []
    rows = paper_separability(args.N, args.lam, n_sets=args.n_sets, sigma=args.sigma, shift=args.shift,
                              t_max=args.t_max, label_fractions=args.label_fraction, label_Ns=args.label_N,
                              seed=args.seed, progress=not args.no_progress, runs=runs)
    delay = _separability_delay(args) if args.delay or args.delay_json else None
    doc = [{"kind": "p_grok", **r} for r in rows] + ([{"kind": "delay", **delay}] if delay is not None else [])
    quiet = _emit_json(args.json, doc, overwrite=args.overwrite)
    if not quiet:
        say(separability_frame(rows).to_string(index=False, na_rep="–", float_format=lambda x: f"{x:.4g}"))
        if delay is not None:
            v = delay["verdict"]
            say(f"delay exponent (Eq. 39: 1): {v['measured']} CI {delay['exponent_ci']} -> {v['verdict']} "
                f"({v['note']})")
    if args.out:
        from ..pipeline.paper_separability import write_separability_report

        out = write_separability_report(rows, args.out, runs, delay=delay, overwrite=args.overwrite)
        if not quiet:
            say(f"wrote {out / 'report.md'}")
    return 0


def _separability_delay(args: argparse.Namespace) -> dict:
    """The λ → ½⁻ delay-divergence fit (Eq. 39) at the command's σ and seed."""
    from ..pipeline.separability_delay import delay_study

    try:
        study = delay_study(args.delay_N, args.delay_lam, sigma=args.delay_sigma, n_sets=args.delay_sets,
                            t_max=args.delay_t_max, seed=args.seed)
    except ValueError as exc:
        raise ConfigError(f"--delay-lam/--delay-N: {exc}") from None
    if args.delay_json:
        write_json_output(args.delay_json, study, overwrite=args.overwrite)
    return study


def _cmd_paper_linear(args: argparse.Namespace) -> int:
    from ..pipeline.paper_linear import check_linear_grid, linear_frame, paper_grid, paper_linear_estimator

    grid = paper_grid(args.lam, args.d_out, args.gamma)
    kw = {"d_in": args.d_in, "eta": args.eta, "eps": args.eps, "n_seeds": args.n_seeds, "horizon": args.horizon,
          "dynamics": args.dynamics, "seed": args.seed}
    check_linear_grid(grid, **kw)   # every setting's parameters and memory, before any work
    check_json_target(args.json, overwrite=args.overwrite)
    check_json_target(args.divergence_json, overwrite=args.overwrite)
    _bounded("--divergence-seeds", args.divergence_seeds, 2, 10 ** 4)
    rows = paper_linear_estimator(grid, **kw)
    study = _linear_divergence(args) if args.divergence or args.divergence_json else None
    if _emit_json(args.json, rows, overwrite=args.overwrite):
        return 0
    say(linear_frame(rows).to_string(index=False, na_rep="–", float_format=lambda x: f"{x:.4g}"))
    if study is not None:
        import pandas as pd

        from ..pipeline.linear_divergence import divergence_frame

        say(divergence_frame(study).to_string(index=False, na_rep="–", float_format=lambda x: f"{x:.4g}"))
        say(pd.DataFrame(study["verdicts"])[["quantity", "measured", "se_meas", "predicted", "z", "verdict"]]
            .to_string(index=False, na_rep="–", float_format=lambda x: f"{x:.4g}"))
    if args.out:
        from ..pipeline.paper_linear import write_linear_report

        say(f"wrote {write_linear_report(rows, args.out, study) / 'report.html'}")
    return 0


def _linear_divergence(args: argparse.Namespace) -> dict:
    """The λ → 1 divergence study (issue 21 item 4) at the command's d_in, η, ε and seed."""
    from ..pipeline.linear_divergence import divergence_study

    study = divergence_study(d_in=args.d_in, eta=args.eta, eps=args.eps, n_seeds=args.divergence_seeds,
                             seed=args.seed)
    if args.divergence_json:
        write_json_output(args.divergence_json, study, overwrite=args.overwrite)
    return study


def cmd_paper(args: argparse.Namespace) -> int:
    from ..pipeline.paper import paper_table1, table1_frame

    if args.study == "scenario-a":
        return _cmd_paper_scenario_a(args)
    if args.study == "separability":
        return _cmd_paper_separability(args)
    if args.study == "linear-estimator":
        return _cmd_paper_linear(args)

    import local_rules as lr

    _bounded("--n-init", args.n_init, 1, 10 ** 5)
    _bounded("--p-grok-draws", args.p_grok_draws, 1, 10 ** 5)
    _bounded("--seed", args.seed, 0, 2 ** 63 - 1)
    # the 27 rows (3 examples x 9 settings) keep their results until the table is made
    _guard(lambda: lr.check_memory("paper table1", 27 * lr.scenario_b_memory_bytes(args.n_init), "--n-init"))
    _bounded("--bulk-runs", args.bulk_runs, 0, 10 ** 5)  # at most --n-init are used
    check_json_target(args.json, overwrite=args.overwrite)
    rows = paper_table1(n_init=args.n_init, seed=args.seed, p_grok_draws=args.p_grok_draws,
                        progress=not args.no_progress, bulk_runs=min(args.bulk_runs, args.n_init))
    if _emit_json(args.json, rows, overwrite=args.overwrite):
        return 0
    say(table1_frame(rows).to_string(index=False, na_rep="–", float_format=lambda x: f"{x:.3g}"))
    if args.out:
        from ..pipeline.paper import write_table1_report

        out = write_table1_report(rows, args.out)
        say(f"wrote {out / 'report.html'}")
    return 0
