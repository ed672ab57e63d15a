"""Experiment specs: what a sweep varies, how it samples, and what it records.

A spec is a TOML file (see ``experiments/README.md`` for the format, field by field)::

    base = "../scenarios/baseline.toml"
    replications = 20
    design = "grid"                       # or [design] kind = "lhs", samples = 500

    [[factors]]
    path = "governments.US.export_control.CN"
    levels = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    from_month = "2022-10"

:func:`load_spec` reads and validates it into a :class:`SweepSpec`: the base scenario(s) resolved and
validated, every factor checked against the scenario schema (:func:`sim.scenario.schema.field_info`). Any
problem raises :class:`SpecError` (a ``ValueError``) whose message names the spec file and the field,
and suggests a fix where there is one; nothing is run or written before a spec has been validated.
"""

from __future__ import annotations

import difflib
import importlib
import math
import tomllib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.model.metrics import SUMMARY_METRICS
from sim.scenario.schema import (
    Scenario,
    ScenarioError,
    _month_add,
    apply_event_value,
    field_info,
    folder_name,
    load_scenario,
    month_index,
    parse_override,
    split_events,
    with_values,
)

DESIGNS = ("grid", "lhs", "sobol", "morris")
"""Experimental designs: full factorial, Latin hypercube (scipy.stats.qmc), Sobol'/Saltelli and Morris (SALib)."""

DESIGN_ALIASES = {"latin": "lhs", "lhc": "lhs", "latin_hypercube": "lhs", "hypercube": "lhs", "saltelli": "sobol",
                  "factorial": "grid", "full_factorial": "grid", "oat": "morris", "elementary_effects": "morris"}
"""Names users reach for, mapped to the design they mean (for the suggestion in the error)."""

DISTRIBUTIONS = ("uniform", "loguniform", "normal", "triangular")
"""Distributions of a continuous factor (sampled through their inverse CDF from the design's unit cube)."""

RESERVED_COLUMNS = ("point", "replication", "seed", "status", "error", "traceback", "run_seconds")
"""Column names of the results table that a factor may not take."""

DEFAULT_RUN_FUNCTION = "sim.analysis.runs:run_one"

MOVED_MODULES = {"sim.runs": "sim.analysis.runs", "sim.testfunctions": "sim.analysis.testfunctions"}
"""Modules a spec's ``run_function`` may still name from before the layout change (aieco 0.1, issue 24) -> where
they are now: a spec naming the old module gets the new one, with a note."""


def current_run_function(ref: str) -> str:
    """``ref`` ("module:function") with a module moved by the layout change replaced by its new name."""
    mod, sep, attr = ref.partition(":")
    return f"{MOVED_MODULES[mod]}{sep}{attr}" if mod in MOVED_MODULES else ref


def stable_run_function(ref: str) -> str:
    """The name a run function had before the layout change (inverse of :func:`current_run_function`): what a sweep
    folder's fingerprint hashes, so that folders written before the move still resume."""
    mod, sep, attr = ref.partition(":")
    old = {new: old for old, new in MOVED_MODULES.items()}
    return f"{old[mod]}{sep}{attr}" if mod in old else ref

ROLES = {
    "uncertainty": "a condition the decision maker cannot set: a parameter of the world or the model (default)",
    "lever": "a policy the decision maker can set (EMA Workbench's levers): export controls, subsidies, blocks",
}
"""What a factor stands for, as ``kind = ...`` in a ``[[factors]]`` entry. Levers and uncertainties are sampled
and run alike; scenario discovery (``aieco discover``) reports them apart and can restrict its inputs to one."""


class SpecError(ValueError):
    """An experiment spec is invalid. The message names the spec file, the field and what is allowed."""


class SpecWarning(UserWarning):
    """A note on how a valid spec was read (e.g. dated events dropped by a shorter horizon); also kept in
    :attr:`SweepSpec.notes`."""


SEED_MODES = {
    "independent": "seed_for(seed, point, replication): every run its own random numbers (default)",
    "common": "seed_for(seed, replication): replication r of every point uses the same seed (common random "
              "numbers: differences between points are paired, as in aieco compare)",
    "block": "seed_for(seed, point // block, replication): the points of a Saltelli block or Morris trajectory "
             "share their seeds, so replication noise cancels in the differences the indices are built from",
}
"""The seed rules a spec may choose with ``seeds = ...``."""


def run_seed(base_seed: int, point: int, replication: int, mode: str = "independent", block: int = 1) -> int:
    """The seed of run (point, replication) under ``mode`` (:data:`SEED_MODES`); ``block``: points per block
    for ``"block"``. The same for every executor, worker count and completion order."""
    from sim.analysis.runs import seed_for

    if mode == "independent":
        return seed_for(base_seed, point, replication)
    if mode == "common":
        return seed_for(base_seed, replication)
    if mode == "block":
        return seed_for(base_seed, point // max(1, int(block)), replication)
    raise ValueError(f"unknown seed mode {mode!r} (allowed: {', '.join(SEED_MODES)})")


def block_size(design: str, k: int, second_order: bool = True) -> int:
    """Design points per block of a sampled sensitivity design over ``k`` factors (or groups): a Saltelli
    block of 2k + 2 rows with second-order indices, k + 2 without; a Morris trajectory of k + 1 rows; 1 for
    other designs (grid, lhs). The one statement of these layouts (SALib 1.5, ``sample.sobol``/``morris``)."""
    if design == "sobol":
        return 2 * k + 2 if second_order else k + 2
    if design == "morris":
        return k + 1
    return 1


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """``"1 replication"``, ``"2 replications"``."""
    return f"{n} {noun}" if n == 1 else f"{n} {nouns or noun + 's'}"


# ---------------------------------------------------------------------------------------------
# The TOML schema (pydantic): structure and types only; meaning is checked in `_resolve`
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# The validated, resolved spec
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Factor:
    """A validated factor.

    kind : ``"continuous"`` (a range and a distribution), ``"levels"`` (a list of values) or
        ``"scenario"`` (a list of whole scenario files; its values are the labels).
    path : the scenario field it sets (None for a scenario factor).
    integer : the field is an integer, so sampled values are rounded.
    events : for a government field changed by the base scenario's dated events: ``"keep"`` (the factor
        sets the value at the start, the events still apply), ``"drop"`` (those events are removed: the
        value holds throughout) or None when no event touches the field.
    from_month : the factor's value takes effect by a dated event at this month, replacing the base's
        events on that field.
    role : ``"uncertainty"`` or ``"lever"`` (:data:`ROLES`; the spec's ``kind = ...``): what the factor stands
        for. It does not change how the factor is sampled or run."""

    name: str
    kind: str
    path: str | None = None
    levels: tuple = ()
    low: float | None = None
    high: float | None = None
    distribution: str = "uniform"
    mean: float | None = None
    sd: float | None = None
    mode: float | None = None
    n_levels: int | None = None
    integer: bool = False
    events: str | None = None
    from_month: str | None = None
    role: str = "uncertainty"

    def describe(self) -> dict[str, Any]:
        """JSON-safe description (for the manifest)."""
        d = {k: v for k, v in self.__dict__.items() if v is not None and v != ()}
        if self.levels:
            d["levels"] = list(self.levels)
        return d


@dataclass
class SweepSpec:
    """A validated experiment spec with its base scenario(s) loaded.

    bases : the scenario(s) every point starts from, with the spec's ``set`` overrides applied; one
        unless a factor lists whole scenarios (then one per file, in the factor's order).
    base_labels : a label per base (the scenario factor's labels, or the base file's name)."""

    file: Path
    name: str
    description: str
    raw: dict[str, Any]
    bases: list[Scenario]
    base_labels: list[str]
    base_files: list[str]
    factors: list[Factor]
    design: str
    samples: int | None
    design_seed: int
    design_options: dict[str, Any]
    seed: int
    replications: int
    metrics: list[str]
    timeseries: bool
    run_function: str
    batch_size: int | None
    sets: dict[str, Any] = field(default_factory=dict)
    metric_info: dict[str, tuple[str, str]] = field(default_factory=dict)
    """(unit, description) of each recorded metric: from sim.model.metrics.SUMMARY_METRICS, or from the
    ``outputs`` the run function declares."""
    seeds: str = "independent"
    """How runs get their seeds (:data:`SEED_MODES`, :func:`run_seed`)."""
    notes: list[str] = field(default_factory=list)
    """What loading changed beyond the spec's own words (each also issued as a :class:`SpecWarning`), e.g.
    the base's dated events dropped because ``set`` shortens the horizon."""
    out_name: str = ""
    """Name of the default results folder (``results/sweeps/<out_name>``, ``results/sensitivity/<out_name>``):
    the spec file's stem (made safe as a folder name, :func:`sim.scenario.schema.folder_name`), so that a copied
    spec does not write into the original's folder, with ``_samples=N`` when ``samples`` was overridden at load
    time (:func:`load_spec`)."""

    @property
    def factor_names(self) -> list[str]:
        return [f.name for f in self.factors]

    def scenario_factor(self) -> Factor | None:
        return next((f for f in self.factors if f.kind == "scenario"), None)

    def describe(self) -> dict[str, Any]:
        """The resolved spec as plain data (for the manifest and the resume check)."""
        return {"file": str(self.file), "name": self.name, "description": self.description,
                "design": self.design, "samples": self.samples, "design_seed": self.design_seed,
                "design_options": self.design_options, "seed": self.seed, "replications": self.replications,
                "factors": [f.describe() for f in self.factors], "metrics": self.metrics,
                "timeseries": self.timeseries, "run_function": self.run_function, "set": self.sets,
                "base_files": self.base_files, "base_labels": self.base_labels, "notes": self.notes,
                "seeds": self.seeds}

    def seed_block(self, n_groups: int | None = None) -> int:
        """Design points per seed block under ``seeds = "block"``: a Saltelli block of 2k + 2 rows with
        second-order indices, k + 2 without, or a Morris trajectory of k + 1 rows (k factors, or ``n_groups``
        groups of a grouped design); 1 for other designs and seed modes."""
        return self.block_size(n_groups) if self.seeds == "block" else 1

    def block_size(self, n_groups: int | None = None) -> int:
        """Design points per Saltelli block or Morris trajectory (:func:`block_size`), over the factors or
        ``n_groups`` groups; 1 for grid and lhs designs."""
        return block_size(self.design, n_groups or len(self.factors),
                          bool(self.design_options.get("calc_second_order", True)))


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

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


def declared_outputs(fn: Callable) -> dict[str, tuple[str, str]]:
    """The outputs a run function declares as ``fn.outputs = {name: (unit, description)}`` (the test
    functions of :mod:`sim.analysis.testfunctions` do); empty for the model's own run function, whose outputs are
    :data:`sim.model.metrics.SUMMARY_METRICS`. Raises SpecError when the attribute is malformed."""
    outs = getattr(fn, "outputs", None) or {}
    try:
        return {str(k): (str(v[0]), str(v[1])) for k, v in dict(outs).items()}
    except (TypeError, ValueError, IndexError):
        raise SpecError(f"{fn.__module__}.{fn.__name__}.outputs must be {{name: (unit, description)}}") from None


def resolve_function(ref: str) -> Callable:
    """Import ``"package.module:function"``. Raises ImportError/AttributeError/ValueError when it cannot."""
    mod, sep, attr = ref.partition(":")
    if not sep or not mod or not attr:
        raise ValueError(f"{ref!r} is not of the form 'package.module:function'")
    fn = getattr(importlib.import_module(mod), attr)
    if not callable(fn):
        raise ValueError(f"{ref!r} is not callable")
    return fn


def nearest_powers_of_two(n: int) -> tuple[int, int]:
    """The powers of two just below and just above ``n``."""
    lo = 2 ** int(math.floor(math.log2(n)))
    return lo, lo * 2


def load_spec(path: str | Path, *, replications: int | None = None, sets: list[str] | tuple[str, ...] = (),
              samples: int | None = None) -> SweepSpec:
    """Read and validate an experiment spec.

    Parameters
    ----------
    path : the spec's TOML file; ``base`` and ``scenarios`` paths are relative to it.
    replications : overrides the spec's ``replications``.
    samples : overrides the design's ``samples`` (points of an LHS, base size N of Sobol', trajectories of
        Morris), checked by the same rules (``--samples`` named in the error); the default results folder then
        gets a ``_samples=N`` suffix (:attr:`SweepSpec.out_name`).
    sets : extra ``section.key=value`` overrides of the base scenario, applied after the spec's ``set``.

    Raises
    ------
    SpecError : missing file, invalid TOML, unknown key (closest suggested), unknown design, unknown
        factor path (closest suggested), a range outside the field's valid range, a Sobol' sample size
        that is not a power of 2 (nearest offered), an invalid base scenario or design point, a ``set`` of a
        field that a factor varies, a run function that cannot be imported.

    Warns
    -----
    SpecWarning : for each note in ``SweepSpec.notes``, e.g. dated events of the base dropped because a
        ``set`` of ``months`` or ``start`` moves the horizon (:func:`fit_events_to_horizon`).
    """
    path = Path(path)
    src = str(path)
    if not path.is_file():
        raise SpecError(f"{src}: spec file not found")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{src}: not valid TOML: {e}") from None
    except UnicodeDecodeError as e:
        raise SpecError(f"{src}: not a text file: {e}") from None
    if isinstance(raw.get("design"), str):
        raw_model = {**raw, "design": {"kind": raw["design"]}}
    else:
        raw_model = raw
    try:
        sf = SpecFile.model_validate(raw_model)
    except ValidationError as e:
        raise SpecError(_pydantic_errors(e, src)) from None
    if replications is not None:
        if replications < 1:
            raise SpecError(f"--replications must be >= 1, got {replications}")
        sf.replications = replications
    if samples is None:
        spec = _resolve(sf, raw, path.resolve(), src, list(sets))
        spec.out_name = folder_name(path.stem)
        return spec
    if samples < 1:
        raise SpecError(f"--samples must be >= 1, got {samples}")
    design = sf.design if isinstance(sf.design, DesignSpec) else DesignSpec(kind=sf.design)
    if design.kind.strip().lower() == "grid":
        raise SpecError(f"--samples: {src} has a grid design, which takes every combination of the factors' "
                        "levels; --samples sets the size of an lhs, sobol or morris design")
    sf.design = design.model_copy(update={"samples": samples})
    try:
        spec = _resolve(sf, raw, path.resolve(), src, list(sets))
    except SpecError as e:
        raise SpecError(str(e).replace(f"{src}: field 'design.samples'", f"--samples {samples}")) from None
    spec.out_name = folder_name(f"{path.stem}_samples={samples}")
    return spec


def _resolve(sf: SpecFile, raw: dict, path: Path, src: str, extra_sets: list[str]) -> SweepSpec:
    here = path.parent
    d = sf.design if isinstance(sf.design, DesignSpec) else DesignSpec(kind=sf.design)
    kind = _design_kind(d, src)
    sets = _spec_sets(sf, extra_sets, src)
    files, labels, where = _base_files(sf, src)
    bases, notes = _load_bases(sf, files, where, sets, here, src)
    factors = _resolve_factors(sf, kind, bases, labels, src)
    samples, options = _design_options(d, kind, len(factors), src)
    _check_seed_mode(sf.seeds, kind, src)
    metrics, metric_info = _metrics(sf, here, src, notes)

    seed = sf.seed if sf.seed is not None else bases[0].seed
    for note in notes:
        warnings.warn(note, SpecWarning, stacklevel=3)
    return SweepSpec(
        file=path, name=sf.name or path.stem, description=sf.description, raw=raw, bases=bases,
        base_labels=list(labels), base_files=[str((here / f).resolve()) if not Path(f).is_absolute() else f
                                              for f in files],
        factors=factors, design=kind, samples=samples, design_seed=d.seed if d.seed is not None else seed,
        design_options=options, seed=seed, replications=sf.replications, metrics=metrics, metric_info=metric_info,
        timeseries=sf.timeseries, run_function=sf.run_function, batch_size=sf.batch_size, sets=sets, notes=notes,
        seeds=sf.seeds)


def _design_kind(d: DesignSpec, src: str) -> str:
    """The design's name, lower-cased; raises SpecError (closest design suggested) for an unknown one."""
    kind = d.kind.strip().lower()
    if kind not in DESIGNS:
        close = [DESIGN_ALIASES[kind]] if kind in DESIGN_ALIASES else difflib.get_close_matches(kind, DESIGNS, n=1,
                                                                                                cutoff=0.4)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise SpecError(f"{src}: field 'design': unknown design {d.kind!r}{hint} (allowed: {', '.join(DESIGNS)})")
    return kind


def _spec_sets(sf: SpecFile, extra_sets: list[str], src: str) -> dict[str, Any]:
    """The overrides of the base scenario, flat (``{"labs.beta": 2}``): the spec's ``set`` table, then the
    ``--set`` texts; refuses one of a field a factor varies (:func:`_check_set_conflicts`)."""
    sets = _flatten(sf.set)
    from_cli: set[str] = set()
    for text in extra_sets:
        try:
            parts, value = parse_override(text)
        except ScenarioError as e:
            raise SpecError(str(e)) from None
        key = ".".join(parts)
        # an inline table sets its keys, like a [set] table: other keys keep the base's values
        new = _flatten(value, key + ".") if isinstance(value, dict) and value else {key: value}
        sets.update(new)
        from_cli.update(new)
    _check_set_conflicts(sf.factors, sets, from_cli, src)
    return sets


def _base_files(sf: SpecFile, src: str) -> tuple[list[str], list[str], str]:
    """The base scenario file(s), a label for each and the spec field naming them (for errors): the
    ``base``, or the files of the one factor listing ``scenarios``."""
    scen_factors = [i for i, f in enumerate(sf.factors) if f.scenarios is not None]
    if len(scen_factors) > 1:
        raise SpecError(f"{src}: field 'factors[{scen_factors[1]}].scenarios': only one factor may list scenarios")
    if scen_factors and sf.base is not None:
        raise SpecError(f"{src}: field 'base': give either 'base' or a factor listing 'scenarios', not both")
    if not scen_factors and sf.base is None:
        raise SpecError(f"{src}: field 'base': required (the scenario file every point starts from, relative to "
                        f"the spec), unless a factor lists whole 'scenarios'")
    if not scen_factors:
        return [sf.base], [Path(sf.base).stem], "base"
    fs = sf.factors[scen_factors[0]]
    where = f"factors[{scen_factors[0]}]"
    files = fs.scenarios or []
    if not files:
        raise SpecError(f"{src}: field '{where}.scenarios': list at least one scenario file")
    labels = fs.labels or [Path(f).stem for f in files]
    if len(labels) != len(files):
        raise SpecError(f"{src}: field '{where}.labels': {plural(len(labels), 'label')} for "
                        f"{plural(len(files), 'scenario')}")
    if len(set(labels)) != len(labels):
        raise SpecError(f"{src}: field '{where}.labels': labels must be unique (got {labels}); give 'labels'")
    return files, labels, where


def _load_bases(sf: SpecFile, files: list[str], where: str, sets: dict[str, Any], here: Path,
                src: str) -> tuple[list[Scenario], list[str]]:
    """Each base scenario loaded (relative to ``here``) with ``sets`` applied, its dated events fitted to a
    moved horizon (:func:`fit_events_to_horizon`), and the notes saying what that changed."""
    bases: list[Scenario] = []
    notes: list[str] = []
    for f in files:
        fp = Path(f) if Path(f).is_absolute() else here / f
        try:
            sc = load_scenario(fp)
        except ScenarioError as e:
            raise SpecError(f"{src}: field '{where}': {e}") from None
        if sets:
            replaced = frozenset(fs.path for fs in sf.factors if fs.path and (fs.from_month or fs.events == "drop"))
            fitted, fit_notes = fit_events_to_horizon(sc, sets, replaced)
            given = ", ".join(f"{k} = {sets[k]}" for k in ("start", "months") if k in sets)
            notes += [f"{src}: set {given} on {fp.name}: {note}" for note in fit_notes]
            try:
                sc = with_values(sc, {**fitted, **sets}, source=f"{src}: field 'set' (on {fp.name})")
            except ScenarioError as e:
                raise SpecError(str(e)) from None
        bases.append(sc)
    return bases, notes


def _resolve_factors(sf: SpecFile, kind: str, bases: list[Scenario], labels: list[str], src: str) -> list[Factor]:
    """Every factor validated (:func:`_resolve_factor`), with distinct names that are no results column and
    distinct paths."""
    factors: list[Factor] = []
    for i, fs in enumerate(sf.factors):
        factors.append(_resolve_factor(fs, i, src, kind, bases, labels))
    names = [f.name for f in factors]
    for i, n in enumerate(names):
        if n in RESERVED_COLUMNS or n in SUMMARY_METRICS:
            raise SpecError(f"{src}: field 'factors[{i}].name': {n!r} is taken by a results column; choose another")
        if names.index(n) != i:
            raise SpecError(f"{src}: field 'factors[{i}]': two factors named {n!r}; give each a distinct 'name'")
    paths = [f.path for f in factors if f.path]
    dup = next((p for p in paths if paths.count(p) > 1), None)
    if dup:
        raise SpecError(f"{src}: field 'factors': two factors set {dup!r}")
    return factors


def _design_options(d: DesignSpec, kind: str, n_factors: int, src: str) -> tuple[int | None, dict[str, Any]]:
    """The design's ``samples`` (checked: none for a grid, a power of 2 for Sobol') and the options its
    sampler takes."""
    samples = d.samples
    options: dict[str, Any] = {}
    if kind == "grid":
        if samples is not None:
            raise SpecError(f"{src}: field 'design.samples': a grid takes every combination of the factors' levels; "
                            f"remove 'samples' (or use design 'lhs')")
        return samples, options
    if samples is None:
        what = {"lhs": "number of points", "sobol": "base sample size N (a power of 2)",
                "morris": "number of trajectories"}[kind]
        raise SpecError(f"{src}: field 'design.samples': required for design {kind!r} ({what})")
    if kind == "sobol":
        if samples & (samples - 1):
            lo, hi = nearest_powers_of_two(samples)
            raise SpecError(f"{src}: field 'design.samples': {samples} is not a power of 2, which Sobol' (Saltelli) "
                            f"sampling needs; the nearest are {lo} and {hi}")
        options["calc_second_order"] = d.calc_second_order
        options["scramble"] = d.scramble
    elif kind == "lhs":
        options["scramble"] = d.scramble
        options["optimization"] = d.optimization
    elif kind == "morris":
        options["num_levels"] = d.num_levels
        if d.optimal_trajectories is not None:
            if d.optimal_trajectories >= samples:
                raise SpecError(f"{src}: field 'design.optimal_trajectories': must be smaller than samples "
                                f"({samples}), the trajectories it chooses from")
            options["optimal_trajectories"] = d.optimal_trajectories
    if n_factors < 2 and kind in ("sobol", "morris"):
        raise SpecError(f"{src}: field 'factors': design {kind!r} needs at least 2 factors")
    return samples, options


def _check_seed_mode(seeds: str, kind: str, src: str) -> None:
    """Refuse ``seeds = "block"`` for a design without blocks (grid, lhs)."""
    if seeds == "block" and kind not in ("sobol", "morris"):
        raise SpecError(f"{src}: field 'seeds': 'block' (common seeds within a Saltelli block or Morris trajectory) "
                        f"needs design 'sobol' or 'morris', not {kind!r}; use 'common' for paired comparisons "
                        "across the points of a grid or LHS")


def _metrics(sf: SpecFile, here: Path, src: str, notes: list[str]) -> tuple[list[str], dict[str, tuple]]:
    """The metrics to record and their (unit, description): the spec's ``metrics``, checked against what the
    run function records (its declared outputs, else the model's summary metrics). Imports the run function
    (a moved module renamed in ``sf.run_function``, with a note appended to ``notes``)."""
    if current_run_function(sf.run_function) != sf.run_function:
        notes.append(f"run_function {sf.run_function!r} is now {current_run_function(sf.run_function)!r} (the "
                     "package's layout changed in aieco 0.1); using it")
        sf.run_function = current_run_function(sf.run_function)
    try:
        fn = resolve_function(sf.run_function)
    except Exception as e:  # noqa: BLE001 - any import problem is a spec error
        raise SpecError(f"{src}: field 'run_function': cannot import {sf.run_function!r}: "
                        f"{type(e).__name__}: {e}{_import_hint(sf.run_function, e, here)}") from None
    declared = declared_outputs(fn)
    known = declared or SUMMARY_METRICS  # a run function that declares its outputs records those
    if sf.metrics is None:
        metrics = list(known)
    else:
        metrics = list(dict.fromkeys(sf.metrics))
    for m in metrics:
        if m not in known:
            close = difflib.get_close_matches(m, list(known), n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            allowed = (f"the outputs {sf.run_function} declares ({', '.join(known)})" if declared
                       else ", ".join(known))
            raise SpecError(f"{src}: field 'metrics': unknown metric {m!r}{hint} (allowed: {allowed})")
    if not metrics:
        raise SpecError(f"{src}: field 'metrics': list at least one metric (or omit it to record all)")
    return metrics, {m: tuple(known[m]) for m in metrics}


def _check_set_conflicts(factors: list[FactorSpec], sets: dict[str, Any], from_cli: set[str], src: str) -> None:
    """Refuse a ``set`` / ``--set`` value of a field a factor varies (the factor's value would replace it at
    every point): the same path, a key inside it or a table holding it. A factor with ``from_month`` is
    exempt: the set value is its field's value before that month."""
    for i, fs in enumerate(factors):
        if fs.path is None or fs.from_month is not None:
            continue
        for key in sets:
            if key == fs.path or key.startswith(fs.path + ".") or fs.path.startswith(key + "."):
                what = f"--set {key}" if key in from_cli else f"field 'set.{key}'"
                remove = "the --set" if key in from_cli else "the entry from [set]"
                raise SpecError(f"{src}: {what}: factors[{i}] ({fs.name or fs.path}) varies {fs.path}, so this "
                                f"value would be replaced at every design point; remove {remove} or the factor")


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


def _import_hint(ref: str, err: Exception, spec_dir: Path) -> str:
    """A hint for a run function whose module cannot be found: it must be importable by the driver and the
    workers."""
    mod = ref.partition(":")[0]
    missing = getattr(err, "name", None)
    if not isinstance(err, ModuleNotFoundError) or not missing or not (mod == missing or mod.startswith(missing + ".")):
        return ""
    rel = Path(*mod.split("."))
    where = ""
    if not ((Path.cwd() / f"{rel}.py").is_file() or (Path.cwd() / rel).is_dir()) and (
            (spec_dir / f"{rel}.py").is_file() or (spec_dir / rel).is_dir()):
        try:
            folder = spec_dir.relative_to(Path.cwd())
        except ValueError:
            folder = spec_dir
        where = f" ({rel} is next to the spec: PYTHONPATH={folder})"
    return (f". The module must be importable by the driver and the workers: an installed package, or a file "
            f"on the Python path (a file in the current folder needs PYTHONPATH=., e.g. `PYTHONPATH=. aieco sweep "
            f"...`){where}")


def _g(x: float | None) -> str:
    return "unbounded" if x is None else f"{x:g}"


def _gov_field(path: str) -> tuple[str, str] | None:
    """``governments.US.export_control.CN`` -> ("US", "export_control.CN"); None for other paths."""
    parts = path.split(".")
    if parts[0] != "governments" or len(parts) < 3:
        return None
    return parts[1], ".".join(parts[2:])


def event_matches(ev: Any, gov: str, fld: str) -> bool:
    """Whether a dated event changes government ``gov``'s field ``fld`` (``export_control.CN`` is also
    changed by an event on the whole ``export_control`` table)."""
    return ev.government == gov and (ev.field == fld or (fld.startswith("export_control.") and ev.field == "export_control"))


_ROLE_ALIASES = {"levers": "lever", "policy": "lever", "policies": "lever", "decision": "lever",
                 "uncertainties": "uncertainty", "uncertain": "uncertainty", "parameter": "uncertainty",
                 "assumption": "uncertainty"}


def _role(kind: str, err: Callable[[str, str], SpecError]) -> str:
    """The role a factor's ``kind`` names (:data:`ROLES`); raises SpecError for another word."""
    k = kind.strip().lower()
    if k in ROLES:
        return k
    close = [_ROLE_ALIASES[k]] if k in _ROLE_ALIASES else difflib.get_close_matches(k, ROLES, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise err("kind", f"unknown kind {kind!r}{hint} (allowed: " + "; ".join(
        f"{r!r}, {d}" for r, d in ROLES.items()) + ")")


def _resolve_factor(fs: FactorSpec, i: int, src: str, design: str, bases: list[Scenario],
                    labels: list[str]) -> Factor:
    where = f"factors[{i}]"

    def err(key: str, msg: str) -> SpecError:
        return SpecError(f"{src}: field '{where}.{key}': {msg}" if key else f"{src}: field '{where}': {msg}")

    role = _role(fs.kind, err)
    if fs.scenarios is not None:
        return _scenario_factor(fs, labels, role, err)
    if fs.path is None:
        raise err("path", "required: the scenario field this factor sets (e.g. 'labs.beta'), or 'scenarios'")
    if fs.labels is not None:
        raise err("labels", "only a factor listing 'scenarios' takes labels")
    try:
        info = field_info(fs.path)
    except ScenarioError as e:
        raise err("path", str(e)) from None
    default = info["default"]
    integer = isinstance(default, int) and not isinstance(default, bool)
    gf = _gov_field(fs.path)
    _check_factor_events(fs, gf, bases, err)
    common = dict(name=fs.name or fs.path, path=fs.path, integer=integer, events=fs.events if gf else None,
                  from_month=fs.from_month, role=role)
    if fs.levels is not None:
        return _levels_factor(fs, info, integer, common, err)
    return _continuous_factor(fs, info, design, common, err)


def _valid_range(info: dict[str, Any]) -> str:
    """A field's valid range as text, ``[0, 1] (share)``, from its :func:`field_info`."""
    unit = f" ({info['unit']})" if info["unit"] else ""
    return f"[{_g(info['ge'])}, {_g(info['le'])}]{unit}"


def _scenario_factor(fs: FactorSpec, labels: list[str], role: str, err: Callable[[str, str], SpecError]) -> Factor:
    """A factor listing whole scenario files (its levels are their labels); it takes no other settings."""
    for key in ("path", "levels", "range", "n_levels", "mean", "sd", "mode", "events", "from_month"):
        if getattr(fs, key) is not None:
            raise err(key, "a factor listing 'scenarios' takes no other settings (only 'name', 'labels' and "
                           "'kind')")
    return Factor(name=fs.name or "scenario", kind="scenario", levels=tuple(labels), role=role)


def _check_factor_events(fs: FactorSpec, gf: tuple[str, str] | None, bases: list[Scenario],
                         err: Callable[[str, str], SpecError]) -> None:
    """Check how a factor meets the bases' dated events: ``events`` and ``from_month`` only on a government
    field (``gf``), not both, ``from_month`` within every base's horizon, and one of them given when a base's
    events change the field."""
    events, from_month = fs.events, fs.from_month
    if (events is not None or from_month is not None) and gf is None:
        raise err("events" if events is not None else "from_month",
                  "only a government field (governments.REGION.FIELD) can interact with dated events")
    if events is not None and from_month is not None:
        raise err("from_month", "give either 'events' or 'from_month', not both")
    if from_month is not None:
        for sc in bases:
            try:
                k = month_index(sc.start, from_month)
            except ValueError as e:
                raise err("from_month", str(e)) from None
            if not 0 <= k < sc.months:
                raise err("from_month", f"{from_month} is outside the scenario's horizon ({sc.start} + {sc.months} "
                                        f"months)")
    if gf is not None and events is None and from_month is None:
        months = sorted({ev.month for sc in bases for ev in sc.events if event_matches(ev, *gf)})
        if months:
            raise err("", f"the base scenario changes {fs.path} by dated events ({', '.join(months)}), which would "
                          f"override the factor's value; set events = \"drop\" (the value holds throughout), "
                          f"events = \"keep\" (it holds until the first event) or from_month = \"YYYY-MM\" (it takes "
                          f"effect then, replacing those events)")


def _levels_factor(fs: FactorSpec, info: dict[str, Any], integer: bool, common: dict[str, Any],
                   err: Callable[[str, str], SpecError]) -> Factor:
    """A factor with a list of levels: distinct, within the field's valid range, integers for an integer field."""
    ge, le = info["ge"], info["le"]
    for key in ("range", "n_levels", "mean", "sd", "mode"):
        if getattr(fs, key) is not None:
            raise err(key, "a factor with 'levels' takes no range or distribution settings")
    if fs.distribution != "uniform":
        raise err("distribution", "a factor with 'levels' takes its levels with equal weight; remove 'distribution'")
    if not fs.levels:
        raise err("levels", "list at least one level")
    for v in fs.levels:
        if isinstance(v, int | float) and not isinstance(v, bool) and (
                (ge is not None and v < ge) or (le is not None and v > le)):
            raise err("levels", f"{v!r} is outside the valid range of {fs.path}, {_valid_range(info)}")
        if integer and isinstance(v, float) and not float(v).is_integer():
            raise err("levels", f"{v!r}: {fs.path} is an integer")
    if len({repr(v) for v in fs.levels}) != len(fs.levels):
        raise err("levels", f"duplicate levels in {fs.levels}")
    return Factor(kind="levels", levels=tuple(fs.levels), **common)


def _continuous_factor(fs: FactorSpec, info: dict[str, Any], design: str, common: dict[str, Any],
                       err: Callable[[str, str], SpecError]) -> Factor:
    """A factor with a range and a distribution, on a numeric field."""
    default = info["default"]
    numeric = (info["ge"] is not None or info["le"] is not None
               or (isinstance(default, int | float) and not isinstance(default, bool)))
    if not numeric:
        raise err("path", f"{fs.path} is not numeric (default {default!r}); give it 'levels'")
    dist = _distribution(fs, err)
    lo, hi = _factor_range(fs, info, dist, err)
    extra = _distribution_parameters(fs, dist, lo, hi, err)
    if dist == "loguniform" and lo <= 0:
        raise err("range", f"a loguniform range must be positive, got [{lo}, {hi}]")
    if design == "grid":
        if fs.n_levels is None:
            raise err("n_levels", "a grid needs 'levels', or a range with 'n_levels' (evenly spaced levels)")
        if dist not in ("uniform", "loguniform"):
            raise err("distribution", "a grid spaces levels evenly over the range (uniform) or its logarithm "
                                      "(loguniform); other distributions need a sampled design (lhs, sobol, morris)")
    elif fs.n_levels is not None:
        raise err("n_levels", f"only a grid uses 'n_levels'; design {design!r} samples the range")
    return Factor(kind="continuous", low=lo, high=hi, distribution=dist, n_levels=fs.n_levels, **extra, **common)


def _distribution(fs: FactorSpec, err: Callable[[str, str], SpecError]) -> str:
    """The factor's distribution, lower-cased; raises for an unknown one (closest suggested)."""
    dist = fs.distribution.strip().lower()
    if dist not in DISTRIBUTIONS:
        close = difflib.get_close_matches(dist, DISTRIBUTIONS, n=1, cutoff=0.4)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise err("distribution", f"unknown distribution {fs.distribution!r}{hint} (allowed: {', '.join(DISTRIBUTIONS)})")
    return dist


def _factor_range(fs: FactorSpec, info: dict[str, Any], dist: str,
                  err: Callable[[str, str], SpecError]) -> tuple[float | None, float | None]:
    """(low, high) of a continuous factor: its ``range`` (or the field's plausible range) within the field's
    valid range; a normal factor without a range gets the valid range (None where unbounded)."""
    ge, le = info["ge"], info["le"]
    valid = _valid_range(info)
    rng = fs.range
    if rng == "plausible":
        if not info["plausible"]:
            raise err("range", f"{fs.path} has no plausible range in the schema; give range = [low, high] within {valid}")
        rng = [float(x) for x in info["plausible"]]
    if rng is None and dist != "normal":
        raise err("range", "required: [low, high], or \"plausible\" for the schema's plausible range"
                  + (f" {info['plausible']}" if info["plausible"] else "") + ", or 'levels'")
    if rng is None:
        return ge, le
    if len(rng) != 2:
        raise err("range", f"expected [low, high], got {rng}")
    lo, hi = float(rng[0]), float(rng[1])
    if not lo < hi:
        raise err("range", f"low must be below high, got [{lo}, {hi}]")
    if (ge is not None and lo < ge) or (le is not None and hi > le):
        raise err("range", f"[{_g(lo)}, {_g(hi)}] is outside the valid range of {fs.path}, {valid}")
    return lo, hi


def _distribution_parameters(fs: FactorSpec, dist: str, lo: float | None, hi: float | None,
                             err: Callable[[str, str], SpecError]) -> dict[str, Any]:
    """``mean`` and ``sd`` of a normal factor, ``mode`` of a triangular one; refused on other distributions."""
    extra: dict[str, Any] = {}
    if dist == "normal":
        if fs.mean is None or fs.sd is None:
            raise err("mean" if fs.mean is None else "sd", "a normal factor needs 'mean' and 'sd' (truncated to 'range', "
                                                           "or to the field's valid range)")
        if lo is not None and hi is not None and not lo <= fs.mean <= hi:
            raise err("mean", f"{fs.mean} is outside [{lo}, {hi}]")
        extra = {"mean": fs.mean, "sd": fs.sd}
    elif fs.mean is not None or fs.sd is not None:
        raise err("mean" if fs.mean is not None else "sd", "only a normal factor takes 'mean' and 'sd'")
    if dist == "triangular":
        if fs.mode is None or not lo <= fs.mode <= hi:
            raise err("mode", f"a triangular factor needs 'mode' within its range [{lo}, {hi}]")
        extra["mode"] = fs.mode
    elif fs.mode is not None:
        raise err("mode", "only a triangular factor takes 'mode'")
    return extra
