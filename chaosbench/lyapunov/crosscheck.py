"""An independent estimate of the largest Lyapunov exponent, to check the stored one against.

The spectrum of :mod:`chaosbench.lyapunov.ode` and its two-trajectory companion share their
orbits, their program and their integration, so agreement between them says little about
either. This estimate shares none of it: two-trajectory divergence with renormalisation
(Benettin, Galgani & Strelcyn 1976, Phys. Rev. A 14: 2338) on *other* orbits (initial
conditions drawn with another seed), from the nonlinear flow alone (no Jacobian), integrated
through the public :meth:`System.trajectory <chaosbench.dynamics.System.trajectory>` at its
own, tighter tolerances.

A reference orbit and a copy displaced by ``d0`` are integrated for one renormalisation
interval; their distance ``d`` gives ``log(d / d0)``, and the copy is pulled back to distance
``d0`` along the same direction. The exponent is the time average of those logs; its standard
error comes from batch means over (orbit, block) estimates, as for the spectrum.
"""

from __future__ import annotations

import math

import numpy as np

from chaosbench.lyapunov.statistics import batch_stats

__all__ = ["largest_exponent_two_trajectories"]


def largest_exponent_two_trajectories(system, *, orbits: int = 4, seed: int = 1,
                                      transient_periods: float = 10.0,
                                      block_periods: float = 20.0, blocks: int = 10,
                                      interval_periods: float = 0.5,
                                      separation: float = 1e-5) -> tuple[float, float]:
    """Largest exponent of an autonomous ODE system and its standard error, per unit time.

    Args:
        orbits: independent orbits, initial conditions from the attractor pool drawn with
            ``seed`` (the spectrum uses ``LyapunovSettings.seed``, 0 by default).
        transient_periods: time for the displacement to align with the most unstable
            direction, not averaged.
        block_periods, blocks: ``blocks`` batch-means blocks of this length per orbit.
        interval_periods: time between renormalisations; growth over one interval must stay
            well inside the linear regime (``d0 exp(lambda * interval) << attractor size``).
        separation: ``d0`` relative to the attractor's size (the norm of the pool's standard
            deviations over the variables that depend on the state). The two orbits are separate lanes with their own step-size control, so
            their integration errors (about rtol per step) are independent and add to the
            distance: ``d0`` must exceed them by orders of magnitude. CellularNeuralNetwork
            (0.096 stored) gives 1.41 at 1e-9, 0.26 at 1e-7, 0.125 at 1e-6 and 0.0999 at 1e-5;
            Lorenz is unaffected. Growth over one interval keeps 1e-5 linear
            (``1e-5 exp(lambda * interval) << 1``).

    Raises:
        ValueError: for delay equations (their state is a function, not a point) and fields
            written with explicit time ``t`` (every trajectory call restarts at t = 0).
    """
    eq = system.equations
    if system.delay or eq.time in set().union(*(f.free_symbols for f in eq.rhs)):
        raise ValueError(f"{system.name}: the two-trajectory cross-check needs an autonomous ODE "
                         "(no delay, no explicit t)")
    rng = np.random.default_rng(seed)
    pool = np.asarray(system.attractor_pool(), dtype=float)
    # Phase variables (z' = omega) carry an exact zero exponent and grow without bound: they
    # are neither displaced nor part of the attractor's size (as in the spectrum).
    active = [i for i, f in enumerate(eq.rhs) if f.free_symbols & set(eq.variables)]
    d0 = separation * float(np.linalg.norm(pool[:, active].std(axis=0)))
    x = pool[rng.choice(len(pool), size=orbits, replace=False)]
    direction = np.zeros_like(x)
    direction[:, active] = rng.standard_normal((orbits, len(active)))
    copy = x + d0 * direction / np.linalg.norm(direction, axis=1, keepdims=True)
    interval = interval_periods * system.period
    per_block = max(1, round(block_periods / interval_periods))
    n_transient = max(1, math.ceil(transient_periods / interval_periods))

    def advance() -> np.ndarray:
        nonlocal x, copy
        ends = system.trajectory(2, ic=np.vstack([x, copy]), pts_per_period=1 / interval_periods,
                                 postprocess=False)[:, -1]
        x, moved = ends[:orbits], ends[orbits:]
        gap = moved - x
        distance = np.linalg.norm(gap, axis=1)
        copy = x + gap * (d0 / distance)[:, None]
        return np.log(distance / d0)

    for _ in range(n_transient):
        advance()
    estimates = np.array([[sum(advance() for _ in range(per_block)) / (per_block * interval)]
                          for _ in range(blocks)])  # (blocks, 1, orbits)
    mean, stderr = batch_stats(estimates.reshape(-1))
    return float(mean), float(stderr)
