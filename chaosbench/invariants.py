"""Dynamical invariants and attractor statistics, computed from the compiled systems.

Every estimator names its method and its settings, and returns them with the value so the
catalogue can record how each number was made.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["attractor_statistics"]


def attractor_statistics(system, *, periods: int = 500, pts_per_period: int = 20,
                         transient_periods: int = 50) -> dict[str, Any]:
    """Mean and standard deviation of each observed coordinate on the attractor.

    One trajectory from the default initial condition: ``transient_periods`` dropped, then
    ``periods`` periods sampled at ``pts_per_period``. Long windows matter: several reference
    values came from ~10 periods and are off by factors of 2 to 50 for slow coordinates.
    """
    x = system.trajectory(periods * pts_per_period, pts_per_period=pts_per_period,
                          transient=transient_periods * pts_per_period)
    return {"source": f"chaosbench: default initial condition, {transient_periods} periods "
                      f"dropped, {periods} periods at {pts_per_period} points per period",
            "mean": x.mean(axis=0).tolist(), "std": x.std(axis=0).tolist()}
