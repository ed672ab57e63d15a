"""Adoption of Chinese open-weight models inside and outside China by year, per scenario of an `aieco compare`
folder: the mean over replications of each year's average share, its 90% bootstrap confidence interval and the
90% spread across replications.

    python scripts/open_adoption.py results/figure_inputs/comparison [--years 2023-2030] [--out table.md]

Columns: cn_on_cn_open (share of developers in China on Chinese open models), noncn_on_cn_open (outside China),
us_on_cn_open (in the US). Reads timeseries.parquet; prints a Markdown table (and writes it with --out).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.precision import bootstrap_ci

COLUMNS = ("cn_on_cn_open", "noncn_on_cn_open", "us_on_cn_open")


def adoption_table(folder: str | Path, first: int = 2023, last: int = 2030) -> pd.DataFrame:
    """One row per (scenario, year, column): mean, ci_lo, ci_hi (90% bootstrap CI of the mean over replications of
    the year's average), spread_lo, spread_hi (5% and 95% of replications), n. Raises FileNotFoundError for a
    folder without timeseries.parquet."""
    folder = Path(folder)
    ts = pd.read_parquet(folder / "timeseries.parquet")
    names = json.loads((folder / "manifest.json").read_text())["names"]
    ts = ts.assign(year=ts["date"].str[:4].astype(int))
    ts = ts[(ts["year"] >= first) & (ts["year"] <= last)]
    yearly = ts.groupby(["scenario", "replication", "year"])[[c for c in COLUMNS if c in ts]].mean().reset_index()
    rows = []
    for name in names:
        for (year,), g in yearly[yearly["scenario"] == name].groupby(["year"]):
            for c in COLUMNS:
                if c not in g:
                    continue
                v = g[c].to_numpy(float)
                est, lo, hi = bootstrap_ci(v, "mean")
                s_lo, s_hi = np.quantile(v, [0.05, 0.95])
                rows.append({"scenario": name, "year": year, "column": c, "mean": est, "ci_lo": lo, "ci_hi": hi,
                             "spread_lo": s_lo, "spread_hi": s_hi, "n": len(v)})
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """The table as Markdown: one line per scenario and year, each column as `mean [CI] (spread)`."""
    cols = [c for c in COLUMNS if c in set(table["column"])]
    lines = ["| scenario | year | " + " | ".join(f"{c}: mean [90% CI] (90% spread)" for c in cols) + " |",
             "|---|---|" + "---|" * len(cols)]
    for (name, year), g in table.groupby(["scenario", "year"], sort=False):
        g = g.set_index("column")
        cells = [f"{g.loc[c, 'mean']:.3f} [{g.loc[c, 'ci_lo']:.3f}, {g.loc[c, 'ci_hi']:.3f}] "
                 f"({g.loc[c, 'spread_lo']:.3f}-{g.loc[c, 'spread_hi']:.3f})" for c in cols]
        lines.append(f"| {name} | {year} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", help="an aieco compare output folder")
    ap.add_argument("--years", default="2023-2030", help="first-last calendar year (default 2023-2030)")
    ap.add_argument("--out", default=None, help="also write the Markdown table here")
    a = ap.parse_args()
    first, _, last = a.years.partition("-")
    t = adoption_table(a.folder, int(first), int(last or first))
    text = markdown(t)
    print(text)
    if a.out:
        Path(a.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
