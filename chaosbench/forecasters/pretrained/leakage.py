"""Leakage: whether a pretrained model saw a system during pretraining.

A zero-shot score means little on a system the model was trained on. ``leakage.yaml`` (next to
this module, shipped with the package) records, per model, a default status, per-system
exceptions and the sources; see that file for the meaning of ``seen``, ``derived``, ``unseen`` and
``unknown``. Rows of a sweep (``chaosbench.results.read_sweep``) are matched to a model through
the forecaster's ``model_key`` (the ``external`` forecaster names its model in its ``model``
setting, read from the row's ``config``)::

    rows = read_sweep("results", "zero_shot")
    rows = with_leakage(rows)            # adds the seen_in_pretraining column
    board = leaderboard(exclude_leaked(rows))
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Mapping

import pandas as pd
import yaml

__all__ = ["STATUSES", "models", "seen_in_pretraining", "is_leaked", "with_leakage",
           "exclude_leaked"]

STATUSES = ("seen", "derived", "unseen", "unknown")
#: The status of a forecaster that was not pretrained (it learns from the job's data only).
NOT_PRETRAINED = "not_pretrained"
LEAKED = ("seen", "derived")
COLUMN = "seen_in_pretraining"


@functools.lru_cache(maxsize=1)
def _table() -> Mapping[str, Mapping[str, Any]]:
    data = yaml.safe_load((Path(__file__).with_name("leakage.yaml")).read_text())["models"]
    for model, entry in data.items():
        for status in (entry["default"], *entry.get("systems", {}).values()):
            if status not in STATUSES:
                raise ValueError(f"leakage.yaml: {model}: status {status!r} is not one of "
                                 f"{list(STATUSES)}")
    return data


def models() -> list[str]:
    """The models the leakage table knows."""
    return sorted(_table())


def seen_in_pretraining(model: str, system: str) -> str:
    """``seen``, ``derived``, ``unseen`` or ``unknown`` for ``model`` on ``system``."""
    from chaosbench.catalogue import systems
    from chaosbench.suggest import suggest

    table = _table()
    if model not in table:
        raise ValueError(suggest(model, list(table), "pretrained model"))
    if system not in systems():
        raise ValueError(suggest(system, systems(), "system"))
    entry = table[model]
    return entry.get("systems", {}).get(system, entry["default"])


def is_leaked(model: str, system: str, *, strict: bool = False) -> bool:
    """True when ``model`` saw ``system`` (``seen`` or ``derived``; also ``unknown`` if strict)."""
    status = seen_in_pretraining(model, system)
    return status in LEAKED or (strict and status == "unknown")


def _row_model(forecaster: str, config: str | None) -> tuple[bool, str | None]:
    """(pretrained?, leakage-table key) of one row's model; the key is None when the row does
    not name its model (an ``external`` row without its config)."""
    from chaosbench.forecasters import make, names

    if forecaster not in names():
        return False, None
    cls = type(make(forecaster))
    if getattr(cls, "family", None) != "pretrained":
        return False, None
    key = getattr(cls, "model_key", None)
    if key is None and isinstance(config, str) and config:  # external: the model is a setting
        key = json.loads(config).get("forecaster", {}).get("model") or None
    return True, key


def with_leakage(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with a ``seen_in_pretraining`` column: a status per row, ``not_pretrained`` for
    models that learn from the job's data only, ``unknown`` for a model the table does not know."""
    configs = rows["config"] if "config" in rows else pd.Series(None, index=rows.index)
    pairs = list(zip(rows["forecaster"], configs))
    models_ = {pair: _row_model(*pair) for pair in set(pairs)}
    table = _table()

    def status(pair: tuple, system: str) -> str:
        pretrained, key = models_[pair]
        if not pretrained:
            return NOT_PRETRAINED
        return seen_in_pretraining(key, system) if key in table else "unknown"

    cells = list(zip(pairs, rows["system"]))
    statuses = {cell: status(*cell) for cell in set(cells)}
    out = rows.copy()
    out[COLUMN] = [statuses[cell] for cell in cells]
    return out


def exclude_leaked(rows: pd.DataFrame, *, strict: bool = False) -> pd.DataFrame:
    """``rows`` without the (model, system) cells the model saw in pretraining.

    Drops ``seen`` and ``derived`` cells; with ``strict=True`` also ``unknown`` ones. Rows of
    models that were not pretrained are kept. The result has the ``seen_in_pretraining`` column.
    """
    rows = with_leakage(rows) if COLUMN not in rows else rows
    drop = set(LEAKED) | ({"unknown"} if strict else set())
    return rows[~rows[COLUMN].isin(drop)].reset_index(drop=True)
