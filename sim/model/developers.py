"""The developer population: thousands of individual agents held as structure-of-arrays (DESIGN.md §2).

Each developer has a region, a chosen model (lab index) and heterogeneous tastes. Stepping them is one
array operation per month rather than one Python call per developer.
"""

from __future__ import annotations

import numpy as np

from sim import REGIONS
from sim.scenario.schema import SEGMENTS, Developers


def _largest_remainder(shares: np.ndarray, n: int) -> np.ndarray:
    """Integer counts summing to ``n`` in proportion to ``shares`` (largest remainders)."""
    counts = np.floor(shares * n).astype(int)
    rem = shares * n - counts
    counts[np.argsort(-rem, kind="stable")[: n - counts.sum()]] += 1
    return counts


def _truncnorm(rng: np.random.Generator, mean: float, sd: float, n: int) -> np.ndarray:
    return np.maximum(0.0, rng.normal(mean, sd, n)) if sd > 0 else np.full(n, max(0.0, mean))


class DeveloperPopulation:
    """Structure-of-arrays population of ``n`` developer agents.

    Attributes (all shape (n,)): ``region`` (int index into REGIONS), ``chosen`` (int lab index, -1 before
    the first choice), ``w_cap`` (>= 0), ``w_open`` (any sign), ``w_sov`` (>= 0) in utility units.
    ``region_counts`` (R,) number of developers per region.

    ``segment`` (n,) int index into :data:`sim.scenario.schema.SEGMENTS` (enterprise, startup, research, public);
    ``group`` (n,) ``region * len(SEGMENTS) + segment``; ``w_price`` (n,) price sensitivity (utility per decade)
    and ``review_p`` (n,) monthly review probability, both scaled by the segment; ``w_sov`` and ``w_open`` include
    the segment's scale and shift.

    Regions, and segments within each region, are assigned deterministically in proportion to ``region_shares``
    and the segments' shares (largest remainders), so a region's or segment's weight does not vary between
    replications; traits are drawn from ``rng`` (the same draws as without segments).
    """

    def __init__(self, params: Developers, rng: np.random.Generator):
        n = params.n
        shares = np.array([params.region_shares[r] for r in REGIONS])
        counts = _largest_remainder(shares, n)
        self.region = np.repeat(np.arange(len(REGIONS)), counts)
        self.region_counts = counts
        self.n = n
        self.w_cap = _truncnorm(rng, params.w_cap_mean, params.w_cap_sd, n)
        self.w_open = rng.normal(params.w_open_mean, params.w_open_sd, n) if params.w_open_sd > 0 \
            else np.full(n, params.w_open_mean)
        self.w_sov = _truncnorm(rng, params.w_sov_mean, params.w_sov_sd, n)
        self.chosen = np.full(n, -1, dtype=np.int64)
        seg = [getattr(params.segments, k) for k in SEGMENTS]
        seg_share = np.array([g.share for g in seg])
        self.segment = np.concatenate([np.repeat(np.arange(len(SEGMENTS)), _largest_remainder(seg_share, int(c)))
                                       for c in counts]) if n else np.zeros(0, dtype=int)
        self.group = self.region * len(SEGMENTS) + self.segment
        self.w_sov = self.w_sov * np.array([g.w_sov_scale for g in seg])[self.segment]
        self.w_open = self.w_open + np.array([g.w_open_shift for g in seg])[self.segment]
        w_price_seg = params.w_price * np.array([g.w_price_scale for g in seg])
        self.w_price = w_price_seg[self.segment]
        self.w_price_group = np.tile(w_price_seg, len(REGIONS))  # (R*S,) by group = region * S + segment
        self.review_p = np.minimum(1.0, params.review_rate * np.array([g.review_scale for g in seg])[self.segment])

    def adopters(self, n_labs: int) -> np.ndarray:
        """(K,) number of developers on each lab's model."""
        return np.bincount(self.chosen[self.chosen >= 0], minlength=n_labs)

    def adopters_by_region(self, n_labs: int) -> np.ndarray:
        """(R, K) number of developers of each region on each lab's model."""
        ok = self.chosen >= 0
        flat = np.bincount(self.region[ok] * n_labs + self.chosen[ok], minlength=len(REGIONS) * n_labs)
        return flat.reshape(len(REGIONS), n_labs)
