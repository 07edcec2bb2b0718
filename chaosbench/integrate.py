"""Integrators for compiled vector fields: ODEs, delay equations and SDEs.

All three run a :class:`~chaosbench.compile.Program` on a batch of trajectories at once (the lanes of
the register file) and are JIT-compiled by Numba once, for every system (cached on disk).

* :func:`solve_ode` -- Dormand & Prince's explicit Runge-Kutta 8(5,3) pair (DOP853; Hairer, Norsett
  & Wanner, *Solving Ordinary Differential Equations I*, 2nd ed., 1993, Sec. II.10) with adaptive
  steps and its 7th-order dense output, so sampling never shortens a step. The batch advances in
  lockstep: a step is accepted when every trajectory meets the tolerance (the error norm is the
  maximum over the batch of each trajectory's RMS norm), so each trajectory is at least as accurate
  as it would be alone. Tableau from SciPy (``scipy.integrate._ivp.dop853_coefficients``).
* :func:`solve_dde` -- the method of steps for ``x'(t) = f(x(t), x(t - tau), t)``: classical RK4
  on a grid whose step divides ``tau``, so delayed values fall on grid nodes or midpoints, where
  cubic Hermite interpolation of the stored solution keeps fourth order.
* :func:`solve_sde` -- additive-noise SDE ``dx = f dt + sigma dW`` by the stochastic Heun method
  (strong order 1 for additive noise; Kloeden & Platen 1992), with increments drawn by the caller.

Integrators return a status code instead of raising (Numba); :mod:`chaosbench.system` turns it into
an error that names the system and the time reached.
"""

from __future__ import annotations

import numba
import numpy as np
from scipy.integrate._ivp import dop853_coefficients as _dop

from chaosbench.vm import run

OK, BLOWUP, STEP_UNDERFLOW, TOO_MANY_STEPS = 0, 1, 2, 3
STATUS = {BLOWUP: "the state became non-finite or exceeded the blow-up bound",
          STEP_UNDERFLOW: "the step size fell below the resolution of the time axis",
          TOO_MANY_STEPS: "the step budget was exhausted"}

_A = np.ascontiguousarray(_dop.A, dtype=float)     # (16, 16), rows 13..15: dense-output stages
_B = np.ascontiguousarray(_dop.B, dtype=float)     # (12,)
_C = np.ascontiguousarray(_dop.C, dtype=float)     # (16,)
_E3 = np.ascontiguousarray(_dop.E3, dtype=float)   # (13,)
_E5 = np.ascontiguousarray(_dop.E5, dtype=float)   # (13,)
_D = np.ascontiguousarray(_dop.D, dtype=float)     # (4, 16)


@numba.njit(cache=True, nogil=True)
def _field(code, R, out, n_state, t_reg, y, t, K, s, lanes):
    """K[s] = f(y, t) for the first ``lanes`` lanes; y and K[s] are (n_state, lanes), t (lanes,)."""
    for i in range(n_state):
        for j in range(lanes):
            R[i, j] = y[i, j]
    for j in range(lanes):
        R[t_reg, j] = t[j]
    run(code, R, lanes)
    for i in range(n_state):
        r = out[i]
        for j in range(lanes):
            K[s, i, j] = R[r, j]


@numba.njit(cache=True, nogil=True)
def _combine(dst, y, K, a, s, h, lanes):
    """dst = y + h * sum_{q < s} a[q] K[q] per lane (h per lane), skipping the tableau's zeros."""
    n = y.shape[0]
    for i in range(n):
        for j in range(lanes):
            dst[i, j] = y[i, j]
    for q in range(s):
        c = a[q]
        if c != 0.0:
            for i in range(n):
                for j in range(lanes):
                    dst[i, j] += c * h[j] * K[q, i, j]


@numba.njit(cache=True, nogil=True)
def _error_norms(K, h, y, y_new, rtol, atol, E3, E5, err, lanes):
    """DOP853's error estimate for each lane (Hairer et al. 1993, Sec. II.10)."""
    n = y.shape[0]
    for j in range(lanes):
        e5 = 0.0
        e3 = 0.0
        for i in range(n):
            scale = atol + rtol * max(abs(y[i, j]), abs(y_new[i, j]))
            a5 = 0.0
            a3 = 0.0
            for s in range(13):
                a5 += E5[s] * K[s, i, j]
                a3 += E3[s] * K[s, i, j]
            e5 += (a5 / scale) ** 2
            e3 += (a3 / scale) ** 2
        if e5 == 0.0 and e3 == 0.0:
            err[j] = 0.0
        else:
            err[j] = abs(h[j]) * e5 / np.sqrt((e5 + 0.01 * e3) * n)


@numba.njit(cache=True, nogil=True)
def _initial_steps(code, R, out, y, t, K, ytmp, tt, h, rtol, atol, t_end, lanes):
    """Starting step per lane (Hairer, Norsett & Wanner 1993, Sec. II.4); needs K[0] = f(y)."""
    n = y.shape[0]
    for j in range(lanes):
        d0 = 0.0
        d1 = 0.0
        for i in range(n):
            sc = atol + abs(y[i, j]) * rtol
            d0 += (y[i, j] / sc) ** 2
            d1 += (K[0, i, j] / sc) ** 2
        d0 = np.sqrt(d0 / n)
        d1 = np.sqrt(d1 / n)
        h[j] = min(1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1, t_end - t[j])
        for i in range(n):
            ytmp[i, j] = y[i, j] + h[j] * K[0, i, j]
        tt[j] = t[j] + h[j]
    _field(code, R, out, n, n, ytmp, tt, K, 1, lanes)
    for j in range(lanes):
        d1 = 0.0
        d2 = 0.0
        for i in range(n):
            sc = atol + abs(y[i, j]) * rtol
            d1 += (K[0, i, j] / sc) ** 2
            d2 += ((K[1, i, j] - K[0, i, j]) / sc) ** 2
        d1 = np.sqrt(d1 / n)
        d2 = np.sqrt(d2 / n) / h[j]
        if d1 <= 1e-15 and d2 <= 1e-15:
            h1 = max(1e-6, h[j] * 1e-3)
        else:
            h1 = (0.01 / max(d1, d2)) ** (1.0 / 8.0)
        h[j] = min(100 * h[j], h1)


@numba.njit(cache=True, nogil=True)
def solve_ode(code, R, out, y0, t0, times, rtol, atol, bound, max_steps, A, B, C, E3, E5, D):
    """Integrate every lane from (t0, y0[:, lane]) and return its state at ``times``.

    Each lane keeps its own step size, so one trajectory crossing a kink of a piecewise-smooth
    field does not shrink the others' steps, while every stage still evaluates the field for all
    lanes in one pass of the VM. Lanes that reach the end are compacted away, so a slow lane ends
    up running alone.

    Args: code/R/out: the compiled field (registers: state, time, parameters, ...);
    y0: (n_state, lanes); times: ascending, >= t0. Returns ``(Y, status, t_reached, steps)``,
    Y (len(times), n_state, lanes); ``steps`` is the largest number of steps (accepted or not)
    taken by one lane.
    """
    n, L = y0.shape
    t_reg = n
    n_out = times.shape[0]
    Y = np.full((n_out, n, L), np.nan)
    K = np.empty((16, n, L))
    F = np.empty((7, n, L))
    y = y0.copy()
    y_new = np.empty_like(y)
    ytmp = np.empty_like(y)
    t = np.full(L, t0)
    tt = np.empty(L)
    h = np.empty(L)
    t_next = np.empty(L)
    err = np.empty(L)
    k = np.zeros(L, dtype=np.int64)
    steps = np.zeros(L, dtype=np.int64)
    rejected = np.zeros(L, dtype=np.bool_)
    accepted = np.zeros(L, dtype=np.bool_)
    lane = np.arange(L)  # slot -> lane, as finished lanes are compacted away
    k0 = 0
    while k0 < n_out and times[k0] <= t0:
        Y[k0] = y
        k0 += 1
    if k0 == n_out:
        return Y, OK, t0, 0
    k[:] = k0
    t_end = times[n_out - 1]
    active = L
    _field(code, R, out, n, t_reg, y, t, K, 0, active)
    _initial_steps(code, R, out, y, t, K, ytmp, tt, h, rtol, atol, t_end, active)
    most = 0
    tiny = 4 * np.finfo(np.float64).eps
    while active > 0:
        for j in range(active):
            if steps[j] >= max_steps:
                return Y, TOO_MANY_STEPS, t[j], steps[j]
            if h[j] >= t_end - t[j]:
                h[j] = t_end - t[j]
                t_next[j] = t_end
            else:
                t_next[j] = t[j] + h[j]
            if h[j] <= tiny * max(abs(t[j]), 1.0):
                return Y, STEP_UNDERFLOW, t[j], steps[j]
            steps[j] += 1
        for s in range(1, 12):
            _combine(ytmp, y, K, A[s], s, h, active)
            for j in range(active):
                tt[j] = t[j] + C[s] * h[j]
            _field(code, R, out, n, t_reg, ytmp, tt, K, s, active)
        _combine(y_new, y, K, B, 12, h, active)
        _field(code, R, out, n, t_reg, y_new, t_next, K, 12, active)
        _error_norms(K, h, y, y_new, rtol, atol, E3, E5, err, active)

        dense = False
        for j in range(active):
            e = err[j]
            accepted[j] = np.isfinite(e) and e <= 1.0
            if not accepted[j]:
                h[j] *= 0.2 if not np.isfinite(e) else max(0.2, 0.9 * e ** (-1.0 / 8.0))
                rejected[j] = True
                continue
            for i in range(n):
                if not abs(y_new[i, j]) <= bound:
                    return Y, BLOWUP, t[j], steps[j]
            if times[k[j]] <= t_next[j]:
                dense = True
        if dense:
            # Three extra stages and the 7th-order interpolant's coefficients.
            for s in range(13, 16):
                _combine(ytmp, y, K, A[s], s, h, active)
                for j in range(active):
                    tt[j] = t[j] + C[s] * h[j]
                _field(code, R, out, n, t_reg, ytmp, tt, K, s, active)
            for i in range(n):
                for j in range(active):
                    dy = y_new[i, j] - y[i, j]
                    F[0, i, j] = dy
                    F[1, i, j] = h[j] * K[0, i, j] - dy
                    F[2, i, j] = 2.0 * dy - h[j] * (K[12, i, j] + K[0, i, j])
            for r in range(4):
                for i in range(n):
                    for j in range(active):
                        acc = 0.0
                        for q in range(16):
                            acc += D[r, q] * K[q, i, j]
                        F[3 + r, i, j] = h[j] * acc
            for j in range(active):
                if not accepted[j]:
                    continue
                while k[j] < n_out and times[k[j]] <= t_next[j]:
                    # y(t + x h) = y + x(F0 + (1-x)(F1 + x(F2 + (1-x)(F3 + x(F4 + (1-x)(F5 + x F6))))))
                    x = (times[k[j]] - t[j]) / h[j]
                    for i in range(n):
                        v = F[6, i, j] * x
                        v = (v + F[5, i, j]) * (1.0 - x)
                        v = (v + F[4, i, j]) * x
                        v = (v + F[3, i, j]) * (1.0 - x)
                        v = (v + F[2, i, j]) * x
                        v = (v + F[1, i, j]) * (1.0 - x)
                        v = (v + F[0, i, j]) * x
                        Y[k[j], i, lane[j]] = y[i, j] + v
                    k[j] += 1
        for j in range(active):
            if not accepted[j]:
                continue
            e = err[j]
            factor = 10.0 if e == 0.0 else min(10.0, 0.9 * e ** (-1.0 / 8.0))
            if rejected[j]:
                factor = min(1.0, factor)
            rejected[j] = False
            h[j] *= factor
            t[j] = t_next[j]
            for i in range(n):
                y[i, j] = y_new[i, j]
                K[0, i, j] = K[12, i, j]
        # Compact: move unfinished lanes to the front.
        w = 0
        for j in range(active):
            if k[j] < n_out:
                if w != j:
                    for i in range(n):
                        y[i, w] = y[i, j]
                        K[0, i, w] = K[0, i, j]
                    t[w] = t[j]
                    h[w] = h[j]
                    k[w] = k[j]
                    steps[w] = steps[j]
                    rejected[w] = rejected[j]
                    lane[w] = lane[j]
                w += 1
            else:
                most = max(most, steps[j])
        active = w
    return Y, OK, t_end, most


def ode_tableau():
    """The DOP853 coefficient arrays in the order :func:`solve_ode` takes them."""
    return _A, _B, _C, _E3, _E5, _D


@numba.njit(cache=True, nogil=True)
def _history(hist, tau, s):
    """Initial history at time s <= 0: piecewise-linear through hist[k] = x(-k tau / (E - 1))."""
    E = hist.shape[0]
    u = -s / tau * (E - 1)
    k = min(int(np.floor(u)), E - 2)
    w = u - k
    return (1.0 - w) * hist[k] + w * hist[k + 1]


@numba.njit(cache=True, nogil=True)
def _scalar_field(code, R, out, x, xd, t, lanes):
    for j in range(lanes):
        R[0, j] = x[j]
        R[1, j] = xd[j]
        R[2, j] = t
    run(code, R, lanes)
    return R[out[0], :lanes].copy()


@numba.njit(cache=True, nogil=True)
def solve_dde(code, R, out, hist, tau, h, n_steps, bound):
    """Method of steps for the scalar delay equation x' = f(x(t), x(t - tau), t), t >= 0.

    ``hist`` (E, lanes) gives the initial history (see :func:`_history`); ``h`` must divide ``tau``.
    Returns ``(X, Fx, status, t_reached)``: the solution and its derivative on the grid
    ``i * h``, i = 0..n_steps, for Hermite interpolation (:func:`dde_sample`).
    """
    lanes = hist.shape[1]
    m = int(round(tau / h))
    X = np.full((n_steps + 1, lanes), np.nan)
    Fx = np.full((n_steps + 1, lanes), np.nan)
    X[0] = hist[0]
    xd0 = np.empty(lanes)
    xdh = np.empty(lanes)
    xd1 = np.empty(lanes)
    for i in range(n_steps + 1):
        t = i * h
        # Delayed values at t - tau, t + h/2 - tau and t + h - tau.
        a = i - m
        for j in range(lanes):
            if a >= 0:
                xd0[j] = X[a, j]
            else:
                xd0[j] = _history(hist[:, j], tau, t - tau)
            if a >= 0:
                xdh[j] = 0.5 * (X[a, j] + X[a + 1, j]) + h * (Fx[a, j] - Fx[a + 1, j]) / 8.0
            else:
                xdh[j] = _history(hist[:, j], tau, t + 0.5 * h - tau)
            if a + 1 >= 0:
                xd1[j] = X[a + 1, j]
            else:
                xd1[j] = _history(hist[:, j], tau, t + h - tau)
        k1 = _scalar_field(code, R, out, X[i], xd0, t, lanes)
        Fx[i] = k1
        if i == n_steps:
            break
        k2 = _scalar_field(code, R, out, X[i] + 0.5 * h * k1, xdh, t + 0.5 * h, lanes)
        k3 = _scalar_field(code, R, out, X[i] + 0.5 * h * k2, xdh, t + 0.5 * h, lanes)
        k4 = _scalar_field(code, R, out, X[i] + h * k3, xd1, t + h, lanes)
        X[i + 1] = X[i] + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        for j in range(lanes):
            if not abs(X[i + 1, j]) <= bound:
                return X, Fx, BLOWUP, t
    return X, Fx, OK, n_steps * h


@numba.njit(cache=True, nogil=True)
def dde_sample(X, Fx, hist, tau, h, times):
    """x at ``times`` (any order, may be negative) from the grid solution of :func:`solve_dde`:
    the initial history for t <= 0, cubic Hermite interpolation on the grid after."""
    lanes = X.shape[1]
    out = np.empty((times.shape[0], lanes))
    last = X.shape[0] - 1
    for q in range(times.shape[0]):
        s = times[q]
        if s <= 0.0:
            for j in range(lanes):
                out[q, j] = _history(hist[:, j], tau, s)
            continue
        a = min(int(s / h), last - 1)
        w = s / h - a
        h00 = (1 + 2 * w) * (1 - w) ** 2
        h10 = w * (1 - w) ** 2
        h01 = w * w * (3 - 2 * w)
        h11 = w * w * (w - 1)
        for j in range(lanes):
            out[q, j] = (h00 * X[a, j] + h10 * h * Fx[a, j]
                         + h01 * X[a + 1, j] + h11 * h * Fx[a + 1, j])
    return out


@numba.njit(cache=True, nogil=True)
def solve_sde(code, R, out, y0, t0, h, substeps, n_samples, sigma, dW, bound):
    """Stochastic Heun steps of size ``h`` for dx = f(x, t) dt + sigma dW, recording every
    ``substeps`` steps. ``dW`` (n_samples * substeps, n_state, lanes) holds N(0, h) increments.
    Returns ``(Y, status, t_reached)`` with Y (n_samples, n_state, lanes); Y[0] = y0."""
    n, lanes = y0.shape
    Y = np.full((n_samples, n, lanes), np.nan)
    K = np.empty((2, n, lanes))
    y = y0.copy()
    ytmp = np.empty_like(y)
    Y[0] = y
    t = t0
    tt = np.empty(lanes)
    for k in range(1, n_samples):
        for r in range(substeps):
            w = dW[(k - 1) * substeps + r]
            tt[:] = t
            _field(code, R, out, n, n, y, tt, K, 0, lanes)
            for i in range(n):
                for j in range(lanes):
                    ytmp[i, j] = y[i, j] + h * K[0, i, j] + sigma[i] * w[i, j]
            tt[:] = t + h
            _field(code, R, out, n, n, ytmp, tt, K, 1, lanes)
            for i in range(n):
                for j in range(lanes):
                    y[i, j] += 0.5 * h * (K[0, i, j] + K[1, i, j]) + sigma[i] * w[i, j]
                    if not abs(y[i, j]) <= bound:
                        return Y, BLOWUP, t
            t += h
        Y[k] = y
    return Y, OK, t
