"""Register programs kept on disk, for the ones that are slow to derive.

Symbolic differentiation and common-subexpression elimination of a large field take seconds (the
Jacobian of MacArthur's 10-species model about 7 s, 38 s for the whole catalogue's), and every
process that asks for a Jacobian would pay that again. :func:`cached_program` stores the finished
:class:`~chaosbench.compile.Program` as a small ``.npz`` file, keyed by what determines it: the
caller's key (the system's equation-defining entries) and a fingerprint of the source of the
modules that turn equations into programs, so a change to the compiler invalidates every entry.

Where: ``$CHAOSBENCH_CACHE_DIR/programs`` if that variable is set (the folder ``chaosbench
warmup`` fills for Numba too), else ``__pycache__/programs`` beside this package when that is
writable, else ``~/.cache/chaosbench/programs``. Files are written atomically; a file that cannot
be read back is rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from chaosbench.compile import Program
from chaosbench.jit import CACHE_ENV

__all__ = ["cached_program", "program_cache_dir"]

#: The modules whose code decides what program a set of equations becomes.
_SOURCES = ("compile.py", "equations.py", "expressions.py", "programcache.py")
_FIELDS = ("code", "constants", "n_inputs", "n_registers", "outputs")


@lru_cache(maxsize=1)
def _fingerprint() -> str:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


def program_cache_dir() -> Path:
    """The folder programs are cached in (see the module docstring); created if missing."""
    if os.environ.get(CACHE_ENV):
        folder = Path(os.path.expanduser(os.environ[CACHE_ENV])) / "programs"
    else:
        folder = Path(__file__).resolve().parent / "__pycache__" / "programs"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            folder = Path.home() / ".cache" / "chaosbench" / "programs"
        if not os.access(folder, os.W_OK):
            folder = Path.home() / ".cache" / "chaosbench" / "programs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path(kind: str, key: str) -> Path:
    digest = hashlib.sha256(f"{_fingerprint()}\n{kind}\n{key}".encode()).hexdigest()[:24]
    return program_cache_dir() / f"{kind}-{digest}.npz"


def _read(path: Path) -> Program | None:
    try:
        with np.load(path) as data:
            return Program(code=data["code"], constants=data["constants"],
                           n_inputs=int(data["n_inputs"]), n_registers=int(data["n_registers"]),
                           outputs=data["outputs"])
    except (OSError, KeyError, ValueError, EOFError):  # missing, truncated or foreign
        return None


def _write(path: Path, program: Program) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".npz.tmp")
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **{f: np.asarray(getattr(program, f)) for f in _FIELDS})
        os.replace(tmp, path)
    except OSError:  # a read-only or full disk only costs the next process the rebuild
        try:
            os.unlink(tmp)
        except (OSError, UnboundLocalError):
            pass


def cached_program(kind: str, key: str, build: Callable[[], Program]) -> Program:
    """The program ``build()`` returns for (``kind``, ``key``), from disk when it was built
    before by this version of the compiler."""
    path = _path(kind, key)
    program = _read(path) if path.exists() else None
    if program is None:
        program = build()
        _write(path, program)
    return program
