"""Distillation and imitation: what a lab's new release gains from a teacher model it can reach.

Pure functions (no state, no randomness). A lab that releases a model of its own capability ``c_own`` (log10
effective FLOP of its own training) learns from each teacher ``k`` it can reach (open weights, or a closed API
that serves its region; see :func:`reachable_teachers`) and released at least ``distill_delay_months`` ago. It
closes a share ``phi`` of the gap to the teacher::

    phi_k  = efficiency_k * logistic(logit(share_at_parity) + elasticity * ln(F_own / F_k))
    c_new  = max(c_own, max_k c_own + phi_k * max(0, c_k - c_own))

where ``F_own`` and ``F_k`` are the student's and the teacher's physical training FLOP, ``share_at_parity`` the share a
student with as much compute as its teacher closes, ``elasticity`` how fast that share falls with less own compute
(a student with 10x less compute closes less), and ``efficiency_k`` 1 for open weights and ``api_distill_efficiency``
(< 1) through an API (sampled outputs only, rate limits, terms of service). ``phi < 1``, so a student never reaches its
teacher; with no reachable teacher there is no uplift; the result never falls below ``c_own``.

Evidence for ``share_at_parity`` and ``elasticity``: DeepSeek-AI (2025), "DeepSeek-R1: Incentivizing Reasoning
Capability in LLMs via Reinforcement Learning", arXiv:2501.12948, Table 5 (GPQA Diamond of six students distilled
from R1), with the students' base-model scores from the Qwen2.5 (arXiv:2412.15115) and Llama 3 (arXiv:2407.21783)
reports and training compute as 6 x parameters x tokens; the table is ``data/distillation_r1.csv`` and
:func:`fit_absorption` reproduces the defaults from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit

DISTILLATION_TABLE = Path(__file__).resolve().parents[2] / "data" / "distillation_r1.csv"


def absorption(own_flop: float, teacher_flop: np.ndarray, share_at_parity: float, elasticity: float) -> np.ndarray:
    """Share of the gap to each teacher that a student closes, before the channel's efficiency.

    own_flop : the student's physical training FLOP (> 0); teacher_flop : (K,) the teachers' (> 0).
    share_at_parity in (0, 1); elasticity >= 0 (per unit of ln compute ratio). Returns (K,) values in (0, 1),
    rising with ``own_flop``: ``logistic(logit(share_at_parity) + elasticity * ln(own_flop / teacher_flop))``."""
    ratio = np.log(max(own_flop, 1e-300)) - np.log(np.maximum(np.asarray(teacher_flop, float), 1e-300))
    if share_at_parity <= 0.0:
        return np.zeros_like(ratio)
    x = math.log(share_at_parity / (1.0 - share_at_parity)) + elasticity * ratio
    return expit(x)


def distilled_capability(own: float, own_flop: float, teacher_cap: np.ndarray, teacher_flop: np.ndarray,
                         efficiency: np.ndarray, share_at_parity: float, elasticity: float) -> tuple[float, int]:
    """Capability of a release after learning from the best of its reachable teachers.

    own : capability of the lab's own training (log10 effective FLOP); own_flop : its physical training FLOP.
    teacher_cap, teacher_flop, efficiency : (K,) capability, physical FLOP and channel efficiency (0..1; 0 = not
    reachable) of each candidate teacher. Returns ``(capability, teacher index or -1)``; the capability is at least
    ``own`` and below the chosen teacher's."""
    teacher_cap = np.asarray(teacher_cap, float)
    eff = np.asarray(efficiency, float)
    gap = teacher_cap - own
    ok = (eff > 0) & (gap > 0) & np.isfinite(teacher_cap)
    if not ok.any() or own_flop <= 0 or not np.isfinite(own):
        return float(own), -1
    gain = np.where(ok, eff * absorption(own_flop, teacher_flop, share_at_parity, elasticity) * np.where(ok, gap, 0.0),
                    0.0)
    k = int(np.argmax(gain))
    if not gain[k] > 0:
        return float(own), -1
    # below the teacher even when the absorbed share rounds to 1 (a student with far more compute than its teacher)
    return float(min(own + gain[k], np.nextafter(teacher_cap[k], -np.inf))), k


def reachable_teachers(student_region: int | np.ndarray, teacher_region: np.ndarray, teacher_open: np.ndarray,
                       teacher_active_now: np.ndarray, api_block: np.ndarray, ban_foreign_closed: np.ndarray,
                       api_efficiency: float, open_banned: np.ndarray | None = None) -> np.ndarray:
    """(K,) channel efficiency of each teacher for a student in ``student_region``: 1 for open weights, unless the
    student's government bans open weights of the teacher's origin (``open_banned`` (R,) bool by origin, default
    none); for a closed model, ``api_efficiency`` where its lab is still active and serves the student's region (not
    blocked by the lab's government's ``api_block[teacher_region, student_region]``, and not a foreign API the
    student's government bans), else 0.

    Several students at once: ``student_region`` (D,) and ``open_banned`` (D, R) give (D, K), row d the same as
    student d alone."""
    sr = np.asarray(student_region)[:, None] if np.ndim(student_region) else student_region  # (D, 1) or scalar
    foreign = teacher_region != sr
    api_ok = (teacher_active_now & ~api_block[teacher_region, sr]
              & ~(foreign & np.asarray(ban_foreign_closed, bool)[sr]))
    open_ok = (np.ones(len(teacher_region), bool) if open_banned is None
               else ~np.asarray(open_banned)[..., teacher_region])
    return np.where(teacher_open, np.where(open_ok, 1.0, 0.0), np.where(api_ok, api_efficiency, 0.0))


def distilled_capabilities(own: np.ndarray, own_flop: np.ndarray, teacher_cap: np.ndarray, teacher_flop: np.ndarray,
                           efficiency: np.ndarray, share_at_parity: float,
                           elasticity: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`distilled_capability` for D students at once, with the same numbers: ``own``, ``own_flop`` (D,);
    ``teacher_cap``, ``teacher_flop`` (K,); ``efficiency`` (D, K). Returns (capability (D,) float, teacher (D,) int,
    -1 for none)."""
    own = np.asarray(own, float)
    own_flop = np.asarray(own_flop, float)
    teacher_cap = np.asarray(teacher_cap, float)
    eff = np.asarray(efficiency, float)
    gap = teacher_cap[None, :] - own[:, None]
    ok = (eff > 0) & (gap > 0) & np.isfinite(teacher_cap)
    valid = ok.any(axis=1) & (own_flop > 0) & np.isfinite(own)
    absorb = absorbed_shares(own_flop, teacher_flop, share_at_parity, elasticity)
    gain = np.where(ok, eff * absorb * np.where(ok, gap, 0.0), 0.0)
    k = np.argmax(gain, axis=1) if gain.shape[1] else np.zeros(len(own), dtype=int)
    best = gain[np.arange(len(own)), k] if gain.shape[1] else np.zeros(len(own))
    take = valid & (best > 0)
    below = np.nextafter(teacher_cap[k] if gain.shape[1] else own, -np.inf)  # as distilled_capability
    return np.where(take, np.minimum(own + np.where(take, best, 0.0), below), own), np.where(take, k, -1)


def absorbed_shares(own_flop: np.ndarray, teacher_flop: np.ndarray, share_at_parity: float,
                    elasticity: float) -> np.ndarray:
    """(D, K) :func:`absorption` of each student's training FLOP ``own_flop`` (D,) from each teacher's
    ``teacher_flop`` (K,), as :func:`distilled_capabilities` computes it (0 when ``share_at_parity`` <= 0)."""
    ratio = (np.log(np.maximum(np.asarray(own_flop, float), 1e-300))[:, None]
             - np.log(np.maximum(np.asarray(teacher_flop, float), 1e-300))[None, :])
    if share_at_parity <= 0.0:
        return np.zeros_like(ratio)
    return expit(math.log(share_at_parity / (1.0 - share_at_parity)) + elasticity * ratio)


@dataclass
class AbsorptionFit:
    """Fit of :func:`absorption` to a distillation table: ``share_at_parity``, ``elasticity``, their standard errors,
    ``n`` students and ``r2`` of the logit-linear fit."""

    share_at_parity: float
    elasticity: float
    se_logit_parity: float
    se_elasticity: float
    n: int
    r2: float


def fit_absorption(path: str | Path = DISTILLATION_TABLE) -> AbsorptionFit:
    """Fit ``logit(share closed) = logit(share_at_parity) + elasticity ln(F_student / F_teacher)`` by OLS.

    The table (CSV, ``#`` comments) has one row per distilled student: ``student_flop``, ``teacher_flop`` (FLOP),
    ``base_score``, ``distilled_score``, ``teacher_score`` (one benchmark); share closed =
    ``(distilled - base) / (teacher - base)``. Raises ValueError for fewer than 3 usable rows."""
    t = pd.read_csv(path, comment="#")
    share = (t["distilled_score"] - t["base_score"]) / (t["teacher_score"] - t["base_score"])
    ok = (share > 0) & (share < 1)
    if ok.sum() < 3:
        raise ValueError(f"{path}: need at least 3 students whose share closed is in (0, 1), got {int(ok.sum())}")
    y = np.log(share[ok] / (1 - share[ok])).to_numpy(float)
    x = np.log(t.loc[ok, "student_flop"] / t.loc[ok, "teacher_flop"]).to_numpy(float)
    X = np.c_[np.ones_like(x), x]
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    s2 = float(resid @ resid) / max(len(y) - 2, 1)
    se = np.sqrt(np.diag(s2 * np.linalg.inv(X.T @ X)))
    r2 = 1 - float(resid @ resid) / float(((y - y.mean()) ** 2).sum())
    return AbsorptionFit(share_at_parity=float(1 / (1 + np.exp(-beta[0]))), elasticity=float(beta[1]),
                         se_logit_parity=float(se[0]), se_elasticity=float(se[1]), n=int(ok.sum()), r2=r2)
