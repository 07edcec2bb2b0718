"""Slurm through its command-line tools: submit a manifest as one throttled job array, see which
of its tasks are still queued or running, and read why Slurm ended a task.

Only ``sbatch``, ``squeue`` and ``sinfo`` are used, never ``sacct``: clusters without accounting
(and the single-node test cluster of ``.ci/services/slurm.sh``) have no ``sacct``, and a job's
outcome is its result file anyway. Every failure is raised as :class:`SlurmError` carrying one
line a user can act on: what was tried, Slurm's own reason, and the override that changes it.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from chaosbench.cluster.manifest import Manifest
from chaosbench.threads import env_exports

__all__ = ["SlurmError", "Resources", "submit_array", "queued_tasks", "task_log_reason",
           "job_name", "misfit", "explain_rejection"]

_START_HINT = ("on a cluster, run this where sbatch works (a login node); on one machine, start "
               "a test cluster with .ci/services/slurm.sh start")


class SlurmError(RuntimeError):
    """Slurm could not be reached or refused a request; the message is one line."""


@dataclass(frozen=True)
class Resources:
    """What each array task asks for. Built from ``hydra.launcher`` (conf/hydra/launcher/
    slurm.yaml), so ``hydra.launcher.mem_gb=4`` changes it on the command line."""

    timeout_min: int = 60
    cpus_per_task: int = 1
    mem_gb: float = 2.0
    partition: str | None = None
    array_parallelism: int = 64
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_launcher(cls, launcher: Mapping[str, Any]) -> "Resources":
        extra = {key: launcher.get(key) for key in ("qos", "account", "constraint", "exclude",
                                                    "gres", "comment") if launcher.get(key)}
        extra.update(launcher.get("additional_parameters") or {})
        return cls(timeout_min=int(launcher.get("timeout_min") or 60),
                   cpus_per_task=int(launcher.get("cpus_per_task") or 1),
                   mem_gb=float(launcher.get("mem_gb") or 2.0),
                   partition=launcher.get("partition") or None,
                   array_parallelism=int(launcher.get("array_parallelism") or 64), extra=extra)

    @property
    def mem_mb(self) -> int:
        return int(round(self.mem_gb * 1024))

    def sbatch_options(self) -> list[str]:
        options = [f"--time={self.timeout_min}", f"--cpus-per-task={self.cpus_per_task}",
                   f"--mem={self.mem_mb}M"]
        if self.partition:
            options.append(f"--partition={self.partition}")
        options += [f"--{key.replace('_', '-')}={value}" for key, value in self.extra.items()]
        return options


def _run(args: list[str]) -> str:
    """Run a Slurm tool; its stdout, or :class:`SlurmError` naming what was tried."""
    tried = " ".join(args[:2])
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise SlurmError(f"no Slurm reachable: tried `{tried}`, but {args[0]} is not on PATH; "
                         f"{_START_HINT}") from None
    except subprocess.TimeoutExpired:
        raise SlurmError(f"no Slurm reachable: `{tried}` did not answer within 60 s") from None
    if out.returncode != 0:
        reason = _reason(out.stderr) or f"exit status {out.returncode}"
        if args[0] == "sbatch":
            raise SlurmError(reason)
        raise SlurmError(f"no Slurm reachable: tried `{tried}`: {reason}; {_START_HINT}")
    return out.stdout


def _reason(stderr: str) -> str:
    """Slurm's error lines, without the ``sbatch: error:`` prefixes, joined into one line."""
    lines = [re.sub(r"^\w+: error: ", "", line.strip()) for line in stderr.splitlines()]
    return "; ".join(line for line in lines if line)


def job_name(sweep: str, manifest_id: str = "") -> str:
    """The array's job name, by which a later ``submit`` or ``status`` recognises its tasks."""
    return f"chaosbench:{sweep}:{manifest_id}"


def queued_tasks(sweep: str) -> dict[str, dict[int, str]]:
    """This user's queued or running array tasks of ``sweep``: manifest id -> {task index: Slurm
    state}. Found by job name, so an array whose id was never recorded (a submitter killed
    between ``sbatch`` and writing ``array_id``) is still seen."""
    out = _run(["squeue", "--me", "--array", "--noheader", "--format=%j|%K|%T"])
    prefix = job_name(sweep)
    tasks: dict[str, dict[int, str]] = {}
    for line in out.splitlines():
        name, _, rest = line.strip().partition("|")
        index, _, state = rest.partition("|")
        if name.startswith(prefix) and index.isdigit():
            tasks.setdefault(name[len(prefix):], {})[int(index)] = state
    return tasks


def _task_script(manifest: Manifest) -> Path:
    script = manifest.folder / "task.sh"
    command = [sys.executable, "-m", "chaosbench", "run-manifest", str(manifest.path.resolve())]
    script.write_text(
        "#!/bin/bash\n"
        "# One array task: runs manifest entry $SLURM_ARRAY_TASK_ID (chaosbench run-manifest).\n"
        f"{env_exports(1)}\n"
        f"exec {shlex.join(command)} --index \"$SLURM_ARRAY_TASK_ID\"\n")
    script.chmod(0o755)
    return script


def submit_array(manifest: Manifest, resources: Resources) -> str:
    """Submit ``manifest`` as one array ``0-(n-1)%parallelism``; returns the array's job id."""
    n = len(manifest.jobs)
    if n == 0:
        raise ValueError("nothing to submit: the manifest has no jobs")
    if (detail := misfit(resources)) is not None:
        raise SlurmError(f"no node can run a task: {detail}")
    script = _task_script(manifest)
    args = ["sbatch", "--parsable", f"--array=0-{n - 1}%{resources.array_parallelism}",
            f"--job-name={job_name(manifest.sweep, manifest.id)}",
            f"--output={manifest.logs.resolve()}/%A_%a.out", f"--chdir={Path.cwd()}",
            *resources.sbatch_options(), str(script.resolve())]
    try:
        out = _run(args)
    except SlurmError as error:
        raise SlurmError(explain_rejection(str(error), resources)) from None
    return out.strip().split(";")[0]


def _largest_node(partition: str | None) -> tuple[int, int, str]:
    """(CPUs, memory in MB, partition name) of the biggest node of ``partition`` (default: the
    default partition)."""
    out = _run(["sinfo", "--noheader", "--Node", "--format=%P|%c|%m"])
    cpus = mem = 0
    name = partition or ""
    for line in out.splitlines():
        part, c, m = (line.strip().split("|") + ["", ""])[:3]
        default = part.endswith("*")
        part = part.rstrip("*")
        if (partition and part == partition) or (not partition and default):
            name = part
            cpus = max(cpus, int(re.sub(r"\D", "", c) or 0))
            mem = max(mem, int(re.sub(r"\D", "", m) or 0))
    return cpus, mem, name


def misfit(resources: Resources) -> str | None:
    """What no node of the partition offers (memory or CPUs), with the override that changes
    it; None when the largest node fits a task. Slurm itself accepts a task of more CPUs than
    any node has and leaves it pending for ever (reason ``PartitionConfig``)."""
    cpus, mem, partition = _largest_node(resources.partition)
    where = f"the largest node of partition {partition}" if partition else "the largest node"
    if mem and resources.mem_mb > mem:
        return (f"memory: each task asks for mem_gb={resources.mem_gb:g} ({resources.mem_mb} MB)"
                f" but {where} has {mem} MB; lower it with "
                f"hydra.launcher.mem_gb={max(mem // 1024, 1)} or less")
    if cpus and resources.cpus_per_task > cpus:
        return (f"CPUs: each task asks for cpus_per_task={resources.cpus_per_task} but {where} "
                f"has {cpus}; lower it with hydra.launcher.cpus_per_task={cpus} or less")
    return None


def explain_rejection(reason: str, resources: Resources) -> str:
    """One line for an ``sbatch`` refusal: Slurm's reason, then the resource that no node
    offers and the override that changes it."""
    head = f"sbatch refused the array: {reason}"
    lowered = reason.lower()
    if "partition" in lowered:
        return (f"{head} (partition={resources.partition}; choose one of `sinfo --summarize` "
                f"with hydra.launcher.partition=NAME)")
    if "time limit" in lowered:
        return (f"{head} (each task asks for timeout_min={resources.timeout_min}; lower it with "
                f"hydra.launcher.timeout_min=N)")
    try:
        detail = misfit(resources)
    except SlurmError:
        detail = None
    return f"{head}: {detail}" if detail else (
        f"{head} (each task asks for {resources.cpus_per_task} CPU, {resources.mem_mb} MB, "
        f"{resources.timeout_min} min)")


_KILLED = [
    (re.compile(r"CANCELLED AT \S+ DUE TO TIME LIMIT"), "killed by Slurm at its time limit "
     "(hydra.launcher.timeout_min)"),
    (re.compile(r"CANCELLED AT \S+ DUE TO PREEMPTION"), "preempted by Slurm"),
    (re.compile(r"CANCELLED AT \S+ DUE TO NODE FAIL"), "its node failed"),
    (re.compile(r"CANCELLED AT"), "cancelled (scancel)"),
    (re.compile(r"oom[-_ ]kill|Out Of Memory|MemoryError", re.IGNORECASE),
     "ran out of memory (hydra.launcher.mem_gb)"),
]


def task_log_reason(log: Path) -> str | None:
    """Why Slurm ended a task, from the messages ``slurmstepd`` writes into its log."""
    try:
        with open(log, "rb") as f:
            f.seek(max(0, f.seek(0, 2) - 8192))
            tail = f.read().decode(errors="replace")
    except FileNotFoundError:
        return None
    for pattern, reason in _KILLED:
        if pattern.search(tail):
            return reason
    return None
