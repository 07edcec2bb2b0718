"""Tidy results: one row per (job, metric), one Parquet file per job, written atomically.

A job's file lives at ``results/<sweep>/<job_id>.parquet``. It is written to a temporary file in
the same folder and renamed into place, so concurrent jobs never collide and a killed job leaves
no partial file; a file that exists is a finished job (which is how reruns skip work).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

__all__ = ["COLUMNS", "STATUSES", "job_id", "job_path", "write_rows", "write_forecast",
           "read_sweep", "config_hash", "package_versions"]

STATUSES = ("ok", "diverged", "failed", "timeout")

#: The result schema, in column order (see README, "Result schema").
COLUMNS = {
    "sweep": "string", "job_id": "string", "system": "string", "forecaster": "string",
    "protocol": "string", "seed": "int64", "metric": "string", "value": "float64",
    "status": "string", "reason": "string", "fit_seconds": "float64",
    "predict_seconds": "float64", "horizon_steps": "int64", "horizon_lyapunov": "float64",
    "n_train": "int64", "dt": "float64", "max_lyapunov": "float64", "univariate": "bool",
    "per_dimension": "bool",
    "config_hash": "string", "versions": "string", "timestamp": "string",
}


def config_hash(config: Mapping[str, Any]) -> str:
    """A short, stable hash of a job's full configuration (sorted JSON)."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def job_id(system: str, forecaster: str, protocol: str, seed: int, config: Mapping) -> str:
    """Readable and unique: the job's keys plus the hash of everything else in its config."""
    safe = lambda text: str(text).replace("/", "-").replace(" ", "_")  # noqa: E731
    return f"{safe(system)}__{safe(forecaster)}__{safe(protocol)}__s{seed}__{config_hash(config)}"


def job_path(root: str | Path, sweep: str, job: str, suffix: str = ".parquet") -> Path:
    return Path(root) / sweep / f"{job}{suffix}"


def _atomic(path: Path, write) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_rows(path: Path, rows: Iterable[Mapping[str, Any]]) -> Path:
    """Write a job's rows as one Parquet file, atomically, with the schema's column types."""
    frame = pd.DataFrame(list(rows), columns=list(COLUMNS)).astype(COLUMNS)
    return _atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_forecast(path: Path, **arrays: np.ndarray) -> Path:
    """Keep a job's arrays (train, test, forecast) for plots, atomically."""
    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)
    return _atomic(path, write)


def read_sweep(root: str | Path, sweep: str) -> pd.DataFrame:
    """Every row of a sweep, as one DataFrame (empty, with the schema, if nothing ran)."""
    files = sorted((Path(root) / sweep).glob("*.parquet"))
    if not files:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in COLUMNS.items()})
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def package_versions() -> str:
    """Versions of the packages a result depends on, as JSON."""
    from importlib import metadata

    versions = {}
    for name in ("chaosbench", "numpy", "scipy", "torch", "darts", "reservoirpy", "pysindy",
                 "numba", "sympy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return json.dumps(versions, sort_keys=True)
