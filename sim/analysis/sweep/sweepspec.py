"""The validated, resolved experiment spec (:class:`SweepSpec`) and its factors (:class:`Factor`), as
:func:`sim.analysis.sweep.spec.load_spec` returns them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.analysis.sweep.seeds import block_size
from sim.scenario.schema import (
    Scenario,
)


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
