"""``chaosbench run-manifest MANIFEST --index I``: run entry ``I`` of a manifest (what each Slurm
array task does; see :mod:`chaosbench.cluster.manifest`).

Requeue-safe: the job runs only while its result file is what it was at submission (absent, or
the very failed file being retried); otherwise the task exits, rewriting nothing.
"""

from __future__ import annotations

import argparse
import dataclasses

from chaosbench.cluster.commandline import fail, run_guarded


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="chaosbench run-manifest",
                                     description="Run one entry of a submission's manifest.")
    parser.add_argument("manifest")
    parser.add_argument("--index", type=int, required=True, help="the entry (0-based)")
    args = parser.parse_args(argv)
    return run_guarded(lambda: _run(args.manifest, args.index))


def _run(path: str, index: int) -> int:
    from chaosbench.cluster.manifest import Manifest, file_stamp
    from chaosbench.runner import run_job

    manifest = Manifest.read(path)
    manifest.check_catalogue()
    if not 0 <= index < len(manifest.jobs):
        return fail(f"--index {index} is out of range: {manifest.path} has "
                    f"{len(manifest.jobs)} jobs (0-{len(manifest.jobs) - 1})")
    job = manifest.jobs[index]
    found = file_stamp(job.path)
    if found is not None and found != manifest.replaces.get(job.id):
        print(f"[skipped] {job.id}: its result file was written after submission "
              f"(a requeued task, or another run); nothing rewritten", flush=True)
        return 0
    result = run_job(dataclasses.replace(job, force=found is not None))
    print(f"[{result.status}] {job.id}{' ' + result.reason if result.reason else ''}", flush=True)
    return 0
