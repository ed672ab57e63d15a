"""The dashboard's pieces without a browser (issue 18): widgets from the schema, the TOML export, background
runs, what the page shows, and the command's input checks. The browser tests are in
``test_dashboard_browser.py``."""

from __future__ import annotations

import socket
import tomllib

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import ROOT, small

from sim.analysis.compare import compare_stats, comparison_of, run_comparison
from sim.analysis.runs import OUTPUT_TABLES, run_replications
from sim.cli import main
from sim.dashboard.export import differences, scenario_toml, write_scenario
from sim.dashboard.jobs import Job, worker_pool
from sim.dashboard.levers import (
    check_value,
    get_value,
    later_events,
    parse_text,
    policy_levers,
    uncertain_levers,
)
from sim.dashboard.views import comparison_figures, metric_table_html, paired_differences
from sim.scenario.schema import (
    GOV_FIELDS,
    field_info,
    load_scenario,
    parameter_paths,
    with_horizon,
    with_values,
)

LEVER = "governments.US.export_control.CN"


def test_policy_levers_are_every_government_field_of_every_region():
    paths = {lv.path for lv in policy_levers()}
    for p in parameter_paths():
        parts = p.split(".")
        if parts[0] == "governments":
            self_keyed = len(parts) == 4 and parts[3] == parts[1]
            assert (p in paths) != self_keyed, p
    assert {p.split(".")[2] for p in paths} == set(GOV_FIELDS) - {"reaction"}
    lv = next(lv for lv in policy_levers() if lv.path == LEVER)
    info = field_info(LEVER)
    assert (lv.lo, lv.hi, lv.unit, lv.kind) == (info["ge"], info["le"], info["unit"], "float")
    assert lv.group == "US government" and lv.help and lv.help in info["description"]


def test_uncertain_levers_are_the_fields_with_a_plausible_range():
    got = {lv.path for lv in uncertain_levers()}
    want = {p for p in parameter_paths() if not p.startswith("governments.") and "." in p
            and field_info(p)["plausible"]}
    assert got == want and len(got) > 10
    for lv in uncertain_levers():
        lo, hi = lv.plausible
        assert lo <= hi and f"plausible {lo:.6g}-{hi:.6g}" in lv.range_text


def test_widget_values_are_checked_by_the_schema(baseline):
    assert check_value(baseline, LEVER, 1.0) is None
    assert "less than or equal to 1" in check_value(baseline, LEVER, 1.5)
    assert "'US', 'CN', 'EU' or 'ROW'" in check_value(baseline, "governments.US.api_block", ["XX"])
    lv = next(lv for lv in policy_levers() if lv.kind == "optional_float")
    assert parse_text(lv, "") is None and parse_text(lv, "26.5") == 26.5
    with pytest.raises(ValueError, match="not a number"):
        parse_text(lv, "lots")
    assert get_value(baseline, LEVER) == 0.0  # set by dated events only
    assert later_events(baseline, LEVER) == ["2022-10: 0.4", "2023-10: 0.8", "2024-12: 0.9"]
    assert get_value(baseline, "governments.US.leakage") == baseline.governments["US"].leakage


def test_export_holds_only_the_changes_and_loads_back(tmp_path):
    start_file = ROOT / "scenarios" / "no_export_controls.toml"
    start = load_scenario(start_file)
    edited = with_horizon(with_values(start, {LEVER: 1.0, "labs.beta": 6.0, "name": "mine"}), 24)
    out = tmp_path / "sub" / "mine.toml"
    text = scenario_toml(start_file, edited, out)
    data = tomllib.loads(text)
    assert data["extends"].endswith("no_export_controls.toml")
    assert data["governments"] == {"US": {"export_control": {"CN": 1.0}}}
    assert data["labs"] == {"beta": 6.0} and data["months"] == 24 and data["name"] == "mine"
    assert data["events_mode"] == "replace" and data["events"] == []  # the 2024-07 event is past 24 months
    assert set(data) == {"extends", "name", "months", "governments", "labs", "events_mode", "events"}
    write_scenario(start_file, edited, out)
    assert load_scenario(out).model_dump(mode="json") == edited.model_dump(mode="json")
    assert differences(start, start) == {}


def test_export_refuses_what_toml_cannot_say(tmp_path, baseline):
    start = with_values(baseline, {"governments.US.open_weight_threshold": 27.0})
    f = tmp_path / "start.toml"
    f.write_text(f'extends = "{ROOT / "scenarios" / "baseline.toml"}"\n[governments.US]\nopen_weight_threshold = 27.0\n')
    with pytest.raises(ValueError, match="cannot unset"):
        scenario_toml(f, with_values(start, {"governments.US.open_weight_threshold": None}), tmp_path / "x.toml")


def test_the_start_runs_alike_beside_the_edited_scenario(baseline):
    from sim.dashboard.session import build_scenario, reference_for, run_key

    edited = build_scenario(baseline, {LEVER: 1.0}, 24, 5, False, "")
    assert (edited.name, edited.months, edited.seed, edited.events) == ("baseline_changed", 24, 5, [])
    assert edited.governments["US"].export_control["CN"] == 1.0
    ref = reference_for(baseline, edited, keep=False)
    assert (ref.name, ref.months, ref.seed, ref.events) == ("baseline", 24, 5, [])
    assert ref.governments["US"].export_control.get("CN", 0.0) == 0.0
    same = build_scenario(baseline, {}, 0, -1, True, "")
    assert same.name == "baseline" and run_key(same, 3) == run_key(with_values(same, {"name": "x"}), 3)
    assert run_key(reference_for(baseline, same, True), 3) == run_key(same, 3) != run_key(same, 4)
    kept = reference_for(baseline, build_scenario(baseline, {}, 24, -1, True, ""), keep=True)
    assert [e.month for e in kept.events] == [e.month for e in baseline.events if e.month < "2024-01"]


def test_background_job_gives_the_tables_of_a_serial_run_and_cancels():
    sc = small(months=24, **{"developers.n": 300})
    job = Job({"a": sc}, 3, sc.seed)
    job.wait()
    got = job.result()["a"]
    ref = run_replications(sc, 3)
    assert got.seeds == ref.seeds and job.done == job.total == 3
    for name in OUTPUT_TABLES:
        pd.testing.assert_frame_equal(got.table(name), ref.table(name))
    slow = small(months=120, **{"developers.n": 3000})
    job = Job({"a": slow, "b": with_values(slow, {LEVER: 1.0})}, 8, 1)
    job.cancel()
    job.wait()
    assert job.cancelled and job.finished()
    assert sum(f.cancelled() for fs in job.futures.values() for f in fs) >= 16 - 2 * worker_pool()._max_workers


def test_metric_table_shows_the_paired_differences():
    a = small(months=24, **{"developers.n": 300})
    b = with_values(a, {LEVER: 1.0, "name": "controls"})
    comp = run_comparison([a, b], 3)
    again = comparison_of([run_replications(a, 3), run_replications(b, 3)], comp.names, 0.0)
    pd.testing.assert_frame_equal(again.table, comp.table)
    html = metric_table_html(comp)
    stats = compare_stats(comp.table, ["compute_share_CN"]).set_index("scenario")
    cell = html.split("data-metric='compute_share_CN'")[1].split("data-diff='")[1].split("'")[0]
    assert np.isclose(float(cell), stats.loc["controls", "diff_median"]) and float(cell) < 0
    figs = comparison_figures(comp)
    assert set(figs) == {"Over time", "Paired differences over time", "Paired differences at the horizon",
                         f"Adoption: {a.name}", "Adoption: controls"}
    d = paired_differences(comp, ["compute_share_CN"])
    ts = comp.timeseries.set_index(["scenario", "replication", "month"])["compute_share_CN"]
    last = d[d["month"] == d["month"].max()].set_index("replication")["compute_share_CN"]
    want = ts["controls"].xs(23, level="month") - ts[a.name].xs(23, level="month")
    np.testing.assert_allclose(last.to_numpy(), want.to_numpy())
    np.testing.assert_allclose(np.median(last), stats.loc["controls", "diff_median"])
    assert all(png[:8] == b"\x89PNG\r\n\x1a\n" for png in figs.values())


def test_a_run_without_changes_is_shown_alone():
    a = small(months=12, **{"developers.n": 200})
    comp = comparison_of([run_replications(a, 2)], [a.name], 0.0)
    html = metric_table_html(comp)
    assert "paired difference" not in html and "data-diff" not in html
    assert html.count("<tr data-metric=") == len([m for m in comp.timeseries.columns if f"'{m}'" in html])
    assert set(comparison_figures(comp)) == {"Over time", f"Adoption: {a.name}"}
    # a reader's names (sim.model.metrics.METRIC_LABELS), not column names, in the visible cells
    assert "Open-weight share of Chinese labs <small>(share of labs)</small>" in html
    assert ">open_share_CN" not in html and "[share]" not in html


def test_watched_model_stops_at_its_horizon_and_draws_each_month():
    from sim.dashboard.views import fig_month, month_state
    from sim.dashboard.watch import WatchedModel

    m = WatchedModel(small(months=3, **{"developers.n": 100}), seed=7)
    steps = 0
    while m.running:
        m.step()
        steps += 1
    assert steps == 3 and len(m.timeseries()) == 3
    row, labs = month_state(m.timeseries(), m.lab_panel(), 2)
    assert row["month"] == 2 and len(labs) == int(m.lab_panel()["month"].eq(2).sum()) > 0
    fig = fig_month(m.timeseries(), m.lab_panel(), 2, "x")
    assert len(fig.axes) == 3 and fig.axes[1].get_title(loc="left").startswith("Compute by region")
    with pytest.raises(IndexError, match="month 3 is not in the run"):
        month_state(m.timeseries(), m.lab_panel(), 3)


@pytest.mark.parametrize(("args", "message"), [
    (["no/such/thing.toml"], "no such scenario file or results folder"),
    (["{tmp}"], "not an aieco results folder (no manifest.json)"),
    (["{bad}"], "field 'labs.beta'"),
    (["--port", "{port}"], "in use on 127.0.0.1"),
])
def test_dashboard_command_checks_its_input(tmp_path, args, message):
    bad = tmp_path / "bad.toml"
    bad.write_text("[labs]\nbeta = -1\n")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        args = [a.format(tmp=tmp_path, bad=bad, port=busy.getsockname()[1]) for a in args]
        res = CliRunner().invoke(main, ["dashboard", *args, "--no-open"])
    assert res.exit_code == 2 and message in res.output
