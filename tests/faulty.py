"""Forecasters that misbehave on purpose, for the runner's reliability tests."""

import os
import time

import numpy as np

from chaosbench.forecasters.baselines import LinearAR


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



class BlockingAR(LinearAR):
    """``LinearAR`` that blocks for a minute when ``lags == block_lags`` while the file
    ``block_file`` exists: a tuning study reliably has a trial running when it is killed."""

    name = "blocking_ar"
    defaults = {**LinearAR.defaults, "block_lags": 0, "block_file": ""}

    def _fit(self, train, dt):
        hp = self.hyperparameters
        if hp["lags"] == hp["block_lags"] and os.path.exists(hp["block_file"]):
            time.sleep(60)
        super()._fit(train, dt)
