"""Writing a sensitivity analysis and the whole pipeline (:func:`run_sensitivity`); reading results back.

Part of :mod:`sim.analysis.sensitivity` (see its docstring for the pipeline).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import sim.analysis.sweep.store as store
from sim.analysis.provenance import base_manifest, file_sha256, write_json_atomic
from sim.analysis.sensitivity.analyse import analyse
from sim.analysis.sensitivity.design import check_inputs, run_design, run_noise_probe
from sim.analysis.sensitivity.options import (
    CONVERGENCE,
    INDEX_COLUMNS,
    INDICES,
    MANIFEST,
    NAN_RUNS,
    NOISE_DIR,
    OUTPUTS,
    PROBE_REPLICATIONS,
    SWEEP_DIR,
    Options,
    SensitivityError,
    SensitivityResult,
)
from sim.analysis.sweep.spec import SweepSpec
from sim.scenario.schema import folder_name

# ---------------------------------------------------------------------------------------------
# Writing and the whole pipeline
# ---------------------------------------------------------------------------------------------

def _write_table(df: pd.DataFrame, out: Path, stem: str) -> list[Path]:
    csv, pq = out / f"{stem}.csv", out / f"{stem}.parquet"
    for path, write in ((csv, lambda p: df.to_csv(p, index=False)), (pq, lambda p: df.to_parquet(p, index=False))):
        tmp = path.parent / f".{path.name}.tmp"
        write(tmp)
        tmp.replace(path)
    return [csv, pq]


def write_results(result: SensitivityResult, out: str | Path, extra: dict[str, Any] | None = None) -> list[Path]:
    """Write ``indices.{csv,parquet}``, ``convergence.{csv,parquet}``, ``outputs.csv``, ``nan_runs.csv``
    (when there are any) and ``manifest.json`` into ``out``. Returns the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = _write_table(result.indices, out, INDICES) + _write_table(result.convergence, out, CONVERGENCE)
    result.output_table().to_csv(out / OUTPUTS, index=False)
    paths.append(out / OUTPUTS)
    if len(result.nan_runs):
        result.nan_runs.to_csv(out / NAN_RUNS, index=False)
        paths.append(out / NAN_RUNS)
    elif (out / NAN_RUNS).exists():
        (out / NAN_RUNS).unlink()
    man = base_manifest("sensitivity")
    sweep = out / SWEEP_DIR
    man.update({
        "name": result.name, "design": result.design, "n_base": result.n_base,
        "replications": result.replications, "calc_second_order": result.calc_second_order,
        "factors": result.factors, "parameters": result.parameters, "groups": result.groups,
        "options": result.options.describe(), "analysis_seeds": result.seeds,
        "seed_rule": "SeedSequence(spec seed, spawn_key=(6, crc32('output|method'))) -> 1 + x mod (2**31 - 2)",
        "outputs": {r.output: r.row() for r in result.outputs},
        "warnings": result.warnings, "analysis_seconds": round(result.seconds, 3),
        "sweep": SWEEP_DIR if sweep.is_dir() else None,
        "sweep_manifest_sha256": file_sha256(sweep / store.MANIFEST) if (sweep / store.MANIFEST).is_file() else None,
        "tables": {"indices": f"{INDICES}.parquet", "convergence": f"{CONVERGENCE}.parquet", "outputs": OUTPUTS,
                   **({"nan_runs": NAN_RUNS} if len(result.nan_runs) else {})},
        "columns": INDEX_COLUMNS,
    })
    if extra:
        man.update(extra)
    write_json_atomic(out / MANIFEST, man)
    paths.append(out / MANIFEST)
    return paths


def read_manifest(results_dir: str | Path) -> dict[str, Any]:
    """The manifest of a sensitivity results folder. Raises SensitivityError when there is none."""
    p = Path(results_dir) / MANIFEST
    if not p.is_file():
        raise SensitivityError(f"{results_dir}: not a sensitivity results folder (no {MANIFEST})")
    m = json.loads(p.read_text(encoding="utf-8"))
    if m.get("kind") != "sensitivity":
        raise SensitivityError(f"{results_dir}: holds results of kind {m.get('kind')!r}, not a sensitivity analysis")
    return m


@dataclass
class SensitivityRun:
    """What :func:`run_sensitivity` did: the analysis, the sweep outcome, timings (seconds) and files."""

    result: SensitivityResult
    outcome: Any
    out: Path
    timings: dict[str, float]
    paths: list[Path]


def check_out(out: Path, resume: bool) -> None:
    """A results folder must be new (or empty), or a previous sensitivity analysis when resuming."""
    if not out.exists():
        return
    if not out.is_dir():
        raise SensitivityError(f"{out} exists and is not a folder; choose another --out")
    if (out / MANIFEST).is_file():
        try:
            m = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            m = {}
        if m.get("kind") != "sensitivity":
            raise SensitivityError(f"{out} holds other results ({m.get('kind')!r}); choose another --out")
        if not resume:
            raise SensitivityError(f"{out} already holds a sensitivity analysis; add --resume to continue (or "
                                   f"re-analyse) it, or choose another --out")
    elif (out / SWEEP_DIR / store.MANIFEST).is_file():
        if not resume:
            raise SensitivityError(f"{out} already holds a sensitivity sweep; add --resume to continue it, or "
                                   f"choose another --out")
    elif any(p.name != ".lock" for p in out.iterdir()):  # .lock: the writer's lock (sim.analysis.folders)
        raise SensitivityError(f"{out} exists and is not a sensitivity results folder; choose another --out")


def run_sensitivity(spec: SweepSpec, out: str | Path | None = None, **kwargs: Any) -> SensitivityRun:
    """:func:`_run_sensitivity` holding the writer's lock of ``out`` (``out/.lock``,
    :func:`sim.analysis.folders.folder_lock`, the lock every aieco writer takes) throughout: a second writer of
    the folder raises SweepError at once. The folder is written in parts (resumable); its manifest says
    whether the analysis is complete."""
    from sim.analysis.folders import FolderBusy, folder_lock
    from sim.analysis.sweep import runner

    where = Path(out) if out is not None else Path("results") / "sensitivity" / (spec.out_name or folder_name(spec.name))
    check_inputs(spec, kwargs.get("options") or Options())  # bad input: nothing is written, not even a lock
    check_out(where, bool(kwargs.get("resume")))
    try:
        with folder_lock(where, inside=True):
            return _run_sensitivity(spec, where, **kwargs)
    except FolderBusy as e:
        raise runner.SweepError(str(e)) from None


def _run_sensitivity(spec: SweepSpec, out: str | Path | None = None, *, options: Options | None = None,
                    executor: str = "processes", workers: int | None = None, scheduler: str | None = None,
                    resume: bool = False, retry_failed: bool = False, batch_size: int | None = None,
                    timeout: float = 10.0, progress: bool = True, echo: Callable[[str], None] | None = None,
                    extra_manifest: dict[str, Any] | None = None) -> SensitivityRun:
    """The whole pipeline for a loaded spec: check, run the design (sweep store in ``out/sweep``), analyse,
    write the tables and manifest into ``out`` (default ``results/sensitivity/<name>``). Figures are drawn
    by :func:`sim.plots.sensitivity.draw_sensitivity_figures`.

    Raises SensitivityError, SpecError or SweepError on bad input, before anything is written."""
    opts = options or Options()
    out = Path(out) if out is not None else Path("results") / "sensitivity" / (spec.out_name or folder_name(spec.name))
    t0 = time.perf_counter()
    check_inputs(spec, opts)
    t_design = time.perf_counter() - t0
    check_out(out, resume)
    t1 = time.perf_counter()
    outcome = run_design(spec, out / SWEEP_DIR, groups=opts.groups, executor=executor, workers=workers,
                         scheduler=scheduler, resume=resume, retry_failed=retry_failed, batch_size=batch_size,
                         timeout=timeout, progress=progress, echo=echo)
    t_sweep = time.perf_counter() - t1
    probe_outcome = None
    if opts.noise_probe > 0 and spec.replications == 1:
        tp = time.perf_counter()
        if echo:
            echo(f"noise probe: {opts.noise_probe} design points x {PROBE_REPLICATIONS} runs")
        probe_outcome = run_noise_probe(spec, out / NOISE_DIR, opts.noise_probe, groups=opts.groups,
                                        executor=executor, workers=workers, scheduler=scheduler,
                                        resume=(out / NOISE_DIR / store.MANIFEST).is_file(), retry_failed=retry_failed,
                                        batch_size=batch_size, timeout=timeout, progress=progress, echo=echo)
        t_sweep += time.perf_counter() - tp
    t2 = time.perf_counter()
    result = analyse(out / SWEEP_DIR, opts)
    t_analysis = time.perf_counter() - t2
    runs = store.load_results(out / SWEEP_DIR, include_timing=True, include_traceback=False)
    model_s = float(np.nansum(runs["run_seconds"].to_numpy(float)))
    timings = {"design_s": round(t_design, 3), "sweep_wall_s": round(t_sweep, 3),
               "model_cpu_s_all_runs": round(model_s, 3), "analysis_s": round(t_analysis, 3)}
    extra = {"spec_file": str(spec.file), "spec": spec.describe(), "timings": timings,
             "sweep_outcome": {"total": outcome.total, "ok": outcome.ok, "failed": outcome.failed,
                               "missing": outcome.missing, "ran": outcome.ran, "executor": outcome.executor},
             "noise_probe": None if probe_outcome is None else {
                 "folder": NOISE_DIR, "points": opts.noise_probe, "runs_per_point": PROBE_REPLICATIONS,
                 "total": probe_outcome.total, "ok": probe_outcome.ok, "failed": probe_outcome.failed},
             **(extra_manifest or {})}
    paths = write_results(result, out, extra)
    return SensitivityRun(result, outcome, out, timings, paths)


def load_indices(results_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """(indices, convergence, manifest) of a sensitivity results folder."""
    results_dir = Path(results_dir)
    m = read_manifest(results_dir)
    return (pd.read_parquet(results_dir / f"{INDICES}.parquet"), pd.read_parquet(results_dir / f"{CONVERGENCE}.parquet"),
            m)


def compare_analytic(indices: pd.DataFrame, analytic: pd.DataFrame, output: str) -> pd.DataFrame:
    """Estimated S1 and ST of ``output`` next to analytic values (columns parameter, index, estimate, conf,
    analytic, error)."""
    est = indices[(indices["output"] == output) & (indices["method"] == "sobol") & indices["index"].isin(["S1", "ST"])]
    ana = analytic.melt(id_vars="parameter", value_vars=["S1", "ST"], var_name="index", value_name="analytic")
    df = est.merge(ana, on=["parameter", "index"])[["parameter", "index", "value", "conf", "analytic"]]
    df = df.rename(columns={"value": "estimate"})
    df["error"] = df["estimate"] - df["analytic"]
    return df.sort_values(["index", "parameter"]).reset_index(drop=True)


