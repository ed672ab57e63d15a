"""Tests for sim.empirical.epoch (Epoch loader, roster, targets) and the ``aieco data`` commands."""

from __future__ import annotations

import csv
import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import sim.empirical as emp
from sim.empirical.epoch import CLOSED, OPEN, UNKNOWN, UNRELEASED, EmpiricalDataError

REPO = Path(__file__).resolve().parents[1]
EPOCH_DIR = REPO.parent / "shared" / "data" / "epoch"
HAS_EPOCH = (EPOCH_DIR / "notable_ai_models_2026-07.csv").is_file()

NEW_HEADER = [
    "Model",
    "Organization",
    "Publication date",
    "Abstract",
    "Country (of organization)",
    "Training compute (FLOP)",
    "Model accessibility",
    "Frontier model",
]
OLD_HEADER = [
    "System",
    "Organization",
    "Publication date",
    "Country (from Organization)",
    "Training compute (FLOP)",
    "Model accessibility",
]

# Model, Organization, date, abstract, country, compute, accessibility, frontier
NEW_ROWS = [
    [
        "Alpha-1",
        "LabA",
        "2021-06-15",
        "first\nsecond line",
        "United States of America",
        "3e23",
        "API access",
        "True",
    ],
    [
        "Beta",
        "LabB,Uni X",
        "2021-03",
        "",
        "United States of America,China",
        "",
        "Open weights (unrestricted)",
        "",
    ],
    ["Gamma", "LabC", "2020", "", "Hong Kong", "1.5e22", "", ""],
    ["Delta", "LabD", "2021-11-30", "", "Switzerland", "2e21", "Unreleased", ""],
    ["Eps", "", "1999-01-01", "", "", "", "", ""],
    ["Zeta", "LabE", "", "", "Taiwan", "1e20", "Hosted access (no API)", ""],
]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def to_old(row: list[str]) -> list[str]:
    """Drop Abstract and Frontier model to get the older column layout."""
    return [row[0], row[1], row[2], row[4], row[5], row[6]]


# ------------------------------------------------------------------------------------------------
# cell-level rules


@pytest.mark.parametrize(
    ("country", "region"),
    [
        ("United States of America", "US"),
        ("China", "CN"),
        ("Hong Kong", "CN"),
        ("United Kingdom of Great Britain and Northern Ireland", "EU"),
        ("Switzerland", "EU"),
        ("Norway", "EU"),
        ("Iceland", "EU"),
        ("Germany", "EU"),
        ("czechia", "EU"),
        ("Taiwan", "ROW"),
        ("Korea (Republic of)", "ROW"),
        ("Multinational", "ROW"),
        ("Canada", "ROW"),
        ("", None),
    ],
)
def test_country_to_region(country, region):
    assert emp.country_to_region(country) == region


@pytest.mark.parametrize(
    ("label", "category"),
    [
        ("Open weights (unrestricted)", OPEN),
        ("Open weights (non-commercial)", OPEN),
        ("Open weights (restricted use)", OPEN),
        ("API access", CLOSED),
        ("Hosted access (no API)", CLOSED),
        ("Unreleased", UNRELEASED),
        ("", UNKNOWN),
    ],
)
def test_map_accessibility(label, category):
    assert emp.map_accessibility(label) == category


def test_parse_publication_date_precisions():
    assert emp.parse_publication_date("2023-05-17") == (pd.Timestamp("2023-05-17"), "day")
    assert emp.parse_publication_date("2023-05") == (pd.Timestamp("2023-05-01"), "month")
    assert emp.parse_publication_date("2023") == (pd.Timestamp("2023-01-01"), "year")
    assert emp.parse_publication_date(" ") == (None, "")
    for bad in ("2023-02-30", "17/05/2023", "May 2023", "2023-13"):
        with pytest.raises(ValueError):
            emp.parse_publication_date(bad)


def test_split_list_keeps_names_with_comma_space():
    assert emp.split_list("NVIDIA,NERSC, Lawrence Berkeley National Laboratory,MIT") == [
        "NVIDIA",
        "NERSC, Lawrence Berkeley National Laboratory",
        "MIT",
    ]


# ------------------------------------------------------------------------------------------------
# loader


def test_load_new_vintage(tmp_path):
    path = write_csv(tmp_path / "notable_ai_models_2099-01.csv", NEW_HEADER, NEW_ROWS)
    df, rep = emp.load_epoch_csv(path)
    assert list(df.columns) == list(emp.MODEL_COLUMNS)
    assert len(df) == 6 and rep.n_rows == 6
    a = df.set_index("model")
    assert a.loc["Alpha-1", "training_compute_flop"] == 3e23
    assert a.loc["Alpha-1", "accessibility"] == CLOSED
    assert bool(a.loc["Alpha-1", "frontier_flag"]) and not bool(a.loc["Gamma", "frontier_flag"])
    assert a.loc["Alpha-1", "publication_date"] == pd.Timestamp("2021-06-15")
    # multi-country: counts for each distinct region; first country is the primary one
    assert a.loc["Beta", "regions"] == ("US", "CN")
    assert a.loc["Beta", "primary_region"] == "US"
    assert a.loc["Beta", "org"] == "LabB"
    assert a.loc["Beta", "date_precision"] == "month"
    assert a.loc["Beta", "publication_date"] == pd.Timestamp("2021-03-01")
    assert math.isnan(a.loc["Beta", "training_compute_flop"])
    assert a.loc["Beta", "accessibility"] == OPEN
    assert a.loc["Gamma", "regions"] == ("CN",) and a.loc["Gamma", "accessibility"] == UNKNOWN
    assert a.loc["Gamma", "year"] == 2020 and a.loc["Gamma", "date_precision"] == "year"
    assert a.loc["Delta", "regions"] == ("EU",) and a.loc["Delta", "accessibility"] == UNRELEASED
    assert a.loc["Eps", "regions"] == () and pd.isna(a.loc["Eps", "primary_region"])
    assert pd.isna(a.loc["Zeta", "publication_date"]) and pd.isna(a.loc["Zeta", "year"])
    assert a.loc["Zeta", "regions"] == ("ROW",)
    assert a.loc["Zeta", "row"] == 6
    # report counts
    assert rep.n_missing_compute == 2
    assert rep.n_missing_date == 1
    assert rep.n_blank_accessibility == 2
    assert rep.n_blank_country == 1
    assert rep.n_blank_organization == 1
    assert rep.n_multi_country == 1 and rep.n_multi_region == 1 and rep.n_multi_org == 1
    assert rep.n_malformed == 0
    assert rep.rest_of_world_countries == {"Taiwan"}
    assert "missing compute: 2" in rep.summary()


def test_old_vintage_gives_same_table(tmp_path):
    new = write_csv(tmp_path / "new.csv", NEW_HEADER, NEW_ROWS)
    old = write_csv(tmp_path / "old.csv", OLD_HEADER, [to_old(r) for r in NEW_ROWS])
    a, rep_a = emp.load_epoch_csv(new)
    b, rep_b = emp.load_epoch_csv(old)
    cols = ["model", "org", "publication_date", "training_compute_flop", "accessibility", "regions"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert not b["frontier_flag"].any()  # column absent in the old layout
    assert rep_a.n_missing_compute == rep_b.n_missing_compute == 2


def test_malformed_date_error_names_file_row_line_and_column(tmp_path):
    rows = [r[:] for r in NEW_ROWS]
    rows[2][2] = "2020-02-31"  # impossible date, data row 3; row 1 spans two lines
    path = write_csv(tmp_path / "bad.csv", NEW_HEADER, rows)
    with pytest.raises(EmpiricalDataError) as err:
        emp.load_epoch_csv(path)
    msg = str(err.value)
    assert "bad.csv" in msg
    assert "data row 3" in msg
    assert "CSV line 5" in msg  # header + 2-line row 1 + row 2
    assert "'Publication date'" in msg
    assert "YYYY-MM-DD" in msg and "'2020-02-31'" in msg
    assert isinstance(err.value, ValueError)


def test_malformed_values_reported_not_dropped(tmp_path):
    rows = [r[:] for r in NEW_ROWS]
    rows[2][2] = "spring 2020"
    rows[3][5] = "about 1e22"
    path = write_csv(tmp_path / "bad.csv", NEW_HEADER, rows)
    df, rep = emp.load_epoch_csv(path, on_malformed="report")
    assert len(df) == 6  # nothing dropped
    assert rep.n_malformed == 2
    assert [(m.row, m.column, m.value) for m in rep.malformed] == [
        (3, "Publication date", "spring 2020"),
        (4, "Training compute (FLOP)", "about 1e22"),
    ]
    g = df.set_index("model")
    assert pd.isna(g.loc["Gamma", "publication_date"])
    assert math.isnan(g.loc["Delta", "training_compute_flop"])
    assert "spring 2020" in rep.summary()


def test_malformed_compute_is_an_error_by_default(tmp_path):
    rows = [r[:] for r in NEW_ROWS]
    rows[3][5] = "about 1e22"
    path = write_csv(tmp_path / "bad_compute.csv", NEW_HEADER, rows)
    with pytest.raises(
        EmpiricalDataError, match=r"bad_compute\.csv, data row 4 .*'Training compute \(FLOP\)'"
    ):
        emp.load_epoch_csv(path)


def test_unknown_accessibility_label_is_an_error(tmp_path):
    rows = [r[:] for r in NEW_ROWS]
    rows[1][6] = "Weights on request"
    path = write_csv(tmp_path / "lbl.csv", NEW_HEADER, rows)
    with pytest.raises(EmpiricalDataError) as err:
        emp.load_epoch_csv(path, on_malformed="report")  # labels are never tolerated
    msg = str(err.value)
    assert "lbl.csv" in msg and "data row 2" in msg and "'Model accessibility'" in msg
    assert "'Weights on request'" in msg and "'API access'" in msg


def test_missing_file_and_missing_columns(tmp_path):
    with pytest.raises(EmpiricalDataError, match="file not found"):
        emp.load_epoch_csv(tmp_path / "nope.csv")
    header = [h for h in NEW_HEADER if h != "Training compute (FLOP)"]
    path = write_csv(tmp_path / "cols.csv", header, [])
    with pytest.raises(
        EmpiricalDataError, match=r"cols\.csv: missing column\(s\) 'Training compute \(FLOP\)'"
    ):
        emp.load_epoch_csv(path)
    with pytest.raises(EmpiricalDataError, match="no file matching 'frontier_ai_models"):
        emp.find_epoch_file(tmp_path, "frontier")


def test_load_epoch_dedupes_by_model_name(tmp_path):
    write_csv(tmp_path / "notable_ai_models_2099-01.csv", NEW_HEADER, NEW_ROWS)
    dup = to_old(NEW_ROWS[0])
    dup[0] = "  alpha-1 "
    dup[4] = "9e23"
    new = ["Omega", "LabF", "2021-01-01", "Israel", "4e23", "API access"]
    write_csv(tmp_path / "large_scale_ai_models_2099-01.csv", OLD_HEADER, [dup, new])
    df, rep = emp.load_epoch(tmp_path, ("notable", "large_scale"))
    assert len(df) == 7 and rep.n_duplicates_dropped == 1 and rep.n_rows == 8
    assert df.loc[df["model"] == "Alpha-1", "training_compute_flop"].item() == 3e23  # notable wins
    assert rep.files == ["notable_ai_models_2099-01.csv", "large_scale_ai_models_2099-01.csv"]


# ------------------------------------------------------------------------------------------------
# roster


def models_frame(rows: list[tuple]) -> pd.DataFrame:
    """Build a loader-shaped table from (model, organization, date, countries, compute, label)."""
    recs = []
    for model, org, date, countries, compute, label in rows:
        recs.append(
            [model, org, date, "", ",".join(countries), "" if compute is None else repr(compute), label, ""]
        )
    return recs


@pytest.fixture
def roster_models(tmp_path):
    rows = [
        # LabA: big model inside the window; latest known release is open (unreleased one later skipped)
        ("A1", "LabA", "2020-03-01", ["United States of America"], 5e22, "API access"),
        ("A2", "LabA", "2021-05-01", ["United States of America"], 1e21, "Open weights (unrestricted)"),
        ("A3", "LabA", "2021-09-01", ["United States of America"], 8e22, "Unreleased"),
        ("A4", "LabA", "2022-03-01", ["United States of America"], 1e24, "API access"),  # after `at`
        # LabB: big model only 4 years before -> excluded
        ("B1", "LabB", "2017-12-01", ["China"], 5e23, "API access"),
        ("B2", "LabB", "2021-01-01", ["China"], 1e21, "API access"),
        # LabC: big model but listed second -> belongs to LabD; LabD region tie US/EU -> US (REGIONS order)
        ("CD1", "LabD,LabC", "2021-02-01", ["United Kingdom of Great Britain and Northern Ireland", "China"], 2e22, ""),
        ("D2", "LabD", "2019-06-01", ["United States of America"], None, "Unreleased"),
        # LabE: exactly at threshold, all accessibility unknown -> default strategy
        ("E1", "LabE", "2019-01-01", ["France"], 1e22, ""),
        ("E2", "LabE", "2019-02-01", ["Germany"], None, ""),
        # Facebook AI Research is merged into Meta AI
        ("F1", "Facebook AI Research", "2021-01-01", ["United States of America", "France"], 3e22, "Open weights (non-commercial)"),
        ("F2", "Meta AI", "2020-01-01", ["United States of America"], 1e20, "Open weights (unrestricted)"),
        ("F3", "Facebook", "2020-06-01", ["United States of America"], 1e20, "Open weights (unrestricted)"),
        # LabG: only small models -> excluded
        ("G1", "LabG", "2021-01-01", ["Canada"], 9.9e21, "API access"),
    ]  # fmt: skip
    path = write_csv(tmp_path / "roster.csv", NEW_HEADER, models_frame(rows))
    df, _ = emp.load_epoch_csv(path)
    return df


def test_roster_inclusion_and_columns(roster_models):
    r = emp.build_roster(roster_models, at="2022-01", bias_until=None)
    assert list(r.columns) == list(emp.ROSTER_COLUMNS)
    assert list(r["name"]) == ["LabA", "Meta AI", "LabD", "LabE"]  # region order, then compute desc
    g = r.set_index("name")
    assert list(g["region"]) == ["US", "US", "US", "EU"]
    assert set(g["category"]) == {""}  # no "Organization categorization" column in this fixture
    # LabA: best compute before `at` (A4 is later) is A3 (8e22); flagships = within 1 OOM = A1 (API) and
    # A3 (unreleased, counts as closed); the small open A2 does not count
    assert g.loc["LabA", "training_compute_flop"] == 8e22
    assert g.loc["LabA", "strategy"] == CLOSED
    assert g.loc["LabA", "latest_model"] == "A3" and g.loc["LabA", "latest_release"] == "2021-09-01"
    assert g.loc["LabA", "n_models"] == 3 and g.loc["LabA", "n_flagship"] == 2
    assert g.loc["LabA", "open_bias"] == pytest.approx(math.log(1 / 3), abs=1e-4)
    # LabD: its only flagship (CD1) has blank accessibility -> default CLOSED; tie US/EU -> US
    assert g.loc["LabD", "strategy"] == CLOSED and g.loc["LabD", "latest_model"] == "CD1"
    assert g.loc["LabE", "strategy"] == CLOSED and g.loc["LabE", "open_bias"] == 0.0
    # Meta AI: one flagship (F1, open); the two 1e20 models are more than 1 OOM below -> ln(2/1)
    assert g.loc["Meta AI", "open_bias"] == pytest.approx(math.log(2), abs=1e-4)
    assert g.loc["Meta AI", "n_models"] == 3 and g.loc["Meta AI", "strategy"] == OPEN


def test_roster_earlier_latest_release_rule(roster_models):
    """flagship_oom=None: the previous rule (latest OPEN/CLOSED model of any size; UNRELEASED skipped)."""
    g = emp.build_roster(roster_models, at="2022-01", flagship_oom=None, bias_until=None).set_index("name")
    assert g.loc["LabA", "strategy"] == OPEN
    assert g.loc["LabA", "latest_model"] == "A2" and g.loc["LabA", "latest_release"] == "2021-05-01"
    assert g.loc["LabA", "open_bias"] == pytest.approx(0.0)  # ln(2/2)
    assert g.loc["Meta AI", "open_bias"] == pytest.approx(math.log(4), abs=1e-4)
    assert g.loc["LabD", "strategy"] == CLOSED and g.loc["LabD", "latest_model"] == "CD1"
    # wider flagship band: A2 (1e21) is within 2 OOM of 8e22 but older than A3
    g2 = emp.build_roster(roster_models, at="2022-01", flagship_oom=2.0).set_index("name")
    assert g2.loc["LabA", "n_flagship"] == 3 and g2.loc["LabA", "strategy"] == CLOSED
    with pytest.raises(ValueError):
        emp.build_roster(roster_models, at="2022-01", flagship_oom=-1.0)


def test_roster_excludes_academia_by_epoch_category(tmp_path):
    header = [*NEW_HEADER, "Organization categorization"]
    us = ["United States of America"]
    rows = [
        # Uni: qualifies by compute but Epoch calls it Academia (majority of its models) -> left out
        ("U1", "Uni", "2021-05-01", us, 5e22, "Open weights (unrestricted)", "Academia"),
        ("U2", "Uni,Corp", "2018-05-01", us, 1e20, "Open weights (unrestricted)", "Academia,Industry"),
        ("U3", "Uni", "2017-05-01", us, 1e19, "", "Industry"),  # odd label: outvoted 2 to 1
        # Corp: first listed category is Industry even when a co-author is academic
        ("C1", "Corp,Uni", "2021-07-01", us, 3e23, "API access", "Industry,Academia"),
        ("C2", "Corp", "2021-09-01", us, 4e22, "Open weights (unrestricted)", "Industry"),
        # Inst: no category anywhere (as in Epoch's large-scale export) -> kept
        ("I1", "Inst", "2021-03-01", ["China"], 2e23, "Unreleased", ""),
    ]
    recs = [[m, o, d, "", ",".join(c), repr(x), a, "", cat] for m, o, d, c, x, a, cat in rows]
    df, _ = emp.load_epoch_csv(write_csv(tmp_path / "cat.csv", header, recs))
    assert list(df["org_category"]) == ["Academia", "Academia", "Industry", "Industry", "Industry", ""]
    r = emp.build_roster(df, at="2022-01", bias_until=None).set_index("name")
    assert list(r.index) == ["Corp", "Inst"]
    assert r.loc["Corp", "category"] == "Industry" and r.loc["Inst", "category"] == ""
    # Corp: flagships are C1 (3e23) and C2 (4e22 >= 3e23 / 10); the latest, C2, is open
    assert r.loc["Corp", "n_flagship"] == 2 and r.loc["Corp", "strategy"] == OPEN
    assert r.loc["Inst", "strategy"] == CLOSED
    assert r.loc["Inst", "open_bias"] == pytest.approx(math.log(1 / 2), abs=1e-4)
    kept = emp.build_roster(df, at="2022-01", exclude_categories=(), bias_until=None).set_index("name")
    assert "Uni" in kept.index and kept.loc["Uni", "category"] == "Academia"
    # the category is a fixed attribute: read from all its models, even those after `at`
    late = emp.build_roster(df, at="2021-06").set_index("name")
    assert "Uni" not in late.index


def test_roster_parameters(roster_models):
    assert "LabB" in set(emp.build_roster(roster_models, at="2022-01", window_years=5)["name"])
    assert "LabG" in set(emp.build_roster(roster_models, at="2022-01", min_compute_flop=9e21)["name"])
    assert "LabE" not in set(emp.build_roster(roster_models, at="2022-01", min_compute_flop=1.01e22)["name"])
    assert "LabE" not in set(emp.build_roster(roster_models, at="2022-01", window_years=2)["name"])
    names = set(emp.build_roster(roster_models, at="2022-01", org_aliases={})["name"])
    assert "Facebook AI Research" in names and "Meta AI" not in names
    r = emp.build_roster(roster_models, at="2022-01", default_strategy=OPEN).set_index("name")
    assert r.loc["LabD", "strategy"] == OPEN
    # later date: A4 (1e24, API) now counts
    g = emp.build_roster(roster_models, at="2022-04").set_index("name")
    assert g.loc["LabA", "strategy"] == CLOSED and g.loc["LabA", "training_compute_flop"] == 1e24
    with pytest.raises(ValueError):
        emp.build_roster(roster_models, at="2022-13")


def test_open_bias_is_clipped(tmp_path):
    rows = [
        (f"M{i}", "OpenLab", f"2021-0{i}-01", ["China"], 2e22, "Open weights (unrestricted)")
        for i in range(1, 10)
    ]
    df, _ = emp.load_epoch_csv(write_csv(tmp_path / "b.csv", NEW_HEADER, models_frame(rows)))
    r = emp.build_roster(df, at="2022-01")
    assert r["open_bias"].tolist() == [2.0] and r["region"].tolist() == ["CN"]


# ------------------------------------------------------------------------------------------------
# targets on synthetic data


def wilson(k: int, n: int, conf: float) -> tuple[float, float]:
    from scipy.stats import norm

    z = norm.ppf(0.5 + conf / 2)
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return c - h, c + h


def test_open_share_counts_and_wilson_interval(tmp_path):
    rows = [
        ("o1", "L", "2023-01-01", ["China"], None, "Open weights (unrestricted)"),
        (
            "o2",
            "L",
            "2023-02-01",
            ["China", "United States of America"],
            None,
            "Open weights (restricted use)",
        ),
        ("c1", "L", "2023-03-01", ["China"], None, "API access"),
        ("u1", "L", "2023-04-01", ["China"], None, "Unreleased"),
        ("x1", "L", "2023-05-01", ["China"], None, ""),
        ("c2", "L", "2023-06-01", ["United States of America"], None, "Hosted access (no API)"),
        ("c3", "L", "2022-06-01", ["United States of America"], None, "API access"),
    ]
    df, _ = emp.load_epoch_csv(write_csv(tmp_path / "s.csv", NEW_HEADER, models_frame(rows)))
    t = emp.open_share_by_region_year(df, years=[2022, 2023])
    assert list(t.columns[:8]) == [
        "region",
        "year",
        "n_open",
        "n_closed",
        "n_known",
        "open_share",
        "ci_low",
        "ci_high",
    ]
    cn = t[(t.region == "CN") & (t.year == 2023)].iloc[0]
    assert (cn.n_open, cn.n_closed, cn.n_known, cn.n_unreleased) == (2, 1, 3, 1)
    assert cn.open_share == pytest.approx(2 / 3)
    assert cn.open_share_incl_unreleased == pytest.approx(2 / 4)
    lo, hi = wilson(2, 3, 0.90)
    assert (cn.ci_low, cn.ci_high) == pytest.approx((lo, hi), abs=1e-9)
    us = t[(t.region == "US") & (t.year == 2023)].iloc[0]
    assert (us.n_open, us.n_closed) == (1, 1)  # the US-China model counts for both
    eu = t[(t.region == "EU") & (t.year == 2023)].iloc[0]
    assert eu.n_known == 0 and math.isnan(eu.open_share) and math.isnan(eu.ci_low)
    assert len(t) == 8


def test_compute_share_splits_multi_region_models(tmp_path):
    rows = [
        ("a", "L", "2023-01-01", ["China", "United States of America"], 2e24, ""),
        ("b", "L", "2023-01-01", ["United States of America"], 1e24, ""),
        ("c", "L", "2023-01-01", ["France"], 1e24, ""),
        ("d", "L", "2023-01-01", ["Japan"], None, ""),
    ]
    df, _ = emp.load_epoch_csv(write_csv(tmp_path / "c.csv", NEW_HEADER, models_frame(rows)))
    t = emp.compute_share_by_region_year(df, years=[2023]).set_index("region")
    assert t["share"].to_dict() == pytest.approx({"US": 0.5, "CN": 0.25, "EU": 0.25, "ROW": 0.0})
    assert t.loc["US", "n_models"] == 2 and t.loc["US", "compute_flop"] == pytest.approx(2e24)


def test_frontier_trend_recovers_known_growth(tmp_path):
    rows = []
    for i, y in enumerate(range(2018, 2026)):
        rows.append((f"f{y}", "L", f"{y}-07-02", ["China"], 1e22 * 10 ** (0.6 * i), "API access"))
        rows.append((f"s{y}", "L", f"{y}-07-02", ["China"], 1e15, "API access"))  # never frontier
    df, _ = emp.load_epoch_csv(write_csv(tmp_path / "f.csv", NEW_HEADER, models_frame(rows)))
    t = emp.frontier_compute_trend(df, top_n=1).set_index("method")
    row = t.loc["running_top1"]
    assert row["n"] == 8
    assert row["growth_per_year"] == pytest.approx(10**0.6, rel=1e-3)
    assert row["ci_low"] <= row["growth_per_year"] <= row["ci_high"]
    assert row["r2"] == pytest.approx(1.0, abs=1e-6)
    flags = emp.running_top_n(df, 1)
    assert flags.sum() == 8 and not flags[df["model"].str.startswith("s")].any()


def test_open_closed_lag(tmp_path):
    rows = [
        ("c1", "L", "2020-01-01", ["United States of America"], 1e23, "API access"),
        ("c2", "L", "2021-01-01", ["United States of America"], 1e24, "Unreleased"),
        ("o1", "L", "2020-06-01", ["China"], 1e22, "Open weights (unrestricted)"),
        ("o2", "L", "2021-07-01", ["China"], 1e23, "Open weights (unrestricted)"),
        ("late", "L", "2022-12-31", ["China"], 1e10, ""),
    ]
    df, _ = emp.load_epoch_csv(write_csv(tmp_path / "l.csv", NEW_HEADER, models_frame(rows)))
    t = emp.open_closed_lag_by_year(df, years=[2021, 2022]).set_index("year")
    months = (pd.Timestamp("2021-12-31") - pd.Timestamp("2020-01-01")).days / (365.25 / 12)
    assert t.loc[2021, "lag_months"] == pytest.approx(months)
    assert t.loc[2021, "oom_gap"] == pytest.approx(1.0)
    assert t.loc[2021, "best_open_model"] == "o2" and t.loc[2021, "best_closed_model"] == "c2"
    # without unreleased models the closed best is c1 = o2: lag measured to c1, gap 0
    u = emp.open_closed_lag_by_year(df, years=[2021], closed_includes_unreleased=False).set_index("year")
    assert u.loc[2021, "oom_gap"] == pytest.approx(0.0)
    assert u.loc[2021, "lag_months"] == pytest.approx(months)


def test_write_and_read_table_roundtrip(tmp_path):
    df = pd.DataFrame({"a": ["x", "y"], "b": [1.23456789e23, np.nan]})
    p = emp.write_table(df, tmp_path / "sub" / "t.csv", ["citation", "command"])
    assert p.read_text().splitlines()[:3] == ["# citation", "# command", "a,b"]
    back = emp.read_table(p)
    assert back["b"].iloc[0] == pytest.approx(1.23457e23) and math.isnan(back["b"].iloc[1])
    with pytest.raises(ValueError, match="'#'"):
        emp.write_table(pd.DataFrame({"a": ["x#1"]}), tmp_path / "bad.csv")


# ------------------------------------------------------------------------------------------------
# CLI


def cli_data_module():
    try:
        from sim.cli import data as mod
    except ImportError:  # the package's other command modules may be missing in a partial tree
        spec = importlib.util.spec_from_file_location("_aieco_cli_data", REPO / "sim" / "cli" / "data.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    return mod


def test_cli_roster_and_bad_input(tmp_path, roster_models):
    group = cli_data_module().data
    d = tmp_path / "epoch"
    d.mkdir()
    src = tmp_path / "roster.csv"
    (d / "notable_ai_models_2099-01.csv").write_bytes(src.read_bytes())
    write_csv(d / "large_scale_ai_models_2099-01.csv", OLD_HEADER, [])
    runner = CliRunner()
    res = runner.invoke(group, ["roster", "--epoch-dir", str(d), "--at", "2022-01"])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.stdout.splitlines() if not ln.startswith("#")]
    from sim.empirical.roster import TYPE_COLUMNS

    assert lines[0] == ",".join((*emp.ROSTER_COLUMNS, *TYPE_COLUMNS))  # the types merged from data/lab_types.csv
    assert [ln.split(",")[0] for ln in lines[1:]] == ["LabA", "Meta AI", "LabD", "LabE"]
    # bad label -> exit code 2, one line naming file, row and column, no traceback
    rows = models_frame([("X", "L", "2021-01-01", ["China"], 1e23, "Open-ish")])
    write_csv(d / "notable_ai_models_2099-01.csv", NEW_HEADER, rows)
    res = runner.invoke(group, ["roster", "--epoch-dir", str(d)])
    assert res.exit_code == 2
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "notable_ai_models_2099-01.csv, data row 1" in err and "'Open-ish'" in err
    res = runner.invoke(
        group, ["targets", "--epoch-dir", str(tmp_path / "missing"), "--out-dir", str(tmp_path)]
    )
    assert res.exit_code == 2 and "not found" in res.stderr


# ------------------------------------------------------------------------------------------------
# real Epoch data (skipped when ../shared/data/epoch is absent)

needs_epoch = pytest.mark.skipif(not HAS_EPOCH, reason="Epoch CSVs not found at ../shared/data/epoch")


@needs_epoch
def test_real_open_shares_match_committed_table():
    models, rep = emp.load_epoch(EPOCH_DIR, ("notable",))
    assert rep.n_rows == 1036 and rep.n_malformed == 0 and rep.n_missing_date == 5
    derived = emp.open_share_by_region_year(models)
    committed = emp.read_table(REPO / "data" / "targets" / "open_share_by_region_year.csv")
    pd.testing.assert_frame_equal(derived, committed, check_dtype=False, rtol=1e-5)
    s = derived.set_index(["region", "year"])["open_share"]
    assert s["CN", 2025] > 0.7 > 0.25 > s["US", 2025]
    assert s["US", 2023] > s["US", 2024] > s["US", 2025]
    # DESIGN.md P1 (UNRELEASED counted as not open) is reproduced for the US
    alt = derived.set_index(["region", "year"])["open_share_incl_unreleased"]
    assert [round(alt["US", y], 2) for y in (2023, 2024, 2025)] == [0.43, 0.34, 0.18]


@needs_epoch
def test_real_roster_matches_committed_roster():
    from sim.cli.data import build_default_roster

    rebuilt, _ = build_default_roster(EPOCH_DIR, at="2022-01", entrants_until="2025-12")
    committed = emp.read_table(REPO / "data" / "roster_2022-01.csv").fillna(
        {"category": "", "entry": "", "exit": "", "misuse_statement": "", "complement_capture": ""})
    pd.testing.assert_frame_equal(rebuilt, committed, check_dtype=False, rtol=1e-5)
    entrants = rebuilt[rebuilt["entry"] != ""]
    # the labs that shaped 2024-2025, with the entry month of their first model (DeepSeek: large-scale file only)
    assert {"Anthropic", "Mistral AI", "DeepSeek", "xAI", "Moonshot", "Z.ai (Zhipu AI)", "StepFun"} <= set(
        entrants["name"])
    assert entrants.set_index("name").loc["DeepSeek", "entry"] == "2024-01"
    assert (entrants["entry"] >= "2022-01").all() and (entrants["entry"] <= "2025-12").all()
    every = rebuilt.set_index("name")
    assert every.loc["Inflection AI", "exit"] == "2024-03"
    # open_bias from each lab's own releases before 2024: Alibaba, Meta open-leaning; OpenAI, Google, Anthropic not
    assert every.loc["Alibaba", "open_bias"] > 0 and every.loc["Meta AI", "open_bias"] > 0
    assert max(every.loc[["OpenAI", "Google", "Anthropic"], "open_bias"]) < 0
    rebuilt = rebuilt[rebuilt["entry"] == ""]
    assert 10 <= len(rebuilt) <= 40  # 12 with the flagship rule and universities left out
    assert {"OpenAI", "Google", "Baidu", "DeepMind"} <= set(rebuilt["name"])
    assert set(rebuilt["region"]) == {"US", "CN", "EU", "ROW"}
    g = rebuilt.set_index("name")
    # flagship rule: Google and DeepMind are CLOSED (FLAN 137B/GLaM and Gopher unreleased), Meta stays OPEN
    assert g.loc["Google", "strategy"] == CLOSED and g.loc["DeepMind", "strategy"] == CLOSED
    assert g.loc["Meta AI", "strategy"] == OPEN
    # universities are left out by Epoch's organisation category
    assert not (rebuilt["category"] == "Academia").any()
    assert not {"Tsinghua University", "Carnegie Mellon University (CMU)"} & set(rebuilt["name"])


@needs_epoch
def test_real_targets_match_committed_and_are_plausible():
    tables, _ = emp.build_targets(EPOCH_DIR)
    for name, df in tables.items():
        committed = emp.read_table(REPO / "data" / "targets" / name)
        pd.testing.assert_frame_equal(df, committed, check_dtype=False, rtol=1e-5)
    trend = tables["frontier_compute_trend.csv"].set_index("method")
    assert 3.5 < trend.loc["running_top5", "growth_per_year"] < 6.0
    lag = tables["open_closed_lag_by_year.csv"].set_index("year")
    assert 6 < lag.loc[[2023, 2024], "lag_months_mean"].mean() < 24
    share = tables["compute_share_by_region_year.csv"]
    assert share.groupby("year")["share"].sum().to_numpy() == pytest.approx(np.ones(7))


def test_entrants_rule_on_fixture():
    """An organisation enters when its first model within `entrant_oom` OOM of the frontier appears."""
    rows = [  # org, date, compute, accessibility
        ("Incumbent", "2021-06-01", 1e24, "API access"),
        ("Incumbent", "2023-06-01", 1e25, "API access"),
        ("Small", "2023-01-01", 1e21, "Open weights (unrestricted)"),  # far below the frontier: never enters
        ("Newcomer", "2022-05-01", 1e22, "Open weights (unrestricted)"),  # too small then
        ("Newcomer", "2024-03-15", 2e24, "Open weights (unrestricted)"),  # within 1.5 OOM of 1e25: enters
        ("Late", "2026-02-01", 1e25, "API access"),  # after entrants_until
    ]
    df = pd.DataFrame([{"model": f"{o}-{d}", "organization": o, "org": o, "org_category": "Industry",
                        "publication_date": pd.Timestamp(d), "training_compute_flop": c, "accessibility":
                        emp.map_accessibility(a), "primary_region": "US", "regions": ["US"], "year": int(d[:4])}
                       for o, d, c, a in rows])
    r = emp.build_roster(df, at="2022-01", min_compute_flop=1e22, entrants_until="2025-12")
    assert list(r["name"]) == ["Incumbent", "Newcomer"]
    new = r.set_index("name").loc["Newcomer"]
    # it qualifies by its 2024 model but enters at its first model; sized by its models in the 12 months from entry
    assert new["entry"] == "2022-05" and new["strategy"] == OPEN and new["training_compute_flop"] == 1e22
    # open_bias: its one open release before 2024, shrunk toward the US rate (2 open of 4 models) with weight 2
    assert new["open_bias"] == pytest.approx(np.log((1 + 2 * 0.5) / (3 - (1 + 2 * 0.5))), abs=1e-4)


def test_eci_link_and_lags_on_fixture():
    """sim.empirical.eci: the OLS link recovers known coefficients; running-maximum lags in months."""
    from sim.empirical.eci import _step, eci_monthly, fit_eci_link, running_max_lag

    rng = np.random.default_rng(0)
    n = 40
    t = np.r_[rng.uniform(-1.0, 1.0, n), rng.uniform(1.0, 2.0, 8)]  # years since 2024; the last 8 are 2025
    lf = rng.uniform(23, 26, n + 8)
    matched = pd.DataFrame({"t": t, "log10_flop": lf, "eci": -100 + 9.0 * lf + 8.0 * t + rng.normal(0, 0.1, n + 8),
                            "lab": rng.choice(["A", "B"], n + 8)})
    link = fit_eci_link(matched, fit_until=2024)
    assert link.n == n and link.n_heldout == 8
    assert link.per_oom == pytest.approx(9.0, abs=0.1) and link.per_year == pytest.approx(8.0, abs=0.15)
    assert link.tau_alg_months == pytest.approx(12 * np.log10(2) * 9 / 8, rel=0.03)
    assert link.rmse_heldout < 0.5
    eci = pd.DataFrame({"model": ["C1", "O1", "C2", "O2"], "eci": [100.0, 95.0, 110.0, 104.0],
                        "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-05-01", "2024-08-01"]),
                        "region": ["US", "CN", "US", "CN"], "accessibility": [CLOSED, OPEN, CLOSED, OPEN]})
    closed, opened = _step(eci[eci.accessibility == CLOSED]), _step(eci[eci.accessibility == OPEN])
    # at 2024-08-31 the open best (104) was first reached by the closed frontier on 2024-05-01: 4 months
    assert running_max_lag(closed, opened, np.datetime64("2024-08-31")) == pytest.approx(122 / (365.25 / 12))
    monthly = eci_monthly(eci, "2024-01", "2024-08").set_index("month")
    assert np.isnan(monthly.loc["2024-01", "open_closed_lag_months"])  # no open model yet
    assert monthly.loc["2024-08", "best_open_region"] == "CN"
    assert (monthly["us_cn_lag_months"].dropna() >= 0).all()


@needs_epoch
def test_real_eci_tables_match_committed():
    from sim.empirical.eci import build_eci_tables

    roster = emp.read_table(REPO / "data" / "roster_2022-01.csv")
    link, tables = build_eci_tables(EPOCH_DIR, labs=roster["name"])
    for name, df in tables.items():
        committed = emp.read_table(REPO / "data" / "targets" / name)
        pd.testing.assert_frame_equal(df.reset_index(drop=True), committed, check_dtype=False, rtol=1e-5)
    assert link.n == 46 and 0.6 < link.r2 < 0.8 and 7 < link.per_oom < 12
    by_year = tables["eci_patterns_by_year.csv"].set_index("year")
    assert by_year.loc[2025, "best_open_cn_share"] == 1.0 and 0.3 < by_year.loc[2024, "best_open_cn_share"] < 0.5


def test_a_missing_epoch_folder_says_where_the_files_come_from(tmp_path):
    """A fresh clone has no Epoch exports: the message names the folder, the download pages and --epoch-dir."""
    with pytest.raises(emp.EmpiricalDataError) as e:
        emp.find_epoch_file(tmp_path / "nope", "notable")
    msg = str(e.value)
    assert str(tmp_path / "nope") in msg and "https://epoch.ai/data/ai-models" in msg and "--epoch-dir" in msg
    with pytest.raises(emp.EmpiricalDataError, match="https://epoch.ai/data/ai-models"):
        emp.find_epoch_file(tmp_path, "notable")  # the folder exists, the file does not
