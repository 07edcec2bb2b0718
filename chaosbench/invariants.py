"""Dynamical invariants and attractor statistics, computed from the compiled systems.

Every estimator names its method and its settings, and returns them with the value so the
catalogue can record how each number was made.

* :func:`attractor_statistics` -- mean and standard deviation on the attractor.
* :func:`compute_invariants` -- Lyapunov spectrum with standard errors
  (:mod:`chaosbench.lyapunov`), the largest exponent by two-trajectory divergence, Kaplan-Yorke
  dimension, Grassberger-Procaccia correlation dimension, Pesin entropy bound and the dominant
  period, all from the same orbits; plus a verdict on whether the system is chaotic.
* :func:`write_statistics`, :func:`write_invariants`, :func:`flag_not_chaotic` -- record them in
  ``systems/<name>.yaml`` (through :mod:`chaosbench.systemfile`, the one YAML writer).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import yaml

from chaosbench.catalogue import SpecError, load_spec, system_path, write_block
from chaosbench.estimators import correlation_dimension
from chaosbench.lyapunov import (LyapunovSettings, SpectrumEstimate, is_chaotic,
                                 lyapunov_spectrum, shear_bound)
from chaosbench.systemfile import edit, mark_not_chaotic

__all__ = ["attractor_statistics", "kaplan_yorke_dimension", "dominant_period",
           "correlation_dimension_estimate", "chaos_verdict", "compute_invariants",
           "write_statistics", "write_invariants", "flag_not_chaotic", "SOURCE_PREFIX"]

#: Invariants blocks written by this module start their ``source`` line with this.
SOURCE_PREFIX = "chaosbench.invariants"


def attractor_statistics(system, *, periods: int = 500, pts_per_period: int = 20,
                         transient_periods: int = 50) -> dict[str, Any]:
    """Mean and standard deviation of each observed coordinate on the attractor.

    One trajectory from the default initial condition: ``transient_periods`` dropped, then
    ``periods`` periods sampled at ``pts_per_period``. Long windows matter: several reference
    values came from ~10 periods and are off by factors of 2 to 50 for slow coordinates.
    """
    x = system.trajectory(periods * pts_per_period, pts_per_period=pts_per_period,
                          transient=transient_periods * pts_per_period)
    return {"source": f"chaosbench: default initial condition, {transient_periods} periods "
                      f"dropped, {periods} periods at {pts_per_period} points per period",
            "mean": x.mean(axis=0).tolist(), "std": x.std(axis=0).tolist()}


# ------------------------------------------------------------------------ derived invariants


def kaplan_yorke_dimension(spectrum: Sequence[float], truncated: bool = False) -> float | None:
    """Kaplan-Yorke (Lyapunov) dimension D = j + (l_1 + ... + l_j) / |l_{j+1}|, j the largest
    index with a non-negative partial sum (Kaplan & Yorke 1979, Lecture Notes in Math. 730: 204;
    Frederickson et al. 1983, J. Diff. Eq. 49: 185).

    0 when the largest exponent is negative (a fixed point); the full dimension when every
    partial sum is non-negative (volume-preserving flows, whose sum is zero up to its error);
    None for a ``truncated`` spectrum (the leading exponents of a delay equation) whose partial
    sums are still non-negative at its end.
    """
    lam = np.sort(np.asarray(spectrum, dtype=float))[::-1]
    if lam.size == 0 or lam[0] < 0:
        return 0.0
    partial = np.cumsum(lam)
    j = int(np.nonzero(partial >= 0)[0][-1])  # partial sums fall monotonically once l < 0
    if j == lam.size - 1:
        return None if truncated else float(lam.size)
    return float(j + 1 + partial[j] / abs(lam[j + 1]))


def dominant_period(samples: np.ndarray, spacing: float) -> float:
    """Period of the highest peak of the power spectrum (Welch 1967 averaged periodogram,
    Hann window, segments of a quarter of the series), summed over z-scored coordinates and
    averaged over lanes; the peak is refined by a parabola through the log power of the three
    bins around it. ``samples`` is (lanes, n, D) at time ``spacing``. NaN for constant series."""
    from scipy.signal import welch

    x = np.asarray(samples, dtype=float)
    sd = x.std(axis=1, keepdims=True)
    z = np.where(sd > 0, (x - x.mean(axis=1, keepdims=True)) / np.where(sd > 0, sd, 1.0), 0.0)
    n = z.shape[1]
    nperseg = 2 ** int(math.floor(math.log2(max(16, n // 4))))
    f, p = welch(z, fs=1.0 / spacing, window="hann", nperseg=min(nperseg, n), axis=1)
    power = p.sum(axis=-1).mean(axis=0)  # sum over coordinates, mean over lanes
    power[0] = 0.0
    if not np.any(power > 0):
        return float("nan")
    i = int(np.argmax(power))
    freq = f[i]
    if 1 <= i < len(power) - 1 and np.all(power[i - 1:i + 2] > 0):
        a, b, c = np.log(power[i - 1:i + 2])
        denom = a - 2 * b + c
        if denom < 0:
            freq = f[i] + 0.5 * (a - c) / denom * (f[1] - f[0])
    return float(1.0 / freq)


def correlation_dimension_estimate(samples: np.ndarray) -> tuple[float, float]:
    """Grassberger-Procaccia correlation dimension (Grassberger & Procaccia 1983, Physica D 9:
    189) of each lane's trajectory, by :func:`chaosbench.estimators.correlation_dimension`
    (<= 1000 points, Theiler window, fit where C(r) is 1e-3..3e-2); mean and standard error over
    the lanes."""
    values = np.array([correlation_dimension(lane) for lane in samples], dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    se = values.std(ddof=1) / math.sqrt(values.size) if values.size > 1 else float("nan")
    return float(values.mean()), float(se)


def chaos_verdict(est: SpectrumEstimate, transient: float) -> tuple[bool, str]:
    """Whether the largest exponent is positive beyond its uncertainty.

    A regular orbit (periodic, quasi-periodic) stretches tangent vectors at most linearly in
    time (shear), which alone gives a finite-time exponent of up to log(1 + T / T0) / T, T0 the
    transient and T the averaging time, with little scatter between blocks; chaos keeps its
    rate. So the verdict is "chaotic" when the largest exponent exceeds 3 standard errors and
    twice that bound, both over the whole run and over its second half alone (where the bound
    is log((T0 + T) / (T0 + T/2)) / (T/2), so a decaying, shear-like rate is caught). Returns
    the verdict and a sentence of evidence."""
    lam, se = float(est.exponents[0]), float(est.stderr[0])
    T, T0 = est.time_per_lane, transient
    shear = shear_bound(T0, T)
    half = est.details.get("second_half") or {"mean": lam, "stderr": se, "shear": shear}
    chaotic = is_chaotic(lam, se, half, T0, T)
    tol = np.maximum(3 * est.stderr, 2 * shear)
    zeros = int(np.sum(np.abs(est.exponents) <= tol))
    if chaotic:
        kind = "chaotic"
    elif est.exponents[0] < -tol[0]:
        kind = "a stable equilibrium (every exponent negative)"
    elif zeros <= 1:
        kind = "a periodic orbit (one zero exponent, the flow direction)"
    else:
        kind = f"a quasi-periodic orbit ({zeros} exponents zero within the uncertainty)"
    spectrum = ", ".join(f"{v:.3g}" for v in est.exponents[:6])
    evidence = (f"largest Lyapunov exponent {lam:.3g} +- {se:.2g} (standard error) per unit time "
                f"over {T:.4g} time units on each of {est.samples.shape[0]} orbits from the "
                f"attractor pool, {half['mean']:.3g} +- {half['stderr']:.2g} over the second half; "
                f"regular orbits reach 2 log(1 + T/T0)/T = {2 * shear:.2g} "
                f"({2 * half['shear']:.2g} over the second half); spectrum [{spectrum}"
                f"{', ...' if len(est.exponents) > 6 else ''}]: {kind}")
    return chaotic, evidence


def compute_invariants(system, settings: LyapunovSettings = LyapunovSettings()) -> dict[str, Any]:
    """Every invariant of ``system`` from one set of orbits, as the entries of its invariants
    block (plus ``chaotic`` and ``evidence``, which go to the flags and caveats).

    Lyapunov spectrum and its standard errors (:func:`chaosbench.lyapunov.lyapunov_spectrum`);
    largest exponent by two-trajectory divergence; time average of the Jacobian trace on the
    same orbits (Liouville: the spectrum's sum); Kaplan-Yorke dimension; Grassberger-Procaccia
    correlation dimension and the dominant period from the recorded states (observed
    coordinates: after the system's postprocessing, or the delay embedding); Pesin's bound
    on the Kolmogorov-Sinai entropy, the sum of the positive exponents (Pesin 1977).
    """
    est = lyapunov_spectrum(system, settings)
    samples = est.samples
    if not system.delay and system.postprocessing:
        samples = system.postprocess_states(samples)
    cd, cd_se = correlation_dimension_estimate(samples)
    period = dominant_period(samples, est.spacing)
    spectrum = est.exponents
    transient = est.details["transient_time"]
    chaotic, evidence = chaos_verdict(est, transient)
    ky = kaplan_yorke_dimension(spectrum, truncated=system.delay)

    def r(x: float, digits: int = 6) -> float | None:
        """Round to ``digits`` significant digits (the standard errors justify no more)."""
        if x is None or not np.isfinite(x):
            return None
        return float(f"{x:.{digits}g}")

    block: dict[str, Any] = {
        "source": (f"{SOURCE_PREFIX} v{settings.version}: {est.method}; "
                   f"{settings.lanes} orbits x {est.time_per_lane:.6g} time units after a "
                   f"{transient:.4g} transient, standard errors by batch means over "
                   f"{est.blocks} blocks per orbit"),
        "max_lyapunov": r(spectrum[0]),
        "max_lyapunov_stderr": r(est.stderr[0], 3),
        "lyapunov_spectrum": [r(v) for v in spectrum],
        "lyapunov_spectrum_stderr": [r(v, 3) for v in est.stderr],
    }
    if est.exact_zero:
        block["exact_zero_exponents"] = list(est.exact_zero)
    half = est.details.get("second_half")
    if half is not None:
        block["max_lyapunov_second_half"] = r(half["mean"])
        block["max_lyapunov_second_half_stderr"] = r(half["stderr"], 3)
    block["max_lyapunov_two_trajectory"] = r(est.max_divergence)
    block["max_lyapunov_two_trajectory_stderr"] = r(est.max_divergence_stderr, 3)
    clones_primary = est.details.get("primary") == "clones"
    if clones_primary and est.jacobian_spectrum is not None:
        block["jacobian_spectrum"] = [r(v) for v in est.jacobian_spectrum[0]]
        block["jacobian_spectrum_stderr"] = [r(v, 3) for v in est.jacobian_spectrum[1]]
    if np.isfinite(est.trace_mean):
        block["jacobian_trace_mean"] = r(est.trace_mean, 8)
        block["jacobian_trace_stderr"] = r(est.trace_stderr, 3)
    block["kaplan_yorke_dimension"] = r(ky, 5) if ky is not None else None
    block["correlation_dimension"] = r(cd, 4)
    block["correlation_dimension_stderr"] = r(cd_se, 2)
    block["pesin_entropy"] = r(float(np.sum(spectrum[spectrum > 0])), 5)
    block["period_estimate"] = r(period, 5)
    derived = {"method": "delay" if system.delay else ("clones" if clones_primary else "qr"),
               "blocks": est.blocks, "time_per_lane": r(est.time_per_lane),
               "segment": r(est.segment), "sample_spacing": r(est.spacing),
               "wall_seconds": round(est.wall_seconds, 1)}
    derived["transient_time"] = r(transient)
    derived["escapes"] = est.details.get("escapes", 0)
    for key, name in (("grid_nodes_per_delay", "grid_nodes_per_delay"),
                      ("separation", "separation_used"), ("discontinuities", "discontinuities"),
                      ("jacobian", "jacobian")):
        if key in est.details:
            value = est.details[key]
            derived[name] = r(value) if isinstance(value, float) else value
    block["settings"] = {**settings.to_dict(), **derived}
    return {"block": block, "chaotic": chaotic, "evidence": evidence,
            "wall_seconds": est.wall_seconds}


# ------------------------------------------------------------------------------- writing

_REFERENCE_KEYS = ("max_lyapunov", "lyapunov_spectrum", "kaplan_yorke_dimension",
                   "correlation_dimension", "pesin_entropy", "multiscale_entropy")


def reference_values(current: dict[str, Any]) -> dict[str, Any] | None:
    """The reference catalogue's values to keep under ``reference:``: the existing
    ``reference`` mapping if the block was already recomputed, the block itself if it still
    holds the reference catalogue's values, None for a system that never had any (one added
    with ``chaosbench catalogue add``)."""
    if isinstance(current.get("reference"), dict):
        return current["reference"]
    if not current or str(current.get("source", "")).startswith(SOURCE_PREFIX):
        return None
    ref = {"source": current.get("source")}
    ref.update({k: current[k] for k in _REFERENCE_KEYS if k in current})
    return ref


def write_statistics(name: str, statistics: dict[str, Any]) -> None:
    """Replace the ``statistics:`` block of ``systems/<name>.yaml`` (see
    :func:`attractor_statistics`)."""
    write_block(name, "statistics", statistics)


def write_invariants(name: str, block: dict[str, Any]) -> None:
    """Replace the ``invariants:`` block of ``systems/<name>.yaml`` with ``block`` (nested
    mappings in flow style), keeping the reference catalogue's values, where the system has
    any, under ``reference:``."""
    values = dict(block)
    reference = reference_values(_current_invariants(name))
    if reference is not None:
        values["reference"] = reference
    write_block(name, "invariants", values)


def _current_invariants(name: str) -> dict[str, Any]:
    try:
        return dict(load_spec(name).get("invariants") or {})
    except SpecError:  # a new file, before its computed entries are written
        return dict((yaml.safe_load(system_path(name).read_text(encoding="utf-8")) or {})
                    .get("invariants") or {})


def flag_not_chaotic(name: str, caveat: str) -> bool:
    """Set ``chaotic: false`` in the flags of ``systems/<name>.yaml`` and add ``caveat`` under
    ``caveats:`` (the style of PanXuZhou.yaml). Systems already flagged are left as they are;
    returns whether the file changed."""
    spec = load_spec(name)
    if not spec["flags"].get("chaotic", True):
        return False

    edit(system_path(name), lambda lines: mark_not_chaotic(lines, caveat))
    load_spec.cache_clear()
    return True
