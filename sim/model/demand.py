"""The developers' side of the model (ODD 7.8): each month's choice of a model by the developers who review theirs,
and the payoff sample on which a releasing lab forecasts its market share open and closed.

:class:`Demand` is a mixin of :class:`sim.model.ecosystem.EcosystemModel`: its methods read the model's lab table
and policies and the developer population (``self.dev``); the choice model is in :mod:`sim.model.market`.

Layout: developers come in G = R x S groups (region x segment) and everything but their three tastes (``w_cap``,
``w_open``, ``w_sov``) is a property of the group: prices, distrust and access are (G, K) tables computed once per
call, not per developer. Utilities are held models x developers, (K, n), so that the reductions over models (the
best model, the logit's cumulative sum, the payoff sample's row sums) are a few whole-row operations; every number
is the same, bit for bit, as the (n, K) formulas of :func:`sim.model.market.deterministic_utility` and
:func:`sim.model.market.choose` (see :func:`sim.model.market.group_utility_t`).
"""

from __future__ import annotations

import numpy as np

from sim import REGIONS
from sim.model.developers import DeveloperPopulation
from sim.model.kernels import (
    column_rows,
    counterfactual_shares,
    draw,
    group_tables,
    model_rows,
    placed_row_sums,
    reviewers,
    settle,
    utilities,
    zero_blocked,
)
from sim.model.kernels_books import active_max, adopter_counts, replace_row
from sim.model.market import (
    NET_EPS,
    accessibility,
    distrust_matrix,
    log_price,
    row_sums_t,
)
from sim.scenario.schema import SEGMENTS

R = len(REGIONS)


class Demand:
    """Developer choice and the labs' payoff sample of :class:`~sim.model.ecosystem.EcosystemModel` (a mixin)."""

    def _setup_developers(self) -> None:
        """The developer population and its first choice among the models active at the start."""
        d, st = self.scenario.developers, self.labs_state
        self._ref_log_price = 0.0  # the market's typical log10 price, set when revenue is first booked
        self.dev = dev = DeveloperPopulation(d, self.rng)
        self.distrust = np.array([d.foreign_distrust[r] for r in REGIONS])
        self.distrust_dev = np.array([d.distrust_dev_scale[r] for r in REGIONS])
        self.group_region = np.repeat(np.arange(R), len(SEGMENTS))  # (R*S,) region of each developer group
        self.payoff_idx = idx = np.sort(self.rng.choice(d.n, size=min(d.n, d.payoff_sample), replace=False))
        # the payoff sample's tastes and its developers by group (fixed for the run; sorted by group, as dev is)
        self._ps_counts = np.bincount(dev.group[idx], minlength=len(self.group_region))
        self._ps_tastes()
        self._market_now = (-1, 0.0)  # (month, market_size()) for the payoff sample
        self._group_ids = np.arange(len(self.group_region) + 1)
        self._counts = np.zeros((len(self.group_region), self.n_labs + 1), dtype=np.int64)  # by group and model
        self._counts[:, 0] = np.bincount(dev.group, minlength=len(self.group_region))  # no model yet
        self._open_closed = np.tile(np.array([True, False]), self.n_labs)  # released open, closed: each lab's two
        self.share = st.active / st.active.sum()
        # no model yet: no switching cost
        self._choose(np.arange(d.n), np.ones(d.n, dtype=bool), ~self._group_access(np.arange(self.n_labs)))
        self._count_adopters()

    def _developers(self) -> None:
        """This month's reviews: developers whose model is no longer accessible, and each other developer with
        probability ``review_p``, choose again by logit among the models they may use (switching away costs
        ``w_lock``). Updates ``dev.chosen``, ``adopters`` (K,) and ``share`` (K,)."""
        d = self.dev
        blocked = ~self._group_access()  # (G, K)
        if self.without_model == 0 and not (blocked > self._blocked_at_choice).any():
            # every model chosen was accessible at the last choice and nothing has been blocked since: none is lost
            idx = (self.rng.random(d.n) < d.review_p).nonzero()[0]
            lost = np.zeros(idx.size, dtype=bool)
        else:
            has = d.chosen >= 0
            lost = ~has | blocked[d.group, np.where(has, d.chosen, 0)]
            idx = ((self.rng.random(d.n) < d.review_p) | lost).nonzero()[0]
            lost = lost[idx]
        if idx.size:
            self._choose(idx, lost, blocked)
        self._count_adopters()

    def _count_adopters(self) -> None:
        """``adopters`` (K,) developers on each model, ``share`` (K,) their share of all developers,
        ``without_model`` how many have none (int), and :meth:`group_adopters`' table, from the developers by group
        and model (``_counts``, kept by :meth:`_choose`)."""
        self._group_adopters, self.adopters, without = adopter_counts(self._counts)  # whole counts, compiled
        self.without_model = int(without)
        self.share = self.adopters / self.dev.n

    def _choose(self, idx: np.ndarray, lost: np.ndarray, blocked: np.ndarray) -> None:
        """Developers ``idx`` (sorted, (m,)) choose by logit among the models they may use (one uniform draw each);
        those not ``lost`` ((m,) bool: their model is still accessible) pay ``w_lock`` to switch away from it.
        ``blocked`` (G, K): this month's :meth:`_group_access`, negated. The numbers of
        :func:`sim.model.market.group_utility_t` and :func:`sim.model.market.choose_t`, in compiled loops
        (:mod:`sim.model.kernels`) around numpy's ``exp``."""
        d, s = self.dev, self.labs_state
        act = s.active.nonzero()[0]  # models inaccessible to everyone add nothing to the choice: leave them out
        chosen = np.full(idx.size, -1, dtype=np.int64)
        if act.size:
            c_rel, dist, per_group, blocked_act = self._group_tables(act)
            w_lock = float(self.scenario.developers.w_lock)
            wc, wo, ws, bounds, lock_row = reviewers(idx, d.chosen, lost, d.w_cap, d.w_open, d.w_sov, d.group, act,
                                                     self.n_labs, len(self.group_region))
            v = np.empty((act.size, idx.size))
            utilities(wc, wo, ws, bounds, c_rel, s.open[act], dist, per_group, blocked_act, act.size, lock_row, w_lock,
                      v)
            np.exp(v, out=v)
            zero_blocked(v, blocked_act, bounds)
            chosen = draw(v, self.rng.random(idx.size), np.concatenate((act, [self.n_labs - 1])))
        else:
            self.rng.random(idx.size)  # the draws choose_t takes with no model
        # what every model in use is accessible under (the next month's shortcut); a draw at the very top of the
        # cumulative sum takes the last model, possibly blocked: then no shortcut next month
        self._counts = counts = self._counts.copy()  # developers by group and model, no model first (G, 1 + K)
        in_use_blocked = settle(d.chosen, idx, chosen, d.group, blocked, counts)
        self._blocked_at_choice = np.zeros_like(blocked) if in_use_blocked else blocked

    def _ps_tastes(self) -> None:
        """``_ps_traits``: the payoff sample's tastes ``w_cap``, ``w_open``, ``w_sov`` (each (n_s,)), its groups' first
        developers (G + 1,) and no model kept by any (n_s,) -1 (:func:`sim.model.kernels.utilities`)."""
        d, idx = self.dev, self.payoff_idx
        bounds = np.concatenate([[0], np.cumsum(self._ps_counts)]).astype(np.uint64)
        self._ps_traits = (d.w_cap[idx], d.w_open[idx], d.w_sov[idx], bounds, np.full(idx.size, -1, dtype=np.int64))

    def _demand_matrices(self, lab_region: np.ndarray, lab_open: np.ndarray,
                         train_flop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(R, K) log10 price (USD per million tokens) and sovereignty distrust of the given models for developers
        of each region (:func:`sim.model.market.log_price`, :func:`sim.model.market.distrust_matrix`) under this month's
        policies: the reference formulation of what :meth:`_group_tables` gives per developer group."""
        p = self.scenario.developers
        lp = log_price(lab_region, lab_open, train_flop, api_markup=self.api_markup,
                       hosting_usd_per_mtok=p.hosting_usd_per_mtok, size_elasticity=p.hosting_size_elasticity,
                       chip_cost=self.chip_cost)
        dm = distrust_matrix(lab_region, lab_open, self.distrust, self.distrust_dev, p.open_sov_discount,
                             p.closed_hosting_discount, self.weight_block)
        return lp, dm

    def _policy_terms(self) -> dict[str, np.ndarray]:
        """What demand needs from the policies and the labs' regions, for each lab's model released open and closed
        (kept until the policies change: ``_refresh_policy`` clears it). (G, K) by developer group: ``dist_open``,
        ``dist_closed`` (:func:`sim.model.market.distrust_matrix`), ``acc_open``, ``acc_closed`` (bool,
        :func:`sim.model.market.accessibility`); ``log_chip`` (R,) log10 chip-cost multiplier; (K,) ``closed``
        ``log10(api_markup x chip_cost)`` of the lab's region (:func:`sim.model.market.log_price`'s closed term),
        ``markup`` and ``chip`` their two logs apart (the counterfactual columns' arithmetic)."""
        terms = getattr(self, "_policy_cache", None)
        if terms is not None:
            return terms
        p, region, gr = self.scenario.developers, self.labs_state.region, self.group_region
        both = (np.ones(self.n_labs, dtype=bool), np.zeros(self.n_labs, dtype=bool))
        dist = [distrust_matrix(region, o, self.distrust, self.distrust_dev, p.open_sov_discount,
                                p.closed_hosting_discount, self.weight_block)[gr] for o in both]
        acc = [accessibility(gr, region, o, self.api_block, self.ban_foreign_closed, self.open_ban_groups)
               for o in both]
        log_chip = np.log10(self.chip_cost)
        self._policy_cache = terms = {
            "dist_open": dist[0], "dist_closed": dist[1], "acc_open": acc[0], "acc_closed": acc[1], "log_chip": log_chip,
            "closed": np.log10(self.api_markup[region] * self.chip_cost[region]),
            "markup": np.log10(self.api_markup[region]), "chip": log_chip[region],
            "log_hosting": np.log10(p.hosting_usd_per_mtok)}
        return terms

    def _log_price_base(self, train_flop: np.ndarray) -> np.ndarray:
        """(k,) log10 serving cost (USD per million tokens) on frontier chips of models of ``train_flop`` (k,) FLOP
        (<= 0: 1e25), as :func:`sim.model.market.log_price` computes it."""
        p = self.scenario.developers
        flop = np.where(train_flop > 0, train_flop, 1e25)
        return self._policy_terms()["log_hosting"] + p.hosting_size_elasticity * (np.log10(flop) - 25.0)

    def _spend_factor(self, log_price: np.ndarray) -> np.ndarray:
        """A developer's spending (USD/month) on a model of ``log_price`` (any shape; log10 USD per million tokens)
        relative to its spending at the market's typical price (``_ref_log_price``: the mean log price of the models
        developers used when revenue was last booked, :meth:`sim.model.money.Money._revenue`): tokens fall as ``(price /
        typical) ** -elasticity``, so spending goes as ``(price / typical) ** (1 - elasticity)`` (docs/ODD.md 7.7;
        1 at unit elasticity). The level of spending is the market's (``market_usd_per_month``); the elasticity
        moves it between cheaper and dearer models."""
        d = self.scenario.developers
        if d.token_price_elasticity == 1.0:
            return np.ones_like(log_price)
        return 10.0 ** ((1.0 - d.token_price_elasticity) * (log_price - self._ref_log_price))

    def group_adopters(self) -> np.ndarray:
        """(G, K) developers of each group (region x segment) on each lab's model (counted by
        :meth:`_count_adopters` after each choice; not to be modified)."""
        return self._group_adopters

    def _group_access(self, labs: np.ndarray | None = None, lab_open: np.ndarray | None = None) -> np.ndarray:
        """(G, k) bool: developers of each group may use the current models of ``labs`` (k,; default: every lab)
        (active and accessible under this month's policies; ``lab_open`` (k,) overrides their strategy)."""
        s, pt = self.labs_state, self._policy_terms()
        if labs is None and lab_open is None:
            return np.where(s.open, pt["acc_open"], pt["acc_closed"]) & s.active
        op = s.open[labs] if lab_open is None else lab_open
        return np.where(op, pt["acc_open"][:, labs], pt["acc_closed"][:, labs]) & s.active[labs]

    def _group_tables(self, labs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """What the utility of the current models of ``labs`` (k,) needs, per developer group, under this month's
        policies and adoption: ``c_rel`` (k,) capability relative to the best lab's, over ``c_scale``; and (k, G)
        tables ``distrust``, the group terms ``w_net log(share + eps) - w_price_g log10(price)`` and ``blocked``
        (:func:`sim.model.kernels.group_tables`). The same numbers as :func:`sim.model.market.log_price` and
        :func:`~sim.model.market.distrust_matrix` give."""
        s, p, pt = self.labs_state, self.scenario.developers, self._policy_terms()
        log_flop = np.log10(np.where(s.train_flop > 0, s.train_flop, 1e25))
        c_rel, base, closed, net = model_rows(labs, s.capability, s.capability.max(), p.c_scale, log_flop,
                                              pt["log_hosting"], p.hosting_size_elasticity, pt["closed"],
                                              np.log(self.share + NET_EPS), p.w_net)
        return (c_rel, *self._tables(labs, s.open[labs], base, closed, net))

    def _tables(self, labs: np.ndarray, lab_open: np.ndarray, base: np.ndarray, closed_price: np.ndarray,
                net_term: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:func:`sim.model.kernels.group_tables` of the models of ``labs`` (k,), released open or not (``lab_open``)
        with log10 serving cost ``base``, closed price ``closed_price`` and network term ``net_term`` (each (k,))
        under this month's policies: (k, G) distrust, group terms and blocked."""
        pt = self._policy_terms()
        return group_tables(labs, lab_open, base, closed_price, net_term, self.dev.w_price_group, self.group_region,
                            pt["log_chip"], pt["dist_open"], pt["dist_closed"], pt["acc_open"], pt["acc_closed"],
                            self.labs_state.active)

    def _access(self, idx: np.ndarray, lab_open: np.ndarray | None = None) -> np.ndarray:
        """(len(idx), K) accessibility for developers ``idx``: computed per developer group (region x segment:
        R*S x K), then indexed."""
        return self._group_access(np.arange(self.n_labs), lab_open)[self.dev.group[idx]]

    def _prepare_payoff_sample(self, due: np.ndarray, capability: np.ndarray, train_flop: np.ndarray) -> None:
        """Cache ``exp(V - ref)`` of every active model for the payoff sample (``_ps_exp`` rows, n_s each, lab ``i``'s
        at row ``_ps_row[i]``; 0 where inaccessible)
        and its sums over models (``_ps_sum``, n_s), so a lab's counterfactual shares cost O(n_s) (DESIGN.md §4);
        ``ref`` (n_s,) is each developer's best accessible utility (0 without one). In the same arrays, the
        counterfactual columns of the labs releasing this month, ``due`` (D,), whose new models have ``capability``
        and ``train_flop`` (D,) (:meth:`_sample_tables`): ``_columns`` maps each to its (2, n_s) ``exp(V - ref)``
        released open (row 0) and closed (row 1)."""
        st = self.labs_state
        top, found = active_max(st.capability, st.active)  # np.max(capability[active], initial=0.0):
        self._ps_cmax = float(top) if found and not top <= 0.0 else 0.0  # 0 when below, NaN kept
        act = st.active.nonzero()[0]
        ka, n_cols = len(act), 2 * len(due)
        c_rel, lab_open, dist, per_group, b = self._sample_tables(act, due, capability, train_flop)
        w_cap, w_open, w_sov, bounds, no_lock = self._ps_traits
        n_s = w_cap.size
        v = np.empty((ka + n_cols, n_s))
        self._ps_ref = utilities(w_cap, w_open, w_sov, bounds, c_rel, lab_open, dist, per_group, b, ka, no_lock, 0.0,
                                 v)
        with np.errstate(over="ignore"):  # an inaccessible counterfactual's term may overflow; it is set to 0
            np.exp(v, out=v)
        zero_blocked(v, b, bounds)
        self._ps_exp, self._ps_row = v, np.full(self.n_labs, -1)  # the active models' rows: lab i's is _ps_row[i]
        self._ps_row[act] = np.arange(ka)
        if self.n_labs <= 128:
            self._ps_sum = placed_row_sums(v[:ka], act, self.n_labs)
        else:
            dense = np.zeros((self.n_labs, n_s))
            dense[act] = v[:ka]
            self._ps_sum = row_sums_t(dense)
        self._columns = dict(zip(due.tolist(), v[ka:].reshape(len(due), 2, n_s), strict=True))

    def _sample_tables(self, act: np.ndarray, due: np.ndarray, capability: np.ndarray,
                       train_flop: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The payoff sample's rows: the current models of the active labs ``act`` (ka,) (:meth:`_group_tables`),
        then the new models of the labs ``due`` (D,) with the given ``capability`` and ``train_flop`` (D,), each
        released open and closed (rows ka + 2d, ka + 2d + 1; :func:`sim.model.kernels.column_rows`: ``c_rel`` relative to the
        best active model when the payoff sample was prepared, prices in :func:`sim.model.market.log_price`'s
        arithmetic for one model, closed ``base + log10(markup) + log10(chip cost)``; shares and policies as now).
        Returns ``c_rel`` (ka + 2D,), ``lab_open`` (ka + 2D,) and (ka + 2D, G) ``distrust``, group terms and
        ``blocked``."""
        s, p, pt = self.labs_state, self.scenario.developers, self._policy_terms()
        log_share = np.log(self.share + NET_EPS)
        c_rel, base, closed, net = model_rows(act, s.capability, s.capability.max(), p.c_scale,
                                              np.log10(np.where(s.train_flop > 0, s.train_flop, 1e25)),
                                              pt["log_hosting"], p.hosting_size_elasticity, pt["closed"], log_share,
                                              p.w_net)
        lab2, c_col, base_col, closed_col, net_col = column_rows(
            due, capability, np.log10(np.where(train_flop > 0, train_flop, 1e25)), self._ps_cmax, p.c_scale,
            pt["log_hosting"], p.hosting_size_elasticity, pt["markup"], pt["chip"], log_share, p.w_net)
        labs, lab_open = np.concatenate([act, lab2]), np.concatenate([s.open[act], self._open_closed[:len(lab2)]])
        return (np.concatenate([c_rel, c_col]), lab_open,
                *self._tables(labs, lab_open, np.concatenate([base, base_col]), np.concatenate([closed, closed_col]),
                              np.concatenate([net, net_col])))

    def counterfactual_demand(self, i: int) -> tuple[float, float, float, float]:
        """Lab ``i``'s new model released open or closed, every other model as it is, on the payoff sample (logit
        demand): its expected market shares (share_open, share_closed), each in [0, 1], and its adopters' expected
        spending on its tokens (spend_open, spend_closed), USD/month: ``market x mean(p_j x spend factor_j)`` over the
        sample's developers j (:meth:`_spend_factor` at the price each would pay). For a lab releasing this month
        (its model prepared by :meth:`_prepare_payoff_sample`, its ``train_flop`` set)."""
        p, share_open, share_closed = counterfactual_shares(self._ps_sum, self._ps_exp[self._ps_row[i]],
                                                             self._columns[i])
        if self.scenario.developers.token_price_elasticity == 1.0:
            spend = (share_open, share_closed)
        else:
            pt, st = self._policy_terms(), self.labs_state
            base = self._log_price_base(st.train_flop[i:i + 1])[0]
            lp = np.stack([base + pt["log_chip"], np.full(R, base + pt["closed"][i])])  # (2, R): open, closed
            w = np.repeat(self._spend_factor(lp)[:, self.group_region], self._ps_counts, axis=1)  # (2, n_s)
            spend = (p * w).mean(axis=1)
        if self._market_now[0] != self.t:
            self._market_now = (self.t, self.market_size())
        market = self._market_now[1]
        return share_open, share_closed, float(market * spend[0]), float(market * spend[1])

    def _update_payoff_sample(self, i: int) -> None:
        """Put lab ``i``'s released model (open or closed as chosen) into the payoff sample's cache."""
        new = self._columns.pop(i)[0 if self.labs_state.open[i] else 1]
        replace_row(self._ps_sum, self._ps_exp[self._ps_row[i]], new)  # _ps_sum += new - row; row[:] = new
