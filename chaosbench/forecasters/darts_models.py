"""darts models behind the forecaster interface: a generic adapter and darts' deep-learning models.

Deep-learning models here: Transformer, N-BEATS, N-HiTS, TCN, LSTM and GRU (``RNNModel``),
block RNN, NLinear, DLinear, TiDE and TSMixer. darts' statistical and baseline models are in
``darts_statistical``, its regression and tree models in ``darts_regression``.

Adding a darts model is one small class and one YAML file::

    class NHiTS(DartsTorchForecaster):
        name = "nhits"
        darts_class = "NHiTSModel"
        defaults = {**DartsTorchForecaster.defaults, "num_stacks": 3, ...}

Every hyperparameter that is not one of the adapter's own (``adapter_keys``) is passed unchanged
to the darts model's constructor, so ``defaults`` (and overrides) use darts' argument names; the
YAML file names the class. ``DartsForecaster`` works for any darts model;
``DartsTorchForecaster`` adds what darts' torch models need: the seed as ``random_state``,
``learning_rate`` as ``optimizer_kwargs={"lr": ...}``, and a quiet
PyTorch Lightning trainer (no logger, no checkpoints, no progress bar or model summary, on
``accelerator``) rooted in a temporary directory, so nothing is written to the working directory.

Series are handed to darts as ``TimeSeries`` with an integer index, in float64 for the models that
are not torch models, and for torch models in the precision ``precision`` names (32 by default;
darts trains a torch model in its series' precision, so ``precision: 64`` trains as darts did on
the float64 series of the published benchmark). Global darts models (torch, regression and tree
models) forecast from a new window with ``predict(n, series=context[-window:])``; local models
that darts can apply to a new series (``transferable = True``: ARIMA, AutoARIMA, Kalman) get the
whole context with the parameters fitted on the training series; other local models
(``global_model = False``) are refitted on the context when it differs from the training series.
String hyperparameters that darts takes as enums (``season_mode: additive``) are converted by
``enum_keys``.
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

from .base import Forecaster, preserve_global_rng
from .constraints import Constraint, Interval, Options

__all__ = [
    "DartsForecaster",
    "DartsTorchForecaster",
    "Transformer",
    "NBEATS",
    "NHiTS",
    "TCN",
    "LSTM",
    "GRU",
    "BlockRNN",
    "NLinear",
    "DLinear",
    "TiDE",
    "TSMixer",
]


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


def _series(values: np.ndarray, dtype: type = np.float32) -> Any:
    from darts import TimeSeries

    return TimeSeries.from_values(np.ascontiguousarray(values, dtype=dtype))


def _enum(enum_name: str, value: str) -> Any:
    """``"additive"`` -> ``darts.utils.utils.<enum_name>.ADDITIVE`` (``"none"`` -> ``NONE``)."""
    import darts.utils.utils

    return getattr(darts.utils.utils, enum_name)[value.upper()]


class DartsForecaster(Forecaster):
    """Generic adapter: ``darts.models.<darts_class>(**darts_kwargs)``, fit on the series."""

    family: ClassVar[str] = "deep_learning"
    library: ClassVar[str] = "darts"
    #: Class name in ``darts.models``.
    darts_class: ClassVar[str]
    #: Whether the darts model can forecast a series it was not fitted on (``series=``) from a
    #: window of ``min_context_points`` rows.
    global_model: ClassVar[bool] = True
    #: For a local model (``global_model = False``): darts applies the fitted parameters to a new
    #: series (``predict(n, series=context)``, whole context) instead of refitting on it.
    transferable: ClassVar[bool] = False
    #: Hyperparameters consumed by the adapter instead of being passed to darts.
    adapter_keys: ClassVar[frozenset[str]] = frozenset({"standardize"})
    #: Hyperparameters given as strings and passed to darts as ``darts.utils.utils`` enums:
    #: ``{"season_mode": "SeasonalityMode"}`` (their ``constraints`` list the valid strings).
    enum_keys: ClassVar[Mapping[str, str]] = {}
    #: Precision of the series handed to darts (torch models train in float32).
    dtype: ClassVar[type] = np.float64
    defaults: ClassVar[Mapping[str, Any]] = {"standardize": True}
    #: darts and Lightning (imported by every fit, :func:`_quiet`): about 4 s the first time.
    fit_imports: ClassVar[tuple[str, ...]] = ("darts.models", "pytorch_lightning")

    @classmethod
    def preload(cls) -> None:
        super().preload()
        import darts.models

        getattr(darts.models, cls.darts_class)  # darts imports a model's module on first use

    @property
    def min_train_points(self) -> int:
        hp = self.hyperparameters
        if "input_chunk_length" in hp:
            return max(hp["input_chunk_length"] + hp.get("output_chunk_length", 1), 2)
        # Local and regression models: what darts asks for (cheap to build: no torch module).
        return max(int(self._build().min_train_series_length), 2)

    @property
    def min_context_points(self) -> int:
        hp = self.hyperparameters
        if self.global_model:
            return hp.get("input_chunk_length", 1)
        if self.transferable:
            return 1
        return self.min_train_points  # the model is refitted on the context

    def darts_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the darts constructor."""
        kwargs = {k: v for k, v in self.hyperparameters.items() if k not in self.adapter_keys}
        for key, enum_name in self.enum_keys.items():
            kwargs[key] = _enum(enum_name, kwargs[key])
        return kwargs

    def fit_kwargs(self) -> dict[str, Any]:
        return {}

    def predict_kwargs(self) -> dict[str, Any]:
        return {}

    def _build(self) -> Any:
        import darts.models

        # darts' constructors draw or set a seed on the global numpy generator: isolate them
        # (min_train_points builds a model outside fit's own isolation).
        with _quiet(), preserve_global_rng():
            return getattr(darts.models, self.darts_class)(**self.darts_kwargs())

    def _fit(self, train: np.ndarray, dt: float) -> None:
        self._fitted_on = train
        with _quiet():
            self._model = self._build()
            self._model.fit(_series(train, self.dtype), **self.fit_kwargs())

    def _predict(self, horizon: int, context: np.ndarray) -> np.ndarray:
        # darts shortens the second-to-last chunk so the last one ends exactly at n, which makes
        # a forecast depend on its horizon; predicting whole chunks keeps plain recursion.
        chunk = self.hyperparameters.get("output_chunk_length", 1)
        n = -(-horizon // chunk) * chunk
        with _quiet():
            if self.global_model:
                window = context[-self.min_context_points :]
                series = _series(window, self.dtype)
                pred = self._model.predict(n, series=series, **self.predict_kwargs())
            elif np.array_equal(context, self._fitted_on):
                pred = self._model.predict(n, **self.predict_kwargs())
            elif self.transferable:
                series = _series(context, self.dtype)
                pred = self._model.predict(n, series=series, **self.predict_kwargs())
            else:
                model = self._build()
                model.fit(_series(context, self.dtype), **self.fit_kwargs())
                pred = model.predict(n, **self.predict_kwargs())
        values = np.asarray(pred.values(), dtype=float).reshape(n, context.shape[1])
        return values[:horizon]


class DartsTorchForecaster(DartsForecaster):
    """Adapter for darts' torch (PyTorch Lightning) models."""

    stochastic: ClassVar[bool] = True
    adapter_keys: ClassVar[frozenset[str]] = frozenset(
        {"standardize", "learning_rate", "accelerator", "precision"}
    )
    defaults: ClassVar[Mapping[str, Any]] = {
        "input_chunk_length": 50,
        "output_chunk_length": 10,
        "batch_size": 32,
        "n_epochs": 10,
        "learning_rate": 1e-3,
        "accelerator": "cpu",
        "precision": 32,
        "standardize": True,
    }
    constraints: ClassVar[Mapping[str, Constraint]] = {
        **{key: Interval(1) for key in ("input_chunk_length", "output_chunk_length", "batch_size",
                                        "n_epochs")},
        "learning_rate": Interval(0, closed="neither"),
        "precision": Options(32, 64),
    }

    @property
    def dtype(self) -> type:  # type: ignore[override]
        """The series' precision, which darts trains the torch model in."""
        return np.float64 if self.hyperparameters["precision"] == 64 else np.float32

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


#: Shared training settings of the CPU-sized defaults; the published budgets are in
#: ``conf/forecaster/paper/``.
_TRAIN = DartsTorchForecaster.defaults


class Transformer(DartsTorchForecaster):
    """darts ``TransformerModel`` (Vaswani et al. 2017 encoder-decoder on input chunks)."""

    name: ClassVar[str] = "transformer"
    darts_class: ClassVar[str] = "TransformerModel"
    defaults: ClassVar[Mapping[str, Any]] = {
        **_TRAIN,
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
        **_TRAIN,
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


class NHiTS(DartsTorchForecaster):
    """darts ``NHiTSModel`` (Challu et al. 2023): N-BEATS with multi-rate pooling and
    hierarchical interpolation."""

    name: ClassVar[str] = "nhits"
    darts_class: ClassVar[str] = "NHiTSModel"
    defaults: ClassVar[Mapping[str, Any]] = {
        **_TRAIN,
        "num_stacks": 3,
        "num_blocks": 1,
        "num_layers": 2,
        "layer_widths": 128,
        "dropout": 0.0,
        "activation": "ReLU",
        "MaxPool1d": True,
    }


class TCN(DartsTorchForecaster):
    """darts ``TCNModel`` (Bai et al. 2018): dilated causal convolutions."""

    name: ClassVar[str] = "tcn"
    darts_class: ClassVar[str] = "TCNModel"
    defaults: ClassVar[Mapping[str, Any]] = {
        **_TRAIN,
        "kernel_size": 3,
        "num_filters": 16,
        "dilation_base": 2,
        "weight_norm": False,
        "dropout": 0.0,
    }

    def _check_hyperparameters(self, hp: Mapping[str, Any]) -> None:
        if hp["kernel_size"] >= hp["input_chunk_length"]:
            raise ValueError("TCN: kernel_size must be < input_chunk_length")
        if hp["output_chunk_length"] >= hp["input_chunk_length"]:
            raise ValueError("TCN: output_chunk_length must be < input_chunk_length")


class LSTM(DartsTorchForecaster):
    """darts ``RNNModel`` with ``model="LSTM"`` (Hochreiter & Schmidhuber 1997): trained on
    windows of ``training_length`` steps, forecasts one step at a time from the last
    ``input_chunk_length`` values.

    ``cap_input_chunk``: darts before 0.29 trained RNNModel on ``training_length`` windows
    whatever the ``input_chunk_length``, which only set how many past values warm the state up
    at inference; darts 0.29 (commit 95f121e, April 2024) refuses an ``input_chunk_length``
    above ``training_length``. With ``cap_input_chunk`` such a chunk is lowered to
    ``training_length`` when the darts model is built, keeping the published training windows
    (darts' default 24 with chunks tuned up to 100); without it, the pair is refused."""

    name: ClassVar[str] = "lstm"
    darts_class: ClassVar[str] = "RNNModel"
    adapter_keys: ClassVar[frozenset[str]] = DartsTorchForecaster.adapter_keys | {
        "cap_input_chunk"}
    #: RNNModel predicts one step at a time: it has no output_chunk_length.
    defaults: ClassVar[Mapping[str, Any]] = {
        **{k: v for k, v in _TRAIN.items() if k != "output_chunk_length"},
        "input_chunk_length": 25,
        "training_length": 50,
        "model": "LSTM",
        "hidden_dim": 25,
        "n_rnn_layers": 2,
        "dropout": 0.0,
        "n_epochs": 20,
        "learning_rate": 3e-3,
        "cap_input_chunk": False,
    }
    constraints: ClassVar[Mapping[str, Constraint]] = {
        "training_length": Interval(1), "model": Options("RNN", "LSTM", "GRU")}

    def _check_hyperparameters(self, hp: Mapping[str, Any]) -> None:
        if hp["training_length"] < hp["input_chunk_length"] and not hp["cap_input_chunk"]:
            raise ValueError(f"{type(self).__name__}: training_length must be >= "
                             "input_chunk_length (or set cap_input_chunk=true to lower the "
                             "chunk to training_length, as darts before 0.29 trained)")

    def darts_kwargs(self) -> dict[str, Any]:
        kwargs = super().darts_kwargs()
        kwargs["input_chunk_length"] = min(kwargs["input_chunk_length"],
                                           kwargs["training_length"])
        return kwargs

    @property
    def min_train_points(self) -> int:
        return self.hyperparameters["training_length"] + 1


class GRU(LSTM):
    """darts ``RNNModel`` with ``model="GRU"`` (Cho et al. 2014); otherwise as ``lstm``."""

    name: ClassVar[str] = "gru"
    defaults: ClassVar[Mapping[str, Any]] = {**LSTM.defaults, "model": "GRU"}


class BlockRNN(DartsTorchForecaster):
    """darts ``BlockRNNModel``: an RNN encoder over the input chunk and a fully connected head
    that emits a whole output chunk (vanilla ``RNN`` cell, darts' default, as published)."""

    name: ClassVar[str] = "blockrnn"
    darts_class: ClassVar[str] = "BlockRNNModel"
    defaults: ClassVar[Mapping[str, Any]] = {
        **_TRAIN,
        "input_chunk_length": 25,
        "model": "RNN",
        "hidden_dim": 25,
        "n_rnn_layers": 1,
        "dropout": 0.0,
        "activation": "ReLU",
        "n_epochs": 20,
    }


class NLinear(DartsTorchForecaster):
    """darts ``NLinearModel`` (Zeng et al. 2023): one linear layer on the input chunk minus its
    last value."""

    name: ClassVar[str] = "nlinear"
    darts_class: ClassVar[str] = "NLinearModel"
    defaults: ClassVar[Mapping[str, Any]] = {
        **_TRAIN,
        "shared_weights": False,
        "const_init": True,
        "normalize": True,
        "n_epochs": 50,
        "learning_rate": 3e-3,
    }


class DLinear(DartsTorchForecaster):
    """darts ``DLinearModel`` (Zeng et al. 2023): linear layers on a moving-average trend and
    the remainder."""

    name: ClassVar[str] = "dlinear"
    darts_class: ClassVar[str] = "DLinearModel"
    defaults: ClassVar[Mapping[str, Any]] = {
        **_TRAIN,
        "shared_weights": False,
        "kernel_size": 25,
        "const_init": True,
        "n_epochs": 50,
        "learning_rate": 3e-3,
    }


class TiDE(DartsTorchForecaster):
    """darts ``TiDEModel`` (Das et al. 2023): MLP encoder-decoder with a temporal decoder."""

    name: ClassVar[str] = "tide"
    darts_class: ClassVar[str] = "TiDEModel"
    defaults: ClassVar[Mapping[str, Any]] = {
        **_TRAIN,
        "num_encoder_layers": 1,
        "num_decoder_layers": 1,
        "decoder_output_dim": 16,
        "hidden_size": 128,
        "temporal_decoder_hidden": 32,
        "use_layer_norm": False,
        "dropout": 0.0,
        "n_epochs": 20,
    }


class TSMixer(DartsTorchForecaster):
    """darts ``TSMixerModel`` (Chen et al. 2023): MLPs mixing along time and along features."""

    name: ClassVar[str] = "tsmixer"
    darts_class: ClassVar[str] = "TSMixerModel"
    defaults: ClassVar[Mapping[str, Any]] = {
        **_TRAIN,
        "hidden_size": 64,
        "ff_size": 64,
        "num_blocks": 2,
        "activation": "ReLU",
        "dropout": 0.0,
        "norm_type": "LayerNorm",
        "normalize_before": False,
        "n_epochs": 20,
    }
