"""The expression language of system files, read into SymPy without ``eval``.

A system file is data shared between labs like a dataset, so its expressions must never run
code. :func:`read_expression` parses the text with Python's own parser (:func:`ast.parse`, which
builds a syntax tree and executes nothing), walks the tree and accepts only this grammar::

    expr   := number | name | name[int, ...]            literals, symbols, array elements
            | -expr | +expr | expr op expr              op in  + - * / **
            | expr cmp expr [cmp expr ...]              cmp in < <= > >= == !=  (chains: "and")
            | expr and expr | expr or expr | not expr
            | function(expr, ...)                       positional arguments, see FUNCTIONS

Names must be known (state variables, ``t``, parameters, earlier definitions, ``pi``) and may not
contain a double underscore; numbers are int or float literals (no complex, no booleans). Every
node is mapped to the SymPy operation Python's operator would have called, so the result is the
expression ``sympy.parse_expr`` built for the same text (tested on the whole catalogue), without
its ``eval`` and the escapes that come with it (``().__class__.__base__.__subclasses__()``,
``__import__``, attribute access, lambdas, comprehensions, f-strings, walrus). Anything else is
rejected with one line naming the system, the entry and the offending token.

Resource limits keep a hostile file from exhausting the machine instead: at most
:data:`MAX_LENGTH` characters, :data:`MAX_DEPTH` levels of nesting, and integer powers of number
literals up to :data:`MAX_EXPONENT` (SymPy evaluates ``10**10**10`` exactly).
"""

from __future__ import annotations

import ast
import operator
from typing import Any, Callable, Mapping, Sequence

import sympy as sp

__all__ = ["EquationError", "FUNCTIONS", "CONSTANTS", "MAX_LENGTH", "MAX_DEPTH", "MAX_EXPONENT",
           "read_expression", "element_name"]

MAX_LENGTH = 20_000   # characters; the catalogue's longest expression has 378
MAX_DEPTH = 100       # syntax-tree levels; the catalogue's deepest has 14
MAX_EXPONENT = 1_000  # |n| in number ** n for number literals


class EquationError(ValueError):
    """A system's equations cannot be parsed, use a construct outside the grammar, or refer to
    unknown names."""


def _heaviside(x):
    return sp.Heaviside(x, 0)


def _where(condition, a, b):
    return sp.Piecewise((a, condition), (b, True))


# name: (SymPy constructor, number of arguments; None = one or more)
_SIGNATURES: dict[str, tuple[Callable[..., sp.Basic], int | None]] = {
    "sin": (sp.sin, 1), "cos": (sp.cos, 1), "tan": (sp.tan, 1),
    "arcsin": (sp.asin, 1), "arccos": (sp.acos, 1), "arctan": (sp.atan, 1),
    "arctan2": (sp.atan2, 2),
    "sinh": (sp.sinh, 1), "cosh": (sp.cosh, 1), "tanh": (sp.tanh, 1),
    "exp": (sp.exp, 1), "log": (sp.log, 1), "sqrt": (sp.sqrt, 1),
    "abs": (sp.Abs, 1), "sign": (sp.sign, 1), "heaviside": (_heaviside, 1),
    "min": (sp.Min, None), "max": (sp.Max, None), "where": (_where, 3),
}
#: The functions an expression may call (names as in NumPy).
FUNCTIONS: dict[str, Callable[..., sp.Basic]] = {k: f for k, (f, _) in _SIGNATURES.items()}
#: Named constants.
CONSTANTS: dict[str, sp.Basic] = {"pi": sp.pi}

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_COMPARE = {ast.Lt: sp.StrictLessThan, ast.LtE: sp.LessThan, ast.Gt: sp.StrictGreaterThan,
            ast.GtE: sp.GreaterThan, ast.Eq: sp.Eq, ast.NotEq: sp.Ne}
_SYMBOL = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|",
           ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>", ast.Invert: "~",
           ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}
_WHAT = {ast.Attribute: "attribute access", ast.Lambda: "lambda", ast.Subscript: "subscript",
         ast.ListComp: "comprehension", ast.SetComp: "comprehension",
         ast.DictComp: "comprehension", ast.GeneratorExp: "generator expression",
         ast.JoinedStr: "f-string", ast.NamedExpr: "assignment (:=)", ast.IfExp: "x if c else y",
         ast.Starred: "starred argument", ast.Await: "await", ast.Yield: "yield",
         ast.Tuple: "tuple", ast.List: "list", ast.Dict: "dict", ast.Set: "set",
         ast.Slice: "slice"}
_GRAMMAR = ("numbers, names, + - * / **, comparisons, and/or/not, w[i, j] for array "
            f"parameters and calls of {', '.join(FUNCTIONS)}")


def element_name(name: str, index: Sequence[int]) -> str:
    """The symbol name of element ``index`` of array parameter ``name``: ``w[0, 2]`` is
    ``w__0__2`` (double underscores cannot occur in names a file writes)."""
    return name + "".join(f"__{i}" for i in index)


class _Reject(Exception):
    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


class _Reader:
    """Builds the SymPy expression of one syntax tree, refusing every node outside the grammar."""

    def __init__(self, source: str, names: Mapping[str, sp.Basic]):
        self.source = source
        self.names = names

    def token(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or type(node).__name__

    def refuse(self, node: ast.AST, what: str | None = None) -> _Reject:
        what = what or _WHAT.get(type(node), type(node).__name__)
        return _Reject(f"{what} {self.token(node)!r} is not allowed; allowed: {_GRAMMAR}")

    def read(self, node: ast.AST) -> sp.Basic:
        reader = _ALLOWED.get(type(node))
        if reader is None:
            raise self.refuse(node)
        return reader(self, node)

    def read_Constant(self, node: ast.Constant) -> sp.Basic:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.refuse(node, "literal")
        if isinstance(value, int):
            return sp.Integer(value)
        # As sympy's auto_number: Float of the literal's text, so its precision follows its digits.
        return sp.Float(self.token(node))

    def read_Name(self, node: ast.Name) -> sp.Basic:
        name = node.id
        if "__" in name:
            raise self.refuse(node, "name")
        if name in self.names:
            return self.names[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in FUNCTIONS:
            raise self.refuse(node, "function without a call")
        known = sorted(n for n in self.names if "__" not in n)
        raise _Reject(f"unknown name {name!r}; known names: {known}")

    def read_Subscript(self, node: ast.Subscript) -> sp.Basic:
        array = node.value
        index = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if not isinstance(array, ast.Name) or "__" in array.id or not all(
                isinstance(i, ast.Constant) and type(i.value) is int and i.value >= 0
                for i in index):
            raise self.refuse(node, "subscript (only array parameters by constant indices, "
                                    "w[0, 2])")
        name = element_name(array.id, [i.value for i in index])
        if name not in self.names:
            if not any(k.startswith(array.id + "__") for k in self.names):
                raise self.refuse(node, f"{array.id!r} is not an array parameter:")
            raise _Reject(f"index out of range in {self.token(node)!r}")
        return self.names[name]

    def read_UnaryOp(self, node: ast.UnaryOp) -> sp.Basic:
        operand = self.read(node.operand)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return +operand
        if isinstance(node.op, ast.Not):
            return sp.Not(operand)
        raise self.refuse(node, f"operator {_SYMBOL.get(type(node.op), '?')!r} in")

    def read_BinOp(self, node: ast.BinOp) -> sp.Basic:
        apply = _BINARY.get(type(node.op))
        if apply is None:
            raise self.refuse(node, f"operator {_SYMBOL.get(type(node.op), '?')!r} in")
        left, right = self.read(node.left), self.read(node.right)
        if apply is operator.pow and left.is_Number and right.is_Integer \
                and abs(int(right)) > MAX_EXPONENT:
            raise self.refuse(node, f"power of a number beyond exponent {MAX_EXPONENT}:")
        return apply(left, right)

    def read_Compare(self, node: ast.Compare) -> sp.Basic:
        terms = [node.left, *node.comparators]
        values = [self.read(term) for term in terms]
        parts = []
        for op, a, b in zip(node.ops, values, values[1:]):
            relation = _COMPARE.get(type(op))
            if relation is None:
                raise self.refuse(node, f"operator {_SYMBOL.get(type(op), '?')!r} in")
            parts.append(relation(a, b))
        return parts[0] if len(parts) == 1 else sp.And(*parts)

    def read_BoolOp(self, node: ast.BoolOp) -> sp.Basic:
        combine = sp.And if isinstance(node.op, ast.And) else sp.Or
        return combine(*(self.read(v) for v in node.values))

    def read_Call(self, node: ast.Call) -> sp.Basic:
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in _SIGNATURES:
            raise self.refuse(func, "call of")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.refuse(node, "keyword or starred argument in")
        build, arity = _SIGNATURES[func.id]
        n = len(node.args)
        if (arity is None and n < 1) or (arity is not None and n != arity):
            expected = "one or more" if arity is None else str(arity)
            raise self.refuse(node, f"{func.id} takes {expected} argument(s), got {n}:")
        return build(*(self.read(a) for a in node.args))


#: The allow-list: the only syntax-tree nodes an expression may contain, and their readers.
_ALLOWED: dict[type, Callable[[_Reader, Any], sp.Basic]] = {
    ast.Constant: _Reader.read_Constant, ast.Name: _Reader.read_Name,
    ast.Subscript: _Reader.read_Subscript, ast.UnaryOp: _Reader.read_UnaryOp,
    ast.BinOp: _Reader.read_BinOp, ast.Compare: _Reader.read_Compare,
    ast.BoolOp: _Reader.read_BoolOp, ast.Call: _Reader.read_Call,
}


def _depth(tree: ast.AST) -> int:
    """Nesting depth of a syntax tree, iteratively (no recursion limit to hit)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


def read_expression(text: str, names: Mapping[str, sp.Basic], context: str) -> sp.Basic:
    """The SymPy expression written as ``text``, over the symbols and expressions ``names``.

    ``context`` (``"<system>: equation for 'x'"``) starts every error message.

    Raises:
        EquationError: one line naming ``context``, the offending token and
            what is allowed instead.
    """
    source = " ".join(text.split())  # YAML line folding; the grammar has no strings to protect
    if len(source) > MAX_LENGTH:
        raise EquationError(f"{context}: expression of {len(source)} characters is longer than "
                            f"{MAX_LENGTH}")
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        detail = getattr(error, "msg", None) or type(error).__name__
        raise EquationError(f"{context}: cannot parse {text!r} ({detail})") from None
    if _depth(tree) > MAX_DEPTH:
        raise EquationError(f"{context}: expression nested deeper than {MAX_DEPTH} levels")
    try:
        return _Reader(source, names).read(tree.body)
    except _Reject as reject:
        raise EquationError(f"{context}: {reject.problem}") from None
    except (TypeError, ValueError, ArithmeticError) as error:  # SymPy refusing an operation
        raise EquationError(f"{context}: cannot build {text!r} ({error})") from None
