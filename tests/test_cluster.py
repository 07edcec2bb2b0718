"""Clusters: manifests, submit / status / collect on Slurm, and Ray as a sweep engine.

The unmarked tests need no service. Tests marked ``slurm`` run against a real Slurm
(``.ci/services/slurm.sh start``) and tests marked ``ray`` against a Ray head
(``.ci/services/ray.sh start``); each group skips when its service does not answer.
"""

import dataclasses
import json
import functools
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from chaosbench.cluster import slurm
from chaosbench.cluster.manifest import (Manifest, ManifestError, catalogue_version, file_stamp,
                                         manifests)
from chaosbench.cluster.state import job_states, summary
from chaosbench.commands import run_manifest
from chaosbench.results import read_sweep
from chaosbench.runner import Job

ROOT = Path(__file__).resolve().parents[1]
TINY = {"name": "tiny", "pts_per_period": 50, "n_train": 200, "n_test": 60,
        "univariate": False, "noise": 0.0}
TINY_ARGS = ["protocol.n_train=200", "protocol.n_test=60", "protocol.pts_per_period=50"]
BASELINE = "chaosbench.forecasters.baselines."


def tiny_jobs(root, sweep="cl", systems=("Lorenz", "Rossler"), forecasters=("Naive", "Mean")):
    return [Job(s, f.lower(), {"_target_": BASELINE + f}, TINY, sweep=sweep,
                results_dir=str(root)) for s in systems for f in forecasters]


def failed_file(job: Job, monkeypatch) -> None:
    """Give ``job`` a result file with status ``failed``, written by the runner itself (its
    forecaster's class made to raise for this one run)."""
    from chaosbench.runner import run_job

    module, _, name = job.forecaster_config["_target_"].rpartition(".")
    cls = getattr(__import__(module, fromlist=[name]), name)
    with monkeypatch.context() as patch:
        patch.setattr(cls, "fit", lambda self, *a, **k: (_ for _ in ()).throw(
            RuntimeError("boom")))
        assert run_job(dataclasses.replace(job, force=True)).status == "failed"


# ------------------------------------------------------------------ manifests, no service
def test_manifest_round_trip_and_refusals(tmp_path):
    jobs = tiny_jobs(tmp_path)
    manifest = Manifest.new("cl", tmp_path, jobs)
    manifest.write()
    assert manifest.folder.parent == tmp_path / "cl" / ".submit"
    body = json.loads(manifest.path.read_text())
    assert body["jobs"] == [dataclasses.asdict(job) for job in jobs]
    assert body["catalogue_version"] == catalogue_version()
    assert [job.id for job in Manifest.read(manifest.path).jobs] == [job.id for job in jobs]

    # Another catalogue version: its data would differ. Its tasks refuse to run, and status
    # and submit leave it out, naming it.
    body["catalogue_version"] = "0" * 16
    manifest.path.write_text(json.dumps(body))
    with pytest.raises(ManifestError, match="catalogue version 0000000000000000"):
        Manifest.read(manifest.path).check_catalogue()
    warnings = []
    assert manifests(tmp_path, "cl", warn=warnings.append) == []
    assert len(warnings) == 1 and "catalogue version 0000000000000000" in warnings[0]
    # Another sweep's jobs, or a manifest moved into another sweep's folder.
    other = Manifest.new("cl", tmp_path, tiny_jobs(tmp_path, sweep="other"))
    other.write()
    with pytest.raises(ManifestError, match=r"mixes sweeps \['cl', 'other'\]"):
        Manifest.read(other.path)
    moved = tmp_path / "elsewhere" / ".submit" / "m"
    ok = Manifest.new("cl", tmp_path, jobs)
    ok.write()
    moved.mkdir(parents=True)
    shutil.copy(ok.path, moved / "manifest.json")
    with pytest.raises(ManifestError, match="elsewhere"):
        Manifest.read(moved / "manifest.json")


def test_run_manifest_refuses_a_foreign_manifest_in_one_line(tmp_path, capsys):
    manifest = Manifest.new("cl", tmp_path, tiny_jobs(tmp_path))
    manifest.catalogue_version = "f" * 16
    manifest.write()
    assert run_manifest.main([str(manifest.path), "--index", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: refused manifest")
    assert not any(p.suffix == ".parquet" for p in (tmp_path / "cl").iterdir())
    assert run_manifest.main([str(tmp_path / "none.json"), "--index", "0"]) == 2


def test_run_manifest_is_requeue_safe(tmp_path, capsys, monkeypatch):
    missing, retried = tiny_jobs(tmp_path, systems=("Lorenz",))
    failed_file(retried, monkeypatch)
    manifest = Manifest.new("cl", tmp_path, [missing, retried],
                            replaces={retried.id: file_stamp(retried.path)})
    manifest.write()

    for index in (0, 1):  # first attempt: the missing job runs, the failed one is retried
        assert run_manifest.main([str(manifest.path), "--index", str(index)]) == 0
    jobs = read_sweep(tmp_path, "cl").drop_duplicates("job_id").set_index("job_id")
    assert jobs.status.to_dict() == {missing.id: "ok", retried.id: "ok"}

    stamps = {job.id: file_stamp(job.path) for job in (missing, retried)}
    capsys.readouterr()
    for index in (0, 1):  # a requeued task: both files exist and differ from submission time
        assert run_manifest.main([str(manifest.path), "--index", str(index)]) == 0
    assert capsys.readouterr().out.count("[skipped]") == 2
    assert {job.id: file_stamp(job.path) for job in (missing, retried)} == stamps
    assert run_manifest.main([str(manifest.path), "--index", "2"]) == 2


def test_states_from_results_queue_and_slurm_logs(tmp_path, monkeypatch):
    ok, failed, queued, killed, running = tiny_jobs(
        tmp_path, systems=("Lorenz", "Rossler", "Chua", "Thomas", "Halvorsen"),
        forecasters=("Naive",))
    run_manifest_job = Manifest.new("cl", tmp_path, [ok])
    run_manifest_job.write()
    assert run_manifest.main([str(run_manifest_job.path), "--index", "0"]) == 0
    failed_file(failed, monkeypatch)
    manifest = Manifest.new("cl", tmp_path, [failed, queued, killed, running])
    manifest.write()
    manifest.record_array("41")
    (manifest.logs / "41_2.out").write_text(
        "slurmstepd: error: *** JOB 44 ON vm CANCELLED AT 2026-12-01T21:00:00 DUE TO TIME "
        "LIMIT ***\n")
    queue = {manifest.id: {0: "PENDING", 1: "PENDING", 3: "RUNNING"}, "unrelated": {0: "RUNNING"}}
    states = {s.job.id: s for s in job_states([ok, failed, queued, killed, running], tmp_path,
                                              "cl", queue)}
    assert {k: s.status for k, s in states.items()} == {
        ok.id: "ok", failed.id: "queued", queued.id: "queued", killed.id: "missing",
        running.id: "running"}
    assert states[killed.id].reason.startswith("killed by Slurm at its time limit")
    assert "41_2.out" in states[killed.id].reason
    # Without the queue (Slurm unreachable): result files only.
    plain = {s.job.id: s.status for s in job_states([ok, failed, queued], tmp_path, "cl", None)}
    assert plain == {ok.id: "ok", failed.id: "failed", queued.id: "missing"}
    text = summary(list(states.values()))
    assert "done         1  (ok 1, diverged 0, failed 0, timeout 0)" in text
    assert "running      1" in text and "queued       2" in text and "missing      1" in text


@pytest.mark.parametrize("log, reason", [
    ("*** JOB 5 ON vm CANCELLED AT 2026-12-01T21:00:00 ***", "cancelled (scancel)"),
    ("*** JOB 5 ON vm CANCELLED AT 2026-12-01T21:00:00 DUE TO NODE FAILURE ***",
     "its node failed"),
    ("slurmstepd: error: Detected 1 oom-kill event(s) in StepId=5.batch", "ran out of memory"),
    ("[ok] Lorenz__naive", None),
])
def test_task_log_reasons(tmp_path, log, reason):
    path = tmp_path / "5_0.out"
    path.write_text("some output\n" + log + "\n")
    found = slurm.task_log_reason(path)
    assert (found is None) if reason is None else found.startswith(reason)


def test_no_slurm_reachable_is_one_line_naming_what_was_tried(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no squeue, no sbatch
    with pytest.raises(slurm.SlurmError) as error:
        slurm.queued_tasks("cl")
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("no Slurm reachable: tried `squeue --me`")


def test_resources_follow_the_launcher_config():
    resources = slurm.Resources.from_launcher(
        {"timeout_min": 30, "cpus_per_task": 2, "mem_gb": 1.5, "partition": "short",
         "array_parallelism": 8, "qos": "low", "additional_parameters": {"requeue": ""}})
    assert resources.sbatch_options() == ["--time=30", "--cpus-per-task=2", "--mem=1536M",
                                          "--partition=short", "--qos=low", "--requeue="]
    message = slurm.explain_rejection("Invalid partition name specified", resources)
    assert "partition=short" in message and "hydra.launcher.partition=NAME" in message


def test_collect_compacts_and_writes_the_leaderboard(tmp_path, capsys):
    from chaosbench.commands import collect

    manifest = Manifest.new("cl", tmp_path, tiny_jobs(tmp_path, systems=("Lorenz",)))
    manifest.write()
    for index in (0, 1):
        run_manifest.main([str(manifest.path), "--index", str(index)])
    assert collect.main([f"results_dir={tmp_path}", "sweep_name=cl"]) == 0
    compact = pd.read_parquet(tmp_path / "cl" / "collected" / "cl.parquet")
    pd.testing.assert_frame_equal(compact, read_sweep(tmp_path, "cl"))
    board = pd.read_csv(tmp_path / "cl" / "leaderboard.csv")
    assert set(board.forecaster) == {"naive", "mean"}
    # The compacted file is not read back as a job's result.
    assert read_sweep(tmp_path, "cl").job_id.nunique() == 2
    capsys.readouterr()
    assert collect.main([f"results_dir={tmp_path}", "sweep_name=empty"]) == 2
    assert capsys.readouterr().err.startswith("error: no results in")


# ------------------------------------------------------------------ a real Slurm
@functools.lru_cache(maxsize=1)
def _slurm_up() -> bool:
    """``sinfo`` answers. Asked once, and only when a Slurm test runs: with the client installed
    but no controller, ``sinfo`` waits out its own timeout (about 10 s)."""
    try:
        return subprocess.run(["sinfo", "--noheader"], capture_output=True,
                              timeout=20).returncode == 0
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False


@pytest.fixture
def slurm_reachable():
    if not _slurm_up():
        pytest.skip("no Slurm reachable (.ci/services/slurm.sh start)")


needs_slurm = pytest.mark.usefixtures("slurm_reachable")


def _wait_for_queue(sweep: str, until, timeout_s: float = 240) -> None:
    deadline = time.monotonic() + timeout_s
    while not until(slurm.queued_tasks(sweep)):
        assert time.monotonic() < deadline, f"Slurm queue of {sweep} did not settle"
        time.sleep(1)


@pytest.fixture
def task_env(monkeypatch):
    """Array tasks inherit the submitter's environment: this checkout and tests/faulty.py."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), str(ROOT / "tests")]))


def chaosbench(*args, timeout=300):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]))
    return subprocess.run([sys.executable, "-m", "chaosbench", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.integration
@pytest.mark.slurm
@needs_slurm
def test_slurm_submit_status_collect_and_retry(tmp_path, task_env, monkeypatch):
    from chaosbench.cluster.submission import submit
    from chaosbench.sweep import expand

    sweep = f"cl-{tmp_path.name}"
    overrides = ["system=Lorenz,Rossler", "forecaster=naive,mean", *TINY_ARGS,
                 f"results_dir={tmp_path}", f"sweep_name={sweep}"]
    out = chaosbench("submit", *overrides, "hydra.launcher.mem_gb=1",
                     "hydra.launcher.array_parallelism=2")
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"sweep {sweep}: submitted 4 missing jobs as array" in out.stdout
    assert "--array=0-3%2, 1 CPU, 1024 MB, 60 min per task" in out.stdout
    [manifest] = [Manifest.read(p) for p in (tmp_path / sweep / ".submit").glob("*/manifest.json")]
    jobs = expand(overrides)
    assert [job.id for job in manifest.jobs] == [job.id for job in jobs]

    # A submitter killed after sbatch, before it recorded the array id: a second submit still
    # finds the tasks (by job name in squeue) and submits nothing.
    array_id = manifest.array_id
    (manifest.folder / "array_id").unlink()
    resources = slurm.Resources(mem_gb=1, timeout_min=10, array_parallelism=2)
    second = submit(jobs, sweep, tmp_path, resources)
    assert second.manifest is None
    assert {s.status for s in second.states} <= {"queued", "running", "ok"}
    manifest.record_array(array_id)

    _wait_for_queue(sweep, lambda queue: not queue)
    status = chaosbench("status", *overrides)
    assert status.returncode == 0, status.stderr[-2000:]
    assert "done         4  (ok 4, diverged 0, failed 0, timeout 0)" in status.stdout
    assert "missing      0" in status.stdout
    assert len(list(manifest.logs.glob(f"{array_id}_*.out"))) == 4
    assert submit(jobs, sweep, tmp_path, resources).manifest is None  # all done

    # --retry-failed: only the failed job goes in the new manifest, and is rerun.
    failed_file(jobs[0], monkeypatch)
    retry = submit(jobs, sweep, tmp_path, resources, retry_failed=True)
    assert [job.id for job in retry.manifest.jobs] == [jobs[0].id]
    assert retry.manifest.replaces == {jobs[0].id: file_stamp(jobs[0].path)}
    _wait_for_queue(sweep, lambda queue: not queue)
    assert read_sweep(tmp_path, sweep).drop_duplicates("job_id").status.tolist() == ["ok"] * 4

    collected = chaosbench("collect", f"results_dir={tmp_path}", f"sweep_name={sweep}")
    assert collected.returncode == 0, collected.stderr[-2000:]
    assert (tmp_path / sweep / "collected" / f"{sweep}.parquet").is_file()


@pytest.mark.integration
@pytest.mark.slurm
@needs_slurm
def test_slurm_cancelled_job_ends_missing_with_the_reason(tmp_path, task_env):
    from chaosbench.cluster.submission import submit

    sweep = f"cl-{tmp_path.name}"
    sleeper = Job("Lorenz", "sleeper", {"_target_": "faulty.Sleeper"}, TINY, sweep=sweep,
                  results_dir=str(tmp_path), timeout_s=300)
    done = submit([sleeper], sweep, tmp_path, slurm.Resources(mem_gb=0.5, timeout_min=10))
    _wait_for_queue(sweep, lambda queue: "RUNNING" in queue.get(done.manifest.id, {}).values(),
                    timeout_s=120)
    time.sleep(2)
    subprocess.run(["scancel", done.array_id], check=True)
    _wait_for_queue(sweep, lambda queue: not queue, timeout_s=60)
    [state] = job_states([sleeper], tmp_path, sweep, slurm.queued_tasks(sweep))
    assert state.status == "missing"
    assert state.reason.startswith("cancelled (scancel)")


@pytest.mark.integration
@pytest.mark.slurm
@needs_slurm
@pytest.mark.parametrize("resources, expected", [
    (slurm.Resources(mem_gb=100000), "memory: each task asks for mem_gb=100000"),
    (slurm.Resources(cpus_per_task=4096), "CPUs: each task asks for cpus_per_task=4096"),
    (slurm.Resources(partition="no_such_partition"), "Invalid partition name specified"),
])
def test_slurm_refusals_are_one_line_and_leave_nothing(tmp_path, resources, expected):
    from chaosbench.cluster.submission import submit

    with pytest.raises(slurm.SlurmError) as error:
        submit(tiny_jobs(tmp_path), "cl", tmp_path, resources)
    message = str(error.value)
    assert expected in message and "\n" not in message
    if "each task asks" in expected:
        assert "hydra.launcher." in message  # the override that changes it
    assert not list((tmp_path / "cl" / ".submit").iterdir())


# ------------------------------------------------------------------ a Ray head
def _ray_up() -> bool:
    """A head's GCS answers on 127.0.0.1:6379 (where .ci/services/ray.sh starts it)."""
    import importlib.util
    import socket

    if importlib.util.find_spec("ray") is None:
        return False
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", 6379)) == 0


def _bench(*args, root):
    """``chaosbench bench -m`` in a fresh interpreter; for Ray with the launcher registered (an
    editable install hides it from Hydra's plugin scan; see ray_engine.register_launcher)."""
    code = ("import sys; from chaosbench.cluster.ray_engine import register_launcher; "
            "register_launcher(); from chaosbench.cli import main; sys.exit(main(sys.argv[1:]))")
    command = ["-c", code] if "hydra/launcher=ray" in args else ["-m", "chaosbench"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]))
    return subprocess.run([sys.executable, *command, "bench", "-m", *args, *TINY_ARGS,
                           f"results_dir={root}"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.integration
@pytest.mark.ray
@pytest.mark.skipif(not _ray_up(), reason="no Ray head on 127.0.0.1:6379 "
                    "(.ci/services/ray.sh start)")
def test_ray_sweep_matches_joblib_and_resumes(tmp_path):
    sweep = ["system=Lorenz,Rossler", "forecaster=naive,linear"]
    for launcher in ("joblib", "ray"):
        out = _bench(*sweep, f"hydra/launcher={launcher}", root=tmp_path / launcher)
        assert out.returncode == 0, out.stderr[-3000:]
    by_launcher = {name: read_sweep(tmp_path / name, "adhoc").set_index(["job_id", "metric"])
                   for name in ("joblib", "ray")}
    assert by_launcher["ray"].index.get_level_values(0).nunique() == 4
    # Same jobs, same numbers: the data and the fits are seeded, so equal to the last bit.
    pd.testing.assert_series_equal(by_launcher["ray"].value.sort_index(),
                                   by_launcher["joblib"].value.sort_index())

    folder = tmp_path / "ray" / "adhoc"
    files = {p: p.stat().st_mtime_ns for p in folder.glob("*.parquet")}
    again = _bench(*sweep, "hydra/launcher=ray", root=tmp_path / "ray")
    assert again.returncode == 0, again.stderr[-3000:]
    assert {p: p.stat().st_mtime_ns for p in files} == files
    log = (folder / "jobs.log").read_text().splitlines()
    assert len(log) == 8 and all("\tskipped\t" in line for line in log[4:])
