"""Loading a scenario: TOML files with ``extends`` and merged or replaced events, ``--set`` overrides, error
messages that name the file and the field, and copies of a scenario with other values or another horizon.
"""

from __future__ import annotations

import difflib
import re
import warnings
import tomllib
from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)

from sim.scenario.schema.errors import ScenarioError
from sim.scenario.schema.events import (
    EVENTS_MODES,
    _check_event_order,
    _describe_event,
    _event_key,
    duplicate_events,
    events_clash,
    horizon_note,
)
from sim.scenario.schema.governments import Event
from sim.scenario.schema.months import month_index
from sim.scenario.schema.names import name_problem
from sim.scenario.schema.paths import _all_paths
from sim.scenario.schema.scenario import Scenario
from sim.scenario.schema.sections import DECISIONS, unused_parameters


def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _read_file(path: Path, chain: tuple[Path, ...]) -> dict:
    """The TOML data of one scenario file. Raises ScenarioError naming the file, and the ``extends`` field of
    the file that named it (the end of ``chain``), for a missing file, invalid TOML or unreadable text."""
    where = f"{chain[-1]}: field 'extends': " if chain else ""
    if path in chain:
        cycle = " -> ".join(str(p) for p in (*chain, path))
        raise ScenarioError(f"{where}inheritance cycle: {cycle}")
    if not path.is_file():
        raise ScenarioError(f"{where}scenario file not found: {path}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{where}{path}: not valid TOML: {e}"
                            + (" (extends names a scenario file, a TOML file)" if chain else "")) from None
    except UnicodeDecodeError as e:
        raise ScenarioError(f"{where}{path}: not a UTF-8 text file (byte {e.start}: {e.reason}); a scenario is TOML "
                            "text") from None
    except OSError as e:
        raise ScenarioError(f"{where}{path}: cannot read the scenario file: {e.strerror or e}") from None


def _own_events(path: Path, data: dict, problems: list[str]) -> tuple[Any, list[tuple[str, int]]]:
    """This file's own ``[[events]]`` (None when it has none) and their origins; events out of date order or
    setting the same field in the same month are reported in ``problems`` (naming both) and put right (sorted;
    the earlier of a duplicate dropped) so that validation does not report them again."""
    own = data.get("events")
    if not isinstance(own, list):
        return own, []
    origins = [(str(path), i) for i in range(len(own))]
    order = _check_event_order(path, own)
    problems += order
    if order:  # reported above; sort so the whole-scenario check does not report it again
        pairs = sorted(zip(own, origins, strict=True), key=lambda p: _event_key(p[0]))
        own, origins = [p[0] for p in pairs], [p[1] for p in pairs]
    dups = duplicate_events(own)
    for i, j in dups:
        problems.append(f"{path}: field 'events[{origins[j][1]}]': sets {_describe_event(own[j])}, as "
                        f"events[{origins[i][1]}] does: two events for the same month and field (the later would "
                        "silently win); keep one")
    drop = {i for i, _ in dups}
    own = [e for k, e in enumerate(own) if k not in drop]
    origins = [o for k, o in enumerate(origins) if k not in drop]
    data["events"] = own
    return own, origins


def _drop_after_horizon(path: Path, merged: dict, data: dict, parent: Path, origins: list, notes: list[str]) -> list:
    """When this file sets ``months``, the parent's dated events after that horizon are dropped with a note (as
    ``--months`` drops them); returns the origins of the events kept."""
    months, events = data.get("months"), merged.get("events")
    start = merged.get("start", Scenario.model_fields["start"].default)
    if not isinstance(months, int) or isinstance(months, bool) or not isinstance(events, list):
        return origins
    try:
        late = [k for k, (ev, o) in enumerate(zip(events, origins, strict=True))
                if o[0] != str(path) and _event_key(ev) != 10**9 and month_index(start, ev["month"]) >= months]
    except ValueError:  # a malformed start: validation names it
        return origins
    if late:
        notes.append(horizon_note(str(path), months, [events[k] for k in late], whose=f" (they are {parent}'s)"))
        merged["events"] = [e for k, e in enumerate(events) if k not in late]
        origins = [o for k, o in enumerate(origins) if k not in late]
    return origins


def _resolve_file(path: Path, chain: tuple[Path, ...], problems: list[str],
                  notes: list[str] | None = None) -> tuple[dict, list[tuple[str, int]]]:
    """Read one scenario file and its ancestors. Returns (merged data, origin (file, index in that file) of
    each event); appends non-fatal problems (event order, duplicate events, events_mode, name) to ``problems``
    and what was done silently before (the parent's events after this file's ``months`` dropped) to ``notes``.

    Raises ScenarioError at once for a missing file, invalid TOML or an inheritance cycle."""
    notes = [] if notes is None else notes
    path = path.resolve()
    data = _read_file(path, chain)
    if "name" in data and name_problem(data["name"]):  # named here, in the file that sets it
        problems.append(f"{path}: field 'name': {name_problem(data.pop('name'))}")
    # a roster path is relative to the file that names it
    if isinstance(data.get("roster"), str):
        data["roster"] = str((path.parent / data["roster"]).resolve())
    mode = data.pop("events_mode", "merge")
    if mode not in EVENTS_MODES:
        problems.append(f"{path}: field 'events_mode': {mode!r} is not allowed; allowed: 'merge' (add this file's "
                        "events to its parent's, in date order) or 'replace' (this file's events replace its parent's)")
        mode = "merge"
    own, own_origins = _own_events(path, data, problems)
    parent = data.pop("extends", None)
    if parent is None:
        return data, own_origins
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: field 'extends': expected a file name (string), got {parent!r}")
    parent_path = (path.parent / parent).resolve()
    base, base_origins = _resolve_file(parent_path, (*chain, path), problems, notes)
    merged = _deep_merge(base, data)
    own_labs = data.get("labs") if isinstance(data.get("labs"), dict) else {}
    if "decision" in own_labs and isinstance(merged.get("labs"), dict):  # this file chooses its theory
        dropped = _reset_unused(merged["labs"], set(own_labs))
        if dropped:
            notes.append(f"{path}: labs.decision = {own_labs['decision']!r}: the inherited "
                         f"{', '.join('labs.' + n for n in dropped)} back to their defaults (the theory does not "
                         "use them)")
    if mode == "replace":  # this file's events replace the parent's: none when it has none
        merged["events"] = own if own is not None else []
        origins = own_origins
    elif own is None or not isinstance(base.get("events"), list) or not isinstance(own, list):
        origins = base_origins if own is None else own_origins
    else:
        # merge: a child's event on the month and field of a parent's replaces it (documented: the child's win);
        # then the parent's and the child's events in date order
        kept = [(e, o) for e, o in zip(base["events"], base_origins, strict=True)
                if not any(events_clash(e, c) for c in own)]
        pairs = sorted([*kept, *zip(own, own_origins, strict=True)], key=lambda p: _event_key(p[0]))
        merged["events"] = [p[0] for p in pairs]
        origins = [p[1] for p in pairs]
    return merged, _drop_after_horizon(path, merged, data, parent_path, origins, notes)


def _read_toml(path: Path, chain: tuple[Path, ...] = ()) -> dict:
    """The merged data of a scenario file and its ancestors (see :func:`_resolve_file`)."""
    problems: list[str] = []
    data, _ = _resolve_file(path, chain, problems)
    if problems:
        raise ScenarioError("\n".join(problems))
    return data


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse ``section.key=value`` (value in TOML syntax, bare words taken as strings).

    Returns (path parts, value). Raises ScenarioError for text without ``=``."""
    if "=" not in text:
        raise ScenarioError(f"--set {text!r}: expected section.key=value")
    key, _, raw = text.partition("=")
    key = key.strip()
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key.split("."), value


def _set_path(data: dict, parts: list[str], value: Any) -> None:
    d = data
    for p in parts[:-1]:
        if not isinstance(d.get(p), dict):
            d[p] = {}
        d = d[p]
    d[parts[-1]] = value


_EVENT_LOC = re.compile(r"^events[.\[](\d+)\]?")


def _event_source(loc: str, source: str, origins: list[tuple[str, int]] | None) -> tuple[str, str]:
    """Map an ``events.N...`` / ``events[N]...`` location in the merged event list to the file that holds
    that event and its index there. Returns (source to name, location in the same style)."""
    m = _EVENT_LOC.match(loc)
    if not m:
        return source, loc
    i, rest = int(m.group(1)), loc[m.end():].lstrip(".")
    fmt = "events[{}]" if loc.startswith("events[") else "events.{}"  # keep the caller's style
    if not origins or i >= len(origins):
        return source, loc
    file, k = origins[i]
    where = fmt.format(k) + (f".{rest}" if rest else "")
    own = Path(source.split(" (with --set")[0]).resolve() == Path(file)
    return (source if own else f"{file} (inherited by {source})"), where


REMOVED_PARAMETERS: dict[str, str] = {
    "market.funding_growth_per_year": ("removed with the fixed-growth capital pools (money and chips; CHANGELOG.md): investment is now an "
                                       "outcome, a function of each region's sales (market.investment_revenue_"
                                       "elasticity) and investors' expectations (docs/ODD.md 7.9), and "
                                       "compute is bounded by the world chip supply (chips.*; docs/ODD.md 7.2-7.3, "
                                       "7.9)"),
    "market.market_share_of_funding": ("removed (money and chips; CHANGELOG.md): the developer market is anchored on revenue data, "
                                       "market.market_usd_per_month at 2024-07"),
    "market.investment_expectation_elasticity": ("removed with investment on expectations (the investment issue; "
                                                 "CHANGELOG.md): investment now follows investors' adaptive "
                                                 "expectation of sales growth (market.investment_prior_growth_per_"
                                                 "year, market.expectation_adjustment_months, market.investment_"
                                                 "horizon_years, market.capability_surprise_response, "
                                                 "market.race_response; docs/ODD.md 7.9)"),
    "labs.distill_gap": ("removed with the free open-weight floor (distillation; CHANGELOG.md); distillation is now a submodel with "
                         "labs.distill_share_at_parity, labs.distill_compute_elasticity, labs.distill_delay_months and "
                         "labs.api_distill_efficiency (docs/ODD.md 7.6)"),
    "labs.open_capture": ("removed in Model 3 (revenue from tokens and prices; CHANGELOG.md): an open-weight lab earns "
                          "through complements, labs.complement_capture by lab type (data/lab_types.csv; docs/ODD.md "
                          "7.7), and the value of opening depends on its position (labs.follower_open_value)"),
    "labs.margin": ("removed in Model 3 (revenue from tokens and prices; CHANGELOG.md): a closed lab earns its tokens x "
                    "(price - serving cost), so its margin is 1 - 1/developers.api_markup (negative below cost; "
                    "docs/ODD.md 7.7)"),
}
"""Parameters that existed once: a scenario that still sets one is told what replaced it."""


def _format_errors(err: ValidationError, source: str, data: dict,
                   origins: list[tuple[str, int]] | None = None) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"] if x != "[key]")
        msg = e["msg"]
        if e["loc"] and e["loc"][-1] == "[key]":  # a bad key of a region-keyed table
            msg = f"not an allowed key here: {msg}"
        if loc.startswith("events."):
            src, loc = _event_source(loc, source, origins)
            msg = msg.removeprefix("Value error, ")
            if re.fullmatch(r"events\.\d+", loc):  # an Event-level check: name the part of the event it is about
                loc += ".value" if msg.startswith("value ") else ".field"
            got = repr(e.get("input"))
            lines.append(f"{src}: field '{loc}': {msg}" + (f" (got {got})" if len(got) <= 80 else ""))
            continue
        if e["type"] == "extra_forbidden" and loc in REMOVED_PARAMETERS:
            lines.append(f"{source}: field '{loc}': {REMOVED_PARAMETERS[loc]}")
            continue
        if e["type"] == "extra_forbidden":
            parent = ".".join(str(x) for x in e["loc"][:-1])
            candidates = _all_paths(Scenario)
            siblings = [p.rsplit(".", 1)[-1] for p in candidates if "." in p and p.rsplit(".", 1)[0] == parent] \
                if parent else [p for p in candidates if "." not in p]
            key = loc.rsplit(".", 1)[-1]
            close = difflib.get_close_matches(key, siblings, n=1, cutoff=0.6)  # within the section it is in
            elsewhere = [p for p in candidates if p.rsplit(".", 1)[-1] == key and p != loc]
            # the exact key in another section beats a near miss in this one
            hint = (f"; {key!r} belongs in {elsewhere[0].rsplit('.', 1)[0]!r} ({elsewhere[0]!r})" if elsewhere
                    else f"; did you mean {'.'.join([*([parent] if parent else []), close[0]])!r}?" if close else "")
            lines.append(f"{source}: field '{loc}': unknown key{hint} (allowed in '{parent or 'top level'}': "
                         f"{', '.join(sorted(set(siblings)))})")
            continue
        msg = msg.removeprefix("Value error, ")
        if not loc:  # a whole-scenario check; the message names the field
            if msg.startswith("events"):
                where, _, rest = msg.partition(":")
                src, where = _event_source(where, source, origins)
                lines.append(f"{src}: field '{where}':{rest}")
            else:
                lines.append(f"{source}: {msg}")
            continue
        got = repr(e.get("input"))
        lines.append(f"{source}: field '{loc}': {msg}" + (f" (got {got})" if len(got) <= 80 else ""))
    return "\n".join(lines)


def _reset_unused(labs: dict, given: set[str]) -> list[str]:
    """When ``labs`` (a scenario's ``labs`` table as a dict) has a ``decision`` of :data:`DECISIONS`: drop the
    values of the mechanisms that theory does not use (:func:`unused_parameters`) except the names in ``given`` (what
    the file, ``--set`` or caller states itself), so their defaults apply: a value inherited from another theory's
    point (the baseline's fitted ``strategic``) would have no effect, and warn. Returns the dropped names."""
    decision = labs.get("decision")
    if decision not in DECISIONS:
        return []
    dropped = [n for n in unused_parameters(decision) if n not in given and n in labs]
    for n in dropped:
        del labs[n]
    return dropped


def scenario_from_dict(data: dict, source: str = "<scenario>", overrides: list[str] | None = None,
                       base_dir: Path | None = None, event_origins: list[tuple[str, int]] | None = None,
                       problems: list[str] | None = None) -> Scenario:
    """Validate a plain dict (as read from TOML) plus ``--set`` overrides into a :class:`Scenario`.

    ``event_origins`` (file, index in that file) of each event lets messages name the file an inherited
    event comes from; ``problems`` are messages found while reading the files, reported with the rest.
    Raises ScenarioError naming ``source``, the field and what is allowed (all errors at once)."""
    data = _deep_merge({}, data)
    notes: list[str] = []
    for text in overrides or []:
        parts, value = parse_override(text)
        if parts[0] == "events":
            event_origins = None
        _set_path(data, parts, value)
        if parts == ["months"]:  # like --months: the dated events after the new horizon are dropped, with a note
            event_origins = _drop_late_events(data, event_origins, f"{source} (--set {text.strip()})", notes)
    set_labs = {p[1] for p in (parse_override(t)[0] for t in overrides or []) if len(p) == 2 and p[0] == "labs"}
    if "decision" in set_labs and isinstance(data.get("labs"), dict):  # --set labs.decision=T
        dropped = _reset_unused(data["labs"], set_labs)
        if dropped:
            notes.append(f"{source} (--set labs.decision={data['labs']['decision']}): "
                         f"{', '.join('labs.' + n for n in dropped)} back to their defaults (the theory does not "
                         "use them)")
    lines = list(problems or [])
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as e:
        lines.append(_format_errors(e, source if not overrides else f"{source} (with --set {', '.join(overrides)})",
                                    data, event_origins))
    if lines:
        raise ScenarioError("\n".join(lines)) from None
    sc._base_dir = base_dir
    sc._notes = notes
    return sc


def _drop_late_events(data: dict, origins: list | None, source: str, notes: list[str]) -> list | None:
    """Drop the events of ``data`` after its horizon (``months`` from ``start``), noting it in ``notes``; returns
    the origins of the events kept (None stays None). Leaves malformed data to validation."""
    months, events = data.get("months"), data.get("events")
    start = data.get("start", Scenario.model_fields["start"].default)
    if not isinstance(months, int) or isinstance(months, bool) or not isinstance(events, list):
        return origins
    try:
        late = {k for k, ev in enumerate(events)
                if isinstance(ev, dict) and _event_key(ev) != 10**9 and month_index(start, ev["month"]) >= months}
    except ValueError:
        return origins
    if late:
        notes.append(horizon_note(source, months, [events[k] for k in sorted(late)]))
        data["events"] = [e for k, e in enumerate(events) if k not in late]
        if origins is not None and len(origins) == len(events):
            origins = [o for k, o in enumerate(origins) if k not in late]
    return origins


def load_scenario(path: str | Path, overrides: list[str] | None = None) -> Scenario:
    """Load a scenario TOML file, resolving ``extends`` (relative to the file) and ``--set`` overrides.

    Parameters
    ----------
    path : scenario file.
    overrides : ``["section.key=value", ...]``, applied after inheritance, validated like the file.

    Raises
    ------
    ScenarioError : missing file, invalid TOML, inheritance cycle, unknown key, value out of range,
        wrong type, malformed date, unknown region, unknown government or instrument in an event, events
        out of date order in a file or outside the horizon, bad ``events_mode``. All problems are reported
        at once, each naming the file (the parent's for an inherited event) and the field.

    Inheritance: a child's values override its parent's (tables merge key by key); its ``[[events]]`` are
    added to the parent's in date order (``events_mode = "merge"``, the default) or replace them
    (``events_mode = "replace"``). ``--set`` overrides come last.
    """
    path = Path(path)
    problems: list[str] = []
    notes: list[str] = []
    data, origins = _resolve_file(path, (), problems, notes)
    sc = scenario_from_dict(data, str(path), overrides, base_dir=path.resolve().parent, event_origins=origins,
                            problems=problems)
    sc._notes = [*notes, *sc._notes]
    return sc


def scenario_notes(scenario: Scenario) -> list[str]:
    """What loading ``scenario`` did that its files do not say outright (events after a horizon dropped), one
    line each, for the command to print as notes."""
    return list(scenario._notes)


def with_values(scenario: Scenario, values: dict[str, Any], source: str = "<overrides>") -> Scenario:
    """A copy of ``scenario`` with dotted-path ``values`` set and the result validated. When ``values`` set
    ``labs.decision``, the parameters of the mechanisms that theory does not use go back to their defaults unless
    ``values`` sets them too. Warns only about the values set here (the scenario's other warnings were given when it
    was loaded).

    Raises ScenarioError naming ``source`` and the field when a value is not allowed."""
    data = scenario.model_dump(mode="python")
    data["roster"] = str(scenario.roster_path())
    data.pop("extends", None)
    for path, value in values.items():
        _set_path(data, path.split("."), value)
    if "labs.decision" in values:  # a theory set here: the mechanisms it does not use at their defaults
        _reset_unused(data["labs"], {p.split(".", 1)[1] for p in values if p.startswith("labs.")})
    try:
        with warnings.catch_warnings(record=True) as caught:  # the scenario's own were said when it was loaded
            warnings.simplefilter("always")
            out = Scenario.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(_format_errors(e, source, data)) from None
    for w in caught:  # say only what is about the values set here
        if any(f"{path} =" in str(w.message) for path in values):
            warnings.warn(w.message, w.category, stacklevel=2)
    out._base_dir = scenario._base_dir
    out._notes = list(scenario._notes)
    return out


def split_events(scenario: Scenario, start: str, months: int) -> tuple[list[Event], list[Event], list[Event]]:
    """``scenario``'s dated events before, inside and after the window of ``months`` months from ``start``
    (YYYY-MM), each list in the scenario's order. Raises ValueError for a malformed month."""
    before, inside, after = [], [], []
    for ev in scenario.events:
        k = month_index(start, ev.month)
        (before if k < 0 else after if k >= months else inside).append(ev)
    return before, inside, after


def with_horizon(scenario: Scenario, months: int) -> Scenario:
    """A copy of ``scenario`` run for ``months`` months; dated events after the new horizon are dropped
    (they would never take effect). Raises ScenarioError for a horizon outside 1..600."""
    before, inside, after = split_events(scenario, scenario.start, months)
    kept = [e.model_dump() for e in before + inside]
    out = with_values(scenario, {"months": months, "events": kept}, source="--months")
    out._notes = [*scenario._notes, *([horizon_note(f"--months {months}", months, after)] if after else [])]
    return out
