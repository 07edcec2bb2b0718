"""Forecasters that misbehave on purpose, for the runner's reliability tests.

Each is what a user's bad luck arranges: a crash of every kind, a hang that fights its timeout,
a forecast that is wrong in type or size, and a model that touches what it should not.
"""

import ctypes
import os
import signal
import subprocess
import sys
import time

import numpy as np

from chaosbench.forecasters.baselines import LinearAR


class _Base:
    multivariate = True

    def __init__(self, seed: int = 0, **_):
        self.seed = seed

    def fit(self, train, dt):
        self.d = train.shape[1]
        self.last = np.asarray(train[-1])
        return self

    def predict(self, horizon):
        return np.repeat(self.last[None, :], horizon, axis=0)


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


class HardExit(_Base):
    def fit(self, train, dt):
        print("about to leave without a word")
        os._exit(3)


class SysExit(_Base):
    def fit(self, train, dt):
        sys.exit(1)


class Segfault(_Base):
    def fit(self, train, dt):
        print("reading address zero", file=sys.stderr, flush=True)
        ctypes.string_at(0)


class Interrupted(_Base):
    def fit(self, train, dt):
        raise KeyboardInterrupt


class SwallowsEverything(_Base):
    """A retry loop that catches every exception (a library's habit) around a long wait."""

    def fit(self, train, dt):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                time.sleep(0.05)
            except BaseException:  # noqa: BLE001 - the point of this model
                pass
        return super().fit(train, dt)


class CancelsTimers(_Base):
    """Turns off every alarm and ignores SIGTERM, then hangs."""

    def fit(self, train, dt):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            time.sleep(0.1)


class CompiledLoop(_Base):
    """An infinite loop in compiled code, which never returns to the interpreter."""

    def fit(self, train, dt):
        import numba

        @numba.njit(cache=False)
        def spin(n):
            total = 0
            while n > 0:  # n never changes: loops forever without touching Python
                total += 1
            return total

        spin(1)


class Spawner(_Base):
    """Starts a long-lived subprocess and forgets it."""

    def fit(self, train, dt):
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        with open(os.environ["SPAWNER_PID_FILE"], "w") as f:
            f.write(str(proc.pid))
        return super().fit(train, dt)


class Huge(_Base):
    def predict(self, horizon):
        return np.full((horizon, self.d), 1e150)


class Escapes(_Base):
    """Finite, then 100x outside the training range from step 5 on."""

    def fit(self, train, dt):
        super().fit(train, dt)
        self.scale = float(np.ptp(train)) * 100
        return self

    def predict(self, horizon):
        out = super().predict(horizon).astype(float)
        out[5:] += self.scale
        return out


class Complex(_Base):
    def predict(self, horizon):
        return super().predict(horizon) + 1j


class Strings(_Base):
    def predict(self, horizon):
        return np.full((horizon, self.d), "x")


class WrongShape(_Base):
    def predict(self, horizon):
        return np.zeros((horizon + 1, self.d))


class Chdir(_Base):
    def fit(self, train, dt):
        os.chdir("/")
        return super().fit(train, dt)


class MutatesTrain(_Base):
    def fit(self, train, dt):
        train[:] = 0.0
        return super().fit(train, dt)


class PeeksAtTest(_Base):
    """Reads past the end of its training array through ``.base``: must find nothing there."""

    def fit(self, train, dt):
        self.base = train.base
        return super().fit(train, dt)

    def predict(self, horizon):
        base = self.base
        while base is not None and getattr(base, "base", None) is not None:
            base = base.base
        if isinstance(base, np.ndarray) and base.ndim == 2 and len(base) >= self.n_train + horizon:
            return np.array(base[self.n_train:self.n_train + horizon])
        return super().predict(horizon)

    n_train = 200


class NotAModel:
    """Has no fit/predict: the command line must refuse it."""



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
