"""Forecasters of the benchmark and their registry.

A forecaster class is the one source of its hyperparameters: ``defaults`` (each with its default)
and ``constraints`` (the allowed values). Its configuration file, ``conf/forecaster/<name>.yaml``,
names the class in the hydra style and says in comments what the model is::

    # Echo state network (reservoirpy Reservoir + Ridge readout), closed-loop forecast.
    _target_: chaosbench.forecasters.reservoir.ESN

``names()`` lists the configurations; ``load_config(name)`` is ``_target_`` plus the class's
defaults, updated with any value the file sets; ``make(name, **overrides)`` builds one (``seed``
is passed the same way) and ``build(config, **overrides)`` builds any such config. The model
modules (torch, darts, ...) are imported only when a model's class is needed.

Models whose default budget is reduced to train in seconds on a CPU also have a ``paper`` profile,
``conf/forecaster/paper/<name>.yaml`` (the published, heavier setting), listed by
``paper_names()`` and made with ``make("paper/nbeats")`` or, on the command line,
``forecaster=paper/nbeats``. A profile inherits its base configuration with a Hydra defaults
list (``defaults: [/forecaster/esn@_here_, _self_]``) and holds only what it changes.

Your own model joins without editing this repository, in any of three ways:

* from Python: ``register("mine", Mine, units=100)`` (a class or a ``"pkg.module.Class"`` path);
* from a package: an entry point in group ``chaosbench.forecasters`` whose object is the class
  (``mine = "mypkg.models:Mine"`` under ``[project.entry-points."chaosbench.forecasters"]``);
* from the command line: ``--config-dir DIR`` with ``DIR/forecaster/mine.yaml`` holding
  ``_target_: mypkg.models.Mine`` (or ``hydra.searchpath=[file://DIR]``).

A model is any class with ``fit(train, dt)`` and ``predict(horizon)``; subclassing
:class:`Forecaster` gives validation, seeding and standardisation for free.
:func:`chaosbench.forecasters.checks.check_forecaster` runs the conformance suite on it.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .base import Forecaster, NotFittedError

__all__ = [
    "Forecaster",
    "NotFittedError",
    "build",
    "conf_dir",
    "load_config",
    "make",
    "names",
    "paper_names",
    "register",
    "registered",
    "resolve",
    "with_defaults",
    "ENTRY_POINT_GROUP",
]

#: The package entry-point group that plugs forecasters in.
ENTRY_POINT_GROUP = "chaosbench.forecasters"

_REGISTERED: dict[str, dict[str, Any]] = {}


def _target_of(obj: Any) -> str:
    if isinstance(obj, str):
        return obj.replace(":", ".")
    if isinstance(obj, type):
        return f"{obj.__module__}.{obj.__qualname__}"
    raise TypeError(f"expected a forecaster class or a 'module.Class' path, got {obj!r}")


def register(name: str, forecaster: Any, **defaults: Any) -> None:
    """Make ``forecaster`` (a class, or its import path) available as ``name``, with
    ``defaults`` as its hyperparameters (the run can still override each)."""
    if not isinstance(name, str) or not name or "/" in name or "=" in name:
        raise ValueError(f"forecaster name {name!r}: use a non-empty name without '/' or '='")
    target = _target_of(forecaster)
    if isinstance(forecaster, type):
        _check_model_class(forecaster, target)
    _REGISTERED[name] = {"_target_": target, **defaults}


def _entry_points() -> dict[str, dict[str, Any]]:
    from importlib.metadata import entry_points

    found = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        found[point.name] = {"_target_": point.value.replace(":", "."), "_entry_point": point}
    return found


def registered() -> dict[str, dict[str, Any]]:
    """Forecasters added by :func:`register` or by entry points: name -> config."""
    out = {name: {k: v for k, v in cfg.items() if k != "_entry_point"}
           for name, cfg in _entry_points().items()}
    out.update({name: dict(cfg) for name, cfg in _REGISTERED.items()})
    return out


def _check_model_class(cls: Any, target: str) -> None:
    if not (isinstance(cls, type) and callable(getattr(cls, "fit", None))
            and callable(getattr(cls, "predict", None))):
        raise TypeError(f"{target} is not a forecaster: expected a class with fit(train, dt) and "
                        f"predict(horizon) (e.g. a chaosbench.forecasters.Forecaster subclass)")


def resolve(target: str) -> type:
    """Import the class named by ``target`` (``pkg.module.Class``) and check it is a forecaster.

    Raises ImportError or TypeError with one line naming the target."""
    module_name, _, attr = str(target).replace(":", ".").rpartition(".")
    if not module_name:
        raise ImportError(f"_target_ {target!r} is not a 'package.module.Class' path")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        raise ImportError(f"cannot import {module_name!r} for _target_ {target!r}: "
                          f"{type(error).__name__}: {error}") from None
    cls = getattr(module, attr, None)
    if cls is None:
        raise ImportError(f"module {module_name!r} has no {attr!r} (from _target_ {target!r})")
    _check_model_class(cls, target)
    return cls


def conf_dir() -> Path:
    """The ``conf/`` directory: the repository's, else the one shipped inside the package."""
    from chaosbench.paths import data_dir

    return data_dir("conf")


def names() -> list[str]:
    """Names of the configured forecasters (shipped YAML files and registered models), sorted."""
    shipped = {p.stem for p in (conf_dir() / "forecaster").glob("*.yaml")}
    return sorted(shipped | set(registered()))


def shipped_names(include_pretrained: bool = True) -> list[str]:
    """Names of the forecasters configured in this package's ``conf/forecaster/``; without the
    ``pretrained`` family (models that need downloaded weights or a user's command) when
    ``include_pretrained`` is false: the models a sweep can train here."""
    shipped = sorted(p.stem for p in (conf_dir() / "forecaster").glob("*.yaml"))
    if include_pretrained:
        return shipped
    return [n for n in shipped if resolve(str(load_config(n)["_target_"])).family != "pretrained"]


def paper_names() -> list[str]:
    """Names of the paper-profile configurations (``"paper/<name>"``), sorted."""
    return sorted(f"paper/{p.stem}" for p in (conf_dir() / "forecaster" / "paper").glob("*.yaml"))


def load_config(name: str) -> dict[str, Any]:
    """The configuration of forecaster ``name`` (or ``"paper/<name>"``) as a plain dict:
    ``_target_``, then every hyperparameter of the class with its default, updated with the
    values the configuration (and a profile) sets (:func:`with_defaults`)."""
    from omegaconf import OmegaConf  # hydra's config loader: parses 1e-6 as a float

    from chaosbench.suggest import suggest

    extra = registered()
    if name in extra and not (conf_dir() / "forecaster" / f"{name}.yaml").exists():
        return with_defaults(extra[name])
    valid = names() + paper_names()
    if name not in valid:
        raise ValueError(suggest(str(name), valid, "forecaster"))
    path = conf_dir() / "forecaster" / f"{name}.yaml"
    cfg = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
    if isinstance(cfg, dict) and "defaults" in cfg:
        cfg = _inherit(path, cfg)
    if not isinstance(cfg, dict) or "_target_" not in cfg:
        raise ValueError(f"{path}: expected a mapping with a _target_ key")
    return with_defaults(cfg)


def with_defaults(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` (``_target_`` and some hyperparameters, e.g. as Hydra composed it) completed
    with the defaults of its class: ``_target_``, then every entry of the class's ``defaults``,
    updated with the config's own values. A class that declares no ``defaults``, or that cannot
    be imported (the error is reported where the model is built), adds nothing."""
    cfg = dict(config)
    try:
        cls = resolve(str(cfg.get("_target_", "")))
    except (ImportError, TypeError):
        return cfg
    own = {k: v for k, v in cfg.items() if k != "_target_"}
    return {"_target_": cfg["_target_"], **copy.deepcopy(dict(getattr(cls, "defaults", {}))),
            **own}


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


def build(config: Mapping[str, Any], **overrides: Any) -> Any:
    """Instantiate ``config["_target_"]`` with the config's other entries, updated with
    ``overrides`` (``seed`` among them): ``build(job.forecaster_config, seed=job.seed)``."""
    params = {**config, **overrides}
    target = params.pop("_target_", None)
    if not target:
        raise ValueError("forecaster config has no _target_ (the class to build)")
    return resolve(str(target))(**params)


def make(name: str, **overrides: Any) -> Forecaster:
    """Build forecaster ``name`` from its configuration, updated with ``overrides``.

    ``make("esn", seed=3, units=200)``. Unknown names and hyperparameters raise ValueError listing
    the valid ones.
    """
    return build(load_config(name), **overrides)
