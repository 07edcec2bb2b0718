"""Write a sweep's static HTML report and its figures (PNG and SVG).

    chaosbench report default                      # results/default/report/index.html
    chaosbench report default --metric vpt --out paper/figs
    chaosbench report default --systems Lorenz Rossler --gallery
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _sweeps(results_dir: Path) -> list[str]:
    """Sweeps with at least one result file under ``results_dir``."""
    if not results_dir.is_dir():
        return []
    return sorted(p.name for p in results_dir.iterdir()
                  if p.is_dir() and any(p.glob("*.parquet")))


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="chaosbench report",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("sweep", help="the sweep's name (a folder under --results-dir)")
    parser.add_argument("--results-dir", type=Path, default=Path("results"),
                        help="where sweeps are written (default: results)")
    parser.add_argument("--out", type=Path, default=None,
                        help="report folder (default: <results-dir>/<sweep>/report)")
    parser.add_argument("--metric", default="smape",
                        help="metric of the ranking, the CD diagram and the heatmap "
                             "(default: smape)")
    parser.add_argument("--systems", nargs="+", metavar="NAME",
                        help="draw saved forecasts of these systems only (default: all)")
    parser.add_argument("--gallery", action="store_true",
                        help="add the attractor of every system of the sweep")
    parser.add_argument("--n-boot", type=int, default=1000,
                        help="bootstrap replicates of the intervals (default: 1000)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    from chaosbench import metrics
    from chaosbench.suggest import suggest

    if args.metric not in metrics.names():
        return _error(suggest(args.metric, metrics.names(), "metric"))
    if args.n_boot < 1:
        return _error(f"--n-boot must be a positive integer, got {args.n_boot}")
    sweeps = _sweeps(args.results_dir)
    if args.sweep not in sweeps:
        where = f"{args.results_dir}/{args.sweep}"
        valid = (f"sweeps with results in {args.results_dir}: {', '.join(sweeps)}" if sweeps
                 else f"{args.results_dir} holds no sweep with results; run one with "
                      f"`chaosbench bench -m ...`")
        return _error(f"no results in {where}; {valid}")

    from chaosbench.plots import write_report

    try:
        index = write_report(args.results_dir, args.sweep, out=args.out, metric=args.metric,
                             systems=args.systems, gallery=args.gallery, n_boot=args.n_boot,
                             progress=not args.no_progress)
    except ValueError as error:
        return _error(str(error))
    from chaosbench.results import read_sweep

    statuses = read_sweep(args.results_dir, args.sweep).drop_duplicates("job_id")["status"]
    if statuses.isin(("failed", "timeout")).all():
        print(f"warning: every job of sweep {args.sweep!r} failed ({len(statuses)} jobs); the "
              f"report lists their reasons", file=sys.stderr)
    print(f"wrote {index} (figures as PNG and SVG in {index.parent / 'figures'})")
    return 0
