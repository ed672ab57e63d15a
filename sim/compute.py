"""Chip market, compute stocks and algorithmic progress: pure functions on arrays (DESIGN.md §2-3).

Units: compute in H100-equivalents (H100e; 989 TFLOP/s dense BF16), money in USD, time in months
since the scenario start. Nothing here draws random numbers or holds state.
"""

from __future__ import annotations

import numpy as np

SECONDS_PER_MONTH = 365.25 * 24 * 3600 / 12
"""Seconds in a mean month (2.63e6 s)."""

PRE_START_COMPUTE_GROWTH_PER_YEAR = 4.5
"""Frontier training compute growth before the start date, used only to extrapolate lags that reach back
before the simulation (Epoch AI 2024, 'Training compute of frontier AI models grows by 4-5x per year')."""


def flop_per_h100e_month(peak_flops: float, utilization: float) -> float:
    """Training FLOP one H100e delivers in a month at the given utilisation (about 1.04e21 at 989e12, 0.4)."""
    return peak_flops * utilization * SECONDS_PER_MONTH


def algorithmic_efficiency(t_months: float | np.ndarray, tau_alg_months: float) -> float | np.ndarray:
    """Effective-compute multiplier ``A(t) = 2**(t / tau_alg)`` relative to the start date.

    Source: Ho et al. 2024 (arXiv:2403.05812), halving time of required compute ~8 months (95% CI 5-14)."""
    return np.power(2.0, np.asarray(t_months, dtype=float) / tau_alg_months)


def chip_price(t_months: float, price0: float, doubling_months: float) -> float:
    """USD per H100e at month ``t``: ``price0 * 2**(-t / doubling)`` (price-performance doubling,
    Epoch AI 2022: ~2.5 years)."""
    return price0 * 2.0 ** (-t_months / doubling_months)


def effective_control(export_control: np.ndarray, leakage: np.ndarray,
                      compliant: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Strictness, leakage and compliant-chip allowance that bind on each importing region.

    Parameters
    ----------
    export_control : (G, R) array, strictness of exporter g's controls on importer r, 0..1.
    leakage : (G,) array, leakage of each exporter's controls, 0..1.
    compliant : (G, R) array, share of compliant chip exports exporter g allows to importer r (default all 1).

    Returns
    -------
    theta : (R,) the strictest control on each importer (exporters do not control themselves).
    leak : (R,) the leakage of the exporter that sets ``theta`` (1 where no control binds).
    allowed : (R,) the compliant-export allowance of that exporter (1 where no control binds).
    """
    ec = np.array(export_control, dtype=float, copy=True)
    np.fill_diagonal(ec, 0.0)
    g = np.argmax(ec, axis=0)
    cols = np.arange(ec.shape[1])
    theta = ec[g, cols]
    leak = np.where(theta > 0, np.asarray(leakage, dtype=float)[g], 1.0)
    allowed = np.ones_like(theta) if compliant is None else np.where(theta > 0, np.asarray(compliant)[g, cols], 1.0)
    return theta, leak, allowed


def alt_supply_cap(t_months: float, cap0: np.ndarray, growth_per_year: float, compliant_share: np.ndarray,
                   allowed: np.ndarray) -> np.ndarray:
    """(R,) H100e of alternative chips available to each region in month ``t``:
    ``cap0 * growth**(t/12) * (1 - compliant_share * (1 - allowed))`` — domestic chips plus the part of the
    compliant imports the exporter still allows."""
    return cap0 * growth_per_year ** (t_months / 12) * (1.0 - compliant_share * (1.0 - allowed))


def chip_market(money: np.ndarray, region: np.ndarray, theta: np.ndarray, leak: np.ndarray, price: float,
                 eta_alt: float, alt_cap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split each lab's chip spend into frontier and alternative chips (DESIGN.md §3 step 2).

    A lab in a region under controls of strictness ``theta`` with leakage ``leak`` gets frontier chips for
    ``(1 - theta) + theta * leak`` of its money; the rest buys alternative chips at ``eta_alt`` H100e per
    frontier-chip price, up to the region's supply cap, shared pro rata among the region's labs.

    Parameters
    ----------
    money : (L,) USD each lab spends on chips this month, >= 0.
    region : (L,) int region index of each lab.
    theta, leak : (R,) from :func:`effective_control`.
    price : USD per H100e of frontier chips this month, > 0.
    eta_alt : performance per dollar of alternative chips relative to frontier chips, 0..1.
    alt_cap : (R,) H100e of alternative chips available to each region this month, >= 0.

    Returns
    -------
    frontier_h100e, alt_h100e : (L,) H100e bought of each kind (money the cap leaves unspent is not spent).
    """
    th = theta[region]
    frontier_money = money * ((1.0 - th) + th * leak[region])
    alt_demand = (money - frontier_money) * eta_alt / price
    region_demand = np.bincount(region, weights=alt_demand, minlength=len(alt_cap))
    with np.errstate(divide="ignore", invalid="ignore"):
        fill = np.where(region_demand > 0, np.minimum(1.0, alt_cap / region_demand), 1.0)
    return frontier_money / price, alt_demand * fill[region]


def depreciate(stock: np.ndarray, depreciation_months: float) -> np.ndarray:
    """Compute stock after one month of exponential depreciation with mean life ``depreciation_months``."""
    return stock * (1.0 - 1.0 / depreciation_months)
