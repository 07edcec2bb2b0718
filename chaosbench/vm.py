"""The virtual machine that runs compiled programs (see :mod:`chaosbench.compile`).

Generated once from the opcode table in :mod:`chaosbench.compile` and JIT-compiled by Numba for all
systems at once (cached on disk after the first run). Each instruction runs across every lane of the
register file, so a batch of states costs one dispatch per instruction.
"""

import numpy as np

from chaosbench.compile import OP
from chaosbench.jit import kernel

# The branch numbers below must follow OP; this check keeps the two in step.
assert list(OP) == ['add', 'sub', 'mul', 'div', 'neg', 'square', 'cube', 'recip', 'pow', 'sqrt', 'exp', 'log', 'sin', 'cos', 'tan', 'sinh', 'cosh', 'tanh', 'asin', 'acos', 'atan', 'atan2', 'abs', 'sign', 'heaviside', 'min', 'max', 'lt', 'le', 'gt', 'ge', 'eq', 'ne', 'and', 'or', 'not', 'where', 'copy']


@kernel
def run(code, R, lanes):
    """Execute ``code`` on register file ``R`` (registers x lanes), first ``lanes`` lanes."""
    for k in range(code.shape[0]):
        op = code[k, 0]
        d = code[k, 1]
        a = code[k, 2]
        b = code[k, 3]
        c = code[k, 4]
        if op == 0:  # add
            for j in range(lanes):
                R[d, j] = R[a, j] + R[b, j]
        elif op == 1:  # sub
            for j in range(lanes):
                R[d, j] = R[a, j] - R[b, j]
        elif op == 2:  # mul
            for j in range(lanes):
                R[d, j] = R[a, j] * R[b, j]
        elif op == 3:  # div
            for j in range(lanes):
                R[d, j] = R[a, j] / R[b, j]
        elif op == 4:  # neg
            for j in range(lanes):
                R[d, j] = -R[a, j]
        elif op == 5:  # square
            for j in range(lanes):
                R[d, j] = R[a, j] * R[a, j]
        elif op == 6:  # cube
            for j in range(lanes):
                R[d, j] = R[a, j] * R[a, j] * R[a, j]
        elif op == 7:  # recip
            for j in range(lanes):
                R[d, j] = 1.0 / R[a, j]
        elif op == 8:  # pow
            for j in range(lanes):
                R[d, j] = R[a, j] ** R[b, j]
        elif op == 9:  # sqrt
            for j in range(lanes):
                R[d, j] = np.sqrt(R[a, j])
        elif op == 10:  # exp
            for j in range(lanes):
                R[d, j] = np.exp(R[a, j])
        elif op == 11:  # log
            for j in range(lanes):
                R[d, j] = np.log(R[a, j])
        elif op == 12:  # sin
            for j in range(lanes):
                R[d, j] = np.sin(R[a, j])
        elif op == 13:  # cos
            for j in range(lanes):
                R[d, j] = np.cos(R[a, j])
        elif op == 14:  # tan
            for j in range(lanes):
                R[d, j] = np.tan(R[a, j])
        elif op == 15:  # sinh
            for j in range(lanes):
                R[d, j] = np.sinh(R[a, j])
        elif op == 16:  # cosh
            for j in range(lanes):
                R[d, j] = np.cosh(R[a, j])
        elif op == 17:  # tanh
            for j in range(lanes):
                R[d, j] = np.tanh(R[a, j])
        elif op == 18:  # asin
            for j in range(lanes):
                R[d, j] = np.arcsin(R[a, j])
        elif op == 19:  # acos
            for j in range(lanes):
                R[d, j] = np.arccos(R[a, j])
        elif op == 20:  # atan
            for j in range(lanes):
                R[d, j] = np.arctan(R[a, j])
        elif op == 21:  # atan2
            for j in range(lanes):
                R[d, j] = np.arctan2(R[a, j], R[b, j])
        elif op == 22:  # abs
            for j in range(lanes):
                R[d, j] = abs(R[a, j])
        elif op == 23:  # sign
            for j in range(lanes):
                R[d, j] = np.sign(R[a, j])
        elif op == 24:  # heaviside
            for j in range(lanes):
                R[d, j] = 1.0 if R[a, j] > 0.0 else 0.0
        elif op == 25:  # min
            for j in range(lanes):
                R[d, j] = min(R[a, j], R[b, j])
        elif op == 26:  # max
            for j in range(lanes):
                R[d, j] = max(R[a, j], R[b, j])
        elif op == 27:  # lt
            for j in range(lanes):
                R[d, j] = 1.0 if R[a, j] < R[b, j] else 0.0
        elif op == 28:  # le
            for j in range(lanes):
                R[d, j] = 1.0 if R[a, j] <= R[b, j] else 0.0
        elif op == 29:  # gt
            for j in range(lanes):
                R[d, j] = 1.0 if R[a, j] > R[b, j] else 0.0
        elif op == 30:  # ge
            for j in range(lanes):
                R[d, j] = 1.0 if R[a, j] >= R[b, j] else 0.0
        elif op == 31:  # eq
            for j in range(lanes):
                R[d, j] = 1.0 if R[a, j] == R[b, j] else 0.0
        elif op == 32:  # ne
            for j in range(lanes):
                R[d, j] = 1.0 if R[a, j] != R[b, j] else 0.0
        elif op == 33:  # and
            for j in range(lanes):
                R[d, j] = 1.0 if (R[a, j] != 0.0 and R[b, j] != 0.0) else 0.0
        elif op == 34:  # or
            for j in range(lanes):
                R[d, j] = 1.0 if (R[a, j] != 0.0 or R[b, j] != 0.0) else 0.0
        elif op == 35:  # not
            for j in range(lanes):
                R[d, j] = 1.0 if R[a, j] == 0.0 else 0.0
        elif op == 36:  # where
            for j in range(lanes):
                R[d, j] = R[b, j] if R[a, j] != 0.0 else R[c, j]
        elif op == 37:  # copy
            for j in range(lanes):
                R[d, j] = R[a, j]
