"""Summary metrics of one run, for tables, sweeps and sensitivity analysis (DESIGN.md §6).

Every metric is a plain float computed from the run's time series and release log; ``SUMMARY_METRICS``
documents each one (unit and meaning). Metrics that cannot be computed (for example a lag when no open
model exists) are NaN, never an exception.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim import REGIONS

WINDOW_MONTHS = 12
"""Length of the averaging window at the end of the run (the ``*_mean12`` metrics)."""

_HORIZON = {
    **{f"open_share_{r}": ("share", f"share of {r} labs whose current model is open-weight") for r in REGIONS},
    "open_closed_lag_months": ("months", "months by which the best open model trails the best closed model"),
    "us_cn_gap_oom": ("OOM", "US frontier capability minus China's (log10 effective FLOP)"),
    "us_cn_gap_months": ("months", "months by which China's frontier trails the US frontier"),
    "noncn_on_cn_open": ("share", "share of developers outside China building on Chinese open models"),
    "cn_on_cn_open": ("share", "share of developers in China building on Chinese open models"),
    "us_on_cn_open": ("share", "share of developers in the US building on Chinese open models"),
    "adopt_CN_open": ("share", "share of all developers on Chinese open models"),
    "adopt_US_closed": ("share", "share of all developers on US closed models"),
    "compute_share_CN": ("share", "China's share of all labs' compute"),
    "hhi": ("0..1", "Herfindahl index of adoption across models"),
    "compute_CN": ("H100e", "compute held by China's labs"),
    "compute_US": ("H100e", "compute held by US labs"),
    "labs_compute_h100e": ("H100e", "compute held by all labs"),
    "chip_price_usd": ("USD per H100e", "market-clearing chip price"),
    "investment_CN": ("USD/month", "investment in China's labs"),
    "investment_US": ("USD/month", "investment in US labs"),
    "revenue_share_of_budget": ("share", "revenue as a share of all labs' budgets"),
    **{f"investment_{src}_{r}": ("USD/month", f"{what} investment in {n} labs")
       for src, what in (("parents", "parents'"), ("venture", "venture"), ("state", "state"))
       for r, n in (("US", "US"), ("CN", "China's"))},
    **{f"expectation_{r}": ("index", f"investors' expectation index of {n} labs (1: investors' prior growth)")
       for r, n in (("US", "US"), ("CN", "China's"))},
    **{f"revenue_capex_gap_{r}": ("USD/month", f"chip spending minus sales of {n} labs")
       for r, n in (("US", "US"), ("CN", "China's"))},
}

SUMMARY_METRICS: dict[str, tuple[str, str]] = {
    **{k: (u, d + " at the horizon") for k, (u, d) in _HORIZON.items()},
    **{f"{k}_mean12": (u, d + f", mean of the last {WINDOW_MONTHS} months") for k, (u, d) in _HORIZON.items()},
    **{f"release_open_share_{r}": ("share", f"share of {r} releases over the whole run that were open-weight")
       for r in REGIONS},
    "frontier_compute_growth": ("x per year", "growth factor of the largest physical training run (log-linear fit)"),
    "frontier_capability": ("ECI", "best capability at the horizon (Epoch Capabilities Index points)"),
}
"""name -> (unit, description) of every summary metric."""

_REGION_NAMES = {"US": ("US", "US"), "CN": ("Chinese", "CN"), "EU": ("European", "EU"), "ROW": ("other", "RoW")}

METRIC_LABELS: dict[str, tuple[str, str]] = {
    **{f"open_share_{r}": (f"Open-weight share of {n} labs", f"Open share, {s}") for r, (n, s) in _REGION_NAMES.items()},
    "open_closed_lag_months": ("Open models' lag behind closed", "Open-closed lag"),
    "us_cn_gap_oom": ("US minus China frontier", "US-China gap (OOM)"),
    "us_cn_gap_months": ("China's lag behind the US", "US-China gap"),
    "noncn_on_cn_open": ("Non-Chinese developers on Chinese open models", "Non-CN devs on CN open"),
    "cn_on_cn_open": ("Developers in China on Chinese open models", "CN devs on CN open"),
    "us_on_cn_open": ("US developers on Chinese open models", "US devs on CN open"),
    "adopt_CN_open": ("Developers on Chinese open models", "Devs on CN open"),
    "adopt_US_closed": ("Developers on US closed models", "Devs on US closed"),
    "compute_share_CN": ("China's share of lab compute", "China's compute share"),
    "hhi": ("Concentration of adoption (HHI)", "Adoption HHI"),
    "compute_CN": ("Compute held by China's labs", "Compute, CN"),
    "compute_US": ("Compute held by US labs", "Compute, US"),
    "labs_compute_h100e": ("Compute held by all labs", "Labs' compute"),
    "chip_price_usd": ("Market-clearing chip price", "Chip price"),
    "investment_CN": ("Investment in China's labs", "Investment, CN"),
    "investment_US": ("Investment in US labs", "Investment, US"),
    "revenue_share_of_budget": ("Revenue as a share of labs' budgets", "Revenue share of budget"),
    **{f"release_open_share_{r}": (f"Open-weight share of {n} releases", f"Open releases, {s}")
       for r, (n, s) in _REGION_NAMES.items()},
    **{f"investment_{src}_{r}": (f"{what} investment in {n} labs", f"{short}, {s}")
       for src, what, short in (("parents", "Parents'", "Parents"), ("venture", "Venture", "Venture"),
                                ("state", "State", "State investment"))
       for r, (n, s) in _REGION_NAMES.items() if r in ("US", "CN")},
    **{f"expectation_{r}": (f"Investors' expectation index, {n} labs", f"Expectation, {s}")
       for r, (n, s) in _REGION_NAMES.items() if r in ("US", "CN")},
    **{f"revenue_capex_gap_{r}": (f"Chip spending minus sales, {n} labs", f"Capex-revenue gap, {s}")
       for r, (n, s) in _REGION_NAMES.items() if r in ("US", "CN")},
    "frontier_compute_growth": ("Frontier training compute growth", "Frontier compute growth"),
    "frontier_capability": ("Frontier capability", "Frontier capability"),
}
"""The one table of the names a reader sees for each metric (CLI tables, figures' axes and legends, the dashboard):
metric (without ``_mean12``) -> (label, short label for a column header)."""


_SERIES = {  # time-series columns by region (EcosystemModel.timeseries): pattern -> (label, short, unit)
    "revenue_{r}": ("Revenue of {n} labs (net of serving costs)", "Revenue, {s}", "USD/month"),
    "sales_{r}": ("Sales of {n} labs (API tokens at price, complements)", "Sales, {s}", "USD/month"),
    "investment_{r}": ("Investment in {n} labs", "Investment, {s}", "USD/month"),
    "state_funding_{r}": ("State funding of {n} labs", "State funding, {s}", "USD/month"),
    "investment_parents_{r}": ("Parents' investment in {n} labs", "Parents, {s}", "USD/month"),
    "investment_venture_{r}": ("Venture investment in {n} labs", "Venture, {s}", "USD/month"),
    "investment_state_{r}": ("State investment in {n} labs", "State investment, {s}", "USD/month"),
    "expectation_{r}": ("Investors' expectation index, {n} labs", "Expectation, {s}", "index (1 = investors' prior)"),
    "chip_spend_{r}": ("Chip spending of {n} labs", "Chip spend, {s}", "USD/month"),
    "revenue_capex_gap_{r}": ("Chip spending minus sales, {n} labs", "Capex-revenue gap, {s}", "USD/month"),
    "compute_{r}": ("Compute held by {n} labs", "Compute, {s}", "H100e"),
    "compute_share_{r}": ("{N} labs' share of lab compute", "Compute share, {s}", "share of compute"),
    "frontier_{r}": ("Frontier capability of {n} labs", "Frontier, {s}", "ECI points"),
    "adopt_{r}_open": ("Developers on {n} open-weight models", "Devs on {s} open", "share of developers"),
    "adopt_{r}_closed": ("Developers on {n} closed models", "Devs on {s} closed", "share of developers"),
}
_SERIES_LABELS = {p.format(r=r): (lab.format(n=n, N=n[:1].upper() + n[1:], s=s), short.format(s=s), unit)
                  for p, (lab, short, unit) in _SERIES.items() for r, (n, s) in _REGION_NAMES.items()}


def metric_label(metric: str, short: bool = False) -> str:
    """The reader's name of a metric (:data:`METRIC_LABELS`), e.g. ``open_share_CN_mean12`` -> "Open-weight share
    of Chinese labs, mean of last 12 months"; ``short=True``: the column-header name without the window
    ("Open share, CN"). An unknown metric: its name with spaces for underscores."""
    base = metric[:-len("_mean12")] if metric.endswith("_mean12") else metric
    plain = base.replace("_", " ")
    label, short_label = METRIC_LABELS.get(base) or _SERIES_LABELS.get(base, (plain, plain, ""))[:2]
    if short:
        return short_label
    return label + (f", mean of last {WINDOW_MONTHS} months" if base != metric else "")


_UNITS = {"OOM": "OOM of effective FLOP", "0..1": "0-1", "ECI": "ECI points"}


def metric_unit(metric: str) -> str:
    """The reader's unit of a summary metric or a regional time series, e.g. "share of labs", "months",
    "USD/month" ("" when unknown)."""
    if metric not in SUMMARY_METRICS and metric in _SERIES_LABELS:
        return _SERIES_LABELS[metric][2]
    unit = SUMMARY_METRICS.get(metric, ("", ""))[0]
    if unit != "share":
        return _UNITS.get(unit, unit)
    base = metric[:-len("_mean12")] if metric.endswith("_mean12") else metric
    of = ("releases" if base.startswith("release_") else "labs" if base.startswith("open_share")
          else "compute" if base.startswith("compute_share") else "budgets" if base.startswith("revenue_share")
          else "developers")
    return f"share of {of}"


HEADLINE_METRICS = ("open_share_CN", "open_share_US", "open_closed_lag_months", "us_cn_gap_months",
                    "noncn_on_cn_open")
"""The metrics shown in the run table and in scenario comparisons."""


def summarize(ts: pd.DataFrame, releases: pd.DataFrame) -> dict[str, float]:
    """Summary metrics (``SUMMARY_METRICS``) of one run.

    ts : the model's time series (one row per month, columns of ``EcosystemModel.timeseries``).
    releases : the release log. Returns {metric: float}, NaN where undefined."""
    out: dict[str, float] = {}
    last = ts.iloc[-1]
    tail = ts.iloc[-WINDOW_MONTHS:]
    for k in _HORIZON:
        out[k] = float(last[k])
        out[f"{k}_mean12"] = float(tail[k].mean())
    for r in REGIONS:
        rel = releases[releases["region"] == r]
        out[f"release_open_share_{r}"] = float((rel["strategy"] == "OPEN").mean()) if len(rel) else float("nan")
    y = ts["frontier_train_flop"].to_numpy(float)
    x = ts["month"].to_numpy(float) / 12
    ok = np.isfinite(y)
    out["frontier_compute_growth"] = float(10 ** np.polyfit(x[ok], y[ok], 1)[0]) if ok.sum() >= 2 else float("nan")
    out["frontier_capability"] = float(ts["frontier"].iloc[-1])
    return out


def release_open_share_by_year(releases: pd.DataFrame) -> pd.DataFrame:
    """Open-weight share of releases by region and calendar year (comparable to Epoch's notable models).

    Returns columns region, year, n_open, n_closed, open_share."""
    if releases.empty:
        return pd.DataFrame(columns=["region", "year", "n_open", "n_closed", "open_share"])
    df = releases.assign(year=releases["date"].str[:4].astype(int), is_open=releases["strategy"] == "OPEN")
    g = df.groupby(["region", "year"])["is_open"].agg(["sum", "count"]).reset_index()
    g = g.rename(columns={"sum": "n_open"})
    g["n_closed"] = g["count"] - g["n_open"]
    g["open_share"] = g["n_open"] / g["count"]
    return g[["region", "year", "n_open", "n_closed", "open_share"]]
