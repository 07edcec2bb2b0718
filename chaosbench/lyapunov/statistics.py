"""Batch-means statistics of finite-time exponents, the stopping rule and the chaos verdict.

Every lane (an independent initial condition drawn from the attractor pool) is cut into blocks
of equal length after a transient; each (lane, block) gives one estimate and the standard error
is their standard deviation over the square root of their number (batch means). Integration
stops once the largest exponent's standard error is below a relative and an absolute target
and the chaos verdict (:func:`is_chaotic`, :func:`is_decided`) is clear, or at a maximum number
of blocks.
"""

from __future__ import annotations

import math

import numpy as np

from chaosbench.lyapunov.settings import LyapunovSettings

__all__ = ["batch_stats", "converged", "shear_bound", "is_chaotic", "is_decided", "should_stop",
           "second_half"]


def batch_stats(est: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over (lane, block) estimates, shape (n, ...); rows holding NaN
    (blocks a restarted orbit did not complete) are left out."""
    est = np.asarray(est, dtype=float)
    flat = est.reshape(len(est), -1)
    ok = np.all(np.isfinite(flat), axis=1)
    est = est[ok]
    n = est.shape[0]
    mean = est.mean(axis=0) if n else np.full(est.shape[1:], np.nan)
    se = est.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.full_like(mean, np.inf)
    return mean, se


def converged(mean: float, se: float, period: float, s: LyapunovSettings) -> bool:
    return se <= s.rel_stderr * abs(mean) + s.abs_stderr / period


def shear_bound(transient: float, T: float) -> float:
    """log(1 + T/T0) / T: the largest finite-time exponent that linear-in-time (shear) growth
    of tangent vectors gives over [T0, T0 + T], as on periodic and quasi-periodic orbits."""
    return math.log1p(T / transient) / T if transient > 0 and T > 0 else 0.0


def is_chaotic(lam: float, se: float, half: dict[str, float], transient: float,
               T: float) -> bool:
    """The largest exponent exceeds 3 standard errors and twice the shear bound, over the whole
    run and over its second half alone (a shear-like rate decays like 1/t, chaos keeps its
    rate; see :func:`second_half`)."""
    return bool(lam > 3 * se and lam > 2 * shear_bound(transient, T)
                and half["mean"] > 3 * half["stderr"] and half["mean"] > 2 * half["shear"])


def is_decided(lam: float, se: float, half: dict[str, float], transient: float,
               T: float) -> bool:
    """Chaotic (:func:`is_chaotic`), or clearly not: even 3 standard errors above the estimate
    stay within twice the shear bound."""
    return is_chaotic(lam, se, half, transient, T) or \
        lam + 3 * se <= 2 * shear_bound(transient, T)


def should_stop(blocks: int, est: list[np.ndarray], block_time: float, transient: float,
          period: float, s: LyapunovSettings) -> bool:
    """Stopping rule after ``blocks`` blocks: the largest exponent converged (relative and
    absolute standard-error targets; with ``all_exponents`` every estimated one) and its
    verdict decided, or ``max_blocks`` with the verdict decided, or ``max_blocks_undecided``."""
    if blocks < s.min_blocks:
        return False
    if blocks >= s.max_blocks_undecided:
        return True
    mean, se = batch_stats(np.concatenate(est))
    if not np.all(np.isfinite(mean)) or mean.size == 0:
        return blocks >= s.max_blocks
    first = int(np.argmax(mean))
    half = second_half(est, first, block_time, transient)
    decided = is_decided(mean[first], se[first], half, transient, blocks * block_time)
    columns = range(mean.size) if s.all_exponents else [first]
    done = all(converged(mean[i], se[i], period, s) for i in columns)
    return decided and (blocks >= s.max_blocks or done)


def second_half(est: list[np.ndarray], column: int, block_time: float,
                 transient: float) -> dict[str, float]:
    """The largest exponent over the second half of the blocks, with its standard error and the
    bound that regular (linear-in-time) tangent growth gives over that window,
    log((T0 + T) / (T0 + T / 2)) / (T / 2): chaos keeps its rate, shear decays like 1/t."""
    blocks = np.stack(est)[:, :, column]
    half = len(blocks) // 2
    values = blocks[half:].ravel()
    values = values[np.isfinite(values)]
    start, stop = transient + half * block_time, transient + len(blocks) * block_time
    se = values.std(ddof=1) / math.sqrt(values.size) if values.size > 1 else float("inf")
    return {"mean": float(values.mean()) if values.size else float("nan"), "stderr": float(se),
            "shear": math.log(stop / start) / (stop - start) if start > 0 else 0.0}
