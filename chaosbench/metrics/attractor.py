r"""Long-term (attractor) metrics: how well the forecast reproduces the *invariant* properties
of the true dynamics rather than its pointwise path.

Labs compute D_stsp and D_H differently under the same name, so each convention is a
separately named variant here, with every choice stated:

* ``dstsp_binned`` - KL divergence of state-space occupancy histograms (Koppe et al. 2019;
  Brenner et al. 2022): 30 bins per dimension over the *true* range, Laplace smoothing,
  one overflow bin for forecast points outside the true range, no bins dropped.
* ``dstsp_gmm`` - Monte-Carlo KL between Gaussian mixtures centred on the (z-scored)
  trajectory points, kernel width T^(-1/(D+4)) true standard deviations (Scott's rule;
  Koppe et al. 2019).
* ``dh_smoothed`` - mean Hellinger distance between Gaussian-smoothed (sigma = 20 bins)
  power spectra of z-scored dimensions (Mikhaeil et al. 2022; Brenner et al. 2022).
* ``dh_fft100`` - the same on the first 100 non-DC bins, unsmoothed (dysts' variant).
* ``correlation_dimension_error`` - |D2(yhat) - D2(y)|, Grassberger-Procaccia (1983).
* ``max_lyapunov_error`` - |lambda(yhat) - lambda(y)|, Rosenstein et al. (1993).

All are computed on the given (T, D) arrays; nothing is drawn from the global RNG
(dstsp_gmm uses ``numpy.random.default_rng(0)``, i.e. common random numbers across
models). Diverged forecasts never reach these functions (``compute`` returns ``worst``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import gaussian_filter1d
from scipy.spatial.distance import cdist, pdist

from ._common import (
    BRENNER2022,
    GILPIN2023,
    GP1983,
    KOPPE2019,
    MIKHAEIL2022,
    ROSENSTEIN1993,
    SCOTT1992,
    THEILER1986,
    Array,
    is_constant,
    zscore,
)
from .registry import register

INF = float("inf")
NAN = float("nan")

# ----------------------------------------------------------------------------- D_stsp

#: Bins per dimension and Laplace pseudo-count of dstsp_binned.
STSP_BINS = 30
STSP_ALPHA = 1.0


def _bin_indices(x: Array, lo: Array, hi: Array, bins: int) -> Array:
    """Per-entry bin index in 0..bins-1 over [lo, hi] (right edge included); -1 outside.

    A whole row with any -1 is set to -1, so all out-of-range points share one overflow bin.
    A zero-width dimension has one bin holding exactly the value lo.
    """
    width = hi - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        idx = np.floor((x - lo) / np.where(width > 0, width, 1.0) * bins)
    idx = np.minimum(idx, bins - 1)
    outside = (x < lo) | (x > hi)
    idx = np.where(outside, -1, idx).astype(np.int64)
    idx[np.any(idx < 0, axis=1)] = -1
    return idx


def binned_kl(
    p_points: Array, q_points: Array, bins: int = STSP_BINS, alpha: float = STSP_ALPHA
) -> float:
    r"""KL(p || q) between Laplace-smoothed histograms of two point clouds (T_p, D), (T_q, D).

    Grid: ``bins`` equal bins per dimension spanning the range of ``p_points`` (right
    edge included), plus one overflow bin for any point outside it: B = bins^D + 1 bins.
    p_i = (n_i + alpha) / (T_p + alpha B), q_i likewise; KL = sum_i p_i log(p_i / q_i)
    over *all* B bins (the empty-in-both bins are summed in closed form, none dropped).
    NaN if bins^D overflows float64.
    """
    d = p_points.shape[1]
    if d * math.log10(bins) > 300:
        return NAN
    lo, hi = p_points.min(axis=0), p_points.max(axis=0)
    codes = np.vstack((_bin_indices(p_points, lo, hi, bins), _bin_indices(q_points, lo, hi, bins)))
    _, inverse = np.unique(codes, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    n_occ = int(inverse.max()) + 1
    n_p = np.bincount(inverse[: len(p_points)], minlength=n_occ)
    n_q = np.bincount(inverse[len(p_points):], minlength=n_occ)
    n_bins = float(bins) ** d + 1.0
    z_p = len(p_points) + alpha * n_bins
    z_q = len(q_points) + alpha * n_bins
    p, q = (n_p + alpha) / z_p, (n_q + alpha) / z_q
    p0, q0 = alpha / z_p, alpha / z_q
    kl = np.sum(p * np.log(p / q)) + (n_bins - n_occ) * p0 * math.log(p0 / q0)
    return max(0.0, float(kl))


@register(
    "dstsp_binned",
    formula=r"\sum_{i=1}^{30^D+1}p_i\log\frac{p_i}{q_i},\ p_i=\frac{n_i(y)+1}{T+30^D+1},\ "
    r"q_i=\frac{n_i(\hat y)+1}{T+30^D+1}",
    direction="lower",
    range=(0.0, INF),
    worst=INF,
    ideal=0.0,
    reference=KOPPE2019 + "; " + BRENNER2022,
    joint=True,
    group="long_term",
    notes="Bins over the true range; one overflow bin for forecast points outside it. "
    "With 30^D bins the smoothing dominates for D > 3: use dstsp_gmm there.",
)
def dstsp_binned(y_true: Array, y_pred: Array) -> float:
    r"""State-space divergence D_stsp = KL(p_true || p_forecast) between occupancy
    histograms: 30 equal bins per dimension over the range [min, max] of the *true*
    series, plus one overflow bin that collects every forecast point outside that box
    (mass is never discarded); Laplace smoothing (+1 per bin) over all 30^D + 1 bins, no
    bin dropped. Invariant under per-dimension positive affine maps applied to both
    series. See :func:`binned_kl`.
    """
    return binned_kl(y_true, y_pred)


#: Monte-Carlo samples and seed of dstsp_gmm.
GMM_SAMPLES = 1000
GMM_SEED = 0


def gmm_bandwidth(n_points: int, n_dims: int) -> float:
    """Scott's rule kernel width n^(-1/(d+4)), in standard deviations (Scott 1992)."""
    return float(n_points ** (-1.0 / (n_dims + 4)))


def _log_mixture(samples: Array, centres: Array, sigma: float, chunk: int = 256) -> Array:
    """log sum_t exp(-|s - c_t|^2 / (2 sigma^2)) for each sample (constants dropped)."""
    out = np.empty(len(samples))
    for start in range(0, len(samples), chunk):
        logk = cdist(samples[start : start + chunk], centres, "sqeuclidean") * (-0.5 / sigma**2)
        peak = logk.max(axis=1)
        # terms below e^-700 of the largest are dropped (changes the sum by < T e^-700
        # relative) so that exp never produces slow subnormal numbers
        rel = np.maximum(logk - peak[:, None], -700.0)
        out[start : start + chunk] = peak + np.log(np.sum(np.exp(rel), axis=1))
    return out


@register(
    "dstsp_gmm",
    formula=r"\frac1n\sum_{i=1}^n\log\frac{\hat p(x_i)}{\hat q(x_i)},\ x_i\sim\hat p,\ "
    r"\hat p=\frac1T\sum_t\mathcal N(z_t,h^2 I),\ z=(y-\bar y)/\sigma_y,\ h=T^{-1/(D+4)}",
    direction="lower",
    range=(0.0, INF),
    worst=INF,
    ideal=0.0,
    reference=KOPPE2019 + "; " + BRENNER2022 + "; bandwidth: " + SCOTT1992,
    joint=True,
    group="long_term",
    notes="Both series z-scored with the truth's mean/std; kernel width h = T^(-1/(D+4)) "
    "true std (Scott's rule: 0.30 for 5000x3, 0.49 for 20000x10); n = 1000 samples from "
    "default_rng(0); floored at 0. Compare equal-length forecasts only (h depends on T).",
)
def dstsp_gmm(y_true: Array, y_pred: Array) -> float:
    r"""Gaussian-mixture state-space divergence, for higher dimensions.

    Both series are standardised with the *true* per-dimension mean and std (a constant
    true dimension uses std 1). p_hat (q_hat) is the equal-weight mixture of isotropic
    Gaussians N(z_t, h^2 I) centred on every true (forecast) point, with Scott's rule
    h = T^(-1/(D+4)) in units of the true standard deviation (Scott 1992): 0.30 for
    T = 5000, D = 3; 0.49 for T = 20000, D = 10. (A fixed width such as 0.1 std is far
    below the point spacing of a 10-D attractor and makes two segments of the *same*
    attractor look more different than a shifted copy.) KL(p_hat || q_hat) is estimated
    by Monte Carlo: n = 1000 samples x_i ~ p_hat from ``numpy.random.default_rng(0)``
    (the same draws for every forecast), D = 1/n sum_i log(p_hat(x_i) / q_hat(x_i)),
    floored at 0 (KL >= 0). Identical series give exactly 0. The Monte-Carlo standard
    error is returned by :func:`gmm_kl_with_error`.
    """
    return max(0.0, gmm_kl_with_error(y_true, y_pred)[0])


def gmm_kl_with_error(y_true: Array, y_pred: Array) -> tuple[float, float]:
    """(Monte-Carlo KL estimate before flooring, its standard error) for dstsp_gmm."""
    mu = y_true.mean(axis=0)
    sd = np.where(is_constant(y_true), 1.0, y_true.std(axis=0))
    p_pts, q_pts = (y_true - mu) / sd, (y_pred - mu) / sd
    n, d = p_pts.shape
    h = gmm_bandwidth(n, d)
    rng = np.random.default_rng(GMM_SEED)
    centres = p_pts[rng.integers(0, n, size=GMM_SAMPLES)]
    samples = centres + h * rng.standard_normal((GMM_SAMPLES, d))
    log_ratio = _log_mixture(samples, p_pts, h) - _log_mixture(samples, q_pts, h)
    return float(np.mean(log_ratio)), float(np.std(log_ratio) / math.sqrt(GMM_SAMPLES))


# ----------------------------------------------------------------------------- D_H

#: Gaussian smoothing width (frequency bins) of dh_smoothed; bins kept by dh_fft100.
DH_SIGMA = 20.0
DH_NBINS = 100


def power_spectrum(x: Array) -> Array:
    """One-sided power |rfft(z)|^2 of each z-scored column, shape (T//2 + 1, D).

    A constant column has zero power everywhere."""
    return np.abs(np.fft.rfft(zscore(x), axis=0)) ** 2


def hellinger_columns(p: Array, q: Array) -> Array:
    r"""Hellinger distance per column between non-negative spectra, each normalised to sum 1:
    H = sqrt(1 - sum_k sqrt(p_k q_k)), in [0, 1].

    A column with zero total power (a constant signal) has no spectrum: distance 0 to
    another zero column, 1 (the maximum) to any other.
    """
    sp, sq = p.sum(axis=0), q.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.sqrt(p / sp) - np.sqrt(q / sq)
    # (1/sqrt 2) ||sqrt p - sqrt q||_2 equals sqrt(1 - sum sqrt(pq)) for normalised p, q,
    # and is exactly 0 for identical inputs (the latter form leaves ~1e-8 from rounding).
    h = np.minimum(np.sqrt(0.5 * np.sum(diff**2, axis=0)), 1.0)
    return np.where((sp == 0) & (sq == 0), 0.0, np.where((sp == 0) | (sq == 0), 1.0, h))


@register(
    "dh_smoothed",
    formula=r"\frac1D\sum_d\sqrt{1-\sum_k\sqrt{p_{kd}\,q_{kd}}},\ "
    r"p_{\cdot d}\propto G_{20}*|\mathcal F[z(y_{\cdot d})]|^2",
    direction="lower",
    range=(0.0, 1.0),
    worst=1.0,
    ideal=0.0,
    reference=MIKHAEIL2022 + "; " + BRENNER2022,
    group="long_term",
    notes="z-scored dims, one-sided rfft power, Gaussian smoothing sigma = 20 bins "
    "(scipy gaussian_filter1d, mode 'reflect', truncate 4). Constant dim: 1 vs a "
    "non-constant one, 0 vs constant.",
)
def dh_smoothed(y_true: Array, y_pred: Array) -> float:
    r"""Power-spectrum distance D_H, per dimension then averaged: each dimension is
    z-scored, its one-sided power spectrum |rfft|^2 (all T//2 + 1 bins, DC included, ~0
    after centring) is smoothed with a Gaussian kernel of sigma = 20 frequency bins
    (scipy.ndimage.gaussian_filter1d, mode 'reflect', truncated at 4 sigma) and normalised
    to sum 1; D_H = Hellinger distance sqrt(1 - sum_k sqrt(p_k q_k)) in [0, 1].
    Invariant to scale and shift of either series.
    """
    p, q = (
        gaussian_filter1d(power_spectrum(y), DH_SIGMA, axis=0, mode="reflect")
        for y in (y_true, y_pred)
    )
    return float(np.mean(hellinger_columns(p, q)))


@register(
    "dh_fft100",
    formula=r"\frac1D\sum_d\sqrt{1-\sum_{k=1}^{100}\sqrt{p_{kd}\,q_{kd}}},\ "
    r"p_{\cdot d}\propto|\mathcal F[z(y_{\cdot d})]|^2_{1..100}",
    direction="lower",
    range=(0.0, 1.0),
    worst=1.0,
    ideal=0.0,
    reference=MIKHAEIL2022 + "; variant of dysts average_hellinger_distance (" + GILPIN2023 + ")",
    group="long_term",
    notes="Unsmoothed power of z-scored dims at rfft bins 1..100 (fewer if T < 202). "
    "Unlike dysts the DC bin is excluded, so the mean does not dominate.",
)
def dh_fft100(y_true: Array, y_pred: Array) -> float:
    r"""Power-spectrum distance on the first 100 frequency bins, per dimension then averaged:
    the unsmoothed one-sided power |rfft(z)|^2 of each z-scored dimension at bins
    k = 1..100 (cycles per T steps; all available bins if T//2 < 100), normalised to sum 1,
    compared by the Hellinger distance. dysts' version keeps the DC bin of the *raw*
    signal, which is (T * mean)^2 and dominates whenever the mean is not ~0.
    """
    kmax = DH_NBINS + 1
    p, q = power_spectrum(y_true)[1:kmax], power_spectrum(y_pred)[1:kmax]
    return float(np.mean(hellinger_columns(p, q)))


# ------------------------------------------------------------ dimension and Lyapunov


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


@register(
    "correlation_dimension_error",
    formula=r"|D_2(\hat y)-D_2(y)|,\ D_2=\frac{d\log C(r)}{d\log r}",
    direction="lower",
    range=(0.0, INF),
    worst=INF,
    ideal=0.0,
    reference=GP1983 + "; Theiler window: " + THEILER1986,
    joint=True,
    group="long_term",
    notes="D2 from <= 1000 points, fit where C(r) in [1e-3, 3e-2]; constant series D2 = 0; "
    "NaN if T < 100.",
)
def correlation_dimension_error(y_true: Array, y_pred: Array) -> float:
    r"""Absolute difference of Grassberger-Procaccia correlation dimensions of the forecast
    and the true series, each estimated jointly in state space by
    :func:`correlation_dimension`.
    """
    return abs(correlation_dimension(y_pred) - correlation_dimension(y_true))


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


@register(
    "max_lyapunov_error",
    formula=r"|\hat\lambda_{\max}(\hat y)-\hat\lambda_{\max}(y)|",
    direction="lower",
    range=(0.0, INF),
    worst=INF,
    ideal=0.0,
    reference=ROSENSTEIN1993,
    needs=("dt",),
    joint=True,
    group="long_term",
    notes="Units 1/time (needs dt). Rosenstein estimate from each series (0 when no "
    "exponential divergence is resolved); NaN if a series is shorter than about 3 mean "
    "periods.",
)
def max_lyapunov_error(y_true: Array, y_pred: Array, dt: float) -> float:
    r"""Absolute difference between the largest Lyapunov exponents estimated from the
    forecast and from the true series by :func:`largest_lyapunov_exponent` (Rosenstein et
    al. 1993), in units of 1/time. (The supplied max_lyapunov is not used: both sides go
    through the same estimator, so its bias cancels to first order.)
    """
    return abs(largest_lyapunov_exponent(y_pred, dt) - largest_lyapunov_exponent(y_true, dt))
