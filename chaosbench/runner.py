"""One benchmark job: system x forecaster x protocol x seed -> scored rows on disk.

    resume check -> data (cached) -> [fit -> predict in an isolated child] -> guard -> score -> rows

The forecaster runs in a forked child process (:mod:`chaosbench.isolation`) under a hard
wall-clock limit, on a fresh read-only copy of the training series; the test series and the
scoring stay in the parent. Whatever the forecaster does (raise, exit, segfault, hang, run out of
memory, ignore signals, change directory, write into its data), the job ends as rows whose
``status`` says what happened:

* ``ok`` -- a real, finite forecast within the divergence guard (:mod:`chaosbench.guard`);
* ``diverged`` -- the forecast left the guard from some step on (the reason names the step);
* ``failed`` -- an exception, a crash or exit of the job process, a non-numeric or complex
  forecast, a wrong shape (the reason says which, with the child's last output lines);
* ``timeout`` -- killed at ``timeout_s``.

Resume: a job whose file reads back as finished is final if ``ok`` or ``diverged``; ``failed``
and ``timeout`` jobs run again. ``retry`` changes this (``none``: nothing reruns; ``all``:
everything does, as does ``force=true``). A job is claimed with a lock file while it runs, so two
identical sweeps never run the same job twice at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np

from chaosbench import metrics
from chaosbench.forecasters import build, resolve
from chaosbench.guard import check_forecast
from chaosbench.isolation import describe_exception, run_isolated
from chaosbench.protocol import Protocol
from chaosbench.results import (code_version, config_hash, job_id, job_path, package_versions,
                                read_job, write_forecast, write_rows)
from chaosbench.settings import check as check_setting
from chaosbench.threads import limited

__all__ = ["Job", "JobResult", "run_job", "record_lost", "FINAL"]

#: Stored outcomes that ``retry=failed`` (the default) keeps.
FINAL = ("ok", "diverged")

#: The environment variable that tags a run's lines in ``jobs.log`` (see chaosbench.cli.Progress).
RUN_ID_ENV = "CHAOSBENCH_RUN_ID"


@dataclass(frozen=True)
class Job:
    """Everything that defines one job. ``forecaster_config`` holds ``_target_`` (the class) and
    every hyperparameter; ``protocol`` the protocol's settings. ``label`` names the model in
    results (default: ``forecaster``); ``protocol_label`` names the protocol variant (default:
    the protocol's name). Settings are checked when the job is built (:mod:`chaosbench.settings`);
    ``results_dir`` is made absolute at once, so nothing a job does can redirect its files."""

    system: str
    forecaster: str
    forecaster_config: Mapping[str, Any]
    protocol: Mapping[str, Any]
    seed: int = 0
    sweep: str = "adhoc"
    results_dir: str = "results"
    timeout_s: float = 600.0
    force: bool = False
    save_forecast: bool = False
    threads: int = 1
    retry: str = "failed"
    label: str = ""
    protocol_label: str = ""
    data_cache: bool = True
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, value in (("seed", self.seed), ("timeout_s", self.timeout_s),
                            ("threads", self.threads), ("force", self.force),
                            ("save_forecast", self.save_forecast), ("retry", self.retry),
                            ("results_dir", self.results_dir), ("sweep_name", self.sweep)):
            check_setting(name, value)
        object.__setattr__(self, "results_dir", str(Path(self.results_dir).expanduser().resolve()))
        object.__setattr__(self, "timeout_s", float(self.timeout_s))

    @property
    def config(self) -> dict[str, Any]:
        """The part of the job that determines its numbers (hashed into its id)."""
        return {"system": self.system, "forecaster": dict(self.forecaster_config),
                "protocol": dict(self.protocol), "seed": self.seed}

    @property
    def id(self) -> str:
        return job_id(self.system, self.forecaster, self.protocol.get("name", "custom"),
                      self.seed, self.config)

    @property
    def path(self) -> Path:
        return job_path(self.results_dir, self.sweep, self.id)

    @property
    def folder(self) -> Path:
        return Path(self.results_dir) / self.sweep

    def to_json(self) -> str:
        """The whole job, resolved, as JSON (stored in every row's ``config`` column)."""
        return json.dumps(asdict(self), sort_keys=True, default=str)


@dataclass
class JobResult:
    status: str
    path: Path
    skipped: bool = False
    reason: str = ""
    scores: dict[str, float] = field(default_factory=dict)


def log_job(job: Job, status: str, reason: str) -> None:
    """Append one line to ``results/<sweep>/jobs.log`` (a single small O_APPEND write, so lines
    from concurrent jobs never interleave); the progress bar counts the lines of its own run."""
    job.folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    run = os.environ.get(RUN_ID_ENV, "-")
    line = f"{stamp}\t{run}\t{job.id}\t{status}\t{reason[:300]}".replace("\n", " ") + "\n"
    fd = os.open(job.folder / "jobs.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


@contextlib.contextmanager
def claim(job: Job) -> Iterator[bool]:
    """Hold ``.<job id>.lock`` while the job runs; yields False if another process holds it."""
    job.folder.mkdir(parents=True, exist_ok=True)
    lock = job.folder / f".{job.id}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lock)
    finally:
        os.close(fd)


def _clean_stale_temps(job: Job) -> None:
    """Temporary files a killed writer of this job left behind (we hold the job's lock)."""
    for tmp in job.folder.glob(f".{job.id}.*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _should_run(job: Job) -> tuple[bool, str]:
    stored = read_job(job.path, job.id)
    if stored is None:
        return True, ""
    retry = "all" if job.force else job.retry
    if retry == "all" or (retry == "failed" and stored not in FINAL):
        return True, ""
    return False, stored


def _fit_predict(job: Job, train: np.ndarray, dt: float, horizon: int):
    """The child's work: build, fit and predict. ``train`` is the child's own read-only copy."""
    with limited(job.threads):
        model = build(job.forecaster_config, seed=job.seed)
        per_dimension = not getattr(model, "multivariate", True) and train.shape[1] > 1
        t0 = time.perf_counter()
        model.fit(train, dt)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        forecast = model.predict(horizon)
        predict_s = time.perf_counter() - t0
    if isinstance(forecast, np.ndarray) and forecast.dtype.kind in "fiu":
        forecast = np.array(forecast)  # detach from the model before pickling
    return {"forecast": forecast, "fit_s": fit_s, "predict_s": predict_s,
            "per_dimension": per_dimension}


def _protocol(job: Job) -> Protocol:
    return Protocol.from_config(job.protocol) if isinstance(job.protocol, Mapping) else job.protocol


def run_job(job: Job) -> JobResult:
    """Run ``job`` and write its rows; see the module docstring."""
    run, stored = _should_run(job)
    if not run:
        log_job(job, "skipped", stored)
        return JobResult(status="skipped", path=job.path, skipped=True, reason=stored)
    with claim(job) as mine:
        if not mine:
            log_job(job, "skipped", "running in another process")
            return JobResult(status="skipped", path=job.path, skipped=True,
                             reason="running in another process")
        run, stored = _should_run(job)  # it may have finished while we waited for the lock
        if not run:
            return JobResult(status="skipped", path=job.path, skipped=True, reason=stored)
        _clean_stale_temps(job)
        return _run_claimed(job)


def _run_claimed(job: Job) -> JobResult:
    from chaosbench.datacache import split_for

    status, reason = "ok", ""
    fit_s = predict_s = math.nan
    scores: dict[str, float] = {}
    split = forecast = None
    per_dimension = False
    protocol = _protocol(job)
    try:
        cache = job.folder.parent / ".data" if job.data_cache else None
        split = split_for(job.system, protocol, job.seed, cache)
        # The class is imported here, with the libraries its fit imports (Forecaster.preload):
        # the child starts warm, and the recorded fit time holds no import.
        model_class = resolve(str(job.forecaster_config.get("_target_", "")))
        if hasattr(model_class, "preload"):  # a user's class need not be a Forecaster
            model_class.preload()
    except Exception as error:  # bad data or config: the job's row says so
        status, reason = "failed", describe_exception(error)
    if split is not None and status == "ok":
        train = np.array(split.train, dtype=np.float64, copy=True)  # owns its memory: no .base
        train.flags.writeable = False
        outcome = run_isolated(lambda: _fit_predict(job, train, split.dt, len(split.test)),
                               timeout_s=job.timeout_s)
        if outcome.kind == "returned":
            out = outcome.value
            fit_s, predict_s = out["fit_s"], out["predict_s"]
            per_dimension = out["per_dimension"]
            verdict = check_forecast(out["forecast"], split.test.shape, split.train)
            status, reason, forecast = verdict.status, verdict.reason, verdict.forecast
        else:
            status = "timeout" if outcome.kind == "timeout" else "failed"
            reason = outcome.reason
    if forecast is not None:
        try:
            scores = metrics.compute(split.test, forecast, y_train=split.train, dt=split.dt,
                                     max_lyapunov=split.max_lyapunov)
        except Exception as error:
            status, reason = "failed", f"scoring failed: {describe_exception(error)}"
            scores = {}

    _write(job, protocol, split, status, reason, scores, fit_s=fit_s, predict_s=predict_s,
           per_dimension=per_dimension)
    if job.save_forecast and forecast is not None and split is not None:
        write_forecast(job.path.with_suffix(".npz"), train=split.train, test=split.test,
                       forecast=forecast)
    return JobResult(status=status, path=job.path, reason=reason, scores=scores)


def _write(job: Job, protocol: Protocol, split, status: str, reason: str,
           scores: Mapping[str, float], *, fit_s: float = math.nan, predict_s: float = math.nan,
           per_dimension: bool = False) -> None:
    """Write the job's rows (one per metric) and its line in ``jobs.log``."""
    from chaosbench.datacache import data_hash

    n_test = int(protocol.n_test)
    dt = split.dt if split else math.nan
    lam = split.max_lyapunov if split else math.nan
    common = {
        "sweep": job.sweep, "job_id": job.id, "system": job.system, "forecaster": job.forecaster,
        "protocol": protocol.name, "seed": int(job.seed), "status": status, "reason": reason[:2000],
        "fit_seconds": fit_s, "predict_seconds": predict_s, "horizon_steps": n_test,
        "horizon_lyapunov": n_test * dt * lam, "n_train": int(protocol.n_train), "dt": dt,
        "max_lyapunov": lam, "univariate": bool(protocol.univariate),
        "per_dimension": per_dimension, "config_hash": config_hash(job.config),
        "versions": package_versions(),
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "label": job.label or job.forecaster, "protocol_label": job.protocol_label or protocol.name,
        "config": job.to_json(), "code_version": code_version(),
        "data_hash": data_hash(split) if split is not None else "",
        "timeout_s": job.timeout_s, "threads": int(job.threads),
        "tuned_values": str(job.provenance.get("tuned", "none")),
    }
    rows = [{**common, "metric": name, "value": float(scores.get(name, math.nan))}
            for name in metrics.names()]
    write_rows(job.path, rows)
    log_job(job, status, reason)


def record_lost(job: Job, reason: str) -> JobResult:
    """Record ``job`` as failed with ``reason`` when whatever ran it died before writing (a killed
    worker); a finished ``ok`` or ``diverged`` file is kept as it is."""
    stored = read_job(job.path, job.id)
    if stored in FINAL:
        return JobResult(status=stored, path=job.path, skipped=True)
    protocol = _protocol(job)
    _write(job, protocol, None, "failed", reason, {})
    return JobResult(status="failed", path=job.path, reason=reason)
