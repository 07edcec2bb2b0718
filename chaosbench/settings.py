"""The job settings a user can set, each declared once with its type and valid range.

The command line checks every override against this table before anything runs (one line, exit
status 2, nothing written) and :class:`chaosbench.runner.Job` checks the same table when it is
built from Python, so the two can never disagree.

Booleans are strict: ``true``/``false`` (or Python ``True``/``False``); ``no``, ``maybe`` and
``1`` are errors, not truthy strings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["Setting", "SETTINGS", "check", "RETRY"]

#: Which stored outcomes a rerun repeats: none, the failed and timed-out ones, or all.
RETRY = ("none", "failed", "all")


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str          # "int", "float", "bool", "str", "choice"
    valid: str         # what a user is told is valid
    test: Callable[[Any], bool] = lambda value: True
    choices: tuple[str, ...] = ()


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("seed", "int", "an integer >= 0", lambda v: _int(v) and v >= 0),
    Setting("timeout_s", "float", "a number of seconds > 0",
            lambda v: _number(v) and math.isfinite(v) and v > 0),
    Setting("threads", "int", "an integer >= 1", lambda v: _int(v) and v >= 1),
    Setting("force", "bool", "true or false", lambda v: isinstance(v, bool)),
    Setting("save_forecast", "bool", "true or false", lambda v: isinstance(v, bool)),
    Setting("tuned", "choice", "true, false or published (the paper's per-system values)",
            lambda v: isinstance(v, bool) or v in ("tuned", "published", "none")),
    Setting("include_nonchaotic", "bool", "true or false", lambda v: isinstance(v, bool)),
    Setting("retry", "choice", "one of none, failed, all", lambda v: v in RETRY, RETRY),
    Setting("results_dir", "str", "a non-empty folder path",
            lambda v: isinstance(v, str) and v.strip() != ""),
    Setting("sweep_name", "str", "a non-empty name without '/'",
            lambda v: isinstance(v, str) and v.strip() != "" and "/" not in v
            and v not in (".", "..")),
    Setting("label", "str", "a non-empty name, or null for the forecaster's own name",
            lambda v: v is None or (isinstance(v, str) and v.strip() != "")),
)}


def check(name: str, value: Any) -> None:
    """Raise ValueError (one line) unless ``value`` is valid for setting ``name``."""
    setting = SETTINGS[name]
    if not setting.test(value):
        raise ValueError(f"{name}={value!r} is not valid: {name} must be {setting.valid}")
