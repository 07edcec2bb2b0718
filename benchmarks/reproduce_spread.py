"""How much a paper row's median sMAPE moves with the model's own random initialisation alone:
the published data (the benchmark's seed-0 split), the published tuned values, several torch
seeds per system, side by side with the published median.

    python benchmarks/reproduce_spread.py --row paper/blockrnn [--systems subset]
        [--model-seeds 0,1,2] [--jobs 2]

The paper ran each deep model once per system, so its row medians carry this spread too; a gap
between our median and the published one is only evidence of a difference in the model when it
is large against the spread printed here. Prints each seed's row median over the systems, the
median over systems of the per-system median over seeds with a bootstrap 95% interval over
systems, and where the published median falls.
"""

from __future__ import annotations

from chaosbench.threads import limit_env

limit_env(1)  # one thread per process before torch loads: the jobs share the cores

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from _stats import bootstrap_median  # noqa: E402  (benchmarks/, beside this script)


def one(split, system: str, config: dict, model_seed: int) -> dict:
    """sMAPE on ``system``'s benchmark ``split`` of ``config`` with torch seed ``model_seed``."""
    import chaosbench.metrics
    from chaosbench.forecasters import build
    from chaosbench.guard import check_forecast

    t0 = time.perf_counter()
    try:
        model = build(config, seed=model_seed).fit(split.train, split.dt)
        verdict = check_forecast(model.predict(len(split.test)), split.test.shape, split.train)
        smape = (chaosbench.metrics.compute(split.test, verdict.forecast, y_train=split.train,
                                            dt=split.dt, include=["smape"])["smape"]
                 if verdict.forecast is not None else np.nan)
        status = verdict.status
    except Exception as error:  # reported in the table, the run goes on
        smape, status = np.nan, f"failed: {type(error).__name__}"
    return {"system": system, "model_seed": model_seed, "smape": float(smape), "status": status,
            "seconds": time.perf_counter() - t0}


def main() -> None:
    import pandas as pd
    from joblib import Parallel, delayed

    from chaosbench import published
    from chaosbench.commands.tune import forecaster_config, protocol_config, system_names
    from chaosbench.datacache import split_for
    from chaosbench.protocol import Protocol
    from chaosbench.reproduce import published_model
    from chaosbench.tuning import tuned_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--row", required=True, help="a paper profile, e.g. paper/blockrnn")
    parser.add_argument("--systems", default="subset", help="subset, published or A,B,...")
    parser.add_argument("--model-seeds", default="0,1,2")
    parser.add_argument("--tuned", default="published", choices=["published", "tuned", "none"])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    seeds = [int(s) for s in args.model_seeds.split(",")]
    names = system_names(args.systems)
    base = forecaster_config(args.row)
    configs = {n: tuned_config(args.row, "gilpin2023", n, base, source=args.tuned)[0]
               for n in names}
    protocol = Protocol.from_config(protocol_config("gilpin2023"))
    t0 = time.perf_counter()
    splits = {n: split_for(n, protocol, 0, None) for n in names}  # one per system, all seeds
    records = Parallel(n_jobs=args.jobs)(delayed(one)(splits[n], n, configs[n], s)
                                         for n in names for s in seeds)
    wall = time.perf_counter() - t0
    frame = pd.DataFrame(records)
    pub = published.results("gilpin2023", "smape")
    pub = pub[pub["model"] == published_model(args.row)].set_index("system")["value"]
    wide = frame.pivot(index="system", columns="model_seed", values="smape")
    wide["median"] = wide[seeds].median(axis=1)
    wide["published"] = pub.reindex(wide.index)

    print(f"{args.row} on {len(names)} systems, model seeds {seeds}, the benchmark's data "
          f"(seed 0), tuned={args.tuned}; {wall:.0f} s wall, {args.jobs} jobs\n")
    print("| system | " + " | ".join(f"seed {s}" for s in seeds) + " | median | published |")
    print("|---|" + "---|" * (len(seeds) + 2))
    for system, r in wide.iterrows():
        print(f"| {system} | " + " | ".join(f"{r[s]:.1f}" for s in seeds)
              + f" | {r['median']:.1f} | {r['published']:.1f} |")
    per_seed = [float(np.nanmedian(wide[s])) for s in seeds]
    low, high = bootstrap_median(wide["median"].dropna().to_numpy())
    pub_median = float(np.nanmedian(wide["published"]))
    print(f"\nrow median per seed: {', '.join(f'{m:.1f}' for m in per_seed)} "
          f"(range {min(per_seed):.1f}-{max(per_seed):.1f})")
    print(f"median over systems of the per-system median: {np.nanmedian(wide['median']):.1f}, "
          f"bootstrap 95% interval over systems {low:.1f}-{high:.1f}")
    print(f"published median on these systems: {pub_median:.1f} "
          f"({'inside' if low <= pub_median <= high else 'outside'} that interval; "
          f"{'inside' if min(per_seed) <= pub_median <= max(per_seed) else 'outside'} "
          "the per-seed range)")
    if (frame["status"] != "ok").any():
        print("not ok:", frame.loc[frame["status"] != "ok", ["system", "model_seed", "status"]]
              .to_dict("records"))


if __name__ == "__main__":
    main()
