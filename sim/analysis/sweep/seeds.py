"""The seed of each run of a sweep: the seed modes a spec may choose and the block layouts of sampled
sensitivity designs.
"""

from __future__ import annotations

SEED_MODES = {
    "independent": "seed_for(seed, point, replication): every run its own random numbers (default)",
    "common": "seed_for(seed, replication): replication r of every point uses the same seed (common random "
              "numbers: differences between points are paired, as in aieco compare)",
    "block": "seed_for(seed, point // block, replication): the points of a Saltelli block or Morris trajectory "
             "share their seeds, so replication noise cancels in the differences the indices are built from",
}
"""The seed rules a spec may choose with ``seeds = ...``."""


def run_seed(base_seed: int, point: int, replication: int, mode: str = "independent", block: int = 1) -> int:
    """The seed of run (point, replication) under ``mode`` (:data:`SEED_MODES`); ``block``: points per block
    for ``"block"``. The same for every executor, worker count and completion order."""
    from sim.analysis.runs import seed_for

    if mode == "independent":
        return seed_for(base_seed, point, replication)
    if mode == "common":
        return seed_for(base_seed, replication)
    if mode == "block":
        return seed_for(base_seed, point // max(1, int(block)), replication)
    raise ValueError(f"unknown seed mode {mode!r} (allowed: {', '.join(SEED_MODES)})")


def block_size(design: str, k: int, second_order: bool = True) -> int:
    """Design points per block of a sampled sensitivity design over ``k`` factors (or groups): a Saltelli
    block of 2k + 2 rows with second-order indices, k + 2 without; a Morris trajectory of k + 1 rows; 1 for
    other designs (grid, lhs). The one statement of these layouts (SALib 1.5, ``sample.sobol``/``morris``)."""
    if design == "sobol":
        return 2 * k + 2 if second_order else k + 2
    if design == "morris":
        return k + 1
    return 1
