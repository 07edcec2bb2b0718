"""A chaotic system: its metadata, compiled vector field and Jacobian, and trajectories.

    >>> import chaosbench
    >>> lorenz = chaosbench.system("Lorenz")
    >>> x = lorenz.trajectory(1000, pts_per_period=100)          # (1000, 3), default IC
    >>> xs = lorenz.trajectory(500, n_ic=16, seed=0)             # (16, 500, 3), ICs on the attractor
    >>> lorenz.rhs([1.0, 2.0, 3.0]), lorenz.jacobian([1.0, 2.0, 3.0]).shape
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

if TYPE_CHECKING:
    from chaosbench.compile import Program
    from chaosbench.equations import Equations
    from chaosbench.field import CompiledField

__all__ = ["System", "IntegrationError"]

# Seeded initial conditions are drawn from a reference trajectory: after a transient of
# _SETTLE_PERIODS, _SAMPLE_PERIODS periods at _SAMPLE_PPP points per period.
_SETTLE_PERIODS, _SAMPLE_PERIODS, _SAMPLE_PPP = 20, 200, 20


class IntegrationError(RuntimeError):
    """A trajectory left the attractor (blew up) or the integrator could not continue."""


@dataclass(frozen=True)
class _Compiled:
    equations: Equations
    rhs: Program
    outputs: Program | None


# The entries of a system file that define its compiled programs. Parameter *values* are not
# among them: they are inputs of the programs.
_EQUATION_KEYS = ("name", "variables", "parameters", "definitions", "equations",
                  "postprocessing", "delay")


def _equation_key(spec: Mapping[str, Any]) -> str:
    import json

    shape = {k: spec.get(k) for k in _EQUATION_KEYS}
    shape["parameters"] = {k: np.shape(v) for k, v in (spec.get("parameters") or {}).items()}
    return json.dumps(shape, default=str)  # key order kept: definitions are sequential


@lru_cache(maxsize=None)
def _parse(key: str) -> Equations:
    """A system's equations as SymPy (read without ``eval``); cached by the equation-defining
    entries."""
    import json

    from chaosbench.equations import parse_equations  # SymPy: only when a System is built

    spec = json.loads(key)
    spec["parameters"] = {k: np.zeros(shape) for k, shape in spec["parameters"].items()}
    return parse_equations(spec)


@lru_cache(maxsize=None)
def _compile(key: str) -> _Compiled:
    """Compile a system's equations; cached by the equation-defining entries."""
    from chaosbench.compile import compile_program

    eq = _parse(key)
    out = compile_program(eq.outputs, eq.inputs) if eq.outputs is not None else None
    return _Compiled(eq, compile_program(eq.rhs, eq.inputs), out)


class System:
    """One system of the catalogue. Build it with :func:`chaosbench.system`.

    Attributes:
        name, description, citation: from the system file.
        variables: names of the integrated state variables.
        dim: dimension of a trajectory row (the observed coordinates: after postprocessing, or
            the delay embedding for delay systems).
        state_dim: dimension of the integrated state (``len(variables)``).
        parameters: parameter values (a copy; change them with :meth:`with_parameters`).
        initial_conditions: default initial condition, shape ``(dim,)``.
        dt: the integration step of the reference catalogue; ``period``: the dominant period.
        max_lyapunov, lyapunov_spectrum: from the invariants block of the system file.
        nonautonomous, hamiltonian, delay: flags; ``chaotic`` is False for the few systems that
            turn out not to be chaotic at their catalogue parameters, with ``caveats`` saying why.
        unbounded_indices: state coordinates that grow without bound (phases, angles);
            ``postprocessing`` (expressions, may be empty) maps them to bounded observables.
    """

    def __init__(self, spec: Mapping[str, Any], parameters: Mapping[str, Any] | None = None):
        self._spec = spec
        self.name: str = spec["name"]
        self.description: str = spec["description"].strip()
        self.citation: str = spec["citation"]
        self.variables: tuple[str, ...] = tuple(spec["variables"])
        self.parameters: dict[str, Any] = dict(spec["parameters"]) | dict(parameters or {})
        self.initial_conditions = np.array(spec["initial_conditions"], dtype=float)
        self.dim: int = len(self.initial_conditions) if spec["flags"]["delay"] else \
            len(spec.get("postprocessing") or self.variables)
        self.state_dim: int = len(self.variables)
        self.dt = float(spec["dt"])
        self.period = float(spec["period"])
        self.nonautonomous: bool = spec["flags"]["nonautonomous"]
        self.hamiltonian: bool = spec["flags"]["hamiltonian"]
        self.delay: bool = spec["flags"]["delay"]
        self.chaotic: bool = spec["flags"].get("chaotic", True)
        self.caveats: tuple[str, ...] = tuple(spec.get("caveats") or ())
        self.unbounded_indices: tuple[int, ...] = tuple(spec.get("unbounded_indices") or ())
        self.postprocessing: tuple[str, ...] = tuple(spec.get("postprocessing") or ())
        self.invariants: dict[str, Any] = dict(spec["invariants"])
        self.max_lyapunov = float(self.invariants["max_lyapunov"])
        spectrum = self.invariants.get("lyapunov_spectrum")
        self.lyapunov_spectrum = None if spectrum is None else np.array(spectrum, dtype=float)
        self.mean = np.array(spec["statistics"]["mean"], dtype=float)
        self.std = np.array(spec["statistics"]["std"], dtype=float)
        if self.delay:
            self.tau = float(self.parameters[spec["delay"]["tau"]])
        _parse(_equation_key(spec))  # a malformed or unsafe equation fails here, not later

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> "System":
        return cls(spec)

    def __repr__(self) -> str:
        return f"System({self.name!r}, dim={self.dim})"

    # ------------------------------------------------------------------ parameters
    def with_parameters(self, **overrides: Any) -> "System":
        """A copy of this system with some parameters changed; unknown names raise."""
        unknown = [k for k in overrides if k not in self.parameters]
        if unknown:
            raise KeyError(f"{self.name} has no parameter(s) {unknown}; valid parameters: "
                           f"{sorted(self.parameters)}")
        for key, value in overrides.items():
            if np.shape(value) != np.shape(self.parameters[key]):
                raise ValueError(f"{self.name}: parameter {key!r} has shape "
                                 f"{np.shape(self.parameters[key])}, got {np.shape(value)}")
        return type(self)(self._spec, self.parameters | overrides)

    # ------------------------------------------------------------------ compiled field
    @cached_property
    def _compiled(self) -> _Compiled:
        return _compile(_equation_key(self._spec))

    @property
    def equations(self) -> Equations:
        """The field as SymPy expressions (every definition substituted)."""
        return _parse(_equation_key(self._spec))

    @cached_property
    def field(self) -> CompiledField:
        """The compiled field with its register layout and this system's parameter values: what
        integrators and the Lyapunov estimators run (:mod:`chaosbench.field`)."""
        from chaosbench.equations import flatten_parameters
        from chaosbench.field import CompiledField  # Numba: only when the field is evaluated

        flat = flatten_parameters(self.parameters)
        values = np.array([flat[str(p)] for p in self._compiled.equations.parameters],
                          dtype=float)
        return CompiledField(self._compiled.rhs, self._compiled.equations, values, self._bound())

    def _field_inputs(self, x: Any, t: float) -> tuple[np.ndarray, bool]:
        x = np.asarray(x, dtype=float)
        width = self.dim if self.delay else self.state_dim
        if x.ndim not in (1, 2) or x.shape[-1] != width:
            raise ValueError(f"{self.name}: expected a state of shape ({width},) or (B, {width}), "
                             f"got {x.shape}")
        batch = x.ndim == 2
        x = np.atleast_2d(x)
        if self.delay:  # current value and the value one delay earlier (the last coordinate)
            x = x[:, [0, -1]]
        return np.column_stack([x, np.full(len(x), float(t))]), batch

    def rhs(self, x: Any, t: float = 0.0) -> np.ndarray:
        """The vector field at state ``x`` (shape ``(state_dim,)`` or ``(B, state_dim)``).

        For delay systems ``x`` is a delay-embedding row (``dim`` values, the first the current
        value, the last the value one delay ``tau`` earlier) and the result is ``dx/dt``, shape
        ``(1,)`` or ``(B, 1)``.
        """
        inputs, batch = self._field_inputs(x, t)
        out = self.field.evaluate(inputs)
        return out if batch else out[0]

    @cached_property
    def _jacobian_program(self) -> Program:
        from chaosbench.compile import compile_program, jacobian_expressions
        from chaosbench.programcache import cached_program

        eq = self._compiled.equations
        return cached_program("jacobian", _equation_key(self._spec), lambda: compile_program(
            jacobian_expressions(eq.rhs, eq.variables + eq.lagged), eq.inputs))

    def jacobian(self, x: Any, t: float = 0.0) -> np.ndarray:
        """Exact Jacobian of :meth:`rhs` by symbolic differentiation: ``(state_dim, state_dim)``
        or ``(B, state_dim, state_dim)``. For delay systems the columns are the derivatives with
        respect to the current and the delayed value, shape ``(1, 2)``."""
        inputs, batch = self._field_inputs(x, t)
        out = self.field.evaluate(inputs, self._jacobian_program)
        out = out.reshape(len(out), self.state_dim, -1)
        return out if batch else out[0]

    # ------------------------------------------------------------------ trajectories
    def trajectory(self, n: int, *, pts_per_period: float | None = 100, ic: Any = None,
                   n_ic: int | None = None, seed: int | None = None,
                   params: Mapping[str, Any] | None = None, transient: int = 0,
                   noise: float = 0.0, dynamical_noise: float = 0.0, standardize: bool = False,
                   postprocess: bool = True, return_times: bool = False,
                   rtol: float = 1e-10, atol: float = 1e-10, delay_step: float | None = None):
        """Integrate the system and sample ``n`` points.

        Args:
            n: number of samples.
            pts_per_period: samples per dominant period (spacing ``period / pts_per_period``), so
                granularity is comparable across systems; ``None`` samples at ``dt``.
            ic: initial condition(s), ``(dim,)`` or ``(B, dim)`` (for postprocessed systems the
                raw state, as returned with ``postprocess=False``).
            n_ic: number of initial conditions drawn on the attractor from ``seed``.
            seed: seeds every random draw of this call (initial conditions when ``ic`` is not
                given, noise); a local generator, global random state is never touched.
            params: parameter overrides for this call.
            transient: samples to integrate and drop before the ``n`` returned.
            noise: observation noise, Gaussian with standard deviation ``noise`` times each
                coordinate's attractor standard deviation (``System.std``).
            dynamical_noise: additive stochastic forcing ``sigma_i dW`` with
                ``sigma_i = dynamical_noise * std_i / sqrt(period)`` (so one period of forcing
                alone spreads a coordinate by ``dynamical_noise`` times its std); integrated by
                stochastic Heun at a step no larger than ``dt``. Not for delay systems.
            standardize: return ``(x - System.mean) / System.std`` (the catalogue's statistics,
                the same for every call).
            postprocess: apply the system's observation map (e.g. a phase as its cosine).
            return_times: also return the sample times.
            rtol, atol: tolerances of the adaptive integrator (DOP853). The defaults keep the
                error over one period below 1e-6 of the attractor's std on every system tested
                against a 1e-12 integration (at 1e-9, systems whose mean is many std from zero,
                such as MacArthur, drift to ~2e-6).
            delay_step: largest step of the method of steps for delay systems (default: the
                coarsest step whose error over the first period is below ``DELAY_TOLERANCE``
                = 1e-9 of the attractor's std, found once per system by step doubling); the
                step used divides ``tau`` into a multiple of ``dim - 1`` steps.

        Returns:
            ``(n, dim)``, or ``(B, n, dim)`` when ``ic`` is 2-D or ``n_ic`` is given; with
            ``return_times`` a tuple ``(times, trajectory)``.
        """
        system = self.with_parameters(**params) if params else self
        return system._trajectory(n, pts_per_period, ic, n_ic, seed, transient, noise,
                                  dynamical_noise, standardize, postprocess, return_times,
                                  rtol, atol, delay_step)

    def _trajectory(self, n, pts_per_period, ic, n_ic, seed, transient, noise, dynamical_noise,
                    standardize, postprocess, return_times, rtol, atol, delay_step):
        _check_int(n, "n", self.name, minimum=1)
        _check_int(transient, "transient", self.name, minimum=0)
        for value, what in ((noise, "noise"), (dynamical_noise, "dynamical_noise")):
            if not (isinstance(value, (int, float)) and value >= 0 and math.isfinite(value)):
                raise ValueError(f"{self.name}: {what} must be a finite number >= 0, got {value!r}")
        if pts_per_period is None:
            spacing = self.dt
        elif isinstance(pts_per_period, (int, float)) and pts_per_period > 0:
            spacing = self.period / pts_per_period
        else:
            raise ValueError(f"{self.name}: pts_per_period must be a positive number or None "
                             f"(sample at dt), got {pts_per_period!r}")
        if dynamical_noise > 0 and self.delay:
            raise ValueError(f"{self.name}: dynamical_noise is not supported for delay systems")
        rng = np.random.default_rng(seed) if seed is not None else None
        y0, batched = self._initial_conditions(ic, n_ic, seed, rng)
        times = (transient + np.arange(n)) * spacing

        if self.delay:
            X = self._integrate_delay(y0, times, delay_step)
        elif dynamical_noise > 0:
            if rng is None:
                raise ValueError(f"{self.name}: dynamical_noise needs an explicit seed=")
            X = self._integrate_sde(y0, times, spacing, dynamical_noise, rng)
        else:
            X = self._integrate_ode(y0, times, rtol, atol)
        if postprocess:
            X = self._postprocess(X)
        if noise > 0:
            if rng is None:
                raise ValueError(f"{self.name}: observation noise needs an explicit seed=")
            X = X + noise * self.std * rng.standard_normal(X.shape)
        if standardize:
            X = (X - self.mean) / self.std
        X = X if batched else X[0]
        return (times, X) if return_times else X

    def _initial_conditions(self, ic, n_ic, seed, rng) -> tuple[np.ndarray, bool]:
        """Initial states as (B, width) plus whether the caller asked for a batch."""
        if n_ic is not None:
            _check_int(n_ic, "n_ic", self.name, minimum=1)
        if ic is not None:
            if n_ic is not None:
                raise ValueError(f"{self.name}: give either ic or n_ic, not both")
            y0 = np.asarray(ic, dtype=float)
            width = self.dim if self.delay else self.state_dim
            if y0.ndim not in (1, 2) or y0.shape[-1] != width:
                raise ValueError(f"{self.name}: initial condition must have shape ({width},) or "
                                 f"(B, {width}), got {y0.shape}")
            if not np.all(np.isfinite(y0)):
                raise ValueError(f"{self.name}: initial condition has non-finite values")
            return np.atleast_2d(y0), y0.ndim == 2
        if seed is None:
            if n_ic is not None and n_ic > 1:
                raise ValueError(f"{self.name}: n_ic={n_ic} draws initial conditions at random; "
                                 "pass seed= to make the draw reproducible")
            return self.initial_conditions[None, :], n_ic is not None
        pool = self.attractor_pool()
        index = rng.choice(len(pool), size=n_ic or 1, replace=False)
        return pool[index], n_ic is not None

    def attractor_pool(self) -> np.ndarray:
        """States on the attractor (read-only, ``(4000, width)``: raw states, or delay-embedding
        rows), from the default initial condition after a transient of 20 periods, 20 per
        period; seeded initial conditions are drawn from it. Cached by equations, parameters,
        initial condition and time scales."""
        return _attractor_pool(self)

    def postprocess_states(self, X: np.ndarray) -> np.ndarray:
        """The observed coordinates of raw states ``X`` (B, n, state_dim): the system's
        postprocessing map, or ``X`` itself when it has none."""
        return self._postprocess(X)

    def integration_error(self, status: int, t_reached: float, t_end: float) -> IntegrationError:
        """The error to raise for an integrator's non-OK ``status``: it names the system, the
        time reached and what to try."""
        from chaosbench import integrate

        return IntegrationError(
            f"{self.name}: integration stopped at t = {t_reached:.6g} of {t_end:.6g}: "
            f"{integrate.STATUS[status]}. Parameters {self.parameters}. Try the default "
            "parameters and initial condition, an initial condition on the attractor (seed=), "
            "or a shorter trajectory.")

    # -- integrators -------------------------------------------------------------------
    def _bound(self) -> float:
        return 1e10 * (1.0 + float(np.max(np.abs(self.mean) + self.std)))

    def _fail(self, status: int, t_reached: float, t_end: float) -> None:
        raise self.integration_error(status, t_reached, t_end)

    def _integrate_ode(self, y0: np.ndarray, times: np.ndarray, rtol: float, atol: float):
        from chaosbench import integrate  # Numba: only when a trajectory is integrated

        field = self.field
        program, R = field.program, field.registers(len(y0))
        max_steps = 1_000_000 + 2_000 * len(times)
        Y, status, t_reached, _ = integrate.solve_ode(
            program.code, R, program.outputs, np.ascontiguousarray(y0.T), 0.0, times,
            float(rtol), float(atol), field.bound, max_steps, *integrate.ode_tableau())
        if status != integrate.OK:
            self._fail(status, t_reached, times[-1])
        return np.transpose(Y, (2, 0, 1))  # (B, n, d)

    def _integrate_sde(self, y0, times, spacing, level, rng):
        from chaosbench import integrate  # Numba: only when a trajectory is integrated

        field = self.field
        program = field.program
        substeps = max(1, math.ceil(spacing / self.dt))
        h = spacing / substeps
        # Start at t = 0 and record from the first requested sample on.
        first = int(round(times[0] / spacing))
        n_samples = first + len(times)
        sigma = level * self.std[: self.state_dim] / math.sqrt(self.period)
        dW = rng.standard_normal(((n_samples - 1) * substeps, self.state_dim, len(y0))) * math.sqrt(h)
        R = field.registers(len(y0))
        Y, status, t_reached = integrate.solve_sde(
            program.code, R, program.outputs, np.ascontiguousarray(y0.T), 0.0, h, substeps,
            n_samples, sigma, dW, field.bound)
        if status != integrate.OK:
            self._fail(status, t_reached, times[-1])
        return np.transpose(Y[first:], (2, 0, 1))

    def _integrate_delay(self, y0: np.ndarray, times: np.ndarray, max_step: float | None):
        """Delay embedding rows ``x(t - k tau / (dim - 1))``, k = 0..dim-1, at ``times``; the
        initial condition is the embedding at t = 0, i.e. a piecewise-linear initial history.
        The step comes from :meth:`_delay_steps` (an accuracy target) unless ``max_step`` is
        given; memory is one delay of the grid solution plus the output."""
        if max_step is None:
            m = self._delay_steps()
        elif not max_step > 0:
            raise ValueError(f"{self.name}: delay_step must be positive, got {max_step!r}")
        else:
            m = _delay_nodes(self.tau, max_step, self.dim - 1)
        return self._solve_delay(y0, times, m)

    def _solve_delay(self, y0: np.ndarray, times: np.ndarray, m: int) -> np.ndarray:
        from chaosbench import integrate  # Numba: only when a trajectory is integrated

        field = self.field
        program = field.program
        Y, status, t_reached = integrate.solve_dde(
            program.code, field.registers(len(y0)), program.outputs, np.ascontiguousarray(y0.T),
            self.tau, m, np.ascontiguousarray(times, dtype=float), field.bound)
        if status != integrate.OK:
            self._fail(status, t_reached, times[-1])
        return Y  # (B, n, dim)

    def _delay_steps(self) -> int:
        """Grid steps per delay for :data:`DELAY_TOLERANCE` (cached by equations, parameters and
        initial condition, like the attractor pool: never by name)."""
        return _delay_steps_cached(_PoolRequest(self).key, self)

    def _postprocess(self, X: np.ndarray) -> np.ndarray:
        program = self._compiled.outputs
        if program is None or self.delay:
            return X
        B, n, d = X.shape
        flat = X.reshape(B * n, d)
        inputs = np.column_stack([flat, np.zeros(len(flat))])
        return self.field.evaluate(inputs, program).reshape(B, n, -1)


class _PoolRequest:
    """A system together with what its attractor pool depends on: equations, parameter values,
    initial condition and time scales (not its name, which a copied or edited spec shares with
    the catalogue's own system). Hashed and compared by that key alone."""

    def __init__(self, system: System):
        import json

        self.system = system
        self.key = json.dumps({
            "equations": _equation_key(system._spec),
            "parameters": {k: np.asarray(v, dtype=float).tolist()
                           for k, v in sorted(system.parameters.items())},
            "initial_conditions": system.initial_conditions.tolist(),
            "period": system.period, "dt": system.dt})

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _PoolRequest) and other.key == self.key


@lru_cache(maxsize=256)
def _attractor_pool_cached(request: _PoolRequest) -> np.ndarray:
    n = _SAMPLE_PERIODS * _SAMPLE_PPP
    # Delay systems: the pool (seeded initial conditions, and the orbits of the recorded
    # invariants) is integrated at the reference resolution of the catalogue, the smaller of dt,
    # the spacing and tau / 1000, so that it stays bit-for-bit the one the invariants came from.
    sys = request.system
    step = min(sys.dt, sys.period / _SAMPLE_PPP, sys.tau / 1000) if sys.delay else None
    pool = sys.trajectory(n, pts_per_period=_SAMPLE_PPP, transient=_SETTLE_PERIODS * _SAMPLE_PPP,
                          postprocess=False, delay_step=step)
    pool.setflags(write=False)
    return pool


#: Accuracy target of the delay integrator: the largest error over the first period (or delay,
#: if longer) of the default trajectory, in units of the attractor's standard deviation.
DELAY_TOLERANCE = 1e-9


def _delay_nodes(tau: float, max_step: float, nodes: int) -> int:
    """Steps per delay: a multiple of ``nodes`` (the embedding's lags, hence the kinks of the
    piecewise-linear initial history and every later breaking point, fall on grid nodes, so RK4
    keeps its order) with a step ``tau / m <= max_step``."""
    return nodes * max(1, math.ceil(tau / max_step / nodes - 1e-9))


_DELAY_STEPS: dict[tuple, int] = {}


def _delay_steps_cached(key: tuple, system: System) -> int:
    """The coarsest grid that meets :data:`DELAY_TOLERANCE`, by step doubling.

    RK4's global error is ``C h^4``, so the difference between the solutions at ``h`` and ``h/2``
    estimates the error at ``h`` as ``16/15`` of it (Richardson). The default trajectory over
    ``T = max(period, tau)``, sampled at 100 points per period, is integrated at trial grids: from
    a coarse one, each failing trial refines the step by ``1.25 (error / target)^(1/4)`` (doubling
    the grid on a blow-up); then bisection between the finest failing and the coarsest passing
    grid, to within 10%, undoes any overshoot (where the error is not yet in its asymptotic
    regime the observed order differs from 4).
    """
    if key in _DELAY_STEPS:
        return _DELAY_STEPS[key]
    nodes = system.dim - 1
    window = max(system.period, system.tau)
    times = np.linspace(0.0, window, max(2, math.ceil(100 * window / system.period)) + 1)
    y0 = system.initial_conditions[None, :]
    scale = float(np.max(system.std)) or 1.0

    def error(m: int) -> float:
        try:
            coarse = system._solve_delay(y0, times, m)
            fine = system._solve_delay(y0, times, 2 * m)
        except IntegrationError:
            return np.inf
        return 16 / 15 * float(np.max(np.abs(coarse - fine))) / scale

    failing = 0
    m = _delay_nodes(system.tau, min(system.period, system.tau) / 20, nodes)
    for _ in range(30):
        e = error(m)
        if e <= DELAY_TOLERANCE:
            break
        failing = m
        growth = 2.0 if not np.isfinite(e) else 1.25 * (e / DELAY_TOLERANCE) ** 0.25
        m = max(m + nodes, _delay_nodes(system.tau, system.tau / m / growth, nodes))
    while failing and m - failing > max(nodes, m // 10):
        mid = nodes * round((failing + m) / 2 / nodes)
        if error(mid) <= DELAY_TOLERANCE:
            m = mid
        else:
            failing = mid
    _DELAY_STEPS[key] = m
    return m


def _attractor_pool(sys: System) -> np.ndarray:
    return _attractor_pool_cached(_PoolRequest(sys))


def _check_int(value: Any, what: str, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}: {what} must be an integer >= {minimum}, got {value!r}")
