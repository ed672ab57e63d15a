"""The agent-based model: labs, developers and governments competing month by month (DESIGN.md §2-§4).

- :mod:`~sim.model.ecosystem`: :class:`EcosystemModel`, the monthly step and its setup;
- its concerns as mixins: :mod:`~sim.model.lifecycle` (labs at the start, entry, exit),
  :mod:`~sim.model.chip_market` (chips, training), :mod:`~sim.model.demand` (developer choice, payoff sample),
  :mod:`~sim.model.money` (revenue, investment), :mod:`~sim.model.recorder` (histories, outputs);
- agents: :mod:`~sim.model.labs`, :mod:`~sim.model.developers`, :mod:`~sim.model.governments`;
- submodels as plain functions on arrays: :mod:`~sim.model.compute` (chips, effective compute),
  :mod:`~sim.model.capability` (ECI, lags), :mod:`~sim.model.market` (logit choice, prices, access),
  :mod:`~sim.model.distillation`;
- outputs: :mod:`~sim.model.reporters` (the monthly columns), :mod:`~sim.model.metrics` (a run's summary metrics).

Imports only :mod:`sim.scenario` (and the region list of :mod:`sim`); nothing of the analysis, plots, dashboard
or CLI layers.
"""

from sim.model.ecosystem import ENTRANT_SLOT_ENTRY, EcosystemModel
from sim.model.labs import Lab, LabTable, RosterError, check_roster_start, load_roster
from sim.model.metrics import HEADLINE_METRICS, SUMMARY_METRICS, summarize
from sim.model.reporters import MODEL_REPORTERS
from sim.scenario.schema import month_label

__all__ = ["ENTRANT_SLOT_ENTRY", "HEADLINE_METRICS", "MODEL_REPORTERS", "SUMMARY_METRICS", "EcosystemModel", "Lab",
           "LabTable", "RosterError", "check_roster_start", "load_roster", "month_label", "summarize"]
