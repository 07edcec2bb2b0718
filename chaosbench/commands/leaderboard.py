"""Aggregate a sweep into results/<sweep>/leaderboard.csv and print it as Markdown.

    chaosbench leaderboard sweep_name=default
    chaosbench leaderboard sweep_name=default metric=mase table_metric=smape
"""

import sys

import hydra
from omegaconf import DictConfig

from chaosbench import metrics
from chaosbench.catalogue import suggest
from chaosbench.leaderboard import to_markdown, write_leaderboard
from chaosbench.paths import data_dir


@hydra.main(version_base="1.3", config_path=str(data_dir("conf")), config_name="leaderboard")
def app(cfg: DictConfig) -> None:
    for key in ("metric", "table_metric"):
        if cfg[key] not in metrics.names():
            sys.exit(f"error: {suggest(cfg[key], metrics.names(), 'metric')}")
    try:
        board, path = write_leaderboard(cfg.results_dir, cfg.sweep_name, metric=cfg.metric,
                                        table_metric=cfg.table_metric)
    except FileNotFoundError as error:
        sys.exit(f"error: {error}")
    print(to_markdown(board))
    print(f"\nwrote {path} and {path.parent / (cfg.table_metric + '_by_system.csv')}")


def main(argv: list[str]) -> int:
    sys.argv = ["chaosbench leaderboard", *argv]
    app()
    return 0
