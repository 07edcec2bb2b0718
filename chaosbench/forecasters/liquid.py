r"""Liquid time-constant (LTC) and closed-form continuous-time (CfC) networks on ``ncps``.

* ``ltc`` -- Hasani, Lechner, Amini, Rus & Grosu 2021, "Liquid Time-constant Networks", AAAI:
  hidden state dx/dt = -[1/tau + f(x, u)] x + f(x, u) A, with an input-dependent time constant,
  integrated by ``ode_unfolds`` semi-implicit Euler steps per sample (ncps ``LTC``, fully
  connected wiring of ``units`` neurons).
* ``cfc`` -- Hasani et al. 2022, "Closed-form continuous-time neural networks", Nature Machine
  Intelligence 4, 992: the closed-form approximation of the LTC solution,
  x(t) = sigma(-f t) g + (1 - sigma(-f t)) h, with a ``backbone_layers`` x ``backbone_units``
  MLP backbone (ncps ``CfC``, mode ``default``).

Both read the (delay-embedded) state, a linear head maps the ``units`` hidden neurons to the next
increment; training and closed-loop forecasting as described in :mod:`.sequence`. Each step
is one unit of elapsed time (ncps' default timespans).
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

import torch
from torch import nn

from .constraints import Constraint, Interval
from .sequence import COMMON_DEFAULTS, SequenceForecaster

__all__ = ["LTC", "CfC"]


class _Readout(nn.Module):
    """An ncps network followed by a linear map of its hidden units to the outputs."""

    def __init__(self, rnn: nn.Module, units: int, n_outputs: int) -> None:
        super().__init__()
        self.rnn = rnn
        self.head = nn.Linear(units, n_outputs)
        # Zero increments before training: an untrained network forecasts persistence.
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, u: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        hidden, state = self.rnn(u, state)
        return self.head(hidden), state


class _NcpsForecaster(SequenceForecaster):
    """``ncps.torch.<ncps_class>(n_inputs, units, batch_first=True, **keyword arguments)`` read
    out by a linear head: the keyword arguments are the hyperparameters in ``ncps_keys`` and
    the fixed ``ncps_settings``."""

    library: ClassVar[str] = "ncps"
    fit_imports: ClassVar[tuple[str, ...]] = ("ncps.torch",)
    constraints: ClassVar[Mapping[str, Constraint]] = {"units": Interval(1)}
    #: The network's class in ``ncps.torch``.
    ncps_class: ClassVar[str]
    #: Hyperparameters passed to it by name.
    ncps_keys: ClassVar[tuple[str, ...]] = ()
    #: Keyword arguments it always gets.
    ncps_settings: ClassVar[Mapping[str, Any]] = {}

    def _network(self, n_inputs: int, n_outputs: int) -> nn.Module:
        import ncps.torch

        hp = self.hyperparameters
        rnn = getattr(ncps.torch, self.ncps_class)(
            n_inputs, hp["units"], batch_first=True, **{k: hp[k] for k in self.ncps_keys},
            **self.ncps_settings)
        return _Readout(rnn, hp["units"], n_outputs)

    def _run(self, net: nn.Module, inputs: torch.Tensor, state: Any = None) -> tuple:
        return net(inputs, state)


class LTC(_NcpsForecaster):
    """Liquid time-constant network of ``units`` fully connected neurons (ncps ``LTC``)."""

    name: ClassVar[str] = "ltc"
    defaults: ClassVar[Mapping[str, Any]] = {
        "units": 16,
        "ode_unfolds": 6,
        **COMMON_DEFAULTS,
        "sequence_length": 16,
        "batch_size": 16,
        "iterations": 200,
    }
    constraints: ClassVar[Mapping[str, Constraint]] = {"ode_unfolds": Interval(1)}
    ncps_class: ClassVar[str] = "LTC"
    ncps_keys: ClassVar[tuple[str, ...]] = ("ode_unfolds",)


class CfC(_NcpsForecaster):
    """Closed-form continuous-time network of ``units`` neurons (ncps ``CfC``)."""

    name: ClassVar[str] = "cfc"
    defaults: ClassVar[Mapping[str, Any]] = {
        "units": 32,
        "backbone_units": 32,
        "backbone_layers": 1,
        **COMMON_DEFAULTS,
        "iterations": 300,
    }
    constraints: ClassVar[Mapping[str, Constraint]] = {
        "backbone_units": Interval(1), "backbone_layers": Interval(1)}
    ncps_class: ClassVar[str] = "CfC"
    ncps_keys: ClassVar[tuple[str, ...]] = ("backbone_units", "backbone_layers")
    ncps_settings: ClassVar[Mapping[str, Any]] = {"backbone_dropout": 0.0}
