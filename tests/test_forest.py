"""The random forest's fast predict is scikit-learn's, bit for bit (chaosbench.forecasters.forest).

Exact equality is the claim, so the checks use ``np.array_equal``: the fast path walks the same
trees with the same float32 comparisons and adds the leaf values in the same order.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.ensemble import RandomForestRegressor

import chaosbench
from chaosbench import forecasters
from chaosbench.forecasters.forest import RandomForest


def _data(outputs: int, missing: bool = False):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(300, 6)) * [1, 10, 100, 1e-3, 1, 1]
    y = np.sin(X[:, :outputs] * [1, 0.1, 0.01][:outputs]) + 0.1 * rng.normal(size=(300, outputs))
    if missing:
        X[rng.random(X.shape) < 0.05] = np.nan
    return X, (y if outputs > 1 else y[:, 0])


def _pair(params: dict, X, y):
    fast = RandomForest(**params).fit(X, y)
    slow = RandomForestRegressor(**params).fit(X, y)
    return fast, slow


@pytest.mark.parametrize("outputs", [1, 3])
@pytest.mark.parametrize("params", [
    {"n_estimators": 20, "random_state": 0},
    {"n_estimators": 7, "max_depth": 3, "random_state": 1},
    {"n_estimators": 10, "min_samples_leaf": 5, "max_features": 0.5, "random_state": 2},
])
def test_fast_predict_is_sklearns(outputs, params):
    X, y = _data(outputs)
    fast, slow = _pair(params, X, y)
    queries = np.random.default_rng(3).normal(size=(40, 6)) * [1, 10, 100, 1e-3, 1, 1]
    queries = np.concatenate([queries, X[:20]])                 # points on the training set
    for rows in (queries[:1], queries[:5], queries):            # 1 row, a few, above flat_rows
        assert np.array_equal(fast.predict(rows), slow.predict(rows))
    assert fast.predict(queries[:1]).shape == slow.predict(queries[:1]).shape


def test_thresholds_compare_as_float32():
    # An input between a float32 threshold's neighbours in float64 must go where sklearn's
    # float32 cast sends it.
    X, y = _data(1)
    fast, slow = _pair({"n_estimators": 5, "random_state": 0}, X, y)
    thresholds = fast.estimators_[0].tree_.threshold[fast.estimators_[0].tree_.feature >= 0]
    feature = fast.estimators_[0].tree_.feature[fast.estimators_[0].tree_.feature >= 0]
    rows = np.tile(X[:1], (len(thresholds), 1))
    rows[np.arange(len(thresholds)), feature] = np.nextafter(thresholds, np.inf)
    for k in range(0, len(rows), 32):
        assert np.array_equal(fast.predict(rows[k:k + 32]), slow.predict(rows[k:k + 32]))


def test_missing_values_follow_the_fitted_side():
    X, y = _data(3, missing=True)
    fast, slow = _pair({"n_estimators": 15, "random_state": 0}, X, y)
    assert fast.estimators_[0].tree_.missing_go_to_left.any()   # the case is exercised
    queries = X[:50].copy()
    queries[::3, 1] = np.nan
    assert np.array_equal(fast.predict(queries), slow.predict(queries))


def test_refit_and_pickle_keep_predictions_exact():
    X, y = _data(3)
    fast, slow = _pair({"n_estimators": 5, "random_state": 0}, X, y)
    fast.predict(X[:2])                                         # builds the flat arrays
    fast.fit(X[::-1], y[::-1])                                  # a refit must drop them
    slow.fit(X[::-1], y[::-1])
    assert np.array_equal(fast.predict(X[:3]), slow.predict(X[:3]))
    again = pickle.loads(pickle.dumps(fast))
    assert np.array_equal(again.predict(X[:3]), slow.predict(X[:3]))


def test_forecaster_forecast_is_unchanged():
    """The random_forest forecaster's recursive forecast with the fast forest equals the one
    with scikit-learn's own predict, step for step."""
    data = chaosbench.system("Lorenz").trajectory(400)
    model = forecasters.make("random_forest", seed=0, lags=5, n_estimators=10)
    model.fit(data[:300], 0.01)
    estimator = model._model.model
    assert isinstance(estimator, RandomForest)
    fast = model.predict(60)
    plain = estimator.as_sklearn()
    assert type(plain) is RandomForestRegressor                 # scikit-learn's own predict
    model._model.model = plain
    assert np.array_equal(model.predict(60), fast)
