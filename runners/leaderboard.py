"""Aggregate a sweep into results/<sweep>/leaderboard.csv and print it as Markdown.

    python runners/leaderboard.py sweep_name=default
    python runners/leaderboard.py sweep_name=default metric=mase table_metric=smape
"""

import sys

import hydra
from omegaconf import DictConfig

from chaosbench import metrics
from chaosbench.catalogue import suggest
from chaosbench.leaderboard import to_markdown, write_leaderboard


@hydra.main(version_base="1.3", config_path="../conf", config_name="leaderboard")
def main(cfg: DictConfig) -> None:
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


if __name__ == "__main__":
    main()
