"""The ``grokcheck`` commands: each loads its arguments, calls the pipeline, prints.

Heavy packages are imported inside the commands only, so ``grokcheck --help``
stays fast.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from typing import Any

from .._io import dumps_strict
from ..errors import ConfigError

from .fit_rows import fit_digest, fit_rows
from .outputs import (check_figure_targets, check_json_target, check_report_out, parse_value, print_table, say,
                      write_figure_output, write_json_output)
from .paper_commands import cmd_paper
from .check_command import cmd_check
from .theory_command import cmd_theory

__all__ = ["COMMANDS"]


def _read_toml(path: str) -> dict[str, Any]:
    import tomllib

    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path!r} not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path!r} is not valid TOML: {exc}") from exc
    if "simulate" in data and isinstance(data["simulate"], dict):
        data = data["simulate"]
    return dict(data)


def _simulate_params(args: argparse.Namespace) -> dict[str, Any]:
    from ..simulators import SIMULATORS

    params: dict[str, Any] = _read_toml(args.config) if args.config else {}
    for p in SIMULATORS[args.simulator].params:
        if p.flag and getattr(args, p.name, None) is not None:
            params[p.name] = getattr(args, p.name)
    if getattr(args, "seed", None) is not None:
        params["seed"] = args.seed
    params.setdefault("seed", 0)
    for item in args.set:
        if "=" not in item:
            raise ConfigError(f"--set expects KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        params[k.strip()] = parse_value(v.strip())
    return params


def cmd_simulate(args: argparse.Namespace) -> int:
    from ..pipeline import simulate_runset
    from ..runset import check_replaceable

    if os.path.lexists(args.out) and not args.overwrite:
        raise ConfigError(f"output path {args.out!r} exists; choose another --out or pass --overwrite")
    check_replaceable(args.out)  # before reading configs or simulating
    params = _simulate_params(args)
    t0 = time.perf_counter()
    path, result = simulate_runset(args.simulator, params, args.out, overwrite=args.overwrite,
                                   progress=not args.no_progress,
                                   extra_manifest={"cli": {"command": "simulate", "simulator": args.simulator,
                                                           "parameters": params}})
    n = int(result.summary["run"].nunique())
    say(f"wrote run set {str(path)!r}: {n} runs in {time.perf_counter() - t0:.1f} s")
    return 0


def _load_options(args: argparse.Namespace) -> dict[str, Any]:
    cols = {"time": args.time_col, "error": args.error_col, "accuracy": args.accuracy_col,
            "train_error": args.train_error_col, "train_accuracy": args.train_accuracy_col, "run": args.run_col,
            "test_loss": args.test_loss_col, "train_loss": args.train_loss_col,
            "measures": list(getattr(args, "measure_col", None) or ()) or None}
    tol: Any = args.tolerance
    if tol != "auto":
        try:
            tol = float(tol)
        except ValueError as exc:
            raise ConfigError(f"--tolerance must be 'auto' or a number in [0, 1), got {tol!r}") from exc
    if args.zero_tol is not None:
        tol = args.zero_tol
    if tol != "auto" and not (math.isfinite(tol) and 0 <= tol < 1):
        raise ConfigError(f"--tolerance (zero_tol) must be 'auto' or a finite number in [0, 1), got {tol!r}")
    if args.loss_threshold is not None and not math.isfinite(args.loss_threshold):
        raise ConfigError(f"--loss-threshold must be a finite number, got {args.loss_threshold!r}")
    return {"columns": {k: v for k, v in cols.items() if v is not None} or None, "scale": args.scale,
            "transition": args.transition, "tolerance": tol, "time_unit": args.time_unit,
            "loss_threshold": args.loss_threshold}


def _nu_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    from ..estimate import NuFitter

    # only what differs from NuFitter's defaults: then `fit` and `report` (no --n-boot) record the same
    # options, and a report reads the fits that `grokcheck fit` wrote instead of refitting
    kw: dict[str, Any] = {"n_boot": args.n_boot} if args.n_boot != 200 else {}
    if args.zero_tol is not None:
        kw["zero_tol"] = args.zero_tol
    if args.window:
        kw["window"] = tuple(args.window)
    NuFitter(**kw)._check_params()  # refuse bad options before reading anything
    return kw


def _cmd_fit_sweep(args: argparse.Namespace) -> int:
    from .._io import write_json_atomic
    from ..pipeline import default_fits_path, fit_sweep
    from ..sweep import load_sweep

    if args.figures:
        raise ConfigError("--figures is not supported for a sweep directory; use 'grokcheck report'")
    loaded = load_sweep(args.input)
    if not loaded.runsets:
        raise ConfigError(f"sweep {args.input!r} has no finished task yet; run 'grokcheck sweep' first")
    check_json_target(args.json, overwrite=args.overwrite)
    digest, table, _ = fit_sweep(loaded, nu_kwargs=_nu_kwargs(args), seed=args.seed)
    out = args.out or default_fits_path(args.input)
    write_json_atomic(out, digest)
    if args.json is not None and args.json != "-":
        write_json_output(args.json, digest, overwrite=args.overwrite)
    if args.json == "-":
        print(dumps_strict(digest))
    else:
        say(table.to_string(index=False, na_rep="–", float_format=lambda x: f"{x:.4g}"))
        say(f"wrote {out}")
    return 0


def _write_fit_figures(a: Any, directory: str, *, overwrite: bool) -> None:
    from ..report.fit_figures import FIT_FIGURES, fit_figure_pngs

    check_figure_targets(directory, list(FIT_FIGURES), overwrite=overwrite)
    for name, png in fit_figure_pngs(a):
        write_figure_output(directory, name, png)


def cmd_fit(args: argparse.Namespace) -> int:
    from ..pipeline import fit_runset
    from ..sweep import is_sweep_dir

    if len(args.input) == 1 and is_sweep_dir(args.input[0]):
        args.input = args.input[0]
        return _cmd_fit_sweep(args)
    path = args.input[0] if len(args.input) == 1 else args.input
    check_json_target(args.json, overwrite=args.overwrite)
    if args.figures:
        from ..report.fit_figures import FIT_FIGURES

        check_figure_targets(args.figures, list(FIT_FIGURES), overwrite=args.overwrite)
    a, target = fit_runset(path, out=args.out, nu_kwargs=_nu_kwargs(args), seed=args.seed,
                           load=_load_options(args), theories=args.theory, overwrite=args.overwrite)
    if args.figures:
        _write_fit_figures(a, args.figures, overwrite=args.overwrite)
    if args.json is not None and args.json != "-":
        write_json_output(args.json, fit_digest(a, target), overwrite=args.overwrite)
    if args.json == "-":
        print(dumps_strict(fit_digest(a, target)))
    else:
        print_table(fit_rows(a))
        say(f"wrote {target}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from ..pipeline import analyses_for, paper_data_cached, write_full_report
    from ..report.document import FORMATS

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    if not formats or any(f not in FORMATS for f in formats):
        raise ConfigError(f"--format must be a comma-separated subset of {','.join(FORMATS)}, got {args.format!r}")
    check_report_out(args.out, formats, overwrite=args.overwrite)
    analyses, hooks = analyses_for(args.inputs, seed=args.seed, progress=not args.no_progress,
                                   load=_load_options(args), theories=args.theory)
    paper = None
    if args.paper:
        paper = paper_data_cached(args.out, n_replicas=args.paper_replicas, seed=args.seed,
                                  progress=not args.no_progress)
    out = write_full_report(analyses, args.out, title=args.title, paper=paper, summaries=hooks, formats=formats,
                            overwrite=args.overwrite, progress=not args.no_progress)
    n_dis = sum(int(a.verdicts["verdict"].isin(["disagrees", "bound violated"]).sum())
                for a in analyses if len(a.verdicts))
    files = " and ".join(str(out / f"report.{f}") for f in formats)
    say(f"wrote {files} ({n_dis} disagreement(s) with theory)")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from ..sweep import run_sweep

    res = run_sweep(args.config, args.out, scheduler=args.scheduler, n_workers=args.workers,
                    retries=args.retries, progress=not args.no_progress)
    say(f"sweep {args.out!r}: {res.n_done}/{res.n_tasks} tasks done ({res.n_skipped} already done, "
          f"{res.n_run} run now) in {res.wall_s:.1f} s on {res.executor}")
    for r in res.failed:
        say(f"grokcheck: task {r['index']} ({r['path']}, seed {r['seed']}) failed after {r['attempts']} "
              f"attempt(s): {r['error']}", file=sys.stderr)
    if res.n_failed:
        say(f"grokcheck: {res.n_failed} task(s) failed (details in {os.path.join(args.out, 'sweep.json')}); "
              "re-run the same command to retry them", file=sys.stderr)
        return 3
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ..pipeline import run_demo

    run_demo(args.out, quick=args.quick, progress=not args.no_progress)
    return 0


COMMANDS = {"theory": cmd_theory, "simulate": cmd_simulate, "fit": cmd_fit, "report": cmd_report,
            "demo": cmd_demo, "sweep": cmd_sweep, "paper": cmd_paper, "check": cmd_check}
