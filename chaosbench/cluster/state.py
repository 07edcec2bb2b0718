"""Where each job of a sweep stands, from its result file and the Slurm queue (never ``sacct``).

A job with a result file has that file's status (``ok``, ``diverged``, ``failed``, ``timeout``).
Otherwise it is ``running`` or ``queued`` while a task of one of the sweep's arrays holds it, and
``missing`` once no task does; a missing job carries the reason Slurm left in its last task's
log (time limit, scancel, out of memory, node failure) when there is one. A ``failed`` or
``timeout`` job that was resubmitted shows as ``running`` or ``queued`` until its rerun ends.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from chaosbench.cluster import slurm
from chaosbench.cluster.manifest import Manifest, manifests
from chaosbench.results import read_sweep
from chaosbench.runner import Job

__all__ = ["JobState", "job_states", "in_flight", "summary", "RESULT_STATUSES"]

RESULT_STATUSES = ("ok", "diverged", "failed", "timeout")
_IN_FLIGHT = {"RUNNING": "running", "COMPLETING": "running", "CONFIGURING": "running"}


@dataclass(frozen=True)
class JobState:
    job: Job
    status: str  # one of RESULT_STATUSES, "running", "queued" or "missing"
    reason: str = ""


def in_flight(found: list[Manifest], queue: dict[str, dict[int, str]]) -> dict[str, str]:
    """job id -> ``running`` or ``queued``, for the jobs a queued array task holds."""
    held = {}
    for manifest in found:
        for index, state in queue.get(manifest.id, {}).items():
            if index < len(manifest.jobs):
                held[manifest.jobs[index].id] = _IN_FLIGHT.get(state, "queued")
    return held


def _last_logs(found: list[Manifest]) -> dict[str, Path]:
    """job id -> the log of the latest task that ran it (later manifests win)."""
    logs = {}
    for manifest in found:
        array = manifest.array_id
        for index, job in enumerate(manifest.jobs):
            log = manifest.logs / f"{array}_{index}.out"
            if array and log.exists():
                logs[job.id] = log
    return logs


def job_states(jobs: Iterable[Job], results_dir: str | Path, sweep: str,
               queue: dict[str, dict[int, str]] | None) -> list[JobState]:
    """The state of every job in ``jobs`` (see the module docstring), given the sweep's queued
    tasks (:func:`chaosbench.cluster.slurm.queued_tasks`; None: results only, so that no job
    is running or queued)."""
    rows = read_sweep(results_dir, sweep).drop_duplicates("job_id")
    results = dict(zip(rows.job_id, zip(rows.status, rows.reason)))
    found = manifests(results_dir, sweep)
    held = in_flight(found, queue or {})
    logs = _last_logs(found)
    states = []
    for job in jobs:
        status, reason = results.get(job.id, ("missing", ""))
        if job.id in held and status not in ("ok", "diverged"):
            status, reason = held[job.id], ""
        elif status == "missing" and job.id in logs:
            log = logs[job.id]
            reason = slurm.task_log_reason(log) or "its task ended without a result"
            reason = f"{reason} (log: {log})"
        states.append(JobState(job, status, reason))
    return states


def summary(states: list[JobState]) -> str:
    """Counts in a few lines: done (ok, diverged, failed, timeout), running, queued, missing,
    then the reasons of missing jobs grouped."""
    counts = Counter(state.status for state in states)
    done = sum(counts[s] for s in RESULT_STATUSES)
    lines = [f"{len(states)} jobs",
             f"  done     {done:5d}  (" + ", ".join(f"{s} {counts[s]}" for s in RESULT_STATUSES)
             + ")",
             f"  running  {counts['running']:5d}",
             f"  queued   {counts['queued']:5d}",
             f"  missing  {counts['missing']:5d}"]
    reasons = Counter(state.reason.split(" (log:")[0] for state in states
                      if state.status == "missing" and state.reason)
    lines += [f"    {n} {reason}" for reason, n in reasons.most_common()]
    return "\n".join(lines)
