"""False-alarm rate and power of ``grokcheck check`` at its defaults (issue 20; docs/testing.md).

Usage: OMP_NUM_THREADS=1 PYTHONPATH=.:tests/comparison python benchmarks/study_check_rates.py [N_SEEDS] [SIM]

``check_formula`` (the pipeline function behind ``grokcheck check``) at its defaults — 20 examples,
family false-alarm rate 1 %, P_grok replicas by the power rule for |ΔP| = 0.05 — run over N_SEEDS
seeds (default 20) on a correct formula and on a planted 10 % error (0.9 × the formula). SIM is
``coin`` (tests/comparison/coin_simulator.py: P_grok = p exactly, p in [0.05, 0.95]) or ``1d`` (the 1D
model's Eq. 14 on perceptron-1d, N in [1, 200], eps in [0.01, 3], lam1 = lam2 = 0). Prints the counts
with exact (Clopper-Pearson) 95 % intervals.
"""
from __future__ import annotations

import pathlib
import sys
import tempfile
import time

SOURCE = '''
def coin(p):
    return p

def coin_off(p):
    return 0.9 * p

def eq14(N, eps):
    from perceptron_theory import exponential
    return float(exponential.grok_probability(N, eps, 0.0, 0.0))

def eq14_off(N, eps):
    return 0.9 * eq14(N, eps)
'''


def _ci(k: int, n: int) -> tuple[float, float]:
    from scipy import stats

    lo = 0.0 if k == 0 else float(stats.beta.ppf(0.025, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(0.975, k + 1, n - k))
    return lo, hi


def main(n_seeds: int = 20, sim: str = "coin") -> dict:
    from comparison.pipeline.check import check_formula

    f = pathlib.Path(tempfile.mkdtemp(prefix="check_rates_")) / "formulas.py"
    f.write_text(SOURCE)
    if sim == "coin":
        from coin_simulator import ensure_registered

        simulator, names, ranges = ensure_registered(), ("coin", "coin_off"), ["p=0.05:0.95", "scale=1"]
    else:
        simulator, names = "perceptron-1d", ("eq14", "eq14_off")
        ranges = ["N=1:200", "eps=0.01:3", "lam1=0", "lam2=0"]
    out = {}
    for name in names:
        t0 = time.perf_counter()
        verdicts = [check_formula(f"{f}:{name}", simulator=simulator, param_ranges=ranges, seed=s)["verdict"]
                    for s in range(n_seeds)]
        k = sum(v == "failed" for v in verdicts)
        lo, hi = _ci(k, n_seeds)
        out[name] = {"failed": k, "runs": n_seeds, "ci95": [lo, hi], "verdicts": verdicts,
                     "seconds": time.perf_counter() - t0}
        print(f"{sim} {name}: failed {k}/{n_seeds} (95% CI {lo:.3f}-{hi:.3f}); verdicts "
              f"{ {v: verdicts.count(v) for v in set(verdicts)} }; {out[name]['seconds']:.0f} s", flush=True)
    return out


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20, sys.argv[2] if len(sys.argv) > 2 else "coin")
