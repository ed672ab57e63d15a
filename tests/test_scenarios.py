"""Scenario composition (extends, event merging, --set), the scenario library, and `aieco scenarios`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ARCHETYPES, ROOT

from sim import REGIONS
from sim.cli import main
from sim.model.ecosystem import EcosystemModel
from sim.scenario.schema import ScenarioError, load_scenario, month_index, with_values

LIBRARY = sorted((ROOT / "scenarios").glob("*.toml"))
EXPECTED = {"baseline", "no_export_controls", "leaky_controls", "strict_controls", "us_open_weight_restriction",
            "china_open_subsidy", "no_api_blocks", "diffusion_rule", "adaptive_controls"}


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def event(month: str, field: str, value, government: str = "US") -> str:
    return (f'[[events]]\nmonth = "{month}"\ngovernment = "{government}"\nfield = "{field}"\n'
            f"value = {json.dumps(value)}\n")


@pytest.fixture()
def family(tmp_path):
    """lib/parent.toml (roster given relative to its own folder) and child.toml extending it."""
    (tmp_path / "lib").mkdir()
    roster = os.path.relpath(ARCHETYPES, tmp_path / "lib")
    write(tmp_path / "lib" / "parent.toml",
          f'name = "parent"\nroster = "{roster}"\nmonths = 48\n'
          "[labs]\nbeta = 5.0\nspill_coef = 0.7\n[governments.US]\nleakage = 0.3\n"
          + event("2022-10", "export_control.CN", 0.4) + event("2024-01", "export_control.CN", 0.8))
    write(tmp_path / "child.toml",
          'extends = "lib/parent.toml"\nname = "child"\n[labs]\nbeta = 6.0\n[governments.US]\napi_block = ["CN"]\n'
          + event("2023-01", "leakage", 0.1) + event("2024-01", "export_control.CN", 0.9))
    return tmp_path


def test_override_precedence_parent_child_set(family):
    sc = load_scenario(family / "child.toml", ["labs.beta=7"])
    assert sc.labs.beta == 7.0                       # --set beats the child
    assert load_scenario(family / "child.toml").labs.beta == 6.0  # the child beats the parent
    assert sc.labs.spill_coef == 0.7 and sc.months == 48      # the parent's values are inherited
    assert sc.governments["US"].leakage == 0.3 and sc.governments["US"].api_block == ["CN"]  # tables merge key by key
    assert sc.name == "child" and sc.roster_path() == ARCHETYPES


def test_events_merge_by_date_and_child_wins_ties(family):
    """A child's event on the month and field of a parent's replaces it (the resolved list holds one event per
    month and field: what runs is what it says)."""
    sc = load_scenario(family / "child.toml")
    assert [(e.month, e.field, e.value) for e in sc.events] == [
        ("2022-10", "export_control.CN", 0.4), ("2023-01", "leakage", 0.1),
        ("2024-01", "export_control.CN", 0.9)]
    model = EcosystemModel(with_values(sc, {"developers.n": 100}), seed=1)
    for _ in range(25):
        model.step()
    us, cn = REGIONS.index("US"), REGIONS.index("CN")
    assert model.export_control[us, cn] == 0.9  # the child's event, applied after the parent's on the same month


def test_events_mode_replace(family):
    text = (family / "child.toml").read_text().replace('name = "child"', 'name = "child"\nevents_mode = "replace"')
    sc = load_scenario(write(family / "replace.toml", text))
    assert [e.month for e in sc.events] == ["2023-01", "2024-01"]
    assert sc.governments["US"].leakage == 0.3  # only the events are replaced


def test_partial_region_table_keeps_other_defaults(family):
    sc = load_scenario(family / "child.toml", ["compute.alt_supply_h100e.CN=123"])
    assert sc.compute.alt_supply_h100e == {"US": 1e9, "CN": 123.0, "EU": 1e9, "ROW": 1e9}


@pytest.mark.parametrize("path", LIBRARY, ids=[p.stem for p in LIBRARY])
def test_library_scenario_validates_and_runs(path):
    sc = load_scenario(path)
    if path.stem in EXPECTED:
        assert sc.name == path.stem and len(sc.description) > 80, "each scenario has a name and a description"
        assert all(e.note for e in sc.events), "every event cites what it is"
    assert sc.roster_path().is_file()
    last = max((month_index(sc.start, e.month) for e in sc.events), default=0)
    short = with_values(sc, {"months": max(24, last + 2), "developers.n": 150, "developers.payoff_sample": 60})
    ts = EcosystemModel(short, seed=3).run().timeseries()
    assert len(ts) == short.months and ts["frontier"].notna().all()


def test_library_is_complete_and_diverges_as_documented():
    assert {p.stem for p in LIBRARY} >= EXPECTED
    base = load_scenario(ROOT / "scenarios" / "baseline.toml")
    no_ec = load_scenario(ROOT / "scenarios" / "no_export_controls.toml")
    assert not [e for e in no_ec.events if e.field.startswith("export_control")]
    strict = load_scenario(ROOT / "scenarios" / "strict_controls.toml")
    assert all(e in strict.events for e in base.events)  # history kept, later events added
    assert all(e.month >= "2025-01" for e in strict.events if e not in base.events)
    owr = load_scenario(ROOT / "scenarios" / "us_open_weight_restriction.toml")
    assert [(e.month, e.value) for e in owr.events if e.field == "open_weight_threshold"] == [("2026-01", 27.4)]


# ------------------------------------------------------------------------------------------ bad input

def _validate_fails(*files, expect):
    res = invoke("scenarios", "validate", *files)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    for e in expect:
        assert e in res.output, (e, res.output)
    return res.output


def test_cycle_and_missing_parent(tmp_path):
    write(tmp_path / "a.toml", 'extends = "b.toml"\n')
    write(tmp_path / "b.toml", 'extends = "a.toml"\n')
    _validate_fails(tmp_path / "a.toml", expect=["b.toml", "'extends'", "inheritance cycle"])
    write(tmp_path / "m.toml", 'extends = "nowhere.toml"\n')
    _validate_fails(tmp_path / "m.toml", expect=["m.toml", "'extends'", "not found", "nowhere.toml"])


def test_bad_events_all_reported_at_once_with_file_and_field(tmp_path):
    bad = write(tmp_path / "bad.toml", f'roster = "{ARCHETYPES}"\n' + event("2023-01", "leakage", 0.1, "MARS")
                + event("2023-02", "leakge", 0.1) + event("2023-03", "export_control.XX", 0.5)
                + event("2023-04", "leakage", 3))
    out = _validate_fails(bad, expect=["bad.toml", "events.0.government", "'US', 'CN', 'EU' or 'ROW'",
                                       "events.1.field", "did you mean 'leakage'", "events.2.field",
                                       "unknown region 'XX'", "events.3.value", "less than or equal to 1"])
    assert out.count("bad.toml") >= 4


def test_events_out_of_order_or_horizon(tmp_path):
    order = write(tmp_path / "order.toml", f'roster = "{ARCHETYPES}"\n' + event("2024-01", "leakage", 0.1)
                  + event("2023-01", "leakage", 0.2))
    late = write(tmp_path / "late.toml", f'roster = "{ARCHETYPES}"\nmonths = 24\n' + event("2024-01", "leakage", 0.1))
    early = write(tmp_path / "early.toml", f'roster = "{ARCHETYPES}"\n' + event("2021-06", "leakage", 0.1))
    out = _validate_fails(order, late, early, tmp_path / "nope.toml",
                          expect=["order.toml: field 'events[1].month'", "date order",
                                  "late.toml: field 'events[0].month'", "outside the horizon",
                                  "allowed: 2022-01 to 2023-12", "early.toml", "nope.toml", "4 of 4"])
    assert "ok:" not in out


def test_months_in_a_file_drops_the_parents_later_events_as_months_option_does(tmp_path):
    """Issue 29: ``months = 30`` in a file extending the baseline was refused for the parent's later events, while
    ``--months 30`` dropped them. Both now drop them, with the same note; the file's own later events stay an
    error (the file contradicts itself)."""
    from sim.scenario.schema import scenario_notes, with_horizon

    base = ROOT / "scenarios" / "baseline.toml"
    child = load_scenario(write(tmp_path / "short.toml", f'extends = "{base}"\nmonths = 30\n'))
    by_option = with_horizon(load_scenario(base), 30)
    assert child.months == 30 and [e.month for e in child.events] == [e.month for e in by_option.events]
    assert [e.month for e in child.events] == ["2022-10", "2023-10"]
    (note,) = scenario_notes(child)
    (option_note,) = scenario_notes(by_option)
    tail = "3 dated event(s) fall after the 30-month horizon and never take effect (first: 2024-07 US.api_block)"
    assert "short.toml" in note and note.endswith(f"{tail}; dropped (they are {base}'s)")
    assert option_note.endswith(tail + "; dropped")
    by_set = load_scenario(base, ["months=30"])
    assert [e.month for e in by_set.events] == ["2022-10", "2023-10"] and tail in scenario_notes(by_set)[0]
    own = write(tmp_path / "own.toml", f'extends = "{base}"\nmonths = 30\n' + event("2024-09", "leakage", 0.1))
    with pytest.raises(ScenarioError, match=r"own.toml: field 'events\[0\].month': 2024-09 is outside the horizon"):
        load_scenario(own)


def test_events_mode_replace_without_events_means_none(family):
    sc = load_scenario(write(family / "none.toml", 'extends = "lib/parent.toml"\nevents_mode = "replace"\n'))
    assert sc.events == [] and load_scenario(family / "lib" / "parent.toml").events


def test_duplicate_events_are_an_error_naming_both(tmp_path, family):
    same = write(tmp_path / "same.toml", f'roster = "{ARCHETYPES}"\n' + event("2023-01", "leakage", 0.1)
                 + event("2023-01", "export_control.CN", 0.5) + event("2023-01", "leakage", 0.2))
    with pytest.raises(ScenarioError) as e:
        load_scenario(same)
    assert "same.toml: field 'events[2]'" in str(e.value) and "as events[0] does" in str(e.value)
    whole = write(tmp_path / "whole.toml", f'roster = "{ARCHETYPES}"\n' + event("2023-01", "export_control.CN", 0.1)
                  + event("2023-01", "export_control", 0).replace("value = 0", "value = {CN = 0.3}"))
    with pytest.raises(ScenarioError, match=r"events\[1\].*as events\[0\] does"):
        load_scenario(whole)
    with pytest.raises(ScenarioError, match=r"--set.*events\[1\]': sets US.leakage in 2023-01, as events\[0\]"):
        load_scenario(family / "lib" / "parent.toml", ['events=[{month="2023-01", government="US", field="leakage", '
                                                        'value=0.1}, {month="2023-01", government="US", '
                                                        'field="leakage", value=0.2}]'])
    # different governments or months are not duplicates
    ok = write(tmp_path / "ok.toml", f'roster = "{ARCHETYPES}"\n' + event("2023-01", "leakage", 0.1)
               + event("2023-01", "leakage", 0.2, government="CN") + event("2023-02", "leakage", 0.3))
    assert len(load_scenario(ok).events) == 3


def test_bad_events_mode(tmp_path):
    f = write(tmp_path / "m.toml", f'roster = "{ARCHETYPES}"\nevents_mode = "append"\n')
    _validate_fails(f, expect=["m.toml", "'events_mode'", "'merge'", "'replace'"])


# ------------------------------------------------------------------------------------------ CLI

def test_list_shows_every_library_scenario():
    res = invoke("scenarios", "list", ROOT / "scenarios")
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert {ln.split()[0] for ln in lines} >= EXPECTED
    assert all(len(ln.split(None, 1)) == 2 for ln in lines), "every scenario has a one-line description"


def test_validate_library_ok():
    res = invoke("scenarios", "validate", *LIBRARY)
    assert res.exit_code == 0, res.output
    assert res.output.count("ok:") == len(LIBRARY)


@pytest.mark.parametrize("fmt", ["toml", "json"])
def test_show_prints_resolved_scenario_that_loads_back(tmp_path, family, fmt):
    res = invoke("scenarios", "show", family / "child.toml", "--set", "labs.beta=7.5", "--format", fmt)
    assert res.exit_code == 0, res.output
    original = load_scenario(family / "child.toml", ["labs.beta=7.5"]).resolved_dict()
    if fmt == "json":
        shown = json.loads(res.output)
        assert shown["labs"]["beta"] == 7.5 and len(shown["events"]) == 3  # the parent's 2024-01 event replaced by the child's
        return
    again = load_scenario(write(tmp_path / "shown.toml", res.output)).resolved_dict()
    assert again == original
    assert "extends" not in res.output and "[[events]]" in res.output
