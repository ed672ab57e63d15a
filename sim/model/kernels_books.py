"""Compiled loops (numba, cached on disk) for the month's bookkeeping: the accounting and funding of the labs
(docs/ODD.md 7.9), their chip purchases and training (7.2-7.4), their entry, exit and release months, the recorder's
lags and reporters, and revenue from tokens and prices (7.7).

As in :mod:`sim.model.kernels` (the developers' choice and the payoff sample), each kernel does, element by element
and in the same order, the arithmetic of the numpy formulation it replaces, so every number is the same, bit for
bit; exponentials, logs and powers stay numpy's, outside the kernels. Sums over arrays use
:func:`sim.model.kernels.pairwise_sum`, which reproduces numpy's summation order.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.model.kernels import pairwise_sum


@njit(cache=True)
def region_funding_terms(region: np.ndarray, active: np.ndarray, capability: np.ndarray, sales: np.ndarray,
                         past: np.ndarray, use_past: bool, g_m: float, kappa: float,
                         n_regions: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The arithmetic of :meth:`sim.model.money.Money._accounting` before its powers and exponential, bit for bit:
    ``rev_r`` (R,) each region's sales (``np.bincount(region, weights=sales)``); ``ratio`` (R,) its growth over
    ``past`` (R,; ``rev_r / g_m`` unless ``use_past``) relative to ``g_m``, clipped to 0.1..10
    (``np.clip(growth / g_m, 0.1, 10)``, growth ``g_m`` where the past is not positive); ``mean_rev`` (R,) ``rev_r``
    per active lab of the region (at least one); ``x`` (K,) ``kappa x (capability - the region's best active
    capability)`` (0 for a region without an active lab; -inf before the multiplication for inactive labs);
    ``best`` (R,) the region's best active capability (-inf without an active lab).
    ``region`` (K,) int, ``active`` (K,) bool, ``capability``, ``sales`` (K,) float."""
    k = region.size
    rev_r = np.zeros(n_regions)
    c_max = np.full(n_regions, -np.inf)
    n_r = np.zeros(n_regions, dtype=np.int64)
    for i in range(k):
        r = region[i]
        rev_r[r] += sales[i]
        if active[i]:
            n_r[r] += 1
            c = capability[i]
            if c_max[r] == c_max[r] and not c <= c_max[r]:  # a NaN stays, as max propagates it
                c_max[r] = c
    ratio = np.empty(n_regions)
    mean_rev = np.empty(n_regions)
    best = c_max.copy()
    for r in range(n_regions):
        before = past[r] if use_past else rev_r[r] / g_m
        growth = rev_r[r] / before if before > 0 else g_m
        q = growth / g_m
        ratio[r] = 0.1 if q < 0.1 else 10.0 if q > 10.0 else q
        if not np.isfinite(c_max[r]):
            c_max[r] = 0.0
        mean_rev[r] = rev_r[r] / max(n_r[r], 1)
    x = np.empty(k)
    for i in range(k):
        cap = capability[i] if active[i] else -np.inf
        x[i] = kappa * (cap - c_max[region[i]])
    return rev_r, ratio, mean_rev, x, best


@njit(cache=True)
def lab_funding(region: np.ndarray, active: np.ndarray, e: np.ndarray, sales: np.ndarray, mean_rev: np.ndarray,
                pools: np.ndarray, member: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each source's money shared among the labs it funds (docs/ODD.md 7.9): ``pools`` (S, R) USD/month of each
    source s for each region; ``member`` (S, K) bool, the labs source s funds. A lab's share of its region's pool
    is in proportion to ``e x (sales + mean_rev[region])`` among the active members (``e`` (K,) the exponential of
    :func:`region_funding_terms`' ``x``). Returns (K,) each lab's funding (USD/month) and (S, R) the money each
    pool paid out (0 where the region has no active member with weight)."""
    k, n_src, n_regions = region.size, pools.shape[0], pools.shape[1]
    w = np.zeros(k)
    for i in range(k):
        if active[i]:
            w[i] = e[i] * (sales[i] + mean_rev[region[i]])
    funding = np.zeros(k)
    paid = np.zeros((n_src, n_regions))
    for src in range(n_src):
        w_sum = np.zeros(n_regions)
        for i in range(k):
            if member[src, i]:
                w_sum[region[i]] += w[i]
        for i in range(k):
            r = region[i]
            if member[src, i] and active[i] and w_sum[r] > 0:
                f = pools[src, r] * w[i] / w_sum[r]
                funding[i] += f
                paid[src, r] += f
    return funding, paid


@njit(cache=True, error_model="numpy")
def _lag_months(h: np.ndarray, level: float, t: int, pre_slope: float) -> float:
    """:func:`sim.model.capability.lag_months` of ``h`` (t + 1,), the history up to month ``t``, bit for bit."""
    if level >= h[t]:
        return 0.0
    if level < h[0]:
        return t + (h[0] - level) / pre_slope
    s = 0  # first month with h[s] >= level (np.searchsorted side="left" on the non-decreasing history)
    while s <= t and h[s] < level:
        s += 1
    if s == 0:
        return float(t)
    lo, hi = h[s - 1], h[s]
    frac = (level - lo) / (hi - lo) if hi > lo and np.isfinite(lo) else 1.0
    return float(t - (s - 1 + frac))


@njit(cache=True, error_model="numpy")
def signed_lag(leader_hist: np.ndarray, follower_hist: np.ndarray, t: int, pre_slope: float) -> float:
    """:func:`sim.model.capability.signed_lag` (months the follower trails the leader at month ``t``; negative when
    it leads), bit for bit, on running maxima ``leader_hist`` and ``follower_hist`` (each (>= t + 1,), month 0 on)."""
    a, b = leader_hist[t], follower_hist[t]
    if b <= a:
        return _lag_months(leader_hist, b, t, pre_slope)
    return -_lag_months(follower_hist, a, t, pre_slope)


@njit(cache=True)
def chip_money(income: np.ndarray, active: np.ndarray, region: np.ndarray, subsidy: np.ndarray, spend_share: float,
               theta: np.ndarray, leak: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The labs' chip money this month (:meth:`sim.model.chip_market.ChipMarket._chips`), bit for bit: (K,)
    ``frontier_money`` and ``alt_money`` (:func:`sim.model.compute.split_chip_money` of ``own / (1 - subsidy)``,
    ``own = spend_share x max(income, 0) x active``) and (R,) ``state_funding`` (``np.bincount`` of ``money -
    own``), USD. ``income`` (K,) float, ``active`` (K,) bool, ``region`` (K,) int; ``subsidy``, ``theta``, ``leak``
    (R,)."""
    k = income.size
    frontier, alt, funding = np.empty(k), np.empty(k), np.zeros(subsidy.size)
    for i in range(k):
        r, x = region[i], income[i]
        own = spend_share * (x if x >= 0.0 or x != x else 0.0) * (1.0 if active[i] else 0.0)
        money = own / (1.0 - subsidy[r])
        funding[r] += money - own
        th = theta[r]
        frontier[i] = money * ((1.0 - th) + th * leak[r])
        alt[i] = money - frontier[i]
    return frontier, alt, funding


@njit(cache=True)
def chips_bought(compute: np.ndarray, keep: float, frontier: np.ndarray, alt_money: np.ndarray, alt_price: float,
                 alt_cap: np.ndarray, region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(K,) H100e: the labs' alternative chips (:func:`sim.model.compute.buy_alt_chips`: ``alt_money / alt_price``,
    pro rata up to each region's ``alt_cap`` (R,)) and their compute after the month, ``compute x keep + frontier +
    alt`` (``keep`` = 1 - 1 / depreciation months; ``frontier`` (K,) the frontier chips they bought), bit for bit."""
    k = compute.size
    demand = alt_money / alt_price
    region_demand = np.zeros(alt_cap.size)
    for i in range(k):
        region_demand[region[i]] += demand[i]
    fill = np.empty(alt_cap.size)
    for r in range(alt_cap.size):
        if region_demand[r] > 0:
            f = alt_cap[r] / region_demand[r]
            fill[r] = f if f <= 1.0 or f != f else 1.0  # np.minimum(1, f)
        else:
            fill[r] = 1.0
    alt, after = np.empty(k), np.empty(k)
    for i in range(k):
        alt[i] = demand[i] * fill[region[i]]
        after[i] = (compute[i] * keep + frontier[i]) + alt[i]
    return alt, after


@njit(cache=True)
def train_month(lab_open: np.ndarray, need_per_share: float, share: np.ndarray, compute: np.ndarray,
                max_inference_share: float, train_share: float, fpm: float, final_share: float, active: np.ndarray,
                accrued: np.ndarray) -> np.ndarray:
    """:meth:`sim.model.chip_market.ChipMarket._train`'s arithmetic, bit for bit: add to ``accrued`` (K,) the
    month's training FLOP, ``train_share x (compute - serve) x fpm x final_share x active``, where a closed lab
    serves ``serve = min(need, max_inference_share x compute)`` of its inference need ``need_per_share x share``;
    return (K,) ``quality``, ``serve / need`` (1 without need)."""
    k = compute.size
    quality = np.empty(k)
    for i in range(k):
        need = 0.0 if lab_open[i] else need_per_share * share[i]
        cap = max_inference_share * compute[i]
        serve = need if need <= cap or need != need else cap  # np.minimum
        quality[i] = serve / need if need > 0 else 1.0
        accrued[i] = accrued[i] + train_share * (compute[i] - serve) * fpm * final_share * (1.0 if active[i] else 0.0)
    return quality


@njit(cache=True)
def price_table(log_flop: np.ndarray, log_hosting: float, elasticity: float, lab_open: np.ndarray,
                log_chip: np.ndarray, closed: np.ndarray) -> np.ndarray:
    """(R, K) log10 price (USD per million tokens) developers of each region pay for each lab's current model, bit
    for bit :func:`sim.model.market.log_price`'s arithmetic for every lab: serving cost ``log_hosting + elasticity x
    (log_flop - 25)`` (``log_flop`` (K,) log10 training FLOP) plus, for open weights, ``log_chip`` (R,) of the
    developer's region, for a closed API ``closed`` (K,) of its lab's."""
    k, n_regions = log_flop.size, log_chip.size
    out = np.empty((n_regions, k))
    for i in range(k):
        base = log_hosting + elasticity * (log_flop[i] - 25.0)
        for r in range(n_regions):
            out[r, i] = base + log_chip[r] if lab_open[i] else base + closed[i]
    return out


@njit(cache=True)
def mean_log_price(counts: np.ndarray, log_prices: np.ndarray, group_region: np.ndarray) -> tuple[int, float]:
    """(developers on a model, their mean log10 price): ``counts.sum()`` and ``(counts x
    log_prices[group_region]).sum() / counts.sum()`` (NaN without developers) as numpy computes them (the products
    in row order, then :func:`pairwise_sum`). ``counts`` (G, K) int, ``log_prices`` (R, K), ``group_region`` (G,)."""
    g_n, k = counts.shape
    prod = np.empty(g_n * k)
    n = 0
    for g in range(g_n):
        for i in range(k):
            prod[g * k + i] = counts[g, i] * log_prices[group_region[g], i]
            n += counts[g, i]
    return n, pairwise_sum(prod) / n if n > 0 else np.nan


@njit(cache=True)
def lab_sales(counts: np.ndarray, scale: float, factor: np.ndarray, group_region: np.ndarray, active: np.ndarray,
              lab_open: np.ndarray, complement: np.ndarray, quality: np.ndarray, margin: np.ndarray,
              region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(K,) each lab's sales and revenue (USD/month; :meth:`sim.model.money.Money._revenue`), bit for bit: its
    adopters' token spending ``(counts x spend).sum(axis=0) x active`` (``counts`` (G, K) developers by group and
    model; ``spend = scale x factor[group_region]`` USD each spends on it, ``factor`` (R, K); rows added in
    order), times ``complement`` (K,) for open weights or ``quality`` (K,) for a closed API (sales); revenue: sales
    times 1 (open) or the region's ``margin`` (R,)."""
    g_n, k = counts.shape
    sales, revenue = np.empty(k), np.empty(k)
    for i in range(k):
        tokens = counts[0, i] * (scale * factor[group_region[0], i])
        for g in range(1, g_n):
            tokens = tokens + counts[g, i] * (scale * factor[group_region[g], i])
        tokens = tokens * (1.0 if active[i] else 0.0)
        sales[i] = tokens * (complement[i] if lab_open[i] else quality[i])
        revenue[i] = sales[i] * (1.0 if lab_open[i] else margin[region[i]])
    return sales, revenue


@njit(cache=True)
def active_max(x: np.ndarray, active: np.ndarray) -> tuple[float, bool]:
    """(``x[active].max()``, ``active.any()``) for ``x`` (K,) float and ``active`` (K,) bool, without the copy (-inf
    when none is active; NaN if any active value is, as ``max`` propagates it)."""
    best, found = -np.inf, False
    for i in range(x.size):
        if active[i]:
            c = x[i]
            if not found:
                best, found = c, True
            elif best == best and not c <= best:
                best = c
    return best, found


@njit(cache=True)
def region_counts_on(counts: np.ndarray, labs: np.ndarray, n_regions: int) -> np.ndarray:
    """(R,) float: developers of each region on the models of ``labs`` (K,) bool, from ``counts`` (G, K) developers
    by group (region-major: G / R groups a region) and model; whole counts, the numbers of
    ``(counts @ labs).reshape(R, -1).sum(axis=1)``."""
    g_n, k = counts.shape
    per = g_n // n_regions
    total = np.zeros(n_regions, dtype=np.int64)
    for g in range(g_n):
        for i in range(k):
            if labs[i]:
                total[g // per] += counts[g, i]
    return total.astype(np.float64)


@njit(cache=True)
def ratio_or_nan(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a / b`` where ``b > 0``, NaN elsewhere (``np.divide(a, b, out=np.full(n, nan), where=b > 0)``); (n,)."""
    out = np.full(a.size, np.nan)
    for i in range(a.size):
        if b[i] > 0:
            out[i] = a[i] / b[i]
    return out


@njit(cache=True)
def eci_of(c: np.ndarray, offset: float, slope: float) -> np.ndarray:
    """``offset + slope x c`` where ``c`` (n,) is finite, NaN elsewhere
    (:meth:`sim.model.ecosystem.EcosystemModel.eci` of an array)."""
    out = np.full(c.size, np.nan)
    for i in range(c.size):
        if np.isfinite(c[i]):
            out[i] = offset + slope * c[i]
    return out


@njit(cache=True)
def budget_sums(revenue: np.ndarray, investment: np.ndarray, funding: np.ndarray) -> tuple[float, float]:
    """(``revenue.sum()``, ``revenue.sum() + investment.sum() + funding.sum()``) of three (n,) float arrays, as numpy
    sums them (:func:`pairwise_sum`)."""
    r = pairwise_sum(revenue)
    return r, (r + pairwise_sum(investment)) + pairwise_sum(funding)


@njit(cache=True)
def sum_of_squares(x: np.ndarray) -> float:
    """``(x ** 2).sum()`` of ``x`` (n,) float, as numpy computes it (squares, then :func:`pairwise_sum`)."""
    return pairwise_sum(x * x)


@njit(cache=True)
def replace_row(total: np.ndarray, row: np.ndarray, new: np.ndarray) -> None:
    """``total += new - row; row[:] = new`` for (n,) float arrays, element by element (the same numbers)."""
    for j in range(total.size):
        total[j] = total[j] + (new[j] - row[j])
        row[j] = new[j]


@njit(cache=True)
def lab_events(entry: np.ndarray, exit_: np.ndarray, active: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
    """(labs leaving, labs entering) in month ``t``, increasing lab indices: ``np.flatnonzero((exit_ == t) &
    active)`` and ``np.flatnonzero((entry == t) & (t > 0) & (exit_ > t))``. ``entry``, ``exit_`` (K,) int month
    indices, ``active`` (K,) bool."""
    k = entry.size
    gone, new = np.empty(k, dtype=np.int64), np.empty(k, dtype=np.int64)
    n_gone = n_new = 0
    for i in range(k):
        if exit_[i] == t and active[i]:
            gone[n_gone] = i
            n_gone += 1
        if t > 0 and entry[i] == t and exit_[i] > t:
            new[n_new] = i
            n_new += 1
    return gone[:n_gone], new[:n_new]


@njit(cache=True)
def due_labs(active: np.ndarray, phase: np.ndarray, t: int, cycle: int) -> np.ndarray:
    """Labs releasing in month ``t``, increasing: ``np.flatnonzero(active & ((t - phase) % cycle == 0))`` (``active``
    (K,) bool, ``phase`` (K,) int; the modulo floored, as numpy's and Python's)."""
    out = np.empty(active.size, dtype=np.int64)
    n = 0
    for i in range(active.size):
        if active[i] and (t - phase[i]) % cycle == 0:
            out[n] = i
            n += 1
    return out[:n]


@njit(cache=True)
def months_short(income: np.ndarray, active: np.ndarray, depreciation_cost: np.ndarray, spend_share: float,
                 coverage: float, short: np.ndarray, after: int) -> tuple[np.ndarray, np.ndarray]:
    """(K,) months in a row each lab's chip budget ``spend_share x income`` has been below ``coverage x
    depreciation_cost`` (``short`` (K,) int the count before this month; 0 for an inactive lab), and the labs
    (increasing) whose count has reached ``after``: :meth:`sim.model.money.Money._exit_through_money`'s arrays."""
    k = income.size
    count = np.empty(k, dtype=np.int64)
    out = np.empty(k, dtype=np.int64)
    n = 0
    for i in range(k):
        count[i] = short[i] + 1 if active[i] and spend_share * income[i] < coverage * depreciation_cost[i] else 0
        if count[i] >= after:
            out[n] = i
            n += 1
    return count, out[:n]


@njit(cache=True)
def adopter_counts(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """From ``counts`` (G, 1 + K) int developers by group and model (no model first): (G, K) the models' columns
    (a contiguous copy), (K,) their sums over groups and the developers without a model (whole counts)."""
    g_n, k1 = counts.shape
    table = np.empty((g_n, k1 - 1), dtype=np.int64)
    total = np.zeros(k1 - 1, dtype=np.int64)
    without = 0
    for g in range(g_n):
        without += counts[g, 0]
        for i in range(k1 - 1):
            table[g, i] = counts[g, i + 1]
            total[i] += counts[g, i + 1]
    return table, total, without
