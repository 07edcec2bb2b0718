"""Per-system hyperparameter tuning, and the tuned values as data.

The published protocol (Gilpin 2023, Phys. Rev. Research 5, 043252) tuned every model per system
by grid search on a *second* initial condition: fit on its first ``n_train`` points, score the
forecast of the next ``n_test`` points, keep the best values, and only then run the test
trajectory. :func:`tuning_split` draws that data (an initial condition from its own seed stream,
so a study never sees a benchmark job's trajectory); :func:`tune_system` runs one Optuna study per
(protocol, forecaster, system):

    for each trial:  params ~ sampler(space)                (grid or TPE)
                     model  = forecaster(base_config | params).fit(tune.train, dt)
                     score  = metric(tune.test, model.predict(len(tune.test)))   (inf if it fails)
    chosen = argmin score

Studies live in an Optuna RDB storage (a SQLite file by default). A trial is committed when it
finishes, so a study killed mid-way keeps every finished trial; the trial that was running is
detected by its stopped heartbeat, marked failed and re-queued with the same parameters
(``RetryFailedTrialCallback``), and :func:`tune_system` runs until the grid is covered (or
``n_trials`` trials are complete). Several processes can share one study: each takes the next
grid point that nobody has started.

The chosen values are written as data, ``conf/tuned_values/<protocol>/<forecaster>.yaml`` (see
:func:`write_tuned`): system -> values, with the search space, sampler, budget, objective, seed,
the catalogue version and each system's data hash. :func:`tuned_config` is the one lookup a
benchmark job needs.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import itertools
import json
import math
import time
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np
import yaml

from chaosbench.systemfile import write_text

__all__ = ["SEARCH_SPACES", "search_space", "open_storage", "score", "consistent", "tuning_seed", "tuning_split", "tune_system",
           "TuneResult", "tuned_path", "read_tuned", "write_tuned", "tuned_config",
           "system_data_hash", "catalogue_version", "TunedValuesError"]

_NETWORK_INPUTS = [5, 10, 25, 50, 100]  # published grid at 100 points per period
_LAGS = [3, 5, 10, 25]
_DELAYS = [2, 5, 15, 30, 60, 120]

#: The published grids (dysts benchmarks/find_hyperparameters_multivariate.py, esn_benchmarks.py,
#: nvar_benchmarks.py, node_benchmarks.py at commit cc777ed), keyed by base forecaster name.
SEARCH_SPACES: dict[str, dict[str, list]] = {
    "esn": {"leak_rate": [round(0.1 * k, 1) for k in range(1, 12)]},
    # chaosbench's own nvar has quadratic features: delay k gives 3k(3k + 1) / 2 of them on a
    # 3-D system, so the published linear-NVAR delays (up to 120: 65,000 features on 1,000
    # points) do not apply; its grid is short delays and the ridge.
    "nvar": {"delay": [1, 2, 3, 4], "ridge": [1e-6, 1e-4, 1e-3, 1e-2]},
    "nvar1": {"delay": _DELAYS},
    "node": {"window": _DELAYS},
    "linear_regression": {"lags": _LAGS},
    "random_forest": {"lags": _LAGS},
    "xgboost": {"lags": _LAGS},
    "lightgbm": {"lags": _LAGS},
    "linear": {"lags": _LAGS},
    **{name: {"input_chunk_length": _NETWORK_INPUTS}
       for name in ("nbeats", "nhits", "transformer", "tcn", "lstm", "gru", "blockrnn",
                    "nlinear", "dlinear", "tide", "tsmixer")},
}

#: Seed-stream tag of tuning initial conditions (``tuning_seed``).
_TUNING_STREAM = 0x74756E65  # "tune"


class TunedValuesError(ValueError):
    """A tuned-values file that cannot be used (missing, malformed, another catalogue)."""


def _base_name(forecaster: str) -> str:
    return forecaster.split("/", 1)[-1]


def search_space(forecaster: str, config: Mapping[str, Any],
                 overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The search space of ``forecaster``: the published grid, replaced key by key by
    ``overrides``. A value is a list (categorical; grid sampler) or a mapping ``{low, high[, log,
    step]}`` (a range; TPE only). Raises ValueError for a key the forecaster does not have."""
    space = dict(SEARCH_SPACES.get(_base_name(forecaster), {}))
    space.update(dict(overrides or {}))
    valid = sorted(k for k in config if k != "_target_")
    from chaosbench.suggest import suggest

    for key, values in space.items():
        if key not in valid:
            raise ValueError(f"search space of {forecaster}: "
                             + suggest(str(key), valid, "hyperparameter"))
        if isinstance(values, Mapping):
            if not {"low", "high"} <= set(values) or set(values) - {"low", "high", "log", "step"}:
                raise ValueError(f"search space {key}: a range is {{low, high[, log, step]}}, "
                                 f"got {dict(values)}")
        elif not isinstance(values, (list, tuple)) or not values:
            raise ValueError(f"search space {key}: expected a non-empty list or a range, "
                             f"got {values!r}")
    return {k: (list(v) if not isinstance(v, Mapping) else dict(v)) for k, v in space.items()}


def _grid(space: Mapping[str, Any]) -> list[dict[str, Any]]:
    if any(isinstance(v, Mapping) for v in space.values()):
        raise ValueError("the grid sampler needs a list of values for every key (ranges: tpe)")
    keys = sorted(space)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(space[k] for k in keys))]


def tuning_seed(seed: int) -> int:
    """The initial-condition seed of tuning data for benchmark seed ``seed``: its own stream
    (SeedSequence of ``[seed, "tune"]``), so it never coincides with a benchmark job's."""
    return int(np.random.SeedSequence([int(seed), _TUNING_STREAM]).generate_state(1)[0])


def tuning_split(system: str, protocol: Mapping[str, Any], seed: int = 0):
    """Tuning data: ``protocol``'s split drawn from a second initial condition
    (:func:`tuning_seed`). ``train`` is fitted, ``test`` (the next ``n_test`` points of the same
    trajectory) is the held-out validation part; no benchmark test data is involved."""
    from chaosbench.catalogue import system as load_system
    from chaosbench.protocol import Protocol, make_split

    return make_split(load_system(system), Protocol.from_config(dict(protocol)),
                      tuning_seed(seed))


def consistent(config: dict[str, Any]) -> dict[str, Any]:
    """Couplings a sampled value implies: a recurrent model's ``training_length`` is raised to
    its ``input_chunk_length`` (darts requires it), unless the model lowers the chunk instead
    (``cap_input_chunk``, the published RNNModel's training windows)."""
    if ("training_length" in config and "input_chunk_length" in config
            and not config.get("cap_input_chunk")):
        config["training_length"] = max(config["training_length"], config["input_chunk_length"])
    return config


def score(config: Mapping[str, Any], split, metric: str = "smape", seed: int = 0) -> float:
    """``metric`` of the forecast of ``split.test`` by ``config`` fitted on ``split.train``;
    +inf when the model fails or diverges (a failed setting must never be chosen)."""
    from chaosbench import metrics
    from chaosbench.forecasters import build

    try:
        model = build(config, seed=seed).fit(split.train, split.dt)
        pred = model.predict(len(split.test))
    except Exception:  # noqa: BLE001 - any failure of the model makes this setting the worst
        return math.inf
    if not np.all(np.isfinite(pred)):
        return math.inf
    value = metrics.compute(split.test, pred, y_train=split.train, dt=split.dt,
                            max_lyapunov=split.max_lyapunov, include=[metric])[metric]
    return float(value) if np.isfinite(value) else math.inf


@dataclass
class TuneResult:
    system: str
    params: dict[str, Any]
    value: float
    n_complete: int
    study_name: str


def open_storage(url: str, heartbeat_s: int = 30):
    """An Optuna RDB storage at ``url`` (its folder created for SQLite) whose trials send a
    heartbeat every ``heartbeat_s`` seconds; a trial silent for twice that is failed and
    re-queued with the same parameters."""
    import optuna
    from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    from sqlalchemy.exc import SQLAlchemyError

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for attempt in range(5):
        try:
            with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna 5
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return RDBStorage(url, heartbeat_interval=heartbeat_s,
                                  grace_period=2 * heartbeat_s,
                                  heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(
                                      max_retry=3),
                                  engine_kwargs={"connect_args": {"timeout": 120}}
                                  if url.startswith("sqlite") else {})
        except SQLAlchemyError:  # workers starting together race to create the schema
            if attempt == 4:
                raise
            time.sleep(0.5 * (attempt + 1))


def _distribution(trial, key: str, values: Any):
    if isinstance(values, Mapping):
        low, high = values["low"], values["high"]
        if isinstance(low, int) and isinstance(high, int) and not values.get("log"):
            return trial.suggest_int(key, low, high, step=values.get("step", 1))
        return trial.suggest_float(key, float(low), float(high), log=bool(values.get("log")),
                                   step=values.get("step"))
    return trial.suggest_categorical(key, list(values))


def tune_system(forecaster: str, config: Mapping[str, Any], protocol: Mapping[str, Any],
                system: str, *, space: Mapping[str, Any], sampler: str = "grid",
                n_trials: int | None = None, seed: int = 0, metric: str = "smape",
                storage: str = "sqlite:///results/tuning/optuna.db",
                heartbeat_s: int = 30) -> TuneResult:
    """Tune ``forecaster`` (base ``config``) on ``system`` under ``protocol``; resumable.

    ``sampler``: ``grid`` (every combination of the lists; ``n_trials`` defaults to the grid's
    size) or ``tpe`` (seeded; ``n_trials`` required). Returns the best parameters.
    """
    import optuna

    if sampler == "grid":
        grid = _grid(space)
        budget = len(grid)
        chosen_sampler = optuna.samplers.GridSampler(
            {k: list(v) for k, v in space.items()}, seed=seed)
    elif sampler == "tpe":
        if not n_trials:
            raise ValueError("the tpe sampler needs n_trials >= 1")
        grid, budget = None, int(n_trials)
        chosen_sampler = optuna.samplers.TPESampler(seed=seed)
    else:
        raise ValueError(f"unknown sampler {sampler!r}; valid: grid, tpe")
    name = f"{protocol.get('name', 'custom')}/{forecaster}/{system}"
    study = optuna.create_study(study_name=name, storage=open_storage(storage, heartbeat_s),
                                sampler=chosen_sampler, direction="minimize",
                                load_if_exists=True)
    study.set_user_attr("space", json.dumps(space, sort_keys=True))
    split = tuning_split(system, protocol, seed)

    def objective(trial) -> float:
        params = {k: _distribution(trial, k, v) for k, v in sorted(space.items())}
        return score(consistent({**config, **params}), split, metric, seed)

    def finished() -> bool:
        done = [t.params for t in study.get_trials(deepcopy=False,
                                                   states=(optuna.trial.TrialState.COMPLETE,))]
        if grid is None:
            return len(done) >= budget
        return all(point in done for point in grid)

    attempts = 0
    while not finished() and attempts < 3 * budget + 3:
        study.optimize(objective, n_trials=1)
        attempts += 1
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    best = min(complete, key=lambda t: (t.value, t.number))
    return TuneResult(system=system, params=dict(best.params), value=float(best.value),
                      n_complete=len(complete), study_name=name)


# ------------------------------------------------------------------------------------------------
# Tuned values as data
# ------------------------------------------------------------------------------------------------
#: Spec fields that do not change a system's data (descriptions and estimated invariants).
_NON_DATA = ("name", "description", "citation", "invariants")


def system_data_hash(name: str) -> str:
    """A hash of what determines ``name``'s trajectories (equations, parameters, initial
    conditions, time base, statistics): a tuned value is only valid for the same data."""
    from chaosbench.catalogue import load_spec

    spec = {k: v for k, v in load_spec(name).items() if k not in _NON_DATA}
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:12]


def catalogue_version() -> str:
    """The package version and a hash of every system's data hash."""
    from importlib.metadata import PackageNotFoundError, version

    from chaosbench.catalogue import systems

    try:
        pkg = version("chaosbench")
    except PackageNotFoundError:
        pkg = "0+unknown"
    digest = hashlib.sha256("".join(system_data_hash(s) for s in systems()).encode())
    return f"{pkg}+{digest.hexdigest()[:12]}"


def tuned_path(forecaster: str, protocol: str, root: str | Path | None = None) -> Path:
    """``<root>/<protocol>/<forecaster>.yaml``; ``root`` defaults to ``conf/tuned_values``."""
    if root is None:
        from chaosbench.paths import data_dir

        root = data_dir("conf") / "tuned_values"
    return Path(root) / protocol / f"{forecaster}.yaml"


def read_tuned(path: Path) -> dict[str, Any]:
    """A tuned-values file as a dict (``TunedValuesError`` if missing or malformed)."""
    if not path.exists():
        raise TunedValuesError(f"no tuned values at {path}; make them with chaosbench tune")
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("systems"), dict):
        raise TunedValuesError(f"{path}: not a tuned-values file (no 'systems' mapping)")
    return data


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def write_tuned(path: Path, *, forecaster: str, protocol: str, results: list[TuneResult],
                space: Mapping[str, Any], sampler: str, n_trials: int | None, seed: int,
                metric: str, storage: str) -> Path:
    """Merge ``results`` into the tuned-values file at ``path`` (atomic, under a lock, so
    workers tuning different systems can share it). Other systems' entries are kept."""
    with _locked(path):
        data = read_tuned(path) if path.exists() else {}
        header = {
            "forecaster": forecaster, "protocol": protocol,
            "objective": f"{metric} of the forecast of the next n_test points of a second "
                         f"initial condition's trajectory after fitting on its first n_train "
                         f"(chaosbench.tuning.tuning_split; lower is better)",
            "search_space": {k: v for k, v in space.items()}, "sampler": sampler,
            "budget": n_trials if sampler != "grid" else len(_grid(space)), "seed": seed,
            "storage": storage, "catalogue_version": catalogue_version(),
            "updated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        systems = dict(data.get("systems", {}))
        for r in results:
            systems[r.system] = {"values": r.params, "score": round(r.value, 6),
                                 "trials": r.n_complete, "data_hash": system_data_hash(r.system)}
        data = {**data, **header, "systems": dict(sorted(systems.items()))}
        write_text(path, f"# Tuned values of {forecaster} under protocol {protocol}, written by "
                         f"chaosbench tune (chaosbench.tuning).\n"
                         + yaml.safe_dump(data, sort_keys=False, default_flow_style=None,
                                          width=100))
    return path


def _published_values(forecaster: str, protocol: str, system: str) -> dict[str, Any] | None:
    from chaosbench import published

    models = [m for m, profile in published.PROFILES.items() if profile == forecaster]
    if not models or protocol != "gilpin2023":
        raise TunedValuesError(f"no published tuned values for {forecaster} under {protocol}; "
                               f"published rows: {', '.join(sorted(published.PROFILES.values()))}")
    return published.tuned_values(models[0], protocol).get(system)


def tuned_config(forecaster: str, protocol: str, system: str, base_config: Mapping[str, Any],
                 *, source: str = "tuned", root: str | Path | None = None
                 ) -> tuple[dict[str, Any], str]:
    """``base_config`` with ``system``'s tuned values, and where they came from.

    ``source``: ``tuned`` or True (our values, :func:`tuned_path`), ``published`` (the paper's,
    for the profiles in :data:`chaosbench.published.PROFILES` under ``gilpin2023``), ``none`` or
    False.
    Keys the forecaster does not have are dropped (the published files also list settings a
    profile fixes, e.g. ``n_epochs``). A forecaster with an empty search space comes back
    unchanged (``"untuned: empty search space"``); a system missing from the file raises
    :class:`TunedValuesError`, as does a file made for other data of this system.
    """
    config = dict(base_config)
    source = {True: "tuned", False: "none"}.get(source, source)  # bench.yaml's tuned: true/false
    if source == "none":
        return config, "none"
    if source == "published":
        values = _published_values(forecaster, protocol, system)
        if values is None:
            if not SEARCH_SPACES.get(_base_name(forecaster)):
                return config, "untuned: empty search space"
            raise TunedValuesError(f"no published tuned values of {forecaster} for {system}")
        where = "published:dysts@cc777ed"
    elif source == "tuned":
        path = tuned_path(forecaster, protocol, root)
        if not path.exists() and not SEARCH_SPACES.get(_base_name(forecaster)):
            return config, "untuned: empty search space"
        data = read_tuned(path)
        entry = data["systems"].get(system)
        if entry is None:
            raise TunedValuesError(f"{path} has no tuned values for {system}; tune it with "
                                   f"chaosbench tune forecaster={forecaster} protocol={protocol} "
                                   f"systems={system}")
        if entry.get("data_hash") != system_data_hash(system):
            raise TunedValuesError(
                f"{path} was tuned on other data of {system} (catalogue "
                f"{data.get('catalogue_version')}, data hash {entry.get('data_hash')}, now "
                f"{system_data_hash(system)}); retune with "
                f"chaosbench tune forecaster={forecaster} protocol={protocol} systems={system}")
        values = entry["values"]
        where = f"tuned:{protocol}/{forecaster}.yaml"
    else:
        raise ValueError(f"unknown tuned-values source {source!r}; valid: tuned, published, none")
    config.update({k: v for k, v in values.items() if k in config})
    return consistent(config), where
