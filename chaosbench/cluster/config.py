"""The command line of ``submit``, ``status`` and ``collect``: the same Hydra overrides as
``chaosbench bench`` (``sweep=default``, ``system=Lorenz,Rossler forecaster=naive,nvar``), checked
by :func:`chaosbench.cli.preflight`; ``hydra.launcher.*`` overrides size the Slurm tasks
(conf/hydra/launcher/slurm.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chaosbench.cli import preflight
from chaosbench.cluster.slurm import Resources
from chaosbench.paths import data_dir

__all__ = ["Settings", "settings"]

_LAUNCHER_KEYS = ("timeout_min", "cpus_per_task", "mem_gb", "partition", "array_parallelism",
                  "qos", "account", "constraint", "exclude", "gres", "comment",
                  "additional_parameters")


@dataclass(frozen=True)
class Settings:
    sweep: str
    results_dir: Path
    resources: Resources
    job_overrides: list[str]  # what :func:`chaosbench.sweep.expand` takes

    def jobs(self):
        """The sweep's jobs, each as ``chaosbench bench -m`` would run it."""
        from chaosbench.sweep import expand

        return expand(self.job_overrides)


def settings(command: str, overrides: list[str]) -> Settings:
    """Check ``overrides`` (bad ones raise :class:`chaosbench.cli.UsageError`: one line, exit 2)
    and compose the sweep's name, results folder and Slurm resources from them."""
    import hydra
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    checked = [a for a in preflight([command, *overrides])[1:] if a not in ("-m", "--multirun")]
    parsed = OverridesParser.create().parse_overrides(checked)
    job_overrides = [t for t, o in zip(checked, parsed) if not o.key_or_group.startswith("hydra")]
    plain = [t for t, o in zip(checked, parsed) if not o.is_sweep_override()]
    GlobalHydra.instance().clear()
    with hydra.initialize_config_dir(version_base="1.3", config_dir=str(data_dir("conf"))):
        cfg = hydra.compose("bench", overrides=["hydra/launcher=slurm", *plain],
                            return_hydra_config=True)
    launcher = {key: cfg.hydra.launcher.get(key) for key in _LAUNCHER_KEYS}
    extra = launcher["additional_parameters"]
    launcher["additional_parameters"] = OmegaConf.to_container(extra) if extra else {}
    return Settings(sweep=str(cfg.sweep_name), results_dir=Path(cfg.results_dir).resolve(),
                    resources=Resources.from_launcher(launcher), job_overrides=job_overrides)
