"""darts' regression models behind the forecaster interface: linear, random forest, LightGBM.

Each regresses the next ``output_chunk_length`` values of every dimension on the last ``lags``
values of all dimensions (a multivariate series is modelled jointly) and forecasts recursively.
They are global darts models: a new context is forecast from its last ``lags`` rows with the
fitted model.

LightGBM is the gradient-boosting model of the zoo (the published benchmark ran XGBoost): its
wheel is self-contained (a few MB; xgboost's Linux wheel pulls the ~200 MB CUDA NCCL library) and
darts wraps both the same way (``LightGBMModel`` / ``XGBModel``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

from .darts_models import DartsForecaster

__all__ = ["LinearRegression", "RandomForest", "LightGBM"]


class _Regression(DartsForecaster):
    family: ClassVar[str] = "regression"

    def _check_hyperparameters(self, hp: Mapping[str, Any]) -> None:
        super()._check_hyperparameters(hp)
        for key in ("lags", "output_chunk_length"):
            if hp[key] < 1:
                raise ValueError(f"{type(self).__name__}: {key} must be >= 1, got {hp[key]}")

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

    def _check_hyperparameters(self, hp: Mapping[str, Any]) -> None:
        super()._check_hyperparameters(hp)
        if hp["n_estimators"] < 1:
            raise ValueError("RandomForest: n_estimators must be >= 1")
        if hp["max_depth"] is not None and (not isinstance(hp["max_depth"], int)
                                            or hp["max_depth"] < 1):
            raise ValueError("RandomForest: max_depth must be null or an int >= 1")

    def darts_kwargs(self) -> dict[str, Any]:
        return {**super().darts_kwargs(), "random_state": self.seed}


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

    def _check_hyperparameters(self, hp: Mapping[str, Any]) -> None:
        super()._check_hyperparameters(hp)
        if hp["n_estimators"] < 1 or hp["num_leaves"] < 2:
            raise ValueError("LightGBM: n_estimators must be >= 1 and num_leaves >= 2")
        if not hp["learning_rate"] > 0:
            raise ValueError("LightGBM: learning_rate must be > 0")

    def darts_kwargs(self) -> dict[str, Any]:
        return {**super().darts_kwargs(), "random_state": self.seed}
