"""From Hydra overrides to jobs: one composed config per job, the same semantics as ``-m``.

    jobs = expand(["sweep=default", "seed=0,1,2"])     # list[chaosbench.runner.Job]

The named sweep's ``hydra.sweeper.params`` come first and the command line overrides them, as in
Hydra's basic sweeper. Composing a config costs tens of milliseconds, so :func:`expand` composes
once per combination of config-group choices (``forecaster=``, ``protocol=``, ...) and applies
plain value overrides (``system=``, ``seed=``, ``forecaster.units=``) to a copy. A forecaster's
YAML names its class; every hyperparameter comes from the class's ``defaults``
(:func:`chaosbench.forecasters.with_defaults`), so each job holds the complete set.

:func:`job_from_config` turns one composed config into a :class:`~chaosbench.runner.Job`; the
``bench`` app uses it too, so every launcher builds the same jobs. A job's ``label`` is the
forecaster's name plus its overridden hyperparameters (``esn[units=100]``), or the ``label``
setting if given; ``protocol_label`` likewise (``standard[n_train=100]``).
"""

from __future__ import annotations

import copy
import itertools
from pathlib import Path
from typing import Any, Iterable, Mapping

__all__ = ["expand", "job_from_config", "variant_label", "compose_base", "fixed_overrides",
           "register_with_hydra", "plain"]

_CHOICE_KEYS = ("forecaster", "protocol")


def variant_label(name: str, prefix: str, overrides: Iterable[str]) -> str:
    """``name`` plus the ``prefix.key=value`` overrides, e.g. ``esn[spectral_radius=0.9,units=100]``."""
    changes = sorted(o.split(".", 1)[1] for o in overrides
                     if o.startswith(prefix + ".") and "=" in o and not o.startswith("~"))
    return f"{name}[{','.join(changes)}]" if changes else name


def job_from_config(cfg: Mapping[str, Any], choices: Mapping[str, Any], overrides: Iterable[str]):
    """The :class:`~chaosbench.runner.Job` of one composed bench config (a resolved plain
    mapping, without the ``hydra`` node)."""
    from chaosbench.forecasters import with_defaults
    from chaosbench.runner import Job

    overrides = [o.lstrip("+") for o in overrides]
    forecaster_cfg = with_defaults(copy.deepcopy(dict(cfg["forecaster"])))
    name = str(choices.get("forecaster") or "custom")
    default_target = None
    if any(o.startswith("forecaster._target_=") for o in overrides):
        default_target = str(forecaster_cfg.get("_target_", ""))
    base = default_target.rsplit(".", 1)[-1] if default_target else name
    label = cfg.get("label") or variant_label(
        base, "forecaster", [o for o in overrides if not o.startswith("forecaster._target_=")])
    protocol_cfg = copy.deepcopy(dict(cfg["protocol"]))
    if protocol_cfg.get("timescale") == "lyapunov":  # lengths in Lyapunov times -> steps
        from chaosbench.catalogue import system
        from chaosbench.timescale import lyapunov_settings

        protocol_cfg = lyapunov_settings(system(str(cfg["system"])), protocol_cfg)
    protocol_label = variant_label(str(protocol_cfg.get("name", choices.get("protocol"))),
                                   "protocol", overrides)
    provenance = {}
    if cfg.get("tuned") not in (None, False, "none"):
        forecaster_cfg, provenance = _tuned(name, protocol_cfg, str(cfg["system"]),
                                            forecaster_cfg, cfg["tuned"])
    return Job(
        system=str(cfg["system"]), forecaster=name, forecaster_config=forecaster_cfg,
        protocol=protocol_cfg, seed=cfg["seed"], sweep=cfg["sweep_name"],
        results_dir=str(cfg["results_dir"]), timeout_s=cfg["timeout_s"], force=cfg["force"],
        save_forecast=cfg["save_forecast"], threads=cfg["threads"],
        retry=cfg.get("retry", "failed"), label=label, protocol_label=protocol_label,
        provenance=provenance)


def plain(cfg) -> dict[str, Any]:
    """A composed config as a resolved plain dict, without the ``hydra`` node."""
    from omegaconf import OmegaConf

    return {k: OmegaConf.to_container(v, resolve=True) if OmegaConf.is_config(v) else v
            for k, v in ((k, cfg[k]) for k in cfg if k != "hydra")}


def _tuned(name: str, protocol: Mapping[str, Any], system: str, config: dict,
           source: Any) -> tuple[dict, dict]:
    """Per-system tuned hyperparameters (``tuned=true``: ours in ``conf/tuned_values/``;
    ``tuned=published``: the paper's), and where they came from (kept in the job's config)."""
    from chaosbench.tuning import tuned_config

    config, where = tuned_config(name, str(protocol.get("name")), system, config, source=source)
    return config, {"tuned": where}


def register_with_hydra() -> None:
    """Put forecasters registered from Python or by entry points into Hydra's config store, so
    ``forecaster=<name>`` composes like a shipped YAML file."""
    from hydra.core.config_store import ConfigStore

    from chaosbench.forecasters import registered, shipped_names

    from chaosbench.options import import_launcher_plugins

    import_launcher_plugins()
    store, shipped = ConfigStore.instance(), set(shipped_names())
    for name, cfg in registered().items():
        if name not in shipped:
            store.store(group="forecaster", name=name, node=dict(cfg))


def fixed_overrides(overrides: list[str]) -> list[str]:
    """The overrides that are not sweeps (``a=1,2``), for composing a sweep's base config."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(overrides)
    return [text for text, o in zip(overrides, parsed) if not o.is_sweep_override()]


def compose_base(overrides: list[str], config_dir: str | None = None,
                 extra_dirs: Iterable[str] = ()):
    """Compose ``bench`` with ``overrides`` (Hydra config included)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from chaosbench.paths import data_dir

    from chaosbench.options import import_launcher_plugins

    import_launcher_plugins()
    GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=str(config_dir or data_dir("conf"))):
        searchpath = [f"hydra.searchpath=[{','.join('file://' + str(Path(d).resolve()) for d in extra_dirs)}]"] \
            if extra_dirs else []
        return compose("bench", overrides=[*searchpath, *overrides], return_hydra_config=True)


def expand(overrides: list[str], *, config_dir: str | None = None,
           extra_dirs: Iterable[str] = ()) -> list:
    """Every job of ``overrides`` (sweep lists and a named sweep's params expanded)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    from chaosbench.forecasters import with_defaults

    parser = OverridesParser.create()
    register_with_hydra()
    base = compose_base(fixed_overrides(overrides), config_dir, extra_dirs)
    params = base.hydra.sweeper.params
    params = OmegaConf.to_container(params, resolve=False) if params else {}
    include = bool(base.get("include_nonchaotic", False))
    arguments = [expand_all(a, include_nonchaotic=include)
                 for a in [f"{k}={v}" for k, v in params.items()] + list(overrides)]
    # Hydra's basic sweeper semantics (the last override of a key wins; the product in order of
    # first appearance), with each distinct option parsed once.
    options: dict[str, list[str]] = {}
    for o in parser.parse_overrides(arguments):
        key = o.get_key_element()
        options[key] = ([f"{key}={v}" for v in o.sweep_string_iterator()] if o.is_sweep_override()
                        else [f"{key}={o.get_value_element_as_str()}"])
    parsed_option = {text: parser.parse_override(text)
                     for texts in options.values() for text in texts}
    combos = [list(c) for c in itertools.product(*options.values())]

    composed: dict[tuple[str, ...], Any] = {}
    jobs = []
    for combo in combos:
        found = [parsed_option[text] for text in combo]
        structural = tuple(text for text, o in zip(combo, found)
                           if o.is_add() or o.is_delete() or o.is_force_add()
                           or o.package is not None or _is_group(o.key_or_group, base))
        if structural not in composed:
            full = compose_base(list(structural), config_dir, extra_dirs)
            base_cfg = plain(full)
            # Every hyperparameter of the class, so ``forecaster.units=`` finds its key.
            base_cfg["forecaster"] = with_defaults(base_cfg["forecaster"])
            composed[structural] = (base_cfg, OmegaConf.to_container(full.hydra.runtime.choices))
        base_cfg, choices = composed[structural]
        cfg = dict(base_cfg)
        for text, o in zip(combo, found):
            if text not in structural:
                cfg = _set(cfg, o.key_or_group, o.value())
        jobs.append(job_from_config(cfg, choices, combo))
    return jobs


def _set(cfg: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of ``cfg`` with dotted ``key`` set (copying only the path); the key must exist."""
    head, _, rest = key.partition(".")
    if head not in cfg or (rest and not isinstance(cfg[head], dict)):
        raise KeyError(f"Could not override '{key}': no such key in the config")
    out = dict(cfg)
    out[head] = _set(cfg[head], rest, value) if rest else value
    return out


_MISSING = object()


def expand_all(override: str, *, include_nonchaotic: bool = False) -> str:
    """``system=all`` -> every chaotic system (every system with ``include_nonchaotic``);
    ``forecaster=all`` / ``protocol=all`` -> every top-level option of the group."""
    key, _, value = override.partition("=")
    if value != "all" or key not in ("system", "forecaster", "protocol"):
        return override
    from chaosbench.options import all_choices

    return f"{key}={','.join(all_choices(key, include_nonchaotic=include_nonchaotic))}"


def _is_group(key: str, cfg) -> bool:
    choices = cfg.hydra.runtime.choices
    return ("/" in key or key in choices or key in _CHOICE_KEYS or key == "sweep"
            or key.startswith("hydra."))
