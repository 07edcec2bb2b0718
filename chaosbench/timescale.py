"""Protocols on the Lyapunov timescale: sampling, training and test lengths in Lyapunov times.

Counted in steps at a fixed number of points per period, one horizon means very different things
on different systems: lambda_max x period spans 3e-4 to 11 over the catalogue, so a 200-step
test is a small fraction of a Lyapunov time on one system and tens on another, and a VPT median
over systems mixes censored and uncensored values. On the Lyapunov timescale
(tau_L = 1 / lambda_max, as in dysts 0.96 and the zero-shot Chronos study of Zhang & Gilpin,
ICLR 2025) every system is sampled and forecast over the same number of Lyapunov times:

    dt             = tau_L / pts_per_lyapunov
    pts_per_period = period / dt = pts_per_lyapunov * lambda_max * period
    n_train        = round(train_lyapunov * pts_per_lyapunov)
    n_test         = round(test_lyapunov * pts_per_lyapunov)

A system whose exponent is not positive has no Lyapunov time; one so weakly chaotic that the
sampling falls below ``min_pts_per_period`` points per period would be sampled more coarsely than
its own oscillation. Both are refused with a ValueError that names the system.
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = ["LYAPUNOV_KEYS", "lyapunov_settings"]

#: The settings of a Lyapunov-timescale protocol (conf/protocol/lyapunov.yaml).
LYAPUNOV_KEYS = ("pts_per_lyapunov", "train_lyapunov", "test_lyapunov", "min_pts_per_period")


def lyapunov_settings(system: Any, cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The step-counted protocol settings (``pts_per_period``, ``n_train``, ``n_test`` and the
    rest of ``cfg`` unchanged) that realise the Lyapunov-timescale protocol ``cfg`` on
    ``system`` (anything with ``name``, ``period`` and ``max_lyapunov``)."""
    lam, period = float(system.max_lyapunov), float(system.period)
    name = cfg.get("name", "lyapunov")
    if not lam > 0:
        raise ValueError(f"protocol {name}: {system.name} has max_lyapunov = {lam:g} <= 0, so no "
                         f"Lyapunov time; use a protocol counted in periods (e.g. standard)")
    for key in ("pts_per_lyapunov", "train_lyapunov", "test_lyapunov"):
        if not float(cfg[key]) > 0:
            raise ValueError(f"protocol {name}: {key} must be > 0, got {cfg[key]!r}")
    pts_per_period = float(cfg["pts_per_lyapunov"]) * lam * period
    floor = float(cfg.get("min_pts_per_period", 0))
    if pts_per_period < floor:
        raise ValueError(
            f"protocol {name}: {system.name} would be sampled at {pts_per_period:.3g} points per "
            f"period (lambda_max x period = {lam * period:.3g}), below min_pts_per_period = "
            f"{floor:g}; raise pts_per_lyapunov or use a protocol counted in periods")
    out = {k: v for k, v in cfg.items() if k not in LYAPUNOV_KEYS and k != "timescale"}
    out.update(pts_per_period=pts_per_period,
               n_train=max(2, round(float(cfg["train_lyapunov"]) * float(cfg["pts_per_lyapunov"]))),
               n_test=max(2, round(float(cfg["test_lyapunov"]) * float(cfg["pts_per_lyapunov"]))))
    return out
