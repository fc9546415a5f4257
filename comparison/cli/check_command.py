"""``grokcheck check``: property-test a formula against a simulator (a thin face on
:func:`comparison.pipeline.check.check_formula`).

Exit codes: 0 passed (with its power figure), 1 a counterexample found (shrunk, with theory
vs simulation, z and p), 2 bad input (one line), 3 underpowered (no disagreement, but the
run could not have seen one worth the name).
"""
from __future__ import annotations

import argparse

from .._io import dumps_strict
from .outputs import check_json_target, say, write_json_output

__all__ = ["cmd_check", "EXIT_CODES"]

EXIT_CODES = {"passed": 0, "failed": 1, "underpowered": 3}


def cmd_check(args: argparse.Namespace) -> int:
    from ..pipeline.check import check_formula

    check_json_target(args.json, overwrite=args.overwrite)
    to_stdout = args.json == "-"
    out = check_formula(args.formula, simulator=args.simulator, quantity=args.quantity, param_ranges=args.param,
                        max_examples=args.max_examples, replicas=args.replicas, detect=args.detect,
                        seed=args.seed, progress=not args.no_progress, echo=not to_stdout)
    if args.json is not None and not to_stdout:
        write_json_output(args.json, out, overwrite=args.overwrite)
    if to_stdout:
        print(dumps_strict(out))
    else:
        say(f"{out['formula']} vs {out['simulator']} ({out['quantity']}):")
        say(out["message"])
        if args.json is not None:
            say(f"wrote {args.json}")
    return EXIT_CODES[out["verdict"]]
