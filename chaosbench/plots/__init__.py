"""chaosbench.plots: figures of benchmark results and of the catalogue, as matplotlib figures.

Every function takes a sweep's tidy rows (``chaosbench.results.read_sweep``) or its saved
forecasts (``load_forecasts``) and returns a :class:`matplotlib.figure.Figure` built without
pyplot: nothing opens a window or touches the caller's backend, and PNGs are rendered by Agg.
``save_figure(fig, folder, stem)`` writes PNG and SVG.

    from chaosbench.results import read_sweep
    from chaosbench import plots
    rows = read_sweep("results", "default")
    plots.cd_diagram(rows, metric="smape").savefig("cd.pdf")
    plots.heatmap(rows, metric="vpt")

``write_report(results_dir, sweep)`` puts all of them in one static HTML page
(``chaosbench report <sweep>``).
"""

from ._common import metric_label, model_colors, model_names, palette, save_figure
from .forecasts import (SavedForecast, attractor_overlay, forecast_traces, load_forecasts,
                        power_spectra, smape_by_step, step_smape)
from .gallery import attractor, write_gallery
from .heatmap import heatmap, metric_matrix
from .leaderboard import leaderboard_figure, leaderboard_table, seed_bootstrap
from .ranking import Ranking, block_matrix, cd_diagram, rank_models
from .report import report_figures, write_report
from .vpt import INVARIANTS, vpt_by_model, vpt_by_system, vpt_vs_invariant

__all__ = ["metric_label", "model_colors", "model_names", "palette", "save_figure",
           "SavedForecast", "load_forecasts", "step_smape", "smape_by_step", "forecast_traces",
           "attractor_overlay", "power_spectra", "attractor", "write_gallery", "heatmap",
           "metric_matrix", "leaderboard_table", "leaderboard_figure", "seed_bootstrap",
           "Ranking", "block_matrix", "rank_models", "cd_diagram", "report_figures",
           "write_report", "INVARIANTS", "vpt_by_system", "vpt_by_model", "vpt_vs_invariant"]
