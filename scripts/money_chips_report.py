"""Numbers behind issue 14's closing note: budgets by source, the chip price, export-control effects by year.
Budgets: revenue, investment and chip subsidies (state_usd_per_year); the export-control scenarios: paired differences.

Usage: python scripts/money_chips_report.py [--replications 10] [--out results/money_chips]
       python scripts/money_chips_report.py --from results/figure_inputs/comparison   # reuse a compare folder
                                                                    # holding the three scenarios
Writes ``yearly.csv`` (baseline medians by December of each year), ``paired.csv`` (scenario minus baseline,
paired by seed: median and 5-95% of the difference, December of each year) and prints both.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from sim import REGIONS, run_replications
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
METRICS = ["compute_CN", "compute_US", "compute_share_CN", "frontier_CN", "frontier_US", "us_cn_gap_eci",
           "noncn_on_cn_open", "adopt_CN_open", "chip_price_usd"]


def yearly(ts: pd.DataFrame) -> pd.DataFrame:
    ts = ts[ts["date"].str.endswith("-12")].copy()
    ts["year"] = ts["date"].str[:4].astype(int)
    rev = sum(ts[f"revenue_{r}"] for r in REGIONS)
    inv = sum(ts[f"investment_{r}"] for r in REGIONS)
    st = sum(ts[f"state_funding_{r}"] for r in REGIONS)
    ts["revenue_usd_per_year"] = 12 * rev
    ts["investment_usd_per_year"] = 12 * inv
    ts["investment_US_CN_ratio"] = ts["investment_US"] / ts["investment_CN"]
    ts["state_usd_per_year"] = 12 * st
    ts["chip_production_per_year"] = 12 * ts["chip_production_h100e"]
    return ts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", "-r", type=int, default=10)
    ap.add_argument("--out", default=str(ROOT / "results" / "money_chips"))
    ap.add_argument("--from", dest="src", default=None,
                    help="an `aieco compare` folder whose timeseries.parquet holds the three scenarios")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = {}
    stacked = pd.read_parquet(Path(a.src) / "timeseries.parquet") if a.src else None
    for name in ("baseline", "no_export_controls", "strict_controls"):
        if stacked is not None:
            runs[name] = yearly(stacked[stacked["scenario"] == name].drop(columns="scenario"))
            continue
        res = run_replications(load_scenario(ROOT / "scenarios" / f"{name}.toml"), a.replications)
        runs[name] = yearly(res.timeseries)
    base = runs["baseline"]
    cols = ["revenue_share_of_budget", "revenue_usd_per_year", "investment_usd_per_year", "investment_US_CN_ratio",
            "state_usd_per_year", "chip_production_per_year", "chip_price_usd", "chip_list_price_usd",
            "labs_compute_h100e", "chip_stock_h100e", "compute_share_CN", "n_labs_active"]
    tab = base.groupby("year")[cols].median()
    tab.to_csv(out / "yearly.csv")
    pd.set_option("display.width", 200)
    print(tab.to_string(float_format=lambda x: f"{x:.3g}"))
    rows = []
    for name in ("no_export_controls", "strict_controls"):
        other = runs[name]
        m = base.merge(other, on=["replication", "year"], suffixes=("_b", "_s"))
        for metric in METRICS:
            d = m[f"{metric}_s"] - m[f"{metric}_b"]
            if metric.startswith("compute_") and metric != "compute_share_CN" or metric == "chip_price_usd":
                d = m[f"{metric}_s"] / m[f"{metric}_b"] - 1  # relative difference for levels
            for y, g in d.groupby(m["year"]):
                rows.append({"scenario": name, "metric": metric, "year": y, "median": g.median(),
                             "p05": g.quantile(0.05), "p95": g.quantile(0.95)})
    paired = pd.DataFrame(rows)
    paired.to_csv(out / "paired.csv", index=False)
    for name, g in paired.groupby("scenario"):
        print(f"\n{name} minus baseline (paired by seed; compute and price: relative)")
        piv = g.assign(v=g.apply(lambda r: f"{r['median']:+.3g} [{r['p05']:+.2g},{r['p95']:+.2g}]", axis=1)).pivot(
            index="year", columns="metric", values="v")
        print(piv.to_string())


if __name__ == "__main__":
    main()
