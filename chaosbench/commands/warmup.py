"""Compile every Numba kernel into the cache ahead of time.

    chaosbench warmup [--cache-dir DIR]

Runs one small workload through each kernel (the virtual machine, the ODE, delay and SDE
integrators, the Lyapunov estimators), so later processes load machine code from the cache instead
of compiling it (seconds per kernel). For nodes whose package directory is read-only, warm a shared
folder once per installation and processor and point every job at it::

    CHAOSBENCH_CACHE_DIR=/shared/chaosbench-cache chaosbench warmup
    export CHAOSBENCH_CACHE_DIR=/shared/chaosbench-cache     # in the job environment

``--cache-dir DIR`` is the same as setting ``CHAOSBENCH_CACHE_DIR=DIR`` for this run (the folder is
fixed when the kernels are defined, so the work runs in a child process).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from chaosbench.jit import CACHE_ENV


def _workloads():
    """(what, callable) pairs that together reach every kernel."""
    import chaosbench
    from chaosbench.lyapunov import LyapunovSettings, lyapunov_spectrum

    lorenz, delay = chaosbench.system("Lorenz"), chaosbench.system("MackeyGlass")
    tiny = LyapunovSettings(lanes=2, transient_periods=0.2, block_periods=0.5, min_blocks=1,
                            max_blocks=1, max_blocks_undecided=1, delay_exponents=2,
                            delay_max_exponents=2)
    return [
        ("virtual machine (rhs, jacobian)", lambda: lorenz.jacobian(lorenz.rhs([1.0, 2.0, 3.0]))),
        ("ODE integrator (DOP853)", lambda: lorenz.trajectory(20)),
        ("delay integrator (method of steps)", lambda: delay.trajectory(20)),
        ("SDE integrator (stochastic Heun)",
         lambda: lorenz.trajectory(20, dynamical_noise=0.01, seed=0)),
        ("Lyapunov spectrum, ODE", lambda: lyapunov_spectrum(lorenz, tiny)),
        ("Lyapunov spectrum, delay", lambda: lyapunov_spectrum(delay, tiny)),
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="chaosbench warmup", description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", help=f"cache folder (default: ${CACHE_ENV}, else Numba's)")
    args = parser.parse_args(argv)
    if args.cache_dir:
        env = dict(os.environ, **{CACHE_ENV: os.path.abspath(args.cache_dir)})
        return subprocess.run([sys.executable, "-m", "chaosbench", "warmup"], env=env).returncode

    from chaosbench.jit import cache_dir

    print(f"chaosbench warmup: compiling into {cache_dir()}")
    start = time.perf_counter()
    for what, work in _workloads():
        t0 = time.perf_counter()
        work()
        print(f"  {what:40s} {time.perf_counter() - t0:6.1f} s")
    print(f"done in {time.perf_counter() - start:.1f} s; later processes load the kernels from the "
          "cache")
    return 0
