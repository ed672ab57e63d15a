"""The dashboard's widgets, derived from the scenario schema: one :class:`Lever` per settable parameter.

Nothing here names a model parameter. Policy levers are the fields of every region's ``Government``
(:func:`policy_levers`); the main uncertain parameters are the other schema fields with a ``plausible``
range, the ranges sensitivity specs explore (:func:`uncertain_levers`). Units, valid ranges, plausible
ranges, defaults and help text come from :func:`sim.scenario.schema.field_info`, the metadata
``docs/parameters.md`` is generated from, so a parameter added to the schema gets a widget without UI
code. Values are checked by the schema itself (:func:`check_value`), whose message the widget shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sim import REGIONS
from sim.scenario.schema import (
    Scenario,
    ScenarioError,
    field_info,
    parameter_paths,
    with_values,
)

KINDS = ("float", "int", "bool", "regions", "optional_float")
"""Widget kinds: a number field, an integer field, a checkbox, a choice of regions, a number that may be
empty (none)."""


@dataclass(frozen=True)
class Lever:
    """One widget: the parameter at ``path`` (dotted, as ``--set`` takes it).

    group : panel title (e.g. "US government", "compute"). name : the path inside its group.
    kind : one of :data:`KINDS`. default : the schema default. lo, hi : valid range (None: unbounded).
    plausible : the plausible range (None when the schema gives none). unit, help : from the schema."""

    path: str
    group: str
    name: str
    kind: str
    default: Any
    lo: float | None
    hi: float | None
    plausible: tuple[float, float] | None
    unit: str
    help: str

    @property
    def label(self) -> str:
        """Field label: name and unit."""
        return f"{self.name} [{self.unit}]" if self.unit else self.name

    @property
    def range_text(self) -> str:
        """The valid and plausible ranges in words, e.g. ``"valid 0-1, plausible 0.05-0.5"``."""
        parts = []
        if self.lo is not None or self.hi is not None:
            parts.append(f"valid {_num(self.lo, '-inf')}-{_num(self.hi, 'inf')}")
        if self.plausible:
            parts.append(f"plausible {_num(self.plausible[0])}-{_num(self.plausible[1])}")
        return ", ".join(parts)


def _num(x: float | None, missing: str = "") -> str:
    return missing if x is None else f"{x:.6g}"


def _kind(info: dict[str, Any]) -> str:
    d = info["default"]
    if isinstance(d, bool):
        return "bool"
    if isinstance(d, int):
        return "int"
    if isinstance(d, float):
        return "float"
    if isinstance(d, list):
        return "regions"
    return "optional_float"


def _lever(path: str, group: str, name: str) -> Lever:
    info = field_info(path)
    help_text = (info["description"] or "").split(" [")[0]
    plausible = tuple(info["plausible"]) if info["plausible"] else None
    return Lever(path, group, name, _kind(info), info["default"], info["ge"], info["le"], plausible,
                 info["unit"] or "", help_text)


def policy_levers() -> list[Lever]:
    """Every Government field of every region (region-keyed fields once per importer other than the
    government's own region), grouped by government. Reaction rules are left to scenario files."""
    out = []
    for path in parameter_paths():
        parts = path.split(".")
        if parts[0] != "governments":  # parameter_paths leaves out a government's own region
            continue
        out.append(_lever(path, f"{parts[1]} government", ".".join(parts[2:])))
    return out


def uncertain_levers() -> list[Lever]:
    """The schema fields outside the governments that have a plausible range, grouped by section."""
    out = []
    for path in parameter_paths():
        parts = path.split(".")
        if parts[0] == "governments" or len(parts) < 2:
            continue
        info = field_info(path)
        if info["plausible"]:
            out.append(_lever(path, parts[0], ".".join(parts[1:])))
    return out


def get_value(scenario: Scenario, path: str) -> Any:
    """The value of ``path`` in ``scenario`` (a region-keyed field without that region: its default)."""
    node: Any = scenario.model_dump(mode="json")
    for p in path.split("."):
        if not isinstance(node, dict) or p not in node:
            return field_info(path)["default"]
        node = node[p]
    return node


def parse_text(lever: Lever, text: str) -> Any:
    """The value typed into a number field: a float or int, None for an empty optional field.

    Raises ValueError with a message for the widget when the text is not a number."""
    text = text.strip()
    if lever.kind == "optional_float" and text in ("", "none", "None"):
        return None
    try:
        return int(text) if lever.kind == "int" else float(text)
    except ValueError:
        what = "a whole number" if lever.kind == "int" else "a number"
        raise ValueError(f"'{text}' is not {what}" + (" (leave empty for none)" if lever.kind == "optional_float"
                                                         else "")) from None


_FIELD_MSG = re.compile(r"field '[^']*': (.*)$", re.S)


def check_value(scenario: Scenario, path: str, value: Any) -> str | None:
    """The schema's message when ``value`` is not allowed at ``path`` of ``scenario``, else None."""
    try:
        with_values(scenario, {path: value}, source="dashboard")
    except ScenarioError as e:
        first = str(e).splitlines()[0]
        m = _FIELD_MSG.search(first)
        return m.group(1) if m else first
    return None


def later_events(scenario: Scenario, path: str) -> list[str]:
    """Dated events of ``scenario`` that change a Government field later (``"2023-10: 0.8"``); empty for
    other paths. The widget sets the value from the start; these events still apply."""
    parts = path.split(".")
    if parts[0] != "governments" or parts[1] not in REGIONS:
        return []
    field = ".".join(parts[2:])
    return [f"{e.month}: {e.value}" for e in scenario.events if e.government == parts[1] and e.field == field]
