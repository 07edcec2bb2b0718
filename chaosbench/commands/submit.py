"""``chaosbench submit``: submit a sweep's unfinished jobs to Slurm as one throttled array and
exit (see :mod:`chaosbench.cluster.submission`).

    chaosbench submit sweep=default
    chaosbench submit system=Lorenz,Rossler forecaster=naive,nvar seed=0,1,2
    chaosbench submit sweep=default hydra.launcher.mem_gb=4 hydra.launcher.partition=short
    chaosbench submit sweep=default --retry-failed
"""

from __future__ import annotations

from chaosbench.cluster.commandline import fail, sweep_command


def main(argv: list[str]) -> int:
    return sweep_command(
        argv, "submit", "Submit a sweep's missing jobs as one Slurm array (hydra.launcher.* "
        "sizes the tasks: conf/hydra/launcher/slurm.yaml) and exit.", _submit,
        switches=(("--retry-failed", "resubmit only the jobs whose result is failed or timeout"),))


def _submit(settings, args) -> int:
    from chaosbench.cluster.submission import submit

    jobs = settings.jobs()
    if not jobs:
        return fail("the overrides expand to no jobs")
    done = submit(jobs, settings.sweep, settings.results_dir, settings.resources,
                  retry_failed=args.retry_failed)
    held = sum(s.status in ("running", "queued") for s in done.states)
    what = "failed or timed-out" if args.retry_failed else "missing"
    if done.manifest is None:
        print(f"sweep {settings.sweep}: no {what} jobs to submit ({len(jobs)} jobs, "
              f"{held} running or queued); `chaosbench status` shows them")
        return 0
    n, r = len(done.manifest.jobs), settings.resources
    print(f"sweep {settings.sweep}: submitted {n} {what} jobs as array {done.array_id} "
          f"(--array=0-{n - 1}%{r.array_parallelism}, {r.cpus_per_task} CPU, {r.mem_mb} MB, "
          f"{r.timeout_min} min per task); skipped {len(jobs) - n - held} with results and "
          f"{held} running or queued")
    print(f"manifest: {done.manifest.path}")
    return 0
