"""Random valid scenarios drawn from the schema itself, to test the model over its whole valid input space.

:func:`random_scenario` walks the pydantic models of :mod:`sim.scenario.schema` (every field of every section,
the per-region tables, the governments, their optional reaction rules and a few dated events) and draws
each value over the field's full valid range (its ``ge``/``le``): uniformly, or log-uniformly for a positive
range spanning more than three orders of magnitude, with each bound itself drawn now and then. Nothing
here lists parameters: a field added to the schema is drawn, a field removed is no longer drawn. Only the
model's size is capped (:data:`DEFAULT_CAPS`: developers, payoff sample and months), to keep runs short.

``scripts/random_draws.py`` runs many of them and counts runs that raise; ``tests/test_draws.py`` runs a
hundred (marked slow) and checks that every run has every time-series column.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim import REGIONS
from sim.scenario.schema import (
    GOV_FIELDS,
    OTHER_REGION_GOV_FIELDS,
    REGION_KEYED_GOV_FIELDS,
    START_RANGE,
    Government,
    Scenario,
    month_index,
    scenario_from_dict,
)

ROOT = Path(__file__).resolve().parents[2]
ROSTERS = (ROOT / "data" / "roster_2022-01.csv", ROOT / "data" / "roster_archetypes.csv")
"""Rosters a draw picks from (the data roster and the archetypes)."""

DEFAULT_CAPS: dict[str, float] = {"developers.n": 2000, "developers.payoff_sample": 2000, "months": 36}
"""Upper bounds below the valid range, by dotted path, that keep a draw's run short."""

SKIP = ("name", "description", "extends", "events_mode", "roster", "start", "events", "governments")
"""Scenario fields drawn apart (or not at all): labels, file references, the start month, events and the
governments (drawn per region below)."""

BOUND_PROB = 0.05
"""Probability of drawing exactly the lower (and, apart, the upper) bound of a range, and of drawing inside
the lowest (and, apart, the highest) EDGE of it."""
EDGE = 0.05
"""Width of the edge of a range drawn near a bound, as a share of the range (of its logarithm when
log-uniform)."""


def _bounds(f: FieldInfo | Any) -> tuple[float | None, float | None]:
    ge = le = None
    for m in getattr(f, "metadata", []):
        ge = getattr(m, "ge", ge)
        le = getattr(m, "le", le)
    return ge, le


def _number(rng: np.random.Generator, lo: float, hi: float, integer: bool) -> float | int:
    """A value in ``lo..hi``: a bound with probability BOUND_PROB each, near a bound (its EDGE) with
    probability BOUND_PROB each, else uniform, or log-uniform when the range is positive and spans more than three orders of magnitude (from 1 when ``lo`` is 0 and ``hi`` is
    above 1e3). Integers stay exact at the bounds (a seed up to 2**63 - 1)."""
    u = rng.random()
    if u < BOUND_PROB:
        return lo
    if u < 2 * BOUND_PROB:
        return hi
    floor = lo if lo > 0 else 1.0 if lo == 0 and hi > 1e3 else None
    log = floor is not None and hi > 1e3 * floor
    a, b = (np.log(floor), np.log(hi)) if log else (lo, hi)
    if u < 4 * BOUND_PROB:  # near a bound: the lowest or highest EDGE of the range
        edge = EDGE * (b - a)
        a, b = (a, a + edge) if u < 3 * BOUND_PROB else (b - edge, b)
    x = float(np.exp(rng.uniform(a, b))) if log else float(rng.uniform(a, b))
    if integer:
        return int(min(max(round(x), lo), hi))
    return float(min(max(x, lo), hi))


def _value(rng: np.random.Generator, ann: Any, f: FieldInfo | Any, path: str, caps: dict[str, float]) -> Any:
    """A random valid value for a field of type ``ann`` (bounds from ``f``) at dotted ``path``."""
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is typing.Annotated:
        return _value(rng, args[0], args[1], path, caps)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        options = [a for a in args if a is not type(None)]
        if type(None) in args and rng.random() < 0.5:
            return None
        return _value(rng, options[int(rng.integers(len(options)))], f, path, caps)
    if origin is Literal:
        return args[int(rng.integers(len(args)))]
    if origin is dict:  # per-region tables: every region gets a value of the table's value type
        key_type, value_type = args
        keys = typing.get_args(key_type) or REGIONS
        if value_type is str:  # a month by region (developers.api_price_cut_month): some regions, random months
            return {k: _random_month(rng, "2000-01", 12 * 101) for k in keys if rng.random() < 0.5}
        return {k: _value(rng, value_type, None, f"{path}.{k}", caps) for k in keys}
    if origin is list:
        (item,) = args
        choices = list(typing.get_args(item))
        return [c for c in choices if rng.random() < 0.3]
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return random_section(rng, ann, f"{path}.", caps)
    if ann is bool:
        return bool(rng.random() < 0.5)
    if ann is str and getattr(f, "json_schema_extra", None) and f.json_schema_extra.get("unit") == "YYYY-MM":
        return _random_month(rng, "2000-01", 12 * 101)  # a dated switch (projection_from, market_exit_from)
    if ann is str and path == "label":  # free text for readers: empty, plain, or with quotes and unicode
        return str(rng.choice(["", "Random scenario", 'A "quoted" label: 90% — ±2 months']))
    if ann in (int, float):
        lo, hi = _bounds(f)
        lo = -1e6 if lo is None else lo
        hi = min(1e6 if hi is None else hi, caps.get(path, hi if hi is not None else 1e6))
        if ann is int:
            return _number(rng, int(lo), int(hi), True)
        return _number(rng, float(lo), float(hi), False)
    raise TypeError(f"{path}: no random draw for type {ann!r}; teach sim.scenario.draws._value this type")


def random_section(rng: np.random.Generator, model: type[BaseModel], prefix: str = "",
                   caps: dict[str, float] | None = None, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Random valid values for every field of the pydantic ``model`` (dotted paths under ``prefix``)."""
    caps = DEFAULT_CAPS if caps is None else caps
    out = {}
    for name, f in model.model_fields.items():
        if name in skip:
            continue
        out[name] = _value(rng, f.annotation, f, f"{prefix}{name}", caps)
    if "region_shares" in out:  # must sum to 1: a Dirichlet draw, with a region left out now and then
        w = rng.dirichlet(np.ones(len(REGIONS)))
        if rng.random() < 0.2:
            w[int(rng.integers(len(REGIONS)))] = 0.0
            w /= w.sum()
        out["region_shares"] = {r: float(x) for r, x in zip(REGIONS, w, strict=True)}
    if "segments" in out:  # segment shares must sum to 1 too: Dirichlet, a segment left out now and then
        from sim.scenario.schema import SEGMENTS

        w = rng.dirichlet(np.ones(len(SEGMENTS)))
        if rng.random() < 0.2:
            w[int(rng.integers(len(SEGMENTS)))] = 0.0
            w /= w.sum()
        w[-1] = max(0.0, 1.0 - float(w[:-1].sum()))  # exact sum
        for k, x in zip(SEGMENTS, w, strict=True):
            out["segments"][k]["share"] = float(x)
    return out


def _without_own_region(region: str, gov: dict[str, Any]) -> dict[str, Any]:
    """``gov`` (a random Government section) with ``region`` taken out of the fields that name other regions."""
    for f in OTHER_REGION_GOV_FIELDS:
        v = gov.get(f)
        if isinstance(v, dict):
            gov[f] = {k: x for k, x in v.items() if k != region}
        elif isinstance(v, list):
            gov[f] = [x for x in v if x != region]
    return gov


def _random_month(rng: np.random.Generator, lo: str, n: int) -> str:
    """A month ``0..n-1`` months after ``lo`` (YYYY-MM)."""
    from sim.scenario.schema import _month_add

    return _month_add(lo, int(rng.integers(n)))


def random_events(rng: np.random.Generator, start: str, months: int, n: int,
                  caps: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """Up to ``n`` random dated policy events inside the horizon, in date order, each setting a random government
    field (or one region of a per-importer field) to a random valid value; never two on the same month and field."""
    caps = DEFAULT_CAPS if caps is None else caps
    events = []
    for _ in range(n):
        field = GOV_FIELDS[int(rng.integers(len(GOV_FIELDS)))]
        f = Government.model_fields[field]
        value = _value(rng, f.annotation, f, f"governments.US.{field}", caps)
        government = REGIONS[int(rng.integers(len(REGIONS)))]
        others = [r for r in REGIONS if r != government]  # policies on other regions never name the government's own
        if field in REGION_KEYED_GOV_FIELDS:
            region = others[int(rng.integers(len(others)))]
            field, value = f"{field}.{region}", value[region]
        elif field in OTHER_REGION_GOV_FIELDS:
            value = [r for r in value if r != government]
        events.append({"month": _random_month(rng, start, months), "government": government, "field": field,
                       "value": value})
    from sim.scenario.schema import events_clash

    events = sorted(events, key=lambda e: month_index(start, e["month"]))
    # two events on the same month and field are an error (the later would silently win): keep the first
    return [e for k, e in enumerate(events) if not any(events_clash(p, e) for p in events[:k])]


def random_scenario(rng: np.random.Generator, caps: dict[str, float] | None = None,
                    max_events: int = 4) -> Scenario:
    """A random valid scenario: every schema field drawn over its valid range (sizes capped by ``caps``),
    a roster from :data:`ROSTERS`, a start month in :data:`~sim.scenario.schema.START_RANGE`, random governments
    and up to ``max_events`` dated events. Raises ScenarioError if a draw is not valid (a draw this module
    must learn to make valid)."""
    caps = DEFAULT_CAPS if caps is None else caps
    data = random_section(rng, Scenario, "", caps, skip=SKIP)
    lo, hi = START_RANGE
    data["start"] = _random_month(rng, lo, month_index(lo, hi) + 1)
    data["roster"] = str(ROSTERS[int(rng.integers(len(ROSTERS)))])
    data["governments"] = {r: _without_own_region(r, random_section(rng, Government, f"governments.{r}.", caps))
                           for r in REGIONS}
    data["events"] = random_events(rng, data["start"], data["months"], int(rng.integers(max_events + 1)), caps)
    return scenario_from_dict(data, source="<random draw>")
