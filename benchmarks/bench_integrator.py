"""Integrator throughput against the machine's own bounds, measured side by side in one run.

    chaosbench's venv: .venv/bin/python benchmarks/bench_integrator.py [--steps N]

Lorenz with DOP853 at rtol = atol = 1e-10 (the trajectory defaults), 100 samples per period:
  * one trajectory: CPU time per step against the *arithmetic floor*, the step's floating-point
    operations (counted from the compiled program and the tableau, below) divided by the scalar
    flop rate of this core (eight independent multiply-add chains in a Numba loop);
  * 512 trajectories at once: CPU time per trajectory-step against the *memory-bandwidth bound*,
    the bytes the kernel's lane loops read and write per trajectory-step (counted below) divided
    by the streaming bandwidth of a triad ``a = b + s c`` over arrays of the kernel's working-set
    size (the stage array K, which sits in cache), and against DRAM bandwidth for reference.
Both bounds are measured in the same run as the integrator, so machine load affects both sides.
Targets (issue 15): one trajectory within 5x of the floor, the batch within 2x of its bound.
"""

from __future__ import annotations

import argparse
import os
import time

import numba
import numpy as np

import chaosbench
from chaosbench import integrate

RTOL = ATOL = 1e-10
BATCH = 512


@numba.njit(cache=False)
def _chains(n, m, c):
    """Eight independent multiply-add chains: 16 flops per iteration, no memory traffic."""
    a0, a1, a2, a3, a4, a5, a6, a7 = 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7
    for _ in range(n):
        a0 = a0 * m + c
        a1 = a1 * m + c
        a2 = a2 * m + c
        a3 = a3 * m + c
        a4 = a4 * m + c
        a5 = a5 * m + c
        a6 = a6 * m + c
        a7 = a7 * m + c
    return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7


@numba.njit(cache=False)
def _triad(a, b, c, s, reps):
    for _ in range(reps):
        for i in range(a.shape[0]):
            a[i] = b[i] + s * c[i]
        s = -s


def cpu(fn, *args, repeat=3):
    """Best CPU time of ``repeat`` calls (CPU time, not wall: the machine is shared)."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.process_time()
        fn(*args)
        best = min(best, time.process_time() - t0)
    return best


def flop_rate() -> float:
    _chains(10, 0.999, 1e-3)
    n = 20_000_000
    return 16 * n / cpu(_chains, n, 0.999999, 1e-9)


def bandwidth(n_doubles: int) -> float:
    a, b, c = (np.random.default_rng(0).random(n_doubles) for _ in range(3))
    reps = max(1, 200_000_000 // n_doubles)
    _triad(a, b, c, 0.5, 1)
    return 24 * n_doubles * reps / cpu(_triad, a, b, c, 0.5, reps)


def program_flops(program) -> int:
    """One flop per VM instruction (cube: 2)."""
    from chaosbench.compile import OP

    return int(sum(2 if op == OP["cube"] else 1 for op in program.code[:, 0]))


def step_counts(program, n: int, dense_fraction: float) -> tuple[float, float]:
    """(flops, bytes per lane) of one DOP853 step of :func:`chaosbench.integrate.solve_ode`.

    Per evaluation: the program, plus loading n + 1 inputs and storing n outputs; each VM
    instruction reads its operands and writes one register. Stage inputs: per nonzero tableau
    entry and component, 3 flops (a h K + acc) reading K and updating the sum. Error norm: per
    nonzero E3/E5 entry 2 flops; per component ~10 for the scale and squares. Dense output (on
    steps that pass a sample): 3 more stages and 4 x nnz(D) terms.
    """
    A, B, C, E3, E5, D = integrate.ode_tableau()
    from chaosbench.compile import OP

    P = program_flops(program)
    operands = {OP[k]: 1 for k in OP}
    operands.update({OP[k]: 2 for k in ("add", "sub", "mul", "div", "pow", "atan2", "min", "max",
                                        "lt", "le", "gt", "ge", "eq", "ne", "and", "or")})
    operands[OP["where"]] = 3
    vm_bytes = 8 * sum(operands[op] + 1 for op in program.code[:, 0])
    io_bytes = 8 * (2 * (n + 1) + 2 * n)
    nnz = [np.count_nonzero(A[s, :s]) for s in range(16)]
    nnz[12] = np.count_nonzero(B)
    flops = 12 * P + sum(3 * nnz[s] * n for s in range(1, 13))
    flops += 2 * (np.count_nonzero(E3) + np.count_nonzero(E5)) * n + 10 * n
    byts = 12 * (vm_bytes + io_bytes) + sum(8 * (3 * nnz[s] + 2) * n for s in range(1, 13))
    byts += 8 * (13 * n + 4 * n)
    dense_flops = 3 * P + sum(3 * nnz[s] * n for s in range(13, 16)) \
        + 4 * 2 * np.count_nonzero(D) * n + 20 * n
    dense_bytes = 3 * (vm_bytes + io_bytes) + sum(8 * (3 * nnz[s] + 2) * n for s in range(13, 16)) \
        + 8 * (4 * (np.count_nonzero(D) + 1) * n + 7 * n)
    return flops + dense_fraction * dense_flops, byts + dense_fraction * dense_bytes


def integrate_lorenz(lanes: int, n_samples: int):
    s = chaosbench.system("Lorenz")
    field = s.field
    p = field.program
    pool = s.attractor_pool()
    y0 = np.ascontiguousarray(pool[np.random.default_rng(0).choice(len(pool), lanes)].T)
    times = np.arange(n_samples) * s.period / 100
    args = (p.code, None, p.outputs, y0, 0.0, times, RTOL, ATOL, field.bound, 10 ** 9,
            *integrate.ode_tableau())
    result = {}

    def once():
        R = field.registers(lanes)
        result["out"] = integrate.solve_ode(*args[:1], R, *args[2:])

    once()
    seconds = cpu(once)
    Y, status, _, steps = result["out"]
    assert status == integrate.OK
    return seconds, steps, p, len(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20_000,
                        help="samples of the single trajectory (the batch gets 1/40 of them)")
    args = parser.parse_args()
    load = os.getloadavg()

    rate = flop_rate()
    single, steps1, program, n1 = integrate_lorenz(1, args.samples)
    batch, steps_b, _, nb = integrate_lorenz(BATCH, max(100, args.samples // 40))
    n = 3
    flops1, _ = step_counts(program, n, min(1.0, n1 / steps1))
    _, bytes_b = step_counts(program, n, min(1.0, nb / steps_b))
    working_set = 16 * n * BATCH  # doubles in K, the largest array the lane loops stream
    bw_cache = bandwidth(working_set)
    bw_dram = bandwidth(16 * 1024 * 1024)

    per_step = single / steps1
    floor = flops1 / rate
    per_traj_step = batch / (steps_b * BATCH)
    bound = bytes_b / bw_cache
    print(f"integrator throughput, Lorenz, DOP853 rtol=atol={RTOL:g}; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (CPU times, best of 3)")
    print(f"  machine: scalar flop rate {rate / 1e9:.2f} GFlop/s; triad bandwidth "
          f"{bw_cache / 1e9:.1f} GB/s at {working_set * 8 / 1024:.0f} KiB (cache), "
          f"{bw_dram / 1e9:.1f} GB/s at 128 MiB (DRAM)")
    print(f"  one trajectory: {per_step * 1e9:7.0f} ns per step ({steps1} steps); "
          f"{flops1:.0f} flops per step -> arithmetic floor {floor * 1e9:.0f} ns; "
          f"ratio {per_step / floor:.1f}x (target <= 5x)")
    print(f"  {BATCH} trajectories: {per_traj_step * 1e9:7.1f} ns per trajectory-step "
          f"({steps_b} steps); {bytes_b:.0f} bytes per trajectory-step -> bandwidth bound "
          f"{bound * 1e9:.1f} ns (cache), {bytes_b / bw_dram * 1e9:.1f} ns (DRAM); "
          f"ratio {per_traj_step / bound:.2f}x (target <= 2x)")
    print(f"  batch vs one: {per_step / per_traj_step:.1f}x the throughput per trajectory")


if __name__ == "__main__":
    main()
