"""CPU cost of the whole chaosbench.metrics suite (every registered metric, all inputs given).

Targets (issue "Metrics: the 17 forecast metrics ..."): a (5,000 x 3) forecast in under
1 s of CPU, a (20,000 x 10) forecast in under 10 s. CPU time is time.process_time(), which
counts every thread of the process; the best of REPEATS runs is reported (the first call
in the process is a warm-up and is not timed).

Data: a real chaotic forecast -- the truth is a trajectory of Lorenz-63 (3-D) or Lorenz-96
(10-D, F = 8), the forecast is the trajectory from an initial condition perturbed by 1e-3,
so it is accurate for a few Lyapunov times and then decorrelates, as a model forecast does.

Usage:  cd /work/main && PYTHONPATH=. .venv/bin/python benchmarks/bench_metrics.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from chaosbench import metrics
from chaosbench.metrics.attractor import largest_lyapunov_exponent

REPEATS = 3
DT = 0.01


def lorenz63(s: np.ndarray) -> np.ndarray:
    x, y, z = s
    return np.array([10.0 * (y - x), x * (28.0 - z) - y, x * y - 8.0 / 3.0 * z])


def lorenz96(s: np.ndarray, forcing: float = 8.0) -> np.ndarray:
    return (np.roll(s, -1) - np.roll(s, 2)) * np.roll(s, 1) - s + forcing


def rk4(f: Callable[[np.ndarray], np.ndarray], s0: np.ndarray, n: int, dt: float) -> np.ndarray:
    out = np.empty((n, s0.size))
    s = s0.astype(float)
    for i in range(n):
        out[i] = s
        k1 = f(s)
        k2 = f(s + 0.5 * dt * k1)
        k3 = f(s + 0.5 * dt * k2)
        k4 = f(s + dt * k3)
        s = s + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return out


def make_case(f, s0: np.ndarray, horizon: int, n_train: int, burn: int = 2000):
    s0 = rk4(f, s0, burn, DT)[-1]  # onto the attractor
    traj = rk4(f, s0, n_train + horizon, DT)
    y_train, y_true = traj[:n_train], traj[n_train:]
    y_pred = rk4(f, y_true[0] + 1e-3, horizon, DT)
    return y_train, y_true, y_pred


def cpu_time(fn: Callable[[], object]) -> tuple[float, float]:
    """(best CPU seconds, wall seconds of that run) over REPEATS calls."""
    best = (np.inf, np.inf)
    for _ in range(REPEATS):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        best = min(best, (time.process_time() - c0, time.perf_counter() - w0))
    return best


def main() -> None:
    # (name, vector field, initial state, horizon, largest Lyapunov exponent, CPU target s);
    # Lorenz-63: 0.906 (literature); Lorenz-96 (N=10, F=8): estimated from the truth.
    configs = [
        ("lorenz63", lorenz63, np.array([1.0, 1.0, 1.0]), 5_000, 0.906, 1.0),
        ("lorenz96", lorenz96, 8.0 + np.linspace(0.01, 0.1, 10), 20_000, None, 10.0),
    ]
    # warm-up: imports, first-call allocations
    yt = np.random.default_rng(0).standard_normal((500, 3))
    metrics.compute(yt, yt + 0.1, y_train=yt, dt=DT, max_lyapunov=1.0)

    print(f"{len(metrics.names())} metrics: {', '.join(metrics.names())}\n")
    header = (
        f"{'config':<10} {'T x D':>10} {'CPU s':>8} {'wall s':>8} {'target s':>9} "
        f"{'CPU/target':>11}"
    )
    print(header)
    print("-" * len(header))
    breakdowns = {}
    for name, f, s0, horizon, lam, target in configs:
        y_train, y_true, y_pred = make_case(f, s0, horizon, n_train=2_000)
        if lam is None:  # no literature value at hand: Rosenstein estimate from the truth
            lam = largest_lyapunov_exponent(y_true, DT)
        kw = dict(y_train=y_train, dt=DT, max_lyapunov=lam)
        cpu, wall = cpu_time(lambda: metrics.compute(y_true, y_pred, **kw))
        shape = f"{y_true.shape[0]}x{y_true.shape[1]}"
        print(f"{name:<10} {shape:>10} {cpu:8.3f} {wall:8.3f} {target:9.1f} {cpu / target:11.2f}")
        breakdowns[name] = {
            m: cpu_time(lambda m=m: metrics.compute(y_true, y_pred, include=[m], **kw))[0]
            for m in metrics.names()
        }
        breakdowns[name]["_scores"] = metrics.compute(y_true, y_pred, **kw)

    for name, per_metric in breakdowns.items():
        scores = per_metric.pop("_scores")
        top = sorted(per_metric.items(), key=lambda kv: -kv[1])[:6]
        print(f"\n{name}: slowest metrics (CPU s) " + ", ".join(f"{m} {t:.3f}" for m, t in top))
        print(
            f"{name}: vpt = {scores['vpt']:.2f} Lyapunov times ({scores['vpt_steps']:.0f} "
            f"steps), smape = {scores['smape']:.1f}, dstsp_gmm = {scores['dstsp_gmm']:.2f}"
        )


if __name__ == "__main__":
    main()
