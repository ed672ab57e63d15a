"""Random valid scenarios drawn from the schema (sim.scenario.draws) run without raising and with every time-series
column; the model crashes found by such draws stay fixed."""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np
import pytest
from conftest import ARCHETYPES, BASELINE, ROOT

from sim.analysis.runs import run_one
from sim.model.metrics import summarize
from sim.scenario.draws import DEFAULT_CAPS, random_scenario
from sim.scenario.schema import field_info, load_scenario, parameter_paths, with_horizon, with_values


def _get(sc, path: str):
    v = sc
    for part in path.split("."):
        v = v.get(part) if isinstance(v, dict) else getattr(v, part)  # a month-by-region table may leave a region out
    return v


def test_draws_vary_every_schema_parameter_over_its_range():
    """Nothing is drawn from a fixed list: every parameter path of the schema takes several values, all
    inside its valid range (and the size caps)."""
    rng = np.random.default_rng(1)
    draws = [random_scenario(rng) for _ in range(40)]
    for path in parameter_paths():
        values = [_get(sc, path) for sc in draws]
        if path in ("name", "description", "roster"):
            continue
        assert len({repr(v) for v in values}) >= 2, path
        info = field_info(path)
        nums = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if info["ge"] is not None and nums:
            assert min(nums) >= info["ge"], path
        hi = min(info["le"], DEFAULT_CAPS.get(path, math.inf)) if info["le"] is not None else None
        if hi is not None and nums:
            assert max(nums) <= hi, path
    assert max(sc.developers.n for sc in draws) <= 2000 and max(sc.months for sc in draws) <= 36
    assert any(sc.events for sc in draws) and any(sc.governments["US"].reaction for sc in draws)


def _columns_of_a_default_run() -> list[str]:
    sc = with_values(load_scenario(BASELINE), {"events": [], "months": 6, "developers.n": 100,
                                               "roster": str(ARCHETYPES)})
    return list(run_one(sc, seed=1).timeseries.columns)


def _overrides_present(values: dict[str, object]) -> dict[str, object]:
    """The overrides whose parameter the schema still has (a model rewrite may remove some); at least one."""
    paths = set(parameter_paths())
    kept = {k: v for k, v in values.items() if k in paths}
    assert kept, f"none of {list(values)} exists any more: give this reproduction an equivalent case"
    return kept


def test_shrinking_budgets_do_not_crash():
    """Issue 17: funding growth below 1/yr with slow price-performance made initial chip purchases negative
    ('accrued training compute must be >= 0'). The funding-growth parameter is gone (issue 14); the equivalent
    case is the slowest growth the schema allows of everything that feeds budgets and chips."""
    sc = with_values(with_horizon(load_scenario(BASELINE), 36), _overrides_present({
        "developers.foreign_distrust.US": 6.55, "developers.open_sov_discount": 0.37,
        "developers.w_net": 4.64, "market.market_growth_per_year": 0.5, "market.investment_revenue_elasticity": 1.5,
        "chips.production_growth_per_year": 1.0, "compute.price_perf_doubling_months": 120.0,
        "chips.outside_demand_growth_per_year": 0.5}))
    res = run_one(sc, seed=1)
    assert len(res.timeseries) == 36
    assert (res.labs["compute"] >= 0).all() and (res.releases["train_flop"] >= 0).all()


def test_a_run_without_any_closed_model_has_every_column(tmp_path):
    """Issue 17: with no closed model, open_closed_lag_months was missing and summarize raised KeyError."""
    roster = tmp_path / "open.csv"
    roster.write_text("name,region,training_compute_flop,strategy,open_bias\nA,US,1e24,OPEN,3\nB,CN,1e23,OPEN,3\n")
    sc = with_values(load_scenario(BASELINE), {"events": [], "roster": str(roster), "months": 24,
                                               "developers.n": 50})
    sc = with_values(sc, _overrides_present({"labs.open_bias_scale": 5.0, "labs.beta": 0.0}))
    res = run_one(sc, seed=3)
    assert (res.labs["strategy"] == "OPEN").all()
    assert list(res.timeseries.columns) == _columns_of_a_default_run()
    assert res.timeseries["open_closed_lag_months"].isna().all()
    assert math.isnan(summarize(res.timeseries, res.releases)["open_closed_lag_months"])


@pytest.mark.slow
def test_100_random_valid_draws_run_with_every_column():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from random_draws import draw_and_run
    finally:
        sys.path.pop(0)
    expected = _columns_of_a_default_run()
    failures = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for i in range(100):
            cols, err, _ = draw_and_run(2026, i)
            if err is not None or cols != expected:
                failures.append((i, err or sorted(set(expected) ^ set(cols))))
    assert failures == []
