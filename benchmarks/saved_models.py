"""Our paper profiles against the benchmark author's own saved darts models, on their data.

The dysts repository (commit cc777ed, ``benchmarks/saved_models/saved_models/``) holds three darts
models the author trained on Lorenz in July 2024 (NBEATS, an LSTM ``RNNModel`` and a Transformer),
each pickled with its training series (2,000 points) and its constructor arguments, beside its
500-step forecast and the true continuation. That is one published forecast whose model, data and
settings are all known, so it isolates the model as we run it from everything else (catalogue,
protocol, tuning): this script fits ``paper/<row>`` with the saved model's own settings on the
saved training series, for several torch seeds, and prints the sMAPE of our forecasts and of the
saved one over the same horizon.

    python benchmarks/saved_models.py --dysts /path/to/dysts [--rows nbeats,lstm,transformer]
        [--seeds 0,1,2] [--horizon 200] [--epochs N] [--save forecasts.npz]

``--dysts`` is a clone (or bare git directory) of github.com/williamgilpin/dysts; the files are
read at commit cc777ed with ``git show``. Loading the pickles needs darts (the models are darts
objects; only their data and settings are read, never their weights, which the repository
lacks for two of the three). ``--epochs`` overrides the saved budget, for a quick run.

Printed per row and seed, for the saved forecast and ours: the sMAPE over the horizon (the
paper's score, which the chaos of a single forecast makes noisy across seeds), the error of the
first step (a one-step prediction from the true history, the fitted model's accuracy without the
amplification), and the steps until the error first exceeds 1 (about 1/8 of Lorenz's std).
"""

from __future__ import annotations

from chaosbench.threads import limit_env

limit_env(1)  # one thread per process before torch loads

import argparse  # noqa: E402
import io  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

COMMIT = "cc777ed98f2397afe873ca9adfd145f4bd0dc909"
FOLDER = "benchmarks/saved_models/saved_models"
#: row -> (file stem of the saved model, paper profile)
ROWS = {
    "nbeats": ("NBEATS", "paper/nbeats"),
    "lstm": ("RNN", "paper/lstm"),
    "transformer": ("Transformer", "paper/transformer"),
}
#: Saved constructor arguments that are not the model's (the author's GPU trainer settings).
_NOT_MODEL = {"pl_trainer_kwargs", "output_chunk_shift"}


def git_file(repo: str, path: str) -> bytes:
    return subprocess.run(["git", "-C", repo, "show", f"{COMMIT}:{path}"], check=True,
                          capture_output=True).stdout


def smape(truth: np.ndarray, forecast: np.ndarray) -> float:
    """sMAPE on the 0-200 scale, as chaosbench.metrics and the paper define it."""
    from chaosbench.metrics import compute

    return float(compute(truth, forecast, include=["smape"])["smape"])


def first_step_error(truth: np.ndarray, forecast: np.ndarray) -> float:
    """Error norm of the first forecast step, a one-step prediction from the true history: a
    measure of the fitted model that the chaos of the later steps does not amplify."""
    return float(np.linalg.norm(forecast[0] - truth[0]))


def steps_within(truth: np.ndarray, forecast: np.ndarray, tolerance: float = 1.0) -> int:
    """Steps before the error norm first exceeds ``tolerance`` (about 1/8 of Lorenz's std)."""
    over = np.linalg.norm(forecast - truth, axis=1) > tolerance
    return int(np.argmax(over)) if over.any() else len(over)


def measures(truth: np.ndarray, forecast: np.ndarray) -> str:
    """sMAPE, step-1 error and steps within tolerance of ``forecast``, as a table's columns."""
    return (f"{smape(truth, forecast):7.1f} {first_step_error(truth, forecast):13.4f} "
            f"{steps_within(truth, forecast):10d}")


def saved(repo: str, stem: str) -> dict:
    """The saved model's settings, training series, forecast and the true continuation."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pickled = git_file(repo, f"{FOLDER}/trained_{stem}_Lorenz_granularity100.pt")
        model = torch.load(io.BytesIO(pickled), map_location="cpu", weights_only=False)
    # None is darts' default for the optional modules (custom_encoder, norm_type, ...).
    params = {k: v for k, v in dict(model._model_params).items()
              if k not in _NOT_MODEL and v is not None}
    params.update(n_epochs=model.n_epochs, batch_size=model.batch_size)
    train = np.asarray(model.training_series._xa.values, dtype=float).reshape(-1, 3)
    load = lambda name: np.load(io.BytesIO(git_file(repo, f"{FOLDER}/{name}")))  # noqa: E731
    return {"params": params, "train": train,
            "forecast": load(f"forecast_Lorenz_{stem}_granularity100.npy"),
            "truth": load("traj_Lorenz_granularity100_true.npy"),
            "precision": model.trainer_params.get("precision")}


def ours(row: str, params: dict, train: np.ndarray, seed: int,
         horizon: int) -> tuple[np.ndarray, float]:
    from chaosbench.forecasters import make

    overrides = dict(params)
    if row == "lstm":
        # The saved run set its own training_length; darts' RNNModel forecasts one step at a
        # time (output_chunk_length 1), the only setting our LSTM has.
        chunk, cell = overrides.pop("output_chunk_length", 1), overrides.pop("model")
        if (chunk, cell) != (1, "LSTM"):
            raise ValueError(f"saved RNNModel has output_chunk_length={chunk}, model={cell}; "
                             "paper/lstm is an LSTM forecasting one step at a time")
        overrides["cap_input_chunk"] = False
    t0 = time.perf_counter()
    model = make(ROWS[row][1], seed=seed, **overrides).fit(train, 1.0)
    return model.predict(horizon), time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dysts", required=True, help="a clone or git directory of dysts")
    parser.add_argument("--rows", default="lstm,nbeats,transformer")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--horizon", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=None, help="override the saved budget")
    parser.add_argument("--save", default=None, help="write every forecast to this .npz")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    h = args.horizon
    import darts

    print(f"darts {darts.__version__}; Lorenz, the saved models' own data and settings")
    print(f"{'row':12} {'forecast':10} {'sMAPE':>7} {'step-1 error':>13} {'steps < 1':>10} "
          f"{'fit s':>7}")
    kept = {}
    for row in args.rows.split(","):
        data = saved(args.dysts, ROWS[row][0])
        params = dict(data["params"])
        if args.epochs is not None:
            params["n_epochs"] = args.epochs
        truth = data["truth"][:h]
        print(f"{row:12} {'saved':10} {measures(truth, data['forecast'][:h])}")
        scores = []
        for seed in seeds:
            forecast, seconds = ours(row, params, data["train"], seed, h)
            kept[f"{row}_seed{seed}"] = forecast
            scores.append(smape(truth, forecast))
            print(f"{'':12} {f'seed {seed}':10} {measures(truth, forecast)} {seconds:7.0f}",
                  flush=True)
        print(f"{'':12} settings: {', '.join(f'{k}={v}' for k, v in params.items())}; saved "
              f"precision {data['precision']}, {len(data['train'])} training points; our median "
              f"sMAPE {np.median(scores):.1f} over {len(seeds)} seeds", flush=True)
    if args.save:
        np.savez(args.save, truth=data["truth"][:h], **kept)


if __name__ == "__main__":
    main()
