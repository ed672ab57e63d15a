"""The initial lab roster of a scenario from Epoch AI's model records (one row per organisation): region, category,
training compute of its flagship, strategy, open bias from its release history, entry and exit.

Source: Epoch AI, 'Data on AI Models' (CC BY 4.0), read by :mod:`sim.empirical.epoch`; ``aieco data roster``
writes ``data/roster_*.csv`` with the command that regenerates it.

Columns of the roster (:func:`build_roster`):

- ``name``: organisation.
- ``region``: the most frequent region among its models' *first listed* countries; ties go to the
  first in :data:`sim.REGIONS` order (US, CN, EU, ROW); ROW if no model has a country.
- ``category``: the most frequent non-blank ``org_category`` among *all* its models, whatever their
  date (the kind of organisation is a fixed attribute; Epoch's category of the first listed
  organisation, given only in the notable-models export); "" if never given.
- ``training_compute_flop``: the largest known training compute of its models (float FLOP).
- ``strategy``: OPEN or CLOSED. With ``flagship_oom`` set (default 1.0), from its *flagship* models
  only: those with known compute within ``flagship_oom`` orders of magnitude of its best
  (``>= best / 10**flagship_oom``). The latest flagship with accessibility OPEN, CLOSED or UNRELEASED
  sets it, UNRELEASED counting as CLOSED (a withheld flagship is not an open one); same-day ties: the
  larger compute. With ``flagship_oom=None`` (the earlier rule), from its latest model of any size with
  accessibility OPEN or CLOSED (UNRELEASED skipped). UNKNOWN is always skipped; ``default_strategy`` if
  nothing is left.
- ``open_bias``: ``clip(ln((k_open + 1) / (k_closed + 1)), -bias_clip, bias_clip)``, a logit-scale
  prior for open release, 0 without known releases. With ``flagship_oom`` set, ``k_open`` and
  ``k_closed`` count its flagships (UNRELEASED as closed); otherwise all its OPEN and CLOSED models.
- ``n_models``: number of its models published before ``at`` (any accessibility, any compute).
- ``n_flagship``: number of its flagship models (all its models with known compute if
  ``flagship_oom`` is None).
- ``latest_model``, ``latest_release``: the model that set ``strategy`` and its date (YYYY-MM-DD);
  if none, its latest flagship (latest model of any kind if ``flagship_oom`` is None).

- ``entry``: "" for the organisations above (present at ``at``).

With ``bias_until`` (default 2024-01, so that 2024 and 2025 stay out of sample), ``open_bias`` is instead the
logit of ``(k_open + bias_prior_n * p_region) / (n + bias_prior_n)`` over the organisation's flagship-band models
(within 1 OOM of its best compute so far) with known accessibility published before ``bias_until``, where
``p_region`` is its region's open rate over 2019 to ``bias_until`` (:func:`region_open_rates`): a lab with few
models is shrunk toward its region (clipped to ``+-bias_clip``); ``n_flagship`` is then that ``n``. For every lab.

``exits``: a table with columns ``name`` and ``exit`` (YYYY-MM; the hand-curated ``data/lab_exits.csv``) sets the
``exit`` column ("" for labs not listed). ``efficiency_oom``: lab -> capability offset in OOM (the ECI link's
shrunken per-lab residuals divided by its ECI per OOM); 0 for labs not listed.

Entrants (with ``entrants_until``): an organisation not in the roster above, not in
``exclude_categories``, with a model published by ``entrants_until`` within ``entrant_oom`` orders of magnitude
of the frontier (the largest training compute of any model published up to that date), or an open-weight model
within ``open_entrant_oom`` (the open labs that shaped 2024-2025: Zhipu, Moonshot, StepFun). It enters in the
month of its first model of any size published in ``[at, entrants_until]`` (``entry``, YYYY-MM); its
``training_compute_flop`` is the largest known compute of its models in the 12 months from entry;
``strategy`` from its first model's accessibility (UNRELEASED counts as CLOSED, UNKNOWN gives
``default_strategy``); ``open_bias`` from its history before ``bias_until`` as above (its region's rate when it
has none); ``n_models`` its models in the window, ``latest_model``/``latest_release`` its first model. Entry dates make the historical
wave of new labs (Anthropic, Mistral, DeepSeek, Moonshot, ...) part of every scenario alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim import REGIONS
from sim.empirical.epoch import (
    CLOSED,
    DEFAULT_EXCLUDED_CATEGORIES,
    DEFAULT_ORG_ALIASES,
    OPEN,
    ROSTER_COLUMNS,
    UNRELEASED,
    parse_publication_date,
)

__all__ = ["build_roster", "region_open_rates"]

# --------------------------------------------------------------------------------------------------
# roster


def _month_start(at: str | pd.Timestamp) -> pd.Timestamp:
    try:
        if isinstance(at, str):
            ts, _ = parse_publication_date(at)
            if ts is None:
                raise ValueError(at)
        else:
            ts = pd.Timestamp(at)
    except ValueError as exc:
        raise ValueError(f"date must be YYYY-MM or YYYY-MM-DD, not {at!r}") from exc
    return ts


def _canonical_org(org: str, aliases: dict[str, str]) -> str:
    return aliases.get(org, org)


def _org_category(g: pd.DataFrame) -> str:
    """Most frequent non-blank ``org_category`` of an organisation's models ("" if none; ties: name order)."""
    if "org_category" not in g:
        return ""
    votes = g.loc[g["org_category"].fillna("") != "", "org_category"].value_counts()
    if votes.empty:
        return ""
    return sorted(votes[votes == votes.max()].index)[0]


def build_roster(
    models_df: pd.DataFrame,
    at: str | pd.Timestamp = "2022-01",
    *,
    min_compute_flop: float = 1e22,
    window_years: float = 3.0,
    default_strategy: str = CLOSED,
    bias_clip: float = 2.0,
    org_aliases: dict[str, str] | None = None,
    flagship_oom: float | None = 1.0,
    exclude_categories: Iterable[str] = DEFAULT_EXCLUDED_CATEGORIES,
    entrants_until: str | pd.Timestamp | None = None,
    entrant_oom: float = 1.5,
    open_entrant_oom: float | None = 2.1,
    bias_until: str | pd.Timestamp | None = "2024-01",
    bias_prior_n: float = 2.0,
    exits: pd.DataFrame | None = None,
    efficiency_oom: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Initial lab roster at date ``at`` from a model table (:func:`load_epoch` output).

    Inclusion: an organisation is included if at least one of its models has training compute
    ``>= min_compute_flop`` (FLOP) and a publication date in ``[at - window_years, at)``, and its Epoch
    "Organization categorization" (``category`` below) is not in ``exclude_categories`` (default
    :data:`DEFAULT_EXCLUDED_CATEGORIES`: universities, which sell no model access and have no budget the
    model's market could feed; pass ``()`` to keep them). A model belongs to its first listed
    organisation, after ``org_aliases`` (default :data:`DEFAULT_ORG_ALIASES`; pass ``{}`` for Epoch's names
    as they are). Models without an organisation or date are ignored. Only models published before ``at``
    are used for every column except ``category``:

    The columns' rules (region, category, compute, strategy from flagships, the open bias shrunk toward the
    region's rate, entrants and exits) are in this module's docstring.

    Returns a DataFrame with columns :data:`ROSTER_COLUMNS`, sorted by entry (start labs first), region
    (REGIONS order), compute descending, then name. Raises ``ValueError`` for a bad ``at``, ``default_strategy`` or
    ``flagship_oom`` and ``KeyError`` if ``models_df`` lacks the loader's columns.
    """
    if default_strategy not in (OPEN, CLOSED):
        raise ValueError(f"default_strategy must be OPEN or CLOSED, not {default_strategy!r}")
    if flagship_oom is not None and not (flagship_oom >= 0):
        raise ValueError(f"flagship_oom must be >= 0 or None, not {flagship_oom!r}")
    excluded = {str(c).casefold() for c in exclude_categories}
    aliases = DEFAULT_ORG_ALIASES if org_aliases is None else org_aliases
    t = _month_start(at)
    until_ts = _month_start(bias_until) if bias_until is not None else None
    rates = region_open_rates(models_df, until_ts, aliases, since=pd.Timestamp("2019-01-01")) if until_ts else {}
    inputs = _present_inputs(models_df, t, t - pd.DateOffset(months=round(12 * window_years)), min_compute_flop,
                             aliases)
    rule = _StrategyRule(flagship_oom, default_strategy, bias_clip, until_ts, bias_prior_n, rates)
    rows = [(*row, "") for lab in inputs.labs
            if _org_category(inputs.every[inputs.every_lab == lab]).casefold() not in excluded
            for row in [_present_row(inputs, lab, rule)]]
    if entrants_until is not None:
        rows += _entrants(models_df, t, _month_start(entrants_until), {r[0] for r in rows}, aliases, excluded,
                          entrant_oom, default_strategy, open_entrant_oom=open_entrant_oom, bias_until=until_ts,
                          bias_prior_n=bias_prior_n, region_rates=rates, bias_clip=bias_clip)
    return _finish_roster(rows, exits, efficiency_oom)


@dataclass(frozen=True)
class _PresentInputs:
    """The model tables the roster of labs present at ``at`` is read from."""

    before: pd.DataFrame  # models published before ``at`` with an organisation, column ``lab`` added
    every: pd.DataFrame  # every model with an organisation (for the category, a fixed attribute)
    every_lab: pd.Series  # the canonical lab of each row of ``every``
    dated: pd.DataFrame  # every dated model with an organisation, column ``lab`` added (for the open bias)
    labs: list[str]  # labs with a model of at least the minimum compute in the window before ``at``


def _present_inputs(models_df: pd.DataFrame, t: pd.Timestamp, t0: pd.Timestamp, min_compute_flop: float,
                    aliases: dict[str, str]) -> _PresentInputs:
    """Step 1: the tables, and the labs with a model of ``>= min_compute_flop`` published in ``[t0, t)``."""
    canon = lambda o: _canonical_org(o, aliases)  # noqa: E731
    df = models_df.loc[
        models_df["publication_date"].notna() & (models_df["publication_date"] < t) & (models_df["org"] != "")
    ].copy()
    df["lab"] = df["org"].map(canon)
    every = models_df.loc[models_df["org"] != ""]
    dated = models_df.loc[models_df["publication_date"].notna() & (models_df["org"] != "")].copy()
    dated["lab"] = dated["org"].map(canon)
    recent_big = df[(df["publication_date"] >= t0) & (df["training_compute_flop"] >= min_compute_flop)]
    return _PresentInputs(df, every, every["org"].map(canon), dated, sorted(set(recent_big["lab"])))


@dataclass(frozen=True)
class _StrategyRule:
    """How a lab's strategy and open bias are read from its models (the arguments of :func:`build_roster`)."""

    flagship_oom: float | None
    default_strategy: str
    bias_clip: float
    bias_until: pd.Timestamp | None
    bias_prior_n: float
    region_rates: dict[str, float]


def _majority_region(g: pd.DataFrame) -> str:
    """The most frequent region of a lab's models' first listed countries; ties in REGIONS order; ROW if none."""
    votes = g["primary_region"].dropna().value_counts()
    if votes.empty:
        return "ROW"
    top = votes[votes == votes.max()].index
    return next(r for r in REGIONS if r in top)


def _present_row(inputs: _PresentInputs, lab: str, rule: _StrategyRule) -> tuple:
    """Step 2: one present lab's row (name, region, category, compute, strategy, open bias, n_models, n_flagship,
    latest model and its date): the strategy from its latest flagship (or latest model), the bias from its
    flagships or, with ``bias_until``, from its history shrunk toward its region's open rate."""
    g = inputs.before[inputs.before["lab"] == lab]
    region = _majority_region(g)
    best = float(g["training_compute_flop"].max())
    if rule.flagship_oom is None:
        flagships, fallback = g[g["training_compute_flop"].notna()], g
        known = g[g["accessibility"].isin((OPEN, CLOSED))]
    else:
        flagships = fallback = g[g["training_compute_flop"] >= best / 10**rule.flagship_oom]
        known = flagships[flagships["accessibility"].isin((OPEN, CLOSED, UNRELEASED))]
    k_open = int((known["accessibility"] == OPEN).sum())
    pool = known if len(known) else fallback
    latest = pool.sort_values(["publication_date", "training_compute_flop"], ascending=[False, False],
                              na_position="last").iloc[0]
    strategy = (OPEN if latest["accessibility"] == OPEN else CLOSED) if len(known) else rule.default_strategy
    bias = float(np.clip(np.log((k_open + 1) / (len(known) - k_open + 1)), -rule.bias_clip, rule.bias_clip))
    n_bias = len(flagships)
    if rule.bias_until is not None:
        bias, n_bias = _history_bias(inputs.dated[inputs.dated["lab"] == lab], rule.bias_until, rule.bias_prior_n,
                                     rule.region_rates.get(region, 0.5), rule.bias_clip)
    category = _org_category(inputs.every[inputs.every_lab == lab])
    return (lab, region, category, best, strategy, round(bias, 4), len(g), n_bias, latest["model"],
            latest["publication_date"].strftime("%Y-%m-%d"))


def _finish_roster(rows: list[tuple], exits: pd.DataFrame | None,
                   efficiency_oom: dict[str, float] | None) -> pd.DataFrame:
    """Step 3: the table with exits and capability offsets, sorted by entry, region, compute (descending), name."""
    roster = pd.DataFrame(rows, columns=list(ROSTER_COLUMNS[:-2]))
    exit_of = {} if exits is None else dict(zip(exits["name"], exits["exit"].astype(str), strict=True))
    roster["exit"] = roster["name"].map(lambda n: exit_of.get(n, ""))
    roster["efficiency_oom"] = roster["name"].map(lambda n: round(float((efficiency_oom or {}).get(n, 0.0)), 4))
    roster["_r"] = roster["region"].map({r: i for i, r in enumerate(REGIONS)})
    roster = roster.sort_values(["entry", "_r", "training_compute_flop", "name"], ascending=[True, True, False, True])
    return roster.drop(columns="_r").reset_index(drop=True)


def _entrants(models_df: pd.DataFrame, start: pd.Timestamp, until: pd.Timestamp, present: set[str],
              aliases: dict[str, str], excluded: set[str], entrant_oom: float,
              default_strategy: str, open_entrant_oom: float | None = None, size_months: int = 12,
              bias_until: pd.Timestamp | None = None, bias_prior_n: float = 0.0,
              region_rates: dict[str, float] | None = None, bias_clip: float = 2.0) -> list[tuple]:
    """Roster rows of organisations entering in ``[start, until]`` (see :func:`build_roster`)."""
    every = models_df.loc[(models_df["org"] != "") & models_df["publication_date"].notna()].copy()
    every["lab"] = every["org"].map(lambda o: _canonical_org(o, aliases))
    every = every.sort_values(["publication_date", "training_compute_flop"], ascending=[True, False])
    frontier = every["training_compute_flop"].fillna(0.0).cummax()
    gap = np.log10(frontier / every["training_compute_flop"])
    qualifies = gap <= entrant_oom
    if open_entrant_oom is not None:
        qualifies |= (gap <= open_entrant_oom) & (every["accessibility"] == OPEN)
    end = until + pd.DateOffset(months=1)
    near = every[qualifies & (every["publication_date"] < end)]
    rows = []
    for lab in sorted(set(near["lab"])):
        if lab in present or _org_category(every[every["lab"] == lab]).casefold() in excluded:
            continue
        mine = every[(every["lab"] == lab) & (every["publication_date"] >= start) & (every["publication_date"] < end)]
        if mine.empty:
            continue
        first = mine.iloc[0]
        window = mine[mine["publication_date"] < first["publication_date"] + pd.DateOffset(months=size_months)]
        sized = window[window["training_compute_flop"].notna()]
        if sized.empty:
            sized = mine[mine["training_compute_flop"].notna()].iloc[:1]
        big = sized.sort_values("training_compute_flop", ascending=False).iloc[0]
        acc = first["accessibility"]
        strategy = OPEN if acc == OPEN else CLOSED if acc in (CLOSED, UNRELEASED) else default_strategy
        region = first["primary_region"] if isinstance(first["primary_region"], str) else "ROW"
        bias, n_hist = _history_bias(every[every["lab"] == lab], bias_until, bias_prior_n,
                                     (region_rates or {}).get(region, 0.5), bias_clip)
        rows.append((lab, region, _org_category(every[every["lab"] == lab]), float(big["training_compute_flop"]),
                     strategy, bias, len(mine), n_hist, first["model"],
                     first["publication_date"].strftime("%Y-%m-%d"), first["publication_date"].strftime("%Y-%m")))
    return rows


def _flagship_mask(g: pd.DataFrame, flagship_oom: float) -> pd.Series:
    """Models of one organisation (sorted by date) within ``flagship_oom`` OOM of its best compute so far."""
    best = g["training_compute_flop"].fillna(0.0).cummax()
    return g["training_compute_flop"] >= best / 10**flagship_oom


def _history_bias(g: pd.DataFrame, until: pd.Timestamp | None, prior_n: float, prior_rate: float,
                  clip: float, flagship_oom: float = 1.0) -> tuple[float, int]:
    """``open_bias`` from an organisation's own release history before ``until``: the logit of
    ``(k_open + prior_n * prior_rate) / (n + prior_n)`` over its flagship-band models (within ``flagship_oom`` of its
    best compute so far) with a known accessibility (UNRELEASED counts as closed), clipped to ``+-clip``; the prior is
    its region's open rate, so a lab with few models is shrunk toward it. Returns (bias, n)."""
    if until is None:
        return 0.0, 0
    g = g[g["publication_date"] < until].sort_values("publication_date")
    g = g[g["training_compute_flop"].notna()]
    g = g[_flagship_mask(g, flagship_oom) & g["accessibility"].isin((OPEN, CLOSED, UNRELEASED))]
    n, k_open = len(g), int((g["accessibility"] == OPEN).sum())
    if n + prior_n <= 0:
        return 0.0, 0
    p = (k_open + prior_n * prior_rate) / (n + prior_n)
    p = min(max(p, 1e-6), 1 - 1e-6)
    return round(float(np.clip(math.log(p / (1 - p)), -clip, clip)), 4), n


def region_open_rates(models_df: pd.DataFrame, until: pd.Timestamp, aliases: dict[str, str],
                      since: pd.Timestamp | None = None) -> dict[str, float]:
    """Open share of each region's models with known compute and accessibility (UNRELEASED as closed) published in
    ``[since, until)``, by their first country's region: the prior toward which :func:`_history_bias` shrinks."""
    d = models_df[models_df["publication_date"].notna() & (models_df["publication_date"] < until)
                  & models_df["training_compute_flop"].notna()
                  & models_df["accessibility"].isin((OPEN, CLOSED, UNRELEASED))]
    if since is not None:
        d = d[d["publication_date"] >= since]
    rates = d.groupby("primary_region")["accessibility"].apply(lambda a: float((a == OPEN).mean())).to_dict()
    return {r: rates.get(r, 0.5) for r in REGIONS}




TYPE_COLUMNS = ("lab_type", "misuse_statement", "complement_capture")
"""Columns :func:`merge_lab_types` adds to a roster from data/lab_types.csv."""


def merge_lab_types(roster: pd.DataFrame, types: pd.DataFrame) -> pd.DataFrame:
    """``roster`` with the columns :data:`TYPE_COLUMNS` from ``types`` (data/lab_types.csv: ``name``, ``lab_type``,
    ``misuse_statement`` YYYY-MM or blank, ``complement_capture`` 0..1 or blank, ``source``), matched by lab name; a
    lab not in ``types`` is a ``startup`` with blanks, and rows of ``types`` for labs outside this roster (another
    date or threshold) are ignored (tests/test_revenue.py checks that every row names a lab of the committed
    roster). Returns a new DataFrame (same rows and order)."""
    by_name = types.set_index("name")
    out = roster.copy()
    out["lab_type"] = out["name"].map(by_name["lab_type"]).fillna("startup")
    for col in ("misuse_statement", "complement_capture"):
        out[col] = out["name"].map(by_name[col]) if col in by_name else np.nan
        out[col] = out[col].map(lambda v: "" if pd.isna(v) else (f"{v:g}" if isinstance(v, float) else str(v)))
    return out
