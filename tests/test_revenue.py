"""Model 3, part 1 (docs/ODD.md 7.7, 7.9): revenue from tokens and prices, complements by lab type, the value of
opening by position, and the state's endorsement. Properties of the mechanisms, not today's calibrated numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ARCHETYPES, small

from sim.model import EcosystemModel
from sim.model.labs import load_roster
from sim.scenario.schema import Event, ScenarioError, load_scenario, with_horizon, with_values


def _first_month_model(**values) -> EcosystemModel:
    """The small scenario's model after its first month (its developers have chosen, revenue is booked)."""
    m = EcosystemModel(small(None, **values), seed=3)
    m.step()
    return m


@pytest.mark.parametrize("markup, sign", [(3.0, 1), (1.0, 0), (0.5, -1)])
def test_closed_revenue_is_tokens_times_price_minus_cost(markup, sign):
    # every region prices its closed APIs at the same markup: revenue has the sign of (price - serving cost)
    m = _first_month_model(**{f"developers.api_markup.{r}": markup for r in ("US", "CN", "EU", "ROW")},
                           **{"developers.api_price_cut_month": {}})
    s = m.labs_state
    closed = s.active & ~s.open & (m.adopters > 0)
    assert closed.any()
    rev = m._revenue()[closed]
    assert np.all(np.sign(np.round(rev, 6)) == sign), rev
    # and is exactly sales x (1 - 1/markup): zero at cost, a loss on every token below it
    assert rev == pytest.approx(m.sales[closed] * (1 - 1 / markup), abs=1e-6)


def test_closed_revenue_falls_to_zero_as_price_falls_to_cost():
    revs = []
    for markup in (3.0, 2.0, 1.5, 1.1, 1.0, 0.8):
        m = _first_month_model(**{f"developers.api_markup.{r}": markup for r in ("US", "CN", "EU", "ROW")},
                               **{"developers.api_price_cut_month": {}})
        s = m.labs_state
        revs.append(m._revenue()[s.active & ~s.open].sum())
    assert revs[-2] == pytest.approx(0.0, abs=1e-6) and revs[-1] < 0
    assert revs[0] > revs[1] > 0


@pytest.mark.parametrize("elasticity", [0.5, 1.0, 1.5])
def test_token_demand_falls_with_price(elasticity):
    m = _first_month_model(**{"developers.token_price_elasticity": elasticity})
    log_price = np.log10(np.array([0.5, 1.0, 4.4, 20.0]))  # USD per million tokens
    spend = m._spend_factor(log_price)
    tokens = spend / 10.0 ** log_price
    assert np.all(np.diff(tokens) < 0)
    # spending rises with price below unit elasticity, falls above it, and is flat at 1
    assert np.sign(np.diff(spend)).tolist() == [int(np.sign(1 - elasticity))] * 3
    # at the market's typical price (the mean log price of the models in use) a developer spends the market's mean
    assert m._spend_factor(np.array([m._ref_log_price]))[0] == pytest.approx(1.0)


def test_token_elasticity_keeps_the_market_level():
    # spending moves between cheaper and dearer models; its level stays the market's (no blow-up as models grow)
    for elasticity in (0.5, 1.5):
        sc = small(None, months=60, **{"developers.token_price_elasticity": elasticity})
        ts = EcosystemModel(sc, seed=2).run().timeseries()
        base = EcosystemModel(small(None, months=60), seed=2).run().timeseries()
        ratio = ts.filter(like="sales_").sum(axis=1).iloc[-1] / base.filter(like="sales_").sum(axis=1).iloc[-1]
        assert 0.5 < ratio < 2.0, (elasticity, ratio)


def test_token_elasticity_moves_revenue_with_the_price():
    # above unit elasticity a cheaper API earns more per adopter's spending; below, less (same adopters: month 1)
    for elasticity, cheaper_wins in ((1.5, True), (0.5, False)):
        sales = {}
        for markup in (2.0, 4.0):
            m = _first_month_model(**{"developers.token_price_elasticity": elasticity,
                                      "developers.api_markup.US": markup})
            s = m.labs_state
            us_closed = s.active & ~s.open & (s.region == 0)
            sales[markup] = (m.sales[us_closed] / np.maximum(m.adopters[us_closed], 1)).sum()
        assert (sales[2.0] > sales[4.0]) == cheaper_wins, (elasticity, sales)


def test_chinese_price_cut_is_dated():
    sc = with_horizon(load_scenario("scenarios/baseline.toml"), 36)
    m = EcosystemModel(sc, seed=1)
    cut = 28  # 2024-05 from 2022-01
    markups = []
    for _ in range(cut + 1):
        m.step()
        markups.append(m.api_markup.copy())
    cn = 1
    assert markups[0][cn] == sc.developers.api_markup_before["CN"]
    assert markups[cut - 1][cn] == sc.developers.api_markup_before["CN"]
    assert markups[cut][cn] == sc.developers.api_markup["CN"]
    assert all(mk[0] == sc.developers.api_markup["US"] for mk in markups)  # no cut for the US


def test_price_floor_lever_raises_the_markup():
    m = _first_month_model(**{"governments.CN.api_price_floor": 1.0, "developers.api_markup.CN": 0.45,
                              "developers.api_price_cut_month": {}})
    assert m.api_markup[1] == 1.0 and m.closed_margin()[1] == 0.0


def _released(m: EcosystemModel) -> pd.DataFrame:
    return m.release_log()


def test_opening_pays_more_for_a_lab_further_behind():
    # paired: the same release evaluated with the lab 0.2 and 0.8 OOM behind the best other lab
    m = EcosystemModel(small(None), seed=5)
    m.step()
    lab = m.lab_agents[5]  # CN-Leader
    pay = {"pi_open": 1.0, "pi_closed": 2.0}
    c = float(m.labs_state.capability[lab.i])
    near, far = lab.open_index(pay, c + 0.2), lab.open_index(pay, c + 0.8)
    assert far["x_position"] > near["x_position"] > 0
    assert lab.open_index(pay, c - 0.5)["x_position"] == 0  # ahead: no follower value
    assert lab.open_index(pay, c + 3.0)["x_position"] == m.scenario.labs.follower_open_value  # capped at 1 OOM
    # and it raises the chance of an open release in runs: followers with the value open more than without it
    def open_share(value):
        shares = []
        for seed in range(4):
            rel = EcosystemModel(small(None, **{"labs.follower_open_value": value}), seed=seed).run().release_log()
            shares.append((rel.strategy == "OPEN").mean())
        return np.mean(shares)
    assert open_share(2.0) > open_share(0.0) + 0.05


def test_complements_raise_the_open_payoff_of_their_lab_only(tmp_path):
    roster = load_roster(ARCHETYPES)
    rich = roster.copy()
    rich.loc[rich.name == "CN-Big-Tech", "complement_capture"] = 0.9
    logs = []
    for r in (roster, rich):
        m = EcosystemModel(small(None, months=1), seed=11, roster=r)
        for i in range(m.n_labs):  # everyone releases in month 0
            m.labs_state.phase[i] = 0
        m.step()
        logs.append(m.release_log().set_index("lab"))
    base, more = logs
    assert more.loc["CN-Big-Tech", "complement_usd"] > base.loc["CN-Big-Tech", "complement_usd"]
    assert more.loc["CN-Big-Tech", "pi_open"] > base.loc["CN-Big-Tech", "pi_open"]
    assert more.loc["CN-Big-Tech", "pi_closed"] == base.loc["CN-Big-Tech", "pi_closed"]
    # labs that decided before CN-Big-Tech's release changed anything see the same payoffs
    order = list(base.index)
    before = order[:order.index("CN-Big-Tech")]
    pd.testing.assert_frame_equal(base.loc[before, ["pi_open", "pi_closed"]], more.loc[before, ["pi_open", "pi_closed"]])


def test_complement_capture_follows_the_lab_type():
    m = EcosystemModel(small(None, **{"labs.complement_capture.cloud": 0.33}), seed=1)
    names = [a.name for a in m.lab_agents]
    assert m.labs_state.complement[names.index("US-Big-Tech")] == 0.33
    assert m.labs_state.complement[names.index("US-Startup")] == m.scenario.labs.complement_capture["startup"]


def test_roster_type_columns_are_checked(tmp_path):
    from sim.model.labs import RosterError

    bad = tmp_path / "r.csv"
    bad.write_text("name,region,training_compute_flop,strategy,open_bias,lab_type\nA,US,1e24,OPEN,0,bank\n")
    with pytest.raises(RosterError, match=r"r.csv: row 1, column lab_type: 'bank' is not one of cloud"):
        load_roster(bad)
    bad.write_text("name,region,training_compute_flop,strategy,open_bias,complement_capture\nA,US,1e24,OPEN,0,2\n")
    with pytest.raises(RosterError, match="column complement_capture"):
        load_roster(bad)


def test_endorsement_changes_nothing_before_its_month():
    base = small(None, months=30)
    ev = Event(month="2023-07", government="CN", field="open_endorsement", value=3.0)
    endorsed = with_values(base, {"events": [ev.model_dump()]})
    a, b = EcosystemModel(base, seed=2).run(), EcosystemModel(endorsed, seed=2).run()
    ra, rb = a.release_log(), b.release_log()
    month = 18  # 2023-07
    pd.testing.assert_frame_equal(ra[ra.month < month].reset_index(drop=True), rb[rb.month < month].reset_index(drop=True))
    pd.testing.assert_frame_equal(a.timeseries().iloc[:month], b.timeseries().iloc[:month])
    after = rb[(rb.month >= month) & (rb.region == "CN")]
    assert (after.x_state == 3.0).all() and len(after)
    assert (rb[(rb.month >= month) & (rb.region != "CN")].x_state == 0).all()


def test_misuse_concern_applies_from_the_statement():
    roster = load_roster(ARCHETYPES)
    roster.loc[roster.name == "US-Leader-A", "misuse_statement"] = "2023-01"
    m = EcosystemModel(small(None, months=36), seed=4, roster=roster).run()
    rel = m.release_log()
    lead = rel[rel.lab == "US-Leader-A"]
    assert (lead[lead.month < 12].x_misuse == 0).all() and (lead[lead.month >= 12].x_misuse < 0).all()
    assert (rel[rel.lab != "US-Leader-A"].x_misuse == 0).all()


def test_payoff_terms_sum_to_the_logged_probability():
    rel = EcosystemModel(small(None, months=36), seed=8).run().release_log()
    x = rel[["x_payoff", "x_position", "x_state", "x_misuse", "x_bias"]].sum(axis=1)
    assert np.allclose(1 / (1 + np.exp(-x)), rel.p_open)


def test_same_seed_same_revenue():
    a, b = (EcosystemModel(small(None, months=30), seed=9).run() for _ in range(2))
    pd.testing.assert_frame_equal(a.release_log(), b.release_log())
    pd.testing.assert_frame_equal(a.timeseries(), b.timeseries())


def test_removed_parameters_name_their_replacement(tmp_path):
    f = tmp_path / "s.toml"
    for old, new in (("open_capture", "complement_capture"), ("margin", "api_markup")):
        f.write_text(f"[labs]\n{old} = 0.2\n")
        with pytest.raises(ScenarioError, match=rf"s.toml: field 'labs.{old}': removed in Model 3.*{new}"):
            load_scenario(f)


def test_research_labs_do_not_weigh_payoffs():
    roster = load_roster(ARCHETYPES)
    roster.loc[roster.name == "EU-Lab-A", "lab_type"] = "research"
    rel = EcosystemModel(small(None, months=36), seed=6, roster=roster).run().release_log()
    research, others = rel[rel.lab == "EU-Lab-A"], rel[rel.lab != "EU-Lab-A"]
    assert len(research) and (research.x_payoff == 0).all()
    assert (others.x_payoff != 0).any()
    x = research[["x_position", "x_state", "x_misuse", "x_bias"]].sum(axis=1)
    assert np.allclose(1 / (1 + np.exp(-x)), research.p_open)


def test_lab_types_name_labs_of_the_roster():
    from sim.empirical.epoch import read_table

    types = read_table("data/lab_types.csv")
    roster = load_roster("data/roster_2022-01.csv")
    assert set(types["name"]) <= set(roster["name"]), sorted(set(types["name"]) - set(roster["name"]))
    assert set(types["lab_type"]) <= {"cloud", "products", "hardware", "parent", "research", "startup"}
    assert types["source"].str.len().min() > 10  # every row says where its type comes from
    merged = roster.set_index("name")
    assert merged.loc["Meta AI", "lab_type"] == "products" and merged.loc["OpenAI", "misuse_statement"] == "2023-12"
