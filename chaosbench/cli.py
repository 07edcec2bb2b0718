"""Command-line support shared by the runners: check overrides before Hydra sees them, expand
``all``, and show a progress bar for multiruns.

Hydra reports an unknown config option or a malformed override with a multi-line traceback; a
researcher should get one line naming the valid choices and the nearest one, a non-zero exit and
nothing written. :func:`preflight` does that, and expands ``system=all`` (the whole catalogue) and
``forecaster=all`` / ``protocol=all`` into comma lists (which imply ``-m``).
"""

from __future__ import annotations

import math
import sys
import threading
import time
from pathlib import Path
from typing import Callable

from chaosbench.catalogue import suggest, systems
from chaosbench.paths import data_dir

__all__ = ["UsageError", "preflight", "count_jobs", "Progress"]

_GROUPS = ("forecaster", "protocol", "sweep")


class UsageError(SystemExit):
    """A bad command line: the message is one line; exit status 2."""

    def __init__(self, message: str):
        super().__init__(2)
        self.message = message


def choices(key: str, nested: bool = True) -> list[str]:
    """Valid values of ``system`` or of a config group; ``nested`` includes options in
    subfolders (profiles such as ``forecaster=paper/nbeats``), which ``all`` leaves out."""
    if key == "system":
        return systems()
    folder = data_dir("conf") / key
    files = folder.rglob("*.yaml") if nested else folder.glob("*.yaml")
    return sorted(p.relative_to(folder).with_suffix("").as_posix() for p in files)


def _parse(overrides: list[str]):
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    try:
        return parser.parse_overrides(overrides)
    except Exception as error:  # Hydra's OverrideParseException and friends
        message = " ".join(str(error).split())
        raise UsageError(f"malformed override: {message}") from None


def _values(override) -> list[str]:
    if override.is_sweep_override():
        return [str(v) for v in override.sweep_string_iterator()]
    return [str(override.value())]


def preflight(argv: list[str]) -> list[str]:
    """Check and expand a runner's command line; returns the arguments to hand to Hydra."""
    head, args = argv[:1], list(argv[1:])
    flags = [a for a in args if a.startswith("-")]
    overrides = [a for a in args if not a.startswith("-")]
    expanded, multirun = [], False
    for text, override in zip(overrides, _parse(overrides)):
        key = override.key_or_group
        if key in ("system", *_GROUPS) and override.package is None and not override.is_delete():
            valid = choices(key)
            values = _values(override)
            if values == ["all"]:
                values = choices(key, nested=False) if key != "sweep" else values
                text = f"{key}={','.join(values)}"
                multirun = multirun or len(values) > 1
            for value in values:
                if value not in valid:
                    raise UsageError(suggest(value, valid, key.replace("sweep", "sweep")))
        expanded.append(text)
    if multirun and not {"-m", "--multirun"} & set(flags):
        flags.insert(0, "-m")
    return head + flags + expanded


def count_jobs(overrides: list[str], sweep_params: dict[str, str]) -> int:
    """Number of jobs a multirun launches: the product of each swept key's value count, the
    command line taking precedence over the named sweep's ``hydra.sweeper.params``."""
    counts = {k: len(_values(o)) for k, o in
              zip(sweep_params, _parse([f"{k}={v}" for k, v in sweep_params.items()]))}
    for override in _parse([o for o in overrides if not o.startswith("-")]):
        counts[override.key_or_group] = len(_values(override))
    return math.prod(counts.values()) if counts else 1


class Progress:
    """A progress bar with ETA fed by the lines jobs append to ``results/<sweep>/jobs.log``."""

    def __init__(self, log: Path, total: int, poll_s: float = 1.0):
        self.log, self.total, self.poll_s = log, total, poll_s
        self.start_lines = self._lines()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _lines(self) -> int:
        try:
            with open(self.log, "rb") as f:
                return sum(1 for _ in f)
        except FileNotFoundError:
            return 0

    def _run(self) -> None:
        from tqdm import tqdm

        with tqdm(total=self.total, desc="jobs", unit="job", file=sys.stderr,
                  dynamic_ncols=True) as bar:
            while True:
                done = min(self._lines() - self.start_lines, self.total)
                bar.update(done - bar.n)
                if self._stop.is_set() or done >= self.total:
                    break
                time.sleep(self.poll_s)

    def __enter__(self) -> "Progress":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def run_cli(main: Callable[[], None], argv: list[str] | None = None) -> int:
    """Run a Hydra main after :func:`preflight`; usage errors print one line and exit 2."""
    argv = list(sys.argv if argv is None else argv)
    try:
        sys.argv = preflight(argv)
    except UsageError as error:
        print(f"error: {error.message}", file=sys.stderr)
        raise SystemExit(2) from None
    main()
    return 0


EXAMPLES = """\
examples:
  chaosbench bench system=Lorenz forecaster=esn forecaster.units=1000
  chaosbench bench -m system=Lorenz,Rossler forecaster=nvar,sindy seed=0,1,2
  chaosbench bench -m sweep=default hydra/launcher=joblib
  chaosbench bench --config-dir ./my_conf forecaster=mine      # your own model
  chaosbench leaderboard sweep_name=default
  chaosbench <command> --help                                   # a command's own options"""


def usage() -> str:
    """``chaosbench --help``: the commands, the config groups and examples."""
    from chaosbench.commands import COMMANDS

    width = max(map(len, COMMANDS))
    lines = ["usage: chaosbench <command> [args...]", "", "commands:"]
    lines += [f"  {name:<{width}}  {summary}" for name, (_, summary) in COMMANDS.items()]
    lines += ["", "config groups (override with group=option, e.g. forecaster=esn):"]
    for group in _GROUPS:
        options = choices(group)
        shown = ", ".join(options[:12]) + (f", ... ({len(options)} in all)" if len(options) > 12
                                           else "")
        lines.append(f"  {group}: {shown}")
    lines.append(f"  system: {len(systems())} systems (chaosbench catalogue lists them), or all")
    return "\n".join(lines + ["", EXAMPLES])


def main(argv: list[str] | None = None) -> int:
    """The ``chaosbench`` console script: dispatch to ``chaosbench.commands.<command>``."""
    import importlib

    from chaosbench.commands import COMMANDS

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    if argv[0] in ("-V", "--version"):
        from chaosbench import __version__

        print(f"chaosbench {__version__}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"error: {suggest(name, list(COMMANDS), 'command')}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"chaosbench.commands.{COMMANDS[name][0]}")
    status = module.main(rest)
    return int(status or 0)
