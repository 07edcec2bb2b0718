"""The catalogue: one YAML file per system under ``systems/``, loaded and validated on demand.

    >>> import chaosbench
    >>> len(chaosbench.systems())
    135
    >>> lorenz = chaosbench.system("Lorenz")
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from chaosbench.paths import data_dir

__all__ = ["systems", "system", "load_spec", "SpecError", "suggest"]

_REQUIRED = ("name", "description", "citation", "variables", "parameters", "equations",
             "initial_conditions", "dt", "period", "flags", "invariants", "statistics")


class SpecError(ValueError):
    """A system file is malformed."""


def suggest(name: str, valid: list[str] | tuple[str, ...], what: str) -> str:
    """An error message for an unknown ``name``: the closest valid names, then all of them."""
    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
    if not close:
        lowered = {v.lower(): v for v in valid}
        close = [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=3)]
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    shown = ", ".join(valid) if len(valid) <= 40 else ", ".join(valid[:40]) + ", ..."
    return f"unknown {what} {name!r}.{hint} Valid {what}s ({len(valid)}): {shown}"


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
    _validate(spec, path)
    return spec


def _validate(spec: Any, path: Path) -> None:
    where = path.name
    if not isinstance(spec, dict):
        raise SpecError(f"{where}: expected a mapping at the top level")
    missing = [k for k in _REQUIRED if k not in spec]
    if missing:
        raise SpecError(f"{where}: missing required entries {missing}")
    if spec["name"] != path.stem:
        raise SpecError(f"{where}: name {spec['name']!r} differs from the file name")
    if spec["parameters"] is None:
        spec["parameters"] = {}
    flags = spec["flags"]
    flags.setdefault("chaotic", True)
    for flag in ("nonautonomous", "hamiltonian", "delay", "chaotic"):
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
    for key in ("mean", "std"):
        if len(spec["statistics"][key]) != dim:
            raise SpecError(f"{where}: statistics.{key} must have {dim} entries")
    for key in ("dt", "period"):
        if not float(spec[key]) > 0:
            raise SpecError(f"{where}: {key} must be positive")


def system(name: str):
    """The :class:`~chaosbench.dynamics.System` called ``name`` (case-sensitive; see ``systems()``)."""
    from chaosbench.dynamics import System

    return System.from_spec(load_spec(name))


def _flow(value: Any) -> str:
    """A YAML flow-style rendering of numbers and nested lists (17 significant digits)."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) or hasattr(value, "item"):
        v = value.item() if hasattr(value, "item") else value
        if isinstance(v, int):
            return repr(int(v))
        text = repr(float(v))
        if text in ("inf", "-inf", "nan"):
            return {"inf": ".inf", "-inf": "-.inf", "nan": ".nan"}[text]
        mantissa, e, exponent = text.partition("e")
        # YAML 1.1 (PyYAML) reads 1e-09 as a string: the mantissa needs a dot.
        return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else text
    return yaml.safe_dump(value, default_style='"', width=10_000).strip()


def write_block(name: str, key: str, values: dict[str, Any]) -> Path:
    """Replace the top-level block ``key:`` of ``systems/<name>.yaml`` with ``values`` (one
    ``  sub: value`` line each), leaving the rest of the file as it is. The file is replaced
    atomically, so a killed run never leaves it half-written."""
    import os
    import tempfile

    path = _directory() / f"{name}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    block = [f"{key}:"] + [f"  {k}: {_flow(v)}" for k, v in values.items()]
    start = next((i for i, line in enumerate(lines) if line.startswith(f"{key}:")), None)
    if start is None:
        lines += block
    else:
        end = start + 1
        while end < len(lines) and (lines[end].startswith(" ") or not lines[end].strip()):
            end += 1
        lines[start:end] = block
    text = "\n".join(lines) + "\n"
    yaml.safe_load(text)  # never write a file that does not parse
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
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
