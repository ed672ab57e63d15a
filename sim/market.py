"""Developer demand: random-utility choice among accessible models, and the labs' expected payoffs
(DESIGN.md §4). Pure, vectorised functions: developers are rows, models (one per lab) are columns.
"""

from __future__ import annotations

import numpy as np

NET_EPS = 1e-3
"""Share added inside the network-effect logarithm, so a model with no adopters has finite utility."""


def accessibility(dev_region: np.ndarray, lab_region: np.ndarray, lab_open: np.ndarray, api_block: np.ndarray,
                  ban_foreign_closed: np.ndarray) -> np.ndarray:
    """Which models each developer may use.

    Parameters
    ----------
    dev_region : (N,) int region of each developer.
    lab_region : (K,) int region of each lab.
    lab_open : (K,) bool, model released as open weights.
    api_block : (R, R) bool, ``api_block[g, d]``: region g's labs do not serve developers in region d.
    ban_foreign_closed : (R,) bool, developers of region d may not use foreign closed APIs.

    Returns (N, K) bool. Open-weight models are accessible to everyone.
    """
    by_region = api_block[lab_region].T  # (R_dev, K) blocked by the lab's government
    foreign = dev_region_matrix(lab_region, api_block.shape[0])  # (R_dev, K)
    blocked = by_region | (foreign & ban_foreign_closed[:, None])
    ok_region = lab_open[None, :] | ~blocked  # (R_dev, K)
    return ok_region[dev_region]


def dev_region_matrix(lab_region: np.ndarray, n_regions: int) -> np.ndarray:
    """(R, K) bool: lab k is foreign to developers of region r."""
    return np.arange(n_regions)[:, None] != lab_region[None, :]


def deterministic_utility(w_cap: np.ndarray, w_open: np.ndarray, w_sov: np.ndarray, dev_region: np.ndarray,
                          capability: np.ndarray, lab_open: np.ndarray, lab_region: np.ndarray,
                          adoption_share: np.ndarray, *, c_scale: float, w_price: float, price_closed: float,
                          price_open: float, foreign_distrust: np.ndarray, open_sov_discount: float,
                          w_net: float, c_max: float | None = None) -> np.ndarray:
    """Systematic utility ``V`` of each model for each developer (DESIGN.md §4, without the Gumbel term)::

        V = w_cap (c_k - c_max) / c_scale - w_price price_k + w_open open_k
            - w_sov distrust[region_k] foreign_k (1 - open_sov_discount open_k) + w_net log(share_k + eps)

    Shapes: developer traits (n,), lab arrays (K,), ``foreign_distrust`` (R,); returns (n, K) float.
    Units: capability in OOM of effective compute; utility in logit units. ``c_max`` defaults to the
    largest capability passed (it only shifts all columns alike, so choices do not depend on it).
    """
    c_rel = (capability - (capability.max() if c_max is None else c_max)) / c_scale
    base = -w_price * np.where(lab_open, price_open, price_closed) + w_net * np.log(adoption_share + NET_EPS)
    n_regions = len(foreign_distrust)
    sov_rk = (dev_region_matrix(lab_region, n_regions)
              * (foreign_distrust[lab_region] * np.where(lab_open, 1.0 - open_sov_discount, 1.0))[None, :])
    v = np.multiply.outer(w_cap, c_rel)
    v += np.multiply.outer(w_open, lab_open.astype(float))
    v -= w_sov[:, None] * sov_rk[dev_region]
    v += base
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
