"""The static HTML report of a sweep: one static page plus every figure as PNG and SVG.

    <out>/index.html          the summary figures embedded as base64 PNG
    <out>/figures/<name>.png  every figure, for papers; the per-system figures (saved
    <out>/figures/<name>.svg  forecasts, gallery) are shown from here by relative links, so a
                              sweep of the whole catalogue does not make a page of 100s of MB

The page loads nothing from the network; its one script (inline) sorts the leaderboard table
when a column header is clicked.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from chaosbench import metrics as metric_registry

from ._common import FAILED, SCORED, jobs, save_figure
from .forecasts import attractor_overlay, forecast_traces, load_forecasts, power_spectra, \
    smape_by_step
from .gallery import attractor
from .heatmap import heatmap
from .leaderboard import leaderboard_figure, leaderboard_table
from .ranking import cd_diagram
from .vpt import vpt_by_model, vpt_vs_invariant

__all__ = ["Figure", "report_figures", "write_report"]


@dataclass(frozen=True)
class Figure:
    """One figure of the report: its section, file stem, caption and how to draw it."""

    section: str
    stem: str
    caption: str
    draw: Callable[[], object]
    embed: bool = True  # inline in the page (summary figures) or linked (per-system figures)


def report_figures(rows: pd.DataFrame, saved: list, *, metric: str, table: pd.DataFrame,
                   systems: Iterable[str], gallery: bool = False) -> list[Figure]:
    """The figures of the report, in page order (none when no job was scored)."""
    if not rows["status"].isin(SCORED).any():
        return []
    figures = [
        Figure("Leaderboard", "leaderboard", "Median VPT and median "
               f"{metric} per model; intervals: 95% percentile bootstrap over seeds within "
               "systems (none with one seed).", lambda: leaderboard_figure(table, metric)),
        Figure("Statistical comparison", f"cd_{metric}", "Critical-difference diagram "
               f"(Demsar 2006) on {metric}: Friedman test, Nemenyi post-hoc test; failed jobs "
               "rank last.", lambda: cd_diagram(rows, metric)),
        Figure("Valid prediction time", "vpt_by_model", "VPT per model over systems (each point "
               "one system, median over seeds).", lambda: vpt_by_model(rows)),
        Figure("Valid prediction time", "vpt_vs_lyapunov", "VPT against the system's largest "
               "Lyapunov exponent (catalogue).", lambda: vpt_vs_invariant(rows, "max_lyapunov")),
        Figure("Valid prediction time", "vpt_vs_correlation_dimension", "VPT against the "
               "system's correlation dimension (catalogue).",
               lambda: vpt_vs_invariant(rows, "correlation_dimension")),
        Figure("Systems x models", f"heatmap_{metric}", f"{metric} per system and model "
               "(median over seeds; grey: no scored job).", lambda: heatmap(rows, metric)),
    ]
    if metric != "vpt":
        figures.append(Figure("Systems x models", "heatmap_vpt", "VPT per system and model "
                              "(median over seeds).", lambda: heatmap(rows, "vpt")))
    if saved:
        figures.append(Figure("Error against horizon", "smape_by_step", "sMAPE at each forecast "
                              "step: median over systems, interquartile band.",
                              lambda: smape_by_step(saved)))
        for name in systems:
            figures += [
                Figure(f"Saved forecasts: {name}", f"traces_{name}", "Forecast against truth.",
                       lambda name=name: forecast_traces(saved, name), embed=False),
                Figure(f"Saved forecasts: {name}", f"attractor_{name}", "Attractor and forecast.",
                       lambda name=name: attractor_overlay(saved, name), embed=False),
                Figure(f"Saved forecasts: {name}", f"spectra_{name}", "Power spectra.",
                       lambda name=name: power_spectra(saved, name), embed=False),
            ]
    if gallery:
        figures += [Figure("Catalogue gallery", f"gallery_{name}", name,
                           lambda name=name: attractor(name), embed=False)
                    for name in sorted(rows["system"].unique())]
    return figures


def _fmt(value, digits: int = 3) -> str:
    if isinstance(value, (float, np.floating)):
        return "" if math.isnan(value) else f"{value:.{digits}g}"
    return str(value)


def _table_html(table: pd.DataFrame, metric: str) -> str:
    """The leaderboard as a sortable table; medians carry their interval where there is one."""
    shown = ["rank", "model", "systems", "jobs", "failures", "diverged", "median_vpt",
             f"median_{metric}", "mean_rank", "skill_vs_naive", "fit_seconds"]
    shown = list(dict.fromkeys(c for c in shown if c in table))
    head = "".join(f'<th scope="col" title="click to sort">{html.escape(c)}</th>' for c in shown)
    body = []
    for row in table.to_dict("records"):
        cells = []
        for c in shown:
            value, text = row[c], _fmt(row[c])
            lo, hi = row.get(f"{c}_lo"), row.get(f"{c}_hi")
            if lo is not None and not (math.isnan(lo) or math.isnan(hi)):
                text += f' <span class="ci">[{_fmt(lo)}, {_fmt(hi)}]</span>'
            key = value if isinstance(value, str) else ("" if pd.isna(value) else f"{value!r}")
            cells.append(f'<td data-sort="{html.escape(str(key))}">'
                         f'{text if "span" in text else html.escape(text)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="sortable" id="leaderboard"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _failures_html(per_job: pd.DataFrame) -> str:
    failed = per_job[per_job["status"].isin(FAILED)].sort_values(["system", "model", "seed"])
    if failed.empty:
        return ""
    rows = "".join(f"<tr><td>{html.escape(r.system)}</td><td>{html.escape(r.model)}</td>"
                   f"<td>{r.seed}</td><td>{html.escape(r.status)}</td>"
                   f"<td class='reason'>{html.escape(str(r.reason))}</td></tr>"
                   for r in failed.itertuples())
    return ("<h2 id='failures'>Failed jobs</h2><table class='failures'><thead><tr>"
            "<th>system</th><th>model</th><th>seed</th><th>status</th><th>reason</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _notice(per_job: pd.DataFrame, saved: bool) -> str:
    """What the reader must know first: failed jobs, and figures missing for lack of data."""
    n_failed = int(per_job["status"].isin(FAILED).sum())
    if n_failed == len(per_job):
        return (f"<p class='notice' id='all-failed'>Every job of this sweep failed "
                f"({len(per_job)} jobs): there is nothing to score or rank; the reasons are "
                f"listed under <a href='#failures'>Failed jobs</a>.</p>")
    notice = "" if not n_failed else (
        f"<p class='notice'>{n_failed} of {len(per_job)} jobs failed or timed out; they rank "
        f"last and are listed under <a href='#failures'>Failed jobs</a>.</p>")
    if not saved:
        notice += ("<p class='meta'>No saved forecasts: rerun with <code>save_forecast=true</code>"
                   " for error-against-horizon, trace, attractor and spectrum figures.</p>")
    return notice


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ddd;padding-bottom:.2em;
margin-top:1.8em}table{border-collapse:collapse;font-size:.9em;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right}
td:nth-child(2),th:nth-child(2),.failures td,.failures th{text-align:left}
th{background:#f2f2f2;cursor:pointer;user-select:none}
th.asc::after{content:" \\25B2"}th.desc::after{content:" \\25BC"}
.ci{color:#666;font-size:.85em}figure{margin:1em 0}img{max-width:100%;height:auto}
figcaption{font-size:.9em;color:#444}.notice{background:#fff3cd;border:1px solid #e0c36a;
padding:.6em 1em}.meta{color:#555;font-size:.9em}
summary{font-weight:600;cursor:pointer;margin:.4em 0}
"""

# Click a header to sort by it (numbers numerically, text alphabetically); again to reverse.
_SORT_JS = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var asc = !th.classList.contains("asc");
      table.querySelectorAll("th").forEach(function (h) { h.classList.remove("asc", "desc"); });
      th.classList.add(asc ? "asc" : "desc");
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.sort, y = b.cells[col].dataset.sort;
        var nx = parseFloat(x), ny = parseFloat(y), d;
        if (x === "") { return 1; } if (y === "") { return -1; }
        d = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return asc ? d : -d;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def write_report(results_dir: str | Path, sweep: str, *, out: str | Path | None = None,
                 metric: str = "smape", systems: Iterable[str] | None = None,
                 gallery: bool = False, n_boot: int = 1000, progress: bool = True) -> Path:
    """Write the report of ``sweep`` (default folder ``<results_dir>/<sweep>/report``) and
    return the path of its ``index.html``. Raises FileNotFoundError when the sweep has no
    results and ValueError for an unknown metric or a system the sweep did not run."""
    from tqdm import tqdm

    from chaosbench.results import read_sweep

    metric_registry.info(metric)
    rows = read_sweep(results_dir, sweep)
    if rows.empty:
        raise FileNotFoundError(f"no results for sweep {sweep!r} in {results_dir}")
    per_job = jobs(rows)
    ran = sorted(per_job["system"].unique())
    chosen = ran if systems is None else list(systems)
    unknown = [s for s in chosen if s not in ran]
    if unknown:
        from chaosbench.suggest import suggest
        raise ValueError(f"{suggest(unknown[0], ran, 'system')} (the systems this sweep ran)")
    out = Path(out) if out is not None else Path(results_dir) / sweep / "report"
    folder = out / "figures"

    table = leaderboard_table(rows, metric, n_boot=n_boot)
    saved = load_forecasts(results_dir, sweep, rows)
    figures = report_figures(rows, saved, metric=metric, table=table,
                             systems=[s for s in chosen if any(f.system == s for f in saved)],
                             gallery=gallery)
    sections: dict[str, list[str]] = {}
    for figure in tqdm(figures, desc=f"report {sweep}", unit="figure", disable=not progress):
        fig = figure.draw()
        paths = save_figure(fig, folder, figure.stem)
        source = (f'data:image/png;base64,{base64.b64encode(paths["png"].read_bytes()).decode()}'
                  if figure.embed else f"figures/{figure.stem}.png")
        sections.setdefault(figure.section, []).append(
            f'<figure><img src="{source}" alt="{html.escape(figure.stem)}">'
            f'<figcaption>{html.escape(figure.caption)} '
            f'<a href="figures/{figure.stem}.svg">SVG</a> · '
            f'<a href="figures/{figure.stem}.png">PNG</a></figcaption></figure>')

    counts = per_job["status"].value_counts()
    notice = _notice(per_job, bool(saved))
    meta = (f"{len(per_job)} jobs ({', '.join(f'{n} {s}' for s, n in counts.items())}); "
            f"{per_job['system'].nunique()} systems; {per_job['model'].nunique()} models; "
            f"seeds {', '.join(map(str, sorted(per_job['seed'].unique())))}; protocols "
            f"{', '.join(sorted(per_job['protocol'].unique()))}. sMAPE on the 0-200 scale; VPT "
            f"in Lyapunov times (cumulative sMAPE threshold 30). Ranking metric: {metric}.")
    parts = [f"<h1>chaosbench report: {html.escape(sweep)}</h1>",
             f"<p class='meta'>{html.escape(meta)}<br>Generated "
             f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC from "
             f"{html.escape(str(Path(results_dir) / sweep))}.</p>", notice]
    if not table.empty:
        parts += ["<h2>Leaderboard</h2>", _table_html(table, metric)]
    for section, items in sections.items():
        title = html.escape(section)
        if section.startswith("Saved forecasts:"):  # one folding block per system
            if "<h2>Saved forecasts</h2>" not in parts:
                parts.append("<h2>Saved forecasts</h2>")
            parts.append(f"<details><summary>{title[17:]}</summary>{''.join(items)}</details>")
            continue
        if section == "Catalogue gallery":
            parts.append(f"<h2>{title}</h2><details><summary>the attractor of each system"
                         f"</summary>{''.join(items)}</details>")
            continue
        if section != "Leaderboard":
            parts.append(f"<h2>{title}</h2>")
        parts += items
    parts.append(_failures_html(per_job))
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>chaosbench report: {html.escape(sweep)}</title><style>{_CSS}</style>"
            f"</head><body>{''.join(parts)}<script>{_SORT_JS}</script></body></html>")
    out.mkdir(parents=True, exist_ok=True)
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
