"""Tests for sim.analysis.validation, sim.analysis.calibration and the ``aieco validate`` / ``aieco calibrate`` commands."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import BASELINE, ROOT

from sim.analysis import validation as val
from sim.analysis.calibration import (
    CalibrationError,
    DistanceSettings,
    distance,
    fitted_tables,
    load_spec,
)
from sim.cli import main
from sim.scenario.schema import load_scenario, with_values

TARGETS = ROOT / "data" / "targets"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# ------------------------------------------------------------------------------------------------
# hand-made targets and statistics


def hand_targets() -> val.Targets:
    share = pd.DataFrame(
        [("CN", y, s, s - 0.1, s + 0.1, 20, s) for y, s in ((2022, 0.6), (2023, 0.6), (2024, 0.5), (2025, 0.8))]
        + [("US", y, s, s - 0.1, s + 0.1, 40, s) for y, s in ((2022, 0.5), (2023, 0.4), (2024, 0.3), (2025, 0.2))],
        columns=["region", "year", "share", "lo", "hi", "n", "share_alt"])
    lag = pd.DataFrame({"year": [2022, 2023, 2024, 2025], "lag_mean": [20.0, 18.0, 12.0, 19.0],
                        "lag_end": [19.0, 10.0, 13.0, 25.0]})
    trend = pd.DataFrame({"method": ["running_top5"], "growth": [4.5], "lo": [4.1], "hi": [4.9]})
    return val.Targets(share, lag, trend, val.growth_band(trend))


def stats_from(p1: dict, p2: dict, p3: dict, reps: int = 3, spread: float = 0.0) -> pd.DataFrame:
    """Per-replication statistics with the given means (replication r is offset by (r - mid) * spread)."""
    rows = []
    for r in range(reps):
        off = (r - (reps - 1) / 2) * spread
        rows += [("P1", reg, y, r, v + off, 4) for (reg, y), v in p1.items()]
        rows += [("P2", "", y, r, v + 10 * off, 12) for y, v in p2.items()]
        rows += [("P3", "", y, r, v, 12 * (y - 2021)) for y, v in p3.items()]
    return pd.DataFrame(rows, columns=["pattern", "region", "year", "replication", "value", "n"])


def exact_stats(t: val.Targets) -> pd.DataFrame:
    p1 = {(r.region, r.year): r.share for r in t.open_share.itertuples()}
    p2 = dict(zip(t.lag["year"], t.lag["lag_mean"], strict=True))
    p3 = {y: float(t.headline_growth["growth"]) for y in (2023, 2024, 2025)}
    return stats_from(p1, p2, p3)


def row(table: pd.DataFrame, item: str) -> pd.Series:
    hit = table[table["item"] == item]
    assert len(hit) == 1, (item, list(table["item"]))
    return hit.iloc[0]


def test_compare_pass_fail_logic_on_hand_made_tables():
    t = hand_targets()
    p1 = {("CN", 2022): 0.45, ("CN", 2023): 0.45, ("CN", 2024): 0.45, ("CN", 2025): 0.55,   # 2025 below 0.6
          ("US", 2022): 0.5, ("US", 2023): 0.5, ("US", 2024): 0.2, ("US", 2025): 0.2}
    p2 = {2022: 20.0, 2023: 30.0, 2024: 14.0, 2025: 19.0}
    p3 = {2023: 1.5, 2024: 4.2, 2025: 6.0}
    table = val.compare(stats_from(p1, p2, p3, spread=0.05), t)
    assert list(table.columns) == list(val.TABLE_COLUMNS)
    # strict rule: the simulated 5-95% interval (3 replications, +/- 0.045 for P1) must overlap the empirical one
    assert not row(table, "open share of releases, CN 2022")["passed"]  # [0.405, 0.495] vs [0.5, 0.7]
    assert row(table, "open share of releases, US 2022")["passed"]  # [0.455, 0.545] vs [0.4, 0.6]
    assert not row(table, "open share of releases, CN 2025")["passed"]  # 0.55 vs [0.7, 0.9]
    assert row(table, "open share of releases, CN 2025")["role"] == "held-out"
    assert row(table, "open share of releases, US 2024")["role"] == "calibration"
    # P1 criteria: CN - US per year and its change 2023 to 2025, against the empirical difference's 90% interval
    # (the Wilson intervals' standard errors, 0.2 / 3.29 each, added in quadrature)
    d23 = row(table, "CN minus US open share, 2023")
    h = val.Z90 * math.sqrt(2) * 0.2 / (2 * val.Z90)
    assert d23["emp_lo"] == pytest.approx(0.2 - h) and d23["emp_hi"] == pytest.approx(0.2 + h)
    assert not d23["passed"]  # -0.05 vs [0.06, 0.34]
    assert row(table, "CN minus US open share, 2024")["passed"]  # +0.25 vs 0.2 +/- 0.14
    assert not row(table, "CN minus US open share, 2025")["passed"]  # +0.35 vs 0.6 +/- 0.14 (was a pass: > 0)
    w = row(table, "CN-US gap widening, 2023 to 2025")
    assert w["passed"] and w["sim_mean"] == pytest.approx(0.4) and w["empirical"] == pytest.approx(0.6 - 0.2)
    # P2 level: the yearly mean inside the simulated interval (+/- 0.45 months); criterion: overlap with 5-22
    assert row(table, "open-closed training-compute lag, 2022 mean (months)")["passed"]  # 20 vs 20
    assert not row(table, "open-closed training-compute lag, 2023 mean (months)")["passed"]  # 30 vs 18
    assert not row(table, "open-closed training-compute lag, 2024 mean (months)")["passed"]  # 14 vs 12 (a pass within 6 months before)
    crit = row(table, "open-closed training-compute lag, 2023-2024 mean (months)")
    assert crit["kind"] == "criterion" and crit["sim_median"] == pytest.approx(22.0) and crit["passed"]
    # P3: band = envelope of Epoch 4-5x and the CI 4.1-4.9 -> [4.0, 5.0]
    assert t.growth_band == (4.0, 5.0)
    assert not row(table, "frontier training compute growth 2022-2023 (x/yr)")["passed"]
    assert row(table, "frontier training compute growth 2022-2024 (x/yr)")["passed"]
    last = row(table, "frontier training compute growth 2022-2025 (x/yr)")
    assert last["kind"] == "criterion" and not last["passed"]  # 6.0 > 5.0
    v = val.verdicts(table).set_index("pattern")
    assert not v.loc["P1", "passed"] and v.loc["P1", "criteria_passed"] == 2 and v.loc["P1", "criteria"] == 4
    # P2's criterion passes but two of its levels fail: the pattern fails (every row must pass)
    assert not v.loc["P2", "passed"] and v.loc["P2", "criteria_passed"] == 1 and v.loc["P2", "levels_passed"] == 2
    assert not v.loc["P3", "passed"]
    md = val.to_markdown(table, val.verdicts(table), t)
    assert "| P2 | FAIL |" in md and "## Verdict rule" in md and val.VERDICT_RULE in md
    exact = val.compare(exact_stats(t), t)
    assert exact["passed"].all() and val.verdicts(exact)["passed"].all()


def test_missing_values_are_not_passes():
    t = hand_targets()
    p1 = {("CN", 2023): math.nan, ("US", 2023): 0.4, ("CN", 2024): 0.5, ("US", 2024): 0.3}
    table = val.compare(stats_from(p1, {2023: math.nan, 2024: 12.0}, {2024: math.nan}), t)
    assert pd.isna(row(table, "open share of releases, CN 2023")["passed"])
    assert pd.isna(row(table, "CN minus US open share, 2023")["passed"])
    assert pd.isna(row(table, "open-closed training-compute lag, 2023 mean (months)")["passed"])
    assert pd.isna(row(table, "frontier training compute growth 2022-2024 (x/yr)")["passed"])
    v = val.verdicts(table).set_index("pattern")
    assert not v.loc["P1", "passed"] and not v.loc["P3", "passed"]


def test_committed_targets_load_with_both_p1_definitions():
    t = val.load_targets(TARGETS)
    cn23 = t.share("CN", 2023)
    assert cn23["share"] == pytest.approx(0.583333, abs=1e-5)  # 14 / (17 + 7)
    assert cn23["lo"] < cn23["share"] < cn23["hi"] and cn23["share_alt"] == pytest.approx(0.823529, abs=1e-5)
    assert t.growth_band == pytest.approx((4.0, 5.48324), abs=1e-4)
    assert t.headline_growth["method"] == "running_top5"
    assert t.lag_mean(2024) == pytest.approx(11.6906, abs=1e-3)
    k = val.load_targets(TARGETS, "known_only")
    assert k.share("US", 2025)["share"] == pytest.approx(0.203704, abs=1e-5)
    with pytest.raises(val.ValidationInputError, match="p1_definition"):
        val.load_targets(TARGETS, "other")


def test_bad_target_tables_name_the_file_and_column(tmp_path):
    with pytest.raises(val.ValidationInputError, match="not found"):
        val.load_targets(tmp_path / "nope")
    for f in TARGETS.glob("*.csv"):
        (tmp_path / f.name).write_text(f.read_text())
    lag = tmp_path / "open_closed_lag_by_year.csv"
    lag.write_text("year,lag_months\n2023,5\n")
    with pytest.raises(val.ValidationInputError, match=r"open_closed_lag_by_year.csv: missing column\(s\) lag_months_mean"):
        val.load_targets(tmp_path)


# ------------------------------------------------------------------------------------------------
# simulated statistics on a short run


@pytest.fixture(scope="module")
def short_result():
    sc = with_values(load_scenario(BASELINE), {"developers.n": 300, "months": 48})
    return val.validate(sc, replications=2)


def test_validation_produces_every_pattern_row(short_result):
    table = short_result.table
    for reg in ("CN", "US"):
        for y in (2022, 2023, 2024, 2025):
            assert f"open share of releases, {reg} {y}" in set(table["item"])
    items = set(table["item"])
    assert {f"CN minus US open share, {y}" for y in (2023, 2024, 2025)} <= items
    assert "CN-US gap widening, 2023 to 2025" in items
    assert {f"open-closed training-compute lag, {y} mean (months)" for y in (2022, 2023, 2024, 2025)} <= items
    assert "open-closed training-compute lag, 2023-2024 mean (months)" in items
    assert {f"frontier training compute growth 2022-{y} (x/yr)" for y in (2023, 2024, 2025)} <= items
    assert set(table["pattern"]) == {"P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"}
    assert {f"best open-weight model is Chinese, share of months, {y}" for y in (2024, 2025)} <= items
    assert {f"US-China gap on ECI, yearly mean of month ends (months), {y}" for y in (2024, 2025)} <= items
    assert (table[table["pattern"] != "P8"]["n_reps"] == 2).all()
    assert (table[table["pattern"] == "P8"]["n_reps"] <= 2).all()  # a lab may not release in a year of a run
    assert list(short_result.verdicts["pattern"]) == ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"]
    st = short_result.stats
    assert set(st["replication"]) == {0, 1}
    p1 = st[st["pattern"] == "P1"]
    assert p1["value"].between(0, 1).all() and (p1["n"] > 0).all()
    assert (st[st["pattern"] == "P3"]["value"] > 0).all()


def test_expected_statistic_matches_realised_in_expectation(short_result):
    reps = short_result.replications
    exp = val.simulated_statistics(reps.timeseries, reps.releases, statistic="expected")
    p1 = exp[exp["pattern"] == "P1"]
    assert p1["value"].between(0, 1).all()
    both = p1.merge(short_result.stats[short_result.stats["pattern"] == "P1"], on=["region", "year", "replication"])
    assert abs(both["value_x"].mean() - both["value_y"].mean()) < 0.3
    with pytest.raises(val.ValidationInputError):
        val.simulated_statistics(reps.timeseries, reps.releases, statistic="median")


def test_frontier_growth_recovers_a_known_rate():
    dates = [f"{2022 + m // 12}-{m % 12 + 1:02d}" for m in range(48)]
    ts = pd.DataFrame({"date": dates, "frontier_train_flop": 24 + np.log10(3.0) * np.arange(48) / 12})
    assert val.frontier_growth(ts, 2024) == pytest.approx(3.0, rel=1e-6)


# ------------------------------------------------------------------------------------------------
# calibration distance and spec


def test_distance_is_zero_at_the_targets_and_positive_otherwise():
    t = val.load_targets(TARGETS)
    st = exact_stats(t)
    d, parts = distance(st, t)
    assert d == pytest.approx(0.0, abs=1e-12) and all(v == pytest.approx(0.0, abs=1e-12) for v in parts.values())
    for pattern, delta in (("P1", 0.05), ("P2", 3.0), ("P3", 0.5)):
        moved = st.copy()
        m = moved["pattern"] == pattern
        moved.loc[m, "value"] = moved.loc[m, "value"] + delta
        d2, parts2 = distance(moved, t)
        assert d2 > 0 and parts2[pattern] > 0
        assert all(parts2[k] == pytest.approx(0.0, abs=1e-12) for k in parts2 if k != pattern)
    # the known scale: P1 off by one share_scale everywhere -> P1 term = 1 (mean of z^2)
    moved = st.copy()
    moved.loc[moved["pattern"] == "P1", "value"] += 0.10
    assert distance(moved, t)[1]["P1"] == pytest.approx(1.0)
    # weights and the held-out year are respected
    s = DistanceSettings(weights={"P1": 0.0, "P2": 1.0, "P3": 1.0})
    assert distance(moved, t, settings=s)[0] == pytest.approx(0.0, abs=1e-12)
    only_2025 = st.copy()
    only_2025.loc[(only_2025["pattern"] == "P2") & (only_2025["year"] == 2025), "value"] += 30
    assert distance(only_2025, t)[0] == pytest.approx(0.0, abs=1e-12)
    assert distance(only_2025, t, years=(2025,))[0] > 0


def test_committed_spec_loads_and_its_fitted_tables_write_whole_region_dicts():
    spec = load_spec(ROOT / "experiments" / "calibration.toml")
    assert 1 <= len(spec.parameters) <= 6 and all(p.why for p in spec.parameters)
    assert spec.calibration_years == (2022, 2023, 2024) and spec.heldout_years == (2025,)
    base = load_scenario(BASELINE)
    tables = fitted_tables(base, {"labs.beta": 3.0, "developers.foreign_distrust.US": 0.5})
    assert tables["labs"] == {"beta": 3.0}
    assert set(tables["developers.foreign_distrust"]) == {"US", "CN", "EU", "ROW"}


TINY_SPEC = """
scenario = "{scenario}"
output = "{out}/calibrated.toml"
out_dir = "{out}/report"
targets = "{targets}"
months = 48
replications = 1
developers_n = 200
check_replications = 1
check_developers_n = 200

[optimizer]
method = "differential_evolution"
maxiter = 1
popsize = 1
seed = 1
workers = 1

[[parameters]]
path = "labs.spill_coef"
bounds = [0.2, 1.5]
why = "test"

[[parameters]]
path = "developers.foreign_distrust.US"
bounds = [0.2, 1.5]
why = "test"
"""


def write_spec(tmp_path, text: str = TINY_SPEC, **fmt) -> str:
    values = {"scenario": BASELINE, "out": tmp_path, "targets": TARGETS, **fmt}
    p = tmp_path / "spec.toml"
    p.write_text(textwrap.dedent(text).format(**values))
    return str(p)


@pytest.mark.slow
def test_calibrate_command_writes_a_scenario_that_loads(tmp_path):
    res = invoke("calibrate", write_spec(tmp_path), "--no-figures")
    assert res.exit_code == 0, res.output
    out = tmp_path / "calibrated.toml"
    text = out.read_text()
    assert text.startswith("# Calibrated parameters") and "Epoch AI" in text and "Distance" in text
    sc = load_scenario(out)
    assert 0.2 <= sc.labs.spill_coef <= 1.5 and 0.2 <= sc.developers.foreign_distrust["US"] <= 1.5
    assert sc.developers.foreign_distrust["CN"] == load_scenario(BASELINE).developers.foreign_distrust["CN"]
    # a child that extends it (as the baseline does) inherits the fitted values and keeps its own settings
    child = tmp_path / "child.toml"
    child.write_text('extends = "calibrated.toml"\nname = "child"\n[labs]\nbeta = 7.0\n')
    c = load_scenario(child)
    assert c.name == "child" and c.labs.beta == 7.0 and c.labs.spill_coef == sc.labs.spill_coef
    report = tmp_path / "report"
    for name in ("fit.md", "fit_parameters.csv", "fit_history.csv", "check_table.csv", "diagnostics.csv",
                 "manifest.json"):
        assert (report / name).is_file(), name
    hist = pd.read_csv(report / "fit_history.csv")
    assert len(hist) >= 2 and (hist["distance"] >= 0).all()
    assert "Held-out 2025" in (report / "fit.md").read_text()


@pytest.mark.parametrize(("edit", "message"), [
    (lambda s: s.replace('path = "labs.spill_coef"', 'path = "labs.spil_coef"'), "did you mean 'labs.spill_coef'"),
    (lambda s: s.replace("bounds = [0.2, 1.5]", "bounds = [0.2, 9.0]"), "valid range"),
    (lambda s: s.replace("months = 48", "months = 48\nmonhts = 3"), "unknown key(s) monhts"),
    (lambda s: s.replace('method = "differential_evolution"', 'method = "anneal"'), "method"),
    (lambda s: s.replace("replications = 1", "replications = 0"), "must be >= 1"),
])
def test_bad_calibration_spec_exits_2(tmp_path, edit, message):
    res = invoke("calibrate", write_spec(tmp_path, edit(TINY_SPEC)))
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output
    with pytest.raises(CalibrationError):
        load_spec(write_spec(tmp_path, edit(TINY_SPEC)))


def test_calibrate_missing_spec_or_scenario_exits_2(tmp_path):
    res = invoke("calibrate", tmp_path / "missing.toml")
    assert res.exit_code == 2 and "not found" in res.output
    res = invoke("calibrate", write_spec(tmp_path, scenario=tmp_path / "nope.toml"))
    assert res.exit_code == 2 and "scenario file not found" in res.output


# ------------------------------------------------------------------------------------------------
# aieco validate


def test_a_projection_scenario_has_no_held_out_rows(tmp_path):
    """A scenario that uses inputs dated after 2024-12 (``projection = true``) is validated with its 2025 rows
    labelled in sample, never held out; the baseline keeps them held out."""
    out = tmp_path / "p"
    res = invoke("validate", BASELINE.parent / "projection_2025.toml", "-r", 1, "--set", "developers.n=200",
                 "--set", "months=48", "--out", out, "--no-figures")
    assert res.exit_code == 0, res.output
    roles = set(pd.read_csv(out / "validation.csv")["role"])
    assert "held-out" not in roles and {"calibration", "in-sample (projection)"} <= roles


@pytest.mark.slow
def test_validate_command_writes_table_report_and_figures(tmp_path):
    out = tmp_path / "v"
    res = invoke("validate", BASELINE, "-r", 2, "--set", "developers.n=200", "--set", "months=48", "--out", out,
                 "--format", "png")
    assert res.exit_code == 0, res.output
    assert "P1" in res.stdout and "verdict rule (strict)" in res.stdout and "verdict:" in res.stdout
    table = pd.read_csv(out / "validation.csv")
    assert list(table.columns) == list(val.TABLE_COLUMNS) and set(table["pattern"]) == {"P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"}
    md = (out / "validation.md").read_text()
    assert "## Verdict" in md and "held-out" in md
    assert (out / "manifest.json").is_file() and (out / "validation_replications.csv").is_file()
    for p in ("p1", "p2", "p3"):
        assert (out / "figures" / f"validation_{p}_double.png").is_file()
        assert (out / "figures" / f"validation_{p}_double.json").is_file()
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert set(ts["replication"]) == {0, 1} and len(ts) == 2 * 48
    # `aieco figures` redraws all three patterns from the folder
    res = invoke("figures", out, "--width", "single", "--format", "png", "--out", tmp_path / "again")
    assert res.exit_code == 0, res.output
    assert {f"validation_{p}_single.png" for p in ("p1", "p2", "p3")} <= {f.name for f in (tmp_path / "again").iterdir()}


@pytest.mark.parametrize("args", [
    ("validate", "missing.toml"),
    ("validate", BASELINE, "--set", "labs.beta=-3"),
    ("validate", BASELINE, "--targets", "no/such/folder"),
    ("validate", BASELINE, "--format", "gif"),
    ("validate", BASELINE, "--set", "start=2030-01", "--set", "months=12", "--set", "events=[]"),
])
def test_validate_bad_input_exits_2(args):
    res = invoke(*args, "-r", 1, "--set", "developers.n=100")
    assert res.exit_code == 2, res.output
    assert "error" in res.output and "Traceback" not in res.output


def test_eci_patterns_strict_rule_and_lab_matches():
    """P5-P8 (sim.analysis.validation_eci): a level passes only when the empirical value lies inside the simulated 5-95%
    interval; a lab-year matches when the simulated open share is > 0.5 exactly when the flagship was open."""
    from sim.analysis.validation_eci import compare_eci, eci_verdicts

    reps = np.arange(20)
    stats = pd.concat([
        pd.DataFrame({"pattern": "P5", "region": "", "year": 2024, "replication": reps, "value": np.linspace(0.2, 0.6, 20),
                      "n": 12}),
        pd.DataFrame({"pattern": "P5", "region": "", "year": 2025, "replication": reps, "value": 0.3, "n": 12}),
        pd.DataFrame({"pattern": "P8", "region": "LabO", "year": 2024, "replication": reps, "value": 0.9, "n": 1}),
        pd.DataFrame({"pattern": "P8", "region": "LabC", "year": 2024, "replication": reps, "value": 0.8, "n": 1}),
    ])
    patterns = pd.DataFrame({"year": [2024, 2025], "best_open_cn_share": [0.42, 1.0], "open_closed_lag_mean": [9.0, 5.0],
                             "us_cn_lag_mean": [11.3, 5.0]})
    flag = pd.DataFrame({"lab": ["LabO", "LabC"], "year": [2024, 2024], "flagship": ["o", "c"], "source": "eci",
                         "accessibility": ["OPEN", "CLOSED"]})
    t = compare_eci(stats, patterns, flag)
    p5 = t[t.pattern == "P5"].set_index("year")["passed"]
    assert bool(p5[2024]) and not bool(p5[2025])  # 0.42 inside [0.22, 0.58]; 1.0 far outside 0.3
    assert t[t.pattern == "P6"]["passed"].isna().all()  # nothing simulated: no verdict, not a pass
    p8 = t[(t.pattern == "P8") & (t.kind == "level")].set_index("region")["passed"]
    assert bool(p8["LabO"]) and not bool(p8["LabC"])
    crit = t[(t.pattern == "P8") & (t.kind == "criterion")].iloc[0]
    assert crit.sim_mean == 0.5 and not bool(crit.passed)
    v = eci_verdicts(t).set_index("pattern")
    assert not v.loc["P5", "passed"] and not v.loc["P8", "passed"]


# ------------------------------------------------------------------------------------------------
# P4: non-Chinese developers on Chinese open models, rising through 2024-2025 (direction only)


def _p4_series(values_by_rep: dict[int, np.ndarray], start: str = "2022-01") -> pd.DataFrame:
    y0, m0 = int(start[:4]), int(start[5:7])
    frames = []
    for r, v in values_by_rep.items():
        k = np.arange(len(v)) + y0 * 12 + m0 - 1
        dates = [f"{x // 12:04d}-{x % 12 + 1:02d}" for x in k]
        frames.append(pd.DataFrame({"replication": r, "date": dates, "noncn_on_cn_open": v}))
    return pd.concat(frames, ignore_index=True)


def test_p4_statistics_and_verdict():
    from sim.analysis.validation_p4 import compare_p4, p4_statistics

    months = np.arange(48)
    rising = _p4_series({r: 0.01 * months + 0.001 * r for r in range(5)})
    st = p4_statistics(rising)
    assert set(st["region"]) == {"rise", "slope", "slope_2024"}
    assert st.loc[st["region"] == "rise", "value"].to_numpy() == pytest.approx(0.01 * 18)  # 2025H2 - 2024H1
    assert st.loc[st["region"] == "slope", "value"].to_numpy() == pytest.approx(0.12)  # per year
    table = compare_p4(st)
    assert list(table.columns) == list(val.TABLE_COLUMNS)
    assert table["passed"].all()
    assert set(table["role"]) == {"calibration", "held-out"}
    v = val.verdicts(table)
    assert v.set_index("pattern").loc["P4", "passed"]
    falling = compare_p4(p4_statistics(_p4_series({r: 0.5 - 0.01 * months for r in range(5)})))
    assert not falling["passed"].any() and not val.verdicts(falling).set_index("pattern").loc["P4", "passed"]
    flat = compare_p4(p4_statistics(_p4_series({r: np.full(48, 0.2) for r in range(5)})))
    assert not val.verdicts(flat).set_index("pattern").loc["P4", "passed"]
    short = compare_p4(p4_statistics(_p4_series({0: 0.01 * np.arange(36)})))  # ends 2024-12: 2025 not computable
    assert short.set_index("item")["passed"].isna().sum() == 2
    assert not val.verdicts(short).set_index("pattern").loc["P4", "passed"]


def test_validate_reports_p4():
    from conftest import small

    res = val.validate(small(None, months=48), replications=2, base_seed=3)
    assert "P4" in set(res.table["pattern"]) and "P4" in set(res.verdicts["pattern"])
    assert res.table[res.table["pattern"] == "P4"]["n_reps"].eq(2).all()
    assert "P4" in val.tolerance_text(res.targets)
