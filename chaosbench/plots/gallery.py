"""The catalogue gallery: one attractor figure per system, integrated on demand.

Each orbit starts from the system's catalogued initial condition, drops a transient of
``transient_periods`` dominant periods and draws ``periods`` more at ``pts_per_period`` samples
per period, in the first three observed coordinates (the delay systems' catalogue observables
are already delay coordinates).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

import chaosbench

from ._common import OKABE_ITO, blank_figure, save_figure, styled

__all__ = ["orbit", "attractor", "write_gallery"]


def orbit(name: str, *, periods: float = 40, pts_per_period: float = 60,
          transient_periods: float = 10) -> np.ndarray:
    """``(n, dim)`` samples on the attractor of ``name`` (module docstring)."""
    system = chaosbench.system(name)
    return system.trajectory(int(periods * pts_per_period), pts_per_period=pts_per_period,
                             transient=int(transient_periods * pts_per_period))


def _draw(ax, name: str, x: np.ndarray) -> None:
    system = chaosbench.system(name)
    names = list(system.variables) if len(system.variables) == x.shape[1] else \
        [f"$x_{i + 1}$" for i in range(x.shape[1])]
    ax.plot(*x[:, :3].T, color=OKABE_ITO[3], lw=0.5)
    ax.set_xlabel(names[0], labelpad=-8)
    ax.set_ylabel(names[1], labelpad=-8)
    ax.set_zlabel(names[2], labelpad=-8)
    ax.tick_params(labelsize=6, pad=-2)
    lam = f"$\\lambda_{{\\max}}$ = {system.max_lyapunov:.3g}" + (
        "" if system.chaotic else ", not chaotic")
    ax.set_title(f"{name}\n{lam}", fontsize=9)


@styled
def attractor(name: str, **orbit_options):
    """One system's attractor as a 3-D figure, titled with its largest Lyapunov exponent."""
    fig = blank_figure(3.6, 3.6)
    _draw(fig.add_subplot(projection="3d"), name, orbit(name, **orbit_options))
    return fig


def write_gallery(folder: str | Path, names: Iterable[str] | None = None, *,
                  progress: bool = True, **orbit_options) -> list[Path]:
    """Write ``<name>.png`` and ``<name>.svg`` for each system (default: the whole catalogue)
    into ``folder``; returns the PNG paths."""
    from tqdm import tqdm

    names = list(names) if names is not None else chaosbench.systems()
    paths = []
    for name in tqdm(names, desc="gallery", unit="system", disable=not progress):
        fig = attractor(name, **orbit_options)
        paths.append(save_figure(fig, folder, name)["png"])
    return paths
