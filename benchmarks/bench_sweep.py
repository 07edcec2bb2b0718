"""One 40-job sweep on every engine, side by side: wall time and harness overhead per job.

The sweep: 4 systems (Lorenz, Rossler, Chua, Thomas) x 5 fast forecasters (naive, mean, linear,
nvar, sindy) x 2 seeds, on a small protocol (n_train=500, n_test=100, 50 points per period),
so that the engines' own costs (process start, imports, scheduling, result files) dominate.
Each engine runs the whole sweep into its own empty results folder:

    basic       Hydra's basic launcher: one job after another in one process
    parallel    chaosbench's warm workers (hydra/launcher=parallel, 2 workers)
    joblib      hydra-joblib-launcher, 2 workers
    submitit    submitit's local executor (hydra/launcher=local, batches of 2)
    ray         hydra/launcher=ray on the running head (address=auto; .ci/services/ray.sh)
    slurm       chaosbench submit, then wait until squeue holds none of its tasks
                (.ci/services/slurm.sh; the array runs 2 tasks at once on 2 CPUs)

Printed per engine: wall time; the sum of fit + predict seconds over the result rows; and the
overhead per job, ``(slots x wall - sum(fit + predict)) / jobs`` with ``slots`` the jobs the
engine runs at once (1 for basic, else 2): what the harness costs a job beyond the model's own
work, whatever the parallelism. An engine whose service is not running is reported and skipped.

Usage:  nice -n 10 .venv/bin/python benchmarks/bench_sweep.py [--engines basic,joblib,...]
        [--sweep small|fast|catalogue|full] [--first N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: name -> (overrides, jobs). ``small`` is the engines' comparison above; ``fast`` is issue 15's
#: 540-job sweep (every chaotic system x naive, linear, nvar, sindy, the standard protocol);
#: ``catalogue`` is issue 10's (every chaotic system x the 9 fast forecasters x 3 seeds);
#: ``full`` is issue 15's full sweep (every chaotic system x every default configuration, the
#: pretrained ones excluded since they need weights, x 1 seed).
_FAST9 = "naive,mean,linear,nvar,nvar1,esn,sindy,linear_regression,kalman"
SWEEPS = {
    "small": (["system=Lorenz,Rossler,Chua,Thomas", "forecaster=naive,mean,linear,nvar,sindy",
               "seed=0,1", "protocol.n_train=500", "protocol.n_test=100",
               "protocol.pts_per_period=50"], 4 * 5 * 2),
    "fast": (["system=all", "forecaster=naive,linear,nvar,sindy"], None),
    "catalogue": (["system=all", f"forecaster={_FAST9}", "seed=0,1,2"], None),
    "full": (["system=all", "forecaster=<defaults>"], None),
}


def overrides_of(sweep: str) -> list[str]:
    from chaosbench import forecasters

    defaults = ",".join(forecasters.shipped_names(include_pretrained=False))
    return [o.replace("<defaults>", defaults) for o in SWEEPS[sweep][0]]


ENGINES = {  # name -> (bench arguments, slots)
    "basic": ([], 1),
    "parallel": (["hydra/launcher=parallel", "hydra.launcher.n_jobs=2"], 2),
    "joblib": (["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"], 2),
    "submitit": (["hydra/launcher=local"], 2),
    "ray": (["hydra/launcher=ray"], 2),
    "slurm": (None, 2),
}
# `chaosbench bench`, for Ray with its launcher registered (editable installs hide it from
# Hydra's plugin scan; see chaosbench.cluster.ray_engine.register_launcher).
BENCH = ["-m", "chaosbench"]
BENCH_RAY = ["-c", "import sys; from chaosbench.cluster.ray_engine import register_launcher; "
             "register_launcher(); from chaosbench.cli import main; sys.exit(main(sys.argv[1:]))"]


def available(engine: str) -> str | None:
    """Why ``engine`` cannot run here, or None."""
    if engine == "slurm":
        probe = subprocess.run(["sinfo", "--noheader"], capture_output=True) \
            if shutil.which("sinfo") else None
        return None if probe and probe.returncode == 0 else "no Slurm (.ci/services/slurm.sh start)"
    if engine == "ray":
        with socket.socket() as s:
            s.settimeout(2)
            if s.connect_ex(("127.0.0.1", 6379)) != 0:
                return "no Ray head on 127.0.0.1:6379 (.ci/services/ray.sh start)"
    return None


def spread_systems(overrides: list[str], count: int) -> tuple[list[str], list[str], int]:
    """The systems of sweep ``overrides`` in alphabetical order, ``count`` of them spread over
    the list (every k-th), and k."""
    from chaosbench.sweep import expand

    everything = sorted({job.system for job in expand(overrides)})
    step = max(1, len(everything) // count)
    return everything, everything[::step][:count], step


def run_slurm(sweep: list[str], results: Path, env: dict) -> None:
    from chaosbench.cluster.slurm import queued_tasks

    out = subprocess.run([sys.executable, "-m", "chaosbench", "submit", *sweep,
                          f"results_dir={results}", "hydra.launcher.mem_gb=1"],
                         env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    while queued_tasks("bench_sweep"):
        time.sleep(0.5)


def run(engine: str, sweep: list[str], results: Path) -> float:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    t0 = time.perf_counter()
    arguments, _ = ENGINES[engine]
    if arguments is None:
        run_slurm(sweep, results, env)
    else:
        command = BENCH_RAY if engine == "ray" else BENCH
        out = subprocess.run([sys.executable, *command, "bench", "-m", *sweep, *arguments,
                              f"results_dir={results}"], env=env, capture_output=True, text=True)
        if out.returncode != 0:
            lines = out.stderr.replace("\r", "\n").splitlines()
            raise RuntimeError(next((line for line in reversed(lines) if "rror" in line),
                                    f"exit status {out.returncode}"))
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--sweep", choices=sorted(SWEEPS), default="small")
    parser.add_argument("--first", type=int, default=None, metavar="N",
                        help="run a system=all sweep on N of its systems only (every k-th in "
                             "alphabetical order), and extrapolate "
                             "its wall time to all of them (a long sweep's figure in less time)")
    parser.add_argument("--keep", metavar="DIR",
                        help="write each engine's results under DIR/<engine>, not a temp dir")
    args = parser.parse_args()
    engines = args.engines.split(",")
    from chaosbench.results import read_sweep
    from chaosbench.sweep import expand

    overrides, jobs_expected = overrides_of(args.sweep), SWEEPS[args.sweep][1]
    scale = 1.0
    if args.first is not None:
        if "system=all" not in overrides:
            parser.error("--first needs a system=all sweep (fast, catalogue or full)")
        everything, chosen, step = spread_systems(overrides, args.first)
        scale = len(everything) / len(chosen)
        overrides = [f"system={','.join(chosen)}" if o == "system=all" else o for o in overrides]
        print(f"{len(chosen)} of the {len(everything)} systems, one in {step}: "
              f"{', '.join(chosen)}; wall times are also shown x {scale:.2f}, for all of them")
    sweep = [*overrides, "sweep_name=bench_sweep"]
    if jobs_expected is None:
        jobs_expected = len(expand(overrides))
    print(f"{jobs_expected}-job sweep ({args.sweep}): {' '.join(sweep)}; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'engine':10s} {'wall s':>8s} {'fit+predict s':>14s} {'overhead s/job':>15s}  jobs")
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        for engine in engines:
            if (why := available(engine)) is not None:
                print(f"{engine:10s} skipped: {why}")
                continue
            results = Path(args.keep or tmp) / engine
            try:
                wall = run(engine, sweep, results)
            except RuntimeError as error:
                print(f"{engine:10s} failed: {error}")
                continue
            jobs = read_sweep(results, "bench_sweep").drop_duplicates("job_id")
            compute = float((jobs.fit_seconds.fillna(0) + jobs.predict_seconds.fillna(0)).sum())
            slots = ENGINES[engine][1]
            overhead = (slots * wall - compute) / max(len(jobs), 1)
            statuses = ", ".join(f"{s} {n}" for s, n in jobs.status.value_counts().items())
            print(f"{engine:10s} {wall:8.1f} {compute:14.1f} {overhead:15.2f}  {len(jobs)} "
                  f"({statuses}); load average {os.getloadavg()[0]:.1f}", flush=True)
            if scale != 1.0:
                print(f"{'':10s} all systems, extrapolated: {wall * scale:.0f} s wall "
                      f"({wall * scale / 60:.0f} min)")
            for row in jobs[jobs.status == "failed"].head(10).itertuples():
                print(f"  failed: {row.system} x {row.forecaster}: {str(row.reason)[:120]}")
            cost = (jobs.fit_seconds.fillna(0) + jobs.predict_seconds.fillna(0)).groupby(
                jobs.forecaster).sum().sort_values(ascending=False)
            if len(cost) > 5:  # where a many-model sweep's time goes
                print("  fit + predict s by forecaster: " + ", ".join(
                    f"{name} {seconds:.0f}" for name, seconds in cost.head(10).items()))


if __name__ == "__main__":
    main()
