"""Reference baselines: naive (repeat the last value), mean, and a linear autoregression."""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np

from .base import Forecaster
from .constraints import Constraint, Interval

__all__ = ["Naive", "Mean", "LinearAR"]


class Naive(Forecaster):
    """Persistence: every future value equals the last observed one."""

    name: ClassVar[str] = "naive"
    family: ClassVar[str] = "baseline"
    library: ClassVar[str] = "numpy"
    defaults: ClassVar[Mapping[str, Any]] = {}

    def _fit(self, train: np.ndarray, dt: float) -> None:
        pass

    def _predict(self, horizon: int, context: np.ndarray) -> np.ndarray:
        return np.repeat(context[-1:], horizon, axis=0)


class Mean(Forecaster):
    """Climatology: every future value equals the training mean (the context is not used)."""

    name: ClassVar[str] = "mean"
    family: ClassVar[str] = "baseline"
    library: ClassVar[str] = "numpy"
    defaults: ClassVar[Mapping[str, Any]] = {}

    def _fit(self, train: np.ndarray, dt: float) -> None:
        self._level = train.mean(axis=0)

    def _predict(self, horizon: int, context: np.ndarray) -> np.ndarray:
        return np.repeat(self._level[None, :], horizon, axis=0)


class LinearAR(Forecaster):
    """Linear vector autoregression, iterated for multi-step forecasts.

    x[t+1] = c + sum_{j=1..lags} A_j x[t+1-j], fitted jointly over all dimensions by ridge
    regression. The penalty on the lag coefficients (not on the intercept c) is ``ridge`` times
    the mean diagonal of the centred Gram matrix, so it does not depend on the data's scale.
    """

    name: ClassVar[str] = "linear"
    family: ClassVar[str] = "baseline"
    library: ClassVar[str] = "numpy"
    defaults: ClassVar[Mapping[str, Any]] = {"lags": 10, "ridge": 1e-8}
    constraints: ClassVar[Mapping[str, Constraint]] = {"lags": Interval(1), "ridge": Interval(0)}

    @property
    def min_train_points(self) -> int:
        return self.hyperparameters["lags"] + 2

    @property
    def min_context_points(self) -> int:
        return self.hyperparameters["lags"]

    def _fit(self, train: np.ndarray, dt: float) -> None:
        p = self.hyperparameters["lags"]
        n, d = train.shape
        # Row t of X holds x[t+p-1], x[t+p-2], ..., x[t] (newest first); target x[t+p].
        X = np.hstack([train[p - 1 - j : n - 1 - j] for j in range(p)])
        Y = train[p:]
        x_mean, y_mean = X.mean(axis=0), Y.mean(axis=0)
        Xc, Yc = X - x_mean, Y - y_mean
        gram = Xc.T @ Xc
        # Scale-aware penalty: ridge relative to the mean diagonal of the Gram matrix.
        penalty = self.hyperparameters["ridge"] * max(np.trace(gram) / gram.shape[0], 1e-300)
        coef = np.linalg.solve(gram + penalty * np.eye(gram.shape[0]), Xc.T @ Yc)
        self._coef = coef  # (p*d, d)
        self._intercept = y_mean - x_mean @ coef

    def _predict(self, horizon: int, context: np.ndarray) -> np.ndarray:
        p = self.hyperparameters["lags"]
        window = list(context[-p:][::-1])  # newest first
        out = np.empty((horizon, context.shape[1]))
        with np.errstate(over="ignore", invalid="ignore"):
            for k in range(horizon):
                nxt = np.concatenate(window) @ self._coef + self._intercept
                out[k] = nxt
                window = [nxt, *window[:-1]]
        return out
