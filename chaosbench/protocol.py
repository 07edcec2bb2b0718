"""Protocols: how a job turns a system into training data and a test horizon.

A protocol is data (``conf/protocol/<name>.yaml``), read into :class:`Protocol`. One call,
:func:`make_split`, draws a trajectory from the catalogue and cuts it:

    train = trajectory[:n_train]            (+ observation noise, if the protocol asks)
    test  = trajectory[n_train:n_train + n_test]   (always clean)

The initial condition is drawn on the attractor from the job's seed, so seeds give independent
starting points and the same seed gives the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from chaosbench.dynamics import System

__all__ = ["Protocol", "Split", "make_split"]


@dataclass(frozen=True)
class Protocol:
    """Settings of a forecasting protocol (see ``conf/protocol/``).

    Attributes:
        name: the protocol's name.
        pts_per_period: sampling granularity (points per dominant period).
        n_train, n_test: training length and forecast horizon, in samples.
        univariate: keep only the first observed coordinate.
        noise: observation noise on the training data, as a fraction of each coordinate's std.
    """

    name: str = "standard"
    pts_per_period: float = 100
    n_train: int = 1000
    n_test: int = 1000
    univariate: bool = False
    noise: float = 0.0

    @classmethod
    def check_field(cls, key: str, value: Any) -> None:
        """Raise ValueError (one line) unless ``value`` is valid for field ``key``."""
        if key not in _FIELD_RULES:
            from chaosbench.suggest import suggest

            raise ValueError(suggest(key, sorted(_FIELD_RULES), "protocol setting"))
        valid, test = _FIELD_RULES[key]
        if not test(value):
            raise ValueError(f"protocol.{key}={value!r} is not valid: {key} must be {valid}")

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> "Protocol":
        for key, value in cfg.items():
            cls.check_field(key, value)
        if cfg.get("timescale", "period") == "lyapunov":
            raise ValueError(f"protocol {cfg.get('name')}: a Lyapunov-timescale protocol is "
                             f"resolved per system first (chaosbench.timescale.lyapunov_settings)")
        cfg = {k: v for k, v in cfg.items() if k not in _TIMESCALE_FIELDS}
        return cls(**{k: (float(v) if k in ("pts_per_period", "noise") else v)
                      for k, v in cfg.items()})


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


#: Each field's rule, declared once: (what is valid, the test).
_FIELD_RULES = {
    "name": ("a non-empty name", lambda v: isinstance(v, str) and v.strip() != ""),
    "pts_per_period": ("a number > 0", lambda v: _number(v) and v > 0),
    "n_train": ("an integer >= 2", lambda v: _int(v) and v >= 2),
    "n_test": ("an integer >= 2", lambda v: _int(v) and v >= 2),
    "univariate": ("true or false", lambda v: isinstance(v, bool)),
    "noise": ("a number >= 0 (a fraction of each coordinate's std)",
              lambda v: _number(v) and v >= 0),
    # The Lyapunov timescale (conf/protocol/lyapunov.yaml, chaosbench.timescale): lengths in
    # Lyapunov times, turned into the fields above for each system before a job is built.
    "timescale": ("period or lyapunov", lambda v: v in ("period", "lyapunov")),
    "pts_per_lyapunov": ("a number > 0", lambda v: _number(v) and v > 0),
    "train_lyapunov": ("a number > 0", lambda v: _number(v) and v > 0),
    "test_lyapunov": ("a number > 0", lambda v: _number(v) and v > 0),
    "min_pts_per_period": ("a number >= 0", lambda v: _number(v) and v >= 0),
}
_TIMESCALE_FIELDS = ("timescale", "pts_per_lyapunov", "train_lyapunov", "test_lyapunov",
                     "min_pts_per_period")


@dataclass(frozen=True)
class Split:
    """The data of one job. ``dt`` is the sampling interval in the system's time units."""

    train: np.ndarray
    test: np.ndarray
    dt: float
    max_lyapunov: float

    @property
    def horizon_lyapunov(self) -> float:
        """The test horizon in Lyapunov times (steps x dt x largest exponent)."""
        return len(self.test) * self.dt * self.max_lyapunov


def make_split(system: System, protocol: Protocol, seed: int) -> Split:
    """Training and test series for ``system`` under ``protocol``, reproducible from ``seed``."""
    n = protocol.n_train + protocol.n_test
    x = system.trajectory(n, pts_per_period=protocol.pts_per_period, seed=seed)
    if protocol.noise > 0:
        # Noise on the training part only, drawn from its own stream of the same seed.
        rng = np.random.default_rng([seed, 1])
        noise = protocol.noise * system.std * rng.standard_normal((protocol.n_train, system.dim))
        x = x.copy()
        x[: protocol.n_train] += noise
    if protocol.univariate:
        x = x[:, :1]
    return Split(train=x[: protocol.n_train], test=x[protocol.n_train:],
                 dt=system.period / protocol.pts_per_period, max_lyapunov=system.max_lyapunov)
