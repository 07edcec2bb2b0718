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
import tempfile
from pathlib import Path

import numpy as np
from _stats import bootstrap_median  # benchmarks/, beside this script
from bench_sweep import run, spread_systems

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


def paired(table, base: int, other: int, *, relative: bool = False, digits: str = ".3g") -> str:
    """``median [lo, hi]`` over systems of the change from budget column ``base`` to ``other``
    (in % of ``base`` if ``relative``), with its bootstrap 95% interval; ``-`` if none."""
    if base == other or base not in table or other not in table:
        return "-"
    both = table[[base, other]].dropna()
    change = both[other] - both[base]
    change = (change / both[base] * 100.0 if relative else change).to_numpy()
    if not len(change):
        return "-"
    lo, hi = bootstrap_median(change)
    return f"{np.median(change):+{digits}} [{lo:+{digits}}, {hi:+{digits}}]"


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
    systems = spread_systems(["system=all", "forecaster=naive"], args.systems)[1]
    print(f"{len(systems)} systems: {', '.join(systems)}; standard protocol, seed 0; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_budgets_") as tmp:
        results = Path(args.keep or tmp)
        for name in args.models.split(","):
            key, full = budget_of(name)
            values = sorted({max(1, round(full * s)) for s in scales}, reverse=True)
            try:
                wall = run("parallel", [f"system={','.join(systems)}", f"forecaster={name}",
                                        "seed=0", f"forecaster.{key}={','.join(map(str, values))}",
                                        f"sweep_name={SWEEP}"], results)
            except RuntimeError as error:
                raise SystemExit(f"{name}: {error}") from None
            rows = read_sweep(results, SWEEP)
            rows = rows[rows.forecaster == name]
            jobs = rows.drop_duplicates("job_id").copy()
            jobs["budget"] = [int(json.loads(c)["forecaster_config"][key])
                              for c in jobs.config]
            scores = rows.pivot_table(index="job_id", columns="metric", values="value")
            jobs = jobs.join(scores[["smape", "vpt"]], on="job_id")
            smape = jobs.pivot_table(index="system", columns="budget", values="smape")
            vpt = jobs.pivot_table(index="system", columns="budget", values="vpt")
            print(f"\n{name} ({key}, default {full}); {wall:.0f} s wall, "
                  f"load average {os.getloadavg()[0]:.1f}")
            print(f"  {'budget':>7s} {'fit s':>6s} {'sMAPE':>6s} {'VPT':>6s} {'not ok':>6s}  "
                  f"{'sMAPE change % vs full [95%]':31s} {'VPT change vs full [95%]'}")
            for value in values:
                at = jobs[jobs.budget == value]
                bad = int((at.status != "ok").sum())
                print(f"  {value:7d} {at.fit_seconds.median():6.2f} {at.smape.median():6.1f} "
                      f"{at.vpt.median():6.3f} {bad:6d}  "
                      f"{paired(smape, full, value, relative=True, digits='.1f'):31s} "
                      f"{paired(vpt, full, value)}")

if __name__ == "__main__":
    main()
