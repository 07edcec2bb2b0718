"""Where the catalogue's data files live, in a source checkout and in an installed package.

In a checkout, ``systems/`` and ``conf/`` sit at the repository root; an installed wheel ships them
inside the package as ``chaosbench/_systems`` and ``chaosbench/_conf`` (see pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]


def data_dir(kind: str) -> Path:
    """The folder holding ``kind`` (``"systems"`` or ``"conf"``)."""
    if kind not in ("systems", "conf"):
        raise ValueError(f"unknown data folder {kind!r}; valid: 'systems', 'conf'")
    checkout = _ROOT / kind
    if (_ROOT / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout
    # An installed wheel: plain folders next to this file. (importlib.resources would hand back a
    # MultiplexedPath for these namespace folders, whose str() is not a path.)
    installed = Path(__file__).resolve().parent / f"_{kind}"
    if not installed.is_dir():
        raise FileNotFoundError(f"chaosbench's {kind} folder is missing: looked for {checkout} "
                                f"and {installed}; reinstall the package")
    return installed
