"""`aieco run` end to end and its bad-input handling (exit code 2, one clear message, no traceback)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import ARCHETYPES, BASELINE

from sim.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_run_writes_tables_manifest_and_figures(tmp_path):
    out = tmp_path / "out"
    res = invoke("run", BASELINE, "--replications", 2, "--months", 30, "--set", "developers.n=500", "--out", out)
    assert res.exit_code == 0, res.output
    for name in ("timeseries", "labs", "releases", "summary"):
        df = pd.read_parquet(out / f"{name}.parquet")
        assert len(df) > 0 and set(df["replication"]) == {0, 1}
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 2 * 30 and ts["date"].iloc[-1] == "2024-06"
    man = json.loads((out / "manifest.json").read_text())
    assert man["scenario"]["months"] == 30 and man["scenario"]["developers"]["n"] == 500
    assert len(man["seeds"]) == 2 and man["seeds"][0] != man["seeds"][1]
    assert {"mesa", "numpy", "aieco"} <= set(man["versions"]) and "commit" in man["git"]
    assert man["wall_seconds"] > 0 and "run" in man["command"]
    # events after the shortened horizon are dropped, those before kept
    assert [e["month"] for e in man["scenario"]["events"]] == ["2022-10", "2023-10"]
    for fig in ("open_share", "frontier", "adoption", "compute"):
        for ext in ("png", "pdf", "json"):
            assert (out / "figures" / f"{fig}_double.{ext}").stat().st_size > 1000 or ext == "json"
    side = json.loads((out / "figures" / "frontier_double.json").read_text())
    assert side["seeds"] == man["seeds"] and len(side["manifest_sha256"]) == 64
    # a changed scenario is labelled as changed, not as the named one
    assert man["overrides"] == ["developers.n=500", "months=30"]
    assert side["scenario"] == "baseline with developers.n=500, months=30"
    assert "open-weight share of labs, CN" in res.output


def _bad(tmp_path, text: str) -> str:
    f = tmp_path / "bad.toml"
    f.write_text(f'roster = "{ARCHETYPES}"\n' + text)
    res = invoke("run", f, "--no-figures", "--out", tmp_path / "o")
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "o").exists(), "nothing is written for bad input"
    return res.output


@pytest.mark.parametrize("text, expected", [
    ("[labs]\nbeta_ = 3\n", ["bad.toml", "labs.beta_", "did you mean 'labs.beta'"]),
    ("[labs]\ndistill_share_at_parity = 2\n", ["labs.distill_share_at_parity", "less than or equal to 0.95"]),
    ("[developers]\nn = 'many'\n", ["developers.n", "valid integer"]),
    ('start = "2022-13"\n', ["'start'", "YYYY-MM"]),
    ("[developers]\nregion_shares = {US = 0.5}\n", ["developers.region_shares", "replaced as a whole",
                                                    "CN, EU, ROW missing"]),
    ("[governments.MARS]\nleakage = 0.1\n", ["field 'governments.MARS': not an allowed key", "'US', 'CN', 'EU' or 'ROW'"]),
    ('[[events]]\nmonth = "2031-01"\ngovernment = "US"\nfield = "leakage"\nvalue = 0.1\n',
     ["events[0].month", "outside the horizon"]),
    ('[[events]]\nmonth = "2023-01"\ngovernment = "US"\nfield = "leakge"\nvalue = 0.1\n',
     ["events", "leakge", "did you mean 'leakage'"]),
])
def test_bad_scenarios_exit_2_with_file_and_field(tmp_path, text, expected):
    out = _bad(tmp_path, text)
    for e in expected:
        assert e in out, (e, out)


def test_missing_file_and_bad_set(tmp_path):
    res = invoke("run", tmp_path / "nope.toml")
    assert res.exit_code == 2 and "not found" in res.output and "nope.toml" in res.output
    res = invoke("run", BASELINE, "--set", "compute.tau_alg_months=100", "--out", tmp_path / "o")
    assert res.exit_code == 2 and "compute.tau_alg_months" in res.output and "--set" in res.output
    res = invoke("run", BASELINE, "--set", "nonsense", "--out", tmp_path / "o")
    assert res.exit_code == 2 and "section.key=value" in res.output


def test_bad_roster_exit_2(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("name,region,training_compute_flop,strategy,open_bias\nA,MARS,1e23,OPEN,0\n")
    f = tmp_path / "s.toml"
    f.write_text(f'roster = "{roster}"\n')
    res = invoke("run", f, "--out", tmp_path / "o")
    assert res.exit_code == 2 and "row 1, column region" in res.output and "Traceback" not in res.output
