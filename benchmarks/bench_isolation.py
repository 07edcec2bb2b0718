"""What job isolation costs: the same jobs run in-process and isolated, side by side.

    .venv/bin/python benchmarks/bench_isolation.py [--jobs 40]

Each job is naive on Lorenz (the cheapest model, so the harness dominates). "in-process" is the
whole job without the fork: data from the cache, fit and predict in this process, guard,
scoring and writing the rows (what the runner did before isolation). "isolated" is
:func:`chaosbench.runner.run_job`: the same, with fit and predict in a forked child under a hard
timeout. The difference per job is the isolation overhead (target: under 0.2 s).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from chaosbench import metrics  # noqa: E402
from chaosbench.datacache import split_for  # noqa: E402
from chaosbench.guard import check_forecast  # noqa: E402
from chaosbench.protocol import Protocol  # noqa: E402
from chaosbench.runner import Job, _fit_predict, _write, run_job  # noqa: E402

NAIVE = {"_target_": "chaosbench.forecasters.baselines.Naive"}


def in_process(job: Job) -> None:
    protocol = Protocol.from_config(job.protocol)
    split = split_for(job.system, protocol, job.seed, job.folder.parent / ".data")
    out = _fit_predict(job, np.array(split.train), split.dt, len(split.test))
    verdict = check_forecast(out["forecast"], split.test.shape, split.train)
    scores = metrics.compute(split.test, verdict.forecast, y_train=split.train, dt=split.dt,
                             max_lyapunov=split.max_lyapunov)
    _write(job, protocol, split, verdict.status, verdict.reason, scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=40)
    args = parser.parse_args()
    protocol = {"name": "standard", "pts_per_period": 100, "n_train": 1000, "n_test": 1000,
                "univariate": False, "noise": 0.0}
    with tempfile.TemporaryDirectory() as root:
        jobs = [Job("Lorenz", "naive", NAIVE, protocol, seed=s, results_dir=root, force=True)
                for s in range(args.jobs)]
        for job in jobs[:2]:  # warm: imports, kernels, the data cache
            in_process(job)
            run_job(job)
        for job in jobs:
            split_for(job.system, Protocol.from_config(protocol), job.seed,
                      job.folder.parent / ".data")
        times = {}
        for name, run in (("in-process", in_process), ("isolated", run_job),
                          ("in-process (again)", in_process)):
            start = time.perf_counter()
            for job in jobs:
                run(job)
            times[name] = (time.perf_counter() - start) / len(jobs)
    base = (times["in-process"] + times["in-process (again)"]) / 2
    load = os.getloadavg()[0]
    print(f"{args.jobs} naive jobs on Lorenz (1,000 + 1,000 points), load average {load:.1f}")
    for name, per_job in times.items():
        print(f"  {name:<20} {per_job * 1e3:8.1f} ms per job")
    print(f"  isolation overhead   {(times['isolated'] - base) * 1e3:8.1f} ms per job "
          f"(target < 200 ms); ratio isolated / in-process {times['isolated'] / base:.2f}")


if __name__ == "__main__":
    main()
