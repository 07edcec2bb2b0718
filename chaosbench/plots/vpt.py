"""Valid prediction time per model, and against the system's chaos (as in Gilpin 2021,
"Chaos as an interpretable benchmark for forecasting and data-driven modelling", NeurIPS
Datasets and Benchmarks, figs. 2-3; Gilpin 2023, Phys. Rev. Research 5, 043252).

VPT is in Lyapunov times (``chaosbench.metrics``: the cumulative sMAPE threshold 30 of the
0-200 scale). Each point is one system: the median VPT over its seeds. Only scored jobs (status
``ok`` or ``diverged``) count; failed jobs have no VPT and are counted in the tick labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

import chaosbench

from ._common import SCORED, empty_figure, jitter, jobs, metric_label, model_colors, \
    model_markers, new_figure, styled

__all__ = ["INVARIANTS", "vpt_by_system", "vpt_by_model", "vpt_vs_invariant"]

#: Invariants VPT can be drawn against: name -> (axis label, log scale).
INVARIANTS = {
    "max_lyapunov": ("largest Lyapunov exponent $\\lambda_{\\max}$ (1 / time unit)", True),
    "correlation_dimension": ("correlation dimension $D_2$", False),
    "kaplan_yorke_dimension": ("Kaplan-Yorke dimension $D_{KY}$", False),
}


def vpt_by_system(rows: pd.DataFrame) -> pd.DataFrame:
    """Median VPT over seeds per (model, system), scored jobs only: columns model, system, vpt."""
    per_job = jobs(rows, "vpt")
    per_job = per_job[per_job["status"].isin(SCORED)]
    return per_job.groupby(["model", "system"], as_index=False)["value"].median().rename(
        columns={"value": "vpt"})


def _invariant(system: str, name: str) -> float:
    spec = chaosbench.system(system)
    if name == "max_lyapunov":
        return spec.max_lyapunov
    return float(spec.invariants.get(name, np.nan) or np.nan)


@styled
def vpt_by_model(rows: pd.DataFrame):
    """Box plot of VPT over systems per model (best median first), every system as a point."""
    table = vpt_by_system(rows)
    if table.empty:
        return empty_figure("No VPT to show: no job of the sweep was scored.")
    per_job = jobs(rows)
    failed = per_job[~per_job["status"].isin(SCORED)].groupby("model").size()
    order = table.groupby("model")["vpt"].median().sort_values(ascending=False).index.tolist()
    colors = model_colors(per_job["model"])
    fig, ax = new_figure(max(4.0, 0.9 * len(order) + 1.5), 3.8)
    data = [table.loc[table["model"] == m, "vpt"].to_numpy() for m in order]
    box = ax.boxplot(data, positions=np.arange(len(order)), widths=0.55, showfliers=False,
                     patch_artist=True, medianprops={"color": "black"})
    for patch, model in zip(box["boxes"], order):
        patch.set(facecolor=colors[model], alpha=0.35, edgecolor="0.3")
    for i, (model, values) in enumerate(zip(order, data)):
        ax.scatter(i + jitter(len(values), 0.15, seed=i), values, s=14, color=colors[model],
                   edgecolors="black", linewidths=0.4, zorder=3)
    ticks = [m if m not in failed else f"{m}\n({failed[m]} failed)" for m in order]
    ax.set_xticks(np.arange(len(order)), ticks, rotation=30 if len(order) > 6 else 0,
                  ha="right" if len(order) > 6 else "center")
    ax.set_xlabel("model")
    ax.set_ylabel(metric_label("vpt"))
    ax.set_title(f"VPT over {table['system'].nunique()} systems (median over seeds)", loc="left")
    ax.grid(axis="y", alpha=0.3)
    return fig


@styled
def vpt_vs_invariant(rows: pd.DataFrame, invariant: str = "max_lyapunov"):
    """VPT of each (model, system) against an invariant of the system from the catalogue
    (:data:`INVARIANTS`), with each model's Spearman rank correlation in the legend."""
    if invariant not in INVARIANTS:
        raise ValueError(f"unknown invariant {invariant!r}; valid: {', '.join(INVARIANTS)}")
    table = vpt_by_system(rows)
    if table.empty:
        return empty_figure("No VPT to show: no job of the sweep was scored.")
    values = {s: _invariant(s, invariant) for s in table["system"].unique()}
    table = table.assign(x=table["system"].map(values)).dropna(subset=["x", "vpt"])
    label, log = INVARIANTS[invariant]
    if log:
        table = table[table["x"] > 0]
    models = jobs(rows)["model"]
    colors, markers = model_colors(models), model_markers(models)
    fig, ax = new_figure(5.6, 4.0)
    for model, group in table.groupby("model"):
        rho = stats.spearmanr(group["x"], group["vpt"]).statistic if len(group) > 2 else np.nan
        legend = model if np.isnan(rho) else f"{model} ($\\rho_s$ = {rho:.2f})"
        ax.scatter(group["x"], group["vpt"], s=26, color=colors[model], marker=markers[model],
                   edgecolors="black", linewidths=0.4, alpha=0.85, label=legend)
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(label)
    ax.set_ylabel(metric_label("vpt"))
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="best")
    return fig
