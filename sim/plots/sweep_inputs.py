"""What a sweep figure reads from the sweep's results and manifest: the metrics it draws, the factors and their
readable labels, the successful runs, the base scenario's point and horizon (:mod:`sim.plots.sweep`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

SWEEP_METRICS = ("open_share_CN_mean12", "us_cn_gap_months_mean12", "noncn_on_cn_open_mean12",
                 "compute_share_CN_mean12")
"""Metrics drawn by default (the horizon value is used where the 12-month mean was not recorded)."""


FACTOR_LABELS = {
    "governments.US.export_control.CN": "US chip-control strictness on China",
    "governments.US.leakage": "Export-control leakage",
    "compute.tau_alg_months": "Algorithmic halving time",
    "compute.final_run_share": "Compute share of the final run",
    "compute.eta_alt": "Alternative chips' performance per dollar",
    "compute.alt_supply_h100e.CN": "China's alternative chip supply",
    "compute.alt_supply_growth_per_year": "Growth of alternative chip supply",
    "labs.distill_share_at_parity": "Distillation: share of the gap closed",
    "labs.api_distill_efficiency": "Distillation through APIs",
    "labs.beta": "Labs' open/closed choice sensitivity",
    "labs.follower_open_value": "Value of opening for followers",
    "labs.complement_capture": "Complements of open weights",
    "developers.token_price_elasticity": "Token demand price elasticity",
    "labs.spill_coef": "Cost of opening a leading model",
    "labs.funding_kappa": "Funding response to capability lead",
    "developers.w_open_mean": "Developers' value of open weights",
    "developers.w_cap_mean": "Developers' value of capability",
    "developers.w_sov_mean": "Developers' distrust of foreign APIs",
    "developers.w_net": "Network effect in adoption",
    "market.market_usd_per_month": "Developer market in 2024",
    "market.investment_revenue_elasticity": "Investment's elasticity to revenue",
    "market.expectation_adjustment_months": "Investors' expectation adjustment time",
    "chips.production_growth_per_year": "Chip production growth to 2025",
    "chips.production_growth_after_per_year": "Chip production growth from 2026",
    "chips.outside_demand_usd_per_month": "Chip demand outside the labs",
}
"""Readable labels of factor paths (others are shown as their path)."""


FACTOR_ALIASES = {"export_control_CN": "governments.US.export_control.CN", "leakage": "governments.US.leakage"}
"""Factor names used by the experiment specs -> their scenario paths (for labels when only the name is known)."""


class SweepFigureError(ValueError):
    """The sweep results cannot give the requested figure (factor or metric missing, too few runs)."""


def factor_label(name: str, path: str | None = None, unit: bool = True) -> str:
    """Readable label of a factor (by its path, else its name), with its unit from the scenario schema."""
    key = path or FACTOR_ALIASES.get(name, name)
    label = FACTOR_LABELS.get(key) or FACTOR_LABELS.get(name) or name.replace("_", " ")
    if unit:
        try:
            from sim.scenario.schema import field_info

            u = field_info(key).get("unit") or ""
        except Exception:  # noqa: BLE001 - a factor that is not a schema field (e.g. a scenario choice)
            u = ""
        u = {"fraction": "share", "0..1 strictness": "0-1", "1 (logit slope)": "logit slope"}.get(u, u)
        if u:
            label += f" ({u})"
    return label


def _factor_paths(manifest: dict[str, Any]) -> dict[str, str]:
    return {f.get("name"): f.get("path") for f in manifest.get("resolved", {}).get("factors", [])}


def numeric_factors(results: pd.DataFrame, factors: Sequence[str]) -> list[str]:
    """The factors with numeric values that vary in the results."""
    out = []
    for f in factors:
        if f in results and pd.api.types.is_numeric_dtype(results[f]) and results[f].nunique() > 1:
            out.append(f)
    return out


def pick_metric(results: pd.DataFrame, metric: str) -> str:
    """``metric``, or its horizon version when the 12-month mean is not in the results."""
    if metric in results:
        return metric
    base = metric.removesuffix("_mean12")
    if base in results:
        return base
    raise SweepFigureError(f"metric {metric!r} is not in the sweep results")


def _ok(results: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    df = results[results["status"] == "ok"] if "status" in results else results
    return df.dropna(subset=list(cols))


def baseline_point(manifest: dict[str, Any], factors: Sequence[str]) -> dict[str, float]:
    """The value each factor takes in the sweep's base scenario at the horizon: the field's value, or the
    last dated event that sets it (e.g. the baseline's export controls tighten to 0.9 in 2024-12).
    Factors that are not scenario fields are left out."""
    bases = manifest.get("bases") or []
    if not bases:
        return {}
    sc = bases[0].get("scenario", {})
    paths = _factor_paths(manifest)
    out: dict[str, float] = {}
    for f in factors:
        path = paths.get(f) or f
        node: Any = sc
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        value = node if isinstance(node, int | float) and not isinstance(node, bool) else None
        if value is None:  # not set in the scenario, e.g. no export control on CN: the schema's default
            try:
                from sim.scenario.schema import field_info

                default = field_info(path).get("default")
                value = default if isinstance(default, int | float) and not isinstance(default, bool) else None
            except Exception:  # noqa: BLE001 - not a schema field (e.g. a scenario choice)
                value = None
        for ev in sc.get("events") or []:
            if ev.get("government") and f"governments.{ev['government']}.{ev.get('field')}" == path:
                if isinstance(ev.get("value"), int | float):
                    value = ev["value"]
        if value is not None:
            out[f] = float(value)
    return out


def horizon(manifest: dict[str, Any]) -> str:
    """The last simulated month (YYYY-MM) of the sweep's base scenario, or '' if unknown."""
    try:
        from sim.scenario.schema import month_label

        sc = manifest["bases"][0]["scenario"]
        return month_label(sc["start"], int(sc["months"]) - 1)
    except Exception:  # noqa: BLE001
        return ""


def _when(metric: str, when: str) -> str:
    if not when:
        return ""
    if metric.endswith("_mean12"):
        return f" Values: mean of the 12 months to {when}."
    return f" Values at {when}."


def _lower_first(text: str) -> str:
    """'Export-control leakage' -> 'export-control leakage'; 'US chip ...' stays."""
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() else text
