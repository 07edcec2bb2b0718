"""Pretrained (foundation) forecasters, evaluated zero-shot.

A pretrained forecaster trains nothing: ``fit(train, dt)`` loads the weights and keeps the
series, and ``predict(horizon, context=None)`` runs the model on the last ``context_length``
points of the series (or of ``context``). The modules here are adapters onto each model's own
library; those libraries are the ``foundation`` extra (``pip install 'chaosbench[foundation]'``)
and are imported only when a model is fitted.

Settings every adapter shares (:data:`DEFAULTS`, with their defaults; ``constraints`` on
:class:`PretrainedForecaster` their valid values):

* ``weights``: a local directory holding the model's files, or a hub id (``amazon/chronos-bolt-
  small``) that the library's own loader resolves from its cache or the hub. Without network a hub
  id fails with one line telling to download the weights and pass ``weights=/path``.
* ``device``: ``cpu`` (default), ``cuda``/``cuda:N`` where one is present, or ``auto``.
* ``context_length``: points of history the model sees (512, as in Zhang & Gilpin, ICLR 2025);
  more than the model can take is an error, not a silent truncation.
* ``channels``: ``univariate`` forecasts each coordinate on its own (one batch, channels
  independent), ``multivariate`` forecasts them jointly, for models that support it (Chronos-2,
  TimesFM 3).
* ``dtype``: the weights' floating-point type (``float32``; ``bfloat16`` where the library
  supports it).

The point forecast is the model's median (quantile 0.5, or the median of sample paths), the
convention of the Chronos evaluation (Ansari et al., "Chronos: Learning the language of time
series", TMLR 2024). A forecast is always requested in whole blocks of the model's native
prediction length and cut to the horizon, so a shorter horizon is exactly a prefix of a longer one.
"""

from __future__ import annotations

import abc
import importlib
import math
import re
from pathlib import Path
from typing import Any, ClassVar, Mapping

import numpy as np

from chaosbench.forecasters.base import Forecaster
from chaosbench.forecasters.constraints import Constraint, Interval, Options, Pattern

__all__ = ["PretrainedForecaster", "FoundationExtraMissing", "WrongWeights", "require",
           "DEFAULTS"]

#: The settings shared by every pretrained adapter, with their defaults.
DEFAULTS: Mapping[str, Any] = {
    "weights": "",
    "device": "cpu",
    "context_length": 512,
    "channels": "univariate",
    "dtype": "float32",
}
CHANNELS = ("univariate", "multivariate")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class FoundationExtraMissing(ImportError):
    """A pretrained model's library (the ``foundation`` extra) is not installed."""


class WrongWeights(ValueError):
    """The weights loaded, but are not of the model the adapter runs."""


def require(module: str, package: str) -> Any:
    """Import ``module`` of the foundation extra, or raise one line saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise FoundationExtraMissing(
            "the foundation extra is not installed: pip install 'chaosbench[foundation]' "
            f"({package} is missing)"
        ) from exc


def looks_like_path(weights: str) -> bool:
    """True when ``weights`` names a file-system location rather than a hub id (``org/name``)."""
    return Path(weights).expanduser().exists() or not _HUB_ID.match(weights)


class PretrainedForecaster(Forecaster):
    """Zero-shot adapter: ``_load`` builds the model, ``_forecast`` runs it on one window.

    Subclasses implement ``_load(weights, device, dtype)`` (returning the library's model object),
    ``_max_context()``, ``_block()`` (the native prediction length), and
    ``_forecast(window, steps) -> (steps, d)`` with ``steps`` a whole number of blocks.
    """

    family: ClassVar[str] = "pretrained"
    #: The model's key in the leakage table (``leakage.yaml``).
    model_key: ClassVar[str]
    #: Whether the model can forecast coordinates jointly (``channels=multivariate``).
    joint_channels: ClassVar[bool] = False
    #: (python module, PyPI package) of the model's library.
    requires: ClassVar[tuple[str, str]]
    #: ``dtype``: the floating-point types the adapter can load the weights in.
    constraints: ClassVar[Mapping[str, Constraint]] = {
        "device": Pattern(r"cpu|auto|cuda(:\d+)?", "cpu, cuda, cuda:N or auto"),
        "context_length": Interval(1),
        "channels": Options(*CHANNELS),
        "dtype": Options("float32"),
    }

    def _check_hyperparameters(self, hp: Mapping[str, Any]) -> None:
        if hp["channels"] == "multivariate" and not self.joint_channels:
            raise ValueError(f"{type(self).__name__}: this model forecasts each channel on its "
                             "own; use channels=univariate")

    # ------------------------------------------------------------------------------------------
    # Loading
    # ------------------------------------------------------------------------------------------
    def _device(self) -> str:
        import torch

        device = self.hyperparameters["device"]
        if device == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(f"{type(self).__name__}: device={device} but no CUDA device is "
                             "present; use device=cpu")
        return device

    def _resolve_weights(self) -> str:
        """The ``weights`` setting checked: an existing local path, or a hub id."""
        weights = self.hyperparameters["weights"]
        if not weights:
            raise ValueError(f"{type(self).__name__}: set weights= to a local directory holding "
                             "the model's files (or a hub id)")
        if looks_like_path(weights):
            path = Path(weights).expanduser()
            if not path.exists():
                raise ValueError(f"{type(self).__name__}: weights path {weights!r} does not "
                                 "exist: pass the directory holding the model's files")
            return str(path.resolve())
        return weights

    def _load_model(self) -> None:
        """Load once per (weights, device, dtype); refitting the same instance reuses the model."""
        require(*self.requires)
        key = (self.hyperparameters["weights"], self._device(), self.hyperparameters["dtype"])
        if getattr(self, "_loaded_key", None) == key:
            return
        weights = self._resolve_weights()
        hub = not looks_like_path(weights)
        try:
            model = self._load(weights, key[1], key[2])
        except FoundationExtraMissing:
            raise
        except WrongWeights as exc:
            raise ValueError(f"{type(self).__name__}: {exc}") from exc
        except Exception as exc:  # the libraries raise OSError, ValueError, hub errors, ...
            if hub:
                raise ValueError(
                    "cannot reach the model hub: download the weights and pass weights=/path "
                    f"({type(self).__name__} could not load {weights!r}: {type(exc).__name__})"
                ) from exc
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(f"{type(self).__name__}: could not load weights from {weights}: "
                             f"{detail}") from exc
        self._model, self._device_name = model, key[1]
        maximum = self._max_context()
        if self.hyperparameters["context_length"] > maximum:
            raise ValueError(
                f"{type(self).__name__}: context_length={self.hyperparameters['context_length']} "
                f"is more than this model takes; valid: 1..{maximum}"
            )
        self._loaded_key = key

    # ------------------------------------------------------------------------------------------
    # Forecaster
    # ------------------------------------------------------------------------------------------
    def _fit(self, train: np.ndarray, dt: float) -> None:
        self._load_model()

    def _predict(self, horizon: int, context: np.ndarray) -> np.ndarray:
        window = context[-self.hyperparameters["context_length"]:]
        block = self._block()
        steps = math.ceil(horizon / block) * block
        out = np.asarray(self._forecast(window, steps), dtype=float)
        return out[:horizon]

    @abc.abstractmethod
    def _load(self, weights: str, device: str, dtype: str) -> Any:
        """The library's model loaded from ``weights`` (a local path or a hub id)."""

    @abc.abstractmethod
    def _max_context(self) -> int:
        """The longest context the loaded model takes."""

    @abc.abstractmethod
    def _block(self) -> int:
        """The loaded model's native prediction length."""

    @abc.abstractmethod
    def _forecast(self, window: np.ndarray, steps: int) -> np.ndarray:
        """Median forecast ``(steps, d)`` after ``window`` ``(T, d)``; steps is whole blocks."""


def torch_dtype(name: str) -> Any:
    """The torch dtype called ``name`` (``float32``, ``bfloat16``)."""
    import torch

    return getattr(torch, name)
