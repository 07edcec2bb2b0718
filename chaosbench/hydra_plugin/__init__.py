"""Hydra's launcher plugin for Ray, installed as ``hydra_plugins.chaosbench_ray`` (pyproject's
package-dir maps this folder there; Hydra discovers launchers only under ``hydra_plugins``).

    chaosbench bench -m sweep=default hydra/launcher=ray                   # address=auto
    chaosbench bench -m sweep=default hydra/launcher=ray hydra.launcher.address=local

This module stays light (Hydra imports every plugin at start-up); the work is in
:mod:`chaosbench.cluster.ray_engine`. No ``from __future__ import annotations`` here: Hydra's
scanner runs the module before it is in ``sys.modules``, where dataclasses cannot resolve
string annotations.
"""

from dataclasses import dataclass, field
from typing import Optional, Sequence

from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

__all__ = ["RayLauncher", "RayLauncherConf"]


@dataclass
class RayLauncherConf:
    _target_: str = "hydra_plugins.chaosbench_ray.RayLauncher"
    # `auto`: the running cluster (`ray start --head`, or RAY_ADDRESS); `local`: start a Ray
    # on this machine for the sweep; or host:port of a head.
    address: str = "auto"
    cpus_per_job: float = 1.0
    # Reruns of a task whose worker process died (the job's result file makes a rerun skip it).
    max_retries: int = 1
    # Extra keyword arguments of ray.init (e.g. runtime_env, num_cpus for address=local).
    init: dict = field(default_factory=dict)


ConfigStore.instance().store(group="hydra/launcher", name="chaosbench_ray",
                             node=RayLauncherConf, provider="chaosbench")


class RayLauncher(Launcher):
    """Runs each job of a Hydra sweep as one Ray task of ``cpus_per_job`` CPUs."""

    def __init__(self, address: str = "auto", cpus_per_job: float = 1.0, max_retries: int = 1,
                 init: Optional[dict] = None) -> None:
        self.address, self.cpus_per_job, self.max_retries = address, cpus_per_job, max_retries
        self.init = dict(init or {})
        self.config: Optional[DictConfig] = None
        self.task_function: Optional[TaskFunction] = None
        self.hydra_context: Optional[HydraContext] = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        self.config, self.task_function, self.hydra_context = config, task_function, hydra_context

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        from chaosbench.cluster import ray_engine

        return ray_engine.launch(self, job_overrides, initial_job_idx)

