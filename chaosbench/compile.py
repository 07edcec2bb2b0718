"""Compile SymPy expressions into a register program that :mod:`chaosbench.vm` runs.

A vector field is compiled once per system, then evaluated millions of times inside the
integrators. Rather than JIT-compiling machine code for each of the 135 systems (seconds each), every
system is lowered to a short straight-line *program* for one virtual machine that is JIT-compiled
once for all systems:

* common subexpressions are shared (``sympy.cse``), constants folded by SymPy;
* each instruction is ``(op, dst, a, b, c)`` over a register file ``R[register, lane]``; the VM
  runs every instruction across all lanes, so a batch of initial conditions costs one dispatch per
  instruction, not one per trajectory;
* registers ``0 .. n_inputs-1`` hold the inputs in :attr:`Equations.inputs` order (state, lagged
  state, time, parameters), then constants, then temporaries.

Parameters are inputs, not constants, so changing them never recompiles anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import sympy as sp

__all__ = ["OP", "Program", "CompileError", "compile_program", "jacobian_expressions"]

OP = {name: code for code, name in enumerate([
    "add", "sub", "mul", "div", "neg", "square", "cube", "recip", "pow",
    "sqrt", "exp", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh",
    "asin", "acos", "atan", "atan2", "abs", "sign", "heaviside", "min", "max",
    "lt", "le", "gt", "ge", "eq", "ne", "and", "or", "not", "where", "copy",
])}

_UNARY = {
    sp.exp: "exp", sp.log: "log", sp.sin: "sin", sp.cos: "cos", sp.tan: "tan",
    sp.sinh: "sinh", sp.cosh: "cosh", sp.tanh: "tanh", sp.asin: "asin", sp.acos: "acos",
    sp.atan: "atan", sp.Abs: "abs", sp.sign: "sign",
}
_COMPARE = {sp.StrictLessThan: "lt", sp.LessThan: "le", sp.StrictGreaterThan: "gt",
            sp.GreaterThan: "ge", sp.Equality: "eq", sp.Unequality: "ne"}


class CompileError(ValueError):
    """An expression uses a construct the virtual machine cannot evaluate."""


@dataclass(frozen=True)
class Program:
    """A straight-line register program.

    Attributes:
        code: ``(n_instructions, 5)`` int64 rows ``(op, dst, a, b, c)``.
        constants: values preloaded into registers ``n_inputs .. n_inputs + len(constants) - 1``.
        n_inputs: number of input registers.
        n_registers: size of the register file.
        outputs: register holding each output expression.
    """

    code: np.ndarray
    constants: np.ndarray
    n_inputs: int
    n_registers: int
    outputs: np.ndarray

    def registers(self, lanes: int) -> np.ndarray:
        """A fresh register file with the constants loaded, inputs left to the caller."""
        R = np.zeros((self.n_registers, lanes))
        R[self.n_inputs:self.n_inputs + len(self.constants)] = self.constants[:, None]
        return R


class _Builder:
    def __init__(self, inputs: Sequence[sp.Symbol]):
        self.slot: dict[sp.Basic, int] = {s: i for i, s in enumerate(inputs)}
        self.n_inputs = len(inputs)
        self.constants: list[float] = []
        self.constant_slot: dict[float, int] = {}
        self.code: list[tuple[int, int, int, int, int]] = []
        self.n_temps = 0

    # Constants and temporaries live in separate index spaces until `finish` lays them out.
    def const(self, value: float) -> int:
        value = float(value)
        if value not in self.constant_slot:
            self.constant_slot[value] = -1 - len(self.constants)
            self.constants.append(value)
        return self.constant_slot[value]

    def emit(self, op: str, a: int, b: int = 0, c: int = 0) -> int:
        dst = 1_000_000 + self.n_temps
        self.n_temps += 1
        self.code.append((OP[op], dst, a, b, c))
        return dst

    def chain(self, op: str, regs: Iterable[int]) -> int:
        regs = list(regs)
        acc = regs[0]
        for r in regs[1:]:
            acc = self.emit(op, acc, r)
        return acc

    def lower(self, e: sp.Basic) -> int:
        if e in self.slot:
            return self.slot[e]
        reg = self._lower(e)
        self.slot[e] = reg
        return reg

    def _lower(self, e: sp.Basic) -> int:
        if e.is_Number or e is sp.pi or e is sp.E:
            if not e.is_real:
                raise CompileError(f"non-real constant {e}")
            return self.const(float(e))
        if e is sp.true:
            return self.const(1.0)
        if e is sp.false:
            return self.const(0.0)
        if e.is_Symbol:
            raise CompileError(f"unbound symbol {e}")
        if e.is_Add:
            plus = [a for a in e.args if not _is_negated(a)]
            minus = [-a for a in e.args if _is_negated(a)]
            if not plus:
                return self.emit("neg", self.chain("add", (self.lower(a) for a in minus)))
            acc = self.chain("add", (self.lower(a) for a in plus))
            for a in minus:
                acc = self.emit("sub", acc, self.lower(a))
            return acc
        if e.is_Mul:
            coeff, rest = e.as_coeff_Mul()
            if coeff == -1:
                return self.emit("neg", self.lower(rest))
            num = [a for a in e.args if not _is_reciprocal(a)]
            den = [1 / a for a in e.args if _is_reciprocal(a)]
            acc = self.chain("mul", (self.lower(a) for a in num)) if num else self.const(1.0)
            if den:
                acc = self.emit("div", acc, self.chain("mul", (self.lower(a) for a in den)))
            return acc
        if e.is_Pow:
            base, expo = e.args
            special = {2: "square", 3: "cube", -1: "recip"}
            if expo in special:
                return self.emit(special[expo], self.lower(base))
            if expo == sp.Rational(1, 2):
                return self.emit("sqrt", self.lower(base))
            if expo == sp.Rational(-1, 2):
                return self.emit("recip", self.emit("sqrt", self.lower(base)))
            if expo.is_Integer and expo < 0:
                return self.emit("recip", self.lower(base ** (-expo)))
            return self.emit("pow", self.lower(base), self.lower(expo))
        if isinstance(e, sp.Heaviside):
            x, at_zero = e.args[0], (e.args[1] if len(e.args) > 1 else sp.S.Half)
            if at_zero == 0:
                return self.emit("heaviside", self.lower(x))
            return self.lower(sp.Piecewise((1, x > 0), (at_zero, sp.Eq(x, 0)), (0, True)))
        if isinstance(e, sp.DiracDelta):  # derivative of a step: zero almost everywhere
            return self.const(0.0)
        if e.func in _UNARY:
            return self.emit(_UNARY[e.func], self.lower(e.args[0]))
        if isinstance(e, sp.atan2):
            return self.emit("atan2", self.lower(e.args[0]), self.lower(e.args[1]))
        if isinstance(e, (sp.Min, sp.Max)):
            return self.chain("min" if isinstance(e, sp.Min) else "max",
                              (self.lower(a) for a in e.args))
        if type(e) in _COMPARE:
            return self.emit(_COMPARE[type(e)], self.lower(e.args[0]), self.lower(e.args[1]))
        if isinstance(e, (sp.And, sp.Or)):
            return self.chain("and" if isinstance(e, sp.And) else "or",
                              (self.lower(a) for a in e.args))
        if isinstance(e, sp.Not):
            return self.emit("not", self.lower(e.args[0]))
        if isinstance(e, sp.Piecewise):
            *pieces, (last, cond) = e.args
            if cond is not sp.true:
                raise CompileError(f"piecewise expression without a default branch: {e}")
            acc = self.lower(last)
            for value, condition in reversed(pieces):
                acc = self.emit("where", self.lower(condition), self.lower(value), acc)
            return acc
        raise CompileError(f"cannot compile {type(e).__name__}: {e}")

    def finish(self, outputs: Sequence[int]) -> Program:
        n_const = len(self.constants)

        def place(r: int) -> int:
            if r >= 1_000_000:
                return self.n_inputs + n_const + (r - 1_000_000)
            if r < 0:
                return self.n_inputs + (-1 - r)
            return r

        code = np.array([(op, place(d), place(a), place(b), place(c))
                         for op, d, a, b, c in self.code], dtype=np.int64).reshape(-1, 5)
        return Program(code=code, constants=np.array(self.constants, dtype=float),
                       n_inputs=self.n_inputs, n_registers=self.n_inputs + n_const + self.n_temps,
                       outputs=np.array([place(r) for r in outputs], dtype=np.int64))


def _is_negated(a: sp.Basic) -> bool:
    return a.is_Mul and a.as_coeff_Mul()[0].is_negative


def _is_reciprocal(a: sp.Basic) -> bool:
    return a.is_Pow and a.args[1].is_Integer and a.args[1] < 0


def compile_program(expressions: Sequence[sp.Expr], inputs: Sequence[sp.Symbol]) -> Program:
    """Lower ``expressions`` (functions of ``inputs``) to one :class:`Program`, sharing work."""
    replacements, reduced = sp.cse(list(expressions), symbols=sp.numbered_symbols("_cse"),
                                   optimizations="basic")
    builder = _Builder(inputs)
    for symbol, expr in replacements:
        builder.slot[symbol] = builder.lower(expr)
    return builder.finish([builder.lower(e) for e in reduced])


def jacobian_expressions(rhs: Sequence[sp.Expr], wrt: Sequence[sp.Symbol]) -> list[sp.Expr]:
    """Row-major symbolic Jacobian ``d rhs[i] / d wrt[j]``; distributions (derivatives of steps)
    are dropped, so piecewise-smooth fields get their almost-everywhere derivative."""
    out = []
    for f in rhs:
        for x in wrt:
            d = sp.diff(f, x)
            if d.has(sp.DiracDelta):
                d = d.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.Integer(0))
            out.append(d)
    return out
