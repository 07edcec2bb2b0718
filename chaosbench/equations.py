"""Equations as data: parse a system's expressions into SymPy, ready to compile.

A system file writes its vector field as plain expressions, one per state variable:

    variables: [x, y, z]
    parameters: {sigma: 10, rho: 28, beta: 2.667}
    equations:
      x: sigma * (y - x)
      y: x * (rho - z) - y
      z: x * y - beta * z

The expression language is Python arithmetic (``+ - * / **``, comparisons, ``and or not``) over
state variables, ``t``, parameters, earlier ``definitions``, ``pi`` and these functions (names as
in NumPy), read from the syntax tree without ``eval`` (:mod:`chaosbench.expressions`: a system
file is data and cannot run code):

    sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh exp log sqrt abs sign
    heaviside(x)      1 for x > 0, else 0 (NumPy's ``heaviside(x, 0)``)
    min(a, b, ...)    max(a, b, ...)
    where(c, a, b)    a where condition c holds, else b

Array-valued parameters are indexed with constant zero-based indices, ``w[0, 2]`` or ``tau[1]``.
Delay systems name their lagged values: ``lagged: {xt: x}`` makes ``xt`` stand for ``x(t - tau)``.
Every symbol is real, so ``abs`` differentiates to ``sign`` and ``heaviside`` to zero: Jacobians
of piecewise-smooth fields are exact almost everywhere.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from chaosbench.expressions import (CONSTANTS, FUNCTIONS, EquationError, element_name,
                                    read_expression)

__all__ = ["EquationError", "Equations", "FUNCTIONS", "parse_equations", "flatten_parameters"]


_RESERVED = set(FUNCTIONS) | set(CONSTANTS) | {"t"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def flatten_parameters(parameters: Mapping[str, Any]) -> dict[str, float]:
    """Scalar parameters as they are; array parameters as one scalar per element.

    ``{"w": [[1, 2], [3, 4]]}`` becomes ``{"w__0__0": 1.0, "w__0__1": 2.0, ...}``, the names that
    ``w[0, 1]`` in an expression refers to.
    """
    flat: dict[str, float] = {}
    for name, value in parameters.items():
        array = np.asarray(value, dtype=float)
        if array.ndim == 0:
            flat[name] = float(array)
        else:
            for index in np.ndindex(array.shape):
                flat[element_name(name, index)] = float(array[index])
    return flat


@dataclass(frozen=True)
class Equations:
    """A vector field as SymPy expressions, with every definition substituted.

    ``rhs[i]`` is the time derivative of ``variables[i]``; it may depend on ``variables``,
    ``lagged`` names (delay systems), ``t`` and the flattened ``parameters``.
    """

    variables: tuple[sp.Symbol, ...]
    lagged: tuple[sp.Symbol, ...]
    time: sp.Symbol
    parameters: tuple[sp.Symbol, ...]
    rhs: tuple[sp.Expr, ...]
    outputs: tuple[sp.Expr, ...] | None = None  # postprocessing: observed coordinates

    @property
    def inputs(self) -> tuple[sp.Symbol, ...]:
        """Argument order of compiled functions: state, lagged state, time, parameters."""
        return (*self.variables, *self.lagged, self.time, *self.parameters)


def _check_name(name: str, what: str, system: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name) or keyword.iskeyword(name) \
            or "__" in name:
        raise EquationError(f"{system}: {what} name {name!r} is not a valid identifier "
                            "(letters, digits and single underscores; not a Python keyword)")
    if name in _RESERVED:
        raise EquationError(f"{system}: {what} name {name!r} is reserved "
                            f"(functions, constants and 't': {sorted(_RESERVED)})")


def _parse(text: Any, names: Mapping[str, sp.Basic], where: str, system: str) -> sp.Expr:
    """One expression of a system file as SymPy, built from its syntax tree without ``eval``."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return sp.Float(text) if isinstance(text, float) else sp.Integer(text)
    if not isinstance(text, str):
        raise EquationError(f"{system}: {where} must be an expression string, got {text!r}")
    return read_expression(text, names, f"{system}: {where}")


def parse_equations(spec: Mapping[str, Any]) -> Equations:
    """Parse the ``variables``, ``parameters``, ``definitions``, ``equations``, ``lagged`` and
    ``postprocessing`` entries of a system file into :class:`Equations`."""
    system = spec.get("name", "<system>")
    variables = list(spec["variables"])
    delay = spec.get("delay") or {}
    lagged = dict(delay.get("lagged", {}))
    for name in variables:
        _check_name(name, "variable", system)
    for name, target in lagged.items():
        _check_name(name, "lagged", system)
        if target not in variables:
            raise EquationError(f"{system}: lagged name {name!r} refers to {target!r}, "
                                f"which is not a variable {variables}")
    flat = flatten_parameters(spec.get("parameters", {}))
    for name in spec.get("parameters", {}):
        _check_name(name, "parameter", system)

    names: dict[str, sp.Basic] = {}
    for name in [*variables, *lagged, "t", *flat]:
        if name in names:
            raise EquationError(f"{system}: name {name!r} is used twice")
        names[name] = sp.Symbol(name, real=True)

    for name, text in (spec.get("definitions") or {}).items():
        _check_name(name, "definition", system)
        if name in names:
            raise EquationError(f"{system}: definition {name!r} shadows another name")
        names[name] = _parse(text, names, f"definition {name!r}", system)

    equations = spec["equations"]
    if not isinstance(equations, Mapping) or list(equations) != variables:
        raise EquationError(f"{system}: 'equations' must give one expression per variable, in the "
                            f"order of 'variables' {variables}; got {list(equations or [])}")
    rhs = tuple(_parse(equations[v], names, f"equation for {v!r}", system) for v in variables)

    outputs = None
    if spec.get("postprocessing"):
        outputs = tuple(_parse(text, names, f"postprocessing entry {i}", system)
                        for i, text in enumerate(spec["postprocessing"]))
    symbols = lambda keys: tuple(names[k] for k in keys)  # noqa: E731
    return Equations(variables=symbols(variables), lagged=symbols(lagged), time=names["t"],
                     parameters=symbols(flat), rhs=rhs, outputs=outputs)
