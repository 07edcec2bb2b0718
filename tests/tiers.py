"""Representative samples for the fast tier.

A check repeated over every forecaster or every system runs, in ``make test``, on a sample that
covers each implementation once: one or two forecasters per module (every library adapter and
code path) and systems spread over the catalogue plus every delay equation. The other cases are
marked ``exhaustive`` and run with ``make test TIER=all``, which CI runs, so every case is still
checked on every landing.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

import chaosbench

#: One or two forecasters per module of chaosbench/forecasters (the names the special-case
#: tests rely on included): every adapter and code path once.
FORECASTERS = frozenset({
    "naive", "mean", "linear",                     # baselines
    "linear_regression",                           # darts regression models
    "nlinear", "lstm",                             # darts torch models: feed-forward, recurrent
    "kalman", "theta",                             # darts local / statistical models
    "esn", "nvar",                                 # reservoirpy
    "sindy", "node", "edmd", "dmd",                # pysindy, torchdiffeq, numpy / pydmd Koopman
    "cfc", "mamba", "gtf_plrnn",                   # ncps, mambapy, the PLRNN trainer
    "chronos_bolt", "fracast", "external",         # pretrained adapters and the subprocess one
})


def _systems() -> frozenset[str]:
    names = chaosbench.systems()
    delay = {n for n in names if chaosbench.system(n).delay}
    return frozenset(names[::9]) | delay | {"Lorenz"}


SYSTEMS = _systems()


def sample(values: Iterable[str], keep: frozenset[str]) -> list:
    """``values`` as pytest parameters; those outside ``keep`` (a ``paper/<name>`` profile
    counts as ``<name>``) are marked ``exhaustive``."""
    out = []
    for value in values:
        base = str(value).split("/", 1)[-1]
        out.append(value if base in keep else pytest.param(value, marks=pytest.mark.exhaustive))
    return out
