"""The investment issue's numbers: who pays, against the data, and labs' compute against their own statements.

The numbers behind the closing note of "Model 3, money" (investment on expectations, docs/ODD.md 7.9): investment
in US and Chinese labs by source (parents, venture, state) and year with the US:China ratio of each, against the
Stanford AI Index's private AI investment and the Big Tech companies' capital expenditure; the parents' money as a
share of that capex (the implied frontier-AI share, to be read against the stated assumption); the expectation
index; and named labs' compute at 2025-12 against what the labs said (inputs dated 2025: held out, never fitted).

Usage: python scripts/investment_report.py [--replications 20] [--scenario scenarios/baseline.toml]
                                           [--out results/investment] [--overwrite]

Writes ``sources.csv``, ``ratios.csv``, ``compute_2025.csv`` and ``report.md`` to ``--out`` and prints the markdown.
Medians over replications; money summed over each calendar year (USD per year).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from sim import run_replications
from sim.scenario import load_scenario

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model3_report import _md  # noqa: E402  (the scripts' one markdown-table helper)

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("parents", "venture", "state")

AI_INDEX_PRIVATE = {  # USD B; Stanford AI Index 2023, 2024 and 2025 reports (private AI investment by country)
    2022: (47.4, 13.4), 2023: (67.2, 7.8), 2024: (109.1, 9.3)}
"""Year -> (US, China) private AI investment, USD billions: AI Index 2023 (2022 figures), 2024 and 2025 reports."""

CAPEX = {  # USD B, approximate; company filings (10-K, annual reports), to be checked against the filings
    2022: (150.0, 7.9), 2023: (141.0, 8.0), 2024: (231.0, 22.0)}
"""Year -> (US Big Four: Alphabet, Meta, Microsoft (fiscal year), Amazon; China's listed three: Alibaba, Tencent,
Baidu, at RMB 7.1 per USD) total capital expenditure, USD billions, approximately (the issue's figures for the US;
for China the three companies' reports, approximate; ByteDance is private and left out). The share of it that
funds frontier AI labs is an assumption: 0.1-0.5 (it rose after 2023)."""

STATED_2025 = {  # lab -> (GPUs or H100e stated for the end of 2025, source)
    "Meta AI": (1.3e6, "Zuckerberg, 2025-01-24: 'end the year with more than 1.3 million GPUs'"),
    "OpenAI": (1.0e6, "Altman, 2025-07-20: 'well over 1 million GPUs brought online by the end of this year'"),
    "xAI": (2.3e5, "Musk, 2025-07: Colossus 1 at 230k GPUs (including 30k GB200)"),
    "DeepSeek": (5.0e4, "SemiAnalysis 2025-01 estimate of ~50k Hopper GPUs (secondary, not a statement)"),
}
"""Named labs' compute at the end of 2025 in their own words (GPUs of mixed generations, ~H100e); all dated 2025, so
held out: compared, never fitted."""


def _year(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(year=df["date"].str[:4].astype(int))


def sources(ts: pd.DataFrame) -> pd.DataFrame:
    """Region (US, CN) x year: medians over replications of each source's money and of revenue (USD/year) and of
    the expectation index (yearly mean)."""
    rows = []
    for r in ("US", "CN"):
        cols = {f"investment_{s}_{r}": s for s in SOURCES} | {f"revenue_{r}": "revenue", f"sales_{r}": "sales",
                                                             f"chip_spend_{r}": "chip_spend"}
        per_rep = ts.groupby(["replication", "year"])[list(cols)].sum().rename(columns=cols)
        per_rep["expectation"] = ts.groupby(["replication", "year"])[f"expectation_{r}"].mean()
        rows.append(per_rep.groupby("year").median().reset_index().assign(region=r))
    out = pd.concat(rows, ignore_index=True)
    return out[["region", "year", *[c for c in out.columns if c not in ("region", "year")]]]


def ratios(src: pd.DataFrame) -> pd.DataFrame:
    """Year 2022-2024: the model's US:China ratios by source against the data's, and the parents' money as a share
    of the companies' capex (the implied frontier-AI share of capex)."""
    us, cn = (src[src.region == r].set_index("year") for r in ("US", "CN"))
    rows = []
    for y in sorted(AI_INDEX_PRIVATE):
        (p_us, p_cn), (c_us, c_cn) = AI_INDEX_PRIVATE[y], CAPEX[y]
        rows.append({"year": y, "venture_US_B": us.venture[y] / 1e9, "venture_CN_B": cn.venture[y] / 1e9,
                     "model_venture_US_CN": us.venture[y] / cn.venture[y] if cn.venture[y] > 0 else float("nan"),
                     "ai_index_US_CN": p_us / p_cn,
                     "parents_US_B": us.parents[y] / 1e9, "parents_CN_B": cn.parents[y] / 1e9,
                     "model_parents_US_CN": us.parents[y] / cn.parents[y], "capex_US_CN": c_us / c_cn,
                     "parents_share_of_capex_US": us.parents[y] / 1e9 / c_us,
                     "parents_share_of_capex_CN": cn.parents[y] / 1e9 / c_cn,
                     "model_total_US_CN": (us.parents[y] + us.venture[y] + us.state[y])
                                          / (cn.parents[y] + cn.venture[y] + cn.state[y])})
    return pd.DataFrame(rows)


def compute_2025(labs: pd.DataFrame) -> pd.DataFrame:
    """Named labs: median (5%, 95%) over replications of compute (H100e) at 2025-12 against their statements."""
    at = labs[labs["date"] == "2025-12"]
    rows = []
    for lab, (stated, source) in STATED_2025.items():
        c = at.loc[at["lab"] == lab, "compute"]
        rows.append({"lab": lab, "model_median": c.median() if len(c) else float("nan"),
                     "model_p05": c.quantile(0.05) if len(c) else float("nan"),
                     "model_p95": c.quantile(0.95) if len(c) else float("nan"), "stated": stated, "source": source})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", "-r", type=int, default=20)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    ap.add_argument("--out", default=str(ROOT / "results" / "investment"))
    ap.add_argument("--overwrite", action="store_true", help="replace the tables of an earlier report in --out")
    args = ap.parse_args()
    if (Path(args.out) / "report.md").exists() and not args.overwrite:
        ap.error(f"{args.out} already holds a report; pass --overwrite to replace it or --out another folder")
    reps = run_replications(load_scenario(args.scenario), args.replications)
    ts, labs = _year(reps.timeseries), reps.labs
    tables = {"sources": sources(ts)}
    tables["ratios"] = ratios(tables["sources"])
    tables["compute_2025"] = compute_2025(labs)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(out / f"{name}.csv", index=False)
    src = tables["sources"][tables["sources"]["year"] <= 2026]
    text = "\n\n".join([
        f"# Investment report: {args.scenario}, {args.replications} replications",
        "## Money by source, 2022-2026 (USD per year, medians; expectation: yearly mean of the index)",
        _md(src, "{:.3g}"),
        "## US:China by source against the data (2022-2024)",
        "AI Index private AI investment (US, China; USD B): " + "; ".join(
            f"{y} {u}, {c}" for y, (u, c) in AI_INDEX_PRIVATE.items()) + ". Capex (US Big Four; Alibaba, Tencent, "
        "Baidu; USD B, approximate): " + "; ".join(f"{y} {u:.0f}, {c:.0f}" for y, (u, c) in CAPEX.items()) + ".",
        _md(tables["ratios"], "{:.3g}"),
        "Columns: model_* the model's US:China ratio of each source (n/a: China has none that year); "
        "ai_index_US_CN and capex_US_CN the data's; parents_share_of_capex_R the model's parents' money over the "
        "companies' capex (the frontier-AI share of capex it implies; the stated assumption is 0.1-0.5).",
        "## Named labs' compute at 2025-12 (H100e) against their statements (held out)",
        _md(tables["compute_2025"], "{:.3g}"),
        "Each region's investors share their money by standing and sales (docs/ODD.md 7.9), so a lab whose models "
        "trail its region's best (Meta AI) gets little of it, and a region with few start-ups (ROW: AI21 Labs, Reka "
        "AI) gives each a large share: a known limit of pooled funding, not a fit."])
    (out / "report.md").write_text(text + "\n")
    print(text)
    print(f"\nwrote {out}/: report.md, " + ", ".join(f"{name}.csv" for name in tables))


if __name__ == "__main__":
    main()
