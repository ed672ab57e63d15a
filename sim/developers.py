"""The developer population: thousands of individual agents held as structure-of-arrays (DESIGN.md §2).

Each developer has a region, a chosen model (lab index) and heterogeneous tastes. Stepping them is one
array operation per month rather than one Python call per developer.
"""

from __future__ import annotations

import numpy as np

from sim import REGIONS
from sim.scenario import Developers


def _truncnorm(rng: np.random.Generator, mean: float, sd: float, n: int) -> np.ndarray:
    return np.maximum(0.0, rng.normal(mean, sd, n)) if sd > 0 else np.full(n, max(0.0, mean))


class DeveloperPopulation:
    """Structure-of-arrays population of ``n`` developer agents.

    Attributes (all shape (n,)): ``region`` (int index into REGIONS), ``chosen`` (int lab index, -1 before
    the first choice), ``w_cap`` (>= 0), ``w_open`` (any sign), ``w_sov`` (>= 0) in utility units.
    ``region_counts`` (R,) number of developers per region.

    Regions are assigned deterministically in proportion to ``region_shares`` (largest remainders), so a
    region's weight does not vary between replications; traits are drawn from ``rng``.
    """

    def __init__(self, params: Developers, rng: np.random.Generator):
        n = params.n
        shares = np.array([params.region_shares[r] for r in REGIONS])
        counts = np.floor(shares * n).astype(int)
        rem = shares * n - counts
        counts[np.argsort(-rem)[: n - counts.sum()]] += 1
        self.region = np.repeat(np.arange(len(REGIONS)), counts)
        self.region_counts = counts
        self.n = n
        self.w_cap = _truncnorm(rng, params.w_cap_mean, params.w_cap_sd, n)
        self.w_open = rng.normal(params.w_open_mean, params.w_open_sd, n) if params.w_open_sd > 0 \
            else np.full(n, params.w_open_mean)
        self.w_sov = _truncnorm(rng, params.w_sov_mean, params.w_sov_sd, n)
        self.chosen = np.full(n, -1, dtype=np.int64)

    def adopters(self, n_labs: int) -> np.ndarray:
        """(K,) number of developers on each lab's model."""
        return np.bincount(self.chosen[self.chosen >= 0], minlength=n_labs)

    def adopters_by_region(self, n_labs: int) -> np.ndarray:
        """(R, K) number of developers of each region on each lab's model."""
        ok = self.chosen >= 0
        flat = np.bincount(self.region[ok] * n_labs + self.chosen[ok], minlength=len(REGIONS) * n_labs)
        return flat.reshape(len(REGIONS), n_labs)
