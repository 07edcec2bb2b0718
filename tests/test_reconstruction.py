"""The dynamical-systems-reconstruction models: what each method promises, checked on systems
whose answer is known; their quality floors on Lorenz (slow); the reconstruction protocol.

The conformance suite (tests/test_forecasters.py) already runs every one of them; these tests
check the mathematics behind each: EDMD is exact on a system with a finite Koopman-invariant
subspace, (HO)DMD is exact on a linear oscillation, the shPLRNN's analytic Jacobian and the GTF
alpha rule, the AL-RNN's sparse forcing and piecewise-linear structure.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from quality import LORENZ, LORENZ_DT, PTS_PER_PERIOD, lorenz_quality

import chaosbench
import chaosbench.metrics
from chaosbench.forecasters import load_config, make
from chaosbench.protocol import Protocol



# ------------------------------------------------------------------------------------------------
# Koopman / DMD
# ------------------------------------------------------------------------------------------------
def _koopman_map(n: int) -> np.ndarray:
    """x' = a x, y' = b y + c x^2 (a discrete analogue of Brunton et al.'s 2016 example):
    span{x, y, x^2} is Koopman-invariant, since (x^2)' = a^2 x^2."""
    a, b, c = 0.9, 0.5, 0.3
    out = np.empty((n, 2))
    out[0] = (1.5, -0.7)
    for t in range(1, n):
        x, y = out[t - 1]
        out[t] = (a * x, b * y + c * x * x)
    return out


def test_edmd_is_exact_on_a_finite_koopman_subspace():
    """The quadratic dictionary contains the invariant subspace {x, y, x^2}: without a ridge,
    both the lifted Koopman iteration and the relifted map reproduce the orbit to rounding."""
    orbit = _koopman_map(80)
    for propagate in ("lifted", "relift"):
        model = make("edmd", degree=2, ridge=0.0, standardize=False, propagate=propagate)
        model.fit(orbit[:40], 1.0)
        np.testing.assert_allclose(model.predict(40), orbit[40:], rtol=1e-8, atol=1e-10)


def test_edmd_rbf_and_delay_dictionaries_forecast_a_sine():
    """A sine is x_{t+1} = 2 cos(w) x_t - x_{t-1}: linear in two delays, so the delay dictionary
    (and an RBF dictionary on the same delays, which contains it) continues it."""
    t = np.arange(300) * 0.1
    x = np.sin(t)[:, None]
    for dictionary in ("delay", "rbf"):
        model = make("edmd", dictionary=dictionary, delays=2, ridge=1e-12).fit(x[:200], 0.1)
        np.testing.assert_allclose(model.predict(100), x[200:], atol=1e-4)


@pytest.mark.parametrize("name", ["dmd", "hodmd"])
def test_dmd_is_exact_on_a_linear_oscillation(name):
    """Two incommensurate oscillations observed in 3-D are a linear system of rank 4: delay DMD
    (and HODMD) identifies it and forecasts any context exactly."""
    t = np.arange(600) * 0.05
    x = np.column_stack([np.sin(t), np.cos(1.7 * t) + 0.3 * np.sin(t), np.sin(t) - np.cos(1.7 * t)])
    extra = {"svd_rank_extra": -1.0} if name == "hodmd" else {}
    model = make(name, delays=10, svd_rank=4.0, standardize=False, **extra).fit(x[:300], 0.05)
    np.testing.assert_allclose(model.predict(200), x[300:500], atol=1e-6)
    np.testing.assert_allclose(model.predict(100, context=x[350:400]), x[400:500], atol=1e-6)


# ------------------------------------------------------------------------------------------------
# shPLRNN + GTF, AL-RNN
# ------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _lorenz(n: int, seed: int = 0) -> np.ndarray:
    return LORENZ.trajectory(n, pts_per_period=PTS_PER_PERIOD, seed=seed)


def _tiny(name: str, **extra):
    return make(name, iterations=3, sequence_length=10, **extra).fit(_lorenz(200), LORENZ_DT)


def test_shplrnn_jacobian_matches_autograd():
    net = _tiny("gtf_plrnn", hidden_dim=8)._net
    z = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    analytic = net.jacobian(z)
    for i in range(len(z)):
        numeric = torch.autograd.functional.jacobian(lambda v: net(v[None])[0], z[i])
        torch.testing.assert_close(analytic[i], numeric, rtol=1e-5, atol=1e-6)


def test_gtf_alpha_follows_the_product_bound_and_anneals():
    """With W1 = 0 the Jacobian is diag(A): for A = 2 I the bound is G = 2 and alpha* = 1/2,
    which alpha jumps up to; for a contracting A (G < 1, alpha* = 0) alpha decays by gamma."""
    model = _tiny("gtf_plrnn", hidden_dim=4, alpha=0.0, alpha_interval=1, alpha_decay=0.9)
    net = model._net
    states = torch.randn(4, 7, 3, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        net.W1.zero_()
        net.A.fill_(2.0)
    model.alpha = 0.0
    model._before_batch(1, states)
    assert model.alpha == pytest.approx(0.5, abs=1e-6)
    with torch.no_grad():
        net.A.fill_(0.5)
    model._before_batch(2, states)
    assert model.alpha == pytest.approx(0.9 * 0.5, abs=1e-6)


def test_gtf_constant_alpha_is_kept_and_forcing_interpolates():
    model = _tiny("gtf_plrnn", hidden_dim=4, alpha=0.3, alpha_method="constant")
    assert model.alpha == 0.3 and model.alpha_history == []
    z, x = torch.zeros(2, 3), torch.ones(2, 3)
    torch.testing.assert_close(model._force(z, x, 1), torch.full((2, 3), 0.3))


def test_alrnn_forces_every_tau_steps_and_is_piecewise_linear():
    model = _tiny("alrnn", latent_dim=6, relu_units=2, forcing_interval=4)
    z, x = torch.zeros(1, 6), torch.ones(1, 3)
    assert torch.equal(model._force(z, x, 3), z)
    assert torch.equal(model._force(z, x, 8), torch.tensor([[1.0, 1, 1, 0, 0, 0]]))
    net = model._net
    # The self-coupling is in A alone, and the map is affine while the two ReLU units keep their
    # signs: F(z + e) - F(z) is the same for any z in one region (e moves only linear units).
    assert torch.all(torch.diagonal(net.W * net.off_diagonal) == 0)
    base = torch.tensor([[0.1, -0.2, 0.3, 0.4, 1.0, 2.0]])
    step = torch.tensor([[0.5, 0.1, -0.2, 0.3, 0.0, 0.0]])
    with torch.no_grad():
        d1 = net(base + step) - net(base)
        d2 = net(base + 3 * step) - net(base + 2 * step)
    torch.testing.assert_close(d1, d2, rtol=1e-5, atol=1e-6)


def test_gtf_plrnn_default_latent_dim_is_the_observed_dimension():
    # The default M = N fits any dimension (a fixed M = 3 refused every 4-D and larger system),
    # and on a 3-D system it is the same model as latent_dim=3: identical forecasts.
    four_d = chaosbench.system("HyperRossler").trajectory(200, pts_per_period=PTS_PER_PERIOD)
    model = make("gtf_plrnn", iterations=3, sequence_length=10).fit(four_d, 0.01)
    assert model._net.A.shape == (4,) and model.predict(5).shape == (5, 4)
    default, explicit = _tiny("gtf_plrnn"), _tiny("gtf_plrnn", latent_dim=3)
    np.testing.assert_array_equal(default.predict(20), explicit.predict(20))


def test_latent_dim_below_observed_dims_is_rejected():
    with pytest.raises(ValueError, match="latent_dim"):
        make("gtf_plrnn", latent_dim=2, iterations=1).fit(_lorenz(200), LORENZ_DT)
    with pytest.raises(ValueError, match="linear"):
        make("alrnn", latent_dim=4, relu_units=2, iterations=1).fit(_lorenz(200), LORENZ_DT)


# ------------------------------------------------------------------------------------------------
# The reconstruction protocol
# ------------------------------------------------------------------------------------------------
def test_reconstruction_protocol_is_a_long_free_run():
    from omegaconf import OmegaConf

    from chaosbench.forecasters import conf_dir

    cfg = OmegaConf.to_container(OmegaConf.load(conf_dir() / "protocol" / "reconstruction.yaml"))
    protocol = Protocol.from_config(cfg)
    assert protocol.name == "reconstruction" and protocol.n_test >= 10_000
    headline = {"dstsp_binned", "dstsp_gmm", "dh_smoothed"}
    assert headline <= set(chaosbench.metrics.names("long_term"))


# ------------------------------------------------------------------------------------------------
# Quality floors on Lorenz (slow)
# ------------------------------------------------------------------------------------------------
SEEDS = range(5)
N_TRAIN, HORIZON = 1000, 1000
RECON = ("gtf_plrnn", "alrnn", "ltc", "cfc", "mamba", "edmd", "dmd", "hodmd")
#: Median VPT floors (Lyapunov times), about half the measured medians (README): EDMD 8.02,
#: CfC 2.94, Mamba 0.84, GTF-shPLRNN 0.78, LTC 0.41, AL-RNN 0.38 (persistence: 0.08);
#: DMD / HODMD 0.22 (deterministic, so 0.15 cannot flake; a misaligned mode block or amplitude
#: fit scores ~0).
VPT_FLOORS = {"edmd": 4.0, "cfc": 1.5, "mamba": 0.4, "gtf_plrnn": 0.35, "ltc": 0.2,
              "alrnn": 0.2, "dmd": 0.15, "hodmd": 0.15}
#: The trained networks: median sMAPE over the first Lyapunov time below the naive forecast's.
#: Not cleared, so not asserted (evidence in the README): DMD / HODMD, median 105.9 against
#: persistence's 105.4.
BEAT_NAIVE = ("gtf_plrnn", "alrnn", "ltc", "cfc", "mamba")


@pytest.fixture(scope="module")
def quality():
    """{name: {"vpt": [...], "smape_1lt": [...], "fit_s": [...]}} over the seeds."""
    return lorenz_quality((*RECON, "naive"), SEEDS, N_TRAIN, HORIZON)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(VPT_FLOORS))
def test_quality_floor_vpt(name, quality):
    assert np.median(quality[name]["vpt"]) >= VPT_FLOORS[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", BEAT_NAIVE)
def test_quality_beats_naive(name, quality):
    assert np.median(quality[name]["smape_1lt"]) < np.median(quality["naive"]["smape_1lt"])


def test_paper_profiles_cite_their_source():
    for name in ("gtf_plrnn", "alrnn"):
        paper, default = load_config(f"paper/{name}"), load_config(name)
        assert paper["iterations"] > 10 * default["iterations"]
        assert paper["sequence_length"] == 200 and paper["batch_size"] == 16
