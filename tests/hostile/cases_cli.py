"""Hostile command lines: ``grokcheck simulate`` / ``theory`` / ``fit`` / ``report`` flags and
``--set`` values, run in-process through :func:`comparison.cli.main`."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .harness import Case, Cli, cli

ONE_D = ["simulate", "perceptron-1d", "--N", "5", "--eps", "0.5", "--replicas", "20", "--no-progress"]
BALL = ["simulate", "perceptron-ball", "--D", "3", "--N", "10", "--eps", "2", "--replicas", "10", "--no-progress"]


def _sim(base: list[str], *extra: str) -> Any:
    return lambda tmp: cli(*base, *extra, "--out", tmp / "out")


def _sane_runset(value: Any, tmp: Path) -> str | None:
    """The run set written at tmp/out loads; grokking runs have finite, consistent times."""
    import numpy as np

    from comparison.runset import load_runset

    if not isinstance(value, Cli) or value.rc != 0:
        return "no run set written"
    rs = load_runset(tmp / "out")
    s = rs.summary
    groks = s["groks"].to_numpy(bool).copy()
    if "status" in s:
        groks = groks & (s["status"].to_numpy() == "groks")
    tg = s["t_G"].to_numpy(float)
    if np.any(np.isinf(tg)):
        return "t_G = +-inf in the summary"
    if rs.config.get("final_only"):
        return None
    if np.any(~np.isfinite(tg[groks])):
        return "a grokking run has no finite t_G"
    if "w_final" in rs.features:
        nrm = np.linalg.norm(rs.features["w_final"], axis=1)
        if np.any(s["groks"].to_numpy(bool) & (nrm == 0)):
            return "a zero weight vector counted as grokking"
    return None


def _bad_values(prefix: str, base: list[str], flag: str, values: list[str], words: tuple[str, ...]) -> list[Case]:
    return [Case(f"{prefix}{flag}={v}", "cli", "refuse", _sim(base, flag, v), words, absent=("out",))
            for v in values]


def _simulate_cases() -> list[Case]:
    out: list[Case] = []
    bad = ["nan", "inf", "-inf", "-1", "1e308", "abc"]
    for flag, words in [("--eps", ("eps",)), ("--lam1", ("lam1",)), ("--lam2", ("lam2",))]:
        out += _bad_values("1d", ONE_D, flag, bad, words)
    out += _bad_values("1d", ONE_D, "--N", ["0", "-1", "2.5", "1e9", "abc", "99999999999999999999999"], ("N",))
    out += _bad_values("1d", ONE_D, "--replicas", ["0", "-5", "2.5", "1e8"], ("replicas",))
    out += _bad_values("1d", ONE_D, "--b0", ["nan", "1e300"], ("b0",))
    out += _bad_values("1d", ONE_D, "--seed", ["-1", "1.5", "99999999999999999999999"], ("seed",))
    out += _bad_values("ball", BALL, "--D", ["0", "-3", "2.5", "99999999999999999999999"], ("D",))
    out += _bad_values("ball", BALL, "--eps", ["0", "-2", "nan", "1e308"], ("eps",))
    out += _bad_values("ball", BALL, "--lam1", ["-1", "1e300", "nan"], ("lam1",))
    sets = [("1d", ONE_D, "n_curve_points=2.5", ("n_curve_points",)), ("1d", ONE_D, "n_curve_points=-3", ("n_curve_points",)),
            ("1d", ONE_D, 'record_curves="no"', ("record_curves",)), ("1d", ONE_D, "record_curves=0", ("record_curves",)),
            ("1d", ONE_D, "chunk=0", ("chunk",)), ("1d", ONE_D, "bogus=1", ("bogus",)),
            ("1d", ONE_D, "noequals", ("--set",)), ("1d", ONE_D, "N=[1,2]", ("N",)),
            ("1d", ONE_D, 'eps="0.5"', ("eps",)), ("1d", ONE_D, "n_replicas=true", ("n_replicas",)),
            ("ball", BALL, 'final_only="yes"', ("final_only",)), ("ball", BALL, 't_train="bogus"', ("t_train",)),
            ("ball", BALL, 'dynamics="bogus"', ("dynamics",)), ("ball", BALL, "n_grid=2", ("n_grid",)),
            ("ball", BALL, "n_grid=2.5", ("n_grid",)), ("ball", BALL, "record_curves=null", ("record_curves",)),
            ("ball", BALL, "chunk=-1", ("chunk",)), ("ball", BALL, "n_curve_points=1e9", ("n_curve_points",))]
    for prefix, base, item, words in sets:
        out.append(Case(f"{prefix}--set {item}", "cli", "refuse", _sim(base, "--set", item), words, absent=("out",)))
    # resource guards: the estimate is refused before any work
    big = [("1d-mem", ["simulate", "perceptron-1d", "--N", "1000000", "--eps", "0.5", "--replicas", "10000000"]),
           ("ball-mem", ["simulate", "perceptron-ball", "--D", "10000", "--N", "1000000", "--eps", "2",
                         "--replicas", "10000"]),
           ("ball-D-mem", ["simulate", "perceptron-ball", "--D", "10000", "--N", "10", "--eps", "2", "--replicas", "1000"]),
           ("rfm-p401", ["simulate", "rfm", "--p", "401"])]
    for name, argv in big:
        out.append(Case(f"guard {name}", "cli", "refuse", _sim(argv + ["--no-progress"]), ("GROKCHECK_MAX_MEM_GB",),
                        absent=("out",)))
    # valid but unusual: must work
    good = [("1d eps=1e-300", _sim(ONE_D[:4] + ["--replicas", "20", "--no-progress", "--eps", "1e-300"])),
            ("1d record_curves=false", _sim(ONE_D, "--set", "record_curves=false")),
            ("1d n_curve_points=4.0", _sim(ONE_D, "--set", "n_curve_points=4.0")),
            ("1d big lam", _sim(ONE_D, "--lam1", "1e6", "--lam2", "1e6")),
            ("ball final_only=true", _sim(BALL, "--set", "final_only=true")),
            ("ball final_only=false", _sim(BALL, "--set", "final_only=false")),
            ("ball record_curves=false", _sim(BALL, "--set", "record_curves=false")),
            ("ball eps=1e-300", _sim(BALL[:6] + ["--replicas", "10", "--no-progress", "--eps", "1e-300"])),
            ("ball lam1=5 (w collapses to 0)", _sim(BALL, "--lam1", "5")),
            ("ball D=1", _sim(["simulate", "perceptron-ball", "--D", "1", "--N", "5", "--eps", "1.5",
                               "--replicas", "10", "--no-progress"])),
            ("ball eps=1", _sim(BALL[:6] + ["--replicas", "10", "--no-progress", "--eps", "1"]))]
    out += [Case(name, "cli", "accept", fn, check=_sane_runset) for name, fn in good]
    dev = ["simulate", "scenario-a", "--d", "2", "--n-init", "2", "--n-steps", "2", "--no-progress"]
    out += [Case("scenario-a --device bogus", "cli", "refuse", _sim(dev, "--device", "bogus"), ("device",), absent=("out",)),
            Case("scenario-a --device cuda (no CUDA here)", "cli", "refuse", _sim(dev, "--device", "cuda"),
                 ("device", "cuda"), absent=("out",)),
            Case("scenario-a --device cuda:7", "cli", "refuse", _sim(dev, "--device", "cuda:7"), ("device",),
                 absent=("out",)),
            Case("scenario-b --A bogus", "cli", "refuse", _sim(["simulate", "scenario-b", "--A", "bogus", "--no-progress"]),
                 ("A",), absent=("out",)),
            Case("scenario-b --rule 256", "cli", "refuse", _sim(["simulate", "scenario-b", "--rule", "256", "--no-progress"]),
                 ("rule",), absent=("out",)),
            Case("rfm --op %", "cli", "refuse", _sim(["simulate", "rfm", "--p", "5", "--op", "%", "--no-progress"]),
                 ("op",), absent=("out",)),
            Case("rfm --train-frac 1.5", "cli", "refuse",
                 _sim(["simulate", "rfm", "--p", "5", "--train-frac", "1.5", "--no-progress"]), ("train_frac",),
                 absent=("out",)),
            Case("simulate --out under /proc", "cli", "refuse",
                 lambda tmp: cli(*ONE_D, "--out", "/proc/grokcheck-hostile/x"), ("/proc",)),
            Case("simulate --config missing", "cli", "refuse",
                 lambda tmp: cli(*ONE_D, "--config", tmp / "nope.toml", "--out", tmp / "out"), ("nope.toml",))]
    return out


def _theory_cases() -> list[Case]:
    refuse = [("ball", "--lam2", "1e300", "lam2"), ("ball", "--lam1", "1e300", "lam1"), ("ball", "--eps", "1e308", "eps"),
              ("ball", "--eps", "1e-300", "eps"), ("ball", "--D", "99999999999999999999999", "D"),
              ("ball", "--D", "0", "D"), ("ball", "--N", "0", "N"), ("ball", "--eps", "nan", "eps"),
              ("1d", "--lam1", "1e308", "lam1"), ("1d", "--lam2", "1e308", "lam2"), ("1d", "--eps", "1e308", "eps"),
              ("1d", "--eps", "-1", "eps"), ("1d", "--N", "0", "N"), ("1d", "--eps", "inf", "eps")]
    out = [Case(f"theory {m} {f} {v}", "cli", "refuse", (lambda tmp, a=(m, f, v): cli("theory", *a)), (w,))
           for m, f, v, w in refuse]
    out.append(Case("theory eq50 without --xi", "cli", "refuse", lambda tmp: cli("theory", "eq50", "--d-eff", "3"),
                    ("--xi",)))
    accept = [("1d", "--eps", "1e-300"), ("1d", "--N", "1000000000"), ("ball", "--N", "1000000000"),
              ("1d", "--lam1", "1e6", "--lam2", "1e6"), ("ball", "--lam2", "1e6"), ("ball", "--eps", "1000"),
              ("ball", "--D", "1", "--eps", "2")]
    out += [Case("theory " + " ".join(a), "cli", "accept", (lambda tmp, a=a: cli("theory", *a, "--json")))
            for a in accept]
    return out


def _fit_cases() -> list[Case]:
    from .fixtures import base_1d

    def fit(*extra: str) -> Any:
        return lambda tmp: cli("fit", base_1d(tmp), "--out", tmp / "fits.json", *extra)

    refuse = [("--zero-tol", "-1", "zero"), ("--zero-tol", "nan", "zero"), ("--n-boot", "-1", "n_boot"),
              ("--n-boot", "100000000", "n_boot")]
    out = [Case(f"fit {f} {v}", "cli", "refuse", fit(f, v), (w,), timeout=5) for f, v, w in refuse]
    out += [Case("fit --window 5 1", "cli", "refuse", fit("--window", "5", "1"), ("window",)),
            Case("fit --window 1e-300 1e300", "cli", "refuse", fit("--window", "1e-300", "1e300"), ("window",)),
            Case("fit --window nan 1", "cli", "refuse", fit("--window", "nan", "1"), ("window",)),
            Case("fit plain", "cli", "accept", fit()),
            Case("fit missing input", "cli", "refuse", lambda tmp: cli("fit", tmp / "nothing"), ("nothing",)),
            Case("report --out under /proc", "cli", "refuse",
                 lambda tmp: cli("report", base_1d(tmp), "--out", "/proc/grokcheck-hostile", "--no-progress"),
                 ("/proc",))]
    return out


def cases() -> list[Case]:
    return _simulate_cases() + _theory_cases() + _fit_cases()
