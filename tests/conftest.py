"""Shared fixtures: a small, fast scenario on the stylised archetype roster."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario import Scenario, load_scenario, with_values

ROOT = Path(__file__).resolve().parents[1]
ARCHETYPES = ROOT / "data" / "roster_archetypes.csv"
BASELINE = ROOT / "scenarios" / "baseline.toml"


def small(scenario: Scenario | None = None, **values) -> Scenario:
    """``scenario`` with dotted-path ``values`` set; without a scenario, a quick one: the baseline on the
    archetype roster with 1,000 developers, 60 months and no dated events."""
    if scenario is None:
        scenario = with_values(load_scenario(BASELINE), {"roster": str(ARCHETYPES), "developers.n": 1000,
                                                         "months": 60, "events": []})
    return with_values(scenario, values)


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    return load_scenario(BASELINE)


@pytest.fixture()
def small_scenario() -> Scenario:
    return small()
