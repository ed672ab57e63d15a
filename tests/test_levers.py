"""Issue 15's policy levers, each tested by paired runs (same seeds): a ban on foreign open-weight models (all
developers, or one segment), an API block that also closes the distillation channel, and controls on exporting
closed model weights. Each lever changes nothing before its event month and acts from that month on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, small

from sim import REGIONS
from sim.analysis.compare import run_comparison
from sim.model.ecosystem import EcosystemModel
from sim.scenario.schema import SEGMENTS, load_scenario, month_index

SCEN = ROOT / "scenarios"
US, CN, ROW = (REGIONS.index(r) for r in ("US", "CN", "ROW"))
QUICK = {"developers.n": 1500, "developers.payoff_sample": 200}


def _cut(path, months: int, **values):
    sc = load_scenario(path, [f"months={months}"])
    return small(sc, **{**QUICK, **values})


def _identical_before(comp, month: int) -> None:
    ts = comp.timeseries
    a, b = (ts[ts["scenario"] == n].drop(columns="scenario").set_index(["replication", "month"])
            for n in comp.names[:2])
    before = a.index.get_level_values("month") < month
    pd.testing.assert_frame_equal(a[before], b[before])


def test_us_ban_on_chinese_open_models_loses_us_developers_from_the_event_month():
    base, ban = _cut(SCEN / "baseline.toml", 48), _cut(SCEN / "us_ban_cn_open.toml", 48)
    event = month_index(base.start, "2025-07")
    comp = run_comparison([base, ban], replications=2, base_seed=3)
    _identical_before(comp, event)
    ts = comp.timeseries
    b = ts[ts["scenario"] == "us_ban_cn_open"]
    assert (b.loc[b["month"] < event, "us_on_cn_open"] > 0).any()  # US developers used them before
    assert (b.loc[b["month"] >= event, "us_on_cn_open"] == 0).all()  # and none from the event month on
    assert (b.loc[b["month"] >= event, "noncn_on_cn_open"] > 0).all()  # developers elsewhere still do


def test_ban_also_stops_the_regions_labs_distilling_the_banned_models():
    sc = _cut(SCEN / "us_ban_cn_open.toml", 60, **{"labs.distill_delay_months": 1})
    event = month_index(sc.start, "2025-07")
    m = EcosystemModel(sc, seed=4).run()
    assert m.lab_open_ban[US, CN] and not m.lab_open_ban[CN, US]
    panel = m.lab_panel()
    rel = m.release_log()
    us_after = rel[(rel["region"] == "US") & (rel["month"] > event) & (rel["teacher"] != "")]
    for r in us_after.itertuples():  # a teacher from China was closed (API) when it was learnt from
        row = panel[(panel["lab"] == r.teacher) & (panel["month"] == r.month - 1)]
        assert row.empty or row["region"].iloc[0] != "CN" or row["strategy"].iloc[0] == "CLOSED"


def test_public_sector_ban_covers_that_segment_only():
    """Only US public-sector developers lose Chinese open models; US labs may still distil them."""
    sc = _cut(SCEN / "us_public_ban_cn_open.toml", 48, **{"developers.foreign_distrust.CN": 0.0})
    event = month_index(sc.start, "2025-02")
    m = EcosystemModel(sc, seed=5)
    d = m.dev
    pub = (d.region == US) & (d.segment == SEGMENTS.index("public"))
    rest = (d.region == US) & ~pub
    before, after_rest = [], []
    for t in range(sc.months):
        m.step()
        cn_open = (m.labs_state.region == CN) & m.labs_state.open & m.labs_state.active
        on = (d.chosen >= 0) & cn_open[np.maximum(d.chosen, 0)]
        if t < event:
            before.append(on[pub].sum())
        else:
            assert on[pub].sum() == 0, f"public-sector developers on Chinese open models in month {t}"
            after_rest.append(on[rest].sum())
    assert sum(before) > 0 and min(after_rest) > 0
    assert not m.lab_open_ban[US, CN]  # the ban does not cover enterprises: labs may distil


def test_api_block_also_blocks_distillation_through_the_api():
    """baseline (US labs block China's API access from 2024-07) vs no_us_api_block: no Chinese release learns from
    a US closed model after the block; without it some do."""
    over = {"labs.api_distill_efficiency": 1.0, "labs.distill_delay_months": 1}
    base, open_api = _cut(SCEN / "baseline.toml", 54, **over), _cut(SCEN / "no_us_api_block.toml", 54, **over)
    block = month_index(base.start, "2024-07")
    counts = {}
    for name, sc in (("baseline", base), ("no_block", open_api)):
        n = 0
        for seed in (1, 2):
            m = EcosystemModel(sc, seed=seed).run()
            panel, rel = m.lab_panel(), m.release_log()
            cn = rel[(rel["region"] == "CN") & (rel["month"] >= block) & (rel["teacher"] != "")]
            for r in cn.itertuples():
                row = panel[(panel["lab"] == r.teacher) & (panel["month"] == r.month - 1)]
                n += int(not row.empty and row["region"].iloc[0] == "US" and row["strategy"].iloc[0] == "CLOSED")
        counts[name] = n
    assert counts["baseline"] == 0 and counts["no_block"] > 0, counts
    comp = run_comparison([base, open_api], replications=1, base_seed=1)
    _identical_before(comp, block)


def test_weight_export_controls_keep_the_full_distrust_of_us_closed_models_where_weights_cannot_go():
    base, wec = _cut(SCEN / "baseline.toml", 40), _cut(SCEN / "weight_export_controls.toml", 40)
    event = month_index(base.start, "2025-01")
    comp = run_comparison([base, wec], replications=1, base_seed=2)
    _identical_before(comp, event)
    ma, mb = EcosystemModel(base, seed=2), EcosystemModel(wec, seed=2)
    for _ in range(event + 1):
        ma.step()
        mb.step()
    assert mb.weight_block[US, ROW] and mb.weight_block[US, CN] and not mb.weight_block[US, EU_]
    s = ma.labs_state
    us_closed = (s.region == US) & ~s.open & s.active
    _, da = ma._demand_matrices(s.region, s.open, s.train_flop)
    _, db = mb._demand_matrices(mb.labs_state.region, mb.labs_state.open, mb.labs_state.train_flop)
    k = np.flatnonzero(us_closed & ((mb.labs_state.region == US) & ~mb.labs_state.open))[0]
    disc = base.developers.closed_hosting_discount
    assert db[ROW, k] == pytest.approx(da[ROW, k] / (1 - disc))  # the hosting discount is gone in ROW
    assert db[REGIONS.index("EU"), k] == pytest.approx(da[REGIONS.index("EU"), k])  # not where weights may go
    open_k = np.flatnonzero(mb.labs_state.open & mb.labs_state.active & (mb.labs_state.region == US))
    if open_k.size:  # open weights were never controlled
        assert db[ROW, open_k[0]] == pytest.approx(da[ROW, open_k[0]]) or not ma.labs_state.open[open_k[0]]


EU_ = REGIONS.index("EU")
