"""Lyapunov exponents of the catalogue's systems, from their exact (symbolic) Jacobians.

One idea per module:

* :mod:`~chaosbench.lyapunov.settings` -- :class:`LyapunovSettings` and :class:`SpectrumEstimate`;
* :mod:`~chaosbench.lyapunov.tangent` -- :class:`TangentFlow`: field, exact variational
  equations and perturbed copies compiled into one program over an extended state;
* :mod:`~chaosbench.lyapunov.ode` -- the spectrum of an ODE by QR re-orthonormalisation
  (Benettin et al. 1980; Shimada & Nagashima 1979), with perturbed copies for fields that jump;
* :mod:`~chaosbench.lyapunov.delay` -- the leading exponents of a delay equation on the
  method-of-steps grid (Farmer 1982);
* :mod:`~chaosbench.lyapunov.statistics` -- batch-means standard errors, the stopping rule and
  the chaos verdict;
* :mod:`~chaosbench.lyapunov.qr` -- re-orthonormalisation (Householder QR, CholeskyQR2);
* :mod:`~chaosbench.lyapunov.crosscheck` -- an independent estimate of the largest exponent
  (two trajectories on other orbits, through the public trajectory API only).
"""

from __future__ import annotations

from chaosbench.lyapunov.crosscheck import largest_exponent_two_trajectories
from chaosbench.lyapunov.delay import delay_spectrum
from chaosbench.lyapunov.ode import ode_spectrum
from chaosbench.lyapunov.settings import LyapunovSettings, SpectrumEstimate
from chaosbench.lyapunov.statistics import is_chaotic, is_decided, shear_bound
from chaosbench.lyapunov.tangent import TangentFlow, discontinuities, tangent_flow
from chaosbench.threads import limited

__all__ = ["LyapunovSettings", "SpectrumEstimate", "lyapunov_spectrum", "ode_spectrum",
           "delay_spectrum", "largest_exponent_two_trajectories", "TangentFlow", "tangent_flow",
           "discontinuities", "is_chaotic", "is_decided", "shear_bound"]


def lyapunov_spectrum(system, settings: LyapunovSettings = LyapunovSettings()) -> SpectrumEstimate:
    """Lyapunov spectrum of ``system`` (ODE: all exponents; delay: the leading ones).

    Dispatches to :func:`ode_spectrum` or :func:`delay_spectrum`; see their modules for
    the methods (Benettin et al. 1980; Shimada & Nagashima 1979; Farmer 1982). BLAS runs on
    one thread: the QR steps are small, and a multithreaded BLAS that shares the cores with
    other work spends its time waiting (a 10x slowdown measured on 2 loaded cores).
    """
    with limited(1, blas_only=True):
        return delay_spectrum(system, settings) if system.delay else ode_spectrum(system, settings)
