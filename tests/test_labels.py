"""One table of the names a reader sees for each metric (issue 30), used by the CLI tables, the figures and the
dashboard."""

from __future__ import annotations

import pytest

from sim.model.metrics import METRIC_LABELS, SUMMARY_METRICS, metric_label, metric_unit
from sim.plots import style
from sim.plots.compare import panel_label


def test_every_summary_metric_has_a_label_and_a_unit():
    bases = {m[:-len("_mean12")] if m.endswith("_mean12") else m for m in SUMMARY_METRICS}
    assert bases <= set(METRIC_LABELS)
    for m in SUMMARY_METRICS:
        assert metric_label(m) and metric_label(m) != m and metric_unit(m)
        assert len(metric_label(m, short=True)) <= 26


@pytest.mark.parametrize("metric, label, short, unit", [
    ("open_share_CN", "Open-weight share of Chinese labs", "Open share, CN", "share of labs"),
    ("open_share_CN_mean12", "Open-weight share of Chinese labs, mean of last 12 months", "Open share, CN",
     "share of labs"),
    ("us_cn_gap_months", "China's lag behind the US", "US-China gap", "months"),
    ("noncn_on_cn_open", "Non-Chinese developers on Chinese open models", "Non-CN devs on CN open",
     "share of developers"),
    ("revenue_share_of_budget", "Revenue as a share of labs' budgets", "Revenue share of budget", "share of budgets"),
])
def test_labels_and_units(metric, label, short, unit):
    assert (metric_label(metric), metric_label(metric, short=True), metric_unit(metric)) == (label, short, unit)


def test_figures_take_their_names_from_the_same_table():
    for m in ("open_share_US_mean12", "us_cn_gap_oom", "hhi", "frontier_compute_growth"):
        assert style.metric_label(m) == (metric_label(m), metric_unit(m))
        assert style.short_metric_label(m) == metric_label(m, short=True)
        title, unit = panel_label(m)
        assert title.replace("\n", " ") == metric_label(m) and unit.lower() == metric_unit(m).lower()
    assert metric_label("not_a_metric") == "not a metric"


# --------------------------------------------------------------------------------------------------
# scenario labels (issue 30): a reader's name, which changes no run

def test_library_scenarios_have_labels_and_a_label_changes_no_run():
    from pathlib import Path

    from sim.analysis.compare import first_policy_month
    from sim.scenario import load_scenario, with_values

    lib = Path(__file__).resolve().parents[1] / "scenarios"
    for f in lib.glob("*.toml"):
        sc = load_scenario(f)
        assert sc.label and sc.display_name == sc.label, f.name
    base = load_scenario(lib / "baseline.toml")
    relabelled = with_values(base, {"label": "Another label"})
    assert first_policy_month(base, relabelled) is None  # not a policy change
    unlabelled = with_values(base, {"label": ""})
    assert unlabelled.display_name == "baseline" and "label" not in unlabelled.resolved_dict()


def test_compare_figures_show_labels_and_tables_keep_names():
    import pandas as pd

    from sim.plots.compare import _relabel

    ts = pd.DataFrame({"scenario": ["a", "b"], "x": [1, 2]})
    stats = pd.DataFrame({"scenario": ["a", "b"], "y": [3, 4]})
    ts2, stats2, names, first = _relabel(ts, stats, ["a", "b"], {"b": 36}, {"a": "Same", "b": "Same"})
    assert names == ["Same", "Same#2"] and list(ts2["scenario"]) == names and first == {"Same#2": 36}
    assert list(stats2["scenario"]) == names and list(ts["scenario"]) == ["a", "b"]
