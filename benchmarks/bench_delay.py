"""Delay equations: the controlled step against the catalogue-resolution step, side by side.

    .venv/bin/python benchmarks/bench_delay.py [--batch 512] [--points 10000]

For every delay system: grid steps per delay of the step controller (accuracy target
``chaosbench.dynamics.DELAY_TOLERANCE``) and of the previous rule (the smaller of dt, the sample
spacing and tau / 1000); the error of each over the first period against the same scheme at an
eighth of the finer step, in attractor std; and the CPU time of 1,200 points at 100 points per
period with each. Then the peak memory (tracemalloc, which sees Numba's allocations) of
``--batch`` MackeyGlass trajectories of ``--points`` points against the size of the output.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

import numpy as np

import chaosbench
from chaosbench import dynamics


def cpu(fn):
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--points", type=int, default=10_000)
    args = parser.parse_args()
    load = os.getloadavg()
    names = [n for n in chaosbench.systems() if chaosbench.system(n).delay]
    print(f"delay equations, RK4 method of steps; target {dynamics.DELAY_TOLERANCE:g} of the std "
          f"over one period; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; CPU seconds")
    print(f"  {'system':17s} {'steps/delay':>17s} {'error, 1 period':>19s} "
          f"{'1,200 points':>22s}")
    print(f"  {'':17s} {'before':>8s} {'now':>8s} {'before':>9s} {'now':>9s} "
          f"{'before':>8s} {'now':>8s} {'ratio':>5s}")
    for name in names:
        s = chaosbench.system(name)
        old_step = min(s.dt, s.period / 100, s.tau / 1000)
        m_old = dynamics._delay_nodes(s.tau, old_step, s.dim - 1)
        m_new = s._delay_steps()
        ref = s.trajectory(101, delay_step=s.tau / (8 * max(m_old, m_new)))
        scale = s.std.max()
        e_old = np.abs(s.trajectory(101, delay_step=old_step) - ref).max() / scale
        e_new = np.abs(s.trajectory(101) - ref).max() / scale
        t_old, _ = cpu(lambda: s.trajectory(1200, delay_step=old_step))
        t_new, _ = cpu(lambda: s.trajectory(1200))
        print(f"  {name:17s} {m_old:8d} {m_new:8d} {e_old:9.1e} {e_new:9.1e} "
              f"{t_old:8.3f} {t_new:8.3f} {t_new / t_old:5.2f}")
    mg = chaosbench.system("MackeyGlass")
    mg.trajectory(10, n_ic=args.batch, seed=0)  # compiled, pool and step cached
    tracemalloc.start()
    seconds, x = cpu(lambda: mg.trajectory(args.points, n_ic=args.batch, seed=0))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  MackeyGlass {args.batch} x {args.points:,} points: output {x.nbytes / 1e9:.2f} GB, "
          f"peak {peak / 1e9:.2f} GB ({peak / x.nbytes:.2f}x the output, target < 2x), "
          f"{seconds:.1f} s")


if __name__ == "__main__":
    main()
