"""A forecaster that runs in another process: any model, in its own environment.

Models whose dependencies cannot share chaosbench's environment (Panda pins numpy<2; DynaMix is
GPL-3.0 and is not on PyPI) are evaluated through a command line. For every forecast the adapter
writes the context window to ``context.npy`` (float64, shape ``(T, d)``) in a fresh temporary
folder, runs ``command`` with its placeholders filled in, and reads the forecast back from
``forecast.npy`` (shape ``(horizon, d)``)::

    command: /opt/panda/.venv/bin/python /opt/panda/forecast.py --context {context}
             --output {output} --horizon {horizon}

Placeholders: ``{context}`` and ``{output}`` (required: the two array files), ``{horizon}``,
``{dt}`` (the sampling interval) and ``{seed}``. The command runs with the job's working
directory and environment and must write nothing but ``{output}``; a non-zero exit status, a
missing or mis-shaped forecast, or a run past ``timeout_s`` fails the job with one line.
"""

from __future__ import annotations

import shlex
import string
import subprocess
import tempfile
from pathlib import Path
from typing import Any, ClassVar, Mapping

import numpy as np

from chaosbench.forecasters.base import Forecaster
from chaosbench.forecasters.constraints import Constraint, Interval

__all__ = ["External", "PLACEHOLDERS"]

PLACEHOLDERS = ("context", "output", "horizon", "dt", "seed")
REQUIRED = ("context", "output")


def _placeholders(command: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(command) if field is not None}


class External(Forecaster):
    """A model behind a command line, exchanging ``.npy`` arrays through a temporary folder."""

    name: ClassVar[str] = "external"
    family: ClassVar[str] = "pretrained"
    library: ClassVar[str] = "subprocess"
    defaults: ClassVar[Mapping[str, Any]] = {
        "command": "",          # the command line template (see the module docstring)
        "model": "",            # the model's key in the leakage table, e.g. panda or dynamix
        "context_length": 512,  # points of history passed to the command
        "timeout_s": 600.0,     # longest a single forecast may take
    }
    constraints: ClassVar[Mapping[str, Constraint]] = {
        "context_length": Interval(1), "timeout_s": Interval(0, closed="neither")}

    def _check_hyperparameters(self, hp: Mapping[str, Any]) -> None:
        if not hp["command"]:
            return
        try:
            fields = _placeholders(hp["command"])
        except ValueError as exc:
            raise ValueError(f"External: command is not a valid template: {exc}") from exc
        unknown = sorted(fields - set(PLACEHOLDERS))
        missing = [f for f in REQUIRED if f not in fields]
        if unknown or missing:
            raise ValueError(
                f"External: command must use {{context}} and {{output}}"
                f"{'; unknown placeholder(s) ' + str(unknown) if unknown else ''}; "
                f"valid placeholders: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}"
            )

    def _fit(self, train: np.ndarray, dt: float) -> None:
        if not self.hyperparameters["command"]:
            raise ValueError("External: set command= to a command line that reads {context} "
                             "and writes {output} (see the README, 'Pretrained forecasters')")
        self._dt = dt

    def _predict(self, horizon: int, context: np.ndarray) -> np.ndarray:
        window = context[-self.hyperparameters["context_length"]:]
        with tempfile.TemporaryDirectory(prefix="chaosbench-external-") as tmp:
            inp, out = Path(tmp) / "context.npy", Path(tmp) / "forecast.npy"
            np.save(inp, window)
            values = {"context": str(inp), "output": str(out), "horizon": horizon,
                      "dt": repr(self._dt), "seed": self.seed}
            template = shlex.split(self.hyperparameters["command"])
            argv = [token.format(**values) for token in template]
            try:
                run = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                     timeout=self.hyperparameters["timeout_s"])
            except subprocess.TimeoutExpired as exc:
                raise RuntimeError(f"External: {argv[0]} ran past timeout_s="
                                   f"{self.hyperparameters['timeout_s']}") from exc
            except OSError as exc:
                raise RuntimeError(f"External: cannot run {argv[0]}: {exc.strerror}") from exc
            if run.returncode != 0:
                last = (run.stderr.strip().splitlines() or ["(no error output)"])[-1]
                raise RuntimeError(f"External: {argv[0]} exited with status {run.returncode}: "
                                   f"{last}")
            if not out.exists():
                raise RuntimeError(f"External: {argv[0]} wrote no forecast to {{output}}")
            forecast = np.load(out, allow_pickle=False)
        if forecast.shape != (horizon, context.shape[1]):
            raise RuntimeError(f"External: the forecast has shape {forecast.shape}, expected "
                               f"{(horizon, context.shape[1])}")
        return forecast
