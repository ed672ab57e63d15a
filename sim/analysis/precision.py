"""Replications until precise: bootstrap confidence intervals of estimates over replications, the precision
target and how many replications to add next (``aieco run --precision`` and ``aieco compare --precision``).

A metric's estimate (a median across replications, or a mean paired difference) is *precise* at relative
precision ``rel`` when the half-width of its 90% percentile-bootstrap confidence interval is at most
``rel x max(|estimate|, floor)``. The floor (:func:`metric_floor`: 1 month for lags, 0.02 for shares) keeps an
estimate near zero from needing unbounded replications: below the floor, precision is absolute.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np

from sim.model.metrics import SUMMARY_METRICS

T = TypeVar("T")

INTERVAL = 0.90
"""Central probability of every confidence interval here."""

BOOTSTRAP_SAMPLES = 2000
"""Bootstrap resamples (of replications) behind every confidence interval."""

FLOORS = {"months": 1.0, "share": 0.02, "0..1": 0.02, "OOM": 0.05, "ECI": 1.0, "x per year": 0.05}
"""Absolute precision floor of a metric by its unit (SUMMARY_METRICS): 1 month, 0.02 of a share, 0.05 OOM, 1 ECI
point, 0.05 of a growth factor."""


def metric_floor(metric: str) -> float:
    """The precision floor of a summary metric (its unit's entry in :data:`FLOORS`; 0.02 for a metric not in
    SUMMARY_METRICS or of another unit). A headline name is looked up as is."""
    unit = SUMMARY_METRICS.get(metric, ("share", ""))[0]
    return FLOORS.get(unit, 0.02)


def bootstrap_ci(values: np.ndarray, statistic: str = "mean", interval: float = INTERVAL,
                 samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> tuple[float, float, float]:
    """(estimate, lo, hi): ``statistic`` ("mean" or "median") of the finite ``values`` (1-D, one per replication)
    and its percentile-bootstrap ``interval`` confidence interval (``samples`` resamples of the replications, a
    fixed ``seed``: the same values give the same interval). NaNs for no finite value; with one value the interval
    is that value. This is the uncertainty of the estimate, which narrows as replications are added; the spread
    across replications (:func:`compare_stats`' ``lo``/``hi``) does not. Raises ValueError for another statistic."""
    if statistic not in ("mean", "median"):
        raise ValueError(f"statistic must be 'mean' or 'median', got {statistic!r}")
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return (np.nan, np.nan, np.nan)
    f = np.mean if statistic == "mean" else np.median
    est = float(f(v))
    if v.size == 1:
        return (est, est, est)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, v.size, size=(samples, v.size))
    boot = f(v[idx], axis=1)
    lo, hi = np.quantile(boot, [(1 - interval) / 2, 1 - (1 - interval) / 2])
    return est, float(lo), float(hi)



def precision_target(estimate: float, floor: float, rel: float) -> float:
    """Largest allowed CI half-width: ``rel * max(|estimate|, floor)`` (NaN estimate: ``rel * floor``)."""
    e = abs(estimate) if np.isfinite(estimate) else 0.0
    return rel * max(e, floor)


def precision_status(cis: Mapping[object, tuple[float, float, float, float]], rel: float) -> dict[object, dict]:
    """Per key, whether its CI meets the target. ``cis`` maps a key to (estimate, lo, hi, floor). Returns per key
    ``{"estimate", "half_width", "target", "reached"}``; an undefined CI (NaN) counts as not reached."""
    out = {}
    for key, (est, lo, hi, floor) in cis.items():
        hw = (hi - lo) / 2 if np.isfinite(lo) and np.isfinite(hi) else np.nan
        target = precision_target(est, floor, rel)
        out[key] = {"estimate": est, "half_width": hw, "target": target,
                    "reached": bool(np.isfinite(hw) and hw <= target)}
    return out


def check_batch_args(rel: float, replications: int, max_replications: int) -> None:
    """Raise ValueError unless ``rel > 0`` and ``max_replications >= replications`` (before any run starts)."""
    if rel <= 0:
        raise ValueError(f"rel must be > 0, got {rel}")
    if max_replications < replications:
        raise ValueError(f"max_replications ({max_replications}) must be >= replications ({replications})")


def until_precise(state: T, check: Callable[[T], tuple[dict, int, Any]], extend: Callable[[T, int, int], T],
                  max_replications: int, progress: Callable[[int, int], None] | None = None
                  ) -> tuple[Any, dict, list[int]]:
    """The batch loop of ``--precision``: ``check(state)`` gives (status, replications done, result); while some
    target of ``status`` is not reached and fewer than ``max_replications`` are done, ``extend(state, done, more)``
    adds :func:`next_batch` replications. ``progress(done, max_replications)`` is called after each check.
    Returns (the last result, the last status with each target's ``reached_at``: the replications after the first
    batch that reached it, None if none did, replications after each batch)."""
    first: dict = {}
    history: list[int] = []
    while True:
        status, n, result = check(state)
        history.append(n)
        for key, st in status.items():
            if st["reached"]:
                first.setdefault(key, n)
            st["reached_at"] = first.get(key)
        if progress:
            progress(n, max_replications)
        more = next_batch(n, status, max_replications)
        if more == 0:
            return result, status, history
        state = extend(state, n, more)


def next_batch(n: int, status: Mapping[object, dict], max_replications: int) -> int:
    """Replications to add after ``n``: the CI half-width shrinks about as 1/sqrt(n), so the unmet keys need about
    ``n (half_width / target)^2``; the batch is that minus ``n``, at least 2 and at most ``n`` (a noisy half-width
    from few replications does not send the run far past what is needed), capped by ``max_replications``.
    0 when every key is reached or the cap is met."""
    unmet = [s for s in status.values() if not s["reached"]]
    if not unmet or n >= max_replications:
        return 0
    need = n
    for s in unmet:
        hw, target = s["half_width"], s["target"]
        need = max(need, n * 2 if not (np.isfinite(hw) and target > 0) else math.ceil(n * (hw / target) ** 2))
    return int(min(max_replications - n, max(2, min(need - n, n))))
