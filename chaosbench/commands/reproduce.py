"""``chaosbench reproduce``: the published protocol for chosen rows, beside the published table.

    chaosbench reproduce rows=cheap systems=Lorenz,Rossler tuned=published
    chaosbench reproduce rows=paper/esn,paper/nvar1 systems=published jobs=2

Settings and defaults: ``conf/reproduce.yaml``. Every job goes through
:func:`chaosbench.runner.run_job` (rows in ``<results_dir>/<sweep>/``; existing jobs are reused);
the comparison (:mod:`chaosbench.reproduce`) is printed and written to ``<out>/rows.csv``,
``<out>/systems.csv`` and ``<out>/summary.json``.
"""

from __future__ import annotations

# One thread per job before torch loads: parallel jobs must not fight over the cores.
from chaosbench.threads import limit_env

limit_env(1)

import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from chaosbench.commands.tune import (BadInput, forecaster_config, protocol_config,  # noqa: E402
                                      settings, system_names)


def row_names(spec: str) -> list[str]:
    from chaosbench import published
    from chaosbench.suggest import suggest
    from chaosbench.reproduce import CHEAP, DEEP

    groups = {"cheap": CHEAP, "deep": DEEP, "all": CHEAP + DEEP}
    rows: list[str] = []
    for item in (s.strip() for s in str(spec).split(",") if s.strip()):
        if item in groups:
            rows += groups[item]
        elif item in published.PROFILES.values():
            rows.append(item)
        elif item in published.PROFILES:
            rows.append(published.PROFILES[item])
        else:
            valid = sorted(published.PROFILES.values()) + sorted(published.PROFILES) + list(groups)
            raise BadInput(suggest(item, valid, "row"))
    if not rows:
        raise BadInput("no rows given; rows=cheap, rows=deep, rows=all or rows=paper/esn,...")
    return list(dict.fromkeys(rows))


def _run(job):
    import pandas as pd

    from chaosbench.runner import run_job

    t0 = time.perf_counter()
    result = run_job(job)
    frame = pd.read_parquet(result.path)
    smape = frame.loc[frame["metric"] == "smape", "value"]
    return {"row": job.forecaster, "system": job.system, "status": frame["status"].iloc[0],
            "smape": float(smape.iloc[0]) if len(smape) else math.nan,
            "seconds": time.perf_counter() - t0, "job_id": job.id}


def main(argv: list[str]) -> int:
    import pandas as pd

    from chaosbench import published
    from chaosbench.reproduce import compare, rank_correlation, row_table
    from chaosbench.runner import Job
    from chaosbench.tuning import tuned_config

    try:
        cfg = settings(argv, "reproduce")
        rows = row_names(cfg["rows"])
        protocol = protocol_config(cfg["protocol"])
        names = system_names(cfg["systems"])
        if cfg["tuned"] not in ("tuned", "published", "none"):
            raise BadInput(f"unknown tuned={cfg['tuned']!r}; valid: tuned, published, none")
        jobs, sources = [], {}
        for row in rows:
            base = forecaster_config(row)
            for name in names:
                config, sources[row, name] = tuned_config(row, cfg["protocol"], name, base,
                                                          source=cfg["tuned"],
                                                          root=cfg["tuned_dir"])
                jobs.append(Job(system=name, forecaster=row, forecaster_config=config,
                                protocol=protocol, seed=int(cfg["seed"]), sweep=cfg["sweep"],
                                results_dir=str(Path(cfg["results_dir"]).resolve()),
                                timeout_s=float(cfg["timeout_s"]), force=bool(cfg["force"])))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    if int(cfg["jobs"]) > 1:
        from joblib import Parallel, delayed

        records = Parallel(n_jobs=int(cfg["jobs"]))(delayed(_run)(job) for job in jobs)
    else:
        records = [_run(job) for job in jobs]
    wall = time.perf_counter() - t0
    ours = pd.DataFrame(records)
    ours["values"] = [sources[r.row, r.system] for r in ours.itertuples()]
    by_system = compare(ours, cfg["protocol"])
    table = row_table(by_system)
    rho = rank_correlation(table)
    out = Path(cfg["out"])
    out.mkdir(parents=True, exist_ok=True)
    by_system.to_csv(out / "systems.csv", index=False)
    table.to_csv(out / "rows.csv", index=False)
    summary = {"spearman": rho, "rows": rows, "systems": names, "tuned": cfg["tuned"],
               "protocol": cfg["protocol"], "seed": int(cfg["seed"]), "wall_seconds": wall,
               "job_seconds": float(ours["seconds"].sum()), "citation": published.CITATION,
               "published_commit": published.COMMIT, "smape_scale": "0-200"}
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(to_markdown(table))
    print(f"\nSpearman rank correlation of the row medians (ours vs published): {rho:.3f} "
          f"over {len(table)} rows; {len(names)} systems, tuned={cfg['tuned']}, "
          f"{wall:.0f} s wall. Wrote {out}/rows.csv, systems.csv, summary.json")
    return 0


def to_markdown(table) -> str:
    """The per-row comparison as a Markdown table (sMAPE, 0-200)."""
    head = ("| row | published model | systems | ours | published | difference | relative | "
            "95% interval | within 15% | rho over systems |\n"
            "|---|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in table.itertuples():
        interval = ("-" if math.isnan(r.relative_lo)
                    else f"{r.relative_lo:+.0%} to {r.relative_hi:+.0%}")
        lines.append(f"| {r.row} | {r.model} | {r.compared} | {r.ours:.1f} | {r.published:.1f} "
                     f"| {r.difference:+.1f} | {r.relative:+.0%} | {interval} | "
                     f"{'yes' if r.within_15pct else 'no'} | {r.system_spearman:.2f} |")
    return "\n".join(lines)
