"""Statistics shared by the benchmark scripts."""

from __future__ import annotations

import numpy as np


def bootstrap_median(values: np.ndarray, draws: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile 95% interval of the median of ``values`` (resampled with replacement, ``draws``
    times, from ``numpy.random.default_rng(seed)``); NaNs where ``values`` is empty."""
    if len(values) == 0:
        return np.nan, np.nan
    rng = np.random.default_rng(seed)
    medians = np.median(rng.choice(values, size=(draws, len(values))), axis=1)
    return float(np.percentile(medians, 2.5)), float(np.percentile(medians, 97.5))
