"""Tests of chaosbench.metrics: each metric against an independent implementation
(scipy.stats, scikit-learn, darts) where one exists, hand-computed tiny examples, ideal
values, stated invariances, diverged/constant inputs, and a conformance sweep over the
whole registry.

Tolerances:
* RTOL_SAME = 1e-9 when another library evaluates the same closed-form formula in float64:
  only summation order differs (relative error ~1e-15 for these sizes), so 1e-9 is loose
  for rounding yet fails on any difference in the formula itself.
* RTOL_INV = 1e-6 for invariances: transformed inputs are rounded (x * c / c != x), which
  perturbs sums at ~1e-15 relative; 1e-6 also absorbs the amplification by the log-log
  fits of the attractor metrics while any real scale dependence is O(1).
* Statistical estimators (correlation dimension, Lyapunov exponent) use the tolerances
  stated at each test, justified by their sampling spread.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from darts import TimeSeries
from darts import metrics as dm
from scipy import stats
from scipy.integrate import solve_ivp
from scipy.special import digamma
from sklearn.feature_selection import mutual_info_regression

from chaosbench import metrics
from chaosbench.metrics import attractor

RTOL_SAME = 1e-9
RTOL_INV = 1e-6
DT = 0.01
LORENZ_LAMBDA = 0.906  # literature largest exponent of Lorenz-63 (sigma 10, rho 28, beta 8/3)
ALL = metrics.names()


def run(y_true, y_pred, **kw) -> dict[str, float]:
    """metrics.compute with every warning turned into an error (no warning storms)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return metrics.compute(y_true, y_pred, **kw)


def one(name: str, y_true, y_pred, **kw) -> float:
    return run(y_true, y_pred, include=[name], **kw)[name]


def ts(values: np.ndarray, start: int = 0) -> TimeSeries:
    return TimeSeries.from_times_and_values(pd.RangeIndex(start, start + len(values)), values)


def same(a: dict[str, float], b: dict[str, float], rtol: float) -> list[str]:
    """Names whose values differ (NaN equals NaN, inf equals inf)."""
    return [k for k in a if not np.isclose(a[k], b[k], rtol=rtol, atol=0.0, equal_nan=True)]


# ------------------------------------------------------------------------- data


def _lorenz(t, s):
    x, y, z = s
    return [10.0 * (y - x), x * (28.0 - z) - y, x * y - 8.0 / 3.0 * z]


@pytest.fixture(scope="module")
def lorenz() -> np.ndarray:
    """10,000 steps (100 time units, ~90 Lyapunov times) at dt = 0.01 on the attractor."""
    opts = dict(rtol=1e-9, atol=1e-9, method="DOP853")
    s0 = solve_ivp(_lorenz, (0, 20), [1.0, 1.0, 1.0], **opts).y[:, -1]
    t = np.arange(10_000) * DT
    sol = solve_ivp(_lorenz, (0, t[-1]), s0, t_eval=t, **opts)
    return sol.y.T


@pytest.fixture(scope="module")
def case(lorenz):
    """A realistic case: 2000-step truth, noisy forecast, 1000-step history."""
    rng = np.random.default_rng(1)
    y_train, y_true = lorenz[:1000], lorenz[1000:3000]
    y_pred = y_true + 0.3 * y_true.std(axis=0) * rng.standard_normal(y_true.shape)
    return dict(y_true=y_true, y_pred=y_pred, y_train=y_train, dt=DT, max_lyapunov=LORENZ_LAMBDA)


def random_pair(seed: int, T: int = 400, D: int = 3, positive: bool = False):
    rng = np.random.default_rng(seed)
    if positive:
        y = rng.uniform(1.0, 3.0, size=(T, D))
        return y, y * rng.uniform(0.7, 1.3, size=(T, D))
    y = rng.standard_normal((T, D)) * [1.0, 5.0, 0.2][:D]
    return y, y + rng.standard_normal((T, D)) * 0.7


# ---------------------------------------------------------------- registry & API


def test_names_has_the_issue_set_in_order():
    core = ["mse", "mae", "rmse", "nrmse", "marre", "r2", "rmsle", "smape", "mape", "wape",
            "spearman", "pearson", "kendall", "coefficient_of_variation", "mutual_information",
            "mase", "vpt"]
    long_term = ["smape_1lt", "smape_4lt", "smape_10lt", "dstsp_binned", "dstsp_gmm",
                 "dh_smoothed", "dh_fft100", "correlation_dimension_error", "max_lyapunov_error"]
    assert metrics.names("core") == core
    assert metrics.names("vpt_detail") == ["vpt_steps", "vpt_censored"]
    assert metrics.names("long_term") == long_term
    assert ALL == core + ["vpt_steps", "vpt_censored"] + long_term


@pytest.mark.parametrize("name", ALL)
def test_record_is_complete(name):
    m = metrics.info(name)
    assert m.name == name and m.formula and m.reference and len(m.doc) > 60
    assert m.direction in ("lower", "higher")
    lo, hi = m.range
    assert lo < hi
    # the worst value is the bad end of the range, the ideal (if fixed) lies inside it
    assert m.worst == (lo if m.direction == "higher" else hi)
    assert m.ideal is None or lo <= m.ideal <= hi
    assert set(m.needs) <= set(metrics.NEEDS)
    assert m.nonfinite in ("worst", "prefix")


def test_unknown_metric_names_nearest_and_valid_choices():
    msg = r"unknown metric 'smap'\. Did you mean 'smape'.*Valid metrics \(\d+\): mse, mae"
    with pytest.raises(ValueError, match=msg):
        metrics.compute([1.0, 2.0], [1.0, 2.0], include=["smap"])
    with pytest.raises(ValueError, match="Valid metrics"):
        metrics.info("nonsense_xyz")
    with pytest.raises(ValueError, match="unknown group"):
        metrics.names("cor")


def test_include_restricts_and_keeps_order():
    out = run([1.0, 2.0, 3.0], [1.0, 2.5, 2.0], include=["smape", "mse", "smape"])
    assert list(out) == ["smape", "mse"]


@pytest.mark.parametrize(
    ("y_true", "y_pred", "kw", "msg"),
    [
        (np.zeros((10, 3)), np.zeros((10, 2)), {}, "shape"),
        (np.zeros((10, 3)), np.zeros((9, 3)), {}, "shape"),
        (np.zeros(10), np.zeros((10, 2)), {}, "shape"),
        (np.zeros((10, 3, 1)), np.zeros((10, 3, 1)), {}, r"\(T,\) or \(T, D\)"),
        (np.zeros((1, 3)), np.zeros((1, 3)), {}, "at least 2 time steps"),
        (np.zeros((10, 3)), np.zeros((10, 3)), {"y_train": np.zeros((5, 2))}, "y_train has 2"),
        (np.r_[1.0, np.nan, 2.0], np.zeros(3), {}, "y_true contains NaN"),
        (np.ones(3), np.ones(3), {"y_train": [1.0, np.inf]}, "y_train contains"),
        (np.ones(3), np.ones(3), {"dt": 0.0}, "dt must be"),
        (np.ones(3), np.ones(3), {"max_lyapunov": np.nan}, "max_lyapunov must be"),
    ],
)
def test_bad_input_raises_clear_error(y_true, y_pred, kw, msg):
    with pytest.raises(ValueError, match=msg):
        metrics.compute(y_true, y_pred, **kw)


def test_short_series_give_nan_where_not_estimable():
    rng = np.random.default_rng(4)
    y = rng.standard_normal((3, 2))
    out = run(y, y + 0.1, y_train=y, dt=0.1, max_lyapunov=1.0)
    # KSG needs k + 1 = 4 points, the correlation dimension 100; 1 LT = 10 steps > 3
    not_estimable = {"mutual_information", "correlation_dimension_error", "max_lyapunov_error",
                     "smape_1lt", "smape_4lt", "smape_10lt"}
    assert {k for k, v in out.items() if math.isnan(v)} == not_estimable
    assert not math.isnan(one("mutual_information", np.arange(4.0), np.arange(4.0) ** 2))


def test_missing_inputs_give_nan_only_where_needed(case):
    out = run(case["y_true"], case["y_pred"])
    for name, value in out.items():
        assert math.isnan(value) == bool(metrics.info(name).needs), name
    # vpt_steps needs no dt; vpt does
    assert out["vpt_steps"] >= 0 and math.isnan(out["vpt"])
    assert math.isnan(one("mase", *random_pair(0)))


# --------------------------------------------------------- registry conformance


@pytest.fixture(scope="module")
def perfect(case):
    kw = {k: v for k, v in case.items() if k not in ("y_true", "y_pred")}
    return run(case["y_true"], case["y_true"].copy(), **kw)


@pytest.mark.parametrize("name", ALL)
def test_perfect_forecast_gives_ideal(name, perfect, case):
    T = len(case["y_true"])
    special = {  # ideals that depend on the input, as stated in the records
        "vpt": T * DT * LORENZ_LAMBDA,
        "vpt_steps": float(T),
        # KSG with k = 3: at every point one marginal count is 3, the other 2 (stated);
        # a near-tie of the 1e-10 jitter could move one point by ~2e-4 (hence tol 1e-3)
        "mutual_information": digamma(T) - digamma(4),
    }
    ideal = metrics.info(name).ideal
    expected = special[name] if ideal is None else ideal
    tol = 1e-3 if name == "mutual_information" else 1e-12
    assert perfect[name] == pytest.approx(expected, rel=tol, abs=tol)


def _forecasts(case):
    yt = case["y_true"]
    nan_mid = case["y_pred"].copy()
    nan_mid[1500, 1] = np.nan
    blowup = yt * np.exp(np.linspace(0, 300, len(yt)))[:, None]  # finite, reaches 1e130
    return {
        "noisy": case["y_pred"],
        "constant": np.broadcast_to(yt.mean(axis=0), yt.shape).copy(),
        "zeros": np.zeros_like(yt),
        "reversed": yt[::-1].copy(),
        "nan_mid": nan_mid,
        "all_inf": np.full_like(yt, np.inf),
        "blowup": blowup,
    }


@pytest.fixture(scope="module")
def sweep(case):
    kw = {k: v for k, v in case.items() if k not in ("y_true", "y_pred")}
    return {label: run(case["y_true"], yp, **kw) for label, yp in _forecasts(case).items()}


@pytest.mark.parametrize(
    "label", ["noisy", "constant", "zeros", "reversed", "nan_mid", "all_inf", "blowup"]
)
def test_every_value_is_defined_and_in_range(sweep, label):
    """With all inputs given and T = 2000, no metric is NaN and every value lies in its
    declared range -- for good, degenerate and diverged forecasts alike."""
    for name, value in sweep[label].items():
        lo, hi = metrics.info(name).range
        assert not math.isnan(value), (label, name)
        assert lo <= value <= hi, (label, name, value)


@pytest.mark.parametrize("label", ["nan_mid", "all_inf", "blowup"])
def test_diverged_forecast_gives_worst(sweep, label):
    for name, value in sweep[label].items():
        m = metrics.info(name)
        if m.nonfinite == "worst":
            assert value == m.worst, (label, name)


def test_diverged_prefix_metrics(sweep, case):
    nan_mid = sweep["nan_mid"]
    # the forecast is still valid at step 1500 (noise of 0.3 std): VPT stops exactly there
    assert nan_mid["vpt_steps"] <= 1500 and nan_mid["vpt_censored"] == 0.0
    assert sweep["all_inf"]["vpt_steps"] == 0.0 and sweep["all_inf"]["vpt"] == 0.0
    # 1 and 4 Lyapunov times (111 and 442 steps) end before the NaN: unaffected by it
    assert nan_mid["smape_1lt"] == sweep["noisy"]["smape_1lt"]
    assert nan_mid["smape_4lt"] == sweep["noisy"]["smape_4lt"]
    # blowup passes 1e100 only after the 10-LT window (1104 steps): smape_10lt is
    # evaluated there (large, but not the worst value), while VPT ended long before
    n10 = math.ceil(10 / (DT * LORENZ_LAMBDA))
    first_bad = int(np.argmax(np.any(np.abs(_forecasts(case)["blowup"]) > 1e100, axis=1)))
    assert first_bad > n10
    assert 100.0 < sweep["blowup"]["smape_10lt"] < 200.0
    assert sweep["blowup"]["vpt_steps"] < n10


def test_deterministic_and_no_global_rng(case):
    np.random.seed(12345)
    state = np.random.get_state()[1].copy()
    a = run(**case)
    b = run(**case)
    assert same(a, b, rtol=0.0) == []
    assert np.array_equal(np.random.get_state()[1], state)
    assert all(type(v) is float for v in a.values())


def test_dimension_permutation_invariance(case):
    perm = [2, 0, 1]
    a = run(**case)
    b = run(case["y_true"][:, perm], case["y_pred"][:, perm], y_train=case["y_train"][:, perm],
            dt=DT, max_lyapunov=LORENZ_LAMBDA)
    assert same(a, b, RTOL_INV) == ["dstsp_gmm"]
    # dstsp_gmm is invariant only in distribution: permuting the axes pairs the fixed
    # Monte-Carlo normal draws with other coordinates. The two estimates are then two
    # (correlated) MC draws: they must agree within 4 sqrt(2) standard errors.
    _, se = attractor.gmm_kl_with_error(case["y_true"], case["y_pred"])
    assert abs(b["dstsp_gmm"] - a["dstsp_gmm"]) < 4 * math.sqrt(2) * se


def test_1d_input_equals_single_column():
    rng = np.random.default_rng(3)
    y = np.cumsum(rng.standard_normal(600))
    yp = y + rng.standard_normal(600)
    kw = dict(y_train=y[:100] + 1.0, dt=0.1, max_lyapunov=0.5)
    assert same(run(y, yp, **kw), run(y[:, None], yp[:, None], **kw), rtol=0.0) == []


# ----------------------------------------------------- stated invariances (registry)

SCALE_INVARIANT = set(ALL) - {"mse", "mae", "rmse", "rmsle"}
SHIFT_INVARIANT = {"mse", "mae", "rmse", "nrmse", "marre", "r2", "spearman", "pearson",
                   "kendall", "mutual_information", "mase", "dstsp_binned", "dstsp_gmm",
                   "dh_smoothed", "dh_fft100", "correlation_dimension_error", "max_lyapunov_error"}


def test_scale_invariance(case):
    c = 3.7
    a = run(**case)
    b = run(case["y_true"] * c, case["y_pred"] * c, y_train=case["y_train"] * c, dt=DT,
            max_lyapunov=LORENZ_LAMBDA)
    assert same({k: a[k] for k in SCALE_INVARIANT}, b, RTOL_INV) == []
    assert b["mse"] == pytest.approx(c**2 * a["mse"], rel=RTOL_INV)
    assert b["mae"] == pytest.approx(c * a["mae"], rel=RTOL_INV)
    assert b["rmse"] == pytest.approx(c * a["rmse"], rel=RTOL_INV)


def test_shift_invariance_and_its_stated_exceptions(case):
    c = 5.3
    a = run(**case)
    b = run(case["y_true"] + c, case["y_pred"] + c, y_train=case["y_train"] + c, dt=DT,
            max_lyapunov=LORENZ_LAMBDA)
    assert same({k: a[k] for k in SHIFT_INVARIANT}, b, RTOL_INV) == []
    # percentage-type errors are *not* shift-invariant (stated in their definitions)
    assert all(not np.isclose(a[k], b[k], rtol=1e-3) for k in ["smape", "mape", "wape", "rmsle"])


def test_correlations_invariant_to_monotone_maps_of_forecast():
    y, yp = random_pair(5)
    base = run(y, yp, include=["pearson", "spearman", "kendall"])
    affine = run(y, 2.5 * yp - 4.0, include=["pearson"])
    monotone = run(y, np.exp(yp / 5.0), include=["spearman", "kendall"])
    assert affine["pearson"] == pytest.approx(base["pearson"], rel=RTOL_SAME)
    assert monotone == pytest.approx({k: base[k] for k in monotone}, rel=RTOL_SAME)


def test_smape_symmetric_and_bounded():
    y, yp = random_pair(6)
    assert one("smape", y, yp) == pytest.approx(one("smape", yp, y), rel=RTOL_SAME)
    assert one("smape", y, -y) == pytest.approx(200.0)  # opposite sign: every term is 200


# -------------------------------------------------- independent implementations


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_against_sklearn(seed):
    y, yp = random_pair(seed)
    out = run(y, yp)
    assert out["mse"] == pytest.approx(skm.mean_squared_error(y, yp), rel=RTOL_SAME)
    assert out["mae"] == pytest.approx(skm.mean_absolute_error(y, yp), rel=RTOL_SAME)
    assert out["rmse"] == pytest.approx(skm.root_mean_squared_error(y, yp), rel=RTOL_SAME)
    assert out["r2"] == pytest.approx(skm.r2_score(y, yp), rel=RTOL_SAME)
    ref_mape = 100 * skm.mean_absolute_percentage_error(y, yp)
    assert out["mape"] == pytest.approx(ref_mape, rel=RTOL_SAME)
    # RMSLE: our log-modulus form equals the standard one on non-negative data
    yq, yqp = random_pair(seed, positive=True)
    ref_rmsle = skm.root_mean_squared_log_error(yq, yqp)
    assert one("rmsle", yq, yqp) == pytest.approx(ref_rmsle, rel=RTOL_SAME)


@pytest.mark.parametrize("seed", [0, 1])
def test_mutual_information_against_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((500, 3))
    yp = np.column_stack([y[:, 0] + 0.3 * rng.standard_normal(500),  # strongly dependent
                          np.sin(3 * y[:, 1]) + 0.1 * rng.standard_normal(500),  # nonlinear
                          rng.standard_normal(500)])  # independent
    ref = np.mean([mutual_info_regression(y[:, [d]], yp[:, d], n_neighbors=3, random_state=0)[0]
                   for d in range(3)])
    # Same KSG estimator; only the 1e-10 tie-breaking jitter differs, which can flip the
    # strict "<" count of a near-tie: each flip moves the estimate by ~1/(n N) ~ 1e-4.
    assert one("mutual_information", y, yp) == pytest.approx(ref, abs=2e-3)
    assert ref > 0.3  # the test data carry real information


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_against_darts(seed):
    y, yp = random_pair(seed, positive=True)  # darts' percentage metrics need y != 0
    rng = np.random.default_rng(seed + 10)
    y_train = rng.uniform(1.0, 3.0, size=(150, 3)) * [1.0, 10.0, 0.1]
    out = run(y, yp, y_train=y_train)
    a, p = ts(y, 150), ts(yp, 150)
    assert out["smape"] == pytest.approx(dm.smape(a, p), rel=RTOL_SAME)
    assert out["mape"] == pytest.approx(dm.mape(a, p), rel=RTOL_SAME)
    assert out["marre"] == pytest.approx(dm.marre(a, p), rel=RTOL_SAME)
    assert out["wape"] == pytest.approx(dm.wmape(a, p), rel=RTOL_SAME)
    assert out["rmse"] == pytest.approx(dm.rmse(a, p), rel=RTOL_SAME)
    assert out["r2"] == pytest.approx(dm.r2_score(a, p), rel=RTOL_SAME)
    assert out["rmsle"] == pytest.approx(dm.rmsle(a, p), rel=RTOL_SAME)
    assert out["mase"] == pytest.approx(dm.mase(a, p, ts(y_train), m=1), rel=RTOL_SAME)
    # our CV divides by mean |y|: identical to the classical RMSE/mean(y) when y > 0
    ref_cv = dm.coefficient_of_variation(a, p)
    assert out["coefficient_of_variation"] == pytest.approx(ref_cv, rel=RTOL_SAME)


def _tau_b_bruteforce(x: np.ndarray, y: np.ndarray) -> float:
    i, j = np.triu_indices(len(x), k=1)
    sx, sy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
    n0 = len(i)
    return float(np.sum(sx * sy) / np.sqrt((n0 - np.sum(sx == 0)) * (n0 - np.sum(sy == 0))))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_correlations_against_scipy_and_bruteforce(seed):
    y, yp = random_pair(seed)
    out = run(y, yp, include=["pearson", "spearman", "kendall"])
    refs = {"pearson": stats.pearsonr, "spearman": stats.spearmanr, "kendall": stats.kendalltau}
    for name, ref_fn in refs.items():
        ref = np.mean([ref_fn(y[:, d], yp[:, d]).statistic for d in range(3)])
        assert out[name] == pytest.approx(ref, rel=RTOL_SAME), name
    # with ties (rounded data), against an O(T^2) pair count that shares no code with scipy
    yr, ypr = np.round(y[:80] / [1.0, 5.0, 0.2]), np.round(yp[:80] / [1.0, 5.0, 0.2])  # ~5 levels
    ref = np.mean([_tau_b_bruteforce(yr[:, d], ypr[:, d]) for d in range(3)])
    assert one("kendall", yr, ypr) == pytest.approx(ref, rel=RTOL_SAME)
    assert one("spearman", yr, ypr) == pytest.approx(
        np.mean([stats.spearmanr(yr[:, d], ypr[:, d]).statistic for d in range(3)]), rel=RTOL_SAME)


@pytest.mark.parametrize("levels", [2, 5, 50, None])
def test_rank_statistics_are_scipys(levels):
    """The numpy ranks and tau-b (scipy.stats stays unimported in a job) give scipy's numbers:
    untied data, heavy ties, one sample a tied copy of the other, and lengths 2 and 3."""
    from chaosbench.metrics.pointwise import average_ranks, kendall_tau_b

    rng = np.random.default_rng(levels or 0)
    for n in (2, 3, 17, 256, 1001):
        x = rng.standard_normal((n, 3))
        y = np.column_stack([x[:, 0] + rng.integers(-1, 2, n), -x[:, 1],
                             rng.standard_normal(n)])
        if levels is not None:
            x, y = np.round(x * levels / 3), np.round(y * levels / 3)
        np.testing.assert_array_equal(average_ranks(x), stats.rankdata(x, axis=0))
        for d in range(3):
            ours, ref = kendall_tau_b(x[:, d], y[:, d]), stats.kendalltau(x[:, d], y[:, d])
            if np.isnan(ref.statistic):
                assert np.isnan(ours)
            else:
                assert abs(ours - ref.statistic) <= 1e-12, (n, d)


def test_pearson_on_1d_is_pearson_not_spearman():
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    yp = np.array([1.0, 2.0, 3.0, 4.0, 50.0])  # monotone, far from linear
    assert one("pearson", y, yp) == pytest.approx(stats.pearsonr(y, yp).statistic, rel=RTOL_SAME)
    assert one("pearson", y, yp) < 0.8 < one("spearman", y, yp) == 1.0


# ------------------------------------------------------------ hand-computed examples


def test_tiny_example_by_hand():
    y, yp, y_train = [1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 2.0, 6.0], [0.0, 1.0, 3.0, 6.0]
    # errors e = (0, -1, 1, -2); std(y) = sqrt(1.25); range(y) = 3; sum |y| = 10
    expected = {
        "mse": 6 / 4,
        "mae": 4 / 4,
        "rmse": math.sqrt(1.5),
        "nrmse": math.sqrt(1.5 / 1.25),
        "marre": 100 * 1 / 3,
        "r2": 1 - 6 / 5,
        "rmsle": math.sqrt((math.log(4 / 3) ** 2 + math.log(3 / 4) ** 2 + math.log(1.4) ** 2) / 4),
        "smape": 200 / 4 * (0 + 1 / 5 + 1 / 5 + 2 / 10),
        "mape": 100 / 4 * (0 + 1 / 2 + 1 / 3 + 2 / 4),
        "wape": 100 * 4 / 10,
        "spearman": 0.8,  # ranks (1,3,2,4): sum of centred products 4 over 5
        "pearson": 7 / math.sqrt(5 * 14),
        "kendall": (5 - 1) / 6,  # 5 concordant, 1 discordant pair
        "coefficient_of_variation": 100 * math.sqrt(1.5) / 2.5,
        "mase": 1.0 / 2.0,  # naive in-sample errors 1, 2, 3
    }
    out = run(y, yp, y_train=y_train, include=list(expected))
    assert out == pytest.approx(expected, rel=1e-12)


def test_vpt_by_hand():
    # per-step sMAPE terms 0, 20, 40, 100 -> cumulative 0, 10, 20, 40: first > 30 at t* = 4
    y = np.ones(4)
    yp = np.array([1.0, 11 / 9, 1.5, 3.0])
    kw = dict(dt=0.5, max_lyapunov=1.0)  # one Lyapunov time = 2 steps
    out = run(y, yp, **kw)
    assert out["vpt_steps"] == 3.0  # valid steps *before* the crossing
    assert out["vpt"] == pytest.approx(1.5)
    assert out["vpt_censored"] == 0.0
    assert out["smape_1lt"] == pytest.approx(10.0)  # mean of 0 and 20
    assert math.isnan(out["smape_4lt"])  # 8 steps needed, forecast has 4
    # a NaN ends validity at its step; smape_1lt's 2-step window is unaffected
    yp_nan = yp.copy()
    yp_nan[2] = np.nan
    out = run(y, yp_nan, **kw)
    assert (out["vpt_steps"], out["vpt"], out["vpt_censored"]) == (2.0, 1.0, 0.0)
    assert out["smape_1lt"] == pytest.approx(10.0) and out["smape"] == 200.0
    yp_nan[1] = np.inf  # now inside the 1-LT window
    assert run(y, yp_nan, **kw)["smape_1lt"] == 200.0


def test_vpt_pools_dimensions_and_censors():
    # dim 0 perfect; dim 1 terms 0, 40, 80, 100 -> pooled per-step 0, 20, 40, 50,
    # cumulative 0, 10, 20, 27.5: never above 30 (dim 1 alone would cross at t = 3)
    y = np.ones((4, 2))
    yp = np.column_stack([np.ones(4), [1.0, 1.5, 7 / 3, 3.0]])
    out = run(y, yp, dt=0.1, max_lyapunov=2.0)
    assert out["vpt_steps"] == 4.0 and out["vpt_censored"] == 1.0
    assert out["vpt"] == pytest.approx(4 * 0.1 * 2.0)
    assert run(y[:, 1], yp[:, 1])["vpt_steps"] == 2.0
    # a non-positive exponent has no Lyapunov time
    assert math.isnan(run(y, yp, dt=0.1, max_lyapunov=0.0)["vpt"])


def test_mase_scale_is_per_dimension():
    y_train = np.column_stack([np.arange(10.0), 100.0 * np.arange(10.0)])  # naive MAE 1, 100
    y = np.zeros((3, 2))
    yp = np.ones((3, 2))  # MAE 1 in both dimensions
    assert one("mase", y, yp, y_train=y_train) == pytest.approx((1 / 1 + 1 / 100) / 2)


def test_coefficient_of_variation_on_zero_mean_signal():
    t = np.linspace(0, 20 * np.pi, 2000)
    y = np.sin(t)  # mean ~0: the classical RMSE/mean is ~1e15 here
    cv = one("coefficient_of_variation", y, y + 0.1)
    assert cv == pytest.approx(100 * 0.1 / np.mean(np.abs(y)), rel=RTOL_SAME)
    assert 10 < cv < 20


# ---------------------------------------------------------------- constant series


def test_constant_forecast_values():
    y, _ = random_pair(7)
    yc = np.full_like(y, 0.3)
    out = run(y, yc)
    assert out["pearson"] == out["spearman"] == out["kendall"] == 0.0
    assert out["mutual_information"] == 0.0
    assert out["dh_smoothed"] == out["dh_fft100"] == 1.0  # no spectrum vs a spectrum
    assert np.isfinite(out["r2"]) and out["r2"] < 0


def test_constant_truth_values():
    y = np.full((50, 2), 0.3)  # 0.3: its float mean is not exactly 0.3
    yp = y.copy()
    yp[:, 1] += np.linspace(-1, 1, 50)  # dim 0 perfect, dim 1 imperfect
    out = run(y, yp)
    assert out["r2"] == pytest.approx((1.0 + 0.0) / 2)  # 1 if perfect, 0 if not
    assert out["nrmse"] == math.inf and out["marre"] == math.inf  # x/0 = inf
    assert out["pearson"] == pytest.approx((1.0 + 0.0) / 2)  # identical dim 1, constant 0
    perfect = run(y, y.copy())
    assert perfect["nrmse"] == perfect["marre"] == 0.0 and perfect["r2"] == 1.0  # 0/0 = 0
    assert perfect["pearson"] == perfect["kendall"] == perfect["spearman"] == 1.0
    assert perfect["dh_smoothed"] == 0.0 and perfect["dstsp_binned"] == 0.0


def test_zero_truth_percentage_conventions():
    y = np.array([0.0, 1.0, 2.0, 0.0])
    exact = np.array([0.0, 1.0, 2.0, 0.0])
    assert one("smape", y, exact) == 0.0 and one("mape", y, exact) == 0.0  # 0/0 terms count 0
    off = np.array([0.0, 1.0, 2.0, 0.5])
    assert one("smape", y, off) == pytest.approx(200 / 4)  # y = 0 != yhat: a full 200 term
    assert one("mape", y, off) == math.inf


# -------------------------------------------------------------- attractor metrics


def test_identical_distributions_give_zero(lorenz):
    y = lorenz[:3000]
    names = ["dstsp_binned", "dstsp_gmm", "dh_smoothed", "dh_fft100",
             "correlation_dimension_error", "max_lyapunov_error"]
    out = run(y, y.copy(), dt=DT, include=names)
    assert all(v == 0.0 for v in out.values()), out


@pytest.mark.parametrize("name", ["dstsp_binned", "dstsp_gmm"])
def test_dstsp_grows_with_shift_and_scale(lorenz, name):
    y = lorenz[:3000]
    sd = y.std(axis=0)
    shifted = [one(name, y, y + s * sd) for s in (0.0, 0.05, 0.2, 0.5, 1.0, 2.0)]
    # (f = 1 written as y itself: y.mean + 1 * (y - y.mean) moves the extreme points by an
    # ulp, out of the true range, which dstsp_binned rightly counts as overflow)
    mu = y.mean(axis=0)
    scaled = [one(name, y, y)] + [one(name, y, mu + f * (y - mu)) for f in (1.1, 1.3, 1.6, 2.5)]
    assert shifted[0] == 0.0 and np.all(np.diff(shifted) > 0), shifted
    assert scaled[0] == 0.0 and np.all(np.diff(scaled) > 0), scaled


def test_dstsp_same_attractor_much_smaller_than_wrong_attractor(lorenz):
    y, other = lorenz[:3000], lorenz[5000:8000]  # same attractor, independent segment
    sd = y.std(axis=0)
    # the binned variant saturates (Laplace smoothing of 27,001 bins, 3000 points), so its
    # margin is smaller; measured ratios 0.28 and 0.006
    for name, factor in (("dstsp_binned", 0.5), ("dstsp_gmm", 0.05)):
        assert one(name, y, other) < factor * one(name, y, y + 2 * sd), name


@pytest.mark.parametrize("name", ["dh_smoothed", "dh_fft100"])
def test_dh_grows_with_spectral_distortion(lorenz, name):
    y = lorenz[:4000]
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(y.shape) * y.std(axis=0)
    vals = [one(name, y, y + a * noise) for a in (0.0, 0.1, 0.3, 1.0, 3.0)]
    assert vals[0] == 0.0 and np.all(np.diff(vals) > 0), vals
    assert vals[-1] <= 1.0


def test_dh_smoothed_grows_with_frequency_mismatch():
    t = np.arange(5000)

    def sig(f: float) -> np.ndarray:
        return np.column_stack([np.sin(2 * np.pi * f * t), np.cos(2 * np.pi * 2.3 * f * t)])

    vals = [one("dh_smoothed", sig(0.01), sig(0.01 * (1 + d))) for d in (0.0, 0.02, 0.1, 0.3, 1.0)]
    assert np.all(np.diff(vals) > 0), vals


def test_correlation_dimension_of_known_sets(lorenz):
    rng = np.random.default_rng(0)
    theta = rng.uniform(0, 2 * np.pi, 3000)
    circle = np.column_stack([np.cos(theta), np.sin(theta)])
    square = rng.uniform(size=(3000, 2))
    # Tolerances: over 8 seeds the circle gave 1.004 +- 0.009 and the square 1.96 +- 0.02
    # (it reads ~2% low from edge effects at the largest radii), so 0.1 / 0.15 are >5 sd.
    # Lorenz: 2.05 +- 0.01 (Grassberger & Procaccia 1983); over 6 trajectories of this
    # length the estimate was 2.09 +- 0.06 (this one: 2.16), hence 0.2.
    assert attractor.correlation_dimension(circle) == pytest.approx(1.0, abs=0.1)
    assert attractor.correlation_dimension(square) == pytest.approx(2.0, abs=0.15)
    assert attractor.correlation_dimension(lorenz) == pytest.approx(2.05, abs=0.2)
    assert attractor.correlation_dimension(np.ones((500, 3))) == 0.0  # a point
    # metric: a 2-D set forecast for a 1-D set is off by ~1
    assert one("correlation_dimension_error", circle, square) == pytest.approx(1.0, abs=0.2)


def test_largest_lyapunov_exponent_of_lorenz(lorenz):
    # Rosenstein on 100 time units: over 6 other initial conditions the estimate was
    # 0.87 +- 0.05 (sd; range 0.79-0.93), this trajectory gives 0.92. 15% around the
    # literature 0.906 covers that spread and still fails for a wrong time unit (x dt)
    # or a wrong fit region (the initial transient alone gives ~1.3).
    lam = attractor.largest_lyapunov_exponent(lorenz, DT)
    assert lam == pytest.approx(LORENZ_LAMBDA, rel=0.15)
    # periodic signal: no exponential divergence; white noise: divergence within a step
    t = np.arange(5000)
    periodic = np.column_stack([np.sin(2 * np.pi * t / 100), np.cos(2 * np.pi * t / 100)])
    assert attractor.largest_lyapunov_exponent(periodic, DT) == 0.0
    noise = np.random.default_rng(0).standard_normal((5000, 3))
    assert attractor.largest_lyapunov_exponent(noise, DT) > 20 * LORENZ_LAMBDA
    # scalar series are delay-embedded: the x coordinate alone gives the same order
    lam_x = attractor.largest_lyapunov_exponent(lorenz[:, :1], DT)
    assert lam_x == pytest.approx(LORENZ_LAMBDA, rel=0.3)


def test_max_lyapunov_error_orders_forecasts(lorenz):
    y = lorenz[:5000]
    t = np.arange(5000)
    phase = 2 * np.pi * t / 75
    periodic = np.column_stack([np.sin(phase), np.cos(phase), np.sin(phase / 2)])
    same_system = one("max_lyapunov_error", y, lorenz[5000:10000], dt=DT)
    wrong = one("max_lyapunov_error", y, periodic, dt=DT)
    assert same_system < 0.25 < wrong
