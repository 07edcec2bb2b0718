"""The random forest's recursive forecast: scikit-learn's predict against the flat-tree one.

    .venv/bin/python benchmarks/bench_forest.py [--system Lorenz] [--repeats 3]

Fits the ``random_forest`` default (standard protocol: a 1,000-step forecast) and
``paper/random_forest`` (``gilpin2023``: 200 steps) once each, single threaded, then forecasts
with each predict path in turn, ``--repeats`` times interleaved. Prints the CPU seconds of each
forecast (median of the repeats), their ratio, and whether the two forecasts are the same floats
(they must be: ``chaosbench.forecasters.forest``).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", default="Lorenz")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from chaosbench import forecasters
    from chaosbench.commands.tune import protocol_config
    from chaosbench.tuning import tuning_split

    print(f"{args.system}, one thread; load average {os.getloadavg()[0]:.1f}")
    print("| forecaster | protocol | steps | sklearn s | flat s | ratio | same floats |")
    print("|---|---|---|---|---|---|---|")
    for name, protocol in (("random_forest", "standard"), ("paper/random_forest", "gilpin2023")):
        split = tuning_split(args.system, protocol_config(protocol), 0)
        model = forecasters.make(name, seed=0).fit(np.array(split.train), split.dt)
        fast = model._model.model
        plain = fast.as_sklearn()
        times: dict[str, list[float]] = {"sklearn": [], "flat": []}
        out = {}
        for _ in range(args.repeats):
            for label, estimator in (("sklearn", plain), ("flat", fast)):
                model._model.model = estimator
                t0 = time.process_time()
                out[label] = model.predict(len(split.test))
                times[label].append(time.process_time() - t0)
        slow_s, fast_s = (float(np.median(times[k])) for k in ("sklearn", "flat"))
        same = np.array_equal(out["sklearn"], out["flat"])
        print(f"| `{name}` | {protocol} | {len(split.test)} | {slow_s:.2f} | {fast_s:.3f} | "
              f"{slow_s / fast_s:.1f}x | {'yes' if same else 'NO'} |")


if __name__ == "__main__":
    main()
