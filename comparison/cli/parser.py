"""Argument parsing of the ``grokcheck`` command line (standard library only).

The ``simulate`` options come from the simulator registry
(:mod:`comparison.simulators`): one flag per declared parameter with a flag.
"""
from __future__ import annotations

import argparse
from collections.abc import Sequence

from ..simulators import SIMULATORS

__all__ = ["build_parser"]


def _theory(sub: argparse._SubParsersAction) -> None:
    th = sub.add_parser("theory", help="theory predictions (nu, P_grok, t_G law)",
                        description="Predictions of one theory for one setting: a registered theory "
                                    "(ball, 1d, eq50, margin, or an installed plug-in) or a user's theory "
                                    "file (FILE.py, FILE.py:NAME, package.module:NAME).")
    th.add_argument("model", metavar="THEORY",
                    help="ball: D-ball model; 1d: exponential model; eq50: nu = (D_eff+1)/2 - xi; or FILE.py; "
                         "'list': every registered theory")
    th.add_argument("--D", type=int, default=None, help="ball dimension (ball's example: 10)")
    th.add_argument("--N", type=int, default=None, help="samples per class (example: 10)")
    th.add_argument("--eps", type=float, default=None, help="separation (example: 1.01 ball, 0.4 1d)")
    th.add_argument("--lam1", type=float, default=None, help="L1 strength (example: 0)")
    th.add_argument("--lam2", type=float, default=None, help="L2 strength (example: 0.1 ball, 0 1d)")
    th.add_argument("--d-eff", type=float, default=None, help="measured effective dimension (eq50, required)")
    th.add_argument("--d-eff-se", type=float, default=None, help="its standard error")
    th.add_argument("--xi", type=float, default=None, help="measured boundary-density exponent (eq50, required: "
                                                          "there is no default)")
    th.add_argument("--xi-se", type=float, default=None, help="its standard error")
    th.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="any other config value (parsed as JSON, else string)")
    th.add_argument("--json", action="store_true", help="print JSON")


def _simulate(sub: argparse._SubParsersAction) -> None:
    sim = sub.add_parser("simulate", help="run a simulator and write a run set",
                         description="Run a simulator and write its output as a run set directory "
                                     "(written atomically: an interrupted run leaves nothing).")
    simsub = sim.add_subparsers(dest="simulator", metavar="SIMULATOR")
    simsub.required = True
    for name, spec in SIMULATORS.items():
        sp = simsub.add_parser(name, help=spec.description, description=spec.description)
        sp.add_argument("--out", required=True, help="run-set directory to create")
        sp.add_argument("--config", help="TOML file with the simulator's parameters (flags override it)")
        for p in spec.params:
            if p.flag:
                sp.add_argument(p.flag, dest=p.name, type=p.kind, default=None,
                                help=f"{p.help} ({p.range_text()})")
        if spec.param("seed") is not None:
            sp.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
        sp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="any other simulator parameter (value parsed as JSON, else string)")
        sp.add_argument("--overwrite", action="store_true",
                        help="replace an existing run set (never anything grokcheck did not write)")
        sp.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _load_options(p: argparse.ArgumentParser) -> None:
    """How to read training logs (tables): columns, scale, transition definition."""
    g = p.add_argument_group("reading logs (tables)", "Each file is one run unless it has a run column. "
                             "Formats: .csv, .tsv, .parquet, .json (records or a dict of lists), .jsonl, "
                             ".npy, .npz (one array per metric; 2-D = runs x steps; no time array: the index "
                             "is the time).")
    g.add_argument("--time-col", metavar="COL", help="time column (default t), e.g. step or epoch")
    te = g.add_mutually_exclusive_group()
    te.add_argument("--error-col", metavar="COL", help="test error column (default test_error)")
    te.add_argument("--accuracy-col", metavar="COL", help="test accuracy column (error = 1 - accuracy)")
    tr = g.add_mutually_exclusive_group()
    tr.add_argument("--train-error-col", metavar="COL", help="training error column (default train_error)")
    tr.add_argument("--train-accuracy-col", metavar="COL", help="training accuracy column")
    g.add_argument("--run-col", metavar="COL", help="run id column (default run, if present)")
    g.add_argument("--scale", choices=["fraction", "percent", "auto"], default="auto",
                   help="values in [0, 1] or in percent; auto refuses ambiguous data (default auto)")
    g.add_argument("--time-unit", metavar="UNIT", help="label of the time axis (e.g. step), for display only")
    g.add_argument("--transition", choices=["first", "sustained", "last-entry"], default="first",
                   help="t_eps = first time error <= tolerance; sustained: stays there to the end; last-entry: "
                        "start of the last stretch at <= tolerance (default first)")
    g.add_argument("--tolerance", default="auto", metavar="TOL",
                   help="an error <= TOL counts as zero; default auto: one test example when the test-set "
                        "quantum can be inferred from the values, else 0")
    g.add_argument("--zero-tol", type=float, default=None, help=argparse.SUPPRESS)  # older name of --tolerance
    g.add_argument("--test-loss-col", metavar="COL", help="test (validation) loss column: loss-based onsets; a "
                   "loss is never read as an error rate")
    g.add_argument("--train-loss-col", metavar="COL", help="training loss column: loss-based onsets")
    g.add_argument("--measure-col", action="append", metavar="COL",
                   help="a progress measure column (weight norm, restricted loss, IPR; repeatable): shown aligned "
                        "at the S-curve onset with its lead time")
    g.add_argument("--loss-threshold", type=float, default=None, metavar="LOSS",
                   help="loss-based onset = first time the loss is <= LOSS (no default: a loss has no natural zero)")


def _theory_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--theory", action="append", default=[], metavar="THEORY",
                   help="also judge this theory (FILE.py, FILE.py:NAME, package.module:NAME or a registered "
                        "name; repeatable): one verdict row per quantity it predicts, naming it")


def _fit_and_report(sub: argparse._SubParsersAction) -> None:
    fit = sub.add_parser("fit", help="fit nu, t_G law and feature quantities of a run set or training logs",
                         description="Fit a run set directory, a sweep directory, or training logs "
                                     "(one or more files fitted together as one run set).")
    fit.add_argument("input", nargs="+", metavar="RUNSET|SWEEP|LOG")
    fit.add_argument("--out", default=None,
                     help="where to write the fits (default: RUNSET/fits.json, SWEEP/fits.json, LOG.fits.json; "
                          "several logs: FIRST.Nlogs-HASH.fits.json next to the first)")
    fit.add_argument("--window", type=float, nargs=2, metavar=("TAU_LO", "TAU_HI"), help="fixed nu fit window")
    fit.add_argument("--n-boot", type=int, default=200, help="bootstrap resamples for the nu CI")
    fit.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    fit.add_argument("--json", nargs="?", const="-", default=None, metavar="FILE",
                     help="write the fit result as JSON to FILE ('-' or no FILE: print it instead of the table)")
    fit.add_argument("--figures", metavar="DIR", help="also write the goodness-of-fit and t_G figures (PNG) here")
    fit.add_argument("--overwrite", action="store_true",
                     help="let --json FILE and --figures DIR replace files that grokcheck did not write")
    _theory_option(fit)
    _load_options(fit)

    rep = sub.add_parser("report", help="write report.md, report.html and figures",
                         description="Write a self-contained report of run sets; existing up-to-date fits "
                                     "(fits.json) are read, missing ones are computed once. Log files given "
                                     "together form one run set (each file one run unless it has a run column).")
    rep.add_argument("inputs", nargs="+", metavar="RUNSET|SWEEP|LOG")
    rep.add_argument("--out", required=True, help="output directory")
    rep.add_argument("--title", default="grokcheck report")
    rep.add_argument("--seed", type=int, default=0)
    _theory_option(rep)
    rep.add_argument("--paper", action="store_true",
                     help="add the paper-figure sections (simulation beside theory; takes minutes, cached)")
    rep.add_argument("--paper-replicas", type=int, default=400, help="replicas per point of the paper sections")
    rep.add_argument("--format", default="md,html", metavar="md,html,pdf",
                     help="comma-separated output formats (default md,html; pdf prints the HTML with headless "
                          "Chromium: apt-get install chromium)")
    rep.add_argument("--no-progress", action="store_true")
    rep.add_argument("--overwrite", action="store_true",
                     help="replace report files in --out that grokcheck did not write (other files are never "
                          "deleted)")
    _load_options(rep)


def _sweep_and_demo(sub: argparse._SubParsersAction) -> None:
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

    demo = sub.add_parser("demo", help="end-to-end demo on an embedded default (<= 5 min on 2 cores)",
                          description="Perceptron verification table, perceptron run sets, scenario B "
                                      "on the paper's Example 1, fit and report.")
    demo.add_argument("--out", default="grokcheck-demo", help="output directory (default ./grokcheck-demo)")
    demo.add_argument("--quick", action="store_true", help="smaller sample sizes (about a minute)")
    demo.add_argument("--no-progress", action="store_true")


def _paper(sub: argparse._SubParsersAction) -> None:
    pp = sub.add_parser("paper", help="reproduce one of the paper's studies as a table (and report)",
                        description="Measured reproductions of the paper's studies; see docs/comparison.md.")
    psub = pp.add_subparsers(dest="study", metavar="STUDY")
    psub.required = True
    t1 = psub.add_parser("table1", help="scenario B: Examples 1-3 x the nine regularisation settings",
                         description="Examples 1-3 x nine settings: nu (automatic and fixed windows), D_eff, xi "
                                     "(bulk, closed form, test set), eps readings, P_grok of random A, "
                                     "stationary test error, nu_pred from Eq. 50 where xi is measured.")
    t1.add_argument("--n-init", type=int, default=300, help="classifier initialisations per setting (default 300)")
    t1.add_argument("--seed", type=int, default=0)
    t1.add_argument("--p-grok-draws", type=int, default=2000, help="random A per P_grok estimate (default 2000)")
    t1.add_argument("--json", metavar="FILE", help="write the rows as JSON ('-' for stdout)")
    t1.add_argument("--out", metavar="DIR", help="also write a report section with figures here")
    t1.add_argument("--no-progress", action="store_true")
    t1.add_argument("--overwrite", action="store_true", help="let --json FILE and --out DIR replace files that "
                                                             "grokcheck did not write")
    t1.add_argument("--bulk-runs", type=int, default=200,
                    help="initialisations for nu on the bulk population and the corner study, per stable setting "
                         "(default 200; 0: off)")
    sa = psub.add_parser("scenario-a", help="scenario A: three settings x bond dimensions (full training)",
                         description="The paper's scenario A (none, L2 1e-4, L1 1e-3) per bond dimension: grokking "
                                     "fractions, nu with and without jump runs (fixed windows), D_eff minima, t_G, "
                                     "spikes, sign flips. d = 10 runs on CPU; d = 20/40 want a GPU.")
    sa.add_argument("--d", type=int, nargs="+", default=[10], help="bond dimensions (default 10)")
    sa.add_argument("--n-init", type=int, default=256, help="initialisations per setting (default 256)")
    sa.add_argument("--n-steps", type=int, default=5000, help="Adam steps (default 5000: t <= 25)")
    sa.add_argument("--device", default="cpu", help="torch device (default cpu)")
    sa.add_argument("--seed", type=int, default=0)
    sa.add_argument("--json", metavar="FILE", help="write the rows as JSON ('-' for stdout)")
    sa.add_argument("--no-progress", action="store_true")
    sa.add_argument("--overwrite", action="store_true", help="let --json FILE replace a file grokcheck did not write")
    _paper_separability(psub)
    _paper_linear(psub)


def _paper_separability(psub: argparse._SubParsersAction) -> None:
    sp = psub.add_parser("separability", help="edge of linear separability: P_grok vs lambda against Wendel",
                         description="Beck, Levi & Bar-Sinai (2025): P_grok (not separable from the origin, exact "
                                     "LP) at each (N, lambda) against Wendel's exact law, exact binomial verdicts, "
                                     "and the fraction of runs whose test accuracy reached its level.")
    sp.add_argument("--N", type=int, nargs="+", default=[20, 40, 80], help="training-set sizes (default 20 40 80)")
    sp.add_argument("--lam", type=float, nargs="+", default=[0.4, 0.5, 0.6], help="d/N values (default 0.4 0.5 0.6)")
    sp.add_argument("--n-sets", type=int, default=200, help="training sets per setting (default 200)")
    sp.add_argument("--sigma", type=float, default=1.0, help="data noise (default 1)")
    sp.add_argument("--shift", type=float, default=0.0, help="data mean along e_1 (0: symmetric, Wendel exact)")
    sp.add_argument("--t-max", type=float, default=1e6, help="end of the log clock (default 1e6)")
    sp.add_argument("--label-fraction", type=float, nargs="*", default=[0.95],
                    help="App. I label fractions r < 1 of the asymmetric rows (default 0.95; none: no such rows)")
    sp.add_argument("--label-N", type=int, nargs="+", default=[20], help="N of the asymmetric rows (default 20)")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--json", metavar="FILE", help="write the rows as JSON ('-' for stdout); with --delay the "
                                                   "last row is the delay fit (kind: delay)")
    sp.add_argument("--out", metavar="DIR", help="also write a report (table, P_grok vs lambda, A_gen vs margin) here")
    sp.add_argument("--delay", action="store_true", help="also fit the delay divergence as lambda -> 1/2- (Eq. 39; "
                                                          "about 2 min at the default sizes)")
    sp.add_argument("--delay-N", type=int, default=20, help="training-set size of --delay (default 20)")
    sp.add_argument("--delay-lam", type=float, nargs="+", default=[0.3, 0.4, 0.45],
                    help="lambdas of --delay, all < 1/2 (default 0.3 0.4 0.45)")
    sp.add_argument("--delay-sets", type=int, default=16, help="training sets per lambda of --delay (default 16)")
    sp.add_argument("--delay-sigma", type=float, default=4.0, help="data noise of --delay (default 4)")
    sp.add_argument("--delay-t-max", type=float, default=1e8, help="end of the clock of --delay (default 1e8)")
    sp.add_argument("--delay-json", metavar="FILE", help="write the delay fit (strict JSON, verdict row) here "
                                                         "(implies --delay)")
    sp.add_argument("--no-progress", action="store_true")
    sp.add_argument("--overwrite", action="store_true", help="let --json FILE and --out DIR replace files that "
                                                             "grokcheck did not write")


def _paper_linear(psub: argparse._SubParsersAction) -> None:
    sp = psub.add_parser("linear-estimator", help="linear estimator: Delta t_grok against the exact theory and Eq. 12",
                         description="Levi, Beck & Bar-Sinai (2024), Figs. 1-3: the simulated Delta t = t*_gen - "
                                     "t*_tr (exact gradient flow) beside the exact large-d theory and Eq. 12, with "
                                     "the verdicts of the registered theories, over lambda (Fig. 1), d_out at "
                                     "lambda = 0.9 (Fig. 2) and weight decay at lambda = 0.5, 0.9 (Fig. 3).")
    sp.add_argument("--lam", type=float, nargs="*", default=[0.1, 0.5, 0.9, 1.5], help="Fig. 1 lambdas (d_out = 1)")
    sp.add_argument("--d-out", type=int, nargs="*", default=[50, 700], help="Fig. 2 d_out values (lambda = 0.9)")
    sp.add_argument("--gamma", type=float, nargs="*", default=[1e-5, 1e-3, 1e-2],
                    help="Fig. 3 weight decays (lambda = 0.5 and 0.9)")
    sp.add_argument("--d-in", type=int, default=1000, help="input dimension (default 1000)")
    sp.add_argument("--n-seeds", type=int, default=8, help="runs per setting (default 8)")
    sp.add_argument("--eta", type=float, default=0.01, help="GD step / flow rate (default 0.01)")
    sp.add_argument("--eps", type=float, default=1e-3, help="accuracy threshold (default 1e-3)")
    sp.add_argument("--horizon", type=float, default=1e7, help="end of training in GD steps (default 1e7)")
    sp.add_argument("--dynamics", default="flow", choices=("flow", "gd"), help="exact flow (default) or exact GD")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--json", metavar="FILE", help="write the rows as JSON ('-' for stdout)")
    sp.add_argument("--out", metavar="DIR", help="also write a report (table and figures) here")
    sp.add_argument("--divergence", action="store_true", help="also fit the divergence of Delta t as lambda -> 1 "
                                                               "(power law vs log-corrected, 7 lambdas, ~1 min)")
    sp.add_argument("--divergence-seeds", type=int, default=8, help="runs per lambda of --divergence (default 8)")
    sp.add_argument("--divergence-json", metavar="FILE", help="write the divergence study as JSON (implies "
                                                              "--divergence)")
    sp.add_argument("--no-progress", action="store_true")
    sp.add_argument("--overwrite", action="store_true", help="let --json FILE and --out DIR replace files that "
                                                             "grokcheck did not write")


def _check(sub: argparse._SubParsersAction) -> None:
    ck = sub.add_parser("check", help="property-test a formula against a simulator (shrinks a failure)",
                        description="Draw parameter points from the simulator's declared domain (narrowed by "
                                    "--param), simulate each, test the formula's prediction (exact binomial test "
                                    "for P_grok, z-test for times) at a per-point level that bounds the run's "
                                    "false-alarm rate by 1 %%, shrink a failure to the simplest failing point. "
                                    "Exit 0 passed, 1 counterexample, 2 bad input, 3 underpowered. "
                                    "See docs/testing.md.")
    ck.add_argument("formula", metavar="FILE.py[:NAME]",
                    help="a plain function f(**params) (FILE.py:NAME), a theory file with predict(config), "
                         "package.module:NAME or a registered theory")
    ck.add_argument("--simulator", required=True, help="a registered simulator (e.g. perceptron-ball)")
    ck.add_argument("--quantity", default="P_grok", help="P_grok (default), 'mean t_G' or 'median t_G'")
    ck.add_argument("--param", action="append", default=[], metavar="NAME=LO:HI",
                    help="narrow a parameter to [LO, HI] or fix it (NAME=VALUE); repeatable; inside the "
                         "declared range")
    ck.add_argument("--max-examples", type=int, default=20, help="points hypothesis draws (default 20, at most 10000)")
    ck.add_argument("--replicas", type=int, default=None,
                    help="runs per point (default: P_grok by the power rule for --detect; times 400)")
    ck.add_argument("--detect", type=float, default=None,
                    help="P_grok: the |dP| each point must see with 80%% power (default 0.05 without --replicas)")
    ck.add_argument("--seed", type=int, default=0, help="hypothesis' seed and the base of the simulator seeds")
    ck.add_argument("--json", nargs="?", const="-", default=None, metavar="FILE",
                    help="write the result as strict JSON to FILE ('-' or no FILE: print it instead)")
    ck.add_argument("--overwrite", action="store_true", help="let --json FILE replace a file grokcheck did not write")
    ck.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The full parser; given ``argv``, the per-simulator options of ``simulate`` are only built
    when ``argv`` asks for ``simulate`` (they are most of the build time of ``grokcheck --help``)."""
    p = argparse.ArgumentParser(
        prog="grokcheck",
        description="Test theories of grokking against simulations: simulate, fit exponents and laws, "
                    "compare with the perceptron theory, report.",
        epilog="Run 'grokcheck COMMAND --help' for the options of a command. Docs: docs/comparison.md.")
    p.add_argument("--traceback", action="store_true", help="show the full traceback on errors")
    p.add_argument("--threads", default=None, metavar="N",
                   help="BLAS/OpenMP/torch threads (default: $GROKCHECK_THREADS, else the cores this process "
                        "may use)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    _theory(sub)
    if argv is None or "simulate" in argv:
        _simulate(sub)
    else:
        sub.add_parser("simulate", help="run a simulator and write a run set")
    _fit_and_report(sub)
    _sweep_and_demo(sub)
    _paper(sub)
    _check(sub)
    return p
