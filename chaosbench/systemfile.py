"""Writing YAML files: the one place that renders values as YAML, edits ``systems/*.yaml`` and
writes YAML text atomically (system files, ``conf/tuned_values/``).

System files are written by hand and read by people, so the computed blocks (``statistics:``,
``invariants:``, the ``chaotic`` flag and its caveat) are replaced line by line and everything
else is left exactly as its author wrote it. Every write is atomic (a temporary file in the same
folder, then :func:`os.replace`), and a text that does not parse back is never written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import yaml

__all__ = ["render", "block_span", "replace_block", "mark_not_chaotic", "write_text", "edit",
           "write_block"]


def render(value: Any) -> str:
    """``value`` in YAML flow style: mappings as ``{k: v, ...}``, lists as ``[...]``, strings
    double-quoted, and numbers, booleans and null as ``yaml.safe_dump`` writes them (the writer of
    whole documents): floats with every digit ``repr`` gives (a round trip is exact) and a dot in
    the mantissa (``1.0e-09``, not Python's ``1e-09``, which YAML 1.1 and so PyYAML read back as a
    string); infinities and NaN as ``.inf``, ``-.inf``, ``.nan``."""
    if isinstance(value, (np.generic, np.ndarray)):
        value = value.tolist()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if value is None or isinstance(value, (bool, int, float)):
        return _SCALARS.represent_data(value).value
    return yaml.safe_dump(str(value), default_style='"', width=10_000).strip()


#: PyYAML's safe representer: how ``yaml.safe_dump`` writes a scalar.
_SCALARS = yaml.SafeDumper(None)


def block_span(lines: list[str], key: str) -> tuple[int | None, int]:
    """``(start, end)`` of the top-level block ``key:`` (its line and the indented or blank lines
    after it); ``(None, len(lines))`` when there is none."""
    start = next((i for i, line in enumerate(lines) if line.startswith(f"{key}:")), None)
    if start is None:
        return None, len(lines)
    end = start + 1
    while end < len(lines) and (lines[end].startswith(" ") or not lines[end].strip()):
        end += 1
    return start, end


def replace_block(lines: list[str], key: str, values: dict[str, Any]) -> list[str]:
    """``lines`` with the top-level block ``key:`` replaced by one ``  sub: value`` line per
    entry of ``values`` (rendered by :func:`render`), or appended."""
    block = [f"{key}:"] + [f"  {k}: {render(v)}" for k, v in values.items()]
    start, end = block_span(lines, key)
    return lines + block if start is None else lines[:start] + block + lines[end:]


def mark_not_chaotic(lines: list[str], caveat: str) -> list[str]:
    """``lines`` with ``chaotic: false`` among the flags (written out if the file left them to
    their defaults) and ``caveat`` appended under ``caveats:`` (the style of PanXuZhou.yaml)."""
    start, end = block_span(lines, "flags")
    if start is None:
        lines = lines + ["flags:"] + [f"  {f}: false" for f in ("nonautonomous", "hamiltonian",
                                                                 "delay")]
        start, end = block_span(lines, "flags")
    flags = [line for line in lines[start + 1:end] if not line.strip().startswith("chaotic:")]
    lines = lines[:start + 1] + ["  chaotic: false"] + flags + lines[end:]
    entry = ["  - >-", "    " + " ".join(caveat.split())]
    c_start, c_end = block_span(lines, "caveats")
    if c_start is None:
        _, f_end = block_span(lines, "flags")
        return lines[:f_end] + ["caveats:"] + entry + lines[f_end:]
    return lines[:c_end] + entry + lines[c_end:]


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically; refuse (ValueError) a text that does not parse
    as YAML."""
    path = Path(path)
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(f"{path.name}: the text would not parse as YAML ({error})") from None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def edit(path: Path, change: Callable[[list[str]], list[str]]) -> None:
    """Apply ``change(lines) -> lines`` to the file at ``path`` atomically (:func:`write_text`)."""
    path = Path(path)
    write_text(path, "\n".join(change(path.read_text(encoding="utf-8").splitlines())) + "\n")


def write_block(path: Path, key: str, values: dict[str, Any]) -> None:
    """Replace (or append) the top-level block ``key:`` of the file at ``path``
    (:func:`replace_block`), atomically."""
    edit(path, lambda lines: replace_block(lines, key, values))
