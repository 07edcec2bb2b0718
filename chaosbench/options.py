"""What each command-line key can take: systems, config-group options, launchers.

Shared by the command line's checks (:mod:`chaosbench.cli`) and the sweep expansion
(:mod:`chaosbench.sweep`), so ``all`` means the same thing in both.
"""

from __future__ import annotations

import contextlib
import importlib
from pathlib import Path

from chaosbench.catalogue import systems
from chaosbench.paths import data_dir

__all__ = ["choices", "all_choices", "launchers", "import_launcher_plugins"]


def import_launcher_plugins() -> None:
    """Import chaosbench's own Hydra launcher plugin (Ray), which stores its config on import.
    Hydra's plugin scan finds it in an installed wheel but not through an editable install's
    import hook, so it is imported by name."""
    with contextlib.suppress(ImportError):
        importlib.import_module("hydra_plugins.chaosbench_ray")


def choices(key: str, nested: bool = True,
            extra_dirs: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Valid values of ``system`` or of a config group; ``nested`` includes options in
    subfolders (profiles such as ``forecaster=paper/nbeats``), which ``all`` leaves out.
    Forecasters also include registered ones and those in ``extra_dirs``."""
    if key == "system":
        return systems()
    found: set[str] = set()
    for root in (data_dir("conf"), *map(Path, extra_dirs)):
        folder = Path(root) / key
        if folder.is_dir():
            files = folder.rglob("*.yaml") if nested else folder.glob("*.yaml")
            found |= {p.relative_to(folder).with_suffix("").as_posix() for p in files}
    if key == "forecaster":
        from chaosbench.forecasters import registered

        found |= set(registered())
    return sorted(found)


def all_choices(key: str, *, include_nonchaotic: bool = False) -> list[str]:
    """What ``key=all`` means: every chaotic system (the systems flagged ``chaotic: false`` only
    with ``include_nonchaotic``), or every top-level option of a config group."""
    if key == "system":
        if include_nonchaotic:
            return systems()
        from chaosbench.catalogue import load_spec

        return [name for name in systems() if load_spec(name)["flags"].get("chaotic", True)]
    return choices(key, nested=False)


def launchers(extra_dirs: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Valid ``hydra/launcher=`` options: Hydra's installed launcher plugins and our configs."""
    from hydra.core.config_store import ConfigStore
    from hydra.core.plugins import Plugins

    Plugins.instance()  # discovers the plugins, which register their launcher configs
    import_launcher_plugins()
    found = {k.removesuffix(".yaml") for k in ConfigStore.instance().repo["hydra"]["launcher"]}
    for root in (data_dir("conf"), *map(Path, extra_dirs)):
        found |= {p.stem for p in (Path(root) / "hydra" / "launcher").glob("*.yaml")}
    return sorted(found)
