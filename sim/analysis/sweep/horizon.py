"""What a spec's ``set`` of ``start`` or ``months`` does to a base scenario's dated events
(:func:`fit_events_to_horizon`).
"""

from __future__ import annotations

from typing import Any

from sim.analysis.sweep.errors import plural
from sim.scenario.schema import (
    Scenario,
    _month_add,
    apply_event_value,
    month_index,
    split_events,
)


def fit_events_to_horizon(scenario: Scenario, sets: dict[str, Any], replaced: frozenset[str] = frozenset(),
                          ) -> tuple[dict[str, Any], list[str]]:
    """What ``set`` values of ``start`` or ``months`` do to ``scenario``'s dated events, as ``aieco run
    --months`` does: events after the new horizon are dropped (they would never take effect); events before
    a later start are in force from the start (folded into the governments' starting values, which the
    other ``set`` values may then override). Nothing changes when ``sets`` gives ``events`` itself.

    ``replaced``: paths (``governments.US.export_control.CN``) whose events a factor removes anyway (its
    ``from_month`` or ``events = "drop"``); the notes leave those out.

    Returns ``({path: value}`` to apply before ``sets``, notes saying what was dropped or folded)."""
    if not {"start", "months"} & sets.keys() or any(k == "events" or k.startswith("events.") for k in sets):
        return {}, []
    start, months = sets.get("start", scenario.start), sets.get("months", scenario.months)
    try:
        month_index(start, start)
    except (TypeError, ValueError):
        return {}, []  # an invalid start: with_values reports it
    if not isinstance(months, int) or isinstance(months, bool) or months < 1:
        return {}, []
    before, kept, after = split_events(scenario, start, months)
    if not before and not after:
        return {}, []
    values: dict[str, Any] = {"events": [ev.model_dump(mode="python") for ev in kept]}
    govs = {}
    for ev in before:
        gov = govs.setdefault(ev.government, scenario.governments[ev.government].model_copy(deep=True))
        apply_event_value(gov, ev.field, ev.value)
    values.update({f"governments.{r}": g.model_dump(mode="python") for r, g in govs.items()})

    def listed(evs: list) -> str:
        return "; ".join(f"{ev.month} {ev.government} {ev.field} = {ev.value!r}" for ev in evs)

    after = [ev for ev in after if f"governments.{ev.government}.{ev.field}" not in replaced]
    before_noted = [ev for ev in before if f"governments.{ev.government}.{ev.field}" not in replaced]
    notes = []
    if after:
        notes.append(f"the horizon ends in {_month_add(start, months - 1)}; dropped "
                     f"{plural(len(after), 'dated event')} after it: {listed(after)}")
    if before_noted:
        notes.append(f"{plural(len(before_noted), 'dated event')} before the start {start} "
                     f"{'is' if len(before_noted) == 1 else 'are'} in force from it: {listed(before_noted)}")
    return values, notes
