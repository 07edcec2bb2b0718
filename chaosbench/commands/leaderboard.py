"""``chaosbench leaderboard``: aggregate a sweep into ``leaderboard.csv`` (plus the rule as
``leaderboard.json`` and a system x model table) and print it as Markdown.

    chaosbench leaderboard sweep_name=default
    chaosbench leaderboard sweep_name=default metric=mase table_metric=smape
"""

from __future__ import annotations

import sys

import yaml

from chaosbench.suggest import suggest
from chaosbench.cli import UsageError, split_argv
from chaosbench.paths import data_dir


def _check(args: list[str]) -> None:
    from chaosbench import metrics
    from chaosbench.leaderboard import skill_metrics

    with open(data_dir("conf") / "leaderboard.yaml", encoding="utf-8") as f:
        keys = sorted(k for k in yaml.safe_load(f) if k not in ("defaults", "hydra"))
    _, overrides, _ = split_argv(args)
    for text in overrides:
        key, eq, value = text.partition("=")
        if key.startswith("hydra"):
            continue
        if not eq or key not in keys:
            raise UsageError(suggest(key, keys, "leaderboard setting"))
        if key in ("metric", "table_metric") and value not in metrics.names():
            raise UsageError(suggest(value, metrics.names(), "metric"))
        if key == "skill_metric" and value not in skill_metrics():
            raise UsageError(f"skill_metric={value!r}: a skill ratio needs a bounded error "
                             f"metric, one of {', '.join(skill_metrics())}")
        if key in ("sweep_name", "results_dir", "baseline") and not value.strip():
            raise UsageError(f"{key} is empty")
        if key == "exclude_leaked" and value not in ("true", "false"):
            raise UsageError(f"exclude_leaked={value!r} is not valid: true or false")


def main(argv: list[str]) -> int:
    import hydra
    from omegaconf import DictConfig

    from chaosbench.leaderboard import to_markdown, write_leaderboard

    _check(argv)

    @hydra.main(version_base="1.3", config_path=str(data_dir("conf")),
                config_name="leaderboard")
    def app(cfg: DictConfig) -> None:
        try:
            board, path = write_leaderboard(cfg.results_dir, cfg.sweep_name, metric=cfg.metric,
                                            table_metric=cfg.table_metric,
                                            skill_metric=cfg.skill_metric, baseline=cfg.baseline,
                                            exclude_leaked=bool(cfg.exclude_leaked))
        except FileNotFoundError as error:
            print(f"error: {error}", file=sys.stderr)
            raise SystemExit(2) from None
        shown = ["rank", "label", "protocol", "systems", "jobs", "failures", "diverged",
                 "median_smape", "median_vpt", "vpt_censored", "mean_rank", "skill", "win_rate"]
        print(to_markdown(board[shown]))
        print(f"\nwrote {path}, {path.with_suffix('.json').name} (the aggregation rule) and "
              f"{cfg.table_metric}_by_system.csv")

    sys.argv = ["chaosbench leaderboard", *argv]
    app()
    return 0
