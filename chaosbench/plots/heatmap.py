"""A system x model heatmap of one metric (median over seeds of scored jobs).

The colour map is cividis (Nunez, Anderton & Renslow 2018, PLoS ONE 13:e0199239), readable
with colour-vision deficiencies and in greyscale, oriented so that brighter is always better.
Cells of jobs that failed or timed out (no value) are grey and marked with a cross.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chaosbench import metrics as metric_registry

from ._common import SCORED, empty_figure, jobs, metric_label, new_figure, styled

__all__ = ["metric_matrix", "heatmap"]


def metric_matrix(rows: pd.DataFrame, metric: str = "vpt") -> pd.DataFrame:
    """System x model medians over seeds of ``metric`` (NaN where no job was scored); models in
    the order of their median over systems, best first; systems sorted by name."""
    info = metric_registry.info(metric)
    per_job = jobs(rows, metric)
    models = sorted(per_job["model"].unique())
    systems = sorted(per_job["system"].unique())
    scored = per_job[per_job["status"].isin(SCORED)]
    matrix = scored.pivot_table(index="system", columns="model", values="value", aggfunc="median")
    matrix = matrix.reindex(index=systems, columns=models)
    order = matrix.median(axis=0).sort_values(ascending=info.direction != "higher",
                                              na_position="last").index
    return matrix[order]


@styled
def heatmap(rows: pd.DataFrame, metric: str = "vpt", *, annotate: bool | None = None):
    """The :func:`metric_matrix` of ``rows`` as an image, one row per system and one column per
    model; values are written in the cells when the table is small (``annotate``)."""
    matrix = metric_matrix(rows, metric)
    if matrix.empty:
        return empty_figure("No jobs to show.")
    n_sys, n_mod = matrix.shape
    annotate = n_sys * n_mod <= 400 if annotate is None else annotate
    info = metric_registry.info(metric)
    fig, ax = new_figure(min(2.5 + 0.6 * n_mod, 16), min(2.2 + 0.3 * n_sys, 40))
    values = np.ma.masked_invalid(matrix.to_numpy(float))
    cmap = _with_grey_for_missing("cividis" if info.direction == "higher" else "cividis_r")
    finite = values.compressed()
    finite = finite[np.isfinite(finite)]
    vmin, vmax = (np.percentile(finite, [2, 98]) if finite.size else (0, 1))
    image = ax.imshow(values, aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax,
                      interpolation="nearest")
    for i, j in zip(*np.nonzero(np.ma.getmaskarray(values))):
        ax.text(j, i, "×", ha="center", va="center", color="0.25", fontsize=8)
    if annotate:
        for i, j in zip(*np.nonzero(~np.ma.getmaskarray(values))):
            v = values[i, j]
            light = (v - vmin) / (vmax - vmin or 1) > 0.6
            if info.direction != "higher":
                light = not light
            ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=7,
                    color="black" if light else "white")
    ax.set_xticks(np.arange(n_mod), matrix.columns, rotation=45, ha="right")
    ax.set_yticks(np.arange(n_sys), matrix.index)
    ax.set_xlabel("model")
    ax.set_ylabel("system")
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label(f"{metric_label(metric)} (median over seeds)")
    return fig


def _with_grey_for_missing(name: str):
    """``name`` with grey for missing cells."""
    import matplotlib

    return matplotlib.colormaps[name].with_extremes(bad="0.85")
