"""The slow quality check both forecaster test modules run: each model fitted on Lorenz from
several seeds' initial conditions, scored by median VPT and sMAPE over the first Lyapunov time,
printed as a table (the README's quality figures come from it)."""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np

import chaosbench
import chaosbench.metrics
from chaosbench.forecasters import make

LORENZ = chaosbench.system("Lorenz")
PTS_PER_PERIOD = 100
LORENZ_DT = LORENZ.period / PTS_PER_PERIOD
MAX_LYAPUNOV = 0.906  # Lorenz (Sprott 2003, A.5.1: 0.9056)


def lorenz_quality(names: Iterable[str], seeds: Iterable[int], n_train: int,
                   horizon: int) -> dict[str, dict[str, list[float]]]:
    """{name: {"vpt": [...], "smape_1lt": [...], "fit_s": [...]}} over ``seeds`` (the
    trajectory's and the model's), fit time in CPU seconds; prints the table, best VPT first."""
    seeds = list(seeds)
    results = {}
    for name in names:
        rows: dict[str, list[float]] = {"vpt": [], "smape_1lt": [], "fit_s": []}
        for seed in seeds:
            x = LORENZ.trajectory(n_train + horizon, pts_per_period=PTS_PER_PERIOD, seed=seed)
            start = time.process_time()
            model = make(name, seed=seed).fit(x[:n_train], LORENZ_DT)
            rows["fit_s"].append(time.process_time() - start)
            scores = chaosbench.metrics.compute(
                x[n_train:], model.predict(horizon), dt=LORENZ_DT, max_lyapunov=MAX_LYAPUNOV,
                include=["vpt", "smape_1lt"])
            rows["vpt"].append(scores["vpt"])
            rows["smape_1lt"].append(scores["smape_1lt"])
        results[name] = rows
    print(f"\nLorenz, {PTS_PER_PERIOD} pts/period, {n_train} train points, horizon {horizon}, "
          f"seeds {seeds} (medians; fit = CPU seconds)")
    print(f"{'model':15s} {'VPT (Lyap. times)':>18s} {'sMAPE 1st LT':>13s} {'fit s':>7s}"
          "  VPT per seed")
    for name, rows in sorted(results.items(), key=lambda kv: -np.median(kv[1]["vpt"])):
        print(f"{name:15s} {np.median(rows['vpt']):18.2f} {np.median(rows['smape_1lt']):13.1f} "
              f"{np.median(rows['fit_s']):7.2f}  {np.round(rows['vpt'], 2).tolist()}")
    return results
