""""Did you mean": the nearest valid names for a mistyped one, for every error message.

    >>> suggest("Lorenzz", ["Lorenz", "Rossler"], "system")
    "unknown system 'Lorenzz'. Did you mean 'Lorenz'? Valid systems (2): Lorenz, Rossler"
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["closest", "did_you_mean", "suggest"]


def closest(name: str, valid: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` valid names nearest to ``name``, best first; case is ignored if nothing is
    close as written (``lorenz`` -> ``Lorenz``)."""
    valid = list(valid)
    close = difflib.get_close_matches(name, valid, n=n, cutoff=0.5)
    if not close:
        lowered = {v.lower(): v for v in valid}
        close = [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=n)]
    return close


def did_you_mean(name: str, valid: Iterable[str]) -> str:
    """``" Did you mean 'a', 'b'?"`` for the names nearest to ``name``, or ``""``."""
    close = closest(name, valid)
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def suggest(name: str, valid: Iterable[str], what: str) -> str:
    """An error message for an unknown ``name``: the closest valid names, then all of them."""
    valid = list(valid)
    shown = ", ".join(valid) if len(valid) <= 40 else ", ".join(valid[:40]) + ", ..."
    return f"unknown {what} {name!r}.{did_you_mean(name, valid)} Valid {what}s ({len(valid)}): {shown}"
