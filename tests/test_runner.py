"""End to end: the runner, results, leaderboard and command line on tiny settings."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chaosbench import metrics
from chaosbench.cli import UsageError, count_jobs, preflight
from chaosbench.leaderboard import leaderboard, metric_table, to_markdown
from chaosbench.results import COLUMNS, read_sweep, write_rows
from chaosbench.runner import Job, run_job

ROOT = Path(__file__).resolve().parents[1]
TINY = {"name": "tiny", "pts_per_period": 50, "n_train": 200, "n_test": 60,
        "univariate": False, "noise": 0.0}
NAIVE = {"_target_": "chaosbench.forecasters.baselines.Naive"}


def bench(*args, cwd=ROOT, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "tests"))
    return subprocess.run([sys.executable, "-m", "chaosbench", "bench", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=timeout)


TINY_ARGS = ["protocol.n_train=200", "protocol.n_test=60", "protocol.pts_per_period=50"]


def test_two_by_two_multirun_writes_rows_then_skips(tmp_path):
    out = bench("-m", "system=Lorenz,Rossler", "forecaster=naive,mean", *TINY_ARGS,
                f"results_dir={tmp_path}")
    assert out.returncode == 0, out.stderr[-2000:]
    rows = read_sweep(tmp_path, "adhoc")
    assert list(rows.columns) == list(COLUMNS)
    assert rows.job_id.nunique() == 4
    assert len(rows) == 4 * len(metrics.names())
    assert set(rows.status) == {"ok"}
    assert set(zip(rows.system, rows.forecaster)) == {
        ("Lorenz", "naive"), ("Lorenz", "mean"), ("Rossler", "naive"), ("Rossler", "mean")}
    assert (rows.horizon_steps == 60).all() and (rows.n_train == 200).all()
    lam = rows.max_lyapunov * rows.dt * 60
    np.testing.assert_allclose(rows.horizon_lyapunov, lam)

    files = {p: p.stat().st_mtime_ns for p in (tmp_path / "adhoc").glob("*.parquet")}
    again = bench("-m", "system=Lorenz,Rossler", "forecaster=naive,mean", *TINY_ARGS,
                  f"results_dir={tmp_path}")
    assert again.returncode == 0
    assert again.stdout.count("[skipped]") == 4
    assert {p: p.stat().st_mtime_ns for p in files} == files
    forced = bench("system=Lorenz", "forecaster=naive", "force=true", *TINY_ARGS,
                   f"results_dir={tmp_path}")
    assert "[ok]" in forced.stdout


def test_faulty_forecasters_get_statuses_and_the_sweep_finishes(tmp_path):
    out = bench("-m", "forecaster=naive",
                "forecaster._target_=faulty.Raising,faulty.NaNs,faulty.Sleeper,"
                "chaosbench.forecasters.baselines.Naive",
                "timeout_s=3", *TINY_ARGS, f"results_dir={tmp_path}")
    assert out.returncode == 0, out.stderr[-2000:]
    jobs = read_sweep(tmp_path, "adhoc").drop_duplicates("job_id")
    assert sorted(jobs.status) == ["diverged", "failed", "ok", "timeout"]
    failed = jobs[jobs.status == "failed"].iloc[0]
    assert "boom" in failed.reason and "RuntimeError" in failed.reason
    assert "non-finite forecast from step 30" in jobs[jobs.status == "diverged"].iloc[0].reason
    assert "timeout_s=3" in jobs[jobs.status == "timeout"].iloc[0].reason
    log = (tmp_path / "adhoc" / "jobs.log").read_text().splitlines()
    assert len(log) == 4


def test_diverged_forecast_scores_worst_values(tmp_path):
    job = Job("Lorenz", "nans", {"_target_": "faulty.NaNs"}, TINY, results_dir=str(tmp_path))
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        result = run_job(job)
    finally:
        sys.path.remove(str(ROOT / "tests"))
    assert result.status == "diverged"
    assert result.scores["smape"] == metrics.info("smape").worst
    assert result.scores["vpt_steps"] <= 30


def test_bad_command_line_is_one_line_and_writes_nothing(tmp_path):
    for args, expected in [
        (["system=Lorentz"], "Did you mean 'Lorenz'"),
        (["forecaster=esnn"], "Did you mean 'esn'"),
        (["protocol=standart"], "Did you mean 'standard'"),
        (["system=["], "malformed override"),
    ]:
        out = bench(*args, f"results_dir={tmp_path}")
        assert out.returncode == 2
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and expected in lines[0]
    assert not any(tmp_path.iterdir())


def test_preflight_expands_all_and_counts_jobs():
    argv = preflight(["bench.py", "system=all", "forecaster=naive,mean"])
    assert argv[1] == "-m"
    systems = argv[2].split("=", 1)[1].split(",")
    assert len(systems) == 135
    assert count_jobs(argv[1:], {"seed": "0,1"}) == 135 * 2 * 2
    with pytest.raises(UsageError):
        preflight(["bench.py", "sweep=nope"])
    # Profiles in subfolders are valid choices but not part of `all`.
    assert preflight(["bench.py", "forecaster=paper/nbeats"])[1] == "forecaster=paper/nbeats"
    expanded = preflight(["bench.py", "forecaster=all"])[2].split("=", 1)[1].split(",")
    assert "nbeats" in expanded and not any("/" in name for name in expanded)


def test_submitit_local_launcher_runs_a_two_job_sweep(tmp_path):
    out = bench("-m", "system=Lorenz,Rossler", "forecaster=naive", "hydra/launcher=local",
                *TINY_ARGS, f"results_dir={tmp_path}", timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
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


# ------------------------------------------------------------------ leaderboard
def _rows(table):
    rows = []
    for system, forecaster, seed, smape, vpt, status, fit in table:
        job = f"{system}-{forecaster}-{seed}"
        for metric, value in (("smape", smape), ("vpt", vpt), ("mse", 1.0)):
            rows.append(dict(job_id=job, system=system, forecaster=forecaster, protocol="p",
                             seed=seed, metric=metric, value=value, status=status,
                             fit_seconds=fit))
    return pd.DataFrame(rows)


def test_leaderboard_on_a_hand_made_table():
    rows = _rows([
        ("A", "naive", 0, 100.0, 0.1, "ok", 1.0), ("A", "good", 0, 10.0, 5.0, "ok", 2.0),
        ("A", "bad", 0, np.nan, np.nan, "failed", np.nan),
        ("B", "naive", 0, 80.0, 0.2, "ok", 1.0), ("B", "good", 0, 40.0, 2.0, "ok", 2.0),
        ("B", "bad", 0, 120.0, 0.0, "diverged", 3.0),
    ])
    board = leaderboard(rows).set_index("forecaster")
    assert list(board.index) == ["good", "naive", "bad"]
    assert list(board["rank"]) == [1, 2, 3]
    good, bad = board.loc["good"], board.loc["bad"]
    assert good.skill_vs_naive == pytest.approx(np.sqrt(10 / 100 * 40 / 80))
    assert good.median_vpt == pytest.approx(3.5) and good.median_smape == pytest.approx(25)
    assert good.mean_rank == 1 and board.loc["naive"].mean_rank == 2
    assert (bad.systems, bad.jobs, bad.failures, bad.diverged) == (1, 2, 1, 1)
    assert bad.skill_vs_naive == pytest.approx(120 / 80)  # only the scored system counts
    assert bad.fit_seconds == pytest.approx(3.0)
    table = metric_table(rows, "vpt")
    assert table.loc["A", ("p", "good")] == 5.0 and np.isnan(table.loc["A", ("p", "bad")])
    text = to_markdown(board.reset_index())
    assert text.splitlines()[0].startswith("| forecaster | rank |")
