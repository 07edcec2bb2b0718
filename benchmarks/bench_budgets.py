"""What the slow defaults' training budgets buy: accuracy and fit time at fractions of each budget.

For each model, its budget hyperparameter (``n_epochs`` for darts models, ``iterations`` for
the torch ones, ``n_estimators`` for boosted trees) is set to the default times each scale, and
the model is run by the real runner (``chaosbench bench``, standard protocol, seed 0, the
parallel launcher with 2 workers) on every k-th chaotic system in alphabetical order. A cosine
learning-rate schedule is defined over ``iterations``, so a smaller budget is a shorter schedule,
not a truncated one.

Printed per model and scale: the budget, the median fit seconds, the median sMAPE and VPT
(Lyapunov times) over the systems, and, paired by system against the full budget, the median
relative change in sMAPE and the median change in VPT with bootstrap 95% intervals over systems
(2,000 resamples, seed 0). Each pair shares its data and its model seed, so the change is the
budget's alone; an interval that holds 0 means the cut is not distinguishable from the full
budget on these systems.

Usage:  nice -n 5 .venv/bin/python benchmarks/bench_budgets.py [--models gru,node,...]
        [--scales 1,0.5,0.25] [--systems 12] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

#: the slow defaults of the full sweep, the largest shares of its fit + predict time first
SLOW = "gru,node,gtf_plrnn,alrnn,transformer,ltc,mamba,lightgbm,lstm,cfc"
BUDGET_KEYS = ("n_epochs", "iterations", "n_estimators")
SWEEP = "budgets"


def budget_of(name: str) -> tuple[str, int]:
    """The budget hyperparameter of forecaster ``name`` and its default value."""
    from chaosbench.forecasters import load_config

    config = load_config(name)
    for key in BUDGET_KEYS:
        if key in config:
            return key, int(config[key])
    raise SystemExit(f"{name} has none of the budget hyperparameters {', '.join(BUDGET_KEYS)}")


def chosen_systems(count: int) -> list[str]:
    from chaosbench.sweep import expand

    everything = sorted({job.system for job in expand(["system=all", "forecaster=naive"])})
    step = max(1, len(everything) // count)
    return everything[::step][:count]


def run(overrides: list[str], results: Path) -> float:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "chaosbench", "bench", "-m", *overrides,
                          "hydra/launcher=parallel", "hydra.launcher.n_jobs=2",
                          f"results_dir={results}", f"sweep_name={SWEEP}"],
                         env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr.strip().splitlines()[-1] if out.stderr.strip()
                         else f"chaosbench bench: exit status {out.returncode}")
    return time.perf_counter() - t0


def bootstrap_median(values: np.ndarray, draws: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile 95% interval of the median of ``values`` (resampled with replacement)."""
    if len(values) == 0:
        return np.nan, np.nan
    rng = np.random.default_rng(seed)
    medians = np.median(rng.choice(values, size=(draws, len(values))), axis=1)
    return float(np.percentile(medians, 2.5)), float(np.percentile(medians, 97.5))


def paired(table, base: str, other: str) -> str:
    """``median [lo, hi]`` of the per-system change from column ``base`` to ``other``."""
    both = table[[base, other]].dropna()
    change = (both[other] - both[base]).to_numpy()
    lo, hi = bootstrap_median(change)
    return f"{np.median(change):+.3g} [{lo:+.3g}, {hi:+.3g}]" if len(change) else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=SLOW)
    parser.add_argument("--scales", default="1,0.5,0.25")
    parser.add_argument("--systems", type=int, default=12, metavar="N")
    parser.add_argument("--keep", metavar="DIR", help="write the results here, not to a temp dir")
    args = parser.parse_args()
    from chaosbench.results import read_sweep

    scales = [float(s) for s in args.scales.split(",")]
    if 1.0 not in scales:
        parser.error("--scales must include 1 (the full budget the others are paired with)")
    systems = chosen_systems(args.systems)
    print(f"{len(systems)} systems: {', '.join(systems)}; standard protocol, seed 0; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_budgets_") as tmp:
        results = Path(args.keep or tmp)
        for name in args.models.split(","):
            key, full = budget_of(name)
            values = sorted({max(1, round(full * s)) for s in scales}, reverse=True)
            wall = run([f"system={','.join(systems)}", f"forecaster={name}", "seed=0",
                        f"forecaster.{key}={','.join(map(str, values))}"], results)
            rows = read_sweep(results, SWEEP)
            rows = rows[rows.forecaster == name]
            jobs = rows.drop_duplicates("job_id").copy()
            jobs["budget"] = [int(json.loads(c)["forecaster_config"][key])
                              for c in jobs.config]
            scores = rows.pivot_table(index="job_id", columns="metric", values="value")
            jobs = jobs.join(scores[["smape", "vpt"]], on="job_id")
            smape = jobs.pivot_table(index="system", columns="budget", values="smape")
            vpt = jobs.pivot_table(index="system", columns="budget", values="vpt")
            relative = smape.div(smape[full], axis=0).sub(1.0).mul(100.0)
            print(f"\n{name} ({key}, default {full}); {wall:.0f} s wall, "
                  f"load average {os.getloadavg()[0]:.1f}")
            print(f"  {'budget':>7s} {'fit s':>6s} {'sMAPE':>6s} {'VPT':>6s} {'not ok':>6s}  "
                  f"{'sMAPE change % vs full [95%]':31s} {'VPT change vs full [95%]'}")
            for value in values:
                at = jobs[jobs.budget == value]
                bad = int((at.status != "ok").sum())
                rel = relative[value].dropna().to_numpy() if value in relative else np.array([])
                lo, hi = bootstrap_median(rel)
                change = (f"{np.median(rel):+.1f} [{lo:+.1f}, {hi:+.1f}]"
                          if len(rel) and value != full else "-")
                print(f"  {value:7d} {at.fit_seconds.median():6.2f} {at.smape.median():6.1f} "
                      f"{at.vpt.median():6.3f} {bad:6d}  {change:31s} "
                      f"{paired(vpt, full, value) if value != full else '-'}")


if __name__ == "__main__":
    main()
