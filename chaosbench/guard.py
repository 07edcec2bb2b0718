"""The one divergence guard: what a forecast must be for its job to count as ``ok``.

Every model's forecast passes through :func:`check_forecast` in the runner; no model carries a
guard of its own. A forecast is

* ``failed`` if it is not a real numeric array of the expected shape (complex numbers, objects,
  strings, a wrong shape): nothing is silently cast;
* ``diverged`` from the first step at which any coordinate is non-finite, larger in magnitude
  than the metrics' divergence bound (:data:`chaosbench.metrics._common.DIVERGED`), or farther
  from the middle of the training range than ``range_factor`` half-widths of that range
  (default 10: a chaotic attractor's forecast has no business 10x outside the data it came from);
* ``ok`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chaosbench.metrics._common import DIVERGED

__all__ = ["Verdict", "check_forecast", "RANGE_FACTOR"]

#: A forecast step farther than this many training half-ranges from the training midpoint diverged.
RANGE_FACTOR = 10.0


@dataclass(frozen=True)
class Verdict:
    status: str            # "ok", "diverged" or "failed"
    reason: str
    forecast: np.ndarray | None  # float64 copy when the forecast is numeric, else None
    step: int | None = None      # first diverged step


def check_forecast(forecast, shape: tuple[int, ...], train: np.ndarray, *,
                   range_factor: float = RANGE_FACTOR) -> Verdict:
    """Judge ``forecast`` against the expected ``shape`` and the training data (module doc)."""
    try:
        array = np.asarray(forecast)
    except Exception as error:  # ragged lists and the like
        return Verdict("failed", f"forecast is not an array: {error}", None)
    if array.dtype.kind == "c":
        return Verdict("failed", f"forecast is complex ({array.dtype}); forecasts must be real", None)
    if array.dtype.kind not in "fiub":
        return Verdict("failed", f"forecast is not numeric (dtype {array.dtype})", None)
    if array.shape != tuple(shape):
        return Verdict("failed", f"forecast has shape {array.shape}, expected {tuple(shape)}", None)
    values = array.astype(np.float64, copy=True)
    low, high = np.min(train, axis=0), np.max(train, axis=0)
    middle, half = (high + low) / 2, np.maximum((high - low) / 2, 1e-12)
    with np.errstate(invalid="ignore", over="ignore"):
        finite = np.isfinite(values)
        huge = np.abs(values) > DIVERGED
        outside = np.abs(values - middle) > range_factor * half
    causes = ((~finite, "non-finite forecast"),
              (huge, f"forecast beyond the divergence bound |x| > {DIVERGED:g}"),
              (outside, f"forecast more than {range_factor:g}x the training half-range from its "
                        f"middle"))
    rows = [mask.reshape(len(values), -1).any(axis=1) for mask, _ in causes]
    bad = np.logical_or.reduce(rows)
    if not bad.any():
        return Verdict("ok", "", values)
    first = int(np.argmax(bad))
    why = next(text for row, (_, text) in zip(rows, causes) if row[first])
    return Verdict("diverged", f"{why} from step {first}", values, first)
