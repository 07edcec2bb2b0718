"""Tangent flows: the field, its exact variational equations and perturbed copies of the state,
compiled into one register program over an extended state.

ODEs: the tangent dynamics ``dQ/dt = J(x) Q`` are built symbolically from the system's own
expressions (:func:`chaosbench.compile.jacobian_expressions`, exact, no finite differences),
compiled into one register program together with the field, the Jacobian trace (its time
integral is the log-volume growth, Liouville's formula) and perturbed copies of the state, so
that :func:`chaosbench.integrate.solve_ode` integrates all of it for several orbits (lanes) at
once. State variables whose equation does not depend on the state (the phase ``z' = omega`` of
a periodically forced system in autonomous form) have an exponent of exactly 0 and are left out
of the tangent basis (:attr:`TangentFlow.phase`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from chaosbench.compile import Program, compile_program, jacobian_expressions
from chaosbench.equations import Equations

__all__ = ["TangentFlow", "tangent_flow", "discontinuities"]

_JUMPS = (sp.sign, sp.Heaviside, sp.Piecewise, sp.core.relational.Relational)


def discontinuities(eq: Equations) -> tuple[str, ...]:
    """Subexpressions of the field that jump across a surface in state space: ``sign``,
    ``heaviside``, ``where`` and comparisons of state variables. Along such a surface the flow's
    linearisation has a jump (saltation matrix; Mueller 1995, Chaos Solitons Fractals 5: 1671)
    that the almost-everywhere Jacobian misses; ``abs``, ``min`` and ``max`` are continuous and
    their kinks need no correction."""
    state = set(eq.variables) | set(eq.lagged)
    found = []
    for f in eq.rhs:
        for a in sp.preorder_traversal(f):
            if isinstance(a, _JUMPS) and a.free_symbols & state and str(a) not in found:
                found.append(str(a))
    return tuple(found)


@dataclass(frozen=True)
class TangentFlow:
    """The flow of a field together with its tangent dynamics, as one register program over
    an extended state (the field's layout, :mod:`chaosbench.field`, with the state widened)::

        [0, d)               x        the state (d = len(variables))
        [q0, trace)          Q        k x k tangent basis over the active variables, row-major
        trace                s        the integral of tr J (Liouville: log-volume growth)
        [c0, n_ext)          X_1..X_c perturbed copies of the state, d each
        n_ext, n_ext + 1 ..  t, parameters

    ``Q`` and ``s`` are present only with ``jacobian``. ``active`` are the variables whose
    equation depends on the state; the others (``phase``) have exponent exactly 0.
    """

    program: Program
    d: int
    active: tuple[int, ...]
    phase: tuple[int, ...]
    jacobian: bool
    clones: int

    @property
    def k(self) -> int:
        return len(self.active)

    @property
    def q0(self) -> int:
        return self.d

    @property
    def trace(self) -> int:
        return self.d + self.k * self.k

    @property
    def c0(self) -> int:
        return self.d + (self.k * self.k + 1 if self.jacobian else 0)

    @property
    def n_ext(self) -> int:
        return self.c0 + self.clones * self.d


@lru_cache(maxsize=None)
def tangent_flow(eq: Equations, jacobian: bool, clones: int) -> TangentFlow:
    """Field, variational equations ``dQ/dt = J_aa Q`` with the exact symbolic Jacobian, the
    Jacobian trace and ``clones`` copies of the field, compiled as one program over the inputs
    ``(x, Q, s, X_1 .. X_c, t, parameters)``: state first, then time, then parameters, the
    register layout :func:`chaosbench.integrate.solve_ode` expects."""
    d = len(eq.variables)
    state = set(eq.variables)
    active = tuple(i for i, f in enumerate(eq.rhs) if f.free_symbols & state)
    phase = tuple(i for i in range(d) if i not in active)
    k = len(active)
    outputs, inputs = list(eq.rhs), list(eq.variables)
    if jacobian:
        J = jacobian_expressions(eq.rhs, eq.variables)
        Q = [[sp.Symbol(f"_q{r}_{c}", real=True) for c in range(k)] for r in range(k)]
        for i in active:
            for c in range(k):
                outputs.append(sp.Add(*[J[i * d + j] * Q[m][c] for m, j in enumerate(active)
                                        if J[i * d + j] != 0]))
        outputs.append(sp.Add(*[J[i * d + i] for i in active]))
        inputs += [q for row in Q for q in row] + [sp.Symbol("_trace", real=True)]
    for c in range(clones):
        copy = [sp.Symbol(f"_c{c}_{i}", real=True) for i in range(d)]
        outputs += [f.xreplace(dict(zip(eq.variables, copy))) for f in eq.rhs]
        inputs += copy
    program = compile_program(outputs, (*inputs, eq.time, *eq.parameters))
    return TangentFlow(program, d, active, phase, jacobian, clones)
