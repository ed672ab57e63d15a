"""EcosystemModel: labs, developers and governments competing month by month (DESIGN.md §3).

The model imports only the submodels and agents below it; runners, plots and the CLI import it.
"""

from __future__ import annotations

from collections import defaultdict

import mesa
import numpy as np
import pandas as pd

from sim import REGIONS
from sim.capability import eci_from_capability, signed_lag
from sim.compute import (
    PRE_START_COMPUTE_GROWTH_PER_YEAR,
    algorithmic_efficiency,
    alt_supply_cap,
    buy_alt_chips,
    chip_price,
    clear_chip_market,
    depreciate,
    effective_control,
    flop_per_h100e_month,
    initial_world_stock,
    split_chip_money,
    world_production,
)
from sim.developers import DeveloperPopulation
from sim.distillation import distilled_capability, reachable_teachers
from sim.governments import GovernmentAgent
from sim.labs import Lab, LabTable, RosterError, check_roster_start, load_roster
from sim.market import (
    accessibility,
    chip_cost_multiplier,
    choose,
    deterministic_utility,
    distrust_matrix,
    log_price,
    own_share,
)
from sim.reporters import MODEL_REPORTERS, StepView, step_view
from sim.scenario import ANCHOR_MONTH, SEGMENTS, Scenario, month_index

R = len(REGIONS)
US, CN = REGIONS.index("US"), REGIONS.index("CN")
STRATS = ("open", "closed")


def month_label(start: str, t: int) -> str:
    """``YYYY-MM`` of month ``t`` (0-based) after ``start``."""
    y, m = int(start[:4]), int(start[5:7])
    k = y * 12 + (m - 1) + t
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def _age_months(start: str, date: object) -> float:
    """Months from ``date`` (YYYY-MM[-DD], or blank/NaN) to ``start``; 0 when unknown or after the start."""
    if not isinstance(date, str) or len(date) < 7:
        return 0.0
    try:
        return float(max(0, month_index(date[:7], start)))
    except ValueError:
        return 0.0


ENTRANT_SLOT_ENTRY = "2200-01"
"""Roster entry month of an investor-funded entrant's slot: after any scenario's horizon, so only investors
activate it (7.9)."""


def _entrant_slots(roster: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` roster rows for investor-funded entrants, regions in turn (US, CN, EU, ROW, US, ...), named "New lab
    <region> <k>", with their region's mean ``open_bias``; compute and entry are set when investors fund them."""
    rows = []
    for j in range(n):
        r = REGIONS[j % len(REGIONS)]
        bias = roster.loc[roster["region"] == r, "open_bias"]
        rows.append({"name": f"New lab {r} {j // len(REGIONS) + 1}", "region": r, "training_compute_flop": 1e24,
                     "strategy": "CLOSED", "open_bias": float(bias.mean()) if len(bias) else 0.0,
                     "entry": ENTRANT_SLOT_ENTRY, "exit": "", "efficiency_oom": 0.0, "latest_release": ""})
    return pd.DataFrame(rows, columns=roster.columns) if rows else roster.iloc[:0]


def _check_lifetimes(entry: np.ndarray, exit_: np.ndarray, sc: Scenario, source: str, exits: list) -> None:
    """Raise RosterError when some month has no active lab. (A lab that exits at or before the start is simply
    absent, as it should be for a scenario that starts later than the roster's date.)"""
    months = np.arange(sc.months)
    alive = (np.maximum(entry, 0)[None, :] <= months[:, None]) & (exit_[None, :] > months[:, None])
    empty = np.flatnonzero(~alive.any(axis=1))
    if empty.size:
        raise RosterError(f"{source}: no lab is active in {month_label(sc.start, int(empty[0]))} (every lab has "
                          "left or not yet entered); the model needs at least one active lab in every month")


class EcosystemModel(mesa.Model):
    """Agent-based model of the AI ecosystem (DESIGN.md).

    Parameters
    ----------
    scenario : a validated :class:`~sim.scenario.Scenario`.
    seed : int seed of this replication (default: ``scenario.seed``). Seeds both ``model.rng`` (numpy) and
        ``model.random`` (stdlib, used by ``AgentSet.shuffle_do``), so a seed fixes the whole run.
    roster : optional DataFrame of labs (columns of :func:`sim.labs.load_roster`); default: the scenario's
        roster file.

    After ``run()`` (or ``months`` calls to ``step()``), :meth:`timeseries`, :meth:`lab_panel` and
    :meth:`release_log` return the outputs of DESIGN.md §6 as DataFrames.

    Raises RosterError for a bad roster file.
    """

    def __init__(self, scenario: Scenario, seed: int | None = None, roster: pd.DataFrame | None = None):
        self.seed_value = int(scenario.seed if seed is None else seed)
        super().__init__(rng=self.seed_value)
        self.scenario = sc = scenario
        self.months = sc.months
        c = sc.compute
        self.fpm = flop_per_h100e_month(c.h100e_peak_flops, c.utilization)
        # ECI of capability 0: the affine output mapping's intercept for this start date (7.6)
        self._eci_offset = eci_from_capability(0.0, eci_per_oom=c.eci_per_oom, eci_ref=c.eci_ref,
                                               tau_alg_months=c.tau_alg_months, start=sc.start)
        self.pre_slope = (np.log10(PRE_START_COMPUTE_GROWTH_PER_YEAR) + 12 / c.tau_alg_months * np.log10(2)) / 12
        self.t = 0

        # governments
        self.governments: dict[str, GovernmentAgent] = {
            r: GovernmentAgent(self, r, sc.governments[r]) for r in REGIONS}
        self.events = defaultdict(list)
        for ev in sc.events:
            self.events[month_index(sc.start, ev.month)].append(ev)
        self._refresh_policy()

        # labs
        roster_given = roster
        roster = load_roster(sc.roster_path()) if roster is None else roster
        check_roster_start(roster, sc.start, sc.roster_path())
        n_roster = len(roster)
        roster = pd.concat([roster, _entrant_slots(roster, sc.labs.max_market_entrants)], ignore_index=True)
        k = len(roster)
        cycle = sc.labs.release_cycle_months
        c0 = np.array(roster["training_compute_flop"], dtype=float)
        phase = self.rng.integers(0, cycle, size=k)
        entry_col = roster["entry"] if "entry" in roster else pd.Series([""] * k)
        entry = np.array([month_index(sc.start, e) if e else 0 for e in entry_col], dtype=int)
        exit_col = roster["exit"] if "exit" in roster else pd.Series([""] * k)
        exit_ = np.array([month_index(sc.start, e) if e else 10**9 for e in exit_col], dtype=int)
        _check_lifetimes(entry, exit_, sc, str(sc.roster_path()) if roster_given is None else "roster",
                         list(exit_col))
        active = (entry <= 0) & (exit_ > 0)
        eff_oom = np.array(roster["efficiency_oom"] if "efficiency_oom" in roster else np.zeros(k), dtype=float)
        phase = np.where(active, phase, entry % cycle)  # an entrant releases in its entry month
        # Compute that trained such a model over one cycle (closed labs first serve their API: about
        # inference_intensity of their compute), grown along the world chip supply's growth path (production
        # growth; chips are counted in H100e, so price-performance does not enter) from the middle of that cycle
        # to now (the model is `age` months old; entrants: age 0); and the income whose chip purchases keep the
        # stock on that path at the list price: monthly purchases = stock x (monthly growth - 1 + 1/depreciation).
        ch = sc.chips
        self.anchor = month_index(sc.start, ANCHOR_MONTH)  # month index of the anchor (may be < 0 or > months)
        self.change = month_index(ANCHOR_MONTH, sc.projection_from)  # months from the anchor to the projection
        g_year = np.full(k, ch.production_growth_per_year)
        age = np.array([_age_months(sc.start, d) for d in roster.get("latest_release", [""] * k)])
        age = np.where(entry > 0, 0.0, age)
        lift = g_year ** ((age + cycle / 2) / 12)
        serve0 = np.where(np.array(roster["strategy"] == "OPEN", dtype=bool), 0.0, min(c.inference_intensity,
                                                                                       c.max_inference_share))
        self.k0 = lift * c0 / (c.train_share * (1 - serve0) * c.final_run_share * self.fpm * cycle)
        # purchases cannot be negative (issue 17: negative income made compute negative)
        self.income0 = np.maximum(0.0, self.k0 * c.price_usd_per_h100e
                                  * (g_year ** (1 / 12) - 1 + 1 / c.depreciation_months) / sc.labs.compute_spend_share)
        self.c0 = c0
        self.lift = lift
        months_to_release = phase % cycle
        self.labs_state = LabTable(
            region=np.array([REGIONS.index(r) for r in roster["region"]]),
            open=np.array(roster["strategy"] == "OPEN", dtype=bool) & active,
            compute=np.where(active, self.k0, 0.0),
            # a model released `age` months before the start has lost that much algorithmic progress
            capability=np.log10(c0) + eff_oom + np.log10(algorithmic_efficiency(-age, c.tau_alg_months)),
            accrued=np.where(active, lift * c0 * (cycle - months_to_release) / cycle, 0.0),
            train_flop=c0.copy(),
            income=np.where(active, self.income0, 0.0),
            revenue=np.zeros(k),
            quality=np.ones(k),
            phase=phase,
            open_bias=np.array(roster["open_bias"], dtype=float),
            active=active,
            entry=entry,
            exit=exit_,
            efficiency=eff_oom,
        )
        self.slot = np.arange(k) >= n_roster  # investor-funded entrant slots (7.9), inactive until funded
        self.lab_agents: list[Lab] = [Lab(self, i, row.name, row.region) for i, row in enumerate(roster.itertuples())]
        self.n_labs = k
        reg = self.labs_state.region
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
        self.market_from = month_index(sc.start, sc.labs.market_exit_from)  # exits and funded entry from here
        self.investment = np.zeros(R)
        self.state_funding = np.zeros(R)
        self._short = np.zeros(k, dtype=int)  # months in a row a lab's chip budget has not covered its depreciation
        self._rev_hist = np.zeros((self.months, R))  # each region's revenue, for investors' growth expectations

        # developers
        d = sc.developers
        self.dev = DeveloperPopulation(d, self.rng)
        self.distrust = np.array([d.foreign_distrust[r] for r in REGIONS])
        self.distrust_dev = np.array([d.distrust_dev_scale[r] for r in REGIONS])
        self.api_markup = np.array([d.api_markup[r] for r in REGIONS])
        self.group_region = np.repeat(np.arange(R), len(SEGMENTS))  # (R*S,) region of each developer group
        self.payoff_idx = np.sort(self.rng.choice(d.n, size=min(d.n, d.payoff_sample), replace=False))
        self.share = active / active.sum()
        everyone = np.arange(d.n)
        self.dev.chosen[:] = choose(self._utility(everyone), self._access(everyone), self.rng)
        self.adopters = self.dev.adopters(k)
        self.share = self.adopters / d.n
        # investors: each region's investment is a multiple of its labs' revenue, set so that the budgets at the
        # start are the incomes that sustain the labs' initial compute (7.4); afterwards it moves with revenue
        self.labs_state.revenue = self._revenue()
        rev0 = np.bincount(reg[active], weights=self.labs_state.revenue[active], minlength=R)
        inv0 = np.maximum(0.0, np.bincount(reg[active], weights=self.income0[active], minlength=R) - rev0)
        eps = sc.market.investment_revenue_elasticity
        world_v = inv0.sum() / rev0.sum() ** eps if rev0.sum() > 0 else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            self.invest_multiple = np.where(rev0 > 0, inv0 / np.where(rev0 > 0, rev0, 1.0) ** eps, world_v)

        # recorders
        self._rec: dict[str, np.ndarray] = defaultdict(lambda: np.full(self.months, np.nan))
        self._panel = {f: np.zeros((self.months, k))
                       for f in ("capability", "compute", "adopters", "revenue", "open", "active", "train_flop")}
        st = self.labs_state
        # the models that exist at the start: teachers for releases before the distillation delay has passed
        self._snap0 = {"capability": st.capability.copy(), "open": st.open.copy(), "active": st.active.copy(),
                       "train_flop": st.train_flop.copy()}
        self._releases: list[dict] = []
        self._hist = {key: np.full(self.months, -np.inf) for key in ("closed", "open", "flop_closed", "flop_open")}
        # best physical training compute (log10 FLOP) released so far, by strategy; starts from the roster
        lab_open0 = self.labs_state.open
        self._best_flop = {
            "open": float(np.log10(c0[active & lab_open0].max())) if (active & lab_open0).any() else -np.inf,
            "closed": float(np.log10(c0[active & ~lab_open0].max())) if (active & ~lab_open0).any() else -np.inf}
        self.pre_slope_flop = np.log10(PRE_START_COMPUTE_GROWTH_PER_YEAR) / 12
        self._reg_hist = np.full((R, self.months), -np.inf)

    # ------------------------------------------------------------------ helpers used by agents
    def efficiency(self) -> float:
        """Algorithmic efficiency A(t) at the current month (relative to the start)."""
        return float(algorithmic_efficiency(self.t, self.scenario.compute.tau_alg_months))

    def eci(self, c: float | np.ndarray) -> float | np.ndarray:
        """Capability ``c`` (log10 effective FLOP) on Epoch's Capabilities Index (:func:`eci_from_capability`)."""
        slope = self.scenario.compute.eci_per_oom
        if np.ndim(c) == 0:
            return self._eci_offset + slope * c if np.isfinite(c) else float("nan")
        c = np.asarray(c, dtype=float)
        return np.where(np.isfinite(c), self._eci_offset + slope * c, np.nan)

    def teacher_snapshot(self) -> dict[str, np.ndarray]:
        """The labs' models as they were ``labs.distill_delay_months`` ago (capability, open, active, train_flop;
        each (K,)): what a release this month can learn from. Before the delay has passed, the models at the start."""
        back = self.t - self.scenario.labs.distill_delay_months
        if back < 0:
            return self._snap0
        return {f: self._panel[f][back] for f in ("capability", "open", "active", "train_flop")}

    def distill(self, i: int, own: float, own_flop: float) -> tuple[float, int]:
        """Capability of lab ``i``'s release after distillation (:func:`sim.distillation.distilled_capability`)
        from the best teacher it can reach: another lab's model released at least the delay ago, open weights,
        or a closed API that still serves lab ``i``'s region (its government's ``api_block``; the student's government's
        ``ban_foreign_closed`` binds developers, not labs); open weights whose origin lab ``i``'s government bans
        for enterprises (``ban_foreign_open`` with ``enterprise`` in ``ban_segments``) are out of reach. Returns
        (capability, teacher index or -1)."""
        s, p = self.labs_state, self.scenario.labs
        snap = self.teacher_snapshot()
        was_active = snap["active"] > 0
        # a government's ban on foreign closed APIs restricts services to its developers, not its labs' research
        # access: only the lab's own government's API block closes the API channel (issue 15)
        eff = reachable_teachers(int(s.region[i]), s.region, snap["open"] > 0, s.active, self.api_block,
                                 np.zeros(R, dtype=bool), p.api_distill_efficiency, self.lab_open_ban[s.region[i]])
        eff = np.where(was_active, eff, 0.0)
        eff[i] = 0.0
        return distilled_capability(own, own_flop, snap["capability"], snap["train_flop"], eff,
                                    p.distill_share_at_parity, p.distill_compute_elasticity)

    def market_size(self, t: int | None = None) -> float:
        """World developer market in month ``t`` (default: this month), USD/month: ``market_usd_per_month`` at
        2024-07, growing ``market_growth_per_year`` both ways."""
        mk = self.scenario.market
        return world_production((self.t if t is None else t) - self.anchor, mk.market_usd_per_month,
                                mk.market_growth_per_year, mk.market_growth_after_per_year, self.change)

    def production(self, t: int) -> float:
        """World production of frontier AI chips in month ``t`` (H100e/month; :func:`sim.compute.world_production`)."""
        ch = self.scenario.chips
        return world_production(t - self.anchor, ch.production_h100e_per_month, ch.production_growth_per_year,
                                ch.production_growth_after_per_year, self.change)

    def final_run_share(self, t: int) -> float:
        """Share of a lab's training compute in its final run in month ``t``: ``final_run_share`` at the start,
        scaled by the final run's length (``run_duration_months`` at 2024-07, growing ``run_duration_growth_per_year``
        up to ``max_run_duration_months``) relative to its length at the start; at most 1."""
        c = self.scenario.compute

        def length(k: int) -> float:
            return min(c.max_run_duration_months,
                       c.run_duration_months * c.run_duration_growth_per_year ** ((k - self.anchor) / 12))
        return min(1.0, c.final_run_share * length(t) / length(0))

    def outside_demand(self, t: int) -> float:
        """Chip spending of the buyers outside the model in month ``t`` (USD/month)."""
        ch, mk = self.scenario.chips, self.scenario.market
        return world_production(t - self.anchor, ch.outside_demand_usd_per_month, ch.outside_demand_growth_per_year,
                                mk.market_growth_after_per_year, self.change)

    def inference_need(self, share: float | np.ndarray) -> float | np.ndarray:
        """H100e a closed lab needs to serve a given share of all developers."""
        return self.scenario.compute.inference_intensity * self.labs_state.compute.sum() * share

    def _refresh_policy(self) -> None:
        """Rebuild the policy arrays from the governments' current state."""
        g = self.governments
        self.export_control = np.array([[g[a].policy.export_control.get(b, 0.0) for b in REGIONS] for a in REGIONS])
        self.leakage = np.array([g[a].policy.leakage for a in REGIONS])
        self.api_block = np.array([[b in g[a].policy.api_block for b in REGIONS] for a in REGIONS])
        self.ban_foreign_closed = np.array([g[a].policy.ban_foreign_closed for a in REGIONS])
        self.subsidy = np.array([g[a].policy.subsidy_rate for a in REGIONS])
        self.compliant = np.array([[g[a].policy.compliant_exports.get(b, 1.0) for b in REGIONS] for a in REGIONS])
        # developers: bans on foreign open weights by (developer region, segment) x origin; labs count as
        # enterprises (a ban covering enterprises also stops the region's labs distilling those models)
        ban = np.array([[b in g[a].policy.ban_foreign_open and b != a for b in REGIONS] for a in REGIONS])  # (R, R)
        covers = np.array([[k in g[a].policy.ban_segments for k in SEGMENTS] for a in REGIONS])  # (R, S)
        self.open_ban_groups = (ban[:, None, :] & covers[:, :, None]).reshape(R * len(SEGMENTS), R)
        self.lab_open_ban = ban & covers[:, SEGMENTS.index("enterprise")][:, None]
        self.weight_block = np.array([[b in g[a].policy.weight_export_control and b != a for b in REGIONS]
                                      for a in REGIONS])
        theta, leak, _ = effective_control(self.export_control, self.leakage, self.compliant)
        self.chip_cost = chip_cost_multiplier(theta * (1.0 - leak), self.scenario.compute.eta_alt)

    def _demand_matrices(self, lab_region: np.ndarray, lab_open: np.ndarray,
                         train_flop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(R, K) log10 price (USD per million tokens) and sovereignty distrust of the given models for developers
        of each region (:func:`sim.market.log_price`, :func:`sim.market.distrust_matrix`) under this month's
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
        # sim.market.log_price for the one model, open (column 0) and closed (column 1), inlined for speed
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

    def on_release(self, lab: Lab, old: float, prob: float, pi_open: float, pi_closed: float,
                   share_open: float, share_closed: float, own: float = float("nan"), teacher: int = -1) -> None:
        """Log a release (called by the lab) and update the payoff-sample cache with the new model."""
        s = self.labs_state
        i = lab.i
        self._update_payoff_sample(i)
        key = "open" if s.open[i] else "closed"
        if s.train_flop[i] > 0:
            self._best_flop[key] = max(self._best_flop[key], float(np.log10(s.train_flop[i])))
        self._releases.append({
            "month": self.t, "date": month_label(self.scenario.start, self.t), "lab": lab.name,
            "region": lab.region, "strategy": "OPEN" if s.open[i] else "CLOSED",
            "capability": float(self.eci(s.capability[i])), "previous_capability": float(self.eci(old)),
            "own_capability": float(self.eci(own)), "teacher": self.lab_agents[teacher].name if teacher >= 0 else "",
            "train_flop": float(s.train_flop[i]), "p_open": prob, "pi_open": pi_open, "pi_closed": pi_closed,
            "share_open": share_open, "share_closed": share_closed})

    # ------------------------------------------------------------------ the monthly step
    def step(self) -> None:
        """One month, in DESIGN.md §3 order: policy, chips, training, releases, developers, accounting, data."""
        self.t = t = self.steps - 1
        if t >= self.months:
            raise RuntimeError(f"the scenario has {self.months} months; step {t + 1} is past the horizon")
        self._policy(t)
        self._enter(t)
        self._chips(t)
        self._train()
        s, cycle = self.labs_state, self.scenario.labs.release_cycle_months
        due = [a for a in self.lab_agents if s.active[a.i] and (t - s.phase[a.i]) % cycle == 0]
        if due:
            self._prepare_payoff_sample()
            mesa.agent.AgentSet(due, random=self.random).shuffle_do("release")
        self._developers()
        self._accounting(t)
        self._record(t)

    def run(self) -> EcosystemModel:
        """Run all months of the scenario; returns self."""
        for _ in range(self.months - self.steps):
            self.step()
        return self

    def _policy(self, t: int) -> None:
        changed = False
        for ev in self.events.get(t, ()):
            self.governments[ev.government].apply(ev)
            changed = True
        if t > 0:
            for gov in self.governments.values():
                if gov.policy.reaction is not None:
                    rival = REGIONS.index(gov.policy.reaction.rival)
                    lag_rival = self._region_lag(gov.region_index, rival, t - 1)
                    before = gov.reactions
                    gov.react(t, lag_rival, -lag_rival)
                    changed |= gov.reactions != before
        if changed:
            self._refresh_policy()

    def _region_lag(self, leader: int, follower: int, t: int) -> float:
        """Months by which region ``follower`` trails region ``leader`` at month ``t`` (regional frontier
        histories; NaN when either region has no labs)."""
        hist = self._reg_hist
        if not np.isfinite(hist[leader, t]) or not np.isfinite(hist[follower, t]):
            return float("nan")
        return signed_lag(hist[leader], hist[follower], t, self.pre_slope)

    def _enter(self, t: int) -> None:
        """Labs whose exit month is ``t`` leave (their models are no longer offered); labs whose entry month is
        ``t`` enter with the compute of their first model and release it now (capability set at release, with
        distillation)."""
        s = self.labs_state
        self.t = t
        gone = np.flatnonzero((s.exit == t) & s.active)
        if gone.size:
            s.active[gone] = False
            s.open[gone] = False
            s.compute[gone] = 0.0
            s.income[gone] = 0.0
            s.revenue[gone] = 0.0
            s.accrued[gone] = 0.0
        new = np.flatnonzero((s.entry == t) & (t > 0) & (s.exit > t))
        if new.size == 0:
            return
        s.active[new] = True
        # an entrant's first compute is bought (or rented) from the chips the outside buyers hold: never more
        outside_stock = max(0.0, self.world_stock + self.alt_stock - float(s.compute[s.active].sum())
                            + float(s.compute[new].sum()))
        want = self.k0[new]
        s.compute[new] = want * min(1.0, outside_stock / want.sum()) if want.sum() > 0 else 0.0
        s.income[new] = self.income0[new]
        s.accrued[new] = self.c0[new] * self.lift[new]
        s.capability[new] = np.log10(self.c0[new] * self.efficiency()) + s.efficiency[new]  # raised at release

    def _chips(self, t: int) -> None:
        """Chip budgets buy from the world market (7.3): controlled money goes to alternative chips; frontier chips
        clear at ``max(list price, demand / production)``; stocks depreciate."""
        s, c = self.labs_state, self.scenario.compute
        own = self.scenario.labs.compute_spend_share * s.income * s.active
        money = own / (1.0 - self.subsidy[s.region])
        self.state_funding = np.bincount(s.region, weights=money - own, minlength=R)
        theta, leak, allowed = effective_control(self.export_control, self.leakage, self.compliant)
        list_price = chip_price(t, c.price_usd_per_h100e, c.price_perf_doubling_months)
        supply = self.production(t)
        outside = self.outside_demand(t)
        frontier_money, alt_money = split_chip_money(money, s.region, theta, leak)
        frontier, price, outside_h100e = clear_chip_market(frontier_money, outside, supply, list_price)
        alt_cap = alt_supply_cap(t - self.anchor, self.alt0, c.alt_supply_growth_per_year, self.compliant_share,
                                 allowed, c.alt_supply_growth_after_per_year, self.change)
        alt = buy_alt_chips(alt_money, s.region, list_price / c.eta_alt, alt_cap)
        dep = c.depreciation_months
        s.compute = depreciate(s.compute, dep) + frontier + alt
        sold = float(frontier.sum()) + outside_h100e
        self.world_stock = float(depreciate(self.world_stock, dep)) + sold
        self.alt_stock = float(depreciate(self.alt_stock, dep)) + float(alt.sum())
        controlled = theta > 0  # alternative chips are on offer only where a control binds
        self.money = {"production": supply, "price": price, "list_price": list_price, "sold": sold,
                      "outside": outside_h100e, "alt_supply": float(alt_cap[controlled].sum())}
        self._depreciation_cost = s.compute / c.depreciation_months * list_price

    def _train(self) -> None:
        s, c = self.labs_state, self.scenario.compute
        need = np.where(s.open, 0.0, self.inference_need(self.share))
        serve = np.minimum(need, c.max_inference_share * s.compute)
        s.quality = np.where(need > 0, serve / np.where(need > 0, need, 1.0), 1.0)
        s.accrued += c.train_share * (s.compute - serve) * self.fpm * self.final_run_share(self.t) * s.active

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

    def _revenue(self) -> np.ndarray:
        """(K,) each lab's revenue this month (USD): its developers' share of the market, at the closed margin
        (times the share of its API demand it can serve) or the open-weight capture."""
        s, lp = self.labs_state, self.scenario.labs
        return self.share * self.market_size() * np.where(s.open, lp.open_capture, lp.margin * s.quality) * s.active

    def _accounting(self, t: int) -> None:
        """Revenue, investment and exits through money (7.4): each region's investment is ``v_r x revenue_r x
        (12-month revenue growth / market growth) ** elasticity``, split among its labs by standing."""
        s, lp = self.labs_state, self.scenario.labs
        s.revenue = self._revenue()
        act = s.active
        rev_r = np.bincount(s.region, weights=s.revenue, minlength=R)
        self._rev_hist[t] = rev_r
        g_m = self.scenario.market.market_growth_per_year
        # investors' expectation: the region's revenue growth over the last 12 months (the market's growth until
        # a year of history exists)
        past = self._rev_hist[t - 12] if t >= 12 else rev_r / g_m
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # clipped below
            growth = np.where(past > 0, rev_r / np.where(past > 0, past, 1.0), g_m)
        expect = np.clip(growth / g_m, 0.1, 10.0) ** self.scenario.market.investment_expectation_elasticity
        self.investment = self.invest_multiple * rev_r ** self.scenario.market.investment_revenue_elasticity * expect
        cap = np.where(act, s.capability, -np.inf)
        c_max = np.full(R, -np.inf)
        np.maximum.at(c_max, s.region, cap)  # each region's best active lab (0 for a region without one)
        c_max = np.where(np.isfinite(c_max), c_max, 0.0)
        n_r = np.bincount(s.region[act], minlength=R)
        mean_rev = rev_r / np.maximum(n_r, 1)
        w = np.where(act, np.exp(lp.funding_kappa * (cap - c_max[s.region])) * (s.revenue + mean_rev[s.region]), 0.0)
        w_sum = np.bincount(s.region, weights=w, minlength=R)
        funding = np.where(act, self.investment[s.region] * w / np.where(w_sum[s.region] > 0, w_sum[s.region], 1.0),
                           0.0)
        s.income = s.revenue + funding
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
            free = np.flatnonzero(self.slot & (s.region == r) & (s.entry > self.months))
            if free.size == 0 or draws[r] >= lp.entry_rate_per_year / 12 * self.investment[r] / total:
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
        chip_budget = lp.compute_spend_share * s.income
        short = s.active & (chip_budget < lp.exit_budget_coverage * self._depreciation_cost)
        self._short = np.where(short, self._short + 1, 0)
        out = np.flatnonzero(self._short >= lp.exit_after_months)
        for i in out:
            if s.active.sum() <= 1:
                break
            s.exit[i] = t + 1
        if out.size:
            self._short[out] = 0

    def _record(self, t: int) -> None:
        """Update the frontier histories and lags, then fill this month's row of every column of
        :data:`sim.reporters.MODEL_REPORTERS` and of the lab panel."""
        s = self.labs_state
        view = step_view(self, t)
        op, act = view.op, view.act
        self._update_histories(t, view)
        for name, reporter in MODEL_REPORTERS.items():
            self._rec[name][t] = reporter(self, view)
        for f in self._panel:
            self._panel[f][t] = getattr(s, f) if f not in ("adopters",) else self.adopters
        self._panel["open"][t] = op
        self._panel["active"][t] = act

    def _update_histories(self, t: int, v: StepView) -> None:
        """Running maxima of the open and closed frontiers (capability and physical compute) and of each region's,
        and this month's lags from them (``self.lags_now``: open_closed, open_closed_compute, us_cn; NaN when a
        side has no model)."""
        h = self._hist
        prev = (lambda key: h[key][t - 1]) if t > 0 else (lambda key: -np.inf)
        f_open = v.cap[v.op].max() if v.op.any() else -np.inf
        f_closed = v.cap[v.act & ~v.op].max() if (v.act & ~v.op).any() else -np.inf
        h["closed"][t] = max(prev("closed"), f_closed)
        h["open"][t] = max(prev("open"), f_open)
        self._reg_hist[:, t] = np.maximum(self._reg_hist[:, t - 1], v.frontier) if t > 0 else v.frontier
        for key in ("open", "closed"):
            h[f"flop_{key}"][t] = max(prev(f"flop_{key}"), self._best_flop[key])
        lags = {"open_closed": np.nan, "open_closed_compute": np.nan}
        if np.isfinite(h["closed"][t]) and np.isfinite(h["open"][t]):
            lags["open_closed"] = signed_lag(h["closed"], h["open"], t, self.pre_slope)
        if np.isfinite(h["flop_closed"][t]) and np.isfinite(h["flop_open"][t]):
            lags["open_closed_compute"] = signed_lag(h["flop_closed"], h["flop_open"], t, self.pre_slope_flop)
        lags["us_cn"] = self._region_lag(US, CN, t)
        self.lags_now = lags

    # ------------------------------------------------------------------ outputs
    def timeseries(self) -> pd.DataFrame:
        """Model-level time series (one row per simulated month; DESIGN.md §6).

        Columns (:data:`sim.reporters.MODEL_REPORTERS`, in that order, after month and date): month (0-based),
        date (YYYY-MM), open_share_{R} (share of region's labs whose current model is open), frontier_{R|open|
        closed} and frontier (capability of the best such model, ECI points), frontier_train_flop (log10 physical
        FLOP of the largest current release), best_open_CN / best_open_US (1 when the best open-weight model is
        from that region, 0 otherwise, NaN without an open model), open_closed_lag_months (open behind closed in
        capability: months since the closed running maximum first reached the open one, the same on ECI as on
        effective compute), open_closed_compute_lag_months (in physical training compute of the largest open vs
        closed release so far, as Epoch measures it), us_cn_gap_oom (OOM of effective compute), us_cn_gap_eci
        (ECI points), us_cn_gap_months (China behind the US, running maxima), adopt_{R}_{open|closed} (share of
        all developers on such models),
        adopt_none (share of developers with no accessible model; the adopt_* columns sum to 1),
        noncn_on_cn_open (share of developers outside China on Chinese open models), cn_on_cn_open and
        us_on_cn_open (share of developers in China, in the US, on Chinese open models), compute_{R} (H100e),
        compute_share_{R}, revenue_{R}, investment_{R} and state_funding_{R} (USD/month), hhi (adoption
        concentration, 0..1), policy observables export_control_US_CN, leakage_US, subsidy_CN, market_usd
        (USD/month), revenue_share_of_budget (revenue / (revenue + investment + state funding), all labs),
        chip_production_h100e (world production this month), chip_price_usd and chip_list_price_usd (USD per H100e:
        the clearing price, the list price), chip_sold_h100e and chip_outside_h100e (sold this month: to everyone,
        to buyers outside the labs), chip_stock_h100e (the world's installed frontier chips), alt_chip_supply_h100e
        (alternative chips on offer to controlled regions this month), alt_chip_stock_h100e (the labs' installed
        alternative chips), labs_compute_h100e (all labs' compute, at most chip_stock_h100e +
        alt_chip_stock_h100e) and n_labs_active."""
        n = self.steps
        df = pd.DataFrame({k: self._rec[k][:n] for k in MODEL_REPORTERS})
        df.insert(0, "date", [month_label(self.scenario.start, t) for t in range(n)])
        df.insert(0, "month", np.arange(n))
        return df

    def lab_panel(self) -> pd.DataFrame:
        """Per active lab per month: month, date, lab, region, strategy, capability (ECI points), compute (H100e),
        adopters (developer agents), revenue (USD/month). Labs appear from their entry month to their exit."""
        n, k = self.steps, self.n_labs
        names = [a.name for a in self.lab_agents]
        regions = [a.region for a in self.lab_agents]
        df = pd.DataFrame({
            "month": np.repeat(np.arange(n), k),
            "date": np.repeat([month_label(self.scenario.start, t) for t in range(n)], k),
            "lab": np.tile(names, n), "region": np.tile(regions, n),
            "strategy": np.where(self._panel["open"][:n].ravel() > 0, "OPEN", "CLOSED"),
            "capability": self.eci(self._panel["capability"][:n].ravel()),
            "compute": self._panel["compute"][:n].ravel(),
            "adopters": self._panel["adopters"][:n].ravel().astype(np.int64),
            "revenue": self._panel["revenue"][:n].ravel(),
        })
        return df[self._panel["active"][:n].ravel() > 0].reset_index(drop=True)

    def release_log(self) -> pd.DataFrame:
        """One row per release: month, date, lab, region, strategy, capability, previous_capability and
        own_capability (of its own training, before distillation; all ECI points), teacher (the lab it learnt
        from, "" for none), train_flop (physical FLOP), p_open, pi_open, pi_closed (USD/month), share_open,
        share_closed."""
        cols = ["month", "date", "lab", "region", "strategy", "capability", "previous_capability", "own_capability",
                "teacher", "train_flop",
                "p_open", "pi_open", "pi_closed", "share_open", "share_closed"]
        return pd.DataFrame(self._releases, columns=cols)
