"""chaosbench.plots and `chaosbench report`: figure content, the HTML report in a real browser,
and bad input.

The sweeps here are synthetic and written through the real result schema: truth is a smooth
3-D signal, each model's forecast is the truth plus noise of a model-specific size that grows
along the horizon, and the rows hold the real metrics of those forecasts. The models' order is
therefore known in every (system, seed) block: oracle < good < poor < broken (always fails).
"""

from __future__ import annotations

import io
import math
import os

import numpy as np
import pandas as pd
import pytest

import chaosbench
from chaosbench import metrics, plots
from chaosbench.commands import report as report_command
from chaosbench.results import job_path, read_sweep, write_forecast, write_rows

import chromium

SYSTEMS = ("Lorenz", "Rossler")
NOISE = {"oracle": 0.01, "good": 0.1, "poor": 0.6}  # forecast error per model (x the signal)
MODELS = (*NOISE, "broken")
SEEDS = (0, 1)
N_TRAIN, N_TEST, DT = 60, 80, 0.05
METRICS = ("smape", "vpt", "mae")


def _signal(n: int, phase: float) -> np.ndarray:
    t = np.arange(n) * DT
    return np.stack([2.0 + np.sin((k + 1) * t + phase) for k in range(3)], axis=1)


def write_sweep(root, sweep: str, models=MODELS, *, save: bool = True) -> pd.DataFrame:
    """A synthetic sweep (module docstring) on disk; returns its rows."""
    for system in SYSTEMS:
        lam = chaosbench.system(system).max_lyapunov
        for seed in SEEDS:
            x = _signal(N_TRAIN + N_TEST, phase=seed + len(system))
            train, test = x[:N_TRAIN], x[N_TRAIN:]
            for i, model in enumerate(models):
                job = f"{system}__{model}__standard__s{seed}__{i:012d}"
                status, reason, scores, forecast = "failed", "RuntimeError: boom", {}, None
                if model in NOISE:
                    rng = np.random.default_rng([seed, i])
                    growth = np.linspace(0.2, 2.0, N_TEST)[:, None]
                    forecast = test + NOISE[model] * growth * rng.standard_normal(test.shape)
                    status, reason = "ok", ""
                    scores = metrics.compute(test, forecast, y_train=train, dt=DT,
                                             max_lyapunov=lam, include=METRICS)
                common = dict(sweep=sweep, job_id=job, system=system, forecaster=model,
                              protocol="standard", seed=seed, status=status, reason=reason,
                              fit_seconds=0.01, predict_seconds=0.01, horizon_steps=N_TEST,
                              horizon_lyapunov=N_TEST * DT * lam, n_train=N_TRAIN, dt=DT,
                              max_lyapunov=lam, univariate=False, per_dimension=False,
                              config_hash="0" * 12, versions="{}", timestamp="")
                path = job_path(root, sweep, job)
                write_rows(path, [{**common, "metric": m, "value": scores.get(m, math.nan)}
                                  for m in METRICS])
                if save and forecast is not None:
                    write_forecast(path.with_suffix(".npz"), train=train, test=test,
                                   forecast=forecast)
    return read_sweep(root, sweep)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    rows = write_sweep(root, "synthetic")
    return root, rows, plots.load_forecasts(root, "synthetic", rows)


@pytest.fixture(scope="module")
def report(sweep):
    """The report of a sweep without saved forecasts, ranked on VPT (six figures; the forecast
    figures are the slowest to render, and the slow test below renders them too)."""
    write_sweep(sweep[0], "nosave", save=False)
    return plots.write_report(sweep[0], "nosave", metric="vpt", n_boot=200, progress=False)


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


# ----------------------------------------------------------------------------- figure content


def test_ranking_recovers_the_known_order_and_failed_jobs_rank_last(sweep):
    rows = sweep[1]
    ranking = plots.rank_models(rows, "smape")
    assert list(ranking.mean_ranks.index) == ["oracle", "good", "poor", "broken"]
    assert ranking.mean_ranks.tolist() == [1.0, 2.0, 3.0, 4.0]  # the same order in every block
    assert ranking.n_blocks == len(SYSTEMS) * len(SEEDS)
    # Demsar (2006): CD = q_0.05(k=4) / sqrt 2 * sqrt(k (k+1) / 6N), q/sqrt2 = 2.569 (table 5).
    assert ranking.critical_difference == pytest.approx(2.569 * math.sqrt(20 / 24), abs=1e-3)
    # chi2_F = 12N/(k(k+1)) [sum R^2 - k(k+1)^2/4] = 2.4 * 5 = 12 for a perfect order, N = 4.
    assert ranking.statistic == pytest.approx(12.0)
    assert ranking.pvalues.loc["oracle", "broken"] < 0.05 < ranking.pvalues.loc["oracle", "good"]
    # VPT is higher-is-better: the ranking turns round (the oracle still first, maybe tied
    # with good when both stay valid over the whole horizon; the failed model last).
    vpt = plots.rank_models(rows, "vpt").mean_ranks
    assert vpt["oracle"] == vpt.min() and vpt.idxmax() == "broken"


def test_cd_diagram_lists_every_model_with_its_rank(sweep):
    fig = plots.cd_diagram(sweep[1], "smape")
    texts = " ".join(_texts(fig))
    for model, rank in {"oracle": 1, "good": 2, "poor": 3, "broken": 4}.items():
        assert model in texts and f"({rank})" in texts
    assert "Friedman" in fig.axes[0].get_title(loc="left")
    assert "mean rank" in fig.axes[0].get_xlabel()


def test_cd_diagram_with_one_model_says_why(sweep):
    rows = sweep[1]
    fig = plots.cd_diagram(rows[rows.forecaster == "good"], "smape")
    assert "at least two models" in " ".join(_texts(fig))


def test_heatmap_has_one_cell_per_system_and_model(sweep):
    rows = sweep[1]
    fig = plots.heatmap(rows, "smape")
    ax = fig.axes[0]
    image = ax.get_images()[0].get_array()
    assert image.shape == (len(SYSTEMS), len(MODELS))
    columns = [t.get_text() for t in ax.get_xticklabels()]
    assert columns == ["oracle", "good", "poor", "broken"]  # best median first
    assert [t.get_text() for t in ax.get_yticklabels()] == sorted(SYSTEMS)
    assert np.ma.getmaskarray(image)[:, columns.index("broken")].all()  # failed: no value
    expected = plots.metric_matrix(rows, "smape").to_numpy()
    np.testing.assert_allclose(image.filled(np.nan), expected)  # the medians over seeds
    assert "sMAPE" in fig.axes[1].get_ylabel()  # the colour bar says what it shows


def test_every_figure_labels_its_axes(sweep):
    rows, saved = sweep[1], sweep[2]
    table = plots.leaderboard_table(rows, n_boot=50)
    figures = {
        "leaderboard": plots.leaderboard_figure(table), "cd": plots.cd_diagram(rows),
        "vpt": plots.vpt_by_model(rows), "heatmap": plots.heatmap(rows),
        "vpt_lyapunov": plots.vpt_vs_invariant(rows, "max_lyapunov"),
        "vpt_dimension": plots.vpt_vs_invariant(rows, "correlation_dimension"),
        "steps": plots.smape_by_step(saved), "steps_lt": plots.smape_by_step(saved,
                                                                            unit="lyapunov"),
        "traces": plots.forecast_traces(saved, "Lorenz"),
        "attractor": plots.attractor_overlay(saved, "Lorenz"),
        "spectra": plots.power_spectra(saved, "Lorenz"),
        "gallery": plots.attractor("Lorenz", periods=3, pts_per_period=20, transient_periods=1),
    }
    def labelled(ax, axis: str) -> bool:  # a shared axis may carry its label on one panel
        shared = getattr(ax, f"get_shared_{axis}_axes")().get_siblings(ax)
        return any(getattr(a, f"get_{axis}label")() for a in shared)

    for name, fig in figures.items():
        for ax in fig.axes:
            if ax.get_label() == "<colorbar>":
                continue
            assert labelled(ax, "x"), (name, "x")
            if name != "cd":  # the CD diagram's only axis is its rank axis
                assert labelled(ax, "y"), (name, "y")
            if hasattr(ax, "get_zlabel"):
                assert ax.get_zlabel(), (name, "z")
    units = {"vpt": "Lyapunov times", "steps": "steps", "steps_lt": "Lyapunov times",
             "traces": "Lyapunov times"}
    for name, unit in units.items():
        axis_text = " ".join(ax.get_xlabel() + ax.get_ylabel() for ax in figures[name].axes)
        assert unit in axis_text, name
    assert figures["gallery"].axes[0].get_xlabel() == "x"  # the system's own variable names


def test_vpt_against_the_catalogue_exponent(sweep):
    rows = sweep[1]
    fig = plots.vpt_vs_invariant(rows, "max_lyapunov")
    xs = np.concatenate([c.get_offsets()[:, 0] for c in fig.axes[0].collections])
    assert set(np.round(xs, 9)) == {round(chaosbench.system(s).max_lyapunov, 9) for s in SYSTEMS}
    with pytest.raises(ValueError, match="valid: max_lyapunov"):
        plots.vpt_vs_invariant(rows, "entropy")


def test_step_smape_is_the_metric_spread_over_the_horizon(sweep):
    saved = sweep[2][0]
    per_step = plots.step_smape(saved)
    # sMAPE is the mean of its terms, so the mean of the per-step curve is the metric itself.
    assert per_step.mean() == pytest.approx(metrics.compute(saved.test, saved.forecast,
                                                            include=["smape"])["smape"], rel=1e-12)
    broken = saved.forecast.copy()
    broken[10:] = np.nan
    bad = plots.step_smape(plots.SavedForecast(**{**saved.__dict__, "forecast": broken}))
    assert np.all(bad[10:] == 200.0) and np.allclose(bad[:10], per_step[:10])


def test_seed_bootstrap_interval(sweep):
    per_job = plots.block_matrix(sweep[1], "smape")["good"].rename("value").reset_index()
    lo, hi = plots.seed_bootstrap(per_job, n_boot=500, seed=1)
    assert per_job.value.min() <= lo <= per_job.value.median() <= hi <= per_job.value.max()
    assert plots.seed_bootstrap(per_job, n_boot=500, seed=1) == (lo, hi)  # seeded
    one_seed = per_job[per_job.seed == 0]
    assert all(math.isnan(v) for v in plots.seed_bootstrap(one_seed))


def test_models_are_named_by_label_when_the_sweep_has_one(sweep):
    rows = sweep[1].assign(label=lambda r: r.forecaster + "[units=100]")
    assert set(plots.model_names(rows)) == {f"{m}[units=100]" for m in MODELS}
    table = plots.leaderboard_table(rows, n_boot=20)
    assert table.model.iloc[0] == "oracle[units=100]"
    assert set(plots.model_names(sweep[1])) == set(MODELS)


# ----------------------------------------------------------------------------- the report


def test_report_writes_every_figure_as_png_and_svg(report, sweep):
    folder = report.parent / "figures"
    stems = {p.stem for p in folder.glob("*.png")}
    assert stems == {p.stem for p in folder.glob("*.svg")}
    assert stems == {"leaderboard", "cd_vpt", "vpt_by_model", "vpt_vs_lyapunov",
                     "vpt_vs_correlation_dimension", "heatmap_vpt"}
    root, rows, saved = sweep
    table = plots.leaderboard_table(rows, n_boot=10)
    planned = {f.stem for f in plots.report_figures(rows, saved, metric="smape", table=table,
                                                    systems=["Lorenz"], gallery=True)}
    assert {"smape_by_step", "traces_Lorenz", "attractor_Lorenz", "spectra_Lorenz",
            "gallery_Lorenz", "gallery_Rossler", "cd_smape", "heatmap_smape",
            "heatmap_vpt"} <= planned
    assert "traces_Rossler" not in planned
    page = report.read_text()
    assert "No saved forecasts" in page
    assert "4 of 16 jobs failed or timed out" in page and "RuntimeError: boom" in page
    assert page.count("<img ") == len(stems)
    assert "http://" not in page and "https://" not in page  # nothing from the network
    assert "[" in page.split("id=\"leaderboard\"")[1].split("</table>")[0]  # intervals


def _need_chromium() -> None:
    if chromium.binary() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: run .ci/services/chromium.sh start")
        pytest.skip("chromium not installed (.ci/services/chromium.sh start)")


@pytest.mark.integration
def test_report_in_a_real_browser(report, tmp_path):
    _need_chromium()
    # Click the "model" header: the table sorts alphabetically.
    sort = """(function () {
      document.querySelectorAll('#leaderboard th')[1].click();
      return Array.from(document.querySelectorAll('#leaderboard tbody tr'))
                  .map(function (r) { return r.cells[1].textContent; });
    })()"""
    page = chromium.open_page(report, script=sort)
    (tmp_path / "report.png").write_bytes(page.screenshot)
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(page.screenshot)).convert("L"), dtype=float)
    assert pixels.shape == (900, 1200)
    assert pixels.std() > 10  # a blank page has std 0; text and figures give ~60
    assert page.title == "chaosbench report: nosave"
    assert len(page.images) == report.read_text().count("<img ")
    assert all(image["loaded"] for image in page.images), page.images
    assert page.errors == []
    assert page.value == sorted(MODELS)


@pytest.mark.slow
def test_full_report_with_saved_forecasts_and_gallery_in_a_browser(sweep, tmp_path):
    _need_chromium()
    index = plots.write_report(sweep[0], "synthetic", out=tmp_path / "full", gallery=True,
                               metric="vpt", progress=False)
    stems = {p.stem for p in (tmp_path / "full" / "figures").glob("*.svg")}
    assert {f"{kind}_{s}" for kind in ("traces", "attractor", "spectra", "gallery")
            for s in SYSTEMS} <= stems
    # Per-system figures are linked, not inlined: they load from the figures folder.
    assert 'src="figures/attractor_Lorenz.png"' in index.read_text()
    page = chromium.open_page(index)
    assert len(page.images) == len(stems) and all(i["loaded"] for i in page.images)
    assert page.errors == []


def test_the_browser_check_sees_broken_pages(tmp_path):
    """The checks above can fail: a missing image and a script error are both caught."""
    _need_chromium()
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><img src='missing.png' alt='x'>"
                   "<script>undefinedFunction();</script></body></html>")
    page = chromium.open_page(bad)
    assert page.images == [{"alt": "x", "loaded": False, "width": 0}]
    assert any("undefinedFunction" in e for e in page.errors)


# ----------------------------------------------------------------------------- bad input


def _run(argv, capsys):
    code = report_command.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_sweep_without_results_names_the_sweeps_that_exist(sweep, capsys):
    root = sweep[0]
    before = sorted(p for p in root.rglob("*"))
    code, _, err = _run(["nosuch", "--results-dir", str(root)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "no results" in err and "synthetic" in err
    assert sorted(p for p in root.rglob("*")) == before  # nothing written


def test_an_unknown_metric_is_one_line_with_the_valid_ones(sweep, capsys):
    code, _, err = _run(["synthetic", "--results-dir", str(sweep[0]), "--metric", "smap"],
                        capsys)
    assert code == 2 and err.count("\n") == 1 and "Did you mean 'smape'" in err


def test_an_unknown_system_is_one_line(sweep, capsys):
    code, _, err = _run(["synthetic", "--results-dir", str(sweep[0]), "--systems", "Lorentz"],
                        capsys)
    assert code == 2 and err.count("\n") == 1 and "Did you mean 'Lorenz'" in err


def test_a_sweep_of_failed_jobs_still_renders_and_says_so(tmp_path, capsys):
    write_sweep(tmp_path, "allfail", models=("broken",))
    code, out, err = _run(["allfail", "--results-dir", str(tmp_path), "--no-progress"], capsys)
    assert code == 0
    assert "every job of sweep 'allfail' failed (4 jobs)" in err
    page = (tmp_path / "allfail" / "report" / "index.html").read_text()
    assert "Every job of this sweep failed" in page and "RuntimeError: boom" in page
    assert "index.html" in out


def test_readme_figures_of_the_report_exist():
    """The README's "Report and figures" section shows committed copies of report figures."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    section = (root / "README.md").read_text().split("## Report and figures")[1].split("\n## ")[0]
    links = [line.split("](")[1].split(")")[0] for line in section.splitlines()
             if line.startswith("![")]
    assert len(links) >= 4 and "chaosbench report" in section
    for link in links:
        assert (root / link).is_file(), link


def test_catalogue_gallery_command(tmp_path, capsys):
    from chaosbench.commands import catalogue

    assert catalogue.main(["gallery", "--systems", "Lorenz", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Lorenz.png", "Lorenz.svg"]
    assert catalogue.main(["gallery", "--systems", "Lorentz", "--out", str(tmp_path / "x")]) == 2
    assert "Did you mean 'Lorenz'" in capsys.readouterr().err and not (tmp_path / "x").exists()
