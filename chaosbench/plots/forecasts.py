"""Figures of saved forecasts: traces against the truth, attractors overlaid, power spectra,
and the error at each step of the horizon.

Jobs run with ``save_forecast=true`` keep ``<job_id>.npz`` (arrays ``train``, ``test``,
``forecast``) beside their Parquet file; :func:`load_forecasts` reads them with the job's
metadata from the sweep's rows. Time axes are in Lyapunov times, ``step x dt x lambda_max``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import signal

import chaosbench
from chaosbench.metrics._common import diverged_mask
from chaosbench.metrics.pointwise import smape_terms

from ._common import TRUTH, blank_figure, empty_figure, jobs, model_colors, new_figure, styled

__all__ = ["SavedForecast", "load_forecasts", "step_smape", "smape_by_step", "forecast_traces",
           "attractor_overlay", "power_spectra"]


@dataclass(frozen=True)
class SavedForecast:
    """One job's saved arrays and what is needed to draw them."""

    job_id: str
    model: str
    system: str
    seed: int
    dt: float
    max_lyapunov: float
    train: np.ndarray
    test: np.ndarray
    forecast: np.ndarray

    @property
    def lyapunov_times(self) -> np.ndarray:
        """Time of each forecast step in Lyapunov times (step 1 is one ``dt`` after train)."""
        return np.arange(1, len(self.test) + 1) * self.dt * self.max_lyapunov


def load_forecasts(results_dir: str | Path, sweep: str, rows: pd.DataFrame) -> list[SavedForecast]:
    """The saved forecasts of the jobs in ``rows`` (jobs without an ``.npz`` are skipped)."""
    folder = Path(results_dir) / sweep
    out = []
    for job in jobs(rows).itertuples(index=False):
        path = folder / f"{job.job_id}.npz"
        if not path.is_file():
            continue
        with np.load(path) as arrays:
            out.append(SavedForecast(job.job_id, job.model, job.system, int(job.seed),
                                     float(job.dt), float(job.max_lyapunov),
                                     *(np.atleast_2d(arrays[k].T).T
                                       for k in ("train", "test", "forecast"))))
    return out


def step_smape(saved: SavedForecast) -> np.ndarray:
    """sMAPE (0-200) at each step of the horizon, averaged over dimensions; a diverged step
    (non-finite or beyond ``metrics.DIVERGED``) scores the worst value, 200."""
    bad = diverged_mask(saved.forecast)
    forecast = np.where(bad[:, None], 0.0, saved.forecast)
    terms = smape_terms(saved.test, forecast).mean(axis=1)
    return np.where(bad, 200.0, terms)


@styled
def smape_by_step(saved: list[SavedForecast], *, unit: str = "steps", band: bool = True):
    """sMAPE at each step of the horizon per model: the median over systems (each system the
    mean over its seeds) and, with ``band``, the interquartile range over systems.

    ``unit="steps"`` puts forecast steps on the x axis (every job of a protocol shares them);
    ``unit="lyapunov"`` puts Lyapunov times, interpolating each system onto a common grid up to
    the shortest horizon among the systems.
    """
    if unit not in ("steps", "lyapunov"):
        raise ValueError(f"unknown unit {unit!r}; valid: 'steps', 'lyapunov'")
    if not saved:
        return empty_figure("No saved forecasts: rerun the sweep with save_forecast=true.")
    colors = model_colors(s.model for s in saved)
    fig, ax = new_figure(6.4, 4.0)
    frame = pd.DataFrame({"model": [s.model for s in saved], "system": [s.system for s in saved],
                          "index": range(len(saved))})
    for model, group in frame.groupby("model"):
        curves, grids = [], []
        for _, per_system in group.groupby("system"):
            members = [saved[i] for i in per_system["index"]]
            n = min(len(m.test) for m in members)
            curves.append(np.mean([step_smape(m)[:n] for m in members], axis=0))
            grids.append(members[0].lyapunov_times[:n])
        if unit == "steps":
            n = min(len(c) for c in curves)
            x = np.arange(1, n + 1)
            stack = np.array([c[:n] for c in curves])
        else:
            x = np.linspace(min(g[0] for g in grids), min(g[-1] for g in grids), 200)
            stack = np.array([np.interp(x, g, c) for g, c in zip(grids, curves)])
        q25, median, q75 = np.percentile(stack, [25, 50, 75], axis=0)
        ax.plot(x, median, color=colors[model], lw=1.6, label=f"{model} ({len(curves)} systems)")
        if band and len(curves) > 1:
            ax.fill_between(x, q25, q75, color=colors[model], alpha=0.2, lw=0)
    ax.set_xlabel("forecast horizon (steps)" if unit == "steps"
                  else "forecast horizon (Lyapunov times)")
    ax.set_ylabel("sMAPE at each step (0-200), lower is better")
    ax.set_ylim(0, 200)
    ax.set_title("median over systems" + (", interquartile band" if band else ""), loc="left")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    return fig


def _one_per_model(saved: list[SavedForecast], system: str) -> list[SavedForecast]:
    """The forecasts of ``system``, one per model (its lowest seed), sorted by model."""
    chosen: dict[str, SavedForecast] = {}
    for s in sorted((s for s in saved if s.system == system), key=lambda s: (s.model, s.seed)):
        chosen.setdefault(s.model, s)
    return list(chosen.values())


def _variables(system: str, dim: int) -> list[str]:
    names = list(chaosbench.system(system).variables) if system in chaosbench.systems() else []
    return names[:dim] if len(names) >= dim else [f"$x_{i + 1}$" for i in range(dim)]


@styled
def forecast_traces(saved: list[SavedForecast], system: str, *, max_dims: int = 3):
    """Truth and each model's forecast of ``system`` against time in Lyapunov times, one panel
    per coordinate (the first ``max_dims``)."""
    chosen = _one_per_model(saved, system)
    if not chosen:
        return empty_figure(f"No saved forecasts of {system}.")
    dims = min(chosen[0].test.shape[1], max_dims)
    colors = model_colors(s.model for s in saved)
    fig, axes = new_figure(7.0, 1.2 + 1.5 * dims, nrows=dims, sharex=True, squeeze=False)
    t = chosen[0].lyapunov_times
    for d, (ax, name) in enumerate(zip(axes[:, 0], _variables(system, dims))):
        ax.plot(t, chosen[0].test[:, d], color=TRUTH, lw=2.0, label="truth")
        for s in chosen:
            ax.plot(s.lyapunov_times, np.where(diverged_mask(s.forecast), np.nan,
                                               s.forecast[:, d]),
                    color=colors[s.model], lw=1.2, label=s.model)
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(frameon=False, ncols=min(len(chosen) + 1, 5), fontsize=8, loc="lower left",
                      bbox_to_anchor=(0, 1))
    axes[-1, 0].set_xlabel("time since the end of training (Lyapunov times)")
    fig.suptitle(f"{system}: forecast against truth (seed {chosen[0].seed})", fontsize=11)
    return fig


def _embed(x: np.ndarray, lag: int) -> np.ndarray:
    """Three coordinates to draw: the first three, or a delay embedding of the first one."""
    if x.shape[1] >= 3:
        return x[:, :3]
    n = len(x) - 2 * lag
    return np.stack([x[2 * lag:, 0][:n], x[lag:, 0][:n], x[:n, 0]], axis=1)


@styled
def attractor_overlay(saved: list[SavedForecast], system: str, *, history: int = 500):
    """One 3-D panel per model: the truth's orbit (training and test, grey) and the forecast
    (colour); the truth is drawn from ``history`` steps before the forecast to its end.
    Systems with fewer than three coordinates are drawn in delay coordinates
    ``(x(t), x(t - tau), x(t - 2 tau))`` with tau a quarter of the dominant period."""
    chosen = _one_per_model(saved, system)
    if not chosen:
        return empty_figure(f"No saved forecasts of {system}.")
    colors = model_colors(s.model for s in saved)
    cols = min(len(chosen), 4)
    rows = int(np.ceil(len(chosen) / cols))
    fig = blank_figure(3.0 * cols, 3.0 * rows + 0.4)
    period = chaosbench.system(system).period if system in chaosbench.systems() else None
    lag = max(1, int(round(period / 4 / chosen[0].dt))) if period else 10
    delay = chosen[0].test.shape[1] < 3
    names = (["x(t)", "x(t-τ)", "x(t-2τ)"] if delay else _variables(system, 3))
    for i, s in enumerate(chosen):
        ax = fig.add_subplot(rows, cols, i + 1, projection="3d")
        truth = _embed(np.concatenate([s.train[-history:], s.test]), lag)
        forecast = _embed(np.concatenate([s.train[-2 * lag:] if delay else s.train[:0],
                                          np.where(diverged_mask(s.forecast)[:, None], np.nan,
                                                   s.forecast)]), lag)
        ax.plot(*truth.T, color="0.6", lw=0.5, label="truth")
        ax.plot(*forecast.T, color=colors[s.model], lw=1.2, label="forecast")
        ax.set_title(s.model, fontsize=10)
        ax.set_xlabel(names[0], labelpad=-8)
        ax.set_ylabel(names[1], labelpad=-8)
        ax.set_zlabel(names[2], labelpad=-8)
        ax.tick_params(labelsize=6, pad=-2)
    fig.suptitle(f"{system}: attractor (grey) and forecast (seed {chosen[0].seed})", fontsize=11)
    return fig


@styled
def power_spectra(saved: list[SavedForecast], system: str):
    """Welch power spectral density (Welch 1967) of the truth and of each model's forecast of
    ``system``, averaged over coordinates; frequency in cycles per time unit of the system."""
    chosen = [s for s in _one_per_model(saved, system) if not diverged_mask(s.forecast).any()]
    if not chosen:
        return empty_figure(f"No finite saved forecasts of {system}.")
    colors = model_colors(s.model for s in saved)
    fig, ax = new_figure(6.0, 3.8)
    nperseg = min(256, len(chosen[0].test))

    def psd(x: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
        f, p = signal.welch(x, fs=1 / dt, nperseg=nperseg, axis=0)
        return f[1:], p[1:].mean(axis=1)  # drop the mean (f = 0) for the log axis

    freq, truth = psd(chosen[0].test, chosen[0].dt)
    ax.loglog(freq, truth, color=TRUTH, lw=2.0, label="truth")
    for s in chosen:
        ax.loglog(*psd(s.forecast, s.dt), color=colors[s.model], lw=1.2, label=s.model)
    # A near-constant forecast has a spectrum tens of decades down: keep the truth's range
    # (six decades below its floor) in view and let such curves leave the axes.
    ax.set_ylim(truth[truth > 0].min() * 1e-6, truth.max() * 1e3)
    ax.set_xlabel("frequency (cycles per time unit)")
    ax.set_ylabel("power spectral density (mean over coordinates)")
    ax.set_title(f"{system}: power spectra over the forecast horizon (seed {chosen[0].seed})",
                 loc="left", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(frameon=False, fontsize=8)
    return fig
