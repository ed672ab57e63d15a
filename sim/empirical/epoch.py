"""Epoch AI model data: the loader and the tables' writer (the roster is :mod:`sim.empirical.roster`, the target
tables :mod:`sim.empirical.targets`).

Source: Epoch AI, 'Data on AI Models'. Published online at epoch.ai. Retrieved from
'https://epoch.ai/data/ai-models'. CC BY 4.0. The raw CSV exports are not part of this project; this
module reads them (any snapshot in either column vintage) and derives small tables from them:

- :func:`load_epoch_csv` / :func:`load_epoch`: one normalised model table plus a :class:`LoadReport`.
- :func:`sim.empirical.roster.build_roster`: the initial labs of a scenario (one row per organisation).
- :func:`sim.empirical.targets.open_share_by_region_year`, ``frontier_compute_trend``,
  ``open_closed_lag_by_year``, ``compute_share_by_region_year``: calibration and validation targets;
  :func:`sim.empirical.targets.build_targets` writes all four.

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
from typing import Any

import pandas as pd

__all__ = [
    "ACCESSIBILITY_LABELS",
    "CLOSED",
    "DEFAULT_EXCLUDED_CATEGORIES",
    "DEFAULT_ORG_ALIASES",
    "EPOCH_CITATION",
    "EPOCH_FILES_HINT",
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
    "country_to_region",
    "find_epoch_file",
    "load_epoch",
    "load_epoch_csv",
    "map_accessibility",
    "parse_publication_date",
    "read_table",
    "split_list",
    "write_table",
]

EPOCH_CITATION = (
    "Epoch AI, 'Data on AI Models'. Published online at epoch.ai. "
    "Retrieved from 'https://epoch.ai/data/ai-models'. CC BY 4.0"
)

EPOCH_FILES_HINT = (
    "Epoch's raw CSV exports are not part of the repository: in development they sit in ../shared/data/epoch/ "
    "beside it; otherwise download them from Epoch AI's data pages ('Data on AI Models', "
    "https://epoch.ai/data/ai-models: notable_ai_models.csv and large_scale_ai_models.csv; the Epoch "
    "Capabilities Index, https://epoch.ai/benchmarks: eci_scores.csv) into one folder and pass it with "
    "--epoch-dir. The model itself does not need them: the tables it reads are committed in data/"
)
"""Where Epoch's raw files come from, appended to every message about a missing Epoch file or folder."""

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
            cols = _read_header(reader, path)
            prev_end = reader.line_num
            for row_no, cells in enumerate(reader, start=1):
                line, prev_end = prev_end + 1, reader.line_num
                if any(c.strip() for c in cells):  # blank lines are skipped
                    records.append(_parse_row(_Row(path.name, row_no, line, cells, cols, on_malformed, report)))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise EmpiricalDataError(f"{path}: cannot read as a UTF-8 CSV file ({exc})") from exc
    return _records_to_frame(records), report


@dataclass(frozen=True)
class _Columns:
    """Where each column of an Epoch export is: index by key, the header's name by key, optional columns."""

    idx: dict[str, int]
    names: dict[str, str]
    frontier: int | None
    category: int | None


def _read_header(reader: Any, path: Path) -> _Columns:
    """The header row's columns (either vintage, :func:`_resolve_columns`). Raises EmpiricalDataError."""
    try:
        header = next(reader)
    except StopIteration:
        raise EmpiricalDataError(f"{path}: empty file (expected a CSV header row)") from None
    cols, opt = _resolve_columns(header, path)
    index = {h: i for i, h in enumerate(header)}
    return _Columns({k: index[v] for k, v in cols.items()}, cols,
                    index[opt["frontier_flag"]] if "frontier_flag" in opt else None,
                    index[opt["org_category"]] if "org_category" in opt else None)


@dataclass
class _Row:
    """One data row of an export being read, with where it is (for messages) and the load's report."""

    file: str
    row_no: int
    line: int
    cells: list[str]
    cols: _Columns
    on_malformed: str
    report: LoadReport

    def cell(self, key: str) -> str:
        i = self.cols.idx[key]
        return self.cells[i].strip() if i < len(self.cells) else ""

    def optional(self, i: int | None) -> str:
        return self.cells[i] if i is not None and i < len(self.cells) else ""

    def bad(self, key: str, value: str, expected: str) -> None:
        """A malformed cell: raise EmpiricalDataError, or record it in the report (``on_malformed="report"``)."""
        mv = MalformedValue(self.file, self.row_no, self.line, self.cols.names[key], value, expected)
        if self.on_malformed == "raise":
            raise EmpiricalDataError(str(mv))
        self.report.malformed.append(mv)


def _parse_row(row: _Row) -> tuple:
    """One record of :data:`MODEL_COLUMNS` (less ``year``) from a data row, counted in the row's report."""
    report = row.report
    report.n_rows += 1
    date_raw = row.cell("publication_date")
    try:
        date, precision = parse_publication_date(date_raw)
    except ValueError:
        row.bad("publication_date", date_raw, "a date YYYY-MM-DD, YYYY-MM or YYYY")
        date, precision = None, ""
    report.n_missing_date += date is None and not date_raw
    comp_raw = row.cell("training_compute_flop")
    try:
        compute = _parse_compute(comp_raw)
    except ValueError:
        row.bad("training_compute_flop", comp_raw, "a non-negative number of FLOP (e.g. 3.1e23)")
        compute = math.nan
    report.n_missing_compute += not comp_raw
    acc_raw = row.cell("accessibility")
    access = map_accessibility(acc_raw, where=f"{row.file}, data row {row.row_no} (CSV line {row.line})")
    report.n_blank_accessibility += access == UNKNOWN
    countries = tuple(split_list(row.cell("country")))
    regions = tuple(dict.fromkeys(r for r in map(country_to_region, countries) if r))
    orgs = split_list(row.cell("organization"))
    _count_places(report, countries, regions, orgs)
    categories = split_list(row.optional(row.cols.category))
    flag = row.optional(row.cols.frontier).strip().casefold() in ("true", "yes", "1", "checked")
    return (row.cell("model"), row.cell("organization"), orgs[0] if orgs else "", categories[0] if categories else "",
            date, precision, compute, access, acc_raw, countries, regions,
            country_to_region(countries[0]) if countries else None, flag, row.file, row.row_no)


def _count_places(report: LoadReport, countries: tuple[str, ...], regions: tuple[str, ...], orgs: list[str]) -> None:
    """Count a row's blank, several-country, several-region and several-organisation cases in ``report``."""
    report.n_blank_country += not countries
    report.n_multi_country += len(countries) > 1
    report.n_multi_region += len(regions) > 1
    report.rest_of_world_countries.update(c for c in countries if country_to_region(c) == "ROW")
    report.n_blank_organization += not orgs
    report.n_multi_org += len(orgs) > 1


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
        raise EmpiricalDataError(f"{d}: Epoch data directory not found. {EPOCH_FILES_HINT}")
    matches = sorted(d.glob(_EPOCH_FILE_PATTERNS[kind]))
    if not matches:
        raise EmpiricalDataError(
            f"{d}: no file matching {_EPOCH_FILE_PATTERNS[kind]!r} (expected Epoch's {kind} models CSV). "
            f"{EPOCH_FILES_HINT}")
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
