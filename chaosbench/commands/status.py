"""``chaosbench status``: where a sweep's jobs stand, from the result files and ``squeue``
(never ``sacct``; see :mod:`chaosbench.cluster.state`).

    chaosbench status sweep=default
    chaosbench status system=Lorenz,Rossler forecaster=naive,nvar --missing
"""

from __future__ import annotations

import argparse
import sys

from chaosbench.cluster.commandline import parse, run_guarded


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="chaosbench status", description="Count a sweep's jobs: done (ok, diverged, "
        "failed, timeout), running, queued and missing (with Slurm's reason).")
    parser.add_argument("overrides", nargs="*", help="the overrides of chaosbench bench")
    parser.add_argument("--missing", action="store_true",
                        help="also list every missing job with its reason")
    args = parser.parse_args(argv)
    return run_guarded(lambda: _status(args))


def _status(args) -> int:
    from chaosbench.cluster import slurm
    from chaosbench.cluster.state import job_states, summary

    settings = parse("chaosbench status", args.overrides)
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
