"""Properties of EcosystemModel: determinism, invariants over random parameters, and DESIGN.md §4 mechanisms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import small
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import REGIONS
from sim.capability import lag_months, release_capability
from sim.market import accessibility, p_open
from sim.model import EcosystemModel
from sim.runs import run_one, run_replications, seed_for, write_run

SEEDS = [seed_for(7, k) for k in range(6)]


def test_same_seed_identical_parquet(small_scenario, tmp_path):
    a = write_run(tmp_path / "a", run_replications(small_scenario, 2, base_seed=11))
    b = write_run(tmp_path / "b", run_replications(small_scenario, 2, base_seed=11))
    for name in ("timeseries", "labs", "releases", "summary"):
        pd.testing.assert_frame_equal(pd.read_parquet(a / f"{name}.parquet"), pd.read_parquet(b / f"{name}.parquet"))
    assert (a / "timeseries.parquet").read_bytes() == (b / "timeseries.parquet").read_bytes()


def test_different_seeds_differ(small_scenario):
    a = run_one(small_scenario, 1)
    b = run_one(small_scenario, 2)
    assert not a.timeseries["noncn_on_cn_open"].equals(b.timeseries["noncn_on_cn_open"])
    assert not a.releases[["lab", "month"]].equals(b.releases[["lab", "month"]])


def test_replication_seed_does_not_depend_on_count(small_scenario):
    r3 = run_replications(small_scenario, 3, base_seed=5)
    r1 = run_replications(small_scenario, 1, base_seed=5)
    assert r3.seeds[0] == r1.seeds[0]
    pd.testing.assert_frame_equal(r3.summary.iloc[[0]].reset_index(drop=True), r1.summary)


def test_both_generators_seeded(small_scenario):
    m1, m2 = EcosystemModel(small_scenario, seed=3), EcosystemModel(small_scenario, seed=3)
    assert m1.random.random() == m2.random.random()
    assert m1.rng.random() == m2.rng.random()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(beta=st.floats(0, 20), distill_gap=st.floats(0, 3), open_capture=st.floats(0, 1),
       w_open=st.floats(-2, 2), review=st.floats(0, 1), theta=st.floats(0, 1), leak=st.floats(0, 1),
       block=st.booleans(), ban=st.booleans(), subsidy=st.floats(0, 0.9), seed=st.integers(0, 2**32))
def test_invariants_over_random_parameters(small_scenario, beta, distill_gap, open_capture, w_open, review, theta,
                                           leak, block, ban, subsidy, seed):
    sc = small(small_scenario, **{
        "months": 36, "developers.n": 400, "labs.beta": beta, "labs.distill_gap": distill_gap,
        "labs.open_capture": open_capture, "developers.w_open_mean": w_open, "developers.review_rate": review,
        "governments.US.export_control.CN": theta, "governments.US.leakage": leak,
        "governments.US.api_block": ["CN", "ROW"] if block else [], "governments.CN.ban_foreign_closed": ban,
        "governments.CN.subsidy_rate": subsidy})
    m = EcosystemModel(sc, seed=seed).run()
    ts, panel = m.timeseries(), m.lab_panel()
    adopt = ts[[f"adopt_{r}_{s}" for r in REGIONS for s in ("open", "closed")] + ["adopt_none"]].sum(axis=1)
    np.testing.assert_allclose(adopt, 1.0, atol=1e-9)
    by_region = m.dev.adopters_by_region(m.n_labs).sum(axis=1)
    np.testing.assert_array_equal(by_region, m.dev.region_counts)  # each region's shares sum to 1
    assert (m.dev.chosen >= 0).all()  # everyone has a model here (labs in all regions from the start)
    access = m._access(np.arange(m.dev.n))
    assert access[np.arange(m.dev.n), m.dev.chosen].all(), "every developer uses a model it may access"
    assert np.isfinite(panel["compute"]).all() and (panel["compute"] > 0).all()
    cap = panel.pivot(index="month", columns="lab", values="capability")
    assert (cap.diff().iloc[1:].fillna(0) >= -1e-12).all().all(), "a lab's capability never falls"


def _cn_late(r):
    rel = r.releases[(r.releases.region == "CN") & (r.releases.month >= 48)]
    return r.timeseries["compute_CN"].iloc[-1], rel.p_open.mean(), (rel.strategy == "OPEN").mean()


def test_stricter_controls_cut_chinese_compute_and_raise_open_share(small_scenario):
    sc = small(small_scenario, months=108)
    loose = small(sc, **{"governments.US.export_control.CN": 0.0})
    strict = small(sc, **{"governments.US.export_control.CN": 0.95, "governments.US.leakage": 0.05})
    a = np.array([_cn_late(run_one(loose, s)) for s in SEEDS])
    b = np.array([_cn_late(run_one(strict, s)) for s in SEEDS])
    assert (b[:, 0] < 0.6 * a[:, 0]).all(), (a[:, 0], b[:, 0])  # less compute in every paired seed
    assert (b[:, 1] > a[:, 1]).all(), (a[:, 1], b[:, 1])  # higher P(open) of Chinese releases, every seed
    assert b[:, 1].mean() > a[:, 1].mean() + 0.05
    assert b[:, 2].mean() > a[:, 2].mean()  # and a higher realised open share on average


def test_api_block_moves_blocked_developers():
    # Chinese developers may use US closed APIs until the US blocks them in month 12
    sc = small(None, **{"governments.CN.ban_foreign_closed": False, "months": 24, "developers.review_rate": 0.2})
    sc = small(sc, events=[{"month": "2023-01", "government": "US", "field": "api_block", "value": ["CN"]}])
    for seed in SEEDS[:3]:
        m = EcosystemModel(sc, seed=seed)
        us_closed_cn_devs = []
        for _ in range(sc.months):
            m.step()
            on = m.dev.chosen[m.dev.region == REGIONS.index("CN")]
            lab_us_closed = (m.labs_state.region == 0) & ~m.labs_state.open
            us_closed_cn_devs.append(lab_us_closed[on].mean())
        assert max(us_closed_cn_devs[:12]) > 0.05  # they used US closed models before
        assert us_closed_cn_devs[11] > 0.0  # ... and still in 2022-12 (not before the event)
        assert all(x == 0.0 for x in us_closed_cn_devs[12:])  # from the event's month on, none do


def test_open_release_raises_rivals_floor():
    assert release_capability(24.0, 1e20, 1.0, 26.0 - 0.5) == pytest.approx(25.5)
    assert release_capability(27.0, 1e20, 1.0, 25.5) == 27.0  # never falls
    # in the model: a tiny lab releasing after a strong open model jumps to the floor
    sc = small(None, **{"labs.distill_gap": 0.3, "months": 13})
    m = EcosystemModel(sc, seed=1)
    s = m.labs_state
    big = int(np.argmax(s.capability))
    s.open[big] = True
    tiny = int(np.argmin(s.capability))
    s.phase[tiny] = 12
    s.phase[big] = 5
    before = s.capability[tiny]
    m.run()
    rel = m.release_log()
    tiny_name = m.lab_agents[tiny].name
    r = rel[(rel.lab == tiny_name) & (rel.month == 12)].iloc[0]
    others_open_best = rel[(rel.month <= 12) & (rel.strategy == "OPEN") & (rel.lab != tiny_name)].capability.max()
    assert r.capability >= min(others_open_best, s.capability[big]) - 0.3 - 1e-9
    assert r.capability > before + 0.5


def test_leader_with_wide_lead_stays_closed():
    assert p_open(pi_open=-1.0, pi_closed=10.0, beta=4.0, bias=0.0) < 0.05
    sc = small(None, **{"labs.open_bias_scale": 0.0})
    leader_open, follower_open = [], []
    for seed in SEEDS:
        m = EcosystemModel(sc, seed=seed)
        m.labs_state.capability[0] += 1.5  # US-Leader-A: 1.5 OOM ahead of everyone
        m.labs_state.compute[0] *= 30
        m.run()
        rel = m.release_log()
        leader_open.append((rel[rel.lab == "US-Leader-A"].strategy == "OPEN").mean())
        follower_open.append((rel[rel.lab != "US-Leader-A"].strategy == "OPEN").mean())
    assert np.mean(leader_open) < 0.1, leader_open
    assert np.mean(follower_open) > np.mean(leader_open) + 0.2


def test_accessibility_rules():
    dev_region = np.array([0, 1, 2, 3])
    lab_region = np.array([0, 1, 0])
    lab_open = np.array([False, False, True])
    block = np.zeros((4, 4), bool)
    block[0, 1] = True  # US labs do not serve China
    ban = np.array([False, False, True, False])  # Europe bans foreign closed APIs
    acc = accessibility(dev_region, lab_region, lab_open, block, ban)
    assert acc.tolist() == [[True, True, True], [False, True, True], [False, False, True], [True, True, True]]


def test_lag_months_interpolates_and_extrapolates():
    hist = np.array([24.0, 24.5, 25.0, 25.5])
    assert lag_months(hist, 25.0, 3, 0.1) == pytest.approx(1.0)
    assert lag_months(hist, 24.25, 3, 0.1) == pytest.approx(2.5)
    assert lag_months(hist, 23.0, 3, 0.1) == pytest.approx(3 + 10.0)
    assert lag_months(hist, 26.0, 3, 0.1) == 0.0


def test_policy_event_takes_effect_in_its_month_not_before(small_scenario):
    sc = small(small_scenario, events=[{"month": "2023-04", "government": "US", "field": "export_control.CN",
                                        "value": 0.7}])
    ts = run_one(sc, 1).timeseries
    assert (ts.loc[ts.date < "2023-04", "export_control_US_CN"] == 0.0).all()
    assert (ts.loc[ts.date >= "2023-04", "export_control_US_CN"] == 0.7).all()


def test_entrant_appears_in_its_month_and_starts_at_least_at_the_floor(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,region,training_compute_flop,strategy,open_bias,entry\n"
                      "Open-Leader,US,1e24,OPEN,12.0,\nCN-Entrant,CN,1e21,CLOSED,0.0,2023-07\n"
                      "Closed-Lab,EU,5e23,CLOSED,-12.0,\n")
    sc = small(None, roster=str(roster), months=30, **{"labs.distill_gap": 0.4})
    m = EcosystemModel(sc, seed=3).run()
    panel, rel = m.lab_panel(), m.release_log()
    first = panel[panel.lab == "CN-Entrant"].date.min()
    assert first == "2023-07"
    r0 = rel[rel.lab == "CN-Entrant"].iloc[0]
    assert r0.date == "2023-07"
    leader = panel[(panel.lab == "Open-Leader") & (panel.date == "2023-07")].iloc[0]
    assert leader.strategy == "OPEN"
    assert r0.capability >= leader.capability - 0.4 - 1e-9 and r0.capability > np.log10(1e21) + 2
    ts = m.timeseries()
    assert ts.loc[ts.date < "2023-07", "open_share_CN"].isna().all()  # no Chinese lab before entry


def test_compliant_export_ban_cuts_alternative_supply():
    from sim.compute import alt_supply_cap, effective_control

    ec = np.zeros((4, 4))
    ec[0, 1] = 0.9
    theta, leak, allowed = effective_control(ec, np.array([0.1, 0.2, 0.2, 0.2]), np.where(ec > 0, 0.0, 1.0))
    assert theta.tolist() == [0.0, 0.9, 0.0, 0.0] and leak[1] == 0.1 and allowed.tolist() == [1, 0, 1, 1]
    cap = alt_supply_cap(12, np.full(4, 100.0), 2.0, np.array([0.0, 0.6, 0.0, 0.0]), allowed)
    np.testing.assert_allclose(cap, [200.0, 80.0, 200.0, 200.0])
    sc = small(None, months=48, **{"governments.US.export_control.CN": 1.0, "governments.US.leakage": 0.0,
                                   "compute.alt_supply_h100e.CN": 0.5, "compute.depreciation_months": 6.0})
    banned = small(sc, **{"governments.US.compliant_exports.CN": 0.0})
    for seed in SEEDS[:3]:
        a = run_one(sc, seed).timeseries["compute_CN"].iloc[-1]
        b = run_one(banned, seed).timeseries["compute_CN"].iloc[-1]
        assert b < 0.6 * a, (a, b)  # the compliant half of the supply is gone


def test_roster_cache_sees_edits_and_returns_copies(tmp_path):
    """load_roster caches the parsed file per process, but an edited file is read again, a bad edit is
    still reported, and a caller changing its table does not change the next caller's."""
    import os

    from sim.labs import RosterError, load_roster

    f = tmp_path / "roster.csv"
    f.write_text("name,region,training_compute_flop,strategy,open_bias\nA,US,1e23,OPEN,0\n")
    first = load_roster(f)
    first.loc[0, "open_bias"] = 99.0
    assert load_roster(f).loc[0, "open_bias"] == 0.0
    f.write_text("name,region,training_compute_flop,strategy,open_bias\nA,US,1e23,OPEN,0\nB,CN,2e23,CLOSED,1\n")
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 1_000_000))  # coarse clocks: force a new mtime
    assert list(load_roster(f)["name"]) == ["A", "B"]
    f.write_text("name,region,training_compute_flop,strategy,open_bias\nA,MARS,1e23,OPEN,0\n")
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 2_000_000))
    with pytest.raises(RosterError, match="row 1, column region"):
        load_roster(f)
