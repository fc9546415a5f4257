"""A readable face for :func:`~perceptron_theory.verification_table`'s result.

:class:`VerificationTable` is a :class:`pandas.DataFrame` (all columns, ``to_csv``
and column access unchanged) whose ``print()`` shows the compact view of
:meth:`VerificationTable.display` — model, parameters, quantity, theory (method),
simulation ± s.e., z and the verdict in words — instead of pandas' truncated
thirty columns; :meth:`VerificationTable.to_markdown` gives the same view as a
Markdown table for a paper or an issue.

Verdict words: "agrees"/"disagrees" (|z| < z_tol), and for a bound
(``kind`` = "lower_bound") "bound holds"/"bound violated", never "agrees".

Examples
--------
>>> import pandas as pd
>>> vt = VerificationTable(pd.DataFrame([{"model": "ball", "D": 5, "N": 10, "eps": 1.05, "lam1": 0.05,
...     "lam2": 0.1, "quantity": "P_grok", "theory_method": "Eq. 33 lower bound", "theory": 0.04,
...     "simulation": 1.0, "sim_stderr": 0.004, "n": 250, "z": 240.0, "agrees": True, "kind": "lower_bound"}]))
>>> vt.display()["verdict"].tolist()
['bound holds']
>>> print(vt.to_markdown().splitlines()[2])
| ball | D=5 N=10 ε=1.05 λ1=0.05 λ2=0.1 | P_grok | Eq. 33 lower bound | ≥ 0.04 | 1 ± 0.004 | +240 | bound holds |
"""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["VerificationTable"]

_SYMBOL = {"D": "D", "N": "N", "eps": "ε", "lam1": "λ1", "lam2": "λ2"}


def _params(row: Any) -> str:
    out = []
    for k, sym in _SYMBOL.items():
        v = row.get(k)
        if v is None or (isinstance(v, float) and math.isnan(v)) or (k.startswith("lam") and v == 0):
            continue
        out.append(f"{sym}={v:g}")
    return " ".join(out)


def _is_bound(row: Any) -> bool:
    return str(row.get("kind", "")) == "lower_bound" or "lower bound" in str(row.get("theory_method", ""))


def _verdict(row: Any) -> str:
    bound = _is_bound(row)
    ok = bool(row["agrees"])
    if bound:
        return "bound holds" if ok else "bound violated"
    return "agrees" if ok else "disagrees"


def _z(v: Any) -> str:
    return "inf" if not math.isfinite(v) else f"{v:+.3g}"


def _detectable_cell(row: Any) -> dict[str, str]:
    """What the row could have detected (80 % power), when the table has the column: "none" when
    nothing is detectable at its n, "—" without a standard error."""
    if "detectable" not in row.index:
        return {}
    d = row.get("detectable")
    if d is None or (isinstance(d, float) and math.isnan(d)):
        return {"detectable": "—"}
    return {"detectable": "none" if not math.isfinite(float(d)) else f"{float(d):.2g}"}


def _p_cell(row: Any) -> dict[str, str]:
    """The p-value the verdict used (exact binomial for counts), when the table has one."""
    p = row.get("p_value")
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return {"p": "—"} if "p_value" in row.index else {}
    return {"p": f"{float(p):.2g}"}


class VerificationTable(pd.DataFrame):
    """The verification table: a DataFrame with a readable ``str`` and ``to_markdown``."""

    @property
    def _constructor(self) -> type:  # slices and copies are plain DataFrames
        return pd.DataFrame

    def display(self) -> pd.DataFrame:
        """Compact view: one string per cell, the verdict in words (bounds: "bound holds")."""
        rows = []
        for _, r in self.iterrows():
            q = str(r["quantity"]) + (f" ({r['question']})" if isinstance(r.get("question"), str) else "")
            bound = _is_bound(r)
            rows.append({"model": r["model"], "parameters": _params(r), "quantity": q,
                         "theory (method)": r["theory_method"],
                         "theory": ("≥ " if bound else "") + f"{r['theory']:.4g}",
                         "simulation": f"{r['simulation']:.4g} ± {r['sim_stderr']:.2g}",
                         "z": _z(float(r["z"])), **_p_cell(r), **_detectable_cell(r), "verdict": _verdict(r)})
        return pd.DataFrame(rows)

    def to_markdown(self, *args: Any, **kwargs: Any) -> str:  # noqa: ARG002 - pandas' signature
        """The compact view as a GitHub-flavoured Markdown table (no extra dependency)."""
        d = self.display()
        lines = ["| " + " | ".join(d.columns) + " |", "| " + " | ".join("---" for _ in d.columns) + " |"]
        lines += ["| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |"
                  for row in d.itertuples(index=False)]
        return "\n".join(lines)

    def __str__(self) -> str:
        d = self.display()
        n_ok = sum(v in ("agrees", "bound holds") for v in d["verdict"])
        with pd.option_context("display.width", None, "display.max_columns", None, "display.max_colwidth", 70,
                               "display.max_rows", None):
            body = d.to_string(index=False)
        return f"{body}\n{n_ok} of {len(d)} rows agree (or the bound holds); all columns: .columns, .to_csv()"

    __repr__ = __str__
