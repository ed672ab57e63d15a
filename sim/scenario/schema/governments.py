"""Governments and their dated policy events: a region's policy state (:class:`Government`), an adaptive rule
(:class:`ReactionRule`) and a dated change of one of its fields (:class:`Event`).
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import (
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sim import REGIONS
from sim.scenario.schema.fields import SEGMENTS, Bounded, P, Region, Segment_, _Strict
from sim.scenario.schema.months import parse_month


class ReactionRule(_Strict):
    """An adaptive policy: act each month when an observed lag crosses a threshold."""

    rival: Region = P("CN", unit="region", source="scenario choice", description="The region whose lag is watched.")
    tighten_when_lag_below_months: float | None = P(None, unit="months", ge=-120.0, le=120.0, source="scenario choice",
                                                    description="Raise export_control on the rival by `step` when the "
                                                                "rival's capability lag behind this region falls below this.")
    subsidise_when_lag_above_months: float | None = P(None, unit="months", ge=-120.0, le=120.0, source="scenario choice",
                                                      description="Raise own subsidy_rate by `step` when this region's lag "
                                                                  "behind the rival exceeds this.")
    step: float = P(0.1, unit="fraction per month", ge=0.0, le=1.0, source="scenario choice",
                    description="Size of one reaction.")
    cooldown_months: int = P(6, unit="months", ge=0, le=120, source="scenario choice",
                             description="Minimum months between reactions.")


class Government(_Strict):
    """A region's policy state (docs/ODD.md §2). Dated events change these fields."""

    export_control: dict[Region, Bounded(0.0, 1.0)] = P({}, unit="0..1 strictness", plausible=(0.0, 1.0),
                                            source="scenario (US rules of 2022-10, 2023-10, 2024-12)",
                                            description="Strictness of this government's frontier-chip controls on each "
                                                        "importing region: share of that region's frontier-chip demand denied "
                                                        "before leakage.")
    leakage: float = P(0.2, unit="fraction", ge=0.0, le=1.0, plausible=(0.05, 0.5),
                       source="assumption; smuggling, overseas cloud access and stockpiles (CNAS 2024 estimates)",
                       description="Share of controlled demand that still obtains frontier chips.")
    compliant_exports: dict[Region, Bounded(0.0, 1.0)] = P(
        {}, unit="0..1", plausible=(0.0, 1.0),
        source="scenario (e.g. the 2025-04 US licence requirement for H20 exports to China sets CN to 0)",
        description="Share of compliant (below-threshold) chip exports this government still allows to each importer it "
                    "controls (default 1: all); cuts that importer's alternative-chip supply by its compliant share.")
    api_block: list[Region] = P([], unit="regions", source="scenario (e.g. OpenAI blocked API access from China, 2024-07)",
                                description="Regions whose developers this region's labs do not serve; the labs of those "
                                            "regions cannot distil these labs' closed models through the API either.")
    ban_foreign_closed: bool = P(False, unit="flag", source="scenario",
                                 description="This region's developers may not use foreign closed APIs.")
    ban_foreign_open: list[Region] = P([], unit="regions", source="scenario (e.g. the 2025 US bills to bar Chinese "
                                       "AI models such as DeepSeek; US states' bans on government devices, 2025-01/02)",
                                       description="Origins whose open-weight models this region's developers (of the "
                                                   "segments in ban_segments) may not use; when ban_segments includes "
                                                   "'enterprise', this region's labs may not distil them either.")
    ban_segments: list[Segment_] = P(list(SEGMENTS), unit="segments", source="scenario",
                                     description="Developer segments that ban_foreign_open applies to (default all).")
    weight_export_control: list[Region] = P([], unit="regions",
                                            source="scenario (BIS 'Framework for Artificial Intelligence Diffusion', "
                                                   "2025-01-13: ECCN 4E091 licence requirement for exporting the "
                                                   "weights of closed models trained with more than 1e26 operations, "
                                                   "outside Tier 1; rescinded 2025-05-13)",
                                            description="Regions to which this region's labs may not export closed model "
                                                        "weights: their closed models cannot be hosted there, so the "
                                                        "developers there keep the full foreign distrust "
                                                        "(developers.closed_hosting_discount does not apply).")
    open_weight_threshold: float | None = P(None, unit="capability (log10 effective FLOP)", ge=0.0, le=40.0,
                                            source="scenario",
                                            description="Capability above which this region's labs may not release open "
                                                        "weights (none: no restriction).")
    subsidy_rate: float = P(0.0, unit="fraction of compute spend", ge=0.0, le=0.9, plausible=(0.0, 0.5),
                            source="scenario", description="Share of domestic labs' compute spend paid by the state.")
    open_support: float = P(0.0, unit="fraction of closed payoff", ge=0.0, le=5.0, plausible=(0.0, 0.5),
                            source="scenario",
                            description="Payoff bonus for a domestic open release, as a share of the size of the lab's closed payoff "
                                        "(its absolute value: a closed API priced below cost loses money).")
    open_endorsement: float = P(0.0, unit="logit", ge=-5.0, le=5.0, plausible=(0.0, 1.0),
                                source="scenario: China's State Council 'AI+' Opinions (2025-08-26) ask to "
                                       "'support open source' and build open-source ecosystems; argued size 0.5 in "
                                       "scenarios/baseline.toml (a third of the spread of the labs' open_bias), with "
                                       "0-1 as its sensitivity range; never fitted to 2025",
                                description="A government's endorsement of open-weight release (negative: discouragement), "
                                            "added to its domestic labs' open/closed index from the month it is set.")
    api_price_floor: float | None = P(None, unit="x serving cost", ge=0.0, le=100.0,
                                      source="scenario (a rule against below-cost pricing of AI services; e.g. China's "
                                             "revised Anti-Unfair Competition Law, 2025-06, against forced below-cost "
                                             "pricing)",
                                      description="Lowest price of this region's closed APIs as a multiple of their "
                                                  "serving cost (none: no rule); a floor of 1 forbids pricing below cost.")
    state_investment_usd_per_year: float = P(0.0, unit="USD per year", ge=0.0, le=1e12, plausible=(0.0, 2e10),
                                             source="scenario: e.g. China's National AI Industry Investment Fund "
                                                    "(2025-01, RMB 60.06B, ~USD 8.2B; press, secondary); before "
                                                    "2025 state guidance funds invested inside the start-ups' "
                                                    "rounds, which the venture component counts (docs/ODD.md 7.9)",
                                             description="State equity investment in this region's labs, shared among "
                                                         "them by standing as investors' money is (0: none).")
    reaction: ReactionRule | None = P(None, unit="rule", source="scenario", description="Optional adaptive policy rule.")


GOV_FIELDS = tuple(Government.model_fields)


REGION_KEYED_GOV_FIELDS = ("export_control", "compliant_exports")
"""Government fields that are per-importer dicts; events address them as ``field.REGION``."""


OTHER_REGION_GOV_FIELDS = ("export_control", "compliant_exports", "api_block", "ban_foreign_open",
                           "weight_export_control")
"""Government fields that name other regions (never the government's own: Scenario validation rejects it)."""


class Event(_Strict):
    """A dated policy change: ``government``'s ``field`` becomes ``value`` from ``month`` on."""

    month: str = Field(..., description="Month the change takes effect, YYYY-MM.")
    government: Region = Field(..., description="The government that acts.")
    field: str = Field(..., description="Government field, e.g. 'export_control.CN', 'leakage', 'api_block'.")
    value: Any = Field(..., description="New value; validated against the government field's type and range.")
    note: str = Field("", description="What the event is and its source.")

    @field_validator("month")
    @classmethod
    def _month(cls, v: str) -> str:
        parse_month(v)
        return v

    @model_validator(mode="after")
    def _check_field(self) -> Event:
        head, _, key = self.field.partition(".")
        if head not in GOV_FIELDS:
            close = difflib.get_close_matches(head, GOV_FIELDS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown government field {head!r}{hint}; allowed: {', '.join(GOV_FIELDS)}")
        if key:
            if head not in REGION_KEYED_GOV_FIELDS:
                raise ValueError(f"only {' and '.join(REGION_KEYED_GOV_FIELDS)} take a region suffix, not {head!r}")
            if key not in REGIONS:
                raise ValueError(f"unknown region {key!r}; allowed: {', '.join(REGIONS)}")
        # validate the value by applying it to a default Government
        try:
            apply_event_value(Government(), self.field, self.value)
        except ValidationError as e:
            msgs = "; ".join(x["msg"].removeprefix("Value error, ") for x in e.errors())
            raise ValueError(f"value {self.value!r} not allowed for {self.field}: {msgs}") from None
        return self


def apply_event_value(gov: Government, field: str, value: Any) -> None:
    """Set ``field`` (``name`` or ``export_control.REGION``) of a Government, validating the value.

    Raises ValueError (pydantic ValidationError) when the value is not allowed for that field."""
    head, _, key = field.partition(".")
    if key:
        new = dict(getattr(gov, head))
        new[key] = value
        setattr(gov, head, new)
    else:
        setattr(gov, head, value)


def _default_governments() -> dict[str, Government]:
    return {r: Government() for r in REGIONS}
