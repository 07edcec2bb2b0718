"""TimesFM 3 (``pip install timesfm``, code Apache-2.0; the 3.0 weights are under Google's
non-commercial licence), zero-shot.

A decoder-only transformer over patches of the series (Das et al., "A decoder-only foundation
model for time-series forecasting", ICML 2024); version 3 adds attention across variates, so the
coordinates of a system can be forecast jointly (``channels=multivariate``). Context up to 15,360
points; the model predicts output patches of quantiles and the point forecast is the median.
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np

from . import DEFAULTS, PretrainedForecaster

__all__ = ["TimesFM"]


class TimesFM(PretrainedForecaster):
    """TimesFM 3 through ``timesfm3.TimesFM3Forecaster``: the median forecast."""

    name: ClassVar[str] = "timesfm"
    library: ClassVar[str] = "timesfm"
    model_key: ClassVar[str] = "timesfm"
    joint_channels: ClassVar[bool] = True
    requires: ClassVar[tuple[str, str]] = ("timesfm3", "timesfm")
    defaults: ClassVar[Mapping[str, Any]] = {**DEFAULTS, "weights": "google/timesfm-3.0-pytorch"}

    def _load(self, weights: str, device: str, dtype: str) -> Any:
        from timesfm3.torch import TimesFM3Forecaster

        return TimesFM3Forecaster.from_pretrained(weights, device=device)

    def _max_context(self) -> int:
        return int(self._model.global_context)

    def _block(self) -> int:
        return int(self._model.config.output_patch_length)

    def _forecast(self, window: np.ndarray, steps: int) -> np.ndarray:
        series = window.T.astype(np.float32)  # (d, T)
        if self.hyperparameters["channels"] == "multivariate":
            (out,) = self._model.predict_batch([series], horizon=steps)
            return out.forecast.T  # (d, steps) -> (steps, d)
        outs = self._model.predict_batch(list(series), horizon=steps)
        return np.stack([out.forecast for out in outs], axis=1)
