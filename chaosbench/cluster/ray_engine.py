"""Run a Hydra sweep's jobs as Ray tasks: the work behind ``hydra/launcher=ray``
(:mod:`hydra_plugins.chaosbench_ray`).

Each job is one task of ``cpus_per_job`` CPUs, so Ray runs as many at once as the cluster has
CPUs; a worker process is reused across tasks, so the heavy imports are paid once per worker.
Inside a task the job goes through Hydra's ``run_job`` and chaosbench's task function exactly as
under joblib, hence the same result files and the same resume: a job whose result exists is
skipped. A task whose worker process died is rerun up to ``max_retries`` times; one that still
fails is returned to Hydra as a failed job (Hydra raises it after the sweep), so the other jobs
of the sweep run to the end.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus, run_job, setup_globals
from omegaconf import open_dict

__all__ = ["launch", "connect", "register_launcher"]

log = logging.getLogger(__name__)


PLUGIN = "hydra_plugins.chaosbench_ray"


def _load_plugin():
    """The plugin module, loaded under its name (from this checkout when the file is here:
    editable installs and source checkouts on ``PYTHONPATH`` expose no ``hydra_plugins``
    folder; a wheel does)."""
    module = sys.modules.get(PLUGIN)
    source = Path(__file__).resolve().parents[1] / "hydra_plugin" / "__init__.py"
    if module is None and source.is_file():
        spec = importlib.util.spec_from_file_location(PLUGIN, source,
                                                      submodule_search_locations=[])
        module = importlib.util.module_from_spec(spec)
        sys.modules[PLUGIN] = module
        spec.loader.exec_module(module)
    return module if module is not None else importlib.import_module(PLUGIN)


def register_launcher() -> None:
    """Make ``hydra/launcher=ray`` available however chaosbench is installed; call before Hydra
    composes. Hydra finds plugins only by walking the folders of the ``hydra_plugins``
    namespace, which an editable install maps through an import hook the walk does not see."""
    from hydra.core.plugins import Plugins

    Plugins.instance().register(_load_plugin().RayLauncher)


# A Ray worker imports this module to run _execute, then unpickles the sweep's ConfigStore,
# which names the plugin's config class by module: the module must be loadable there too.
_load_plugin()


def _execute(index: int, overrides: Sequence[str], hydra_context, config, task_function,
             singleton_state: dict[Any, Any]) -> JobReturn:
    """One job in a Ray worker (the analogue of hydra-joblib-launcher's ``execute_job``)."""
    setup_globals()
    Singleton.set_state(singleton_state)
    sweep_config = hydra_context.config_loader.load_sweep_config(config, list(overrides))
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{index}"
        sweep_config.hydra.job.num = index
    HydraConfig.instance().set_config(sweep_config)
    return run_job(hydra_context=hydra_context, config=sweep_config, task_function=task_function,
                   job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")


def connect(address: str, **init: Any) -> None:
    """``ray.init`` at ``address`` (``local``: a new Ray on this machine); a missing cluster is
    one line naming the address tried and how to start one."""
    import ray

    if ray.is_initialized():
        return
    if os.environ.get("PYTHONPATH") and "runtime_env" not in init:
        # Workers start from the raylet's environment: hand them the driver's import path, so
        # a checkout on PYTHONPATH runs the same code on both sides.
        init["runtime_env"] = {"env_vars": {"PYTHONPATH": os.environ["PYTHONPATH"]}}
    init.setdefault("logging_level", logging.WARNING)
    init.setdefault("log_to_driver", True)
    try:
        ray.init(address=address, **init)
    except ConnectionError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise RuntimeError(
            f"no Ray cluster at hydra.launcher.address={address}: {first}; start one with "
            f"`ray start --head` (.ci/services/ray.sh start) or use hydra.launcher.address=local"
        ) from None


def launch(launcher, job_overrides: Sequence[Sequence[str]],
           initial_job_idx: int) -> list[JobReturn]:
    """Submit every job, wait for all, and return their ``JobReturn`` in order."""
    # Every job prints one status line; Ray would fold look-alike lines into "repeated Nx".
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    import ray

    setup_globals()
    Path(str(launcher.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
    connect(launcher.address, **launcher.init)
    remote = ray.remote(num_cpus=launcher.cpus_per_job, max_retries=launcher.max_retries)(_execute)
    state = Singleton.get_state()
    refs = [remote.remote(initial_job_idx + i, list(overrides), launcher.hydra_context,
                          launcher.config, launcher.task_function, state)
            for i, overrides in enumerate(job_overrides)]
    log.info("Ray is running %d jobs", len(refs))
    results = []
    for overrides, ref in zip(job_overrides, refs):
        try:
            results.append(ray.get(ref))
        except Exception as error:  # the worker died (or Ray failed): this job alone fails
            failed = JobReturn(overrides=list(overrides), status=JobStatus.FAILED)
            failed.return_value = error
            results.append(failed)
    return results
