"""The scenario layer: what a run is asked to simulate.

- :mod:`sim.scenario.schema`: the pydantic schema of a scenario (every parameter with its unit, default, plausible
  range and source), TOML loading with ``extends`` and ``--set`` overrides, dated policy events;
- :mod:`sim.scenario.paramdoc`: the parameter table (``docs/parameters.md``) generated from the schema;
- :mod:`sim.scenario.draws`: random valid scenarios (the random-draw test and ``scripts/random_draws.py``).

Imports nothing of the layers above (model, analysis, plots, dashboard, CLI).
"""

from sim.scenario.schema import (
    ANCHOR_MONTH,
    SEGMENTS,
    Event,
    Government,
    Scenario,
    ScenarioError,
    field_info,
    load_scenario,
    month_index,
    parameter_paths,
    scenario_from_dict,
    with_horizon,
    with_values,
)

__all__ = ["ANCHOR_MONTH", "SEGMENTS", "Event", "Government", "Scenario", "ScenarioError", "field_info",
           "load_scenario", "month_index", "parameter_paths", "scenario_from_dict", "with_horizon", "with_values"]
