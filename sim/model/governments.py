"""Government agents: one per region, holding its policy state (DESIGN.md §2, §3 step 1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim import REGIONS
from sim.scenario.schema import Event, Government, apply_event_value

if TYPE_CHECKING:  # pragma: no cover
    from sim.model.ecosystem import EcosystemModel


class GovernmentAgent(mesa.Agent):
    """A region's government. ``policy`` is a private copy of the scenario's :class:`Government`
    that dated events and reaction rules change during the run."""

    def __init__(self, model: EcosystemModel, region: str, policy: Government):
        super().__init__(model)
        self.region = region
        self.region_index = REGIONS.index(region)
        self.policy = policy.model_copy(deep=True)
        self.last_reaction = -10**9
        self.reactions = 0

    def apply(self, event: Event) -> None:
        """Apply a dated event (already validated by the scenario schema)."""
        apply_event_value(self.policy, event.field, event.value)

    def react(self, t: int, lag_of_rival: float, own_lag: float) -> None:
        """Reaction rule on last month's observations.

        ``lag_of_rival``: months the rival trails this region (may be negative); ``own_lag``: months this
        region trails the rival. NaN observations trigger nothing."""
        rule = self.policy.reaction
        if rule is None or t - self.last_reaction < rule.cooldown_months:
            return
        acted = False
        if rule.tighten_when_lag_below_months is not None and lag_of_rival < rule.tighten_when_lag_below_months:
            ec = dict(self.policy.export_control)
            ec[rule.rival] = min(1.0, ec.get(rule.rival, 0.0) + rule.step)
            self.policy.export_control = ec
            acted = True
        if rule.subsidise_when_lag_above_months is not None and own_lag > rule.subsidise_when_lag_above_months:
            self.policy.subsidy_rate = min(0.9, self.policy.subsidy_rate + rule.step)
            acted = True
        if acted:
            self.last_reaction = t
            self.reactions += 1
