r"""Estimators of dynamical invariants from a sampled series, shared by the metrics
(:mod:`chaosbench.metrics.attractor`, on forecasts) and the catalogue's invariants
(:mod:`chaosbench.invariants`, on integrated orbits), so both use one definition of each.

* :func:`correlation_dimension` -- Grassberger & Procaccia (1983) correlation sum with a
  Theiler (1986) window;
* :func:`largest_lyapunov_exponent` -- Rosenstein, Collins & De Luca (1993) nearest-neighbour
  divergence;
* :func:`power_spectrum`, :func:`mean_period`, :func:`theiler_window`, :func:`delay_embed` --
  the pieces they are built from.

Every function is deterministic (no random draws) and works on (T, D) float arrays.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.spatial.distance import cdist, pdist

__all__ = ["power_spectrum", "mean_period", "theiler_window", "correlation_dimension",
           "delay_embed", "largest_lyapunov_exponent", "zscore", "is_constant"]

Array = NDArray[np.float64]
NAN = float("nan")


def is_constant(a: Array) -> NDArray[np.bool_]:
    """Per column: True when the column is exactly constant (max == min)."""
    return np.ptp(a, axis=0) == 0


def zscore(a: Array) -> Array:
    """Column-wise (a - mean) / std; an exactly constant column becomes exactly zero
    (its floating-point mean can differ from the value by an ulp, so it is not left to
    the arithmetic)."""
    const = is_constant(a)
    std = np.where(const, 1.0, a.std(axis=0))
    return np.where(const, 0.0, (a - a.mean(axis=0)) / std)


def power_spectrum(x: Array) -> Array:
    """One-sided power |rfft(z)|^2 of each z-scored column, shape (T//2 + 1, D).

    A constant column has zero power everywhere."""
    return np.abs(np.fft.rfft(zscore(x), axis=0)) ** 2


def mean_period(x: Array) -> float:
    r"""Mean period in steps, 1 / f_mean with f_mean = sum_k f_k P_k / sum_k P_k over the
    non-DC bins of the power spectrum summed over the z-scored dimensions (Rosenstein
    et al. 1993). 1.0 for a constant series."""
    power = power_spectrum(x).sum(axis=1)[1:]
    freqs = np.fft.rfftfreq(x.shape[0])[1:]
    total = power.sum()
    return float(total / np.sum(freqs * power)) if total > 0 else 1.0


def theiler_window(x: Array) -> int:
    """Pairs closer in time than this are excluded (Theiler 1986): ceil(mean period),
    capped at T // 10 so that a slowly drifting series keeps most of its pairs."""
    return int(min(math.ceil(mean_period(x)), x.shape[0] // 10))


def _evenly_spaced(n: int, at_most: int) -> NDArray[np.int64]:
    """At most ``at_most`` distinct indices evenly spaced over 0..n-1 (deterministic)."""
    return np.unique(np.linspace(0, n - 1, min(n, at_most)).round().astype(np.int64))


#: Points used by the correlation integral and the quantile range of the fit.
CD_MAX_POINTS = 1000


CD_QUANTILES = (1e-3, 3e-2)


CD_RADII = 16


CD_MIN_POINTS = 100


def correlation_dimension(x: Array) -> float:
    r"""Grassberger-Procaccia correlation dimension D2 of the point cloud x (T, D).

    C(r) = fraction of point pairs closer than r (Euclidean), over at most 1000 points
    evenly spaced in time, excluding pairs closer in time than the Theiler window
    (:func:`theiler_window`). D2 = least-squares slope of log C(r) against log r at 16
    radii r_j = quantile of the pair distances at q_j log-spaced in [1e-3, 3e-2] (so
    C(r_j) = q_j). A constant series (a point) has D2 = 0. NaN if T < 100.
    Scale-invariant; circle ~1, filled square ~2 (edge effects bias slightly low),
    Lorenz attractor ~2.05.
    """
    n_total = x.shape[0]
    if n_total < CD_MIN_POINTS:
        return NAN
    idx = _evenly_spaced(n_total, CD_MAX_POINTS)
    pts = x[idx]
    if np.all(np.ptp(pts, axis=0) == 0):
        return 0.0
    dists = pdist(pts)
    i, j = np.triu_indices(len(idx), k=1)
    dists = dists[np.abs(idx[i] - idx[j]) > theiler_window(x)]
    qs = np.geomspace(*CD_QUANTILES, CD_RADII)
    radii = np.quantile(dists, qs)
    ok = radii > 0
    if np.unique(radii[ok]).size < 2:
        return 0.0  # almost all pairs coincide: a finite set of points
    return float(np.polyfit(np.log(radii[ok]), np.log(qs[ok]), 1)[0])


#: Reference points and fit band of the Rosenstein estimator.
LYAP_REFS = 500


LYAP_BAND = (0.1, 0.7)


LYAP_EMBED_DIM = 3


#: Minimum rise (nats) of the divergence curve to count as exponential divergence.
LYAP_MIN_RISE = 1.0


#: Separations below this fraction of the series' RMS size are rounding noise.
LYAP_FLOOR = 1e-9


def delay_embed(x: Array, dim: int, lag: int) -> Array:
    """Delay vectors (x_t, x_{t+lag}, ..., x_{t+(dim-1)lag}) of a 1-D series."""
    n = x.size - (dim - 1) * lag
    return np.column_stack([x[k * lag : k * lag + n] for k in range(dim)])


def _nearest_neighbours(x: Array, refs: Array, n_cand: int, window: int, chunk: int = 128) -> Array:
    """For each reference index, the index in [0, n_cand) of its nearest point (Euclidean)
    among those more than ``window`` steps away in time."""
    out = np.empty(len(refs), dtype=np.int64)
    for start in range(0, len(refs), chunk):
        r = refs[start : start + chunk]
        d2 = cdist(x[r], x[:n_cand], "sqeuclidean")
        d2[np.abs(r[:, None] - np.arange(n_cand)[None, :]) <= window] = np.inf
        out[start : start + chunk] = np.argmin(d2, axis=1)
    return out


def largest_lyapunov_exponent(x: Array, dt: float) -> float:
    r"""Largest Lyapunov exponent (per unit time) of a series by Rosenstein et al. (1993).

    States are the rows of x (a 1-D series is delay-embedded in 3 dimensions with lag
    ceil(mean period / 4)). w = Theiler window (:func:`theiler_window`), horizon
    K = min(T // 4, 10 w). For 500 reference states i evenly spaced in [0, T - K), the
    nearest state j with |i - j| > w is found; d_i(k) = |x_{i+k} - x_{j+k}| for k < K.
    Separations below 1e-9 of the RMS size of the series, sqrt(sum_d var_d), are rounding
    noise: pairs starting that close are dropped (all dropped -> 0, e.g. an exactly
    repeating orbit) and later separations are floored there. The divergence curve
    y(k) = mean_i log d_i(k)
    rises from y_0 = y(0) to a plateau y_sat = median of y over k >= K/2; lambda is the
    least-squares slope of y against k dt over the band where y - y_0 first reaches 10%
    of (y_sat - y_0) until it first exceeds 70%; if that band holds fewer than 3 steps
    (divergence faster than the sampling, e.g. noise), over k = 0 .. end of the band.
    A rise y_sat - y_0 below 1 nat (no resolvable exponential divergence: a fixed point,
    a periodic orbit, repeated states) gives 0. NaN when the series is too short
    (K < 10 or fewer than 2w + 10 candidate states). Scale- and shift-invariant.
    """
    if x.shape[1] == 1:
        lag = max(1, math.ceil(mean_period(x) / 4))
        if x.shape[0] - (LYAP_EMBED_DIM - 1) * lag < CD_MIN_POINTS:
            return NAN
        x = delay_embed(x[:, 0], LYAP_EMBED_DIM, lag)
    n_total = x.shape[0]
    w = theiler_window(x)
    horizon = min(n_total // 4, 10 * w)
    n_cand = n_total - horizon
    if horizon < 10 or n_cand < 2 * w + 10:
        return NAN
    refs = _evenly_spaced(n_cand, LYAP_REFS)
    nn = _nearest_neighbours(x, refs, n_cand, w)
    steps = np.arange(horizon)
    sq = np.zeros((len(refs), horizon))
    for d in range(x.shape[1]):
        sq += (x[refs[:, None] + steps, d] - x[nn[:, None] + steps, d]) ** 2
    floor = (LYAP_FLOOR**2) * float(np.sum(x.var(axis=0)))  # squared rounding-noise level
    sq = sq[sq[:, 0] > floor]
    if len(sq) == 0 or floor == 0:
        return 0.0
    curve = 0.5 * np.mean(np.log(np.maximum(sq, floor)), axis=0)
    rise = curve - curve[0]
    total = np.median(rise[horizon // 2 :])
    if not total >= LYAP_MIN_RISE:
        return 0.0
    first = int(np.argmax(rise >= LYAP_BAND[0] * total))
    last = int(np.argmax(rise > LYAP_BAND[1] * total))
    if last - first < 3:  # divergence faster than the sampling: fit the first steps
        first, last = 0, max(last, 1) + 1
    return float(np.polyfit(steps[first:last] * dt, curve[first:last], 1)[0])
