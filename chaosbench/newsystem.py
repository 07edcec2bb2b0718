"""Adding a system to the catalogue from one file: validate it, compute what the catalogue
records about it, and write the completed file into ``systems/``.

    chaosbench catalogue add MySystem.yaml

The author writes the entries of :data:`chaosbench.catalogue.AUTHORED` (name, description,
citation, variables, parameters, equations, initial condition, ``dt``, ``period``; flags default
to false). :func:`add_system` then

1. validates the file (:func:`chaosbench.catalogue.validate`) and reads its equations without
   running code (:mod:`chaosbench.expressions`);
2. checks the field at the initial condition and along an orbit: finite values, and the exact
   Jacobian against central differences (the conformance suite's test, same tolerances);
3. integrates the default trajectory and requires it to stay finite and keep moving (no blow-up,
   no fixed point), as the conformance suite does for every system;
4. computes the attractor statistics (:func:`chaosbench.invariants.attractor_statistics`) and
   every invariant (:func:`chaosbench.invariants.compute_invariants`), flagging the system
   ``chaotic: false`` with the evidence as a caveat if the verdict says so;
5. writes the file, the author's text unchanged plus the ``statistics:`` and ``invariants:``
   blocks, atomically, and only once every step has passed.

A new system has no reference-catalogue values: its invariants block has no ``reference:`` and
the tests that compare against the reference implementation skip it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from chaosbench import catalogue, systemfile
from chaosbench.catalogue import SpecError
from chaosbench.dynamics import IntegrationError, System
from chaosbench.equations import EquationError
from chaosbench.invariants import attractor_statistics, compute_invariants
from chaosbench.lyapunov import LyapunovSettings

__all__ = ["add_system", "check_field", "AddError"]

_FILE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class AddError(ValueError):
    """A new system file is not fit for the catalogue (one line saying why)."""


def _provisional(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with placeholder computed entries, enough to build a System before its
    statistics exist: mean 0 and std the initial condition's scale (they set only the blow-up
    bound, 1e10 times the attractor's size, and are replaced by the computed ones)."""
    dim = len(spec["initial_conditions"]) if spec["flags"]["delay"] else \
        len(spec.get("postprocessing") or spec["variables"])
    scale = 1.0 + float(np.max(np.abs(np.asarray(spec["initial_conditions"], dtype=float))))
    return {**spec, "statistics": {"mean": [0.0] * dim, "std": [scale] * dim},
            "invariants": {"max_lyapunov": float("nan")}}


def check_field(system: System, states: np.ndarray) -> None:
    """The field is finite at ``states`` and its exact Jacobian matches central differences:
    step 1e-6 relative, tolerance 1e-5 of the column scale (truncation ~1e-12, roundoff ~1e-10
    relative); stencils across a switching surface of a piecewise field are skipped, detected by
    the half-step difference disagreeing."""
    for x in np.atleast_2d(states):
        pair = np.r_[x[0], x[-1]] if system.delay else x
        full = (lambda z: np.r_[z[0], np.zeros(system.dim - 2), z[1]]) if system.delay \
            else (lambda z: z)
        f = system.rhs(full(pair))
        J = system.jacobian(full(pair))
        if not (np.all(np.isfinite(f)) and np.all(np.isfinite(J))):
            raise AddError(f"{system.name}: the field or its Jacobian is not finite at {x.tolist()}")
        h = 1e-6 * np.maximum(1.0, np.abs(pair))
        for j in range(len(pair)):
            e = np.zeros_like(pair)
            e[j] = h[j]
            fd = (system.rhs(full(pair + e)) - system.rhs(full(pair - e))) / (2 * h[j])
            half = (system.rhs(full(pair + e / 2)) - system.rhs(full(pair - e / 2))) / h[j]
            if not np.allclose(fd, half, rtol=1e-4, atol=1e-8 * (1 + np.abs(fd).max())):
                continue  # a switching surface lies within the stencil
            scale = 1.0 + np.abs(J).max()
            if not np.allclose(J[:, j], fd, rtol=1e-5, atol=1e-5 * scale):
                raise AddError(f"{system.name}: the Jacobian's column {j} at {x.tolist()} is "
                               f"{J[:, j].tolist()}, central differences give {fd.tolist()}")


def _check_trajectory(system: System) -> np.ndarray:
    """100 periods at 20 points per period from the default initial condition: finite and still
    moving over the last 20 periods (spread at least 1% of the first 20 periods')."""
    try:
        x = system.trajectory(100 * 20, pts_per_period=20, postprocess=False)
    except IntegrationError as error:
        raise AddError(str(error)) from None
    moving = x[-400:].std(axis=0).max() / max(x[:400].std(axis=0).max(), 1e-300)
    if not moving > 1e-2:
        raise AddError(f"{system.name}: the default trajectory comes to rest within 100 periods "
                       f"(spread over the last 20 periods {moving:.2g} of the first 20's); a "
                       "catalogue system needs an initial condition on its attractor")
    return x


def add_system(source: Path, *, settings: LyapunovSettings = LyapunovSettings(),
               replace: bool = False, progress=print) -> dict[str, Any]:
    """Validate the system file ``source``, compute its statistics and invariants, and write the
    completed file to the catalogue as ``systems/<name>.yaml``. Returns the computed entries
    (``statistics``, ``invariants``, ``chaotic``, ``evidence``, ``path``).

    Raises :class:`AddError` (also for malformed files and unsafe equations) before anything is
    written; ``replace`` allows replacing a system already in the catalogue.
    """
    source = Path(source)
    try:
        text = source.read_text(encoding="utf-8")
        spec = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise AddError(f"{source}: cannot read a YAML file ({error})".replace("\n", " ")) from None
    name = spec.get("name") if isinstance(spec, dict) else None
    if not isinstance(name, str) or not _FILE_NAME.match(name):
        raise AddError(f"{source.name}: 'name' must be a letter followed by letters, digits or "
                       f"underscores (it becomes systems/<name>.yaml), got {name!r}")
    target = catalogue.system_path(name)
    if name in catalogue.systems() and not replace:
        raise AddError(f"{name} is already in the catalogue ({target}); choose another name, "
                       "or pass --replace to recompute and replace it")
    try:
        catalogue.validate(spec, target, computed=False)
        system = System(_provisional(spec))
    except (SpecError, EquationError, KeyError, TypeError, ValueError) as error:
        raise AddError(f"{source.name}: {error}") from None

    progress(f"{name}: checking the field and the default trajectory")
    orbit = _check_trajectory(system)
    check_field(system, np.vstack([orbit[0], orbit[-1], orbit[len(orbit) // 2]]))

    progress(f"{name}: attractor statistics")
    statistics = attractor_statistics(system)
    system = System({**spec, "statistics": statistics, "invariants": {"max_lyapunov": np.nan}})
    progress(f"{name}: invariants (Lyapunov spectrum, dimensions, period)")
    out = compute_invariants(system, settings)

    lines = text.rstrip("\n").splitlines()
    lines = systemfile.replace_block(lines, "invariants", out["block"])
    lines = systemfile.replace_block(lines, "statistics", statistics)
    if not out["chaotic"]:
        lines = systemfile.mark_not_chaotic(
            lines, f"Not chaotic at these parameters and this initial condition (chaosbench "
                   f"catalogue add): {out['evidence']}.")
    systemfile.write_text(target, "\n".join(lines) + "\n")
    catalogue.systems.cache_clear()
    catalogue.load_spec.cache_clear()
    catalogue.load_spec(name)  # the written file is a valid catalogue entry
    return {"statistics": statistics, "invariants": out["block"], "chaotic": out["chaotic"],
            "evidence": out["evidence"], "path": target}
