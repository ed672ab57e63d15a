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
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim import REGIONS

Region = Literal["US", "CN", "EU", "ROW"]


def Bounded(lo: float, hi: float) -> Any:
    """A float constrained to ``lo..hi``: the value type of per-region dict parameters."""
    return Annotated[float, Field(ge=lo, le=hi)]


MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
START_RANGE = ("2000-01", "2100-12")
"""Allowed range of a scenario's ``start`` (YYYY-MM): years far from the roster's make its initial compute and
budgets overflow."""


ANCHOR_MONTH = "2024-07"
"""The month at which the cited levels of the chip supply, the outside chip demand, the alternative-chip supply and
the developer market are given (mid-2024, the last full year of calibration data); paths grow from it both ways."""


class ScenarioError(ValueError):
    """A scenario file or override is invalid. The message names the file, the field and what is allowed."""


NAME_MAX = 100
"""Longest scenario name (it becomes part of an output folder's name)."""


def name_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a scenario's ``name`` (which names its output folder), or None when it can: a
    name is a non-empty string of at most :data:`NAME_MAX` characters, without a path separator (``/``, ``\\``),
    ``..``, a leading dot or control characters, so that it never leaves ``results/`` or hides there."""
    if not isinstance(value, str):
        return f"expected a string, got {value!r}"
    allowed = ("allowed: a non-empty name without '/', '\\', '..', a leading dot or control characters, "
               f"at most {NAME_MAX} characters, e.g. \"baseline_strict\"")
    if not value.strip():
        return f"empty; {allowed}"
    if "/" in value or "\\" in value:
        return f"{value!r} contains a path separator; a name is not a path ({allowed})"
    if ".." in value or value.startswith("."):
        what = "contains '..'" if ".." in value else "starts with a dot"
        return f"{value!r} {what}; a name is not a path ({allowed})"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return f"{value!r} contains a control character ({allowed})"
    if len(value) > NAME_MAX:
        return f"{len(value)} characters long ({allowed})"
    return None


def folder_name(name: str) -> str:
    """``name`` (a valid scenario name, :func:`name_problem`) as a folder name that is safe on every platform:
    characters other than letters, digits and ``._=+-`` become ``-``; never empty, never starting with a dot."""
    safe = re.sub(r"[^A-Za-z0-9._=+-]+", "-", name).strip("-") or "unnamed"
    return ("_" + safe) if safe.startswith(".") else safe


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
        return f"a number from {ge:g} to {le:g}"
    if ge is not None:
        return f"a number >= {ge:g}"
    return f"a number <= {le:g}" if le is not None else "a finite number"


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
        """A per-region parameter given for some regions only (``[compute.alt_supply_h100e] CN = 200`` or
        ``--set compute.alt_supply_h100e.CN=200``) keeps its defaults for the other regions."""
        if not isinstance(data, dict):
            return data
        for name, f in cls.model_fields.items():
            default, given = f.default, data.get(name)
            if (name != "region_shares" and isinstance(given, dict) and isinstance(default, dict) and default
                    and set(default) == set(REGIONS) and set(given) < set(REGIONS)):
                data = {**data, name: {**default, **given}}
        return data


def parse_month(value: str) -> tuple[int, int]:
    """Parse ``"YYYY-MM"`` into ``(year, month)``. Raises ValueError otherwise."""
    m = MONTH_RE.match(str(value))
    if not m:
        raise ValueError(f"{value!r} is not a month; expected YYYY-MM, e.g. 2022-10")
    return int(m.group(1)), int(m.group(2))


def _month_add(start: str, k: int) -> str:
    y, m = parse_month(start)
    n = y * 12 + m - 1 + k
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def month_label(start: str, t: int) -> str:
    """``YYYY-MM`` of month ``t`` (0-based) after ``start`` (``YYYY-MM``; not validated: the model's hot path)."""
    y, m = int(start[:4]), int(start[5:7])
    k = y * 12 + (m - 1) + t
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def month_index(start: str, month: str) -> int:
    """Months from ``start`` to ``month`` (both ``YYYY-MM``); 0 when equal, negative when before."""
    y0, m0 = parse_month(start)
    y1, m1 = parse_month(month)
    return (y1 - y0) * 12 + (m1 - m0)


class Compute(_Strict):
    """Chips, training and algorithmic progress (DESIGN.md §2-3)."""

    h100e_peak_flops: float = P(989e12, unit="FLOP/s per H100e", ge=1e12, le=1e16,
                                source="NVIDIA H100 SXM dense BF16 spec (989 TFLOP/s); DESIGN.md §2",
                                description="Peak dense BF16 throughput of one H100-equivalent.")
    utilization: float = P(0.40, unit="fraction", ge=0.05, le=0.9, plausible=(0.3, 0.5),
                           source="Epoch AI model records: median reported MFU of large runs ~0.3-0.5 (2023-24)",
                           description="Model FLOP utilisation of training compute.")
    final_run_share: float = P(0.04, unit="fraction", ge=0.005, le=1.0, plausible=(0.03, 0.3),
                               source="calibrated (issue 14): labs then hold ~1.5M H100e in 2024-07, as Epoch AI's "
                                      "estimate of Google's (>1M) and Microsoft's (~0.5M) H100-equivalents (Epoch AI, "
                                      "'Leading AI companies have hundreds of thousands of cutting-edge AI chips', "
                                      "2024-10); Cottier et al. 2024 find R&D compute a multiple of the final run",
                               description="Share of a lab's training compute that ends in the released model's final run.")
    run_duration_months: float = P(3.9, unit="months (at 2024-07)", ge=0.1, le=36.0, plausible=(2.5, 5.0),
                                   source="Epoch AI 2025, 'Frontier training runs will likely stop getting longer by "
                                          "around 2027' (data insight, 2025-07): frontier LLM training time grew 1.4x "
                                          "a year since 2020 and reaches ~9 months around 2027: 9 / 1.4^2.5 = 3.9",
                                   description="Length of a frontier final training run; a longer run puts more of a "
                                               "lab's compute into its final run (final_run_share scales with it).")
    run_duration_growth_per_year: float = P(1.4, unit="x per year", ge=1.0, le=3.0, plausible=(1.3, 1.5),
                                            source="Epoch AI 2025 (same data insight): 1.4x a year, 90% CI 1.3-1.5",
                                            description="Growth of the final run's length.")
    max_run_duration_months: float = P(9.0, unit="months", ge=0.1, le=36.0, plausible=(6.0, 12.0),
                                       source="Epoch AI 2025 (same data insight): runs longer than ~9 months are "
                                              "outclassed by runs that start later on better hardware and algorithms",
                                       description="Longest final run.")
    train_share: float = P(0.7, unit="fraction", ge=0.1, le=1.0, plausible=(0.5, 0.9),
                           source="assumption (rest: experiments, internal use)",
                           description="Share of a lab's compute available for training when it serves no API.")
    max_inference_share: float = P(0.6, unit="fraction", ge=0.0, le=0.95, plausible=(0.4, 0.8),
                                   source="assumption",
                                   description="Most of its compute a closed lab diverts to serving its API.")
    inference_intensity: float = P(0.25, unit="fraction of world lab compute", ge=0.0, le=2.0, plausible=(0.1, 0.5),
                                   source="assumption; inference was roughly a third of AI compute in 2023-24 (Epoch AI commentary)",
                                   description="World inference demand of all developers, as a share of all labs' compute; "
                                               "a closed lab must serve its adopters' share of it.")
    tau_alg_months: float = P(4.5, unit="months", ge=1.0, le=36.0, plausible=(3.0, 8.0),
                              source="this project's ECI link (data/targets/eci_link.csv; `aieco data targets`): "
                                     "12 log10(2) x 9.57 ECI/OOM / 7.73 ECI/yr = 4.47 months (SEs imply about 2.5-8), "
                                     "fitted on Epoch ECI x training compute, releases 2023-2024; it counts post-training "
                                     "and data progress, hence faster than Ho et al. 2024's pre-training-only 8 months "
                                     "(95% CI 5-14, arXiv:2403.05812)",
                              description="Halving time of the compute needed for a given capability (algorithmic "
                                          "progress, common to all labs).")
    eci_per_oom: float = P(9.57, unit="ECI points per OOM", ge=0.1, le=50.0, plausible=(7.0, 12.0),
                           source="this project's ECI link (data/targets/eci_link.csv): OLS of Epoch's Capabilities "
                                  "Index on log10 training compute and release date, n=46 exact-name matches released "
                                  "2023-2024, R^2 0.70, SE 1.35",
                           description="Output mapping: ECI points per order of magnitude of effective compute.")
    eci_ref: float = P(122.8, unit="ECI points", ge=0.0, le=300.0, plausible=(120.0, 126.0),
                       source="this project's ECI link (data/targets/eci_link.csv): -116.5 + 25 x 9.57",
                       description="Output mapping: ECI of a model trained with 1e25 FLOP released on 2024-01-01.")
    price_usd_per_h100e: float = P(60_000.0, unit="USD per H100e (2022)", ge=1_000.0, le=1e6, plausible=(30_000.0, 100_000.0),
                                   source="Epoch ML hardware data (A100 ~USD 15k at 0.31 H100e) x ~1.5 cluster overhead "
                                          "(Cottier et al. 2024)",
                                   description="All-in acquisition cost of one H100e of frontier chips at the start date.")
    price_perf_doubling_months: float = P(30.0, unit="months", ge=6.0, le=120.0, plausible=(25.0, 36.0),
                                          source="Epoch AI 2022, 'Trends in GPU price-performance' (~2.5 years)",
                                          description="Doubling time of FLOP/s per dollar.")
    depreciation_months: float = P(48.0, unit="months", ge=6.0, le=120.0, plausible=(36.0, 60.0),
                                   source="assumption; typical 4-6 year accounting lives of accelerators",
                                   description="Mean life of an accelerator (exponential depreciation).")
    eta_alt: float = P(0.4, unit="H100e per H100e-price", ge=0.01, le=1.0, plausible=(0.2, 0.7),
                       source="Epoch ML hardware data: TPP of H20 2,368 and Ascend 910B 6,016 vs H100 15,832, "
                              "at similar or lower prices",
                       description="Performance per dollar of alternative (domestic or compliant) chips relative to frontier chips.")
    alt_supply_h100e: dict[Region, Bounded(0.0, 1e12)] = P(
        {"US": 1e9, "CN": 1.8e4, "EU": 1e9, "ROW": 1e9}, unit="H100e per month (at 2024-07)", plausible=(8e3, 4e4),
        source="China: Huawei Ascend output of ~200k 910B dies in 2024 (~0.32 H100e each at 320 dense FP16 TFLOP/s: "
               "~5.3k H100e/month; FT via DIGITIMES Asia, 2025-02, secondary) plus ~1M compliant NVIDIA H20 in 2024 "
               "(~0.15 H100e each: ~12.5k H100e/month; press reports, secondary); unconstrained (1e9) where no "
               "controls bind",
        description="Supply of alternative chips (domestic, or compliant imports) a region's labs can buy each month, "
                    "at 2024-07, shared pro rata; alternative chips are sold at the list price / eta_alt.")
    alt_supply_growth_per_year: float = P(2.8, unit="x per year", ge=0.5, le=10.0, plausible=(1.5, 4.0),
                                          source="Huawei Ascend: ~64k H100e made in 2024, ~175k in 2025 (300k 910B + "
                                                 "100k 910C; FT via DIGITIMES, 2025-02) and a plan of 600k 910C in 2026 "
                                                 "(Bloomberg, 2025-09): ~2.7-3.4x a year (secondary)",
                                          description="Growth factor of the alternative-chip supply.")
    alt_supply_growth_after_per_year: float = P(1.6, unit="x per year", ge=0.5, le=10.0, plausible=(1.2, 2.5),
                                                source="assumption: Huawei's plan of up to 1.6M Ascend dies in 2026 "
                                                       "(Bloomberg, 2025-09; ~2x 2025, secondary), limited afterwards "
                                                       "by SMIC's 7/5 nm capacity without EUV tools",
                                                description="Growth of the alternative-chip supply from the scenario's "
                                                            "projection_from on.")
    compliant_share_of_alt: dict[Region, Bounded(0.0, 1.0)] = P(
        {"US": 0.0, "CN": 0.7, "EU": 0.0, "ROW": 0.5}, unit="fraction", plausible=(0.5, 0.85),
        source="China 2024: ~12.5k H100e/month of H20 against ~5.3k of Ascend (see alt_supply_h100e; secondary)",
        description="Share of a region's alternative-chip supply that is compliant (downgraded) chips imported from the "
                    "controlling exporter rather than domestic chips; an exporter's compliant_exports scales it.")


class Chips(_Strict):
    """One world supply of frontier AI chips, sold at a price that clears demand (ODD 7.3)."""

    production_h100e_per_month: float = P(2.5e5, unit="H100e per month (at 2024-07)", ge=1.0, le=1e12,
                                          plausible=(1.5e5, 4e5),
                                          source="Sevilla et al. 2024 ('Can AI scaling continue through 2030?', Epoch "
                                                 "AI): 1.5-2M H100 shipped by NVIDIA in 2024; NVIDIA holds ~60% of the "
                                                 "world's AI compute (Epoch AI, 'AI Chip Sales', 2026-01, via press "
                                                 "reports: secondary): ~3M H100e in 2024",
                                          description="World production of frontier AI accelerators (NVIDIA, TPU, "
                                                      "Trainium, AMD) in 2024-07; the path grows from it both ways.")
    production_growth_per_year: float = P(3.3, unit="x per year", ge=1.0, le=20.0, plausible=(2.7, 4.1),
                                          source="Epoch AI, 'AI Chip Sales' (2026-01): installed AI compute grew 3.3x "
                                                 "a year since 2022 (90% CI 2.7-4.1; press reports of the database, "
                                                 "secondary)",
                                          description="Growth of world chip production before the scenario's projection_from.")
    production_growth_after_per_year: float = P(1.4, unit="x per year", ge=0.5, le=20.0, plausible=(1.1, 2.0),
                                                source="Sevilla et al. 2024: about 100M H100e a year producible by "
                                                       "2030, bounded by advanced packaging (CoWoS) and HBM, with a "
                                                       "wide range; 1.4x from ~1.4M/month at 2025-12 gives ~90M in 2030",
                                                description="Growth of world chip production from the scenario's projection_from on.")
    outside_demand_usd_per_month: float = P(4e9, unit="USD per month (at 2024-07)", ge=0.0, le=1e15,
                                            plausible=(1e9, 5e9),
                                            source="Epoch AI, 'AI Chip Owners' (2026; via press reports, secondary): "
                                                   "the 'Other' owners, Oracle and clouds for enterprises hold ~30-40% "
                                                   "of the world's AI compute: ~USD 30-50B of 2024 chip spending",
                                            description="Chip spending of buyers outside the modelled labs (clouds for "
                                                        "other customers, enterprises, governments).")
    outside_demand_growth_per_year: float = P(2.3, unit="x per year", ge=0.5, le=20.0, plausible=(1.6, 3.2),
                                              source="NVIDIA data-centre revenue, fiscal years 2023-2026 (10-K filings: "
                                                     "USD 15.0B, 47.5B, 115.2B, ~180B; calendar 2022-2025): 2.3x a year "
                                                     "on average (3.2x, 2.4x, 1.6x)",
                                              description="Growth of the outside buyers' chip spending before the scenario's "
                                                          "projection_from (from then on it grows with the developer "
                                                          "market, market.market_growth_after_per_year).")



class Labs(_Strict):
    """Lab behaviour: spending, release cycles and the open/closed choice (DESIGN.md §4)."""

    compute_spend_share: float = P(0.5, unit="fraction of income", ge=0.05, le=1.0, plausible=(0.3, 0.7),
                                   source="assumption; compute is the largest cost of frontier labs",
                                   description="Share of monthly income spent on chips.")
    release_cycle_months: int = P(12, unit="months", ge=1, le=48, plausible=(6, 18),
                                  source="Epoch notable models: frontier labs release a flagship roughly yearly",
                                  description="Months between a lab's flagship releases (phases are staggered at random).")
    distill_share_at_parity: float = P(0.63, unit="fraction of the gap", ge=0.0, le=0.95, plausible=(0.45, 0.8),
                                       source="fit to DeepSeek-R1's distilled students (arXiv:2501.12948 Table 5, "
                                              "GPQA Diamond; data/distillation_r1.csv; sim.model.distillation.fit_absorption): "
                                              "0.63, logit SE 0.12",
                                       description="Share of the capability gap to a teacher that a student with as much "
                                                   "training compute as the teacher closes by distillation.")
    distill_compute_elasticity: float = P(0.53, unit="logit per ln(compute ratio)", ge=0.0, le=3.0,
                                          plausible=(0.3, 0.8),
                                          source="same fit as distill_share_at_parity (5 students, 7B-70B): 0.53, SE 0.11",
                                          description="How fast the share closed falls as the student's training compute "
                                                      "falls below its teacher's (a student with 10x less compute closes "
                                                      "less of the gap).")
    distill_delay_months: int = P(3, unit="months", ge=1, le=36, plausible=(1, 9),
                                  source="secondary: third-party distillations followed their teachers by 1-3 months "
                                         "(Sky-T1 from QwQ, s1 from Gemini 2.0 Flash Thinking, OpenThinker from R1; "
                                         "project reports, 2025); assumption for the upper end",
                                  description="Months after a teacher's release before other labs' releases can learn from it.")
    api_distill_efficiency: float = P(0.5, unit="fraction", ge=0.0, le=1.0, plausible=(0.2, 1.0),
                                      source="assumption: through an API a student sees sampled outputs only (no weights "
                                             "or logits; reasoning traces hidden, e.g. OpenAI o1), under rate limits and "
                                             "terms of service that forbid training competitors",
                                      description="Share of the open-weight distillation uplift a student gets from a "
                                                  "closed model through its API (0: APIs teach nothing).")
    beta: float = P(4.0, unit="1 (logit slope)", ge=0.0, le=50.0, plausible=(1.0, 10.0),
                    source="assumption; to be calibrated",
                    description="Sensitivity of the open/closed choice to the normalised payoff difference.")
    open_capture: float = P(0.15, unit="fraction", ge=0.0, le=1.0, plausible=(0.05, 0.4),
                            source="assumption; open labs monetise through services, hosting partners and reputation",
                            description="Share of the value of its adopters that an open-weight lab captures as revenue.")
    margin: float = P(0.6, unit="fraction", ge=0.0, le=1.0, plausible=(0.4, 0.8),
                      source="assumption; reported API gross margins 50-70%",
                      description="Share of closed API revenue kept after serving costs.")
    spill_coef: float = P(0.3, unit="per OOM of lead", ge=0.0, le=5.0, plausible=(0.0, 1.0),
                          source="assumption",
                          description="Cost of opening a model, per OOM of the lab's lead over the best open model, as a "
                                      "share of its closed payoff (opening hands the lead to rivals).")
    open_bias_scale: float = P(1.0, unit="1", ge=0.0, le=5.0, plausible=(0.5, 1.5),
                               source="assumption",
                               description="Multiplier of the roster's per-lab open_bias trait (logit scale).")
    funding_kappa: float = P(2.0, unit="per OOM", ge=0.0, le=10.0, plausible=(0.5, 4.0),
                             source="assumption",
                             description="Investors' weight on standing: a lab's share of its region's investment is "
                                         "proportional to exp(kappa x (capability - region's best)) x (its revenue + "
                                         "the region's mean revenue per lab).")
    market_exit_from: str = P("2026-01", unit="YYYY-MM", source="the roster's dated entries and exits end in 2025 "
                              "(data/lab_exits.csv)",
                              description="First month in which labs exit through money (before it, only the "
                                          "roster's dated exits).")
    exit_budget_coverage: float = P(1.0, unit="fraction", ge=0.0, le=2.0, plausible=(0.5, 1.0),
                                    source="argued: a chip budget below the compute's depreciation means the lab's "
                                           "compute shrinks while the frontier's grows several-fold a year; Inflection "
                                           "AI (2024-03) and Character.AI (2024-08) were acqui-hired once they could "
                                           "not fund frontier compute (press reports)",
                                    description="A lab exits (or is acquired) when its chip budget covers less than "
                                                "this share of its compute's depreciation at the list price ...")
    exit_after_months: int = P(12, unit="months", ge=1, le=60, plausible=(6, 24),
                               source="assumption (about one funding cycle)",
                               description="... for this many months in a row.")
    entry_rate_per_year: float = P(2.0, unit="labs per year (world)", ge=0.0, le=50.0, plausible=(0.5, 6.0),
                                   source="frontier labs founded on rounds of USD 1B or more, 2024-2025: xAI's USD 6B "
                                          "(2024), Safe Superintelligence (USD 1B, 2024-09), Thinking Machines (USD 2B "
                                          "seed, 2025-07), Reflection AI (USD 2B, 2025-10) (press reports, secondary): "
                                          "about 2 a year",
                                   description="From labs.market_exit_from on, investors fund new labs at this rate, "
                                               "in each region in proportion to its share of the world's investment.")
    entrant_funding_usd: float = P(2e9, unit="USD", ge=1e6, le=1e12, plausible=(5e8, 1e10),
                                   source="the same rounds (USD 1-6B)",
                                   description="First round of an investor-funded entrant; compute_spend_share of it "
                                               "buys its first compute at the list price.")
    max_market_entrants: int = P(8, unit="labs", ge=0, le=64, source="numerical choice: slots for investor-funded "
                                 "entrants (each region gets every R-th); more than the rate fills by 2030",
                                 description="Most investor-funded entrants a run can have.")

    @field_validator("market_exit_from")
    @classmethod
    def _exit_month(cls, v: str) -> str:
        parse_month(v)
        return v


Segment_ = Literal["enterprise", "startup", "research", "public"]
SEGMENTS = ("enterprise", "startup", "research", "public")
"""Developer segments, in this order (index = segment code)."""


class Segment(_Strict):
    """One developer segment: its share of every region's developers and its tastes relative to the population's."""

    share: float = P(0.25, unit="fraction", ge=0.0, le=1.0, source="see the segment", description="Share of developers.")
    review_scale: float = P(1.0, unit="x developers.review_rate", ge=0.0, le=10.0, source="see the segment",
                            description="Review rate as a multiple of developers.review_rate.")
    w_price_scale: float = P(1.0, unit="x developers.w_price", ge=0.0, le=10.0, source="see the segment",
                             description="Price sensitivity as a multiple of developers.w_price.")
    w_sov_scale: float = P(1.0, unit="x sovereignty distrust", ge=0.0, le=10.0, source="see the segment",
                           description="Distrust of foreign models as a multiple of the developer's w_sov.")
    w_open_shift: float = P(0.0, unit="utility", ge=-5.0, le=5.0, source="see the segment",
                            description="Value of open weights added to the developer's w_open.")


def _segment(source: str, **values: float) -> Any:
    defaults = Segment(**values)
    return Field(default_factory=lambda: defaults.model_copy(), description=f"Segment parameters. Source: {source}",
                 json_schema_extra={"unit": "segment", "source": source})


class Segments(_Strict):
    """Developer segments with their own weights and review rates (shares sum to 1). Evidence on segment tastes is
    thin: each default is an argued assumption, and shares are equal in every region."""

    enterprise: Segment = _segment(
        "assumption: established firms review suppliers slowly (annual procurement, security review) and weigh "
        "data jurisdiction (Menlo Ventures 2024 'State of Generative AI in the Enterprise': security and data "
        "privacy among top selection criteria; secondary)", share=0.55, review_scale=0.5, w_price_scale=0.6,
        w_sov_scale=1.2)
    startup: Segment = _segment(
        "assumption: small firms switch fast and buy on price (secondary: OpenRouter token shares shift within weeks "
        "of cheaper releases)", share=0.25, review_scale=2.0, w_price_scale=1.6, w_sov_scale=0.6)
    research: Segment = _segment(
        "assumption: research needs weights (fine-tuning, interpretability): Hugging Face downloads are dominated "
        "by open base models; little distrust, price-sensitive budgets", share=0.12, review_scale=2.0,
        w_price_scale=1.5, w_sov_scale=0.3, w_open_shift=1.0)
    public: Segment = _segment(
        "assumption: governments weigh sovereignty most and procure slowly (several US states and Australia, Italy, "
        "South Korea and Taiwan barred DeepSeek on government devices in 2025-01/02; press reports, secondary)",
        share=0.08, review_scale=0.3, w_price_scale=0.5, w_sov_scale=3.0)

    @model_validator(mode="after")
    def _shares(self) -> Segments:
        total = sum(getattr(self, k).share for k in SEGMENTS)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"segment shares must sum to 1 (they sum to {total:.6g}): "
                             + ", ".join(f"{k}={getattr(self, k).share:g}" for k in SEGMENTS))
        return self


class Developers(_Strict):
    """The vectorised developer population and its random-utility choice (DESIGN.md §4)."""

    n: int = P(5000, unit="agents", ge=10, le=2_000_000, source="model resolution, not an empirical number",
               description="Number of developer agents.")
    region_shares: dict[Region, Bounded(0.0, 1.0)] = P(
        {"US": 0.2, "CN": 0.15, "EU": 0.2, "ROW": 0.45}, unit="fraction",
        source="GitHub Octoverse 2024 developer counts (US ~22M, India ~17M, China ~10M, Europe ~25M), rounded",
        description="Share of the world's developers in each region; must sum to 1.")
    review_rate: float = P(0.1, unit="per month", ge=0.0, le=1.0, plausible=(0.03, 0.3),
                           source="assumption",
                           description="Share of developers who reconsider their model each month.")
    w_cap_mean: float = P(1.0, unit="utility per c_scale", ge=0.0, le=10.0, plausible=(0.5, 2.0),
                          source="normalisation", description="Mean capability sensitivity.")
    w_cap_sd: float = P(0.3, unit="utility per c_scale", ge=0.0, le=5.0, source="assumption",
                        description="Spread of capability sensitivity (normal, truncated at 0).")
    c_scale: float = P(0.5, unit="OOM of effective compute", ge=0.01, le=5.0, plausible=(0.25, 1.0),
                       source="assumption", description="Capability gap that costs w_cap units of utility.")
    w_price: float = P(0.5, unit="utility per decade of price", ge=0.0, le=10.0, plausible=(0.2, 1.5),
                       source="assumption: no primary estimate of developers' price elasticity between models found; "
                              "secondary: OpenRouter's token shares (2024-2025) moved to models about 10x cheaper at "
                              "similar capability (DeepSeek, Gemini Flash); 0.5 makes a 10x cheaper model worth a "
                              "quarter OOM of capability at the default c_scale",
                       description="Price sensitivity: utility lost per factor-10 higher price per token (log price).")
    api_markup: dict[Region, Bounded(0.01, 100.0)] = P(
        {"US": 3.0, "CN": 0.45, "EU": 2.3, "ROW": 2.5}, unit="x serving cost", plausible=(0.3, 5.0),
        source="list prices per million tokens (blended 3 input : 1 output) over the serving cost of a model of the "
               "same training compute (hosting_usd_per_mtok, hosting_size_elasticity, chip access of the lab's "
               "region): US: OpenAI GPT-4o USD 2.50/10 (2024-08, openai.com/api/pricing; 3.8e25 FLOP per Epoch) "
               "-> 2.5x, Anthropic Claude 3.5 Sonnet USD 3/15 (2024-06, anthropic.com/pricing) -> 3.5x; CN: DeepSeek-V3 "
               "USD 0.27/1.10 (2025-02, api-docs.deepseek.com/quick_start/pricing; 3.4e24 FLOP) with China's 2025 "
               "chip-cost multiplier 2.0 -> 0.45x; EU: Mistral Large 2 USD 2/6 (2024-07, mistral.ai pricing; 2.1e25 "
               "FLOP) -> 2.3x; ROW: assumption (between US and EU)",
        description="Price of a closed API per token as a multiple of the serving cost of a model of its size (by "
                    "the lab's region): Chinese APIs were priced far below US ones in 2024-2025.")
    hosting_usd_per_mtok: float = P(0.9, unit="USD per million tokens", ge=0.001, le=100.0, plausible=(0.5, 1.5),
                                    source="Together AI list price for Llama 3.1 70B (Turbo) USD 0.88 per million "
                                           "tokens (together.ai/pricing, 2024-07); Llama 3.1 70B was trained with "
                                           "7.9e24 FLOP (Meta model card; Epoch AI); rounded to a 1e25 FLOP model",
                                    description="Cost of hosting an open-weight model trained with 1e25 FLOP (own or "
                                                "third-party hosting, frontier chips), per million tokens.")
    hosting_size_elasticity: float = P(0.5, unit="log cost per log training FLOP", ge=0.0, le=1.5,
                                       plausible=(0.3, 0.7),
                                       source="inference FLOP per token ~ 2 x parameters (Kaplan et al. 2020, "
                                              "arXiv:2001.08361) and compute-optimal parameters ~ C^0.5 (Hoffmann et "
                                              "al. 2022, arXiv:2203.15556); Together AI's 2024 prices for Llama 3.1 "
                                              "405B vs 70B (USD 3.50 vs 0.88, 4.8x the FLOP) imply 0.9; mixture-of-"
                                              "experts models serve below it",
                                       description="How the serving cost of a model grows with its training compute: "
                                                   "cost ~ (train FLOP / 1e25)^elasticity.")
    w_lock: float = P(1.0, unit="utility", ge=0.0, le=10.0, plausible=(0.0, 2.5),
                      source="secondary: Menlo Ventures, '2025 Mid-Year LLM Market Update' (survey of ~150 technical "
                             "leaders, 2025-07): most teams that changed models upgraded within their provider, about "
                             "one in ten switched provider; the size in utility units is an assumption",
                      description="Switching cost: utility bonus, at a review, of the model family (lab) a developer "
                                  "already builds on (fine-tunes, prompts, tooling and derivatives are family-specific).")
    w_open_mean: float = P(0.5, unit="utility", ge=-5.0, le=5.0, plausible=(0.0, 1.5),
                           source="assumption; to be calibrated",
                           description="Mean value of open weights (customisation, privacy, self-hosting).")
    w_open_sd: float = P(0.5, unit="utility", ge=0.0, le=5.0, source="assumption",
                         description="Spread of the value of open weights.")
    w_sov_mean: float = P(1.0, unit="utility", ge=0.0, le=10.0, plausible=(0.0, 2.0),
                          source="assumption",
                          description="Mean distrust of a closed API hosted in another region (scaled by origin "
                                      "foreign_distrust, developer region distrust_dev_scale and segment w_sov_scale).")
    w_sov_sd: float = P(0.5, unit="utility", ge=0.0, le=5.0, source="assumption",
                        description="Spread of that distrust (normal, truncated at 0).")
    foreign_distrust: dict[Region, Bounded(0.0, 10.0)] = P(
        {"US": 0.4, "CN": 1.5, "EU": 0.3, "ROW": 0.6}, unit="multiplier of w_sov", plausible=(0.0, 2.0),
        source="assumption; enterprise surveys report far more reluctance to send data to Chinese than to US "
               "cloud APIs outside China",
        description="Distrust of a closed API hosted in each region, felt by developers outside that region.")
    distrust_dev_scale: dict[Region, Bounded(0.0, 10.0)] = P(
        {"US": 1.0, "CN": 1.0, "EU": 1.0, "ROW": 1.0}, unit="multiplier of w_sov", plausible=(0.5, 1.5),
        source="assumption: no survey comparing developers' distrust of foreign AI providers across regions found; "
               "equal by default",
        description="How strongly developers of each region feel the distrust of foreign models (the trust matrix is "
                    "distrust_dev_scale[developer region] x foreign_distrust[model origin]).")
    open_sov_discount: float = P(0.8, unit="fraction", ge=0.0, le=1.0, plausible=(0.5, 0.95),
                                 source="DESIGN.md §4; self-hosted weights keep data in the developer's jurisdiction, "
                                        "but not all distrust goes: NIST CAISI, 'Evaluation of DeepSeek AI Models' "
                                        "(2025-09) found DeepSeek's open models echoing state narratives and more "
                                        "susceptible to agent hijacking; share removed is an assumption",
                                 description="Share of the foreign distrust that open weights remove (self-hosting).")
    closed_hosting_discount: float = P(0.3, unit="fraction", ge=0.0, le=1.0, plausible=(0.0, 0.6),
                                       source="in-region deployment of closed models: Azure OpenAI regional and data-"
                                              "zone deployments (Microsoft Learn, 'Data, privacy, and security for Azure "
                                              "OpenAI Service'), Anthropic models on AWS Bedrock regions; the provider "
                                              "still controls the model, so less than open_sov_discount (assumption)",
                                       description="Share of the foreign distrust of a closed model removed by hosting "
                                                   "its weights in the developer's region; lost where the lab's "
                                                   "government controls exports of closed weights to that region "
                                                   "(governments.*.weight_export_control).")
    segments: Segments = Field(default_factory=lambda: Segments())
    payoff_sample: int = P(800, unit="agents", ge=10, le=100_000, source="numerical choice (standard error of a share "
                           "~ sqrt(p(1-p)/n) < 0.02)",
                           description="Developers sampled once per run on whom labs evaluate counterfactual shares.")
    w_net: float = P(0.3, unit="utility per log share", ge=0.0, le=5.0, plausible=(0.0, 1.0),
                     source="assumption", description="Network effect: weight on log adoption share of the model.")


    @field_validator("region_shares")
    @classmethod
    def _sum_to_one(cls, v: dict[str, float]) -> dict[str, float]:
        if any(x < 0 for x in v.values()):
            raise ValueError("shares must be >= 0")
        s = sum(v.get(r, 0.0) for r in REGIONS)
        if abs(s - 1.0) > 1e-6:
            missing = [r for r in REGIONS if r not in v]
            note = (f"; the table is replaced as a whole, not merged: give every region ({', '.join(missing)} "
                    "missing have share 0), e.g. --set "
                    "'developers.region_shares={US=0.4,CN=0.2,EU=0.2,ROW=0.2}'") if missing else ""
            raise ValueError(f"shares must sum to 1 (they sum to {s:.6g}){note}")
        return {r: float(v.get(r, 0.0)) for r in REGIONS}


class Market(_Strict):
    """Revenue and external funding (DESIGN.md §3 step 6)."""

    market_usd_per_month: float = P(7e8, unit="USD per month (at 2024-07)", ge=1.0, le=1e15,
                                    plausible=(3e8, 1.5e9),
                                    source="frontier labs' model revenue in 2024: OpenAI ~USD 3.7B, Anthropic ~0.9B "
                                           "and others (press reports of company documents, secondary): ~USD 8B a year",
                                    description="World spending of developers on frontier models (APIs, subscriptions, "
                                                "services), at 2024-07.")
    market_growth_per_year: float = P(2.5, unit="x per year", ge=0.5, le=20.0, plausible=(1.5, 4.0),
                                      source="OpenAI revenue ~USD 1B (2023), 3.7B (2024), ~13B (2025) (press reports, "
                                             "secondary): ~3x/yr; 2.5 for the whole market (assumption)",
                                      description="Growth factor of the world developer market.")
    market_growth_after_per_year: float = P(1.7, unit="x per year", ge=0.5, le=20.0, plausible=(1.2, 2.5),
                                            source="assumption: analysts' projections of generative-AI software "
                                                   "revenue of a few hundred billion USD a year by 2030 (e.g. "
                                                   "Bloomberg Intelligence 2023, secondary) from ~USD 30-40B in 2025",
                                            description="Growth of the world developer market from the scenario's "
                                                        "projection_from on.")
    investment_revenue_elasticity: float = P(0.85, unit="1", ge=0.0, le=1.5, plausible=(0.6, 1.0),
                                             source="assumption: the sector's investment grows less than its revenue "
                                                    "as it matures (capex-to-revenue fell from >20x in 2022-23; "
                                                    "Sequoia 2024, 'AI's $600B question'); 1 = a constant multiple",
                                             description="Elasticity of a region's investment to its labs' revenue "
                                                         "(investment_r = v_r x revenue_r ** elasticity, v_r set at the "
                                                         "start from the labs' initial budgets).")
    investment_expectation_elasticity: float = P(0.5, unit="1", ge=0.0, le=3.0, plausible=(0.0, 1.0),
                                                 source="assumption: investors value AI labs on forward revenue (e.g. "
                                                        "OpenAI's 2024 round at ~40x trailing revenue on ~3x growth); "
                                                        "0 = investment in proportion to revenue only",
                                                 description="Elasticity of a region's investment to its labs' revenue "
                                                             "growth over the last 12 months, relative to market growth.")


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
    """A region's policy state (DESIGN.md §2). Dated events change these fields."""

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
                            description="Payoff bonus for a domestic open release, as a share of the lab's closed payoff.")
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


class Scenario(_Strict):
    """A complete, validated scenario: everything one model run needs besides its seed."""

    name: str = Field("unnamed", description="Short name used in outputs.")
    description: str = Field("", description="What the scenario represents and the sources of its policy dates.")
    extends: str | None = Field(None, description="Parent scenario file, relative to this file (resolved on load).")
    events_mode: Literal["merge", "replace"] = Field(
        "merge", description="How this file's [[events]] combine with its parent's (resolved on load): 'merge' adds "
                             "them to the parent's, in date order (a child's event on the month and field of a "
                             "parent's replaces it); 'replace' drops the parent's events (without [[events]] of its "
                             "own: none). Two events of one file on the same month and field are an error.")
    start: str = P("2022-01", unit="YYYY-MM", source="DESIGN.md §2",
                   description=f"First simulated month ({START_RANGE[0]} to {START_RANGE[1]}).")
    months: int = P(108, unit="months", ge=1, le=600, source="DESIGN.md §2 (2022-01 to 2030-12)",
                    description="Number of monthly steps.")
    seed: int = P(20220101, unit="integer", ge=0, le=2**63 - 1, source="user choice",
                  description="Base seed; replications spawn independent seeds from it with numpy SeedSequence.")
    roster: str = P("../data/roster_2022-01.csv", unit="path", source="derived from Epoch AI 'Data on AI Models' "
                    "(CC BY 4.0) by `aieco data roster`", description="CSV of the labs at the start, relative to the "
                    "scenario file (columns name, region, training_compute_flop, strategy, open_bias).")
    projection_from: str = P("2026-01", unit="YYYY-MM", source="the end of the measured trends (Epoch chip sales and "
                             "lab revenues to 2025)", description="First month of the projected (slower) growth of chip "
                             "production, alternative chips and the developer market.")
    compute: Compute = Field(default_factory=Compute)
    labs: Labs = Field(default_factory=Labs)
    developers: Developers = Field(default_factory=Developers)
    market: Market = Field(default_factory=Market)
    chips: Chips = Field(default_factory=Chips)
    governments: dict[Region, Government] = Field(default_factory=_default_governments)
    events: list[Event] = Field(default_factory=list)

    _base_dir: Path | None = None
    _notes: list[str] = []

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v: Any) -> Any:
        """A name names an output folder: never a path (:func:`name_problem`)."""
        problem = name_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("start")
    @classmethod
    def _start(cls, v: str) -> str:
        parse_month(v)
        lo, hi = START_RANGE
        if month_index(lo, v) < 0 or month_index(v, hi) < 0:
            raise ValueError(f"{v} is outside the allowed range {lo} to {hi} (the model's chip, price and capability "
                             "dynamics are anchored on a roster of labs of the 2020s)")
        return v

    @field_validator("projection_from")
    @classmethod
    def _projection_from(cls, v: str) -> str:
        parse_month(v)
        return v

    @field_validator("governments", mode="before")
    @classmethod
    def _govs(cls, v: Any) -> Any:
        if isinstance(v, dict) and all(k in REGIONS for k in v):
            return {r: v.get(r, {}) for r in REGIONS}
        return v

    @model_validator(mode="after")
    def _events_in_horizon(self) -> Scenario:
        prev = None
        for i, ev in enumerate(self.events):
            k = month_index(self.start, ev.month)
            if k < 0 or k >= self.months:
                raise ValueError(f"events[{i}].month: {ev.month} is outside the horizon {self.start} + {self.months} "
                                 f"months (allowed: {self.start} to {_month_add(self.start, self.months - 1)})")
            if prev is not None and k < prev:
                raise ValueError(f"events[{i}].month: {ev.month} is earlier than the event before it; list events in "
                                 "date order")
            prev = k
        for i, j in duplicate_events(self.events):
            raise ValueError(f"events[{j}]: sets {_describe_event(self.events[j])}, as events[{i}] does: two events "
                             "for the same month and field (the later would silently win); keep one")
        return self

    @model_validator(mode="after")
    def _no_policy_on_own_region(self) -> Scenario:
        """A government's export controls, API blocks, bans of foreign open models and weight export controls
        name other regions: one that names its own region would be silently meaningless (its labs are not
        foreign to its developers, nor an importer of its own chips)."""
        def own(region: str, value: Any) -> bool:
            return region in (value if isinstance(value, dict | list | tuple) else ())

        for r, gov in self.governments.items():
            for f in OTHER_REGION_GOV_FIELDS:
                if own(r, getattr(gov, f)):
                    raise ValueError(f"governments.{r}.{f}: names {r}, the government's own region; these policies "
                                     f"apply to other regions only (allowed: {', '.join(x for x in REGIONS if x != r)})")
        for i, ev in enumerate(self.events):
            head, _, key = ev.field.partition(".")
            if head in OTHER_REGION_GOV_FIELDS and (key == ev.government or (not key and own(ev.government, ev.value))):
                raise ValueError(f"events[{i}]: {ev.government}.{ev.field} ({ev.month}) names {ev.government}, "
                                 "the government's own region; export controls, API blocks, bans of foreign open models "
                                 "and weight export controls apply to other regions only")
        return self

    # --- convenience ----------------------------------------------------------------------------
    @property
    def base_dir(self) -> Path:
        """Folder that relative paths (roster, extends) resolve against."""
        return self._base_dir or Path.cwd()

    def roster_path(self) -> Path:
        p = Path(self.roster)
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    def resolved_dict(self) -> dict[str, Any]:
        """The scenario as plain data (JSON-safe), with the roster path made absolute."""
        d = self.model_dump(mode="json")
        d["roster"] = str(self.roster_path())
        d["extends"] = None
        d["events_mode"] = "merge"
        return d


# ---------------------------------------------------------------------------------------------
# Loading, inheritance and overrides
# ---------------------------------------------------------------------------------------------

def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


EVENTS_MODES = ("merge", "replace")


def _event_key(ev: Any) -> int:
    """Sort key of a raw event: its month as an integer (malformed months sort last; validation names them)."""
    try:
        y, m = parse_month(ev["month"])
    except (TypeError, KeyError, ValueError):
        return 10**9
    return y * 12 + m


def _check_event_order(path: Path, events: list) -> list[str]:
    """Problems with the date order of one file's own events (each names the file and the event)."""
    out, prev = [], None
    for i, ev in enumerate(events):
        k = _event_key(ev)
        if k == 10**9:
            continue
        if prev is not None and k < prev[0]:
            out.append(f"{path}: field 'events[{i}].month': {ev['month']} is earlier than events[{prev[1]}].month "
                       f"{events[prev[1]]['month']}; list a file's events in date order")
        else:
            prev = (k, i)
    return out


def _event_target(ev: Any) -> tuple[Any, ...] | None:
    """(month, government, field head, region key) of a raw or validated event; None when malformed."""
    get = ev.get if isinstance(ev, dict) else (lambda k: getattr(ev, k, None))
    month, gov, fld = get("month"), get("government"), get("field")
    if not all(isinstance(x, str) for x in (month, gov, fld)):
        return None
    head, _, key = fld.partition(".")
    return month, gov, head, key


def events_clash(a: Any, b: Any) -> bool:
    """Whether events ``a`` and ``b`` (raw dicts or :class:`Event`) set the same government field in the same
    month (``export_control`` clashes with ``export_control.CN``): applied in order, the later would silently
    override the earlier."""
    ta, tb = _event_target(a), _event_target(b)
    if ta is None or tb is None or ta[:3] != tb[:3]:
        return False
    return ta[3] == tb[3] or not ta[3] or not tb[3]


def duplicate_events(events: list) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of events that set the same field in the same month (:func:`events_clash`), each
    later event paired with the first it clashes with."""
    out = []
    for j, b in enumerate(events):
        i = next((i for i in range(j) if events_clash(events[i], b)), None)
        if i is not None:
            out.append((i, j))
    return out


def _describe_event(ev: Any) -> str:
    t = _event_target(ev)
    return f"{t[1]}.{t[2]}{'.' + t[3] if t[3] else ''} in {t[0]}" if t else "?"


def horizon_note(source: str, months: int, after: list, whose: str = "") -> str:
    """The note said when dated events after a horizon of ``months`` months are dropped (``--months``, or
    ``months`` set in a file that extends a scenario with later events): how many, and the first."""
    first = after[0]
    get = first.get if isinstance(first, dict) else (lambda k: getattr(first, k))
    return (f"{source}: {len(after)} dated event(s) fall after the {months}-month horizon and never take "
            f"effect (first: {get('month')} {get('government')}.{get('field')}); dropped{whose}")


def _read_file(path: Path, chain: tuple[Path, ...]) -> dict:
    """The TOML data of one scenario file. Raises ScenarioError naming the file, and the ``extends`` field of
    the file that named it (the end of ``chain``), for a missing file, invalid TOML or unreadable text."""
    where = f"{chain[-1]}: field 'extends': " if chain else ""
    if path in chain:
        cycle = " -> ".join(str(p) for p in (*chain, path))
        raise ScenarioError(f"{where}inheritance cycle: {cycle}")
    if not path.is_file():
        raise ScenarioError(f"{where}scenario file not found: {path}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{where}{path}: not valid TOML: {e}"
                            + (" (extends names a scenario file, a TOML file)" if chain else "")) from None
    except UnicodeDecodeError as e:
        raise ScenarioError(f"{where}{path}: not a UTF-8 text file (byte {e.start}: {e.reason}); a scenario is TOML "
                            "text") from None
    except OSError as e:
        raise ScenarioError(f"{where}{path}: cannot read the scenario file: {e.strerror or e}") from None


def _own_events(path: Path, data: dict, problems: list[str]) -> tuple[Any, list[tuple[str, int]]]:
    """This file's own ``[[events]]`` (None when it has none) and their origins; events out of date order or
    setting the same field in the same month are reported in ``problems`` (naming both) and put right (sorted;
    the earlier of a duplicate dropped) so that validation does not report them again."""
    own = data.get("events")
    if not isinstance(own, list):
        return own, []
    origins = [(str(path), i) for i in range(len(own))]
    order = _check_event_order(path, own)
    problems += order
    if order:  # reported above; sort so the whole-scenario check does not report it again
        pairs = sorted(zip(own, origins, strict=True), key=lambda p: _event_key(p[0]))
        own, origins = [p[0] for p in pairs], [p[1] for p in pairs]
    dups = duplicate_events(own)
    for i, j in dups:
        problems.append(f"{path}: field 'events[{origins[j][1]}]': sets {_describe_event(own[j])}, as "
                        f"events[{origins[i][1]}] does: two events for the same month and field (the later would "
                        "silently win); keep one")
    drop = {i for i, _ in dups}
    own = [e for k, e in enumerate(own) if k not in drop]
    origins = [o for k, o in enumerate(origins) if k not in drop]
    data["events"] = own
    return own, origins


def _drop_after_horizon(path: Path, merged: dict, data: dict, parent: Path, origins: list, notes: list[str]) -> list:
    """When this file sets ``months``, the parent's dated events after that horizon are dropped with a note (as
    ``--months`` drops them); returns the origins of the events kept."""
    months, events = data.get("months"), merged.get("events")
    start = merged.get("start", Scenario.model_fields["start"].default)
    if not isinstance(months, int) or isinstance(months, bool) or not isinstance(events, list):
        return origins
    try:
        late = [k for k, (ev, o) in enumerate(zip(events, origins, strict=True))
                if o[0] != str(path) and _event_key(ev) != 10**9 and month_index(start, ev["month"]) >= months]
    except ValueError:  # a malformed start: validation names it
        return origins
    if late:
        notes.append(horizon_note(str(path), months, [events[k] for k in late], whose=f" (they are {parent}'s)"))
        merged["events"] = [e for k, e in enumerate(events) if k not in late]
        origins = [o for k, o in enumerate(origins) if k not in late]
    return origins


def _resolve_file(path: Path, chain: tuple[Path, ...], problems: list[str],
                  notes: list[str] | None = None) -> tuple[dict, list[tuple[str, int]]]:
    """Read one scenario file and its ancestors. Returns (merged data, origin (file, index in that file) of
    each event); appends non-fatal problems (event order, duplicate events, events_mode, name) to ``problems``
    and what was done silently before (the parent's events after this file's ``months`` dropped) to ``notes``.

    Raises ScenarioError at once for a missing file, invalid TOML or an inheritance cycle."""
    notes = [] if notes is None else notes
    path = path.resolve()
    data = _read_file(path, chain)
    if "name" in data and name_problem(data["name"]):  # named here, in the file that sets it
        problems.append(f"{path}: field 'name': {name_problem(data.pop('name'))}")
    # a roster path is relative to the file that names it
    if isinstance(data.get("roster"), str):
        data["roster"] = str((path.parent / data["roster"]).resolve())
    mode = data.pop("events_mode", "merge")
    if mode not in EVENTS_MODES:
        problems.append(f"{path}: field 'events_mode': {mode!r} is not allowed; allowed: 'merge' (add this file's "
                        "events to its parent's, in date order) or 'replace' (this file's events replace its parent's)")
        mode = "merge"
    own, own_origins = _own_events(path, data, problems)
    parent = data.pop("extends", None)
    if parent is None:
        return data, own_origins
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: field 'extends': expected a file name (string), got {parent!r}")
    parent_path = (path.parent / parent).resolve()
    base, base_origins = _resolve_file(parent_path, (*chain, path), problems, notes)
    merged = _deep_merge(base, data)
    if mode == "replace":  # this file's events replace the parent's: none when it has none
        merged["events"] = own if own is not None else []
        origins = own_origins
    elif own is None or not isinstance(base.get("events"), list) or not isinstance(own, list):
        origins = base_origins if own is None else own_origins
    else:
        # merge: a child's event on the month and field of a parent's replaces it (documented: the child's win);
        # then the parent's and the child's events in date order
        kept = [(e, o) for e, o in zip(base["events"], base_origins, strict=True)
                if not any(events_clash(e, c) for c in own)]
        pairs = sorted([*kept, *zip(own, own_origins, strict=True)], key=lambda p: _event_key(p[0]))
        merged["events"] = [p[0] for p in pairs]
        origins = [p[1] for p in pairs]
    return merged, _drop_after_horizon(path, merged, data, parent_path, origins, notes)


def _read_toml(path: Path, chain: tuple[Path, ...] = ()) -> dict:
    """The merged data of a scenario file and its ancestors (see :func:`_resolve_file`)."""
    problems: list[str] = []
    data, _ = _resolve_file(path, chain, problems)
    if problems:
        raise ScenarioError("\n".join(problems))
    return data


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse ``section.key=value`` (value in TOML syntax, bare words taken as strings).

    Returns (path parts, value). Raises ScenarioError for text without ``=``."""
    if "=" not in text:
        raise ScenarioError(f"--set {text!r}: expected section.key=value")
    key, _, raw = text.partition("=")
    key = key.strip()
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key.split("."), value


def _set_path(data: dict, parts: list[str], value: Any) -> None:
    d = data
    for p in parts[:-1]:
        if not isinstance(d.get(p), dict):
            d[p] = {}
        d = d[p]
    d[parts[-1]] = value


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


_EVENT_LOC = re.compile(r"^events[.\[](\d+)\]?")


def _event_source(loc: str, source: str, origins: list[tuple[str, int]] | None) -> tuple[str, str]:
    """Map an ``events.N...`` / ``events[N]...`` location in the merged event list to the file that holds
    that event and its index there. Returns (source to name, location in the same style)."""
    m = _EVENT_LOC.match(loc)
    if not m:
        return source, loc
    i, rest = int(m.group(1)), loc[m.end():].lstrip(".")
    fmt = "events[{}]" if loc.startswith("events[") else "events.{}"  # keep the caller's style
    if not origins or i >= len(origins):
        return source, loc
    file, k = origins[i]
    where = fmt.format(k) + (f".{rest}" if rest else "")
    own = Path(source.split(" (with --set")[0]).resolve() == Path(file)
    return (source if own else f"{file} (inherited by {source})"), where


REMOVED_PARAMETERS: dict[str, str] = {
    "market.funding_growth_per_year": ("removed with the fixed-growth capital pools (issue 14): investment is now an "
                                       "outcome, a function of each region's revenue (market.investment_revenue_"
                                       "elasticity) and its growth (market.investment_expectation_elasticity), and "
                                       "compute is bounded by the world chip supply (chips.*; docs/ODD.md 7.2-7.3, "
                                       "7.9)"),
    "market.market_share_of_funding": ("removed (issue 14): the developer market is anchored on revenue data, "
                                       "market.market_usd_per_month at 2024-07"),
    "labs.distill_gap": ("removed with the free open-weight floor (issue 13); distillation is now a submodel with "
                         "labs.distill_share_at_parity, labs.distill_compute_elasticity, labs.distill_delay_months and "
                         "labs.api_distill_efficiency (docs/ODD.md 7.6)"),
}
"""Parameters that existed once: a scenario that still sets one is told what replaced it."""


def _format_errors(err: ValidationError, source: str, data: dict,
                   origins: list[tuple[str, int]] | None = None) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"] if x != "[key]")
        msg = e["msg"]
        if e["loc"] and e["loc"][-1] == "[key]":  # a bad key of a region-keyed table
            msg = f"not an allowed key here: {msg}"
        if loc.startswith("events."):
            src, loc = _event_source(loc, source, origins)
            msg = msg.removeprefix("Value error, ")
            if re.fullmatch(r"events\.\d+", loc):  # an Event-level check: name the part of the event it is about
                loc += ".value" if msg.startswith("value ") else ".field"
            got = repr(e.get("input"))
            lines.append(f"{src}: field '{loc}': {msg}" + (f" (got {got})" if len(got) <= 80 else ""))
            continue
        if e["type"] == "extra_forbidden" and loc in REMOVED_PARAMETERS:
            lines.append(f"{source}: field '{loc}': {REMOVED_PARAMETERS[loc]}")
            continue
        if e["type"] == "extra_forbidden":
            parent = ".".join(str(x) for x in e["loc"][:-1])
            candidates = _all_paths(Scenario)
            siblings = [p.rsplit(".", 1)[-1] for p in candidates if "." in p and p.rsplit(".", 1)[0] == parent] \
                if parent else [p for p in candidates if "." not in p]
            key = loc.rsplit(".", 1)[-1]
            close = difflib.get_close_matches(key, siblings, n=1, cutoff=0.6)  # within the section it is in
            elsewhere = [p for p in candidates if p.rsplit(".", 1)[-1] == key and p != loc]
            # the exact key in another section beats a near miss in this one
            hint = (f"; {key!r} belongs in {elsewhere[0].rsplit('.', 1)[0]!r} ({elsewhere[0]!r})" if elsewhere
                    else f"; did you mean {'.'.join([*([parent] if parent else []), close[0]])!r}?" if close else "")
            lines.append(f"{source}: field '{loc}': unknown key{hint} (allowed in '{parent or 'top level'}': "
                         f"{', '.join(sorted(set(siblings)))})")
            continue
        msg = msg.removeprefix("Value error, ")
        if not loc:  # a whole-scenario check; the message names the field
            if msg.startswith("events"):
                where, _, rest = msg.partition(":")
                src, where = _event_source(where, source, origins)
                lines.append(f"{src}: field '{where}':{rest}")
            else:
                lines.append(f"{source}: {msg}")
            continue
        got = repr(e.get("input"))
        lines.append(f"{source}: field '{loc}': {msg}" + (f" (got {got})" if len(got) <= 80 else ""))
    return "\n".join(lines)


def scenario_from_dict(data: dict, source: str = "<scenario>", overrides: list[str] | None = None,
                       base_dir: Path | None = None, event_origins: list[tuple[str, int]] | None = None,
                       problems: list[str] | None = None) -> Scenario:
    """Validate a plain dict (as read from TOML) plus ``--set`` overrides into a :class:`Scenario`.

    ``event_origins`` (file, index in that file) of each event lets messages name the file an inherited
    event comes from; ``problems`` are messages found while reading the files, reported with the rest.
    Raises ScenarioError naming ``source``, the field and what is allowed (all errors at once)."""
    data = _deep_merge({}, data)
    notes: list[str] = []
    for text in overrides or []:
        parts, value = parse_override(text)
        if parts[0] == "events":
            event_origins = None
        _set_path(data, parts, value)
        if parts == ["months"]:  # like --months: the dated events after the new horizon are dropped, with a note
            event_origins = _drop_late_events(data, event_origins, f"{source} (--set {text.strip()})", notes)
    lines = list(problems or [])
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as e:
        lines.append(_format_errors(e, source if not overrides else f"{source} (with --set {', '.join(overrides)})",
                                    data, event_origins))
    if lines:
        raise ScenarioError("\n".join(lines)) from None
    sc._base_dir = base_dir
    sc._notes = notes
    return sc


def _drop_late_events(data: dict, origins: list | None, source: str, notes: list[str]) -> list | None:
    """Drop the events of ``data`` after its horizon (``months`` from ``start``), noting it in ``notes``; returns
    the origins of the events kept (None stays None). Leaves malformed data to validation."""
    months, events = data.get("months"), data.get("events")
    start = data.get("start", Scenario.model_fields["start"].default)
    if not isinstance(months, int) or isinstance(months, bool) or not isinstance(events, list):
        return origins
    try:
        late = {k for k, ev in enumerate(events)
                if isinstance(ev, dict) and _event_key(ev) != 10**9 and month_index(start, ev["month"]) >= months}
    except ValueError:
        return origins
    if late:
        notes.append(horizon_note(source, months, [events[k] for k in sorted(late)]))
        data["events"] = [e for k, e in enumerate(events) if k not in late]
        if origins is not None and len(origins) == len(events):
            origins = [o for k, o in enumerate(origins) if k not in late]
    return origins


def load_scenario(path: str | Path, overrides: list[str] | None = None) -> Scenario:
    """Load a scenario TOML file, resolving ``extends`` (relative to the file) and ``--set`` overrides.

    Parameters
    ----------
    path : scenario file.
    overrides : ``["section.key=value", ...]``, applied after inheritance, validated like the file.

    Raises
    ------
    ScenarioError : missing file, invalid TOML, inheritance cycle, unknown key, value out of range,
        wrong type, malformed date, unknown region, unknown government or instrument in an event, events
        out of date order in a file or outside the horizon, bad ``events_mode``. All problems are reported
        at once, each naming the file (the parent's for an inherited event) and the field.

    Inheritance: a child's values override its parent's (tables merge key by key); its ``[[events]]`` are
    added to the parent's in date order (``events_mode = "merge"``, the default) or replace them
    (``events_mode = "replace"``). ``--set`` overrides come last.
    """
    path = Path(path)
    problems: list[str] = []
    notes: list[str] = []
    data, origins = _resolve_file(path, (), problems, notes)
    sc = scenario_from_dict(data, str(path), overrides, base_dir=path.resolve().parent, event_origins=origins,
                            problems=problems)
    sc._notes = [*notes, *sc._notes]
    return sc


def scenario_notes(scenario: Scenario) -> list[str]:
    """What loading ``scenario`` did that its files do not say outright (events after a horizon dropped), one
    line each, for the command to print as notes."""
    return list(scenario._notes)


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


def with_values(scenario: Scenario, values: dict[str, Any], source: str = "<overrides>") -> Scenario:
    """A copy of ``scenario`` with dotted-path ``values`` set and the result validated.

    Raises ScenarioError naming ``source`` and the field when a value is not allowed."""
    data = scenario.model_dump(mode="python")
    data["roster"] = str(scenario.roster_path())
    data.pop("extends", None)
    for path, value in values.items():
        _set_path(data, path.split("."), value)
    try:
        out = Scenario.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(_format_errors(e, source, data)) from None
    out._base_dir = scenario._base_dir
    out._notes = list(scenario._notes)
    return out


def split_events(scenario: Scenario, start: str, months: int) -> tuple[list[Event], list[Event], list[Event]]:
    """``scenario``'s dated events before, inside and after the window of ``months`` months from ``start``
    (YYYY-MM), each list in the scenario's order. Raises ValueError for a malformed month."""
    before, inside, after = [], [], []
    for ev in scenario.events:
        k = month_index(start, ev.month)
        (before if k < 0 else after if k >= months else inside).append(ev)
    return before, inside, after


def with_horizon(scenario: Scenario, months: int) -> Scenario:
    """A copy of ``scenario`` run for ``months`` months; dated events after the new horizon are dropped
    (they would never take effect). Raises ScenarioError for a horizon outside 1..600."""
    before, inside, after = split_events(scenario, scenario.start, months)
    kept = [e.model_dump() for e in before + inside]
    out = with_values(scenario, {"months": months, "events": kept}, source="--months")
    out._notes = [*scenario._notes, *([horizon_note(f"--months {months}", months, after)] if after else [])]
    return out
