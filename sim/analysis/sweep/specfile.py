"""The experiment spec file's format: the designs, distributions and roles it may name, the TOML schema
(pydantic: structure and types; meaning is checked by :func:`sim.analysis.sweep.spec.load_spec`), and its errors
(:class:`SpecError`, :class:`SpecWarning`, pydantic's errors in the spec's words).
"""

from __future__ import annotations

import difflib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.analysis.sweep.runfunction import DEFAULT_RUN_FUNCTION

DESIGNS = ("grid", "lhs", "sobol", "morris")
"""Experimental designs: full factorial, Latin hypercube (scipy.stats.qmc), Sobol'/Saltelli and Morris (SALib)."""


DESIGN_ALIASES = {"latin": "lhs", "lhc": "lhs", "latin_hypercube": "lhs", "hypercube": "lhs", "saltelli": "sobol",
                  "factorial": "grid", "full_factorial": "grid", "oat": "morris", "elementary_effects": "morris"}
"""Names users reach for, mapped to the design they mean (for the suggestion in the error)."""


DISTRIBUTIONS = ("uniform", "loguniform", "normal", "triangular")
"""Distributions of a continuous factor (sampled through their inverse CDF from the design's unit cube)."""


RESERVED_COLUMNS = ("point", "replication", "seed", "status", "error", "traceback", "run_seconds")
"""Column names of the results table that a factor may not take."""


ROLES = {
    "uncertainty": "a condition the decision maker cannot set: a parameter of the world or the model (default)",
    "lever": "a policy the decision maker can set (EMA Workbench's levers): export controls, subsidies, blocks",
}
"""What a factor stands for, as ``kind = ...`` in a ``[[factors]]`` entry. Levers and uncertainties are sampled
and run alike; scenario discovery (``aieco discover``) reports them apart and can restrict its inputs to one."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FactorSpec(_Strict):
    """One ``[[factors]]`` entry as written in the file."""

    name: str | None = None
    kind: str = "uncertainty"
    path: str | None = None
    scenarios: list[str] | None = None
    labels: list[str] | None = None
    levels: list[Any] | None = None
    range: list[float] | Literal["plausible"] | None = None
    distribution: str = "uniform"
    n_levels: int | None = Field(None, ge=2)
    mean: float | None = None
    sd: float | None = Field(None, gt=0)
    mode: float | None = None
    events: Literal["keep", "drop"] | None = None
    from_month: str | None = None


class DesignSpec(_Strict):
    """The ``design`` entry: a design name, or a table with its options."""

    kind: str
    samples: int | None = Field(None, ge=1)
    seed: int | None = Field(None, ge=0)
    scramble: bool = True
    optimization: Literal["random-cd", "lloyd"] | None = None
    calc_second_order: bool = True
    num_levels: int = Field(4, ge=2)
    optimal_trajectories: int | None = Field(None, ge=2)


class SpecFile(_Strict):
    """The top level of a spec file."""

    name: str | None = None
    description: str = ""
    base: str | None = None
    set: dict[str, Any] = Field(default_factory=dict)
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
    replications: int = Field(1, ge=1, le=1_000_000)
    design: DesignSpec | str
    factors: list[FactorSpec] = Field(min_length=1)
    metrics: list[str] | None = None
    timeseries: bool = False
    run_function: str = DEFAULT_RUN_FUNCTION
    batch_size: int | None = Field(None, ge=1)
    seeds: Literal["independent", "common", "block"] = "independent"

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v: Any) -> Any:
        """The name names the output folder (results/sweeps/<name>): never a path."""
        from sim.scenario.schema import name_problem

        problem = None if v is None else name_problem(v)
        if problem:
            raise ValueError(problem)
        return v


def _loc(loc: tuple) -> str:
    out = ""
    for x in loc:
        out += f"[{x}]" if isinstance(x, int) else (f".{x}" if out else str(x))
    return out


def _pydantic_errors(err: ValidationError, source: str) -> str:
    lines = []
    for e in err.errors():
        # a union (design = "grid" or a table) reports each branch; keep the table branch only
        loc = tuple(x for x in e["loc"] if x not in ("DesignSpec", "str"))
        if e["loc"][:1] == ("design",) and e["loc"][1:2] == ("str",):
            continue
        where = _loc(loc) or "top level"
        if e["type"] == "extra_forbidden":
            parent_model = _model_at(loc[:-1])
            allowed = list(parent_model.model_fields) if parent_model else []
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            lines.append(f"{source}: field '{where}': unknown key{hint} (allowed: {', '.join(allowed)})")
        elif loc == ("design",) and e["type"] != "missing":
            lines.append(f"{source}: field 'design': expected a design name ({', '.join(DESIGNS)}) or a [design] table "
                         f"with 'kind' (got {e.get('input')!r})")
        elif e["type"] == "missing":
            lines.append(f"{source}: field '{where}': required but missing")
        else:
            lines.append(f"{source}: field '{where}': {e['msg']} (got {e.get('input')!r})")
    return "\n".join(dict.fromkeys(lines))


def _model_at(loc: tuple) -> type[BaseModel] | None:
    if not loc:
        return SpecFile
    if loc[0] == "factors":
        return FactorSpec
    if loc[0] == "design":
        return DesignSpec
    return None


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out
