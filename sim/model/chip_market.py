"""The model's chip market and training (ODD 7.3-7.4): world production of frontier chips, the market that clears
the labs' chip budgets against buyers outside the model, export controls that send controlled money to alternative
chips, depreciation, and the compute a lab puts into its next model.

:class:`ChipMarket` is a mixin of :class:`sim.model.ecosystem.EcosystemModel`: its methods read and write the
model's lab table (``self.labs_state``) and scenario; the arithmetic is in :mod:`sim.model.compute`.
"""

from __future__ import annotations

import numpy as np

from sim import REGIONS
from sim.model.compute import (
    alt_supply_cap,
    chip_price,
    clear_chip_market,
    depreciate,
    initial_world_stock,
    world_production,
)
from sim.model.kernels_books import chip_money, chips_bought, train_month

R = len(REGIONS)


class ChipMarket:
    """Chips and training of :class:`~sim.model.ecosystem.EcosystemModel` (a mixin; state on the model)."""

    def _setup_chips(self) -> None:
        """The chip market at the start: alternative-chip supply by region, the world's installed frontier chips
        and this month's market record (``self.money``)."""
        c, ch = self.scenario.compute, self.scenario.chips
        self.alt0 = np.array([c.alt_supply_h100e[r] for r in REGIONS])
        self.compliant_share = np.array([c.compliant_share_of_alt[r] for r in REGIONS])
        # the world's installed frontier chips: production grown for ever at the measured rate, net of
        # depreciation, and never less than what the labs hold at the start; alternative chips bought by labs
        self.world_stock = max(initial_world_stock(self.production(0), ch.production_growth_per_year,
                                                   c.depreciation_months),
                               float(self.labs_state.compute.sum()))
        self.alt_stock = 0.0
        # this month's chip market, filled by _chips (what the chip_* reporters show)
        self.money = {"production": self.production(0), "price": c.price_usd_per_h100e,
                      "list_price": c.price_usd_per_h100e, "sold": 0.0, "outside": 0.0, "alt_supply": 0.0}

    def production(self, t: int) -> float:
        """World production of frontier AI chips in month ``t`` (H100e/month; :func:`sim.model.compute.world_production`)."""
        ch = self.scenario.chips
        return world_production(t - self.anchor, ch.production_h100e_per_month, ch.production_growth_per_year,
                                ch.production_growth_after_per_year, self.change)

    def outside_demand(self, t: int) -> float:
        """Chip spending of the buyers outside the model in month ``t`` (USD/month)."""
        ch, mk = self.scenario.chips, self.scenario.market
        return world_production(t - self.anchor, ch.outside_demand_usd_per_month, ch.outside_demand_growth_per_year,
                                mk.market_growth_after_per_year, self.change)

    def final_run_share(self, t: int) -> float:
        """Share of a lab's training compute in its final run in month ``t``: ``final_run_share`` at the start,
        scaled by the final run's length (``run_duration_months`` at 2024-07, growing ``run_duration_growth_per_year``
        up to ``max_run_duration_months``) relative to its length at the start; at most 1."""
        c = self.scenario.compute

        def length(k: int) -> float:
            return min(c.max_run_duration_months,
                       c.run_duration_months * c.run_duration_growth_per_year ** ((k - self.anchor) / 12))
        return min(1.0, c.final_run_share * length(t) / length(0))

    def inference_need(self, share: float | np.ndarray) -> float | np.ndarray:
        """H100e a closed lab needs to serve a given share of all developers."""
        return self.scenario.compute.inference_intensity * self.labs_state.compute.sum() * share

    def _chips(self, t: int) -> None:
        """Chip budgets buy from the world market (7.3): controlled money goes to alternative chips; frontier chips
        clear at ``max(list price, demand / production)``; stocks depreciate."""
        s, c = self.labs_state, self.scenario.compute
        theta, leak, allowed = self.control  # effective_control of this month's policies
        # the labs' chip money (losses buy no chips), with their governments' subsidies, split between frontier and
        # alternative chips (split_chip_money), in one compiled loop
        frontier_money, alt_money, self.state_funding = chip_money(s.income, s.active, s.region, self.subsidy,
                                                                   self.scenario.labs.compute_spend_share, theta, leak)
        list_price = chip_price(t, c.price_usd_per_h100e, c.price_perf_doubling_months)
        supply = self.production(t)
        outside = self.outside_demand(t)
        frontier, price, outside_h100e = clear_chip_market(frontier_money, outside, supply, list_price)
        alt_cap = alt_supply_cap(t - self.anchor, self.alt0, c.alt_supply_growth_per_year, self.compliant_share,
                                 allowed, c.alt_supply_growth_after_per_year, self.change)
        dep = c.depreciation_months
        # buy_alt_chips and depreciate(s.compute, dep) + frontier + alt, in one compiled loop
        alt, s.compute = chips_bought(s.compute, 1.0 - 1.0 / dep, frontier, alt_money, list_price / c.eta_alt,
                                      alt_cap, s.region)
        sold = float(frontier.sum()) + outside_h100e
        self.world_stock = float(depreciate(self.world_stock, dep)) + sold
        self.alt_stock = float(depreciate(self.alt_stock, dep)) + float(alt.sum())
        controlled = theta > 0  # alternative chips are on offer only where a control binds
        self.money = {"production": supply, "price": price, "list_price": list_price, "sold": sold,
                      "outside": outside_h100e, "alt_supply": float(alt_cap[controlled].sum())}
        self._depreciation_cost = s.compute / c.depreciation_months * list_price
        # (R,) the labs' chip spending this month, frontier and alternative chips, subsidies included (USD)
        self.chip_spend = np.bincount(s.region, weights=frontier_money + alt_money, minlength=len(theta))

    def _train(self) -> None:
        """Closed labs serve their API first (``quality``: the share of their inference need their compute covers);
        the rest of each active lab's compute accrues training FLOP for its next release (one compiled loop)."""
        s, c = self.labs_state, self.scenario.compute
        s.quality = train_month(s.open, c.inference_intensity * s.compute.sum(), self.share, s.compute,
                                c.max_inference_share, c.train_share, self.fpm, self.final_run_share(self.t), s.active,
                                s.accrued)
