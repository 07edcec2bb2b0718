"""Chronos models (``pip install chronos-forecasting``, Apache-2.0), zero-shot.

Three generations, loaded by the library's own ``BaseChronosPipeline.from_pretrained``, which
picks the pipeline from the checkpoint's config:

* Chronos (T5): a series is mean-scaled and quantised into 4,094 bins, a T5 language model
  samples token paths autoregressively (Ansari et al., "Chronos: Learning the language of time
  series", TMLR 2024). Context up to 512, native horizon 64; the point forecast is the median of
  ``num_samples`` sample paths drawn from the job's seed. This is the model of the zero-shot
  chaos study (Zhang & Gilpin, "Zero-shot forecasting of chaotic systems", ICLR 2025).
* Chronos-Bolt: patches of the series go through a T5 encoder-decoder that outputs 9 quantiles
  directly (direct multi-step, deterministic; context up to 2,048, native horizon 64).
* Chronos-2: an encoder-only model with group attention across the variates of one series, so
  coordinates can be forecast jointly (``channels=multivariate``; Ansari et al., "Chronos-2:
  From univariate to universal forecasting", arXiv:2510.15821, 2025).
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any, ClassVar, Iterator, Mapping

import numpy as np

from chaosbench.forecasters.constraints import Constraint, Interval, Options

from . import DEFAULTS, PretrainedForecaster, WrongWeights, torch_dtype

__all__ = ["ChronosT5", "ChronosBolt", "Chronos2"]


@contextlib.contextmanager
def _quiet_long_horizon() -> Iterator[None]:
    """Silence the library's advice to keep the horizon within one native block: chaosbench
    asks for long horizons on purpose and records them."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="We recommend keeping prediction length")
        yield


#: The forecaster that runs each chronos pipeline.
_FORECASTER = {"ChronosPipeline": "chronos", "ChronosBoltPipeline": "chronos_bolt",
               "Chronos2Pipeline": "chronos2"}


def _series(window: np.ndarray) -> Any:
    """A (T, d) window as the (d, T) float32 tensor of d univariate series the pipelines take."""
    import torch

    return torch.as_tensor(np.ascontiguousarray(window.T), dtype=torch.float32)


class _Chronos(PretrainedForecaster):
    """Shared loading: the library picks the pipeline; this adapter checks it is the right one."""

    library: ClassVar[str] = "chronos-forecasting"
    requires: ClassVar[tuple[str, str]] = ("chronos", "chronos-forecasting")
    constraints: ClassVar[Mapping[str, Constraint]] = {"dtype": Options("float32", "bfloat16")}
    #: Name of the chronos pipeline class the weights must load as.
    pipeline: ClassVar[str]

    def _load(self, weights: str, device: str, dtype: str) -> Any:
        import chronos

        pipe = chronos.BaseChronosPipeline.from_pretrained(weights, device_map=device,
                                                           dtype=torch_dtype(dtype))
        found = type(pipe).__name__
        if found != self.pipeline:
            hint = f" (use forecaster={_FORECASTER[found]})" if found in _FORECASTER else ""
            raise WrongWeights(f"{weights} holds {found} weights, not {self.pipeline}{hint}")
        return pipe

    def _max_context(self) -> int:
        return int(self._model.model_context_length)

    def _block(self) -> int:
        return int(self._model.model_prediction_length)


class ChronosT5(_Chronos):
    """Chronos (T5): median of ``num_samples`` sampled paths, seeded by the job's seed."""

    name: ClassVar[str] = "chronos"
    model_key: ClassVar[str] = "chronos"
    stochastic: ClassVar[bool] = True
    pipeline: ClassVar[str] = "ChronosPipeline"
    defaults: ClassVar[Mapping[str, Any]] = {**DEFAULTS, "weights": "amazon/chronos-t5-small",
                                             "num_samples": 20}
    constraints: ClassVar[Mapping[str, Constraint]] = {"num_samples": Interval(1)}

    def _forecast(self, window: np.ndarray, steps: int) -> np.ndarray:
        import torch

        series = _series(window)
        device = torch.device(self._device_name)
        devices = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices), _quiet_long_horizon():
            torch.manual_seed(self.seed)
            samples = self._model.predict(series, prediction_length=steps,
                                          num_samples=self.hyperparameters["num_samples"])
        return samples.median(dim=1).values.numpy().T  # (d, samples, steps) -> (steps, d)


class ChronosBolt(_Chronos):
    """Chronos-Bolt: the 0.5 quantile of its direct quantile forecast."""

    name: ClassVar[str] = "chronos_bolt"
    model_key: ClassVar[str] = "chronos-bolt"
    pipeline: ClassVar[str] = "ChronosBoltPipeline"
    defaults: ClassVar[Mapping[str, Any]] = {**DEFAULTS, "weights": "amazon/chronos-bolt-small"}

    def _forecast(self, window: np.ndarray, steps: int) -> np.ndarray:
        with _quiet_long_horizon():
            quantiles = self._model.predict(_series(window), prediction_length=steps)
        median = self._model.quantiles.index(0.5)
        return quantiles[:, median, :].numpy().T  # (d, q, steps) -> (steps, d)


class Chronos2(_Chronos):
    """Chronos-2: the 0.5 quantile; ``channels=multivariate`` forecasts coordinates jointly."""

    name: ClassVar[str] = "chronos2"
    model_key: ClassVar[str] = "chronos-2"
    joint_channels: ClassVar[bool] = True
    pipeline: ClassVar[str] = "Chronos2Pipeline"
    defaults: ClassVar[Mapping[str, Any]] = {**DEFAULTS, "weights": "amazon/chronos-2"}

    def _forecast(self, window: np.ndarray, steps: int) -> np.ndarray:
        series = window.T.astype(np.float32)  # (d, T)
        # One task of d variates (joint), or d tasks of one variate each (independent).
        joint = self.hyperparameters["channels"] == "multivariate"
        tasks = series[None] if joint else series[:, None]
        with _quiet_long_horizon():
            out = self._model.predict(tasks, prediction_length=steps,
                                      context_length=len(window))
        median = self._model.quantiles.index(0.5)
        return np.concatenate([task[:, median, :].numpy() for task in out]).T
