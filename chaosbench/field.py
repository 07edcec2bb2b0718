"""The compiled vector field of a system: its register program, register layout and parameters.

This is the seam between a :class:`~chaosbench.dynamics.System` and the numerical code that
runs its field (:mod:`chaosbench.integrate`, :mod:`chaosbench.lyapunov`): they receive a
:class:`CompiledField` and never reach into the System.

Register layout of every program compiled over a field's inputs (see
:mod:`chaosbench.compile`), rows of ``R[register, lane]``::

    0 .. n_state-1                       state variables (or an extended state, see below)
    n_state .. n_state+n_lagged-1        lagged values x(t - tau) (delay equations)
    time_register = n_state + n_lagged   time t
    ... n_inputs-1                       parameters, flattened (the last n_parameters inputs)
    n_inputs ..                          constants, then temporaries

A program over an *extended* state (a tangent flow: state, tangent basis, copies; see
:class:`chaosbench.lyapunov.tangent.TangentFlow`) keeps the tail ``t, parameters``, so the same
:meth:`CompiledField.registers` loads its parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chaosbench.compile import Program
from chaosbench.equations import Equations
from chaosbench.vm import run

__all__ = ["CompiledField"]


@dataclass(frozen=True, eq=False)
class CompiledField:
    """A system's field ``dx/dt = f(x, x(t - tau), t; p)`` ready to integrate.

    Attributes:
        program: ``f`` as a register program (outputs: one register per state variable).
        equations: the SymPy expressions it was compiled from (input order: state, lagged,
            time, parameters).
        parameter_values: the parameter values in register order.
        bound: blow-up bound: integrators stop when a state coordinate exceeds it.
    """

    program: Program
    equations: Equations
    parameter_values: np.ndarray
    bound: float

    @property
    def n_state(self) -> int:
        return len(self.equations.variables)

    @property
    def n_lagged(self) -> int:
        return len(self.equations.lagged)

    @property
    def time_register(self) -> int:
        return self.n_state + self.n_lagged

    def registers(self, lanes: int, program: Program | None = None) -> np.ndarray:
        """A register file for ``lanes`` lanes of ``program`` (default: the field's own) with
        its constants and this field's parameters loaded; state and time are the caller's."""
        program = program or self.program
        R = program.registers(lanes)
        p0 = program.n_inputs - len(self.parameter_values)
        R[p0:program.n_inputs] = self.parameter_values[:, None]
        return R

    def evaluate(self, inputs: np.ndarray, program: Program | None = None) -> np.ndarray:
        """Run ``program`` (default: the field) on input rows ``(lanes, n_inputs -
        n_parameters)``, i.e. state, lagged state and time; returns ``(lanes, n_outputs)``."""
        program = program or self.program
        lanes = inputs.shape[0]
        R = self.registers(lanes, program)
        R[:inputs.shape[1]] = inputs.T
        run(program.code, R, lanes)
        return R[program.outputs].T.copy()
