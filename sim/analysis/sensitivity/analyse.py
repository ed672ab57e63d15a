"""The analysis of a finished sobol/morris sweep (:func:`analyse`): per output, complete blocks, noise, indices
with their convergence, verdict and second opinion.

Part of :mod:`sim.analysis.sensitivity` (see its docstring for the pipeline).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import sim.analysis.sweep.store as store
from sim.analysis.sensitivity.indices import (
    _check_layout,
    _delta,
    _is_constant,
    _morris,
    _morris_verdict,
    _pawn,
    _probe_variances,
    _read_sweep,
    _sobol,
    _sobol_verdict,
    analysis_seed,
)
from sim.analysis.sensitivity.options import (
    DESIGNS,
    FRACTIONS,
    INDEX_COLUMNS,
    MIN_CONVERGENCE_BLOCKS,
    MIN_MORRIS_R,
    MIN_SECOND_OPINION_ROWS,
    MIN_SOBOL_N,
    SWEEP_DIR,
    Options,
    OutputReport,
    SensitivityError,
    SensitivityResult,
)
from sim.analysis.sweep.spec import block_size


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
    lay = _layout(sweep_dir, opts)
    probe = _probe_variances(sweep_dir, lay.outputs) if lay.reps == 1 else {}
    acc = _Accumulated()
    for out in lay.outputs:
        acc.reports.append(_analyse_output(lay, out, opts, probe, acc))
    return _result(lay, opts, acc, time.perf_counter() - t0)


@dataclass
class _Layout:
    """A sobol/morris sweep as the analysis reads it: its design (unit-cube sample ``U``, SALib ``problem``, blocks
    of ``step`` points) and its runs (``inside``: the rows within the design; ``status``/``errors`` by
    (point, replication), "missing" where no run was recorded)."""

    sweep_dir: Path
    manifest: dict[str, Any]
    kind: str
    factors: list[str]
    npts: int
    reps: int
    design_options: dict[str, Any]
    second: bool
    base_seed: int
    outputs: list[str]
    glist: list[str] | None
    params: list[str]
    step: int
    n_blocks: int
    U: np.ndarray
    problem: dict[str, Any]
    inside: pd.DataFrame
    status: np.ndarray
    errors: np.ndarray

    @property
    def k(self) -> int:
        return len(self.factors)

    @property
    def units(self) -> str:
        return "blocks" if self.kind == "sobol" else "trajectories"


@dataclass
class _Accumulated:
    """What the outputs' analyses add up to: index and convergence rows, reports, NaN runs, analysis seeds."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    conv_rows: list[dict[str, Any]] = field(default_factory=list)
    reports: list[OutputReport] = field(default_factory=list)
    nan_frames: list[pd.DataFrame] = field(default_factory=list)
    seeds: dict[str, int] = field(default_factory=dict)


def _layout(sweep_dir: Path, opts: Options) -> _Layout:
    """Step 1: read the sweep, check it is a sobol/morris design whose blocks fit the groups, and place its runs."""
    m, df, design = _read_sweep(sweep_dir)
    resolved = m.get("resolved", {})
    kind = m["design"]["kind"]
    if kind not in DESIGNS:
        raise SensitivityError(f"{sweep_dir}: a {kind} sweep cannot be analysed; sensitivity needs sobol or morris")
    factors: list[str] = list(m["design"]["factors"])
    npts, reps = int(m["design"]["n_points"]), int(m["replications"])
    dopts = resolved.get("design_options", {})
    second = bool(dopts.get("calc_second_order", True)) if kind == "sobol" else False
    metrics = list(m["metrics"])
    outputs = list(opts.outputs or metrics)
    for o in outputs:
        if o not in metrics:
            raise SensitivityError(f"output {o!r} is not in {sweep_dir} (it holds: {', '.join(metrics)})")
    glist = _group_of_each_factor(factors, opts.groups)
    params = list(dict.fromkeys(glist)) if glist else factors
    step = block_size(kind, len(params), second)
    if npts % step:
        raise SensitivityError(f"{sweep_dir}: the design has {npts} points, not a multiple of {step} (a {kind} "
                               f"design over {len(params)} {'groups' if glist else 'factors'}); analyse with the "
                               f"groups the sweep was run with")
    unit_cols = [f"unit:{f}" for f in factors]
    if not all(c in design.columns for c in unit_cols):
        raise SensitivityError(f"{sweep_dir}: design.parquet lacks the unit-cube sample")
    U = design.sort_values("point")[unit_cols].to_numpy(float)
    problem = {"num_vars": len(factors), "names": factors, "bounds": [[0.0, 1.0]] * len(factors)}
    if glist:
        problem["groups"] = glist
    _check_layout(U.reshape(npts // step, step, len(factors)), glist or factors, params, kind, sweep_dir)
    inside = df[(df["point"] < npts) & (df["replication"] < reps)]
    pts, rps = inside["point"].to_numpy(int), inside["replication"].to_numpy(int)
    status = np.full((npts, reps), "missing", dtype=object)
    status[pts, rps] = inside["status"].to_numpy(object)
    errors = np.full((npts, reps), None, dtype=object)
    errors[pts, rps] = inside["error"].to_numpy(object)
    return _Layout(sweep_dir, m, kind, factors, npts, reps, dopts, second,
                   int(m.get("base_seed") or resolved.get("seed") or 1), outputs, glist, params, step, npts // step,
                   U, problem, inside, status, errors)


def _group_of_each_factor(factors: list[str], groups: dict[str, list[str]] | None) -> list[str] | None:
    """The group of each factor (a factor outside every group is its own), or None without groups. Raises
    SensitivityError when a group names a factor the sweep lacks."""
    if not groups:
        return None
    of = {f: g for g, mem in groups.items() for f in mem}
    unknown = [f for f in of if f not in factors]
    if unknown:
        raise SensitivityError(f"groups name factors not in the sweep: {', '.join(unknown)}")
    return [of.get(f, f) for f in factors]


def _analyse_output(lay: _Layout, out: str, opts: Options, probe: dict[str, tuple[float, str]],
                    acc: _Accumulated) -> OutputReport:
    """Step 2, one output: its complete blocks, its status (NaN, too few, constant), noise, indices with their
    convergence, verdict and second opinion, added to ``acc``. Returns its report."""
    rep = OutputReport(out, "ok", lay.n_blocks)
    Yr = np.full((lay.npts, lay.reps), np.nan)
    Yr[lay.inside["point"].to_numpy(int), lay.inside["replication"].to_numpy(int)] = lay.inside[out].to_numpy(float)
    ybar = _point_means(lay, Yr, out, opts, rep, acc)
    if ybar is None:
        return rep
    Yb, Ub = ybar.reshape(lay.n_blocks, lay.step), lay.U.reshape(lay.n_blocks, lay.step, lay.k)
    keep = np.isfinite(Yb).all(axis=1)
    Yb, Ub = Yb[keep], Ub[keep]
    rep.n_used = int(keep.sum())
    if not _enough_varied_blocks(lay, rep, Yb.ravel()):
        return rep
    _note_noise(lay, rep, Yr, out, probe, float(np.var(Yb.ravel())))
    sd = analysis_seed(lay.base_seed, out, lay.kind)
    acc.seeds[f"{out}/{lay.kind}"] = sd
    full, conv = _indices_and_convergence(lay, Yb, Ub, opts, sd, out, rep.n_used)
    acc.rows += full
    acc.conv_rows += conv
    if lay.kind == "sobol":
        _sobol_verdict(rep, pd.DataFrame(full), pd.DataFrame(conv), opts)
    else:
        _morris_verdict(rep, pd.DataFrame(full), pd.DataFrame(conv), opts)
        if lay.glist and any(lay.glist.count(x) > 1 for x in lay.params):
            rep.notes.append("sigma is NaN for groups of two or more factors (SALib's grouped Morris, by "
                             "design: the elementary effect of a group has no sign to spread)")
    _second_opinion(lay, Yb, Ub, opts, out, rep, acc)
    return rep


def _point_means(lay: _Layout, Yr: np.ndarray, out: str, opts: Options, rep: OutputReport,
                 acc: _Accumulated) -> np.ndarray | None:
    """(n_points,) the output's mean over replications; its NaN runs recorded; None when NaN runs stop the
    analysis (without ``exclude_nan``: status "nan")."""
    bad = ~np.isfinite(Yr)
    if bad.any():
        bp, br = np.nonzero(bad)
        acc.nan_frames.append(pd.DataFrame({"output": out, "point": bp, "replication": br,
                                            "status": lay.status[bp, br], "error": lay.errors[bp, br]}))
        rep.nan_runs = int(bad.sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ybar = np.nanmean(Yr, axis=1) if opts.exclude_nan else Yr.mean(axis=1)
    if rep.nan_runs and not opts.exclude_nan:
        rep.status = "nan"
        rep.message = (f"{rep.nan_runs} run(s) gave NaN (or failed, or are missing) at {len(set(bp))} design "
                       f"point(s), e.g. point {bp[0]} replication {br[0]} ({lay.status[bp[0], br[0]]}); not "
                       f"analysed. Rerun with --exclude-nan to drop the affected {lay.units} (or fix the runs: "
                       f"see nan_runs.csv)")
        return None
    return ybar


def _enough_varied_blocks(lay: _Layout, rep: OutputReport, y: np.ndarray) -> bool:
    """Whether the output has enough complete blocks and varies; else its status (too_few, constant) says why.
    Sets the report's mean, sd and skewness (with a note when skewed)."""
    if rep.nan_runs:
        rep.notes.append(f"{rep.nan_runs} NaN run(s) excluded (--exclude-nan): {lay.n_blocks - rep.n_used} of "
                         f"{lay.n_blocks} {lay.units} dropped")
    need = MIN_SOBOL_N if lay.kind == "sobol" else MIN_MORRIS_R
    if rep.n_used < need:
        rep.status = "too_few"
        rep.message = (f"only {rep.n_used} complete {lay.units} left after excluding NaN runs (need {need}); "
                       f"not analysed")
        return False
    rep.mean, rep.sd = float(np.mean(y)), float(np.std(y))
    if _is_constant(y):
        rep.status = "constant"
        rep.message = (f"constant: every run gives {y[0]:.6g}, so there is no variance to apportion; no "
                       f"indices (the parameters in this design do not move this output)")
        return False
    rep.skew = float(pd.Series(y).skew())
    if abs(rep.skew) > 1:
        rep.notes.append(f"skewed output (skewness {rep.skew:.1f}): variance-based indices describe the "
                         f"variance only; compare with the moment-independent second opinion")
    return True


def _note_noise(lay: _Layout, rep: OutputReport, Yr: np.ndarray, out: str, probe: dict[str, tuple[float, str]],
                var_y: float) -> None:
    """The replication noise as a share of the output's variance (from the replications, else the noise probe),
    Morris's mu* floor, and a note when the noise is large."""
    noise = float("nan")
    if lay.reps > 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            within = np.nanvar(Yr, axis=1, ddof=1)
            nrep = np.isfinite(Yr).sum(axis=1)
        ok = nrep >= 2
        if ok.any():
            noise = float(np.nanmean(within[ok] / nrep[ok]))
            rep.noise_source = f"replications ({lay.reps} per point)"
    elif out in probe:
        noise, rep.noise_source = probe[out]
    if not (np.isfinite(noise) and var_y > 0):
        return
    rep.noise_share = noise / var_y
    if lay.kind == "morris":
        p = int(lay.design_options.get("num_levels", 4))
        rep.mu_star_floor = 2 * math.sqrt(noise) / math.sqrt(math.pi) / (p / (2 * (p - 1)))
    if rep.noise_share > 0.1 and lay.manifest.get("seed_mode") == "block":
        rep.notes.append(f"replication noise is {rep.noise_share:.0%} of the variance of the point "
                         f"values ({rep.noise_source}); seeds shared within each block cancel it in ST "
                         f"only while runs with the same seed stay in step (agent-based runs drift "
                         f"apart once a parameter changes a decision), and every index is a share of "
                         f"a variance that includes it")
    elif rep.noise_share > 0.1 and lay.kind == "morris":
        rep.notes.append(f"replication noise is {rep.noise_share:.0%} of the variance of the point "
                         f"values ({rep.noise_source}); noise alone gives mu* about {rep.mu_star_floor:.3g} (add "
                         f"replications, or set seeds = \"block\" in the spec)")
    elif rep.noise_share > 0.1:
        rep.notes.append(f"replication noise is {rep.noise_share:.0%} of the variance of the point "
                         f"values ({rep.noise_source}); every ST carries about that much of it (add "
                         f"replications, or set seeds = \"block\" in the spec)")


def _indices_and_convergence(lay: _Layout, Yb: np.ndarray, Ub: np.ndarray, opts: Options, sd: int, out: str,
                             n_used: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The indices on all complete blocks, and S1/ST (Sobol') or mu* (Morris) on the first 1/8, 1/4, 1/2 and all
    of them (the convergence check; smaller fractions with fewer than MIN_CONVERGENCE_BLOCKS blocks are skipped, the
    full sample never)."""
    full: list[dict[str, Any]] = []
    conv: list[dict[str, Any]] = []
    for frac in FRACTIONS:
        nb = int(n_used * frac) if frac < 1 else n_used
        if frac < 1 and (nb < MIN_CONVERGENCE_BLOCKS or _is_constant(Yb[:nb].ravel())):
            continue  # the full sample is always analysed (n_used already passed the design's minimum)
        if lay.kind == "sobol":
            r = _sobol(lay.problem, Yb[:nb].ravel(), lay.second, opts, sd, out, lay.params, nb)
        else:
            r = _morris(lay.problem, Ub[:nb].reshape(-1, lay.k), Yb[:nb].ravel(),
                        int(lay.design_options.get("num_levels", 4)), opts, sd, out, lay.params, nb)
        conv += [x for x in r if x["index"] in ("S1", "ST", "mu_star")]
        if frac == 1:
            full = r
    return full, conv


def _second_opinion(lay: _Layout, Yb: np.ndarray, Ub: np.ndarray, opts: Options, out: str, rep: OutputReport,
                    acc: _Accumulated) -> None:
    """The moment-independent second opinion (delta, PAWN) on independent rows: A and B of each Saltelli block,
    every row of a Morris design."""
    if opts.second_opinion == "none":
        return
    if lay.kind == "sobol":
        X2, Y2 = np.concatenate([Ub[:, 0, :], Ub[:, -1, :]]), np.concatenate([Yb[:, 0], Yb[:, -1]])
    else:
        X2, Y2 = Ub.reshape(-1, lay.k), Yb.ravel()
    if len(Y2) < MIN_SECOND_OPINION_ROWS or _is_constant(Y2):
        rep.notes.append(f"no {opts.second_opinion} second opinion: {len(Y2)} rows (need "
                         f"{MIN_SECOND_OPINION_ROWS}, not constant)")
        return
    for method, fn in (("delta", _delta), ("pawn", _pawn)):
        if opts.second_opinion in (method, "both"):
            s = analysis_seed(lay.base_seed, out, method)
            acc.seeds[f"{out}/{method}"] = s
            acc.rows += fn(X2, Y2, opts, s, out, lay.factors)


def _result(lay: _Layout, opts: Options, acc: _Accumulated, seconds: float) -> SensitivityResult:
    """Step 3: the tables (indices, convergence, NaN runs with their seeds) and the result."""
    indices = pd.DataFrame(acc.rows, columns=INDEX_COLUMNS)
    convergence = pd.DataFrame(acc.conv_rows, columns=INDEX_COLUMNS)
    for t in (indices, convergence):
        t["n"] = t["n"].astype("int64")
    nan_runs = (pd.concat(acc.nan_frames, ignore_index=True) if acc.nan_frames else
                pd.DataFrame(columns=["output", "point", "replication", "status", "error"]))
    seeds_tab = lay.manifest.get("seeds")
    if len(nan_runs) and seeds_tab:
        nan_runs["seed"] = [seeds_tab[p][r] for p, r in zip(nan_runs["point"], nan_runs["replication"], strict=True)]
    return SensitivityResult(
        name=str(lay.manifest.get("name", lay.sweep_dir.name)), design=lay.kind, parameters=lay.params,
        factors=lay.factors, groups=opts.groups, n_base=lay.n_blocks, replications=lay.reps,
        calc_second_order=lay.second, indices=indices, convergence=convergence, outputs=acc.reports,
        nan_runs=nan_runs, options=opts, seeds=acc.seeds, seconds=seconds)


