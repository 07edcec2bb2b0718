"""The Lyapunov spectrum of an ODE by QR re-orthonormalisation of a tangent flow.

The whole spectrum comes from re-orthonormalising a tangent basis that evolves under the
variational equations (Benettin, Galgani, Giorgilli & Strelcyn 1980, Meccanica 15: 9-30; Shimada
& Nagashima 1979, Prog. Theor. Phys. 61: 1605), with QR instead of Gram-Schmidt; the largest
exponent also by two-trajectory divergence with renormalisation (Benettin, Galgani & Strelcyn
1976, Phys. Rev. A 14: 2338) on the same orbits, which uses the nonlinear flow only and so also
checks the Jacobian (for an estimate on *other* orbits see :mod:`chaosbench.lyapunov.crosscheck`).

Fields that jump across a surface (``sign``, ``heaviside``, ``where`` of the state; see
:func:`~chaosbench.lyapunov.tangent.discontinuities`) have an almost-everywhere Jacobian that
misses the jumps (their saltation matrices; Mueller 1995): for them the whole spectrum also
comes from ``k`` perturbed copies of the state evolved by the nonlinear flow and
re-orthonormalised like the tangent basis (the form in which Benettin et al. first computed
spectra), and that spectrum is the primary one. A field whose Jacobian is not finite on the
attractor gets only the copies. An orbit that leaves the attractor (100 standard deviations
away) is restarted from the pool and its block dropped. Randomness: only
``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import math
import time

import numpy as np

from chaosbench import integrate
from chaosbench.lyapunov.qr import orthonormalise
from chaosbench.lyapunov.settings import LyapunovSettings, SpectrumEstimate
from chaosbench.lyapunov.statistics import batch_stats, second_half, should_stop
from chaosbench.lyapunov.tangent import discontinuities, tangent_flow

__all__ = ["ode_spectrum"]


def _jacobian_finite(system, pool: np.ndarray) -> bool:
    """Whether the exact Jacobian is finite on the attractor pool (it is not where the field is
    not Lipschitz, e.g. sqrt(max(0, x)) at x = 0)."""
    try:
        J = system.jacobian(pool)
    except (ZeroDivisionError, FloatingPointError, ValueError):
        return False
    return bool(np.all(np.isfinite(J)))


def _spread_rate(system, active: tuple[int, ...], pool: np.ndarray) -> float:
    """How fast tangent directions separate: the spread between the largest and the smallest
    real part of the Jacobian's eigenvalues, averaged over the pool after clipping at its 95th
    percentile (so that a narrow spike of J, e.g. tanh(2200 x), does not dominate). It tracks
    l_1 - l_k within a factor of about 1 to 2 on the catalogue's dissipative systems (the
    symmetric part's spread overestimates it up to 100x for strongly non-normal J). QR steps
    are ``growth / rate`` apart, so that no direction outgrows another by much more than
    e^growth."""
    if len(active) < 2:
        return 0.0
    try:
        J = system.jacobian(pool)[:, active][:, :, active]
    except (ZeroDivisionError, FloatingPointError, ValueError):
        J = np.full((1, len(active), len(active)), np.nan)
    ok = np.all(np.isfinite(J), axis=(1, 2))
    if not ok.any():  # no usable Jacobian: fall back on a field-based rate
        v = np.linalg.norm(system.rhs(pool)[:, active], axis=1)
        span = np.linalg.norm(pool[:, active].std(axis=0))
        return float(np.mean(v) / span) if span > 0 else 0.0
    re = np.linalg.eigvals(J[ok]).real
    spread = re.max(axis=1) - re.min(axis=1)
    return float(np.mean(np.minimum(spread, np.quantile(spread, 0.95))))


def _grid(period: float, rate: float, s: LyapunovSettings) -> tuple[float, int, int, int]:
    """Time grid: unit ``u``, segment = ``per_segment`` units, a sample every ``per_sample``
    units, a block = ``per_block`` units (a multiple of the segment)."""
    spacing = period / s.samples_per_period
    target = min(s.growth / rate if rate > 0 else np.inf, period)
    per_sample = max(1, math.ceil(spacing / target)) if target < spacing else 1
    u = spacing / per_sample
    per_block = max(1, round(s.block_periods * s.samples_per_period)) * per_sample
    fit = max(1, int(target / u + 1e-9))
    per_segment = max(q for q in range(1, min(fit, per_block) + 1) if per_block % q == 0)
    return u, per_segment, per_sample, per_block


def ode_spectrum(system, settings: LyapunovSettings = LyapunovSettings()) -> SpectrumEstimate:
    """Lyapunov spectrum of an ODE system by QR re-orthonormalisation of the variational
    equations with the exact Jacobian (Benettin et al. 1980; Shimada & Nagashima 1979); its
    largest exponent also by two-trajectory divergence on the same orbits (Benettin et al. 1976).

    ``settings.lanes`` orbits start from states of the attractor pool (seeded), run
    ``transient_periods`` for the tangent basis to align, then blocks of ``block_periods`` until
    the largest exponent's batch-means standard error meets the targets (or ``max_blocks``).

    Fields that jump across a surface (:func:`discontinuities`) get the whole spectrum also from
    ``k`` perturbed copies of the state evolved by the nonlinear flow and re-orthonormalised
    (the "clone" form of Benettin et al.'s method), which includes the jumps' effect; that
    spectrum is the primary one there. Fields whose Jacobian is not finite on the attractor get
    only the clone spectrum.
    """
    s = settings
    wall = time.perf_counter()
    eq = system.equations
    pool = np.asarray(system.attractor_pool(), dtype=float)
    jumps = discontinuities(eq)
    jacobian = _jacobian_finite(system, pool)
    d = len(eq.variables)
    k = sum(1 for f in eq.rhs if f.free_symbols & set(eq.variables))
    clones = k if (jumps or not jacobian) else min(1, k)
    try:
        return _ode_spectrum(system, s, pool, jacobian, clones, jumps, wall)
    except ZeroDivisionError:  # the Jacobian met a singular point off the pool
        if not jacobian:
            raise
        return _ode_spectrum(system, s, pool, False, k, jumps, wall)


def _ode_spectrum(system, s: LyapunovSettings, pool, jacobian: bool, clones: int,
                  jumps: tuple[str, ...], wall: float) -> SpectrumEstimate:
    vr = tangent_flow(system.equations, jacobian, clones)
    d, k, L, c = vr.d, vr.k, s.lanes, clones
    q0, tr, c0 = vr.q0, vr.trace, vr.c0
    act = np.array(vr.active, dtype=np.int64)
    rng = np.random.default_rng(s.seed)
    rate = _spread_rate(system, vr.active, pool)
    u, per_segment, per_sample, per_block = _grid(system.period, rate, s)
    segment, block_time = per_segment * u, per_block * u
    segments_per_block = per_block // per_segment
    n_transient = max(1, math.ceil(s.transient_periods * system.period / segment))
    scale = float(np.sqrt(np.mean(pool[:, act].var(axis=0)))) if k else 1.0
    d0 = (s.jump_separation if jumps else s.separation) * (scale if scale > 0 else 1.0)
    # An orbit more than 100 attractor standard deviations away in a bounded coordinate has
    # left the attractor (a few catalogued systems have escaping orbits): it is restarted from
    # the pool and the block it was in is dropped for that lane.
    bounded = np.array([i for i in vr.active if i not in system.unbounded_indices], dtype=np.int64)
    centre, spread = pool[:, bounded].mean(axis=0), pool[:, bounded].std(axis=0)

    y = np.zeros((vr.n_ext, L))
    warm = np.full(L, n_transient)      # segments each lane still has to run before recording
    ever_escaped = np.zeros(L, dtype=bool)

    def seed_lane(lane: int) -> None:
        x = pool[rng.integers(len(pool))]
        y[:, lane] = 0.0
        y[:d, lane] = x
        if jacobian and k:
            y[q0:tr, lane] = s.tangent_scale * np.linalg.qr(rng.standard_normal((k, k)))[0].ravel()
        if c:
            offsets = np.zeros((d, c))
            offsets[act] = d0 * np.linalg.qr(rng.standard_normal((k, c)))[0]
            y[c0:, lane] = (x[:, None] + offsets).T.ravel()

    for lane in range(L):
        seed_lane(lane)

    program = vr.program
    R = system.field.registers(L, program)
    tableau = integrate.ode_tableau()
    bound = system.field.bound
    samples: list[np.ndarray] = []
    logs_j = np.zeros((L, k))
    logs_c = np.zeros((L, c))
    complete = np.ones(L, dtype=bool)   # lane recorded the whole current block
    est_j, est_c, est_tr = [], [], []
    trace_start = np.zeros(L)
    g = 0  # grid index of the current time
    steps = 0
    escapes = 0

    def advance(in_block: bool) -> None:
        nonlocal g, steps, escapes
        idx = np.arange(g + 1, g + per_segment + 1)
        times = idx * u
        Y, status, t_reached, most = integrate.solve_ode(
            program.code, R, program.outputs, y, g * u, times, s.rtol, s.atol, bound,
            1_000_000, *tableau)
        if status != integrate.OK:
            raise system.integration_error(status, t_reached, times[-1])
        steps += most
        if in_block:
            keep = idx % per_sample == 0
            if keep.any():
                samples.append(Y[keep, :d, :])
        y[:] = Y[-1]
        g += per_segment
        recording = in_block & (warm == 0)
        if jacobian and k:
            Qm, logs = orthonormalise(y[q0:tr].T.reshape(L, k, k) / s.tangent_scale)
            y[q0:tr] = s.tangent_scale * Qm.reshape(L, k * k).T
            logs_j[recording] += logs[recording]
        if c:
            X = y[c0:].T.reshape(L, c, d)                       # clone states
            D = (X[:, :, act] - y[:d].T[:, None, act]) / d0     # (L, c, k)
            Qm, logs = orthonormalise(np.transpose(D, (0, 2, 1)))
            X[:] = y[:d].T[:, None, :]
            X[:, :, act] += d0 * np.transpose(Qm, (0, 2, 1))
            y[c0:] = X.reshape(L, c * d).T
            logs_c[recording] += logs[recording]
        complete[in_block & (warm > 0)] = False
        warm[:] = np.maximum(warm - 1, 0)
        far = np.any(np.abs(y[bounded].T - centre) > 100 * spread, axis=1) if bounded.size \
            else np.zeros(L, dtype=bool)
        for lane in np.nonzero(far)[0]:
            escapes += 1
            ever_escaped[lane] = True
            seed_lane(lane)
            warm[lane] = n_transient
            complete[lane] = False

    for _ in range(n_transient):
        advance(in_block=False)
    if jacobian:
        trace_start[:] = y[tr]
    primary_is_clone = bool(c == k and k and (jumps or not jacobian))
    blocks = 0
    while True:
        complete[:] = True
        for _ in range(segments_per_block):
            advance(in_block=True)
        blocks += 1
        drop = np.where(complete, 1.0, np.nan)[:, None]
        est_j.append(logs_j / block_time * drop)
        est_c.append(logs_c / block_time * drop)
        if jacobian:
            est_tr.append((y[tr] - trace_start) / block_time * drop[:, 0])
            trace_start[:] = y[tr]
        logs_j[:] = 0.0
        logs_c[:] = 0.0
        if escapes > 4 * L:
            raise RuntimeError(f"{system.name}: {escapes} orbits left the attractor")
        if not k and blocks >= s.min_blocks:
            break
        if k and should_stop(blocks, est_c if primary_is_clone else est_j, block_time,
                       n_transient * segment, system.period, s):
            break

    def spectrum(est: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        mean, se = batch_stats(np.concatenate(est))
        mean = np.concatenate([mean, np.zeros(len(vr.phase))])
        se = np.concatenate([se, np.zeros(len(vr.phase))])
        order = np.argsort(-mean, kind="stable")
        return mean[order], se[order]

    jac = spectrum(est_j) if jacobian else None
    clo = spectrum(est_c) if c == k else None
    first_clone = batch_stats(np.concatenate(est_c)[:, 0]) if c else (0.0, 0.0)
    if jacobian:
        tr_mean, tr_se = batch_stats(np.concatenate(est_tr))
    else:
        tr_mean, tr_se = float("nan"), float("nan")
    exponents, stderr = clo if primary_is_clone else (jac if jacobian else clo)
    primary = est_c if primary_is_clone else est_j
    if k:
        column = int(np.nanargmax(batch_stats(np.concatenate(primary))[0]))
        half = second_half(primary, column, block_time, n_transient * segment)
    else:
        half = {"mean": 0.0, "stderr": 0.0, "shear": 0.0}
    if primary_is_clone:
        method = (f"QR re-orthonormalisation of {k} perturbed copies evolved by the nonlinear flow "
                  f"(Benettin et al.; the field jumps across surfaces: {', '.join(jumps)}), DOP853"
                  if jumps else
                  f"QR re-orthonormalisation of {k} perturbed copies evolved by the nonlinear flow "
                  "(Benettin et al.; the exact Jacobian is not finite on the attractor), DOP853")
    else:
        method = ("QR re-orthonormalisation of the variational equations with the exact "
                  "Jacobian (Benettin et al. 1980), DOP853")
    keep = ~ever_escaped if (~ever_escaped).sum() >= 2 else np.ones(L, dtype=bool)
    return SpectrumEstimate(
        exponents=exponents, stderr=stderr,
        exact_zero=tuple(system.variables[i] for i in vr.phase),
        max_divergence=float(first_clone[0]), max_divergence_stderr=float(first_clone[1]),
        trace_mean=float(tr_mean), trace_stderr=float(tr_se),
        time_per_lane=blocks * block_time, blocks=blocks, segment=segment,
        samples=np.concatenate(samples, axis=0).transpose(2, 0, 1)[keep],
        spacing=u * per_sample, method=method,
        jacobian_spectrum=jac, clone_spectrum=clo,
        details={"segments": int(blocks * segments_per_block + n_transient),
                 "transient_segments": int(n_transient), "spread_rate": rate,
                 "separation": d0, "steps": int(steps), "discontinuities": list(jumps),
                 "jacobian": jacobian, "clones": c, "escapes": escapes, "second_half": half,
                 "transient_time": n_transient * segment,
                 "primary": "clones" if primary_is_clone else "jacobian"},
        wall_seconds=time.perf_counter() - wall)
