"""``chaosbench tune``: per-system tuning with Optuna; writes
conf/tuned_values/<protocol>/<name>.yaml.

    chaosbench tune forecaster=paper/esn protocol=gilpin2023 systems=Lorenz,Rossler
    chaosbench tune forecaster=paper/nvar1 systems=all jobs=2

Settings and their defaults: ``conf/tune.yaml``. Runs resume from the storage; several commands
(or ``jobs``) can share it. See :mod:`chaosbench.tuning`.
"""

from __future__ import annotations

# One thread per job before torch loads: parallel jobs must not fight over the cores.
from chaosbench.threads import limit_env

limit_env(1)

import sys  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from omegaconf import OmegaConf  # noqa: E402

from chaosbench.paths import data_dir  # noqa: E402


class BadInput(ValueError):
    """A command-line setting that is wrong; main prints it on one line and exits 2."""


def settings(argv: list[str], name: str) -> dict[str, Any]:
    """``conf/<name>.yaml`` updated by ``key=value`` overrides (OmegaConf dotlist syntax).

    ``--help`` (or ``-h``) prints that file, every setting with its default and comment, and
    exits 0."""
    path = data_dir("conf") / f"{name}.yaml"
    if any(arg in ("--help", "-h") for arg in argv):
        print(path.read_text(), end="")
        raise SystemExit(0)
    defaults = OmegaConf.load(path)
    try:
        given = OmegaConf.from_dotlist(list(argv))
    except Exception as error:  # noqa: BLE001 - any parse error is bad input
        raise BadInput(f"cannot parse {' '.join(argv)!r}: {error}") from None
    from chaosbench.suggest import suggest

    for key in given:
        if key not in defaults:
            raise BadInput(suggest(str(key), sorted(defaults), "setting"))
    return OmegaConf.to_container(OmegaConf.merge(defaults, given), resolve=True)


def forecaster_config(name: str) -> dict[str, Any]:
    from chaosbench import forecasters

    try:
        return forecasters.load_config(str(name))
    except ValueError as error:
        raise BadInput(str(error)) from None


def protocol_config(name: str) -> dict[str, Any]:
    from chaosbench.suggest import suggest
    from chaosbench.protocol import Protocol

    folder = data_dir("conf") / "protocol"
    valid = sorted(p.stem for p in folder.glob("*.yaml"))
    if name not in valid:
        raise BadInput(suggest(str(name), valid, "protocol"))
    cfg = OmegaConf.to_container(OmegaConf.load(folder / f"{name}.yaml"), resolve=True)
    Protocol.from_config(cfg)
    return cfg


def system_names(spec: Any) -> list[str]:
    from chaosbench.catalogue import systems
    from chaosbench.suggest import suggest

    from chaosbench.reproduce import halves, published_systems, subset

    valid = systems()
    half, half_rest = halves()
    groups = {"all": valid, "published": published_systems(), "subset": subset(), "half": half,
              "half_rest": half_rest}
    names = groups.get(spec) or [s.strip() for s in str(spec).split(",") if s.strip()]
    for name in names:
        if name not in valid:
            raise BadInput(suggest(name, valid, "system"))
    if not names:
        raise BadInput("no systems given; systems=Lorenz,Rossler, all, published, subset, half "
                       "or half_rest")
    return names


def _tune_one(args: tuple) -> Any:
    from chaosbench.tuning import tune_system

    forecaster, config, protocol, system, kwargs = args
    t0 = time.perf_counter()
    result = tune_system(forecaster, config, protocol, system, **kwargs)
    return result, time.perf_counter() - t0


def main(argv: list[str]) -> int:
    from chaosbench import metrics
    from chaosbench.suggest import suggest
    from chaosbench.tuning import _grid, open_storage, search_space, tuned_path, write_tuned

    try:
        cfg = settings(argv, "tune")
        config = forecaster_config(cfg["forecaster"])
        protocol = protocol_config(cfg["protocol"])
        names = system_names(cfg["systems"])
        space = search_space(cfg["forecaster"], config, cfg["space"])
        if not space:
            raise BadInput(f"{cfg['forecaster']} has no search space; give one, e.g. "
                           f"space.<hyperparameter>=[v1,v2]")
        if cfg["metric"] not in metrics.names():
            raise BadInput(suggest(str(cfg["metric"]), metrics.names(), "metric"))
        if cfg["sampler"] not in ("grid", "tpe"):
            raise BadInput(f"unknown sampler {cfg['sampler']!r}; valid: grid, tpe")
        if cfg["sampler"] == "grid":
            _grid(space)
        elif not cfg["n_trials"] or int(cfg["n_trials"]) < 1:
            raise BadInput("sampler=tpe needs n_trials >= 1")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    kwargs = {"space": space, "sampler": cfg["sampler"], "n_trials": cfg["n_trials"],
              "seed": int(cfg["seed"]), "metric": cfg["metric"], "storage": cfg["storage"],
              "heartbeat_s": int(cfg["heartbeat_s"])}
    open_storage(cfg["storage"], int(cfg["heartbeat_s"]))  # the schema, before workers share it
    path = tuned_path(cfg["forecaster"], cfg["protocol"], cfg["out"])
    tasks = [(cfg["forecaster"], config, protocol, name, kwargs) for name in names]
    jobs = max(1, int(cfg["jobs"]))
    if jobs > 1:
        from joblib import Parallel, delayed

        outcomes = Parallel(n_jobs=jobs, return_as="generator")(
            delayed(_tune_one)(task) for task in tasks)
    else:
        outcomes = map(_tune_one, tasks)
    t0 = time.perf_counter()
    for result, seconds in outcomes:
        write_tuned(path, forecaster=cfg["forecaster"], protocol=cfg["protocol"],
                    results=[result], space=space, sampler=cfg["sampler"],
                    n_trials=cfg["n_trials"], seed=int(cfg["seed"]), metric=cfg["metric"],
                    storage=cfg["storage"])
        values = " ".join(f"{k}={v}" for k, v in result.params.items())
        print(f"{result.system}: {values} {cfg['metric']}={result.value:.4g} "
              f"({result.n_complete} trials, {seconds:.1f} s)", flush=True)
    print(f"wrote {path} ({len(names)} systems, {time.perf_counter() - t0:.0f} s)")
    return 0
