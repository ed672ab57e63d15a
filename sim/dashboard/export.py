"""Exporting what was set in the dashboard as a scenario file that ``aieco run`` accepts.

The file ``extends`` the scenario the user started from and holds only the differences: the changed
leaves of the resolved scenario (tables merge key by key on load), and, when the dated events differ
(dropped, or cut by a shorter horizon), ``events_mode = "replace"`` with the full event list. Loading the
file gives back the edited scenario (:func:`scenario_toml` checks this before returning).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import tomli_w

from sim.scenario.schema import Scenario, load_scenario

_NOT_COMPARED = ("roster", "extends", "events_mode", "events")


def differences(start: Scenario, edited: Scenario) -> dict[str, Any]:
    """The values of ``edited`` that differ from ``start``, as a nested dict of changed leaves (lists,
    such as ``api_block``, are leaves); ``events`` and ``events_mode`` when the dated events differ, and
    ``roster`` (absolute) when the roster file differs."""
    a, b = start.model_dump(mode="json"), edited.model_dump(mode="json")

    def diff(x: dict, y: dict) -> dict:
        out = {}
        for k, v in y.items():
            if isinstance(v, dict) and isinstance(x.get(k), dict):
                sub = diff(x[k], v)
                if sub:
                    out[k] = sub
            elif x.get(k) != v:
                if v is None:
                    raise ValueError(f"{k}: cannot unset a value in a scenario file that extends another "
                                     "(TOML has no 'none'); start from a scenario without it")
                out[k] = v
        return out

    out = diff({k: v for k, v in a.items() if k not in _NOT_COMPARED},
               {k: v for k, v in b.items() if k not in _NOT_COMPARED})
    if a["events"] != b["events"]:
        out["events_mode"] = "replace"
        out["events"] = [{k: v for k, v in ev.items() if v != ""} for ev in b["events"]]
    if start.roster_path() != edited.roster_path():
        out["roster"] = str(edited.roster_path())
    return out


def scenario_toml(start_file: str | Path, edited: Scenario, out_file: str | Path) -> str:
    """The text of a scenario file to be saved as ``out_file``: ``extends`` ``start_file`` (as a path
    relative to ``out_file``'s folder) and holds :func:`differences`.

    Raises ValueError when a value cannot be written (an optional field set back to none: TOML has no
    none) or when the text would not load back as ``edited``."""
    start_file, out_file = Path(start_file).resolve(), Path(out_file).resolve()
    start = load_scenario(start_file)
    body = differences(start, edited)
    head = {"extends": os.path.relpath(start_file, out_file.parent)}
    text = ("# Written by `aieco dashboard`: the changes to the scenario this file extends.\n"
            f"# Run it with: aieco run {out_file.name}\n" + tomli_w.dumps({**head, **body}))
    out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_file.with_name(f".{out_file.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        back = load_scenario(tmp)
    finally:
        tmp.unlink(missing_ok=True)
    if back.model_dump(mode="json") != edited.model_dump(mode="json"):
        raise ValueError("the exported scenario does not load back as the dashboard's scenario")
    return text


def write_scenario(start_file: str | Path, edited: Scenario, out_file: str | Path) -> Path:
    """Write :func:`scenario_toml` to ``out_file`` and return its path."""
    out = Path(out_file)
    out.write_text(scenario_toml(start_file, edited, out), encoding="utf-8")
    return out

