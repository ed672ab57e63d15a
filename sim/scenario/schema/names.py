"""A scenario's name: what it may be (it names an output folder) and the folder name made from it.
"""

from __future__ import annotations

import re
from typing import Any

NAME_MAX = 100
"""Longest scenario name (it becomes part of an output folder's name)."""


def name_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a scenario's ``name`` (which names its output folder), or None when it can: a
    name is a non-empty string of at most :data:`NAME_MAX` characters, without a path separator (``/``, ``\\``),
    ``..``, a leading dot or control characters, so that it never leaves ``results/`` or hides there."""
    if not isinstance(value, str):
        return f"expected a string, got {value!r}"
    allowed = ("allowed: a non-empty name without '/', '\\', '..', a leading dot or control characters, "
               f"at most {NAME_MAX} characters, e.g. \"baseline_strict\"")
    if not value.strip():
        return f"empty; {allowed}"
    if "/" in value or "\\" in value:
        return f"{value!r} contains a path separator; a name is not a path ({allowed})"
    if ".." in value or value.startswith("."):
        what = "contains '..'" if ".." in value else "starts with a dot"
        return f"{value!r} {what}; a name is not a path ({allowed})"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return f"{value!r} contains a control character ({allowed})"
    if len(value) > NAME_MAX:
        return f"{len(value)} characters long ({allowed})"
    return None


def folder_name(name: str) -> str:
    """``name`` (a valid scenario name, :func:`name_problem`) as a folder name that is safe on every platform:
    characters other than letters, digits and ``._=+-`` become ``-``; never empty, never starting with a dot."""
    safe = re.sub(r"[^A-Za-z0-9._=+-]+", "-", name).strip("-") or "unnamed"
    return ("_" + safe) if safe.startswith(".") else safe
