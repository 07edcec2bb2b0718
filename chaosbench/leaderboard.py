"""Aggregate a sweep's tidy rows into a leaderboard, with the rule written next to the numbers.

A leaderboard row is one model variant (``label``: the forecaster plus its overridden
hyperparameters, e.g. ``esn[units=100]``) under one protocol variant (``protocol_label``).
Protocols are never ranked together: each protocol variant has its own ranking.

Columns (written to ``leaderboard.csv``; ``leaderboard.json`` beside it states the same rule):

* ``rank`` -- within the protocol, by ``mean_rank`` (ties: higher ``median_vpt`` first);
* ``systems``, ``jobs``; ``failures`` (``failed`` or ``timeout``), ``diverged``;
* ``median_smape`` and ``median_vpt`` (Lyapunov times) over scored jobs (``ok`` or ``diverged``)
  of all systems and seeds, each with a bootstrap 95% interval (``_lo``, ``_hi``): jobs resampled
  within each system and systems resampled, 1,000 times, fixed seed;
* ``vpt_censored`` -- scored jobs whose forecast stayed valid for the whole horizon (VPT is then
  a lower bound);
* ``mean_rank`` -- within each (protocol, system, seed) the models are ranked by the ranking
  metric (sMAPE by default; unscored jobs rank last), then averaged;
* ``skill`` -- geometric mean over (system, seed) of ``skill_metric(model) / skill_metric(naive)``
  (below 1 beats persistence) with its bootstrap interval, fev style; ``win_rate`` -- the share
  of (system, seed) pairs where the model's error is below naive's (ties count one half). Only
  bounded error metrics (sMAPE and its horizon variants, the Hellinger distances) can be skill
  metrics: a ratio of unbounded errors or of a higher-is-better score means nothing;
* ``fit_seconds`` -- total training time.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from chaosbench import metrics as metric_registry
from chaosbench.results import read_sweep, sweeps, with_labels

__all__ = ["leaderboard", "metric_table", "to_markdown", "write_leaderboard", "skill_metrics",
           "aggregation_rule"]

_SCORED = ("ok", "diverged")
_FAILED = ("failed", "timeout")
_KEYS = ["protocol_label", "system", "seed"]
N_BOOT = 1000


def skill_metrics() -> list[str]:
    """Metrics whose ratio to a baseline means something: lower-is-better, bounded, >= 0."""
    out = []
    for name in metric_registry.names():
        info = metric_registry.info(name)
        if info.direction == "lower" and info.range[0] == 0 and np.isfinite(info.worst):
            out.append(name)
    return out


def _jobs(rows: pd.DataFrame, *metrics: str) -> pd.DataFrame:
    """One row per job: keys, status, fit time and the value of each of ``metrics``."""
    keys = ["label", "forecaster", "protocol_label", "system", "seed", "status", "fit_seconds"]
    jobs = rows.drop_duplicates("job_id").set_index("job_id")[keys]
    for metric in dict.fromkeys(metrics):
        jobs = jobs.join(rows[rows.metric == metric].set_index("job_id")["value"].rename(metric))
    return jobs


def _bootstrap(frame: pd.DataFrame, stat, rng: np.random.Generator) -> tuple[float, float]:
    """95% interval of ``stat(values)``: systems resampled, then jobs within each system."""
    groups = [g.to_numpy(dtype=float) for _, g in frame.groupby("system")["value"]]
    groups = [g[np.isfinite(g)] for g in groups]
    groups = [g for g in groups if len(g)]
    if not groups:
        return np.nan, np.nan
    draws = np.empty(N_BOOT)
    for b in range(N_BOOT):
        picked = rng.integers(len(groups), size=len(groups))
        sample = np.concatenate([groups[i][rng.integers(len(groups[i]), size=len(groups[i]))]
                                 for i in picked])
        draws[b] = stat(sample)
    return float(np.nanpercentile(draws, 2.5)), float(np.nanpercentile(draws, 97.5))


def leaderboard(rows: pd.DataFrame, *, metric: str = "smape", baseline: str = "naive",
                skill_metric: str = "smape", seed: int = 0) -> pd.DataFrame:
    """The leaderboard of a sweep's rows (see the module docstring)."""
    info = metric_registry.info(metric)
    if skill_metric not in skill_metrics():
        raise ValueError(f"skill_metric={skill_metric!r}: a skill ratio needs a bounded "
                         f"error metric, one of {', '.join(skill_metrics())}")
    rows = with_labels(rows)
    jobs = _jobs(rows, metric, "smape", "vpt", "vpt_censored", skill_metric)
    scored_mask = jobs.status.isin(_SCORED)
    key = jobs[metric].where(scored_mask)
    key = -key if info.direction == "higher" else key
    jobs["_rank"] = key.fillna(np.inf).groupby([jobs[k] for k in _KEYS]).rank(method="average")

    rng = np.random.default_rng(seed)
    base = jobs[(jobs.forecaster == baseline) & (jobs.label == baseline) & scored_mask]
    base = base.set_index(_KEYS)[skill_metric]
    out = []
    for (protocol, label), group in jobs.groupby(["protocol_label", "label"], sort=True):
        ok = group[group.status.isin(_SCORED)]
        record = {"label": label, "forecaster": group.forecaster.iloc[0], "protocol": protocol,
                  "systems": ok.system.nunique(), "jobs": len(group),
                  "failures": int(group.status.isin(_FAILED).sum()),
                  "diverged": int((group.status == "diverged").sum())}
        for name in ("smape", "vpt"):
            values = ok[["system", name]].rename(columns={name: "value"})
            record[f"median_{name}"] = float(values.value.median()) if len(ok) else np.nan
            lo, hi = _bootstrap(values, np.median, rng) if len(ok) else (np.nan, np.nan)
            record[f"median_{name}_lo"], record[f"median_{name}_hi"] = lo, hi
        record["vpt_censored"] = int((ok.vpt_censored > 0.5).sum())
        record["mean_rank"] = float(group._rank.mean())
        mine = ok.set_index(_KEYS)[skill_metric]
        both = pd.concat([mine, base], axis=1, keys=["m", "b"], join="inner").dropna()
        if len(both) and label != baseline:
            eps = 1e-12
            log_ratio = np.log(np.clip(both.m, eps, None)) - np.log(np.clip(both.b, eps, None))
            frame = pd.DataFrame({"system": both.index.get_level_values("system"),
                                  "value": log_ratio.to_numpy()})
            record["skill"] = float(np.exp(log_ratio.mean()))
            lo, hi = _bootstrap(frame, np.mean, rng)
            record["skill_lo"], record["skill_hi"] = float(np.exp(lo)), float(np.exp(hi))
            record["win_rate"] = float(((both.m < both.b) + 0.5 * (both.m == both.b)).mean())
        else:
            record.update(skill=np.nan, skill_lo=np.nan, skill_hi=np.nan, win_rate=np.nan)
        record["fit_seconds"] = float(group.fit_seconds.sum(min_count=1))
        out.append(record)
    columns = ["rank", "label", "forecaster", "protocol", "systems", "jobs", "failures",
               "diverged", "median_smape", "median_smape_lo", "median_smape_hi", "median_vpt",
               "median_vpt_lo", "median_vpt_hi", "vpt_censored", "mean_rank", "skill",
               "skill_lo", "skill_hi", "win_rate", "fit_seconds"]
    if not out:
        return pd.DataFrame(columns=columns)
    board = pd.DataFrame(out).sort_values(["protocol", "mean_rank", "median_vpt"],
                                          ascending=[True, True, False], na_position="last",
                                          kind="stable")
    board.insert(0, "rank", board.groupby("protocol").cumcount() + 1)
    return board[columns].reset_index(drop=True)


def aggregation_rule(metric: str, skill_metric: str, baseline: str) -> dict:
    """The leaderboard's rule as data (``leaderboard.json``), so anyone can rebuild it."""
    return {
        "unit": "one row per (protocol_label, label): a model variant under a protocol variant; "
                "protocols are ranked separately",
        "scored_jobs": "status ok or diverged; failed and timeout count as failures and rank last",
        "median_smape": "median over scored jobs of all systems and seeds; sMAPE on the 0-200 scale",
        "median_vpt": "median valid prediction time in Lyapunov times (cumulative sMAPE <= 30)",
        "intervals": f"bootstrap 95% (percentile), {N_BOOT} resamples: systems with replacement, "
                     "then jobs (seeds) within each system",
        "vpt_censored": "scored jobs whose forecast stayed valid to the end of the horizon",
        "mean_rank": f"models ranked by {metric} within each (protocol, system, seed), averaged",
        "skill": f"geometric mean over (system, seed) of {skill_metric}(model) / "
                 f"{skill_metric}({baseline}); below 1 beats {baseline}",
        "win_rate": f"share of (system, seed) pairs where {skill_metric}(model) < "
                    f"{skill_metric}({baseline}); ties count 1/2",
        "ranking_metric": metric, "skill_metric": skill_metric, "baseline": baseline,
        "smape_scale": "0-200",
        "raw_table": "results.parquet or the per-job files: one row per (job, metric)",
    }


def metric_table(rows: pd.DataFrame, metric: str = "vpt") -> pd.DataFrame:
    """System x model table of ``metric`` (median over seeds) with one flat header row: columns
    are ``<label>`` when the rows hold one protocol, else ``<protocol_label>/<label>``."""
    metric_registry.info(metric)  # unknown metric -> clear error
    rows = with_labels(rows)
    jobs = _jobs(rows, metric)
    jobs = jobs[jobs.status.isin(_SCORED)]
    single = jobs.protocol_label.nunique() <= 1
    jobs = jobs.assign(column=jobs.label if single else jobs.protocol_label + "/" + jobs.label)
    table = jobs.pivot_table(index="system", columns="column", values=metric, aggfunc="median")
    table.columns.name = None
    return table


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
                      table_metric: str = "vpt", skill_metric: str = "smape",
                      baseline: str = "naive", exclude_leaked: bool = False
                      ) -> tuple[pd.DataFrame, Path]:
    """Write ``leaderboard.csv``, ``leaderboard.json`` (the rule) and
    ``<table_metric>_by_system.csv`` into the sweep's folder. ``exclude_leaked`` leaves out the
    (model, system) cells a pretrained model is known to have seen in pretraining
    (:mod:`chaosbench.forecasters.pretrained.leakage`)."""
    metric_registry.info(metric)
    metric_registry.info(table_metric)
    rows = read_sweep(results_dir, sweep)
    if rows.empty:
        found = sweeps(results_dir)
        hint = (f"sweeps with results there: {', '.join(found)}" if found
                else "no sweep has results there yet: run `chaosbench bench` first")
        raise FileNotFoundError(f"no results in {Path(results_dir) / sweep}; {hint}")
    if exclude_leaked:
        from chaosbench.forecasters.pretrained.leakage import exclude_leaked as drop_leaked

        rows = drop_leaked(rows)
    board = leaderboard(rows, metric=metric, skill_metric=skill_metric, baseline=baseline)
    folder = Path(results_dir) / sweep
    path = folder / "leaderboard.csv"
    board.to_csv(path, index=False)
    rule = aggregation_rule(metric, skill_metric, baseline)
    rule["excluded"] = ("cells of pretrained models that saw the system in pretraining"
                        if exclude_leaked else "none")
    (folder / "leaderboard.json").write_text(json.dumps(rule, indent=1) + "\n")
    metric_table(rows, table_metric).to_csv(folder / f"{table_metric}_by_system.csv")
    return board, path
