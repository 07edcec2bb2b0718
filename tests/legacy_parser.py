"""The equation reader chaosbench used before the safe one: SymPy's ``parse_expr``, which calls
``eval``. Kept in the tests only, as the reference the safe reader must reproduce exactly on the
shipped catalogue (trusted files); never import it from the library."""

import re

import sympy as sp
from sympy.parsing.sympy_parser import parse_expr, standard_transformations

from chaosbench.equations import EquationError
from chaosbench.expressions import CONSTANTS, FUNCTIONS, element_name

_INDEXED = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\[\s*([0-9]+(?:\s*,\s*[0-9]+)*)\s*\]")


def legacy_parse(text, names, where, system):
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return sp.Float(text) if isinstance(text, float) else sp.Integer(text)
    source = _INDEXED.sub(
        lambda m: element_name(m.group(1), [int(i) for i in m.group(2).split(",")]), text)
    base = {"Integer": sp.Integer, "Float": sp.Float, "Rational": sp.Rational,
            "Symbol": sp.Symbol, **FUNCTIONS, **CONSTANTS}
    expr = parse_expr(source, local_dict=dict(names), global_dict=base,
                      transformations=standard_transformations, evaluate=True)
    unknown = sorted(str(s) for s in expr.free_symbols if names.get(str(s)) is not s)
    if unknown:
        raise EquationError(f"{system}: {where} refers to unknown name(s) {unknown}")
    return expr
