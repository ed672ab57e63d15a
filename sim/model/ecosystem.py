"""EcosystemModel: labs, developers and governments competing month by month (DESIGN.md §3).

This file is the model's monthly step and its setup in named steps; each concern lives in its own module as a
mixin that reads and writes the model's state: :mod:`sim.model.lifecycle` (the labs' state at the start, entry
and exit), :mod:`sim.model.chip_market` (chips and training), :mod:`sim.model.demand` (developer choice and the
labs' payoff sample), :mod:`sim.model.money` (revenue, investment, funded entry and exit) and
:mod:`sim.model.recorder` (histories, reporters and outputs). The agents are :mod:`sim.model.labs`,
:mod:`sim.model.developers` and :mod:`sim.model.governments`.

The model imports only the scenario and the submodels and agents below it; runners, plots and the CLI import it.
"""

from __future__ import annotations

import math
from collections import defaultdict

import mesa
import numpy as np
import pandas as pd

from sim import REGIONS
from sim.model.capability import eci_from_capability
from sim.model.chip_market import ChipMarket
from sim.model.compute import (
    PRE_START_COMPUTE_GROWTH_PER_YEAR,
    algorithmic_efficiency,
    effective_control,
    flop_per_h100e_month,
)
from sim.model.decision import DecisionState
from sim.model.demand import Demand
from sim.model.distillation import absorbed_shares
from sim.model.governments import GovernmentAgent
from sim.model.kernels import best_teachers, teacher_channels
from sim.model.kernels_books import due_labs
from sim.model.lifecycle import ENTRANT_SLOT_ENTRY, LabLifecycle
from sim.model.market import chip_cost_multiplier
from sim.model.money import Money
from sim.model.recorder import Recorder
from sim.scenario.schema import ANCHOR_MONTH, SEGMENTS, Scenario, month_index, month_label

R = len(REGIONS)

__all__ = ["ENTRANT_SLOT_ENTRY", "EcosystemModel", "month_label"]


class EcosystemModel(LabLifecycle, ChipMarket, Demand, Money, Recorder, mesa.Model):
    """Agent-based model of the AI ecosystem (DESIGN.md).

    Parameters
    ----------
    scenario : a validated :class:`~sim.scenario.schema.Scenario`.
    seed : int seed of this replication (default: ``scenario.seed``). Seeds both ``model.rng`` (numpy) and
        ``model.random`` (stdlib, shuffles the labs releasing each month as ``AgentSet.shuffle_do`` does), so a seed fixes the whole run.
    roster : optional DataFrame of labs (columns of :func:`sim.model.labs.load_roster`); default: the scenario's
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
        self.t = 0
        c = sc.compute
        self.fpm = flop_per_h100e_month(c.h100e_peak_flops, c.utilization)
        # ECI of capability 0: the affine output mapping's intercept for this start date (7.6)
        self._eci_offset = eci_from_capability(0.0, eci_per_oom=c.eci_per_oom, eci_ref=c.eci_ref,
                                               tau_alg_months=c.tau_alg_months, start=sc.start)
        self.pre_slope = (np.log10(PRE_START_COMPUTE_GROWTH_PER_YEAR) + 12 / c.tau_alg_months * np.log10(2)) / 12
        self.anchor = month_index(sc.start, ANCHOR_MONTH)  # month index of the anchor (may be < 0 or > months)
        self.change = month_index(ANCHOR_MONTH, sc.projection_from)  # months from the anchor to the projection
        # the order fixes the random streams: release phases (labs), then the developers' traits and first choice
        self._setup_policy()
        self._setup_labs(roster)
        # the state of a non-myopic release decision (labs.decision; sim.model.decision), None for myopic
        self.decisions = None if sc.labs.decision == "myopic" else DecisionState(self.n_labs, sc.labs)
        self._setup_chips()
        self._setup_developers()
        self._setup_investors()
        self._setup_recorders()

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
        due = due_labs(s.active, s.phase, t, cycle)  # np.flatnonzero(s.active & ((t - s.phase) % cycle == 0))
        if due.size:
            self._train_releases(due)
            self._prepare_payoff_sample(due, self._trained["capability"], self._trained["train_flop"])
            # AgentSet(...).shuffle_do("release") without the AgentSet: the same shuffle of the same list, the same
            # draws from self.random
            releasing = [self.lab_agents[i] for i in due.tolist()]
            self.random.shuffle(releasing)
            for lab in releasing:
                lab.release()
        self._developers()
        self._accounting(t)
        self._record(t)

    def run(self) -> EcosystemModel:
        """Run all months of the scenario; returns self."""
        for _ in range(self.months - self.steps):
            self.step()
        return self

    # ------------------------------------------------------------------ policy
    def _setup_policy(self) -> None:
        """The governments (one agent per region) and the scenario's dated events, by month index."""
        sc = self.scenario
        self.governments: dict[str, GovernmentAgent] = {
            r: GovernmentAgent(self, r, sc.governments[r]) for r in REGIONS}
        self.events = defaultdict(list)
        for ev in sc.events:
            self.events[month_index(sc.start, ev.month)].append(ev)
        # each region's API price cut (developers.api_price_cut_month), by month index: markups change then
        self._price_cut = {r: month_index(sc.start, m) for r, m in sc.developers.api_price_cut_month.items()}
        self._refresh_policy()

    def _policy(self, t: int) -> None:
        changed = t in self._price_cut.values()
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

    def _refresh_policy(self) -> None:
        """Rebuild the policy arrays from the governments' current state (and drop demand's policy terms)."""
        g = self.governments
        self._policy_cache = None
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
        self.control = effective_control(self.export_control, self.leakage, self.compliant)  # (theta, leak, allowed)
        theta, leak, _ = self.control
        self.chip_cost = chip_cost_multiplier(theta * (1.0 - leak), self.scenario.compute.eta_alt)
        self.api_markup = self._api_markups()

    def _api_markups(self) -> np.ndarray:
        """(R,) this month's price of each region's closed APIs as a multiple of their serving cost:
        ``developers.api_markup_before`` until the region's ``api_price_cut_month``, ``api_markup`` from then on (and
        throughout for a region without a cut), raised to its government's ``api_price_floor`` if it sets one."""
        d, g = self.scenario.developers, self.governments
        before = [self.t < self._price_cut.get(r, -10**9) for r in REGIONS]
        markup = np.array([d.api_markup_before[r] if b else d.api_markup[r] for r, b in zip(REGIONS, before,
                                                                                          strict=True)])
        floor = np.array([g[r].policy.api_price_floor or 0.0 for r in REGIONS])
        return np.maximum(markup, floor)

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

    def eci1(self, c: float) -> float:
        """:meth:`eci` of one capability ``c`` (a float; NaN when not finite), in plain float arithmetic."""
        return self._eci_offset + self.scenario.compute.eci_per_oom * c if math.isfinite(c) else float("nan")

    def teacher_snapshot(self) -> dict[str, np.ndarray]:
        """The labs' models as they were ``labs.distill_delay_months`` ago (capability, open, active, train_flop;
        each (K,)): what a release this month can learn from. Before the delay has passed, the models at the start."""
        back = self.t - self.scenario.labs.distill_delay_months
        if back < 0:
            return self._snap0
        return {f: self._panel[f][back] for f in ("capability", "open", "active", "train_flop")}

    def _train_releases(self, due: np.ndarray) -> None:
        """The new models of the labs releasing this month, ``due`` (D,), before their open/closed choice: the
        capability of each one's own training, raised by distillation
        (:func:`sim.model.distillation.distilled_capabilities`) from the best teacher it can reach: another lab's
        model released at least the delay ago, open weights, or a closed API that still serves the lab's region (its
        government's ``api_block``; the student's government's ``ban_foreign_closed`` binds developers, not labs);
        open weights whose origin the lab's government bans for enterprises (``ban_foreign_open`` with
        ``enterprise`` in ``ban_segments``) are out of reach. Nothing a release decides this month changes them, so
        they are computed for all due labs at once, in ``self._trained``: (D,) arrays ``own`` (log10 effective
        FLOP of its own training), ``new`` (after distillation), ``teacher`` (lab index or -1), ``capability``
        (the lab's capability after the release: the larger of ``new`` and its current one) and ``train_flop``; and
        ``release_need``, H100e a closed model needs per share of developers served this month (:meth:`inference_need`
        of 1, as a factor: the labs' compute does not change while they release)."""
        s, p = self.labs_state, self.scenario.labs
        snap = self.teacher_snapshot()
        flop = s.accrued[due]
        with np.errstate(divide="ignore"):
            own = np.where(flop > 0, np.log10(np.where(flop > 0, flop, 1.0) * self.efficiency()) + s.efficiency[due],
                           -np.inf)
        # a government's ban on foreign closed APIs restricts services to its developers, not its labs' research
        # access: only the lab's own government's API block closes the API channel (issue 15)
        eff = teacher_channels(due, s.region, snap["open"] > 0, s.active, snap["active"] > 0, self.api_block,
                               np.zeros(R, dtype=bool), p.api_distill_efficiency, self.lab_open_ban[s.region[due]])
        new, teacher = best_teachers(own, flop, snap["capability"], eff,
                                     absorbed_shares(flop, snap["train_flop"], p.distill_share_at_parity,
                                                     p.distill_compute_elasticity))
        self._trained = {"labs": due, "own": own, "new": new, "teacher": teacher,
                         "capability": np.maximum(s.capability[due], new), "train_flop": flop.copy()}
        self.release_need = self.scenario.compute.inference_intensity * s.compute.sum()  # inference_need's factor
        self._trained_by_lab = {i: (o, c, k) for i, o, c, k in zip(due.tolist(), own.tolist(), new.tolist(),
                                                                  teacher.tolist(), strict=True)}

    def trained_model(self, i: int) -> tuple[float, float, int]:
        """(own capability, capability after distillation, teacher index or -1) of lab ``i``'s model released this
        month (:meth:`_train_releases`)."""
        return self._trained_by_lab[i]
