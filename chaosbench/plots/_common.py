"""What every figure shares: the palette, the figure sizes, axis labels with units, the model
names of a sweep, one row per job, and saving a figure as PNG and SVG.

Colours are the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"; Wong 2011,
Nature Methods 8:441), distinguishable under the common colour-vision deficiencies, followed by
matplotlib's ``tableau-colorblind10`` for sweeps with more than eight models; a model keeps its
colour in every figure of a report.

Figures are built as :class:`matplotlib.figure.Figure` objects, never through pyplot: no
display backend is involved (PNG is rendered by Agg), the caller's pyplot state and backend are
left alone, and a figure is freed when it is no longer referenced.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Iterable

import matplotlib
import matplotlib.style
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from chaosbench import metrics as metric_registry

__all__ = ["OKABE_ITO", "TRUTH", "SCORED", "FAILED", "STYLE", "styled", "palette", "model_colors",
           "model_markers", "metric_label", "model_names", "jobs", "blank_figure", "new_figure",
           "empty_figure", "save_figure", "jitter"]

#: Okabe-Ito colours without black (black is the ground truth in every figure); yellow, hard to
#: read as a line or text on white, comes last.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#999999",
             "#F0E442")
TRUTH = "black"
SCORED = ("ok", "diverged")
FAILED = ("failed", "timeout")

#: Font sizes readable in a paper column and in a browser at 100%.
STYLE = {"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 9,
         "xtick.labelsize": 9, "ytick.labelsize": 9, "figure.dpi": 100, "savefig.dpi": 150,
         "axes.spines.top": False, "axes.spines.right": False, "svg.fonttype": "none"}

#: Units of the metrics the figures label most often (the rest: the metric's name).
_UNITS = {"vpt": "VPT (Lyapunov times)", "vpt_steps": "VPT (steps)", "smape": "sMAPE (0-200)",
          "smape_1lt": "sMAPE over 1 Lyapunov time (0-200)",
          "smape_4lt": "sMAPE over 4 Lyapunov times (0-200)",
          "smape_10lt": "sMAPE over 10 Lyapunov times (0-200)", "mape": "MAPE (%)",
          "wape": "WAPE (%)"}


def palette(n: int) -> list[str]:
    """``n`` colourblind-safe colours: Okabe-Ito, then tableau-colorblind10, then repeated."""
    tableau = matplotlib.style.library["tableau-colorblind10"]["axes.prop_cycle"].by_key()["color"]
    base = list(OKABE_ITO) + tableau
    return [base[i % len(base)] for i in range(n)]


MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")


def model_markers(models: Iterable[str]) -> dict[str, str]:
    """A fixed marker per model, so models stay apart without colour too."""
    names = sorted(set(models))
    return {name: MARKERS[i % len(MARKERS)] for i, name in enumerate(names)}


def model_colors(models: Iterable[str]) -> dict[str, str]:
    """A fixed colour per model (sorted by name, so the same sweep always gets the same map)."""
    names = sorted(set(models))
    return dict(zip(names, palette(len(names))))


def metric_label(metric: str) -> str:
    """Axis label of ``metric`` with its unit and which direction is better."""
    info = metric_registry.info(metric)
    better = {"higher": "higher is better", "lower": "lower is better"}.get(info.direction, "")
    label = _UNITS.get(metric, metric)
    return f"{label}, {better}" if better else label


def model_names(rows: pd.DataFrame) -> pd.Series:
    """The model of each row: ``label`` (forecaster plus variant) where the sweep records it,
    else ``forecaster``; with the protocol appended when the sweep has several protocols."""
    name = rows["label"] if "label" in rows else rows["forecaster"]
    name = name.fillna(rows["forecaster"]).astype(str)
    if rows["protocol"].nunique() > 1:
        name = name + " (" + rows["protocol"].astype(str) + ")"
    return name


def jobs(rows: pd.DataFrame, metric: str | None = None) -> pd.DataFrame:
    """One row per job: job_id, model, system, protocol, seed, status, reason, dt, max_lyapunov,
    horizon_lyapunov, and the value of ``metric`` (if given) as column ``value``."""
    keep = ["job_id", "system", "protocol", "seed", "status", "reason", "dt", "max_lyapunov",
            "horizon_lyapunov", "fit_seconds"]
    per_job = rows.drop_duplicates("job_id")
    out = per_job[keep].assign(model=model_names(per_job).to_numpy()).set_index("job_id")
    if metric is not None:
        metric_registry.info(metric)
        values = rows[rows["metric"] == metric].set_index("job_id")["value"]
        out = out.join(values.rename("value"))
    return out.reset_index()


def styled(function):
    """Draw ``function``'s figure in the house style (:data:`STYLE`)."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return function(*args, **kwargs)
    return wrapper


def blank_figure(width: float, height: float) -> Figure:
    """A figure without axes, laid out with constrained layout (for 3-D panels)."""
    return Figure(figsize=(width, height), layout="constrained")


def new_figure(width: float = 6.4, height: float = 4.0, **subplots):
    """``(fig, axes)`` laid out with constrained layout (call inside a :func:`styled` function)."""
    fig = blank_figure(width, height)
    return fig, fig.subplots(**subplots)


@styled
def empty_figure(message: str, width: float = 6.4, height: float = 2.0):
    """A figure that says why there is nothing to draw (a report never fails on thin data)."""
    fig, ax = new_figure(width, height)
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, transform=ax.transAxes)
    ax.set_axis_off()
    return fig


def save_figure(fig, folder: str | Path, stem: str) -> dict[str, Path]:
    """Write ``fig`` as ``<stem>.png`` and ``<stem>.svg`` in ``folder``; returns both paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {ext: folder / f"{stem}.{ext}" for ext in ("png", "svg")}
    with matplotlib.rc_context(STYLE):
        fig.savefig(paths["png"], bbox_inches="tight")
        fig.savefig(paths["svg"], bbox_inches="tight", metadata={"Date": None})  # reproducible
    return paths


def jitter(n: int, width: float, seed: int) -> np.ndarray:
    """Horizontal offsets for strip plots, reproducible from ``seed``."""
    return np.random.default_rng(seed).uniform(-width, width, n)
