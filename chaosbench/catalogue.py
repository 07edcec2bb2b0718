"""The catalogue: one YAML file per system under ``systems/``, loaded and validated on demand.

    >>> import chaosbench
    >>> len(chaosbench.systems())
    135
    >>> lorenz = chaosbench.system("Lorenz")
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from chaosbench import systemfile
from chaosbench.dynamics import System
from chaosbench.paths import data_dir
from chaosbench.suggest import suggest  # re-exported: callers import it from here

__all__ = ["systems", "system", "load_spec", "validate", "SpecError", "suggest", "system_path",
           "write_block", "AUTHORED", "COMPUTED"]

#: Entries the author of a system file writes (``flags`` default to false; ``definitions``,
#: ``postprocessing``, ``delay``, ``unbounded_indices`` and ``caveats`` are optional) ...
AUTHORED = ("name", "description", "citation", "variables", "parameters", "equations",
            "initial_conditions", "dt", "period")
#: ... and those ``chaosbench catalogue add`` computes and writes in.
COMPUTED = ("statistics", "invariants")
_FLAGS = ("nonautonomous", "hamiltonian", "delay")


class SpecError(ValueError):
    """A system file is malformed."""


def _directory() -> Path:
    return data_dir("systems")


@lru_cache(maxsize=1)
def systems() -> list[str]:
    """Sorted names of every system in the catalogue."""
    return sorted(p.stem for p in _directory().glob("*.yaml"))


@lru_cache(maxsize=None)
def load_spec(name: str) -> dict[str, Any]:
    """The parsed, checked contents of ``systems/<name>.yaml`` (shared: do not mutate)."""
    if name not in systems():
        raise KeyError(suggest(name, systems(), "system"))
    path = _directory() / f"{name}.yaml"
    with open(path, encoding="utf-8") as f:
        spec = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: 10x
    validate(spec, path)
    return spec


def validate(spec: Any, path: Path, computed: bool = True) -> None:
    """Check a parsed system file in place (filling the defaults: no parameters, flags false,
    chaotic true); raise :class:`SpecError` naming the file and what is wrong. With
    ``computed=False`` the entries of :data:`COMPUTED` may be absent (a file before
    ``chaosbench catalogue add``). Equations are checked when a System is built from it."""
    where = Path(path).name
    if not isinstance(spec, dict):
        raise SpecError(f"{where}: expected a mapping at the top level")
    missing = [k for k in AUTHORED + (COMPUTED if computed else ()) if k not in spec]
    if missing:
        raise SpecError(f"{where}: missing required entries {missing}")
    if spec["name"] != Path(path).stem:
        raise SpecError(f"{where}: name {spec['name']!r} differs from the file name")
    if spec["parameters"] is None:
        spec["parameters"] = {}
    flags = spec.setdefault("flags", {})
    if not isinstance(flags, dict):
        raise SpecError(f"{where}: flags must be a mapping of {', '.join(_FLAGS)} to true/false")
    for flag in _FLAGS:
        flags.setdefault(flag, False)
    flags.setdefault("chaotic", True)
    for flag in (*_FLAGS, "chaotic"):
        if not isinstance(flags.get(flag), bool):
            raise SpecError(f"{where}: flags.{flag} must be true or false")
    if not flags["chaotic"] and not spec.get("caveats"):
        raise SpecError(f"{where}: a system flagged chaotic: false must say why under 'caveats'")
    n_state = len(spec["variables"])
    if flags["delay"]:
        delay = spec.get("delay")
        if not delay or delay.get("tau") not in spec["parameters"] or not delay.get("lagged"):
            raise SpecError(f"{where}: a delay system needs 'delay: {{tau: <parameter>, "
                            "lagged: {<name>: <variable>}}'")
        if n_state != 1 or len(delay["lagged"]) != 1:
            raise SpecError(f"{where}: delay systems must be scalar with one lagged value")
        dim = len(spec["initial_conditions"])  # the delay embedding
    else:
        dim = len(spec.get("postprocessing") or spec["variables"])
        if len(spec["initial_conditions"]) != n_state:
            raise SpecError(f"{where}: {len(spec['initial_conditions'])} initial conditions for "
                            f"{n_state} variables")
    if "statistics" in spec:
        for key in ("mean", "std"):
            if len(spec["statistics"][key]) != dim:
                raise SpecError(f"{where}: statistics.{key} must have {dim} entries")
    for key in ("dt", "period"):
        if not isinstance(spec[key], (int, float)) or isinstance(spec[key], bool) \
                or not spec[key] > 0:
            raise SpecError(f"{where}: {key} must be a positive number, got {spec[key]!r}")


def system(name: str) -> System:
    """The :class:`~chaosbench.dynamics.System` called ``name`` (case-sensitive; see ``systems()``)."""
    return System.from_spec(load_spec(name))


def system_path(name: str) -> Path:
    """Where the catalogue keeps ``name``'s file (it need not exist yet)."""
    return _directory() / f"{name}.yaml"


def write_block(name: str, key: str, values: dict[str, Any]) -> Path:
    """Replace the top-level block ``key:`` of ``systems/<name>.yaml`` with ``values`` (see
    :func:`chaosbench.systemfile.write_block`, atomic) and forget the cached spec."""
    path = system_path(name)
    systemfile.write_block(path, key, values)
    load_spec.cache_clear()
    return path


def markdown_table() -> str:
    """The README's table of every system: name, dimension, flags, period, largest Lyapunov
    exponent (with its standard error where recomputed) and citation."""
    rows = ["| system | dim | flags | period | max Lyapunov | citation |",
            "|---|---|---|---|---|---|"]
    for name in systems():
        spec = load_spec(name)
        flags = [f for f in ("delay", "nonautonomous", "hamiltonian") if spec["flags"][f]]
        if not spec["flags"].get("chaotic", True):
            flags.append("not chaotic")
        inv = spec["invariants"]
        lam = f"{float(inv['max_lyapunov']):.4g}"
        if inv.get("max_lyapunov_stderr") is not None:
            lam += f" ± {float(inv['max_lyapunov_stderr']):.1g}"
        dim = len(spec["initial_conditions"]) if spec["flags"]["delay"] else \
            len(spec.get("postprocessing") or spec["variables"])
        citation = " ".join(str(spec["citation"]).split()).replace("|", "/")
        if len(citation) > 90:
            citation = citation[:87].rstrip() + "..."
        rows.append(f"| {name} | {dim} | {', '.join(flags)} | {float(spec['period']):.4g} | "
                    f"{lam} | {citation} |")
    return "\n".join(rows)
