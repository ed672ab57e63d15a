"""What the model records (DESIGN.md §6): the frontier histories and lags, each month's row of the model-level
time series (:data:`sim.model.reporters.MODEL_REPORTERS`), the lab panel and the release log, and the DataFrames
a run returns.

:class:`Recorder` is a mixin of :class:`sim.model.ecosystem.EcosystemModel`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim import REGIONS
from sim.model.compute import PRE_START_COMPUTE_GROWTH_PER_YEAR
from sim.model.kernels_books import signed_lag  # sim.model.capability.signed_lag, compiled
from sim.model.reporters import MODEL_REPORTERS, REGION_COLUMNS, StepView, region_column, step_view
from sim.scenario.schema import month_label

if TYPE_CHECKING:
    from sim.model.labs import Lab

R = len(REGIONS)
US, CN = REGIONS.index("US"), REGIONS.index("CN")


class Recorder:
    """Histories, reporters and outputs of :class:`~sim.model.ecosystem.EcosystemModel` (a mixin)."""

    def _setup_recorders(self) -> None:
        """Empty recorders, the models at the start (teachers until the distillation delay has passed) and the
        frontier histories, which start from the roster's largest open and closed training runs."""
        self._rec = np.full((self.months, len(MODEL_REPORTERS)), np.nan)  # month x MODEL_REPORTERS column
        # the columns by region are filled by one array operation each (REGION_COLUMNS), the others one by one
        cols = {name: j for j, name in enumerate(MODEL_REPORTERS)}
        self._region_plan = tuple((fn, np.array([cols[region_column(key, r)] for r in range(R)]))
                                  for key, fn in REGION_COLUMNS.items())
        by_region = {region_column(key, r) for key in REGION_COLUMNS for r in range(R)}
        self._reporters = tuple((j, fn) for j, (name, fn) in enumerate(MODEL_REPORTERS.items()) if name not in by_region)
        k, st, c0 = self.n_labs, self.labs_state, self.c0
        self._panel = {f: np.zeros((self.months, k))
                       for f in ("capability", "compute", "adopters", "revenue", "sales", "open", "active", "train_flop",
                               "switched")}
        self._last_release = np.full(k, -1, dtype=np.int8)  # each lab's previous release: 1 open, 0 closed, -1 none
        # the models that exist at the start: teachers for releases before the distillation delay has passed
        self._snap0 = {"capability": st.capability.copy(), "open": st.open.copy(), "active": st.active.copy(),
                       "train_flop": st.train_flop.copy()}
        self._releases: list[tuple] = []  # one a release, as on_release() gets it
        self._hist = {key: np.full(self.months, -np.inf) for key in ("closed", "open", "flop_closed", "flop_open")}
        # best physical training compute (log10 FLOP) released so far, by strategy; starts from the roster
        active, lab_open0 = st.active, st.open
        self._best_flop = {
            "open": float(np.log10(c0[active & lab_open0].max())) if (active & lab_open0).any() else -np.inf,
            "closed": float(np.log10(c0[active & ~lab_open0].max())) if (active & ~lab_open0).any() else -np.inf}
        self.pre_slope_flop = np.log10(PRE_START_COMPUTE_GROWTH_PER_YEAR) / 12
        self._reg_hist = np.full((R, self.months), -np.inf)

    def on_release(self, lab: Lab, old: float, prob: float, pay: dict[str, float], terms: dict[str, float],
                   own: float = float("nan"), teacher: int = -1) -> None:
        """Log a release (called by the lab) and update the payoff-sample cache with the new model. ``pay``: the
        lab's :meth:`~sim.model.labs.Lab.payoffs`; ``terms``: its :meth:`~sim.model.labs.Lab.open_index`."""
        s = self.labs_state
        i = lab.i
        self._update_payoff_sample(i)
        is_open = bool(s.open[i])
        switched = bool(self._last_release[i] >= 0 and self._last_release[i] != is_open)
        self._last_release[i] = is_open
        if switched:
            self._panel["switched"][self.t, i] = 1.0
        key = "open" if is_open else "closed"
        flop = float(s.train_flop[i])
        if flop > 0:
            self._best_flop[key] = max(self._best_flop[key], float(np.log10(flop)))
        # kept as numbers; the rows (names, dates, ECI points) are made by release_log()
        self._releases.append((self.t, i, is_open, float(s.capability[i]), float(old), float(own), teacher, flop, prob,
                               pay, terms, switched))

    def _record(self, t: int) -> None:
        """Update the frontier histories and lags, then fill this month's row of every column of
        :data:`sim.model.reporters.MODEL_REPORTERS` and of the lab panel."""
        s = self.labs_state
        view = step_view(self, t)
        op, act = view.op, view.act
        self._update_histories(t, view)
        row = self._rec[t]
        for fn, cols in self._region_plan:
            row[cols] = fn(self, view)
        for j, reporter in self._reporters:
            row[j] = reporter(self, view)
        p = self._panel
        for f in ("capability", "compute", "revenue", "train_flop"):
            p[f][t] = getattr(s, f)
        p["adopters"][t] = self.adopters
        p["sales"][t] = self.sales
        p["open"][t] = op
        p["active"][t] = act

    def _update_histories(self, t: int, v: StepView) -> None:
        """Running maxima of the open and closed frontiers (capability and physical compute) and of each region's,
        and this month's lags from them (``self.lags_now``: open_closed, open_closed_compute, us_cn; NaN when a
        side has no model)."""
        h = self._hist
        if t > 0:
            h["closed"][t] = max(h["closed"][t - 1], v.f_closed)
            h["open"][t] = max(h["open"][t - 1], v.f_open)
            self._reg_hist[:, t] = np.maximum(self._reg_hist[:, t - 1], v.frontier)
            for key in ("open", "closed"):
                h[f"flop_{key}"][t] = max(h[f"flop_{key}"][t - 1], self._best_flop[key])
        else:
            h["closed"][t], h["open"][t] = max(-np.inf, v.f_closed), max(-np.inf, v.f_open)
            self._reg_hist[:, t] = v.frontier
            for key in ("open", "closed"):
                h[f"flop_{key}"][t] = max(-np.inf, self._best_flop[key])
        lags = {"open_closed": np.nan, "open_closed_compute": np.nan}
        if math.isfinite(h["closed"][t]) and math.isfinite(h["open"][t]):
            lags["open_closed"] = signed_lag(h["closed"], h["open"], t, self.pre_slope)
        if math.isfinite(h["flop_closed"][t]) and math.isfinite(h["flop_open"][t]):
            lags["open_closed_compute"] = signed_lag(h["flop_closed"], h["flop_open"], t, self.pre_slope_flop)
        lags["us_cn"] = self._region_lag(US, CN, t)
        self.lags_now = lags

    def _region_lag(self, leader: int, follower: int, t: int) -> float:
        """Months by which region ``follower`` trails region ``leader`` at month ``t`` (regional frontier
        histories; NaN when either region has no labs)."""
        hist = self._reg_hist
        if not np.isfinite(hist[leader, t]) or not np.isfinite(hist[follower, t]):
            return float("nan")
        return signed_lag(hist[leader], hist[follower], t, self.pre_slope)

    def timeseries(self) -> pd.DataFrame:
        """Model-level time series (one row per simulated month; DESIGN.md §6).

        Columns (:data:`sim.model.reporters.MODEL_REPORTERS`, in that order, after month and date): month (0-based),
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
        compute_share_{R}, revenue_{R}, investment_{R} (all sources) and state_funding_{R} (chip subsidies)
        (USD/month), investment_parents_{R}, investment_venture_{R} and investment_state_{R} (USD/month, by source;
        they sum to investment_{R}), expectation_{R} (investors' expectation index, 1 when they expect their prior growth), chip_spend_{R}
        (the labs' chip spending, USD/month) and revenue_capex_gap_{R} (chip_spend_{R} - sales_{R}), hhi (adoption
        concentration, 0..1), policy observables export_control_US_CN, leakage_US, subsidy_CN, market_usd
        (USD/month), revenue_share_of_budget (revenue / (revenue + investment + state funding), all labs),
        chip_production_h100e (world production this month), chip_price_usd and chip_list_price_usd (USD per H100e:
        the clearing price, the list price), chip_sold_h100e and chip_outside_h100e (sold this month: to everyone,
        to buyers outside the labs), chip_stock_h100e (the world's installed frontier chips), alt_chip_supply_h100e
        (alternative chips on offer to controlled regions this month), alt_chip_stock_h100e (the labs' installed
        alternative chips), labs_compute_h100e (all labs' compute, at most chip_stock_h100e +
        alt_chip_stock_h100e) and n_labs_active."""
        n = self.steps
        df = pd.DataFrame({k: self._rec[:n, j] for j, k in enumerate(MODEL_REPORTERS)})
        df.insert(0, "date", [month_label(self.scenario.start, t) for t in range(n)])
        df.insert(0, "month", np.arange(n))
        return df

    def lab_panel(self) -> pd.DataFrame:
        """Per active lab per month: month, date, lab, region, strategy, capability (ECI points), compute (H100e),
        adopters (developer agents), revenue (USD/month, net of serving costs), sales (USD/month: a closed API's
        served tokens at its price, an open lab's complements; docs/ODD.md 7.7). Labs appear from their entry month to
        their exit; switched (bool): the lab released this month a model whose strategy differs from its previous
        release's (labs.decision; docs/ODD.md 7.7)."""
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
            "sales": self._panel["sales"][:n].ravel(),
            "switched": self._panel["switched"][:n].ravel() > 0,
        })
        return df[self._panel["active"][:n].ravel() > 0].reset_index(drop=True)

    def release_log(self) -> pd.DataFrame:
        """One row per release: month, date, lab, region, strategy, capability, previous_capability and
        own_capability (of its own training, before distillation; all ECI points), teacher (the lab it learnt
        from, "" for none), train_flop (physical FLOP), p_open, pi_open, pi_closed (USD/month), share_open,
        share_closed, complement_usd and spill_usd (the parts of pi_open from complements and the cost of handing
        over a lead; USD/month), and the terms of the open/closed index (logit; they sum to logit(p_open) when opening is
        allowed and labs.decision is myopic): x_payoff, x_position, x_state, x_misuse, x_bias (docs/ODD.md 7.7); the
        terms of the other theories (0 for myopic; with them the terms sum to logit(p_open)): x_imitation (the pull
        of more successful peers), x_learned (what the attractions' memory adds), x_inertia (the cost of switching);
        switched: the strategy differs from the lab's previous release's (False at its first release)."""
        cols = ["month", "date", "lab", "region", "strategy", "capability", "previous_capability", "own_capability",
                "teacher", "train_flop",
                "p_open", "pi_open", "pi_closed", "share_open", "share_closed", "complement_usd", "spill_usd",
                "x_payoff", "x_position", "x_state", "x_misuse", "x_bias", "x_imitation", "x_learned", "x_inertia",
                "switched"]
        dates: dict[int, str] = {}
        rows = []
        for t, i, is_open, cap, old, own, teacher, flop, prob, pay, terms, switched in self._releases:
            if t not in dates:
                dates[t] = month_label(self.scenario.start, t)
            lab = self.lab_agents[i]
            rows.append({
                "month": t, "date": dates[t], "lab": lab.name, "region": lab.region,
                "strategy": "OPEN" if is_open else "CLOSED", "capability": self.eci1(cap),
                "previous_capability": self.eci1(old), "own_capability": self.eci1(own),
                "teacher": self.lab_agents[teacher].name if teacher >= 0 else "", "train_flop": flop, "p_open": prob,
                **pay, **terms, "switched": switched})
        return pd.DataFrame(rows, columns=cols)
