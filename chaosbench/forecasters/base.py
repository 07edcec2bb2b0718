"""The forecaster interface every model of the benchmark implements.

A forecaster is built with its hyperparameters, fitted once on a training series and then asked
for forecasts of any length::

    model = ESN(seed=0, units=300)          # unknown or ill-typed hyperparameters -> ValueError
    model.fit(train, dt)                    # train: (T, d) float array, dt: sampling interval
    y = model.predict(500)                  # (500, d): continues from the end of ``train``
    y = model.predict(500, context=window)  # (500, d): continues from the end of ``window``

A subclass declares ``name``, ``family``, ``library``, ``defaults`` (every hyperparameter with
its CPU-friendly default) and ``constraints`` (the allowed values,
:mod:`chaosbench.forecasters.constraints`), and implements ``_fit(train, dt)`` and
``_predict(horizon, context)``. The base class does everything else:

* validation with clear errors: hyperparameter names, types (those of the defaults) and
  ``constraints``, ``seed``, ``train`` (2-D, finite, at least ``min_train_points`` rows), ``dt``,
  ``horizon`` (an int >= 1), ``context`` (same dimension as ``train``, finite, at least
  ``min_context_points`` rows), predict before fit;
* standardisation: when a forecaster has a ``standardize`` hyperparameter set to true, ``_fit`` and
  ``_predict`` see data z-scored with the training mean and standard deviation, and forecasts are
  mapped back;
* univariate models (``multivariate = False``): one independent copy of the model per dimension;
* isolation of the global random state: the global ``numpy.random``, ``random`` and (when torch is
  loaded) torch generators are saved before ``fit``/``predict`` and restored after, so a model can
  never perturb, nor depend on, anything outside it. Models draw their own randomness from
  ``numpy.random.default_rng(seed)`` or a seeded ``torch.random.fork_rng()`` block.

``_predict`` always receives a context: the training series itself when ``predict`` is called
without one, so ``predict(h)`` and ``predict(h, context=train)`` agree. Forecasters never set
thread counts and never change or write to the working directory.
"""

from __future__ import annotations

import abc
import contextlib
import importlib
import numbers
import random
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from chaosbench.suggest import did_you_mean

from .constraints import Constraint

__all__ = ["Forecaster", "NotFittedError", "preserve_global_rng", "nan_padded"]


class NotFittedError(RuntimeError):
    """``predict`` was called before ``fit``."""


@contextlib.contextmanager
def preserve_global_rng() -> Iterator[None]:
    """Restore the global numpy, ``random`` and torch generator states on exit."""
    np_state = np.random.get_state()
    py_state = random.getstate()
    torch = sys.modules.get("torch")
    fork = torch.random.fork_rng(devices=[]) if torch is not None else contextlib.nullcontext()
    try:
        with fork:
            yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


def nan_padded(values: np.ndarray, horizon: int, n_dims: int) -> np.ndarray:
    """``values`` cut at its first non-finite row and padded with NaN to ``(horizon, n_dims)``.

    Used by integrating models: a trajectory that blew up is returned as far as it is finite and
    NaN afterwards, which the runner records as a diverged forecast.
    """
    out = np.full((horizon, n_dims), np.nan)
    values = np.asarray(values, dtype=float).reshape(-1, n_dims)[:horizon]
    bad = ~np.all(np.isfinite(values), axis=1)
    n_ok = int(np.argmax(bad)) if bad.any() else len(values)
    out[:n_ok] = values[:n_ok]
    return out


def _coerce(cls_name: str, key: str, value: Any, default: Any) -> Any:
    """``value`` checked against the type of ``default`` (ints are accepted for floats)."""

    def bad(expected: str) -> ValueError:
        return ValueError(
            f"{cls_name}: hyperparameter {key!r} must be {expected}, got {value!r} "
            f"({type(value).__name__})"
        )

    if default is None:
        return value
    if isinstance(default, (bool, np.bool_)):
        if not isinstance(value, (bool, np.bool_)):
            raise bad("a bool")
        return bool(value)
    if isinstance(default, numbers.Integral):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            raise bad("an int")
        return int(value)
    if isinstance(default, numbers.Real):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise bad("a float")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise bad("a str")
        return value
    if isinstance(default, (list, tuple)):
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise bad("a list")
        return list(value)
    if isinstance(default, Mapping):
        if not isinstance(value, Mapping):
            raise bad("a mapping")
        return dict(value)
    return value


class Forecaster(abc.ABC):
    """Abstract forecaster: ``fit(train, dt)`` then ``predict(horizon, context=None)``."""

    #: Registry name; ``conf/forecaster/<name>.yaml`` names the class.
    name: ClassVar[str]
    #: Model family: baseline, reservoir, neural_ode, deep_learning or symbolic.
    family: ClassVar[str]
    #: The library that does the modelling.
    library: ClassVar[str]
    #: False: the base class fits one independent model per dimension.
    multivariate: ClassVar[bool] = True
    #: True when the seed changes the forecast (random initialisation or sampling).
    stochastic: ClassVar[bool] = False
    #: Every hyperparameter with its default value.
    defaults: ClassVar[Mapping[str, Any]] = {}
    #: Hyperparameter -> the :mod:`~chaosbench.forecasters.constraints` rule its value obeys
    #: (a subclass's entries are merged over its parents').
    constraints: ClassVar[Mapping[str, Constraint]] = {}
    #: Modules ``fit`` imports on first use (a heavy library kept out of the module's own
    #: import); :meth:`preload` imports them.
    fit_imports: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def preload(cls) -> None:
        """Import :attr:`fit_imports` now. The runner calls this before it times ``fit``, so a
        first fit's recorded time never includes importing its library (darts: seconds)."""
        for module in cls.fit_imports:
            importlib.import_module(module)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Merge the parents' ``constraints`` under the class's own; a class that declares its
        ``defaults`` keeps those of its hyperparameters (and may constrain no other)."""
        super().__init_subclass__(**kwargs)
        own = dict(cls.__dict__.get("constraints", {}))
        merged: dict[str, Constraint] = {}
        for base in reversed(cls.__bases__):
            merged.update(getattr(base, "constraints", {}))
        merged.update(own)
        if "defaults" in cls.__dict__:
            unknown = sorted(set(own) - set(cls.defaults))
            if unknown:
                raise TypeError(f"{cls.__name__}: constraints name no hyperparameter: {unknown}")
            merged = {k: c for k, c in merged.items() if k in cls.defaults}
        cls.constraints = merged

    def __init__(self, *, seed: int = 0, **hyperparameters: Any) -> None:
        cls_name = type(self).__name__
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0:
            raise ValueError(f"{cls_name}: seed must be a non-negative int, got {seed!r}")
        valid = sorted(self.defaults)
        unknown = sorted(set(hyperparameters) - set(valid))
        if unknown:
            hint = did_you_mean(unknown[0], valid)
            raise ValueError(
                f"{cls_name}: unknown hyperparameter(s) {unknown}.{hint} "
                f"Valid hyperparameters: {', '.join(valid) or '(none)'}"
            )
        params = dict(self.defaults)
        for key, value in hyperparameters.items():
            params[key] = _coerce(cls_name, key, value, self.defaults[key])
        for key, constraint in self.constraints.items():
            if not constraint.holds(params[key]):
                raise ValueError(f"{cls_name}: {key} must be {constraint}, got {params[key]!r}")
        self.seed = int(seed)
        self.hyperparameters: dict[str, Any] = params
        self._check_hyperparameters(params)
        self._fitted = False
        self._channels: list[Forecaster] | None = None

    # ----------------------------------------------------------------------------------------
    # To implement
    # ----------------------------------------------------------------------------------------
    def _check_hyperparameters(self, hp: Mapping[str, Any]) -> None:
        """Raise ValueError for a combination of values that cannot work together (names, types
        and each value's ``constraints`` are already checked)."""

    @abc.abstractmethod
    def _fit(self, train: np.ndarray, dt: float) -> None:
        """Fit on ``train`` (T, d), already validated (and standardised if configured)."""

    @abc.abstractmethod
    def _predict(self, horizon: int, context: np.ndarray) -> np.ndarray:
        """Forecast ``horizon`` steps after the last row of ``context``; return (horizon, d)."""

    @property
    def min_train_points(self) -> int:
        """Fewest training rows this configuration can fit."""
        return 2

    @property
    def min_context_points(self) -> int:
        """Fewest context rows a forecast needs (the model's input window)."""
        return 1

    # ----------------------------------------------------------------------------------------
    # Public API
    # ----------------------------------------------------------------------------------------
    @property
    def is_fitted(self) -> bool:
        return self._fitted

    def get_params(self) -> dict[str, Any]:
        """Seed and every hyperparameter: ``type(self)(**model.get_params())`` rebuilds it."""
        return {"seed": self.seed, **self.hyperparameters}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def fit(self, train: np.ndarray, dt: float) -> Forecaster:
        """Fit on a training series ``train`` of shape (T, d) sampled every ``dt``; returns self."""
        train = self._check_series(train, "train", self.min_train_points)
        if isinstance(dt, (bool, np.bool_)) or not isinstance(dt, numbers.Real):
            raise ValueError(f"{type(self).__name__}: dt must be a positive float, got {dt!r}")
        dt = float(dt)
        if not (np.isfinite(dt) and dt > 0):
            raise ValueError(f"{type(self).__name__}: dt must be a positive float, got {dt!r}")
        self._fitted = False
        n_dims = train.shape[1]
        with preserve_global_rng():
            if not self.multivariate and n_dims > 1:
                self._channels = [
                    type(self)(seed=self._channel_seed(i), **self.hyperparameters).fit(
                        train[:, i : i + 1], dt
                    )
                    for i in range(n_dims)
                ]
            else:
                self._channels = None
                self._set_scaler(train)
                self._fit(self._scale(train), dt)
        self._train = train
        self._n_dims = n_dims
        self.dt = dt
        self._fitted = True
        return self

    def predict(self, horizon: int, *, context: np.ndarray | None = None) -> np.ndarray:
        """Forecast ``horizon`` steps after the training series, or after ``context`` if given.

        Returns a float array of shape (horizon, d). A forecast that diverged is NaN from the
        step where it stopped being finite.
        """
        cls_name = type(self).__name__
        if not self._fitted:
            raise NotFittedError(f"{cls_name}: call fit(train, dt) before predict()")
        if (
            isinstance(horizon, (bool, np.bool_))
            or not isinstance(horizon, numbers.Integral)
            or horizon < 1
        ):
            raise ValueError(f"{cls_name}: horizon must be an int >= 1, got {horizon!r}")
        horizon = int(horizon)
        if context is None:
            context = self._train
        else:
            context = self._check_series(context, "context", self.min_context_points)
            if context.shape[1] != self._n_dims:
                raise ValueError(
                    f"{cls_name}: context has {context.shape[1]} dimension(s) but the model was "
                    f"fitted on {self._n_dims}"
                )
        with preserve_global_rng():
            if self._channels is not None:
                out = np.hstack(
                    [
                        ch.predict(horizon, context=context[:, i : i + 1])
                        for i, ch in enumerate(self._channels)
                    ]
                )
            else:
                out = self._unscale(self._predict(horizon, self._scale(context)))
        out = np.asarray(out, dtype=float)
        if out.shape != (horizon, self._n_dims):
            raise RuntimeError(
                f"{cls_name} produced a forecast of shape {out.shape}, "
                f"expected {(horizon, self._n_dims)}"
            )
        return out

    # ----------------------------------------------------------------------------------------
    # Helpers
    # ----------------------------------------------------------------------------------------
    def _channel_seed(self, index: int) -> int:
        return int(np.random.SeedSequence([self.seed, index]).generate_state(1)[0])

    def _check_series(self, x: Any, what: str, min_rows: int) -> np.ndarray:
        cls_name = type(self).__name__
        try:
            arr = np.array(x, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{cls_name}: {what} must be a numeric array of shape (T, d)") from exc
        if arr.ndim != 2:
            hint = " (use x.reshape(-1, 1) for a univariate series)" if arr.ndim == 1 else ""
            raise ValueError(
                f"{cls_name}: {what} must be 2-D of shape (T, d), got shape {arr.shape}{hint}"
            )
        if arr.shape[1] < 1:
            raise ValueError(f"{cls_name}: {what} has no dimensions (shape {arr.shape})")
        if arr.shape[0] < min_rows:
            raise ValueError(
                f"{cls_name}: {what} has {arr.shape[0]} points but this configuration needs at "
                f"least {min_rows}"
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{cls_name}: {what} contains NaN or inf")
        return arr

    def _set_scaler(self, train: np.ndarray) -> None:
        if self.hyperparameters.get("standardize", False):
            std = train.std(axis=0)
            self._mean = train.mean(axis=0)
            self._std = np.where(std > 0, std, 1.0)
        else:
            self._mean = np.zeros(train.shape[1])
            self._std = np.ones(train.shape[1])

    def _scale(self, x: np.ndarray) -> np.ndarray:
        return (x - self._mean) / self._std

    def _unscale(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(z, dtype=float) * self._std + self._mean
