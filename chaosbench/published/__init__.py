"""Published benchmark results as data: Gilpin 2023 (multivariate) and Gilpin 2021 (univariate).

Source: W. Gilpin, "Model scale versus domain knowledge in statistical forecasting of chaotic
systems", Phys. Rev. Research 5, 043252 (2023), and "Chaos as an interpretable benchmark for
forecasting and data-driven modelling", NeurIPS Datasets and Benchmarks (2021). The numbers are
the result and hyperparameter files of the dysts repository (github.com/williamgilpin/dysts,
``benchmarks/results`` and ``benchmarks/hyperparameters`` at commit :data:`COMMIT`), reshaped by
``benchmarks/extract_published.py`` into two tidy tables shipped with the package:

``results()``: one row per (system, model, protocol, metric[, n_train]) with columns
    ``system, model, protocol, metric, value, n_train, source_file, commit``. Protocols:

    * ``gilpin2023``: multivariate, 100 points per period, 1,000 training points, 200-point test
      horizon, one initial condition per system. ``smape`` of the darts rows is the first entry
      (full 1,000-point training set) of the data-limited sweep, because the main darts result file
      is not in the stored history; ESN, NVAR and NODE come from their own result files. Fit and
      predict times (``train_seconds``, ``inference_seconds``) from the timing files.
    * ``gilpin2023_data_limited``: the same test, training on the last ``n_train`` points.
    * ``gilpin2021_univariate[_noise]``, ``gilpin2021_univariate_coarse[_noise]``: the 2021
      univariate benchmark at 100 and 15 points per period, clean and noisy.

``hyperparameters()``: the per-system values the paper tuned, columns ``system, model, protocol,
    parameter, value`` (JSON text), ``source_file, commit``.

``sources()``: every file of those folders at :data:`COMMIT` and whether it was used, skipped
    (a duplicate or partial rerun) or missing from the mirror.

Model names are the published ones (darts class names, ``ESN``, ``NVAR``, ``NODE``);
:data:`PROFILES` maps them to chaosbench's paper profiles. sMAPE is on the 0-200 scale.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pandas as pd

__all__ = ["COMMIT", "CITATION", "PROFILES", "results", "hyperparameters", "sources",
           "median_smape", "tuned_values", "data_dir"]

#: The dysts commit the tables were extracted from.
COMMIT = "cc777ed98f2397afe873ca9adfd145f4bd0dc909"
CITATION = ("W. Gilpin, Model scale versus domain knowledge in statistical forecasting of chaotic "
            "systems, Phys. Rev. Research 5, 043252 (2023)")

#: Published multivariate model -> the chaosbench profile that reproduces it.
PROFILES: dict[str, str] = {
    "NBEATSModel": "paper/nbeats",
    "NHiTSModel": "paper/nhits",
    "RNNModel": "paper/lstm",
    "NODE": "paper/node",
    "RandomForest": "paper/random_forest",
    "TransformerModel": "paper/transformer",
    "NVAR": "paper/nvar1",
    "XGBModel": "paper/xgboost",
    "LinearRegressionModel": "paper/linear_regression",
    "NLinearModel": "paper/nlinear",
    "BlockRNNModel": "paper/blockrnn",
    "ESN": "paper/esn",
    "DLinearModel": "paper/dlinear",
    "TCNModel": "paper/tcn",
    "KalmanForecaster": "paper/kalman",
}


def data_dir() -> Path:
    """The folder holding the shipped tables."""
    return Path(__file__).resolve().parent


@functools.lru_cache(maxsize=None)
def _table(name: str) -> pd.DataFrame:
    return pd.read_csv(data_dir() / f"{name}.csv.gz", keep_default_na=False,
                       na_values=[""], dtype={"value": object} if name.endswith("hp") else None)


def results(protocol: str | None = "gilpin2023", metric: str | None = "smape") -> pd.DataFrame:
    """Published scores, filtered by ``protocol`` and ``metric`` (None: all)."""
    df = _table("gilpin2023")
    if protocol is not None:
        df = df[df["protocol"] == protocol]
    if metric is not None:
        df = df[df["metric"] == metric]
    return df.reset_index(drop=True)


def hyperparameters(protocol: str | None = "gilpin2023") -> pd.DataFrame:
    """Published per-system tuned hyperparameters (``value`` as JSON text)."""
    df = _table("gilpin2023_hp")
    return (df if protocol is None else df[df["protocol"] == protocol]).reset_index(drop=True)


def tuned_values(model: str, protocol: str = "gilpin2023") -> dict[str, dict]:
    """``{system: {parameter: value}}`` of one published model."""
    df = hyperparameters(protocol)
    out: dict[str, dict] = {}
    for row in df[df["model"] == model].itertuples():
        out.setdefault(row.system, {})[row.parameter] = json.loads(row.value)
    return out


def sources() -> list[dict]:
    """The dysts files considered, with ``status`` used / skipped / missing and why."""
    return json.loads((data_dir() / "gilpin2023_sources.json").read_text())


def median_smape(protocol: str = "gilpin2023", systems=None) -> pd.Series:
    """Median published sMAPE per model (over ``systems`` if given), ascending."""
    df = results(protocol, "smape").dropna(subset=["value"])
    if systems is not None:
        df = df[df["system"].isin(list(systems))]
    return df.groupby("model")["value"].median().sort_values()
