"""The ``grokcheck`` command line (also ``python -m comparison``).

    grokcheck theory ball --D 10 --N 10 --eps 1.01 --lam2 0.1 [--json]
    grokcheck simulate perceptron-ball --D 5 --N 10 --eps 2 --lam2 0.01 --out runs/ball
    grokcheck fit runs/ball            (or an external table: runs.csv / runs.parquet)
    grokcheck report runs/ball runs/exp --out report/
    grokcheck demo [--out grokcheck-demo]
    grokcheck sweep sweep.toml --out sweeps/a [--scheduler tcp://host:8786] [--workers N]

Only the standard library is imported at module level, so ``grokcheck --help``
is fast; numpy/pandas/scipy/torch are imported by the subcommand that needs them.
Errors are one line on stderr (``grokcheck: error: ...``) and exit code 2.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

__all__ = ["main", "build_parser", "SIMULATORS"]

# name -> (module, function, description)
SIMULATORS: dict[str, tuple[str, str, str]] = {
    "perceptron-1d": ("perceptron_theory", "simulate_exponential", "1D exponential perceptron (paper sec. 3.2)"),
    "perceptron-ball": ("perceptron_theory", "simulate_ball", "D-dimensional uniform-ball perceptron (sec. 3.3)"),
    "scenario-b": ("local_rules", "run_scenario_b", "tensor-network attention, fixed context tensors (sec. 4.3.1)"),
    "scenario-a": ("local_rules", "run_scenario_a", "tensor-network attention, full training (sec. 4.3.2)"),
    "rfm": ("modular_rfm", "run_rfm", "recursive feature machine on modular arithmetic"),
}

# flags per simulator: (flag, dest, type, help)
_SIM_FLAGS: dict[str, list[tuple[str, str, Any, str]]] = {
    "perceptron-1d": [("--N", "N", int, "samples per class"), ("--eps", "eps", float, "class gap half-width"),
                      ("--lam1", "lam1", float, "L1 strength"), ("--lam2", "lam2", float, "L2 strength"),
                      ("--replicas", "n_replicas", int, "number of training sets"),
                      ("--b0", "b0", float, "initial bias (default: max positive sample + 1)")],
    "perceptron-ball": [("--D", "D", int, "input dimension"), ("--N", "N", int, "samples per class"),
                        ("--eps", "eps", float, "ball shift"), ("--lam1", "lam1", float, "L1 strength"),
                        ("--lam2", "lam2", float, "L2 strength"),
                        ("--replicas", "n_replicas", int, "number of replicas")],
    "scenario-b": [("--A", "A", str, "context tensors: example1/example2/example3"),
                   ("--rule", "rule", int, "Wolfram rule number"), ("--K", "K", int, "locality"),
                   ("--lam1", "lam1", float, "L1 strength"), ("--lam2", "lam2", float, "L2 strength"),
                   ("--n-init", "n_init", int, "classifier initialisations")],
    "scenario-a": [("--d", "d", int, "bond dimension"), ("--K", "K", int, "locality"),
                   ("--rule", "rule", int, "Wolfram rule number"),
                   ("--lam1", "lam1", float, "L1 strength"), ("--lam2", "lam2", float, "L2 strength"),
                   ("--n-init", "n_init", int, "initialisations"), ("--n-steps", "n_steps", int, "Adam steps"),
                   ("--lr", "lr", float, "learning rate"), ("--device", "device", str, "torch device")],
    "rfm": [("--p", "p", int, "prime modulus"), ("--op", "op", str, "operation (+, -, *, /)"),
            ("--train-frac", "train_frac", float, "training fraction"),
            ("--n-iter", "n_iter", int, "AGOP iterations"), ("--n-runs", "n_runs", int, "independent splits")],
}


class CLIError(Exception):
    """A user-facing error: printed as one line, exit code 2."""


# ---------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="grokcheck",
        description="Test theories of grokking against simulations: simulate, fit exponents and laws, "
                    "compare with the perceptron theory, report.",
        epilog="Run 'grokcheck COMMAND --help' for the options of a command. Docs: docs/comparison.md.")
    p.add_argument("--traceback", action="store_true", help="show the full traceback on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    # theory
    th = sub.add_parser("theory", help="theory predictions (nu, P_grok, t_G law)",
                        description="Predictions of the perceptron theory for one setting.")
    th.add_argument("model", choices=["ball", "1d", "eq50"],
                    help="ball: D-ball model; 1d: exponential model; eq50: nu = (D_eff+1)/2 - xi")
    th.add_argument("--D", type=int, default=10, help="ball dimension (default 10)")
    th.add_argument("--N", type=int, default=10, help="samples per class (default 10)")
    th.add_argument("--eps", type=float, default=None, help="separation (default 1.01 ball, 0.4 1d)")
    th.add_argument("--lam1", type=float, default=0.0, help="L1 strength")
    th.add_argument("--lam2", type=float, default=None, help="L2 strength (default 0.1 ball, 0 1d)")
    th.add_argument("--d-eff", type=float, default=None, help="effective dimension (eq50)")
    th.add_argument("--xi", type=float, default=0.0, help="boundary-density exponent (eq50)")
    th.add_argument("--json", action="store_true", help="print JSON")

    # simulate
    sim = sub.add_parser("simulate", help="run a simulator and write a run set",
                         description="Run a simulator and write its output as a run set directory "
                                     "(written atomically: an interrupted run leaves nothing).")
    simsub = sim.add_subparsers(dest="simulator", metavar="SIMULATOR")
    simsub.required = True
    for name, (_, _, desc) in SIMULATORS.items():
        sp = simsub.add_parser(name, help=desc, description=desc)
        sp.add_argument("--out", required=True, help="run-set directory to create")
        sp.add_argument("--config", help="TOML file with the simulator's parameters (flags override it)")
        sp.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
        for flag, dest, typ, hlp in _SIM_FLAGS[name]:
            sp.add_argument(flag, dest=dest, type=typ, default=None, help=hlp)
        sp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="any other simulator parameter (value parsed as JSON, else string)")
        sp.add_argument("--overwrite", action="store_true", help="replace an existing run set")
        sp.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    # fit
    fit = sub.add_parser("fit", help="fit nu, t_G law and feature quantities of a run set or table",
                         description="Fit a run set directory or an external table (.csv/.parquet with "
                                     "columns run, t, test_error[, train_error]).")
    fit.add_argument("input", metavar="RUNSET|TABLE")
    fit.add_argument("--out", default="fits.json", help="where to write the fits (default ./fits.json)")
    fit.add_argument("--zero-tol", type=float, default=0.0, help="an error <= this counts as zero (tables)")
    fit.add_argument("--window", type=float, nargs=2, metavar=("TAU_LO", "TAU_HI"), help="fixed nu fit window")
    fit.add_argument("--n-boot", type=int, default=200, help="bootstrap resamples for the nu CI")
    fit.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    fit.add_argument("--json", action="store_true", help="print the fits as JSON instead of a table")
    fit.add_argument("--figures", metavar="DIR", help="also write the goodness-of-fit and t_G figures (PNG) here")

    # report
    rep = sub.add_parser("report", help="write report.md, report.html and figures",
                         description="Analyse run sets and write a self-contained report.")
    rep.add_argument("inputs", nargs="+", metavar="RUNSET")
    rep.add_argument("--out", required=True, help="output directory")
    rep.add_argument("--title", default="grokcheck report")
    rep.add_argument("--seed", type=int, default=0)
    rep.add_argument("--paper", action="store_true",
                     help="add the paper-figure sections (simulation beside theory; takes minutes)")
    rep.add_argument("--paper-replicas", type=int, default=400, help="replicas per point of the paper sections")
    rep.add_argument("--no-progress", action="store_true")

    # sweep
    sw = sub.add_parser("sweep", help="run or resume a parameter sweep (locally or on a dask cluster)",
                        description="Run a grid of simulator settings times seed chunks; each task writes its "
                                    "own run set. Re-running the same command resumes. See docs/cluster.md.")
    sw.add_argument("config", metavar="CONFIG.toml", help="sweep config ([sweep], [fixed], [grid], [[cases]])")
    sw.add_argument("--out", required=True, help="sweep directory (created, or resumed if it exists)")
    sw.add_argument("--scheduler", metavar="ADDRESS", help="submit to a running dask scheduler, e.g. tcp://host:8786")
    sw.add_argument("--workers", type=int, default=None,
                    help="local worker processes (default: all cores; 0 = serial in this process)")
    sw.add_argument("--retries", type=int, default=2, help="re-submissions of a failing task (default 2)")
    sw.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    # demo
    demo = sub.add_parser("demo", help="end-to-end demo on an embedded default (<= 5 min on 2 cores)",
                          description="Perceptron verification table, perceptron run sets, scenario B "
                                      "on the paper's Example 1 (when available), fit and report.")
    demo.add_argument("--out", default="grokcheck-demo", help="output directory (default ./grokcheck-demo)")
    demo.add_argument("--quick", action="store_true", help="smaller sample sizes (about a minute)")
    demo.add_argument("--no-progress", action="store_true")
    return p


# ---------------------------------------------------------------------- helpers
def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _read_toml(path: str) -> dict[str, Any]:
    import tomllib

    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise CLIError(f"config file {path!r} not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CLIError(f"config file {path!r} is not valid TOML: {exc}") from exc
    if "simulate" in data and isinstance(data["simulate"], dict):
        data = data["simulate"]
    return dict(data)


def _load_simulator(name: str) -> Any:
    import importlib

    if name in SIMULATORS:
        mod_name, fn_name, _ = SIMULATORS[name]
    elif ":" in name:  # a custom simulator "package.module:function" (used by sweeps)
        mod_name, fn_name = name.split(":", 1)
    else:
        raise CLIError(f"unknown simulator {name!r}; use one of {sorted(SIMULATORS)} or 'package.module:function'")
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as exc:
        raise CLIError(f"simulator {name!r} needs the package {mod_name!r}, which cannot be imported: {exc}") from exc
    fn = getattr(mod, fn_name, None)
    if fn is None:
        raise CLIError(f"simulator {name!r} is not available in this installation "
                       f"({mod_name}.{fn_name} is not implemented yet)")
    return fn


def _call_simulator(name: str, params: dict[str, Any], progress: bool) -> Any:
    fn = _load_simulator(name)
    return fn(**_check_params(name, fn, params, progress))


def _check_params(name: str, fn: Any, params: dict[str, Any], progress: bool) -> dict[str, Any]:
    """Refuse unknown or missing parameters of simulator ``fn``; add ``progress``."""
    import inspect

    sig = inspect.signature(fn)
    has_var_kw = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())
    unknown = [k for k in params if k not in sig.parameters]
    if unknown and not has_var_kw:
        allowed = [k for k in sig.parameters if k != "progress"]
        raise CLIError(f"unknown parameter(s) {unknown} for {name}; allowed: {allowed}")
    missing = [k for k, p in sig.parameters.items()
               if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and k not in params]
    if missing:
        flags = {dest: flag for flag, dest, _, _ in _SIM_FLAGS.get(name, [])}
        need = ", ".join(flags.get(k, f"--set {k}=...") for k in missing)
        raise CLIError(f"{name} needs {need} (or the key(s) {missing} in --config)")
    if "progress" in sig.parameters:
        params = {**params, "progress": progress}
    return params


def _print_table(rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows) if rows else 0
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")


# ---------------------------------------------------------------------- commands
def cmd_theory(args: argparse.Namespace) -> int:
    from ._runset import to_jsonable
    from ._theory import predict_ball, predict_exponential, predict_nu_eq50

    if args.model == "ball":
        eps = 1.01 if args.eps is None else args.eps
        lam2 = 0.1 if args.lam2 is None else args.lam2
        out = predict_ball(args.D, args.N, eps, args.lam1, lam2)
    elif args.model == "1d":
        eps = 0.4 if args.eps is None else args.eps
        lam2 = 0.0 if args.lam2 is None else args.lam2
        out = predict_exponential(args.N, eps, args.lam1, lam2)
    else:
        if args.d_eff is None:
            raise CLIError("theory eq50 needs --d-eff")
        out = {"model": "eq50", "d_eff": args.d_eff, "xi": args.xi, **predict_nu_eq50(args.d_eff, args.xi),
               "nu_source": "Eq. 50 with D -> D_eff"}
    out = to_jsonable(out)
    if args.json:
        print(json.dumps(out, indent=2, sort_keys=True))
        return 0
    rows = []
    for k, v in out.items():
        if isinstance(v, dict):
            for k2, v2 in v.items():
                rows.append((f"{k}.{k2}", f"{v2:.6g}" if isinstance(v2, float) else str(v2)))
        else:
            rows.append((k, f"{v:.6g}" if isinstance(v, float) else str(v)))
    _print_table(rows)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    out = args.out
    if os.path.lexists(out) and not args.overwrite:
        raise CLIError(f"output path {out!r} exists; choose another --out or pass --overwrite")
    from ._runset import check_replaceable

    try:
        check_replaceable(out)  # before any work: --overwrite only ever replaces a run set
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    params: dict[str, Any] = _read_toml(args.config) if args.config else {}
    for _, dest, _, _ in _SIM_FLAGS[args.simulator]:
        val = getattr(args, dest)
        if val is not None:
            params[dest] = val
    if args.seed is not None:
        params["seed"] = args.seed
    params.setdefault("seed", 0)
    for item in args.set:
        if "=" not in item:
            raise CLIError(f"--set expects KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        params[k.strip()] = _parse_value(v.strip())
    _load_simulator(args.simulator)  # fail fast, before any work
    t0 = time.perf_counter()
    result = _call_simulator(args.simulator, params, progress=not args.no_progress)
    from ._runset import write_runset

    path = write_runset(result, out, overwrite=args.overwrite,
                        extra_manifest={"cli": {"command": "simulate", "simulator": args.simulator,
                                                "parameters": params}})
    n = int(result.summary["run"].nunique())
    print(f"wrote run set {str(path)!r}: {n} runs in {time.perf_counter() - t0:.1f} s")
    return 0


def _fit_rows(a: Any) -> list[tuple[str, str]]:
    rows = [("run set", a.name), ("generator", a.generator),
            ("runs / grokking / diverged", f"{a.counts['n_runs']} / {a.counts['n_groks']} / {a.counts['n_diverged']}"),
            ("P_grok", f"{a.counts['p_grok']:.4g} ± {a.counts['p_grok_se']:.2g}")]
    if a.nu is not None:
        f = a.nu
        rows += [("nu", f"{f.nu_:.4f}  [{f.nu_ci_[0]:.4f}, {f.nu_ci_[1]:.4f}] (95% bootstrap)"),
                 ("nu window", f"[{f.window_[0]:.4g}, {f.window_[1]:.4g}]  ({f.window_rule_})"),
                 ("nu window sensitivity", f"± {f.nu_window_spread_:.3g}"),
                 ("nu fit R^2", f"{f.gof_['r2']:.6f}")]
    else:
        rows.append(("nu", f"not fitted: {a.nu_error}"))
    if a.t_G.size:
        import numpy as np

        rows.append(("t_G mean / median", f"{np.mean(a.t_G):.4g} / {np.median(a.t_G):.4g} (n = {a.t_G.size})"))
    if a.bimodality is not None:
        b = a.bimodality
        rows.append(("t_G bimodal", f"{'yes' if b.bimodal else 'no'} (Delta-BIC {b.delta_bic:.1f}, "
                                    f"{b.n_modes} mode(s))"))
    for k in ("d_eff", "xi", "eps", "nu_margin"):
        if k in a.features:
            se = a.features.get(f"{k}_se")
            rows.append((k, f"{a.features[k]:.4g}" + (f" ± {se:.2g}" if se is not None else "")))
    if a.spectrum is not None:
        rows.append(("G spectrum gap ratio", f"{a.spectrum.ratio:.3g} ({'split' if a.spectrum.split else 'no split'})"))
    for r in a.verdicts.itertuples(index=False):
        z = "" if r.z != r.z else f", z = {r.z:+.2f}"
        rows.append((f"verdict: {r.quantity}", f"{r.verdict} (measured {r.measured:.4g}, predicted "
                                               f"{r.predicted:.4g}{z})"))
    return rows


def cmd_sweep(args: argparse.Namespace) -> int:
    from .sweep import run_sweep

    res = run_sweep(args.config, args.out, scheduler=args.scheduler, n_workers=args.workers,
                    retries=args.retries, progress=not args.no_progress)
    print(f"sweep {args.out!r}: {res.n_done}/{res.n_tasks} tasks done ({res.n_skipped} already done, "
          f"{res.n_run} run now) in {res.wall_s:.1f} s on {res.executor}")
    for r in res.failed:
        print(f"grokcheck: task {r['index']} ({r['path']}, seed {r['seed']}) failed after {r['attempts']} "
              f"attempt(s): {r['error']}", file=sys.stderr)
    if res.n_failed:
        print(f"grokcheck: {res.n_failed} task(s) failed (details in {os.path.join(args.out, 'sweep.json')}); "
              "re-run the same command to retry them", file=sys.stderr)
        return 3
    return 0


def _cmd_fit_sweep(args: argparse.Namespace) -> int:
    from ._sweep_report import fit_sweep
    from .sweep import load_sweep

    if args.figures:
        raise CLIError("--figures is not supported for a sweep directory; use 'grokcheck report'")
    nu_kwargs: dict[str, Any] = {"n_boot": args.n_boot, "zero_tol": args.zero_tol}
    if args.window:
        nu_kwargs["window"] = tuple(args.window)
    loaded = load_sweep(args.input)
    if not loaded.runsets:
        raise CLIError(f"sweep {args.input!r} has no finished task yet; run 'grokcheck sweep' first")
    digest, table = fit_sweep(loaded, nu_kwargs=nu_kwargs, seed=args.seed)
    _write_json_atomic(args.out, digest)
    if args.json:
        print(json.dumps(digest, indent=2, sort_keys=True))
    else:
        print(table.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
        print(f"wrote {args.out}")
    return 0


def cmd_fit(args: argparse.Namespace) -> int:
    from ._agreement import analyse
    from ._runset import load_any
    from .sweep import is_sweep_dir

    if is_sweep_dir(args.input):
        return _cmd_fit_sweep(args)

    rs = load_any(args.input, zero_tol=args.zero_tol)
    nu_kwargs: dict[str, Any] = {"n_boot": args.n_boot, "zero_tol": args.zero_tol}
    if args.window:
        nu_kwargs["window"] = tuple(args.window)
    a = analyse(rs, nu_kwargs=nu_kwargs, seed=args.seed, keep_curves=False)
    digest = a.as_dict()
    _write_json_atomic(args.out, digest)
    if args.figures:
        from pathlib import Path

        from ._report import _setup_mpl, fig_sensitivity, fig_t_G

        _setup_mpl()
        d = Path(args.figures)
        d.mkdir(parents=True, exist_ok=True)
        figs = []
        if a.nu is not None:
            figs += [("nu-fit", a.nu.plot(title=f"{a.name}: aligned test error")), ("nu-sensitivity", fig_sensitivity(a))]
        if a.t_G.size >= 3:
            figs.append(("t-G", fig_t_G(a)))
        import matplotlib.pyplot as plt

        for name, fig in figs:
            fig.savefig(d / f"{name}.png", dpi=110, metadata={"Software": None})
            plt.close(fig)
    if args.json:
        print(json.dumps(digest, indent=2, sort_keys=True))
    else:
        _print_table(_fit_rows(a))
        print(f"wrote {args.out}")
    return 0


def _write_json_atomic(path: str, data: Any) -> None:
    import tempfile

    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".fits-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def cmd_report(args: argparse.Namespace) -> int:
    from ._report import report_runsets
    from ._runset import load_any

    from ._sweep_report import summary_section
    from .sweep import is_sweep_dir, load_sweep

    runsets, summaries = [], []
    for p in args.inputs:
        if is_sweep_dir(p):  # one run set per setting, plus a table across settings
            loaded = load_sweep(p)
            if not loaded.runsets:
                raise CLIError(f"sweep {p!r} has no finished task yet; run 'grokcheck sweep' first")
            summaries.append(summary_section(loaded, len(runsets)))
            runsets.extend(loaded.runsets)
        else:
            runsets.append(load_any(p))
    names = [rs.name for rs in runsets]
    if len(set(names)) != len(names):
        raise CLIError(f"run-set names must be distinct in one report, got {names}")
    extra = []
    if args.paper:
        from ._paper import paper_sections

        extra = paper_sections(n_replicas=args.paper_replicas, seed=args.seed, progress=not args.no_progress)
    out, analyses = report_runsets(runsets, args.out, title=args.title, seed=args.seed, extra_sections=extra,
                                   progress=not args.no_progress, summaries=summaries)
    n_dis = sum(int((a.verdicts["verdict"] == "disagrees").sum()) for a in analyses if len(a.verdicts))
    print(f"wrote {out / 'report.md'} and {out / 'report.html'} ({n_dis} disagreement(s) with theory)")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ._demo import run_demo

    run_demo(args.out, quick=args.quick, progress=not args.no_progress)
    return 0


_COMMANDS = {"theory": cmd_theory, "simulate": cmd_simulate, "fit": cmd_fit, "report": cmd_report,
             "demo": cmd_demo, "sweep": cmd_sweep}


def _one_line(exc: BaseException) -> str:
    msg = str(exc).strip().replace("\n", " ") or exc.__class__.__name__
    if isinstance(exc, FileNotFoundError) and exc.filename and str(exc.filename) not in msg:
        msg = f"{msg}: {exc.filename}"
    return msg


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``grokcheck`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except BrokenPipeError:  # e.g. `grokcheck theory ball | head`
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except KeyboardInterrupt:
        print("grokcheck: interrupted (nothing half-written was left behind)", file=sys.stderr)
        return 130
    except (CLIError, ValueError, FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError,
            FileExistsError) as exc:
        if args.traceback:
            raise
        print(f"grokcheck: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # unexpected: still one line, but say it is internal
        if args.traceback:
            raise
        print(f"grokcheck: internal error: {exc.__class__.__name__}: {_one_line(exc)} "
              "(rerun with --traceback for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
