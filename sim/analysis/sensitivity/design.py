"""Sensitivity specs and designs: loading a sobol/morris spec, groups, the design's size, the checks before
anything runs, and running the design (and the noise probe) through the sweep runner and store.

Part of :mod:`sim.analysis.sensitivity` (see its docstring for the pipeline).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import sim.analysis.sweep.store as store
from sim.analysis.sensitivity.options import (
    AUTO_NOISE_PROBE,
    DESIGNS,
    MIN_CONVERGENCE_BLOCKS,
    MIN_MORRIS_R,
    MIN_SOBOL_N,
    PROBE_REPLICATIONS,
    SECOND_OPINIONS,
    Options,
    SensitivityError,
)
from sim.analysis.sweep.designs import design_matrix, from_unit, n_points, validate_points
from sim.analysis.sweep.spec import SweepSpec, load_spec, resolve_function

# ---------------------------------------------------------------------------------------------
# Specs: loading, outputs declared by run functions, checks
# ---------------------------------------------------------------------------------------------

def load_sensitivity_spec(path: str | Path, *, replications: int | None = None,
                          sets: list[str] | tuple[str, ...] = (), samples: int | None = None) -> SweepSpec:
    """Load an experiment spec for sensitivity analysis (:func:`sim.analysis.sweep.load_spec`, with the outputs its
    run function declares; ``samples`` overrides the design's base size N or trajectories). Raises SpecError
    (invalid spec) or SensitivityError (not a sobol/morris design)."""
    spec = load_spec(path, replications=replications, sets=sets, samples=samples)
    if spec.design not in DESIGNS:
        raise SensitivityError(f"{spec.file}: field 'design': sensitivity analysis needs design 'sobol' (variance-"
                               f"based indices) or 'morris' (screening), got {spec.design!r}; use `aieco sweep` "
                               f"for a {spec.design} design")
    return spec


def parse_groups(text: str | None) -> dict[str, list[str]] | None:
    """``"chips=eta_alt,alt_supply;behaviour=beta,follower_open_value"`` -> ``{"chips": [...], "behaviour": [...]}``.
    Raises SensitivityError for malformed text."""
    if text is None or not text.strip():
        return None
    out: dict[str, list[str]] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, sep, members = part.partition("=")
        name = name.strip()
        items = [m.strip() for m in members.split(",") if m.strip()]
        if not sep or not name or not items:
            raise SensitivityError(f"--groups: {part.strip()!r} is not NAME=factor,factor (groups separated by ';')")
        if name in out:
            raise SensitivityError(f"--groups: group {name!r} is given twice")
        out[name] = items
    return out or None


def group_list(spec: SweepSpec, groups: dict[str, list[str]] | None) -> list[str] | None:
    """SALib's ``groups`` entry: the group of each factor, in factor order (a factor in no group is its own
    group, named after it). Raises SensitivityError for unknown or repeated factors."""
    if not groups:
        return None
    names = spec.factor_names
    of: dict[str, str] = {}
    for g, members in groups.items():
        if g in names and members != [g]:
            raise SensitivityError(f"--groups: group name {g!r} is also a factor name; choose another")
        for m in members:
            if m not in names:
                import difflib

                close = difflib.get_close_matches(m, names, n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise SensitivityError(f"--groups: {m!r} in group {g!r} is not a factor of {spec.file.name}{hint} "
                                       f"(factors: {', '.join(names)})")
            if m in of:
                raise SensitivityError(f"--groups: factor {m!r} is in two groups ({of[m]!r} and {g!r})")
            of[m] = g
    out = [of.get(n, n) for n in names]
    if len(dict.fromkeys(out)) < 2:
        raise SensitivityError("--groups: the groups leave fewer than 2 groups to compare; "
                               "a sensitivity analysis needs at least two")
    return out


def n_base(spec: SweepSpec) -> int:
    """N of a Sobol' design, or the trajectories of a Morris design."""
    if spec.design == "morris":
        return int(spec.design_options.get("optimal_trajectories") or spec.samples or 0)
    return int(spec.samples or 0)


def design_points(spec: SweepSpec, groups: dict[str, list[str]] | None = None) -> int:
    """Points of the (possibly grouped) design."""
    if not groups:
        return n_points(spec)
    return n_base(spec) * spec.block_size(n_groups(spec, groups))


def n_groups(spec: SweepSpec, groups: dict[str, list[str]] | None) -> int:
    """How many groups a (possibly grouped) design has: the groups, plus each factor in none; without
    groups, the number of factors. Raises SensitivityError for unknown or repeated factors."""
    gl = group_list(spec, groups)
    return len(dict.fromkeys(gl)) if gl else len(spec.factors)


def sensitivity_design(spec: SweepSpec, groups: dict[str, list[str]] | None = None
                       ) -> tuple[pd.DataFrame, np.ndarray]:
    """The design matrix and its unit sample. Without groups this is the sweep layer's
    :func:`~sim.analysis.sweep.designs.design_matrix`; with groups, SALib's grouped Saltelli or Morris sample (a
    group's factors move together), mapped to factor values the same way."""
    gl = group_list(spec, groups)
    if gl is None:
        matrix, unit = design_matrix(spec)
        assert unit is not None
        return matrix, unit
    k = len(spec.factors)
    problem = {"num_vars": k, "names": spec.factor_names, "bounds": [[0.0, 1.0]] * k, "groups": gl}
    opts = spec.design_options
    if spec.design == "sobol":
        from SALib.sample import sobol

        unit = sobol.sample(problem, int(spec.samples), calc_second_order=opts.get("calc_second_order", True),
                            scramble=opts.get("scramble", True), seed=int(spec.design_seed))
    else:
        from SALib.sample import morris

        unit = morris.sample(problem, int(spec.samples), num_levels=opts.get("num_levels", 4),
                             optimal_trajectories=opts.get("optimal_trajectories"), seed=int(spec.design_seed))
    cols = {n: from_unit(f, unit[:, j]) for j, (n, f) in enumerate(zip(spec.factor_names, spec.factors, strict=True))}
    matrix = pd.DataFrame(cols)
    matrix.insert(0, "point", np.arange(len(matrix), dtype=np.int64))
    return matrix, unit


def check_inputs(spec: SweepSpec, options: Options | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """Reject what cannot be analysed, before anything runs; returns the design (matrix, unit sample).

    Raises SensitivityError for: a design other than sobol/morris; fewer base samples (trajectories) than
    :data:`MIN_SOBOL_N` (:data:`MIN_MORRIS_R`); a factor whose values do not vary over the design (zero
    range: one level, or an integer range that rounds to one value); outputs the spec does not record;
    bad groups; a test function whose inputs are not carried by the factors it reads; bad options."""
    options = options or Options()
    src = spec.file
    if spec.design not in DESIGNS:
        raise SensitivityError(f"{src}: design {spec.design!r} cannot be analysed; use 'sobol' or 'morris'")
    n = n_base(spec)
    if spec.design == "sobol" and n < MIN_SOBOL_N:
        raise SensitivityError(f"{src}: field 'design.samples': {n} base samples are fewer than a Sobol' analysis "
                               f"needs (at least {MIN_SOBOL_N}, for bootstrap intervals; the convergence check "
                               f"uses N/8 with at least {MIN_CONVERGENCE_BLOCKS}); use samples = 128 or more "
                               f"(a power of 2; 512+ for results you report)")
    if spec.design == "morris" and n < MIN_MORRIS_R:
        raise SensitivityError(f"{src}: field 'design.samples': {n} Morris trajectories are fewer than the "
                               f"analysis needs (at least {MIN_MORRIS_R}; 10-50 are usual)")
    if options.second_opinion not in SECOND_OPINIONS:
        raise SensitivityError(f"second opinion must be one of {', '.join(SECOND_OPINIONS)}, got "
                               f"{options.second_opinion!r}")
    if not 0 < options.conf_level < 1:
        raise SensitivityError(f"confidence level must lie strictly between 0 and 1, got {options.conf_level}")
    if options.num_resamples < 10 or options.second_resamples < 10:
        raise SensitivityError("bootstrap resamples must be at least 10")
    for o in options.outputs or []:
        if o not in spec.metrics:
            import difflib

            close = difflib.get_close_matches(o, spec.metrics, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise SensitivityError(f"output {o!r} is not recorded by {src.name}{hint} (it records: "
                                   f"{', '.join(spec.metrics)}); add it to the spec's 'metrics'")
    fn = resolve_function(spec.run_function)
    carried = getattr(fn, "inputs", None)
    if carried is not None:
        paths = [f.path for f in spec.factors]
        m = min(len(paths), len(carried))
        if paths[:m] != list(carried)[:m]:
            raise SensitivityError(f"{src}: {spec.run_function} reads its inputs from {', '.join(carried)} (in "
                                   f"this order; further factors are inert); the factors set "
                                   f"{', '.join(str(p) for p in paths)}")
    matrix, unit = sensitivity_design(spec, options.groups)
    for f in spec.factors:
        vals = matrix[f.name]
        if vals.nunique(dropna=False) < 2:
            raise SensitivityError(f"{src}: factor {f.name!r} has zero range (every design point sets it to "
                                   f"{vals.iloc[0]!r}); give it a range or at least two levels, or remove it "
                                   f"and fix its value with the spec's [set] table")
    return matrix, unit


# ---------------------------------------------------------------------------------------------
# Running the design through the sweep runner and store
# ---------------------------------------------------------------------------------------------

def run_design(spec: SweepSpec, out: str | Path, *, groups: dict[str, list[str]] | None = None,
               executor: str = "processes", workers: int | None = None, scheduler: str | None = None,
               resume: bool = False, retry_failed: bool = False, batch_size: int | None = None,
               timeout: float = 10.0, progress: bool = True, echo: Callable[[str], None] | None = None) -> Any:
    """Run the sensitivity design into the sweep store ``out`` and return the
    :class:`~sim.analysis.sweep.SweepOutcome`. Without groups this is :func:`sim.analysis.sweep.run_sweep` itself; with
    groups the grouped design (:func:`sensitivity_design`) goes through the same runner, executors and store.
    Raises SpecError or SweepError (bad spec, folder or executor), before anything is written."""
    from sim.analysis.sweep.runner import run_sweep

    if not groups:
        return run_sweep(spec, out, executor=executor, workers=workers, scheduler=scheduler, resume=resume,
                         retry_failed=retry_failed, batch_size=batch_size, timeout=timeout, progress=progress,
                         echo=echo)
    return _run_grouped(spec, Path(out), groups, executor=executor, workers=workers, scheduler=scheduler,
                        resume=resume, retry_failed=retry_failed, batch_size=batch_size, timeout=timeout,
                        progress=progress, echo=echo)


def _run_grouped(spec: SweepSpec, out: Path, groups: dict[str, list[str]], **kw: Any) -> Any:
    """:func:`sim.analysis.sweep.run_sweep` with a grouped design in place of the spec's own (same checks, same
    executor handling, same store; the design's fingerprint makes ``--resume`` refuse other groups)."""
    matrix, unit = sensitivity_design(spec, groups)
    return _run_plan(spec, out, matrix, unit, spec.replications, hint=" (for a grouped design, resume with the "
                     "same --groups)", seed_block=spec.seed_block(n_groups(spec, groups)), **kw)


def run_noise_probe(spec: SweepSpec, out: str | Path, points: int = AUTO_NOISE_PROBE,
                    replications: int = PROBE_REPLICATIONS, *, groups: dict[str, list[str]] | None = None,
                    **kw: Any) -> Any:
    """Run ``points`` points of the design ``replications`` times each into the sweep store ``out`` (same
    runner, executors and store), to measure the replication noise of a one-replication design: the first
    point (row A) of each of the first Saltelli blocks, or the first point of each Morris trajectory. Keyword
    arguments as :func:`run_design`. Returns the :class:`~sim.analysis.sweep.SweepOutcome`."""
    matrix, unit = sensitivity_design(spec, groups)
    rows = np.arange(0, len(matrix), spec.block_size(n_groups(spec, groups)))[:max(1, int(points))]
    sub = matrix.iloc[rows].reset_index(drop=True)
    sub["point"] = np.arange(len(sub), dtype=np.int64)
    return _run_plan(spec, Path(out), sub, unit[rows], int(replications), hint="", **kw)


def _run_plan(spec: SweepSpec, out: Path, matrix: pd.DataFrame, unit: np.ndarray, replications: int, *, hint: str,
              seed_block: int = 1, executor: str = "processes", workers: int | None = None, scheduler: str | None = None,
              resume: bool = False, retry_failed: bool = False, batch_size: int | None = None, timeout: float = 10.0,
              progress: bool = True, echo: Callable[[str], None] | None = None) -> Any:
    """What :func:`sim.analysis.sweep.run_sweep` does after planning, for a design matrix built here (grouped designs,
    the noise probe): the same folder checks, executor, lock and store."""
    from sim.analysis.sweep import runner

    say = echo or (lambda _m: None)
    base = runner.plan_sweep(spec)  # validates the base scenarios and loads the rosters
    plan = runner.Plan(spec, matrix, unit, validate_points(spec, matrix), base.rosters, replications, seed_block)
    manifest = None
    if (out / store.MANIFEST).is_file():
        try:
            manifest = store.read_manifest(out)
            if not resume:
                raise runner.SweepError(f"{out} already holds a sweep; add --resume to continue it, or choose "
                                        f"another --out")
            store.check_resume(manifest, spec, plan.matrix, plan.replications, out)
        except store.StoreError as e:
            raise runner.SweepError(f"{e}{hint}") from None
    elif out.exists() and (not out.is_dir() or any(p.name != ".lock" for p in out.iterdir())):
        raise runner.SweepError(f"{out} exists and is not a sweep results folder; choose another --out")
    try:
        ctx = runner.open_executor(executor, workers, scheduler, timeout=timeout, echo=say)
        handle = ctx.__enter__()
    except runner.ExecutorError as e:
        raise runner.SweepError(str(e)) from None
    lock = getattr(runner, "_lock", None)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with lock(out) if lock is not None else nullcontext():
            outcome = runner._execute(plan, out, manifest, handle, resume, retry_failed, batch_size, progress, say)
    except BaseException:
        ctx.__exit__(*sys.exc_info())
        raise
    ctx.__exit__(None, None, None)
    return outcome


