"""Experimental designs: the design matrix of a sweep (one row per point, one column per factor).

- ``grid``: every combination of the factors' levels (the first factor varies slowest).
- ``lhs``: Latin hypercube, :class:`scipy.stats.qmc.LatinHypercube`.
- ``sobol``: Saltelli's extension of the Sobol' sequence, :func:`SALib.sample.sobol.sample`, with
  ``N * (2k + 2)`` points when second-order indices are wanted and ``N * (k + 2)`` otherwise.
- ``morris``: Morris trajectories, :func:`SALib.sample.morris.sample`, ``N * (k + 1)`` points.

Sampled designs draw in the unit cube; each factor maps its coordinate through the inverse CDF of its
distribution (uniform, loguniform, triangular or truncated normal), or picks one of its levels (or
scenarios) in equal strata. The unit sample is kept (``unit_sample``) so that SALib's analysers can be
applied to the same rows (see :func:`salib_problem`).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.sweep.spec import Factor, SpecError, SweepSpec, _gov_field, event_matches, plural
from sim.scenario.schema import Scenario, ScenarioError, month_index, with_values


def n_points(spec: SweepSpec) -> int:
    """Number of design points (rows of the design matrix)."""
    if spec.design == "grid":
        return math.prod(len(grid_levels(f)) for f in spec.factors)
    n = int(spec.samples or 0)
    if spec.design == "lhs":
        return n
    if spec.design == "sobol":
        return n * spec.block_size()
    if spec.design == "morris":
        return int(spec.design_options.get("optimal_trajectories") or n) * spec.block_size()
    raise SpecError(f"unknown design {spec.design!r}")


BYTES_PER_FACTOR_VALUE = 200
"""Driver memory per design value: the matrix and its unit sample (float64), the manifest's rows (Python
objects, then JSON text) and validation (measured: about 150 bytes)."""
BYTES_PER_RUN = 40
"""Driver memory per run: done and failed masks, the to-do index and the seed of each run."""


def design_bytes(spec: SweepSpec, replications: int | None = None) -> int:
    """Estimated driver memory (bytes) to plan a sweep of ``spec``: its design matrix, manifest and run
    bookkeeping (:data:`BYTES_PER_FACTOR_VALUE`, :data:`BYTES_PER_RUN`). Computed without building anything."""
    n = n_points(spec)
    return n * (len(spec.factors) + 1) * BYTES_PER_FACTOR_VALUE + n * (replications or spec.replications) * BYTES_PER_RUN


def memory_limit_bytes() -> int:
    """Half of this machine's physical memory (8 GB where it cannot be read): the most a sweep may plan for."""
    import os

    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")) // 2
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def check_design_size(spec: SweepSpec, replications: int | None = None, limit: int | None = None) -> None:
    """Raise SpecError, before anything is allocated, when planning the sweep would need more driver memory
    than ``limit`` bytes (default :func:`memory_limit_bytes`) by the estimate of :func:`design_bytes`."""
    need, limit = design_bytes(spec, replications), limit or memory_limit_bytes()
    if need > limit:
        n = n_points(spec)
        fit = max(1, int(n * limit / need))
        field = "factors" if spec.design == "grid" else "design.samples"
        raise SpecError(f"{spec.file}: field '{field}': the design has {n:,} points x "
                        f"{plural(replications or spec.replications, 'replication')}, whose plan alone needs about "
                        f"{need / 2**30:,.1f} GB of memory, more than the {limit / 2**30:.1f} GB allowed (half of "
                        f"this machine's); use at most about {fit:,} points, or split the sweep into several specs")


def grid_levels(f: Factor) -> list[Any]:
    """The levels a factor takes in a grid."""
    if f.kind in ("levels", "scenario"):
        return list(f.levels)
    assert f.n_levels is not None and f.low is not None and f.high is not None
    if f.distribution == "loguniform":
        vals = np.geomspace(f.low, f.high, f.n_levels)
    else:
        vals = np.linspace(f.low, f.high, f.n_levels)
    if f.integer:
        return list(dict.fromkeys(int(v) for v in np.rint(vals)))
    return [float(v) for v in vals]


def unit_sample(spec: SweepSpec) -> np.ndarray | None:
    """The design in the unit cube, shape (points, factors); None for a grid."""
    k = len(spec.factors)
    n = int(spec.samples or 0)
    seed = int(spec.design_seed)
    opts = spec.design_options
    if spec.design == "grid":
        return None
    if spec.design == "lhs":
        from scipy.stats import qmc  # imported here: a grid sweep's driver never needs scipy.stats

        sampler = qmc.LatinHypercube(d=k, scramble=opts.get("scramble", True), optimization=opts.get("optimization"),
                                     rng=np.random.default_rng(seed))
        return sampler.random(n)
    problem = {"num_vars": k, "names": [f.name for f in spec.factors], "bounds": [[0.0, 1.0]] * k}
    if spec.design == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, n, calc_second_order=opts.get("calc_second_order", True),
                            scramble=opts.get("scramble", True), seed=seed)
    if spec.design == "morris":
        from SALib.sample import morris

        return morris.sample(problem, n, num_levels=opts.get("num_levels", 4),
                             optimal_trajectories=opts.get("optimal_trajectories"), seed=seed)
    raise SpecError(f"unknown design {spec.design!r}")


def from_unit(f: Factor, u: np.ndarray) -> list[Any]:
    """Map unit-cube coordinates ``u`` of factor ``f`` to its values."""
    from scipy import stats

    u = np.asarray(u, dtype=float)
    if f.kind in ("levels", "scenario"):
        idx = np.minimum((u * len(f.levels)).astype(int), len(f.levels) - 1)
        return [f.levels[i] for i in idx]
    lo, hi = f.low, f.high
    if f.distribution == "uniform":
        x = lo + u * (hi - lo)
    elif f.distribution == "loguniform":
        x = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
    elif f.distribution == "triangular":
        x = stats.triang(c=(f.mode - lo) / (hi - lo), loc=lo, scale=hi - lo).ppf(u)
    elif f.distribution == "normal":
        a = -np.inf if lo is None else (lo - f.mean) / f.sd
        b = np.inf if hi is None else (hi - f.mean) / f.sd
        eps = 1e-9 if (lo is None or hi is None) else 0.0  # keep an unbounded tail finite at u = 0 or 1
        x = stats.truncnorm(a, b, loc=f.mean, scale=f.sd).ppf(np.clip(u, eps, 1 - eps))
    else:  # pragma: no cover - validated in spec
        raise SpecError(f"unknown distribution {f.distribution!r}")
    if lo is not None:
        x = np.maximum(x, lo)
    if hi is not None:
        x = np.minimum(x, hi)
    if f.integer:
        return [int(v) for v in np.rint(x)]
    return [float(v) for v in x]


def design_matrix(spec: SweepSpec) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The design: a DataFrame with a ``point`` column (0..n-1) and one column per factor (its values),
    and the unit sample behind it (None for a grid)."""
    names = spec.factor_names
    if spec.design == "grid":
        rows = list(itertools.product(*(grid_levels(f) for f in spec.factors)))
        cols = {n: [r[j] for r in rows] for j, n in enumerate(names)}
        u = None
    else:
        u = unit_sample(spec)
        cols = {n: from_unit(f, u[:, j]) for j, (n, f) in enumerate(zip(names, spec.factors, strict=True))}
    df = pd.DataFrame(cols)
    df.insert(0, "point", np.arange(len(df), dtype=np.int64))
    return df, u


def salib_problem(spec: SweepSpec) -> dict[str, Any]:
    """SALib problem dict of the design. Bounds are the factors' own ranges for uniform factors and the
    unit interval otherwise (levels, scenarios, other distributions): analyse those with ``unit_sample``."""
    bounds, dists = [], []
    for f in spec.factors:
        if f.kind == "continuous" and f.distribution == "uniform":
            bounds.append([f.low, f.high])
        else:
            bounds.append([0.0, 1.0])
        dists.append(f.distribution if f.kind == "continuous" else f.kind)
    return {"num_vars": len(spec.factors), "names": spec.factor_names, "bounds": bounds, "dists": dists}


def point_overrides(spec: SweepSpec, row: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """What a design point changes: (index of its base scenario, ``{path: value}`` for
    :func:`sim.scenario.schema.with_values`, including a rewritten ``events`` list when a factor drops the
    base's dated events on its field or takes effect at a month)."""
    base = 0
    sf = spec.scenario_factor()
    if sf is not None:
        base = list(sf.levels).index(row[sf.name])
    scenario = spec.bases[base]
    values: dict[str, Any] = {}
    drop: list[tuple[str, str]] = []
    add: list[dict[str, Any]] = []
    for f in spec.factors:
        if f.kind == "scenario":
            continue
        v = _plain(row[f.name])
        gf = _gov_field(f.path)
        if f.from_month is not None:
            drop.append(gf)
            add.append({"month": f.from_month, "government": gf[0], "field": gf[1], "value": v,
                        "note": f"sweep factor {f.name}"})
        else:
            values[f.path] = v
            if f.events == "drop":
                drop.append(gf)
    if drop or add:
        evs = [e.model_dump(mode="python") for e in scenario.events
               if not any(event_matches(e, g, fld) for g, fld in drop)]
        evs += add
        evs.sort(key=lambda e: month_index(scenario.start, e["month"]))  # stable: base order within a month
        values["events"] = evs
    return base, values


def _plain(v: Any) -> Any:
    """A numpy scalar as the Python number it holds (so messages show ``19``, not ``np.int64(19)``)."""
    return v.item() if isinstance(v, np.generic) else v


def build_scenario(bases: list[Scenario], base: int, values: dict[str, Any]) -> Scenario:
    """The scenario of one design point. Raises ScenarioError when a value is not allowed."""
    return with_values(bases[base], values, source="design point") if values else bases[base]


def validate_points(spec: SweepSpec, matrix: pd.DataFrame) -> list[tuple[int, dict[str, Any]]]:
    """``point_overrides`` of every point, each checked by building its scenario.

    Raises SpecError naming the spec file, the point and its factor values for the first invalid one."""
    out = []
    names = spec.factor_names
    for row in matrix[names].to_dict("records"):
        out.append(point_overrides(spec, row))
    seen: set[str] = set()
    for p, (base, values) in enumerate(out):
        key = repr((base, values))
        if key in seen:
            continue
        seen.add(key)
        try:
            build_scenario(spec.bases, base, values)
        except ScenarioError as e:
            vals = ", ".join(f"{n}={_plain(matrix[n].iat[p])!r}" for n in names)
            msg = str(e).replace("design point: ", "")
            raise SpecError(f"{spec.file}: design point {p} ({vals}) is not a valid scenario: {msg}") from None
    return out


__all__ = ["build_scenario", "design_matrix", "from_unit", "grid_levels", "n_points", "point_overrides",
           "salib_problem", "unit_sample", "validate_points"]
