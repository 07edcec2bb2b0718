"""Thread limits: parallel jobs must not fight over the cores (a multithreaded BLAS or torch
sharing them with other jobs spends its time waiting, 10-100x slower).

    limit_env(1)              # at the top of a command, before torch (or a child) loads
    with limited(job.threads):  # BLAS / OpenMP pools and torch's intra-op threads, restored after
        ...

Forecasters never set thread counts themselves; the runner does, around each job.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator

__all__ = ["ENV_VARS", "limit_env", "env_exports", "limited"]

#: The variables BLAS / OpenMP runtimes (and torch, numexpr) read when they load.
ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def limit_env(n: int = 1) -> None:
    """Default every :data:`ENV_VARS` to ``n`` (a value the user set is kept): libraries loaded
    from now on, and child processes, start with ``n`` threads."""
    for var in ENV_VARS:
        os.environ.setdefault(var, str(n))


def env_exports(n: int = 1) -> str:
    """The shell line that sets every :data:`ENV_VARS` to ``n`` (for batch scripts)."""
    return "export " + " ".join(f"{var}={n}" for var in ENV_VARS)


@contextlib.contextmanager
def limited(n: int, *, blas_only: bool = False) -> Iterator[None]:
    """Cap the loaded BLAS/OpenMP pools (only BLAS with ``blas_only``) and, unless
    ``blas_only``, torch's intra-op threads if torch is loaded, at ``n``; restored on exit.
    Never imports torch itself; without threadpoolctl (optional) the pools keep their size."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        pools = contextlib.nullcontext()
    else:
        pools = threadpool_limits(limits=n, user_api="blas" if blas_only else None)
    torch = None if blas_only else sys.modules.get("torch")
    previous = torch.get_num_threads() if torch is not None else None
    with pools:
        if torch is not None:
            torch.set_num_threads(n)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(previous)
