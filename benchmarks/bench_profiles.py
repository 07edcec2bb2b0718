"""What each paper profile costs at its published budget, and which ones need a cluster.

    .venv/bin/python benchmarks/bench_profiles.py [--system Lorenz] [--profiles paper/nbeats,...]
    .venv/bin/python benchmarks/bench_profiles.py --defaults [--protocol standard] [--seeds 1]

``--defaults`` times the default configurations instead (``conf/forecaster/*.yaml``, the
pretrained ones excluded: they need weights), each fitted once under ``--protocol``, and adds
up the estimated wall time of the full sweep (every default x every chaotic system x 1 seed on 2
workers, with the harness overhead per job that ``bench_sweep.py`` measured for the parallel
launcher).

Every ``paper/<name>`` profile (``conf/forecaster/paper/``) is fitted on one system's
``gilpin2023`` split (1,000 training points at 100 per period, a 200-point forecast), single
threaded, as one job of a sweep runs. A profile with a training budget (``n_epochs`` or
``iterations``) is fitted twice on a reduced budget, ``u`` and ``2u``, and its fit time at the
published budget ``B`` is extrapolated linearly: ``t(u) + (t(2u) - t(u)) / u * (B - u)``. The
others are fitted once, as published. CPU seconds (``time.process_time``), so a shared machine
changes them little; the load average is printed.

Printed per profile: the budget, the fit and predict seconds of one job at the published budget,
the CPU hours of the whole published catalogue (133 systems, 1 seed), the wall hours on this
machine's 2 workers, and the verdict: ``here`` when one seed over the catalogue fits a night
(8 h on 2 workers), else ``cluster``. Fit time depends little on the system at a fixed length
(the same number of training windows), so one system stands for all.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

SYSTEMS_PUBLISHED = 133
SYSTEMS_CHAOTIC = 119       # system=all: the catalogue less its 16 non-chaotic systems
HARNESS_S_PER_JOB = 0.28    # bench_sweep.py --sweep fast, parallel launcher, idle machine
WORKERS = 2
NIGHT_HOURS = 8.0
BUDGET_KEYS = ("n_epochs", "iterations")


def _split(system: str, protocol: str = "gilpin2023"):
    from chaosbench.commands.tune import protocol_config
    from chaosbench.tuning import tuning_split

    return tuning_split(system, protocol_config(protocol), 0)


def _fit_predict(name: str, split, **overrides) -> tuple[float, float]:
    from chaosbench import forecasters

    model = forecasters.make(name, seed=0, **overrides)
    t0 = time.process_time()
    model.fit(np.array(split.train), split.dt)
    t1 = time.process_time()
    model.predict(len(split.test))
    return t1 - t0, time.process_time() - t1


def measure(name: str, split) -> dict:
    from chaosbench import forecasters

    config = forecasters.load_config(name)
    key = next((k for k in BUDGET_KEYS if k in config), None)
    if key is None:
        fit, predict = _fit_predict(name, split)
        return {"budget": "-", "fit": fit, "predict": predict}
    budget = int(config[key])
    unit = max(1, budget // 1000) if key == "iterations" else 1
    _fit_predict(name, split, **{key: unit})  # warm: imports and first-call costs stay out
    small, _ = _fit_predict(name, split, **{key: unit})
    double, predict = _fit_predict(name, split, **{key: 2 * unit})
    per_unit = max(double - small, 0.0) / unit
    return {"budget": f"{key}={budget}", "fit": small + per_unit * (budget - unit),
            "predict": predict}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", default="Lorenz")
    parser.add_argument("--profiles", default=None, help="comma-separated; default: every one")
    parser.add_argument("--defaults", action="store_true", help="the default configurations "
                        "(--profiles then names some of them)")
    parser.add_argument("--seeds", type=int, default=1, help="seeds of the sweep estimate")
    parser.add_argument("--protocol", default=None, help="default: gilpin2023 (standard with "
                        "--defaults)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    from chaosbench import forecasters

    if args.defaults:
        return defaults(args.system, args.protocol or "standard",
                        args.profiles.split(",") if args.profiles else None, args.seeds)
    names = args.profiles.split(",") if args.profiles else forecasters.paper_names()
    split = _split(args.system, args.protocol or "gilpin2023")
    print(f"paper profiles on {args.system} (gilpin2023 split), one thread; load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"| profile | budget | fit s / job | predict s / job | catalogue CPU h "
          f"({SYSTEMS_PUBLISHED} systems) | wall h on {WORKERS} workers | where |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        try:
            m = measure(name, split)
        except Exception as error:  # noqa: BLE001 - report and go on to the next profile
            print(f"| `{name}` | failed: {type(error).__name__}: {error} | | | | | |")
            continue
        job = m["fit"] + m["predict"]
        cpu_h = job * SYSTEMS_PUBLISHED / 3600
        wall_h = cpu_h / WORKERS
        where = "here" if wall_h <= NIGHT_HOURS else "cluster"
        print(f"| `{name}` | {m['budget']} | {m['fit']:.1f} | {m['predict']:.2f} | {cpu_h:.2f} | "
              f"{wall_h:.2f} | {where} |", flush=True)


def defaults(system: str, protocol: str, chosen: list[str] | None, seeds: int) -> None:
    from chaosbench import forecasters

    names = chosen or forecasters.shipped_names(include_pretrained=False)
    split = _split(system, protocol)
    print(f"default configurations on {system} ({protocol} split), one thread; load average "
          f"{os.getloadavg()[0]:.1f}")
    print("| forecaster | fit s | predict s |")
    print("|---|---|---|")
    total = 0.0
    for name in names:
        try:
            _fit_predict(name, split)  # warm: imports and first-call costs stay out
            fit, predict = _fit_predict(name, split)
        except Exception as error:  # noqa: BLE001 - report and go on
            print(f"| `{name}` | failed: {type(error).__name__}: {error} | |")
            continue
        total += fit + predict
        print(f"| `{name}` | {fit:.2f} | {predict:.2f} |", flush=True)
    jobs = len(names) * SYSTEMS_CHAOTIC * seeds
    wall = (total * SYSTEMS_CHAOTIC * seeds + jobs * HARNESS_S_PER_JOB) / 2
    print(f"sweep estimate: {len(names)} forecasters x {SYSTEMS_CHAOTIC} systems x {seeds} "
          f"seed(s) = {jobs} jobs; {total:.1f} s of fit + predict per system and seed; "
          f"{wall / 60:.0f} min wall on 2 workers")


if __name__ == "__main__":
    main()
