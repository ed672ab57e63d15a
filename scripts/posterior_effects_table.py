"""The table of figures/posterior_effects/README.md from a posterior comparison's ``posterior_effects.csv``.

Each cell: a scenario's effect on a headline metric, averaged from its first policy change to the horizon, as the
median over posterior draws of each draw's mean effect [its 5%-95% interval over draws] (share of draws whose
effect has the median's sign).

Usage: python scripts/posterior_effects_table.py results/compare_posterior/posterior_effects.csv [--start 2022-01]
"""

from __future__ import annotations

import argparse

import pandas as pd

COLUMNS = {"open_share_CN": ("CN open share", 2), "open_share_US": ("US open share", 2),
           "open_closed_lag_months": ("open-closed lag (months)", 1),
           "us_cn_gap_months": ("US-China gap (months)", 1), "noncn_on_cn_open": ("non-CN devs on CN open", 3)}


def _month(start: str, k: int) -> str:
    y, m = (int(x) for x in start.split("-"))
    y, m = divmod(y * 12 + m - 1 + k, 12)
    return f"{y}-{m + 1:02d}"


def table(effects: pd.DataFrame, start: str = "2022-01") -> str:
    """The markdown table: a row per scenario (its first policy month), a column per headline metric."""
    mean = effects[effects["effect"] == "mean"]
    lines = ["| scenario (from) | " + " | ".join(label for label, _ in COLUMNS.values()) + " |",
             "|---" * (len(COLUMNS) + 1) + "|"]
    for scenario, rows in mean.groupby("scenario", sort=True):
        cells = []
        for metric, (_, d) in COLUMNS.items():
            r = rows[rows["metric"] == metric]
            if r.empty:
                cells.append("n/a")
                continue
            r = r.iloc[0]
            share = "n/a: median 0" if r["sign_share"] != r["sign_share"] else f"{r['sign_share']:.2f}"  # NaN
            cells.append(f"{r['median']:+.{d}f} [{r['lo']:+.{d}f}, {r['hi']:+.{d}f}] ({share})")
        first = _month(start, int(rows["from_month"].iloc[0]))
        lines.append(f"| {scenario} ({first}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("effects")
    ap.add_argument("--start", default="2022-01")
    args = ap.parse_args()
    print(table(pd.read_csv(args.effects), args.start))


if __name__ == "__main__":
    main()
