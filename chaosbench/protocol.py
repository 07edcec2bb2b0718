"""Protocols: how a job turns a system into training data and a test horizon.

A protocol is data (``conf/protocol/<name>.yaml``), read into :class:`Protocol`. One call,
:func:`make_split`, draws a trajectory from the catalogue and cuts it:

    train = trajectory[:n_train]            (+ observation noise, if the protocol asks)
    test  = trajectory[n_train:n_train + n_test]   (always clean)

The initial condition is drawn on the attractor from the job's seed, so seeds give independent
starting points and the same seed gives the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
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
    def from_config(cls, cfg: Mapping[str, Any]) -> "Protocol":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(cfg) - known)
        if unknown:
            raise ValueError(f"unknown protocol setting(s) {unknown}; valid: {sorted(known)}")
        protocol = cls(**{k: cfg[k] for k in cfg})
        for key in ("n_train", "n_test"):
            value = getattr(protocol, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 2:
                raise ValueError(f"protocol {protocol.name}: {key} must be an integer >= 2, "
                                 f"got {value!r}")
        if not protocol.pts_per_period > 0 or not protocol.noise >= 0:
            raise ValueError(f"protocol {protocol.name}: pts_per_period must be > 0 and noise >= 0")
        return protocol


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
