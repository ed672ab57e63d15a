"""What the model records each month: a table of column name -> reporter function (as Mesa's ``model_reporters``).

Each reporter takes the model and a :class:`StepView` (arrays the model computes once a month) and returns one
float; a new output is one line in :data:`MODEL_REPORTERS`. Capabilities are reported on Epoch's Capabilities
Index (ECI points, :meth:`sim.model.ecosystem.EcosystemModel.eci`); lags in months; compute in H100e; money in USD/month.
Every column is present in every run, NaN where undefined (e.g. no open model yet).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim import REGIONS
from sim.model.kernels import month_view
from sim.model.kernels_books import (
    active_max,
    budget_sums,
    eci_of,
    ratio_or_nan,
    region_counts_on,
    sum_of_squares,
)

if TYPE_CHECKING:  # pragma: no cover
    from sim.model.ecosystem import EcosystemModel

US, CN = REGIONS.index("US"), REGIONS.index("CN")


@dataclass
class StepView:
    """Arrays of one month, computed once for all reporters. ``act`` (K,) active labs; ``op`` (K,) active and
    open; ``cap`` (K,) capability (log10 effective FLOP, -inf when inactive) and ``region_mask`` (R, K) active labs
    of each region (properties, from ``capability`` (K,) and ``onehot`` (R, K), the month's lab capabilities and
    regions); ``t`` the month index; per-region (R,) sums ``compute``, ``revenue``, ``sales``, ``adopt_open``,
    ``adopt_closed``, ``n_labs``, ``n_open`` and ``frontier`` (capability, -inf without labs), by one bincount each;
    the best capability (-inf without such a model) of the open, closed and all active models ``f_open``,
    ``f_closed``, ``f_all``; ``best_open`` the lab of the best open model (the lowest index among ties; -1 without
    one); ``cn_open`` (K,) active open Chinese models; ``on_cn_open`` (R,) developers of each region on them and
    ``no_model`` developers without a model (counts); ``compute_total`` all active labs' compute (H100e)."""

    t: int
    act: np.ndarray
    op: np.ndarray
    compute: np.ndarray
    revenue: np.ndarray
    sales: np.ndarray
    adopt_open: np.ndarray
    adopt_closed: np.ndarray
    n_labs: np.ndarray
    n_open: np.ndarray
    frontier: np.ndarray
    f_open: float = -np.inf
    f_closed: float = -np.inf
    f_all: float = -np.inf
    best_open: int = -1
    cn_open: np.ndarray | None = None
    on_cn_open: np.ndarray | None = None
    no_model: int = 0
    compute_total: float = 0.0
    capability: np.ndarray | None = None
    onehot: np.ndarray | None = None

    @property
    def cap(self) -> np.ndarray:
        """(K,) capability (log10 effective FLOP), -inf when inactive."""
        return np.where(self.act, self.capability, -np.inf)

    @property
    def region_mask(self) -> np.ndarray:
        """(R, K) bool: active labs of each region."""
        return self.onehot & self.act


def step_view(m: EcosystemModel, t: int) -> StepView:
    """This month's :class:`StepView` of model ``m``."""
    s = m.labs_state
    act = s.active
    op = s.open & act
    reg, R = s.region, len(REGIONS)
    sums, frontier, best_open, f_closed = month_view(reg, act, s.open, s.capability, s.compute, s.revenue, m.sales,
                                                     m.share, R)
    compute, revenue, sales, adopt_open, adopt_closed, n_labs, n_open = sums
    cn_open = (reg == CN) & op
    # developers of each region on Chinese open models: whole counts, from the adopters by group and model
    on_cn = region_counts_on(m.group_adopters(), cn_open, R)
    return StepView(t=t, act=act, op=op, capability=s.capability, onehot=m.region_onehot, compute=compute,
                    compute_total=compute.sum(),
                    revenue=revenue, sales=sales, adopt_open=adopt_open, adopt_closed=adopt_closed, n_labs=n_labs,
                    n_open=n_open, frontier=frontier,
                    f_open=float(s.capability[best_open]) if best_open >= 0 else -np.inf, f_closed=f_closed,
                    f_all=max(frontier.tolist()) if len(reg) else -np.inf,  # (frontier holds no NaN)
                    best_open=best_open, cn_open=cn_open, on_cn_open=on_cn, no_model=m.without_model)


def _best_open_region(m: EcosystemModel, v: StepView, r: int) -> float:
    """1 if the best open-weight model (highest capability among active open labs) is from region ``r``, else 0;
    NaN when there is no open model. Ties go to the lower lab index."""
    if v.best_open < 0:
        return float("nan")
    return float(m.labs_state.region[v.best_open] == r)


def _noncn_on_cn_open(m: EcosystemModel, v: StepView) -> float:
    """Share of the developers outside China on Chinese open-weight models (NaN without such developers)."""
    outside = m.dev.n - int(m.dev.region_counts[CN])
    return float((v.on_cn_open.sum() - v.on_cn_open[CN]) / outside) if outside else float("nan")


def _region_on_cn_open(m: EcosystemModel, v: StepView, r: int) -> float:
    """Share of region ``r``'s developers on Chinese open-weight models (NaN without developers there)."""
    here = int(m.dev.region_counts[r])
    return float(v.on_cn_open[r] / here) if here else float("nan")


def _gap(v: StepView) -> float:
    """US minus Chinese frontier capability (OOM); NaN when either region has no active lab."""
    a, b = float(v.frontier[US]), float(v.frontier[CN])
    return a - b if math.isfinite(a) and math.isfinite(b) else float("nan")


def _lag(m: EcosystemModel, key: str) -> float:
    return float(m.lags_now.get(key, np.nan))


def _open_share(m: EcosystemModel, v: StepView) -> np.ndarray:
    """(R,) share of each region's active labs whose current model is open (NaN without labs)."""
    return ratio_or_nan(v.n_open, v.n_labs)


REGION_COLUMNS: dict[str, Callable[[EcosystemModel, StepView], np.ndarray]] = {
    "open_share": _open_share,
    "frontier": lambda m, v: eci_of(v.frontier, m._eci_offset, m.scenario.compute.eci_per_oom),  # m.eci
    "compute": lambda m, v: v.compute,
    "compute_share": lambda m, v: v.compute / max(v.compute_total, 1e-300),
    "revenue": lambda m, v: v.revenue,
    "sales": lambda m, v: v.sales,
    "adopt_{}_open": lambda m, v: v.adopt_open,
    "adopt_{}_closed": lambda m, v: v.adopt_closed,
    "investment": lambda m, v: m.investment,
    "investment_parents": lambda m, v: m.pools[0],
    "investment_venture": lambda m, v: m.pools[1],
    "investment_state": lambda m, v: m.pools[2],
    "expectation": lambda m, v: m.expectation,
    "chip_spend": lambda m, v: m.chip_spend,
    "revenue_capex_gap": lambda m, v: m.chip_spend - v.sales,
    "state_funding": lambda m, v: m.state_funding,
}
"""Time-series columns by region: each function gives the (R,) values of one column per region (named
``{key}_{region}``, or ``key`` with the region put in for ``{}``), in one array operation a month."""


def region_column(key: str, r: int) -> str:
    """The name of :data:`REGION_COLUMNS`' column ``key`` for region ``r``."""
    return key.format(REGIONS[r]) if "{}" in key else f"{key}_{REGIONS[r]}"


def _region_reporters() -> dict[str, Callable]:
    out: dict[str, Callable] = {}
    for r in range(len(REGIONS)):
        for key, fn in REGION_COLUMNS.items():
            out[region_column(key, r)] = lambda m, v, r=r, fn=fn: float(fn(m, v)[r])
    return out


def _frontier_train_flop(m: EcosystemModel, v: StepView) -> float:
    """log10 physical FLOP of the largest current release of an active lab (NaN without one)."""
    top, found = active_max(m.labs_state.train_flop, v.act)
    return float(np.log10(top)) if found else float("nan")


def _revenue_share(v: StepView, m: EcosystemModel) -> float:
    """Revenue as a share of all labs' budgets (revenue + investment + state funding) this month."""
    revenue, total = budget_sums(v.revenue, m.investment, m.state_funding)  # numpy's sums
    return float(revenue / total) if total > 0 else float("nan")


MODEL_REPORTERS: dict[str, Callable[[EcosystemModel, StepView], float]] = {
    **_region_reporters(),
    "frontier_open": lambda m, v: m.eci1(v.f_open),
    "frontier_closed": lambda m, v: m.eci1(v.f_closed),
    "frontier": lambda m, v: m.eci1(v.f_all),
    "frontier_train_flop": lambda m, v: _frontier_train_flop(m, v),
    "best_open_CN": lambda m, v: _best_open_region(m, v, CN),
    "best_open_US": lambda m, v: _best_open_region(m, v, US),
    "open_closed_lag_months": lambda m, v: _lag(m, "open_closed"),
    "open_closed_compute_lag_months": lambda m, v: _lag(m, "open_closed_compute"),
    "us_cn_gap_oom": lambda m, v: _gap(v),
    "us_cn_gap_eci": lambda m, v: m.scenario.compute.eci_per_oom * _gap(v),
    "us_cn_gap_months": lambda m, v: _lag(m, "us_cn"),
    "noncn_on_cn_open": _noncn_on_cn_open,
    "cn_on_cn_open": lambda m, v: _region_on_cn_open(m, v, CN),
    "us_on_cn_open": lambda m, v: _region_on_cn_open(m, v, US),
    "adopt_none": lambda m, v: v.no_model / m.dev.n,
    "hhi": lambda m, v: sum_of_squares(m.share),  # (m.share ** 2).sum()
    "export_control_US_CN": lambda m, v: float(m.export_control[US, CN]),
    "leakage_US": lambda m, v: float(m.leakage[US]),
    "subsidy_CN": lambda m, v: float(m.subsidy[CN]),
    "market_usd": lambda m, v: float(m.market_size()),
    "revenue_share_of_budget": lambda m, v: _revenue_share(v, m),
    "chip_production_h100e": lambda m, v: float(m.money["production"]),
    "chip_price_usd": lambda m, v: float(m.money["price"]),
    "chip_list_price_usd": lambda m, v: float(m.money["list_price"]),
    "chip_sold_h100e": lambda m, v: float(m.money["sold"]),
    "chip_outside_h100e": lambda m, v: float(m.money["outside"]),
    "chip_stock_h100e": lambda m, v: float(m.world_stock),
    "alt_chip_supply_h100e": lambda m, v: float(m.money["alt_supply"]),
    "alt_chip_stock_h100e": lambda m, v: float(m.alt_stock),
    "labs_compute_h100e": lambda m, v: float(v.compute_total),
    "n_labs_active": lambda m, v: float(np.count_nonzero(v.act)),
}
"""Time-series columns and how each is computed (see :meth:`sim.model.ecosystem.EcosystemModel.timeseries` for units)."""
