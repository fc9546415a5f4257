"""``grokcheck paper table1``, ``scenario-a`` and ``separability``: thin commands over
:mod:`comparison.pipeline.paper` and :mod:`comparison.pipeline.paper_separability`."""
from __future__ import annotations

import argparse
import json
from typing import Any

from ..errors import ConfigError
from .outputs import check_json_target, say, write_json_output

__all__ = ["cmd_paper"]


def _emit_json(target: str | None, rows: Any, *, overwrite: bool = False) -> bool:
    """Write ``rows`` as JSON to ``target`` (``-``: stdout, then True: nothing else to print)."""
    from .._io import to_jsonable

    if target == "-":
        print(json.dumps(to_jsonable(rows), indent=2, sort_keys=True, allow_nan=False))
        return True
    if target:
        write_json_output(target, rows, overwrite=overwrite)
    return False


def _cmd_paper_scenario_a(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..pipeline.paper import paper_scenario_a

    if args.n_init < 1 or args.n_steps < 1 or any(d < 1 for d in args.d):
        raise ConfigError("--n-init, --n-steps and --d must be integers >= 1")
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
    say(pd.DataFrame(table).to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    return 0


def _cmd_paper_separability(args: argparse.Namespace) -> int:
    from ..pipeline.paper_separability import paper_separability, separability_frame

    if args.n_sets < 1 or any(n < 1 for n in args.N) or any(not 0 < lam <= 10 for lam in args.lam):
        raise ConfigError("--n-sets and --N must be integers >= 1 and --lam numbers in (0, 10]")
    check_json_target(args.json, overwrite=args.overwrite)
    rows = paper_separability(args.N, args.lam, n_sets=args.n_sets, sigma=args.sigma, shift=args.shift,
                              t_max=args.t_max, seed=args.seed, progress=not args.no_progress)
    if _emit_json(args.json, rows, overwrite=args.overwrite):
        return 0
    say(separability_frame(rows).to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    return 0


def cmd_paper(args: argparse.Namespace) -> int:
    from ..pipeline.paper import paper_table1, table1_frame

    if args.study == "scenario-a":
        return _cmd_paper_scenario_a(args)
    if args.study == "separability":
        return _cmd_paper_separability(args)

    if args.n_init < 1 or args.p_grok_draws < 1:
        raise ConfigError("--n-init and --p-grok-draws must be integers >= 1")
    check_json_target(args.json, overwrite=args.overwrite)
    rows = paper_table1(n_init=args.n_init, seed=args.seed, p_grok_draws=args.p_grok_draws,
                        progress=not args.no_progress)
    if _emit_json(args.json, rows, overwrite=args.overwrite):
        return 0
    say(table1_frame(rows).to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    if args.out:
        from ..pipeline.paper import write_table1_report

        out = write_table1_report(rows, args.out)
        say(f"wrote {out / 'report.html'}")
    return 0
