"""Fracast-0: a compact (85,001-parameter) convolutional forecasting model whose weights ship
inside its wheel (``pip install fracast``, Apache-2.0).

The model reuses one causal dilated-convolution block across a geometric ladder of time scales
and predicts 9 quantiles (0.1 ... 0.9) of the next 48 steps from up to 2,048 points of context,
min-max normalised per window; longer horizons feed the median back in blocks of 48
(fracast 0.1 model card). Channels are forecast independently.
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np

from chaosbench.forecasters.constraints import Constraint, Options

from . import DEFAULTS, PretrainedForecaster

__all__ = ["Fracast"]

#: ``weights`` value that selects the checkpoint bundled in the wheel.
BUNDLED = "bundled"
#: The library's own minimum of finite observations per series.
MIN_POINTS = 8


class Fracast(PretrainedForecaster):
    """Fracast-0 zero-shot; ``checkpoint`` picks the bundled ``w8`` (int8) or ``fp32`` weights."""

    name: ClassVar[str] = "fracast"
    library: ClassVar[str] = "fracast"
    model_key: ClassVar[str] = "fracast-0"
    requires: ClassVar[tuple[str, str]] = ("fracast", "fracast")
    defaults: ClassVar[Mapping[str, Any]] = {**DEFAULTS, "weights": BUNDLED, "checkpoint": "fp32"}
    constraints: ClassVar[Mapping[str, Constraint]] = {"checkpoint": Options("w8", "fp32")}

    @property
    def min_train_points(self) -> int:
        return MIN_POINTS

    @property
    def min_context_points(self) -> int:
        return MIN_POINTS

    def _resolve_weights(self) -> str:
        if self.hyperparameters["weights"] == BUNDLED:
            return BUNDLED
        return super()._resolve_weights()

    def _load(self, weights: str, device: str, dtype: str) -> Any:
        from fracast import FracastModel

        source = None if weights == BUNDLED else weights
        return FracastModel.from_pretrained(source, weights=self.hyperparameters["checkpoint"],
                                            device=device)

    def _max_context(self) -> int:
        return self._model.context_length

    def _block(self) -> int:
        return self._model.horizon

    def _forecast(self, window: np.ndarray, steps: int) -> np.ndarray:
        quantiles = self._model.forecast_batch(window.T.astype(np.float32), horizon=steps)
        median = self._model.quantiles.index(0.5)
        return quantiles[:, :, median].T  # (d, steps, q) -> (steps, d)
