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
                   allowed: np.ndarray, growth_after: float | None = None,
                   change_months: float = float("inf")) -> np.ndarray:
    """(R,) H100e of alternative chips available to each region in month ``t_months`` (months from the anchor
    month at which ``cap0`` is given): ``cap0`` grown along :func:`world_production`'s two-rate path (``growth``
    a year, ``growth_after`` from ``change_months`` on), times ``1 - compliant_share * (1 - allowed)``: domestic
    chips plus the part of the compliant imports the exporter still allows."""
    g_after = growth_per_year if growth_after is None else growth_after
    level = world_production(t_months, 1.0, growth_per_year, g_after, change_months)
    return cap0 * level * (1.0 - compliant_share * (1.0 - allowed))


def world_production(t_months: float, level: float, growth_before: float, growth_after: float,
                     change_months: float) -> float:
    """World production of frontier AI chips (H100e/month) ``t_months`` after the anchor month at which it is
    ``level``: growth ``growth_before`` a year up to ``change_months`` after the anchor, ``growth_after`` from then
    on (continuous at the change). Sources: :class:`sim.scenario.schema.Chips` (Epoch AI chip sales; Sevilla et al. 2024)."""
    if t_months <= change_months:
        return level * growth_before ** (t_months / 12)
    return level * growth_before ** (change_months / 12) * growth_after ** ((t_months - change_months) / 12)


def initial_world_stock(production0: float, growth_per_year: float, depreciation_months: float) -> float:
    """Installed world stock (H100e) at a month whose production is ``production0``, when production had grown at
    ``growth_per_year`` for ever and chips depreciate with mean life ``depreciation_months``:
    ``P0 / (1 - (1 - 1/dep) / g**(1/12))`` (a geometric sum of past production net of depreciation)."""
    q = (1.0 - 1.0 / depreciation_months) / growth_per_year ** (1 / 12)
    return production0 / (1.0 - q) if q < 1 else float("inf")


def clear_chip_market(frontier_money: np.ndarray, outside_money: float, supply: float,
                      list_price: float) -> tuple[np.ndarray, float, float]:
    """Sell this month's world chip production to the labs and the outside buyers (ODD 7.3).

    Every buyer brings a budget; chip makers sell at ``list_price`` while demand at that price is below capacity,
    and when it exceeds capacity the price rises until the budgets buy exactly the month's production:
    ``price = max(list_price, (sum(frontier_money) + outside_money) / supply)``. A controlled region's money that
    may not buy frontier chips is not in ``frontier_money``, so its lost purchases go to the other buyers (a lower
    price).

    Parameters
    ----------
    frontier_money : (L,) USD each lab spends on frontier chips this month, >= 0.
    outside_money : USD the buyers outside the model spend, >= 0.
    supply : H100e produced this month, > 0.
    list_price : USD per H100e at which makers sell when capacity is slack, > 0.

    Returns
    -------
    (labs_h100e (L,), price USD per H100e, outside_h100e). ``labs_h100e.sum() + outside_h100e <= supply``.

    Raises ValueError when ``supply`` or ``list_price`` is not positive.
    """
    if not supply > 0 or not list_price > 0:
        raise ValueError(f"chip market: supply ({supply!r} H100e) and list price ({list_price!r} USD) must be > 0")
    demand = float(frontier_money.sum()) + outside_money
    price = max(list_price, demand / supply)
    return frontier_money / price, price, outside_money / price


def split_chip_money(money: np.ndarray, region: np.ndarray, theta: np.ndarray, leak: np.ndarray,
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(frontier_money, alt_money), each (L,): a lab in a region under controls of strictness ``theta`` with
    leakage ``leak`` may spend ``(1 - theta) + theta * leak`` of its chip money on frontier chips; the rest goes to
    alternative chips."""
    th = theta[region]
    frontier = money * ((1.0 - th) + th * leak[region])
    return frontier, money - frontier


def buy_alt_chips(alt_money: np.ndarray, region: np.ndarray, alt_price: float, alt_cap: np.ndarray) -> np.ndarray:
    """(L,) H100e of alternative chips each lab buys: ``alt_money / alt_price``, up to the region's supply
    ``alt_cap`` (R,), shared pro rata among the region's labs (money the cap leaves unspent is not spent)."""
    demand = alt_money / alt_price
    region_demand = np.bincount(region, weights=demand, minlength=len(alt_cap))
    with np.errstate(divide="ignore", invalid="ignore"):
        fill = np.where(region_demand > 0, np.minimum(1.0, alt_cap / region_demand), 1.0)
    return demand * fill[region]


def depreciate(stock: np.ndarray, depreciation_months: float) -> np.ndarray:
    """Stock (H100e; an array or a number) after one month of exponential depreciation with mean life
    ``depreciation_months`` (> 0): ``stock * (1 - 1 / depreciation_months)``."""
    return stock * (1.0 - 1.0 / depreciation_months)
