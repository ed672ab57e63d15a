"""The schema's settable parameters by dotted path: every path (:func:`parameter_paths`) and what one allows
(:func:`field_info`).
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import (
    BaseModel,
)

from sim import REGIONS
from sim.scenario.schema.errors import ScenarioError
from sim.scenario.schema.fields import COMMERCIAL_LAB_TYPES
from sim.scenario.schema.governments import GOV_FIELDS, REGION_KEYED_GOV_FIELDS, Government
from sim.scenario.schema.scenario import Scenario
from sim.scenario.schema.sections import Segments


def _all_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, f in model.model_fields.items():
        ann = f.annotation
        path = f"{prefix}{name}"
        out.append(path)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += _all_paths(ann, path + ".")
    for r in REGIONS:
        if prefix == "":
            out += [f"governments.{r}.{g}" for g in GOV_FIELDS]
    return out


def parameter_paths() -> list[str]:
    """Every settable dotted path of the schema (e.g. ``compute.tau_alg_months``,
    ``governments.US.leakage``, ``developers.region_shares.CN``; ``governments.US.export_control.CN`` but not
    ``...US.export_control.US``: a government's policies on other regions never name its own)."""
    out: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, f in model.model_fields.items():
            ann = f.annotation
            path = prefix + name
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, path + ".")
            elif isinstance(f.default, dict) and f.default and all(k in REGIONS for k in f.default):
                out.extend(f"{path}.{r}" for r in REGIONS)
            elif isinstance(f.default, dict) and f.default and set(f.default) == set(COMMERCIAL_LAB_TYPES):
                out.extend(f"{path}.{k}" for k in COMMERCIAL_LAB_TYPES)
            elif name in ("governments",):
                for r in REGIONS:
                    walk(Government, f"{path}.{r}.")
            elif name in REGION_KEYED_GOV_FIELDS:  # never the government's own region (Scenario validation)
                own = path.split(".")[1] if path.startswith("governments.") else None
                out.extend(f"{path}.{r}" for r in REGIONS if r != own)
            elif name not in ("events", "reaction", "extends", "events_mode"):
                out.append(path)

    walk(Scenario, "")
    return out


def field_info(path: str) -> dict[str, Any]:
    """Metadata of a parameter path: ``{"path", "unit", "default", "ge", "le", "plausible", "source",
    "description"}`` (None where not set).

    Raises ScenarioError for an unknown path, suggesting the closest valid one."""
    if path not in parameter_paths():
        close = difflib.get_close_matches(path, parameter_paths(), n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ScenarioError(f"unknown parameter path {path!r}{hint}")
    parts = path.split(".")
    model: type[BaseModel] = Scenario
    f = None
    key = None
    i = 0
    while i < len(parts):
        name = parts[i]
        if name == "governments":
            model, i = Government, i + 2
            continue
        f = model.model_fields[name]
        ann = f.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
        elif i + 1 < len(parts):
            key = parts[i + 1]
            break
        i += 1
    assert f is not None
    ge = le = None
    metadata = list(f.metadata)
    if key is not None:  # per-region dict: bounds sit on the value type
        import typing

        value_type = typing.get_args(f.annotation)[1]
        metadata = [m for a in typing.get_args(value_type)[1:] for m in getattr(a, "metadata", [a])]
    for m in metadata:
        ge = getattr(m, "ge", ge)
        le = getattr(m, "le", le)
    extra = f.json_schema_extra or {}
    default = f.get_default(call_default_factory=True)
    if key is not None and isinstance(default, dict):
        default = default.get(key, {"export_control": 0.0, "compliant_exports": 1.0}.get(name))
    source = extra.get("source")
    if parts[:2] == ["developers", "segments"] and len(parts) == 4:  # a segment's own default and source
        default = getattr(getattr(Segments(), parts[2]), parts[3])
        source = Segments.model_fields[parts[2]].json_schema_extra["source"]
    return {"path": path, "unit": extra.get("unit"), "default": default, "ge": ge, "le": le,
            "plausible": extra.get("plausible"), "source": source, "description": f.description}
