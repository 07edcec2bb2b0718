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
from scipy.spatial.distance import cdist

from chaosbench.estimators import correlation_dimension, largest_lyapunov_exponent, power_spectrum

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
