"""Forecasters that misbehave on purpose, for the runner's reliability tests."""

import time

import numpy as np


class _Base:
    multivariate = True

    def __init__(self, seed: int = 0, **_):
        self.seed = seed

    def fit(self, train, dt):
        self.d = train.shape[1]
        return self


class Raising(_Base):
    def fit(self, train, dt):
        raise RuntimeError("boom: this forecaster always fails")


class NaNs(_Base):
    def predict(self, horizon):
        out = np.zeros((horizon, self.d))
        out[horizon // 2:] = np.nan
        return out


class Sleeper(_Base):
    def fit(self, train, dt):
        time.sleep(60)
        return super().fit(train, dt)
