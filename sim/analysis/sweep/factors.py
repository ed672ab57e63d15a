"""Validating one ``[[factors]]`` entry of a spec against the scenario schema (:func:`_resolve_factor`): a
list of whole scenarios, a list of levels, or a continuous range with a distribution, and how it meets the base
scenario's dated events.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from sim.analysis.sweep.errors import SpecError
from sim.analysis.sweep.specfile import DISTRIBUTIONS, ROLES, FactorSpec
from sim.analysis.sweep.sweepspec import Factor
from sim.scenario.schema import (
    Scenario,
    ScenarioError,
    field_info,
    month_index,
)


def _g(x: float | None) -> str:
    return "unbounded" if x is None else f"{x:g}"


def _gov_field(path: str) -> tuple[str, str] | None:
    """``governments.US.export_control.CN`` -> ("US", "export_control.CN"); None for other paths."""
    parts = path.split(".")
    if parts[0] != "governments" or len(parts) < 3:
        return None
    return parts[1], ".".join(parts[2:])


def event_matches(ev: Any, gov: str, fld: str) -> bool:
    """Whether a dated event changes government ``gov``'s field ``fld`` (``export_control.CN`` is also
    changed by an event on the whole ``export_control`` table)."""
    return ev.government == gov and (ev.field == fld or (fld.startswith("export_control.") and ev.field == "export_control"))


_ROLE_ALIASES = {"levers": "lever", "policy": "lever", "policies": "lever", "decision": "lever",
                 "uncertainties": "uncertainty", "uncertain": "uncertainty", "parameter": "uncertainty",
                 "assumption": "uncertainty"}


def _role(kind: str, err: Callable[[str, str], SpecError]) -> str:
    """The role a factor's ``kind`` names (:data:`ROLES`); raises SpecError for another word."""
    k = kind.strip().lower()
    if k in ROLES:
        return k
    close = [_ROLE_ALIASES[k]] if k in _ROLE_ALIASES else difflib.get_close_matches(k, ROLES, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise err("kind", f"unknown kind {kind!r}{hint} (allowed: " + "; ".join(
        f"{r!r}, {d}" for r, d in ROLES.items()) + ")")


def _resolve_factor(fs: FactorSpec, i: int, src: str, design: str, bases: list[Scenario],
                    labels: list[str]) -> Factor:
    where = f"factors[{i}]"

    def err(key: str, msg: str) -> SpecError:
        return SpecError(f"{src}: field '{where}.{key}': {msg}" if key else f"{src}: field '{where}': {msg}")

    role = _role(fs.kind, err)
    if fs.scenarios is not None:
        return _scenario_factor(fs, labels, role, err)
    if fs.path is None:
        raise err("path", "required: the scenario field this factor sets (e.g. 'labs.beta'), or 'scenarios'")
    if fs.labels is not None:
        raise err("labels", "only a factor listing 'scenarios' takes labels")
    try:
        info = field_info(fs.path)
    except ScenarioError as e:
        raise err("path", str(e)) from None
    default = info["default"]
    integer = isinstance(default, int) and not isinstance(default, bool)
    gf = _gov_field(fs.path)
    _check_factor_events(fs, gf, bases, err)
    common = dict(name=fs.name or fs.path, path=fs.path, integer=integer, events=fs.events if gf else None,
                  from_month=fs.from_month, role=role)
    if fs.levels is not None:
        return _levels_factor(fs, info, integer, common, err)
    return _continuous_factor(fs, info, design, common, err)


def _valid_range(info: dict[str, Any]) -> str:
    """A field's valid range as text, ``[0, 1] (share)``, from its :func:`field_info`."""
    unit = f" ({info['unit']})" if info["unit"] else ""
    return f"[{_g(info['ge'])}, {_g(info['le'])}]{unit}"


def _scenario_factor(fs: FactorSpec, labels: list[str], role: str, err: Callable[[str, str], SpecError]) -> Factor:
    """A factor listing whole scenario files (its levels are their labels); it takes no other settings."""
    for key in ("path", "levels", "range", "n_levels", "mean", "sd", "mode", "events", "from_month"):
        if getattr(fs, key) is not None:
            raise err(key, "a factor listing 'scenarios' takes no other settings (only 'name', 'labels' and "
                           "'kind')")
    return Factor(name=fs.name or "scenario", kind="scenario", levels=tuple(labels), role=role)


def _check_factor_events(fs: FactorSpec, gf: tuple[str, str] | None, bases: list[Scenario],
                         err: Callable[[str, str], SpecError]) -> None:
    """Check how a factor meets the bases' dated events: ``events`` and ``from_month`` only on a government
    field (``gf``), not both, ``from_month`` within every base's horizon, and one of them given when a base's
    events change the field."""
    events, from_month = fs.events, fs.from_month
    if (events is not None or from_month is not None) and gf is None:
        raise err("events" if events is not None else "from_month",
                  "only a government field (governments.REGION.FIELD) can interact with dated events")
    if events is not None and from_month is not None:
        raise err("from_month", "give either 'events' or 'from_month', not both")
    if from_month is not None:
        for sc in bases:
            try:
                k = month_index(sc.start, from_month)
            except ValueError as e:
                raise err("from_month", str(e)) from None
            if not 0 <= k < sc.months:
                raise err("from_month", f"{from_month} is outside the scenario's horizon ({sc.start} + {sc.months} "
                                        f"months)")
    if gf is not None and events is None and from_month is None:
        months = sorted({ev.month for sc in bases for ev in sc.events if event_matches(ev, *gf)})
        if months:
            raise err("", f"the base scenario changes {fs.path} by dated events ({', '.join(months)}), which would "
                          f"override the factor's value; set events = \"drop\" (the value holds throughout), "
                          f"events = \"keep\" (it holds until the first event) or from_month = \"YYYY-MM\" (it takes "
                          f"effect then, replacing those events)")


def _levels_factor(fs: FactorSpec, info: dict[str, Any], integer: bool, common: dict[str, Any],
                   err: Callable[[str, str], SpecError]) -> Factor:
    """A factor with a list of levels: distinct, within the field's valid range, integers for an integer field."""
    ge, le = info["ge"], info["le"]
    for key in ("range", "n_levels", "mean", "sd", "mode"):
        if getattr(fs, key) is not None:
            raise err(key, "a factor with 'levels' takes no range or distribution settings")
    if fs.distribution != "uniform":
        raise err("distribution", "a factor with 'levels' takes its levels with equal weight; remove 'distribution'")
    if not fs.levels:
        raise err("levels", "list at least one level")
    for v in fs.levels:
        if isinstance(v, int | float) and not isinstance(v, bool) and (
                (ge is not None and v < ge) or (le is not None and v > le)):
            raise err("levels", f"{v!r} is outside the valid range of {fs.path}, {_valid_range(info)}")
        if integer and isinstance(v, float) and not float(v).is_integer():
            raise err("levels", f"{v!r}: {fs.path} is an integer")
    if len({repr(v) for v in fs.levels}) != len(fs.levels):
        raise err("levels", f"duplicate levels in {fs.levels}")
    return Factor(kind="levels", levels=tuple(fs.levels), **common)


def _continuous_factor(fs: FactorSpec, info: dict[str, Any], design: str, common: dict[str, Any],
                       err: Callable[[str, str], SpecError]) -> Factor:
    """A factor with a range and a distribution, on a numeric field."""
    default = info["default"]
    numeric = (info["ge"] is not None or info["le"] is not None
               or (isinstance(default, int | float) and not isinstance(default, bool)))
    if not numeric:
        raise err("path", f"{fs.path} is not numeric (default {default!r}); give it 'levels'")
    dist = _distribution(fs, err)
    lo, hi = _factor_range(fs, info, dist, err)
    extra = _distribution_parameters(fs, dist, lo, hi, err)
    if dist == "loguniform" and lo <= 0:
        raise err("range", f"a loguniform range must be positive, got [{lo}, {hi}]")
    if design == "grid":
        if fs.n_levels is None:
            raise err("n_levels", "a grid needs 'levels', or a range with 'n_levels' (evenly spaced levels)")
        if dist not in ("uniform", "loguniform"):
            raise err("distribution", "a grid spaces levels evenly over the range (uniform) or its logarithm "
                                      "(loguniform); other distributions need a sampled design (lhs, sobol, morris)")
    elif fs.n_levels is not None:
        raise err("n_levels", f"only a grid uses 'n_levels'; design {design!r} samples the range")
    return Factor(kind="continuous", low=lo, high=hi, distribution=dist, n_levels=fs.n_levels, **extra, **common)


def _distribution(fs: FactorSpec, err: Callable[[str, str], SpecError]) -> str:
    """The factor's distribution, lower-cased; raises for an unknown one (closest suggested)."""
    dist = fs.distribution.strip().lower()
    if dist not in DISTRIBUTIONS:
        close = difflib.get_close_matches(dist, DISTRIBUTIONS, n=1, cutoff=0.4)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise err("distribution", f"unknown distribution {fs.distribution!r}{hint} (allowed: {', '.join(DISTRIBUTIONS)})")
    return dist


def _factor_range(fs: FactorSpec, info: dict[str, Any], dist: str,
                  err: Callable[[str, str], SpecError]) -> tuple[float | None, float | None]:
    """(low, high) of a continuous factor: its ``range`` (or the field's plausible range) within the field's
    valid range; a normal factor without a range gets the valid range (None where unbounded)."""
    ge, le = info["ge"], info["le"]
    valid = _valid_range(info)
    rng = fs.range
    if rng == "plausible":
        if not info["plausible"]:
            raise err("range", f"{fs.path} has no plausible range in the schema; give range = [low, high] within {valid}")
        rng = [float(x) for x in info["plausible"]]
    if rng is None and dist != "normal":
        raise err("range", "required: [low, high], or \"plausible\" for the schema's plausible range"
                  + (f" {info['plausible']}" if info["plausible"] else "") + ", or 'levels'")
    if rng is None:
        return ge, le
    if len(rng) != 2:
        raise err("range", f"expected [low, high], got {rng}")
    lo, hi = float(rng[0]), float(rng[1])
    if not lo < hi:
        raise err("range", f"low must be below high, got [{lo}, {hi}]")
    if (ge is not None and lo < ge) or (le is not None and hi > le):
        raise err("range", f"[{_g(lo)}, {_g(hi)}] is outside the valid range of {fs.path}, {valid}")
    return lo, hi


def _distribution_parameters(fs: FactorSpec, dist: str, lo: float | None, hi: float | None,
                             err: Callable[[str, str], SpecError]) -> dict[str, Any]:
    """``mean`` and ``sd`` of a normal factor, ``mode`` of a triangular one; refused on other distributions."""
    extra: dict[str, Any] = {}
    if dist == "normal":
        if fs.mean is None or fs.sd is None:
            raise err("mean" if fs.mean is None else "sd", "a normal factor needs 'mean' and 'sd' (truncated to 'range', "
                                                           "or to the field's valid range)")
        if lo is not None and hi is not None and not lo <= fs.mean <= hi:
            raise err("mean", f"{fs.mean} is outside [{lo}, {hi}]")
        extra = {"mean": fs.mean, "sd": fs.sd}
    elif fs.mean is not None or fs.sd is not None:
        raise err("mean" if fs.mean is not None else "sd", "only a normal factor takes 'mean' and 'sd'")
    if dist == "triangular":
        if fs.mode is None or not lo <= fs.mode <= hi:
            raise err("mode", f"a triangular factor needs 'mode' within its range [{lo}, {hi}]")
        extra["mode"] = fs.mode
    elif fs.mode is not None:
        raise err("mode", "only a triangular factor takes 'mode'")
    return extra
