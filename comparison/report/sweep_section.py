"""The report section of a sweep: its summary table across settings."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..safe_text import markdown_code, markdown_safe
from ..sweep.summary import pivot_nu, sweep_summary

__all__ = ["summary_section"]


def summary_section(loaded: Any, first: int) -> Callable[[Any, list[Any]], None]:
    """A report hook writing the sweep's summary table; its run sets start at
    position ``first`` in the report's list of analyses."""
    def add(rep: Any, analyses: list[Any]) -> None:
        mine = analyses[first:first + len(loaded.runsets)]
        table = sweep_summary(loaded, mine)
        rep.h(1, f"Sweep summary: {markdown_safe(loaded.path.name)}")
        rep.p(f"{len(loaded.settings)} settings of {markdown_code(loaded.config.simulator)}, "
              f"{loaded.config.runs_per_setting} runs per setting in chunks of {loaded.config.chunk} "
              f"(config hash `{loaded.config.config_hash[:12]}`). Each setting's chunks are merged into one "
              "run set; ν with its 95 % bootstrap interval, ν_pred from the theory (Eqs. 9-10, 23, 50).")
        if loaded.missing:
            rep.p(f"Settings without any finished task (not analysed): {markdown_safe(', '.join(loaded.missing))}.")
        rep.table(table)
        keys = [k for k in table.columns if k not in ("setting", "chunks", "runs", "P_grok", "P_grok_se", "nu",
                                                      "nu_lo", "nu_hi", "nu_flags", "nu_pred", "nu_verdict")]
        piv = pivot_nu(table, keys)
        if piv is not None:
            rep.p(f"ν [95 % CI] against {markdown_safe(keys[0])} (rows) and {markdown_safe(keys[1])} (columns):")
            rep.table(piv)
    return add
