"""Tidy results: one row per (job, metric), one Parquet file per job, written atomically.

A job's file lives at ``results/<sweep>/<job_id>.parquet``. It is written to a temporary file in
the same folder and renamed into place, so concurrent jobs never collide and a killed job leaves
no partial file. A file counts as a finished job only if it reads back as a complete table with
the schema and its own job id (:func:`read_job`); anything else is moved aside as ``.corrupt``
with a warning, and the job runs again. Files are written with the user's umask (group-readable
by default), so a shared results folder stays readable.

Every row says what produced it: ``label`` (the forecaster and its variant overrides),
``config`` (the whole resolved job as JSON), ``code_version`` (package version and git revision),
``data_hash`` (of the train and test series), and the settings that change an outcome but not the
numbers (``timeout_s``, ``threads``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

__all__ = ["COLUMNS", "STATUSES", "job_id", "job_path", "write_rows", "write_forecast",
           "read_sweep", "read_job", "CorruptResult", "config_hash", "package_versions",
           "code_version", "sweeps", "with_labels"]

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
    "label": "string", "protocol_label": "string", "config": "string",
    "code_version": "string", "data_hash": "string", "timeout_s": "float64", "threads": "Int64",
    "tuned_values": "string",
}

#: Columns a result file must have to count as a finished job (files written before the
#: provenance columns existed still read back; missing columns are filled in by read_sweep).
REQUIRED = ("job_id", "system", "forecaster", "protocol", "seed", "metric", "value", "status")


class CorruptResult(ValueError):
    """A result file that does not read back as a finished job's table."""


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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()


def _atomic(path: Path, write) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _FILE_MODE)  # mkstemp makes 0600; results are shared like any data file
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def with_labels(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with ``label`` and ``protocol_label`` filled in (as strings) where they are
    missing or absent: the forecaster's and the protocol's own names."""
    rows = rows.copy()
    for column, fallback in (("label", "forecaster"), ("protocol_label", "protocol")):
        values = rows[column] if column in rows.columns else pd.Series(pd.NA, index=rows.index)
        rows[column] = values.astype(object).where(values.notna(), rows[fallback]).astype(str)
    return rows


def write_rows(path: Path, rows: Iterable[Mapping[str, Any]]) -> Path:
    """Write a job's rows as one Parquet file, atomically, with the schema's column types."""
    frame = with_labels(pd.DataFrame(list(rows), columns=list(COLUMNS))).astype(COLUMNS)
    return _atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_forecast(path: Path, **arrays: np.ndarray) -> Path:
    """Keep a job's arrays (train, test, forecast) for plots, atomically."""
    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)
    return _atomic(path, write)


def _check(frame: pd.DataFrame, path: Path, job: str | None) -> pd.DataFrame:
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise CorruptResult(f"{path.name}: missing column(s) {', '.join(missing)}")
    if frame.empty:
        raise CorruptResult(f"{path.name}: no rows")
    ids = frame["job_id"].unique()
    if len(ids) != 1 or (job is not None and ids[0] != job):
        raise CorruptResult(f"{path.name}: holds job id(s) {', '.join(map(str, ids[:3]))}, "
                            f"expected {job or path.stem}")
    if frame["metric"].duplicated().any():
        raise CorruptResult(f"{path.name}: a metric appears twice")
    bad = set(frame["status"].unique()) - set(STATUSES)
    if bad:
        raise CorruptResult(f"{path.name}: unknown status {sorted(bad)}")
    return frame


def _read(path: Path, job: str | None = None) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # truncated, empty, garbage: pyarrow's errors vary
        raise CorruptResult(f"{path.name}: unreadable ({type(error).__name__}: "
                            f"{' '.join(str(error).split())[:200]})") from None
    return _check(frame, path, job)


def quarantine(path: Path, why: str) -> Path:
    """Move a corrupt result file aside (``<name>.corrupt``, never overwriting) and warn."""
    target = path.with_name(path.name + ".corrupt")
    if target.exists():
        target = path.with_name(f"{path.name}.{time.time_ns()}.corrupt")
    os.replace(path, target)
    print(f"warning: {why}; moved aside to {target.name}, the job will run again",
          file=sys.stderr)
    return target


def read_job(path: str | Path, job: str) -> str | None:
    """The status of the finished job stored at ``path``, or None if there is none.

    A corrupt, empty or foreign file is moved aside (:func:`quarantine`) and counts as none.
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        frame = _read(path, job)
    except CorruptResult as error:
        quarantine(path, str(error))
        return None
    return str(frame["status"].iloc[0])


def read_sweep(root: str | Path, sweep: str, *, warn=None) -> pd.DataFrame:
    """Every row of a sweep, as one DataFrame (empty, with the schema, if nothing ran).

    Unreadable or foreign files are skipped, each named in one line to ``warn`` (stderr by
    default); a job id found in two files keeps the newer file and names both.
    """
    warn = warn or (lambda line: print(f"warning: {line}", file=sys.stderr))
    frames, seen = [], {}
    for path in sorted((Path(root) / sweep).glob("*.parquet"), key=lambda p: p.stat().st_mtime):
        try:
            frame = _read(path)
        except CorruptResult as error:
            warn(f"skipped {error}")
            continue
        job = str(frame["job_id"].iloc[0])
        if job in seen:
            warn(f"job {job} is stored twice ({seen[job].name} and {path.name}); "
                 f"keeping the newer, {path.name}")
            frames = [f for f in frames if f["job_id"].iloc[0] != job]
        seen[job] = path
        frames.append(frame)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in COLUMNS.items()})
    rows = pd.concat(frames, ignore_index=True)
    for column, dtype in COLUMNS.items():  # files from before a column existed
        if column not in rows.columns:
            rows[column] = pd.Series(pd.NA, index=rows.index, dtype=dtype if dtype in
                                     ("string", "Int64") else "float64")
    return with_labels(rows).astype({"label": "string", "protocol_label": "string"})


def sweeps(root: str | Path) -> list[str]:
    """Names of the sweeps under ``root`` that hold at least one result file."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.parquet")))


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


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """``chaosbench <version>``, plus the git revision (``+dirty`` if modified) in a checkout."""
    from chaosbench._version import __version__

    text = f"chaosbench {__version__}"
    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        return text
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True,
                               timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return text
    return f"{text} git {rev}{'+dirty' if dirty else ''}" if rev else text
