"""Where the catalogue's data files live, in a source checkout and in an installed package.

In a checkout, ``systems/`` and ``conf/`` sit at the repository root; an installed wheel ships them
inside the package as ``chaosbench/_systems`` and ``chaosbench/_conf`` (see pyproject.toml).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]


def data_dir(kind: str) -> Path:
    """The folder holding ``kind`` (``"systems"`` or ``"conf"``)."""
    if kind not in ("systems", "conf"):
        raise ValueError(f"unknown data folder {kind!r}; valid: 'systems', 'conf'")
    checkout = _ROOT / kind
    if (_ROOT / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout
    return Path(str(resources.files(f"chaosbench._{kind}")))
