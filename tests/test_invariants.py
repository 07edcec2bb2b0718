"""Dynamical invariants: consistency of the recomputed values stored in systems/*.yaml, literature
checks, and a few live recomputations at small settings.

The stored values come from ``python runners/catalogue.py recompute`` (chaosbench.invariants with
the default LyapunovSettings); reading them is instant, so every system is checked here. The
live tests rerun the estimators on a handful of systems with short settings (seconds each).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chaosbench
from chaosbench.catalogue import load_spec
from chaosbench.invariants import (SOURCE_PREFIX, chaos_verdict, correlation_dimension_estimate,
                                   dominant_period, kaplan_yorke_dimension)
from chaosbench.lyapunov import (LyapunovSettings, discontinuities, is_chaotic,
                                 lyapunov_spectrum, shear_bound)
from chaosbench.lyapunov.qr import orthonormalise, tall_qr

NAMES = chaosbench.systems()
SPECS = {name: load_spec(name) for name in NAMES}
ODE = [n for n in NAMES if not SPECS[n]["flags"]["delay"]]
CHAOTIC = [n for n in NAMES if SPECS[n]["flags"].get("chaotic", True)]


def invariants(name: str) -> dict:
    return load_spec(name)["invariants"]


def spectrum(name: str, key: str = "lyapunov_spectrum") -> tuple[np.ndarray, np.ndarray]:
    inv = invariants(name)
    return np.array(inv[key], dtype=float), np.array(inv[key + "_stderr"], dtype=float)


# ------------------------------------------------------------------- stored values, every system


@pytest.mark.parametrize("name", NAMES)
def test_every_system_recomputed_with_standard_errors(name, reference_fields):
    """Recomputed by chaosbench with today's settings, with a standard error per exponent; the
    reference catalogue's values kept under ``reference`` for its systems, and no reference
    for systems added since (``chaosbench catalogue add``)."""
    inv = invariants(name)
    assert str(inv["source"]).startswith(SOURCE_PREFIX)
    assert LyapunovSettings().matches(inv["settings"]), \
        "stale: rerun chaosbench catalogue recompute"
    lam, se = spectrum(name)
    assert lam.shape == se.shape and lam.size >= len(load_spec(name)["variables"]) or \
        load_spec(name)["flags"]["delay"]
    assert np.all(np.isfinite(lam)) and np.all(np.isfinite(se)) and np.all(se >= 0)
    assert np.all(np.diff(lam) <= 0), "spectrum must be in descending order"
    # the largest exponent is the spectrum's first entry, with its standard error
    assert inv["max_lyapunov"] == lam[0] and inv["max_lyapunov_stderr"] == se[0]
    if name in reference_fields:
        assert isinstance(inv["reference"], dict) and "max_lyapunov" in inv["reference"]
    else:
        assert "reference" not in inv
    assert inv["period_estimate"] > 0
    # System reads the recomputed value (VPT in Lyapunov times uses it)
    assert chaosbench.system(name).max_lyapunov == lam[0]


@pytest.mark.parametrize("name", ODE)
def test_spectrum_sums_to_mean_jacobian_trace(name):
    """Liouville: the exponents sum to the time average of tr J (the divergence of the field).
    Both come from the same orbits (the trace is integrated alongside the tangent basis), so
    they differ only by integration error: within 1%, or 1e-5 of the spectrum's scale
    sum |l_i| where the trace is near zero (volume-preserving flows; the tangent basis is
    integrated to about 1e-5 relative accuracy, see LyapunovSettings.tangent_scale).

    Fields with jumps store the spectrum of perturbed copies as the primary one (it includes
    the jumps' volume changes, which tr J does not see); the identity is checked on their exact
    Jacobian spectrum, stored alongside."""
    inv = invariants(name)
    if "jacobian_trace_mean" not in inv:
        assert inv["settings"]["jacobian"] is False
        pytest.skip("exact Jacobian not finite on the attractor (no trace to compare)")
    key = "jacobian_spectrum" if "jacobian_spectrum" in inv else "lyapunov_spectrum"
    lam, _ = spectrum(name, key)
    trace = inv["jacobian_trace_mean"]
    assert abs(lam.sum() - trace) <= 0.01 * abs(trace) + 1e-5 * np.abs(lam).sum()


def _zero_tolerance(name: str) -> float:
    """Regular (shear) growth of tangent vectors biases finite-time exponents by at most
    log(1 + T/T0)/T; see chaosbench.invariants.chaos_verdict."""
    s = invariants(name)["settings"]
    return 2 * shear_bound(s["transient_time"], s["time_per_lane"])


@pytest.mark.parametrize("name", [n for n in ODE if not invariants(n).get("exact_zero_exponents")
                                  and n in CHAOTIC])
def test_autonomous_flow_has_one_exponent_near_zero(name):
    """An autonomous flow on a chaotic attractor has a zero exponent (the flow direction): one
    exponent lies within 3 standard errors of 0 (or within the regular-growth bound). Systems
    flagged not chaotic are left out: a stable equilibrium has none, and transient or
    intermittent orbits (DoublePendulum, LiuChen) need not show one."""
    lam, se = spectrum(name)
    j = int(np.argmin(np.abs(lam)))
    assert abs(lam[j]) <= max(3 * se[j], _zero_tolerance(name)), (lam, se)


@pytest.mark.parametrize("name", [n for n in ODE if invariants(n).get("exact_zero_exponents")])
def test_phase_variables_have_an_exact_zero_exponent(name):
    """Variables whose equation does not depend on the state (the phase z' = omega of a forced
    system in autonomous form) have exponent exactly 0: one exact zero each, standard error 0."""
    lam, se = spectrum(name)
    phases = invariants(name)["exact_zero_exponents"]
    assert set(phases) <= set(load_spec(name)["variables"])
    assert np.sum((lam == 0) & (se == 0)) >= len(phases)


# DoublePendulum's catalogued field (the reference's) is not Hamiltonian: its h2 term has
# -p1 p2 cos(th1 - th2) where Hamilton's equations give -2 p1 p2 cos(th1 - th2) (for unit masses
# and lengths), so tr J is not zero (checked below) and the spectrum need not sum to zero.
NOT_DIVERGENCE_FREE = {"DoublePendulum"}


@pytest.mark.parametrize("name", [n for n in ODE if SPECS[n]["flags"]["hamiltonian"]])
def test_volume_preserving_spectrum_sums_to_zero(name):
    """Hamiltonian flows preserve phase-space volume: the exponents sum to 0 within 3 standard
    errors of the sum (the batch-means error of the mean Jacobian trace, which equals the sum
    block by block), plus 1e-5 of the spectrum's scale (tangent integration accuracy)."""
    inv = invariants(name)
    lam, _ = spectrum(name)
    if name in NOT_DIVERGENCE_FREE:
        system = chaosbench.system(name)
        J = system.jacobian(system.attractor_pool()[:200])
        assert np.abs(np.trace(J, axis1=1, axis2=2)).max() > 0.1
        pytest.skip(f"{name}: the catalogued field is not divergence-free")
    tol = 3 * inv["jacobian_trace_stderr"] + 1e-5 * np.abs(lam).sum()
    assert abs(lam.sum()) <= tol, (lam.sum(), tol)


@pytest.mark.parametrize("name", NAMES)
def test_chaotic_flag_agrees_with_the_largest_exponent(name):
    """The flag follows the stored exponents: chaotic exactly when the largest exponent exceeds
    3 standard errors and twice the bound of regular (shear) growth, over the whole run and its
    second half (chaosbench.lyapunov.is_chaotic); systems flagged not chaotic say why in a
    caveat. For chaotic systems the two-trajectory estimate agrees with the QR one."""
    inv, spec = invariants(name), load_spec(name)
    lam, se = inv["max_lyapunov"], inv["max_lyapunov_stderr"]
    s = inv["settings"]
    half = {"mean": inv["max_lyapunov_second_half"],
            "stderr": inv["max_lyapunov_second_half_stderr"],
            "shear": _half_shear(s["transient_time"], s["time_per_lane"], s["blocks"])}
    chaotic = is_chaotic(lam, se, half, s["transient_time"], s["time_per_lane"])
    assert spec["flags"].get("chaotic", True) == chaotic, (lam, se, half)
    if not chaotic:
        assert spec.get("caveats")
    elif s["method"] != "clones":
        two, se2 = inv["max_lyapunov_two_trajectory"], inv["max_lyapunov_two_trajectory_stderr"]
        assert abs(two - lam) <= 3 * math.hypot(se, se2) + 0.02 * abs(lam), (two, lam)


def _half_shear(transient: float, T: float, blocks: int) -> float:
    start = transient + (blocks // 2) * T / blocks
    stop = transient + T
    return math.log(stop / start) / (stop - start)


def test_kaplan_yorke_dimension_stored_matches_spectrum():
    for name in NAMES:
        inv = invariants(name)
        lam, _ = spectrum(name)
        ky = kaplan_yorke_dimension(lam, truncated=load_spec(name)["flags"]["delay"])
        assert (ky is None and inv["kaplan_yorke_dimension"] is None) or \
            ky == pytest.approx(inv["kaplan_yorke_dimension"], rel=1e-4, abs=1e-9), name


# --------------------------------------------------------------------------- literature values

# Largest exponent (nats per unit time) at the catalogue's parameters, from:
#   S03: Sprott, J. C. (2003). Chaos and Time-Series Analysis, Oxford University Press,
#        Appendix A (exponents base e, computed by trajectory separation, 4 significant digits).
#   S94: Sprott, J. C. (1994). Some simple chaotic flows. Phys. Rev. E 50, R647, Table I
#        (3 decimals).
# Each value was checked against the catalogue's equations and parameters. Tolerance: 3 of our
# standard errors plus 3% of the value (the literature quotes no error; its values carry the
# finite-time and integration errors of a single long orbit, and our Lorenz uses beta = 2.667
# rather than 8/3) plus the literature's rounding.
LITERATURE = [
    # name, largest exponent, full spectrum or None, decimals quoted, source
    ("Lorenz", 0.9056, (0.9056, 0.0, -14.5723), 4, "S03 A.5.1 (sigma=10, rho=28, beta=8/3)"),
    ("Rossler", 0.0714, (0.0714, 0.0, -5.3943), 4, "S03 A.5.2 (a=b=0.2, c=5.7)"),
    ("Chen", 2.0272, (2.0272, 0.0, -12.0272), 4, "S03 A.5.5 (a=35, b=3, c=28)"),
    ("RabinovichFabrikant", 0.1981, None, 4, "S03 A.5.8 (gamma=0.87, alpha=1.1)"),
    ("SprottJerk", 0.0551, (0.0551, 0.0, -2.0721), 4, "S03 A.5.17 / Sprott 1997 (A=2.017)"),
    ("SprottB", 0.210, (0.210, 0.0, -1.210), 3, "S94 case B"),
    ("SprottC", 0.163, (0.163, 0.0, -1.163), 3, "S94 case C"),
    ("SprottD", 0.103, (0.103, 0.0, -1.320), 3, "S94 case D"),
    ("SprottE", 0.078, (0.078, 0.0, -1.078), 3, "S94 case E"),
    ("SprottF", 0.117, (0.117, 0.0, -0.617), 3, "S94 case F (a=0.5)"),
    ("SprottG", 0.034, (0.034, 0.0, -0.634), 3, "S94 case G (a=0.4)"),
]


@pytest.mark.parametrize("name, value, full, decimals, source", LITERATURE,
                         ids=[row[0] for row in LITERATURE])
def test_literature_exponents(name, value, full, decimals, source):
    lam, se = spectrum(name)
    tol = 3 * se[0] + 0.03 * value + 0.5 * 10.0 ** -decimals
    assert abs(lam[0] - value) <= tol, f"{name}: {lam[0]:.4f} vs {value} ({source})"
    if full is not None:
        for ours, err, theirs in zip(lam, se, full):
            assert abs(ours - theirs) <= 3 * err + 0.03 * abs(theirs) + 0.005 + \
                0.5 * 10.0 ** -decimals, f"{name}: {lam} vs {full} ({source})"


def test_lorenz_kaplan_yorke_dimension_matches_literature():
    """Sprott (2003) A.5.1: D_KY = 2.0621 from (0.9056, 0, -14.5723)."""
    assert kaplan_yorke_dimension([0.9056, 0.0, -14.5723]) == pytest.approx(2.0621, abs=1e-4)
    assert invariants("Lorenz")["kaplan_yorke_dimension"] == pytest.approx(2.062, abs=0.005)


# ----------------------------------------------------------------------------- unit checks


def test_kaplan_yorke_dimension_edge_cases():
    assert kaplan_yorke_dimension([-0.1, -0.5]) == 0.0           # fixed point
    assert kaplan_yorke_dimension([0.0, -0.5]) == 1.0            # limit cycle
    assert kaplan_yorke_dimension([0.1, 0.0, -0.1]) == 3.0       # volume preserving
    assert kaplan_yorke_dimension([0.3, 0.2, 0.1], truncated=True) is None
    assert kaplan_yorke_dimension([0.5, 0.0, -1.0]) == pytest.approx(2.5)


def test_dominant_period_of_a_sine_and_its_harmonic():
    t = np.arange(20000) * 0.05
    x = np.stack([np.sin(2 * np.pi * t / 7.3) + 0.3 * np.sin(2 * np.pi * t / 2.1),
                  np.cos(2 * np.pi * t / 7.3)], axis=-1)
    assert dominant_period(x[None], 0.05) == pytest.approx(7.3, rel=0.01)


def test_correlation_dimension_of_a_circle_is_one():
    """Three orbits around a circle with random steps (a lattice of exactly repeating phases
    would put many pairs at equal distances and bias the fit)."""
    t = np.cumsum(np.random.default_rng(0).uniform(0.05, 0.4, (3, 5000)), axis=1)
    value, se = correlation_dimension_estimate(np.stack([np.cos(t), np.sin(t)], axis=-1))
    assert value == pytest.approx(1.0, abs=0.05)


def test_tall_qr_matches_householder():
    A = np.random.default_rng(1).standard_normal((3, 500, 6))
    A[:, :, 1] += 1e3 * A[:, :, 0]  # ill-conditioned columns
    Q1, l1 = tall_qr(A)
    Q2, l2 = orthonormalise(A)
    np.testing.assert_allclose(l1, l2, atol=1e-9)
    np.testing.assert_allclose(Q1, Q2, atol=1e-8)


def test_discontinuity_detection():
    assert discontinuities(chaosbench.system("SprottMore").equations) == ("sign(z)",)
    assert discontinuities(chaosbench.system("Chua").equations) == ()  # abs: continuous


# ------------------------------------------------------------------ live, with small settings

SMALL = LyapunovSettings(lanes=4, transient_periods=5, block_periods=10, min_blocks=3,
                         max_blocks=3)


def test_live_lorenz_spectrum():
    """Short run: close to the literature, sum exactly -(sigma + 1 + beta) (the trace is
    constant), one zero exponent, two-trajectory estimate = QR's largest on the same orbits."""
    est = lyapunov_spectrum(chaosbench.system("Lorenz"), SMALL)
    lam, se = est.exponents, est.stderr
    assert abs(lam[0] - 0.9056) < 3 * se[0] + 0.05
    assert lam.sum() == pytest.approx(-(10 + 1 + 2.667), rel=1e-6)
    assert abs(lam[1]) < 3 * se[1] + 0.01
    assert est.max_divergence == pytest.approx(lam[0], abs=3 * se[0])


def test_live_same_seed_same_numbers_and_global_rng_untouched():
    system = chaosbench.system("Rossler")
    state = np.random.get_state()[1].copy()
    a = lyapunov_spectrum(system, SMALL)
    b = lyapunov_spectrum(system, SMALL)
    np.testing.assert_array_equal(a.exponents, b.exponents)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    c = lyapunov_spectrum(system, LyapunovSettings(**{**SMALL.to_dict(), "seed": 1}))
    assert not np.array_equal(a.exponents, c.exponents)


def test_live_forced_system_phase_exponent_is_exactly_zero():
    est = lyapunov_spectrum(chaosbench.system("Duffing"), SMALL)
    assert est.exact_zero == ("z",)
    assert 0.0 in est.exponents
    assert est.exponents[0] > 0  # chaotic at the catalogue's parameters


def test_live_field_with_jumps_uses_perturbed_copies():
    """SprottMore's sign(z) makes the exact-Jacobian spectrum miss the jumps (saltation): the
    primary spectrum is the perturbed copies', and it differs from the Jacobian one."""
    est = lyapunov_spectrum(chaosbench.system("SprottMore"), SMALL)
    assert est.details["primary"] == "clones" and est.details["discontinuities"] == ["sign(z)"]
    assert est.jacobian_spectrum is not None
    assert est.exponents[0] > est.jacobian_spectrum[0][0] + 0.05
    assert abs(est.exponents.sum() - est.trace_mean) < 0.1  # volume still nearly conserved


def test_live_delay_equation_converges_with_the_grid_and_matches_two_trajectories():
    """Ikeda: the leading exponents at grid resolution 0.1 and 0.05 agree within errors, and the
    two-trajectory estimate agrees with the tangent-linear one."""
    base = dict(SMALL.to_dict(), lanes=4, delay_exponents=3, delay_max_exponents=3)
    system = chaosbench.system("IkedaDelay")
    coarse = lyapunov_spectrum(system, LyapunovSettings(**{**base, "delay_resolution": 0.1}))
    fine = lyapunov_spectrum(system, LyapunovSettings(**{**base, "delay_resolution": 0.05}))
    assert fine.details["grid_nodes_per_delay"] > coarse.details["grid_nodes_per_delay"]
    for a, b, ea, eb in zip(coarse.exponents, fine.exponents, coarse.stderr, fine.stderr):
        assert abs(a - b) <= 3 * math.hypot(ea, eb) + 0.02
    assert fine.max_divergence == pytest.approx(fine.exponents[0],
                                                abs=3 * fine.stderr[0] + 0.01)


def test_live_chaos_verdict_on_a_periodic_and_a_chaotic_system():
    periodic = lyapunov_spectrum(chaosbench.system("ForcedVanDerPol"), SMALL)
    assert chaos_verdict(periodic, 5 * chaosbench.system("ForcedVanDerPol").period)[0] is False
    chaotic = lyapunov_spectrum(chaosbench.system("Rossler"), SMALL)
    assert chaos_verdict(chaotic, 5 * chaosbench.system("Rossler").period)[0] is True


def test_write_invariants_and_flag_round_trip(tmp_path, monkeypatch):
    """Nested settings and reference mappings are written in YAML flow style and read back as
    mappings; the reference values survive a second write; flagging adds chaotic: false and a
    caveat that the loader accepts."""
    import shutil

    from chaosbench import catalogue
    from chaosbench.invariants import flag_not_chaotic, write_invariants

    shutil.copy(catalogue._directory() / "Rossler.yaml", tmp_path / "Rossler.yaml")
    original_ref = load_spec("Rossler")["invariants"]["reference"]
    monkeypatch.setattr(catalogue, "_directory", lambda: tmp_path)
    catalogue.systems.cache_clear()
    catalogue.load_spec.cache_clear()
    try:
        block = {"source": "chaosbench.invariants test", "max_lyapunov": 0.07,
                 "max_lyapunov_stderr": 0.001, "lyapunov_spectrum": [0.07, 0.0, -5.39],
                 "lyapunov_spectrum_stderr": [0.001, 0.0001, 0.01],
                 "settings": {"method": "qr", "lanes": 8, "note": "a: b, [c]"}}
        write_invariants("Rossler", block)
        write_invariants("Rossler", block)
        inv = catalogue.load_spec("Rossler")["invariants"]
        assert inv["settings"] == block["settings"]
        assert inv["reference"] == original_ref
        assert flag_not_chaotic("Rossler", "Not chaotic: test evidence.")
        spec = catalogue.load_spec("Rossler")
        assert spec["flags"]["chaotic"] is False
        assert spec["caveats"] == ["Not chaotic: test evidence."]
        assert not flag_not_chaotic("Rossler", "again")
    finally:
        catalogue.systems.cache_clear()
        catalogue.load_spec.cache_clear()


def test_live_sprott_a_from_sprotts_initial_condition_is_chaotic():
    """SprottA (the Nose-Hoover oscillator, a = 1) is flagged not chaotic: its default initial
    condition lies on a torus. From Sprott's (0, 5, 0), in the chaotic sea, the largest exponent
    matches Sprott (2003) A.6.3: 0.0138 (tolerance as for the stored literature checks)."""
    system = chaosbench.system("SprottA")
    pool = system.trajectory(2000, pts_per_period=20, ic=[0.0, 5.0, 0.0], postprocess=False,
                             transient=400)
    system.attractor_pool = lambda: pool  # orbits start in the chaotic sea
    est = lyapunov_spectrum(system, LyapunovSettings(min_blocks=30, max_blocks=30))
    assert abs(est.exponents[0] - 0.0138) <= 3 * est.stderr[0] + 0.03 * 0.0138 + 0.00005
    assert abs(est.exponents.sum()) <= 3 * est.trace_stderr + 1e-4


def test_stopping_rule_on_every_exponent():
    """``all_exponents`` holds integration until every exponent meets the standard-error target,
    not only the largest: synthetic block estimates (8 lanes x 5 blocks) with a sharp largest
    exponent (1.0, scatter 0.001) and a noisy second one (-1.0, scatter 0.5, standard error
    about 0.08, above the 1% target of 0.01 + 0.002 / period)."""
    from chaosbench.lyapunov.statistics import should_stop

    rng = np.random.default_rng(0)
    est = [np.column_stack([1.0 + 0.001 * rng.standard_normal(8),
                            -1.0 + 0.5 * rng.standard_normal(8)]) for _ in range(5)]
    args = (5, est, 10.0, 10.0, 1.0)
    assert should_stop(*args, LyapunovSettings(all_exponents=False))
    assert not should_stop(*args, LyapunovSettings())
    assert should_stop(*args, LyapunovSettings(max_blocks=5))  # the cap still holds


def test_settings_recorded_before_a_field_existed_match_the_behaviour_from_before():
    """A record from before ``all_exponents`` existed was made with the largest exponent's
    rule alone, so it matches ``all_exponents=False`` and not today's default."""
    quick = LyapunovSettings.quick()
    stored = {k: v for k, v in quick.to_dict().items() if k != "all_exponents"}
    assert quick.matches(stored)
    assert not LyapunovSettings().matches(stored)
    assert not LyapunovSettings.quick(lanes=4).matches(stored)
