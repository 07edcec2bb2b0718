"""Our numbers beside the published ones: the comparison behind ``chaosbench reproduce``.

For each row (a paper profile, :data:`chaosbench.published.PROFILES`) and system, the sMAPE of
our job under ``gilpin2023`` is set beside the published sMAPE of the same system (Gilpin 2023,
Phys. Rev. Research 5, 043252; :mod:`chaosbench.published`). Per row, over the systems where both
are finite:

* ``ours``, ``published``: the median sMAPE (0-200 scale); ``difference`` = ours - published and
  ``relative`` = difference / published; ``within_15pct`` = |relative| <= 0.15 (the target);
* ``relative_lo``, ``relative_hi``: a bootstrap 95% interval (percentile, :data:`N_BOOT`
  resamples, a fixed local generator) of ``relative``, the systems resampled with replacement and
  both medians recomputed on each resample. It says how far the verdict can be trusted: with one
  initial condition per system, per-system sMAPE scatters by tens, and a median over few systems
  moves a lot with which systems are in (``benchmarks/subset_spread.py`` measures it on random
  subsets of a finished run);
* ``system_spearman``: Spearman's rho between our and the published sMAPE over systems (do we
  find the same systems hard?), and ``median_abs_difference`` per system.

Across rows, ``spearman`` is Spearman's rho between the two rankings of the rows' medians.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np
import pandas as pd

from chaosbench import published

__all__ = ["CHEAP", "DEEP", "published_systems", "subset", "halves", "published_model", "compare",
           "row_table", "relative_interval", "rank_correlation"]

#: Bootstrap resamples of the interval of ``relative`` (as the leaderboard's intervals).
N_BOOT = 1000

#: Rows that fit the one-hour CPU budget over the catalogue, and the deep (darts / torch) rows.
CHEAP = ["paper/linear_regression", "paper/nvar1", "paper/esn", "paper/random_forest",
         "paper/xgboost", "paper/kalman"]
DEEP = ["paper/nbeats", "paper/nhits", "paper/lstm", "paper/transformer", "paper/tcn",
        "paper/blockrnn", "paper/nlinear", "paper/dlinear", "paper/node"]


def published_systems(protocol: str = "gilpin2023") -> list[str]:
    """Catalogue systems with a published score under ``protocol`` (133 of 135 for gilpin2023:
    GlycolyticOscillation and InteriorSquirmer post-date the paper)."""
    from chaosbench.catalogue import systems

    have = set(published.results(protocol, "smape")["system"])
    return [name for name in systems() if name in have]


def subset() -> list[str]:
    """The documented fixed subset for CPU runs: every 11th published system in alphabetical
    order (13 systems, Aizawa ... ZhouChen)."""
    return published_systems()[::11]


def halves() -> tuple[list[str], list[str]]:
    """The published systems split in two fixed halves, alternately in alphabetical order: the
    even-numbered (67, Aizawa, Arneodo, ...) and the odd-numbered (66). A deep row too costly for
    the whole catalogue here runs on ``half`` (a median over 67 systems: where BlockRNN's whole
    catalogue is +2% from the published median, 95% of its random 66-system subsets are between
    -11% and +10%), and ``half_rest`` completes it."""
    names = published_systems()
    return names[::2], names[1::2]


def published_model(row: str) -> str:
    """The published model name of a paper profile (``paper/esn`` -> ``ESN``)."""
    for model, profile in published.PROFILES.items():
        if profile == row:
            return model
    raise KeyError(row)


def compare(ours: pd.DataFrame, protocol: str = "gilpin2023") -> pd.DataFrame:
    """Per (row, system): ``ours`` and ``published`` sMAPE. ``ours`` has columns
    ``row, system, smape, status``."""
    pub = published.results(protocol, "smape")[["system", "model", "value"]]
    pub = pub.rename(columns={"value": "published"})
    frame = ours.assign(model=ours["row"].map(published_model)).rename(columns={"smape": "ours"})
    return frame.merge(pub, on=["system", "model"], how="left")


def _spearman(a: Iterable[float], b: Iterable[float]) -> float:
    from scipy.stats import spearmanr

    a, b = np.asarray(list(a), float), np.asarray(list(b), float)
    if len(a) < 3:
        return math.nan
    return float(spearmanr(a, b).statistic)


def relative_interval(ours, published, seed: int = 0) -> tuple[float, float]:
    """Bootstrap 95% interval of ``median(ours) / median(published) - 1``: the systems (pairs
    ``ours[i], published[i]``) resampled with replacement, :data:`N_BOOT` times."""
    ours, published = np.asarray(ours, float), np.asarray(published, float)
    if len(ours) < 2:
        return math.nan, math.nan
    picks = np.random.default_rng(seed).integers(len(ours), size=(N_BOOT, len(ours)))
    pub = np.median(published[picks], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.median(ours[picks], axis=1) / pub - 1.0
    lo, hi = np.nanpercentile(relative, [2.5, 97.5])
    return float(lo), float(hi)


def row_table(systems: pd.DataFrame) -> pd.DataFrame:
    """The per-row summary of :func:`compare`'s table (see the module docstring)."""
    out = []
    for row, group in systems.groupby("row", sort=False):
        both = group[np.isfinite(group["ours"]) & np.isfinite(group["published"])]
        ours, pub = both["ours"].median(), both["published"].median()
        lo, hi = relative_interval(both["ours"], both["published"])
        out.append({
            "row": row, "model": group["model"].iloc[0], "systems": len(group),
            "compared": len(both), "not_ok": int((group["status"] != "ok").sum()),
            "ours": ours, "published": pub, "difference": ours - pub,
            "relative": (ours - pub) / pub if pub else math.nan,
            "relative_lo": lo, "relative_hi": hi,
            "within_15pct": bool(abs((ours - pub) / pub) <= 0.15) if pub else False,
            "system_spearman": _spearman(both["ours"], both["published"]),
            "median_abs_difference": float((both["ours"] - both["published"]).abs().median()),
        })
    return pd.DataFrame(out).sort_values("published").reset_index(drop=True)


def rank_correlation(rows: pd.DataFrame) -> float:
    """Spearman's rho between our and the published ranking of the rows' medians."""
    rows = rows.dropna(subset=["ours", "published"])
    return _spearman(rows["ours"], rows["published"])
