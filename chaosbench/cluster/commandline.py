"""What ``submit``, ``status``, ``collect`` and ``run-manifest`` share at the command line:
the arguments of a sweep command (:func:`sweep_command`); usage errors, an unreachable or refusing
Slurm and refused manifests are one line on stderr with exit status 2."""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from chaosbench.cli import UsageError
from chaosbench.cluster.config import Settings, settings
from chaosbench.cluster.manifest import ManifestError
from chaosbench.cluster.slurm import SlurmError

__all__ = ["fail", "parse", "run_guarded", "sweep_command"]


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


def sweep_command(argv: list[str], name: str, description: str,
                  body: Callable[[Settings, argparse.Namespace], int], *,
                  overrides_help: str = "the overrides of chaosbench bench",
                  switches: tuple[tuple[str, str], ...] = ()) -> int:
    """``chaosbench <name> [overrides...] [--switch ...]``: parse the arguments, compose the
    sweep's :class:`~chaosbench.cluster.config.Settings` from the overrides and return
    ``body(settings, args)``; every failure is one line with exit status 2. ``switches``:
    ``(option, help)`` of each on/off flag (``args.<option>``)."""
    parser = argparse.ArgumentParser(prog=f"chaosbench {name}", description=description)
    parser.add_argument("overrides", nargs="*", help=overrides_help)
    for option, text in switches:
        parser.add_argument(option, action="store_true", help=text)
    args = parser.parse_args(argv)
    return run_guarded(lambda: body(parse(f"chaosbench {name}", args.overrides), args))
