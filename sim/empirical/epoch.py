"""Epoch AI model data: loader, initial lab roster and empirical target tables.

Source: Epoch AI, 'Data on AI Models'. Published online at epoch.ai. Retrieved from
'https://epoch.ai/data/ai-models'. CC BY 4.0. The raw CSV exports are not part of this project; this
module reads them (any snapshot in either column vintage) and derives small tables from them:

- :func:`load_epoch_csv` / :func:`load_epoch`: one normalised model table plus a :class:`LoadReport`.
- :func:`build_roster`: the initial labs of a scenario (one row per organisation).
- :func:`open_share_by_region_year`, :func:`frontier_compute_trend`, :func:`open_closed_lag_by_year`,
  :func:`compute_share_by_region_year`: calibration and validation targets; :func:`build_targets` writes
  all four.

Normalisation rules (also in ``data/README.md``):

- Countries -> regions: ``US`` = United States; ``CN`` = China incl. Hong Kong and Macao; ``EU`` =
  "European": the 27 EU member states plus the United Kingdom, Switzerland, Norway, Iceland and
  Liechtenstein; ``ROW`` = every other country, including "Multinational" and Taiwan. A blank country
  gives no region (the model is left out of regional tables and counted in the report).
- Several countries ("United States of America,China"): for regional statistics a model counts once in
  each *distinct* region it lists (so a US-China model counts for US and for CN); for compute shares its
  compute is split equally between those regions (shares then add up to 1). For the roster, a model's
  region is the region of its *first* listed country, which Epoch lists in the order of the
  organisations.
- Several organisations ("Google DeepMind,Google"): a model belongs to its *first* listed organisation.
  Organisations are separated by a comma not followed by a space (one name, "NERSC, Lawrence Berkeley
  National Laboratory", contains ", "). A few sub-units are merged (:data:`DEFAULT_ORG_ALIASES`).
- Accessibility: any "Open weights ..." -> ``OPEN``; "API access", "Hosted access (no API)" ->
  ``CLOSED``; "Unreleased" -> ``UNRELEASED``; blank -> ``UNKNOWN``; anything else is an error.
- Dates: ``YYYY-MM-DD``, ``YYYY-MM`` (first of the month) or ``YYYY`` (1 January); blank -> missing.

Only numpy, pandas and scipy are used; nothing here knows about the simulation model.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim import REGIONS

__all__ = [
    "ACCESSIBILITY_LABELS",
    "CLOSED",
    "DEFAULT_EXCLUDED_CATEGORIES",
    "DEFAULT_ORG_ALIASES",
    "EPOCH_CITATION",
    "EU_COUNTRIES",
    "EmpiricalDataError",
    "LoadReport",
    "MalformedValue",
    "MODEL_COLUMNS",
    "OPEN",
    "ROSTER_COLUMNS",
    "TARGET_FILES",
    "UNKNOWN",
    "UNRELEASED",
    "build_roster",
    "build_targets",
    "compute_share_by_region_year",
    "country_to_region",
    "find_epoch_file",
    "frontier_compute_trend",
    "load_epoch",
    "load_epoch_csv",
    "map_accessibility",
    "open_closed_lag_by_year",
    "open_share_by_region_year",
    "parse_publication_date",
    "read_table",
    "running_top_n",
    "write_table",
]

EPOCH_CITATION = (
    "Epoch AI, 'Data on AI Models'. Published online at epoch.ai. "
    "Retrieved from 'https://epoch.ai/data/ai-models'. CC BY 4.0"
)

OPEN = "OPEN"
CLOSED = "CLOSED"
UNRELEASED = "UNRELEASED"
UNKNOWN = "UNKNOWN"

ACCESSIBILITY_LABELS: dict[str, str] = {
    "open weights (unrestricted)": OPEN,
    "open weights (non-commercial)": OPEN,
    "open weights (restricted use)": OPEN,
    "api access": CLOSED,
    "hosted access (no api)": CLOSED,
    "unreleased": UNRELEASED,
    "": UNKNOWN,
}
"""Epoch "Model accessibility" label (case-folded) -> category. Any other label starting with
"open weights" is also OPEN (Epoch adds sub-kinds from time to time)."""

EU_COUNTRIES: frozenset[str] = frozenset(
    s.casefold()
    for s in (
        # EU-27
        "Austria", "Belgium", "Bulgaria", "Croatia", "Cyprus", "Czechia", "Czech Republic", "Denmark",
        "Estonia", "Finland", "France", "Germany", "Greece", "Hungary", "Ireland", "Italy", "Latvia",
        "Lithuania", "Luxembourg", "Malta", "Netherlands", "Netherlands (Kingdom of the)", "Poland",
        "Portugal", "Romania", "Slovakia", "Slovenia", "Spain", "Sweden",
        # other European: UK, Switzerland, EEA/EFTA
        "United Kingdom of Great Britain and Northern Ireland", "United Kingdom", "UK", "Great Britain",
        "Switzerland", "Norway", "Iceland", "Liechtenstein",
    )
)  # fmt: skip
"""Country names (case-folded) mapped to region ``EU`` ("European")."""

_US_COUNTRIES = frozenset(s.casefold() for s in ("United States of America", "United States", "USA", "US"))
_CN_COUNTRIES = frozenset(
    s.casefold() for s in ("China", "Hong Kong", "Hong Kong SAR", "Hong Kong, China", "Macao", "Macau")
)

DEFAULT_ORG_ALIASES: dict[str, str] = {
    "Google Research": "Google",
    "Google Brain": "Google",
    "Facebook": "Meta AI",
    "Facebook AI": "Meta AI",
    "Facebook AI Research": "Meta AI",
    "Meta": "Meta AI",
    "Microsoft Research": "Microsoft",
    "Google DeepMind": "Google",
}
"""Sub-units merged into one lab for the roster. DeepMind (UK, independent until 2023-04) is kept apart
from Google as the European lab it was at the start; releases of the merged "Google DeepMind" count for
Google (so the merger is not a new entrant); Microsoft Research Asia (CN) is kept apart from Microsoft."""

MODEL_COLUMNS: tuple[str, ...] = (
    "model",
    "organization",
    "org",
    "org_category",
    "publication_date",
    "date_precision",
    "year",
    "training_compute_flop",
    "accessibility",
    "accessibility_label",
    "countries",
    "regions",
    "primary_region",
    "frontier_flag",
    "source",
    "row",
)
"""Columns of the normalised model table returned by the loaders, in this order.

model (str, Epoch "Model"/"System"), organization (str, raw field), org (first listed organisation,
aliases not applied), org_category (Epoch's "Organization categorization" of that first organisation, e.g.
"Industry", "Academia", "Research collective", "Government"; "" if blank or the column is absent, as in the
large-scale and frontier exports), publication_date (Timestamp or NaT), date_precision ("day"/"month"/"year"/""),
year (Int64, <NA> if no date), training_compute_flop (float FLOP, NaN if unknown), accessibility
(OPEN/CLOSED/UNRELEASED/UNKNOWN), accessibility_label (raw), countries (tuple of str), regions (tuple of
distinct regions in listed order, empty if no country), primary_region (region of the first country,
missing if none), frontier_flag (bool, Epoch "Frontier model" column, False if absent), source (file name), row
(1-based data row in that file)."""

ROSTER_COLUMNS: tuple[str, ...] = (
    "name",
    "region",
    "category",
    "training_compute_flop",
    "strategy",
    "open_bias",
    "n_models",
    "n_flagship",
    "latest_model",
    "latest_release",
    "entry",
    "exit",
    "efficiency_oom",
)

DEFAULT_EXCLUDED_CATEGORIES: tuple[str, ...] = ("Academia",)
"""Epoch "Organization categorization" values whose organisations :func:`build_roster` leaves out by
default (compared case-insensitively)."""

TARGET_FILES: tuple[str, ...] = (
    "open_share_by_region_year.csv",
    "frontier_compute_trend.csv",
    "open_closed_lag_by_year.csv",
    "compute_share_by_region_year.csv",
)

_EPOCH_FILE_PATTERNS = {
    "notable": "notable_ai_models*.csv",
    "large_scale": "large_scale_ai_models*.csv",
    "frontier": "frontier_ai_models*.csv",
}

# Accepted header names, newest first.
_COLUMN_CANDIDATES: dict[str, tuple[str, ...]] = {
    "model": ("Model", "System"),
    "organization": ("Organization", "Organization(s)"),
    "publication_date": ("Publication date", "Publication Date"),
    "country": ("Country (of organization)", "Country (from Organization)"),
    "training_compute_flop": ("Training compute (FLOP)",),
    "accessibility": ("Model accessibility",),
}
_OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "frontier_flag": ("Frontier model",),
    "org_category": ("Organization categorization",),
}

_LIST_SEP = re.compile(r",(?! )")  # Epoch joins list items with "," ; names may contain ", "
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_DAYS_PER_MONTH = 365.25 / 12


class EmpiricalDataError(ValueError):
    """Bad input data: missing file, missing columns, unknown label or unparseable value.

    The message names the file, the row (1-based data row and CSV line) or column, and what was
    expected, so it can be shown to a user as one line.
    """


@dataclass(frozen=True)
class MalformedValue:
    """One cell that could not be parsed (kept when ``on_malformed="report"``)."""

    file: str
    row: int
    line: int
    column: str
    value: str
    expected: str

    def __str__(self) -> str:
        return (
            f"{self.file}, data row {self.row} (CSV line {self.line}), column {self.column!r}: "
            f"expected {self.expected}, got {self.value!r}"
        )


@dataclass
class LoadReport:
    """What the loader saw: counts of rows and of missing or malformed values.

    Attributes are plain counts except ``malformed`` (list of :class:`MalformedValue`: unparseable dates
    or compute, whose cells were set to missing), ``rest_of_world_countries`` (country names mapped to
    ROW, for auditing the region rule) and ``files``.
    """

    files: list[str] = field(default_factory=list)
    n_rows: int = 0
    n_duplicates_dropped: int = 0
    n_missing_date: int = 0
    n_missing_compute: int = 0
    n_blank_accessibility: int = 0
    n_blank_country: int = 0
    n_blank_organization: int = 0
    n_multi_country: int = 0
    n_multi_region: int = 0
    n_multi_org: int = 0
    malformed: list[MalformedValue] = field(default_factory=list)
    rest_of_world_countries: set[str] = field(default_factory=set)

    @property
    def n_malformed(self) -> int:
        """Number of malformed cells (rows with both a bad date and bad compute count twice)."""
        return len(self.malformed)

    def merge(self, other: LoadReport) -> LoadReport:
        """Return a new report adding up ``self`` and ``other``."""
        out = LoadReport(
            files=self.files + other.files,
            malformed=self.malformed + other.malformed,
            rest_of_world_countries=self.rest_of_world_countries | other.rest_of_world_countries,
        )
        for name in (
            "n_rows",
            "n_duplicates_dropped",
            "n_missing_date",
            "n_missing_compute",
            "n_blank_accessibility",
            "n_blank_country",
            "n_blank_organization",
            "n_multi_country",
            "n_multi_region",
            "n_multi_org",
        ):
            setattr(out, name, getattr(self, name) + getattr(other, name))
        return out

    def summary(self) -> str:
        """A short multi-line human-readable summary."""
        lines = [
            f"files: {', '.join(self.files)}",
            f"rows read: {self.n_rows}; duplicates dropped: {self.n_duplicates_dropped}",
            f"missing date: {self.n_missing_date}; missing compute: {self.n_missing_compute}; "
            f"blank accessibility: {self.n_blank_accessibility}; blank country: {self.n_blank_country}; "
            f"blank organization: {self.n_blank_organization}",
            f"several countries: {self.n_multi_country} (several regions: {self.n_multi_region}); "
            f"several organizations: {self.n_multi_org}",
            f"malformed values (set to missing): {self.n_malformed}",
        ]
        lines += [f"  {m}" for m in self.malformed]
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# cell-level parsers


def split_list(field_value: str) -> list[str]:
    """Split an Epoch list field ("A,B,C") into stripped, non-empty items.

    Items are separated by a comma *not* followed by a space, so "NERSC, Lawrence Berkeley National
    Laboratory" stays one item.
    """
    return [s.strip() for s in _LIST_SEP.split(field_value or "") if s.strip()]


def country_to_region(country: str) -> str | None:
    """Map one country name (as spelled by Epoch) to a region in :data:`sim.REGIONS`.

    Returns ``"US"``, ``"CN"`` (China, Hong Kong, Macao), ``"EU"`` (:data:`EU_COUNTRIES`) or ``"ROW"``
    (anything else, including "Multinational"); ``None`` for a blank name. Case-insensitive.
    """
    key = (country or "").strip().casefold()
    if not key:
        return None
    if key in _US_COUNTRIES:
        return "US"
    if key in _CN_COUNTRIES:
        return "CN"
    if key in EU_COUNTRIES:
        return "EU"
    return "ROW"


def map_accessibility(label: str, *, where: str = "") -> str:
    """Map an Epoch "Model accessibility" label to OPEN, CLOSED, UNRELEASED or UNKNOWN (blank).

    Raises :class:`EmpiricalDataError` for an unrecognised label; ``where`` (e.g. "file.csv, data row
    3") is put at the start of the message.
    """
    key = (label or "").strip().casefold()
    if key in ACCESSIBILITY_LABELS:
        return ACCESSIBILITY_LABELS[key]
    if key.startswith("open weights"):
        return OPEN
    known = ", ".join(repr(k) for k in (
        "Open weights (unrestricted)", "Open weights (non-commercial)", "Open weights (restricted use)",
        "API access", "Hosted access (no API)", "Unreleased",
    ))  # fmt: skip
    prefix = f"{where}, " if where else ""
    raise EmpiricalDataError(
        f"{prefix}column 'Model accessibility': unknown label {label!r}; expected one of {known} or blank"
    )


def parse_publication_date(value: str) -> tuple[pd.Timestamp | None, str]:
    """Parse an Epoch publication date.

    Accepts ``YYYY-MM-DD``, ``YYYY-MM`` (-> first day of the month) and ``YYYY`` (-> 1 January).
    Returns ``(timestamp, precision)`` with precision "day", "month" or "year"; ``(None, "")`` for a
    blank value. Raises ``ValueError`` for anything else (including impossible dates like 2023-02-30).
    """
    s = (value or "").strip()
    if not s:
        return None, ""
    m = _DATE_RE.match(s)
    if not m:
        raise ValueError(s)
    y, mo, d = m.groups()
    precision = "day" if d else ("month" if mo else "year")
    ts = pd.Timestamp(year=int(y), month=int(mo or 1), day=int(d or 1))  # raises ValueError if invalid
    return ts, precision


def _parse_compute(value: str) -> float:
    """Parse a training-compute cell to float FLOP; NaN if blank; ValueError if not a finite number >= 0."""
    s = (value or "").strip().replace(",", "")
    if not s:
        return math.nan
    x = float(s)
    if not math.isfinite(x) or x < 0:
        raise ValueError(s)
    return x


# --------------------------------------------------------------------------------------------------
# loaders


def _resolve_columns(header: Sequence[str], path: Path) -> tuple[dict[str, str], dict[str, str]]:
    present = {h.strip(): h for h in header}
    required: dict[str, str] = {}
    missing = []
    for key, candidates in _COLUMN_CANDIDATES.items():
        found = next((present[c] for c in candidates if c in present), None)
        if found is None:
            missing.append(" or ".join(repr(c) for c in candidates))
        else:
            required[key] = found
    if missing:
        raise EmpiricalDataError(
            f"{path}: missing column(s) {'; '.join(missing)}; this does not look like an Epoch AI models "
            f"CSV (header has {len(header)} columns: {', '.join(list(present)[:8])}...)"
        )
    optional = {
        key: next(present[c] for c in cands if c in present)
        for key, cands in _OPTIONAL_COLUMNS.items()
        if any(c in present for c in cands)
    }
    return required, optional


def load_epoch_csv(path: str | Path, *, on_malformed: str = "raise") -> tuple[pd.DataFrame, LoadReport]:
    """Read one Epoch AI models CSV (notable, large-scale or frontier; any snapshot) into a tidy table.

    Parameters
    ----------
    path:
        The CSV file. Both column vintages are accepted: "Model" or older "System";
        "Country (of organization)" or older "Country (from Organization)". Required columns: model name,
        "Organization", "Publication date", country, "Training compute (FLOP)", "Model accessibility".
    on_malformed:
        ``"raise"`` (default): an unparseable date or compute value raises
        :class:`EmpiricalDataError`. ``"report"``: the cell is set to missing and recorded in
        ``report.malformed``. Blank cells are never errors; they are counted in the report.

    Returns
    -------
    (models, report):
        ``models`` has one row per CSV data row and the columns :data:`MODEL_COLUMNS`;
        ``report`` is a :class:`LoadReport`.

    Raises
    ------
    EmpiricalDataError
        Missing or unreadable file, missing columns, unknown accessibility label, or (with
        ``on_malformed="raise"``) unparseable date or compute. The message names the file, the data row
        (1-based, header excluded) and the CSV line, the column, and what was expected.

    Source: Epoch AI, 'Data on AI Models' (CC BY 4.0), https://epoch.ai/data/ai-models.
    """
    if on_malformed not in ("raise", "report"):
        raise ValueError(f"on_malformed must be 'raise' or 'report', not {on_malformed!r}")
    path = Path(path)
    if not path.is_file():
        raise EmpiricalDataError(f"{path}: file not found (expected an Epoch AI models CSV export)")
    report = LoadReport(files=[path.name])
    records = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            try:
                header = next(reader)
            except StopIteration:
                raise EmpiricalDataError(f"{path}: empty file (expected a CSV header row)") from None
            cols, opt = _resolve_columns(header, path)
            index = {h: i for i, h in enumerate(header)}
            idx = {k: index[v] for k, v in cols.items()}
            fidx = index[opt["frontier_flag"]] if "frontier_flag" in opt else None
            cidx = index[opt["org_category"]] if "org_category" in opt else None
            prev_end = reader.line_num
            for row_no, cells in enumerate(reader, start=1):
                line = prev_end + 1
                prev_end = reader.line_num
                if not any(c.strip() for c in cells):
                    continue  # blank line

                def cell(key: str, _cells: list[str] = cells) -> str:
                    i = idx[key]
                    return _cells[i].strip() if i < len(_cells) else ""

                where = f"{path.name}, data row {row_no} (CSV line {line})"

                def bad(column_key: str, value: str, expected: str, _row=row_no, _line=line) -> None:
                    mv = MalformedValue(path.name, _row, _line, cols[column_key], value, expected)
                    if on_malformed == "raise":
                        raise EmpiricalDataError(str(mv))
                    report.malformed.append(mv)

                report.n_rows += 1
                date_raw = cell("publication_date")
                try:
                    date, precision = parse_publication_date(date_raw)
                except ValueError:
                    bad("publication_date", date_raw, "a date YYYY-MM-DD, YYYY-MM or YYYY")
                    date, precision = None, ""
                if date is None and not date_raw:
                    report.n_missing_date += 1
                comp_raw = cell("training_compute_flop")
                try:
                    compute = _parse_compute(comp_raw)
                except ValueError:
                    bad("training_compute_flop", comp_raw, "a non-negative number of FLOP (e.g. 3.1e23)")
                    compute = math.nan
                if not comp_raw:
                    report.n_missing_compute += 1
                acc_raw = cell("accessibility")
                access = map_accessibility(acc_raw, where=where)
                if access == UNKNOWN:
                    report.n_blank_accessibility += 1
                countries = tuple(split_list(cell("country")))
                regions = tuple(dict.fromkeys(r for r in map(country_to_region, countries) if r))
                if not countries:
                    report.n_blank_country += 1
                if len(countries) > 1:
                    report.n_multi_country += 1
                if len(regions) > 1:
                    report.n_multi_region += 1
                report.rest_of_world_countries.update(c for c in countries if country_to_region(c) == "ROW")
                orgs = split_list(cell("organization"))
                if not orgs:
                    report.n_blank_organization += 1
                if len(orgs) > 1:
                    report.n_multi_org += 1
                categories = split_list(cells[cidx]) if cidx is not None and cidx < len(cells) else []
                flag = False
                if fidx is not None and fidx < len(cells):
                    flag = cells[fidx].strip().casefold() in ("true", "yes", "1", "checked")
                records.append(
                    (
                        cell("model"),
                        cell("organization"),
                        orgs[0] if orgs else "",
                        categories[0] if categories else "",
                        date,
                        precision,
                        compute,
                        access,
                        acc_raw,
                        countries,
                        regions,
                        country_to_region(countries[0]) if countries else None,
                        flag,
                        path.name,
                        row_no,
                    )
                )
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise EmpiricalDataError(f"{path}: cannot read as a UTF-8 CSV file ({exc})") from exc
    return _records_to_frame(records), report


def _records_to_frame(records: list[tuple]) -> pd.DataFrame:
    cols = [c for c in MODEL_COLUMNS if c != "year"]
    df = pd.DataFrame.from_records(records, columns=cols)
    df["publication_date"] = pd.to_datetime(df["publication_date"])
    df["training_compute_flop"] = df["training_compute_flop"].astype(float)
    df["frontier_flag"] = df["frontier_flag"].astype(bool)
    df["row"] = df["row"].astype(int)
    df.insert(cols.index("date_precision") + 1, "year", df["publication_date"].dt.year.astype("Int64"))
    return df[list(MODEL_COLUMNS)]


def find_epoch_file(epoch_dir: str | Path, kind: str) -> Path:
    """Return the newest snapshot of one Epoch export in ``epoch_dir``.

    ``kind`` is "notable", "large_scale" or "frontier" (files ``notable_ai_models*.csv`` etc.; when
    several snapshots exist the last in name order, i.e. the latest date suffix, is used).
    Raises :class:`EmpiricalDataError` if the directory or file is missing.
    """
    if kind not in _EPOCH_FILE_PATTERNS:
        raise ValueError(f"kind must be one of {sorted(_EPOCH_FILE_PATTERNS)}, not {kind!r}")
    d = Path(epoch_dir)
    if not d.is_dir():
        raise EmpiricalDataError(f"{d}: Epoch data directory not found")
    matches = sorted(d.glob(_EPOCH_FILE_PATTERNS[kind]))
    if not matches:
        raise EmpiricalDataError(
            f"{d}: no file matching {_EPOCH_FILE_PATTERNS[kind]!r} (expected Epoch's {kind} models CSV)"
        )
    return matches[-1]


def _model_key(name: str) -> str:
    return " ".join(str(name).split()).casefold()


def load_epoch(
    epoch_dir: str | Path,
    kinds: Iterable[str] = ("notable", "large_scale"),
    *,
    on_malformed: str = "raise",
) -> tuple[pd.DataFrame, LoadReport]:
    """Load and combine several Epoch exports from ``epoch_dir``, de-duplicated by model name.

    ``kinds`` is read in order ("notable", "large_scale", "frontier"); when the same model name
    (case-insensitive, whitespace-normalised) appears in several files, the row from the earliest kind
    is kept and the others are counted in ``report.n_duplicates_dropped``. Returns ``(models, report)``
    like :func:`load_epoch_csv`; raises :class:`EmpiricalDataError` as it does.
    """
    frames = []
    report = LoadReport()
    for kind in kinds:
        df, rep = load_epoch_csv(find_epoch_file(epoch_dir, kind), on_malformed=on_malformed)
        frames.append(df)
        report = report.merge(rep)
    models = pd.concat(frames, ignore_index=True)
    keys = models["model"].map(_model_key)
    dup = keys.duplicated(keep="first") & (keys != "")
    report.n_duplicates_dropped = int(dup.sum())
    return models.loc[~dup].reset_index(drop=True), report


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
    t0 = t - pd.DateOffset(months=round(12 * window_years))
    df = models_df.loc[
        models_df["publication_date"].notna() & (models_df["publication_date"] < t) & (models_df["org"] != "")
    ].copy()
    df["lab"] = df["org"].map(lambda o: _canonical_org(o, aliases))
    every = models_df.loc[models_df["org"] != ""]
    every_lab = every["org"].map(lambda o: _canonical_org(o, aliases))
    recent_big = df[(df["publication_date"] >= t0) & (df["training_compute_flop"] >= min_compute_flop)]
    labs = sorted(set(recent_big["lab"]))
    until_ts = _month_start(bias_until) if bias_until is not None else None
    rates = region_open_rates(models_df, until_ts, aliases, since=pd.Timestamp("2019-01-01")) if until_ts else {}
    every_models = models_df.loc[models_df["publication_date"].notna() & (models_df["org"] != "")].copy()
    every_models["lab"] = every_models["org"].map(lambda o: _canonical_org(o, aliases))
    order = ["publication_date", "training_compute_flop"]
    rows = []
    for lab in labs:
        g = df[df["lab"] == lab]
        category = _org_category(every[every_lab == lab])
        if category.casefold() in excluded:
            continue
        votes = g["primary_region"].dropna().value_counts()
        if votes.empty:
            region = "ROW"
        else:
            top = votes[votes == votes.max()].index
            region = next(r for r in REGIONS if r in top)
        best = float(g["training_compute_flop"].max())
        if flagship_oom is None:
            flagships = g[g["training_compute_flop"].notna()]
            known = g[g["accessibility"].isin((OPEN, CLOSED))]
            fallback = g
        else:
            flagships = g[g["training_compute_flop"] >= best / 10**flagship_oom]
            known = flagships[flagships["accessibility"].isin((OPEN, CLOSED, UNRELEASED))]
            fallback = flagships
        k_open = int((known["accessibility"] == OPEN).sum())
        k_closed = len(known) - k_open
        pool = known if len(known) else fallback
        latest = pool.sort_values(order, ascending=[False, False], na_position="last").iloc[0]
        if len(known):
            strategy = OPEN if latest["accessibility"] == OPEN else CLOSED
        else:
            strategy = default_strategy
        bias = float(np.clip(np.log((k_open + 1) / (k_closed + 1)), -bias_clip, bias_clip))
        n_bias = len(flagships)
        if bias_until is not None:
            bias, n_bias = _history_bias(every_models[every_models["lab"] == lab], until_ts, bias_prior_n,
                                         rates.get(region, 0.5), bias_clip)
        rows.append(
            (
                lab,
                region,
                category,
                best,
                strategy,
                round(bias, 4),
                len(g),
                n_bias,
                latest["model"],
                latest["publication_date"].strftime("%Y-%m-%d"),
            )
        )
    rows = [(*r, "") for r in rows]
    if entrants_until is not None:
        rows += _entrants(models_df, t, _month_start(entrants_until), {r[0] for r in rows}, aliases, excluded,
                          entrant_oom, default_strategy, open_entrant_oom=open_entrant_oom, bias_until=until_ts,
                          bias_prior_n=bias_prior_n, region_rates=rates, bias_clip=bias_clip)
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


# --------------------------------------------------------------------------------------------------
# target tables


def _years(years: Iterable[int] | None) -> list[int]:
    return list(range(2019, 2026)) if years is None else [int(y) for y in years]


def _explode_regions(models: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, distinct region); ``weight`` = 1 / number of distinct regions."""
    df = models.loc[models["regions"].map(len) > 0].copy()
    df["weight"] = 1.0 / df["regions"].map(len)
    df = df.explode("regions").rename(columns={"regions": "region"})
    return df


def open_share_by_region_year(
    models: pd.DataFrame,
    years: Iterable[int] | None = None,
    *,
    confidence: float = 0.90,
    method: str = "wilson",
) -> pd.DataFrame:
    """Open-weight share of models by region and publication year.

    Counts models with accessibility OPEN or CLOSED only (UNRELEASED and UNKNOWN excluded). A model
    with countries in several regions counts once in each of them. ``years`` default 2019..2025.

    Returns columns ``region, year, n_open, n_closed, n_known, open_share, ci_low, ci_high``, one row
    per region (REGIONS order) and year; ``open_share = n_open / n_known`` and the two-sided
    ``confidence`` interval by ``scipy.stats.binomtest(...).proportion_ci(method=method)`` ("wilson",
    "wilsoncc" or "exact"); NaN where ``n_known == 0``. Two further columns give the alternative
    definition used for pattern P1 in DESIGN.md: ``n_unreleased`` and ``open_share_incl_unreleased =
    n_open / (n_known + n_unreleased)`` (UNRELEASED counted as not open).
    """
    ys = _years(years)
    df = _explode_regions(models[models["accessibility"].isin((OPEN, CLOSED, UNRELEASED))])
    df = df[df["year"].isin(ys)]
    rows = []
    for region in REGIONS:
        for y in ys:
            g = df[(df["region"] == region) & (df["year"] == y)]
            k = int((g["accessibility"] == OPEN).sum())
            n = int(g["accessibility"].isin((OPEN, CLOSED)).sum())
            u = int((g["accessibility"] == UNRELEASED).sum())
            if n:
                ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method=method)
                share, lo, hi = k / n, float(ci.low), float(ci.high)
            else:
                share = lo = hi = math.nan
            rows.append((region, y, k, n - k, n, share, lo, hi, u, k / (n + u) if n + u else math.nan))
    return pd.DataFrame(
        rows,
        columns=["region", "year", "n_open", "n_closed", "n_known", "open_share", "ci_low", "ci_high",
                 "n_unreleased", "open_share_incl_unreleased"],
    )  # fmt: skip


def compute_share_by_region_year(models: pd.DataFrame, years: Iterable[int] | None = None) -> pd.DataFrame:
    """Share of total training compute of the models published each year, by region.

    Uses models with known training compute and at least one country; a model's compute is split
    equally among its distinct regions, so the shares of a year add up to 1.

    Returns columns ``region, year, n_models, compute_flop, share``: ``n_models`` models that count
    (fully or partly) for the region, ``compute_flop`` the attributed compute (FLOP), ``share`` its
    fraction of the year's total (NaN if the year has none).
    """
    ys = _years(years)
    df = _explode_regions(models[models["training_compute_flop"].notna()])
    df = df[df["year"].isin(ys)]
    df["attributed"] = df["training_compute_flop"] * df["weight"]
    totals = df.groupby("year")["attributed"].sum()
    rows = []
    for region in REGIONS:
        for y in ys:
            g = df[(df["region"] == region) & (df["year"] == y)]
            c = float(g["attributed"].sum())
            tot = float(totals.get(y, 0.0))
            rows.append((region, y, len(g), c, c / tot if tot > 0 else math.nan))
    return pd.DataFrame(rows, columns=["region", "year", "n_models", "compute_flop", "share"])


def running_top_n(models: pd.DataFrame, n: int = 5) -> pd.Series:
    """Boolean Series: was the model among the ``n`` largest training runs published up to its date?

    Considers models with known compute and date (others are False). A model is flagged if fewer than
    ``n`` models published on or before its publication date have strictly larger compute.
    """
    ok = models["training_compute_flop"].notna() & models["publication_date"].notna()
    d = models.loc[ok, "publication_date"].to_numpy()
    c = models.loc[ok, "training_compute_flop"].to_numpy()
    flags = np.zeros(len(d), dtype=bool)
    for i in range(len(d)):
        flags[i] = np.count_nonzero((d <= d[i]) & (c > c[i])) < n
    out = pd.Series(False, index=models.index)
    out.loc[ok] = flags
    return out


def _decimal_year(dates: pd.Series) -> np.ndarray:
    d = pd.to_datetime(dates)
    start = pd.to_datetime(d.dt.year.astype(str) + "-01-01")
    length = np.where(d.dt.is_leap_year, 366.0, 365.0)
    return (d.dt.year + (d - start).dt.days / length).to_numpy(dtype=float)


def _loglinear_fit(sub: pd.DataFrame, confidence: float) -> dict[str, float]:
    x = _decimal_year(sub["publication_date"])
    y = np.log10(sub["training_compute_flop"].to_numpy(dtype=float))
    n = len(x)
    if n < 3:
        nan = math.nan
        return dict(n=n, slope=nan, growth=nan, lo=nan, hi=nan, r2=nan)
    fit = stats.linregress(x, y)
    tq = stats.t.ppf(0.5 + confidence / 2, n - 2)
    return dict(
        n=n,
        slope=fit.slope,
        growth=10**fit.slope,
        lo=10 ** (fit.slope - tq * fit.stderr),
        hi=10 ** (fit.slope + tq * fit.stderr),
        r2=fit.rvalue**2,
    )


def frontier_compute_trend(
    models: pd.DataFrame,
    frontier_models: pd.DataFrame | None = None,
    *,
    start: str = "2018-01-01",
    end: str = "2025-12-31",
    top_n: int = 5,
    confidence: float = 0.90,
) -> pd.DataFrame:
    """Log-linear trend of frontier training compute: growth factor per year with a CI.

    Fits ``log10(training compute, FLOP) = a + b * decimal_year`` by ordinary least squares
    (``scipy.stats.linregress``) on models published in ``[start, end]`` with known compute; growth per
    year is ``10**b`` and the ``confidence`` interval is ``10**(b ± t * se)`` with n - 2 degrees of
    freedom. One row per frontier definition, the first being the headline:

    - ``running_top{n}``: models in the running top ``top_n`` (:func:`running_top_n`) of ``models``
      (history before ``start`` counts for the ranking);
    - ``epoch_frontier_flag``: models in ``models`` with Epoch's "Frontier model" flag (if any);
    - ``epoch_frontier_file``: all models of ``frontier_models`` (Epoch's frontier export), if given.

    Returns columns ``method, window_start, window_end, n, slope_log10_per_year, growth_per_year,
    ci_low, ci_high, confidence, r2``.
    """
    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)

    def window(df: pd.DataFrame) -> pd.DataFrame:
        ok = df["training_compute_flop"].gt(0) & df["publication_date"].between(t0, t1)
        return df[ok]

    sets = [(f"running_top{top_n}", window(models[running_top_n(models, top_n)]))]
    if models["frontier_flag"].any():
        sets.append(("epoch_frontier_flag", window(models[models["frontier_flag"]])))
    if frontier_models is not None:
        sets.append(("epoch_frontier_file", window(frontier_models)))
    rows = []
    for name, sub in sets:
        f = _loglinear_fit(sub, confidence)
        rows.append(
            (name, t0.strftime("%Y-%m-%d"), t1.strftime("%Y-%m-%d"), f["n"], f["slope"], f["growth"],
             f["lo"], f["hi"], confidence, f["r2"])
        )  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["method", "window_start", "window_end", "n", "slope_log10_per_year", "growth_per_year",
                 "ci_low", "ci_high", "confidence", "r2"],
    )  # fmt: skip


def _frontier_step(df: pd.DataFrame, date_col: str = "publication_date", value_col: str = "training_compute_flop"
                   ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Record-setting models: dates, running-max ``value_col`` (default compute) and names, each strictly above
    the last."""
    df = df.sort_values([date_col, value_col], ascending=[True, False])
    dates, vals, names = [], [], []
    best = -math.inf
    for d, c, m in zip(df[date_col], df[value_col], df["model"], strict=True):
        if c > best:
            best = c
            dates.append(d)
            vals.append(c)
            names.append(m)
    return np.array(dates, dtype="datetime64[ns]"), np.array(vals, dtype=float), names


def _lag_at(t: np.datetime64, lead: tuple, trail_value: float) -> float:
    """Months from when the leader's running max first reached ``trail_value`` to ``t``."""
    ldates, lvals, _ = lead
    i = int(np.argmax(lvals >= trail_value))
    return float((t - ldates[i]) / np.timedelta64(1, "D")) / _DAYS_PER_MONTH


def open_closed_lag_by_year(
    models: pd.DataFrame,
    years: Iterable[int] | None = None,
    *,
    closed_includes_unreleased: bool = True,
) -> pd.DataFrame:
    """How far open-weight models trail closed ones in training compute, by year.

    For a reference date ``t``, let ``O(t)`` and ``C(t)`` be the largest training compute of OPEN and of
    closed models published on or before ``t`` (closed = CLOSED, plus UNRELEASED if
    ``closed_includes_unreleased``, as in Epoch's comparison, which counts e.g. PaLM and Chinchilla as
    closed). The lag at ``t`` is the horizontal distance between the two frontier step curves: months
    from the first date the closed running max reached ``O(t)`` to ``t`` (negative, by the same rule
    with roles swapped, if open leads). The OOM gap is ``log10(C(t) / O(t))``.

    For each year: ``lag_months`` and ``oom_gap`` at 31 December (the last model date in the data if
    earlier), ``lag_months_mean`` and ``oom_gap_mean`` averaged over the 12 month-ends (those up to the
    last model date), and the best open and closed models at year end. Months are 365.25/12 days.
    """
    ys = _years(years)
    closed_set = (CLOSED, UNRELEASED) if closed_includes_unreleased else (CLOSED,)
    ok = models["training_compute_flop"].gt(0) & models["publication_date"].notna()
    df = models[ok]
    last = df["publication_date"].max()
    op = _frontier_step(df[df["accessibility"] == OPEN])
    cl = _frontier_step(df[df["accessibility"].isin(closed_set)])

    def at(t: pd.Timestamp) -> tuple[float, float, str, float, str, float] | None:
        tt = np.datetime64(t, "ns")
        io = np.searchsorted(op[0], tt, side="right") - 1
        ic = np.searchsorted(cl[0], tt, side="right") - 1
        if io < 0 or ic < 0:
            return None
        o, c = op[1][io], cl[1][ic]
        lag = _lag_at(tt, cl, o) if o <= c else -_lag_at(tt, op, c)
        return lag, math.log10(c / o), op[2][io], o, cl[2][ic], c

    rows = []
    for y in ys:
        ends = [e for e in pd.date_range(f"{y}-01-01", f"{y}-12-31", freq="ME") if e <= last]
        if not ends:
            rows.append((y, "", math.nan, math.nan, math.nan, math.nan, "", math.nan, "", math.nan))
            continue
        ref = min(pd.Timestamp(f"{y}-12-31"), last)
        vals = [v for v in map(at, ends) if v is not None]
        v = at(ref)
        if v is None or not vals:
            rows.append((y, ref.strftime("%Y-%m-%d"), math.nan, math.nan, math.nan, math.nan, "", math.nan,
                         "", math.nan))  # fmt: skip
            continue
        rows.append(
            (y, ref.strftime("%Y-%m-%d"), v[0], float(np.mean([x[0] for x in vals])), v[1],
             float(np.mean([x[1] for x in vals])), v[2], v[3], v[4], v[5])
        )  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["year", "ref_date", "lag_months", "lag_months_mean", "oom_gap", "oom_gap_mean",
                 "best_open_model", "best_open_flop", "best_closed_model", "best_closed_flop"],
    )  # fmt: skip


# --------------------------------------------------------------------------------------------------
# writing


def write_table(df: pd.DataFrame, path: str | Path, header_lines: Sequence[str] = ()) -> Path:
    """Write ``df`` as CSV, preceded by ``header_lines`` each prefixed ``#`` and a space; read back with
    :func:`read_table`. Floats are written with 6 significant digits.

    Raises ``ValueError`` if a text cell contains "#" (it would be cut off when reading with
    ``comment="#"``).
    """
    path = Path(path)
    for col in df.columns:
        is_text = pd.api.types.is_object_dtype(df[col]) or pd.api.types.is_string_dtype(df[col])
        if is_text and df[col].astype(str).str.contains("#", regex=False).any():
            raise ValueError(f"column {col!r} holds a '#', which the comment-line format cannot carry")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        for line in header_lines:
            fh.write(f"# {line}\n")
        df.to_csv(fh, index=False, float_format="%.6g", lineterminator="\n")
    return path


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a table written by :func:`write_table` (``#`` lines are comments)."""
    return pd.read_csv(path, comment="#")


def build_targets(
    epoch_dir: str | Path,
    out_dir: str | Path | None = None,
    *,
    years: Iterable[int] | None = None,
    header_lines: Sequence[str] = (),
    confidence: float = 0.90,
) -> tuple[dict[str, pd.DataFrame], LoadReport]:
    """Build the empirical target tables from the Epoch exports in ``epoch_dir``.

    - ``open_share_by_region_year.csv`` (:func:`open_share_by_region_year`) and
      ``compute_share_by_region_year.csv`` (:func:`compute_share_by_region_year`): notable models.
    - ``frontier_compute_trend.csv`` (:func:`frontier_compute_trend`) and
      ``open_closed_lag_by_year.csv`` (:func:`open_closed_lag_by_year`): notable and large-scale models
      combined (de-duplicated by name); the trend also fits Epoch's frontier export.

    ``years`` default 2019..2025. If ``out_dir`` is given, each table is written there with
    :func:`write_table` (``header_lines`` as ``#`` comments). Returns ``(tables, report)``: a dict file
    name -> DataFrame, and the combined :class:`LoadReport`. Raises :class:`EmpiricalDataError` on bad
    input.
    """
    notable, _ = load_epoch(epoch_dir, ("notable",))
    combined, rep_c = load_epoch(epoch_dir, ("notable", "large_scale"))
    frontier, rep_f = load_epoch(epoch_dir, ("frontier",))
    report = rep_c.merge(rep_f)
    tables = {
        "open_share_by_region_year.csv": open_share_by_region_year(notable, years, confidence=confidence),
        "frontier_compute_trend.csv": frontier_compute_trend(combined, frontier, confidence=confidence),
        "open_closed_lag_by_year.csv": open_closed_lag_by_year(combined, years),
        "compute_share_by_region_year.csv": compute_share_by_region_year(notable, years),
    }
    if out_dir is not None:
        for name, df in tables.items():
            write_table(df, Path(out_dir) / name, header_lines)
    return tables, report
