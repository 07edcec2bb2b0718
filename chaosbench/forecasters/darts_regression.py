"""darts' regression models behind the forecaster interface: linear, random forest, LightGBM,
XGBoost.

Each regresses the next ``output_chunk_length`` values of every dimension on the last ``lags``
values of all dimensions (a multivariate series is modelled jointly) and forecasts recursively.
They are global darts models: a new context is forecast from its last ``lags`` rows with the
fitted model.

Two gradient-boosting models: XGBoost, the published benchmark's row (the CPU-only wheel
``xgboost-cpu``; the plain ``xgboost`` wheel pulls the CUDA NCCL library), and LightGBM. darts
wraps both the same way (``XGBModel`` / ``LightGBMModel``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

from .constraints import Constraint, Interval, OrNone
from .darts_models import DartsForecaster

__all__ = ["LinearRegression", "RandomForest", "LightGBM", "XGBoost"]


class _Regression(DartsForecaster):
    family: ClassVar[str] = "regression"
    constraints: ClassVar[Mapping[str, Constraint]] = {
        "lags": Interval(1), "output_chunk_length": Interval(1)}

    @property
    def min_context_points(self) -> int:
        return self.hyperparameters["lags"]


class LinearRegression(_Regression):
    """darts ``LinearRegressionModel`` (scikit-learn least squares) on ``lags`` lags."""

    name: ClassVar[str] = "linear_regression"
    darts_class: ClassVar[str] = "LinearRegressionModel"
    defaults: ClassVar[Mapping[str, Any]] = {
        "lags": 25,
        "output_chunk_length": 1,
        "standardize": True,
    }


class RandomForest(_Regression):
    """darts ``RandomForestModel`` (scikit-learn): ``n_estimators`` trees on ``lags`` lags,
    seeded by the forecaster's seed."""

    name: ClassVar[str] = "random_forest"
    darts_class: ClassVar[str] = "RandomForestModel"
    stochastic: ClassVar[bool] = True
    defaults: ClassVar[Mapping[str, Any]] = {
        "lags": 25,
        "output_chunk_length": 1,
        "n_estimators": 100,
        "max_depth": None,
        "min_samples_leaf": 1,
        "max_features": 1.0,
        "n_jobs": 1,
        "standardize": True,
    }
    constraints: ClassVar[Mapping[str, Constraint]] = {
        "n_estimators": Interval(1), "max_depth": OrNone(Interval(1, integer=True))}

    def darts_kwargs(self) -> dict[str, Any]:
        return {**super().darts_kwargs(), "random_state": self.seed}

    def _build(self) -> Any:
        # The same forest with a fast, exact predict for the recursive forecast's one-row calls
        # (chaosbench.forecasters.forest): a 1,000-step forecast was ~1,000 x 6 ms of sklearn's
        # per-call overhead.
        from .forest import RandomForest as FastForest

        model = super()._build()
        model.model = FastForest(**model.model.get_params())
        return model


class LightGBM(_Regression):
    """darts ``LightGBMModel``: gradient-boosted trees (LightGBM), one model per dimension,
    on ``lags`` lags. With the default full row and feature sampling the fit does not depend on
    the seed (LightGBM's ``random_state`` is still set from it)."""

    name: ClassVar[str] = "lightgbm"
    darts_class: ClassVar[str] = "LightGBMModel"
    defaults: ClassVar[Mapping[str, Any]] = {
        "lags": 25,
        "output_chunk_length": 1,
        "n_estimators": 100,
        "learning_rate": 0.1,
        "num_leaves": 31,
        "max_depth": -1,
        "min_child_samples": 20,
        "subsample": 1.0,
        "colsample_bytree": 1.0,
        "n_jobs": 1,
        "verbose": -1,
        "standardize": True,
    }
    constraints: ClassVar[Mapping[str, Constraint]] = {
        "n_estimators": Interval(1),
        "num_leaves": Interval(2),
        "learning_rate": Interval(0, closed="neither"),
    }

    def darts_kwargs(self) -> dict[str, Any]:
        return {**super().darts_kwargs(), "random_state": self.seed}


class XGBoost(_Regression):
    """darts ``XGBModel``: gradient-boosted trees (XGBoost, ``hist`` method), one model per
    dimension, on ``lags`` lags. The defaults are XGBoost's own (100 trees of depth 6, learning
    rate 0.3), as in the published benchmark; deterministic for a given seed."""

    name: ClassVar[str] = "xgboost"
    darts_class: ClassVar[str] = "XGBModel"
    defaults: ClassVar[Mapping[str, Any]] = {
        "lags": 25,
        "output_chunk_length": 1,
        "n_estimators": 100,
        "max_depth": 6,
        "learning_rate": 0.3,
        "n_jobs": 1,
        "standardize": True,
    }
    constraints: ClassVar[Mapping[str, Constraint]] = {
        "n_estimators": Interval(1),
        "max_depth": Interval(1),
        "learning_rate": Interval(0, closed="neither"),
    }

    def darts_kwargs(self) -> dict[str, Any]:
        return {**super().darts_kwargs(), "random_state": self.seed}
