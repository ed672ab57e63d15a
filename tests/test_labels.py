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
