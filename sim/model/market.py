"""Developer demand: random-utility choice among accessible models, and the labs' expected payoffs
(DESIGN.md §4). Pure, vectorised functions: developers are rows, models (one per lab) are columns.
"""

from __future__ import annotations

import numpy as np

NET_EPS = 1e-3
"""Share added inside the network-effect logarithm, so a model with no adopters has finite utility."""


def accessibility(dev_region: np.ndarray, lab_region: np.ndarray, lab_open: np.ndarray, api_block: np.ndarray,
                  ban_foreign_closed: np.ndarray, open_ban: np.ndarray | None = None) -> np.ndarray:
    """Which models each developer may use.

    Parameters
    ----------
    dev_region : (N,) int region of each developer (or of each developer group).
    lab_region : (K,) int region of each lab.
    lab_open : (K,) bool, model released as open weights.
    api_block : (R, R) bool, ``api_block[g, d]``: region g's labs do not serve developers in region d.
    ban_foreign_closed : (R,) bool, developers of region d may not use foreign closed APIs.
    open_ban : optional (N, R) bool, ``open_ban[i, g]``: developer (group) i may not use open-weight models from
        region g (a government's ban on foreign open weights, for the segments it covers). Default: none.

    Returns (N, K) bool. Without ``open_ban``, open-weight models are accessible to everyone.
    """
    by_region = api_block[lab_region].T  # (R_dev, K) blocked by the lab's government
    foreign = dev_region_matrix(lab_region, api_block.shape[0])  # (R_dev, K)
    blocked = by_region | (foreign & ban_foreign_closed[:, None])
    ok_region = lab_open[None, :] | ~blocked  # (R_dev, K)
    ok = ok_region[dev_region]
    if open_ban is not None:
        ok = ok & ~(lab_open[None, :] & open_ban[:, lab_region])
    return ok


def dev_region_matrix(lab_region: np.ndarray, n_regions: int) -> np.ndarray:
    """(R, K) bool: lab k is foreign to developers of region r."""
    return np.arange(n_regions)[:, None] != lab_region[None, :]


def log_price(lab_region: np.ndarray, lab_open: np.ndarray, train_flop: np.ndarray, *, api_markup: np.ndarray,
              hosting_usd_per_mtok: float, size_elasticity: float, chip_cost: np.ndarray) -> np.ndarray:
    """(R_dev, K) log10 price in USD per million tokens that a developer of each region pays for each model.

    Serving cost of model k: ``hosting_usd_per_mtok * (train_flop_k / 1e25) ** size_elasticity`` on frontier chips,
    times the chip-cost multiplier ``chip_cost`` (R,) of the region whose chips serve it. A closed API is served by
    its lab at ``api_markup[region_k]`` times the serving cost on its region's chips (the same for every developer);
    open weights are hosted at cost on the developer's own region's chips. Shapes: lab arrays (K,), ``api_markup``
    and ``chip_cost`` (R,). ``train_flop`` <= 0 is treated as 1e25."""
    flop = np.where(train_flop > 0, train_flop, 1e25)
    base = np.log10(hosting_usd_per_mtok) + size_elasticity * (np.log10(flop) - 25.0)  # (K,)
    closed = base + np.log10(api_markup[lab_region] * chip_cost[lab_region])  # (K,)
    hosted = base[None, :] + np.log10(chip_cost)[:, None]  # (R, K)
    return np.where(lab_open[None, :], hosted, closed[None, :])


def chip_cost_multiplier(denied: np.ndarray, eta_alt: float) -> np.ndarray:
    """(R,) cost of compute relative to frontier chips for a region whose share ``denied`` (R,) of frontier chips is
    denied by export controls and replaced by alternative chips of relative performance per dollar ``eta_alt``:
    ``(1 - denied) + denied / eta_alt`` (1 without controls)."""
    return (1.0 - denied) + denied / max(eta_alt, 1e-9)


def distrust_matrix(lab_region: np.ndarray, lab_open: np.ndarray, foreign_distrust: np.ndarray,
                    dev_scale: np.ndarray, open_discount: float, closed_hosting_discount: float,
                    weight_export_blocked: np.ndarray) -> np.ndarray:
    """(R_dev, K) sovereignty distrust (multiplier of a developer's ``w_sov``) of each model for developers of each
    region: ``dev_scale[d] * foreign_distrust[g]`` for a model from another region g, times ``1 - open_discount`` for
    open weights (self-hosted) and ``1 - closed_hosting_discount`` for a closed model that may be hosted in the
    developer's region (``weight_export_blocked[g, d]`` False); 0 for a domestic model."""
    n = len(foreign_distrust)
    foreign = dev_region_matrix(lab_region, n)  # (R, K)
    base = dev_scale[:, None] * foreign_distrust[lab_region][None, :]
    closed_factor = np.where(weight_export_blocked[lab_region].T, 1.0, 1.0 - closed_hosting_discount)  # (R, K)
    factor = np.where(lab_open[None, :], 1.0 - open_discount, closed_factor)
    return foreign * base * factor


def deterministic_utility(w_cap: np.ndarray, w_open: np.ndarray, w_sov: np.ndarray, dev_region: np.ndarray,
                          dev_group: np.ndarray, capability: np.ndarray, lab_open: np.ndarray,
                          adoption_share: np.ndarray, *, c_scale: float, log_price_rk: np.ndarray,
                          distrust_rk: np.ndarray, w_price_group: np.ndarray, group_region: np.ndarray, w_net: float,
                          c_max: float | None = None) -> np.ndarray:
    """Systematic utility ``V`` of each model for each developer (docs/ODD.md 7.8, without the Gumbel term)::

        V = w_cap (c_k - c_max) / c_scale - w_price_g log10(price_{r,k}) + w_open open_k
            - w_sov distrust_{r,k} + w_net log(share_k + eps)

    Shapes: developer traits ``w_cap``, ``w_open``, ``w_sov``, ``dev_region``, ``dev_group`` (n,); lab arrays (K,);
    ``log_price_rk`` and ``distrust_rk`` (R, K) from :func:`log_price` and :func:`distrust_matrix`;
    ``w_price_group`` (G,) price sensitivity of each developer group (region x segment; utility per decade of
    price) and ``group_region`` (G,) its region. Returns (n, K) float. Units: capability in OOM of effective
    compute; price in USD per million tokens; utility in logit units. ``c_max`` defaults to the largest capability
    passed (it only shifts all columns alike, so choices do not depend on it). The switching cost (``w_lock``) is
    added by the caller to the model a reviewing developer already uses.
    """
    c_rel = (capability - (capability.max() if c_max is None else c_max)) / c_scale
    per_group = w_net * np.log(adoption_share + NET_EPS) - w_price_group[:, None] * log_price_rk[group_region]
    v = np.multiply.outer(w_cap, c_rel)
    v += np.multiply.outer(w_open, lab_open.astype(float))
    v -= w_sov[:, None] * distrust_rk[dev_region]
    v += per_group[dev_group]
    return v


def choose(v: np.ndarray, access: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random-utility (multinomial logit) choice: each developer draws one model with probability
    ``exp(V_k) / sum_j exp(V_j)`` over the models it can access (the distribution of Gumbel-max, drawn with one
    uniform number a developer by the inverse CDF, which costs a K-th of the Gumbel draws).

    v : (n, K) systematic utilities; access : (n, K) bool. Returns (n,) int chosen column, -1 for a
    developer with no accessible model (for example before any lab of its region has entered, when foreign
    closed APIs are banned and no open model exists)."""
    z = np.where(access, v, -np.inf)
    top = z.max(axis=1, keepdims=True) if z.shape[1] else np.zeros((z.shape[0], 1))
    e = np.exp(z - np.where(np.isfinite(top), top, 0.0))
    c = np.cumsum(e, axis=1)
    total = c[:, -1] if c.shape[1] else np.zeros(len(c))
    u = rng.random(len(c)) * total
    idx = np.minimum((c <= u[:, None]).sum(axis=1), max(c.shape[1] - 1, 0))
    return np.where(total > 0, idx, -1)


def logit_shares(v: np.ndarray, access: np.ndarray) -> np.ndarray:
    """Expected choice probabilities (n, K) under the logit model, zero where inaccessible."""
    z = np.where(access, v, -np.inf)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def own_share(others_exp_sum: np.ndarray, own_exp: np.ndarray) -> float:
    """Expected logit market share of one model, averaged over developers.

    others_exp_sum : (n,) sum over the *other* accessible models of ``exp(V - ref)`` for each developer;
    own_exp : (n,) ``exp(V_own - ref)`` (0 where the model is inaccessible), with the same per-developer
    reference ``ref``. Returns a share in [0, 1] (0 when no developer can reach any model)."""
    denom = others_exp_sum + own_exp
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(denom > 0, own_exp / denom, 0.0)
    return float(p.mean())


def p_open(pi_open: float, pi_closed: float, beta: float, bias: float) -> float:
    """Probability of an open release: ``logistic(beta (pi_open - pi_closed) / (|pi_open| + |pi_closed|) + bias)``.

    The normalised payoff difference lies in [-1, 1]; ``bias`` is the lab's open_bias (logit scale)."""
    denom = abs(pi_open) + abs(pi_closed)
    x = beta * ((pi_open - pi_closed) / denom if denom > 0 else 0.0) + bias
    return float(1.0 / (1.0 + np.exp(-x)))



# ---------------------------------------------------------------------------------------------------------------
# The engine's layout: models as rows, developers as columns ("transposed", (K, n)), developers sorted by group
# (region x segment). The functions below give the same numbers, bit for bit, as :func:`deterministic_utility`,
# :func:`choose` and ``e.sum(axis=1)`` on the (n, K) layout (each element goes through the same floating-point
# operations in the same order), but the work is whole-row array operations instead of n short rows.

def group_utility_t(w_cap: np.ndarray, w_open: np.ndarray, w_sov: np.ndarray, group_counts: np.ndarray,
                    c_rel: np.ndarray, lab_open: np.ndarray, distrust_kg: np.ndarray, per_group_kg: np.ndarray,
                    out: np.ndarray | None = None, tmp: np.ndarray | None = None) -> np.ndarray:
    """(K, n) systematic utility, models x developers: the transpose of :func:`deterministic_utility`, bit for bit.

    ``w_cap``, ``w_open``, ``w_sov`` (n,) developer tastes, the developers sorted by group (or each (>= K, n) with
    equal rows: the tastes already spread over models, read from the first K rows); ``group_counts`` (G,)
    developers of each group (summing to n); ``c_rel`` (K,) ``(c_k - c_max) / c_scale``; ``lab_open`` (K,) bool;
    ``distrust_kg`` (K, G) sovereignty distrust of each model for each group's region; ``per_group_kg`` (K, G) the
    group terms ``w_net log(share_k + eps) - w_price_g log10(price_{g,k})``. Utility in logit units. ``out`` and
    ``tmp`` are optional (K, n) float buffers (overwritten; the result is ``out``). The open-weight term is added to
    the open models' rows only (elsewhere it is ``w_open * 0``, which adds nothing)."""
    out = taste_terms_t(w_cap, w_open, w_sov, group_counts, c_rel, lab_open, distrust_kg, out, tmp)
    out += np.repeat(per_group_kg, group_counts, axis=1)
    return out


def taste_terms_t(w_cap: np.ndarray, w_open: np.ndarray, w_sov: np.ndarray, group_counts: np.ndarray,
                  c_rel: np.ndarray, lab_open: np.ndarray, distrust_kg: np.ndarray, out: np.ndarray | None = None,
                  tmp: np.ndarray | None = None) -> np.ndarray:
    """(K, n) the terms of :func:`group_utility_t` that involve the developers' tastes,
    ``(w_cap c_rel + w_open open) - w_sov distrust``, in its arithmetic; arguments as there."""
    k, n = len(c_rel), w_cap.shape[-1]
    out = np.empty((k, n)) if out is None else out
    tmp = np.empty((k, n)) if tmp is None else tmp

    def spread(w: np.ndarray) -> np.ndarray:
        if w.ndim == 2:
            return w[:k]
        np.copyto(tmp, w)
        return tmp

    np.copyto(out, c_rel[:, None])
    out *= spread(w_cap)
    np.add(out, spread(w_open), out=out, where=lab_open[:, None])
    d = np.repeat(distrust_kg, group_counts, axis=1)
    d *= spread(w_sov)
    out -= d
    return out


def choose_t(v_t: np.ndarray, blocked_t: np.ndarray, rng: np.random.Generator, rows: np.ndarray | None = None,
             n_models: int | None = None) -> np.ndarray:
    """:func:`choose` on the (K, n) layout, with the same result and the same draws (one uniform number a developer).

    ``v_t`` (k, n) utilities (overwritten); ``blocked_t`` (k, n) bool, True where a developer may not use a model.
    ``rows`` (k,) optional increasing model index of each row when only some of ``n_models`` models are passed (the
    others inaccessible to everyone: they add 0 to the cumulative sum, so the draw is the same). Returns (n,) int
    chosen model, -1 for a developer with no accessible model."""
    k, n = v_t.shape
    if k == 0:
        rng.random(n)
        return np.full(n, -1, dtype=np.int64)
    np.copyto(v_t, -np.inf, where=blocked_t)
    top = v_t.max(axis=0)
    shift = np.where(np.isfinite(top), top, 0.0)
    np.copyto(v_t, shift, where=blocked_t)  # exp is slow at -inf: the blocked get exp(0), then 0
    v_t -= shift
    c = np.exp(v_t, out=v_t)
    np.copyto(c, 0.0, where=blocked_t)
    rows_c = list(c)
    for a, b in zip(rows_c, rows_c[1:], strict=False):  # the cumulative sum over models, in the order of np.cumsum(axis=1)
        np.add(a, b, out=b)
    total = c[-1]
    u = rng.random(n) * total
    below = np.count_nonzero(c <= u, axis=0)
    if rows is None:
        idx = np.minimum(below, k - 1)
    else:  # u at or above the total (rounding): the last model, as choose does
        idx = np.append(rows, n_models - 1)[below]
    return np.where(total > 0, idx, -1)


def row_sums_t(e_t: np.ndarray) -> np.ndarray:
    """(n,) sums over models of a (K, n) array, bit for bit what ``e_t.T.copy().sum(axis=1)`` gives: numpy's
    pairwise summation of each contiguous row (8 partial sums up to 128 terms, halves above), done here as
    whole-row additions."""
    k = e_t.shape[0]
    if k < 8:
        res = np.zeros(e_t.shape[1])
        for j in range(k):
            res += e_t[j]
        return res
    if k <= 128:
        m = k - k % 8
        acc = e_t[:8].copy()
        for j in range(8, m, 8):
            acc += e_t[j:j + 8]
        res = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
        for j in range(m, k):
            res += e_t[j]
        return res
    half = k // 2
    half -= half % 8
    return row_sums_t(e_t[:half]) + row_sums_t(e_t[half:])
