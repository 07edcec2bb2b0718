"""Forecasters of the benchmark and their registry.

Every forecaster has one configuration file, ``conf/forecaster/<name>.yaml``, in the hydra style:
a ``_target_`` key naming the class and every hyperparameter with its default::

    _target_: chaosbench.forecasters.reservoir.ESN
    units: 500
    ...

``names()`` lists the configurations; ``make(name, **overrides)`` builds one (``seed`` is passed
the same way). The model modules (torch, darts, ...) are imported only when a model is made.

Models whose default budget is reduced to train in seconds on a CPU also have a ``paper`` profile,
``conf/forecaster/paper/<name>.yaml`` (the published, heavier setting), listed by
``paper_names()`` and made with ``make("paper/nbeats")`` or, on the command line,
``forecaster=paper/nbeats``. A profile may inherit its base configuration with a Hydra defaults
list (``defaults: [/forecaster/esn@_here_, _self_]``) and hold only what it changes.
"""

from __future__ import annotations

import difflib
import importlib
from pathlib import Path
from typing import Any

from .base import Forecaster, NotFittedError

__all__ = [
    "Forecaster",
    "NotFittedError",
    "conf_dir",
    "load_config",
    "make",
    "names",
    "paper_names",
]


def conf_dir() -> Path:
    """The ``conf/`` directory: the repository's, else the one shipped inside the package."""
    from chaosbench.paths import data_dir

    return data_dir("conf")


def names() -> list[str]:
    """Names of the configured forecasters, sorted."""
    return sorted(p.stem for p in (conf_dir() / "forecaster").glob("*.yaml"))


def paper_names() -> list[str]:
    """Names of the paper-profile configurations (``"paper/<name>"``), sorted."""
    return sorted(f"paper/{p.stem}" for p in (conf_dir() / "forecaster" / "paper").glob("*.yaml"))


def load_config(name: str) -> dict[str, Any]:
    """The configuration of forecaster ``name`` (or ``"paper/<name>"``) as a plain dict
    (``_target_`` included)."""
    from omegaconf import OmegaConf  # hydra's config loader: parses 1e-6 as a float

    valid = names() + paper_names()
    if name not in valid:
        close = difflib.get_close_matches(str(name), valid, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown forecaster {name!r}.{hint} Valid names: {', '.join(valid)}")
    path = conf_dir() / "forecaster" / f"{name}.yaml"
    cfg = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
    if isinstance(cfg, dict) and "defaults" in cfg:
        cfg = _inherit(path, cfg)
    if not isinstance(cfg, dict) or "_target_" not in cfg:
        raise ValueError(f"{path}: expected a mapping with a _target_ key")
    return cfg


def _inherit(path: Path, cfg: dict[str, Any]) -> dict[str, Any]:
    """Resolve a profile's Hydra defaults list, ``[/forecaster/<base>@_here_, _self_]``: the base
    configuration updated with the profile's own keys (what Hydra composes for
    ``forecaster=paper/<name>``)."""
    merged: dict[str, Any] = {}
    for entry in cfg.pop("defaults"):
        if entry == "_self_":
            continue
        base = str(entry).removesuffix("@_here_")
        if not base.startswith("/forecaster/") or base == entry:
            raise ValueError(f"{path}: defaults entries must read /forecaster/<name>@_here_, "
                             f"got {entry!r}")
        merged.update(load_config(base.removeprefix("/forecaster/")))
    merged.update(cfg)
    return merged


def _resolve(target: str) -> type[Forecaster]:
    module_name, _, attr = target.rpartition(".")
    cls = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(cls, type) and issubclass(cls, Forecaster)):
        raise TypeError(f"{target} is not a Forecaster subclass")
    return cls


def make(name: str, **overrides: Any) -> Forecaster:
    """Build forecaster ``name`` from its YAML defaults, updated with ``overrides``.

    ``make("esn", seed=3, units=200)``. Unknown names and hyperparameters raise ValueError listing
    the valid ones.
    """
    cfg = load_config(name)
    cls = _resolve(cfg.pop("_target_"))
    cfg.update(overrides)
    return cls(**cfg)
