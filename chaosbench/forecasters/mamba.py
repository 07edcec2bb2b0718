r"""A Mamba forecaster on CPU (``mambapy``, pure torch) reading delay-embedded states.

Mamba (Gu & Dao 2023, "Mamba: Linear-Time Sequence Modeling with Selective State Spaces") stacks
``n_layers`` blocks, each a gated, input-dependent (selective) diagonal state-space recurrence
h_t = exp(Delta_t A) h_{t-1} + Delta_t B_t u_t, y_t = C_t h_t (state size ``d_state``, inner
width ``expand_factor`` x ``d_model``, causal convolution of width ``d_conv``), as in the
PhyxMamba line of work on chaotic forecasting (delay-embedded tokens, one-step-ahead targets).
A linear embedding maps each delay vector (``delays``, ``stride``) to ``d_model``, a linear head
maps the last block's output to the next increment. Training and the sliding-window closed loop
as in :mod:`.sequence` (the window is re-read every step, so forecasts see windows as long as
the training ones).
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

import torch
from torch import nn

from .constraints import Constraint, Interval
from .sequence import COMMON_DEFAULTS, SequenceForecaster

__all__ = ["MambaForecaster"]


class _MambaNet(nn.Module):
    def __init__(self, n_inputs: int, n_outputs: int, hp: Mapping[str, Any]) -> None:
        from mambapy.mamba import Mamba, MambaConfig

        super().__init__()
        config = MambaConfig(d_model=hp["d_model"], n_layers=hp["n_layers"],
                             d_state=hp["d_state"], expand_factor=hp["expand_factor"],
                             d_conv=hp["d_conv"])
        self.embed = nn.Linear(n_inputs, hp["d_model"])
        self.mamba = Mamba(config)
        self.head = nn.Linear(hp["d_model"], n_outputs)
        # Zero increments before training: an untrained network forecasts persistence.
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return self.head(self.mamba(self.embed(u)))


class MambaForecaster(SequenceForecaster):
    """Mamba on delay-embedded states (mambapy); see the module docstring."""

    name: ClassVar[str] = "mamba"
    library: ClassVar[str] = "mambapy"
    fit_imports: ClassVar[tuple[str, ...]] = ("mambapy.mamba",)
    stateful: ClassVar[bool] = False
    defaults: ClassVar[Mapping[str, Any]] = {
        "d_model": 16,
        "n_layers": 2,
        "d_state": 16,
        "expand_factor": 2,
        "d_conv": 4,
        **COMMON_DEFAULTS,
        "delays": 3,
        "stride": 5,
        "batch_size": 16,
        "iterations": 200,
    }
    constraints: ClassVar[Mapping[str, Constraint]] = {
        key: Interval(1) for key in ("d_model", "n_layers", "d_state", "expand_factor", "d_conv")}

    def _network(self, n_inputs: int, n_outputs: int) -> nn.Module:
        return _MambaNet(n_inputs, n_outputs, self.hyperparameters)
