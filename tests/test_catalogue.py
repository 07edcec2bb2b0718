"""Conformance suite over every system of the catalogue, plus the System API's contracts."""

import numpy as np
import pytest

import chaosbench
from chaosbench import IntegrationError
from tiers import SYSTEMS, sample

NAMES = chaosbench.systems()
DELAY = [n for n in NAMES if chaosbench.system(n).delay]
ODES = [n for n in NAMES if n not in DELAY]


def test_catalogue_holds_every_reference_system(reference_fields):
    """Every system of the reference catalogue is here (systems added since, with
    ``chaosbench catalogue add``, come on top), with the reference's six delay equations."""
    assert set(reference_fields) <= set(NAMES)
    assert [n for n in DELAY if n in reference_fields] == [
        "IkedaDelay", "MackeyGlass", "PiecewiseCircuit", "ScrollDelay", "SprottDelay", "VossDelay"]


def _check_states(name: str, reference_fields) -> list[dict]:
    """States to check a field at: the reference fixture's rows, or for a system the reference
    does not have, four states of its attractor pool (embedding rows reduced to the current and
    the delayed value for delay equations)."""
    if name in reference_fields:
        return reference_fields[name]
    system = chaosbench.system(name)
    pool = system.attractor_pool()[::997][:4]
    return [{"state": (np.r_[x[0], x[-1]] if system.delay else x).tolist(), "t": 0.0}
            for x in pool]


@pytest.mark.parametrize("name", sample(NAMES, SYSTEMS))
def test_vector_field_matches_reference(name, reference_fields):
    """Same formulas in float64, different operation order: agreement to roundoff. 1e-9 relative
    (to the larger of the value and 1e-6 of the row's scale) leaves room for cancellation in
    stiff polynomial fields; the largest seen is ~6e-13."""
    if name not in reference_fields:
        pytest.skip(f"{name} is not in the reference catalogue (no reference values)")
    system = chaosbench.system(name)
    for row in reference_fields[name]:
        state = np.asarray(row["state"])
        if system.delay:  # an embedding row: current value first, one delay earlier last
            state = np.r_[state[0], np.zeros(system.dim - 2), state[1]]
        ours = system.rhs(state, row["t"])
        theirs = np.asarray(row["rhs"])
        scale = np.maximum(np.abs(theirs), 1e-6 * (1 + np.abs(theirs).max()))
        np.testing.assert_array_less(np.abs(ours - theirs) / scale, 1e-9)


@pytest.mark.parametrize("name", sample(NAMES, SYSTEMS))
def test_jacobian_matches_finite_differences(name, reference_fields):
    """Central differences with a step of 1e-6 relative: truncation ~1e-12 relative, roundoff
    ~1e-10 relative to the field's size, so 1e-5 of the column scale separates a wrong entry
    from numerical noise. States where a piecewise field switches within one step are skipped."""
    system = chaosbench.system(name)
    for row in _check_states(name, reference_fields)[:4]:
        state = np.asarray(row["state"], dtype=float)
        t = row["t"]
        if system.delay:
            pair = state
            def field(z):
                return system.rhs(np.r_[z[0], np.zeros(system.dim - 2), z[1]], t)
            J = system.jacobian(np.r_[pair[0], np.zeros(system.dim - 2), pair[1]], t)
            state = pair
        else:
            def field(z):
                return system.rhs(z, t)
            J = system.jacobian(state, t)
        h = 1e-6 * np.maximum(1.0, np.abs(state))
        fd = np.empty_like(J)
        for j in range(len(state)):
            e = np.zeros_like(state)
            e[j] = h[j]
            fd[:, j] = (field(state + e) - field(state - e)) / (2 * h[j])
            half = (field(state + e / 2) - field(state - e / 2)) / h[j]
            if not np.allclose(fd[:, j], half, rtol=1e-4, atol=1e-8 * (1 + np.abs(fd).max())):
                fd[:, j] = J[:, j]  # a switching surface lies within the stencil
        scale = 1.0 + np.abs(J).max()
        np.testing.assert_allclose(J, fd, rtol=1e-5, atol=1e-5 * scale)


@pytest.mark.parametrize("name", sample(NAMES, SYSTEMS))
def test_default_trajectory_stays_on_a_chaotic_attractor(name):
    """100 periods from the default initial condition: finite, bounded (within 50 std of the
    catalogue's attractor mean), and still moving over the last 20 periods (spread at least 1% of
    the attractor's std in some coordinate): no fixed point, no blow-up. Systems flagged
    ``chaotic: false`` must show the evidence their caveat gives instead."""
    system = chaosbench.system(name)
    x = system.trajectory(100 * 20, pts_per_period=20)
    assert x.shape == (2000, system.dim)
    assert np.all(np.isfinite(x))
    unbounded = () if system.postprocessing else system.unbounded_indices
    bounded = [i for i in range(system.dim) if i not in unbounded]
    if bounded and system.chaotic:
        deviation = np.abs(x[:, bounded] - system.mean[bounded]) / system.std[bounded]
        assert deviation.max() < 50
    moving = x[-400:].std(axis=0).max() / x[:400].std(axis=0).max()
    if system.chaotic:
        assert moving > 1e-2
    else:
        assert system.caveats
        if name == "PanXuZhou":  # the caveat: decays onto a stable focus
            late = system.trajectory(400, pts_per_period=20, transient=300 * 20)
            assert late.std(axis=0).max() < 1e-3 * x[:400].std(axis=0).max()
        if name == "Torus":  # the caveat: the field does not depend on the state
            np.testing.assert_allclose(system.rhs(x[0], 0.3), system.rhs(x[-1], 0.3))


ACCURACY_SAMPLE = ["Lorenz", "Rossler", "Chua", "Duffing", "DoublePendulum", "MacArthur",
                   "HyperRossler", "Thomas", "BlinkingRotlet", "SprottB"]


@pytest.mark.parametrize("name", ACCURACY_SAMPLE)
def test_trajectory_matches_tight_tolerance_integration(name):
    """Over one period, the default tolerances (1e-9) agree with SciPy's DOP853 at rtol = atol =
    1e-12 on the same field to 1e-6 of the attractor's std (the issue's target)."""
    from scipy.integrate import solve_ivp

    system = chaosbench.system(name)
    ic = system.trajectory(1, seed=3, postprocess=False)[0]
    times, x = system.trajectory(101, ic=ic, postprocess=False, return_times=True)
    ref = solve_ivp(lambda t, y: system.rhs(y, t), (0, times[-1]), ic, method="DOP853",
                    rtol=1e-12, atol=1e-12, t_eval=times).y.T
    scale = np.abs(ref).std(axis=0).clip(min=1e-12) if system.unbounded_indices else None
    scale = system.std if scale is None or len(system.std) != system.state_dim else scale
    err = np.abs(x - ref).max(axis=0) / np.maximum(scale, 1e-12)
    assert err.max() < 1e-6, err


@pytest.mark.parametrize("name", DELAY)
def test_delay_integration_converges(name):
    """Method of steps with RK4: halving the step changes the solution by ~1/16 of its error.
    Over one period at the default step the change must be below 1e-6 of the std."""
    system = chaosbench.system(name)
    x1 = system.trajectory(101)
    x2 = system.trajectory(101, delay_step=system.dt / 2)
    assert np.abs(x1 - x2).max() / system.std.max() < 1e-6


def test_delay_embedding_starts_at_initial_condition():
    mg = chaosbench.system("MackeyGlass")
    x = mg.trajectory(50)
    np.testing.assert_allclose(x[0], mg.initial_conditions)
    # Coordinate k is the first coordinate k * tau / (dim - 1) earlier.
    spacing = mg.period / 100
    lag = mg.tau / (mg.dim - 1)
    far = mg.trajectory(400)
    k = 2
    steps = lag * k / spacing
    assert steps > 0
    np.testing.assert_allclose(
        np.interp(np.arange(400) * spacing - k * lag, np.arange(400) * spacing, far[:, 0])[200:],
        far[200:, k], rtol=0, atol=1e-3 * mg.std[0])


def test_rhs_accepts_a_batch():
    lorenz = chaosbench.system("Lorenz")
    X = np.random.default_rng(0).normal(size=(7, 3)) * 10
    batch = lorenz.rhs(X, 0.5)
    assert batch.shape == (7, 3)
    np.testing.assert_allclose(batch, [lorenz.rhs(x, 0.5) for x in X], rtol=1e-15)
    np.testing.assert_allclose(lorenz.jacobian(X).shape, (7, 3, 3))


def test_lorenz_field_by_hand():
    x, y, z = 1.0, 2.0, 3.0
    expected = [10 * (y - x), x * (28 - z) - y, x * y - 2.667 * z]
    np.testing.assert_allclose(chaosbench.system("Lorenz").rhs([x, y, z]), expected, rtol=1e-15)


# ------------------------------------------------------------------ trajectory API
def test_shapes_times_and_granularity():
    lorenz = chaosbench.system("Lorenz")
    t, x = lorenz.trajectory(10, pts_per_period=50, return_times=True)
    assert x.shape == (10, 3)
    np.testing.assert_allclose(np.diff(t), lorenz.period / 50)
    t, _ = lorenz.trajectory(10, pts_per_period=None, return_times=True)
    np.testing.assert_allclose(np.diff(t), lorenz.dt)
    assert lorenz.trajectory(5, ic=np.ones((4, 3))).shape == (4, 5, 3)
    assert lorenz.trajectory(5, n_ic=3, seed=0).shape == (3, 5, 3)


def test_transient_drops_leading_samples():
    lorenz = chaosbench.system("Lorenz")
    full = lorenz.trajectory(30)
    np.testing.assert_allclose(lorenz.trajectory(20, transient=10), full[10:], rtol=1e-7, atol=1e-7)


def test_same_seed_same_numbers_and_global_state_untouched():
    lorenz = chaosbench.system("Lorenz")
    state = np.random.get_state()[1].copy()
    a = lorenz.trajectory(200, n_ic=4, seed=11, noise=0.05)
    b = lorenz.trajectory(200, n_ic=4, seed=11, noise=0.05)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    c = lorenz.trajectory(200, n_ic=4, seed=12, noise=0.05)
    assert not np.allclose(a[:, 0], c[:, 0])
    # Initial conditions for different seeds differ and lie on the attractor.
    ics = np.array([lorenz.trajectory(1, seed=s) for s in range(5)])
    assert len(np.unique(ics.round(8), axis=0)) == 5
    assert np.all(np.abs(ics - lorenz.mean) < 5 * lorenz.std)


def test_observation_noise_has_the_stated_size():
    lorenz = chaosbench.system("Lorenz")
    clean = lorenz.trajectory(4000, seed=1)
    noisy = lorenz.trajectory(4000, seed=1, noise=0.1)
    ratio = (noisy - clean).std(axis=0) / (0.1 * lorenz.std)
    # 4000 Gaussian draws: the sample std is within ~3% of the truth at 3 sigma.
    np.testing.assert_allclose(ratio, 1.0, atol=0.05)


def test_dynamical_noise_is_seeded_and_perturbs_the_flow():
    lorenz = chaosbench.system("Lorenz")
    a = lorenz.trajectory(300, seed=2, dynamical_noise=0.01)
    b = lorenz.trajectory(300, seed=2, dynamical_noise=0.01)
    clean = lorenz.trajectory(300, seed=2)
    np.testing.assert_array_equal(a, b)
    assert np.all(np.isfinite(a))
    assert 0 < np.abs(a[:10] - clean[:10]).max() < 0.5 * lorenz.std.max()
    assert np.abs(a - clean).max() > 0.1 * lorenz.std.max()  # chaos amplifies the forcing


def test_standardize_and_postprocess():
    duffing = chaosbench.system("Duffing")
    raw = duffing.trajectory(100, postprocess=False)
    observed = duffing.trajectory(100)
    np.testing.assert_allclose(observed[:, 2], np.cos(raw[:, 2]), atol=1e-12)
    z = duffing.trajectory(100, standardize=True)
    np.testing.assert_allclose(z, (observed - duffing.mean) / duffing.std)


def test_parameter_overrides():
    lorenz = chaosbench.system("Lorenz")
    fast = lorenz.with_parameters(sigma=20.0)
    assert fast.rhs([1.0, 2.0, 3.0])[0] == pytest.approx(20.0)
    assert lorenz.rhs([1.0, 2.0, 3.0])[0] == pytest.approx(10.0)  # the original is unchanged
    a = lorenz.trajectory(50, params={"rho": 35.0})
    assert not np.allclose(a, lorenz.trajectory(50))
    beer = chaosbench.system("BeerRNN")
    w = np.array(beer.parameters["w"]) * 1.1
    assert not np.allclose(beer.with_parameters(w=w).rhs(beer.initial_conditions),
                           beer.rhs(beer.initial_conditions))


# ------------------------------------------------------------------ bad input
def test_unknown_system_suggests_the_nearest_name():
    with pytest.raises(KeyError, match="Lorenz"):
        chaosbench.system("Lorentz")


@pytest.mark.parametrize("kwargs, match", [
    ({"n": 0}, "n must be an integer >= 1"),
    ({"n": 2.5}, "n must be an integer"),
    ({"n": 10, "ic": [1.0, 2.0]}, r"shape \(3,\)"),
    ({"n": 10, "ic": [np.nan, 1.0, 1.0]}, "non-finite"),
    ({"n": 10, "params": {"gamma": 1.0}}, "valid parameters"),
    ({"n": 10, "n_ic": 3}, "pass seed="),
    ({"n": 10, "noise": 0.1}, "seed="),
    ({"n": 10, "noise": -1.0}, "noise must be"),
    ({"n": 10, "pts_per_period": 0}, "pts_per_period"),
])
def test_bad_input_gets_a_clear_error(kwargs, match):
    n = kwargs.pop("n")
    with pytest.raises((ValueError, KeyError), match=match):
        chaosbench.system("Lorenz").trajectory(n, **kwargs)


def test_blow_up_names_the_system_and_the_time():
    lorenz = chaosbench.system("Lorenz")
    with pytest.raises(IntegrationError, match=r"Lorenz: integration stopped at t = [0-9.]+ of"):
        lorenz.trajectory(2000, params={"beta": -10.0})


def test_a_system_built_from_its_own_spec_compiles_its_own_equations():
    from chaosbench.catalogue import load_spec
    from chaosbench.dynamics import System

    spec = dict(load_spec("Lorenz"))
    spec["equations"] = dict(spec["equations"], z="x * y - 2 * beta * z")
    variant = System(spec)
    x = [1.0, 2.0, 3.0]
    assert variant.rhs(x)[2] == pytest.approx(2.0 - 2 * 2.667 * 3.0)
    assert chaosbench.system("Lorenz").rhs(x)[2] == pytest.approx(2.0 - 2.667 * 3.0)
