"""The ``chaosbench`` command line: one module per command, each with ``main(argv) -> int``.

``chaosbench <command> [args...]`` imports ``chaosbench.commands.<module>`` and calls its
``main`` with the remaining arguments. A command returns (or exits with) 0 on success and 2 on
bad input, after printing one line that says what was wrong and what is valid.

To add a command, write its module here and add one entry to :data:`COMMANDS`.
"""

from __future__ import annotations

#: command name -> (module under chaosbench.commands, one-line summary)
COMMANDS: dict[str, tuple[str, str]] = {
    "bench": ("bench", "run benchmark jobs (a Hydra app: overrides, -m sweeps, launchers)"),
    "leaderboard": ("leaderboard", "aggregate a sweep into leaderboard CSVs and print it"),
    "catalogue": ("catalogue", "the system table, invariants recompute, adding a system"),
    "report": ("report", "a sweep's static HTML report and its figures (PNG, SVG)"),
    "warmup": ("warmup", "compile every numerical kernel into the cache (CHAOSBENCH_CACHE_DIR)"),
    "tune": ("tune", "tune hyperparameters per system (Optuna); writes conf/tuned_values/"),
    "reproduce": ("reproduce", "run the published protocol and compare with the published table"),
    "submit": ("submit", "submit a sweep's missing jobs to Slurm as one array and exit"),
    "status": ("status", "count a sweep's jobs: done, ok, failed, running, missing (files + squeue)"),
    "collect": ("collect", "compact a sweep's results into one Parquet file and its leaderboard"),
    "run-manifest": ("run_manifest", "run one entry of a submitted manifest (a Slurm array task)"),
}
