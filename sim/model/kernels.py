"""Compiled loops (numba, cached on disk) for the two array pipelines that run every month: the reviewing developers'
logit choice and the labs' payoff sample (docs/ODD.md 7.7, 7.8).

Each kernel does, element by element and in the same order, the arithmetic of the numpy formulation it replaces
(:func:`sim.model.market.group_utility_t` and :func:`sim.model.market.choose_t`; the payoff sample of
:meth:`sim.model.demand.Demand._prepare_payoff_sample`), so every number is the same, bit for bit. The exponential
is not in them: it stays numpy's (``np.exp`` on the kernels' output), whose last bit may differ from the C
library's that compiled code calls. Multiplications and additions are never fused (numba compiles without
``fastmath``, so LLVM does not contract them into FMA).

Layout: models as rows, developers as columns ((k, n), as :func:`sim.model.market.group_utility_t`), the developers
sorted by group (region x segment): group g's are columns ``bounds[g]:bounds[g + 1]``; (k, G) tables are per model
and group. The inner loops run over a group's developers, with the model's and group's numbers held fixed.
Also here: distillation's teachers and the releasing lab's best other models. The month's bookkeeping (money, chips,
recording, entry and exit) is in :mod:`sim.model.kernels_books`.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def utilities(w_cap: np.ndarray, w_open: np.ndarray, w_sov: np.ndarray, bounds: np.ndarray, c_rel: np.ndarray,
              lab_open: np.ndarray, distrust: np.ndarray, per_group: np.ndarray, blocked: np.ndarray, n_top: int,
              lock_row: np.ndarray, w_lock: float, out: np.ndarray) -> np.ndarray:
    """Write into ``out`` (k, n) each developer's utility of each model minus ``shift``, its best accessible
    utility among the first ``n_top`` models (0 when none is accessible), 0 where blocked; return ``shift`` (n,).

    ``w_cap``, ``w_open``, ``w_sov`` (n,) developer tastes; ``bounds`` (G + 1,) uint64 the groups' first columns
    (unsigned, so that the loops over a group's columns need no negative-index check and compile to vector code);
    ``c_rel`` (k,) ``(c_k - c_max) / c_scale``, ``lab_open`` (k,) bool; ``distrust``, ``per_group`` (k, G) float
    and ``blocked`` (k, G) bool; ``lock_row`` (n,) the row of the model a developer may keep (-1: none), which gets
    ``w_lock`` added. Utility in logit units, in the arithmetic of :func:`sim.model.market.group_utility_t` and
    the switching cost: ``((c_rel w_cap [+ w_open]) - distrust w_sov) + per_group [+ w_lock]``."""
    k, n = out.shape
    top = np.full(n, -np.inf)
    for r in range(k):
        c, is_open, o = c_rel[r], lab_open[r], out[r]
        for g in range(len(bounds) - 1):
            d, pg = distrust[r, g], per_group[r, g]
            if is_open:
                for j in range(bounds[g], bounds[g + 1]):
                    o[j] = ((c * w_cap[j] + w_open[j]) - d * w_sov[j]) + pg
            else:
                for j in range(bounds[g], bounds[g + 1]):
                    o[j] = (c * w_cap[j] - d * w_sov[j]) + pg
            if w_lock != 0.0:
                for j in range(bounds[g], bounds[g + 1]):
                    if lock_row[j] == r:
                        o[j] = o[j] + w_lock
            if r < n_top and not blocked[r, g]:
                for j in range(bounds[g], bounds[g + 1]):
                    if o[j] > top[j]:
                        top[j] = o[j]
    shift = np.where(top > -np.inf, top, 0.0)
    for r in range(k):
        o = out[r]
        for g in range(len(bounds) - 1):
            if blocked[r, g]:
                for j in range(bounds[g], bounds[g + 1]):
                    o[j] = 0.0
            else:
                for j in range(bounds[g], bounds[g + 1]):
                    o[j] = o[j] - shift[j]
    return shift


@njit(cache=True)
def zero_blocked(e: np.ndarray, blocked: np.ndarray, bounds: np.ndarray) -> None:
    """Set ``e`` (k, n) to 0 where ``blocked`` (k, G), by the groups' columns ``bounds`` (G + 1,) uint64."""
    for r in range(e.shape[0]):
        o = e[r]
        for g in range(len(bounds) - 1):
            if blocked[r, g]:
                for j in range(bounds[g], bounds[g + 1]):
                    o[j] = 0.0


@njit(cache=True)
def draw(e: np.ndarray, draws: np.ndarray, rows_ext: np.ndarray) -> np.ndarray:
    """(n,) the model each developer draws, -1 for one with no accessible model: the inverse CDF of
    :func:`sim.model.market.choose_t`, the same draw. ``e`` (k, n) ``exp(V - shift)``, 0 where blocked
    (:func:`utilities`, ``exp``, :func:`zero_blocked`); ``draws`` (n,) uniform numbers in [0, 1); ``rows_ext``
    (k + 1,) the model of each row, then the last model (a draw at or above the cumulative sum's top)."""
    k, n = e.shape
    total = e[0].copy()
    for r in range(1, k):  # the cumulative sum's last row, in the order of np.cumsum
        for j in range(n):
            total[j] = total[j] + e[r, j]
    u = draws * total
    c = e[0].copy()
    below = np.zeros(n, dtype=np.int64)
    for r in range(k):
        for j in range(n):
            if r > 0:
                c[j] = c[j] + e[r, j]
            if c[j] <= u[j]:
                below[j] += 1
    chosen = np.empty(n, dtype=np.int64)
    for j in range(n):
        chosen[j] = rows_ext[below[j]] if total[j] > 0 else -1
    return chosen


@njit(cache=True)
def placed_row_sums(e: np.ndarray, pos: np.ndarray, k: int) -> np.ndarray:
    """(n,) the sums over rows of a (k, n) array that holds row ``e[i]`` ((a, n)) at row ``pos[i]`` ((a,), increasing)
    and zeros elsewhere: bit for bit :func:`sim.model.market.row_sums_t` of that array, for k <= 128 (its 8 partial
    sums, then the rows past the last multiple of 8; adding a zero row changes no sum, so those are left out)."""
    a, n = e.shape
    if k < 8:
        res = np.zeros(n)
        for i in range(a):
            for j in range(n):
                res[j] += e[i, j]
        return res
    m = k - k % 8
    acc = np.zeros((8, n))
    i = 0
    while i < a and pos[i] < m:  # element loops, not row expressions: no temporaries, vector code
        r = pos[i] % 8
        for j in range(n):
            acc[r, j] += e[i, j]
        i += 1
    res = np.empty(n)
    for j in range(n):
        lo = (acc[0, j] + acc[1, j]) + (acc[2, j] + acc[3, j])
        res[j] = lo + ((acc[4, j] + acc[5, j]) + (acc[6, j] + acc[7, j]))
    while i < a:
        for j in range(n):
            res[j] += e[i, j]
        i += 1
    return res


@njit(cache=True)
def group_tables(labs: np.ndarray, lab_open: np.ndarray, base: np.ndarray, closed_price: np.ndarray,
                 net_term: np.ndarray, w_price_group: np.ndarray, group_region: np.ndarray, log_chip: np.ndarray,
                 dist_open: np.ndarray, dist_closed: np.ndarray, acc_open: np.ndarray, acc_closed: np.ndarray,
                 active: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(k, G) ``distrust``, group terms ``w_net log(share + eps) - w_price_g log10(price)`` and ``blocked`` of
    models (rows) of labs ``labs`` (k,) released open or not (``lab_open``, (k,) bool), for each developer group,
    as :meth:`sim.model.demand.Demand._group_tables` computes them: ``base`` (k,) log10 serving cost, an open model's
    price ``base + log_chip[region of the group]`` (``log_chip`` (R,)), a closed one's ``closed_price`` (k,);
    ``net_term`` (k,) ``w_net log(share + eps)``; ``w_price_group``, ``group_region`` (G,); the policies' (G, K)
    ``dist_open``, ``dist_closed``, ``acc_open``, ``acc_closed`` by lab; ``active`` (K,) bool."""
    k, n_groups = len(labs), len(group_region)
    dist = np.empty((k, n_groups))
    per_group = np.empty((k, n_groups))
    blocked = np.empty((k, n_groups), dtype=np.bool_)
    for r in range(k):
        i, o = labs[r], lab_open[r]
        for g in range(n_groups):
            price = base[r] + log_chip[group_region[g]] if o else closed_price[r]
            per_group[r, g] = net_term[r] - w_price_group[g] * price
            dist[r, g] = dist_open[g, i] if o else dist_closed[g, i]
            blocked[r, g] = not ((acc_open[g, i] if o else acc_closed[g, i]) and active[i])
    return dist, per_group, blocked


@njit(cache=True)
def _pairwise_leaf(a: np.ndarray, lo: int, n: int) -> float:
    """numpy's pairwise sum of ``a[lo:lo + n]`` for n <= 128: sequential below 8 terms, else 8 partial sums."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    m = n - n % 8
    for i in range(lo + 8, lo + m, 8):
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(lo + m, lo + n):
        res += a[i]
    return res


@njit(cache=True)
def pairwise_sum(a: np.ndarray) -> float:
    """The sum of ``a`` (1-D float) bit for bit as numpy's ``np.add.reduce`` of a contiguous row gives it: pairwise
    summation, :func:`_pairwise_leaf` up to 128 terms, above that the two halves (the first rounded down to a
    multiple of 8) summed apart and added. The halving runs on explicit stacks (a cached numba function may not
    call itself)."""
    if a.size <= 128:
        return _pairwise_leaf(a, 0, a.size)
    task_lo = np.empty(128, dtype=np.int64)  # pending work, last in first out: a range to sum, or n = -1: add
    task_n = np.empty(128, dtype=np.int64)
    values = np.empty(128)
    n_tasks, n_values = 1, 0
    task_lo[0], task_n[0] = 0, a.size
    while n_tasks:
        n_tasks -= 1
        lo, n = task_lo[n_tasks], task_n[n_tasks]
        if n < 0:  # the two halves' sums are the top two values: left below right
            n_values -= 1
            values[n_values - 1] = values[n_values - 1] + values[n_values]
        elif n <= 128:
            values[n_values] = _pairwise_leaf(a, lo, n)
            n_values += 1
        else:
            n2 = n // 2
            n2 -= n2 % 8
            task_n[n_tasks] = -1
            task_lo[n_tasks + 1], task_n[n_tasks + 1] = lo + n2, n - n2
            task_lo[n_tasks + 2], task_n[n_tasks + 2] = lo, n2
            n_tasks += 3
    return values[0]


@njit(cache=True)
def imitation_pulls(adopters: np.ndarray, lab_open: np.ndarray, active: np.ndarray, region: np.ndarray,
                    i: int) -> tuple[float, float]:
    """The pull toward open on lab ``i`` of its active home-region peers and of all its active peers
    (:func:`sim.model.decision.imitation_pull`: ``sum_j max(0, a_j - a_i) (2 open_j - 1) / sum_j a_j``, 0 without
    adopters), the peers' terms gathered in lab order and summed as numpy sums them (:func:`pairwise_sum`), so every
    number is numpy's formulation's, bit for bit. ``adopters`` (K,) int, ``lab_open``/``active`` (K,) bool,
    ``region`` (K,) int."""
    k = adopters.size
    a_i = float(adopters[i])
    a_home, w_home, a_world, w_world = np.empty(k), np.empty(k), np.empty(k), np.empty(k)
    n_home, n_world = 0, 0
    for j in range(k):
        if j == i or not active[j]:
            continue
        a = float(adopters[j])
        g = max(a - a_i, 0.0)
        w = g if lab_open[j] else -g
        a_world[n_world], w_world[n_world] = a, w
        n_world += 1
        if region[j] == region[i]:
            a_home[n_home], w_home[n_home] = a, w
            n_home += 1
    total_home, total_world = pairwise_sum(a_home[:n_home]), pairwise_sum(a_world[:n_world])
    home = 0.0 if total_home <= 0 else pairwise_sum(w_home[:n_home]) / total_home
    world = 0.0 if total_world <= 0 else pairwise_sum(w_world[:n_world]) / total_world
    return home, world


@njit(cache=True)
def counterfactual_shares(ps_sum: np.ndarray, own: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, float, float]:
    """A lab's expected logit shares released open and closed on the payoff sample: ``p`` (2, n_s) each sample
    developer's probability ``e / ((ps_sum - own) + e)`` (0 where that denominator is not positive) and its two row
    means (``np.add.reduce(p, axis=1) / n_s``, bit for bit). ``ps_sum`` (n_s,) the sums over models of
    ``exp(V - ref)``, ``own`` (n_s,) the lab's current model's term in them, ``e`` (2, n_s) its new model's, open
    and closed."""
    n = ps_sum.size
    p = np.empty((2, n))
    for c in range(2):
        for j in range(n):
            denom = (ps_sum[j] - own[j]) + e[c, j]
            p[c, j] = e[c, j] / denom if denom > 0 else 0.0
    return p, pairwise_sum(p[0]) / n, pairwise_sum(p[1]) / n


@njit(cache=True)
def teacher_channels(students: np.ndarray, region: np.ndarray, teacher_open: np.ndarray, active: np.ndarray,
                     teacher_there: np.ndarray, api_block: np.ndarray, ban_foreign_closed: np.ndarray,
                     api_efficiency: float, open_banned: np.ndarray) -> np.ndarray:
    """(D, K) channel efficiency of each lab's model as a teacher for each student lab ``students`` (D,):
    :func:`sim.model.distillation.reachable_teachers` (``region`` (K,) of the labs, ``teacher_open`` (K,) bool,
    ``active`` (K,) bool labs active now, ``api_block`` (R, R), ``ban_foreign_closed`` (R,), ``open_banned``
    (D, R)), 0 where the teacher's model did not exist (``teacher_there`` (K,) bool) and for the student itself."""
    n, k = len(students), len(region)
    eff = np.zeros((n, k))
    for d in range(n):
        sr = region[students[d]]
        for j in range(k):
            if not teacher_there[j] or j == students[d]:
                continue
            if teacher_open[j]:
                eff[d, j] = 0.0 if open_banned[d, region[j]] else 1.0
            elif active[j] and not api_block[region[j], sr] and not (region[j] != sr and ban_foreign_closed[sr]):
                eff[d, j] = api_efficiency
    return eff


@njit(cache=True)
def best_teachers(own: np.ndarray, own_flop: np.ndarray, teacher_cap: np.ndarray, eff: np.ndarray,
                  absorb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rest of :func:`sim.model.distillation.distilled_capabilities`, bit for bit, given the absorbed shares
    ``absorb`` (D, K) (its ``expit``): each student's gain ``eff x absorb x gap`` from each reachable teacher above
    it, the best (the first of equal ones) taken when positive, below the teacher. ``own``, ``own_flop`` (D,);
    ``teacher_cap`` (K,); ``eff`` (D, K). Returns capability (D,) and teacher (D,) int (-1 for none)."""
    n, k = eff.shape
    new = own.copy()
    teacher = np.full(n, -1, dtype=np.int64)
    for d in range(n):
        any_ok, best_k, best = False, 0, 0.0
        for j in range(k):
            gap = teacher_cap[j] - own[d]
            ok = eff[d, j] > 0 and gap > 0 and np.isfinite(teacher_cap[j])
            gain = eff[d, j] * absorb[d, j] * gap if ok else 0.0
            any_ok = any_ok or ok
            if j == 0 or gain > best or (np.isnan(gain) and not np.isnan(best)):  # np.argmax's choice
                best_k, best = j, gain
        if any_ok and own_flop[d] > 0 and np.isfinite(own[d]) and best > 0:
            new[d] = min(own[d] + best, np.nextafter(teacher_cap[best_k], -np.inf))
            teacher[d] = best_k
    return new, teacher


@njit(cache=True)
def month_view(region: np.ndarray, active: np.ndarray, lab_open: np.ndarray, capability: np.ndarray,
               compute: np.ndarray, revenue: np.ndarray, sales: np.ndarray, share: np.ndarray,
               n_regions: int) -> tuple[np.ndarray, np.ndarray, int, float]:
    """What :func:`sim.model.reporters.step_view` sums and maximises over the labs, in one pass: (7, R) per-region
    sums, in lab order as ``np.bincount`` adds them (a lab left out adds 0): compute and revenue and sales of active
    labs, share of developers on active open and on active closed models, active labs, active open labs; (R,)
    ``frontier``, the best capability of each region's active labs (-inf without); ``best_open``, the first lab of
    the best active open capability (``np.argmax``; -1 without an open model); ``f_closed``, the best active
    closed capability (-inf without). Lab arrays (K,): ``region`` int, ``active`` and ``lab_open`` bool, the rest
    float."""
    sums = np.zeros((7, n_regions))
    frontier = np.full(n_regions, -np.inf)
    best_open, top_open, f_closed, any_open = 0, -np.inf, -np.inf, False
    for i in range(len(region)):
        if not active[i]:
            continue
        r, c = region[i], capability[i]
        sums[0, r] += compute[i]
        sums[1, r] += revenue[i]
        sums[2, r] += sales[i]
        sums[5, r] += 1.0
        if c > frontier[r]:
            frontier[r] = c
        if lab_open[i]:
            sums[3, r] += share[i]
            sums[6, r] += 1.0
            if not any_open or c > top_open:
                best_open, top_open, any_open = i, c, True
        else:
            sums[4, r] += share[i]
            if c > f_closed:
                f_closed = c
    return sums, frontier, best_open if any_open else -1, f_closed


@njit(cache=True)
def reviewers(idx: np.ndarray, chosen: np.ndarray, lost: np.ndarray, w_cap: np.ndarray, w_open: np.ndarray,
              w_sov: np.ndarray, group: np.ndarray, act: np.ndarray, n_labs: int,
              n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The reviewing developers ``idx`` (m,) (increasing; developers sorted by group) as :func:`utilities` takes
    them: their tastes ``w_cap``, ``w_open``, ``w_sov`` (m,) (of the (n,) population arrays), their groups' first
    columns (G + 1,) uint64, and the row among the active models ``act`` (k,) of the model each may keep (-1 for
    one that lost it, ``lost`` (m,) bool; ``chosen`` (n,) the population's models)."""
    m = len(idx)
    wc, wo, ws = np.empty(m), np.empty(m), np.empty(m)
    row_of = np.full(n_labs, -1, dtype=np.int64)
    for r in range(len(act)):
        row_of[act[r]] = r
    lock_row = np.full(m, -1, dtype=np.int64)
    bounds = np.zeros(n_groups + 1, dtype=np.uint64)
    for j in range(m):
        i = idx[j]
        wc[j], wo[j], ws[j] = w_cap[i], w_open[i], w_sov[i]
        if not lost[j]:
            lock_row[j] = row_of[chosen[i]]
        bounds[group[i] + 1] += 1
    for g in range(n_groups):
        bounds[g + 1] += bounds[g]
    return wc, wo, ws, bounds, lock_row


@njit(cache=True)
def settle(chosen_all: np.ndarray, idx: np.ndarray, chosen: np.ndarray, group: np.ndarray, blocked: np.ndarray,
           counts: np.ndarray) -> bool:
    """Write the reviewers' ``chosen`` models (m,) into the population's ``chosen_all`` (n,) at ``idx`` (m,), move
    each from its old model's cell to its new one's in ``counts`` ((G, 1 + K) developers by group and model, no
    model first; whole counts), and say whether any of them took a model ``blocked`` (G, K) for its group
    (``group`` (n,)): a draw at the very top of the cumulative sum takes the last model, possibly blocked."""
    any_blocked = False
    for j in range(len(idx)):
        i, c = idx[j], chosen[j]
        g = group[i]
        counts[g, chosen_all[i] + 1] -= 1
        counts[g, c + 1] += 1
        chosen_all[i] = c
        if c >= 0 and blocked[g, c]:
            any_blocked = True
    return any_blocked


@njit(cache=True)
def model_rows(labs: np.ndarray, capability: np.ndarray, c_max: float, c_scale: float, log_flop: np.ndarray,
               log_hosting: float, size_elasticity: float, closed_term: np.ndarray, log_share: np.ndarray,
               w_net: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per model of ``labs`` (k,): ``c_rel`` ``(capability - c_max) / c_scale``, ``base`` log10 serving cost
    ``log_hosting + size_elasticity (log_flop - 25)``, the closed price ``base + closed_term`` and the network term
    ``w_net log_share``, from (K,) lab arrays ``capability``, ``log_flop`` (log10 training FLOP, 1e25 for none),
    ``closed_term`` (log10 of markup x chip cost) and ``log_share`` (``log(share + eps)``): the arithmetic of
    :meth:`sim.model.demand.Demand._group_tables`."""
    k = len(labs)
    c_rel, base, closed, net = np.empty(k), np.empty(k), np.empty(k), np.empty(k)
    for r in range(k):
        i = labs[r]
        c_rel[r] = (capability[i] - c_max) / c_scale
        base[r] = log_hosting + size_elasticity * (log_flop[i] - 25.0)
        closed[r] = base[r] + closed_term[i]
        net[r] = w_net * log_share[i]
    return c_rel, base, closed, net


@njit(cache=True)
def column_rows(labs: np.ndarray, capability: np.ndarray, log_flop: np.ndarray, c_max: float, c_scale: float,
                log_hosting: float, size_elasticity: float, markup: np.ndarray, chip: np.ndarray,
                log_share: np.ndarray, w_net: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                              np.ndarray]:
    """:func:`model_rows` for the new models of ``labs`` (D,) (``capability``, ``log_flop`` (D,)), each twice
    (rows 2d released open, 2d + 1 closed): the lab of each row (2D,), ``c_rel``, ``base``, the closed price
    ``(base + markup) + chip`` (``markup``, ``chip`` (K,) logs of the lab's region's) and the network term, as
    :meth:`sim.model.demand.Demand._column_tables` computes them."""
    n = len(labs)
    lab2 = np.empty(2 * n, dtype=np.int64)
    c_rel, base, closed, net = np.empty(2 * n), np.empty(2 * n), np.empty(2 * n), np.empty(2 * n)
    for d in range(n):
        i = labs[d]
        b = log_hosting + size_elasticity * (log_flop[d] - 25.0)
        for r in (2 * d, 2 * d + 1):
            lab2[r] = i
            c_rel[r] = (capability[d] - c_max) / c_scale
            base[r] = b
            closed[r] = (b + markup[i]) + chip[i]
            net[r] = w_net * log_share[i]
    return lab2, c_rel, base, closed, net


@njit(cache=True)
def best_others(capability: np.ndarray, active: np.ndarray, lab_open: np.ndarray, i: int) -> tuple[float, float]:
    """(best open, best) capability among the active labs other than ``i`` (-inf without one; NaN if any such is
    NaN): ``np.max(capability, where=others & lab_open, initial=-inf)`` and ``np.max(capability, where=others,
    initial=-inf)`` with ``others`` = ``active`` without lab ``i``. ``capability`` (K,) float, ``active`` and
    ``lab_open`` (K,) bool."""
    best_open, best = -np.inf, -np.inf
    for k in range(capability.size):
        if k == i or not active[k]:
            continue
        c = capability[k]
        if best == best and not c <= best:  # a NaN stays, as np.max propagates it
            best = c
        if lab_open[k] and best_open == best_open and not c <= best_open:
            best_open = c
    return best_open, best
