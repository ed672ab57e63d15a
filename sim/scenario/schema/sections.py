"""The sections of a scenario that describe the world: compute, chips, labs, developers (and their segments) and
the market, each parameter with its unit, default, valid range and source.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from sim import REGIONS
from sim.scenario.schema.fields import SEGMENTS, Bounded, CommercialLabType, P, Region, _Strict
from sim.scenario.schema.months import parse_month

Decision = Literal["myopic", "learning", "imitation", "strategic"]
"""The theories of the release decision (``labs.decision``; docs/ODD.md 7.7)."""

DECISIONS = ("myopic", "learning", "imitation", "strategic")

THEORY_PARAMETERS = {"learning": ("ewa_delta", "ewa_phi", "ewa_rho", "ewa_lambda"),
                     "imitation": ("imitation_weight", "imitation_region_share", "switch_cost", "inertia_size")}
"""The ``labs`` parameters of each mechanism of the release decision (docs/ODD.md 7.7)."""

THEORY_USERS = {"myopic": (), "learning": ("learning",), "imitation": ("imitation",),
                "strategic": ("learning", "imitation")}
"""The mechanisms each theory uses."""


def unused_parameters(decision: str) -> tuple[str, ...]:
    """The ``labs`` parameters (names, no section) of the mechanisms of the release decision that theory
    ``decision`` (one of :data:`DECISIONS`) does not use: they have no effect under it (myopic: all eight of
    :data:`THEORY_PARAMETERS`; strategic: none). Raises KeyError for an unknown decision."""
    return tuple(n for m, names in THEORY_PARAMETERS.items() if m not in THEORY_USERS[decision] for n in names)


def theories_using(name: str) -> tuple[str, ...] | None:
    """The theories of the release decision that use the ``labs`` parameter ``name`` (None: not a parameter of one
    mechanism, so every theory's)."""
    mechanism = next((m for m, names in THEORY_PARAMETERS.items() if name in names), None)
    return None if mechanism is None else tuple(t for t in DECISIONS if mechanism in THEORY_USERS[t])


class Compute(_Strict):
    """Chips, training and algorithmic progress (docs/ODD.md §2-3)."""

    h100e_peak_flops: float = P(989e12, unit="FLOP/s per H100e", ge=1e12, le=1e16,
                                source="NVIDIA H100 SXM dense BF16 spec (989 TFLOP/s); docs/ODD.md §2",
                                description="Peak dense BF16 throughput of one H100-equivalent.")
    utilization: float = P(0.40, unit="fraction", ge=0.05, le=0.9, plausible=(0.3, 0.5),
                           source="Epoch AI model records: median reported MFU of large runs ~0.3-0.5 (2023-24)",
                           description="Model FLOP utilisation of training compute.")
    final_run_share: float = P(0.04, unit="fraction", ge=0.005, le=1.0, plausible=(0.03, 0.3),
                               source="calibrated (money and chips, CHANGELOG.md): labs then hold ~1.5M H100e in 2024-07, as Epoch AI's "
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
    """Lab behaviour: spending, release cycles and the open/closed choice (docs/ODD.md §7)."""

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
    complement_capture: dict[CommercialLabType, Bounded(0.0, 1.0)] = P(
        {"cloud": 0.2, "products": 0.1, "hardware": 0.3, "parent": 0.05, "startup": 0.08},
        unit="fraction of adopters' token spending", plausible=(0.0, 0.4),
        source="by the lab's type (data/lab_types.csv gives each lab's type with its source). cloud: a parent that "
               "hosts its open models on its own public cloud (Alibaba Cloud's Model Studio serves Qwen; Google Vertex, "
               "Azure, AWS Bedrock) at cloud operating margins of 14-45% (10-K 2024: Google Cloud 14%, AWS 37%, "
               "Microsoft Intelligent Cloud ~45%) on the share hosted there (assumed about half): ~0.2; products: value "
               "through own products and lower costs, not sales of access (Zuckerberg 2024, 'Open Source AI Is the Path "
               "Forward': 'selling access to AI models isn't our business model'): argued 0.1; hardware: the hosting "
               "runs on its chips (NVIDIA data-center gross margin ~75%, 10-K FY2025; chips about half of serving "
               "cost): ~0.3; parent: a lab funded by a parent's other business without a cloud (DeepSeek by "
               "High-Flyer): its own low-priced API only, argued 0.05; startup: its own API and enterprise deals for its open models (Mistral's la "
               "Plateforme), most hosting by third parties: argued 0.08",
        description="Complements (docs/ODD.md 7.7): share of the token spending of an open-weight model's adopters "
                    "that its lab earns through its other business, by lab type (the roster column "
                    "complement_capture overrides it for a lab where a source says so). Research labs (non-profit, "
                    "academic, state) do not decide by payoffs (docs/ODD.md 7.7).")
    follower_open_value: float = P(1.0, unit="logit per OOM behind the frontier (up to 1 OOM)", ge=0.0, le=5.0,
                                   plausible=(0.0, 2.0),
                                   source="argued from theory: followers open for adoption, standards and talent, "
                                          "leaders keep a lead they can sell (Lerner & Tirole 2005, JEP 19(2); "
                                          "Casadesus-Masanell & Ghemawat 2006, Management Science 52(7)); its size is "
                                          "calibrated (ABC on 2022-2024, experiments/abc.toml)",
                                   description="Value of opening for a lab behind the world frontier: added to its "
                                               "open/closed index per OOM of effective compute by which its new model "
                                               "trails the best other lab's, counting at most 1 OOM.")
    misuse_concern: float = P(0.5, unit="logit", ge=0.0, le=5.0, plausible=(0.0, 1.5),
                              source="labs that state misuse or liability reasons for keeping frontier weights closed, "
                                     "from the month of the statement (data/lab_types.csv: Anthropic's Responsible "
                                     "Scaling Policy 2023-09, OpenAI's Preparedness Framework 2023-12, Google DeepMind's "
                                     "Frontier Safety Framework 2024-05); the size is argued (about a third of the "
                                     "spread of the labs' open_bias, which their earlier history already sets)",
                              description="Cost of opening, on the open/closed index, for a lab from the month it "
                                          "has stated misuse or liability concerns about open weights (roster column "
                                          "misuse_statement).")
    spill_coef: float = P(0.3, unit="per OOM of lead", ge=0.0, le=5.0, plausible=(0.0, 1.0),
                          source="assumption",
                          description="Cost of opening a model, per OOM of the lab's lead over the best open model, as a "
                                      "share of its closed payoff (opening hands the lead to rivals).")
    open_bias_scale: float = P(1.0, unit="1", ge=0.0, le=5.0, plausible=(0.5, 1.5),
                               source="assumption",
                               description="Multiplier of the roster's per-lab open_bias trait (logit scale).")
    decision: Decision = P("myopic", unit="theory",
                           source="rival theories of the release decision (issue 28; docs/ODD.md 7.7): myopic (each "
                                  "release an independent draw), learning (experience-weighted attraction, Camerer & "
                                  "Ho 1999, Econometrica 67:827), imitation (of more successful peers, Nelson & Winter "
                                  "1982; replicator dynamics; with inertia growing with size, Hannan & Freeman 1984, "
                                  "ASR 49:149), strategic (both); the patterns chose strategic (aieco validate --theories "
                                  "on the theories' ABC posteriors, 2022-2024 in sample), which the baseline sets in "
                                  "scenarios/calibrated.toml; myopic is the default of a scenario that sets none",
                           description="How a lab chooses OPEN or CLOSED at a release: myopic, learning, imitation or "
                                       "strategic.")
    ewa_delta: float = P(0.5, unit="1 (weight of the foregone payoff)", ge=0.0, le=1.0, plausible=(0.0, 1.0),
                         source="Camerer & Ho 1999 (Econometrica 67:827): delta in [0, 1], 0 choice reinforcement "
                                "(only realised payoffs), 1 belief learning (foregone payoffs weigh as much); their "
                                "estimates lie strictly between 0 and 1 and vary by game (the default, a half, is an "
                                "assumption to calibrate)",
                         description="learning/strategic: weight of the foregone option's payoff (the strategy the "
                                     "lab does not hold) relative to the held one's in the attraction update "
                                     "(1 with ewa_phi = ewa_rho = 0: the myopic choice).")
    ewa_phi: float = P(0.9, unit="1 per release", ge=0.0, le=1.0, plausible=(0.5, 1.0),
                       source="Camerer & Ho 1999: phi in [0, 1], the decay of past attractions; their estimates are "
                              "near 1 (the default is an assumption to calibrate)",
                       description="learning/strategic: share of its past attraction (times the experience weight) "
                                   "a lab keeps at each release (0: no memory).")
    ewa_rho: float = P(0.5, unit="1 per release", ge=0.0, le=1.0, plausible=(0.0, 1.0),
                       source="Camerer & Ho 1999: rho in [0, 1], the decay of the experience weight N (rho = phi: "
                              "attractions are weighted averages of payoffs; rho < phi: they cumulate and lock in); "
                              "their estimates vary by game (the default is an assumption to calibrate)",
                       description="learning/strategic: decay of the experience weight N(t) = rho N(t-1) + 1.")
    ewa_lambda: float = P(1.0, unit="1 (x today's index, beta's scale)", ge=0.0, le=10.0, plausible=(0.5, 2.0),
                          source="Camerer & Ho 1999: lambda, the logit response sensitivity to attractions; here the "
                                 "attractions are on the open/closed index's logit scale (beta times the normalised "
                                 "payoffs, plus the other terms), so 1 is today's (beta's) sensitivity",
                          description="learning/strategic: P(open) = logistic(lambda (A_open - A_closed) + inertia).")
    imitation_weight: float = P(1.0, unit="logit per unit of pull", ge=0.0, le=10.0, plausible=(0.0, 3.0),
                                source="Nelson & Winter 1982 (An Evolutionary Theory of Economic Change: imitation "
                                       "of more successful firms); proportional imitation, whose mean is the "
                                       "replicator dynamics (Schlag 1998, JET 78:130); the size is an assumption to "
                                       "calibrate",
                                description="imitation/strategic: logit added to opening per unit of the pull toward "
                                            "open of peers with more adopters (the pull, -1..1, is the adoption "
                                            "advantage of better peers, signed by their strategy, over the peers' "
                                            "adopters; docs/ODD.md 7.7).")
    imitation_region_share: float = P(0.5, unit="fraction", ge=0.0, le=1.0, plausible=(0.25, 0.75),
                                      source="assumption: labs watch their home rivals and the world's",
                                      description="imitation/strategic: weight of the home region's peers in the pull "
                                                  "(the rest: all peers worldwide).")
    switch_cost: float = P(0.5, unit="logit", ge=0.0, le=10.0, plausible=(0.0, 2.0),
                           source="assumption: a change of release strategy re-plans licences, serving and "
                                  "partnerships (a switching cost)",
                           description="imitation/strategic: logit added to keeping the strategy of the lab's current "
                                       "model.")
    inertia_size: float = P(1.0, unit="logit at the largest lab's compute", ge=0.0, le=10.0, plausible=(0.0, 3.0),
                            source="Hannan & Freeman 1984 (ASR 49:149): structural inertia grows with size (and age); "
                                   "the size is an assumption to calibrate",
                            description="imitation/strategic: further logit for keeping the current strategy, times "
                                        "the lab's compute over the largest active lab's.")
    funding_kappa: float = P(2.0, unit="per OOM", ge=0.0, le=10.0, plausible=(0.5, 4.0),
                             source="assumption",
                             description="Investors' weight on standing: a lab's share of its region's investment is "
                                         "proportional to exp(kappa x (capability - region's best)) x (its sales + "
                                         "the region's mean sales per lab).")
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

    @model_validator(mode="after")
    def _unused_theory_parameters(self) -> Labs:
        """Warn (once per place) when a parameter of another theory of the release decision is set away from its
        default: it has no effect under this ``decision``."""
        for name in unused_parameters(self.decision):
            if getattr(self, name) != type(self).model_fields[name].default:
                warnings.warn(f"labs.{name} = {getattr(self, name)} has no effect under labs.decision = "
                              f"{self.decision!r} (it is used by {', '.join(theories_using(name))})", UserWarning,
                              stacklevel=2)
        return self


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
    """The vectorised developer population and its random-utility choice (docs/ODD.md §7)."""

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
    api_markup_before: dict[Region, Bounded(0.01, 100.0)] = P(
        {"US": 3.0, "CN": 2.0, "EU": 2.3, "ROW": 2.5}, unit="x serving cost", plausible=(0.3, 5.0),
        source="CN: the price war of 2024-05 cut Chinese flagship list prices by 67-97% (Alibaba Qwen-Max from RMB 0.12 "
               "to 0.04 per 1k input tokens, Qwen-Long by 97%; ByteDance priced Doubao-pro 99.3% below the industry's "
               "price; DeepSeek-V2 at RMB 1 per million input tokens; Baidu made ERNIE Speed and Lite free; company "
               "announcements 2024-05, press reports, secondary): before it, Chinese flagships were listed near US "
               "prices (ERNIE 4.0 and GLM-4 at RMB 0.1-0.12 per 1k tokens, about USD 14-17 per million): argued 2.0, "
               "a 4.4x cut to api_markup's 0.45 (the low end of the reported cuts); other regions: as api_markup",
        description="Price of a closed API as a multiple of its serving cost before the region's price cut "
                    "(api_price_cut_month); api_markup from that month on.")
    api_price_cut_month: dict[Region, str] = P(
        {"CN": "2024-05"}, unit="YYYY-MM by region",
        source="the Chinese API price war began in 2024-05 (DeepSeek-V2, 2024-05-06; ByteDance Doubao, 2024-05-15; "
               "Alibaba and Baidu, 2024-05-21; press reports, secondary)",
        description="Month from which a region's closed APIs are priced at api_markup instead of api_markup_before "
                    "(a region not listed: api_markup throughout).")
    token_price_elasticity: float = P(1.0, unit="1 (-d ln tokens / d ln price)", ge=0.0, le=3.0, plausible=(0.5, 1.5),
                                      source="argued: the price of a GPT-3.5-level query fell from USD 20 to 0.07 per "
                                             "million tokens from 2022-11 to 2024-10 (Stanford AI Index 2025) while "
                                             "spending on models grew ~3x a year (market_growth_per_year): usage grew "
                                             "at least as fast as prices fell, elasticity >= 1 at the market level, "
                                             "which also counts better models; 1 (spending per developer independent "
                                             "of the price) as the neutral value, 0.5-1.5 in sensitivity analysis",
                                      description="How a developer's token demand falls with the price per token of the "
                                                  "model it uses, relative to the market's typical price (the mean log "
                                                  "price of the models in use): spending = market / developers x (price "
                                                  "/ typical) ** (1 - elasticity), so the market's level stays "
                                                  "market_usd_per_month and the elasticity shifts spending between "
                                                  "cheaper and dearer models.")
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
                                 source="docs/ODD.md §7; self-hosted weights keep data in the developer's jurisdiction, "
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


    @field_validator("api_price_cut_month")
    @classmethod
    def _cut_months(cls, v: dict[str, str]) -> dict[str, str]:
        for month in v.values():
            parse_month(month)
        return v

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
    """Revenue and external funding (docs/ODD.md §3)."""

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
                                             description="Elasticity of a region's venture investment to its labs' "
                                                         "sales (venture_r = v_r x sales_r ** elasticity x the "
                                                         "expectation index, v_r set at the start from the start-ups' "
                                                         "initial budgets; docs/ODD.md 7.9).")
    investment_prior_growth_per_year: float = P(1.25, unit="x per year", ge=0.5, le=10.0, plausible=(1.1, 1.5),
                                                source="IDC Worldwide Artificial Intelligence Spending Guide "
                                                       "(2021-08): AI spending forecast to grow ~24.5% a year "
                                                       "2021-2025 (press release, secondary); the forecast "
                                                       "investors held before ChatGPT (2022-11)",
                                                description="Investors' expected growth of AI sales at the start "
                                                            "(2022-01): the prior of the adaptive expectation "
                                                            "(docs/ODD.md 7.9).")
    expectation_adjustment_months: float = P(18.0, unit="months", ge=3.0, le=120.0, plausible=(6.0, 36.0),
                                             source="adaptive expectations (Nerlove 1958); argued from the lag "
                                                    "between ChatGPT (2022-11) and the Big Four's capex turn: flat "
                                                    "in 2023 (USD 141B vs 150B), +64% in 2024 (company 10-K "
                                                    "filings): 12-24 months",
                                             description="Time constant of investors' adaptive expectation of AI "
                                                         "sales growth: each month it moves 1/this of the way "
                                                         "to the observed signal (at least 3: faster, the "
                                                         "expectation follows each month's noise).")
    investment_horizon_years: float = P(3.0, unit="years", ge=0.0, le=5.0, plausible=(1.0, 5.0),
                                        source="argued: venture funds' 3-5 year exit horizons; servers depreciated "
                                               "over 5-6 years in Alphabet's, Microsoft's and Meta's filings; "
                                               "forward-looking investment as in GATE (Epoch AI 2025, arXiv "
                                               "2503.04941)",
                                        description="Years of expected growth that investors pay for: investment is "
                                                    "scaled by exp(horizon x (expected growth - prior growth)), "
                                                    "the expectation index.")
    capability_surprise_response: float = P(0.5, unit="log growth per year per OOM", ge=0.0, le=5.0,
                                            plausible=(0.0, 1.5),
                                            source="argued: a 'wake-up' to AI's prospects after visible capability "
                                                   "progress (Davidson 2023, 'What a compute-centric framework says "
                                                   "about takeoff speeds', Open Philanthropy); no direct "
                                                   "measurement, hence the wide range",
                                            description="How much a region's frontier progress beyond the pre-start "
                                                        "trend (OOM of effective compute over 12 months) raises "
                                                        "investors' expected growth signal.")
    race_response: float = P(0.25, unit="1", ge=0.0, le=2.0, plausible=(0.0, 1.0),
                             source="argued: arms-race models of AI development (Armstrong, Bostrom & Shulman 2016, "
                                    "'Racing to the precipice', AI & Society 31:201); no direct measurement",
                             description="How much rivals' faster investment growth (other regions' 12-month "
                                         "log growth minus the region's own) raises the region's expected growth "
                                         "signal.")
    parent_cash_flow_growth_per_year: float = P(1.15, unit="x per year", ge=0.5, le=3.0, plausible=(1.05, 1.25),
                                                source="Alphabet, Meta, Microsoft and Amazon operating cash flow "
                                                       "~USD 272B (2021) -> ~451B (2024) in their 10-K filings: "
                                                       "~1.18x a year (approximate); 1.15 as a long-run rate",
                                                description="Growth of the parents' cash flow that funds Big Tech "
                                                            "labs (docs/ODD.md 7.9); their AI share moves with "
                                                            "the expectation index.")