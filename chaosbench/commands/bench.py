"""``chaosbench bench``: run benchmark jobs, a thin Hydra app around
:func:`chaosbench.runner.run_job`.

    chaosbench bench system=Lorenz forecaster=esn forecaster.units=1000
    chaosbench bench -m system=Lorenz,Rossler forecaster=nvar,sindy seed=0,1,2
    chaosbench bench -m sweep=default hydra/launcher=parallel hydra.launcher.n_jobs=2

Every launcher builds its jobs with :func:`chaosbench.sweep.job_from_config` and runs them with
:func:`chaosbench.runner.run_job`, which isolates each job in its own process. With
``hydra/launcher=parallel`` chaosbench expands the sweep itself (:func:`chaosbench.sweep.expand`)
and runs it on warm workers (:mod:`chaosbench.pool`); the other launchers (basic, joblib,
submitit local and Slurm) go through Hydra.
"""

import os

# One thread per job before numpy/torch load: parallel jobs must not fight over the cores.
from chaosbench.threads import limit_env

limit_env(1)

import sys  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

from chaosbench.cli import Progress, UsageError, count_jobs, preflight, split_argv  # noqa: E402
from chaosbench.paths import data_dir  # noqa: E402
from chaosbench.runner import RUN_ID_ENV  # noqa: E402

PARALLEL = "chaosbench.pool.run_jobs"
LOCAL_BATCH = 2  # jobs at once under hydra/launcher=local (submitit's local mode)


def _report(job, result) -> None:
    print(_line(job, result), flush=True)


def _hydra_app():
    import hydra
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import DictConfig, OmegaConf

    from chaosbench.runner import run_job
    from chaosbench.sweep import job_from_config, plain

    @hydra.main(version_base="1.3", config_path=str(data_dir("conf")), config_name="bench")
    def app(cfg: DictConfig) -> None:
        hc = HydraConfig.get()
        try:
            job = job_from_config(plain(cfg), OmegaConf.to_container(hc.runtime.choices),
                                  list(hc.overrides.task))
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            raise SystemExit(2) from None
        _report(job, run_job(job))

    return app


def _multirun_progress(overrides: list[str], dirs: list[str]):
    """A progress bar for Hydra-launched -m runs, fed by this run's lines in jobs.log."""
    from omegaconf import OmegaConf

    from chaosbench.sweep import compose_base, fixed_overrides

    cfg = compose_base(fixed_overrides(overrides), extra_dirs=dirs)
    params = cfg.hydra.sweeper.params
    params = OmegaConf.to_container(params, resolve=False) if params else {}
    total = count_jobs(overrides, {k: str(v) for k, v in params.items()})
    log = Path(cfg.results_dir) / cfg.sweep_name / "jobs.log"
    return Progress(log, total, run_id=os.environ[RUN_ID_ENV])


def _run_parallel(overrides: list[str], dirs: list[str], n_jobs: int) -> int:
    from tqdm import tqdm

    from chaosbench.pool import run_jobs
    from chaosbench.sweep import expand

    try:
        jobs = expand(overrides, extra_dirs=dirs)
    except (KeyError, ValueError) as error:
        raise UsageError(" ".join(str(error).strip("'\"").split())) from None
    with tqdm(total=len(jobs), desc="jobs", unit="job", file=sys.stderr,
              dynamic_ncols=True) as bar:
        def done(job, result):
            tqdm.write(_line(job, result), file=sys.stdout)
            bar.update()

        results = run_jobs(jobs, n_jobs=n_jobs, on_result=done)
    counts = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    print("done: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())), file=sys.stderr)
    return 0


def _sweep_params_as_overrides(base, overrides: list[str]) -> list[str]:
    """``overrides`` for Hydra's sweeper when the named sweep sweeps a hyperparameter
    (``forecaster.<key>`` in ``hydra.sweeper.params``): the sweeper would apply it as a plain
    override, which Hydra refuses for a key the YAML does not hold (the class holds the default),
    so the params go on the command line instead, in the sweeper's order (params first, the
    command line winning), the hyperparameters as ``++forecaster.<key>``."""
    from omegaconf import OmegaConf

    params = base.hydra.sweeper.get("params")
    params = OmegaConf.to_container(params, resolve=False) if params else {}
    if not any(str(key).startswith("forecaster.") for key in params):
        return overrides
    moved = [f"++{k}={v}" if str(k).startswith("forecaster.") else f"{k}={v}"
             for k, v in params.items()]
    return ["hydra.sweeper.params=null", *moved, *overrides]


def _line(job, result) -> str:
    summary = "" if result.skipped else "".join(
        f" {k}={result.scores[k]:.3g}" for k in ("smape", "vpt") if k in result.scores)
    reason = f" {result.reason}" if result.reason and not result.skipped else ""
    return f"[{result.status}] {job.label} {job.id}{summary}{reason}"


def main(argv: list[str]) -> int:
    from chaosbench.sweep import compose_base, fixed_overrides, register_with_hydra

    os.environ.setdefault(RUN_ID_ENV, uuid.uuid4().hex[:12])
    register_with_hydra()
    if "hydra/launcher=ray" in argv:  # an editable install hides the plugin from Hydra's scan
        from chaosbench.cluster.ray_engine import register_launcher

        register_launcher()
    args = preflight(["chaosbench bench", *argv])
    flags, overrides, dirs = split_argv(args[1:])
    multirun = bool({"-m", "--multirun"} & set(flags))
    inspecting = any(f.split("=")[0] in ("--cfg", "-c", "--info", "-i", "--help", "-h",
                                         "--hydra-help", "--shell-completion", "-sc")
                     for f in flags)
    if multirun and not inspecting:
        base = compose_base(fixed_overrides(overrides), extra_dirs=dirs)
        if base.hydra.launcher.get("_target_") == PARALLEL:
            return _run_parallel(overrides, dirs, int(base.hydra.launcher.n_jobs))
        args = [args[0], *flags, *_sweep_params_as_overrides(base, overrides)]
    if "hydra/launcher=local" in overrides and not any("max_batch_size" in a for a in overrides):
        # Submitit's local executor starts every job at once; run them in batches instead.
        args.append(f"hydra.sweeper.max_batch_size={LOCAL_BATCH}")
    sys.argv = args
    app = _hydra_app()
    if multirun and not inspecting:
        with _multirun_progress(overrides, dirs):
            app()
    else:
        app()
    return 0
