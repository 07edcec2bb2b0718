"""Train and test data generated once per (system, protocol, seed, catalogue entry) and shared.

Every forecaster of a sweep is scored on the same series, so the series are integrated once and
kept in a content-addressed cache under the results folder (``<results_dir>/.data/<key>.npz``,
written atomically). The key hashes everything that determines the numbers: the system's whole
catalogue entry (equations, parameters, initial condition, period, exponent), the protocol's
settings, the seed and the package version (the integrator's). A catalogue or integrator change
therefore gives new keys, never stale data; :func:`data_hash` of the series themselves goes into
every result row, so tables from different data can never be mixed silently (the reference
catalogue's users were hurt by exactly that: dysts issue 34, "pin the version").
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from chaosbench.protocol import Protocol, Split, make_split

__all__ = ["split_for", "data_hash", "cache_key"]


def cache_key(system: str, protocol: Protocol, seed: int) -> str:
    from chaosbench._version import __version__
    from chaosbench.catalogue import load_spec

    spec = load_spec(system)
    text = json.dumps({"spec": spec, "protocol": protocol.__dict__, "seed": int(seed),
                       "version": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def data_hash(split: Split) -> str:
    """A short hash of the train and test series' bytes (float64, C order) and the time step."""
    digest = hashlib.sha256()
    for array in (split.train, split.test):
        digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
    digest.update(np.float64(split.dt).tobytes())
    return digest.hexdigest()[:16]


def _load(path: Path) -> Split | None:
    try:
        with np.load(path) as data:
            return Split(train=data["train"], test=data["test"], dt=float(data["dt"]),
                         max_lyapunov=float(data["max_lyapunov"]))
    except Exception:  # missing, truncated or foreign: regenerate
        return None


def split_for(system: str, protocol: Protocol, seed: int, cache_dir: str | Path | None) -> Split:
    """The job's data: from the cache when present, else generated (and cached if ``cache_dir``)."""
    from chaosbench.catalogue import system as load_system

    if cache_dir is None:
        return make_split(load_system(system), protocol, seed)
    path = Path(cache_dir) / f"{cache_key(system, protocol, seed)}.npz"
    split = _load(path) if path.exists() else None
    if split is not None:
        return split
    split = make_split(load_system(system), protocol, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, train=split.train, test=split.test, dt=split.dt,
                     max_lyapunov=split.max_lyapunov)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return split
