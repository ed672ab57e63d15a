"""Benchmark and correctness check of the sensitivity analysis (issue 6); not a test.

Part A, correctness through the production code path (spec -> design -> sweep runner and store ->
analysis), serial executor:

- ``experiments/ishigami.toml`` at N = 4096: S1 and ST against the analytic values (tolerance 0.03);
- ``experiments/gfunction.toml`` at N = 2048: S1 and ST of the 8-input G-function against the analytic ones.

Part B (``--baseline``), speed: ``experiments/sobol_baseline.toml`` on the process pool (two workers by
default), timing where the wall time goes:

- sampling: the Saltelli design (SALib) and its mapping to parameter values (``design_matrix``);
- point validation: building and checking every point's scenario before anything runs (``validate_points``);
- model: the runs themselves, summed over runs (``run_seconds``, measured in the workers), and that sum as a
  share of the workers' capacity (workers x sweep wall time);
- storage: everything the driver spends in the store (Parquet parts, design, manifest, resume mask), timed
  by wrapping the store's functions in this process, plus reading the results back;
- analysis and figures: :func:`sim.analysis.sensitivity.analyse` and the figure drawing;
- other: executor start-up and shutdown, task pickling and the driver waiting on workers.

The machine load (``os.getloadavg``) and the CPU seconds of the driver and of the workers are recorded,
because on a shared machine the wall time depends on the neighbours. Results are printed as Markdown and
written to ``results/benchmarks/sensitivity.json``. Usage::

    python benchmarks/bench_sensitivity.py                    # part A (~1 min)
    python benchmarks/bench_sensitivity.py --baseline         # and part B (the full Sobol' baseline)
    python benchmarks/bench_sensitivity.py --baseline --skip-checks --out results/sensitivity/sobol_baseline
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXP = ROOT / "experiments"


def cpu_seconds() -> tuple[float, float]:
    """(driver, children) CPU seconds so far (user + system)."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime, c.ru_utime + c.ru_stime


def check(spec_file: Path, analytic, output: str, tol: float = 0.03) -> dict:
    from sim.analysis.sensitivity import Options, compare_analytic, load_sensitivity_spec, run_sensitivity

    spec = load_sensitivity_spec(spec_file)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run = run_sensitivity(spec, Path(tmp) / "out", options=Options(second_opinion="none"), executor="serial",
                              progress=False)
        wall = time.perf_counter() - t0
    cmp = compare_analytic(run.result.indices, analytic(), output)
    worst = float(cmp["error"].abs().max())
    print(f"\n### {spec.name}: N = {spec.samples}, {run.outcome.total} runs, {wall:.1f} s "
          f"(sweep {run.timings['sweep_wall_s']:.1f} s, analysis {run.timings['analysis_s']:.1f} s)\n")
    print("| parameter | index | analytic | estimate | ± 95% | error |\n|---|---|---|---|---|---|")
    for r in cmp.itertuples():
        print(f"| {r.parameter} | {r.index} | {r.analytic:.3f} | {r.estimate:.3f} | {r.conf:.3f} | {r.error:+.4f} |")
    verdict = "PASS" if worst <= tol else "FAIL"
    print(f"\nlargest |error| {worst:.4f} (tolerance {tol}): {verdict}; convergence verdict: "
          f"{run.result.outputs[0].verdict}")
    return {"spec": spec.name, "N": spec.samples, "runs": run.outcome.total, "wall_s": round(wall, 2),
            "max_abs_error": worst, "pass": worst <= tol, "table": cmp.round(4).to_dict("records")}


class StoreTimer:
    """Wraps the sweep store's writing functions in this process and sums the time spent in them."""

    NAMES = ("write_part", "write_design", "create_manifest", "start_session", "finish_session", "done_mask",
             "cleanup_partial")

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._orig: dict[str, object] = {}

    def __enter__(self) -> StoreTimer:
        import sim.analysis.sweep.store as store

        for n in self.NAMES:
            f = getattr(store, n)
            self._orig[n] = f

            @functools.wraps(f)
            def timed(*a, __f=f, __n=n, **k):
                t = time.perf_counter()
                try:
                    return __f(*a, **k)
                finally:
                    self.seconds[__n] += time.perf_counter() - t
                    self.calls[__n] += 1

            setattr(store, n, timed)
        return self

    def __exit__(self, *exc) -> None:
        import sim.analysis.sweep.store as store

        for n, f in self._orig.items():
            setattr(store, n, f)


def timed_phase(module, name: str, sink: dict[str, float]):
    """Wrap ``module.name`` so that its time is added to ``sink[name]``; returns an undo function."""
    f = getattr(module, name)

    @functools.wraps(f)
    def timed(*a, **k):
        t = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            sink[name] = sink.get(name, 0.0) + time.perf_counter() - t

    setattr(module, name, timed)
    return lambda: setattr(module, name, f)


def baseline(out: Path, workers: int, fresh: bool) -> dict:
    from sim.analysis.sensitivity import Options, load_sensitivity_spec, run_sensitivity
    from sim.analysis.sweep import load_results, runner
    from sim.plots.sensitivity import draw_sensitivity_figures

    spec = load_sensitivity_spec(EXP / "sobol_baseline.toml")
    if fresh and out.exists():
        shutil.rmtree(out)
    load0 = os.getloadavg()
    cpu0 = cpu_seconds()
    phases: dict[str, float] = {}
    undo = [timed_phase(runner, "design_matrix", phases), timed_phase(runner, "validate_points", phases)]
    t0 = time.perf_counter()
    try:
        with StoreTimer() as st:
            run = run_sensitivity(spec, out, options=Options(), executor="processes", workers=workers,
                                  resume=out.exists(), progress=sys.stderr.isatty(),
                                  echo=lambda m: print(m, file=sys.stderr))
    finally:
        for u in undo:
            u()
    t_pipeline = time.perf_counter() - t0
    t1 = time.perf_counter()
    draw_sensitivity_figures(out, ("png", "pdf"))
    t_fig = time.perf_counter() - t1
    wall = time.perf_counter() - t0
    cpu1 = cpu_seconds()
    load1 = os.getloadavg()
    t2 = time.perf_counter()
    runs = load_results(out / "sweep", include_timing=True, include_traceback=False)
    t_read = time.perf_counter() - t2
    o = run.outcome
    model = float(np.nansum(runs["run_seconds"])) if o.skipped == 0 else float("nan")
    sweep_wall = run.timings["sweep_wall_s"]
    storage = sum(st.seconds.values()) + t_read
    sampling = phases.get("design_matrix", 0.0) + run.timings["design_s"]
    validation = phases.get("validate_points", 0.0)
    analysis = run.timings["analysis_s"]
    # the model runs in the workers while the driver writes parts: the model's share of the wall time is
    # its share of the workers' capacity during the sweep, scaled to the sweep's part of the wall time
    capacity = workers * sweep_wall
    model_share_of_sweep = model / capacity if capacity else float("nan")
    rows = {
        "sampling (Saltelli design, twice: check + run)": sampling,
        "point validation (build every scenario)": validation,
        "model runs (wall in workers / workers)": model / workers,
        "storage (driver: parts, design, manifest; read back)": storage,
        "analysis (SALib, bootstrap, convergence, PAWN)": analysis,
        "figures (PNG + PDF)": t_fig,
    }
    rows["other (pool start-up, pickling, waiting)"] = wall - sum(rows.values())
    print(f"\n### experiments/sobol_baseline.toml: {o.total} runs ({spec.replications} replications x "
          f"{o.total // spec.replications} points), {o.executor}\n")
    print(f"wall {wall:.0f} s ({wall / 60:.1f} min); sweep {sweep_wall:.0f} s at {o.ran / sweep_wall:.2f} runs/s; "
          f"load average {load0[0]:.1f} -> {load1[0]:.1f} on {os.cpu_count()} cores")
    print(f"CPU: workers {cpu1[1] - cpu0[1]:.0f} s, driver {cpu1[0] - cpu0[0]:.0f} s; model time summed over runs "
          f"{model:.0f} s ({model / max(o.ran, 1):.3f} s a run), {model_share_of_sweep:.0%} of the workers' "
          f"capacity during the sweep\n")
    print("| phase | seconds | share of wall |\n|---|---|---|")
    for k, v in rows.items():
        print(f"| {k} | {v:.1f} | {v / wall:.1%} |")
    print("\nstorage detail: " + ", ".join(f"{k} {v:.2f} s ({st.calls[k]} calls)" for k, v in st.seconds.items())
          + f", read back {t_read:.2f} s")
    return {"total_runs": o.total, "ran": o.ran, "workers": workers, "executor": o.executor, "wall_s": round(wall, 1),
            "sweep_wall_s": sweep_wall, "pipeline_s": round(t_pipeline, 1), "phases_s": {k: round(v, 2) for k, v in rows.items()},
            "model_seconds_summed": round(model, 1), "model_share_of_worker_capacity": round(model_share_of_sweep, 3),
            "cpu_workers_s": round(cpu1[1] - cpu0[1], 1), "cpu_driver_s": round(cpu1[0] - cpu0[0], 1),
            "loadavg_before": load0, "loadavg_after": load1, "storage_detail_s": dict(st.seconds),
            "verdicts": {r.output: r.verdict for r in run.result.outputs}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", action="store_true", help="also run experiments/sobol_baseline.toml (part B)")
    ap.add_argument("--skip-checks", action="store_true", help="skip part A")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "sensitivity" / "sobol_baseline",
                    help="results folder of part B (resumed when it exists, unless --fresh)")
    ap.add_argument("--fresh", action="store_true", help="delete --out first")
    args = ap.parse_args()
    from sim.analysis.testfunctions import gfunction_indices, ishigami_indices

    report: dict = {"created": time.strftime("%Y-%m-%d %H:%M:%S"), "cores": os.cpu_count()}
    if not args.skip_checks:
        report["ishigami"] = check(EXP / "ishigami.toml", ishigami_indices, "ishigami")
        report["gfunction"] = check(EXP / "gfunction.toml", gfunction_indices, "gfunction")
    if args.baseline:
        report["sobol_baseline"] = baseline(args.out, args.workers, args.fresh)
    dest = ROOT / "results" / "benchmarks" / "sensitivity.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(dest.read_text()) if dest.is_file() else {}
    dest.write_text(json.dumps({**old, **report}, indent=2, default=str) + "\n")  # parts run apart accumulate
    print(f"\nwritten: {dest}")


if __name__ == "__main__":
    main()
