"""One benchmark job: system x forecaster x protocol x seed -> scored rows on disk.

    generate data (catalogue + protocol) -> fit -> predict -> score every metric -> write rows

A job never raises because its forecaster failed: an exception, a non-finite forecast or a run
past ``timeout_s`` is recorded in the rows' ``status`` (``failed``, ``diverged``, ``timeout``) and
``reason``, so a sweep always finishes. A job whose result file exists is skipped unless ``force``.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import signal
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np

from chaosbench import metrics
from chaosbench.catalogue import system as load_system
from chaosbench.protocol import Protocol, make_split
from chaosbench.results import (config_hash, job_id, job_path, package_versions, write_forecast,
                                write_rows)

__all__ = ["Job", "JobResult", "run_job", "JobTimeout"]


class JobTimeout(Exception):
    """The job ran past its time limit."""


@dataclass(frozen=True)
class Job:
    """Everything that defines one job. ``forecaster_config`` holds ``_target_`` (the class) and
    every hyperparameter; ``protocol`` the protocol's settings."""

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


@dataclass
class JobResult:
    status: str
    path: Path
    skipped: bool = False
    reason: str = ""
    scores: dict[str, float] = field(default_factory=dict)


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`JobTimeout` in this thread after ``seconds`` (SIGALRM; main thread only,
    elsewhere the limit is not enforced). The alarm interrupts Python code and sleeps; a long
    call inside a C extension is interrupted when it returns to Python."""
    if not seconds or seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum, frame):
        raise JobTimeout(f"ran past its limit of timeout_s={seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def limited_threads(n: int) -> Iterator[None]:
    """Cap BLAS/OpenMP pools and torch's intra-op threads at ``n`` for the job (parallel jobs
    fighting over two cores make torch 30-100x slower)."""
    from threadpoolctl import threadpool_limits

    torch = None
    with contextlib.suppress(ImportError):
        import torch
    before = torch.get_num_threads() if torch else None
    with threadpool_limits(limits=n):
        if torch:
            torch.set_num_threads(n)
        try:
            yield
        finally:
            if torch:
                torch.set_num_threads(before)


def log_job(job: Job, status: str, reason: str) -> None:
    """Append one line to ``results/<sweep>/jobs.log`` (a single small O_APPEND write, so lines
    from concurrent jobs never interleave); the progress bar counts these lines."""
    folder = Path(job.results_dir) / job.sweep
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    line = f"{stamp}\t{job.id}\t{status}\t{reason[:300]}".replace("\n", " ") + "\n"
    fd = os.open(folder / "jobs.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def build_forecaster(config: Mapping[str, Any], seed: int):
    """Instantiate ``config['_target_']`` with the other entries and ``seed``."""
    params = dict(config)
    target = params.pop("_target_", None)
    if not target:
        raise ValueError("forecaster config has no _target_ (the class to build)")
    module, _, name = str(target).rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    return cls(seed=seed, **params)


def run_job(job: Job) -> JobResult:
    """Run ``job`` and write its rows; see the module docstring."""
    path = job.path
    if path.exists() and not job.force:
        log_job(job, "skipped", "")
        return JobResult(status="skipped", path=path, skipped=True)

    status, reason = "ok", ""
    fit_s = predict_s = math.nan
    scores: dict[str, float] = {}
    split = forecast = None
    per_dimension = False
    protocol = Protocol.from_config(job.protocol) if isinstance(job.protocol, Mapping) else job.protocol
    try:
        with limited_threads(job.threads), time_limit(job.timeout_s):
            split = make_split(load_system(job.system), protocol, job.seed)
            model = build_forecaster(job.forecaster_config, job.seed)
            per_dimension = not getattr(model, "multivariate", True) and split.train.shape[1] > 1
            t0 = time.perf_counter()
            model.fit(split.train, split.dt)
            fit_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            forecast = np.asarray(model.predict(len(split.test)), dtype=float)
            predict_s = time.perf_counter() - t0
        if forecast.shape != split.test.shape:
            raise ValueError(f"forecast has shape {forecast.shape}, expected {split.test.shape}")
        if not np.all(np.isfinite(forecast)):
            bad = int(np.argmax(~np.all(np.isfinite(forecast), axis=1)))
            status, reason = "diverged", f"non-finite forecast from step {bad}"
        scores = metrics.compute(split.test, forecast, y_train=split.train, dt=split.dt,
                                 max_lyapunov=split.max_lyapunov)
    except JobTimeout as error:
        status, reason = "timeout", str(error)
    except Exception as error:  # a sweep never dies because one job failed
        status = "failed"
        where = traceback.extract_tb(error.__traceback__)[-1]
        reason = f"{type(error).__name__}: {error} (at {Path(where.filename).name}:{where.lineno})"

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
    }
    rows = [{**common, "metric": name, "value": float(scores.get(name, math.nan))}
            for name in metrics.names()]
    write_rows(path, rows)
    log_job(job, status, reason)
    if job.save_forecast and forecast is not None and split is not None:
        write_forecast(path.with_suffix(".npz"), train=split.train, test=split.test,
                       forecast=forecast)
    return JobResult(status=status, path=path, reason=reason, scores=scores)
