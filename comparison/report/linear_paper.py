"""Report section of ``grokcheck paper linear-estimator``: the table and Figs. 1-3 of Levi, Beck &
Bar-Sinai (2024) — simulated Δt_grok (mean ± s.e. over runs) beside the exact large-d theory and Eq. 12,
against λ, d_out and the weight decay γ."""
from __future__ import annotations

from typing import Any

from .style import finish, new_figure, setup_mpl

__all__ = ["draw_linear_paper"]


def _points(rows: list[dict[str, Any]], key: str, **fixed: Any) -> tuple[list[float], list[float], list[float]]:
    sel = [r for r in rows if all(r[k] == v for k, v in fixed.items()) and r["dt_grok_sim"] is not None]
    return ([float(r[key]) for r in sel], [r["dt_grok_sim"] for r in sel],
            [r["dt_grok_sim_se"] or 0.0 for r in sel])


def _sim(ax: Any, x: list[float], y: list[float], se: list[float], label: str = "simulation (mean ± s.e.)") -> None:
    if x:
        ax.errorbar(x, y, yerr=se, fmt="o", color="k", ms=3, label=label, zorder=3)


def _fig_curve(rows: list[dict[str, Any]], curves: dict[str, Any], key: str, *, x_key: str, fixed: dict[str, Any],
               theories: tuple[tuple[str, str, str, str], ...], xscale: str, yscale: str, xlabel: str) -> Any:
    """One simulated Δt_grok series against the theory curves ``(curve key, style, colour, label)`` of ``curves[key]``."""
    fig, ax = new_figure("single")
    c = curves[key]
    for ck, style, colour, label in theories:
        ax.plot(c["x"], c[ck], style, color=colour, label=label)
    _sim(ax, *_points(rows, x_key, **fixed))
    if xscale != "linear":
        ax.set_xscale(xscale)
    if yscale != "linear":
        ax.set_yscale(yscale)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(r"$\Delta t_{grok}$ (GD steps)")
    return finish(fig, ax)


def _fig_lambda(rows: list[dict[str, Any]], curves: dict[str, Any]) -> Any:
    return _fig_curve(rows, curves, "lam", x_key="lam_requested", fixed={"d_out": 1, "gamma": 0.0},
                      theories=(("exact", "-", "C0", "exact theory (Eq. 8)"),
                                ("eq12", "--", "C1", r"Eq. 12 ($\varepsilon \to 0$)")),
                      xscale="linear", yscale="log", xlabel=r"$\lambda = d_{in}/N_{tr}$")


def _fig_d_out(rows: list[dict[str, Any]], curves: dict[str, Any]) -> Any:
    return _fig_curve(rows, curves, "d_out", x_key="d_out", fixed={"lam_requested": 0.9, "gamma": 0.0},
                      theories=(("exact", "-", "C0", "exact theory (Eq. 13)"),),
                      xscale="log", yscale="linear", xlabel=r"$d_{out}$ ($\lambda = 0.9$)")


def _fig_gamma(rows: list[dict[str, Any]], curves: dict[str, Any]) -> Any:
    fig, ax = new_figure("single")
    for i, lam in enumerate((0.5, 0.9)):
        c = curves[f"gamma_{lam:g}"]
        ax.plot(c["x"], c["exact"], "-", color=f"C{i}", label=f"exact theory (Eq. 15), λ = {lam:g}")
        x, y, se = _points(rows, "gamma", lam_requested=lam, d_out=1)
        if x:
            ax.errorbar(x, y, yerr=se, fmt="o", color=f"C{i}", ms=3, label=f"simulation, λ = {lam:g}", zorder=3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"weight decay $\gamma$ ($d_{out} = 1$)")
    ax.set_ylabel(r"$\Delta t_{grok}$ (GD steps)")
    return finish(fig, ax)


def draw_linear_paper(rep: Any, rows: list[dict[str, Any]], table: Any, curves: dict[str, Any]) -> None:
    """Add the section to ``rep`` (``table``: the printable frame of the rows; ``curves``: the
    theory on dense grids, :func:`comparison.pipeline.paper_linear.theory_curves`)."""
    setup_mpl()
    rep.h(1, "Linear estimators: Δt_grok against the exact theory and Eq. 12")
    n = rows[0]["n_seeds"] if rows else 0
    d_in = rows[0]["d_in"] if rows else 0
    rep.p(f"Levi, Beck & Bar-Sinai (ICLR 2024). d_in = {d_in}, {n} runs per setting, exact gradient flow; "
          "t*_tr, t*_gen are the first times the exact training and generalisation losses reach L* (95 % accuracy "
          "by Eq. 10 / 13), Δt = t*_gen − t*_tr averaged over the runs that generalise within the horizon. "
          "'dt exact': Eq. 8 (13, 15) solved for L = L* at large d; 'Eq. 12': the paper's ε → 0 asymptote; z: "
          "(sim − theory)/s.e., verdict by the single rule |z| < 4. L_gen(inf): the theory's t → ∞ limit (the "
          "plateau (1 − 1/λ) at λ > 1, the weight-decay floor) beside the simulated per-run limit.")
    rep.table(table)
    rep.figure(_fig_lambda(rows, curves), "linear-dt-lambda", "Fig. 1: Δt_grok against λ (d_out = 1, γ = 0)")
    rep.figure(_fig_d_out(rows, curves), "linear-dt-d-out", "Fig. 2: Δt_grok against d_out at λ = 0.9")
    rep.figure(_fig_gamma(rows, curves), "linear-dt-gamma", "Fig. 3: Δt_grok against the weight decay γ")
