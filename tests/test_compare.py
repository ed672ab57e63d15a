"""`aieco compare`: common random numbers, paired differences, tidy outputs, figures and bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import ROOT, small

from sim.analysis.compare import compare_stats, run_comparison, unique_names
from sim.analysis.runs import seed_for
from sim.cli import main
from sim.model.metrics import HEADLINE_METRICS

SCEN = ROOT / "scenarios"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def quick():
    return small(None, **{"months": 30, "developers.n": 300, "developers.payoff_sample": 100})


def test_identical_scenarios_give_exactly_zero_difference(quick):
    comp = run_comparison([quick, quick], replications=3, base_seed=11)
    assert comp.names == [quick.name, f"{quick.name}#2"]
    assert comp.seeds == [seed_for(11, r) for r in range(3)]
    t = comp.table
    assert list(t.columns) == ["scenario", "scenario_index", "replication", "seed", "metric", "value", "diff"]
    other = t[t["scenario_index"] == 1]
    finite = other["value"].notna()
    assert finite.any() and (other.loc[finite, "diff"] == 0.0).all()
    stats = compare_stats(t)
    assert set(stats["metric"]) == set(HEADLINE_METRICS)
    s1 = stats[stats["scenario_index"] == 1]
    assert (s1[["diff_median", "diff_lo", "diff_hi"]].fillna(0.0) == 0.0).all().all() and not s1["clear"].any()
    ts = comp.timeseries
    a, b = (ts[ts["scenario"] == n].drop(columns="scenario").reset_index(drop=True) for n in comp.names)
    pd.testing.assert_frame_equal(a, b)


def test_subsidy_event_takes_effect_in_its_month_not_before_via_compare(quick):
    """Same seeds, one scenario with a CN subsidy from 2023-01 (month 12): every output is identical before
    month 12 and China's compute differs from month 12 on."""
    ev = small(quick, events=[{"month": "2023-01", "government": "CN", "field": "subsidy_rate", "value": 0.6,
                               "note": "test"}], name="subsidy")
    comp = run_comparison([quick, ev], replications=2, base_seed=5)
    ts = comp.timeseries
    for r in range(2):
        a = ts[(ts["scenario"] == comp.names[0]) & (ts["replication"] == r)].set_index("month")
        b = ts[(ts["scenario"] == "subsidy") & (ts["replication"] == r)].set_index("month")
        cols = [c for c in a.columns if c not in ("scenario",)]
        pd.testing.assert_frame_equal(a.loc[:11, cols], b.loc[:11, cols])  # nothing changes before the event
        assert b.loc[12, "subsidy_CN"] == 0.6 and a.loc[12, "subsidy_CN"] == quick.governments["CN"].subsidy_rate
        assert b.loc[12, "compute_CN"] > a.loc[12, "compute_CN"]  # more money for chips in the event's month
        assert (b.loc[12:, "compute_CN"].to_numpy() > a.loc[12:, "compute_CN"].to_numpy()).all()


def test_unique_names():
    assert unique_names(["a", "b", "a", "a"]) == ["a", "b", "a#2", "a#3"]


def test_cli_compare_end_to_end(tmp_path):
    out = tmp_path / "cmp"
    res = invoke("compare", SCEN / "baseline.toml", SCEN / "no_export_controls.toml", "--replications", 2,
                 "--months", 30, "--set", "developers.n=300", "--set", "developers.payoff_sample=100",
                 "--out", out, "--width", "single", "--format", "png", "--also", "compute_share_CN")
    assert res.exit_code == 0, res.output
    for m in (*HEADLINE_METRICS, "compute_share_CN"):
        assert m in res.output
    assert "(reference)" in res.output and "no_export_controls" in res.output
    table = pd.read_parquet(out / "compare.parquet")
    assert set(table["scenario"]) == {"baseline", "no_export_controls"} and set(table["replication"]) == {0, 1}
    seeds = table.groupby("scenario")["seed"].apply(lambda s: sorted(set(s)))
    assert seeds["baseline"] == seeds["no_export_controls"], "common random numbers"
    ref = table[table["scenario"] == "baseline"]
    assert (ref["diff"].dropna() == 0).all()
    man = json.loads((out / "manifest.json").read_text())
    assert man["names"] == ["baseline", "no_export_controls"] and man["common_random_numbers"]
    sc = {s["name"]: s["scenario"] for s in man["scenarios"]}
    assert sc["baseline"]["months"] == 30 and sc["baseline"]["developers"]["n"] == 300
    assert [e["month"] for e in sc["no_export_controls"]["events"]] == []  # its 2024-07 event is past 30 months
    assert [e["month"] for e in sc["baseline"]["events"]] == ["2022-10", "2023-10"]
    stats = pd.read_csv(out / "stats.csv")
    assert set(stats["metric"]) == {*HEADLINE_METRICS, "compute_share_CN"}
    for fig in ("compare_timeseries_single", "compare_differences_single"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 10_000
        side = json.loads((out / "figures" / f"{fig}.json").read_text())
        assert side["seeds"] == man["seeds"] and len(side["manifest_sha256"]) == 64
    cn = table[(table["metric"] == "compute_share_CN")].pivot(index="replication", columns="scenario", values="value")
    assert (cn["no_export_controls"] > cn["baseline"]).all()  # the direction of the effect
    assert np.isfinite(stats["median"]).any()


def test_cli_compare_bad_input_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "missing_parent.toml"\n')
    res = invoke("compare", SCEN / "baseline.toml", bad, tmp_path / "none.toml", "--out", tmp_path / "o")
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "bad.toml" in res.output and "'extends'" in res.output and "none.toml" in res.output
    assert not (tmp_path / "o").exists()
    two = (SCEN / "baseline.toml", SCEN / "no_export_controls.toml")
    res = invoke("compare", *two, "--also", "nonsense", "--out", tmp_path / "o")
    assert res.exit_code == 2 and "nonsense" in res.output and "compute_share_CN" in res.output
    res = invoke("compare", *two, "--set", "labs.beta=-1", "--out", tmp_path / "o")
    assert res.exit_code == 2 and "labs.beta" in res.output
    res = invoke("compare", SCEN / "baseline.toml", "--out", tmp_path / "o")  # one scenario: nothing to compare
    assert res.exit_code == 2 and "at least two scenarios" in res.output and not (tmp_path / "o").exists()


def test_paired_effects_on_known_paths():
    """Horizon, mean-from-change and peak of a difference path built by hand; CIs narrow, spreads do not."""
    from sim.analysis.compare import paired_effects

    rng = np.random.default_rng(3)
    rows = []
    T = 24
    effect = np.where(np.arange(T) >= 6, 2.0, 0.0)  # +2 from month 6 on
    effect[15] = 5.0  # the peak
    for r in range(40):
        noise = rng.normal(0, 1, T)
        for t in range(T):
            rows.append({"scenario": "ref", "replication": r, "month": t, "date": f"2022-{t % 12 + 1:02d}",
                         "x": noise[t]})
            rows.append({"scenario": "alt", "replication": r, "month": t, "date": f"2022-{t % 12 + 1:02d}",
                         "x": noise[t] + effect[t] + rng.normal(0, 0.5)})
    ts = pd.DataFrame(rows)
    e = paired_effects(ts, ["ref", "alt"], ["x"], from_month=6).set_index("effect")
    assert list(e.index) == ["horizon", "mean", "peak"]
    assert e.loc["horizon", "ci_lo"] < 2.0 < e.loc["horizon", "ci_hi"]
    assert abs(e.loc["mean", "estimate"] - (2.0 * 17 + 5.0) / 18) < 0.1
    assert e.loc["peak", "month"] == 15 and e.loc["peak", "ci_lo"] < 5.0 < e.loc["peak", "ci_hi"]
    assert not e["ci_has_zero"].any()
    for k in ("horizon", "mean", "peak"):  # the CI of the mean is narrower than the spread of replications
        assert e.loc[k, "ci_hi"] - e.loc[k, "ci_lo"] < e.loc[k, "spread_hi"] - e.loc[k, "spread_lo"]
    small_n = paired_effects(ts[ts["replication"] < 10], ["ref", "alt"], ["x"], from_month=6).set_index("effect")
    assert (small_n.loc["mean", "ci_hi"] - small_n.loc["mean", "ci_lo"]) > (e.loc["mean", "ci_hi"] - e.loc["mean", "ci_lo"])
    again = paired_effects(ts, ["ref", "alt"], ["x"], from_month=6).set_index("effect")
    pd.testing.assert_frame_equal(e, again)  # deterministic bootstrap


def test_first_policy_month():
    from sim.analysis.compare import first_policy_month
    from sim.scenario.schema import load_scenario

    base = load_scenario(SCEN / "baseline.toml")
    assert first_policy_month(base, base) is None
    assert first_policy_month(base, load_scenario(SCEN / "strict_controls.toml")) == 36  # 2025-01
    assert first_policy_month(base, load_scenario(SCEN / "no_export_controls.toml")) == 9  # 2022-10 dropped
    assert first_policy_month(base, load_scenario(SCEN / "no_api_blocks.toml")) == 0  # a start setting differs


def test_precision_batches_stop_at_the_target_or_the_cap(quick):
    from sim.analysis.compare import run_comparison_until_precise
    from sim.analysis.precision import bootstrap_ci, next_batch, precision_status

    st = precision_status({"a": (10.0, 9.0, 11.0, 1.0)}, 0.1)
    assert st["a"]["reached"] and st["a"]["half_width"] == 1.0 and st["a"]["target"] == 1.0
    st = precision_status({"a": (0.0, -0.2, 0.2, 1.0)}, 0.1)  # below the floor: absolute precision 0.1
    assert not st["a"]["reached"] and next_batch(10, st, 100) == 10  # at most doubles
    assert next_batch(10, st, 14) == 4 and next_batch(14, st, 14) == 0
    est, lo, hi = bootstrap_ci(np.arange(20.0), "median")
    assert est == 9.5 and lo < 9.5 < hi
    ev = small(quick, events=[{"month": "2023-01", "government": "CN", "field": "subsidy_rate", "value": 0.6,
                               "note": "test"}], name="subsidy")
    comp, status, history = run_comparison_until_precise([quick, ev], 2, 1e-6, 5, base_seed=5)
    assert history == [2, 4, 5] and len(comp.seeds) == 5 and comp.seeds == [seed_for(5, r) for r in range(5)]
    ref = run_comparison([quick, ev], 5, base_seed=5)
    pd.testing.assert_frame_equal(comp.table, ref.table)  # batches continue the same replications
    assert not all(v["reached"] for v in status.values())


def test_cli_compare_reports_effects_over_time_and_precision(tmp_path):
    out = tmp_path / "cmp"
    res = invoke("compare", SCEN / "baseline.toml", SCEN / "strict_controls.toml", "--replications", 2,
                 "--months", 40, "--set", "developers.n=300", "--set", "developers.payoff_sample=100",
                 "--precision", 1e-6, "--max-replications", 3, "--out", out, "--no-figures")
    assert res.exit_code == 0, res.output
    for words in ("90% spread", "90% CI", "mean diff. from policy change", "peak", "precise", "strict_controls: 2025-01"):
        assert words in res.output, words
    man = json.loads((out / "manifest.json").read_text())
    assert man["replications"] == 3 and man["precision"]["batches"] == [2, 3]
    assert man["first_policy_month"] == {"strict_controls": 36}
    eff = pd.read_csv(out / "effects.csv")
    assert set(eff["effect"]) == {"horizon", "mean", "peak"} and set(eff["metric"]) == set(HEADLINE_METRICS)
    assert (eff["from_month"] == 36).all() and (eff["n"] == 3).all()
    peak = eff[eff["effect"] == "peak"]
    assert ((peak["month"] >= 36) & (peak["month"] <= 39)).all()


# --------------------------------------------------------------------------------------------------
# --precision on two cores: workers, a report after each batch, partial runs kept and resumed (issue 30)

def test_workers_give_the_same_numbers(quick):
    ev = small(quick, name="controls", **{"governments.US.export_control": {"CN": 1.0}})
    one = run_comparison([quick, ev], 3, base_seed=9)
    two = run_comparison([quick, ev], 3, base_seed=9, workers=2)
    pd.testing.assert_frame_equal(one.table, two.table)
    pd.testing.assert_frame_equal(one.timeseries, two.timeseries)


def test_partial_runs_are_kept_and_a_resumed_comparison_is_the_uninterrupted_one(quick, tmp_path):
    from sim.analysis.batches import PartialError, PartialRuns
    from sim.analysis.compare import run_comparison_until_precise

    ev = small(quick, name="controls", **{"governments.US.export_control": {"CN": 1.0}})
    reports = []
    part = tmp_path / "c.partial"
    run_comparison_until_precise([quick, ev], 2, 1e-6, 4, base_seed=5, partial=part, report=reports.append)
    state = json.loads((part / "state.json").read_text())
    assert state["done"] == 4 and state["history"] == [2, 4]
    assert [r.done for r in reports] == [2, 4] and reports[0].next_batch == 2 and reports[-1].next_batch == 0
    assert reports[0].short and reports[0].eta_seconds is not None and "still short" in reports[0].lines()[1]
    resumed, _, hist = run_comparison_until_precise([quick, ev], 2, 1e-6, 6, base_seed=5, partial=part, resume=True)
    assert hist == [2, 4, 6]
    fresh = run_comparison([quick, ev], 6, base_seed=5)
    pd.testing.assert_frame_equal(resumed.table, fresh.table)
    with pytest.raises(PartialError, match="another comparison"):
        run_comparison_until_precise([quick, quick], 2, 1e-6, 6, base_seed=5, partial=part, resume=True)
    assert PartialRuns(part).exists()


def test_cli_precision_interrupted_then_resumed(tmp_path, monkeypatch):
    """Ctrl-C in the second batch: exit 130, the first batch kept in OUT.partial and the command to continue
    printed; without --resume the kept runs are not overwritten; with it the comparison completes and the
    partial folder goes."""
    import sim.analysis.batches as batches

    out = tmp_path / "cmp"
    args = ["compare", SCEN / "baseline.toml", SCEN / "strict_controls.toml", "--replications", 2, "--months", 40,
            "--set", "developers.n=200", "--set", "developers.payoff_sample=80", "--precision", 1e-6,
            "--max-replications", 4, "--out", out, "--no-figures"]
    real = batches.extend_runs

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(batches, "extend_runs", interrupted)
    res = invoke(*args)
    assert res.exit_code == 130, res.output
    said = " ".join(res.output.split())
    assert "still short" in said and "--resume" in said and "cmp.partial" in said and not out.exists()
    assert json.loads((tmp_path / "cmp.partial" / "state.json").read_text())["done"] == 2
    monkeypatch.setattr(batches, "extend_runs", real)
    res = invoke(*args)
    assert res.exit_code == 2 and "add --resume" in res.output
    res = invoke(*args, "--resume")
    assert res.exit_code == 0, res.output
    man = json.loads((out / "manifest.json").read_text())
    assert man["replications"] == 4 and man["precision"]["batches"] == [2, 4]
    assert not (tmp_path / "cmp.partial").exists()


def test_cli_compare_does_not_replace_finished_results_without_overwrite(tmp_path):
    """Nothing computed is lost: a second comparison into the same folder exits 2 unless --overwrite."""
    out = tmp_path / "cmp"
    args = ["compare", SCEN / "baseline.toml", SCEN / "strict_controls.toml", "--replications", 1, "--months", 12,
            "--set", "developers.n=100", "--set", "developers.payoff_sample=50", "--out", out, "--no-figures"]
    assert invoke(*args).exit_code == 0
    res = invoke(*args)
    assert res.exit_code == 2 and "--overwrite" in res.output and (out / "manifest.json").is_file()
    assert invoke(*args, "--overwrite").exit_code == 0
