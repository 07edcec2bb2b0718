"""The leaderboard with bootstrap intervals, as a table and as a dot-and-whisker figure.

The leaderboard's numbers come from :func:`chaosbench.leaderboard.leaderboard` (one row per
model). Where systems were run with several seeds, each median gets a percentile bootstrap
interval (Efron & Tibshirani 1993, ch. 13) that reflects the spread over initial conditions:
a replicate resamples, within every system, that system's seeds with replacement, and recomputes
the median over all resampled jobs. The set of systems is held fixed, so the interval answers
"how much would this number move with other initial conditions on these systems". With a single
seed per system there is nothing to resample and no interval is given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chaosbench import metrics as metric_registry
from chaosbench.leaderboard import leaderboard

from ._common import SCORED, empty_figure, jobs, metric_label, model_colors, model_names, \
    new_figure, styled

__all__ = ["seed_bootstrap", "leaderboard_table", "leaderboard_figure"]


def seed_bootstrap(per_job: pd.DataFrame, *, n_boot: int = 1000, level: float = 0.95,
                   seed: int = 0) -> tuple[float, float]:
    """Percentile interval of the median of ``per_job.value`` under resampling of seeds within
    systems (module docstring); ``(nan, nan)`` when no system has two seeds."""
    per_job = per_job.dropna(subset=["value"])
    groups = [g.to_numpy() for _, g in per_job.groupby("system")["value"]]
    if not groups or max(len(g) for g in groups) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    samples = np.concatenate([g[rng.integers(0, len(g), size=(n_boot, len(g)))] for g in groups],
                             axis=1)
    medians = np.median(samples, axis=1)
    tail = 100 * (1 - level) / 2
    lo, hi = np.percentile(medians, [tail, 100 - tail])
    return float(lo), float(hi)


def leaderboard_table(rows: pd.DataFrame, metric: str = "smape", *, n_boot: int = 1000,
                      level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """The leaderboard of ``rows`` with one row per model (``label``, else forecaster), plus
    ``median_<m>_lo`` / ``_hi`` bootstrap bounds for VPT and ``metric`` (module docstring)."""
    metric_registry.info(metric)
    names = model_names(rows)
    relabelled = rows.assign(forecaster=names)
    if "label" in rows:
        relabelled = relabelled.assign(label=names)
    board = leaderboard(relabelled, metric=metric)
    board = board.drop(columns=[c for c in ("protocol", "label") if c in board])
    board = board.rename(columns={"forecaster": "model"})
    for name in dict.fromkeys(["vpt", metric]):
        per_job = jobs(rows, name)
        per_job = per_job[per_job["status"].isin(SCORED)]
        column = f"median_{name}"
        if column not in board:
            board[column] = board["model"].map(per_job.groupby("model")["value"].median())
        bounds = {model: seed_bootstrap(group, n_boot=n_boot, level=level, seed=seed)
                  for model, group in per_job.groupby("model")}
        board[f"{column}_lo"] = board["model"].map(lambda m: bounds.get(m, (np.nan,) * 2)[0])
        board[f"{column}_hi"] = board["model"].map(lambda m: bounds.get(m, (np.nan,) * 2)[1])
    return board


@styled
def leaderboard_figure(table: pd.DataFrame, metric: str = "smape"):
    """Median VPT and median ``metric`` per model (best rank on top) with their bootstrap
    intervals, from :func:`leaderboard_table`."""
    if table.empty:
        return empty_figure("No models to show: the sweep has no jobs.")
    order = table.sort_values("rank", ascending=False)
    colors = model_colors(table["model"])
    panels = list(dict.fromkeys(["vpt", metric]))
    fig, axes = new_figure(3.4 * len(panels), 0.9 + 0.32 * len(table), ncols=len(panels),
                           sharey=True, squeeze=False)
    y = np.arange(len(order))
    for ax, name in zip(axes[0], panels):
        mid = order[f"median_{name}"].to_numpy(float)
        lo = order[f"median_{name}_lo"].to_numpy(float)
        hi = order[f"median_{name}_hi"].to_numpy(float)
        has = np.isfinite(lo) & np.isfinite(hi)
        ax.errorbar(mid[has], y[has], xerr=[mid[has] - lo[has], hi[has] - mid[has]], fmt="none",
                    ecolor="0.35", capsize=3, lw=1)
        ax.scatter(mid, y, c=[colors[m] for m in order["model"]], s=36, zorder=3,
                   edgecolors="black", linewidths=0.5)
        ax.set_xlabel(f"median {metric_label(name)}")
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].set_yticks(y, order["model"])
    axes[0][0].set_ylabel("model (best rank on top)")
    interval = " with 95% seed-bootstrap intervals" if np.isfinite(
        table[f"median_{panels[0]}_lo"]).any() else ""
    fig.suptitle(f"Leaderboard{interval}", fontsize=11)
    return fig
