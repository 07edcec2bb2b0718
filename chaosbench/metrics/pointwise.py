r"""Pointwise error and correlation metrics (16 of the 17 forecast metrics of Gilpin 2023).

Every function takes validated (T, D) float64 arrays ``y_true`` (finite) and ``y_pred``
(finite; diverged forecasts never reach these functions, ``compute`` returns the metric's
worst value for them). Unless a docstring says "joint", the metric is computed per
dimension d and the D values are averaged with equal weights. Notation: e = y - yhat,
sums over t run over the T time steps of one dimension.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

from ._common import (
    GILPIN2023,
    HYNDMAN2006,
    KSG2004,
    Array,
    is_constant,
    safe_ratio,
)
from .registry import register

INF = float("inf")


@register(
    "mse",
    formula=r"\frac{1}{TD}\sum_{t,d}(y_{td}-\hat y_{td})^2",
    direction="lower",
    range=(0.0, INF),
    worst=INF,
    ideal=0.0,
    reference=GILPIN2023,
)
def mse(y_true: Array, y_pred: Array) -> float:
    r"""Mean squared error, MSE = 1/T sum_t (y_t - yhat_t)^2 per dimension, then averaged.

    With equal T in every dimension this equals the mean over all T*D entries.
    Units: squared units of y. Shift-invariant (same shift of y and yhat).
    """
    return float(np.mean((y_true - y_pred) ** 2))


@register(
    "mae",
    formula=r"\frac{1}{TD}\sum_{t,d}|y_{td}-\hat y_{td}|",
    direction="lower",
    range=(0.0, INF),
    worst=INF,
    ideal=0.0,
    reference=GILPIN2023,
)
def mae(y_true: Array, y_pred: Array) -> float:
    r"""Mean absolute error, MAE = 1/T sum_t |y_t - yhat_t| per dimension, then averaged."""
    return float(np.mean(np.abs(y_true - y_pred)))


def _rmse_per_dim(y_true: Array, y_pred: Array) -> Array:
    return np.sqrt(np.mean((y_true - y_pred) ** 2, axis=0))


@register(
    "rmse",
    formula=r"\frac{1}{D}\sum_d\sqrt{\frac{1}{T}\sum_t(y_{td}-\hat y_{td})^2}",
    direction="lower",
    range=(0.0, INF),
    worst=INF,
    ideal=0.0,
    reference=GILPIN2023,
)
def rmse(y_true: Array, y_pred: Array) -> float:
    r"""Root mean squared error per dimension, RMSE_d = sqrt(1/T sum_t e_td^2), averaged over d.

    Note: the mean of per-dimension RMSEs (as darts and scikit-learn's multioutput
    'uniform_average'), not sqrt(mse).
    """
    return float(np.mean(_rmse_per_dim(y_true, y_pred)))


@register(
    "nrmse",
    formula=r"\frac{1}{D}\sum_d \mathrm{RMSE}_d/\sigma_d,\ \sigma_d=\mathrm{std}_t(y_{td})",
    direction="lower",
    range=(0.0, INF),
    worst=INF,
    ideal=0.0,
    reference=GILPIN2023,
    notes="sigma_d = 0 (constant truth): 0 if that dimension is perfect, else inf.",
)
def nrmse(y_true: Array, y_pred: Array) -> float:
    r"""Normalised RMSE: NRMSE_d = RMSE_d / sigma_d, sigma_d the population std (ddof=0) of
    the true dimension d; averaged over d.

    Scale- and shift-invariant. A forecast equal to the true mean scores 1.
    Constant true dimension (sigma_d = 0): 0/0 = 0, x/0 = inf.
    """
    sigma = np.where(is_constant(y_true), 0.0, y_true.std(axis=0))  # exact 0, not 1e-17
    return float(np.mean(safe_ratio(_rmse_per_dim(y_true, y_pred), sigma)))


@register(
    "marre",
    formula=r"\frac{100}{D}\sum_d\frac{\frac1T\sum_t|e_{td}|}{\max_t y_{td}-\min_t y_{td}}",
    direction="lower",
    range=(0.0, INF),
    worst=INF,
    ideal=0.0,
    reference=GILPIN2023,
    notes="Constant true dimension (zero range): 0 if perfect, else inf.",
)
def marre(y_true: Array, y_pred: Array) -> float:
    r"""Mean absolute ranged relative error, in percent:
    MARRE_d = 100 * (1/T sum_t |y_td - yhat_td|) / (max_t y_td - min_t y_td); averaged over d.

    Scale- and shift-invariant. Zero true range: 0/0 = 0, x/0 = inf.
    """
    mae_d = np.mean(np.abs(y_true - y_pred), axis=0)
    return float(100.0 * np.mean(safe_ratio(mae_d, np.ptp(y_true, axis=0))))


@register(
    "r2",
    formula=r"\frac{1}{D}\sum_d\Big(1-\frac{\sum_t e_{td}^2}{\sum_t(y_{td}-\bar y_d)^2}\Big)",
    direction="higher",
    range=(-INF, 1.0),
    worst=-INF,
    ideal=1.0,
    reference=GILPIN2023,
    notes="Constant true dimension: 1 if that dimension is perfect, else 0 "
    "(scikit-learn's force_finite convention).",
)
def r2(y_true: Array, y_pred: Array) -> float:
    r"""Coefficient of determination per dimension,
    R^2_d = 1 - sum_t (y_td - yhat_td)^2 / sum_t (y_td - mean_t y_td)^2, averaged over d.

    Constant true dimension (zero denominator): R^2_d = 1 if the forecast is perfect
    there, else 0 (as scikit-learn's r2_score with force_finite=True).
    """
    sse = np.sum((y_true - y_pred) ** 2, axis=0)
    sst = np.where(is_constant(y_true), 0.0, np.sum((y_true - y_true.mean(axis=0)) ** 2, axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        per_dim = 1.0 - sse / sst
    per_dim = np.where(sst == 0, np.where(sse == 0, 1.0, 0.0), per_dim)
    return float(np.mean(per_dim))


def _log_modulus(a: Array) -> Array:
    return np.sign(a) * np.log1p(np.abs(a))


@register(
    "rmsle",
    formula=r"\frac{1}{D}\sum_d\sqrt{\frac1T\sum_t(L(\hat y_{td})-L(y_{td}))^2},"
    r"\ L(v)=\mathrm{sign}(v)\log(1+|v|)",
    direction="lower",
    range=(0.0, INF),
    worst=INF,
    ideal=0.0,
    reference=GILPIN2023 + "; log-modulus transform: John J.A. & Draper N.R. (1980) "
    "Appl. Statist. 29(2), 190-197",
)
def rmsle(y_true: Array, y_pred: Array) -> float:
    r"""Root mean squared log error per dimension, averaged over d:
    RMSLE_d = sqrt(1/T sum_t (L(yhat_td) - L(y_td))^2), L(v) = sign(v) log(1 + |v|).

    L is the log-modulus transform (John & Draper 1980): identical to the usual log(1+v)
    for v >= 0, so on non-negative data this is the standard RMSLE (darts, scikit-learn),
    and it stays defined for the signed signals of chaotic systems. (dysts instead
    shifts truth and forecast each by its *own* minimum, which makes the metric blind to
    a constant offset of the forecast.)
    """
    diff = _log_modulus(y_pred) - _log_modulus(y_true)
    return float(np.mean(np.sqrt(np.mean(diff**2, axis=0))))


def smape_terms(y_true: Array, y_pred: Array) -> Array:
    r"""Elementwise sMAPE terms 200 |y - yhat| / (|y| + |yhat|), with 0/0 = 0 (shape (T, D))."""
    return 200.0 * safe_ratio(np.abs(y_true - y_pred), np.abs(y_true) + np.abs(y_pred))


@register(
    "smape",
    formula=r"\frac{200}{TD}\sum_{t,d}\frac{|y_{td}-\hat y_{td}|}{|y_{td}|+|\hat y_{td}|}",
    direction="lower",
    range=(0.0, 200.0),
    worst=200.0,
    ideal=0.0,
    reference=GILPIN2023 + "; " + HYNDMAN2006,
    notes="0-200 scale; a term with y = yhat = 0 counts 0.",
)
def smape(y_true: Array, y_pred: Array) -> float:
    r"""Symmetric mean absolute percentage error on the 0-200 scale, per dimension then
    averaged (= mean over all T*D terms):
    sMAPE_d = 200/T sum_t |y_td - yhat_td| / (|y_td| + |yhat_td|); a 0/0 term counts 0.

    Scale-invariant, symmetric in (y, yhat), not shift-invariant. Note: dysts'
    ``smape(scaled=True)`` reports half of this (0-100 scale).
    """
    return float(np.mean(smape_terms(y_true, y_pred)))


@register(
    "mape",
    formula=r"\frac{100}{TD}\sum_{t,d}\frac{|y_{td}-\hat y_{td}|}{|y_{td}|}",
    direction="lower",
    range=(0.0, INF),
    worst=INF,
    ideal=0.0,
    reference=HYNDMAN2006,
    notes="A term with y = 0: 0 if yhat = 0, else inf (no epsilon).",
)
def mape(y_true: Array, y_pred: Array) -> float:
    r"""Mean absolute percentage error, MAPE_d = 100/T sum_t |y_td - yhat_td| / |y_td|,
    averaged over d. A true value exactly 0 gives a term 0 (if yhat = 0) or inf; no
    epsilon is added, so the metric is exactly scale-invariant. It is unstable for
    signals crossing zero, which is why sMAPE is the headline error.
    """
    return float(100.0 * np.mean(safe_ratio(np.abs(y_true - y_pred), np.abs(y_true))))


@register(
    "wape",
    formula=r"\frac{100}{D}\sum_d\frac{\sum_t|y_{td}-\hat y_{td}|}{\sum_t|y_{td}|}",
    direction="lower",
    range=(0.0, INF),
    worst=INF,
    ideal=0.0,
    reference=GILPIN2023,
    notes="All-zero true dimension: 0 if perfect, else inf.",
)
def wape(y_true: Array, y_pred: Array) -> float:
    r"""Weighted absolute percentage error (darts: wmape), per dimension then averaged:
    WAPE_d = 100 * sum_t |y_td - yhat_td| / sum_t |y_td|.

    (dysts pools all dimensions in one ratio; here each dimension is its own ratio.)
    """
    num = np.sum(np.abs(y_true - y_pred), axis=0)
    return float(100.0 * np.mean(safe_ratio(num, np.sum(np.abs(y_true), axis=0))))


def _pearson_per_dim(a: Array, b: Array) -> Array:
    """Pearson r per column; constant column -> 0 unless the columns are identical -> 1."""
    ac = a - a.mean(axis=0)
    bc = b - b.mean(axis=0)
    den = np.sqrt(np.sum(ac**2, axis=0)) * np.sqrt(np.sum(bc**2, axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.sum(ac * bc, axis=0) / den
    r = np.where(is_constant(a) | is_constant(b) | (den == 0), 0.0, np.clip(r, -1.0, 1.0))
    return np.where(np.all(a == b, axis=0), 1.0, r)


_CORR_NOTES = (
    "Constant truth or forecast dimension: 0, except an exactly identical dimension: 1."
)


@register(
    "spearman",
    formula=r"\frac1D\sum_d \rho\big(\mathrm{rank}(y_{\cdot d}),"
    r"\mathrm{rank}(\hat y_{\cdot d})\big)",
    direction="higher",
    range=(-1.0, 1.0),
    worst=-1.0,
    ideal=1.0,
    reference=GILPIN2023 + "; Spearman C. (1904) Am. J. Psychol. 15, 72-101",
    notes=_CORR_NOTES,
)
def spearman(y_true: Array, y_pred: Array) -> float:
    r"""Spearman rank correlation per dimension, averaged: the Pearson correlation of the
    ranks (ties get their average rank, as scipy.stats.spearmanr).

    Invariant under any strictly increasing transform of y or yhat. Constant dimension:
    0 (identical dimensions: 1).
    """
    return float(np.mean(_pearson_per_dim(average_ranks(y_true), average_ranks(y_pred))))


def average_ranks(a: Array) -> Array:
    """Ranks 1..T of each column of ``a`` (T, D), ties given the mean of the ranks they span
    (scipy.stats.rankdata's ``average`` method, the same numbers)."""
    out = np.empty(a.shape)
    for d in range(a.shape[1]):
        order = np.argsort(a[:, d], kind="stable")
        values = a[order, d]
        new = np.r_[True, values[1:] != values[:-1]]  # the first of each run of equal values
        starts = np.flatnonzero(new)  # a run at sorted positions starts..ends-1 ...
        ends = np.r_[starts[1:], len(values)]
        run = np.cumsum(new) - 1
        out[order, d] = 0.5 * (starts[run] + 1 + ends[run])  # ... holds ranks starts+1..ends
    return out


def _dense_ranks(v: Array) -> np.ndarray:
    """0, 1, 2, ... in the order of the distinct values of ``v``; equal values share one."""
    return np.unique(v, return_inverse=True)[1].reshape(-1)


def _inversions(r: np.ndarray) -> int:
    """Pairs i < j with ``r[i] > r[j]``, for integers ``0 <= r < len(r)``, in O(T log^2 T):
    a bottom-up merge sort whose every level counts, for all blocks at once, the elements of
    each right half below elements of its left half."""
    n = len(r)
    position = np.arange(n)
    count, width = 0, 1
    while width < n:
        block = position // (2 * width)
        keys = block * n + r  # ascending within each half-block, blocks in order
        right = (position // width) % 2 == 1
        left = keys[~right]  # ascending overall
        above = (np.searchsorted(left, (block[right] + 1) * n, side="left")
                 - np.searchsorted(left, keys[right], side="right"))
        count += int(above.sum())
        r = np.sort(keys) - block * n  # merged: ascending within blocks of 2 * width
        width *= 2
    return count


def _tied_pairs(v: np.ndarray) -> int:
    """Pairs of equal entries of ``v``."""
    counts = np.unique(v, return_counts=True)[1]
    return int(np.sum(counts * (counts - 1) // 2))


def kendall_tau_b(x: Array, y: Array) -> float:
    r"""Kendall's tau-b of two 1-D samples, (n_c - n_d) / sqrt((n_0 - n_1)(n_0 - n_2)), in
    O(T log^2 T) (as scipy.stats.kendalltau, the same numbers): with the pairs sorted by x,
    then y, the discordant pairs are the inversions of y, and
    n_c - n_d = n_0 - n_1 - n_2 + n_3 - 2 n_d (n_3: pairs tied in both). NaN if x or y is
    constant."""
    n = len(x)
    n0, n1, n2 = n * (n - 1) // 2, _tied_pairs(x), _tied_pairs(y)
    if n1 == n0 or n2 == n0:
        return float("nan")
    rx, ry = _dense_ranks(x), _dense_ranks(y)
    order = np.lexsort((ry, rx))
    n3 = _tied_pairs(rx * n + ry)
    concordant_minus_discordant = n0 - n1 - n2 + n3 - 2 * _inversions(ry[order])
    tau = concordant_minus_discordant / np.sqrt(n0 - n1) / np.sqrt(n0 - n2)
    return float(min(1.0, max(-1.0, tau)))


@register(
    "pearson",
    formula=r"\frac1D\sum_d\frac{\sum_t (y_{td}-\bar y_d)(\hat y_{td}-\bar{\hat y}_d)}"
    r"{\sqrt{\sum_t (y_{td}-\bar y_d)^2\sum_t(\hat y_{td}-\bar{\hat y}_d)^2}}",
    direction="higher",
    range=(-1.0, 1.0),
    worst=-1.0,
    ideal=1.0,
    reference=GILPIN2023 + "; Pearson K. (1895) Proc. R. Soc. Lond. 58, 240-242",
    notes=_CORR_NOTES,
)
def pearson(y_true: Array, y_pred: Array) -> float:
    r"""Pearson correlation coefficient per dimension, averaged over d.

    r_d = sum_t (y - mean y)(yhat - mean yhat) / sqrt(sum (y - mean y)^2 sum (yhat - mean yhat)^2).
    Invariant under positive affine maps of y or yhat. Constant dimension: 0 (identical
    dimensions: 1). This *is* Pearson also for 1-D input (dysts returned Spearman there).
    """
    return float(np.mean(_pearson_per_dim(y_true, y_pred)))


@register(
    "kendall",
    formula=r"\frac1D\sum_d \tau_b(y_{\cdot d},\hat y_{\cdot d}),\ "
    r"\tau_b=\frac{n_c-n_d}{\sqrt{(n_0-n_1)(n_0-n_2)}}",
    direction="higher",
    range=(-1.0, 1.0),
    worst=-1.0,
    ideal=1.0,
    reference=GILPIN2023 + "; Kendall M.G. (1945) Biometrika 33(3), 239-251 (tau-b)",
    notes=_CORR_NOTES,
)
def kendall(y_true: Array, y_pred: Array) -> float:
    r"""Kendall rank correlation tau-b per dimension, averaged over d.

    tau_b = (n_c - n_d) / sqrt((n_0 - n_1)(n_0 - n_2)) with n_c / n_d the concordant /
    discordant pairs, n_0 = T(T-1)/2 and n_1, n_2 the pairs tied in y, in yhat.
    Computed by :func:`kendall_tau_b` (a merge-sort count, as scipy.stats.kendalltau).
    Constant dimension: 0 (identical dimensions: 1).
    """
    const = is_constant(y_true) | is_constant(y_pred)
    same = np.all(y_true == y_pred, axis=0)

    def tau(d: int) -> float:
        if same[d]:
            return 1.0
        if const[d]:
            return 0.0
        return kendall_tau_b(y_true[:, d], y_pred[:, d])

    return float(np.mean([tau(d) for d in range(y_true.shape[1])]))


@register(
    "coefficient_of_variation",
    formula=r"\frac{100}{D}\sum_d\frac{\mathrm{RMSE}_d}{\frac1T\sum_t|y_{td}|}",
    direction="lower",
    range=(0.0, INF),
    worst=INF,
    ideal=0.0,
    reference=GILPIN2023 + "; CV(RMSE): ASHRAE Guideline 14-2014",
    notes="Normalised by the mean *absolute* true value, so it stays meaningful for "
    "zero-mean signals; equals the classical 100*RMSE/mean(y) when y >= 0. "
    "All-zero true dimension: 0 if perfect, else inf.",
)
def coefficient_of_variation(y_true: Array, y_pred: Array) -> float:
    r"""Coefficient of variation of the RMSE, in percent, per dimension then averaged:
    CV_d = 100 * RMSE_d / (1/T sum_t |y_td|).

    The classical CV(RMSE) divides by the mean of y, which is ~0 for the centred signals
    of most chaotic systems, so the value explodes and flips sign with the sample mean
    (dysts divides std(e) by mean(y) + 1e-10). Dividing by the mean *absolute* value
    keeps the meaning "error relative to the typical magnitude of the signal", is exactly
    the classical value whenever y >= 0, and is scale-invariant.
    """
    mean_abs = np.mean(np.abs(y_true), axis=0)
    return float(100.0 * np.mean(safe_ratio(_rmse_per_dim(y_true, y_pred), mean_abs)))


#: Neighbours used by the KSG estimator (Kraskov et al. recommend k = 2..4; scikit-learn 3).
MI_NEIGHBORS = 3
#: Seed of the tie-breaking jitter; fixed so that the same input gives the same number.
MI_SEED = 0


def ksg_mutual_information(x: Array, y: Array, k: int = MI_NEIGHBORS, seed: int = MI_SEED) -> float:
    r"""KSG estimator (Kraskov et al. 2004, algorithm 1) of I(X; Y) in nats for 1-D samples.

    I = psi(N) + psi(k) - <psi(n_x + 1) + psi(n_y + 1)>, where for each point i, eps_i is
    the distance to its k-th neighbour in the joint space under the max-norm and
    n_x(i) (n_y(i)) counts the other points with |x_j - x_i| < eps_i (|y_j - y_i| < eps_i).
    Both variables are first z-scored (the max-norm makes the estimate depend on their
    relative scale), and jitter of relative size 1e-10 from
    ``numpy.random.default_rng(seed)`` breaks ties. This reproduces scikit-learn's
    mutual_info_regression (which scales without centring, and jitters with its own
    RandomState) up to the effect of the 1e-10 jitter. Negative estimates are floored
    at 0 (MI >= 0).
    """
    n = x.size
    rng = np.random.default_rng(seed)
    cols = []
    for v in (x, y):
        v = (v - v.mean()) / v.std()
        v = v + 1e-10 * max(1.0, float(np.mean(np.abs(v)))) * rng.standard_normal(n)
        cols.append(v)
    xs, ys = cols
    joint = np.column_stack((xs, ys))
    # Shrink eps by 1e-12 relative so that the k-th neighbour itself (at distance exactly
    # eps in one coordinate) stays outside the strict count despite the rounding of v + eps.
    eps = cKDTree(joint).query(joint, k=k + 1, p=np.inf)[0][:, -1] * (1.0 - 1e-12)

    def count_within(v: Array) -> Array:
        srt = np.sort(v)
        upper = np.searchsorted(srt, v + eps, side="left")
        lower = np.searchsorted(srt, v - eps, side="right")
        return upper - lower - 1  # strictly inside (v - eps, v + eps), minus the point itself

    nx, ny = count_within(xs), count_within(ys)
    mi = digamma(n) + digamma(k) - np.mean(digamma(nx + 1) + digamma(ny + 1))
    return max(0.0, float(mi))


@register(
    "mutual_information",
    formula=r"\frac1D\sum_d \hat I_{KSG}(y_{\cdot d};\hat y_{\cdot d}),\ "
    r"\hat I=\psi(T)+\psi(3)-\langle\psi(n_y+1)+\psi(n_{\hat y}+1)\rangle",
    direction="higher",
    range=(0.0, INF),
    worst=0.0,
    ideal=None,
    reference=GILPIN2023 + "; estimator: " + KSG2004,
    notes="Nats. Perfect forecast: psi(T) - psi(4) (see docstring). "
    "Constant truth or forecast dimension: 0. NaN if T <= 3 (needs k + 1 points).",
)
def mutual_information(y_true: Array, y_pred: Array) -> float:
    r"""Mutual information between true and forecast values, per dimension then averaged,
    in nats, by the Kraskov-Stoegbauer-Grassberger k-NN estimator with k = 3
    (see :func:`ksg_mutual_information`).

    The samples are the T (y_td, yhat_td) pairs of one dimension (time order ignored).
    Invariant under scaling and shifting of y or yhat. A perfect forecast scores
    psi(T) - psi(4): the tie-breaking jitter puts the k-th joint neighbour strictly inside
    one of the two marginal balls, so one count is k and the other k - 1 at every point.
    The value grows like log T, so compare forecasts of equal length only. Constant
    dimension: 0 (a constant carries no information). NaN if T <= k = 3.
    """
    if y_true.shape[0] <= MI_NEIGHBORS:
        return float("nan")
    const = is_constant(y_true) | is_constant(y_pred)
    vals = [
        0.0 if const[d] else ksg_mutual_information(y_true[:, d], y_pred[:, d])
        for d in range(y_true.shape[1])
    ]
    return float(np.mean(vals))


@register(
    "mase",
    formula=r"\frac1D\sum_d\frac{\frac1T\sum_t|y_{td}-\hat y_{td}|}"
    r"{\frac{1}{n-1}\sum_{s=2}^{n}|x_{sd}-x_{s-1,d}|},\ x=y_{\mathrm{train}}",
    direction="lower",
    range=(0.0, INF),
    worst=INF,
    ideal=0.0,
    reference=HYNDMAN2006,
    needs=("y_train",),
    notes="NaN without y_train. Constant y_train dimension: 0 if perfect, else inf.",
)
def mase(y_true: Array, y_pred: Array, y_train: Array) -> float:
    r"""Mean absolute scaled error (Hyndman & Koehler 2006), per dimension then averaged:
    MASE_d = MAE_d / (1/(n-1) sum_{s=2..n} |x_sd - x_{s-1,d}|), x = y_train (n steps).

    The scale is the in-sample MAE of the lag-1 naive forecast *of the same dimension*
    (dysts took one scale pooled across dimensions, so a large-amplitude coordinate set
    the scale of all). Below 1: better than the in-sample naive forecast.
    """
    scale = np.mean(np.abs(np.diff(y_train, axis=0)), axis=0)
    mae_d = np.mean(np.abs(y_true - y_pred), axis=0)
    return float(np.mean(safe_ratio(mae_d, scale)))
