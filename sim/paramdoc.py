"""The parameter table: every scenario parameter with its unit, default, valid range, plausible range,
source, and which shipped sweep/sensitivity specs vary it. Generated from the schema, never by hand
(``aieco scenarios params --format markdown|csv`` writes ``docs/parameters.md``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd

from sim.scenario import field_info, parameter_paths

SKIP = ("name", "description", "seed", "roster")
"""Paths that are identifiers or inputs rather than model parameters."""


def varied_by_specs(spec_dir: str | Path) -> dict[str, list[str]]:
    """{parameter path: [spec file names that vary it]} from the ``[[factors]]`` of ``spec_dir/*.toml``.

    Files that are not sweep specs (no ``factors`` list) are ignored."""
    out: dict[str, list[str]] = {}
    for f in sorted(Path(spec_dir).glob("*.toml")):
        try:
            data = tomllib.loads(f.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError:
            continue
        for fac in data.get("factors", []) if isinstance(data.get("factors"), list) else []:
            if isinstance(fac, dict) and isinstance(fac.get("path"), str):
                out.setdefault(fac["path"], []).append(f.name)
    return out


def _fmt(x) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        return f"{x:.6g}"
    if isinstance(x, list | tuple):
        return " - ".join(_fmt(v) for v in x)
    return str(x)


def parameter_table(spec_dir: str | Path | None = None) -> pd.DataFrame:
    """One row per parameter path: path, unit, default, valid_range, plausible_range, source, description,
    varied_in (comma-separated spec files). ``spec_dir`` defaults to no specs."""
    varied = varied_by_specs(spec_dir) if spec_dir else {}
    rows = []
    for path in parameter_paths():
        if path in SKIP:
            continue
        info = field_info(path)
        desc = (info["description"] or "").split(" [")[0]
        rows.append({"path": path, "unit": info["unit"] or "", "default": _fmt(info["default"]),
                     "valid_range": _fmt([info["ge"], info["le"]]) if info["ge"] is not None or info["le"] is not None
                     else "", "plausible_range": _fmt(info["plausible"]), "source": info["source"] or "",
                     "description": desc, "varied_in": ", ".join(varied.get(path, []))})
    return pd.DataFrame(rows)


def to_markdown(table: pd.DataFrame) -> str:
    """The table as the Markdown page ``docs/parameters.md`` (with a header saying how it is generated)."""
    lines = ["# Parameters", "",
             "Generated from the scenario schema (`sim/scenario.py`) by `aieco scenarios params --format markdown "
             "> docs/parameters.md`; do not edit by hand. A test fails when this file is out of date.", "",
             "Per-region parameters have one row per region. 'varied in' names the shipped specs in "
             "`experiments/` that vary the parameter.", "",
             "| path | unit | default | valid range | plausible range | source | description | varied in |",
             "|---|---|---|---|---|---|---|---|"]
    esc = lambda s: str(s).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    for r in table.itertuples(index=False):
        lines.append("| " + " | ".join(esc(getattr(r, c)) for c in
                                       ("path", "unit", "default", "valid_range", "plausible_range", "source",
                                        "description", "varied_in")) + " |")
    return "\n".join(lines) + "\n"
