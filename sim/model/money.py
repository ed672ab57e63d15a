"""The model's money (ODD 7.7-7.9): the developer market, each lab's revenue, investors who fund each region's labs
by their revenue and its growth, labs that exit when their chip budget no longer covers depreciation, and the
investor-funded entrants.

:class:`Money` is a mixin of :class:`sim.model.ecosystem.EcosystemModel`: its methods read and write the model's
lab table (``self.labs_state``) and scenario.
"""

from __future__ import annotations

import numpy as np

from sim import REGIONS
from sim.model.compute import chip_price, world_production
from sim.model.kernels_books import (
    lab_income,
    lab_sales,
    mean_log_price,
    months_short,
    price_table,
    region_funding_terms,
)
from sim.scenario.schema import month_index

R = len(REGIONS)


class Money:
    """Revenue, investment, exit and funded entry of :class:`~sim.model.ecosystem.EcosystemModel` (a mixin)."""

    def _setup_investors(self) -> None:
        """Investors: each region's investment is a multiple of its labs' revenue, set so that the budgets at the
        start are the incomes that sustain the labs' initial compute (7.4); afterwards it moves with revenue."""
        sc, st = self.scenario, self.labs_state
        reg, active = st.region, st.active
        self.market_from = month_index(sc.start, sc.labs.market_exit_from)  # exits and funded entry from here
        self.investment = np.zeros(R)
        self.state_funding = np.zeros(R)
        self._short = np.zeros(self.n_labs, dtype=int)  # months in a row a lab's budget has not covered depreciation
        self._rev_hist = np.zeros((self.months, R))  # each region's revenue, for investors' growth expectations
        st.revenue = self._revenue()
        rev0 = np.bincount(reg[active], weights=self.sales[active], minlength=R)  # investors watch sales
        inv0 = np.maximum(0.0, np.bincount(reg[active], weights=self.income0[active], minlength=R) - rev0)
        eps = sc.market.investment_revenue_elasticity
        world_v = inv0.sum() / rev0.sum() ** eps if rev0.sum() > 0 else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            self.invest_multiple = np.where(rev0 > 0, inv0 / np.where(rev0 > 0, rev0, 1.0) ** eps, world_v)

    def market_size(self, t: int | None = None) -> float:
        """World developer market in month ``t`` (default: this month), USD/month: ``market_usd_per_month`` at
        2024-07, growing ``market_growth_per_year`` both ways."""
        mk = self.scenario.market
        return world_production((self.t if t is None else t) - self.anchor, mk.market_usd_per_month,
                                mk.market_growth_per_year, mk.market_growth_after_per_year, self.change)

    def _revenue(self) -> np.ndarray:
        """(K,) each lab's revenue this month (USD; docs/ODD.md 7.7): its adopters' token spending (each developer's
        :meth:`_spend_factor` x market / developers) times, for a closed API, the share of its price above the serving
        cost, ``1 - 1 / markup`` (negative below cost), times the share of its API demand it can serve; for open
        weights, its complement capture. Also sets ``sales`` (K,) (the top line) and the market's typical log price
        ``_ref_log_price`` (the mean over developers with a model of their model's log10 price)."""
        s, pt = self.labs_state, self._policy_terms()
        # (R, K) this month's log10 prices (sim.model.market.log_price of every lab) and the market's typical one,
        # in compiled loops
        log_flop = np.log10(np.where(s.train_flop > 0, s.train_flop, 1e25))
        log_prices = price_table(log_flop, pt["log_hosting"], self.scenario.developers.hosting_size_elasticity, s.open,
                                 pt["log_chip"], pt["closed"])
        n, mean = mean_log_price(self.group_adopters(), log_prices, self.group_region)
        if n > 0:
            self._ref_log_price = float(mean)
        # (K,) its adopters' spending on it; sales (the top line investors watch): a closed API's served tokens at
        # its price, open weights' complements (one compiled loop)
        self.sales, revenue = lab_sales(self.group_adopters(), self.market_size() / self.dev.n,
                                        self._spend_factor(log_prices), self.group_region, s.active, s.open,
                                        s.complement, s.quality, self.closed_margin(), s.region)
        return revenue

    def closed_margin(self) -> np.ndarray:
        """(R,) share of a closed API's price above its serving cost, ``1 - 1 / markup``, for each region's labs
        this month (negative for a price below cost); kept while ``api_markup`` is the same array (not to be
        modified)."""
        kept = self.__dict__.get("_margin")
        if kept is None or kept[0] is not self.api_markup:
            self._margin = kept = (self.api_markup, 1.0 - 1.0 / self.api_markup)
        return kept[1]

    def _accounting(self, t: int) -> None:
        """Revenue, investment and exits through money (7.4): each region's investment is ``v_r x sales_r x
        (12-month sales growth / market growth) ** elasticity``, split among its labs by standing and sales; a lab's
        income is its revenue (net of serving costs, negative when it prices below cost) plus its funding."""
        s, lp, mk = self.labs_state, self.scenario.labs, self.scenario.market
        s.revenue = self._revenue()
        g_m = mk.market_growth_per_year
        # investors' expectation: the region's revenue growth over the last 12 months (the market's growth until
        # a year of history exists); investors watch sales, not margins. Each region's best active lab weighs its
        # labs' funding (region_funding_terms, lab_income: the numpy arithmetic in compiled loops, bit for bit)
        rev_r, ratio, mean_rev, x = region_funding_terms(s.region, s.active, s.capability, self.sales,
                                                         self._rev_hist[max(t - 12, 0)], t >= 12, g_m,
                                                         lp.funding_kappa, R)
        self._rev_hist[t] = rev_r
        expect = ratio ** mk.investment_expectation_elasticity
        self.investment = self.invest_multiple * rev_r ** mk.investment_revenue_elasticity * expect
        s.income = lab_income(s.region, s.active, np.exp(x), self.sales, mean_rev, self.investment, s.revenue)
        self._exit_through_money(t)
        self._fund_entrants(t)

    def _fund_entrants(self, t: int) -> None:
        """From ``labs.market_exit_from`` on, investors fund a new lab in region ``r`` with probability
        ``entry_rate_per_year / 12 x I_r / sum(I)`` a month (one uniform draw per region), while the region has a
        free slot: it enters next month with ``compute_spend_share x entrant_funding_usd`` of chips at the list
        price (taken from the outside buyers' stock) and releases at once, as the roster's entrants do."""
        s, lp, c = self.labs_state, self.scenario.labs, self.scenario.compute
        if t < self.market_from or not self.slot.any() or t + 1 >= self.months:
            return
        total = float(self.investment.sum())
        draws = self.rng.random(R)
        if total <= 0:
            return
        list_price = chip_price(t, c.price_usd_per_h100e, c.price_perf_doubling_months)
        for r in range(R):
            if draws[r] >= lp.entry_rate_per_year / 12 * self.investment[r] / total:
                continue
            free = np.flatnonzero(self.slot & (s.region == r) & (s.entry > self.months))
            if free.size == 0:
                continue
            i = int(free[0])
            k = lp.compute_spend_share * lp.entrant_funding_usd / list_price
            self.k0[i] = k
            self.income0[i] = lp.entrant_funding_usd / 12
            self.c0[i] = k * c.train_share * self.fpm * self.final_run_share(t) * lp.release_cycle_months
            self.lift[i] = 1.0
            s.entry[i] = t + 1
            s.phase[i] = (t + 1) % lp.release_cycle_months

    def _exit_through_money(self, t: int) -> None:
        """From ``labs.market_exit_from`` on, a lab whose chip budget has covered less than ``exit_budget_coverage``
        of its compute's depreciation for ``exit_after_months`` months in a row exits (its models leave the
        market); the last active lab never exits."""
        s, lp = self.labs_state, self.scenario.labs
        if t < self.market_from:
            return
        # the chip budget (compute_spend_share x income) short of the coverage, months in a row (compiled)
        self._short, out = months_short(s.income, s.active, self._depreciation_cost, lp.compute_spend_share,
                                        lp.exit_budget_coverage, self._short, lp.exit_after_months)
        for i in out:
            if s.active.sum() <= 1:
                break
            s.exit[i] = t + 1
        if out.size:
            self._short[out] = 0
