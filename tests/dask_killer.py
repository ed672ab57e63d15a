"""A run function that kills its worker process for some points (tests/test_dask_dead_worker.py)."""

from __future__ import annotations

import os

from sim.analysis.runs import run_one

KILL_BETAS = (3.0, 7.0)


def run(scenario, seed, roster=None):  # noqa: ANN001, ANN201 - a sweep run function
    """``sim.analysis.runs.run_one``, except that a point with ``labs.beta`` in KILL_BETAS ends its process at once."""
    if scenario.labs.beta in KILL_BETAS:
        os._exit(3)
    return run_one(scenario, seed, roster)
