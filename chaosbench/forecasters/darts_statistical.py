"""darts' statistical and naive models behind the forecaster interface.

Every one is a local darts model (fitted to one series). ARIMA, AutoARIMA, exponential smoothing,
Theta, 4Theta and FFT are univariate in darts: ``multivariate = False`` makes the base class fit
one independent copy per dimension (the runner records ``per_dimension`` in the result rows). The
Kalman forecaster (N4SID state-space model) and the naive models take a multivariate series as it
is. ARIMA, AutoARIMA and Kalman forecast a new context with the parameters fitted on the training
series; the others are refitted on the context (see ``DartsForecaster``).

String settings that darts takes as enums are strings here (``season_mode: additive``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

from .constraints import Constraint, Interval, Options, OrNone
from .darts_models import DartsForecaster

__all__ = [
    "ARIMA",
    "AutoARIMA",
    "ExponentialSmoothing",
    "FFT",
    "FourTheta",
    "Kalman",
    "NaiveDrift",
    "NaiveMean",
    "NaiveSeasonal",
    "Theta",
]

_MODES = Options("additive", "multiplicative", "none")
#: A season length: null (none, or detected) or an integer of at least 2.
_SEASON = OrNone(Interval(2, integer=True))


class _Local(DartsForecaster):
    """A local darts model: refitted on a new context unless ``transferable``."""

    family: ClassVar[str] = "statistical"
    global_model: ClassVar[bool] = False


class Kalman(_Local):
    """darts ``KalmanForecaster``: a linear state-space model of state dimension ``dim_x``
    identified by N4SID (nfoursid), forecast by the Kalman filter."""

    name: ClassVar[str] = "kalman"
    transferable: ClassVar[bool] = True
    defaults: ClassVar[Mapping[str, Any]] = {"dim_x": 1, "standardize": True}
    constraints: ClassVar[Mapping[str, Constraint]] = {"dim_x": Interval(1)}
    darts_class: ClassVar[str] = "KalmanForecaster"


class ARIMA(_Local):
    """ARIMA(p, d, q) per dimension: darts ``StatsForecastModel`` around statsforecast's
    ``ARIMA`` (``method`` CSS-ML: conditional sum of squares, then maximum likelihood).

    statsforecast rather than darts' statsmodels-based ``ARIMA``: statsmodels' maximum likelihood
    for ARIMA(10, 1, 0) stops with a LinAlgError (Schur solver, stationary initialisation) on
    about one Lorenz or Rossler coordinate in six at 100 points per period.
    """

    name: ClassVar[str] = "arima"
    multivariate: ClassVar[bool] = False
    transferable: ClassVar[bool] = True
    darts_class: ClassVar[str] = "StatsForecastModel"
    defaults: ClassVar[Mapping[str, Any]] = {
        "p": 10,
        "d": 1,
        "q": 0,
        "include_mean": True,
        "include_drift": False,
        "method": "CSS-ML",
        "standardize": True,
    }

    constraints: ClassVar[Mapping[str, Constraint]] = {
        "p": Interval(0), "d": Interval(0), "q": Interval(0),
        "method": Options("CSS-ML", "ML", "CSS"),
    }

    def darts_kwargs(self) -> dict[str, Any]:
        hp = self.hyperparameters
        return {
            "model": "ARIMA",
            "model_kwargs": {
                "order": (hp["p"], hp["d"], hp["q"]),
                "include_mean": hp["include_mean"],
                "include_drift": hp["include_drift"],
                "method": hp["method"],
            },
        }

    @property
    def min_context_points(self) -> int:
        return self.hyperparameters["p"] + self.hyperparameters["d"] + 1


class AutoARIMA(_Local):
    """darts ``AutoARIMA`` (statsforecast): order chosen by stepwise search on ``ic``, per
    dimension. Seasonal terms are off (``season_length = 1``) as in darts' default."""

    name: ClassVar[str] = "autoarima"
    multivariate: ClassVar[bool] = False
    transferable: ClassVar[bool] = True
    darts_class: ClassVar[str] = "AutoARIMA"
    defaults: ClassVar[Mapping[str, Any]] = {
        "max_p": 5,
        "max_d": 2,
        "max_q": 5,
        "start_p": 2,
        "start_q": 2,
        "max_order": 5,
        "ic": "aicc",
        "stepwise": True,
        "approximation": False,
        "season_length": 1,
        "standardize": True,
    }

    constraints: ClassVar[Mapping[str, Constraint]] = {
        **{key: Interval(0) for key in ("max_p", "max_d", "max_q", "start_p", "start_q",
                                        "max_order")},
        "season_length": Interval(1),
        "ic": Options("aic", "aicc", "bic"),
    }

    @property
    def min_context_points(self) -> int:
        return self.hyperparameters["max_p"] + self.hyperparameters["max_d"] + 1


class ExponentialSmoothing(_Local):
    """darts ``ExponentialSmoothing`` (statsmodels Holt-Winters), per dimension: ``trend`` and
    ``seasonal`` components (``additive``, ``multiplicative`` or ``none``), ``damped`` trend.
    ``seasonal_periods: null`` is darts' choice for an integer index: 12."""

    name: ClassVar[str] = "exponential_smoothing"
    multivariate: ClassVar[bool] = False
    darts_class: ClassVar[str] = "ExponentialSmoothing"
    enum_keys: ClassVar[Mapping[str, str]] = {"trend": "ModelMode", "seasonal": "SeasonalityMode"}
    defaults: ClassVar[Mapping[str, Any]] = {
        "trend": "additive",
        "damped": False,
        "seasonal": "additive",
        "seasonal_periods": None,
        "standardize": True,
    }
    constraints: ClassVar[Mapping[str, Constraint]] = {
        "trend": _MODES, "seasonal": _MODES, "seasonal_periods": _SEASON}

    @property
    def min_train_points(self) -> int:
        # Two seasons, with darts' default season of 12 on an integer index.
        return 2 * (self.hyperparameters["seasonal_periods"] or 12) + 2


class Theta(_Local):
    """darts ``Theta`` (Assimakopoulos & Nikolopoulos 2000), per dimension. With
    ``seasonality_period: null`` a seasonality is looked for in the autocorrelation
    (``season_mode`` additive or multiplicative; ``none`` switches it off)."""

    name: ClassVar[str] = "theta"
    multivariate: ClassVar[bool] = False
    darts_class: ClassVar[str] = "Theta"
    enum_keys: ClassVar[Mapping[str, str]] = {"season_mode": "SeasonalityMode"}
    defaults: ClassVar[Mapping[str, Any]] = {
        "theta": 2,
        "seasonality_period": None,
        "season_mode": "additive",
        "standardize": True,
    }
    constraints: ClassVar[Mapping[str, Constraint]] = {
        "seasonality_period": _SEASON, "season_mode": _MODES}

    def _check_hyperparameters(self, hp: Mapping[str, Any]) -> None:
        if hp["season_mode"] == "multiplicative" and hp["standardize"]:
            raise ValueError(f"{type(self).__name__}: a multiplicative season needs positive "
                             "data: set standardize false")


class FourTheta(Theta):
    """darts ``FourTheta`` (Spiliotis et al. 2020), per dimension: Theta with a linear or
    exponential trend and an additive or multiplicative model. darts' ``normalization`` (divide
    by the mean) is off: on standardised data the mean is zero."""

    name: ClassVar[str] = "four_theta"
    darts_class: ClassVar[str] = "FourTheta"
    enum_keys: ClassVar[Mapping[str, str]] = {
        "season_mode": "SeasonalityMode", "model_mode": "ModelMode", "trend_mode": "TrendMode"}
    defaults: ClassVar[Mapping[str, Any]] = {
        **Theta.defaults,
        "model_mode": "additive",
        "trend_mode": "linear",
        "normalization": False,
    }
    constraints: ClassVar[Mapping[str, Constraint]] = {
        "model_mode": _MODES, "trend_mode": Options("linear", "exponential")}

    def _check_hyperparameters(self, hp: Mapping[str, Any]) -> None:
        super()._check_hyperparameters(hp)
        if hp["normalization"] and hp["standardize"]:
            raise ValueError("FourTheta: normalization divides by the mean, which standardize "
                             "makes zero: set one of them false")


class FFT(_Local):
    """darts ``FFT``, per dimension: the ``nr_freqs_to_keep`` strongest Fourier modes of the
    (optionally detrended) training series, extrapolated periodically."""

    name: ClassVar[str] = "fft"
    multivariate: ClassVar[bool] = False
    darts_class: ClassVar[str] = "FFT"
    defaults: ClassVar[Mapping[str, Any]] = {
        "nr_freqs_to_keep": 10,
        "trend": None,
        "trend_poly_degree": 3,
        "standardize": True,
    }

    constraints: ClassVar[Mapping[str, Constraint]] = {
        "nr_freqs_to_keep": Interval(1),
        "trend": Options(None, "poly", "exp"),
        "trend_poly_degree": Interval(0),
    }


class NaiveMean(_Local):
    """darts ``NaiveMean``: the mean of the series (the training series, or the context)."""

    name: ClassVar[str] = "naive_mean"
    family: ClassVar[str] = "baseline"
    darts_class: ClassVar[str] = "NaiveMean"
    defaults: ClassVar[Mapping[str, Any]] = {"standardize": False}


class NaiveSeasonal(_Local):
    """darts ``NaiveSeasonal``: repeats the last ``K`` values (``K = 1``, darts' default and the
    published setting, is persistence)."""

    name: ClassVar[str] = "naive_seasonal"
    family: ClassVar[str] = "baseline"
    darts_class: ClassVar[str] = "NaiveSeasonal"
    defaults: ClassVar[Mapping[str, Any]] = {"K": 1, "standardize": False}
    constraints: ClassVar[Mapping[str, Constraint]] = {"K": Interval(1)}


class NaiveDrift(_Local):
    """darts ``NaiveDrift``: the line through the first and last values, extended."""

    name: ClassVar[str] = "naive_drift"
    family: ClassVar[str] = "baseline"
    darts_class: ClassVar[str] = "NaiveDrift"
    defaults: ClassVar[Mapping[str, Any]] = {"standardize": False}
