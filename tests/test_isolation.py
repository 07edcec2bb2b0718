"""A sweep that nothing can break: every fault of a job becomes that job's row, and the rest run.

The jobs run in this process through :func:`chaosbench.runner.run_job` (each job forks its own
child), so these tests are fast; the launcher-level tests at the end drive the real command.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chaosbench import metrics
from chaosbench.guard import RANGE_FACTOR, check_forecast
from chaosbench.isolation import run_isolated
from chaosbench.results import read_job, read_sweep
from chaosbench.runner import Job, run_job

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

TINY = {"name": "tiny", "pts_per_period": 50, "n_train": 200, "n_test": 60,
        "univariate": False, "noise": 0.0}


def job(tmp_path, target, **kw):
    name = target.rsplit(".", 1)[-1].lower()
    kw.setdefault("timeout_s", 30)
    return Job("Lorenz", name, {"_target_": target}, TINY, results_dir=str(tmp_path), **kw)


# Each fault, the status it must end in, and words its reason must contain.
FAULTS = [
    ("faulty.Raising", "failed", ["RuntimeError", "boom"]),
    ("faulty.HardExit", "failed", ["exited with status 3", "about to leave"]),
    ("faulty.SysExit", "failed", ["SystemExit"]),
    ("faulty.Segfault", "failed", ["SIGSEGV", "reading address zero"]),
    ("faulty.Interrupted", "failed", ["KeyboardInterrupt"]),
    ("faulty.NaNs", "diverged", ["non-finite forecast from step 30"]),
    ("faulty.Huge", "diverged", ["divergence bound", "from step 0"]),
    ("faulty.Escapes", "diverged", [f"{RANGE_FACTOR:g}x the training", "from step 5"]),
    ("faulty.Complex", "failed", ["complex"]),
    ("faulty.Strings", "failed", ["not numeric"]),
    ("faulty.WrongShape", "failed", ["shape (61, 3), expected (60, 3)"]),
    ("faulty.MutatesTrain", "failed", ["read-only"]),
    ("chaosbench.forecasters.baselines.Naive", "ok", []),
]


@pytest.mark.parametrize("target,status,words", FAULTS, ids=[f[0].split(".")[-1] for f in FAULTS])
def test_each_fault_becomes_its_jobs_row(tmp_path, target, status, words):
    result = run_job(job(tmp_path, target))
    assert result.status == status, result.reason
    for word in words:
        assert word in result.reason
    rows = read_sweep(tmp_path, "adhoc")
    assert len(rows) == len(metrics.names()) and set(rows.status) == {status}
    assert (rows.reason.str.len() < 2001).all()


@pytest.mark.parametrize("target", ["faulty.Sleeper", "faulty.SwallowsEverything",
                                    "faulty.CancelsTimers", "faulty.CompiledLoop"])
def test_timeouts_cannot_be_caught_cancelled_or_outrun(tmp_path, target):
    start = time.monotonic()
    result = run_job(job(tmp_path, target, timeout_s=1.5))
    elapsed = time.monotonic() - start
    assert result.status == "timeout" and "timeout_s=1.5" in result.reason
    # 1.5 s limit + 2 s grace between SIGTERM and SIGKILL + data and fork, with slack for a
    # loaded machine; the faults themselves would run 60 s or forever.
    assert elapsed < 20


def test_subprocesses_a_job_leaves_behind_are_killed(tmp_path, monkeypatch):
    pid_file = tmp_path / "pid"
    monkeypatch.setenv("SPAWNER_PID_FILE", str(pid_file))
    assert run_job(job(tmp_path, "faulty.Spawner")).status == "ok"
    pid = int(pid_file.read_text())
    for _ in range(50):
        if not _alive(pid):
            break
        time.sleep(0.1)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_chdir_inside_a_job_cannot_redirect_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    here = Job("Lorenz", "chdir", {"_target_": "faulty.Chdir"}, TINY, results_dir="rel")
    assert run_job(here).status == "ok"
    assert os.getcwd() == str(tmp_path)
    assert len(list((tmp_path / "rel" / "adhoc").glob("*.parquet"))) == 1


def test_training_data_is_a_fresh_read_only_copy(tmp_path):
    peek = run_job(job(tmp_path, "faulty.PeeksAtTest"))
    honest = run_job(job(tmp_path, "chaosbench.forecasters.baselines.Naive"))
    assert peek.status == "ok"
    # A forecaster that found the test series through .base would score sMAPE 0.
    assert peek.scores["smape"] == pytest.approx(honest.scores["smape"])
    assert peek.scores["smape"] > 1


def test_guard_rules():
    train = np.array([[0.0, -1.0], [2.0, 1.0]])
    ok = check_forecast(np.ones((3, 2)), (3, 2), train)
    assert ok.status == "ok" and ok.forecast.dtype == np.float64
    # middle (1, 0), half-range (1, 1): 1 + 10 * 1 = 11 is the edge
    edge = check_forecast(np.array([[11.0, 0.0], [11.5, 0.0], [0, 0]]), (3, 2), train)
    assert edge.status == "diverged" and edge.step == 1
    assert check_forecast([[1, 2]], (1, 2), train).status == "ok"
    assert check_forecast(np.array([[object()]]), (1, 1), train).status == "failed"


def test_isolated_call_returns_value_and_errors():
    assert run_isolated(lambda: {"x": np.arange(3)}, timeout_s=10).value["x"].tolist() == [0, 1, 2]
    big = run_isolated(lambda: np.ones((300_000, 3)), timeout_s=30)  # 7 MB: many pipe buffers
    assert big.kind == "returned" and big.value.shape == (300_000, 3)
    raised = run_isolated(lambda: 1 / 0, timeout_s=10)
    assert raised.kind == "raised" and "ZeroDivisionError" in raised.error


# ----------------------------------------------------------------------------- resume


def test_resume_ok_is_final_failed_is_retried_and_retry_switch(tmp_path):
    bad = job(tmp_path, "faulty.Raising")
    assert run_job(bad).status == "failed"
    assert run_job(bad).status == "failed"  # retried by default (not skipped)
    assert not run_job(Job(**{**bad.__dict__, "retry": "none"})).status == "failed"
    good = job(tmp_path, "chaosbench.forecasters.baselines.Naive")
    assert run_job(good).status == "ok"
    assert run_job(good).skipped
    assert run_job(Job(**{**good.__dict__, "retry": "all"})).status == "ok"
    assert run_job(Job(**{**good.__dict__, "force": True})).status == "ok"


def test_timeout_and_threads_are_recorded_and_a_timeout_reruns_with_a_longer_limit(tmp_path):
    short = job(tmp_path, "faulty.Sleeper", timeout_s=1)
    assert run_job(short).status == "timeout"
    rows = read_sweep(tmp_path, "adhoc")
    assert set(rows.timeout_s) == {1.0} and set(rows.threads) == {1}
    again = run_job(Job(**{**short.__dict__, "timeout_s": 1.5}))
    assert not again.skipped and again.status == "timeout"
    assert set(read_sweep(tmp_path, "adhoc").timeout_s) == {1.5}


@pytest.mark.parametrize("content", [b"", b"garbage, not parquet", "truncate"])
def test_corrupt_result_files_are_moved_aside_and_rerun(tmp_path, content, capsys):
    good = job(tmp_path, "chaosbench.forecasters.baselines.Naive")
    run_job(good)
    data = good.path.read_bytes()
    good.path.write_bytes(data[: len(data) // 2] if content == "truncate" else content)
    lines = []
    rows = read_sweep(tmp_path, "adhoc", warn=lines.append)
    assert rows.empty and len(lines) == 1 and good.path.name in lines[0]
    result = run_job(good)
    assert result.status == "ok" and not result.skipped
    assert "moved aside" in capsys.readouterr().err
    assert list(tmp_path.glob("adhoc/*.corrupt"))
    assert read_job(good.path, good.id) == "ok"


def test_foreign_and_duplicated_files_are_named(tmp_path):
    a = job(tmp_path, "chaosbench.forecasters.baselines.Naive")
    run_job(a)
    (a.path.parent / "copy.parquet").write_bytes(a.path.read_bytes())
    lines = []
    rows = read_sweep(tmp_path, "adhoc", warn=lines.append)
    assert rows.job_id.nunique() == 1 and len(rows) == len(metrics.names())
    assert len(lines) == 1 and "copy.parquet" in lines[0] and "twice" in lines[0]
    foreign = job(tmp_path, "faulty.NaNs")
    os.replace(a.path, foreign.path)  # a file under another job's name
    assert read_job(foreign.path, foreign.id) is None
    assert list(tmp_path.glob("adhoc/*.corrupt"))


def test_stale_temp_files_are_cleaned_and_results_are_group_readable(tmp_path):
    good = job(tmp_path, "chaosbench.forecasters.baselines.Naive")
    good.folder.mkdir(parents=True)
    stale = good.folder / f".{good.id}.abc123.tmp"
    stale.write_bytes(b"half a file")
    old = os.umask(0o022)
    try:
        run_job(good)
    finally:
        os.umask(old)
    assert not stale.exists()
    assert good.path.stat().st_mode & 0o044 == 0o044


def test_rows_describe_what_produced_them(tmp_path):
    import json

    run_job(job(tmp_path, "chaosbench.forecasters.baselines.Naive", label="naive[x=1]"))
    row = read_sweep(tmp_path, "adhoc").iloc[0]
    config = json.loads(row.config)
    assert config["forecaster_config"]["_target_"].endswith("Naive")
    assert config["protocol"] == TINY and config["seed"] == 0
    assert row.label == "naive[x=1]" and row.code_version.startswith("chaosbench ")
    assert len(row.data_hash) == 16


def test_data_is_generated_once_per_system_protocol_seed(tmp_path):
    a = job(tmp_path, "chaosbench.forecasters.baselines.Naive")
    b = job(tmp_path, "chaosbench.forecasters.baselines.Mean")
    run_job(a)
    cached = list((tmp_path / ".data").glob("*.npz"))
    assert len(cached) == 1
    mtime = cached[0].stat().st_mtime_ns
    run_job(b)
    assert [p.stat().st_mtime_ns for p in (tmp_path / ".data").glob("*.npz")] == [mtime]
    rows = read_sweep(tmp_path, "adhoc")
    assert rows.data_hash.nunique() == 1


# ----------------------------------------------------------------------------- launchers


def _descendants_alive(tag: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if f"CHAOSBENCH_RUN_ID={tag}".encode() in (proc / "environ").read_bytes():
                if _alive(int(proc.name)):
                    found.append(int(proc.name))
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
    return found


def _bench(tmp_path, tag, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "tests"), CHAOSBENCH_RUN_ID=tag)
    return subprocess.Popen([sys.executable, "-m", "chaosbench", "bench", "-m", *args,
                             "protocol.n_train=200", "protocol.n_test=60",
                             "protocol.pts_per_period=50", f"results_dir={tmp_path}"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.integration
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL],
                         ids=["SIGTERM", "SIGINT", "SIGKILL"])
def test_killing_the_sweep_leaves_no_worker_alive(tmp_path, how):
    tag = f"cleanup-{how.name}-{os.getpid()}"
    proc = _bench(tmp_path, tag, "hydra/launcher=parallel", "forecaster=naive",
                  "forecaster._target_=faulty.Sleeper,faulty.CancelsTimers", "timeout_s=120")
    deadline = time.monotonic() + 120
    while len(_descendants_alive(tag)) < 5 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)  # parent + 2 workers + 2 jobs
    assert len(_descendants_alive(tag)) >= 5, proc.stderr.read() if proc.poll() else ""
    proc.send_signal(how)
    proc.wait(timeout=30)
    for _ in range(50):
        if not _descendants_alive(tag):
            break
        time.sleep(0.1)
    assert _descendants_alive(tag) == []


@pytest.mark.integration
def test_a_killed_worker_becomes_a_failed_row_and_the_sweep_goes_on(tmp_path):
    tag = f"killworker-{os.getpid()}"
    proc = _bench(tmp_path, tag, "hydra/launcher=parallel", "hydra.launcher.n_jobs=1",
                  "system=Lorenz,Rossler,Chua", "forecaster=naive",
                  "forecaster._target_=faulty.Sleeper,chaosbench.forecasters.baselines.Mean",
                  "timeout_s=8")
    # The first job (Lorenz x Sleeper) holds the only worker; kill that worker outright.
    deadline = time.monotonic() + 120
    worker = None
    while worker is None and time.monotonic() < deadline and proc.poll() is None:
        alive = sorted(_descendants_alive(tag))
        kids = [p for p in alive if p != proc.pid and _ppid(p) == proc.pid]
        worker = kids[0] if kids and len(alive) >= 3 else None
        time.sleep(0.2)
    assert worker is not None, proc.communicate()[1][-2000:]
    os.kill(worker, signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    jobs = read_sweep(tmp_path, "adhoc").drop_duplicates("job_id")
    assert len(jobs) == 6
    lost = jobs[jobs.reason.str.contains("worker process died", na=False)]
    assert len(lost) == 1 and "SIGKILL" in lost.iloc[0].reason
    assert lost.iloc[0].system == "Lorenz" and lost.iloc[0].status == "failed"
    assert (jobs.status == "ok").sum() == 3 and (jobs.status == "timeout").sum() == 2


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[1])
    except (FileNotFoundError, IndexError):
        return -1


@pytest.mark.integration
@pytest.mark.parametrize("launcher", ["basic", "joblib", "parallel"])
def test_a_crashing_job_does_not_stop_any_launcher(tmp_path, launcher):
    tag = f"crash-{launcher}-{os.getpid()}"
    proc = _bench(tmp_path, tag, f"hydra/launcher={launcher}", "forecaster=naive",
                  "forecaster._target_=faulty.HardExit,faulty.Segfault,faulty.SysExit,"
                  "faulty.Interrupted,chaosbench.forecasters.baselines.Naive")
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-2000:]
    jobs = read_sweep(tmp_path, "adhoc").drop_duplicates("job_id")
    assert sorted(jobs.status) == ["failed"] * 4 + ["ok"]
