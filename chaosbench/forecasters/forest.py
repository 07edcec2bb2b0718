"""A random forest whose prediction of a few rows is fast and exactly scikit-learn's.

A recursive forecast asks a forest for one row at a time: a 1,000-step forecast is 1,000 calls
to ``RandomForestRegressor.predict``. Each call spends milliseconds in input validation, joblib's
dispatch and one Cython call per tree, for microseconds of tree walking. :class:`RandomForest`
predicts by walking all trees at once on flat node arrays with numpy, and reproduces
scikit-learn's arithmetic step by step, so its predictions are the same floats:

- inputs are cast to float32, as the trees were fitted, and compared with the float64
  thresholds (``x <= threshold`` goes left; a NaN goes where ``missing_go_to_left`` says);
- the trees' leaf values are added in the order of ``estimators_``, starting from 0.0 in
  float64, then divided by the number of trees, as ``ForestRegressor.predict`` accumulates them.

Fitting is scikit-learn's own. ``tests/test_forest.py`` checks the predictions bit for bit
against scikit-learn's; ``benchmarks/bench_forest.py`` times the two side by side.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestRegressor

__all__ = ["RandomForest", "FlatTrees"]


class FlatTrees:
    """The nodes of a fitted forest's trees in flat arrays, with leaves that point to themselves.

    A walk of ``depth`` steps from every root, ``node <- left[node] if x[feature[node]] <=
    threshold[node] else right[node]``, ends at each tree's leaf for ``x``: a leaf's children
    are the leaf itself, so a walk that arrives early stays put.
    """

    def __init__(self, estimators) -> None:
        trees = [e.tree_ for e in estimators]
        sizes = np.array([t.node_count for t in trees])
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        left, right, feature, threshold, nan_left, value = [], [], [], [], [], []
        for tree, offset in zip(trees, offsets):
            own = np.arange(tree.node_count) + offset
            leaf = tree.children_left == -1
            left.append(np.where(leaf, own, tree.children_left + offset))
            right.append(np.where(leaf, own, tree.children_right + offset))
            feature.append(np.where(leaf, 0, tree.feature))
            threshold.append(tree.threshold)
            nan_left.append(tree.missing_go_to_left.astype(bool))
            value.append(tree.value[:, :, 0])
        self.roots = offsets.astype(np.intp)
        self.left = np.concatenate(left).astype(np.intp)
        self.right = np.concatenate(right).astype(np.intp)
        self.feature = np.concatenate(feature).astype(np.intp)
        self.threshold = np.concatenate(threshold)
        self.nan_left = np.concatenate(nan_left)
        self.value = np.concatenate(value)
        self.depth = max(t.max_depth for t in trees)

    def leaves(self, X: np.ndarray) -> np.ndarray:
        """Each row's leaf in each tree: integer array (rows, trees), for float32 rows ``X``."""
        rows = np.arange(X.shape[0])[:, None]
        node = np.broadcast_to(self.roots, (X.shape[0], self.roots.size))
        for _ in range(self.depth):
            x = X[rows, self.feature[node]]
            go_left = (x <= self.threshold[node]) | (np.isnan(x) & self.nan_left[node])
            node = np.where(go_left, self.left[node], self.right[node])
        return node

    def mean(self, X: np.ndarray) -> np.ndarray:
        """The forest's prediction for ``X``: (rows, outputs), scikit-learn's sum order."""
        values = self.value[self.leaves(X)]                      # (rows, trees, outputs)
        start = np.zeros((values.shape[0], 1, values.shape[2]))
        total = np.cumsum(np.concatenate([start, values], axis=1), axis=1)[:, -1]
        total /= values.shape[1]
        return total


class RandomForest(RandomForestRegressor):
    """scikit-learn's ``RandomForestRegressor``, fitted as it is, predicting few rows fast.

    Calls with up to ``flat_rows`` rows of a dense array go through :class:`FlatTrees`; others
    (many rows, sparse input) go to scikit-learn, where its own parallel loop is the faster.
    """

    flat_rows = 64

    def fit(self, X, y, sample_weight=None):
        self._flat = None
        return super().fit(X, y, sample_weight=sample_weight)

    def as_sklearn(self) -> RandomForestRegressor:
        """The same fitted trees as a plain ``RandomForestRegressor`` (scikit-learn's own
        predict), sharing this forest's arrays: the reference the fast path is checked against."""
        plain = RandomForestRegressor(**self.get_params())
        plain.__dict__.update({k: v for k, v in self.__dict__.items() if k != "_flat"})
        return plain

    def predict(self, X):
        if isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[0] <= self.flat_rows:
            X = self._validate_X_predict(X)                      # float32, checked like sklearn
            if getattr(self, "_flat", None) is None:
                self._flat = FlatTrees(self.estimators_)
            out = self._flat.mean(X)
            return out if self.n_outputs_ > 1 else out[:, 0]
        return super().predict(X)
