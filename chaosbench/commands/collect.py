"""``chaosbench collect``: compact a sweep's per-job result files into one Parquet file and
write its leaderboard.

    chaosbench collect sweep=default        # -> results/default/collected/default.parquet
                                            #    results/default/leaderboard.csv

The per-job files stay: they are what resumes and ``status`` read.
"""

from __future__ import annotations

from chaosbench.cluster.commandline import fail, sweep_command


def main(argv: list[str]) -> int:
    return sweep_command(argv, "collect", "One Parquet file of a sweep's rows, and its "
                         "leaderboard.", _collect,
                         overrides_help="sweep=NAME / sweep_name=NAME, results_dir=")


def _collect(settings, args) -> int:
    from chaosbench.leaderboard import to_markdown, write_leaderboard
    from chaosbench.results import read_sweep

    rows = read_sweep(settings.results_dir, settings.sweep)
    if rows.empty:
        return fail(f"no results in {settings.results_dir / settings.sweep}: run or submit the "
                    f"sweep first")
    path = settings.results_dir / settings.sweep / "collected" / f"{settings.sweep}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    rows.to_parquet(tmp, index=False)
    tmp.replace(path)
    board, board_path = write_leaderboard(settings.results_dir, settings.sweep)
    print(f"{rows.job_id.nunique()} jobs, {len(rows)} rows -> {path}")
    print(f"leaderboard -> {board_path}")
    print(to_markdown(board))
    return 0
