r"""Valid prediction time (VPT) and sMAPE over the first k Lyapunov times.

Convention (Gilpin 2023): the forecast is valid while the *cumulative*
sMAPE of its prefix stays at or below epsilon = 30 on the 0-200 scale. For a (T, D)
forecast the cumulative sMAPE of the first t steps pools all dimensions of the prefix:

    s(t) = 200 / (t D) * sum_{i<=t} sum_d |y_id - yhat_id| / (|y_id| + |yhat_id|),  0/0 = 0.

With t* the first step (1-based) where s(t*) > 30:

* ``vpt_steps`` = t* - 1, the number of valid steps *before* the crossing;
* ``vpt`` = vpt_steps * dt * lambda_max, in Lyapunov times;
* ``vpt_censored`` = 1 if s(t) never exceeds 30 (then vpt_steps = T, VPT = the horizon),
  else 0.

A diverged step (NaN, inf or |yhat| > 1e100 in any dimension) ends validity: if the first
such step is t_nf (1-based) and the threshold was not crossed before, vpt_steps = t_nf - 1
and vpt_censored = 0.

The functions here see the raw forecast, diverged values included (``nonfinite="prefix"``).
"""

from __future__ import annotations

import numpy as np

from ._common import GILPIN2023, Array, first_diverged_step, lyapunov_steps
from .pointwise import smape_terms
from .registry import register

#: The VPT threshold on the 0-200 sMAPE scale (Gilpin 2023).
VPT_THRESHOLD = 30.0
NAN = float("nan")
INF = float("inf")


def cumulative_smape(y_true: Array, y_pred: Array) -> Array:
    """s(t) for t = 1..n over the non-diverged prefix of length n (see module doc)."""
    nf = first_diverged_step(y_pred)
    n = y_true.shape[0] if nf is None else nf
    per_step = smape_terms(y_true[:n], y_pred[:n]).mean(axis=1)
    return np.cumsum(per_step) / np.arange(1, n + 1)


def valid_steps(y_true: Array, y_pred: Array, threshold: float = VPT_THRESHOLD) -> tuple[int, bool]:
    """(vpt_steps, censored): valid steps before the first crossing of ``threshold``
    by the cumulative sMAPE, or before the first diverged step; censored when neither
    happens within the horizon (then vpt_steps = T)."""
    nf = first_diverged_step(y_pred)
    above = np.flatnonzero(cumulative_smape(y_true, y_pred) > threshold)
    if above.size:
        return int(above[0]), False
    if nf is not None:
        return nf, False
    return y_true.shape[0], True


@register(
    "vpt",
    formula=r"(t^*-1)\,\Delta t\,\lambda_{\max},\ t^*=\min\{t: s(t)>30\},\ "
    r"s(t)=\frac{200}{tD}\sum_{i\le t,d}\frac{|y_{id}-\hat y_{id}|}{|y_{id}|+|\hat y_{id}|}",
    direction="higher",
    range=(0.0, INF),
    worst=0.0,
    ideal=None,
    reference=GILPIN2023,
    needs=("dt", "max_lyapunov"),
    joint=True,
    nonfinite="prefix",
    notes="Lyapunov times. Perfect: the horizon T*dt*lambda (censored). NaN without dt or "
    "max_lyapunov, or if max_lyapunov <= 0.",
)
def vpt(y_true: Array, y_pred: Array, dt: float, max_lyapunov: float) -> float:
    r"""Valid prediction time in Lyapunov times: VPT = vpt_steps * dt * lambda_max, where
    vpt_steps counts the steps before the cumulative sMAPE s(t) of the forecast prefix
    (pooled over all dimensions, 0-200 scale) first exceeds 30, or before the first
    diverged step (module doc). If s(t) never exceeds 30, VPT = T dt lambda_max (the
    horizon; see vpt_censored). NaN if lambda_max <= 0 (no Lyapunov time).
    """
    if not max_lyapunov > 0:
        return NAN
    steps, _ = valid_steps(y_true, y_pred)
    return float(steps * dt * max_lyapunov)


@register(
    "vpt_steps",
    formula=r"t^*-1\ \ (T\text{ if never crossed})",
    direction="higher",
    range=(0.0, INF),
    worst=0.0,
    ideal=None,
    reference=GILPIN2023,
    joint=True,
    group="vpt_detail",
    nonfinite="prefix",
    notes="Time steps; perfect forecast: T. Needs no dt.",
)
def vpt_steps(y_true: Array, y_pred: Array) -> float:
    r"""Number of valid forecast steps before the cumulative sMAPE s(t) first exceeds 30
    (= t* - 1), or before the first diverged step; T when never exceeded (module doc).
    """
    return float(valid_steps(y_true, y_pred)[0])


@register(
    "vpt_censored",
    formula=r"\mathbb 1[s(t)\le 30\ \forall t\le T]",
    direction="higher",
    range=(0.0, 1.0),
    worst=0.0,
    ideal=1.0,
    reference=GILPIN2023,
    joint=True,
    group="vpt_detail",
    nonfinite="prefix",
    notes="1: the threshold was never crossed, VPT is only a lower bound (the horizon).",
)
def vpt_censored(y_true: Array, y_pred: Array) -> float:
    r"""1.0 when the cumulative sMAPE never exceeds 30 within the horizon and the forecast
    never diverges (VPT is then right-censored at the horizon), else 0.0.
    """
    return float(valid_steps(y_true, y_pred)[1])


def smape_at_lyapunov_times(
    y_true: Array, y_pred: Array, dt: float, max_lyapunov: float, k: float
) -> float:
    r"""sMAPE (0-200, pooled over dimensions) of the first n_k steps, where
    n_k = ceil(k / (dt lambda_max)) is the shortest prefix spanning k Lyapunov times.

    NaN if lambda_max <= 0 or n_k > T (the forecast is shorter than k Lyapunov times; it
    is not silently truncated). 200 (worst) if the forecast diverges within the window;
    divergence after the window does not affect the value.
    """
    if not max_lyapunov > 0:
        return NAN
    n = lyapunov_steps(k, dt, max_lyapunov)
    if n > y_true.shape[0]:
        return NAN
    nf = first_diverged_step(y_pred)
    if nf is not None and nf < n:
        return 200.0
    return float(np.mean(smape_terms(y_true[:n], y_pred[:n])))


def _register_smape_lt(k: int):  # noqa: ANN202 - returns the decorator
    return register(
        f"smape_{k}lt",
        formula=rf"\mathrm{{sMAPE}}(y_{{1:n}},\hat y_{{1:n}}),\ "
        rf"n=\lceil {k}/(\Delta t\,\lambda_{{\max}})\rceil",
        direction="lower",
        range=(0.0, 200.0),
        worst=200.0,
        ideal=0.0,
        reference=GILPIN2023,
        needs=("dt", "max_lyapunov"),
        joint=True,
        group="long_term",
        nonfinite="prefix",
        notes=f"NaN if the horizon is shorter than {k} Lyapunov time(s), or without dt / "
        "max_lyapunov; 200 if the forecast diverges inside the window.",
    )


@_register_smape_lt(1)
def smape_1lt(y_true: Array, y_pred: Array, dt: float, max_lyapunov: float) -> float:
    r"""sMAPE over the first Lyapunov time: see :func:`smape_at_lyapunov_times`, k = 1."""
    return smape_at_lyapunov_times(y_true, y_pred, dt, max_lyapunov, 1)


@_register_smape_lt(4)
def smape_4lt(y_true: Array, y_pred: Array, dt: float, max_lyapunov: float) -> float:
    r"""sMAPE over the first 4 Lyapunov times: see :func:`smape_at_lyapunov_times`, k = 4."""
    return smape_at_lyapunov_times(y_true, y_pred, dt, max_lyapunov, 4)


@_register_smape_lt(10)
def smape_10lt(y_true: Array, y_pred: Array, dt: float, max_lyapunov: float) -> float:
    r"""sMAPE over the first 10 Lyapunov times: see :func:`smape_at_lyapunov_times`, k = 10."""
    return smape_at_lyapunov_times(y_true, y_pred, dt, max_lyapunov, 10)
