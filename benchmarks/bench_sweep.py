"""Benchmark of the sweep layer (issue 5) against mesa's ``batch_run`` and EMA Workbench (not a test).

Part A, the same 200 runs everywhere: the baseline scenario (108 months, 5,000 developers, the 2022-01
roster), a 10 x 10 grid of US export-control strictness on China (from 2022-10) x leakage, 2 replications,
seeds ``seed_for(seed, point, replication)`` in every framework, so that all produce the same numbers
(checked). Measured: wall time, runs per second, and the driver's peak resident memory.

- ``aieco serial`` / ``aieco processes`` / ``aieco dask``: :func:`sim.analysis.sweep.run_sweep`.
- ``mesa batch_run``: ``mesa.batch_run`` on a thin ``EcosystemModel`` subclass taking keyword
  parameters and a ``DataCollector`` (what batch_run requires); ``number_processes = workers``.
- ``EMA MultiprocessingEvaluator``: ``ema_workbench`` with a function model, the same 200 experiments
  given as explicit ``Scenario`` objects; skipped when ema_workbench cannot be imported (run with
  ``--ema-python`` pointing at an interpreter that has it).

Part B, a 10,000-run Latin hypercube (the 16 factors of ``experiments/uncertainty_lhs.toml``, summary
metrics only) on the process pool: the driver's peak memory and the parallel efficiency
``(rate with W workers / rate serial) / W``, the serial rate measured on a smaller LHS of the same factors.

Every part runs in its own fresh Python process, so each driver's peak RSS (``ru_maxrss`` of that
process, children excluded) is its own. Usage::

    python benchmarks/bench_sweep.py                      # part A and part B (~18 min on 2 quiet cores)
    python benchmarks/bench_sweep.py --tiny               # + part A on a tiny model (~4 min more)
    python benchmarks/bench_sweep.py --skip-lhs           # part A only
    python benchmarks/bench_sweep.py --lhs-runs 2000 --lhs-developers 500
    python benchmarks/bench_sweep.py --ema-python /path/to/venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mesa
import numpy as np

from sim.model import EcosystemModel, summarize

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
LHS_SPEC = ROOT / "experiments" / "uncertainty_lhs.toml"
CONTROLS = [round(float(x), 4) for x in np.linspace(0.0, 1.0, 10)]
LEAKAGES = [round(float(x), 4) for x in np.linspace(0.0, 0.5, 10)]
REPLICATIONS = int(os.environ.get("BENCH_REPS", "2"))  # per grid point (20 in the --tiny comparison)
TINY_REPLICATIONS = 20
CHECK_METRICS = ("open_share_CN", "us_cn_gap_months", "noncn_on_cn_open", "frontier_capability")


def rss_mb() -> float:
    """Peak resident memory of this process so far (MB; Linux reports ru_maxrss in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


TINY_SET = """[set]
months = 12
developers.n = 100
events = []
"""


def grid_spec_text(replications: int = 2, tiny: bool = False) -> str:
    """The comparison grid; ``tiny``: a 12-month, 100-developer model (~10 ms a run), where the frameworks'
    own overhead per run dominates."""
    text = f"""name = "bench_grid"
base = "{BASELINE}"
replications = {replications}
design = "grid"
[[factors]]
name = "export_control"
path = "governments.US.export_control.CN"
levels = {CONTROLS}
from_month = "2022-10"
[[factors]]
name = "leakage"
path = "governments.US.leakage"
levels = {LEAKAGES}
"""
    return text.replace("[[factors]]", (TINY_SET if tiny else "") + "[[factors]]", 1)


# ----------------------------------------------------------------------------- shared model wrapper

_SPEC = None


def _grid_spec():
    """The benchmark grid spec, loaded once per process (the spec file's path is in $BENCH_SPEC)."""
    global _SPEC
    if _SPEC is None:
        from sim.analysis.sweep import load_spec

        _SPEC = load_spec(os.environ["BENCH_SPEC"])
    return _SPEC


def scenario_and_seed(export_control: float, leakage: float, replication: int):
    """The scenario and seed of one run, built exactly as the sweep builds it."""
    from sim.analysis.runs import seed_for
    from sim.analysis.sweep.designs import build_scenario, point_overrides

    spec = _grid_spec()
    point = CONTROLS.index(export_control) * len(LEAKAGES) + LEAKAGES.index(leakage)
    base, values = point_overrides(spec, {"export_control": export_control, "leakage": leakage})
    return build_scenario(spec.bases, base, values), seed_for(spec.seed, point, replication), point


def ema_model(export_control: float = 0.0, leakage: float = 0.2, replication: int = 0) -> dict:
    """EMA Workbench function model: one run, its summary metrics."""
    from sim import run_one

    sc, seed, point = scenario_and_seed(export_control, leakage, replication)
    res = run_one(sc, seed)
    return {"point": point, **{m: res.summary[m] for m in CHECK_METRICS}}


class BatchModel(EcosystemModel):
    """EcosystemModel as mesa.batch_run wants it: keyword parameters, a DataCollector, ``running``."""

    def __init__(self, export_control: float = 0.0, leakage: float = 0.2, replication: int = 0):
        sc, seed, point = scenario_and_seed(export_control, leakage, replication)
        super().__init__(sc, seed=seed)
        self.point = point
        self._summary: dict | None = None
        self.datacollector = mesa.DataCollector(model_reporters={
            "point": "point", **{m: (lambda mod, m=m: mod.final(m)) for m in CHECK_METRICS}})
        self.running = True

    def final(self, metric: str) -> float:
        """A summary metric at the last month (computed once), NaN before."""
        if self.steps < self.months:
            return float("nan")
        if self._summary is None:
            self._summary = summarize(self.timeseries(), self.release_log())
        return self._summary[metric]

    def step(self) -> None:
        super().step()
        self.datacollector.collect(self)
        if self.steps >= self.months:
            self.running = False


# ----------------------------------------------------------------------------- the parts

def part_aieco(executor: str, workers: int, tmp: Path) -> dict:
    from sim.analysis.sweep import load_results, load_spec, run_sweep

    spec = load_spec(os.environ["BENCH_SPEC"])
    rss0 = rss_mb()
    out = tmp / f"aieco_{executor}"
    shutil.rmtree(out, ignore_errors=True)  # a fresh sweep in every round
    o = run_sweep(spec, out, executor=executor, workers=workers, progress=False)
    df = load_results(out)
    return {"runs": o.ran, "failed": o.failed, "seconds": o.seconds, "rss_after_imports_mb": rss0,
            "values": df.sort_values(["point", "replication"])[list(CHECK_METRICS)].to_numpy().tolist()}


def part_mesa(workers: int, tmp: Path) -> dict:
    import mesa  # noqa: F401 - imported first, as a user would (it forces the 'spawn' start method)
    from mesa.batchrunner import batch_run

    rss0 = rss_mb()
    t0 = time.perf_counter()
    rows = batch_run(BatchModel, parameters={
        "export_control": CONTROLS, "leakage": LEAKAGES, "replication": list(range(REPLICATIONS))},
        number_processes=workers, iterations=1, data_collection_period=-1, max_steps=10_000,
        display_progress=False)
    seconds = time.perf_counter() - t0
    rows = sorted(rows, key=lambda r: (r["point"], r["replication"]))
    return {"runs": len(rows), "failed": 0, "seconds": seconds, "rss_after_imports_mb": rss0,
            "values": [[r[m] for m in CHECK_METRICS] for r in rows]}


def part_ema(workers: int, tmp: Path) -> dict:
    import logging

    from ema_workbench import (
        IntegerParameter,
        Model,
        MultiprocessingEvaluator,
        RealParameter,
        ScalarOutcome,
        Scenario,
    )

    logging.getLogger("EMA").setLevel(logging.WARNING)
    model = Model("aieco", function=ema_model)
    model.uncertainties = [RealParameter("export_control", 0.0, 1.0), RealParameter("leakage", 0.0, 0.5),
                           IntegerParameter("replication", 0, REPLICATIONS - 1)]
    model.outcomes = [ScalarOutcome("point"), *[ScalarOutcome(m) for m in CHECK_METRICS]]
    scenarios = [Scenario(f"s{i}", export_control=c, leakage=lk, replication=r)
                 for i, (c, lk, r) in enumerate((c, lk, r) for c in CONTROLS for lk in LEAKAGES
                                                for r in range(REPLICATIONS))]
    rss0 = rss_mb()
    t0 = time.perf_counter()
    with MultiprocessingEvaluator(model, n_processes=workers) as ev:
        # log_progress=True: progress goes to the (silenced) logger instead of a tqdm bar on stderr
        experiments, outcomes = ev.perform_experiments(scenarios=scenarios, log_progress=True)
    seconds = time.perf_counter() - t0
    order = np.lexsort((experiments["replication"].to_numpy(), outcomes["point"]))
    return {"runs": len(experiments), "failed": 0, "seconds": seconds, "rss_after_imports_mb": rss0,
            "values": np.column_stack([outcomes[m][order] for m in CHECK_METRICS]).tolist()}


def lhs_spec_text(samples: int, developers: int, months: int) -> str:
    """The factors of experiments/uncertainty_lhs.toml, with more points, 1 replication, no optimisation
    of the hypercube, and a reduced developer population."""
    import tomllib

    raw = tomllib.loads(LHS_SPEC.read_text())
    lines = [f'name = "bench_lhs_{samples}"', f'base = "{BASELINE}"', "replications = 1",
             "[design]", 'kind = "lhs"', f"samples = {samples}", "[set]", f"developers.n = {developers}", f"months = {months}"]
    for f in raw["factors"]:
        lines.append("[[factors]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in f.items()]
    return "\n".join(lines) + "\n"


def part_lhs(executor: str, workers: int, samples: int, developers: int, months: int, tmp: Path) -> dict:
    from sim.analysis.sweep import load_spec, overview, run_sweep

    f = tmp / f"lhs_{samples}.toml"
    f.write_text(lhs_spec_text(samples, developers, months))
    spec = load_spec(f)
    rss0 = rss_mb()
    out = tmp / f"lhs_{executor}_{samples}"
    shutil.rmtree(out, ignore_errors=True)
    o = run_sweep(spec, out, executor=executor, workers=workers, progress=sys.stderr.isatty())
    ov = overview(out)
    parts = len(list((out / "summary").glob("*.parquet")))
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {"runs": o.ran, "failed": o.failed, "seconds": o.seconds, "rss_after_imports_mb": rss0,
            "ok": ov["ok"], "missing": ov["missing"], "parts": parts, "store_mb": size / 2**20}


# ----------------------------------------------------------------------------- driver

def run_part(name: str, args: argparse.Namespace, tmp: Path, python: str | None = None, variant: str = "full",
             ) -> dict | None:
    """Run one part in a fresh interpreter; returns its measurements (None when skipped)."""
    out_json = tmp / f"{name}_{variant}.json"
    cmd = [python or sys.executable, str(Path(__file__).resolve()), "--part", name, "--tmp", str(tmp),
           "--workers", str(args.workers), "--lhs-runs", str(args.lhs_runs),
           "--lhs-serial-runs", str(args.lhs_serial_runs), "--lhs-developers", str(args.lhs_developers),
           "--lhs-months", str(args.lhs_months),
           "--json", str(out_json)]
    print(f"-- {name} ({variant}) ...", file=sys.stderr, flush=True)
    reps = TINY_REPLICATIONS if variant == "tiny" else 2
    env = {**os.environ, "BENCH_SPEC": str(tmp / f"grid_{variant}.toml"), "BENCH_REPS": str(reps),
           "PYTHONWARNINGS": "ignore"}
    timeout = args.part_timeout * (8 if name == "lhs_processes" else 1)
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the part and its worker processes
        proc.wait()
        print(f"   {name}: no result after {timeout:.0f} s; killed (hung?)", file=sys.stderr)
        return {"error": f"no result after {timeout:.0f} s (killed)"}
    r = proc
    if r.returncode == 3:
        print(f"   {name}: skipped (not installed in {python or sys.executable})", file=sys.stderr)
        return None
    if r.returncode != 0:
        print(f"   {name}: FAILED (exit {r.returncode})", file=sys.stderr)
        return {"error": f"exit {r.returncode}"}
    res = json.loads(out_json.read_text())
    print(f"   {name}: {res['runs']} runs in {res['seconds']:.1f} s = {res['runs'] / res['seconds']:.2f} runs/s, "
          f"driver peak RSS {res['peak_rss_mb']:.0f} MB, CPU {res['cpu_seconds']:.0f} s, "
          f"load {res['load_average'][0]:.1f}", file=sys.stderr, flush=True)
    return res


def child(args: argparse.Namespace) -> None:
    tmp = Path(args.tmp)
    name = args.part
    if name.startswith("aieco_"):
        res = part_aieco(name.removeprefix("aieco_"), args.workers, tmp)
    elif name == "mesa_batch_run":
        res = part_mesa(args.workers, tmp)
    elif name == "ema":
        try:
            import ema_workbench  # noqa: F401
        except ImportError:
            sys.exit(3)
        res = part_ema(args.workers, tmp)
    elif name == "lhs_serial":
        res = part_lhs("serial", 1, args.lhs_serial_runs, args.lhs_developers, args.lhs_months, tmp)
    elif name == "lhs_processes":
        res = part_lhs("processes", args.workers, args.lhs_runs, args.lhs_developers, args.lhs_months, tmp)
    else:
        raise SystemExit(f"unknown part {name}")
    res["peak_rss_mb"] = rss_mb()
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    res["cpu_seconds"] = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime  # driver + reaped workers
    res["load_average"] = os.getloadavg()
    Path(args.json).write_text(json.dumps(res))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--lhs-runs", type=int, default=10_000)
    ap.add_argument("--lhs-serial-runs", type=int, default=400)
    ap.add_argument("--lhs-developers", type=int, default=300,
                    help="developers.n of the LHS sweep (reduced from 5,000 to fit in ~10 minutes on 2 cores)")
    ap.add_argument("--lhs-months", type=int, default=60,
                    help="months of the LHS sweep (reduced from 108 to fit in ~10 minutes on 2 cores)")
    ap.add_argument("--repeats", type=int, default=2,
                    help="rounds of the 200-run comparison; each framework's fastest round is kept")
    ap.add_argument("--only", nargs="*", default=None, help="run only these parts (e.g. aieco_serial ema)")
    ap.add_argument("--tiny", action="store_true",
                    help="also compare on a tiny model (12 months, 100 developers; 2,000 runs): overhead-bound")
    ap.add_argument("--skip-lhs", action="store_true")
    ap.add_argument("--skip-compare", action="store_true")
    ap.add_argument("--ema-python", default=None, help="interpreter with ema_workbench installed")
    ap.add_argument("--part-timeout", type=float, default=1800.0,
                    help="seconds after which a part is killed and reported as hung")
    ap.add_argument("--results", default=None, help="write all measurements to this JSON file")
    ap.add_argument("--part", help=argparse.SUPPRESS)
    ap.add_argument("--tmp", help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.part:
        child(args)
        return

    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    (tmp / "grid_full.toml").write_text(grid_spec_text(2))
    (tmp / "grid_tiny.toml").write_text(grid_spec_text(TINY_REPLICATIONS, tiny=True))
    results: dict[str, dict | None] = {"machine": {"cores": len(os.sched_getaffinity(0)), "workers": args.workers,
                                                   "python": sys.version.split()[0]}}
    try:
        variants = [] if args.skip_compare else ["full", *(["tiny"] if args.tiny else [])]
        for variant in variants:
            suffix = "" if variant == "full" else "_tiny"
            names = [n for n in ("aieco_serial", "aieco_processes", "aieco_dask", "mesa_batch_run", "ema")
                     if not args.only or n in args.only]
            for _ in range(args.repeats):  # rounds, interleaved, so that every framework sees the same load
                for name in names:
                    r = run_part(name, args, tmp, python=args.ema_python if name == "ema" else None, variant=variant)
                    best = results.get(name + suffix)
                    if r is not None and "seconds" in r:
                        r["all_seconds"] = [*(best or {}).get("all_seconds", []), round(r["seconds"], 2)]
                        if best is None or "seconds" not in best or r["seconds"] < best["seconds"]:
                            results[name + suffix] = r
                        else:
                            best["all_seconds"] = r["all_seconds"]
                    elif best is None:
                        results[name + suffix] = r
            ref = np.array((results.get("aieco_serial" + suffix) or {}).get("values", []), dtype=float)
            for name in ("aieco_processes", "aieco_dask", "mesa_batch_run", "ema"):
                r = results.get(name + suffix)
                if r and "values" in r and ref.size:
                    r["same_results_as_serial"] = bool(np.allclose(ref, np.array(r["values"], dtype=float),
                                                                   equal_nan=True, rtol=0, atol=1e-12))
        for r in results.values():
            if r and "values" in r:
                del r["values"]
        if not args.skip_lhs:
            # serial before and after the parallel sweep, so that the serial rate sees the same (shared) machine
            serial = []
            for name in ("lhs_serial", "lhs_processes", "lhs_serial"):
                if not args.only or name in args.only:
                    r = run_part(name, args, tmp)
                    if name == "lhs_serial" and r and "seconds" in r:
                        serial.append(r)
                    else:
                        results[name] = r
            p = results.get("lhs_processes")
            if serial:
                results["lhs_serial"] = {**serial[-1], "rounds": serial,
                                         "runs_per_second": float(np.mean([s["runs"] / s["seconds"] for s in serial]))}
            if serial and p and "seconds" in p:
                rate1 = results["lhs_serial"]["runs_per_second"]
                rate_w = p["runs"] / p["seconds"]
                p["speedup"] = rate_w / rate1
                p["parallel_efficiency"] = rate_w / rate1 / args.workers
                cpu1 = float(np.mean([s["cpu_seconds"] / s["runs"] for s in serial]))
                p["cpu_per_run_serial"] = cpu1
                p["cpu_per_run_parallel"] = p["cpu_seconds"] / p["runs"]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(results, indent=2))
    if args.results:
        Path(args.results).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
