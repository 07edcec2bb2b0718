"""End to end: the command line, launchers, results and leaderboard on tiny settings.

The command runs in this process (``chaosbench.cli.main``), which is what the console script
calls; each job still forks its own child.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chaosbench import metrics
from chaosbench.cli import all_choices, count_jobs, main, preflight
from chaosbench.leaderboard import leaderboard, metric_table, to_markdown, write_leaderboard
from chaosbench.results import COLUMNS, read_sweep, write_rows
from chaosbench.runner import Job, run_job

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
TINY = {"name": "tiny", "pts_per_period": 50, "n_train": 200, "n_test": 60,
        "univariate": False, "noise": 0.0}
TINY_ARGS = ["protocol.n_train=200", "protocol.n_test=60", "protocol.pts_per_period=50"]


@pytest.fixture
def bench(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", list(sys.argv))

    def run(*args):
        code = main(["bench", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.mark.parametrize("launcher", ["basic", "parallel"])
def test_two_by_two_multirun_writes_rows_then_skips(tmp_path, bench, launcher):
    args = ["-m", "system=Lorenz,Rossler", "forecaster=naive,mean", *TINY_ARGS,
            f"results_dir={tmp_path}", f"hydra/launcher={launcher}"]
    code, out, err = bench(*args)
    assert code == 0, err[-2000:]
    rows = read_sweep(tmp_path, "adhoc")
    assert list(rows.columns) == list(COLUMNS)
    assert rows.job_id.nunique() == 4
    assert len(rows) == 4 * len(metrics.names())
    assert set(rows.status) == {"ok"}
    assert set(zip(rows.system, rows.label)) == {
        ("Lorenz", "naive"), ("Lorenz", "mean"), ("Rossler", "naive"), ("Rossler", "mean")}
    assert set(rows.protocol_label) == {"standard[n_test=60,n_train=200,pts_per_period=50]"}
    assert (rows.horizon_steps == 60).all() and (rows.n_train == 200).all()
    np.testing.assert_allclose(rows.horizon_lyapunov, rows.max_lyapunov * rows.dt * 60)

    files = {p: p.stat().st_mtime_ns for p in (tmp_path / "adhoc").glob("*.parquet")}
    code, out, _ = bench(*args)
    assert code == 0 and out.count("[skipped]") == 4
    assert {p: p.stat().st_mtime_ns for p in files} == files
    code, out, _ = bench("system=Lorenz", "forecaster=naive", "force=true", *TINY_ARGS,
                         f"results_dir={tmp_path}")
    assert "[ok]" in out


def test_both_launchers_build_the_same_jobs(tmp_path, bench):
    common = ["-m", "system=Lorenz", "forecaster=nvar", "forecaster.ridge=0.01,0.1", *TINY_ARGS]
    bench(*common, f"results_dir={tmp_path / 'a'}", "hydra/launcher=basic")
    bench(*common, f"results_dir={tmp_path / 'b'}", "hydra/launcher=parallel")
    a, b = read_sweep(tmp_path / "a", "adhoc"), read_sweep(tmp_path / "b", "adhoc")
    assert sorted(a.job_id.unique()) == sorted(b.job_id.unique())
    pd.testing.assert_series_equal(a.sort_values(["job_id", "metric"]).value.reset_index(drop=True),
                                   b.sort_values(["job_id", "metric"]).value.reset_index(drop=True))
    assert sorted(a.label.unique()) == ["nvar[ridge=0.01]", "nvar[ridge=0.1]"]


def test_a_named_sweep_over_a_hyperparameter_runs_on_both_launchers(tmp_path, bench):
    """A sweep file's ``hydra.sweeper.params`` may sweep a hyperparameter whose default only the
    class holds (the YAML names the class): Hydra's sweeper and chaosbench's build the same jobs."""
    (tmp_path / "conf" / "sweep").mkdir(parents=True)
    (tmp_path / "conf" / "sweep" / "ridges.yaml").write_text(
        "# @package _global_\nsweep_name: ridges\nhydra:\n  sweeper:\n    params:\n"
        "      forecaster: nvar\n      forecaster.ridge: 0.01,0.1\n")
    labels = {}
    for launcher in ("basic", "parallel"):
        code, _, err = bench("-m", "--config-dir", str(tmp_path / "conf"), "sweep=ridges",
                             "system=Lorenz", *TINY_ARGS, f"results_dir={tmp_path / launcher}",
                             f"hydra/launcher={launcher}")
        assert code == 0, err[-2000:]
        rows = read_sweep(tmp_path / launcher, "ridges")
        labels[launcher] = sorted(zip(rows.job_id.unique(), rows.drop_duplicates("job_id").label))
    assert labels["basic"] == labels["parallel"]
    assert sorted(label for _, label in labels["basic"]) == ["nvar[ridge=0.01]", "nvar[ridge=0.1]"]


def test_hyperparameter_and_protocol_sweeps_give_a_leaderboard(tmp_path, bench):
    code, _, err = bench("-m", "system=Lorenz,Rossler", "forecaster=naive,nvar", "seed=0,1",
                         "protocol.n_train=150,200", "protocol.n_test=60",
                         "protocol.pts_per_period=50", f"results_dir={tmp_path}",
                         "hydra/launcher=parallel")
    assert code == 0, err[-2000:]
    board, path = write_leaderboard(tmp_path, "adhoc")
    assert len(board) == 4 and set(board.protocol.str.contains("n_train=150")) == {True, False}
    assert set(board["rank"]) == {1, 2}  # ranked within each protocol variant
    nvar = board[board.label == "nvar"]
    assert (nvar.skill > 0).all() and nvar.win_rate.between(0, 1).all()
    assert (board.median_smape_lo <= board.median_smape).all()
    assert (board.median_smape <= board.median_smape_hi).all()
    rule = json.loads((tmp_path / "adhoc" / "leaderboard.json").read_text())
    assert "geometric mean" in rule["skill"] and rule["smape_scale"] == "0-200"
    table = pd.read_csv(tmp_path / "adhoc" / "vpt_by_system.csv", index_col=0)
    assert sorted(table.index) == ["Lorenz", "Rossler"] and len(table.columns) == 4
    assert all("/" in c for c in table.columns)


def test_leaderboard_command_names_the_existing_sweeps(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    run_job(Job("Lorenz", "naive", {"_target_": "chaosbench.forecasters.baselines.Naive"}, TINY,
                results_dir=str(tmp_path), sweep="mine"))
    with pytest.raises(SystemExit) as info:
        main(["leaderboard", f"results_dir={tmp_path}", "sweep_name=default"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "no results in" in err and "sweeps with results there: mine" in err
    assert main(["leaderboard", f"results_dir={tmp_path}", "metric=smap"]) == 2
    assert "Did you mean 'smape'" in capsys.readouterr().err
    assert main(["leaderboard", f"results_dir={tmp_path}", "skill_metric=vpt"]) == 2
    assert main(["leaderboard", f"results_dir={tmp_path}", "exclude_leaked=maybe"]) == 2
    assert main(["leaderboard", f"results_dir={tmp_path}", "sweep_name=mine"]) == 0
    assert "| naive |" in capsys.readouterr().out


def test_a_sweep_file_may_say_system_all():
    from chaosbench.sweep import expand

    jobs = expand(["sweep=catalogue", "forecaster=naive", "results_dir=/tmp/unused"])
    assert sorted(j.system for j in jobs) == sorted(all_choices("system"))
    assert all(j.sweep == "catalogue" for j in jobs)


def test_preflight_expands_all_and_counts_jobs():
    argv = preflight(["bench.py", "system=all", "forecaster=naive,mean"])
    assert argv[1] == "-m"
    systems = argv[2].split("=", 1)[1].split(",")
    chaotic = all_choices("system")
    assert systems == chaotic and 100 < len(chaotic) < len(all_choices("system",
                                                                      include_nonchaotic=True))
    assert count_jobs(argv[1:], {"seed": "0,1"}) == len(chaotic) * 2 * 2
    # Profiles in subfolders are valid choices but not part of `all`.
    assert preflight(["bench.py", "forecaster=paper/nbeats"])[1] == "forecaster=paper/nbeats"
    expanded = preflight(["bench.py", "forecaster=all"])[2].split("=", 1)[1].split(",")
    assert "nbeats" in expanded and not any("/" in name for name in expanded)


@pytest.mark.integration
def test_submitit_local_launcher_runs_a_two_job_sweep(tmp_path, bench):
    code, _, err = bench("-m", "system=Lorenz,Rossler", "forecaster=naive",
                         "hydra/launcher=local", *TINY_ARGS, f"results_dir={tmp_path}")
    assert code == 0, err[-3000:]
    assert read_sweep(tmp_path, "adhoc").job_id.nunique() == 2
    # The cap: Hydra's sweeper hands the launcher batches of at most two jobs.
    import yaml

    recorded = yaml.safe_load((tmp_path / "adhoc" / ".hydra" / "multirun.yaml").read_text())
    assert recorded["hydra"]["sweeper"]["max_batch_size"] == 2


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    def explode(self, *args, **kwargs):
        Path(args[0]).write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", explode)
    with pytest.raises(OSError):
        write_rows(tmp_path / "job.parquet", [])
    assert list(tmp_path.iterdir()) == []


def test_diverged_forecast_scores_worst_values(tmp_path):
    job = Job("Lorenz", "nans", {"_target_": "faulty.NaNs"}, TINY, results_dir=str(tmp_path))
    result = run_job(job)
    assert result.status == "diverged"
    assert result.scores["smape"] == metrics.info("smape").worst
    assert result.scores["vpt_steps"] <= 30


def test_the_library_a_fit_imports_is_loaded_before_fit_is_timed(tmp_path, monkeypatch):
    """A library that a model's fit imports on first use (darts: seconds) is imported by the
    runner before it times fit (Forecaster.fit_imports, preload): the fit finds it loaded."""
    (tmp_path / "probe_library.py").write_text("")
    (tmp_path / "probe_model.py").write_text(
        "import sys\n"
        "from chaosbench.forecasters.baselines import Naive\n\n"
        "class Probe(Naive):\n"
        "    fit_imports = ('probe_library',)\n\n"
        "    def _fit(self, train, dt):\n"
        "        if 'probe_library' not in sys.modules:\n"
        "            raise RuntimeError('probe_library was imported inside the timed fit')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for module in ("probe_library", "probe_model"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    job = Job("Lorenz", "probe", {"_target_": "probe_model.Probe"}, TINY,
              results_dir=str(tmp_path))
    try:
        result = run_job(job)
    finally:
        for module in ("probe_library", "probe_model"):
            sys.modules.pop(module, None)
    assert result.status == "ok", result.reason


# ------------------------------------------------------------------ leaderboard
def _rows(table, protocol="p"):
    rows = []
    for system, forecaster, seed, smape, vpt, status, fit in table:
        job = f"{system}-{forecaster}-{seed}-{protocol}"
        for metric, value in (("smape", smape), ("vpt", vpt), ("mse", 1.0),
                              ("vpt_censored", 0.0)):
            rows.append(dict(job_id=job, system=system, forecaster=forecaster, protocol=protocol,
                             seed=seed, metric=metric, value=value, status=status,
                             fit_seconds=fit))
    return pd.DataFrame(rows)


HAND = [
    ("A", "naive", 0, 100.0, 0.1, "ok", 1.0), ("A", "good", 0, 10.0, 5.0, "ok", 2.0),
    ("A", "bad", 0, np.nan, np.nan, "failed", np.nan),
    ("B", "naive", 0, 80.0, 0.2, "ok", 1.0), ("B", "good", 0, 40.0, 2.0, "ok", 2.0),
    ("B", "bad", 0, 120.0, 0.0, "diverged", 3.0),
]


def test_leaderboard_on_a_hand_made_table():
    board = leaderboard(_rows(HAND)).set_index("label")
    assert list(board.index) == ["good", "naive", "bad"]
    assert list(board["rank"]) == [1, 2, 3]
    good, bad = board.loc["good"], board.loc["bad"]
    assert good.skill == pytest.approx(np.sqrt(10 / 100 * 40 / 80))
    assert good.win_rate == 1.0 and bad.win_rate == 0.0
    assert np.isnan(board.loc["naive"].skill)
    assert good.median_vpt == pytest.approx(3.5) and good.median_smape == pytest.approx(25)
    assert good.median_smape_lo >= 10 and good.median_smape_hi <= 40
    assert good.mean_rank == 1 and board.loc["naive"].mean_rank == 2
    assert (bad.systems, bad.jobs, bad.failures, bad.diverged) == (1, 2, 1, 1)
    assert bad.skill == pytest.approx(120 / 80)  # only the scored system counts
    assert bad.fit_seconds == pytest.approx(3.0)
    table = metric_table(_rows(HAND), "vpt")
    assert table.loc["A", "good"] == 5.0 and np.isnan(table.loc["A", "bad"])
    text = to_markdown(board.reset_index())
    assert text.splitlines()[0].startswith("| label | rank |")


def test_protocols_are_ranked_apart_and_skill_needs_a_ratio_metric():
    rows = pd.concat([_rows(HAND, "p"), _rows(HAND[:2], "q")], ignore_index=True)
    board = leaderboard(rows)
    assert list(board[board.protocol == "q"]["rank"]) == [1, 2]
    assert list(board[board.protocol == "p"]["rank"]) == [1, 2, 3]
    with pytest.raises(ValueError, match="bounded error metric"):
        leaderboard(rows, skill_metric="vpt")
    with pytest.raises(ValueError, match="bounded error metric"):
        leaderboard(rows, skill_metric="mase")
    table = metric_table(rows, "smape")
    assert list(table.columns) == sorted(table.columns) and "q/good" in table.columns


def test_lyapunov_protocol_gives_every_system_the_same_horizon_in_lyapunov_times(tmp_path):
    from chaosbench.sweep import expand

    jobs = expand(["protocol=lyapunov", "system=Lorenz,Rossler", "forecaster=naive",
                   "protocol.train_lyapunov=2", "protocol.test_lyapunov=1",
                   "protocol.pts_per_lyapunov=50", f"results_dir={tmp_path}"])
    for job in jobs:
        assert run_job(job).status == "ok"
    rows = read_sweep(tmp_path, "adhoc").drop_duplicates("job_id")
    np.testing.assert_allclose(rows.horizon_lyapunov, 1.0)  # 50 steps x dt x lambda
    assert set(rows.horizon_steps) == {50} and set(rows.n_train) == {100}
    assert rows.dt.nunique() == 2  # each system sampled on its own Lyapunov time
