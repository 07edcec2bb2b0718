r"""One-step-ahead sequence networks forecasting in closed loop (shared by ``ltc``, ``cfc`` and
``mamba``).

A network maps a sequence of input vectors u_1..u_L to outputs o_1..o_L, each o_t depending on
u_1..u_t only (causal). The input at step t is the delay vector
u_t = (x_t, x_{t-s}, ..., x_{t-(k-1)s}) of the (standardised) series (``delays`` k, ``stride``
s; k = 1 is the plain state) and the output predicts the increment, x_{t+1} = x_t + o_t.

Training: Adam on batches of ``batch_size`` random windows of ``sequence_length`` steps from a
zero initial state, the loss the mean squared increment error over every step of the window,
learning rate cosine-annealed from ``learning_rate`` to ``learning_rate * final_lr_fraction``,
gradient norm clipped at 1.

Forecast: the network reads the last ``sequence_length`` context inputs, then its prediction is
appended and fed back. A recurrent network (``stateful``) carries its hidden state from step to
step; a window network (Mamba) re-reads the last ``sequence_length`` inputs at every step, so it
always sees windows as long as in training. A forecast that leaves the box ``escape_factor`` times
wider than the training range, or stops being finite, is NaN from there on.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar, Mapping

import numpy as np
import torch
from torch import nn

from .base import Forecaster, nan_padded
from .constraints import TRAINING, Constraint, Interval

__all__ = ["SequenceForecaster"]

#: Hyperparameters every sequence forecaster has (concrete classes add their network's).
COMMON_DEFAULTS: dict[str, Any] = {
    "delays": 1,
    "stride": 1,
    "sequence_length": 32,
    "batch_size": 32,
    "iterations": 500,
    "learning_rate": 1e-2,
    "final_lr_fraction": 0.05,
    "escape_factor": 10.0,
    "standardize": True,
}


class SequenceForecaster(Forecaster):
    """Closed-loop forecaster around a causal sequence network; see the module docstring."""

    family: ClassVar[str] = "deep_learning"
    stochastic: ClassVar[bool] = True
    #: True: carry the hidden state in closed loop; False: re-read a sliding window each step.
    stateful: ClassVar[bool] = True
    constraints: ClassVar[Mapping[str, Constraint]] = {
        **TRAINING, "delays": Interval(1), "stride": Interval(1), "sequence_length": Interval(1)}

    @abc.abstractmethod
    def _network(self, n_inputs: int, n_outputs: int) -> nn.Module:
        """A causal network (B, L, n_inputs) -> (B, L, n_outputs), built from torch's RNG."""

    def _run(self, net: nn.Module, inputs: torch.Tensor, state: Any = None) -> tuple:
        """(outputs (B, L, d), state after the last step); stateless networks return None."""
        return net(inputs), None

    @property
    def _span(self) -> int:
        return (self.hyperparameters["delays"] - 1) * self.hyperparameters["stride"]

    @property
    def min_train_points(self) -> int:
        return self._span + self.hyperparameters["sequence_length"] + 2

    @property
    def min_context_points(self) -> int:
        return self._span + 1

    def _delay_inputs(self, x: np.ndarray) -> np.ndarray:
        """Delay vectors of every row of x with a full history: (len(x) - span, k d)."""
        k, s, span = self.hyperparameters["delays"], self.hyperparameters["stride"], self._span
        return np.hstack([x[span - j * s : len(x) - j * s] for j in range(k)])

    def _fit(self, train: np.ndarray, dt: float) -> None:
        hp = self.hyperparameters
        lo, hi = train.min(axis=0), train.max(axis=0)
        half = np.maximum(hi - lo, 1e-12) * hp["escape_factor"] / 2
        self._box = ((hi + lo) / 2 - half, (hi + lo) / 2 + half)
        inputs = torch.as_tensor(self._delay_inputs(train[:-1]), dtype=torch.float32)
        targets = torch.as_tensor(np.diff(train, axis=0)[self._span :], dtype=torch.float32)
        rng = np.random.default_rng(self.seed)
        length = hp["sequence_length"]
        offsets = np.arange(length)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self._net = self._network(inputs.shape[1], train.shape[1]).float()
            optimizer = torch.optim.Adam(self._net.parameters(), lr=hp["learning_rate"])
            schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
                optimizer, T_max=max(hp["iterations"], 1),
                eta_min=hp["learning_rate"] * hp["final_lr_fraction"])
            for _ in range(hp["iterations"]):
                idx = rng.integers(0, len(inputs) - length + 1, size=hp["batch_size"])[:, None]
                out, _ = self._run(self._net, inputs[idx + offsets])
                loss = torch.mean((out - targets[idx + offsets]) ** 2)
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(self._net.parameters(), 1.0)
                optimizer.step()
                schedule.step()
        self._net.eval()
        self._d = train.shape[1]

    def _predict(self, horizon: int, context: np.ndarray) -> np.ndarray:
        hp = self.hyperparameters
        d, length = self._d, hp["sequence_length"]
        history = context[-(self._span + length) :]
        series = np.vstack([history, np.empty((horizon, d))])
        n0 = len(history)
        lo, hi = self._box
        with torch.no_grad():
            window = torch.as_tensor(self._delay_inputs(history)[None], dtype=torch.float32)
            out, state = self._run(self._net, window)
            for j in range(horizon):
                t = n0 + j
                series[t] = series[t - 1] + out[0, -1].double().numpy()
                if not (np.all(np.isfinite(series[t])) and np.all((series[t] >= lo)
                                                                  & (series[t] <= hi))):
                    series[t:] = np.nan
                    break
                if self.stateful:
                    u = self._delay_inputs(series[t - self._span : t + 1])
                    out, state = self._run(self._net, torch.as_tensor(u[None], dtype=torch.float32),
                                           state)
                else:
                    u = self._delay_inputs(series[max(0, t + 1 - self._span - length) : t + 1])
                    out, _ = self._run(self._net, torch.as_tensor(u[None], dtype=torch.float32))
        return nan_padded(series[n0:], horizon, d)
