"""How chaosbench's Numba kernels are compiled: one decorator, one on-disk cache, one notice.

Every kernel (the virtual machine and the integrators) is compiled lazily on first use, once per
machine, and cached on disk; later processes load it in milliseconds. Where the cache lives:

* ``CHAOSBENCH_CACHE_DIR``, if set: a folder for chaosbench's kernels (and any other Numba code
  the same process caches after this module is imported: that is, once a field is evaluated or a
  trajectory integrated), e.g. a shared folder filled ahead of time by ``chaosbench warmup`` on
  nodes whose package directory is read-only;
* otherwise Numba's own rule: ``NUMBA_CACHE_DIR`` if set, else ``__pycache__`` next to the
  package, else a per-user folder when the package directory is not writable.

Numba's cache is keyed by the source file's time stamp and the CPU, so a warmed folder serves every
node with the same installation path and processor. Compiling is slow (seconds): when one kernel
takes longer than :data:`SLOW_COMPILE_SECONDS`, one line on stderr says so and how to avoid it.
"""

from __future__ import annotations

import os
import sys
import time

import numba
from numba.core import event

__all__ = ["kernel", "helper", "cache_dir", "CACHE_ENV", "SLOW_COMPILE_SECONDS"]

CACHE_ENV = "CHAOSBENCH_CACHE_DIR"
SLOW_COMPILE_SECONDS = 1.0

if os.environ.get(CACHE_ENV):
    # Read by Numba when a cached function is decorated, so this must run before any kernel.
    numba.config.CACHE_DIR = os.path.abspath(os.path.expanduser(os.environ[CACHE_ENV]))


def kernel(fn=None, **options):
    """``numba.njit`` with chaosbench's settings: cached on disk, releases the GIL."""
    options = {"cache": True, "nogil": True} | options
    return numba.njit(**options) if fn is None else numba.njit(**options)(fn)


def helper(fn):
    """A :func:`kernel` called only from other kernels: no CPython or C-callable wrapper is
    generated, so it is lowered and optimised without them (about 2% of a cold start); it
    cannot be called from Python."""
    return kernel(fn, no_cpython_wrapper=True, no_cfunc_wrapper=True)


def cache_dir() -> str:
    """Where kernels are cached: the configured folder, or a description of Numba's default."""
    return numba.config.CACHE_DIR or "__pycache__ beside the package (or Numba's per-user folder)"


class _SlowCompileNotice(event.Listener):
    """Times each outermost compilation of a chaosbench kernel; prints one line if slow."""

    def __init__(self):
        self.depth = 0
        self.start = 0.0

    def on_start(self, ev):
        if self.depth == 0:
            self.start = time.perf_counter()
        self.depth += 1

    def on_end(self, ev):
        self.depth -= 1
        if self.depth:
            return
        elapsed = time.perf_counter() - self.start
        func = getattr(ev.data.get("dispatcher"), "py_func", None)
        module = getattr(func, "__module__", "") or ""
        if elapsed > SLOW_COMPILE_SECONDS and module.startswith("chaosbench"):
            print(f"chaosbench: compiled {module}.{func.__name__} in {elapsed:.1f} s (once per "
                  f"machine; cached in {cache_dir()}; `chaosbench warmup` does it ahead of time)",
                  file=sys.stderr)


event.register("numba:compile", _SlowCompileNotice())
