"""Run the model on many random valid scenarios and count the runs that raise.

Every draw comes from the scenario schema itself (:mod:`sim.scenario.draws`): each parameter over its full valid
range, developers <= 2,000 and months <= 36. A run fails the check when it raises, or when its time series
lacks a column that other runs have (every column must be present in every run, NaN where undefined).

    python scripts/random_draws.py --draws 1000 --seed 0

Prints one line per failing draw (its index, the error, and the draw's seed so that it can be rerun alone:
``--seed S --first I --draws 1``) and a summary line; exits 1 when any draw failed.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
import warnings

import numpy as np

from sim import run_one
from sim.scenario.draws import random_scenario


def draw_and_run(seed: int, index: int) -> tuple[list[str] | None, str | None, int]:
    """Run draw ``index`` of the stream ``seed``: (time-series columns or None, error or None, non-finite
    summary values)."""
    rng = np.random.default_rng([seed, index])
    sc = random_scenario(rng)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = run_one(sc, seed=index)
    except Exception as e:  # noqa: BLE001 - counting every failure is the point
        tb = traceback.extract_tb(e.__traceback__)[-1]
        return None, f"{type(e).__name__}: {e} ({tb.filename.rsplit('/', 1)[-1]}:{tb.lineno})", 0
    inf = sum(1 for v in res.summary.values() if isinstance(v, float) and np.isinf(v))
    return list(res.timeseries.columns), None, inf


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0, help="Seed of the stream of draws.")
    ap.add_argument("--first", type=int, default=0, help="Index of the first draw (to rerun one draw).")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    columns: list[str] | None = None
    raised = missing = inf_runs = 0
    for i in range(args.first, args.first + args.draws):
        cols, err, inf = draw_and_run(args.seed, i)
        if err is not None:
            raised += 1
            print(f"draw {i} (--seed {args.seed} --first {i} --draws 1): {err}", flush=True)
            continue
        inf_runs += inf > 0
        if columns is None:
            columns = cols
        elif cols != columns:
            missing += 1
            print(f"draw {i}: time-series columns differ: {sorted(set(columns) ^ set(cols))}", flush=True)
    wall = time.perf_counter() - t0
    print(f"{args.draws} random valid draws (seed {args.seed}): {raised} raised, {missing} with different "
          f"time-series columns, {inf_runs} with an infinite summary metric; {wall:.0f} s "
          f"({wall / max(args.draws, 1):.2f} s a draw)")
    return 1 if raised or missing else 0


if __name__ == "__main__":
    sys.exit(main())
