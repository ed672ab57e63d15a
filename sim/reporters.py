"""What the model records each month: a table of column name -> reporter function (as Mesa's ``model_reporters``).

Each reporter takes the model and a :class:`StepView` (arrays the model computes once a month) and returns one
float; a new output is one line in :data:`MODEL_REPORTERS`. Capabilities are reported on Epoch's Capabilities
Index (ECI points, :meth:`sim.model.EcosystemModel.eci`); lags in months; compute in H100e; money in USD/month.
Every column is present in every run, NaN where undefined (e.g. no open model yet).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim import REGIONS

if TYPE_CHECKING:  # pragma: no cover
    from sim.model import EcosystemModel

US, CN = REGIONS.index("US"), REGIONS.index("CN")


@dataclass
class StepView:
    """Arrays of one month, computed once for all reporters. ``act`` (K,) active labs; ``op`` (K,) active and
    open; ``cap`` (K,) capability (log10 effective FLOP, -inf when inactive); ``region_mask`` (R, K) active labs of
    each region; ``t`` the month index."""

    t: int
    act: np.ndarray
    op: np.ndarray
    cap: np.ndarray
    region_mask: np.ndarray


def _max_or_nan(x: np.ndarray) -> float:
    return float(x.max()) if x.size and np.isfinite(x.max()) else float("nan")


def _frontier_c(v: StepView, mask: np.ndarray) -> float:
    return _max_or_nan(v.cap[mask])


def _best_open_region(m: EcosystemModel, v: StepView, r: int) -> float:
    """1 if the best open-weight model (highest capability among active open labs) is from region ``r``, else 0;
    NaN when there is no open model. Ties go to the lower lab index."""
    if not v.op.any():
        return float("nan")
    best = int(np.argmax(np.where(v.op, v.cap, -np.inf)))
    return float(m.labs_state.region[best] == r)


def _noncn_on_cn_open(m: EcosystemModel, v: StepView) -> float:
    outside = m.dev.region != CN
    if not outside.any():
        return float("nan")
    chosen = m.dev.chosen[outside]
    cn_open = (m.labs_state.region == CN) & v.op
    return float((cn_open[np.maximum(chosen, 0)] & (chosen >= 0)).mean())


def _lag(m: EcosystemModel, key: str) -> float:
    return float(m.lags_now.get(key, np.nan))


def _region_reporters() -> dict[str, Callable]:
    out: dict[str, Callable] = {}
    for r, name in enumerate(REGIONS):
        out[f"open_share_{name}"] = (lambda m, v, r=r: float(v.op[v.region_mask[r]].mean())
                                     if v.region_mask[r].any() else float("nan"))
        out[f"frontier_{name}"] = lambda m, v, r=r: float(m.eci(_frontier_c(v, v.region_mask[r])))
        out[f"compute_{name}"] = lambda m, v, r=r: float(m.labs_state.compute[v.region_mask[r]].sum())
        out[f"compute_share_{name}"] = (lambda m, v, r=r: float(m.labs_state.compute[v.region_mask[r]].sum()
                                                                / max(m.labs_state.compute.sum(), 1e-300)))
        out[f"revenue_{name}"] = lambda m, v, r=r: float(m.labs_state.revenue[v.region_mask[r]].sum())
        out[f"adopt_{name}_open"] = lambda m, v, r=r: float(m.share[v.region_mask[r] & v.op].sum())
        out[f"adopt_{name}_closed"] = lambda m, v, r=r: float(m.share[v.region_mask[r] & ~v.op].sum())
    return out


MODEL_REPORTERS: dict[str, Callable[[EcosystemModel, StepView], float]] = {
    **_region_reporters(),
    "frontier_open": lambda m, v: float(m.eci(_frontier_c(v, v.op))),
    "frontier_closed": lambda m, v: float(m.eci(_frontier_c(v, v.act & ~v.op))),
    "frontier": lambda m, v: float(m.eci(_frontier_c(v, v.act))),
    "frontier_train_flop": lambda m, v: float(np.log10(m.labs_state.train_flop[v.act].max())) if v.act.any()
    else float("nan"),
    "best_open_CN": lambda m, v: _best_open_region(m, v, CN),
    "best_open_US": lambda m, v: _best_open_region(m, v, US),
    "open_closed_lag_months": lambda m, v: _lag(m, "open_closed"),
    "open_closed_compute_lag_months": lambda m, v: _lag(m, "open_closed_compute"),
    "us_cn_gap_oom": lambda m, v: _frontier_c(v, v.region_mask[US]) - _frontier_c(v, v.region_mask[CN]),
    "us_cn_gap_eci": lambda m, v: m.scenario.compute.eci_per_oom * (_frontier_c(v, v.region_mask[US])
                                                                    - _frontier_c(v, v.region_mask[CN])),
    "us_cn_gap_months": lambda m, v: _lag(m, "us_cn"),
    "noncn_on_cn_open": _noncn_on_cn_open,
    "adopt_none": lambda m, v: float((m.dev.chosen < 0).mean()),
    "hhi": lambda m, v: float((m.share ** 2).sum()),
    "export_control_US_CN": lambda m, v: float(m.export_control[US, CN]),
    "leakage_US": lambda m, v: float(m.leakage[US]),
    "subsidy_CN": lambda m, v: float(m.subsidy[CN]),
    "market_usd": lambda m, v: float(m.market_size()),
}
"""Time-series columns and how each is computed (see :meth:`sim.model.EcosystemModel.timeseries` for units)."""
