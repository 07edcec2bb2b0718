"""Rebuild ``chaosbench/published/`` (the published results as tidy tables) from dysts' history.

    chaosbench-venv/bin/python benchmarks/extract_published.py /work/.mirror/williamgilpin+dysts/repo

Reads ``benchmarks/results/`` and ``benchmarks/hyperparameters/`` of the dysts repository at
commit ``chaosbench.published.COMMIT`` with ``git show`` (the argument is a git directory, a bare
mirror is enough) and writes ``gilpin2023.csv.gz`` (scores), ``gilpin2023_hp.csv.gz`` (tuned
hyperparameters) and ``gilpin2023_sources.json`` (every file: used, skipped or missing). The
tables hold published facts (Gilpin 2023, Phys. Rev. Research 5, 043252; Gilpin 2021, NeurIPS);
no code of the dysts repository is used. See ``chaosbench.published`` for the columns.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from chaosbench.published import COMMIT, data_dir

RESULTS = "benchmarks/results/"
HYPER = "benchmarks/hyperparameters/"
MV = "test_multivariate__pts_per_period_100__periods_12"
#: The data-limited sweep of the darts rows, and of ESN / NVAR / NODE.
SWEEP_DARTS = f"{RESULTS}data_sweep_{MV}.json.json"
SWEEP_RC = f"{RESULTS}data_sweep_{MV}.json_node_esn_nvar.json"
#: The own result files of the rows outside darts, and the hyperparameter each tuned.
OWN = {"ESN": (f"{RESULTS}results_esn_multivariate.json.gz", "leak_rate"),
       "NVAR": (f"{RESULTS}results_nvar_multivariate.json.gz", "delay"),
       "NODE": (f"{RESULTS}results_neural_ode_multivariate.json.gz", "window")}
TIMING = [f"{RESULTS}results_{MV}.json_timing.json", f"{RESULTS}results_{MV}.json_timing_esn.json",
          f"{RESULTS}results_{MV}.json_timing_nvar.json"]
UNIVARIATE = {
    f"{RESULTS}results_test_univariate__pts_per_period_100__periods_12.json.gz":
        "gilpin2021_univariate",
    f"{RESULTS}results_test_univariate__pts_per_period_100__periods_12_noise.json.gz":
        "gilpin2021_univariate_noise",
    f"{RESULTS}results_test_univariate__pts_per_period_15__periods_12.json":
        "gilpin2021_univariate_coarse",
    f"{RESULTS}results_test_univariate__pts_per_period_15__periods_12_noise.json":
        "gilpin2021_univariate_coarse_noise",
}
HYPER_FILES = {
    f"{HYPER}hyperparameters_multivariate_train_multivariate__pts_per_period_100__periods_12.json":
        "gilpin2023",
    f"{HYPER}hyperparameters_train_univariate__pts_per_period_100__periods_12.json":
        "gilpin2021_univariate",
    f"{HYPER}hyperparameters_train_univariate__pts_per_period_15__periods_12.json":
        "gilpin2021_univariate_coarse",
}
#: Files not read, and why.
SKIPPED = {
    "data_sweep_": "another run of the data-limited sweep (a subset of systems or models, or a "
                   "copy); the canonical sweeps are the two files marked used",
    "results_esn_multivariate.json": "the uncompressed twin of the .gz file",
    "results_neural_ode_multivariate.json": "the uncompressed twin of the .gz file",
}
#: The 2023 data-limited sweep trains on train[i:1000] for these i (25 evenly spaced starts
#: leaving at least one 100-point lookback window), so n_train = 1000 - i.
SPLIT, MAX_LAG, N_LENGTHS = 1000, 100, 25


def n_train_grid() -> list[int]:
    starts = np.unique(np.linspace(0, SPLIT - MAX_LAG - 1, N_LENGTHS).astype(int))
    return [SPLIT - int(i) for i in starts]


class Mirror:
    def __init__(self, gitdir: Path):
        self.gitdir = gitdir

    def listing(self, folder: str) -> list[str]:
        out = subprocess.run(["git", "-C", str(self.gitdir), "ls-tree", "-r", "--name-only",
                              COMMIT, folder], check=True, capture_output=True, text=True)
        return out.stdout.splitlines()

    def load(self, path: str):
        """The parsed JSON file, or None when the mirror lacks its blob."""
        proc = subprocess.run(["git", "-C", str(self.gitdir), "show", f"{COMMIT}:{path}"],
                              capture_output=True)
        if proc.returncode != 0:
            return None
        data = proc.stdout
        if path.endswith(".gz"):
            data = gzip.decompress(data)
        return json.loads(data)


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def score_rows(mirror: Mirror, used: dict[str, str]) -> list[dict]:
    rows: list[dict] = []

    def add(system, model, protocol, metric, value, source, n_train=None):
        rows.append({"system": system, "model": model, "protocol": protocol, "metric": metric,
                     "value": _number(value), "n_train": n_train,
                     "source_file": source.rsplit("/", 1)[-1], "commit": COMMIT})

    lengths = n_train_grid()
    for path in (SWEEP_DARTS, SWEEP_RC):
        sweep = mirror.load(path)
        if sweep is None:
            continue
        used[path] = ("smape of each model trained on the last n_train points; the first of 25 "
                      "lengths (1,000) is the gilpin2023 darts score. Where a list holds repeated "
                      "runs (50 or 75 entries) the first run is kept")
        for system, models in sweep.items():
            for model, values in models.items():
                for n, value in zip(lengths, values[:N_LENGTHS]):
                    add(system, model, "gilpin2023_data_limited", "smape", value, path, n)
                if path == SWEEP_DARTS and values:
                    add(system, model, "gilpin2023", "smape", values[0], path, SPLIT)
    for model, (path, _) in OWN.items():
        data = mirror.load(path)
        if data is None:
            continue
        used[path] = f"{model}: smape on the 200-point test (tuned value in the hp table)"
        for system, entry in data.items():
            add(system, model, "gilpin2023", "smape", entry.get("smape"), path, SPLIT)
    for path in TIMING:
        data = mirror.load(path)
        if data is None:
            continue
        used[path] = "fit and predict seconds (the paper's GPU cluster)"
        for system, models in data.items():
            for model, times in models.items():
                if not isinstance(times, dict):
                    continue  # "values": the test trajectory
                add(system, model, "gilpin2023", "train_seconds", times.get("Train time"), path)
                add(system, model, "gilpin2023", "inference_seconds",
                    times.get("Inference time"), path)
    for path, protocol in UNIVARIATE.items():
        data = mirror.load(path)
        if data is None:
            continue
        used[path] = "every scalar metric of every model (the forecasts are left out)"
        for system, models in data.items():
            for model, entry in models.items():
                if not isinstance(entry, dict):
                    continue
                for metric, value in entry.items():
                    if metric != "prediction":
                        add(system, model, protocol, metric, value, path)
    return rows


def hyperparameter_rows(mirror: Mirror, used: dict[str, str]) -> list[dict]:
    rows: list[dict] = []

    def add(system, model, protocol, parameter, value, source):
        rows.append({"system": system, "model": model, "protocol": protocol,
                     "parameter": parameter, "value": json.dumps(value),
                     "source_file": source.rsplit("/", 1)[-1], "commit": COMMIT})

    for path, protocol in HYPER_FILES.items():
        data = mirror.load(path)
        if data is None:
            continue
        used[path] = "the per-system values chosen by grid search (device settings left out)"
        for system, models in data.items():
            for model, params in models.items():
                for parameter, value in params.items():
                    if parameter != "pl_trainer_kwargs":
                        add(system, model, protocol, parameter, value, path)
    for model, (path, parameter) in OWN.items():
        data = mirror.load(path)
        if data is None:
            continue
        for system, entry in data.items():
            value = _number(entry.get("tau_val"))
            add(system, model, "gilpin2023", parameter,
                int(value) if parameter != "leak_rate" else round(value, 10), path)
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gitdir", type=Path, help="a clone or bare mirror of williamgilpin/dysts")
    parser.add_argument("--out", type=Path, default=data_dir())
    args = parser.parse_args(argv)
    mirror = Mirror(args.gitdir)
    used: dict[str, str] = {}
    scores = pd.DataFrame(score_rows(mirror, used))
    hp = pd.DataFrame(hyperparameter_rows(mirror, used))
    listing = mirror.listing(RESULTS) + mirror.listing(HYPER)
    sources = []
    for path in listing:
        name = path.rsplit("/", 1)[-1]
        if path in used:
            sources.append({"file": path, "status": "used", "note": used[path]})
        elif mirror.load(path) is None if path.endswith((".json", ".gz")) else False:
            sources.append({"file": path, "status": "missing",
                            "note": "listed in the tree at this commit, blob absent from the mirror"})
        else:
            why = next((v for k, v in SKIPPED.items() if name.startswith(k)),
                       "not a score or hyperparameter table of the forecasting benchmarks")
            sources.append({"file": path, "status": "skipped", "note": why})
    args.out.mkdir(parents=True, exist_ok=True)
    scores.to_csv(args.out / "gilpin2023.csv.gz", index=False, float_format="%.10g")
    hp.to_csv(args.out / "gilpin2023_hp.csv.gz", index=False)
    (args.out / "gilpin2023_sources.json").write_text(json.dumps(sources, indent=1) + "\n")
    missing = [s["file"] for s in sources if s["status"] == "missing"]
    print(f"{len(scores)} score rows, {len(hp)} hyperparameter rows; missing from the mirror: "
          + (", ".join(m.rsplit('/', 1)[-1] for m in missing) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
