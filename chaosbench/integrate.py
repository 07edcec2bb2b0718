"""Integrators for compiled vector fields: ODEs, delay equations and SDEs.

All three run a :class:`~chaosbench.compile.Program` on a batch of trajectories at once (the lanes of
the register file). Each kernel is compiled once for every system and cached on disk
(:mod:`chaosbench.jit`): helpers take the same argument types at every call (no literal
specialisations, so nothing is compiled twice), the virtual machine is called from the integrators
directly (its code is linked once per integrator), helpers called only from kernels carry no
Python wrapper (:func:`chaosbench.jit.helper`), and arrays are filled by explicit loops, so no
kernel carries Numba's broadcasting and error-message code.

* :func:`solve_ode` -- Dormand & Prince's explicit Runge-Kutta 8(5,3) pair (DOP853; Hairer, Norsett
  & Wanner, *Solving Ordinary Differential Equations I*, 2nd ed., 1993, Sec. II.10) with adaptive
  steps and its 7th-order dense output, so sampling never shortens a step. Each lane keeps its own
  step size; finished lanes are compacted away. Tableau: :mod:`chaosbench.dop853`.
* :func:`solve_dde` -- the method of steps for ``x'(t) = f(x(t), x(t - tau), t)``: classical RK4
  on a grid whose step divides ``tau``, so delayed values fall on grid nodes or midpoints, where
  cubic Hermite interpolation keeps fourth order. Memory is a ring buffer of one delay; samples of
  the delay embedding are written as the integration passes them.
* :func:`solve_sde` -- additive-noise SDE ``dx = f dt + sigma dW`` by the stochastic Heun method
  (strong order 1 for additive noise; Kloeden & Platen 1992), with increments drawn by the caller.

Integrators return a status code instead of raising (Numba); :mod:`chaosbench.dynamics` turns it
into an error that names the system and the time reached.
"""

from __future__ import annotations

import numpy as np

from chaosbench import dop853
from chaosbench.jit import helper, kernel
from chaosbench.vm import run

OK, BLOWUP, STEP_UNDERFLOW, TOO_MANY_STEPS = 0, 1, 2, 3
STATUS = {BLOWUP: "the state became non-finite or exceeded the blow-up bound",
          STEP_UNDERFLOW: "the step size fell below the resolution of the time axis",
          TOO_MANY_STEPS: "the step budget was exhausted"}

_TABLEAU = tuple(np.ascontiguousarray(a, dtype=float)
                 for a in (dop853.A, dop853.B, dop853.C, dop853.E3, dop853.E5, dop853.D))


def ode_tableau():
    """The DOP853 coefficient arrays in the order :func:`solve_ode` takes them."""
    return _TABLEAU


@helper
def _load(R, x, t, n, lanes):
    """Inputs of a field evaluation: registers 0..n-1 = x, register n = t (per lane)."""
    for i in range(n):
        for j in range(lanes):
            R[i, j] = x[i, j]
    for j in range(lanes):
        R[n, j] = t[j]


@helper
def _store(R, out, Ks, n, lanes):
    """Ks = the program's outputs (one stage of K)."""
    for i in range(n):
        r = out[i]
        for j in range(lanes):
            Ks[i, j] = R[r, j]


@helper
def _combine(dst, tt, y, t, K, a, s, c, h, lanes):
    """dst = y + h sum_{q < s} a[q] K[q] and tt = t + c h, per lane (h per lane), skipping the
    tableau's zeros."""
    n = y.shape[0]
    for i in range(n):
        for j in range(lanes):
            dst[i, j] = y[i, j]
    for q in range(s):
        aq = a[q]
        if aq != 0.0:
            for i in range(n):
                for j in range(lanes):
                    dst[i, j] += aq * h[j] * K[q, i, j]
    for j in range(lanes):
        tt[j] = t[j] + c * h[j]


@helper
def _error_norms(K, h, y, y_new, rtol, atol, E3, E5, err, e3, a5, a3, lanes):
    """DOP853's error estimate for each lane (Hairer et al. 1993, Sec. II.10); e3, a5 and a3 are
    scratch."""
    n = y.shape[0]
    for j in range(lanes):
        err[j] = 0.0
        e3[j] = 0.0
    for i in range(n):
        for j in range(lanes):
            a5[j] = 0.0
            a3[j] = 0.0
        for s in range(13):
            c5 = E5[s]
            c3 = E3[s]
            if c5 != 0.0 or c3 != 0.0:
                for j in range(lanes):
                    a5[j] += c5 * K[s, i, j]
                    a3[j] += c3 * K[s, i, j]
        for j in range(lanes):
            scale = atol + rtol * max(abs(y[i, j]), abs(y_new[i, j]))
            err[j] += (a5[j] / scale) ** 2
            e3[j] += (a3[j] / scale) ** 2
    for j in range(lanes):
        e5 = err[j]
        if e5 == 0.0 and e3[j] == 0.0:
            err[j] = 0.0
        else:
            err[j] = abs(h[j]) * e5 / np.sqrt((e5 + 0.01 * e3[j]) * n)


@helper
def _euler_trial(y, K0, t, t_end, h, ytmp, tt, rtol, atol, lanes):
    """First guess of the starting step (Hairer, Norsett & Wanner 1993, Sec. II.4) and the
    Euler point y + h f(y) at which the guess is refined; needs K0 = f(y)."""
    n = y.shape[0]
    for j in range(lanes):
        d0 = 0.0
        d1 = 0.0
        for i in range(n):
            sc = atol + abs(y[i, j]) * rtol
            d0 += (y[i, j] / sc) ** 2
            d1 += (K0[i, j] / sc) ** 2
        d0 = np.sqrt(d0 / n)
        d1 = np.sqrt(d1 / n)
        h[j] = min(1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1, t_end - t[j])
        for i in range(n):
            ytmp[i, j] = y[i, j] + h[j] * K0[i, j]
        tt[j] = t[j] + h[j]


@helper
def _refine_start(y, K0, K1, h, rtol, atol, lanes):
    """The starting step from f at y and at the Euler point (Sec. II.4)."""
    n = y.shape[0]
    for j in range(lanes):
        d1 = 0.0
        d2 = 0.0
        for i in range(n):
            sc = atol + abs(y[i, j]) * rtol
            d1 += (K0[i, j] / sc) ** 2
            d2 += ((K1[i, j] - K0[i, j]) / sc) ** 2
        d1 = np.sqrt(d1 / n)
        d2 = np.sqrt(d2 / n) / h[j]
        if d1 <= 1e-15 and d2 <= 1e-15:
            h1 = max(1e-6, h[j] * 1e-3)
        else:
            h1 = (0.01 / max(d1, d2)) ** (1.0 / 8.0)
        h[j] = min(100 * h[j], h1)


@helper
def _dense_coefficients(F, y, y_new, K, h, D, acc, lanes):
    """F (7, n, lanes): the coefficients of DOP853's 7th-order interpolant on the step."""
    n = y.shape[0]
    for i in range(n):
        for j in range(lanes):
            dy = y_new[i, j] - y[i, j]
            F[0, i, j] = dy
            F[1, i, j] = h[j] * K[0, i, j] - dy
            F[2, i, j] = 2.0 * dy - h[j] * (K[12, i, j] + K[0, i, j])
    for r in range(4):
        for i in range(n):
            for j in range(lanes):
                acc[j] = 0.0
            for q in range(16):
                dq = D[r, q]
                if dq != 0.0:
                    for j in range(lanes):
                        acc[j] += dq * K[q, i, j]
            for j in range(lanes):
                F[3 + r, i, j] = h[j] * acc[j]


@kernel
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
    n = y0.shape[0]
    L = y0.shape[1]
    n_out = times.shape[0]
    n_stages = B.shape[0]
    Y = np.empty((n_out, n, L))
    for q in range(n_out):
        for i in range(n):
            for j in range(L):
                Y[q, i, j] = np.nan
    K = np.empty((16, n, L))
    F = np.empty((7, n, L))
    y = np.empty((n, L))
    y_new = np.empty((n, L))
    ytmp = np.empty((n, L))
    for i in range(n):
        for j in range(L):
            y[i, j] = y0[i, j]
    t = np.empty(L)
    tt = np.empty(L)
    h = np.empty(L)
    t_next = np.empty(L)
    err = np.empty(L)
    e3 = np.empty(L)
    a5 = np.empty(L)
    a3 = np.empty(L)
    # Per lane (one integer array, one allocation): next sample, steps taken, the lane a slot
    # holds (finished lanes are compacted away), whether the last step was rejected / accepted.
    lanes = np.zeros((5, L), dtype=np.int64)
    k, steps, lane, rejected, accepted = lanes[0], lanes[1], lanes[2], lanes[3], lanes[4]
    k0 = 0
    while k0 < n_out and times[k0] <= t0:
        for i in range(n):
            for j in range(L):
                Y[k0, i, j] = y[i, j]
        k0 += 1
    if k0 == n_out:
        return Y, OK, t0, 0
    t_end = times[n_out - 1]
    for j in range(L):
        t[j] = t0
        k[j] = k0
        lane[j] = j
    active = L
    _load(R, y, t, n, active)
    run(code, R, active)
    _store(R, out, K[0], n, active)
    _euler_trial(y, K[0], t, t_end, h, ytmp, tt, rtol, atol, active)
    _load(R, ytmp, tt, n, active)
    run(code, R, active)
    _store(R, out, K[1], n, active)
    _refine_start(y, K[0], K[1], h, rtol, atol, active)
    most = 0
    tiny = 4 * 2.220446049250313e-16  # 4 machine epsilons
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
        # Stages 1..11 and, last, f(y_new) (first same as last), with one call site of the VM.
        for s in range(1, n_stages + 1):
            if s < n_stages:
                _combine(ytmp, tt, y, t, K, A[s], s, C[s], h, active)
                _load(R, ytmp, tt, n, active)
            else:
                _combine(y_new, tt, y, t, K, B, n_stages, 1.0, h, active)
                _load(R, y_new, t_next, n, active)
            run(code, R, active)
            _store(R, out, K[s], n, active)
        _error_norms(K, h, y, y_new, rtol, atol, E3, E5, err, e3, a5, a3, active)

        dense = False
        for j in range(active):
            e = err[j]
            accepted[j] = 1 if (np.isfinite(e) and e <= 1.0) else 0
            if not accepted[j]:
                h[j] *= 0.2 if not np.isfinite(e) else max(0.2, 0.9 * e ** (-1.0 / 8.0))
                rejected[j] = 1
                continue
            for i in range(n):
                if not abs(y_new[i, j]) <= bound:
                    return Y, BLOWUP, t[j], steps[j]
            if times[k[j]] <= t_next[j]:
                dense = True
        if dense:
            # Three extra stages and the 7th-order interpolant's coefficients.
            for s in range(n_stages + 1, 16):
                _combine(ytmp, tt, y, t, K, A[s], s, C[s], h, active)
                _load(R, ytmp, tt, n, active)
                run(code, R, active)
                _store(R, out, K[s], n, active)
            _dense_coefficients(F, y, y_new, K, h, D, a5, active)
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
            rejected[j] = 0
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

@helper
def hermite_midpoint(x0, x1, f0, f1, h):
    """The value halfway between two grid nodes ``h`` apart from their values and derivatives
    (cubic Hermite): the delayed input of the method of steps' RK4 midpoint stages. Shared with
    the tangent-linear model in :mod:`chaosbench.lyapunov.delay`, which must mirror this scheme."""
    return 0.5 * (x0 + x1) + h * (f0 - f1) / 8.0


@helper
def rk4_update(x, h, k1, k2, k3, k4):
    """Classical RK4's combination of its four stage slopes over a step ``h``."""
    return x + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


@helper
def _history(hist, lane, tau, s):
    """Initial history at time s <= 0: piecewise-linear through hist[k] = x(-k tau / (E - 1))."""
    E = hist.shape[0]
    u = -s / tau * (E - 1)
    k = min(int(np.floor(u)), E - 2)
    w = u - k
    return (1.0 - w) * hist[k, lane] + w * hist[k + 1, lane]


@kernel
def solve_dde(code, R, out, hist, tau, m, times, bound):
    """Method of steps for the scalar delay equation x' = f(x(t), x(t - tau), t), t >= 0, on the
    grid ``t_i = i h``, ``h = tau / m``, sampled as a delay embedding.

    ``hist`` (E, lanes) gives the initial history (see :func:`_history`); classical RK4 takes the
    delayed values at ``t_i - tau`` and ``t_i + h - tau`` from grid nodes and at the midpoint from
    the cubic Hermite interpolant of the two nodes and their derivatives (or from the history).
    Only one delay of the solution is kept: ``m + 2`` nodes and derivatives in a ring buffer. The
    sample ``Y[lane, q, e] = x(times[q] - e tau / (E - 1))`` is interpolated (cubic Hermite) as soon
    as the grid passes ``times[q]`` (ascending, may start at or below 0).
    Returns ``(Y, status, t_reached)`` with Y (lanes, len(times), E).
    """
    E = hist.shape[0]
    lanes = hist.shape[1]
    n_out = times.shape[0]
    h = tau / m
    lag = tau / (E - 1)
    M = m + 2
    X = np.empty((M, lanes))
    Fx = np.empty((M, lanes))
    Y = np.empty((lanes, n_out, E))
    xs = np.empty((4, lanes))   # stage states
    xd = np.empty((4, lanes))   # their delayed values
    f = np.empty((4, lanes))    # the field at the stages
    for j in range(lanes):
        X[0, j] = hist[0, j]
    q = 0
    while q < n_out and times[q] <= 0.0:  # samples of the initial history
        for e in range(E):
            for j in range(lanes):
                Y[j, q, e] = _history(hist, j, tau, times[q] - e * lag)
        q += 1
    i = 0
    while q < n_out:
        t = i * h
        p = i % M
        a = i - m  # the node one delay back
        for st in range(4):
            # inputs of RK4's stage st at t + (0, h/2, h/2, h)[st]
            c = 0.0 if st == 0 else (0.5 if st < 3 else 1.0)
            back = a + (0 if st == 0 else 1)
            for j in range(lanes):
                if st == 0:
                    xs[0, j] = X[p, j]
                    xd[0, j] = X[a % M, j] if a >= 0 else _history(hist, j, tau, t - tau)
                elif st < 3:
                    xs[st, j] = X[p, j] + 0.5 * h * f[st - 1, j]
                    if st == 1:
                        if a >= 0:
                            r0 = a % M
                            r1 = (a + 1) % M
                            xd[1, j] = hermite_midpoint(X[r0, j], X[r1, j], Fx[r0, j],
                                                        Fx[r1, j], h)
                        else:
                            xd[1, j] = _history(hist, j, tau, t + 0.5 * h - tau)
                    else:
                        xd[2, j] = xd[1, j]
                else:
                    xs[3, j] = X[p, j] + h * f[2, j]
                    xd[3, j] = X[back % M, j] if back >= 0 else _history(hist, j, tau, t + h - tau)
                R[0, j] = xs[st, j]
                R[1, j] = xd[st, j]
                R[2, j] = t + c * h
            run(code, R, lanes)
            r = out[0]
            for j in range(lanes):
                f[st, j] = R[r, j]
            if st == 0:
                for j in range(lanes):
                    Fx[p, j] = f[0, j]
                # the node's derivative is known: emit the samples in (t_{i-1}, t_i]
                while i > 0 and q < n_out and times[q] <= t:
                    for e in range(E):
                        u = times[q] - e * lag
                        if u <= 0.0:
                            for j in range(lanes):
                                Y[j, q, e] = _history(hist, j, tau, u)
                            continue
                        b = min(max(int(u / h), i - m - 1), i - 1)
                        w = u / h - b
                        h00 = (1 + 2 * w) * (1 - w) ** 2
                        h10 = w * (1 - w) ** 2 * h
                        h01 = w * w * (3 - 2 * w)
                        h11 = w * w * (w - 1) * h
                        r0 = b % M
                        r1 = (b + 1) % M
                        for j in range(lanes):
                            Y[j, q, e] = (h00 * X[r0, j] + h10 * Fx[r0, j]
                                          + h01 * X[r1, j] + h11 * Fx[r1, j])
                    q += 1
                if q == n_out:
                    break
        if q == n_out:
            break
        nxt = (i + 1) % M
        for j in range(lanes):
            X[nxt, j] = rk4_update(X[p, j], h, f[0, j], f[1, j], f[2, j], f[3, j])
            if not abs(X[nxt, j]) <= bound:
                return Y, BLOWUP, t
        i += 1
    return Y, OK, i * h


@kernel
def solve_sde(code, R, out, y0, t0, h, substeps, n_samples, sigma, dW, bound):
    """Stochastic Heun steps of size ``h`` for dx = f(x, t) dt + sigma dW, recording every
    ``substeps`` steps. ``dW`` (n_samples * substeps, n_state, lanes) holds N(0, h) increments.
    Returns ``(Y, status, t_reached)`` with Y (n_samples, n_state, lanes); Y[0] = y0."""
    n = y0.shape[0]
    lanes = y0.shape[1]
    Y = np.empty((n_samples, n, lanes))
    K = np.empty((2, n, lanes))
    y = np.empty((n, lanes))
    for i in range(n):
        for j in range(lanes):
            y[i, j] = y0[i, j]
            for k in range(n_samples):
                Y[k, i, j] = np.nan
            Y[0, i, j] = y[i, j]
    t = t0
    for k in range(1, n_samples):
        for r in range(substeps):
            w = dW[(k - 1) * substeps + r]
            for st in range(2):  # predictor at t, corrector at t + h
                for i in range(n):
                    for j in range(lanes):
                        R[i, j] = y[i, j] if st == 0 else \
                            y[i, j] + h * K[0, i, j] + sigma[i] * w[i, j]
                for j in range(lanes):
                    R[n, j] = t + st * h
                run(code, R, lanes)
                for i in range(n):
                    o = out[i]
                    for j in range(lanes):
                        K[st, i, j] = R[o, j]
            for i in range(n):
                for j in range(lanes):
                    y[i, j] += 0.5 * h * (K[0, i, j] + K[1, i, j]) + sigma[i] * w[i, j]
                    if not abs(y[i, j]) <= bound:
                        return Y, BLOWUP, t
            t += h
        for i in range(n):
            for j in range(lanes):
                Y[k, i, j] = y[i, j]
    return Y, OK, t
