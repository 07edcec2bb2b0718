"""The harness from Python: benchmark models (yours included) in a few lines.

    import chaosbench
    rows = chaosbench.benchmark([MyModel, "naive", "nvar"], systems=["Lorenz", "Rossler"],
                                seeds=[0, 1, 2], results_dir="results", sweep="mine")
    board = chaosbench.leaderboard.leaderboard(rows)

Classes are registered under their ``name`` attribute (else the class name); strings name
configured or registered forecasters. Everything else is a ``chaosbench bench`` override, so the
jobs, their ids and their results are exactly those of the command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["benchmark"]


def benchmark(forecasters: Sequence[Any], *, systems: Iterable[str] = ("Lorenz",),
              seeds: Iterable[int] = (0,), protocol: str = "standard",
              results_dir: str = "results", sweep: str = "adhoc", n_jobs: int = 1,
              overrides: Iterable[str] = ()) -> "pd.DataFrame":
    """Run every (forecaster, system, seed) job and return the sweep's tidy rows."""
    from chaosbench.forecasters import register
    from chaosbench.pool import run_jobs
    from chaosbench.results import read_sweep
    from chaosbench.sweep import expand

    names = []
    for item in forecasters:
        if isinstance(item, str):
            names.append(item)
        else:
            name = str(getattr(item, "name", None) or item.__name__)
            register(name, item)
            names.append(name)
    args = [f"forecaster={','.join(names)}", f"system={','.join(systems)}",
            f"seed={','.join(str(int(s)) for s in seeds)}", f"protocol={protocol}",
            f"results_dir={results_dir}", f"sweep_name={sweep}", *overrides]
    jobs = expand(args)
    run_jobs(jobs, n_jobs=n_jobs)
    return read_sweep(results_dir, sweep)
