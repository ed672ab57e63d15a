"""Calibration specs (``experiments/calibration.toml``): the free parameters and their bounds, the distance's
settings and the optimiser; and the readers shared with the ABC specs (:func:`spec_value`,
:func:`read_spec_table`, :func:`parameter_range`). Part of :mod:`sim.analysis.calibration`.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.analysis.validation import (
    CALIBRATION_YEARS,
    HELDOUT_YEARS,
    P1_DEFINITIONS,
    P1_SHARE_TOL,
    P2_LAG_TOL_MONTHS,
)
from sim.scenario.schema import ScenarioError, field_info

METHODS = ("differential_evolution", "nelder-mead")


class CalibrationError(ValueError):
    """A bad calibration spec or option; the message names the file and the key."""


@dataclass
class Parameter:
    """A free parameter: dotted scenario ``path``, search ``bounds`` and the reason it is free (``why``)."""

    path: str
    lower: float
    upper: float
    why: str = ""


@dataclass
class DistanceSettings:
    """Scales and weights of :func:`distance` (see the module docstring)."""

    p1_definition: str = "incl_unreleased"
    share_scale: float = P1_SHARE_TOL
    lag_scale_months: float = P2_LAG_TOL_MONTHS
    growth_scale_log10: float = math.log10(1.5)
    weights: dict[str, float] = field(default_factory=lambda: {"P1": 1.0, "P2": 1.0, "P3": 1.0})


@dataclass
class CalibrationSpec:
    """A parsed calibration spec (paths resolved relative to the spec file)."""

    source: Path
    scenario: Path
    output: Path
    out_dir: Path
    targets: Path | None
    parameters: list[Parameter]
    replications: int = 12
    seed: int | None = None
    months: int = 48
    developers_n: int | None = None
    check_replications: int = 40
    check_developers_n: int | None = None
    calibration_years: tuple[int, ...] = CALIBRATION_YEARS
    heldout_years: tuple[int, ...] = HELDOUT_YEARS
    distance: DistanceSettings = field(default_factory=DistanceSettings)
    method: str = "differential_evolution"
    maxiter: int = 10
    popsize: int = 5
    optimizer_seed: int = 1
    workers: int = 1
    sets: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# spec


def spec_value(d: dict, key: str, typ: type | tuple, src: str, default: Any = None, required: bool = False,
               error: type[Exception] = CalibrationError) -> Any:
    """``d[key]`` checked to be of type ``typ`` (an int is accepted, as a float, where a float is asked; a bool
    only where a bool is); ``default`` when absent. Raises ``error`` naming ``src`` and the key when a required key
    is missing or the type is wrong. Shared by the spec readers of :mod:`sim.analysis.calibration` and :mod:`sim.analysis.abcsmc`."""
    if key not in d:
        if required:
            raise error(f"{src}: missing key '{key}'")
        return default
    v = d[key]
    if typ is float and isinstance(v, int) and not isinstance(v, bool):
        v = float(v)
    if not isinstance(v, typ) or isinstance(v, bool) and typ is not bool:
        tname = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
        raise error(f"{src}: key '{key}': expected {tname}, got {v!r}")
    return v


def read_spec_table(path: Path, top_keys: set[str], error: type[Exception], what: str) -> dict:
    """The TOML table of a spec file; ``error`` naming the file for a missing file (``what`` not found), invalid
    TOML or a top-level key not in ``top_keys``. Shared by the calibration and ABC spec readers."""
    if not path.is_file():
        raise error(f"{path}: {what} not found")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise error(f"{path}: not valid TOML: {e}") from None
    unknown = sorted(set(data) - top_keys)
    if unknown:
        raise error(f"{path}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(top_keys))}")
    return data


def parameter_range(item: Any, where: str, key: str, allowed: set[str], error: type[Exception],
                    default_plausible: bool = False) -> tuple[str, float, float, dict[str, Any]]:
    """A ``[[parameters]]`` table's (path, lower, upper, field info): a known scenario path, ``key = [lower,
    upper]`` numbers with lower < upper within the parameter's valid range (with ``default_plausible``, its
    plausible range when ``key`` is absent). Raises ``error`` naming ``where`` and the key."""
    if not isinstance(item, dict):
        raise error(f"{where}: expected a table with path, {key}{' (optional)' if default_plausible else ''}, why")
    extra = set(item) - allowed
    if extra:
        raise error(f"{where}: unknown key(s) {', '.join(sorted(extra))}; allowed: path, {key}, why")
    ppath = spec_value(item, "path", str, where, required=True, error=error)
    try:
        info = field_info(ppath)
    except ScenarioError as e:
        raise error(f"{where}: key 'path': {e}") from None
    bounds = spec_value(item, key, list, where, info["plausible"] if default_plausible else None,
                        required=not default_plausible, error=error)
    if bounds is None:
        raise error(f"{where}: {ppath} has no plausible range in sim/scenario/schema/; give {key} = [lower, upper]")
    if len(bounds) != 2 or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds):
        raise error(f"{where}: key '{key}': expected [lower, upper] numbers, got {bounds!r}")
    lo, hi = float(bounds[0]), float(bounds[1])
    if not lo < hi:
        raise error(f"{where}: key '{key}': lower {lo} must be below upper {hi}")
    if (info["ge"] is not None and lo < info["ge"]) or (info["le"] is not None and hi > info["le"]):
        raise error(f"{where}: key '{key}': [{lo}, {hi}] leaves the valid range of {ppath} "
                    f"[{info['ge']}, {info['le']}]")
    return ppath, lo, hi, info



_TOP_KEYS = {"scenario", "output", "out_dir", "targets", "replications", "seed", "months", "developers_n",
             "check_replications", "check_developers_n", "calibration_years", "heldout_years", "distance",
             "optimizer", "parameters", "set", "description"}


def load_spec(path: str | Path) -> CalibrationSpec:
    """Read and check a calibration spec TOML (keys in ``experiments/calibration.toml``).

    Relative paths are resolved against the spec's folder. Raises :class:`CalibrationError` naming the file
    and key for a missing file, invalid TOML, unknown key, wrong type, unknown parameter path or bounds outside
    the parameter's valid range."""
    path = Path(path)
    data = read_spec_table(path, _TOP_KEYS, CalibrationError, "calibration spec")
    src, base = str(path), path.resolve().parent

    def p(key: str, default: str | None = None, required: bool = False) -> Path | None:
        v = spec_value(data, key, str, src, default, required)
        return None if v is None else (base / v).resolve()

    params = _parameters(data, src)
    ds = _distance_settings(data, src)
    opt = spec_value(data, "optimizer", dict, src, {})
    w_opt = f"{src}: [optimizer]"
    oextra = set(opt) - {"method", "maxiter", "popsize", "seed", "workers"}
    if oextra:
        raise CalibrationError(f"{w_opt}: unknown key(s) {', '.join(sorted(oextra))}")
    method = spec_value(opt, "method", str, w_opt, "differential_evolution")
    if method not in METHODS:
        raise CalibrationError(f"{w_opt} key 'method': expected one of {', '.join(METHODS)}, got {method!r}")
    sets = spec_value(data, "set", list, src, [])
    if not all(isinstance(s, str) for s in sets):
        raise CalibrationError(f"{src}: key 'set': expected a list of 'section.key=value' strings")
    return CalibrationSpec(
        source=path.resolve(), scenario=p("scenario", required=True), output=p("output", required=True),
        out_dir=p("out_dir", "../results/calibration"), targets=p("targets"), parameters=params,
        replications=_posint(data, "replications", src, 12), seed=spec_value(data, "seed", int, src, None),
        months=_posint(data, "months", src, 48), developers_n=_posint(data, "developers_n", src, None),
        check_replications=_posint(data, "check_replications", src, 40),
        check_developers_n=_posint(data, "check_developers_n", src, None),
        calibration_years=_years(data, src, "calibration_years", CALIBRATION_YEARS),
        heldout_years=_years(data, src, "heldout_years", HELDOUT_YEARS), distance=ds, method=method,
        maxiter=_posint(opt, "maxiter", w_opt, 10), popsize=_posint(opt, "popsize", w_opt, 5),
        optimizer_seed=spec_value(opt, "seed", int, w_opt, 1), workers=_posint(opt, "workers", w_opt, 1),
        sets=list(sets))


def _posint(d: dict, key: str, where: str, default: int | None) -> int | None:
    v = spec_value(d, key, int, where, default)
    if v is not None and v < 1:
        raise CalibrationError(f"{where}: key '{key}': must be >= 1, got {v}")
    return v


def _years(data: dict, src: str, key: str, default: tuple[int, ...]) -> tuple[int, ...]:
    v = spec_value(data, key, list, src, list(default))
    if not v or not all(isinstance(y, int) for y in v):
        raise CalibrationError(f"{src}: key '{key}': expected a list of years, got {v!r}")
    return tuple(v)


def _parameters(data: dict, src: str) -> list[Parameter]:
    """The ``[[parameters]]``: path and bounds within the valid range each (:func:`parameter_range`), none twice."""
    raw = spec_value(data, "parameters", list, src, required=True)
    if not raw:
        raise CalibrationError(f"{src}: key 'parameters': list at least one [[parameters]] table")
    params = []
    for i, item in enumerate(raw):
        where = f"{src}: parameters[{i}]"
        ppath, lo, hi, _ = parameter_range(item, where, "bounds", {"path", "bounds", "why"}, CalibrationError)
        params.append(Parameter(ppath, lo, hi, spec_value(item, "why", str, where, "")))
    if len({q.path for q in params}) != len(params):
        raise CalibrationError(f"{src}: key 'parameters': a path is listed twice")
    return params


def _distance_settings(data: dict, src: str) -> DistanceSettings:
    """``[distance]``: the P1 definition, the scales of the three parts and their weights."""
    dist_raw = spec_value(data, "distance", dict, src, {})
    where = f"{src}: [distance]"
    dextra = set(dist_raw) - {"p1_definition", "share_scale", "lag_scale_months", "growth_scale_log10", "weights"}
    if dextra:
        raise CalibrationError(f"{where}: unknown key(s) {', '.join(sorted(dextra))}")
    ds = DistanceSettings()
    ds.p1_definition = spec_value(dist_raw, "p1_definition", str, where, ds.p1_definition)
    if ds.p1_definition not in P1_DEFINITIONS:
        raise CalibrationError(f"{where} key 'p1_definition': expected one of {', '.join(P1_DEFINITIONS)}")
    for key in ("share_scale", "lag_scale_months", "growth_scale_log10"):
        v = spec_value(dist_raw, key, float, where, getattr(ds, key))
        if not v > 0:
            raise CalibrationError(f"{where} key '{key}': must be > 0, got {v}")
        setattr(ds, key, v)
    w = spec_value(dist_raw, "weights", dict, where, ds.weights)
    if set(w) - {"P1", "P2", "P3"} or any(not isinstance(x, int | float) or x < 0 for x in w.values()):
        raise CalibrationError(f"{where} key 'weights': expected {{P1 = w, P2 = w, P3 = w}} with w >= 0")
    ds.weights = {k: float(w.get(k, 0.0)) for k in ("P1", "P2", "P3")}
    return ds


