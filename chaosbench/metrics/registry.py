"""The metric registry: one :class:`Metric` record per metric, filled by :func:`register`.

Adding a metric = writing one function ``fn(y_true, y_pred, **needs) -> float`` (arrays
already validated to shape (T, D), float64, y_true finite) in the module of its family and
decorating it with ``@register(...)``. Everything a leaderboard needs to know about the
metric (formula, direction, range, worst value, reference, extra inputs) lives in that one
registration, next to the function.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Direction = Literal["lower", "higher"]
Need = Literal["y_train", "dt", "max_lyapunov"]
Group = Literal["core", "vpt_detail", "long_term"]
NonFinite = Literal["worst", "prefix"]

#: Extra inputs a metric may declare; compute() passes exactly the declared ones.
NEEDS: tuple[str, ...] = ("y_train", "dt", "max_lyapunov")


@dataclass(frozen=True)
class Metric:
    """Everything known about one metric.

    Attributes:
        name: registry key, the key in the dict returned by ``compute``.
        fn: ``fn(y_true, y_pred, **{need: value})`` on validated (T, D) float arrays.
        formula: one-line LaTeX-ish definition (the docstring of ``fn`` has the details).
        direction: "lower" or "higher" is better.
        range: (low, high) of attainable values (``inf`` where unbounded).
        worst: value returned for a diverged forecast (any NaN/inf, or |value| > 1e100).
        ideal: value for a perfect forecast; None when it depends on the input
            (vpt: the horizon, vpt_steps: T, mutual_information: psi(T) - psi(4)).
        reference: citation for the definition.
        needs: extra inputs the metric requires; if one is missing the metric is NaN.
        joint: True when the metric is computed jointly over dimensions (state space),
            False when computed per dimension and then averaged with equal weights.
        group: "core" (the 17 forecast metrics of Gilpin 2023), "vpt_detail"
            (vpt_steps, vpt_censored) or "long_term" (attractor metrics, sMAPE at k
            Lyapunov times).
        nonfinite: "worst": any non-finite forecast value gives ``worst``;
            "prefix": the metric only looks at a prefix and handles non-finite values
            itself (VPT ends at the first non-finite step; smape_klt is worst only if
            the non-finite value lies inside its window).
        notes: conventions for edge cases (constant series, zero denominators).
    """

    name: str
    fn: Callable[..., float]
    formula: str
    direction: Direction
    range: tuple[float, float]
    worst: float
    ideal: float | None
    reference: str
    needs: tuple[str, ...] = ()
    joint: bool = False
    group: Group = "core"
    nonfinite: NonFinite = "worst"
    notes: str = ""

    @property
    def doc(self) -> str:
        """The docstring of the implementing function (the full mathematical definition)."""
        return inspect.getdoc(self.fn) or ""


REGISTRY: dict[str, Metric] = {}


def register(
    name: str,
    *,
    formula: str,
    direction: Direction,
    range: tuple[float, float],  # noqa: A002 - mirrors the Metric field
    worst: float,
    ideal: float | None,
    reference: str,
    needs: tuple[str, ...] = (),
    joint: bool = False,
    group: Group = "core",
    nonfinite: NonFinite = "worst",
    notes: str = "",
) -> Callable[[Callable[..., float]], Callable[..., float]]:
    """Decorator registering ``fn`` as metric ``name``; returns ``fn`` unchanged."""

    def deco(fn: Callable[..., float]) -> Callable[..., float]:
        if name in REGISTRY:
            raise ValueError(f"metric {name!r} registered twice")
        if direction not in ("lower", "higher"):
            raise ValueError(f"{name}: direction must be 'lower' or 'higher'")
        unknown = set(needs) - set(NEEDS)
        if unknown:
            raise ValueError(f"{name}: unknown needs {sorted(unknown)}; valid: {NEEDS}")
        REGISTRY[name] = Metric(
            name=name,
            fn=fn,
            formula=formula,
            direction=direction,
            range=range,
            worst=worst,
            ideal=ideal,
            reference=reference,
            needs=tuple(needs),
            joint=joint,
            group=group,
            nonfinite=nonfinite,
            notes=notes,
        )
        return fn

    return deco
