"""The strict-controls effect on China's frontier and on the US-China gap across the distillation parameters.

For each point of a grid over the distillation submodel's two fitted parameters (``labs.distill_share_at_parity``
and ``labs.distill_compute_elasticity``, each at the low end, default and high end of its plausible range) plus a
point without distillation (share at parity 0), runs ``scenarios/baseline.toml`` and ``scenarios/strict_controls.toml``
with common random numbers (paired seeds) and reports the paired difference strict - baseline of

- China's frontier capability (``frontier_CN``, ECI points) and
- the US-China gap (``us_cn_gap_months``, months),

averaged from 2026-01 to the horizon (2030-12 by default; the policy starts in 2025-01) and at the horizon, with a
90% confidence interval of the mean over replications (t interval); ``window`` says which months the mean covers. Writes ``table.csv``, ``table.md`` and the figure
``distillation_controls`` (PNG + PDF, with a provenance sidecar) to ``--out``.

    python scripts/distillation_controls.py --replications 10 --out figures/distillation_controls
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.compare import run_comparison
from sim.analysis.provenance import base_manifest
from sim.plots.style import NEUTRAL, REGION_COLORS, caption, figure, save
from sim.scenario import load_scenario, with_values

ROOT = Path(__file__).resolve().parents[1]
PARITY = (0.45, 0.63, 0.8)
ELASTICITY = (0.3, 0.53, 0.8)
METRICS = {"frontier_CN": "China's frontier (ECI points)", "us_cn_gap_months": "US-China gap (months)"}


def _mean_ci(v: np.ndarray) -> tuple[float, float, float]:
    v = v[np.isfinite(v)]
    if v.size < 2:
        return float(np.mean(v)) if v.size else np.nan, np.nan, np.nan
    h = stats.t.ppf(0.95, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size)
    return float(v.mean()), float(v.mean() - h), float(v.mean() + h)


def effects(replications: int, months: int | None = None) -> pd.DataFrame:
    """One row per grid point and metric: mean paired difference (strict - baseline) from 2026-01 to the horizon
    (``mean_after_2025``, over the months in ``window``) and at the horizon, each with its 90% CI over
    replications."""
    base = load_scenario(ROOT / "scenarios" / "baseline.toml")
    strict = load_scenario(ROOT / "scenarios" / "strict_controls.toml")
    points = [(0.0, ELASTICITY[1])] + [(p, e) for p in PARITY for e in ELASTICITY]
    rows = []
    for parity, elast in points:
        vals = {"labs.distill_share_at_parity": parity, "labs.distill_compute_elasticity": elast}
        if months:
            vals["months"] = months
        comp = run_comparison([with_values(base, vals), with_values(strict, vals)], replications,
                              names=["baseline", "strict_controls"])
        ts = comp.timeseries
        wide = ts.pivot_table(index=["replication", "date"], columns="scenario", values=list(METRICS))
        for metric in METRICS:
            d = (wide[(metric, "strict_controls")] - wide[(metric, "baseline")]).rename("d").reset_index()
            after = d[d["date"] >= "2026-01"]
            if after.empty:
                raise SystemExit("the horizon ends before 2026-01: nothing to average after the policy (use --months >= 49)")
            window = f"{after['date'].min()}..{after['date'].max()}"
            late = after.groupby("replication")["d"].mean().to_numpy(float)
            end = d[d["date"] == d["date"].max()]["d"].to_numpy(float)
            m, lo, hi = _mean_ci(late)
            me, loe, hie = _mean_ci(end)
            rows.append(dict(share_at_parity=parity, elasticity=elast, metric=metric, window=window, mean_after_2025=m,
                             ci_low=lo, ci_high=hi, at_horizon=me, horizon_ci_low=loe, horizon_ci_high=hie,
                             replications=replications))
    return pd.DataFrame(rows)


def draw(table: pd.DataFrame, out: Path, replications: int) -> None:
    fig, axes = figure("double", aspect=0.42, ncols=2)
    styles = {0.3: ":", 0.53: "-", 0.8: "--"}
    shift = {0.3: -0.012, 0.53: 0.0, 0.8: 0.012}  # so the three series' error bars do not hide each other
    for ax, metric in zip(axes, METRICS, strict=True):
        t = table[table["metric"] == metric]
        for elast in ELASTICITY:
            g = t[(t["elasticity"] == elast) & (t["share_at_parity"] > 0)].sort_values("share_at_parity")
            ax.errorbar(g["share_at_parity"] + shift[elast], g["mean_after_2025"],
                        yerr=[g["mean_after_2025"] - g["ci_low"], g["ci_high"] - g["mean_after_2025"]],
                        color=REGION_COLORS["CN"], ls=styles[elast], marker="o", ms=3, capsize=2,
                        label=f"elasticity {elast:g}")
        z = t[t["share_at_parity"] == 0].iloc[0]
        ax.errorbar([0.0], [z["mean_after_2025"]], yerr=[[z["mean_after_2025"] - z["ci_low"]],
                                                        [z["ci_high"] - z["mean_after_2025"]]],
                    color=NEUTRAL, marker="s", ms=4, capsize=2, ls="none", label="no distillation")
        ax.axhline(0, color=NEUTRAL, lw=0.6)
        ax.set_xlabel("Share of the gap to a teacher closed at equal compute")
        ax.set_ylabel(f"Strict minus baseline: {METRICS[metric]}")
    axes[0].legend(frameon=False, fontsize=7)
    window = table["window"].iloc[0].replace("..", " to ")
    caption(fig, f"Paired difference strict_controls - baseline, mean over {window}, 90% CI of the mean over "
                 f"{replications} replications (common random numbers); plausible ranges of the distillation "
                 "parameters (sim/scenario/schema/).")
    save(fig, out / "distillation_controls", ("png", "pdf"),
         provenance={**base_manifest("figure"), "table": "table.csv", "replications": replications,
                     "scenarios": ["scenarios/baseline.toml", "scenarios/strict_controls.toml"]})


def to_markdown(table: pd.DataFrame) -> str:
    """The table as Markdown (two decimals)."""
    cols = list(table.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in table.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.2f}" if isinstance(v, float) else str(v) for v in r) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("--months", type=int, default=None, help="shorter horizon, for a quick look")
    ap.add_argument("--out", type=Path, default=ROOT / "figures" / "distillation_controls")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    table = effects(args.replications, args.months)
    table.to_csv(args.out / "table.csv", index=False, float_format="%.4g")
    (args.out / "table.md").write_text(to_markdown(table))
    draw(table, args.out, args.replications)
    print(table.to_string(index=False, float_format=lambda x: f"{x:.2f}"))


if __name__ == "__main__":
    main()
