"""The parameter table: every scenario parameter with its unit, default, valid range, plausible range,
source, and which shipped sweep/sensitivity specs vary it. Generated from the schema, never by hand
(``aieco scenarios params --format markdown|csv`` writes ``docs/parameters.md``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd

from sim import REGIONS
from sim.scenario.schema import field_info, parameter_paths

SKIP = ("name", "description", "label", "seed", "roster")
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
    paths = [p for p in parameter_paths() if p not in SKIP]
    infos = {p: field_info(p) for p in paths}
    for path in paths:
        info = infos[path]
        desc = (info["description"] or "").split(" [")[0]
        plausible, source = _fmt(info["plausible"]), info["source"] or ""
        if path.rsplit(".", 1)[-1] in REGIONS and not _inside(info["default"], info["plausible"]):
            plausible, source = _not_this_region(path, info, infos)
        rows.append({"path": path, "unit": info["unit"] or "", "default": _fmt(info["default"]),
                     "valid_range": _fmt([info["ge"], info["le"]]) if info["ge"] is not None or info["le"] is not None
                     else "", "plausible_range": plausible, "source": source,
                     "description": desc, "varied_in": ", ".join(varied.get(path, []))})
    return pd.DataFrame(rows)


def _inside(value, interval) -> bool:  # noqa: ANN001
    """Whether a numeric default lies in a plausible ``[lo, hi]`` (True when either is not numeric)."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not interval:
        return True
    return interval[0] <= value <= interval[1]


def _not_this_region(path: str, info: dict, infos: dict[str, dict]) -> tuple[str, str]:
    """Plausible range and source of a per-region row whose default lies outside the plausible range the
    regions share: that range (and its source) describe the regions whose defaults lie in it, not this one."""
    head = path.rsplit(".", 1)[0]
    fits = [p.rsplit(".", 1)[1] for p, i in infos.items()
            if p.rsplit(".", 1)[0] == head and _inside(i["default"], i["plausible"])]
    where = f" ({', '.join(fits)}: {_fmt(info['plausible'])})" if fits else ""
    return "", (f"default {_fmt(info['default'])} lies outside the plausible range given for the other "
                f"regions{where}; see their rows for its source")


def to_markdown(table: pd.DataFrame) -> str:
    """The table as the Markdown page ``docs/parameters.md`` (with a header saying how it is generated)."""
    lines = ["# Parameters", "",
             "Generated from the scenario schema (`sim/scenario/schema/`) by `aieco scenarios params --format markdown "
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
