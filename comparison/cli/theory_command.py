"""``grokcheck theory``: one theory's predictions at one setting (registered, a file or a module).

>>> from comparison.cli.parser import build_parser
>>> cmd_theory(build_parser().parse_args(["theory", "eq50", "--d-eff", "3", "--xi", "0.25", "--json"]))  # doctest: +ELLIPSIS
{...
0
"""
from __future__ import annotations

import argparse
from typing import Any

from .._io import dumps_strict
from ..errors import ConfigError
from .outputs import parse_value, print_table, say

__all__ = ["cmd_theory"]

def _theory_inputs(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """The flags given (the theory's own example setting fills the rest) and the measured inputs."""
    config = {k: getattr(args, k) for k in ("D", "N", "eps", "lam1", "lam2") if getattr(args, k) is not None}
    for item in args.set:
        if "=" not in item:
            raise ConfigError(f"--set expects KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        config[k.strip()] = parse_value(v.strip())
    measured = {k: v for k, v in (("d_eff", args.d_eff), ("xi", args.xi), ("d_eff_se", args.d_eff_se),
                                  ("xi_se", args.xi_se)) if v is not None}
    return config, measured


def _list_theories(as_json: bool) -> int:
    from ..registry import all_theories

    rows = [{"name": t.name, "applies_to": list(t.applies_to), "predicts": list(t.quantities),
             "needs": list(t.inputs), "origin": t.origin, "description": t.description} for t in all_theories()]
    if as_json:
        print(dumps_strict(rows))
        return 0
    print_table([(r["name"], f"{r['description']}; applies to {', '.join(r['applies_to'])}; predicts "
                             f"{', '.join(r['predicts'])}" + (f"; needs measured {', '.join(r['needs'])}"
                                                             if r["needs"] else "") + f" ({r['origin']})")
                 for r in rows])
    return 0


def cmd_theory(args: argparse.Namespace) -> int:
    from .._io import strict_jsonable
    from ..pipeline import theory_predictions

    if args.model == "list":
        return _list_theories(args.json)
    config, measured = _theory_inputs(args)
    name, config, preds = theory_predictions(args.model, config, measured)
    out = strict_jsonable({"theory": name, "config": config, "measured": measured,
                       "predictions": {p["quantity"]: {k: v for k, v in p.items() if k != "quantity"}
                                       for p in preds}})
    if args.json:
        print(dumps_strict(out))
        return 0
    say(f"theory {name}")
    print_table([(p["quantity"], _prediction_text(p)) for p in preds])
    return 0


def _prediction_text(p: dict[str, Any]) -> str:
    if p.get("not_testable"):
        return f"not testable: {p['not_testable']}"
    if p.get("law"):
        nums = {k: v for k, v in p["law"].items() if isinstance(v, (int, float))}
        val = "law: " + ", ".join(f"{k} {v:.4g}" for k, v in nums.items())
        choices = p["law"].get("atom_choices") or {}
        val += "".join(f"; atom {c['location']:.4g} ({c['label']})" for c in choices.values()
                       if not c.get("default"))
    else:
        val = f"{p['value']:.6g}" + (f" ± {p['se']:.2g}" if p.get("se") else "")
    kind = "" if p.get("kind") == "estimate" else f" ({p['kind']})"
    return f"{val}{kind}  [{p.get('source', '')}]" + (f"  note: {p['note']}" if p.get("note") else "")
