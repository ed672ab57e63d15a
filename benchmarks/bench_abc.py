"""Speed of the Bayesian calibration (issue 16): a small ABC-SMC run of experiments/abc.toml, its simulations per
second, and the wall time of the full fit estimated from the measured rate and acceptance rates.

Run:  python benchmarks/bench_abc.py [--population 100] [--generations 4] [--workers 2]
      python benchmarks/bench_abc.py --quick          # population 10, 2 generations (a check that it runs)

Writes the history to a temporary folder (nothing in results/). Prints, per generation, epsilon, simulations,
acceptance and ESS, then one SUMMARY line: simulations, wall seconds, simulations per second (one simulation =
one 2022-01..2024-12 run of the spec's scenario), the load average while measuring, and the estimate for the
spec's own population and generations (acceptance beyond the measured generations: the last measured rate
times 0.8 a generation). Timings depend on what else runs on the machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default=str(ROOT / "experiments" / "abc.toml"))
    ap.add_argument("--population", type=int, default=100)
    ap.add_argument("--generations", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args(argv)
    from sim.analysis import abcsmc

    spec = abcsmc.load_abc_spec(a.spec)
    full_pop, full_gen = spec.population, spec.generations
    spec.population, spec.generations, spec.workers = ((10, 2, a.workers) if a.quick
                                                       else (a.population, a.generations, a.workers))
    with tempfile.TemporaryDirectory() as tmp:
        spec.db = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        run = abcsmc.run_abc(spec, new=True, echo=lambda m: print(m, file=sys.stderr))
        wall = time.perf_counter() - t0
        gens = abcsmc.generation_table(run.history)
    load = os.getloadavg()[0]
    print(gens.to_string(index=False))
    rate = run.simulations / run.wall_seconds
    acc = list(gens["acceptance"])
    while len(acc) < full_gen:
        acc.append(acc[-1] * 0.8)
    est, sims = abcsmc.estimate_seconds(1.0 / rate, full_pop, full_gen, 1, acc)
    print(f"SUMMARY ABC-SMC {len(spec.priors)} parameters, population {spec.population} x {len(gens)} generations, "
          f"{spec.workers} workers: {run.simulations} simulations in {run.wall_seconds:.0f} s ({wall:.0f} s with the "
          f"pilot) = {rate:.2f} simulations/s; ESS {gens['ess'].iloc[-1]:.0f}; load {load:.1f} | full fit "
          f"(population {full_pop} x {full_gen} generations): ~{sims} simulations, ~{est / 60:.0f} min at this rate")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
