"""Epoch Capabilities Index (ECI): the link from training compute and date to ECI, and the ECI patterns.

Source: Epoch AI, 'AI Benchmarking Hub', Epoch Capabilities Index (``eci_scores.csv``, snapshot 2025-12;
CC BY 4.0), joined to Epoch AI, 'Data on AI Models' (notable + large-scale exports) for training compute.

- :func:`load_eci`: the ECI file, normalised (model, eci, date, lab, region, accessibility).
- :func:`fit_eci_link`: OLS of ``ECI = a + b log10(FLOP) + g (year - 2024)`` on exact-name matches released up to
  ``fit_until`` (default 2024), with the held-out error on later releases, and the same fit with a shrunken
  per-lab efficiency offset for comparison (the offset is kept only if it lowers the held-out error).
- :func:`eci_monthly`: month-end frontiers on ECI (best open, best closed, best US, best Chinese, the country of the
  best open-weight model) and the running-maximum lags in months (open behind closed, China behind the US).
- :func:`eci_patterns_by_year`: the yearly targets P5-P7 from that table; :func:`lab_flagships`: P8's observed
  flagship accessibility by lab and year.

Lags (months) are measured as for training compute (:func:`sim.empirical.targets.open_closed_lag_by_year`): at a month
end, the months since the leader's running maximum first reached the follower's current running maximum
(negative when the follower leads). Nothing here knows about the simulation model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.empirical.epoch import (
    CLOSED,
    DEFAULT_ORG_ALIASES,
    EPOCH_FILES_HINT,
    OPEN,
    UNRELEASED,
    EmpiricalDataError,
    _model_key,
    country_to_region,
    load_epoch,
    split_list,
)
from sim.empirical.targets import _frontier_step

ECI_CITATION = ("Epoch AI, 'AI Benchmarking Hub', Epoch Capabilities Index (eci_scores.csv, 2025-12 snapshot). "
                "CC BY 4.0")
ECI_COLUMNS = ("Model", "eci", "date", "Organization", "Country (of organization)", "Accessibility group")
REF_YEAR = 2024.0
"""The date regressor is ``decimal year - REF_YEAR``, so the intercept is the ECI of a 1-FLOP model at 2024-01-01."""
_GROUPS = {"open weights": OPEN, "closed weights": CLOSED}
_DAYS_PER_MONTH = 365.25 / 12


def find_eci_file(epoch_dir: str | Path) -> Path:
    """Newest ``eci_scores*.csv`` in ``epoch_dir``. Raises EmpiricalDataError when there is none."""
    d = Path(epoch_dir)
    matches = sorted(d.glob("eci_scores*.csv")) if d.is_dir() else []
    if not matches:
        raise EmpiricalDataError(f"{d}: no file matching 'eci_scores*.csv' (Epoch's Capabilities Index export). "
                                 f"{EPOCH_FILES_HINT}")
    return matches[-1]


def load_eci(path: str | Path, aliases: dict[str, str] | None = None) -> pd.DataFrame:
    """Read Epoch's ECI export into one row per model.

    Returns columns ``model`` (str), ``key`` (case- and space-normalised name for exact matching), ``eci``
    (float, ECI points), ``eci_lo``/``eci_hi`` (90% interval), ``date`` (Timestamp; rows without a date are
    dropped), ``lab`` (first listed organisation, :data:`sim.empirical.epoch.DEFAULT_ORG_ALIASES` merged, so
    "Google DeepMind" is "Google" as in the roster), ``region`` (of the first listed country; US/CN/EU/ROW) and
    ``accessibility`` (OPEN, CLOSED or UNKNOWN from Epoch's "Accessibility group"). Raises EmpiricalDataError
    naming the file and the missing column.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise EmpiricalDataError(f"{path}: cannot read as CSV ({exc})") from None
    missing = [c for c in ECI_COLUMNS if c not in raw.columns]
    if missing:
        raise EmpiricalDataError(f"{path}: missing column(s) {', '.join(missing)}")
    aliases = DEFAULT_ORG_ALIASES if aliases is None else aliases
    out = pd.DataFrame({
        "model": raw["Model"].str.strip(),
        "eci": pd.to_numeric(raw["eci"], errors="coerce"),
        "eci_lo": pd.to_numeric(raw.get("eci_ci_low", pd.Series(np.nan, index=raw.index)), errors="coerce"),
        "eci_hi": pd.to_numeric(raw.get("eci_ci_high", pd.Series(np.nan, index=raw.index)), errors="coerce"),
        "date": pd.to_datetime(raw["date"], errors="coerce", format="%Y-%m-%d"),
    })
    out["key"] = out["model"].map(_model_key)
    orgs = raw["Organization"].map(lambda s: (split_list(s) or [""])[0])
    out["lab"] = orgs.map(lambda o: aliases.get(o, o))
    out["region"] = raw["Country (of organization)"].map(
        lambda s: country_to_region((split_list(s) or [""])[0]) if s else None)
    out["accessibility"] = raw["Accessibility group"].str.strip().str.casefold().map(_GROUPS).fillna("UNKNOWN")
    return out[out["date"].notna() & out["eci"].notna()].reset_index(drop=True)


def decimal_year(dates: pd.Series) -> np.ndarray:
    """Decimal year of each Timestamp (2024-07-02 is about 2024.5)."""
    d = pd.to_datetime(dates)
    return (d.dt.year + (d.dt.day_of_year - 1) / 365.25).to_numpy(dtype=float)


def match_compute(eci: pd.DataFrame, models: pd.DataFrame) -> pd.DataFrame:
    """ECI rows joined to the training compute of the model with exactly the same name (case and spaces
    normalised; no fuzzy matching, which pairs wrong versions) in ``models`` (notable + large-scale, as
    :func:`sim.empirical.epoch.load_epoch` returns them). Keeps rows with a known compute; adds ``log10_flop`` and
    ``t`` (decimal year - :data:`REF_YEAR`)."""
    m = models.assign(key=models["model"].map(_model_key))[["key", "training_compute_flop"]]
    j = eci.merge(m.drop_duplicates("key"), on="key", how="inner")
    j = j[j["training_compute_flop"].gt(0)].copy()
    j["log10_flop"] = np.log10(j["training_compute_flop"].to_numpy(dtype=float))
    j["t"] = decimal_year(j["date"]) - REF_YEAR
    return j.sort_values(["date", "model"]).reset_index(drop=True)


@dataclass
class EciLink:
    """The fitted link ``ECI = intercept + per_oom log10(FLOP) + per_year (year - 2024) [+ lab offset]``.

    ``per_oom`` ECI points per order of magnitude of training compute; ``per_year`` ECI points per year of
    release date; ``se_*`` their standard errors; ``n``/``r2`` the fit on releases up to ``fit_until``;
    ``n_heldout``, ``rmse_heldout``, ``bias_heldout`` (mean observed - predicted) on later releases;
    ``rmse_heldout_with_offsets`` the held-out error of the fit with per-lab offsets (shrunk toward 0), and
    ``offsets`` those offsets (ECI points by lab) with ``use_offsets`` True only if they lowered the held-out
    error. ``tau_alg_months`` = ``12 log10(2) per_oom / per_year``: the halving time of the compute needed for a
    given ECI that the date slope implies."""

    intercept: float
    per_oom: float
    per_year: float
    se_intercept: float
    se_per_oom: float
    se_per_year: float
    n: int
    r2: float
    r2_date_only: float
    n_heldout: int
    rmse_heldout: float
    bias_heldout: float
    rmse_heldout_with_offsets: float
    offsets: dict[str, float]
    use_offsets: bool
    fit_until: int

    @property
    def tau_alg_months(self) -> float:
        return 12 * math.log10(2) * self.per_oom / self.per_year

    def predict(self, log10_flop: np.ndarray, t: np.ndarray, labs: Iterable[str] | None = None) -> np.ndarray:
        """ECI of models with ``log10_flop`` released at ``t`` (decimal year - 2024); with ``labs`` and
        ``use_offsets``, plus each lab's offset."""
        y = self.intercept + self.per_oom * np.asarray(log10_flop, float) + self.per_year * np.asarray(t, float)
        if labs is not None and self.use_offsets:
            y = y + np.array([self.offsets.get(lab, 0.0) for lab in labs])
        return y

    def table(self) -> pd.DataFrame:
        """The link as the committed ``eci_link.csv``: one row per quantity (name, value, se, note)."""
        rows = [
            ("intercept", self.intercept, self.se_intercept, "ECI of log10(FLOP)=0 at 2024-01-01"),
            ("per_oom", self.per_oom, self.se_per_oom, "ECI points per OOM of training compute"),
            ("per_year", self.per_year, self.se_per_year, "ECI points per year of release date"),
            ("tau_alg_months", self.tau_alg_months, math.nan, "12 log10(2) per_oom / per_year"),
            ("n", self.n, math.nan, f"exact-name matches released up to {self.fit_until}"),
            ("r2", self.r2, math.nan, "fit"),
            ("r2_date_only", self.r2_date_only, math.nan, "fit of ECI on date alone"),
            ("n_heldout", self.n_heldout, math.nan, f"matches released after {self.fit_until}"),
            ("rmse_heldout", self.rmse_heldout, math.nan, "held-out RMSE (ECI points)"),
            ("bias_heldout", self.bias_heldout, math.nan, "held-out mean of observed - predicted"),
            ("rmse_heldout_with_offsets", self.rmse_heldout_with_offsets, math.nan,
             "held-out RMSE with shrunken per-lab offsets"),
            ("use_offsets", float(self.use_offsets), math.nan, "1 if the offsets lowered the held-out RMSE"),
        ]
        return pd.DataFrame(rows, columns=["name", "value", "se", "note"])


def _ols(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    dof = max(len(y) - X.shape[1], 1)
    s2 = float(resid @ resid) / dof
    se = np.sqrt(np.diag(s2 * np.linalg.pinv(X.T @ X)))
    r2 = 1.0 - float(resid @ resid) / float(((y - y.mean()) ** 2).sum())
    return beta, se, r2


def _shrunk_offsets(resid: pd.Series, labs: pd.Series) -> dict[str, float]:
    """Per-lab mean residual shrunk toward 0 (empirical Bayes, normal-normal): ``n s2_lab / (n s2_lab + s2)``
    times the lab's mean, with the between-lab variance ``s2_lab`` estimated by moments (floored at 0)."""
    s2 = float(resid.var(ddof=1))
    g = resid.groupby(labs.to_numpy())
    means, counts = g.mean(), g.size()
    between = max(float(means.var(ddof=1)) - s2 * float((1.0 / counts).mean()), 0.0) if len(means) > 1 else 0.0
    w = counts * between / (counts * between + s2) if between > 0 else counts * 0.0
    return {str(k): float(v) for k, v in (w * means).items()}


def fit_eci_link(matched: pd.DataFrame, fit_until: int = 2024) -> EciLink:
    """Fit the ECI link on ``matched`` (:func:`match_compute`) releases up to the end of ``fit_until``.

    Raises ValueError with fewer than 5 fitted or no held-out rows."""
    year = matched["t"] + REF_YEAR
    fit, held = matched[year < fit_until + 1], matched[year >= fit_until + 1]
    if len(fit) < 5 or held.empty:
        raise ValueError(f"ECI link: {len(fit)} matched releases up to {fit_until} and {len(held)} after; "
                         "need at least 5 and 1")
    X = np.c_[np.ones(len(fit)), fit["log10_flop"], fit["t"]]
    beta, se, r2 = _ols(X, fit["eci"].to_numpy(float))
    _, _, r2_date = _ols(np.c_[np.ones(len(fit)), fit["t"]], fit["eci"].to_numpy(float))
    Xh = np.c_[np.ones(len(held)), held["log10_flop"], held["t"]]
    err = held["eci"].to_numpy(float) - Xh @ beta
    offsets = _shrunk_offsets(fit["eci"] - X @ beta, fit["lab"])
    err_off = err - np.array([offsets.get(lab, 0.0) for lab in held["lab"]])
    rmse, rmse_off = float(np.sqrt((err ** 2).mean())), float(np.sqrt((err_off ** 2).mean()))
    return EciLink(intercept=float(beta[0]), per_oom=float(beta[1]), per_year=float(beta[2]),
                   se_intercept=float(se[0]), se_per_oom=float(se[1]), se_per_year=float(se[2]),
                   n=len(fit), r2=r2, r2_date_only=r2_date, n_heldout=len(held), rmse_heldout=rmse,
                   bias_heldout=float(err.mean()), rmse_heldout_with_offsets=rmse_off, offsets=offsets,
                   use_offsets=rmse_off < rmse, fit_until=fit_until)


def _step(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Record-setting models of ``df`` (dates, running-max ECI, names), each strictly above the last."""
    return _frontier_step(df, "date", "eci")


def _value_at(step: tuple, t: np.datetime64) -> tuple[float, str]:
    i = int(np.searchsorted(step[0], t, side="right")) - 1
    return (step[1][i], step[2][i]) if i >= 0 else (math.nan, "")


def _months_since_reached(step: tuple, level: float, t: np.datetime64) -> float:
    i = int(np.argmax(step[1] >= level))
    return float((t - step[0][i]) / np.timedelta64(1, "D")) / _DAYS_PER_MONTH


def running_max_lag(leader: tuple, follower: tuple, t: np.datetime64) -> float:
    """Months by which the follower's running maximum trails the leader's at ``t`` (negative when it leads;
    NaN before both have a model). ``leader``/``follower`` come from :func:`_step`."""
    a, _ = _value_at(leader, t)
    b, _ = _value_at(follower, t)
    if math.isnan(a) or math.isnan(b):
        return math.nan
    return _months_since_reached(leader, b, t) if b <= a else -_months_since_reached(follower, a, t)


def eci_monthly(eci: pd.DataFrame, start: str = "2023-03", end: str = "2025-12") -> pd.DataFrame:
    """Month-end ECI frontiers and lags, one row per month from ``start`` to ``end`` (YYYY-MM).

    Columns: ``month`` (YYYY-MM), ``best_open_eci``, ``best_open_model``, ``best_open_region``,
    ``best_closed_eci``, ``frontier_US``, ``frontier_CN`` (running maxima; closed = CLOSED, models of unknown
    accessibility left out of both), ``open_closed_lag_months`` (open behind closed) and ``us_cn_lag_months``
    (China behind the US), both by :func:`running_max_lag`."""
    op, cl = _step(eci[eci["accessibility"] == OPEN]), _step(eci[eci["accessibility"].isin((CLOSED, UNRELEASED))])
    us, cn = _step(eci[eci["region"] == "US"]), _step(eci[eci["region"] == "CN"])
    region_of = dict(zip(eci["model"], eci["region"], strict=False))
    rows = []
    for e in pd.date_range(pd.Timestamp(start + "-01"), pd.Timestamp(end + "-01") + pd.offsets.MonthEnd(0), freq="ME"):
        t = np.datetime64(e + pd.Timedelta(hours=23, minutes=59), "ns")
        bo, bo_name = _value_at(op, t)
        rows.append((e.strftime("%Y-%m"), bo, bo_name, region_of.get(bo_name, ""), _value_at(cl, t)[0],
                     _value_at(us, t)[0], _value_at(cn, t)[0], running_max_lag(cl, op, t),
                     running_max_lag(us, cn, t)))
    return pd.DataFrame(rows, columns=["month", "best_open_eci", "best_open_model", "best_open_region",
                                       "best_closed_eci", "frontier_US", "frontier_CN", "open_closed_lag_months",
                                       "us_cn_lag_months"])


def eci_patterns_by_year(monthly: pd.DataFrame) -> pd.DataFrame:
    """Yearly targets from :func:`eci_monthly`: ``year``, ``n_months``, ``best_open_cn_share`` (P5: share of the
    year's month ends at which the best open-weight model is Chinese), ``best_open_us_share``,
    ``open_closed_lag_mean``/``_end`` (P6, months) and ``us_cn_lag_mean``/``_end`` (P7, months)."""
    m = monthly.assign(year=monthly["month"].str[:4].astype(int))
    rows = []
    for y, g in m.groupby("year"):
        rows.append((int(y), len(g), float((g["best_open_region"] == "CN").mean()),
                     float((g["best_open_region"] == "US").mean()), float(g["open_closed_lag_months"].mean()),
                     float(g["open_closed_lag_months"].iloc[-1]), float(g["us_cn_lag_months"].mean()),
                     float(g["us_cn_lag_months"].iloc[-1])))
    return pd.DataFrame(rows, columns=["year", "n_months", "best_open_cn_share", "best_open_us_share",
                                       "open_closed_lag_mean", "open_closed_lag_end", "us_cn_lag_mean",
                                       "us_cn_lag_end"])


def lab_flagships(eci: pd.DataFrame, models: pd.DataFrame, labs: Iterable[str], years: Iterable[int] = (2024, 2025),
                  aliases: dict[str, str] | None = None) -> pd.DataFrame:
    """P8's observed strategy: for each lab and year, its flagship and whether it was open.

    The flagship is the lab's highest-ECI model released that year in the ECI file; for a lab with none there, its
    largest-compute model that year in ``models`` (notable + large-scale) with a known accessibility (UNRELEASED
    counts as closed). Returns ``lab``, ``year``, ``flagship``, ``source`` ("eci" or "compute"),
    ``accessibility`` (OPEN/CLOSED); labs with no model that year are left out."""
    aliases = DEFAULT_ORG_ALIASES if aliases is None else aliases
    mm = models[models["org"] != ""].assign(lab=lambda d: d["org"].map(lambda o: aliases.get(o, o)))
    rows = []
    for lab in labs:
        for y in years:
            e = eci[(eci["lab"] == lab) & (eci["date"].dt.year == y) & eci["accessibility"].isin((OPEN, CLOSED))]
            if len(e):
                top = e.sort_values("eci", ascending=False).iloc[0]
                rows.append((lab, y, top["model"], "eci", top["accessibility"]))
                continue
            g = mm[(mm["lab"] == lab) & (mm["year"] == y) & mm["accessibility"].isin((OPEN, CLOSED, UNRELEASED))
                   & mm["training_compute_flop"].notna()]
            if len(g):
                top = g.sort_values("training_compute_flop", ascending=False).iloc[0]
                rows.append((lab, y, top["model"], "compute", OPEN if top["accessibility"] == OPEN else CLOSED))
    return pd.DataFrame(rows, columns=["lab", "year", "flagship", "source", "accessibility"])


def build_eci_tables(epoch_dir: str | Path, fit_until: int = 2024, labs: Iterable[str] | None = None
                     ) -> tuple[EciLink, dict[str, pd.DataFrame]]:
    """The ECI link and target tables from ``epoch_dir``: ``eci_link.csv`` (:meth:`EciLink.table`),
    ``eci_monthly.csv`` (:func:`eci_monthly`), ``eci_patterns_by_year.csv`` (:func:`eci_patterns_by_year`) and, given
    ``labs`` (the roster's names), ``lab_flagships.csv`` (:func:`lab_flagships`, 2024 and 2025)."""
    eci = load_eci(find_eci_file(epoch_dir))
    models, _ = load_epoch(epoch_dir, ("notable", "large_scale"))
    link = fit_eci_link(match_compute(eci, models), fit_until=fit_until)
    monthly = eci_monthly(eci)
    tables = {"eci_link.csv": link.table(), "eci_monthly.csv": monthly,
              "eci_patterns_by_year.csv": eci_patterns_by_year(monthly)}
    if labs is not None:
        tables["lab_flagships.csv"] = lab_flagships(eci, models, labs)
    return link, tables
