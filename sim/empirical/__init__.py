"""The empirical layer: Epoch AI's data as the model reads it (CC BY 4.0; see ``data/README.md``).

- :mod:`sim.empirical.epoch`: the loader of Epoch's model records (normalised: regions, accessibility, dates)
  and the writer of the derived tables in ``data/``, each with the command that regenerates it;
- :mod:`sim.empirical.roster`: the lab roster of a scenario;
- :mod:`sim.empirical.targets`: the empirical targets of the patterns (P1-P3 and compute shares);
- :mod:`sim.empirical.eci`: Epoch's Capabilities Index, its link to training compute and the ECI targets (P5-P8).

Imports nothing of the layers above (model, analysis, plots, dashboard, CLI).
"""

from sim.empirical import eci, epoch, roster, targets
from sim.empirical.eci import EciLink, build_eci_tables, fit_eci_link, load_eci
from sim.empirical.epoch import (
    ACCESSIBILITY_LABELS,
    CLOSED,
    DEFAULT_EXCLUDED_CATEGORIES,
    DEFAULT_ORG_ALIASES,
    EPOCH_CITATION,
    EPOCH_FILES_HINT,
    EU_COUNTRIES,
    MODEL_COLUMNS,
    OPEN,
    ROSTER_COLUMNS,
    TARGET_FILES,
    UNKNOWN,
    UNRELEASED,
    EmpiricalDataError,
    LoadReport,
    MalformedValue,
    country_to_region,
    find_epoch_file,
    load_epoch,
    load_epoch_csv,
    map_accessibility,
    parse_publication_date,
    read_table,
    split_list,
    write_table,
)
from sim.empirical.roster import build_roster, region_open_rates
from sim.empirical.targets import (
    build_targets,
    compute_share_by_region_year,
    frontier_compute_trend,
    open_closed_lag_by_year,
    open_share_by_region_year,
    running_top_n,
)

__all__ = [
    "ACCESSIBILITY_LABELS", "CLOSED", "DEFAULT_EXCLUDED_CATEGORIES", "DEFAULT_ORG_ALIASES", "EPOCH_CITATION",
    "EPOCH_FILES_HINT", "EU_COUNTRIES", "EciLink", "EmpiricalDataError", "LoadReport", "MODEL_COLUMNS",
    "MalformedValue", "OPEN", "ROSTER_COLUMNS", "TARGET_FILES", "UNKNOWN", "UNRELEASED", "build_eci_tables",
    "build_roster", "build_targets", "compute_share_by_region_year", "country_to_region", "eci", "epoch",
    "find_epoch_file", "fit_eci_link", "frontier_compute_trend", "load_eci", "load_epoch", "load_epoch_csv",
    "map_accessibility", "open_closed_lag_by_year", "open_share_by_region_year", "parse_publication_date",
    "read_table", "region_open_rates", "roster", "running_top_n", "split_list", "targets", "write_table",
]
