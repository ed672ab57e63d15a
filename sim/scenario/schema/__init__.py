"""Scenario schema: every parameter of the model, its unit, default, valid range and source.

A scenario is a TOML file validated by the pydantic models below. Unknown keys are errors (with the
closest valid key suggested), values are range-checked, and policy changes are dated ``[[events]]``.

Each field's ``description`` states its unit and its source (a paper, a dataset or an explicit
"assumption" to be explored by sensitivity analysis); ``ge``/``le`` give the valid range; the
``json_schema_extra`` dict holds ``unit``, ``source`` and a plausible range ``plausible`` (the range
sensitivity specs should explore, narrower than the valid range).

Inheritance: ``extends = "parent.toml"`` (relative to the file) takes the parent's values and overrides them
key by key; the child's ``[[events]]`` are merged with the parent's in date order (``events_mode =
"merge"``, the default) or replace them (``events_mode = "replace"``); ``--set`` overrides come last.

Errors: :func:`load_scenario` raises :class:`ScenarioError` (a ``ValueError``) whose message names the
file, the field path and what is allowed. The CLI turns it into exit code 2.

The schema is a package of modules of one concept each; every name is importable from here:

- :mod:`~sim.scenario.schema.errors`: :class:`ScenarioError`;
- :mod:`~sim.scenario.schema.months`: ``YYYY-MM`` months (:func:`parse_month`, :func:`month_index`, ...);
- :mod:`~sim.scenario.schema.names`: a scenario's name and the folder name made from it;
- :mod:`~sim.scenario.schema.fields`: the building blocks (regions, segments, :func:`P`, the strict base model);
- :mod:`~sim.scenario.schema.sections`: compute, chips, labs, developers and market;
- :mod:`~sim.scenario.schema.governments`: governments, adaptive rules and dated events (:class:`Event`);
- :mod:`~sim.scenario.schema.scenario`: :class:`Scenario`;
- :mod:`~sim.scenario.schema.events`: lists of dated events (order, clashes, the horizon note);
- :mod:`~sim.scenario.schema.loading`: :func:`load_scenario`, ``extends``, ``--set``, :func:`with_values`, ...;
- :mod:`~sim.scenario.schema.paths`: :func:`parameter_paths`, :func:`field_info`.
"""

# Every name the single-module schema had (private ones too: other modules and tests import them).
from sim import REGIONS  # noqa: F401 - re-exported
from sim.scenario.schema.errors import (
    ScenarioError,  # noqa: F401 - re-exported
)
from sim.scenario.schema.events import (
    EVENTS_MODES,  # noqa: F401 - re-exported
    _check_event_order,  # noqa: F401 - re-exported
    _describe_event,  # noqa: F401 - re-exported
    _event_key,  # noqa: F401 - re-exported
    _event_target,  # noqa: F401 - re-exported
    duplicate_events,  # noqa: F401 - re-exported
    events_clash,  # noqa: F401 - re-exported
    horizon_note,  # noqa: F401 - re-exported
)
from sim.scenario.schema.fields import (
    COMMERCIAL_LAB_TYPES,  # noqa: F401 - re-exported
    LAB_TYPES,  # noqa: F401 - re-exported
    SEGMENTS,  # noqa: F401 - re-exported
    Bounded,  # noqa: F401 - re-exported
    P,  # noqa: F401 - re-exported
    Region,  # noqa: F401 - re-exported
    Segment_,  # noqa: F401 - re-exported
    _admits,  # noqa: F401 - re-exported
    _has_bool,  # noqa: F401 - re-exported
    _non_finite,  # noqa: F401 - re-exported
    _range_text,  # noqa: F401 - re-exported
    _Strict,  # noqa: F401 - re-exported
)
from sim.scenario.schema.governments import (
    GOV_FIELDS,  # noqa: F401 - re-exported
    OTHER_REGION_GOV_FIELDS,  # noqa: F401 - re-exported
    REGION_KEYED_GOV_FIELDS,  # noqa: F401 - re-exported
    Event,  # noqa: F401 - re-exported
    Government,  # noqa: F401 - re-exported
    ReactionRule,  # noqa: F401 - re-exported
    _default_governments,  # noqa: F401 - re-exported
    apply_event_value,  # noqa: F401 - re-exported
)
from sim.scenario.schema.loading import (
    _EVENT_LOC,  # noqa: F401 - re-exported
    REMOVED_PARAMETERS,  # noqa: F401 - re-exported
    _deep_merge,  # noqa: F401 - re-exported
    _drop_after_horizon,  # noqa: F401 - re-exported
    _drop_late_events,  # noqa: F401 - re-exported
    _event_source,  # noqa: F401 - re-exported
    _format_errors,  # noqa: F401 - re-exported
    _own_events,  # noqa: F401 - re-exported
    _read_file,  # noqa: F401 - re-exported
    _read_toml,  # noqa: F401 - re-exported
    _resolve_file,  # noqa: F401 - re-exported
    _set_path,  # noqa: F401 - re-exported
    load_scenario,  # noqa: F401 - re-exported
    parse_override,  # noqa: F401 - re-exported
    scenario_from_dict,  # noqa: F401 - re-exported
    scenario_notes,  # noqa: F401 - re-exported
    split_events,  # noqa: F401 - re-exported
    with_horizon,  # noqa: F401 - re-exported
    with_values,  # noqa: F401 - re-exported
)
from sim.scenario.schema.months import (
    ANCHOR_MONTH,  # noqa: F401 - re-exported
    MONTH_RE,  # noqa: F401 - re-exported
    START_RANGE,  # noqa: F401 - re-exported
    _month_add,  # noqa: F401 - re-exported
    month_index,  # noqa: F401 - re-exported
    month_label,  # noqa: F401 - re-exported
    parse_month,  # noqa: F401 - re-exported
)
from sim.scenario.schema.names import (
    NAME_MAX,  # noqa: F401 - re-exported
    folder_name,  # noqa: F401 - re-exported
    name_problem,  # noqa: F401 - re-exported
)
from sim.scenario.schema.paths import (
    _all_paths,  # noqa: F401 - re-exported
    field_info,  # noqa: F401 - re-exported
    parameter_paths,  # noqa: F401 - re-exported
)
from sim.scenario.schema.scenario import (
    Scenario,  # noqa: F401 - re-exported
)
from sim.scenario.schema.sections import (
    DECISIONS,  # noqa: F401 - re-exported
    Chips,  # noqa: F401 - re-exported
    Compute,  # noqa: F401 - re-exported
    Developers,  # noqa: F401 - re-exported
    Labs,  # noqa: F401 - re-exported
    Market,  # noqa: F401 - re-exported
    Segment,  # noqa: F401 - re-exported
    Segments,  # noqa: F401 - re-exported
    _segment,  # noqa: F401 - re-exported
    theories_using,  # noqa: F401 - re-exported
    unused_parameters,  # noqa: F401 - re-exported
)
