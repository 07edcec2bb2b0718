"""Manifests: the jobs one ``chaosbench submit`` handed to a cluster, as a JSON file.

A manifest lives in its own folder under the sweep's results, next to what the cluster writes
about it::

    results/<sweep>/.submit/<manifest id>/
        manifest.json    the jobs (``dataclasses.asdict(job)``), sweep, catalogue and package version
        task.sh          the batch script every array task runs
        array_id         the scheduler's id of the array, once it was accepted
        logs/            one log per array task (``<array id>_<task index>.out``)

Task ``i`` of the array runs entry ``i`` (``chaosbench run-manifest manifest.json --index i``).
A manifest is refused by every reader when it was written for another sweep or another catalogue
version: its jobs would otherwise mix numbers from different data into one sweep.

A job that already had a result file when it was submitted (a retry of a ``failed`` or
``timeout`` job) carries that file's (size, mtime) in ``replaces``: its task reruns the job only
while that very file is still in place, so a requeued task never rewrites a newer result.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import secrets
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from chaosbench.paths import data_dir
from chaosbench.runner import Job

__all__ = ["Manifest", "ManifestError", "catalogue_version", "file_stamp", "manifests",
           "submit_folder"]

FORMAT = 1


class ManifestError(ValueError):
    """A manifest that must not be run: unreadable, or from another sweep or catalogue."""


@lru_cache(maxsize=1)
def catalogue_version() -> str:
    """A short hash of every system file (name and bytes, in name order): equal versions
    generate identical data for the same (system, protocol, seed)."""
    digest = hashlib.sha256()
    for path in sorted(data_dir("systems").glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _package_version() -> str:
    from chaosbench import __version__

    return __version__


def file_stamp(path: Path) -> list[int] | None:
    """``[size, mtime_ns]`` of ``path``, or None if there is no such file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return [info.st_size, info.st_mtime_ns]


def submit_folder(results_dir: str | Path, sweep: str) -> Path:
    """Where a sweep's manifests live (a dot folder: result globs never see it)."""
    return Path(results_dir) / sweep / ".submit"


@dataclass
class Manifest:
    """The jobs of one submission. ``folder`` is where it is (or will be) written."""

    sweep: str
    jobs: list[Job]
    folder: Path
    replaces: dict[str, list[int]] = field(default_factory=dict)
    catalogue_version: str = field(default_factory=catalogue_version)
    chaosbench_version: str = field(default_factory=_package_version)
    created: str = field(
        default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    @classmethod
    def new(cls, sweep: str, results_dir: str | Path, jobs: Iterable[Job],
            replaces: dict[str, list[int]] | None = None) -> "Manifest":
        """A manifest in a fresh folder ``<results>/<sweep>/.submit/<UTC time>-<random>``."""
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        folder = submit_folder(results_dir, sweep) / f"{stamp}-{secrets.token_hex(3)}"
        return cls(sweep=sweep, jobs=list(jobs), folder=folder, replaces=dict(replaces or {}))

    @property
    def id(self) -> str:
        return self.folder.name

    @property
    def path(self) -> Path:
        return self.folder / "manifest.json"

    @property
    def logs(self) -> Path:
        return self.folder / "logs"

    @property
    def array_id(self) -> str | None:
        """The scheduler's id of this manifest's array, if one was recorded."""
        try:
            return (self.folder / "array_id").read_text().strip() or None
        except FileNotFoundError:
            return None

    def record_array(self, array_id: str) -> None:
        _write_atomic(self.folder / "array_id", array_id + "\n")

    def write(self) -> Path:
        """Write ``manifest.json`` atomically (a reader sees the whole file or none)."""
        self.logs.mkdir(parents=True, exist_ok=True)
        body = {
            "format": FORMAT, "sweep": self.sweep, "catalogue_version": self.catalogue_version,
            "chaosbench_version": self.chaosbench_version, "created": self.created,
            "jobs": [dataclasses.asdict(job) for job in self.jobs], "replaces": self.replaces,
        }
        _write_atomic(self.path, json.dumps(body, indent=1, default=str) + "\n")
        return self.path

    @classmethod
    def read(cls, path: str | Path) -> "Manifest":
        """Read a manifest and check that it holds one sweep's jobs (:meth:`check_sweep`);
        raises :class:`ManifestError`."""
        path = Path(path)
        try:
            body = json.loads(path.read_text())
            jobs = [Job(**entry) for entry in body["jobs"]]
            manifest = cls(sweep=body["sweep"], jobs=jobs, folder=path.parent,
                           replaces=body.get("replaces", {}),
                           catalogue_version=body["catalogue_version"],
                           chaosbench_version=body["chaosbench_version"], created=body["created"])
        except FileNotFoundError:
            raise ManifestError(f"no manifest at {path}") from None
        except (ValueError, KeyError, TypeError) as error:
            raise ManifestError(f"unreadable manifest {path}: {type(error).__name__}: "
                                f"{error}") from None
        manifest.check_sweep()
        return manifest

    def check_sweep(self, sweep: str | None = None) -> None:
        """Refuse a manifest from another sweep: than ``sweep``, than its own jobs', or than
        the folder it lies in."""
        expected = {self.sweep} | ({sweep} if sweep else set())
        if self.folder.parent.name == ".submit":
            expected.add(self.folder.parent.parent.name)
        expected |= {job.sweep for job in self.jobs}
        if len(expected) > 1:
            raise ManifestError(
                f"refused manifest {self.path}: it mixes sweeps {sorted(expected)}; a manifest "
                f"runs the jobs of the one sweep whose folder holds it")

    def check_catalogue(self) -> None:
        """Refuse a manifest written for another catalogue version than this installation's:
        its jobs would generate other data than the results they join."""
        if self.catalogue_version != catalogue_version():
            raise ManifestError(
                f"refused manifest {self.path}: written for catalogue version "
                f"{self.catalogue_version}, this installation has {catalogue_version()} (its data "
                f"would differ); submit the sweep again with this installation")


def manifests(results_dir: str | Path, sweep: str, warn=None) -> list[Manifest]:
    """Every manifest of a sweep, oldest first. A manifest from another sweep raises
    :class:`ManifestError`; one from another catalogue version (its tasks refuse to run) is
    left out, named in one line to ``warn`` (stderr by default)."""
    warn = warn or (lambda line: print(f"warning: {line}", file=sys.stderr))
    found = []
    for path in sorted(submit_folder(results_dir, sweep).glob("*/manifest.json")):
        manifest = Manifest.read(path)
        manifest.check_sweep(sweep)
        try:
            manifest.check_catalogue()
        except ManifestError as error:
            warn(f"ignored {error}")
            continue
        found.append(manifest)
    return found


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)

