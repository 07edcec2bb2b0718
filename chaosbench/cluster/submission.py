"""``chaosbench submit``: hand a sweep's unfinished jobs to Slurm as one array, then exit.

    jobs -> states (result files + squeue) -> the missing ones (or, with ``retry_failed``, the
    failed and timed-out ones) -> a manifest -> one ``sbatch --array=0-(n-1)%K`` -> its id

Jobs that a queued or running task of an earlier submission holds are left out, so a second
``submit`` after a killed one (or while an array runs) never doubles work. A refused ``sbatch``
removes the new manifest: nothing is left behind.
"""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass
from pathlib import Path

from chaosbench.cluster import slurm
from chaosbench.cluster.manifest import Manifest, file_stamp
from chaosbench.cluster.state import JobState, job_states
from chaosbench.runner import Job

__all__ = ["Submission", "submit"]


@dataclass(frozen=True)
class Submission:
    states: list[JobState]  # every job of the sweep, before this submission
    manifest: Manifest | None  # None: nothing to submit
    array_id: str | None


def submit(jobs: list[Job], sweep: str, results_dir: str | Path, resources: slurm.Resources, *,
           retry_failed: bool = False) -> Submission:
    """Submit the jobs still to run (see the module docstring); raises
    :class:`~chaosbench.cluster.slurm.SlurmError` (one line) when Slurm is unreachable or
    refuses the array."""
    results_dir = Path(results_dir).resolve()
    states = job_states(jobs, results_dir, sweep, slurm.queued_tasks(sweep))
    wanted = ("failed", "timeout") if retry_failed else ("missing",)
    picked = [dataclasses.replace(s.job, results_dir=str(results_dir), force=False)
              for s in states if s.status in wanted]
    if not picked:
        return Submission(states, None, None)
    replaces = {job.id: file_stamp(job.path) for job in picked if job.path.exists()}
    manifest = Manifest.new(sweep, results_dir, picked, replaces)
    manifest.write()
    try:
        array_id = slurm.submit_array(manifest, resources)
    except slurm.SlurmError:  # refused: no array exists
        shutil.rmtree(manifest.folder, ignore_errors=True)
        raise
    manifest.record_array(array_id)
    return Submission(states, manifest, array_id)
