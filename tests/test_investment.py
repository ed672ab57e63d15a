"""Investment on expectations (docs/ODD.md 7.9): who pays (parents, venture, the state), investors' adaptive
expectation, and its response to capability surprises and to revenue shortfalls, in paired runs (same seed, one
difference)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import REGIONS
from sim.model import EcosystemModel
from sim.scenario.schema import load_scenario
from tests.conftest import BASELINE, small

US = REGIONS.index("US")
SOURCES = ("parents", "venture", "state")


def _cut(months: int, **values):
    """The baseline cut to ``months`` (its later events dropped), 300 developers, with dotted-path ``values``."""
    return small(load_scenario(BASELINE, [f"months={months}"]), **{"developers.n": 300, **values})


def _run_with_jump(sc, seed: int, month: int, jump: float) -> EcosystemModel:
    """Run ``sc``; at ``month`` add ``jump`` OOM to the capability of every active US lab (a capability surprise)."""
    m = EcosystemModel(sc, seed=seed)
    for _ in range(sc.months):
        if m.steps == month and jump:
            s = m.labs_state
            s.capability[(s.region == US) & s.active] += jump
        m.step()
    return m


def test_investment_rises_after_a_capability_surprise():
    """A jump in the US frontier (paired runs, same seed) raises US investors' expectation and the parents' pool,
    which does not depend on sales, only when expectations respond to capability surprises."""
    sc = _cut(36, **{"market.capability_surprise_response": 1.0})
    base, jump = _run_with_jump(sc, 3, 18, 0.0), _run_with_jump(sc, 3, 18, 0.5)
    a, b = base.timeseries(), jump.timeseries()
    before, after = a.month < 18, (a.month >= 20) & (a.month < 30)  # within a year of the surprise
    assert np.array_equal(a.loc[before, "investment_US"], b.loc[before, "investment_US"])  # the same until then
    assert (b.loc[after, "expectation_US"] > a.loc[after, "expectation_US"]).all()
    assert b.loc[after, "investment_parents_US"].sum() > a.loc[after, "investment_parents_US"].sum() * 1.05
    deaf = small(sc, **{"market.capability_surprise_response": 0.0, "market.race_response": 0.0})
    c, d = _run_with_jump(deaf, 3, 18, 0.0).timeseries(), _run_with_jump(deaf, 3, 18, 0.5).timeseries()
    rise_deaf = d.loc[after, "expectation_US"].mean() / c.loc[after, "expectation_US"].mean()
    rise = b.loc[after, "expectation_US"].mean() / a.loc[after, "expectation_US"].mean()
    assert rise > rise_deaf


def test_investment_falls_after_a_sustained_revenue_shortfall():
    """Paired runs: the developer market's growth falls from 2023-01 (a revenue shock, not a cut to investment);
    investors' expectation falls, and with it the parents' pool, which does not depend on sales directly."""
    sc = _cut(48, projection_from="2023-01")
    shock = small(sc, **{"market.market_growth_after_per_year": 0.8})
    a, b = EcosystemModel(sc, seed=4).run().timeseries(), EcosystemModel(shock, seed=4).run().timeseries()
    late = a.month >= 36
    for r in ("US", "CN"):
        assert (b.loc[late, f"expectation_{r}"] < a.loc[late, f"expectation_{r}"]).all()
        assert b.loc[late, f"investment_parents_{r}"].sum() < a.loc[late, f"investment_parents_{r}"].sum()
        assert b.loc[late, f"investment_{r}"].sum() < a.loc[late, f"investment_{r}"].sum()


def test_sources_sum_to_investment_and_state_money_is_paid_to_the_region():
    """Parents', venture and state money sum to each region's investment; a state fund (a government lever, set by
    a dated event) is paid out whole to that region's labs from its month and to no other region."""
    sc = _cut(30)
    new = {"month": "2023-01", "government": "CN", "field": "state_investment_usd_per_year", "value": 1.2e10}
    fund = small(sc, events=sorted([*[e.model_dump() for e in sc.events], new], key=lambda e: e["month"]))
    ts = EcosystemModel(fund, seed=1).run().timeseries()
    for r in REGIONS:
        total = sum(ts[f"investment_{s}_{r}"] for s in SOURCES)
        np.testing.assert_allclose(total, ts[f"investment_{r}"], rtol=1e-12)
    from_month = ts.date >= "2023-01"
    np.testing.assert_allclose(ts.loc[from_month, "investment_state_CN"], 1e9, rtol=1e-12)
    assert (ts.loc[~from_month, "investment_state_CN"] == 0).all()
    assert all((ts[f"investment_state_{r}"] == 0).all() for r in REGIONS if r != "CN")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), prior=st.floats(0.6, 3.0), tau=st.floats(3.0, 60.0), horizon=st.floats(0.0, 5.0),
       surprise=st.floats(0.0, 3.0), race=st.floats(0.0, 2.0), cash=st.floats(0.6, 2.0),
       growth=st.floats(0.6, 5.0))
def test_no_budget_is_negative_and_compute_stays_within_production(small_scenario, seed, prior, tau, horizon,
                                                                   surprise, race, cash, growth):
    """Whatever investors expect, every source's money, the labs' chip spending and the expectation index are
    finite and never negative, and the labs' compute never exceeds the chips made (sold plus alternative)."""
    sc = small(small_scenario, **{
        "months": 40, "developers.n": 200, "market.investment_prior_growth_per_year": prior,
        "market.expectation_adjustment_months": tau, "market.investment_horizon_years": horizon,
        "market.capability_surprise_response": surprise, "market.race_response": race,
        "market.parent_cash_flow_growth_per_year": cash, "market.market_growth_per_year": growth,
        "governments.CN.state_investment_usd_per_year": 5e9})
    ts = EcosystemModel(sc, seed=seed).run().timeseries()
    cols = [f"{k}_{r}" for r in REGIONS for k in ("investment", "investment_parents", "investment_venture",
                                                  "investment_state", "chip_spend", "expectation")]
    values = ts[cols].to_numpy()
    assert np.isfinite(values).all() and (values >= 0).all()
    held = ts["labs_compute_h100e"].to_numpy()
    made = (ts["chip_stock_h100e"] + ts["alt_chip_stock_h100e"]).to_numpy()
    assert (held <= made * (1 + 1e-9)).all()


@pytest.mark.parametrize("seed", [0, 7])
def test_investment_outputs_are_deterministic(seed):
    """Same seed, same money: every investment, expectation and capex column is identical across two runs."""
    sc = _cut(30)
    a, b = (EcosystemModel(sc, seed=seed).run().timeseries() for _ in range(2))
    cols = [c for c in a.columns if c.startswith(("investment", "expectation", "chip_spend", "revenue_capex"))]
    assert len(cols) >= 7 * len(REGIONS)
    assert a[cols].equals(b[cols])


def test_investors_warn_when_they_fund_nothing_or_run_far_ahead_of_sales():
    """A start where sales exceed the incomes that sustain the labs' compute (a market shrinking at 0.5x a year is
    large in 2022) leaves investors nothing to fund: the run warns, once. An expectation index above 50 warns too."""
    with pytest.warns(RuntimeWarning, match="investors fund no lab"):
        EcosystemModel(_cut(6, **{"market.market_growth_per_year": 0.5}), seed=1).run()
    with pytest.warns(RuntimeWarning, match="expectation index of .* reached"):
        EcosystemModel(_cut(36, **{"market.expectation_adjustment_months": 3.0,
                                   "market.investment_horizon_years": 5.0,
                                   "market.investment_prior_growth_per_year": 0.8}), seed=1).run()
