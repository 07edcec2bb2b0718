"""Neural ODE: an MLP vector field dx/dt = f_theta(x) trained through torchdiffeq's solvers.

Training samples random short windows of the (standardised) series, integrates the MLP from each
window's first point over the window's time grid and minimises the mean squared error to the
observed window (backpropagation through the solver steps). The forecast integrates the learned
field from the last context point.

Time is measured in units of the series' own timescale tau = median_i std(x_i) / std(dx_i/dt)
(``normalize_time``), so the vector field is O(1) whatever the sampling interval.
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np
import torch
from torch import nn

from .base import Forecaster, nan_padded
from .constraints import TRAINING, Constraint, Interval, Options

__all__ = ["NeuralODE"]

_ACTIVATIONS = {"tanh": nn.Tanh, "softplus": nn.Softplus, "elu": nn.ELU, "gelu": nn.GELU}
_SOLVERS = ("rk4", "midpoint", "euler")  # fixed-step: a forecast always terminates


class _VectorField(nn.Module):
    def __init__(self, dim: int, width: int, depth: int, activation: str) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        last = dim
        for _ in range(depth):
            layers += [nn.Linear(last, width), _ACTIVATIONS[activation]()]
            last = width
        layers.append(nn.Linear(last, dim))
        self.net = nn.Sequential(*layers)

    def forward(self, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class NeuralODE(Forecaster):
    """MLP vector field (``depth`` hidden layers of ``width`` units) trained with Adam for
    ``iterations`` steps on batches of ``batch_size`` windows of ``window`` steps, learning rate
    cosine-annealed from ``learning_rate`` to ``learning_rate * final_lr_fraction``; integrated
    with the fixed-step torchdiffeq ``solver`` using ``substeps`` steps per sampling interval
    (fixed steps: a forecast always terminates, even on a field that blows up). A forecast that
    leaves the box ``escape_factor`` times wider than the training range, or stops being finite,
    is NaN from there on.
    """

    name: ClassVar[str] = "node"
    family: ClassVar[str] = "neural_ode"
    library: ClassVar[str] = "torchdiffeq"
    fit_imports: ClassVar[tuple[str, ...]] = ("torchdiffeq",)
    stochastic: ClassVar[bool] = True
    defaults: ClassVar[Mapping[str, Any]] = {
        "width": 64,
        "depth": 2,
        "activation": "tanh",
        "window": 10,
        "batch_size": 32,
        "iterations": 1000,
        "learning_rate": 1e-2,
        "final_lr_fraction": 0.05,
        "solver": "rk4",
        "substeps": 1,
        "normalize_time": True,
        "escape_factor": 10.0,
        "standardize": True,
    }
    constraints: ClassVar[Mapping[str, Constraint]] = {
        **TRAINING,
        **{key: Interval(1) for key in ("width", "depth", "window", "substeps")},
        "activation": Options(*sorted(_ACTIVATIONS)),
        "solver": Options(*_SOLVERS),
    }

    @property
    def min_train_points(self) -> int:
        return self.hyperparameters["window"] + 1

    def _integrate(self, x0: torch.Tensor, n_steps: int) -> torch.Tensor:
        """States at 0, h, ..., n_steps*h from x0 (B, d): a tensor (n_steps + 1, B, d)."""
        from torchdiffeq import odeint

        hp = self.hyperparameters
        t = torch.arange(n_steps + 1, dtype=torch.float32) * self._h
        if hp["substeps"] == 1:  # the output grid is the solver grid
            return odeint(self._field, x0, t, method=hp["solver"])
        step = self._h / hp["substeps"]
        return odeint(self._field, x0, t, method=hp["solver"], options={"step_size": step})

    def _fit(self, train: np.ndarray, dt: float) -> None:
        hp = self.hyperparameters
        n, d = train.shape
        if hp["normalize_time"]:
            with np.errstate(divide="ignore", invalid="ignore"):
                rate = np.diff(train, axis=0).std(axis=0) / dt
                tau = np.nanmedian(np.where(rate > 0, train.std(axis=0) / rate, np.nan))
            self._h = float(dt / tau) if np.isfinite(tau) and tau > 0 else float(dt)
        else:
            self._h = float(dt)
        lo, hi = train.min(axis=0), train.max(axis=0)
        half = np.maximum(hi - lo, 1e-12) * hp["escape_factor"] / 2
        self._box = ((hi + lo) / 2 - half, (hi + lo) / 2 + half)

        rng = np.random.default_rng(self.seed)
        window = hp["window"]
        data = torch.as_tensor(train, dtype=torch.float32)
        offsets = np.arange(window + 1)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self._field = _VectorField(d, hp["width"], hp["depth"], hp["activation"]).float()
            optimizer = torch.optim.Adam(self._field.parameters(), lr=hp["learning_rate"])
            schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
                optimizer,
                T_max=max(hp["iterations"], 1),
                eta_min=hp["learning_rate"] * hp["final_lr_fraction"],
            )
            for _ in range(hp["iterations"]):
                starts = rng.integers(0, n - window, size=hp["batch_size"])
                target = data[starts[:, None] + offsets]  # (B, window+1, d)
                pred = self._integrate(target[:, 0], window).transpose(0, 1)
                loss = torch.mean((pred[:, 1:] - target[:, 1:]) ** 2)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
        self._field.eval()

    def _predict(self, horizon: int, context: np.ndarray) -> np.ndarray:
        x0 = torch.as_tensor(context[-1:], dtype=torch.float32)
        with torch.no_grad():
            path = self._integrate(x0, horizon)[1:, 0].numpy()
        lo, hi = self._box
        with np.errstate(invalid="ignore"):
            outside = np.any((path < lo) | (path > hi), axis=1)
        path = path.copy()
        path[outside] = np.nan
        return nan_padded(path, horizon, context.shape[1])
