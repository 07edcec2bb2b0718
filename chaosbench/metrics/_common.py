"""Shared helpers: input validation, the zero-denominator rule, citations.

Conventions used by every metric (documented once here, referenced from the docstrings):

* Arrays are (T, D) float64 after :func:`as_2d`; a (T,) input is treated as (T, 1).
* "per dimension, then averaged": the metric is evaluated on each column and the D
  values are averaged with equal weights.
* Zero-denominator rule (:func:`safe_ratio`): ``0/0 = 0`` and ``x/0 = inf`` for x > 0.
  E.g. nrmse of a constant true dimension is 0 for a perfect forecast, inf otherwise.
* "Constant" means max == min exactly (``np.ptp == 0``), never a tolerance.
* A forecast value is *diverged* if it is NaN, +-inf, or larger in magnitude than
  ``DIVERGED = 1e100`` (far beyond any physical state; keeps sums of squares finite).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from chaosbench.estimators import is_constant, zscore  # noqa: F401  (shared definitions)

Array = NDArray[np.float64]

#: |forecast| above this is treated like inf (sums of squares of such values stay finite).
DIVERGED = 1e100

# Citations (facts and definitions, not code, carry over).
GILPIN2023 = (
    "Gilpin W. (2023) Model scale versus domain knowledge in statistical forecasting "
    "of chaotic systems. Phys. Rev. Research 5, 043252; arXiv:2303.08011"
)
HYNDMAN2006 = (
    "Hyndman R.J. & Koehler A.B. (2006) Another look at measures of forecast accuracy. "
    "Int. J. Forecasting 22(4), 679-688"
)
KSG2004 = (
    "Kraskov A., Stoegbauer H. & Grassberger P. (2004) Estimating mutual information. "
    "Phys. Rev. E 69, 066138"
)
KOPPE2019 = (
    "Koppe G., Toutounji H., Kirsch P., Lis S. & Durstewitz D. (2019) Identifying "
    "nonlinear dynamical systems via generative recurrent neural networks with "
    "applications to fMRI. PLoS Comput. Biol. 15(8), e1007263"
)
BRENNER2022 = (
    "Brenner M., Hess F., Mikhaeil J.M., Bereska L., Monfared Z., Kuo P.-C. & "
    "Durstewitz D. (2022) Tractable dendritic RNNs for reconstructing nonlinear "
    "dynamical systems. ICML 2022, PMLR 162"
)
MIKHAEIL2022 = (
    "Mikhaeil J.M., Monfared Z. & Durstewitz D. (2022) On the difficulty of learning "
    "chaotic dynamics with RNNs. NeurIPS 2022"
)
GP1983 = (
    "Grassberger P. & Procaccia I. (1983) Measuring the strangeness of strange "
    "attractors. Physica D 9, 189-208"
)
ROSENSTEIN1993 = (
    "Rosenstein M.T., Collins J.J. & De Luca C.J. (1993) A practical method for "
    "calculating largest Lyapunov exponents from small data sets. Physica D 65, 117-134"
)
SCOTT1992 = "Scott D.W. (1992) Multivariate Density Estimation. Wiley (Sec. 6.3, Scott's rule)"
THEILER1986 = (
    "Theiler J. (1986) Spurious dimension from correlation algorithms applied to "
    "limited time-series data. Phys. Rev. A 34, 2427"
)


def as_2d(a: ArrayLike, name: str) -> Array:
    """Return ``a`` as a (T, D) float64 array; (T,) becomes (T, 1). Raises ValueError."""
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (T,) or (T, D); got shape {arr.shape}")
    if arr.shape[0] < 2 or arr.shape[1] < 1:
        raise ValueError(f"{name} needs at least 2 time steps and 1 dimension; got {arr.shape}")
    return arr


def diverged_mask(y_pred: Array) -> NDArray[np.bool_]:
    """Per time step: True where any dimension of the forecast is diverged (see module doc)."""
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(y_pred) | (np.abs(y_pred) > DIVERGED)
    return bad.any(axis=1)


def first_diverged_step(y_pred: Array) -> int | None:
    """0-based index of the first diverged time step, or None if the forecast is finite."""
    bad = np.flatnonzero(diverged_mask(y_pred))
    return int(bad[0]) if bad.size else None


def safe_ratio(num: ArrayLike, den: ArrayLike) -> Array:
    """Elementwise num/den with the zero-denominator rule 0/0 = 0, x/0 = inf (x > 0).

    Inputs are non-negative in every use here. No floating-point warnings are emitted.
    """
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    return np.where(den == 0, np.where(num == 0, 0.0, np.inf), out)


def lyapunov_steps(k: float, dt: float, max_lyapunov: float) -> int:
    """Smallest number of steps n with n * dt * max_lyapunov >= k (k Lyapunov times).

    The product is rounded to 9 decimals first so that e.g. k=1, dt=0.1, lambda=10 gives
    exactly 1 step despite floating-point error.
    """
    return int(np.ceil(round(k / (dt * max_lyapunov), 9)))
