"""The labs' lives (ODD 7.1, 7.9): their state at the start from the roster (compute, capability, income, release
phase), the slots of investor-funded entrants, and entry and exit by date.

:class:`LabLifecycle` is a mixin of :class:`sim.model.ecosystem.EcosystemModel`.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from sim import REGIONS
from sim.model.compute import algorithmic_efficiency
from sim.model.kernels_books import lab_events
from sim.model.labs import Lab, LabTable, RosterError, _roster_table, check_roster_start, load_roster
from sim.scenario.schema import Scenario, month_label
from sim.scenario.schema import month_index as _month_index

ENTRANT_SLOT_ENTRY = "2200-01"
"""Roster entry month of an investor-funded entrant's slot: after any scenario's horizon, so only investors
activate it (7.9)."""


@functools.lru_cache(maxsize=4096)
def month_index(start: str, month: str) -> int:
    """:func:`sim.scenario.schema.month_index`, cached: a roster's months are the same every run."""
    return _month_index(start, month)


def _is_open(roster: pd.DataFrame) -> np.ndarray:
    """(K,) bool: the roster's labs whose ``strategy`` is OPEN."""
    return np.array([isinstance(v, str) and v == "OPEN" for v in roster["strategy"].tolist()], dtype=bool)


def _age_months(start: str, date: object) -> float:
    """Months from ``date`` (YYYY-MM[-DD], or blank/NaN) to ``start``; 0 when unknown or after the start."""
    if not isinstance(date, str) or len(date) < 7:
        return 0.0
    try:
        return float(max(0, month_index(date[:7], start)))
    except ValueError:
        return 0.0


def _entrant_slots(roster: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` roster rows for investor-funded entrants, regions in turn (US, CN, EU, ROW, US, ...), named "New lab
    <region> <k>", with their region's mean ``open_bias``; compute and entry are set when investors fund them."""
    rows = []
    mean_bias = {}  # each region's mean open_bias (Series.mean, once per region)
    regions, biases = roster["region"].to_numpy(), roster["open_bias"]
    for r in REGIONS[:n]:
        bias = biases[regions == r]
        mean_bias[r] = float(bias.mean()) if len(bias) else 0.0
    for j in range(n):
        r = REGIONS[j % len(REGIONS)]
        rows.append({"name": f"New lab {r} {j // len(REGIONS) + 1}", "region": r, "training_compute_flop": 1e24,
                     "strategy": "CLOSED", "open_bias": float(mean_bias.get(r, 0.0)),
                     "entry": ENTRANT_SLOT_ENTRY, "exit": "", "efficiency_oom": 0.0, "latest_release": "",
                     "lab_type": "startup", "misuse_statement": "", "complement_capture": float("nan")})
    return pd.DataFrame(rows, columns=roster.columns) if rows else roster.iloc[:0]


def _file_roster_with_slots(path: Path, n: int) -> pd.DataFrame:
    """The roster file's table (:func:`sim.model.labs.load_roster`) followed by ``n`` entrant slots
    (:func:`_entrant_slots`), made once per process for the file's resolved path, size and modification time and
    ``n``: the cached table itself (not to be modified)."""
    path = Path(path)
    st = path.stat()
    return _roster_with_slots_cached(path, str(path.resolve()), st.st_size, st.st_mtime_ns, n)


@functools.lru_cache(maxsize=16)
def _roster_with_slots_cached(path: Path, resolved: str, size: int, mtime_ns: int, n: int) -> pd.DataFrame:
    """See :func:`_file_roster_with_slots`; ``resolved``, ``size``, ``mtime_ns`` and ``n`` key the cache."""
    roster = load_roster(path)
    return pd.concat([roster, _entrant_slots(roster, n)], ignore_index=True)


def _check_lifetimes(entry: np.ndarray, exit_: np.ndarray, sc: Scenario, source: str, exits: list) -> None:
    """Raise RosterError when some month has no active lab. (A lab that exits at or before the start is simply
    absent, as it should be for a scenario that starts later than the roster's date.)"""
    months = np.arange(sc.months)
    alive = (np.maximum(entry, 0)[None, :] <= months[:, None]) & (exit_[None, :] > months[:, None])
    empty = np.flatnonzero(~alive.any(axis=1))
    if empty.size:
        raise RosterError(f"{source}: no lab is active in {month_label(sc.start, int(empty[0]))} (every lab has "
                          "left or not yet entered); the model needs at least one active lab in every month")


def _lifetimes(roster: pd.DataFrame, sc: Scenario, source: str) -> tuple[np.ndarray, np.ndarray]:
    """(K,) entry and exit month indices of the roster's labs (entry 0 when blank, exit 10**9 when blank).
    Raises RosterError when some month has no active lab."""
    k = len(roster)
    entry_col = roster["entry"].tolist() if "entry" in roster else [""] * k
    entry = np.array([month_index(sc.start, e) if e else 0 for e in entry_col], dtype=int)
    exit_col = roster["exit"].tolist() if "exit" in roster else [""] * k
    exit_ = np.array([month_index(sc.start, e) if e else 10**9 for e in exit_col], dtype=int)
    _check_lifetimes(entry, exit_, sc, source, exit_col)
    return entry, exit_


def _type_state(roster: pd.DataFrame, sc: Scenario) -> dict[str, np.ndarray]:
    """The labs' (K,) ``complement`` (share of its adopters' token spending an open-weight lab earns through its
    other business: the roster's ``complement_capture``, else ``labs.complement_capture`` of its ``lab_type``) and
    ``misuse_from`` (month index of its ``misuse_statement``; 10**9 without one), ``commercial`` (False for a
    research lab, which does not decide by revenue) and ``venture`` (True for a start-up, funded by venture money;
    the others by a parent's or sponsor's budget, docs/ODD.md 7.9)."""
    k = len(roster)
    types = roster["lab_type"].tolist() if "lab_type" in roster else ["startup"] * k
    by_type = np.array([sc.labs.complement_capture.get(t, 0.0) for t in types], dtype=float)
    override = np.array(roster["complement_capture"] if "complement_capture" in roster else np.full(k, np.nan),
                        dtype=float)
    said = roster["misuse_statement"].tolist() if "misuse_statement" in roster else [""] * k
    misuse_from = np.array([month_index(sc.start, m) if m else 10**9 for m in said], dtype=int)
    return {"complement": np.where(np.isnan(override), by_type, override), "misuse_from": misuse_from,
            "commercial": np.array([t != "research" for t in types], dtype=bool),
            "venture": np.array([t == "startup" for t in types], dtype=bool)}


class LabLifecycle:
    """The labs' initial state, entry and exit of :class:`~sim.model.ecosystem.EcosystemModel` (a mixin)."""

    def _setup_labs(self, roster: pd.DataFrame | None) -> None:
        """The lab table (:class:`~sim.model.labs.LabTable`) and agents at the start, from ``roster`` (default:
        the scenario's roster file) plus ``labs.max_market_entrants`` empty slots for funded entrants. Draws each
        lab's release phase from ``self.rng``. Raises RosterError for a bad roster."""
        sc, c = self.scenario, self.scenario.compute
        source = str(sc.roster_path()) if roster is None else "roster"
        given = roster
        roster = _roster_table(sc.roster_path()) if given is None else given  # read only
        check_roster_start(roster, sc.start, sc.roster_path())
        n_roster = len(roster)
        if given is None:  # the file's roster with the slots: the same for every run of the file
            roster = _file_roster_with_slots(sc.roster_path(), sc.labs.max_market_entrants)  # read only
        else:
            roster = pd.concat([roster, _entrant_slots(roster, sc.labs.max_market_entrants)], ignore_index=True)
        k = len(roster)
        cycle = sc.labs.release_cycle_months
        c0 = np.array(roster["training_compute_flop"], dtype=float)
        phase = self.rng.integers(0, cycle, size=k)
        entry, exit_ = _lifetimes(roster, sc, source)
        active = (entry <= 0) & (exit_ > 0)
        eff_oom = np.array(roster["efficiency_oom"] if "efficiency_oom" in roster else np.zeros(k), dtype=float)
        phase = np.where(active, phase, entry % cycle)  # an entrant releases in its entry month
        dates = roster["latest_release"].tolist() if "latest_release" in roster else [""] * k
        age = np.array([_age_months(sc.start, d) for d in dates])
        age = np.where(entry > 0, 0.0, age)
        self._initial_compute(roster, c0, age)
        months_to_release = phase % cycle
        self.labs_state = LabTable(
            region=np.array([REGIONS.index(r) for r in roster["region"].tolist()]),
            open=_is_open(roster) & active,
            compute=np.where(active, self.k0, 0.0),
            # a model released `age` months before the start has lost that much algorithmic progress
            capability=np.log10(c0) + eff_oom + np.log10(algorithmic_efficiency(-age, c.tau_alg_months)),
            accrued=np.where(active, self.lift * c0 * (cycle - months_to_release) / cycle, 0.0),
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
            **_type_state(roster, sc),
        )
        self.slot = np.arange(k) >= n_roster  # investor-funded entrant slots (7.9), inactive until funded
        self.lab_agents: list[Lab] = [Lab(self, i, name, region) for i, (name, region) in
                                      enumerate(zip(roster["name"].tolist(), roster["region"].tolist(), strict=True))]
        self.n_labs = k
        self.region_onehot = self.labs_state.region[None, :] == np.arange(len(REGIONS))[:, None]  # (R, K) fixed

    def _initial_compute(self, roster: pd.DataFrame, c0: np.ndarray, age: np.ndarray) -> None:
        """Each lab's compute at the start (``self.k0``, H100e), the income that sustains it (``self.income0``,
        USD/month), its training compute ``self.c0`` (FLOP) and ``self.lift``.

        Compute that trained such a model over one cycle (closed labs first serve their API: about
        inference_intensity of their compute), grown along the world chip supply's growth path (production
        growth; chips are counted in H100e, so price-performance does not enter) from the middle of that cycle
        to now (the model is `age` months old; entrants: age 0); and the income whose chip purchases keep the
        stock on that path at the list price: monthly purchases = stock x (monthly growth - 1 + 1/depreciation)."""
        sc, c = self.scenario, self.scenario.compute
        cycle = sc.labs.release_cycle_months
        g_year = np.full(len(roster), sc.chips.production_growth_per_year)
        lift = g_year ** ((age + cycle / 2) / 12)
        serve0 = np.where(_is_open(roster), 0.0, min(c.inference_intensity,
                                                                                       c.max_inference_share))
        self.k0 = lift * c0 / (c.train_share * (1 - serve0) * c.final_run_share * self.fpm * cycle)
        # purchases cannot be negative (issue 17: negative income made compute negative)
        self.income0 = np.maximum(0.0, self.k0 * c.price_usd_per_h100e
                                  * (g_year ** (1 / 12) - 1 + 1 / c.depreciation_months) / sc.labs.compute_spend_share)
        self.c0 = c0
        self.lift = lift

    def _enter(self, t: int) -> None:
        """Labs whose exit month is ``t`` leave (their models are no longer offered); labs whose entry month is
        ``t`` enter with the compute of their first model and release it now (capability set at release, with
        distillation)."""
        s = self.labs_state
        self.t = t
        gone, new = lab_events(s.entry, s.exit, s.active, t)  # (labs leaving, labs entering), before either changes
        if gone.size:
            s.active[gone] = False
            s.open[gone] = False
            s.compute[gone] = 0.0
            s.income[gone] = 0.0
            s.revenue[gone] = 0.0
            s.accrued[gone] = 0.0
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
