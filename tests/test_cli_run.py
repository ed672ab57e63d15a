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


@pytest.mark.slow
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
    assert "Open share, CN" in res.output
    # the printed table is saved beside the tables, and the header says what was changed
    assert "baseline (developers.n=500, months=30): 2022-01 + 30 months" in " ".join(res.output.split())
    head = pd.read_csv(out / "headline.csv").set_index("metric")
    summary = pd.read_parquet(out / "summary.parquet")
    assert head.loc["us_cn_gap_months", "median"] == pytest.approx(summary["us_cn_gap_months"].median())
    assert f"{head.loc['us_cn_gap_months', 'median']:.1f} [" in res.output
    md = (out / "headline.md").read_text()
    assert md.startswith("# baseline (developers.n=500, months=30)") and "| US-China gap | months |" in md


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


# --------------------------------------------------------------------------------------------- first use

SMALL = ("--months", "4", "--set", "developers.n=200", "--no-figures")


def test_run_from_a_results_folder_reproduces_its_tables(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = invoke("run", BASELINE, "--replications", 2, "--seed", 7, *SMALL, "--out", "first")
    assert res.exit_code == 0, res.output
    res = invoke("run", "--from", "first", "--no-figures")
    assert res.exit_code == 0, res.output
    assert "reproduced first: timeseries, labs, releases and summary are identical" in res.output
    for name in ("timeseries", "labs", "releases", "summary"):
        pd.testing.assert_frame_equal(pd.read_parquet(f"first/{name}.parquet"),
                                      pd.read_parquet(f"first-rerun/{name}.parquet"))
    again = json.loads((tmp_path / "first-rerun" / "manifest.json").read_text())
    first = json.loads((tmp_path / "first" / "manifest.json").read_text())
    assert again["seeds"] == first["seeds"] and again["scenario"] == first["scenario"]
    assert again["overrides"] == first["overrides"] == ["developers.n=200", "months=4", "seed=7"]
    # a folder whose tables no longer match what its manifest records is reported, exit 1
    df = pd.read_parquet("first/summary.parquet")
    df.loc[0, "open_share_US"] += 0.5
    df.to_parquet("first/summary.parquet")
    res = invoke("run", "--from", "first", "--out", "third", "--no-figures")
    assert res.exit_code == 1 and "does not reproduce first: summary: values differ in open_share_US" in res.output


@pytest.mark.parametrize("args, expect", [
    (["--from", "nothing"], "no manifest.json"),
    (["--from", "r", "--set", "labs.beta=2"], "drop --set"),
    (["scenarios/x.toml", "--from", "r"], "drop SCENARIO"),
    ([], "give a SCENARIO file"),
])
def test_run_from_bad_input(tmp_path, monkeypatch, args, expect):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "manifest.json").write_text(json.dumps({"kind": "run"}))
    res = invoke("run", *args)
    assert res.exit_code == 2 and expect in res.output and "Traceback" not in res.output, res.output


def test_run_from_a_manifest_with_a_bad_scenario_names_the_field(tmp_path):
    from sim.analysis.runs import seed_for

    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "run", "scenario": {"labs": {"beta": -1}},
                                                        "replications": 1, "base_seed": 1, "seeds": [seed_for(1, 0)]}))
    res = invoke("run", "--from", tmp_path)
    assert res.exit_code == 2 and "manifest.json (field 'scenario'): field 'labs.beta'" in res.output, res.output


def test_runs_with_changes_go_to_their_own_folder_and_say_where(tmp_path, monkeypatch):
    """The README's tour: the second command used to collide with the quick start's results/baseline."""
    monkeypatch.chdir(tmp_path)
    plain = invoke("run", BASELINE, *SMALL[2:])  # only --set developers.n and --no-figures
    changed = invoke("run", BASELINE, *SMALL[2:], "--set", "governments.US.leakage=0.6", "--set", "labs.beta=6")
    months = invoke("run", BASELINE, *SMALL)
    assert plain.exit_code == changed.exit_code == months.exit_code == 0, changed.output
    folders = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert folders == ["baseline_developers.n=200", "baseline_developers.n=200_US.leakage=0.6_labs.beta=6",
                       "baseline_developers.n=200_months=4"]
    assert "wrote results/baseline_developers.n=200_US.leakage=0.6_labs.beta=6/" in changed.output
    from sim.cli.run import changes_slug

    long = changes_slug([f"developers.w_cap_mean={i / 10}" for i in range(20)])
    assert len(long) <= 60 and long != changes_slug([f"developers.w_cap_mean={i / 10}" for i in range(21)])


def test_one_replication_table_shows_values_not_intervals(tmp_path):
    one = invoke("run", BASELINE, *SMALL, "--out", tmp_path / "a")
    two = invoke("run", BASELINE, *SMALL, "--replications", 2, "--out", tmp_path / "b")
    assert "median [90% spread]" not in one.output and " value" in one.output and "CI of median" not in one.output
    assert "median [90% spread]" in two.output


def test_csv_tables_match_the_parquet_tables(tmp_path):
    res = invoke("run", BASELINE, *SMALL, "--csv", "--out", tmp_path)
    assert res.exit_code == 0 and ".csv" in res.output, res.output
    for name in ("timeseries", "labs", "releases", "summary"):
        pq_, csv = pd.read_parquet(tmp_path / f"{name}.parquet"), pd.read_csv(tmp_path / f"{name}.csv")
        assert list(csv.columns) == list(pq_.columns) and len(csv) == len(pq_) > 0
        num = pq_.select_dtypes("number").columns
        pd.testing.assert_frame_equal(csv[num], pq_[num], check_dtype=False)


def test_precision_adds_replications_until_the_median_ci_is_narrow_or_the_cap(tmp_path):
    out = tmp_path / "p"
    res = invoke("run", str(BASELINE), "--months", "24", "--set", "developers.n=300", "--set",
                 "developers.payoff_sample=100", "--replications", "2", "--precision", "0.0001",
                 "--max-replications", "5", "--no-figures", "--out", str(out))
    assert res.exit_code == 0, res.output
    man = json.loads((out / "manifest.json").read_text())
    assert man["replications"] == 5 and man["precision"]["batches"] == [2, 4, 5]
    assert {t["metric"] for t in man["precision"]["targets"]} >= {"open_closed_lag_months", "noncn_on_cn_open"}
    assert "90% CI of median" in res.output and "spread" in res.output and "precise" in res.output
    summary = pd.read_parquet(out / "summary.parquet")
    assert list(summary["replication"]) == [0, 1, 2, 3, 4]
    res = invoke("run", str(BASELINE), "--replications", "5", "--precision", "0.1", "--max-replications", "3",
                 "--out", str(tmp_path / "q"))
    assert res.exit_code == 2 and "--max-replications" in res.output
    # without --max-replications the cap is 400, or --replications when larger: no error for a large first batch
    from sim.cli.common import DEFAULT_MAX_REPLICATIONS, max_replications_or_exit

    assert max_replications_or_exit(None, 500, 0.1) == 500
    assert max_replications_or_exit(None, 10, 0.1) == DEFAULT_MAX_REPLICATIONS
