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
import math
import tomllib
import warnings
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.analysis.sweep.errors import (
    SpecError,
    SpecWarning,
    plural,
)
from sim.analysis.sweep.factors import (
    _ROLE_ALIASES,  # noqa: F401 - re-exported
    _check_factor_events,  # noqa: F401 - re-exported
    _continuous_factor,  # noqa: F401 - re-exported
    _distribution,  # noqa: F401 - re-exported
    _distribution_parameters,  # noqa: F401 - re-exported
    _factor_range,  # noqa: F401 - re-exported
    _g,  # noqa: F401 - re-exported
    _gov_field,  # noqa: F401 - re-exported
    _levels_factor,  # noqa: F401 - re-exported
    _resolve_factor,
    _role,  # noqa: F401 - re-exported
    _scenario_factor,  # noqa: F401 - re-exported
    _valid_range,  # noqa: F401 - re-exported
    event_matches,  # noqa: F401 - re-exported
)
from sim.analysis.sweep.horizon import (
    fit_events_to_horizon,
)
from sim.analysis.sweep.runfunction import (
    DEFAULT_RUN_FUNCTION,  # noqa: F401 - re-exported
    MOVED_MODULES,  # noqa: F401 - re-exported
    _import_hint,
    current_run_function,
    declared_outputs,
    resolve_function,
    stable_run_function,  # noqa: F401 - re-exported
)
from sim.analysis.sweep.seeds import (
    SEED_MODES,  # noqa: F401 - re-exported
    block_size,  # noqa: F401 - re-exported
    run_seed,  # noqa: F401 - re-exported
)
from sim.analysis.sweep.specfile import (
    DESIGN_ALIASES,
    DESIGNS,
    DISTRIBUTIONS,  # noqa: F401 - re-exported
    RESERVED_COLUMNS,
    ROLES,  # noqa: F401 - re-exported
    DesignSpec,
    FactorSpec,
    SpecFile,
    _flatten,
    _loc,  # noqa: F401 - re-exported
    _model_at,  # noqa: F401 - re-exported
    _pydantic_errors,
    _Strict,  # noqa: F401 - re-exported
)
from sim.analysis.sweep.sweepspec import (
    Factor,
    SweepSpec,
)
from sim.model.metrics import (
    SUMMARY_METRICS,
)
from sim.scenario.schema import (
    Scenario,
    ScenarioError,
    _month_add,  # noqa: F401 - re-exported
    apply_event_value,  # noqa: F401 - re-exported
    field_info,  # noqa: F401 - re-exported
    folder_name,
    load_scenario,
    month_index,  # noqa: F401 - re-exported
    parse_override,
    split_events,  # noqa: F401 - re-exported
    with_values,
)

# The names marked "re-exported" were defined or imported here before the spec's concepts got modules of their own
# (issue 31): every import from sim.analysis.sweep.spec keeps working.


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


