"""Speed of one model run (issue 2): wall time of the baseline after import, and cost per step vs developers.

Run:  python benchmarks/bench_model.py [--repeats 5] [--cpu]
      python benchmarks/bench_model.py --cpu --against ../base --repeats 10   # side by side with another tree
Prints a table; the closing note of issue 2 quotes it. ``--against DIR`` (a ``git worktree`` of an older commit)
times one baseline run of each tree in alternating subprocesses (CPU seconds after import and a warm-up run),
``--repeats`` times each, and prints both medians and their ratio (the "Model 2" issues' speed budget). Timings are wall-clock medians over repeats on
whatever machine runs it (2 cores for the quoted figures); other work on the machine inflates them.
The table ends with one line to compare with other machines (and with the README's figures):

    SUMMARY aieco 0.1.0 (git 0563f80): baseline run (5,000 developers, 108 months) 0.31 s, 0.100 ms/step per 1k
    developers | <CPU>, 2 cores, load 1.9 (1-min average, while measuring), Python 3.11.7

``--quick`` runs a 12-month baseline and two developer counts only (a check that it runs, not a measurement).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from sim.model import EcosystemModel
from sim.scenario import load_scenario, with_horizon, with_values

ROOT = Path(__file__).resolve().parents[1]


CLOCK = time.perf_counter


def time_run(scenario, seed: int) -> tuple[float, float]:
    """(seconds to build the model, seconds to run all months) on CLOCK (wall by default)."""
    t0 = CLOCK()
    m = EcosystemModel(scenario, seed=seed)
    t1 = CLOCK()
    m.run()
    t2 = CLOCK()
    return t1 - t0, t2 - t1


_ONE_RUN = """
import sys, time
from pathlib import Path
from sim.model import EcosystemModel
from sim.scenario import load_scenario, with_horizon
sc = load_scenario(Path(sys.argv[1]) / "scenarios" / "baseline.toml")
EcosystemModel(with_horizon(sc, 12), seed=0).run()
t = time.process_time()
EcosystemModel(sc, seed=int(sys.argv[2])).run()
print(time.process_time() - t)
"""


def side_by_side(other: Path, repeats: int) -> None:
    """Median CPU seconds of one baseline run in this tree and in ``other``, interleaved, and their ratio."""
    import os
    import subprocess
    import sys

    times: dict[Path, list[float]] = {ROOT: [], other: []}
    for k in range(repeats):
        for tree in (other, ROOT) if k % 2 == 0 else (ROOT, other):
            env = {**os.environ, "PYTHONPATH": str(tree)}
            out = subprocess.run([sys.executable, "-c", _ONE_RUN, str(tree), str(k)], env=env, check=True,
                                 capture_output=True, text=True, cwd=tree).stdout
            times[tree].append(float(out.strip().splitlines()[-1]))
    a, b = statistics.median(times[ROOT]), statistics.median(times[other])
    print(f"clock: process CPU time; {repeats} interleaved repeats each, seeds 0..{repeats - 1}")
    print(f"this tree ({ROOT.name}): median {a:.3f} s a run (min {min(times[ROOT]):.3f}, max {max(times[ROOT]):.3f})")
    print(f"other ({other}): median {b:.3f} s a run (min {min(times[other]):.3f}, max {max(times[other]):.3f})")
    print(f"ratio this / other: {a / b:.2f}x")


def machine() -> str:
    """CPU model, cores, the 1-minute load average and the Python version of this machine."""
    import os
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = f"load {os.getloadavg()[0]:.1f} (1-min average, while measuring)"
    except (OSError, AttributeError):
        load = "load unknown"
    return f"{cpu}, {os.cpu_count()} cores, {load}, Python {platform.python_version()}"


def summary_line(run_seconds: float, ms_per_1k: float, months: int, developers: int) -> str:
    """The one line a user compares across machines: the baseline run time and the per-developer cost,
    with the code version and the machine they were measured on."""
    from sim import __version__
    from sim.analysis.provenance import git_commit

    commit = (git_commit().get("commit") or "unknown")[:7]
    return (f"SUMMARY aieco {__version__} (git {commit}): baseline run ({developers:,} developers, {months} months) "
            f"{run_seconds:.2f} s, {ms_per_1k:.3f} ms/step per 1k developers | {machine()}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="12 months, two developer counts: a check, not a measurement")
    ap.add_argument("--cpu", action="store_true",
                    help="time process CPU seconds instead of wall time (robust when the machine is busy)")
    ap.add_argument("--against", type=Path, default=None,
                    help="another checkout (e.g. a git worktree of an older commit) to time side by side")
    args = ap.parse_args(argv)
    if args.against is not None:
        side_by_side(args.against.resolve(), args.repeats)
        return
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time
    print(f"clock: {'process CPU time' if args.cpu else 'wall time'}")
    base = load_scenario(ROOT / "scenarios" / "baseline.toml")
    time_run(with_horizon(base, 12), 0)  # warm caches
    if args.quick:
        base = with_horizon(base, 12)
    runs = [time_run(base, s) for s in range(args.repeats)]
    total = [a + b for a, b in runs]
    print(f"baseline, {base.developers.n} developers, {base.months} months: median {statistics.median(total):.3f} s "
          f"(build {statistics.median(a for a, _ in runs):.3f} s + run {statistics.median(b for _, b in runs):.3f} s), "
          f"min {min(total):.3f} s over {args.repeats} runs")
    print("\ndevelopers  s/run    ms/step  ms/step per 1k developers (above the labs-only cost)")
    rows = []
    for n in (1_000, 5_000) if args.quick else (1_000, 5_000, 20_000, 100_000):
        sc = with_values(base, {"developers.n": n})
        reps = max(1, args.repeats if n <= 20_000 else 2)
        t = statistics.median(sum(time_run(sc, s)) for s in range(reps))
        rows.append((n, t))
    ns = np.array([r[0] for r in rows], float)
    ts = np.array([r[1] for r in rows]) / base.months * 1000
    slope, intercept = np.polyfit(ns, ts, 1)
    for (n, t), ms in zip(rows, ts, strict=True):
        print(f"{n:>10,}  {t:6.3f}  {ms:7.3f}  {(ms - intercept) / n * 1000:7.4f}")
    pred = slope * ns + intercept
    r2 = 1 - ((ts - pred) ** 2).sum() / ((ts - ts.mean()) ** 2).sum()
    print(f"\nlinear fit: ms/step = {intercept:.3f} + {slope * 1000:.4f} x (developers / 1000);  R^2 = {r2:.4f}")
    print(summary_line(statistics.median(total), slope * 1000, base.months, base.developers.n))


if __name__ == "__main__":
    main()
