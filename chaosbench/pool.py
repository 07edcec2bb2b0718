"""Run many jobs on this machine: a few warm worker processes, each job isolated below them.

    results = run_jobs(jobs, n_jobs=2)

The workers are forked once from the warm parent (every heavy library already imported), so a job
costs a fork of its own (:mod:`chaosbench.isolation`) and no interpreter start-up. Each worker
takes one job at a time; the parent hands out the next as soon as one finishes.

Nothing a job does stops the sweep. A job that crashes its own process is recorded by its worker;
a worker that is itself killed (``kill -9``, the OOM killer) is replaced, and the job it held is
recorded ``failed`` with the signal. Ctrl-C or SIGTERM of the parent stops every worker and job
within a second or two; workers and their jobs also die with the parent if it is killed outright
(``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
from multiprocessing.connection import wait
from typing import Callable, Sequence

from chaosbench.runner import Job, JobResult, record_lost, run_job

__all__ = ["run_jobs"]


def _worker(conn, parent: int) -> None:  # pragma: no cover - runs in a worker process
    from chaosbench.isolation import _die_with_parent

    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        try:
            result = run_job(job)
        except Exception as error:  # a harness bug must not kill the worker silently
            result = record_lost(job, f"harness error: {type(error).__name__}: {error}")
        scores = {k: result.scores[k] for k in ("smape", "vpt") if k in result.scores}
        conn.send((result.status, result.skipped, result.reason, scores))


def _warm(jobs: Sequence[Job]) -> None:
    """Import every model class and load the integrator once, before the workers fork, so no
    job pays for an import or a kernel load (nor records it as fit time)."""
    from chaosbench.forecasters import resolve

    for target in {str(j.forecaster_config.get("_target_", "")) for j in jobs}:
        with contextlib.suppress(Exception):  # the job itself will report a bad target
            resolve(target)
    with contextlib.suppress(Exception):
        from chaosbench.catalogue import system

        system("Lorenz").trajectory(10, seed=0)


class _Worker:
    def __init__(self, ctx) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child, os.getpid()), daemon=True)
        self.process.start()
        child.close()
        self.job: Job | None = None

    def stop(self, kill: bool = False) -> None:
        with contextlib.suppress(Exception):
            if kill:
                self.process.kill()
            else:
                self.conn.send(None)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def run_jobs(jobs: Sequence[Job], *, n_jobs: int = 2,
             on_result: Callable[[Job, JobResult], None] | None = None) -> list[JobResult]:
    """Run ``jobs`` on ``n_jobs`` workers; returns one result per job, in the jobs' order."""
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be >= 1, got {n_jobs}")
    ctx = mp.get_context("fork")
    _warm(jobs)
    pending = list(range(len(jobs)))[::-1]
    results: list[JobResult | None] = [None] * len(jobs)
    workers = [_Worker(ctx) for _ in range(min(n_jobs, len(jobs)) or 1)]
    index_of: dict[int, int] = {}

    def finish(worker: _Worker, result: JobResult) -> None:
        i = index_of.pop(id(worker))
        results[i] = result
        worker.job = None
        if on_result:
            on_result(jobs[i], result)

    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum, frame):
        raise KeyboardInterrupt("SIGTERM")

    signal.signal(signal.SIGTERM, on_term)
    try:
        while pending or any(w.job is not None for w in workers):
            for w in workers:
                if w.job is None and pending:
                    i = pending.pop()
                    w.job, index_of[id(w)] = jobs[i], i
                    w.conn.send(jobs[i])
            busy = [w for w in workers if w.job is not None]
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=1.0)
            for w in busy:
                if w.conn in ready:
                    try:
                        status, skipped, reason, scores = w.conn.recv()
                    except (EOFError, OSError):
                        status = None
                    if status is not None:
                        finish(w, JobResult(status=status, path=w.job.path, skipped=skipped,
                                            reason=reason, scores=scores))
                        continue
                if w.process.sentinel in ready or not w.process.is_alive():
                    w.process.join(timeout=1)
                    code = w.process.exitcode
                    how = (f"signal {signal.Signals(-code).name}" if code and code < 0
                           else f"status {code}")
                    finish(w, record_lost(w.job, f"worker process died ({how}) while running "
                                                 f"the job"))
                    workers[workers.index(w)] = _Worker(ctx)
    finally:
        signal.signal(signal.SIGTERM, previous)
        interrupted = sys.exc_info()[0] is not None
        for w in workers:
            w.stop(kill=interrupted)
    return [r for r in results if r is not None]
