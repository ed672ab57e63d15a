"""Sweep input that a fresh user gets wrong: `set`/`--set` of the horizon against the base's dated events,
`set` values that a factor would override, unknown metrics, run functions that cannot be imported, and the
wording of the messages (plain numbers, plurals). Only specs are loaded here; nothing runs."""

from __future__ import annotations

import re
import textwrap
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ARCHETYPES, BASELINE, TINY_SET

from sim.analysis.sweep import load_spec
from sim.analysis.sweep.designs import design_matrix, validate_points
from sim.analysis.sweep.spec import SpecError, SpecWarning
from sim.analysis.sweep.store import fingerprint
from sim.cli import main
from sim.model.metrics import SUMMARY_METRICS
from sim.scenario.schema import field_info

ROOT = Path(__file__).resolve().parents[1]
GRID_SPEC = ROOT / "experiments" / "export_controls_grid.toml"

SMALL_SET = f"""
[set]
developers.n = 200
roster = "{ARCHETYPES}"
"""
"""A `[set]` table that keeps the baseline's horizon and dated events."""


def write_spec(tmp: Path, body: str, set_table: str = SMALL_SET, name: str = "spec.toml") -> Path:
    p = tmp / name
    p.write_text(f'base = "{BASELINE}"\n' + textwrap.dedent(body) + set_table)
    return p


BETA = """
design = "grid"
[[factors]]
path = "labs.beta"
levels = [2.0, 6.0]
"""


def _load_quietly(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpecWarning)
        return load_spec(*args, **kwargs)


# --------------------------------------------------------------------------------------------- 1. horizon

def test_set_months_drops_the_events_after_the_horizon(tmp_path):
    """`[set] months = 24` on the baseline (events in 2022-10, 2023-10, 2024-07, 2024-12, 2025-08) keeps the two
    events inside the horizon and drops the others with a note, as `aieco run --months` does."""
    spec_file = write_spec(tmp_path, BETA, SMALL_SET + "months = 24\n")
    with pytest.warns(SpecWarning, match=r"months = 24 on baseline.toml: the horizon ends in 2023-12; dropped 3 "
                                         r"dated events after it: 2024-07 US api_block = \['CN'\]; 2024-12 US"):
        spec = load_spec(spec_file)
    sc = spec.bases[0]
    assert sc.months == 24
    assert [(e.month, e.field, e.value) for e in sc.events] == [("2022-10", "export_control.CN", 0.4),
                                                                ("2023-10", "export_control.CN", 0.8)]
    assert len(spec.notes) == 1 and "dropped 3 dated events" in spec.notes[0]


def test_cli_set_months_on_a_shipped_spec(tmp_path):
    """The fresh-user command: `aieco sweep experiments/export_controls_grid.toml --set months=24`."""
    res = CliRunner().invoke(main, ["sweep", str(GRID_SPEC), "--set", "months=24", "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "36 points" in res.output
    # the CLI prints what loading changed as one plain note line (not a Python warning)
    note = re.search(r"note: .*export_controls_grid.toml: set months = 24 on baseline.toml: .*", res.output)
    # the 2024-12 export-control event is not listed: the factor's from_month replaces that field's events anyway
    assert note and "dropped 2 dated events after it: 2024-07 US api_block" in note.group(0), res.output
    assert "export_control.CN" not in note.group(0)
    assert "SpecWarning" not in res.output
    spec = _load_quietly(GRID_SPEC, sets=["months=24"])
    assert spec.bases[0].months == 24
    matrix, _ = design_matrix(spec)
    validate_points(spec, matrix)  # every point is a valid scenario: the factor's 2022-10 event is inside


def test_set_start_puts_earlier_events_in_force_and_set_values_win(tmp_path):
    """A later start: the events before it hold from the start (the 2023-10 tightening: 0.8), later ones
    stay; an explicit `set` of the same government field wins over the folded event."""
    with pytest.warns(SpecWarning, match=r"2 dated events before the start 2024-01 are in force from it"):
        spec = load_spec(write_spec(tmp_path, BETA), sets=["start=2024-01"])
    sc = spec.bases[0]
    assert sc.governments["US"].export_control["CN"] == 0.8
    assert [e.month for e in sc.events] == ["2024-07", "2024-12", "2025-08"]
    spec = _load_quietly(write_spec(tmp_path, BETA), sets=["start=2024-01", "governments.US.export_control.CN=0.3"])
    assert spec.bases[0].governments["US"].export_control["CN"] == 0.3


def test_events_given_in_set_are_not_touched(tmp_path):
    """With `events` in the set (as TINY_SET has), the user's own events are kept as written: no note, and an
    event outside the horizon is still an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", SpecWarning)
        spec = load_spec(write_spec(tmp_path, BETA, TINY_SET))
    assert spec.notes == [] and spec.bases[0].events == []
    bad = TINY_SET.replace("events = []", 'events = [{month = "2025-01", government = "US", field = "leakage", '
                                          'value = 0.1}]')
    with pytest.raises(SpecError, match=r"2025-01 is outside the horizon"):
        load_spec(write_spec(tmp_path, BETA, bad))


def test_months_still_changes_the_resume_fingerprint(tmp_path):
    spec_file = write_spec(tmp_path, BETA)
    a = _load_quietly(spec_file, sets=["months=24"])
    b = _load_quietly(spec_file, sets=["months=36"])
    fa, fb = fingerprint(a, design_matrix(a)[0]), fingerprint(b, design_matrix(b)[0])
    assert fa["base scenario"] != fb["base scenario"]
    assert fa["design"] == fb["design"]


# --------------------------------------------------------------------------------------------- 2. set vs factor

EXPORT_DROP = """
design = "grid"
[[factors]]
path = "governments.US.export_control.CN"
levels = [0.2, 0.6]
events = "drop"
"""


@pytest.mark.parametrize("body, set_table, sets, expected", [
    (BETA, SMALL_SET + "labs.beta = 3.0\n", [], r"field 'set.labs.beta': factors\[0\] \(labs.beta\) varies labs.beta"
                                                r".*remove the entry from \[set\] or the factor"),
    (BETA, SMALL_SET, ["labs.beta=3"], r"--set labs.beta: factors\[0\] \(labs.beta\) varies labs.beta.*remove the "
                                       r"--set or the factor"),
    (BETA, SMALL_SET, ["labs={beta = 3.0}"], r"--set labs.beta: .*varies labs.beta"),
    (EXPORT_DROP, SMALL_SET + "governments.US.export_control.CN = 0.5\n",
     [], r"field 'set.governments.US.export_control.CN'"),
    (EXPORT_DROP, SMALL_SET, ["governments.US.export_control={CN = 0.5, EU = 0.1}"],
     r"--set governments.US.export_control.CN: .*varies governments.US.export_control.CN"),
])
def test_set_of_a_field_a_factor_varies_is_an_error(tmp_path, body, set_table, sets, expected):
    with pytest.raises(SpecError, match=expected):
        load_spec(write_spec(tmp_path, body, set_table), sets=sets)


def test_set_factor_conflict_exits_2_in_the_cli(tmp_path):
    res = CliRunner().invoke(main, ["sweep", str(GRID_SPEC), "--set", "governments.US.leakage=0.3", "--dry-run"])
    assert res.exit_code == 2, res.output
    assert "--set governments.US.leakage" in res.output and "varies governments.US.leakage" in res.output


def test_set_values_next_to_a_factor_are_allowed(tmp_path):
    """Another region of the same table, and the value before a `from_month` factor takes effect, are not
    overridden by the factor."""
    spec = _load_quietly(write_spec(tmp_path, EXPORT_DROP), sets=["governments.US.export_control.EU=0.1"])
    assert spec.bases[0].governments["US"].export_control["EU"] == 0.1
    spec = _load_quietly(GRID_SPEC, sets=["governments.US.export_control.CN=0.3"])
    assert spec.bases[0].governments["US"].export_control["CN"] == 0.3


# --------------------------------------------------------------------------------------------- 3. metrics

def test_unknown_metric_lists_the_allowed_names(tmp_path):
    with pytest.raises(SpecError) as e:
        load_spec(write_spec(tmp_path, 'metrics = ["open_share_XX"]\n' + BETA))
    msg = str(e.value)
    assert "SUMMARY_METRICS" not in msg
    assert "(allowed: " + ", ".join(SUMMARY_METRICS) + ")" in msg


def test_unknown_metric_of_a_declaring_run_function_lists_its_outputs(tmp_path):
    body = 'run_function = "sim.analysis.testfunctions:ishigami"\nmetrics = ["open_share_CN"]\n' + BETA
    with pytest.raises(SpecError, match=r"unknown metric 'open_share_CN' \(allowed: the outputs "
                                        r"sim.analysis.testfunctions:ishigami declares \(ishigami\)\)$"):
        load_spec(write_spec(tmp_path, body))


# --------------------------------------------------------------------------------------------- 4. run function

def test_missing_run_function_module_hints_at_the_python_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    body = 'run_function = "my_model_not_on_path:run"\n' + BETA
    with pytest.raises(SpecError, match=r"ModuleNotFoundError.*importable by the driver and the workers.*"
                                        r"PYTHONPATH=\."):
        load_spec(write_spec(tmp_path, body))
    # a file next to the spec, run from elsewhere: the hint names the spec's folder
    spec_dir = tmp_path / "exp"
    spec_dir.mkdir()
    (spec_dir / "my_model_not_on_path.py").write_text("def run(scenario, seed, roster=None):\n    pass\n")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    with pytest.raises(SpecError, match=r"next to the spec: PYTHONPATH="):
        load_spec(write_spec(spec_dir, body))


def test_missing_dependency_of_a_run_function_gets_no_path_hint(tmp_path, monkeypatch):
    (tmp_path / "model_with_bad_dep.py").write_text("import some_dependency_not_installed_xyz\n\n"
                                                    "def run(scenario, seed, roster=None):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    body = 'run_function = "model_with_bad_dep:run"\n' + BETA
    with pytest.raises(SpecError, match="some_dependency_not_installed_xyz") as e:
        load_spec(write_spec(tmp_path, body))
    assert "PYTHONPATH" not in str(e.value)


# --------------------------------------------------------------------------------------------- 5.-7. wording

def test_invalid_design_point_shows_plain_numbers(tmp_path):
    body = """
    design = "grid"
    [[factors]]
    path = "labs.release_cycle_months"
    levels = [6, 19]
    [[factors]]
    path = "developers.region_shares.CN"
    levels = [0.5]
    """
    spec = load_spec(write_spec(tmp_path, body, TINY_SET))
    with pytest.raises(SpecError) as e:
        validate_points(spec, design_matrix(spec)[0])
    msg = str(e.value)
    assert "design point 0 (labs.release_cycle_months=6, developers.region_shares.CN=0.5)" in msg
    assert "np." not in msg


def test_uncertainty_lhs_comment_states_the_range_it_samples():
    """The comment on China's alternative chip supply gives the plausible range the factor samples."""
    text = (ROOT / "experiments" / "uncertainty_lhs.toml").read_text()
    block = text.split('path = "compute.alt_supply_h100e.CN"', 1)[1].split("[[factors]]", 1)[0]
    lo, hi = field_info("compute.alt_supply_h100e.CN")["plausible"]
    ranges = re.findall(r"([\d,]+)-([\d,]+) H100e", block)
    assert ranges == [(f"{lo:g}", f"{hi:g}")]


def test_counts_are_singular_for_one(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(f'extends = "{BASELINE}"\n')
    b.write_text(f'extends = "{BASELINE}"\n')
    spec = tmp_path / "spec.toml"
    spec.write_text(f'design = "grid"\n[[factors]]\nscenarios = ["{a}", "{b}"]\nlabels = ["a"]\n')
    with pytest.raises(SpecError, match=r"1 label for 2 scenarios"):
        load_spec(spec)
    with pytest.warns(SpecWarning, match=r"dropped 1 dated event after it: 2025-08"):
        load_spec(write_spec(tmp_path, BETA, SMALL_SET + "months = 43\n"))


# --------------------------------------------------------------------------------------------- levers

LEVER_AND_UNCERTAINTY = """
design = "grid"
[[factors]]
path = "governments.US.subsidy_rate"
kind = "lever"
levels = [0.0, 0.2]
[[factors]]
path = "compute.eta_alt"
levels = [0.3, 0.5]
"""


def test_factor_kind_marks_levers_apart_from_uncertainties(tmp_path):
    spec = _load_quietly(write_spec(tmp_path, LEVER_AND_UNCERTAINTY))
    assert [f.role for f in spec.factors] == ["lever", "uncertainty"]
    assert [f["role"] for f in spec.describe()["factors"]] == ["lever", "uncertainty"]


def test_a_factor_role_does_not_change_the_resume_fingerprint(tmp_path):
    a = _load_quietly(write_spec(tmp_path, LEVER_AND_UNCERTAINTY, name="a.toml"))
    b = _load_quietly(write_spec(tmp_path, LEVER_AND_UNCERTAINTY.replace('kind = "lever"\n', ""), name="b.toml"))
    assert b.factors[0].role == "uncertainty"
    assert fingerprint(a, design_matrix(a)[0]) == fingerprint(b, design_matrix(b)[0])


@pytest.mark.parametrize("word, expected", [
    ("policy", r"factors\[0\].kind': unknown kind 'policy'; did you mean 'lever'\? \(allowed: 'uncertainty', .*'lever'"),
    ("leverr", r"unknown kind 'leverr'; did you mean 'lever'\?"),
    ("xyz", r"unknown kind 'xyz' \(allowed: 'uncertainty', "),
])
def test_unknown_factor_kind_names_the_allowed_ones(tmp_path, word, expected):
    with pytest.raises(SpecError, match=expected):
        _load_quietly(write_spec(tmp_path, LEVER_AND_UNCERTAINTY.replace('"lever"', f'"{word}"')))


# --------------------------------------------------------------------------------------------------
# --samples: a small try of a big design, in its own folder (issue 30)

def test_samples_overrides_the_design_size_and_names_the_folder():
    spec = load_spec(ROOT / "experiments" / "discovery_lhs.toml", samples=40)
    assert spec.samples == 40 and len(design_matrix(spec)[0]) == 40
    assert spec.out_name == "discovery_lhs_samples=40"
    assert load_spec(ROOT / "experiments" / "discovery_lhs.toml").out_name == "discovery_lhs"


@pytest.mark.parametrize("spec_file, samples, message", [
    ("sobol_baseline.toml", 100, re.escape("--samples 100: 100 is not a power of 2, which Sobol' (Saltelli) sampling "
                                           "needs; the nearest are 64 and 128")),
    ("export_controls_grid.toml", 3, "--samples: .*export_controls_grid.toml has a grid design"),
    ("morris_screening.toml", 0, "--samples must be >= 1, got 0"),
])
def test_samples_are_checked_by_the_design_rules(spec_file, samples, message):
    with pytest.raises(SpecError, match=message):
        load_spec(ROOT / "experiments" / spec_file, samples=samples)


def test_a_copied_spec_writes_to_its_own_folder(tmp_path):
    """A copy of a shipped spec keeps its `name`; its default folder is the copy's file name, so a trial run
    does not take the folder the real analysis uses."""
    text = (ROOT / "experiments" / "discovery_lhs.toml").read_text(encoding="utf-8")
    copy = tmp_path / "my_try.toml"
    copy.write_text(text.replace('base = "../scenarios/baseline.toml"', f'base = "{BASELINE}"'), encoding="utf-8")
    spec = load_spec(copy)
    assert spec.name == "discovery_lhs" and spec.out_name == "my_try"


def test_cli_dry_run_says_the_size_and_the_folder():
    res = CliRunner().invoke(main, ["sweep", str(ROOT / "experiments" / "discovery_lhs.toml"), "--samples", "40",
                                    "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "40 points x 1 replication = 40 runs; results to results/sweeps/discovery_lhs_samples=40" in res.output
    res = CliRunner().invoke(main, ["sensitivity", str(ROOT / "experiments" / "morris_screening.toml"), "--samples",
                                    "4", "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "results to results/sensitivity/morris_screening_samples=4" in res.output


# --------------------------------------------------------------------------------------------------
# the layout change (issue 24): specs and folders that name the old module paths

def test_a_spec_naming_a_moved_module_runs_its_new_name(tmp_path):
    text = (ROOT / "experiments" / "ishigami.toml").read_text(encoding="utf-8")
    old = tmp_path / "ishigami_old.toml"
    old.write_text(text.replace("sim.analysis.testfunctions:ishigami", "sim.testfunctions:ishigami")
                   .replace('base = "../scenarios/baseline.toml"', f'base = "{BASELINE}"'), encoding="utf-8")
    with pytest.warns(SpecWarning, match="is now 'sim.analysis.testfunctions:ishigami'"):
        spec = load_spec(old)
    assert spec.run_function == "sim.analysis.testfunctions:ishigami"


def test_folders_from_before_the_move_keep_their_run_function_fingerprint():
    """The fingerprint hashes a run function under its name before the move, so a sweep started then resumes."""
    from sim.analysis.sweep import store
    from sim.analysis.sweep.spec import stable_run_function

    assert stable_run_function("sim.analysis.runs:run_one") == "sim.runs:run_one"
    assert stable_run_function("my_model:run") == "my_model:run"
    spec = load_spec(GRID_SPEC, replications=1)
    fp = fingerprint(spec, design_matrix(spec)[0])
    assert fp["run function"] == store._hash("sim.runs:run_one")


def test_a_label_does_not_change_a_sweeps_fingerprint():
    """A scenario's label is what readers see: relabelling the base does not stop a sweep from resuming."""
    a = load_spec(GRID_SPEC, replications=1)
    b = load_spec(GRID_SPEC, replications=1, sets=["label=Another name for the same runs"])
    assert b.bases[0].label == "Another name for the same runs"
    assert fingerprint(a, design_matrix(a)[0]) == fingerprint(b, design_matrix(b)[0])
