"""Sparse identification of nonlinear dynamics (SINDy) with pysindy.

pysindy's ``SINDy`` with a ``PolynomialLibrary`` and the ``STLSQ`` sparse regression identifies
dx/dt = Theta(x) Xi from finite-difference derivatives of the training series; the forecast
integrates the identified equations from the last context point with scipy's ``solve_ivp``.

``sindy_ensemble`` is the variant made for noisy data: ensemble SINDy (E-SINDy, Fasel et al.
2022, Proc. R. Soc. A 478: 20210904) fits STLSQ on ``n_models`` bootstrap resamples of the
(derivative, library) rows, optionally also dropping library terms, and keeps the median of the
coefficients; derivatives come from Savitzky-Golay smoothed finite differences.
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np

from .base import Forecaster, nan_padded
from .constraints import Constraint, Interval, Options

__all__ = ["SINDy", "EnsembleSINDy"]


class SINDy(Forecaster):
    """SINDy: polynomial library of degree ``degree``, STLSQ with ``threshold`` and ridge
    ``alpha``, derivatives by finite differences of order ``fd_order``.

    The forecast integrates the identified vector field with ``solve_ivp`` (``integrator``,
    ``rtol``, ``atol``). It stops, and the rest of the forecast is NaN, when the solver fails or
    the state leaves the box ``escape_factor`` times wider than the training range (a blow-up).
    With ``standardize`` the equations are identified in z-scored coordinates.
    """

    name: ClassVar[str] = "sindy"
    family: ClassVar[str] = "symbolic"
    library: ClassVar[str] = "pysindy"
    fit_imports: ClassVar[tuple[str, ...]] = ("pysindy",)
    defaults: ClassVar[Mapping[str, Any]] = {
        "degree": 2,
        "include_bias": True,
        "threshold": 0.1,
        "alpha": 0.05,
        "max_iter": 20,
        "fd_order": 4,
        "integrator": "LSODA",
        "rtol": 1e-9,
        "atol": 1e-9,
        "escape_factor": 10.0,
        "standardize": False,
    }
    constraints: ClassVar[Mapping[str, Constraint]] = {
        "degree": Interval(1),
        "threshold": Interval(0),
        "alpha": Interval(0),
        "max_iter": Interval(1),
        "fd_order": Interval(1),
        "rtol": Interval(0, closed="neither"),
        "atol": Interval(0, closed="neither"),
        "escape_factor": Interval(0, closed="neither"),
        "integrator": Options("RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA"),
    }

    @property
    def min_train_points(self) -> int:
        return self.hyperparameters["fd_order"] + 3

    def _fit(self, train: np.ndarray, dt: float) -> None:
        import warnings

        import pysindy as ps

        hp = self.hyperparameters
        model = ps.SINDy(
            optimizer=self._optimizer(),
            feature_library=ps.PolynomialLibrary(
                degree=hp["degree"], include_bias=hp["include_bias"]
            ),
            differentiation_method=self._differentiation(),
        )
        with warnings.catch_warnings():
            # STLSQ warns when a threshold eliminates every term of an equation; the model is
            # then simply x' = 0 for that coordinate, which is a valid (if poor) result.
            warnings.simplefilter("ignore")
            # pysindy's ensembles draw from the global numpy generator: seed it here (the base
            # class restores the caller's global state after fit).
            np.random.seed(self.seed % 2**32)
            model.fit(train, t=dt)
        self._model = model
        self._coef = np.asarray(model.coefficients(), dtype=float)  # (d, n_features)
        self._powers = np.asarray(model.feature_library.powers_, dtype=float)  # (n_features, d)
        lo, hi = train.min(axis=0), train.max(axis=0)
        half = np.maximum(hi - lo, 1e-12) * hp["escape_factor"] / 2
        centre = (hi + lo) / 2
        self._box = (centre - half, centre + half)

    def _optimizer(self) -> Any:
        import pysindy as ps

        hp = self.hyperparameters
        return ps.STLSQ(threshold=hp["threshold"], alpha=hp["alpha"], max_iter=hp["max_iter"])

    def _differentiation(self) -> Any:
        import pysindy as ps

        return ps.FiniteDifference(order=self.hyperparameters["fd_order"], axis=-2)

    def vector_field(self, x: np.ndarray) -> np.ndarray:
        """The identified dx/dt at states ``x`` (n, d), in the model's (possibly scaled) units."""
        features = np.prod(x[:, None, :] ** self._powers[None, :, :], axis=2)
        return features @ self._coef.T

    def equations(self, precision: int = 3) -> list[str]:
        """The identified equations as text (pysindy's rendering)."""
        return list(self._model.equations(precision))

    def _predict(self, horizon: int, context: np.ndarray) -> np.ndarray:
        from scipy.integrate import solve_ivp

        hp = self.hyperparameters
        x0 = context[-1]
        t_eval = np.arange(horizon + 1) * self.dt
        lo, hi = self._box

        def rhs(_t: float, x: np.ndarray) -> np.ndarray:
            return self.vector_field(x[None, :])[0]

        def escaped(_t: float, x: np.ndarray) -> float:
            # Positive inside the box, crosses zero when the state leaves it.
            return float(np.min(np.minimum(x - lo, hi - x)))

        escaped.terminal = True  # type: ignore[attr-defined]
        escaped.direction = -1  # type: ignore[attr-defined]
        with np.errstate(over="ignore", invalid="ignore"):
            sol = solve_ivp(
                rhs,
                (0.0, t_eval[-1]),
                x0,
                method=hp["integrator"],
                t_eval=t_eval,
                rtol=hp["rtol"],
                atol=hp["atol"],
                events=escaped,
            )
        return nan_padded(sol.y.T[1:], horizon, context.shape[1])


class EnsembleSINDy(SINDy):
    """Ensemble SINDy for noisy data: median of ``n_models`` STLSQ fits on bootstrap resamples
    (``bagging``) and, with ``library_ensemble``, on libraries missing ``n_candidates_to_drop``
    random terms; derivatives by finite differences of order ``fd_order`` on the series smoothed
    by a Savitzky-Golay filter (``smoother_window`` points, polynomial order
    ``smoother_polyorder``; 0 switches smoothing off). Resampling is seeded by ``seed``.
    """

    name: ClassVar[str] = "sindy_ensemble"
    stochastic: ClassVar[bool] = True
    defaults: ClassVar[Mapping[str, Any]] = {
        **SINDy.defaults,
        "n_models": 20,
        "bagging": True,
        "library_ensemble": False,
        "n_candidates_to_drop": 1,
        "smoother_window": 9,
        "smoother_polyorder": 3,
    }
    constraints: ClassVar[Mapping[str, Constraint]] = {
        "n_models": Interval(1), "n_candidates_to_drop": Interval(1)}

    def _check_hyperparameters(self, hp: Mapping[str, Any]) -> None:
        if not (hp["bagging"] or hp["library_ensemble"]):
            raise ValueError("EnsembleSINDy: set bagging and/or library_ensemble (else use sindy)")
        window, order = hp["smoother_window"], hp["smoother_polyorder"]
        if window and (window < 3 or window % 2 == 0 or not 0 <= order < window):
            raise ValueError("EnsembleSINDy: smoother_window must be 0 or an odd int >= 3 "
                             "greater than smoother_polyorder")

    @property
    def min_train_points(self) -> int:
        return max(super().min_train_points, self.hyperparameters["smoother_window"] + 1)

    def _optimizer(self) -> Any:
        import pysindy as ps

        hp = self.hyperparameters
        return ps.EnsembleOptimizer(
            super()._optimizer(),
            bagging=hp["bagging"],
            library_ensemble=hp["library_ensemble"],
            n_models=hp["n_models"],
            n_candidates_to_drop=hp["n_candidates_to_drop"],
        )

    def _differentiation(self) -> Any:
        import pysindy as ps

        hp = self.hyperparameters
        if not hp["smoother_window"]:
            return super()._differentiation()
        return ps.SmoothedFiniteDifference(
            order=hp["fd_order"],
            axis=-2,
            smoother_kws={"window_length": hp["smoother_window"],
                          "polyorder": hp["smoother_polyorder"], "axis": 0},
        )
