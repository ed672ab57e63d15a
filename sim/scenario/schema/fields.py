"""The building blocks of the schema: regions and developer segments, bounded per-region values, the parameter
field :func:`P` with its unit, source and plausible range, and the strict base model every section derives from
(unknown keys, booleans as numbers and non-finite numbers are errors).
"""

from __future__ import annotations

import math
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim import REGIONS

Region = Literal["US", "CN", "EU", "ROW"]

LabType = Literal["cloud", "products", "hardware", "parent", "research", "startup"]

CommercialLabType = Literal["cloud", "products", "hardware", "parent", "startup"]

LAB_TYPES = ("cloud", "products", "hardware", "parent", "research", "startup")
"""Types of lab by how open weights can earn for them (docs/ODD.md 7.9; data/lab_types.csv): a Big Tech parent with a
public cloud, with consumer products, a chip maker, a lab funded by a parent's other business, a non-profit or state
research lab, a start-up. Research labs do not decide by revenue: their open/closed choice has no payoff term."""

COMMERCIAL_LAB_TYPES = tuple(t for t in LAB_TYPES if t != "research")
"""The lab types that sell (every type but ``research``): the keys of ``labs.complement_capture``."""


def Bounded(lo: float, hi: float) -> Any:
    """A float constrained to ``lo..hi``: the value type of per-region dict parameters."""
    return Annotated[float, Field(ge=lo, le=hi)]


def P(default: Any, *, unit: str, source: str, description: str, plausible: tuple | None = None, **kw: Any):
    """A scenario parameter: pydantic ``Field`` carrying unit, source and plausible range metadata."""
    extra = {"unit": unit, "source": source}
    if plausible is not None:
        extra["plausible"] = list(plausible)
    return Field(default, description=f"{description} [{unit}] Source: {source}", json_schema_extra=extra, **kw)


def _admits(annotation: Any, *types: type) -> bool:
    """Whether a field's type admits one of ``types`` (itself, or inside a union, container or Annotated)."""
    if annotation in types:
        return True
    return any(_admits(a, *types) for a in typing.get_args(annotation))


def _has_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, dict):
        return any(isinstance(v, bool) for v in value.values())
    return isinstance(value, list | tuple) and any(isinstance(v, bool) for v in value)


def _non_finite(value: Any) -> str | None:
    """The first NaN or infinite float in ``value`` (itself, or a dict's values or a list's items) as text
    (``nan``, ``inf``, ``-inf``), or None."""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list | tuple) else (value,)
    for v in items:
        if isinstance(v, float) and not math.isfinite(v):
            return str(v)
    return None


def _range_text(f: Any) -> str:
    """What a numeric field allows, from its bounds (``a number from 0 to 1``; on a per-region table, the bounds
    of its values)."""
    metadata = list(f.metadata)
    args = typing.get_args(f.annotation)
    if len(args) == 2 and typing.get_origin(f.annotation) is dict:
        metadata += [m for a in typing.get_args(args[1])[1:] for m in getattr(a, "metadata", [a])]
    ge = next((m.ge for m in metadata if getattr(m, "ge", None) is not None), None)
    le = next((m.le for m in metadata if getattr(m, "le", None) is not None), None)
    if ge is not None and le is not None:
        return f"a number from {_num(ge)} to {_num(le)}"
    if ge is not None:
        return f"a number >= {_num(ge)}"
    return f"a number <= {_num(le)}" if le is not None else "a finite number"


def _num(x: float) -> str:
    """A bound as a reader wants it: an integer in full (a seed's 9223372036854775807, not 9.22337e+18), else %g."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e19 else f"{x:g}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_as_number(cls, value: Any, info: ValidationInfo) -> Any:
        """``true``/``false`` where a number is expected is an error (pydantic would read it as 1/0)."""
        ann = cls.model_fields[info.field_name].annotation if info.field_name else None
        if _has_bool(value) and _admits(ann, int, float) and not _admits(ann, bool, Any):
            raise ValueError("a boolean (true/false) is not a number; give a number")
        bad = _non_finite(value) if _admits(ann, int, float) else None
        if bad is not None:
            raise ValueError(f"{bad} is not a finite number; allowed: {_range_text(cls.model_fields[info.field_name])}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _fill_region_dicts(cls, data: Any) -> Any:
        """A per-region (or per-lab-type) parameter given for some regions only (``[compute.alt_supply_h100e] CN = 200`` or
        ``--set compute.alt_supply_h100e.CN=200``) keeps its defaults for the other regions."""
        if not isinstance(data, dict):
            return data
        for name, f in cls.model_fields.items():
            default, given = f.default, data.get(name)
            if (name != "region_shares" and isinstance(given, dict) and isinstance(default, dict) and default
                    and set(default) in (set(REGIONS), set(COMMERCIAL_LAB_TYPES)) and set(given) < set(default)):
                data = {**data, name: {**default, **given}}
        return data


Segment_ = Literal["enterprise", "startup", "research", "public"]


SEGMENTS = ("enterprise", "startup", "research", "public")
"""Developer segments, in this order (index = segment code)."""
