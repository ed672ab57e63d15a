"""Global sensitivity analysis: which uncertain parameters drive an output, on SALib and the sweep layer.

The pipeline behind ``aieco sensitivity SPEC`` (each step a plain function):

1. :func:`load_sensitivity_spec` reads an experiment spec (``experiments/*.toml``) whose design is
   ``sobol`` (Saltelli sampling) or ``morris`` (elementary effects); :func:`check_inputs` rejects what
   cannot be analysed (too few samples, a factor with zero range, unknown outputs or groups).
2. :func:`run_design` runs the design through the sweep runner and store (:func:`sim.analysis.sweep.run_sweep`), so
   every executor (serial, processes, Dask), ``--resume`` and the failure records work unchanged. Grouped
   factors need a grouped design (SALib moves a group's factors together); :func:`sensitivity_design` draws
   it with SALib and the same runner executes it.
3. :func:`analyse` averages the replications of each design point (the spec's ``replications``) and applies
   SALib to each chosen output: Sobol' first-order ``S1``, total ``ST`` and optionally second-order ``S2``
   indices with bootstrap confidence intervals (:func:`SALib.analyze.sobol.analyze`); or Morris ``mu``,
   ``mu_star`` (with a bootstrap interval) and ``sigma`` (:func:`SALib.analyze.morris.analyze`). As a
   moment-independent second opinion it adds ``PAWN`` (default; :func:`SALib.analyze.pawn.analyze`,
   bootstrap interval ours) and/or Borgonovo's ``delta`` (:func:`SALib.analyze.delta.analyze`; slow: its
   kernel density estimates take minutes per output when BLAS threads compete), each with a dummy input
   that shows the estimator's floor. The replication noise of a stochastic model is measured from the
   replications, or for a one-replication design from a small noise probe (:func:`run_noise_probe`). SALib has no convergence check; :func:`analyse` repeats the analysis
   on the first N/8, N/4, N/2 and N base samples (Morris: trajectories) and warns when intervals are still
   wide, when ``S1 > ST`` beyond their intervals, or when indices still move between N/2 and N.
4. :func:`write_results` writes the tidy tables (``indices``, ``convergence``: CSV and Parquet), the
   per-output report (``outputs.csv``) and a manifest. Figures: :mod:`sim.plots.sensitivity`.

Bad input and awkward outputs:

- fewer samples than the analysis needs, a factor with zero range, an unknown output, overlapping or
  unknown groups: :class:`SensitivityError` before anything runs (the CLI exits 2);
- an output that is constant across the sample is reported as such; its indices are not computed (they
  would divide by a zero variance);
- runs with NaN outputs (or failed runs) are listed with their point, replication, seed and error. The
  output is then analysed only with ``exclude_nan``: replications are averaged over the finite ones and
  Sobol' blocks (Morris trajectories) that still hold a NaN are dropped -- never single rows, which would
  break the Saltelli structure.

SALib traps avoided: ``calc_second_order`` is taken from the spec for both sampling and analysis;
``sobol.analyze(seed=0)`` falls back to an unseeded generator (SALib tests ``if seed:``), so every analysis
gets a non-zero seed derived from the spec's seed and the output (:func:`analysis_seed`); SALib 1.6 returns
``delta_raw``/``delta_balanced`` rather than ``delta``; grouped Morris reports ``sigma`` as NaN for groups
of more than one factor, by design (said in the report, not treated as a failure); SALib's delta and PAWN
seed numpy's global generator and change the ``warnings`` filters, so both are restored after each call.

Layering: imports the sweep layer and the model layer's metric registry; the plots and the CLI import this.
"""

from __future__ import annotations

import json
import math
import sys
import time
import warnings
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import sim.analysis.sweep.store as store
from sim.analysis.provenance import base_manifest, file_sha256, write_json_atomic
from sim.analysis.sweep.designs import design_matrix, from_unit, n_points, validate_points
from sim.analysis.sweep.spec import SweepSpec, block_size, load_spec, resolve_function
from sim.scenario.schema import folder_name

DESIGNS = ("sobol", "morris")
"""Designs that can be analysed here (the sweep layer also has grid and lhs)."""

SECOND_OPINIONS = ("delta", "pawn", "both", "none")
"""Moment-independent second opinions: Borgonovo's delta, PAWN, both, or none."""

MIN_SOBOL_N = 16
"""Smallest base sample N for a Sobol' analysis (bootstrap intervals need a few blocks)."""

MIN_MORRIS_R = 4
"""Fewest Morris trajectories (mu* and sigma are means and spreads over trajectories)."""

MIN_CONVERGENCE_BLOCKS = 8
"""A convergence step is computed only when it has at least this many blocks (trajectories)."""

MIN_SECOND_OPINION_ROWS = 50
"""delta and PAWN need a reasonable sample; below this they are skipped (and said so)."""

CI_WIDE = 0.1
"""A Sobol' interval is 'wide' when its half-width exceeds this (indices live on 0..1)."""

DRIFT = 0.05
"""A Sobol' index 'still moves' when it changes by more than this between N/2 and N (beyond its interval)."""

MORRIS_WIDE = 0.5
"""A Morris mu* interval of an important factor is wide when its half-width exceeds this share of its mu*."""

FRACTIONS = (0.125, 0.25, 0.5, 1.0)
"""Shares of the sample used by the convergence check."""

SWEEP_DIR = "sweep"
NOISE_DIR = "noise_probe"
PROBE_REPLICATIONS = 4
"""Runs per point of the noise probe (see :func:`run_noise_probe`)."""
AUTO_NOISE_PROBE = 32
"""Points of the noise probe the CLI adds to a one-replication design of a stochastic model."""
MANIFEST = "manifest.json"
INDICES = "indices"
CONVERGENCE = "convergence"
OUTPUTS = "outputs.csv"
NAN_RUNS = "nan_runs.csv"

INDEX_COLUMNS = ["output", "method", "index", "parameter", "parameter2", "value", "conf", "ci_low", "ci_high",
                 "conf_level", "n"]
"""Columns of the tidy indices table (and of the convergence table). ``conf`` is the half-width of the
interval, ``n`` the base samples N (Sobol'), trajectories (Morris) or rows (delta, PAWN) used."""


class SensitivityError(ValueError):
    """Input that cannot be analysed: wrong design, too few samples, zero-range factor, unknown outputs or
    groups, a results folder that does not match. The message says what and how to fix it."""


# ---------------------------------------------------------------------------------------------
# Options and results
# ---------------------------------------------------------------------------------------------

@dataclass
class Options:
    """What to analyse and how.

    outputs : the outputs (summary metrics recorded by the spec) to analyse; None: all the spec records.
    groups : ``{group: [factor, ...]}``; factors in no group form their own group. None: no groups.
    second_opinion : one of :data:`SECOND_OPINIONS`.
    num_resamples : bootstrap resamples of the Sobol' and Morris intervals.
    second_resamples : bootstrap resamples of delta and PAWN (these are slower).
    conf_level : confidence level of every interval.
    exclude_nan : analyse outputs with NaN runs by dropping the affected blocks/trajectories.
    ci_wide, drift : thresholds of the convergence check (:data:`CI_WIDE`, :data:`DRIFT`).
    noise_probe : run this many design points :data:`PROBE_REPLICATIONS` times more (``out/noise_probe``) to
        measure the replication noise when the design itself has one replication per point."""

    outputs: list[str] | None = None
    groups: dict[str, list[str]] | None = None
    second_opinion: str = "pawn"
    num_resamples: int = 1000
    second_resamples: int = 100
    conf_level: float = 0.95
    exclude_nan: bool = False
    ci_wide: float = CI_WIDE
    drift: float = DRIFT
    noise_probe: int = 0

    def describe(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class OutputReport:
    """What happened to one output.

    status : ``ok``, ``constant`` (no variance: no indices), ``nan`` (NaN runs, not excluded: no indices)
        or ``too_few`` (too few complete blocks left after excluding NaN).
    n_used, n_total : blocks (Sobol': base samples) or trajectories (Morris) used, of those designed.
    noise_share : the share of the variance of the point means that is the replication noise of a mean
        (Monte Carlo noise; every ST carries about this much of it), measured from the replications, or
        with one replication from the noise probe (``noise_source`` says which). NaN when unknown.
    mu_star_floor : Morris, with replications: the mu* that replication noise alone produces,
        ``2 sigma / (sqrt(pi) Delta)`` for point-mean noise ``sigma`` and step ``Delta``; a factor below about
        twice this is indistinguishable from noise. NaN otherwise.
    verdict : ``converged``, ``not converged`` or ``n/a``; ``warnings`` say why."""

    output: str
    status: str
    n_total: int
    n_used: int = 0
    nan_runs: int = 0
    mean: float = float("nan")
    sd: float = float("nan")
    skew: float = float("nan")
    noise_share: float = float("nan")
    mu_star_floor: float = float("nan")
    noise_source: str = ""
    verdict: str = "n/a"
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    message: str = ""

    def row(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["warnings"] = " | ".join(self.warnings)
        d["notes"] = " | ".join(self.notes)
        return d


@dataclass
class SensitivityResult:
    """The analysis of one sweep: tidy ``indices`` and ``convergence`` tables (:data:`INDEX_COLUMNS`), a
    report per output, the runs with NaN outputs, and what was analysed."""

    name: str
    design: str
    parameters: list[str]
    factors: list[str]
    groups: dict[str, list[str]] | None
    n_base: int
    replications: int
    calc_second_order: bool
    indices: pd.DataFrame
    convergence: pd.DataFrame
    outputs: list[OutputReport]
    nan_runs: pd.DataFrame
    options: Options
    seeds: dict[str, int]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Every output was analysed (constant outputs count as analysed: there is nothing to apportion)."""
        return all(r.status in ("ok", "constant") for r in self.outputs)

    @property
    def warnings(self) -> list[str]:
        return [f"{r.output}: {w}" for r in self.outputs for w in r.warnings]

    def output_table(self) -> pd.DataFrame:
        return pd.DataFrame([r.row() for r in self.outputs])

    def top(self, output: str, k: int = 5) -> pd.DataFrame:
        """The ``k`` most influential parameters of an output (by ST, or mu_star for Morris), one row per
        parameter with its main indices as columns."""
        idx = self.indices[(self.indices["output"] == output) & (self.indices["parameter2"].isna())
                           & (self.indices["method"].isin(["sobol", "morris"]))]
        if idx.empty:
            return pd.DataFrame()
        wide = idx.pivot_table(index="parameter", columns="index", values="value", sort=False)
        conf = idx.pivot_table(index="parameter", columns="index", values="conf", sort=False)
        for c in conf.columns:
            wide[f"{c}_conf"] = conf[c]
        second = self.indices[(self.indices["output"] == output) & self.indices["method"].isin(["delta", "pawn"])
                              & (self.indices["parameter"] != DUMMY)]
        for m, g in second.groupby("method"):
            wide[m] = g.set_index("parameter")["value"]
        key = "ST" if self.design == "sobol" else "mu_star"
        return wide.sort_values(key, ascending=False).head(k)


DUMMY = "(dummy)"
"""Parameter name of the dummy input added to delta and PAWN (its index is the estimator's floor)."""


# ---------------------------------------------------------------------------------------------
# Specs: loading, outputs declared by run functions, checks
# ---------------------------------------------------------------------------------------------

def load_sensitivity_spec(path: str | Path, *, replications: int | None = None,
                          sets: list[str] | tuple[str, ...] = ()) -> SweepSpec:
    """Load an experiment spec for sensitivity analysis (:func:`sim.analysis.sweep.load_spec`, with the outputs its
    run function declares). Raises SpecError (invalid spec) or SensitivityError (not a sobol/morris design)."""
    spec = load_spec(path, replications=replications, sets=sets)
    if spec.design not in DESIGNS:
        raise SensitivityError(f"{spec.file}: field 'design': sensitivity analysis needs design 'sobol' (variance-"
                               f"based indices) or 'morris' (screening), got {spec.design!r}; use `aieco sweep` "
                               f"for a {spec.design} design")
    return spec


def parse_groups(text: str | None) -> dict[str, list[str]] | None:
    """``"chips=eta_alt,alt_supply;behaviour=beta,open_capture"`` -> ``{"chips": [...], "behaviour": [...]}``.
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


# ---------------------------------------------------------------------------------------------
# Analysis
# ---------------------------------------------------------------------------------------------

def analysis_seed(base_seed: int, output: str, method: str) -> int:
    """A non-zero 31-bit seed for one analysis, derived from the spec's seed, the output and the method
    (SALib ignores ``seed=0``; numpy's legacy global seed must be below 2**32)."""
    key = zlib.crc32(f"{output}|{method}".encode())
    ss = np.random.SeedSequence(int(base_seed), spawn_key=(6, key))
    return int(ss.generate_state(1, dtype=np.uint32)[0] % (2**31 - 2)) + 1


@contextmanager
def _quiet_salib() -> Iterator[None]:
    """Contain SALib's side effects: warning filters and formatter, and numpy's global random state."""
    fmt = warnings.formatwarning
    state = np.random.get_state()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                yield
    finally:
        warnings.formatwarning = fmt
        np.random.set_state(state)


def _is_constant(y: np.ndarray) -> bool:
    y = y[np.isfinite(y)]
    if y.size < 2:
        return True
    return float(np.ptp(y)) <= 1e-12 * max(1.0, float(np.max(np.abs(y))))


def _rows(output: str, method: str, index: str, names: list[str], values: Any, conf: Any, conf_level: float,
          n: int, lows: Any = None, highs: Any = None) -> list[dict[str, Any]]:
    out = []
    values = np.asarray(values, dtype=float)
    conf = np.full(values.shape, np.nan) if conf is None else np.asarray(conf, dtype=float)
    for i, p in enumerate(names):
        v, c = float(values[i]), float(conf[i])
        lo = float(lows[i]) if lows is not None else v - c
        hi = float(highs[i]) if highs is not None else v + c
        out.append({"output": output, "method": method, "index": index, "parameter": p, "parameter2": None,
                    "value": v, "conf": c, "ci_low": lo, "ci_high": hi, "conf_level": conf_level, "n": n})
    return out


def _sobol(problem: dict, Y: np.ndarray, second: bool, opts: Options, seed: int, output: str, names: list[str],
           n: int) -> list[dict[str, Any]]:
    from SALib.analyze import sobol

    with _quiet_salib():
        S = sobol.analyze(problem, Y, calc_second_order=second, num_resamples=opts.num_resamples,
                          conf_level=opts.conf_level, seed=seed)
    rows = _rows(output, "sobol", "S1", names, S["S1"], S["S1_conf"], opts.conf_level, n)
    rows += _rows(output, "sobol", "ST", names, S["ST"], S["ST_conf"], opts.conf_level, n)
    if second:
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                v, c = float(S["S2"][i, j]), float(S["S2_conf"][i, j])
                rows.append({"output": output, "method": "sobol", "index": "S2", "parameter": names[i],
                             "parameter2": names[j], "value": v, "conf": c, "ci_low": v - c, "ci_high": v + c,
                             "conf_level": opts.conf_level, "n": n})
    return rows


def _morris(problem: dict, X: np.ndarray, Y: np.ndarray, num_levels: int, opts: Options, seed: int, output: str,
            names: list[str], n: int) -> list[dict[str, Any]]:
    from SALib.analyze import morris

    with _quiet_salib():
        S = morris.analyze(problem, X, Y, num_resamples=opts.num_resamples, conf_level=opts.conf_level,
                           num_levels=num_levels, seed=seed)
    rows = _rows(output, "morris", "mu_star", names, S["mu_star"], S["mu_star_conf"], opts.conf_level, n)
    rows += _rows(output, "morris", "mu", names, S["mu"], None, opts.conf_level, n)
    rows += _rows(output, "morris", "sigma", names, S["sigma"], None, opts.conf_level, n)
    return rows


def _with_dummy(X: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([X, rng.uniform(size=len(X))])


def _delta(X: np.ndarray, Y: np.ndarray, opts: Options, seed: int, output: str, names: list[str]
           ) -> list[dict[str, Any]]:
    """Borgonovo's delta (SALib 1.6: ``delta_raw``, the classic resampling; older: ``delta``) on the rows
    given, with a dummy input."""
    from SALib.analyze import delta

    Xd = _with_dummy(X, seed)
    k = Xd.shape[1]
    problem = {"num_vars": k, "names": [f"p{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}
    with _quiet_salib():
        S = delta.analyze(problem, Xd, Y, num_resamples=opts.second_resamples, conf_level=opts.conf_level,
                          seed=seed, method="delta")
    key = "delta_raw" if "delta_raw" in S else "delta"
    return _rows(output, "delta", "delta", [*names, DUMMY], S[key], S[f"{key}_conf"], opts.conf_level, len(Y))


def pawn_medians(X: np.ndarray, Y: np.ndarray, S: int = 10) -> np.ndarray:
    """PAWN index of each column of ``X``: the median over ``S`` equal-probability conditioning slices of
    the Kolmogorov-Smirnov distance between the output's distribution in the slice and overall. The same
    statistic as :func:`SALib.analyze.pawn.analyze` (same slices, same KS statistic; checked by the tests)
    without its p-values, fast enough to bootstrap."""
    Y = np.asarray(Y, dtype=float)
    ys = np.sort(Y)
    n = ys.size
    step = 1 / S
    seq = np.arange(0, 1 + step, step)  # as SALib
    out = np.full(X.shape[1], np.nan)
    for d in range(X.shape[1]):
        x = X[:, d]
        q = np.nanquantile(x, seq)
        ks = []
        for s in range(S):
            sel = np.sort(Y[(x >= q[s]) & (x < q[s + 1])])
            if sel.size == 0:
                continue
            allv = np.concatenate([sel, ys])
            f1 = np.searchsorted(sel, allv, side="right") / sel.size
            f2 = np.searchsorted(ys, allv, side="right") / n
            ks.append(float(np.max(np.abs(f1 - f2))))
        if ks:
            out[d] = float(np.median(ks))
    return out


def _pawn(X: np.ndarray, Y: np.ndarray, opts: Options, seed: int, output: str, names: list[str]
          ) -> list[dict[str, Any]]:
    """PAWN (median KS distance over 10 conditioning slices; :func:`SALib.analyze.pawn.analyze`) with a
    normal bootstrap interval (ours: SALib gives none; ``z * sd`` of the resampled indices, like SALib's
    Sobol' and Morris intervals -- a percentile interval would be shifted, because resampling with
    replacement inflates a KS distance) and a dummy input."""
    from SALib.analyze import pawn
    from scipy.stats import norm

    Xd = _with_dummy(X, seed)
    k = Xd.shape[1]
    problem = {"num_vars": k, "names": [f"p{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}
    rng = np.random.default_rng(seed)
    with _quiet_salib():
        value = np.asarray(pawn.analyze(problem, Xd, Y, S=10, seed=seed)["median"], dtype=float)
        boots = np.empty((opts.second_resamples, k))
        for b in range(opts.second_resamples):
            idx = rng.integers(len(Y), size=len(Y))
            boots[b] = pawn_medians(Xd[idx], Y[idx])
    z = float(norm.ppf(0.5 + opts.conf_level / 2))
    conf = z * np.nanstd(boots, axis=0, ddof=1)  # normal bootstrap interval, as SALib's Sobol'/Morris ones
    return _rows(output, "pawn", "pawn", [*names, DUMMY], value, conf, opts.conf_level, len(Y))


def _sobol_verdict(rep: OutputReport, full: pd.DataFrame, conv: pd.DataFrame, opts: Options) -> None:
    """Convergence verdict of a Sobol' analysis: intervals wide, S1 > ST beyond the intervals, drift."""
    f = full[full["index"].isin(["S1", "ST"])]
    wide = f[f["conf"] > opts.ci_wide]
    if len(wide):
        worst = wide.sort_values("conf", ascending=False).iloc[0]
        rep.warnings.append(f"intervals still wide: {len(wide)} of {len(f)} S1/ST half-widths exceed "
                            f"{opts.ci_wide:g} (largest ±{worst['conf']:.2f}, {worst['index']} of "
                            f"{worst['parameter']}); increase N")
    s1 = f[f["index"] == "S1"].set_index("parameter")
    st = f[f["index"] == "ST"].set_index("parameter")
    bad = [p for p in s1.index if s1.at[p, "ci_low"] > st.at[p, "ci_high"]]
    if bad:
        rep.warnings.append(f"S1 > ST beyond their intervals for {', '.join(bad)} (impossible in theory: "
                            f"estimation error; increase N)")
    ns = sorted(conv["n"].unique())
    if len(ns) >= 2:
        a = conv[conv["n"] == ns[-2]].set_index(["index", "parameter"])["value"]
        b = conv[conv["n"] == ns[-1]].set_index(["index", "parameter"])
        d = (b["value"] - a.reindex(b.index)).abs()
        moving = d[(d > opts.drift) & (d > b["conf"])]
        if len(moving):
            (ix, p), v = moving.idxmax(), moving.max()
            rep.warnings.append(f"indices still move between N={ns[-2]} and N={ns[-1]}: {len(moving)} change by "
                                f"more than {opts.drift:g} and their interval (largest {v:.2f}, {ix} of {p})")
    else:
        rep.notes.append("too few base samples for a convergence sequence")
    if np.isfinite(rep.noise_share) and rep.noise_share > 0:
        near = int((st["value"] <= 1.5 * rep.noise_share).sum())
        if near:
            rep.notes.append(f"{near} of {len(st)} parameters have ST within 1.5 x the replication-noise share "
                             f"({rep.noise_share:.2f}): no effect distinguishable from noise")
    rep.verdict = "not converged" if rep.warnings else "converged"


def _morris_verdict(rep: OutputReport, full: pd.DataFrame, conv: pd.DataFrame, opts: Options) -> None:
    """Convergence verdict of a Morris screening. Important factors: mu* at least 10% of the largest and at
    least twice the replication-noise floor (when known). Not converged when an important factor's mu*
    interval is wider than half its mu*, or the set of important factors changes between r/2 and r."""
    m = full[full["index"] == "mu_star"]
    floor = 2 * rep.mu_star_floor if np.isfinite(rep.mu_star_floor) else 0.0

    def important(c: pd.DataFrame) -> pd.DataFrame:
        return c[c["value"] >= max(0.1 * c["value"].max(), floor)]

    imp = important(m)
    wide = imp[imp["conf"] > MORRIS_WIDE * imp["value"]]
    if len(wide):
        rep.warnings.append(f"mu* intervals wide: {len(wide)} of the {len(imp)} important factors have a half-width "
                            f"above {MORRIS_WIDE:.0%} of their mu* (e.g. {wide.iloc[0]['parameter']}); add "
                            f"trajectories or replications")
    if floor > 0:
        below = int((m["value"] < floor).sum())
        if below:
            rep.notes.append(f"{below} of {len(m)} factors have mu* below twice the replication-noise floor "
                             f"({rep.mu_star_floor:.3g}): indistinguishable from noise")
    ns = sorted(conv["n"].unique())
    if len(ns) >= 2:
        a = set(important(conv[(conv["n"] == ns[-2]) & (conv["index"] == "mu_star")])["parameter"])
        b = set(important(conv[(conv["n"] == ns[-1]) & (conv["index"] == "mu_star")])["parameter"])
        if a != b:
            rep.warnings.append(f"the important factors change between r={ns[-2]} and r={ns[-1]} "
                                f"(gained: {', '.join(sorted(b - a)) or '-'}; lost: {', '.join(sorted(a - b)) or '-'})")
    else:
        rep.notes.append("too few trajectories for a convergence sequence")
    rep.verdict = "not converged" if rep.warnings else "converged"


def _probe_variances(sweep_dir: Path, outputs: list[str]) -> dict[str, tuple[float, str]]:
    """Replication-noise variance of a single run, per output, from the noise probe beside the sweep
    (``../noise_probe``): the mean over the probe's points of the variance across their runs."""
    pdir = sweep_dir.parent / NOISE_DIR
    if sweep_dir.name != SWEEP_DIR or not (pdir / store.MANIFEST).is_file():
        return {}
    try:
        df = store.load_results(pdir, include_traceback=False)
    except store.StoreError:
        return {}
    df = df[df["status"] == "ok"]
    out: dict[str, tuple[float, str]] = {}
    for o in outputs:
        if o not in df.columns:
            continue
        g = df.groupby("point")[o]
        v = g.var(ddof=1)[g.count() >= 2].dropna()
        if len(v):
            out[o] = (float(v.mean()), f"noise probe ({len(v)} points x {int(g.count().max())} runs)")
    return out


def _check_layout(Ub: np.ndarray, membership: list[str], params: list[str], kind: str, where: Path) -> None:
    """Check that the design was drawn with these groups (or none): in a Saltelli block, row 1 + j is row A
    with group j's columns taken from row B; in a Morris trajectory each step moves exactly one group.
    Raises SensitivityError otherwise (analysing with other groups than the sweep's gives wrong indices)."""
    cols = [np.array([m == p for m in membership]) for p in params]
    msg = (f"{where}: the design was not drawn with {'these groups' if len(params) < len(membership) else 'ungrouped factors'}; "
           f"analyse with the groups the sweep was run with")
    if kind == "sobol":
        A, B = Ub[:, 0, :], Ub[:, -1, :]
        for j, c in enumerate(cols):
            expected = np.where(c, B, A)
            if not np.allclose(Ub[:, 1 + j, :], expected):
                raise SensitivityError(msg)
        return
    moved = np.abs(np.diff(Ub[: min(len(Ub), 20)], axis=1)) > 1e-12  # (trajectories, steps, factors)
    for t in moved:
        for step in t:
            if not any(np.array_equal(step, c) for c in cols):
                raise SensitivityError(msg)


def _read_sweep(sweep_dir: Path) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    try:
        m = store.read_manifest(sweep_dir)
        df = store.load_results(sweep_dir, include_traceback=False)
        design = store.load_design(sweep_dir, unit=True)
    except store.StoreError as e:
        raise SensitivityError(str(e)) from None
    return m, df, design


def analyse(sweep_dir: str | Path, options: Options | None = None) -> SensitivityResult:
    """Analyse a finished (or partly finished) sobol/morris sweep in ``sweep_dir`` (a sweep store, or a
    sensitivity results folder holding one in ``sweep/``).

    Replications are averaged per design point; see the module docstring for NaN and constant outputs.
    Raises SensitivityError when the folder is not such a sweep or does not match ``options.groups``."""
    t0 = time.perf_counter()
    opts = options or Options()
    sweep_dir = Path(sweep_dir)
    if (sweep_dir / SWEEP_DIR / store.MANIFEST).is_file():  # a sensitivity results folder: its sweep
        sweep_dir = sweep_dir / SWEEP_DIR
    m, df, design = _read_sweep(sweep_dir)
    resolved = m.get("resolved", {})
    kind = m["design"]["kind"]
    if kind not in DESIGNS:
        raise SensitivityError(f"{sweep_dir}: a {kind} sweep cannot be analysed; sensitivity needs sobol or morris")
    factors: list[str] = list(m["design"]["factors"])
    k = len(factors)
    npts, reps = int(m["design"]["n_points"]), int(m["replications"])
    dopts = resolved.get("design_options", {})
    second = bool(dopts.get("calc_second_order", True)) if kind == "sobol" else False
    base_seed = int(m.get("base_seed") or resolved.get("seed") or 1)
    metrics = list(m["metrics"])
    outputs = list(opts.outputs or metrics)
    for o in outputs:
        if o not in metrics:
            raise SensitivityError(f"output {o!r} is not in {sweep_dir} (it holds: {', '.join(metrics)})")

    # groups and the layout of the design
    glist = None
    if opts.groups:
        of = {f: g for g, mem in opts.groups.items() for f in mem}
        unknown = [f for f in of if f not in factors]
        if unknown:
            raise SensitivityError(f"groups name factors not in the sweep: {', '.join(unknown)}")
        glist = [of.get(f, f) for f in factors]
    params = list(dict.fromkeys(glist)) if glist else factors
    g = len(params)
    step = block_size(kind, g, second)
    if npts % step:
        raise SensitivityError(f"{sweep_dir}: the design has {npts} points, not a multiple of {step} (a {kind} "
                               f"design over {g} {'groups' if glist else 'factors'}); analyse with the groups the "
                               f"sweep was run with")
    n_blocks = npts // step
    unit_cols = [f"unit:{f}" for f in factors]
    if not all(c in design.columns for c in unit_cols):
        raise SensitivityError(f"{sweep_dir}: design.parquet lacks the unit-cube sample")
    U = design.sort_values("point")[unit_cols].to_numpy(float)
    problem = {"num_vars": k, "names": factors, "bounds": [[0.0, 1.0]] * k}
    if glist:
        problem["groups"] = glist
    _check_layout(U.reshape(n_blocks, step, k), glist or factors, params, kind, sweep_dir)

    # runs: (point, replication) -> value; missing runs count as NaN
    inside = df[(df["point"] < npts) & (df["replication"] < reps)]
    pts, rps = inside["point"].to_numpy(int), inside["replication"].to_numpy(int)
    status = np.full((npts, reps), "missing", dtype=object)
    status[pts, rps] = inside["status"].to_numpy(object)
    errors = np.full((npts, reps), None, dtype=object)
    errors[pts, rps] = inside["error"].to_numpy(object)

    probe = _probe_variances(sweep_dir, outputs) if reps == 1 else {}

    rows: list[dict[str, Any]] = []
    conv_rows: list[dict[str, Any]] = []
    reports: list[OutputReport] = []
    nan_frames: list[pd.DataFrame] = []
    seeds: dict[str, int] = {}
    for out in outputs:
        Yr = np.full((npts, reps), np.nan)
        Yr[pts, rps] = inside[out].to_numpy(float)
        rep = OutputReport(out, "ok", n_blocks)
        bad = ~np.isfinite(Yr)
        if bad.any():
            bp, br = np.nonzero(bad)
            nan_frames.append(pd.DataFrame({"output": out, "point": bp, "replication": br,
                                            "status": status[bp, br], "error": errors[bp, br]}))
            rep.nan_runs = int(bad.sum())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ybar = np.nanmean(Yr, axis=1) if opts.exclude_nan else Yr.mean(axis=1)
        if rep.nan_runs and not opts.exclude_nan:
            rep.status = "nan"
            rep.message = (f"{rep.nan_runs} run(s) gave NaN (or failed, or are missing) at {len(set(bp))} design "
                           f"point(s), e.g. point {bp[0]} replication {br[0]} ({status[bp[0], br[0]]}); not "
                           f"analysed. Rerun with --exclude-nan to drop the affected "
                           f"{'blocks' if kind == 'sobol' else 'trajectories'} (or fix the runs: see nan_runs.csv)")
            reports.append(rep)
            continue
        Yb = ybar.reshape(n_blocks, step)
        Ub = U.reshape(n_blocks, step, k)
        keep = np.isfinite(Yb).all(axis=1)
        Yb, Ub = Yb[keep], Ub[keep]
        rep.n_used = int(keep.sum())
        if rep.nan_runs:
            rep.notes.append(f"{rep.nan_runs} NaN run(s) excluded (--exclude-nan): {n_blocks - rep.n_used} of "
                             f"{n_blocks} {'blocks' if kind == 'sobol' else 'trajectories'} dropped")
        need = MIN_SOBOL_N if kind == "sobol" else MIN_MORRIS_R
        if rep.n_used < need:
            rep.status = "too_few"
            rep.message = (f"only {rep.n_used} complete {'blocks' if kind == 'sobol' else 'trajectories'} left "
                           f"after excluding NaN runs (need {need}); not analysed")
            reports.append(rep)
            continue
        y = Yb.ravel()
        rep.mean, rep.sd = float(np.mean(y)), float(np.std(y))
        if _is_constant(y):
            rep.status = "constant"
            rep.message = (f"constant: every run gives {y[0]:.6g}, so there is no variance to apportion; no "
                           f"indices (the parameters in this design do not move this output)")
            reports.append(rep)
            continue
        rep.skew = float(pd.Series(y).skew())
        if abs(rep.skew) > 1:
            rep.notes.append(f"skewed output (skewness {rep.skew:.1f}): variance-based indices describe the "
                             f"variance only; compare with the moment-independent second opinion")
        noise = float("nan")
        if reps > 1:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                within = np.nanvar(Yr, axis=1, ddof=1)
                nrep = np.isfinite(Yr).sum(axis=1)
            ok = nrep >= 2
            if ok.any():
                noise = float(np.nanmean(within[ok] / nrep[ok]))
                rep.noise_source = f"replications ({reps} per point)"
        elif out in probe:
            noise, rep.noise_source = probe[out]
        if np.isfinite(noise) and np.var(y) > 0:
            rep.noise_share = noise / float(np.var(y))
            if kind == "morris":
                p = int(dopts.get("num_levels", 4))
                rep.mu_star_floor = 2 * math.sqrt(noise) / math.sqrt(math.pi) / (p / (2 * (p - 1)))
            if rep.noise_share > 0.1 and m.get("seed_mode") == "block":
                rep.notes.append(f"replication noise is {rep.noise_share:.0%} of the variance of the point "
                                 f"values ({rep.noise_source}); seeds shared within each block cancel it in ST "
                                 f"only while runs with the same seed stay in step (agent-based runs drift "
                                 f"apart once a parameter changes a decision), and every index is a share of "
                                 f"a variance that includes it")
            elif rep.noise_share > 0.1:
                rep.notes.append(f"replication noise is {rep.noise_share:.0%} of the variance of the point "
                                 f"values ({rep.noise_source}); every ST carries about that much of it (add "
                                 f"replications, or set seeds = \"block\" in the spec)")
        sd = analysis_seed(base_seed, out, kind)
        seeds[f"{out}/{kind}"] = sd
        full: list[dict[str, Any]] = []
        conv: list[dict[str, Any]] = []
        for frac in FRACTIONS:
            nb = int(rep.n_used * frac) if frac < 1 else rep.n_used
            if nb < MIN_CONVERGENCE_BLOCKS or (frac < 1 and _is_constant(Yb[:nb].ravel())):
                continue
            if kind == "sobol":
                r = _sobol(problem, Yb[:nb].ravel(), second, opts, sd, out, params, nb)
            else:
                r = _morris(problem, Ub[:nb].reshape(-1, k), Yb[:nb].ravel(), int(dopts.get("num_levels", 4)), opts,
                            sd, out, params, nb)
            conv += [x for x in r if x["index"] in ("S1", "ST", "mu_star")]
            if frac == 1:
                full = r
        rows += full
        conv_rows += conv
        fdf, cdf = pd.DataFrame(full), pd.DataFrame(conv)
        if kind == "sobol":
            _sobol_verdict(rep, fdf, cdf, opts)
        else:
            _morris_verdict(rep, fdf, cdf, opts)
            if glist and any(glist.count(x) > 1 for x in params):
                rep.notes.append("sigma is NaN for groups of two or more factors (SALib's grouped Morris, by "
                                 "design: the elementary effect of a group has no sign to spread)")
        # second opinion on independent rows: A and B of each Saltelli block, every row of a Morris design
        if opts.second_opinion != "none":
            if kind == "sobol":
                X2 = np.concatenate([Ub[:, 0, :], Ub[:, -1, :]])
                Y2 = np.concatenate([Yb[:, 0], Yb[:, -1]])
            else:
                X2, Y2 = Ub.reshape(-1, k), Yb.ravel()
            if len(Y2) < MIN_SECOND_OPINION_ROWS or _is_constant(Y2):
                rep.notes.append(f"no {opts.second_opinion} second opinion: {len(Y2)} rows (need "
                                 f"{MIN_SECOND_OPINION_ROWS}, not constant)")
            else:
                if opts.second_opinion in ("delta", "both"):
                    s = analysis_seed(base_seed, out, "delta")
                    seeds[f"{out}/delta"] = s
                    rows += _delta(X2, Y2, opts, s, out, factors)
                if opts.second_opinion in ("pawn", "both"):
                    s = analysis_seed(base_seed, out, "pawn")
                    seeds[f"{out}/pawn"] = s
                    rows += _pawn(X2, Y2, opts, s, out, factors)
        reports.append(rep)

    indices = pd.DataFrame(rows, columns=INDEX_COLUMNS)
    convergence = pd.DataFrame(conv_rows, columns=INDEX_COLUMNS)
    for t in (indices, convergence):
        t["n"] = t["n"].astype("int64")
    nan_runs = (pd.concat(nan_frames, ignore_index=True) if nan_frames else
                pd.DataFrame(columns=["output", "point", "replication", "status", "error"]))
    if len(nan_runs):
        seeds_tab = m.get("seeds")
        if seeds_tab:
            nan_runs["seed"] = [seeds_tab[p][r] for p, r in zip(nan_runs["point"], nan_runs["replication"],
                                                                strict=True)]
    return SensitivityResult(
        name=str(m.get("name", sweep_dir.name)), design=kind, parameters=params, factors=factors,
        groups=opts.groups, n_base=n_blocks, replications=reps, calc_second_order=second, indices=indices,
        convergence=convergence, outputs=reports, nan_runs=nan_runs, options=opts, seeds=seeds,
        seconds=time.perf_counter() - t0)


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

    where = Path(out) if out is not None else Path("results") / "sensitivity" / folder_name(spec.name)
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
    out = Path(out) if out is not None else Path("results") / "sensitivity" / folder_name(spec.name)
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


__all__ = ["CI_WIDE", "DESIGNS", "DRIFT", "DUMMY", "FRACTIONS", "INDEX_COLUMNS", "SECOND_OPINIONS", "Options",
           "OutputReport", "SensitivityError", "SensitivityResult", "SensitivityRun", "analyse", "analysis_seed",
           "check_inputs", "compare_analytic", "design_points", "group_list", "load_indices",
           "load_sensitivity_spec", "n_base", "parse_groups", "pawn_medians", "run_noise_probe", "read_manifest", "run_design", "run_sensitivity",
           "sensitivity_design", "write_results"]
