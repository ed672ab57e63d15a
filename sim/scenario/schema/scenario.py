"""The complete, validated scenario (:class:`Scenario`): the sections, the governments, the dated events and the
checks across them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from sim import REGIONS
from sim.scenario.schema.events import _describe_event, duplicate_events
from sim.scenario.schema.fields import P, Region, _Strict
from sim.scenario.schema.governments import OTHER_REGION_GOV_FIELDS, Event, Government, _default_governments
from sim.scenario.schema.months import START_RANGE, _month_add, month_index, parse_month
from sim.scenario.schema.names import name_problem
from sim.scenario.schema.sections import Chips, Compute, Developers, Labs, Market


class Scenario(_Strict):
    """A complete, validated scenario: everything one model run needs besides its seed."""

    name: str = Field("unnamed", description="Short name used in outputs.")
    description: str = Field("", description="What the scenario represents and the sources of its policy dates.")
    label: str = Field("", max_length=80,
                       description="A reader's name for the scenario in tables, figures and the dashboard, e.g. "
                                   "'Strict export controls from 2025' (empty: the name). Inherited through "
                                   "`extends` like every field: a file that changes its parent sets its own.")
    extends: str | None = Field(None, description="Parent scenario file, relative to this file (resolved on load).")
    events_mode: Literal["merge", "replace"] = Field(
        "merge", description="How this file's [[events]] combine with its parent's (resolved on load): 'merge' adds "
                             "them to the parent's, in date order (a child's event on the month and field of a "
                             "parent's replaces it); 'replace' drops the parent's events (without [[events]] of its "
                             "own: none). Two events of one file on the same month and field are an error.")
    start: str = P("2022-01", unit="YYYY-MM", source="docs/ODD.md §2",
                   description=f"First simulated month ({START_RANGE[0]} to {START_RANGE[1]}).")
    months: int = P(108, unit="months", ge=1, le=600, source="docs/ODD.md §2 (2022-01 to 2030-12)",
                    description="Number of monthly steps.")
    seed: int = P(20220101, unit="integer", ge=0, le=2**63 - 1, source="user choice",
                  description="Base seed; replications spawn independent seeds from it with numpy SeedSequence.")
    roster: str = P("../data/roster_2022-01.csv", unit="path", source="derived from Epoch AI 'Data on AI Models' "
                    "(CC BY 4.0) by `aieco data roster`", description="CSV of the labs at the start, relative to the "
                    "scenario file (columns name, region, training_compute_flop, strategy, open_bias).")
    projection_from: str = P("2026-01", unit="YYYY-MM", source="the end of the measured trends (Epoch chip sales and "
                             "lab revenues to 2025)", description="First month of the projected (slower) growth of chip "
                             "production, alternative chips and the developer market.")
    projection: bool = P(False, unit="flag", source="the investment issue (27): inputs dated after 2024-12 are not "
                         "used by the runs that check 2025", description="The scenario uses inputs dated after 2024-12 "
                         "(e.g. 2025 funds or guidance): `aieco validate` labels its 2025 rows 'in-sample "
                         "(projection)', not held out.")
    compute: Compute = Field(default_factory=Compute)
    labs: Labs = Field(default_factory=Labs)
    developers: Developers = Field(default_factory=Developers)
    market: Market = Field(default_factory=Market)
    chips: Chips = Field(default_factory=Chips)
    governments: dict[Region, Government] = Field(default_factory=_default_governments)
    events: list[Event] = Field(default_factory=list)

    _base_dir: Path | None = None
    _notes: list[str] = []

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v: Any) -> Any:
        """A name names an output folder: never a path (:func:`name_problem`)."""
        problem = name_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("start")
    @classmethod
    def _start(cls, v: str) -> str:
        parse_month(v)
        lo, hi = START_RANGE
        if month_index(lo, v) < 0 or month_index(v, hi) < 0:
            raise ValueError(f"{v} is outside the allowed range {lo} to {hi} (the model's chip, price and capability "
                             "dynamics are anchored on a roster of labs of the 2020s)")
        return v

    @field_validator("projection_from")
    @classmethod
    def _projection_from(cls, v: str) -> str:
        parse_month(v)
        return v

    @field_validator("governments", mode="before")
    @classmethod
    def _govs(cls, v: Any) -> Any:
        if isinstance(v, dict) and all(k in REGIONS for k in v):
            return {r: v.get(r, {}) for r in REGIONS}
        return v

    @model_validator(mode="after")
    def _events_in_horizon(self) -> Scenario:
        prev = None
        for i, ev in enumerate(self.events):
            k = month_index(self.start, ev.month)
            if k < 0 or k >= self.months:
                raise ValueError(f"events[{i}].month: {ev.month} is outside the horizon {self.start} + {self.months} "
                                 f"months (allowed: {self.start} to {_month_add(self.start, self.months - 1)})")
            if prev is not None and k < prev:
                raise ValueError(f"events[{i}].month: {ev.month} is earlier than the event before it; list events in "
                                 "date order")
            prev = k
        for i, j in duplicate_events(self.events):
            raise ValueError(f"events[{j}]: sets {_describe_event(self.events[j])}, as events[{i}] does: two events "
                             "for the same month and field (the later would silently win); keep one")
        return self

    @model_validator(mode="after")
    def _no_policy_on_own_region(self) -> Scenario:
        """A government's export controls, API blocks, bans of foreign open models and weight export controls
        name other regions: one that names its own region would be silently meaningless (its labs are not
        foreign to its developers, nor an importer of its own chips)."""
        def own(region: str, value: Any) -> bool:
            return region in (value if isinstance(value, dict | list | tuple) else ())

        for r, gov in self.governments.items():
            for f in OTHER_REGION_GOV_FIELDS:
                if own(r, getattr(gov, f)):
                    raise ValueError(f"governments.{r}.{f}: names {r}, the government's own region; these policies "
                                     f"apply to other regions only (allowed: {', '.join(x for x in REGIONS if x != r)})")
        for i, ev in enumerate(self.events):
            head, _, key = ev.field.partition(".")
            if head in OTHER_REGION_GOV_FIELDS and (key == ev.government or (not key and own(ev.government, ev.value))):
                raise ValueError(f"events[{i}]: {ev.government}.{ev.field} ({ev.month}) names {ev.government}, "
                                 "the government's own region; export controls, API blocks, bans of foreign open models "
                                 "and weight export controls apply to other regions only")
        return self

    # --- convenience ----------------------------------------------------------------------------
    @property
    def base_dir(self) -> Path:
        """Folder that relative paths (roster, extends) resolve against."""
        return self._base_dir or Path.cwd()

    @property
    def display_name(self) -> str:
        """The scenario's name for a reader: its ``label``, else its ``name``."""
        return self.label or self.name

    def roster_path(self) -> Path:
        p = Path(self.roster)
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    def resolved_dict(self) -> dict[str, Any]:
        """The scenario as plain data (JSON-safe), with the roster path made absolute."""
        d = self.model_dump(mode="json")
        d["roster"] = str(self.roster_path())
        d["extends"] = None
        d["events_mode"] = "merge"
        if not d.get("label"):
            d.pop("label", None)  # as before labels existed: records (and sweep fingerprints) of unlabelled scenarios
        return d
