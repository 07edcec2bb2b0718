"""Hyperparameter constraints, declared once per forecaster class (scikit-learn's
``_parameter_constraints``)::

    class ESN(Forecaster):
        defaults = {"units": 500, "leak_rate": 0.5, "solver": "rk4", ...}
        constraints = {"units": Interval(1), "leak_rate": Interval(0, 2, closed="neither"),
                       "solver": Options("rk4", "euler")}

:class:`~chaosbench.forecasters.Forecaster` checks every value against its constraint once the
value has the type of its default, and raises one line: ``ESN: units must be >= 1, got 0``. A
subclass's ``constraints`` add to (and may replace) those of its parents. A rule that ties two
hyperparameters together stays in the class's ``_check_hyperparameters`` hook.
"""

from __future__ import annotations

import numbers
import re
from typing import Any

__all__ = ["Constraint", "Interval", "Options", "Pattern", "OrNone", "TRAINING"]


class Constraint:
    """A rule one hyperparameter's value must satisfy; ``str()`` completes "must be ..."."""

    description: str = ""

    def holds(self, value: Any) -> bool:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.description

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description!r})"


def _number(x: Any) -> str:
    return repr(x) if isinstance(x, float) and not x.is_integer() else f"{x:g}"


class Interval(Constraint):
    """A number between ``low`` and ``high`` (``None``: unbounded on that side); ``closed`` says
    which finite ends are included: ``"both"`` (default), ``"left"``, ``"right"`` or
    ``"neither"``. ``integer``: an int as well. ``description`` replaces the generated text.

    ``Interval(1)`` is ``>= 1``; ``Interval(0, closed="neither")`` is ``> 0``;
    ``Interval(0, 1, closed="right")`` is ``in (0, 1]``."""

    _CLOSED = ("both", "left", "right", "neither")

    def __init__(self, low: float | None = None, high: float | None = None, closed: str = "both",
                 *, integer: bool = False, description: str | None = None) -> None:
        if closed not in self._CLOSED:
            raise ValueError(f"Interval: closed must be one of {self._CLOSED}, got {closed!r}")
        self.low, self.high, self.closed, self.integer = low, high, closed, integer
        self.description = description or self._describe()

    def _describe(self) -> str:
        left, right = self.closed in ("both", "left"), self.closed in ("both", "right")
        kind = "an int " if self.integer else ""
        if self.high is None:
            text = f"{'>=' if left else '>'} {_number(self.low)}" if self.low is not None else \
                "a number"
        elif self.low is None:
            text = f"{'<=' if right else '<'} {_number(self.high)}"
        else:
            text = (f"in {'[' if left else '('}{_number(self.low)}, {_number(self.high)}"
                    f"{']' if right else ')'}")
        return kind + text

    def holds(self, value: Any) -> bool:
        wanted = numbers.Integral if self.integer else numbers.Real
        if isinstance(value, bool) or not isinstance(value, wanted):
            return False
        if self.low is not None and not (value >= self.low if self.closed in ("both", "left")
                                         else value > self.low):
            return False
        return self.high is None or (value <= self.high if self.closed in ("both", "right")
                                     else value < self.high)


class Options(Constraint):
    """One of the given values: ``Options("CSS-ML", "ML", "CSS")`` (``None`` reads null)."""

    def __init__(self, *values: Any) -> None:
        self.values = tuple(values)
        self.description = "one of " + ", ".join("null" if v is None else repr(v)
                                                 for v in self.values)

    def holds(self, value: Any) -> bool:
        return any(value == v and type(value) is type(v) for v in self.values)


class Pattern(Constraint):
    """A string matching the regular expression ``regex`` as a whole; ``description`` says what
    it is in words (``"cpu, cuda, cuda:N or auto"``)."""

    def __init__(self, regex: str, description: str) -> None:
        self.regex, self.description = re.compile(regex), description

    def holds(self, value: Any) -> bool:
        return isinstance(value, str) and self.regex.fullmatch(value) is not None


class OrNone(Constraint):
    """``None`` (null in YAML), or a value that satisfies ``constraint``."""

    def __init__(self, constraint: Constraint) -> None:
        self.constraint = constraint
        self.description = f"null or {constraint}"

    def holds(self, value: Any) -> bool:
        return value is None or self.constraint.holds(value)


#: The hyperparameters every gradient-trained model of the benchmark shares (sequence models,
#: neural ODE, PLRNNs): batch size, optimiser steps, learning rate and its final fraction, and
#: the escape box of closed-loop forecasts.
TRAINING: dict[str, Constraint] = {
    "batch_size": Interval(1),
    "iterations": Interval(0),
    "learning_rate": Interval(0, closed="neither"),
    "final_lr_fraction": Interval(0, 1, closed="right"),
    "escape_factor": Interval(0, closed="neither"),
}
