"""What the Lyapunov estimators take and give: :class:`LyapunovSettings` (recorded with every
result) and :class:`SpectrumEstimate`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

__all__ = ["LyapunovSettings", "SpectrumEstimate"]


@dataclass(frozen=True)
class LyapunovSettings:
    """How exponents are estimated; every field is recorded with the result.

    Time lengths are in units of the system's ``period`` so that one setting suits the whole
    catalogue (periods range from 0.6 to 10^5 time units).
    """

    lanes: int = 8                   # independent orbits, initial conditions from the pool
    seed: int = 0                    # numpy default_rng seed (initial conditions, tangent basis)
    transient_periods: float = 10.0  # tangent basis aligns; nothing accumulated
    block_periods: float = 20.0      # length of one batch-means block
    min_blocks: int = 3              # at least this many blocks per lane ...
    max_blocks: int = 200            # ... and at most this many once the verdict is clear,
    max_blocks_undecided: int = 200  # this many while it is not (see is_decided)
    rel_stderr: float = 0.01         # stop once stderr(l) <= rel * |l| + abs / period ...
    abs_stderr: float = 0.002
    all_exponents: bool = True       # ... for every estimated exponent (False: the largest)
    growth: float = 3.0              # QR every growth / (spread of Re eig J), <= one period
    samples_per_period: int = 32     # states recorded for the period and dimension estimates
    rtol: float = 1e-9               # DOP853 tolerances (field and perturbed copies)
    atol: float = 1e-9
    tangent_scale: float = 1e-4      # the tangent basis is stored times this: its error is then
                                     # held to about atol / tangent_scale = 1e-5 relative, which is
                                     # ample for exponents and spares steps at kinks of J
    separation: float = 1e-8         # two-trajectory distance, relative to the attractor's size
    jump_separation: float = 1e-5    # the same for fields with jumps: the integrator locates a
                                     # jump to ~rtol, which must be small against the distance
    delay_exponents: int = 10        # exponents computed for delay equations, doubled up to
    delay_max_exponents: int = 40    # this while their sum is still positive (Kaplan-Yorke)
    delay_resolution: float = 0.05   # delay grid: h * max|df/dx| + h * max|df/dxt| <= this ...
    delay_ppp: int = 200             # ... and h <= period / delay_ppp
    version: int = 1                 # bump when the method changes (invalidates stored results)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def quick(cls, **overrides: Any) -> "LyapunovSettings":
        """The rule the catalogue used before the 1% one: the largest exponent alone to 2%
        relative standard error, within 50 blocks once the verdict is clear (about a quarter
        of the integration; Lorenz96 then stops 3% high and HyperRossler 4-7% low)."""
        return cls(**{"rel_stderr": 0.02, "all_exponents": False, "max_blocks": 50,
                      **overrides})

    def matches(self, stored: dict[str, Any]) -> bool:
        """Whether a result recorded with settings ``stored`` was computed with these. A field
        the record lacks was added after it was written; it counts as the value that reproduces
        the behaviour from before (``BEFORE``), else as today's default."""
        defaults = {**type(self)().to_dict(), **BEFORE}
        return all(stored.get(k, defaults[k]) == v for k, v in self.to_dict().items())


# Fields added to LyapunovSettings after results were first stored, with the value that gives
# the behaviour from before they existed.
BEFORE: dict[str, Any] = {"all_exponents": False}


@dataclass
class SpectrumEstimate:
    """Lyapunov exponents of one system with their standard errors and what was done."""

    exponents: np.ndarray              # descending, per unit time
    stderr: np.ndarray
    exact_zero: tuple[str, ...]        # variables whose exponent is exactly 0 (not estimated)
    max_divergence: float              # largest exponent by two-trajectory divergence
    max_divergence_stderr: float
    trace_mean: float                  # time average of tr J on the same orbits (Liouville)
    trace_stderr: float
    time_per_lane: float               # integration time per lane after the transient
    blocks: int
    segment: float                     # time between QR steps (delay systems: tau)
    samples: np.ndarray                # (lanes, n, state_dim) states after the transient
    spacing: float                     # time between samples
    method: str
    jacobian_spectrum: tuple[np.ndarray, np.ndarray] | None = None  # exact-Jacobian QR (ODEs)
    clone_spectrum: tuple[np.ndarray, np.ndarray] | None = None     # perturbed copies (ODEs)
    details: dict[str, Any] = field(default_factory=dict)
    wall_seconds: float = 0.0
