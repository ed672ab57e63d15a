"""The model's money (ODD 7.7-7.9): the developer market, each lab's revenue, the three sources that fund the labs
beside it (parents, venture money on investors' adaptive expectations, the state), labs that exit when their chip
budget no longer covers depreciation, and the investor-funded entrants.

:class:`Money` is a mixin of :class:`sim.model.ecosystem.EcosystemModel`: its methods read and write the model's
lab table (``self.labs_state``) and scenario.
"""

from __future__ import annotations

import warnings

import numpy as np

from sim import REGIONS
from sim.model.compute import chip_price, world_production
from sim.model.kernels_books import (
    lab_funding,
    lab_sales,
    mean_log_price,
    months_short,
    price_table,
    region_funding_terms,
)
from sim.scenario.schema import month_index

R = len(REGIONS)

EXPECTATION_WARNING = 50.0
"""An expectation index above this warns once a run (the baseline's stays below 15 in every replication, the
posterior's draws below 30)."""

SOURCES = ("parents", "venture", "state")
"""Who pays, beside revenue (docs/ODD.md 7.9): a parent's (or sponsor's) budget, venture money, the state: the rows
of ``pools``."""


class Money:
    """Revenue, investment, exit and funded entry of :class:`~sim.model.ecosystem.EcosystemModel` (a mixin)."""

    def _setup_investors(self) -> None:
        """Investors (docs/ODD.md 7.9): three sources fund the labs beside their revenue, a parent's budget (Big
        Tech and sponsored labs), venture money (start-ups) and the state. At the start the parents' and venture
        pools of each region are set so that its labs' budgets are the incomes that sustain their initial compute
        (7.4); the expectation index starts at 1 (investors expect ``investment_prior_growth_per_year``)."""
        sc, st = self.scenario, self.labs_state
        reg, active, mk = st.region, st.active, sc.market
        self.market_from = month_index(sc.start, sc.labs.market_exit_from)  # exits and funded entry from here
        self.pools = np.zeros((len(SOURCES), R))  # USD/month paid this month by each source to each region's labs
        self.investment = np.zeros(R)  # all sources
        self.state_funding = np.zeros(R)
        self._short = np.zeros(self.n_labs, dtype=int)  # months in a row a lab's budget has not covered depreciation
        self._rev_hist = np.zeros((self.months, R))  # each region's sales, for investors' growth signal
        self._inv_hist = np.zeros((self.months, R))  # each region's investment, for the race signal
        self._cap_hist = np.full((self.months, R), -np.inf)  # each region's best capability, for surprises
        st.revenue = self._revenue()
        rev0 = np.bincount(reg[active], weights=self.sales[active], minlength=R)
        gap = (self.income0 - self.sales) * active  # what investors paid at the start, lab by lab
        v_gap = np.maximum(0.0, np.bincount(reg, weights=gap * st.venture, minlength=R))
        self.parent0 = np.maximum(0.0, np.bincount(reg, weights=gap * ~st.venture, minlength=R))
        eps = mk.investment_revenue_elasticity
        world_v = v_gap.sum() / rev0.sum() ** eps if rev0.sum() > 0 else 0.0
        own = (rev0 > 0) & (v_gap > 0)  # a region without start-ups at the start takes the world's multiple
        with np.errstate(divide="ignore", invalid="ignore"):
            self.venture_multiple = np.where(own, v_gap / np.where(own, rev0, 1.0) ** eps, world_v)
        self.expect_log0 = float(np.log(mk.investment_prior_growth_per_year))
        self.expect_log = np.full(R, self.expect_log0)  # investors' expected log growth of sales a year
        self.expectation = np.ones(R)  # the expectation index exp(horizon x (expect_log - expect_log0))
        self.expect_progress = np.full(R, 12 * self.pre_slope)  # expected frontier progress, OOM a year
        self._warned_index = False
        if self.parent0.sum() + v_gap.sum() <= 0:
            warnings.warn("investors fund no lab: at the start every region's labs sell more than the incomes that "
                          "sustain their compute (docs/ODD.md 5, 7.9), so the parents' and venture money is 0 for the "
                          "whole run; check market.market_usd_per_month and market.market_growth_per_year",
                          RuntimeWarning, stacklevel=2)

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
        """Revenue, investment and exits through money (7.9): investors update their expectation, each source's
        pool is set (:meth:`_pools`) and shared among the labs it funds by standing and sales; a lab's income is
        its revenue (net of serving costs, negative when it prices below cost) plus its funding."""
        s, lp, mk = self.labs_state, self.scenario.labs, self.scenario.market
        s.revenue = self._revenue()
        g_m = mk.market_growth_per_year
        # each region's sales and their growth over 12 months relative to the market's (the market's growth until
        # a year of history exists), its best active capability, and the labs' standing weights (compiled)
        rev_r, ratio, mean_rev, x, best = region_funding_terms(s.region, s.active, s.capability, self.sales,
                                                               self._rev_hist[max(t - 12, 0)], t >= 12, g_m,
                                                               lp.funding_kappa, R)
        self._rev_hist[t], self._cap_hist[t] = rev_r, best
        self._update_expectation(t, np.log(ratio * g_m))
        pools = self._pools(t, rev_r)
        member = np.vstack([~s.venture, s.venture, np.ones(self.n_labs, dtype=bool)])
        funding, self.pools = lab_funding(s.region, s.active, np.exp(x), self.sales, mean_rev, pools, member)
        self.investment = self.pools.sum(axis=0)
        self._inv_hist[t] = self.investment
        s.income = s.revenue + funding
        self._exit_through_money(t)
        self._fund_entrants(t)

    def _update_expectation(self, t: int, sales_growth: np.ndarray) -> None:
        """Investors' adaptive expectation (7.9): each region's expected log growth a year moves
        ``1 / expectation_adjustment_months`` of the way to the signal: the log of its sales growth over 12 months
        (``sales_growth`` (R,)), plus ``capability_surprise_response`` x its frontier's progress over 12 months
        beyond the progress investors expected (OOM; itself adaptive with the same time constant, from the
        pre-start trend of effective compute), plus ``race_response`` x the other regions' 12-month log growth of
        investment minus its own (from month 13), clipped to log 0.1..log 10."""
        mk = self.scenario.market
        surprise = np.zeros(R)
        if t >= 12:
            now, before = self._cap_hist[t], self._cap_hist[t - 12]
            ok = np.isfinite(now) & np.isfinite(before)
            surprise[ok] = now[ok] - before[ok] - self.expect_progress[ok]
            self.expect_progress = self.expect_progress + surprise / mk.expectation_adjustment_months
        signal = sales_growth + mk.capability_surprise_response * surprise + mk.race_response * self._race(t)
        signal = np.clip(signal, np.log(0.1), np.log(10.0))
        self.expect_log = self.expect_log + (signal - self.expect_log) / mk.expectation_adjustment_months
        self.expectation = np.exp(mk.investment_horizon_years * (self.expect_log - self.expect_log0))
        if not self._warned_index and self.expectation.max() > EXPECTATION_WARNING:
            self._warned_index = True
            r = int(np.argmax(self.expectation))
            warnings.warn(f"investors' expectation index of {REGIONS[r]} reached {self.expectation[r]:.3g} in month {t + 1} of the run "
                          f"(> {EXPECTATION_WARNING:g}: investment {self.expectation[r]:.3g} times what sales would "
                          "fund, beyond what AI valuations have shown); check market.expectation_adjustment_months and "
                          "market.investment_horizon_years", RuntimeWarning, stacklevel=2)

    def _race(self, t: int) -> np.ndarray:
        """(R,) the other regions' 12-month log growth of investment minus the region's own, up to last month (0
        before month 13 or where a total is not positive)."""
        if t < 13:
            return np.zeros(R)
        now, before = self._inv_hist[t - 1], self._inv_hist[t - 13]
        other_now, other_before = now.sum() - now, before.sum() - before
        ok = (now > 0) & (before > 0) & (other_now > 0) & (other_before > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            race = np.log(other_now / other_before) - np.log(now / before)
        return np.where(ok, race, 0.0)

    def _pools(self, t: int, sales_r: np.ndarray) -> np.ndarray:
        """(3, R) USD/month each source offers each region's labs this month (docs/ODD.md 7.9, :data:`SOURCES`):
        parents ``P_r(0) x parent_cash_flow_growth_per_year ** (t / 12) x E_r``; venture ``v_r x Sales_r **
        investment_revenue_elasticity x E_r``; the state its government's ``state_investment_usd_per_year / 12``;
        ``E_r`` the expectation index."""
        mk = self.scenario.market
        parents = self.parent0 * mk.parent_cash_flow_growth_per_year ** (t / 12) * self.expectation
        venture = self.venture_multiple * sales_r ** mk.investment_revenue_elasticity * self.expectation
        state = np.array([self.governments[r].policy.state_investment_usd_per_year / 12 for r in REGIONS])
        return np.vstack([parents, venture, state])

    def _fund_entrants(self, t: int) -> None:
        """From ``labs.market_exit_from`` on, investors fund a new lab in region ``r`` with probability
        ``entry_rate_per_year / 12 x V_r / sum(V)`` a month (``V`` the venture pools) (one uniform draw per region), while the region has a
        free slot: it enters next month with ``compute_spend_share x entrant_funding_usd`` of chips at the list
        price (taken from the outside buyers' stock) and releases at once, as the roster's entrants do."""
        s, lp, c = self.labs_state, self.scenario.labs, self.scenario.compute
        if t < self.market_from or not self.slot.any() or t + 1 >= self.months:
            return
        venture = self.pools[1]  # investors fund start-ups
        total = float(venture.sum())
        draws = self.rng.random(R)
        if total <= 0:
            return
        list_price = chip_price(t, c.price_usd_per_h100e, c.price_perf_doubling_months)
        for r in range(R):
            if draws[r] >= lp.entry_rate_per_year / 12 * venture[r] / total:
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
