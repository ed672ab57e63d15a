"""Model 3 part 1's numbers: open shares, reliance on Chinese open models, revenue and the open/closed index by term.

The numbers behind the closing note of "Model 3, part 1" (revenue from tokens and prices, complements, position and
the state): the baseline's open shares of releases by region and year, the share of developers outside China on
Chinese open models by year, revenue and sales by region and year against reported figures, and the open/closed
index decomposed into its terms for US and Chinese labs.

Usage: python scripts/model3_report.py [--replications 20] [--scenario scenarios/baseline.toml]
                                       [--out results/model3] [--overwrite]

Writes ``open_shares.csv``, ``noncn_on_cn_open.csv``, ``revenue.csv``, ``decomposition.csv`` and ``report.md`` to
``--out`` and prints the markdown. Medians over replications (5%-95% in brackets where shown); revenue is summed over
each calendar year (USD per year).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from sim import run_replications
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]

REPORTED_2024 = {
    "OpenAI sales": (3.7e9, "OpenAI revenue ~USD 3.7B in 2024 (press reports of company documents, secondary)"),
    "Anthropic sales": (0.9e9, "Anthropic ~USD 0.9B in 2024 (press reports, secondary)"),
}
TERMS = ["x_payoff", "x_position", "x_state", "x_misuse", "x_bias"]
USD = ["pi_closed", "complement_usd", "spill_usd", "pi_open"]


def _year(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(year=df["date"].str[:4].astype(int))


def open_shares(rel: pd.DataFrame) -> pd.DataFrame:
    """Region x year: median (over replications) of the open share of releases, with 5% and 95%."""
    per_rep = (rel.assign(is_open=rel["strategy"] == "OPEN")
               .groupby(["replication", "region", "year"])["is_open"].mean().reset_index())
    g = per_rep.groupby(["region", "year"])["is_open"]
    return pd.DataFrame({"median": g.median(), "p05": g.quantile(0.05), "p95": g.quantile(0.95)}).reset_index()


def noncn_on_cn_open(ts: pd.DataFrame) -> pd.DataFrame:
    """Year: median over replications of each year's mean share of non-Chinese developers on Chinese open models."""
    per_rep = ts.groupby(["replication", "year"])["noncn_on_cn_open"].mean().reset_index()
    g = per_rep.groupby("year")["noncn_on_cn_open"]
    return pd.DataFrame({"median": g.median(), "p05": g.quantile(0.05), "p95": g.quantile(0.95)}).reset_index()


def revenue(labs: pd.DataFrame) -> pd.DataFrame:
    """Region (and the named labs OpenAI, Anthropic) x year: median yearly sales and net revenue (USD/year)."""
    rows = []
    for who, sel in [(r, labs["region"] == r) for r in ("US", "CN", "EU", "ROW")] + \
                    [(n, labs["lab"] == n) for n in ("OpenAI", "Anthropic", "DeepSeek", "Alibaba")]:
        per_rep = labs[sel].groupby(["replication", "year"])[["sales", "revenue"]].sum().reset_index()
        med = per_rep.groupby("year")[["sales", "revenue"]].median().reset_index()
        rows.append(med.assign(who=who))
    return pd.concat(rows, ignore_index=True)[["who", "year", "sales", "revenue"]]


def switches(rel: pd.DataFrame) -> pd.DataFrame:
    """Region x year: median over replications of the number of releases that switched strategy (the release log's
    ``switched``: the strategy differs from the lab's previous release's) and of their share of the releases."""
    if "switched" not in rel:
        return pd.DataFrame(columns=["region", "year", "switches", "share"])
    per_rep = rel.groupby(["replication", "region", "year"])["switched"].agg(["sum", "mean"]).reset_index()
    g = per_rep.groupby(["region", "year"])
    return pd.DataFrame({"switches": g["sum"].median(), "share": g["mean"].median()}).reset_index()


def decomposition(rel: pd.DataFrame) -> pd.DataFrame:
    """Region (US, CN) x year 2023-2026: mean over releases of each index term (logit) and medians of the payoff
    parts (USD/month), with the open share of releases."""
    sel = rel[rel["region"].isin(["US", "CN"]) & rel["year"].between(2023, 2026)]
    g = sel.groupby(["region", "year"])
    out = g[TERMS].mean().join(g[USD].median().add_suffix("_median")).join(g["p_open"].mean())
    return out.reset_index()


def _md(df: pd.DataFrame, fmt: str = "{:.3g}") -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(("n/a" if v != v else fmt.format(v)) if isinstance(v, float) else str(v)
                                       for v in row) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", "-r", type=int, default=20)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    ap.add_argument("--out", default=str(ROOT / "results" / "model3"))
    ap.add_argument("--overwrite", action="store_true", help="replace the tables of an earlier report in --out")
    args = ap.parse_args()
    if (Path(args.out) / "report.md").exists() and not args.overwrite:
        ap.error(f"{args.out} already holds a report; pass --overwrite to replace it or --out another folder")
    reps = run_replications(load_scenario(args.scenario), args.replications)
    rel, ts, labs = _year(reps.releases), _year(reps.timeseries), _year(reps.labs)
    tables = {"open_shares": open_shares(rel), "noncn_on_cn_open": noncn_on_cn_open(ts), "revenue": revenue(labs),
              "decomposition": decomposition(rel), "switches": switches(rel)}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(out / f"{name}.csv", index=False)
    shares = tables["open_shares"].pivot(index="region", columns="year", values="median").reset_index()
    rev = tables["revenue"][tables["revenue"]["year"].between(2023, 2026)]
    text = "\n\n".join([
        f"# Model 3 report: {args.scenario}, {args.replications} replications",
        "## Open share of releases (median over replications)", _md(shares, "{:.2f}"),
        "## Developers outside China on Chinese open models (yearly mean; median [5%, 95%])",
        _md(tables["noncn_on_cn_open"], "{:.3f}"),
        "## Sales and net revenue, 2023-2026 (USD per year, medians)", _md(rev, "{:.3g}"),
        "Reported 2024: " + "; ".join(f"{k} {v[0]:.2g} ({v[1]})" for k, v in REPORTED_2024.items())
        + ". The regions' levels are of that order, not the leaders' shares: the logit spreads developers over some "
          "forty labs, so OpenAI's sales are a thirtieth of its reported revenue (a known limit: docs/ODD.md 7.7).",
        "## Releases that switched strategy (median count over replications, and their share of releases)",
        _md(tables["switches"].pivot(index="region", columns="year", values="switches").reset_index(), "{:.1f}"),
        _md(tables["switches"].pivot(index="region", columns="year", values="share").reset_index(), "{:.2f}"),
        "## The open/closed index by term (logit, mean over releases) and payoffs (USD/month, medians), 2023-2026",
        _md(tables["decomposition"], "{:.3g}")])
    (out / "report.md").write_text(text + "\n")
    print(text)
    print(f"\nwrote {out}/: report.md, " + ", ".join(f"{name}.csv" for name in tables))


if __name__ == "__main__":
    main()
