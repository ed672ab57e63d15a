"""Tests for the figures (issue 7): every figure function on small generated results, the catalogue's choice
of figures per kind of results folder, the provenance sidecars, and `aieco figures` on good and bad folders.

The results are tiny (archetype roster, 200 developers, 24 months, 2-3 replications) and generated once per
session; figures are saved as PDF (the fastest format) where files are needed. About 20-30 s in all.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import BASELINE, TINY_SET, small

from sim.cli import main
from sim.plots import catalogue, fan, style
from sim.plots import run as runplots
from sim.plots import sweep as sweepplots

ROOT = Path(__file__).resolve().parents[1]
METRICS = 'metrics = ["open_share_CN_mean12", "us_cn_gap_months_mean12", "noncn_on_cn_open_mean12"]\n'


def _texts(artists) -> list[str]:
    return [t.get_text() for t in artists]


def _legend_texts(fig) -> list[str]:
    out = []
    for leg in [*fig.legends, *(ax.get_legend() for ax in fig.axes)]:
        if leg is not None:
            out += _texts(leg.get_texts())
    return out


def _caption(fig) -> str:
    return " ".join(" ".join(t.get_text().split()) for t in fig.texts)


def _non_empty(fig) -> None:
    assert fig.axes
    drawn = sum(len(ax.lines) + len(ax.collections) + len(ax.patches) + len(ax.images) for ax in fig.axes)
    assert drawn > 0


# ---------------------------------------------------------------------------------------------
# generated results (once per session)
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def results(tmp_path_factory) -> dict[str, Path]:
    from sim.analysis.compare import run_comparison, write_comparison
    from sim.analysis.runs import run_replications, write_run
    from sim.analysis.sweep import load_spec, run_sweep

    root = tmp_path_factory.mktemp("results")
    sc = small(months=24, **{"developers.n": 200, "developers.payoff_sample": 100})
    out = {"run": write_run(root / "run", run_replications(sc, 3))}
    other = small(sc, **{"governments.US.export_control": {"CN": 0.9}, "name": "strict"})
    out["compare"] = write_comparison(root / "compare", run_comparison([sc, other], 2))
    grid = root / "grid.toml"
    grid.write_text(f'base = "{BASELINE}"\nname = "tiny_grid"\nreplications = 2\ndesign = "grid"\n{METRICS}'
                    + textwrap.dedent("""
        [[factors]]
        name = "export_control_CN"
        path = "governments.US.export_control.CN"
        levels = [0.0, 0.5, 1.0]
        [[factors]]
        name = "leakage"
        path = "governments.US.leakage"
        levels = [0.0, 0.25, 0.5]
        """) + TINY_SET)
    run_sweep(load_spec(grid), root / "grid", executor="serial", progress=False)
    out["grid"] = root / "grid"
    lhs = root / "lhs.toml"
    lhs.write_text(f'base = "{BASELINE}"\nname = "tiny_lhs"\nreplications = 1\n{METRICS}'
                   + textwrap.dedent("""
        [design]
        kind = "lhs"
        samples = 16
        [[factors]]
        path = "labs.beta"
        range = "plausible"
        [[factors]]
        path = "labs.follower_open_value"
        range = "plausible"
        [[factors]]
        path = "governments.US.leakage"
        range = "plausible"
        """) + TINY_SET)
    run_sweep(load_spec(lhs), root / "lhs", executor="serial", progress=False)
    out["lhs"] = root / "lhs"
    return out


@pytest.fixture(scope="session")
def ts(results) -> pd.DataFrame:
    return pd.read_parquet(results["run"] / "timeseries.parquet")


@pytest.fixture(scope="session")
def grid_results(results) -> pd.DataFrame:
    from sim.analysis.sweep import load_results

    return load_results(results["grid"], include_traceback=False)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------------------------------------
# style
# ---------------------------------------------------------------------------------------------

def test_figure_widths_and_bad_width():
    for w, inches in style.WIDTHS_IN.items():
        fig, _ = style.figure(w)
        assert fig.get_figwidth() == pytest.approx(inches)
    with pytest.raises(ValueError, match="width"):
        style.figure("triple")


def test_palette_is_fixed_and_distinct_in_colour_and_line_style():
    regions = {"US", "CN", "EU", "ROW"}
    assert set(style.REGION_COLORS) == set(style.REGION_LABELS) == set(style.REGION_STYLES) == regions
    assert len(set(style.REGION_COLORS.values())) == 4
    assert len({str(v) for v in style.REGION_STYLES.values()}) == 4
    assert style.STRATEGY_STYLES["open"] != style.STRATEGY_STYLES["closed"]


def test_metric_labels_have_units():
    assert style.metric_label("open_share_CN_mean12") == (
        "Open-weight share of Chinese labs, mean of last 12 months", "share of labs")
    assert style.metric_label("us_cn_gap_months")[1] == "months"
    assert style.metric_label("noncn_on_cn_open")[1] == "share of developers"


def test_save_writes_formats_and_sidecar(tmp_path, results):
    fig, ax = style.figure("single")
    ax.plot([0, 1], [0, 1])
    style.caption(fig, "a caption")
    prov = style.provenance(results["run"], seeds_note="x")
    paths = style.save(fig, tmp_path / "f_single", ("pdf", "svg", "png"), prov)
    assert [p.suffix for p in paths] == [".pdf", ".svg", ".png", ".json"]
    assert all(p.stat().st_size > 0 for p in paths)
    side = json.loads((tmp_path / "f_single.json").read_text())
    for key in ("command", "versions", "git", "results", "manifest_sha256", "seeds", "files"):
        assert key in side
    assert side["results_kind"] == "run" and len(side["manifest_sha256"]) == 64
    assert side["versions"]["matplotlib"] and side["files"] == ["f_single.pdf", "f_single.svg", "f_single.png"]
    from PIL import Image

    with Image.open(tmp_path / "f_single.png") as im:
        assert im.info["dpi"][0] == pytest.approx(300, abs=1)
    with pytest.raises(ValueError, match="format"):
        style.save(style.figure()[0], tmp_path / "g", ("jpg",))


def test_sweep_provenance_records_the_seed_rule_not_the_table(results):
    prov = style.provenance(results["grid"])
    assert prov["results_kind"] == "sweep" and set(prov["seeds"]) == {"base_seed", "rule", "runs"}


# ---------------------------------------------------------------------------------------------
# run figures
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("width", ["single", "double"])
def test_open_share_small_multiples(ts, width):
    fig = runplots.fig_open_share(ts, "tiny", width)
    _non_empty(fig)
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_visible() and ax.axison]
    assert set(titles) <= set(style.REGION_LABELS.values()) and "China" in titles
    assert fig.axes[0].get_ylabel() == "Share of labs"
    assert "median of replications" in _legend_texts(fig)
    assert "middle 90% of replications" in _legend_texts(fig)
    assert "3 replications" in _caption(fig)


@pytest.mark.parametrize("width", ["single", "double"])
def test_frontier_and_lags(ts, width):
    fig = runplots.fig_frontier(ts, "tiny", width)
    ax, ax2 = fig.axes[:2]
    assert ax.get_ylabel() == "Capability (ECI)" and ax2.get_ylabel() == "Lag (months)"
    legend = _legend_texts(fig)
    assert {"Best closed model", "Best open-weight model", "Open models behind closed",
            "China behind the US"} <= set(legend)
    assert any("Open-weight lag in" in t.get_text() for t in ax.texts)
    assert "Epoch" in _caption(fig)


def test_regions_adoption_compute(ts):
    fig = runplots.fig_regions(ts, "tiny")
    assert set(_legend_texts(fig)) == set(style.REGION_LABELS.values())
    fig = runplots.fig_adoption(ts, "tiny", "single")
    legend = _legend_texts(fig)
    assert len(legend) == 8 and "China, open-weight" in legend and "United States, closed" in legend
    assert fig.axes[0].get_ylabel() == "Share of developers" and fig.axes[0].get_ylim() == (0, 1)
    fig = runplots.fig_compute(ts, "tiny")
    assert fig.axes[0].get_yscale() == "log" and "H100" in fig.axes[0].get_ylabel()


def test_fan_chart_of_headline_metrics(ts):
    fig = fan.fig_fan(ts, "tiny", "double")
    _non_empty(fig)
    titles = " ".join(ax.get_title(loc="left").replace("\n", " ") for ax in fig.axes)
    assert "Chinese labs" in titles and "lag" in titles
    assert {"median", "middle 50%", "middle 90%"} <= set(_legend_texts(fig))
    assert any(ax.get_ylabel() == "Months" for ax in fig.axes)


def _assert_inside(fig, width: str, what: str = "") -> None:
    """Nothing (legend, label, title, caption) sticks out of the paper width."""
    fig.canvas.draw()
    bb = fig.get_tightbbox()
    assert bb.x0 >= -0.02 and bb.x1 <= style.WIDTHS_IN[width] + 0.02, (what, width, bb)
    texts = [t for t in fig.texts if t.get_text()]  # the caption, below the figure box
    assert texts and all(t.get_window_extent().x1 / fig.dpi <= style.WIDTHS_IN[width] + 0.02 for t in texts)
    plt.close(fig)


@pytest.mark.parametrize("width", ["single", "double"])
def test_run_figures_stay_inside_their_width(ts, width):
    for key, fn in runplots.RUN_FIGURES.items():
        _assert_inside(fn(ts, "tiny", width), width, key)


@pytest.mark.parametrize("width", ["single", "double"])
def test_sweep_figures_stay_inside_their_width(grid_results, results, width):
    from sim.analysis.sweep import load_results

    base = {"export_control_CN": 0.9, "leakage": 0.25}
    m = "us_cn_gap_months_mean12"
    _assert_inside(sweepplots.fig_heatmap(grid_results, "export_control_CN", "leakage", m, baseline=base,
                                          width=width), width, "heatmap")
    _assert_inside(sweepplots.fig_slices(grid_results, "export_control_CN", "leakage", m, baseline=base,
                                         width=width), width, "slices")
    lhs = load_results(results["lhs"], include_traceback=False)
    _assert_inside(sweepplots.fig_tornado(lhs, ["labs.beta", "labs.follower_open_value", "governments.US.leakage"], m,
                                          width=width), width, "tornado")


def test_date_axis_labels_do_not_crowd(ts):
    import matplotlib.dates as mdates

    for width, ncols in (("single", 2), ("double", 4)):
        fig, axes = style.figure(width, 0.3, 1, ncols)
        for ax in np.atleast_1d(axes):
            ax.plot(style.to_dates(["2022-01", "2030-12"]), [0, 1])
            style.date_axis(ax)
        fig.canvas.draw()
        ax = np.atleast_1d(axes)[0]
        labels = [t for t in ax.get_xticklabels() if t.get_text()]
        boxes = [t.get_window_extent() for t in labels]
        assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:], strict=False)), width
        assert isinstance(ax.xaxis.get_major_formatter(), mdates.DateFormatter)


# ---------------------------------------------------------------------------------------------
# sweep figures
# ---------------------------------------------------------------------------------------------

def test_heatmap_cells_labels_and_baseline(grid_results, results):
    from sim.analysis.sweep.store import read_manifest

    base = sweepplots.baseline_point(read_manifest(results["grid"]), ["export_control_CN", "leakage"])
    assert base == {"export_control_CN": 0.0, "leakage": 0.25}
    fig = sweepplots.fig_heatmap(grid_results, "export_control_CN", "leakage", "us_cn_gap_months_mean12",
                                 baseline=base, width="single")
    _non_empty(fig)
    ax = fig.axes[0]
    assert "strictness" in ax.get_xlabel() and "leakage" in ax.get_ylabel().lower()
    assert "China's lag behind the US" in ax.get_title(loc="left")
    centres = {(x, y) for x in (0.0, 0.5, 1.0) for y in (0.0, 0.25, 0.5)}
    cells = [t for t in ax.texts if tuple(map(float, t.get_position())) in centres and t.get_text() != "baseline"]
    assert len(cells) == 9 and all(t.get_text() for t in cells)  # one value per cell (contour labels aside)
    assert any(t.get_text() == "baseline" for t in ax.texts)
    assert "Months" in fig.axes[1].get_ylabel()  # the colour bar
    cap = _caption(fig)
    assert "mean of 2 replications" in cap and ("contours" in cap or "No contour lines" in cap)


def test_heatmap_draws_contours_only_where_cells_differ_beyond_noise():
    rng = np.random.default_rng(0)
    x, y = np.meshgrid([0.0, 0.5, 1.0], [0.0, 0.25, 0.5])
    df = pd.DataFrame({"a": np.repeat(x.ravel(), 4), "b": np.repeat(y.ravel(), 4),
                       "replication": np.tile(range(4), 9)})
    df["us_cn_gap_months"] = 10 + 8 * df["a"] - 6 * df["b"] + rng.normal(0, 0.3, len(df))
    df["status"] = "ok"
    fig = sweepplots.fig_heatmap(df, "a", "b", "us_cn_gap_months")
    assert "Lines: contours" in _caption(fig)
    noise = df.assign(us_cn_gap_months=rng.normal(10, 1, len(df)))
    assert "within run-to-run noise" in _caption(sweepplots.fig_heatmap(noise, "a", "b", "us_cn_gap_months"))
    # a share of labs that is significant but flat on its 0-1 colour scale gets no contours either
    flat = df.assign(open_share_CN=0.98 + 0.01 * df["a"] + rng.normal(0, 0.001, len(df)))
    assert "vary by only" in _caption(sweepplots.fig_heatmap(flat, "a", "b", "open_share_CN"))
    # a corner effect on a noisy plateau: contours around the corner, none through the plateau
    z = np.full((3, 3), 0.6)
    z[0, 2] = 1.0
    levels, _ = sweepplots.contour_levels(z + rng.normal(0, 0.01, (3, 3)), se=0.02, colour_span=1.0)
    assert levels and all(v > 0.65 for v in levels)
    # one replication per cell: the noise is unknown, so no contours claim that cells differ
    one = df.drop_duplicates(["a", "b"])
    cap = _caption(sweepplots.fig_heatmap(one, "a", "b", "us_cn_gap_months"))
    assert "noise is unknown" in cap and "Lines: contours" not in cap


def test_slices_and_line(grid_results):
    fig = sweepplots.fig_slices(grid_results, "export_control_CN", "leakage", "open_share_CN_mean12",
                                baseline={"export_control_CN": 0.9, "leakage": 0.25})
    a1, a2 = fig.axes[:2]
    assert "strictness" in a1.get_xlabel() and "leakage" in a2.get_xlabel().lower()
    assert a1.get_ylabel() == "Share of labs"
    assert "leakage" in a1.get_legend().get_title().get_text().lower()
    assert _texts(a1.get_legend().get_texts()) == ["0", "0.25", "0.5", "baseline"]
    fig = sweepplots.fig_line(grid_results, "leakage", "us_cn_gap_months_mean12")
    assert fig.axes[0].get_ylabel() == "Months" and "leakage" in fig.axes[0].get_xlabel().lower()


def test_sensitivity_indices_recover_a_known_ranking():
    rng = np.random.default_rng(1)
    X = rng.uniform(size=(300, 3))
    df = pd.DataFrame(X, columns=["big", "small", "none"]).assign(status="ok")
    df["m"] = 5 * df["big"] - 1 * df["small"] + rng.normal(0, 0.3, 300)
    for method in ("prcc", "src"):
        table, r2 = sweepplots.sensitivity_indices(df, ["big", "small", "none"], "m", method, n_boot=50)
        assert list(table["factor"]) == ["big", "small", "none"]
        assert table["value"].iloc[0] > 0.8 and table["value"].iloc[1] < 0 and r2 > 0.8
        assert (table["lo"] <= table["value"]).all() and (table["value"] <= table["hi"]).all()
    with pytest.raises(sweepplots.SweepFigureError):
        sweepplots.sensitivity_indices(df.head(4), ["big", "small", "none"], "m")


def test_tornado(results):
    from sim.analysis.sweep import load_results

    lhs = load_results(results["lhs"], include_traceback=False)
    factors = ["labs.beta", "labs.follower_open_value", "governments.US.leakage"]
    fig = sweepplots.fig_tornado(lhs, factors, "us_cn_gap_months_mean12", width="single")
    ax = fig.axes[0]
    assert set(_texts(ax.get_yticklabels())) == {"Labs' open/closed choice\nsensitivity",
                                                  "Value of opening for\nfollowers", "Export-control leakage"}
    assert "PRCC" in ax.get_xlabel() and ax.get_xlim() == (-1.05, 1.05)
    assert _legend_texts(fig) == ["raises the metric", "lowers the metric"]
    assert "16 runs" in _caption(fig)


# ---------------------------------------------------------------------------------------------
# catalogue and CLI
# ---------------------------------------------------------------------------------------------

def _stems(paths) -> set[str]:
    return {p.stem for p in paths if p.suffix == ".pdf"}


@pytest.mark.slow
def test_catalogue_picks_the_figures_of_each_kind(results, tmp_path):
    assert catalogue.results_kind(results["run"]) == "run"
    got = _stems(catalogue.draw_figures(results["run"], ("pdf",), "single", tmp_path / "run"))
    assert got == {f"{k}_single" for k in runplots.RUN_FIGURES}
    got = _stems(catalogue.draw_figures(results["compare"], ("pdf",), "double", tmp_path / "compare"))
    assert got == {"compare_timeseries_double", "compare_differences_double", "compare_difference_timeseries_double"}
    got = _stems(catalogue.draw_figures(results["grid"], ("pdf",), "double", tmp_path / "grid"))
    assert got == {f"sweep_{f}_{m}_double" for f in ("heatmap", "slices")
                   for m in ("open_share_CN", "us_cn_gap_months", "noncn_on_cn_open")}
    got = _stems(catalogue.draw_figures(results["lhs"], ("pdf",), "double", tmp_path / "lhs"))
    assert got == {f"sweep_tornado_{m}_double" for m in ("open_share_CN", "us_cn_gap_months", "noncn_on_cn_open")}
    side = json.loads((tmp_path / "lhs" / "sweep_tornado_open_share_CN_double.json").read_text())
    assert side["results_kind"] == "sweep" and side["figure_args"]["metric"] == "open_share_CN_mean12"


def test_validation_folder_draws_p1_and_notes_the_rest(results, tmp_path, ts):
    validation = pytest.importorskip("sim.analysis.validation")
    rel = pd.read_parquet(results["run"] / "releases.parquet")
    d = tmp_path / "validation"
    d.mkdir()
    validation.simulated_statistics(ts, rel).to_csv(d / "validation_replications.csv", index=False)
    (d / "manifest.json").write_text(json.dumps({"kind": "validation", "scenario": {"name": "tiny"},
                                                 "p1_definition": "incl_unreleased"}))
    notes: list[str] = []
    got = _stems(catalogue.draw_figures(d, ("pdf",), "double", tmp_path / "out", note=notes.append))
    assert got == {"validation_p1_double"} and "validation_p2" in notes[0]
    shutil.copy(results["run"] / "timeseries.parquet", d / "timeseries.parquet")
    got = _stems(catalogue.draw_figures(d, ("pdf",), "double", tmp_path / "out2"))
    assert got == {"validation_p1_double", "validation_p2_double", "validation_p3_double"}


def test_sensitivity_folder_without_its_plot_module_is_skipped_with_a_note(results, tmp_path, monkeypatch):
    d = tmp_path / "sens"
    shutil.copytree(results["lhs"], d / "sweep")
    (d / "manifest.json").write_text(json.dumps({"kind": "sensitivity", "sweep": "sweep"}))
    monkeypatch.setitem(sys.modules, "sim.plots.sensitivity", None)  # import fails
    notes: list[str] = []
    got = _stems(catalogue.draw_figures(d, ("pdf",), "double", tmp_path / "out", note=notes.append))
    assert any("sim.plots.sensitivity" in n for n in notes)
    assert got == {f"sweep_tornado_{m}_double" for m in ("open_share_CN", "us_cn_gap_months", "noncn_on_cn_open")}


def test_catalogue_lists_every_kind():
    assert set(catalogue.CATALOGUE) == {"run", "compare", "sweep", "validation", "sensitivity", "discovery", "abc"}
    md = catalogue.catalogue_markdown()
    assert "sim.plots.sweep.fig_heatmap" in md and md.count("\n") > 10


@pytest.mark.slow
def test_cli_draws_both_widths(results, tmp_path):
    out = tmp_path / "figs"
    r = CliRunner().invoke(main, ["figures", str(results["compare"]), "--format", "pdf", "--width", "both",
                                  "--out", str(out)])
    assert r.exit_code == 0, r.output
    names = {p.name for p in out.iterdir()}
    assert {f"compare_{f}_{w}.{e}" for f in ("timeseries", "differences", "difference_timeseries")
            for w in ("single", "double")
            for e in ("pdf", "json")} == names
    r = CliRunner().invoke(main, ["figures", str(results["run"]), "--list"])
    assert r.exit_code == 0 and "headline_fan" in r.output and "sim.plots.run.fig_frontier" in r.output


def _bad_folders(root: Path, results) -> dict[str, Path]:
    bad = {}
    bad["missing"] = root / "does_not_exist"
    bad["no manifest"] = root / "empty"
    bad["no manifest"].mkdir()
    bad["a file"] = root / "file.txt"
    bad["a file"].write_text("x")
    bad["broken manifest"] = root / "broken"
    bad["broken manifest"].mkdir()
    (bad["broken manifest"] / "manifest.json").write_text("{")
    bad["no kind"] = root / "nokind"
    bad["no kind"].mkdir()
    (bad["no kind"] / "manifest.json").write_text("{}")
    bad["unknown kind"] = root / "calib"
    bad["unknown kind"].mkdir()
    (bad["unknown kind"] / "manifest.json").write_text('{"kind": "calibration"}')
    bad["run without tables"] = root / "notables"
    bad["run without tables"].mkdir()
    shutil.copy(results["run"] / "manifest.json", bad["run without tables"])
    bad["corrupt parquet"] = root / "corrupt"
    shutil.copytree(results["run"], bad["corrupt parquet"])
    (bad["corrupt parquet"] / "timeseries.parquet").write_bytes(b"not parquet")
    bad["sweep without design"] = root / "sweepbad"
    bad["sweep without design"].mkdir()
    (bad["sweep without design"] / "manifest.json").write_text('{"kind": "sweep"}')
    return bad


def test_cli_exits_2_on_missing_or_malformed_folders(results, tmp_path):
    for case, folder in _bad_folders(tmp_path, results).items():
        r = CliRunner().invoke(main, ["figures", str(folder), "--format", "pdf", "--out", str(tmp_path / "o")])
        assert r.exit_code == 2, (case, r.output)
        assert "error:" in r.output and str(folder.name) in r.output, (case, r.output)
        assert "Traceback" not in r.output
    r = CliRunner().invoke(main, ["figures", str(results["run"]), "--format", "jpg"])
    assert r.exit_code == 2 and "jpg" in r.output


def test_sensitivity_titles_use_readable_output_names():
    """Figure titles and overview columns name outputs in words, not column codes."""
    from sim.plots.sensitivity import _out_label

    assert style.short_metric_label("noncn_on_cn_open_mean12") == "Non-CN devs on CN open"
    assert style.short_metric_label("some_new_metric") == "some new metric"
    assert _out_label("us_cn_gap_months_mean12", {"us_cn_gap_months_mean12": ["months", "..."]}) == \
        "US-China gap (months, last-12-month mean)"
    assert _out_label("open_share_CN", {"open_share_CN": ["share", "..."]}) == "Open share, CN"


def test_time_axes_end_at_the_last_month_of_the_data():
    """Data ending 2030-12 give an axis ending 2030-12 (matplotlib's margin showed 2031, issue 30)."""
    import matplotlib.dates as mdates

    from sim.plots.style import date_axis, figure, to_dates

    fig, ax = figure("single")
    dates = to_dates([f"{y}-{m:02d}" for y in range(2022, 2031) for m in range(1, 13)])
    ax.plot(dates, np.arange(len(dates)))
    date_axis(ax)
    lo, hi = ax.get_xlim()
    assert (mdates.num2date(lo).strftime("%Y-%m"), mdates.num2date(hi).strftime("%Y-%m")) == ("2022-01", "2030-12")
    fig.canvas.draw()
    assert max(int(t.get_text()) for t in ax.get_xticklabels() if t.get_text()) <= 2030


def test_cli_metric_draws_what_is_named(results, tmp_path):
    """`aieco figures --metric`: a run draws one fan chart per named time series, a sweep its figures for that
    metric; a name the results lack, or --metric on another kind, exits 2 listing what is there."""
    out = tmp_path / "m"
    r = CliRunner().invoke(main, ["figures", str(results["run"]), "--metric", "revenue_US", "--metric",
                                  "compute_share_CN", "--format", "pdf", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert {p.name for p in out.iterdir()} == {f"fan_{m}_double.{e}" for m in ("revenue_US", "compute_share_CN")
                                               for e in ("pdf", "json")}
    side = json.loads((out / "fan_revenue_US_double.json").read_text())
    assert side["series"] and "Revenue of US labs" in json.dumps(side["series"])
    r = CliRunner().invoke(main, ["figures", str(results["grid"]), "--metric", "us_cn_gap_months_mean12", "--format", "pdf",
                                  "--out", str(tmp_path / "g")])
    assert r.exit_code == 0, r.output
    names = {p.stem for p in (tmp_path / "g").glob("*.pdf")}
    assert names and all("us_cn_gap_months" in n for n in names)
    for folder, metric, listed in ((results["run"], "nope", "revenue_US"), (results["grid"], "nope", "us_cn_gap_months_mean12"),
                                   (results["compare"], "hhi", "--metric applies to")):
        r = CliRunner().invoke(main, ["figures", str(folder), "--metric", metric, "--format", "pdf",
                                      "--out", str(tmp_path / "x")])
        assert r.exit_code == 2 and listed in r.output and "Traceback" not in r.output, r.output


def test_figures_readme_holds_the_current_catalogue():
    """figures/README.md's catalogue table is :func:`catalogue_markdown` (regenerate it from there when a figure
    is added or moved)."""
    text = (Path(__file__).resolve().parents[1] / "figures" / "README.md").read_text(encoding="utf-8")
    assert catalogue.catalogue_markdown().rstrip("\n") in text
