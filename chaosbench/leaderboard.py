"""Aggregate a sweep's tidy rows into a leaderboard, a system x forecaster table, and Markdown.

Columns of the leaderboard (one row per forecaster and protocol):

* ``rank`` -- by ``mean_rank`` (ties: higher ``median_vpt`` first);
* ``systems`` -- systems with at least one scored job (status ``ok`` or ``diverged``);
* ``jobs``, ``failures`` (``failed`` or ``timeout``), ``diverged``;
* ``median_vpt`` -- median valid prediction time in Lyapunov times over scored jobs;
* ``median_smape`` -- median sMAPE (0-200) over scored jobs;
* ``mean_rank`` -- within each (system, protocol, seed) the forecasters are ranked by the
  ranking metric (sMAPE by default; failed jobs rank last), then averaged;
* ``skill_vs_naive`` -- geometric mean over (system, seed) of the error ratio
  ``metric(model) / metric(naive)``: below 1 beats persistence;
* ``fit_seconds`` -- total training time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from chaosbench import metrics as metric_registry
from chaosbench.results import read_sweep

__all__ = ["leaderboard", "metric_table", "to_markdown", "write_leaderboard"]

_SCORED = ("ok", "diverged")
_FAILED = ("failed", "timeout")


def _jobs(rows: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One row per job with its status, fit time and the value of ``metric``."""
    keys = ["forecaster", "protocol", "system", "seed"]
    jobs = rows.drop_duplicates("job_id").set_index("job_id")[keys + ["status", "fit_seconds"]]
    values = rows[rows.metric == metric].set_index("job_id")["value"]
    return jobs.join(values.rename(metric))


def leaderboard(rows: pd.DataFrame, *, metric: str = "smape", baseline: str = "naive") -> pd.DataFrame:
    """The leaderboard of a sweep's rows (see the module docstring)."""
    info = metric_registry.info(metric)
    higher = info.direction == "higher"
    jobs = _jobs(rows, metric)
    jobs = jobs.join(_jobs(rows, "vpt")["vpt"]) if metric != "vpt" else jobs
    jobs = jobs.join(_jobs(rows, "smape")["smape"]) if metric != "smape" else jobs
    scored = jobs[jobs.status.isin(_SCORED)]

    # Rank within each (system, protocol, seed); unscored jobs rank last.
    key = jobs[metric].where(jobs.status.isin(_SCORED))
    key = -key if higher else key
    jobs = jobs.assign(_rank=key.fillna(np.inf).groupby(
        [jobs.system, jobs.protocol, jobs.seed]).rank(method="average"))

    base = jobs[jobs.forecaster == baseline].set_index(["protocol", "system", "seed"])[metric]

    def skill(group: pd.DataFrame) -> float:
        g = group[group.status.isin(_SCORED)].set_index(["protocol", "system", "seed"])[metric]
        both = pd.concat([g, base], axis=1, keys=["m", "b"], join="inner").dropna()
        if both.empty:
            return np.nan
        ratio = np.clip(both.m.to_numpy(), 1e-12, None) / np.clip(both.b.to_numpy(), 1e-12, None)
        ratio = 1 / ratio if higher else ratio
        return float(np.exp(np.mean(np.log(ratio))))

    out = []
    for (forecaster, protocol), group in jobs.groupby(["forecaster", "protocol"], sort=True):
        ok = scored[(scored.forecaster == forecaster) & (scored.protocol == protocol)]
        out.append({
            "forecaster": forecaster, "protocol": protocol,
            "systems": ok.system.nunique(), "jobs": len(group),
            "failures": int(group.status.isin(_FAILED).sum()),
            "diverged": int((group.status == "diverged").sum()),
            "median_vpt": float(ok.vpt.median()) if len(ok) else np.nan,
            "median_smape": float(ok.smape.median()) if len(ok) else np.nan,
            "mean_rank": float(group._rank.mean()),
            "skill_vs_naive": skill(group),
            "fit_seconds": float(group.fit_seconds.sum(min_count=1)),
        })
    columns = ["rank", "forecaster", "protocol", "systems", "jobs", "failures", "diverged",
               "median_vpt", "median_smape", "mean_rank", "skill_vs_naive", "fit_seconds"]
    if not out:
        return pd.DataFrame(columns=columns)
    board = pd.DataFrame(out).sort_values(["mean_rank", "median_vpt"], ascending=[True, False],
                                          na_position="last", kind="stable")
    board.insert(0, "rank", np.arange(1, len(board) + 1))
    return board[columns].reset_index(drop=True)


def metric_table(rows: pd.DataFrame, metric: str = "vpt") -> pd.DataFrame:
    """System x forecaster table of ``metric`` (median over seeds; protocols as column level)."""
    metric_registry.info(metric)  # unknown metric -> clear error
    jobs = _jobs(rows, metric)
    jobs = jobs[jobs.status.isin(_SCORED)]
    return jobs.pivot_table(index="system", columns=["protocol", "forecaster"], values=metric,
                            aggfunc="median")


def to_markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub Markdown table (no extra dependency)."""
    def fmt(v) -> str:
        if isinstance(v, (float, np.floating)):
            return "" if np.isnan(v) else f"{v:.{digits}g}"
        return str(v)

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(fmt(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def write_leaderboard(results_dir: str | Path, sweep: str, *, metric: str = "smape",
                      table_metric: str = "vpt") -> tuple[pd.DataFrame, Path]:
    """Write ``leaderboard.csv`` and ``<table_metric>_by_system.csv`` into the sweep's folder."""
    rows = read_sweep(results_dir, sweep)
    if rows.empty:
        raise FileNotFoundError(f"no results in {Path(results_dir) / sweep}: run a sweep first")
    board = leaderboard(rows, metric=metric)
    folder = Path(results_dir) / sweep
    path = folder / "leaderboard.csv"
    board.to_csv(path, index=False)
    metric_table(rows, table_metric).to_csv(folder / f"{table_metric}_by_system.csv")
    return board, path
