"""``chaosbench status``: where a sweep's jobs stand, from the result files and ``squeue``
(never ``sacct``; see :mod:`chaosbench.cluster.state`).

    chaosbench status sweep=default
    chaosbench status system=Lorenz,Rossler forecaster=naive,nvar --missing
"""

from __future__ import annotations

import sys

from chaosbench.cluster.commandline import sweep_command


def main(argv: list[str]) -> int:
    return sweep_command(
        argv, "status", "Count a sweep's jobs: done (ok, diverged, failed, timeout), running, "
        "queued and missing (with Slurm's reason).", _status,
        switches=(("--missing", "also list every missing job with its reason"),))


def _status(settings, args) -> int:
    from chaosbench.cluster import slurm
    from chaosbench.cluster.state import job_states, summary

    try:
        queue = slurm.queued_tasks(settings.sweep)
    except slurm.SlurmError as error:
        print(f"note: {error}; counting from result files only", file=sys.stderr)
        queue = None
    states = job_states(settings.jobs(), settings.results_dir, settings.sweep, queue)
    print(f"sweep {settings.sweep} ({settings.results_dir / settings.sweep}): {summary(states)}")
    if args.missing:
        for state in states:
            if state.status == "missing":
                print(f"  missing {state.job.id}{': ' + state.reason if state.reason else ''}")
    return 0
