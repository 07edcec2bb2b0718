r"""Comparing many models over many systems: Friedman test, Nemenyi post-hoc test and the
critical-difference diagram (Demsar 2006, "Statistical comparisons of classifiers over multiple
data sets", JMLR 7:1-30).

A *block* is one (system, seed) pair: every model forecast the same data in it. Within a block
the models are ranked by the metric (1 = best; ties share the average rank); a job that failed
or timed out scores the metric's worst value, so it ranks last, as in the leaderboard. Blocks in
which some model has no value at all (a job missing, or a metric undefined) are left out, since
the test needs complete blocks; several jobs of one model in a block (variants a sweep did not
label) count by their median. With :math:`k` models, :math:`N` blocks and mean ranks
:math:`R_j`, Friedman's statistic is

.. math:: \chi^2_F = \frac{12N}{k(k+1)}\Big[\sum_j R_j^2 - \frac{k(k+1)^2}{4}\Big],

\chi^2 with :math:`k-1` degrees of freedom under the null hypothesis that all models are
equivalent. Two models differ (Nemenyi) when their mean ranks differ by at least the critical
difference

.. math:: CD = q_\alpha \sqrt{\frac{k(k+1)}{6N}},

where :math:`q_\alpha` is the studentized range quantile for :math:`k` groups and infinite degrees
of freedom divided by :math:`\sqrt 2`. Pairwise p-values come from scikit-posthocs'
``posthoc_nemenyi_friedman``; the diagram joins models that are not significantly different.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from chaosbench import metrics as metric_registry

from ._common import SCORED, empty_figure, jobs, model_colors, new_figure, styled

__all__ = ["Ranking", "block_matrix", "rank_models", "cd_diagram"]


@dataclass(frozen=True)
class Ranking:
    """The outcome of the Friedman-Nemenyi comparison of a sweep's models on one metric."""

    metric: str
    mean_ranks: pd.Series  # model -> mean rank (1 = best), sorted best first
    pvalues: pd.DataFrame  # model x model Nemenyi p-values
    critical_difference: float
    statistic: float  # Friedman chi^2 (NaN for fewer than three models)
    pvalue: float
    n_blocks: int
    alpha: float


def block_matrix(rows: pd.DataFrame, metric: str) -> pd.DataFrame:
    """(system, seed) x model values of ``metric``; failed jobs hold the metric's worst value,
    incomplete blocks are dropped (module docstring)."""
    info = metric_registry.info(metric)
    per_job = jobs(rows, metric)
    value = per_job["value"].where(per_job["status"].isin(SCORED), info.worst)
    matrix = per_job.assign(value=value).pivot_table(
        index=["system", "seed"], columns="model", values="value", aggfunc="median", dropna=False)
    return matrix.dropna(axis=0, how="any")


def rank_models(rows: pd.DataFrame, metric: str = "smape", alpha: float = 0.05) -> Ranking:
    """Friedman test, Nemenyi p-values and critical difference of the models in ``rows``."""
    import scikit_posthocs as sp

    higher = metric_registry.info(metric).direction == "higher"
    matrix = block_matrix(rows, metric)
    k, n = matrix.shape[1], matrix.shape[0]
    if k < 2 or n < 2:
        raise ValueError(f"a ranking needs at least two models and two complete (system, seed) "
                         f"blocks; {metric!r} has {k} model(s) and {n} block(s)")
    oriented = -matrix if higher else matrix  # rank 1 = best
    ranks = oriented.rank(axis=1, method="average").mean(axis=0).sort_values()
    statistic = pvalue = float("nan")
    if k >= 3:
        statistic, pvalue = stats.friedmanchisquare(*oriented.to_numpy().T)
    pvalues = sp.posthoc_nemenyi_friedman(oriented.to_numpy())
    pvalues.index = pvalues.columns = matrix.columns
    q_alpha = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
    cd = float(q_alpha * np.sqrt(k * (k + 1) / (6 * n)))
    return Ranking(metric, ranks, pvalues, cd, float(statistic), float(pvalue), n, alpha)


@styled
def cd_diagram(rows: pd.DataFrame, metric: str = "smape", alpha: float = 0.05):
    """The critical-difference diagram of the sweep's models on ``metric``: mean ranks on the
    axis, models joined by a bar where Nemenyi finds no significant difference at ``alpha``."""
    import scikit_posthocs as sp

    try:
        ranking = rank_models(rows, metric, alpha)
    except ValueError as error:
        return empty_figure(f"No critical-difference diagram: {error}.")
    k = len(ranking.mean_ranks)
    fig, ax = new_figure(7.0, 1.4 + 0.28 * k)
    colors = model_colors(ranking.mean_ranks.index)
    drawn = sp.critical_difference_diagram(ranking.mean_ranks, ranking.pvalues, ax=ax,
                                           alpha=alpha, color_palette=colors,
                                           label_props={"fontsize": 9})
    for label in drawn["labels"]:
        label.set_color("black")  # coloured markers and elbows; text stays readable
    ax.xaxis.set_label_position("top")
    ax.set_xlabel(f"mean rank on {metric} over {ranking.n_blocks} (system, seed) blocks "
                  f"(1 = best)")
    friedman = ("" if np.isnan(ranking.statistic) else
                f"Friedman $\\chi^2$ = {ranking.statistic:.1f}, p = {ranking.pvalue:.2g}; ")
    ax.set_title(f"{friedman}Nemenyi CD = {ranking.critical_difference:.2f} "
                 f"($\\alpha$ = {alpha:g}); bars join models not significantly different",
                 loc="left", fontsize=9)
    return fig
