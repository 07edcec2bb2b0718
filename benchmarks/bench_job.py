"""One warm job end to end, beside the interpreter's own start: what a `chaosbench bench` job costs.

    .venv/bin/python benchmarks/bench_job.py [--runs 3] [--compare OTHER/bin/python]

Times, in one run and interleaved (one of each per round, so the machine's load falls on all
alike), the median of ``--runs`` fresh processes of:

* ``python -c pass`` and ``python -c "import numpy"``: the floor any job pays;
* ``chaosbench bench system=Lorenz forecaster=naive results_dir=<tmp> force=true``: a warm job
  (Numba cache and data cache filled by one untimed run first; ``force=true`` reruns it instead
  of skipping it), against the target of 1.5 s;
* the same job in a new results folder each time: its data are integrated (the Numba cache stays
  warm), as for the first job on a system's data in a sweep.

``--compare`` times the same job with another installation's interpreter beside it (e.g. the
main branch's venv: before and after a change, under the same load). Wall time and CPU time
(user + system of the process and its forked job child) are both printed: on a shared machine
the CPU time is the steadier figure.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

TARGET_S = 1.5
JOB = ["bench", "system=Lorenz", "forecaster=naive"]


def chaosbench_command(python: str) -> list[str]:
    """The console script beside ``python``, else ``python -m chaosbench``."""
    script = Path(python).parent / "chaosbench"
    return [str(script)] if script.exists() else [python, "-m", "chaosbench"]


def timed(command: list[str] | Callable[[], list[str]]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children) of one run."""
    command = command() if callable(command) else command
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", metavar="PYTHON",
                        help="another installation's interpreter to time the same job with")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
            "warm naive job": [*chaosbench_command(sys.executable), *JOB,
                               f"results_dir={root}/this", "force=true"],
        }
        fresh = itertools.count()
        commands["naive job, data integrated"] = lambda: [
            *chaosbench_command(sys.executable), *JOB, f"results_dir={root}/new{next(fresh)}"]
        if args.compare:
            commands["warm naive job (--compare)"] = [
                *chaosbench_command(args.compare), *JOB, f"results_dir={root}/other", "force=true"]
        for name, command in commands.items():  # warm: kernels, data cache, page cache
            if name != "python -c pass" and "numpy" not in name:
                timed(command)
        load_start = os.getloadavg()[0]
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                runs[name].append(timed(command))
        load_end = os.getloadavg()[0]
    print(f"median of {args.runs} fresh processes each, interleaved; load average "
          f"{load_start:.1f} at the start, {load_end:.1f} at the end")
    print(f"  {'':<28} {'wall s':>7} {'CPU s':>7}  runs (wall)")
    for name, values in runs.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        each = ", ".join(f"{v[0]:.2f}" for v in values)
        ratio = f"  {wall / TARGET_S:.2f}x the {TARGET_S} s target" if "warm" in name else ""
        print(f"  {name:<28} {wall:7.2f} {cpu:7.2f}  ({each}){ratio}")
    print(f"  job: chaosbench {' '.join(JOB)} results_dir=<tmp> force=true (data integrated: a "
          f"new results_dir each run)")


if __name__ == "__main__":
    main()
