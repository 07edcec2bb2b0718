"""``chaosbench bench``: run benchmark jobs, a thin Hydra app around
:func:`chaosbench.runner.run_job`.

    chaosbench bench system=Lorenz forecaster=esn forecaster.units=1000
    chaosbench bench -m system=Lorenz,Rossler forecaster=nvar,sindy seed=0,1,2
    chaosbench bench -m sweep=default hydra/launcher=joblib
"""

import os

# One thread per job before numpy/torch load: parallel jobs must not fight over the cores.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import hydra  # noqa: E402
from hydra.core.hydra_config import HydraConfig  # noqa: E402
from omegaconf import DictConfig, OmegaConf  # noqa: E402

from chaosbench.cli import Progress, count_jobs, run_cli  # noqa: E402
from chaosbench.paths import data_dir  # noqa: E402
from chaosbench.runner import Job, run_job  # noqa: E402


@hydra.main(version_base="1.3", config_path=str(data_dir("conf")), config_name="bench")
def app(cfg: DictConfig) -> None:
    hc = HydraConfig.get()
    job = Job(
        system=cfg.system, forecaster=hc.runtime.choices["forecaster"],
        forecaster_config=OmegaConf.to_container(cfg.forecaster, resolve=True),
        protocol=OmegaConf.to_container(cfg.protocol, resolve=True), seed=int(cfg.seed),
        sweep=cfg.sweep_name, results_dir=str(Path(cfg.results_dir).resolve()),
        timeout_s=float(cfg.timeout_s), force=bool(cfg.force),
        save_forecast=bool(cfg.save_forecast), threads=int(cfg.threads))
    result = run_job(job)
    summary = "" if result.skipped else (
        f" smape={result.scores.get('smape', float('nan')):.3g}"
        f" vpt={result.scores.get('vpt', float('nan')):.3g}")
    print(f"[{result.status}] {job.id}{summary}{' ' + result.reason if result.reason else ''}",
          flush=True)


def _multirun_progress():
    """A progress bar for -m runs, fed by results/<sweep>/jobs.log."""
    args = sys.argv[1:]
    if not {"-m", "--multirun"} & set(args):
        return None
    from hydra.core.override_parser.overrides_parser import OverridesParser

    plain = [a for a in args if not a.startswith("-")]
    parsed = OverridesParser.create().parse_overrides(plain)
    compose_overrides = [text for text, o in zip(plain, parsed)
                         if not o.is_sweep_override() and not o.key_or_group.startswith("hydra")]
    with hydra.initialize_config_dir(version_base="1.3", config_dir=str(data_dir("conf"))):
        cfg = hydra.compose("bench", overrides=compose_overrides, return_hydra_config=True)
    params = cfg.hydra.sweeper.params
    params = OmegaConf.to_container(params, resolve=False) if params else {}
    total = count_jobs(args, {k: str(v) for k, v in params.items()})
    log = Path(cfg.results_dir) / cfg.sweep_name / "jobs.log"
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    return Progress(log, total)


LOCAL_BATCH = 2  # jobs at once under hydra/launcher=local (submitit's local mode)


def _cap_local_launcher() -> None:
    """Submitit's local executor starts every job at once; run them in batches instead."""
    args = sys.argv[1:]
    if "hydra/launcher=local" in args and not any("max_batch_size" in a for a in args):
        sys.argv.append(f"hydra.sweeper.max_batch_size={LOCAL_BATCH}")


def _run() -> None:
    _cap_local_launcher()
    progress = _multirun_progress()
    if progress is None:
        app()
        return
    with progress:
        app()


def main(argv: list[str]) -> int:
    return run_cli(_run, ["chaosbench bench", *argv])
