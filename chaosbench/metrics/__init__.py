"""chaosbench.metrics: every forecast and attractor metric, defined once.

Example::

    from chaosbench import metrics
    metrics.names()        # ['mse', 'mae', 'rmse', ...]
    scores = metrics.compute(y_true, y_pred, y_train=y_train, dt=0.01, max_lyapunov=0.9)

Each metric is a :class:`Metric` record in :data:`REGISTRY` (name, formula, direction,
range, worst value, reference, needed inputs, joint or per-dimension); ``info(name)``
returns it, ``info(name).doc`` is the full definition.

Rules applied by :func:`compute` to every metric:

* Shapes: ``y_true`` and ``y_pred`` must have the same shape, (T,) or (T, D), T >= 2;
  ``y_train`` (T_train, D) with the same D; otherwise ValueError. ``y_true`` and
  ``y_train`` must be finite (ValueError); ``dt`` must be positive and finite.
* Missing inputs: a metric whose ``needs`` (y_train / dt / max_lyapunov) were not given
  is NaN, never an error.
* Diverged forecasts (any NaN, inf, or |value| > 1e100) never raise: every metric returns
  its ``worst`` value, except VPT (ends at the first diverged step) and smape_klt
  (worst only if the divergence is inside its window).
* No floating-point warnings escape; constant series give the values stated in each
  metric's notes.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike

# isort: off
# Importing the families registers their metrics; this order is the registry order
# (the 17 core metrics first, as in the issue, then the VPT details, then long-term).
from . import pointwise  # noqa: F401
from . import vpt  # noqa: F401
from . import attractor  # noqa: F401

# isort: on
from ._common import DIVERGED, as_2d, diverged_mask
from .registry import NEEDS, REGISTRY, Metric, register

__all__ = ["Metric", "REGISTRY", "register", "names", "info", "compute", "DIVERGED", "NEEDS"]


def names(group: str | None = None) -> list[str]:
    """Registered metric names in registry order, optionally only one ``group``
    ("core": the 17 forecast metrics, "vpt_detail": vpt_steps/vpt_censored,
    "long_term": attractor metrics and sMAPE at k Lyapunov times)."""
    groups = {m.group for m in REGISTRY.values()}
    if group is not None and group not in groups:
        raise ValueError(f"unknown group {group!r}; valid: {sorted(groups)}")
    return [n for n, m in REGISTRY.items() if group is None or m.group == group]


def _unknown_name_error(name: str) -> ValueError:
    from chaosbench.suggest import suggest

    return ValueError(suggest(name, list(REGISTRY), "metric"))


def info(name: str) -> Metric:
    """The :class:`Metric` record of ``name`` (ValueError naming the valid choices if unknown)."""
    if name not in REGISTRY:
        raise _unknown_name_error(name)
    return REGISTRY[name]


def _resolve(include: Iterable[str] | None) -> list[str]:
    if include is None:
        return list(REGISTRY)
    if isinstance(include, str):
        include = [include]
    chosen: list[str] = []
    for name in include:
        if name not in REGISTRY:
            raise _unknown_name_error(name)
        if name not in chosen:
            chosen.append(name)
    return chosen


def _validate_scalar(value: float | None, name: str, positive: bool) -> float | None:
    if value is None:
        return None
    value = float(value)
    if not np.isfinite(value) or (positive and value <= 0):
        kind = "finite positive" if positive else "finite"
        raise ValueError(f"{name} must be a {kind} number; got {value}")
    return value


def compute(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    y_train: ArrayLike | None = None,
    dt: float | None = None,
    max_lyapunov: float | None = None,
    include: Iterable[str] | None = None,
) -> dict[str, float]:
    """Compute metrics of a forecast ``y_pred`` against ``y_true``.

    Args:
        y_true: true future, (T,) or (T, D), finite.
        y_pred: forecast, same shape; may contain NaN/inf (diverged model).
        y_train: in-sample history (T_train,) or (T_train, D), for mase.
        dt: time step of the series, for vpt, smape_klt and max_lyapunov_error.
        max_lyapunov: largest Lyapunov exponent of the system (1/time), for vpt and
            smape_klt; a value <= 0 makes those NaN (no Lyapunov time).
        include: metric names to compute (default: all, in registry order).

    Returns:
        {name: float} in the order of ``include`` (or the registry).
    """
    chosen = _resolve(include)
    yt = as_2d(y_true, "y_true")
    yp = as_2d(y_pred, "y_pred")
    if yt.shape != yp.shape:
        raise ValueError(
            f"y_true has shape {np.shape(y_true)} but y_pred has shape {np.shape(y_pred)}"
        )
    if not np.all(np.isfinite(yt)):
        raise ValueError("y_true contains NaN or inf; the truth must be finite")
    inputs: dict[str, object] = {
        "dt": _validate_scalar(dt, "dt", positive=True),
        "max_lyapunov": _validate_scalar(max_lyapunov, "max_lyapunov", positive=False),
        "y_train": None,
    }
    if y_train is not None:
        yr = as_2d(y_train, "y_train")
        if yr.shape[1] != yt.shape[1]:
            raise ValueError(f"y_train has {yr.shape[1]} dimensions but y_true has {yt.shape[1]}")
        if not np.all(np.isfinite(yr)):
            raise ValueError("y_train contains NaN or inf")
        inputs["y_train"] = yr
    diverged = bool(diverged_mask(yp).any())

    results: dict[str, float] = {}
    for name in chosen:
        metric = REGISTRY[name]
        if any(inputs[need] is None for need in metric.needs):
            results[name] = float("nan")
        elif diverged and metric.nonfinite == "worst":
            results[name] = float(metric.worst)
        else:
            kwargs = {need: inputs[need] for need in metric.needs}
            results[name] = float(metric.fn(yt, yp, **kwargs))
    return results
