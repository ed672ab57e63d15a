"""The developers' side of the model (ODD 7.8): each month's choice of a model by the developers who review theirs,
and the payoff sample on which a releasing lab forecasts its market share open and closed.

:class:`Demand` is a mixin of :class:`sim.model.ecosystem.EcosystemModel`: its methods read the model's lab table
and policies and the developer population (``self.dev``); the choice model is in :mod:`sim.model.market`.
"""

from __future__ import annotations

import numpy as np

from sim import REGIONS
from sim.model.developers import DeveloperPopulation
from sim.model.market import (
    accessibility,
    choose,
    deterministic_utility,
    distrust_matrix,
    log_price,
    own_share,
)
from sim.scenario.schema import SEGMENTS

R = len(REGIONS)


class Demand:
    """Developer choice and the labs' payoff sample of :class:`~sim.model.ecosystem.EcosystemModel` (a mixin)."""

    def _setup_developers(self) -> None:
        """The developer population and its first choice among the models active at the start."""
        d, st = self.scenario.developers, self.labs_state
        self.dev = DeveloperPopulation(d, self.rng)
        self.distrust = np.array([d.foreign_distrust[r] for r in REGIONS])
        self.distrust_dev = np.array([d.distrust_dev_scale[r] for r in REGIONS])
        self.api_markup = np.array([d.api_markup[r] for r in REGIONS])
        self.group_region = np.repeat(np.arange(R), len(SEGMENTS))  # (R*S,) region of each developer group
        self.payoff_idx = np.sort(self.rng.choice(d.n, size=min(d.n, d.payoff_sample), replace=False))
        self.share = st.active / st.active.sum()
        everyone = np.arange(d.n)
        self.dev.chosen[:] = choose(self._utility(everyone), self._access(everyone), self.rng)
        self.adopters = self.dev.adopters(self.n_labs)
        self.share = self.adopters / d.n

    def _developers(self) -> None:
        d = self.dev
        access_now = self._access(np.arange(d.n))
        has = d.chosen >= 0
        lost = ~has | ~access_now[np.arange(d.n), np.where(has, d.chosen, 0)]
        review = (self.rng.random(d.n) < d.review_p) | lost
        idx = np.flatnonzero(review)
        if idx.size:
            v = self._utility(idx)
            w_lock = self.scenario.developers.w_lock
            keep = np.flatnonzero(~lost[idx])  # reviewers who may stay: switching away costs w_lock
            if w_lock and keep.size:
                v[keep, d.chosen[idx[keep]]] += w_lock
            d.chosen[idx] = choose(v, access_now[idx], self.rng)
        self.adopters = d.adopters(self.n_labs)
        self.share = self.adopters / d.n

    def _demand_matrices(self, lab_region: np.ndarray, lab_open: np.ndarray,
                         train_flop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(R, K) log10 price (USD per million tokens) and sovereignty distrust of the given models for developers
        of each region (:func:`sim.model.market.log_price`, :func:`sim.model.market.distrust_matrix`) under this month's
        policies."""
        p = self.scenario.developers
        lp = log_price(lab_region, lab_open, train_flop, api_markup=self.api_markup,
                       hosting_usd_per_mtok=p.hosting_usd_per_mtok, size_elasticity=p.hosting_size_elasticity,
                       chip_cost=self.chip_cost)
        dm = distrust_matrix(lab_region, lab_open, self.distrust, self.distrust_dev, p.open_sov_discount,
                             p.closed_hosting_discount, self.weight_block)
        return lp, dm

    def _utility(self, idx: np.ndarray, lab_open: np.ndarray | None = None) -> np.ndarray:
        s, d, p = self.labs_state, self.dev, self.scenario.developers
        op = s.open if lab_open is None else lab_open
        lp, dm = self._demand_matrices(s.region, op, s.train_flop)
        return deterministic_utility(
            d.w_cap[idx], d.w_open[idx], d.w_sov[idx], d.region[idx], d.group[idx], s.capability, op, self.share,
            c_scale=p.c_scale, log_price_rk=lp, distrust_rk=dm, w_price_group=d.w_price_group,
            group_region=self.group_region, w_net=p.w_net)

    def _access(self, idx: np.ndarray, lab_open: np.ndarray | None = None) -> np.ndarray:
        """(len(idx), K) accessibility for developers ``idx``: computed per developer group (region x segment:
        R*S x K), then indexed."""
        s = self.labs_state
        by_group = accessibility(self.group_region, s.region, s.open if lab_open is None else lab_open,
                                 self.api_block, self.ban_foreign_closed, self.open_ban_groups) & s.active[None, :]
        return by_group[self.dev.group[idx]]

    def _prepare_payoff_sample(self) -> None:
        """Cache ``exp(V - ref)`` of every model for the payoff sample (n_s x K) and its row sums, so a
        lab's counterfactual shares cost O(n_s) (DESIGN.md §4; labs evaluate them at each release)."""
        idx = self.payoff_idx
        self._ps_cmax = float(np.max(self.labs_state.capability[self.labs_state.active], initial=0.0))
        v = self._utility(idx)
        a = self._access(idx)
        v = np.where(a, v, -np.inf)
        self._ps_ref = np.where(a.any(axis=1), v.max(axis=1), 0.0)
        self._ps_exp = np.exp(v - self._ps_ref[:, None])
        self._ps_sum = self._ps_exp.sum(axis=1)
        # what a lab's counterfactual (its model open or closed) needs and its release does not change: the
        # sample's traits, each model's distrust and access if open / if closed (policies are fixed this month)
        d, st = self.dev, self.labs_state
        self._ps_traits = (d.w_cap[idx], d.w_open[idx], d.w_sov[idx], d.region[idx], d.group[idx])
        k = self.n_labs
        ones, zeros = np.ones(k, dtype=bool), np.zeros(k, dtype=bool)
        self._ps_dm2 = np.stack([self._demand_matrices(st.region, o, st.train_flop)[1] for o in (ones, zeros)], -1)
        self._ps_acc2 = np.stack([accessibility(self.group_region, st.region, o, self.api_block,
                                                self.ban_foreign_closed, self.open_ban_groups) for o in (ones, zeros)],
                                 -1)

    def _column_exp(self, i: int) -> np.ndarray:
        """(n_s, 2) ``exp(V_i - ref)`` of lab ``i``'s model as it is now, released open (column 0) and
        closed (column 1); 0 where inaccessible."""
        s, d, p = self.labs_state, self.dev, self.scenario.developers
        w_cap, w_open, w_sov, region_s, group_s = self._ps_traits
        both = np.array([True, False])
        cap, share = np.repeat(s.capability[i], 2), np.repeat(self.share[i], 2)
        # sim.model.market.log_price for the one model, open (column 0) and closed (column 1), inlined for speed
        flop = s.train_flop[i] if s.train_flop[i] > 0 else 1e25
        base = np.log10(p.hosting_usd_per_mtok) + p.hosting_size_elasticity * (np.log10(flop) - 25.0)
        log_chip = np.log10(self.chip_cost)
        g = s.region[i]
        lp = np.empty((R, 2))
        lp[:, 0] = base + log_chip
        lp[:, 1] = base + np.log10(self.api_markup[g]) + log_chip[g]
        v = deterministic_utility(
            w_cap, w_open, w_sov, region_s, group_s, cap, both, share,
            c_scale=p.c_scale, log_price_rk=lp, distrust_rk=self._ps_dm2[:, i, :], w_price_group=d.w_price_group,
            group_region=self.group_region, w_net=p.w_net, c_max=self._ps_cmax)
        acc = self._ps_acc2[:, i, :][group_s]
        return np.where(acc & s.active[i], np.exp(v - self._ps_ref[:, None]), 0.0)

    def counterfactual_shares(self, i: int) -> tuple[float, float]:
        """Expected market shares (share_open, share_closed) of lab ``i``'s current model released open or
        closed, every other model as it is, on the payoff sample (logit demand)."""
        others = self._ps_sum - self._ps_exp[:, i]
        e = self._column_exp(i)
        self._column_cache = (i, e)  # the release's own update reuses it (nothing it depends on changes between)
        return own_share(others, e[:, 0]), own_share(others, e[:, 1])

    def _update_payoff_sample(self, i: int) -> None:
        cached = getattr(self, "_column_cache", None)
        col = cached[1] if cached is not None and cached[0] == i else self._column_exp(i)
        self._column_cache = None
        new = col[:, 0 if self.labs_state.open[i] else 1]
        self._ps_sum += new - self._ps_exp[:, i]
        self._ps_exp[:, i] = new
