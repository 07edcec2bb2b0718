"""darts models behind the forecaster interface: a generic adapter plus Transformer and N-BEATS.

Adding a darts model is one small class and one YAML file::

    class NHiTS(DartsTorchForecaster):
        name = "nhits"
        darts_class = "NHiTSModel"
        defaults = {**DartsTorchForecaster.defaults, "num_stacks": 3, ...}

Every hyperparameter that is not one of the adapter's own (``adapter_keys``) is passed unchanged
to the darts model's constructor, so the YAML uses darts' argument names. ``DartsForecaster``
works for any darts model; ``DartsTorchForecaster`` adds what darts' torch models need: the seed
as ``random_state``, ``learning_rate`` as ``optimizer_kwargs={"lr": ...}``, and a quiet
PyTorch Lightning trainer (no logger, no checkpoints, no progress bar or model summary, on
``accelerator``) rooted in a temporary directory, so nothing is written to the working directory.

Series are handed to darts as float32 ``TimeSeries`` with an integer index. Global darts models
(all torch models) forecast from a new window with ``predict(n, series=context)``; local models
(``global_model = False``, e.g. statistical ones) are refitted on the context when it differs from
the training series.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from typing import Any, ClassVar, Mapping

import numpy as np
import torch  # noqa: F401  (loaded before any fit so the base class can isolate its RNG)

from .base import Forecaster

__all__ = ["DartsForecaster", "DartsTorchForecaster", "Transformer", "NBEATS"]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence darts' and Lightning's chatter (info logs, warnings) for one call, then restore."""
    # Lightning sets its loggers' level when first imported: import it before adjusting them.
    import darts.models  # noqa: F401
    import pytorch_lightning  # noqa: F401

    names = ("darts", "pytorch_lightning", "lightning", "lightning_fabric")
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels):
                lg.setLevel(level)


def _series(values: np.ndarray) -> Any:
    from darts import TimeSeries

    return TimeSeries.from_values(np.ascontiguousarray(values, dtype=np.float32))


class DartsForecaster(Forecaster):
    """Generic adapter: ``darts.models.<darts_class>(**darts_kwargs)``, fit on the series."""

    family: ClassVar[str] = "deep_learning"
    library: ClassVar[str] = "darts"
    #: Class name in ``darts.models``.
    darts_class: ClassVar[str]
    #: Whether the darts model can forecast a series it was not fitted on (``series=``).
    global_model: ClassVar[bool] = True
    #: Hyperparameters consumed by the adapter instead of being passed to darts.
    adapter_keys: ClassVar[frozenset[str]] = frozenset({"standardize"})
    defaults: ClassVar[Mapping[str, Any]] = {"standardize": True}

    @property
    def min_train_points(self) -> int:
        hp = self.hyperparameters
        return max(hp.get("input_chunk_length", 1) + hp.get("output_chunk_length", 1), 2)

    @property
    def min_context_points(self) -> int:
        return self.hyperparameters.get("input_chunk_length", 1)

    def darts_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the darts constructor."""
        return {k: v for k, v in self.hyperparameters.items() if k not in self.adapter_keys}

    def fit_kwargs(self) -> dict[str, Any]:
        return {}

    def predict_kwargs(self) -> dict[str, Any]:
        return {}

    def _build(self) -> Any:
        import darts.models

        return getattr(darts.models, self.darts_class)(**self.darts_kwargs())

    def _fit(self, train: np.ndarray, dt: float) -> None:
        self._fitted_on = train
        with _quiet():
            self._model = self._build()
            self._model.fit(_series(train), **self.fit_kwargs())

    def _predict(self, horizon: int, context: np.ndarray) -> np.ndarray:
        # darts shortens the second-to-last chunk so the last one ends exactly at n, which makes
        # a forecast depend on its horizon; predicting whole chunks keeps plain recursion.
        chunk = self.hyperparameters.get("output_chunk_length", 1)
        n = -(-horizon // chunk) * chunk
        with _quiet():
            if self.global_model:
                window = context[-self.min_context_points :]
                pred = self._model.predict(n, series=_series(window), **self.predict_kwargs())
            elif np.array_equal(context, self._fitted_on):
                pred = self._model.predict(n, **self.predict_kwargs())
            else:
                model = self._build()
                model.fit(_series(context), **self.fit_kwargs())
                pred = model.predict(n, **self.predict_kwargs())
        values = np.asarray(pred.values(), dtype=float).reshape(n, context.shape[1])
        return values[:horizon]


class DartsTorchForecaster(DartsForecaster):
    """Adapter for darts' torch (PyTorch Lightning) models."""

    stochastic: ClassVar[bool] = True
    adapter_keys: ClassVar[frozenset[str]] = frozenset(
        {"standardize", "learning_rate", "accelerator"}
    )
    defaults: ClassVar[Mapping[str, Any]] = {
        "input_chunk_length": 50,
        "output_chunk_length": 10,
        "batch_size": 32,
        "n_epochs": 10,
        "learning_rate": 1e-3,
        "accelerator": "cpu",
        "standardize": True,
    }

    def _check_hyperparameters(self, hp: Mapping[str, Any]) -> None:
        for key in ("input_chunk_length", "output_chunk_length", "batch_size", "n_epochs"):
            if hp[key] < 1:
                raise ValueError(f"{type(self).__name__}: {key} must be >= 1, got {hp[key]}")
        if not hp["learning_rate"] > 0:
            raise ValueError(f"{type(self).__name__}: learning_rate must be > 0")

    def darts_kwargs(self) -> dict[str, Any]:
        root = os.path.join(tempfile.gettempdir(), "chaosbench-darts")
        return {
            **super().darts_kwargs(),
            "optimizer_kwargs": {"lr": self.hyperparameters["learning_rate"]},
            "random_state": self.seed,
            "model_name": f"chaosbench_{self.name}",
            "work_dir": root,
            "save_checkpoints": False,
            "log_tensorboard": False,
            "pl_trainer_kwargs": {
                "accelerator": self.hyperparameters["accelerator"],
                "logger": False,
                "enable_checkpointing": False,
                "enable_progress_bar": False,
                "enable_model_summary": False,
                "default_root_dir": root,
            },
        }

    def fit_kwargs(self) -> dict[str, Any]:
        return {"verbose": False}

    def predict_kwargs(self) -> dict[str, Any]:
        return {"verbose": False, "show_warnings": False}


class Transformer(DartsTorchForecaster):
    """darts ``TransformerModel`` (Vaswani et al. 2017 encoder-decoder on input chunks)."""

    name: ClassVar[str] = "transformer"
    darts_class: ClassVar[str] = "TransformerModel"
    defaults: ClassVar[Mapping[str, Any]] = {
        **DartsTorchForecaster.defaults,
        "input_chunk_length": 10,
        "output_chunk_length": 5,
        "n_epochs": 15,
        "learning_rate": 3e-3,
        "d_model": 32,
        "nhead": 4,
        "num_encoder_layers": 2,
        "num_decoder_layers": 2,
        "dim_feedforward": 64,
        "dropout": 0.0,
        "activation": "relu",
    }


class NBEATS(DartsTorchForecaster):
    """darts ``NBEATSModel`` (Oreshkin et al. 2020), generic architecture."""

    name: ClassVar[str] = "nbeats"
    darts_class: ClassVar[str] = "NBEATSModel"
    defaults: ClassVar[Mapping[str, Any]] = {
        **DartsTorchForecaster.defaults,
        "generic_architecture": True,
        "num_stacks": 10,
        "num_blocks": 1,
        "num_layers": 2,
        "layer_widths": 128,
        "expansion_coefficient_dim": 5,
        "trend_polynomial_degree": 2,
        "dropout": 0.0,
        "activation": "ReLU",
    }
