"""The ``chaosbench`` command: dispatch, and the checks every Hydra command line gets first.

Hydra reports an unknown option, a mistyped value or a malformed override with a multi-line
traceback, or not at all (``force=no`` is a true string). A researcher gets one line instead,
naming what was wrong, what is valid and the nearest name, exit status 2, and nothing written.
:func:`preflight` does that before Hydra runs:

* config-group choices (``forecaster=``, ``protocol=``, ``sweep=``) and ``system=`` are checked
  against what exists, including a user's ``--config-dir`` / ``hydra.searchpath`` folders and
  forecasters registered from Python or by package entry points;
* every value of a job setting (``seed``, ``timeout_s``, ``threads``, ``force``, ``retry``, ...)
  is checked against :mod:`chaosbench.settings`; ``protocol.<field>`` against the protocol's
  fields; ``forecaster.<hyperparameter>`` by building the model with it (and handed to Hydra as
  ``++forecaster.<hyperparameter>``: the YAML names the class, the class holds the defaults);
* ``system=all`` (every chaotic system), ``forecaster=all`` and ``protocol=all`` expand into
  comma lists, which imply ``-m``;
* Hydra's own flags pass through untouched: ``--cfg job``, ``-c job``, ``--config-dir DIR``,
  ``--info searchpath``, ``--help``, ``-m``.
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

from chaosbench.catalogue import systems
from chaosbench.options import all_choices, choices, launchers
from chaosbench.paths import data_dir
from chaosbench.suggest import suggest

__all__ = ["UsageError", "preflight", "count_jobs", "Progress", "main", "split_argv",
           "all_choices", "choices"]

_GROUPS = ("forecaster", "protocol", "sweep")

# Hydra flags that take a value (the next argument, or ``--flag=value``).
_VALUE_FLAGS = {"--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd",
                "--cfg", "-c", "--package", "-p", "--experimental-rerun",
                "--shell-completion", "-sc"}
_INFO_FLAGS = {"--info", "-i"}
_INFO_VALUES = {"all", "config", "defaults", "defaults-tree", "plugins", "searchpath"}


class UsageError(SystemExit):
    """A bad command line: the message is one line; exit status 2."""

    def __init__(self, message: str):
        super().__init__(2)
        self.message = message

    def __str__(self) -> str:
        return self.message


def split_argv(args: list[str]) -> tuple[list[str], list[str], list[str]]:
    """``(flags, overrides, config_dirs)``: Hydra's flags with their values, the overrides, and
    the folders added by ``--config-dir`` and ``hydra.searchpath=[file://...]``."""
    flags, overrides, dirs = [], [], []
    i = 0
    while i < len(args):
        arg = args[i]
        name = arg.split("=", 1)[0]
        if name in _VALUE_FLAGS:
            if "=" in arg:
                flags.append(arg)
                value = arg.split("=", 1)[1]
            elif i + 1 < len(args):
                flags += [arg, args[i + 1]]
                value = args[i + 1]
                i += 1
            else:
                raise UsageError(f"{arg} needs a value (e.g. {arg} job)")
            if name in ("--config-dir", "-cd"):
                dirs.append(value)
        elif name in _INFO_FLAGS:
            flags.append(arg)
            if "=" not in arg and i + 1 < len(args) and args[i + 1] in _INFO_VALUES:
                flags.append(args[i + 1])
                i += 1
        elif arg.startswith("-"):
            flags.append(arg)
        else:
            overrides.append(arg)
        i += 1
    return flags, overrides, dirs


def _searchpath_dirs(overrides: list[str]) -> list[str]:
    dirs = []
    for text in overrides:
        if text.startswith("hydra.searchpath="):
            value = text.split("=", 1)[1].strip("[]")
            dirs += [v.strip().strip("'\"")[len("file://"):] for v in value.split(",")
                     if v.strip().strip("'\"").startswith("file://")]
    return dirs


def _top_level_keys() -> list[str]:
    """The settings of ``conf/bench.yaml`` and of the sweep files (``sweep_name``)."""
    import yaml

    keys: set[str] = set()
    for path in [data_dir("conf") / "bench.yaml", *(data_dir("conf") / "sweep").glob("*.yaml")]:
        with open(path, encoding="utf-8") as f:
            keys |= set(yaml.safe_load(f) or {})
    return sorted(keys - {"defaults", "hydra"})


def _parse(overrides: list[str]):
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    try:
        return parser.parse_overrides(overrides)
    except Exception as error:  # Hydra's OverrideParseException and friends
        message = " ".join(str(error).split())
        raise UsageError(f"malformed override: {message}") from None


def _values(override) -> list[Any]:
    """The override's values, parsed by Hydra's grammar (``1`` int, ``1.5`` float, ``no`` str)."""
    if override.is_sweep_override():
        return list(override.sweep_iterator()) if override.is_discrete_sweep() else \
            [str(v) for v in override.sweep_string_iterator()]
    return [override.value()]


def _check_setting(key: str, values: list[Any]) -> None:
    from chaosbench.settings import SETTINGS, check

    if key not in SETTINGS:
        return
    for value in values:
        if SETTINGS[key].kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if value == "" or value is None and key != "label":
            raise UsageError(f"{key} is empty: {key} must be {SETTINGS[key].valid}")
        try:
            check(key, value)
        except ValueError as error:
            raise UsageError(str(error)) from None


def _check_protocol_field(field: str, values: list[Any]) -> None:
    from chaosbench.protocol import Protocol

    for value in values:
        try:
            Protocol.check_field(field, value)
        except ValueError as error:
            raise UsageError(str(error)) from None


def _check_hyperparameter(forecasters: list[str], key: str, values: list[Any]) -> None:
    """Build each chosen forecaster with ``key=value`` (constructors validate; nothing is fit)."""
    from chaosbench import forecasters as registry

    for name in forecasters:
        try:
            cfg = registry.load_config(name)
        except ValueError:
            continue  # a user config dir's forecaster: Hydra composes it, the job validates it
        if key == "_target_":
            for value in values:
                try:
                    registry.resolve(str(value))
                except (ImportError, TypeError) as error:
                    raise UsageError(f"forecaster._target_={value}: {error}") from None
            continue
        if key not in cfg:
            valid = sorted(k for k in cfg if not k.startswith("_"))
            hint = suggest(key, valid, "hyperparameter").split(". ", 1)[-1] if valid else \
                "it has none"
            raise UsageError(f"forecaster {name!r} has no hyperparameter {key!r}; {hint}")
        try:
            registry.resolve(cfg["_target_"])
        except (ImportError, TypeError) as error:
            raise UsageError(f"forecaster {name!r}: {error}") from None
        for value in values:
            try:
                registry.build({**cfg, key: value}, seed=0)
            except (ValueError, TypeError) as error:
                raise UsageError(f"forecaster.{key}={value!r}: {' '.join(str(error).split())}") \
                    from None


def _check_target(name: str, dirs: list[str]) -> None:
    """Import the class behind forecaster ``name`` (shipped, registered, entry point or a user
    config dir's YAML): a broken entry point or a ``_target_`` that is not a model stops here."""
    from chaosbench import forecasters as registry

    target = None
    for folder in reversed(dirs):  # a user's config dir shadows the shipped one, as in Hydra
        path = Path(folder) / "forecaster" / f"{name}.yaml"
        if path.is_file():
            from omegaconf import OmegaConf

            target = OmegaConf.load(path).get("_target_")
            if not target:
                raise UsageError(f"{path}: no _target_ (the class to build)")
            break
    if target is None:
        try:
            target = registry.load_config(name)["_target_"]
        except (ValueError, KeyError):
            return
    try:
        registry.resolve(str(target))
    except (ImportError, TypeError) as error:
        raise UsageError(f"forecaster {name!r}: {error}") from None


def preflight(argv: list[str]) -> list[str]:
    """Check and expand a Hydra command line; returns the arguments to hand to Hydra."""
    head, args = argv[:1], list(argv[1:])
    flags, overrides, dirs = split_argv(args)
    for folder in dirs:
        if not Path(folder).is_dir():
            raise UsageError(f"--config-dir {folder}: no such folder")
    dirs += _searchpath_dirs(overrides)
    parsed = _parse(overrides)
    include = any(o.key_or_group == "include_nonchaotic" and _values(o) == [True] for o in parsed)
    chosen_forecasters: list[str] = []
    expanded, multirun = [], False
    for text, override in zip(overrides, parsed):
        key = override.key_or_group
        if key == "hydra/launcher":
            valid = launchers(dirs)
            for value in map(str, _values(override)):
                if value not in valid:
                    raise UsageError(suggest(value, valid, "launcher"))
        if key == "hydra.launcher.n_jobs":
            for value in _values(override):
                if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
                    raise UsageError(f"hydra.launcher.n_jobs={value!r} is not valid: n_jobs must "
                                     f"be an integer >= 1")
        if override.is_delete() or key.startswith("hydra"):
            expanded.append(text)
            continue
        if ("." not in key and "/" not in key and key not in ("system", *_GROUPS)
                and not override.is_add() and not override.is_force_add()
                and key not in _top_level_keys()):
            raise UsageError(suggest(key, _top_level_keys(), "setting")
                             + " (use +key=value to add a new one)")
        if key in ("system", *_GROUPS) and override.package is None:
            valid = choices(key, extra_dirs=dirs)
            values = [str(v) for v in _values(override)]
            if values == ["all"] and key != "sweep":
                values = (all_choices(key, include_nonchaotic=include) if key == "system"
                          else choices(key, nested=False))
                text = f"{key}={','.join(values)}"
                multirun = multirun or len(values) > 1
            for value in values:
                if value not in valid:
                    raise UsageError(suggest(value, valid, key))
            if key == "forecaster":
                chosen_forecasters = values
        elif key.startswith("protocol."):
            _check_protocol_field(key.split(".", 1)[1], _values(override))
        elif key.startswith("forecaster.") and not (override.is_add() or override.is_force_add()):
            # A hyperparameter's default lives in its class, not in the composed YAML: Hydra
            # sets it as a new key (the job completes the rest, chaosbench.sweep).
            text = f"++{text}"
        elif not key.startswith("forecaster."):
            _check_setting(key, _values(override))
        expanded.append(text)
    targets_overridden = False
    for text, override in zip(overrides, parsed):
        key = override.key_or_group
        if key.startswith("forecaster.") and not override.is_delete():
            names = chosen_forecasters or ["naive"]
            _check_hyperparameter(names, key.split(".", 1)[1], _values(override))
            targets_overridden |= key == "forecaster._target_"
    if not targets_overridden:
        for name in chosen_forecasters:
            _check_target(name, dirs)
    if multirun and not {"-m", "--multirun"} & set(flags):
        flags.insert(0, "-m")
    return head + flags + expanded


def count_jobs(overrides: list[str], sweep_params: dict[str, str]) -> int:
    """Number of jobs a multirun launches: the product of each swept key's value count, the
    command line taking precedence over the named sweep's ``hydra.sweeper.params``."""
    counts = {k: len(_values(o)) for k, o in
              zip(sweep_params, _parse([f"{k}={v}" for k, v in sweep_params.items()]))}
    _, plain, _ = split_argv(list(overrides))
    for override in _parse(plain):
        counts[override.key_or_group] = len(_values(override))
    return math.prod(counts.values()) if counts else 1


class Progress:
    """A progress bar with ETA fed by the lines this run's jobs append to ``jobs.log`` (lines
    carry the run's id, so two sweeps sharing a folder never count each other's jobs)."""

    def __init__(self, log: Path, total: int, poll_s: float = 1.0, run_id: str | None = None):
        import threading

        self.log, self.total, self.poll_s, self.run_id = log, total, poll_s, run_id
        self.start_lines = 0 if run_id else self._lines()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _lines(self) -> int:
        try:
            with open(self.log, "rb") as f:
                if self.run_id is None:
                    return sum(1 for _ in f)
                tag = f"\t{self.run_id}\t".encode()
                return sum(1 for line in f if tag in line)
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
  chaosbench bench -m sweep=default hydra/launcher=parallel      # 2 warm workers (make bench)
  chaosbench bench --config-dir ./my_conf forecaster=mine         # your own model
  chaosbench bench --cfg job forecaster=esn                       # print the composed config
  chaosbench leaderboard sweep_name=default
  chaosbench <command> --help                                     # a command's own options"""


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
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, "")  # like `python -m`: a user's model module in the current folder
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    if argv[0] in ("-V", "--version"):
        from chaosbench._version import __version__

        print(f"chaosbench {__version__}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"error: {suggest(name, list(COMMANDS), 'command')}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"chaosbench.commands.{COMMANDS[name][0]}")
    try:
        status = module.main(rest)
    except UsageError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    return int(status or 0)
