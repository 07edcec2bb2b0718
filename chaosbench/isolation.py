"""Run a piece of work in a child process that nothing it does can escape.

    outcome = run_isolated(work, timeout_s=60)
    outcome.kind        # "returned", "raised", "timeout" or "crashed"

The child is forked from the caller, so it starts warm with every module the caller has imported
and costs a few milliseconds. It

* runs in its own process group: the work and anything it starts are signalled together;
* dies with its parent (``PR_SET_PDEATHSIG`` on Linux), so a killed sweep leaves no orphans;
* writes stdout and stderr to a capture file, whose last lines explain a crash;
* hands its return value back through a pipe (pickled), so nothing it does to its own memory,
  its working directory or its signal handlers reaches the caller.

The caller waits until the deadline, then sends SIGTERM to the group and SIGKILL ``grace_s``
later. The work cannot catch, cancel or outlive its limit: the clock runs in another process.
A crash, ``os._exit``, ``sys.exit``, a segfault, an out-of-memory kill or ``KeyboardInterrupt``
inside the work each become an :class:`Outcome`; the caller goes on. If the caller itself is
interrupted (Ctrl-C, SIGTERM turned into an exception) the child's group is killed before the
exception propagates.
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import os
import pickle
import select
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

__all__ = ["Outcome", "run_isolated", "describe_exception"]

_PR_SET_PDEATHSIG = 1
_TAIL_LINES = 8


@dataclass
class Outcome:
    """What became of one isolated call.

    ``kind`` is ``returned`` (``value`` holds the return value), ``raised`` (``error`` describes
    the exception), ``timeout`` (killed at the deadline) or ``crashed`` (the child ended without
    answering: ``exit`` says how). ``output`` is the tail of what the child printed.
    """

    kind: str
    value: Any = None
    error: str = ""
    exit: str = ""
    output: str = ""
    wall_s: float = 0.0

    @property
    def reason(self) -> str:
        """One line for a result row: what happened, and the last words the child printed."""
        text = {"returned": "", "raised": self.error, "timeout": self.error,
                "crashed": f"job process {self.exit}"}[self.kind]
        if self.kind != "returned" and self.output:
            text += f" | last output: {self.output}"
        return text


def describe_exception(error: BaseException) -> str:
    """``Type: message (at file.py:line)``, the innermost frame of the traceback."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}{where}"


def _die_with_parent(parent: int) -> None:
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _child(work: Callable[[], Any], answer_fd: int, capture_fd: int, parent: int) -> None:
    """Body of the forked child; never returns."""
    code = 0
    try:
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)
        _die_with_parent(parent)
        for signum in (signal.SIGTERM, signal.SIGALRM, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        faulthandler.disable()  # a host's handler would dump the caller's stack into its stderr
        os.dup2(capture_fd, 1)
        os.dup2(capture_fd, 2)
        # Fresh stream objects: locks held by the parent's other threads at fork time must not
        # be inherited by the child's writes.
        sys.stdout = open(1, "w", buffering=1, closefd=False, errors="replace")
        sys.stderr = open(2, "w", buffering=1, closefd=False, errors="replace")
        try:
            payload = ("returned", work())
        except BaseException as error:  # noqa: BLE001 - everything becomes the job's outcome
            payload = ("raised", describe_exception(error))
        try:
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # an unpicklable return value
            data = pickle.dumps(("raised", f"cannot send the result back: {describe_exception(error)}"))
        view = memoryview(data)
        while view:
            view = view[os.write(answer_fd, view):]
    except BaseException:  # noqa: BLE001 - the child must never fall back into the caller's code
        code = 70
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _exit_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else signum
        hint = " (out of memory, or killed from outside)" if signum == signal.SIGKILL else ""
        return f"was killed by {name}{hint}"
    if os.WIFEXITED(status):
        return f"exited with status {os.WEXITSTATUS(status)} without answering"
    return f"ended with wait status {status}"


def _tail(capture) -> str:
    with contextlib.suppress(Exception):
        capture.seek(0, os.SEEK_END)
        size = capture.tell()
        capture.seek(max(0, size - 8192))
        lines = capture.read().decode(errors="replace").splitlines()
        return " / ".join(line.strip() for line in lines[-_TAIL_LINES:] if line.strip())[-1500:]
    return ""


def _kill_group(pid: int, grace_s: float) -> int:
    """SIGTERM the child's group, SIGKILL it ``grace_s`` later; returns the child's wait status."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.02)
    else:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)  # anything the child left behind in its group
    return status


def _reap(pid: int, deadline: float | None) -> int | None:
    """Wait for a child that closed its pipe; None if it is still alive at the deadline."""
    while deadline is None or time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.002)
    return None


def run_isolated(work: Callable[[], Any], *, timeout_s: float | None = None,
                 grace_s: float = 2.0, poll_s: float = 0.5) -> Outcome:
    """Call ``work()`` in a forked child under a hard wall-clock limit (see the module doc)."""
    start = time.monotonic()
    deadline = start + timeout_s if timeout_s else None
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryFile() as capture:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError as error:
            os.close(read_fd)
            os.close(write_fd)
            return Outcome("crashed", exit=f"could not be started: {error}")
        if pid == 0:  # pragma: no cover - runs in the child
            os.close(read_fd)
            _child(work, write_fd, capture.fileno(), parent)
        os.close(write_fd)
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)  # also done by the child; whichever runs first wins the race
        chunks: list[bytes] = []
        status = None
        try:
            while status is None:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                wait = poll_s if remaining is None else min(poll_s, remaining)
                # Wakes at once on data or end of file; ``poll_s`` only bounds how long a child
                # that exited while a grandchild holds the pipe open goes unnoticed.
                if select.select([read_fd], [], [], wait)[0]:
                    chunk = os.read(read_fd, 1 << 20)
                    if chunk:
                        chunks.append(chunk)
                        continue
                    status = _reap(pid, deadline)  # end of file: the child is exiting
                    continue
                done, wait_status = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = wait_status
            if status is None:  # past the deadline
                status = _kill_group(pid, grace_s)
                return Outcome("timeout", error=f"ran past its limit of timeout_s={timeout_s:g} s "
                               f"and was killed", output=_tail(capture),
                               wall_s=time.monotonic() - start)
            while select.select([read_fd], [], [], 0)[0]:  # whatever is left in the pipe
                chunk = os.read(read_fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        except BaseException:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            raise
        finally:
            os.close(read_fd)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # grandchildren the work left running
        wall = time.monotonic() - start
        try:
            kind, value = pickle.loads(b"".join(chunks))
        except Exception:
            return Outcome("crashed", exit=_exit_text(status), output=_tail(capture), wall_s=wall)
        if kind == "returned":
            return Outcome("returned", value=value, wall_s=wall)
        return Outcome("raised", error=value, output=_tail(capture), wall_s=wall)
