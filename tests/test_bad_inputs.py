"""The bad-input corpus: every input here must end cleanly, the same way.

Each case writes its input files into an empty folder, runs one ``aieco`` command there and asserts: exit
code 2, no traceback, one error message naming the file (or command-line option) and the field, and
nothing written besides the inputs. Add a case for every bad input found; keep the ones here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ARCHETYPES, BASELINE, ROOT

from sim.cli import main

ROSTER_HEADER = "name,region,training_compute_flop,strategy,open_bias,entry\n"


def scenario_with_roster(roster: str = "roster.csv", extra: str = "") -> str:
    """A small scenario on the roster file ``roster`` (relative to the scenario)."""
    return f'name = "s"\nroster = "{roster}"\nmonths = 12\n[developers]\nn = 100\npayoff_sample = 50\n{extra}'


def small_scenario(extra: str = "", top: str = "") -> str:
    """A small valid scenario on the archetype roster with ``top`` (top-level keys) and ``extra`` appended."""
    return (f'name = "s"\nroster = "{ARCHETYPES}"\nmonths = 12\n{top}\n[developers]\nn = 100\npayoff_sample = 50\n'
            f"{extra}")


LHS_HUGE = f"""base = "{BASELINE}"
replications = 1
[design]
kind = "lhs"
samples = 1000000000
[[factors]]
path = "labs.beta"
range = [1.0, 5.0]
"""

NOT_UTF8 = b"\xff\xfe name = 1\n"
EV = '[[events]]\nmonth = "{}"\ngovernment = "US"\nfield = "{}"\nvalue = {}\n'


def run_manifest(**changes) -> str:
    """The manifest.json of a small finished ``aieco run`` (one replication of 2 months), with ``changes``
    (a value of None removes the field)."""
    import json

    from sim.analysis.runs import seed_for

    m = {"kind": "run", "scenario": {"name": "s", "roster": str(ARCHETYPES), "months": 2},
         "replications": 1, "base_seed": 20220101, "seeds": [seed_for(20220101, 0)], "overrides": []}
    m.update(changes)
    return json.dumps({k: v for k, v in m.items() if v is not None})


@dataclass
class Case:
    """One bad input: the files to write (name -> text or bytes), the command (``{dir}`` is the case's
    folder) and the text the one error message must contain (file and field)."""

    id: str
    args: list[str]
    expect: list[str]
    files: dict[str, str | bytes] = field(default_factory=dict)


CASES = [
    # --- an empty chip market (issue 14)
    Case("zero-chip-supply", ["run", "s.toml", "--set", "chips.production_h100e_per_month=0"],
         ["s.toml", "chips.production_h100e_per_month", "greater than or equal to 1"], {"s.toml": small_scenario()}),
    Case("negative-chip-price", ["run", "s.toml"], ["s.toml", "compute.price_usd_per_h100e", "greater than or equal"],
         {"s.toml": small_scenario("[compute]\nprice_usd_per_h100e = -5\n")}),
    Case("zero-developer-market", ["run", "s.toml", "--set", "market.market_usd_per_month=0"],
         ["s.toml", "market.market_usd_per_month", "greater than or equal to 1"], {"s.toml": small_scenario()}),
    Case("removed-funding-growth", ["run", "s.toml", "--set", "market.funding_growth_per_year.US=2"],
         ["s.toml", "market.funding_growth_per_year", "CHANGELOG.md"], {"s.toml": small_scenario()}),
    # --- a policy on the government's own region (fresh-user report, session 5)
    Case("api-block-own-region", ["run", "s.toml"], ["s.toml", "governments.US.api_block", "own region"],
         {"s.toml": small_scenario('[governments.US]\napi_block = ["US", "CN"]\n')}),
    Case("ban-own-open-by-set", ["run", "s.toml", "--set", 'governments.CN.ban_foreign_open=["CN"]'],
         ["s.toml", "governments.CN.ban_foreign_open", "own region"], {"s.toml": small_scenario()}),
    Case("export-control-own-region-event", ["run", "s.toml"], ["s.toml", "events[0]", "CN.export_control.CN"],
         {"s.toml": small_scenario('[[events]]\nmonth = "2022-03"\ngovernment = "CN"\nfield = "export_control.CN"\n'
                                   'value = 0.5\n')}),
    Case("max-replications-without-precision", ["run", "s.toml", "--max-replications", "5"],
         ["--max-replications", "--precision"], {"s.toml": small_scenario()}),
    # --- scenario files
    Case("scenario-not-utf8-run", ["run", "s.toml"], ["s.toml", "UTF-8"], {"s.toml": NOT_UTF8}),
    Case("scenario-not-utf8-validate", ["scenarios", "validate", "s.toml"], ["s.toml", "UTF-8"],
         {"s.toml": NOT_UTF8}),
    Case("scenario-not-utf8-show", ["scenarios", "show", "s.toml"], ["s.toml", "UTF-8"], {"s.toml": NOT_UTF8}),
    Case("scenario-not-utf8-parent", ["run", "s.toml"], ["p.toml", "UTF-8"],
         {"s.toml": 'extends = "p.toml"\n', "p.toml": NOT_UTF8}),
    Case("start-far-future", ["run", "s.toml"], ["s.toml", "'start'", "2100-12"],
         {"s.toml": small_scenario(top='start = "9999-06"')}),
    Case("start-year-1", ["run", "s.toml"], ["s.toml", "'start'", "2000-01"],
         {"s.toml": small_scenario(top='start = "0001-01"')}),
    Case("start-set-far-future", ["run", "s.toml", "--set", "start=9999-06"], ["s.toml", "'start'", "2100-12"],
         {"s.toml": small_scenario()}),
    Case("bool-for-float", ["run", "s.toml"], ["s.toml", "labs.beta", "boolean"],
         {"s.toml": small_scenario("[labs]\nbeta = true\n")}),
    Case("bool-for-int", ["run", "s.toml"], ["s.toml", "'months'", "boolean"],
         {"s.toml": small_scenario().replace("months = 12", "months = true")}),
    Case("bool-for-region-value", ["run", "s.toml", "--set", "compute.alt_supply_h100e.CN=true"],
         ["s.toml", "compute.alt_supply_h100e", "boolean"], {"s.toml": small_scenario()}),
    Case("bool-in-event-value", ["run", "s.toml"], ["s.toml", "events.0.value", "boolean"],
         {"s.toml": small_scenario(top='[[events]]\nmonth = "2022-03"\ngovernment = "US"\nfield = "leakage"\n'
                                       'value = true\n')}),
    Case("bool-set-for-float", ["run", "s.toml", "--set", "governments.US.leakage=false"],
         ["s.toml", "governments.US.leakage", "boolean"], {"s.toml": small_scenario()}),
    Case("unknown-key-suggested-in-section", ["run", "s.toml", "--set", "labs.bta=3"],
         ["s.toml", "labs.bta", "did you mean 'labs.beta'"], {"s.toml": small_scenario()}),
    Case("key-in-wrong-section", ["run", "s.toml", "--set", "labs.tau_alg_months=9"],
         ["s.toml", "labs.tau_alg_months", "'compute.tau_alg_months'"], {"s.toml": small_scenario()}),
    # --- names are not paths (issue 29)
    Case("name-parent-path", ["run", "s.toml"], ["s.toml", "'name'", "path separator"],
         {"s.toml": small_scenario().replace('name = "s"', 'name = "../../x"')}),
    Case("name-absolute", ["run", "s.toml"], ["s.toml", "'name'", "path separator"],
         {"s.toml": small_scenario().replace('name = "s"', 'name = "/tmp/aieco-x"')}),
    Case("name-empty", ["run", "s.toml"], ["s.toml", "'name'", "empty"],
         {"s.toml": small_scenario().replace('name = "s"', 'name = ""')}),
    Case("name-blank", ["run", "s.toml"], ["s.toml", "'name'", "empty"],
         {"s.toml": small_scenario().replace('name = "s"', 'name = "   "')}),
    Case("name-dotdot", ["run", "s.toml"], ["s.toml", "'name'", "'..'"],
         {"s.toml": small_scenario().replace('name = "s"', 'name = ".."')}),
    Case("name-leading-dot", ["run", "s.toml"], ["s.toml", "'name'", "leading dot"],
         {"s.toml": small_scenario().replace('name = "s"', 'name = ".hidden"')}),
    Case("name-backslash", ["run", "s.toml"], ["s.toml", "'name'", "path separator"],
         {"s.toml": small_scenario().replace('name = "s"', 'name = "a\\\\b"')}),
    Case("name-control-character", ["run", "s.toml"], ["s.toml", "'name'", "control character"],
         {"s.toml": small_scenario().replace('name = "s"', 'name = "a\\u0007b"')}),
    Case("name-too-long", ["run", "s.toml"], ["s.toml", "'name'", "at most 100"],
         {"s.toml": small_scenario().replace('name = "s"', f'name = "{"x" * 300}"')}),
    Case("name-not-a-string", ["run", "s.toml"], ["s.toml", "'name'", "string"],
         {"s.toml": small_scenario().replace('name = "s"', "name = 7")}),
    Case("name-absolute-by-set", ["run", "s.toml", "--set", "name=/tmp/aieco-x"],
         ["s.toml", "--set", "'name'", "path separator"], {"s.toml": small_scenario()}),
    Case("name-parent-by-set", ["run", "s.toml", "--set", "name=../x"], ["s.toml", "'name'", "path separator"],
         {"s.toml": small_scenario()}),
    Case("name-empty-by-set", ["run", "s.toml", "--set", 'name=""'], ["s.toml", "'name'", "empty"],
         {"s.toml": small_scenario()}),
    Case("name-inherited-from-parent", ["run", "c.toml"], ["p.toml", "'name'", "path separator"],
         {"c.toml": 'extends = "p.toml"\n',
          "p.toml": small_scenario().replace('name = "s"', 'name = "../../x"')}),
    Case("name-in-child-over-parent", ["run", "c.toml"], ["c.toml", "'name'", "leading dot"],
         {"c.toml": 'extends = "p.toml"\nname = ".x"\n', "p.toml": small_scenario()}),
    Case("name-compare", ["compare", "a.toml", "s.toml", "-r", "1"], ["s.toml", "'name'", "path separator"],
         {"a.toml": small_scenario(), "s.toml": small_scenario().replace('name = "s"', 'name = "/x"')}),
    Case("name-scenarios-validate", ["scenarios", "validate", "s.toml"], ["s.toml", "'name'", "'..'"],
         {"s.toml": small_scenario().replace('name = "s"', 'name = "a..b"')}),
    Case("sweep-name-is-a-path", ["sweep", "spec.toml", "--executor", "serial"], ["spec.toml", "name", "path separator"],
         {"spec.toml": f'name = "../../x"\nbase = "{BASELINE}"\ndesign = "grid"\n[[factors]]\npath = "labs.beta"\n'
                       'levels = [1.0, 2.0]\n'}),
    # --- events say what they do (issue 29)
    Case("events-same-month-and-field", ["run", "s.toml"], ["s.toml", "events[1]", "as events[0] does"],
         {"s.toml": small_scenario(top=EV.format("2022-03", "leakage", "0.1") + EV.format("2022-03", "leakage", "0.5"))}),
    Case("events-same-month-whole-and-region", ["run", "s.toml"], ["s.toml", "events[1]", "as events[0] does"],
         {"s.toml": small_scenario(top=EV.format("2022-03", "export_control.CN", "0.1")
                                   + EV.format("2022-03", "export_control", "{CN = 0.5}"))}),
    Case("events-same-month-and-field-by-set", ["run", "s.toml", "--set",
                                                'events=[{month="2022-03", government="US", field="leakage", value=0.1},'
                                                ' {month="2022-03", government="US", field="leakage", value=0.2}]'],
         ["s.toml", "--set", "events[1]", "as events[0] does"], {"s.toml": small_scenario()}),
    Case("events-duplicate-scenarios-validate", ["scenarios", "validate", "s.toml"], ["s.toml", "events[1]"],
         {"s.toml": small_scenario(top=EV.format("2022-05", "subsidy_rate", "0.1")
                                   + EV.format("2022-05", "subsidy_rate", "0.2"))}),
    Case("events-own-after-months-in-child", ["run", "c.toml"], ["c.toml", "events[0].month", "outside the horizon"],
         {"c.toml": f'extends = "{BASELINE}"\nmonths = 6\n' + EV.format("2022-09", "leakage", "0.1")}),
    Case("extends-a-csv", ["run", "s.toml"], ["s.toml", "field 'extends'", "x.csv", "not valid TOML"],
         {"s.toml": 'extends = "x.csv"\n', "x.csv": "a,b\n1,2\n"}),
    Case("extends-not-utf8", ["run", "s.toml"], ["s.toml", "field 'extends'", "p.toml", "UTF-8"],
         {"s.toml": 'extends = "p.toml"\n', "p.toml": NOT_UTF8}),
    Case("extends-missing", ["run", "s.toml"], ["s.toml", "field 'extends'", "not found"],
         {"s.toml": 'extends = "nope.toml"\n'}),
    Case("extends-a-folder", ["run", "s.toml"], ["s.toml", "field 'extends'", "not found"],
         {"s.toml": 'extends = "d"\n', "d/x": ""}),
    Case("extends-itself", ["run", "s.toml"], ["s.toml", "field 'extends'", "cycle"],
         {"s.toml": 'extends = "s.toml"\n'}),
    Case("extends-number", ["run", "s.toml"], ["s.toml", "field 'extends'", "string"], {"s.toml": 'extends = 3\n'}),
    # --- aieco run --from checks the manifest fully (issue 29)
    Case("from-seed-not-int", ["run", "--from", "r"], ["manifest.json", "seeds[1]", "integer"],
         {"r/manifest.json": run_manifest(replications=2, seeds=[1, "x"])}),
    Case("from-seed-bool", ["run", "--from", "r"], ["manifest.json", "seeds[0]", "integer"],
         {"r/manifest.json": run_manifest(seeds=[True])}),
    Case("from-seed-float", ["run", "--from", "r"], ["manifest.json", "seeds[0]", "integer"],
         {"r/manifest.json": run_manifest(seeds=[1.5])}),
    Case("from-seeds-too-few", ["run", "--from", "r"], ["manifest.json", "'seeds'", "1 seed(s) for 2"],
         {"r/manifest.json": run_manifest(replications=2)}),
    Case("from-seeds-missing", ["run", "--from", "r"], ["manifest.json", "'seeds'", "required"],
         {"r/manifest.json": run_manifest(seeds=None)}),
    Case("from-seed-edited", ["run", "--from", "r"], ["manifest.json", "seeds[0]", "not replication 0's seed"],
         {"r/manifest.json": run_manifest(seeds=[12345])}),
    Case("from-seed-negative", ["run", "--from", "r"], ["manifest.json", "seeds[0]", "greater than or equal to 0"],
         {"r/manifest.json": run_manifest(seeds=[-1])}),
    Case("from-replications-string", ["run", "--from", "r"], ["manifest.json", "'replications'", "integer"],
         {"r/manifest.json": run_manifest(replications="1")}),
    Case("from-replications-zero", ["run", "--from", "r"], ["manifest.json", "'replications'", "greater than"],
         {"r/manifest.json": run_manifest(replications=0)}),
    Case("from-base-seed-not-the-scenarios", ["run", "--from", "r"], ["manifest.json", "'base_seed'", "differs"],
         {"r/manifest.json": run_manifest(base_seed=7)}),
    Case("from-overrides-not-strings", ["run", "--from", "r"], ["manifest.json", "overrides[0]", "string"],
         {"r/manifest.json": run_manifest(overrides=[3])}),
    Case("from-scenario-file-number", ["run", "--from", "r"], ["manifest.json", "'scenario_file'", "string"],
         {"r/manifest.json": run_manifest(scenario_file=5)}),
    Case("from-scenario-name-path", ["run", "--from", "r"], ["manifest.json", "'name'", "path separator"],
         {"r/manifest.json": run_manifest(scenario={"name": "../../x", "roster": str(ARCHETYPES), "months": 2})}),
    Case("from-scenario-months-nan", ["run", "--from", "r"], ["manifest.json", "'months'"],
         {"r/manifest.json": run_manifest(scenario={"name": "s", "roster": str(ARCHETYPES), "months": "NaN"})}),
    Case("from-kind-sweep", ["run", "--from", "r"], ["manifest.json", "'kind'"],
         {"r/manifest.json": run_manifest(kind="sweep")}),
    # --- NaN and infinity are not numbers (issue 29)
    Case("nan-by-set", ["run", "s.toml", "--set", "labs.beta=nan"], ["s.toml", "labs.beta", "not a finite number",
                                                                     "from 0 to 50"], {"s.toml": small_scenario()}),
    Case("inf-by-set", ["run", "s.toml", "--set", "labs.beta=inf"], ["s.toml", "labs.beta", "not a finite number"],
         {"s.toml": small_scenario()}),
    Case("minus-inf-in-file", ["run", "s.toml"], ["s.toml", "labs.beta", "not a finite number"],
         {"s.toml": small_scenario("[labs]\nbeta = -inf\n")}),
    Case("nan-in-region-table", ["run", "s.toml", "--set", "compute.alt_supply_h100e.CN=nan"],
         ["s.toml", "compute.alt_supply_h100e", "not a finite number"], {"s.toml": small_scenario()}),
    Case("nan-export-control", ["run", "s.toml", "--set", "governments.US.export_control.CN=nan"],
         ["s.toml", "governments.US.export_control", "not a finite number", "from 0 to 1"],
         {"s.toml": small_scenario()}),
    Case("nan-event-value", ["run", "s.toml"], ["s.toml", "events.0.value", "not a finite number"],
         {"s.toml": small_scenario(top=EV.format("2022-03", "leakage", "nan"))}),
    Case("inf-months", ["run", "s.toml", "--set", "months=inf"], ["s.toml", "'months'", "not a finite number"],
         {"s.toml": small_scenario()}),
    Case("nan-seed", ["run", "s.toml", "--set", "seed=nan"], ["s.toml", "'seed'", "not a finite number"],
         {"s.toml": small_scenario()}),
    Case("nan-precision-option", ["run", "s.toml", "--precision", "nan"], ["--precision", "not a finite number"],
         {"s.toml": small_scenario()}),
    Case("inf-precision-option", ["run", "s.toml", "--precision", "inf"], ["--precision", "not a finite number"],
         {"s.toml": small_scenario()}),
    Case("nan-sweep-level", ["sweep", "spec.toml", "--executor", "serial", "--out", "o"],
         ["spec.toml", "labs.beta", "not a finite number"],
         {"spec.toml": f'base = "{BASELINE}"\ndesign = "grid"\n[[factors]]\npath = "labs.beta"\nlevels = [nan, 2.0]\n'}),
    Case("roster-open-bias-huge", ["run", "s.toml"], ["roster.csv", "row 1", "open_bias", "out of range", "-50 to 50"],
         {"s.toml": scenario_with_roster(), "roster.csv": ROSTER_HEADER + "A,US,1e24,CLOSED,1e300,\n"}),
    Case("roster-open-bias-minus-huge", ["run", "s.toml"], ["roster.csv", "row 2", "open_bias", "out of range"],
         {"s.toml": scenario_with_roster(), "roster.csv": ROSTER_HEADER + "A,US,1e24,CLOSED,0,\nB,CN,1e23,OPEN,-1e300,\n"}),
    Case("roster-open-bias-nan", ["run", "s.toml"], ["roster.csv", "row 1", "open_bias", "not a finite number"],
         {"s.toml": scenario_with_roster(), "roster.csv": ROSTER_HEADER + "A,US,1e24,CLOSED,nan,\n"}),
    Case("roster-compute-nan", ["run", "s.toml"], ["roster.csv", "row 1", "training_compute_flop",
                                                   "not a finite number"],
         {"s.toml": scenario_with_roster(), "roster.csv": ROSTER_HEADER + "A,US,nan,CLOSED,0,\n"}),
    # --- output folders (issue 29)
    Case("out-is-a-file", ["run", "s.toml", "--out", "o"], ["--out", "is a file"],
         {"s.toml": small_scenario(), "o": "not a folder"}),
    Case("out-holds-other-files", ["run", "s.toml", "--out", "o"], ["o", "not a results folder"],
         {"s.toml": small_scenario(), "o/notes.txt": "mine"}),
    Case("out-holds-other-files-overwrite", ["run", "s.toml", "--out", "o", "--overwrite"],
         ["o", "not a results folder", "even with --overwrite"], {"s.toml": small_scenario(), "o/notes.txt": "mine"}),
    Case("out-is-the-current-folder", ["run", "s.toml", "--out", ".", "--overwrite"], ["current folder"],
         {"s.toml": small_scenario()}),
    Case("out-already-holds-results", ["run", "s.toml", "--out", "o"], ["o", "already holds results", "--overwrite"],
         {"s.toml": small_scenario(), "o/manifest.json": run_manifest()}),
    Case("compare-out-holds-other-files", ["compare", "s.toml", "s.toml", "-r", "1", "--out", "o"],
         ["o", "not a results folder"], {"s.toml": small_scenario(), "o/notes.txt": "mine"}),
    Case("compare-out-holds-a-run", ["compare", "s.toml", "s.toml", "-r", "1", "--out", "o"],
         ["o", "results of another command", "'run'"], {"s.toml": small_scenario(), "o/manifest.json": run_manifest()}),
    Case("run-overwrite-a-compare", ["run", "s.toml", "--out", "o", "--overwrite"],
         ["o", "results of another command", "'compare'"],
         {"s.toml": small_scenario(), "o/manifest.json": '{"kind": "compare"}'}),
    Case("from-out-holds-other-files", ["run", "--from", "r", "--out", "o"], ["o", "not a results folder"],
         {"r/manifest.json": run_manifest(), "o/notes.txt": "mine"}),
    Case("events-mode-bad", ["run", "c.toml"], ["c.toml", "events_mode", "'merge'", "'replace'"],
         {"c.toml": f'extends = "{BASELINE}"\nevents_mode = "append"\n'}),
    # --- rosters
    Case("roster-empty-file", ["run", "s.toml"], ["roster.csv", "empty"],
         {"s.toml": scenario_with_roster(), "roster.csv": ""}),
    Case("roster-binary", ["run", "s.toml"], ["roster.csv", "UTF-8"],
         {"s.toml": scenario_with_roster(), "roster.csv": bytes(range(256)) * 4}),
    Case("roster-header-only", ["run", "s.toml"], ["roster.csv", "no labs"],
         {"s.toml": scenario_with_roster(), "roster.csv": ROSTER_HEADER}),
    Case("roster-all-enter-later", ["run", "s.toml"], ["roster.csv", "column entry", "2022-01"],
         {"s.toml": scenario_with_roster(),
          "roster.csv": ROSTER_HEADER + "A,US,1e24,CLOSED,0,2023-01\nB,CN,1e23,OPEN,0,2024-05\n"}),
    Case("roster-all-enter-later-scenarios-validate", ["scenarios", "validate", "s.toml"],
         ["roster.csv", "column entry", "2022-01"],
         {"s.toml": scenario_with_roster(),
          "roster.csv": ROSTER_HEADER + "A,US,1e24,CLOSED,0,2023-01\nB,CN,1e23,OPEN,0,2024-05\n"}),
    Case("validate-posterior-other-scenario", ["validate", "--posterior", "s.toml", "--draws", "1", "-r", "1",
                                               "--ensemble", str(ROOT / "scenarios" / "posterior.json")],
         ["--posterior", "fitted on", "s.toml"], {"s.toml": small_scenario()}),
    Case("roster-empty-name", ["run", "s.toml"], ["roster.csv", "row 2", "column name"],
         {"s.toml": scenario_with_roster(), "roster.csv": ROSTER_HEADER + "A,US,1e24,CLOSED,0,\n,CN,1e23,OPEN,0,\n"}),
    Case("roster-compute-1e308", ["run", "s.toml"], ["roster.csv", "row 1", "training_compute_flop"],
         {"s.toml": scenario_with_roster(), "roster.csv": ROSTER_HEADER + "A,US,1e308,CLOSED,0,\n"}),
    Case("roster-compute-inf", ["run", "s.toml"], ["roster.csv", "row 1", "training_compute_flop"],
         {"s.toml": scenario_with_roster(), "roster.csv": ROSTER_HEADER + "A,US,inf,CLOSED,0,\n"}),
    Case("roster-missing-file", ["run", "s.toml"], ["nope.csv", "not found"],
         {"s.toml": scenario_with_roster("nope.csv")}),
    Case("sweep-roster-all-enter-later", ["sweep", "spec.toml", "--executor", "serial", "--out", "o"],
         ["roster.csv", "column entry"],
         {"spec.toml": 'base = "s.toml"\ndesign = "grid"\n[[factors]]\npath = "labs.beta"\nlevels = [1.0, 2.0]\n',
          "s.toml": scenario_with_roster(),
          "roster.csv": ROSTER_HEADER + "A,US,1e24,CLOSED,0,2023-01\n"}),
    # --- sweeps
    Case("lhs-too-large", ["sweep", "spec.toml", "--executor", "serial", "--out", "o"],
         ["spec.toml", "design.samples", "GB"], {"spec.toml": LHS_HUGE}),
    Case("sweep-spec-not-utf8", ["sweep", "spec.toml", "--out", "o"], ["spec.toml", "text"],
         {"spec.toml": NOT_UTF8}),
    # --- results folders
    Case("manifest-list", ["results", "r"], ["manifest.json", "JSON list"], {"r/manifest.json": "[1, 2, 3]"}),
    Case("manifest-number", ["results", "r"], ["manifest.json", "JSON int"], {"r/manifest.json": "7"}),
    Case("manifest-sweep-without-design", ["results", "r"], ["manifest.json", "'design'"],
         {"r/manifest.json": '{"kind": "sweep"}'}),
    Case("manifest-not-utf8", ["results", "r"], ["manifest.json", "unreadable"], {"r/manifest.json": NOT_UTF8}),
    Case("figures-manifest-list", ["figures", "r"], ["manifest.json", "kind"], {"r/manifest.json": "[1, 2, 3]"}),
    # --- aieco data roster
    Case("data-roster-negative-window", ["data", "roster", "--epoch-dir", "e", "--window-years", "-3"],
         ["--window-years", "-3"]),
    Case("data-roster-zero-window", ["data", "roster", "--epoch-dir", "e", "--window-years", "0"],
         ["--window-years"]),
    Case("data-roster-entrants-before-at", ["data", "roster", "--epoch-dir", "e", "--at", "2022-01",
                                            "--entrants-until", "2021-06"], ["--entrants-until", "2021-06"]),
    Case("data-roster-bad-at", ["data", "roster", "--epoch-dir", "e", "--at", "2022-13"], ["--at", "YYYY-MM"]),
]


def _files(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*")}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_clean(case: Case, tmp_path, monkeypatch):
    for name, content in case.files.items():
        f = tmp_path / name
        f.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            f.write_bytes(content)
        else:
            f.write_text(content)
    monkeypatch.chdir(tmp_path)
    before = _files(tmp_path)
    res = CliRunner().invoke(main, case.args)
    out = res.output
    assert res.exit_code == 2, out
    assert "Traceback" not in out and res.exception is None or isinstance(res.exception, SystemExit), out
    errors = [ln for ln in out.splitlines() if ln.startswith(("error:", "Error:", "invalid:"))]
    assert len(errors) == 1, out
    for text in case.expect:
        assert text in out, (text, out)
    assert _files(tmp_path) == before, "nothing is written for bad input"


def test_corpus_covers_every_command_that_reads_input():
    commands = {c.args[0] for c in CASES}
    assert {"run", "scenarios", "sweep", "results", "figures", "data"} <= commands
    assert len(CASES) >= 100


def test_data_roster_refuses_a_roster_without_a_lab_at_the_start(tmp_path):
    epoch = ROOT.parent / "shared" / "data" / "epoch"
    if not epoch.is_dir():
        pytest.skip("Epoch's data are not here (../shared/data/epoch)")
    out = tmp_path / "r.csv"
    res = CliRunner().invoke(main, ["data", "roster", "--epoch-dir", str(epoch), "--min-compute", "1e27",
                                    "--window-years", "0.1", "--out", str(out)])
    assert res.exit_code == 2 and "no lab at the start" in res.output, res.output
    assert not out.exists()


def test_edge_rosters_that_are_accepted_give_finite_outputs(tmp_path):
    """A roster at the compute bound and a start at the end of the allowed range run with finite outputs."""
    from sim.analysis.runs import run_one
    from sim.scenario.schema import load_scenario

    (tmp_path / "roster.csv").write_text(ROSTER_HEADER + "A,US,1e33,CLOSED,0,\nB,CN,1e20,OPEN,0,\n")
    (tmp_path / "s.toml").write_text(scenario_with_roster(extra="").replace('name = "s"', 'start = "2100-12"'))
    res = run_one(load_scenario(tmp_path / "s.toml"), seed=1)
    num = res.timeseries.select_dtypes("number")
    assert not num.isin([float("inf"), float("-inf")]).any().any()
    assert res.timeseries["date"].iloc[-1] == "2101-11"


@pytest.mark.parametrize("name", ["a b:c*?", "x=1", "Übergang", "-lead", "a.b"])
def test_a_valid_name_makes_a_folder_inside_results(name):
    """Any name the schema accepts becomes one plain folder directly under results/ (never a path, never hidden)."""
    from sim.cli.run import default_out
    from sim.scenario.schema import name_problem

    assert name_problem(name) is None
    for changes in ([], ["governments.US.leakage=0.6"]):
        out = default_out(name, changes)
        assert out.parent == Path("results") and not out.name.startswith(".")
        assert set(out.name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._=+-")
