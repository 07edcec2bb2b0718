"""What ``submit``, ``status``, ``collect`` and ``run-manifest`` share at the command line:
usage errors, an unreachable or refusing Slurm and refused manifests are one line on stderr with
exit status 2."""

from __future__ import annotations

import sys
from typing import Callable

from chaosbench.cli import UsageError
from chaosbench.cluster.config import Settings, settings
from chaosbench.cluster.manifest import ManifestError
from chaosbench.cluster.slurm import SlurmError

__all__ = ["fail", "parse", "run_guarded"]


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def parse(command: str, overrides: list[str]) -> Settings:
    """:func:`chaosbench.cluster.config.settings`, with Hydra's composition errors as one
    usage line."""
    try:
        return settings(command, overrides)
    except UsageError:
        raise
    except Exception as error:  # Hydra's ConfigCompositionException, MissingConfigException...
        cause = f": {error.__cause__}" if error.__cause__ else ""
        raise UsageError(" ".join(f"{error}{cause}".split())) from None


def run_guarded(body: Callable[[], int]) -> int:
    try:
        return body()
    except UsageError as error:
        return fail(error.message)
    except (SlurmError, ManifestError) as error:
        return fail(str(error))
