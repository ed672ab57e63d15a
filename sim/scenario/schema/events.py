"""Lists of dated events as files give them: date order, clashes (two events setting the same field in the same
month) and the note said when events fall after the horizon.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.scenario.schema.months import parse_month

EVENTS_MODES = ("merge", "replace")


def _event_key(ev: Any) -> int:
    """Sort key of a raw event: its month as an integer (malformed months sort last; validation names them)."""
    try:
        y, m = parse_month(ev["month"])
    except (TypeError, KeyError, ValueError):
        return 10**9
    return y * 12 + m


def _check_event_order(path: Path, events: list) -> list[str]:
    """Problems with the date order of one file's own events (each names the file and the event)."""
    out, prev = [], None
    for i, ev in enumerate(events):
        k = _event_key(ev)
        if k == 10**9:
            continue
        if prev is not None and k < prev[0]:
            out.append(f"{path}: field 'events[{i}].month': {ev['month']} is earlier than events[{prev[1]}].month "
                       f"{events[prev[1]]['month']}; list a file's events in date order")
        else:
            prev = (k, i)
    return out


def _event_target(ev: Any) -> tuple[Any, ...] | None:
    """(month, government, field head, region key) of a raw or validated event; None when malformed."""
    get = ev.get if isinstance(ev, dict) else (lambda k: getattr(ev, k, None))
    month, gov, fld = get("month"), get("government"), get("field")
    if not all(isinstance(x, str) for x in (month, gov, fld)):
        return None
    head, _, key = fld.partition(".")
    return month, gov, head, key


def events_clash(a: Any, b: Any) -> bool:
    """Whether events ``a`` and ``b`` (raw dicts or :class:`Event`) set the same government field in the same
    month (``export_control`` clashes with ``export_control.CN``): applied in order, the later would silently
    override the earlier."""
    ta, tb = _event_target(a), _event_target(b)
    if ta is None or tb is None or ta[:3] != tb[:3]:
        return False
    return ta[3] == tb[3] or not ta[3] or not tb[3]


def duplicate_events(events: list) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of events that set the same field in the same month (:func:`events_clash`), each
    later event paired with the first it clashes with."""
    out = []
    for j, b in enumerate(events):
        i = next((i for i in range(j) if events_clash(events[i], b)), None)
        if i is not None:
            out.append((i, j))
    return out


def _describe_event(ev: Any) -> str:
    t = _event_target(ev)
    return f"{t[1]}.{t[2]}{'.' + t[3] if t[3] else ''} in {t[0]}" if t else "?"


def horizon_note(source: str, months: int, after: list, whose: str = "") -> str:
    """The note said when dated events after a horizon of ``months`` months are dropped (``--months``, or
    ``months`` set in a file that extends a scenario with later events): how many, and the first."""
    first = after[0]
    get = first.get if isinstance(first, dict) else (lambda k: getattr(first, k))
    return (f"{source}: {len(after)} dated event(s) fall after the {months}-month horizon and never take "
            f"effect (first: {get('month')} {get('government')}.{get('field')}); dropped{whose}")
